// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the VTL protection store (virt/kvm/vtl_store.c) against a
 * per-page xarray driven the way KVM 6.12 drives its memory attributes
 * (kvm_vm_set_mem_attributes(): a range check, xa_reserve() for every page,
 * then xa_store() for every page; lookups with xa_load()).  The protection
 * is kept negated in the xarray, as in the RWX memory-attribute series, so
 * that an absent entry means full access.  Both sides are the kernel's own
 * code, built here with the same flags, on the same userspace slab.
 *
 * Mixes, 4 KiB pages, each on fresh structures:
 *   default 4G / 64G   a new default for all memory: reset() against a
 *                      store of every page
 *   random 100k        100,000 random pages of 4 GiB in lists of 510, as
 *                      HvModifyVtlProtectionMask carries them; the xarray
 *                      takes them one by one, as one ioctl per gfn would
 *   contiguous 1G      262,144 pages in one range
 *   lookup 1M          1,000,000 random lookups in the random-100k state
 *   reset 100k         a new default on the random-100k state (store only)
 *   ranges 4k          4096 random ranges of 1 to 512 pages in 4 GiB, the
 *                      shape code integrity protection gives a layer
 *   lookup rng         1,000,000 random lookups in the ranges-4k state
 *
 * Time is process CPU time (the RCU callback thread's frees included),
 * best of the repetitions.  Memory is what the mix left allocated from the
 * slab caches: tree and xarray nodes, and the store's chunks.
 * Under callgrind each measured section is bracketed by client requests;
 * the Makefile turns the dumps into instruction counts (-i FILE).
 *
 * Usage: store_bench [-r reps] [-R reps-for-64G-xarray] [-i instr-file]
 *		      [-F (64G xarray under callgrind too)] [-s 0|1 (store or
 *		      xarray only)]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <linux/radix-tree.h>
#include <linux/xarray.h>

#include <linux/kvm_vtl_store.h>

extern int nr_allocated;
extern long nr_allocated_bytes;

#define PAGES_1G	BIT(18)
#define PAGES_4G	BIT(20)
#define PAGES_64G	BIT(24)
#define NR_RANDOM	100000
#define NR_LOOKUPS	1000000

enum impl { STORE, XARRAY, NR_IMPL };

static const char * const impl_name[NR_IMPL] = { "store", "xarray" };

enum mix {
	DFLT_4G, DFLT_64G, RANDOM, CONTIG, LOOKUP, RESET, RANGES, LOOKUP_R,
	NR_MIX
};

static const char * const mix_name[NR_MIX] = {
	"default-4G", "default-64G", "random-100k", "contig-1G", "lookup-1M",
	"reset-100k", "ranges-4k", "lookup-rng",
};

struct result {
	double ns;		/* best CPU time of the section */
	u64 pages;		/* pages the section covers */
	long nodes;		/* live slab objects after it */
	long bytes;		/* their size */
	double instr;		/* from callgrind, -1 when not measured */
	bool done;
};

static struct result res[NR_MIX][NR_IMPL];
static bool under_valgrind;
static unsigned long sink_sum;	/* printed, so lookups are not optimised out */

/* ---- the per-page baseline ------------------------------------------- */

static inline unsigned long xa_attrs(u8 prot)
{
	return prot ^ KVM_VTL_PROT_ALL;
}

static inline unsigned long xa_get(struct xarray *xa, u64 gfn)
{
	return xa_to_value(xa_load(xa, gfn));
}

/* kvm_range_has_memory_attributes(), with the full attribute mask. */
static bool xa_range_has(struct xarray *xa, u64 start, u64 end,
			 unsigned long attrs)
{
	XA_STATE(xas, xa, start);
	unsigned long index;
	bool ret = true;
	void *entry;

	if (end == start + 1)
		return xa_get(xa, start) == attrs;

	rcu_read_lock();
	for (index = start; index < end; index++) {
		do {
			entry = attrs ? xas_next(&xas) :
					xas_next_entry(&xas, end - 1);
		} while (xas_retry(&xas, entry));

		if (!entry) {
			ret = !attrs;
			break;
		}
		if (xas.xa_index != index || xa_to_value(entry) != attrs) {
			ret = false;
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

/* kvm_vm_set_mem_attributes() for [start, end), without the MMU hooks. */
static int xa_set(struct xarray *xa, u64 start, u64 end, unsigned long attrs)
{
	void *entry = attrs ? xa_mk_value(attrs) : NULL;
	unsigned long i;
	int r;

	if (xa_range_has(xa, start, end, attrs))
		return 0;

	for (i = start; i < end; i++) {
		r = xa_reserve(xa, i, GFP_KERNEL_ACCOUNT);
		if (r)
			return r;
	}
	for (i = start; i < end; i++) {
		r = xa_err(xa_store(xa, i, entry, GFP_KERNEL_ACCOUNT));
		if (r)
			return r;
	}
	return 0;
}

/* ---- measurement -------------------------------------------------------- */

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

struct section {
	double t0;
	double w0;
	int nodes0;
	long bytes0;
};

static double wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void section_begin(struct section *s)
{
	rcu_barrier();
	s->nodes0 = nr_allocated;
	s->bytes0 = nr_allocated_bytes;
	CALLGRIND_ZERO_STATS;
	s->t0 = cpu_ns();
	s->w0 = wall_ns();
}

/*
 * Ends a section; deferred (RCU) frees are part of it.  BENCH_DEBUG=1 in
 * the environment prints CPU and wall time of every section.
 */
static void section_end(struct section *s, enum mix m, enum impl impl,
			u64 pages)
{
	struct result *r = &res[m][impl];
	double ns, wall;
	char tag[64];

	rcu_barrier();
	ns = cpu_ns() - s->t0;
	wall = wall_ns() - s->w0;
	if (getenv("BENCH_DEBUG"))
		fprintf(stderr, "%s/%s: cpu %.0f us, wall %.0f us\n",
			mix_name[m], impl_name[impl], ns / 1e3, wall / 1e3);
	snprintf(tag, sizeof(tag), "%s/%s", mix_name[m], impl_name[impl]);
	CALLGRIND_DUMP_STATS_AT(tag);
	if (!r->done || ns < r->ns)
		r->ns = ns;
	r->pages = pages;
	r->nodes = nr_allocated - s->nodes0;
	r->bytes = nr_allocated_bytes - s->bytes0;
	r->done = true;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "store_bench: %s failed: %d\n", what, err);
	exit(1);
}

struct count_sink {
	struct kvm_vtl_sink sink;
	unsigned long ranges;
};

static void count_changed(struct kvm_vtl_sink *sink, u64 start, u64 end)
{
	container_of(sink, struct count_sink, sink)->ranges++;
}

static u64 rnd_state = 42;

static u64 rnd(void)
{
	u64 z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const u8 batch_prot[] = { 0x1, 0xd, 0x3, 0x0 };

static u64 *random_gfns, *random_gfns_copy, *lookup_gfns;

#define NR_RANGES	4096
static u64 range_start[NR_RANGES], range_len[NR_RANGES];

/* ---- mixes -------------------------------------------------------------- */

static void mix_default(enum impl impl, enum mix mix, u64 pages)
{
	struct section s;

	if (impl == STORE) {
		struct kvm_vtl_layer l;

		kvm_vtl_layer_init(&l, KVM_VTL_PROT_ALL, NULL);
		section_begin(&s);
		if (kvm_vtl_layer_reset(&l, KVM_VTL_PROT_R | KVM_VTL_PROT_W,
					NULL))
			fail("reset", -1);
		section_end(&s, mix, impl, pages);
		kvm_vtl_layer_destroy(&l);
	} else {
		struct xarray xa;
		int r;

		xa_init(&xa);
		section_begin(&s);
		r = xa_set(&xa, 0, pages,
			   xa_attrs(KVM_VTL_PROT_R | KVM_VTL_PROT_W));
		section_end(&s, mix, impl, pages);
		if (r)
			fail("xarray default", r);
		xa_destroy(&xa);
	}
}

/* random-100k, then lookup-1M and (store) reset-100k on its result. */
static void mix_random(enum impl impl)
{
	unsigned long i, n;
	struct section s;
	int r;

	if (impl == STORE) {
		struct count_sink cs = { .sink.changed = count_changed };
		struct kvm_vtl_layer l;

		memcpy(random_gfns_copy, random_gfns,
		       NR_RANDOM * sizeof(*random_gfns));
		kvm_vtl_layer_init(&l, KVM_VTL_PROT_ALL, NULL);
		section_begin(&s);
		for (i = 0; i < NR_RANDOM; i += n) {
			n = min_t(unsigned long, KVM_VTL_MAX_GFNS, NR_RANDOM - i);
			u8 prot = batch_prot[(i / KVM_VTL_MAX_GFNS) & 3];

			r = kvm_vtl_layer_set_gfns(&l, random_gfns_copy + i, n,
						   prot, &cs.sink);
			if (r)
				fail("set_gfns", r);
		}
		section_end(&s, RANDOM, impl, NR_RANDOM);

		section_begin(&s);
		for (i = 0; i < NR_LOOKUPS; i++)
			sink_sum += kvm_vtl_layer_get(&l, lookup_gfns[i]);
		section_end(&s, LOOKUP, impl, NR_LOOKUPS);
		res[LOOKUP][impl].nodes = res[RANDOM][impl].nodes;
		res[LOOKUP][impl].bytes = res[RANDOM][impl].bytes;

		section_begin(&s);
		kvm_vtl_layer_reset(&l, KVM_VTL_PROT_R, NULL);
		section_end(&s, RESET, impl, PAGES_4G);
		kvm_vtl_layer_destroy(&l);
		sink_sum += cs.ranges;
	} else {
		struct xarray xa;

		xa_init(&xa);
		section_begin(&s);
		for (i = 0; i < NR_RANDOM; i++) {
			u8 prot = batch_prot[(i / KVM_VTL_MAX_GFNS) & 3];

			r = xa_set(&xa, random_gfns[i], random_gfns[i] + 1,
				   xa_attrs(prot));
			if (r)
				fail("xarray random", r);
		}
		section_end(&s, RANDOM, impl, NR_RANDOM);

		section_begin(&s);
		for (i = 0; i < NR_LOOKUPS; i++)
			sink_sum += xa_get(&xa, lookup_gfns[i]) ^
				    KVM_VTL_PROT_ALL;
		section_end(&s, LOOKUP, impl, NR_LOOKUPS);
		res[LOOKUP][impl].nodes = res[RANDOM][impl].nodes;
		res[LOOKUP][impl].bytes = res[RANDOM][impl].bytes;
		xa_destroy(&xa);
	}
}

static void mix_contig(enum impl impl)
{
	const u64 start = PAGES_1G;	/* the second GiB */
	struct section s;
	int r;

	if (impl == STORE) {
		struct count_sink cs = { .sink.changed = count_changed };
		struct kvm_vtl_layer l;

		kvm_vtl_layer_init(&l, KVM_VTL_PROT_ALL, NULL);
		section_begin(&s);
		r = kvm_vtl_layer_set_range(&l, start, start + PAGES_1G - 1,
					    KVM_VTL_PROT_R | KVM_VTL_PROT_X,
					    &cs.sink);
		section_end(&s, CONTIG, impl, PAGES_1G);
		if (r)
			fail("set_range", r);
		kvm_vtl_layer_destroy(&l);
	} else {
		struct xarray xa;

		xa_init(&xa);
		section_begin(&s);
		r = xa_set(&xa, start, start + PAGES_1G,
			   xa_attrs(KVM_VTL_PROT_R | KVM_VTL_PROT_X));
		section_end(&s, CONTIG, impl, PAGES_1G);
		if (r)
			fail("xarray contig", r);
		xa_destroy(&xa);
	}
}

/* ranges-4k, then lookup-rng on its result. */
static void mix_ranges(enum impl impl)
{
	unsigned long i, pages = 0;
	struct section s;
	int r;

	for (i = 0; i < NR_RANGES; i++)
		pages += range_len[i];

	if (impl == STORE) {
		struct count_sink cs = { .sink.changed = count_changed };
		struct kvm_vtl_layer l;

		kvm_vtl_layer_init(&l, KVM_VTL_PROT_ALL, NULL);
		section_begin(&s);
		for (i = 0; i < NR_RANGES; i++) {
			u64 end = range_start[i] + range_len[i] - 1;

			r = kvm_vtl_layer_set_range(&l, range_start[i], end,
						    batch_prot[i & 3], &cs.sink);
			if (r)
				fail("set_range", r);
		}
		section_end(&s, RANGES, impl, pages);

		section_begin(&s);
		for (i = 0; i < NR_LOOKUPS; i++)
			sink_sum += kvm_vtl_layer_get(&l, lookup_gfns[i]);
		section_end(&s, LOOKUP_R, impl, NR_LOOKUPS);
		res[LOOKUP_R][impl].nodes = res[RANGES][impl].nodes;
		res[LOOKUP_R][impl].bytes = res[RANGES][impl].bytes;
		kvm_vtl_layer_destroy(&l);
		sink_sum += cs.ranges;
	} else {
		struct xarray xa;

		xa_init(&xa);
		section_begin(&s);
		for (i = 0; i < NR_RANGES; i++) {
			r = xa_set(&xa, range_start[i],
				   range_start[i] + range_len[i],
				   xa_attrs(batch_prot[i & 3]));
			if (r)
				fail("xarray ranges", r);
		}
		section_end(&s, RANGES, impl, pages);

		section_begin(&s);
		for (i = 0; i < NR_LOOKUPS; i++)
			sink_sum += xa_get(&xa, lookup_gfns[i]) ^
				    KVM_VTL_PROT_ALL;
		section_end(&s, LOOKUP_R, impl, NR_LOOKUPS);
		res[LOOKUP_R][impl].nodes = res[RANGES][impl].nodes;
		res[LOOKUP_R][impl].bytes = res[RANGES][impl].bytes;
		xa_destroy(&xa);
	}
}

/* ---- report ------------------------------------------------------------- */

static void load_instr(const char *file)
{
	char tag[128], *slash;
	double ir;
	FILE *f = fopen(file, "r");
	int m, i;

	if (!f) {
		perror(file);
		return;
	}
	while (fscanf(f, "%127s %lf", tag, &ir) == 2) {
		slash = strchr(tag, '/');
		if (!slash)
			continue;
		*slash = 0;
		for (m = 0; m < NR_MIX; m++)
			for (i = 0; i < NR_IMPL; i++)
				if (!strcmp(tag, mix_name[m]) &&
				    !strcmp(slash + 1, impl_name[i]))
					res[m][i].instr = ir;
	}
	fclose(f);
}

static void cell(char *buf, size_t len, double v, const char *fmt)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
}

static void report(void)
{
	char a[6][32];
	int m, i;

	printf("\n%-12s %10s | %9s %9s | %9s %9s | %9s %9s | %7s %7s %7s\n",
	       "mix", "pages", "ns/page", "", "instr/pg", "", "bytes/pg",
	       "", "time", "instr", "memory");
	printf("%-12s %10s | %9s %9s | %9s %9s | %9s %9s | %7s %7s %7s\n",
	       "", "", "store", "xarray", "store", "xarray", "store",
	       "xarray", "xa/st", "xa/st", "xa/st");
	for (m = 0; m < NR_MIX; m++) {
		struct result *r = res[m];
		double v[3][NR_IMPL];

		for (i = 0; i < NR_IMPL; i++) {
			bool ok = r[i].done && r[i].pages;

			v[0][i] = ok ? r[i].ns / r[i].pages : -1;
			v[1][i] = ok && r[i].instr >= 0 ?
				  r[i].instr / r[i].pages : -1;
			v[2][i] = ok ? (double)r[i].bytes /
				  r[i].pages : -1;
		}
		for (i = 0; i < 3; i++) {
			cell(a[2 * i], sizeof(a[0]), v[i][STORE], "%9.4g");
			cell(a[2 * i + 1], sizeof(a[0]), v[i][XARRAY], "%9.4g");
		}
		printf("%-12s %10lu | %9s %9s | %9s %9s | %9s %9s |",
		       mix_name[m], (unsigned long)r[STORE].pages, a[0], a[1],
		       a[2], a[3], a[4], a[5]);
		for (i = 0; i < 3; i++) {
			if (v[i][STORE] > 0 && v[i][XARRAY] >= 0)
				printf(" %7.3g", v[i][XARRAY] / v[i][STORE]);
			else
				printf(" %7s", "-");
		}
		printf("\n");
	}
}

static __printf(2, 3) void verdict(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "MET " : "MISS");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void check_targets(void)
{
	struct result *d4 = res[DFLT_4G], *d64 = res[DFLT_64G];
	struct result *rn = res[RANDOM], *ct = res[CONTIG], *lk = res[LOOKUP];
	struct result *lr = res[LOOKUP_R], *rs = res[RESET];
	double x, y;

	printf("\n");
	if (rn[STORE].done && rn[XARRAY].done) {
		x = rn[XARRAY].ns / rn[STORE].ns;
		verdict(x >= 3,
			"random 100k pages: store %.1fx faster than the xarray (target >= 3x)",
			x);
	}
	if (ct[STORE].done && ct[XARRAY].done) {
		x = ct[XARRAY].ns / ct[STORE].ns;
		y = (double)ct[XARRAY].bytes / max(1L, ct[STORE].bytes);
		verdict(x >= 100 && y >= 100,
			"contiguous 1 GiB: store %.0fx faster, %.0fx less memory (targets >= 100x)",
			x, y);
	}
	if (d4[STORE].done && d64[STORE].done) {
		x = d4[STORE].ns;
		y = d64[STORE].ns;
		verdict(y <= 2 * x + 1000,
			"default change: store %.0f ns for 4 GiB, %.0f ns for 64 GiB (target: same)",
			x, y);
	}
	if (lk[STORE].done && lk[XARRAY].done) {
		x = lk[STORE].ns / lk[XARRAY].ns;
		verdict(x <= 1.5,
			"random lookups, random-100k state: store at %.2fx the xarray's cost (target <= 1.5x)",
			x);
	}
	if (lr[STORE].done && lr[XARRAY].done) {
		x = lr[STORE].ns / lr[XARRAY].ns;
		verdict(x <= 1.5,
			"random lookups, ranges-4k state: store at %.2fx the xarray's cost (target <= 1.5x)",
			x);
	}
	if (rs[STORE].done)
		printf("     reset over the random-100k state (%ld slab objects): %.0f us\n",
		       res[RANDOM][STORE].nodes, rs[STORE].ns / 1e3);
}

int main(int argc, char **argv)
{
	unsigned int reps = 3, reps64 = 1, rep, i, only_impl = NR_IMPL;
	bool full = false;
	const char *instr = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "r:R:i:Fs:")) != -1) {
		switch (opt) {
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			reps64 = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			instr = optarg;
			break;
		case 'F':
			full = true;
			break;
		case 's':
			only_impl = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-r reps] [-R reps] [-i instr-file] [-F] [-s 0|1]\n",
				argv[0]);
			return 2;
		}
	}
	under_valgrind = RUNNING_ON_VALGRIND;
	if (under_valgrind) {
		reps = 1;
		reps64 = 1;
	}

	rcu_register_thread();
	maple_tree_init();
	if (kvm_vtl_store_init()) {
		fprintf(stderr, "kvm_vtl_store_init failed\n");
		return 1;
	}
	radix_tree_init();
	for (i = 0; i < NR_MIX * NR_IMPL; i++)
		res[i / NR_IMPL][i % NR_IMPL].instr = -1;

	random_gfns = malloc(NR_RANDOM * sizeof(u64));
	random_gfns_copy = malloc(NR_RANDOM * sizeof(u64));
	lookup_gfns = malloc(NR_LOOKUPS * sizeof(u64));
	if (!random_gfns || !random_gfns_copy || !lookup_gfns)
		fail("malloc", -ENOMEM);
	for (i = 0; i < NR_RANDOM; i++)
		random_gfns[i] = rnd() % PAGES_4G;
	for (i = 0; i < NR_LOOKUPS; i++)
		lookup_gfns[i] = rnd() % PAGES_4G;
	for (i = 0; i < NR_RANGES; i++) {
		range_len[i] = 1 + rnd() % 512;
		range_start[i] = rnd() % (PAGES_4G - range_len[i]);
	}

	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < NR_IMPL; i++) {
			if (only_impl < NR_IMPL && i != only_impl)
				continue;
			mix_default(i, DFLT_4G, PAGES_4G);
			mix_random(i);
			mix_contig(i);
			mix_ranges(i);
			if (i == STORE)
				mix_default(i, DFLT_64G, PAGES_64G);
		}
	}
	if ((!under_valgrind || full) && only_impl != STORE)
		for (rep = 0; rep < reps64; rep++)
			mix_default(XARRAY, DFLT_64G, PAGES_64G);

	if (instr)
		load_instr(instr);
	if (!under_valgrind) {
		report();
		check_targets();
		printf("(checksum %lu)\n", sink_sum);
	}
	rcu_unregister_thread();
	return 0;
}
