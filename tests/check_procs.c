/* SPDX-License-Identifier: MIT */
/*
 * check_procs.c - many processes, one table: the properties users rely
 * on (MISSION.md).  Workers are forked with check_fork() (more of them
 * than the 2 cores), add known key streams, and the parent compares with
 * a single-process reference computed here by regenerating the streams
 * (plain arrays, no library): "8 workers == 1 worker".
 *
 * - exact mode, uniform and Zipf keys, integer and byte keys, key 0,
 *   UINT64_MAX and the zero-mix key among them, in an anonymous table
 *   inherited across fork and in a named table attached by name;
 * - a worker killed with SIGKILL mid-run: the others' counts are exact,
 *   the victim's are a "staircase" bounded by what it was asked to add;
 * - a worker held with SIGSTOP does not keep the others from finishing;
 * - HogWild with 8 workers: never corrupt, never more than asked;
 * - packed keys under SIGKILL and HogWild, and racing across the edge
 *   of their count field (saturation and overflow), exact and HogWild.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"
#include "hc_jobs.h"

/* ---- exact: N workers == the hc_job_reference -------------------------------- */

static const int worker_counts[] = { 1, 2, 8 };

#define TOTAL_OPS 240000u
#define NKEYS 20000u

START_TEST(exact_streams)
{
	static const int kinds[] = { HC_KEY_U64, HC_KEY_BYTES, HC_KEY_PACKED };
	int nw = worker_counts[_i % 3];
	int kind = kinds[(_i / 3) % 3];
	int dist = (_i / 9) % 2 ? DIST_ZIPF : DIST_UNIFORM;
	int home = (_i / 18) % 2 ? HOME_SHM : HOME_ANON;
	pid_t pids[MAX_WORKERS];
	uint64_t *want;
	struct job j;
	int w;

	hc_job_init(&j, kind, home, NKEYS);
	j.dist = dist;
	j.nworkers = nw;
	j.ops = TOTAL_OPS / (unsigned)nw;
	if (dist == DIST_ZIPF)
		hc_test_zipf_init(&j.zipf, NKEYS, 1.1);
	hc_job_table(&j, 1 << 16, HC_MODE_EXACT);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	want = hc_job_reference(&j, 0, nw);
	for (w = 0; w < nw; w++)
		hc_job_reap_ok(pids[w], w, 60);
	/* The edge keys are in every stream. */
	hc_assert_gt(want[0] + want[1] + want[2], 0);
	hc_job_assert_exact(j.t, &j, want);
	free(want);
	hc_job_done(&j);
}
END_TEST

