/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the differential harnesses share: a seeded
 * generator for chunk cuts, a multiset of keys (the reference and each
 * table's contents, as byte strings) and its comparison, and the
 * feeding of a text into a tokenizer whole, as a stream of blocks, or
 * as the mapped byte ranges that `count` cuts a file into.  A mismatch
 * aborts, so libFuzzer keeps the input as a crash.
 */
#ifndef HC_FUZZ_COMMON_H
#define HC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hogcount_keys.h"

/* Fail loudly: libFuzzer reports the abort with the input. */
#define FUZZ_CHECK(cond, ...)                               \
	do {                                                \
		if (!(cond)) {                              \
			fprintf(stderr,                     \
				"fuzz check failed: "       \
				"%s (%s:%d): ",             \
				#cond, __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);       \
			fputc('\n', stderr);                \
			abort();                            \
		}                                           \
	} while (0)

/* xorshift64: the cut points, drawn from the input's seed. */
static inline uint64_t fz_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15u;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A multiset of keys, each a byte string (integer keys: 8 bytes,
 * big-endian, so all kinds compare alike). */
struct fz_keys {
	size_t n, cap;
	unsigned char **p;
	size_t *len;
	uint64_t *count;
};

static inline void fz_keys_free(struct fz_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->p[i]);
	free(k->p);
	free(k->len);
	free(k->count);
	memset(k, 0, sizeof(*k));
}

static inline void fz_keys_add(struct fz_keys *k, const void *p, size_t len,
			       uint64_t count)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->p = realloc(k->p, k->cap * sizeof(*k->p));
		k->len = realloc(k->len, k->cap * sizeof(*k->len));
		k->count = realloc(k->count, k->cap * sizeof(*k->count));
		FUZZ_CHECK(k->p && k->len && k->count, "out of memory");
	}
	k->p[k->n] = malloc(len ? len : 1);
	FUZZ_CHECK(k->p[k->n], "out of memory");
	memcpy(k->p[k->n], p, len);
	k->len[k->n] = len;
	k->count[k->n++] = count;
}

static inline void fz_keys_add_u64(struct fz_keys *k, uint64_t key,
				   uint64_t count)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(key >> (56 - 8 * i));
	fz_keys_add(k, b, 8, count);
}

static const struct fz_keys *fz_sort_ctx;

static inline int fz_cmp(const void *a, const void *b)
{
	const struct fz_keys *k = fz_sort_ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t l = k->len[i] < k->len[j] ? k->len[i] : k->len[j];
	int c = memcmp(k->p[i], k->p[j], l);

	if (c)
		return c;
	return k->len[i] < k->len[j] ? -1 : k->len[i] > k->len[j];
}

/* Sort and sum the repeats: one entry a key. */
static inline void fz_keys_norm(struct fz_keys *k)
{
	size_t *ix = malloc((k->n ? k->n : 1) * sizeof(*ix));
	struct fz_keys o = { 0 };

	FUZZ_CHECK(ix, "out of memory");
	for (size_t i = 0; i < k->n; i++)
		ix[i] = i;
	fz_sort_ctx = k;
	qsort(ix, k->n, sizeof(*ix), fz_cmp);
	for (size_t i = 0; i < k->n; i++) {
		size_t a = ix[i];

		if (o.n && o.len[o.n - 1] == k->len[a] &&
		    !memcmp(o.p[o.n - 1], k->p[a], k->len[a]))
			o.count[o.n - 1] += k->count[a];
		else
			fz_keys_add(&o, k->p[a], k->len[a], k->count[a]);
	}
	free(ix);
	fz_keys_free(k);
	*k = o;
}

/* Both normalised: the first difference, or -1 if none. */
static inline long fz_keys_diff(const struct fz_keys *a,
				const struct fz_keys *b)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->p[i], b->p[i], a->len[i]) ||
		    a->count[i] != b->count[i])
			return (long)i;
	return a->n == b->n ? -1 : (long)i;
}

/* Every entry of @t. */
static inline void fz_keys_of_table(const hc_table *t, struct fz_keys *k)
{
	hc_iter *it;
	hc_entry e;

	FUZZ_CHECK(hc_iter_create(t, &it) == HC_OK, "iter");
	while (hc_iter_next(it, &e) == 1)
		if (e.bytes)
			fz_keys_add(k, e.bytes, e.len, e.count);
		else
			fz_keys_add_u64(k, e.key, e.count);
	hc_iter_destroy(it);
	fz_keys_norm(k);
}

/* How a text is fed to a tokenizer. */
enum { FZ_WHOLE, FZ_BLOCKS, FZ_RANGES, FZ_PARTS };

/*
 * The range [@s, @e) of @text read through windows of a few bytes, as
 * input/job.c reads a plain file (window_align(), window_feed()): the
 * window slides to where hck_tok_align_part() and hck_tok_feed_part()
 * stop, or doubles where they take nothing; the one that reaches the
 * end of the text goes to hck_tok_align() and hck_tok_feed().
 */
