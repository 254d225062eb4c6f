#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the rig kernel under QEMU (TCG, -cpu max: SVM with nested paging, so
# kvm_amd works in the guest) with an initramfs, and report.
#
#   vm.sh check   run tests/kvm/TESTS; print TAP lines and "N passed, N failed"
#   vm.sh bench   run tests/bench/BENCH the same way, showing their output
#   vm.sh run     run the VMM with the replay guest ($RUN_ARGS; VMM=qemu: under
#                 our QEMU, VMM=libvirt: in a libvirt domain), or the commands
#                 of $VMM_JOB (RIG_ROOT: a tree added to the initramfs), and
#                 show what they printed
set -eu
. "$(dirname "$0")/lib.sh"

MODE=${1:-check}
LIST=$TOP/tests/kvm/TESTS
[ "$MODE" = bench ] && LIST=$TOP/tests/bench/BENCH
KERNEL=$KOUT/arch/x86/boot/bzImage
SELFTESTS=$BUILD/selftests-$KCONFIG
IRD=$BUILD/initramfs-$MODE-$KCONFIG
LOG=$LOGS/vm-$MODE-$KCONFIG.log
# QEMU's own log: each CPU reset with the registers before it, so that a
# test VM that triple-faults (QEMU exits, -no-reboot) leaves its state.
QLOG=$LOGS/vm-$MODE-$KCONFIG.qemu.log
VM_MEM=${VM_MEM:-3G}
VM_CPUS=${VM_CPUS:-2}
# A debug kernel patches static keys even without JUMP_LABEL users of ours;
# single-threaded TCG is the safe choice there (see Documentation/rig.rst).
TCG=tcg,thread=multi
[ "$KCONFIG" = normal ] || TCG=tcg,thread=single
# RIG_ICOUNT=1: the test VM's clock counts instructions (one a ns), so that
# a benchmark's time is a repeatable instruction count (make bench-dma).
ICOUNT=""
if [ "${RIG_ICOUNT:-0}" = 1 ]; then
	TCG=tcg,thread=single
	ICOUNT="-icount shift=0,sleep=off"
fi
SLOW=1
[ "$KCONFIG" = normal ] || SLOW=4

[ -f "$KERNEL" ] || die "no kernel at ${KERNEL#$TOP/}: build it first (make kernel)"
# The test VM runs under our QEMU (vmm/qemu/series), not Debian's binary:
# its first patch fixes TCG's SVM, which delivered an interrupt KVM
# injected twice, the second time into a guest with interrupts disabled
# (Documentation/rig.rst, "The test VM's QEMU").
QEMU=${RIG_QEMU:-$BUILD/qemu/out/qemu-system-x86_64}
# RIG_QEMU_ARGS: more QEMU options, split at spaces (make bench-profile).
QEMU_ARGS=${RIG_QEMU_ARGS:-}
[ -x "$QEMU" ] || die "no QEMU at ${QEMU#$TOP/}: build it first (make qemu)"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list >/dev/null 2>&1 || die "busybox-static missing (make deps)"
file -L "$BUSYBOX" 2>/dev/null | grep -q dynamically && die "$BUSYBOX is not static (install busybox-static)"

