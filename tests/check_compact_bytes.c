/* SPDX-License-Identifier: MIT */
/*
 * check_compact_bytes.c - compact_bytes.c: hc_table_save_compact() of
 * byte-key tables (keys sorted by their bytes, front-coded in blocks).
 * Round trips (empty, one key, shared prefixes, keys of every byte
 * value, keys of HC_KEY_BYTES_MAX bytes, counts up to UINT64_MAX), every
 * read in place (hc_get_bytes, iteration in byte order, stats,
 * histogram, merge, view, verify), and hostile files: truncated,
 * rewritten headers, and bodies crafted key by key (bad index, bad
 * lengths, a prefix longer than the key before, keys out of order),
 * each refused or answered with HC_ECORRUPT, never a read out of bounds
 * (run it under ASan).  hc_table_save_compact_with(): a table and a
 * sorted key stream (either empty, keys in both summed, a compact file
 * as the source) give the file of a table holding them all, byte for
 * byte; streams out of contract are refused and leave no file.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_test.h"
#include "compact_internal.h"

/* ---- tables ------------------------------------------------------------ */

enum { KEYS_RANDOM, KEYS_PREFIX, KEYS_LONG, KEYS_EDGE, KEYS_N };

/* Key number @i of shape @shape into @buf (HC_KEY_BYTES_MAX bytes). */
static size_t make_key(int shape, uint64_t i, uint64_t *st, unsigned char *buf)
{
	size_t len;

	switch (shape) {
	case KEYS_RANDOM: /* any byte values, 1..40 bytes */
		len = 1 + hc_test_rand(st) % 40;
		for (size_t j = 0; j < len; j++)
			buf[j] = (unsigned char)hc_test_rand(st);
		return len;
	case KEYS_PREFIX: /* words: long shared prefixes, prefixes of
			   * each other, NULs and 0xff among them */
		len = (size_t)snprintf((char *)buf, 64, "the %llu",
				       (unsigned long long)(i % 97));
		for (uint64_t r = hc_test_rand(st) % 4; r; r--)
			buf[len++] = (unsigned char)('a' + r);
		for (size_t j = 0; j < i % 5; j++)
			buf[len++] = (unsigned char)(j % 2 ? 0xff : 0x00);
		return len;
	case KEYS_LONG: /* up to HC_KEY_BYTES_MAX, differing late */
		len = i % 3 == 0 ? HC_KEY_BYTES_MAX
				 : 1 + hc_test_rand(st) % HC_KEY_BYTES_MAX;
		memset(buf, 'a' + (int)(i % 2), len);
		memcpy(buf + len - (len < 8 ? len : 8), &i, len < 8 ? len : 8);
		return len;
	default: /* one-byte keys of every value, then their pairs */
		if (i < 256) {
			buf[0] = (unsigned char)i;
			return 1;
		}
		buf[0] = (unsigned char)(i >> 8);
		buf[1] = (unsigned char)i;
		return 2;
	}
}

/* A byte-key table of about @n keys of @shape; fixed tables get counts
 * up to UINT64_MAX, growing ones up to 2^63 - 1 (their count field). */
static hc_table *make(int shape, size_t n, int grow, uint64_t seed)
{
	static unsigned char buf[HC_KEY_BYTES_MAX];
	uint64_t st = seed;
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	/* Without the pair CAS byte-key tables do not grow (design.md
	 * M8): sized for every key there. */
	o.capacity = grow && HC_HAVE_PAIR_CAS ? 64 : 2 * n + 64;
	o.arena_bytes = shape == KEYS_LONG ? (n + 4) * (HC_KEY_BYTES_MAX + 64)
					   : (n + 4) * 96;
	o.seed = seed;
	ck_assert_ok(hc_table_create(&t, &o));
	for (size_t i = 0; i < n; i++) {
		size_t len = make_key(shape, i, &st, buf);
		uint64_t r = hc_test_rand(&st), c;

		switch (r % 256) {
		case 0:
			c = grow ? (UINT64_C(1) << 62) : UINT64_MAX - 1;
			break;
		case 1:
			c = UINT64_C(0xffffffff) + (r >> 60);
			break;
		case 2:
		case 3:
			c = 1 + (r >> 44);
			break;
		default:
			c = r % 8 ? 1 : 1 + (r >> 60);
		}
		ck_assert_ok(hc_add_bytes(t, buf, len, c));
	}
	return t;
}

static int bytes_cmp(const unsigned char *a, size_t na, const unsigned char *b,
		     size_t nb)
{
	int r = memcmp(a, b, na < nb ? na : nb);

	return r ? r : (na > nb) - (na < nb);
}

/* hc_get_bytes of @key on both tables: the same status and count. */
static void same_get(const hc_table *src, const hc_table *c,
		     const unsigned char *key, size_t len)
{
	uint64_t want = 7, got = 7;
	int rw = hc_get_bytes(src, key, len, &want),
	    rg = hc_get_bytes(c, key, len, &got);

	hc_assert_eq(rg, rw);
	hc_assert_eq(got, want);
}

