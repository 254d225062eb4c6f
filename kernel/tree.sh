#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree of the rig: the Debian kernel source that kernel/base
# pins, in a git repository (tag vsm-base), with kernel/series applied as
# commits. The series carries all of our kernel code, our own files
# included: git am of kernel/patches gives the tree (Documentation/rig.rst,
# "One source for the kernel code").
#
#   tree.sh prepare   extract if needed, apply the series
#   tree.sh build     configure (KCONFIG=normal|debug) and build bzImage
#   tree.sh guest     configure and build the VTL2 guest kernel (out-vtl2-guest)
#   tree.sh headers   install the uAPI headers for the selftests
#   tree.sh series    export the tree's commits to kernel/patches + kernel/series
#   tree.sh am-check  git am kernel/patches onto a fresh extract of the pinned
#                     source: the result must be the tree under test
#   tree.sh reset     drop the tree's commits and changes, re-apply kernel/
#   tree.sh rebase V  move the series onto Debian version V of the source
#                     package and the pin with it (Documentation/rig.rst)
set -eu
. "$(dirname "$0")/../tests/rig/lib.sh"
. "$TOP/tests/rig/pin.sh"

# KDIR and SRC_TARBALL may be given, for tests/unit/am_check_test.sh.
KDIR=${KDIR:-$TOP/kernel}
pin_read "$KDIR/base"
SRC_PKG=$PIN_PKG
SRC_TARBALL=${SRC_TARBALL:-/usr/src/$SRC_PKG.tar.xz}
STAMP_SRC=$KTREE/.git/vsm-source
STAMP_APPLIED=$KTREE/.git/vsm-applied
GIT="git -C $KTREE -c user.name=vsm-rig -c user.email=vsm-rig@localhost"

# The installed source package must be the pinned one: make deps installs it.
src_check() {
	local have
	have=$(pin_installed "$SRC_PKG")
	[ "$have" = "$PIN_VER" ] ||
		die "$SRC_PKG is ${have:-not installed}${have:+ installed}, but $PIN_FILE pins $PIN_VER: 'make deps' installs the pinned version"
}

series_patches() {
	[ -f "$KDIR/series" ] || return 0
	entries "$KDIR/series"
}

series_hash() {
	{
		cat "$KDIR/series" 2>/dev/null
		for p in $(series_patches); do cat "$KDIR/patches/$p"; done
	} | sha256sum | cut -c1-16
}

# Unpack the pinned source package's tarball into $1, made anew.
unpack_source() {
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing (reinstall $SRC_PKG)"
	rm -rf "$1"
	mkdir -p "$1"
	tar -xf "$SRC_TARBALL" -C "$1" --strip-components=1 ||
		die "cannot extract $SRC_TARBALL"
}

# Debian's .gitignore ends by ignoring every top-level entry (its packaging
# repository holds only debian/): drop that block from the source unpacked
# in $1, so that the tree behaves like an upstream checkout. Patches never
# touch it.
debian_gitignore() {
	sed -i '/^# Debian packaging: ignore everything/,$d' "$1/.gitignore"
	sed -i '${/^#$/d}' "$1/.gitignore"
}

extract() {
	local ver=$1 t0
	t0=$(date +%s.%N)
	step "extract: $SRC_PKG $ver into ${KTREE#$TOP/}"
	unpack_source "$KTREE"
	git -C "$KTREE" init -q
	$GIT reset -q "$(commit_source "$ver" "$KTREE")"
	$GIT tag vsm-base
	echo "/out-*/" >>"$KTREE/.git/info/exclude"
	echo "$ver" >"$STAMP_SRC"
	rm -f "$STAMP_APPLIED"
	echo "    extracted and committed in $(elapsed "$t0") s"
}

kversion() {
	make -s -C "${1:-$KTREE}" kernelversion 2>/dev/null
}

apply_series() {
	local hash=$1 p n=0 total reason
	total=$(series_patches | wc -l)
	step "patch: applying $total patches of kernel/series"
	$GIT reset -q --hard vsm-base
	for p in $(series_patches); do
		n=$((n + 1))
		[ -f "$KDIR/patches/$p" ] || die "kernel/series names $p, but kernel/patches/$p does not exist"
		if ! $GIT am -q --keep-cr "$KDIR/patches/$p" >"$LOGS/git-am.log" 2>&1; then
			reason=$(grep -m1 -E '^(error|patch failed|fatal)' "$LOGS/git-am.log" || true)
			$GIT am --abort >/dev/null 2>&1 || true
			$GIT reset -q --hard vsm-base
			rm -f "$STAMP_APPLIED"
			die "patch $n/$total kernel/patches/$p does not apply to Linux $(kversion): ${reason:-see $LOGS/git-am.log}"
		fi
	done
	echo "$hash $($GIT rev-parse HEAD)" >"$STAMP_APPLIED"
}

