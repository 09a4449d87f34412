/* SPDX-License-Identifier: MIT */
/*
 * compact_bytes.c - the compact layout of a byte-key table
 * (docs/format.md, "Compact files", "Byte keys"; docs/design.md,
 * "Compact files"): the keys sorted by their bytes and front-coded in
 * blocks of HC_CBLOCK_KEYS, every byte of that stored as its code in one
 * of two canonical Huffman codes of the file (lengths and prefixes, key
 * bytes), a block index of bit offsets, and the count array and
 * overflow array of compact.c.  Writing it from a live table (with the
 * keys of a caller's sorted hc_key_stream merged in), point gets (a
 * binary search over the block heads, then a decode of one block that
 * compares as it goes), the ordered walk and the full check.
 *
 * A key in a block is its length and bytes (the block's head), or the
 * bytes it shares with the key before it (l) and the rest (s bytes):
 * one byte of two nibbles min(l, 15), min(s, 15), then l - 15 and
 * s - 15 as LEB128 varints where a nibble is 15, then the s bytes.
 * Each byte is then a code of at most HC_CHUFF_BITS bits (the lengths
 * in code CODE_LEN, key bytes in CODE_KEY), read through a table of
 * 2^HC_CHUFF_BITS entries a code built at open from the file's code
 * lengths (hc__cbytes_bind()).
 *
 * Every read is bounded by the sizes validated at open and by the
 * block's end in the index, whatever the bytes say: a hostile file gives
 * HC_ECORRUPT (or a wrong answer), never a read outside the mapping.
 * Nothing here is atomic: the file is immutable.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compact_internal.h"

/* ---- the Huffman code of the stream's bytes --------------------------- */

/* Canonical codes of the lengths @len (0: the byte is absent), as
 * DEFLATE assigns them: shorter codes first, then by byte value.  Each
 * code is returned bit-reversed, as it is stored (read LSB first). */
static void canon(const unsigned char len[256], uint16_t rev[256])
{
	uint16_t count[HC_CHUFF_BITS + 1] = { 0 }, next[HC_CHUFF_BITS + 1];
	unsigned code = 0;

	for (unsigned b = 0; b < 256; b++)
		count[len[b]]++;
	count[0] = 0;
	for (unsigned l = 1; l <= HC_CHUFF_BITS; l++) {
		code = (code + count[l - 1]) << 1;
		next[l] = (uint16_t)code;
	}
	for (unsigned b = 0; b < 256; b++) {
		unsigned c = len[b] ? next[len[b]]++ : 0, r = 0;

		for (unsigned k = 0; k < len[b]; k++)
			r |= ((c >> k) & 1) << (len[b] - 1 - k);
		rev[b] = (uint16_t)r;
	}
}

/* The decoding table @tab of the code of lengths @len: HC_ECORRUPT if
 * a length is too long or they are no prefix code (Kraft's sum). */
static int code_table(const unsigned char len[256],
		      uint16_t tab[1u << HC_CHUFF_BITS])
{
	uint16_t rev[256];
	uint64_t kraft = 0;

	for (unsigned b = 0; b < 256; b++) {
		if (len[b] > HC_CHUFF_BITS)
			return HC_ECORRUPT;
		if (len[b])
			kraft += UINT64_C(1) << (HC_CHUFF_BITS - len[b]);
	}
	if (kraft > (UINT64_C(1) << HC_CHUFF_BITS))
		return HC_ECORRUPT;
	canon(len, rev);
	memset(tab, 0, sizeof(*tab) << HC_CHUFF_BITS);
	for (unsigned b = 0; b < 256; b++)
		for (unsigned x = rev[b]; len[b] && x < (1u << HC_CHUFF_BITS);
		     x += 1u << len[b])
			tab[x] = (uint16_t)(b | len[b] << 8);
	return HC_OK;
}

int hc__cbytes_bind(struct hc__compact *c,
		    const unsigned char len[HC_CHUFF_LENS])
{
	for (unsigned k = 0; k < HC_CHUFF_CODES; k++)
		if (code_table(len + 256 * k, c->htab[k]))
			return HC_ECORRUPT;
	return HC_OK;
}

/* ---- the key stream ---------------------------------------------------- */

/* A reader of one block: bits [pos, end) of the stream. */
struct brd {
	const struct hc__compact *c;
	uint64_t pos, end;
};

/* Which code a byte is in. */
enum { CODE_LEN, CODE_KEY };

/* The next byte of the block in code @k, or -1 past its end or at bits
 * that are no code.  end <= the stream's bits (rd_head). */
static inline int rd_byte(struct brd *r, unsigned k)
{
	uint64_t avail = r->end - r->pos;
	unsigned w = avail < HC_CHUFF_BITS ? (unsigned)avail : HC_CHUFF_BITS;
	unsigned e;

	if (!w)
		return -1;
	e = r->c->htab[k][hc__get_bits(r->c->kw, r->pos, w)];
	if (!(e >> 8) || (e >> 8) > w)
		return -1;
	r->pos += e >> 8;
	return (int)(e & 0xff);
}

/* A LEB128 value of at most 3 bytes (HC_KEY_BYTES_MAX needs 17 bits);
 * HC_ECORRUPT past the block or past HC_KEY_BYTES_MAX. */
static int rd_var(struct brd *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned sh = 0; sh < 21; sh += 7) {
		int b = rd_byte(r, CODE_LEN);

		if (b < 0)
			return HC_ECORRUPT;
		x |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*v = x;
			return x <= HC_KEY_BYTES_MAX ? HC_OK : HC_ECORRUPT;
		}
	}
	return HC_ECORRUPT;
}

/* A reader of block @j (bits idx[j] .. idx[j + 1] of the stream), at
 * the length of its head, into *len (1..HC_KEY_BYTES_MAX). */
static int rd_head(const struct hc__compact *c, uint64_t j, struct brd *r,
		   uint64_t *len)
{
	int rc;

	if (j >= c->n_blocks)
		return HC_ECORRUPT;
	r->c = c;
	r->pos = c->idx[j];
	r->end = c->idx[j + 1];
	if (r->pos > r->end || r->end > c->key_bytes * 8)
		return HC_ECORRUPT;
	rc = rd_var(r, len);
	return rc ? rc : *len ? HC_OK : HC_ECORRUPT;
}

/* Entries of block @j. */
static inline uint64_t block_len(const struct hc__compact *c, uint64_t j)
{
	return j + 1 < c->n_blocks ? c->K : c->n - j * c->K;
}

/* A key after the head: shares *l bytes with the one before it (of
 * @prev bytes), then *s bytes, s >= 1 (keys ascend strictly, so no key
 * is a prefix of the one before it). */
static int rd_entry(struct brd *r, uint64_t prev, uint64_t *l, uint64_t *s)
{
	int b = rd_byte(r, CODE_LEN), rc;

	if (b < 0)
		return HC_ECORRUPT;
	*l = (unsigned)b >> 4;
	*s = (unsigned)b & 15;
	if (*l == 15) {
		if ((rc = rd_var(r, l)) != HC_OK)
			return rc;
		*l += 15;
	}
	if (*s == 15) {
		if ((rc = rd_var(r, s)) != HC_OK)
			return rc;
		*s += 15;
	}
	if (*l > prev || *s == 0 || *l + *s > HC_KEY_BYTES_MAX)
		return HC_ECORRUPT;
	return HC_OK;
}

