// SPDX-License-Identifier: GPL-2.0
/*
 * Hyper-V Virtual Secure Mode (VSM) on KVM/x86: the VSM hypercalls, handled
 * in the kernel, and the VTL switch.
 *
 * HvEnablePartitionVtl, HvEnableVpVtl, HvModifyVtlProtectionMask and the
 * VSM registers of HvGetVpRegisters/HvSetVpRegisters are decoded and
 * checked by hyperv_vsm_decode.c and applied here; none of them exits to
 * userspace. HvVtlCall and HvVtlReturn switch the vCPU between VTLs the
 * way KVM enters and leaves SMM: the private state of the VTL being left
 * is saved, the other's loaded, and the MMU context reset so that the
 * vCPU runs on the roots, and with the protections, of its new VTL.
 */
#include <linux/bitfield.h>
#include <linux/kvm_host.h>
#include <linux/kvm_vtl_store.h>
#include <linux/unaligned.h>

#include "cpuid.h"
#include "hyperv.h"
#include "hyperv_vsm.h"
#include "hyperv_vsm_decode.h"
#include "kvm_cache_regs.h"
#include "kvm_emulate.h"
#include "lapic.h"
#include "mmu.h"
#include "smm.h"
#include "x86.h"

/* Where the VSM code page puts its entries (VsmCodePageOffsets). */
#define KVM_VSM_CALL_OFFSET	0x10
#define KVM_VSM_RETURN_OFFSET	0x20

/* The RFLAGS bits that exist: CF..OF, IOPL, NT, RF..ID and fixed bit 1. */
#define KVM_VSM_RFLAGS_VALID	0x3f7fd7ULL

/*
 * The private MSRs of a VTL and where struct kvm_vsm_vtl_state keeps them.
 * The SynIC's, from KVM_VSM_FIRST_SYNIC on, live in the VTL's own struct
 * kvm_vcpu_hv and are not copied on a switch: userspace reads and writes
 * them through the state ioctls.
 */
static const struct {
	u32 index;
	u16 offset;
} kvm_vsm_msrs[] = {
#define VSM_MSR(i, f) { i, offsetof(struct kvm_vsm_vtl_state, f) }
	VSM_MSR(MSR_IA32_SYSENTER_CS, sysenter_cs),
	VSM_MSR(MSR_IA32_SYSENTER_ESP, sysenter_esp),
	VSM_MSR(MSR_IA32_SYSENTER_EIP, sysenter_eip),
	VSM_MSR(MSR_STAR, star),
	VSM_MSR(MSR_LSTAR, lstar),
	VSM_MSR(MSR_CSTAR, cstar),
	VSM_MSR(MSR_SYSCALL_MASK, sfmask),
	VSM_MSR(MSR_KERNEL_GS_BASE, kernel_gs_base),
	VSM_MSR(MSR_IA32_CR_PAT, pat),
	VSM_MSR(MSR_TSC_AUX, tsc_aux),
	VSM_MSR(HV_X64_MSR_VP_ASSIST_PAGE, vp_assist),
	/*
	 * The SynIC, from KVM_VSM_FIRST_SYNIC on; SCONTROL first, so that it
	 * is enabled for the SINTs.
	 */
	VSM_MSR(HV_X64_MSR_SCONTROL, scontrol),
	VSM_MSR(HV_X64_MSR_SIEFP, siefp),
	VSM_MSR(HV_X64_MSR_SIMP, simp),
	VSM_MSR(HV_X64_MSR_SINT0, sint[0]),
	VSM_MSR(HV_X64_MSR_SINT1, sint[1]),
	VSM_MSR(HV_X64_MSR_SINT2, sint[2]),
	VSM_MSR(HV_X64_MSR_SINT3, sint[3]),
	VSM_MSR(HV_X64_MSR_SINT4, sint[4]),
	VSM_MSR(HV_X64_MSR_SINT5, sint[5]),
	VSM_MSR(HV_X64_MSR_SINT6, sint[6]),
	VSM_MSR(HV_X64_MSR_SINT7, sint[7]),
	VSM_MSR(HV_X64_MSR_SINT8, sint[8]),
	VSM_MSR(HV_X64_MSR_SINT9, sint[9]),
	VSM_MSR(HV_X64_MSR_SINT10, sint[10]),
	VSM_MSR(HV_X64_MSR_SINT11, sint[11]),
	VSM_MSR(HV_X64_MSR_SINT12, sint[12]),
	VSM_MSR(HV_X64_MSR_SINT13, sint[13]),
	VSM_MSR(HV_X64_MSR_SINT14, sint[14]),
	VSM_MSR(HV_X64_MSR_SINT15, sint[15]),
#undef VSM_MSR
};

#define KVM_VSM_VP_ASSIST	10
#define KVM_VSM_FIRST_SYNIC	11

/* Retry of a preemption that waits for an event's delivery, or for L2. */
#define KVM_VSM_WAKE_RETRY_NS		(10 * NSEC_PER_USEC)
#define KVM_VSM_WAKE_RETRY_L2_NS	NSEC_PER_MSEC

static u64 *kvm_vsm_msr(struct kvm_vsm_vtl_state *s, int i)
{
	return (u64 *)((u8 *)s + kvm_vsm_msrs[i].offset);
}

static enum hrtimer_restart kvm_vsm_wake_retry(struct hrtimer *timer)
{
	struct kvm_vcpu_vsm *v = container_of(timer, struct kvm_vcpu_vsm,
					      wake_retry);

	kvm_make_request(KVM_REQ_HV_STIMER, v->vcpu);
	kvm_vcpu_kick(v->vcpu);
	return HRTIMER_NORESTART;
}

/*
 * Run @fn on VTL @vtl's APIC as if it were the vCPU's: KVM's APIC code
 * works on vcpu->arch.apic and vcpu->arch.apic_base.
 */
static void kvm_vsm_apic_call(struct kvm_vcpu *vcpu, struct kvm_vcpu_vsm *v,
			      int vtl, void (*fn)(struct kvm_vcpu *vcpu))
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u64 base = vcpu->arch.apic_base;

	if (v->apic[vtl] == apic) {
		fn(vcpu);
		return;
	}
	vcpu->arch.apic = v->apic[vtl];
	vcpu->arch.apic_base = v->apic_base[vtl];
	fn(vcpu);
	v->apic_base[vtl] = vcpu->arch.apic_base;
	vcpu->arch.apic = apic;
	vcpu->arch.apic_base = base;
}

static void kvm_vsm_apic_reset(struct kvm_vcpu *vcpu)
{
	kvm_lapic_reset(vcpu, false);
}

/*
 * The local APICs of the VTLs above 0; kvm_vsm_vcpu_reset() resets them
 * with the vCPU. They run without APICv, which kvm_vm_enable_vsm()
 * inhibited: its hardware state follows one APIC.
 */
static int kvm_vsm_apic_create(struct kvm_vcpu *vcpu, struct kvm_vcpu_vsm *v)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u64 base = vcpu->arch.apic_base;
	int vtl, r = 0;

	v->apic[0] = apic;
	if (!apic)
		return 0;
	/* Each APIC's IA32_APIC_BASE, kept current for every VTL. */
	v->apic_base[0] = base;
	apic->vsm_apic_base = &v->apic_base[0];
	for (vtl = 1; vtl <= vcpu->kvm->arch.vsm_max_vtl && !r; vtl++) {
		r = kvm_create_lapic(vcpu);
		if (!r) {
			v->apic[vtl] = vcpu->arch.apic;
			v->apic[vtl]->apicv_active = false;
			v->apic_base[vtl] = vcpu->arch.apic_base;
			v->apic[vtl]->vsm_apic_base = &v->apic_base[vtl];
		}
		vcpu->arch.apic = apic;
		vcpu->arch.apic_base = base;
	}
	return r;
}

/**
 * kvm_vsm_vcpu_create - allocate the VSM state of a new vCPU
 * @vcpu: the vCPU
 *
 * Also the Hyper-V state of each VTL above 0; VTL0's is the vCPU's own,
 * which KVM creates when the guest or userspace first needs it.
 *
 * Return: 0, or -ENOMEM.
 */
int kvm_vsm_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v;
	int vtl;

	if (!kvm_vsm_enabled(vcpu->kvm))
		return 0;
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->vcpu = vcpu;
	hrtimer_init(&v->wake_retry, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	v->wake_retry.function = kvm_vsm_wake_retry;
	vcpu->arch.vsm = v;
	for (vtl = 1; vtl <= vcpu->kvm->arch.vsm_max_vtl; vtl++) {
		v->hv[vtl] = kvm_hv_vcpu_alloc(vcpu);
		if (!v->hv[vtl])
			goto fail;
	}
	if (kvm_vsm_apic_create(vcpu, v))
		goto fail;
	return 0;
fail:
	kvm_vsm_vcpu_destroy(vcpu);
	return -ENOMEM;
}

/**
 * kvm_vsm_vcpu_destroy - free the VSM state of a vCPU
 * @vcpu: the vCPU; kvm_hv_vcpu_uninit() may have freed the active VTL's
 *	Hyper-V state already, kvm_free_lapic() frees its APIC after
 */
void kvm_vsm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl;

	if (!v)
		return;
	hrtimer_cancel(&v->wake_retry);
	/*
	 * The active VTL's state is vcpu->arch.hyperv, which
	 * kvm_hv_vcpu_uninit() frees (and clears) unless the vCPU never got
	 * that far; free the other VTLs' here.
	 */
	if (!vcpu->arch.hyperv)
		v->hv[vcpu->arch.vtl] = NULL;
	for (vtl = 0; vtl < KVM_HV_VSM_NR_VTLS; vtl++)
		kvm_hv_vcpu_free(v->hv[vtl]);
	/* Likewise the active APIC is kvm_free_lapic()'s, called next. */
	for (vtl = 0; vtl < KVM_HV_VSM_NR_VTLS; vtl++)
		if (v->apic[vtl] && v->apic[vtl] != vcpu->arch.apic)
			kvm_vsm_apic_call(vcpu, v, vtl, kvm_free_lapic);
	if (vcpu->arch.apic)
		vcpu->arch.apic->vsm_apic_base = NULL;
	vcpu->arch.hyperv = NULL;
	kfree(v);
	vcpu->arch.vsm = NULL;
}

