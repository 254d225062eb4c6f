// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage loader for the VMM: boot protocol 2.12 or later, 64-bit
 * entry. Every refusal says what is wrong in @err; nothing here exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_boot.h"

/* Offsets in the zero page (struct boot_params) and its setup header. */
#define BP_E820_ENTRIES		0x1e8
#define BP_SETUP_SECTS		0x1f1
#define BP_JUMP			0x200
#define BP_HEADER		0x202	/* "HdrS" */
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22c
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_SETUP_DATA		0x250
#define BP_PREF_ADDRESS		0x258
#define BP_INIT_SIZE		0x260
#define BP_HDR_MAX		0x290	/* the end of struct setup_header */
#define BP_E820_TABLE		0x2d0
#define HDRS_MAGIC		0x53726448u
#define XLF_KERNEL_64		0x1
#define LOADED_HIGH		0x1
#define SETUP_DTB		2
#define E820_RAM		1
#define E820_RESERVED		2

#define PG			4096ull

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* x86: little-endian */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* --- flattened device tree ------------------------------------------- */

struct fdt {
	uint8_t *buf;
	size_t len, st, str;	/* capacity; ends of struct and strings */
	char strings[256];
	int bad;
};

#define FDT_MAGIC		0xd00dfeedu
#define FDT_BEGIN_NODE		1
#define FDT_END_NODE		2
#define FDT_PROP		3
#define FDT_END			9
#define FDT_HDR			40
#define FDT_RSV			16	/* the empty reservation map */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void fdt_bytes(struct fdt *f, const void *d, size_t n)
{
	size_t pad = (4 - n % 4) % 4;

	if (f->bad || f->st + n + pad > f->len) {
		f->bad = 1;
		return;
	}
	memcpy(f->buf + f->st, d, n);
	memset(f->buf + f->st + n, 0, pad);
	f->st += n + pad;
}

static void fdt_u32(struct fdt *f, uint32_t v)
{
	uint8_t b[4];

	be32(b, v);
	fdt_bytes(f, b, 4);
}

static void fdt_begin(struct fdt *f, const char *name)
{
	fdt_u32(f, FDT_BEGIN_NODE);
	fdt_bytes(f, name, strlen(name) + 1);
}

/* A property's name: its offset in the strings block, added once. */
static uint32_t fdt_name(struct fdt *f, const char *name)
{
	size_t i = 0, n = strlen(name) + 1;

	while (i < f->str) {
		if (!strcmp(f->strings + i, name))
			return i;
		i += strlen(f->strings + i) + 1;
	}
	if (f->str + n > sizeof(f->strings)) {
		f->bad = 1;
		return 0;
	}
	memcpy(f->strings + f->str, name, n);
	f->str += n;
	return i;
}

static void fdt_prop(struct fdt *f, const char *name, const void *v,
		     size_t n)
{
	uint32_t off = fdt_name(f, name);

	fdt_u32(f, FDT_PROP);
	fdt_u32(f, n);
	fdt_u32(f, off);
	if (n)
		fdt_bytes(f, v, n);
}

static void fdt_prop_u32s(struct fdt *f, const char *name, const uint32_t *v,
			  int n)
{
	uint8_t b[16];
	int i;

	for (i = 0; i < n; i++)
		be32(b + 4 * i, v[i]);
	fdt_prop(f, name, b, 4 * n);
}

static void fdt_prop_str(struct fdt *f, const char *name, const char *s)
{
	fdt_prop(f, name, s, strlen(s) + 1);
}

/**
 * linux_make_fdt - the device tree of a VM without ACPI
 * @buf: where to write it
 * @len: bytes at @buf
 * @nr_cpus: CPUs, with APIC IDs 0 to @nr_cpus - 1 (KVM's vcpu_ids)
 *
 * One cpu node per vCPU, and the local APIC at its default address in
 * virtual-wire mode (no IMCR). There is no I/O APIC: a kernel in a VTL
 * takes no ISA interrupts.
 *
 * Return: the blob's size, or -1 if @len is too small.
 */
