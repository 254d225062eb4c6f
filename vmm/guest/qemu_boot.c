// SPDX-License-Identifier: GPL-2.0
/*
 * The VBS boot replay under QEMU (make run VMM=qemu): a multiboot entry
 * (tests/qemu/multiboot.S) that does from inside the guest what our VMM
 * does from outside, then the replay (replay.c) unchanged.
 *
 * It reads its parameters from the multiboot command line ("vcpus=2
 * pages=100000 touches=64 trips=1000 seed=1 pause", the VMM's defaults
 * where absent) and guest memory from the multiboot information, before
 * anything is written where QEMU put that information (0x9000, inside the
 * boot page). It builds the VMM's page tables, GDT and TSS at their fixed
 * addresses and moves onto them, fills the boot page's input and VTL1's
 * initial context as the VMM does, and starts the other VPs' VTL0 with
 * HvStartVirtualProcessor (after an INIT, since SeaBIOS left them halted)
 * at the replay's entry on their own stacks. VP 0 then runs the replay.
 *
 * QEMU has none of the VMM's ports: the replay's hooks below stand in.
 * Every VP reports once its VTL1 is set up; with "pause", VP 0 then says
 * so on COM1 and waits for a key on the PS/2 keyboard before the
 * workload (the test may migrate or reset the VM there). When every VP
 * is done, or one failed, VP 0 says so on COM1 and halts: the test saves
 * the boot page (QMP pmemsave) and `vmm --report` prints the VMM's
 * summary from it.
 */
#include <stddef.h>
#include <stdint.h>

#include "processor.h"
#include "hyperv.h"

#include "../vsm_boot_page.h"
#include "pc_io.h"

#define PG		4096ull
#define BOOT		((struct vsm_boot *)VSM_BOOT_GPA)
#define APIC_ICR_LO	0xfee00300ull
#define APIC_ICR_HI	0xfee00310ull
#define ICR_INIT_OTHERS	0x000c4500u	/* INIT, level assert, all but self */

void mb_main(void);
void guest_main(void);
void _start(void);
void *memset(void *s, int c, size_t n);
u64 hcall(u64 control, u64 in, u64 out);	/* replay.c */
int replay_host_vmm(void);
void replay_host_ready(u64 vp);
void replay_host_done(u64 vp);

extern u32 mb_info;	/* tests/qemu/multiboot.S */

static volatile u32 ready, go;
static u64 host_pause;	/* "pause" on the command line */

static void say_dec(u64 v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	say(&buf[i]);
}

static void __attribute__((noreturn)) halt(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

static void __attribute__((noreturn)) boot_fail(const char *what, u64 v)
{
	say("replay: failed: ");
	say(what);
	say(" ");
	say_dec(v);
	say("\n");
	halt();
}

/* The value of "key=N" (decimal) on @cmdline, or @dflt; "key" alone is 1. */
static u64 arg(const char *cmdline, const char *key, u64 dflt)
{
	const char *c, *w, *k;
	u64 v;

	for (c = cmdline; c && *c; c++) {
		if (c != cmdline && c[-1] != ' ')
			continue;
		for (w = c, k = key; *k && *w == *k; k++, w++)
			;
		if (*k || (*w && *w != ' ' && *w != '='))
			continue;
		if (*w != '=')
			return 1;
		for (v = 0, w++; *w >= '0' && *w <= '9'; w++)
			v = v * 10 + *w - '0';
		return v;
	}
	return dflt;
}

static u64 vp_page(u64 vp, int page)
{
	return VSM_VP_GPA + (vp * VSM_VP_PAGES + page) * PG;
}

/* The VMM's page tables, GDT and TSS (vmm.c, setup_memory()), loaded. */
static void setup_memory(void)
{
	u64 *pml4 = (u64 *)VSM_PML4_GPA, *pdpt = pml4 + 512, *pd = pdpt + 512;
	u64 *gdt = (u64 *)VSM_GDT_GPA, i;
	struct desc_ptr gdtr = { .size = 5 * 8 - 1, .address = VSM_GDT_GPA };

	for (i = 0; i < 512; i++)
		pml4[i] = 0;
	pml4[0] = (VSM_PML4_GPA + PG) | 3;
	for (i = 0; i < 512; i++)
		pdpt[i] = i < 4 ? (VSM_PML4_GPA + (2 + i) * PG) | 3 : 0;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;	/* present, writable, 2M */
	asm volatile("mov %0, %%cr3" : : "r"(VSM_PML4_GPA) : "memory");

	vsm_boot_gdt(gdt);
	for (i = 0; i < 0x68 / 8; i++)
		((u64 *)VSM_TSS_GPA)[i] = 0;
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "mov %2, %%eax\n\t"
		     "mov %%eax, %%ds\n\t"
		     "mov %%eax, %%es\n\t"
		     "mov %%eax, %%ss\n\t"
		     "mov %%eax, %%fs\n\t"
		     "mov %%eax, %%gs\n\t"
		     "mov %3, %%eax\n\t"
		     "ltr %%ax"
		     : : "m"(gdtr), "i"((u64)VSM_SEL_CODE), "i"(VSM_SEL_DATA),
		       "i"(VSM_SEL_TSS)
		     : "rax", "memory");
}

