// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized model-based test of virt/kvm/vtl_store.c, built in userspace
 * with the kernel's own maple tree (see Makefile).
 *
 * Usage: store_model_test [-s seed] [-t trials] [-n ops-per-trial] [-x test]
 *			   [-p percent of the default trials]
 * The seed also comes from $VTL_SEED; trial t of each randomized test runs
 * with seed + t.  A failing trial prints the command that reruns it alone.
 * VTL_VALIDATE=1 adds the maple tree's own mt_validate() after every step,
 * VTL_VERIFY_EVERY=n a full readback against the model every n steps,
 * VTL_TRACE=1 prints every write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/radix-tree.h>

#include "vtl_model.h"

extern int nr_allocated;

#ifdef __SANITIZE_ADDRESS__
/* Freed maple nodes come by the million: keep ASan's quarantine small. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}
#endif

static unsigned int passed, failed;

static void result(const char *name, int ret, const char *fmt, ...)
{
	va_list ap;

	printf("store_model_test: %-9s %s", name, ret ? "FAIL " : "ok   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ret)
		failed++;
	else
		passed++;
}

static __printf(3, 4) bool check_fail(char *msg, size_t len,
				      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return false;
}

/* True if @cond holds, else false with the message in msg. */
#define CHECK(cond, ...)	((cond) || check_fail(msg, len, __VA_ARGS__))

/* ---- directed cases ----------------------------------------------------- */

struct rec_sink {
	struct kvm_vtl_sink sink;
	struct kvm_vtl_range r[16];
	unsigned int n;
};

static void rec_changed(struct kvm_vtl_sink *sink, u64 start, u64 end)
{
	struct rec_sink *rs = container_of(sink, struct rec_sink, sink);

	if (rs->n < ARRAY_SIZE(rs->r)) {
		rs->r[rs->n].start = start;
		rs->r[rs->n].end = end;
	}
	rs->n++;
}

static unsigned int count_entries(struct kvm_vtl_layer *l)
{
	MA_STATE(mas, kvm_vtl_layer_tree(l), 0, 0);
	unsigned int n = 0;
	void *entry;

	mas_for_each(&mas, entry, ULONG_MAX)
		n++;
	return n;
}

static bool rec_is(struct rec_sink *rs, unsigned int n, const u64 *se)
{
	unsigned int i;

	if (rs->n != n)
		return false;
	for (i = 0; i < n; i++)
		if (rs->r[i].start != se[2 * i] || rs->r[i].end != se[2 * i + 1])
			return false;
	return true;
}

/* The sink saw exactly the one range [s, e]. */
static bool rec_is1(struct rec_sink *rs, u64 s, u64 e)
{
	const u64 se[] = { s, e };

	return rec_is(rs, 1, se);
}

/* The sink saw exactly the three ranges given. */
static bool rec_is3(struct rec_sink *rs, u64 s0, u64 e0, u64 s1, u64 e1,
		    u64 s2, u64 e2)
{
	const u64 se[] = { s0, e0, s1, e1, s2, e2 };

	return rec_is(rs, 3, se);
}

/* Pairs of gfns at 4i, 4i + 1, alternately R and RW, over many leaves. */
static bool fill_pairs(struct kvm_vtl_layer *l, const char *what, char *msg,
		       size_t len)
{
	unsigned int i;

	kvm_vtl_layer_reset(l, KVM_VTL_PROT_ALL, NULL);
	for (i = 0; i < 20000; i++)
		if (!CHECK(!kvm_vtl_layer_set_range(l, 4 * i, 4 * i + 1,
						    i & 1 ? KVM_VTL_PROT_R :
						    KVM_VTL_PROT_R | KVM_VTL_PROT_W,
						    NULL),
			   "%s %u", what, i))
			return false;
	return true;
}

