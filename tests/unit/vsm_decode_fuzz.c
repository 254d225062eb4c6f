// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the tree's arch/x86/kvm/hyperv_vsm_decode.c. The
 * input bytes are a control word (8 bytes, little endian), a caller
 * (CALLER_BYTES bytes, see fuzz_caller()) and the hypercall input (the
 * rest, at most a page). Byte 0 of the caller also says whether to take the
 * control word as is or to make it one that hv_vsm_check_control() likely
 * accepts (fix_control()): otherwise few inputs would get past it to the
 * decoders' checks. The input goes into a heap buffer of exactly its
 * length, so that ASan catches a decoder reading past it, and every decoder
 * that applies to the call code runs on it. A request a decoder accepts
 * must satisfy the invariants below; a violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kernel.h>

#include "hyperv_vsm_decode.h"

#define CALLER_BYTES	12
#define HEADER		16

static const u8 *buf;
static u32 len;
static u64 control;
/* VPs 0-3 exist. */
static bool fuzz_vp_exists(void *ctx, u32 vp_index)
{
	return vp_index < 4;
}

static struct hv_vsm_caller caller = { .vp_exists = fuzz_vp_exists };
/* Where the list elements that KVM reads go, so that they are read. */
u32 sink;

#define require(cond) do {						\
	if (!(cond))							\
		fail(__LINE__, #cond);					\
} while (0)

static void fail(int line, const char *what)
{
	fprintf(stderr,
		"vsm_decode_fuzz:%d: %s\n  control %#llx len %u caller vtl %u max %u partition %#x vp %#x any %#x prot %#x vp_index %#x\n",
		line, what, (unsigned long long)control, len, caller.vtl,
		caller.max_vtl, caller.partition_vtls, caller.vp_vtls,
		caller.any_vp_vtls, caller.protection_vtls, caller.vp_index);
	abort();
}

/* Is [@p, @p + @n) inside the input, at or after @from? */
static bool inside(const void *p, size_t n, size_t from)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;

	return a >= b + from && a - b <= len && n <= len - (a - b);
}

static u16 get16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

/*
 * The caller: byte 0 bit 0 clear, a consistent one (VTLs enabled in
 * order up to the VMM's highest, at most 2; the VP's a prefix of the
 * partition's, holding the caller's; protection only on enabled VTLs
 * above 0), else any values with VTLs below 16.
 */
static void fuzz_caller(const u8 *p)
{
	struct hv_vsm_caller *c = &caller;
	u16 part;

	if (p[0] & 1) {
		c->vtl = p[1] & 0xf;
		c->max_vtl = p[2] & 0xf;
		c->partition_vtls = get16(p + 3);
		c->vp_vtls = get16(p + 5);
		c->any_vp_vtls = get16(p + 7);
		c->protection_vtls = get16(p + 9);
		c->vp_index = p[11] == 0xfe ? HV_VP_INDEX_SELF : p[11];
		c->startup_denied = p[0] & 4;
		return;
	}
	c->max_vtl = p[2] % 3;
	c->vtl = p[1] % (c->max_vtl + 1);
	c->partition_vtls = GENMASK(max_t(int, c->vtl, p[3] % (c->max_vtl + 1)), 0);
	part = c->partition_vtls;
	c->vp_vtls = GENMASK(c->vtl, 0);
	if ((p[5] & 1) && (part & BIT(c->vtl + 1)))
		c->vp_vtls |= BIT(c->vtl + 1);
	c->any_vp_vtls = c->vp_vtls | (get16(p + 7) & part);
	c->protection_vtls = get16(p + 9) & part & ~1;
	c->vp_index = p[11] & 3;
	c->startup_denied = p[0] & 4;
}

/* Size of a rep element of @code, 0 for a simple call. */
static u32 rep_size(u16 code)
{
	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
		return sizeof(u64);
	case HVCALL_GET_VP_REGISTERS:
		return sizeof(u32);
	case HVCALL_SET_VP_REGISTERS:
		return sizeof(struct hv_vsm_reg_assoc);
	case HVCALL_GET_VP_ID_FROM_APIC_ID:
		return sizeof(u32);
	}
	return 0;
}

/*
 * Unless byte 0 of the caller has bit 1 set: no reserved bits, and a rep
 * count and start that fit the input for a rep call, none for the others.
 */