static inline void fz_parts(hck_tok *tk, const unsigned char *text, size_t n,
			    size_t s, size_t e, uint64_t *seed)
{
	size_t len = 1 + fz_rand(seed) % 32, ws, we, at, used;
	int rc;

	for (;;) {
		ws = s ? s - 1 : 0;
		we = n - ws > len ? ws + len : n;
		if (we == n) {
			s = ws + hck_tok_align(tk, text + ws, n - ws, s - ws);
			break;
		}
		rc = hck_tok_align_part(tk, text + ws, we - ws, s - ws, &at);
		FUZZ_CHECK(rc >= 0 && at >= s - ws, "align part");
		if (rc) {
			s = at >= we - ws ? n : ws + at;
			break;
		}
		if (ws + at == s)
			len *= 2;
		else
			s = ws + at;
	}
	while (s < n && !hck_tok_done(tk)) {
		we = n - s > len ? s + len : n;
		if (we == n) {
			rc = hck_tok_feed(tk, text + s, n - s,
					  e > s ? e - s : 0);
			FUZZ_CHECK(rc == HC_OK, "feed: %s", hc_strerror(rc));
			break;
		}
		rc = hck_tok_feed_part(tk, text + s, we - s, e > s ? e - s : 0,
				       &used);
		FUZZ_CHECK(rc == HC_OK && used <= we - s, "feed part: %s",
			   hc_strerror(rc));
		if (used)
			s += used;
		else
			len *= 2;
	}
}

/*
 * A table of @m holding the keys of @text fed @how: whole (one stream
 * block), as a stream of random blocks, as random mapped byte ranges
 * [s, e), each aligned with hck_tok_align() and fed to the end of the
 * text with the range's end as limit, or as the same ranges read
 * through small windows (fz_parts(), as input/job.c run_mapped()).
 * @fmt: the format given to hck_tok_reset().  @cap, @arena: the table.
 */
static inline hc_table *fz_tokenize(const hck_meta *m,
				    const unsigned char *text, size_t n,
				    int how, int fmt, uint64_t seed,
				    uint64_t cap, uint64_t arena)
{
	hc_options opt;
	hc_table *t;
	hck_sink *s;
	hck_tok *tk;
	size_t i, step;
	int rc;

	hc_options_init(&opt);
	opt.key_kind = hck_int_keys(m) ? HC_KEY_U64 : HC_KEY_BYTES;
	opt.mode = HC_MODE_EXACT;
	opt.capacity = cap;
	if (!hck_int_keys(m))
		opt.arena_bytes = arena;
	FUZZ_CHECK(hc_table_create(&t, &opt) == HC_OK, "create");
	FUZZ_CHECK(hck_sink_create(&s, t, m,
				   (seed & 1) ? HCK_SINK_COMBINE : 0) == HC_OK,
		   "sink");
	FUZZ_CHECK(hck_tok_create(&tk, m, s) == HC_OK, "tok");
	switch (how) {
	case FZ_WHOLE:
		hck_tok_reset(tk, fmt);
		rc = hck_tok_feed(tk, text, n, SIZE_MAX);
		FUZZ_CHECK(rc == HC_OK, "feed: %s", hc_strerror(rc));
		break;
	case FZ_BLOCKS:
		hck_tok_reset(tk, fmt);
		for (i = 0; i < n; i += step) {
			/* Mostly short blocks, some empty, some long. */
			uint64_t r = fz_rand(&seed);

			step = r % 16 == 0 ? 0 : r % 4 == 0 ? r % 64 : r % 5;
			if (step > n - i)
				step = n - i;
			rc = hck_tok_feed(tk, text + i, step, SIZE_MAX);
			FUZZ_CHECK(rc == HC_OK, "feed: %s", hc_strerror(rc));
		}
		break;
	case FZ_RANGES:
	case FZ_PARTS:
		for (i = 0; i < n; i += step) {
			uint64_t wseed = seed ^ i;
			size_t e, a;

			step = 1 + fz_rand(&seed) % 24;
			e = step > n - i ? n : i + step;
			hck_tok_reset(tk, fmt);
			if (how == FZ_PARTS) {
				fz_parts(tk, text, n, i, e, &wseed);
				rc = hck_tok_finish(tk);
				FUZZ_CHECK(rc == HC_OK, "finish: %s",
					   hc_strerror(rc));
				continue;
			}
			a = hck_tok_align(tk, text, n, i);
			FUZZ_CHECK(a >= i && a <= n, "align %zu of %zu", a, i);
			if (a < e) {
				rc = hck_tok_feed(tk, text + a, n - a, e - a);
				FUZZ_CHECK(rc == HC_OK, "feed: %s",
					   hc_strerror(rc));
			}
			rc = hck_tok_finish(tk);
			FUZZ_CHECK(rc == HC_OK, "finish: %s", hc_strerror(rc));
		}
		break;
	}
	if (how != FZ_RANGES && how != FZ_PARTS) {
		rc = hck_tok_finish(tk);
		FUZZ_CHECK(rc == HC_OK, "finish: %s", hc_strerror(rc));
	}
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	return t;
}

/* Compare a table with the reference; print both on a difference. */
static inline void fz_expect(const hc_table *t, const struct fz_keys *ref,
			     const char *what)
{
	struct fz_keys got = { 0 };
	long d;

	fz_keys_of_table(t, &got);
	d = fz_keys_diff(ref, &got);
	if (d >= 0) {
		fprintf(stderr,
			"%s: %zu keys, reference %zu; first difference "
			"at %ld\n",
			what, got.n, ref->n, d);
		for (size_t i = (size_t)d; i < ref->n && i < (size_t)d + 3; i++)
			fprintf(stderr, "  ref %.*s x%llu (len %zu)\n",
				(int)ref->len[i], (const char *)ref->p[i],
				(unsigned long long)ref->count[i], ref->len[i]);
		for (size_t i = (size_t)d; i < got.n && i < (size_t)d + 3; i++)
			fprintf(stderr, "  got %.*s x%llu (len %zu)\n",
				(int)got.len[i], (const char *)got.p[i],
				(unsigned long long)got.count[i], got.len[i]);
	}
	FUZZ_CHECK(d < 0, "%s differs from the reference", what);
	fz_keys_free(&got);
}

#endif /* HC_FUZZ_COMMON_H */
