#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print "TAG INSTRUCTIONS" for every callgrind dump in directory $1 that a
# client request (CALLGRIND_DUMP_STATS_AT(TAG)) triggered.
set -e
for f in "$1"/out.*; do
	awk '/^desc: Trigger: Client Request: / { tag = $5 }
	     /^(summary|totals): / { ir = $2 }
	     END { if (tag != "" && ir != "") print tag, ir }' "$f"
done
