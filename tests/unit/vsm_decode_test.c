// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven tests of arch/x86/kvm/hyperv_vsm_decode.c, the Hyper-V VSM
 * hypercall decoders, built unchanged in userspace. Each row of a table
 * names a case, gives the inputs and the expected status, and on success
 * the expected request. Input buffers are allocated at exactly the length a
 * row gives, so that the ASan build catches a decoder reading past it.
 *
 * Prints one line per failing row and a summary; exits 1 on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kernel.h>

#include "hyperv_vsm_decode.h"

/* A control word: call code, rep count, rep start. */
#define CTL(code, cnt, start)						\
	((u64)(code) | (u64)(cnt) << HV_HYPERCALL_REP_COMP_OFFSET |	\
	 (u64)(start) << HV_HYPERCALL_REP_START_OFFSET)

#define SELF		HV_PARTITION_ID_SELF
#define MOD		HVCALL_MODIFY_VTL_PROTECTION_MASK
#define EN_PART		HVCALL_ENABLE_PARTITION_VTL
#define EN_VP		HVCALL_ENABLE_VP_VTL
#define START_VP	HVCALL_START_VP
#define VP_APIC		HVCALL_GET_VP_ID_FROM_APIC_ID
#define GET		HVCALL_GET_VP_REGISTERS
#define SET		HVCALL_SET_VP_REGISTERS

#define OK		HV_STATUS_SUCCESS
#define BAD_INPUT	HV_STATUS_INVALID_HYPERCALL_INPUT
#define BAD_PARAM	HV_STATUS_INVALID_PARAMETER
#define BAD_PART	HV_STATUS_INVALID_PARTITION_ID
#define DENIED		HV_STATUS_ACCESS_DENIED
#define ENABLED		HV_STATUS_VTL_ALREADY_ENABLED
#define BAD_STATE	HV_STATUS_INVALID_VTL_STATE
#define BAD_VALUE	HV_STATUS_INVALID_REGISTER_VALUE
#define BAD_VP		HV_STATUS_INVALID_VP_INDEX

#define R		HV_VSM_MAP_READ
#define W		HV_VSM_MAP_WRITE
#define K		HV_VSM_MAP_KEXEC
#define U		HV_VSM_MAP_UEXEC

/* HV_INPUT_VTL (union hv_input_vtl) with UseTargetVtl, bit 4, set. */
#define USE(vtl)	(BIT(4) | (vtl))
/* An HV_INPUT_VTL field, from its byte. */
#define IVTL(byte)	{ .as_uint8 = (byte) }

/* The calling VP's index in every caller below. */
#define MY_VP		3

/* The partition has VPs 0 to NR_VPS - 1. */
#define NR_VPS		16

static bool vp_exists(void *ctx, u32 vp_index)
{
	return vp_index < NR_VPS;
}

/*
 * A caller at VTL @v; @max the VMM's highest VTL; @part, @vp and @any the
 * VTLs enabled in the partition, on the calling VP and on some VP; @prot
 * the VTLs with EnableVtlProtection set.
 */
#define CALLER(v, max, part, vp, any, prot) {				\
	.vtl = (v), .max_vtl = (max), .partition_vtls = (part),		\
	.vp_vtls = (vp), .any_vp_vtls = (any),				\
	.protection_vtls = (prot), .vp_index = MY_VP,			\
	.vp_exists = vp_exists }
/* At @v of VTL0-@part, max 2, with EnableMbec @mbec and MbecVtlMask @ok. */
#define MBEC_C(v, part, mbec, ok) {					\
	.vtl = (v), .max_vtl = 2, .partition_vtls = (part),		\
	.vp_vtls = (part), .any_vp_vtls = (part),			\
	.protection_vtls = (part) & ~1, .mbec_vtls = (mbec),		\
	.mbec_allowed = (ok), .vp_index = MY_VP, .vp_exists = vp_exists }

/* VTL0 and VTL1 everywhere, VTL1 protecting, up to VTL2 allowed. */
#define VTL0_C		CALLER(0, 2, 0x3, 0x3, 0x3, 0x2)
#define VTL1_C		CALLER(1, 2, 0x3, 0x3, 0x3, 0x2)
/* VTL0 to VTL2 everywhere, VTL1 and VTL2 protecting. */
#define VTL2_C		CALLER(2, 2, 0x7, 0x7, 0x7, 0x6)

/* Headers of HvModifyVtlProtectionMask and HvGet/SetVpRegisters. */
#define MOD_HDR(flags, vtl)	{ SELF, (flags), IVTL(vtl), { 0 } }
#define REGS_HDR(vp, vtl)	{ SELF, (vp), IVTL(vtl), { 0 } }

static unsigned int ncases, nfailed;

/* The first mismatch of a row: the row fails with one line. */
struct result {
	const char *what;
	u64 got, want;
	bool bad;
};

static void expect(struct result *r, const char *what, u64 got, u64 want)
{
	if (r->bad || got == want)
		return;
	r->bad = true;
	r->what = what;
	r->got = got;
	r->want = want;
}

static void report(const char *fn, const char *name, const struct result *r)
{
	ncases++;
	if (!r->bad)
		return;
	nfailed++;
	printf("FAIL %s: %s: %s got %#llx want %#llx\n", fn, name, r->what,
	       (unsigned long long)r->got, (unsigned long long)r->want);
}