/* The other VPs' VTL0, at the replay's entry, on their own stacks. */
static void start_aps(u32 n)
{
	u64 *in = (u64 *)vp_page(0, VSM_VP_INPUT), st, t0;
	struct hv_init_vp_context *c;
	u32 vp;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, VSM_HCALL_GPA | 1);
	*(volatile u32 *)APIC_ICR_HI = 0;
	*(volatile u32 *)APIC_ICR_LO = ICR_INIT_OTHERS;
	for (vp = 1; vp < n; vp++) {
		for (t0 = rdtsc();;) {
			in[0] = HV_PARTITION_ID_SELF;
			in[1] = vp;		/* VTL0 */
			c = (struct hv_init_vp_context *)&in[2];
			*c = BOOT->ctx;
			c->rip = (u64)_start;
			c->rsp = vp_page(vp, VSM_VP_STACK0 + 4);
			st = hcall(HVCALL_START_VP, (u64)in, 0) & 0xffff;
			/* The INIT may not have reached the VP yet: 10 s. */
			if (st != HV_STATUS_INVALID_VP_STATE ||
			    rdtsc() - t0 > BOOT->tsc_khz * 10000)
				break;
			asm volatile("pause");
		}
		if (st)
			boot_fail("HvStartVirtualProcessor, status", st);
	}
}

void mb_main(void)
{
	const u32 *mbi = (const u32 *)(u64)mb_info;
	const char *cmdline = mbi[0] & 4 ? (const char *)(u64)mbi[4] : NULL;
	u64 mem = mbi[0] & 1 ? ((u64)mbi[2] + 1024) << 10 : 0;
	u64 vcpus = arg(cmdline, "vcpus", 2);
	u64 pages = arg(cmdline, "pages", 100000);
	u64 touches = arg(cmdline, "touches", 64);
	u64 trips = arg(cmdline, "trips", 1000);
	u64 seed = arg(cmdline, "seed", 1);
	u64 data;

	host_pause = arg(cmdline, "pause", 0);
	/* Everything from the multiboot information is read: now build. */
	say("replay: multiboot entry\n");
	if (!vcpus || vcpus > VSM_MAX_VCPUS)
		boot_fail("vcpus out of range:", vcpus);
	if (mem <= VSM_DATA_GPA)
		boot_fail("too little memory, bytes:", mem);
	data = (mem - VSM_DATA_GPA) / PG;
	if (touches * vcpus + 1024 > data || pages > data)
		boot_fail("too little memory for these pages, data pages:", data);
	setup_memory();
	memset(BOOT, 0, 2 * PG);
	BOOT->mode = VSM_MODE_REPLAY;
	BOOT->apply = VSM_APPLY_KERNEL;
	BOOT->nr_vcpus = vcpus;
	BOOT->pages = pages;
	BOOT->touches = touches;
	BOOT->trips = trips;
	BOOT->data_pages = data;
	BOOT->seed = seed;
	BOOT->nr_batches = VSM_NR_BATCHES;
	BOOT->batches[0] = 1;
	BOOT->batches[1] = 16;
	BOOT->batches[2] = 128;
	BOOT->batches[3] = 510;
	/* hv-frequencies: the report's nanoseconds. */
	BOOT->tsc_khz = rdmsr(HV_X64_MSR_TSC_FREQUENCY) / 1000;
	vsm_boot_context(&BOOT->ctx);
	start_aps(vcpus);
	say("replay: ");
	say_dec(vcpus);
	say(" VPs, ");
	say_dec(pages);
	say(" pages, ");
	say_dec(mem >> 20);
	say(" MiB, the VBS boot replay\n");
	guest_main();
}

/* replay.c's hooks: QEMU has none of the VMM's ports. */
int replay_host_vmm(void)
{
	return 0;
}

static void wait_key(void)
{
	kbd_drain();
	say("replay: paused, waiting for a key\n");
	kbd_wait();
}

void replay_host_ready(u64 vp)
{
	__atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
	if (vp) {
		while (!go)
			asm volatile("pause");
		return;
	}
	while (ready < BOOT->nr_vcpus)
		asm volatile("pause");
	say("replay: VTL1 set up on every VP, ");
	say_dec(BOOT->protected);
	say(" pages protected\n");
	if (host_pause)
		wait_key();
	go = 1;
}

void replay_host_done(u64 vp)
{
	static u32 said;
	u32 i, done;

	if (BOOT->failed) {
		/* One line, from the first VP that gets here. */
		if (__atomic_exchange_n(&said, 1, __ATOMIC_SEQ_CST))
			halt();
		say("replay: failed: ");
		BOOT->error[sizeof(BOOT->error) - 1] = '\0';
		say((const char *)BOOT->error);
		say("\n");
		halt();
	}
	if (vp)
		return;
	do {
		asm volatile("pause");
		for (i = 0, done = 0; i < BOOT->nr_vcpus; i++)
			done += !!__atomic_load_n(&BOOT->vp[i].done,
						  __ATOMIC_ACQUIRE);
		if (BOOT->failed)
			replay_host_done(vp);
	} while (done < BOOT->nr_vcpus);
	say("replay: done\n");
}
