/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a Linux bzImage for its 64-bit entry (Documentation/arch/x86/
 * boot.rst): the zero page, the command line, an initrd, and a flattened
 * device tree that lists the CPUs, which a kernel in a Hyper-V VTL
 * (CONFIG_HYPERV_VTL_MODE) needs instead of ACPI or MP tables. No KVM
 * here, so that tests/unit can drive it.
 */
#ifndef VMM_LINUX_BOOT_H
#define VMM_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

/* Guest physical layout of a Linux boot, below the kernel. */
#define LINUX_PML4_GPA		0x1000ull	/* PML4, PDPT, 4 PDs: 4 GiB */
#define LINUX_GDT_GPA		0x7000ull
#define LINUX_ZERO_PAGE_GPA	0x8000ull	/* struct boot_params */
#define LINUX_CMDLINE_GPA	0x9000ull
#define LINUX_CMDLINE_MAX	4096
#define LINUX_DTB_GPA		0xa000ull	/* setup_data: header, then FDT */
#define LINUX_DTB_MAX		0x4000ull
#define LINUX_STACK_TOP		0x10000ull
#define LINUX_KERNEL_GPA	0x1000000ull	/* unless the header prefers */
#define LINUX_MEM_MAX		(3072ull << 20)	/* below the APIC and I/O */

/* The boot protocol's selectors: __BOOT_CS and __BOOT_DS. */
#define LINUX_SEL_CODE		0x10
#define LINUX_SEL_DATA		0x18

/* Where the kernel starts: RIP, and RSI pointing at the zero page. */
struct linux_entry {
	uint64_t rip;
	uint64_t rsi;
	uint64_t rsp;
	uint64_t kernel_gpa, kernel_size;
	uint64_t initrd_gpa, initrd_size;
	uint16_t version;	/* the boot protocol's */
};

int linux_load(const char *kernel, const char *initrd, const char *cmdline,
	       int nr_cpus, void *mem, uint64_t mem_size,
	       struct linux_entry *e, char *err, size_t errlen);
int linux_make_fdt(void *buf, size_t len, int nr_cpus);

#endif /* VMM_LINUX_BOOT_H */
