/* SPDX-License-Identifier: MIT */
/*
 * check_narrow.c - the narrow kind (kernel/kind_narrow.c): its geometry
 * per generation, the count field and its overflow area, the crossing
 * from 8-byte to 4-byte slots while the table grows, saved and compact
 * copies, and the limits.  Every count is checked against a reference
 * sorted here (hc_test_ref_u64).  Growth under many processes, kills and
 * stops is in check_grow.c, which runs every growing kind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

static hc_table *new_narrow(int mode, uint64_t cap, unsigned bits, int grow)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_NARROW;
	o.mode = mode;
	o.capacity = cap;
	o.seed = 0x6e6172726f77 + bits;
	o.key_bits = bits;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static size_t slot_size_of(const hc_table *t)
{
	hc_view v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ck_assert_ok(hc_table_view(t, &v));
	return v.slot_size;
}

static uint64_t generation_of(const hc_table *t)
{
	hc_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	return st.generation;
}

/* Random keys below 2^bits, both ends of the range among them; deltas
 * mostly small, those of one key in 50 often past any count field (the
 * overflow area: a fixed table's has room for that many). */
static void make_keys(uint64_t *keys, uint64_t *deltas, size_t n, unsigned bits,
		      uint64_t distinct, uint64_t seed)
{
	uint64_t mask = (UINT64_C(1) << bits) - 1;

	for (size_t i = 0; i < n; i++) {
		uint64_t id = hc_test_rand(&seed) % distinct, r;

		keys[i] = id == 0   ? 0
			  : id == 1 ? mask
				    : hc_test_scramble(id) & mask;
		r = id % 50 ? 0 : hc_test_rand(&seed) % 100;
		deltas[i] = r < 90   ? 1 + hc_test_rand(&seed) % 5
			    : r < 98 ? 100 + r
				     : UINT64_C(1) << (20 + r % 20);
	}
}

/* Fixed tables of 4-byte and 8-byte slots, quotients of 0 to 50 bits:
 * single or batched adds, exact or HogWild (one process: no race). */
static const struct {
	unsigned bits;
	uint64_t cap;
	size_t ssize;
} geo[] = {
	{ 16, 16, 4 },
	{ 16, 1 << 20, 4 },
	{ 20, 4096, 4 },
	{ 26, 1024, 4 },
	{ 26, 512, 8 },
	{ 42, 1 << 15, 8 },
	{ 44, UINT64_C(1) << 16, 8 },
	{ 62, 1 << 18, 8 },
	{ 50, 1 << 13, 8 },
	/* Buckets not a power of two: 3 (one no key calls home), 69 (5
	 * of them), 3 x 2^10, 5 x 2^12. */
	{ 16, 48, 4 },
	{ 20, 69 * 16, 4 },
	{ 42, 3 << 14, 8 },
	{ 62, 5 << 16, 8 },
};
#define NGEO (int)(sizeof(geo) / sizeof(geo[0]))

START_TEST(narrow_random_against_reference)
{
	enum { N = 20000 };
	unsigned bits = geo[_i / 4].bits;
	uint64_t cap = geo[_i / 4].cap;
	int mode = _i % 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT,
	    batched = _i / 2 % 2;
	uint64_t distinct = cap * 6 / 10 < 5000 ? cap * 6 / 10 : 5000;
	/* About 10 adds a key: counts of most keys stay in the field. */
	size_t n = distinct * 10 < N ? distinct * 10 : N;
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(mode, cap, bits, 0);
	struct hc_test_entry *ref;
	size_t i, nref, done;
	hc_stats s;

	hc_assert_eq(slot_size_of(t), geo[_i / 4].ssize);
	make_keys(keys, deltas, n, bits, distinct, 77 + (uint64_t)_i);
	if (batched) {
		ck_assert_ok(
			hc_add_batch_mode(t, keys, deltas, n, &done, mode));
		hc_assert_eq(done, n);
	} else {
		for (i = 0; i < n; i++)
			ck_assert_ok(hc_add_batch_mode(t, &keys[i], &deltas[i],
						       1, NULL, mode));
	}
	nref = hc_test_ref_u64(keys, deltas, n, &ref);
	hc_test_assert_ref(t, ref, nref);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(t, &s));
	hc_assert_eq(s.distinct, nref);
	hc_assert_eq(s.capacity, cap);
	hc_assert_eq(s.key_kind, HC_KEY_NARROW);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A table of 26-bit keys grows from 16 slots of 8 bytes to 4-byte ones
 * (from 1024 slots on) with counts far past the field: every count
 * exact, then again in a saved copy and a compact file.  _i >= 2: from
 * 48 slots, 3 buckets, so that no generation has a power of two.
 */
