#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of tests/rig/job-check, the test VM's runner, under the same
# busybox shell: a test that forks children and hangs is killed with its
# whole process group at its limit and reported as a timeout, and the run
# goes on; children a passing test leaves behind do not hold the run up.
set -u
JOB=$(cd "$(dirname "$0")/../rig" && pwd)/job-check
T=$(mktemp -d)
MARK=$((900000 + $$ % 99999))
trap 'pkill -KILL -f "sleep $MARK" 2>/dev/null; rm -rf "$T"' EXIT
pass=0 fail=0
BB=$(command -v busybox) || { echo "job_check: no busybox"; exit 1; }

mkdir -p "$T/tests"
mk() { printf '#!%s sh\n%s\n' "$BB" "$2" >"$T/tests/$1"; chmod +x "$T/tests/$1"; }
# A parent with two children running (as vCPU threads in child processes
# would), all of them holding the output pipe.
mk hang "echo forked; sh -c 'sleep $MARK' & sleep $MARK & wait"
mk orphan "echo leaving a child; sleep $MARK & exit 0"
mk good "echo fine"
mk bad "exit 3"
mk skip "exit 4"
printf '%s\n' "hang 2" "orphan 30" "good 30" "bad 30" "skip 30" >"$T/list"

start=$(date +%s)
out=$(RIG_DIR=$T RIG_QUIET_HOST=1 timeout -s KILL 60 "$BB" sh "$JOB" 2>&1)
rc=$?
took=$(($(date +%s) - start))

check() {
	if printf '%s\n' "$out" | grep -qxF "$2"; then
		pass=$((pass + 1))
	else
		echo "FAIL job_check: $1: no line '$2'"
		fail=$((fail + 1))
	fi
}
if [ "$rc" = 137 ]; then
	echo "FAIL job_check: the run hung (killed after 60 s)"
	fail=$((fail + 1))
fi
check "forking test that hangs" "not ok 1 selftests: kvm: hang # TIMEOUT 2 seconds"
check "its output up to the kill" "# forked"
check "a test that leaves a child" "ok 2 selftests: kvm: orphan"
check "the run goes on" "ok 3 selftests: kvm: good"
check "a failure" "not ok 4 selftests: kvm: bad # exit=3"
check "a skip" "ok 5 selftests: kvm: skip # SKIP"
# Bounded by the 60 s above; the 2 s limit and the rest take about 2 s.
if [ "$took" -ge 30 ]; then
	echo "FAIL job_check: the run took $took s: a child held it up"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
if pgrep -f "sleep $MARK" >/dev/null; then
	echo "FAIL job_check: processes of the tests outlived the run: $(pgrep -f "sleep $MARK" | tr '\n' ' ')"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
[ "$fail" = 0 ] || printf '%s\n' "$out" | sed 's/^/    | /'
echo "job_check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
