#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the rig needs through apt, only where something is missing,
# and the Debian sources we build from at exactly their pinned versions.
# Usage: deps.sh [kernel] [unit] [bench] [qemu] [libvirt]  (default: all)
#        deps.sh news   one line for each pin that Debian offers newer
set -eu
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/rig/pin.sh"

# The pin files of the Debian sources, by group (tests/rig/pin.sh).
KERNEL_PIN=$TOP/kernel/base
QEMU_PIN=$TOP/vmm/qemu/base
LIBVIRT_PIN=$TOP/vmm/libvirt/base

if [ "${1:-}" = news ]; then
	for f in $KERNEL_PIN $QEMU_PIN $LIBVIRT_PIN; do pin_news "$f"; done
	exit 0
fi

want=${*:-kernel unit bench qemu libvirt}
pkgs=""
pins=""
for w in $want; do
	case $w in
	kernel)
		pkgs="$pkgs qemu-system-x86 busybox-static ccache gcc make bc bison flex libelf-dev libssl-dev cpio xz-utils kmod python3 perl git rsync file"
		pins="$pins $KERNEL_PIN" ;;
	unit)
		pkgs="$pkgs gcc make clang libclang-rt-14-dev liburcu-dev xz-utils git"
		pins="$pins $KERNEL_PIN" ;;
	bench) pkgs="$pkgs valgrind gnuplot-nox" ;;
	qemu)
		# QEMU's build (vmm/qemu/tree.sh): dpkg-source unpacks the
		# pinned source; qemu-system-data and seabios give the firmware.
		pkgs="$pkgs dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev python3 ccache gcc make git qemu-system-data seabios"
		pins="$pins $QEMU_PIN" ;;
	libvirt)
		# libvirt's build (vmm/libvirt/tree.sh): its required programs
		# (xsltproc, xmllint, rpcgen) and libraries; YAJL for the QEMU
		# driver; the docs are not built.
		pkgs="$pkgs dpkg-dev meson ninja-build pkg-config python3 perl ccache gcc make git xsltproc libxml2-utils rpcsvc-proto libglib2.0-dev libxml2-dev libgnutls28-dev libtirpc-dev libyajl-dev"
		pins="$pins $LIBVIRT_PIN" ;;
	*) die "deps.sh: unknown group '$w'" ;;
	esac
done

# Read every pin first: a bad one stops before anything is installed.
pins=$(printf '%s\n' $pins | sort -u)
for f in $pins; do pin_read "$f"; done

missing=""
for p in $(printf '%s\n' $pkgs | sort -u); do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	command -v apt-get >/dev/null || die "missing packages:$missing (and no apt-get to install them)"
	[ "$(id -u)" = 0 ] || die "missing packages:$missing; run as root or install them: apt-get install$missing"
	step "apt: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	run_logged "$LOGS/apt-update.log" apt-get update ||
		die "apt-get update failed (no network?); missing:$missing"
	run_logged "$LOGS/apt-install.log" apt-get install -y --no-install-recommends $missing ||
		die "apt-get install failed for:$missing"
fi

for f in $pins; do pin_ensure "$f"; done
