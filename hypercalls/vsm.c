// SPDX-License-Identifier: GPL-2.0
/*
 * Hyper-V Virtual Secure Mode (VSM) on KVM/x86: enabling VTLs for a VM,
 * the active VTL of a vCPU, and the MMU's view of the per-VTL protection
 * layers (virt/kvm/vtl.c).
 *
 * A vCPU at VTL v may access a gfn as its memslot allows, narrowed by the
 * layers of every enabled VTL above v. Each VTL has its own MMU roots
 * (kvm_mmu_page_role.vtl), so one gfn can be writable for VTL1 on one vCPU
 * and read-only for VTL0 on another at the same time.
 */
#include <linux/kvm_host.h>
#include <linux/kvm_vtl_store.h>

#include "hyperv.h"
#include "hyperv_vsm.h"
#include "hyperv_vsm_tlfs.h"
#include "mmu.h"
#include "mmu/mmu_internal.h"
#include "mmu/spte.h"

/**
 * kvm_vm_enable_vsm - KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM)
 * @kvm: the VM
 * @max_vtl: the highest VTL the VM may use, 1..KVM_HV_VSM_MAX_VTL
 *
 * Only before the first vCPU is created, and only once: the MMU roots of
 * the vCPUs are keyed by VTL from their start.
 *
 * Return: 0; -EINVAL for a bad @max_vtl; -EBUSY once vCPUs exist or VSM
 * is enabled already; -EOPNOTSUPP without TDP (shadow paging is not VTL
 * aware).
 */
int kvm_vm_enable_vsm(struct kvm *kvm, u64 max_vtl)
{
	int r;

	if (!max_vtl || max_vtl > KVM_HV_VSM_MAX_VTL)
		return -EINVAL;
	if (!tdp_enabled)
		return -EOPNOTSUPP;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus || kvm->arch.vsm_max_vtl) {
		r = -EBUSY;
	} else {
		WRITE_ONCE(kvm->arch.vsm_max_vtl, max_vtl);
		/*
		 * The vPMU's counters and the LBR stack are the vCPU's, not
		 * each VTL's: a lower VTL would count or record a higher
		 * one's execution. Off, as KVM_CAP_PMU_CAPABILITY turns it.
		 */
		kvm->arch.enable_pmu = false;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	/*
	 * Each VTL has its own local APIC, while APICv's hardware state
	 * (posted interrupts, the APIC backing page) follows one.
	 */
	if (!r)
		kvm_set_apicv_inhibit(kvm, APICV_INHIBIT_REASON_HYPERV);
	return r;
}

/**
 * kvm_vcpu_ioctl_get_vsm_state - KVM_GET_VSM_STATE
 * @vcpu: the vCPU, loaded
 * @state: filled with the vCPU's VSM state
 *
 * Return: 0, or -ENXIO when VSM is not enabled for the VM.
 */
int kvm_vcpu_ioctl_get_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state)
{
	if (!kvm_vsm_enabled(vcpu->kvm))
		return -ENXIO;

	memset(state, 0, sizeof(*state));
	state->active_vtl = vcpu->arch.vtl;
	state->enabled_vtls = READ_ONCE(vcpu->arch.vsm->vtls) | BIT(0);
	return 0;
}

/**
 * kvm_vcpu_ioctl_set_vsm_state - KVM_SET_VSM_STATE
 * @vcpu: the vCPU, loaded
 * @state: the state to set
 *
 * Makes @state->active_vtl the vCPU's active VTL and @state->enabled_vtls
 * (with VTL0 up to the active VTL) the VTLs enabled on it, which are then
 * enabled in the partition too: for restore, and for VMMs that switch
 * VTLs themselves. The vCPU's registers are left as they are: they become
 * the new VTL's (see KVM_SET_VSM_VTL_STATE); its SynIC, synthetic timers
 * and local APIC, which KVM keeps per VTL, become the active ones, which
 * KVM_GET_LAPIC, KVM_SET_LAPIC and the MSR ioctls reach. The MMU context
 * is reset so
 * that the next entry runs on the roots, and with the access, of that VTL.
 *
 * Return: 0; -ENXIO when VSM is not enabled; -EINVAL for a VTL above the
 * VM's highest, enabled VTLs with a gap, or non-zero padding; -EBUSY to
 * change the active VTL while the vCPU runs a nested guest; -ENOMEM
 * when the vCPU's Hyper-V state could not be created. Nothing changes on
 * an error.
 */
