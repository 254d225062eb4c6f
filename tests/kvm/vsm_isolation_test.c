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
 *    HV_STATUS_ACCESS_DENIED, as the plain WRMSR is refused with #GP;
 *    and one VTL0 set where it could, which is then protected: KVM
 *    writes neither its APIC assist word when it injects an interrupt
 *    into VTL0 nor clears it when a VTL return reloads it;
 *  - SMIs, which would run SMM with the interrupted VTL's rights: a self
 *    SMI from VTL0 is dropped, KVM_SMI and an SMI or SMM set through
 *    KVM_SET_VCPU_EVENTS are refused;
 *  - Hyper-V hypercalls other than VSM's with slow input on a page VTL0
 *    may not read (TLB flush, IPI, signal event, post message):
 *    HV_STATUS_ACCESS_DENIED; and input that runs from a readable page
 *    into one VTL0 may not read (the sparse VP set of a flush) is not
 *    read past its page: HV_STATUS_INVALID_HYPERCALL_INPUT, nor is
 *    HvPostMessage's passed to userspace: HV_STATUS_INVALID_ALIGNMENT;
 *  - a 2 MiB mapping of a range VTL1 made non-executable, split by dirty
 *    logging with kvm.nx_huge_pages=force: the 4 KiB pages stay
 *    non-executable, and VTL0's call into one exits to userspace as a
 *    denied execute (VTL1 has no SynIC here to take an intercept);
 *  - GUEST_OS_ID, HYPERCALL and REFERENCE_TSC are each VTL's own: VTL0
 *    zeroing its guest OS ID leaves VTL1, entered by an intercept, able
 *    to make hypercalls and return;
 *  - the host's NMI and a PIC interrupt VTL0 programmed, sent while VTL1
 *    runs, wait for VTL0;
 *  - a write KVM makes for VTL0 (HvGetVpRegisters' output), checked and
 *    then held up by a userfaultfd fault, finishes before VTL1's
 *    HvModifyVtlProtectionMask that write-protects the page returns;
 *  - KVM's software page walk for an instruction it emulates (rep insb)
 *    leaves the accessed and dirty bits alone in a page table VTL1 made
 *    read-only;
 *  - the emulator does not fetch instruction bytes from a page VTL0 may
 *    not execute: an instruction KVM is made to emulate (the forced
 *    emulation prefix) that runs into one is #UD, as a failed decode;
 *  - the vPMU and the LBR stack, which the VTLs would share: off, so VTL0
 *    counts and records nothing of VTL1's (this rig's TCG CPU has
 *    neither, so the case cannot fail here);
 *  - PAE PDPTRs are not loaded from a page VTL1 made no-access for VTL0
 *    (CR3 set through KVM_SET_SREGS, read back with KVM_GET_SREGS2);
 *  - KVM's software page walk does not read a page table VTL1 made
 *    no-access: the emulated rep insb faults instead of writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apic.h"
#include "kvm_util.h"
#include "hyperv.h"
#include "processor.h"
#include "test_util.h"
#include "vsm_guest.h"

#define PG		4096ULL
#define TEST_SLOT	1
#define TEST_GPA	BIT_ULL(30)
#define TEST_PAGES	6
#define PAGE_GPA(i)	(TEST_GPA + (i) * PG)
/* 0xc3 is also RET: VTL0 may call into a page of canary bytes. */
#define CANARY		0xc3
/* A 2 MiB range backed by transparent huge pages. */
#define HUGE_SLOT	2
#define HUGE_GPA	BIT_ULL(31)
#define HUGE_PAGES	512
#define HUGE_EXEC_GPA	(HUGE_GPA + 5 * PG)
#define NX_HUGE_PAGES	"/sys/module/kvm/parameters/nx_huge_pages"
#define FEP		"/sys/module/kvm/parameters/force_emulation_prefix"

/* The test pages: VTL0's access to each, as VTL1 sets it. */
enum { PG_NONE, PG_RO, PG_TSC, PG_FREE, PG_CODE, PG_NX };

enum { STAGE_READY = 1, STAGE_TRIED, STAGE_PROTECTED, STAGE_UPDATED };
enum {
	CASE_PV_MSRS, CASE_KVM_HC, CASE_NESTED, CASE_TSC, CASE_ASSIST,
	CASE_NX_SPLIT, CASE_HV_INPUT, CASE_ASSIST_LATER, CASE_SMI, CASE_OS_ID,
	CASE_NMI_EXTINT, CASE_RACE, CASE_AD_BITS, CASE_FETCH, CASE_PMU,
	CASE_PDPTR, CASE_PT_READ, NR_CASES
};

