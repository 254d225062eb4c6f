#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the rig needs through apt, only where something is missing.
# Usage: deps.sh [kernel] [unit] [bench]  (default: all)
set -eu
. "$(dirname "$0")/lib.sh"

want=${*:-kernel unit bench}
pkgs=""
for w in $want; do
	case $w in
	kernel) pkgs="$pkgs linux-source-6.12 qemu-system-x86 busybox-static ccache gcc make bc bison flex libelf-dev libssl-dev cpio xz-utils kmod python3 perl git rsync file" ;;
	unit) pkgs="$pkgs gcc make clang libclang-rt-14-dev liburcu-dev xz-utils linux-source-6.12 git" ;;
	bench) pkgs="$pkgs valgrind gnuplot-nox" ;;
	*) die "deps.sh: unknown group '$w'" ;;
	esac
done

missing=""
for p in $(printf '%s\n' $pkgs | sort -u); do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

command -v apt-get >/dev/null || die "missing packages:$missing (and no apt-get to install them)"
[ "$(id -u)" = 0 ] || die "missing packages:$missing; run as root or install them: apt-get install$missing"
step "apt: installing$missing"
export DEBIAN_FRONTEND=noninteractive
run_logged "$LOGS/apt-update.log" apt-get update ||
	die "apt-get update failed (no network?); missing:$missing"
run_logged "$LOGS/apt-install.log" apt-get install -y --no-install-recommends $missing ||
	die "apt-get install failed for:$missing"
