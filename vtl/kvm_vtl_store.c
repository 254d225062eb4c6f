// SPDX-License-Identifier: GPL-2.0
/*
 * Per-VTL protection layers for Hyper-V Virtual Secure Mode on KVM.
 *
 * A layer is a default protection plus a maple tree that holds, in canonical
 * form, what differs from the default, region by region (2 MiB): a run of
 * uniform regions as one range entry, a region that is not uniform as a
 * chunk of 4-bit protections.  No entry equals the default, no two adjacent
 * range entries are equal and no chunk is uniform.  A run of equal
 * protection therefore costs one entry and at most two chunks whatever its
 * length, a single page costs a nibble once its region has a chunk, and a
 * change of the default is independent of the amount of guest memory.
 *
 * Writers are serialised by the caller; lookups run under RCU.  See
 * Documentation/vtl-store.rst.
 */

#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <linux/kvm_vtl_store.h>

/* Bit p set: protection p is valid.  Without MBEC: none, R, RW, RX, RWX. */
#define VTL_VALID_PROTS		0xa00b
/* With MBEC: none, and every combination that includes R. */
#define VTL_VALID_PROTS_MBEC	0xaaab

/*
 * Bound on the old slots one tree store may overwrite.  In RCU mode the
 * maple tree of Linux 6.12 frees a subtree that a store covers completely
 * through mt_destroy_walk() and mt_free_walk(), which corrupt the last slot
 * of a full top node: mt_clear_meta() runs after mte_dead_leaves() dropped
 * the type bits of the slots, takes the last child for metadata and clears
 * its low bytes.  A subtree above leaf level with a full top node spans at
 * least 16 slots.  A step overwrites at most VTL_STORE_SPAN + 1 old pieces
 * and the two merged neighbours, 15 slots, so no such subtree reaches that
 * path; longer ranges are written step by step, and whole trees are freed
 * outside RCU mode.
 */
#define VTL_STORE_SPAN		12

/**
 * kvm_vtl_prot_valid() - check a protection value against the TLFS rules
 * @prot: HV_MAP_GPA_* combination
 * @mbec: whether mode-based execution control is enabled, which makes
 *	kernel and user execute separately grantable
 *
 * Write or execute access always needs read access.  Without MBEC the
 * executable bits come in pairs (KX governs both modes).
 *
 * Return: true if @prot is an allowed combination.
 */
bool kvm_vtl_prot_valid(u8 prot, bool mbec)
{
	if (prot > KVM_VTL_PROT_ALL)
		return false;

	return (mbec ? VTL_VALID_PROTS_MBEC : VTL_VALID_PROTS) & BIT(prot);
}

static struct kmem_cache *vtl_chunk_cache;

/**
 * kvm_vtl_store_init() - set up what all layers share
 *
 * Creates the cache of region chunks; call once before the first layer is
 * written (KVM does at module load).
 *
 * Return: 0 or -ENOMEM.
 */
int kvm_vtl_store_init(void)
{
	vtl_chunk_cache = kmem_cache_create("kvm_vtl_chunk",
					    sizeof(struct kvm_vtl_chunk), 0,
					    SLAB_ACCOUNT, NULL);
	return vtl_chunk_cache ? 0 : -ENOMEM;
}

/**
 * kvm_vtl_store_exit() - tear down what kvm_vtl_store_init() set up
 *
 * Every layer must have been destroyed; waits for chunks still on their
 * way to being freed.
 */
void kvm_vtl_store_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(vtl_chunk_cache);
}

/* Writer side: the caller's lock keeps the state stable. */
static inline u8 vtl_dflt(struct kvm_vtl_layer *l)
{
	return l->state & KVM_VTL_PROT_ALL;
}

static inline struct maple_tree *vtl_tree(struct kvm_vtl_layer *l, u16 state)
{
	return &l->trees[!!(state & KVM_VTL_STATE_TREE)];
}

/* The chunk index that goes with vtl_tree(l, state). */
static inline struct xarray *vtl_index(struct kvm_vtl_layer *l, u16 state)
{
	return &l->chunks[!!(state & KVM_VTL_STATE_TREE)];
}

/* Tree entry for a run of uniform regions: gaps stand for the default. */
static inline void *vtl_entry(struct kvm_vtl_layer *l, u8 prot)
{
	return prot == vtl_dflt(l) ? NULL : xa_mk_value(prot);
}