/* Everything a reader does, compared with the source table. */
static void round_trip(int shape, size_t n, int grow)
{
	static unsigned char buf[HC_KEY_BYTES_MAX + 2];
	char path[4096], p2[4096];
	hc_table *src = make(shape, n, grow, 42 + n), *c, *m, *x;
	hc_stats st = { .size = sizeof(st) };
	unsigned char user[HC_USER_MAX];
	hc_view v = { .size = sizeof(v) };
	const unsigned char **ptr;
	struct hc_test_entry *e;
	size_t ne, ulen, seen = 0;
	uint64_t got, s = 9;
	hc_options o, oc;
	hc_iter *it;
	hc_entry en;
	int rc;

	ck_assert_ok(hc_table_set_user(src, "hogcount-cli 1 tokens=words", 27));
	hc_test_path(path, sizeof(path), "compact");
	ck_assert_ok(hc_table_save_compact(src, path));
	ck_assert_ok(hc_table_open(&c, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc__compact_verify(c));
	ck_assert_ok(hc_table_verify(c, NULL));
	hc_test_assert_same(src, c);
	hc_test_same_figures(src, c);

	/* Iteration: ascending byte order, each key once, and every
	 * pointer still valid at the end of the walk. */
	ck_assert_ok(hc_test_collect(src, &e, &ne));
	ptr = calloc(ne + 1, sizeof(*ptr));
	ck_assert_ptr_nonnull(ptr);
	ck_assert_ok(hc_iter_create(c, &it));
	while ((rc = hc_iter_next(it, &en)) == 1) {
		ck_assert_uint_lt(seen, ne + 1);
		hc_assert_eq(en.key, 0);
		ck_assert_uint_ge(en.len, 1);
		if (seen)
			ck_assert_int_lt(bytes_cmp(ptr[seen - 1],
						   e[seen - 1].len, en.bytes,
						   en.len),
					 0);
		hc_assert_eq(en.len, e[seen].len);
		hc_assert_eq(en.count, e[seen].count);
		ptr[seen++] = en.bytes;
	}
	ck_assert_int_eq(rc, 0);
	hc_iter_destroy(it);
	hc_assert_eq(seen, ne);
	for (size_t i = 0; i < ne; i++) {
		ck_assert_int_eq(memcmp(ptr[i], e[i].bytes, e[i].len), 0);
		ck_assert_ok(hc_get_bytes(c, e[i].bytes, e[i].len, &got));
		hc_assert_eq(got, e[i].count);
		/* Its neighbours: a prefix, an extension, a last byte
		 * one more or less. */
		memcpy(buf, e[i].bytes, e[i].len);
		same_get(src, c, buf, e[i].len - 1);
		if (e[i].len < HC_KEY_BYTES_MAX) {
			buf[e[i].len] = (unsigned char)(i % 3 ? 0 : 0xff);
			same_get(src, c, buf, e[i].len + 1);
		}
		buf[e[i].len - 1]++;
		same_get(src, c, buf, e[i].len);
		buf[e[i].len - 1] -= 2;
		same_get(src, c, buf, e[i].len);
	}
	free(ptr);
	/* Absent keys, from both tables alike; lengths 0 and too long. */
	for (int i = 0; i < 300; i++) {
		size_t len =
			make_key(i % KEYS_N, (uint64_t)i + 100000, &s, buf);

		same_get(src, c, buf, len);
	}
	memset(buf, 0xff, 64);
	same_get(src, c, buf, 64); /* past every key */
	buf[0] = 0;
	same_get(src, c, buf, 1);
	same_get(src, c, buf, 0);
	ck_assert_hc(hc_get_bytes(c, buf, 0, &got), HC_ERANGE);
	ck_assert_hc(hc_get_bytes(c, buf, HC_KEY_BYTES_MAX + 1, &got),
		     HC_ERANGE);
	ck_assert_hc(hc_get(c, 1, &got), HC_EMISUSE);

	/* Metadata, options and figures travel. */
	ck_assert_ok(hc_table_get_user(c, user, sizeof(user), &ulen));
	hc_assert_eq(ulen, 27);
	ck_assert_int_eq(memcmp(user, "hogcount-cli 1 tokens=words", 27), 0);
	ck_assert_ok(hc_table_options(src, &o));
	ck_assert_ok(hc_table_options(c, &oc));
	hc_assert_eq(oc.key_kind, HC_KEY_BYTES);
	hc_assert_eq(oc.seed, o.seed);
	hc_assert_eq(oc.capacity, o.capacity);
	hc_assert_eq(oc.grow, o.grow);
	ck_assert_ok(hc_table_stats(c, &st));
	hc_assert_eq(st.arena_used, c->cx->key_bytes);

	/* Read-only, always; no slots to view. */
	ck_assert_hc(hc_add_bytes(c, "x", 1, 1), HC_ERDONLY);
	ck_assert_hc(hc_put_bytes(c, "x", 1, 1, &got), HC_ERDONLY);
	ck_assert_hc(hc_table_set_user(c, "x", 1), HC_ERDONLY);
	ck_assert_ok(hc_table_view(c, &v));
	hc_assert_eq(v.key_kind, HC_KEY_BYTES);
	hc_assert_eq(v.capacity, 0);
	ck_assert_ptr_null(v.slots);
	ck_assert_ptr_null(v.arena);
	ck_assert_hc(hc_table_open(&x, path, HC_OPEN_RDWR), HC_ERDONLY);
	ck_assert_hc(hc_table_merge(c, src), HC_ERDONLY);

	/* Merged into a live table (as count --into does); fixed, as the
	 * source, for counts of 64 bits. */
	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.seed = 99;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	o.capacity = grow && HC_HAVE_PAIR_CAS ? 64 : 2 * n + 64;
	o.arena_bytes = shape == KEYS_LONG ? (n + 4) * (HC_KEY_BYTES_MAX + 64)
					   : (n + 4) * 96;
	ck_assert_ok(hc_table_create(&m, &o));
	ck_assert_ok(hc_table_merge(m, c));
	hc_test_assert_same(src, m);
	hc_table_close(m);

	/* Saving a compact table copies it byte for byte; saving the
	 * table again gives the same bytes. */
	hc_test_path(p2, sizeof(p2), "again");
	ck_assert_ok(hc_table_save_compact(c, p2));
	hc_assert_eq(hc_test_file_size(p2), hc_test_file_size(path));
	ck_assert_ok(hc_table_save_compact(src, p2));
	hc_assert_eq(hc_test_file_size(p2), hc_test_file_size(path));
	ck_assert_ok(hc_table_open(&x, p2, HC_OPEN_RDONLY));
	hc_test_assert_same(src, x);
	hc_table_close(x);

	hc_test_entries_free(e, ne);
	ck_assert_ok(hc_table_close(c));
	hc_table_close(src);
}

static const size_t sizes[] = { 0, 1, 2, 31, 32, 33, 1000, 20000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

START_TEST(random_fixed)
{
	round_trip(KEYS_RANDOM, sizes[_i], 0);
}
END_TEST

START_TEST(random_growing)
{
	round_trip(KEYS_RANDOM, sizes[_i], 1);
}
END_TEST

START_TEST(prefixes)
{
	round_trip(KEYS_PREFIX, sizes[_i], _i % 2);
}
END_TEST

START_TEST(long_keys)
{
	round_trip(KEYS_LONG, 40, 0);
}
END_TEST

START_TEST(edge_keys)
{
	round_trip(KEYS_EDGE, 256 + 3000, 0);
}
END_TEST

/* The sort's buckets shared among 1, 2 and 3 threads. */
START_TEST(sort_threads)
{
	uint64_t split = hc__compact_split_min;

	hc__compact_split_min = 1;
	hc__compact_threads = 1 + (unsigned)_i;
	round_trip(_i == 1 ? KEYS_RANDOM : KEYS_PREFIX, 20000, 1);
	round_trip(KEYS_EDGE, 256 + 3000, 0);
	hc__compact_threads = 0;
	hc__compact_split_min = split;
}
END_TEST

static int same_file(const char *a, const char *b);

/* The file is the same for 1 to 5 threads sharing the sort's
 * buckets. */
START_TEST(threads_same_file)
{
	static const int shapes[] = { KEYS_RANDOM, KEYS_PREFIX, KEYS_LONG,
				      KEYS_EDGE };
	uint64_t split = hc__compact_split_min;
	char one[4096], more[4096];

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		hc_table *t =
			make(shapes[s], s == 2 ? 60 : 5000 + 317 * s, 0, 7 + s);

		hc__compact_split_min = 1;
		hc__compact_threads = 1;
		hc_test_path(one, sizeof(one), "threads-1");
		ck_assert_ok(hc_table_save_compact(t, one));
		for (unsigned n = 2; n <= 5; n++) {
			hc__compact_threads = n;
			hc_test_path(more, sizeof(more), "threads-n");
			ck_assert_ok(hc_table_save_compact(t, more));
			ck_assert_msg(same_file(one, more),
				      "shape %zu: %u threads differ", s, n);
			unlink(more);
		}
		unlink(one);
		hc_table_close(t);
	}
	hc__compact_threads = 0;
	hc__compact_split_min = split;
}
END_TEST

/* A front-coded file is much smaller than the live one. */
START_TEST(smaller)
{
	char live[4096], cpt[4096];
	hc_table *t = make(KEYS_PREFIX, 20000, 1, 3);
	hc_stats st = { .size = sizeof(st) };

	hc_test_path(live, sizeof(live), "live");
	hc_test_path(cpt, sizeof(cpt), "cpt");
	ck_assert_ok(hc_table_save(t, live));
	ck_assert_ok(hc_table_save_compact(t, cpt));
	ck_assert_ok(hc_table_stats(t, &st));
	ck_assert_uint_lt(hc_test_file_size(cpt) * 3, hc_test_file_size(live));
	ck_assert_uint_lt(hc_test_file_size(cpt), 1024 + 12 * st.distinct);
	hc_table_close(t);
}
END_TEST

/* ---- hostile files ------------------------------------------------------ */

/* Point gets of the keys of make(KEYS_PREFIX) and make(KEYS_EDGE). */
static void bytes_gets(const hc_table *t)
{
	static unsigned char buf[64];
	uint64_t c, s = 1;

	for (int i = 0; i < 300; i++) {
		size_t len = make_key(i % 2 ? KEYS_PREFIX : KEYS_EDGE,
				      (uint64_t)i, &s, buf);

		(void)hc_get_bytes(t, buf, len, &c);
	}
}

static void read_all(const char *path)
{
	hc_test_compact_reads(path, bytes_gets);
}

START_TEST(truncated)
{
	char path[4096];
	hc_table *t = make(KEYS_PREFIX, 300, 0, 5);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_refused(path, HC_CHEADER_SIZE);
	hc_table_close(t);
}
END_TEST

/* Each field changed, with the check recomputed. */
static void edit_field(struct hc__cheader *h, int f)
{
	switch (f) {
	case 0:
		h->n++;
		break;
	case 1:
		h->n = UINT64_MAX;
		break;
	case 2:
		h->block_keys = 0;
		break;
	case 3:
		h->block_keys = HC_CBLOCK_KEYS_MAX + 1;
		break;
	case 4:
		h->block_keys /= 2; /* another index size */
		break;
	case 5:
		h->key_bytes += 8;
		break;
	case 6:
		h->key_bytes = UINT64_MAX;
		break;
	case 7:
		h->idx_off += 8;
		break;
	case 8:
		h->key_off += 8;
		break;
	case 9:
		h->pad1 = 1;
		break;
	case 10:
		h->hash_bits = 1;
		break;
	case 11:
		h->bucket_bits = 1;
		break;
	case 12:
		h->key_kind = HC_KEY_U64;
		break;
	case 13:
		h->key_bits = 8;
		break;
	case 14:
		h->count_bits = 0;
		break;
	default:
		h->cnt_off += 8;
	}
}

START_TEST(header_fields)
{
	char path[4096];
	hc_table *t = make(KEYS_RANDOM, 500, 0, 6);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_fields(path, 16, edit_field);
	hc_table_close(t);
}
END_TEST

/*
 * A file crafted from a byte stream: @n entries in blocks of @K, block
 * index @idx (n_blocks + 1 byte offsets), every count 1 (C = 1), a
 * valid header and body checksum.  The codes: every byte 8 bits long
 * in both (@len NULL), which canonical codes make the identity, stored
 * bit-reversed; or the lengths @len (HC_CHUFF_LENS bytes).  The reader
 * trusts none of the body.
 */
static void craft(const char *path, uint64_t n, unsigned K,
		  const unsigned char *keys, size_t key_bytes, size_t copy,
		  const uint64_t *idx, const unsigned char *len)
{
	uint64_t nb = (n + K - 1) / K, bits[8];
	struct hc__cheader h;
	unsigned char *p;

	memset(&h, 0, sizeof(h));
	h.magic = HC_CMAGIC;
	h.version = HC_COMPACT_VERSION;
	h.header_size = HC_CHEADER_SIZE;
	h.byte_order = HC_BYTE_ORDER_PROBE;
	h.word_size = 8;
	h.key_kind = HC_KEY_BYTES;
	h.mode = HC_MODE_EXACT;
	h.seed = 1;
	h.n = n;
	h.count_bits = 1;
	h.block_keys = K;
	h.key_bytes = key_bytes;
	h.src_capacity = 64;
	h.src_grow = HC_GROW_OFF;
	ck_assert_int_eq(hc__cx_layout(&h), 0);
	p = calloc(1, h.total_bytes);
	ck_assert_ptr_nonnull(p);
	for (uint64_t j = 0; j <= nb; j++)
		bits[j] = idx[j] * 8;
	memcpy(p + h.idx_off, bits, (nb + 1) * 8);
	for (unsigned b = 0; b < HC_CHUFF_LENS; b++)
		p[h.key_off + b] = len ? len[b] : 8;
	for (size_t i = 0; i < copy; i++) /* past key_bytes: padding */
		for (unsigned k = 0; k < 8; k++)
			p[h.key_off + HC_CHUFF_LENS + i] |=
				(unsigned char)(((keys[i] >> k) & 1)
						<< (7 - k));
	h.body_check = XXH3_64bits(p + HC_CHEADER_SIZE,
				   h.total_bytes - HC_CHEADER_SIZE);
	h.check = hc__cheader_check(&h);
	memcpy(p, &h, sizeof(h));
	hc_test_spit(path, p, h.total_bytes);
	free(p);
}

/* A stream of "abc", "abd", "b" | "ba", "c" in blocks of 3 (and its
 * damaged versions, by case). */
START_TEST(crafted)
{
	static const unsigned char good[] = {
		3,    'a', 'b', 'c', /* head "abc" */
		0x21, 'd', /* l 2, s 1: "abd" */
		0x01, 'b', /* l 0, s 1: "b" */
		2,    'b', 'a', /* head "ba" */
		0x01, 'c', /* "c" */
	};
	unsigned char k[64], lens[HC_CHUFF_LENS];
	uint64_t idx[3] = { 0, 8, 13 }, c;
	size_t len = sizeof(good);
	char path[4096];
	hc_table *t;

	memcpy(k, good, sizeof(good));
	hc_test_path(path, sizeof(path), "crafted");
	switch (_i) {
	case 0: /* as written: everything found */
		craft(path, 5, 3, k, len, len, idx, NULL);
		ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
		ck_assert_ok(hc__compact_verify(t));
		ck_assert_ok(hc_get_bytes(t, "abd", 3, &c));
		hc_assert_eq(c, 1);
		ck_assert_ok(hc_get_bytes(t, "c", 1, &c));
		hc_assert_eq(c, 1);
		ck_assert_ok(hc_get_bytes(t, "ab", 2, &c));
		hc_assert_eq(c, 0);
		ck_assert_ok(hc_get_bytes(t, "bb", 2, &c));
		hc_assert_eq(c, 0);
		hc_table_close(t);
		return;
	case 1: /* index past the stream */
		idx[1] = 14;
		break;
	case 2: /* index going back */
		idx[1] = 3;
		break;
	case 3: /* first block not at 0 */
		idx[0] = 1;
		break;
	case 4: /* a head of length 0 */
		k[8] = 0;
		break;
	case 5: /* a head longer than its block */
		k[8] = 9;
		break;
	case 6: /* a prefix longer than the key before ("abd") */
		k[6] = 0x41;
		break;
	case 7: /* a suffix of 0 bytes: a key twice */
		k[4] = 0x30;
		break;
	case 8: /* keys out of order: "b" then "ba" swapped to "a" */
		k[9] = 'a';
		break;
	case 9: /* a prefix (by its varint) past the key before */
		k[4] = 0xf1;
		k[5] = 0xff;
		break;
	case 10: /* a suffix (by its varint) past the block's end */
		k[6] = 0x0f;
		k[7] = 0x80;
		break;
	case 11: /* the last block longer than its entries */
		idx[1] = 6;
		break;
	case 12: /* nonzero padding past the stream (checksummed) */
		k[13] = 1;
		craft(path, 5, 3, k, len, len + 1, idx, NULL);
		read_all(path);
		return;
	case 13: /* an over-subscribed code, a code too long: refused */
	case 14:
		memset(lens, 8, sizeof(lens));
		lens[_i == 13 ? 0 : 256 + 'a'] =
			_i == 13 ? 1 : HC_CHUFF_BITS + 1;
		craft(path, 5, 3, k, len, len, idx, lens);
		ck_assert_hc(hc_table_open(&t, path, HC_OPEN_RDONLY),
			     HC_ECORRUPT);
		return;
	case 15: /* incomplete codes: other bytes, one code missing */
		memset(lens, 8, sizeof(lens));
		lens[0] = 0;
		lens[256] = 0;
		craft(path, 5, 3, k, len, len, idx, lens);
		read_all(path);
		return;
	default: /* one entry more than the stream holds */
		craft(path, 6, 3, k, len, len, idx, NULL);
		read_all(path);
		return;
	}
	craft(path, 5, 3, k, len, len, idx, NULL);
	read_all(path);
}
END_TEST

/* Garbage in the body behind a valid header. */
START_TEST(body_garbage)
{
	char path[4096];
	hc_table *t = make(_i ? KEYS_PREFIX : KEYS_RANDOM, 2000, 0, 8);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_garbage(path, HC_CHEADER_SIZE, 300, 11, read_all);
	hc_table_close(t);
}
END_TEST

/* ---- hc_table_save_compact_with(): keys merged from a stream ---------- */

/* Keys of a stream, handed out through one buffer that each call
 * overwrites (the bytes last until the next call, no longer). */
struct kstream {
	unsigned char **k;
	size_t *len;
	const uint64_t *cnt; /* ks_count()'s */
	uint64_t next; /* the index the next call must ask for */
	uint64_t fail_at; /* this call returns @err */
	int err;
	unsigned char buf[HC_KEY_BYTES_MAX + 1];
};

static int ks_key(void *arg, uint64_t i, const void **key, size_t *len)
{
	struct kstream *s = arg;

	hc_assert_eq(i, s->next);
	s->next++;
	if (i == s->fail_at)
		return s->err;
	memset(s->buf, 0xa5, 64); /* the last key's bytes are gone */
	memcpy(s->buf, s->k[i], s->len[i]);
	*key = s->buf;
	*len = s->len[i];
	return HC_OK;
}

/*
 * The same keys for several threads (hc_key_stream.key_part): one buffer
 * a part.  Each part's calls must ask for i ascending by one from its
 * first; a call that does not counts in @bad (checked by the test's own
 * thread).  @fail_at fails in whichever part asks for it.
 */
struct pstream {
	unsigned char **k;
	size_t *len;
	const uint64_t *cnt; /* ps_count()'s */
	uint64_t fail_at;
	int err;
	_Atomic unsigned bad, calls, again; /* again: a part read again */
	int mutate; /* a part read again gives longer keys */
	int reread[HC_KEY_STREAM_PARTS];
	uint64_t next[HC_KEY_STREAM_PARTS];
	int started[HC_KEY_STREAM_PARTS];
	unsigned char buf[HC_KEY_STREAM_PARTS][HC_KEY_BYTES_MAX + 1];
};

/* hc_key_stream.count of either stream. */
static uint64_t ks_count(void *arg, uint64_t i)
{
	return ((const struct kstream *)arg)->cnt[i];
}

static uint64_t ps_count(void *arg, uint64_t i)
{
	return ((const struct pstream *)arg)->cnt[i];
}

static int ps_key(void *arg, unsigned part, uint64_t i, const void **key,
		  size_t *len)
{
	struct pstream *s = arg;

	/* ORDER: relaxed. Counters the test reads after the save's
	 * threads were joined, which orders them. */
	atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
	if (part >= HC_KEY_STREAM_PARTS ||
	    (s->started[part] && i > s->next[part])) {
		/* ORDER: relaxed, as above. */
		atomic_fetch_add_explicit(&s->bad, 1, memory_order_relaxed);
		return HC_EINVAL;
	}
	if (s->started[part] && i < s->next[part]) {
		if (s->reread[part]) {
			/* ORDER: relaxed, as above.  Twice back: more than
			 * the contract allows. */
			atomic_fetch_add_explicit(&s->bad, 1,
						  memory_order_relaxed);
			return HC_EINVAL;
		}
		s->reread[part] = 1;
		/* ORDER: relaxed, as above. */
		atomic_fetch_add_explicit(&s->again, 1, memory_order_relaxed);
	}
	s->started[part] = 1;
	s->next[part] = i + 1;
	if (i == s->fail_at)
		return s->err;
	memset(s->buf[part], 0xa5, 64); /* the last key's bytes are gone */
	memcpy(s->buf[part], s->k[i], s->len[i]);
	*key = s->buf[part];
	*len = s->len[i];
	if (s->mutate && s->reread[part] && s->len[i] + 200 <= HC_KEY_BYTES_MAX)
		*len += 200; /* the 0xa5 tail and more: other bytes */
	return HC_OK;
}

static int ps_key_one(void *arg, uint64_t i, const void **key, size_t *len)
{
	(void)arg;
	(void)i;
	(void)key;
	(void)len;
	return HC_EMISUSE; /* a save that reads by parts never calls this */
}

static int ptr_cmp(const void *a, const void *b)
{
	const unsigned char *const *x = a, *const *y = b;
	uint32_t nx, ny;

	memcpy(&nx, *x, 4);
	memcpy(&ny, *y, 4);
	return bytes_cmp(*x + 4, nx, *y + 4, ny);
}

/* @n distinct keys of @shape, sorted, each {u32 length, bytes} at
 * (*out)[i]; *n becomes how many are distinct. */
static void sorted_keys(int shape, size_t *n, uint64_t seed,
			unsigned char ***out)
{
	static unsigned char buf[HC_KEY_BYTES_MAX];
	unsigned char **k = calloc(*n + 1, sizeof(*k));
	uint64_t st = seed;
	size_t m = 0;

	ck_assert_ptr_nonnull(k);
	for (size_t i = 0; i < *n; i++) {
		uint32_t len = (uint32_t)make_key(shape, i, &st, buf);

		k[i] = malloc(4 + (size_t)len);
		ck_assert_ptr_nonnull(k[i]);
		memcpy(k[i], &len, 4);
		memcpy(k[i] + 4, buf, len);
	}
	qsort(k, *n, sizeof(*k), ptr_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (m && ptr_cmp(&k[m - 1], &k[i]) == 0) {
			free(k[i]);
			continue;
		}
		k[m++] = k[i];
	}
	*n = m;
	*out = k;
}

static hc_table *empty_like(int shape, size_t n, uint64_t seed)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.grow = HC_GROW_OFF; /* counts of 64 bits */
	o.capacity = 2 * n + 64;
	o.arena_bytes = shape == KEYS_LONG ? (n + 4) * (HC_KEY_BYTES_MAX + 64)
					   : (n + 4) * 96;
	o.seed = seed;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_table_set_user(t, "ngrams 3", 8));
	return t;
}

