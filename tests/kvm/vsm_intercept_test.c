// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_intercept_test: secure intercepts, delivered in KVM.
 *
 * VTL1 enables its VP assist page and SynIC on each of two vCPUs and
 * protects pages from VTL0. VTL0 then reads, writes and executes them, on
 * both vCPUs at once: each denied access switches the VP to VTL1 with
 * vtl_entry_reason Intercept and an HvX64MemoryInterceptMessage in the VP
 * assist page and in SINT0's message slot; VTL1 checks every field, grants
 * access with HvModifyVtlProtectionMask and returns, and VTL0's retried
 * access succeeds with its registers intact. Allowed accesses take no
 * intercept. Without a VP assist page, VTL1 still takes the intercept,
 * with the message in the SynIC slot only. With VTL1's SynIC disabled, a
 * denied access exits to userspace with KVM_EXIT_MEMORY_FAULT instead.
 *
 * Each VTL has its own SynIC and synthetic timers: VTL1 arms a one-shot
 * timer and returns, VTL0 spins with interrupts disabled, and the timer's
 * expiry switches the VP to VTL1 with vtl_entry_reason Interrupt; VTL1
 * takes the timer message and its SINT interrupt and returns, and VTL0's
 * loop goes on with its registers intact. VTL0 cannot place its SynIC
 * pages on a page VTL1 left read-only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "apic.h"
#include "kvm_util.h"
#include "hyperv.h"
#include "processor.h"
#include "test_util.h"
#include "vsm_guest.h"

#define PG		4096ULL
#define TEST_SLOT	1
#define TEST_GPA	BIT_ULL(30)
#define TEST_PAGES	8
#define PAGE_GPA(i)	(TEST_GPA + (i) * PG)

#define MSG_GPA_INTERCEPT	0x80000001
#define MSG_TIMER_EXPIRED	0x80000010
#define ENTRY_VTL_CALL		1
#define ENTRY_INTERRUPT		2
#define ENTRY_INTERCEPT		3

/* VTL1's timer: STIMER0, one-shot, 2 ms, through SINT2 to this vector. */
#define TIMER_SINT		2
#define TIMER_VECTOR		0xe0
#define TIMER_DELAY		20000
#define STIMER_ENABLE		BIT_ULL(0)
#define STIMER_SINT(n)		((u64)(n) << 16)
#define SINT_MASKED		BIT_ULL(16)
#define CANARY			0x5ca1ab1e00ULL

enum { OP_READ, OP_WRITE, OP_EXEC };
enum { CMD_NONE, CMD_NO_ASSIST, CMD_SYNIC_OFF, CMD_TIMER };

struct msg {
	u32 type;
	u8 payload_size;
	u8 flags;
	u16 rsvd;
	u64 sender;
	/* HvX64MemoryInterceptMessage */
	u32 vp_index;
	u8 insn_len_cr8;
	u8 access;
	u16 exec_state;
	struct hv_seg cs;
	u64 rip;
	u64 rflags;
	u32 cache_type;
	u8 insn_count;
	u8 access_info;
	u16 tpr;
	u64 gva;
	u64 gpa;
	u8 insn[16];
	u8 rest[256 - 16 - 80];
} __packed;

static struct {
	u64 hcall_gpa, hcall_gva;
	u64 in_gpa[2], in_gva[2];
	u64 assist_gpa[2][2], assist_gva[2][2];
	u64 simp_gpa[2], simp_gva[2];
	struct enable_vp_vtl ctx[2];
	struct vtl_gprs vtl0[2];
	struct {
		u64 gpa, rip;
		u8 access, len;
	} expect[2];
	u64 intercepts[2];
	u64 wakes[2];
	u64 timer_irqs[2];
	int cmd[2];
	int no_assist[2];
	u64 code_offsets;
} g;

/* The accesses, with known RIPs and lengths. */
static __attribute__((naked)) u64 vtl0_read(u64 *p)
{
	asm volatile("mov (%rdi), %rax\n\t"	/* 48 8b 07 */
		     "ret");
}