cmd_prepare() {
	local ver=$PIN_VER hash head applied_hash applied_head verdict
	verdict=$(pin_tree "$KTREE" "$STAMP_SRC" "$STAMP_APPLIED" kversion) || exit 1
	if [ "$verdict" = extract ]; then
		src_check
		extract "$ver"
		# The new tree carries the pin's upstream version, or stops here.
		pin_tree "$KTREE" "$STAMP_SRC" "$STAMP_APPLIED" kversion >/dev/null || exit 1
	fi
	echo "    kernel source: Debian $SRC_PKG $ver, Linux $(kversion)"
	hash=$(series_hash)
	head=$($GIT rev-parse HEAD)
	read -r applied_hash applied_head 2>/dev/null <"$STAMP_APPLIED" || true
	if [ "${applied_hash:-}" = "$hash" ] && [ "$applied_head" = "$head" ]; then
		echo "    series: $(series_patches | wc -l) patches applied (unchanged)"
	elif [ -n "${applied_head:-}" ] && [ "$applied_head" != "$head" ]; then
		die "build/linux has commits that are not in kernel/ (HEAD ${head:0:12}): export them with 'make series' or drop them with 'make tree-reset'"
	else
		$GIT diff --quiet HEAD ||
			die "build/linux has uncommitted changes and kernel/series changed: commit and 'make series', or 'make tree-reset'"
		apply_series "$hash"
	fi
	if ! tree_clean; then
		echo "    warning: build/linux has uncommitted changes; they are built and tested"
	fi
}

cmd_config() {
	local frags="$KDIR/configs/rig.config"
	[ "$KCONFIG" = normal ] || frags="$frags $KDIR/configs/$KCONFIG.config"
	config_out "$KCONFIG" "$frags"
}

# config_out NAME FRAGS: tinyconfig + FRAGS in build/linux/out-NAME, once.
config_out() {
	local name=$1 frags=$2 out=$KTREE/out-$1 h
	for f in $frags; do [ -f "$f" ] || die "KCONFIG=$name: no ${f#$TOP/}"; done
	h=$(cat $frags | sha256sum | cut -c1-16)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.vsm-config" 2>/dev/null)" = "$h" ]; then
		return 0
	fi
	step "configure: tinyconfig + ${frags//$TOP\//} -> ${out#$TOP/}/.config"
	mkdir -p "$out"
	run_logged "$LOGS/config-$name.log" sh -c "
		make -C '$KTREE' O=out-$name tinyconfig &&
		'$KTREE/scripts/kconfig/merge_config.sh' -m -O '$out' '$out/.config' $frags &&
		make -C '$KTREE' O=out-$name olddefconfig" || die "kernel configuration failed"
	# Every option the fragments set (the last one wins) must survive
	# olddefconfig.
	for f in $frags; do
		grep -E '^CONFIG_|^# CONFIG_.* is not set' "$f" | sed "s|\$| ${f#$TOP/}|"
	done | awk '{ opt = $1 == "#" ? $2 : substr($1, 1, index($1, "=") - 1); last[opt] = $0 }
		END { for (o in last) print last[o] }' | while read -r line; do
		src=${line##* }
		line=${line% *}
		case $line in
		"# "*) opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$out/.config" || die "$src: $opt should be off but is on (dependency?)" ;;
		*) grep -qx "$line" "$out/.config" || die "$src: $line did not stick (unmet dependency?)" ;;
		esac
	done
	echo "$h" >"$out/.vsm-config"
}

cmd_build() {
	local t0
	cmd_config
	t0=$(date +%s.%N)
	step "build: bzImage ($KCONFIG, Linux $(kversion), -j$JOBS, ccache)"
	run_logged "$LOGS/kernel-build-$KCONFIG.log" \
		make -C "$KTREE" O=out-$KCONFIG CC="ccache gcc" -j"$JOBS" bzImage ||
		die "kernel build failed (KCONFIG=$KCONFIG)"
	echo "    built ${KOUT#$TOP/}/arch/x86/boot/bzImage in $(elapsed "$t0") s"
}