int kvm_vcpu_ioctl_set_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state)
{
	struct kvm *kvm = vcpu->kvm;
	u16 vtls;

	if (!kvm_vsm_enabled(kvm))
		return -ENXIO;
	if (state->active_vtl > kvm->arch.vsm_max_vtl)
		return -EINVAL;
	/* VTLs are enabled in order: VTL0 up to the highest, no gaps. */
	vtls = state->enabled_vtls | GENMASK(state->active_vtl, 0);
	if (vtls & ~GENMASK(kvm->arch.vsm_max_vtl, 0) || (vtls & (vtls + 1)))
		return -EINVAL;
	if (state->pad || memchr_inv(state->pad2, 0, sizeof(state->pad2)) ||
	    memchr_inv(state->reserved, 0, sizeof(state->reserved)))
		return -EINVAL;

	/* A nested guest runs on its own state; VTLs are L1's. */
	if (vcpu->arch.vtl != state->active_vtl && is_guest_mode(vcpu))
		return -EBUSY;
	/* The only step that can fail, first: nothing changes on failure. */
	if (vcpu->arch.vtl != state->active_vtl &&
	    kvm_vsm_set_active_hv(vcpu, vcpu->arch.vtl, state->active_vtl))
		return -ENOMEM;

	mutex_lock(&to_kvm_hv(kvm)->hv_lock);
	/* As HvEnableVpVtl: VTL calls read the set with acquire. */
	smp_store_release(&vcpu->arch.vsm->vtls, vtls);
	WRITE_ONCE(kvm->arch.vsm_vtls, kvm->arch.vsm_vtls | vtls);
	WRITE_ONCE(kvm->arch.vsm_vp_vtls, kvm->arch.vsm_vp_vtls | vtls);
	mutex_unlock(&to_kvm_hv(kvm)->hv_lock);

	if (vcpu->arch.vtl != state->active_vtl) {
		vcpu->arch.vtl = state->active_vtl;
		kvm_mmu_reset_context(vcpu);
	}
	return 0;
}

/* Protection the layers above the vCPU's VTL give @gfn. */
static u8 kvm_vsm_prot(struct kvm_vcpu *vcpu, gfn_t gfn)
{
	struct kvm *kvm = vcpu->kvm;

	return kvm_vtl_effective(&kvm->vtl_layers, vcpu->arch.vtl,
				 kvm->arch.vsm_max_vtl, gfn);
}

/* Do the layers above VTL @vtl give it all of @need at @gpa? */
static bool kvm_vsm_vtl_allows(struct kvm *kvm, u8 vtl, gpa_t gpa, u8 need)
{
	return !kvm_vsm_enabled(kvm) ||
	       (kvm_vtl_effective(&kvm->vtl_layers, vtl, kvm->arch.vsm_max_vtl,
				  gpa_to_gfn(gpa)) & need) == need;
}

/**
 * kvm_vsm_gpa_allowed - may KVM access @gpa for the vCPU's active VTL?
 * @vcpu: the vCPU
 * @gpa: guest RAM that KVM reads or writes on the guest's behalf
 * @write: whether it writes
 *
 * KVM reaches guest RAM without the MMU in the instruction emulator, for
 * hypercall input and output, and for pages the guest names in MSRs; the
 * layers above the active VTL apply there too: a read needs R, a write R
 * and W.
 *
 * Return: true if the access is allowed (always without VSM).
 */
bool kvm_vsm_gpa_allowed(struct kvm_vcpu *vcpu, gpa_t gpa, bool write)
{
	return kvm_vsm_vtl_gpa_allowed(vcpu->kvm, vcpu->arch.vtl, gpa, write);
}

/**
 * kvm_vsm_vtl_gpa_allowed - may KVM access @gpa on behalf of VTL @vtl?
 * @kvm: the VM
 * @vtl: the VTL KVM acts for, active on no vCPU maybe: the VTL that set a
 *	 page KVM updates later, or the VTL a register write targets
 * @gpa: guest RAM that KVM reads or writes
 * @write: whether it writes
 *
 * As kvm_vsm_gpa_allowed(): a read needs R, a write R and W in the
 * layers above @vtl.
 *
 * Return: true if the access is allowed (always without VSM).
 */
