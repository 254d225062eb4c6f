// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_hypercalls_test: the Hyper-V VSM hypercalls, handled in KVM.
 *
 * A guest runs the VBS boot sequence on two vCPUs: VTL0 enables VTL1 for
 * the partition and for its VP, enters VTL1 through the VSM code page;
 * VTL1 sets VsmPartitionConfig, protects pages with
 * HvModifyVtlProtectionMask (slow, XMM-fast, rep start), enables VTL1 on
 * the second VP and returns; VTL0 then checks every protection (a denied
 * access exits with KVM_EXIT_MEMORY_FAULT). The second VP enters VTL1 on
 * its own and changes a protection that the first one sees. Each
 * hypercall and each invalid input is checked for its exact TLFS status,
 * or #UD where the TLFS says so; the per-VTL state ioctls, the CPUID bits
 * and KVM_CAP_HYPERV_ENFORCE_CPUID are checked from the host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apic.h"
#include "kvm_util.h"
#include "hyperv.h"
#include "processor.h"
#include "test_util.h"
#include "vsm_guest.h"

#define PG			4096ULL
#define TEST_SLOT		1
#define TEST_GPA		BIT_ULL(30)
#define TEST_PAGES		16
#define GPN(i)			((TEST_GPA >> 12) + (i))

/* Shared by host, VTL0 and VTL1 (same page tables). */
static struct {
	u64 hcall_gpa, hcall_gva;
	u64 in_gpa[2], in_gva[2];	/* per VP: input page */
	u64 out_gpa[2], out_gva[2];	/* per VP: output page */
	u64 assist_gpa[2][2], assist_gva[2][2];	/* [vp][vtl] */
	u64 test_gva, test_gpa;
	struct enable_vp_vtl ctx[2];	/* VTL1 initial context, per VP */
	int vtl1_cmd[2];
	u64 ret_rcx[2];
	int ud;
	int vtl1_entries[2];
	/* Per VP: whether VTL1 runs, and the NMIs each VTL took. */
	int in_vtl1[2];
	u64 nmis[2][2];
} g;

enum { CMD_BOOT, CMD_VP1, CMD_DEFAULT, CMD_FIRST_DEFAULT };

static u64 vp(void)
{
	return rdmsr(HV_X64_MSR_VP_INDEX);
}

static void nmi_isr(struct ex_regs *regs)
{
	u64 v = vp();

	g.nmis[v][READ_ONCE(g.in_vtl1[v])]++;
}

static u16 hcall_status(u64 control, u64 in, u64 out)
{
	return vsm_hcall(control, in, out) & 0xffff;
}

static void *input(void)
{
	void *p = (void *)g.in_gva[vp()];

	memset(p, 0, PG);
	return p;
}

static u64 in_gpa(void)
{
	return g.in_gpa[vp()];
}

static u16 get_reg(u8 vtl_in, u32 name, u64 *val)
{
	u64 *in = input();
	u64 *out = (u64 *)g.out_gva[vp()];
	u64 r;

	in[0] = SELF;
	in[1] = (u64)vtl_in << 32 | (u32)-2;	/* VP index self */
	((u32 *)in)[4] = name;
	r = vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(), g.out_gpa[vp()]);
	if (!(r & 0xffff)) {
		GUEST_ASSERT_EQ(r >> 32 & 0xfff, 1);
		*val = out[0];
	}
	return r & 0xffff;
}

static u16 set_reg(u8 vtl_in, u32 name, u64 val)
{
	u64 *in = input();

	in[0] = SELF;
	in[1] = (u64)vtl_in << 32 | (u32)-2;
	((u32 *)in)[4] = name;
	in[4] = val;
	return hcall_status(HVCALL_SET_VP_REGS | REPS(1), in_gpa(), 0);
}

static u16 enable_partition(u64 pid, u8 vtl, u8 flags)
{
	u64 *in = input();

	in[0] = pid;
	in[1] = vtl | (u64)flags << 8;
	return hcall_status(HVCALL_ENABLE_PART_VTL, in_gpa(), 0);
}

static u16 enable_vp(u32 vp_index, u8 vtl, int ctx)
{
	struct enable_vp_vtl *in = input();

	*in = g.ctx[ctx];
	in->vp_index = vp_index;
	in->vtl = vtl;
	return hcall_status(HVCALL_ENABLE_VP_VTL_, in_gpa(), 0);
}

/*
 * HvModifyVtlProtectionMask over @n page numbers: @vtl_in is the
 * HV_INPUT_VTL byte and the three reserved bytes above it. Returns the
 * status and reps completed.
 */
static u64 modify(u64 pid, u32 flags, u32 vtl_in, const u64 *gpns, int n,
		  u64 extra)
{
	u64 *in = input();

	in[0] = pid;
	in[1] = flags | (u64)vtl_in << 32;
	memcpy(&in[2], gpns, n * 8);
	return vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(n) | extra, in_gpa(), 0);
}

static void ud_handler(struct ex_regs *regs)
{
	GUEST_ASSERT(regs->rip >= g.hcall_gva && regs->rip < g.hcall_gva + PG);
	g.ud++;
	regs->rip += 3;		/* the vmcall */
}

static u64 code_offsets;

static u64 call_entry(void)
{
	return g.hcall_gva + (code_offsets & 0xfff);
}

static u64 return_entry(void)
{
	return g.hcall_gva + (code_offsets >> 12 & 0xfff);
}

static void vtl_return(u64 input_rax)
{
	u64 rcx;

	vsm_switch(return_entry(), input_rax, &rcx);
}

