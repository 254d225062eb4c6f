#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of kernel/tree.sh am-check, the check that git am of
# kernel/patches onto a fresh extract of the pinned source gives the tree
# under test. A three-file source tarball, a two-patch series and a stub
# dpkg-query stand in for Debian's kernel source, so every case runs in
# well under a second and touches nothing outside a temporary directory.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
V=1.0-1

mkdir -p "$T/bin" "$T/src/pkg" "$T/kernel/patches"
printf '#!/bin/sh\necho "installed %s"\n' "$V" >"$T/bin/dpkg-query"
chmod +x "$T/bin/dpkg-query"
export PATH=$T/bin:$PATH BUILD=$T/build KTREE=$T/linux KDIR=$T/kernel \
	SRC_TARBALL=$T/src.tar.xz
mkdir -p "$BUILD/logs"
printf '# SPDX-License-Identifier: GPL-2.0\n# KIND PACKAGE VERSION UPSTREAM\ndeb fake-source %s 1.0\n' \
	"$V" >"$KDIR/base"

# The "Debian" source: its .gitignore ends with the packaging block that
# tree.sh drops, as Debian's does.
printf 'int a;\n' >"$T/src/pkg/a.c"
printf 'all:\n' >"$T/src/pkg/Makefile"
printf '*.o\n# Debian packaging: ignore everything\n/*\n' >"$T/src/pkg/.gitignore"
tar -cJf "$SRC_TARBALL" -C "$T/src" pkg

# The tree under test: the source committed the way tree.sh commits it,
# tagged vsm-base, and two commits, exported with tree.sh series.
G="git -C $KTREE -c user.name=t -c user.email=t@localhost"
mkdir -p "$KTREE"
tar -xf "$SRC_TARBALL" -C "$KTREE" --strip-components=1
sed -i '/^# Debian packaging: ignore everything/,$d' "$KTREE/.gitignore"
$G init -q && $G add -f -A && $G commit -q -m base && $G tag vsm-base
printf 'int a;\nint b;\n' >"$KTREE/a.c" && $G commit -q -am "add b"
printf 'int c;\n' >"$KTREE/c.c" && $G add c.c && $G commit -q -m "add c.c"

run() {
	out=$("$TOP/kernel/tree.sh" "$@" 2>&1)
	rc=$?
}
ok() {
	if eval "$2"; then pass=$((pass + 1)); else
		echo "FAIL am-check: $1 (rc=$rc): $out"
		fail=$((fail + 1))
	fi
}
stamp() { [ -f "$BUILD/am-check.ok" ]; }

run series
ok "series exports the two commits" '[ $rc = 0 ] && [ "$(ls "$KDIR/patches" | wc -l)" = 2 ]'

run am-check
ok "the series applied with git am is the tree: passes, stamped" \
	'[ $rc = 0 ] && [[ $out == *"2 patches applied with git am"* ]] && stamp'

run am-check
ok "unchanged series and tree: skipped" '[ $rc = 0 ] && [[ $out == *"passed before"* ]]'

echo 'int d;' >>"$KTREE/a.c"
run am-check
ok "uncommitted change in the tree: refused" \
	'[ $rc != 0 ] && [[ $out == *"uncommitted changes"* ]]'
$G checkout -q a.c

echo 'int e;' >"$KTREE/e.c"
run am-check
ok "untracked file in the tree: refused" '[ $rc != 0 ] && [[ $out == *"untracked files"* ]]'
rm "$KTREE/e.c"

printf 'int c;\nint f;\n' >"$KTREE/c.c" && $G commit -q -am "not exported"
run am-check
ok "a tree commit the series lacks: the trees differ, no stamp" \
	'[ $rc != 0 ] && [[ $out == *"differs from build/linux"* ]] && ! stamp'
$G reset -q --hard HEAD~1

p=$(ls "$KDIR/patches" | head -1)
cp "$KDIR/patches/$p" "$T/saved"
sed -i 's/^ int a;$/ int z;/' "$KDIR/patches/$p"
run am-check
ok "a patch that does not apply: named, no stamp" \
	'[ $rc != 0 ] && [[ $out == *"$p (patch 1) does not apply"* ]] && ! stamp'
cp "$T/saved" "$KDIR/patches/$p"

run am-check
ok "restored: passes again" '[ $rc = 0 ] && [[ $out == *"2 patches applied"* ]] && stamp'

echo "am-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
