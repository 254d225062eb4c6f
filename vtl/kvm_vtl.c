// SPDX-License-Identifier: GPL-2.0
/*
 * KVM glue of the per-VTL protection layers (vtl_store.c): the layers of a
 * VM, KVM_SET_VTL_PROTECTION and KVM_GET_VTL_PROTECTION.
 *
 * Layer n holds what VTL n allows the VTLs below it. Writers hold
 * kvm->vtl_lock, never kvm->slots_lock: the hypercall path changes layers
 * from vCPU context inside the kvm->srcu read side, and slots_lock holders
 * wait for SRCU readers.
 */
#include <linux/kvm_host.h>
#include <linux/kvm_vtl_store.h>

#include "kvm_mm.h"
#include "kvm_vtl.h"

/*
 * Changed ranges of one write, zapped together with one TLB flush. The
 * store reports them in ascending order; past the last slot the last range
 * is widened, which zaps more than needed but never less.
 */
#define KVM_VTL_ZAP_RANGES	16

struct kvm_vtl_zap {
	struct kvm_vtl_sink sink;
	unsigned int n;
	struct kvm_vtl_range ranges[KVM_VTL_ZAP_RANGES];
};

static void kvm_vtl_zap_note(struct kvm_vtl_sink *sink, u64 start, u64 end)
{
	struct kvm_vtl_zap *z = container_of(sink, struct kvm_vtl_zap, sink);

	if (z->n == KVM_VTL_ZAP_RANGES) {
		z->ranges[z->n - 1].end = end;
		return;
	}
	z->ranges[z->n].start = start;
	z->ranges[z->n].end = end;
	z->n++;
}

/**
 * kvm_vtl_init - set up what the layers of all VMs share, at module load
 *
 * Return: 0 or -ENOMEM.
 */
int kvm_vtl_init(void)
{
	return kvm_vtl_store_init();
}

/**
 * kvm_vtl_exit - undo kvm_vtl_init(), at module unload, after all VMs
 */
void kvm_vtl_exit(void)
{
	kvm_vtl_store_exit();
}

/**
 * kvm_vtl_init_vm - set up the layers of a new VM
 * @kvm: the VM
 *
 * Every layer starts out allowing everything: a VM that never uses the
 * layers sees no change.
 */
void kvm_vtl_init_vm(struct kvm *kvm)
{
	BUILD_BUG_ON(KVM_VTL_PROT_READ != KVM_VTL_PROT_R);
	BUILD_BUG_ON(KVM_VTL_PROT_WRITE != KVM_VTL_PROT_W);
	BUILD_BUG_ON(KVM_VTL_PROT_KEXEC != KVM_VTL_PROT_KX);
	BUILD_BUG_ON(KVM_VTL_PROT_UEXEC != KVM_VTL_PROT_UX);
	BUILD_BUG_ON(KVM_VTL_GFN_MAX != (1ULL << (52 - PAGE_SHIFT)) - 1);

	mutex_init(&kvm->vtl_lock);
	kvm_vtl_layers_init(&kvm->vtl_layers, &kvm->vtl_lock);
	init_waitqueue_head(&kvm->vtl_access.wq);
}

/**
 * kvm_vtl_access_begin - start an access KVM makes to guest memory for a VTL
 * @kvm: the VM
 *
 * KVM reads and writes guest memory on a VTL's behalf (the emulator,
 * hypercall input and output, pages named in MSRs) after checking the
 * layers. Bracketing the check and the access with kvm_vtl_access_begin()
 * and kvm_vtl_access_end() orders them against layer changes: a change
 * returns only once every access that may have been checked against the
 * old layers has finished, and an access begun after it sees the new ones.
 * Nothing between the two may change a layer or wait for a change. The
 * section may sleep.
 *
 * Return: the generation to give kvm_vtl_access_end().
 */
