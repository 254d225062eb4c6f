/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest and host helpers of the VSM selftests and benchmarks: TLFS
 * numbers, the HvEnableVpVtl input, and the VTL switch through the VSM
 * code page. A program that uses vtl1_entry() defines vtl1_main().
 */
#ifndef SELFTEST_KVM_VSM_GUEST_H
#define SELFTEST_KVM_VSM_GUEST_H

#include "hyperv.h"
#include "kvm_util.h"
#include "processor.h"
#include "vtl_switch.h"

#define HVCALL_MODIFY_VTL_PROT	0x000c
#define HVCALL_ENABLE_PART_VTL	0x000d
#define HVCALL_ENABLE_VP_VTL_	0x000f
#define HVCALL_GET_VP_REGS	0x0050
#define HVCALL_SET_VP_REGS	0x0051

#define ST_SUCCESS		0x0
#define ST_INVALID_CODE		0x2
#define ST_INVALID_INPUT	0x3
#define ST_INVALID_ALIGNMENT	0x4
#define ST_INVALID_PARAMETER	0x5
#define ST_ACCESS_DENIED	0x6
#define ST_INVALID_PARTITION	0xd
#define ST_INVALID_VP_INDEX	0xe
#define ST_INVALID_REG_VALUE	0x50
#define ST_INVALID_VTL_STATE	0x51
#define ST_VTL_ENABLED		0x86

#define REG_VP_ASSIST		0x00090013
#define REG_CODE_PAGE_OFFSETS	0x000d0002
#define REG_VP_STATUS		0x000d0003
#define REG_PARTITION_STATUS	0x000d0004
#define REG_CAPABILITIES	0x000d0006
#define REG_PARTITION_CONFIG	0x000d0007
#define REG_SECURE_CONFIG_VTL0	0x000d0010

#define CONFIG_ENABLE		BIT_ULL(0)
#define CONFIG_MASK(p)		((u64)(p) << 1)

#define M_R	0x1
#define M_W	0x2
#define M_X	0xc
#define M_RWX	0xf

#define SELF	(~0ULL)
#define USE_VTL(v)	(0x10 | (v))
#define REPS(n)		((u64)(n) << 32)
#define REP_START(n)	((u64)(n) << 48)
#define FAST		BIT_ULL(16)

struct hv_seg {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;
} __packed;

struct hv_table {
	u16 pad[3];
	u16 limit;
	u64 base;
} __packed;

struct enable_vp_vtl {
	u64 partition_id;
	u32 vp_index;
	u8 vtl;
	u8 mbz[3];
	u64 rip, rsp, rflags;
	struct hv_seg cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_table idtr, gdtr;
	u64 efer, cr0, cr3, cr4, pat;
} __packed;

/* A hypercall from the guest that must not fault; returns the result. */
static inline u64 vsm_hcall(u64 control, u64 in, u64 out)
{
	u64 status;

	GUEST_ASSERT(!__hyperv_hypercall(control, in, out, &status));
	return status;
}

/*
 * HvSetVpRegisters of one register of this VP at its active VTL, with the
 * input page at @gva (guest virtual) and @gpa; returns the result.
 */
static inline u64 vsm_set_vp_reg(u64 gva, u64 gpa, u32 name, u64 val)
{
	u64 *in = (u64 *)gva;

	in[0] = SELF;
	in[1] = (u32)-2;
	memset(&in[2], 0, 32);
	in[2] = name;
	in[4] = val;
	return vsm_hcall(HVCALL_SET_VP_REGS | REPS(1), gpa, 0);
}

/*
 * GUEST_OS_ID and HYPERCALL are private to each VTL (TLFS): a VTL sets its
 * own before it makes a hypercall, here on the page VTL0 uses too.
 */
static inline void vsm_hv_init(u64 hcall_gpa)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, hcall_gpa | 1);
}

/* VTL1's entry point (HvEnableVpVtl's RIP), on its own stack: vtl1_main(). */
static __attribute__((naked, unused)) void vtl1_entry(void)
{
	asm volatile("call vtl1_main\n\t"
		     "ud2");
}

static inline void seg_to_hv(struct hv_seg *h, const struct kvm_segment *k)
{
	h->base = k->base;
	h->limit = k->limit;
	h->selector = k->selector;
	h->attributes = k->type | k->s << 4 | k->dpl << 5 | k->present << 7 |
			k->avl << 12 | k->l << 13 | k->db << 14 | k->g << 15;
}

static inline void vsm_make_ctx(struct kvm_vcpu *vcpu,
				struct enable_vp_vtl *c, u64 stack_top)
{
	struct kvm_sregs s;

	vcpu_sregs_get(vcpu, &s);
	memset(c, 0, sizeof(*c));
	c->partition_id = SELF;
	c->rip = (u64)vtl1_entry;
	c->rsp = stack_top;
	c->rflags = 0x2;
	seg_to_hv(&c->cs, &s.cs);
	seg_to_hv(&c->ds, &s.ds);
	seg_to_hv(&c->es, &s.es);
	seg_to_hv(&c->fs, &s.fs);
	seg_to_hv(&c->gs, &s.gs);
	seg_to_hv(&c->ss, &s.ss);
	seg_to_hv(&c->tr, &s.tr);
	seg_to_hv(&c->ldtr, &s.ldt);
	c->idtr.base = s.idt.base;
	c->idtr.limit = s.idt.limit;
	c->gdtr.base = s.gdt.base;
	c->gdtr.limit = s.gdt.limit;
	c->efer = s.efer;
	c->cr0 = s.cr0;
	c->cr3 = s.cr3;
	c->cr4 = s.cr4;
	c->pat = 0x0007040600070406ULL;
}

static inline u64 vsm_alloc_page(struct kvm_vm *vm, u64 *gpa)
{
	u64 gva = vm_vaddr_alloc_page(vm);

	*gpa = addr_gva2gpa(vm, gva);
	return gva;
}

/* A port the guests read with INS, which KVM emulates: every byte 0xab. */
#define VSM_INS_PORT	0x1234
#define VSM_INS_BYTE	0xab

static inline bool vsm_ins_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != VSM_INS_PORT ||
	    run->io.direction != KVM_EXIT_IO_IN)
		return false;
	memset((u8 *)run + run->io.data_offset, VSM_INS_BYTE,
	       run->io.size * run->io.count);
	return true;
}

/*
 * Run @vcpu to its next ucall: the stage of a GUEST_SYNC, 0 for
 * GUEST_DONE; a guest assertion fails the test. SynIC register writes
 * exit to userspace on the way (KVM_EXIT_HYPERV_SYNIC) and are resumed,
 * and reads of VSM_INS_PORT are answered.
 */
static inline u64 vsm_run_to_ucall(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	do {
		vcpu_run(vcpu);
	} while ((vcpu->run->exit_reason == KVM_EXIT_HYPERV &&
		  vcpu->run->hyperv.type == KVM_EXIT_HYPERV_SYNIC) ||
		 vsm_ins_exit(vcpu));
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_DONE:
		return 0;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	return 0;
}

#endif /* SELFTEST_KVM_VSM_GUEST_H */