/* VTL1 of VP 0 at boot: the secure kernel's part of the sequence. */
static void vtl1_boot(void)
{
	u64 gpns[8], val, r;
	struct vsm_vp_assist *a = (void *)g.assist_gva[0][1];

	/* The VTL's own VP assist page, a private synthetic MSR. */
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[0][1] | 1);

	GUEST_ASSERT_EQ(get_reg(0, REG_VP_STATUS, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 1 | 3ULL << 16);
	GUEST_ASSERT_EQ(get_reg(0, REG_PARTITION_STATUS, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 3 | 1ULL << 16);
	GUEST_ASSERT_EQ(get_reg(0, REG_CAPABILITIES, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 0);

	/* Before EnableVtlProtection, no protections. */
	gpns[0] = GPN(0);
	r = modify(SELF, M_R, 0, gpns, 1, 0);
	GUEST_ASSERT_EQ(r & 0xffff, ST_ACCESS_DENIED);

	/* VsmPartitionConfig: bad values, then EnableVtlProtection, RWX. */
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_W)),
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG, BIT_ULL(13)),
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(set_reg(USE_VTL(0), REG_PARTITION_CONFIG, 0),
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(set_reg(0, REG_CODE_PAGE_OFFSETS, 0),
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_RWX)), ST_SUCCESS);
	GUEST_ASSERT_EQ(get_reg(0, REG_PARTITION_CONFIG, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, CONFIG_ENABLE | CONFIG_MASK(M_RWX));
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG, CONFIG_MASK(M_RWX)),
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(set_reg(0, REG_SECURE_CONFIG_VTL0, 2), ST_SUCCESS);
	GUEST_ASSERT_EQ(get_reg(0, REG_SECURE_CONFIG_VTL0, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 2);
	GUEST_ASSERT_EQ(set_reg(0, REG_SECURE_CONFIG_VTL0 + 1, 0),
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(set_reg(0, REG_SECURE_CONFIG_VTL0, 1),
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(set_reg(0, REG_SECURE_CONFIG_VTL0, 0), ST_SUCCESS);

	/* Invalid inputs: each refused, nothing changed (host checks). */
	gpns[0] = GPN(0);
	GUEST_ASSERT_EQ(modify(1, M_R, 0, gpns, 1, 0) & 0xffff,
			ST_INVALID_PARTITION);
	/* TargetVtl names the layer: above the caller, or VTL0's, refused. */
	GUEST_ASSERT_EQ(modify(SELF, M_R, USE_VTL(2), gpns, 1, 0) & 0xffff,
			ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(modify(SELF, M_R, USE_VTL(0), gpns, 1, 0) & 0xffff,
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0x20, gpns, 1, 0) & 0xffff,
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0x100, gpns, 1, 0) & 0xffff,
			ST_INVALID_PARAMETER);
	/* Bad flags: INVALID_REGISTER_VALUE, as OpenHCL answers. */
	GUEST_ASSERT_EQ(modify(SELF, M_W, 0, gpns, 1, 0) & 0xffff,
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(modify(SELF, M_R | 0x4, 0, gpns, 1, 0) & 0xffff,
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(modify(SELF, M_R | 0x8, 0, gpns, 1, 0) & 0xffff,
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(modify(SELF, M_R | 0x10, 0, gpns, 1, 0) & 0xffff,
			ST_INVALID_REG_VALUE);
	/* A bad first element: nothing done; after a rep start, the start. */
	gpns[0] = 1ULL << 35;			/* not RAM */
	gpns[1] = GPN(0);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 2, 0), ST_INVALID_PARAMETER);
	gpns[0] = 1ULL << 41;			/* beyond 52 bits */
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 2, 0), ST_INVALID_PARAMETER);
	gpns[0] = GPN(0);
	gpns[1] = 1ULL << 35;
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 3, REP_START(1)),
			ST_INVALID_PARAMETER | REPS(1));
	GUEST_ASSERT_EQ(modify(SELF, M_W, 0, gpns, 3, REP_START(2)),
			ST_INVALID_REG_VALUE | REPS(2));
	gpns[0] = GPN(0);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 0, 0) & 0xffff,
			ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 1, REP_START(1)) & 0xffff,
			ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 1, 1ULL << 17) & 0xffff,
			ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(hcall_status(HVCALL_MODIFY_VTL_PROT | REPS(600),
				     in_gpa(), 0), ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(hcall_status(HVCALL_MODIFY_VTL_PROT | REPS(1),
				     in_gpa() + 4, 0), ST_INVALID_ALIGNMENT);
	/* Input past its page: invalid input (OpenHCL), before alignment. */
	GUEST_ASSERT_EQ(hcall_status(HVCALL_MODIFY_VTL_PROT | REPS(2),
				     in_gpa() + PG - 16, 0), ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(hcall_status(HVCALL_MODIFY_VTL_PROT | REPS(2),
				     in_gpa() + PG - 20, 0), ST_INVALID_INPUT);
	GUEST_SYNC(10);		/* host: layer 1 still all RWX */

	/*
	 * page 0: R, then a page that is not RAM: the first rep is done;
	 * page 1: none, by naming the caller's own layer; page 2: RW;
	 * pages 3-5: R (unsorted).
	 */
	gpns[0] = GPN(0);
	gpns[1] = 1ULL << 35;
	gpns[2] = GPN(9);
	r = modify(SELF, M_R, 0, gpns, 3, 0);
	GUEST_ASSERT_EQ(r, ST_INVALID_PARAMETER | REPS(1));
	gpns[0] = GPN(1);
	GUEST_ASSERT_EQ(modify(SELF, 0, USE_VTL(1), gpns, 1, 0), REPS(1));
	gpns[0] = GPN(2);
	GUEST_ASSERT_EQ(modify(SELF, M_R | M_W, 0, gpns, 1, 0), REPS(1));
	gpns[0] = GPN(5);
	gpns[1] = GPN(3);
	gpns[2] = GPN(4);
	gpns[3] = GPN(4);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 4, 0), REPS(4));

	/* page 6: R, XMM-fast input. */
	gpns[0] = GPN(6);
	gpns[1] = 0;
	hyperv_write_xmm_input(gpns, 1);
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_MODIFY_VTL_PROT | REPS(1) | FAST,
				  SELF, M_R), REPS(1));

	/* Rep start 1 of [7, 8]: only page 8, reps completed 2. */
	gpns[0] = GPN(7);
	gpns[1] = GPN(8);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 2, REP_START(1)), REPS(2));

	/* TLFS: the default mask is fixed once protection is on. */
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_R)),
			ST_INVALID_REG_VALUE);
	GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
				CONFIG_ENABLE | CONFIG_MASK(M_RWX)), ST_SUCCESS);
	GUEST_SYNC(11);		/* host: exactly those protections */

	/* Pages VTL0 will hand KVM as hypercall output and input. */
	gpns[0] = GPN(12);
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, gpns, 1, 0), REPS(1));
	gpns[0] = GPN(13);
	GUEST_ASSERT_EQ(modify(SELF, 0, 0, gpns, 1, 0), REPS(1));

	/* VTL1 enables VTL1 on VP 1, with its own stack. */
	GUEST_ASSERT_EQ(enable_vp(7, 1, 1), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(enable_vp(1, 1, 1), ST_SUCCESS);
	GUEST_ASSERT_EQ(enable_vp(1, 1, 1), ST_VTL_ENABLED);

	/* Registers of VTL1 are not VTL0's business: VTL0 is below. */
	GUEST_ASSERT_EQ(get_reg(USE_VTL(0), REG_VP_ASSIST, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, g.assist_gpa[0][0] | 1);

	/* VTL0 gets RAX and RCX from this VTL's assist page. */
	a->ret_rax = 0x1234;
	a->ret_rcx = 0x5678;
	a->entry_reason = 0;
}

void vtl1_main(void)
{
	struct vsm_vp_assist *a;
	u64 v = vp();

	vsm_hv_init(g.hcall_gpa);
	for (;;) {
		g.vtl1_entries[v]++;
		a = (void *)g.assist_gva[v][1];
		/* Every entry after the first finds its entry reason. */
		if (g.vtl1_entries[v] > 1)
			GUEST_ASSERT_EQ(a->entry_reason, 1);
		switch (g.vtl1_cmd[v]) {
		case CMD_BOOT:
			vtl1_boot();
			vtl_return(0);
			break;
		case CMD_VP1: {
			u64 gpns[2] = { GPN(9), GPN(10) }, val;

			wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[1][1] | 1);
			GUEST_ASSERT_EQ(get_reg(0, REG_VP_STATUS, &val),
					ST_SUCCESS);
			GUEST_ASSERT_EQ(val, 1 | 3ULL << 16);
			GUEST_ASSERT_EQ(modify(SELF, M_R | M_X, 0, gpns, 2, 0),
					REPS(2));
			a = (void *)g.assist_gva[1][1];
			a->entry_reason = 0;
			/* VP 0's VTL0 sends this VP an NMI: not VTL1's. */
			WRITE_ONCE(g.in_vtl1[1], 1);
			GUEST_SYNC(40);
			GUEST_SYNC(41);
			WRITE_ONCE(g.in_vtl1[1], 0);
			GUEST_ASSERT_EQ(READ_ONCE(g.nmis[1][1]), 0);
			/* Fast return: RAX and RCX not restored. */
			vtl_return(1);
			break;
		}
		case CMD_DEFAULT:
			/*
			 * The default is fixed once protection is on: a new
			 * one is refused, and the exceptions stay.
			 */
			GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
						CONFIG_ENABLE |
						CONFIG_MASK(M_R | M_X)),
					ST_INVALID_REG_VALUE);
			a->entry_reason = 0;
			vtl_return(0);
			break;
		case CMD_FIRST_DEFAULT:
			/* The default: every page of VTL0 loses write access. */
			wrmsr(HV_X64_MSR_VP_ASSIST_PAGE,
			      g.assist_gpa[0][1] | 1);
			GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
						CONFIG_ENABLE |
						CONFIG_MASK(M_R | M_X)),
					ST_SUCCESS);
			GUEST_ASSERT_EQ(set_reg(0, REG_PARTITION_CONFIG,
						CONFIG_ENABLE |
						CONFIG_MASK(M_RWX)),
					ST_INVALID_REG_VALUE);
			a = (void *)g.assist_gva[0][1];
			a->entry_reason = 0;
			vtl_return(0);
			break;
		}
	}
}