static int test_directed(char *msg, size_t len)
{
	const u8 RW = KVM_VTL_PROT_R | KVM_VTL_PROT_W, R = KVM_VTL_PROT_R;
	const u8 RX = KVM_VTL_PROT_R | KVM_VTL_PROT_X;
	const u8 fill[] = { R, RW, RX, 0 };
	const u64 list[] = { 5, 3, 4, 4, 10, 9, 100, 5 };
	struct rec_sink rs = { .sink.changed = rec_changed };
	struct kvm_vtl_layer l;
	struct kvm_vtl_range r;
	u64 gfn, gfns[8];
	int before, ret = -1;
	unsigned int i;
	u8 prot;

	kvm_vtl_layer_init(&l, KVM_VTL_PROT_ALL, NULL);

	/* An empty layer reads as one default range over everything. */
	gfn = 0;
	if (!CHECK(kvm_vtl_layer_next(&l, &gfn, ULLONG_MAX, &r, &prot) &&
		   r.start == 0 && r.end == KVM_VTL_GFN_MAX &&
		   prot == KVM_VTL_PROT_ALL && gfn == KVM_VTL_GFN_MAX + 1,
		   "empty readback"))
		goto out;
	if (!CHECK(!kvm_vtl_layer_next(&l, &gfn, ULLONG_MAX, &r, &prot),
		   "readback past the end"))
		goto out;
	if (!CHECK(kvm_vtl_layer_uniform(&l, 0, KVM_VTL_GFN_MAX, &prot) &&
		   prot == KVM_VTL_PROT_ALL, "empty uniform"))
		goto out;

	/* gfn 0 alone sits in the tree root; neighbours must still merge. */
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 0, 0, R, &rs.sink) &&
		   rec_is1(&rs, 0, 0), "set [0,0]"))
		goto out;
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 1, 1, R, &rs.sink) &&
		   rec_is1(&rs, 1, 1) && count_entries(&l) == 1,
		   "merge [1,1] into [0,0]"))
		goto out;
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 0, 1, KVM_VTL_PROT_ALL, &rs.sink) &&
		   rec_is1(&rs, 0, 1) && !kvm_vtl_layer_tree(&l)->ma_root,
		   "back to default empties the tree"))
		goto out;

	/* The last gfn, and a range over the whole space. */
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, KVM_VTL_GFN_MAX, KVM_VTL_GFN_MAX,
					    RX, &rs.sink) &&
		   kvm_vtl_layer_get(&l, KVM_VTL_GFN_MAX) == RX &&
		   kvm_vtl_layer_get(&l, KVM_VTL_GFN_MAX - 1) == KVM_VTL_PROT_ALL,
		   "last gfn"))
		goto out;
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 0, KVM_VTL_GFN_MAX, RX, &rs.sink) &&
		   rec_is1(&rs, 0, KVM_VTL_GFN_MAX - 1) &&
		   count_entries(&l) == 1, "whole space"))
		goto out;

	/* A sparse unsorted list with duplicates: coalesced reports. */
	rs.n = 0;
	memcpy(gfns, list, sizeof(gfns));
	if (!CHECK(!kvm_vtl_layer_set_gfns(&l, gfns, 8, RW, &rs.sink) &&
		   rec_is3(&rs, 3, 5, 9, 10, 100, 100) &&
		   count_entries(&l) == 2, "set_gfns reports (%u)", rs.n))
		goto out;

	/* Repeating it changes nothing and allocates nothing. */
	rs.n = 0;
	before = nr_allocated;
	if (!CHECK(!kvm_vtl_layer_set_gfns(&l, gfns, 8, RW, &rs.sink) && !rs.n &&
		   nr_allocated == before, "idempotent set_gfns"))
		goto out;

	/* Filling the holes merges everything back into one range. */
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 3, 100, RX, &rs.sink) &&
		   rec_is3(&rs, 3, 5, 9, 10, 100, 100) &&
		   count_entries(&l) == 1, "refill (%u)", rs.n))
		goto out;

	/*
	 * A region becomes a chunk for one page and a range again when the
	 * page is set back; runs cross chunk and range boundaries.
	 */
	kvm_vtl_layer_reset(&l, KVM_VTL_PROT_ALL, NULL);
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 0, 1023, R, NULL) &&
		   count_entries(&l) == 1, "two regions, one range"))
		goto out;
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 5, 5, RW, &rs.sink) &&
		   rec_is1(&rs, 5, 5) && count_entries(&l) == 2 &&
		   kvm_vtl_entry_is_chunk(mtree_load(kvm_vtl_layer_tree(&l), 0)),
		   "one page makes a chunk"))
		goto out;
	gfn = 6;
	if (!CHECK(kvm_vtl_layer_uniform(&l, 6, 1023, &prot) && prot == R &&
		   !kvm_vtl_layer_uniform(&l, 5, 1023, &prot) &&
		   kvm_vtl_layer_next(&l, &gfn, ULLONG_MAX, &r, &prot) &&
		   r.start == 6 && r.end == 1023 && prot == R,
		   "a run from a chunk into a range"))
		goto out;
	gfn = 0;
	if (!CHECK(kvm_vtl_layer_next(&l, &gfn, ULLONG_MAX, &r, &prot) &&
		   r.start == 0 && r.end == 4 && prot == R &&
		   kvm_vtl_layer_next(&l, &gfn, ULLONG_MAX, &r, &prot) &&
		   r.start == 5 && r.end == 5 && prot == RW, "chunk readback"))
		goto out;
	rs.n = 0;
	before = nr_allocated;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 7, 9, RW, &rs.sink) &&
		   rec_is1(&rs, 7, 9) && nr_allocated == before,
		   "a chunk changes in place"))
		goto out;
	rs.n = 0;
	memcpy(gfns, (u64 []){ 9, 5, 7, 8 }, 4 * sizeof(u64));
	if (!CHECK(!kvm_vtl_layer_set_gfns(&l, gfns, 4, R, &rs.sink) &&
		   rs.n == 2 && rs.r[0].start == 5 && rs.r[0].end == 5 &&
		   rs.r[1].start == 7 && rs.r[1].end == 9 &&
		   count_entries(&l) == 1 &&
		   !kvm_vtl_entry_is_chunk(mtree_load(kvm_vtl_layer_tree(&l), 0)),
		   "a uniform chunk becomes a range again (%u)", rs.n))
		goto out;
	rcu_barrier();

	/* Uniformity across many leaves. */
	if (!fill_pairs(&l, "fill", msg, len))
		goto out;
	if (!CHECK(count_entries(&l) == DIV_ROUND_UP(80000, KVM_VTL_CHUNK_GFNS),
		   "fill count: a chunk per region"))
		goto out;
	for (i = 0; i < 20000; i++) {
		if (!CHECK(kvm_vtl_layer_uniform(&l, 4 * i, 4 * i + 1, &prot) &&
			   prot == (i & 1 ? R : RW), "uniform %u", i))
			goto out;
		if (!CHECK(!kvm_vtl_layer_uniform(&l, 4 * i + 1, 4 * i + 2, &prot),
			   "not uniform %u", i))
			goto out;
		if (!CHECK(kvm_vtl_layer_uniform(&l, 4 * i + 2, 4 * i + 3, &prot) &&
			   prot == KVM_VTL_PROT_ALL, "gap uniform %u", i))
			goto out;
	}
	/*
	 * One range over all of them: written in steps, so that no store
	 * frees a whole subtree in RCU mode (see VTL_STORE_SPAN); the ASan
	 * build catches a regression after the grace period.
	 */
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 2, 4 * 20000 - 3, RX, &rs.sink) &&
		   count_entries(&l) == 3 && rs.n == 1 && rs.r[0].start == 2 &&
		   rs.r[0].end == 4 * 20000 - 3, "one range over many (%u)", rs.n))
		goto out;
	rcu_barrier();

	/* The same over a tree grown at random, whose nodes fill up. */
	kvm_vtl_layer_reset(&l, KVM_VTL_PROT_ALL, NULL);
	srand(1);
	for (i = 0; i < 30000; i++) {
		u64 g = rand() % 65536;

		if (!CHECK(!kvm_vtl_layer_set_range(&l, g, g + rand() % 16,
						    fill[rand() % 4],
						    NULL), "random fill %u", i))
			goto out;
	}
	if (!CHECK(!kvm_vtl_layer_set_range(&l, 0, 65535 + 15, R, NULL) &&
		   count_entries(&l) == 2, "one range over a random tree"))
		goto out;
	rcu_barrier();

	if (!fill_pairs(&l, "refill", msg, len))
		goto out;
	rs.n = 0;
	if (!CHECK(!kvm_vtl_layer_reset(&l, R, &rs.sink) && rs.n == 10001 &&
		   rs.r[0].start == 0 && rs.r[0].end == 3 && rs.r[1].start == 6 &&
		   rs.r[1].end == 11, "reset reports %u", rs.n))
		goto out;

	ret = 0;
