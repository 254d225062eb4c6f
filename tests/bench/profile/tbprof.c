// SPDX-License-Identifier: GPL-2.0
/*
 * tbprof: a QEMU TCG plugin that counts, for each translation block of
 * the emulated machine, its instructions and how often it ran, and
 * writes "PC INSNS EXECS" lines (hex, decimal, decimal) at exit. Mapped
 * to the test VM kernel's symbols (tests/rig/profile.sh), that is the
 * instructions each kernel function executed.
 *
 *   qemu-system-x86_64 -plugin tbprof.so,out=FILE ...
 *
 * A block left early, by an exception or an interrupt, counts in full:
 * the counts are close, not exact, and compare best between runs that
 * differ in one thing (tests/rig/profile.sh runs each path twice).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t pc;
	uint64_t insns;
	uint64_t execs;
};

static GHashTable *blocks;	/* "pc:insns" -> struct block */
static GMutex lock;
static char *out_path;

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	size_t insns = qemu_plugin_tb_n_insns(tb);
	char *key = g_strdup_printf("%" PRIx64 ":%zu", pc, insns);
	struct block *b;

	g_mutex_lock(&lock);
	b = g_hash_table_lookup(blocks, key);
	if (b) {
		g_free(key);
	} else {
		b = g_new0(struct block, 1);
		b->pc = pc;
		b->insns = insns;
		g_hash_table_insert(blocks, key, b);
	}
	g_mutex_unlock(&lock);
	/* Blocks are never freed: the counter outlives each translation. */
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
}

static void write_block(gpointer key, gpointer value, gpointer file)
{
	const struct block *b = value;

	if (b->execs)
		fprintf(file, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->pc,
			b->insns, b->execs);
}

static void at_exit(qemu_plugin_id_t id, void *unused)
{
	FILE *f = fopen(out_path, "w");

	if (!f) {
		perror(out_path);
		return;
	}
	g_mutex_lock(&lock);
	g_hash_table_foreach(blocks, write_block, f);
	g_mutex_unlock(&lock);
	fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = g_strdup(argv[i] + 4);
	if (!out_path) {
		fprintf(stderr, "tbprof: give out=FILE\n");
		return -1;
	}
	blocks = g_hash_table_new(g_str_hash, g_str_equal);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
