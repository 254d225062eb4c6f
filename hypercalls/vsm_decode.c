// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding and validation of the Hyper-V VSM hypercalls (TLFS: Virtual
 * Secure Mode). Pure functions, built unchanged by tests/unit; KVM reads
 * the input, calls a decoder and applies what it returns. See
 * Documentation/vsm.rst for which status answers which mistake.
 */
#include "hyperv_vsm_decode.h"

#define HV_VSM_HEADER	16

/* Size of one rep element of @code, 0 for a simple call. */
static u32 hv_vsm_rep_size(u16 code)
{
	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
		return sizeof(u64);
	case HVCALL_GET_VP_REGISTERS:
		return sizeof(u32);
	case HVCALL_SET_VP_REGISTERS:
		return sizeof(struct hv_vsm_reg_assoc);
	}
	return 0;
}

/**
 * hv_vsm_is_vsm_call - is @code one of the hypercalls VSM handles?
 * @code: the call code, bits 0-15 of the control word
 *
 * Return: true for the calls the decoders here know.
 */
bool hv_vsm_is_vsm_call(u16 code)
{
	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK:
	case HVCALL_ENABLE_PARTITION_VTL:
	case HVCALL_ENABLE_VP_VTL:
	case HVCALL_VTL_CALL:
	case HVCALL_VTL_RETURN:
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		return true;
	}
	return false;
}

/**
 * hv_vsm_input_size - bytes of input a VSM call carries
 * @control: the control word
 *
 * Return: the header plus every rep element, 0 for HvVtlCall and
 * HvVtlReturn, whose input is in registers.
 */
u32 hv_vsm_input_size(u64 control)
{
	u16 code = hv_vsm_code(control);

	switch (code) {
	case HVCALL_VTL_CALL:
	case HVCALL_VTL_RETURN:
		return 0;
	case HVCALL_ENABLE_PARTITION_VTL:
		return sizeof(struct hv_vsm_enable_partition_in);
	case HVCALL_ENABLE_VP_VTL:
		return sizeof(struct hv_enable_vp_vtl);
	}
	return HV_VSM_HEADER + hv_vsm_rep_count(control) * hv_vsm_rep_size(code);
}

/**
 * hv_vsm_check_control - check a VSM call's control word
 * @control: the control word
 *
 * Reserved bits, a variable header, rep fields on a simple call, no reps
 * or a rep start past the rep count on a rep call, and input larger than
 * a page all answer HV_STATUS_INVALID_HYPERCALL_INPUT.
 *
 * Return: HV_STATUS_SUCCESS or HV_STATUS_INVALID_HYPERCALL_INPUT.
 */
