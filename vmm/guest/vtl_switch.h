/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VTL switch through the VSM code page, from inside a guest: shared by
 * the replay guest and the VSM selftests. Include it in one file of a
 * program; it defines the two routines.
 *
 * vsm_switch(entry, input, &rcx) calls the VTL call or return entry of the
 * hypercall page with @input in RCX, keeps the callee-saved registers on
 * the caller's stack (the other VTL runs its own code on the shared GPRs),
 * and returns RAX and RCX as the other VTL left them.
 *
 * vtl1_leave(entry, regs) is a higher VTL's way out when it must give the
 * lower VTL its GPRs back, as after a secure intercept: it loads them from
 * @regs (RAX and RCX go through the VP assist page's vtl_ret_x64rax/rcx,
 * which the caller fills), calls the return entry, and on the next entry
 * saves the lower VTL's GPRs into @regs again.
 */
#ifndef VSM_VTL_SWITCH_H
#define VSM_VTL_SWITCH_H

#include <stdint.h>

/* The lower VTL's GPRs, but RSP, which each VTL has its own of. */
struct vtl_gprs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* The VP assist page as VSM uses it (struct hv_vp_assist_page). */
struct vsm_vp_assist {
	uint32_t apic_assist;
	uint32_t rsvd;
	uint32_t entry_reason;		/* 1 VTL call, 2 interrupt, 3 intercept */
	uint8_t vina_status;		/* bit 0: VinaAsserted */
	uint8_t vtl_reserved[3];
	uint64_t ret_rax;		/* loaded into RAX by a VTL return */
	uint64_t ret_rcx;		/* and into RCX */
	uint8_t pad[0x70 - 0x20];
	uint8_t intercept_message[256];	/* struct hv_message */
};

uint64_t vsm_switch(uint64_t entry, uint64_t input, uint64_t *rcx);
void vtl1_leave(uint64_t entry, struct vtl_gprs *regs);

asm(".pushsection .text\n"
	".global vsm_switch\n"
	"vsm_switch:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	push %rdx\n"
	"	mov %rsi, %rcx\n"
	"	call *%rdi\n"
	"	pop %rdx\n"
	"	mov %rcx, (%rdx)\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".global vtl1_leave\n"
	"vtl1_leave:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	push %rsi\n"
	"	push %rdi\n"
	"	mov 16(%rsi), %rdx\n"
	"	mov 24(%rsi), %rbx\n"
	"	mov 32(%rsi), %rbp\n"
	"	mov 48(%rsi), %rdi\n"
	"	mov 56(%rsi), %r8\n"
	"	mov 64(%rsi), %r9\n"
	"	mov 72(%rsi), %r10\n"
	"	mov 80(%rsi), %r11\n"
	"	mov 88(%rsi), %r12\n"
	"	mov 96(%rsi), %r13\n"
	"	mov 104(%rsi), %r14\n"
	"	mov 112(%rsi), %r15\n"
	"	mov 40(%rsi), %rsi\n"
	"	pop %rax\n"
	"	xor %ecx, %ecx\n"
	"	call *%rax\n"
	/* Entered again: every GPR but RSP is the lower VTL's. */
	"	xchg %rsi, (%rsp)\n"
	"	mov %rax, 0(%rsi)\n"
	"	mov %rcx, 8(%rsi)\n"
	"	mov %rdx, 16(%rsi)\n"
	"	mov %rbx, 24(%rsi)\n"
	"	mov %rbp, 32(%rsi)\n"
	"	mov %rdi, 48(%rsi)\n"
	"	mov %r8, 56(%rsi)\n"
	"	mov %r9, 64(%rsi)\n"
	"	mov %r10, 72(%rsi)\n"
	"	mov %r11, 80(%rsi)\n"
	"	mov %r12, 88(%rsi)\n"
	"	mov %r13, 96(%rsi)\n"
	"	mov %r14, 104(%rsi)\n"
	"	mov %r15, 112(%rsi)\n"
	"	pop %rax\n"
	"	mov %rax, 40(%rsi)\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".popsection\n");

#endif /* VSM_VTL_SWITCH_H */
