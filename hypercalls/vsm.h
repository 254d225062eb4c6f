/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V Virtual Secure Mode (VSM) on KVM/x86: VTLs of a VM and of its
 * vCPUs, and what the MMU needs of them. See Documentation/vsm.rst.
 */
#ifndef __ARCH_X86_KVM_HYPERV_VSM_H__
#define __ARCH_X86_KVM_HYPERV_VSM_H__

#include <linux/kvm_host.h>

#include <asm/hyperv-tlfs.h>

#include "fpu.h"
#include "kvm_emulate.h"
#include "lapic.h"
#include "mmu/mmu_internal.h"

/* A VSM hypercall as kvm_hv_hypercall() read it. */
struct kvm_vsm_hcall {
	u64 control;
	u64 ingpa;		/* or the first input register of a fast call */
	u64 outgpa;		/* or the second */
	bool fast;
	const sse128_t *xmm;	/* fast calls: XMM0-5 */
};

#ifdef CONFIG_KVM_HYPERV_VSM
/* The highest VTL a VM may enable. */
#define KVM_HV_VSM_MAX_VTL	2
static_assert(KVM_HV_VSM_MAX_VTL < KVM_HV_VSM_NR_VTLS);

/* The VSM state of a vCPU, with VSM enabled for its VM. */
struct kvm_vcpu_vsm {
	/* VTLs enabled on this VP; bit 0 is implied. */
	u16 vtls;
	/* Private state of each VTL while another one is active. */
	struct kvm_vsm_vtl_state state[KVM_HV_VSM_NR_VTLS];
	/* A state being built or saved, on this vCPU's thread. */
	struct kvm_vsm_vtl_state scratch;
	/* VsmVpSecureConfigVtlN of VTL v, for N < v: [v][N]. */
	u64 secure_config[KVM_HV_VSM_NR_VTLS][KVM_HV_VSM_NR_VTLS];
	/* The denied access KVM_REQ_HV_VSM_INTERCEPT delivers. */
	struct {
		gpa_t gpa;
		u8 access;
		u8 vtl;
	} intercept;
	/* Secure intercepts delivered, for tests and statistics. */
	u64 intercepts;
	/*
	 * The SynIC, synthetic timers and Hyper-V VP state of each VTL;
	 * vcpu->arch.hyperv is the active VTL's. A higher VTL's timers run
	 * while a lower VTL does and preempt it when they expire.
	 */
	struct kvm_vcpu_hv *hv[KVM_HV_VSM_NR_VTLS];
	/*
	 * The local APIC of each VTL, and its IA32_APIC_BASE, kept for the
	 * active VTL too (each APIC's vsm_apic_base points here):
	 * vcpu->arch.apic and vcpu->arch.apic_base are the active VTL's.
	 * Devices interrupt VTL0's APIC; an APIC's IPIs reach the APICs of
	 * its own VTL. Without an in-kernel APIC, all NULL.
	 */
	struct kvm_lapic *apic[KVM_HV_VSM_NR_VTLS];
	u64 apic_base[KVM_HV_VSM_NR_VTLS];
	/*
	 * HvRegisterVsmVina of each VTL, and whether its notification is
	 * asserted as far as KVM knows: the guest clears VinaAsserted in its
	 * VP assist page, where KVM looks before the next notification.
	 */
	u64 vina[KVM_HV_VSM_NR_VTLS];
	bool vina_asserted[KVM_HV_VSM_NR_VTLS];
	/*
	 * NMIs sent to each VTL (through its APIC; the host's to VTL0) and
	 * not yet handed to it: a VTL takes its NMIs only while it runs, as
	 * its interrupts, and has its own NMI masking, kept here while
	 * another VTL runs.
	 */
	atomic_t nmis[KVM_HV_VSM_NR_VTLS];
	bool nmi_masked[KVM_HV_VSM_NR_VTLS];
	/* Reading an intercepted instruction's bytes: queue no intercept. */
	bool reading_insn;
	/* Retries a preemption that had to wait for an event's delivery. */
	struct hrtimer wake_retry;
	struct kvm_vcpu *vcpu;
	/* Entries of a higher VTL for its interrupts, for tests and statistics. */
	u64 wakes;
	/* VINA interrupts raised, for tests and statistics. */
	u64 vinas;
	/* The input of the hypercall being handled. */
	u64 input[PAGE_SIZE / sizeof(u64)];
};

static inline bool kvm_vsm_enabled(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.vsm_max_vtl);
}

static inline u8 kvm_vsm_vtl(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vtl;
}

