// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: the project's small VMM. For now it runs a smoke guest: a real-mode
 * program that prints through an I/O port, touches memory through MMIO and
 * halts, one per vCPU, and reports every exit it handled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_LOAD	0x1000
#define PORT_CONSOLE	0xe9
#define MMIO_ADDR	0xd0000000ULL	/* not backed by a memslot */

struct vcpu {
	int fd;
	struct kvm_run *run;
	unsigned long io_exits, mmio_exits;
	char line[128];
	size_t len;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmm: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/*
 * Real-mode guest: print "vcpu N: hello" on port 0xe9 (N in BL), read and
 * write one MMIO word, halt.
 */
static const uint8_t smoke_code[] = {
	0xbe, 0x1a, 0x10,		/* mov si, msg (0x101a) */
	0xac,				/* .next: lodsb */
	0x84, 0xc0,			/* test al, al */
	0x74, 0x04,			/* jz .num */
	0xe6, PORT_CONSOLE,		/* out 0xe9, al */
	0xeb, 0xf7,			/* jmp .next */
	0x88, 0xd8,			/* .num: mov al, bl */
	0x04, '0',			/* add al, '0' */
	0xe6, PORT_CONSOLE,		/* out 0xe9, al */
	0xb0, '\n',			/* mov al, '\n' */
	0xe6, PORT_CONSOLE,		/* out 0xe9, al */
	0xe8, 0x0d, 0x00,		/* call mmio (0x1026) */
	0xf4,				/* hlt */
	'v', 'c', 'p', 'u', ' ', 0,	/* msg at 0x101a */
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	/* mmio at 0x1026, through FS whose base is MMIO_ADDR */
	0x64, 0x8b, 0x06, 0x00, 0x00,	/* mov ax, fs:[0] */
	0x64, 0x89, 0x06, 0x04, 0x00,	/* mov fs:[4], ax */
	0xc3,				/* ret */
};

static void usage(FILE *f)
{
	fputs("usage: vmm [options]\n"
	      "Run the smoke guest: each vCPU prints through port 0xe9, does an\n"
	      "MMIO read and write, and halts.\n\n"
	      "  -c, --vcpus N   vCPUs to run (1..8, default 1)\n"
	      "  -m, --mem MIB   guest memory in MiB (1..4096, default 16)\n"
	      "  -h, --help      this text\n", f);
}

static long parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		errno = 0;
		die("%s: '%s' is not a number in [%ld, %ld]", opt, s, lo, hi);
	}
	return v;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	v->io_exits++;
	if (run->io.port != PORT_CONSOLE || run->io.direction != KVM_EXIT_IO_OUT)
		die("unexpected I/O exit: port 0x%x dir %u", run->io.port,
		    run->io.direction);
	for (i = 0; i < run->io.count * run->io.size; i++) {
		char c = data[i];

		if (c == '\n' || v->len == sizeof(v->line) - 1) {
			v->line[v->len] = '\0';
			printf("guest: %s\n", v->line);
			v->len = 0;
		} else {
			v->line[v->len++] = c;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	long nr_vcpus = 1, mem_mib = 16;
	struct kvm_userspace_memory_region region = { };
	struct timespec t0, t1;
	struct vcpu *vcpus;
	int kvm, vm, c, i, run_size;
	void *mem;

	while ((c = getopt_long(argc, argv, "c:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			nr_vcpus = parse_num("--vcpus", optarg, 1, 8);
			break;
		case 'm':
			mem_mib = parse_num("--mem", optarg, 1, 4096);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		errno = 0;
		die("unexpected argument '%s' (see --help)", argv[optind]);
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("cannot open /dev/kvm");
	printf("vmm: KVM API version %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, mem_mib << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("cannot allocate %ld MiB of guest memory", mem_mib);
	memcpy((uint8_t *)mem + GUEST_LOAD, smoke_code, sizeof(smoke_code));
	region.memory_size = mem_mib << 20;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	printf("vmm: VM with %ld MiB, %ld vCPU(s)\n", mem_mib, nr_vcpus);

	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	if (!vcpus)
		die("out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = &vcpus[i];
		struct kvm_sregs sregs;
		struct kvm_regs regs = { };

		v->fd = ioctl(vm, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("KVM_CREATE_VCPU %d", i);
		v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap of vCPU %d", i);
		if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
			die("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		sregs.fs.base = MMIO_ADDR;
		if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
			die("KVM_SET_SREGS");
		regs.rip = GUEST_LOAD;
		regs.rbx = i;
		regs.rflags = 0x2;
		if (ioctl(v->fd, KVM_SET_REGS, &regs))
			die("KVM_SET_REGS");

		for (;;) {
			if (ioctl(v->fd, KVM_RUN, 0))
				die("KVM_RUN on vCPU %d", i);
			if (v->run->exit_reason == KVM_EXIT_IO) {
				handle_io(v);
			} else if (v->run->exit_reason == KVM_EXIT_MMIO) {
				v->mmio_exits++;
				if (!v->run->mmio.is_write)
					memset(v->run->mmio.data, 0xab, 8);
			} else if (v->run->exit_reason == KVM_EXIT_HLT) {
				break;
			} else {
				errno = 0;
				die("vCPU %d: unexpected exit reason %u", i,
				    v->run->exit_reason);
			}
		}
		printf("vmm: vCPU %d halted after %lu I/O and %lu MMIO exits\n",
		       i, v->io_exits, v->mmio_exits);
		if (v->mmio_exits != 2) {
			errno = 0;
			die("vCPU %d: expected 2 MMIO exits", i);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("vmm: smoke guest done on %ld vCPU(s) in %.3f ms\n", nr_vcpus,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}