/* Protection of @gfn, which lies in the range of tree entry @entry. */
static inline u8 vtl_prot_at(const void *entry, u64 gfn, u8 dflt)
{
	if (!entry)
		return dflt;
	if (xa_is_value(entry))
		return xa_to_value(entry);
	return kvm_vtl_chunk_get(entry, gfn);
}

/* Writer: give frame @gfn of chunk @c protection @prot instead of @old. */
static void vtl_chunk_set(struct kvm_vtl_chunk *c, u64 gfn, u8 old, u8 prot)
{
	unsigned int i = gfn & KVM_VTL_CHUNK_MASK, shift = i % 2 * 4;

	WRITE_ONCE(c->prot[i / 2],
		   (c->prot[i / 2] & ~(KVM_VTL_PROT_ALL << shift)) |
		   prot << shift);
	c->count[old]--;
	c->count[prot]++;
}

static void vtl_chunk_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(vtl_chunk_cache,
			container_of(head, struct kvm_vtl_chunk, rcu));
}

/*
 * The end, at most @last, of the run of @prot that starts at @gfn inside
 * the range of tree entry @entry, which ends at @last.
 */
static u64 vtl_entry_run(const void *entry, u64 gfn, u64 last, u8 prot)
{
	if (!kvm_vtl_entry_is_chunk(entry))
		return last;
	while (gfn < last && kvm_vtl_chunk_get(entry, gfn + 1) == prot)
		gfn++;
	return gfn;
}

/*
 * Reader: the maximal run of equal protection from @mas's index, clipped
 * to @max.  Returns its last gfn and its protection in *@prot.  In canonical
 * form a run crosses at most a chunk's tail, a range (or the gaps of the
 * default) and a chunk's head, but the walk does not rely on it.
 */
static u64 vtl_run(struct ma_state *mas, u64 max, u8 dflt, u8 *prot)
{
	u64 gfn = mas->index, end;
	void *entry;
	u8 p;

	entry = mas_walk(mas);
	p = vtl_prot_at(entry, gfn, dflt);
	for (;;) {
		end = vtl_entry_run(entry, gfn, mas->last, p);
		if (end >= max || end < mas->last)
			break;
		gfn = end + 1;
		entry = mas_next_range(mas, ULONG_MAX);
		if (vtl_prot_at(entry, gfn, dflt) != p)
			break;
	}
	*prot = p;
	return min_t(u64, end, max);
}

/* Accumulates changed pieces, in ascending order, into maximal ranges. */
struct vtl_changes {
	struct kvm_vtl_sink *sink;
	u64 start;
	u64 end;
	bool open;
};

static void vtl_note(struct vtl_changes *c, u64 start, u64 end)
{
	if (c->open && c->end + 1 == start) {
		c->end = end;
		return;
	}
	if (c->open)
		c->sink->changed(c->sink, c->start, c->end);
	c->start = start;
	c->end = end;
	c->open = true;
}

static void vtl_flush(struct vtl_changes *c)
{
	if (c->open)
		c->sink->changed(c->sink, c->start, c->end);
	c->open = false;
}

/* Note every gfn of [start, end] whose protection is not @prot (old state). */
static void vtl_note_range(struct maple_tree *mt, u64 start, u64 end,
			   u8 prot, u8 dflt, struct vtl_changes *c)
{
	MA_STATE(mas, mt, start, start);
	u64 gfn = start, last;
	void *entry;

	entry = mas_walk(&mas);
	for (;;) {
		last = min_t(u64, mas.last, end);
		if (kvm_vtl_entry_is_chunk(entry)) {
			for (; gfn <= last; gfn++)
				if (kvm_vtl_chunk_get(entry, gfn) != prot)
					vtl_note(c, gfn, gfn);
		} else if (vtl_prot_at(entry, gfn, dflt) != prot) {
			vtl_note(c, gfn, last);
		}
		if (mas.last >= end)
			break;
		gfn = mas.last + 1;
		entry = mas_next_range(&mas, ULONG_MAX);
	}
}

/*
 * Give a prefix of the whole regions [start, end] the entry @want with one
 * tree store at most, and set *@done to the last gfn handled.  The prefix
 * ends after VTL_STORE_SPAN old pieces or at @end.  The store is widened
 * over equal neighbours so that the tree stays canonical; a prefix that
 * already holds @want costs no store.  Nodes are allocated before anything
 * is noted or stored, so on -ENOMEM this prefix is untouched and
 * unreported.  The chunks the store covers are freed after a grace period.
 */
