/* SPDX-License-Identifier: MIT */
/*
 * check_threads.c - threads sharing one handle.  Four threads add into
 * one table in exact mode (single, batched, byte keys) while a fifth
 * walks and reads it; totals are exact.  The same with a u64 table that
 * starts at 64 slots (and a byte-key table whose key area grows too)
 * and grows while the threads add and read (the mapping of new
 * generations into the shared handle included).  Then the four walk it
 * together, one part each (hc_iter_create_parts).  Built for TSan (label
 * "threads"): the kernel's atomics go through libatomic_ops, and any
 * plain access racing with them shows up here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hc_test.h"
#include "hc_internal.h"

#define NTHREADS 4
#define OPS 50000u
#define NKEYS 3000u

enum {
	STYLE_SINGLE,
	STYLE_BATCH,
	STYLE_BYTES,
	STYLE_BYTES_BATCH,
	STYLE_MIXED,
	STYLE_N
};

struct shared {
	hc_table *t;
	int style;
	volatile int stop;
	int reader_rc;
};

struct worker {
	struct shared *sh;
	int id;
	int rc;
};

static uint64_t key_of(uint64_t id)
{
	return id < 2 ? (id ? UINT64_MAX : 0) : hc_test_scramble(id + 7);
}

static void *adder(void *p)
{
	struct worker *w = p;
	int style = w->sh->style;
	uint64_t st = (uint64_t)w->id * 1000 + 1, i;
	uint64_t keys[64], deltas[64];
	unsigned char kb[64][HC_TEST_BKEY_MAX];
	const void *kp[64];
	size_t lens[64], n = 0, done;
	int rc = 0;

	if (style == STYLE_MIXED)
		style = w->id % 2 ? STYLE_BATCH : STYLE_SINGLE;
	for (i = 0; i < OPS && !rc; i++) {
		uint64_t id = hc_test_rand(&st) % NKEYS;

		switch (style) {
		case STYLE_SINGLE:
			rc = hc_add(w->sh->t, key_of(id), 1 + id % 3);
			break;
		case STYLE_BYTES: {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(id, k);

			rc = hc_add_bytes(w->sh->t, k, len, 1 + id % 3);
			break;
		}
		case STYLE_BATCH:
			keys[n] = key_of(id);
			deltas[n++] = 1 + id % 3;
			if (n == 64 || i + 1 == OPS) {
				rc = hc_add_batch(w->sh->t, keys, deltas, n,
						  &done);
				n = 0;
			}
			break;
		case STYLE_BYTES_BATCH:
			lens[n] = hc_test_bkey(id, kb[n]);
			kp[n] = kb[n];
			deltas[n++] = 1 + id % 3;
			if (n == 64 || i + 1 == OPS) {
				rc = hc_add_bytes_batch(w->sh->t, kp, lens,
							deltas, n, &done);
				n = 0;
			}
			break;
		}
	}
	w->rc = rc;
	return NULL;
}

/* Walks and looks up while the adders run. */
static void *reader(void *p)
{
	struct shared *sh = p;
	hc_stats s;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		struct hc_test_entry *e;
		size_t n;
		uint64_t c;
		int rc = hc_test_collect(sh->t, &e, &n);

		if (rc == HC_OK && hc_test_first_dup(e, n) >= 0)
			rc = -1000;
		hc_test_entries_free(e, n);
		if (rc == HC_OK) {
			if (sh->style == STYLE_BYTES ||
			    sh->style == STYLE_BYTES_BATCH)
				rc = hc_get_bytes(sh->t, "x", 1, &c);
			else
				rc = hc_get(sh->t, 0, &c);
		}
		if (rc == HC_OK) {
			memset(&s, 0, sizeof(s));
			s.size = sizeof(s);
			rc = hc_table_stats(sh->t, &s);
		}
		if (rc != HC_OK) {
			sh->reader_rc = rc;
			break;
		}
	}
	return NULL;
}

