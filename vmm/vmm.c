// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: the project's small VMM. It creates a VM with Hyper-V
 * enlightenments, the SynIC and VSM (KVM_CAP_HYPERV_VSM), loads a guest
 * image (vmm/guest: the VBS boot replay), starts it in long mode on N
 * vCPUs, handles the exits that belong to userspace and prints what the
 * guest measured.
 *
 * Userspace's part: guest output and completion (I/O ports); a denied
 * access no VTL could take as an intercept (KVM_EXIT_MEMORY_FAULT: the VMM
 * grants it); in bench mode the protection changes of the userspace path
 * (an extended hypercall, applied with KVM_SET_VTL_PROTECTION per range or
 * by memslot churn) and the VTL switch done by the VMM with
 * KVM_GET/SET_VSM_VTL_STATE and KVM_SET_VSM_STATE.
 *
 * With --kernel it boots Linux instead: a bzImage, its boot CPU in the VTL
 * --vtl names, a 16550 on port 0x3f8 as its console, port 0xf0 for its
 * exit status and port 0xf3, where a CPU asks which VTL it runs in.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "linux_boot.h"
#include "options.h"
#include "vsm_boot_page.h"

#define PG		4096ull
#define MEM_SLOT	0
#define DATA_SLOT	1
#define MAX_SLOTS	32764

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	uint64_t user_faults;	/* denied accesses handled here */
	uint64_t vmm_exits;	/* userspace protection hypercalls */
	struct kvm_vsm_vtl_state vtl[2];	/* the VMM's own copies */
	int have_vtl[2];
	char line[128];
	size_t len;
};

/* A memslot of the memslot-churn path: [gfn, gfn + npages). */
struct slot {
	uint64_t gfn, npages;
	uint32_t id;
	int readonly;
};

static struct {
	struct vmm_opts o;
	int kvm, vm;
	uint8_t *mem;
	uint64_t mem_size;
	struct vsm_boot *boot;
	struct vcpu *vcpus;
	int run_size;
	unsigned int tsc_khz;
	pthread_mutex_t lock;
	/* the memslot-churn path */
	struct slot *slots;
	int nr_slots;
	uint32_t next_id;
	uint64_t slot_ops;
	/* SIGTERM: each vCPU prints its state (hang_dump()) */
	volatile sig_atomic_t dumping;
} vmm = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	fputs("vmm: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (e)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int vmm_vm_ioctl(unsigned long req, void *arg, const char *what)
{
	int r = ioctl(vmm.vm, req, arg);

	if (r < 0)
		die("%s", what);
	return r;
}

static void vmm_vcpu_ioctl(struct vcpu *v, unsigned long req, void *arg,
			   const char *what)
{
	if (ioctl(v->fd, req, arg) < 0)
		die("vCPU %d: %s", v->id, what);
}

static void check_caps(void)
{
	static const struct {
		long cap;
		int min;
		const char *what;
	} caps[] = {
		{ KVM_CAP_HYPERV_VSM, 1, "KVM_CAP_HYPERV_VSM (the VSM series)" },
		{ KVM_CAP_VTL_PROTECTION, 1, "KVM_CAP_VTL_PROTECTION" },
		{ KVM_CAP_HYPERV_SYNIC2, 1, "KVM_CAP_HYPERV_SYNIC2" },
		{ KVM_CAP_HYPERV_CPUID, 1, "KVM_CAP_HYPERV_CPUID" },
	};
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int r = ioctl(vmm.kvm, KVM_CHECK_EXTENSION, caps[i].cap);

		if (r < caps[i].min) {
			errno = 0;
			die("this kernel's KVM lacks %s", caps[i].what);
		}
	}
	if (ioctl(vmm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_VSM) <
	    vmm.o.max_vtl) {
		errno = 0;
		die("KVM supports no VTL %d", vmm.o.max_vtl);
	}
}

static void set_slot(uint32_t id, uint64_t gpa, uint64_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)vmm.mem + gpa,
	};

	vmm_vm_ioctl(KVM_SET_USER_MEMORY_REGION, &r, "KVM_SET_USER_MEMORY_REGION");
	vmm.slot_ops++;
}

/* Identity page tables (2M pages, 4 GiB), GDT, TSS, VTL1's context. */
static void setup_memory(uint64_t entry)
{
	uint64_t *pml4 = (uint64_t *)(vmm.mem + VSM_PML4_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512, *gdt, i;
	struct hv_init_vp_context *c = &vmm.boot->ctx;

	(void)entry;
	pml4[0] = (VSM_PML4_GPA + PG) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (VSM_PML4_GPA + (2 + i) * PG) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;	/* present, writable, 2M */

	gdt = (uint64_t *)(vmm.mem + VSM_GDT_GPA);
	vsm_boot_gdt(gdt);
	/* VTL1 starts in the same mode, on the same tables. */
	vsm_boot_context(c);
}

/*
 * The host's CPUID with KVM's Hyper-V leaves for this vCPU, VSM included,
 * the hypervisor bit, without which a guest does not look for them,
 * Hyper-V's vendor signature, and the vCPU's APIC ID.
 */
static void set_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *sys, *hv, *all;
	int n = 256, i, k = 0;

	sys = calloc(1, sizeof(*sys) + n * sizeof(sys->entries[0]));
	hv = calloc(1, sizeof(*hv) + n * sizeof(hv->entries[0]));
	all = calloc(1, sizeof(*all) + 2 * n * sizeof(all->entries[0]));
	if (!sys || !hv || !all)
		die("out of memory");
	sys->nent = n;
	hv->nent = n;
	if (ioctl(vmm.kvm, KVM_GET_SUPPORTED_CPUID, sys))
		die("KVM_GET_SUPPORTED_CPUID");
	vmm_vcpu_ioctl(v, KVM_GET_SUPPORTED_HV_CPUID, hv,
		       "KVM_GET_SUPPORTED_HV_CPUID");
	for (i = 0; i < (int)sys->nent; i++) {
		if (sys->entries[i].function >= 0x40000000 &&
		    sys->entries[i].function < 0x40000100)
			continue;
		all->entries[k] = sys->entries[i];
		switch (sys->entries[i].function) {
		case 1:
			/* KVM leaves the hypervisor bit to the VMM. */
			all->entries[k].ecx |= 1u << 31;
			/* The initial APIC ID: KVM's, the vcpu_id. */
			all->entries[k].ebx = (all->entries[k].ebx & 0xffffff) |
					      (uint32_t)v->id << 24;
			break;
		case 0xb:
		case 0x1f:
			all->entries[k].edx = v->id;	/* x2APIC ID */
			break;
		}
		k++;
	}
	for (i = 0; i < (int)hv->nent; i++) {
		/*
		 * KVM names itself "Linux KVM Hv"; guests look for Hyper-V's
		 * "Microsoft Hv", as QEMU gives them.
		 */
		if (hv->entries[i].function == 0x40000000) {
			memcpy(&hv->entries[i].ebx, "Micr", 4);
			memcpy(&hv->entries[i].ecx, "osof", 4);
			memcpy(&hv->entries[i].edx, "t Hv", 4);
		}
		all->entries[k++] = hv->entries[i];
	}
	all->nent = k;
	vmm_vcpu_ioctl(v, KVM_SET_CPUID2, all, "KVM_SET_CPUID2");
	free(sys);
	free(hv);
	free(all);
}