int kvm_vtl_access_begin(struct kvm *kvm)
{
	int gen;

	for (;;) {
		gen = READ_ONCE(kvm->vtl_access.gen) & 1;
		atomic_inc(&kvm->vtl_access.count[gen]);
		/*
		 * The check that follows sees a change kvm_vtl_wait() missed
		 * this in. Counted in a generation a change already closed,
		 * the next change would not wait for it: count again.
		 */
		smp_mb__after_atomic();
		if ((READ_ONCE(kvm->vtl_access.gen) & 1) == gen)
			return gen;
		kvm_vtl_access_end(kvm, gen);
	}
}
EXPORT_SYMBOL_GPL(kvm_vtl_access_begin);

/**
 * kvm_vtl_access_end - end an access kvm_vtl_access_begin() started
 * @kvm: the VM
 * @gen: what kvm_vtl_access_begin() returned
 */
void kvm_vtl_access_end(struct kvm *kvm, int gen)
{
	/* Fully ordered: the access is done before the count drops. */
	if (atomic_dec_and_test(&kvm->vtl_access.count[gen]) &&
	    wq_has_sleeper(&kvm->vtl_access.wq))
		wake_up_all(&kvm->vtl_access.wq);
}
EXPORT_SYMBOL_GPL(kvm_vtl_access_end);

/*
 * After a layer change: wait for the accesses that may have been checked
 * before it. New ones count in the other generation, so that a stream of
 * them cannot hold a change back. Changes are serialised by vtl_lock.
 */
static void kvm_vtl_wait(struct kvm *kvm)
{
	int old = kvm->vtl_access.gen & 1;

	lockdep_assert_held(&kvm->vtl_lock);
	/* The change is visible before the flip and the count's read. */
	smp_mb();
	WRITE_ONCE(kvm->vtl_access.gen, old ^ 1);
	/* Pairs with kvm_vtl_access_begin(): the flip, then the count. */
	smp_mb();
	wait_event(kvm->vtl_access.wq,
		   !atomic_read(&kvm->vtl_access.count[old]));
}

/**
 * kvm_vtl_destroy_vm - free the layers of a VM
 * @kvm: the VM, with no users left
 */
void kvm_vtl_destroy_vm(struct kvm *kvm)
{
	kvm_vtl_layers_destroy(&kvm->vtl_layers);
}

/*
 * Check what both ioctls share: the flags, the VTL, zero padding, and
 * either KVM_VTL_PROTECTION_DEFAULT with no range (the whole layer,
 * [0, KVM_VTL_GFN_MAX]) or an aligned, non-empty range [*start, *end]
 * (inclusive gfns) inside the layer's reach.
 */
