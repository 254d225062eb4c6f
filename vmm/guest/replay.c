// SPDX-License-Identifier: GPL-2.0
/*
 * The VBS boot replay guest: what Windows' loader and secure kernel do
 * when they turn VSM on, then a VTL0 workload, timed with the TSC.
 *
 * VP 0's VTL0 enables VTL1 for the partition and its VP and enters it.
 * VTL1 enables its SynIC, sets VsmPartitionConfig (EnableVtlProtection,
 * default RWX) and protects pages with HvModifyVtlProtectionMask in the
 * shapes of a real boot: many single pages made read-execute (code
 * integrity), some long read-only runs, in calls of up to 510 pages. It
 * enables VTL1 on the other VPs and returns. Every VP's VTL0 then writes
 * protected pages, each write a secure intercept that VTL1 answers by
 * granting access, and times VTL call and return round trips. VTL1 takes
 * each intercept as the secure kernels do: a SynIC message in SINT0's
 * slot, whose interrupt (vtl_entry_reason Interrupt) its handler serves.
 *
 * In bench mode VP 0's VTL1 instead applies the same changes in batches
 * of each size, in the kernel or through the VMM, and VTL0 times the
 * round trip done by the VMM as well. Results go to the boot page; the
 * VMM reads them when every VP has written VSM_PORT_DONE.
 */
#include <stddef.h>
#include <stdint.h>

/* The selftests' x86 and Hyper-V definitions and accessors: header only. */
#include "processor.h"
#include "apic.h"
#include "hyperv.h"

#include "../vsm_boot_page.h"
#include "vtl_switch.h"

#define PG			4096ull
#define BOOT			((struct vsm_boot *)VSM_BOOT_GPA)
#define REPS(n)			((u64)(n) << HV_HYPERCALL_REP_COMP_OFFSET)
#define MAP_R			KVM_VTL_PROT_READ
#define MAP_RX			(KVM_VTL_PROT_READ | KVM_VTL_PROT_KEXEC | \
				 KVM_VTL_PROT_UEXEC)
#define MAP_RWX			(MAP_RX | KVM_VTL_PROT_WRITE)

enum { CMD_NONE, CMD_BOOT, CMD_BENCH, CMD_VMM_TRIPS };

/* VTL1's SINT0 vector: secure intercepts. */
#define ICPT_VECTOR		0xd4


void _start(void);
void guest_main(void);
void vtl1_main(void);
void vtl1_entry(void);
void vtl1_sint0(void);
void vtl1_sint0_stub(void);
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

extern char __image_end[];

__attribute__((section(".header"), used))
static const struct vsm_image_header header = {
	.magic = VSM_IMAGE_MAGIC,
	.version = VSM_IMAGE_VERSION,
	.entry = (u64)_start,
	.size = (u64)__image_end - VSM_IMAGE_LOAD,
};

/*
 * The host's part, where it is not our VMM: vmm/guest/qemu_boot.c under
 * QEMU overrides these. replay_host_vmm(): whether the VMM's ports and
 * extended hypercall exist. replay_host_ready(): a VP's VTL1 is set up,
 * before its workload. replay_host_done(): the VP is done or failed.
 */
int replay_host_vmm(void);
void replay_host_ready(u64 vp);
void replay_host_done(u64 vp);

__attribute__((weak)) int replay_host_vmm(void)
{
	return 1;
}

__attribute__((weak)) void replay_host_ready(u64 vp)
{
}

__attribute__((weak)) void replay_host_done(u64 vp)
{
}

static struct vtl_gprs vtl0_regs[VSM_MAX_VCPUS];
static volatile int cmd[VSM_MAX_VCPUS];
static u64 code_offsets;
static u64 rng;

