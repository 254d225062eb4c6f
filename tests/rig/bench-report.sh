#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VTL protection microbenchmarks' report (make bench): the "vsm-json:"
# lines the VMM printed in the test VM's log become a JSON file, a table
# with the ratios the targets are about, and a gnuplot PNG of throughput
# against batch size.
#
#   bench-report.sh LOG OUTDIR
set -eu
. "$(dirname "$0")/lib.sh"

LOG=$1
OUT=$2
mkdir -p "$OUT"
JSON=$OUT/vsm-bench.json
DAT=$OUT/vsm-bench.dat
PNG=$OUT/vsm-bench.png

lines=$(sed -n 's/\r$//; s/^vsm-json: //p' "$LOG")
[ -n "$lines" ] || die "no benchmark results in $LOG"
{ echo "["; printf '%s\n' "$lines" | sed '$!s/$/,/'; echo "]"; } >"$JSON"

# path batch to ns_per_page ns_per_call, one line per measurement
printf '%s\n' "$lines" | awk '
	function val(k,   m) {
		if (match($0, "\"" k "\":\"?[^,\"}]*")) {
			m = substr($0, RSTART, RLENGTH)
			sub(/^"[^"]*":"?/, "", m)
			return m
		}
		return ""
	}
	val("path") != "" { print val("path"), val("batch"), val("to"), val("ns_per_page"), val("ns_per_call") }
	val("trip") != "" { print "trip", val("trip"), "-", val("ns"), val("ns") }
' >"$DAT"

# Per path and batch: mean ns per page of the two passes (to R, back).
avg() { awk -v p="$1" -v b="$2" '$1 == p && $2 == b { s += $4; n++ } END { if (n) printf "%.1f", s / n }' "$DAT"; }
trip() { awk -v w="$1" '$1 == "trip" && $2 == w { printf "%.1f", $4; exit }' "$DAT"; }

echo "VTL protection changes, ns per page (mean of 'to R' and 'back to RWX'):"
printf '  %-6s %12s %12s %12s %10s %10s\n' batch "(a) kernel" "(b) vmm" "(c) memslot" "b / a" "c / a"
for b in 1 16 128 510; do
	a=$(avg kernel $b) v=$(avg vmm $b) m=$(avg memslot $b)
	printf '  %-6s %12s %12s %12s %10s %10s\n' "$b" "${a:--}" "${v:--}" "${m:--}" \
		"$(awk -v a="$a" -v x="$v" 'BEGIN { if (a && x) printf "%.1fx", x / a; else print "-" }')" \
		"$(awk -v a="$a" -v x="$m" 'BEGIN { if (a && x) printf "%.1fx", x / a; else print "-" }')"
done
tk=$(trip kernel) tv=$(trip vmm)
echo "VTL call + return round trip: ${tk:--} ns in KVM, ${tv:--} ns through the VMM"

verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "") print "n/a"; else if (r >= t) print "MET"; else print "MISSED" }'; }
a=$(avg kernel 510) v=$(avg vmm 510) m=$(avg memslot 510)
rb=$(awk -v a="$a" -v x="$v" 'BEGIN { if (a && x) printf "%.1f", x / a }')
rc=$(awk -v a="$a" -v x="$m" 'BEGIN { if (a && x) printf "%.1f", x / a }')
rt=$(awk -v a="$tk" -v x="$tv" 'BEGIN { if (a && x) printf "%.1f", x / a }')
echo "Targets:"
echo "  (a) at least 10x faster than (b) at 510-page batches:  ${rb:--}x  $(verdict "$rb" 10)"
echo "  (a) at least 100x faster than (c) at 510-page batches: ${rc:--}x  $(verdict "$rc" 100)"
echo "  round trip in KVM at least 5x faster than the VMM's:   ${rt:--}x  $(verdict "$rt" 5)"

if command -v gnuplot >/dev/null; then
	for p in kernel vmm memslot; do
		for b in 1 16 128 510; do
			x=$(avg $p $b)
			[ -n "$x" ] && echo "$p $b $(awk -v x="$x" 'BEGIN { printf "%.0f", 1e9 / x }')"
		done
	done >"$OUT/vsm-bench-throughput.dat"
	gnuplot <<GP
set terminal png size 900,600
set output "$PNG"
set title "VTL protection changes: throughput against batch size (test VM, TCG)"
set xlabel "pages per HvModifyVtlProtectionMask call"
set ylabel "pages per second"
set logscale xy
set xtics (1, 16, 128, 510)
set key top left
set grid
plot "< grep '^kernel ' $OUT/vsm-bench-throughput.dat" using 2:3 with linespoints title "(a) in KVM", \
     "< grep '^vmm ' $OUT/vsm-bench-throughput.dat" using 2:3 with linespoints title "(b) exit, ioctl per range", \
     "< grep '^memslot ' $OUT/vsm-bench-throughput.dat" using 2:3 with linespoints title "(c) exit, memslot churn"
GP
	echo "results: ${JSON#$TOP/}, plot: ${PNG#$TOP/}"
else
	echo "results: ${JSON#$TOP/} (no gnuplot: no plot)"
fi
