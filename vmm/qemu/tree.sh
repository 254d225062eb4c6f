#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The QEMU tree of the rig: the Debian QEMU source that vmm/qemu/base pins,
# unpacked with Debian's own patches applied, in a git repository (tag
# qemu-base), with vmm/qemu/series applied as commits; and the one binary
# our tests need, qemu-system-x86_64, built from it with ccache.
#
#   tree.sh prepare   unpack if needed, apply the series
#   tree.sh build     configure (again only when the options change), build
#   tree.sh series    export the tree's commits to vmm/qemu/patches + series
set -eu
. "$(dirname "$0")/../../tests/rig/lib.sh"
. "$TOP/tests/rig/pin.sh"

QDIR=$TOP/vmm/qemu
QTREE=${QTREE:-$BUILD/qemu}
QOUT=$QTREE/out
pin_read "$QDIR/base"
STAMP_SRC=$QTREE/.git/vsm-source
STAMP_APPLIED=$QTREE/.git/vsm-applied
GIT="git -C $QTREE -c user.name=vsm-rig -c user.email=vsm-rig@localhost"

series_patches() { entries "$QDIR/series"; }
series_hash() {
	{
		cat "$QDIR/series"
		for p in $(series_patches); do cat "$QDIR/patches/$p"; done
	} | sha256sum | cut -c1-16
}
qemu_version() { cat "$1/VERSION" 2>/dev/null || true; }

# Unpack the fetched source package with Debian's patches applied, as a
# git repository whose first commit is the pinned source.
extract() {
	local dsc tmp t0
	dsc=$(pin_src_dsc)
	[ -f "$dsc" ] || die "no ${dsc#"$TOP"/}: 'make deps-qemu' fetches the source $PIN_FILE pins"
	t0=$(date +%s.%N)
	step "extract: $PIN_PKG $PIN_VER, with Debian's patches, into ${QTREE#"$TOP"/}"
	tmp=$QTREE.new
	rm -rf "$tmp" "$QTREE"
	run_logged "$LOGS/qemu-extract.log" dpkg-source --no-check -x "$dsc" "$tmp" ||
		die "cannot unpack ${dsc#"$TOP"/}"
	# The packaging and quilt's state are not QEMU's source.
	rm -rf "$tmp/debian" "$tmp/.pc"
	git -C "$tmp" init -q
	echo "/out/" >>"$tmp/.git/info/exclude"
	git -C "$tmp" add -A -f .
	git -C "$tmp" -c user.name=vsm-rig -c user.email=vsm-rig@localhost \
		commit -q -m "Debian $PIN_PKG $PIN_VER (QEMU $PIN_UP, Debian's patches applied)"
	git -C "$tmp" tag qemu-base
	mv "$tmp" "$QTREE"
	echo "$PIN_VER" >"$STAMP_SRC"
	echo "    unpacked and committed in $(elapsed "$t0") s"
}

# Apply the series on qemu-base, unless it is applied already.
apply() {
	local want head
	want=$(series_hash)
	head=$($GIT rev-parse HEAD)
	if [ "$(cut -d' ' -f1 "$STAMP_APPLIED" 2>/dev/null)" = "$want" ] &&
		[ "$(cut -d' ' -f2 "$STAMP_APPLIED" 2>/dev/null)" = "$head" ]; then
		return 0
	fi
	$GIT diff --quiet HEAD ||
		die "${QTREE#"$TOP"/} has uncommitted changes: commit them and 'vmm/qemu/tree.sh series', or 'git -C ${QTREE#"$TOP"/} checkout .'"
	if [ "$head" != "$($GIT rev-parse qemu-base)" ] &&
		[ "$(cut -d' ' -f2 "$STAMP_APPLIED" 2>/dev/null)" != "$head" ]; then
		die "${QTREE#"$TOP"/} has commits not in vmm/qemu/series: export them with 'vmm/qemu/tree.sh series' first"
	fi
	$GIT reset -q --hard qemu-base
	local n=0
	for p in $(series_patches); do
		[ -f "$QDIR/patches/$p" ] || die "vmm/qemu/series names $p, which vmm/qemu/patches lacks"
		$GIT am -q --keep-cr "$QDIR/patches/$p" >>"$LOGS/qemu-am.log" 2>&1 || {
			$GIT am --abort >/dev/null 2>&1 || true
			die "vmm/qemu/patches/$p does not apply to $PIN_PKG $PIN_VER (log: $LOGS/qemu-am.log)"
		}
		n=$((n + 1))
	done
	echo "$want $($GIT rev-parse HEAD)" >"$STAMP_APPLIED"
	echo "    QEMU series: $n patches applied"
}

