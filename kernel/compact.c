/* SPDX-License-Identifier: MIT */
/*
 * compact.c - the compact layout: a read-only file of a u64 or packed
 * table that keeps only what a reader needs (docs/format.md, "Compact
 * files"; docs/design.md, "Compact files").  Writing it from a live
 * generation, validating its header, and reading it in place: point
 * gets, the ordered walk and the count scan.
 *
 * Entries are sorted by their key hash h, a bijection of the key on W
 * bits (mix64 for u64 tables, mixk for packed ones).  The top B bits of
 * h pick one of 2^B buckets, the low R = W - B bits (the remainder) are
 * stored bit-packed, and a bitvector holds each bucket's size in unary
 * (a 1 per entry, then a 0), with the position of every 256th 0 sampled:
 * Elias-Fano's split of h into high and low bits.  Counts are stored
 * minus one in C bits; the all-ones value sends the reader to a sorted
 * array of (index, count) pairs.
 *
 * Every read is bounded by the sizes validated at open, whatever the
 * bytes say: a hostile file gives HC_ECORRUPT, never a read outside the
 * mapping.  Nothing here is atomic: the file is immutable once renamed
 * into place, and a compact table is never writable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compact_internal.h"

void (*hc__compact_hook)(hc_table *t);

/* ---- geometry --------------------------------------------------------- */

/*
 * The offsets and total size of @h from its n, B, C and n_ovf (the same
 * arithmetic for the writer and the validator).  -1 if out of range.
 */
int hc__cx_layout(struct hc__cheader *h)
{
	uint64_t nb, dir_bits, off;

	if (h->n > HC_CN_MAX || h->bucket_bits > h->hash_bits ||
	    h->bucket_bits > 41 || h->count_bits == 0 ||
	    h->count_bits > HC_CCOUNT_BITS_MAX || h->n_ovf > h->n ||
	    h->block_keys > HC_CBLOCK_KEYS_MAX ||
	    h->key_bytes > HC_CKEY_BYTES_MAX)
		return -1;
	h->rem_bits = h->hash_bits - h->bucket_bits;
	off = HC_CHEADER_SIZE;
	if (h->block_keys) {
		/* Byte keys: no buckets, no remainders (W = B = 0); the
		 * block index and the key stream (compact_bytes.c). */
		if (h->hash_bits || h->bucket_bits)
			return -1;
		h->dir_off = h->sel_off = h->rem_off = off;
		h->idx_off = off;
		off += ((h->n + h->block_keys - 1) / h->block_keys + 1) * 8;
		h->key_off = off;
		off += HC_CHUFF_LENS + (h->key_bytes + 7) / 8 * 8;
	} else {
		nb = UINT64_C(1) << h->bucket_bits;
		dir_bits = h->n + nb;
		h->idx_off = h->key_off = 0;
		h->dir_off = off;
		off += hc__words_for(dir_bits) * 8;
		h->sel_off = off;
		off += (nb + HC_CSEL_EVERY - 1) / HC_CSEL_EVERY * 8;
		h->rem_off = off;
		off += hc__words_for(h->n * h->rem_bits) * 8;
	}
	h->cnt_off = off;
	off += hc__words_for(h->n * h->count_bits) * 8;
	h->ovf_off = off;
	off += h->n_ovf * sizeof(struct hc__covf);
	h->total_bytes = off;
	return 0;
}

uint64_t hc__cheader_check(const struct hc__cheader *h)
{
	return XXH3_64bits(h, offsetof(struct hc__cheader, check));
}

/*
 * Validate a compact header read from a file of @avail bytes, as
 * hc__header_validate() does for the live format: identity first
 * (HC_EVERSION for another version or machine), the checksum, then
 * every field against the others and against @avail.
 */
int hc__cheader_validate(const struct hc__cheader *h, uint64_t avail)
{
	const struct hc__kind *k;
	struct hc__cheader x;

	if (avail < HC_CHEADER_SIZE || h->magic != HC_CMAGIC)
		return HC_ECORRUPT;
	if (h->byte_order != HC_BYTE_ORDER_PROBE ||
	    h->word_size != sizeof(uint64_t) ||
	    h->version != HC_COMPACT_VERSION)
		return HC_EVERSION;
	if (h->check != hc__cheader_check(h))
		return HC_ECORRUPT;
	if (h->header_size != HC_CHEADER_SIZE || h->pad0 != 0 ||
	    h->user_len > HC_USER_MAX)
		return HC_ECORRUPT;
	for (size_t i = 0; i < sizeof(h->reserved0); i++)
		if (h->reserved0[i])
			return HC_ECORRUPT;
	for (size_t i = 0; i < sizeof(h->reserved1); i++)
		if (h->reserved1[i])
			return HC_ECORRUPT;
	if (h->mode != HC_MODE_EXACT && h->mode != HC_MODE_HOGWILD)
		return HC_ECORRUPT;
	k = hc__kind_of((int)h->key_kind);
	if (!k || !k->cx_check || k->cx_check(h) ||
	    !h->block_keys != !(k->flags & HC_KIND_BYTES))
		return HC_ECORRUPT;
	if (h->src_capacity == 0 || h->src_capacity > HC_CAPACITY_MAX ||
	    h->src_max_bits > 40 ||
	    (h->src_grow != HC_GROW_OFF &&
	     (h->src_grow < 5 || h->src_grow > 95)))
		return HC_ECORRUPT;
	if (h->pad1 || (!h->block_keys && h->key_bytes))
		return HC_ECORRUPT;
	x = *h;
	if (hc__cx_layout(&x) || x.rem_bits != h->rem_bits ||
	    x.idx_off != h->idx_off || x.key_off != h->key_off ||
	    x.dir_off != h->dir_off || x.sel_off != h->sel_off ||
	    x.rem_off != h->rem_off || x.cnt_off != h->cnt_off ||
	    x.ovf_off != h->ovf_off || x.total_bytes != h->total_bytes)
		return HC_ECORRUPT;
	if (avail != h->total_bytes)
		return HC_ECORRUPT; /* truncated, or something appended */
	return HC_OK;
}

/*
 * Point the handle at the compact mapping @base whose header @h (a
 * validated copy, equal to the mapped one) describes.
 */
