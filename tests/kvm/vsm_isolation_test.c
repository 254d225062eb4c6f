// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_isolation_test: nothing VTL0 does makes KVM touch memory that VTL1
 * denied it.
 *
 * VTL1 makes one page no-access and one read-only for VTL0. VTL0 then
 * asks KVM, in each way KVM offers, to write into them on its behalf, and
 * after each attempt the host checks that both pages still hold their
 * canary bytes. Each case runs in a VM of its own, in a child process, so
 * that one failing case does not hide the others:
 *
 *  - KVM's paravirtual MSRs that name a guest page (wall clock, kvmclock,
 *    steal time, PV EOI, async PF): refused in a VSM VM, #GP for the
 *    guest, an error for KVM_SET_MSRS, 0 still accepted from the host;
 *  - KVM's own hypercalls, which VTL0 reaches by clearing the guest OS ID
 *    (KVM_HC_CLOCK_PAIRING writes a structure at a GPA): -KVM_ENOSYS;
 *  - nested virtualization (VMRUN and VMSAVE write a page VTL0 names, and
 *    an L2 guest's shadow NPT ignores the layers): EFER.SVME is refused,
 *    for the guest (#GP) and for KVM_SET_SREGS;
 *  - the Hyper-V reference TSC page: refused on a page VTL0 may not
 *    write (#GP), and no longer updated once VTL1 protects the page it is
 *    on, even when the host forces a clock update;
 *  - the VP assist page set through HvSetVpRegisters:
 *    HV_STATUS_ACCESS_DENIED, as the plain WRMSR is refused with #GP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "hyperv.h"
#include "processor.h"
#include "test_util.h"
#include "vsm_guest.h"

#define PG		4096ULL
#define TEST_SLOT	1
#define TEST_GPA	BIT_ULL(30)
#define TEST_PAGES	4
#define PAGE_GPA(i)	(TEST_GPA + (i) * PG)
#define CANARY		0xc3

/* The test pages: VTL0's access to each, as VTL1 sets it. */
enum { PG_NONE, PG_RO, PG_TSC, PG_FREE };

enum { STAGE_READY = 1, STAGE_TRIED, STAGE_PROTECTED, STAGE_UPDATED };
enum { CASE_PV_MSRS, CASE_KVM_HC, CASE_NESTED, CASE_TSC, CASE_ASSIST, NR_CASES };
enum { CMD_SETUP, CMD_PROTECT_TSC };

#define KVM_ENOSYS_	1000
#define KVM_MSR_EN	BIT_ULL(0)
#define ASYNC_PF_INT	BIT_ULL(3)

static struct {
	u64 hcall_gpa, hcall_gva;
	u64 in_gpa[2], in_gva[2];
	u64 assist_gpa, assist_gva;
	struct enable_vp_vtl ctx;
	struct vtl_gprs vtl0;
	u64 code_offsets;
	int cmd;
	int test;
} g;

static u64 entry(int ret)
{
	return g.hcall_gva + (g.code_offsets >> (ret ? 12 : 0) & 0xfff);
}

static u64 modify(u64 gpn, u8 prot)
{
	u64 *in = (u64 *)g.in_gva[1];

	in[0] = SELF;
	in[1] = prot;
	in[2] = gpn;
	return vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(1), g.in_gpa[1], 0);
}

static u64 set_reg(int vtl, u32 name, u64 val)
{
	u64 *in = (u64 *)g.in_gva[vtl];

	in[0] = SELF;
	in[1] = (u32)-2;
	memset(&in[2], 0, 32);
	in[2] = name;
	in[4] = val;
	return vsm_hcall(HVCALL_SET_VP_REGS | REPS(1), g.in_gpa[vtl], 0);
}

void vtl1_main(void)
{
	struct vsm_vp_assist *a = (void *)g.assist_gva;

	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa | 1);
	GUEST_ASSERT_EQ(set_reg(1, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_RWX)), REPS(1));
	GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_NONE) >> 12, 0), REPS(1));
	GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_RO) >> 12, M_R), REPS(1));
	for (;;) {
		a->ret_rax = g.vtl0.rax;
		a->ret_rcx = g.vtl0.rcx;
		vtl1_leave(entry(1), &g.vtl0);
		GUEST_ASSERT_EQ(a->entry_reason, 1);
		if (g.cmd == CMD_PROTECT_TSC)
			GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_TSC) >> 12, M_R),
					REPS(1));
	}
}

