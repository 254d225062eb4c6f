/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V TLFS definitions for Virtual Secure Mode (VSM) that 6.12's
 * <asm/hyperv-tlfs.h> lacks: hypercall codes, status codes, register
 * names and layouts, the VSM code page and the VP assist page fields.
 * Everything here is ABI; the numbers are the TLFS's.
 */
#ifndef __HYPERV_VSM_TLFS_H
#define __HYPERV_VSM_TLFS_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <asm/hyperv-tlfs.h>

/* Hypercall codes. */
#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL		0x000d
#define HVCALL_VTL_CALL				0x0011
#define HVCALL_VTL_RETURN			0x0012

/* Status codes. */
#define HV_STATUS_INVALID_PARTITION_ID		0x000d
#define HV_STATUS_INVALID_VP_INDEX		0x000e
#define HV_STATUS_INVALID_REGISTER_VALUE	0x0050
#define HV_STATUS_INVALID_VTL_STATE		0x0051

/* CPUID 0x40000003 EBX: partition privileges. */
#define HV_ACCESS_VSM				BIT(16)
#define HV_ACCESS_VP_REGISTERS			BIT(17)

/* HvModifyVtlProtectionMask MapFlags (HV_MAP_GPA_*). */
#define HV_VSM_MAP_READ				BIT(0)
#define HV_VSM_MAP_WRITE			BIT(1)
#define HV_VSM_MAP_KEXEC			BIT(2)
#define HV_VSM_MAP_UEXEC			BIT(3)
#define HV_VSM_MAP_MASK				GENMASK(3, 0)

/* HV_INPUT_VTL: TargetVtl:4, UseTargetVtl:1, reserved:3. */
#define HV_VSM_INPUT_VTL_TARGET			GENMASK(3, 0)
#define HV_VSM_INPUT_VTL_USE_TARGET		BIT(4)
#define HV_VSM_INPUT_VTL_RSVD			GENMASK(7, 5)

/* HvEnablePartitionVtl flags. */
#define HV_VSM_ENABLE_PARTITION_MBEC		BIT(0)

/* HvVtlReturn input (RAX): do not restore RAX and RCX. */
#define HV_VSM_VTL_RETURN_FAST			BIT_ULL(0)

/* Register names (HV_REGISTER_NAME). */
#define HV_REGISTER_VP_ASSIST_PAGE		0x00090013
#define HV_REGISTER_VSM_CODE_PAGE_OFFSETS	0x000d0002
#define HV_REGISTER_VSM_VP_STATUS		0x000d0003
#define HV_REGISTER_VSM_PARTITION_STATUS	0x000d0004
#define HV_REGISTER_VSM_VINA			0x000d0005
#define HV_REGISTER_VSM_CAPABILITIES		0x000d0006
#define HV_REGISTER_VSM_PARTITION_CONFIG	0x000d0007
#define HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL0	0x000d0010
#define HV_REGISTER_VSM_VP_SECURE_CONFIG_VTL14	0x000d001e

/* HvRegisterVsmCodePageOffsets. */
#define HV_VSM_CODE_PAGE_CALL_OFFSET		GENMASK_ULL(11, 0)
#define HV_VSM_CODE_PAGE_RETURN_OFFSET		GENMASK_ULL(23, 12)

/* HvRegisterVsmVpStatus. */
#define HV_VSM_VP_STATUS_ACTIVE_VTL		GENMASK_ULL(3, 0)
#define HV_VSM_VP_STATUS_ACTIVE_MBEC		BIT_ULL(4)
#define HV_VSM_VP_STATUS_ENABLED_VTLS		GENMASK_ULL(31, 16)

/* HvRegisterVsmPartitionStatus. */
#define HV_VSM_PARTITION_STATUS_ENABLED_VTLS	GENMASK_ULL(15, 0)
#define HV_VSM_PARTITION_STATUS_MAX_VTL		GENMASK_ULL(19, 16)
#define HV_VSM_PARTITION_STATUS_MBEC_VTLS	GENMASK_ULL(35, 20)