int hc__compact_bind(struct hc_table *t, const unsigned char *base,
		     const struct hc__cheader *h)
{
	struct hc__compact *c = calloc(1, sizeof(*c));
	struct hc__header *sh = calloc(1, sizeof(*sh));

	if (!c || !sh) {
		free(c);
		free(sh);
		return HC_ENOMEM;
	}
	c->hdr = (const struct hc__cheader *)base;
	c->n = h->n;
	c->n_ovf = h->n_ovf;
	c->W = h->hash_bits;
	c->B = h->bucket_bits;
	c->R = h->rem_bits;
	c->C = h->count_bits;
	c->nbuckets = UINT64_C(1) << c->B;
	c->dir_bits = c->n + c->nbuckets;
	c->dir_words = hc__words_for(c->dir_bits);
	c->sel_count = (c->nbuckets + HC_CSEL_EVERY - 1) / HC_CSEL_EVERY;
	c->rem_words = hc__words_for(c->n * c->R);
	c->cnt_words = hc__words_for(c->n * c->C);
	c->esc = hc__mask_of(c->C);
	c->dir = (const uint64_t *)(base + h->dir_off);
	c->sel = (const uint64_t *)(base + h->sel_off);
	c->rem = (const uint64_t *)(base + h->rem_off);
	c->cnt = (const uint64_t *)(base + h->cnt_off);
	c->ovf = (const struct hc__covf *)(base + h->ovf_off);
	if (h->block_keys) {
		c->K = h->block_keys;
		c->n_blocks = (c->n + c->K - 1) / c->K;
		c->key_bytes = h->key_bytes;
		c->idx = (const uint64_t *)(base + h->idx_off);
		c->keys = base + h->key_off;
		c->kw = (const uint64_t *)(c->keys + HC_CHUFF_LENS);
		if (hc__cbytes_bind(c, c->keys)) {
			free(c);
			free(sh);
			return HC_ECORRUPT; /* not a prefix code */
		}
	}

	/* A heap header that reads as an empty fixed table, for any path
	 * that looks at it: the user record is copied in, so
	 * hc_table_get_user() works as for any table. */
	sh->key_kind = h->key_kind;
	sh->mode = h->mode;
	sh->key_bits = h->key_bits;
	sh->capacity = h->src_capacity;
	sh->max_capacity = h->src_capacity;
	sh->seed = h->seed;
	sh->user_len = h->user_len;
	memcpy(sh->user, h->user, h->user_len);

	t->cx = c;
	t->hdr = sh;
	t->kind = (int)h->key_kind;
	t->ops = hc__kind_of(t->kind);
	t->mode = (int)h->mode;
	t->seed = h->seed;
	t->capacity = h->src_capacity;
	t->max_capacity = h->src_capacity;
	t->grows = 0;
	t->count_mask = ~UINT64_C(0);
	t->writable = 0;
	if (t->ops->cx_geom)
		t->ops->cx_geom(t, h);
	return HC_OK;
}

/* ---- reading ---------------------------------------------------------- */

/* Position of the next 0 of the bucket bitvector at or after @p. */
static int next_zero(const struct hc__compact *c, uint64_t p, uint64_t *z)
{
	uint64_t i = p >> 6, w;

	if (p >= c->dir_bits)
		return HC_ECORRUPT;
	w = ~c->dir[i] & (~UINT64_C(0) << (p & 63));
	while (!w) {
		if (++i >= c->dir_words)
			return HC_ECORRUPT;
		w = ~c->dir[i];
	}
	*z = i * 64 + (uint64_t)__builtin_ctzll(w);
	return *z < c->dir_bits ? HC_OK : HC_ECORRUPT;
}

/* Position of 0 number @j (from 0): the sample, then a short scan. */
static int select0(const struct hc__compact *c, uint64_t j, uint64_t *z)
{
	uint64_t s = j / HC_CSEL_EVERY, k = j % HC_CSEL_EVERY, p, i, w;

	if (s >= c->sel_count)
		return HC_ECORRUPT;
	p = c->sel[s];
	if (p >= c->dir_bits)
		return HC_ECORRUPT;
	if (k == 0) {
		*z = p;
		return HC_OK;
	}
	p++;
	if (p >= c->dir_bits)
		return HC_ECORRUPT;
	i = p >> 6;
	w = ~c->dir[i] & (~UINT64_C(0) << (p & 63));
	for (;;) {
		uint64_t m = (uint64_t)__builtin_popcountll(w);

		if (m >= k) {
			while (--k)
				w &= w - 1;
			*z = i * 64 + (uint64_t)__builtin_ctzll(w);
			return *z < c->dir_bits ? HC_OK : HC_ECORRUPT;
		}
		k -= m;
		if (++i >= c->dir_words)
			return HC_ECORRUPT;
		w = ~c->dir[i];
	}
}

/* Entries [*start, *end) of bucket @b. */
static int bucket_range(const struct hc__compact *c, uint64_t b,
			uint64_t *start, uint64_t *end)
{
	uint64_t zp = 0, z;
	int rc;

	if (b) {
		rc = select0(c, b - 1, &zp);
		if (rc)
			return rc;
		if (zp + 1 < b)
			return HC_ECORRUPT;
		*start = zp + 1 - b;
		rc = next_zero(c, zp + 1, &z);
	} else {
		*start = 0;
		rc = next_zero(c, 0, &z);
	}
	if (rc)
		return rc;
	if (z < b || z - b < *start || z - b > c->n)
		return HC_ECORRUPT;
	*end = z - b;
	return HC_OK;
}

/*
 * The count of entry @i into *count.  @o: NULL for a binary search of
 * the overflow array, else a cursor that only moves forward (walks).
 */