static void vtl0_touch(int page, int op)
{
	u64 *p = (u64 *)(g.test_gva + page * PG);

	GUEST_SYNC(100 + page * 4 + op);
	if (op == 0)
		READ_ONCE(*p);
	else if (op == 1)
		WRITE_ONCE(p[1], 0x5a);	/* byte 0 stays a "ret" for op 2 */
	else
		((void (*)(void))p)();
}

/* HvGetVpRegisters and HvSetVpRegisters: the refusals, the fast form. */
static void test_vp_regs_inputs(void)
{
	u64 *in, *out = (u64 *)g.out_gva[0], val, assist;
	u32 *names;
	u64 xmm[4];

	GUEST_ASSERT_EQ(get_reg(0, 0x12345, &val), ST_INVALID_PARAMETER);

	/* Two names, the second unknown: one done, then the status. */
	in = input();
	in[0] = SELF;
	in[1] = (u32)-2;
	names = (u32 *)&in[2];
	names[0] = REG_VP_STATUS;
	names[1] = 0x12345;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(2), in_gpa(),
				  g.out_gpa[0]), ST_INVALID_PARAMETER | REPS(1));
	GUEST_ASSERT_EQ(out[0], 1ULL << 16);
	/*
	 * Output 8-byte aligned is enough (OpenHCL); not 8-byte aligned, or
	 * past its page, refused. No XMM output, so no fast form.
	 */
	names[1] = REG_VP_STATUS;
	out[1] = 0;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
				  g.out_gpa[0] + 8), REPS(1));
	GUEST_ASSERT_EQ(out[1], 1ULL << 16);
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
				  g.out_gpa[0] + 4) & 0xffff,
			ST_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(2), in_gpa(),
				  g.out_gpa[0] + PG - 24), ST_INVALID_INPUT);
	/* An error after a rep start: the reps before it count as done. */
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(2) | REP_START(1),
				  in_gpa(), g.out_gpa[0]), REPS(2));
	in[1] = 99;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(2) | REP_START(1),
				  in_gpa(), g.out_gpa[0]),
			ST_INVALID_VP_INDEX | REPS(1));
	in[1] = (u32)-2;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1) | FAST, SELF,
				  (u32)-2) & 0xffff, ST_INVALID_INPUT);

	/* Another VP: its per-VP registers are refused, not the partition's. */
	in[1] = 1;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
				  g.out_gpa[0]) & 0xffff, ST_ACCESS_DENIED);
	names[0] = REG_PARTITION_STATUS;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
				  g.out_gpa[0]), REPS(1));
	in[1] = 9;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
				  g.out_gpa[0]) & 0xffff, ST_INVALID_VP_INDEX);

	/* Set: reserved bits of an element; then the XMM-fast form. */
	assist = rdmsr(HV_X64_MSR_VP_ASSIST_PAGE);
	in = input();
	in[0] = SELF;
	in[1] = (u32)-2;
	in[2] = REG_VP_ASSIST | 1ULL << 32;
	in[4] = assist;
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_SET_VP_REGS | REPS(1), in_gpa(), 0),
			ST_INVALID_PARAMETER);
	xmm[0] = REG_VP_ASSIST;
	xmm[1] = 0;
	xmm[2] = assist;
	xmm[3] = 0;
	hyperv_write_xmm_input(xmm, 2);
	GUEST_ASSERT_EQ(vsm_hcall(HVCALL_SET_VP_REGS | REPS(1) | FAST, SELF,
				  (u32)-2), REPS(1));
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE), assist);
}