int linux_make_fdt(void *buf, size_t len, int nr_cpus)
{
	struct fdt f = { .buf = buf, .len = len, .st = FDT_HDR + FDT_RSV };
	const uint32_t lapic_reg[2] = { 0xfee00000u, 0x1000 };
	size_t total;
	char name[16];
	int i;

	if (len < FDT_HDR + FDT_RSV || nr_cpus < 1)
		return -1;
	memset(buf, 0, FDT_HDR + FDT_RSV);
	fdt_begin(&f, "");
	fdt_prop_u32s(&f, "#address-cells", (uint32_t[]){ 1 }, 1);
	fdt_prop_u32s(&f, "#size-cells", (uint32_t[]){ 1 }, 1);
	fdt_prop_str(&f, "compatible", "vsm-on-kvm,vmm");
	fdt_prop_str(&f, "model", "vsm-on-kvm VMM");

	fdt_begin(&f, "cpus");
	fdt_prop_u32s(&f, "#address-cells", (uint32_t[]){ 1 }, 1);
	fdt_prop_u32s(&f, "#size-cells", (uint32_t[]){ 0 }, 1);
	for (i = 0; i < nr_cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%d", i);
		fdt_begin(&f, name);
		fdt_prop_str(&f, "device_type", "cpu");
		fdt_prop_u32s(&f, "reg", (uint32_t[]){ i }, 1);
		fdt_u32(&f, FDT_END_NODE);
	}
	fdt_u32(&f, FDT_END_NODE);

	fdt_begin(&f, "lapic@fee00000");
	fdt_prop_str(&f, "compatible", "intel,ce4100-lapic");
	fdt_prop_u32s(&f, "reg", lapic_reg, 2);
	fdt_prop(&f, "intel,virtual-wire-mode", NULL, 0);
	fdt_u32(&f, FDT_END_NODE);

	fdt_u32(&f, FDT_END_NODE);
	fdt_u32(&f, FDT_END);
	total = f.st + f.str;
	if (f.bad || total > len)
		return -1;
	memcpy(f.buf + f.st, f.strings, f.str);
	be32(f.buf + 0, FDT_MAGIC);
	be32(f.buf + 4, total);
	be32(f.buf + 8, FDT_HDR + FDT_RSV);	/* off_dt_struct */
	be32(f.buf + 12, f.st);			/* off_dt_strings */
	be32(f.buf + 16, FDT_HDR);		/* off_mem_rsvmap */
	be32(f.buf + 20, 17);			/* version */
	be32(f.buf + 24, 16);			/* last_comp_version */
	be32(f.buf + 28, 0);			/* boot_cpuid_phys */
	be32(f.buf + 32, f.str);
	be32(f.buf + 36, f.st - FDT_HDR - FDT_RSV);
	return total;
}

/* --- the bzImage ------------------------------------------------------ */

static int read_file(const char *path, uint8_t *dst, uint64_t max,
		     uint64_t off, uint64_t *size, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size < off ||
	    (uint64_t)st.st_size - off > max) {
		snprintf(err, errlen, "%s: %lld bytes do not fit guest memory",
			 path, (long long)st.st_size);
		goto out;
	}
	if (dst) {
		n = pread(fd, dst, st.st_size - off, off);
		if (n != (ssize_t)(st.st_size - off)) {
			snprintf(err, errlen, "%s: short read", path);
			goto out;
		}
	}
	*size = st.st_size - off;
	r = 0;
out:
	close(fd);
	return r;
}

/* Identity page tables of 4 GiB (2M pages) and the boot GDT. */
static void linux_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + LINUX_PML4_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512, *gdt, i;

	memset(pml4, 0, 6 * PG);
	pml4[0] = (LINUX_PML4_GPA + PG) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (LINUX_PML4_GPA + (2 + i) * PG) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;	/* present, writable, 2M */
	gdt = (uint64_t *)(mem + LINUX_GDT_GPA);
	memset(gdt, 0, 4 * 8);
	gdt[LINUX_SEL_CODE / 8] = 0x00af9b000000ffffull;	/* 64-bit code */
	gdt[LINUX_SEL_DATA / 8] = 0x00cf93000000ffffull;	/* flat data */
}