int hc__compact_count(const struct hc__compact *c, uint64_t i, uint64_t *o,
		      uint64_t *count)
{
	uint64_t v = hc__get_bits(c->cnt, i * c->C, c->C), lo, hi;

	if (v != c->esc) {
		*count = v + 1;
		return HC_OK;
	}
	if (o) {
		while (*o < c->n_ovf && c->ovf[*o].idx < i)
			(*o)++;
		lo = *o;
	} else {
		lo = 0;
		hi = c->n_ovf;
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;

			if (c->ovf[mid].idx < i)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (lo >= c->n_ovf || c->ovf[lo].idx != i)
		return HC_ECORRUPT;
	*count = c->ovf[lo].count;
	return HC_OK;
}

int hc__compact_get(const struct hc_table *t, uint64_t key, uint64_t *count)
{
	const struct hc__compact *c = t->cx;
	uint64_t h, b, r, start, end;
	int rc;

	*count = 0;
	if (key > t->ops->key_max(t))
		return HC_ERANGE;
	h = t->ops->cx_hash(t, key);
	b = c->B ? h >> c->R : 0;
	r = h & hc__mask_of(c->R);
	rc = bucket_range(c, b, &start, &end);
	if (rc)
		return rc;
	/* A bucket holds about one entry; its remainders ascend. */
	for (uint64_t i = start; i < end; i++) {
		uint64_t x = hc__get_bits(c->rem, i * c->R, c->R);

		if (x == r)
			return hc__compact_count(c, i, NULL, count);
		if (x > r)
			break;
	}
	return HC_OK;
}

/*
 * The next entry of an ordered walk into @e: 1, 0 at the end, or
 * HC_ECORRUPT.  *pos (bit of the bucket bitvector), *b (bucket), *i
 * (entry) and *o (overflow cursor) start at 0.
 */
int hc__compact_next(const struct hc_table *t, uint64_t *pos, uint64_t *b,
		     uint64_t *i, uint64_t *o, hc_entry *e)
{
	const struct hc__compact *c = t->cx;
	uint64_t h, cnt;
	int rc;

	if (*i >= c->n)
		return 0;
	for (;;) {
		uint64_t p = *pos, w;

		if (p >= c->dir_bits)
			return HC_ECORRUPT;
		w = c->dir[p >> 6] >> (p & 63);
		if (w & 1)
			break;
		/* Skip this word's 0s at once. */
		if (w == 0) {
			*b += 64 - (p & 63);
			*pos = (p | 63) + 1;
		} else {
			unsigned z = (unsigned)__builtin_ctzll(w);

			*b += z;
			*pos = p + z;
		}
		if (*b >= c->nbuckets)
			return HC_ECORRUPT;
	}
	(*pos)++;
	h = hc__get_bits(c->rem, *i * c->R, c->R);
	if (c->B)
		h |= *b << c->R;
	rc = hc__compact_count(c, *i, o, &cnt);
	if (rc)
		return rc;
	(*i)++;
	e->key = t->ops->cx_key(t, h);
	e->bytes = NULL;
	e->len = 0;
	e->count = cnt;
	return 1;
}

/*
 * Check a compact table's body against everything its header promises:
 * the XXH3 checksum of the body, the bucket bitvector (n 1s, 2^B 0s, the
 * samples where they say), keys in strictly ascending hash order, and
 * an overflow array sorted by index whose entries are exactly the
 * escaped counts, each too large for the count field.  Reads the whole
 * file; HC_OK or HC_ECORRUPT (HC_EINVAL if @t is not compact).
 */
int hc__compact_verify(const struct hc_table *t)
{
	const struct hc__compact *c;
	const unsigned char *base;
	uint64_t ones = 0, zeros = 0, prev = 0;

	if (!t || !t->cx)
		return HC_EINVAL;
	c = t->cx;
	base = (const unsigned char *)c->hdr;
	if (XXH3_64bits(base + HC_CHEADER_SIZE,
			(size_t)(c->hdr->total_bytes - HC_CHEADER_SIZE)) !=
	    c->hdr->body_check)
		return HC_ECORRUPT;
	if (c->keys)
		return hc__cbytes_verify(t); /* byte keys: the key stream */
	for (uint64_t p = 0; p < c->dir_bits; p++) {
		if ((c->dir[p >> 6] >> (p & 63)) & 1) {
			uint64_t h = hc__get_bits(c->rem, ones * c->R, c->R);

			if (ones >= c->n || zeros >= c->nbuckets)
				return HC_ECORRUPT;
			if (c->B)
				h |= zeros << c->R;
			if (ones && h <= prev)
				return HC_ECORRUPT;
			prev = h;
			ones++;
		} else {
			if (zeros % HC_CSEL_EVERY == 0 &&
			    c->sel[zeros / HC_CSEL_EVERY] != p)
				return HC_ECORRUPT;
			zeros++;
		}
	}
	/* Padding bits past the end are zero. */
	if (c->dir_bits % 64 && c->dir[c->dir_words - 1] >> (c->dir_bits % 64))
		return HC_ECORRUPT;
	if (ones != c->n || zeros != c->nbuckets)
		return HC_ECORRUPT;
	return hc__cx_verify_counts(c);
}

int hc__cx_verify_counts(const struct hc__compact *c)
{
	uint64_t o = 0;

	for (uint64_t i = 0; i < c->n; i++) {
		if (hc__get_bits(c->cnt, i * c->C, c->C) != c->esc)
			continue;
		if (o >= c->n_ovf || c->ovf[o].idx != i ||
		    c->ovf[o].count <= c->esc)
			return HC_ECORRUPT;
		o++;
	}
	return o == c->n_ovf ? HC_OK : HC_ECORRUPT;
}

/* ---- writing ---------------------------------------------------------- */

static int pwrite_all(int fd, const void *p, uint64_t len, uint64_t off);

/*
 * A bit array written straight to its place in the file, bits [lo, hi)
 * of it, through the window of its hc__bitbuf (hc__compact_window_words
 * words, 256 KiB), of which word 0 is the file's word @word0.  Whole words leave as the
 * window fills.  The array's first word, where @lo is not a word's
 * start, and its last, where @hi is not, hold bits of the arrays beside
 * it too: they are kept (@at, @piece) for the writer to join.  More bits
 * than hi - lo, or fewer at the end, is HC_ECORRUPT: keys were added
 * since the census that placed the array, and the save takes the
 * buffered body instead.
 */
struct hc__bbsink {
	int fd;
	uint64_t lo, hi, word0;
	uint64_t at[2], piece[2];
	unsigned npiece;
};

uint64_t hc__compact_window_words = UINT64_C(1) << 15; /* 256 KiB */

static int sink_open(struct hc__bitbuf *b, struct hc__bbsink *s, int fd,
		     uint64_t lo, uint64_t hi)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->lo = lo;
	s->hi = hi;
	s->word0 = lo / 64;
	b->cap = hc__compact_window_words < 4 ? 4 : hc__compact_window_words;
	b->w = calloc(b->cap, 8);
	if (!b->w)
		return HC_ENOMEM;
	b->bits = lo % 64;
	b->sink = s;
	return HC_OK;
}

static void sink_keep(struct hc__bbsink *s, uint64_t at, uint64_t x)
{
	s->at[s->npiece] = at;
	s->piece[s->npiece++] = x;
}

/* Send the window's whole words to the file; the word in progress
 * becomes its word 0.  Words past the window (buckets closed in a jump)
 * are zeros, which the fresh file already holds. */
static int sink_flush(struct hc__bitbuf *b)
{
	struct hc__bbsink *s = b->sink;
	uint64_t i = b->bits / 64, first = 0;
	uint64_t last = i < b->cap ? i : b->cap, keep;
	int rc = HC_OK;

	if (s->word0 * 64 + b->bits > s->hi)
		return HC_ECORRUPT;
	if (i && s->word0 == s->lo / 64 && s->lo % 64) {
		sink_keep(s, s->word0, b->w[0]);
		first = 1;
	}
	if (first < last)
		rc = pwrite_all(s->fd, b->w + first, (last - first) * 8,
				(s->word0 + first) * 8);
	if (rc)
		return rc;
	keep = i < b->cap ? b->w[i] : 0;
	memset(b->w, 0, (i + 2 < b->cap ? i + 2 : b->cap) * 8);
	b->w[0] = keep;
	s->word0 += i;
	b->bits -= 64 * i;
	return HC_OK;
}

/* The array is complete: exactly hi - lo bits, all sent but the shared
 * words. */
static int sink_end(struct hc__bitbuf *b)
{
	struct hc__bbsink *s = b->sink;
	int rc;

	if (s->word0 * 64 + b->bits != s->hi)
		return HC_ECORRUPT;
	rc = sink_flush(b);
	if (!rc && b->bits)
		sink_keep(s, s->word0, b->w[0]);
	return rc;
}

/* Bits of @b's array so far (a sink's window holds only its end). */
static uint64_t bb_pos(const struct hc__bitbuf *b)
{
	return b->sink ? b->sink->word0 * 64 + b->bits - b->sink->lo : b->bits;
}

int hc__bb_reserve(struct hc__bitbuf *b, uint64_t words)
{
	uint64_t n = 2 * b->cap;
	uint64_t *p;

	if (words <= b->cap)
		return HC_OK;
	if (b->sink)
		return sink_flush(b);
	if (n < words)
		n = words;
	if (n < 1024)
		n = 1024;
	if (!b->w) {
		/* Zeroed pages that take memory only as they are written:
		 * a large buffer filled from its start costs what it
		 * holds so far. */
		p = calloc(n, 8);
		if (!p)
			return HC_ENOMEM;
		b->w = p;
		b->cap = n;
		return HC_OK;
	}
	p = realloc(b->w, n * 8);
	if (!p)
		return HC_ENOMEM;
	memset(p + b->cap, 0, (n - b->cap) * 8);
	b->w = p;
	b->cap = n;
	return HC_OK;
}