START_TEST(narrow_grows_across_widths)
{
	enum { N = 200000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(HC_MODE_EXACT, _i >= 2 ? 48 : 16, 26, 1), *r;
	struct hc_test_entry *ref;
	char path[256], cpath[256];
	size_t nref, done;
	hc_options o;

	hc_assert_eq(slot_size_of(t), 8);
	make_keys(keys, deltas, N, 26, 30000, 5);
	if (_i % 2)
		ck_assert_ok(hc_add_batch(t, keys, deltas, N, &done));
	else
		for (size_t i = 0; i < N; i++)
			ck_assert_ok(hc_add(t, keys[i], deltas[i]));
	hc_assert_ge(generation_of(t), 10);
	hc_assert_eq(slot_size_of(t), 4);
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);

	hc_test_path(path, sizeof(path), "narrow.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDWR));
	hc_assert_eq(slot_size_of(r), 4);
	hc_test_assert_ref(r, ref, nref);
	/* The copy grows again, from its saved generation. */
	for (size_t i = 0; i < N; i++)
		ck_assert_ok(hc_add(r, (keys[i] + 1) & ((1 << 26) - 1), 1));
	ck_assert_ok(hc_table_close(r));

	hc_test_path(cpath, sizeof(cpath), "narrow.hcc");
	ck_assert_ok(hc_table_save_compact(t, cpath));
	ck_assert_ok(hc_table_open(&r, cpath, HC_OPEN_RDONLY));
	hc_options_init(&o);
	ck_assert_ok(hc_table_options(r, &o));
	hc_assert_eq(o.key_kind, HC_KEY_NARROW);
	hc_assert_eq(o.key_bits, 26);
	hc_test_assert_ref(r, ref, nref);
	ck_assert_ok(hc_table_close(r));
	unlink(path);
	unlink(cpath);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Keys of 62 bits (31-mers) start where 8-byte slots leave a count
 * field (2^18 slots), never in 16-byte ones, and grow. */
START_TEST(narrow_wide_keys_grow)
{
	enum { N = 600000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(HC_MODE_EXACT, 0, 62, 1);
	struct hc_test_entry *ref;
	size_t nref, done;
	hc_stats s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(t, &s));
	hc_assert_eq(s.capacity, 1 << 18);
	make_keys(keys, deltas, N, 62, 300000, 9);
	ck_assert_ok(hc_add_batch(t, keys, deltas, N, &done));
	hc_assert_ge(generation_of(t), 1);
	hc_assert_eq(slot_size_of(t), 8);
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(narrow_range)
{
	hc_table *t = new_narrow(HC_MODE_EXACT, 1024, 20, 0);
	uint64_t keys[] = { 5, 1 << 20, 6 }, c = 9;
	size_t done = 9;

	ck_assert_hc(hc_add(t, UINT64_C(1) << 20, 1), HC_ERANGE);
	ck_assert_hc(hc_add(t, UINT64_MAX, 1), HC_ERANGE);
	ck_assert_hc(hc_get(t, UINT64_C(1) << 20, &c), HC_ERANGE);
	ck_assert_hc(hc_add_batch(t, keys, NULL, 3, &done), HC_ERANGE);
	hc_assert_eq(done, 1);
	ck_assert_ok(hc_add(t, (1 << 20) - 1, 3));
	ck_assert_ok(hc_get(t, (1 << 20) - 1, &c));
	hc_assert_eq(c, 3);
	ck_assert_ok(hc_get(t, 77, &c));
	hc_assert_eq(c, 0);
	ck_assert_hc(hc_add_bytes(t, "ab", 2, 1), HC_EMISUSE);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A key out of range anywhere in a batch (the last of a chunk, the
 * first, one past the chunk's 256): HC_ERANGE there, with every key
 * before it added and none after; UINT64_MAX, whose mix the batch keeps
 * as its out-of-range mark, too.  A growing table, so the chunk's
 * last homes are prefetched past its end.
 */
START_TEST(narrow_range_batch)
{
	static const size_t at[] = { 255, 0, 256, 299 };
	uint64_t keys[300], c;
	size_t done = 0;
	hc_table *t = new_narrow(HC_MODE_EXACT, 1024, 20, 1);

	for (size_t j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
		for (size_t i = 0; i < 300; i++)
			keys[i] = 1000 * j + i;
		keys[at[j]] = j % 2 ? UINT64_MAX : UINT64_C(1) << 20;
		ck_assert_hc(hc_add_batch(t, keys, NULL, 300, &done),
			     HC_ERANGE);
		hc_assert_eq(done, at[j]);
		for (size_t i = 0; i < 300; i++) {
			if (i == at[j])
				continue;
			ck_assert_ok(hc_get(t, 1000 * j + i, &c));
			hc_assert_eq(c, i < at[j] ? 1 : 0);
		}
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A fixed table whose overflow area fills: HC_EFULL, and every add
 * before it exact.  Past the field with one add (a claim) or with many.
 */
START_TEST(narrow_overflow_full)
{
	/* 26-bit keys in 2^15 slots: a count field of 12 bits. */
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 15, 26, 0);
	uint64_t k, c, ok = 0;
	int rc = HC_OK;

	for (k = 0; k < 5000 && rc == HC_OK; k++) {
		rc = _i ? hc_add(t, k, 5000) : HC_OK;
		for (int i = 0; !_i && i < 300 && rc == HC_OK; i++)
			rc = hc_add(t, k, 17);
		if (rc == HC_OK)
			ok++;
	}
	ck_assert_hc(rc, HC_EFULL);
	hc_assert_gt(ok, 256);
	for (k = 0; k < ok; k++) {
		ck_assert_ok(hc_get(t, k, &c));
		hc_assert_eq(c, _i ? 5000 : 300 * 17);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- a saturated word and its overflow slot, across a growth ------- */

/*
 * A saturated word always has an overflow slot, which a copier freezes
 * with it: so an adder that read the word before the freeze and adds to
 * the overflow count after it is refused and adds in the next generation
 * (design.md, "Narrow slots").  Worker A saturates M keys with exactly
 * cmask each (a claim with the field full), then adds 1 to each; it is
 * SIGSTOPped in the middle, the parent grows the table, A is continued.
 * Every key must read cmask + 1.
 */
enum { SAT_M = 12000 };

struct sat_shared {
	volatile int ready;
	volatile uint64_t done;
};

/* SIGSTOP worker @pid once it has done @at adds: 1 if it is stopped, 0
 * if it finished first (cleanly; nothing to test then). */
static int stop_at(pid_t pid, const struct sat_shared *sh, uint64_t at)
{
	int st;

	while (sh->done < at) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		ck_assert_int_ge(r, 0);
		if (r == pid) {
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				      "worker status %#x", st);
			return 0;
		}
	}
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ck_assert_int_eq(waitpid(pid, &st, WUNTRACED), pid);
	if (WIFSTOPPED(st))
		return 1;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "worker status %#x", st);
	return 0;
}

START_TEST(narrow_saturated_across_growth)
{
	/* 30-bit keys in 2^20 slots: q = 14, a count field of 13 bits. */
	const uint64_t cm = (1u << 13) - 1;
	/* _i 1: a first add of cmask - 1, the control (the 1 then claims
	 * the overflow slot before it saturates): nothing is lost. */
	const uint64_t first = _i ? cm - 1 : cm, want = first + 1;
	struct sat_shared *sh = hc_test_shared(sizeof(*sh));
	int lost_trials = 0, trials = 40;

	for (int trial = 0; trial < trials; trial++) {
		hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 20, 30, 1);
		pid_t pid;
		int st, lost = 0;
		uint64_t c;

		sh->ready = 0;
		sh->done = 0;
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (uint64_t j = 0; j < SAT_M; j++)
				if (hc_add(t, j, first))
					_exit(2);
			sh->ready = 1;
			for (uint64_t j = 0; j < SAT_M; j++) {
				if (hc_add(t, j, 1))
					_exit(3);
				sh->done = j + 1;
			}
			_exit(0);
		}
		if (!stop_at(pid, sh, 1000 + (uint64_t)trial * 37 % 2000)) {
			/* A finished first: nothing to test this time. */
			ck_assert_ok(hc_table_close(t));
			continue;
		}
		/* A growth while A is stopped mid-add. */
		ck_assert_ok(hc__grow(t, 0));
		ck_assert_ok(hc__help(t, 0));
		if (kill(pid, SIGCONT))
			ck_abort_msg("SIGCONT: %s, trial %d", strerror(errno),
				     trial);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		hc_assert_ge(generation_of(t), 1);
		for (uint64_t j = 0; j < SAT_M; j++) {
			ck_assert_ok(hc_get(t, j, &c));
			if (c != want) {
				hc_assert_eq(c, first); /* the 1 was lost */
				lost++;
			}
		}
		lost_trials += lost != 0;
		ck_assert_ok(hc_table_close(t));
	}
	hc_test_unshare(sh, sizeof(*sh));
	ck_assert_msg(lost_trials == 0,
		      "adds lost (HC_OK returned) in %d of %d trials",
		      lost_trials, trials);
}
END_TEST

/*
 * A batch keeps the rest of an add split by a freeze (the field
 * saturated, the overflow count then found frozen) until an add of that
 * rest succeeds, whatever fails in between: here HC_EFULL from the next
 * generation's overflow area, and a growth.  A adds 3 cmask to keys
 * holding 1, in batches; stopped at random (some trials land between the
 * saturating CAS and the overflow add), the parent grows the table, and
 * fills the new generation's overflow area with a handle that may not
 * grow further (its max_capacity, a process-local field, so that A's
 * handle still grows).  A, continued, finds its overflow count frozen,
 * retries the rest: HC_EFULL, a growth, the rest again.  Every key must
 * read 1 + 3 cmask (the whole delta again would count cmask - 1 twice).
 */
enum { RB_M = 12000, RB_CHUNK = 16 };

START_TEST(narrow_batch_keeps_rest)
{
	/* 30-bit keys in 2^20 slots: q = 14, a count field of 13 bits;
	 * 14 bits in the next generation. */
	const uint64_t cm = (1u << 13) - 1, want = 1 + 3 * cm;
	struct sat_shared *sh = hc_test_shared(sizeof(*sh));
	static uint64_t keys[RB_M], deltas[RB_M];
	int bad_trials = 0, trials = 200, skipped = 0;
	uint64_t doubled = 0;

	for (uint64_t j = 0; j < RB_M; j++) {
		keys[j] = j;
		deltas[j] = 3 * cm;
	}
	for (int trial = 0; trial < trials; trial++) {
		hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 20, 30, 1);
		pid_t pid;
		int st, bad = 0, efull = 0;
		uint64_t c, k;

		for (uint64_t j = 0; j < RB_M; j++)
			ck_assert_ok(hc_add(t, j, 1));
		sh->ready = 0;
		sh->done = 0;
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (uint64_t j = 0; j < RB_M; j += RB_CHUNK) {
				int rc = hc_add_batch(t, keys + j, deltas + j,
						      RB_CHUNK, NULL);

				if (rc)
					_exit(100 - rc);
				sh->done = j + RB_CHUNK;
			}
			_exit(0);
		}
		if (!stop_at(pid, sh, 200 + (uint64_t)trial * 37 % 1000)) {
			skipped++;
			goto next;
		}
		ck_assert_ok(hc__grow(t, 0));
		ck_assert_ok(hc__help(t, 0));
		/* This handle may not grow past generation 1. */
		t->max_capacity = (uint64_t)1 << 21;
		for (k = RB_M; efull < 500; k++) {
			int rc = hc_add(t, k, UINT64_C(1) << 40);

			if (rc == HC_EFULL)
				efull++;
			else
				ck_assert_ok(rc);
		}
		if (kill(pid, SIGCONT))
			ck_abort_msg("SIGCONT: %s", strerror(errno));
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "worker status %#x", st);
		for (uint64_t j = 0; j < RB_M; j++) {
			ck_assert_ok(hc_get(t, j, &c));
			if (c != want) {
				hc_assert_eq(c, want + cm - 1); /* twice */
				bad++;
				doubled++;
			}
		}
		bad_trials += bad != 0;
next:
		ck_assert_ok(hc_table_close(t));
	}
	hc_test_unshare(sh, sizeof(*sh));
	if (getenv("HC_TEST_VERBOSE"))
		fprintf(stderr,
			"batch rest: %d of %d trials doubled, %d skipped\n",
			bad_trials, trials, skipped);
	ck_assert_msg(bad_trials == 0,
		      "cmask - 1 counted twice for %llu keys in %d of %d "
		      "trials (%d skipped)",
		      (unsigned long long)doubled, bad_trials, trials, skipped);
}
END_TEST