/* Create vCPU v->id, map its kvm_run, give it our CPUID and SynIC. */
static void open_vcpu(struct vcpu *v)
{
	struct kvm_enable_cap synic = { .cap = KVM_CAP_HYPERV_SYNIC2 };

	v->fd = ioctl(vmm.vm, KVM_CREATE_VCPU, v->id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %d", v->id);
	v->run = mmap(NULL, vmm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap of vCPU %d", v->id);
	set_cpuid(v);
	vmm_vcpu_ioctl(v, KVM_ENABLE_CAP, &synic, "KVM_CAP_HYPERV_SYNIC2");
}

static void create_vcpu(struct vcpu *v, uint64_t entry)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	const struct hv_init_vp_context *c = &vmm.boot->ctx;
	struct kvm_regs regs = { };
	struct kvm_sregs sregs;

	open_vcpu(v);

	vmm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	hv_seg_to_kvm(&sregs.cs, &c->cs);
	hv_seg_to_kvm(&sregs.ds, &c->ds);
	hv_seg_to_kvm(&sregs.es, &c->es);
	hv_seg_to_kvm(&sregs.fs, &c->fs);
	hv_seg_to_kvm(&sregs.gs, &c->gs);
	hv_seg_to_kvm(&sregs.ss, &c->ss);
	hv_seg_to_kvm(&sregs.tr, &c->tr);
	hv_seg_to_kvm(&sregs.ldt, &c->ldtr);
	sregs.gdt.base = c->gdtr.base;
	sregs.gdt.limit = c->gdtr.limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = c->cr0;
	sregs.cr3 = c->cr3;
	sregs.cr4 = c->cr4;
	sregs.efer = c->efer;
	vmm_vcpu_ioctl(v, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	regs.rip = entry;
	regs.rsp = VSM_VP_GPA + ((uint64_t)v->id * VSM_VP_PAGES +
				 VSM_VP_STACK0 + 4) * PG;
	regs.rflags = 0x2;
	vmm_vcpu_ioctl(v, KVM_SET_REGS, &regs, "KVM_SET_REGS");
	/* With the in-kernel LAPIC, APs would wait for INIT and SIPI. */
	vmm_vcpu_ioctl(v, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * (c): make [gfn, gfn + n) its own memslot, read-only or not, as far as
 * the memslot holding @gfn reaches. Returns the pages done.
 */
static uint64_t memslot_protect(uint64_t gfn, uint64_t n, int readonly)
{
	int i;

	for (i = 0; i < vmm.nr_slots; i++) {
		struct slot *s = &vmm.slots[i];
		uint64_t end = s->gfn + s->npages;
		struct slot left, right;

		if (gfn < s->gfn || gfn >= end)
			continue;
		if (gfn + n > end)
			n = end - gfn;	/* the rest comes with the next slot */
		if (s->readonly == readonly)
			return n;
		if (vmm.nr_slots + 2 > MAX_SLOTS) {
			errno = 0;
			die("memslot path: KVM's %d memslots are used up", MAX_SLOTS);
		}
		left = (struct slot){ s->gfn, gfn - s->gfn, s->id, s->readonly };
		right = (struct slot){ gfn + n, end - gfn - n, 0, s->readonly };
		set_slot(s->id, s->gfn << 12, 0, 0);	/* delete */
		if (left.npages)
			set_slot(left.id, left.gfn << 12, left.npages << 12,
				 left.readonly ? KVM_MEM_READONLY : 0);
		*s = (struct slot){ gfn, n, left.npages ? vmm.next_id++ : s->id,
				    readonly };
		set_slot(s->id, gfn << 12, n << 12,
			 readonly ? KVM_MEM_READONLY : 0);
		if (left.npages)
			vmm.slots[vmm.nr_slots++] = left;
		if (right.npages) {
			right.id = vmm.next_id++;
			set_slot(right.id, right.gfn << 12, right.npages << 12,
				 right.readonly ? KVM_MEM_READONLY : 0);
			vmm.slots[vmm.nr_slots++] = right;
		}
		return n;
	}
	errno = 0;
	die("memslot path: gfn 0x%" PRIx64 " is not guest memory", gfn);
	return 0;
}

/*
 * The userspace path of HvModifyVtlProtectionMask: the list sorted and
 * coalesced, then one KVM_SET_VTL_PROTECTION per range (b) or a memslot
 * per range (c), which can express read-only but not execute protection.
 */
static void handle_vmm_protect(struct vcpu *v)
{
	uint64_t control = v->run->hyperv.u.hcall.input;
	uint64_t in = v->run->hyperv.u.hcall.params[0];
	uint64_t n = control >> 32 & 0xfff, i, j, list[510];
	struct kvm_vsm_state st = {};
	uint64_t *hdr;
	uint8_t prot;

	/*
	 * Only VTL1 may change VTL1's layer, and only when the VMM does it
	 * (--apply vmm or memslot; else st stays VTL0's): VTL0 can make the
	 * same call.
	 */
	if (vmm.o.apply != VSM_APPLY_KERNEL)
		vmm_vcpu_ioctl(v, KVM_GET_VSM_STATE, &st, "KVM_GET_VSM_STATE");
	if (st.active_vtl != 1) {
		v->run->hyperv.u.hcall.result = 6;	/* access denied */
		return;
	}
	if (!n || n > 510 || in > vmm.mem_size ||
	    vmm.mem_size - in < 16 + n * 8) {
		v->run->hyperv.u.hcall.result = 3;	/* invalid input */
		return;
	}
	v->vmm_exits++;
	hdr = (uint64_t *)(vmm.mem + in);
	prot = hdr[1] & 0xf;
	memcpy(list, hdr + 2, n * 8);
	qsort(list, n, 8, cmp_u64);
	pthread_mutex_lock(&vmm.lock);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && list[j] <= list[j - 1] + 1; j++)
			;
		if (vmm.o.apply == VSM_APPLY_MEMSLOT) {
			uint64_t g;

			for (g = list[i]; g <= list[j - 1];)
				g += memslot_protect(g, list[j - 1] - g + 1,
						     !(prot & 0x2));
		} else {
			struct kvm_vtl_protection p = {
				.address = list[i] << 12,
				.size = (list[j - 1] - list[i] + 1) << 12,
				.vtl = 1, .prot = prot,
			};

			vmm_vm_ioctl(KVM_SET_VTL_PROTECTION, &p,
				     "KVM_SET_VTL_PROTECTION");
		}
	}
	pthread_mutex_unlock(&vmm.lock);
	v->run->hyperv.u.hcall.result = n << 32;
}

/*
 * The VTL switch done by the VMM: the leaving VTL's live state (RIP past
 * its OUT), the new active VTL, the entered VTL's state made live.
 */
static void vmm_switch(struct vcpu *v, int from, int to)
{
	struct kvm_vsm_state st = { .active_vtl = to, .enabled_vtls = 3 };
	struct kvm_vsm_vtl_state *s = &v->vtl[from];
	uint8_t *insn;

	s->vtl = from;
	vmm_vcpu_ioctl(v, KVM_GET_VSM_VTL_STATE, s, "KVM_GET_VSM_VTL_STATE");
	insn = vmm.mem + s->rip;
	s->rip += insn[0] == 0xe7 || insn[0] == 0xe6 ? 2 : 1;
	v->have_vtl[from] = 1;
	if (!v->have_vtl[to]) {
		v->vtl[to].vtl = to;
		vmm_vcpu_ioctl(v, KVM_GET_VSM_VTL_STATE, &v->vtl[to],
			       "KVM_GET_VSM_VTL_STATE");
		v->have_vtl[to] = 1;
	}
	vmm_vcpu_ioctl(v, KVM_SET_VSM_STATE, &st, "KVM_SET_VSM_STATE");
	vmm_vcpu_ioctl(v, KVM_SET_VSM_VTL_STATE, &v->vtl[to],
		       "KVM_SET_VSM_VTL_STATE");
}

/* Returns 1 when the vCPU is done. */
static int handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	if (run->io.direction != KVM_EXIT_IO_OUT)
		die("vCPU %d: unexpected IN from port 0x%x", v->id, run->io.port);
	switch (run->io.port) {
	case VSM_PORT_CONSOLE:
		for (i = 0; i < run->io.count * run->io.size; i++) {
			if (data[i] == '\n' || v->len == sizeof(v->line) - 1) {
				v->line[v->len] = '\0';
				printf("guest %d: %s\n", v->id, v->line);
				v->len = 0;
			} else {
				v->line[v->len++] = data[i];
			}
		}
		return 0;
	case VSM_PORT_DONE:
		if (*(uint32_t *)data == 0xffff) {
			vmm.boot->error[sizeof(vmm.boot->error) - 1] = '\0';
			fprintf(stderr, "vmm: error: vCPU %d: the guest failed: %s\n",
				v->id, vmm.boot->error);
			exit(1);
		}
		return 1;
	case VSM_PORT_VMM_CALL:
		vmm_switch(v, 0, 1);
		return 0;
	case VSM_PORT_VMM_RETURN:
		vmm_switch(v, 1, 0);
		return 0;
	}
	errno = 0;
	die("vCPU %d: OUT to unknown port 0x%x", v->id, run->io.port);
	return 1;
}

static void *run_vcpu(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EFAULT &&
			    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				/* No VTL took it as an intercept: grant it. */
				struct kvm_vtl_protection p = {
					.address = run->memory_fault.gpa,
					.size = PG, .vtl = 1, .prot = 0xf,
				};

				v->user_faults++;
				vmm_vm_ioctl(KVM_SET_VTL_PROTECTION, &p,
					     "KVM_SET_VTL_PROTECTION");
				continue;
			}
			if (errno == EINTR)
				continue;
			die("vCPU %d: KVM_RUN", v->id);
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (handle_io(v))
				return NULL;
			break;
		case KVM_EXIT_HYPERV:
			if (run->hyperv.type == KVM_EXIT_HYPERV_SYNIC)
				break;
			if (run->hyperv.type == KVM_EXIT_HYPERV_HCALL &&
			    (run->hyperv.u.hcall.input & 0xffff) ==
			    VSM_HCALL_VMM_PROTECT) {
				handle_vmm_protect(v);
				break;
			}
			errno = 0;
			die("vCPU %d: unexpected Hyper-V exit, type %u", v->id,
			    run->hyperv.type);
			break;
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_FAIL_ENTRY:
		case KVM_EXIT_INTERNAL_ERROR: {
			struct kvm_regs regs;

			ioctl(v->fd, KVM_GET_REGS, &regs);
			errno = 0;
			die("vCPU %d: guest crashed (exit reason %u) at RIP 0x%llx",
			    v->id, run->exit_reason, regs.rip);
			break;
		}
		default:
			errno = 0;
			die("vCPU %d: unexpected exit reason %u", v->id,
			    run->exit_reason);
		}
	}
}