/* A heap copy of @len bytes of @src, zero beyond @n: ASan bounds reads to @len. */
static u8 *input_copy(const void *src, size_t n, u32 len)
{
	u8 *p = malloc(len ? len : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	if (!len) {
		/* Nothing may be read: hand out a pointer past the end. */
		free(p);
		p = malloc(0);
		if (!p) {
			perror("malloc");
			exit(2);
		}
		return p;
	}
	memset(p, 0, len);
	memcpy(p, src, min_t(size_t, n, len));
	return p;
}

/* Byte offset of @p into @buf, for checking where a decoder points. */
static u64 offset(const void *p, const u8 *buf)
{
	return (u64)((uintptr_t)p - (uintptr_t)buf);
}

/* The inline helpers and hv_vsm_check_control(). */

struct fields_case {
	const char *name;
	u64 control;
	u16 code, cnt, start;
};

static const struct fields_case fields_cases[] = {
	{ "modify, 3 reps from 1", CTL(MOD, 3, 1), MOD, 3, 1 },
	{ "max rep fields", CTL(GET, 0xfff, 0xfff), GET, 0xfff, 0xfff },
	{ "fields beside reserved bits", ~0ULL, 0xffff, 0xfff, 0xfff },
	{ "enable partition", EN_PART, EN_PART, 0, 0 },
	{ "enable vp", EN_VP, EN_VP, 0, 0 },
	{ "vtl call", HVCALL_VTL_CALL, HVCALL_VTL_CALL, 0, 0 },
	{ "vtl return", HVCALL_VTL_RETURN, HVCALL_VTL_RETURN, 0, 0 },
	{ "set registers", CTL(SET, 1, 0), SET, 1, 0 },
	{ "post message", HVCALL_POST_MESSAGE, HVCALL_POST_MESSAGE, 0, 0 },
	{ "code 0", 0, 0, 0, 0 },
	{ "code 0x0e", 0x0e, 0x0e, 0, 0 },
	{ "code 0x10", 0x10, 0x10, 0, 0 },
	{ "code 0x13", 0x13, 0x13, 0, 0 },
	{ "code 0x4f", 0x4f, 0x4f, 0, 0 },
	{ "code 0x52", 0x52, 0x52, 0, 0 },
	{ "modify, fast bit", 0x1000c, MOD, 0, 0 },
};

static void test_fields(void)
{
	const struct fields_case *t;

	for (t = fields_cases; t < fields_cases + ARRAY_SIZE(fields_cases); t++) {
		struct result r = {};

		expect(&r, "code", hv_vsm_code(t->control), t->code);
		expect(&r, "rep count", hv_vsm_rep_count(t->control), t->cnt);
		expect(&r, "rep start", hv_vsm_rep_start(t->control), t->start);
		report("fields", t->name, &r);
	}
}

struct control_case {
	const char *name;
	u64 control;
	u16 want;
};

static const struct control_case control_cases[] = {
	{ "modify 1 rep", CTL(MOD, 1, 0), OK },
	{ "modify fast", CTL(MOD, 1, 0) | HV_HYPERCALL_FAST_BIT, OK },
	{ "modify reserved bit 27", CTL(MOD, 1, 0) | BIT_ULL(27), BAD_INPUT },
	{ "modify nested bit 31", CTL(MOD, 1, 0) | HV_HYPERCALL_NESTED,
	  BAD_INPUT },
	{ "modify reserved bit 44", CTL(MOD, 1, 0) | BIT_ULL(44), BAD_INPUT },
	{ "modify reserved bit 47", CTL(MOD, 1, 0) | BIT_ULL(47), BAD_INPUT },
	{ "modify reserved bit 60", CTL(MOD, 1, 0) | BIT_ULL(60), BAD_INPUT },
	{ "modify reserved bit 63", CTL(MOD, 1, 0) | BIT_ULL(63), BAD_INPUT },
	{ "modify var header 1", CTL(MOD, 1, 0) | BIT_ULL(17), BAD_INPUT },
	{ "modify var header max", CTL(MOD, 1, 0) | HV_HYPERCALL_VARHEAD_MASK,
	  BAD_INPUT },
	{ "enable partition var header", EN_PART | BIT_ULL(26), BAD_INPUT },
	{ "vtl call reserved bit", HVCALL_VTL_CALL | BIT_ULL(30), BAD_INPUT },
	{ "modify 0 reps", CTL(MOD, 0, 0), BAD_INPUT },
	{ "get 0 reps", CTL(GET, 0, 0), BAD_INPUT },
	{ "set 0 reps", CTL(SET, 0, 0), BAD_INPUT },
	{ "set 0 reps, start 1", CTL(SET, 0, 1), BAD_INPUT },
	{ "modify start == count", CTL(MOD, 2, 2), BAD_INPUT },
	{ "modify start > count", CTL(MOD, 1, 5), BAD_INPUT },
	{ "get start == count", CTL(GET, 7, 7), BAD_INPUT },
	{ "set start max", CTL(SET, 1, 0xfff), BAD_INPUT },
	{ "modify start count - 1", CTL(MOD, 3, 2), OK },
	{ "get start count - 1", CTL(GET, 7, 6), OK },
	{ "set 2 reps", CTL(SET, 2, 0), OK },
	{ "enable partition", EN_PART, OK },
	{ "enable partition rep count", CTL(EN_PART, 1, 0), BAD_INPUT },
	{ "enable partition rep start", CTL(EN_PART, 0, 1), BAD_INPUT },
	{ "enable vp", EN_VP, OK },
	{ "enable vp fast", EN_VP | HV_HYPERCALL_FAST_BIT, OK },
	{ "enable vp rep count", CTL(EN_VP, 2, 1), BAD_INPUT },
	{ "start vp", START_VP, OK },
	{ "start vp rep count", CTL(START_VP, 1, 0), BAD_INPUT },
	{ "vp from apic 0 reps", CTL(VP_APIC, 0, 0), BAD_INPUT },
	{ "vp from apic 2 reps from 1", CTL(VP_APIC, 2, 1), OK },
	{ "vp from apic 1020 reps, 4096 bytes", CTL(VP_APIC, 1020, 0), OK },
	{ "vp from apic 1021 reps", CTL(VP_APIC, 1021, 0), BAD_INPUT },
	{ "vtl call", HVCALL_VTL_CALL, OK },
	{ "vtl call rep count", CTL(HVCALL_VTL_CALL, 1, 0), BAD_INPUT },
	{ "vtl return", HVCALL_VTL_RETURN, OK },
	{ "vtl return rep start", CTL(HVCALL_VTL_RETURN, 0, 3), BAD_INPUT },
	{ "other simple call", HVCALL_POST_MESSAGE, OK },
	{ "other call with reps", CTL(HVCALL_POST_MESSAGE, 1, 0), BAD_INPUT },
	{ "modify 510 reps, 4096 bytes", CTL(MOD, 510, 0), OK },
	{ "modify 511 reps, 4104 bytes", CTL(MOD, 511, 0), BAD_INPUT },
	{ "modify 4095 reps", CTL(MOD, 4095, 4094), BAD_INPUT },
	{ "get 1020 reps, 4096 bytes", CTL(GET, 1020, 0), OK },
	{ "get 1021 reps, 4100 bytes", CTL(GET, 1021, 1020), BAD_INPUT },
	{ "set 127 reps, 4080 bytes", CTL(SET, 127, 0), OK },
	{ "set 128 reps, 4112 bytes", CTL(SET, 128, 0), BAD_INPUT },
};

static void test_control(void)
{
	const struct control_case *t;

	for (t = control_cases; t < control_cases + ARRAY_SIZE(control_cases); t++) {
		struct result r = {};

		expect(&r, "status", hv_vsm_check_control(t->control), t->want);
		report("check_control", t->name, &r);
	}
}

struct size_case {
	const char *name;
	u64 control;
	u32 want;
};

static const struct size_case size_cases[] = {
	{ "modify 0 reps", CTL(MOD, 0, 0), 16 },
	{ "modify 1 rep", CTL(MOD, 1, 0), 24 },
	{ "modify 3 reps from 2", CTL(MOD, 3, 2), 40 },
	{ "modify 510 reps", CTL(MOD, 510, 0), 4096 },
	{ "modify 4095 reps", CTL(MOD, 4095, 0), 16 + 4095 * 8 },
	{ "get 3 reps", CTL(GET, 3, 0), 28 },
	{ "get 4095 reps", CTL(GET, 4095, 0), 16 + 4095 * 4 },
	{ "set 2 reps", CTL(SET, 2, 1), 80 },
	{ "set 4095 reps", CTL(SET, 4095, 0), 16 + 4095 * 32 },
	{ "enable partition", EN_PART, 16 },
	{ "enable partition rep count", CTL(EN_PART, 5, 0), 16 },
	{ "enable vp, with context", EN_VP, 240 },
	{ "enable vp fast", EN_VP | HV_HYPERCALL_FAST_BIT, 240 },
	{ "start vp, with context", START_VP, 240 },
	{ "translate", HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 32 },
	{ "translate ex", HVCALL_TRANSLATE_VIRTUAL_ADDRESS_EX, 32 },
	{ "vp from apic 3 reps", CTL(VP_APIC, 3, 0), 28 },
	{ "vtl call", HVCALL_VTL_CALL, 0 },
	{ "vtl call rep count", CTL(HVCALL_VTL_CALL, 9, 0), 0 },
	{ "vtl return", HVCALL_VTL_RETURN, 0 },
	{ "other call", HVCALL_POST_MESSAGE, 16 },
	{ "other call rep count", CTL(HVCALL_POST_MESSAGE, 3, 0), 16 },
};

static void test_input_size(void)
{
	const struct size_case *t;

	for (t = size_cases; t < size_cases + ARRAY_SIZE(size_cases); t++) {
		struct result r = {};

		expect(&r, "size", hv_vsm_input_size(t->control), t->want);
		report("input_size", t->name, &r);
	}
}

/* hv_vsm_prot_valid(): each row is two cases, without and with MBEC. */
struct prot_case {
	const char *name;
	u32 flags;
	bool plain, mbec;
};

static const struct prot_case prot_cases[] = {
	{ "none", 0, true, true },
	{ "R", R, true, true },
	{ "W", W, false, false },
	{ "RW", R | W, true, true },
	{ "K", K, false, false },
	/* Kernel without user execute: never (GMET cannot express it). */
	{ "RK", R | K, false, false },
	{ "WK", W | K, false, false },
	{ "RWK", R | W | K, false, false },
	{ "U", U, false, false },
	{ "RU", R | U, false, true },
	{ "WU", W | U, false, false },
	{ "RWU", R | W | U, false, true },
	{ "KU", K | U, false, false },
	{ "RKU", R | K | U, true, true },
	{ "WKU", W | K | U, false, false },
	{ "RWKU", R | W | K | U, true, true },
	{ "bit 4", BIT(4), false, false },
	{ "R | bit 4", R | BIT(4), false, false },
	{ "RWKU | bit 5", R | W | K | U | BIT(5), false, false },
	{ "R | bit 31", R | BIT(31), false, false },
	{ "all bits", ~0U, false, false },
};

static void test_prot_valid(void)
{
	const struct prot_case *t;

	for (t = prot_cases; t < prot_cases + ARRAY_SIZE(prot_cases); t++) {
		struct result r = {};

		expect(&r, "valid", hv_vsm_prot_valid(t->flags, false), t->plain);
		report("prot_valid", t->name, &r);
		r = (struct result){};
		expect(&r, "valid with MBEC", hv_vsm_prot_valid(t->flags, true),
		       t->mbec);
		report("prot_valid", t->name, &r);
	}
}

/*
 * hv_vsm_decode_modify(): the input is the header and @gpn, cut or padded
 * to hv_vsm_input_size() + @adj bytes.  On success the request must be
 * layer @layer, @prot, @count pages from @gpn[@first].
 */
#define NGPN	6

struct modify_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 control;
	struct hv_vsm_modify_prot_in h;
	u64 gpn[NGPN];
	int adj;
	u16 want;
	u8 layer, prot;
	u16 count, first, status;
};