/* A count of any size, now and then past 2^32 or near 2^63. */
static uint64_t any_count(uint64_t *st)
{
	uint64_t r = hc_test_rand(st);

	switch (r % 64) {
	case 0:
		return UINT64_MAX / 2;
	case 1:
		return UINT64_C(0xffffffff) + (r >> 58);
	case 2:
		return 1 + (r >> 20);
	default:
		return r % 4 ? 1 : 1 + (r >> 59);
	}
}

static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *pa = hc_test_slurp(a, &na), *pb = hc_test_slurp(b, &nb);
	int same = na == nb && memcmp(pa, pb, na) == 0;

	free(pa);
	free(pb);
	return same;
}

static int no_file(const char *path)
{
	char tmp[4200];
	FILE *f = fopen(path, "rb");

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (f) {
		fclose(f);
		return 0;
	}
	f = fopen(tmp, "rb");
	if (f)
		fclose(f);
	return !f;
}

/*
 * Keys of @shape, each in the table (mode 0), the stream (1) or both
 * (2), drawn by @mix: 0 all in the table, 1 all in the stream, else at
 * random.  The file of the table and the stream must be the one
 * hc_table_save_compact() writes of a table holding them all.
 */
static void merged(int shape, size_t n, int mix, int compact_src)
{
	unsigned char **k;
	char pt[4096], pr[4096], pw[4096];
	uint64_t st = 1234 + n + (uint64_t)mix, *sc;
	hc_table *t, *r, *c, *tc;
	struct kstream *ks = calloc(1, sizeof(*ks));
	hc_key_stream more = { sizeof(more), 0, NULL, ks_key, ks, NULL, NULL };
	size_t ns = 0;
	hc_iter *it;
	hc_entry e;
	int rc;

	ck_assert_ptr_nonnull(ks);
	sorted_keys(shape, &n, 7 + n, &k);
	t = empty_like(shape, n, 77);
	r = empty_like(shape, n, 77);
	sc = calloc(n + 1, sizeof(*sc));
	ks->k = calloc(n + 1, sizeof(*ks->k));
	ks->len = calloc(n + 1, sizeof(*ks->len));
	ck_assert(sc && ks->k && ks->len);
	ks->fail_at = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		uint32_t len;
		int where = mix < 2 ? mix : (int)(hc_test_rand(&st) % 3);
		uint64_t a = any_count(&st), b = any_count(&st);

		memcpy(&len, k[i], 4);
		if (where != 1)
			ck_assert_ok(hc_add_bytes(t, k[i] + 4, len, a));
		if (where != 0) {
			ks->k[ns] = k[i] + 4;
			ks->len[ns] = len;
			sc[ns++] = b;
		}
		ck_assert_ok(hc_add_bytes(r, k[i] + 4, len,
					  (where != 1 ? a : 0) +
						  (where != 0 ? b : 0)));
	}
	more.n = ns;
	more.counts = sc;
	hc_test_path(pt, sizeof(pt), "with");
	hc_test_path(pr, sizeof(pr), "ref");
	ck_assert_ok(hc_table_save_compact(r, pr));
	tc = t;
	if (compact_src) {
		/* A compact file as the source: its entries copied first. */
		hc_test_path(pw, sizeof(pw), "src");
		ck_assert_ok(hc_table_save_compact(t, pw));
		ck_assert_ok(hc_table_open(&tc, pw, HC_OPEN_RDONLY));
	}
	ck_assert_ok(hc_table_save_compact_with(tc, pt, &more));
	hc_assert_eq(ks->next, ns); /* each key asked for once */
	ck_assert_msg(same_file(pt, pr), "shape %d n %zu mix %d", shape, n,
		      mix);

	/* Read in place: every key's count, byte order, the full check. */
	ck_assert_ok(hc_table_open(&c, pt, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_verify(c, NULL));
	hc_test_assert_same(r, c);
	ck_assert_ok(hc_iter_create(c, &it));
	for (size_t i = 0; (rc = hc_iter_next(it, &e)) == 1; i++) {
		uint32_t len;
		uint64_t want;

		ck_assert_uint_lt(i, n);
		memcpy(&len, k[i], 4);
		hc_assert_eq(e.len, len);
		ck_assert_int_eq(memcmp(e.bytes, k[i] + 4, len), 0);
		ck_assert_ok(hc_get_bytes(r, k[i] + 4, len, &want));
		hc_assert_eq(e.count, want);
	}
	ck_assert_int_eq(rc, 0);
	hc_iter_destroy(it);
	ck_assert_ok(hc_table_close(c));

	if (compact_src)
		hc_table_close(tc);
	for (size_t i = 0; i < n; i++)
		free(k[i]);
	free(k);
	free(sc);
	free(ks->k);
	free(ks->len);
	free(ks);
	hc_table_close(t);
	hc_table_close(r);
}