u16 hv_vsm_check_control(u64 control)
{
	u16 code = hv_vsm_code(control), cnt = hv_vsm_rep_count(control);
	u16 start = hv_vsm_rep_start(control);

	if (control & (HV_HYPERCALL_RSVD_MASK | HV_HYPERCALL_VARHEAD_MASK))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (hv_vsm_rep_size(code)) {
		if (!cnt || start >= cnt)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
	} else if (cnt || start) {
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	if (hv_vsm_input_size(control) > HV_VSM_INPUT_MAX)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

/**
 * hv_vsm_prot_valid - is @flags a protection the TLFS allows?
 * @flags: HV_MAP_GPA_* flags
 * @mbec: whether mode-based execute control is enabled
 *
 * Write or execute need read. Without MBEC kernel-execute governs both
 * modes, so user-execute must equal it: none, R, RW, RX and RWX.
 *
 * Return: true if valid.
 */
bool hv_vsm_prot_valid(u32 flags, bool mbec)
{
	if (flags & ~HV_VSM_MAP_MASK)
		return false;
	if ((flags & ~HV_VSM_MAP_READ) && !(flags & HV_VSM_MAP_READ))
		return false;
	if (!mbec && !!(flags & HV_VSM_MAP_KEXEC) != !!(flags & HV_VSM_MAP_UEXEC))
		return false;
	return true;
}

/*
 * Resolve an HV_INPUT_VTL against the caller: the caller's own VTL unless
 * UseTargetVtl is set. Reserved bits are an invalid parameter.
 */
static u16 hv_vsm_target_vtl(const struct hv_vsm_caller *c, u8 input_vtl,
			     u8 *vtl)
{
	if (input_vtl & HV_VSM_INPUT_VTL_RSVD)
		return HV_STATUS_INVALID_PARAMETER;
	if (input_vtl & HV_VSM_INPUT_VTL_USE_TARGET)
		*vtl = input_vtl & HV_VSM_INPUT_VTL_TARGET;
	else
		*vtl = c->vtl;
	return HV_STATUS_SUCCESS;
}

static bool hv_vsm_zero(const u8 *p, unsigned int n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/**
 * hv_vsm_decode_modify - decode HvModifyVtlProtectionMask
 * @c: the caller
 * @in: the control word and input: header, then the GPA page numbers
 * @m: the request, on success
 *
 * TargetVtl names the layer that changes: the protections of VTL n limit
 * what every VTL below n may do. Without UseTargetVtl it is the caller's
 * own VTL. A VTL changes its own layer once it has set EnableVtlProtection
 * in its VsmPartitionConfig, and those of the VTLs between it and VTL0
 * at any time, as a VTL2 manages VTL1's protections. The flags must be a
 * valid set. The page numbers are checked in order from the rep start:
 * @m covers those before the first one outside the guest physical address
 * space, and its status tells whether there was one. KVM then checks that
 * each page is RAM, in the same order.
 *
 * Return: HV_STATUS_SUCCESS; HV_STATUS_INVALID_HYPERCALL_INPUT for input
 * shorter than the rep count or a rep start past it (hv_vsm_check_control()
 * answers those first); HV_STATUS_INVALID_PARTITION_ID;
 * HV_STATUS_INVALID_PARAMETER for reserved bits or target VTL0;
 * HV_STATUS_ACCESS_DENIED for a target above the caller, or the caller's
 * own VTL before EnableVtlProtection; HV_STATUS_INVALID_REGISTER_VALUE for
 * the flags.
 */
u16 hv_vsm_decode_modify(const struct hv_vsm_caller *c,
			 const struct hv_vsm_input *in,
			 struct hv_vsm_modify *m)
{
	const struct hv_vsm_modify_prot_in *h = in->data;
	u16 start = hv_vsm_rep_start(in->control);
	u16 cnt = hv_vsm_rep_count(in->control);
	const u64 *gpns;
	u8 target;
	u16 st, i;

	if (in->len < hv_vsm_input_size(in->control) || start >= cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	st = hv_vsm_target_vtl(c, h->target_vtl, &target);
	if (st)
		return st;
	if (!hv_vsm_zero(h->rsvd, sizeof(h->rsvd)))
		return HV_STATUS_INVALID_PARAMETER;
	if (target > c->vtl)
		return HV_STATUS_ACCESS_DENIED;
	/* VTL0 has no layer: nothing is below it. */
	if (!target)
		return HV_STATUS_INVALID_PARAMETER;
	if (target == c->vtl && !(c->protection_vtls & BIT(target)))
		return HV_STATUS_ACCESS_DENIED;
	if (!hv_vsm_prot_valid(h->map_flags, false))
		return HV_STATUS_INVALID_REGISTER_VALUE;

	gpns = (const u64 *)((const u8 *)in->data + HV_VSM_HEADER);
	for (i = start; i < cnt && gpns[i] <= HV_VSM_GPN_MAX; i++)
		;

	m->layer = target;
	m->prot = h->map_flags;
	m->count = i - start;
	m->status = i < cnt ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	m->gpns = gpns + start;
	return HV_STATUS_SUCCESS;
}

/**
 * hv_vsm_decode_enable_partition - decode HvEnablePartitionVtl
 * @c: the caller
 * @in: the control word and input
 * @e: the request, on success
 *
 * VTLs are enabled in order, each by the highest enabled VTL: the target
 * must be the next one above the caller, and at most the VMM's highest.
 * MBEC is not offered (VsmCapabilities reports no VTL with it).
 *
 * Return: HV_STATUS_SUCCESS; HV_STATUS_INVALID_HYPERCALL_INPUT for short
 * input; HV_STATUS_INVALID_PARTITION_ID; HV_STATUS_INVALID_PARAMETER for
 * reserved bits, MBEC or a VTL beyond the VMM's highest;
 * HV_STATUS_VTL_ALREADY_ENABLED; HV_STATUS_INVALID_VTL_STATE when the VTL
 * below the target is not enabled; HV_STATUS_ACCESS_DENIED for a caller
 * other than that VTL.
 */
u16 hv_vsm_decode_enable_partition(const struct hv_vsm_caller *c,
				   const struct hv_vsm_input *in,
				   struct hv_vsm_enable_partition *e)
{
	const struct hv_vsm_enable_partition_in *h = in->data;

	if (in->len < sizeof(*h))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (h->flags || !hv_vsm_zero(h->rsvd, sizeof(h->rsvd)))
		return HV_STATUS_INVALID_PARAMETER;
	if (!h->target_vtl || h->target_vtl > c->max_vtl)
		return HV_STATUS_INVALID_PARAMETER;
	if (c->partition_vtls & BIT(h->target_vtl))
		return HV_STATUS_VTL_ALREADY_ENABLED;
	if (!(c->partition_vtls & BIT(h->target_vtl - 1)))
		return HV_STATUS_INVALID_VTL_STATE;
	if (c->vtl != h->target_vtl - 1)
		return HV_STATUS_ACCESS_DENIED;

	e->vtl = h->target_vtl;
	return HV_STATUS_SUCCESS;
}

/**
 * hv_vsm_decode_enable_vp - decode HvEnableVpVtl
 * @c: the caller
 * @in: the control word and input, with the initial VP context
 * @e: the request, on success
 *
 * The target VTL must be enabled in the partition. A caller at or above
 * the target enables it on any VP; the VTL just below it only on its own
 * VP, and only for the first VP: VTL0 enables VTL1 on the boot VP, VTL1
 * then on the others. The VP index is checked first, as OpenHCL does. KVM
 * checks that the VTL is not yet enabled on the VP, and the context's
 * register values.
 *
 * Return: HV_STATUS_SUCCESS; HV_STATUS_INVALID_HYPERCALL_INPUT for short
 * input; HV_STATUS_INVALID_PARTITION_ID; HV_STATUS_INVALID_VP_INDEX for a
 * VP that does not exist; HV_STATUS_INVALID_PARAMETER for
 * reserved bits or VTL0; HV_STATUS_INVALID_VTL_STATE for a VTL the
 * partition has not enabled; HV_STATUS_ACCESS_DENIED for a caller below
 * the target other than the first enablement by the VTL just below.
 */
u16 hv_vsm_decode_enable_vp(const struct hv_vsm_caller *c,
			    const struct hv_vsm_input *in,
			    struct hv_vsm_enable_vp *e)
{
	const struct hv_enable_vp_vtl *h = in->data;
	u8 vtl;

	if (in->len < sizeof(*h))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	vtl = h->target_vtl.as_uint8;
	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	e->vp_index = h->vp_index == HV_VP_INDEX_SELF ? c->vp_index :
						       h->vp_index;
	if (!c->vp_exists(c->ctx, e->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	if (vtl & ~HV_VSM_INPUT_VTL_TARGET || h->mbz0 || h->mbz1 || !vtl)
		return HV_STATUS_INVALID_PARAMETER;
	if (!(c->partition_vtls & BIT(vtl)))
		return HV_STATUS_INVALID_VTL_STATE;

	if (c->vtl < vtl && (c->vtl + 1 < vtl || e->vp_index != c->vp_index ||
			     (c->any_vp_vtls & BIT(vtl))))
		return HV_STATUS_ACCESS_DENIED;
	e->vtl = vtl;
	e->ctx = &h->vp_context;
	return HV_STATUS_SUCCESS;
}

/**
 * hv_vsm_decode_vp_regs - decode HvGetVpRegisters or HvSetVpRegisters
 * @c: the caller
 * @in: the control word and input
 * @r: the request, on success
 *
 * A VTL reads and writes its own registers and those of the VTLs below.
 *
 * Return: HV_STATUS_SUCCESS; HV_STATUS_INVALID_HYPERCALL_INPUT for short
 * input or a rep start past the rep count; HV_STATUS_INVALID_PARTITION_ID;
 * HV_STATUS_INVALID_VP_INDEX for a VP that does not exist;
 * HV_STATUS_INVALID_PARAMETER for reserved bits; HV_STATUS_ACCESS_DENIED for
 * a VTL above the caller's.
 */
u16 hv_vsm_decode_vp_regs(const struct hv_vsm_caller *c,
			  const struct hv_vsm_input *in,
			  struct hv_vsm_vp_regs *r)
{
	const struct hv_vsm_vp_regs_in *h = in->data;
	u16 start = hv_vsm_rep_start(in->control);
	const u8 *list = (const u8 *)in->data + HV_VSM_HEADER;
	u16 st;

	if (in->len < hv_vsm_input_size(in->control) ||
	    start >= hv_vsm_rep_count(in->control))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	r->vp_index = h->vp_index == HV_VP_INDEX_SELF ? c->vp_index :
						       h->vp_index;
	if (!c->vp_exists(c->ctx, r->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	st = hv_vsm_target_vtl(c, h->target_vtl, &r->vtl);
	if (st)
		return st;
	if (!hv_vsm_zero(h->rsvd, sizeof(h->rsvd)))
		return HV_STATUS_INVALID_PARAMETER;
	if (r->vtl > c->vtl)
		return HV_STATUS_ACCESS_DENIED;

	r->count = hv_vsm_rep_count(in->control) - start;
	if (hv_vsm_code(in->control) == HVCALL_GET_VP_REGISTERS)
		r->names = (const u32 *)list + start;
	else
		r->assoc = (const struct hv_vsm_reg_assoc *)list + start;
	return HV_STATUS_SUCCESS;
}

/**
 * hv_vsm_check_vtl_call - is this VTL call valid?
 * @c: the caller
 * @control: the control word (RCX): exactly HVCALL_VTL_CALL
 * @input: the call's input (RAX), all bits reserved
 *
 * A VTL call enters the next higher VTL, which must be enabled on the VP.
 * The TLFS answers an invalid VTL call with #UD, not a status.
 *
 * Return: true if valid.
 */
bool hv_vsm_check_vtl_call(const struct hv_vsm_caller *c, u64 control,
			   u64 input)
{
	return control == HVCALL_VTL_CALL && !input && c->vtl < c->max_vtl &&
	       (c->vp_vtls & BIT(c->vtl + 1));
}

/**
 * hv_vsm_check_vtl_return - is this VTL return valid?
 * @c: the caller
 * @control: the control word (RCX): exactly HVCALL_VTL_RETURN
 * @input: the call's input (RAX): HV_VSM_VTL_RETURN_FAST or 0
 *
 * VTL0 has nothing to return to, and the VTL below must be enabled on the
 * VP. Invalid returns are #UD, as VTL calls.
 *
 * Return: true if valid.
 */
bool hv_vsm_check_vtl_return(const struct hv_vsm_caller *c, u64 control,
			     u64 input)
{
	return control == HVCALL_VTL_RETURN &&
	       !(input & ~HV_VSM_VTL_RETURN_FAST) && c->vtl &&
	       (c->vp_vtls & BIT(c->vtl - 1));
}

/**
 * hv_vsm_vina_valid - can HvRegisterVsmVina take @val?
 * @val: the value
 *
 * Return: true if @val sets only Vector, Enabled, AutoReset and AutoEoi,
 * and an enabled notification has a vector the APIC delivers (16-255).
 */
bool hv_vsm_vina_valid(u64 val)
{
	return !(val & ~HV_VSM_VINA_VALID) &&
	       (!(val & HV_VSM_VINA_ENABLED) ||
		(val & HV_VSM_VINA_VECTOR) >= HV_SYNIC_FIRST_VALID_VECTOR);
}

/**
 * hv_vsm_check_reg_write - check a write to a VSM register
 * @c: the caller
 * @vtl: the VTL whose register is written (at most the caller's)
 * @name: the register
 * @old: its current value
 * @val: the value to write
 *
 * VsmPartitionConfig exists for VTLs above 0; once EnableVtlProtection is
 * set, neither it nor DefaultVtlProtectionMask changes again (TLFS; OpenHCL
 * answers the same status), and the mask must be a valid protection.
 * VsmVpSecureConfigVtlN exists for N below @vtl. VsmVina takes its
 * defined bits, and a vector of at least 16 when enabled. The status registers and
 * VsmCapabilities are read-only.
 *
 * Return: HV_STATUS_SUCCESS; HV_STATUS_ACCESS_DENIED for a VTL above the
 * caller's; HV_STATUS_INVALID_PARAMETER for a register that is not
 * writable at @vtl; HV_STATUS_INVALID_REGISTER_VALUE for a value it cannot
 * take.
 */
u16 hv_vsm_check_reg_write(const struct hv_vsm_caller *c, u8 vtl, u32 name,
			   u64 old, u64 val)
{
	if (vtl > c->vtl)
		return HV_STATUS_ACCESS_DENIED;

	switch (name) {
	case HV_REGISTER_VSM_PARTITION_CONFIG:
		if (!vtl)
			return HV_STATUS_INVALID_PARAMETER;
		if (val & ~GENMASK_ULL(12, 0))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		/* Once protection is on, it and the default are fixed. */
		if ((old & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) &&
		    ((old ^ val) & (HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
				    HV_VSM_CONFIG_DEFAULT_MASK)))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		if (!hv_vsm_prot_valid((val & HV_VSM_CONFIG_DEFAULT_MASK) >> 1,
				       false))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 ... HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14:
		if (name - HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0 >= vtl)
			return HV_STATUS_INVALID_PARAMETER;
		if (val & ~HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED)
			return HV_STATUS_INVALID_REGISTER_VALUE;
		return HV_STATUS_SUCCESS;
	case HV_REGISTER_VSM_VINA:
		return hv_vsm_vina_valid(val) ? HV_STATUS_SUCCESS :
			HV_STATUS_INVALID_REGISTER_VALUE;
	case HV_REGISTER_VP_ASSIST_PAGE:
		if (val & ~HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK &
		    ~(u64)HV_X64_MSR_VP_ASSIST_PAGE_ENABLE)
			return HV_STATUS_INVALID_REGISTER_VALUE;
		return HV_STATUS_SUCCESS;
	}
	return HV_STATUS_INVALID_PARAMETER;
}
