/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-VTL protection layers for Hyper-V Virtual Secure Mode on KVM.
 *
 * Layer n holds what VTL n allows the VTLs below it, as a 4-bit protection
 * per guest frame.  The layer keeps a default and a maple tree of the
 * maximal ranges that differ from it.  See Documentation/vtl-store.rst.
 */
#ifndef _KVM_VTL_STORE_H
#define _KVM_VTL_STORE_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/maple_tree.h>

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

/**
 * struct kvm_vtl_layer - protections one VTL imposes on the VTLs below it
 * @trees: two maple trees, one active: the maximal gfn ranges whose
 *	protection differs from the default, each entry xa_mk_value(prot);
 *	gaps read as the default.  The other tree is empty; a reset switches
 *	to it so that the old one can be freed after a grace period.
 * @state: the default protection (bits 0-3) and the active tree
 *	(KVM_VTL_STATE_TREE), read and written as one word so that a reader
 *	never pairs one tree with the other's default
 */
struct kvm_vtl_layer {
	struct maple_tree trees[2];
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
