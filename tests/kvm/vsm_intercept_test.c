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
 * intercept. A write by an instruction KVM emulates (rep insb) takes the
 * same intercept, and completes when run again. Without a VP assist page,
 * VTL1 still takes the intercept, with the message in the SynIC slot only.
 * With VTL1's SynIC disabled, a denied access exits to userspace with
 * KVM_EXIT_MEMORY_FAULT instead.
 *
 * Each VTL has its own SynIC and synthetic timers: VTL1 arms a one-shot
 * timer and returns, VTL0 spins with interrupts disabled, and the timer's
 * expiry switches the VP to VTL1 with vtl_entry_reason Interrupt; VTL1
 * takes the timer message and its SINT interrupt and returns, and VTL0's
 * loop goes on with its registers intact. VTL0 cannot place its SynIC
 * pages on a page VTL1 left read-only.
 *
 * Each VTL has its own local APIC too. VTL1 arms its APIC timer and
 * returns; its interrupt preempts VTL0 the same way. VTL1 enables VINA
 * (AutoReset, AutoEoi): a self IPI VTL0 left pending stays in VTL0's APIC
 * while VTL1 runs, VTL1 gets the VINA interrupt instead, with VinaAsserted
 * set, and VTL0 takes its IPI once back; the next entry to VTL1 clears
 * VinaAsserted. A message userspace leaves in VTL1's message page and
 * signals through a SINT route to VTL1's SynIC preempts VTL0 as a timer
 * does. With each VTL made active by KVM_SET_VSM_STATE, the
 * APIC and timer registers read back per VTL. An INIT from a device to a
 * VP whose VTL1 is enabled is dropped.
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

/* VTL1's APIC timer, VTL0's self IPI and VTL1's VINA interrupt. */
#define APIC_TIMER_VECTOR	0xd0
#define VTL0_IPI_VECTOR		0xd1
#define VINA_VECTOR		0xd2
/* VP 0's VTL1 sends VP 1's VTL1 an IPI with this vector. */
#define VTL1_IPI_VECTOR		0xd3
#define APIC_TIMER_NS		2000000
/* A message userspace sends VTL1 through a SINT route to its SynIC. */
#define MSG_SINT		3
#define MSG_VECTOR		0xe1
#define MSG_TYPE_USER		0x5a5a
#define SINT_GSI		32
#define REG_VINA		0x000d0005
#define APIC_SELF_IPI		0x3f0
#define APIC_ISR		0x100
#define VINA_ENABLED		BIT_ULL(8)
#define VINA_AUTO_RESET		BIT_ULL(9)
#define VINA_AUTO_EOI		BIT_ULL(10)

/* VTL1's timer: STIMER0, one-shot, 2 ms, through SINT2 to this vector. */
#define TIMER_SINT		2
#define TIMER_VECTOR		0xe0
#define TIMER_DELAY		20000
#define STIMER_ENABLE		BIT_ULL(0)
#define STIMER_SINT(n)		((u64)(n) << 16)
#define SINT_MASKED		BIT_ULL(16)
#define CANARY			0x5ca1ab1e00ULL

enum { OP_READ, OP_WRITE, OP_EXEC };
enum {
	CMD_NONE, CMD_NO_ASSIST, CMD_SYNIC_OFF, CMD_TIMER, CMD_APIC_TIMER,
	CMD_VINA, CMD_READ_ONLY, CMD_SINT, CMD_IPI
};

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
	u64 apic_timer_irqs[2];
	u64 vtl0_ipis[2];
	u64 vinas[2];
	u64 sint_msgs[2];
	u64 vtl1_ipis[2];
	int ipi_ready;
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