/* A HogWild table, but every worker asks for exact adds per call. */
START_TEST(exact_per_call_on_hogwild_table)
{
	int kind = _i ? HC_KEY_BYTES : HC_KEY_U64;
	pid_t pids[MAX_WORKERS];
	uint64_t *want;
	struct job j;
	int w;

	hc_job_init(&j, kind, HOME_ANON, 2000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 20000;
	j.mode = HC_MODE_EXACT;
	hc_job_table(&j, 1 << 13, HC_MODE_HOGWILD);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	want = hc_job_reference(&j, 0, 8);
	for (w = 0; w < 8; w++)
		hc_job_reap_ok(pids[w], w, 60);
	hc_job_assert_exact(j.t, &j, want);
	free(want);
	hc_job_done(&j);
}
END_TEST

/* ---- SIGKILL --------------------------------------------------------- */

#define KILL_RANGE 2000u
#define KILL_ROUNDS 40u
#define VICTIM 3

START_TEST(sigkill_one_worker)
{
	static const int kinds[] = { HC_KEY_U64, HC_KEY_BYTES, HC_KEY_PACKED };
	int kind = kinds[_i % 3];
	int late = (_i / 3) % 2;
	int home = _i / 6 ? HOME_SHM : HOME_ANON;
	uint64_t at = late ? KILL_RANGE * KILL_ROUNDS / 2 : KILL_RANGE / 2;
	pid_t pids[MAX_WORKERS];
	uint64_t i, c, first, last, n, sum, units = 0, done, expect_sum = 0;
	struct job j;
	double end;
	int w, st = 0;

	hc_job_init(&j, kind, home, 0);
	j.nworkers = 8;
	j.range = KILL_RANGE;
	j.rounds = KILL_ROUNDS;
	j.first_id = 0;
	j.victim = VICTIM; /* runs until killed */
	hc_job_table(&j, 1 << 15, HC_MODE_EXACT);
	hc_job_spawn_all(&j, hc_job_range_worker, pids);
	end = hc_test_now() + 30;
	while (__atomic_load_n(&j.ctl->progress[VICTIM], __ATOMIC_RELAXED) <
	       at) {
		hc_require(hc_test_now() < end, "victim made no progress");
		sched_yield();
	}
	ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
	ck_assert(hc_test_wait(pids[VICTIM], 10, &st));
	hc_require(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "victim status %#x", st);
	/* Adds the victim completed; one more may have been in flight. */
	done = j.ctl->progress[VICTIM];
	for (w = 0; w < 8; w++)
		if (w != VICTIM)
			hc_job_reap_ok(pids[w], w, 60);

	/* Survivors: exact. */
	for (w = 0; w < 8; w++) {
		if (w == VICTIM)
			continue;
		for (i = 0; i < KILL_RANGE; i++) {
			uint64_t id = (uint64_t)w * KILL_RANGE + i;

			c = hc_job_count_of(j.t, &j, id);
			hc_require(c == KILL_ROUNDS * hc_job_delta_of(id),
				   "worker %d key %llu: %llu, want %llu", w,
				   (unsigned long long)i, (unsigned long long)c,
				   (unsigned long long)(KILL_ROUNDS *
							hc_job_delta_of(id)));
			expect_sum += c;
		}
	}
	/* Victim: a staircase r+1, ..., r+1, r, ..., r (in units of each
	 * key's delta) adding up to the adds it completed, or one more:
	 * at most its in-flight add is lost, nothing counts twice. */
	first = hc_job_count_of(j.t, &j, (uint64_t)VICTIM * KILL_RANGE) /
		hc_job_delta_of((uint64_t)VICTIM * KILL_RANGE);
	last = first;
	for (i = 0; i < KILL_RANGE; i++) {
		uint64_t id = (uint64_t)VICTIM * KILL_RANGE + i;
		uint64_t ci = hc_job_count_of(j.t, &j, id);

		hc_require(ci % hc_job_delta_of(id) == 0,
			   "victim key %llu: %llu", (unsigned long long)i,
			   (unsigned long long)ci);
		ci /= hc_job_delta_of(id);
		hc_require(ci <= last && ci + 1 >= first,
			   "victim key %llu: %llu rounds after %llu "
			   "(first %llu)",
			   (unsigned long long)i, (unsigned long long)ci,
			   (unsigned long long)last, (unsigned long long)first);
		last = ci;
		units += ci;
		expect_sum += ci * hc_job_delta_of(id);
	}
	hc_require(units == done || units == done + 1,
		   "victim: %llu adds in the table, %llu completed",
		   (unsigned long long)units, (unsigned long long)done);
	hc_assert_ge(done, at);
	/* The table is whole: walk, stats, and it still takes adds. */
	hc_job_walk_check(j.t, &j, &n, &sum);
	hc_assert_eq(sum, expect_sum);
	for (i = 0; i < KILL_RANGE; i++) {
		uint64_t id = (uint64_t)VICTIM * KILL_RANGE + i;

		c = hc_job_count_of(j.t, &j, id);
		ck_assert_int_eq(hc_job_add_one(j.t, &j, id, NULL), 0);
		hc_assert_eq(hc_job_count_of(j.t, &j, id),
			     c + hc_job_delta_of(id));
	}
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(hc_job_add_one(j.t, &j, 100000 + i, NULL), 0);
	hc_job_done(&j);
}
END_TEST

/* ---- SIGSTOP --------------------------------------------------------- */

/*
 * The victim (a batching worker) runs its stream until told to finish;
 * it is stopped early, while keys are still being inserted, and the
 * other seven must finish meanwhile.  Then it is continued (and the
 * table is exact: others + the victim's first progress adds) or killed
 * (each count between others + its completed adds and others + its
 * completed adds + one batch in flight).
 */
START_TEST(sigstop_one_worker)
{
	int kind = _i % 2 ? HC_KEY_BYTES : HC_KEY_U64;
	int cont = _i / 2; /* 1: SIGCONT it; 0: SIGKILL it */
	pid_t pids[MAX_WORKERS];
	uint64_t *want, *hi, id, n, sum, done, sum_lo = 0, sum_hi = 0;
	struct job j;
	double end;
	int w, st = 0;

	hc_job_init(&j, kind, HOME_ANON, 5000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 40000;
	j.victim = VICTIM;
	hc_job_table(&j, 1 << 14, HC_MODE_EXACT);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	end = hc_test_now() + 30;
	while (__atomic_load_n(&j.ctl->progress[VICTIM], __ATOMIC_RELAXED) <
	       256) {
		hc_require(hc_test_now() < end, "victim made no progress");
		sched_yield();
	}
	ck_assert_int_eq(kill(pids[VICTIM], SIGSTOP), 0);
	ck_assert_int_eq(waitpid(pids[VICTIM], &st, WUNTRACED), pids[VICTIM]);
	hc_require(WIFSTOPPED(st), "victim status %#x", st);
	for (w = 0; w < 8; w++)
		if (w != VICTIM)
			hc_job_reap_ok(pids[w], w, 60);
	hc_require(hc_job_is_stopped(pids[VICTIM]),
		   "the victim was not stopped while the others ran");

	want = hc_job_reference(&j, 0, 8);
	if (cont) {
		__atomic_store_n(&j.ctl->finish, 1, __ATOMIC_RELEASE);
		ck_assert_int_eq(kill(pids[VICTIM], SIGCONT), 0);
		hc_job_reap_ok(pids[VICTIM], VICTIM, 60);
		done = j.ctl->progress[VICTIM];
		hc_job_reference_add(&j, VICTIM, done, want);
		hc_job_assert_exact(j.t, &j, want);
	} else {
		ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
		ck_assert(hc_test_wait(pids[VICTIM], 10, &st));
		done = j.ctl->progress[VICTIM];
		hi = calloc(j.nkeys, sizeof(*hi));
		memcpy(hi, want, j.nkeys * sizeof(*hi));
		hc_job_reference_add(&j, VICTIM, done, want);
		hc_job_reference_add(&j, VICTIM, done + BATCH, hi);
		for (id = 0; id < j.nkeys; id++) {
			uint64_t c = hc_job_count_of(j.t, &j, id);

			hc_require(c >= want[id] && c <= hi[id],
				   "key id %llu: %llu not in [%llu, %llu]",
				   (unsigned long long)id,
				   (unsigned long long)c,
				   (unsigned long long)want[id],
				   (unsigned long long)hi[id]);
			sum_lo += want[id];
			sum_hi += hi[id];
		}
		hc_job_walk_check(j.t, &j, &n, &sum);
		hc_assert_ge(sum, sum_lo);
		hc_assert_le(sum, sum_hi);
		free(hi);
	}
	free(want);
	hc_job_done(&j);
}
END_TEST

/* ---- HogWild --------------------------------------------------------- */

static const uint64_t hogwild_keys[] = { 16, 5000 };

START_TEST(hogwild_never_corrupt)
{
	static const int kinds[] = { HC_KEY_U64, HC_KEY_BYTES, HC_KEY_PACKED };
	int kind = kinds[_i % 3];
	uint64_t nkeys = hogwild_keys[_i / 3];
	pid_t pids[MAX_WORKERS];
	uint64_t *want, id, n, sum, distinct = 0, total = 0;
	struct job j;
	int w;

	hc_job_init(&j, kind, HOME_ANON, nkeys);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 40000;
	hc_job_table(&j, 1 << 14, HC_MODE_HOGWILD);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	want = hc_job_reference(&j, 0, 8);
	for (w = 0; w < 8; w++)
		hc_job_reap_ok(pids[w], w, 60);
	for (id = 0; id < nkeys; id++) {
		uint64_t c = hc_job_count_of(j.t, &j, id);

		if (want[id]) {
			/* Present: every store writes a read value plus a
			 * positive delta. */
			hc_require(c >= 1, "key id %llu lost entirely",
				   (unsigned long long)id);
			distinct++;
		}
		hc_require(c <= want[id], "key id %llu: %llu > %llu",
			   (unsigned long long)id, (unsigned long long)c,
			   (unsigned long long)want[id]);
		total += want[id];
	}
	hc_job_walk_check(j.t, &j, &n, &sum);
	hc_assert_eq(n, distinct);
	hc_assert_le(sum, total);
	/* Still a working table: exact adds land exactly. */
	for (id = 0; id < nkeys; id++) {
		uint64_t c = hc_job_count_of(j.t, &j, id);
		uint64_t d = hc_job_delta_of(id);

		if (kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(id, k);

			ck_assert_ok(
				hc__add_bytes(j.t, k, len, d, HC_MODE_EXACT));
		} else {
			ck_assert_ok(hc__add_u64(j.t, hc_job_key_of(&j, id), d,
						 HC_MODE_EXACT));
		}
		hc_assert_eq(hc_job_count_of(j.t, &j, id), c + d);
	}
	free(want);
	hc_job_done(&j);
}
END_TEST

/* ---- the packed saturation race -------------------------------------- */

/*
 * Eight workers push the same few packed keys across the 16-bit count
 * field of {46 bits, 1024 slots} at once, with deltas that straddle the
 * edge: a saturating CAS races plain adds and overflow adds.  Exact: each
 * count is the sum of its deltas; HogWild: never more, never corrupt.
 */
static int saturate_worker(int w, void *p)
{
	hc_table *t = p;
	uint64_t st = (uint64_t)w * 77 + 5;

	for (int i = 0; i < 20000; i++) {
		uint64_t k = hc_test_rand(&st) % 4, d = 1 + (uint64_t)i % 7;

		if (i % 1000 == 999)
			d = 30000; /* straddles the edge */
		if (hc_add(t, k, d))
			return 1;
	}
	return 0;
}

START_TEST(packed_saturation_race)
{
	int mode = _i ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	uint64_t want[4] = { 0 }, c;
	pid_t pids[8];
	hc_options o;
	hc_table *t;
	int w;

	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 46;
	o.capacity = 1024;
	o.mode = mode;
	ck_assert_ok(hc_table_create(&t, &o));
	for (w = 0; w < 8; w++)
		pids[w] = hc_test_spawn(saturate_worker, w, t);
	for (w = 0; w < 8; w++) {
		uint64_t st = (uint64_t)w * 77 + 5;

		for (int i = 0; i < 20000; i++) {
			uint64_t k = hc_test_rand(&st) % 4;

			want[k] +=
				i % 1000 == 999 ? 30000 : 1 + (uint64_t)i % 7;
		}
	}
	for (w = 0; w < 8; w++)
		hc_job_reap_ok(pids[w], w, 60);
	for (uint64_t k = 0; k < 4; k++) {
		ck_assert_ok(hc_get(t, k, &c));
		if (mode == HC_MODE_EXACT)
			hc_assert_eq(c, want[k]);
		else
			hc_assert_le(c, want[k]);
		hc_assert_gt(c, 65535); /* well past the field */
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- hc_put_bytes: first writer wins, while the table grows ---------- */

#define PUT_KEYS 10000u

/* The value child @c puts for key @i: key and child read back from it. */
static uint64_t put_val(int c, uint64_t i)
{
	return (uint64_t)c * 1000000 + i + 1;
}

static const int put_kids[] = { 2, 8 };

struct put_arg {
	hc_table *t;
	volatile int *go;
	uint64_t *seen; /* [child][key]: what each put returned */
	int kids;
};

/* Child @c puts every key with its own values, in an order of its own
 * (forwards, backwards, or from an offset), and records what it saw. */
static int put_worker(int c, void *p)
{
	struct put_arg *a = p;
	unsigned char k[HC_TEST_BKEY_MAX];
	uint64_t f, n;

	while (!__atomic_load_n(a->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (n = 0; n < PUT_KEYS; n++) {
		uint64_t i = c % 3 == 0	  ? n
			     : c % 3 == 1 ? PUT_KEYS - 1 - n
					  : (n + (uint64_t)c * 1237) % PUT_KEYS;
		size_t len = hc_test_bkey(i, k);

		if (hc_put_bytes(a->t, k, len, put_val(c, i), &f))
			return 1;
		if (f % 1000000 != i + 1 || f / 1000000 >= (uint64_t)a->kids)
			return 2; /* not one of the values put for key i */
		a->seen[(uint64_t)c * PUT_KEYS + i] = f;
	}
	return 0;
}

/*
 * Several forked children put the same 10,000 byte keys, each with
 * values of its own, into a table that starts at 1024 slots and grows
 * (design.md I1, M3); half the keys are there with count 0 before.
 * Afterwards each key holds one of the values put, and every child saw,
 * for every key, exactly the value the table holds.
 * Without the pair CAS byte keys do not grow (M8): the table is sized
 * for all keys.
 */
START_TEST(put_bytes_first_wins)
{
	int kids = put_kids[_i], c, st;
	size_t seen_bytes = sizeof(uint64_t) * PUT_KEYS * MAX_WORKERS;
	unsigned char k[HC_TEST_BKEY_MAX];
	pid_t pids[MAX_WORKERS];
	struct put_arg a;
	hc_options o;
	hc_stats s;
	uint64_t i, v;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	if (HC_HAVE_PAIR_CAS) {
		o.capacity = 1024;
		o.grow = HC_GROW_ON;
	} else {
		o.capacity = 4 * PUT_KEYS;
		o.grow = HC_GROW_OFF;
		o.arena_bytes = UINT64_C(1) << 20;
	}
	ck_assert_ok(hc_table_create(&a.t, &o));
	/* Every other key present with count 0, as a claim killed before
	 * its count leaves it: puts race on the count's CAS from 0, and
	 * growths copy such counts (design.md I1). */
	for (i = 0; i < PUT_KEYS; i += 2)
		ck_assert_ok(hc_add_bytes(a.t, k, hc_test_bkey(i, k), 0));
	a.go = hc_test_shared(sizeof(int));
	a.seen = hc_test_shared(seen_bytes);
	a.kids = kids;
	for (c = 0; c < kids; c++)
		pids[c] = hc_test_spawn(put_worker, c, &a);
	__atomic_store_n(a.go, 1, __ATOMIC_RELEASE);
	for (c = 0; c < kids; c++) {
		hc_require(hc_test_wait(pids[c], 60, &st), "child %d stuck", c);
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "child %d failed: %d", c,
			   WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	}
	for (i = 0; i < PUT_KEYS; i++) {
		size_t len = hc_test_bkey(i, k);

		ck_assert_ok(hc_get_bytes(a.t, k, len, &v));
		hc_require(v % 1000000 == i + 1 && v / 1000000 < (uint64_t)kids,
			   "key %llu holds %llu", (unsigned long long)i,
			   (unsigned long long)v);
		for (c = 0; c < kids; c++) {
			uint64_t saw = a.seen[(uint64_t)c * PUT_KEYS + i];

			hc_require(saw == v, "child %d saw %llu for key %llu",
				   c, (unsigned long long)saw,
				   (unsigned long long)i);
		}
	}
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(a.t, &s));
	hc_assert_eq(s.distinct, PUT_KEYS);
	if (HC_HAVE_PAIR_CAS)
		hc_assert_ge(s.generation, 3); /* 1024 -> 16384 at least */
	hc_test_unshare(a.seen, seen_bytes);
	hc_test_unshare((void *)a.go, sizeof(int));
	ck_assert_ok(hc_table_close(a.t));
}
END_TEST

Suite *hc_procs_suite(void)
{
	Suite *s = suite_create("procs");
	TCase *tc = tcase_create("exact");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, exact_streams, 0, 36);
	tcase_add_loop_test(tc, exact_per_call_on_hogwild_table, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, sigkill_one_worker, 0, 12);
	tcase_add_loop_test(tc, sigstop_one_worker, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("hogwild");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, hogwild_never_corrupt, 0, 6);
	tcase_add_loop_test(tc, packed_saturation_race, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("put");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, put_bytes_first_wins, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