static void guest_vp0(void)
{
	u64 val, rax, rcx;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[0][0] | 1);

	GUEST_ASSERT_EQ(get_reg(0, REG_CODE_PAGE_OFFSETS, &code_offsets),
			ST_SUCCESS);
	GUEST_ASSERT(code_offsets && !(code_offsets >> 24));
	GUEST_ASSERT_EQ(get_reg(0, REG_VP_STATUS, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 1ULL << 16);

	test_vp_regs_inputs();

	/* VTL call and return before VTL1 exists, bad inputs: #UD. */
	vsm_switch(call_entry(), 0, &rcx);
	GUEST_ASSERT_EQ(g.ud, 1);
	vsm_switch(return_entry(), 0, &rcx);
	GUEST_ASSERT_EQ(g.ud, 2);

	/* HvEnablePartitionVtl. */
	GUEST_ASSERT_EQ(enable_partition(0, 1, 0), ST_INVALID_PARTITION);
	GUEST_ASSERT_EQ(enable_partition(SELF, 1, 1), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(SELF, 2, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(SELF, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(hcall_status(HVCALL_ENABLE_PART_VTL | REPS(1),
				     in_gpa(), 0), ST_INVALID_INPUT);
	GUEST_ASSERT_EQ(enable_vp(0, 1, 0), ST_INVALID_VTL_STATE);
	GUEST_ASSERT_EQ(enable_partition(SELF, 1, 0), ST_SUCCESS);
	GUEST_ASSERT_EQ(enable_partition(SELF, 1, 0), ST_VTL_ENABLED);

	/* HvEnableVpVtl: VTL0 only for its own VP; a VP must exist first. */
	GUEST_ASSERT_EQ(enable_vp(7, 1, 0), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(enable_vp(1, 1, 1), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(enable_vp(0, 2, 0), ST_INVALID_VTL_STATE);
	g.ctx[1].cr0 = X86_CR0_PG;		/* paging without PE */
	GUEST_ASSERT_EQ(enable_vp(0, 1, 1), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp(0, 0x21, 0), ST_INVALID_PARAMETER);
	g.ctx[1].cr0 = g.ctx[0].cr0;
	g.ctx[1].pat = 0x0202020202020202ULL;	/* memory type 2: reserved */
	GUEST_ASSERT_EQ(enable_vp(0, 1, 1), ST_INVALID_PARAMETER);
	g.ctx[1].pat = g.ctx[0].pat;
	GUEST_ASSERT_EQ(enable_vp(0, 1, 0), ST_SUCCESS);
	/* Once VTL1 runs somewhere, only VTL1 enables it. */
	GUEST_ASSERT_EQ(enable_vp(0, 1, 0), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(get_reg(0, REG_VP_STATUS, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 3ULL << 16);

	/*
	 * VTL0 places no protections: it has no layer of its own, and may
	 * not name VTL1's. Nor may it read VTL1's registers.
	 */
	GUEST_ASSERT_EQ(modify(SELF, M_R, 0, (u64[]){ GPN(0) }, 1, 0) & 0xffff,
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(modify(SELF, M_R, USE_VTL(1), (u64[]){ GPN(0) }, 1, 0) &
			0xffff, ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(get_reg(USE_VTL(1), REG_PARTITION_CONFIG, &val),
			ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(get_reg(0, REG_PARTITION_CONFIG, &val),
			ST_INVALID_PARAMETER);
	/* A VTL call with input is #UD. */
	vsm_switch(call_entry(), 1, &rcx);
	GUEST_ASSERT_EQ(g.ud, 3);

	/* Enter VTL1. */
	g.vtl1_cmd[0] = CMD_BOOT;
	rax = vsm_switch(call_entry(), 0, &rcx);
	GUEST_ASSERT_EQ(g.vtl1_entries[0], 1);
	GUEST_ASSERT_EQ(rax, 0x1234);
	GUEST_ASSERT_EQ(rcx, 0x5678);
	GUEST_ASSERT_EQ(get_reg(0, REG_VP_STATUS, &val), ST_SUCCESS);
	GUEST_ASSERT_EQ(val, 3ULL << 16);
	/* The VTL0 VP assist page was left alone. */
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE),
			g.assist_gpa[0][0] | 1);

	/*
	 * KVM reads and writes hypercall input and output as the caller:
	 * output to a page VTL1 made read-only, input from a page it made
	 * inaccessible, are refused.
	 */
	{
		u64 *in = input(), r;

		in[0] = SELF;
		in[1] = (u32)-2;
		((u32 *)in)[4] = REG_VP_STATUS;
		r = vsm_hcall(HVCALL_GET_VP_REGS | REPS(1), in_gpa(),
			      g.test_gpa + 12 * PG);
		GUEST_ASSERT_EQ(r & 0xffff, ST_ACCESS_DENIED);
		r = vsm_hcall(HVCALL_GET_VP_REGS | REPS(1),
			      g.test_gpa + 13 * PG, g.out_gpa[0]);
		GUEST_ASSERT_EQ(r & 0xffff, ST_ACCESS_DENIED);
		/* Nor does KVM write the hypercall or VP assist page there. */
		GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_HYPERCALL,
					   (g.test_gpa + 12 * PG) | 1),
				GP_VECTOR);
		GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_HYPERCALL), g.hcall_gpa | 1);
		GUEST_ASSERT_EQ(wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE,
					   (g.test_gpa + 12 * PG) | 1),
				GP_VECTOR);
		GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE),
				g.assist_gpa[0][0] | 1);
	}

	/* Each protection, seen from VTL0. */
	vtl0_touch(0, 0);
	vtl0_touch(0, 1);	/* denied */
	vtl0_touch(0, 2);	/* denied */
	vtl0_touch(1, 0);	/* denied */
	vtl0_touch(2, 1);
	vtl0_touch(2, 2);	/* denied */
	vtl0_touch(3, 1);	/* denied */
	vtl0_touch(4, 1);	/* denied */
	vtl0_touch(5, 1);	/* denied */
	vtl0_touch(6, 1);	/* denied */
	vtl0_touch(7, 1);
	vtl0_touch(8, 1);	/* denied */
	GUEST_SYNC(20);		/* host: runs VP 1 into its VTL1 */

	/* An NMI IPI to VP 1, from VTL0's APIC: for VP 1's VTL0 only. */
	x2apic_enable();
	x2apic_write_reg(APIC_ICR, APIC_DM_NMI | (1ULL << 32));
	GUEST_SYNC(21);		/* host: VP 1 goes on */

	/* VP 1's VTL1 made page 9 read-execute: seen here too. */
	vtl0_touch(9, 2);
	vtl0_touch(9, 1);	/* denied */

	/* Second entry: VTL1 tries to make RX the default. */
	g.vtl1_cmd[0] = CMD_DEFAULT;
	GUEST_SYNC(30);
	vsm_switch(call_entry(), 0, &rcx);
	GUEST_ASSERT_EQ(g.vtl1_entries[0], 2);
	GUEST_DONE();
}

static void guest_vp1(void)
{
	u64 rax, rcx;

	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[1][0] | 1);
	GUEST_ASSERT_EQ(get_reg(0, REG_CODE_PAGE_OFFSETS, &code_offsets),
			ST_SUCCESS);
	g.vtl1_cmd[1] = CMD_VP1;
	rax = vsm_switch(call_entry(), 0, &rcx);
	/* Fast return: what the return sequence left, RAX 1, RCX 0x12. */
	GUEST_ASSERT_EQ(rax, 1);
	GUEST_ASSERT_EQ(rcx, 0x12);
	GUEST_ASSERT_EQ(g.vtl1_entries[1], 1);
	/* VP 0's NMI, held while VTL1 ran. */
	GUEST_ASSERT_EQ(READ_ONCE(g.nmis[1][0]), 1);
	vtl0_touch(10, 0);
	vtl0_touch(10, 1);	/* denied */
	GUEST_DONE();
}

