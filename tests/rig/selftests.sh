#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the KVM selftests of tests/kvm/TESTS and tests/bench/BENCH, statically, against the
# uAPI headers of the tree's out-$KCONFIG, and stage what the VMM's, QEMU's
# and libvirt's tests need in the test VM.
#   selftests.sh         all of it (make selftests)
#   selftests.sh stage   only QEMU's and libvirt's files (make run VMM=qemu|libvirt)
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
STAGE_ONLY=0
[ "${1:-}" = stage ] && STAGE_ONLY=1
targets=""
if [ $STAGE_ONLY = 0 ]; then
	targets=$(test_names | grep -v '^vmm/\|^qemu/\|^libvirt/' | sed "s|^|$OUTPUT/|")
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
fi
# QEMU's tests (qemu/ entries): the tests, their guests, the VMM (for
# vmm --report), and our QEMU with
# what it needs at run time, under qemu/root, which vm.sh copies into the
# initramfs's root: the binary (stripped), the libraries ldd names, at
# their paths, and the firmware of the pc machine and of -kernel.
mkdir -p "$OUTPUT/qemu"
cp "$TOP/tests/qemu/qemu_vsm_test" "$TOP/tests/qemu/qemu_dma_bench" \
	"$TOP/tests/qemu/qemu_replay_test" "$BUILD/qemu-guest/vsm_guest.bin" \
	"$BUILD/qemu-guest/replay_qemu.bin" "$BUILD/vmm/vmm" "$OUTPUT/qemu/"
QBIN=$BUILD/qemu/out/qemu-system-x86_64
[ -x "$QBIN" ] || die "no ${QBIN#"$TOP"/} (make qemu)"
QROOT=$OUTPUT/qemu/root
if [ ! -f "$QROOT/usr/bin/qemu-system-x86_64" ] || [ "$QBIN" -nt "$QROOT/usr/bin/qemu-system-x86_64" ]; then
	rm -rf "$QROOT"
	mkdir -p "$QROOT/usr/bin" "$QROOT/usr/share/qemu" "$QROOT/usr/share/seabios"
	stage_elf "$QROOT" "$QBIN" /usr/bin/qemu-system-x86_64
	strip "$QROOT/usr/bin/qemu-system-x86_64"
	for fw in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/multiboot_dma.bin; do
		[ -f "$fw" ] || die "$fw missing: QEMU's firmware (make deps-qemu)"
		cp -L "$fw" "$QROOT$fw"
	done
fi
# libvirt's test (libvirt/ entries): the test, the replay guest, the VMM
# (vmm --report), and under libvirt/root libvirtd, virsh and the QEMU
# driver of our libvirt as installed in build/libvirt-root, with their
# libraries, configuration, CPU map and schemas.
LDEST=$BUILD/libvirt-root
[ -x "$LDEST/usr/sbin/libvirtd" ] || die "no libvirt installed in ${LDEST#"$TOP"/} (make libvirt)"
mkdir -p "$OUTPUT/libvirt"
cp "$TOP/tests/libvirt/libvirt_vsm_test" "$BUILD/qemu-guest/replay_qemu.bin" \
	"$BUILD/vmm/vmm" "$OUTPUT/libvirt/"
LR=$OUTPUT/libvirt/root
# Staged again only after libvirt was installed again (vmm/libvirt/tree.sh).
if [ ! -f "$LR.staged" ] || [ "$LDEST/.vsm-installed" -nt "$LR.staged" ]; then
	rm -rf "$LR"
	LLIB=/usr/lib/x86_64-linux-gnu
	for f in /usr/sbin/libvirtd /usr/bin/virsh $LLIB/libvirt/connection-driver/libvirt_driver_qemu.so; do
		stage_elf "$LR" "$LDEST$f" "$f" "$LDEST"
	done
	mkdir -p "$LR/usr/share/libvirt" "$LR/etc/libvirt"
	cp -a "$LDEST/usr/share/libvirt/cpu_map" "$LDEST/usr/share/libvirt/schemas" "$LR/usr/share/libvirt/"
	cp "$LDEST/etc/libvirt/libvirtd.conf" "$LDEST/etc/libvirt/libvirt.conf" "$LR/etc/libvirt/"
	# libvirtd looks the QEMU user up (qemu.conf: root).
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$LR/etc/passwd"
	printf 'root:x:0:\n' >"$LR/etc/group"
	: >"$LR.staged"
fi
for t in $targets; do
	[ -x "$t" ] || die "selftest ${t#$OUTPUT/} was not built"
done
if [ $STAGE_ONLY = 1 ]; then
	echo "    staged QEMU's and libvirt's files in $(elapsed "$t0") s into ${OUTPUT#$TOP/}"
else
	echo "    built in $(elapsed "$t0") s into ${OUTPUT#$TOP/}"
fi