out:
	kvm_vtl_layer_destroy(&l);
	return ret;
}

/* ---- model trials ------------------------------------------------------- */

static const char *only;

static unsigned int scale(unsigned int n, unsigned int percent)
{
	return max(1U, n * percent / 100);
}

static bool selected(const char *name)
{
	return !only || !strcmp(only, name);
}

static int run_trials(const char *name, const u64 *ws, const u64 *wl,
		      u64 seed, unsigned int trials, unsigned int ops,
		      unsigned int fail_rate, unsigned int verify_every)
{
	unsigned long total = 0, nomem = 0, gfns = 0;
	struct model m;
	unsigned int t, i;
	int ret = 0;

	if (!selected(name))
		return 0;
	if (model_init(&m, ws, wl)) {
		result(name, -1, "bad window layout or out of memory");
		return -1;
	}
	m.fail_rate = fail_rate;
	m.verify_every = verify_every;
	if (getenv("VTL_VERIFY_EVERY"))
		m.verify_every = strtoul(getenv("VTL_VERIFY_EVERY"), NULL, 0);
	m.validate = getenv("VTL_VALIDATE");
	m.trace = getenv("VTL_TRACE");
	for (t = 0; t < trials && !ret; t++) {
		struct model_src s = { .state = seed + t };

		model_fail_state = seed + t + 1;
		model_reset(&m, &s);
		for (i = 0; i < ops && !ret; i++)
			ret = model_step(&m, &s);
		if (!ret)
			ret = model_verify(&m);
		if (ret)
			result(name, ret,
			       "trial seed %lu (rerun: store_model_test -x %s -s %lu -t 1 -n %lu), step %lu: %s",
			       seed + t, name, seed + t, m.nops, m.nops, m.msg);
		kvm_vtl_layer_destroy(&m.layer);
		total += m.nops;
		nomem += m.nnomem;
		gfns += m.ngfns;
		m.nops = 0;
		m.nnomem = 0;
		m.ngfns = 0;
	}
	model_free(&m);
	if (!ret) {
		if (fail_rate)
			result(name, 0,
			       "%u trials, %lu ops (%lu listed gfns), %lu -ENOMEM, seed %lu",
			       trials, total, gfns, nomem, seed);
		else
			result(name, 0, "%u trials, %lu ops (%lu listed gfns), seed %lu",
			       trials, total, gfns, seed);
	}
	return ret;
}

