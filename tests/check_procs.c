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
 * - HogWild with 8 workers: never corrupt, never more than asked.
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

#define MAX_WORKERS 8
#define BATCH 64

enum { DIST_UNIFORM, DIST_ZIPF };
enum { HOME_ANON, HOME_SHM };

struct ctl {
	volatile int go; /* parent: start adding */
	volatile int ready; /* workers that have their table */
	volatile int finish; /* parent: the victim may stop now */
	volatile uint64_t progress[MAX_WORKERS]; /* adds completed */
};

/* Everything a worker needs; inherited by value across fork. */
struct job {
	hc_table *t; /* HOME_ANON: the inherited handle */
	char name[64]; /* HOME_SHM: attach by this name */
	int home;
	int kind;
	int dist;
	int mode; /* per-call mode, 0: the table's */
	int nworkers;
	uint64_t ops; /* per worker */
	uint64_t nkeys; /* key ids 0..nkeys-1 */
	uint64_t k0; /* the zero-mix key of the table */
	uint64_t first_id; /* disjoint ranges: worker w starts at */
	uint64_t range; /* ... w * range; 0: shared universe */
	uint64_t rounds; /* disjoint ranges: passes over the range */
	int victim; /* worker that runs until killed or told */
	struct hc_test_zipf zipf;
	struct ctl *ctl;
};

#define PACKED_BITS 48

static uint64_t key_of(const struct job *j, uint64_t id)
{
	if (j->kind == HC_KEY_PACKED) {
		uint64_t mask = (UINT64_C(1) << PACKED_BITS) - 1;

		/* 0, the largest key, then a bijection of the ids. */
		if (id < 2)
			return id ? mask : 0;
		return (id * UINT64_C(0x9e3779b97f4a7c15)) & mask;
	}
	switch (id) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return j->k0;
	default:
		return hc_test_scramble(id + (UINT64_C(1) << 40));
	}
}

static uint64_t delta_of(uint64_t id)
{
	return 1 + (id & 3);
}

/* The id of worker @w's op number @i (ids come from a seeded stream). */
static uint64_t next_id(const struct job *j, uint64_t *st)
{
	if (j->dist == DIST_ZIPF)
		return hc_test_zipf_next(&j->zipf, st);
	return hc_test_rand(st) % j->nkeys;
}

static uint64_t stream_seed(int w)
{
	return UINT64_C(0xabcdef) * (uint64_t)(w + 1);
}

/* One add of key id @id in the worker's style: worker parity picks
 * single or batched adds; mode as the job says. */
struct batch {
	uint64_t keys[BATCH], deltas[BATCH];
	unsigned char kb[BATCH][HC_TEST_BKEY_MAX];
	const void *kp[BATCH];
	size_t lens[BATCH];
	size_t n;
};

static int flush(hc_table *t, const struct job *j, struct batch *b)
{
	size_t done = 0;
	int rc;

	if (!b->n)
		return 0;
	if (j->kind == HC_KEY_BYTES) {
		rc = hc_add_bytes_batch(t, b->kp, b->lens, b->deltas, b->n,
					&done);
	} else if (j->mode) {
		rc = hc_add_batch_mode(t, b->keys, b->deltas, b->n, &done,
				       j->mode);
	} else {
		rc = hc_add_batch(t, b->keys, b->deltas, b->n, &done);
	}
	if (rc || done != b->n)
		return 1;
	b->n = 0;
	return 0;
}

static int add_one(hc_table *t, const struct job *j, uint64_t id,
		   struct batch *b)
{
	uint64_t d = delta_of(id);

	if (b) {
		size_t i = b->n++;

		b->deltas[i] = d;
		if (j->kind == HC_KEY_BYTES) {
			b->lens[i] = hc_test_bkey(id, b->kb[i]);
			b->kp[i] = b->kb[i];
		} else {
			b->keys[i] = key_of(j, id);
		}
		return b->n == BATCH ? flush(t, j, b) : 0;
	}
	if (j->kind == HC_KEY_BYTES) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(id, k);