static const struct modify_case modify_cases[] = {
	{ "short by 1", VTL1_C, CTL(MOD, 2, 0), MOD_HDR(R, 0), { 1, 2 }, -1,
	  BAD_INPUT },
	{ "header only, 1 rep", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, -8,
	  BAD_INPUT },
	{ "partial header", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, -12,
	  BAD_INPUT },
	{ "empty input", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, -24,
	  BAD_INPUT },
	{ "only the reps from start", VTL1_C, CTL(MOD, 4, 3), MOD_HDR(R, 0),
	  {}, -24, BAD_INPUT },
	{ "partition id 0", VTL1_C, CTL(MOD, 1, 0), { 0, R, IVTL(0), { 0 } }, {}, 0,
	  BAD_PART },
	{ "partition id self - 1", VTL1_C, CTL(MOD, 1, 0),
	  { SELF - 1, R, IVTL(0), { 0 } }, {}, 0, BAD_PART },
	{ "partition id before access", VTL0_C, CTL(MOD, 1, 0),
	  { 0, W, IVTL(0x80), { 1 } }, {}, 0, BAD_PART },
	{ "input vtl reserved bit 5", VTL1_C, CTL(MOD, 1, 0),
	  MOD_HDR(R, USE(0) | BIT(5)), {}, 0, BAD_PARAM },
	{ "input vtl reserved bit 7", VTL1_C, CTL(MOD, 1, 0),
	  MOD_HDR(R, BIT(7)), {}, 0, BAD_PARAM },
	{ "reserved byte 0", VTL1_C, CTL(MOD, 1, 0), { SELF, R, IVTL(0), { 1 } }, {},
	  0, BAD_PARAM },
	{ "reserved byte 2", VTL1_C, CTL(MOD, 1, 0),
	  { SELF, R, IVTL(0), { 0, 0, 0x80 } }, {}, 0, BAD_PARAM },
	{ "reserved bits before access", VTL0_C, CTL(MOD, 1, 0),
	  { SELF, R, IVTL(USE(1)), { 0, 1 } }, {}, 0, BAD_PARAM },
	/* OpenHCL: a target above the caller is denied, VTL0 invalid. */
	{ "from vtl0, own layer", VTL0_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, 0,
	  BAD_PARAM },
	{ "from vtl0, target vtl0", VTL0_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(0)),
	  {}, 0, BAD_PARAM },
	{ "from vtl0, target vtl1", VTL0_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(1)),
	  {}, 0, DENIED },
	{ "from vtl0, all protecting", CALLER(0, 2, 0x7, 0x7, 0x7, 0x7),
	  CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, 0, BAD_PARAM },
	{ "target above caller", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(2)),
	  {}, 0, DENIED },
	{ "target 15", VTL2_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(15)), {}, 0,
	  DENIED },
	{ "target vtl0 explicit", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(0)),
	  { 7 }, 0, BAD_PARAM },
	{ "vtl2 target vtl0", VTL2_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(0)),
	  { 7 }, 0, BAD_PARAM },
	{ "protection not enabled", CALLER(1, 2, 0x3, 0x3, 0x3, 0),
	  CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, 0, DENIED },
	{ "own layer by target, not enabled", CALLER(1, 2, 0x3, 0x3, 0x3, 0),
	  CTL(MOD, 1, 0), MOD_HDR(R, USE(1)), {}, 0, DENIED },
	{ "protection only below caller", CALLER(2, 2, 0x7, 0x7, 0x7, 0x2),
	  CTL(MOD, 1, 0), MOD_HDR(R, 0), {}, 0, DENIED },
	{ "target before flags", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(W, USE(2)),
	  { HV_VSM_GPN_MAX + 1 }, 0, DENIED },
	{ "enablement before flags", CALLER(1, 2, 0x3, 0x3, 0x3, 0),
	  CTL(MOD, 1, 0), MOD_HDR(W, 0), {}, 0, DENIED },
	/* OpenHCL answers bad flags with INVALID_REGISTER_VALUE. */
	{ "flags W", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(W, 0), {}, 0, BAD_VALUE },
	{ "flags K", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(K, 0), {}, 0, BAD_VALUE },
	{ "flags RK, no MBEC", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | K, 0), {}, 0,
	  BAD_VALUE },
	{ "flags RU, no MBEC", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | U, 0), {}, 0,
	  BAD_VALUE },
	{ "flags bit 4", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | BIT(4), 0), {}, 0,
	  BAD_VALUE },
	{ "flags adjustable", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | BIT(15), 0),
	  {}, 0, BAD_VALUE },
	{ "flags bit 31", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | BIT(31), 0), {},
	  0, BAD_VALUE },
	{ "flags before gpn", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(W, 0),
	  { HV_VSM_GPN_MAX + 1 }, 0, BAD_VALUE },
	/* With EnableMbec for the layer's VTL: user execute alone. */
	{ "flags RU, MBEC", MBEC_C(1, 0x3, 0x2, 0x6), CTL(MOD, 1, 0),
	  MOD_HDR(R | U, 0), { 5 }, 0, OK, 1, R | U, 1, 0 },
	{ "flags RWU, MBEC", MBEC_C(1, 0x3, 0x2, 0x6), CTL(MOD, 1, 0),
	  MOD_HDR(R | W | U, 0), { 5 }, 0, OK, 1, R | W | U, 1, 0 },
	{ "flags RK, MBEC", MBEC_C(1, 0x3, 0x2, 0x6), CTL(MOD, 1, 0),
	  MOD_HDR(R | K, 0), { 5 }, 0, BAD_VALUE },
	{ "flags RU, MBEC for vtl2 only", MBEC_C(1, 0x3, 0x4, 0x6),
	  CTL(MOD, 1, 0), MOD_HDR(R | U, 0), { 5 }, 0, BAD_VALUE },
	/* Elements are checked in order: the valid ones before are done. */
	{ "gpn max + 1", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0),
	  { HV_VSM_GPN_MAX + 1 }, 0, OK, 1, R, 0, 0, BAD_PARAM },
	{ "gpn bit 63", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), { BIT_ULL(63) },
	  0, OK, 1, R, 0, 0, BAD_PARAM },
	{ "last gpn too big", VTL1_C, CTL(MOD, 3, 0), MOD_HDR(R, 0),
	  { 1, 2, HV_VSM_GPN_MAX + 1 }, 0, OK, 1, R, 2, 0, BAD_PARAM },
	{ "middle gpn too big", VTL1_C, CTL(MOD, 4, 0), MOD_HDR(R, 0),
	  { 1, ~0ULL, 3, ~0ULL }, 0, OK, 1, R, 1, 0, BAD_PARAM },
	{ "gpn at rep start too big", VTL1_C, CTL(MOD, 3, 1), MOD_HDR(R, 0),
	  { 1, ~0ULL, 3 }, 0, OK, 1, R, 0, 1, BAD_PARAM },
	{ "gpn before rep start ignored", VTL1_C, CTL(MOD, 3, 1), MOD_HDR(R, 0),
	  { ~0ULL, 2, 3 }, 0, OK, 1, R, 2, 1 },
	{ "gpn max", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), { HV_VSM_GPN_MAX },
	  0, OK, 1, R, 1, 0 },
	{ "no access", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(0, 0), { 7 }, 0, OK, 1,
	  0, 1, 0 },
	{ "R", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), { 7 }, 0, OK, 1, R, 1, 0 },
	{ "RW", VTL1_C, CTL(MOD, 2, 0), MOD_HDR(R | W, 0), { 7, 8 }, 0, OK, 1,
	  R | W, 2, 0 },
	{ "RX", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | K | U, 0), { 7 }, 0, OK, 1,
	  R | K | U, 1, 0 },
	{ "RWX", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R | W | K | U, 0), { 7 }, 0,
	  OK, 1, R | W | K | U, 1, 0 },
	/* TargetVtl names the layer; without UseTargetVtl, the caller's. */
	{ "target == caller", VTL1_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(1)),
	  { 7 }, 0, OK, 1, R, 1, 0 },
	{ "target bits without UseTargetVtl", VTL1_C, CTL(MOD, 1, 0),
	  MOD_HDR(R, 5), { 7 }, 0, OK, 1, R, 1, 0 },
	{ "vtl2, layer 2", VTL2_C, CTL(MOD, 1, 0), MOD_HDR(R, 0), { 7 }, 0, OK,
	  2, R, 1, 0 },
	{ "vtl2 target vtl2", VTL2_C, CTL(MOD, 1, 0), MOD_HDR(R, USE(2)),
	  { 7 }, 0, OK, 2, R, 1, 0 },
	{ "vtl2 target vtl1, layer 1", VTL2_C, CTL(MOD, 1, 0),
	  MOD_HDR(R, USE(1)), { 7 }, 0, OK, 1, R, 1, 0 },
	{ "vtl2, vtl1 not protecting", CALLER(2, 2, 0x7, 0x7, 0x7, 0x4),
	  CTL(MOD, 1, 0), MOD_HDR(R, USE(1)), { 7 }, 0, OK, 1, R, 1, 0 },
	{ "vtl2 not protecting, layer 1", CALLER(2, 2, 0x7, 0x7, 0x7, 0),
	  CTL(MOD, 1, 0), MOD_HDR(R, USE(1)), { 7 }, 0, OK, 1, R, 1, 0 },
	{ "rep start 2 of 4", VTL1_C, CTL(MOD, 4, 2), MOD_HDR(R, 0),
	  { 1, 2, 3, 4 }, 0, OK, 1, R, 2, 2 },
	{ "rep start 5 of 6", VTL1_C, CTL(MOD, 6, 5), MOD_HDR(R, 0),
	  { 1, 2, 3, 4, 5, 6 }, 0, OK, 1, R, 1, 5 },
	{ "longer input", VTL1_C, CTL(MOD, 2, 0), MOD_HDR(R, 0), { 1, 2 }, 64,
	  OK, 1, R, 2, 0 },
	{ "fast, 112 bytes", VTL1_C, CTL(MOD, 1, 0) | HV_HYPERCALL_FAST_BIT,
	  MOD_HDR(R, 0), { 1 }, 112 - 24, OK, 1, R, 1, 0 },
};

static void test_modify(void)
{
	const struct modify_case *t;
	u8 src[16 + NGPN * 8];

	for (t = modify_cases; t < modify_cases + ARRAY_SIZE(modify_cases); t++) {
		u32 len = hv_vsm_input_size(t->control) + t->adj;
		struct hv_vsm_input in = { .control = t->control, .len = len };
		struct hv_vsm_modify m = {};
		struct result r = {};
		u8 *buf;
		u16 st;

		memcpy(src, &t->h, 16);
		memcpy(src + 16, t->gpn, sizeof(t->gpn));
		buf = input_copy(src, sizeof(src), len);
		in.data = buf;
		st = hv_vsm_decode_modify(&t->c, &in, &m);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "layer", m.layer, t->layer);
			expect(&r, "prot", m.prot, t->prot);
			expect(&r, "count", m.count, t->count);
			expect(&r, "then", m.status, t->status);
			expect(&r, "gpns offset", offset(m.gpns, buf),
			       16 + 8 * t->first);
		}
		free(buf);
		report("decode_modify", t->name, &r);
	}
}

/* hv_vsm_decode_modify() up to the largest list a page holds. */
static void test_modify_page(void)
{
	static const struct hv_vsm_caller c = VTL1_C;
	u64 control = CTL(MOD, 510, 1);
	struct hv_vsm_input in = { .control = control, .len = 4096 };
	const struct hv_vsm_modify_prot_in h = MOD_HDR(R | W, 0);
	struct hv_vsm_modify m = {};
	struct result r = {};
	u64 *gpn;
	u8 *buf;
	int i;

	buf = input_copy(&h, sizeof(h), in.len);
	gpn = (u64 *)(buf + 16);
	for (i = 0; i < 510; i++)
		gpn[i] = HV_VSM_GPN_MAX - i;
	in.data = buf;
	expect(&r, "status", hv_vsm_decode_modify(&c, &in, &m), OK);
	expect(&r, "count", m.count, 509);
	expect(&r, "gpns offset", offset(m.gpns, buf), 24);
	report("decode_modify", "510 reps from 1, a whole page", &r);

	r = (struct result){};
	gpn[509] = HV_VSM_GPN_MAX + 1;
	expect(&r, "status", hv_vsm_decode_modify(&c, &in, &m), OK);
	expect(&r, "count", m.count, 508);
	expect(&r, "then", m.status, BAD_PARAM);
	report("decode_modify", "last of 510 reps too big", &r);
	free(buf);
}

/* hv_vsm_decode_enable_partition(): input of 16 + @adj bytes. */
struct enable_partition_case {
	const char *name;
	struct hv_vsm_caller c;
	struct hv_vsm_enable_partition_in h;
	int adj;
	u16 want;
	u8 vtl;
	bool mbec;
};