/* HvRegisterVsmCapabilities. */
#define HV_VSM_CAP_DR6_SHARED			BIT_ULL(0)
#define HV_VSM_CAP_MBEC_VTL_MASK		GENMASK_ULL(16, 1)
#define HV_VSM_CAP_DENY_LOWER_VTL_STARTUP	BIT_ULL(17)

/* HvRegisterVsmPartitionConfig, one per VTL above 0. */
#define HV_VSM_CONFIG_ENABLE_VTL_PROTECTION	BIT_ULL(0)
#define HV_VSM_CONFIG_DEFAULT_MASK		GENMASK_ULL(4, 1)
#define HV_VSM_CONFIG_ZERO_MEMORY_ON_RESET	BIT_ULL(5)
#define HV_VSM_CONFIG_DENY_LOWER_VTL_STARTUP	BIT_ULL(6)
#define HV_VSM_CONFIG_INTERCEPT_ACCEPTANCE	BIT_ULL(7)
#define HV_VSM_CONFIG_INTERCEPT_ENABLE_VTL	BIT_ULL(8)
#define HV_VSM_CONFIG_INTERCEPT_VP_STARTUP	BIT_ULL(9)
#define HV_VSM_CONFIG_INTERCEPT_CPUID_UNIMPL	BIT_ULL(10)
#define HV_VSM_CONFIG_INTERCEPT_UNRECOV_EXC	BIT_ULL(11)
#define HV_VSM_CONFIG_INTERCEPT_PAGE		BIT_ULL(12)

/* HvRegisterVsmVina, one per VTL of each VP. */
#define HV_VSM_VINA_VECTOR			GENMASK_ULL(7, 0)
#define HV_VSM_VINA_ENABLED			BIT_ULL(8)
#define HV_VSM_VINA_AUTO_RESET			BIT_ULL(9)
#define HV_VSM_VINA_AUTO_EOI			BIT_ULL(10)
#define HV_VSM_VINA_VALID			GENMASK_ULL(10, 0)

/* HvRegisterVsmVpSecureVtlConfig: MbecEnabled, TlbLocked. */
#define HV_VSM_VP_SECURE_CONFIG_MBEC		BIT_ULL(0)
#define HV_VSM_VP_SECURE_CONFIG_TLB_LOCKED	BIT_ULL(1)

/* hv_vp_assist_page.vtl_entry_reason */
#define HV_VTL_ENTRY_RESERVED			0
#define HV_VTL_ENTRY_VTL_CALL			1
#define HV_VTL_ENTRY_INTERRUPT			2
#define HV_VTL_ENTRY_INTERCEPT			3

/*
 * VinaStatus, the byte after vtl_entry_reason in the VP assist page
 * (HV_VP_VTL_CONTROL), and its VinaAsserted bit.
 */
#define HV_VP_ASSIST_VINA_STATUS		0x0c
#define HV_VINA_STATUS_ASSERTED			BIT(0)

/* HvModifyVtlProtectionMask input header; the rep list of GPA page numbers follows. */
struct hv_vsm_modify_prot_in {
	u64 partition_id;
	u32 map_flags;
	u8 target_vtl;		/* HV_INPUT_VTL */
	u8 rsvd[3];
} __packed;

/* HvEnablePartitionVtl input. */
struct hv_vsm_enable_partition_in {
	u64 partition_id;
	u8 target_vtl;
	u8 flags;
	u8 rsvd[6];
} __packed;

/* HvGetVpRegisters / HvSetVpRegisters input header. */
struct hv_vsm_vp_regs_in {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;		/* HV_INPUT_VTL */
	u8 rsvd[3];
} __packed;

/* HvSetVpRegisters rep element (HV_REGISTER_ASSOC), 32 bytes. */
struct hv_vsm_reg_assoc {
	u32 name;
	u32 pad;
	u64 pad2;
	u64 value_lo;
	u64 value_hi;
} __packed;

/* HvGetVpRegisters rep output (HV_REGISTER_VALUE), 16 bytes. */
struct hv_vsm_reg_value {
	u64 lo;
	u64 hi;
} __packed;

/* Intercept header: access types and HV_X64_VP_EXECUTION_STATE bits. */
#define HV_INTERCEPT_ACCESS_READ		0
#define HV_INTERCEPT_ACCESS_WRITE		1
#define HV_INTERCEPT_ACCESS_EXECUTE		2

