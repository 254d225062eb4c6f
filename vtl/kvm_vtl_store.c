// SPDX-License-Identifier: GPL-2.0
/*
 * Per-VTL protection layers for Hyper-V Virtual Secure Mode on KVM.
 *
 * A layer is a default protection plus a maple tree that holds, in canonical
 * form, the maximal gfn ranges whose protection differs from the default:
 * no entry equals the default and no two adjacent entries are equal.  A run
 * of equal protection therefore costs one entry whatever its length, and a
 * change of the default is independent of the amount of guest memory.
 *
 * Writers are serialised by the caller; lookups run under RCU.  See
 * Documentation/vtl-store.rst.
 */

#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
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

/* Writer side: the caller's lock keeps the state stable. */
static inline u8 vtl_dflt(struct kvm_vtl_layer *l)
{
	return l->state & KVM_VTL_PROT_ALL;
}

static inline struct maple_tree *vtl_tree(struct kvm_vtl_layer *l, u16 state)
{
	return &l->trees[!!(state & KVM_VTL_STATE_TREE)];
}

/* Tree entry for @prot: gaps stand for the default. */
static inline void *vtl_entry(struct kvm_vtl_layer *l, u8 prot)
{
	return prot == vtl_dflt(l) ? NULL : xa_mk_value(prot);
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

/* Note every piece of [start, end] whose entry is not @want (old state). */
static void vtl_note_range(struct maple_tree *mt, u64 start, u64 end,
			   void *want, struct vtl_changes *c)
{
	MA_STATE(mas, mt, start, start);
	void *entry;

	entry = mas_walk(&mas);
	for (;;) {
		if (entry != want)
			vtl_note(c, max_t(u64, mas.index, start),
				 min_t(u64, mas.last, end));
		if (mas.last >= end)
			break;
		entry = mas_next_range(&mas, ULONG_MAX);
	}
}

/*
 * Give a prefix of [start, end] the entry @want with one tree store at
 * most, and set *@done to the last gfn handled.  The prefix ends after
 * VTL_STORE_SPAN old pieces or at @end.  The store is widened over equal
 * neighbours so that the tree stays canonical; a prefix that already
 * holds @want costs no store.  Nodes are allocated before anything is
 * noted or stored, so on -ENOMEM this prefix is untouched and unreported.
 */
static int vtl_apply_step(struct maple_tree *mt, struct ma_state *mas,
			  u64 start, u64 end, void *want,
			  struct vtl_changes *c, u64 *done)
{
	unsigned long first = start, last;
	unsigned int pieces = 0, nchanged = 0;
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
	 */
	for (;;) {
		if (entry != want) {
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
		if (nchanged == 1)
			vtl_note(c, cstart, cend);
		else
			vtl_note_range(mt, start, *done, want, c);
	}

	mas_store_prealloc(mas, want);
	return 0;
}

static int vtl_apply(struct kvm_vtl_layer *l, struct ma_state *mas,
		     u64 start, u64 end, void *want, struct vtl_changes *c)
{
	struct maple_tree *mt = vtl_tree(l, l->state);
	u64 done;
	int ret;

	for (;;) {
		ret = vtl_apply_step(mt, mas, start, end, want, c, &done);
		if (ret || done == end)
			return ret;
		start = done + 1;
	}
}

static void vtl_tree_init(struct maple_tree *mt, struct mutex *lock)
{
	mt_init_flags(mt, MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN);
	if (lock)
		mt_set_external_lock(mt, lock);
}

/*
 * Free a tree no reader can reach any more, outside RCU mode (see
 * VTL_STORE_SPAN); the caller holds the writer's lock or owns the tree.
 */
static void vtl_tree_free(struct maple_tree *mt)
{
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
	vtl_tree_free(&l->trees[0]);
	vtl_tree_free(&l->trees[1]);
}

/**
 * kvm_vtl_layer_get() - protection of one gfn
 * @l: the layer
 * @gfn: the guest frame
 *
 * Safe against concurrent writers: one tree walk, under the RCU read lock
 * together with the read of the layer's state (which a reset switches).  A
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

	rcu_read_lock();
	state = READ_ONCE(l->state);
	entry = mtree_load(vtl_tree(l, state), gfn);
	rcu_read_unlock();

	return entry ? xa_to_value(entry) : state & KVM_VTL_PROT_ALL;
}

/**
 * kvm_vtl_layer_uniform() - whether a gfn range has one protection
 * @l: the layer
 * @start: first gfn
 * @end: last gfn
 * @prot: receives the protection when the range is uniform
 *
 * One walk to the slot holding @start; since the tree is canonical, the
 * range is uniform exactly when that slot (or, for the default, the run of
 * empty slots starting there) reaches @end.  Meant for huge-page decisions.
 * Same concurrency rules as kvm_vtl_layer_get().
 *
 * Return: true if every gfn of [@start, @end] has the same protection.
 */
bool kvm_vtl_layer_uniform(struct kvm_vtl_layer *l, u64 start, u64 end,
			   u8 *prot)
{
	MA_STATE(mas, NULL, start, start);
	bool uniform = true;
	void *entry;
	u16 state;

	if (start > end)
		return false;

	rcu_read_lock();
	state = READ_ONCE(l->state);
	mas.tree = vtl_tree(l, state);
	entry = mas_walk(&mas);
	/* Empty slots may be split at node boundaries: all read as default. */
	while (!entry && mas.last < end) {
		if (mas_next_range(&mas, end)) {
			uniform = false;
			break;
		}
	}
	if (entry && mas.last < end)
		uniform = false;
	rcu_read_unlock();

	if (uniform)
		*prot = entry ? xa_to_value(entry) : state & KVM_VTL_PROT_ALL;
	return uniform;
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
	unsigned long last;
	void *entry;
	u16 state;

	max = min_t(u64, max, KVM_VTL_GFN_MAX);
	if (*gfn > max)
		return false;

	rcu_read_lock();
	state = READ_ONCE(l->state);
	mas.tree = vtl_tree(l, state);
	entry = mas_walk(&mas);
	last = mas.last;
	while (!entry && last < max) {
		if (mas_next_range(&mas, max))
			break;
		last = mas.last;
	}
	rcu_read_unlock();

	r->start = *gfn;
	r->end = min_t(u64, last, max);
	*prot = entry ? xa_to_value(entry) : state & KVM_VTL_PROT_ALL;
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
 * Costs one tree store when the range covers at most a dozen old ranges,
 * whatever its length; longer stretches of old ranges are rewritten a
 * dozen at a time.  Arguments are checked before anything changes.
 *
 * Return: 0; -EINVAL for @start > @end, @end > KVM_VTL_GFN_MAX or an
 * invalid @prot, with nothing changed; -ENOMEM when a step could not be
 * stored: a prefix [@start, x] may be applied (and was reported), the rest
 * is unchanged.  A range over at most a dozen old ranges is all or nothing.
 */
int kvm_vtl_layer_set_range(struct kvm_vtl_layer *l, u64 start, u64 end,
			    u8 prot, struct kvm_vtl_sink *sink)
{
	MA_STATE(mas, vtl_tree(l, l->state), start, start);
	struct vtl_changes c = { .sink = sink };
	int ret;

	if (start > end || end > KVM_VTL_GFN_MAX ||
	    !kvm_vtl_prot_valid(prot, true))
		return -EINVAL;

	ret = vtl_apply(l, &mas, start, end, vtl_entry(l, prot),
			sink ? &c : NULL);
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

/*
 * In-place heapsort of a gfn list: bounded time, no stack, and no call
 * through a pointer per comparison as with sort().
 */
static void vtl_sort_gfns(u64 *a, unsigned int n)
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
 * consecutive gfns; each run costs at most one tree store, and runs that
 * already have @prot cost none.  Changed ranges are reported in ascending
 * order.
 *
 * Return: 0; -EINVAL for an invalid @prot or a gfn above KVM_VTL_GFN_MAX,
 * with nothing changed; -ENOMEM when a store failed: in sorted order, the
 * gfns below a point are applied (and were reported), those from it on are
 * unchanged.  The point is the start of a run unless the run covers more
 * than a dozen old ranges.
 */
int kvm_vtl_layer_set_gfns(struct kvm_vtl_layer *l, u64 *gfns, unsigned int n,
			   u8 prot, struct kvm_vtl_sink *sink)
{
	MA_STATE(mas, vtl_tree(l, l->state), 0, 0);
	struct vtl_changes c = { .sink = sink };
	bool sorted = true;
	unsigned int i, j;
	void *want;
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

	want = vtl_entry(l, prot);
	for (i = 0; i < n && !ret; i = j) {
		u64 end = gfns[i];

		for (j = i + 1; j < n && gfns[j] <= end + 1; j++)
			end = gfns[j];
		ret = vtl_apply(l, &mas, gfns[i], end, want, sink ? &c : NULL);
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
	bool empty = mtree_empty(old);

	if (!kvm_vtl_prot_valid(dflt, true))
		return -EINVAL;

	if (sink) {
		struct vtl_changes c = { .sink = sink };

		if (dflt != vtl_dflt(l))
			vtl_note_range(old, 0, KVM_VTL_GFN_MAX,
				       xa_mk_value(dflt), &c);
		else
			vtl_note_range(old, 0, KVM_VTL_GFN_MAX, NULL, &c);
		vtl_flush(&c);
	}

	if (empty) {
		WRITE_ONCE(l->state, (state & KVM_VTL_STATE_TREE) | dflt);
		return 0;
	}
	WRITE_ONCE(l->state, ((state ^ KVM_VTL_STATE_TREE) &
			      KVM_VTL_STATE_TREE) | dflt);
	synchronize_rcu();
	vtl_tree_free(old);
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
