// SPDX-License-Identifier: GPL-2.0
/*
 * A guest for QEMU with hv-vsm: a multiboot image (QEMU's -kernel) that
 * runs on one VP and tells through COM1 what it found.
 *
 * VTL0 checks that the CPUID leaves offer VSM (AccessVsm,
 * AccessVpRegisters, StartVirtualProcessor), enables VTL1 for the
 * partition and its VP and calls it. VTL1 turns on VTL protections, makes
 * one page read-only for VTL0, enables its SynIC (no SINT: it takes no
 * intercepts) and returns. VTL0 says "ready" and waits for a key on the
 * PS/2 keyboard (the test may save or migrate the VM meanwhile), then
 * calls VTL1 again, which checks that its registers, MSRs and SynIC are
 * as it left them, and waits for a key itself, so that the VM is saved
 * again with VTL1 active; then each VTL checks its own local APIC, one
 * register set apart in each. VTL0 then writes the page: no VTL can take that
 * access, so KVM exits with KVM_EXIT_MEMORY_FAULT and QEMU must stop the
 * VM. Whatever goes wrong, the guest says so and exits through
 * isa-debug-exit.
 *
 * When QEMU has the fw_cfg file opt/vsm/dma (-fw_cfg), VTL0 also reads it
 * by fw_cfg DMA into the read-only page, which must fail with the page
 * unchanged, and into an open page, which must work: after VTL1 protected
 * the page, and again after the VM was migrated twice.
 *
 * With "mode=dma-bench", VTL1 also protects the last page of each 2 MiB
 * block of a second region, and VTL0 times fw_cfg DMA into an open region
 * and into that one, then exits; without VSM in CPUID it times the same
 * DMA with no VTL set up (tests/qemu/qemu_dma_bench).
 *
 * With "mode=s3" on its command line (QEMU's -append) VTL0 instead asks
 * for S3 once VTL1 protected the page, which QEMU must refuse; with
 * "mode=smi" it writes the APM control port, which raises an SMI on a
 * q35 without SMM, 100 times, and exits; with "mode=mbec" it prints
 * VsmCapabilities' MbecVtlMask and the status of HvEnablePartitionVtl of
 * VTL1 with EnableMbec, and exits.
 */
#include <stddef.h>
#include <stdint.h>

#include "processor.h"
#include "hyperv.h"

#include "pc_io.h"
#include "vtl_switch.h"

#define PG		4096
#define REPS(n)		((u64)(n) << HV_HYPERCALL_REP_COMP_OFFSET)
#define MAP_R		KVM_VTL_PROT_READ
#define MAP_RWX		(KVM_VTL_PROT_READ | KVM_VTL_PROT_WRITE | \
			 KVM_VTL_PROT_KEXEC | KVM_VTL_PROT_UEXEC)
#define APIC_SVR	0xfee000f0	/* xAPIC spurious vector register */
#define VTL0_SVR	0x1fe
#define VTL1_SVR	0x1e7
#define APM_CNT		0xb2
#define VSM_CONFIG	(HV_VSM_CONFIG_ENABLE_VTL_PROTECTION | \
			 HV_VSM_CONFIG_DEFAULT_PROT(MAP_RWX))
#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511
#define FW_CFG_DMA_HI	0x514	/* big-endian; the low half starts it */
#define FW_CFG_DMA_LO	0x518
#define FW_CFG_FILE_DIR	0x19
#define FW_CFG_DMA_ERROR	0x01
#define FW_CFG_DMA_READ		0x02
#define FW_CFG_DMA_SELECT	0x08
#define DMA_FILE	"opt/vsm/dma"
#define BENCH_FILE	"opt/vsm/bench"
#define BLOCK		0x200000ull	/* 2 MiB */
#define BENCH_OPEN	0x1000000ull	/* blocks VTL0 may wholly access */
#define BENCH_MIXED	0x2000000ull	/* one page of each block protected */
#define BENCH_BLOCKS	8
#define DEBUG_EXIT	0xf4	/* isa-debug-exit: QEMU exits with 2 * v + 1 */
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS		0x18

void mb_main(void);
void *memset(void *s, int c, size_t n);
void vtl1_entry(void);
void vtl1_main(void);

/* Set up by the entry code in multiboot.S. */
extern u64 mb_gdt[];
extern u8 mb_tss[];
extern u32 mb_info;	/* the multiboot information's address */

