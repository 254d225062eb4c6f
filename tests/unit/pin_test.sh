#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of tests/rig/pin.sh, the pinned Debian sources: apt and dpkg
# are stubs on PATH that act on a state directory, so every case runs in
# milliseconds and changes nothing on the machine.
set -u
RIG=$(cd "$(dirname "$0")/../rig" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
S=$T/state
mkdir -p "$T/bin" "$S"

cat >"$T/bin/dpkg-query" <<'STUB'
#!/bin/bash
[ -f "$S/installed" ] || exit 1
echo "installed $(cat "$S/installed")"
STUB
cat >"$T/bin/apt-cache" <<'STUB'
#!/bin/bash
case $1 in
madison)
	[ -f "$S/archive" ] || exit 0
	while read -r v; do echo " $2 | $v | http://archive.invalid bookworm/main amd64 Packages"; done <"$S/archive" ;;
showsrc)
	# Source stanzas only where deb-src entries exist.
	[ -f "$S/debsrc" ] && [ -f "$S/srcarchive" ] || exit 0
	while read -r v; do printf 'Package: %s\nVersion: %s\n\nPackage: other\nVersion: 9.9\n\n' "$2" "$v"; done <"$S/srcarchive" ;;
*) exit 1 ;;
esac
STUB
cat >"$T/bin/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get $*" >>"$S/calls"
case $1 in
update)
	[ ! -f "$S/archive-later" ] || cat "$S/archive-later" >>"$S/archive"
	# deb-src entries written by the rig take effect at the update.
	! ls "$APT_SOURCES_D"/vsm-rig-deb-src.* >/dev/null 2>&1 || touch "$S/debsrc" ;;
indextargets) [ ! -f "$S/debsrc" ] || echo Sources ;;
source)
	spec=${*: -1}
	v=${spec#*=}
	grep -qxF "$v" "$S/srcarchive" 2>/dev/null || exit 100
	: >"${spec%%=*}_${v#*:}.dsc" ;;
install)
	spec=${*: -1}
	grep -qxF "${spec#*=}" "$S/archive" 2>/dev/null || exit 100
	echo "${spec#*=}" >"$S/installed" ;;
esac
STUB
printf '#!/bin/sh\necho 0\n' >"$T/bin/id"
chmod +x "$T/bin/"*
mkdir -p "$T/apt.d"
export S PATH=$T/bin:$PATH BUILD=$T/build APT_SOURCES_D=$T/apt.d APT_SOURCES_LIST=$T/sources.list

