# SPDX-License-Identifier: GPL-2.0
#
# VSM-on-KVM: `make run` is the main job, `make check` runs every test.
# Both install what they need through apt. See README.md.

TOP := $(abspath .)
BUILD := $(TOP)/build
KCONFIG ?= normal
KTREE := $(BUILD)/linux
KOUT := $(KTREE)/out-$(KCONFIG)
export KCONFIG BUILD

RIG := $(TOP)/tests/rig

.PHONY: all run check check-unit check-kvm check-qemu-tcg check-libvirt deps deps-unit deps-qemu deps-libvirt qemu libvirt \
	libvirt-capsprobe stage tree kernel headers \
	selftests vmm vtl2-guest qemu-guest series tree-reset bench bench-store bench-mmu bench-hcall bench-dma bench-profile clean distclean help \
	bisect-build rebase am-check

all: kernel vmm

help:
	@echo "make run          boot our kernel under QEMU; libvirt starts a domain with"
	@echo "                  <vsm state='on'/> that runs the VBS boot replay on our QEMU"
	@echo "                  (VMM=qemu: the replay under our QEMU alone; VMM=vmm: our VMM)"
	@echo "make check        all tests: unit tier, kernel build, libvirt's tests, selftests,"
	@echo "                  QEMU and libvirt tests in the test VM"
	@echo "make check-unit   userspace unit tests only (seconds)"
	@echo "make check-kvm ONLY=\"a b\"   just these selftests of tests/kvm/TESTS"
	@echo "make check KCONFIG=debug   the same on a KASAN/lockdep kernel"
	@echo "make kernel       prepare build/linux (series applied) and build bzImage"
	@echo "make qemu         qemu-system-x86_64 from the pinned Debian source and vmm/qemu/series"
	@echo "make qemu-guest   the multiboot guests of tests/qemu (and of make run VMM=qemu)"
	@echo "make stage        QEMU's and libvirt's files for the test VM (what make run needs)"
	@echo "make libvirt      libvirt from the pinned Debian source and vmm/libvirt/series"
	@echo "make check-libvirt  libvirt's own tests of what our series touches"
	@echo "make check-qemu-tcg our QEMU's CPU-model tests (GMET), under TCG (seconds)"
	@echo "make libvirt-capsprobe  regenerate libvirt's QEMU 7.2.0 capability data from our QEMU (test VM)"
	@echo "make vtl2-guest   build the VTL2 guest: upstream Linux in Hyper-V VTL mode, its initramfs"
	@echo "make series       export build/linux's commits to kernel/patches + kernel/series"
	@echo "make tree-reset   drop build/linux's commits and changes, re-apply kernel/"
	@echo "make rebase VERSION=V   move the series and kernel/base onto Debian version V"
	@echo "make bisect-build build each patch of the series in turn (bzImage, its selftests)"
	@echo "make am-check     git am kernel/patches onto a fresh extract: the tree under test?"
	@echo "make bench        VTL protection microbenchmarks: in KVM, through the VMM, memslot churn (JSON, PNG)"
	@echo "make bench-store  the attribute-store benchmark (userspace)"
	@echo "make bench-mmu    the cost of VSM on KVM's fault path (test VM)"
	@echo "make bench-hcall  in-kernel HvModifyVtlProtectionMask and VTL switch (test VM)"
	@echo "make bench-dma    what checking device DMA against VTL0 costs QEMU (test VM)"
	@echo "make bench-profile the instructions of a VTL round trip per kernel function"

deps:
	@$(RIG)/deps.sh kernel unit

deps-unit:
	@$(RIG)/deps.sh unit

deps-qemu:
	@$(RIG)/deps.sh qemu

# qemu-system-x86_64 from the pinned Debian source and vmm/qemu/series.
qemu: deps-qemu
	@$(TOP)/vmm/qemu/tree.sh prepare
	@$(TOP)/vmm/qemu/tree.sh build

deps-libvirt:
	@$(RIG)/deps.sh libvirt

# libvirt from the pinned Debian source and vmm/libvirt/series, installed
# into build/libvirt-root for the test VM.
libvirt: deps-libvirt
	@$(TOP)/vmm/libvirt/tree.sh prepare
	@$(TOP)/vmm/libvirt/tree.sh build

check-libvirt: libvirt
	@$(TOP)/vmm/libvirt/tree.sh test

# A maintainer's step: libvirt's qemucapsprobe on our QEMU in the test VM
# rewrites the 7.2.0 capability data in build/libvirt (then commit it).
libvirt-capsprobe: libvirt stage
	@$(TOP)/vmm/libvirt/tree.sh capsprobe

tree: deps
	@$(TOP)/kernel/tree.sh prepare

kernel: tree
	@$(TOP)/kernel/tree.sh build

bisect-build: kernel
	@$(TOP)/kernel/bisect.sh