static double ns(double cycles)
{
	return cycles * 1e6 / vmm.tsc_khz;
}

static const char * const apply_name[] = { "kernel", "vmm", "memslot" };

static void report_replay(void)
{
	struct vsm_boot *b = vmm.boot;
	uint64_t ic = 0, icc = 0, tr = 0, trc = 0, uf = 0;
	int i;

	for (i = 0; i < vmm.o.vcpus; i++) {
		ic += b->vp[i].intercepts;
		icc += b->vp[i].intercept_cycles;
		tr += b->vp[i].trips;
		trc += b->vp[i].trip_cycles;
		uf += vmm.vcpus[i].user_faults;
	}
	printf("\nVBS boot replay on %d vCPU(s), %ld MiB, guest TSC %u kHz\n",
	       vmm.o.vcpus, vmm.o.mem_mib, vmm.tsc_khz);
	printf("  VTLs enabled          VTL0, VTL1 (partition and every VP)\n");
	printf("  protections applied   %" PRIu64 " pages in %" PRIu64
	       " HvModifyVtlProtectionMask calls (%" PRIu64 " single pages RX, %"
	       PRIu64 " read-only runs)\n", b->protected, b->calls, b->singles,
	       b->runs);
	printf("  time per protection   %.0f ns per page, %.0f ns per call\n",
	       ns(b->protect_cycles) / b->protected,
	       ns(b->protect_cycles) / b->calls);
	printf("  intercepts taken      %" PRIu64 " by VTL1 (%.0f ns each, VTL0's view), %"
	       PRIu64 " denied accesses left to the VMM\n", ic,
	       ic ? ns(icc) / ic : 0, uf);
	printf("  VTL call + return     %.0f ns round trip (%" PRIu64 " timed)\n",
	       tr ? ns(trc) / tr : 0, tr);
	if (vmm.o.json)
		printf("vsm-json: {\"mode\":\"replay\",\"vcpus\":%d,\"pages\":%" PRIu64
		       ",\"calls\":%" PRIu64 ",\"ns_per_page\":%.1f,\"intercepts\":%"
		       PRIu64 ",\"ns_per_intercept\":%.1f,\"trip_ns\":%.1f}\n",
		       vmm.o.vcpus, b->protected, b->calls,
		       ns(b->protect_cycles) / b->protected, ic,
		       ic ? ns(icc) / ic : 0, tr ? ns(trc) / tr : 0);
}