static int vtl_apply_step(struct kvm_vtl_layer *l, struct ma_state *mas,
			  u64 start, u64 end, void *want,
			  struct vtl_changes *c, u64 *done)
{
	struct kvm_vtl_chunk *dead[VTL_STORE_SPAN + 1];
	unsigned long dead_base[VTL_STORE_SPAN + 1];
	unsigned long first = start, last;
	unsigned int pieces = 0, nchanged = 0, ndead = 0, i;
	u64 cstart = 0, cend = 0;
	bool prev_changed = false;
	struct ma_state at_first;
	void *entry;
	int ret;

	/*
	 * The slot holding start - 1 tells whether the left side merges.
	 * Keep the state at the slot where the store will begin, so that
	 * the store need not walk down from the root again.
	 */
	mas_set(mas, start ? start - 1 : 0);
	entry = mas_walk(mas);
	at_first = *mas;
	if (start) {
		if (want && entry == want)
			first = mas->index;
		if (mas->last < start) {
			entry = mas_next_range(mas, ULONG_MAX);
			if (first == start)
				at_first = *mas;
		}
	}

	/*
	 * Walk the old slots from start, noting the changed pieces.  A step
	 * that stops early stops before a piece that differs from @want, so
	 * the tree stays canonical between steps and after a failed one.
	 * A chunk always differs from @want, and is always covered whole.
	 */
	for (;;) {
		if (entry != want) {
			if (kvm_vtl_entry_is_chunk(entry)) {
				dead_base[ndead] = mas->index;
				dead[ndead++] = entry;
			}
			if (!prev_changed) {
				nchanged++;
				if (nchanged == 1)
					cstart = max_t(u64, mas->index, start);
			}
			if (nchanged == 1)
				cend = min_t(u64, mas->last, end);
			prev_changed = true;
		} else {
			prev_changed = false;
		}
		if (mas->last >= end) {
			*done = end;
			break;
		}
		entry = mas_next_range(mas, ULONG_MAX);
		if (++pieces >= VTL_STORE_SPAN && (!want || entry != want)) {
			*done = mas->index - 1;
			break;
		}
	}
	if (!nchanged)
		return 0;

	/* At the end of the range, the slot after it may merge too. */
	last = *done;
	if (want && *done == end) {
		if (entry == want) {
			last = mas->last;
		} else if (mas->last == end) {
			entry = mas_next_range(mas, ULONG_MAX);
			if (entry == want)
				last = mas->last;
		}
	}

	if (mas_is_active(&at_first)) {
		*mas = at_first;
		__mas_set_range(mas, first, last);
	} else {
		mas_set_range(mas, first, last);
	}
	ret = mas_preallocate(mas, want, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;

	if (c) {
		if (nchanged == 1 && !ndead)
			vtl_note(c, cstart, cend);
		else
			vtl_note_range(vtl_tree(l, l->state), start, *done,
				       want ? xa_to_value(want) : vtl_dflt(l),
				       vtl_dflt(l), c);
	}

	mas_store_prealloc(mas, want);
	for (i = 0; i < ndead; i++) {
		xa_erase(vtl_index(l, l->state),
			 dead_base[i] >> KVM_VTL_CHUNK_SHIFT);
		call_rcu(&dead[i]->rcu, vtl_chunk_free_rcu);
	}
	return 0;
}

/* Set the whole regions [start, end] to @want, a step at a time. */
static int vtl_apply(struct kvm_vtl_layer *l, struct ma_state *mas,
		     u64 start, u64 end, void *want, struct vtl_changes *c)
{
	u64 done;
	int ret;

	for (;;) {
		ret = vtl_apply_step(l, mas, start, end, want, c, &done);
		if (ret || done == end)
			return ret;
		start = done + 1;
	}
}

/*
 * The writer's last chunk, so that the gfns of a list that share a region
 * cost one walk of the tree.  Any store may move chunks: only the chunk
 * that a partial write just used or made is remembered.
 */
struct vtl_cursor {
	u64 base;
	struct kvm_vtl_chunk *chunk;
};

/*
 * [start, end] inside the region at @base, whose protection is uniformly
 * @old, gets @prot: the region becomes a chunk, with one tree store.
 */
static int vtl_chunk_make(struct kvm_vtl_layer *l, struct ma_state *mas,
			  u64 base, u64 start, u64 end, u8 old, u8 prot,
			  struct vtl_changes *c, struct vtl_cursor *cur)
{
	struct xarray *index = vtl_index(l, l->state);
	unsigned long region = base >> KVM_VTL_CHUNK_SHIFT;
	struct kvm_vtl_chunk *chunk;
	u64 gfn;