bool kvm_vsm_vtl_gpa_allowed(struct kvm *kvm, u8 vtl, gpa_t gpa, bool write);

/*
 * Bracket a check of the layers (kvm_vsm_gpa_allowed() and the like) and
 * the access it allows, so that a layer change cannot slip between them:
 * see kvm_vtl_access_begin(). Free without VSM.
 */
static inline int kvm_vsm_access_begin(struct kvm *kvm)
{
	return kvm_vsm_enabled(kvm) ? kvm_vtl_access_begin(kvm) : -1;
}

static inline void kvm_vsm_access_end(struct kvm *kvm, int gen)
{
	if (gen >= 0)
		kvm_vtl_access_end(kvm, gen);
}

int kvm_vm_enable_vsm(struct kvm *kvm, u64 max_vtl);
int kvm_vcpu_ioctl_get_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state);
int kvm_vcpu_ioctl_set_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state);
int kvm_vcpu_ioctl_get_vsm_vtl_state(struct kvm_vcpu *vcpu,
				     struct kvm_vsm_vtl_state *s);
int kvm_vcpu_ioctl_set_vsm_vtl_state(struct kvm_vcpu *vcpu,
				     struct kvm_vsm_vtl_state *s);
int kvm_vsm_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_vsm_vcpu_destroy(struct kvm_vcpu *vcpu);
u64 kvm_hv_vsm_hypercall(struct kvm_vcpu *vcpu, const struct kvm_vsm_hcall *hc);
int kvm_hv_vsm_vtl_switch(struct kvm_vcpu *vcpu, u64 control);
int kvm_hv_vsm_write_code_page(struct kvm_vcpu *vcpu, gpa_t gpa);
bool kvm_hv_vsm_queue_intercept(struct kvm_vcpu *vcpu, gpa_t gpa, u8 access,
				u8 vtl);
void kvm_hv_vsm_deliver_intercept(struct kvm_vcpu *vcpu);
void kvm_hv_vsm_wake(struct kvm_vcpu *vcpu);
bool kvm_hv_vsm_wake_pending(struct kvm_vcpu *vcpu);
int kvm_vsm_set_active_hv(struct kvm_vcpu *vcpu, u8 from, u8 to);
void kvm_vsm_vcpu_reset(struct kvm_vcpu *vcpu);
bool kvm_hv_vsm_gpa_writable(struct kvm_vcpu *vcpu, gpa_t gpa);
struct kvm_lapic *__kvm_vsm_irq_apic(struct kvm_vcpu *vcpu,
				     struct kvm_lapic *src);
bool __kvm_vsm_apic_drops_init(struct kvm_lapic *apic);
void __kvm_vsm_nmi(struct kvm_vcpu *vcpu, struct kvm_lapic *apic);
bool __kvm_vsm_apic_present(struct kvm_vcpu *vcpu, struct kvm_lapic *src);
bool __kvm_vsm_apic_match_dest(struct kvm_vcpu *vcpu, struct kvm_lapic *src,
			       int shorthand, u32 dest, int dest_mode);
bool __kvm_vsm_vina_auto_eoi(struct kvm_vcpu *vcpu, int vector);
struct kvm_lapic *__kvm_vsm_synic_apic(struct kvm_vcpu *vcpu,
				       struct kvm_vcpu_hv_synic *synic);
struct kvm_vcpu_hv_synic *kvm_vsm_synic_get(struct kvm *kvm, u32 vpidx,
					    u32 vtl);