/* A one-byte string read from VSM_INS_PORT, which KVM emulates. */
static __attribute__((naked)) void vtl0_ins(u8 *p)
{
	asm volatile("mov $0x1234, %dx\n\t"	/* 66 ba 34 12 */
		     "mov $1, %ecx\n\t"	/* b9 01 00 00 00 */
		     "rep insb\n\t"		/* f3 6c, at +9 */
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

/* Is this VTL1, by its VP assist page? */
static bool in_vtl1(u64 v)
{
	return rdmsr(HV_X64_MSR_VP_ASSIST_PAGE) == (g.assist_gpa[v][1] | 1);
}

/* VTL1's APIC timer. */
static void apic_timer_isr(struct ex_regs *regs)
{
	u64 v = vp();

	GUEST_ASSERT(in_vtl1(v));
	g.apic_timer_irqs[v]++;
	x2apic_write_reg(APIC_EOI, 0);
}

/* VP 0's VTL1's IPI to VP 1: for VTL1 only. */
static void vtl1_ipi_isr(struct ex_regs *regs)
{
	u64 v = vp();

	GUEST_ASSERT(in_vtl1(v));
	g.vtl1_ipis[v]++;
	x2apic_write_reg(APIC_EOI, 0);
}

/* VTL0's self IPI, which waits for VTL0 while VTL1 runs. */
static void vtl0_ipi_isr(struct ex_regs *regs)
{
	u64 v = vp();

	GUEST_ASSERT(!in_vtl1(v));
	g.vtl0_ipis[v]++;
	x2apic_write_reg(APIC_EOI, 0);
}

/* VTL1's VINA interrupt: VinaAsserted set, no ISR bit (AutoEoi), no EOI. */
static void vina_isr(struct ex_regs *regs)
{
	u64 v = vp();
	struct vsm_vp_assist *a = (void *)g.assist_gva[v][1];

	u32 isr = x2apic_read_reg(APIC_ISR + (VINA_VECTOR >> 5) * 0x10);

	GUEST_ASSERT(in_vtl1(v));
	GUEST_ASSERT_EQ(a->vina_status, 1);
	GUEST_ASSERT_EQ(isr & BIT(VINA_VECTOR & 31), 0);
	g.vinas[v]++;
}

/* VTL1's SINT3: the message userspace left in its slot. */
static void msg_isr(struct ex_regs *regs)
{
	u64 v = vp();
	struct msg *slot = (struct msg *)(g.simp_gva[v] + MSG_SINT * 256);

	GUEST_ASSERT(in_vtl1(v));
	GUEST_ASSERT_EQ(slot->type, MSG_TYPE_USER);
	GUEST_ASSERT_EQ(slot->sender, CANARY + v);
	slot->type = 0;
	wrmsr(HV_X64_MSR_EOM, 0);
	g.sint_msgs[v]++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void set_own_reg(u64 v, u32 name, u64 val)
{
	GUEST_ASSERT_EQ(vsm_set_vp_reg(g.in_gva[v], g.in_gpa[v], name, val),
			REPS(1));
}

/* VTL1 of either VP: set up on the first entry, then serve entries. */
void vtl1_main(void)
{
	u64 v = vp(), gpn;
	struct vsm_vp_assist *a = (void *)g.assist_gva[v][1];
	struct msg *slot = (struct msg *)g.simp_gva[v];
	int i;

	vsm_hv_init(g.hcall_gpa);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[v][1] | 1);
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, g.simp_gpa[v] | 1);
	/* VTL1's own APIC starts in xAPIC mode, software-disabled. */
	GUEST_ASSERT(!(rdmsr(MSR_IA32_APICBASE) & X2APIC_ENABLE));
	x2apic_enable();
	wrmsr(HV_X64_MSR_SINT0 + MSG_SINT, MSG_VECTOR);
	set_own_reg(v, REG_VINA, VINA_ENABLED | VINA_AUTO_RESET | VINA_AUTO_EOI |
		    VINA_VECTOR);
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
			/* Preempted VTL0 for a timer: take its interrupt. */
			u64 *irqs = g.cmd[v] == CMD_TIMER ? &g.timer_irqs[v] :
				    g.cmd[v] == CMD_SINT ? &g.sint_msgs[v] :
				    g.cmd[v] == CMD_IPI ? &g.vtl1_ipis[v] :
				    &g.apic_timer_irqs[v];

			g.wakes[v]++;
			GUEST_ASSERT_EQ(*irqs, 0);
			asm volatile("sti; nop; cli" ::: "memory");
			GUEST_ASSERT_EQ(*irqs, 1);
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
		if (g.cmd[v] == CMD_APIC_TIMER) {
			x2apic_write_reg(APIC_TDCR, 0xb);	/* divide by 1 */
			x2apic_write_reg(APIC_LVTT, APIC_TIMER_VECTOR);
			x2apic_write_reg(APIC_TMICT, APIC_TIMER_NS);
		}
		if (g.cmd[v] == CMD_VINA) {
			/* VTL0's pending IPI raised VINA on entry, not itself. */
			GUEST_ASSERT_EQ(a->vina_status, 1);
			asm volatile("sti; nop; cli" ::: "memory");
			GUEST_ASSERT_EQ(g.vinas[v], 1);
			GUEST_ASSERT_EQ(g.vtl0_ipis[v], 0);
		}
		if (g.cmd[v] == CMD_NO_ASSIST) {
			/* AutoReset: this entry cleared VinaAsserted. */
			GUEST_ASSERT_EQ(a->vina_status, 0);
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
		if (g.cmd[v] == CMD_READ_ONLY)
			GUEST_ASSERT_EQ(modify(v, PAGE_GPA(4 * v + 3) >> 12, M_R),
					REPS(1));
		/* VP 1 by its x2APIC ID, from this VTL's APIC. */
		if (g.cmd[v] == CMD_IPI)
			x2apic_write_reg(APIC_ICR, 1ULL << 32 | VTL1_IPI_VECTOR);
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

/*
 * An instruction KVM emulates writes a page VTL1 left read-only: the same
 * intercept as a faulting access, and the instruction, run again after
 * VTL1 grants access, completes.
 */
static void ins(u64 v, int page)
{
	u8 *p = (u8 *)PAGE_GPA(page) + 16;
	u64 before = READ_ONCE(g.intercepts[v]);

	g.expect[v].access = OP_WRITE;
	g.expect[v].gpa = (u64)p;
	g.expect[v].rip = (u64)vtl0_ins + 9;
	g.expect[v].len = 2;
	vtl0_ins(p);
	GUEST_ASSERT_EQ(READ_ONCE(*p), VSM_INS_BYTE);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), before + 1);
}

/*
 * Spin with interrupts disabled until VTL1, preempting VTL0, counted its
 * interrupt in @count, the @wakes-th preemption; the loop's registers
 * survive. A 2 ms timer at most: give up after some 10^10 TSC cycles.
 */
static void spin_until(u64 v, u64 *count, u64 wakes)
{
	u64 canary = CANARY + v, t0;

	for (t0 = rdtsc(); !READ_ONCE(*count) && rdtsc() - t0 < 10000000000ULL;)
		asm volatile("pause" : "+r"(canary));
	GUEST_ASSERT_EQ(canary, CANARY + v);
	GUEST_ASSERT_EQ(READ_ONCE(*count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.wakes[v]), wakes);
}

static void guest_code(void)
{
	u64 v = vp(), rcx, *in;
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
	spin_until(v, &g.timer_irqs[v], 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 4);

	/* So does an interrupt of VTL1's local APIC. */
	g.cmd[v] = CMD_APIC_TIMER;
	vsm_switch(entry(0), 0, &rcx);
	spin_until(v, &g.apic_timer_irqs[v], 2);

	/*
	 * VTL0's interrupt waits in VTL0's APIC while VTL1 runs, which gets
	 * its VINA interrupt; VTL0 takes its own once back.
	 */
	g.cmd[v] = CMD_VINA;
	x2apic_write_reg(APIC_SELF_IPI, VTL0_IPI_VECTOR);
	vsm_switch(entry(0), 0, &rcx);
	GUEST_ASSERT_EQ(READ_ONCE(g.vinas[v]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.vtl0_ipis[v]), 0);
	asm volatile("sti; nop; cli" ::: "memory");
	GUEST_ASSERT_EQ(READ_ONCE(g.vtl0_ipis[v]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(g.wakes[v]), 2);

	g.cmd[v] = CMD_READ_ONLY;
	vsm_switch(entry(0), 0, &rcx);
	ins(v, base + 3);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 5);

	/* Userspace's message to VTL1's SynIC preempts VTL0 too. */
	g.cmd[v] = CMD_SINT;
	GUEST_SYNC(3);
	spin_until(v, &g.sint_msgs[v], 3);

	/* VTL1 without a VP assist page still takes the intercept. */
	g.cmd[v] = CMD_NO_ASSIST;
	vsm_switch(entry(0), 0, &rcx);
	touch(v, base + 1, OP_READ, true);
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 6);

	/* VTL1's SynIC off: the next denied access goes to userspace. */
	g.cmd[v] = CMD_SYNIC_OFF;
	vsm_switch(entry(0), 0, &rcx);
	GUEST_SYNC(2);
	vtl0_read((u64 *)PAGE_GPA(base));
	GUEST_ASSERT_EQ(READ_ONCE(g.intercepts[v]), 6);

	/*
	 * VP 1's VTL0 disables its APIC; VP 0's VTL1 then sends VP 1 an
	 * IPI, which still reaches VP 1's VTL1 and preempts VTL0.
	 */
	g.cmd[v] = CMD_IPI;
	if (v == 1) {
		wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) &
		      ~(MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE));
		WRITE_ONCE(g.ipi_ready, 1);
		spin_until(v, &g.vtl1_ipis[v], 4);
		/* Enabled again: xAPIC first, then x2APIC. */
		wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) |
		      MSR_IA32_APICBASE_ENABLE);
		x2apic_enable();
	} else {
		while (!READ_ONCE(g.ipi_ready))
			cpu_relax();
		vsm_switch(entry(0), 0, &rcx);
	}
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
	struct msg *slot = addr_gva2hva(vcpu->vm, g.simp_gva[vcpu->id] +
					MSG_SINT * 256);
	int r;

	/* A message in VTL1's SINT3 slot, then the SINT route's interrupt. */
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpu), 3);
	slot->sender = CANARY + vcpu->id;
	slot->payload_size = 8;
	WRITE_ONCE(slot->type, MSG_TYPE_USER);
	kvm_irq_line(vcpu->vm, SINT_GSI + vcpu->id, 1);
	kvm_irq_line(vcpu->vm, SINT_GSI + vcpu->id, 0);

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