/* Layer 1 over the test pages as the host expects it. */
static u8 cur[TEST_PAGES];
static const u8 op_needs[] = { M_R, M_R | M_W, M_R | M_X };

static bool denied(int page, int op)
{
	return (cur[page] & op_needs[op]) != op_needs[op];
}

static void set_prot(struct kvm_vm *vm, u64 gpa, u64 size, u8 prot, u32 flags)
{
	struct kvm_vtl_protection p = {
		.address = gpa, .size = size, .vtl = 1, .prot = prot,
		.flags = flags,
	};

	vm_ioctl(vm, KVM_SET_VTL_PROTECTION, &p);
}

/* The test pages, identity-mapped, all RET; and the hypercall page. */
static void map_test_pages(struct kvm_vm *vm)
{
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA,
				    TEST_SLOT, TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	memset(addr_gpa2hva(vm, TEST_GPA), 0xc3, TEST_PAGES * PG);
	g.test_gva = TEST_GPA;
	g.test_gpa = TEST_GPA;
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
}

/* Layer 1 over the test pages, run by run, against @want. */
static void check_layer(struct kvm_vm *vm, const u8 *want)
{
	int i;

	for (i = 0; i < TEST_PAGES; i++) {
		struct kvm_vtl_protection p = {
			.address = TEST_GPA + i * PG, .size = PG, .vtl = 1,
		};

		vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
		TEST_ASSERT(p.prot == want[i], "page %d: prot %x, want %x",
			    i, p.prot, want[i]);
	}
}