static u8 hcall_page[PG] __attribute__((aligned(PG)));
static u8 in_page[PG] __attribute__((aligned(PG)));
static u8 out_page[PG] __attribute__((aligned(PG)));
static u8 vtl1_stack[4 * PG] __attribute__((aligned(PG)));
static volatile u8 target[PG] __attribute__((aligned(PG)));
static volatile u64 simp_page[PG / 8] __attribute__((aligned(PG)));
static u64 code_offsets;
static u8 dma_page[PG] __attribute__((aligned(PG)));
/* FWCfgDmaAccess: control, length, address, all big-endian */
static volatile struct {
	u32 control;
	u32 length;
	u64 address;
} dma_access __attribute__((aligned(16)));

void *memset(void *s, int c, size_t n)
{
	u8 *p = s;

	while (n--)
		*p++ = c;
	return s;
}

asm(".pushsection .text\n"
    ".global vtl1_entry\n"
    "vtl1_entry:\n"
    "	call vtl1_main\n"
    "	ud2\n"
    ".popsection\n");

static void say_hex(u64 v)
{
	int i;

	say("0x");
	for (i = 60; i >= 0; i -= 4)
		putc_com1("0123456789abcdef"[(v >> i) & 0xf]);
}

static void __attribute__((noreturn)) finish(int code)
{
	outb_port(DEBUG_EXIT, code);
	for (;;)
		asm volatile("cli; hlt");
}

static void __attribute__((noreturn)) fail(const char *what, u64 status)
{
	say("vsm-guest: FAIL: ");
	say(what);
	say(": ");
	say_hex(status);
	say("\n");
	finish(2);
}

static u64 hcall(u64 control, u64 in, u64 out)
{
	register u64 r8 asm("r8") = out;
	u64 status;

	asm volatile("call *%[page]"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [page] "r"((u64)hcall_page)
		     : "memory", "cc", "r9", "r10", "r11");
	return status;
}

/* Is @word on the multiboot command line? */
static int cmdline_has(const char *word)
{
	const u32 *mbi = (const u32 *)(u64)mb_info;
	const char *c, *w;

	if (!mbi || !(mbi[0] & 4))
		return 0;
	for (c = (const char *)(u64)mbi[4]; *c; c++) {
		for (w = word; *w && c[w - word] == *w; w++)
			;
		if (!*w)
			return 1;
	}
	return 0;
}

/*
 * S3 through the PIIX4's ACPI PM1a control register: SLP_TYP 1, SLP_EN.
 * Its I/O base is what the firmware put in the PM function's (00:01.3)
 * PMBA register.
 */
static void __attribute__((noreturn)) ask_s3(void)
{
	u16 base;

	outl_port(0xcf8, 0x80000000u | 1 << 11 | 3 << 8 | 0x40);
	base = inl_port(0xcfc) & 0xffc0;
	say("vsm-guest: asking for S3\n");
	outw_port(base + 4, 1 << 10 | 1 << 13);
	for (;;)
		asm volatile("pause");
}

static void wait_key(const char *who)
{
	kbd_drain();
	say("vsm-guest: ");
	say(who);
	say(" ready, waiting for a key\n");
	kbd_wait();
}

static u32 *apic_svr(void)
{
	return (u32 *)(u64)APIC_SVR;
}

static u64 *input(void)
{
	return (u64 *)in_page;
}

static u32 be32(u32 v)
{
	return __builtin_bswap32(v);
}

/* The selector and size of fw_cfg file @name, or 0 if QEMU has none. */
static u16 fw_cfg_file(const char *name, u32 *size)
{
	u32 n = 0, i;
	int j;

	outw_port(FW_CFG_SEL, FW_CFG_FILE_DIR);
	for (j = 0; j < 4; j++)
		n = n << 8 | inb_port(FW_CFG_DATA);
	for (i = 0; i < n; i++) {
		u8 e[64];
		int match = 1;

		for (j = 0; j < 64; j++)
			e[j] = inb_port(FW_CFG_DATA);
		for (j = 0; name[j] || e[8 + j]; j++)
			match &= name[j] == e[8 + j];
		if (match) {
			*size = (u32)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
			return e[4] << 8 | e[5];
		}
	}
	return 0;
}

/* fw_cfg DMA of @len bytes of item @sel to @buf: the control word after. */
static u32 fw_cfg_dma_read(u16 sel, volatile void *buf, u32 len)
{
	u64 a = (u64)&dma_access;

	dma_access.control = be32((u32)sel << 16 | FW_CFG_DMA_SELECT |
				  FW_CFG_DMA_READ);
	dma_access.length = be32(len);
	dma_access.address = __builtin_bswap64((u64)buf);
	outl_port(FW_CFG_DMA_HI, be32(a >> 32));
	outl_port(FW_CFG_DMA_LO, be32((u32)a));
	return be32(dma_access.control);
}

