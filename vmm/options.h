/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM's command line and its guest image loader, apart from KVM so
 * that tests/unit can drive them.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct vmm_opts {
	int vcpus;
	long mem_mib;
	int max_vtl;
	int mode;		/* enum vsm_mode */
	int apply;		/* enum vsm_apply, bench mode */
	uint64_t pages;
	uint64_t touches;
	uint64_t trips;
	uint32_t skip_trips;	/* VSM_TRIPS_*, --trip-path */
	uint64_t seed;
	int json;
	const char *image;
	/* A Linux guest instead of an image: its files and first VTL. */
	const char *kernel, *initrd, *append;
	int start_vtl;
	/* A boot page saved from the replay under QEMU, to report on. */
	const char *report;
};

#define VMM_USAGE \
	"usage: vmm [options] IMAGE\n" \
	"       vmm [options] --kernel BZIMAGE [--initrd FILE] [--append ARGS]\n" \
	"       vmm --report FILE\n" \
	"Run a VSM guest image (the VBS boot replay, vmm/guest) on KVM with\n" \
	"Hyper-V enlightenments and VSM, and print a summary; or boot a Linux\n" \
	"kernel, its serial console on standard output.\n\n" \
	"  -c, --vcpus N      vCPUs (1..8, default 2)\n" \
	"  -m, --mem MIB      guest memory in MiB (64..4096, default 1024)\n" \
	"  -v, --max-vtl N    highest VTL KVM allows the guest (1..2, default 1)\n" \
	"  -p, --pages N      page protections VTL1 issues (default 100000)\n" \
	"  -t, --touches N    protected pages each VP's VTL0 writes (default 64)\n" \
	"  -r, --trips N      VTL call and return round trips to time (default 1000)\n" \
	"  -s, --seed N       seed of the replay's page list (default 1)\n" \
	"  -b, --bench HOW    bench mode: apply protection batches of 1, 16, 128\n" \
	"                     and 510 pages 'kernel' (in KVM), 'vmm' (exit, one\n" \
	"                     ioctl per range) or 'memslot' (exit, memslot churn)\n" \
	"  -T, --trip-path P  bench mode: time only the round trips of 'kernel'\n" \
	"                     (VTL call and return in KVM), 'floor' (two\n" \
	"                     hypercalls KVM refuses) or 'vmm' (the switch done\n" \
	"                     by the VMM), not all three: for a profile\n" \
	"  -j, --json         also print the results as one JSON line\n" \
	"  -k, --kernel FILE  boot this bzImage (64-bit entry, device tree of\n" \
	"                     the CPUs, no ACPI); it ends by writing its exit\n" \
	"                     status to port 0xf0, which is the VMM's\n" \
	"  -i, --initrd FILE  the kernel's initrd\n" \
	"  -a, --append ARGS  the kernel's command line\n" \
	"  -l, --vtl N        the VTL the boot CPU starts in (0..max-vtl, default\n" \
	"                     0), every VTL up to it enabled on every CPU\n" \
	"  -R, --report FILE  print the summary of the replay from its boot page,\n" \
	"                     saved from a run under QEMU (make run VMM=qemu),\n" \
	"                     and fail if its counts do not add up\n" \
	"  -h, --help         this text\n"

int vmm_parse_options(int argc, char **argv, struct vmm_opts *o, char *err,
		      size_t errlen);
int vmm_load_image(const char *path, void *mem, uint64_t mem_size,
		   uint64_t *entry, char *err, size_t errlen);

#endif /* VMM_OPTIONS_H */
