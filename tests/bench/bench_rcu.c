// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-like call_rcu() for the benchmark.  liburcu's call_rcu() wakes
 * its callback thread with a futex for every callback it queues, which on
 * these machines costs an inter-processor interrupt per freed tree node;
 * the kernel queues callbacks on a per-CPU list and runs them in batches
 * after a grace period.  Here callbacks are queued on the caller's list and
 * run on the caller, after synchronize_rcu(), once 1024 have gathered or at
 * bench_rcu_barrier(), so their cost is counted where it would be spent.
 * The benchmark is single-threaded; callbacks are never queued from inside
 * an RCU read-side critical section.
 */
#include <urcu.h>

#define BENCH_RCU_BATCH	1024

static __thread struct rcu_head *pending;
static __thread unsigned int nr_pending;

static void bench_rcu_flush(void)
{
	struct rcu_head *h, *next;

	if (!pending)
		return;
	synchronize_rcu();
	for (h = pending; h; h = next) {
		next = (struct rcu_head *)h->next.next;
		h->func(h);
	}
	pending = NULL;
	nr_pending = 0;
}

/**
 * bench_call_rcu() - run @func(@head) after a grace period
 * @head: the rcu_head in the object to free
 * @func: the callback
 */
void bench_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next.next = (struct cds_wfcq_node *)pending;
	pending = head;
	if (++nr_pending == BENCH_RCU_BATCH)
		bench_rcu_flush();
}

/**
 * bench_rcu_barrier() - run all queued callbacks, the caller's and liburcu's
 */
void bench_rcu_barrier(void)
{
	bench_rcu_flush();
	urcu_memb_barrier();
}