/*
 * VTL0's device DMA obeys VTL1's protections: fw_cfg DMA into the page
 * VTL1 made read-only fails, with the error bit and the page unchanged;
 * into an open page it works.
 */
static void dma_check(const char *when)
{
	u32 size, ctl;
	u16 sel = fw_cfg_file(DMA_FILE, &size);
	unsigned int i;

	if (!sel)
		return;
	if (!size || size > PG)
		fail("fw_cfg " DMA_FILE " size", size);
	ctl = fw_cfg_dma_read(sel, target, size);
	if (!(ctl & FW_CFG_DMA_ERROR))
		fail("fw_cfg DMA into the read-only page succeeded", ctl);
	for (i = 0; i < size; i++)
		if (target[i])
			fail("fw_cfg DMA wrote the read-only page", i);
	memset(dma_page, 0, size);
	ctl = fw_cfg_dma_read(sel, dma_page, size);
	if (ctl)
		fail("fw_cfg DMA into an open page", ctl);
	for (i = 0; i < size; i++)
		if (!dma_page[i])
			fail("fw_cfg DMA into an open page left a zero at", i);
	say("vsm-guest: fw_cfg DMA ");
	say(when);
	say(": into the read-only page it failed and left the page alone, into an open page it worked\n");
}

static void hyperv_init(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcall_page | 1);
}

/* VTL1: protections on, the target page read-only for VTL0, return. */
void vtl1_main(void)
{
	u64 *in = input(), r, rcx, apic_base;
	unsigned int i, n;

	hyperv_init();	/* VTL1's own hypercall page MSR (TLFS) */
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = HV_VP_INDEX_SELF;
	in[2] = HV_REGISTER_VSM_PARTITION_CONFIG;
	in[3] = 0;
	in[4] = VSM_CONFIG;
	in[5] = 0;
	r = hcall(HVCALL_SET_VP_REGISTERS | REPS(1), (u64)in, 0);
	if (r != REPS(1))
		fail("VTL1: VsmPartitionConfig", r);
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = MAP_R;
	in[2] = (u64)target / PG;
	n = 1;
	if (cmdline_has("mode=dma-bench"))
		for (i = 1; i <= BENCH_BLOCKS; i++)
			in[2 + n++] = (BENCH_MIXED + i * BLOCK - PG) / PG;
	r = hcall(HVCALL_MODIFY_VTL_PROTECTION_MASK | REPS(n), (u64)in, 0);
	if (r != REPS(n))
		fail("VTL1: HvModifyVtlProtectionMask", r);
	say("vsm-guest: VTL1 made the page read-only for VTL0\n");
	/*
	 * VTL1's SynIC, its message page on a page VTL0 wrote: KVM's alone;
	 * QEMU's overlay, which is VTL0's, must not move there.
	 */
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SIMP, (u64)simp_page | 1);
	vsm_switch((u64)hcall_page + (code_offsets >> 12 & 0xfff), 0, &rcx);

	/* Called again, after a save or a migration perhaps. */
	if (rdmsr(HV_X64_MSR_SIMP) != ((u64)simp_page | 1) ||
	    rdmsr(HV_X64_MSR_SCONTROL) != 1)
		fail("VTL1's SynIC lost", rdmsr(HV_X64_MSR_SIMP));
	if (rdmsr(HV_X64_MSR_GUEST_OS_ID) != HYPERV_LINUX_OS_ID ||
	    rdmsr(HV_X64_MSR_HYPERCALL) != ((u64)hcall_page | 1))
		fail("VTL1's Hyper-V MSRs lost", rdmsr(HV_X64_MSR_HYPERCALL));
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = HV_VP_INDEX_SELF;
	in[2] = HV_REGISTER_VSM_PARTITION_CONFIG;
	r = hcall(HVCALL_GET_VP_REGISTERS | REPS(1), (u64)in, (u64)out_page);
	if (r != REPS(1) || *(u64 *)out_page != VSM_CONFIG)
		fail("VTL1's VsmPartitionConfig lost", *(u64 *)out_page);
	say("vsm-guest: VTL1 found its SynIC, MSRs and VsmPartitionConfig as it left them\n");
	apic_base = rdmsr(MSR_IA32_APICBASE);
	*(volatile u32 *)apic_svr() = VTL1_SVR;
	wait_key("VTL1");
	if (rdmsr(MSR_IA32_APICBASE) != apic_base ||
	    (*(volatile u32 *)apic_svr() & 0x1ff) != VTL1_SVR)
		fail("VTL1's local APIC lost", *(volatile u32 *)apic_svr());
	say("vsm-guest: VTL1 found its local APIC as it left it\n");
	vsm_switch((u64)hcall_page + (code_offsets >> 12 & 0xfff), 0, &rcx);
	fail("VTL1 entered a third time", 0);
}

