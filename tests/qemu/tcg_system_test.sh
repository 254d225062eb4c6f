#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The x86_64 system tests our QEMU series adds to QEMU's own test suite
# (tests/tcg/x86_64/system in the QEMU tree), built and run the way QEMU's
# tests/tcg/x86_64/Makefile.softmmu-target does, on this machine, under
# TCG, with the QEMU that also runs the test VM (build/qemu/out). They test
# our changes to QEMU's CPU model, which the test VM relies on; QEMU's
# check-tcg would need its cross-compiler setup for the same result.
#
#   tests/qemu/tcg_system_test.sh [TEST...]    default: all of TESTS below
#
# Prints "ok NAME" or "FAIL NAME" and the test's own output; exits non-zero
# if any test failed.
set -eu
. "$(dirname "$0")/../rig/lib.sh"

QTREE=$BUILD/qemu
QBIN=$QTREE/out/qemu-system-x86_64
OUT=$BUILD/qemu-tcg
# NAME:QEMU options before -kernel
TESTS=(
	"svm-gmet:-cpu max"
)

[ -x "$QBIN" ] || die "no $QBIN: run make qemu first"
mkdir -p "$OUT"
SYS=$QTREE/tests/tcg/x86_64/system
LIB=$QTREE/tests/tcg/minilib
CFLAGS=(-nostdlib -ggdb -O0 -I"$LIB")
LDFLAGS=(-Wl,-T"$SYS/kernel.ld" -Wl,-melf_x86_64 -Wl,-z,noexecstack
	 -Wl,--build-id=none -static -nostdlib)

gcc "${CFLAGS[@]}" -c "$SYS/boot.S" -o "$OUT/boot.o"
gcc "${CFLAGS[@]}" -c "$LIB/printf.c" -o "$OUT/printf.o"

want=("$@")
failed=0
for t in "${TESTS[@]}"; do
	name=${t%%:*}
	opts=${t#*:}
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
		continue
	fi
	gcc "${CFLAGS[@]}" "$SYS/$name.c" -o "$OUT/$name" "${LDFLAGS[@]}" \
		"$OUT/boot.o" "$OUT/printf.o" -lgcc
	rm -f "$OUT/$name.out"
	rc=0
	# shellcheck disable=SC2086 # $opts is a list of options
	timeout 120 "$QBIN" -monitor none -display none -nodefaults \
		-chardev "file,path=$OUT/$name.out,id=output" $opts \
		-device isa-debugcon,chardev=output \
		-device isa-debug-exit,iobase=0xf4,iosize=0x4 \
		-kernel "$OUT/$name" || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $name"
	else
		echo "FAIL $name (exit $rc)"
		failed=$((failed + 1))
	fi
	sed 's/^/    /' "$OUT/$name.out" 2>/dev/null || true
	echo
done
[ "$failed" = 0 ]
