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

ST_NAME=QEMU
ST_DIR=$TOP/vmm/qemu
ST_TREE=${QTREE:-$BUILD/qemu}
ST_TAG=qemu-base
ST_EXCLUDE=/out/
st_version() { cat "$1/VERSION" 2>/dev/null || true; }
pin_read "$ST_DIR/base"
. "$TOP/tests/rig/srctree.sh"
QTREE=$ST_TREE
QOUT=$QTREE/out

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
		step "configure: QEMU $(st_version "$QTREE") for x86_64-softmmu (KVM and TCG)"
		rm -rf "$QOUT"
		mkdir -p "$QOUT"
		(cd "$QOUT" && run_logged "$LOGS/qemu-configure.log" ../configure "${CONFIGURE_OPTS[@]}") ||
			die "QEMU's configure failed (log: $LOGS/qemu-configure.log)"
		echo "$want" >"$QOUT/vsm-configured"
	fi
	t0=$(date +%s.%N)
	step "build: qemu-system-x86_64 ($PIN_PKG $PIN_VER + $(st_patches | grep -c '' || true) patches, -j$(nproc), ccache)"
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

case ${1:-} in
prepare) st_prepare ;;
build) build ;;
series) st_series ;;
*) die "usage: vmm/qemu/tree.sh prepare|build|series" ;;
esac
