#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions per round trip of each test VM kernel function.

  tbsym.py VMLINUX N A_N A_3N B_N B_3N

A_N and A_3N are tbprof outputs of runs of path A with N and 3N round
trips, B_N and B_3N of path B: what a function executed per round trip of
a path is its count in the 3N run less that in the N run, over 2N. Prints
A, B and A - B for each function, largest difference first, and the totals
but for the serial console (its busy waits follow what else the kernel
printed meanwhile, not the round trips).
"""
import bisect
import collections
import subprocess
import sys

CONSOLE = ('delay_tsc', 'io_serial_', 'serial8250_', 'wait_for_xmitr',
           'uart_', 'univ8250_', 'console_', 'vprintk', 'printk')


def symbols(vmlinux):
    out = subprocess.run(['nm', '-n', vmlinux], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in 'tTwW':
            syms.append((int(f[0], 16), f[2]))
    return syms


def counts(path, syms, addrs):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            pc, insns, execs = line.split()
            pc = int(pc, 16)
            n = int(insns) * int(execs)
            if pc < 0xffff800000000000:
                c['(user and guest code)'] += n
                continue
            i = bisect.bisect_right(addrs, pc) - 1
            c[syms[i][1] if i >= 0 else '(unknown)'] += n
    return c


def per_trip(a, b, trips):
    return {k: (b[k] - a[k]) / (2 * trips) for k in set(a) | set(b)}


def main():
    vmlinux, trips = sys.argv[1], int(sys.argv[2])
    syms = symbols(vmlinux)
    addrs = [a for a, _ in syms]
    c = [counts(p, syms, addrs) for p in sys.argv[3:7]]
    a = per_trip(c[0], c[1], trips)
    b = per_trip(c[2], c[3], trips)
    names = set(a) | set(b)
    console = {n for n in names if n.startswith(CONSOLE)}
    ta = sum(v for n, v in a.items() if n not in console)
    tb = sum(v for n, v in b.items() if n not in console)
    print(f"{'A':>9} {'B':>9} {'A - B':>9}  function (instructions per round trip)")
    rows = sorted(names - console, key=lambda n: -abs(a.get(n, 0) - b.get(n, 0)))
    for n in rows[:int(sys.argv[7]) if len(sys.argv) > 7 else 50]:
        print(f"{a.get(n, 0):9.0f} {b.get(n, 0):9.0f} "
              f"{a.get(n, 0) - b.get(n, 0):9.0f}  {n}")
    print(f"{ta:9.0f} {tb:9.0f} {ta - tb:9.0f}  total, serial console left out"
          f" (A is {ta / tb:.2f}x B)")


if __name__ == '__main__':
    main()