/* What a vCPU's Hyper-V state holds for the whole VP, not per VTL. */
static void kvm_vsm_hv_sync(struct kvm_vcpu_hv *to,
			    const struct kvm_vcpu_hv *from)
{
	int i;

	to->vp_index = from->vp_index;
	to->runtime_offset = from->runtime_offset;
	to->enforce_cpuid = from->enforce_cpuid;
	to->cpuid_cache = from->cpuid_cache;
	to->synic.active = from->synic.active;
	to->synic.dont_zero_synic_pages = from->synic.dont_zero_synic_pages;
	/* Userspace's SINT routes (irqfd resampling) are the VP's. */
	for (i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		atomic_set(&to->synic.sint_to_gsi[i],
			   atomic_read(&from->synic.sint_to_gsi[i]));
}

/*
 * The active VTL's Hyper-V state, created if KVM has not yet; it is
 * recorded as VTL @from's.
 */
static struct kvm_vcpu_hv *kvm_vsm_hv_active(struct kvm_vcpu *vcpu, u8 from)
{
	if (kvm_hv_vcpu_init(vcpu))
		return NULL;
	/* Before a switch publishes another VTL's (kvm_vsm_hv_of()). */
	WRITE_ONCE(vcpu->arch.vsm->hv[from], vcpu->arch.hyperv);
	return vcpu->arch.hyperv;
}

/*
 * The Hyper-V state of VTL @vtl of @vcpu, from any thread. VTL0's is the
 * vCPU's own until the vCPU first leaves VTL0, which records it in hv[0]
 * before it publishes another VTL's state with release semantics.
 */
static struct kvm_vcpu_hv *kvm_vsm_hv_of(struct kvm_vcpu *vcpu, u32 vtl)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	struct kvm_vcpu_hv *hv = READ_ONCE(v->hv[vtl]);

	if (!hv && !vtl) {
		/* Pairs with kvm_vsm_hv_switch()'s release: hv[0] is set then. */
		hv = smp_load_acquire(&vcpu->arch.hyperv);
		if (READ_ONCE(v->hv[0]))
			hv = READ_ONCE(v->hv[0]);
	}
	return hv;
}

/**
 * kvm_vsm_synic_get - the SynIC of VTL @vtl of a VP, for a SINT route
 * @kvm: the VM, with VSM enabled
 * @vpidx: the VP index
 * @vtl: the VTL, from bits 11-8 of the route's SINT
 *
 * Return: the SynIC if it is activated, else NULL.
 */
struct kvm_vcpu_hv_synic *kvm_vsm_synic_get(struct kvm *kvm, u32 vpidx,
					    u32 vtl)
{
	struct kvm_vcpu *vcpu = kvm_hv_vcpu_by_vpidx(kvm, vpidx);
	struct kvm_vcpu_hv *hv;

	if (!vcpu || !vcpu->arch.vsm || vtl > kvm->arch.vsm_max_vtl)
		return NULL;
	hv = kvm_vsm_hv_of(vcpu, vtl);
	return hv && hv->synic.active ? &hv->synic : NULL;
}

/**
 * __kvm_vsm_synic_apic - the APIC a SynIC interrupts
 * @vcpu: the vCPU, its VM with VSM enabled
 * @synic: a SynIC of @vcpu
 *
 * Return: the APIC of @synic's VTL.
 */
struct kvm_lapic *__kvm_vsm_synic_apic(struct kvm_vcpu *vcpu,
				       struct kvm_vcpu_hv_synic *synic)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl;

	for (vtl = KVM_HV_VSM_NR_VTLS - 1; vtl > 0; vtl--)
		if (v->hv[vtl] && &v->hv[vtl]->synic == synic)
			break;
	return v->apic[vtl] ?: vcpu->arch.apic;
}

/*
 * Make VTL @to's SynIC, timers and VP assist state the vCPU's instead of
 * VTL @from's. Its timers that expired meanwhile are delivered before the
 * next entry.
 */
static bool kvm_vsm_hv_switch(struct kvm_vcpu *vcpu, u8 from, u8 to)
{
	struct kvm_vcpu_hv *cur = kvm_vsm_hv_active(vcpu, from);
	struct kvm_vcpu_hv *hv = vcpu->arch.vsm->hv[to];

	if (!cur)
		return false;
	if (hv == cur)
		return true;
	kvm_vsm_hv_sync(hv, cur);
	/* Other vCPUs look up VP indexes: publish it complete. */
	smp_store_release(&vcpu->arch.hyperv, hv);
	/* The EOI exit bitmap holds the active SynIC's vectors. */
	kvm_make_request(KVM_REQ_SCAN_IOAPIC, vcpu);
	if (!bitmap_empty(hv->stimer_pending_bitmap, HV_SYNIC_STIMER_COUNT))
		kvm_make_request(KVM_REQ_HV_STIMER, vcpu);
	return true;
}

/*
 * Make VTL @to's local APIC the vCPU's instead of VTL @from's. The APIC
 * left keeps its timer and accepts interrupts, delivered once its VTL
 * runs again. With VMX's preemption timer, the timer of the APIC left
 * moves to an hrtimer; the TPR shadow follows the APIC's page.
 */
static void kvm_vsm_apic_switch(struct kvm_vcpu *vcpu, u8 from, u8 to)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u64 old = vcpu->arch.apic_base, base = v->apic_base[to];

	if (!v->apic[to] || from == to)
		return;
	if (kvm_lapic_hv_timer_in_use(vcpu))
		kvm_lapic_switch_to_sw_timer(vcpu);
	v->apic_base[from] = old;
	WRITE_ONCE(vcpu->arch.apic, v->apic[to]);
	vcpu->arch.apic_base = base;
	kvm_x86_call(set_virtual_apic_page)(vcpu);
	if ((old ^ base) & MSR_IA32_APICBASE_ENABLE)
		kvm_update_cpuid_runtime(vcpu);
	if ((old ^ base) & (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)) {
		kvm_make_request(KVM_REQ_APICV_UPDATE, vcpu);
		kvm_x86_call(set_virtual_apic_mode)(vcpu);
	}
	if (kvm_can_use_hv_timer(vcpu))
		kvm_lapic_switch_to_hv_timer(vcpu);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

/**
 * kvm_vsm_vcpu_reset - RESET of the vCPU's VSM state
 * @vcpu: the vCPU, loaded, after kvm_lapic_reset() of its active APIC
 *
 * The VP runs at VTL0 again, and the APICs of all its VTLs are at their
 * RESET state. INIT only reaches VTL0's APIC, and leaves the VTLs alone.
 */
void kvm_vsm_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	struct kvm_lapic *done = vcpu->arch.apic;
	int vtl;

	if (!v)
		return;
	if (vcpu->arch.vtl) {
		/* Cannot fail: VTL0's Hyper-V state exists once it was left. */
		kvm_vsm_set_active_hv(vcpu, vcpu->arch.vtl, 0);
		vcpu->arch.vtl = 0;
		kvm_mmu_reset_context(vcpu);
	}
	for (vtl = 0; vtl < KVM_HV_VSM_NR_VTLS; vtl++) {
		if (v->apic[vtl] && v->apic[vtl] != done)
			kvm_vsm_apic_call(vcpu, v, vtl, kvm_vsm_apic_reset);
		atomic_set(&v->nmis[vtl], 0);
		v->nmi_masked[vtl] = false;
	}
}

/*
 * NMIs are each VTL's own: those the active VTL @from was sent and not
 * yet given stay @from's, and its NMI masking with them; @to's become
 * the vCPU's. The vCPU injects no event now (see kvm_hv_vsm_wake()).
 */
static void kvm_vsm_nmi_switch(struct kvm_vcpu *vcpu, u8 from, u8 to)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int n;

	n = atomic_xchg(&vcpu->arch.nmi_queued, 0) + vcpu->arch.nmi_pending;
	vcpu->arch.nmi_pending = 0;
	/* As process_nmi(): more than two pending NMIs collapse. */
	while (n-- && atomic_add_unless(&v->nmis[from], 1, 2))
		;
	v->nmi_masked[from] = kvm_x86_call(get_nmi_mask)(vcpu);
	kvm_x86_call(set_nmi_mask)(vcpu, v->nmi_masked[to]);
	/* kvm_hv_vsm_wake() hands @to its NMIs. */
	if (atomic_read(&v->nmis[to]))
		kvm_make_request(KVM_REQ_EVENT, vcpu);
}

/**
 * kvm_vsm_set_active_hv - follow KVM_SET_VSM_STATE's change of VTL
 * @vcpu: the vCPU, loaded
 * @from: its active VTL so far
 * @to: its new active VTL
 *
 * The Hyper-V state and the local APIC of @to become the vCPU's.
 *
 * Return: 0, or -ENOMEM (nothing changed).
 */
int kvm_vsm_set_active_hv(struct kvm_vcpu *vcpu, u8 from, u8 to)
{
	if (!kvm_vsm_hv_switch(vcpu, from, to))
		return -ENOMEM;
	kvm_vsm_apic_switch(vcpu, from, to);
	kvm_vsm_nmi_switch(vcpu, from, to);
	return 0;
}

/*
 * Read or write the SynIC registers in @s on inactive VTL @vtl's SynIC,
 * the way KVM_GET_MSRS and KVM_SET_MSRS would if it were active.
 *
 * Return: 0, or -EINVAL if a value was refused (the SynIC not activated).
 */
static int kvm_vsm_synic_access(struct kvm_vcpu *vcpu, u8 vtl,
				struct kvm_vsm_vtl_state *s, bool write)
{
	struct kvm_vcpu_hv *hv = vcpu->arch.vsm->hv[vtl];
	int i;

	if (write && vcpu->arch.hyperv)
		kvm_vsm_hv_sync(hv, vcpu->arch.hyperv);
	/*
	 * Without an activated SynIC nothing can be written: accept what
	 * reading gives (a restore), refuse anything else, before writing.
	 */
	if (write && !hv->synic.active) {
		u64 cur;

		for (i = KVM_VSM_FIRST_SYNIC; i < ARRAY_SIZE(kvm_vsm_msrs); i++)
			if (kvm_hv_synic_msr(hv, kvm_vsm_msrs[i].index, &cur,
					     false) || cur != *kvm_vsm_msr(s, i))
				return -EINVAL;
		return 0;
	}
	for (i = KVM_VSM_FIRST_SYNIC; i < ARRAY_SIZE(kvm_vsm_msrs); i++) {
		if (!kvm_hv_synic_msr(hv, kvm_vsm_msrs[i].index,
				      kvm_vsm_msr(s, i), write))
			continue;
		if (write)
			return -EINVAL;
		*kvm_vsm_msr(s, i) = 0;
	}
	return 0;
}