int __kvm_vsm_timer_pending(struct kvm_vcpu *vcpu);
void __kvm_vsm_inject_timer_irqs(struct kvm_vcpu *vcpu);
bool kvm_vsm_gpa_allowed(struct kvm_vcpu *vcpu, gpa_t gpa, bool write);
int kvm_vsm_emulated_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool write);
int kvm_vsm_emulated_fetch(struct kvm_vcpu *vcpu, gpa_t gpa);
int __kvm_vsm_faultin(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
int __kvm_vsm_max_level(struct kvm_vcpu *vcpu, gfn_t gfn, int level);

/*
 * The local APIC's hooks, a test of a NULL pointer when VSM is off.
 *
 * kvm_vsm_irq_apic - the APIC of @vcpu that an interrupt sent by @src
 * reaches: the one of @src's VTL, VTL0's for a device (@src NULL).
 */
static inline struct kvm_lapic *kvm_vsm_irq_apic(struct kvm_vcpu *vcpu,
						 struct kvm_lapic *src)
{
	if (likely(!vcpu->arch.vsm))
		return vcpu->arch.apic;
	return __kvm_vsm_irq_apic(vcpu, src);
}

/* The APIC that SynIC @synic of @vcpu interrupts: the one of its VTL. */
static inline struct kvm_lapic *kvm_vsm_synic_apic(struct kvm_vcpu *vcpu,
						   struct kvm_vcpu_hv_synic *synic)
{
	if (likely(!vcpu->arch.vsm))
		return vcpu->arch.apic;
	return __kvm_vsm_synic_apic(vcpu, synic);
}

/* Does @apic drop INIT and SIPI, its VP running a VTL above its own? */
static inline bool kvm_vsm_apic_drops_init(struct kvm_lapic *apic,
					   struct kvm_vcpu *vcpu)
{
	return unlikely(vcpu->arch.vsm) && __kvm_vsm_apic_drops_init(apic);
}

/*
 * An NMI for @vcpu through @apic, the APIC of the VTL it is for (NULL:
 * from the host, for VTL0): handed to that VTL when it runs.
 */
static inline void kvm_vsm_inject_nmi(struct kvm_vcpu *vcpu,
				      struct kvm_lapic *apic)
{
	if (unlikely(vcpu->arch.vsm))
		__kvm_vsm_nmi(vcpu, apic);
	else
		kvm_inject_nmi(vcpu);
}

/* PIC interrupts (ExtINT) go to VTL0's APIC: only VTL0 takes them. */
static inline bool kvm_vsm_takes_extint(struct kvm_vcpu *vcpu)
{
	return likely(!vcpu->arch.vsm) || !vcpu->arch.vtl;
}

/*
 * @apic's IA32_APIC_BASE is now @value: kept for every VTL, in the slot of
 * apic_base[] of struct kvm_vcpu_vsm that its vsm_apic_base points at.
 */
static inline void kvm_vsm_apic_base_set(struct kvm_lapic *apic, u64 value)
{
	if (unlikely(apic->vsm_apic_base))
		WRITE_ONCE(*apic->vsm_apic_base, value);
}

/*
 * Is the APIC of @vcpu that an interrupt from @src reaches enabled? With
 * VSM that is the APIC of @src's VTL (VTL0's for a device), not the
 * active VTL's.
 */
static inline bool kvm_vsm_apic_present(struct kvm_vcpu *vcpu,
					struct kvm_lapic *src)
{
	if (likely(!vcpu->arch.vsm))
		return kvm_apic_present(vcpu);
	return __kvm_vsm_apic_present(vcpu, src);
}

/* Is @vector the active VTL's VINA interrupt, with AutoEoi? */
static inline bool kvm_vsm_vina_auto_eoi(struct kvm_vcpu *vcpu, int vector)
{
	return unlikely(vcpu->arch.vsm) && __kvm_vsm_vina_auto_eoi(vcpu, vector);
}

/* The timers of the APICs of the VTLs not active, which keep running. */
static inline int kvm_vsm_timer_pending(struct kvm_vcpu *vcpu)
{
	return unlikely(vcpu->arch.vsm) ? __kvm_vsm_timer_pending(vcpu) : 0;
}

static inline void kvm_vsm_inject_timer_irqs(struct kvm_vcpu *vcpu)
{
	if (unlikely(vcpu->arch.vsm))
		__kvm_vsm_inject_timer_irqs(vcpu);
}

/*
 * The MMU's hooks, a single test of a VM-wide value when VSM is off: the
 * protections of the VTLs above the vCPU's active VTL on a faulting gfn.
 */
static inline int kvm_vsm_faultin(struct kvm_vcpu *vcpu,
				  struct kvm_page_fault *fault)
{
	if (likely(!kvm_vsm_enabled(vcpu->kvm)))
		return RET_PF_CONTINUE;
	return __kvm_vsm_faultin(vcpu, fault);
}

static inline int kvm_vsm_max_level(struct kvm_vcpu *vcpu, gfn_t gfn,
				    int level)
{
	if (likely(!kvm_vsm_enabled(vcpu->kvm)) || level == PG_LEVEL_4K)
		return level;
	return __kvm_vsm_max_level(vcpu, gfn, level);
}
#else
static inline bool kvm_vsm_enabled(struct kvm *kvm)
{
	return false;
}

static inline int kvm_vsm_access_begin(struct kvm *kvm)
{
	return -1;
}

static inline void kvm_vsm_access_end(struct kvm *kvm, int gen)
{
}

static inline u8 kvm_vsm_vtl(struct kvm_vcpu *vcpu)
{
	return 0;
}

static inline int kvm_vsm_vcpu_create(struct kvm_vcpu *vcpu)
{
	return 0;
}

static inline void kvm_vsm_vcpu_destroy(struct kvm_vcpu *vcpu) {}
static inline void kvm_vsm_vcpu_reset(struct kvm_vcpu *vcpu) {}

static inline u64 kvm_hv_vsm_hypercall(struct kvm_vcpu *vcpu,
				       const struct kvm_vsm_hcall *hc)
{
	return HV_STATUS_INVALID_HYPERCALL_CODE;
}

static inline int kvm_hv_vsm_vtl_switch(struct kvm_vcpu *vcpu, u64 control)
{
	kvm_queue_exception(vcpu, UD_VECTOR);
	return 1;
}

static inline int kvm_hv_vsm_write_code_page(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	return 0;
}

static inline void kvm_hv_vsm_deliver_intercept(struct kvm_vcpu *vcpu) {}
static inline void kvm_hv_vsm_wake(struct kvm_vcpu *vcpu) {}

static inline bool kvm_hv_vsm_wake_pending(struct kvm_vcpu *vcpu)
{
	return false;
}

static inline bool kvm_hv_vsm_gpa_writable(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	return true;
}

static inline struct kvm_lapic *kvm_vsm_irq_apic(struct kvm_vcpu *vcpu,
						 struct kvm_lapic *src)
{
	return vcpu->arch.apic;
}

static inline struct kvm_lapic *kvm_vsm_synic_apic(struct kvm_vcpu *vcpu,
						   struct kvm_vcpu_hv_synic *synic)
{
	return vcpu->arch.apic;
}

static inline struct kvm_vcpu_hv_synic *kvm_vsm_synic_get(struct kvm *kvm,
							  u32 vpidx, u32 vtl)
{
	return NULL;
}

static inline bool kvm_vsm_apic_drops_init(struct kvm_lapic *apic,
					   struct kvm_vcpu *vcpu)
{
	return false;
}

static inline void kvm_vsm_inject_nmi(struct kvm_vcpu *vcpu,
				      struct kvm_lapic *apic)
{
	kvm_inject_nmi(vcpu);
}

static inline bool kvm_vsm_takes_extint(struct kvm_vcpu *vcpu)
{
	return true;
}

static inline void kvm_vsm_apic_base_set(struct kvm_lapic *apic, u64 value)
{
}

static inline bool kvm_vsm_apic_present(struct kvm_vcpu *vcpu,
					struct kvm_lapic *src)
{
	return kvm_apic_present(vcpu);
}

static inline bool kvm_vsm_vina_auto_eoi(struct kvm_vcpu *vcpu, int vector)
{
	return false;
}

static inline int kvm_vsm_timer_pending(struct kvm_vcpu *vcpu)
{
	return 0;
}

static inline void kvm_vsm_inject_timer_irqs(struct kvm_vcpu *vcpu) {}

static inline bool kvm_vsm_vtl_gpa_allowed(struct kvm *kvm, u8 vtl, gpa_t gpa,
					   bool write)
{
	return true;
}

static inline bool kvm_vsm_gpa_allowed(struct kvm_vcpu *vcpu, gpa_t gpa,
				       bool write)
{
	return true;
}

static inline int kvm_vsm_emulated_access(struct kvm_vcpu *vcpu, gpa_t gpa,
					  bool write)
{
	return X86EMUL_CONTINUE;
}

static inline int kvm_vsm_emulated_fetch(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	return X86EMUL_CONTINUE;
}

static inline int kvm_vsm_faultin(struct kvm_vcpu *vcpu,
				  struct kvm_page_fault *fault)
{
	return RET_PF_CONTINUE;
}

static inline int kvm_vsm_max_level(struct kvm_vcpu *vcpu, gfn_t gfn,
				    int level)
{
	return level;
}
#endif

/**
 * kvm_vsm_refuses_nested - does the VM refuse this step into nesting?
 * @vcpu: the vCPU
 * @enter: whether the step enters nested virtualization: EFER.SVME,
 *	   CR4.VMXE, a nested state in guest mode or in VMX operation
 *
 * An L2 guest's shadow page tables are built from L1's entries alone, and
 * VMRUN, #VMEXIT, VMSAVE, VMLOAD and the VMX structures read and write
 * pages that L1 names: none of it consults the VTL layers. Until it does,
 * a VSM VM has no nested virtualization, from the guest or the host.
 *
 * Return: true if the step is refused.
 */
static inline bool kvm_vsm_refuses_nested(struct kvm_vcpu *vcpu, bool enter)
{
	return enter && kvm_vsm_enabled(vcpu->kvm);
}

#endif /* __ARCH_X86_KVM_HYPERV_VSM_H__ */
