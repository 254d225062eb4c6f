/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot (v1) entry of a flat 64-bit guest for QEMU's -kernel: the
 * header with the a.out kludge (the image is loaded at its link address,
 * its bss zeroed), then from 32-bit protected mode with paging off to long
 * mode on identity tables for 4 GiB (2 MiB pages) and mb_main().
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00010000	/* the address fields are valid */

	.section .header, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header			/* header_addr */
	.long __image_start		/* load_addr */
	.long __load_end		/* load_end_addr */
	.long __bss_end			/* bss_end_addr */
	.long mb_entry			/* entry_addr */

	.section .text
	.code32
	.global mb_entry
mb_entry:
	cli
	movl %ebx, mb_info		/* the multiboot information */
	/* PML4[0] -> PDPT, PDPT[0..3] -> the four page directories. */
	movl $mb_pdpt + 3, mb_pml4
	movl $mb_pd + 3, %eax
	xorl %ecx, %ecx
1:	movl %eax, mb_pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	/* 2048 2 MiB pages: present, writable, large. */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, mb_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, mb_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl %cr4, %eax
	orl $0x620, %eax		/* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl $mb_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	andl $~0x60000000, %eax		/* caches on: CD, NW off */
	orl $0x80050023, %eax		/* PG, AM, WP, NE, MP, PE */
	andl $~0x4, %eax		/* no x87 emulation: EM off */
	movl %eax, %cr0
	lgdt mb_gdt_desc
	ljmp $0x08, $3f

	.code64
3:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $mb_stack + 16384, %rsp
	call mb_main
4:	cli
	hlt
	jmp 4b

	.section .data
	.align 16
	.global mb_gdt
mb_gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x10: data */
	.quad 0, 0			/* 0x18: the TSS, filled in by C */
mb_gdt_desc:
	.word 5 * 8 - 1
	.long mb_gdt
	.global mb_info
mb_info:
	.long 0

	.section .bss
	.align 4096
mb_pml4:	.skip 4096
mb_pdpt:	.skip 4096
mb_pd:		.skip 4 * 4096
mb_stack:	.skip 16384
	.global mb_tss
	.align 16
mb_tss:		.skip 104

	.section .note.GNU-stack, "", @progbits
