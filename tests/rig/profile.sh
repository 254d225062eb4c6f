#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-profile: where the instructions of a VTL round trip go, per
# function of the test VM's kernel, against the floor of two hypercalls.
#
# Four boots of the test VM with its clock counting instructions (as make
# bench BENCH_MODE=icount), each running one round-trip path of the bench
# (vmm --trip-path) PROFILE_TRIPS (default 1000) and three times as many
# times, under Debian's QEMU with the tbprof TCG plugin
# (tests/bench/profile): our QEMU is built without plugin support. Its
# CPU model has no GMET, so MBEC is not offered; nothing else of the
# round trip depends on it. The table goes to build/bench/profile.txt.
set -eu
. "$(dirname "$0")/lib.sh"

QEMU_DEB=/usr/bin/qemu-system-x86_64
TRIPS=${PROFILE_TRIPS:-1000}
OUT=$BUILD/bench/profile
SRC=$TOP/tests/bench/profile
PLUGIN_H=$BUILD/qemu/include/qemu/qemu-plugin.h

[ -x "$QEMU_DEB" ] || die "no $QEMU_DEB (make deps installs qemu-system-x86)"
[ -f "$PLUGIN_H" ] || die "no ${PLUGIN_H#$TOP/}: build QEMU first (make qemu)"
[ -f "$KOUT/vmlinux" ] || die "no kernel: make kernel first"
mkdir -p "$OUT"

step "profile: building the tbprof plugin"
# shellcheck disable=SC2046 # pkg-config's flags are words
gcc -O2 -Wall -Werror -shared -fPIC -I"$(dirname "$PLUGIN_H")" \
	$(pkg-config --cflags glib-2.0) -o "$OUT/tbprof.so" "$SRC/tbprof.c" \
	$(pkg-config --libs glib-2.0)

for path in kernel floor; do
	for n in "$TRIPS" $((3 * TRIPS)); do
		step "profile: $path round trips x $n under ${QEMU_DEB} with tbprof"
		rm -f "$OUT/$path-$n.tb"
		RIG_ICOUNT=1 RIG_QEMU=$QEMU_DEB VMM_BUDGET=600 \
			RIG_QEMU_ARGS="-plugin $OUT/tbprof.so,out=$OUT/$path-$n.tb" \
			VMM_JOB="vmm --vcpus 1 --bench kernel --pages 1000 --trips $n --trip-path $path /rig/bin/replay.bin" \
			"$TOP/tests/rig/vm.sh" run >"$OUT/$path-$n.log" 2>&1 ||
			die "the run failed: ${OUT#$TOP/}/$path-$n.log"
		[ -s "$OUT/$path-$n.tb" ] || die "tbprof wrote nothing: ${OUT#$TOP/}/$path-$n.log"
	done
done

{
	echo "Instructions per VTL call + return: A in KVM (vmm --trip-path kernel),"
	echo "B the floor of two hypercalls KVM refuses (--trip-path floor);"
	echo "$TRIPS and $((3 * TRIPS)) round trips each, per function of ${KOUT#$TOP/}/vmlinux."
	python3 "$SRC/tbsym.py" "$KOUT/vmlinux" "$TRIPS" \
		"$OUT/kernel-$TRIPS.tb" "$OUT/kernel-$((3 * TRIPS)).tb" \
		"$OUT/floor-$TRIPS.tb" "$OUT/floor-$((3 * TRIPS)).tb" "${PROFILE_TOP:-40}"
} | tee "$BUILD/bench/profile.txt"