/* Big windows: 64Ki pages at 0, 1Ki around 4Gi pages, 512 at the top. */
static const u64 big_start[] = { 0, (1ULL << 32) - 512, KVM_VTL_GFN_MAX - 511 };
static const u64 big_len[] = { 1 << 16, 1024, 512 };
/* Small windows: short trials, dense collisions. */
static const u64 small_start[] = { 0, 1000, KVM_VTL_GFN_MAX - 63 };
static const u64 small_len[] = { 256, 64, 64 };
static const u64 nomem_start[] = { 0, 4096, KVM_VTL_GFN_MAX - 63 };
static const u64 nomem_len[] = { 1024, 64, 64 };

/* ---- several layers ----------------------------------------------------- */

#define LW	2048	/* modelled gfns; all above read as each layer's default */

static int test_layers(u64 seed, unsigned int rounds, char *msg, size_t len)
{
	static const u8 some[] = { 0, 1, 3, 0xb, 9, 0xd };
	static u8 val[KVM_VTL_NR][2 * LW];
	struct model_src s = { .state = seed };
	struct kvm_vtl_layers ls;
	unsigned int round, i, v;
	int ret = -1;

	kvm_vtl_layers_init(&ls, NULL);
	memset(val, KVM_VTL_PROT_ALL, sizeof(val));
	for (round = 0; round < rounds; round++) {
		unsigned int n = KVM_VTL_NR, vtl, max_vtl;
		u64 start, end, g;
		u8 want, prot;
		bool all_uniform = true;

		/* Mutate a random layer. */
		v = 1 + src_below(&s, KVM_VTL_NR - 1);
		prot = src_below(&s, 2) ? 0xf : some[src_below(&s, 6)];
		if (src_below(&s, 64) == 0) {
			if (!CHECK(!kvm_vtl_layer_reset(&ls.layer[v], prot, NULL), "reset"))
				goto out;
			memset(val[v], prot, sizeof(val[v]));
		} else {
			start = src_below(&s, LW);
			end = min_t(u64, LW - 1, start + src_below(&s, 64));
			if (!CHECK(!kvm_vtl_layer_set_range(&ls.layer[v], start, end,
							    prot, NULL), "set"))
				goto out;
			memset(&val[v][start], prot, end - start + 1);
		}

		/* Point lookups. */
		for (i = 0; i < 8; i++) {
			vtl = src_below(&s, n);
			max_vtl = src_below(&s, n);
			g = src_below(&s, 2 * LW);
			want = KVM_VTL_PROT_ALL;
			for (v = vtl + 1; v <= max_vtl; v++)
				want &= val[v][g];
			prot = kvm_vtl_effective(&ls, vtl, max_vtl, g);
			if (!CHECK(prot == want, "effective(%u, %u, %lu) = %#x, want %#x",
				   vtl, max_vtl, g, prot, want))
				goto out;
		}

		/* Uniformity: sound, and complete when every layer is uniform. */
		vtl = src_below(&s, n);
		max_vtl = src_below(&s, n);
		start = src_below(&s, 2 * LW);
		end = min_t(u64, 2 * LW - 1, start + src_below(&s, 16));
		for (v = vtl + 1; v <= max_vtl; v++)
			for (g = start; g <= end; g++)
				if (val[v][g] != val[v][start])
					all_uniform = false;
		if (kvm_vtl_effective_uniform(&ls, vtl, max_vtl, start, end, &prot)) {
			for (g = start; g <= end; g++)
				if (!CHECK(kvm_vtl_effective(&ls, vtl, max_vtl, g) == prot,
					   "effective_uniform wrong at %lu", g))
					goto out;
		} else {
			if (!CHECK(!all_uniform, "effective_uniform missed [%lu,%lu]",
				   start, end))
				goto out;
		}
	}
	ret = 0;
out:
	kvm_vtl_layers_destroy(&ls);
	return ret;
}