pinfile() {
	printf '# SPDX-License-Identifier: GPL-2.0\n# KIND PACKAGE VERSION UPSTREAM\n%s\n' "$1" >"$T/base"
}
# reset: installed version (or -), archive versions
state() {
	rm -f "$S"/*
	[ "$1" = - ] || echo "$1" >"$S/installed"
	shift
	for v in "$@"; do echo "$v"; done >"$S/archive"
}

# run CMD...: in a subshell with the rig's helpers; sets out, rc, lines.
run() {
	out=$(bash -c '. "$0/lib.sh"; . "$0/pin.sh"; "$@"' "$RIG" "$@" 2>&1)
	rc=$?
	lines=$(printf '%s' "$out" | grep -c '')
}
ok() {
	if eval "$2"; then pass=$((pass + 1)); else
		echo "FAIL pin: $1 (rc=$rc): $out"
		fail=$((fail + 1))
	fi
}
calls() { cat "$S/calls" 2>/dev/null; }
inst() { cat "$S/installed" 2>/dev/null; }

V=6.12.118-1~deb12u1 OLD=6.12.117-1~deb12u1 NEW=6.12.119-1~deb12u1
pinfile "deb linux-source-6.12 $V 6.12.118"

state "$V" "$OLD" "$V"
run pin_ensure "$T/base"
ok "pinned version installed: nothing to do" '[ $rc = 0 ] && [ -z "$(calls)" ]'

state "$OLD" "$OLD" "$V"
run pin_ensure "$T/base"
ok "another version installed: the pinned one replaces it" \
	'[ $rc = 0 ] && [ "$(inst)" = "$V" ] && calls | grep -q -- "--allow-downgrades .*linux-source-6.12=$V"'

state "$NEW" "$V" "$NEW"
run pin_ensure "$T/base"
ok "a newer version installed: downgraded to the pin" '[ $rc = 0 ] && [ "$(inst)" = "$V" ]'

state - "$V"
run pin_ensure "$T/base"
ok "none installed: the pinned one is installed" '[ $rc = 0 ] && [ "$(inst)" = "$V" ]'

state - "$OLD"
echo "$V" >"$S/archive-later"
run pin_ensure "$T/base"
ok "lists out of date: one apt-get update, then installed" \
	'[ $rc = 0 ] && [ "$(inst)" = "$V" ] && [ "$(calls | grep -c update)" = 1 ]'

state "$OLD" "$OLD" "$V"
pinfile "deb linux-source-6.12 6.12.999-1~deb12u1 6.12.999"
run pin_ensure "$T/base"
ok "version not in the archive: one line naming it and the fix, nothing installed" \
	'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"6.12.999-1~deb12u1"*"not in the apt archive"*"$V"*"Moving a pinned base"* ]] && [ "$(inst)" = "$OLD" ] && ! calls | grep -q install'

rm -f "$T/base"
run pin_ensure "$T/base"
ok "pin file missing: one line" '[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"missing"* ]]'

for bad in "deb linux-source-6.12 $V" "deb linux-source-6.12 $V 6.12.118 extra" \
	"tarball linux-source-6.12 $V 6.12.118" "deb linux-source-6.12 latest 6.12.118" \
	"deb Linux_Source $V 6.12.118" "deb linux-source-6.12 $V v6.12"; do
	pinfile "$bad"
	state "$V" "$V"
	run pin_ensure "$T/base"
	ok "malformed pin '$bad': one line, nothing done" \
		'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"base"* ]] && [ -z "$(calls)" ]'
done
printf 'deb linux-source-6.12 %s 6.12.118\ndeb linux-source-6.12 %s 6.12.117\n' "$V" "$OLD" >"$T/base"
run pin_read "$T/base"
ok "two entries: one line" '[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"found 2"* ]]'

pinfile "deb linux-source-6.12 $V 6.12.118"
state "$V" "$OLD" "$V" "$NEW"
run pin_news "$T/base"
ok "a newer version offered: one note" '[ $rc = 0 ] && [ $lines = 1 ] && [[ $out == "note: "*"$NEW"*"newer than $V"* ]]'
state "$V" "$OLD" "$V"
run pin_news "$T/base"
ok "nothing newer: silent" '[ $rc = 0 ] && [ -z "$out" ]'

pinfile "deb linux-source-6.12 $OLD 6.12.117"
run pin_write "$T/base" "$V" 6.12.118
ok "pin_write moves the pin, comments kept" \
	'[ $rc = 0 ] && grep -q "^deb  *linux-source-6.12  *$V  *6.12.118$" "$T/base" && grep -q SPDX "$T/base"'

# The extracted tree: a git repository with a stamp of the Debian version
# it came from, the applied series' HEAD, and the Linux version it carries.
pinfile "deb linux-source-6.12 $V 6.12.118"
tree() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree"
	git -C "$T/tree" init -q
	echo "$2" >"$T/tree/VERSION"
	git -C "$T/tree" add VERSION
	git -C "$T/tree" -c user.name=t -c user.email=t@t commit -q -m base
	echo "$1" >"$T/tree/.git/stamp"
	echo "hash $(git -C "$T/tree" rev-parse HEAD)" >"$T/tree/.git/applied"
}
treecheck() { run bash -c '. "$0/lib.sh"; . "$0/pin.sh"; vers() { cat "$1/VERSION"; }; pin_read "$1"; pin_tree "$2" "$2/.git/stamp" "$2/.git/applied" vers' "$RIG" "$T/base" "$T/tree"; }

tree "$V" 6.12.118
treecheck
ok "tree of the pinned version: used" '[ $rc = 0 ] && [ "$out" = ok ]'
rm -rf "$T/tree"
treecheck
ok "no tree: extracted" '[ $rc = 0 ] && [ "$out" = extract ]'
tree "$OLD" 6.12.117
treecheck
ok "clean tree of another version: extracted again" '[ $rc = 0 ] && [ "$out" = extract ]'
tree "$OLD" 6.12.117
echo edit >>"$T/tree/VERSION"
treecheck
ok "tree of another version with uncommitted work: one line, kept" \
	'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"$OLD"*"work not in the series"*"$V"* ]] && [ -d "$T/tree/.git" ]'
tree "$OLD" 6.12.117
echo x >"$T/tree/new" && git -C "$T/tree" add new && git -C "$T/tree" -c user.name=t -c user.email=t@t commit -q -m work
treecheck
ok "tree of another version with unexported commits: one line" \
	'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"make series"* ]]'
tree "$V" 6.12.117
treecheck
ok "tree stamped with the pin but carrying another Linux: one line" \
	'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"carries 6.12.117"*"6.12.118"* ]]'

# KIND src: a Debian source package, fetched with apt-get source into
# build/src/PACKAGE; deb-src entries mirrored from the deb ones when apt
# has none.
Q=1:7.2+dfsg-7+deb12u18 QOLD=1:7.2+dfsg-7+deb12u17
srcstate() {
	rm -rf "$S"/* "$T/build/src" "$T/apt.d"/vsm-rig-*
	for v in "$@"; do echo "$v"; done >"$S/srcarchive"
}
printf 'Types: deb\nURIs: http://deb.invalid/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://deb.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n' >"$T/apt.d/debian.sources"
printf 'deb http://extra.invalid/debian bookworm main\n# deb http://off.invalid/ bookworm main\n' >"$T/sources.list"
pinfile "src qemu $Q 7.2.0"

srcstate "$QOLD" "$Q"
run pin_ensure "$T/base"
ok "src: no deb-src entries: mirrored from deb, one update, source fetched" \
	'[ $rc = 0 ] && [ -f "$T/build/src/qemu/qemu_7.2+dfsg-7+deb12u18.dsc" ] && [ "$(grep -c "^Types: deb-src$" "$T/apt.d/vsm-rig-deb-src.sources")" = 2 ] && grep -qx "deb-src http://extra.invalid/debian bookworm main" "$T/apt.d/vsm-rig-deb-src.list" && ! grep -q off.invalid "$T/apt.d/vsm-rig-deb-src.list" && calls | grep -q "source --download-only qemu=$Q"'
run pin_ensure "$T/base"
ok "src: already fetched: nothing to do" '[ $rc = 0 ] && [ "$(calls | grep -c source)" = 1 ]'

srcstate "$QOLD" "$Q"
touch "$S/debsrc"
run pin_ensure "$T/base"
ok "src: deb-src entries exist: none written" '[ $rc = 0 ] && ! ls "$T/apt.d"/vsm-rig-* >/dev/null 2>&1 && [ -f "$T/build/src/qemu/qemu_7.2+dfsg-7+deb12u18.dsc" ]'

srcstate "$QOLD"
touch "$S/debsrc"
run pin_ensure "$T/base"
ok "src: version not in the archive: one line naming it and what is offered, nothing fetched" \
	'[ $rc != 0 ] && [ $lines = 1 ] && [[ $out == *"$Q"*"not in the apt archive"*"$QOLD"* ]] && ! calls | grep -q source && [ ! -d "$T/build/src/qemu" ]'

srcstate "$Q" "1:7.2+dfsg-7+deb12u19"
touch "$S/debsrc"
run pin_news "$T/base"
ok "src: a newer source offered: one note" '[ $rc = 0 ] && [ $lines = 1 ] && [[ $out == "note: "*"deb12u19"* ]]'

echo "pin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
