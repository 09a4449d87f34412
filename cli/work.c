/* SPDX-License-Identifier: MIT */
/*
 * work.c - the shared work cursor.  The item list is built before fork
 * and inherited read-only; only the cursor, the progress counter and the
 * error slot live in a shared anonymous mapping.  Workers take items in
 * order with one fetch-add each, so whole small files and byte ranges
 * of big files keep every worker busy until the list runs out.
 *
 * C11 atomics on a MAP_SHARED mapping work across processes only when
 * they are lock-free, which the _Static_asserts check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "work.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int atomics must be lock-free");

int work_shared_map(struct work *w)
{
	void *p = mmap(NULL, sizeof(*w->sh), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	w->sh = p;
	atomic_init(&w->sh->next, 0);
	atomic_init(&w->sh->done, 0);
	atomic_init(&w->sh->failed, 0);
	atomic_init(&w->sh->ready, 0);
	atomic_init(&w->sh->skipped, 0);
	atomic_init(&w->sh->items_done, 0);
	atomic_init(&w->sh->blocks_shared, 0);
	return 0;
}

void work_shared_unmap(struct work *w)
{
	if (w->sh)
		munmap(w->sh, sizeof(*w->sh));
	w->sh = NULL;
	if (w->blocks)
		munmap(w->blocks, w->split_bytes);
	w->blocks = NULL;
	w->block_data = NULL;
	w->nblocks = 0;
}

long work_next(struct work *w)
{
	uint64_t i;

	if (work_failed(w))
		return -1;
	/* ORDER: relaxed.  The items are immutable after fork; the cursor
	 * only has to hand each index out once, which the RMW does. */
	i = atomic_fetch_add_explicit(&w->sh->next, 1, memory_order_relaxed);
	return i < w->nitems ? (long)i : -1;
}

void work_item_done(struct work *w)
{
	/* ORDER: release.  An item ends after its reader has published
	 * its last block (the release store of SPLIT_FULL, before this in
	 * program order); pairs with the acquire load in
	 * work_items_all_done(), after which a scan of the blocks sees it. */
	atomic_fetch_add_explicit(&w->sh->items_done, 1, memory_order_release);
}

int work_items_all_done(const struct work *w)
{
	/* ORDER: acquire; see work_item_done(). */
	return atomic_load_explicit(&w->sh->items_done, memory_order_acquire) >=
	       w->nitems;
}

void work_fail(struct work *w, int code, const char *what, const char *fmt, ...)
{
	va_list ap;
	int zero = 0;

	/* ORDER: acq_rel.  The first worker to fail writes the message;
	 * the others keep quiet, so the user sees one line. */
	if (!atomic_compare_exchange_strong_explicit(&w->sh->failed, &zero, 1,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return;
	w->sh->code = code;
	snprintf(w->sh->what, sizeof(w->sh->what), "%s", what ? what : "");
	va_start(ap, fmt);
	vsnprintf(w->sh->msg, sizeof(w->sh->msg), fmt, ap);
	va_end(ap);
	/* ORDER: release.  Publishes code/what/msg above; pairs with the
	 * acquire load of ready in cmd_count.c before they are printed. */
	atomic_store_explicit(&w->sh->ready, 1, memory_order_release);
}

int work_failed(const struct work *w)
{
	/* ORDER: relaxed.  Only a hint to stop taking items early. */
	return atomic_load_explicit(&w->sh->failed, memory_order_relaxed);
}

void work_progress(struct work *w, uint64_t bytes)
{
	/* ORDER: relaxed.  A progress figure; nothing is derived from it
	 * but the display and the --size suggestion. */
	atomic_fetch_add_explicit(&w->sh->done, bytes, memory_order_relaxed);
}

void work_free(struct work *w)
{
	for (size_t i = 0; i < w->nin; i++)
		free(w->in[i].path);
	free(w->in);
	free(w->items);
	work_shared_unmap(w);
}
