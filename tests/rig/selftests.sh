#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the KVM selftests of tests/kvm/TESTS and tests/bench/BENCH, statically, against the
# uAPI headers of the tree's out-$KCONFIG.
set -eu
. "$(dirname "$0")/lib.sh"

SELFTESTS=$KTREE/tools/testing/selftests/kvm
OUTPUT=$BUILD/selftests-$KCONFIG

test_names() {
	local lists=$TOP/tests/kvm/TESTS

	[ -f "$TOP/tests/bench/BENCH" ] && lists="$lists $TOP/tests/bench/BENCH"
	entries $lists | awk '{ print $1 }'
}

t0=$(date +%s.%N)
targets=$(test_names | grep -v '^vmm/' | sed "s|^|$OUTPUT/|")
step "selftests: building $(test_names | wc -l) KVM selftests (static)"
mkdir -p "$OUTPUT"
run_logged "$LOGS/selftests-$KCONFIG.log" \
	make -C "$SELFTESTS" -j"$JOBS" OUTPUT="$OUTPUT" CC="ccache gcc" \
		KHDR_INCLUDES="-isystem $KOUT/usr/include" EXTRA_CFLAGS=-static \
		$targets || die "selftest build failed"
# The VMM's own tests (vmm/ entries of the lists): the VMM, its replay
# guest, the VTL2 Linux guest and the test scripts, next to the selftests.
mkdir -p "$OUTPUT/vmm"
cp "$BUILD/vmm/vmm" "$BUILD/vmm/replay.bin" "$TOP/tests/kvm/vmm_replay_test" \
	"$TOP/tests/kvm/vmm_vtl2_linux_test" "$OUTPUT/vmm/"
cp "$KTREE/out-vtl2-guest/arch/x86/boot/bzImage" "$OUTPUT/vmm/vtl2-bzImage"
cp "$BUILD/vtl2-guest/initrd.gz" "$OUTPUT/vmm/vtl2-initrd.gz"
for t in $targets; do
	[ -x "$t" ] || die "selftest ${t#$OUTPUT/} was not built"
done
echo "    built in $(elapsed "$t0") s into ${OUTPUT#$TOP/}"