static void kvm_vsm_to_sregs(const struct kvm_vsm_vtl_state *s,
			     struct kvm_sregs *sr)
{
	sr->cs = s->cs;
	sr->ds = s->ds;
	sr->es = s->es;
	sr->fs = s->fs;
	sr->gs = s->gs;
	sr->ss = s->ss;
	sr->tr = s->tr;
	sr->ldt = s->ldt;
	sr->gdt = s->gdt;
	sr->idt = s->idt;
	sr->cr0 = s->cr0;
	sr->cr3 = s->cr3;
	sr->cr4 = s->cr4;
	sr->cr8 = s->cr8;
	sr->efer = s->efer;
}

/* Read the live private state of the vCPU's active VTL into @s. */
static void kvm_vsm_save(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl_state *s)
{
	/* Zeroed: the segments' padding reaches userspace. */
	struct kvm_sregs sr = {};
	int i;

	__get_sregs_common(vcpu, &sr);
	s->cs = sr.cs;
	s->ds = sr.ds;
	s->es = sr.es;
	s->fs = sr.fs;
	s->gs = sr.gs;
	s->ss = sr.ss;
	s->tr = sr.tr;
	s->ldt = sr.ldt;
	s->gdt = sr.gdt;
	s->idt = sr.idt;
	s->cr0 = sr.cr0;
	s->cr3 = sr.cr3;
	s->cr4 = sr.cr4;
	s->cr8 = sr.cr8;
	s->efer = sr.efer;
	s->rip = kvm_rip_read(vcpu);
	s->rsp = kvm_rsp_read(vcpu);
	s->rflags = kvm_get_rflags(vcpu);
	s->dr7 = vcpu->arch.dr7;
	for (i = 0; i < ARRAY_SIZE(kvm_vsm_msrs); i++)
		if (__kvm_get_msr(vcpu, kvm_vsm_msrs[i].index,
				  kvm_vsm_msr(s, i), true))
			*kvm_vsm_msr(s, i) = 0;
}

/*
 * Make @s the live private state of the vCPU; shared state (GPRs but RSP,
 * CR2, FPU, the APIC base) stays. With @cur, the state being left, for a
 * VTL switch: MSRs equal in @cur are not written again, and the SynIC's
 * not at all (the caller switched the vCPU's Hyper-V state). Without, as
 * for KVM_SET_VSM_VTL_STATE: all of them. Callers check @s with
 * kvm_vsm_state_valid() against the vCPU's current mode first; should the segment and control
 * registers still be refused, nothing is changed.
 */
static int kvm_vsm_load(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl_state *s,
			const struct kvm_vsm_vtl_state *cur)
{
	struct kvm_sregs sr;
	int reset = 0, i, r;

	__get_sregs_common(vcpu, &sr);
	kvm_vsm_to_sregs(s, &sr);
	r = __set_sregs_common(vcpu, &sr, &reset, true);
	if (r)
		return r;
	kvm_rip_write(vcpu, s->rip);
	kvm_rsp_write(vcpu, s->rsp);
	kvm_set_rflags(vcpu, s->rflags | X86_EFLAGS_FIXED);
	vcpu->arch.dr7 = s->dr7;
	kvm_update_dr7(vcpu);
	for (i = 0; i < ARRAY_SIZE(kvm_vsm_msrs); i++) {
		/*
		 * On a switch: the SynIC is in the VTL's own Hyper-V state,
		 * and the VP assist page is written even when equal, to set
		 * that state's copy too.
		 */
		if (cur && (i >= KVM_VSM_FIRST_SYNIC ||
			    (i != KVM_VSM_VP_ASSIST &&
			     *kvm_vsm_msr(s, i) ==
			     *kvm_vsm_msr((struct kvm_vsm_vtl_state *)cur, i))))
			continue;
		__kvm_set_msr(vcpu, kvm_vsm_msrs[i].index,
			      *kvm_vsm_msr(s, i), true);
	}
	kvm_mmu_reset_context(vcpu);
	kvm_make_request(KVM_REQ_TLB_FLUSH_GUEST, vcpu);
	return 0;
}

/*
 * The MSRs of @s as KVM_SET_MSRS would take them: kvm_vsm_load() loads
 * them with __kvm_set_msr(), which must not fail halfway through a switch.
 */
static bool kvm_vsm_msrs_valid(struct kvm_vcpu *vcpu,
			       const struct kvm_vsm_vtl_state *s)
{
	return kvm_pat_valid(s->pat) &&
	       !is_noncanonical_msr_address(s->lstar, vcpu) &&
	       !is_noncanonical_msr_address(s->cstar, vcpu) &&
	       !is_noncanonical_msr_address(s->kernel_gs_base, vcpu) &&
	       !(guest_cpuid_is_intel_compatible(vcpu) && s->tsc_aux >> 32);
}

/* Is @s a state the vCPU can load? */
static bool kvm_vsm_state_valid(struct kvm_vcpu *vcpu,
				const struct kvm_vsm_vtl_state *s)
{
	struct kvm_sregs sr = {};

	kvm_vsm_to_sregs(s, &sr);
	return kvm_is_valid_sregs(vcpu, &sr) && kvm_vsm_msrs_valid(vcpu, s) &&
	       !(s->rflags & ~KVM_VSM_RFLAGS_VALID) && !(s->dr7 >> 32) &&
	       !(s->vp_assist & ~HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK &
		 ~(u64)HV_X64_MSR_VP_ASSIST_PAGE_ENABLE);
}

static void kvm_vsm_seg(struct kvm_segment *k,
			const struct hv_x64_segment_register *h)
{
	k->base = h->base;
	k->limit = h->limit;
	k->selector = h->selector;
	k->type = h->segment_type;
	k->s = h->non_system_segment;
	k->dpl = h->descriptor_privilege_level;
	k->present = h->present;
	k->avl = h->available;
	k->l = h->_long;
	k->db = h->_default;
	k->g = h->granularity;
	k->unusable = !h->present;
}

/* The state HvEnableVpVtl's initial VP context gives a VTL. */
static void kvm_vsm_from_context(struct kvm_vsm_vtl_state *s,
				 const struct hv_init_vp_context *ctx)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->rip = ctx->rip;
	s->rsp = ctx->rsp;
	s->rflags = ctx->rflags;
	kvm_vsm_seg(&s->cs, &ctx->cs);
	kvm_vsm_seg(&s->ds, &ctx->ds);
	kvm_vsm_seg(&s->es, &ctx->es);
	kvm_vsm_seg(&s->fs, &ctx->fs);
	kvm_vsm_seg(&s->gs, &ctx->gs);
	kvm_vsm_seg(&s->ss, &ctx->ss);
	kvm_vsm_seg(&s->tr, &ctx->tr);
	kvm_vsm_seg(&s->ldt, &ctx->ldtr);
	s->idt.base = ctx->idtr.base;
	s->idt.limit = ctx->idtr.limit;
	s->gdt.base = ctx->gdtr.base;
	s->gdt.limit = ctx->gdtr.limit;
	s->efer = ctx->efer;
	s->cr0 = ctx->cr0;
	s->cr3 = ctx->cr3;
	s->cr4 = ctx->cr4;
	s->pat = ctx->msr_cr_pat;
	s->dr7 = DR7_FIXED_1;
	/* The SynIC as KVM activates it: enabled, every SINT masked. */
	s->scontrol = HV_SYNIC_CONTROL_ENABLE;
	for (i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		s->sint[i] = HV_SYNIC_SINT_MASKED;
}

static bool kvm_vsm_vp_exists(void *kvm, u32 vp_index)
{
	return kvm_hv_vcpu_by_vpidx(kvm, vp_index);
}

static void kvm_vsm_caller(struct kvm_vcpu *vcpu, struct hv_vsm_caller *c)
{
	struct kvm_arch *ka = &vcpu->kvm->arch;
	int v;

	c->vtl = vcpu->arch.vtl;
	c->max_vtl = ka->vsm_max_vtl;
	c->partition_vtls = READ_ONCE(ka->vsm_vtls) | BIT(0);
	/* Pairs with HvEnableVpVtl's release: the VTL's state is there. */
	c->vp_vtls = smp_load_acquire(&vcpu->arch.vsm->vtls) | BIT(0);
	c->any_vp_vtls = READ_ONCE(ka->vsm_vp_vtls);
	c->protection_vtls = 0;
	for (v = 1; v <= ka->vsm_max_vtl; v++)
		if (READ_ONCE(ka->vsm_config[v]) &
		    HV_VSM_CONFIG_ENABLE_VTL_PROTECTION)
			c->protection_vtls |= BIT(v);
	c->vp_index = kvm_hv_get_vpindex(vcpu);
	c->vp_exists = kvm_vsm_vp_exists;
	c->ctx = vcpu->kvm;
}

/**
 * kvm_hv_vsm_gpa_writable - may the vCPU's active VTL write @gpa?
 * @vcpu: the vCPU
 * @gpa: a guest physical address the guest gave KVM to write to
 *
 * For the pages KVM writes on the guest's behalf (the hypercall page, the
 * VP assist page): a VTL cannot have KVM write where a higher VTL denied
 * it writes.
 *
 * Return: true if the layers above the active VTL allow writes.
 */
bool kvm_hv_vsm_gpa_writable(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	return kvm_vsm_gpa_allowed(vcpu, gpa, true);
}

/*
 * A slow call's input or output buffer must lie within one page, else the
 * input is invalid, and be 8-byte aligned; OpenHCL checks in this order.
 */
static u16 kvm_vsm_check_buffer(gpa_t gpa, u32 size)
{
	if (offset_in_page(gpa) + size > PAGE_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!IS_ALIGNED(gpa, 8))
		return HV_STATUS_INVALID_ALIGNMENT;
	return HV_STATUS_SUCCESS;
}

/*
 * Gather a call's input into the vCPU's input buffer: for a fast call the
 * two header registers and the XMM registers, else the input buffer.
 */