	chunk = kmem_cache_alloc(vtl_chunk_cache, GFP_KERNEL_ACCOUNT);
	if (!chunk)
		return -ENOMEM;
	if (xa_reserve(index, region, GFP_KERNEL_ACCOUNT)) {
		kmem_cache_free(vtl_chunk_cache, chunk);
		return -ENOMEM;
	}
	memset(chunk->prot, old * 0x11, sizeof(chunk->prot));
	memset(chunk->count, 0, sizeof(chunk->count));
	chunk->count[old] = KVM_VTL_CHUNK_GFNS;
	for (gfn = start; gfn <= end; gfn++)
		vtl_chunk_set(chunk, gfn, old, prot);

	/* The walk that found @old left @mas at the slot to split. */
	if (mas_is_active(mas))
		__mas_set_range(mas, base, base + KVM_VTL_CHUNK_MASK);
	else
		mas_set_range(mas, base, base + KVM_VTL_CHUNK_MASK);
	if (mas_preallocate(mas, chunk, GFP_KERNEL_ACCOUNT)) {
		xa_release(index, region);
		kmem_cache_free(vtl_chunk_cache, chunk);
		return -ENOMEM;
	}
	if (c)
		vtl_note(c, start, end);
	/* Readers that miss the index find the chunk in the tree. */
	mas_store_prealloc(mas, chunk);
	xa_store(index, region, chunk, GFP_KERNEL_ACCOUNT);
	cur->base = base;
	cur->chunk = chunk;
	return 0;
}

/*
 * Set [start, end], inside the region of the cursor's chunk, to @prot: the
 * nibbles change in place, without a tree store, unless the chunk would
 * become uniform: then the region becomes a range (merged with its
 * neighbours) with one store.
 */
static int vtl_chunk_write(struct kvm_vtl_layer *l, struct ma_state *mas,
			   u64 start, u64 end, u8 prot, struct vtl_changes *c,
			   struct vtl_cursor *cur)
{
	struct kvm_vtl_chunk *chunk = cur->chunk;
	unsigned int differ = 0;
	u64 gfn;
	u8 old;

	for (gfn = start; gfn <= end; gfn++)
		differ += kvm_vtl_chunk_get(chunk, gfn) != prot;
	if (!differ)
		return 0;
	if (chunk->count[prot] + differ == KVM_VTL_CHUNK_GFNS) {
		cur->chunk = NULL;
		return vtl_apply(l, mas, cur->base,
				 cur->base + KVM_VTL_CHUNK_MASK,
				 vtl_entry(l, prot), c);
	}
	for (gfn = start; gfn <= end; gfn++) {
		old = kvm_vtl_chunk_get(chunk, gfn);
		if (old == prot)
			continue;
		vtl_chunk_set(chunk, gfn, old, prot);
		if (c)
			vtl_note(c, gfn, gfn);
	}
	return 0;
}

/*
 * Set [start, end], part of one region but not all of it, to @prot: in
 * the region's chunk, found through the cursor or the index; a uniform
 * region becomes a chunk.
 */
static int vtl_write_part(struct kvm_vtl_layer *l, struct ma_state *mas,
			  u64 start, u64 end, u8 prot, struct vtl_changes *c,
			  struct vtl_cursor *cur)
{
	u64 base = start & ~KVM_VTL_CHUNK_MASK;
	struct kvm_vtl_chunk *chunk;
	void *entry;
	u8 old;

	if (!cur->chunk || cur->base != base) {
		/* Most writes land in a chunk and need no tree walk. */
		chunk = xa_load(vtl_index(l, l->state),
				base >> KVM_VTL_CHUNK_SHIFT);
		if (!chunk) {
			mas_set(mas, start);
			entry = mas_walk(mas);
			old = vtl_prot_at(entry, start, vtl_dflt(l));
			if (old == prot)
				return 0;
			return vtl_chunk_make(l, mas, base, start, end, old,
					      prot, c, cur);
		}
		cur->base = base;
		cur->chunk = chunk;
	}
	return vtl_chunk_write(l, mas, start, end, prot, c, cur);
}

/*
 * Set [start, end] to @prot: whole regions as ranges, the parts of regions
 * at either end through their chunks, in ascending order.
 */
static int vtl_write(struct kvm_vtl_layer *l, struct ma_state *mas,
		     u64 start, u64 end, u8 prot, struct vtl_changes *c,
		     struct vtl_cursor *cur)
{
	u64 stop;
	int ret;

