/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VMM and its VBS replay guest share: the guest image header,
 * the guest physical memory layout, and the I/O ports and hypercall codes
 * of the userspace paths. Plain C99, built for both sides; the boot page
 * is in vsm_boot_page.h.
 */
#ifndef VMM_VSM_BOOT_H
#define VMM_VSM_BOOT_H

#include <stdint.h>

/* Guest image: a flat binary loaded at VSM_IMAGE_LOAD, header first. */
#define VSM_IMAGE_MAGIC		0x474d5356u	/* "VSMG" */
#define VSM_IMAGE_VERSION	1
#define VSM_IMAGE_LOAD		0x100000ull
#define VSM_IMAGE_MAX		0x100000ull

struct vsm_image_header {
	uint32_t magic;
	uint32_t version;
	uint64_t entry;		/* guest virtual = physical address */
	uint64_t size;		/* bytes of the image, header included */
};

/* Guest physical layout, identity-mapped with 2M pages up to 4 GiB. */
#define VSM_PML4_GPA		0x1000ull	/* PML4, PDPT, 4 PDs */
#define VSM_GDT_GPA		0x7000ull
#define VSM_TSS_GPA		0x7800ull
#define VSM_BOOT_GPA		0x8000ull	/* struct vsm_boot, 2 pages */
#define VSM_HCALL_GPA		0xa000ull	/* the hypercall page */
#define VSM_VP_GPA		0x10000ull	/* per-VP pages */
#define VSM_VP_PAGES		16
#define VSM_DATA_GPA		0x1000000ull	/* protected pages, to the end */
#define VSM_MAX_VCPUS		8

/* Pages of each VP, from VSM_VP_GPA + vp * VSM_VP_PAGES * 4096. */
enum {
	VSM_VP_INPUT, VSM_VP_OUTPUT, VSM_VP_ASSIST0, VSM_VP_ASSIST1,
	VSM_VP_SIMP1, VSM_VP_STACK0 = 8, VSM_VP_STACK1 = 12,
};

/* Segment selectors of the VMM's GDT. */
#define VSM_SEL_CODE		0x08
#define VSM_SEL_DATA		0x10
#define VSM_SEL_TSS		0x18

/* Ports: console (bytes), done (VP index, 0xffff on failure), VMM switch. */
#define VSM_PORT_CONSOLE	0xe9
#define VSM_PORT_DONE		0xf0
#define VSM_PORT_VMM_CALL	0xf1	/* VTL0 asks the VMM to enter VTL1 */
#define VSM_PORT_VMM_RETURN	0xf2	/* VTL1 asks the VMM to return */

/*
 * The userspace path of the benchmarks: an extended hypercall, which KVM
 * always exits to userspace with, carrying HvModifyVtlProtectionMask's
 * input. The VMM applies it as the userspace VSM prototypes did.
 */
#define VSM_HCALL_VMM_PROTECT	0x8040

enum vsm_mode {
	VSM_MODE_REPLAY,	/* the VBS boot replay and its workload */
	VSM_MODE_BENCH,		/* protection batches, then round trips */
};

/* How the bench's protection changes are applied. */
enum vsm_apply {
	VSM_APPLY_KERNEL,	/* (a) HvModifyVtlProtectionMask in KVM */
	VSM_APPLY_VMM,		/* (b) exit; KVM_SET_VTL_PROTECTION per range */
	VSM_APPLY_MEMSLOT,	/* (c) exit; memslot split, KVM_MEM_READONLY */
};

#define VSM_NR_BATCHES		4

/* The bench's round trips, which --trip-path leaves all but one of out. */
#define VSM_TRIPS_KERNEL	(1u << 0)	/* VTL call and return in KVM */
#define VSM_TRIPS_FLOOR		(1u << 1)	/* two hypercalls KVM refuses */
#define VSM_TRIPS_VMM		(1u << 2)	/* the switch, by the VMM */

#endif /* VMM_VSM_BOOT_H */