# ONLY="name ...": run just these tests of tests/kvm/TESTS (for development).
# On a debug kernel, "# debug-args: ARGS" at the end of a line replaces its
# arguments.
list() {
	if [ "$KCONFIG" = normal ]; then
		cat "$LIST"
	else
		sed -E 's/^([^#[:space:]]+[[:space:]]+[0-9]+)[^#]*#.*debug-args:(.*)$/\1 \2/' "$LIST"
	fi | entries |
		awk -v only="${ONLY:-}" 'BEGIN { n = split(only, o, " "); for (i = 1; i <= n; i++) want[o[i]] = 1 }
			{ name = $1; sub(/.*\//, "", name) } n == 0 || name in want'
}

# --- initramfs ---------------------------------------------------------------
rm -rf "$IRD"
mkdir -p "$IRD/bin" "$IRD/rig/bin" "$IRD/rig/tests"
: >"$IRD/rig/expect"
cp "$BUSYBOX" "$IRD/bin/busybox"
install -m 755 "$TOP/tests/rig/init" "$IRD/init"
budget=60
case $MODE in
check | bench)
	[ -n "$(list)" ] || die "no test of ${LIST#$TOP/} matches ONLY=\"${ONLY:-}\" (base names, e.g. vsm_mmu_test)"
	list | while read -r path limit _; do
		[ -x "$SELFTESTS/$path" ] || die "test binary $path missing from ${SELFTESTS#$TOP/} (make selftests)"
		mkdir -p "$IRD/rig/tests/$(dirname "$path")"
		cp "$SELFTESTS/$path" "$IRD/rig/tests/$path"
	done
	# The VMM's test needs the VMM and its guest next to it.
	[ -d "$IRD/rig/tests/vmm" ] && cp "$SELFTESTS/vmm/"* "$IRD/rig/tests/vmm/"
	# QEMU's tests: the guest, and QEMU with its libraries and firmware.
	if [ -d "$IRD/rig/tests/qemu" ]; then
		cp "$SELFTESTS/qemu/vsm_guest.bin" "$SELFTESTS/qemu/replay_qemu.bin" \
			"$SELFTESTS/qemu/vmm" "$IRD/rig/tests/qemu/"
		cp -a "$SELFTESTS/qemu/root/." "$IRD/"
	fi
	# libvirt's test: its guest, the VMM, QEMU and libvirt.
	if [ -d "$IRD/rig/tests/libvirt" ]; then
		cp "$SELFTESTS/libvirt/replay_qemu.bin" "$SELFTESTS/libvirt/vmm" "$IRD/rig/tests/libvirt/"
		cp -a "$SELFTESTS/qemu/root/." "$SELFTESTS/libvirt/root/." "$IRD/"
	fi
	list | awk -v s="$SLOW" '{ $2 = $2 * s; print }' >"$IRD/rig/list"
	# What the report expects: each test, and whether it may skip.
	list | while read -r path _; do
		grep -qE "^$path[[:space:]].*# may-skip" "$LIST" && echo "$path may-skip" || echo "$path"
	done >"$IRD/rig/expect"
	cp "$TOP/tests/rig/job-check" "$IRD/rig/job"
	budget=$((budget + $(awk '{ t += $2 } END { print t }' "$IRD/rig/list")))
	;;
run)
	[ -x "$BUILD/vmm/vmm" ] || die "no VMM at build/vmm/vmm (make vmm)"
	cp "$BUILD/vmm/vmm" "$BUILD/vmm/replay.bin" "$IRD/rig/bin/"
	job="vmm ${RUN_ARGS:-} /rig/bin/replay.bin"
	# VMM=qemu: the replay under our QEMU, from its multiboot entry.
	if [ "${VMM:-vmm}" = qemu ]; then
		[ -f "$SELFTESTS/qemu/replay_qemu.bin" ] || die "no replay_qemu.bin in ${SELFTESTS#"$TOP"/} (make selftests)"
		cp "$SELFTESTS/qemu/replay_qemu.bin" "$SELFTESTS/qemu/qemu_replay_test" "$IRD/rig/bin/"
		cp -a "$SELFTESTS/qemu/root/." "$IRD/"
		job="qemu_replay_test --run ${RUN_ARGS:-}"
	fi
	# VMM=libvirt: the replay in a libvirt domain with <vsm state='on'/>.
	if [ "${VMM:-vmm}" = libvirt ]; then
		[ -f "$SELFTESTS/libvirt/libvirt_vsm_test" ] || die "no libvirt test in ${SELFTESTS#"$TOP"/} (make selftests)"
		cp "$SELFTESTS/libvirt/libvirt_vsm_test" "$SELFTESTS/libvirt/replay_qemu.bin" \
			"$SELFTESTS/libvirt/vmm" "$IRD/rig/bin/"
		cp -a "$SELFTESTS/qemu/root/." "$SELFTESTS/libvirt/root/." "$IRD/"
		job="libvirt_vsm_test --run ${RUN_ARGS:-}"
	fi
	# RIG_ROOT: a tree copied into the initramfs's root (the programs a
	# VMM_JOB runs, staged with stage_elf).
	[ -z "${RIG_ROOT:-}" ] || cp -a "$RIG_ROOT/." "$IRD/"
	# VMM_JOB: the job's commands instead of one replay run (make bench).
	printf '%s\n' "# SPDX-License-Identifier: GPL-2.0" "set -e" \
		"${VMM_JOB:-$job}" >"$IRD/rig/job"
	budget=$((budget + ${VMM_BUDGET:-300} * SLOW))
	;;