static __attribute__((naked)) void vtl0_write(u64 *p)
{
	asm volatile("movq $0x5a, (%rdi)\n\t"	/* 48 c7 07 5a 00 00 00 */
		     "ret");
}

static u64 vp(void)
{
	return rdmsr(HV_X64_MSR_VP_INDEX);
}

static u64 entry(int ret)
{
	return g.hcall_gva + (g.code_offsets >> (ret ? 12 : 0) & 0xfff);
}

static u64 modify(u64 v, u64 gpn, u8 prot)
{
	u64 *in = (u64 *)g.in_gva[v];

	in[0] = SELF;
	in[1] = prot;
	in[2] = gpn;
	return vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(1), g.in_gpa[v], 0);
}

static void check_intercept(u64 v, const struct msg *m)
{
	const struct msg *slot = (const struct msg *)g.simp_gva[v];
	u16 cs;

	GUEST_ASSERT_EQ(m->type, MSG_GPA_INTERCEPT);
	GUEST_ASSERT_EQ(m->payload_size, 80);
	GUEST_ASSERT(!memcmp(m, slot, sizeof(*m)));
	GUEST_ASSERT_EQ(m->vp_index, v);
	GUEST_ASSERT_EQ(m->access, g.expect[v].access);
	GUEST_ASSERT_EQ(m->rip, g.expect[v].rip);
	GUEST_ASSERT_EQ(m->insn_len_cr8 & 0xf, g.expect[v].len);
	GUEST_ASSERT_EQ(m->gpa, g.expect[v].gpa);
	/* CPL 0, CR0.PE, EFER.LMA, VTL0. */
	GUEST_ASSERT_EQ(m->exec_state & 0x797, 0x14);
	asm volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT_EQ(m->cs.selector, cs);
	GUEST_ASSERT(m->rflags & 0x2);
	GUEST_ASSERT_EQ(m->cache_type, 6);
	GUEST_ASSERT_EQ(m->insn_count, 16);
	GUEST_ASSERT(!memcmp(m->insn, (void *)m->rip, g.expect[v].len));
	GUEST_ASSERT_EQ(m->access_info, 0);
}

/* VTL1's timer interrupt: its message in SINT2's slot, then EOM and EOI. */
static void timer_isr(struct ex_regs *regs)
{
	u64 v = vp();
	struct msg *slot = (struct msg *)(g.simp_gva[v] + TIMER_SINT * 256);

	/* VTL1's own VP assist page: this runs in VTL1. */
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE),
			g.assist_gpa[v][1] | 1);
	GUEST_ASSERT_EQ(slot->type, MSG_TIMER_EXPIRED);
	slot->type = 0;
	wrmsr(HV_X64_MSR_EOM, 0);
	g.timer_irqs[v]++;
	x2apic_write_reg(APIC_EOI, 0);
}