enum {
	CMD_SETUP, CMD_PROTECT_TSC, CMD_PROTECT_HUGE, CMD_PROTECT_FREE,
	CMD_SYNIC, CMD_OS_ID, CMD_EVENTS, CMD_RACE
};

/* CASE_RACE: VP 1's HvGetVpRegisters output, in a slot of its own. */
#define RACE_SLOT	3
#define RACE_GPA	(BIT_ULL(31) + BIT_ULL(30))

#define HVCALL_FLUSH_SPACE	0x0002
#define HVCALL_SEND_IPI_	0x000b
#define HVCALL_FLUSH_SPACE_EX	0x0013
#define HVCALL_POST_MESSAGE_	0x005c
#define HVCALL_SIGNAL_EVENT_	0x005d
#define VAR_HEADER(n)		((u64)(n) << 17)
#define SELF_IPI_VECTOR		0xd1
/* VTL0 programs the PIC: IRQ 3 is this vector. */
#define PIC_BASE		0x30
#define PIC_IRQ			3
#define APIC_SELF_IPI_		0x3f0

#define KVM_ENOSYS_	1000
#define KVM_MSR_EN	BIT_ULL(0)
#define ASYNC_PF_INT	BIT_ULL(3)

static struct {
	u64 hcall_gpa, hcall_gva;
	u64 in_gpa[2], in_gva[2];
	u64 assist_gpa, assist_gva;
	u64 simp_gpa, simp_gva;
	struct enable_vp_vtl ctx;
	struct vtl_gprs vtl0;
	u64 code_offsets;
	int cmd;
	int test;
	u64 ipis;
	u64 intercepts;
	/* NMIs and PIC interrupts taken, by the VTL that ran. */
	int in_vtl1;
	u64 nmis[2], extints[2];
	u64 uds;
	u64 pfs;
	u64 race_in_gpa, race_in_gva;
} g;