static void expect_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 access)
{
	int r = __vcpu_run(vcpu);
	u64 want = access | KVM_MEMORY_EXIT_FLAG_VTL;

	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN: want EFAULT, got %d errno %d (exit %u)", r, errno,
		    vcpu->run->exit_reason);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MEMORY_FAULT);
	TEST_ASSERT(vcpu->run->memory_fault.gpa == gpa &&
		    vcpu->run->memory_fault.flags == want,
		    "memory fault gpa 0x%llx flags 0x%llx, want 0x%lx 0x%lx",
		    vcpu->run->memory_fault.gpa, vcpu->run->memory_fault.flags,
		    gpa, want);
}

static const u64 access_flag[] = {
	KVM_MEMORY_EXIT_FLAG_READ, KVM_MEMORY_EXIT_FLAG_WRITE,
	KVM_MEMORY_EXIT_FLAG_EXEC,
};

/* Drive a vCPU through accesses until a non-access sync or the end. */
static u64 run_accesses(struct kvm_vcpu *vcpu, int *faults)
{
	u64 s = vsm_run_to_ucall(vcpu);

	while (s >= 100) {
		int page = (s - 100) / 4, op = (s - 100) % 4;
		u64 gpa = TEST_GPA + page * PG;

		if (denied(page, op)) {
			expect_fault(vcpu, gpa, access_flag[op]);
			(*faults)++;
			/* Grant what the access needs: the retry completes. */
			cur[page] |= op_needs[op];
			set_prot(vcpu->vm, gpa, PG, cur[page], 0);
		}
		s = vsm_run_to_ucall(vcpu);
	}
	return s;
}

/* KVM_SET_VSM_VTL_STATE refuses @bad with EINVAL: @what is wrong in it. */
static void set_state_einval(struct kvm_vcpu *vcpu,
			     struct kvm_vsm_vtl_state *bad, const char *what)
{
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_SET_VSM_VTL_STATE, bad) == -1 &&
		    errno == EINVAL, "%s: EINVAL", what);
}

static void test_vtl_state(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vtl_state s = { .vtl = 1 }, bad;
	struct kvm_vsm_state st;
	struct kvm_regs regs;

	vcpu_ioctl(vcpu, KVM_GET_VSM_STATE, &st);
	TEST_ASSERT(st.active_vtl == 0 && st.enabled_vtls == 3,
		    "VSM state: active %u enabled 0x%x", st.active_vtl,
		    st.enabled_vtls);

	/* VTL1's kept state: its stack, and the assist page it set. */
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	TEST_ASSERT(s.vp_assist == (g.assist_gpa[0][1] | 1),
		    "VTL1 vp_assist 0x%llx", s.vp_assist);
	TEST_ASSERT(s.rsp < g.ctx[0].rsp && s.rsp > g.ctx[0].rsp - PG,
		    "VTL1 rsp 0x%llx", s.rsp);
	/* VTL0's is the live state. */
	s.vtl = 0;
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(s.rip, regs.rip);
	TEST_ASSERT_EQ(s.rsp, regs.rsp);
	TEST_ASSERT(s.vp_assist == (g.assist_gpa[0][0] | 1),
		    "VTL0 vp_assist 0x%llx", s.vp_assist);

	/* Round trip of VTL1's state; then invalid uses. */
	s.vtl = 1;
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	vcpu_ioctl(vcpu, KVM_SET_VSM_VTL_STATE, &s);
	bad = s;
	bad.vtl = 2;
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &bad) == -1 &&
		    errno == EINVAL, "GET VTL 2 of a max-VTL-1 VM: EINVAL");
	bad = s;
	bad.pad[3] = 1;
	set_state_einval(vcpu, &bad, "non-zero pad");
	bad = s;
	bad.reserved[14] = 1;
	set_state_einval(vcpu, &bad, "non-zero reserved");
	bad = s;
	bad.cr0 = X86_CR0_PG;
	set_state_einval(vcpu, &bad, "CR0.PG without PE");
	bad = s;
	bad.pat = 0x0202020202020202ULL;
	set_state_einval(vcpu, &bad, "reserved PAT memory type");
	bad = s;
	bad.lstar = BIT_ULL(63);
	set_state_einval(vcpu, &bad, "non-canonical LSTAR");
	bad = s;
	bad.kernel_gs_base = BIT_ULL(62);
	set_state_einval(vcpu, &bad, "non-canonical KERNEL_GS_BASE");
	bad = s;
	bad.rflags = BIT_ULL(40);
	set_state_einval(vcpu, &bad, "reserved RFLAGS bit");
	bad = s;
	bad.vp_assist = 0x800;
	set_state_einval(vcpu, &bad, "reserved VP assist bits");
	bad = s;
	bad.vina = BIT_ULL(11);
	set_state_einval(vcpu, &bad, "reserved VINA bits");
	bad = s;
	bad.vina = BIT_ULL(8) | 15;
	set_state_einval(vcpu, &bad, "VINA enabled with vector 15");

	/* VsmVina is part of each VTL's state; nothing changed so far. */
	TEST_ASSERT_EQ(s.vina, 0);
	s.vina = BIT_ULL(10) | BIT_ULL(9) | BIT_ULL(8) | 0x30;
	vcpu_ioctl(vcpu, KVM_SET_VSM_VTL_STATE, &s);
	s.vina = 0;
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	TEST_ASSERT_EQ(s.vina, 0x730);
	s.vtl = 0;
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	TEST_ASSERT_EQ(s.vina, 0);
	s.vtl = 1;
	vcpu_ioctl(vcpu, KVM_GET_VSM_VTL_STATE, &s);
	s.vina = 0;
	vcpu_ioctl(vcpu, KVM_SET_VSM_VTL_STATE, &s);
}