static int kvm_vtl_check_range(struct kvm_vtl_protection *p, u64 *start,
			       u64 *end)
{
	if (p->flags & ~KVM_VTL_PROTECTION_DEFAULT)
		return -EINVAL;
	if (p->vtl == 0 || p->vtl >= KVM_VTL_NR)
		return -EINVAL;
	if (p->pad || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (p->flags & KVM_VTL_PROTECTION_DEFAULT) {
		if (p->address || p->size)
			return -EINVAL;
		*start = 0;
		*end = KVM_VTL_GFN_MAX;
		return 0;
	}
	if (!p->size || !PAGE_ALIGNED(p->address) || !PAGE_ALIGNED(p->size))
		return -EINVAL;
	if (p->address + p->size < p->address)
		return -EINVAL;
	*start = p->address >> PAGE_SHIFT;
	*end = ((p->address + p->size) >> PAGE_SHIFT) - 1;
	if (*end > KVM_VTL_GFN_MAX)
		return -EINVAL;
	return 0;
}

/**
 * kvm_arch_vtl_layer_changed - zap what a layer change made stale
 * @kvm: the VM, with mmu_lock held for write inside an MMU invalidation
 *	that covers @ranges
 * @vtl: the layer that changed
 * @ranges: the changed gfn ranges (inclusive), ascending
 * @n: number of ranges, at least one
 *
 * The default is for architectures whose MMU does not consult the layers.
 */
void __weak kvm_arch_vtl_layer_changed(struct kvm *kvm, u8 vtl,
				       const struct kvm_vtl_range *ranges,
				       unsigned int n)
{
}

/*
 * One change of a layer: [@start, @end] set to @prot, the whole layer
 * reset to @prot, or the @n gfns at @gfns set to @prot, with [@start,
 * @end] spanning them.
 */
struct kvm_vtl_req {
	u64 start;
	u64 end;
	u64 *gfns;
	unsigned int n;
	u8 prot;
	bool reset;
};

/*
 * Change layer @vtl as @req says, race-free against page faults: faults
 * in the span retry from the invalidation's begin to its end, and what the
 * change made stale is zapped before the end, with one TLB flush. Called
 * with vtl_lock held.
 */
static int kvm_vtl_change(struct kvm *kvm, u8 vtl, struct kvm_vtl_req *req)
{
	struct kvm_vtl_layer *l = &kvm->vtl_layers.layer[vtl];
	struct kvm_vtl_zap z = { .sink.changed = kvm_vtl_zap_note };
	int r;

	lockdep_assert_held(&kvm->vtl_lock);

	KVM_MMU_LOCK(kvm);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, req->start, req->end + 1);
	KVM_MMU_UNLOCK(kvm);

	if (req->reset)
		r = kvm_vtl_layer_reset(l, req->prot, &z.sink);
	else if (req->gfns)
		r = kvm_vtl_layer_set_gfns(l, req->gfns, req->n, req->prot,
					   &z.sink);
	else
		r = kvm_vtl_layer_set_range(l, req->start, req->end, req->prot,
					    &z.sink);

	KVM_MMU_LOCK(kvm);
	if (z.n)
		kvm_arch_vtl_layer_changed(kvm, vtl, z.ranges, z.n);
	kvm_mmu_invalidate_end(kvm);
	KVM_MMU_UNLOCK(kvm);
	if (z.n)
		kvm_vtl_wait(kvm);
	return r;
}

/**
 * kvm_vtl_protect_gfns - set the protection of a list of gfns in a layer
 * @kvm: the VM
 * @vtl: the layer, 1..KVM_VTL_NR - 1
 * @gfns: the gfns, any order, duplicates allowed; sorted in place
 * @n: number of gfns, 1..KVM_VTL_MAX_GFNS
 * @prot: the protection, valid for the VM
 *
 * One store pass, one MMU invalidation, one zap of the changed ranges and
 * one TLB flush for the whole list: the path of HvModifyVtlProtectionMask.
 * When it returns, no vCPU can use an access the change removed.
 *
 * Return: 0, -EINVAL for a gfn above KVM_VTL_GFN_MAX or a bad @n (nothing
 * changed), -ENOMEM (a prefix of the sorted list may be applied).
 */
int kvm_vtl_protect_gfns(struct kvm *kvm, u8 vtl, u64 *gfns, unsigned int n,
			 u8 prot)
{
	struct kvm_vtl_req req = { .start = U64_MAX, .gfns = gfns, .n = n,
				   .prot = prot };
	unsigned int i;
	int r;

	if (!n || n > KVM_VTL_MAX_GFNS || !vtl || vtl >= KVM_VTL_NR)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (gfns[i] > KVM_VTL_GFN_MAX)
			return -EINVAL;
		req.start = min(req.start, gfns[i]);
		req.end = max(req.end, gfns[i]);
	}

	mutex_lock(&kvm->vtl_lock);
	r = kvm_vtl_change(kvm, vtl, &req);
	mutex_unlock(&kvm->vtl_lock);
	return r;
}