static void self_ipi_isr(struct ex_regs *regs)
{
	g.ipis++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void outb_(u16 port, u8 val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

/* #UD in a function VTL0 called: count it, return 0 through a "ret". */
static void ud_isr(struct ex_regs *regs)
{
	g.uds++;
	regs->rax = 0;
	regs->rip = PAGE_GPA(PG_CODE);
}

/*
 * The PIC's IMR into PG_FREE with rep insb (f3 6c, two bytes): KVM
 * emulates the write, walking the page tables in software.
 *
 * Return: the count left in RCX, 0 once the byte is written.
 */
static u64 emulated_insb(void)
{
	u8 *p = (u8 *)PAGE_GPA(PG_FREE);
	u64 n = 1;

	asm volatile(".byte 0xf3, 0x6c" : "+D"(p), "+c"(n) : "d"(0x21)
		     : "memory");
	return n;
}

/* #PF of the emulated rep insb (f3 6c): count it and skip it. */
static void pf_isr(struct ex_regs *regs)
{
	g.pfs++;
	regs->rip += 2;
}

static void nmi_isr(struct ex_regs *regs)
{
	g.nmis[g.in_vtl1]++;
}

static void pic_isr(struct ex_regs *regs)
{
	g.extints[g.in_vtl1]++;
	outb_(0x20, 0x20);		/* EOI */
}

/* Both 8259s initialised, their vectors from PIC_BASE, only IRQ 3 on. */
static void pic_init(void)
{
	outb_(0x20, 0x11);
	outb_(0x21, PIC_BASE);
	outb_(0x21, 0x04);
	outb_(0x21, 0x01);
	outb_(0x21, (u8)~BIT(PIC_IRQ));
	outb_(0xa0, 0x11);
	outb_(0xa1, PIC_BASE + 8);
	outb_(0xa1, 0x02);
	outb_(0xa1, 0x01);
	outb_(0xa1, 0xff);
}

static u64 entry(int ret)
{
	return g.hcall_gva + (g.code_offsets >> (ret ? 12 : 0) & 0xfff);
}

/* VTL1 sets VTL0's access to @n pages from @gpn (at most 500). */
static u64 modify_n(u64 gpn, int n, u8 prot)
{
	u64 *in = (u64 *)g.in_gva[1];
	int i;

	in[0] = SELF;
	in[1] = prot;
	for (i = 0; i < n; i++)
		in[2 + i] = gpn + i;
	return vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(n), g.in_gpa[1], 0);
}

static u64 modify(u64 gpn, u8 prot)
{
	return modify_n(gpn, 1, prot);
}

static u64 set_reg(int vtl, u32 name, u64 val)
{
	return vsm_set_vp_reg(g.in_gva[vtl], g.in_gpa[vtl], name, val);
}

void vtl1_main(void)
{
	struct vsm_vp_assist *a = (void *)g.assist_gva;

	vsm_hv_init(g.hcall_gpa);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa | 1);
	GUEST_ASSERT_EQ(set_reg(1, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_RWX)), REPS(1));
	GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_NONE) >> 12, 0), REPS(1));
	GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_RO) >> 12, M_R), REPS(1));
	for (;;) {
		a->ret_rax = g.vtl0.rax;
		a->ret_rcx = g.vtl0.rcx;
		vtl1_leave(entry(1), &g.vtl0);
		/* VTL0 waits for an intercept only in CASE_OS_ID. */
		GUEST_ASSERT_EQ(a->entry_reason, (g.cmd == CMD_OS_ID ? 3 : 1));
		if (g.cmd == CMD_EVENTS) {
			/*
			 * VTL1 runs, ready for interrupts, while the host
			 * sends an NMI and raises IRQ 3 of the PIC VTL0 set
			 * up: both are VTL0's and wait for it.
			 */
			WRITE_ONCE(g.in_vtl1, 1);
			asm volatile("sti" ::: "memory");
			GUEST_SYNC(STAGE_PROTECTED);
			GUEST_SYNC(STAGE_UPDATED);
			asm volatile("cli" ::: "memory");
			WRITE_ONCE(g.in_vtl1, 0);
			GUEST_ASSERT_EQ(READ_ONCE(g.nmis[1]), 0);
			GUEST_ASSERT_EQ(READ_ONCE(g.extints[1]), 0);
		}
		if (g.cmd == CMD_RACE) {
			/* The host holds VP 1's write to RACE_GPA meanwhile. */
			GUEST_SYNC(STAGE_TRIED);
			GUEST_ASSERT_EQ(modify(RACE_GPA >> 12, M_R), REPS(1));
			GUEST_SYNC(STAGE_PROTECTED);
		}
		if (g.cmd == CMD_SYNIC) {
			wrmsr(HV_X64_MSR_SCONTROL, 1);
			wrmsr(HV_X64_MSR_SIMP, g.simp_gpa | 1);
		}
		if (g.cmd == CMD_OS_ID) {
			/*
			 * VTL0 zeroed its GUEST_OS_ID: VTL1's own still
			 * holds, and so does its hypercall page. Its reference
			 * TSC page is not VTL0's either.
			 */
			GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_GUEST_OS_ID),
					HYPERV_LINUX_OS_ID);
			GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_HYPERCALL),
					g.hcall_gpa | 1);
			GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_REFERENCE_TSC), 0);
			/* A hypercall: VTL0 may now read the page. */
			GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_NONE) >> 12, M_R),
					REPS(1));
			g.intercepts++;
			g.cmd = CMD_SETUP;
		}
		if (g.cmd == CMD_PROTECT_TSC)
			GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_TSC) >> 12, M_R),
					REPS(1));
		if (g.cmd == CMD_PROTECT_FREE)
			GUEST_ASSERT_EQ(modify(PAGE_GPA(PG_FREE) >> 12, 0),
					REPS(1));
		if (g.cmd == CMD_PROTECT_HUGE) {
			GUEST_ASSERT_EQ(modify_n(HUGE_GPA >> 12, 256, M_R | M_W),
					REPS(256));
			GUEST_ASSERT_EQ(modify_n((HUGE_GPA >> 12) + 256, 256,
						 M_R | M_W), REPS(256));
		}
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
		GUEST_ASSERT(READ_ONCE(*tsc_seq) != 0 &&
			     READ_ONCE(*tsc_seq) != 0xc3c3c3c3);
		GUEST_SYNC(STAGE_TRIED);
		vtl1_do(CMD_PROTECT_TSC);
		GUEST_SYNC(STAGE_PROTECTED);
		GUEST_SYNC(STAGE_UPDATED);
		break;
	case CASE_NX_SPLIT:
		/* One protection on the whole range: a 2 MiB mapping, NX. */
		vtl1_do(CMD_PROTECT_HUGE);
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)HUGE_GPA), 0xc3c3c3c3c3c3c3c3ULL);
		GUEST_SYNC(STAGE_TRIED);
		/* Split by now: the host lets this run only once it grants X. */
		((void (*)(void))HUGE_EXEC_GPA)();
		GUEST_SYNC(STAGE_PROTECTED);
		break;
	case CASE_HV_INPUT: {
		static const u16 calls[] = {
			HVCALL_FLUSH_SPACE, HVCALL_SEND_IPI_,
			HVCALL_SIGNAL_EVENT_, HVCALL_POST_MESSAGE_,
		};
		/* HvFlushVirtualAddressSpaceEx's input, its one bank next door. */
		u64 *ex = (u64 *)(PAGE_GPA(PG_FREE) - 32);

		for (i = 0; i < ARRAY_SIZE(calls); i++)
			__GUEST_ASSERT(vsm_hcall(calls[i], PAGE_GPA(PG_NONE), 0) ==
				       ST_ACCESS_DENIED,
				       "hypercall 0x%x, input on a page VTL0 may not read: not ACCESS_DENIED",
				       calls[i]);
		vtl1_do(CMD_PROTECT_FREE);
		ex[0] = 0;		/* address space */
		ex[1] = 0;		/* flags */
		ex[2] = 0;		/* HV_GENERIC_SET_SPARSE_4K */
		ex[3] = 1;		/* valid_bank_mask: bank 0, in PG_FREE */
		r = vsm_hcall(HVCALL_FLUSH_SPACE_EX | VAR_HEADER(1), (u64)ex, 0);
		__GUEST_ASSERT(r == ST_INVALID_INPUT,
			       "flush whose VP set runs into a page VTL0 may not read: status 0x%lx",
			       r);
		/* HvPostMessage's 256 bytes, which userspace would read. */
		r = vsm_hcall(HVCALL_POST_MESSAGE_, PAGE_GPA(PG_FREE) - 128, 0);
		__GUEST_ASSERT(r == ST_INVALID_ALIGNMENT,
			       "HvPostMessage input across pages: status 0x%lx", r);
		GUEST_SYNC(STAGE_TRIED);
		break;
	}
	case CASE_ASSIST_LATER:
		x2apic_enable();
		wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, PAGE_GPA(PG_FREE) | 1);
		GUEST_SYNC(STAGE_TRIED);
		/* The host protected the page: an IPI, with no VTL switch. */
		x2apic_write_reg(APIC_SELF_IPI_, SELF_IPI_VECTOR);
		asm volatile("sti; nop; cli" ::: "memory");
		GUEST_ASSERT_EQ(READ_ONCE(g.ipis), 1);
		GUEST_SYNC(STAGE_PROTECTED);
		/* A VTL call and return reloads the page. */
		vtl1_do(CMD_SETUP);
		GUEST_SYNC(STAGE_UPDATED);
		break;
	case CASE_SMI:
		x2apic_enable();
		/* An SMI to this VP (x2APIC ID 0): dropped, so this goes on. */
		x2apic_write_reg(APIC_ICR, APIC_DM_SMI);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_OS_ID:
		/* VTL1 takes intercepts from here on. */
		vtl1_do(CMD_SYNIC);
		wrmsr(HV_X64_MSR_REFERENCE_TSC, PAGE_GPA(PG_TSC) | 1);
		/* GUEST_OS_ID is VTL0's own: zeroing it disables its hypercalls. */
		wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
		GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_HYPERCALL) & 1, 0);
		/* An intercept: VTL1 makes a hypercall, grants R, returns. */
		WRITE_ONCE(g.cmd, CMD_OS_ID);
		GUEST_ASSERT_EQ(READ_ONCE(*(u8 *)PAGE_GPA(PG_NONE)), CANARY);
		GUEST_ASSERT_EQ(g.intercepts, 1);
		GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_GUEST_OS_ID), 0);
		GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_REFERENCE_TSC),
				PAGE_GPA(PG_TSC) | 1);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_RACE:
		vtl1_do(CMD_RACE);
		break;
	case CASE_FETCH: {
		/*
		 * ud2 and "kvm" make KVM emulate the next instruction, a mov
		 * whose last bytes, and the ret after it, are on PG_NX.
		 */
		static const u8 code[] = {
			0x0f, 0x0b, 'k', 'v', 'm',		/* forced emulation */
			0xb8, 0x78, 0x56, 0x34, 0x12,	/* mov $0x12345678, %eax */
			0xc3,				/* ret */
		};
		u8 *p = (u8 *)PAGE_GPA(PG_NX) - 7;

		*(u8 *)PAGE_GPA(PG_CODE) = 0xc3;	/* ud_isr()'s way out */
		memcpy(p, code, sizeof(code));
		r = ((u64 (*)(void))p)();
		__GUEST_ASSERT(r == 0 && g.uds == 1,
			       "emulated bytes of a page VTL0 may not execute: rax 0x%lx, #UD %lu",
			       r, g.uds);
		GUEST_SYNC(STAGE_TRIED);
		break;
	}
	case CASE_PMU:
		/* A counter VTL0 could read after VTL1 ran: none. */
		if (host_cpu_is_amd) {
			wrmsr(MSR_K7_PERFCTR0, 0x1234);
			GUEST_ASSERT_EQ(rdmsr(MSR_K7_PERFCTR0), 0);
		} else {
			GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_PMC0, 0x1234),
					GP_VECTOR);
		}
		/* Nor branches recorded: DEBUGCTL.LBR does not stick. */
		wrmsr_safe(MSR_IA32_DEBUGCTLMSR, DEBUGCTLMSR_LBR);
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_DEBUGCTLMSR) & DEBUGCTLMSR_LBR,
				0);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_PT_READ:
		/* As CASE_AD_BITS, with the page table no-access: #PF. */
		emulated_insb();
		GUEST_ASSERT_EQ(g.pfs, 1);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_AD_BITS:
		GUEST_ASSERT_EQ(emulated_insb(), 0);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_NMI_EXTINT:
		pic_init();
		vtl1_do(CMD_EVENTS);
		/* Back in VTL0: the NMI at once, IRQ 3 once VTL0 takes it. */
		GUEST_ASSERT_EQ(READ_ONCE(g.nmis[0]), 1);
		asm volatile("sti; nop; nop; cli" ::: "memory");
		GUEST_ASSERT_EQ(READ_ONCE(g.extints[0]), 1);
		GUEST_SYNC(STAGE_TRIED);
		break;
	case CASE_ASSIST:
		GUEST_ASSERT_EQ(set_reg(0, REG_VP_ASSIST, PAGE_GPA(PG_RO) | 1),
				ST_ACCESS_DENIED);
		GUEST_ASSERT_EQ(set_reg(0, REG_VP_ASSIST, PAGE_GPA(PG_NONE) | 1),
				ST_ACCESS_DENIED);
		/* Where VTL0 may write, it is VTL0's to set. */
		GUEST_ASSERT_EQ(set_reg(0, REG_VP_ASSIST, PAGE_GPA(PG_FREE) | 1),
				REPS(1));
		GUEST_SYNC(STAGE_TRIED);
		break;
	}
	GUEST_DONE();
}

