/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port I/O, COM1 output and the PS/2 keyboard wait of the multiboot
 * guests that run under QEMU's pc machine: tests/qemu/vsm_guest.c and
 * the replay's entry, vmm/guest/qemu_boot.c. Their tests send a key
 * (QMP's send-key) once a guest says on COM1 that it waits for one, so a
 * guest drains the keyboard before it says so.
 */
#ifndef VMM_GUEST_PC_IO_H
#define VMM_GUEST_PC_IO_H

#include "processor.h"

#define COM1		0x3f8
#define I8042_DATA	0x60
#define I8042_STATUS	0x64	/* bit 0: output buffer full */

/* Port I/O of each size: in{b,w,l}_port(), out{b,w,l}_port(). */
#define PORT_IO(sfx, type)						\
static inline type in##sfx##_port(u16 port)				\
{									\
	type v;								\
									\
	asm volatile("in" #sfx " %1, %0" : "=a"(v) : "Nd"(port));	\
	return v;							\
}									\
static inline void out##sfx##_port(u16 port, type v)			\
{									\
	asm volatile("out" #sfx " %0, %1" : : "a"(v), "Nd"(port) : "memory"); \
}
PORT_IO(b, u8)
PORT_IO(w, u16)
PORT_IO(l, u32)

static inline void putc_com1(char c)
{
	while (!(inb_port(COM1 + 5) & 0x20))
		;
	outb_port(COM1, c);
}

static inline void say(const char *s)
{
	for (; *s; s++)
		putc_com1(*s);
}

/* Drop the keys already sent: call it before saying that a key is awaited. */
static inline void kbd_drain(void)
{
	while (inb_port(I8042_STATUS) & 1)
		inb_port(I8042_DATA);
}

static inline void kbd_wait(void)
{
	while (!(inb_port(I8042_STATUS) & 1))
		asm volatile("pause");
	inb_port(I8042_DATA);
}

#endif /* VMM_GUEST_PC_IO_H */
