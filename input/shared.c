/* SPDX-License-Identifier: MIT */
/*
 * shared.c - what the workers of a job share: the cursor over its
 * items, progress, tallies and the first failure.  The item list is
 * built before fork and inherited read-only; only the cursor, the
 * counters and the error slot live in a shared anonymous mapping.  Workers take items in
 * order with one fetch-add each, so whole small files and byte ranges
 * of big files keep every worker busy until the list runs out.
 *
 * C11 atomics on a MAP_SHARED mapping work across processes only when
 * they are lock-free, which the _Static_asserts check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hci_internal.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int atomics must be lock-free");

int hci__shared_map(struct hci_job *w)
{
	void *p = mmap(NULL, sizeof(*w->sh), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return HC_EIO;
	w->sh = p;
	atomic_init(&w->sh->next, 0);
	atomic_init(&w->sh->done, 0);
	atomic_init(&w->sh->failed, 0);
	atomic_init(&w->sh->ready, 0);
	atomic_init(&w->sh->skipped, 0);
	atomic_init(&w->sh->added, 0);
	atomic_init(&w->sh->items_done, 0);
	atomic_init(&w->sh->blocks_shared, 0);
	return HC_OK;
}

void hci__shared_unmap(struct hci_job *w)
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

long hci_job_next(hci_job *w)
{
	uint64_t i;

	if (hci_job_failed(w))
		return -1;
	/* ORDER: relaxed.  The items are immutable after fork; the cursor
	 * only has to hand each index out once, which the RMW does. */
	i = atomic_fetch_add_explicit(&w->sh->next, 1, memory_order_relaxed);
	return i < w->nitems ? (long)i : -1;
}

void hci_job_item_done(hci_job *w)
{
	/* ORDER: release.  An item ends after its reader has published
	 * its last block (the release store of SPLIT_FULL, before this in
	 * program order); pairs with the acquire load in
	 * hci__items_all_done(), after which a scan of the blocks sees it. */
	atomic_fetch_add_explicit(&w->sh->items_done, 1, memory_order_release);
}

int hci__items_all_done(const struct hci_job *w)
{
	/* ORDER: acquire; see hci_job_item_done(). */
	return atomic_load_explicit(&w->sh->items_done, memory_order_acquire) >=
	       w->nitems;
}

int hci__fail(struct hci_job *w, int code, const char *what, const char *fmt,
	      ...)
{
	va_list ap;
	int zero = 0, e = errno;

	/* ORDER: acq_rel.  The first worker to fail writes the message;
	 * the others keep quiet, so the user sees one line. */
	if (!atomic_compare_exchange_strong_explicit(&w->sh->failed, &zero, 1,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return code;
	w->sh->code = code;
	snprintf(w->sh->what, sizeof(w->sh->what), "%s", what ? what : "");
	va_start(ap, fmt);
	vsnprintf(w->sh->msg, sizeof(w->sh->msg), fmt, ap);
	va_end(ap);
	/* ORDER: release.  Publishes code/what/msg above; pairs with the
	 * acquire load of ready in hci_job_error(). */
	atomic_store_explicit(&w->sh->ready, 1, memory_order_release);
	errno = e;
	return code;
}

void hci_job_fail(hci_job *w, int code, const char *what)
{
	hci__fail(w, code, what, "%s", hci_strerror(code));
}

int hci_job_error(const hci_job *w, int *code, const char **what,
		  const char **msg)
{
	/* ORDER: acquire.  Pairs with the release store in hci__fail(). */
	int ready = atomic_load_explicit(&w->sh->ready, memory_order_acquire);

	*code = ready ? w->sh->code : 0;
	*what = ready ? w->sh->what : "";
	*msg = ready ? w->sh->msg : "";
	return ready;
}

int hci_job_failed(const hci_job *w)
{
	/* ORDER: relaxed.  Only a hint to stop taking items early. */
	return atomic_load_explicit(&w->sh->failed, memory_order_relaxed);
}

void hci__progress(struct hci_job *w, uint64_t bytes)
{
	/* ORDER: relaxed.  A progress figure; nothing is derived from it
	 * but the display and the --size suggestion. */
	atomic_fetch_add_explicit(&w->sh->done, bytes, memory_order_relaxed);
}

void hci_job_tally(hci_job *w, uint64_t skipped, uint64_t added)
{
	/* ORDER: relaxed.  Sums read by the parent after waitpid(). */
	atomic_fetch_add_explicit(&w->sh->skipped, skipped,
				  memory_order_relaxed);
	/* ORDER: relaxed; as skipped. */
	atomic_fetch_add_explicit(&w->sh->added, added, memory_order_relaxed);
}

int hci_job_stats(const hci_job *w, hci_stats *st)
{
	if (!st || st->size < sizeof(*st))
		return HC_EINVAL;
	st->inputs = w->nin;
	st->items = w->nitems;
	st->total = w->total;
	st->have_stdin = w->have_stdin;
	st->blocks = w->nblocks;
	/* ORDER: relaxed, each of these: figures for the display and for
	 * the parent after waitpid(), which orders them itself. */
	st->done = atomic_load_explicit(&w->sh->done, memory_order_relaxed);
	/* ORDER: relaxed; as done. */
	st->skipped =
		atomic_load_explicit(&w->sh->skipped, memory_order_relaxed);
	/* ORDER: relaxed; as done. */
	st->added = atomic_load_explicit(&w->sh->added, memory_order_relaxed);
	/* ORDER: relaxed; as done. */
	st->blocks_shared = atomic_load_explicit(&w->sh->blocks_shared,
						 memory_order_relaxed);
	return HC_OK;
}

int hci_job_input(const hci_job *w, size_t i, hci_input *in)
{
	if (!in || in->size < sizeof(*in) || i >= w->nin)
		return HC_EINVAL;
	in->path = w->in[i].path;
	in->stream = w->in[i].stream;
	in->comp = w->in[i].comp;
	in->fmt = w->in[i].fmt;
	in->bytes = w->in[i].size;
	in->expand = w->in[i].expand;
	return HC_OK;
}