/* The VMM sets RSP to the VP's VTL0 stack. */
asm(".pushsection .text.start, \"ax\"\n"
    ".global _start\n"
    "_start:\n"
    "	call guest_main\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    ".global vtl1_entry\n"
    "vtl1_entry:\n"
    "	call vtl1_main\n"
    "	ud2\n"
    /* VTL1's SINT0 interrupt: the caller-saved GPRs around a C handler. */
    ".global vtl1_sint0_stub\n"
    "vtl1_sint0_stub:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rdx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	push %r8\n"
    "	push %r9\n"
    "	push %r10\n"
    "	push %r11\n"
    "	call vtl1_sint0\n"
    "	pop %r11\n"
    "	pop %r10\n"
    "	pop %r9\n"
    "	pop %r8\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rdx\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    ".popsection\n");

/* VTL1's IDT: only SINT0's vector is present. */
static struct {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, rsvd;
} __attribute__((aligned(16))) vtl1_idt[256];

void *memset(void *s, int c, size_t n)
{
	u8 *p = s;

	while (n--)
		*p++ = c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/*
 * processor.h's outl() has no memory clobber: the VMM reads the boot page
 * when it sees the port write, so the stores before it must be done.
 */
static inline void vsm_outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static u64 vp_page(u64 vp, int page)
{
	return VSM_VP_GPA + (vp * VSM_VP_PAGES + page) * PG;
}

static u64 vp_index(void)
{
	return rdmsr(HV_X64_MSR_VP_INDEX);
}

static void fail(const char *msg)
{
	int i;

	for (i = 0; msg[i] && i < (int)sizeof(BOOT->error) - 1; i++)
		BOOT->error[i] = msg[i];
	/* The message before the flag another VP may print it on. */
	asm volatile("" ::: "memory");
	BOOT->failed = 1;
	vsm_outl(VSM_PORT_DONE, 0xffff);
	replay_host_done(vp_index());
	for (;;)
		asm volatile("hlt");
}

/* A hypercall through the hypercall page; returns the result. */
u64 hcall(u64 control, u64 in, u64 out);

u64 hcall(u64 control, u64 in, u64 out)
{
	register u64 r8 asm("r8") = out;
	u64 status;

	asm volatile("call *%[page]"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [page] "r"(VSM_HCALL_GPA)
		     : "memory", "cc", "r9", "r10", "r11");
	return status;
}

static u64 entry(int ret)
{
	return VSM_HCALL_GPA + (code_offsets >> (ret ? 12 : 0) & 0xfff);
}

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * HvModifyVtlProtectionMask (or the VMM's stand-in) on a list of @n pages,
 * from the VP's input page; counted in the boot's totals with @count.
 */
static void protect(u64 vp, u64 *list, u64 n, u8 prot, u16 code, int count)
{
	u64 *in = (u64 *)vp_page(vp, VSM_VP_INPUT), r;

	if (!n)
		return;
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = prot;
	if (list != &in[2])
		memcpy(&in[2], list, n * 8);
	r = hcall(code | REPS(n), vp_page(vp, VSM_VP_INPUT), 0);
	if ((r & 0xffff) || (code == HVCALL_MODIFY_VTL_PROTECTION_MASK && r != REPS(n)))
		fail("HvModifyVtlProtectionMask failed");
	if (count) {
		BOOT->calls++;
		BOOT->protected += n;
	}
}

/* The protection lists of the replay, one per protection. */
struct list {
	u8 prot;
	u64 n;
	u64 gpn[510];
};

static struct list rx_list = { .prot = MAP_RX };
static struct list r_list = { .prot = MAP_R };

static void add(struct list *l, u64 gpn)
{
	l->gpn[l->n++] = gpn;
	if (l->n == 510) {
		protect(0, l->gpn, l->n, l->prot, HVCALL_MODIFY_VTL_PROTECTION_MASK, 1);
		l->n = 0;
	}
}

static u64 touch_base(void)
{
	return (VSM_DATA_GPA >> 12) + BOOT->data_pages -
	       BOOT->touches * BOOT->nr_vcpus;
}

/* VsmPartitionConfig: EnableVtlProtection, default RWX. */
static void vtl1_enable_protection(void)
{
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT);

	in[0] = HV_PARTITION_ID_SELF;
	in[1] = HV_VP_INDEX_SELF;
	memset(&in[2], 0, 32);
	in[2] = HV_REGISTER_VSM_PARTITION_CONFIG;
	in[4] = HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
		HV_VSM_CONFIG_DEFAULT_PROT(MAP_RWX);
	if (hcall(HVCALL_SET_VP_REGISTERS | REPS(1), vp_page(0, VSM_VP_INPUT), 0) !=
	    REPS(1))
		fail("VsmPartitionConfig");
}

/*
 * The secure kernel's boot: EnableVtlProtection with default RWX, then
 * BOOT->pages protections: single pages read-execute, one in 128 a run of
 * 16-271 read-only pages (about half the pages each), in calls of up to
 * 510 pages. The pages each
 * VP's VTL0 will touch end the list, read-only.
 */
static void vtl1_boot(void)
{
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT), span, gpn, i, n, start;
	u64 issued = 0, touch = BOOT->touches * BOOT->nr_vcpus;
	struct hv_init_vp_context *ctx;

	vtl1_enable_protection();
	rng = BOOT->seed | 1;
	span = BOOT->data_pages - touch;
	start = rdtsc();
	while (issued + touch < BOOT->pages) {
		if (!(rnd() & 127)) {
			n = 16 + rnd() % 256;
			gpn = rnd() % (span - n);
			for (i = 0; i < n; i++)
				add(&r_list, (VSM_DATA_GPA >> 12) + gpn + i);
			BOOT->runs++;
			issued += n;
		} else {
			add(&rx_list, (VSM_DATA_GPA >> 12) + rnd() % span);
			BOOT->singles++;
			issued++;
		}
	}
	for (i = 0; i < touch; i++)
		add(&r_list, touch_base() + i);
	protect(0, rx_list.gpn, rx_list.n, rx_list.prot, HVCALL_MODIFY_VTL_PROTECTION_MASK, 1);
	protect(0, r_list.gpn, r_list.n, r_list.prot, HVCALL_MODIFY_VTL_PROTECTION_MASK, 1);
	BOOT->protect_cycles = rdtsc() - start;

	/* VTL1 on the other VPs, each on its own stack. */
	for (i = 1; i < BOOT->nr_vcpus; i++) {
		in = (u64 *)vp_page(0, VSM_VP_INPUT);
		in[0] = HV_PARTITION_ID_SELF;
		in[1] = i | 1ull << 32;
		ctx = (struct hv_init_vp_context *)&in[2];
		*ctx = BOOT->ctx;
		ctx->rip = (u64)vtl1_entry;
		ctx->rsp = vp_page(i, VSM_VP_STACK1 + 4);
		if (hcall(HVCALL_ENABLE_VP_VTL, vp_page(0, VSM_VP_INPUT), 0))
			fail("HvEnableVpVtl for another VP");
	}
}

/* Each batch size, every page made read-only and back, (a), (b) or (c). */
static void vtl1_bench(void)
{
	static const u8 prots[2] = { MAP_R, MAP_RWX };
	u16 code = BOOT->apply == VSM_APPLY_KERNEL ? HVCALL_MODIFY_VTL_PROTECTION_MASK :
						     VSM_HCALL_VMM_PROTECT;
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT), i, k, n, t;
	struct vsm_batch_result *r;
	u32 b, p;

	for (b = 0; b < BOOT->nr_batches; b++) {
		for (p = 0; p < 2; p++) {
			r = &BOOT->bench[2 * b + p];
			r->batch = BOOT->batches[b];
			r->prot = prots[p];
			t = rdtsc();
			for (i = 0; i < BOOT->pages; i += n) {
				n = BOOT->pages - i < r->batch ?
				    BOOT->pages - i : r->batch;
				for (k = 0; k < n; k++)
					in[2 + k] = (VSM_DATA_GPA >> 12) +
						    2 * (i + k);
				protect(0, &in[2], n, prots[p], code, 0);
				r->calls++;
			}
			r->cycles = rdtsc() - t;
			r->pages = BOOT->pages;
		}
	}
}

