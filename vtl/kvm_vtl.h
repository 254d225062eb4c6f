/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM glue of the per-VTL protection layers: the VM ioctls and the life
 * cycle of struct kvm's layers. See KVM_SET_VTL_PROTECTION in
 * Documentation/virt/kvm/api.rst.
 */
#ifndef __KVM_VTL_H
#define __KVM_VTL_H

#include <linux/kvm_host.h>

#ifdef CONFIG_KVM_VTL_PROTECTION
int kvm_vtl_init(void);
void kvm_vtl_exit(void);
void kvm_vtl_init_vm(struct kvm *kvm);
void kvm_vtl_destroy_vm(struct kvm *kvm);
int kvm_vm_ioctl_set_vtl_protection(struct kvm *kvm,
				    struct kvm_vtl_protection *p);
int kvm_vm_ioctl_get_vtl_protection(struct kvm *kvm,
				    struct kvm_vtl_protection *p);
#else
static inline int kvm_vtl_init(void) { return 0; }
static inline void kvm_vtl_exit(void) {}
static inline void kvm_vtl_init_vm(struct kvm *kvm) {}
static inline void kvm_vtl_destroy_vm(struct kvm *kvm) {}
#endif

#endif /* __KVM_VTL_H */