/*
 * Read @n bytes of a key whose first @at bytes equal @q's first: *m
 * (at on entry) counts on while they go on equal to @q (of @len
 * bytes), *nb gets the key's first byte that does not (-1: none).
 */
static int rd_match(struct brd *r, uint64_t n, const unsigned char *q,
		    size_t len, uint64_t *m, int *nb)
{
	int same = 1;

	*nb = -1;
	for (uint64_t i = 0; i < n; i++) {
		int b = rd_byte(r, CODE_KEY);

		if (b < 0)
			return HC_ECORRUPT;
		if (same && *m < len && b == q[*m]) {
			(*m)++;
		} else if (same) {
			same = 0;
			*nb = b;
		}
	}
	return HC_OK;
}

/* The bytes @a and @b share from their start, of @n at most: 8 at a
 * time, then the first that differs. */
static inline size_t lcp(const unsigned char *a, const unsigned char *b,
			 size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
#else
			return i + (size_t)__builtin_clzll(x ^ y) / 8;
#endif
		}
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* memcmp order, a shorter key before its extensions. */
static inline int key_cmp(const unsigned char *a, size_t na,
			  const unsigned char *b, size_t nb)
{
	int r = memcmp(a, b, na < nb ? na : nb);

	return r ? r : (na > nb) - (na < nb);
}

/* ---- reading ----------------------------------------------------------- */

int hc__cbytes_get(const struct hc_table *t, const void *key, size_t len,
		   uint64_t *count)
{
	const struct hc__compact *c = t->cx;
	const unsigned char *q = key;
	uint64_t lo = 0, hi = c->n_blocks, j, hl, m, prev, l, s;
	struct brd r;
	int rc, nb;

	/* The last block whose head is at most the key. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		m = 0;
		if ((rc = rd_head(c, mid, &r, &hl)) ||
		    (rc = rd_match(&r, hl < len ? hl : len, q, len, &m, &nb)))
			return rc;
		/* The head is at most @key: equal on the shorter length
		 * and not longer, or less at the first difference. */
		if (m == (hl < len ? hl : len) ? hl <= len : nb < q[m])
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return HC_OK; /* before the first key */
	j = lo - 1;
	/* The key at hand shares m bytes with @key; nb is its byte at m
	 * (-1: it has prev = m bytes, a prefix of @key). */
	m = 0;
	if ((rc = rd_head(c, j, &r, &hl)) ||
	    (rc = rd_match(&r, hl, q, len, &m, &nb)))
		return rc;
	prev = hl;
	for (uint64_t e = 0;;) {
		if (m == len) /* equal, or @key is a prefix of it */
			return m == prev ? hc__compact_count(c, j * c->K + e,
							     NULL, count)
					 : HC_OK;
		if (nb > q[m])
			return HC_OK; /* past @key */
		if (++e >= block_len(c, j))
			return HC_OK;
		rc = rd_entry(&r, prev, &l, &s);
		if (rc)
			return rc;
		prev = l + s;
		/* l < m: its byte at l is above the key before's, which is
		 * @key's.  l > m: the same byte at m as the key before (less):
		 * nb stays. */
		if (l < m)
			return HC_OK;
		if (l == m)
			rc = rd_match(&r, s, q, len, &m, &nb);
		else
			rc = rd_match(&r, s, q, 0, &l, &(int){ 0 }); /* skip */
		if (rc)
			return rc;
	}
}

/*
 * Read @n bytes into @buf at @at, over the key before (of @len bytes):
 * HC_ECORRUPT unless the new key (at bytes, then these) is greater.
 */
static int rd_into(struct brd *r, unsigned char *buf, uint64_t at, uint64_t n,
		   uint64_t len)
{
	int cmp = at < len ? 0 : 1; /* at == len: an extension */

	for (uint64_t i = at; i < at + n; i++) {
		int b = rd_byte(r, CODE_KEY);

		if (b < 0)
			return HC_ECORRUPT;
		if (!cmp)
			cmp = i >= len ? 1 : b - buf[i];
		/* After a shared prefix (at > 0), the first byte differs:
		 * the prefix stored is the longest. */
		if (!cmp && at)
			return HC_ECORRUPT;
		buf[i] = (unsigned char)b;
	}
	return cmp > 0 ? HC_OK : HC_ECORRUPT;
}

/*
 * Decode every entry in order, with every check the layout promises:
 * the index (from 0 to the stream's end, blocks ending where the next
 * begins), lengths 1..HC_KEY_BYTES_MAX, keys strictly ascending (so
 * every stored prefix is the longest).  @fn sees each key (in @buf,
 * HC_KEY_BYTES_MAX bytes); HC_ECORRUPT.
 */
static int walk(const struct hc__compact *c, unsigned char *buf,
		int (*fn)(void *ctx, const unsigned char *k, size_t len),
		void *ctx)
{
	uint64_t len = 0;
	int rc;

	if (c->idx[0] != 0 || c->idx[c->n_blocks] > c->key_bytes * 8 ||
	    (c->idx[c->n_blocks] + 7) / 8 != c->key_bytes)
		return HC_ECORRUPT;
	for (uint64_t j = 0; j < c->n_blocks; j++) {
		struct brd r;
		uint64_t hl, l, s;

		if ((rc = rd_head(c, j, &r, &hl)))
			return rc;
		/* The first key is greater than nothing (len 0). */
		if ((rc = rd_into(&r, buf, 0, hl, j ? len : 0)))
			return rc;
		len = hl;
		if ((rc = fn(ctx, buf, len)))
			return rc;
		for (uint64_t e = 1; e < block_len(c, j); e++) {
			if ((rc = rd_entry(&r, len, &l, &s)) ||
			    (rc = rd_into(&r, buf, l, s, len)))
				return rc;
			len = l + s;
			if ((rc = fn(ctx, buf, len)))
				return rc;
		}
		if (r.pos != r.end)
			return HC_ECORRUPT;
	}
	return HC_OK;
}

/* The keys one after the other, {u32 length, bytes}, in this process's
 * heap: what iteration hands out (hc_entry.bytes stays valid until the
 * table is closed, and front-coded keys are not whole in the file). */
struct flat {
	unsigned char *p;
	uint64_t len, cap;
};

static int flat_add(void *ctx, const unsigned char *k, size_t len)
{
	struct flat *f = ctx;
	uint32_t l32 = (uint32_t)len;

	if (f->len + 4 + len > f->cap) {
		uint64_t n = 2 * f->cap + 4 + len;
		unsigned char *p =
			n <= SIZE_MAX ? realloc(f->p, (size_t)n) : NULL;

		if (!p)
			return HC_ENOMEM;
		f->p = p;
		f->cap = n;
	}
	memcpy(f->p + f->len, &l32, 4);
	memcpy(f->p + f->len + 4, k, len);
	f->len += 4 + len;
	return HC_OK;
}

/* Decode the keys into c->flat once per handle, under map_lock. */
static int flatten(const struct hc_table *t)
{
	struct hc__compact *c = t->cx;
	struct flat f = { NULL, 0, 0 };
	unsigned char *buf;
	int rc = HC_OK;

	pthread_mutex_lock(t->map_lock);
	if (c->flat)
		goto out;
	buf = malloc(HC_KEY_BYTES_MAX);
	f.cap = c->key_bytes + 4 * c->n + 64;
	f.p = f.cap <= SIZE_MAX ? malloc((size_t)f.cap) : NULL;
	rc = buf && f.p ? walk(c, buf, flat_add, &f) : HC_ENOMEM;
	free(buf);
	if (rc) {
		free(f.p);
		goto out;
	}
	c->flat = f.p;
	c->flat_len = f.len;
out:
	pthread_mutex_unlock(t->map_lock);
	return rc;
}

