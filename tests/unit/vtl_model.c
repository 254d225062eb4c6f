// SPDX-License-Identifier: GPL-2.0
/*
 * Reference model and checker for virt/kvm/vtl_store.c, shared by the
 * randomized model test and the fuzz target.  Every operation is run on the
 * store and on the model; results, reported changes and the canonical form
 * of the tree are compared after each one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/radix-tree.h>
#include <linux/xarray.h>

#include "vtl_model.h"

#define PAGES_LIMIT	(KVM_VTL_GFN_MAX + 1)

unsigned int model_fail_rate;
u64 model_fail_state = 1;

/* ---- operation source ---------------------------------------------- */

static u64 splitmix(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

u64 src_bits(struct model_src *s, unsigned int bits)
{
	u64 v = 0;
	unsigned int i;

	if (!s->data)
		return bits >= 64 ? splitmix(&s->state) :
			splitmix(&s->state) & ((1ULL << bits) - 1);

	for (i = 0; i < bits; i += 8) {
		if (s->pos >= s->len) {
			s->done = true;
			break;
		}
		v |= (u64)s->data[s->pos++] << i;
	}
	return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

u64 src_below(struct model_src *s, u64 n)
{
	unsigned int bits = 8;

	if (n <= 1)
		return 0;
	while (bits < 64 && (n - 1) >> bits)
		bits += 8;
	return src_bits(s, bits) % n;
}

static bool src_chance(struct model_src *s, unsigned int percent)
{
	return src_below(s, 100) < percent;
}

/* ---- model layout ---------------------------------------------------- */

static u64 seg_end(struct model *m, unsigned int i)
{
	return i + 1 < m->nseg ? m->seg[i + 1] - 1 : KVM_VTL_GFN_MAX;
}

static unsigned int seg_of(struct model *m, u64 gfn)
{
	unsigned int lo = 0, hi = m->nseg - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi + 1) / 2;

		if (m->seg[mid] <= gfn)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static __printf(2, 3) int fail(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void sink_changed(struct kvm_vtl_sink *sink, u64 start, u64 end)
{
	struct model *m = container_of(sink, struct model, sink);

	if (m->ngot < m->maxgot) {
		m->got[m->ngot].start = start;
		m->got[m->ngot].end = end;
	}
	m->ngot++;
}

/*
 * The kernel code's userspace environment, once per process: RCU for this
 * thread, the maple tree and radix tree caches, the store's caches.
 */
int model_harness_init(void)
{
	rcu_register_thread();
	maple_tree_init();
	radix_tree_init();
	if (kvm_vtl_store_init()) {
		fprintf(stderr, "kvm_vtl_store_init failed\n");
		return -1;
	}
	return 0;
}

/**
 * model_init() - lay out segments for the given windows
 * @m: the model
 * @win_start: first gfn of each window, ascending, windows not adjacent
 * @win_len: pages in each window
 *
 * Return: 0, -EINVAL for a bad layout, or -ENOMEM.
 */
int model_init(struct model *m, const u64 *win_start, const u64 *win_len)
{
	unsigned int w, n = 0;
	u64 cur = 0, p;

	memset(m, 0, sizeof(*m));
	for (w = 0; w < MODEL_NWIN; w++) {
		/* Windows ascend with gaps between them: a gap is a segment. */
		if (!win_len[w] || win_start[w] + win_len[w] - 1 > KVM_VTL_GFN_MAX ||
		    (w && win_start[w] <= win_start[w - 1] + win_len[w - 1]))
			return -EINVAL;
		m->win_start[w] = win_start[w];
		m->win_len[w] = win_len[w];
		n += win_len[w] + 1;
	}
	n++;
	m->seg = calloc(n, sizeof(*m->seg));
	m->val = calloc(n, sizeof(*m->val));
	m->maxgot = n;
	m->got = calloc(m->maxgot, sizeof(*m->got));
	m->want = calloc(m->maxgot, sizeof(*m->want));
	if (!m->seg || !m->val || !m->got || !m->want)
		return -ENOMEM;

	for (w = 0; w < MODEL_NWIN; w++) {
		if (win_start[w] > cur)
			m->seg[m->nseg++] = cur;
		for (p = 0; p < win_len[w]; p++)
			m->seg[m->nseg++] = win_start[w] + p;
		cur = win_start[w] + win_len[w];
	}
	if (cur <= KVM_VTL_GFN_MAX)
		m->seg[m->nseg++] = cur;
	m->sink.changed = sink_changed;
	return 0;
}

/**
 * model_free() - free the model's arrays
 * @m: the model, whose layer was destroyed
 */
void model_free(struct model *m)
{
	free(m->seg);
	free(m->val);
	free(m->got);
	free(m->want);
}

/* Valid with MBEC: none, and R with any of W, UX, KX + UX. */
static const u8 valid_prots[] = { 0x0, 0x1, 0x3, 0x9, 0xb, 0xd, 0xf };

static u8 pick_valid(struct model_src *s)
{
	return valid_prots[src_below(s, ARRAY_SIZE(valid_prots))];
}

static u8 pick_prot(struct model *m, struct model_src *s)
{
	if (src_chance(s, 5))
		return pick_valid(s);
	return m->palette[src_below(s, m->npal)];
}

/**
 * model_reset() - start a new trial: empty layer, random default, palette
 * @m: the model, whose layer is not initialised
 * @s: source of choices
 */
void model_reset(struct model *m, struct model_src *s)
{
	unsigned int i;

	m->npal = 1 + src_below(s, 4);
	for (i = 0; i < m->npal; i++)
		m->palette[i] = pick_valid(s);
	m->dflt = m->palette[src_below(s, m->npal)];
	memset(m->val, m->dflt, m->nseg);
	kvm_vtl_layer_init(&m->layer, m->dflt, NULL);
}

/* A gfn inside a window: where writes may start and end. */
static u64 pick_window_gfn(struct model *m, struct model_src *s)
{
	unsigned int w = src_below(s, 10);

	w = w < 8 ? 0 : w - 7;
	return m->win_start[w] + src_below(s, m->win_len[w]);
}

/* Any gfn at all, with the edges of segments favoured. */
static u64 pick_any_gfn(struct model *m, struct model_src *s)
{
	unsigned int i;

	switch (src_below(s, 4)) {
	case 0:
		return src_below(s, PAGES_LIMIT);
	case 1:
		i = src_below(s, m->nseg);
		return src_chance(s, 50) ? m->seg[i] : seg_end(m, i);
	default:
		return pick_window_gfn(m, s);
	}
}

static u64 pick_window_end(struct model *m, struct model_src *s, u64 start)
{
	unsigned int w;
	u64 wend = start;

	for (w = 0; w < MODEL_NWIN; w++)
		if (start >= m->win_start[w] &&
		    start < m->win_start[w] + m->win_len[w])
			wend = m->win_start[w] + m->win_len[w] - 1;

	switch (src_below(s, 20)) {
	case 0:
		return wend;
	case 1: {
		u64 g = pick_window_gfn(m, s);

		return g >= start ? g : wend;
	}
	case 2:
	case 3:
		return min_t(u64, wend, start + src_below(s, 4096));
	default:
		return min_t(u64, wend, start + src_below(s, 1 + src_below(s, 16)));
	}
}

/* ---- checks ------------------------------------------------------------ */

/* A chunk's counts match its nibbles, which are valid and not uniform. */
static int check_chunk(struct model *m, struct kvm_vtl_chunk *c, u64 base)
{
	u16 count[KVM_VTL_PROT_ALL + 1] = {};
	unsigned int i;
	u8 p;

	for (i = 0; i < KVM_VTL_CHUNK_GFNS; i++) {
		p = kvm_vtl_chunk_get(c, base + i);
		if (!kvm_vtl_prot_valid(p, true))
			return fail(m, "chunk at %#lx: bad protection %#x at %#lx",
				    base, p, base + i);
		count[p]++;
	}
	for (p = 0; p <= KVM_VTL_PROT_ALL; p++) {
		if (count[p] != c->count[p])
			return fail(m, "chunk at %#lx counts %u of %#x, has %u",
				    base, c->count[p], p, count[p]);
		if (count[p] == KVM_VTL_CHUNK_GFNS)
			return fail(m, "chunk at %#lx is uniformly %#x",
				    base, p);
	}
	return 0;
}

/*
 * The canonical form: entries on region boundaries; a range is valid, not
 * the default and not equal to a range next to it; a chunk covers one
 * region and is consistent and not uniform.
 */
static int check_canonical(struct model *m, u64 lo, u64 hi)
{
	MA_STATE(mas, kvm_vtl_layer_tree(&m->layer), lo, lo);
	bool have_prev = false;
	unsigned long prev_last = 0;
	void *entry, *prev = NULL;
	int ret = 0;

	if (kvm_vtl_layer_default(&m->layer) != m->dflt)
		return fail(m, "layer default %#x, model %#x",
			    kvm_vtl_layer_default(&m->layer), m->dflt);
	if (m->layer.trees[0].ma_root && m->layer.trees[1].ma_root)
		return fail(m, "both trees in use");

	rcu_read_lock();
	mas_for_each(&mas, entry, hi) {
		u8 v;

		if ((mas.index & KVM_VTL_CHUNK_MASK) ||
		    (~mas.last & KVM_VTL_CHUNK_MASK) ||
		    mas.last > KVM_VTL_GFN_MAX) {
			ret = fail(m, "entry at [%#lx,%#lx] off region bounds",
				   mas.index, mas.last);
			break;
		}
		if (kvm_vtl_entry_is_chunk(entry)) {
			if (mas.last - mas.index != KVM_VTL_CHUNK_MASK) {
				ret = fail(m, "chunk over [%#lx,%#lx]",
					   mas.index, mas.last);
				break;
			}
			ret = check_chunk(m, entry, mas.index);
			if (ret)
				break;
			have_prev = false;
			continue;
		}
		v = xa_to_value(entry);
		if (!kvm_vtl_prot_valid(v, true) || v == m->dflt) {
			ret = fail(m, "bad entry %#x at [%#lx,%#lx] dflt %#x",
				   v, mas.index, mas.last, m->dflt);
			break;
		}
		if (have_prev && prev_last + 1 == mas.index && prev == entry) {
			ret = fail(m, "adjacent equal ranges %#x at %#lx",
				   v, mas.index);
			break;
		}
		have_prev = true;
		prev_last = mas.last;
		prev = entry;
	}
	rcu_read_unlock();
	return ret;
}

/* The chunk index holds exactly the tree's chunks, each at its region. */
static int check_index(struct model *m)
{
	struct kvm_vtl_layer *l = &m->layer;
	unsigned int t = !!(l->state & KVM_VTL_STATE_TREE);
	MA_STATE(mas, &l->trees[t], 0, 0);
	unsigned long region, nindex = 0, ntree = 0;
	void *entry;
	int ret = 0;

	if (!xa_empty(&l->chunks[!t]))
		return fail(m, "inactive chunk index not empty");
	rcu_read_lock();
	xa_for_each(&l->chunks[t], region, entry) {
		nindex++;
		if (mtree_load(&l->trees[t],
			       (u64)region << KVM_VTL_CHUNK_SHIFT) != entry) {
			ret = fail(m, "index has %p for region %#lx, not in the tree",
				   entry, region);
			break;
		}
	}
	mas_for_each(&mas, entry, ULONG_MAX)
		ntree += kvm_vtl_entry_is_chunk(entry);
	rcu_read_unlock();
	if (!ret && nindex != ntree)
		ret = fail(m, "index has %lu chunks, tree %lu", nindex, ntree);
	return ret;
}

/* Hash of the layer's state, chunk contents included. */
static u64 fingerprint(struct model *m)
{
	MA_STATE(mas, kvm_vtl_layer_tree(&m->layer), 0, 0);
	u64 h = m->layer.state;
	unsigned int i;
	void *entry;

	rcu_read_lock();
	mas_for_each(&mas, entry, ULONG_MAX) {
		h = h * 1000003 ^ mas.index;
		h = h * 1000003 ^ mas.last;
		h = h * 1000003 ^ (unsigned long)entry;
		if (!kvm_vtl_entry_is_chunk(entry))
			continue;
		for (i = 0; i < KVM_VTL_CHUNK_GFNS / 2; i++)
			h = h * 1000003 ^
			    ((struct kvm_vtl_chunk *)entry)->prot[i];
	}
	rcu_read_unlock();
	return h;
}

static void want_add(struct model *m, unsigned int *n, u64 start, u64 end)
{
	if (*n && m->want[*n - 1].end + 1 == start) {
		m->want[*n - 1].end = end;
		return;
	}
	m->want[*n].start = start;
	m->want[*n].end = end;
	(*n)++;
}

static int check_sink(struct model *m, unsigned int nwant, const char *op)
{
	unsigned int i;

	if (m->ngot != nwant)
		return fail(m, "%s: sink got %u ranges, want %u (first want [%#lx,%#lx])",
			    op, m->ngot, nwant, nwant ? m->want[0].start : (u64)0,
			    nwant ? m->want[0].end : (u64)0);
	for (i = 0; i < nwant; i++)
		if (m->got[i].start != m->want[i].start ||
		    m->got[i].end != m->want[i].end)
			return fail(m, "%s: sink range %u [%#lx,%#lx], want [%#lx,%#lx]",
				    op, i, m->got[i].start, m->got[i].end,
				    m->want[i].start, m->want[i].end);
	return 0;
}

/**
 * model_verify() - full comparison of the layer with the model
 * @m: the model
 *
 * Reads the whole layer back with kvm_vtl_layer_next() and checks the tree's
 * canonical form.
 *
 * Return: 0, or -1 with m->msg set.
 */
int model_verify(struct model *m)
{
	struct kvm_vtl_range r;
	u64 gfn = 0, expect_start = 0;
	unsigned int i = 0;
	u8 prot;

	if (check_canonical(m, 0, ULONG_MAX) || check_index(m))
		return -1;
	while (kvm_vtl_layer_next(&m->layer, &gfn, KVM_VTL_GFN_MAX, &r, &prot)) {
		if (r.start != expect_start || r.end < r.start)
			return fail(m, "verify: range [%#lx,%#lx], expected start %#lx",
				    r.start, r.end, expect_start);
		/* The segments making up the range must all read prot... */
		for (i = seg_of(m, r.start); i < m->nseg && m->seg[i] <= r.end; i++)
			if (m->val[i] != prot)
				return fail(m, "verify: [%#lx,%#lx] = %#x, model has %#x at %#lx",
					    r.start, r.end, prot, m->val[i], m->seg[i]);
		/* ...and the range must be maximal. */
		if (r.end < KVM_VTL_GFN_MAX && m->val[i] == prot)
			return fail(m, "verify: [%#lx,%#lx] = %#x not maximal",
				    r.start, r.end, prot);
		if (seg_end(m, i - 1) != r.end)
			return fail(m, "verify: range end %#lx inside a segment",
				    r.end);
		expect_start = r.end + 1;
	}
	if (expect_start != PAGES_LIMIT || gfn != PAGES_LIMIT)
		return fail(m, "verify: stopped at %#lx", expect_start);
	return 0;
}

/* ---- operations -------------------------------------------------------- */

static void dump_near(struct model *m, u64 start, u64 end)
{
	MA_STATE(mas, kvm_vtl_layer_tree(&m->layer), start ? start - 1 : 0, 0);
	void *entry;

	printf("  model@end+1 %#x dflt %#x:", m->val[seg_of(m, end + 1)],
	       kvm_vtl_layer_default(&m->layer));
	mas_for_each(&mas, entry, end + 1)
		printf(" [%#lx,%#lx]=%#lx", mas.index, mas.last,
		       xa_to_value(entry));
	printf("\n");
}

/*
 * After -ENOMEM from set_range [start, end]: a prefix [start, x] may be
 * applied, which may end inside a segment (a gap between windows is cut at
 * region boundaries), and everything after it must be unchanged, with the
 * sink told exactly the changed part of the prefix.  The write is then
 * completed without failures, so that the model stays exact.
 */
static int check_nomem_range(struct model *m, u64 start, u64 end, u8 prot,
			     bool use_sink)
{
	unsigned int si = seg_of(m, start), ei = seg_of(m, end), i, nwant = 0;
	struct kvm_vtl_range r;
	u64 gfn = start, next, lo, hi;
	u8 p;

	/* The prefix that reads prot is [start, next - 1]; it may be empty. */
	m->nnomem++;
	if (!kvm_vtl_layer_next(&m->layer, &gfn, end, &r, &p))
		return fail(m, "set_range -ENOMEM: no readback at %#lx", start);
	next = p == prot ? r.end + 1 : start;
	if (next > end)
		return fail(m, "set_range: -ENOMEM with all applied");
	for (i = si; i <= ei; i++) {
		lo = max_t(u64, m->seg[i], start);
		hi = min_t(u64, seg_end(m, i), end);
		if (lo < next && m->val[i] != prot)
			want_add(m, &nwant, lo, min_t(u64, hi, next - 1));
		if (hi < next)
			continue;
		lo = max_t(u64, lo, next);
		if (!kvm_vtl_layer_uniform(&m->layer, lo, hi, &p) ||
		    p != m->val[i])
			return fail(m, "set_range -ENOMEM: [%#lx,%#lx] after the applied prefix [%#lx,%#lx) changed",
				    lo, hi, start, next);
	}
	if (use_sink && check_sink(m, nwant, "set_range -ENOMEM"))
		return -1;
	if (kvm_vtl_layer_set_range(&m->layer, start, end, prot, NULL))
		return fail(m, "set_range: retry after -ENOMEM failed");
	for (i = si; i <= ei; i++)
		m->val[i] = prot;
	return model_verify(m);
}

static int op_set_range(struct model *m, struct model_src *s)
{
	u64 start = pick_window_gfn(m, s);
	u64 end = pick_window_end(m, s, start);
	u8 prot = pick_prot(m, s);
	bool use_sink = !src_chance(s, 20);
	unsigned int si = seg_of(m, start), ei = seg_of(m, end), i, nwant = 0;
	unsigned int stop = ei + 1;
	int ret;

	m->ngot = 0;
	if (m->trace)
		dump_near(m, start, end);
	model_fail_rate = m->fail_rate;
	ret = kvm_vtl_layer_set_range(&m->layer, start, end, prot,
				      use_sink ? &m->sink : NULL);
	model_fail_rate = 0;
	if (m->trace) {
		printf("op %lu: set_range [%#lx,%#lx] %#x: %d\n", m->nops,
		       start, end, prot, ret);
		dump_near(m, start, end);
	}
	if (ret == -ENOMEM && m->fail_rate)
		return check_nomem_range(m, start, end, prot, use_sink);
	if (ret)
		return fail(m, "set_range [%#lx,%#lx] %#x: %d",
			    start, end, prot, ret);

	for (i = si; i < stop; i++) {
		if (m->val[i] != prot)
			want_add(m, &nwant, m->seg[i], seg_end(m, i));
		m->val[i] = prot;
	}
	if (use_sink && check_sink(m, nwant, "set_range"))
		return -1;
	return check_canonical(m, start ? start - 1 : 0, end + 1);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static unsigned int make_gfns(struct model *m, struct model_src *s)
{
	unsigned int n, i, mode = src_below(s, 5);
	u64 base = pick_window_gfn(m, s), wlo = 0, whi = 0;
	unsigned int w;

	switch (src_below(s, 16)) {
	case 0:
		n = KVM_VTL_MAX_GFNS - src_below(s, 8);
		break;
	case 1:
	case 2:
	case 3:
		n = 1 + src_below(s, KVM_VTL_MAX_GFNS);
		break;
	default:
		n = 1 + src_below(s, 16);
		break;
	}
	for (w = 0; w < MODEL_NWIN; w++)
		if (base >= m->win_start[w] &&
		    base < m->win_start[w] + m->win_len[w]) {
			wlo = m->win_start[w];
			whi = wlo + m->win_len[w] - 1;
		}

	for (i = 0; i < n; i++) {
		u64 g;

		switch (mode) {
		case 0:		/* scattered */
			g = pick_window_gfn(m, s);
			break;
		case 1:		/* clustered around base */
			g = base + src_below(s, 64);
			break;
		case 2:		/* ascending runs with holes */
			g = base + i + (src_chance(s, 10) ? src_below(s, 3) : 0);
			break;
		default:	/* a mixture, with duplicates */
			if (i && src_chance(s, 30))
				g = m->gfns[src_below(s, i)];
			else if (src_chance(s, 50))
				g = base + src_below(s, 2 * n + 1);
			else
				g = pick_window_gfn(m, s);
			break;
		}
		if (mode == 1 || mode == 2)
			g = min_t(u64, max_t(u64, g, wlo), whi);
		if (seg_end(m, seg_of(m, g)) != g || m->seg[seg_of(m, g)] != g)
			g = base;	/* never a gfn inside a gap */
		m->gfns[i] = g;
	}

	switch (src_below(s, 4)) {
	case 0:
		qsort(m->gfns, n, sizeof(u64), cmp_u64);
		break;
	case 1:
		qsort(m->gfns, n, sizeof(u64), cmp_u64);
		for (i = 0; i < n / 2; i++) {
			u64 t = m->gfns[i];

			m->gfns[i] = m->gfns[n - 1 - i];
			m->gfns[n - 1 - i] = t;
		}
		break;
	default:
		break;
	}
	return n;
}

static int op_set_gfns(struct model *m, struct model_src *s)
{
	unsigned int n = make_gfns(m, s), nu, i, k, nwant = 0;
	u8 prot = pick_prot(m, s);
	bool use_sink = !src_chance(s, 20);
	u64 lo;
	int ret;

	m->ngfns += n;
	memcpy(m->sorted, m->gfns, n * sizeof(u64));
	qsort(m->sorted, n, sizeof(u64), cmp_u64);

	m->ngot = 0;
	model_fail_rate = m->fail_rate;
	ret = kvm_vtl_layer_set_gfns(&m->layer, m->gfns, n, prot,
				     use_sink ? &m->sink : NULL);
	model_fail_rate = 0;
	if (m->trace)
		printf("op %lu: set_gfns n=%u [%#lx..%#lx] %#x: %d\n", m->nops,
		       n, m->sorted[0], m->sorted[n - 1], prot, ret);
	if (ret && !(ret == -ENOMEM && m->fail_rate))
		return fail(m, "set_gfns n=%u %#x: %d", n, prot, ret);

	/* The store may sort the caller's list, but must keep its contents. */
	qsort(m->gfns, n, sizeof(u64), cmp_u64);
	if (memcmp(m->gfns, m->sorted, n * sizeof(u64)))
		return fail(m, "set_gfns changed the contents of the gfn list");

	for (nu = 0, i = 0; i < n; i++)
		if (!nu || m->sorted[nu - 1] != m->sorted[i])
			m->sorted[nu++] = m->sorted[i];

	k = nu;
	if (ret) {
		/*
		 * -ENOMEM: everything below the failed step is applied,
		 * everything from it on is untouched.  The failed step had a
		 * page to change, so the first page without prot lies in it.
		 */
		m->nnomem++;
		for (k = 0; k < nu; k++)
			if (kvm_vtl_layer_get(&m->layer, m->sorted[k]) != prot)
				break;
		if (k == nu)
			return fail(m, "set_gfns: -ENOMEM with all applied");
		for (i = k; i < nu; i++)
			if (kvm_vtl_layer_get(&m->layer, m->sorted[i]) !=
			    m->val[seg_of(m, m->sorted[i])])
				return fail(m, "set_gfns -ENOMEM: gfn %#lx of a failed run changed",
					    m->sorted[i]);
	}

	for (i = 0; i < k; i++) {
		unsigned int si = seg_of(m, m->sorted[i]);

		if (m->val[si] != prot)
			want_add(m, &nwant, m->sorted[i], m->sorted[i]);
		m->val[si] = prot;
	}
	if (use_sink && check_sink(m, nwant, "set_gfns"))
		return -1;
	if (ret)
		return model_verify(m);

	/* Canonical form around each run. */
	lo = m->sorted[0];
	for (i = 0; i < nu; i++) {
		if (i + 1 < nu && m->sorted[i + 1] == m->sorted[i] + 1)
			continue;
		if (check_canonical(m, lo ? lo - 1 : 0, m->sorted[i] + 1))
			return -1;
		if (i + 1 < nu)
			lo = m->sorted[i + 1];
	}
	return 0;
}

static int op_reset(struct model *m, struct model_src *s)
{
	u8 prot = pick_prot(m, s);
	bool use_sink = !src_chance(s, 20);
	unsigned int i, nwant = 0;
	int ret;

	m->ngot = 0;
	ret = kvm_vtl_layer_reset(&m->layer, prot, use_sink ? &m->sink : NULL);
	if (m->trace)
		printf("op %lu: reset %#x: %d\n", m->nops, prot, ret);
	if (ret)
		return fail(m, "reset %#x: %d", prot, ret);
	for (i = 0; i < m->nseg; i++) {
		if (m->val[i] != prot)
			want_add(m, &nwant, m->seg[i], seg_end(m, i));
		m->val[i] = prot;
	}
	m->dflt = prot;
	if (use_sink && check_sink(m, nwant, "reset"))
		return -1;
	if (m->layer.trees[0].ma_root || m->layer.trees[1].ma_root ||
	    !xa_empty(&m->layer.chunks[0]) || !xa_empty(&m->layer.chunks[1]))
		return fail(m, "reset left a tree or a chunk index");
	return 0;
}

static int op_get(struct model *m, struct model_src *s)
{
	u64 gfn = pick_any_gfn(m, s);
	u8 got = kvm_vtl_layer_get(&m->layer, gfn);
	u8 want = m->val[seg_of(m, gfn)];

	if (got != want)
		return fail(m, "get %#lx = %#x, want %#x", gfn, got, want);
	return 0;
}

static int op_uniform(struct model *m, struct model_src *s)
{
	u64 start = pick_any_gfn(m, s), end;
	unsigned int si, ei, i;
	bool want = true, got;
	u8 prot = 0xff;

	if (src_chance(s, 50))
		end = start + src_below(s, src_chance(s, 50) ? 8 : 1024);
	else
		end = pick_any_gfn(m, s);
	end = min_t(u64, end, KVM_VTL_GFN_MAX);
	if (end < start) {
		u64 t = end;

		end = start;
		start = t;
	}
	si = seg_of(m, start);
	ei = seg_of(m, end);
	for (i = si + 1; i <= ei; i++)
		if (m->val[i] != m->val[si])
			want = false;
	got = kvm_vtl_layer_uniform(&m->layer, start, end, &prot);
	if (got != want || (got && prot != m->val[si]))
		return fail(m, "uniform [%#lx,%#lx] = %d/%#x, want %d/%#x",
			    start, end, got, prot, want, m->val[si]);
	if (start && kvm_vtl_layer_uniform(&m->layer, start, start - 1, &prot))
		return fail(m, "uniform with start > end");
	return 0;
}

static int op_next(struct model *m, struct model_src *s)
{
	u64 gfn = pick_any_gfn(m, s), max, expect = gfn;
	struct kvm_vtl_range r;
	unsigned int i, n = 0;
	u8 prot;

	max = src_chance(s, 50) ? gfn + src_below(s, 256) : pick_any_gfn(m, s);
	if (max < gfn)
		max = gfn;
	/* A partial read-back: at most 64 ranges (model_verify reads all). */
	while (kvm_vtl_layer_next(&m->layer, &gfn, max, &r, &prot)) {
		if (r.start != expect || r.end > max || r.end < r.start ||
		    gfn != r.end + 1)
			return fail(m, "next: [%#lx,%#lx] from %#lx max %#lx",
				    r.start, r.end, expect, max);
		for (i = seg_of(m, r.start); i < m->nseg && m->seg[i] <= r.end; i++)
			if (m->val[i] != prot)
				return fail(m, "next: [%#lx,%#lx] = %#x, model %#x",
					    r.start, r.end, prot, m->val[i]);
		if (r.end < min_t(u64, max, KVM_VTL_GFN_MAX) &&
		    m->val[seg_of(m, r.end + 1)] == prot)
			return fail(m, "next: [%#lx,%#lx] not maximal below %#lx",
				    r.start, r.end, max);
		expect = r.end + 1;
		if (++n == 64)
			return 0;
	}
	if (expect != min_t(u64, max, KVM_VTL_GFN_MAX) + 1)
		return fail(m, "next: stopped at %#lx, max %#lx", expect, max);
	return 0;
}

static u8 pick_invalid_prot(struct model_src *s)
{
	static const u8 bad[] = { 0x2, 0x4, 0x6, 0x8, 0xa, 0xc, 0xe,
				  0x10, 0x11, 0x1f, 0x80, 0xff };

	return bad[src_below(s, ARRAY_SIZE(bad))];
}

/* Refused calls: exact errno, nothing reported, nothing changed. */
static int op_invalid(struct model *m, struct model_src *s)
{
	u64 fp = fingerprint(m), a = pick_window_gfn(m, s);
	unsigned int n = 1 + src_below(s, 16), i, kind = src_below(s, 7);
	int ret;

	m->ngot = 0;
	for (i = 0; i < n; i++)
		m->gfns[i] = pick_window_gfn(m, s);

	switch (kind) {
	case 0:
		ret = kvm_vtl_layer_set_range(&m->layer, a + 1, a,
					      pick_prot(m, s), &m->sink);
		break;
	case 1:
		ret = kvm_vtl_layer_set_range(&m->layer, a,
					      KVM_VTL_GFN_MAX + 1 + src_below(s, 1000),
					      pick_prot(m, s), &m->sink);
		break;
	case 2:
		ret = kvm_vtl_layer_set_range(&m->layer, a, a + src_below(s, 8),
					      pick_invalid_prot(s), &m->sink);
		break;
	case 3:
		m->gfns[src_below(s, n)] = KVM_VTL_GFN_MAX + 1 +
			src_below(s, 1ULL << 50);
		ret = kvm_vtl_layer_set_gfns(&m->layer, m->gfns, n,
					     pick_prot(m, s), &m->sink);
		break;
	case 4:
		ret = kvm_vtl_layer_set_gfns(&m->layer, m->gfns, n,
					     pick_invalid_prot(s), &m->sink);
		break;
	case 5:
		ret = kvm_vtl_layer_reset(&m->layer, pick_invalid_prot(s),
					  &m->sink);
		break;
	default:
		ret = kvm_vtl_layer_set_range(&m->layer, KVM_VTL_GFN_MAX + 1,
					      ULLONG_MAX, pick_prot(m, s),
					      &m->sink);
		break;
	}
	if (ret != -EINVAL)
		return fail(m, "invalid op %u returned %d, want -EINVAL",
			    kind, ret);
	if (m->ngot || fingerprint(m) != fp)
		return fail(m, "invalid op %u changed the layer", kind);
	return 0;
}

static bool ref_valid(unsigned int prot, bool mbec)
{
	bool r = prot & KVM_VTL_PROT_R, w = prot & KVM_VTL_PROT_W;
	bool kx = prot & KVM_VTL_PROT_KX, ux = prot & KVM_VTL_PROT_UX;

	if (prot > KVM_VTL_PROT_ALL)
		return false;
	if ((w || kx || ux) && !r)
		return false;
	if (kx && !ux)
		return false;
	if (!mbec && kx != ux)
		return false;
	return true;
}

/**
 * model_check_valid() - kvm_vtl_prot_valid() against the TLFS rules
 * @m: the model, for the message
 *
 * Return: 0, or -1 with m->msg set.
 */
int model_check_valid(struct model *m)
{
	unsigned int p, mbec;

	for (mbec = 0; mbec < 2; mbec++)
		for (p = 0; p < 256; p++)
			if (kvm_vtl_prot_valid(p, mbec) != ref_valid(p, mbec))
				return fail(m, "prot_valid(%#x, %u) wrong", p, mbec);
	if (kvm_vtl_prot_valid(0x5, false) || kvm_vtl_prot_valid(0x5, true) ||
	    kvm_vtl_prot_valid(0x9, false) || !kvm_vtl_prot_valid(0x9, true) ||
	    !kvm_vtl_prot_valid(0xd, false) || kvm_vtl_prot_valid(0x2, true))
		return fail(m, "prot_valid spot checks");
	return 0;
}

static int __model_step(struct model *m, struct model_src *s)
{
	unsigned int op = src_below(s, 100);

	m->nops++;
	if (op < 30)
		return op_set_range(m, s);
	if (op < 45)
		return op_set_gfns(m, s);
	if (op < 46)
		return op_reset(m, s);
	if (op < 70)
		return op_get(m, s);
	if (op < 85)
		return op_uniform(m, s);
	if (op < 95)
		return op_next(m, s);
	if (op < 98)
		return op_invalid(m, s);
	if (!m->verify_every && (src_bits(s, 8) & 1))
		return model_verify(m);
	return check_canonical(m, 0, ULONG_MAX);
}

/**
 * model_step() - run one random operation on store and model
 * @m: the model
 * @s: source of choices
 *
 * With m->validate set, the maple tree's own consistency check runs after
 * every operation (debug builds).
 *
 * Return: 0, or -1 with m->msg set.
 */
int model_step(struct model *m, struct model_src *s)
{
	int ret = __model_step(m, s);

	if (!ret && m->verify_every && !(m->nops % m->verify_every))
		ret = model_verify(m);
#ifdef CONFIG_DEBUG_MAPLE_TREE
	if (m->validate)
		mt_validate(kvm_vtl_layer_tree(&m->layer));
#endif
	return ret;
}
