// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_options_test: the VMM's command line (vmm_parse_options()), guest
 * image loader (vmm_load_image()) and Linux loader (linux_load(),
 * linux_make_fdt()), table-driven: every option, every bad value with its
 * message, and images and bzImages good and broken in each way the
 * loaders check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_boot.h"
#include "options.h"
#include "vsm_boot.h"

static int failures, cases;

static void check(int ok, const char *what, const char *name)
{
	cases++;
	if (!ok) {
		printf("FAIL %s: %s\n", name, what);
		failures++;
	}
}

struct opt_case {
	const char *name;
	const char *argv[8];
	int want;		/* 0, 1 (help) or -1 */
	const char *err;	/* substring of the message, for -1 */
	int vcpus;
	long mem_mib;
	int mode, apply;
	uint64_t pages;
	uint32_t skip_trips;
};

static const struct opt_case opt_cases[] = {
	{ "defaults", { "img" }, 0, NULL, 2, 1024, VSM_MODE_REPLAY, 0, 100000 },
	{ "short options", { "-c", "4", "-m", "512", "-p", "7", "img" }, 0,
	  NULL, 4, 512, VSM_MODE_REPLAY, 0, 7 },
	{ "long options", { "--vcpus=8", "--mem", "4096", "img" }, 0, NULL,
	  8, 4096, VSM_MODE_REPLAY, 0, 100000 },
	{ "bench kernel", { "-c", "1", "--bench", "kernel", "img" }, 0, NULL,
	  1, 1024, VSM_MODE_BENCH, VSM_APPLY_KERNEL, 100000 },
	{ "bench vmm", { "-c", "1", "-b", "vmm", "img" }, 0, NULL, 1, 1024,
	  VSM_MODE_BENCH, VSM_APPLY_VMM, 100000 },
	{ "bench memslot", { "-c", "1", "-b", "memslot", "img" }, 0, NULL, 1,
	  1024, VSM_MODE_BENCH, VSM_APPLY_MEMSLOT, 100000 },
	{ "bench, floor trips only", { "-c", "1", "-b", "kernel", "-T", "floor",
	  "img" }, 0, NULL, 1, 1024, VSM_MODE_BENCH, VSM_APPLY_KERNEL, 100000,
	  VSM_TRIPS_KERNEL | VSM_TRIPS_VMM },
	{ "bench, kernel trips only", { "-c", "1", "-b", "kernel",
	  "--trip-path", "kernel", "img" }, 0, NULL, 1, 1024, VSM_MODE_BENCH,
	  VSM_APPLY_KERNEL, 100000, VSM_TRIPS_FLOOR | VSM_TRIPS_VMM },
	{ "bench, VMM trips only", { "-c", "1", "-b", "vmm", "-T", "vmm",
	  "img" }, 0, NULL, 1, 1024, VSM_MODE_BENCH, VSM_APPLY_VMM, 100000,
	  VSM_TRIPS_KERNEL | VSM_TRIPS_FLOOR },
	{ "hex number", { "-p", "0x10", "img" }, 0, NULL, 2, 1024,
	  VSM_MODE_REPLAY, 0, 16 },
	{ "help", { "--help" }, 1 },
	{ "help wins over a missing image", { "-h" }, 1 },
	{ "no image", { "-c", "1" }, -1, "no guest image" },
	{ "two images", { "a", "b" }, -1, "unexpected argument 'b'" },
	{ "vcpus 0", { "-c", "0", "img" }, -1, "--vcpus: '0' is not a number in [1, 8]" },
	{ "vcpus 9", { "-c", "9", "img" }, -1, "[1, 8]" },
	{ "vcpus negative", { "-c", "-1", "img" }, -1, "--vcpus" },
	{ "vcpus junk", { "-c", "2x", "img" }, -1, "'2x'" },
	{ "vcpus empty", { "-c", "", "img" }, -1, "--vcpus: '' is not" },
	{ "mem too small", { "-m", "63", "img" }, -1, "[64, 4096]" },
	{ "mem too big", { "-m", "4097", "img" }, -1, "[64, 4096]" },
	{ "max-vtl 3", { "--max-vtl", "3", "img" }, -1, "[1, 2]" },
	{ "pages 0", { "--pages", "0", "img" }, -1, "--pages" },
	{ "touches too many", { "-t", "4097", "img" }, -1, "--touches" },
	{ "bench unknown", { "-b", "fast", "img" }, -1, "not kernel, vmm or memslot" },
	{ "bench on 2 vCPUs", { "-b", "kernel", "img" }, -1, "one vCPU" },
	{ "trip path unknown", { "-c", "1", "-b", "kernel", "-T", "all", "img" },
	  -1, "--trip-path: 'all' is not kernel, floor or vmm" },
	{ "trip path without bench", { "--trip-path", "floor", "img" }, -1,
	  "--trip-path goes with --bench" },
	{ "unknown option", { "--frobnicate", "img" }, -1, "unknown option '--frobnicate'" },
	{ "missing value", { "img", "--mem" }, -1, "needs a value" },
};

