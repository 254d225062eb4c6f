# SPDX-License-Identifier: GPL-2.0
#
# Generated headers that the kernel's radix-tree harness needs to build
# lib/maple_tree.c and lib/xarray.c in userspace, plus the wrapper that
# lets the store (KSRC's virt/kvm/vtl_store.c) find its header as
# <linux/kvm_vtl_store.h>.
# Shared by tests/unit and tests/bench; needs TOP, KSRC and O.

GEN	:= $(O)/gen/generated/map-shift.h $(O)/gen/generated/bit-length.h \
	   $(O)/gen/generated/autoconf.h $(O)/gen/linux/kvm_vtl_store.h \
	   $(O)/gen/linux/sort.h

.PHONY: ksrc-check
ksrc-check:
	@test -f $(KSRC)/lib/maple_tree.c -a -f $(KSRC)/tools/testing/shared/linux.c || \
		{ echo "KSRC=$(KSRC) is not a kernel source tree"; exit 1; }

$(GEN): | ksrc-check
	@mkdir -p $(O)/gen/generated $(O)/gen/linux
	echo '#define XA_CHUNK_SHIFT 6' > $(O)/gen/generated/map-shift.h
	echo '#define CONFIG_64BIT 1' > $(O)/gen/generated/bit-length.h
	cp $(KSRC)/tools/testing/shared/autoconf.h $(O)/gen/generated/autoconf.h
	echo '#include "$(KSRC)/include/linux/kvm_vtl_store.h"' > $(O)/gen/linux/kvm_vtl_store.h
	echo '#include "$(KSRC)/include/linux/sort.h"' > $(O)/gen/linux/sort.h