static void report_bench(void)
{
	struct vsm_boot *b = vmm.boot;
	uint32_t i;

	printf("\nVTL protection bench, path '%s': %" PRIu64 " pages per pass (every other page)\n",
	       apply_name[vmm.o.apply], vmm.o.pages);
	printf("  %-6s %-5s %8s %12s %10s %12s\n", "batch", "to", "calls",
	       "ns/call", "ns/page", "pages/s");
	for (i = 0; i < 2 * b->nr_batches; i++) {
		struct vsm_batch_result *r = &b->bench[i];

		printf("  %-6u %-5s %8" PRIu64 " %12.0f %10.0f %12.0f\n",
		       r->batch, r->prot == 1 ? "R" : "RWX", r->calls,
		       ns(r->cycles) / r->calls, ns(r->cycles) / r->pages,
		       r->pages * 1e9 / ns(r->cycles));
		if (vmm.o.json)
			printf("vsm-json: {\"path\":\"%s\",\"batch\":%u,\"to\":\"%s\",\"pages\":%"
			       PRIu64 ",\"calls\":%" PRIu64 ",\"ns_per_page\":%.1f,\"ns_per_call\":%.1f"
			       ",\"cycles_per_page\":%.1f,\"cycles_per_call\":%.1f}\n",
			       apply_name[vmm.o.apply], r->batch,
			       r->prot == 1 ? "R" : "RWX", r->pages, r->calls,
			       ns(r->cycles) / r->pages, ns(r->cycles) / r->calls,
			       (double)r->cycles / r->pages,
			       (double)r->cycles / r->calls);
	}
	if (vmm.o.apply == VSM_APPLY_MEMSLOT)
		printf("  memslot ops %" PRIu64 ", slots in use %d; execute protection cannot be expressed\n",
		       vmm.slot_ops, vmm.nr_slots + 1);
	if (b->vp[0].trips && b->vp[0].vmm_trips && b->vp[0].floor_trips) {
		struct vsm_vp_result *v = &b->vp[0];
		/* Cycles per round trip: in KVM, through the VMM, the floor. */
		double kc = (double)v->trip_cycles / v->trips;
		double vc = (double)v->vmm_trip_cycles / v->vmm_trips;
		double fc = (double)v->floor_trip_cycles / v->floor_trips;

		printf("  VTL call + return     %.0f ns in KVM, %.0f ns through the VMM (%" PRIu64 " each)\n",
		       ns(kc), ns(vc), v->trips);
		printf("  floor: two no-op hypercalls %.0f ns; the round trip in KVM is %.2fx the floor\n",
		       ns(fc), kc / fc);
		if (vmm.o.json)
			printf("vsm-json: {\"trip\":\"kernel\",\"ns\":%.1f,\"cycles\":%.1f}\n"
			       "vsm-json: {\"trip\":\"vmm\",\"ns\":%.1f,\"cycles\":%.1f}\n"
			       "vsm-json: {\"trip\":\"floor\",\"ns\":%.1f,\"cycles\":%.1f}\n",
			       ns(kc), kc, ns(vc), vc, ns(fc), fc);
	}
}

