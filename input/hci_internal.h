/* SPDX-License-Identifier: MIT */
/*
 * hci_internal.h - the input layer's shared layouts: a job's inputs and
 * items (private memory, built before fork and inherited read-only),
 * and the state its workers share in a MAP_SHARED | MAP_ANONYMOUS
 * mapping: the cursor over the items, progress, tallies and the first
 * failure (shared.c), and the ring of DNA blocks (job.c).
 */
#ifndef HCI_INTERNAL_H
#define HCI_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "hogcount_input.h"

/* The line of a refused format (HCI_EFORMAT); %s is its name. */
#define HCI__REFUSED_MSG                                                  \
	"%s data, which hogcount does not read as input (it reads plain " \
	"text, gzip, xz, bzip2 and zstd)"

struct hci__in {
	char *path; /* "-" for standard input */
	int stream; /* read whole, in order (compressed, stdin, pipes) */
	int comp; /* enum hci_comp */
	int fmt; /* DNA: enum hck_seq_fmt of a plain file */
	uint64_t size; /* bytes on disk; 0 if unknown */
	unsigned expand; /* compressed: a guess of plain bytes per byte */
};

struct hci__item {
	uint32_t input;
	uint64_t start, end; /* byte range of a plain file */
};

struct hci__shared {
	/* ORDER: each of these is touched by a few atomics per work item,
	 * never in the hot loop. */
	atomic_uint_fast64_t next; /* next item to hand out */
	atomic_uint_fast64_t done; /* input bytes consumed */
	atomic_int failed; /* 0, or 1 once an error is claimed */
	atomic_int ready; /* 1 once the error text is written */
	atomic_uint_fast64_t skipped; /* hci_job_tally() of the workers */
	atomic_uint_fast64_t added;
	atomic_uint_fast64_t items_done; /* items run to their end */
	atomic_uint_fast64_t blocks_shared; /* blocks counted by a worker
					     * other than their reader */
	int code; /* the first failure's code */
	char what[1024];
	char msg[512];
};

/*
 * A block of whole DNA records that the reader of a stream hands to the
 * other workers (job.c, "DNA streams split between the workers").
 * state: SPLIT_FREE -> SPLIT_FILLING (the reader) -> SPLIT_FULL ->
 * SPLIT_BUSY (a worker counting it) -> SPLIT_FREE.
 */
enum { SPLIT_FREE, SPLIT_FILLING, SPLIT_FULL, SPLIT_BUSY };

struct hci__block {
	atomic_int state;
	int fmt; /* enum hck_seq_fmt of the stream */
	uint64_t len; /* bytes of records */
	pid_t by; /* the reader that filled it */
};

struct hci_job {
	int tokens; /* enum hck_tokens */
	uint64_t chunk; /* bytes per range of a plain file */
	struct hci__in *in;
	size_t nin;
	struct hci__item *items;
	size_t nitems;
	uint64_t total; /* sum of known sizes */
	int have_stdin;
	struct hci__shared *sh; /* MAP_SHARED | MAP_ANONYMOUS */
	/* Blocks of split DNA streams (none: nblocks 0): headers, then
	 * nblocks x block_bytes of data, in one shared mapping. */
	struct hci__block *blocks;
	unsigned char *block_data;
	unsigned nblocks;
	size_t block_bytes;
	size_t split_bytes; /* size of that mapping */
	int split_wait; /* testing: a reader waits for a free block (one
			 * stream only: readers waiting on each other stall) */
	/* This process's own (after fork, each worker's copy): the file
	 * open for its ranges (ranges of one file come in a row), its size,
	 * the window of it mapped (job.c, "Windows"), and the buffer it
	 * reads streams into. */
	long cur_input;
	int cur_fd;
	uint64_t cur_size;
	const unsigned char *cur_map; /* file bytes [win_off, +win_len) */
	uint64_t win_off;
	size_t win_len;
	size_t win; /* bytes a window maps at least (a page multiple) */
	unsigned char *buf;
};

/* shared.c */
int hci__shared_map(struct hci_job *j);
void hci__shared_unmap(struct hci_job *j);
int hci__items_all_done(const struct hci_job *j);
/* Record the first failure: @code, @what (NULL: none), and the line
 * @fmt...; returns @code. */
int hci__fail(struct hci_job *j, int code, const char *what, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
void hci__progress(struct hci_job *j, uint64_t bytes);

#endif /* HCI_INTERNAL_H */
