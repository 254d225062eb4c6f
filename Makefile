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

.PHONY: all run check check-unit check-kvm deps deps-unit tree kernel headers \
	selftests vmm series tree-reset bench-store bench-mmu bench-hcall clean distclean help

all: kernel vmm

help:
	@echo "make run          boot our kernel under QEMU and run the VMM demo"
	@echo "make check        all tests: unit tier, kernel build, selftests in the test VM"
	@echo "make check-unit   userspace unit tests only (seconds)"
	@echo "make check-kvm ONLY=\"a b\"   just these selftests of tests/kvm/TESTS"
	@echo "make check KCONFIG=debug   the same on a KASAN/lockdep kernel"
	@echo "make kernel       prepare build/linux (series applied) and build bzImage"
	@echo "make series       export build/linux's commits to kernel/patches + kernel/series"
	@echo "make tree-reset   drop build/linux's commits and changes, re-apply kernel/"
	@echo "make bench-store  the attribute-store benchmark (userspace)"
	@echo "make bench-mmu    the cost of VSM on KVM's fault path (test VM)"
	@echo "make bench-hcall  in-kernel HvModifyVtlProtectionMask and VTL switch (test VM)"

deps:
	@$(RIG)/deps.sh kernel unit

deps-unit:
	@$(RIG)/deps.sh unit

tree: deps
	@$(TOP)/kernel/tree.sh prepare

kernel: tree
	@$(TOP)/kernel/tree.sh build

headers: kernel
	@$(TOP)/kernel/tree.sh headers

selftests: headers
	@$(RIG)/selftests.sh

vmm: headers
	@mkdir -p $(BUILD)/vmm
	@echo "==> vmm: building build/vmm/vmm"
	@gcc -O2 -Wall -Wextra -Werror -static -isystem $(KOUT)/usr/include \
		-o $(BUILD)/vmm/vmm $(TOP)/vmm/vmm.c

check-unit: deps-unit
	@$(TOP)/kernel/tree.sh prepare
	@echo "==> unit: tests/unit (store model test, ASan build, libFuzzer; rig report)"
	@$(MAKE) -s -C tests/unit check KSRC=$(KTREE)
	@$(TOP)/tests/unit/rig_report_test.sh

bench-store: deps-unit
	@$(RIG)/deps.sh bench
	@$(TOP)/kernel/tree.sh prepare
	@$(MAKE) -s -C tests/bench store KSRC=$(KTREE)

check-kvm: selftests
	@ONLY="$(ONLY)" $(RIG)/vm.sh check

# The unit tier runs first: it takes seconds and needs no kernel build.
check: deps
	@$(MAKE) -s check-unit
	@$(MAKE) -s check-kvm

bench-mmu: selftests
	@ONLY=vsm_mmu_bench $(RIG)/vm.sh bench

bench-hcall: selftests
	@ONLY=vsm_hcall_bench $(RIG)/vm.sh bench

RUN_ARGS ?= --vcpus 2

run: kernel vmm
	@RUN_ARGS="$(RUN_ARGS)" $(RIG)/vm.sh run

series:
	@$(TOP)/kernel/tree.sh series

tree-reset:
	@$(TOP)/kernel/tree.sh reset

clean:
	rm -rf $(BUILD)/selftests-* $(BUILD)/initramfs-* $(BUILD)/vmm $(BUILD)/unit $(BUILD)/bench $(BUILD)/logs

distclean:
	rm -rf $(BUILD)