/*
 * VTL1's SINT0 handler: a secure intercept's message in the slot. VTL1
 * grants the access, frees the slot, EOMs and EOIs.
 */
void vtl1_sint0(void)
{
	u64 vp = vp_index();
	struct hv_message_header *h = (void *)vp_page(vp, VSM_VP_SIMP1);
	const struct hv_x64_memory_intercept_message *mi = (void *)(h + 1);
	u64 gpn = mi->guest_physical_address >> 12;

	if (h->message_type != HVMSG_GPA_INTERCEPT)
		fail("SINT0 interrupt without an intercept message");
	protect(vp, &gpn, 1, MAP_RWX, HVCALL_MODIFY_VTL_PROTECTION_MASK, 0);
	h->message_type = 0;
	wrmsr(HV_X64_MSR_EOM, 0);
	wrmsr(APIC_BASE_MSR + (APIC_EOI >> 4), 0);
	BOOT->vp[vp].intercepts++;
}

/*
 * VTL1's interrupts: its own IDT with SINT0's handler, its own local
 * APIC in x2APIC mode, software-enabled, and SINT0 unmasked.
 */
static void vtl1_irq_init(void)
{
	u64 stub = (u64)vtl1_sint0_stub;
	struct desc_ptr idtr = {
		.size = sizeof(vtl1_idt) - 1,
		.address = (u64)vtl1_idt,
	};
	u16 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	vtl1_idt[ICPT_VECTOR].off0 = stub;
	vtl1_idt[ICPT_VECTOR].sel = cs;
	vtl1_idt[ICPT_VECTOR].type = 0x8e;	/* present, interrupt gate */
	vtl1_idt[ICPT_VECTOR].off1 = stub >> 16;
	vtl1_idt[ICPT_VECTOR].off2 = stub >> 32;
	asm volatile("lidt %0" : : "m"(idtr));
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) |
	      MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE);
	wrmsr(APIC_BASE_MSR + (APIC_SPIV >> 4), APIC_SPIV_APIC_ENABLED | 0xff);
	wrmsr(HV_X64_MSR_SINT0, ICPT_VECTOR);
}