/*
 * Each VTL's APIC and synthetic timers, through KVM_SET_VSM_STATE, then
 * KVM_GET_LAPIC and KVM_GET_MSRS as a VMM saving them would: VTL1's have
 * its timer vector in LVTT and its SINT in STIMER0_CONFIG, VTL0's do not.
 * An INIT from a device is dropped: the VP's VTL1 is enabled.
 */
static void test_apic_per_vtl(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_state st = {};
	struct kvm_lapic_state l0, l1;
	struct kvm_mp_state mp;
	u64 t0, t1;
	struct kvm_msi msi = {
		.address_lo = 0xfee00000 | vcpu->id << 12,
		.data = APIC_DM_INIT | APIC_INT_ASSERT,
	};

	vcpu_ioctl(vcpu, KVM_GET_VSM_STATE, &st);
	TEST_ASSERT(st.active_vtl == 0 && st.enabled_vtls == 3,
		    "VP %u: active VTL %u, enabled 0x%x", vcpu->id,
		    st.active_vtl, st.enabled_vtls);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &l0);
	t0 = vcpu_get_msr(vcpu, HV_X64_MSR_STIMER0_CONFIG);
	st.active_vtl = 1;
	vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &st);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &l1);
	t1 = vcpu_get_msr(vcpu, HV_X64_MSR_STIMER0_CONFIG);
	st.active_vtl = 0;
	vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &st);
	TEST_ASSERT(t1 == STIMER_SINT(TIMER_SINT) && t0 == 0,
		    "STIMER0_CONFIG: VTL0 0x%lx, VTL1 0x%lx", t0, t1);
	TEST_ASSERT((*(u32 *)&l1.regs[APIC_LVTT] & 0xff) == APIC_TIMER_VECTOR &&
		    (*(u32 *)&l0.regs[APIC_LVTT] & 0xff) != APIC_TIMER_VECTOR,
		    "LVTT: VTL0 0x%x, VTL1 0x%x", *(u32 *)&l0.regs[APIC_LVTT],
		    *(u32 *)&l1.regs[APIC_LVTT]);

	TEST_ASSERT_EQ(__vm_ioctl(vcpu->vm, KVM_SIGNAL_MSI, &msi), 0);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT(mp.mp_state == KVM_MP_STATE_RUNNABLE,
		    "VP %u after INIT: mp_state %u, want RUNNABLE", vcpu->id,
		    mp.mp_state);
}