static u16 kvm_vsm_read_input(struct kvm_vcpu *vcpu,
			      const struct kvm_vsm_hcall *hc,
			      struct hv_vsm_input *in)
{
	u64 *buf = vcpu->arch.vsm->input;
	u32 size = hv_vsm_input_size(hc->control);
	int i, gen;
	u16 st;

	in->control = hc->control;
	in->data = buf;
	if (hc->fast) {
		buf[0] = hc->ingpa;
		buf[1] = hc->outgpa;
		for (i = 0; i < HV_HYPERCALL_MAX_XMM_REGISTERS; i++) {
			buf[2 + 2 * i] = sse128_lo(hc->xmm[i]);
			buf[3 + 2 * i] = sse128_hi(hc->xmm[i]);
		}
		in->len = 16 + 16 * HV_HYPERCALL_MAX_XMM_REGISTERS;
		return HV_STATUS_SUCCESS;
	}
	st = kvm_vsm_check_buffer(hc->ingpa, size);
	if (st)
		return st;
	/* Ordered with layer changes; none happens until the read is done. */
	gen = kvm_vsm_access_begin(vcpu->kvm);
	if (!kvm_vsm_gpa_allowed(vcpu, hc->ingpa, false))
		st = HV_STATUS_ACCESS_DENIED;
	else if (kvm_vcpu_read_guest(vcpu, hc->ingpa, buf, size))
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
	kvm_vsm_access_end(vcpu->kvm, gen);
	in->len = size;
	return st;
}

/*
 * HvModifyVtlProtectionMask: the elements are checked in order, and those
 * before the first invalid one are applied, so that the reps completed are
 * exact. On -ENOMEM from the store no rep of this call counts as done,
 * although a part of the list (in address order) may be applied: the
 * guest retries the same call.
 */
static u64 kvm_vsm_modify(struct kvm_vcpu *vcpu, struct hv_vsm_caller *c,
			  struct hv_vsm_input *in)
{
	struct kvm_memory_slot *slot = NULL;
	struct hv_vsm_modify m;
	u16 st, i, n;
	u64 *gfns;
	gfn_t gfn;
	int r;

	st = hv_vsm_decode_modify(c, in, &m);
	if (st)
		return st;
	/* Every page must be RAM; neighbours mostly share a memslot. */
	st = m.status;
	for (n = 0; n < m.count; n++) {
		gfn = m.gpns[n];
		if (slot && gfn - slot->base_gfn < slot->npages)
			continue;
		slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn);
		if (!kvm_is_visible_memslot(slot)) {
			st = HV_STATUS_INVALID_PARAMETER;
			break;
		}
	}
	/*
	 * The decoder's view is read-only; the list is in the vCPU's own
	 * input buffer (in->data), where the store sorts it in place.
	 */
	gfns = vcpu->arch.vsm->input + (m.gpns - (const u64 *)in->data);
	r = n ? kvm_vtl_protect_gfns(vcpu->kvm, m.layer, gfns, n, m.prot) : 0;
	if (r == -ENOMEM)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	if (r)
		return HV_STATUS_INVALID_PARAMETER;
	i = hv_vsm_rep_start(in->control) + n;
	return st | (u64)i << HV_HYPERCALL_REP_COMP_OFFSET;
}

static u64 kvm_vsm_enable_partition(struct kvm_vcpu *vcpu,
				    struct hv_vsm_input *in)
{
	struct kvm_hv *hv = to_kvm_hv(vcpu->kvm);
	struct hv_vsm_enable_partition e;
	struct hv_vsm_caller c;
	u16 st;

	mutex_lock(&hv->hv_lock);
	kvm_vsm_caller(vcpu, &c);
	st = hv_vsm_decode_enable_partition(&c, in, &e);
	if (!st)
		WRITE_ONCE(vcpu->kvm->arch.vsm_vtls,
			   vcpu->kvm->arch.vsm_vtls | BIT(e.vtl));
	mutex_unlock(&hv->hv_lock);
	return st;
}

static u64 kvm_vsm_enable_vp(struct kvm_vcpu *vcpu, struct hv_vsm_input *in)
{
	struct kvm_hv *hv = to_kvm_hv(vcpu->kvm);
	struct kvm_vsm_vtl_state *s;
	struct hv_vsm_enable_vp e;
	struct kvm_vcpu *target;
	struct hv_vsm_caller c;
	struct kvm_vcpu_vsm *v;
	u16 st;

	mutex_lock(&hv->hv_lock);
	kvm_vsm_caller(vcpu, &c);
	st = hv_vsm_decode_enable_vp(&c, in, &e);
	if (st)
		goto out;
	target = kvm_hv_vcpu_by_vpidx(vcpu->kvm, e.vp_index);
	if (!target) {
		st = HV_STATUS_INVALID_VP_INDEX;
		goto out;
	}
	v = target->arch.vsm;
	if (v->vtls & BIT(e.vtl)) {
		st = HV_STATUS_VTL_ALREADY_ENABLED;
		goto out;
	}
	if (e.vtl > 1 && !(v->vtls & BIT(e.vtl - 1))) {
		st = HV_STATUS_INVALID_VTL_STATE;
		goto out;
	}
	/* Built aside, in the caller's scratch: the target runs meanwhile. */
	s = &vcpu->arch.vsm->scratch;
	kvm_vsm_from_context(s, e.ctx);
	if (!kvm_vsm_state_valid(target, s)) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto out;
	}
	v->state[e.vtl] = *s;
	/* The new VTL's SynIC, unused so far: enabled, SINTs masked. */
	v->hv[e.vtl]->synic.control = HV_SYNIC_CONTROL_ENABLE;
	/* The VTL's state is complete before the VP may enter it. */
	smp_store_release(&v->vtls, v->vtls | BIT(e.vtl));
	WRITE_ONCE(vcpu->kvm->arch.vsm_vp_vtls,
		   vcpu->kvm->arch.vsm_vp_vtls | BIT(e.vtl));
out:
	mutex_unlock(&hv->hv_lock);
	return st;
}

/* Is register @name one of each VP, rather than of the partition? */
static bool kvm_vsm_reg_per_vp(u32 name)
{
	return name != HV_REGISTER_VSM_CODE_PAGE_OFFSETS &&
	       name != HV_REGISTER_VSM_PARTITION_STATUS &&
	       name != HV_REGISTER_VSM_CAPABILITIES &&
	       name != HV_REGISTER_VSM_PARTITION_CONFIG;
}

static u16 kvm_vsm_get_reg(struct kvm_vcpu *vcpu, u8 vtl, u32 name, u64 *val)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	struct kvm_arch *ka = &vcpu->kvm->arch;
	u32 n;

	switch (name) {
	case HV_REGISTER_VSM_CODE_PAGE_OFFSETS:
		*val = KVM_VSM_CALL_OFFSET |
		       (u64)KVM_VSM_RETURN_OFFSET << 12;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_VP_STATUS:
		*val = vcpu->arch.vtl | (u64)(v->vtls | BIT(0)) << 16;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_PARTITION_STATUS:
		*val = (READ_ONCE(ka->vsm_vtls) | BIT(0)) |
		       (u64)ka->vsm_max_vtl << 16;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_VINA:
		*val = v->vina[vtl];
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_CAPABILITIES:
		*val = 0;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_PARTITION_CONFIG:
		if (!vtl)
			return HV_STATUS_INVALID_PARAMETER;
		*val = READ_ONCE(ka->vsm_config[vtl]);
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 ... HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14:
		n = name - HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0;
		if (n >= vtl)
			return HV_STATUS_INVALID_PARAMETER;
		*val = v->secure_config[vtl][n];
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VP_ASSIST_PAGE:
		if (vtl == vcpu->arch.vtl)
			return __kvm_get_msr(vcpu, HV_X64_MSR_VP_ASSIST_PAGE,
					     val, true) ?
				HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
		*val = v->state[vtl].vp_assist;
		return HV_STATUS_SUCCESS;
	}
	return HV_STATUS_INVALID_PARAMETER;
}

/*
 * VsmPartitionConfig of VTL @vtl: once EnableVtlProtection is set, the
 * default mask is layer @vtl's default, O(1) whatever the memory size.
 */
static u16 kvm_vsm_set_config(struct kvm_vcpu *vcpu, struct hv_vsm_caller *c,
			      u8 vtl, u64 val)
{
	struct kvm_hv *hv = to_kvm_hv(vcpu->kvm);
	u64 *cfg = &vcpu->kvm->arch.vsm_config[vtl];
	const u64 prot = HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
			 HV_VSM_CONFIG_DEFAULT_MASK;
	u16 st;

	mutex_lock(&hv->hv_lock);
	st = hv_vsm_check_reg_write(c, vtl, HV_REGISTER_VSM_PARTITION_CONFIG,
				    *cfg, val);
	if (!st && (val & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) &&
	    (val & prot) != (*cfg & prot) &&
	    kvm_vtl_set_default(vcpu->kvm, vtl,
				(val & HV_VSM_CONFIG_DEFAULT_MASK) >> 1))
		st = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!st)
		WRITE_ONCE(*cfg, val);
	mutex_unlock(&hv->hv_lock);
	return st;
}

/* VsmVina of VTL @vtl, checked by the caller. */
static void kvm_vsm_set_vina(struct kvm_vcpu *vcpu, u8 vtl, u64 vina)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;

	if (v->vina[vtl] == vina)
		return;
	v->vina[vtl] = vina;
	/* A notification now enabled goes out for what is pending. */
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

