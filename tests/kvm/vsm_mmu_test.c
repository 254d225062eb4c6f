// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_mmu_test: the MMU maps each gfn with the access the vCPU's active
 * VTL is allowed by the per-VTL protection layers (KVM_CAP_HYPERV_VSM,
 * KVM_SET_VTL_PROTECTION, KVM_SET_VSM_STATE).
 *
 *  - every valid protection set of layers 1 and 2, seen from VTL0, VTL1 and
 *    VTL2, for reads, writes and execution: a denied access exits with
 *    KVM_EXIT_MEMORY_FAULT (exact gpa, access, VTL), an allowed one runs,
 *    and the denied one succeeds once access is granted;
 *  - a protection removed while another vCPU writes the page in a loop
 *    takes effect before the ioctl returns;
 *  - a layer change zaps only the roots of the VTLs below the layer;
 *  - huge pages stay 2M where a layer is uniform and split where not;
 *  - the instruction emulator (here "rep insb") does not write a page the
 *    active VTL may only read: the emulation fails and nothing is written;
 *  - invalid uses of the capability and of the vCPU state ioctls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define PG		4096ULL
#define R		KVM_VTL_PROT_READ
#define W		KVM_VTL_PROT_WRITE
#define X		(KVM_VTL_PROT_KEXEC | KVM_VTL_PROT_UEXEC)
#define RWX		(R | W | X)

#define TEST_SLOT	1
#define TEST_GPA	BIT_ULL(30)
#define TEST_PAGES	8
#define THP_SLOT	2
#define THP_GPA		BIT_ULL(31)
#define THP_SIZE	(32ULL << 20)

enum { OP_READ, OP_WRITE, OP_EXEC, OP_WRITE_LOOP, OP_TOUCH_THP, OP_INS };

#define INS_PORT	0x1234
#define INS_COUNT	16

static struct {
	u64 gva;
	int op;
	u64 stop;
} cmd;

static void guest_code(void)
{
	u64 *p;
	u64 i;

	for (;;) {
		p = (u64 *)cmd.gva;
		switch (cmd.op) {
		case OP_READ:
			READ_ONCE(*p);
			break;
		case OP_WRITE:
			WRITE_ONCE(*p, 0x5a5a);
			break;
		case OP_EXEC:
			((void (*)(void))cmd.gva)();
			break;
		case OP_WRITE_LOOP:
			for (i = 1; !READ_ONCE(cmd.stop); i++)
				WRITE_ONCE(*p, i);
			break;
		case OP_TOUCH_THP:
			for (i = 0; i < THP_SIZE; i += PG)
				READ_ONCE(*(u64 *)(THP_GPA + i));
			break;
		case OP_INS:
			/* String I/O: KVM emulates it and writes the page. */
			i = INS_COUNT;
			asm volatile("rep insb"
				     : "+D"(p), "+c"(i)
				     : "d"(INS_PORT)
				     : "memory");
			break;
		}
		GUEST_SYNC(cmd.op);
	}
}

static void set_prot(struct kvm_vm *vm, u8 vtl, u64 gpa, u64 size, u8 prot)
{
	struct kvm_vtl_protection p = {
		.address = gpa, .size = size, .vtl = vtl, .prot = prot,
	};

	vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
}

static void set_vtl(struct kvm_vcpu *vcpu, u8 vtl)
{
	struct kvm_vsm_state s = { .active_vtl = vtl };

	vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s);
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpus, int nr, u8 max_vtl)
{
	struct kvm_vm *vm = vm_create(nr);
	int i;

	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, max_vtl);
	for (i = 0; i < nr; i++)
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA,
				    TEST_SLOT, TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	/* The exec page: a bare "ret". */
	memset(addr_gpa2hva(vm, TEST_GPA + PG), 0xc3, PG);
	return vm;
}

static void set_cmd(struct kvm_vm *vm, int op, u64 gva)
{
	cmd.op = op;
	cmd.gva = gva;
	cmd.stop = 0;
	sync_global_to_guest(vm, cmd);
}

static void expect_sync(struct kvm_vcpu *vcpu, int op)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT_EQ(uc.args[1], op);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
}