static u64 fix_control(u64 ctl, u8 how)
{
	u16 cnt = hv_vsm_rep_count(ctl), start = hv_vsm_rep_start(ctl);
	u32 size = rep_size(hv_vsm_code(ctl));
	u32 max = len > HEADER && size ? (len - HEADER) / size : 0;

	if (how & 2)
		return ctl;
	ctl &= ~(HV_HYPERCALL_RSVD_MASK | HV_HYPERCALL_VARHEAD_MASK |
		 HV_HYPERCALL_REP_COMP_MASK | HV_HYPERCALL_REP_START_MASK);
	if (!size)
		return ctl;
	/* Sometimes one rep more than the input holds. */
	cnt = 1 + cnt % (max + 1);
	start %= cnt;
	return ctl | (u64)cnt << HV_HYPERCALL_REP_COMP_OFFSET |
	       (u64)start << HV_HYPERCALL_REP_START_OFFSET;
}

/*
 * A valid protection: none or readable, never kernel without user execute,
 * and with MBEC off X for both modes.
 */
static bool map_valid(u32 f, bool mbec)
{
	if (f & ~HV_VSM_MAP_MASK)
		return false;
	if (f && !(f & HV_VSM_MAP_READ))
		return false;
	if ((f & HV_VSM_MAP_KEXEC) && !(f & HV_VSM_MAP_UEXEC))
		return false;
	return mbec || !(f & HV_VSM_MAP_KEXEC) == !(f & HV_VSM_MAP_UEXEC);
}

/* hv_vsm_input_size(), hv_vsm_check_control(). */
static void fuzz_control(u16 st)
{
	u16 cnt = hv_vsm_rep_count(control), start = hv_vsm_rep_start(control);
	u16 code = hv_vsm_code(control);
	u32 size = rep_size(code), in_size = HEADER + cnt * size;
	bool ok;

	switch (code) {
	case HVCALL_VTL_CALL:
	case HVCALL_VTL_RETURN:
		in_size = 0;
		break;
	case HVCALL_ENABLE_VP_VTL:
	case HVCALL_START_VP:
		in_size = sizeof(struct hv_enable_vp_vtl);
		break;
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS_EX:
		in_size = sizeof(struct hv_translate_va_in);
		break;
	}
	require(hv_vsm_input_size(control) == in_size);
	ok = !(control & (HV_HYPERCALL_RSVD_MASK | HV_HYPERCALL_VARHEAD_MASK)) &&
	     (size ? cnt && start < cnt : !cnt && !start) &&
	     in_size <= HV_VSM_INPUT_MAX;
	require(st == (ok ? HV_STATUS_SUCCESS :
			    HV_STATUS_INVALID_HYPERCALL_INPUT));
}

static void fuzz_modify(u16 ctl)
{
	const struct hv_vsm_modify_prot_in *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_modify m;
	u16 st, i;

	st = hv_vsm_decode_modify(&caller, &in, &m);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= hv_vsm_input_size(control));
	require(h->partition_id == HV_PARTITION_ID_SELF);
	require(m.layer >= 1 && m.layer <= caller.vtl);
	require(m.layer == (h->target_vtl.use_target_vtl ?
			    h->target_vtl.target_vtl : caller.vtl));
	require(m.layer < caller.vtl ||
		(caller.protection_vtls & BIT(caller.vtl)));
	require(hv_vsm_prot_valid(m.prot, false) && map_valid(m.prot, false));
	require(m.prot == h->map_flags);
	if (ctl)
		return;
	/* Only a control word KVM accepts makes a request it can apply. */
	require(m.count <=
		hv_vsm_rep_count(control) - hv_vsm_rep_start(control));
	require(inside(m.gpns, (size_t)m.count * sizeof(u64), HEADER));
	require(((uintptr_t)m.gpns - (uintptr_t)buf - HEADER) % sizeof(u64) == 0);
	for (i = 0; i < m.count; i++)
		require(m.gpns[i] <= HV_VSM_GPN_MAX);
	/* The elements not covered start with an invalid one. */
	if (m.count < hv_vsm_rep_count(control) - hv_vsm_rep_start(control))
		require(m.status == HV_STATUS_INVALID_PARAMETER &&
			m.gpns[m.count] > HV_VSM_GPN_MAX);
	else
		require(m.status == HV_STATUS_SUCCESS);
}