		if (j->mode)
			return hc_add_bytes_mode(t, k, len, d, j->mode) != 0;
		return hc_add_bytes(t, k, len, d) != 0;
	}
	switch (j->mode) {
	case HC_MODE_EXACT:
		return hc_add_exact(t, key_of(j, id), d) != 0;
	case HC_MODE_HOGWILD:
		return hc_add_hogwild(t, key_of(j, id), d) != 0;
	default:
		return hc_add(t, key_of(j, id), d) != 0;
	}
}

static hc_table *worker_table(const struct job *j)
{
	hc_table *t = NULL;

	if (j->home == HOME_ANON)
		return j->t;
	if (hc_table_attach(&t, j->name, HC_OPEN_RDWR) != HC_OK)
		return NULL;
	return t;
}

static void wait_go(const struct job *j)
{
	__atomic_fetch_add(&j->ctl->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&j->ctl->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

/*
 * Shared universe: ops ids from the worker's seeded stream.  The victim
 * runs on until the parent sets ctl->finish; its progress counts the adds
 * completed (flushed), so its reference is the first progress ops.
 */
static int stream_worker(int w, void *p)
{
	const struct job *j = p;
	struct batch *b = NULL;
	hc_table *t = worker_table(j);
	uint64_t st = stream_seed(w), i;
	int victim = w == j->victim;

	if (!t)
		return 20;
	/* With per-call modes, byte keys have no batched variant. */
	if (w % 2 && !(j->mode && j->kind == HC_KEY_BYTES)) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return 21;
	}
	wait_go(j);
	for (i = 0; victim || i < j->ops; i++) {
		if (victim &&
		    __atomic_load_n(&j->ctl->finish, __ATOMIC_ACQUIRE))
			break;
		if (add_one(t, j, next_id(j, &st), b))
			return 22;
		if (!b || b->n == 0)
			__atomic_store_n(&j->ctl->progress[w], i + 1,
					 __ATOMIC_RELAXED);
	}
	if (b && flush(t, j, b))
		return 23;
	__atomic_store_n(&j->ctl->progress[w], i, __ATOMIC_RELAXED);
	if (j->home == HOME_SHM && hc_table_close(t))
		return 24;
	return 0;
}

/* Disjoint ranges: rounds passes over ids first_id + w*range + 0..range-1,
 * in order, one single add each, progress after every add. */
static int range_worker(int w, void *p)
{
	const struct job *j = p;
	hc_table *t = worker_table(j);
	uint64_t base = j->first_id + (uint64_t)w * j->range, r, i, n = 0;
	uint64_t rounds = w == j->victim ? UINT64_MAX : j->rounds;

	if (!t)
		return 20;
	wait_go(j);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < j->range; i++) {
			if (add_one(t, j, base + i, NULL))
				return 22;
			__atomic_store_n(&j->ctl->progress[w], ++n,
					 __ATOMIC_RELAXED);
		}
	return 0;
}

static void job_init(struct job *j, int kind, int home, uint64_t nkeys)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->home = home;
	j->nkeys = nkeys;
	j->victim = -1;
	j->ctl = hc_test_shared(sizeof(*j->ctl));
}

/* Creates the table for @j (exact mode unless @mode says otherwise). */
static hc_table *job_table(struct job *j, uint64_t cap, int mode)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = j->kind;
	o.capacity = cap;
	o.mode = mode;
	o.seed = 0x5eed;
	o.key_bits = PACKED_BITS;
	if (j->home == HOME_SHM) {
		hc_test_shm_name(j->name, sizeof(j->name));
		ck_assert_ok(hc_table_create_shm(&t, j->name, &o));
	} else {
		ck_assert_ok(hc_table_create(&t, &o));
	}
	j->t = t;
	j->k0 = hc_test_zero_mix_key(t);
	return t;
}

static void job_done(struct job *j)
{
	ck_assert_ok(hc_table_close(j->t));
	hc_test_zipf_free(&j->zipf);
	hc_test_unshare(j->ctl, sizeof(*j->ctl));
}