headers: kernel
	@$(TOP)/kernel/tree.sh headers

selftests: headers vmm vtl2-guest qemu qemu-guest libvirt
	@$(RIG)/selftests.sh

stage: headers vmm qemu qemu-guest libvirt
	@$(RIG)/selftests.sh stage

# The VTL2 guest of tests/kvm/vmm_vtl2_linux_test: upstream Linux of the
# same tree in Hyper-V VTL mode, and its initramfs.
vtl2-guest: tree
	@$(TOP)/kernel/tree.sh guest
	@$(RIG)/vtl2-initrd.sh

# The VMM, static for the test VM, and its guest: a flat image at 1 MiB.
FLAT_CFLAGS := -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -nostdlib -static -no-pie \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
GUEST_CFLAGS := $(FLAT_CFLAGS) -Wl,-T,$(TOP)/vmm/guest/guest.lds

# The TLFS layouts and x86 accessors come from the KVM selftests' headers
# (include/x86_64/hyperv.h, processor.h), header only; they are -Wall clean.
KSELFTESTS := $(KTREE)/tools/testing/selftests
SELFTEST_INC := -D_GNU_SOURCE -I$(KSELFTESTS) -I$(KSELFTESTS)/kvm/include \
	-I$(KSELFTESTS)/kvm/include/x86_64 -I$(KTREE)/tools/include \
	-I$(KTREE)/tools/arch/x86/include -isystem $(KOUT)/usr/include \
	-Wno-unused-parameter -Wno-sign-compare

vmm: headers
	@mkdir -p $(BUILD)/vmm
	@echo "==> vmm: building build/vmm/vmm and build/vmm/replay.bin"
	@gcc -O2 -Wall -Wextra -Werror -static -pthread $(SELFTEST_INC) \
		-I$(TOP)/vmm \
		-o $(BUILD)/vmm/vmm $(TOP)/vmm/vmm.c $(TOP)/vmm/options.c \
		$(TOP)/vmm/linux_boot.c
	@gcc $(GUEST_CFLAGS) $(SELFTEST_INC) -o $(BUILD)/vmm/replay.elf \
		$(TOP)/vmm/guest/replay.c
	@objcopy -O binary $(BUILD)/vmm/replay.elf $(BUILD)/vmm/replay.bin

# The guests of tests/qemu: multiboot images for QEMU's -kernel. The
# replay's (qemu_replay_test, make run VMM=qemu) is vmm/guest/replay.c
# behind the multiboot entry of vmm/guest/qemu_boot.c.
qemu-guest: headers
	@mkdir -p $(BUILD)/qemu-guest
	@echo "==> qemu-guest: building build/qemu-guest/vsm_guest.bin and replay_qemu.bin"
	@gcc $(FLAT_CFLAGS) -Wl,-T,$(TOP)/tests/qemu/guest.lds $(SELFTEST_INC) \
		-I$(TOP)/vmm/guest -o $(BUILD)/qemu-guest/vsm_guest.elf \
		$(TOP)/tests/qemu/multiboot.S $(TOP)/tests/qemu/vsm_guest.c
	@objcopy -O binary $(BUILD)/qemu-guest/vsm_guest.elf \
		$(BUILD)/qemu-guest/vsm_guest.bin
	@gcc $(FLAT_CFLAGS) -Wl,-T,$(TOP)/tests/qemu/guest.lds $(SELFTEST_INC) \
		-o $(BUILD)/qemu-guest/replay_qemu.elf $(TOP)/tests/qemu/multiboot.S \
		$(TOP)/vmm/guest/qemu_boot.c $(TOP)/vmm/guest/replay.c
	@objcopy -O binary $(BUILD)/qemu-guest/replay_qemu.elf \
		$(BUILD)/qemu-guest/replay_qemu.bin

check-unit: deps-unit
	@$(TOP)/kernel/tree.sh prepare
	@echo "==> unit: tests/unit (store model test, ASan build, libFuzzer; rig report, pins, am-check, VM runner)"
	@$(MAKE) -s -C tests/unit check KSRC=$(KTREE)
	@$(TOP)/tests/unit/rig_report_test.sh
	@$(TOP)/tests/unit/pin_test.sh
	@$(TOP)/tests/unit/am_check_test.sh
	@$(TOP)/tests/unit/job_check_test.sh

bench-store: deps-unit
	@$(RIG)/deps.sh bench
	@$(TOP)/kernel/tree.sh prepare
	@$(MAKE) -s -C tests/bench store KSRC=$(KTREE)

check-kvm: selftests qemu
	@ONLY="$(ONLY)" $(RIG)/vm.sh check

# Our QEMU's CPU-model tests (QEMU's tests/tcg/x86_64/system), on this
# machine under TCG: the test VM's CPU is that model.
check-qemu-tcg: qemu
	@echo "==> qemu-tcg: tests/tcg/x86_64/system of our QEMU, under TCG"
	@$(TOP)/tests/qemu/tcg_system_test.sh