static void fuzz_enable_partition(void)
{
	const struct hv_vsm_enable_partition_in *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_enable_partition e;
	u16 st;

	st = hv_vsm_decode_enable_partition(&caller, &in, &e);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= sizeof(*h));
	require(h->partition_id == HV_PARTITION_ID_SELF && !h->flags);
	require(e.vtl == h->target_vtl);
	require(e.vtl >= 1 && e.vtl <= caller.max_vtl);
	require(!(caller.partition_vtls & BIT(e.vtl)));
	require(caller.partition_vtls & BIT(e.vtl - 1));
	require(caller.vtl == e.vtl - 1);
}

static void fuzz_enable_vp(void)
{
	const struct hv_enable_vp_vtl *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_enable_vp e;
	u16 st;

	st = hv_vsm_decode_enable_vp(&caller, &in, &e);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= sizeof(*h));
	require(h->partition_id == HV_PARTITION_ID_SELF);
	require(!h->mbz0 && !h->mbz1);
	require(e.vtl == h->target_vtl.as_uint8);
	require(e.vtl >= 1 && e.vtl <= 15);
	require(caller.partition_vtls & BIT(e.vtl));
	require(e.vp_index == (h->vp_index == HV_VP_INDEX_SELF ?
			       caller.vp_index : h->vp_index));
	require(fuzz_vp_exists(NULL, e.vp_index));
	require(inside(e.ctx, sizeof(*e.ctx), HEADER));
	if (caller.vtl < e.vtl)
		require(caller.vtl + 1 == e.vtl &&
			e.vp_index == caller.vp_index &&
			!(caller.any_vp_vtls & BIT(e.vtl)));
}

static void fuzz_reg_write(u8 vtl, u32 name, u64 old, u64 val)
{
	u16 st = hv_vsm_check_reg_write(&caller, vtl, name, old, val);
	bool icpt = name >= HV_REGISTER_CR_INTERCEPT_CONTROL &&
		    name <= HV_REGISTER_CR_INTERCEPT_MISC_ENABLE_MASK;

	/* Above the caller; VTL0's intercept registers; its own event. */
	require((st == HV_STATUS_ACCESS_DENIED) ==
		(vtl > caller.vtl || (icpt && !vtl) ||
		 ((name == HV_REGISTER_PENDING_EVENT0 ||
		   name == HV_REGISTER_PENDING_EVENT1) && vtl == caller.vtl)));
	require(st == HV_STATUS_SUCCESS || st == HV_STATUS_INVALID_PARAMETER ||
		st == HV_STATUS_INVALID_REGISTER_VALUE ||
		st == HV_STATUS_ACCESS_DENIED);
	if (st != HV_STATUS_SUCCESS)
		return;
	switch (name) {
	case HV_REGISTER_VSM_PARTITION_CONFIG:
		require(vtl);
		require(!(val & ~HV_VSM_CONFIG_SUPPORTED));
		require(!(old & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) ||
			!((old ^ val) & (HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
					 HV_VSM_CONFIG_DEFAULT_MASK)));
		require(map_valid((val & HV_VSM_CONFIG_DEFAULT_MASK) >> 1, false));
		break;
	case HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 ... HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14:
		require(name - HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 < vtl);
		require(!(val & ~HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED));
		break;
	case HV_REGISTER_VP_ASSIST_PAGE:
		require(!(val & GENMASK_ULL(11, 1)));
		break;
	case HV_REGISTER_VSM_VINA:
		require(!(val & GENMASK_ULL(63, 11)));
		require(!(val & BIT_ULL(8)) || (val & 0xff) >= 16);
		break;
	case HV_REGISTER_CR_INTERCEPT_CONTROL:
		require(vtl && !(val & ~HV_VSM_CR_INTERCEPT_SUPPORTED));
		break;
	case HV_REGISTER_CR_INTERCEPT_CR0_MASK:
	case HV_REGISTER_CR_INTERCEPT_CR4_MASK:
	case HV_REGISTER_CR_INTERCEPT_MISC_ENABLE_MASK:
		require(vtl);
		break;
	case HV_REGISTER_PENDING_EVENT0:
		require(vtl < caller.vtl);
		require(!(val & HV_PENDING_EVENT_PENDING) ? !val :
			!(val & (HV_PENDING_EVENT_RSVD | HV_PENDING_EVENT_TYPE)) &&
			((val & HV_PENDING_EVENT_VECTOR) >> 16) < 32);
		break;
	case HV_REGISTER_PENDING_EVENT1:
		require(vtl < caller.vtl && !val);
		break;
	default:
		if (!hv_vsm_arch_reg(name))
			fail(__LINE__, "a write to a register that is not writable");
		require(vtl <= caller.vtl);
	}
}

