// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_mmu_bench: the cost VSM adds to KVM's page-fault path. A VTL0 vCPU
 * touches every 4K page of a 1 GiB memslot (262144 faults), on a VM without
 * VSM and on one with KVM_CAP_HYPERV_VSM and a VTL1 layer holding 10000
 * scattered protections outside the touched range. Rounds alternate so
 * that host noise hits both alike; the medians and their ratio are printed.
 *
 * Usage: vsm_mmu_bench [-s MiB] [-r rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define PG		4096ULL
#define MEM_SLOT	1
#define MEM_GPA		BIT_ULL(32)
#define PROT_GPA	BIT_ULL(36)

static u64 mem_size = 1ULL << 30;
static void *mem;

static void guest_code(void)
{
	u64 off;

	for (off = 0; off < mem_size; off += PG)
		WRITE_ONCE(*(u64 *)(MEM_GPA + off), off);
	GUEST_DONE();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds for the guest to fault in the whole slot. */
static double one_round(bool vsm)
{
	struct kvm_vcpu *vcpu;
	/* Memslot 0 gets room for the guest page tables of the slot. */
	struct kvm_vm *vm = __vm_create(VM_SHAPE_DEFAULT, 1, mem_size / PG);
	struct ucall uc;
	double t0, t;
	int i;

	if (vsm) {
		vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
		for (i = 0; i < 10000; i++) {
			struct kvm_vtl_protection p = {
				.address = PROT_GPA + (u64)i * 7 * PG,
				.size = PG, .vtl = 1, .prot = KVM_VTL_PROT_READ,
			};

			vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
		}
	}
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	sync_global_to_guest(vm, mem_size);
	/* The same populated host memory in every round. */
	vm_set_user_memory_region(vm, MEM_SLOT, 0, MEM_GPA, mem_size, mem);
	virt_map(vm, MEM_GPA, MEM_GPA, mem_size / PG);

	t0 = now();
	vcpu_run(vcpu);
	t = now() - t0;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char *argv[])
{
	double off[16], on[16], m_off, m_on;
	int opt, rounds = 3, i;
	u64 faults;

	while ((opt = getopt(argc, argv, "s:r:")) != -1) {
		switch (opt) {
		case 's':
			mem_size = atoi_positive("size in MiB", optarg) * (1ULL << 20);
			break;
		case 'r':
			rounds = atoi_positive("rounds", optarg);
			TEST_ASSERT(rounds <= 16, "at most 16 rounds");
			break;
		default:
			printf("usage: %s [-s MiB] [-r rounds]\n", argv[0]);
			exit(KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	faults = mem_size / PG;

	/* Host pages exist: the guest's faults measure KVM, not the host. */
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "cannot map %lu MiB", mem_size >> 20);
	madvise(mem, mem_size, MADV_NOHUGEPAGE);
	memset(mem, 1, mem_size);

	for (i = 0; i < rounds; i++) {
		off[i] = one_round(false);
		on[i] = one_round(true);
		printf("round %d: VSM off %.3f s, VSM on %.3f s\n", i, off[i], on[i]);
	}
	qsort(off, rounds, sizeof(off[0]), cmp_double);
	qsort(on, rounds, sizeof(on[0]), cmp_double);
	m_off = off[rounds / 2];
	m_on = on[rounds / 2];

	printf("%-28s %10s %12s %12s\n", "configuration", "faults", "faults/s", "ns/fault");
	printf("%-28s %10lu %12.0f %12.0f\n", "VSM off", faults, faults / m_off,
	       m_off * 1e9 / faults);
	printf("%-28s %10lu %12.0f %12.0f\n", "VSM on, VTL0, 10000 prots", faults,
	       faults / m_on, m_on * 1e9 / faults);
	printf("VSM fault-path cost: %+.1f%% time per fault (median of %d rounds)\n",
	       (m_on / m_off - 1) * 100, rounds);
	printf("target: at most +5%%\n");
	return 0;
}