static void test_boot(void)
{
	static const u8 all_rwx[TEST_PAGES] = {
		M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX,
		M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX,
	};
	static const u8 after_boot[TEST_PAGES] = {
		M_R, 0, M_R | M_W, M_R, M_R, M_R, M_R, M_RWX, M_R,
		M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX, M_RWX,
	};
	struct kvm_vcpu *vcpus[2];
	struct kvm_vtl_protection p;
	const struct kvm_cpuid2 *hv;
	struct kvm_vm *vm;
	int i, faults = 0;
	u64 stack, s;

	vm = vm_create(2);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpus[0] = vm_vcpu_add(vm, 0, guest_vp0);
	vcpus[1] = vm_vcpu_add(vm, 1, guest_vp1);
	for (i = 0; i < 2; i++)
		vcpu_set_hv_cpuid(vcpus[i]);
	vm_install_exception_handler(vm, UD_VECTOR, ud_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_isr);

	/* AccessVsm and AccessVpRegisters, for this VM's vCPUs only. */
	hv = vcpu_get_supported_hv_cpuid(vcpus[0]);
	for (i = 0; i < hv->nent; i++)
		if (hv->entries[i].function == 0x40000003)
			TEST_ASSERT((hv->entries[i].ebx & (3 << 16)) == 3 << 16,
				    "HYPERV_CPUID_FEATURES.EBX 0x%x",
				    hv->entries[i].ebx);

	map_test_pages(vm);
	for (i = 0; i < 2; i++) {
		g.in_gva[i] = vsm_alloc_page(vm, &g.in_gpa[i]);
		g.out_gva[i] = vsm_alloc_page(vm, &g.out_gpa[i]);
		g.assist_gva[i][0] = vsm_alloc_page(vm, &g.assist_gpa[i][0]);
		g.assist_gva[i][1] = vsm_alloc_page(vm, &g.assist_gpa[i][1]);
		stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
		vsm_make_ctx(vcpus[i], &g.ctx[i], stack);
	}
	sync_global_to_guest(vm, g);

	/* VP 0: boot, invalid inputs checked in the guest. */
	s = vsm_run_to_ucall(vcpus[0]);
	TEST_ASSERT_EQ(s, 10);
	check_layer(vm, all_rwx);
	s = vsm_run_to_ucall(vcpus[0]);
	TEST_ASSERT_EQ(s, 11);
	check_layer(vm, after_boot);
	p = (struct kvm_vtl_protection){ .vtl = 1,
					 .flags = KVM_VTL_PROTECTION_DEFAULT };
	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	TEST_ASSERT_EQ(p.prot, M_RWX);

	/* VTL0 checks each protection. */
	memcpy(cur, after_boot, sizeof(cur));
	s = run_accesses(vcpus[0], &faults);
	TEST_ASSERT_EQ(s, 20);
	TEST_ASSERT_EQ(faults, 9);
	test_vtl_state(vcpus[0]);

	/*
	 * VP 1 enters its VTL1 on its own; its change is partition-wide.
	 * While it is in VTL1, VP 0's VTL0 sends it an NMI.
	 */
	cur[9] = M_R | M_X;
	cur[10] = M_R | M_X;
	s = run_accesses(vcpus[1], &faults);
	TEST_ASSERT_EQ(s, 40);
	s = run_accesses(vcpus[0], &faults);
	TEST_ASSERT_EQ(s, 21);
	s = run_accesses(vcpus[1], &faults);
	TEST_ASSERT_EQ(s, 41);
	s = run_accesses(vcpus[1], &faults);
	TEST_ASSERT_EQ(s, 0);
	TEST_ASSERT_EQ(faults, 10);
	s = run_accesses(vcpus[0], &faults);
	TEST_ASSERT_EQ(s, 30);
	TEST_ASSERT_EQ(faults, 11);

	/* The default stayed RWX, and the exceptions with it. */
	p = (struct kvm_vtl_protection){ .vtl = 1,
					 .flags = KVM_VTL_PROTECTION_DEFAULT };
	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	TEST_ASSERT_EQ(p.prot, M_RWX);
	cur[12] = M_R;		/* VTL0's refused hypercall output */
	cur[13] = 0;		/* and input */
	check_layer(vm, cur);
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpus[0]), 0);
	kvm_vm_free(vm);
}

/* VP 0 enables VTL1, whose first VsmPartitionConfig makes RX the default. */
static void guest_first_default(void)
{
	u64 rcx;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, g.assist_gpa[0][0] | 1);
	GUEST_ASSERT_EQ(get_reg(0, REG_CODE_PAGE_OFFSETS, &code_offsets),
			ST_SUCCESS);
	GUEST_ASSERT_EQ(enable_partition(SELF, 1, 0), ST_SUCCESS);
	GUEST_ASSERT_EQ(enable_vp(0, 1, 0), ST_SUCCESS);
	g.vtl1_cmd[0] = CMD_FIRST_DEFAULT;
	vsm_switch(call_entry(), 0, &rcx);
	/* VTL0's first write, to its stack at the latest, faults. */
	GUEST_ASSERT_EQ(g.vtl1_entries[0], 1);
	GUEST_DONE();
}