static void vtl1_do(int cmd)
{
	u64 rcx;

	g.cmd = cmd;
	vsm_switch(entry(0), 0, &rcx);
}

/* Each MSR of KVM's that makes KVM write a guest page, and its value. */
static const struct {
	u32 msr;
	int page;
	u64 bits;
} pv_msrs[] = {
	{ MSR_KVM_WALL_CLOCK_NEW, PG_NONE, 0 },
	{ MSR_KVM_WALL_CLOCK, PG_RO, 0 },
	{ MSR_KVM_SYSTEM_TIME_NEW, PG_RO, KVM_MSR_EN },
	{ MSR_KVM_SYSTEM_TIME, PG_NONE, KVM_MSR_EN },
	{ MSR_KVM_STEAL_TIME, PG_RO, KVM_MSR_EN },
	{ MSR_KVM_PV_EOI_EN, PG_RO, KVM_MSR_EN },
	{ MSR_KVM_ASYNC_PF_EN, PG_NONE, KVM_MSR_EN | ASYNC_PF_INT },
};

static void guest_code(void)
{
	/* TscSequence, the first field of the reference TSC page. */
	u32 *tsc_seq = (u32 *)PAGE_GPA(PG_TSC);
	u64 *in = (u64 *)g.in_gva[0], r;
	int i;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
	in[0] = SELF;
	in[1] = 1;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_PART_VTL, g.in_gpa[0], 0), 0);
	memcpy(in, &g.ctx, sizeof(g.ctx));
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_VP_VTL_, g.in_gpa[0], 0), 0);
	vtl1_do(CMD_SETUP);
	GUEST_SYNC(STAGE_READY);

	switch (g.test) {
	case CASE_PV_MSRS:
		for (i = 0; i < ARRAY_SIZE(pv_msrs); i++)
			__GUEST_ASSERT(wrmsr_safe(pv_msrs[i].msr,
						  PAGE_GPA(pv_msrs[i].page) |
						  pv_msrs[i].bits) == GP_VECTOR,
				       "WRMSR 0x%x of a page VTL1 protected: no #GP",
				       pv_msrs[i].msr);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_KVM_HC:
		/* Without a guest OS ID, VMCALL is KVM's own hypercall ABI. */
		wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
		r = kvm_hypercall(KVM_HC_CLOCK_PAIRING, PAGE_GPA(PG_RO),
				  KVM_CLOCK_PAIRING_WALLCLOCK, 0, 0);
		__GUEST_ASSERT(r == (u64)-KVM_ENOSYS_,
			       "KVM_HC_CLOCK_PAIRING in a VSM VM: %ld, want -KVM_ENOSYS",
			       (long)r);
		wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
		wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_NESTED:
		__GUEST_ASSERT(wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME) ==
			       GP_VECTOR, "EFER.SVME in a VSM VM: no #GP");
		GUEST_ASSERT(!(rdmsr(MSR_EFER) & EFER_SVME));
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_TSC:
		GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_REFERENCE_TSC,
					   PAGE_GPA(PG_RO) | 1), GP_VECTOR);
		GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_REFERENCE_TSC,
					   PAGE_GPA(PG_NONE) | 1), GP_VECTOR);
		/* On a page VTL0 may write, KVM keeps it up to date. */
		wrmsr(HV_X64_MSR_REFERENCE_TSC, PAGE_GPA(PG_TSC) | 1);
		GUEST_ASSERT(READ_ONCE(*tsc_seq) != 0);
		GUEST_SYNC(STAGE_TRIED);
		vtl1_do(CMD_PROTECT_TSC);
		GUEST_SYNC(STAGE_PROTECTED);
		GUEST_SYNC(STAGE_UPDATED);
		break;
	case CASE_ASSIST:
		GUEST_ASSERT_EQ(set_reg(0, REG_VP_ASSIST, PAGE_GPA(PG_RO) | 1),
				ST_ACCESS_DENIED);
		GUEST_ASSERT_EQ(set_reg(0, REG_VP_ASSIST, PAGE_GPA(PG_NONE) | 1),
				ST_ACCESS_DENIED);
		GUEST_SYNC(STAGE_TRIED);
		break;
	}
	GUEST_DONE();
}

/* The pages VTL1 protected still hold their canary. */
static void check_pages(struct kvm_vm *vm, const char *after, int last)
{
	const u8 *p;
	int i, b;

	for (i = PG_NONE; i <= last; i++) {
		p = addr_gpa2hva(vm, PAGE_GPA(i));
		for (b = 0; b < PG; b++)
			TEST_ASSERT(p[b] == CANARY,
				    "after %s: byte 0x%x of page %d (VTL0 %s) is 0x%02x, not 0x%02x",
				    after, b, i, i == PG_NONE ? "no access" :
				    "read-only", p[b], CANARY);
	}
}

