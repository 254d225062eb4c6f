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
};

#endif /* VMM_VSM_BOOT_PAGE_H */