static const size_t msizes[] = { 0, 1, 31, 33, 100, 4000 };
#define NMSIZES (sizeof(msizes) / sizeof(msizes[0]))

/* Every key in the stream, the table empty. */
START_TEST(stream_only)
{
	merged(KEYS_RANDOM, msizes[_i], 1, 0);
	merged(KEYS_PREFIX, msizes[_i], 1, 0);
}
END_TEST

/* A save of a stream with key_part of @n keys of @shape (the table
 * empty) into @path, with @threads threads reading it; its counts @sc
 * as an array, or (@call) through hc_key_stream.count. */
static int save_parts(hc_table *t, struct pstream *ps, size_t n, uint64_t *sc,
		      unsigned threads, const char *path, int call)
{
	hc_key_stream m = { sizeof(m), n, sc, ps_key_one, ps, ps_key, NULL };
	int rc;

	if (call) {
		ps->cnt = sc;
		m.counts = NULL;
		m.count = ps_count;
	}

	memset(ps->started, 0, sizeof(ps->started));
	memset(ps->reread, 0, sizeof(ps->reread));
	/* ORDER: relaxed. No save runs. */
	atomic_store_explicit(&ps->again, 0, memory_order_relaxed);
	hc__compact_threads = threads;
	rc = hc_table_save_compact_with(t, path, &m);
	hc__compact_threads = 0;
	/* ORDER: relaxed. The save joined the threads that counted. */
	ck_assert_uint_eq(atomic_load_explicit(&ps->bad, memory_order_relaxed),
			  0);
	return rc;
}