int main(void)
{
	struct kvm_irq_routing *routes;
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
	vm_install_exception_handler(vm, APIC_TIMER_VECTOR, apic_timer_isr);
	vm_install_exception_handler(vm, VTL0_IPI_VECTOR, vtl0_ipi_isr);
	vm_install_exception_handler(vm, VTL1_IPI_VECTOR, vtl1_ipi_isr);
	vm_install_exception_handler(vm, VINA_VECTOR, vina_isr);
	vm_install_exception_handler(vm, MSG_VECTOR, msg_isr);
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
	ksft_set_plan(4);

	/* Routes to SINT3 of each VP's VTL1. */
	routes = calloc(1, sizeof(*routes) + 2 * sizeof(routes->entries[0]));
	TEST_ASSERT(routes, "out of memory");
	routes->nr = 2;
	for (i = 0; i < 2; i++)
		routes->entries[i] = (struct kvm_irq_routing_entry){
			.gsi = SINT_GSI + i,
			.type = KVM_IRQ_ROUTING_HV_SINT,
			.u.hv_sint = {
				.vcpu = i,
				.sint = MSG_SINT |
					1 << KVM_IRQ_ROUTING_HV_SINT_VTL_SHIFT,
			},
		};
	vm_ioctl(vm, KVM_SET_GSI_ROUTING, routes);
	free(routes);

	/* VP 0 enables VTL1 and sets it up, VP 1's VTL1 too; then both. */
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpus[0]), 1);
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpus[1]), 1);
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, run_vp, vcpus[i]);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);

	sync_global_from_guest(vm, g);
	TEST_ASSERT(g.intercepts[0] == 6 && g.intercepts[1] == 6,
		    "intercepts: VP 0 %lu, VP 1 %lu, want 6 each",
		    g.intercepts[0], g.intercepts[1]);
	/* VP 1 has one more preemption: VP 0's VTL1's IPI. */
	for (i = 0; i < 2; i++)
		TEST_ASSERT(g.wakes[i] == 3 + i && g.timer_irqs[i] == 1 &&
			    g.apic_timer_irqs[i] == 1 && g.sint_msgs[i] == 1 &&
			    g.vinas[i] == 1 && g.vtl0_ipis[i] == 1 &&
			    g.vtl1_ipis[i] == i,
			    "VP %d: %lu preemptions, %lu SynIC and %lu APIC timer interrupts, %lu messages, %lu VINA, %lu VTL0 IPIs, %lu VTL1 IPIs; want %d, 1, 1, 1, 1, 1, %d",
			    i, g.wakes[i], g.timer_irqs[i], g.apic_timer_irqs[i],
			    g.sint_msgs[i], g.vinas[i], g.vtl0_ipis[i],
			    g.vtl1_ipis[i], 3 + i, i);
	ksft_test_result_pass("6 intercepts (1 emulated), 3 preemptions, 1 VINA per VP, 2 VPs\n");
	ksft_test_result_pass("VTL1's IPI reaches VTL1 past VTL0's disabled APIC\n");

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

	test_apic_per_vtl(vcpus[1]);
	ksft_test_result_pass("APIC and timers per VTL; INIT to VTL0 dropped with VTL1 enabled\n");
	kvm_vm_free(vm);
	ksft_finished();
}