/* VP 1 of CASE_RACE, in VTL0: its VSM status, written to RACE_GPA. */
static void guest_race(void)
{
	u64 *in = (u64 *)g.race_in_gva;

	in[0] = SELF;
	in[1] = (u32)-2;		/* VP index self, VTL0 */
	in[2] = REG_VP_STATUS;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), g.race_in_gpa,
				  RACE_GPA), REPS(1));
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
				    after, b, i, i == PG_RO ? "read-only" :
				    "protected", p[b], CANARY);
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

	vm = vm_create(test == CASE_RACE ? 2 : 1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	/*
	 * HvPostMessage gets past its first checks with the SynIC on, and
	 * VTL1 takes intercepts with it.
	 */
	if (test == CASE_HV_INPUT || test == CASE_OS_ID)
		vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_SYNIC2, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA,
				    TEST_SLOT, TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	memset(addr_gpa2hva(vm, TEST_GPA), CANARY, TEST_PAGES * PG);
	if (test == CASE_NX_SPLIT) {
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS_THP,
					    HUGE_GPA, HUGE_SLOT, HUGE_PAGES, 0);
		virt_map(vm, HUGE_GPA, HUGE_GPA, HUGE_PAGES);
		memset(addr_gpa2hva(vm, HUGE_GPA), CANARY, HUGE_PAGES * PG);
	}
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
	g.in_gva[0] = vsm_alloc_page(vm, &g.in_gpa[0]);
	g.in_gva[1] = vsm_alloc_page(vm, &g.in_gpa[1]);
	g.assist_gva = vsm_alloc_page(vm, &g.assist_gpa);
	g.simp_gva = vsm_alloc_page(vm, &g.simp_gpa);
	if (test == CASE_RACE) {
		g.race_in_gva = vsm_alloc_page(vm, &g.race_in_gpa);
		/* Left untouched: userfaultfd catches KVM's first write. */
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, RACE_GPA,
					    RACE_SLOT, 1, 0);
	}
	stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
	vsm_make_ctx(vcpu, &g.ctx, stack);
	g.ctx.vtl = 1;
	g.code_offsets = 0x10 | 0x20 << 12;
	g.test = test;
	sync_global_to_guest(vm, g);
	vm_install_exception_handler(vm, SELF_IPI_VECTOR, self_ipi_isr);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_isr);
	vm_install_exception_handler(vm, UD_VECTOR, ud_isr);
	vm_install_exception_handler(vm, PF_VECTOR, pf_isr);
	vm_install_exception_handler(vm, PIC_BASE + PIC_IRQ, pic_isr);

	run_to(vcpu, STAGE_READY);
	check_pages(vm, "set-up", PG_RO);
	return vcpu;
}