static void test_options(void)
{
	size_t i;

	for (i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *t = &opt_cases[i];
		char *argv[10] = { "vmm" }, err[256] = "";
		struct vmm_opts o;
		int argc = 1, r;

		while (t->argv[argc - 1])
			argv[argc] = (char *)t->argv[argc - 1], argc++;
		r = vmm_parse_options(argc, argv, &o, err, sizeof(err));
		check(r == t->want, "return value", t->name);
		if (r != t->want)
			printf("     got %d (%s), want %d\n", r, err, t->want);
		if (t->want == -1)
			check(strstr(err, t->err) != NULL, "message", t->name);
		if (t->want == 0 && r == 0) {
			check(o.vcpus == t->vcpus, "vcpus", t->name);
			check(o.mem_mib == t->mem_mib, "mem", t->name);
			check(o.mode == t->mode, "mode", t->name);
			check(o.apply == t->apply, "apply", t->name);
			check(o.pages == t->pages, "pages", t->name);
			check(o.skip_trips == t->skip_trips, "skip_trips",
			      t->name);
			check(o.image && !strcmp(o.image, "img"), "image",
			      t->name);
		}
	}
}

/* Write an image of @len bytes with header @h (if @h) to a temp file. */
static char *image(const struct vsm_image_header *h, size_t len)
{
	static char path[64];
	uint8_t *buf = calloc(1, len + 1);
	int fd;

	strcpy(path, "/tmp/vmm_options_test.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !buf)
		abort();
	if (h)
		memcpy(buf, h, len < sizeof(*h) ? len : sizeof(*h));
	if (len > sizeof(*h))
		buf[len - 1] = 0xc3;
	if (write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	free(buf);
	return path;
}

static void test_image(void)
{
	const struct vsm_image_header good = {
		VSM_IMAGE_MAGIC, VSM_IMAGE_VERSION, VSM_IMAGE_LOAD + 64, 8192,
	};
	static const struct {
		const char *name;
		struct vsm_image_header h;
		size_t len;
		uint64_t mem;
		const char *err;	/* NULL: loads */
	} cases_[] = {
		{ "good", good, 4096, 64 << 20, NULL },
		{ "good, bss past the file", good, 100, 64 << 20, NULL },
		{ "bad magic", { 0x12345678, 1, VSM_IMAGE_LOAD + 64, 8192 },
		  4096, 64 << 20, "not a VSM guest image" },
		{ "bad version", { VSM_IMAGE_MAGIC, 2, VSM_IMAGE_LOAD + 64, 8192 },
		  4096, 64 << 20, "not a VSM guest image" },
		{ "short file", good, 10, 64 << 20, "too short" },
		{ "size below the file", { VSM_IMAGE_MAGIC, 1,
		  VSM_IMAGE_LOAD + 64, 100 }, 4096, 64 << 20, "does not hold" },
		{ "size above the maximum", { VSM_IMAGE_MAGIC, 1,
		  VSM_IMAGE_LOAD + 64, VSM_IMAGE_MAX + 1 }, 4096, 64 << 20,
		  "exceeds" },
		{ "entry in the header", { VSM_IMAGE_MAGIC, 1, VSM_IMAGE_LOAD,
		  8192 }, 4096, 64 << 20, "entry point" },
		{ "entry past the end", { VSM_IMAGE_MAGIC, 1,
		  VSM_IMAGE_LOAD + 8192, 8192 }, 4096, 64 << 20, "entry point" },
		{ "memory too small", good, 4096, VSM_IMAGE_LOAD + 4096,
		  "does not fit" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
		uint8_t *mem = calloc(1, cases_[i].mem);
		char *path = image(&cases_[i].h, cases_[i].len), err[256] = "";
		uint64_t entry = 0;
		int r;

		r = vmm_load_image(path, mem, cases_[i].mem, &entry, err,
				   sizeof(err));
		if (!cases_[i].err) {
			check(r == 0, err, cases_[i].name);
			check(entry == cases_[i].h.entry, "entry", cases_[i].name);
			check(!memcmp(mem + VSM_IMAGE_LOAD, &cases_[i].h,
				      sizeof(cases_[i].h)), "loaded at 1 MiB",
			      cases_[i].name);
		} else {
			check(r == -1, "refused", cases_[i].name);
			check(strstr(err, cases_[i].err) != NULL, err,
			      cases_[i].name);
		}
		unlink(path);
		free(mem);
	}
	{
		char err[256] = "";
		uint64_t entry;
		uint8_t mem[16];

		check(vmm_load_image("/nonexistent/image", mem, sizeof(mem),
				     &entry, err, sizeof(err)) == -1 &&
		      strstr(err, "No such file"), err, "missing file");
		check(vmm_load_image("/tmp", mem, sizeof(mem), &entry, err,
				     sizeof(err)) == -1 &&
		      strstr(err, "not a regular file"), err, "directory");
	}
}

/* --- Linux: options, the bzImage loader, the device tree --------------- */

static void test_linux_options(void)
{
	static const struct {
		const char *name;
		const char *argv[10];
		const char *err;	/* NULL: accepted */
	} t[] = {
		{ "kernel", { "--kernel", "bz", "--initrd", "rd", "--append",
		  "x=1", "--max-vtl", "2", "--vtl", "2" }, NULL },
		{ "kernel, short", { "-k", "bz", "-i", "rd", "-a", "", "-l", "0" },
		  NULL },
		{ "vtl above max-vtl", { "--kernel", "bz", "--vtl", "2" },
		  "--vtl 2 is above --max-vtl 1" },
		{ "vtl 3", { "--kernel", "bz", "--vtl", "3" }, "[0, 2]" },
		{ "kernel and image", { "--kernel", "bz", "img" },
		  "unexpected argument 'img'" },
		{ "kernel and bench", { "-c", "1", "-b", "kernel", "-k", "bz" },
		  "not --kernel" },
		{ "initrd without kernel", { "--initrd", "rd", "img" },
		  "go with --kernel" },
		{ "vtl without kernel", { "--vtl", "1", "img" }, "go with --kernel" },
		{ "report and image", { "--report", "page", "img" },
		  "--report reads a saved boot page" },
		{ "report and kernel", { "-R", "page", "-k", "bz" },
		  "--report reads a saved boot page" },
		{ "report and bench", { "-c", "1", "-b", "kernel", "-R", "page" },
		  "--report reads a saved boot page" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *argv[12] = { "vmm" }, err[256] = "";
		struct vmm_opts o;
		int argc = 1, r;

		while (argc < 11 && t[i].argv[argc - 1])
			argv[argc] = (char *)t[i].argv[argc - 1], argc++;
		r = vmm_parse_options(argc, argv, &o, err, sizeof(err));
		if (!t[i].err) {
			check(r == 0, err, t[i].name);
			check(r || (o.kernel && !strcmp(o.kernel, "bz") &&
				    !o.image), "kernel, no image", t[i].name);
		} else {
			check(r == -1 && strstr(err, t[i].err), err, t[i].name);
		}
	}
}

/* --report FILE alone: the summary of a boot page saved under QEMU. */
static void test_report_option(void)
{
	char *argv[] = { "vmm", "--report", "page" }, err[256] = "";
	struct vmm_opts o;
	int r = vmm_parse_options(3, argv, &o, err, sizeof(err));

	check(r == 0 && o.report && !strcmp(o.report, "page") && !o.image &&
	      !o.kernel, err, "report");
}

#define BZ_PM		1024	/* setup_sects 1: the kernel at this offset */
#define BZ_LEN		(BZ_PM + 4096)

/* A bzImage header with @edit applied, and @len bytes, to a temp file. */
static char *bzimage(void (*edit)(uint8_t *), size_t len)
{
	static char path[64];
	uint8_t *b = calloc(1, BZ_LEN);
	uint32_t v;
	size_t i;
	int fd;

	if (!b)
		abort();
	b[0x1f1] = 1;				/* setup_sects */
	b[0x200] = 0xeb;			/* jmp to the end of the header */
	b[0x201] = 0x66;
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f;			/* protocol 2.15 */
	b[0x207] = 0x02;
	b[0x211] = 1;				/* LOADED_HIGH */
	v = 0x7fffffff;
	memcpy(b + 0x22c, &v, 4);		/* initrd_addr_max */
	b[0x236] = 1;				/* XLF_KERNEL_64 */
	v = 2047;
	memcpy(b + 0x238, &v, 4);		/* cmdline_size */
	b[0x25a] = 0x00;
	b[0x25b] = 0x01;			/* pref_address 16 MiB */
	v = 0x200000;
	memcpy(b + 0x260, &v, 4);		/* init_size */
	for (i = BZ_PM; i < BZ_LEN; i++)
		b[i] = i;
	if (edit)
		edit(b);
	strcpy(path, "/tmp/vmm_options_test.bzXXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
	free(b);
	return path;
}

static void no_magic(uint8_t *b) { b[0x202] = 'X'; }
static void old_protocol(uint8_t *b) { b[0x206] = 0x0b; }
static void no_64bit(uint8_t *b) { b[0x236] = 0; }
static void huge_init(uint8_t *b) { b[0x263] = 0x40; }
static void tiny_cmdline(uint8_t *b) { b[0x238] = 4; b[0x239] = 0; }
static void bad_jump(uint8_t *b) { b[0x200] = 0x90; }
static void long_header(uint8_t *b) { b[0x201] = 0x90; }
/* pref_address 2^64 - 4 KiB: its sum with init_size wraps. */
static void wrapping_load(uint8_t *b) { memset(b + 0x258, 0xff, 8); b[0x259] = 0xf0; b[0x258] = 0; }

static uint32_t be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void test_linux_load(void)
{
	static const struct {
		const char *name;
		void (*edit)(uint8_t *);
		size_t len;
		uint64_t mem;
		const char *cmdline;
		const char *err;	/* NULL: loads */
	} t[] = {
		{ "good", NULL, BZ_LEN, 64 << 20, "console=ttyS0", NULL },
		{ "no HdrS", no_magic, BZ_LEN, 64 << 20, NULL, "not a bzImage" },
		{ "short file", NULL, 100, 64 << 20, NULL, "not a bzImage" },
		{ "protocol 2.11", old_protocol, BZ_LEN, 64 << 20, NULL,
		  "boot protocol 2.11 without a 64-bit entry" },
		{ "no 64-bit entry", no_64bit, BZ_LEN, 64 << 20, NULL,
		  "without a 64-bit entry" },
		{ "init_size too big", huge_init, BZ_LEN, 64 << 20, NULL,
		  "more than half of guest memory" },
		{ "command line too long", tiny_cmdline, BZ_LEN, 64 << 20,
		  "console=ttyS0", "longer than the kernel's 4 bytes" },
		{ "malformed header", bad_jump, BZ_LEN, 64 << 20, NULL,
		  "malformed setup header" },
		{ "header past struct setup_header", long_header, BZ_LEN,
		  64 << 20, NULL, "malformed setup header" },
		{ "load address that wraps", wrapping_load, BZ_LEN, 64 << 20,
		  NULL, "more than half of guest memory" },
		{ "memory too big", NULL, BZ_LEN, LINUX_MEM_MAX + 4096, NULL,
		  "32 to 3072 MiB" },
		{ "memory too small", NULL, BZ_LEN, 16 << 20, NULL,
		  "32 to 3072 MiB" },
	};
	static const uint8_t rd[] = "initrd bytes";
	char *rdpath = image(NULL, 0), err[256];
	FILE *f = fopen(rdpath, "w");
	size_t i;

	if (!f || fwrite(rd, sizeof(rd), 1, f) != 1)
		abort();
	fclose(f);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t *mem = calloc(1, t[i].mem), *bp;
		char *path = bzimage(t[i].edit, t[i].len);
		struct linux_entry e;
		uint32_t v;
		int r;

		err[0] = '\0';
		r = linux_load(path, t[i].err ? NULL : rdpath, t[i].cmdline, 2,
			       mem, t[i].mem, &e, err, sizeof(err));
		unlink(path);
		if (t[i].err) {
			check(r == -1 && strstr(err, t[i].err), err, t[i].name);
			free(mem);
			continue;
		}
		check(r == 0, err, t[i].name);
		bp = mem + LINUX_ZERO_PAGE_GPA;
		check(e.rip == 0x1000200 && e.rsi == LINUX_ZERO_PAGE_GPA &&
		      e.kernel_gpa == 0x1000000 && e.kernel_size == 4096,
		      "entry, kernel at 16 MiB", t[i].name);
		check(mem[0x1000000] == (uint8_t)BZ_PM &&
		      mem[0x1000fff] == (uint8_t)(BZ_LEN - 1),
		      "the protected-mode kernel loaded", t[i].name);
		check(!memcmp(bp + 0x202, "HdrS", 4) && bp[0x210] == 0xff,
		      "header copied, type_of_loader", t[i].name);
		memcpy(&v, bp + 0x228, 4);
		check(v == LINUX_CMDLINE_GPA &&
		      !strcmp((char *)mem + v, "console=ttyS0"), "cmd_line_ptr",
		      t[i].name);
		memcpy(&v, bp + 0x218, 4);
		check(v == ((t[i].mem - sizeof(rd)) & ~4095ull) &&
		      !memcmp(mem + v, rd, sizeof(rd)), "initrd at the top",
		      t[i].name);
		memcpy(&v, bp + 0x21c, 4);
		check(v == sizeof(rd), "ramdisk_size", t[i].name);
		check(bp[0x1e8] == 3, "three e820 entries", t[i].name);
		memcpy(&v, bp + 0x250, 4);
		check(v == LINUX_DTB_GPA && mem[v + 8] == 2 &&
		      be(mem + v + 16) == 0xd00dfeedu, "SETUP_DTB, an FDT",
		      t[i].name);
		check(mem[LINUX_GDT_GPA + LINUX_SEL_CODE + 5] == 0x9b &&
		      mem[LINUX_GDT_GPA + LINUX_SEL_DATA + 5] == 0x93,
		      "GDT: 0x10 code, 0x18 data", t[i].name);
		free(mem);
	}
	{
		/* An initrd that would reach into the kernel's memory. */
		uint8_t *mem = calloc(1, 64 << 20);
		char *path = bzimage(NULL, BZ_LEN);

		if (!mem || truncate(rdpath, (64 - 17) << 20) ||
		    linux_load(path, rdpath, NULL, 1, mem, 64 << 20,
			       &(struct linux_entry){ }, err,
			       sizeof(err)) != -1 ||
		    !strstr(err, "do not fit between the kernel and 0x4000000"))
			check(0, err, "initrd too big");
		else
			check(1, "", "initrd too big");
		unlink(path);
		free(mem);
	}
	{
		uint8_t mem[64];

		check(linux_load("/nonexistent/bz", NULL, NULL, 1, mem,
				 64 << 20, &(struct linux_entry){ }, err,
				 sizeof(err)) == -1 &&
		      strstr(err, "No such file"), err, "missing bzImage");
	}
	unlink(rdpath);
}

static void test_fdt(void)
{
	uint8_t buf[4096];
	int n = linux_make_fdt(buf, sizeof(buf), 3), i, found = 0;

	check(n > 0 && be(buf) == 0xd00dfeedu && be(buf + 4) == (uint32_t)n,
	      "magic, totalsize", "fdt");
	check(be(buf + 20) == 17 && be(buf + 8) < be(buf + 12) &&
	      be(buf + 12) + be(buf + 32) == (uint32_t)n, "version, blocks",
	      "fdt");
	for (i = 0; n > 0 && i + 6 <= n; i++)
		found += !memcmp(buf + i, "cpu@2", 6);
	check(found == 1, "three cpu nodes", "fdt");
	check(linux_make_fdt(buf, 200, 8) == -1, "too small a buffer",
	      "fdt");
	check(linux_make_fdt(buf, sizeof(buf), 0) == -1, "no CPU", "fdt");
}

int main(void)
{
	test_options();
	test_image();
	test_linux_options();
	test_report_option();
	test_linux_load();
	test_fdt();
	if (failures) {
		printf("vmm_options_test: %d of %d checks failed\n", failures,
		       cases);
		return 1;
	}
	printf("vmm_options_test: %d checks ok\n", cases);
	return 0;
}
