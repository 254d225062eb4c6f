#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build every patch of kernel/series in turn, as a bisection would: the
# bzImage of build/linux checked out at that patch, nothing placed around
# it (the series carries every file), and the VSM selftests the series'
# selftest Makefile names by then. Incremental, in build/linux/out-bisect (the
# normal kernel's .config); the tree goes back to its last patch after.
#
#   make bisect-build      (after make kernel)

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
KTREE=$TOP/build/linux
OUT=out-bisect
ST=$TOP/build/selftests-bisect
LOGS=$TOP/build/logs
GIT="git -C $KTREE"

die() {
	echo "error: $*" >&2
	exit 1
}

[ -d "$KTREE/.git" ] || die "no kernel tree: run make kernel first"
[ -f "$KTREE/out-normal/.config" ] || die "no out-normal/.config: run make kernel first"
$GIT diff --quiet HEAD || die "build/linux has uncommitted changes"
head=$($GIT symbolic-ref -q --short HEAD || $GIT rev-parse HEAD)
mkdir -p "$KTREE/$OUT" "$LOGS"
[ -f "$KTREE/$OUT/.config" ] || cp "$KTREE/out-normal/.config" "$KTREE/$OUT/.config"
trap '$GIT checkout -q "$head"' EXIT

n=0
fails=0
for c in $($GIT rev-list --reverse vsm-base..HEAD); do
	n=$((n + 1))
	$GIT checkout -q "$c"
	log=$LOGS/bisect-$n.log
	make -s -C "$KTREE" O=$OUT olddefconfig >"$log" 2>&1
	t0=$(date +%s)
	r=ok
	make -s -C "$KTREE" O=$OUT CC="ccache gcc" -j"$(nproc)" bzImage \
		>>"$log" 2>&1 || r=FAIL
	vsm=off
	grep -q '^CONFIG_KVM_HYPERV_VSM=y' "$KTREE/$OUT/.config" && vsm=on
	tests=""
	if [ $r = ok ]; then
		make -s -C "$KTREE" O=$OUT headers_install >>"$log" 2>&1
		for t in $($GIT diff vsm-base.."$c" -- tools/testing/selftests/kvm/Makefile |
			   grep '^+' | grep -o 'x86_64/vsm_[a-z0-9_]*' | sort -u); do
			if make -s -C "$KTREE/tools/testing/selftests/kvm" OUTPUT="$ST" \
				CC="ccache gcc" EXTRA_CFLAGS=-static \
				KHDR_INCLUDES="-isystem $KTREE/$OUT/usr/include" \
				"$ST/$t" >>"$log" 2>&1; then
				tests="$tests ${t#x86_64/}"
			else
				tests="$tests ${t#x86_64/}:FAIL"
				r=FAIL
			fi
		done
	fi
	[ $r = ok ] || fails=$((fails + 1))
	printf '%-4s %2d  VSM %-3s %4ss  %s%s\n' "$r" "$n" "$vsm" \
		"$(($(date +%s) - t0))" "$($GIT log -1 --format=%s "$c")" \
		"${tests:+  [$tests ]}"
done

# The last patch once more with VSM off: KVM with Hyper-V but without
# CONFIG_KVM_HYPERV_VSM (every 32-bit build) must build too. Only KVM's
# folder, in out-bisect-novsm.
NOVSM=out-bisect-novsm
mkdir -p "$KTREE/$NOVSM"
cp "$KTREE/$OUT/.config" "$KTREE/$NOVSM/.config"
"$KTREE/scripts/config" --file "$KTREE/$NOVSM/.config" -d KVM_HYPERV_VSM
log=$LOGS/bisect-novsm.log
t0=$(date +%s)
r=ok
make -s -C "$KTREE" O=$NOVSM olddefconfig >"$log" 2>&1 || r=FAIL
grep -q '^CONFIG_KVM_HYPERV=y' "$KTREE/$NOVSM/.config" || r=FAIL
[ $r = FAIL ] || make -s -C "$KTREE" O=$NOVSM CC="ccache gcc" -j"$(nproc)" \
	arch/x86/kvm/ >>"$log" 2>&1 || r=FAIL
[ $r = ok ] || fails=$((fails + 1))
printf '%-4s %2d  VSM off %4ss  arch/x86/kvm/ of the last patch, CONFIG_KVM_HYPERV_VSM=n\n' \
	"$r" "$n" "$(($(date +%s) - t0))"
echo "$((n - fails)) patches built, $fails failed (logs: build/logs/bisect-N.log, bisect-novsm.log)"
[ $fails = 0 ]
