/* SPDX-License-Identifier: MIT */
/*
 * work.h - the inputs of a count run, cut into work items, and the
 * state the workers share: a cursor over the items, progress, and the
 * first error.
 */
#ifndef HC_WORK_H
#define HC_WORK_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"

struct input {
	char *path; /* "-" for standard input */
	int stream; /* read whole, in order (gzip, stdin, pipes) */
	int fmt; /* DNA: enum seq_fmt of a plain file */
	uint64_t size; /* bytes on disk; 0 if unknown */
	unsigned expand; /* compressed: a guess of plain bytes per byte */
};

struct item {
	uint32_t input;
	uint64_t start, end; /* byte range of a plain file */
};

struct work_shared {
	/* ORDER: each of these is touched by a few atomics per work item,
	 * never in the hot loop. */
	atomic_uint_fast64_t next; /* next item to hand out */
	atomic_uint_fast64_t done; /* input bytes consumed */
	atomic_int failed; /* 0, or 1 once an error is claimed */
	atomic_int ready; /* 1 once the error text is written */
	atomic_uint_fast64_t skipped; /* hck_tok_skipped*() of the workers */
	atomic_uint_fast64_t added; /* hck_sink_added() of the workers */
	atomic_uint_fast64_t items_done; /* items run to their end */
	atomic_uint_fast64_t blocks_shared; /* blocks counted by a worker
					     * other than their reader */
	int code; /* HC_E* code, or 0 for a system error */
	char what[1024];
	char msg[512];
};

/*
 * A block of whole DNA records that the reader of a stream hands to the
 * other workers (input.c, "DNA streams split between the workers").
 * state: SPLIT_FREE -> SPLIT_FILLING (the reader) -> SPLIT_FULL ->
 * SPLIT_BUSY (a worker counting it) -> SPLIT_FREE.
 */
enum { SPLIT_FREE, SPLIT_FILLING, SPLIT_FULL, SPLIT_BUSY };

struct split_block {
	atomic_int state;
	int fmt; /* enum hck_seq_fmt of the stream */
	uint64_t len; /* bytes of records */
	pid_t by; /* the reader that filled it */
};

struct work {
	struct input *in;
	size_t nin;
	struct item *items;
	size_t nitems;
	uint64_t total; /* sum of known sizes */
	int have_stdin;
	struct work_shared *sh; /* MAP_SHARED | MAP_ANONYMOUS */
	/* Blocks of split DNA streams (none: nblocks 0): headers, then
	 * nblocks x block_bytes of data, in one shared mapping. */
	struct split_block *blocks;
	unsigned char *block_data;
	unsigned nblocks;
	size_t block_bytes;
	size_t split_bytes; /* size of that mapping */
	int split_wait; /* testing: a reader waits for a free block (one
			 * stream only: readers waiting on each other stall) */
};

/* input.c */
int work_add_input(struct work *w, const char *path, int tokens,
		   uint64_t chunk);
int work_item_run(struct work *w, size_t idx, hck_tok *tk);

/* Let the readers of DNA streams share their records with the other
 * workers (before fork; nothing to do for fewer than 2 workers). */
int work_split_map(struct work *w, unsigned nworkers, int tokens);
/* After the last item: count the blocks of split streams until every
 * item has ended.  0, or -1 after a failure (reported). */
int work_split_drain(struct work *w, hck_tok *tk);

/* work.c */
int work_shared_map(struct work *w);
void work_shared_unmap(struct work *w);
long work_next(struct work *w);
void work_item_done(struct work *w);
int work_items_all_done(const struct work *w);
void work_fail(struct work *w, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int work_failed(const struct work *w);
void work_progress(struct work *w, uint64_t bytes);
void work_free(struct work *w);

#endif /* HC_WORK_H */