static u64 read_cr(int n)
{
	u64 v = 0;

	if (n == 0)
		asm volatile("mov %%cr0, %0" : "=r"(v));
	else if (n == 3)
		asm volatile("mov %%cr3, %0" : "=r"(v));
	else
		asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/*
 * Time fw_cfg DMA reads of @op bytes into @region, 16 MiB in all, within
 * the first MiB of each of its 2 MiB blocks, in Hyper-V reference time
 * (100 ns units).
 */
static void dma_bench_one(u16 sel, const char *name, u64 region, u32 op,
			  int quiet)
{
	u64 n = (16ull << 20) / op, i, t0, t1, a;
	u32 ctl;

	t0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	for (i = 0; i < n; i++) {
		a = region + i % BENCH_BLOCKS * BLOCK +
		    i / BENCH_BLOCKS * op % (1 << 20);
		ctl = fw_cfg_dma_read(sel, (volatile void *)a, op);
		if (ctl)
			fail("fw_cfg DMA in the benchmark", a);
	}
	t1 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	if (quiet)
		return;
	say("vsm-guest: dma-bench ");
	say(name);
	say(" op ");
	say_hex(op);
	say(" bytes ");
	say_hex(n * op);
	say(" time ");
	say_hex(t1 - t0);
	say("\n");
}

static void __attribute__((noreturn)) dma_bench(void)
{
	u32 size;
	u16 sel = fw_cfg_file(BENCH_FILE, &size);

	if (!sel || size < (1 << 20))
		fail("fw_cfg " BENCH_FILE " missing or below 1 MiB", size);
	/* A first pass, untimed, so that no case pays for first touches. */
	dma_bench_one(sel, "open", BENCH_OPEN, 1 << 20, 1);
	dma_bench_one(sel, "mixed", BENCH_MIXED, 1 << 20, 1);
	dma_bench_one(sel, "open", BENCH_OPEN, 1 << 20, 0);
	dma_bench_one(sel, "mixed", BENCH_MIXED, 1 << 20, 0);
	dma_bench_one(sel, "open", BENCH_OPEN, PG, 0);
	dma_bench_one(sel, "mixed", BENCH_MIXED, PG, 0);
	finish(0);
}

void mb_main(void)
{
	/* AccessVsm, AccessVpRegisters, StartVirtualProcessor */
	const u32 need = 1u << 16 | 1u << 17 | 1u << 21;
	struct hv_init_vp_context *c;
	u32 eax, ebx, ecx, edx;
	u64 *in = input(), r, rcx;

	say("vsm-guest: started\n");
	cpuid(0x40000000, &eax, &ebx, &ecx, &edx);
	if (eax < 0x40000005)
		fail("no Hyper-V CPUID leaves, max", eax);
	cpuid(0x40000003, &eax, &ebx, &ecx, &edx);
	if ((ebx & need) != need && cmdline_has("mode=dma-bench")) {
		say("vsm-guest: no VSM\n");
		dma_bench();
	}
	if ((ebx & need) != need)
		fail("HV_CPUID_FEATURES.EBX lacks the VSM privileges", ebx);
	say("vsm-guest: CPUID offers AccessVsm, AccessVpRegisters, StartVirtualProcessor\n");
	if (cmdline_has("mode=smi")) {
		int i;

		for (i = 0; i < 100; i++)
			outb_port(APM_CNT, 0);
		say("vsm-guest: wrote the APM port 100 times\n");
		finish(0);
	}

	hyperv_init();
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = HV_VP_INDEX_SELF;
	in[2] = HV_REGISTER_VSM_CODE_PAGE_OFFSETS;
	r = hcall(HVCALL_GET_VP_REGISTERS | REPS(1), (u64)in, (u64)out_page);
	if (r != REPS(1))
		fail("HvGetVpRegisters(VsmCodePageOffsets)", r);
	code_offsets = *(u64 *)out_page;

	if (cmdline_has("mode=mbec")) {
		in[0] = HV_PARTITION_ID_SELF;
		in[1] = HV_VP_INDEX_SELF;
		in[2] = HV_REGISTER_VSM_CAPABILITIES;
		r = hcall(HVCALL_GET_VP_REGISTERS | REPS(1), (u64)in,
			  (u64)out_page);
		if (r != REPS(1))
			fail("HvGetVpRegisters(VsmCapabilities)", r);
		say("vsm-guest: MbecVtlMask ");
		say_hex(*(u64 *)out_page >> 1 & 0xffff);
		in[0] = HV_PARTITION_ID_SELF;
		in[1] = 1 | HV_VSM_ENABLE_PARTITION_MBEC << 8;
		say(", HvEnablePartitionVtl(VTL1, EnableMbec) ");
		say_hex(hcall(HVCALL_ENABLE_PARTITION_VTL, (u64)in, 0));
		say("\n");
		finish(0);
	}

	in[0] = HV_PARTITION_ID_SELF;
	in[1] = 1;
	r = hcall(HVCALL_ENABLE_PARTITION_VTL, (u64)in, 0);
	if (r)
		fail("HvEnablePartitionVtl", r);

	/* VTL1 starts in VTL0's mode, on its tables, with its own stack. */
	mb_gdt[3] = 0x0000890000000067ull | ((u64)mb_tss & 0xffffff) << 16 |
		    ((u64)mb_tss >> 24 & 0xff) << 56;
	mb_gdt[4] = (u64)mb_tss >> 32;
	memset(in, 0, PG);
	in[0] = HV_PARTITION_ID_SELF;
	in[1] = (u64)HV_VP_INDEX_SELF | 1ull << 32;
	c = (struct hv_init_vp_context *)&in[2];
	c->rip = (u64)vtl1_entry;
	c->rsp = (u64)vtl1_stack + sizeof(vtl1_stack);
	c->rflags = 0x2;
	c->cs = (struct hv_x64_segment_register){ 0, 0xffffffff, SEL_CODE, 0xa09b };
	c->ds = (struct hv_x64_segment_register){ 0, 0xffffffff, SEL_DATA, 0xc093 };
	c->es = c->ds;
	c->fs = c->ds;
	c->gs = c->ds;
	c->ss = c->ds;
	c->tr = (struct hv_x64_segment_register){ (u64)mb_tss, 0x67, SEL_TSS, 0x8b };
	c->gdtr.base = (u64)mb_gdt;
	c->gdtr.limit = 5 * 8 - 1;
	c->efer = rdmsr(MSR_EFER);
	c->cr0 = read_cr(0);
	c->cr3 = read_cr(3);
	c->cr4 = read_cr(4);
	c->msr_cr_pat = rdmsr(MSR_IA32_CR_PAT);
	r = hcall(HVCALL_ENABLE_VP_VTL, (u64)in, 0);
	if (r)
		fail("HvEnableVpVtl", r);
	say("vsm-guest: VTL1 enabled, VTL call\n");

	simp_page[8] = 0x5a5a5a5a5a5a5a5aull;
	vsm_switch((u64)hcall_page + (code_offsets & 0xfff), 0, &rcx);
	if (simp_page[8] != 0x5a5a5a5a5a5a5a5aull)
		fail("VTL1's SynIC message page lost VTL0's data", simp_page[8]);
	say("vsm-guest: VTL1's SIMP left the page as it was\n");
	dma_check("once VTL1 protected the page");
	if (cmdline_has("mode=dma-bench"))
		dma_bench();
	if (cmdline_has("mode=s3"))
		ask_s3();

	/* A key on the keyboard: the test saved, migrated, or not. */
	*(volatile u32 *)apic_svr() = VTL0_SVR;
	wait_key("VTL0");
	if (rdmsr(HV_X64_MSR_GUEST_OS_ID) != HYPERV_LINUX_OS_ID)
		fail("VTL0's GUEST_OS_ID lost", rdmsr(HV_X64_MSR_GUEST_OS_ID));
	vsm_switch((u64)hcall_page + (code_offsets & 0xfff), 0, &rcx);
	if ((*(volatile u32 *)apic_svr() & 0x1ff) != VTL0_SVR)
		fail("VTL0's local APIC lost", *(volatile u32 *)apic_svr());
	say("vsm-guest: VTL0 found its local APIC as it left it\n");
	dma_check("after the migrations");
	say("vsm-guest: back in VTL0, writing the page\n");
	target[0] = 1;
	say("vsm-guest: FAIL: VTL0 wrote a page VTL1 made read-only\n");
	finish(3);
}
