#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VTL protection microbenchmarks' report (make bench): the "vsm-json:"
# lines the VMM printed in the test VM's log become a JSON file, a table
# per clock with the ratios the targets are about, and a gnuplot PNG of
# throughput against batch size.
#
#   bench-report.sh OUTDIR CLOCK=LOG...
#
# CLOCK is the test VM's clock in that run: "wall" (the host's: times in
# ns) or "icount" (RIG_ICOUNT=1: the clock counts instructions, and a
# VMRUN or #VMEXIT is one; TSC cycles are then instructions).
set -eu
. "$(dirname "$0")/lib.sh"

OUT=$1
shift
[ $# -gt 0 ] || die "usage: bench-report.sh OUTDIR CLOCK=LOG..."
mkdir -p "$OUT"
JSON=$OUT/vsm-bench.json
PNG=$OUT/vsm-bench.png
rm -f "$OUT"/vsm-bench-*.dat

# The lines of each log, with the clock they were measured on.
all=""
for arg in "$@"; do
	clock=${arg%%=*} log=${arg#*=}
	case $clock in wall | icount) ;; *) die "bench-report.sh: unknown clock '$clock'" ;; esac
	lines=$(sed -n 's/\r$//; s/^vsm-json: {/{"clock":"'"$clock"'",/p' "$log")
	[ -n "$lines" ] || die "no benchmark results in $log"
	all=$all$lines$'\n'
done
all=${all%$'\n'}
{ echo "["; printf '%s\n' "$all" | sed '$!s/$/,/'; echo "]"; } >"$JSON"

# clock path batch to per_page per_call, one line per measurement; per_*
# in ns on the wall clock, in instructions (cycles) on icount.
printf '%s\n' "$all" | awk '
	function val(k,   m) {
		if (match($0, "\"" k "\":\"?[^,\"}]*")) {
			m = substr($0, RSTART, RLENGTH)
			sub(/^"[^"]*":"?/, "", m)
			return m
		}
		return ""
	}
	{ c = val("clock"); u = c == "icount" ? "cycles" : "ns" }
	val("path") != "" { print c, val("path"), val("batch"), val("to"), val(u "_per_page"), val(u "_per_call") }
	val("trip") != "" { print c, "trip", val("trip"), "-", val(u), val(u) }
' >"$OUT/vsm-bench.dat"

# Per clock, path and batch: mean per page of the two passes (to R, back).
avg() { awk -v c="$1" -v p="$2" -v b="$3" '$1 == c && $2 == p && $3 == b { s += $5; n++ } END { if (n) printf "%.1f", s / n }' "$OUT/vsm-bench.dat"; }
trip() { awk -v c="$1" -v w="$2" '$1 == c && $2 == "trip" && $3 == w { printf "%.1f", $5; exit }' "$OUT/vsm-bench.dat"; }
ratio() { awk -v a="$1" -v x="$2" 'BEGIN { if (a && x) printf "%.1f", x / a }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "") print "n/a"; else if (r >= t) print "MET"; else print "MISSED" }'; }
at_most() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "") print "n/a"; else if (r <= t) print "MET"; else print "MISSED" }'; }

for arg in "$@"; do
	c=${arg%%=*}
	unit=ns
	[ "$c" = icount ] && unit=instructions
	echo "== clock: $c (per page and per trip: $unit)"
	echo "VTL protection changes, $unit per page (mean of 'to R' and 'back to RWX'):"
	printf '  %-6s %12s %12s %12s %10s %10s\n' batch "(a) kernel" "(b) vmm" "(c) memslot" "b / a" "c / a"
	for b in 1 16 128 510; do
		a=$(avg "$c" kernel $b) v=$(avg "$c" vmm $b) m=$(avg "$c" memslot $b)
		printf '  %-6s %12s %12s %12s %10s %10s\n' "$b" "${a:--}" "${v:--}" "${m:--}" \
			"$(r=$(ratio "$a" "$v"); echo "${r:+${r}x}")" "$(r=$(ratio "$a" "$m"); echo "${r:+${r}x}")"
	done
	tk=$(trip "$c" kernel) tv=$(trip "$c" vmm) tf=$(trip "$c" floor)
	echo "VTL call + return round trip: ${tk:--} $unit in KVM, ${tv:--} through the VMM;"
	echo "  floor (two hypercalls KVM refuses at once): ${tf:--} $unit"
	a=$(avg "$c" kernel 510) v=$(avg "$c" vmm 510) m=$(avg "$c" memslot 510)
	rb=$(ratio "$a" "$v") rc=$(ratio "$a" "$m") rt=$(ratio "$tk" "$tv")
	rf=$(awk -v f="$tf" -v k="$tk" 'BEGIN { if (f && k) printf "%.2f", k / f }')
	echo "Targets ($c):"
	echo "  (a) at least 10x less than (b) at 510-page batches:   ${rb:--}x  $(verdict "$rb" 10)"
	echo "  (a) at least 100x less than (c) at 510-page batches:  ${rc:--}x  $(verdict "$rc" 100)"
	echo "  round trip in KVM at least 5x less than the VMM's:    ${rt:--}x  $(verdict "$rt" 5)"
	echo "  round trip in KVM at most 1.5x the floor:             ${rf:--}x  $(at_most "$rf" 1.5)"
	if [ "$c" = icount ]; then
		echo "  (Instructions count a world switch as one: on hardware, exits, mitigations"
		echo "  and cache and TLB effects cost more, so ratios against the VMM path here"
		echo "  are a floor, not a forecast.)"
	fi
done

if command -v gnuplot >/dev/null; then
	# clock path batch pages-per-unit: per second (wall), per million instructions (icount)
	for arg in "$@"; do
		c=${arg%%=*}
		for p in kernel vmm memslot; do
			for b in 1 16 128 510; do
				x=$(avg "$c" $p $b)
				[ -n "$x" ] && echo "$c $p $b $(awk -v x="$x" -v c="$c" 'BEGIN { printf "%.1f", (c == "icount" ? 1e6 : 1e9) / x }')"
			done
		done
	done >"$OUT/vsm-bench-throughput.dat"
	panel() {
		local c=$1 y=$2 src="$OUT/vsm-bench-throughput.dat"
		cat <<GP
set title "VTL protection changes ($c clock, test VM under TCG)"
set ylabel "$y"
plot "< grep '^$c kernel ' $src" using 3:4 with linespoints title "(a) in KVM", \\
     "< grep '^$c vmm ' $src" using 3:4 with linespoints title "(b) exit, ioctl per range", \\
     "< grep '^$c memslot ' $src" using 3:4 with linespoints title "(c) exit, memslot churn"
GP
	}
	n=$#
	{
		echo "set terminal png size $((900 * n)),600"
		echo "set output \"$PNG\""
		echo "set multiplot layout 1,$n"
		echo "set xlabel \"pages per HvModifyVtlProtectionMask call\""
		echo "set logscale xy"
		echo "set xtics (1, 16, 128, 510)"
		echo "set key top left"
		echo "set grid"
		for arg in "$@"; do
			c=${arg%%=*}
			if [ "$c" = icount ]; then panel icount "pages per million instructions"; else panel wall "pages per second"; fi
		done
		echo "unset multiplot"
	} | gnuplot
	echo "results: ${JSON#$TOP/}, plot: ${PNG#$TOP/}"
else
	echo "results: ${JSON#$TOP/} (no gnuplot: no plot)"
fi
