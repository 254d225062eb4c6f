/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boot page the VMM fills in and its VBS replay guest reports into:
 * VTL1's initial context (a TLFS layout, from the KVM selftests' Hyper-V
 * header, so built with their include paths) and the results.
 */
#ifndef VMM_VSM_BOOT_PAGE_H
#define VMM_VSM_BOOT_PAGE_H

#include <stdint.h>

#include "hyperv.h"
#include "vsm_boot.h"

struct vsm_vp_result {
	uint64_t intercepts;		/* taken by VTL1 */
	uint64_t intercept_cycles;	/* VTL0 cycles of those accesses */
	uint64_t trips;			/* in-kernel VTL call + return */
	uint64_t trip_cycles;
	uint64_t vmm_trips;		/* the same switch done by the VMM */
	uint64_t vmm_trip_cycles;
	uint64_t floor_trips;		/* two hypercalls KVM refuses at once */
	uint64_t floor_trip_cycles;
	uint64_t done;
};

struct vsm_batch_result {
	uint32_t batch;
	uint32_t prot;
	uint64_t pages;
	uint64_t calls;
	uint64_t cycles;
};

/* The boot page: in from the VMM, out from the guest. */
struct vsm_boot {
	/* in */
	uint32_t mode;
	uint32_t apply;
	uint32_t nr_vcpus;
	uint32_t nr_batches;
	uint32_t batches[VSM_NR_BATCHES];
	uint64_t pages;		/* protections to issue */
	uint64_t touches;	/* protected pages each VP's VTL0 touches */
	uint64_t trips;		/* round trips to time */
	uint64_t data_pages;	/* pages from VSM_DATA_GPA */
	uint64_t seed;
	struct hv_init_vp_context ctx;	/* VTL1's, without RIP and RSP */
	/* out */
	volatile uint32_t boot_done;
	volatile uint32_t failed;
	char error[128];
	uint64_t calls;		/* HvModifyVtlProtectionMask calls */
	uint64_t protected;	/* pages those calls protected */
	uint64_t singles, runs;	/* list shapes: single pages, runs */
	uint64_t protect_cycles;
	uint64_t tsc_khz;	/* for a saved page's report (vmm --report) */
	struct vsm_vp_result vp[VSM_MAX_VCPUS];
	struct vsm_batch_result bench[2 * VSM_NR_BATCHES];
	/* in: the VSM_TRIPS_* round trips left out (0: none) */
	uint32_t skip_trips;
};

/* The boot page is two pages (vmm.c, qemu_boot.c, qemu_replay_test). */
_Static_assert(sizeof(struct vsm_boot) <= 2 * 4096, "struct vsm_boot");

/* The GDT at VSM_GDT_GPA: null, 64-bit code, data, the TSS at VSM_TSS_GPA. */
static inline void vsm_boot_gdt(uint64_t *gdt)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;		/* 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;		/* data */
	gdt[3] = 0x0000890000000067ull |	/* 64-bit TSS, 16 bytes */
		 (VSM_TSS_GPA & 0xffffff) << 16 |
		 (VSM_TSS_GPA >> 24 & 0xff) << 56;
	gdt[4] = VSM_TSS_GPA >> 32;
}

/*
 * Long mode on the tables at VSM_PML4_GPA and that GDT, without RIP and
 * RSP: VTL1's initial context, and under QEMU the other VPs' VTL0's.
 */
static inline void vsm_boot_context(struct hv_init_vp_context *c)
{
	c->rflags = 0x2;
	c->cs = (struct hv_x64_segment_register){ 0, 0xffffffff, VSM_SEL_CODE, 0xa09b };
	c->ds = (struct hv_x64_segment_register){ 0, 0xffffffff, VSM_SEL_DATA, 0xc093 };
	c->es = c->ds;
	c->fs = c->ds;
	c->gs = c->ds;
	c->ss = c->ds;
	c->tr = (struct hv_x64_segment_register){ VSM_TSS_GPA, 0x67, VSM_SEL_TSS, 0x8b };
	c->ldtr = (struct hv_x64_segment_register){ 0, 0, 0, 0 };
	c->gdtr.base = VSM_GDT_GPA;
	c->gdtr.limit = 5 * 8 - 1;
	c->efer = 0x500;			/* LME, LMA */
	c->cr0 = 0x80050033;			/* PG, AM, WP, NE, ET, MP, PE */
	c->cr3 = VSM_PML4_GPA;
	c->cr4 = 0x620;				/* PAE, OSFXSR, OSXMMEXCPT */
	c->msr_cr_pat = 0x0007040600070406ull;
}

#endif /* VMM_VSM_BOOT_PAGE_H */
