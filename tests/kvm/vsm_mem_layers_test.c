// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_mem_layers_test: KVM_CAP_VTL_PROTECTION, KVM_SET_VTL_PROTECTION and
 * KVM_GET_VTL_PROTECTION, the per-VTL protection layers of a VM: set, read
 * back, defaults, overlaps, every invalid input with its errno, and the
 * interplay with the PRIVATE memory attribute.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "test_util.h"

#define PG		4096ULL
#define R		KVM_VTL_PROT_READ
#define W		KVM_VTL_PROT_WRITE
#define KX		KVM_VTL_PROT_KEXEC
#define UX		KVM_VTL_PROT_UEXEC
#define RWX		(R | W | KX | UX)
#define RX		(R | KX | UX)
#define MODEL_PAGES	512
#define MODEL_BASE	BIT_ULL(30)

static int __set_prot(struct kvm_vm *vm, u8 vtl, u64 gpa,
		      u64 size, u8 prot, u32 flags)
{
	struct kvm_vtl_protection p = {
		.address = gpa, .size = size, .vtl = vtl, .prot = prot,
		.flags = flags,
	};

	return __vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
}

static void set_prot(struct kvm_vm *vm, u8 vtl, u64 gpa,
		     u64 size, u8 prot)
{
	int r = __set_prot(vm, vtl, gpa, size, prot, 0);

	TEST_ASSERT(!r, "KVM_SET_VTL_PROTECTION vtl %u [0x%lx, +0x%lx) prot 0x%x: %s",
		    vtl, gpa, size, prot, strerror(errno));
}

static void set_default(struct kvm_vm *vm, u8 vtl, u8 prot)
{
	int r = __set_prot(vm, vtl, 0, 0, prot, KVM_VTL_PROTECTION_DEFAULT);

	TEST_ASSERT(!r, "KVM_SET_VTL_PROTECTION default vtl %u prot 0x%x: %s",
		    vtl, prot, strerror(errno));
}

/* The run at @gpa (at most @size long): its length, protection, default. */
static u64 get_run(struct kvm_vm *vm, u8 vtl, u64 gpa, u64 size, u8 *prot,
		   bool *dflt)
{
	struct kvm_vtl_protection p = { .address = gpa, .size = size, .vtl = vtl };

	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	*prot = p.prot;
	*dflt = p.flags & KVM_VTL_PROTECTION_DEFAULT;
	return p.size;
}

static u8 get_default(struct kvm_vm *vm, u8 vtl)
{
	struct kvm_vtl_protection p = {
		.vtl = vtl, .flags = KVM_VTL_PROTECTION_DEFAULT,
	};

	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	return p.prot;
}

static void expect_run(struct kvm_vm *vm, u8 vtl, u64 gpa,
		       u64 size, u64 len, u8 prot, bool dflt)
{
	u8 got_prot;
	bool got_dflt;
	u64 got = get_run(vm, vtl, gpa, size, &got_prot, &got_dflt);

	TEST_ASSERT(got == len && got_prot == prot && got_dflt == dflt,
		    "vtl %u run at 0x%lx: got len 0x%lx prot 0x%x default %d, want 0x%lx 0x%x %d",
		    vtl, gpa, got, got_prot, got_dflt, len, prot, dflt);
}

static void test_cap(void)
{
	int n = kvm_check_cap(KVM_CAP_VTL_PROTECTION);

	TEST_ASSERT(n == 15, "KVM_CAP_VTL_PROTECTION: %d layers, want 15", n);
	ksft_test_result_pass("cap: 15 layers (VTL1..VTL15)\n");
}

static void test_defaults(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int vtl;

	for (vtl = 1; vtl <= 15; vtl++) {
		TEST_ASSERT_EQ(get_default(vm, vtl), RWX);
		expect_run(vm, vtl, 0, 1ULL << 40, 1ULL << 40, RWX, true);
	}
	set_default(vm, 1, R);
	TEST_ASSERT_EQ(get_default(vm, 1), R);
	expect_run(vm, 1, 0, 1ULL << 46, 1ULL << 46, R, true);
	TEST_ASSERT_EQ(get_default(vm, 2), RWX);
	kvm_vm_free(vm);
	ksft_test_result_pass("defaults: all RWX, set in O(1) for the whole space\n");
}