static const struct enable_partition_case enable_partition_cases[] = {
	{ "short by 1", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 1 }, -1,
	  BAD_INPUT },
	{ "empty input", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 1 }, -16,
	  BAD_INPUT },
	{ "partition id 0", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { 0, 1 }, 0,
	  BAD_PART },
	{ "partition id before flags", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  { 1, 1, 1 }, 0, BAD_PART },
	{ "MBEC not offered", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  { SELF, 1, HV_VSM_ENABLE_PARTITION_MBEC }, 0, BAD_PARAM },
	{ "MBEC offered for vtl2 only", MBEC_C(0, 0x1, 0, 0x4),
	  { SELF, 1, HV_VSM_ENABLE_PARTITION_MBEC }, 0, BAD_PARAM },
	{ "MBEC before already enabled", MBEC_C(0, 0x3, 0, 0x2),
	  { SELF, 1, HV_VSM_ENABLE_PARTITION_MBEC | BIT(1) }, 0, BAD_PARAM },
	{ "MBEC, vtl1 by vtl0", MBEC_C(0, 0x1, 0, 0x6),
	  { SELF, 1, HV_VSM_ENABLE_PARTITION_MBEC }, 0, OK, 1, true },
	{ "MBEC, vtl2 by vtl1", MBEC_C(1, 0x3, 0x2, 0x6),
	  { SELF, 2, HV_VSM_ENABLE_PARTITION_MBEC }, 0, OK, 2, true },
	{ "flags bit 7", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 1, BIT(7) }, 0,
	  BAD_PARAM },
	{ "reserved byte 0", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  { SELF, 1, 0, { 1 } }, 0, BAD_PARAM },
	{ "reserved byte 5", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  { SELF, 1, 0, { 0, 0, 0, 0, 0, 0x80 } }, 0, BAD_PARAM },
	{ "target vtl0", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 0 }, 0,
	  BAD_PARAM },
	{ "target above max", CALLER(1, 1, 0x3, 0x3, 0x3, 0), { SELF, 2 }, 0,
	  BAD_PARAM },
	{ "target 3, max 2", CALLER(2, 2, 0x7, 0x7, 0x7, 0), { SELF, 3 }, 0,
	  BAD_PARAM },
	{ "target 255", CALLER(2, 2, 0x7, 0x7, 0x7, 0), { SELF, 255 }, 0,
	  BAD_PARAM },
	{ "target with UseTargetVtl", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  { SELF, USE(1) }, 0, BAD_PARAM },
	{ "max before already enabled", CALLER(1, 1, 0x7, 0x7, 0x7, 0),
	  { SELF, 2 }, 0, BAD_PARAM },
	{ "vtl1 already enabled", CALLER(0, 2, 0x3, 0x3, 0x3, 0), { SELF, 1 },
	  0, ENABLED },
	{ "vtl1 already enabled, from vtl1", CALLER(1, 2, 0x3, 0x3, 0x3, 0),
	  { SELF, 1 }, 0, ENABLED },
	{ "vtl2 already enabled, from vtl0", CALLER(0, 2, 0x7, 0x7, 0x7, 0),
	  { SELF, 2 }, 0, ENABLED },
	{ "vtl2 before vtl1", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 2 }, 0,
	  BAD_STATE },
	{ "vtl2 already enabled, vtl1 not", CALLER(2, 2, 0x5, 0x5, 0x5, 0),
	  { SELF, 2 }, 0, ENABLED },
	{ "vtl2 by vtl0", CALLER(0, 2, 0x3, 0x3, 0x3, 0), { SELF, 2 }, 0,
	  DENIED },
	{ "vtl1 by vtl1 not enabled", CALLER(1, 2, 0x1, 0x1, 0x1, 0),
	  { SELF, 1 }, 0, DENIED },
	{ "vtl1 by vtl0", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 1 }, 0, OK,
	  1 },
	{ "vtl1 by vtl0, max 1", CALLER(0, 1, 0x1, 0x1, 0x1, 0), { SELF, 1 }, 0,
	  OK, 1 },
	{ "vtl2 by vtl1", CALLER(1, 2, 0x3, 0x3, 0x3, 0x2), { SELF, 2 }, 0, OK,
	  2 },
	{ "longer input", CALLER(0, 2, 0x1, 0x1, 0x1, 0), { SELF, 1 }, 96, OK,
	  1 },
};

static void test_enable_partition(void)
{
	const struct enable_partition_case *t;

	for (t = enable_partition_cases;
	     t < enable_partition_cases + ARRAY_SIZE(enable_partition_cases);
	     t++) {
		u32 len = sizeof(t->h) + t->adj;
		struct hv_vsm_input in = { .control = EN_PART, .len = len };
		struct hv_vsm_enable_partition e = {};
		struct result r = {};
		u8 *buf;
		u16 st;

		buf = input_copy(&t->h, sizeof(t->h), len);
		in.data = buf;
		st = hv_vsm_decode_enable_partition(&t->c, &in, &e);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vtl", e.vtl, t->vtl);
			expect(&r, "mbec", e.mbec, t->mbec);
		}
		free(buf);
		report("decode_enable_partition", t->name, &r);
	}
}

/*
 * hv_vsm_decode_enable_vp(): the header and a context of 224 bytes, cut or
 * padded to 240 + @adj bytes.  On success: VP @vp, VTL @vtl.
 */
struct enable_vp_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl, mbz0;
	u16 mbz1;
	int adj;
	u16 want;
	u32 vp;
	u8 vtl;
};

#define VP_SELF		HV_VP_INDEX_SELF

static const struct enable_vp_case enable_vp_cases[] = {
	{ "short by 1", VTL1_C, SELF, 0, 1, 0, 0, -1, BAD_INPUT },
	{ "header only", VTL1_C, SELF, 0, 1, 0, 0, -224, BAD_INPUT },
	{ "empty input", VTL1_C, SELF, 0, 1, 0, 0, -240, BAD_INPUT },
	{ "partition id 0", VTL1_C, 0, 0, 1, 0, 0, 0, BAD_PART },
	{ "partition id before vtl", VTL1_C, 5, 0, 0, 0, 0, 0, BAD_PART },
	{ "target vtl0", VTL1_C, SELF, 0, 0, 0, 0, 0, BAD_PARAM },
	{ "target with UseTargetVtl", VTL1_C, SELF, 0, USE(1), 0, 0, 0,
	  BAD_PARAM },
	{ "target reserved bit 5", VTL1_C, SELF, 0, 1 | BIT(5), 0, 0, 0,
	  BAD_PARAM },
	{ "mbz0", VTL1_C, SELF, 0, 1, 1, 0, 0, BAD_PARAM },
	{ "mbz1", VTL1_C, SELF, 0, 1, 0, 0x100, 0, BAD_PARAM },
	{ "vtl1 not in partition", CALLER(0, 2, 0x1, 0x1, 0x1, 0), SELF, MY_VP,
	  1, 0, 0, 0, BAD_STATE },
	{ "vtl2 not in partition", VTL1_C, SELF, 0, 2, 0, 0, 0, BAD_STATE },
	{ "vtl15 not in partition", VTL2_C, SELF, 0, 15, 0, 0, 0, BAD_STATE },
	{ "state before access", CALLER(0, 2, 0x1, 0x1, 0x1, 0), SELF, 9, 2, 0,
	  0, 0, BAD_STATE },
	{ "vtl0, own vp by index, first", CALLER(0, 2, 0x3, 0x1, 0x1, 0), SELF,
	  MY_VP, 1, 0, 0, 0, OK, MY_VP, 1 },
	{ "vtl0, own vp by self, first", CALLER(0, 2, 0x3, 0x1, 0x1, 0), SELF,
	  VP_SELF, 1, 0, 0, 0, OK, MY_VP, 1 },
	{ "vtl0, other vp, first", CALLER(0, 2, 0x3, 0x1, 0x1, 0), SELF, 0, 1,
	  0, 0, 0, DENIED },
	{ "vtl0, own vp, not first", CALLER(0, 2, 0x3, 0x1, 0x3, 0), SELF,
	  VP_SELF, 1, 0, 0, 0, DENIED },
	{ "vtl0, own vp, already on it", VTL0_C, SELF, MY_VP, 1, 0, 0, 0,
	  DENIED },
	{ "vtl0, vtl2", CALLER(0, 2, 0x7, 0x1, 0x1, 0), SELF, VP_SELF, 2, 0, 0,
	  0, DENIED },
	{ "vtl1, other vp", VTL1_C, SELF, 0, 1, 0, 0, 0, OK, 0, 1 },
	{ "vtl1, own vp by self", VTL1_C, SELF, VP_SELF, 1, 0, 0, 0, OK, MY_VP,
	  1 },
	{ "vtl1, no such vp", VTL1_C, SELF, 0xffffffff, 1, 0, 0, 0, BAD_VP },
	{ "vtl1, vp index 16", VTL1_C, SELF, NR_VPS, 1, 0, 0, 0, BAD_VP },
	/* OpenHCL checks the VP index before anything but the partition. */
	{ "vtl0, no such vp", CALLER(0, 2, 0x3, 0x1, 0x1, 0), SELF, NR_VPS, 1,
	  0, 0, 0, BAD_VP },
	{ "vp index before vtl", VTL1_C, SELF, 100, 0, 1, 0, 0, BAD_VP },
	{ "partition id before vp index", VTL1_C, 0, 100, 0, 0, 0, 0,
	  BAD_PART },
	{ "vtl1, last vp", VTL1_C, SELF, NR_VPS - 1, 1, 0, 0, 0, OK,
	  NR_VPS - 1, 1 },
	{ "vtl2, vtl1 on other vp", VTL2_C, SELF, 7, 1, 0, 0, 0, OK, 7, 1 },
	{ "vtl2, vtl2 on other vp", VTL2_C, SELF, 7, 2, 0, 0, 0, OK, 7, 2 },
	{ "vtl1, vtl2 on own vp, first", CALLER(1, 2, 0x7, 0x3, 0x3, 0), SELF,
	  MY_VP, 2, 0, 0, 0, OK, MY_VP, 2 },
	{ "vtl1, vtl2 by self, first", CALLER(1, 2, 0x7, 0x3, 0x3, 0), SELF,
	  VP_SELF, 2, 0, 0, 0, OK, MY_VP, 2 },
	{ "vtl1, vtl2 on other vp", CALLER(1, 2, 0x7, 0x3, 0x3, 0), SELF, 0, 2,
	  0, 0, 0, DENIED },
	{ "vtl1, vtl2, not first", CALLER(1, 2, 0x7, 0x3, 0x7, 0), SELF, MY_VP,
	  2, 0, 0, 0, DENIED },
	{ "longer input", VTL1_C, SELF, 2, 1, 0, 0, 16, OK, 2, 1 },
};

static void test_enable_vp(void)
{
	const struct enable_vp_case *t;
	struct hv_enable_vp_vtl h;

	for (t = enable_vp_cases;
	     t < enable_vp_cases + ARRAY_SIZE(enable_vp_cases); t++) {
		u32 len = sizeof(h) + t->adj;
		struct hv_vsm_input in = { .control = EN_VP, .len = len };
		struct hv_vsm_enable_vp e = {};
		struct result r = {};
		u8 *buf;
		u16 st;

		memset(&h, 0xa5, sizeof(h));
		h.partition_id = t->partition_id;
		h.vp_index = t->vp_index;
		h.target_vtl.as_uint8 = t->target_vtl;
		h.mbz0 = t->mbz0;
		h.mbz1 = t->mbz1;
		buf = input_copy(&h, sizeof(h), len);
		in.data = buf;
		st = hv_vsm_decode_enable_vp(&t->c, &in, &e);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vp index", e.vp_index, t->vp);
			expect(&r, "vtl", e.vtl, t->vtl);
			expect(&r, "context offset", offset(e.ctx, buf), 16);
		}
		free(buf);
		report("decode_enable_vp", t->name, &r);
	}
}

