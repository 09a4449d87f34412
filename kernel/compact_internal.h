/* SPDX-License-Identifier: MIT */
/*
 * compact_internal.h - what the two compact writers and readers share
 * (compact.c: u64 and packed tables; compact_bytes.c: byte keys): bit
 * arrays read and written, the count field with its overflow array,
 * the checksummed file writer and the common header fields.  Included
 * by those two files only.
 */
#ifndef HC_COMPACT_INTERNAL_H
#define HC_COMPACT_INTERNAL_H

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hc_internal.h"

static inline uint64_t hc__mask_of(unsigned b)
{
	return b >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << b) - 1;
}

static inline uint64_t hc__words_for(uint64_t bits)
{
	return bits / 64 + (bits % 64 != 0);
}

/* @width (0..64) bits at bit @pos of @w; the caller checked that
 * pos + width fits the array. */
static inline uint64_t hc__get_bits(const uint64_t *w, uint64_t pos,
				    unsigned width)
{
	uint64_t i = pos >> 6, v;
	unsigned off = (unsigned)(pos & 63);

	if (width == 0)
		return 0;
	v = w[i] >> off;
	if (off + width > 64)
		v |= w[i + 1] << (64 - off);
	return v & hc__mask_of(width);
}

/* A growable, zero-filled bit array written from its start; or, with a
 * @sink (compact.c), a window of one that goes to the file as it fills. */
struct hc__bitbuf {
	uint64_t *w;
	uint64_t cap; /* words */
	uint64_t bits;
	struct hc__bbsink *sink;
};

int hc__bb_reserve(struct hc__bitbuf *b, uint64_t words);

/* Room in @b for one more value of up to 64 bits. */
static inline int hc__bb_room(struct hc__bitbuf *b)
{
	uint64_t i = b->bits >> 6;

	return i + 2 > b->cap ? hc__bb_reserve(b, i + 2) : HC_OK;
}

/* Append @v (below 2^width, width <= 64) to @b, which has room: the
 * part past the current word goes to the next one, shifted in two
 * steps so that an offset of 0 puts nothing there. */
static inline void hc__bb_put(struct hc__bitbuf *b, uint64_t v, unsigned width)
{
	uint64_t i = b->bits >> 6;
	unsigned off = (unsigned)(b->bits & 63);

	b->w[i] |= v << off;
	b->w[i + 1] |= (v >> 1) >> (63 - off);
	b->bits += width;
}

/* The count field of C bits and its overflow array, as written: entry
 * @idx of count @c (> 0) appended (count - 1, or the escape 2^C - 1
 * and an overflow entry). */
struct hc__cntw {
	struct hc__bitbuf cnt;
	struct hc__covf *ovf;
	uint64_t n_ovf, ovf_cap;
	unsigned C;
	uint64_t esc; /* 2^C - 1 */
};

int hc__cntw_ovf(struct hc__cntw *w, uint64_t idx, uint64_t c);

/* Entry @idx of count @c (> 0): count - 1, or the escape and an
 * overflow entry (hc__cntw_ovf, out of line: rare). */
static inline int hc__cntw_put(struct hc__cntw *w, uint64_t idx, uint64_t c)
{
	uint64_t x = c - 1;
	int rc;

	if (__builtin_expect(x >= w->esc, 0)) {
		if ((rc = hc__cntw_ovf(w, idx, c)))
			return rc;
		x = w->esc;
	}
	if ((rc = hc__bb_room(&w->cnt)))
		return rc;
	hc__bb_put(&w->cnt, x, w->C);
	return HC_OK;
}
/* The count width that makes n * C + 128 * (escaped) least, from the
 * census @hist of bit lengths of count - 1 (hc__census_add). */
unsigned hc__cx_count_bits(uint64_t n, const uint64_t hist[65]);
/* Every escape of the count array has its overflow entry, in order,
 * with a count too large for the field, and no other: HC_ECORRUPT. */
int hc__cx_verify_counts(const struct hc__compact *c);

/*
 * The body written front to back: words staged in @buf, written at
 * @off and hashed into @st as they leave; bit arrays appended to a
 * partial word @acc of @nacc bits, so that arrays join with no gap.
 * The first failure sticks in @rc.
 */
struct hc__fout {
	int fd;
	XXH3_state_t *st;
	uint64_t off;
	uint64_t *buf;
	size_t nw;
	uint64_t acc;
	unsigned nacc;
	int rc;
};

enum { HC_FOUT_WORDS = 1 << 16 };

/* Write the staged words (and hash them, where @st is not NULL). */
void hc__fo_flush(struct hc__fout *f);

static inline void hc__fo_word(struct hc__fout *f, uint64_t x)
{
	f->buf[f->nw++] = x;
	if (f->nw == HC_FOUT_WORDS)
		hc__fo_flush(f);
}

/* Append the first @bits bits of @w. */
void hc__fo_bits(struct hc__fout *f, const uint64_t *w, uint64_t bits);
/* Close the bit array in progress and fill with zeros up to @end. */
void hc__fo_pad(struct hc__fout *f, uint64_t end);

/* The offsets and total size of @h from its n, B, C, n_ovf (and for
 * byte keys block_keys, key_bytes): -1 if out of range. */
/* Threads for one save: the CPUs this process may run on, at most
 * HC_CSAVE_THREADS_MAX (or the test hook's number). */
unsigned hc__cx_save_threads(void);
/* Run @fn on each of the @n jobs of @size bytes at @jobs, the first in
 * the calling thread (compact.c). */
void hc__cx_run_jobs(void *(*fn)(void *), void *jobs, size_t size, unsigned n);

int hc__cx_layout(struct hc__cheader *h);
/* The header fields every compact file of @t has (identity, mode,
 * seed, the source's options, the user record); HC_ECORRUPT if the
 * table's record is out of range. */
int hc__cx_header_init(const hc_table *t, const hc_options *o,
		       uint64_t src_capacity, struct hc__cheader *h);
/* With the body written to @fd and hashed into @st: the checksums, the
 * header at 0, the file's size. */
int hc__cx_finish(int fd, XXH3_state_t *st, struct hc__cheader *h);

#endif /* HC_COMPACT_INTERNAL_H */