static void test_set_and_overlap(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	u64 a = 1ULL << 20;

	set_prot(vm, 1, a, 16 * PG, R);
	expect_run(vm, 1, 0, 1ULL << 30, a, RWX, true);
	expect_run(vm, 1, a, 1ULL << 30, 16 * PG, R, false);
	expect_run(vm, 1, a + 4 * PG, PG, PG, R, false);	/* clamped */
	expect_run(vm, 1, a + 16 * PG, 64 * PG, 64 * PG, RWX, true);

	/* An overlapping write splits, an equal neighbour merges. */
	set_prot(vm, 1, a + 8 * PG, 16 * PG, R | W);
	expect_run(vm, 1, a, 1ULL << 30, 8 * PG, R, false);
	expect_run(vm, 1, a + 8 * PG, 1ULL << 30, 16 * PG, R | W, false);
	set_prot(vm, 1, a + 4 * PG, 8 * PG, R);
	expect_run(vm, 1, a, 1ULL << 30, 12 * PG, R, false);
	expect_run(vm, 1, a + 12 * PG, 1ULL << 30, 12 * PG, R | W, false);
	set_prot(vm, 1, a + 12 * PG, 12 * PG, R);
	expect_run(vm, 1, a, 1ULL << 30, 24 * PG, R, false);

	/* Back to the default: the run disappears. */
	set_prot(vm, 1, a, 24 * PG, RWX);
	expect_run(vm, 1, 0, 1ULL << 30, 1ULL << 30, RWX, true);

	/* Layers are independent. */
	set_prot(vm, 2, a, PG, 0);
	expect_run(vm, 2, a, PG, PG, 0, false);
	expect_run(vm, 1, a, PG, PG, RWX, true);
	expect_run(vm, 3, a, PG, PG, RWX, true);

	/* A default change resets the layer, its exceptions included. */
	set_prot(vm, 1, a, PG, RX);
	set_default(vm, 1, R | W);
	expect_run(vm, 1, 0, 1ULL << 30, 1ULL << 30, R | W, true);
	expect_run(vm, 2, a, PG, PG, 0, false);

	/* The top of the 52-bit space. */
	set_prot(vm, 1, (1ULL << 52) - PG, PG, R);
	expect_run(vm, 1, (1ULL << 52) - PG, PG, PG, R, false);
	kvm_vm_free(vm);
	ksft_test_result_pass("set, read back, overlap, merge, layers, default reset\n");
}

/* Random writes against a per-page model, read back run by run. */
static void test_model(void)
{
	static const u8 prots[] = { 0, R, RX, R | W, RWX };
	struct kvm_vm *vm = vm_create_barebones();
	u8 model[MODEL_PAGES];
	unsigned int seed = 1, i, op;

	memset(model, RWX, sizeof(model));
	srand(seed);
	for (op = 0; op < 2000; op++) {
		unsigned int s = rand() % MODEL_PAGES;
		unsigned int n = 1 + rand() % (MODEL_PAGES - s);
		u8 prot = prots[rand() % 5];
		u64 gpa;

		if (rand() % 4)
			n = 1 + rand() % (n < 8 ? n : 8);
		set_prot(vm, 1, MODEL_BASE + s * PG, n * PG, prot);
		memset(model + s, prot, n);
		if (op % 50)
			continue;
		for (gpa = MODEL_BASE; gpa < MODEL_BASE + MODEL_PAGES * PG; ) {
			u64 left = MODEL_BASE + MODEL_PAGES * PG - gpa;
			u8 p;
			bool d;
			u64 len = get_run(vm, 1, gpa, left, &p, &d);

			i = (gpa - MODEL_BASE) / PG;
			TEST_ASSERT(len && len % PG == 0 && len <= left,
				    "op %u (seed %u): bad run length 0x%lx", op, seed, len);
			TEST_ASSERT(d == (p == RWX), "op %u: default flag %d for prot 0x%x",
				    op, d, p);
			for (; gpa < MODEL_BASE + (i * PG) + len; gpa += PG)
				TEST_ASSERT(model[(gpa - MODEL_BASE) / PG] == p,
					    "op %u (seed %u): page %lu is 0x%x, model 0x%x",
					    op, seed, (gpa - MODEL_BASE) / PG, p,
					    model[(gpa - MODEL_BASE) / PG]);
			/* Runs are maximal. */
			if (gpa < MODEL_BASE + MODEL_PAGES * PG)
				TEST_ASSERT(model[(gpa - MODEL_BASE) / PG] != p,
					    "op %u: run at page %u not maximal", op, i);
		}
	}
	kvm_vm_free(vm);
	ksft_test_result_pass("2000 random writes agree with a per-page model\n");
}

struct bad_input {
	const char *what;
	struct kvm_vtl_protection p;
	bool get_too;
};

