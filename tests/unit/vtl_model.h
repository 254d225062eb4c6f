/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model for the VTL protection store: a protection per segment,
 * where a segment is one page inside a window of interest or one whole gap
 * between windows.  Writes start and end inside windows, so every gap is
 * always written as a whole and the model stays exact for all 2^40 gfns.
 */
#ifndef _VTL_MODEL_H
#define _VTL_MODEL_H

#include <stddef.h>
#include <linux/kvm_vtl_store.h>

#define MODEL_NWIN	3

/* Where operations come from: a PRNG, or the bytes of a fuzz input. */
struct model_src {
	u64 state;
	const u8 *data;
	size_t len;
	size_t pos;
	bool done;
};

struct model {
	struct kvm_vtl_layer layer;
	u64 win_start[MODEL_NWIN];
	u64 win_len[MODEL_NWIN];
	unsigned int nseg;
	u64 *seg;		/* first gfn of each segment, ascending */
	u8 *val;		/* protection of each segment */
	u8 dflt;
	u8 palette[4];
	unsigned int npal;

	struct kvm_vtl_sink sink;
	struct kvm_vtl_range *got;
	unsigned int ngot;
	unsigned int maxgot;
	struct kvm_vtl_range *want;

	u64 gfns[KVM_VTL_MAX_GFNS];
	u64 sorted[KVM_VTL_MAX_GFNS];

	unsigned long nops;
	unsigned long ngfns;	/* gfns passed to set_gfns */
	unsigned long nnomem;
	unsigned int fail_rate;	/* one allocation in fail_rate fails; 0: none */
	bool validate;		/* run mt_validate() after every operation */
	bool trace;		/* print every write */
	unsigned int verify_every; /* full readback every n ops; 0: at random */
	char msg[512];
};

u64 src_bits(struct model_src *s, unsigned int bits);
u64 src_below(struct model_src *s, u64 n);

int model_harness_init(void);
int model_init(struct model *m, const u64 *win_start, const u64 *win_len);
void model_free(struct model *m);
void model_reset(struct model *m, struct model_src *s);
int model_step(struct model *m, struct model_src *s);
int model_verify(struct model *m);
int model_check_valid(struct model *m);

extern unsigned int model_fail_rate;
extern u64 model_fail_state;

/* failinject.c: the maple tree's allocations, wrapped by the linker. */
struct kmem_cache;
struct list_lru;
void *__real_kmem_cache_alloc_lru(struct kmem_cache *cachep,
				  struct list_lru *lru, int flags);
int __real_kmem_cache_alloc_bulk(struct kmem_cache *cachep, gfp_t gfp,
				 size_t size, void **list);
void *__wrap_kmem_cache_alloc_lru(struct kmem_cache *cachep,
				  struct list_lru *lru, int flags);
int __wrap_kmem_cache_alloc_bulk(struct kmem_cache *cachep, gfp_t gfp,
				 size_t size, void **list);

/* store_fuzz.c: the entry points libFuzzer calls. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#endif /* _VTL_MODEL_H */
