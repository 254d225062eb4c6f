// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failure injection for the maple tree's node allocations, linked
 * with -Wl,--wrap=kmem_cache_alloc_lru,--wrap=kmem_cache_alloc_bulk so that
 * the kernel's lib/maple_tree.c itself stays unchanged.
 */
#include <linux/types.h>
#include <linux/gfp.h>

#include "vtl_model.h"

static bool should_fail(void)
{
	u64 x;

	if (!model_fail_rate)
		return false;
	x = model_fail_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	model_fail_state = x;
	return x % model_fail_rate == 0;
}

void *__wrap_kmem_cache_alloc_lru(struct kmem_cache *cachep,
				  struct list_lru *lru, int flags)
{
	if (should_fail())
		return NULL;
	return __real_kmem_cache_alloc_lru(cachep, lru, flags);
}

int __wrap_kmem_cache_alloc_bulk(struct kmem_cache *cachep, gfp_t gfp,
				 size_t size, void **list)
{
	if (should_fail())
		return 0;
	return __real_kmem_cache_alloc_bulk(cachep, gfp, size, list);
}