#define HV_X64_EXEC_STATE_CPL			GENMASK(1, 0)
#define HV_X64_EXEC_STATE_CR0_PE		BIT(2)
#define HV_X64_EXEC_STATE_CR0_AM		BIT(3)
#define HV_X64_EXEC_STATE_EFER_LMA		BIT(4)
#define HV_X64_EXEC_STATE_DEBUG_ACTIVE		BIT(5)
#define HV_X64_EXEC_STATE_INTR_PENDING		BIT(6)
#define HV_X64_EXEC_STATE_VTL			GENMASK(10, 7)
#define HV_X64_EXEC_STATE_INTR_SHADOW		BIT(12)

/* HV_CACHE_TYPE of guest RAM. */
#define HV_CACHE_TYPE_X64_WRITEBACK		6

/* HvX64MemoryInterceptMessage access_info: the GVA is valid. */
#define HV_MEMORY_ACCESS_GVA_VALID		BIT(0)

/* HV_X64_INTERCEPT_MESSAGE_HEADER, 0x28 bytes. */
struct hv_vsm_intercept_header {
	u32 vp_index;
	u8 instruction_length_cr8;	/* length:4, cr8:4 */
	u8 intercept_access_type;
	u16 execution_state;
	struct hv_x64_segment_register cs;
	u64 rip;
	u64 rflags;
} __packed;

/* HV_X64_MEMORY_INTERCEPT_MESSAGE, the payload of HVMSG_GPA_INTERCEPT. */
struct hv_vsm_memory_intercept {
	struct hv_vsm_intercept_header header;
	u32 cache_type;
	u8 instruction_byte_count;
	u8 access_info;
	u16 tpr_priority;
	u64 guest_virtual_address;
	u64 guest_physical_address;
	u8 instruction_bytes[16];
} __packed;

/* Where the VP assist page keeps the intercept message (256 bytes). */
#define HV_VP_ASSIST_INTERCEPT_MESSAGE		0x70

/* The SynIC message slot of intercepts. */
#define HV_SYNIC_INTERCEPTION_SINT		0

/*
 * The layouts above, as the TLFS gives them (TLFS-FACTS-2.md, section 5);
 * the message keeps the assertion valid for C11's static_assert as well.
 */
#define HV_VSM_LAYOUT(expr)	static_assert(expr, #expr)
HV_VSM_LAYOUT(sizeof(struct hv_vsm_modify_prot_in) == 16);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_modify_prot_in, map_flags) == 8);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_modify_prot_in, target_vtl) == 12);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_enable_partition_in) == 16);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_enable_partition_in, target_vtl) == 8);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_enable_partition_in, flags) == 9);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_vp_regs_in) == 16);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_vp_regs_in, vp_index) == 8);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_vp_regs_in, target_vtl) == 12);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_reg_assoc) == 32);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_reg_assoc, value_lo) == 16);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_reg_value) == 16);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_intercept_header) == 0x28);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_intercept_header, cs) == 8);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_intercept_header, rip) == 0x18);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_memory_intercept, cache_type) == 0x28);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_memory_intercept, guest_virtual_address) ==
	      0x30);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_memory_intercept,
		       guest_physical_address) == 0x38);
HV_VSM_LAYOUT(offsetof(struct hv_vsm_memory_intercept, instruction_bytes) ==
	      0x40);
HV_VSM_LAYOUT(sizeof(struct hv_vsm_memory_intercept) == 0x50);
HV_VSM_LAYOUT(offsetof(struct hv_vp_assist_page, vtl_entry_reason) == 0x08);
HV_VSM_LAYOUT(offsetof(struct hv_vp_assist_page, vtl_reserved) ==
	      HV_VP_ASSIST_VINA_STATUS);
HV_VSM_LAYOUT(offsetof(struct hv_vp_assist_page, vtl_ret_x64rax) == 0x10);
HV_VSM_LAYOUT(offsetof(struct hv_vp_assist_page, intercept_message) ==
	      HV_VP_ASSIST_INTERCEPT_MESSAGE);
HV_VSM_LAYOUT(sizeof(struct hv_init_vp_context) == 224);

#endif /* __HYPERV_VSM_TLFS_H */