/* A stream alone read by 1 to 5 threads at once: the file is the one a
 * single reader writes (the stream's keys as a table's), byte for
 * byte; a key out of order at a part's first key, or a part's error,
 * refuses the save and leaves no file. */
START_TEST(stream_parts)
{
	static const int shapes[] = { KEYS_RANDOM, KEYS_PREFIX, KEYS_LONG,
				      KEYS_EDGE };
	const int shape = shapes[_i];
	size_t n = shape == KEYS_LONG ? 70 : 3000 + 97 * (size_t)_i;
	uint64_t split = hc__compact_split_min, st = 99, *sc;
	struct pstream *ps = calloc(1, sizeof(*ps));
	unsigned char **k, *swap;
	char ref[4096], path[4096];
	hc_table *t, *r;

	ck_assert_ptr_nonnull(ps);
	sorted_keys(shape, &n, 31 + (uint64_t)_i, &k);
	t = empty_like(shape, n, 5);
	r = empty_like(shape, n, 5);
	sc = calloc(n + 1, sizeof(*sc));
	ps->k = calloc(n + 1, sizeof(*ps->k));
	ps->len = calloc(n + 1, sizeof(*ps->len));
	ck_assert(sc && ps->k && ps->len);
	ps->fail_at = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		uint32_t len;

		memcpy(&len, k[i], 4);
		ps->k[i] = k[i] + 4;
		ps->len[i] = len;
		sc[i] = any_count(&st);
		ck_assert_ok(hc_add_bytes(r, k[i] + 4, len, sc[i]));
	}
	hc_test_path(ref, sizeof(ref), "parts-ref");
	ck_assert_ok(hc_table_save_compact(r, ref));
	hc__compact_split_min = 1;
	hc_test_path(path, sizeof(path), "parts");
	for (unsigned threads = 1; threads <= 5; threads++)
		for (int call = 0; call < 2; call++) {
			ck_assert_ok(
				save_parts(t, ps, n, sc, threads, path, call));
			ck_assert_msg(same_file(ref, path),
				      "shape %d, %u threads, count %d", shape,
				      threads, call);
			unlink(path);
		}
	/* The front-coded keys kept between the two passes: none (every
	 * part read again), some (chunks of 2 blocks, kept while 1 byte
	 * a key last), or all. */
	for (unsigned v = 0; v < 3; v++) {
		static const uint64_t keep[] = { 0, 1, 1u << 20 };
		unsigned again;

		hc__compact_keep_per_key = keep[v];
		hc__compact_chunk_blocks = v == 1 ? 2 : 512;
		ck_assert_ok(save_parts(t, ps, n, sc, 3, path, (int)v & 1));
		hc__compact_keep_per_key = 8;
		hc__compact_chunk_blocks = 512;
		ck_assert_msg(same_file(ref, path), "shape %d, keep %u", shape,
			      v);
		unlink(path);
		/* ORDER: relaxed. The save joined its threads. */
		again = atomic_load_explicit(&ps->again, memory_order_relaxed);
		if (v == 2)
			ck_assert_uint_eq(again, 0);
		else
			ck_assert_uint_gt(again, 0);
	}
	/* Keys read again that are not those read first: refused, not
	 * coded past the room the first reading sized. */
	hc__compact_keep_per_key = 0;
	ps->mutate = 1;
	ck_assert_int_eq(save_parts(t, ps, n, sc, 3, path, 0), HC_EINVAL);
	ck_assert(no_file(path));
	ps->mutate = 0;
	hc__compact_keep_per_key = 8;
	/* Fewer keys than the split: one reader, through key (which
	 * this stream refuses), not key_part. */
	hc__compact_split_min = n + 1;
	ck_assert_int_eq(save_parts(t, ps, n, sc, 4, path, 0), HC_EMISUSE);
	ck_assert(no_file(path));
	hc__compact_split_min = 1;
	if (n >= 3 * HC_CBLOCK_KEYS) {
		/* Keys 0 and 1 of the last third swapped: the first key of
		 * a part (3 parts) is out of order, then one inside it. */
		size_t at = (n / HC_CBLOCK_KEYS) * 2 / 3 * HC_CBLOCK_KEYS;

		for (size_t d = 0; d < 2; d++) {
			size_t x = at - 1 + d;

			for (int twice = 0; twice < 2; twice++) {
				size_t l = ps->len[x];

				swap = ps->k[x];
				ps->k[x] = ps->k[x + 1];
				ps->k[x + 1] = swap;
				ps->len[x] = ps->len[x + 1];
				ps->len[x + 1] = l;
				if (twice)
					break; /* back as they were */
				ck_assert_int_eq(save_parts(t, ps, n, sc, 3,
							    path, (int)d),
						 HC_EINVAL);
				ck_assert(no_file(path));
			}
		}
		/* The stream's own error, in the middle part. */
		ps->fail_at = n / 2;
		ps->err = HC_EIO;
		ck_assert_int_eq(save_parts(t, ps, n, sc, 3, path, 1), HC_EIO);
		ck_assert(no_file(path));
		ps->fail_at = UINT64_MAX;
	}
	/* The old struct, which ends before key_part: read by key alone. */
	{
		struct kstream *ks = calloc(1, sizeof(*ks));
		hc_key_stream m = { offsetof(hc_key_stream, key_part),
				    n,
				    sc,
				    ks_key,
				    ks,
				    ps_key,
				    NULL };

		ck_assert_ptr_nonnull(ks);
		ks->k = ps->k;
		ks->len = ps->len;
		ks->fail_at = UINT64_MAX;
		hc__compact_threads = 3;
		ck_assert_ok(hc_table_save_compact_with(t, path, &m));
		hc__compact_threads = 0;
		hc_assert_eq(ks->next, n);
		ck_assert(same_file(ref, path));
		unlink(path);
		free(ks);
	}
	hc__compact_split_min = split;
	unlink(ref);
	for (size_t i = 0; i < n; i++)
		free(k[i]);
	free(k);
	free(sc);
	free(ps->k);
	free(ps->len);
	free(ps);
	hc_table_close(t);
	hc_table_close(r);
}
END_TEST