/*
 * A growth stops at the narrow kind's largest geometry, 2^(K + 4) slots
 * (one bucket a key; gen_limit() asks slot_bytes), so a full overflow
 * area there says HC_EFULL and the table stays readable.  A table of
 * 16-bit keys at 2^20 slots: 2^14 overflow slots for 2^16 keys.
 */
START_TEST(narrow_growth_stops_at_geometry)
{
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 20, 16, 1);
	uint64_t k, c = 0;
	int rc = HC_OK;

	for (k = 0; k < (1u << 16) && rc == HC_OK; k++)
		rc = hc_add(t, k, UINT64_C(1) << 30);
	/* HC_EFULL would do (the overflow area is full, the table at its
	 * largest); HC_ECORRUPT is a table nobody can read. */
	ck_assert_msg(rc == HC_OK || rc == HC_EFULL, "add %llu: %s",
		      (unsigned long long)k, hc_errname(rc));
	ck_assert_ok(hc_get(t, 5, &c));
	hc_assert_eq(c, UINT64_C(1) << 30);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* The claims of generation @g flushed to the shared count (M1). */
static uint64_t claimed_of(hc_table *t, unsigned g)
{
	/* ORDER: relaxed. A test reads a figure no one else writes now. */
	return hc_atomic_load_relaxed(&t->hdr->gens[g].claimed);
}

