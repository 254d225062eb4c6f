/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding and validation of the Hyper-V VSM hypercalls, apart from KVM:
 * pure functions of the control word, the input bytes and a description
 * of the caller, so that tests/unit builds them unchanged in userspace.
 * A decoder either returns HV_STATUS_SUCCESS with a request KVM can apply
 * as is, or the TLFS status to answer; it never changes anything.
 */
#ifndef __HYPERV_VSM_DECODE_H
#define __HYPERV_VSM_DECODE_H

#include "hyperv_vsm_tlfs.h"

/* The largest gfn a VTL layer can hold: 52-bit guest physical addresses. */
#define HV_VSM_GPN_MAX		((1ULL << 40) - 1)

/* Bytes a slow call's input may use: one page. */
#define HV_VSM_INPUT_MAX	4096

/* What validation needs to know of the caller and its partition. */
struct hv_vsm_caller {
	u8 vtl;			/* the caller's active VTL */
	u8 max_vtl;		/* the highest VTL the VMM allows */
	u16 partition_vtls;	/* VTLs enabled in the partition, bit 0 set */
	u16 vp_vtls;		/* VTLs enabled on the calling VP, bit 0 set */
	u16 any_vp_vtls;	/* VTLs enabled on at least one VP */
	u16 protection_vtls;	/* VTLs with EnableVtlProtection set */
	u32 vp_index;		/* the calling VP's index */
	/* Is there a VP of index @vp_index?  @ctx is passed back. */
	bool (*vp_exists)(void *ctx, u32 vp_index);
	void *ctx;
};

/* A hypercall as read: control word and input bytes (header, rep list). */
struct hv_vsm_input {
	u64 control;
	const void *data;
	u32 len;
};

/*
 * HvModifyVtlProtectionMask, decoded: set @gpns[0..@count) to @prot in
 * layer @layer, then answer @status, HV_STATUS_SUCCESS unless an element
 * after those @count is invalid.
 */
struct hv_vsm_modify {
	u8 layer;
	u8 prot;
	u16 count;
	u16 status;
	const u64 *gpns;
};

/* HvEnablePartitionVtl, decoded. */
struct hv_vsm_enable_partition {
	u8 vtl;
};

/* HvEnableVpVtl, decoded. */
struct hv_vsm_enable_vp {
	u32 vp_index;
	u8 vtl;
	const struct hv_init_vp_context *ctx;
};

/*
 * HvGetVpRegisters / HvSetVpRegisters, decoded: @count elements from rep
 * start on, register names (get) or HV_REGISTER_ASSOCs (set).
 */
struct hv_vsm_vp_regs {
	u32 vp_index;
	u8 vtl;
	u16 count;
	union {
		const u32 *names;
		const struct hv_vsm_reg_assoc *assoc;
	};
};

static inline u16 hv_vsm_code(u64 control)
{
	return control & 0xffff;
}

static inline u16 hv_vsm_rep_count(u64 control)
{
	return (control & HV_HYPERCALL_REP_COMP_MASK) >>
		HV_HYPERCALL_REP_COMP_OFFSET;
}

static inline u16 hv_vsm_rep_start(u64 control)
{
	return (control & HV_HYPERCALL_REP_START_MASK) >>
		HV_HYPERCALL_REP_START_OFFSET;
}

bool hv_vsm_is_vsm_call(u16 code);
u16 hv_vsm_check_control(u64 control);
u32 hv_vsm_input_size(u64 control);
bool hv_vsm_prot_valid(u32 flags, bool mbec);
u16 hv_vsm_decode_modify(const struct hv_vsm_caller *c,
			 const struct hv_vsm_input *in,
			 struct hv_vsm_modify *m);
u16 hv_vsm_decode_enable_partition(const struct hv_vsm_caller *c,
				   const struct hv_vsm_input *in,
				   struct hv_vsm_enable_partition *e);
u16 hv_vsm_decode_enable_vp(const struct hv_vsm_caller *c,
			    const struct hv_vsm_input *in,
			    struct hv_vsm_enable_vp *e);
u16 hv_vsm_decode_vp_regs(const struct hv_vsm_caller *c,
			  const struct hv_vsm_input *in,
			  struct hv_vsm_vp_regs *r);
bool hv_vsm_check_vtl_call(const struct hv_vsm_caller *c, u64 control,
			   u64 input);
bool hv_vsm_check_vtl_return(const struct hv_vsm_caller *c, u64 control,
			     u64 input);
bool hv_vsm_vina_valid(u64 val);
u16 hv_vsm_check_reg_write(const struct hv_vsm_caller *c, u8 vtl, u32 name,
			   u64 old, u64 val);

#endif /* __HYPERV_VSM_DECODE_H */