static void spawn_all(struct job *j, int (*fn)(int, void *), pid_t *pids)
{
	double end;
	int w;

	for (w = 0; w < j->nworkers; w++)
		pids[w] = hc_test_spawn(fn, w, j);
	end = hc_test_now() + 30;
	while (__atomic_load_n(&j->ctl->ready, __ATOMIC_ACQUIRE) <
	       j->nworkers) {
		hc_require(hc_test_now() < end, "workers did not attach");
		sched_yield();
	}
	/* All have it mapped: the name can go now, so a failing test
	 * leaves nothing in /dev/shm. */
	if (j->home == HOME_SHM)
		ck_assert_ok(hc_shm_unlink(j->name));
	__atomic_store_n(&j->ctl->go, 1, __ATOMIC_RELEASE);
}

static void reap_ok(pid_t pid, int w, double timeout)
{
	int st = 0;

	hc_require(hc_test_wait(pid, timeout, &st),
		   "worker %d did not finish in %.0f s", w, timeout);
	hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "worker %d failed: %s %d", w,
		   WIFEXITED(st) ? "exit" : "signal",
		   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Adds to @want the first @ops adds of worker @w's stream. */
static void reference_add(const struct job *j, int w, uint64_t ops,
			  uint64_t *want)
{
	uint64_t st = stream_seed(w), i;

	for (i = 0; i < ops; i++) {
		uint64_t id = next_id(j, &st);

		want[id] += delta_of(id);
	}
}

/* The reference: expected[id] for the workers in [w0, w1) but the
 * victim. */
static uint64_t *reference(const struct job *j, int w0, int w1)
{
	uint64_t *want = calloc(j->nkeys, sizeof(*want));
	int w;

	ck_assert_ptr_nonnull(want);
	for (w = w0; w < w1; w++)
		if (w != j->victim)
			reference_add(j, w, j->ops, want);
	return want;
}

static uint64_t count_of(const hc_table *t, const struct job *j, uint64_t id)
{
	uint64_t c = ~UINT64_C(0);

	if (j->kind == HC_KEY_BYTES) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(id, k);

		ck_assert_ok(hc_get_bytes(t, k, len, &c));
	} else {
		ck_assert_ok(hc_get(t, key_of(j, id), &c));
	}
	return c;
}

/* Walk the table: no duplicates, no stranger keys, count and sum. */
static void walk_check(const hc_table *t, const struct job *j,
		       uint64_t *nentries, uint64_t *sum)
{
	struct hc_test_entry *e;
	size_t n, i;

	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_require(hc_test_first_dup(e, n) < 0, "a key came out twice");
	*sum = 0;
	for (i = 0; i < n; i++) {
		if (j->kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];
			uint64_t id;

			hc_assert_ge(e[i].len, 8);
			memcpy(&id, e[i].bytes, 8);
			hc_require(id < j->nkeys + j->first_id +
						   MAX_WORKERS * j->range,
				   "stranger key id %llu",
				   (unsigned long long)id);
			hc_assert_eq(e[i].len, hc_test_bkey(id, k));
			ck_assert_mem_eq(e[i].bytes, k, e[i].len);
		}
		*sum += e[i].count;
	}
	*nentries = n;
	hc_test_entries_free(e, n);
}

static void assert_exact(const hc_table *t, const struct job *j,
			 const uint64_t *want)
{
	uint64_t id, distinct = 0, total = 0, n, sum;
	hc_stats st;

	for (id = 0; id < j->nkeys; id++) {
		uint64_t c = count_of(t, j, id);

		hc_require(c == want[id],
			   "key id %llu: count %llu, reference %llu",
			   (unsigned long long)id, (unsigned long long)c,
			   (unsigned long long)want[id]);
		distinct += want[id] != 0;
		total += want[id];
	}
	walk_check(t, j, &n, &sum);
	hc_assert_eq(n, distinct);
	hc_assert_eq(sum, total);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	hc_assert_eq(st.distinct, distinct);
	hc_assert_eq(st.total, total);
}