/* The guest's own counts must add up; anything else is a failure. */
static int check_results(void)
{
	struct vsm_boot *b = vmm.boot;
	int i, bad = 0;

	for (i = 0; i < vmm.o.vcpus; i++) {
		if (!b->vp[i].done) {
			fprintf(stderr, "vmm: vCPU %d did not finish\n", i);
			bad = 1;
		}
		if (vmm.o.mode == VSM_MODE_REPLAY &&
		    b->vp[i].intercepts != vmm.o.touches) {
			fprintf(stderr, "vmm: vCPU %d: %" PRIu64 " intercepts, want %" PRIu64 "\n",
				i, b->vp[i].intercepts, vmm.o.touches);
			bad = 1;
		}
		if (!(vmm.o.skip_trips & VSM_TRIPS_KERNEL) &&
		    b->vp[i].trips != vmm.o.trips) {
			fprintf(stderr, "vmm: vCPU %d: %" PRIu64 " round trips, want %" PRIu64 "\n",
				i, b->vp[i].trips, vmm.o.trips);
			bad = 1;
		}
	}
	if (vmm.o.mode == VSM_MODE_REPLAY && b->protected < vmm.o.pages) {
		fprintf(stderr, "vmm: %" PRIu64 " pages protected, want %" PRIu64 "\n",
			b->protected, vmm.o.pages);
		bad = 1;
	}
	return bad;
}

/*
 * vmm --report FILE: the replay's summary from its boot page, saved by
 * QMP's pmemsave after a run under QEMU (make run VMM=qemu), with the
 * same checks as a run of ours.
 */
static int report_saved(const char *path)
{
	static struct vsm_boot b;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		die("cannot open %s", path);
	n = fread(&b, 1, sizeof(b), f);
	fclose(f);
	if (n != sizeof(b)) {
		fprintf(stderr, "vmm: error: %s: %zu bytes, want a boot page of %zu\n",
			path, n, sizeof(b));
		return 1;
	}
	if (b.failed) {
		b.error[sizeof(b.error) - 1] = '\0';
		fprintf(stderr, "vmm: error: the guest failed: %s\n", b.error);
		return 1;
	}
	if (b.mode != VSM_MODE_REPLAY || !b.nr_vcpus ||
	    b.nr_vcpus > VSM_MAX_VCPUS || !b.tsc_khz ||
	    b.tsc_khz > UINT32_MAX || !b.protected ||
	    !b.calls) {
		fprintf(stderr, "vmm: error: %s is not the boot page of a finished replay (mode %u, %u VPs, %" PRIu64 " kHz, %" PRIu64 " calls)\n",
			path, b.mode, b.nr_vcpus, b.tsc_khz, b.calls);
		return 1;
	}
	vmm.boot = &b;
	vmm.o.mode = VSM_MODE_REPLAY;
	vmm.o.vcpus = b.nr_vcpus;
	vmm.o.mem_mib = (b.data_pages * PG + VSM_DATA_GPA) >> 20;
	vmm.o.pages = b.pages;
	vmm.o.touches = b.touches;
	vmm.o.trips = b.trips;
	vmm.tsc_khz = b.tsc_khz;
	vmm.vcpus = calloc(b.nr_vcpus, sizeof(*vmm.vcpus));
	if (!vmm.vcpus)
		die("out of memory");
	report_replay();
	return check_results();
}

/* --- a Linux guest --------------------------------------------------- */

#define UART_BASE	0x3f8
#define LINUX_PORT_VTL	0xf3	/* a CPU asks which VTL it runs in */
#define HCALL_REP_COUNT	(0xfffull << 32)	/* the control's rep count */
#define UART_LSR_IDLE	0x60	/* THR empty, transmitter empty */

/* Enough of a 16550 for a polled console and the 8250 driver's probe. */
static struct {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	char line[512];
	size_t len;
} uart = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void uart_putc(uint8_t c)
{
	if (c == '\r')
		return;
	/* The guest's bytes, not its terminal escapes. */
	if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
		c = '?';
	if (c == '\n' || uart.len == sizeof(uart.line) - 1) {
		uart.line[uart.len] = '\0';
		printf("%s\n", uart.line);
		uart.len = 0;
		if (c == '\n')
			return;
	}
	uart.line[uart.len++] = c;
}

static void uart_out(unsigned int reg, uint8_t v)
{
	int dlab = uart.lcr & 0x80;

	switch (reg) {
	case 0:
		if (dlab)
			uart.dll = v;
		else
			uart_putc(v);
		break;
	case 1:
		if (dlab)
			uart.dlm = v;
		else
			uart.ier = v & 0x0f;
		break;
	case 2:
		uart.fcr = v;
		break;
	case 3:
		uart.lcr = v;
		break;
	case 4:
		uart.mcr = v & 0x1f;
		break;
	case 7:
		uart.scr = v;
		break;
	}
}

static uint8_t uart_in(unsigned int reg)
{
	int dlab = uart.lcr & 0x80;

	switch (reg) {
	case 0:
		return dlab ? uart.dll : 0;
	case 1:
		return dlab ? uart.dlm : uart.ier;
	case 2:		/* no interrupt pending; FIFOs as enabled */
		return 0x01 | (uart.fcr & 1 ? 0xc0 : 0);
	case 3:
		return uart.lcr;
	case 4:
		return uart.mcr;
	case 5:
		return UART_LSR_IDLE;
	case 6:		/* loopback: DTR, RTS, OUT1, OUT2 to DSR, CTS, RI, DCD */
		if (uart.mcr & 0x10)
			return (uart.mcr & 1) << 5 | (uart.mcr & 2) << 3 |
			       (uart.mcr & 4) << 4 | (uart.mcr & 8) << 4;
		return 0xb0;	/* DCD, DSR, CTS */
	default:
		return uart.scr;
	}
}