/*
 * hv_vsm_decode_start_vp(): HvEnableVpVtl's layout, 240 + @adj bytes. On
 * success: VP @vp, VTL @vtl. @denied: a VTL above set DenyLowerVtlStartup.
 */
struct start_vp_case {
	const char *name;
	struct hv_vsm_caller c;
	bool denied;
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl, mbz0;
	int adj;
	u16 want;
	u8 vtl;
};

static const struct start_vp_case start_vp_cases[] = {
	{ "short by 1", VTL0_C, 0, SELF, 0, 0, 0, -1, BAD_INPUT },
	{ "partition id 0", VTL0_C, 0, 0, 0, 0, 0, 0, BAD_PART },
	{ "own vp", VTL0_C, 0, SELF, MY_VP, 0, 0, 0, BAD_VP },
	{ "own vp by self", VTL0_C, 0, SELF, VP_SELF, 0, 0, 0, BAD_VP },
	{ "no such vp", VTL0_C, 0, SELF, NR_VPS, 0, 0, 0, BAD_VP },
	{ "vp index before vtl", VTL0_C, 0, SELF, NR_VPS, 5, 0, 0, BAD_VP },
	{ "target with UseTargetVtl", VTL1_C, 0, SELF, 0, USE(1), 0, 0,
	  BAD_PARAM },
	{ "target reserved bit 6", VTL1_C, 0, SELF, 0, BIT(6), 0, 0,
	  BAD_PARAM },
	{ "mbz0", VTL0_C, 0, SELF, 0, 0, 1, 0, BAD_PARAM },
	{ "vtl0 starts vtl1", VTL0_C, 0, SELF, 0, 1, 0, 0, DENIED },
	{ "vtl1 starts vtl2", VTL1_C, 0, SELF, 0, 2, 0, 0, DENIED },
	{ "vtl0 under DenyLowerVtlStartup", VTL0_C, 1, SELF, 0, 0, 0, 0,
	  DENIED },
	{ "vtl0 starts vtl0", VTL0_C, 0, SELF, 0, 0, 0, 0, OK, 0 },
	{ "vtl1 starts vtl0", VTL1_C, 0, SELF, 2, 0, 0, 0, OK, 0 },
	{ "vtl1 starts vtl1", VTL1_C, 0, SELF, 2, 1, 0, 0, OK, 1 },
	{ "vtl2 starts vtl2", VTL2_C, 0, SELF, 7, 2, 0, 16, OK, 2 },
};

static void test_start_vp(void)
{
	const struct start_vp_case *t;
	struct hv_enable_vp_vtl h;

	for (t = start_vp_cases;
	     t < start_vp_cases + ARRAY_SIZE(start_vp_cases); t++) {
		u32 len = sizeof(h) + t->adj;
		struct hv_vsm_input in = { .control = START_VP, .len = len };
		struct hv_vsm_caller c = t->c;
		struct hv_vsm_enable_vp e = {};
		struct result r = {};
		u8 *buf;
		u16 st;

		memset(&h, 0x5a, sizeof(h));
		h.partition_id = t->partition_id;
		h.vp_index = t->vp_index;
		h.target_vtl.as_uint8 = t->target_vtl;
		h.mbz0 = t->mbz0;
		h.mbz1 = 0;
		c.startup_denied = t->denied;
		buf = input_copy(&h, sizeof(h), len);
		in.data = buf;
		st = hv_vsm_decode_start_vp(&c, &in, &e);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vp index", e.vp_index, t->vp_index);
			expect(&r, "vtl", e.vtl, t->vtl);
			expect(&r, "context offset", offset(e.ctx, buf), 16);
		}
		free(buf);
		report("decode_start_vp", t->name, &r);
	}
}

/*
 * hv_vsm_decode_vp_from_apic(): header and @n 4-byte APIC IDs from rep
 * start @first, input of 16 + 4 * @n + @adj bytes.
 */
struct vp_apic_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 partition_id;
	u8 vtl_in, rsvd;
	u16 n, first;
	int adj;
	u16 want;
	u8 vtl;
};

static const struct vp_apic_case vp_apic_cases[] = {
	{ "short by 1", VTL0_C, SELF, 0, 0, 2, 0, -1, BAD_INPUT },
	{ "partition id 0", VTL0_C, 0, 0, 0, 1, 0, 0, BAD_PART },
	{ "reserved byte", VTL0_C, SELF, 0, 1, 1, 0, 0, BAD_PARAM },
	{ "input vtl reserved bit", VTL0_C, SELF, BIT(5), 0, 1, 0, 0,
	  BAD_PARAM },
	{ "vtl1 from vtl0", VTL0_C, SELF, USE(1), 0, 1, 0, 0, DENIED },
	{ "own vtl", VTL1_C, SELF, 0, 0, 1, 0, 0, OK, 1 },
	{ "vtl0 from vtl1", VTL1_C, SELF, USE(0), 0, 3, 1, 0, OK, 0 },
	{ "vtl0 by vtl byte, no UseTargetVtl", VTL2_C, SELF, 0, 0, 2, 0, 4,
	  OK, 2 },
};

static void test_vp_from_apic(void)
{
	const struct vp_apic_case *t;

	for (t = vp_apic_cases;
	     t < vp_apic_cases + ARRAY_SIZE(vp_apic_cases); t++) {
		u32 len = 16 + 4 * t->n + t->adj;
		struct hv_vsm_input in = {
			.control = CTL(VP_APIC, t->n, t->first), .len = len,
		};
		struct hv_vsm_vp_from_apic v = {};
		struct result r = {};
		u8 *buf = calloc(1, len + 16);
		u16 st;

		memcpy(buf, &t->partition_id, 8);
		buf[8] = t->vtl_in;
		buf[9 + 3] = t->rsvd;
		in.data = buf;
		st = hv_vsm_decode_vp_from_apic(&t->c, &in, &v);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vtl", v.vtl, t->vtl);
			expect(&r, "count", v.count, t->n - t->first);
			expect(&r, "first id offset", offset(v.apic_ids, buf),
			       16 + 4 * t->first);
		}
		free(buf);
		report("decode_vp_from_apic", t->name, &r);
	}
}

/* hv_vsm_decode_translate(): 32 bytes of input + @adj. */
struct translate_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 partition_id;
	u32 vp_index, rsvd;
	u64 flags, gva_page;
	int adj;
	u16 want;
	u8 vtl;
};

#define TR_VTL(byte)	((u64)(byte) << HV_TRANSLATE_GVA_INPUT_VTL_SHIFT)

static const struct translate_case translate_cases[] = {
	{ "short by 1", VTL1_C, SELF, VP_SELF, 0, TR_VTL(USE(0)), 5, -1,
	  BAD_INPUT },
	{ "partition id 0", VTL1_C, 0, VP_SELF, 0, TR_VTL(USE(0)), 5, 0,
	  BAD_PART },
	{ "another vp", VTL1_C, SELF, 0, 0, TR_VTL(USE(0)), 5, 0, DENIED },
	{ "own vp by index", VTL1_C, SELF, MY_VP, 0, TR_VTL(USE(0)), 5, 0,
	  OK, 0 },
	{ "reserved u32", VTL1_C, SELF, VP_SELF, 1, TR_VTL(USE(0)), 5, 0,
	  BAD_PARAM },
	{ "shadow stack", VTL1_C, SELF, VP_SELF, 0,
	  TR_VTL(USE(0)) | HV_TRANSLATE_GVA_SHADOW_STACK, 5, 0, BAD_PARAM },
	{ "flag bit 55", VTL1_C, SELF, VP_SELF, 0, TR_VTL(USE(0)) | BIT_ULL(55),
	  5, 0, BAD_PARAM },
	{ "supervisor and user", VTL1_C, SELF, VP_SELF, 0,
	  TR_VTL(USE(0)) | HV_TRANSLATE_GVA_SUPERVISOR_ACCESS |
	  HV_TRANSLATE_GVA_USER_ACCESS, 5, 0, BAD_PARAM },
	{ "enforce and override smap", VTL1_C, SELF, VP_SELF, 0,
	  TR_VTL(USE(0)) | HV_TRANSLATE_GVA_ENFORCE_SMAP |
	  HV_TRANSLATE_GVA_OVERRIDE_SMAP, 5, 0, BAD_PARAM },
	{ "page beyond 64 bits", VTL1_C, SELF, VP_SELF, 0, TR_VTL(USE(0)),
	  1ULL << 52, 0, BAD_PARAM },
	{ "input vtl reserved bit", VTL1_C, SELF, VP_SELF, 0,
	  TR_VTL(USE(0) | BIT(5)), 5, 0, BAD_PARAM },
	{ "own vtl", VTL1_C, SELF, VP_SELF, 0, 0, 5, 0, DENIED },
	{ "own vtl, named", VTL1_C, SELF, VP_SELF, 0, TR_VTL(USE(1)), 5, 0,
	  DENIED },
	{ "vtl above", VTL1_C, SELF, VP_SELF, 0, TR_VTL(USE(2)), 5, 0, DENIED },
	{ "vtl0 from vtl0", VTL0_C, SELF, VP_SELF, 0, TR_VTL(USE(0)), 5, 0,
	  DENIED },
	{ "vtl0 from vtl1, all flags", VTL1_C, SELF, VP_SELF, 0,
	  TR_VTL(USE(0)) | GENMASK_ULL(5, 0) | HV_TRANSLATE_GVA_USER_ACCESS |
	  HV_TRANSLATE_GVA_OVERRIDE_SMAP, 5, 16, OK, 0 },
	{ "vtl1 from vtl2", VTL2_C, SELF, VP_SELF, 0, TR_VTL(USE(1)), 5, 0, OK,
	  1 },
};

static void test_translate(void)
{
	const struct translate_case *t;

	for (t = translate_cases;
	     t < translate_cases + ARRAY_SIZE(translate_cases); t++) {
		struct hv_translate_va_in h = {
			.partition_id = t->partition_id,
			.vp_index = t->vp_index,
			.reserved = t->rsvd,
			.control_flags = t->flags,
			.gva_page = t->gva_page,
		};
		u32 len = sizeof(h) + t->adj;
		struct hv_vsm_input in = {
			.control = HVCALL_TRANSLATE_VIRTUAL_ADDRESS, .len = len,
		};
		struct hv_vsm_translate x = {};
		struct result r = {};
		u8 *buf = input_copy(&h, sizeof(h), len);
		u16 st;

		in.data = buf;
		st = hv_vsm_decode_translate(&t->c, &in, &x);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vtl", x.vtl, t->vtl);
			expect(&r, "gva", x.gva, t->gva_page << 12);
			expect(&r, "flags", x.flags, t->flags & GENMASK_ULL(9, 0));
		}
		free(buf);
		report("decode_translate", t->name, &r);
	}
}