static void test_invalid(void)
{
	const u32 DFLT = KVM_VTL_PROTECTION_DEFAULT;
	const u64 TOP = 1ULL << 52;
	const struct bad_input bad[] = {
		{ "VTL 0 owns no layer", { .size = PG, .vtl = 0, .prot = R }, true },
		{ "VTL 16", { .size = PG, .vtl = 16, .prot = R }, true },
		{ "VTL 255", { .size = PG, .vtl = 255, .prot = R }, true },
		{ "unknown flag", { .size = PG, .vtl = 1, .prot = R, .flags = 2 }, true },
		{ "pad", { .size = PG, .vtl = 1, .prot = R, .pad = 1 }, true },
		{ "reserved[0]", { .size = PG, .vtl = 1, .prot = R, .reserved = { 1 } }, true },
		{ "reserved[3]", { .size = PG, .vtl = 1, .reserved = { 0, 0, 0, 1 } }, true },
		{ "size 0", { .address = PG, .size = 0, .vtl = 1, .prot = R }, true },
		{ "unaligned address", { .address = 0x800, .size = PG, .vtl = 1 }, true },
		{ "unaligned size", { .address = PG, .size = 0x800, .vtl = 1 }, true },
		{ "wrapping range", { .address = -PG, .size = 2 * PG, .vtl = 1 }, true },
		{ "beyond 52 bits", { .address = TOP, .size = PG, .vtl = 1 }, true },
		{ "ending past 52 bits", { .address = TOP - PG, .size = 2 * PG, .vtl = 1 }, true },
		{ "W without R", { .size = PG, .vtl = 1, .prot = W } },
		{ "X without R", { .size = PG, .vtl = 1, .prot = KX | UX } },
		{ "W and X without R", { .size = PG, .vtl = 1, .prot = W | KX | UX } },
		{ "KX without UX (no MBEC)", { .size = PG, .vtl = 1, .prot = R | KX } },
		{ "UX without KX (no MBEC)", { .size = PG, .vtl = 1, .prot = R | W | UX } },
		{ "prot bit 4", { .size = PG, .vtl = 1, .prot = 0x10 | R } },
		{ "default with an address", { .address = PG, .vtl = 1, .flags = DFLT }, true },
		{ "default with a size", { .size = PG, .vtl = 1, .prot = R, .flags = DFLT }, true },
		{ "default W only", { .vtl = 1, .prot = W, .flags = DFLT } },
	};
	struct kvm_vm *vm = vm_create_barebones();
	unsigned int i;

	set_prot(vm, 1, 0, PG, R);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct kvm_vtl_protection p = bad[i].p;
		int r = __vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);

		TEST_ASSERT(r == -1 && errno == EINVAL,
			    "SET with %s: got %d errno %d, want EINVAL", bad[i].what, r, errno);
		if (bad[i].get_too) {
			p = bad[i].p;
			r = __vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
			TEST_ASSERT(r == -1 && errno == EINVAL,
				    "GET with %s: got %d errno %d, want EINVAL",
				    bad[i].what, r, errno);
		}
		/* Nothing changed. */
		expect_run(vm, 1, 0, 1ULL << 30, PG, R, false);
		expect_run(vm, 1, PG, 1ULL << 30, 1ULL << 30, RWX, true);
		TEST_ASSERT_EQ(get_default(vm, 1), RWX);
	}
	TEST_ASSERT(ioctl(vm->fd, KVM_SET_VTL_PROTECTION, NULL) == -1 && errno == EFAULT,
		    "SET with a NULL argument: want EFAULT, got errno %d", errno);
	TEST_ASSERT(ioctl(vm->fd, KVM_GET_VTL_PROTECTION, NULL) == -1 && errno == EFAULT,
		    "GET with a NULL argument: want EFAULT, got errno %d", errno);
	kvm_vm_free(vm);
	ksft_test_result_pass("%zu invalid inputs refused with EINVAL, nothing changed\n",
			      ARRAY_SIZE(bad));
}

/* PRIVATE keeps its upstream behaviour and is independent of the layers. */
static void test_private(void)
{
	struct kvm_memory_attributes attr = { .address = 0, .size = PG };
	struct kvm_vm *vm;

	if (!(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM))) {
		ksft_test_result_skip("PRIVATE interplay: no KVM_X86_SW_PROTECTED_VM\n");
		return;
	}
	vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_MEMORY_ATTRIBUTES),
		       KVM_MEMORY_ATTRIBUTE_PRIVATE);
	vm_set_memory_attributes(vm, 0, 16 * PG, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	expect_run(vm, 1, 0, 1ULL << 30, 1ULL << 30, RWX, true);
	set_prot(vm, 1, 0, 8 * PG, R);
	vm_set_memory_attributes(vm, 4 * PG, 8 * PG, 0);
	expect_run(vm, 1, 0, 1ULL << 30, 8 * PG, R, false);

	/* Bits 0-2 of the attribute word stay reserved for RWX. */
	for (attr.attributes = 1; attr.attributes < 8; attr.attributes <<= 1)
		TEST_ASSERT(__vm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr) == -1 &&
			    errno == EINVAL, "attribute 0x%llx accepted",
			    attr.attributes);
	attr.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	attr.flags = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr) == -1 &&
		    errno == EINVAL, "KVM_SET_MEMORY_ATTRIBUTES flags accepted");
	kvm_vm_free(vm);

	/* A VM without private memory still has no attributes, but layers. */
	vm = vm_create_barebones();
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_MEMORY_ATTRIBUTES), 0);
	set_prot(vm, 1, 0, PG, 0);
	kvm_vm_free(vm);
	ksft_test_result_pass("PRIVATE and the layers are independent\n");
}

int main(void)
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_VTL_PROTECTION));
	ksft_print_header();
	ksft_set_plan(6);
	test_cap();
	test_defaults();
	test_set_and_overlap();
	test_model();
	test_invalid();
	test_private();
	ksft_finished();
}