static const char *const case_names[NR_CASES] = {
	[CASE_PV_MSRS] = "KVM's PV MSRs refused, from the guest and the host",
	[CASE_KVM_HC] = "KVM's own hypercalls: -KVM_ENOSYS",
	[CASE_NESTED] = "nested virtualization refused: EFER.SVME",
	[CASE_TSC] = "reference TSC page: refused where denied, not updated once protected",
	[CASE_ASSIST] = "VP assist page through HvSetVpRegisters: ACCESS_DENIED",
	[CASE_NX_SPLIT] = "huge page split with nx_huge_pages: execute stays denied",
	[CASE_HV_INPUT] = "Hyper-V hypercall input only where VTL0 may read",
	[CASE_ASSIST_LATER] = "VP assist page protected after it was set: no longer written",
	[CASE_SMI] = "SMIs dropped or refused",
	[CASE_OS_ID] = "GUEST_OS_ID, HYPERCALL and REFERENCE_TSC are each VTL's own",
	[CASE_NMI_EXTINT] = "the host's NMI and PIC interrupts wait for VTL0",
	[CASE_RACE] = "a layer change waits for KVM's write checked before it",
	[CASE_AD_BITS] = "no A/D bits in a page table VTL1 made read-only",
	[CASE_FETCH] = "the emulator fetches only what VTL0 may execute",
	[CASE_PMU] = "no vPMU or LBR stack shared by the VTLs",
	[CASE_PDPTR] = "no PAE PDPTRs from a page VTL0 may not read",
	[CASE_PT_READ] = "no software page walk through a page table VTL0 may not read",
};

