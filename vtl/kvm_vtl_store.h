/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-VTL protection layers for Hyper-V Virtual Secure Mode on KVM.
 *
 * Layer n holds what VTL n allows the VTLs below it, as a 4-bit protection
 * per guest frame.  The layer keeps a default and a maple tree of what
 * differs from it: runs of uniform 2 MiB regions as ranges, the other
 * regions as packed per-frame chunks.  See Documentation/vtl-store.rst.
 */
#ifndef _KVM_VTL_STORE_H
#define _KVM_VTL_STORE_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/maple_tree.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

struct mutex;

/* Protection bits; the values are those of the TLFS HV_MAP_GPA_* flags. */
#define KVM_VTL_PROT_R		0x1	/* HV_MAP_GPA_READABLE */
#define KVM_VTL_PROT_W		0x2	/* HV_MAP_GPA_WRITABLE */
#define KVM_VTL_PROT_KX		0x4	/* HV_MAP_GPA_KERNEL_EXECUTABLE */
#define KVM_VTL_PROT_UX		0x8	/* HV_MAP_GPA_USER_EXECUTABLE */
#define KVM_VTL_PROT_X		(KVM_VTL_PROT_KX | KVM_VTL_PROT_UX)
#define KVM_VTL_PROT_ALL	0xf

/* Highest frame a layer accepts: 52-bit guest physical addresses. */
#define KVM_VTL_GFN_MAX		((1ULL << 40) - 1)

/* VTLs 0..15; layer n belongs to VTL n, layer 0 is never consulted. */
#define KVM_VTL_NR		16

/* Most frames HvModifyVtlProtectionMask carries in one input page. */
#define KVM_VTL_MAX_GFNS	510

/*
 * Guest memory is cut into aligned regions of KVM_VTL_CHUNK_GFNS frames
 * (2 MiB with 4 KiB pages).  A region whose frames do not all have the same
 * protection is held in a chunk: one 4-bit protection per frame.
 */
#define KVM_VTL_CHUNK_SHIFT	9
#define KVM_VTL_CHUNK_GFNS	BIT(KVM_VTL_CHUNK_SHIFT)
#define KVM_VTL_CHUNK_MASK	(KVM_VTL_CHUNK_GFNS - 1)

/**
 * struct kvm_vtl_chunk - the protections of one region, frame by frame
 * @prot: two frames per byte, the even frame in the low nibble; readers
 *	load a byte at a time under RCU, the writer rewrites a byte at a time
 * @count: how many frames of the region have each protection, for the
 *	writer only: a chunk whose frames all have one protection is replaced
 *	by a range
 * @rcu: frees the chunk once no reader can see it; @count is dead by then
 */
struct kvm_vtl_chunk {
	u8 prot[KVM_VTL_CHUNK_GFNS / 2];
	union {
		u16 count[KVM_VTL_PROT_ALL + 1];
		struct rcu_head rcu;
	};
};

/* Whether a tree entry is a chunk; the others are xa_mk_value(prot). */
static inline bool kvm_vtl_entry_is_chunk(const void *entry)
{
	return entry && !xa_is_value(entry);
}

/* Protection of @gfn in @c, the chunk of @gfn's region. */
static inline u8 kvm_vtl_chunk_get(const struct kvm_vtl_chunk *c, u64 gfn)
{
	unsigned int i = gfn & KVM_VTL_CHUNK_MASK;

	return (READ_ONCE(c->prot[i / 2]) >> (i % 2 * 4)) & KVM_VTL_PROT_ALL;
}

/**
 * struct kvm_vtl_layer - protections one VTL imposes on the VTLs below it
 * @trees: two maple trees, one active, whose entries differ from the
 *	default and start and end on region boundaries: xa_mk_value(prot)
 *	over a maximal run of uniform regions, or a chunk over one region
 *	that is not uniform; gaps read as the default.  The other tree is
 *	empty; a reset switches to it so that the old one can be freed after
 *	a grace period.
 * @chunks: for each tree, its chunks again, indexed by region number: a
 *	lookup in a chunk costs a walk of this radix tree instead of the
 *	maple tree's, about a quarter of the instructions
 * @state: the default protection (bits 0-3) and the active tree and index
 *	(KVM_VTL_STATE_TREE), read and written as one word so that a reader
 *	never pairs one tree with the other's default
 */