static u16 kvm_vsm_set_reg(struct kvm_vcpu *vcpu, struct hv_vsm_caller *c,
			   u8 vtl, u32 name, u64 val)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u16 st;

	if (name == HV_REGISTER_VSM_PARTITION_CONFIG)
		return vtl ? kvm_vsm_set_config(vcpu, c, vtl, val) :
			     HV_STATUS_INVALID_PARAMETER;

	/* Only VsmPartitionConfig depends on the old value. */
	st = hv_vsm_check_reg_write(c, vtl, name, 0, val);
	if (st)
		return st;
	if (name == HV_REGISTER_VP_ASSIST_PAGE) {
		/* KVM writes the page for @vtl: only where @vtl may. */
		if ((val & HV_X64_MSR_VP_ASSIST_PAGE_ENABLE) &&
		    !kvm_vsm_vtl_gpa_allowed(vcpu->kvm, vtl,
				val & HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK, true))
			return HV_STATUS_ACCESS_DENIED;
		if (vtl != vcpu->arch.vtl) {
			v->state[vtl].vp_assist = val;
			return HV_STATUS_SUCCESS;
		}
		return __kvm_set_msr(vcpu, HV_X64_MSR_VP_ASSIST_PAGE, val, true) ?
			HV_STATUS_INVALID_REGISTER_VALUE : HV_STATUS_SUCCESS;
	}
	if (name == HV_REGISTER_VSM_VINA) {
		kvm_vsm_set_vina(vcpu, vtl, val);
		return HV_STATUS_SUCCESS;
	}
	v->secure_config[vtl][name - HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0] = val;
	return HV_STATUS_SUCCESS;
}

/*
 * HvGetVpRegisters / HvSetVpRegisters for the VSM registers and the VP
 * assist page. Registers of each VP are handled for the calling VP; the
 * partition's for any VP index. Stops at the first failing element and
 * reports the elements done.
 */
static u64 kvm_vsm_vp_regs(struct kvm_vcpu *vcpu, struct hv_vsm_caller *c,
			   const struct kvm_vsm_hcall *hc,
			   struct hv_vsm_input *in)
{
	bool set = hv_vsm_code(hc->control) == HVCALL_SET_VP_REGISTERS;
	u16 start = hv_vsm_rep_start(hc->control), i = 0;
	struct hv_vsm_reg_value out;
	struct hv_vsm_vp_regs r;
	int gen = -1;
	u64 val;
	u32 name;
	u16 st;

	st = hv_vsm_decode_vp_regs(c, in, &r);
	if (st)
		return st;
	/*
	 * The output's check and writes are ordered with layer changes; a
	 * set may change a layer (VsmPartitionConfig), and writes nothing.
	 */
	if (!set) {
		gen = kvm_vsm_access_begin(vcpu->kvm);
		if (!kvm_vsm_gpa_allowed(vcpu, hc->outgpa, true)) {
			kvm_vsm_access_end(vcpu->kvm, gen);
			return HV_STATUS_ACCESS_DENIED;
		}
	}

	for (i = 0; i < r.count; i++) {
		name = set ? r.assoc[i].name : r.names[i];
		if (r.vp_index != c->vp_index && kvm_vsm_reg_per_vp(name)) {
			st = HV_STATUS_ACCESS_DENIED;
			break;
		}
		if (set) {
			if (r.assoc[i].pad || r.assoc[i].pad2 ||
			    r.assoc[i].value_hi) {
				st = HV_STATUS_INVALID_PARAMETER;
				break;
			}
			st = kvm_vsm_set_reg(vcpu, c, r.vtl, name,
					     r.assoc[i].value_lo);
		} else {
			st = kvm_vsm_get_reg(vcpu, r.vtl, name, &val);
			out.lo = val;
			out.hi = 0;
			if (!st && kvm_vcpu_write_guest(vcpu, hc->outgpa +
							(start + i) * sizeof(out),
							&out, sizeof(out)))
				st = HV_STATUS_INVALID_ALIGNMENT;
		}
		if (st)
			break;
	}
	kvm_vsm_access_end(vcpu->kvm, gen);
	return st | (u64)(start + i) << HV_HYPERCALL_REP_COMP_OFFSET;
}

/**
 * kvm_hv_vsm_hypercall - handle a VSM hypercall other than VTL call/return
 * @vcpu: the calling vCPU
 * @hc: the call
 *
 * Return: the hypercall result: status, and reps completed for rep calls.
 */
u64 kvm_hv_vsm_hypercall(struct kvm_vcpu *vcpu, const struct kvm_vsm_hcall *hc)
{
	u16 code = hv_vsm_code(hc->control);
	struct hv_vsm_caller c;
	struct hv_vsm_input in;
	u64 ret;
	u16 st;

	st = hv_vsm_check_control(hc->control);
	if (st)
		return st;
	/* No XMM output: HvGetVpRegisters takes the slow form only. */
	if (hc->fast && code == HVCALL_GET_VP_REGISTERS)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	st = kvm_vsm_read_input(vcpu, hc, &in);
	if (!st && code == HVCALL_GET_VP_REGISTERS)
		st = kvm_vsm_check_buffer(hc->outgpa,
					  hv_vsm_rep_count(hc->control) *
					  sizeof(struct hv_vsm_reg_value));
	if (st)
		return st;

	switch (code) {
	case HVCALL_ENABLE_PARTITION_VTL:
		return kvm_vsm_enable_partition(vcpu, &in);
	case HVCALL_ENABLE_VP_VTL:
		return kvm_vsm_enable_vp(vcpu, &in);
	}

	kvm_vsm_caller(vcpu, &c);
	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
		ret = kvm_vsm_modify(vcpu, &c, &in);
		break;
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		ret = kvm_vsm_vp_regs(vcpu, &c, hc, &in);
		break;
	default:
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	/* A rep call failing on its header did the reps before its start. */
	if (!(ret >> HV_HYPERCALL_REP_COMP_OFFSET))
		ret |= (u64)hv_vsm_rep_start(hc->control) <<
		       HV_HYPERCALL_REP_COMP_OFFSET;
	return ret;
}

static gpa_t kvm_vsm_assist_gpa(u64 msr)
{
	if (!(msr & HV_X64_MSR_VP_ASSIST_PAGE_ENABLE))
		return INVALID_GPA;
	return msr & HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK;
}

/*
 * The VP assist page of the active VTL, or INVALID_GPA: it has none, or a
 * higher VTL has protected the page since it was set.
 */
static gpa_t kvm_vsm_active_assist(struct kvm_vcpu *vcpu)
{
	gpa_t gpa = kvm_vsm_assist_gpa(to_hv_vcpu(vcpu)->hv_vapic);

	if (gpa != INVALID_GPA && !kvm_vsm_gpa_allowed(vcpu, gpa, true))
		return INVALID_GPA;
	return gpa;
}

/*
 * Tell the VTL just entered why, in its VP assist page if it has one:
 * vtl_entry_reason and, for an intercept, @msg in intercept_message.
 */
/*
 * Read or write @len bytes at @off of the active VTL's VP assist page,
 * if the VTL may write the page, ordered with layer changes.
 *
 * Return: 0, -EACCES without a page the VTL may write, or the error of
 * the access.
 */
static int kvm_vsm_assist_access(struct kvm_vcpu *vcpu, unsigned int off,
				 void *data, unsigned int len, bool write)
{
	int gen = kvm_vsm_access_begin(vcpu->kvm), r = -EACCES;
	gpa_t gpa = kvm_vsm_active_assist(vcpu);

	if (gpa != INVALID_GPA)
		r = write ? kvm_vcpu_write_guest(vcpu, gpa + off, data, len) :
			    kvm_vcpu_read_guest(vcpu, gpa + off, data, len);
	kvm_vsm_access_end(vcpu->kvm, gen);
	return r;
}

static void kvm_vsm_entry_reason(struct kvm_vcpu *vcpu, u32 reason,
				 const struct hv_message *msg)
{
	if (msg)
		kvm_vsm_assist_access(vcpu, HV_VP_ASSIST_INTERCEPT_MESSAGE,
				      (void *)msg, sizeof(*msg), true);
	kvm_vsm_assist_access(vcpu, offsetof(struct hv_vp_assist_page,
					     vtl_entry_reason),
			      &reason, sizeof(reason), true);
}

/*
 * Can the vCPU enter VTL @to now? Not from SMM or a nested guest, nor
 * with a state its mode refuses.
 */
static bool kvm_vsm_can_enter(struct kvm_vcpu *vcpu, u8 to)
{
	return !is_smm(vcpu) && !is_guest_mode(vcpu) &&
	       kvm_vsm_state_valid(vcpu, &vcpu->arch.vsm->state[to]);
}

/* VINA's auto-reset on entry to VTL @vtl, now the active one. */
static void kvm_vsm_vina_reset(struct kvm_vcpu *vcpu, u8 vtl)
{
	u8 status;

	vcpu->arch.vsm->vina_asserted[vtl] = false;
	if (kvm_vsm_assist_access(vcpu, HV_VP_ASSIST_VINA_STATUS, &status, 1,
				  false))
		return;
	status &= ~HV_VINA_STATUS_ASSERTED;
	kvm_vsm_assist_access(vcpu, HV_VP_ASSIST_VINA_STATUS, &status, 1, true);
}

/*
 * Switch the vCPU to VTL @to: save the active VTL's private state, load
 * @to's. Nothing changes if @to's state cannot be loaded.
 */
static bool kvm_vsm_switch(struct kvm_vcpu *vcpu, u8 to)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u8 from = vcpu->arch.vtl;

	kvm_vsm_save(vcpu, &v->scratch);
	if (!kvm_vsm_hv_switch(vcpu, from, to))
		return false;
	/* The APIC first: loading CR8 writes the TPR of @to's APIC. */
	kvm_vsm_apic_switch(vcpu, from, to);
	vcpu->arch.vtl = to;
	if (kvm_vsm_load(vcpu, &v->state[to], &v->scratch)) {
		vcpu->arch.vtl = from;
		kvm_vsm_apic_switch(vcpu, to, from);
		kvm_vsm_hv_switch(vcpu, to, from);
		return false;
	}
	v->state[from] = v->scratch;
	kvm_vsm_nmi_switch(vcpu, from, to);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	if (v->vina[to] & HV_VSM_VINA_AUTO_RESET)
		kvm_vsm_vina_reset(vcpu, to);
	return true;
}

/**
 * kvm_hv_vsm_vtl_switch - HvVtlCall and HvVtlReturn
 * @vcpu: the calling vCPU, in a hypercall exit
 * @control: the control word (RCX)
 *
 * VTL call: VTL n's RIP moves past the hypercall, its private state is
 * saved, VTL n + 1's loaded (from its HvEnableVpVtl context the first
 * time, after its last VTL return later) and its VP assist page gets
 * vtl_entry_reason = HV_VTL_ENTRY_VTL_CALL. VTL return: the same towards
 * VTL n - 1, which unless the fast bit is set gets RAX and RCX from the
 * returning VTL's VP assist page (vtl_ret_x64rax, vtl_ret_x64rcx). All
 * other GPRs are shared. An invalid call or return is #UD (TLFS).
 *
 * Return: 1 to resume the guest, 0 to exit to userspace (the hypercall
 * could not be skipped).
 */