/* VTL0 in 32-bit PAE paging, its PDPT on a page VTL1 made no-access. */
static void pdptr(struct kvm_vcpu *vcpu)
{
	struct kvm_vtl_protection none = {
		.address = PAGE_GPA(PG_FREE), .size = PG, .vtl = 1, .prot = 0,
	};
	u64 *pdpt = addr_gpa2hva(vcpu->vm, PAGE_GPA(PG_FREE));
	struct kvm_sregs2 s2;
	struct kvm_sregs s;

	/* One present entry, its page directory at 4 KiB; three absent. */
	pdpt[0] = 0x1001;
	memset(&pdpt[1], 0, 3 * sizeof(*pdpt));
	vm_ioctl(vcpu->vm, KVM_SET_VTL_PROTECTION, &none);
	vcpu_sregs_get(vcpu, &s);
	s.cr0 = X86_CR0_PE | X86_CR0_PG;
	s.cr4 = X86_CR4_PAE;
	s.efer = 0;
	s.cr3 = PAGE_GPA(PG_FREE);
	s.cs.l = 0;
	s.cs.db = 1;
	vcpu_sregs_set(vcpu, &s);
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	TEST_ASSERT(!(s2.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) ||
		    s2.pdptrs[0] != 0x1001,
		    "PDPTR 0 read from a page VTL0 may not read: 0x%llx",
		    s2.pdptrs[0]);
}

static void *run_race_vp1(void *arg)
{
	TEST_ASSERT_EQ(vsm_run_to_ucall(arg), 0);
	return NULL;
}

static int race_vp0_done;

static void *run_race_vp0(void *arg)
{
	run_to(arg, STAGE_PROTECTED);
	WRITE_ONCE(race_vp0_done, 1);
	return NULL;
}

/*
 * VP 1 asks KVM to write RACE_GPA, which VTL0 may write; KVM checks and
 * writes, and the write waits in a userfaultfd fault. VP 0's VTL1 then
 * write-protects the page: its call must not return while the write,
 * checked against the old protection, is still to land.
 */
static void race(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	void *hva = addr_gpa2hva(vm, RACE_GPA);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (u64)hva, .len = PG },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_copy copy = { .dst = (u64)hva, .len = PG };
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t t0, t1;
	struct kvm_vcpu *vp1;
	static u8 zero[4096] __aligned(4096);
	int uffd, early;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	__TEST_REQUIRE(uffd >= 0, "userfaultfd: %s", strerror(errno));
	TEST_ASSERT(!ioctl(uffd, UFFDIO_API, &api), "UFFDIO_API");
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER");

	vp1 = vm_vcpu_add(vm, 1, guest_race);
	vcpu_set_hv_cpuid(vp1);
	/* VP 0's VTL1 is about to protect the page. */
	run_to(vcpu, STAGE_TRIED);
	pthread_create(&t1, NULL, run_race_vp1, vp1);
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	TEST_ASSERT(poll(&pfd, 1, 20000) == 1 &&
		    read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		    msg.event == UFFD_EVENT_PAGEFAULT,
		    "KVM's write of HvGetVpRegisters' output did not fault");
	pthread_create(&t0, NULL, run_race_vp0, vcpu);
	usleep(500000);
	early = READ_ONCE(race_vp0_done);
	copy.src = (u64)zero;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_COPY, &copy), "UFFDIO_COPY");
	pthread_join(t1, NULL);
	pthread_join(t0, NULL);
	TEST_ASSERT(!early,
		    "HvModifyVtlProtectionMask returned while KVM's write, checked against the old protection, was still to land");
	/* The write landed, as the status VTL0 was allowed to read. */
	TEST_ASSERT_EQ(*(u64 *)hva, 1ULL << 16);
	close(uffd);
}

