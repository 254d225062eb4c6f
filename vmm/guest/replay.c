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
 * granting access, and times VTL call and return round trips.
 *
 * In bench mode VP 0's VTL1 instead applies the same changes in batches
 * of each size, in the kernel or through the VMM, and VTL0 times the
 * round trip done by the VMM as well. Results go to the boot page; the
 * VMM reads them when every VP has written VSM_PORT_DONE.
 */
#include <stddef.h>
#include <stdint.h>

#include "../vsm_boot.h"
#include "vtl_switch.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define PG			4096ull
#define BOOT			((struct vsm_boot *)VSM_BOOT_GPA)

#define MSR_GUEST_OS_ID		0x40000000
#define MSR_HYPERCALL		0x40000001
#define MSR_VP_INDEX		0x40000002
#define MSR_SCONTROL		0x40000080
#define MSR_SIMP		0x40000083
#define MSR_EOM			0x40000084
#define MSR_VP_ASSIST		0x40000073

#define HVCALL_MODIFY		0x000c
#define HVCALL_ENABLE_PART	0x000d
#define HVCALL_ENABLE_VP	0x000f
#define HVCALL_GET_REGS		0x0050
#define HVCALL_SET_REGS		0x0051
#define REPS(n)			((u64)(n) << 32)
#define SELF			(~0ull)
#define REG_CODE_OFFSETS	0x000d0002
#define REG_PARTITION_CONFIG	0x000d0007
#define MAP_R			0x1
#define MAP_RWX			0xf
#define MAP_RX			0xd
#define ENTRY_INTERCEPT		3
#define MSG_GPA_INTERCEPT	0x80000001u

enum { CMD_NONE, CMD_BOOT, CMD_BENCH, CMD_VMM_TRIPS };


void _start(void);
void guest_main(void);
void vtl1_main(void);
void vtl1_entry(void);
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
    ".popsection\n");

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

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}

static u64 vp_page(u64 vp, int page)
{
	return VSM_VP_GPA + (vp * VSM_VP_PAGES + page) * PG;
}

static void fail(const char *msg)
{
	int i;

	for (i = 0; msg[i] && i < (int)sizeof(BOOT->error) - 1; i++)
		BOOT->error[i] = msg[i];
	BOOT->failed = 1;
	outl(VSM_PORT_DONE, 0xffff);
	for (;;)
		asm volatile("hlt");
}

/* A hypercall through the hypercall page; returns the result. */
static u64 hcall(u64 control, u64 in, u64 out)
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