/* VTL1 of either VP: set up on the first entry, then serve entries. */
void vtl1_main(void)
{
	u64 v = vp(), gpn;
	struct vsm_vp_assist *a = (void *)g.assist_gva[v][1];
	struct msg *slot = (struct msg *)g.simp_gva[v];
	int i;

	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[v][1] | 1);
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, g.simp_gpa[v] | 1);
	if (v == 0) {
		u64 *in = (u64 *)g.in_gva[0];
		struct enable_vp_vtl *e = (void *)in;

		in[0] = SELF;
		in[1] = (u32)-2;
		memset(&in[2], 0, 32);
		in[2] = REG_PARTITION_CONFIG;
		in[4] = CONFIG_ENABLE | CONFIG_MASK(M_RWX);
		GUEST_ASSERT_EQ(vsm_hcall(HVCALL_SET_VP_REGS | REPS(1),
					  g.in_gpa[0], 0), REPS(1));
		/* Per VP: none, R, RW, RX. */
		for (i = 0; i < TEST_PAGES; i++) {
			static const u8 prot[] = { 0, M_R, M_R | M_W, M_R | M_X };

			gpn = PAGE_GPA(i) >> 12;
			GUEST_ASSERT_EQ(modify(0, gpn, prot[i % 4]), REPS(1));
		}
		*e = g.ctx[1];
		e->vp_index = 1;
		e->vtl = 1;
		GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_VP_VTL_, g.in_gpa[0], 0),
				0);
	}

	for (;;) {
		a->ret_rax = g.vtl0[v].rax;
		a->ret_rcx = g.vtl0[v].rcx;
		a->entry_reason = 0;
		vtl1_leave(entry(1), &g.vtl0[v]);

		if (a->entry_reason == ENTRY_INTERRUPT) {
			/* Preempted VTL0 for the timer: take its interrupt. */
			g.wakes[v]++;
			GUEST_ASSERT_EQ(g.timer_irqs[v], 0);
			asm volatile("sti; nop; cli" ::: "memory");
			GUEST_ASSERT_EQ(g.timer_irqs[v], 1);
			continue;
		}
		if (a->entry_reason == ENTRY_INTERCEPT) {
			check_intercept(v, (void *)a->intercept_message);
		} else if (g.no_assist[v]) {
			/* No VP assist page: the message is in SINT0's slot only. */
			GUEST_ASSERT_EQ(slot->type, MSG_GPA_INTERCEPT);
			GUEST_ASSERT_EQ(*(u32 *)a->intercept_message, 0);
			check_intercept(v, slot);
			g.no_assist[v] = 0;
			wrmsr(HV_X64_MSR_VP_ASSIST_PAGE,
			      g.assist_gpa[v][1] | 1);
		}
		if (a->entry_reason == ENTRY_INTERCEPT || slot->type) {
			slot->type = 0;
			wrmsr(HV_X64_MSR_EOM, 0);
			gpn = g.expect[v].gpa >> 12;
			GUEST_ASSERT_EQ(modify(v, gpn, M_RWX), REPS(1));
			g.intercepts[v]++;
			continue;
		}
		GUEST_ASSERT_EQ(a->entry_reason, ENTRY_VTL_CALL);
		if (g.cmd[v] == CMD_NO_ASSIST) {
			memset(a->intercept_message, 0,
			       sizeof(a->intercept_message));
			wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, 0);
			g.no_assist[v] = 1;
			GUEST_ASSERT_EQ(modify(v, PAGE_GPA(4 * v + 1) >> 12, 0),
					REPS(1));
		}
		if (g.cmd[v] == CMD_TIMER) {
			wrmsr(HV_X64_MSR_SINT0 + TIMER_SINT, TIMER_VECTOR);
			wrmsr(HV_X64_MSR_STIMER0_CONFIG,
			      STIMER_ENABLE | STIMER_SINT(TIMER_SINT));
			wrmsr(HV_X64_MSR_STIMER0_COUNT,
			      rdmsr(HV_X64_MSR_TIME_REF_COUNT) + TIMER_DELAY);
		}
		if (g.cmd[v] == CMD_SYNIC_OFF) {
			wrmsr(HV_X64_MSR_SCONTROL, 0);
			GUEST_ASSERT_EQ(modify(v, PAGE_GPA(4 * v) >> 12, 0),
					REPS(1));
		}
	}
}

static void touch(u64 v, int page, int op, bool intercept)
{
	u64 *p = (u64 *)PAGE_GPA(page), before = READ_ONCE(g.intercepts[v]);

	g.expect[v].access = op;
	g.expect[v].gpa = PAGE_GPA(page);
	switch (op) {
	case OP_READ:
		g.expect[v].rip = (u64)vtl0_read;
		g.expect[v].len = 3;
		GUEST_ASSERT_EQ(vtl0_read(p), 0xc3c3c3c3c3c3c3c3ULL);
		break;
	case OP_WRITE:
		g.expect[v].gpa += 8;
		g.expect[v].rip = (u64)vtl0_write;
		g.expect[v].len = 7;
		vtl0_write(p + 1);
		GUEST_ASSERT_EQ(READ_ONCE(p[1]), 0x5a);
		break;
	case OP_EXEC:
		g.expect[v].rip = (u64)p;
		g.expect[v].len = 1;
		((void (*)(void))p)();
		break;
	}
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), before + intercept);
}