void vtl1_main(void)
{
	u64 vp = vp_index();
	struct hv_vp_assist_page *a = (struct hv_vp_assist_page *)vp_page(vp, VSM_VP_ASSIST1);

	/* GUEST_OS_ID and HYPERCALL are VTL1's own (TLFS). */
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, VSM_HCALL_GPA | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, vp_page(vp, VSM_VP_ASSIST1) | 1);
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, vp_page(vp, VSM_VP_SIMP1) | 1);
	vtl1_irq_init();
	for (;;) {
		if (*(volatile u32 *)vp_page(vp, VSM_VP_SIMP1)) {
			/* An intercept: SINT0's interrupt brought VTL1 in. */
			if (a->vtl_entry_reason != HV_VTL_ENTRY_INTERRUPT)
				fail("secure intercept without entry reason Interrupt");
			asm volatile("sti; nop; cli" ::: "memory");
		} else {
			switch (cmd[vp]) {
			case CMD_BOOT:
				vtl1_boot();
				break;
			case CMD_BENCH:
				vtl1_enable_protection();
				vtl1_bench();
				break;
			case CMD_VMM_TRIPS:
				/* From now on the VMM switches VTLs. */
				for (;;)
					vsm_outl(VSM_PORT_VMM_RETURN, 0);
			}
		}
		a->vtl_ret_x64rax = vtl0_regs[vp].rax;
		a->vtl_ret_x64rcx = vtl0_regs[vp].rcx;
		a->vtl_entry_reason = 0;
		vtl1_leave(entry(1), &vtl0_regs[vp]);
	}
}

/* VP 0: enable VTL1 for the partition and this VP. */
static void vtl0_enable(void)
{
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT), *out;
	struct hv_init_vp_context *ctx;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, VSM_HCALL_GPA | 1);

	in[0] = HV_PARTITION_ID_SELF;
	in[1] = HV_VP_INDEX_SELF;
	in[2] = HV_REGISTER_VSM_CODE_PAGE_OFFSETS;
	out = (u64 *)vp_page(0, VSM_VP_OUTPUT);
	if (hcall(HVCALL_GET_VP_REGISTERS | REPS(1), vp_page(0, VSM_VP_INPUT),
		  vp_page(0, VSM_VP_OUTPUT)) != REPS(1))
		fail("HvGetVpRegisters(VsmCodePageOffsets)");
	code_offsets = out[0];

	in[0] = HV_PARTITION_ID_SELF;
	in[1] = 1;
	if (hcall(HVCALL_ENABLE_PARTITION_VTL, vp_page(0, VSM_VP_INPUT), 0))
		fail("HvEnablePartitionVtl");
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = 1ull << 32;
	ctx = (struct hv_init_vp_context *)&in[2];
	*ctx = BOOT->ctx;
	ctx->rip = (u64)vtl1_entry;
	ctx->rsp = vp_page(0, VSM_VP_STACK1 + 4);
	if (hcall(HVCALL_ENABLE_VP_VTL, vp_page(0, VSM_VP_INPUT), 0))
		fail("HvEnableVpVtl");

	if (!replay_host_vmm())
		return;
	/* The VMM's protection call is VTL1's: VTL0 gets ACCESS_DENIED. */
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = MAP_RWX;
	in[2] = VSM_HCALL_GPA >> 12;
	if (hcall(VSM_HCALL_VMM_PROTECT | REPS(1), vp_page(0, VSM_VP_INPUT),
		  0) != 6)
		fail("the VMM changed VTL1's protections for VTL0");
}