/* The UART, the exit port; any other port reads as all ones. */
static void linux_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i, n = run->io.count * run->io.size;
	uint16_t port = run->io.port;

	if ((port == VSM_PORT_DONE || port == LINUX_PORT_VTL) &&
	    run->io.direction == KVM_EXIT_IO_OUT) {
		struct kvm_vsm_state st;

		vmm_vcpu_ioctl(v, KVM_GET_VSM_STATE, &st, "KVM_GET_VSM_STATE");
		/*
		 * The VTL the VMM booted, or a higher one, ends the VM; a
		 * lower one is ignored.
		 */
		if (port == VSM_PORT_DONE && st.active_vtl >= vmm.o.start_vtl) {
			pthread_mutex_lock(&uart.lock);
			if (uart.len)
				uart_putc('\n');
			printf("vmm: vCPU %d: the guest's exit status is %u\n",
			       v->id, data[0]);
			fflush(stdout);
			_exit(data[0] ? 1 : 0);
		}
		if (port == VSM_PORT_DONE)
			return;
		pthread_mutex_lock(&uart.lock);
		printf("vmm: vCPU %d runs in VTL%u (VTLs 0x%x enabled)\n", v->id,
		       st.active_vtl, st.enabled_vtls);
		pthread_mutex_unlock(&uart.lock);
		return;
	}
	if (port < UART_BASE || port >= UART_BASE + 8) {
		if (run->io.direction == KVM_EXIT_IO_IN)
			memset(data, 0xff, n);
		return;
	}
	pthread_mutex_lock(&uart.lock);
	for (i = 0; i < n; i++) {
		unsigned int reg = port - UART_BASE;

		if (run->io.size != 1)
			reg += i % run->io.size;
		if (reg >= 8) {
			if (run->io.direction == KVM_EXIT_IO_IN)
				data[i] = 0xff;
			continue;
		}
		if (run->io.direction == KVM_EXIT_IO_OUT)
			uart_out(reg, data[i]);
		else
			data[i] = uart_in(reg);
	}
	pthread_mutex_unlock(&uart.lock);
}

/*
 * The hypercalls KVM leaves to userspace, the extended ones (KVM offers
 * them, EnableExtendedHypercalls): HvExtCallQueryCapabilities answers that
 * none is available, anything else is an unknown code. The VMM writes the
 * answer only for a caller in --max-vtl, the highest VTL the VM can have:
 * a lower VTL's page may be one a higher VTL, on any VP, protects from it,
 * and the VMM does not look up the layers (vsm-guest-access.rst, HV12).
 */
static void linux_ext_hcall(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t control = run->hyperv.u.hcall.input;
	uint64_t out = run->hyperv.u.hcall.params[1];
	struct kvm_vsm_state st;

	if ((control & 0xffff) != HV_EXT_CALL_QUERY_CAPABILITIES) {
		run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_CODE;
		return;
	}
	vmm_vcpu_ioctl(v, KVM_GET_VSM_STATE, &st, "KVM_GET_VSM_STATE");
	if (st.active_vtl != vmm.o.max_vtl) {
		run->hyperv.u.hcall.result = HV_STATUS_ACCESS_DENIED;
		return;
	}
	/* A memory call, no rep count, its output in guest memory. */
	if ((control & (HV_HYPERCALL_FAST_BIT | HCALL_REP_COUNT)) ||
	    (out & 7) || out > vmm.mem_size - 8) {
		run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_INPUT;
		return;
	}
	memset(vmm.mem + out, 0, 8);
	run->hyperv.u.hcall.result = HV_STATUS_SUCCESS;
}

/*
 * A guest that hangs: where each vCPU is, for the log. The VTL it runs
 * in, its registers and its local APIC's pending and in-service vectors.
 */
static void hang_dump(struct vcpu *v)
{
	struct kvm_vsm_state st = { };
	struct kvm_mp_state mp = { };
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	char irr[64] = "", isr[64] = "";
	int i, n = 0, m = 0;

	if (vmm.o.max_vtl)
		vmm_vcpu_ioctl(v, KVM_GET_VSM_STATE, &st, "KVM_GET_VSM_STATE");
	vmm_vcpu_ioctl(v, KVM_GET_REGS, &regs, "KVM_GET_REGS");
	vmm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	vmm_vcpu_ioctl(v, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE");
	vmm_vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS");
	vmm_vcpu_ioctl(v, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC");
	/* IRR at 0x200, ISR at 0x100: eight 32-bit words 16 bytes apart */
	for (i = 0; i < 256; i++) {
		uint32_t w;

		memcpy(&w, lapic.regs + 0x200 + (i / 32) * 16, 4);
		if (w & (1u << (i % 32)) && n < 56)
			n += snprintf(irr + n, sizeof(irr) - n, " %02x", i);
		memcpy(&w, lapic.regs + 0x100 + (i / 32) * 16, 4);
		if (w & (1u << (i % 32)) && m < 56)
			m += snprintf(isr + m, sizeof(isr) - m, " %02x", i);
	}
	pthread_mutex_lock(&uart.lock);
	printf("vmm: vCPU %d hangs in VTL%u: mp_state %u rip 0x%llx rflags 0x%llx rdi 0x%llx cr3 0x%llx, interrupt shadow %u, NMI pending %u, APIC IRR:%s ISR:%s\n",
	       v->id, st.active_vtl, mp.mp_state, regs.rip, regs.rflags,
	       regs.rdi,
	       sregs.cr3, ev.interrupt.shadow, ev.nmi.pending,
	       n ? irr : " -", m ? isr : " -");
	/* Return addresses on its stack, for System.map. */
	fputs("vmm: its stack:", stdout);
	for (i = 0, n = 0; i < 512 && n < 24; i++) {
		struct kvm_translation tr = { .linear_address = regs.rsp + i * 8 };
		uint64_t val;

		if (ioctl(v->fd, KVM_TRANSLATE, &tr) || !tr.valid ||
		    tr.physical_address > vmm.mem_size - 8)
			break;
		memcpy(&val, vmm.mem + tr.physical_address, 8);
		if (val >> 31 == 0x1ffffffffull) {
			printf(" %" PRIx64, val);
			n++;
		}
	}
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&uart.lock);
}

static void sig_nop(int sig)
{
	(void)sig;
}

/*
 * The test's timeout ends the VMM with SIGTERM: the vCPUs leave KVM_RUN
 * (SIGUSR1), print where they are, and the VMM exits as SIGTERM would.
 */
static void *hang_watch(void *arg)
{
	sigset_t set;
	int sig, i;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	vmm.dumping = 1;
	for (i = 0; i < vmm.o.vcpus; i++)
		pthread_kill(vmm.vcpus[i].thread, SIGUSR1);
	sleep(2);
	exit(128 + SIGTERM);
}

static void hang_watch_start(void)
{
	struct sigaction sa = { .sa_handler = sig_nop };
	pthread_t t;
	sigset_t set;

	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, hang_watch, NULL))
		die("pthread_create");
}