static void fuzz_start_vp(void)
{
	const struct hv_enable_vp_vtl *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_enable_vp e;
	u16 st;

	st = hv_vsm_decode_start_vp(&caller, &in, &e);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= sizeof(*h));
	require(h->partition_id == HV_PARTITION_ID_SELF);
	require(!h->mbz0 && !h->mbz1);
	require(e.vtl == h->target_vtl.as_uint8 && e.vtl <= caller.vtl);
	require(!caller.startup_denied);
	require(e.vp_index == h->vp_index && e.vp_index != caller.vp_index);
	require(fuzz_vp_exists(NULL, e.vp_index));
	require(inside(e.ctx, sizeof(*e.ctx), HEADER));
}

static void fuzz_translate(void)
{
	const struct hv_translate_va_in *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_translate t;
	u64 f;

	if (hv_vsm_decode_translate(&caller, &in, &t) != HV_STATUS_SUCCESS)
		return;
	require(len >= sizeof(*h));
	f = h->control_flags;
	require(h->partition_id == HV_PARTITION_ID_SELF && !h->reserved);
	require(h->vp_index == HV_VP_INDEX_SELF ||
		h->vp_index == caller.vp_index);
	require(!(f & GENMASK_ULL(55, 10)) && t.flags == (f & GENMASK_ULL(9, 0)));
	require(t.vtl < caller.vtl);
	require(t.gva == h->gva_page << 12 && !(h->gva_page >> 52));
}

static void fuzz_vp_from_apic(u16 ctl)
{
	const struct hv_get_vp_from_apic_id_in *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	struct hv_vsm_vp_from_apic r;
	u16 st, i;

	st = hv_vsm_decode_vp_from_apic(&caller, &in, &r);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= hv_vsm_input_size(control));
	require(h->partition_id == HV_PARTITION_ID_SELF);
	require(r.vtl <= caller.vtl);
	if (ctl)
		return;
	require(r.count &&
		r.count == hv_vsm_rep_count(control) - hv_vsm_rep_start(control));
	require(inside(r.apic_ids, r.count * sizeof(u32), HEADER));
	for (i = 0; i < r.count; i++)
		sink ^= r.apic_ids[i];
}

static void fuzz_vp_regs(u16 ctl)
{
	const struct hv_vsm_vp_regs_in *h = (const void *)buf;
	struct hv_vsm_input in = { control, buf, len };
	bool get = hv_vsm_code(control) == HVCALL_GET_VP_REGISTERS;
	size_t size = get ? sizeof(u32) : sizeof(struct hv_vsm_reg_assoc);
	struct hv_vsm_vp_regs r;
	u16 st, i;

	st = hv_vsm_decode_vp_regs(&caller, &in, &r);
	if (st != HV_STATUS_SUCCESS)
		return;
	require(len >= hv_vsm_input_size(control));
	require(h->partition_id == HV_PARTITION_ID_SELF);
	require(r.vtl <= caller.vtl);
	require(r.vp_index == (h->vp_index == HV_VP_INDEX_SELF ?
			       caller.vp_index : h->vp_index));
	require(fuzz_vp_exists(NULL, r.vp_index));
	if (ctl)
		return;
	require(r.count &&
		r.count == hv_vsm_rep_count(control) - hv_vsm_rep_start(control));
	require(inside(r.names, r.count * size, HEADER));
	require(((uintptr_t)r.names - (uintptr_t)buf - HEADER) % size == 0);
	/* What KVM then reads of the list, as it would. */
	for (i = 0; i < r.count; i++) {
		if (get) {
			sink ^= r.names[i];
			continue;
		}
		fuzz_reg_write(r.vtl, r.assoc[i].name, r.assoc[i].value_hi,
			       r.assoc[i].value_lo);
	}
}