/* VTL0 writes its protected pages: each one an intercept to VTL1. */
static void vtl0_touch(u64 vp)
{
	u64 i, t, before;
	volatile u64 *p;

	for (i = 0; i < BOOT->touches; i++) {
		p = (volatile u64 *)((touch_base() + vp * BOOT->touches + i) *
				     PG);
		before = BOOT->vp[vp].intercepts;
		t = rdtsc();
		*p = i;
		BOOT->vp[vp].intercept_cycles += rdtsc() - t;
		if (BOOT->vp[vp].intercepts != before + 1 || *p != i)
			fail("a write to a protected page was not intercepted once");
	}
}

static void vtl0_trips(u64 vp)
{
	u64 i, t, rcx;

	cmd[vp] = CMD_NONE;
	t = rdtsc();
	for (i = 0; i < BOOT->trips; i++)
		vsm_switch(entry(0), 0, &rcx);
	BOOT->vp[vp].trip_cycles = rdtsc() - t;
	BOOT->vp[vp].trips = BOOT->trips;
}

/*
 * The floor of a round trip: two hypercalls that KVM answers in the
 * kernel without doing anything (a reserved call code, refused with
 * HV_STATUS_INVALID_HYPERCALL_CODE): two exits and two entries, as a VTL
 * call and return take, with nothing switched.
 */
#define HVCALL_RESERVED	0x0000

static void vtl0_floor_trips(u64 vp)
{
	u64 i, t;

	if (hcall(HVCALL_RESERVED, 0, 0) != HV_STATUS_INVALID_HYPERCALL_CODE)
		fail("a reserved hypercall code was not refused");
	t = rdtsc();
	for (i = 0; i < BOOT->trips; i++) {
		hcall(HVCALL_RESERVED, 0, 0);
		hcall(HVCALL_RESERVED, 0, 0);
	}
	BOOT->vp[vp].floor_trip_cycles = rdtsc() - t;
	BOOT->vp[vp].floor_trips = BOOT->trips;
}

/* The same round trip, switched by the VMM through KVM's state ioctls. */
static void vtl0_vmm_trips(u64 vp)
{
	u64 i, t, rcx;

	cmd[vp] = CMD_VMM_TRIPS;
	vsm_switch(entry(0), 0, &rcx);
	t = rdtsc();
	for (i = 0; i < BOOT->trips; i++)
		vsm_outl(VSM_PORT_VMM_CALL, 0);
	BOOT->vp[vp].vmm_trip_cycles = rdtsc() - t;
	BOOT->vp[vp].vmm_trips = BOOT->trips;
}

void guest_main(void)
{
	u64 vp = vp_index(), rcx;

	/*
	 * x2APIC mode, as VTL1's APIC: a VTL switch between APICs in
	 * different modes costs KVM an APIC mode change each time.
	 */
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | X2APIC_ENABLE);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, vp_page(vp, VSM_VP_ASSIST0) | 1);
	if (vp == 0) {
		vtl0_enable();
		cmd[0] = BOOT->mode == VSM_MODE_BENCH ? CMD_BENCH : CMD_BOOT;
		vsm_switch(entry(0), 0, &rcx);
		BOOT->boot_done = 1;
	} else {
		while (!BOOT->boot_done)
			asm volatile("pause");
		/* The first entry of this VP's VTL1 sets it up. */
		cmd[vp] = CMD_NONE;
		vsm_switch(entry(0), 0, &rcx);
	}
	replay_host_ready(vp);

	if (BOOT->mode == VSM_MODE_REPLAY)
		vtl0_touch(vp);
	if (!(BOOT->skip_trips & VSM_TRIPS_KERNEL))
		vtl0_trips(vp);
	if (BOOT->mode == VSM_MODE_BENCH && vp == 0) {
		if (!(BOOT->skip_trips & VSM_TRIPS_FLOOR))
			vtl0_floor_trips(vp);
		if (!(BOOT->skip_trips & VSM_TRIPS_VMM))
			vtl0_vmm_trips(vp);
	}
	BOOT->vp[vp].done = 1;
	vsm_outl(VSM_PORT_DONE, vp);
	replay_host_done(vp);
	for (;;)
		asm volatile("hlt");
}
