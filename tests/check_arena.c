/* SPDX-License-Identifier: MIT */
/*
 * check_arena.c - arena.c: the byte-key area.  Space accounting, the
 * longest key, exhaustion (HC_EFULL with every earlier count intact), and
 * damaged references: a slot that points outside the area, at offset 0,
 * or at an entry whose length runs past the end must give HC_ECORRUPT
 * from iteration and lookups, never a crash (run under ASan).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

static hc_table *bytes_table(uint64_t cap, uint64_t arena)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = cap;
	o.arena_bytes = arena;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static void stats(const hc_table *t, hc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	ck_assert_ok(hc_table_stats(t, st));
}

static uint64_t entry_bytes(size_t len)
{
	return HC_ARENA_ENTRY_HDR + ((len + 7) & ~(size_t)7);
}

START_TEST(default_arena_size)
{
	hc_table *t = bytes_table(1000, 0);
	hc_stats st;

	stats(t, &st);
	hc_assert_eq(st.arena_bytes,
		     1000 * (uint64_t)HC_DEFAULT_ARENA_PER_SLOT);
	hc_assert_eq(st.key_kind, HC_KEY_BYTES);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(arena_accounting)
{
	hc_table *t = bytes_table(256, 1 << 16);
	unsigned char k[64];
	uint64_t want = 0, before;
	hc_stats st;
	size_t len;

	memset(k, 'z', sizeof(k));
	stats(t, &st);
	before = st.arena_used;
	hc_assert_le(before, 64);
	for (len = 1; len <= 64; len++) {
		ck_assert_ok(hc_add_bytes(t, k, len, 1));
		want += entry_bytes(len);
	}
	stats(t, &st);
	hc_assert_ge(st.arena_used, before + want);
	hc_assert_le(st.arena_used, before + want + 64);
	hc_assert_le(st.arena_used, st.arena_bytes);
	/* Existing keys take no more space. */
	before = st.arena_used;
	for (len = 1; len <= 64; len++)
		ck_assert_ok(hc_add_bytes(t, k, len, 1));
	stats(t, &st);
	hc_assert_eq(st.arena_used, before);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(longest_key)
{
	hc_table *t = bytes_table(16, 4 * (uint64_t)HC_KEY_BYTES_MAX);
	unsigned char *k = malloc(HC_KEY_BYTES_MAX + 1);
	uint64_t c;
	size_t i;

	for (i = 0; i <= HC_KEY_BYTES_MAX; i++)
		k[i] = (unsigned char)(i * 31);
	ck_assert_ok(hc_add_bytes(t, k, HC_KEY_BYTES_MAX, 3));
	ck_assert_ok(hc_add_bytes(t, k + 1, HC_KEY_BYTES_MAX, 4));
	ck_assert_hc(hc_add_bytes(t, k, HC_KEY_BYTES_MAX + 1, 1), HC_ERANGE);
	ck_assert_ok(hc_get_bytes(t, k, HC_KEY_BYTES_MAX, &c));
	hc_assert_eq(c, 3);
	ck_assert_ok(hc_get_bytes(t, k + 1, HC_KEY_BYTES_MAX, &c));
	hc_assert_eq(c, 4);
	k[HC_KEY_BYTES_MAX - 1] ^= 1;
	ck_assert_ok(hc_get_bytes(t, k, HC_KEY_BYTES_MAX, &c));
	hc_assert_eq(c, 0);
	free(k);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Keys of 16 bytes take 24 bytes of arena each. */
static const uint64_t exhaust_sizes[] = { 64, 256, 1000, 4096 };

START_TEST(arena_exhaustion)
{
	uint64_t arena = exhaust_sizes[_i], i, ok;
	hc_table *t = bytes_table(4096, arena);
	unsigned char k[16];
	uint64_t c;
	hc_stats st;
	int rc = HC_OK;

	memset(k, 'q', sizeof(k));
	for (i = 0; i < 4096; i++) {
		memcpy(k, &i, sizeof(i));
		rc = hc_add_bytes(t, k, 16, i + 1);
		if (rc != HC_OK)
			break;
	}
	ck_assert_hc(rc, HC_EFULL);
	ok = i;
	hc_assert_le(ok * 24, arena);
	hc_require(ok + 2 >= arena / 24, "only %llu keys in %llu bytes",
		   (unsigned long long)ok, (unsigned long long)arena);
	/* The refused key is absent; a second try is refused again. */
	ck_assert_ok(hc_get_bytes(t, k, 16, &c));
	hc_assert_eq(c, 0);
	ck_assert_hc(hc_add_bytes(t, k, 16, 1), HC_EFULL);
	ck_assert_hc(hc__add_bytes(t, k, 16, 1, HC_MODE_HOGWILD), HC_EFULL);
	/* Earlier counts intact; existing keys still take adds. */
	for (i = 0; i < ok; i++) {
		memcpy(k, &i, sizeof(i));
		ck_assert_ok(hc_get_bytes(t, k, 16, &c));
		hc_assert_eq(c, i + 1);
		ck_assert_ok(hc_add_bytes(t, k, 16, 1));
		ck_assert_ok(hc_get_bytes(t, k, 16, &c));
		hc_assert_eq(c, i + 2);
	}
	stats(t, &st);
	hc_assert_eq(st.distinct, ok);
	hc_assert_le(st.arena_used, st.arena_bytes);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(key_larger_than_arena)
{
	hc_table *t = bytes_table(16, 4096);
	unsigned char *k = calloc(1, 8192);
	hc_stats st;
	uint64_t c;

	ck_assert_hc(hc_add_bytes(t, k, 8192, 1), HC_EFULL);
	ck_assert_ok(hc_get_bytes(t, k, 8192, &c));
	hc_assert_eq(c, 0);
	/* The refused key took no space ("nothing was changed"). */
	stats(t, &st);
	hc_assert_le(st.arena_used, st.arena_bytes);
	hc_assert_le(st.arena_used, 64);
	ck_assert_ok(hc_add_bytes(t, k, 100, 1));
	ck_assert_ok(hc_get_bytes(t, k, 100, &c));
	hc_assert_eq(c, 1);
	free(k);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(batch_done_on_arena_full)
{
	hc_table *t = bytes_table(64, 256);
	unsigned char store[40][16];
	const void *keys[40];
	size_t lens[40], done = 999, i;
	uint64_t c;
	int rc;

	for (i = 0; i < 40; i++) {
		memset(store[i], 'b', 16);
		store[i][0] = (unsigned char)i;
		keys[i] = store[i];
		lens[i] = 16;
	}
	rc = hc_add_bytes_batch(t, keys, lens, NULL, 40, &done);
	ck_assert_hc(rc, HC_EFULL);
	hc_assert_lt(done, 40);
	hc_assert_le(done * 24, 256);
	for (i = 0; i < 40; i++) {
		ck_assert_ok(hc_get_bytes(t, keys[i], 16, &c));
		hc_assert_eq(c, i < done ? 1 : 0);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- damaged references in a file ---------------------------------- */

/* A bytes-kind file holding the one key "alpha" (count 9).  Returns the
 * file offset of its slot. */
static uint64_t one_key_file(char *path, size_t cap, struct hc__header *h)
{
	struct hc__slot s;
	hc_options o;
	hc_table *t;
	uint64_t i, found = 0;
	int fd;

	hc_test_path(path, cap, "arena.hc");
	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = 8;
	o.arena_bytes = 1024;
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	ck_assert_ok(hc_add_bytes(t, "alpha", 5, 9));
	ck_assert_ok(hc_table_close(t));
	hc_test_read_header(path, h);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < h->capacity; i++) {
		uint64_t off = h->slots_offset + i * HC_SLOT_SIZE;

		ck_assert_int_eq(pread(fd, &s, sizeof(s), (off_t)off),
				 sizeof(s));
		if (s.word) {
			hc_assert_eq(found, 0);
			found = off;
		}
	}
	close(fd);
	hc_assert_ne(found, 0);
	return found;
}

static void pwrite_u64(const char *path, uint64_t off, uint64_t v)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &v, 8, (off_t)off), 8);
	close(fd);
}

static uint64_t pread_u64(const char *path, uint64_t off)
{
	int fd = open(path, O_RDONLY);
	uint64_t v;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &v, 8, (off_t)off), 8);
	close(fd);
	return v;
}