static void guest_code(void)
{
	u64 v = vp(), rcx, *in, canary, t0;
	int base = 4 * v;

	x2apic_enable();
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[v][0] | 1);
	if (v == 0) {
		wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
		wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
		in = (u64 *)g.in_gva[0];
		in[0] = SELF;
		in[1] = 1;
		GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_PART_VTL, g.in_gpa[0], 0),
				0);
		memcpy(in, &g.ctx[0], sizeof(g.ctx[0]));
		GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_VP_VTL_, g.in_gpa[0], 0),
				0);
	}
	/* First entry of this VP's VTL1: its set-up. */
	vsm_switch(entry(0), 0, &rcx);
	GUEST_SYNC(1);

	/*
	 * KVM writes SynIC pages for the guest, so only where the guest may:
	 * not on a page VTL1 left read-only (#GP, nothing written).
	 */
	GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_SIMP, PAGE_GPA(base + 1) | 1),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_SIEFP, PAGE_GPA(base + 1) | 1),
			GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_SIMP), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_SIEFP), 0);

	touch(v, base + 0, OP_READ, true);
	touch(v, base + 1, OP_READ, false);
	touch(v, base + 1, OP_WRITE, true);
	touch(v, base + 2, OP_WRITE, false);
	touch(v, base + 2, OP_EXEC, true);
	touch(v, base + 3, OP_READ, false);
	touch(v, base + 3, OP_EXEC, false);
	touch(v, base + 3, OP_WRITE, true);
	/* Granted pages take no more intercepts. */
	touch(v, base + 0, OP_READ, false);
	touch(v, base + 1, OP_WRITE, false);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 4);

	/*
	 * VTL1's timer preempts VTL0 spinning with interrupts disabled;
	 * the loop's registers survive.
	 */
	g.cmd[v] = CMD_TIMER;
	vsm_switch(entry(0), 0, &rcx);
	canary = CANARY + v;
	/* A 2 ms timer; give up after some 10^10 TSC cycles. */
	for (t0 = rdtsc(); !READ_ONCE(g.timer_irqs[v]) &&
	     rdtsc() - t0 < 10000000000ULL;)
		asm volatile("pause" : "+r"(canary));
	GUEST_ASSERT_EQ(canary, CANARY + v);
	GUEST_ASSERT_EQ(READ_ONCE(g.timer_irqs[v]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.wakes[v]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 4);

	/* VTL1 without a VP assist page still takes the intercept. */
	g.cmd[v] = CMD_NO_ASSIST;
	vsm_switch(entry(0), 0, &rcx);
	touch(v, base + 1, OP_READ, true);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 5);

	/* VTL1's SynIC off: the next denied access goes to userspace. */
	g.cmd[v] = CMD_SYNIC_OFF;
	vsm_switch(entry(0), 0, &rcx);
	GUEST_SYNC(2);
	vtl0_read((u64 *)PAGE_GPA(base));
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 5);
	GUEST_DONE();
}

/* After set-up: the accesses, then the userspace fallback. */
static void *run_vp(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_vtl_protection p = {
		.address = PAGE_GPA(4 * vcpu->id), .size = PG, .vtl = 1,
		.prot = M_RWX,
	};
	int r;

	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpu), 2);
	do {
		r = __vcpu_run(vcpu);
	} while (!r && vcpu->run->exit_reason == KVM_EXIT_HYPERV);
	TEST_ASSERT(r == -1 && errno == EFAULT &&
		    vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
		    vcpu->run->memory_fault.gpa == p.address &&
		    vcpu->run->memory_fault.flags ==
		    (KVM_MEMORY_EXIT_FLAG_READ | KVM_MEMORY_EXIT_FLAG_VTL),
		    "VP %u with VTL1's SynIC off: want a memory fault exit, got %d errno %d exit %u",
		    vcpu->id, r, errno, vcpu->run->exit_reason);
	vm_ioctl(vcpu->vm, KVM_SET_VTL_PROTECTION, &p);
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpu), 0);
	return NULL;
}