	for (;;) {
		if (!(start & KVM_VTL_CHUNK_MASK) &&
		    end - start >= KVM_VTL_CHUNK_MASK) {
			stop = end | KVM_VTL_CHUNK_MASK;
			if (stop != end)
				stop -= KVM_VTL_CHUNK_GFNS;
			cur->chunk = NULL;
			ret = vtl_apply(l, mas, start, stop, vtl_entry(l, prot),
					c);
		} else {
			stop = min_t(u64, end, start | KVM_VTL_CHUNK_MASK);
			ret = vtl_write_part(l, mas, start, stop, prot, c, cur);
		}
		if (ret || stop == end)
			return ret;
		start = stop + 1;
	}
}

static void vtl_tree_init(struct maple_tree *mt, struct mutex *lock)
{
	mt_init_flags(mt, MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN);
	if (lock)
		mt_set_external_lock(mt, lock);
}

/*
 * Free tree and index @i with their chunks, which no reader can reach any
 * more; the tree outside RCU mode (see VTL_STORE_SPAN).  The caller holds
 * the writer's lock or owns the layer.
 */
static void vtl_tree_free(struct kvm_vtl_layer *l, unsigned int i)
{
	struct maple_tree *mt = &l->trees[i];
	struct kvm_vtl_chunk *chunk;
	unsigned long region;

	xa_for_each(&l->chunks[i], region, chunk)
		kmem_cache_free(vtl_chunk_cache, chunk);
	xa_destroy(&l->chunks[i]);
	mt_clear_in_rcu(mt);
	__mt_destroy(mt);
	mt_set_in_rcu(mt);
}

/**
 * kvm_vtl_layer_init() - initialise an empty layer
 * @l: the layer
 * @dflt: protection of all memory, a value kvm_vtl_prot_valid() accepts
 *	with MBEC; KVM_VTL_PROT_ALL for a VTL that protects nothing
 * @lock: the caller's lock that serialises writers of this layer; lockdep
 *	checks it where available.  May be NULL.
 *
 * The trees run in RCU mode with an external lock: writers must hold
 * @lock, readers need only RCU.
 */
void kvm_vtl_layer_init(struct kvm_vtl_layer *l, u8 dflt, struct mutex *lock)
{
	vtl_tree_init(&l->trees[0], lock);
	vtl_tree_init(&l->trees[1], lock);
	xa_init_flags(&l->chunks[0], XA_FLAGS_ACCOUNT);
	xa_init_flags(&l->chunks[1], XA_FLAGS_ACCOUNT);
	l->state = dflt & KVM_VTL_PROT_ALL;
}

/**
 * kvm_vtl_layer_destroy() - free a layer's exceptions
 * @l: the layer, with no writer and no reader left (as at VM teardown);
 *	the writer's lock need not be held
 *
 * Frees the nodes at once.  The trees are private from here on, so they
 * drop their lockdep link to the writer's lock; initialise the layer again
 * before using it again.
 */
void kvm_vtl_layer_destroy(struct kvm_vtl_layer *l)
{
	mt_on_stack(l->trees[0]);
	mt_on_stack(l->trees[1]);
	vtl_tree_free(l, 0);
	vtl_tree_free(l, 1);
}

/**
 * kvm_vtl_layer_get() - protection of one gfn
 * @l: the layer
 * @gfn: the guest frame
 *
 * Safe against concurrent writers: a walk of the chunk index, and of the
 * tree when the region has no chunk, under the RCU read lock together with
 * the read of the layer's state (which a reset switches).  A
 * lookup that races with a write returns the old or the new protection of
 * @gfn; callers that map memory must detect the race as KVM
 * does, with its MMU invalidation sequence.
 *
 * Return: the protection of @gfn in this layer.
 */
u8 kvm_vtl_layer_get(struct kvm_vtl_layer *l, u64 gfn)
{
	void *entry;
	u16 state;
	u8 prot;

	rcu_read_lock();
	state = READ_ONCE(l->state);
	entry = xa_load(vtl_index(l, state), gfn >> KVM_VTL_CHUNK_SHIFT);
	if (!entry)
		entry = mtree_load(vtl_tree(l, state), gfn);
	prot = vtl_prot_at(entry, gfn, state & KVM_VTL_PROT_ALL);
	rcu_read_unlock();

	return prot;
}

/**
 * kvm_vtl_layer_uniform() - whether a gfn range has one protection
 * @l: the layer
 * @start: first gfn
 * @end: last gfn
 * @prot: receives the protection when the range is uniform
 *
 * One walk to the slot holding @start, then along the run of equal
 * protection that starts there; in canonical form the run crosses at most
 * three entries.  Meant for huge-page decisions.  Same concurrency rules as
 * kvm_vtl_layer_get().
 *
 * Return: true if every gfn of [@start, @end] has the same protection.
 */
bool kvm_vtl_layer_uniform(struct kvm_vtl_layer *l, u64 start, u64 end,
			   u8 *prot)
{
	MA_STATE(mas, NULL, start, start);
	u64 last;
	u16 state;
	u8 p;

	if (start > end)
		return false;

	rcu_read_lock();
	state = READ_ONCE(l->state);
	mas.tree = vtl_tree(l, state);
	last = vtl_run(&mas, end, state & KVM_VTL_PROT_ALL, &p);
	rcu_read_unlock();

	if (last != end)
		return false;
	*prot = p;
	return true;
}

/**
 * kvm_vtl_layer_next() - read a layer back range by range
 * @l: the layer
 * @gfn: in: first gfn to report; out: the gfn after the reported range
 * @max: last gfn of interest (clamped to KVM_VTL_GFN_MAX)
 * @r: receives the maximal range of equal protection that starts at @gfn,
 *	clipped to @max
 * @prot: receives its protection
 *
 * Default runs are reported like exceptions, so iterating from 0 to @max
 * covers every gfn exactly once, for save/restore and for VMMs.  Hold the
 * writer's lock across the iteration for a consistent snapshot.
 *
 * Return: false once @gfn is past @max, true if @r and @prot were filled.
 */
bool kvm_vtl_layer_next(struct kvm_vtl_layer *l, u64 *gfn, u64 max,
			struct kvm_vtl_range *r, u8 *prot)
{
	MA_STATE(mas, NULL, *gfn, *gfn);
	u16 state;