/* ---- concurrent readers -------------------------------------------------- */

/*
 * Readers walk the layer under RCU while the main thread rewrites it: every
 * value they see must be one the writer ever stored (the palette), and in
 * the ASan build no reader may touch a freed node.
 */
#define RCU_SPAN	BIT(14)

static const u8 rcu_palette[] = { 0x1, 0x3, 0xd, 0x0 };

struct rcu_reader {
	pthread_t thread;
	struct kvm_vtl_layer *l;
	bool *stop;
	unsigned long lookups;
	unsigned long bad;
};

static bool in_palette(u8 prot)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rcu_palette); i++)
		if (prot == rcu_palette[i])
			return true;
	return false;
}

static void *rcu_reader_fn(void *arg)
{
	struct rcu_reader *r = arg;
	struct model_src s = { .state = (unsigned long)arg };
	struct kvm_vtl_range range;
	u64 g, gfn;
	u8 prot;

	rcu_register_thread();
	while (!READ_ONCE(*r->stop)) {
		g = src_below(&s, RCU_SPAN + 64);
		if (!in_palette(kvm_vtl_layer_get(r->l, g)))
			r->bad++;
		if (kvm_vtl_layer_uniform(r->l, g, g + src_below(&s, 64),
					  &prot) && !in_palette(prot))
			r->bad++;
		gfn = g;
		if (kvm_vtl_layer_next(r->l, &gfn, g + 256, &range, &prot) &&
		    !in_palette(prot))
			r->bad++;
		r->lookups += 3;
	}
	rcu_unregister_thread();
	return NULL;
}