/* Every key in the table, the stream empty: hc_table_save_compact(). */
START_TEST(table_only)
{
	char a[4096], b[4096];
	hc_table *t = make(KEYS_PREFIX, msizes[_i], 0, 5);
	hc_key_stream none = { sizeof(none), 0, NULL, NULL, NULL, NULL, NULL };

	merged(KEYS_RANDOM, msizes[_i], 0, 0);
	hc_test_path(a, sizeof(a), "plain");
	hc_test_path(b, sizeof(b), "none");
	ck_assert_ok(hc_table_save_compact(t, a));
	ck_assert_ok(hc_table_save_compact_with(t, b, &none));
	ck_assert(same_file(a, b));
	ck_assert_ok(hc_table_save_compact_with(t, b, NULL));
	ck_assert(same_file(a, b));
	hc_table_close(t);
}
END_TEST

/* Keys in either or both, of every shape; a compact file as source. */
START_TEST(interleaved)
{
	for (int shape = 0; shape < KEYS_N; shape++)
		merged(shape, shape == KEYS_LONG ? 40 : msizes[_i], 2, 0);
	merged(KEYS_PREFIX, msizes[_i], 2, 1);
	merged(KEYS_EDGE, msizes[_i], 1, 1);
}
END_TEST

/* A save of @t with @more that must fail with @want, leaving no file. */
static void refused(hc_table *t, const hc_key_stream *more, int want)
{
	char path[4096];

	hc_test_path(path, sizeof(path), "refused");
	ck_assert_hc(hc_table_save_compact_with(t, path, more), want);
	ck_assert_msg(no_file(path), "a file left at %s", path);
}