# The VTL2 guest: upstream Linux of the same tree in Hyper-V VTL mode,
# built from kernel/configs/vtl2-guest.config into out-vtl2-guest.
cmd_guest() {
	local t0 out=$KTREE/out-vtl2-guest
	config_out vtl2-guest "$KDIR/configs/vtl2-guest.config"
	t0=$(date +%s.%N)
	step "build: VTL2 guest bzImage (Linux $(kversion), -j$JOBS, ccache)"
	run_logged "$LOGS/kernel-build-vtl2-guest.log" \
		make -C "$KTREE" O=out-vtl2-guest CC="ccache gcc" -j"$JOBS" bzImage ||
		die "VTL2 guest kernel build failed"
	echo "    built ${out#$TOP/}/arch/x86/boot/bzImage in $(elapsed "$t0") s"
}

cmd_headers() {
	run_logged "$LOGS/headers-$KCONFIG.log" \
		make -C "$KTREE" O=out-$KCONFIG headers_install ||
		die "headers_install failed"
}

# Is build/linux's work tree its HEAD, untracked files included?
tree_clean() {
	$GIT diff --quiet HEAD && [ -z "$($GIT ls-files --others --exclude-standard)" ]
}

cmd_series() {
	local n
	[ -d "$KTREE/.git" ] || die "no kernel tree yet: run make tree first"
	tree_clean || die "build/linux has uncommitted changes or untracked files: commit them first"
	rm -f "$KDIR"/patches/*.patch
	$GIT format-patch -q --zero-commit --no-signature --no-stat \
		-o "$KDIR/patches" vsm-base..HEAD
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Our KVM series against Debian $SRC_PKG $PIN_VER (kernel/base), in order."
		(cd "$KDIR/patches" && ls -1 -- *.patch 2>/dev/null) || true
	} >"$KDIR/series"
	n=$(series_patches | wc -l)
	echo "$(series_hash) $($GIT rev-parse HEAD)" >"$STAMP_APPLIED"
	echo "exported $n patches to kernel/patches, order in kernel/series"
}

# What a maintainer does with the series: git am onto the pinned source,
# freshly extracted, and nothing else. The result must be the very tree
# that make check builds and tests (build/linux's HEAD, with no change of
# its own). Skipped while the series, the pin and that tree stay as they
# were when it last passed.
cmd_am_check() {
	local dir=$BUILD/am-check stamp=$BUILD/am-check.ok want got key p n=0 t0
	local g="git -C $dir -c user.name=vsm-rig -c user.email=vsm-rig@localhost"
	[ -d "$KTREE/.git" ] || die "no kernel tree yet: run make tree first"
	tree_clean ||
		die "am-check: build/linux has uncommitted changes or untracked files; the series does not carry them: commit and 'make series', or 'make tree-reset'"
	want=$($GIT rev-parse 'HEAD^{tree}')
	key="$PIN_VER $(series_hash) $want"
	if [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		echo "    am-check: passed before for this series and tree"
		return 0
	fi
	t0=$(date +%s.%N)
	step "am-check: git am of kernel/patches onto a fresh extract of $SRC_PKG $PIN_VER"
	src_check
	rm -f "$stamp"
	unpack_source "$dir"
	$g init -q
	# The same import as the tree's base (commit_source).
	debian_gitignore "$dir"
	$g add -f -A
	$g commit -q -m "Debian $SRC_PKG $PIN_VER"
	for p in $(series_patches); do
		n=$((n + 1))
		$g am -q --keep-cr "$KDIR/patches/$p" >"$LOGS/am-check.log" 2>&1 ||
			die "am-check: kernel/patches/$p (patch $n) does not apply with git am: see $LOGS/am-check.log"
	done
	got=$($g rev-parse 'HEAD^{tree}')
	if [ "$got" != "$want" ]; then
		$g diff --stat "$want" "$got" >"$LOGS/am-check.log" 2>&1 || true
		die "am-check: the series applied with git am differs from build/linux's HEAD (the tree under test): $LOGS/am-check.log; run 'make series'"
	fi
	rm -rf "$dir"
	echo "$key" >"$stamp"
	echo "    $n patches applied with git am; the result is the tree under test ($(elapsed "$t0") s)"
}

# Commit the Debian source of version $1, unpacked in $2, on top of the
# commit $3 (none: a root commit), without touching the tree's work tree.
# Prints the new commit.
commit_source() {
	local ver=$1 dir=$2 parent=${3:-} idx=$KTREE/.git/vsm-source-index tree
	# Unpacked in the tree itself: its own index, left filled.
	[ "$dir" != "$KTREE" ] || idx=$KTREE/.git/index
	debian_gitignore "$dir"
	[ "$dir" = "$KTREE" ] || rm -f "$idx"
	GIT_INDEX_FILE=$idx $GIT --work-tree="$dir" add -f -A
	tree=$(GIT_INDEX_FILE=$idx $GIT write-tree)
	[ "$dir" = "$KTREE" ] || rm -f "$idx"
	$GIT commit-tree "$tree" ${parent:+-p "$parent"} \
		-m "Debian $SRC_PKG $ver (Linux $(kversion "$dir"))" \
		-m "With the Debian packaging block of .gitignore removed."
}

# A rebase onto commit $1 stopped: name the patch (of $2) and its files.
rebase_stopped() {
	local done subj files
	done=$($GIT rev-list --count "$1"..HEAD 2>/dev/null || echo 0)
	subj=$($GIT log -1 --format=%s REBASE_HEAD 2>/dev/null || true)
	files=$($GIT diff --name-only --diff-filter=U 2>/dev/null | tr '\n' ' ')
	die "patch $((done + 1))/$2${subj:+ ($subj)} conflicts in ${files:-(see $LOGS/rebase.log) }: resolve it in build/linux, 'git -C build/linux rebase --continue', then 'make rebase VERSION=$3' again"
}

# tree.sh rebase VERSION: move the series from the pinned version of the
# source package onto VERSION, and the pin with it. On a conflict it stops;
# resolve it in build/linux, 'git rebase --continue' there, and run it
# again with the same VERSION to finish.
cmd_rebase() {
	local to=${1:-} state=$KTREE/.git/vsm-rebase base="" up deb n
	[ -n "$to" ] || die "usage: make rebase VERSION=<a Debian version of $SRC_PKG>"
	printf '%s' "$to" | grep -Eq "$PIN_DEB_RE" ||
		die "'$to' is not a Debian version (like 6.12.118-1~deb12u1)"
	if [ -f "$state" ]; then
		read -r n base <"$state"
		[ "$n" = "$to" ] ||
			die "a rebase onto $n is under way in build/linux: finish it with 'make rebase VERSION=$n', or drop it with 'git -C build/linux rebase --abort; rm $state'"
		[ ! -d "$KTREE/.git/rebase-merge" ] && [ ! -d "$KTREE/.git/rebase-apply" ] ||
			die "the rebase onto $to is still under way: resolve the conflicts in build/linux, 'git -C build/linux rebase --continue', then 'make rebase VERSION=$to' again"
	else
		[ "$to" != "$PIN_VER" ] || die "$PIN_FILE already pins $SRC_PKG $to"
		cmd_prepare
		$GIT diff --quiet HEAD ||
			die "build/linux has uncommitted changes: commit them and 'make series', or 'make tree-reset'"
		pin_need "$SRC_PKG" "$to" "(make rebase VERSION)"
		deb=$BUILD/debs
		rm -rf "$deb" && mkdir -p "$deb/src"
		step "rebase: fetching $SRC_PKG $to"
		(cd "$deb" && run_logged "$LOGS/apt-download.log" apt-get download "$SRC_PKG=$to") ||
			die "cannot download $SRC_PKG $to"
		dpkg-deb --fsys-tarfile "$deb"/*.deb |
			tar -xO "./usr/src/$SRC_PKG.tar.xz" |
			tar -xJ -C "$deb/src" --strip-components=1 ||
			die "cannot unpack the source of $SRC_PKG $to"
		base=$(commit_source "$to" "$deb/src" vsm-base)
		rm -rf "$deb"
		echo "$to $base" >"$state"
		n=$(series_patches | wc -l)
		step "rebase: $n patches onto $SRC_PKG $to"
		$GIT rebase -q --onto "$base" vsm-base >"$LOGS/rebase.log" 2>&1 ||
			rebase_stopped "$base" "$n" "$to"
	fi
	up=$(kversion)
	$GIT tag -f vsm-base "$base" >/dev/null
	echo "$to" >"$STAMP_SRC"
	pin_write "$KDIR/base" "$to" "$up"
	rm -f "$state"
	cmd_series
	echo "rebased onto $SRC_PKG $to (Linux $up); $PIN_FILE moved. Next: make bisect-build, make check, make check KCONFIG=debug, then commit kernel/"
}

cmd_reset() {
	[ -d "$KTREE/.git" ] || die "no kernel tree yet"
	$GIT am --abort >/dev/null 2>&1 || true
	rm -f "$STAMP_APPLIED"
	$GIT reset -q --hard vsm-base
	cmd_prepare
}

case ${1:-} in
prepare) cmd_prepare ;;
config) cmd_config ;;
build) cmd_build ;;
guest) cmd_guest ;;
headers) cmd_headers ;;
series) cmd_series ;;
am-check) cmd_am_check ;;
reset) cmd_reset ;;
rebase) cmd_rebase "${2:-}" ;;
*) die "usage: tree.sh prepare|config|build|headers|series|am-check|reset|rebase VERSION" ;;
esac
