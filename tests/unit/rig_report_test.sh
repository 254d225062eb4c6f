#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of tests/rig/report.sh, the judge of a test-VM run: synthetic
# serial logs in, the verdict, the summary line and the exit status out.
set -u
REPORT=$(cd "$(dirname "$0")/../rig" && pwd)/report.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

printf '%s\n' x86_64/a x86_64/b "c may-skip" >"$T/expect"

# case NAME WANT_EXIT WANT_SUMMARY LOG_LINES...
case_() {
	local name=$1 want_rc=$2 want_sum=$3 out rc
	shift 3
	printf '%s\r\n' "$@" >"$T/log"
	out=$("$REPORT" check "$T/log" "$T/expect" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want_sum" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL rig_report: $name: exit $rc, last line '$(printf '%s\n' "$out" | tail -n 1)'"
		echo "     want exit $want_rc, '$want_sum'"
		fail=$((fail + 1))
	fi
}

OK=("ok 1 selftests: kvm: a" "ok 2 selftests: kvm: b" "ok 3 selftests: kvm: c")
case_ "all pass" 0 "4 passed, 0 failed" "${OK[@]}" "RIG: done rc=0"
case_ "allowed skip" 0 "3 passed, 0 failed, 1 skipped" "ok 1 selftests: kvm: a" \
	"ok 2 selftests: kvm: b" "ok 3 selftests: kvm: c # SKIP" "RIG: done rc=0"
case_ "skip not allowed" 1 "3 passed, 1 failed" "ok 1 selftests: kvm: a # SKIP" \
	"ok 2 selftests: kvm: b" "ok 3 selftests: kvm: c" "RIG: done rc=0"
case_ "a failure" 1 "3 passed, 1 failed" "ok 1 selftests: kvm: a" "# boom" \
	"not ok 2 selftests: kvm: b # exit=1" "ok 3 selftests: kvm: c" "RIG: done rc=0"
case_ "missing result" 1 "3 passed, 1 failed" "ok 1 selftests: kvm: a" \
	"ok 3 selftests: kvm: c" "RIG: done rc=0"
case_ "hung guest" 1 "2 passed, 2 failed" "ok 1 selftests: kvm: a" "ok 2 selftests: kvm: b"
case_ "WARN in the kernel log" 1 "3 passed, 1 failed" "${OK[@]}" \
	"[   12.345678] WARNING: CPU: 1 PID: 77 at arch/x86/kvm/mmu/mmu.c:42 f+0x1/0x2" "RIG: done rc=0"
case_ "KASAN report" 1 "3 passed, 1 failed" "${OK[@]}" \
	"[    3.000001] BUG: KASAN: slab-use-after-free in kvm_vtl_layer_get+0x10/0x20" "RIG: done rc=0"
case_ "lockdep report" 1 "3 passed, 1 failed" "${OK[@]}" \
	"[    4.5] WARNING: possible circular locking dependency detected" "RIG: done rc=0"
case_ "Oops" 1 "3 passed, 1 failed" "${OK[@]}" "[    9.9] Oops: 0000 [#1] SMP" "RIG: done rc=0"
case_ "test output is not the kernel log" 0 "4 passed, 0 failed" \
	"# WARNING: BUG: this is a test's own output" "${OK[@]}" "RIG: done rc=0"
case_ "prefix of another name" 1 "3 passed, 1 failed" "ok 1 selftests: kvm: ab" \
	"ok 2 selftests: kvm: b" "ok 3 selftests: kvm: c" "ok 4 selftests: kvm: a_x" "RIG: done rc=0"

# A VM that did not finish: the end of its log, and QEMU's triple fault.
printf '%s\r\n' "ok 1 selftests: kvm: a" "# selftests: kvm: b" "# last words" >"$T/log"
printf '%s\n' "CPU Reset (CPU 0)" "EAX=0" "Triple fault" "RIP=ffffffff81000000" >"$T/qlog"
out=$(QLOG="$T/qlog" "$REPORT" check "$T/log" "$T/expect" 2>&1)
if printf '%s\n' "$out" | grep -q '| # last words' &&
   printf '%s\n' "$out" | grep -q 'QEMU logged a triple fault' &&
   printf '%s\n' "$out" | grep -q '| RIP=ffffffff81000000' &&
   ! printf '%s\n' "$out" | grep -q '| EAX=0'; then
	pass=$((pass + 1))
else
	echo "FAIL rig_report: unfinished VM: log tail or triple fault missing"
	printf '%s\n' "$out" | sed 's/^/     /'
	fail=$((fail + 1))
fi
out=$(QLOG="$T/none" "$REPORT" check "$T/log" "$T/expect" 2>&1)
if printf '%s\n' "$out" | grep -q 'triple fault'; then
	echo "FAIL rig_report: unfinished VM: a triple fault without QEMU's log"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi

printf '%s\r\n' "vmm: hello" "RIG: done rc=0" >"$T/log"
if "$REPORT" run "$T/log" >/dev/null 2>&1; then pass=$((pass + 1)); else
	echo "FAIL rig_report: run mode, good run"; fail=$((fail + 1)); fi
printf '%s\r\n' "vmm: error: x" "RIG: done rc=1" >"$T/log"
if "$REPORT" run "$T/log" >/dev/null 2>&1; then
	echo "FAIL rig_report: run mode, failed VMM passed"; fail=$((fail + 1)); else pass=$((pass + 1)); fi

echo "rig_report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