/* Streams out of contract: refused, no file written. */
START_TEST(bad_streams)
{
	static unsigned char big[HC_KEY_BYTES_MAX + 1];
	unsigned char *k[4] = { (unsigned char *)"b", (unsigned char *)"c",
				(unsigned char *)"d", (unsigned char *)"e" };
	size_t len[4] = { 1, 1, 1, 1 };
	uint64_t cnt[4] = { 1, 2, 3, 4 };
	struct kstream *ks = calloc(1, sizeof(*ks));
	hc_key_stream m = { sizeof(m), 4, cnt, ks_key, ks, NULL, NULL };
	hc_table *t = empty_like(KEYS_RANDOM, 10, 3), *u;
	hc_options o;

	ck_assert_ptr_nonnull(ks);
	ck_assert_ok(hc_add_bytes(t, "a", 1, 5));
	ck_assert_ok(hc_add_bytes(t, "c", 1, UINT64_MAX - 1));
	ks->k = k;
	ks->len = len;
	ks->fail_at = UINT64_MAX;
#define AGAIN() (ks->next = 0, ks->fail_at = UINT64_MAX)
	/* "c" is in both: its sum passes UINT64_MAX. */
	AGAIN();
	refused(t, &m, HC_ERANGE);
	cnt[1] = 1; /* UINT64_MAX exactly: fine */
	AGAIN();
	{
		char p[4096];
		hc_table *c;
		uint64_t got;

		hc_test_path(p, sizeof(p), "max");
		ck_assert_ok(hc_table_save_compact_with(t, p, &m));
		ck_assert_ok(hc_table_open(&c, p, HC_OPEN_RDONLY));
		ck_assert_ok(hc_table_verify(c, NULL));
		ck_assert_ok(hc_get_bytes(c, "c", 1, &got));
		hc_assert_eq(got, UINT64_MAX);
		ck_assert_ok(hc_get_bytes(c, "e", 1, &got));
		hc_assert_eq(got, 4);
		hc_table_close(c);
	}
	/* Lengths 0 and past HC_KEY_BYTES_MAX. */
	AGAIN();
	len[2] = 0;
	refused(t, &m, HC_EINVAL);
	AGAIN();
	k[2] = big;
	memset(big, 'd', sizeof(big));
	len[2] = HC_KEY_BYTES_MAX + 1;
	refused(t, &m, HC_EINVAL);
	len[2] = HC_KEY_BYTES_MAX; /* the longest is fine */
	AGAIN();
	{
		char p[4096];

		hc_test_path(p, sizeof(p), "long");
		ck_assert_ok(hc_table_save_compact_with(t, p, &m));
	}
	k[2] = (unsigned char *)"d";
	len[2] = 1;
	/* A count 0. */
	cnt[3] = 0;
	AGAIN();
	refused(t, &m, HC_EINVAL);
	cnt[3] = 4;
	/* Out of order; twice the same key; a prefix after its extension. */
	k[2] = (unsigned char *)"b";
	AGAIN();
	refused(t, &m, HC_EINVAL);
	k[2] = (unsigned char *)"c";
	AGAIN();
	refused(t, &m, HC_EINVAL);
	k[2] = (unsigned char *)"cc";
	len[2] = 2;
	k[3] = (unsigned char *)"c";
	AGAIN();
	refused(t, &m, HC_EINVAL);
	k[2] = (unsigned char *)"d";
	len[2] = 1;
	k[3] = (unsigned char *)"e";
	/* The stream's own error, first key or later. */
	AGAIN();
	ks->fail_at = 0;
	ks->err = HC_EIO;
	refused(t, &m, HC_EIO);
	AGAIN();
	ks->fail_at = 3;
	ks->err = HC_ENOMEM;
	refused(t, &m, HC_ENOMEM);
	hc_assert_eq(ks->next, 4);
	/* The struct itself: too small, no callback, no counts. */
	AGAIN();
	m.size = sizeof(size_t);
	refused(t, &m, HC_EINVAL);
	m.size = sizeof(m);
	m.key = NULL;
	refused(t, &m, HC_EINVAL);
	m.key = ks_key;
	m.counts = NULL;
	refused(t, &m, HC_EINVAL);
	/* The counts through count: the same file as from the array; both,
	 * or count in a struct that ends before it, refused. */
	{
		char p[4096], q[4096];

		hc_test_path(p, sizeof(p), "array");
		hc_test_path(q, sizeof(q), "call");
		m.counts = cnt;
		AGAIN();
		ck_assert_ok(hc_table_save_compact_with(t, p, &m));
		ks->cnt = cnt;
		m.counts = NULL;
		m.count = ks_count;
		AGAIN();
		ck_assert_ok(hc_table_save_compact_with(t, q, &m));
		ck_assert(same_file(p, q));
		unlink(p);
		unlink(q);
		cnt[2] = 0; /* a count 0, through count */
		AGAIN();
		refused(t, &m, HC_EINVAL);
		cnt[2] = 3;
		m.counts = cnt;
		refused(t, &m, HC_EINVAL);
		m.counts = NULL;
		m.size = offsetof(hc_key_stream, count);
		refused(t, &m, HC_EINVAL);
		m.size = sizeof(m);
		m.count = NULL;
	}
	m.counts = cnt;
	refused(NULL, &m, HC_EINVAL);
	/* A file already at the path stays as it was. */
	{
		char p[4096], q[4096];

		hc_test_path(p, sizeof(p), "kept");
		hc_test_path(q, sizeof(q), "kept_copy");
		ck_assert_ok(hc_table_save_compact(t, p));
		hc_test_copy_file(p, q);
		k[2] = (unsigned char *)"b";
		AGAIN();
		ck_assert_hc(hc_table_save_compact_with(t, p, &m), HC_EINVAL);
		ck_assert(same_file(p, q));
		k[2] = (unsigned char *)"d";
	}

	/* Integer tables have no keys of bytes to merge with. */
	hc_options_init(&o);
	o.capacity = 64;
	ck_assert_ok(hc_table_create(&u, &o));
	ck_assert_ok(hc_add(u, 7, 1));
	AGAIN();
	refused(u, &m, HC_EMISUSE);
	hc_assert_eq(ks->next, 0);
	m.n = 0;
	refused(u, &m, HC_EMISUSE);
	hc_table_close(u);
#undef AGAIN
	free(ks);
	hc_table_close(t);
}
END_TEST