int hc__cbytes_next(const struct hc_table *t, uint64_t *pos, uint64_t *i,
		    uint64_t *o, hc_entry *e)
{
	const struct hc__compact *c = t->cx;
	uint64_t cnt;
	uint32_t len;
	int rc;

	if (*i >= c->n)
		return 0;
	if (!c->flat && (rc = flatten(t)))
		return rc;
	if (*pos + 4 > c->flat_len)
		return HC_ECORRUPT;
	memcpy(&len, c->flat + *pos, 4);
	if (len > c->flat_len - *pos - 4)
		return HC_ECORRUPT;
	rc = hc__compact_count(c, *i, o, &cnt);
	if (rc)
		return rc;
	hc__entry_set(e, 0, c->flat + *pos + 4, len, cnt);
	*pos += 4 + (uint64_t)len;
	(*i)++;
	return 1;
}

static int no_op(void *ctx, const unsigned char *k, size_t len)
{
	(void)ctx;
	(void)k;
	(void)len;
	return HC_OK;
}

int hc__cbytes_verify(const struct hc_table *t)
{
	const struct hc__compact *c = t->cx;
	unsigned char *buf = malloc(HC_KEY_BYTES_MAX);
	int rc;

	if (!buf)
		return HC_ENOMEM;
	rc = walk(c, buf, no_op, NULL);
	free(buf);
	/* The stream's padding to a word is zero. */
	for (uint64_t p = c->idx[c->n_blocks]; !rc && p % 64; p++)
		if (hc__get_bits(c->kw, p, 1))
			rc = HC_ECORRUPT;
	return rc ? rc : hc__cx_verify_counts(c);
}

int hc__cbytes_check(const struct hc__cheader *h)
{
	if (h->key_bits || h->hash_bits || h->bucket_bits || h->rem_bits ||
	    h->block_keys == 0 || h->block_keys > HC_CBLOCK_KEYS_MAX)
		return HC_ECORRUPT;
	return HC_OK;
}

/* ---- writing ----------------------------------------------------------- */

/* How many entries ahead the writer fetches key bytes (an entry's order
 * is not the key area's). */
#define AHEAD 16u

struct bent {
	const unsigned char *p;
	uint64_t count;
	uint64_t chunk; /* the key's 8 bytes from the sort's depth, big-endian,
			 * zero-padded */
	uint32_t len;
	uint32_t more; /* bytes of the key from that depth, 9 if more than 8 */
};

static int bent_cmp(const void *a, const void *b)
{
	const struct bent *x = a, *y = b;

	return key_cmp(x->p, x->len, y->p, y->len);
}

/* Load each key's chunk at depth @d. */
static void chunk_load(struct bent *a, uint64_t n, size_t d)
{
	for (uint64_t i = 0; i < n; i++) {
		size_t r = a[i].len > d ? a[i].len - d : 0;
		uint64_t v = 0;

		if (i + AHEAD < n)
			__builtin_prefetch(a[i + AHEAD].p + d);

		if (r >= 8) {
			for (unsigned j = 0; j < 8; j++)
				v = v << 8 | a[i].p[d + j];
		} else {
			for (unsigned j = 0; j < 8; j++)
				v = v << 8 | (j < r ? a[i].p[d + j] : 0u);
		}
		a[i].chunk = v;
		a[i].more = r > 8 ? 9u : (uint32_t)r;
	}
}

/* Chunk order: the chunk, then the shorter key (zero padding is not a
 * byte), so that equal means "the same 8 bytes, and both go on". */
static inline int chunk_cmp(const struct bent *x, const struct bent *y)
{
	if (x->chunk != y->chunk)
		return x->chunk < y->chunk ? -1 : 1;
	return (x->more > y->more) - (x->more < y->more);
}