static void *run_linux_vcpu(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && vmm.dumping) {
				hang_dump(v);
				pause();
			}
			/* An AP comes out of its wait for a start this way. */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EFAULT &&
			    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				errno = 0;
				die("vCPU %d: a VTL protection denied an access to 0x%llx (flags 0x%llx) and no VTL takes it",
				    v->id, run->memory_fault.gpa,
				    run->memory_fault.flags);
			}
			die("vCPU %d: KVM_RUN", v->id);
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			linux_io(v);
			break;
		case KVM_EXIT_MMIO:
			/* Nothing is there: reads are all ones. */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, run->mmio.len);
			break;
		case KVM_EXIT_HYPERV:
			if (run->hyperv.type == KVM_EXIT_HYPERV_SYNIC)
				break;
			if (run->hyperv.type == KVM_EXIT_HYPERV_HCALL) {
				linux_ext_hcall(v);
				break;
			}
			errno = 0;
			die("vCPU %d: unexpected Hyper-V exit, type %u", v->id,
			    run->hyperv.type);
			break;
		default:
			errno = 0;
			die("vCPU %d: the guest stopped (exit reason %u)", v->id,
			    run->exit_reason);
		}
	}
	return NULL;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     int code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .l = code, .db = !code, .g = 1,
	};
}

/*
 * Each vCPU gets every VTL up to --vtl, as a VMM that owns the higher
 * VTLs enables them before the guest runs; the BSP runs in --vtl, at the
 * bzImage's 64-bit entry. APs wait for INIT and SIPI, or for
 * HvStartVirtualProcessor.
 */