/* ---- exact: N workers == the reference -------------------------------- */

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

	job_init(&j, kind, home, NKEYS);
	j.dist = dist;
	j.nworkers = nw;
	j.ops = TOTAL_OPS / (unsigned)nw;
	if (dist == DIST_ZIPF)
		hc_test_zipf_init(&j.zipf, NKEYS, 1.1);
	job_table(&j, 1 << 16, HC_MODE_EXACT);
	spawn_all(&j, stream_worker, pids);
	want = reference(&j, 0, nw);
	for (w = 0; w < nw; w++)
		reap_ok(pids[w], w, 60);
	/* The edge keys are in every stream. */
	hc_assert_gt(want[0] + want[1] + want[2], 0);
	assert_exact(j.t, &j, want);
	free(want);
	job_done(&j);
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

	job_init(&j, kind, HOME_ANON, 2000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 20000;
	j.mode = HC_MODE_EXACT;
	job_table(&j, 1 << 13, HC_MODE_HOGWILD);
	spawn_all(&j, stream_worker, pids);
	want = reference(&j, 0, 8);
	for (w = 0; w < 8; w++)
		reap_ok(pids[w], w, 60);
	assert_exact(j.t, &j, want);
	free(want);
	job_done(&j);
}
END_TEST

/* ---- SIGKILL --------------------------------------------------------- */

#define KILL_RANGE 2000u
#define KILL_ROUNDS 40u
#define VICTIM 3

START_TEST(sigkill_one_worker)
{
	int kind = _i % 2 ? HC_KEY_BYTES : HC_KEY_U64;
	int late = (_i / 2) % 2;
	int home = _i / 4 ? HOME_SHM : HOME_ANON;
	uint64_t at = late ? KILL_RANGE * KILL_ROUNDS / 2 : KILL_RANGE / 2;
	pid_t pids[MAX_WORKERS];
	uint64_t i, c, first, last, n, sum, units = 0, done, expect_sum = 0;
	struct job j;
	double end;
	int w, st = 0;

	job_init(&j, kind, home, 0);
	j.nworkers = 8;
	j.range = KILL_RANGE;
	j.rounds = KILL_ROUNDS;
	j.first_id = 0;
	j.victim = VICTIM; /* runs until killed */
	job_table(&j, 1 << 15, HC_MODE_EXACT);
	spawn_all(&j, range_worker, pids);
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
			reap_ok(pids[w], w, 60);

	/* Survivors: exact. */
	for (w = 0; w < 8; w++) {
		if (w == VICTIM)
			continue;
		for (i = 0; i < KILL_RANGE; i++) {
			uint64_t id = (uint64_t)w * KILL_RANGE + i;

			c = count_of(j.t, &j, id);
			hc_require(c == KILL_ROUNDS * delta_of(id),
				   "worker %d key %llu: %llu, want %llu", w,
				   (unsigned long long)i, (unsigned long long)c,
				   (unsigned long long)(KILL_ROUNDS *
							delta_of(id)));
			expect_sum += c;
		}
	}
	/* Victim: a staircase r+1, ..., r+1, r, ..., r (in units of each
	 * key's delta) adding up to the adds it completed, or one more:
	 * at most its in-flight add is lost, nothing counts twice. */
	first = count_of(j.t, &j, (uint64_t)VICTIM * KILL_RANGE) /
		delta_of((uint64_t)VICTIM * KILL_RANGE);
	last = first;
	for (i = 0; i < KILL_RANGE; i++) {
		uint64_t id = (uint64_t)VICTIM * KILL_RANGE + i;
		uint64_t ci = count_of(j.t, &j, id);

		hc_require(ci % delta_of(id) == 0, "victim key %llu: %llu",
			   (unsigned long long)i, (unsigned long long)ci);
		ci /= delta_of(id);
		hc_require(ci <= last && ci + 1 >= first,
			   "victim key %llu: %llu rounds after %llu "
			   "(first %llu)",
			   (unsigned long long)i, (unsigned long long)ci,
			   (unsigned long long)last, (unsigned long long)first);
		last = ci;
		units += ci;
		expect_sum += ci * delta_of(id);
	}
	hc_require(units == done || units == done + 1,
		   "victim: %llu adds in the table, %llu completed",
		   (unsigned long long)units, (unsigned long long)done);
	hc_assert_ge(done, at);
	/* The table is whole: walk, stats, and it still takes adds. */
	walk_check(j.t, &j, &n, &sum);
	hc_assert_eq(sum, expect_sum);
	for (i = 0; i < KILL_RANGE; i++) {
		uint64_t id = (uint64_t)VICTIM * KILL_RANGE + i;

		c = count_of(j.t, &j, id);
		ck_assert_int_eq(add_one(j.t, &j, id, NULL), 0);
		hc_assert_eq(count_of(j.t, &j, id), c + delta_of(id));
	}
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(add_one(j.t, &j, 100000 + i, NULL), 0);
	job_done(&j);
}
END_TEST