static void pwrite_u32(const char *path, uint64_t off, uint32_t v)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &v, 4, (off_t)off), 4);
	close(fd);
}

enum {
	BAD_OFF_PAST_END,
	BAD_OFF_HUGE,
	BAD_OFF_ZERO,
	BAD_OFF_LAST_WORD,
	BAD_LEN_HUGE,
	BAD_LEN_PAST_END,
	BAD_N
};

/* Every reader of the damaged table says ECORRUPT or keeps clear of the
 * entry; none crashes or reads out of bounds. */
START_TEST(slot_points_outside_arena)
{
	struct hc__header h;
	char path[256];
	uint64_t slot, word, tag, off, c = 0;
	hc_table *t, *dst;
	hc_iter *it;
	hc_entry e;
	hc_stats st;
	uint64_t hist[8];
	int rc, get_must_fail = 1;

	slot = one_key_file(path, sizeof(path), &h);
	word = pread_u64(path, slot);
	tag = word >> HC_REF_OFFSET_BITS;
	off = (word & HC_REF_OFFSET_MASK) * 8;
	hc_assert_gt(off, 0);
	hc_assert_lt(off, h.arena_bytes);
	switch (_i) {
	case BAD_OFF_PAST_END:
		word = tag << HC_REF_OFFSET_BITS | (h.arena_bytes / 8);
		break;
	case BAD_OFF_HUGE:
		word = tag << HC_REF_OFFSET_BITS | HC_REF_OFFSET_MASK;
		break;
	case BAD_OFF_ZERO:
		word = tag << HC_REF_OFFSET_BITS;
		break;
	case BAD_OFF_LAST_WORD:
		/* The entry header fits, its key bytes do not. */
		word = tag << HC_REF_OFFSET_BITS | (h.arena_bytes / 8 - 1);
		pwrite_u32(path, h.arena_offset + h.arena_bytes - 8, 5);
		break;
	case BAD_LEN_HUGE:
		pwrite_u32(path, h.arena_offset + off, UINT32_MAX);
		get_must_fail = 0; /* length differs: may miss */
		break;
	case BAD_LEN_PAST_END:
		pwrite_u32(path, h.arena_offset + off,
			   (uint32_t)(h.arena_bytes - off));
		get_must_fail = 0;
		break;
	}
	pwrite_u64(path, slot, word);

	rc = hc_table_open(&t, path, HC_OPEN_RDONLY);
	ck_assert_ok(rc);
	ck_assert_ok(hc_iter_create(t, &it));
	rc = hc_iter_next(it, &e);
	hc_require(rc == HC_ECORRUPT, "hc_iter_next gave %s (len %zu)",
		   hc_test_name(rc), rc == 1 ? e.len : 0);
	hc_iter_destroy(it);

	rc = hc_get_bytes(t, "alpha", 5, &c);
	if (get_must_fail)
		hc_require(rc == HC_ECORRUPT, "hc_get_bytes gave %s",
			   hc_test_name(rc));
	else
		hc_require(rc == HC_ECORRUPT || (rc == HC_OK && c == 0),
			   "hc_get_bytes gave %s, count %llu", hc_test_name(rc),
			   (unsigned long long)c);

	/* Stats and histogram read counts only; either answer is fine as
	 * long as nothing crashes. */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	rc = hc_table_stats(t, &st);
	ck_assert(rc == HC_OK || rc == HC_ECORRUPT);
	rc = hc_histo(t, hist, 8);
	ck_assert(rc == HC_OK || rc == HC_ECORRUPT);

	/* Merging the damaged table elsewhere: ECORRUPT, not a crash. */
	{
		hc_options o;

		hc_options_init(&o);
		o.key_kind = HC_KEY_BYTES;
		o.capacity = 64;
		ck_assert_ok(hc_table_create(&dst, &o));
		ck_assert_hc(hc_table_merge(dst, t), HC_ECORRUPT);
		ck_assert_ok(hc_table_close(dst));
	}
	ck_assert_ok(hc_table_close(t));

	/* Read-write: adding the key or another one must not crash. */
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	rc = hc_add_bytes(t, "alpha", 5, 1);
	hc_require(rc == HC_ECORRUPT || rc == HC_OK || rc == HC_EFULL,
		   "hc_add_bytes gave %s", hc_test_name(rc));
	rc = hc_add_bytes(t, "gamma", 5, 1);
	hc_require(rc == HC_ECORRUPT || rc == HC_OK || rc == HC_EFULL,
		   "hc_add_bytes gave %s", hc_test_name(rc));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* arena_used is a live word outside the check: a hostile value must not
 * make appends write outside the arena. */
START_TEST(hostile_arena_used)
{
	static const uint64_t vals[] = { 1024 - 8,	    1024,
					 1024 + 8,	    UINT64_MAX - 7,
					 UINT64_C(1) << 62, 3 };
	struct hc__header h;
	char path[256];
	hc_table *t;
	uint64_t c;
	int rc;

	one_key_file(path, sizeof(path), &h);
	pwrite_u64(path, offsetof(struct hc__header, arena_used), vals[_i]);
	rc = hc_table_open(&t, path, HC_OPEN_RDWR);
	hc_require(rc == HC_OK || rc == HC_ECORRUPT, "open gave %s",
		   hc_test_name(rc));
	if (rc != HC_OK)
		return;
	rc = hc_add_bytes(t, "a new key of some length", 24, 1);
	hc_require(rc == HC_OK || rc == HC_EFULL || rc == HC_ECORRUPT,
		   "add gave %s", hc_test_name(rc));
	if (rc == HC_OK) {
		ck_assert_ok(
			hc_get_bytes(t, "a new key of some length", 24, &c));
		hc_assert_eq(c, 1);
	}
	ck_assert_ok(hc_get_bytes(t, "alpha", 5, &c));
	hc_assert_eq(c, 9);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A growing table's handle keeps a block of the key area (arena.c,
 * block_take).  Children forked after the parent took one inherit a copy
 * of the handle: each must append into a range of its own, or one
 * child's key bytes overwrite another's and the first key reads back
 * as nothing (or as the other).
 */
#define FORK_KIDS 4
#define FORK_KEYS 300

static size_t fork_key(int kid, int i, char *buf)
{
	return (size_t)sprintf(buf, "kid %d key %04d", kid, i);
}

static int fork_kid(int id, void *arg)
{
	hc_table *t = arg;
	char k[64];

	for (int i = 0; i < FORK_KEYS; i++)
		if (hc_add_bytes(t, k, fork_key(id, i, k), 1) != HC_OK)
			return 1;
	return 0;
}

START_TEST(forked_children_own_blocks)
{
	hc_options o;
	hc_table *t;
	pid_t pid[FORK_KIDS];
	uint64_t c;
	char k[64];
	int st;

	if (!HC_HAVE_PAIR_CAS)
		return; /* byte keys grow only with a 16-byte CAS */
	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = 4096;
	o.grow = HC_GROW_ON;
	ck_assert_ok(hc_table_create(&t, &o));
	/* The parent takes a block before the fork. */
	ck_assert_ok(hc_add_bytes(t, "parent", 6, 1));
	for (int w = 0; w < FORK_KIDS; w++)
		pid[w] = hc_test_spawn(fork_kid, w, t);
	for (int w = 0; w < FORK_KIDS; w++) {
		hc_require(hc_test_wait(pid[w], 30, &st), "child stuck");
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "child %d failed", w);
	}
	ck_assert_ok(hc_get_bytes(t, "parent", 6, &c));
	hc_assert_eq(c, 1);
	for (int w = 0; w < FORK_KIDS; w++)
		for (int i = 0; i < FORK_KEYS; i++) {
			size_t n = fork_key(w, i, k);
			int rc = hc_get_bytes(t, k, n, &c);

			hc_require(rc == HC_OK && c == 1,
				   "\"%s\": %s, count %ju", k, hc_test_name(rc),
				   (uintmax_t)c);
		}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

Suite *hc_arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("space");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, default_arena_size);
	tcase_add_test(tc, arena_accounting);
	tcase_add_test(tc, longest_key);
	tcase_add_loop_test(
		tc, arena_exhaustion, 0,
		(int)(sizeof(exhaust_sizes) / sizeof(exhaust_sizes[0])));
	tcase_add_test(tc, key_larger_than_arena);
	tcase_add_test(tc, batch_done_on_arena_full);
	tcase_add_test(tc, forked_children_own_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("damage");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, slot_points_outside_arena, 0, BAD_N);
	tcase_add_loop_test(tc, hostile_arena_used, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}