/*
 * Batched adds count their claims once a chunk (hc__note_claims), in
 * whole batches of 256 here (2^16 slots): 1024 new keys in one call,
 * the last chunk's claims counted as the call returns; keys already
 * there and repeats within the call are no claims; single adds count
 * on from the same per-handle count.  No growth: 1380 keys of 52428.
 */
START_TEST(narrow_batch_counts_claims)
{
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 16, 40, 1);
	uint64_t keys[1200], c;
	size_t done;

	for (uint64_t i = 0; i < 1024; i++)
		keys[i] = i * 7919;
	ck_assert_ok(hc_add_batch(t, keys, NULL, 1024, &done));
	hc_assert_eq(done, 1024);
	hc_assert_eq(claimed_of(t, 0), 1024);
	/* 100 new keys, 1000 repeats: 1124 claims, 1024 flushed */
	for (uint64_t i = 0; i < 1100; i++)
		keys[i] = (i < 100 ? 1024 + i : i % 1024) * 7919;
	ck_assert_ok(hc_add_batch(t, keys, NULL, 1100, &done));
	hc_assert_eq(done, 1100);
	hc_assert_eq(claimed_of(t, 0), 1024);
	for (uint64_t i = 1124; i < 1280; i++)
		ck_assert_ok(hc_add(t, i * 7919, 1));
	hc_assert_eq(claimed_of(t, 0), 1280);
	hc_assert_eq(generation_of(t), 0);
	ck_assert_ok(hc_get(t, 5 * 7919, &c));
	hc_assert_eq(c, 2);
	ck_assert_ok(hc_get(t, 1100 * 7919, &c));
	hc_assert_eq(c, 1);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Whether generation @g of @t has an overflow slot for @key. */