static void create_linux_vcpu(struct vcpu *v, const struct linux_entry *e)
{
	struct kvm_vsm_state st = {
		.active_vtl = v->id ? 0 : vmm.o.start_vtl,
		.enabled_vtls = (1u << (vmm.o.start_vtl + 1)) - 1,
	};
	struct kvm_regs regs = { };
	struct kvm_sregs sregs;

	open_vcpu(v);
	if (vmm.o.start_vtl)
		vmm_vcpu_ioctl(v, KVM_SET_VSM_STATE, &st, "KVM_SET_VSM_STATE");
	if (v->id)
		return;

	vmm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	flat_seg(&sregs.cs, LINUX_SEL_CODE, 0xb, 1);
	flat_seg(&sregs.ds, LINUX_SEL_DATA, 0x3, 0);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb,
					 .present = 1 };
	sregs.ldt = (struct kvm_segment){ .unusable = 1 };
	sregs.gdt.base = LINUX_GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x80050033;		/* PG, AM, WP, NE, ET, MP, PE */
	sregs.cr3 = LINUX_PML4_GPA;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LME, LMA */
	vmm_vcpu_ioctl(v, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	regs.rip = e->rip;
	regs.rsi = e->rsi;
	regs.rsp = e->rsp;
	regs.rflags = 0x2;
	vmm_vcpu_ioctl(v, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

/* Boot --kernel; the guest ends the VMM through port 0xf0. */
static int linux_main(void)
{
	struct kvm_enable_cap vsm = { .cap = KVM_CAP_HYPERV_VSM };
	struct linux_entry e;
	char err[256];
	int i;

	if (linux_load(vmm.o.kernel, vmm.o.initrd, vmm.o.append, vmm.o.vcpus,
		       vmm.mem, vmm.mem_size, &e, err, sizeof(err))) {
		fprintf(stderr, "vmm: error: %s\n", err);
		return 1;
	}
	vmm.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm.kvm < 0)
		die("cannot open /dev/kvm");
	check_caps();
	vmm.vm = ioctl(vmm.kvm, KVM_CREATE_VM, 0);
	if (vmm.vm < 0)
		die("KVM_CREATE_VM");
	vmm_vm_ioctl(KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	vsm.args[0] = vmm.o.max_vtl;
	vmm_vm_ioctl(KVM_ENABLE_CAP, &vsm, "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM)");
	set_slot(MEM_SLOT, 0, vmm.mem_size, 0);

	vmm.run_size = ioctl(vmm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vmm.run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	vmm.vcpus = calloc(vmm.o.vcpus, sizeof(*vmm.vcpus));
	if (!vmm.vcpus)
		die("out of memory");
	for (i = 0; i < vmm.o.vcpus; i++) {
		vmm.vcpus[i].id = i;
		create_linux_vcpu(&vmm.vcpus[i], &e);
	}
	printf("vmm: %s (boot protocol %u.%02u, %" PRIu64 " bytes at 0x%" PRIx64 "), initrd %" PRIu64 " bytes, %d vCPU(s), %ld MiB, VSM up to VTL%d, boot CPU in VTL%d\n",
	       vmm.o.kernel, e.version >> 8, e.version & 0xff, e.kernel_size,
	       e.kernel_gpa, e.initrd_size, vmm.o.vcpus, vmm.o.mem_mib,
	       vmm.o.max_vtl, vmm.o.start_vtl);
	hang_watch_start();
	for (i = 0; i < vmm.o.vcpus; i++)
		if (pthread_create(&vmm.vcpus[i].thread, NULL, run_linux_vcpu,
				   &vmm.vcpus[i]))
			die("pthread_create");
	for (i = 0; i < vmm.o.vcpus; i++)
		pthread_join(vmm.vcpus[i].thread, NULL);
	return 1;
}

int main(int argc, char **argv)
{
	struct kvm_enable_cap vsm = { .cap = KVM_CAP_HYPERV_VSM };
	uint64_t entry, data;
	char err[256];
	int i, r;

	r = vmm_parse_options(argc, argv, &vmm.o, err, sizeof(err));
	if (r == 1) {
		fputs(VMM_USAGE, stdout);
		return 0;
	}
	if (r) {
		fprintf(stderr, "vmm: error: %s\n", err);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vmm.o.report)
		return report_saved(vmm.o.report);

	vmm.mem_size = (uint64_t)vmm.o.mem_mib << 20;
	vmm.mem = mmap(NULL, vmm.mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm.mem == MAP_FAILED)
		die("cannot allocate %ld MiB of guest memory", vmm.o.mem_mib);
	if (vmm.o.kernel)
		return linux_main();
	if (vmm_load_image(vmm.o.image, vmm.mem, vmm.mem_size, &entry, err,
			   sizeof(err))) {
		fprintf(stderr, "vmm: error: %s\n", err);
		return 1;
	}
	vmm.boot = (struct vsm_boot *)(vmm.mem + VSM_BOOT_GPA);
	data = (vmm.mem_size - VSM_DATA_GPA) / PG;
	if (vmm.o.mode == VSM_MODE_BENCH ? 2 * vmm.o.pages > data :
	    vmm.o.touches * vmm.o.vcpus + 1024 > data) {
		fprintf(stderr, "vmm: error: %ld MiB of guest memory is too little for these pages (--mem)\n",
			vmm.o.mem_mib);
		return 2;
	}

	vmm.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm.kvm < 0)
		die("cannot open /dev/kvm");
	check_caps();
	vmm.vm = ioctl(vmm.kvm, KVM_CREATE_VM, 0);
	if (vmm.vm < 0)
		die("KVM_CREATE_VM");
	vmm_vm_ioctl(KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	vsm.args[0] = vmm.o.max_vtl;
	vmm_vm_ioctl(KVM_ENABLE_CAP, &vsm, "KVM_ENABLE_CAP(KVM_CAP_HYPERV_VSM)");
	set_slot(MEM_SLOT, 0, VSM_DATA_GPA, 0);
	set_slot(DATA_SLOT, VSM_DATA_GPA, vmm.mem_size - VSM_DATA_GPA, 0);
	vmm.slots = calloc(MAX_SLOTS, sizeof(*vmm.slots));
	if (!vmm.slots)
		die("out of memory");
	vmm.slots[0] = (struct slot){ VSM_DATA_GPA >> 12, data, DATA_SLOT, 0 };
	vmm.nr_slots = 1;
	vmm.next_id = DATA_SLOT + 1;

	setup_memory(entry);
	vmm.boot->mode = vmm.o.mode;
	vmm.boot->apply = vmm.o.apply;
	vmm.boot->nr_vcpus = vmm.o.vcpus;
	vmm.boot->pages = vmm.o.pages;
	vmm.boot->touches = vmm.o.mode == VSM_MODE_REPLAY ? vmm.o.touches : 0;
	vmm.boot->trips = vmm.o.trips;
	vmm.boot->skip_trips = vmm.o.skip_trips;
	vmm.boot->data_pages = data;
	vmm.boot->seed = vmm.o.seed;
	vmm.boot->nr_batches = VSM_NR_BATCHES;
	vmm.boot->batches[0] = 1;
	vmm.boot->batches[1] = 16;
	vmm.boot->batches[2] = 128;
	vmm.boot->batches[3] = 510;

	vmm.run_size = ioctl(vmm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vmm.run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	vmm.vcpus = calloc(vmm.o.vcpus, sizeof(*vmm.vcpus));
	if (!vmm.vcpus)
		die("out of memory");
	for (i = 0; i < vmm.o.vcpus; i++) {
		vmm.vcpus[i].id = i;
		create_vcpu(&vmm.vcpus[i], entry);
	}
	r = ioctl(vmm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (r <= 0)
		die("KVM_GET_TSC_KHZ");
	vmm.tsc_khz = r;
	printf("vmm: %s, %d vCPU(s), %ld MiB, VSM up to VTL%d, %s\n",
	       vmm.o.image, vmm.o.vcpus, vmm.o.mem_mib, vmm.o.max_vtl,
	       vmm.o.mode == VSM_MODE_BENCH ? "bench" : "VBS boot replay");

	for (i = 0; i < vmm.o.vcpus; i++)
		if (pthread_create(&vmm.vcpus[i].thread, NULL, run_vcpu,
				   &vmm.vcpus[i]))
			die("pthread_create");
	for (i = 0; i < vmm.o.vcpus; i++)
		pthread_join(vmm.vcpus[i].thread, NULL);

	if (vmm.boot->failed) {
		vmm.boot->error[sizeof(vmm.boot->error) - 1] = '\0';
		fprintf(stderr, "vmm: error: the guest failed: %s\n",
			vmm.boot->error);
		return 1;
	}
	if (vmm.o.mode == VSM_MODE_REPLAY)
		report_replay();
	else
		report_bench();
	return check_results();
}
