/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced first include of the benchmark build: the unit tests' shim
 * environment, with call_rcu() and rcu_barrier() turned kernel-like (see
 * bench_rcu.c).
 */
#ifndef _VTL_BENCH_SHIM_H
#define _VTL_BENCH_SHIM_H

#include "../unit/shim/vtl_shim.h"

struct rcu_head;
void bench_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void bench_rcu_barrier(void);

#undef call_rcu
#define call_rcu(head, func)	bench_call_rcu(head, func)
#undef rcu_barrier
#define rcu_barrier()		bench_rcu_barrier()

#endif /* _VTL_BENCH_SHIM_H */