struct cwriter {
	struct hc__bitbuf dir, rem;
	struct hc__cntw k; /* counts and overflow entries */
	uint64_t *sel;
	uint64_t sel_n, sel_cap;
	uint64_t nb; /* buckets closed */
	uint64_t nbuckets;
	uint64_t n; /* entries written */
	uint64_t prev;
	unsigned B, R;
	uint64_t rmask; /* 2^R - 1 */
};

static int sel_reserve(struct cwriter *w, uint64_t n)
{
	uint64_t *p;

	if (n <= w->sel_cap)
		return HC_OK;
	if (n < 2 * w->sel_cap)
		n = 2 * w->sel_cap;
	p = realloc(w->sel, n * 8);
	if (!p)
		return HC_ENOMEM;
	w->sel = p;
	w->sel_cap = n;
	return HC_OK;
}

/*
 * Close buckets nb .. @upto - 1: a 0 each in the directory, in a row
 * (only the first can have entries, written before), and the position
 * of the 0 of every HC_CSEL_EVERY-th bucket sampled.  The directory is
 * zero-filled, so the zeros are only a move of its end.
 */
static int close_buckets(struct cwriter *w, uint64_t upto)
{
	uint64_t j =
		(w->nb + HC_CSEL_EVERY - 1) / HC_CSEL_EVERY * HC_CSEL_EVERY;
	int rc;

	if (upto <= w->nb)
		return HC_OK;
	if (j < upto &&
	    (rc = sel_reserve(w,
			      w->sel_n + (upto - j - 1) / HC_CSEL_EVERY + 1)))
		return rc;
	for (; j < upto; j += HC_CSEL_EVERY)
		w->sel[w->sel_n++] = bb_pos(&w->dir) + (j - w->nb);
	w->dir.bits += upto - w->nb;
	w->nb = upto;
	return hc__bb_reserve(&w->dir, hc__words_for(w->dir.bits) + 1);
}

/* The overflow entry of entry @idx, count @c, c - 1 >= esc
 * (hc__cntw_put writes its escape). */
int hc__cntw_ovf(struct hc__cntw *w, uint64_t idx, uint64_t c)
{
	if (w->n_ovf == w->ovf_cap) {
		uint64_t n = w->ovf_cap ? 2 * w->ovf_cap : 64;
		struct hc__covf *p = realloc(w->ovf, n * sizeof(*p));

		if (!p)
			return HC_ENOMEM;
		w->ovf = p;
		w->ovf_cap = n;
	}
	w->ovf[w->n_ovf].idx = idx;
	w->ovf[w->n_ovf++].count = c;
	return HC_OK;
}

/* Append the entry of hash @h, count @c (> 0), in ascending order.
 * Inline in each loop that emits: it runs once a key. */
static inline __attribute__((always_inline)) int emit(struct cwriter *w,
						      uint64_t h, uint64_t c)
{
	uint64_t b = w->B ? h >> w->R : 0;
	int rc;

	if (w->n && h <= w->prev)
		return HC_ECORRUPT; /* a source table out of its invariants */
	w->prev = h;
	if (w->nb < b) {
		/* Most keys close a bucket or two, none of them sampled:
		 * only a move of the directory's end, whose room the
		 * bb_room below makes. */
		if (b <= (w->nb + HC_CSEL_EVERY - 1) / HC_CSEL_EVERY *
				 HC_CSEL_EVERY) {
			w->dir.bits += b - w->nb;
			w->nb = b;
		} else if ((rc = close_buckets(w, b))) {
			return rc;
		}
	}
	if ((rc = hc__cntw_put(&w->k, w->n, c)) ||
	    (rc = hc__bb_room(&w->dir)) || (rc = hc__bb_room(&w->rem)))
		return rc;
	hc__bb_put(&w->dir, 1, 1);
	hc__bb_put(&w->rem, h & w->rmask, w->R);
	w->n++;
	return HC_OK;
}

static void cw_free(struct cwriter *w)
{
	free(w->dir.w);
	free(w->rem.w);
	free(w->k.cnt.w);
	free(w->sel);
	free(w->k.ovf);
}