bool kvm_vsm_vtl_gpa_allowed(struct kvm *kvm, u8 vtl, gpa_t gpa, bool write)
{
	return kvm_vsm_vtl_allows(kvm, vtl, gpa,
				  write ? KVM_VTL_PROT_R | KVM_VTL_PROT_W :
					  KVM_VTL_PROT_R);
}

/*
 * A denied access (it needs the protections in @need) of a vCPU at VTL v
 * goes to the lowest VTL above v whose layer denies it, as a secure
 * intercept, if that VTL can receive one.
 */
static bool kvm_vsm_intercept(struct kvm_vcpu *vcpu, gpa_t gpa, u8 need,
			      u8 access)
{
	struct kvm *kvm = vcpu->kvm;
	gfn_t gfn = gpa_to_gfn(gpa);
	u8 n;

	/* Reading the bytes of an intercepted instruction: no second one. */
	if (vcpu->arch.vsm->reading_insn)
		return false;
	for (n = vcpu->arch.vtl + 1; n <= kvm->arch.vsm_max_vtl; n++)
		if ((kvm_vtl_layer_get(&kvm->vtl_layers.layer[n], gfn) & need) !=
		    need)
			return kvm_hv_vsm_queue_intercept(vcpu, gpa, access, n);
	return false;
}

/**
 * kvm_vsm_emulated_access - may the instruction emulator make this access?
 * @vcpu: the vCPU, emulating an instruction of its active VTL
 * @gpa: the guest RAM the instruction reads or writes
 * @write: whether it writes
 *
 * As kvm_vsm_gpa_allowed(); an access the layers deny becomes a secure
 * intercept, as a page fault's would, to the lowest VTL above the active
 * one whose layer denies it, if that VTL can take one: the instruction is
 * not completed, and runs again when that VTL returns.
 *
 * Return: X86EMUL_CONTINUE if allowed; X86EMUL_INTERCEPTED with the
 * intercept queued; X86EMUL_UNHANDLEABLE if denied otherwise.
 */
int kvm_vsm_emulated_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool write)
{
	u8 need = write ? KVM_VTL_PROT_R | KVM_VTL_PROT_W : KVM_VTL_PROT_R;

	if (kvm_vsm_gpa_allowed(vcpu, gpa, write))
		return X86EMUL_CONTINUE;
	if (kvm_vsm_intercept(vcpu, gpa, need,
			      write ? HV_INTERCEPT_ACCESS_WRITE :
				      HV_INTERCEPT_ACCESS_READ))
		return X86EMUL_INTERCEPTED;
	return X86EMUL_UNHANDLEABLE;
}

/**
 * kvm_vsm_emulated_fetch - may the instruction emulator fetch from @gpa?
 * @vcpu: the vCPU, emulating an instruction of its active VTL
 * @gpa: the guest RAM it fetches instruction bytes from
 *
 * The layers above the active VTL must allow read and execute
 * (kernel-execute governs both modes without MBEC). The hardware fetched
 * the instruction once, but the page may have been protected, or the page
 * tables changed, since. A denied fetch fails the decode, which the
 * emulator answers with #UD or an emulation failure; it queues no secure
 * intercept, whose delivery would find that #UD pending.
 *
 * Return: X86EMUL_CONTINUE or X86EMUL_UNHANDLEABLE.
 */
int kvm_vsm_emulated_fetch(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	return kvm_vsm_vtl_allows(vcpu->kvm, vcpu->arch.vtl, gpa,
				  KVM_VTL_PROT_R | KVM_VTL_PROT_KX) ?
		X86EMUL_CONTINUE : X86EMUL_UNHANDLEABLE;
}

/*
 * The protections the access of @fault needs. Without MBEC, kernel-execute
 * governs both modes.
 */
static u8 kvm_vsm_fault_need(struct kvm_page_fault *fault)
{
	return KVM_VTL_PROT_R | (fault->write ? KVM_VTL_PROT_W : 0) |
	       (fault->exec ? KVM_VTL_PROT_KX : 0);
}