static void expect_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 access, u8 vtl)
{
	int r = __vcpu_run(vcpu);
	u64 want = access | KVM_MEMORY_EXIT_FLAG_VTL |
		   ((u64)vtl << KVM_MEMORY_EXIT_VTL_SHIFT);

	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN: want EFAULT, got %d errno %d", r, errno);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MEMORY_FAULT);
	TEST_ASSERT(vcpu->run->memory_fault.gpa == gpa &&
		    vcpu->run->memory_fault.size == PG &&
		    vcpu->run->memory_fault.flags == want,
		    "memory fault: gpa 0x%llx size 0x%llx flags 0x%llx, want 0x%lx 0x%llx 0x%lx",
		    vcpu->run->memory_fault.gpa, vcpu->run->memory_fault.size,
		    vcpu->run->memory_fault.flags, gpa, PG, want);
	TEST_ASSERT_EQ(KVM_MEMORY_EXIT_VTL(vcpu->run->memory_fault.flags), vtl);
}

static bool allows(u8 prot, int op)
{
	if (!(prot & R))
		return false;
	return op == OP_READ || (op == OP_WRITE && (prot & W)) ||
	       (op == OP_EXEC && (prot & X));
}

/* Every valid set in layers 1 and 2, from VTL0, VTL1 and VTL2. */
static void test_access_matrix(void)
{
	static const u8 prots[] = { 0, R, R | X, R | W, RWX };
	static const u64 access[] = {
		KVM_MEMORY_EXIT_FLAG_READ, KVM_MEMORY_EXIT_FLAG_WRITE,
		KVM_MEMORY_EXIT_FLAG_EXEC,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, 1, 2);
	unsigned int i, j, denied = 0, allowed = 0;
	int vtl, op;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		for (j = 0; j < ARRAY_SIZE(prots); j++) {
			for (vtl = 0; vtl <= 2; vtl++) {
				/* VTL0 sees layers 1 and 2, VTL1 layer 2. */
				u8 eff = vtl == 0 ? prots[i] & prots[j] :
					 vtl == 1 ? prots[j] : RWX;

				set_vtl(vcpu, vtl);
				for (op = OP_READ; op <= OP_EXEC; op++) {
					u64 gpa = TEST_GPA + (op == OP_EXEC ? PG : 0);

					set_prot(vm, 1, gpa, PG, prots[i]);
					set_prot(vm, 2, gpa, PG, prots[j]);
					set_cmd(vm, op, gpa);
					if (allows(eff, op)) {
						expect_sync(vcpu, op);
						allowed++;
						continue;
					}
					expect_fault(vcpu, gpa, access[op], vtl);
					denied++;
					/* Granted, the same access goes through. */
					set_prot(vm, 1, gpa, PG, RWX);
					set_prot(vm, 2, gpa, PG, RWX);
					expect_sync(vcpu, op);
				}
			}
		}
	}
	kvm_vm_free(vm);
	ksft_test_result_pass("access matrix: %u allowed, %u denied and retried\n",
			      allowed, denied);
}

static void *run_writer(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	return (void *)(long)__vcpu_run(vcpu);
}