/*
 * The default mask is one O(1) layer default, set by the first write that
 * enables protection and fixed from then on.
 */
static void test_first_default(void)
{
	struct kvm_vtl_protection p;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 stack;
	int r;

	memset(&g, 0, sizeof(g));
	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_first_default);
	vcpu_set_hv_cpuid(vcpu);
	vm_install_exception_handler(vm, UD_VECTOR, ud_handler);
	map_test_pages(vm);
	g.in_gva[0] = vsm_alloc_page(vm, &g.in_gpa[0]);
	g.out_gva[0] = vsm_alloc_page(vm, &g.out_gpa[0]);
	g.assist_gva[0][0] = vsm_alloc_page(vm, &g.assist_gpa[0][0]);
	g.assist_gva[0][1] = vsm_alloc_page(vm, &g.assist_gpa[0][1]);
	stack = vm_vaddr_alloc_pages(vm, 2) + 2 * PG;
	vsm_make_ctx(vcpu, &g.ctx[0], stack);
	g.ctx[1] = g.ctx[0];
	sync_global_to_guest(vm, g);

	r = __vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EFAULT &&
		    vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
		    vcpu->run->memory_fault.flags ==
		    (KVM_MEMORY_EXIT_FLAG_WRITE | KVM_MEMORY_EXIT_FLAG_VTL),
		    "default RX: want a VTL0 write fault, got %d/%d", r, errno);
	p = (struct kvm_vtl_protection){ .vtl = 1,
					 .flags = KVM_VTL_PROTECTION_DEFAULT };
	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	TEST_ASSERT_EQ(p.prot, M_R | M_X);
	/* The default is the whole layer: no exception anywhere. */
	p = (struct kvm_vtl_protection){ .vtl = 1, .address = TEST_GPA,
					 .size = TEST_PAGES * PG };
	vm_ioctl(vm, KVM_GET_VTL_PROTECTION, &p);
	TEST_ASSERT(p.prot == (M_R | M_X) && p.size == TEST_PAGES * PG,
		    "default: prot %x size 0x%llx", p.prot, p.size);
	set_prot(vm, 0, 0, M_RWX, KVM_VTL_PROTECTION_DEFAULT);
	TEST_ASSERT_EQ(vsm_run_to_ucall(vcpu), 0);
	kvm_vm_free(vm);
}

static void guest_hcall_only(void)
{
	u64 *in = (u64 *)g.in_gva[0];

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g.hcall_gpa | 1);
	in[0] = SELF;
	in[1] = 1;
	GUEST_SYNC(hcall_status(HVCALL_ENABLE_PART_VTL, g.in_gpa[0], 0));
	GUEST_DONE();
}

/* Status of HvEnablePartitionVtl in a VM set up by the caller. */
static u64 enable_status(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	g.hcall_gva = vsm_alloc_page(vm, &g.hcall_gpa);
	g.in_gva[0] = vsm_alloc_page(vm, &g.in_gpa[0]);
	sync_global_to_guest(vm, g);
	return vsm_run_to_ucall(vcpu);
}

static void test_cpuid_and_off(void)
{
	struct kvm_cpuid_entry2 *e;
	const struct kvm_cpuid2 *hv;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	/* VSM off: the calls do not exist, the CPUID bits are not offered. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_only);
	vcpu_set_hv_cpuid(vcpu);
	hv = vcpu_get_supported_hv_cpuid(vcpu);
	for (i = 0; i < hv->nent; i++)
		if (hv->entries[i].function == 0x40000003)
			TEST_ASSERT(!(hv->entries[i].ebx & (3 << 16)),
				    "no VSM: EBX 0x%x", hv->entries[i].ebx);
	TEST_ASSERT_EQ(enable_status(vm, vcpu), ST_INVALID_CODE);
	kvm_vm_free(vm);

	/* ENFORCE_CPUID without AccessVsm: access denied. */
	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_hcall_only);
	vcpu_set_hv_cpuid(vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_ENFORCE_CPUID, 1);
	TEST_ASSERT_EQ(enable_status(vm, vcpu), ST_ACCESS_DENIED);
	kvm_vm_free(vm);

	/* ENFORCE_CPUID with AccessVsm advertised: allowed. */
	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_HYPERV_VSM, 1);
	vcpu = vm_vcpu_add(vm, 0, guest_hcall_only);
	vcpu_set_hv_cpuid(vcpu);
	e = vcpu_get_cpuid_entry(vcpu, 0x40000003);
	e->ebx |= 3 << 16;
	vcpu_set_cpuid(vcpu);
	vcpu_enable_cap(vcpu, KVM_CAP_HYPERV_ENFORCE_CPUID, 1);
	TEST_ASSERT_EQ(enable_status(vm, vcpu), ST_SUCCESS);
	kvm_vm_free(vm);
}

int main(void)
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_VSM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_ENFORCE_CPUID));

	ksft_print_header();
	ksft_set_plan(3);
	test_boot();
	ksft_test_result_pass("VBS boot sequence on 2 vCPUs, every status\n");
	test_first_default();
	ksft_test_result_pass("DefaultVtlProtectionMask set once, O(1)\n");
	test_cpuid_and_off();
	ksft_test_result_pass("CPUID bits, ENFORCE_CPUID, VSM off\n");
	ksft_finished();
}