struct kvm_vtl_layer {
	struct maple_tree trees[2];
	struct xarray chunks[2];
	u16 state;
};

#define KVM_VTL_STATE_TREE	0x100

/* The layer's default protection. */
static inline u8 kvm_vtl_layer_default(struct kvm_vtl_layer *l)
{
	return READ_ONCE(l->state) & KVM_VTL_PROT_ALL;
}

/* The active tree of exceptions (for inspection and tests). */
static inline struct maple_tree *kvm_vtl_layer_tree(struct kvm_vtl_layer *l)
{
	return &l->trees[!!(READ_ONCE(l->state) & KVM_VTL_STATE_TREE)];
}

/**
 * struct kvm_vtl_range - an inclusive range of guest frame numbers
 * @start: first gfn
 * @end: last gfn
 */
struct kvm_vtl_range {
	u64 start;
	u64 end;
};

/**
 * struct kvm_vtl_sink - receiver of the ranges a write actually changed
 * @changed: called once per maximal range of gfns whose protection changed,
 *	in ascending gfn order, during the write and with the writer's lock
 *	held; embed the sink and use container_of() to reach the caller's
 *	state.  A range may be reported before or after readers can see its
 *	new protection: a caller that zaps mappings must have started its MMU
 *	invalidation over the whole span before the write, as KVM does for
 *	memory attributes.
 *
 * A write given a NULL sink reports nothing and pays nothing for it.
 */
struct kvm_vtl_sink {
	void (*changed)(struct kvm_vtl_sink *sink, u64 start, u64 end);
};

/**
 * struct kvm_vtl_layers - the layers of all VTLs of one partition
 * @layer: @layer[n] is owned by VTL n; @layer[0] is unused
 */
struct kvm_vtl_layers {
	struct kvm_vtl_layer layer[KVM_VTL_NR];
};

bool kvm_vtl_prot_valid(u8 prot, bool mbec);

int kvm_vtl_store_init(void);
void kvm_vtl_store_exit(void);

void kvm_vtl_layer_init(struct kvm_vtl_layer *l, u8 dflt, struct mutex *lock);
void kvm_vtl_layer_destroy(struct kvm_vtl_layer *l);

u8 kvm_vtl_layer_get(struct kvm_vtl_layer *l, u64 gfn);
bool kvm_vtl_layer_uniform(struct kvm_vtl_layer *l, u64 start, u64 end,
			   u8 *prot);
bool kvm_vtl_layer_next(struct kvm_vtl_layer *l, u64 *gfn, u64 max,
			struct kvm_vtl_range *r, u8 *prot);

int kvm_vtl_layer_set_range(struct kvm_vtl_layer *l, u64 start, u64 end,
			    u8 prot, struct kvm_vtl_sink *sink);
int kvm_vtl_layer_set_gfns(struct kvm_vtl_layer *l, u64 *gfns, unsigned int n,
			   u8 prot, struct kvm_vtl_sink *sink);
int kvm_vtl_layer_reset(struct kvm_vtl_layer *l, u8 dflt,
			struct kvm_vtl_sink *sink);

void kvm_vtl_layers_init(struct kvm_vtl_layers *ls, struct mutex *lock);
void kvm_vtl_layers_destroy(struct kvm_vtl_layers *ls);
u8 kvm_vtl_effective(struct kvm_vtl_layers *ls, u8 vtl, u8 max_vtl, u64 gfn);
bool kvm_vtl_effective_uniform(struct kvm_vtl_layers *ls, u8 vtl, u8 max_vtl,
			       u64 start, u64 end, u8 *prot);

#endif /* _KVM_VTL_STORE_H */