prepare() {
	local verdict
	verdict=$(pin_tree "$QTREE" "$STAMP_SRC" "$STAMP_APPLIED" qemu_version) || exit 1
	if [ "$verdict" = extract ]; then
		extract
		# The new tree carries the pin's upstream version, or stops here.
		pin_tree "$QTREE" "$STAMP_SRC" "$STAMP_APPLIED" qemu_version >/dev/null || exit 1
	fi
	echo "    QEMU source: Debian $PIN_PKG $PIN_VER, QEMU $(qemu_version "$QTREE")"
	apply
}

# What our tests need of QEMU: the x86_64 system emulator with KVM (the
# VSM VMs, inside the test VM) and TCG (the test VM itself, later), with
# Debian's libfdt (the microvm machine needs it); no tools, docs, audio or
# UI. Firmware comes from Debian's qemu-system-data
# and seabios, as for Debian's own build (whose source ships no blobs).
CONFIGURE_OPTS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-kvm --enable-tcg
	--enable-fdt=system
	--disable-user --disable-tools --disable-docs
	--audio-drv-list=
	--disable-werror
	--with-git-submodules=ignore
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	"--with-pkgversion=vsm-rig, Debian $PIN_VER"
)

build() {
	local t0 want
	[ -d "$QTREE/.git" ] || die "no QEMU tree at ${QTREE#"$TOP"/}: run 'vmm/qemu/tree.sh prepare' (make qemu)"
	# ccache through Debian's masquerade directory: QEMU's configure takes
	# one compiler word. Keys do not depend on the folder (BASEDIR for
	# paths, NOHASHDIR for the debug info's working directory), so a
	# fresh clone hits the cache of another.
	[ -d /usr/lib/ccache ] || die "ccache missing (make deps-qemu)"
	export PATH=/usr/lib/ccache:$PATH CCACHE_BASEDIR=$QTREE CCACHE_NOHASHDIR=1
	want=$(printf '%s\n' "${CONFIGURE_OPTS[@]}" | sha256sum | cut -c1-16)
	if [ "$(cat "$QOUT/vsm-configured" 2>/dev/null)" != "$want" ]; then
		step "configure: QEMU $(qemu_version "$QTREE") for x86_64-softmmu (KVM and TCG)"
		rm -rf "$QOUT"
		mkdir -p "$QOUT"
		(cd "$QOUT" && run_logged "$LOGS/qemu-configure.log" ../configure "${CONFIGURE_OPTS[@]}") ||
			die "QEMU's configure failed (log: $LOGS/qemu-configure.log)"
		echo "$want" >"$QOUT/vsm-configured"
	fi
	t0=$(date +%s.%N)
	step "build: qemu-system-x86_64 ($PIN_PKG $PIN_VER + $(series_patches | grep -c '' || true) patches, -j$(nproc), ccache)"
	run_logged "$LOGS/qemu-build.log" ninja -C "$QOUT" -j"$(nproc)" qemu-system-x86_64 ||
		die "QEMU build failed (log: $LOGS/qemu-build.log)"
	# Run from the build folder, QEMU looks for firmware in its bundle
	# (out/qemu-bundle + firmwarepath): point that at Debian's.
	for d in /usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu; do
		[ -d "$d" ] || continue
		mkdir -p "$(dirname "$QOUT/qemu-bundle$d")"
		ln -sfn "$d" "$QOUT/qemu-bundle$d"
	done
	echo "    built ${QOUT#"$TOP"/}/qemu-system-x86_64 in $(elapsed "$t0") s"
}

# Export the tree's commits since qemu-base as vmm/qemu/patches + series.
series() {
	local n
	[ -d "$QTREE/.git" ] || die "no QEMU tree at ${QTREE#"$TOP"/}"
	$GIT diff --quiet HEAD || die "${QTREE#"$TOP"/} has uncommitted changes: commit them first"
	rm -rf "$QDIR/patches"
	mkdir -p "$QDIR/patches"
	$GIT format-patch -q --no-signature --zero-commit -N -o "$QDIR/patches" qemu-base..HEAD
	n=$(find "$QDIR/patches" -name '*.patch' | wc -l)
	{
		sed -n '1,/^# Empty until/p' "$QDIR/series" | grep '^#'
		(cd "$QDIR/patches" && ls -- *.patch 2>/dev/null || true)
	} >"$QDIR/series.new"
	mv "$QDIR/series.new" "$QDIR/series"
	[ "$n" -gt 0 ] || rmdir "$QDIR/patches"
	echo "$(series_hash) $($GIT rev-parse HEAD)" >"$STAMP_APPLIED"
	echo "exported $n patches to vmm/qemu/patches, order in vmm/qemu/series"
}

case ${1:-} in
prepare) prepare ;;
build) build ;;
series) series ;;
*) die "usage: vmm/qemu/tree.sh prepare|build|series" ;;
esac