/**
 * linux_load - load a bzImage, its initrd and command line for a 64-bit boot
 * @kernel: the bzImage
 * @initrd: the initrd, or NULL
 * @cmdline: the command line, or NULL
 * @nr_cpus: the vCPUs, for the device tree
 * @mem: guest memory, guest physical address 0 at @mem
 * @mem_size: bytes of guest memory, at most LINUX_MEM_MAX
 * @e: where the kernel starts, on success
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * The protected-mode kernel goes to the address its header prefers, the
 * initrd to the top of memory, the zero page, command line and device
 * tree (a SETUP_DTB setup_data) below 64 KiB, with identity page tables
 * and a GDT whose 0x10 and 0x18 are the flat code and data segments the
 * 64-bit boot protocol wants. The e820 map is the memory less the legacy
 * hole below 1 MiB.
 *
 * Return: 0, or -1 with @err set.
 */
int linux_load(const char *kernel, const char *initrd, const char *cmdline,
	       int nr_cpus, void *mem, uint64_t mem_size,
	       struct linux_entry *e, char *err, size_t errlen)
{
	uint8_t *m = mem, *bp = m + LINUX_ZERO_PAGE_GPA, hdr[1024];
	uint64_t size, setup, load, init_size, top, isize = 0;
	uint32_t hdr_end, max_cmd, initrd_max;
	struct stat st;
	int fd, n;