static int has_ovf(hc_table *t, unsigned g, uint64_t key)
{
	struct hc__gv v;
	uint64_t k = hc__mixk(t, key) << 1 | 1;

	ck_assert_ok(hc__gen_view(t, g, &v));
	for (uint64_t i = 0; i < v.ovf_cap; i++)
		if (v.ovf[i].word == k)
			return 1;
	return 0;
}

/*
 * The state narrow_saturated_across_growth relies on, deterministically:
 * a first add of exactly cmask (a claim with the field full) and a copy
 * whose sum is exactly the new cmask both leave an overflow slot.
 */
START_TEST(narrow_saturated_has_overflow_slot)
{
	/* 26-bit keys: 2^16 slots keep 13 count bits, 2^17 keep 14. */
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 16, 26, 1);
	const uint64_t cm0 = (1u << 13) - 1, cm1 = (1u << 14) - 1;
	uint64_t c;
	int claim_ovf, copy_ovf;

	ck_assert_ok(hc_add(t, 1000, cm0)); /* a claim, saturated */
	ck_assert_ok(hc_add(t, 2000, cm1)); /* saturated, the rest over */
	ck_assert_msg(has_ovf(t, 0, 2000), "control");
	claim_ovf = has_ovf(t, 0, 1000);
	ck_assert_ok(hc__grow(t, 0));
	ck_assert_ok(hc__help(t, 0));
	hc_assert_eq(generation_of(t), 1);
	ck_assert_ok(hc_get(t, 2000, &c));
	hc_assert_eq(c, cm1);
	copy_ovf = has_ovf(t, 1, 2000);
	ck_assert_msg(claim_ovf && copy_ovf,
		      "saturated, no overflow slot: after a claim of exactly "
		      "cmask %s; after a copy of exactly the new cmask %s",
		      claim_ovf ? "no" : "YES", copy_ovf ? "no" : "YES");
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A fixed table of 8-byte slots whose keys could reach 4-byte ones
 * (key_bits <= 44) gives its count field every bit the quotient leaves
 * (64 - 5 - q, 35 here): it never grows, so no field need stay narrow.
 * With 7 bits every key past 127 would take one of capacity / 64
 * overflow slots, and the table would be full at about 1.2% load.
 */