/* hv_vsm_decode_ipi_vtl(): bytes 4-7 of an IPI's input. */
struct ipi_vtl_case {
	const char *name;
	struct hv_vsm_caller c;
	u32 vtl_flags;
	u16 want;
	u8 vtl;
};

static const struct ipi_vtl_case ipi_vtl_cases[] = {
	{ "vtl0, own", VTL0_C, 0, OK, 0 },
	{ "vtl1, own", VTL1_C, 0, OK, 1 },
	{ "vtl1, vtl0", VTL1_C, USE(0), OK, 0 },
	{ "vtl2, vtl1", VTL2_C, USE(1), OK, 1 },
	{ "vtl1, target byte without UseTargetVtl", VTL1_C, 0, OK, 1 },
	{ "vtl0, vtl1", VTL0_C, USE(1), DENIED },
	{ "vtl1, vtl15", VTL1_C, USE(15), DENIED },
	{ "reserved bit 5", VTL1_C, BIT(5), BAD_PARAM },
	{ "flags", VTL1_C, 1 << 8, BAD_PARAM },
	{ "reserved byte 7", VTL1_C, 1u << 31, BAD_PARAM },
	{ "flags before vtl", VTL0_C, USE(1) | 1 << 8, BAD_PARAM },
};

static void test_ipi_vtl(void)
{
	const struct ipi_vtl_case *t;

	for (t = ipi_vtl_cases;
	     t < ipi_vtl_cases + ARRAY_SIZE(ipi_vtl_cases); t++) {
		struct result r = {};
		u8 vtl = 0xff;
		u16 st;

		st = hv_vsm_decode_ipi_vtl(&t->c, t->vtl_flags, &vtl);
		expect(&r, "status", st, t->want);
		if (st == OK)
			expect(&r, "vtl", vtl, t->vtl);
		report("decode_ipi_vtl", t->name, &r);
	}
}

/*
 * hv_vsm_decode_vp_regs(): input of hv_vsm_input_size() + @adj bytes.  On
 * success: VP @vp, VTL @vtl, @count elements from element @first.
 */
struct vp_regs_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 control;
	struct hv_vsm_vp_regs_in h;
	int adj;
	u16 want;
	u32 vp;
	u8 vtl;
	u16 count, first;
};

static const struct vp_regs_case vp_regs_cases[] = {
	{ "get short by 1", VTL1_C, CTL(GET, 2, 0), REGS_HDR(0, 0), -1,
	  BAD_INPUT },
	{ "get header only", VTL1_C, CTL(GET, 1, 0), REGS_HDR(0, 0), -4,
	  BAD_INPUT },
	{ "get empty input", VTL1_C, CTL(GET, 1, 0), REGS_HDR(0, 0), -20,
	  BAD_INPUT },
	{ "set short by 1", VTL1_C, CTL(SET, 2, 1), REGS_HDR(0, 0), -1,
	  BAD_INPUT },
	{ "set only the reps from start", VTL1_C, CTL(SET, 3, 2),
	  REGS_HDR(0, 0), -64, BAD_INPUT },
	{ "get partition id 0", VTL1_C, CTL(GET, 1, 0), { 0, 0, IVTL(0), { 0 } }, 0,
	  BAD_PART },
	{ "set partition id 1", VTL1_C, CTL(SET, 1, 0), { 1, 0, IVTL(0), { 0 } }, 0,
	  BAD_PART },
	{ "get input vtl reserved bit 5", VTL1_C, CTL(GET, 1, 0),
	  REGS_HDR(0, BIT(5)), 0, BAD_PARAM },
	{ "set input vtl reserved bit 7", VTL1_C, CTL(SET, 1, 0),
	  REGS_HDR(0, USE(0) | BIT(7)), 0, BAD_PARAM },
	{ "get reserved byte 0", VTL1_C, CTL(GET, 1, 0),
	  { SELF, 0, IVTL(0), { 1 } }, 0, BAD_PARAM },
	{ "set reserved byte 2", VTL1_C, CTL(SET, 1, 0),
	  { SELF, 0, IVTL(0), { 0, 0, 1 } }, 0, BAD_PARAM },
	{ "reserved before access", VTL0_C, CTL(GET, 1, 0),
	  { SELF, 0, IVTL(USE(2)), { 1 } }, 0, BAD_PARAM },
	{ "get vtl2 from vtl1", VTL1_C, CTL(GET, 1, 0), REGS_HDR(0, USE(2)), 0,
	  DENIED },
	{ "set vtl1 from vtl0", VTL0_C, CTL(SET, 1, 0), REGS_HDR(0, USE(1)), 0,
	  DENIED },
	{ "get vtl15 from vtl2", VTL2_C, CTL(GET, 1, 0), REGS_HDR(0, USE(15)),
	  0, DENIED },
	{ "get own vtl0", VTL0_C, CTL(GET, 1, 0), REGS_HDR(0, 0), 0, OK, 0, 0,
	  1, 0 },
	{ "get target bits without UseTargetVtl", VTL0_C, CTL(GET, 1, 0),
	  REGS_HDR(1, 2), 0, OK, 1, 0, 1, 0 },
	{ "get vtl0 from vtl1", VTL1_C, CTL(GET, 2, 0), REGS_HDR(4, USE(0)), 0,
	  OK, 4, 0, 2, 0 },
	{ "get vtl1 from vtl1", VTL1_C, CTL(GET, 1, 0), REGS_HDR(4, USE(1)), 0,
	  OK, 4, 1, 1, 0 },
	{ "set own vtl2", VTL2_C, CTL(SET, 1, 0), REGS_HDR(4, 0), 0, OK, 4, 2,
	  1, 0 },
	{ "set vtl1 from vtl2", VTL2_C, CTL(SET, 1, 0), REGS_HDR(4, USE(1)), 0,
	  OK, 4, 1, 1, 0 },
	{ "get vp self", VTL1_C, CTL(GET, 1, 0), REGS_HDR(VP_SELF, 0), 0, OK,
	  MY_VP, 1, 1, 0 },
	{ "set vp self", VTL1_C, CTL(SET, 1, 0), REGS_HDR(VP_SELF, 0), 0, OK,
	  MY_VP, 1, 1, 0 },
	{ "get no such vp", VTL1_C, CTL(GET, 1, 0), REGS_HDR(0xffffffff, 0), 0,
	  BAD_VP },
	{ "set vp 16", VTL1_C, CTL(SET, 1, 0), REGS_HDR(NR_VPS, 0), 0, BAD_VP },
	{ "vp index before target vtl", VTL1_C, CTL(GET, 1, 0),
	  REGS_HDR(99, USE(2)), 0, BAD_VP },
	{ "partition id before vp index", VTL1_C, CTL(GET, 1, 0),
	  { 0, 99, IVTL(0), { 0 } }, 0, BAD_PART },
	{ "get last vp", VTL1_C, CTL(GET, 1, 0), REGS_HDR(NR_VPS - 1, 0), 0, OK,
	  NR_VPS - 1, 1, 1, 0 },
	{ "get rep start 2 of 5", VTL1_C, CTL(GET, 5, 2), REGS_HDR(0, 0), 0, OK,
	  0, 1, 3, 2 },
	{ "set rep start 1 of 3", VTL1_C, CTL(SET, 3, 1), REGS_HDR(0, 0), 0, OK,
	  0, 1, 2, 1 },
	{ "get 1020 reps from 1019", VTL1_C, CTL(GET, 1020, 1019),
	  REGS_HDR(0, 0), 0, OK, 0, 1, 1, 1019 },
	{ "set 127 reps from 100", VTL1_C, CTL(SET, 127, 100), REGS_HDR(0, 0),
	  0, OK, 0, 1, 27, 100 },
	{ "set fast, 112 bytes", VTL1_C, CTL(SET, 2, 0) | HV_HYPERCALL_FAST_BIT,
	  REGS_HDR(0, 0), 112 - 80, OK, 0, 1, 2, 0 },
	{ "set fast, 4 reps in 112 bytes", VTL1_C,
	  CTL(SET, 4, 0) | HV_HYPERCALL_FAST_BIT, REGS_HDR(0, 0), 112 - 144,
	  BAD_INPUT },
};

static void test_vp_regs(void)
{
	const struct vp_regs_case *t;

	for (t = vp_regs_cases; t < vp_regs_cases + ARRAY_SIZE(vp_regs_cases);
	     t++) {
		u32 len = hv_vsm_input_size(t->control) + t->adj;
		struct hv_vsm_input in = { .control = t->control, .len = len };
		bool get = hv_vsm_code(t->control) == GET;
		struct hv_vsm_vp_regs v = {};
		struct result r = {};
		u8 *buf;
		u16 st;

		buf = input_copy(&t->h, sizeof(t->h), len);
		in.data = buf;
		st = hv_vsm_decode_vp_regs(&t->c, &in, &v);
		expect(&r, "status", st, t->want);
		if (st == OK) {
			expect(&r, "vp index", v.vp_index, t->vp);
			expect(&r, "vtl", v.vtl, t->vtl);
			expect(&r, "count", v.count, t->count);
			if (get)
				expect(&r, "names offset", offset(v.names, buf),
				       16 + 4 * t->first);
			else
				expect(&r, "assoc offset", offset(v.assoc, buf),
				       16 + 32 * t->first);
		}
		free(buf);
		report("decode_vp_regs", t->name, &r);
	}
}

/* hv_vsm_check_vtl_call() and hv_vsm_check_vtl_return(). */
struct vtl_switch_case {
	const char *name;
	struct hv_vsm_caller c;
	u64 control, input;
	bool want;
};

