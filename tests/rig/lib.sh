# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers of the rig scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
KTREE=${KTREE:-$BUILD/linux}
KCONFIG=${KCONFIG:-normal}
KOUT=$KTREE/out-$KCONFIG
LOGS=$BUILD/logs
JOBS=${JOBS:-$(nproc)}

# ccache keys are made path-independent, so a clone in another folder hits
# the same cache: kbuild builds in the subdirectory out-* with srctree "..".
export CCACHE_BASEDIR=$KTREE
export KBUILD_BUILD_USER=vsm KBUILD_BUILD_HOST=rig
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'

mkdir -p "$LOGS"

# entries [FILE...]: the lines of the rig's list files (series, base,
# TESTS, BENCH) without comments and blank lines; stdin without FILE.
entries() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$@"; }

step() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# run_logged LOGFILE CMD...: run quietly into LOGFILE; on failure show its tail.
run_logged() {
	local log=$1 rc=0
	shift
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 25 "$log" | sed 's/^/    /' >&2
		printf 'error: "%s" failed (exit %d), full log: %s\n' "$*" "$rc" "$log" >&2
		return "$rc"
	fi
}

# elapsed START: seconds since START (from date +%s.%N), one decimal.
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# stage_elf ROOT FILE DEST [PREFIX]: copy the program or library FILE into
# the tree ROOT as DEST (an absolute path), and each library ldd names at
# its own path. Libraries under PREFIX (an install's destdir, which ldd
# searches first) land at their path below it.
stage_elf() {
	local root=$1 file=$2 dest=$3 prefix=${4:-} libs lib to
	libs=$(LD_LIBRARY_PATH=${prefix:+$prefix/usr/lib/x86_64-linux-gnu} ldd "$file")
	lib=$(printf '%s\n' "$libs" | grep 'not found' | head -n 1)
	[ -z "$lib" ] || die "stage_elf: $file needs a library that is not there: $lib"
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$file" "$root$dest"
	for lib in $(printf '%s\n' "$libs" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		to=$lib
		[ -n "$prefix" ] && [ "${lib#"$prefix"/}" != "$lib" ] && to=/${lib#"$prefix"/}
		[ -e "$root$to" ] && continue
		mkdir -p "$root$(dirname "$to")"
		cp -L "$lib" "$root$to"
	done
}