*) die "usage: vm.sh check|bench|run" ;;
esac
(cd "$IRD" && find . | cpio -o -H newc --quiet | gzip -1) >"$IRD.cpio.gz"

# --- boot ----------------------------------------------------------------------
# TCG's guest TSC is the host's TSC. Calibrating it against the emulated PIT
# fails now and then under host load, and a wrong tsc_khz breaks the
# TSC-page test (hyperv_clock): give the guest the host's known frequency.
TSC_ARG=""
if grep -q '\bconstant_tsc\b' /proc/cpuinfo; then
	TSC_ARG=$(awk -F: '/^cpu MHz/ { printf "tsc_early_khz=%d", $2 * 1000; exit }' /proc/cpuinfo)
fi

step "boot: Linux $(make -s -C "$KTREE" kernelversion) ($KCONFIG) under ${QEMU#$TOP/} -accel $TCG${ICOUNT:+ $ICOUNT} -cpu max, $VM_CPUS vCPUs, $VM_MEM; log ${LOG#$TOP/}"
: >"$LOG"
rm -f "$QLOG"
t0=$(date +%s.%N)
# shellcheck disable=SC2086 # $ICOUNT, $QEMU_ARGS: words
timeout -s KILL "$budget" "$QEMU" -accel "$TCG" $ICOUNT $QEMU_ARGS -cpu max -m "$VM_MEM" \
	-smp "$VM_CPUS" -display none -monitor none -no-reboot -nodefaults \
	-d cpu_reset -D "$QLOG" -chardev file,id=ser,path="$LOG" -serial chardev:ser \
	-kernel "$KERNEL" -initrd "$IRD.cpio.gz" \
	-append "console=ttyS0 panic=-1 loglevel=5 tsc=reliable $TSC_ARG rig.mode=$MODE${ICOUNT:+ rig.icount=1}" </dev/null &
qpid=$!

first=""
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"# selftests: kvm: "*)
		if [ -z "$first" ]; then
			first=$(elapsed "$t0")
			echo "    first test started ${first} s after QEMU launch"
		fi
		echo "==> test: ${line#\# selftests: kvm: }"
		;;
	"# "*) [ "$MODE" = bench ] && printf '    %s\n' "${line#\# }" ;;
	"ok "*" selftests: kvm: "* | "not ok "*" selftests: kvm: "*)
		echo "$line"
		;;
	"RIG: "*) echo "    ${line#RIG: }" ;;
	"["*) ;;	# kernel messages: scanned below, kept in the log
	*) [ "$MODE" = run ] && printf '%s\n' "$line" ;;
	esac
done < <(tail -n +1 --pid=$qpid -f "$LOG" 2>/dev/null)
rc=0
wait $qpid || rc=$?
echo "    VM ran $(elapsed "$t0") s (qemu exit $rc)"
[ "$rc" = 137 ] && echo "    error: VM killed after ${budget} s (hang)"

QLOG="$QLOG" exec "$TOP/tests/rig/report.sh" "$MODE" "$LOG" "$IRD/rig/expect"