static const struct vtl_switch_case vtl_call_cases[] = {
	{ "from vtl0", VTL0_C, HVCALL_VTL_CALL, 0, true },
	{ "from vtl1, vtl2 not enabled", VTL1_C, HVCALL_VTL_CALL, 0, false },
	{ "from vtl1 to vtl2", CALLER(1, 2, 0x7, 0x7, 0x7, 0), HVCALL_VTL_CALL,
	  0, true },
	{ "fast bit", VTL0_C, HVCALL_VTL_CALL | HV_HYPERCALL_FAST_BIT, 0,
	  false },
	{ "rep count", VTL0_C, CTL(HVCALL_VTL_CALL, 1, 0), 0, false },
	{ "rep start", VTL0_C, CTL(HVCALL_VTL_CALL, 0, 1), 0, false },
	{ "reserved bit 63", VTL0_C, HVCALL_VTL_CALL | BIT_ULL(63), 0, false },
	{ "var header", VTL0_C, HVCALL_VTL_CALL | BIT_ULL(17), 0, false },
	{ "return code", VTL0_C, HVCALL_VTL_RETURN, 0, false },
	{ "code 0x111", VTL0_C, 0x111, 0, false },
	{ "input bit 0", VTL0_C, HVCALL_VTL_CALL, 1, false },
	{ "input bit 63", VTL0_C, HVCALL_VTL_CALL, BIT_ULL(63), false },
	{ "no higher vtl on the partition", CALLER(0, 2, 0x1, 0x1, 0x1, 0),
	  HVCALL_VTL_CALL, 0, false },
	{ "higher vtl on other vps only", CALLER(0, 2, 0x3, 0x1, 0x3, 0),
	  HVCALL_VTL_CALL, 0, false },
	{ "only vtl2 on the vp", CALLER(0, 2, 0x7, 0x5, 0x7, 0),
	  HVCALL_VTL_CALL, 0, false },
	{ "at max vtl", CALLER(2, 2, 0x7, 0x7, 0x7, 0), HVCALL_VTL_CALL, 0,
	  false },
	{ "at max vtl, higher bit set", CALLER(1, 1, 0x7, 0x7, 0x7, 0),
	  HVCALL_VTL_CALL, 0, false },
};

static const struct vtl_switch_case vtl_return_cases[] = {
	{ "from vtl1", VTL1_C, HVCALL_VTL_RETURN, 0, true },
	{ "from vtl1, fast", VTL1_C, HVCALL_VTL_RETURN, HV_VSM_VTL_RETURN_FAST,
	  true },
	{ "from vtl2", VTL2_C, HVCALL_VTL_RETURN, 0, true },
	{ "from vtl0", VTL0_C, HVCALL_VTL_RETURN, 0, false },
	{ "from vtl2, vtl1 not enabled on the vp",
	  { .vtl = 2, .max_vtl = 2, .partition_vtls = 0x7, .vp_vtls = 0x5 },
	  HVCALL_VTL_RETURN, 0, false },
	{ "from vtl0, fast", VTL0_C, HVCALL_VTL_RETURN, 1, false },
	{ "input bit 1", VTL1_C, HVCALL_VTL_RETURN, 2, false },
	{ "input bit 63", VTL1_C, HVCALL_VTL_RETURN, BIT_ULL(63) | 1, false },
	{ "call code", VTL1_C, HVCALL_VTL_CALL, 0, false },
	{ "fast bit", VTL1_C, HVCALL_VTL_RETURN | HV_HYPERCALL_FAST_BIT, 0,
	  false },
	{ "rep count", VTL1_C, CTL(HVCALL_VTL_RETURN, 1, 0), 0, false },
	{ "reserved bit 31", VTL1_C, HVCALL_VTL_RETURN | BIT_ULL(31), 0,
	  false },
	{ "code 0x10012", VTL1_C, 0x10012, 0, false },
};

static void test_vtl_switch(void)
{
	const struct vtl_switch_case *t;

	for (t = vtl_call_cases;
	     t < vtl_call_cases + ARRAY_SIZE(vtl_call_cases); t++) {
		struct result r = {};

		expect(&r, "valid",
		       hv_vsm_check_vtl_call(&t->c, t->control, t->input),
		       t->want);
		report("check_vtl_call", t->name, &r);
	}
	for (t = vtl_return_cases;
	     t < vtl_return_cases + ARRAY_SIZE(vtl_return_cases); t++) {
		struct result r = {};

		expect(&r, "valid",
		       hv_vsm_check_vtl_return(&t->c, t->control, t->input),
		       t->want);
		report("check_vtl_return", t->name, &r);
	}
}

/* hv_vsm_check_reg_write(): register @reg of VTL @vtl from @old to @val. */
struct reg_write_case {
	const char *name;
	u8 vtl;
	u32 reg;
	u64 old, val;
	u16 want;
	u16 mbec_vtls;
};

#define CONFIG		HV_REGISTER_VSM_PARTITION_CONFIG
#define PROT		HV_VSM_CONFIG_ENABLE_VTL_PROTECTION
#define DEFAULT(m)	((u64)(m) << 1)
#define SECURE(n)	(HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 + (n))
#define TLB_LOCKED	HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED
#define ASSIST		HV_REGISTER_VP_ASSIST_PAGE
#define VINA		HV_REGISTER_VSM_VINA
#define VINA_ON		HV_VSM_VINA_ENABLED
#define ICPT		HV_REGISTER_CR_INTERCEPT_CONTROL
#define EVENT		HV_REGISTER_PENDING_EVENT0
#define EXC(v)		(HV_PENDING_EVENT_PENDING | (u64)(v) << 16)
#define DENIED		HV_STATUS_ACCESS_DENIED