/**
 * __kvm_vsm_faultin - apply the VTL protections to a page fault
 * @vcpu: the faulting vCPU
 * @fault: the fault, after the mmu_invalidate_seq snapshot
 *
 * An access the active VTL may not make becomes a secure intercept to the
 * VTL whose layer denies it (kvm_hv_vsm_queue_intercept()); when that VTL
 * cannot take it, it exits to userspace with KVM_EXIT_MEMORY_FAULT (flags:
 * the access, KVM_MEMORY_EXIT_FLAG_VTL and the VTL). An allowed one is
 * mapped without the write or execute rights the layers deny, so the
 * first denied access faults again.
 *
 * Return: RET_PF_CONTINUE; RET_PF_RETRY with an intercept queued; or
 * -EFAULT with the exit prepared.
 */
int __kvm_vsm_faultin(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	u8 prot = kvm_vsm_prot(vcpu, fault->gfn);
	u8 need = kvm_vsm_fault_need(fault), hv_access;
	u64 access;

	fault->vtl_deny = 0;
	if (prot == KVM_VTL_PROT_ALL)
		return RET_PF_CONTINUE;

	if ((prot & need) != need) {
		if (fault->exec) {
			hv_access = HV_INTERCEPT_ACCESS_EXECUTE;
			access = KVM_MEMORY_EXIT_FLAG_EXEC;
		} else if (fault->write) {
			hv_access = HV_INTERCEPT_ACCESS_WRITE;
			access = KVM_MEMORY_EXIT_FLAG_WRITE;
		} else {
			hv_access = HV_INTERCEPT_ACCESS_READ;
			access = KVM_MEMORY_EXIT_FLAG_READ;
		}
		if (!fault->prefetch && !is_guest_mode(vcpu) &&
		    kvm_vsm_intercept(vcpu, fault->addr, need, hv_access))
			return RET_PF_RETRY;
		kvm_prepare_memory_fault_exit(vcpu, gfn_to_gpa(fault->gfn),
					      PAGE_SIZE, fault->write,
					      fault->exec, fault->is_private);
		vcpu->run->memory_fault.flags |= access |
			KVM_MEMORY_EXIT_FLAG_VTL |
			((u64)vcpu->arch.vtl << KVM_MEMORY_EXIT_VTL_SHIFT);
		return -EFAULT;
	}

	if (!(prot & KVM_VTL_PROT_W))
		fault->vtl_deny |= ACC_WRITE_MASK;
	if (!(prot & KVM_VTL_PROT_KX))
		fault->vtl_deny |= ACC_EXEC_MASK;
	return RET_PF_CONTINUE;
}

/**
 * __kvm_vsm_max_level - largest mapping the VTL protections allow
 * @vcpu: the faulting vCPU
 * @gfn: the faulting gfn
 * @level: the largest level the memslot and the host allow
 *
 * A huge mapping needs one effective protection on its whole range; the
 * layers are canonical ranges, so each level costs one lookup per layer.
 *
 * Return: @level or a smaller level.
 */
int __kvm_vsm_max_level(struct kvm_vcpu *vcpu, gfn_t gfn, int level)
{
	struct kvm *kvm = vcpu->kvm;
	u8 prot;

	for (; level > PG_LEVEL_4K; level--) {
		gfn_t start = gfn & ~(KVM_PAGES_PER_HPAGE(level) - 1);

		if (kvm_vtl_effective_uniform(&kvm->vtl_layers, vcpu->arch.vtl,
					      kvm->arch.vsm_max_vtl, start,
					      start + KVM_PAGES_PER_HPAGE(level) - 1,
					      &prot))
			break;
	}
	return level;
}

/**
 * kvm_arch_vtl_layer_changed - zap what a layer change made stale
 * @kvm: the VM, with mmu_lock held for write inside an MMU invalidation
 *	that covers @ranges
 * @vtl: the layer that changed
 * @ranges: the changed gfn ranges (inclusive), ascending
 * @n: number of ranges
 *
 * Only the VTLs below @vtl see layer @vtl: nothing to do for a layer
 * above the VM's highest VTL. All ranges are zapped with one TLB flush,
 * in the roots of the VTLs below @vtl.
 */
void kvm_arch_vtl_layer_changed(struct kvm *kvm, u8 vtl,
				const struct kvm_vtl_range *ranges,
				unsigned int n)
{
	if (!kvm_vsm_enabled(kvm) || vtl > kvm->arch.vsm_max_vtl)
		return;
	kvm_mmu_zap_gfn_ranges(kvm, ranges, n, vtl);
}