Suite *hc_compact_bytes_suite(void)
{
	Suite *s = suite_create("compact_bytes");
	TCase *tc = tcase_create("round_trip");
	TCase *bad = tcase_create("hostile");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, random_fixed, 0, NSIZES);
	tcase_add_loop_test(tc, random_growing, 0, NSIZES);
	tcase_add_loop_test(tc, prefixes, 0, NSIZES);
	tcase_add_test(tc, long_keys);
	tcase_add_test(tc, edge_keys);
	tcase_add_loop_test(tc, sort_threads, 0, 3);
	tcase_add_test(tc, threads_same_file);
	tcase_add_test(tc, smaller);
	tcase_add_loop_test(tc, stream_only, 0, NMSIZES);
	tcase_add_loop_test(tc, stream_parts, 0, 4);
	tcase_add_loop_test(tc, table_only, 0, NMSIZES);
	tcase_add_loop_test(tc, interleaved, 0, NMSIZES);
	tcase_add_test(tc, bad_streams);
	suite_add_tcase(s, tc);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, truncated);
	tcase_add_test(bad, header_fields);
	tcase_add_loop_test(bad, crafted, 0, 17);
	tcase_add_loop_test(bad, body_garbage, 0, 2);
	suite_add_tcase(s, bad);
	return s;
}