static int test_rcu(u64 seed, unsigned int ops, char *msg, size_t len)
{
	struct model_src s = { .state = seed };
	struct rcu_reader readers[1];
	bool stop = false;
	struct kvm_vtl_layer l;
	unsigned long lookups = 0, bad = 0;
	unsigned int i, j, n;
	u64 gfns[64], start, end;
	int ret = 0;

	kvm_vtl_layer_init(&l, rcu_palette[0], NULL);
	for (i = 0; i < ARRAY_SIZE(readers); i++) {
		readers[i] = (struct rcu_reader){ .l = &l, .stop = &stop };
		pthread_create(&readers[i].thread, NULL, rcu_reader_fn,
			       &readers[i]);
	}
	for (i = 0; i < ops && !ret; i++) {
		u8 prot = rcu_palette[src_below(&s, ARRAY_SIZE(rcu_palette))];

		switch (src_below(&s, 50)) {
		case 0:
			ret = kvm_vtl_layer_reset(&l, prot, NULL);
			break;
		case 1 ... 20:
			n = 1 + src_below(&s, ARRAY_SIZE(gfns));
			for (j = 0; j < n; j++)
				gfns[j] = src_below(&s, RCU_SPAN);
			ret = kvm_vtl_layer_set_gfns(&l, gfns, n, prot, NULL);
			break;
		default:
			start = src_below(&s, RCU_SPAN);
			end = start + src_below(&s, 1 + src_below(&s, 2048));
			ret = kvm_vtl_layer_set_range(&l, start, end, prot,
						      NULL);
			break;
		}
	}
	WRITE_ONCE(stop, true);
	for (i = 0; i < ARRAY_SIZE(readers); i++) {
		pthread_join(readers[i].thread, NULL);
		lookups += readers[i].lookups;
		bad += readers[i].bad;
	}
	kvm_vtl_layer_destroy(&l);
	if (ret || bad)
		return CHECK(false, "write %d, %lu of %lu reads outside the palette",
			     ret, bad, lookups) ? 0 : -1;
	snprintf(msg, len, "%u writes against a reader thread, %lu reads", ops,
		 lookups);
	return 0;
}

int main(int argc, char **argv)
{
	u64 seed = 1;
	unsigned int trials = 0, ops = 0, percent = 100;
	char msg[512] = "";
	struct model vm;
	int opt, ret;

	if (getenv("VTL_SEED"))
		seed = strtoull(getenv("VTL_SEED"), NULL, 0);
	while ((opt = getopt(argc, argv, "s:t:n:x:p:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			trials = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			ops = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			only = optarg;
			break;
		case 'p':
			percent = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s seed] [-t trials] [-n ops] [-x test] [-p percent]\n",
				argv[0]);
			return 2;
		}
	}

	if (model_harness_init())
		return 1;

	if (selected("valid")) {
		ret = model_check_valid(&vm);
		result("valid", ret, "%s",
		       ret ? vm.msg : "kvm_vtl_prot_valid() on all 512 inputs");
	}
	if (selected("directed")) {
		ret = test_directed(msg, sizeof(msg));
		result("directed", ret, "%s", ret ? msg : "edge cases");
	}

	run_trials("model", big_start, big_len, seed,
		   trials ?: scale(10, percent), ops ?: 10000, 0, 4096);
	run_trials("small", small_start, small_len, seed,
		   trials ?: scale(1000, percent), ops ?: 500, 0, 0);
	/* Allocation failures: -ENOMEM must leave a consistent, known state. */
	run_trials("enomem", nomem_start, nomem_len, seed,
		   trials ?: scale(100, percent), ops ?: 1000, 5, 0);

	if (selected("rcu")) {
		ret = test_rcu(seed, scale(20000, percent), msg, sizeof(msg));
		result("rcu", ret, "%s", msg);
	}
	if (selected("layers")) {
		ret = test_layers(seed, scale(100000, percent), msg, sizeof(msg));
		result("layers", ret, "%s",
		       ret ? msg : "kvm_vtl_effective*() against per-VTL arrays");
	}

	rcu_barrier();
	ret = nr_allocated != 0;
	result("leaks", ret, "%d slab objects left after destroy", nr_allocated);

	rcu_unregister_thread();
	printf("store_model_test: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
