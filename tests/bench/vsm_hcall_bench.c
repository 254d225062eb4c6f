// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_hcall_bench: the in-kernel VSM hypercalls, timed by the guest.
 *
 *  - HvModifyVtlProtectionMask from VTL1: 100000 pages (every other page
 *    of a memslot, so each one is its own range) made read-only and then
 *    read-write-execute again, in batches of 1, 16, 128 and 510 pages;
 *  - the VTL call and return round trip: VTL0 calls, VTL1 returns at once.
 *
 * The guest reads the TSC; the host turns cycles into ns with the vCPU's
 * TSC frequency and prints one line per measurement.
 *
 * Usage: vsm_hcall_bench [-p pages] [-t round trips]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "vsm_guest.h"

#define PG		4096ULL
#define MEM_SLOT	1
#define MEM_GPA		BIT_ULL(32)

enum { CMD_SETUP, CMD_RETURN, CMD_MODIFY };
enum { SYNC_TRIP = 1, SYNC_MODIFY };

static const int batches[] = { 1, 16, 128, 510 };

static struct {
	u64 hcall_gpa, hcall_gva;
	u64 in_gpa, in_gva;
	struct enable_vp_vtl ctx;
	u64 pages, trips;
	int cmd;
} g;

static u64 code_offsets;

static u64 entry(int ret)
{
	return g.hcall_gva + (code_offsets >> (ret ? 12 : 0) & 0xfff);
}

/* One pass: every page of the list to @prot, @batch pages a call. */
static void modify_pass(int batch, u8 prot)
{
	u64 *in = (u64 *)g.in_gva, start, calls = 0, i, n, k;

	start = rdtsc();
	for (i = 0; i < g.pages; i += n) {
		n = min(g.pages - i, (u64)batch);
		in[0] = SELF;
		in[1] = prot;
		for (k = 0; k < n; k++)
			in[2 + k] = (MEM_GPA >> 12) + 2 * (i + k);
		GUEST_ASSERT_EQ(vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(n),
					  g.in_gpa, 0), REPS(n));
		calls++;
	}
	GUEST_SYNC_ARGS(SYNC_MODIFY, batch, prot, rdtsc() - start, calls);
}

void vtl1_main(void)
{
	u64 rcx;
	int b;

	vsm_hv_init(g.hcall_gpa);
	for (;;) {
		switch (g.cmd) {
		case CMD_SETUP:
			GUEST_ASSERT_EQ(vsm_hcall(HVCALL_SET_VP_REGS | REPS(1),
						  g.in_gpa, 0), REPS(1));
			break;
		case CMD_MODIFY:
			for (b = 0; b < ARRAY_SIZE(batches); b++) {
				modify_pass(batches[b], M_R);
				modify_pass(batches[b], M_RWX);
			}
			break;
		}
		vsm_switch(entry(1), 1, &rcx);
	}
}

static void guest_code(void)
{
	u64 *in = (u64 *)g.in_gva, start, i, rcx;
	u32 *names = (u32 *)&in[2];

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);

	in[0] = SELF;
	in[1] = (u32)-2;
	names[0] = REG_CODE_PAGE_OFFSETS;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), g.in_gpa,
				  g.in_gpa + 2048), REPS(1));
	code_offsets = in[256];

	in[0] = SELF;
	in[1] = 1;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_PART_VTL, g.in_gpa, 0), 0);
	memcpy(in, &g.ctx, sizeof(g.ctx));
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_ENABLE_VP_VTL_, g.in_gpa, 0), 0);

	/* VTL1: EnableVtlProtection, default RWX. */
	in[0] = SELF;
	in[1] = (u32)-2;
	memset(&in[2], 0, 32);
	in[2] = REG_PARTITION_CONFIG;
	in[4] = CONFIG_ENABLE | CONFIG_MASK(M_RWX);
	g.cmd = CMD_SETUP;
	vsm_switch(entry(0), 0, &rcx);

	g.cmd = CMD_RETURN;
	start = rdtsc();
	for (i = 0; i < g.trips; i++)
		vsm_switch(entry(0), 0, &rcx);
	GUEST_SYNC_ARGS(SYNC_TRIP, g.trips, rdtsc() - start, 0, 0);

	g.cmd = CMD_MODIFY;
	vsm_switch(entry(0), 0, &rcx);
	GUEST_DONE();
}

int main(int argc, char **argv)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	double khz;
	u64 stack;
	int opt;

	g.pages = 100000;
	g.trips = 10000;
	while ((opt = getopt(argc, argv, "p:t:")) != -1) {
		switch (opt) {
		case 'p':
			g.pages = atoll(optarg);
			break;
		case 't':
			g.trips = atoll(optarg);
			break;
		default:
			printf("usage: %s [-p pages] [-t round trips]\n", argv[0]);
			exit(KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));

	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, MEM_GPA, MEM_SLOT,
				    2 * g.pages, 0);
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
	g.in_gva = vsm_alloc_page(vm, &g.in_gpa);
	stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
	vsm_make_ctx(vcpu, &g.ctx, stack);
	g.ctx.vtl = 1;
	sync_global_to_guest(vm, g);
	khz = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);
	TEST_ASSERT(khz > 0, "KVM_GET_TSC_KHZ");

	printf("# vsm_hcall_bench: %lu pages per pass (every other page), TSC %.0f kHz\n",
	       g.pages, khz);
	printf("# %-28s %6s %9s %10s %10s %12s\n", "what", "batch", "calls",
	       "ns/call", "ns/page", "pages/s");
	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			/* args[1]: what; args[2..5]: its values. */
			if (uc.args[1] == SYNC_TRIP) {
				double ns = uc.args[3] * 1e6 / khz / uc.args[2];

				printf("  %-28s %6s %9lu %10.0f\n",
				       "VTL call+return round trip", "-",
				       uc.args[2], ns);
			} else {
				double ns = uc.args[4] * 1e6 / khz;

				printf("  %-28s %6lu %9lu %10.0f %10.0f %12.0f\n",
				       uc.args[3] == M_R ? "modify mask, to R" :
				       "modify mask, back to RWX",
				       uc.args[2], uc.args[5], ns / uc.args[5],
				       ns / g.pages, g.pages * 1e9 / ns);
			}
			break;
		case UCALL_DONE:
			kvm_vm_free(vm);
			return 0;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}