	memset(e, 0, sizeof(*e));
	if (mem_size > LINUX_MEM_MAX || mem_size < LINUX_KERNEL_GPA * 2) {
		snprintf(err, errlen, "a Linux guest needs 32 to %llu MiB of memory",
			 LINUX_MEM_MAX >> 20);
		return -1;
	}
	fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", kernel, strerror(errno));
		return -1;
	}
	n = fstat(fd, &st) ? -1 : pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n != (int)sizeof(hdr) || !S_ISREG(st.st_mode) ||
	    get32(hdr + BP_HEADER) != HDRS_MAGIC) {
		snprintf(err, errlen, "%s: not a bzImage (no \"HdrS\" header)",
			 kernel);
		return -1;
	}
	e->version = get16(hdr + BP_VERSION);
	if (e->version < 0x020c || !(get16(hdr + BP_XLOADFLAGS) & XLF_KERNEL_64) ||
	    !(hdr[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, errlen, "%s: boot protocol %u.%02u without a 64-bit entry (2.12 and XLF_KERNEL_64 needed)",
			 kernel, e->version >> 8, e->version & 0xff);
		return -1;
	}
	/* The header ends where its first instruction jumps to. */
	hdr_end = BP_HEADER + hdr[BP_JUMP + 1];
	if (hdr[BP_JUMP] != 0xeb || hdr_end > BP_HDR_MAX) {
		snprintf(err, errlen, "%s: malformed setup header", kernel);
		return -1;
	}
	setup = hdr[BP_SETUP_SECTS] ? hdr[BP_SETUP_SECTS] : 4;
	setup = (setup + 1) * 512;
	load = get64(hdr + BP_PREF_ADDRESS);
	if (!load)
		load = LINUX_KERNEL_GPA;
	init_size = get32(hdr + BP_INIT_SIZE);
	/* pref_address is the file's: no sum of it may wrap. */
	if (load < LINUX_KERNEL_GPA || load > mem_size / 2 ||
	    init_size > mem_size / 2 - load) {
		snprintf(err, errlen, "%s: wants 0x%" PRIx64 " bytes at 0x%" PRIx64 ", more than half of guest memory",
			 kernel, init_size, load);
		return -1;
	}
	if (read_file(kernel, m + load, init_size, setup, &size, err, errlen))
		return -1;
	e->kernel_gpa = load;
	e->kernel_size = size;

	/* The zero page: the header as the file has it, then ours. */
	memset(bp, 0, PG);
	memcpy(bp + BP_SETUP_SECTS, hdr + BP_SETUP_SECTS,
	       hdr_end - BP_SETUP_SECTS);
	bp[BP_TYPE_OF_LOADER] = 0xff;
	bp[BP_LOADFLAGS] = LOADED_HIGH;

	max_cmd = get32(hdr + BP_CMDLINE_SIZE);
	if (cmdline && (strlen(cmdline) > max_cmd ||
			strlen(cmdline) >= LINUX_CMDLINE_MAX)) {
		snprintf(err, errlen, "the command line is longer than the kernel's %u bytes",
			 max_cmd < LINUX_CMDLINE_MAX ? max_cmd : LINUX_CMDLINE_MAX - 1);
		return -1;
	}
	memset(m + LINUX_CMDLINE_GPA, 0, LINUX_CMDLINE_MAX);
	if (cmdline)
		strcpy((char *)m + LINUX_CMDLINE_GPA, cmdline);
	put32(bp + BP_CMD_LINE_PTR, LINUX_CMDLINE_GPA);

	/* The initrd at the top, page-aligned, below the kernel's limit. */
	if (initrd) {
		initrd_max = get32(hdr + BP_INITRD_ADDR_MAX);
		top = mem_size < (uint64_t)initrd_max + 1 ? mem_size :
		      (uint64_t)initrd_max + 1;
		if (read_file(initrd, NULL, UINT64_MAX, 0, &isize, err, errlen))
			return -1;
		/* Above the memory the kernel decompresses into. */
		e->initrd_gpa = (top - isize) & ~(PG - 1);
		if (isize > top || e->initrd_gpa < load + init_size) {
			snprintf(err, errlen, "%s: %" PRIu64 " bytes do not fit between the kernel and 0x%" PRIx64,
				 initrd, isize, top);
			return -1;
		}
		if (read_file(initrd, m + e->initrd_gpa, isize, 0, &isize,
			      err, errlen))
			return -1;
		e->initrd_size = isize;
		put32(bp + BP_RAMDISK_IMAGE, e->initrd_gpa);
		put32(bp + BP_RAMDISK_SIZE, isize);
	}

	/* The device tree, the only setup_data. */
	n = linux_make_fdt(m + LINUX_DTB_GPA + 16, LINUX_DTB_MAX - 16, nr_cpus);
	if (n < 0) {
		snprintf(err, errlen, "the device tree of %d CPUs does not fit",
			 nr_cpus);
		return -1;
	}
	put64(m + LINUX_DTB_GPA, 0);
	put32(m + LINUX_DTB_GPA + 8, SETUP_DTB);
	put32(m + LINUX_DTB_GPA + 12, n);
	put64(bp + BP_SETUP_DATA, LINUX_DTB_GPA);

	/* e820: low memory, the legacy hole, the rest. */
	bp[BP_E820_ENTRIES] = 3;
	put64(bp + BP_E820_TABLE, 0);
	put64(bp + BP_E820_TABLE + 8, 0x9f000);
	put32(bp + BP_E820_TABLE + 16, E820_RAM);
	put64(bp + BP_E820_TABLE + 20, 0x9f000);
	put64(bp + BP_E820_TABLE + 28, 0x100000 - 0x9f000);
	put32(bp + BP_E820_TABLE + 36, E820_RESERVED);
	put64(bp + BP_E820_TABLE + 40, 0x100000);
	put64(bp + BP_E820_TABLE + 48, mem_size - 0x100000);
	put32(bp + BP_E820_TABLE + 56, E820_RAM);

	linux_tables(m);
	e->rip = load + 0x200;		/* startup_64 */
	e->rsi = LINUX_ZERO_PAGE_GPA;
	e->rsp = LINUX_STACK_TOP;
	return 0;
}