/* A protection removed under a writing vCPU holds when the ioctl returns. */
static void test_concurrent_revoke(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = create_vm(vcpus, 2, 1);
	u64 *hva = addr_gpa2hva(vm, TEST_GPA);
	pthread_t thread;
	u64 v1, v2;
	void *ret;
	int round;

	set_cmd(vm, OP_WRITE_LOOP, TEST_GPA);
	for (round = 0; round < 3; round++) {
		WRITE_ONCE(*hva, 0);
		pthread_create(&thread, NULL, run_writer, vcpus[1]);
		while (!READ_ONCE(*hva))
			sched_yield();

		set_prot(vm, 1, TEST_GPA, PG, R);
		v1 = READ_ONCE(*hva);
		usleep(20000);
		v2 = READ_ONCE(*hva);
		TEST_ASSERT(v1 == v2, "round %d: write after the ioctl returned (%lu -> %lu)",
			    round, v1, v2);

		pthread_join(thread, &ret);
		TEST_ASSERT((long)ret == -1, "round %d: KVM_RUN returned %ld", round, (long)ret);
		TEST_ASSERT_KVM_EXIT_REASON(vcpus[1], KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT_EQ(vcpus[1]->run->memory_fault.gpa, TEST_GPA);
		TEST_ASSERT_EQ(vcpus[1]->run->memory_fault.flags,
			       KVM_MEMORY_EXIT_FLAG_WRITE | KVM_MEMORY_EXIT_FLAG_VTL);

		/* Granted again: the retried write and the loop go on. */
		set_prot(vm, 1, TEST_GPA, PG, R | W);
		pthread_create(&thread, NULL, run_writer, vcpus[1]);
		v1 = READ_ONCE(*hva);
		while (READ_ONCE(*hva) == v1)
			sched_yield();
		cmd.stop = 1;
		sync_global_to_guest(vm, cmd);
		pthread_join(thread, &ret);
		TEST_ASSERT((long)ret == 0, "round %d: KVM_RUN after grant: %ld", round, (long)ret);
		TEST_ASSERT_KVM_EXIT_REASON(vcpus[1], KVM_EXIT_IO);
		cmd.stop = 0;
		sync_global_to_guest(vm, cmd);
	}

	/* The other vCPU, at VTL1, was never restricted. */
	set_prot(vm, 1, TEST_GPA, PG, 0);
	set_vtl(vcpus[0], 1);
	set_cmd(vm, OP_WRITE, TEST_GPA);
	expect_sync(vcpus[0], OP_WRITE);
	kvm_vm_free(vm);
	ksft_test_result_pass("revoked write access holds when the ioctl returns\n");
}

/* THP-backed memory keeps 2M mappings where the layers are uniform. */
static void test_huge_pages(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, 1, 1);
	u64 base_2m, base_4k, n2m = THP_SIZE / (2 << 20);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS_THP, THP_GPA,
				    THP_SLOT, THP_SIZE / PG, 0);
	virt_map(vm, THP_GPA, THP_GPA, THP_SIZE / PG);
	base_2m = vm_get_stat(vm, "pages_2m");
	base_4k = vm_get_stat(vm, "pages_4k");

	set_cmd(vm, OP_TOUCH_THP, 0);
	expect_sync(vcpu, OP_TOUCH_THP);
	if (vm_get_stat(vm, "pages_2m") != base_2m + n2m) {
		kvm_vm_free(vm);
		ksft_test_result_skip("huge pages: THP gave %lu of %lu 2M mappings\n",
				      vm_get_stat(vm, "pages_2m") - base_2m, n2m);
		return;
	}

	/* A whole 2M range read-only stays one mapping... */
	set_prot(vm, 1, THP_GPA, 2 << 20, R | X);
	expect_sync(vcpu, OP_TOUCH_THP);
	TEST_ASSERT_EQ(vm_get_stat(vm, "pages_2m"), base_2m + n2m);

	/* ...one 4K page in another splits exactly that range. */
	set_prot(vm, 1, THP_GPA + (6ULL << 20) + 5 * PG, PG, R);
	expect_sync(vcpu, OP_TOUCH_THP);
	TEST_ASSERT_EQ(vm_get_stat(vm, "pages_2m"), base_2m + n2m - 1);
	TEST_ASSERT(vm_get_stat(vm, "pages_4k") >= base_4k + 512,
		    "pages_4k %lu, want at least %lu", vm_get_stat(vm, "pages_4k"),
		    base_4k + 512);

	/* Uniform again: back to 2M once the split range is zapped. */
	set_prot(vm, 1, THP_GPA + (6ULL << 20), 2 << 20, RWX);
	expect_sync(vcpu, OP_TOUCH_THP);
	kvm_vm_free(vm);
	ksft_test_result_pass("huge pages: 2M kept where uniform, split where not\n");
}

/* A change in layer 1 zaps the VTL0 root only, never VTL1's. */
static void test_zap_roots(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, 1, 1);
	u64 base;
	int i;

	set_vtl(vcpu, 1);
	for (i = 0; i < TEST_PAGES; i++) {
		set_cmd(vm, OP_READ, TEST_GPA + i * PG);
		expect_sync(vcpu, OP_READ);
	}
	base = vm_get_stat(vm, "pages_4k");
	set_prot(vm, 1, TEST_GPA, TEST_PAGES * PG, R);
	TEST_ASSERT_EQ(vm_get_stat(vm, "pages_4k"), base);

	set_vtl(vcpu, 0);
	for (i = 0; i < TEST_PAGES; i++) {
		set_cmd(vm, OP_READ, TEST_GPA + i * PG);
		expect_sync(vcpu, OP_READ);
	}
	/* VTL0's own root now maps the test pages (and the guest's code). */
	base = vm_get_stat(vm, "pages_4k");
	set_prot(vm, 1, TEST_GPA, TEST_PAGES * PG, R | W);
	TEST_ASSERT_EQ(vm_get_stat(vm, "pages_4k"), base - TEST_PAGES);
	kvm_vm_free(vm);
	ksft_test_result_pass("a layer change zaps the roots of lower VTLs only\n");
}