int kvm_hv_vsm_vtl_switch(struct kvm_vcpu *vcpu, u64 control)
{
	bool call = hv_vsm_code(control) == HVCALL_VTL_CALL;
	u64 input = kvm_rax_read(vcpu), ret[2] = {};
	bool restore = false;
	struct hv_vsm_caller c;
	u8 from, to;

	kvm_vsm_caller(vcpu, &c);
	if (!is_64_bit_hypercall(vcpu) ||
	    !(call ? hv_vsm_check_vtl_call(&c, control, input) :
		     hv_vsm_check_vtl_return(&c, control, input))) {
		kvm_queue_exception(vcpu, UD_VECTOR);
		return 1;
	}
	/* The checks above keep @to within the VM's VTLs. */
	from = vcpu->arch.vtl;
	to = call ? from + 1 : from - 1;
	if (!kvm_vsm_can_enter(vcpu, to)) {
		kvm_queue_exception(vcpu, UD_VECTOR);
		return 1;
	}
	if (!call && !(input & HV_VSM_VTL_RETURN_FAST))
		restore = !kvm_vsm_assist_access(vcpu,
				offsetof(struct hv_vp_assist_page,
					 vtl_ret_x64rax),
				ret, sizeof(ret), false);

	/*
	 * Past the hypercall without kvm_skip_emulated_instruction(): its
	 * single-step #DB belongs to the VTL being left, not the one entered.
	 */
	++vcpu->stat.hypercalls;
	if (!kvm_x86_call(skip_emulated_instruction)(vcpu))
		return 0;
	if (!kvm_vsm_switch(vcpu, to))
		return 1;

	if (call) {
		kvm_vsm_entry_reason(vcpu, HV_VTL_ENTRY_VTL_CALL, NULL);
	} else if (restore) {
		kvm_rax_write(vcpu, ret[0]);
		kvm_rcx_write(vcpu, ret[1]);
	}
	return 1;
}

/**
 * kvm_hv_vsm_write_code_page - add the VSM entries to the hypercall page
 * @vcpu: the vCPU writing HV_X64_MSR_HYPERCALL
 * @gpa: the hypercall page
 *
 * At the offsets VsmCodePageOffsets reports: "mov rax, rcx; mov ecx,
 * code; vmcall; ret", so that the caller passes the VTL call or return
 * input in RCX as the TLFS says and KVM finds it in RAX.
 *
 * Return: 0, or 1 if the page cannot be written.
 */
int kvm_hv_vsm_write_code_page(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	static const u16 codes[] = { HVCALL_VTL_CALL, HVCALL_VTL_RETURN };
	static const u16 offs[] = { KVM_VSM_CALL_OFFSET, KVM_VSM_RETURN_OFFSET };
	u8 insn[12];
	int i;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		insn[0] = 0x48;			/* mov %rcx, %rax */
		insn[1] = 0x89;
		insn[2] = 0xc8;
		insn[3] = 0xb9;			/* mov $code, %ecx */
		put_unaligned_le32(codes[i], &insn[4]);
		kvm_x86_call(patch_hypercall)(vcpu, &insn[8]);
		insn[11] = 0xc3;		/* ret */
		if (kvm_vcpu_write_guest(vcpu, gpa + offs[i], insn, sizeof(insn)))
			return 1;
	}
	return 0;
}

static int kvm_vsm_check_vtl_state(struct kvm_vcpu *vcpu,
				   const struct kvm_vsm_vtl_state *s)
{
	if (!kvm_vsm_enabled(vcpu->kvm))
		return -ENXIO;
	if (s->vtl > vcpu->kvm->arch.vsm_max_vtl ||
	    memchr_inv(s->pad, 0, sizeof(s->pad)) ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return -EINVAL;
	return 0;
}

/**
 * kvm_vcpu_ioctl_get_vsm_vtl_state - KVM_GET_VSM_VTL_STATE
 * @vcpu: the vCPU, loaded
 * @s: in: the VTL; out: its private state
 *
 * The active VTL's state is the vCPU's live state, the same that
 * KVM_GET_REGS, KVM_GET_SREGS and KVM_GET_MSRS return; another VTL's is
 * what KVM keeps for it until it is entered again.
 *
 * Return: 0; -ENXIO when VSM is not enabled; -EINVAL for a VTL above the
 * VM's highest or non-zero padding.
 */
int kvm_vcpu_ioctl_get_vsm_vtl_state(struct kvm_vcpu *vcpu,
				     struct kvm_vsm_vtl_state *s)
{
	u8 vtl = s->vtl;
	int r;

	r = kvm_vsm_check_vtl_state(vcpu, s);
	if (r)
		return r;
	if (vtl == vcpu->arch.vtl) {
		kvm_vsm_save(vcpu, s);
	} else {
		*s = vcpu->arch.vsm->state[vtl];
		kvm_vsm_synic_access(vcpu, vtl, s, false);
	}
	s->vtl = vtl;
	s->vina = vcpu->arch.vsm->vina[vtl];
	memset(s->pad, 0, sizeof(s->pad));
	memset(s->reserved, 0, sizeof(s->reserved));
	return 0;
}

/**
 * kvm_vcpu_ioctl_set_vsm_vtl_state - KVM_SET_VSM_VTL_STATE
 * @vcpu: the vCPU, loaded
 * @s: the VTL and its private state
 *
 * Sets the live state for the active VTL, the kept state for another.
 * Checked as KVM_SET_SREGS checks its input, so that entering the VTL
 * later cannot fail.
 *
 * Return: 0; -ENXIO when VSM is not enabled; -EINVAL for a VTL above the
 * VM's highest, non-zero padding or an invalid register value.
 */
int kvm_vcpu_ioctl_set_vsm_vtl_state(struct kvm_vcpu *vcpu,
				     struct kvm_vsm_vtl_state *s)
{
	int r;

	r = kvm_vsm_check_vtl_state(vcpu, s);
	if (r)
		return r;
	if (!kvm_vsm_state_valid(vcpu, s) || !hv_vsm_vina_valid(s->vina))
		return -EINVAL;
	if (s->vtl == vcpu->arch.vtl) {
		if (kvm_vsm_load(vcpu, s, NULL))
			return -EINVAL;
	} else {
		r = kvm_vsm_synic_access(vcpu, s->vtl, s, true);
		if (r)
			return r;
		vcpu->arch.vsm->state[s->vtl] = *s;
	}
	kvm_vsm_set_vina(vcpu, s->vtl, s->vina);
	return 0;
}

/**
 * kvm_hv_vsm_queue_intercept - make a denied access a secure intercept
 * @vcpu: the vCPU, in a page fault at its active VTL
 * @gpa: the faulting guest physical address
 * @access: HV_INTERCEPT_ACCESS_READ, _WRITE or _EXECUTE
 * @vtl: the receiving VTL: the lowest VTL above the active one whose layer
 *	denies the access
 *
 * The intercept is delivered, before the vCPU next enters the guest, if
 * VTL @vtl is enabled on the vCPU and has its SynIC and message page
 * enabled, and no event is being delivered (an intercept during event
 * delivery would need the higher VTL to re-inject it).
 *
 * Return: true if queued; false to exit to userspace instead.
 */
bool kvm_hv_vsm_queue_intercept(struct kvm_vcpu *vcpu, gpa_t gpa, u8 access,
				u8 vtl)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	struct kvm_vcpu_hv_synic *synic = &v->hv[vtl]->synic;

	if (!(v->vtls & BIT(vtl)) ||
	    !(synic->control & HV_SYNIC_CONTROL_ENABLE) ||
	    !(synic->msg_page & HV_SYNIC_SIMP_ENABLE) ||
	    kvm_event_needs_reinjection(vcpu) || !kvm_vsm_can_enter(vcpu, vtl))
		return false;

	v->intercept.gpa = gpa;
	v->intercept.access = access;
	v->intercept.vtl = vtl;
	kvm_make_request(KVM_REQ_HV_VSM_INTERCEPT, vcpu);
	return true;
}

static u16 kvm_vsm_exec_state(struct kvm_vcpu *vcpu)
{
	u16 st = kvm_x86_call(get_cpl)(vcpu) & HV_X64_EXEC_STATE_CPL;

	if (is_protmode(vcpu))
		st |= HV_X64_EXEC_STATE_CR0_PE;
	if (kvm_read_cr0_bits(vcpu, X86_CR0_AM))
		st |= HV_X64_EXEC_STATE_CR0_AM;
	if (is_long_mode(vcpu))
		st |= HV_X64_EXEC_STATE_EFER_LMA;
	if (vcpu->arch.dr7 & DR7_BP_EN_MASK)
		st |= HV_X64_EXEC_STATE_DEBUG_ACTIVE;
	if (kvm_x86_call(get_interrupt_shadow)(vcpu))
		st |= HV_X64_EXEC_STATE_INTR_SHADOW;
	return st | FIELD_PREP(HV_X64_EXEC_STATE_VTL, vcpu->arch.vtl);
}

/*
 * The instruction at RIP: up to 16 bytes as the vCPU's paging maps them,
 * and its length as KVM's decoder sees it (0 if it cannot decode it).
 */
static void kvm_vsm_insn(struct kvm_vcpu *vcpu,
			 struct hv_vsm_memory_intercept *mi)
{
	struct x86_emulate_ctxt *ctxt = vcpu->arch.emulate_ctxt;
	unsigned long rip = kvm_get_linear_rip(vcpu);
	unsigned int n = sizeof(mi->instruction_bytes);
	struct x86_exception e;

	/*
	 * Only bytes the lower VTL may read, and a denied read queues no
	 * second intercept: the message then has fewer bytes, or none.
	 */
	vcpu->arch.vsm->reading_insn = true;
	if (kvm_read_guest_virt(vcpu, rip, mi->instruction_bytes, n, &e)) {
		n = min_t(unsigned int, n, PAGE_SIZE - offset_in_page(rip));
		if (kvm_read_guest_virt(vcpu, rip, mi->instruction_bytes, n, &e))
			n = 0;
	}
	vcpu->arch.vsm->reading_insn = false;
	mi->instruction_byte_count = n;
	if (n && x86_decode_emulated_instruction(vcpu, 0, mi->instruction_bytes,
						 n) == EMULATION_OK)
		mi->header.instruction_length_cr8 |= (ctxt->_eip - ctxt->eip) & 0xf;
}