static const struct reg_write_case reg_write_cases[] = {
	{ "config at vtl0", 0, CONFIG, 0, 0, BAD_PARAM },
	{ "config at vtl0, bad value", 0, CONFIG, 0, BIT_ULL(13), BAD_PARAM },
	{ "config 0", 1, CONFIG, 0, 0, OK },
	{ "config enable protection", 1, CONFIG, 0, PROT, OK },
	{ "config keep protection", 1, CONFIG, PROT, PROT, OK },
	{ "config keep protection and default", 1, CONFIG, PROT | DEFAULT(R),
	  PROT | DEFAULT(R) | HV_VSM_CONFIG_INTERCEPT_PAGE, OK },
	/* TLFS: the default is fixed once protection is on. */
	{ "config change default after enable", 1, CONFIG, PROT,
	  PROT | DEFAULT(R), BAD_VALUE },
	{ "config clear default after enable", 1, CONFIG, PROT | DEFAULT(R),
	  PROT, BAD_VALUE },
	{ "config default before enable", 1, CONFIG, DEFAULT(R),
	  DEFAULT(R | W), OK },
	{ "config clear protection", 1, CONFIG, PROT, 0, BAD_VALUE },
	{ "config clear protection, set others", 1, CONFIG, PROT | DEFAULT(R),
	  DEFAULT(R) | HV_VSM_CONFIG_ZERO_MEMORY_ON_RESET, BAD_VALUE },
	{ "config at vtl2", 2, CONFIG, 0, PROT, OK },
	{ "config all implemented bits", 1, CONFIG, 0,
	  GENMASK_ULL(5, 0) | HV_VSM_CONFIG_INTERCEPT_PAGE, OK },
	/* Not implemented, refused: bits 6-11 (DenyLowerVtlStartup, intercepts). */
	{ "config deny lower vtl startup", 1, CONFIG, 0, BIT_ULL(6), OK },
	{ "config intercept acceptance", 1, CONFIG, 0, BIT_ULL(7), BAD_VALUE },
	{ "config intercept enable vtl protection", 1, CONFIG, 0, BIT_ULL(8),
	  BAD_VALUE },
	{ "config intercept vp startup", 1, CONFIG, 0, BIT_ULL(9), BAD_VALUE },
	{ "config intercept cpuid unimplemented", 1, CONFIG, 0, BIT_ULL(10),
	  BAD_VALUE },
	{ "config intercept unrecoverable exception", 1, CONFIG, 0, BIT_ULL(11),
	  BAD_VALUE },
	{ "config all bits", 1, CONFIG, 0, GENMASK_ULL(12, 0), BAD_VALUE },
	/* Secure register intercepts: a VTL's own above 0, write bits. */
	{ "cr intercept control cr4 and lstar", 1, ICPT, 0,
	  HV_CR_INTERCEPT_CR4_WRITE | HV_CR_INTERCEPT_LSTAR_WRITE, OK },
	{ "cr intercept control all implemented", 1, ICPT, 0,
	  HV_VSM_CR_INTERCEPT_SUPPORTED, OK },
	{ "cr intercept control at vtl0", 0, ICPT, 0, 0, DENIED },
	{ "cr intercept control xcr0", 1, ICPT, 0, HV_CR_INTERCEPT_XCR0_WRITE,
	  BAD_VALUE },
	{ "cr intercept control lstar read", 1, ICPT, 0,
	  HV_CR_INTERCEPT_LSTAR_READ, BAD_VALUE },
	{ "cr intercept control gdtr", 1, ICPT, 0, HV_CR_INTERCEPT_GDTR_WRITE,
	  OK },
	{ "cr intercept control sgx", 1, ICPT, 0,
	  HV_CR_INTERCEPT_SGX_LAUNCH_WRITE, BAD_VALUE },
	{ "cr intercept control bit 25", 1, ICPT, 0, BIT_ULL(25), BAD_VALUE },
	{ "cr intercept control bit 63", 1, ICPT, 0, BIT_ULL(63), BAD_VALUE },
	{ "cr0 mask any value", 1, HV_REGISTER_CR_INTERCEPT_CR0_MASK, 0, ~0ULL,
	  OK },
	{ "cr4 mask at vtl0", 0, HV_REGISTER_CR_INTERCEPT_CR4_MASK, 0, 0,
	  DENIED },
	{ "misc enable mask", 2, HV_REGISTER_CR_INTERCEPT_MISC_ENABLE_MASK, 0,
	  1, OK },
	{ "mask after misc enable's", 1,
	  HV_REGISTER_CR_INTERCEPT_MISC_ENABLE_MASK + 1, 0, 0, BAD_PARAM },
	/* PendingEvent0 of a lower VTL: an x86 exception. */
	{ "pending #GP(0)", 1, EVENT, 0, EXC(13) | HV_PENDING_EVENT_DELIVER_ERROR_CODE,
	  OK },
	{ "pending #UD", 1, EVENT, 0, EXC(6), OK },
	{ "pending #PF with code", 1, EVENT, 0,
	  EXC(14) | HV_PENDING_EVENT_DELIVER_ERROR_CODE | 2ULL << 32, OK },
	{ "pending #CP (no CET)", 1, EVENT, 0, EXC(21), BAD_VALUE },
	{ "pending #BP (a software exception)", 1, EVENT, 0, EXC(3), BAD_VALUE },
	{ "pending #OF (a software exception)", 1, EVENT, 0, EXC(4), BAD_VALUE },
	{ "pending #GP without its code", 1, EVENT, 0, EXC(13), OK },
	{ "pending none", 1, EVENT, 0, 0, OK },
	{ "pending NMI", 1, EVENT, 0, EXC(2), BAD_VALUE },
	{ "pending vector 9", 1, EVENT, 0, EXC(9), BAD_VALUE },
	{ "pending #VE", 1, EVENT, 0, EXC(20), BAD_VALUE },
	{ "pending vector 32", 1, EVENT, 0, EXC(32), BAD_VALUE },
	{ "pending #UD with code", 1, EVENT, 0,
	  EXC(6) | HV_PENDING_EVENT_DELIVER_ERROR_CODE, BAD_VALUE },
	{ "pending type 1", 1, EVENT, 0, EXC(13) | 1 << 1, BAD_VALUE },
	{ "pending reserved bit 4", 1, EVENT, 0, EXC(13) | BIT(4), BAD_VALUE },
	{ "pending reserved bit 9", 1, EVENT, 0, EXC(13) | BIT(9), BAD_VALUE },
	{ "not pending, fields set", 1, EVENT, 0, 13ULL << 16, BAD_VALUE },
	{ "pending for the caller's vtl", 15, EVENT, 0, EXC(13), DENIED },
	/* A lower VTL's architectural registers; values are KVM's to check. */
	{ "lower vtl rip", 1, HV_X64_REGISTER_RIP, 0, ~0ULL, OK },
	{ "lower vtl lstar", 0, HV_X64_REGISTER_LSTAR, 0, 0, OK },
	/* The caller's own: KVM decides which it may write. */
	{ "the caller's own cr4", 15, HV_X64_REGISTER_CR4, 0, 0, OK },
	{ "lower vtl rcx", 1, 0x00020001, 0, 0, OK },
	{ "lower vtl gdtr", 1, HV_X64_REGISTER_GDTR, 0, 0, OK },
	{ "lower vtl interrupt state", 1, HV_REGISTER_INTERRUPT_STATE, 0, 2,
	  OK },
	{ "unknown register 0x20012", 1, 0x00020012, 0, 0, BAD_PARAM },
	{ "xfem (xcr0): not offered", 1, 0x00040005, 0, 0, BAD_PARAM },
	{ "pending event 1: zero", 1, HV_REGISTER_PENDING_EVENT1, 0, 0, OK },
	{ "pending event 1: not zero", 1, HV_REGISTER_PENDING_EVENT1, 0, 1,
	  BAD_VALUE },
	{ "pending event 1 for the caller's vtl", 15,
	  HV_REGISTER_PENDING_EVENT1, 0, 0, DENIED },
	{ "config intercept page", 1, CONFIG, 0, HV_VSM_CONFIG_INTERCEPT_PAGE,
	  OK },
	{ "config bit 13", 1, CONFIG, 0, BIT_ULL(13), BAD_VALUE },
	{ "config bit 63", 1, CONFIG, 0, PROT | BIT_ULL(63), BAD_VALUE },
	{ "config default none", 1, CONFIG, 0, PROT | DEFAULT(0), OK },
	{ "config default R", 1, CONFIG, 0, PROT | DEFAULT(R), OK },
	{ "config default RW", 1, CONFIG, 0, DEFAULT(R | W), OK },
	{ "config default RX", 1, CONFIG, 0, DEFAULT(R | K | U), OK },
	{ "config default RWX", 1, CONFIG, 0, DEFAULT(R | W | K | U), OK },
	{ "config default W", 1, CONFIG, 0, DEFAULT(W), BAD_VALUE },
	{ "config default RK", 1, CONFIG, 0, DEFAULT(R | K), BAD_VALUE },
	{ "config default RU", 1, CONFIG, 0, PROT | DEFAULT(R | U), BAD_VALUE },
	{ "config default KU", 1, CONFIG, 0, DEFAULT(K | U), BAD_VALUE },
	{ "secure vtl0 at vtl1", 1, SECURE(0), 0, 0, OK },
	{ "secure vtl0 at vtl1, tlb locked", 1, SECURE(0), 0, TLB_LOCKED, OK },
	{ "secure vtl0 at vtl1, unlock", 1, SECURE(0), TLB_LOCKED, 0, OK },
	{ "secure vtl0 at vtl1, MBEC not enabled", 1, SECURE(0), 0,
	  HV_VSM_VP_SECURE_CONFIG_MBEC, BAD_VALUE },
	{ "secure vtl0 at vtl1, MBEC for vtl2 only", 1, SECURE(0), 0,
	  HV_VSM_VP_SECURE_CONFIG_MBEC, BAD_VALUE, 0x4 },
	{ "secure vtl0 at vtl1, MBEC", 1, SECURE(0), 0,
	  HV_VSM_VP_SECURE_CONFIG_MBEC | TLB_LOCKED, OK, 0x2 },
	{ "secure vtl0 at vtl1, MBEC, bit 2", 1, SECURE(0), 0,
	  HV_VSM_VP_SECURE_CONFIG_MBEC | BIT(2), BAD_VALUE, 0x2 },
	{ "config default RU, MBEC", 1, CONFIG, 0, PROT | DEFAULT(R | U), OK,
	  0x2 },
	{ "config default RWU, MBEC", 1, CONFIG, 0, DEFAULT(R | W | U), OK,
	  0x2 },
	{ "config default RK, MBEC", 1, CONFIG, 0, DEFAULT(R | K), BAD_VALUE,
	  0x2 },
	{ "secure vtl0 at vtl1, bit 2", 1, SECURE(0), 0, TLB_LOCKED | BIT(2),
	  BAD_VALUE },
	{ "secure vtl0 at vtl1, bit 63", 1, SECURE(0), 0, BIT_ULL(63),
	  BAD_VALUE },
	{ "secure vtl0 at vtl0", 0, SECURE(0), 0, 0, BAD_PARAM },
	{ "secure vtl1 at vtl1", 1, SECURE(1), 0, 0, BAD_PARAM },
	{ "secure vtl1 at vtl1, bad value", 1, SECURE(1), 0, BIT(5), BAD_PARAM },
	{ "secure vtl1 at vtl2", 2, SECURE(1), 0, TLB_LOCKED, OK },
	{ "secure vtl0 at vtl2", 2, SECURE(0), 0, TLB_LOCKED, OK },
	{ "secure vtl2 at vtl2", 2, SECURE(2), 0, 0, BAD_PARAM },
	{ "secure vtl14 at vtl2", 2, SECURE(14), 0, 0, BAD_PARAM },
	{ "secure vtl14 at vtl15", 15, SECURE(14), 0, 0, OK },
	{ "register before secure vtl0", 2, SECURE(0) - 1, 0, 0, BAD_PARAM },
	{ "register after secure vtl14", 15, SECURE(15), 0, 0, BAD_PARAM },
	{ "assist page 0", 0, ASSIST, 0, 0, OK },
	{ "assist page enabled", 0, ASSIST, 0, 0x1000 | 1, OK },
	{ "assist page disabled, address", 1, ASSIST, 0, 0x5000, OK },
	{ "assist page top address", 1, ASSIST, 0, ~0ULL << 12 | 1, OK },
	{ "assist page bit 1", 1, ASSIST, 0, 0x1000 | 2, BAD_VALUE },
	{ "assist page bit 11", 0, ASSIST, 0, BIT(11) | 1, BAD_VALUE },
	{ "code page offsets", 1, HV_REGISTER_VSM_CODE_PAGE_OFFSETS, 0, 0,
	  BAD_PARAM },
	{ "vp status", 1, HV_X64_REGISTER_VSM_VP_STATUS, 0, 0, BAD_PARAM },
	{ "partition status", 1, HV_REGISTER_VSM_PARTITION_STATUS, 0, 0,
	  BAD_PARAM },
	{ "vina 0", 1, VINA, 0, 0, OK },
	{ "vina at vtl0", 0, VINA, 0, VINA_ON | 0x20, OK },
	{ "vina all bits", 1, VINA, 0, HV_VSM_VINA_VALID, OK },
	{ "vina vector 16", 1, VINA, 0, VINA_ON | 16, OK },
	{ "vina vector 15", 1, VINA, 0, VINA_ON | 15, BAD_VALUE },
	{ "vina vector 15, disabled", 1, VINA, 0, 15, OK },
	{ "vina bit 11", 1, VINA, 0, VINA_ON | 0x20 | BIT(11), BAD_VALUE },
	{ "vina bit 63", 2, VINA, 0, BIT_ULL(63), BAD_VALUE },
	{ "capabilities", 2, HV_REGISTER_VSM_CAPABILITIES, 0, 0, BAD_PARAM },
	{ "register 0", 1, 0, 0, 0, BAD_PARAM },
	{ "register ~0", 1, ~0U, 0, 0, BAD_PARAM },
};

static void test_reg_write(void)
{
	struct hv_vsm_caller c = VTL2_C;
	const struct reg_write_case *t;
	struct result r = {};

	/* The rows are about the register; the caller is above them all. */
	c.vtl = 15;
	for (t = reg_write_cases;
	     t < reg_write_cases + ARRAY_SIZE(reg_write_cases); t++) {
		struct result r = {};

		c.mbec_vtls = t->mbec_vtls;
		expect(&r, "status",
		       hv_vsm_check_reg_write(&c, t->vtl, t->reg, t->old,
					      t->val), t->want);
		report("check_reg_write", t->name, &r);
	}

	/* A register of a VTL above the caller's. */
	c.mbec_vtls = 0;
	c.vtl = 1;
	expect(&r, "status",
	       hv_vsm_check_reg_write(&c, 2, HV_REGISTER_VSM_PARTITION_CONFIG,
				      0, 0), HV_STATUS_ACCESS_DENIED);
	report("check_reg_write", "config of a VTL above the caller", &r);
}

int main(void)
{
	test_fields();
	test_control();
	test_input_size();
	test_prot_valid();
	test_modify();
	test_modify_page();
	test_enable_partition();
	test_enable_vp();
	test_start_vp();
	test_vp_from_apic();
	test_ipi_vtl();
	test_translate();
	test_vp_regs();
	test_vtl_switch();
	test_reg_write();

	if (nfailed) {
		printf("vsm_decode_test: %u of %u cases failed\n", nfailed,
		       ncases);
		return 1;
	}
	printf("vsm_decode_test: %u cases ok\n", ncases);
	return 0;
}