int main(void)
{
	struct kvm_vcpu *vcpus[2];
	pthread_t threads[2];
	struct kvm_vsm_vtl_state s;
	struct kvm_vm *vm;
	u64 stack;
	int i;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_SYNIC2));

	vm = vm_create(2);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	for (i = 0; i < 2; i++) {
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
		vcpu_set_hv_cpuid(vcpus[i]);
		vcpu_enable_cap(vcpus[i], KVM_CAP_HYPERV_SYNIC2, 0);
	}
	vm_install_exception_handler(vm, TIMER_VECTOR, timer_isr);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA,
				    TEST_SLOT, TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	memset(addr_gpa2hva(vm, TEST_GPA), 0xc3, TEST_PAGES * PG);
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
	for (i = 0; i < 2; i++) {
		g.in_gva[i] = vsm_alloc_page(vm, &g.in_gpa[i]);
		g.assist_gva[i][0] = vsm_alloc_page(vm, &g.assist_gpa[i][0]);
		g.assist_gva[i][1] = vsm_alloc_page(vm, &g.assist_gpa[i][1]);
		g.simp_gva[i] = vsm_alloc_page(vm, &g.simp_gpa[i]);
		stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
		vsm_make_ctx(vcpus[i], &g.ctx[i], stack);
		g.ctx[i].vtl = 1;
	}
	/* The code page offsets, as HvRegisterVsmCodePageOffsets says. */
	g.code_offsets = 0x10 | 0x20 << 12;
	sync_global_to_guest(vm, g);

	ksft_print_header();
	ksft_set_plan(2);

	/* VP 0 enables VTL1 and sets it up, VP 1's VTL1 too; then both. */
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpus[0]), 1);
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpus[1]), 1);
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, run_vp, vcpus[i]);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);

	sync_global_from_guest(vm, g);
	TEST_ASSERT(g.intercepts[0] == 5 && g.intercepts[1] == 5,
		    "intercepts: VP 0 %lu, VP 1 %lu, want 5 each",
		    g.intercepts[0], g.intercepts[1]);
	TEST_ASSERT(g.wakes[0] == 1 && g.wakes[1] == 1 &&
		    g.timer_irqs[0] == 1 && g.timer_irqs[1] == 1,
		    "timer preemptions: VP 0 %lu/%lu, VP 1 %lu/%lu, want 1/1",
		    g.wakes[0], g.timer_irqs[0], g.wakes[1], g.timer_irqs[1]);
	ksft_test_result_pass("5 intercepts, 1 VTL1 timer preemption per VP, 2 VPs at once\n");

	/* VTL1's SynIC is part of its private state. */
	s = (struct kvm_vsm_vtl_state){ .vtl = 1 };
	vcpu_ioctl(vcpus[0], KVM_GET_VSM_VTL_STATE, &s);
	TEST_ASSERT(s.simp == (g.simp_gpa[0] | 1) && s.scontrol == 0 &&
		    s.sint[TIMER_SINT] == TIMER_VECTOR,
		    "VTL1 SynIC: simp 0x%llx scontrol 0x%llx sint2 0x%llx",
		    s.simp, s.scontrol, s.sint[TIMER_SINT]);
	s.vtl = 0;
	vcpu_ioctl(vcpus[0], KVM_GET_VSM_VTL_STATE, &s);
	TEST_ASSERT(s.simp == 0 && s.scontrol == 1 &&
		    (s.sint[TIMER_SINT] & SINT_MASKED),
		    "VTL0 SynIC: simp 0x%llx scontrol 0x%llx sint2 0x%llx",
		    s.simp, s.scontrol, s.sint[TIMER_SINT]);
	ksft_test_result_pass("SynIC off in VTL1: KVM_EXIT_MEMORY_FAULT; SynIC per VTL\n");
	kvm_vm_free(vm);
	ksft_finished();
}