START_TEST(narrow_fixed_count_field)
{
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 20, 40, 0);
	uint64_t k;
	int rc = HC_OK;

	hc_assert_eq(slot_size_of(t), 8);
	for (k = 0; k < 50000 && rc == HC_OK; k++)
		rc = hc_add(t, k, 200);
	ck_assert_msg(rc == HC_OK, "full after %llu keys of 2^20 slots: %s",
		      (unsigned long long)k, hc_errname(rc));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * The scan of a bucket compares 32 bits of a word (its distance and the
 * quotient's low bits): keys that share them and their home bucket are
 * false matches for each other on every look (kind_narrow.c, nscan).
 * 62-bit keys in 2^18 8-byte slots have quotients of 48 bits; 40 such
 * keys fill their home bucket and the next two.  Each is counted apart,
 * in exact and HogWild adds, single and batched, and keys that share
 * the bits but were never added read 0.  A growth (_i odd) moves them
 * all (its copies scan the new generation the same way).
 */
START_TEST(narrow_scan_false_matches)
{
	enum { NKEY = 40, NREP = 6 };
	hc_table *t = new_narrow(_i / 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT,
				 1 << 18, 62, _i % 2);
	uint64_t keys[NKEY + 8], want[NKEY] = { 0 }, batch[NKEY], d[NKEY];
	uint64_t c, seed = 0x5ca9 + (uint64_t)_i;
	struct hc__gv v;
	unsigned lo_bits;

	hc_assert_eq(slot_size_of(t), 8);
	ck_assert_ok(hc__gen_view(t, 0, &v));
	lo_bits = 32u - v.dbits; /* quotient bits the scan compares */
	ck_assert_msg(v.qbits > lo_bits + 8, "quotient of %u bits", v.qbits);
	for (unsigned i = 0; i < NKEY + 8; i++) {
		/* home bucket 77, the same low quotient bits, and a
		 * different quotient above them */
		uint64_t mk =
			UINT64_C(77) << v.qbits | (uint64_t)(i + 1) << lo_bits |
			(UINT64_C(0xabcdef) & ((UINT64_C(1) << lo_bits) - 1));

		keys[i] = hc__unmixk(t, mk);
		hc_assert_eq(hc__mixk(t, keys[i]), mk);
	}
	for (unsigned r = 0; r < NREP; r++) {
		for (unsigned i = 0; i < NKEY; i++) {
			unsigned j =
				r ? (unsigned)(hc_test_rand(&seed) % NKEY) : i;

			batch[i] = keys[j];
			d[i] = j + 1;
			want[j] += j + 1;
		}
		if (r % 2)
			for (unsigned i = 0; i < NKEY; i++)
				ck_assert_ok(hc_add(t, batch[i], d[i]));
		else
			ck_assert_ok(hc_add_batch(t, batch, d, NKEY, NULL));
	}
	/* _i odd: grow, so that copies move them all */
	for (uint64_t k = 1; _i % 2 && generation_of(t) == 0;)
		for (uint64_t e = k + 4096; k < e; k++)
			ck_assert_ok(hc_add(t, k << 20, 1));
	for (unsigned i = 0; i < NKEY + 8; i++) {
		ck_assert_ok(hc_get(t, keys[i], &c));
		ck_assert_msg(c == (i < NKEY ? want[i] : 0),
			      "key %u: %llu, not %llu", i,
			      (unsigned long long)c,
			      (unsigned long long)(i < NKEY ? want[i] : 0));
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

Suite *hc_narrow_suite(void)
{
	Suite *s = suite_create("narrow");
	TCase *tc = tcase_create("narrow");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, narrow_random_against_reference, 0, 4 * NGEO);
	tcase_add_loop_test(tc, narrow_grows_across_widths, 0, 4);
	tcase_add_test(tc, narrow_wide_keys_grow);
	tcase_add_test(tc, narrow_range);
	tcase_add_test(tc, narrow_range_batch);
	tcase_add_loop_test(tc, narrow_overflow_full, 0, 2);
	tcase_add_loop_test(tc, narrow_saturated_across_growth, 0, 2);
	tcase_add_test(tc, narrow_batch_keeps_rest);
	tcase_add_test(tc, narrow_growth_stops_at_geometry);
	tcase_add_test(tc, narrow_batch_counts_claims);
	tcase_add_test(tc, narrow_saturated_has_overflow_slot);
	tcase_add_test(tc, narrow_fixed_count_field);
	tcase_add_loop_test(tc, narrow_scan_false_matches, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