/* One part of a walk that threads make together: its entries and the
 * sum of their counts. */
struct part {
	hc_iter *it;
	uint64_t n, sum;
	int rc;
};

static void *walk_part(void *p)
{
	struct part *w = p;
	hc_entry e;

	while ((w->rc = hc_iter_next(w->it, &e)) == 1) {
		w->n++;
		w->sum += e.count;
	}
	hc_iter_destroy(w->it);
	return NULL;
}

START_TEST(four_threads_exact)
{
	int style = _i % STYLE_N, grow = _i >= STYLE_N;
	int bytes = style == STYLE_BYTES || style == STYLE_BYTES_BATCH;
	struct shared sh;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS], rd;
	uint64_t *want = calloc(NKEYS, sizeof(*want)), id, total = 0;
	hc_options o;
	hc_stats s;
	int i;

	if (style == STYLE_MIXED) {
		/* u64 keys, odd threads batched, even ones single. */
		bytes = 0;
	}
	memset(&sh, 0, sizeof(sh));
	hc_options_init(&o);
	o.key_kind = bytes ? HC_KEY_BYTES : HC_KEY_U64;
	o.capacity = 8192;
	if (grow) {
		/* No growth without a 16-byte CAS (design.md M8). */
		if (!HC_HAVE_PAIR_CAS)
			return;
		o.capacity = 64;
		o.grow = HC_GROW_ON;
	}
	ck_assert_ok(hc_table_create(&sh.t, &o));
	sh.style = style;
	ck_assert_int_eq(pthread_create(&rd, NULL, reader, &sh), 0);
	for (i = 0; i < NTHREADS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].rc = -999;
		ck_assert_int_eq(pthread_create(&th[i], NULL, adder, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		uint64_t st = (uint64_t)i * 1000 + 1, k;

		for (k = 0; k < OPS; k++) {
			id = hc_test_rand(&st) % NKEYS;
			want[id] += 1 + id % 3;
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		hc_require(w[i].rc == HC_OK, "thread %d: %s", i,
			   hc_test_name(w[i].rc));
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(rd, NULL), 0);
	hc_require(sh.reader_rc == HC_OK, "reader: %d", sh.reader_rc);

	for (id = 0; id < NKEYS; id++) {
		uint64_t c;

		if (bytes) {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(id, k);

			ck_assert_ok(hc_get_bytes(sh.t, k, len, &c));
		} else {
			ck_assert_ok(hc_get(sh.t, key_of(id), &c));
		}
		hc_require(c == want[id], "key id %llu: %llu, want %llu",
			   (unsigned long long)id, (unsigned long long)c,
			   (unsigned long long)want[id]);
		total += want[id];
	}
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(sh.t, &s));
	hc_assert_eq(s.total, total);
	if (grow)
		hc_assert_ge(s.generation, 5);
	/* Walked by the four threads at once, one part each: together
	 * every entry once. */
	{
		hc_iter *its[NTHREADS];
		struct part pw[NTHREADS];
		uint64_t n = 0, sum = 0;

		ck_assert_ok(hc_iter_create_parts(sh.t, NTHREADS, its));
		for (i = 0; i < NTHREADS; i++) {
			memset(&pw[i], 0, sizeof(pw[i]));
			pw[i].it = its[i];
			ck_assert_int_eq(
				pthread_create(&th[i], NULL, walk_part, &pw[i]),
				0);
		}
		for (i = 0; i < NTHREADS; i++) {
			ck_assert_int_eq(pthread_join(th[i], NULL), 0);
			ck_assert_int_eq(pw[i].rc, 0);
			n += pw[i].n;
			sum += pw[i].sum;
		}
		hc_assert_eq(n, s.distinct);
		hc_assert_eq(sum, total);
	}
	free(want);
	ck_assert_ok(hc_table_close(sh.t));
}
END_TEST

Suite *hc_threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("exact");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, four_threads_exact, 0, 2 * STYLE_N);
	suite_add_tcase(s, tc);
	return s;
}
