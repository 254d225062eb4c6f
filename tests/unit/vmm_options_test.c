// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_options_test: the VMM's command line (vmm_parse_options()) and guest
 * image loader (vmm_load_image()), table-driven: every option, every bad
 * value with its message, and images good and broken in each way the
 * loader checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
	test_options();
	test_image();
	if (failures) {
		printf("vmm_options_test: %d of %d checks failed\n", failures,
		       cases);
		return 1;
	}
	printf("vmm_options_test: %d checks ok\n", cases);
	return 0;
}