/* The VSM registers and their neighbours, for direct register writes. */
static const u32 regs[] = {
	HV_REGISTER_VSM_PARTITION_CONFIG,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 + 1,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 + 2,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14 + 1,
	HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 - 1,
	HV_REGISTER_VP_ASSIST_PAGE,
	HV_REGISTER_VSM_CODE_PAGE_OFFSETS,
	HV_X64_REGISTER_VSM_VP_STATUS,
	HV_REGISTER_VSM_PARTITION_STATUS,
	HV_REGISTER_VSM_VINA,
	HV_REGISTER_VSM_CAPABILITIES,
	HV_REGISTER_PENDING_EVENT0,
	HV_REGISTER_PENDING_EVENT1,
	HV_REGISTER_INTERRUPT_STATE,
	HV_X64_REGISTER_RAX,
	HV_X64_REGISTER_R15 + 1,
	HV_X64_REGISTER_DR7,
	HV_X64_REGISTER_DR7 + 1,
	HV_X64_REGISTER_TR,
	HV_X64_REGISTER_GDTR,
	HV_X64_REGISTER_GDTR + 1,
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 head[8 + CALLER_BYTES] = {};
	u64 rax = 0, old = 0, val = 0;
	u32 name, flags;
	u8 *copy;
	u16 ctl;
	bool ok;

	memcpy(head, data, min_t(size_t, size, sizeof(head)));
	len = size > sizeof(head) ? min_t(size_t, size - sizeof(head),
					  HV_VSM_INPUT_MAX) : 0;
	memcpy(&control, head, sizeof(control));
	control = fix_control(le64toh(control), head[8]);
	fuzz_caller(head + 8);
	copy = malloc(len);
	if (len && !copy)
		abort();
	if (len)
		memcpy(copy, data + sizeof(head), len);
	buf = copy;

	ctl = hv_vsm_check_control(control);
	fuzz_control(ctl);
	/*
	 * KVM decodes only after hv_vsm_check_control() passed; with any
	 * other control word the decoders still must not read past the input.
	 */
	switch (hv_vsm_code(control)) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
		fuzz_modify(ctl);
		break;
	case HVCALL_ENABLE_PARTITION_VTL:
		fuzz_enable_partition();
		break;
	case HVCALL_ENABLE_VP_VTL:
		fuzz_enable_vp();
		break;
	case HVCALL_START_VP:
		fuzz_start_vp();
		break;
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS_EX:
		fuzz_translate();
		break;
	case HVCALL_GET_VP_ID_FROM_APIC_ID:
		fuzz_vp_from_apic(ctl);
		break;
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		fuzz_vp_regs(ctl);
		break;
	}

	/* VTL call and return: RAX from the input's first bytes. */
	if (len >= 8)
		memcpy(&rax, buf, sizeof(rax));
	ok = hv_vsm_check_vtl_call(&caller, control, rax);
	require(ok == (control == HVCALL_VTL_CALL && !rax &&
		       caller.vtl < caller.max_vtl &&
		       (caller.vp_vtls & BIT(caller.vtl + 1))));
	ok = hv_vsm_check_vtl_return(&caller, control, rax);
	require(ok == (control == HVCALL_VTL_RETURN &&
		       !(rax & ~HV_VSM_VTL_RETURN_FAST) && caller.vtl &&
		       (caller.vp_vtls & BIT(caller.vtl - 1))));

	/* An IPI's VTL bytes, from the control word's upper half. */
	{
		u32 vf = control >> 32;
		u8 vtl;

		if (!hv_vsm_decode_ipi_vtl(&caller, vf, &vtl))
			require(!(vf >> 8) && !(vf & 0xe0) && vtl <= caller.vtl &&
				vtl == ((vf & 0x10) ? (vf & 0xf) : caller.vtl));
	}

	/* A register write: register, VTL, old and new value from the input. */
	if (len >= 24) {
		name = regs[buf[0] % ARRAY_SIZE(regs)];
		if (buf[0] & 0x80)
			memcpy(&name, buf + 4, sizeof(name));
		memcpy(&old, buf + 8, sizeof(old));
		memcpy(&val, buf + 16, sizeof(val));
		fuzz_reg_write(buf[1] & 0xf, name, old, val);
	}
	/* A protection from the control word's upper half, MBEC from bit 31. */
	flags = control >> 32;
	ok = hv_vsm_prot_valid(flags, control & BIT(31));
	require(ok == map_valid(flags, control & BIT(31)));

	free(copy);
	return 0;
}
