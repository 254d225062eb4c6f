// SPDX-License-Identifier: GPL-2.0
/*
 * Demonstrates the Linux 6.12 maple tree bug that virt/kvm/vtl_store.c
 * works around: freeing a subtree in RCU mode (mtree_destroy(), or a store
 * that covers a whole subtree) goes through mt_destroy_walk(..., false) and
 * mt_free_walk().  mte_dead_leaves() rewrites the top node's child slots as
 * bare node pointers; mt_clear_meta() then no longer sees a node in the last
 * slot of a full node, takes it for metadata and zeroes its two low bytes,
 * and mt_free_walk() later walks and frees through the damaged pointer.
 *
 * Appending 1873 entries makes a tree whose root is full; destroying it in
 * RCU mode makes ASan report a bad access in mte_dead_walk().  The same
 * loop without MT_FLAGS_USE_RCU is clean.  Usage: maple_rcu_bug [0|1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/maple_tree.h>
#include <linux/xarray.h>

extern int nr_allocated;

int main(int argc, char **argv)
{
	bool rcu = argc < 2 || atoi(argv[1]);
	unsigned long n, i;

	rcu_register_thread();
	maple_tree_init();
	for (n = 1000; n < 4000; n += 97) {
		struct maple_tree mt;

		mt_init_flags(&mt, rcu ? MT_FLAGS_USE_RCU : 0);
		for (i = 0; i < n; i++)
			mtree_store_range(&mt, 2 * i, 2 * i, xa_mk_value(1),
					  GFP_KERNEL);
		mtree_destroy(&mt);
		rcu_barrier();
		if (nr_allocated) {
			printf("maple_rcu_bug: %lu entries: %d nodes leaked\n",
			       n, nr_allocated);
			return 1;
		}
	}
	printf("maple_rcu_bug: no failure (%s mode)\n", rcu ? "RCU" : "plain");
	return 0;
}