static u64 vp_index(void)
{
	return rdmsr(MSR_VP_INDEX);
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
	in[0] = SELF;
	in[1] = prot;
	if (list != &in[2])
		memcpy(&in[2], list, n * 8);
	r = hcall(code | REPS(n), vp_page(vp, VSM_VP_INPUT), 0);
	if ((r & 0xffff) || (code == HVCALL_MODIFY && r != REPS(n)))
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
		protect(0, l->gpn, l->n, l->prot, HVCALL_MODIFY, 1);
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

	in[0] = SELF;
	in[1] = (u32)-2;
	memset(&in[2], 0, 32);
	in[2] = REG_PARTITION_CONFIG;
	in[4] = 1 | MAP_RWX << 1;
	if (hcall(HVCALL_SET_REGS | REPS(1), vp_page(0, VSM_VP_INPUT), 0) !=
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
	struct vsm_vp_context *ctx;

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
	protect(0, rx_list.gpn, rx_list.n, rx_list.prot, HVCALL_MODIFY, 1);
	protect(0, r_list.gpn, r_list.n, r_list.prot, HVCALL_MODIFY, 1);
	BOOT->protect_cycles = rdtsc() - start;

	/* VTL1 on the other VPs, each on its own stack. */
	for (i = 1; i < BOOT->nr_vcpus; i++) {
		in = (u64 *)vp_page(0, VSM_VP_INPUT);
		in[0] = SELF;
		in[1] = i | 1ull << 32;
		ctx = (struct vsm_vp_context *)&in[2];
		*ctx = BOOT->ctx;
		ctx->rip = (u64)vtl1_entry;
		ctx->rsp = vp_page(i, VSM_VP_STACK1 + 4);
		if (hcall(HVCALL_ENABLE_VP, vp_page(0, VSM_VP_INPUT), 0))
			fail("HvEnableVpVtl for another VP");
	}
}

/* Each batch size, every page made read-only and back, (a), (b) or (c). */
static void vtl1_bench(void)
{
	static const u8 prots[2] = { MAP_R, MAP_RWX };
	u16 code = BOOT->apply == VSM_APPLY_KERNEL ? HVCALL_MODIFY :
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

static void vtl1_intercept(u64 vp, struct vsm_vp_assist *a)
{
	u32 *slot = (u32 *)vp_page(vp, VSM_VP_SIMP1);
	u32 type = *(u32 *)a->intercept_message;
	/* The message's payload after its 16-byte header; the GPA at 0x38. */
	u64 gpn = *(u64 *)(a->intercept_message + 16 + 0x38) >> 12;

	if (type != MSG_GPA_INTERCEPT || *slot != MSG_GPA_INTERCEPT)
		fail("secure intercept without its message");
	*slot = 0;
	wrmsr(MSR_EOM, 0);
	protect(vp, &gpn, 1, MAP_RWX, HVCALL_MODIFY, 0);
	BOOT->vp[vp].intercepts++;
}

void vtl1_main(void)
{
	u64 vp = vp_index();
	struct vsm_vp_assist *a = (struct vsm_vp_assist *)vp_page(vp, VSM_VP_ASSIST1);

	/* GUEST_OS_ID and HYPERCALL are VTL1's own (TLFS). */
	wrmsr(MSR_GUEST_OS_ID, 0x8100ull << 48);
	wrmsr(MSR_HYPERCALL, VSM_HCALL_GPA | 1);
	wrmsr(MSR_VP_ASSIST, vp_page(vp, VSM_VP_ASSIST1) | 1);
	wrmsr(MSR_SCONTROL, 1);
	wrmsr(MSR_SIMP, vp_page(vp, VSM_VP_SIMP1) | 1);
	for (;;) {
		if (a->entry_reason == ENTRY_INTERCEPT) {
			vtl1_intercept(vp, a);
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
					outl(VSM_PORT_VMM_RETURN, 0);
			}
		}
		a->ret_rax = vtl0_regs[vp].rax;
		a->ret_rcx = vtl0_regs[vp].rcx;
		a->entry_reason = 0;
		vtl1_leave(entry(1), &vtl0_regs[vp]);
	}
}

/* VP 0: enable VTL1 for the partition and this VP. */
static void vtl0_enable(void)
{
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT), *out;
	struct vsm_vp_context *ctx;

	wrmsr(MSR_GUEST_OS_ID, 0x8100ull << 48);
	wrmsr(MSR_HYPERCALL, VSM_HCALL_GPA | 1);

	in[0] = SELF;
	in[1] = (u32)-2;
	in[2] = REG_CODE_OFFSETS;
	out = (u64 *)vp_page(0, VSM_VP_OUTPUT);
	if (hcall(HVCALL_GET_REGS | REPS(1), vp_page(0, VSM_VP_INPUT),
		  vp_page(0, VSM_VP_OUTPUT)) != REPS(1))
		fail("HvGetVpRegisters(VsmCodePageOffsets)");
	code_offsets = out[0];

	in[0] = SELF;
	in[1] = 1;
	if (hcall(HVCALL_ENABLE_PART, vp_page(0, VSM_VP_INPUT), 0))
		fail("HvEnablePartitionVtl");
	in[0] = SELF;
	in[1] = 1ull << 32;
	ctx = (struct vsm_vp_context *)&in[2];
	*ctx = BOOT->ctx;
	ctx->rip = (u64)vtl1_entry;
	ctx->rsp = vp_page(0, VSM_VP_STACK1 + 4);
	if (hcall(HVCALL_ENABLE_VP, vp_page(0, VSM_VP_INPUT), 0))
		fail("HvEnableVpVtl");

	/* The VMM's protection call is VTL1's: VTL0 gets ACCESS_DENIED. */
	in[0] = SELF;
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

/* The same round trip, switched by the VMM through KVM's state ioctls. */
static void vtl0_vmm_trips(u64 vp)
{
	u64 i, t, rcx;

	cmd[vp] = CMD_VMM_TRIPS;
	vsm_switch(entry(0), 0, &rcx);
	t = rdtsc();
	for (i = 0; i < BOOT->trips; i++)
		outl(VSM_PORT_VMM_CALL, 0);
	BOOT->vp[vp].vmm_trip_cycles = rdtsc() - t;
	BOOT->vp[vp].vmm_trips = BOOT->trips;
}

void guest_main(void)
{
	u64 vp = vp_index(), rcx;

	wrmsr(MSR_VP_ASSIST, vp_page(vp, VSM_VP_ASSIST0) | 1);
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

	if (BOOT->mode == VSM_MODE_REPLAY)
		vtl0_touch(vp);
	vtl0_trips(vp);
	if (BOOT->mode == VSM_MODE_BENCH && vp == 0)
		vtl0_vmm_trips(vp);
	BOOT->vp[vp].done = 1;
	outl(VSM_PORT_DONE, vp);
	for (;;)
		asm volatile("hlt");
}