static void test_invalid(void)
{
	struct kvm_vsm_state s = { };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_HYPERV_VSM), 2);

	vm = vm_create(1);
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 0) == -1 && errno == EINVAL,
		    "max VTL 0: errno %d", errno);
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 3) == -1 && errno == EINVAL,
		    "max VTL 3: errno %d", errno);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1) == -1 && errno == EBUSY,
		    "enable after vCPU creation: errno %d", errno);
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_VSM_STATE, &s) == -1 && errno == ENXIO,
		    "KVM_GET_VSM_STATE without VSM: errno %d", errno);
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == ENXIO,
		    "KVM_SET_VSM_STATE without VSM: errno %d", errno);
	kvm_vm_free(vm);

	vm = create_vm(&vcpu, 1, 1);
	TEST_ASSERT(__vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1) == -1 && errno == EBUSY,
		    "second enable: errno %d", errno);
	s.active_vtl = 2;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == EINVAL,
		    "VTL above the maximum: errno %d", errno);
	s.active_vtl = 200;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == EINVAL,
		    "VTL 200: errno %d", errno);
	s.active_vtl = 1;
	s.enabled_vtls = 4;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == EINVAL,
		    "enabled VTL above the maximum: errno %d", errno);
	s.enabled_vtls = 0;
	s.pad2[0] = 1;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == EINVAL,
		    "non-zero pad: errno %d", errno);
	s.pad2[0] = 0;
	s.reserved[6] = 1;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_STATE, &s) == -1 && errno == EINVAL,
		    "non-zero reserved: errno %d", errno);
	vcpu_ioctl(vcpu, KVM_GET_VSM_STATE, &s);
	TEST_ASSERT_EQ(s.active_vtl, 0);
	TEST_ASSERT_EQ(s.enabled_vtls, 1);
	set_vtl(vcpu, 1);
	vcpu_ioctl(vcpu, KVM_GET_VSM_STATE, &s);
	TEST_ASSERT_EQ(s.active_vtl, 1);
	TEST_ASSERT_EQ(s.enabled_vtls, 3);
	kvm_vm_free(vm);
	ksft_test_result_pass("invalid capability and state uses refused\n");
}

/* "rep insb" into @gpa: an IN exit, answered with 0xab bytes. */
static void expect_ins_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT(run->io.port == INS_PORT &&
		    run->io.direction == KVM_EXIT_IO_IN && run->io.size == 1 &&
		    run->io.count == INS_COUNT,
		    "IN exit: port 0x%x dir %u size %u count %u", run->io.port,
		    run->io.direction, run->io.size, run->io.count);
	memset((u8 *)run + run->io.data_offset, 0xab, INS_COUNT);
}

static void test_emulator(void)
{
	const u64 gpa = TEST_GPA + 2 * PG;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u8 *page, want[INS_COUNT];

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_EXIT_ON_EMULATION_FAILURE));
	vm = create_vm(&vcpu, 1, 1);
	vm_enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1);
	page = addr_gpa2hva(vm, gpa);
	memset(page, 0x11, PG);
	set_prot(vm, 1, gpa, PG, R);
	set_vtl(vcpu, 0);
	set_cmd(vm, OP_INS, gpa);

	/* Read-only for VTL0: the emulated write fails, the page stays. */
	expect_ins_exit(vcpu);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ(vcpu->run->internal.suberror,
		       KVM_INTERNAL_ERROR_EMULATION);
	memset(want, 0x11, sizeof(want));
	TEST_ASSERT(!memcmp(page, want, sizeof(want)),
		    "the emulator wrote a page VTL1 made read-only for VTL0");

	/* Writable: the instruction, run again, completes. */
	set_prot(vm, 1, gpa, PG, R | W);
	expect_ins_exit(vcpu);
	expect_sync(vcpu, OP_INS);
	memset(want, 0xab, sizeof(want));
	TEST_ASSERT(!memcmp(page, want, sizeof(want)),
		    "rep insb did not write a writable page");
	kvm_vm_free(vm);
	ksft_test_result_pass("the emulator writes only where the active VTL may\n");
}

int main(void)
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	ksft_print_header();
	ksft_set_plan(6);
	test_invalid();
	test_access_matrix();
	test_zap_roots();
	test_concurrent_revoke();
	test_huge_pages();
	test_emulator();
	ksft_finished();
}