/* Write @msg to @vtl's intercept SINT slot, or flag a message pending. */
static void kvm_vsm_post_message(struct kvm_vcpu *vcpu, u64 simp,
				 struct hv_message *msg)
{
	gpa_t slot = (simp & PAGE_MASK) +
		     HV_SYNIC_INTERCEPTION_SINT * sizeof(*msg);
	int gen = kvm_vsm_access_begin(vcpu->kvm);
	struct hv_message_header h;

	/* The page of the VTL just entered: only where it may write. */
	if (!kvm_vsm_gpa_allowed(vcpu, slot, true) ||
	    kvm_vcpu_read_guest(vcpu, slot, &h, sizeof(h)))
		goto out;
	if (h.message_type == HVMSG_NONE) {
		kvm_vcpu_write_guest(vcpu, slot, msg, sizeof(*msg));
	} else if (!h.message_flags.msg_pending) {
		h.message_flags.msg_pending = 1;
		kvm_vcpu_write_guest(vcpu, slot, &h, sizeof(h));
	}
out:
	kvm_vsm_access_end(vcpu->kvm, gen);
}

/**
 * kvm_hv_vsm_deliver_intercept - KVM_REQ_HV_VSM_INTERCEPT
 * @vcpu: the vCPU, before guest entry
 *
 * Builds the HvX64MemoryInterceptMessage of the queued access from the
 * lower VTL's state, which stays at the faulting instruction, switches the
 * vCPU to the receiving VTL and places the message in that VTL's VP assist
 * page (intercept_message, vtl_entry_reason = HV_VTL_ENTRY_INTERCEPT) and
 * in SINT0's slot of its SynIC message page. When the higher VTL returns,
 * the lower one retries the access.
 */
void kvm_hv_vsm_deliver_intercept(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u8 from = vcpu->arch.vtl, to = v->intercept.vtl;
	struct hv_vsm_memory_intercept *mi;
	struct hv_message msg = {};
	struct kvm_segment cs;

	/* Userspace changed the VTLs since: the access faults again. */
	if (to <= from || !(v->vtls & BIT(to)))
		return;
	/* An event the running VTL is to take stays its own. */
	if (kvm_is_exception_pending(vcpu) || kvm_event_needs_reinjection(vcpu))
		return;

	msg.header.message_type = HVMSG_GPA_INTERCEPT;
	msg.header.payload_size = sizeof(*mi);
	mi = (struct hv_vsm_memory_intercept *)msg.u.payload;
	mi->header.vp_index = kvm_hv_get_vpindex(vcpu);
	mi->header.instruction_length_cr8 = (kvm_get_cr8(vcpu) & 0xf) << 4;
	mi->header.intercept_access_type = v->intercept.access;
	mi->header.execution_state = kvm_vsm_exec_state(vcpu);
	kvm_get_segment(vcpu, &cs, VCPU_SREG_CS);
	mi->header.cs.base = cs.base;
	mi->header.cs.limit = cs.limit;
	mi->header.cs.selector = cs.selector;
	mi->header.cs.segment_type = cs.type;
	mi->header.cs.non_system_segment = cs.s;
	mi->header.cs.descriptor_privilege_level = cs.dpl;
	mi->header.cs.present = cs.present;
	mi->header.cs.available = cs.avl;
	mi->header.cs._long = cs.l;
	mi->header.cs._default = cs.db;
	mi->header.cs.granularity = cs.g;
	mi->header.rip = kvm_rip_read(vcpu);
	mi->header.rflags = kvm_get_rflags(vcpu);
	mi->cache_type = HV_CACHE_TYPE_X64_WRITEBACK;
	mi->guest_physical_address = v->intercept.gpa;
	kvm_vsm_insn(vcpu, mi);

	if (!kvm_vsm_switch(vcpu, to))
		return;
	v->intercepts++;

	kvm_vsm_entry_reason(vcpu, HV_VTL_ENTRY_INTERCEPT, &msg);
	kvm_vsm_post_message(vcpu, v->hv[to]->synic.msg_page, &msg);
}

/*
 * Does the APIC of VTL @vtl, not the active one, have an interrupt to
 * deliver? Its own IA32_APIC_BASE says whether it is enabled.
 */
static bool kvm_vsm_apic_pending(struct kvm_vcpu_vsm *v, int vtl)
{
	return v->apic[vtl] &&
	       (READ_ONCE(v->apic_base[vtl]) & MSR_IA32_APICBASE_ENABLE) &&
	       kvm_apic_pending_vector(v->apic[vtl]) >= 0;
}

/*
 * The highest VTL above the active one with a timer due or an interrupt
 * its APIC would deliver now (whatever the active VTL's RFLAGS.IF), or -1.
 */
static int kvm_vsm_wake_vtl(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl;

	if (!v)
		return -1;
	for (vtl = vcpu->kvm->arch.vsm_max_vtl; vtl > vcpu->arch.vtl; vtl--)
		if ((v->vtls & BIT(vtl)) &&
		    (!bitmap_empty(v->hv[vtl]->stimer_pending_bitmap,
				   HV_SYNIC_STIMER_COUNT) ||
		     kvm_vsm_apic_pending(v, vtl) ||
		     (atomic_read(&v->nmis[vtl]) && !v->nmi_masked[vtl])))
			return vtl;
	return -1;
}

/*
 * Has the active VTL asked for VINA, with a lower VTL's APIC holding an
 * interrupt ready for delivery?
 */
static bool kvm_vsm_vina_wanted(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u8 vtl = vcpu->arch.vtl, i;

	if (!vtl || !(v->vina[vtl] & HV_VSM_VINA_ENABLED))
		return false;
	for (i = 0; i < vtl; i++)
		if (kvm_vsm_apic_pending(v, i))
			return true;
	return false;
}

/* ... and is the notification not asserted, as far as KVM knows? */
static bool kvm_vsm_vina_due(struct kvm_vcpu *vcpu)
{
	return kvm_vsm_vina_wanted(vcpu) &&
	       !vcpu->arch.vsm->vina_asserted[vcpu->arch.vtl];
}

/*
 * Virtual Interrupt Notification Assist: an edge-triggered interrupt with
 * the active VTL's VINA vector, once, then VinaAsserted is set in its VP
 * assist page until the guest clears it there or, with AutoReset, until
 * the VTL is entered again.
 */
static void kvm_vsm_vina(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	u8 vtl = vcpu->arch.vtl, status = 0;
	int r;
	struct kvm_lapic_irq irq = {
		.vector = v->vina[vtl] & HV_VSM_VINA_VECTOR,
		.delivery_mode = APIC_DM_FIXED,
		.level = 1,	/* edge-triggered: trig_mode 0 */
	};

	if (!kvm_vsm_vina_wanted(vcpu))
		return;
	/*
	 * The VP assist page has the state; the guest clears it there.
	 * Without one (or one the VTL may not write), KVM keeps it.
	 */
	r = kvm_vsm_assist_access(vcpu, HV_VP_ASSIST_VINA_STATUS, &status, 1,
				  false);
	if (r && r != -EACCES)
		return;
	if (!r)
		v->vina_asserted[vtl] = status & HV_VINA_STATUS_ASSERTED;
	if (v->vina_asserted[vtl])
		return;
	status |= HV_VINA_STATUS_ASSERTED;
	r = kvm_vsm_assist_access(vcpu, HV_VP_ASSIST_VINA_STATUS, &status, 1,
				  true);
	if (r && r != -EACCES)
		return;
	v->vina_asserted[vtl] = true;
	v->vinas++;
	kvm_apic_set_irq_from(vcpu, vcpu->arch.apic, &irq, NULL);
}

/**
 * kvm_hv_vsm_wake_pending - whether a higher VTL's interrupt is due
 * @vcpu: the vCPU, on its own thread
 *
 * Makes a halted VTL runnable, so that kvm_hv_vsm_wake() can switch or
 * notify it.
 *
 * Return: true if a VTL above the active one has a timer due, an APIC
 * interrupt to deliver or an NMI, and the vCPU can enter it; or if the
 * active VTL's VINA notification is due or it has an NMI to take.
 */
bool kvm_hv_vsm_wake_pending(struct kvm_vcpu *vcpu)
{
	int vtl = kvm_vsm_wake_vtl(vcpu);

	if (vcpu->arch.vsm && (kvm_vsm_vina_due(vcpu) ||
			       atomic_read(&vcpu->arch.vsm->nmis[vcpu->arch.vtl])))
		return true;
	return vtl > 0 && !is_guest_mode(vcpu) &&
	       (vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE ||
		vcpu->arch.mp_state == KVM_MP_STATE_HALTED) &&
	       kvm_vsm_can_enter(vcpu, vtl);
}

/* Hand the active VTL the NMIs it was sent while another VTL ran. */
static void kvm_vsm_give_nmis(struct kvm_vcpu *vcpu)
{
	int n = atomic_xchg(&vcpu->arch.vsm->nmis[vcpu->arch.vtl], 0);

	if (!n)
		return;
	atomic_add(n, &vcpu->arch.nmi_queued);
	kvm_make_request(KVM_REQ_NMI, vcpu);
}

static void kvm_vsm_wake(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl = kvm_vsm_wake_vtl(vcpu);

	if (vtl < 0) {
		if (v && vcpu->arch.vtl)
			kvm_vsm_vina(vcpu);
		return;
	}
	/*
	 * Not in the middle of an event, an exception that is pending or an
	 * interrupt shadow, nor in SMM: they belong to the VTL running now.
	 * Not while a nested guest runs either; that is polled less often.
	 */
	if (kvm_event_needs_reinjection(vcpu) || kvm_is_exception_pending(vcpu) ||
	    kvm_x86_call(get_interrupt_shadow)(vcpu) || is_smm(vcpu) ||
	    is_guest_mode(vcpu)) {
		hrtimer_start(&v->wake_retry,
			      ns_to_ktime(is_guest_mode(vcpu) ?
					  KVM_VSM_WAKE_RETRY_L2_NS :
					  KVM_VSM_WAKE_RETRY_NS),
			      HRTIMER_MODE_REL);
		return;
	}
	/* A VTL state the vCPU's mode refuses: pending until entered. */
	if (!kvm_vsm_can_enter(vcpu, vtl) || !kvm_vsm_switch(vcpu, vtl))
		return;
	v->wakes++;
	kvm_vsm_entry_reason(vcpu, HV_VTL_ENTRY_INTERRUPT, NULL);
	/* VTLs between the two may have interrupts pending too. */
	kvm_vsm_vina(vcpu);
}