# The unit tier runs first: it takes seconds and needs no kernel build.
check: deps
	@$(RIG)/deps.sh news
	@$(MAKE) -s check-unit
	@$(MAKE) -s am-check
	@$(MAKE) -s check-libvirt
	@$(MAKE) -s check-qemu-tcg
	@$(MAKE) -s check-kvm

# git am of kernel/patches onto a fresh extract gives the tree under test.
am-check: tree
	@$(TOP)/kernel/tree.sh am-check

bench-mmu: selftests qemu
	@ONLY=vsm_mmu_bench $(RIG)/vm.sh bench

bench-hcall: selftests qemu
	@ONLY=vsm_hcall_bench $(RIG)/vm.sh bench

# The cost of checking device DMA against VTL0's protections in QEMU, in
# instructions (RIG_ICOUNT=1: repeatable, where wall time under TCG is not).
# Per function of the kernel, the instructions of a VTL call and return in
# KVM against the floor (tests/rig/profile.sh); PROFILE_TRIPS=N.
bench-profile: kernel vmm qemu
	@$(RIG)/deps.sh bench
	@$(RIG)/profile.sh

bench-dma: selftests qemu
	@RIG_ICOUNT=1 ONLY=qemu_dma_bench $(RIG)/vm.sh bench

RUN_ARGS ?= --vcpus 2

# make bench: one boot of the test VM, the three paths of a protection
# change and the two VTL switches; the memslot path is bounded by KVM's
# memslots and by its cost, so it runs on fewer pages.
BENCH_PAGES ?= 100000
BENCH_MEMSLOT_PAGES ?= 2000
BENCH_TRIPS ?= 1000
BENCH_JOB := vmm --vcpus 1 --json --bench kernel --pages $(BENCH_PAGES) \
		--trips $(BENCH_TRIPS) /rig/bin/replay.bin; \
	vmm --vcpus 1 --json --bench vmm --pages $(BENCH_PAGES) --trips 0 \
		/rig/bin/replay.bin; \
	vmm --vcpus 1 --json --bench memslot --pages $(BENCH_MEMSLOT_PAGES) \
		--trips 0 /rig/bin/replay.bin

# By default the replay runs in a libvirt domain whose XML turns VSM on
# (tests/libvirt/libvirt_vsm_test --run); VMM=qemu: under our QEMU alone
# (tests/qemu/qemu_replay_test --run); VMM=vmm: under our VMM. stage puts
# the test VM's files of the first two in place, without the selftests.
VMM ?= libvirt
run: kernel vmm qemu $(if $(filter qemu libvirt,$(VMM)),stage)
	@VMM="$(VMM)" RUN_ARGS="$(RUN_ARGS)" $(RIG)/vm.sh run

# BENCH_MODE=wall: the test VM's clock is the host's, times in ns;
# icount: it counts instructions (RIG_ICOUNT=1), repeatable whatever the
# host's load and TCG's cost of a world switch; both (default): one boot
# each, one report.
BENCH_MODE ?= both
BENCH_CLOCKS := $(if $(filter both,$(BENCH_MODE)),wall icount,$(BENCH_MODE))
bench: kernel vmm qemu
	@$(RIG)/deps.sh bench
	@for c in $(BENCH_CLOCKS); do \
		case $$c in wall) i=0 ;; icount) i=1 ;; *) echo "error: BENCH_MODE is wall, icount or both" >&2; exit 1 ;; esac; \
		RIG_ICOUNT=$$i VMM_BUDGET=1500 VMM_JOB="$(BENCH_JOB)" $(RIG)/vm.sh run || exit 1; \
		cp $(BUILD)/logs/vm-run-$(KCONFIG).log $(BUILD)/logs/bench-$$c.log; \
	done
	@$(RIG)/bench-report.sh $(BUILD)/bench $(foreach c,$(BENCH_CLOCKS),$(c)=$(BUILD)/logs/bench-$(c).log)

series:
	@$(TOP)/kernel/tree.sh series

tree-reset:
	@$(TOP)/kernel/tree.sh reset

# Move the kernel base: Documentation/rig.rst, "Moving a pinned base".
# VERSION is ours: the kernel's Makefile must not inherit it.
MAKEOVERRIDES := $(filter-out VERSION=%,$(MAKEOVERRIDES))
rebase: deps
	@$(TOP)/kernel/tree.sh rebase "$(VERSION)"

clean:
	rm -rf $(BUILD)/selftests-* $(BUILD)/initramfs-* $(BUILD)/vmm $(BUILD)/unit $(BUILD)/bench $(BUILD)/logs \
		$(BUILD)/vtl2-guest

distclean:
	rm -rf $(BUILD)