static int ent_cmp(const void *a, const void *b)
{
	const struct hc__ent *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/*
 * Sort @a by hash.  Entries come in slot order, which is hash order but
 * for the few slots of linear probing each is displaced by: insertion
 * sort does that in a few moves per entry.  A table out of its
 * invariants (a hostile writer) could make it quadratic, so once the
 * moves pass a budget (checked after each entry, which moves fewer than
 * n) the rest goes to qsort.
 */
static void sort_ents(struct hc__ent *a, uint64_t n)
{
	uint64_t budget = 64 * n + 1024;

	for (uint64_t i = 1; i < n; i++) {
		struct hc__ent e;
		uint64_t j = i;

		if (a[i - 1].h <= a[i].h)
			continue; /* in place: most entries */
		e = a[i];
		do {
			a[j] = a[j - 1];
			j--;
		} while (j > 0 && a[j - 1].h > e.h);
		a[j] = e;
		if (i - j >= budget) {
			qsort(a, (size_t)n, sizeof(*a), ent_cmp);
			return;
		}
		budget -= i - j;
	}
}

/* ---- threads ---------------------------------------------------------- */

unsigned hc__compact_threads;
uint64_t hc__compact_split_min = UINT64_C(1) << 20;

/* Threads for one save: the CPUs this process may run on, at most
 * HC_CSAVE_THREADS_MAX (or the test hook's number). */
unsigned hc__cx_save_threads(void)
{
	cpu_set_t set;
	int n;

	if (hc__compact_threads)
		n = (int)hc__compact_threads;
	else if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else /* more CPUs than a cpu_set_t holds */
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1			       ? 1
	       : n > (int)HC_CSAVE_THREADS_MAX ? HC_CSAVE_THREADS_MAX
					       : (unsigned)n;
}

/*
 * Run @fn on each of the @n jobs of @size bytes at @jobs: the first in
 * the calling thread, the others in threads of their own, or in the
 * calling thread too when a thread cannot be started.  The jobs write
 * only their own struct; the table is only read (relaxed loads, as for
 * one thread).  Joining orders their writes before the caller's reads.
 */
void hc__cx_run_jobs(void *(*fn)(void *), void *jobs, size_t size, unsigned n)
{
	pthread_t tid[HC_CSAVE_THREADS_MAX];
	int started[HC_CSAVE_THREADS_MAX] = { 0 };
	unsigned char *j = jobs;
	sigset_t all, old;

	/* The threads start with every signal blocked, so that the
	 * application's signals go to its own threads, never to ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 1; i < n; i++)
		started[i] =
			pthread_create(&tid[i], NULL, fn, j + i * size) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fn(j);
	for (unsigned i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			fn(j + i * size);
	}
}

/* ---- pass 1: the census ----------------------------------------------- */

/* The census of slots [lo, hi). */
struct census_job {
	_Alignas(64) const struct hc_table *t; /* a cache line of its own */
	const struct hc__gv *v;
	uint64_t lo, hi;
	struct hc__census cs;
	int rc;
};

/* The census of slots [lo, hi) (the kind's cx_census): entries, the
 * histogram of bit lengths of count - 1, the largest distance of a key
 * from its home (the window of pass 2) and the entries of each bin. */
static void *census_part(void *arg)
{
	struct census_job *j = arg;

	j->rc = j->t->ops->cx_census(j->t, j->v, j->lo, j->hi, &j->cs);
	return NULL;
}

/* Pass 1 over the whole generation, in @nt slices of it at once, into
 * @cs; @zc, the count of u64 key 0 (hash 0), counted too. */
static int census(const struct hc_table *t, const struct hc__gv *v, uint64_t zc,
		  unsigned nt, struct hc__census *cs)
{
	struct census_job j[HC_CSAVE_THREADS_MAX];

	memset(j, 0, sizeof(j));
	for (unsigned i = 0; i < nt; i++) {
		j[i].t = t;
		j[i].v = v;
		j[i].lo = v->capacity / nt * i;
		j[i].hi = i + 1 < nt ? v->capacity / nt * (i + 1) : v->capacity;
	}
	hc__cx_run_jobs(census_part, j, sizeof(j[0]), nt);
	memset(cs, 0, sizeof(*cs));
	if (zc)
		hc__census_put(cs, 0, t->ops->cx_bits(t), zc);
	for (unsigned i = 0; i < nt; i++) {
		if (j[i].rc)
			return j[i].rc;
		cs->n += j[i].cs.n;
		cs->maxd = j[i].cs.maxd > cs->maxd ? j[i].cs.maxd : cs->maxd;
		for (unsigned b = 0; b < 65; b++)
			cs->hist[b] += j[i].cs.hist[b];
		for (unsigned b = 0; b < HC_CX_BINS; b++)
			cs->bin[b] += j[i].cs.bin[b];
	}
	return HC_OK;
}

unsigned hc__cx_count_bits(uint64_t n, const uint64_t hist[65])
{
	unsigned best = 1;
	double best_cost = -1;

	for (unsigned c = 1; c <= HC_CCOUNT_BITS_MAX; c++) {
		uint64_t esc = 0;
		double cost;

		/* Counts whose c - 1 needs c bits or more may escape. */
		for (unsigned l = c; l <= 64; l++)
			esc += hist[l];
		cost = (double)n * c + 128.0 * (double)esc;
		if (best_cost < 0 || cost < best_cost) {
			best = c;
			best_cost = cost;
		}
	}
	return best;
}

/* ---- pass 2: the entries in hash order, a bucket range a part --------- */

/*
 * One part of pass 2: the entries of buckets [b_lo, b_hi), that is of
 * hashes [h_lo, h_max], written in the part's own arrays (entry and
 * directory positions from the part's start) and joined in order by
 * the file writer.  Their homes lie in [s_lo, home of h_max], so their
 * slots in [s_lo, s_hi), s_hi the last home + D; the last part also
 * holds the entries that wrapped past the end of the table into slots
 * below D.
 */
struct part_job {
	_Alignas(64) struct cwriter w; /* a cache line of its own: no false
					* sharing between the threads */
	const struct hc_table *t;
	const struct hc__gv *v;
	uint64_t zc; /* part 0: the count of u64 key 0 */
	uint64_t D;
	uint64_t b_lo, b_hi, h_lo, h_max, s_lo, s_hi;
	struct hc__bbsink sink[3]; /* streamed: dir, rem, cnt */
	int last;
	int rc;
};

static int emit_sorted(struct cwriter *w, struct hc__ent *a, uint64_t n)
{
	int rc = HC_OK;

	sort_ents(a, n);
	for (uint64_t j = 0; j < n && !rc; j++)
		rc = emit(w, a[j].h, a[j].c);
	return rc;
}

static int push_ent(struct hc__ent **a, uint64_t *n, uint64_t *cap,
		    const struct hc__ent *e)
{
	if (*n == *cap) {
		struct hc__ent *p = realloc(*a, 2 * *cap * sizeof(*p));

		if (!p)
			return HC_ENOMEM;
		*a = p;
		*cap *= 2;
	}
	(*a)[(*n)++] = *e;
	return HC_OK;
}

/*
 * Keep, of the @got entries decoded at @a + @len, those of the part's
 * hashes in slot order; wrapped ones (home after their slot) go to the
 * tail if the part is the last.  Every entry must lie less than D slots
 * from its home, whichever part it belongs to: one further (added since
 * the census, or a damaged table) could be missed by the part that
 * scans up to its home + D, so it is HC_ECORRUPT, and with D below the
 * probe limit the caller starts again with the probe limit as D.
 */
static int sift(struct part_job *p, struct hc__ent *a, uint64_t len,
		uint64_t got, uint64_t *kept, struct hc__ent **tail,
		uint64_t *tlen, uint64_t *tcap)
{
	uint64_t keep = len;
	int rc;

	for (uint64_t j = len; j < len + got; j++) {
		if (hc__disp(p->v, a[j].slot, a[j].home) >= p->D)
			return HC_ECORRUPT;
		if (a[j].h < p->h_lo || a[j].h > p->h_max)
			continue;
		if (a[j].home > a[j].slot) {
			if (p->last && (rc = push_ent(tail, tlen, tcap, &a[j])))
				return rc;
			continue;
		}
		a[keep++] = a[j];
	}
	*kept = keep;
	return HC_OK;
}

/*
 * The part's entries in ascending hash order.  The home slot of a hash
 * never decreases with it, and every entry lies less than D slots past
 * its home (the census's largest distance + 1, or max_probe), so a
 * window of D slots behind the walk is all that can still be out of
 * order; entries that wrapped past the end (home after their slot) are
 * sorted in with the last window.
 */
static int stream_part(struct part_job *p)
{
	enum { CHUNK = 65536 };
	const uint64_t D = p->D;
	uint64_t cap = CHUNK + D + 1, len = 0, tcap = 64, tlen = 0;
	struct hc__ent *buf = malloc(cap * sizeof(*buf));
	struct hc__ent *tail = malloc(tcap * sizeof(*tail));
	struct cwriter *w = &p->w;
	int rc = HC_OK;

	if (!buf || !tail) {
		rc = HC_ENOMEM;
		goto out;
	}
	if (p->zc)
		rc = emit(w, 0, p->zc); /* mix 0: the least hash */
	/* The last part of several: first the wrapped entries, in slots
	 * below D, which no other part keeps (s_lo >= D, checked). */
	if (!rc && p->last && p->s_lo) {
		uint64_t got;

		for (uint64_t s = 0; !rc && s < D; s += CHUNK) {
			uint64_t end = s + CHUNK < D ? s + CHUNK : D;

			rc = p->t->ops->cx_decode(p->t, p->v, s, end, buf,
						  &got);
			if (!rc)
				rc = sift(p, buf, 0, got, &got, &tail, &tlen,
					  &tcap);
		}
	}
	for (uint64_t s = p->s_lo; !rc && s < p->s_hi; s += CHUNK) {
		uint64_t end = s + CHUNK < p->s_hi ? s + CHUNK : p->s_hi;
		uint64_t got, j;

		/* What stays in buf from the last chunk is less than D
		 * entries (homes past its end - D, not wrapped): a table
		 * out of its invariants cannot overrun it either. */
		if (len + (end - s) > cap) {
			rc = HC_ECORRUPT;
			goto out;
		}
		rc = p->t->ops->cx_decode(p->t, p->v, s, end, buf + len, &got);
		if (!rc)
			rc = sift(p, buf, len, got, &len, &tail, &tlen, &tcap);
		if (rc || end == p->s_hi)
			break;
		/* Homes <= end - D are complete: all their slots were seen. */
		sort_ents(buf, len);
		for (j = 0; j < len && buf[j].home + D <= end && !rc; j++)
			rc = emit(w, buf[j].h, buf[j].c);
		memmove(buf, buf + j, (len - j) * sizeof(*buf));
		len -= j;
	}
	if (rc)
		goto out;
	/* The rest with the wrapped entries: a wrapped entry's home is
	 * past i + capacity - D >= capacity - D, so past every home
	 * emitted above (< capacity - D), not past the rest. */
	if (tlen) {
		struct hc__ent *q = realloc(buf, (len + tlen) * sizeof(*q));

		if (!q) {
			rc = HC_ENOMEM;
			goto out;
		}
		buf = q;
		memcpy(buf + len, tail, tlen * sizeof(*buf));
		len += tlen;
	}
	rc = emit_sorted(w, buf, len);
	if (!rc)
		rc = close_buckets(w, p->b_hi);
out:
	free(buf);
	free(tail);
	return rc;
}

static void *part_main(void *arg)
{
	struct part_job *p = arg;

	p->rc = stream_part(p);
	if (!p->rc && p->w.dir.sink) {
		p->rc = sink_end(&p->w.dir);
		if (!p->rc)
			p->rc = sink_end(&p->w.rem);
		if (!p->rc)
			p->rc = sink_end(&p->w.k.cnt);
	}
	return NULL;
}

/*
 * Cut the buckets into @nt parts of whole sample groups (HC_CSEL_EVERY
 * buckets, so that each part's directory samples are the file's, moved
 * by the part's start) and whole bins of the census (so that it counted
 * each part's entries: a group holds whole bins where B <= 16, a bin
 * whole groups above), and set each part's hash and slot ranges.  The
 * number of parts, at most @nt: 1 where the generation is too small to
 * cut, or where a part's window would wrap past the end of the table.
 */
static unsigned cut_parts(struct part_job *p, unsigned nt,
			  const struct cwriter *proto, const struct hc_table *t,
			  const struct hc__gv *v, uint64_t D)
{
	uint64_t groups = proto->nbuckets / HC_CSEL_EVERY;
	uint64_t units = groups < HC_CX_BINS ? groups : HC_CX_BINS;
	uint64_t per = units ? groups / units : 0; /* groups a unit */

	if (units < nt)
		nt = units ? (unsigned)units : 1;
	if (v->capacity < hc__compact_split_min)
		nt = 1;
	for (unsigned i = 0; i < nt; i++) {
		uint64_t g0 = units / nt * i * per,
			 g1 = i + 1 < nt ? units / nt * (i + 1) * per : groups;

		p[i].b_lo = nt == 1 ? 0 : g0 * HC_CSEL_EVERY;
		p[i].b_hi = nt == 1 ? proto->nbuckets : g1 * HC_CSEL_EVERY;
		/* b << R for b > 0 only: with one bucket, R may be 64. */
		p[i].h_lo = p[i].b_lo ? p[i].b_lo << proto->R : 0;
		p[i].h_max = (p[i].b_hi > 1 ? (p[i].b_hi - 1) << proto->R : 0) |
			     proto->rmask;
		p[i].last = i + 1 == nt;
		/* From the previous part's end at the latest: where homes
		 * step by more than one slot (a packed table of more slots
		 * than keys), no slot goes unread. */
		p[i].s_lo = i ? t->ops->cx_home(t, v, p[i].h_lo) : 0;
		if (i && p[i].s_lo > p[i - 1].s_hi)
			p[i].s_lo = p[i - 1].s_hi;
		p[i].s_hi = p[i].last ? v->capacity
				      : t->ops->cx_home(t, v, p[i].h_max) + D;
		if (nt > 1 &&
		    (p[i].s_hi > v->capacity || (p[i].last && p[i].s_lo < D)))
			return cut_parts(p, 1, proto, t, v, D);
	}
	return nt;
}

/* The file's geometry from the census @cs of W-bit hashes. */
static void proto_init(struct cwriter *w, const struct hc__census *cs,
		       unsigned W)
{
	memset(w, 0, sizeof(*w));
	w->B = cs->n ? 63u - (unsigned)__builtin_clzll(cs->n) : 0;
	if (w->B > W)
		w->B = W;
	if (w->B > 40)
		w->B = 40;
	w->R = W - w->B;
	w->k.C = hc__cx_count_bits(cs->n, cs->hist);
	w->k.esc = hc__mask_of(w->k.C);
	w->rmask = hc__mask_of(w->R);
	w->nbuckets = UINT64_C(1) << w->B;
}

/* The entries of part @p of @np by the census @cs: those of its bins
 * (whole ones: cut_parts(); W >= B >= 9 where there are several). */
static uint64_t part_census(const struct part_job *p, unsigned np,
			    const struct hc__census *cs, unsigned W)
{
	uint64_t m = 0, b, e;

	if (np == 1)
		return cs->n;
	b = p->h_lo >> (W - HC_CX_BINS_LG);
	e = (p->h_max >> (W - HC_CX_BINS_LG)) + 1;
	for (; b < e; b++)
		m += cs->bin[b];
	return m;
}

/*
 * Pass 2 into @nt parts of @proto's geometry, from the census @cs, each
 * part with window @D.  *np gets the number of parts, all to free.
 * With @h, streamed: each part's three arrays go straight to their place
 * in the file @fd, at @h's offsets moved by the entries the census
 * counted in the parts before; a part that finds another number of
 * entries (keys added since) gives HC_ECORRUPT.  Without, buffered:
 * each part's arrays in memory, which keys added since make grow.
 */
static int body(struct part_job *p, unsigned nt, unsigned *np,
		const struct hc_table *t, const struct hc__gv *v, uint64_t zc,
		const struct cwriter *proto, const struct hc__census *cs,
		uint64_t D, int fd, const struct hc__cheader *h)
{
	const unsigned W = proto->B + proto->R, R = proto->R, C = proto->k.C;
	uint64_t before = 0; /* entries of the parts before, streamed */
	int rc = HC_OK;

	memset(p, 0, nt * sizeof(*p));
	nt = cut_parts(p, nt, proto, t, v, D);
	*np = nt;
	for (unsigned i = 0; i < nt && !rc; i++) {
		uint64_t nb = p[i].b_hi - p[i].b_lo, m, d0, r0, c0;
		struct cwriter *w = &p[i].w;

		*w = *proto;
		w->nb = p[i].b_lo;
		p[i].t = t;
		p[i].v = v;
		p[i].zc = i ? 0 : zc;
		p[i].D = D;
		if (h) {
			/* The directory bits before: an entry's and a
			 * bucket's each. */
			m = part_census(&p[i], nt, cs, W);
			d0 = h->dir_off * 8 + before + p[i].b_lo;
			r0 = h->rem_off * 8 + before * R;
			c0 = h->cnt_off * 8 + before * C;
			before += m;
			rc = sink_open(&w->dir, &p[i].sink[0], fd, d0,
				       d0 + m + nb);
			if (!rc)
				rc = sink_open(&w->rem, &p[i].sink[1], fd, r0,
					       r0 + m * R);
			if (!rc)
				rc = sink_open(&w->k.cnt, &p[i].sink[2], fd, c0,
					       c0 + m * C);
		} else {
			/* Sized for the part's share of the census, one
			 * allocation each. */
			m = cs->n / nt + 1;
			rc = hc__bb_reserve(&w->dir, hc__words_for(m + nb) + 2);
			if (!rc)
				rc = hc__bb_reserve(&w->rem,
						    hc__words_for(m * R) + 2);
			if (!rc)
				rc = hc__bb_reserve(&w->k.cnt,
						    hc__words_for(m * C) + 2);
		}
		if (!rc)
			rc = sel_reserve(w, nb / HC_CSEL_EVERY + 1);
	}
	if (rc)
		return rc;
	hc__cx_run_jobs(part_main, p, sizeof(*p), nt);
	for (unsigned i = 0; i < nt; i++)
		if (p[i].rc)
			return p[i].rc;
	return HC_OK;
}

/* ---- the file --------------------------------------------------------- */

static int pwrite_all(int fd, const void *p, uint64_t len, uint64_t off)
{
	const unsigned char *c = p;

	while (len) {
		size_t chunk = len > (UINT64_C(1) << 30) ? (size_t)1 << 30
							 : (size_t)len;
		ssize_t n = pwrite(fd, c, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) /* a full device says so; errno is kept */
			return hc__write_error();
		c += n;
		len -= (uint64_t)n;
		off += (uint64_t)n;
	}
	return HC_OK;
}

void hc__fo_flush(struct hc__fout *f)
{
	if (!f->rc && f->nw) {
		f->rc = pwrite_all(f->fd, f->buf, f->nw * 8, f->off);
		if (f->st)
			XXH3_64bits_update(f->st, f->buf, f->nw * 8);
	}
	f->off += f->nw * 8;
	f->nw = 0;
}

void hc__fo_bits(struct hc__fout *f, const uint64_t *w, uint64_t bits)
{
	uint64_t full = bits / 64;
	unsigned r = (unsigned)(bits % 64), k = f->nacc;

	for (uint64_t i = 0; i < full; i++) {
		hc__fo_word(f, f->acc | w[i] << k);
		f->acc = k ? w[i] >> (64 - k) : 0;
	}
	if (r) {
		uint64_t x = w[full] & hc__mask_of(r);

		f->acc |= x << k;
		if (k + r >= 64) {
			hc__fo_word(f, f->acc);
			f->acc = k ? x >> (64 - k) : 0;
		}
		f->nacc = (k + r) % 64;
	}
}

void hc__fo_pad(struct hc__fout *f, uint64_t end)
{
	if (f->nacc) {
		hc__fo_word(f, f->acc);
		f->acc = 0;
		f->nacc = 0;
	}
	while (f->off + f->nw * 8 < end)
		hc__fo_word(f, 0);
}

/* The select samples of parts @p[0..np), each moved by the directory
 * bits of the parts before it. */
static void put_sel(struct hc__fout *f, const struct part_job *p, unsigned np)
{
	uint64_t base = 0;

	for (unsigned i = 0; i < np; i++) {
		for (uint64_t j = 0; j < p[i].w.sel_n; j++)
			hc__fo_word(f, p[i].w.sel[j] + base);
		base += bb_pos(&p[i].w.dir);
	}
}

/* The overflow entries of parts @p[0..np), each index moved by the
 * entries of the parts before it. */
static void put_ovf(struct hc__fout *f, const struct part_job *p, unsigned np)
{
	uint64_t base = 0;

	for (unsigned i = 0; i < np; i++) {
		for (uint64_t j = 0; j < p[i].w.k.n_ovf; j++) {
			hc__fo_word(f, p[i].w.k.ovf[j].idx + base);
			hc__fo_word(f, p[i].w.k.ovf[j].count);
		}
		base += p[i].w.n;
	}
}

/* The body of the file from parts @p[0..np) buffered in memory, at the
 * offsets of @h, hashed into @st as it is written. */
static int write_body(int fd, XXH3_state_t *st, const struct hc__cheader *h,
		      const struct part_job *p, unsigned np)
{
	struct hc__fout f = { fd, st, h->dir_off, NULL, 0, 0, 0, HC_OK };

	f.buf = malloc(HC_FOUT_WORDS * sizeof(*f.buf));
	if (!f.buf)
		return HC_ENOMEM;
	for (unsigned i = 0; i < np; i++)
		hc__fo_bits(&f, p[i].w.dir.w, p[i].w.dir.bits);
	hc__fo_pad(&f, h->sel_off);
	put_sel(&f, p, np);
	hc__fo_pad(&f, h->rem_off);
	for (unsigned i = 0; i < np; i++)
		hc__fo_bits(&f, p[i].w.rem.w, p[i].w.rem.bits);
	hc__fo_pad(&f, h->cnt_off);
	for (unsigned i = 0; i < np; i++)
		hc__fo_bits(&f, p[i].w.k.cnt.w, p[i].w.k.cnt.bits);
	hc__fo_pad(&f, h->ovf_off);
	put_ovf(&f, p, np);
	hc__fo_pad(&f, h->total_bytes);
	hc__fo_flush(&f);
	free(f.buf);
	return f.rc;
}

/* Hash bytes [@off, @end) of @fd into @st, read back. */
static int hash_back(int fd, uint64_t off, uint64_t end, XXH3_state_t *st)
{
	enum { CHUNK = 1 << 20 };
	unsigned char *buf = malloc(CHUNK);
	int rc = HC_OK;

	if (!buf)
		return HC_ENOMEM;
	while (off < end) {
		size_t len = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t got = pread(fd, buf, len, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = HC_EIO;
			break;
		}
		XXH3_64bits_update(st, buf, (size_t)got);
		off += (uint64_t)got;
	}
	free(buf);
	return rc;
}

/*
 * The rest of a streamed body, whose parts wrote their arrays: the words
 * two arrays share, joined; the select samples and the overflow entries;
 * then the hash of the whole body, read back, into @st.
 */
static int stream_finish(int fd, XXH3_state_t *st, const struct hc__cheader *h,
			 const struct part_job *p, unsigned np)
{
	uint64_t at[HC_CSAVE_THREADS_MAX * 6], x[HC_CSAVE_THREADS_MAX * 6];
	struct hc__fout f = { fd, NULL, h->sel_off, NULL, 0, 0, 0, HC_OK };
	unsigned n = 0;
	int rc = HC_OK;

	/* In file order already: parts in order, each array's first
	 * word before its last, the arrays one after the other. */
	for (unsigned a = 0; a < 3; a++)
		for (unsigned i = 0; i < np; i++)
			for (unsigned k = 0; k < p[i].sink[a].npiece; k++) {
				uint64_t w = p[i].sink[a].at[k];

				if (n && at[n - 1] == w) {
					x[n - 1] |= p[i].sink[a].piece[k];
					continue;
				}
				at[n] = w;
				x[n++] = p[i].sink[a].piece[k];
			}
	for (unsigned i = 0; i < n && !rc; i++)
		rc = pwrite_all(fd, &x[i], 8, at[i] * 8);
	if (rc)
		return rc;
	f.buf = malloc(HC_FOUT_WORDS * sizeof(*f.buf));
	if (!f.buf)
		return HC_ENOMEM;
	put_sel(&f, p, np);
	hc__fo_pad(&f, h->rem_off);
	hc__fo_flush(&f);
	f.off = h->ovf_off;
	put_ovf(&f, p, np);
	hc__fo_pad(&f, h->total_bytes);
	hc__fo_flush(&f);
	free(f.buf);
	rc = f.rc;
	if (!rc && ftruncate(fd, (off_t)h->total_bytes) != 0)
		rc = hc__write_error();
	return rc ? rc : hash_back(fd, h->dir_off, h->total_bytes, st);
}

static void parts_free(struct part_job *p, unsigned np)
{
	for (unsigned i = 0; i < np; i++)
		cw_free(&p[i].w);
	memset(p, 0, np * sizeof(*p));
}

int hc__cx_header_init(const hc_table *t, const hc_options *o,
		       uint64_t src_capacity, struct hc__cheader *h)
{
	if (t->hdr->user_len > HC_USER_MAX)
		return HC_ECORRUPT;
	memset(h, 0, sizeof(*h));
	h->magic = HC_CMAGIC;
	h->version = HC_COMPACT_VERSION;
	h->header_size = HC_CHEADER_SIZE;
	h->byte_order = HC_BYTE_ORDER_PROBE;
	h->word_size = sizeof(uint64_t);
	h->key_kind = (uint32_t)t->kind;
	h->mode = (uint32_t)t->mode;
	h->seed = t->seed;
	h->src_capacity = src_capacity;
	h->src_grow = o->grow;
	h->src_max_bits = o->max_bits;
	h->user_len = t->hdr->user_len;
	memcpy(h->user, t->hdr->user, h->user_len);
	return HC_OK;
}

int hc__cx_finish(int fd, XXH3_state_t *st, struct hc__cheader *h)
{
	int rc;

	h->body_check = XXH3_64bits_digest(st);
	h->check = hc__cheader_check(h);
	rc = pwrite_all(fd, h, sizeof(*h), 0);
	if (!rc && ftruncate(fd, (off_t)h->total_bytes) != 0)
		rc = hc__write_error();
	return rc;
}

/* Test hooks: nonzero makes every save buffered; the number of saves
 * that streamed their body (compact_write()). */
int hc__compact_buffered;
hc_aword hc__compact_streamed;

/*
 * Write the current generation of @t (u64 or packed; no growth in
 * flight) to @fd, an empty file, in the compact layout (byte keys:
 * compact_bytes.c, with the keys of @more merged in; an integer table
 * has none).  Returns 1 when a growth began during the walk (the caller
 * empties the file and starts again), else a status.  Both passes run
 * in up to hc__cx_save_threads() slices of the generation at once; the
 * bytes written are the same for any number.
 *
 * The body streams: each part writes its arrays straight to the file,
 * placed by the census, and the body is hashed read back, so the save
 * needs no memory of the file's size.  Where the table moved between
 * the passes (keys added, or a key past the census's window), the
 * placement is wrong and the body is made again buffered, as it was
 * before: each part's arrays in memory, then joined into the file.
 */
int hc__compact_write(hc_table *t, int fd, const hc_key_stream *more)
{
	struct part_job p[HC_CSAVE_THREADS_MAX];
	struct hc__census cs;
	struct hc__cheader h;
	struct cwriter proto;
	struct hc__gv v;
	XXH3_state_t st;
	hc_options o;
	uint64_t zc = 0, D, Ds, total = 0, n_ovf = 0;
	unsigned cur, top, W, nt = hc__cx_save_threads(), np = 0;
	int rc, brc, stream = 0;

	if (!t->ops->cx_decode) /* byte keys: a layout of their own */
		return hc__cbytes_write(t, fd, more);
	memset(p, 0, sizeof(p));
	rc = hc__gen_bounds(t, &cur, &top);
	if (!rc)
		rc = hc__gen_view(t, cur, &v);
	if (!rc)
		rc = hc_table_options(t, &o);
	if (!rc)
		rc = hc__cx_header_init(t, &o, v.capacity, &h);
	if (rc)
		return rc;
	if (t->ops->flags & HC_KIND_ZERO)
		/* ORDER: relaxed. A count publishes nothing (G3). */
		zc = hc_atomic_load_relaxed(&t->hdr->zero_count) &
		     t->count_mask;
	W = t->ops->cx_bits(t);
	rc = census(t, &v, zc, v.capacity < hc__compact_split_min ? 1 : nt,
		    &cs);
	if (rc)
		goto check;
	if (hc__compact_hook)
		hc__compact_hook(t);
	proto_init(&proto, &cs, W);
	h.key_bits = W < 64 ? W : 0; /* packed: b; u64: 0 */
	h.hash_bits = W;
	h.bucket_bits = proto.B;
	h.count_bits = proto.k.C;
	h.n = cs.n;
	D = v.max_probe ? v.max_probe : 1;
	Ds = cs.maxd < D ? cs.maxd + 1 : D;
	stream = !hc__compact_buffered && !hc__cx_layout(&h);
	if (stream) {
		rc = body(p, nt, &np, t, &v, zc, &proto, &cs, Ds, fd, &h);
		if (rc == HC_ECORRUPT) {
			/* Placed wrong: the table moved since the census
			 * (or is damaged, which the buffered body finds
			 * again). */
			parts_free(p, np);
			stream = 0;
		}
	}
	if (!stream) {
		rc = body(p, nt, &np, t, &v, zc, &proto, &cs, Ds, -1, NULL);
		if (rc == HC_ECORRUPT && Ds < D) {
			/* A key further from home than the short window:
			 * added since the census (or the table is damaged,
			 * which the probe limit's window reports again). */
			parts_free(p, np);
			rc = body(p, nt, &np, t, &v, zc, &proto, &cs, D, -1,
				  NULL);
		}
	}
check:
	if (rc && rc != HC_ECORRUPT)
		goto out;
	/* Keys added between the passes are kept (n grew): the buckets
	 * were sized for the census, which only costs space.  A growth
	 * since: frozen slots, or blocks given back under a read-only
	 * handle (M9), may have been read, and what looked damaged may be
	 * that; again. */
	brc = hc__gen_bounds(t, &cur, &top);
	if (!brc && (cur != v.g || top != v.g))
		rc = 1;
	else if (!rc)
		rc = brc;
	if (rc)
		goto out;
	for (unsigned i = 0; i < np; i++) {
		total += p[i].w.n;
		n_ovf += p[i].w.k.n_ovf;
	}
	h.n = total; /* streamed: the census's, each part checked */
	h.n_ovf = n_ovf;
	if (hc__cx_layout(&h)) {
		rc = HC_ECORRUPT;
		goto out;
	}
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	rc = stream ? stream_finish(fd, &st, &h, p, np)
		    : write_body(fd, &st, &h, p, np);
	if (!rc)
		rc = hc__cx_finish(fd, &st, &h);
	if (!rc && stream)
		/* ORDER: relaxed. A test's tally: it orders nothing. */
		hc_atomic_fetch_add_relaxed(&hc__compact_streamed, 1);
out:
	parts_free(p, np);
	return rc;
}
