// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for virt/kvm/vtl_store.c: the input bytes choose a
 * sequence of operations, which run on the store and on the reference
 * model of vtl_model.c (small windows, so each input is fast).  The first
 * byte also picks an allocation failure rate.  A mismatch aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/radix-tree.h>

#include "vtl_model.h"

static struct model m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const u64 ws[MODEL_NWIN] = { 0, 300, KVM_VTL_GFN_MAX - 63 };
	static const u64 wl[MODEL_NWIN] = { 256, 64, 64 };

	if (model_harness_init())
		return 1;
	if (model_init(&m, ws, wl))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct model_src s = { .data = data, .len = size };
	unsigned int ops = 0;
	int ret = 0;

	m.trace = getenv("VTL_TRACE");
	m.fail_rate = src_bits(&s, 8) < 32 ? 3 + src_below(&s, 8) : 0;
	model_fail_state = 1 + size;
	model_reset(&m, &s);
	while (!s.done && !ret && ops++ < 2000)
		ret = model_step(&m, &s);
	if (!ret)
		ret = model_verify(&m);
	kvm_vtl_layer_destroy(&m.layer);
	if (ret) {
		fprintf(stderr, "store_fuzz: op %u: %s\n", ops, m.msg);
		abort();
	}
	return 0;
}
