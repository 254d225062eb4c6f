// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal kmem_cache for the userspace benchmark, in place of the radix-tree
 * harness' tools/testing/shared/linux.c.  That one fails every allocation
 * that may not sleep (GFP_NOWAIT) to exercise error paths, which makes the
 * xarray allocate twice per node, and serialises everything on a mutex that
 * the RCU callback thread fights for; either would tilt the comparison.
 * Here, as in the kernel's slab, such allocations succeed, and frees from
 * any thread (the RCU callbacks') go lock-free onto a list that allocation
 * takes over whole, like remote frees in SLUB.  Objects are carved from
 * large chunks, constructors run once per object, and the free-list link
 * lives after the object, so a freed object keeps its constructed state,
 * as the xarray expects.  Live objects are counted per cache and in total,
 * for the memory figures; chunks are never returned.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/gfp.h>
#include <linux/slab.h>

int nr_allocated;
long nr_allocated_bytes;	/* object sizes of the live objects */
int preempt_count;
int kmalloc_verbose;
int test_verbose;

struct kmem_cache {
	pthread_mutex_t lock;	/* serialises allocating threads */
	unsigned int size;
	unsigned int align;
	unsigned int link;	/* offset of the free-list link */
	void (*ctor)(void *obj);
	void *local;		/* free objects, under @lock */
	void *remote;		/* free objects, pushed lock-free */
	char *chunk;		/* where new objects come from, under @lock */
	size_t chunk_used;
	long nr_live;
};

static inline void **obj_link(struct kmem_cache *c, void *p)
{
	return (void **)((char *)p + c->link);
}

/**
 * kmem_cache_create() - create a cache of equal objects
 * @name: unused
 * @size: object size
 * @align: object alignment, 0 for the default
 * @flags: unused
 * @ctor: constructor, run once when an object is first made
 *
 * Return: the cache; aborts when out of memory.
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	c->size = size;
	c->align = align < sizeof(void *) ? sizeof(void *) : align;
	c->link = (size + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *);
	c->ctor = ctor;
	return c;
}

/*
 * New objects are carved from 2 MiB chunks, as a slab carves pages, so
 * that growing a cache costs neither malloc() searches nor one page fault
 * per object.  The chunks are backed by huge pages where the system allows
 * it, as the kernel's direct map backs its slabs: with 4 KiB pages, TLB
 * misses, expensive and erratic in a virtual machine, would dominate
 * every random lookup and vary from run to run.
 */
#define CHUNK_SIZE	(2UL << 20)

static void *cache_new(struct kmem_cache *c)
{
	size_t stride = (c->link + sizeof(void *) + c->align - 1) /
			c->align * c->align;
	void *p;

	if (!c->chunk || c->chunk_used + stride > CHUNK_SIZE) {
		c->chunk = aligned_alloc(CHUNK_SIZE, CHUNK_SIZE);
		if (!c->chunk)
			return NULL;
		madvise(c->chunk, CHUNK_SIZE, MADV_HUGEPAGE);
		c->chunk_used = 0;
	}
	p = c->chunk + c->chunk_used;
	c->chunk_used += stride;
	if (c->ctor)
		c->ctor(p);
	return p;
}

/**
 * kmem_cache_alloc_lru() - allocate an object
 * @c: the cache
 * @lru: unused
 * @gfp: __GFP_ZERO is honoured; allocations never fail for lack of it
 *	being allowed to sleep
 *
 * Return: the object, or NULL when out of memory.
 */
void *kmem_cache_alloc_lru(struct kmem_cache *c, struct list_lru *lru, int gfp)
{
	void *p;

	pthread_mutex_lock(&c->lock);
	p = c->local;
	if (!p)
		p = __atomic_exchange_n(&c->remote, NULL, __ATOMIC_ACQUIRE);
	if (p)
		c->local = *obj_link(c, p);
	else
		p = cache_new(c);
	pthread_mutex_unlock(&c->lock);
	if (!p)
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, c->size);
	__atomic_add_fetch(&c->nr_live, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_allocated, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_allocated_bytes, c->size, __ATOMIC_RELAXED);
	return p;
}

/**
 * kmem_cache_free() - free an object
 * @c: the cache
 * @p: the object
 */
void kmem_cache_free(struct kmem_cache *c, void *p)
{
	void *old = __atomic_load_n(&c->remote, __ATOMIC_RELAXED);

	__atomic_sub_fetch(&c->nr_live, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&nr_allocated, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&nr_allocated_bytes, c->size, __ATOMIC_RELAXED);
	do {
		*obj_link(c, p) = old;
	} while (!__atomic_compare_exchange_n(&c->remote, &old, p, true,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/**
 * kmem_cache_free_bulk() - free several objects
 * @c: the cache
 * @size: number of objects
 * @list: the objects
 */
void kmem_cache_free_bulk(struct kmem_cache *c, size_t size, void **list)
{
	size_t i;

	for (i = 0; i < size; i++)
		kmem_cache_free(c, list[i]);
}

/**
 * kmem_cache_alloc_bulk() - allocate several objects
 * @c: the cache
 * @gfp: as for kmem_cache_alloc_lru()
 * @size: number of objects
 * @list: receives the objects
 *
 * Return: @size, or 0 (nothing allocated) when out of memory.
 */
int kmem_cache_alloc_bulk(struct kmem_cache *c, gfp_t gfp, size_t size,
			  void **list)
{
	size_t i;

	for (i = 0; i < size; i++) {
		list[i] = kmem_cache_alloc_lru(c, NULL, gfp);
		if (!list[i]) {
			kmem_cache_free_bulk(c, i, list);
			return 0;
		}
	}
	return size;
}

/**
 * kmem_cache_shrink() - nothing to do
 * @c: the cache
 */
void kmem_cache_shrink(struct kmem_cache *c)
{
}

/**
 * kmalloc() - allocate memory
 * @size: bytes
 * @gfp: __GFP_ZERO is honoured
 *
 * Return: the memory, or NULL.
 */
void *kmalloc(size_t size, gfp_t gfp)
{
	return gfp & __GFP_ZERO ? calloc(1, size) : malloc(size);
}

/**
 * kfree() - free memory from kmalloc()
 * @p: the memory, or NULL
 */
void kfree(void *p)
{
	free(p);
}
