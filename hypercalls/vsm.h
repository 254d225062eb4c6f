/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V Virtual Secure Mode (VSM) on KVM/x86: VTLs of a VM and of its
 * vCPUs, and what the MMU needs of them. See Documentation/vsm.rst.
 */
#ifndef __ARCH_X86_KVM_HYPERV_VSM_H__
#define __ARCH_X86_KVM_HYPERV_VSM_H__

#include <linux/kvm_host.h>

#include "mmu/mmu_internal.h"

/* The highest VTL a VM may enable. */
#define KVM_HV_VSM_MAX_VTL	2

#ifdef CONFIG_KVM_HYPERV_VSM
static inline bool kvm_vsm_enabled(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.vsm_max_vtl);
}

static inline u8 kvm_vsm_vtl(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vtl;
}

int kvm_vm_enable_vsm(struct kvm *kvm, u64 max_vtl);
int kvm_vcpu_ioctl_get_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state);
int kvm_vcpu_ioctl_set_vsm_state(struct kvm_vcpu *vcpu,
				 struct kvm_vsm_state *state);
int __kvm_vsm_faultin(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
int __kvm_vsm_max_level(struct kvm_vcpu *vcpu, gfn_t gfn, int level);

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

static inline u8 kvm_vsm_vtl(struct kvm_vcpu *vcpu)
{
	return 0;
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

#endif /* __ARCH_X86_KVM_HYPERV_VSM_H__ */
