#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Judge one run of the test VM from its serial log.
#
#   report.sh check|bench LOG EXPECT   EXPECT: a line per test, "PATH [may-skip]"
#   report.sh run LOG
#
# check/bench print a "not ok" line for every test without a result, the
# output of every failed test, a last result guest_kernel_log_clean, and
# "N passed, N failed" (", N skipped"); the exit status is 0 only when
# nothing failed. A skip counts as a failure unless EXPECT allows it.
set -eu

MODE=$1
LOG=$2
EXPECT=${3:-}

# Kernel lines carry "[ seconds]"; reports of WARN, BUG, Oops, lockdep, KASAN.
reports=$(tr -d '\r' <"$LOG" | grep -aE '^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|BUG at|Oops|general protection fault|Kernel panic|KASAN|UBSAN:|DEBUG_LOCKS_WARN_ON|INFO: trying to register non-static key|INFO: possible|lockdep)' || true)
done_line=$(tr -d '\r' <"$LOG" | grep -a '^RIG: done' || true)

# When the VM did not finish: the end of its serial log, and what QEMU
# logged of a triple fault (the registers at the CPU reset that followed).
unfinished() {
	echo "    the last lines of $LOG:"
	tr -d '\r' <"$LOG" | tail -n 25 | sed 's/^/    | /'
	if [ -n "${QLOG:-}" ] && grep -aq 'Triple fault' "$QLOG" 2>/dev/null; then
		echo "    QEMU logged a triple fault ($QLOG); the last one:"
		awk '/Triple fault/ { n = 0; delete l } { l[n++] = $0 } END { for (i = 0; i < n && i < 30; i++) print l[i] }' \
			"$QLOG" | sed 's/^/    | /'
	fi
}

if [ "$MODE" = run ]; then
	if [ -n "$reports" ]; then
		printf '%s\n' "$reports" | sed 's/^/    kernel: /'
		echo "error: the guest kernel reported problems (log: $LOG)" >&2
		exit 1
	fi
	if [ "$done_line" != "RIG: done rc=0" ]; then
		[ -n "$done_line" ] || unfinished
		echo "error: the VMM run failed (${done_line:-no result: guest hung or crashed}); log: $LOG" >&2
		exit 1
	fi
	exit 0
fi

# The last result line of test NAME, without the carriage return.
result() {
	tr -d '\r' <"$LOG" | grep -aE "^(ok|not ok) [0-9]+ selftests: kvm: $1( |\$)" | tail -n 1 || true
}

passed=0 failed=0 skipped=0 n=0
while read -r path flag; do
	n=$((n + 1))
	name=${path##*/}
	r=$(result "$name")
	if [ -z "$r" ]; then
		echo "not ok $n selftests: kvm: $name # no result (guest hung or crashed)"
		failed=$((failed + 1))
	elif [ "${r#not ok}" != "$r" ]; then
		failed=$((failed + 1))
		echo "    output of $name (last 30 lines):"
		tr -d '\r' <"$LOG" |
			awk -v t="# selftests: kvm: $name" '$0 == t { on = 1; next } on && /^(ok|not ok) / { exit } on' |
			tail -n 30 | sed 's/^/    /'
	elif [ "${r%# SKIP*}" != "$r" ]; then
		if [ "${flag:-}" = may-skip ]; then
			skipped=$((skipped + 1))
		else
			echo "    $name skipped, but its list does not allow it to: counted as failed"
			failed=$((failed + 1))
		fi
	else
		passed=$((passed + 1))
	fi
done <"$EXPECT"

n=$((n + 1))
if [ -n "$reports" ]; then
	echo "not ok $n selftests: kvm: guest_kernel_log_clean # $(printf '%s\n' "$reports" | wc -l) report lines"
	printf '%s\n' "$reports" | head -n 40 | sed 's/^/    /'
	failed=$((failed + 1))
elif [ -z "$done_line" ]; then
	echo "not ok $n selftests: kvm: guest_kernel_log_clean # the VM did not finish (see $LOG)"
	unfinished
	failed=$((failed + 1))
else
	echo "ok $n selftests: kvm: guest_kernel_log_clean"
	passed=$((passed + 1))
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