static inline void bent_swap(struct bent *a, uint64_t i, uint64_t j)
{
	struct bent t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/* Past this many bytes of shared prefix the sort is qsort's (bent_cmp),
 * which bounds the recursion. */
#define SORT_DEPTH_MAX 256u

/*
 * Sort @a[0..n), whose keys agree on their first @d bytes and whose
 * chunks at @d are loaded, by their bytes: a multikey quicksort
 * (Bentley and Sedgewick) on 8-byte chunks, so that a comparison reads
 * the entry, not the key area, until two keys share the chunk.  The
 * smaller side recurses and the larger one loops: log2(n) frames a
 * depth, and at most SORT_DEPTH_MAX / 8 depths.
 */
static void sort_keys(struct bent *a, uint64_t n, size_t d)
{
	while (n > 1) {
		uint64_t lt = 0, i = 0, gt = n;
		struct bent pv;

		if (d >= SORT_DEPTH_MAX) {
			qsort(a, (size_t)n, sizeof(*a), bent_cmp);
			return;
		}
		if (n < 8) {
			for (uint64_t x = 1; x < n; x++)
				for (uint64_t y = x;
				     y > 0 && bent_cmp(&a[y - 1], &a[y]) > 0;
				     y--)
					bent_swap(a, y - 1, y);
			return;
		}
		/* Median of three chunks as the pivot. */
		{
			const struct bent *p0 = &a[0], *p1 = &a[n / 2],
					  *p2 = &a[n - 1], *m;

			if (chunk_cmp(p0, p1) < 0)
				m = chunk_cmp(p1, p2) < 0   ? p1
				    : chunk_cmp(p0, p2) < 0 ? p2
							    : p0;
			else
				m = chunk_cmp(p0, p2) < 0   ? p0
				    : chunk_cmp(p1, p2) < 0 ? p2
							    : p1;
			pv = *m;
		}
		/* Dijkstra's three ways: [0, lt) <, [lt, gt) ==, [gt, n) >. */
		while (i < gt) {
			int c = chunk_cmp(&a[i], &pv);

			if (c < 0)
				bent_swap(a, lt++, i++);
			else if (c > 0)
				bent_swap(a, i, --gt);
			else
				i++;
		}
		if (pv.more == 9 && gt - lt > 1) {
			chunk_load(a + lt, gt - lt, d + 8);
			sort_keys(a + lt, gt - lt, d + 8);
		}
		if (lt < n - gt) {
			sort_keys(a, lt, d);
			a += gt;
			n -= gt;
		} else {
			sort_keys(a + gt, n - gt, d);
			n = lt;
		}
	}
}

/* Buckets of the first pass: the top 16 bits of the first chunk. */
#define TOP_BITS 16u
#define TOP_N (1u << TOP_BITS)

struct sort_job {
	_Alignas(64) struct bent *a; /* a cache line of its own */
	const uint64_t *start; /* TOP_N + 1 bucket starts */
	unsigned b0, b1; /* this job's buckets */
};

static void *sort_part(void *arg)
{
	struct sort_job *j = arg;

	for (unsigned b = j->b0; b < j->b1; b++)
		sort_keys(j->a + j->start[b], j->start[b + 1] - j->start[b], 0);
	return NULL;
}

/*
 * Sort @a[0..n) (chunks at depth 0 loaded) by key bytes: an in-place
 * distribution on the first two bytes (American flag sort), then each
 * bucket by sort_keys(), small enough to sit in the cache, the buckets
 * shared among up to hc__cx_save_threads() threads.
 */
static int sort_all(struct bent *a, uint64_t n)
{
	struct sort_job job[HC_CSAVE_THREADS_MAX];
	uint64_t *start, *next;
	unsigned nt = n < hc__compact_split_min ? 1 : hc__cx_save_threads(),
		 b = 0;

	/* Nothing to sort; an empty table's @a is NULL, and NULL + 0 in
	 * sort_part() is undefined. */
	if (n < 2)
		return HC_OK;
	start = calloc(2 * TOP_N + 1, sizeof(*start));
	if (!start)
		return HC_ENOMEM;
	next = start + TOP_N + 1;
	for (uint64_t i = 0; i < n; i++)
		start[(a[i].chunk >> (64 - TOP_BITS)) + 1]++;
	for (unsigned c = 0; c < TOP_N; c++)
		start[c + 1] += start[c];
	memcpy(next, start, TOP_N * sizeof(*next));
	for (unsigned c = 0; c < TOP_N; c++) {
		while (next[c] < start[c + 1]) {
			struct bent e = a[next[c]], x;
			unsigned d = (unsigned)(e.chunk >> (64 - TOP_BITS));

			/* Carry e to its bucket, and what it displaces on,
			 * until one belongs in bucket c. */
			while (d != c) {
				x = a[next[d]];
				a[next[d]++] = e;
				e = x;
				d = (unsigned)(e.chunk >> (64 - TOP_BITS));
			}
			a[next[c]++] = e;
		}
	}
	for (unsigned i = 0; i < nt; i++) {
		uint64_t want = n / nt * (i + 1);

		job[i].a = a;
		job[i].start = start;
		job[i].b0 = b;
		while (b < TOP_N && (i == nt - 1 || start[b + 1] <= want))
			b++;
		job[i].b1 = b;
	}
	hc__cx_run_jobs(sort_part, job, sizeof(job[0]), nt);
	free(start);
	return HC_OK;
}

/* A growable byte buffer. */
struct bbuf {
	unsigned char *p;
	uint64_t len, cap;
	int rc;
};

/* Room in @b for @n more bytes: HC_OK, or HC_ENOMEM in b->rc. */
static int bgrow(struct bbuf *b, uint64_t n)
{
	uint64_t c = 2 * b->cap + n + 4096;
	unsigned char *q = c <= SIZE_MAX ? realloc(b->p, (size_t)c) : NULL;

	if (!q)
		return b->rc = HC_ENOMEM;
	b->p = q;
	b->cap = c;
	return HC_OK;
}

static inline void bput(struct bbuf *b, const void *p, uint64_t n)
{
	if (b->rc || (b->len + n > b->cap && bgrow(b, n)))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void bput_var(struct bbuf *b, uint64_t v)
{
	unsigned char x[4];
	unsigned n = 0;

	do {
		x[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	bput(b, x, n);
}

/* The entries of @t, in its walk's order (G2), with their census. */
static int gather(hc_table *t, struct bent **out, uint64_t *n,
		  uint64_t hist[65])
{
	struct bent *a = NULL;
	uint64_t cap = 0;
	hc_iter *it;
	hc_entry e;
	int rc = hc_iter_create(t, &it);

	*n = 0;
	memset(hist, 0, 65 * sizeof(*hist));
	while (!rc && (rc = hc_iter_next(it, &e)) == 1) {
		if (*n == cap) {
			uint64_t c = cap ? 2 * cap : 4096;
			struct bent *p = realloc(a, c * sizeof(*p));

			if (!p) {
				rc = HC_ENOMEM;
				break;
			}
			a = p;
			cap = c;
		}
		a[*n].p = e.bytes;
		a[*n].len = (uint32_t)e.len;
		a[*n].count = e.count;
		chunk_load(&a[*n], 1, 0);
		hc__census_add(e.count, n, hist);
		rc = 0;
	}
	if (it)
		hc_iter_destroy(it);
	if (rc) {
		free(a);
		return rc;
	}
	*out = a;
	return HC_OK;
}

/*
 * The keys to merge with the table's: @s's key at hand (@p, @len: the
 * caller's bytes, valid until its next call) and a copy of the one
 * before it in @prev (HC_KEY_BYTES_MAX bytes), for the order check and
 * the shared prefix of the key after it.
 */
struct sin {
	const hc_key_stream *s;
	int part; /* -1: s->key; else s->key_part of this part */
	uint64_t i; /* the key at hand, and those before it taken */
	uint64_t end; /* the keys to take: up to here */
	const unsigned char *p;
	size_t len;
	size_t l; /* the bytes it shares with prev */
	unsigned char *prev;
	size_t plen;
	int have_prev; /* prev holds the key before i */
};

/* Take key s->i: HC_EINVAL unless its length is 1..HC_KEY_BYTES_MAX,
 * its count at least 1 and it is above the one before.  The bytes it
 * shares with that one, found once, give both the order and the front
 * code's prefix. */
static int sin_next(struct sin *in)
{
	const void *p = NULL;
	size_t len = 0, m, l = 0;
	int rc = in->part < 0 ? in->s->key(in->s->arg, in->i, &p, &len)
			      : in->s->key_part(in->s->arg, (unsigned)in->part,
						in->i, &p, &len);

	if (rc)
		return rc < 0 ? rc : HC_EINVAL;
	if (!p || len == 0 || len > HC_KEY_BYTES_MAX ||
	    hc__stream_count_of(in->s, in->i) == 0)
		return HC_EINVAL;
	if (in->have_prev) {
		m = len < in->plen ? len : in->plen;
		l = lcp(in->prev, p, m);
		if (l == m ? len <= in->plen
			   : ((const unsigned char *)p)[l] < in->prev[l])
			return HC_EINVAL; /* not above the one before */
	}
	in->p = p;
	in->len = len;
	in->l = l;
	return HC_OK;
}

/* Keep the stream's key at hand as prev: only the bytes after those
 * the two share change. */
static void sin_keep(struct sin *in)
{
	memcpy(in->prev + in->l, in->p + in->l, in->len - in->l);
	in->plen = in->len;
	in->have_prev = 1;
}

/* Where merged entry @i came from, 2 bits of @src: SRC_T (the table),
 * SRC_S (the stream), both (a key of both, counts summed). */
enum { SRC_T = 1, SRC_S = 2 };

static inline unsigned src_of(const unsigned char *src, uint64_t i)
{
	return (unsigned)(src[i >> 2] >> (2 * (i & 3))) & 3u;
}

/*
 * The key stream and block index of @a[0..na), sorted, merged with the
 * keys of @in (NULL: none) up to in->end: *n entries, where each came
 * from in @src (zeroed, 2 bits an entry; NULL when @na is 0: all from
 * @in).  A key of both is written once; the counts are written after
 * (write_counts()), when the census of the sums is known.  A key twice
 * in the table: HC_ECORRUPT.
 */
static int encode(const struct bent *a, uint64_t na, struct sin *in,
		  struct bbuf *k, uint64_t *idx, unsigned char *src,
		  uint64_t *n)
{
	uint64_t ns = in ? in->end : 0, ia = 0, i = 0;
	const unsigned char *pp = NULL;
	size_t pl = 0;
	int rc, last_s = 0; /* the key before is the stream's (in->prev) */

	if (in && in->i < ns && (rc = sin_next(in)))
		return rc;
	for (; (ia < na || (in && in->i < ns)) && !k->rc; i++) {
		/* < 0: the table's key is next; > 0: the stream's; 0: both. */
		int c = ia == na ? 1
			: !in || in->i == ns
				? -1
				: key_cmp(a[ia].p, a[ia].len, in->p, in->len);
		const unsigned char *p = c <= 0 ? a[ia].p : in->p;
		size_t len = c <= 0 ? a[ia].len : in->len;

		if (ia + AHEAD < na)
			__builtin_prefetch(a[ia + AHEAD].p);
		if (i % HC_CBLOCK_KEYS == 0) {
			idx[i / HC_CBLOCK_KEYS] = k->len;
			bput_var(k, len);
			bput(k, p, len);
		} else {
			size_t m = len < pl ? len : pl;
			uint64_t l = c > 0 && last_s ? in->l : lcp(pp, p, m),
				 s = len - l;
			unsigned char b =
				(unsigned char)((l < 15 ? l : 15) << 4 |
						(s < 15 ? s : 15));

			if (s == 0)
				return HC_ECORRUPT; /* a key twice */
			bput(k, &b, 1);
			if (l >= 15)
				bput_var(k, l - 15);
			if (s >= 15)
				bput_var(k, s - 15);
			bput(k, p + l, s);
		}
		if (src)
			src[i >> 2] |= (unsigned char)(((c <= 0 ? SRC_T : 0) |
							(c >= 0 ? SRC_S : 0))
						       << (2 * (i & 3)));
		if (c <= 0) {
			pp = p;
			pl = len;
			ia++;
		}
		last_s = c >= 0;
		if (c >= 0) {
			/* The caller's bytes last until its next call. */
			sin_keep(in);
			pp = in->prev;
			pl = in->plen;
			if (++in->i < ns && (rc = sin_next(in)))
				return rc;
		}
	}
	idx[(i + HC_CBLOCK_KEYS - 1) / HC_CBLOCK_KEYS] = k->len;
	*n = i;
	return k->rc;
}

/*
 * The counts of the @n merged entries (@src: where each came from, NULL:
 * all from the stream; @a: the table's, @sc: the stream's), passed to @w
 * when @w is not NULL, else their census into @hist: HC_ERANGE if a sum
 * passes UINT64_MAX.
 */
static int write_counts(const struct bent *a, const hc_key_stream *sc,
			const unsigned char *src, uint64_t n,
			struct hc__cntw *w, uint64_t hist[65])
{
	uint64_t ia = 0, is = 0, m = 0;
	int rc;

	if (!w)
		memset(hist, 0, 65 * sizeof(*hist));
	for (uint64_t i = 0; i < n; i++) {
		unsigned f = src ? src_of(src, i) : SRC_S;
		uint64_t c = f & SRC_T ? a[ia++].count : 0;

		if ((f & SRC_S) &&
		    __builtin_add_overflow(c, hc__stream_count_of(sc, is++),
					   &c))
			return HC_ERANGE;
		if (!w)
			hc__census_add(c, &m, hist);
		else if ((rc = hc__cntw_put(w, i, c)))
			return rc;
	}
	return HC_OK;
}

/* Code lengths of at most HC_CHUFF_BITS bits for bytes of counts @f:
 * Huffman's, with the counts halved (none to 0) until the longest code
 * fits.  One byte alone gets a code of 1 bit. */
static void huff_lengths(const uint64_t f[256], unsigned char len[256])
{
	uint64_t wt[511];
	int16_t par[511];
	unsigned char live[511];

	memset(len, 0, 256);
	for (unsigned b = 0; b < 256; b++)
		wt[b] = f[b];
	for (;;) {
		unsigned nodes = 256, used = 0, max = 0;

		for (unsigned b = 0; b < 256; b++) {
			live[b] = wt[b] != 0;
			used += live[b];
			par[b] = -1;
		}
		if (used <= 1) {
			for (unsigned b = 0; b < 256; b++)
				len[b] = wt[b] ? 1 : 0;
			return;
		}
		/* Join the two lightest live nodes, used - 1 times. */
		for (unsigned k = 1; k < used; k++) {
			int x = -1, y = -1;

			for (unsigned i = 0; i < nodes; i++) {
				if (!live[i])
					continue;
				if (x < 0 || wt[i] < wt[x]) {
					y = x;
					x = (int)i;
				} else if (y < 0 || wt[i] < wt[y]) {
					y = (int)i;
				}
			}
			wt[nodes] = wt[x] + wt[y];
			live[nodes] = 1;
			par[nodes] = -1;
			live[x] = live[y] = 0;
			par[x] = par[y] = (int16_t)nodes;
			nodes++;
		}
		for (unsigned b = 0; b < 256; b++) {
			unsigned d = 0;

			for (int p = par[b]; wt[b] && p >= 0; p = par[p])
				d++;
			len[b] = (unsigned char)(d < 255 ? d : 255);
			max = d > max ? d : max;
		}
		if (max <= HC_CHUFF_BITS)
			return;
		for (unsigned b = 0; b < 256; b++)
			wt[b] = f[b] ? (wt[b] >> 1) | 1 : 0;
	}
}

/* A LEB128 value at @p (as bput_var() wrote it) and, into *n, its bytes. */
static inline uint64_t var_get(const unsigned char *p, unsigned *n)
{
	uint64_t v = 0;
	unsigned i = 0;

	do
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
	while (p[i++] & 0x80);
	*n = i;
	return v;
}

/* Bytes @p[0..n) all in code @code, to the frequencies or the coder. */
typedef void run_fn(void *ctx, unsigned code, const unsigned char *p,
		    uint64_t n);

/*
 * Block [@p, @end) of the stream encode() wrote, as runs of bytes of
 * one code (docs/format.md, "Byte keys"): the head's varint length, its
 * bytes, then for each later key its nibble byte and varints, and its s
 * bytes.  The writer's own stream: its structure is not checked.
 */
static inline void block_runs(const unsigned char *p, const unsigned char *end,
			      run_fn *fn, void *ctx)
{
	unsigned n;
	uint64_t s = var_get(p, &n);

	for (;;) {
		fn(ctx, CODE_LEN, p, n);
		p += n;
		fn(ctx, CODE_KEY, p, s);
		p += s;
		if (p >= end)
			return;
		n = 1;
		if (p[0] >> 4 == 15) {
			unsigned m;

			(void)var_get(p + n, &m);
			n += m;
		}
		s = p[0] & 15u;
		if (s == 15) {
			unsigned m;

			s += var_get(p + n, &m);
			n += m;
		}
	}
}

static void count_run(void *ctx, unsigned code, const unsigned char *p,
		      uint64_t n)
{
	uint64_t *f = (uint64_t *)ctx + 256 * code;

	for (uint64_t i = 0; i < n; i++)
		f[p[i]]++;
}

/* The Huffman coder: each byte's code (bit-reversed, in the low 16 bits)
 * and length (above), appended to a partial word @acc of @nacc bits
 * (< 64), then to whole words at @w; the word at @w0 into @first
 * instead (a part's first word, which the part before it shares). */
struct hcoder {
	const uint32_t (*code)[256];
	uint64_t *w, *w0;
	uint64_t acc, first;
	unsigned nacc;
};

static inline void code_word(struct hcoder *h, uint64_t *w, uint64_t v)
{
	if (w == h->w0)
		h->first = v;
	else
		*w = v;
}

static inline void code_run(void *ctx, unsigned code, const unsigned char *p,
			    uint64_t n)
{
	struct hcoder *h = ctx;
	const uint32_t *t = h->code[code];
	uint64_t acc = h->acc, *w = h->w;
	unsigned nacc = h->nacc;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = t[p[i]] & 0xffff;
		unsigned l = t[p[i]] >> 16;

		acc |= v << nacc;
		nacc += l;
		if (nacc >= 64) {
			/* v's first l - nacc bits filled the word. */
			code_word(h, w++, acc);
			nacc -= 64;
			acc = v >> (l - nacc);
		}
	}
	h->acc = acc;
	h->w = w;
	h->nacc = nacc;
}

/* The byte frequencies of blocks [0, nb) of @k at byte offsets @idx,
 * added to @f. */
static void huff_count(const struct bbuf *k, const uint64_t *idx, uint64_t nb,
		       uint64_t f[HC_CHUFF_CODES][256])
{
	for (uint64_t j = 0; j < nb; j++)
		block_runs(k->p + idx[j], k->p + idx[j + 1], count_run, f);
}

/* The codes of bytes of frequencies @f: their lengths into @len, each
 * code and length into @code (as struct hcoder takes them). */
static void huff_code(const uint64_t f[HC_CHUFF_CODES][256],
		      unsigned char len[HC_CHUFF_LENS],
		      uint32_t code[HC_CHUFF_CODES][256])
{
	uint16_t rev[256];

	for (unsigned c = 0; c < HC_CHUFF_CODES; c++) {
		huff_lengths(f[c], len + 256 * c);
		canon(len + 256 * c, rev);
		for (unsigned b = 0; b < 256; b++)
			code[c][b] = rev[b] | (uint32_t)len[256 * c + b] << 16;
	}
}

/* The bits the codes of lengths @len take for bytes of frequencies @f. */
static uint64_t huff_bits(const uint64_t f[HC_CHUFF_CODES][256],
			  const unsigned char len[HC_CHUFF_LENS])
{
	uint64_t bits = 0;

	for (unsigned c = 0; c < HC_CHUFF_CODES; c++)
		for (unsigned b = 0; b < 256; b++)
			bits += f[c][b] * len[256 * c + b];
	return bits;
}

/* Bytes of a part's front-coded keys given back at a time as they are
 * coded (huff_run()). */
#define RELEASE_STEP ((uintptr_t)1 << 20)

/* Give back the pages of @k from byte *@from (page aligned up) to
 * @upto (down), RELEASE_STEP or more at a time: advice (madvise), as
 * the bytes are not read again. */
static void bbuf_release(const struct bbuf *k, uintptr_t page, uint64_t *from,
			 uint64_t upto)
{
	uintptr_t a, e;

	a = ((uintptr_t)k->p + *from + page - 1) & ~(page - 1);
	e = ((uintptr_t)k->p + upto) & ~(page - 1);
	if (e > a && e - a >= RELEASE_STEP) {
		(void)madvise((void *)a, e - a, MADV_DONTNEED);
		*from = e - (uintptr_t)k->p;
	}
}

/* Start coding by @h at bit @off of @out (its words zeroed). */
static void huff_start(struct hcoder *h, const struct hc__bitbuf *out,
		       uint64_t off)
{
	h->w = out->w + off / 64;
	h->acc = 0;
	h->nacc = (unsigned)(off % 64);
}

/* Blocks [0, nb) of @k at byte offsets @idx (@idx[nb]: the end), coded
 * by @h on into @out, @idx[0..nb) moved to bit offsets.  @page: the
 * pages of @k are given back as they are coded (the caller frees @k
 * next), from byte *@gone on; 0: they are not. */
static void huff_run(struct hcoder *h, const struct bbuf *k, uint64_t *idx,
		     uint64_t nb, const struct hc__bitbuf *out, uintptr_t page,
		     uint64_t *gone)
{
	for (uint64_t j = 0; j < nb; j++) {
		uint64_t from = idx[j];

		idx[j] = (uint64_t)(h->w - out->w) * 64 + h->nacc;
		block_runs(k->p + from, k->p + idx[j + 1], code_run, h);
		if (page)
			bbuf_release(k, page, gone, idx[j + 1]);
	}
}

/* The last partial word. */
static void huff_end(struct hcoder *h)
{
	code_word(h, h->w, h->acc);
}

/* The byte stream @k of blocks at byte offsets @idx, Huffman-coded into
 * @out (each byte in its code), @idx moved to bit offsets; the codes'
 * lengths into @len. */
static int huff_encode(const struct bbuf *k, uint64_t *idx, uint64_t nb,
		       unsigned char len[HC_CHUFF_LENS], struct hc__bitbuf *out)
{
	uint64_t f[HC_CHUFF_CODES][256], bits;
	uint32_t code[HC_CHUFF_CODES][256];
	struct hcoder h = { (const uint32_t(*)[256])code, NULL, NULL, 0, 0, 0 };
	int rc;

	memset(f, 0, sizeof(f));
	huff_count(k, idx, nb, f);
	huff_code((const uint64_t(*)[256])f, len, code);
	bits = huff_bits((const uint64_t(*)[256])f, len);
	rc = hc__bb_reserve(out, hc__words_for(bits) + 1);
	if (rc)
		return rc;
	huff_start(&h, out, 0);
	huff_run(&h, k, idx, nb, out, 0, NULL);
	huff_end(&h);
	idx[nb] = bits;
	out->bits = bits;
	return HC_OK;
}

/* ---- a stream alone, in parts ------------------------------------------ */

/*
 * A stream whose table has no keys, written by up to
 * HC_CSAVE_THREADS_MAX threads: each part front-codes a range of whole
 * blocks, hc__compact_chunk_blocks at a time (its first key's order
 * against the key before it checked too), and counts their bytes;
 * then, with the codes of every part's counts, each codes its blocks
 * from its own bit offset, known from its counts.  Every word a part writes is its own
 * but its first, which it shares with the part before: kept aside, and
 * or-ed in once all are done.  The bits are those one thread writes.
 *
 * Between the two passes a part keeps the front-coded bytes of its
 * chunks while they take at most hc__compact_keep_per_key bytes a key
 * of the part; a chunk past that is made again from the stream to be
 * coded, so that the writer's memory does not grow with the keys'
 * lengths.  8 bytes: the writer adds no more than an array of the
 * keys' counts would take (word 3-grams of generated text, 7.7 bytes
 * a key front-coded, are kept nearly all; real text's 25, a third).
 * The pages of kept chunks go back as they are coded.
 */
uint64_t hc__compact_keep_per_key = 8;
uint64_t hc__compact_chunk_blocks = 512;

struct epart {
	_Alignas(64) struct sin in; /* a cache line of its own */
	uint64_t lo, hi, nb; /* its keys [lo, hi), its blocks */
	uint64_t cb; /* blocks a chunk */
	struct bbuf k; /* the kept chunks, one after another */
	struct bbuf s; /* a chunk made again */
	uint64_t nkept; /* chunks [0, nkept) are in k, the rest made again */
	uint64_t *sum; /* by chunk made again: its bytes' XXH3 */
	uint64_t *idx; /* nb + 1 */
	uint64_t f[HC_CHUFF_CODES][256];
	struct hcoder h;
	const struct hc__bitbuf *out;
	uint64_t off; /* its first bit */
	int coding, rc;
};

/* Front-code the keys of blocks [b0, b0 + nb) of part @p from its
 * stream, at its key at hand, into @k, their byte offsets into
 * p->idx[b0..b0 + nb]. */
static int epart_chunk(struct epart *p, struct bbuf *k, uint64_t b0,
		       uint64_t nb)
{
	uint64_t n = 0, end = p->lo + (b0 + nb) * HC_CBLOCK_KEYS;

	p->in.end = end < p->hi ? end : p->hi;
	return encode(NULL, 0, &p->in, k, p->idx + b0, NULL, &n);
}

/* The blocks of @p's chunk that starts at block @b0. */
static uint64_t chunk_blocks(const struct epart *p, uint64_t b0)
{
	return p->nb - b0 < p->cb ? p->nb - b0 : p->cb;
}

/* The XXH3 of @n front-coded bytes at @q, with their length. */
static uint64_t chunk_sum(const unsigned char *q, uint64_t n)
{
	return XXH3_64bits_withSeed(q, (size_t)n, n);
}

/*
 * Pass 1: the part's chunks front-coded and their bytes counted; kept
 * in k while the budget lasts, and from the first that passes it on
 * none, so that pass 2 reads the stream again once, from that chunk
 * to the end.  A chunk made again must give the same bytes: their sum
 * is kept.
 */
static int epart_count(struct epart *p)
{
	const uint64_t keep = hc__compact_keep_per_key * (p->hi - p->lo);
	int rc;

	if (p->lo) {
		/* The key before, to check the order against. */
		p->in.i = p->lo - 1;
		rc = sin_next(&p->in);
		if (rc)
			return rc;
		sin_keep(&p->in);
		p->in.i++;
	}
	for (uint64_t b0 = 0, c = 0; b0 < p->nb; b0 += p->cb, c++) {
		uint64_t nb = chunk_blocks(p, b0), before = p->k.len;
		struct bbuf *to = p->nkept == c ? &p->k : &p->s;

		p->s.len = 0;
		rc = epart_chunk(p, to, b0, nb);
		if (rc)
			return rc;
		huff_count(to, p->idx + b0, nb, p->f);
		if (to == &p->k && p->k.len <= keep) {
			p->nkept++;
			continue;
		}
		if (to == &p->k) {
			/* Past the budget: out of k, and all after it. */
			p->sum[c] =
				chunk_sum(p->k.p + before, p->k.len - before);
			p->k.len = before;
		} else {
			p->sum[c] = chunk_sum(p->s.p, p->s.len);
		}
	}
	return HC_OK;
}

/* Pass 2: the part's chunks coded, from k or made again. */
static void epart_code(struct epart *p)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uint64_t gone = 0;

	if (page == 0 || (page & (page - 1)))
		page = 0; /* no pages given back */
	huff_start(&p->h, p->out, p->off);
	for (uint64_t b0 = 0, c = 0; b0 < p->nb; b0 += p->cb, c++) {
		uint64_t nb = chunk_blocks(p, b0);

		if (c < p->nkept) {
			huff_run(&p->h, &p->k, p->idx + b0, nb, p->out, page,
				 &gone);
			continue;
		}
		if (c == p->nkept) {
			/* The stream again from here: its first key starts
			 * a block, written whole; its order was checked in
			 * pass 1. */
			p->in.i = p->lo + b0 * HC_CBLOCK_KEYS;
			p->in.have_prev = 0;
		}
		p->s.len = 0;
		p->rc = epart_chunk(p, &p->s, b0, nb);
		if (!p->rc && chunk_sum(p->s.p, p->s.len) != p->sum[c])
			p->rc = HC_EINVAL; /* other keys the second time */
		if (p->rc)
			return;
		huff_run(&p->h, &p->s, p->idx + b0, nb, p->out, 0, NULL);
	}
	huff_end(&p->h);
}

static void *epart_run(void *arg)
{
	struct epart *p = arg;

	if (p->coding)
		epart_code(p);
	else
		p->rc = epart_count(p);
	return NULL;
}

/* Parts for the save of @more with a table of @na keys, 0 for none (one
 * reader, through key): for a large stream with key_part and no table
 * keys, one a save thread. */
static unsigned parts_for(const hc_key_stream *more, uint64_t na)
{
	unsigned nt;

	if (!more || na ||
	    more->size < offsetof(hc_key_stream, key_part) +
				 sizeof(more->key_part) ||
	    !more->key_part || more->n < hc__compact_split_min)
		return 0;
	nt = hc__cx_save_threads();
	if (nt > HC_KEY_STREAM_PARTS)
		nt = HC_KEY_STREAM_PARTS;
	return nt;
}

/* encode() and huff_encode() of the keys of @more in @nt parts: the
 * block index (bit offsets) into @idx, the codes' lengths into @len,
 * the coded keys into @kb. */
static int encode_parts(const hc_key_stream *more, unsigned nt, uint64_t *idx,
			unsigned char len[HC_CHUFF_LENS], struct hc__bitbuf *kb)
{
	const uint64_t nb = (more->n + HC_CBLOCK_KEYS - 1) / HC_CBLOCK_KEYS;
	uint64_t f[HC_CHUFF_CODES][256], bits = 0;
	uint32_t code[HC_CHUFF_CODES][256];
	struct epart *p;
	int rc = HC_OK;

	if (nt > nb)
		nt = (unsigned)nb;
	p = aligned_alloc(64, nt * sizeof(*p));
	if (!p)
		return HC_ENOMEM;
	memset(p, 0, nt * sizeof(*p));
	for (unsigned t = 0; t < nt; t++) {
		uint64_t b0 = nb * t / nt, b1 = nb * (t + 1) / nt;

		p[t].lo = b0 * HC_CBLOCK_KEYS;
		p[t].hi = t + 1 == nt ? more->n : b1 * HC_CBLOCK_KEYS;
		p[t].nb = b1 - b0;
		p[t].in.s = more;
		p[t].in.part = (int)t;
		p[t].in.i = p[t].lo;
		p[t].in.prev = malloc(HC_KEY_BYTES_MAX);
		p[t].idx = malloc((p[t].nb + 1) * sizeof(*p[t].idx));
		p[t].cb =
			hc__compact_chunk_blocks ? hc__compact_chunk_blocks : 1;
		p[t].sum = malloc((p[t].nb / p[t].cb + 1) * sizeof(*p[t].sum));
		if (!p[t].in.prev || !p[t].idx || !p[t].sum)
			rc = HC_ENOMEM;
	}
	if (!rc) {
		hc__cx_run_jobs(epart_run, p, sizeof(*p), nt);
		for (unsigned t = 0; t < nt && !rc; t++)
			rc = p[t].rc;
	}
	if (!rc) {
		memset(f, 0, sizeof(f));
		for (unsigned t = 0; t < nt; t++)
			for (unsigned c = 0; c < HC_CHUFF_CODES; c++)
				for (unsigned b = 0; b < 256; b++)
					f[c][b] += p[t].f[c][b];
		huff_code((const uint64_t(*)[256])f, len, code);
		for (unsigned t = 0; t < nt; t++) {
			p[t].off = bits;
			bits += huff_bits((const uint64_t(*)[256])p[t].f, len);
		}
		rc = hc__bb_reserve(kb, hc__words_for(bits) + 1);
	}
	if (!rc) {
		for (unsigned t = 0; t < nt; t++) {
			p[t].h.code = (const uint32_t(*)[256])code;
			p[t].h.w0 = kb->w + p[t].off / 64;
			p[t].out = kb;
			p[t].coding = 1;
		}
		hc__cx_run_jobs(epart_run, p, sizeof(*p), nt);
		for (unsigned t = 0; t < nt && !rc; t++)
			rc = p[t].rc; /* a chunk made again */
	}
	if (!rc) {
		for (unsigned t = 0; t < nt; t++) {
			kb->w[p[t].off / 64] |= p[t].h.first;
			memcpy(idx + p[t].lo / HC_CBLOCK_KEYS, p[t].idx,
			       p[t].nb * sizeof(*idx));
		}
		idx[nb] = bits;
		kb->bits = bits;
	}
	for (unsigned t = 0; t < nt; t++) {
		free(p[t].in.prev);
		free(p[t].idx);
		free(p[t].sum);
		free(p[t].k.p);
		free(p[t].s.p);
	}
	free(p);
	return rc;
}

static void write_body(struct hc__fout *f, const struct hc__cheader *h,
		       const uint64_t *idx,
		       const unsigned char len[HC_CHUFF_LENS],
		       const struct hc__bitbuf *kb, const struct hc__cntw *w)
{
	uint64_t nb = (h->n + HC_CBLOCK_KEYS - 1) / HC_CBLOCK_KEYS;

	for (uint64_t j = 0; j <= nb; j++)
		hc__fo_word(f, idx[j]);
	for (unsigned b = 0; b < HC_CHUFF_LENS; b += 8) {
		uint64_t x;

		memcpy(&x, len + b, 8);
		hc__fo_word(f, x);
	}
	hc__fo_bits(f, kb->w, kb->bits);
	hc__fo_pad(f, h->cnt_off);
	hc__fo_bits(f, w->cnt.w, w->cnt.bits);
	hc__fo_pad(f, h->ovf_off);
	for (uint64_t j = 0; j < w->n_ovf; j++) {
		hc__fo_word(f, w->ovf[j].idx);
		hc__fo_word(f, w->ovf[j].count);
	}
	hc__fo_pad(f, h->total_bytes);
	hc__fo_flush(f);
}

/*
 * Write byte-key table @t to @fd in the compact layout: its entries
 * gathered by a walk (G2), sorted by their bytes, merged with the keys
 * of @more (NULL: none; read once each, after the walk), front-coded.
 * Returns 1 when a growth began during the walk (the caller starts
 * again, @more not yet read), else a status.  Holds the walk's entries
 * (32 bytes each), 2 bits a merged entry, the keys front-coded before
 * their Huffman code (a stream alone in parts: at most
 * hc__compact_keep_per_key bytes a key) and the file's body in memory.
 */
int hc__cbytes_write(hc_table *t, int fd, const hc_key_stream *more)
{
	struct hc__cntw w;
	struct hc__cheader h;
	struct hc__fout f = { fd, NULL, HC_CHEADER_SIZE, NULL, 0, 0, 0, 0 };
	struct bbuf k = { NULL, 0, 0, HC_OK };
	struct hc__bitbuf kb = { NULL, 0, 0, NULL };
	struct sin in = { .s = more, .part = -1, .end = more ? more->n : 0 };
	unsigned char len[HC_CHUFF_LENS], *src = NULL;
	struct bent *a = NULL;
	uint64_t hist[65], na = 0, n = 0, nmax, cap, *idx = NULL;
	XXH3_state_t st;
	hc_options o;
	unsigned cur, top, cur2, top2, parts;
	int rc;

	memset(&w, 0, sizeof(w));
	rc = hc__gen_bounds(t, &cur, &top);
	if (!rc)
		rc = hc_table_options(t, &o);
	if (!rc)
		rc = gather(t, &a, &na, hist);
	if (rc)
		return rc;
	rc = hc__gen_bounds(t, &cur2, &top2);
	if (!rc && (cur2 != cur || top2 != top))
		rc = 1; /* a growth since: again */
	if (rc)
		goto out;
	rc = sort_all(a, na);
	if (rc)
		goto out;
	/* At most every key of both; the census of the merge's sums is
	 * known once it is done. */
	nmax = na + (more ? more->n : 0);
	if (nmax < na || nmax > (UINT64_MAX - 64) / 2) {
		rc = HC_ENOMEM;
		goto out;
	}
	parts = parts_for(more, na);
	idx = nmax / HC_CBLOCK_KEYS + 2 <= SIZE_MAX / 8
		      ? malloc((nmax / HC_CBLOCK_KEYS + 2) * 8)
		      : NULL;
	if (parts) {
		rc = idx ? encode_parts(more, parts, idx, len, &kb) : HC_ENOMEM;
		n = more->n; /* every key, all from the stream: no src */
	} else {
		src = nmax / 4 + 1 <= SIZE_MAX
			      ? calloc((size_t)(nmax / 4 + 1), 1)
			      : NULL;
		in.prev = more ? malloc(HC_KEY_BYTES_MAX) : NULL;
		rc = idx && src && (!more || in.prev) ? HC_OK : HC_ENOMEM;
		if (!rc)
			rc = encode(a, na, more ? &in : NULL, &k, idx, src, &n);
	}
	if (!rc && more)
		rc = write_counts(a, more, src, n, NULL, hist);
	if (!rc) {
		w.C = hc__cx_count_bits(n, hist);
		w.esc = hc__mask_of(w.C);
		rc = hc__bb_reserve(&w.cnt, hc__words_for(n * w.C) + 2);
	}
	if (!rc)
		rc = write_counts(a, more, src, n, &w, NULL);
	free(a); /* the stream and the counts hold it all now */
	a = NULL;
	if (!rc && !parts)
		rc = huff_encode(&k, idx,
				 (n + HC_CBLOCK_KEYS - 1) / HC_CBLOCK_KEYS, len,
				 &kb);
	/* The live capacity the header records: with the keys of @more, the
	 * one a growing table holding them all would have reached (its load
	 * below the grow load), not @t's, which may hold few of them. */
	cap = o.capacity;
	while (more && t->grows && cap &&
	       (unsigned __int128)n * 65536 >=
		       (unsigned __int128)cap * t->grow_load &&
	       cap <= t->max_capacity / 2 && cap <= HC_CAPACITY_MAX / 2)
		cap *= 2;
	if (!rc)
		rc = hc__cx_header_init(t, &o, cap, &h);
	if (rc)
		goto out;
	h.n = n;
	h.count_bits = w.C;
	h.n_ovf = w.n_ovf;
	h.block_keys = HC_CBLOCK_KEYS;
	h.key_bytes = (kb.bits + 7) / 8;
	if (hc__cx_layout(&h)) {
		rc = HC_ECORRUPT;
		goto out;
	}
	f.buf = malloc(HC_FOUT_WORDS * sizeof(*f.buf));
	if (!f.buf) {
		rc = HC_ENOMEM;
		goto out;
	}
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	f.st = &st;
	write_body(&f, &h, idx, len, &kb, &w);
	rc = f.rc;
	if (!rc)
		rc = hc__cx_finish(fd, &st, &h);
out:
	free(f.buf);
	free(a);
	free(idx);
	free(src);
	free(in.prev);
	free(k.p);
	free(kb.w);
	free(w.cnt.w);
	free(w.ovf);
	return rc;
}