static void run_to(struct kvm_vcpu *vcpu, u64 stage)
{
	u64 got = vsm_run_to_ucall(vcpu);

	TEST_ASSERT(got == stage, "guest at stage %lu, want %lu", got, stage);
}

static struct kvm_vcpu *vm_with_vtl1(int test)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 stack;

	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA,
				    TEST_SLOT, TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	memset(addr_gpa2hva(vm, TEST_GPA), CANARY, TEST_PAGES * PG);
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
	g.in_gva[0] = vsm_alloc_page(vm, &g.in_gpa[0]);
	g.in_gva[1] = vsm_alloc_page(vm, &g.in_gpa[1]);
	g.assist_gva = vsm_alloc_page(vm, &g.assist_gpa);
	stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
	vsm_make_ctx(vcpu, &g.ctx, stack);
	g.ctx.vtl = 1;
	g.code_offsets = 0x10 | 0x20 << 12;
	g.test = test;
	sync_global_to_guest(vm, g);

	run_to(vcpu, STAGE_READY);
	check_pages(vm, "set-up", PG_RO);
	return vcpu;
}

/* One case in a VM of its own; a failed assertion ends the process. */
static void one_case(int test)
{
	struct kvm_vcpu *vcpu = vm_with_vtl1(test);
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_clock_data clock = {};
	struct kvm_sregs sregs;

	switch (test) {
	case CASE_PV_MSRS:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, "KVM's PV MSRs", PG_RO);
		TEST_ASSERT(!_vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW,
					   PAGE_GPA(PG_RO) | KVM_MSR_EN),
			    "KVM_SET_MSRS of kvmclock in a VSM VM: accepted");
		TEST_ASSERT(!_vcpu_set_msr(vcpu, MSR_KVM_STEAL_TIME,
					   PAGE_GPA(PG_RO) | KVM_MSR_EN),
			    "KVM_SET_MSRS of steal time in a VSM VM: accepted");
		vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0);
		vcpu_set_msr(vcpu, MSR_KVM_PV_EOI_EN, 0);
		break;
	case CASE_KVM_HC:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, "KVM_HC_CLOCK_PAIRING", PG_RO);
		break;
	case CASE_NESTED:
		run_to(vcpu, STAGE_TRIED);
		vcpu_sregs_get(vcpu, &sregs);
		sregs.efer |= EFER_SVME;
		TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs) == -1 &&
			    errno == EINVAL,
			    "KVM_SET_SREGS with EFER.SVME in a VSM VM: accepted");
		break;
	case CASE_TSC:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, "the reference TSC page", PG_RO);
		run_to(vcpu, STAGE_PROTECTED);
		/* Protected now: a forced clock update must leave it alone. */
		memset(addr_gpa2hva(vm, PAGE_GPA(PG_TSC)), CANARY, PG);
		vm_ioctl(vm, KVM_GET_CLOCK, &clock);
		clock.flags = 0;
		vm_ioctl(vm, KVM_SET_CLOCK, &clock);
		run_to(vcpu, STAGE_UPDATED);
		check_pages(vm, "a clock update of a reference TSC page VTL1 protected",
			    PG_TSC);
		break;
	case CASE_ASSIST:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, "HvSetVpRegisters(VpAssistPage)", PG_RO);
		break;
	}
	run_to(vcpu, 0);
	kvm_vm_free(vm);
}

static const char *const case_names[NR_CASES] = {
	[CASE_PV_MSRS] = "KVM's PV MSRs refused, from the guest and the host",
	[CASE_KVM_HC] = "KVM's own hypercalls: -KVM_ENOSYS",
	[CASE_NESTED] = "nested virtualization refused: EFER.SVME",
	[CASE_TSC] = "reference TSC page: refused where denied, not updated once protected",
	[CASE_ASSIST] = "VP assist page through HvSetVpRegisters: ACCESS_DENIED",
};

int main(void)
{
	int test, status;
	pid_t pid;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	ksft_print_header();
	ksft_set_plan(NR_CASES);
	for (test = 0; test < NR_CASES; test++) {
		fflush(stdout);
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
		if (!pid) {
			one_case(test);
			exit(0);
		}
		TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
		ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
				 "%s\n", case_names[test]);
	}
	ksft_finished();
}
