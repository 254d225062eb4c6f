#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VTL2 guest's initramfs: static busybox and tests/vtl2-guest/init,
# gzip-compressed, into build/vtl2-guest/initrd.gz (rebuilt when either
# changes). The guest kernel comes from `tree.sh guest`.
set -eu
. "$(dirname "$0")/lib.sh"

OUT=$BUILD/vtl2-guest
INIT=$TOP/tests/vtl2-guest/init
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list >/dev/null 2>&1 || die "busybox-static missing (make deps)"
file -L "$BUSYBOX" 2>/dev/null | grep -q dynamically && die "$BUSYBOX is not static (install busybox-static)"
mkdir -p "$OUT"
h=$(cat "$INIT" "$BUSYBOX" | sha256sum | cut -c1-16)
if [ -f "$OUT/initrd.gz" ] && [ "$(cat "$OUT/initrd.hash" 2>/dev/null)" = "$h" ]; then
	exit 0
fi
rm -rf "$OUT/root"
mkdir -p "$OUT/root/bin"
cp "$BUSYBOX" "$OUT/root/bin/busybox"
install -m 755 "$INIT" "$OUT/root/init"
(cd "$OUT/root" && find . | cpio -o -H newc --quiet | gzip -9) >"$OUT/initrd.gz"
echo "$h" >"$OUT/initrd.hash"
echo "    VTL2 guest initramfs: ${OUT#$TOP/}/initrd.gz, $(stat -c %s "$OUT/initrd.gz") bytes"