static void write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	TEST_ASSERT(fd >= 0 && write(fd, val, strlen(val)) == strlen(val),
		    "writing '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

/*
 * The huge mapping is split when dirty logging starts (eager split); its
 * 4 KiB pages must not become executable, as nx_huge_pages would have
 * them, where VTL1 denied execute.
 */
static void nx_split(struct kvm_vcpu *vcpu)
{
	struct kvm_vtl_protection p = {
		.address = HUGE_EXEC_GPA, .size = PG, .vtl = 1, .prot = M_RWX,
	};
	struct kvm_run *run = vcpu->run;
	u64 huge;
	int r;

	run_to(vcpu, STAGE_TRIED);
	huge = vm_get_stat(vcpu->vm, "pages_2m");
	TEST_ASSERT(huge > 0, "no 2 MiB mapping to split (THP?)");
	vm_mem_region_set_flags(vcpu->vm, HUGE_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	TEST_ASSERT(vm_get_stat(vcpu->vm, "pages_2m") < huge,
		    "dirty logging split no 2 MiB mapping (kvm.eager_page_split?)");
	do {
		r = __vcpu_run(vcpu);
	} while (!r && run->exit_reason == KVM_EXIT_HYPERV);
	TEST_ASSERT(r == -1 && errno == EFAULT &&
		    run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
		    run->memory_fault.gpa == HUGE_EXEC_GPA &&
		    (run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_EXEC) &&
		    (run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_VTL),
		    "VTL0 ran code VTL1 made non-executable after a huge page split: want a memory fault exit, got %d errno %d exit %u",
		    r, errno, run->exit_reason);
	vm_ioctl(vcpu->vm, KVM_SET_VTL_PROTECTION, &p);
	run_to(vcpu, STAGE_PROTECTED);
}

/* One case in a VM of its own; a failed assertion ends the process. */
static void one_case(int test)
{
	struct kvm_vtl_protection free_none = {
		.address = PAGE_GPA(PG_FREE), .size = PG, .vtl = 1, .prot = 0,
	};
	struct kvm_vcpu_events events;
	struct kvm_vcpu *vcpu;

	/* Without SVM in the guest's CPUID, EFER.SVME proves nothing. */
	if (test == CASE_NESTED)
		__TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_SVM),
			       "SVM not offered to guests (kvm_amd nested=0?)");
	if (test == CASE_NX_SPLIT)
		write_param(NX_HUGE_PAGES, "force");
	if (test == CASE_FETCH)
		write_param(FEP, "1");
	vcpu = vm_with_vtl1(test);
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_clock_data clock = {};
	struct kvm_sregs sregs;

	switch (test) {
	case CASE_PV_MSRS:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, case_names[test], PG_RO);
		TEST_ASSERT(!_vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW,
					   PAGE_GPA(PG_RO) | KVM_MSR_EN),
			    "KVM_SET_MSRS of kvmclock in a VSM VM: accepted");
		TEST_ASSERT(!_vcpu_set_msr(vcpu, MSR_KVM_STEAL_TIME,
					   PAGE_GPA(PG_RO) | KVM_MSR_EN),
			    "KVM_SET_MSRS of steal time in a VSM VM: accepted");
		vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0);
		vcpu_set_msr(vcpu, MSR_KVM_PV_EOI_EN, 0);
		break;
	case CASE_NESTED:
		run_to(vcpu, STAGE_TRIED);
		vcpu_sregs_get(vcpu, &sregs);
		sregs.efer |= EFER_SVME;
		TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs) == -1 &&
			    errno == EINVAL,
			    "KVM_SET_SREGS with EFER.SVME in a VSM VM: accepted");
		TEST_ASSERT(!_vcpu_set_msr(vcpu, MSR_EFER, sregs.efer),
			    "KVM_SET_MSRS of EFER.SVME in a VSM VM: accepted");
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
		check_pages(vm, case_names[test], PG_TSC);
		break;
	case CASE_NX_SPLIT:
		nx_split(vcpu);
		break;
	case CASE_ASSIST_LATER:
		run_to(vcpu, STAGE_TRIED);
		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &free_none);
		memset(addr_gpa2hva(vm, PAGE_GPA(PG_FREE)), CANARY, PG);
		run_to(vcpu, STAGE_PROTECTED);
		check_pages(vm, "an interrupt for VTL0, its VP assist page protected",
			    PG_FREE);
		run_to(vcpu, STAGE_UPDATED);
		check_pages(vm, case_names[test], PG_FREE);
		break;
	case CASE_SMI:
		run_to(vcpu, STAGE_TRIED);
		vcpu_events_get(vcpu, &events);
		TEST_ASSERT(!events.smi.smm && !events.smi.pending,
			    "VTL0's self SMI: smm %u pending %u", events.smi.smm,
			    events.smi.pending);
		TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SMI, NULL) == -1 &&
			    errno == EINVAL, "KVM_SMI in a VSM VM: accepted");
		events.flags = KVM_VCPUEVENT_VALID_SMM;
		events.smi.pending = 1;
		TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events) == -1 &&
			    errno == EINVAL,
			    "KVM_SET_VCPU_EVENTS with an SMI in a VSM VM: accepted");
		break;
	case CASE_RACE:
		race(vcpu);
		break;
	case CASE_PT_READ: {
		u64 *pte = vm_get_page_table_entry(vm, PAGE_GPA(PG_FREE));
		struct kvm_vtl_protection none = {
			.address = addr_hva2gpa(vm, pte) & ~(PG - 1),
			.size = PG, .vtl = 1, .prot = 0,
		};

		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &none);
		run_to(vcpu, STAGE_TRIED);
		TEST_ASSERT(*(u8 *)addr_gpa2hva(vm, PAGE_GPA(PG_FREE)) == CANARY,
			    "KVM walked a page table VTL0 may not read and wrote");
		break;
	}
	case CASE_PDPTR:
		/* Host only: the guest does not run in that mode. */
		pdptr(vcpu);
		kvm_vm_free(vm);
		return;
	case CASE_FETCH: {
		struct kvm_vtl_protection nx = {
			.address = PAGE_GPA(PG_NX), .size = PG, .vtl = 1,
			.prot = M_R | M_W,
		};

		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &nx);
		run_to(vcpu, STAGE_TRIED);
		break;
	}
	case CASE_AD_BITS: {
		u64 *pte = vm_get_page_table_entry(vm, PAGE_GPA(PG_FREE));
		struct kvm_vtl_protection ro = {
			.address = addr_hva2gpa(vm, pte) & ~(PG - 1),
			.size = PG, .vtl = 1, .prot = M_R | M_X,
		};

		/* The leaf page table of PG_FREE, read-only for VTL0. */
		*pte &= ~(PTE_ACCESSED_MASK | PTE_DIRTY_MASK);
		vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &ro);
		run_to(vcpu, STAGE_TRIED);
		TEST_ASSERT(!(*pte & (PTE_ACCESSED_MASK | PTE_DIRTY_MASK)),
			    "KVM set A/D bits in a page table VTL0 may not write: PTE 0x%lx",
			    *pte);
		/* The write itself, to a page VTL0 may write, landed. */
		TEST_ASSERT(*(u8 *)addr_gpa2hva(vm, PAGE_GPA(PG_FREE)) != CANARY,
			    "rep insb wrote nothing");
		break;
	}
	case CASE_NMI_EXTINT:
		/* VTL1 runs: an NMI from the host, an edge on IRQ 3. */
		run_to(vcpu, STAGE_PROTECTED);
		vcpu_ioctl(vcpu, KVM_NMI, NULL);
		kvm_irq_line(vm, PIC_IRQ, 1);
		kvm_irq_line(vm, PIC_IRQ, 0);
		run_to(vcpu, STAGE_UPDATED);
		run_to(vcpu, STAGE_TRIED);
		break;
	default:
		run_to(vcpu, STAGE_TRIED);
		check_pages(vm, case_names[test], PG_RO);
	}
	run_to(vcpu, 0);
	kvm_vm_free(vm);
}

int main(void)
{
	char nx[16] = "", fep[16] = "";
	int test, status, fd;
	pid_t pid;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	fd = open(NX_HUGE_PAGES, O_RDONLY);
	TEST_ASSERT(fd >= 0 && read(fd, nx, sizeof(nx) - 1) > 0,
		    "reading %s: %s", NX_HUGE_PAGES, strerror(errno));
	close(fd);
	fd = open(FEP, O_RDONLY);
	TEST_ASSERT(fd >= 0 && read(fd, fep, sizeof(fep) - 1) > 0,
		    "reading %s: %s", FEP, strerror(errno));
	close(fd);

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
		if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
			ksft_test_result_skip("%s\n", case_names[test]);
		else
			ksft_test_result(WIFEXITED(status) &&
					 !WEXITSTATUS(status),
					 "%s\n", case_names[test]);
	}
	write_param(NX_HUGE_PAGES, nx);
	write_param(FEP, fep);
	ksft_finished();
}