/* ---- SIGSTOP --------------------------------------------------------- */

static int is_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

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

	job_init(&j, kind, HOME_ANON, 5000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 40000;
	j.victim = VICTIM;
	job_table(&j, 1 << 14, HC_MODE_EXACT);
	spawn_all(&j, stream_worker, pids);
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
			reap_ok(pids[w], w, 60);
	hc_require(is_stopped(pids[VICTIM]),
		   "the victim was not stopped while the others ran");

	want = reference(&j, 0, 8);
	if (cont) {
		__atomic_store_n(&j.ctl->finish, 1, __ATOMIC_RELEASE);
		ck_assert_int_eq(kill(pids[VICTIM], SIGCONT), 0);
		reap_ok(pids[VICTIM], VICTIM, 60);
		done = j.ctl->progress[VICTIM];
		reference_add(&j, VICTIM, done, want);
		assert_exact(j.t, &j, want);
	} else {
		ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
		ck_assert(hc_test_wait(pids[VICTIM], 10, &st));
		done = j.ctl->progress[VICTIM];
		hi = calloc(j.nkeys, sizeof(*hi));
		memcpy(hi, want, j.nkeys * sizeof(*hi));
		reference_add(&j, VICTIM, done, want);
		reference_add(&j, VICTIM, done + BATCH, hi);
		for (id = 0; id < j.nkeys; id++) {
			uint64_t c = count_of(j.t, &j, id);

			hc_require(c >= want[id] && c <= hi[id],
				   "key id %llu: %llu not in [%llu, %llu]",
				   (unsigned long long)id,
				   (unsigned long long)c,
				   (unsigned long long)want[id],
				   (unsigned long long)hi[id]);
			sum_lo += want[id];
			sum_hi += hi[id];
		}
		walk_check(j.t, &j, &n, &sum);
		hc_assert_ge(sum, sum_lo);
		hc_assert_le(sum, sum_hi);
		free(hi);
	}
	free(want);
	job_done(&j);
}
END_TEST

/* ---- HogWild --------------------------------------------------------- */

static const uint64_t hogwild_keys[] = { 16, 5000 };

START_TEST(hogwild_never_corrupt)
{
	int kind = _i % 2 ? HC_KEY_BYTES : HC_KEY_U64;
	uint64_t nkeys = hogwild_keys[_i / 2];
	pid_t pids[MAX_WORKERS];
	uint64_t *want, id, n, sum, distinct = 0, total = 0;
	struct job j;
	int w;

	job_init(&j, kind, HOME_ANON, nkeys);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 40000;
	job_table(&j, 1 << 14, HC_MODE_HOGWILD);
	spawn_all(&j, stream_worker, pids);
	want = reference(&j, 0, 8);
	for (w = 0; w < 8; w++)
		reap_ok(pids[w], w, 60);
	for (id = 0; id < nkeys; id++) {
		uint64_t c = count_of(j.t, &j, id);

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
	walk_check(j.t, &j, &n, &sum);
	hc_assert_eq(n, distinct);
	hc_assert_le(sum, total);
	/* Still a working table: exact adds land exactly. */
	for (id = 0; id < nkeys; id++) {
		uint64_t c = count_of(j.t, &j, id);
		uint64_t d = delta_of(id);

		if (kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(id, k);

			ck_assert_ok(hc_add_bytes_mode(j.t, k, len, d,
						       HC_MODE_EXACT));
		} else {
			ck_assert_ok(hc_add_exact(j.t, key_of(&j, id), d));
		}
		hc_assert_eq(count_of(j.t, &j, id), c + d);
	}
	free(want);
	job_done(&j);
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
	tcase_add_loop_test(tc, sigkill_one_worker, 0, 8);
	tcase_add_loop_test(tc, sigstop_one_worker, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("hogwild");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, hogwild_never_corrupt, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
