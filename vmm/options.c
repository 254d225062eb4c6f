// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's command line and guest image loader. Every refusal says what
 * is wrong in @err; nothing here exits, so that tests/unit can check them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "vsm_boot.h"

static int parse_num(const char *opt, const char *s, uint64_t lo, uint64_t hi,
		     uint64_t *v, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || *s == '\0' || *s == '-' || *end != '\0' || *v < lo ||
	    *v > hi) {
		snprintf(err, errlen, "%s: '%s' is not a number in [%" PRIu64
			 ", %" PRIu64 "]", opt, s, lo, hi);
		return -1;
	}
	return 0;
}

/**
 * vmm_parse_options - parse the VMM's command line
 * @argc: argument count
 * @argv: arguments
 * @o: filled with the options, defaults for those not given
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * Return: 0; 1 for --help; -1 with @err set for a bad option, a missing or
 * extra image argument.
 */
int vmm_parse_options(int argc, char **argv, struct vmm_opts *o, char *err,
		      size_t errlen)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "max-vtl", required_argument, NULL, 'v' },
		{ "pages", required_argument, NULL, 'p' },
		{ "touches", required_argument, NULL, 't' },
		{ "trips", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "bench", required_argument, NULL, 'b' },
		{ "trip-path", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "vtl", required_argument, NULL, 'l' },
		{ "report", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	uint64_t v;
	int c;

	*o = (struct vmm_opts){
		.vcpus = 2, .mem_mib = 1024, .max_vtl = 1,
		.mode = VSM_MODE_REPLAY, .apply = VSM_APPLY_KERNEL,
		.pages = 100000, .touches = 64, .trips = 1000, .seed = 1,
	};
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:m:v:p:t:r:s:b:T:jk:i:a:l:R:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_num("--vcpus", optarg, 1, VSM_MAX_VCPUS, &v,
				      err, errlen))
				return -1;
			o->vcpus = v;
			break;
		case 'm':
			if (parse_num("--mem", optarg, 64, 4096, &v, err, errlen))
				return -1;
			o->mem_mib = v;
			break;
		case 'v':
			if (parse_num("--max-vtl", optarg, 1, 2, &v, err, errlen))
				return -1;
			o->max_vtl = v;
			break;
		case 'p':
			if (parse_num("--pages", optarg, 1, 1ull << 24, &o->pages,
				      err, errlen))
				return -1;
			break;
		case 't':
			if (parse_num("--touches", optarg, 0, 4096, &o->touches,
				      err, errlen))
				return -1;
			break;
		case 'r':
			if (parse_num("--trips", optarg, 0, 1ull << 24, &o->trips,
				      err, errlen))
				return -1;
			break;
		case 's':
			if (parse_num("--seed", optarg, 0, UINT64_MAX, &o->seed,
				      err, errlen))
				return -1;
			break;
		case 'b':
			o->mode = VSM_MODE_BENCH;
			if (!strcmp(optarg, "kernel")) {
				o->apply = VSM_APPLY_KERNEL;
			} else if (!strcmp(optarg, "vmm")) {
				o->apply = VSM_APPLY_VMM;
			} else if (!strcmp(optarg, "memslot")) {
				o->apply = VSM_APPLY_MEMSLOT;
			} else {
				snprintf(err, errlen, "--bench: '%s' is not kernel, vmm or memslot",
					 optarg);
				return -1;
			}
			break;
		case 'T':
			if (!strcmp(optarg, "kernel")) {
				o->skip_trips = VSM_TRIPS_FLOOR | VSM_TRIPS_VMM;
			} else if (!strcmp(optarg, "floor")) {
				o->skip_trips = VSM_TRIPS_KERNEL | VSM_TRIPS_VMM;
			} else if (!strcmp(optarg, "vmm")) {
				o->skip_trips = VSM_TRIPS_KERNEL | VSM_TRIPS_FLOOR;
			} else {
				snprintf(err, errlen, "--trip-path: '%s' is not kernel, floor or vmm",
					 optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = 1;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'l':
			if (parse_num("--vtl", optarg, 0, 2, &v, err, errlen))
				return -1;
			o->start_vtl = v;
			break;
		case 'R':
			o->report = optarg;
			break;
		case 'h':
			return 1;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value",
				 argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option '%s' (see --help)",
				 argv[optind - 1]);
			return -1;
		}
	}
	if (o->report) {
		if (o->kernel || o->mode == VSM_MODE_BENCH || optind != argc) {
			snprintf(err, errlen, "--report reads a saved boot page: no image, --kernel or --bench");
			return -1;
		}
		return 0;
	}
	if (o->kernel) {
		if (optind != argc) {
			snprintf(err, errlen, "unexpected argument '%s': --kernel boots Linux instead of an image",
				 argv[optind]);
			return -1;
		}
		if (o->mode == VSM_MODE_BENCH) {
			snprintf(err, errlen, "--bench runs the replay image, not --kernel");
			return -1;
		}
		if (o->start_vtl > o->max_vtl) {
			snprintf(err, errlen, "--vtl %d is above --max-vtl %d",
				 o->start_vtl, o->max_vtl);
			return -1;
		}
		return 0;
	}
	if (o->initrd || o->append || o->start_vtl) {
		snprintf(err, errlen, "--initrd, --append and --vtl go with --kernel");
		return -1;
	}
	if (optind == argc) {
		snprintf(err, errlen, "no guest image given (see --help)");
		return -1;
	}
	if (optind + 1 != argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)",
			 argv[optind + 1]);
		return -1;
	}
	o->image = argv[optind];
	if (o->mode == VSM_MODE_BENCH && o->vcpus != 1) {
		snprintf(err, errlen, "--bench runs on one vCPU (--vcpus 1)");
		return -1;
	}
	if (o->skip_trips && o->mode != VSM_MODE_BENCH) {
		snprintf(err, errlen, "--trip-path goes with --bench");
		return -1;
	}
	return 0;
}