	max = min_t(u64, max, KVM_VTL_GFN_MAX);
	if (*gfn > max)
		return false;

	rcu_read_lock();
	state = READ_ONCE(l->state);
	mas.tree = vtl_tree(l, state);
	r->end = vtl_run(&mas, max, state & KVM_VTL_PROT_ALL, prot);
	rcu_read_unlock();

	r->start = *gfn;
	*gfn = r->end + 1;
	return true;
}

/**
 * kvm_vtl_layer_set_range() - set the protection of a gfn range
 * @l: the layer, with its writer's lock held
 * @start: first gfn
 * @end: last gfn
 * @prot: new protection, valid with MBEC (the caller checks the stricter
 *	rule when MBEC is off)
 * @sink: receives the maximal ranges whose protection changed, or NULL
 *
 * The whole regions of the range cost one tree store per dozen old
 * entries they cover, whatever their length; a part of a region at either
 * end changes its chunk in place, or costs one store when the region
 * becomes or stops being a chunk.  Arguments are checked before anything
 * changes.
 *
 * Return: 0; -EINVAL for @start > @end, @end > KVM_VTL_GFN_MAX or an
 * invalid @prot, with nothing changed; -ENOMEM when a step could not be
 * stored: a prefix [@start, x] may be applied (and was reported), the rest
 * is unchanged.
 */
int kvm_vtl_layer_set_range(struct kvm_vtl_layer *l, u64 start, u64 end,
			    u8 prot, struct kvm_vtl_sink *sink)
{
	MA_STATE(mas, vtl_tree(l, l->state), start, start);
	struct vtl_changes c = { .sink = sink };
	struct vtl_cursor cur = {};
	int ret;

	if (start > end || end > KVM_VTL_GFN_MAX ||
	    !kvm_vtl_prot_valid(prot, true))
		return -EINVAL;

	ret = vtl_write(l, &mas, start, end, prot, sink ? &c : NULL, &cur);
	if (sink)
		vtl_flush(&c);
	return ret;
}

static void vtl_sift(u64 *a, unsigned int root, unsigned int n)
{
	unsigned int child;
	u64 v = a[root];

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[child] <= v)
			break;
		a[root] = a[child];
		root = child;
	}
	a[root] = v;
}

/* In-place heapsort: bounded time, no memory. */
static void vtl_heapsort(u64 *a, unsigned int n)
{
	unsigned int i;
	u64 t;

	for (i = n / 2; i-- > 0;)
		vtl_sift(a, i, n);
	for (i = n; i-- > 1;) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		vtl_sift(a, 0, i);
	}
}