/**
 * kvm_vtl_set_default - make a whole layer one protection
 * @kvm: the VM
 * @vtl: the layer, 1..KVM_VTL_NR - 1
 * @prot: the protection, valid for the VM
 *
 * O(1) in the size of guest memory: DefaultVtlProtectionMask. Drops the
 * layer's exceptions. May sleep.
 *
 * Return: 0, or -EINVAL for a bad @vtl.
 */
int kvm_vtl_set_default(struct kvm *kvm, u8 vtl, u8 prot)
{
	struct kvm_vtl_req req = { .end = KVM_VTL_GFN_MAX, .prot = prot,
				   .reset = true };
	int r;

	if (!vtl || vtl >= KVM_VTL_NR)
		return -EINVAL;

	mutex_lock(&kvm->vtl_lock);
	r = kvm_vtl_change(kvm, vtl, &req);
	mutex_unlock(&kvm->vtl_lock);
	return r;
}

/**
 * kvm_vm_ioctl_set_vtl_protection - KVM_SET_VTL_PROTECTION
 * @kvm: the VM
 * @p: the request, copied from userspace
 *
 * Sets the protection @p->prot of layer @p->vtl over [@p->address,
 * @p->address + @p->size), or with KVM_VTL_PROTECTION_DEFAULT (address and
 * size zero) makes the whole layer @p->prot. A refused request changes
 * nothing. When the call returns, no vCPU can still use an access the
 * change removed.
 *
 * Return: 0, or -EINVAL for a bad argument, -ENOMEM.
 */
int kvm_vm_ioctl_set_vtl_protection(struct kvm *kvm,
				    struct kvm_vtl_protection *p)
{
	struct kvm_vtl_req req = {};
	u64 start, end;
	int r;

	r = kvm_vtl_check_range(p, &start, &end);
	if (r)
		return r;
	if (!kvm_vtl_prot_valid(p->prot, READ_ONCE(kvm->vtl_mbec)))
		return -EINVAL;

	req.start = start;
	req.end = end;
	req.prot = p->prot;
	req.reset = p->flags & KVM_VTL_PROTECTION_DEFAULT;
	mutex_lock(&kvm->vtl_lock);
	r = kvm_vtl_change(kvm, p->vtl, &req);
	mutex_unlock(&kvm->vtl_lock);
	return r;
}

/**
 * kvm_vm_ioctl_get_vtl_protection - KVM_GET_VTL_PROTECTION
 * @kvm: the VM
 * @p: the request, copied back to userspace on success
 *
 * Reads layer @p->vtl back one run at a time: on return @p->size is the
 * length of the run of equal protection that starts at @p->address (at
 * most the @p->size asked for), @p->prot its protection, and
 * KVM_VTL_PROTECTION_DEFAULT is set in @p->flags if the run is at the
 * layer's default. With KVM_VTL_PROTECTION_DEFAULT set on input (address
 * and size zero), only the default is returned.
 *
 * Return: 0, or -EINVAL for a bad argument.
 */
int kvm_vm_ioctl_get_vtl_protection(struct kvm *kvm,
				    struct kvm_vtl_protection *p)
{
	struct kvm_vtl_range run;
	struct kvm_vtl_layer *l;
	u64 start, end;
	u8 prot;
	int r;

	r = kvm_vtl_check_range(p, &start, &end);
	if (r)
		return r;

	l = &kvm->vtl_layers.layer[p->vtl];
	mutex_lock(&kvm->vtl_lock);
	if (p->flags & KVM_VTL_PROTECTION_DEFAULT) {
		p->prot = kvm_vtl_layer_default(l);
	} else {
		kvm_vtl_layer_next(l, &start, end, &run, &prot);
		p->size = (run.end - run.start + 1) << PAGE_SHIFT;
		p->prot = prot;
		if (prot == kvm_vtl_layer_default(l))
			p->flags = KVM_VTL_PROTECTION_DEFAULT;
	}
	mutex_unlock(&kvm->vtl_lock);
	return 0;
}