/**
 * vmm_load_image - load a guest image into guest memory
 * @path: the image file: struct vsm_image_header, then code and data
 * @mem: guest memory, guest physical address 0 at @mem
 * @mem_size: bytes of guest memory
 * @entry: the image's entry point, on success
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * The image goes to VSM_IMAGE_LOAD. It must carry the magic and version,
 * fit its own declared size, which must fit VSM_IMAGE_MAX and guest
 * memory, and have its entry point inside.
 *
 * Return: 0, or -1 with @err set.
 */
int vmm_load_image(const char *path, void *mem, uint64_t mem_size,
		   uint64_t *entry, char *err, size_t errlen)
{
	struct vsm_image_header h;
	struct stat st;
	uint8_t *dst;
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
	if ((uint64_t)st.st_size < sizeof(h)) {
		snprintf(err, errlen, "%s: %lld bytes, too short for an image header",
			 path, (long long)st.st_size);
		goto out;
	}
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		snprintf(err, errlen, "%s: cannot read the header", path);
		goto out;
	}
	if (h.magic != VSM_IMAGE_MAGIC || h.version != VSM_IMAGE_VERSION) {
		snprintf(err, errlen, "%s: not a VSM guest image (magic 0x%08x version %u)",
			 path, h.magic, h.version);
		goto out;
	}
	if (h.size < (uint64_t)st.st_size || h.size > VSM_IMAGE_MAX) {
		snprintf(err, errlen, "%s: image size %" PRIu64 " does not hold the file's %lld bytes or exceeds %llu",
			 path, h.size, (long long)st.st_size, VSM_IMAGE_MAX);
		goto out;
	}
	if (VSM_IMAGE_LOAD + h.size > mem_size) {
		snprintf(err, errlen, "%s: does not fit %" PRIu64 " bytes of guest memory",
			 path, mem_size);
		goto out;
	}
	if (h.entry < VSM_IMAGE_LOAD + sizeof(h) ||
	    h.entry >= VSM_IMAGE_LOAD + h.size) {
		snprintf(err, errlen, "%s: entry point 0x%" PRIx64 " is outside the image",
			 path, h.entry);
		goto out;
	}
	dst = (uint8_t *)mem + VSM_IMAGE_LOAD;
	n = pread(fd, dst, st.st_size, 0);
	if (n != st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		goto out;
	}
	*entry = h.entry;
	r = 0;
out:
	close(fd);
	return r;
}