/*
 * Radix sort, a byte per pass, least significant first, skipping the bytes
 * in which all gfns agree: three passes for a guest below 64 GiB, about ten
 * times faster than a heapsort of 510 gfns.  Needs @n gfns of scratch.
 */
static void vtl_radix_sort(u64 *a, u64 *tmp, unsigned int n)
{
	u16 pos[256];
	u64 *src = a, *dst = tmp, *t, differ = 0;
	unsigned int i, shift, d, sum;

	for (i = 1; i < n; i++)
		differ |= a[i] ^ a[0];
	for (shift = 0; shift < 64 && differ >> shift; shift += 8) {
		if (!((differ >> shift) & 0xff))
			continue;
		memset(pos, 0, sizeof(pos));
		for (i = 0; i < n; i++)
			pos[(src[i] >> shift) & 0xff]++;
		for (d = 0, sum = 0; d < 256; d++) {
			i = pos[d];
			pos[d] = sum;
			sum += i;
		}
		for (i = 0; i < n; i++)
			dst[pos[(src[i] >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/*
 * Sort a gfn list in place: a radix sort into scratch memory, or a heapsort
 * when the list is too short for that to pay or no memory is at hand.
 */
static void vtl_sort_gfns(u64 *a, unsigned int n)
{
	u64 *tmp = NULL;

	if (n >= 32 && n <= U16_MAX)
		tmp = kmalloc_array(n, sizeof(*a), GFP_KERNEL);
	if (!tmp) {
		vtl_heapsort(a, n);
		return;
	}
	vtl_radix_sort(a, tmp, n);
	kfree(tmp);
}

/**
 * kvm_vtl_layer_set_gfns() - set the protection of a list of gfns
 * @l: the layer, with its writer's lock held
 * @gfns: the gfns, in any order, duplicates allowed, as carried by
 *	HvModifyVtlProtectionMask; used as scratch: sorted in place
 * @n: number of gfns
 * @prot: new protection, as for kvm_vtl_layer_set_range()
 * @sink: receives the maximal ranges whose protection changed, or NULL
 *
 * The list is sorted (unless it already is) and coalesced into runs of
 * consecutive gfns.  A run inside a region that already has a chunk costs
 * no tree store, and consecutive runs in one region share one tree walk;
 * other runs cost a tree store each, and runs that already have @prot
 * cost none.  Changed ranges are reported in ascending order.
 *
 * Return: 0; -EINVAL for an invalid @prot or a gfn above KVM_VTL_GFN_MAX,
 * with nothing changed; -ENOMEM when a store failed: in sorted order, the
 * gfns below a point are applied (and were reported), those from it on are
 * unchanged.
 */
int kvm_vtl_layer_set_gfns(struct kvm_vtl_layer *l, u64 *gfns, unsigned int n,
			   u8 prot, struct kvm_vtl_sink *sink)
{
	MA_STATE(mas, vtl_tree(l, l->state), 0, 0);
	struct vtl_changes c = { .sink = sink };
	struct vtl_cursor cur = {};
	bool sorted = true;
	unsigned int i, j;
	int ret = 0;

	if (!kvm_vtl_prot_valid(prot, true))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (gfns[i] > KVM_VTL_GFN_MAX)
			return -EINVAL;
		if (i && gfns[i] < gfns[i - 1])
			sorted = false;
	}
	if (!sorted)
		vtl_sort_gfns(gfns, n);

	for (i = 0; i < n && !ret; i = j) {
		u64 end = gfns[i];

		for (j = i + 1; j < n && gfns[j] <= end + 1; j++)
			end = gfns[j];
		if (end == gfns[i] && cur.chunk &&
		    cur.base == (end & ~KVM_VTL_CHUNK_MASK))
			ret = vtl_chunk_write(l, &mas, end, end, prot,
					      sink ? &c : NULL, &cur);
		else
			ret = vtl_write(l, &mas, gfns[i], end, prot,
					sink ? &c : NULL, &cur);
	}
	if (sink)
		vtl_flush(&c);
	return ret;
}

/**
 * kvm_vtl_layer_reset() - give the whole layer one protection
 * @l: the layer, with its writer's lock held
 * @dflt: the new default, valid with MBEC
 * @sink: receives the maximal ranges whose protection changed, or NULL
 *
 * Drops every exception and sets the default, independent of the amount of
 * memory: readers switch to the empty second tree and the new default in
 * one step, then the old tree is freed after an RCU grace period, which
 * this function waits for (it sleeps) unless the layer had no exceptions.
 * Cost O(number of exceptions).  Cannot fail for a valid @dflt.
 *
 * Return: 0, or -EINVAL for an invalid @dflt, with nothing changed.
 */
int kvm_vtl_layer_reset(struct kvm_vtl_layer *l, u8 dflt,
			struct kvm_vtl_sink *sink)
{
	u16 state = l->state;
	struct maple_tree *old = vtl_tree(l, state);
	/* A failed xa_reserve() may leave empty nodes behind in the index. */
	bool empty = mtree_empty(old) && xa_empty(vtl_index(l, state));

	if (!kvm_vtl_prot_valid(dflt, true))
		return -EINVAL;

	if (sink) {
		struct vtl_changes c = { .sink = sink };

		vtl_note_range(old, 0, KVM_VTL_GFN_MAX, dflt, vtl_dflt(l), &c);
		vtl_flush(&c);
	}

	if (empty) {
		WRITE_ONCE(l->state, (state & KVM_VTL_STATE_TREE) | dflt);
		return 0;
	}
	WRITE_ONCE(l->state, ((state ^ KVM_VTL_STATE_TREE) &
			      KVM_VTL_STATE_TREE) | dflt);
	synchronize_rcu();
	vtl_tree_free(l, !!(state & KVM_VTL_STATE_TREE));
	return 0;
}

/**
 * kvm_vtl_layers_init() - initialise the layers of a partition
 * @ls: the layers
 * @lock: the lock that serialises writers of all layers, or NULL
 *
 * Every layer starts with default KVM_VTL_PROT_ALL: a VTL restricts
 * nothing until it sets its own default or exceptions.
 */
void kvm_vtl_layers_init(struct kvm_vtl_layers *ls, struct mutex *lock)
{
	unsigned int i;

	for (i = 0; i < KVM_VTL_NR; i++)
		kvm_vtl_layer_init(&ls->layer[i], KVM_VTL_PROT_ALL, lock);
}

/**
 * kvm_vtl_layers_destroy() - free all layers of a partition
 * @ls: the layers, as for kvm_vtl_layer_destroy()
 */
void kvm_vtl_layers_destroy(struct kvm_vtl_layers *ls)
{
	unsigned int i;

	for (i = 0; i < KVM_VTL_NR; i++)
		kvm_vtl_layer_destroy(&ls->layer[i]);
}

/**
 * kvm_vtl_effective() - access a VTL has to a gfn
 * @ls: the layers
 * @vtl: the VTL that accesses
 * @max_vtl: the highest enabled VTL
 * @gfn: the guest frame
 *
 * Return: the AND of the layers @vtl + 1 .. @max_vtl at @gfn;
 * KVM_VTL_PROT_ALL when no VTL above @vtl is enabled.
 */
u8 kvm_vtl_effective(struct kvm_vtl_layers *ls, u8 vtl, u8 max_vtl, u64 gfn)
{
	u8 prot = KVM_VTL_PROT_ALL;
	unsigned int i;

	for (i = vtl + 1; i <= max_vtl && i < KVM_VTL_NR && prot; i++)
		prot &= kvm_vtl_layer_get(&ls->layer[i], gfn);
	return prot;
}

/**
 * kvm_vtl_effective_uniform() - whether a VTL's access is uniform on a range
 * @ls: the layers
 * @vtl: the VTL that accesses
 * @max_vtl: the highest enabled VTL
 * @start: first gfn
 * @end: last gfn
 * @prot: receives the effective protection when uniform
 *
 * One walk per layer.  Conservative: answers false when some layer is not
 * uniform on the range, unless the layers before it already deny all.
 *
 * Return: true if the effective protection is the same on all of the range.
 */
bool kvm_vtl_effective_uniform(struct kvm_vtl_layers *ls, u8 vtl, u8 max_vtl,
			       u64 start, u64 end, u8 *prot)
{
	u8 acc = KVM_VTL_PROT_ALL, p;
	unsigned int i;

	if (start > end)
		return false;

	for (i = vtl + 1; i <= max_vtl && i < KVM_VTL_NR && acc; i++) {
		if (!kvm_vtl_layer_uniform(&ls->layer[i], start, end, &p))
			return false;
		acc &= p;
	}
	*prot = acc;
	return true;
}