/**
 * kvm_hv_vsm_wake - let a higher VTL's interrupt preempt the active VTL
 * @vcpu: the vCPU, in KVM_REQ_HV_STIMER before the active VTL's timers,
 *	or in KVM_REQ_EVENT before interrupts are injected
 *
 * Each VTL has its own synthetic timers and local APIC, which keep running
 * while another VTL runs. When a higher VTL's timer expires, or its APIC
 * has an interrupt its TPR lets through, the vCPU switches to that VTL
 * whatever the active VTL's RFLAGS.IF; it finds vtl_entry_reason =
 * HV_VTL_ENTRY_INTERRUPT in its VP assist page, and the interrupt, or the
 * timer's message and SINT interrupt, then reach it the usual way. The
 * lower VTL stays where it was, as after a secure intercept. As with SMM,
 * the switch waits while an event is being delivered or pending, in an
 * interrupt shadow, in SMM or while the vCPU runs a nested guest, and is
 * retried after 10 us (1 ms for a nested guest).
 *
 * Interrupts of a lower VTL wait for it to run again; the active VTL gets
 * its VINA interrupt for them if it enabled one.
 *
 * NMIs are each VTL's too: one sent through a VTL's APIC (an NMI IPI, an
 * LVT with NMI delivery) or by the host (VTL0's) preempts a lower VTL as
 * an interrupt does, unless the VTL has NMIs masked, and waits while a
 * higher VTL runs. Here the active VTL gets those it was sent.
 */
void kvm_hv_vsm_wake(struct kvm_vcpu *vcpu)
{
	kvm_vsm_wake(vcpu);
	if (vcpu->arch.vsm)
		kvm_vsm_give_nmis(vcpu);
}

/* The VTL whose local APIC @apic is; 0 for NULL or without VSM. */
static int kvm_vsm_apic_vtl(struct kvm_lapic *apic)
{
	struct kvm_vcpu_vsm *v = apic ? apic->vcpu->arch.vsm : NULL;
	int vtl = 0;

	if (v)
		for (vtl = KVM_HV_VSM_NR_VTLS - 1; vtl > 0; vtl--)
			if (v->apic[vtl] == apic)
				break;
	return vtl;
}

/**
 * __kvm_vsm_irq_apic - the APIC of @vcpu that an interrupt from @src reaches
 * @vcpu: the destination, its VM with VSM enabled
 * @src: the sending local APIC; NULL for a device, KVM or userspace
 *
 * Each VTL of a VP has its own local APIC (TLFS "VTL Interrupt
 * Management"). Devices interrupt VTL0; an IPI, a self IPI or a SynIC
 * interrupt stays in the VTL of the APIC that sends it.
 *
 * Return: the APIC of @src's VTL on @vcpu, or VTL0's.
 */
struct kvm_lapic *__kvm_vsm_irq_apic(struct kvm_vcpu *vcpu,
				     struct kvm_lapic *src)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;

	return v->apic[kvm_vsm_apic_vtl(src)] ?: vcpu->arch.apic;
}

/**
 * __kvm_vsm_apic_present - is the APIC an interrupt from @src reaches on?
 * @vcpu: the destination, its VM with VSM enabled
 * @src: the sending APIC, NULL for a device
 *
 * Return: true if the APIC of @src's VTL on @vcpu is hardware-enabled.
 */
bool __kvm_vsm_apic_present(struct kvm_vcpu *vcpu, struct kvm_lapic *src)
{
	struct kvm_lapic *apic = vcpu->arch.vsm->apic[kvm_vsm_apic_vtl(src)];

	return apic && kvm_apic_hw_enabled(apic);
}

/**
 * __kvm_vsm_apic_match_dest - kvm_apic_match_dest() for a VSM vCPU
 * @vcpu: the destination
 * @src: the sending APIC, NULL for a device
 * @shorthand: the ICR's destination shorthand
 * @dest: the destination field
 * @dest_mode: physical or logical
 *
 * An interrupt reaches the APIC of its sender's VTL on each VP (VTL0's
 * for a device), so it is that APIC's ID, logical destination and mode
 * that it must match, not the active VTL's: VTL0 changing its xAPIC ID or
 * LDR, or disabling its APIC, redirects none of VTL1's IPIs. The rules
 * are kvm_apic_match_dest()'s, with the mode from the APIC's own
 * IA32_APIC_BASE.
 *
 * Return: true if that APIC is a destination.
 */
bool __kvm_vsm_apic_match_dest(struct kvm_vcpu *vcpu, struct kvm_lapic *src,
			       int shorthand, u32 dest, int dest_mode)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl = kvm_vsm_apic_vtl(src);
	struct kvm_lapic *target = v->apic[vtl];
	bool x2apic;
	u32 ldr;

	if (!target)
		return false;
	x2apic = kvm_lapic_apic_base(target) & X2APIC_ENABLE;
	switch (shorthand) {
	case APIC_DEST_NOSHORT:
		break;
	case APIC_DEST_SELF:
		return target == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != src;
	default:
		return false;
	}
	/* As kvm_apic_mda(): a device's xAPIC broadcast, in x2APIC mode. */
	if (!src && x2apic && dest == APIC_BROADCAST &&
	    !vcpu->kvm->arch.x2apic_broadcast_quirk_disabled)
		dest = X2APIC_BROADCAST;
	if (dest == (x2apic ? X2APIC_BROADCAST : APIC_BROADCAST))
		return true;
	/* The x2APIC ID is the vCPU ID, read-only, the same in every VTL. */
	if (dest_mode == APIC_DEST_PHYSICAL)
		return x2apic || dest > 0xff ? dest == vcpu->vcpu_id :
					       dest == kvm_xapic_id(target);
	ldr = kvm_lapic_get_reg(target, APIC_LDR);
	if (x2apic)
		return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff);
	ldr = GET_APIC_LOGICAL_ID(ldr);
	switch (kvm_lapic_get_reg(target, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return ldr & dest;
	case APIC_DFR_CLUSTER:
		return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
	}
	return false;
}

/**
 * __kvm_vsm_nmi - an NMI for one VTL of @vcpu
 * @vcpu: the destination, its VM with VSM enabled
 * @apic: the APIC of @vcpu that took it, whose VTL it is for; NULL for
 *	the host's (KVM_NMI), which is VTL0's as a device's would be
 *
 * The NMI waits until that VTL runs, or preempts a lower one: see
 * kvm_hv_vsm_wake(). A VTL in a higher VTL's NMI handler is not entered
 * with another VTL's NMI, and VTL0 cannot send one to VTL1.
 */
void __kvm_vsm_nmi(struct kvm_vcpu *vcpu, struct kvm_lapic *apic)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;

	/* As process_nmi(): more than two pending NMIs collapse. */
	atomic_add_unless(&v->nmis[kvm_vsm_apic_vtl(apic)], 1, 2);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	kvm_vcpu_kick(vcpu);
}

/**
 * __kvm_vsm_apic_drops_init - does @apic drop INIT and startup IPIs?
 * @apic: a local APIC of a vCPU whose VM has VSM enabled
 *
 * They are dropped when aimed at a lower VTL of a VP with a higher VTL
 * enabled (TLFS); HvStartVirtualProcessor starts such VPs.
 *
 * Return: true if @apic is not the APIC of the VP's highest enabled VTL.
 */
bool __kvm_vsm_apic_drops_init(struct kvm_lapic *apic)
{
	struct kvm_vcpu_vsm *v = apic->vcpu->arch.vsm;
	u16 vtls = READ_ONCE(v->vtls) | BIT(0);

	return v->apic[fls(vtls) - 1] && apic != v->apic[fls(vtls) - 1];
}

/**
 * __kvm_vsm_timer_pending - did the APIC timer of a VTL not active expire?
 * @vcpu: the vCPU, its VM with VSM enabled
 *
 * Return: the number of such APICs with their timer interrupt pending.
 */
int __kvm_vsm_timer_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl, n = 0;

	for (vtl = 0; vtl < KVM_HV_VSM_NR_VTLS; vtl++)
		if (v->apic[vtl] && v->apic[vtl] != vcpu->arch.apic &&
		    atomic_read(&v->apic[vtl]->lapic_timer.pending) > 0)
			n++;
	return n;
}

/**
 * __kvm_vsm_inject_timer_irqs - deliver the timers of the VTLs not active
 * @vcpu: the vCPU, on its thread, its VM with VSM enabled
 *
 * An expired timer of a VTL not active raises its interrupt in that VTL's
 * APIC, where kvm_hv_vsm_wake() finds it: it preempts a lower VTL, waits
 * for a higher one.
 */
void __kvm_vsm_inject_timer_irqs(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vsm *v = vcpu->arch.vsm;
	int vtl;

	for (vtl = 0; vtl < KVM_HV_VSM_NR_VTLS; vtl++)
		if (v->apic[vtl] && v->apic[vtl] != vcpu->arch.apic)
			kvm_lapic_inject_timer_irqs(v->apic[vtl]);
}

/**
 * __kvm_vsm_vina_auto_eoi - is @vector the active VTL's VINA with AutoEoi?
 * @vcpu: the vCPU acknowledging @vector, its VM with VSM enabled
 * @vector: the vector
 *
 * Return: true if the interrupt is acknowledged without an EOI.
 */
bool __kvm_vsm_vina_auto_eoi(struct kvm_vcpu *vcpu, int vector)
{
	u64 vina = vcpu->arch.vsm->vina[vcpu->arch.vtl];

	return (vina & (HV_VSM_VINA_ENABLED | HV_VSM_VINA_AUTO_EOI)) ==
	       (HV_VSM_VINA_ENABLED | HV_VSM_VINA_AUTO_EOI) &&
	       (vina & HV_VSM_VINA_VECTOR) == vector;
}
