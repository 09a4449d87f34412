/* SPDX-License-Identifier: MIT */
/*
 * check_grow.c - online growth (kernel/grow.c, docs/design.md M1-M9):
 * tables that start at 1024 slots and double many times while forked
 * workers add to them, checked key by key against the single-process
 * reference of hc_jobs.c.
 *
 * - 16 workers, uniform and Zipf keys, u64, packed and byte keys (key 0
 *   and the largest key among them), in all three homes, exact and
 *   HogWild;
 * - a worker killed with SIGKILL in the middle of a migration (a test
 *   hook in the migration loop), and at random moments: survivors exact,
 *   the victim's loss bounded as in check_procs.c;
 * - a worker stopped with SIGSTOP in the middle of a migration: the
 *   others finish the growth and their work;
 * - readers walking the table while it grows: no key twice, no stranger
 *   key, no key or count going backwards between walks;
 * - save and reopen of a grown table, which grows again; the maximum;
 *   format-1 files.
 * The "long" case (HC_TEST_LONG=1, ctest label long) runs 1 M adds per
 * worker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"
#include "hc_jobs.h"

#define NW 16
#define START 1024

/* u64 tables grow only with a 16-byte CAS (design.md M8): elsewhere,
 * and in the HC_FORCE_NO_PAIR_CAS build, their cases do nothing. */
static int cannot_grow(int kind)
{
	return kind != HC_KEY_PACKED && !HC_HAVE_PAIR_CAS;
}

static const int kinds[] = { HC_KEY_U64, HC_KEY_PACKED, HC_KEY_BYTES,
			     HC_KEY_NARROW };
#define NK 4

/* Packed keys of PACKED_BITS (48) bits need 2^(48 - 35) slots for a
 * count field of 16 bits: such a table starts at 8192.  Narrow ones
 * start in 8-byte slots and cross to 4-byte ones (NARROW_BITS). */
static uint64_t start_of(int kind)
{
	return kind == HC_KEY_PACKED   ? 8192
	       : kind == HC_KEY_NARROW ? 256
				       : START;
}

static uint64_t generation(const hc_table *t)
{
	hc_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	return st.generation;
}

/* Some growth of @t took a step of less than 2x: it has more
 * generations than doublings from generation 0 to its last. */
static void assert_rungs(const hc_table *t)
{
	uint64_t g = generation(t), c0 = hc__gen_cap(t, 0),
		 c = hc__gen_cap(t, (unsigned)g), d = 0;

	while ((c0 << d) < c)
		d++;
	hc_require(g > d, "generation %llu of %llu slots, from %llu",
		   (unsigned long long)g, (unsigned long long)c,
		   (unsigned long long)c0);
}

/* ---- many workers, many growths == the reference --------------------- */

static void streams(int kind, int dist, int home, int mode, uint64_t ops,
		    uint64_t nkeys, int steps)
{
	pid_t pids[NW];
	uint64_t *want, id, n, sum, total = 0, distinct = 0;
	struct job j;
	int w;

	if (cannot_grow(kind))
		return;
	hc_job_init(&j, kind, home, nkeys);
	j.dist = dist;
	j.nworkers = NW;
	j.ops = ops;
	j.grow = 1;
	j.steps = steps;
	if (dist == DIST_ZIPF)
		hc_test_zipf_init(&j.zipf, nkeys, 1.1);
	hc_job_table(&j, start_of(kind), HC_MODE_EXACT);
	j.mode = mode;
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	want = hc_job_reference(&j, 0, NW);
	for (w = 0; w < NW; w++)
		hc_job_reap_ok(pids[w], w, 120);
	hc_assert_gt(want[0] + want[1], 0); /* the edge keys */
	if (mode != HC_MODE_HOGWILD) {
		hc_job_assert_exact(j.t, &j, want);
	} else {
		/* HogWild: never more than asked, never a key lost. */
		for (id = 0; id < nkeys; id++) {
			uint64_t c = hc_job_count_of(j.t, &j, id);

			hc_require(c <= want[id] && (c > 0) == (want[id] > 0),
				   "key id %llu: %llu of %llu",
				   (unsigned long long)id,
				   (unsigned long long)c,
				   (unsigned long long)want[id]);
			total += want[id];
			distinct += want[id] != 0;
		}
		hc_job_walk_check(j.t, &j, &n, &sum);
		hc_assert_eq(n, distinct);
		hc_assert_le(sum, total);
	}
	/* From 1024 (8192) slots to the distinct keys at load <= 0.8;
	 * in steps of 1.25x, about three generations a doubling. */
	hc_assert_ge(generation(j.t),
		     (kind == HC_KEY_PACKED ? 2 : 4) * (steps ? 2 : 1));
	if (steps)
		assert_rungs(j.t);
	free(want);
	hc_job_done(&j);
}

/* _i >= 6 NK: every growth a step of 1.25x (rungs between doublings,
 * capacities no power of two), from any home. */
START_TEST(grow_streams)
{
	static const int homes[] = { HOME_ANON, HOME_SHM, HOME_FILE };
	int kind = kinds[_i % NK];
	int dist = (_i / NK) % 2 ? DIST_ZIPF : DIST_UNIFORM;
	int home = homes[(_i / (2 * NK)) % 3];

	streams(kind, dist, home, 0, 12000, 40000, _i >= 6 * NK);
}
END_TEST

START_TEST(grow_hogwild)
{
	streams(kinds[_i % NK], DIST_UNIFORM, HOME_ANON, HC_MODE_HOGWILD, 12000,
		40000, _i >= NK);
}
END_TEST

START_TEST(grow_streams_long)
{
	streams(kinds[_i % NK], _i / NK % 2 ? DIST_ZIPF : DIST_UNIFORM,
		HOME_ANON, 0, 1000000, 4000000, _i >= 2 * NK);
}
END_TEST

/* ---- SIGKILL during a migration ------------------------------------- */

#define KRANGE 3000u
#define KROUNDS 6u
#define VICTIM 3

/*
 * Workers add disjoint ranges, one add at a time.  The victim is killed
 * by its own hook in the middle of a migration (_i even), or by the
 * parent at a random moment (_i odd).  Survivors exact; the victim's
 * counts a staircase that adds up to its completed adds or one more.
 */
START_TEST(grow_sigkill)
{
	int kind = kinds[(_i / 2) % NK];
	int by_hook = _i % 2 == 0;
	int steps = _i >= 4 * NK; /* growths of 1.25x */
	uint64_t seed = 0x6b696c6c + (uint64_t)_i;
	pid_t pids[8];
	uint64_t i, c, first, last, units = 0, done, n, sum, expect = 0;
	struct job j;
	double end;
	int w, st = 0;

	if (cannot_grow(kind))
		return;
	hc_job_init(&j, kind, HOME_ANON, 0);
	j.nworkers = 8;
	j.range = KRANGE;
	j.rounds = KROUNDS;
	j.victim = VICTIM;
	j.grow = 1;
	j.steps = steps;
	if (by_hook) {
		j.hook_after = 1 + hc_test_rand(&seed) % 1000;
		j.hook_sig = SIGKILL;
	}
	hc_job_table(&j, start_of(kind), HC_MODE_EXACT);
	hc_job_spawn_all(&j, hc_job_range_worker, pids);
	if (!by_hook) {
		uint64_t at = 100 + hc_test_rand(&seed) % (KRANGE * 2);

		end = hc_test_now() + 30;
		while (__atomic_load_n(&j.ctl->progress[VICTIM],
				       __ATOMIC_RELAXED) < at) {
			hc_require(hc_test_now() < end, "victim stuck");
			sched_yield();
		}
		ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
	}
	for (w = 0; w < 8; w++)
		if (w != VICTIM)
			hc_job_reap_ok(pids[w], w, 60);
	/* A victim that migrated too little to meet its hook: now. */
	if (!hc_test_wait(pids[VICTIM], 0.5, &st)) {
		ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
		hc_require(hc_test_wait(pids[VICTIM], 10, &st), "lives on");
	}
	hc_require(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "victim status %#x", st);
	done = j.ctl->progress[VICTIM];
	for (w = 0; w < 8; w++) {
		if (w == VICTIM)
			continue;
		for (i = 0; i < KRANGE; i++) {
			uint64_t id = (uint64_t)w * KRANGE + i;

			c = hc_job_count_of(j.t, &j, id);
			hc_require(c == KROUNDS * hc_job_delta_of(id),
				   "worker %d key %llu: %llu", w,
				   (unsigned long long)i,
				   (unsigned long long)c);
			expect += c;
		}
	}
	first = hc_job_count_of(j.t, &j, (uint64_t)VICTIM * KRANGE) /
		hc_job_delta_of((uint64_t)VICTIM * KRANGE);
	last = first;
	for (i = 0; i < KRANGE; i++) {
		uint64_t id = (uint64_t)VICTIM * KRANGE + i;
		uint64_t ci = hc_job_count_of(j.t, &j, id);

		hc_require(ci % hc_job_delta_of(id) == 0, "victim key %llu",
			   (unsigned long long)i);
		ci /= hc_job_delta_of(id);
		hc_require(ci <= last && ci + 1 >= first,
			   "victim key %llu: %llu after %llu (first %llu)",
			   (unsigned long long)i, (unsigned long long)ci,
			   (unsigned long long)last, (unsigned long long)first);
		last = ci;
		units += ci;
		expect += ci * hc_job_delta_of(id);
	}
	hc_require(units == done || units == done + 1,
		   "victim: %llu adds in the table, %llu completed",
		   (unsigned long long)units, (unsigned long long)done);
	hc_job_walk_check(j.t, &j, &n, &sum);
	hc_assert_eq(sum, expect);
	/* Whole, and it still grows: 20000 new keys. */
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(hc_job_add_one(j.t, &j, 100000 + i, NULL), 0);
	hc_assert_eq(hc_job_count_of(j.t, &j, 100000 + 19999),
		     hc_job_delta_of(100000 + 19999));
	hc_assert_ge(generation(j.t), kind == HC_KEY_PACKED ? 2 : 4);
	hc_job_done(&j);
}
END_TEST

/* ---- SIGSTOP during a migration ------------------------------------- */

/*
 * The victim stops itself in the middle of a migration block (frozen
 * slots not yet copied, the block not marked).  The other workers must
 * finish the growth and all their adds while it is stopped.  Then it is
 * continued (the table exact) or killed (its in-flight batch at most).
 */
START_TEST(grow_sigstop)
{
	int kind = kinds[_i % NK];
	int cont = _i / NK % 2;
	pid_t pids[8];
	uint64_t *want, *hi, id, gen, done;
	struct job j;
	double end;
	int w, st = 0;

	if (cannot_grow(kind))
		return;
	hc_job_init(&j, kind, HOME_ANON, 30000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 8;
	j.ops = 20000;
	j.victim = VICTIM;
	j.grow = 1;
	j.steps = _i >= 2 * NK; /* growths of 1.25x */
	j.hook_after = 1 + 100 * (uint64_t)(_i % (2 * NK));
	j.hook_sig = SIGSTOP;
	hc_job_table(&j, start_of(kind), HC_MODE_EXACT);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	/* The victim starts a growth itself and stops inside it, unless
	 * others took all of its blocks first (a rare preemption): then the
	 * parent stops it, anywhere. */
	end = hc_test_now() + 10;
	while (!hc_job_is_stopped(pids[VICTIM]) && hc_test_now() < end)
		sched_yield();
	if (!hc_job_is_stopped(pids[VICTIM])) {
		ck_assert_int_eq(kill(pids[VICTIM], SIGSTOP), 0);
		while (!hc_job_is_stopped(pids[VICTIM]))
			sched_yield();
	}
	gen = generation(j.t);
	/* The others hold their last add until now (hc_jobs.c). */
	__atomic_store_n(&j.ctl->stopped, 1, __ATOMIC_RELEASE);
	for (w = 0; w < 8; w++)
		if (w != VICTIM)
			hc_job_reap_ok(pids[w], w, 60);
	hc_require(hc_job_is_stopped(pids[VICTIM]), "victim ran on");
	/* The growth it was in is finished without it: no migration is
	 * left in flight (stats report the newer generation during one). */
	hc_assert_ge(generation(j.t), gen);
	hc_assert_eq(j.t->hdr->gens[j.t->hdr->cur + 1].slots_off, 0);
	hc_assert_eq(j.t->hdr->cur, generation(j.t));
	want = hc_job_reference(&j, 0, 8);
	if (cont) {
		__atomic_store_n(&j.ctl->finish, 1, __ATOMIC_RELEASE);
		ck_assert_int_eq(kill(pids[VICTIM], SIGCONT), 0);
		hc_job_reap_ok(pids[VICTIM], VICTIM, 60);
		hc_job_reference_add(&j, VICTIM, j.ctl->progress[VICTIM], want);
		hc_job_assert_exact(j.t, &j, want);
	} else {
		ck_assert_int_eq(kill(pids[VICTIM], SIGKILL), 0);
		ck_assert(hc_test_wait(pids[VICTIM], 10, &st));
		done = j.ctl->progress[VICTIM];
		hi = calloc(j.nkeys, sizeof(*hi));
		ck_assert_ptr_nonnull(hi);
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
		}
		free(hi);
	}
	free(want);
	hc_job_done(&j);
}
END_TEST

/* ---- readers while the table grows ---------------------------------- */

struct kid {
	uint64_t key, id;
};

static int kid_cmp(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * Walks the table until the writers are done: every walk without a
 * duplicate or a stranger key, and no key or count smaller than in the
 * walk before (a walk reads each count at some moment during it).  A
 * walk is @parts parts (hc_iter_create_parts), walked one after the
 * other: together, one walk.
 */
static int reader(struct job *j, int kind, const uint64_t *final,
		  unsigned parts)
{
	hc_iter *its[3];

	struct kid *ids = calloc(j->nkeys, sizeof(*ids));
	uint64_t *prev = calloc(j->nkeys, sizeof(*prev));
	uint64_t *cur = calloc(j->nkeys, sizeof(*cur)), walks = 0;
	int rc = 0;

	if (!ids || !prev || !cur)
		return 30;
	for (uint64_t i = 0; i < j->nkeys; i++) {
		ids[i].key = hc_job_key_of(j, i);
		ids[i].id = i;
	}
	qsort(ids, j->nkeys, sizeof(*ids), kid_cmp);
	do {
		hc_iter *it;
		hc_entry e;
		int r;

		memset(cur, 0, j->nkeys * sizeof(*cur));
		if (hc_iter_create_parts(j->t, parts, its))
			return 31;
		for (unsigned p = 0; p < parts; p++) {
			it = its[p];
			while ((r = hc_iter_next(it, &e)) == 1) {
				struct kid k = { e.key, 0 }, *f;
				unsigned char kb[HC_TEST_BKEY_MAX];

				if (kind == HC_KEY_BYTES) {
					/* A byte key names its id in its first 8
				 * bytes; the rest must match (not torn). */
					if (e.len < 8)
						return 32;
					memcpy(&k.key, e.bytes, 8);
					if (k.key >= j->nkeys ||
					    e.len != hc_test_bkey(k.key, kb) ||
					    memcmp(e.bytes, kb, e.len))
						return 32;
					k.key = hc_job_key_of(j, k.key);
				}
				f = bsearch(&k, ids, j->nkeys, sizeof(*ids),
					    kid_cmp);
				if (!f)
					return 32; /* torn or stranger key */
				if (cur[f->id])
					return 33; /* twice in one walk */
				if (e.count > final[f->id])
					return 34;
				cur[f->id] = e.count;
			}
			hc_iter_destroy(it);
			if (r)
				return 35;
		}
		for (uint64_t i = 0; i < j->nkeys; i++)
			if (cur[i] < prev[i])
				return 36; /* went backwards */
		memcpy(prev, cur, j->nkeys * sizeof(*cur));
		walks++;
	} while (!__atomic_load_n(&j->ctl->finish, __ATOMIC_ACQUIRE) ||
		 walks < 2);
	free(ids);
	free(prev);
	free(cur);
	return rc;
}

struct reader_arg {
	struct job *j;
	const uint64_t *final;
	int kind;
};

static int reader_fn(int id, void *p)
{
	struct reader_arg *a = p;

	(void)id;
	/* Reader 0 walks whole, reader 1 in 3 parts. */
	return reader(a->j, a->kind, a->final, id ? 3 : 1);
}

START_TEST(grow_readers)
{
	int kind = kinds[_i];
	pid_t pids[8], rp[2];
	struct reader_arg ra;
	uint64_t *want;
	struct job j;
	int w, st;

	if (cannot_grow(kind))
		return;
	hc_job_init(&j, kind, HOME_ANON, 30000);
	j.dist = DIST_UNIFORM;
	j.nworkers = 6;
	j.ops = 15000;
	j.grow = 1;
	hc_job_table(&j, start_of(kind), HC_MODE_EXACT);
	want = hc_job_reference(&j, 0, 6);
	ra.j = &j;
	ra.final = want;
	ra.kind = kind;
	for (w = 0; w < 2; w++)
		rp[w] = hc_test_spawn(reader_fn, w, &ra);
	hc_job_spawn_all(&j, hc_job_stream_worker, pids);
	for (w = 0; w < 6; w++)
		hc_job_reap_ok(pids[w], w, 120);
	__atomic_store_n(&j.ctl->finish, 1, __ATOMIC_RELEASE);
	for (w = 0; w < 2; w++) {
		hc_require(hc_test_wait(rp[w], 120, &st), "reader stuck");
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "reader %d failed: %d", w,
			   WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	}
	hc_job_assert_exact(j.t, &j, want);
	hc_assert_ge(generation(j.t), kind == HC_KEY_PACKED ? 2 : 4);
	free(want);
	hc_job_done(&j);
}
END_TEST

/* ---- one process: save, reopen, limits, format 1 -------------------- */

static hc_table *growing(int kind, uint64_t cap, unsigned max_bits)
{
	hc_options o;
	hc_table *t;

	if (cannot_grow(kind))
		kind = HC_KEY_PACKED;
	hc_options_init(&o);
	o.key_kind = kind;
	o.capacity = cap;
	o.grow = HC_GROW_ON;
	o.max_bits = max_bits;
	o.key_bits = 30;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

START_TEST(grow_save_reopen_grows_again)
{
	int kind = _i ? HC_KEY_PACKED : HC_KEY_U64;
	hc_table *t = growing(kind, 16, 0), *r;
	char path[256];
	hc_options o;
	hc_stats st;
	uint64_t i, c;

	for (i = 0; i < 30000; i++)
		ck_assert_ok(hc_add(t, i * 7919, 1 + i % 3));
	hc_assert_ge(generation(t), 10);
	ck_assert_ok(hc_table_set_user(t, "meta", 4));
	hc_test_path(path, sizeof(path), "grown.hc");
	ck_assert_ok(hc_table_save(t, path));
	/* Compact: header, the current generation, the overflow area. */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	hc_assert_le(hc_test_file_size(path),
		     4096 + st.capacity * 16 + (UINT64_C(1) << 20) + 64);
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDWR));
	hc_test_assert_same(t, r);
	hc_assert_eq(generation(r), 0);
	/* No pin and nothing given back carried into the copy (M9). */
	/* ORDER: relaxed. A test reads words nobody else writes now. */
	hc_assert_eq(hc_atomic_load_relaxed(&r->hdr->freed) +
			     hc_atomic_load_relaxed(&r->hdr->pin_over),
		     0);
	for (i = 0; i < HC_PINS; i++)
		/* ORDER: relaxed. As above. */
		hc_assert_eq(hc_atomic_load_relaxed(&r->hdr->pins[i]), 0);
	ck_assert_ok(hc_table_options(r, &o));
	hc_assert_eq(o.capacity, st.capacity);
	ck_assert_int_eq(o.grow, HC_GROW_ON);
	for (i = 30000; i < 90000; i++)
		ck_assert_ok(hc_add(r, i * 7919, 1 + i % 3));
	hc_assert_ge(generation(r), 1);
	for (i = 0; i < 90000; i += 7) {
		ck_assert_ok(hc_get(r, i * 7919, &c));
		hc_assert_eq(c, 1 + i % 3);
	}
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
}
END_TEST

/* Byte keys: slots and key area grow (chunks of the key area, design.md
 * M10); saved as one key area, reopened, grown again. */
START_TEST(grow_bytes_save_reopen)
{
	unsigned char k[HC_TEST_BKEY_MAX];
	hc_table *t = growing(HC_KEY_BYTES, 16, 0), *r;
	char path[256];
	hc_stats st;
	uint64_t i, c;
	size_t len;

	if (cannot_grow(HC_KEY_BYTES)) {
		ck_assert_ok(hc_table_close(t));
		return;
	}
	for (i = 0; i < 30000; i++) {
		len = hc_test_bkey(i, k);
		ck_assert_ok(hc_add_bytes(t, k, len, 1 + i % 3));
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	hc_assert_ge(st.generation, 10);
	hc_assert_gt(st.arena_used, 16 * 32); /* past the first chunk */
	hc_test_path(path, sizeof(path), "bytes.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDWR));
	hc_test_assert_same(t, r);
	for (i = 30000; i < 60000; i++) {
		len = hc_test_bkey(i, k);
		ck_assert_ok(hc_add_bytes(r, k, len, 1 + i % 3));
	}
	for (i = 0; i < 60000; i += 3) {
		len = hc_test_bkey(i, k);
		ck_assert_ok(hc_get_bytes(r, k, len, &c));
		hc_assert_eq(c, 1 + i % 3);
	}
	hc_assert_ge(generation(r), 1);
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
}
END_TEST

/* The line of /proc/self/smaps that starts with @key in the entry of
 * the mapping holding @addr, into @line; 0 if smaps has none. */
static int smaps_line(const volatile void *addr, const char *key, char *line,
		      int n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0, found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, n, f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else
			found = in && strncmp(line, key, strlen(key)) == 0;
	}
	fclose(f);
	return found;
}

/* Whether the mapping holding @addr carries MADV_HUGEPAGE ("hg" in its
 * VmFlags); -1 if smaps does not say. */
static int huge_advised(const volatile void *addr)
{
	char line[512];

	if (!smaps_line(addr, "VmFlags:", line, sizeof(line)))
		return -1;
	return strstr(line, " hg") != NULL;
}

/* ShmemPmdMapped of the mapping holding @addr: bytes of shared memory
 * it maps with huge pages; -1 if smaps does not say. */
static long long huge_mapped(const volatile void *addr)
{
	char line[512];
	long long kb;

	if (!smaps_line(addr, "ShmemPmdMapped:", line, sizeof(line)) ||
	    sscanf(line, "ShmemPmdMapped: %lld kB", &kb) != 1)
		return -1;
	return kb * 1024;
}

/*
 * A growable table's address range starts on a huge page, so that its
 * addresses and object offsets agree modulo 2 MiB, and every region
 * mapped as it grows is advised for huge pages (grow.c): the kernel may
 * then back the shared object with huge pages where the system allows
 * them (docs/design.md, "Huge pages").  Anonymous and file homes.
 */
START_TEST(grow_huge_aligned)
{
	char path[4096];
	hc_options o;
	hc_table *t;
	struct hc__gv v;
	unsigned cur, top;
	uint64_t st = 9;
	void *probe;
	int can;

	/* Packed: it grows in every build (cannot_grow()). */
	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 40;
	o.capacity = 1024;
	o.grow = HC_GROW_ON;
	if (_i) {
		hc_test_path(path, sizeof(path), "huge.hc");
		ck_assert_ok(hc_table_create_file(&t, path, &o));
	} else {
		ck_assert_ok(hc_table_create(&t, &o));
	}
	hc_assert_eq((uintptr_t)t->base % HC_HUGE_ALIGN, 0);
	for (int i = 0; i < 300000; i++)
		ck_assert_ok(hc_add(
			t, hc_test_rand(&st) & ((UINT64_C(1) << 40) - 1), 1));
	ck_assert_ok(hc__gen_bounds(t, &cur, &top));
	hc_assert_gt(cur, 7);
	ck_assert_ok(hc__gen_view(t, cur, &v));
	/* Only where this kernel takes the advice at all. */
	probe = mmap(NULL, HC_HUGE_ALIGN, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(probe != MAP_FAILED);
	can = madvise(probe, HC_HUGE_ALIGN, MADV_HUGEPAGE) == 0;
	munmap(probe, HC_HUGE_ALIGN);
	if (can && huge_advised(v.packed) >= 0)
		hc_assert_eq(huge_advised(v.packed), 1);
	hc_table_close(t);
}
END_TEST

/* A maximum: growth stops there and the table says full, as a fixed one
 * does; what was added stays exact. */
START_TEST(grow_stops_at_max)
{
	hc_table *t = growing(_i ? HC_KEY_PACKED : HC_KEY_U64, 64, 12);
	uint64_t i, c;
	int rc = HC_OK;
	hc_stats st;

	for (i = 0; rc == HC_OK && i < 10000; i++)
		rc = hc_add(t, i, 2);
	ck_assert_hc(rc, HC_EFULL);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	hc_assert_eq(st.capacity, 4096);
	hc_assert_eq(st.distinct, i - 1);
	for (uint64_t k = 0; k + 1 < i; k++) {
		ck_assert_ok(hc_get(t, k, &c));
		hc_assert_eq(c, 2);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Add keys from *@n on until @t is past generation @g. */
static void grow_past(hc_table *t, uint64_t g, uint64_t *n)
{
	unsigned char k[HC_TEST_BKEY_MAX];

	while (generation(t) <= g) {
		if (t->kind == HC_KEY_BYTES)
			ck_assert_ok(hc_add_bytes(t, k, hc_test_bkey(*n, k),
						  1 + *n % 3));
		else
			ck_assert_ok(hc_add(t, *n * 7919, 1 + *n % 3));
		(*n)++;
	}
}

/* The count of key @i of grow_past(). */
static uint64_t count_past(hc_table *t, uint64_t i)
{
	unsigned char k[HC_TEST_BKEY_MAX];
	uint64_t c;

	if (t->kind == HC_KEY_BYTES)
		ck_assert_ok(hc_get_bytes(t, k, hc_test_bkey(i, k), &c));
	else
		ck_assert_ok(hc_get(t, i * 7919, &c));
	return c;
}

/*
 * The size of each growth follows hc_table_set_progress (M1): with all
 * the work done, the first rung that holds the keys (1.25x); with none
 * recorded, a doubling; a quarter done, the keys 4 times over, so the
 * next doubling.  Every count stays.  Each growing kind, a table of 1024
 * slots and one of 1088 (narrow: 68 buckets, never a power of two; its
 * rungs must be whole buckets, so a quarter of it is).
 */
START_TEST(grow_rungs)
{
	int kind = kinds[_i % NK];
	uint64_t c0 = _i / NK ? 1088 : 1024, n = 0, c;
	hc_table *t;

	if (cannot_grow(kind))
		return;
	t = growing(kind, c0, 0);
	if (kind == HC_KEY_PACKED) /* starts where its field fits */
		c0 = hc__gen_cap(t, 0);
	ck_assert_hc(hc_table_set_progress(t, 2, 1), HC_EINVAL);
	ck_assert_ok(hc_table_set_progress(t, 1, 1));
	grow_past(t, 0, &n);
	hc_assert_eq(hc__gen_cap(t, 1), c0 / 4 * 5);
	ck_assert_ok(hc_table_set_progress(t, 0, 0));
	grow_past(t, 1, &n);
	hc_assert_eq(hc__gen_cap(t, 2), c0 / 4 * 10);
	/* A quarter done with the keys it has: 4 times those, about 1.6 x
	 * its 2.5 c0 slots: only the doubling holds them. */
	ck_assert_ok(hc_table_set_progress(t, 1, 4));
	grow_past(t, 2, &n);
	hc_assert_eq(hc__gen_cap(t, 3), c0 / 4 * 20);
	for (uint64_t i = 0; i < n; i++)
		hc_assert_eq(count_past(t, i), 1 + i % 3);
	/* The words carry 4 g - rung: rung 1 at generation 1 is 3; rung
	 * 9 at generation 3 is 3. */
	/* ORDER: relaxed. A test reads header words. */
	c = hc_atomic_load_relaxed(&t->hdr->gens[1].slots_off);
	hc_assert_eq(hc__gen_word_rung(c), 3);
	/* ORDER: relaxed. As above. */
	c = hc_atomic_load_relaxed(&t->hdr->gens[3].slots_off);
	hc_assert_eq(hc__gen_word_rung(c), 3);
	/* ORDER: relaxed. As above: generation 2 doubled generation 1. */
	c = hc_atomic_load_relaxed(&t->hdr->gens[2].slots_off);
	hc_assert_eq(hc__gen_word_rung(c), 3);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Tables of 1 to 3 slots grow too (their rungs between doublings have
 * no slots: they double), with and without progress. */
START_TEST(grow_from_tiny)
{
	hc_table *t = growing(HC_KEY_U64, 1 + (uint64_t)_i % 3, 0);
	uint64_t n = 0;

	if (_i >= 3)
		ck_assert_ok(hc_table_set_progress(t, 1, 1));
	grow_past(t, 6, &n);
	for (uint64_t i = 0; i < n; i++)
		hc_assert_eq(count_past(t, i), 1 + i % 3);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Batches through many growths, with deltas; hc_get from both sides of
 * a growth and counts of 63 bits. */
START_TEST(grow_batches)
{
	hc_table *t = growing(_i ? HC_KEY_PACKED : HC_KEY_U64, 8, 0);
	uint64_t keys[1000], deltas[1000], c;
	size_t done;

	for (uint64_t r = 0; r < 50; r++) {
		for (int i = 0; i < 1000; i++) {
			keys[i] = r * 1000 + (uint64_t)i;
			deltas[i] = (uint64_t)i + 1;
		}
		ck_assert_ok(hc_add_batch(t, keys, deltas, 1000, &done));
		hc_assert_eq(done, 1000);
	}
	for (uint64_t k = 0; k < 50000; k++) {
		ck_assert_ok(hc_get(t, k, &c));
		hc_assert_eq(c, k % 1000 + 1);
	}
	if (!_i) {
		ck_assert_ok(hc_add(t, 5, (UINT64_C(1) << 62) - 6));
		ck_assert_ok(hc_get(t, 5, &c));
		hc_assert_eq(c, UINT64_C(1) << 62);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Format 1 is refused with HC_EVERSION (docs/format.md says how to
 * convert). */
START_TEST(format_1_refused)
{
	struct hc__header h;
	char path[256];
	hc_table *t;
	hc_options o;

	hc_options_init(&o);
	o.capacity = 1000;
	hc_test_path(path, sizeof(path), "v1.hc");
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	ck_assert_ok(hc_table_close(t));
	hc_test_read_header(path, &h);
	h.version = 1;
	hc_test_write_header(path, &h, 1);
	ck_assert_hc(hc_table_open(&t, path, HC_OPEN_RDONLY), HC_EVERSION);
	unlink(path);
}
END_TEST

/* ---- giving old generations back (design.md M9) ---------------------- */

struct rtab {
	hc_table *t;
	int home;
	char name[256];
};

/* A growing table of @kind in @home (HOME_ANON, HOME_SHM, HOME_FILE). */
static void rtab_create(struct rtab *r, int kind, int home)
{
	hc_options o;

	if (cannot_grow(kind))
		kind = HC_KEY_PACKED;
	hc_options_init(&o);
	o.key_kind = kind;
	o.capacity = start_of(kind);
	o.grow = HC_GROW_ON;
	o.key_bits = 40;
	r->home = home;
	r->name[0] = 0;
	if (home == HOME_SHM) {
		hc_test_shm_name(r->name, sizeof(r->name));
		ck_assert_ok(hc_table_create_shm(&r->t, r->name, &o));
	} else if (home == HOME_FILE) {
		hc_test_path(r->name, sizeof(r->name), "reclaim.hc");
		unlink(r->name);
		ck_assert_ok(hc_table_create_file(&r->t, r->name, &o));
	} else {
		ck_assert_ok(hc_table_create(&r->t, &o));
	}
}

static void rtab_done(struct rtab *r)
{
	ck_assert_ok(hc_table_close(r->t));
	if (r->home == HOME_SHM)
		ck_assert_ok(hc_shm_unlink(r->name));
	else if (r->home == HOME_FILE)
		unlink(r->name);
}

/* A generation word more than 3 g rungs short of a doubling names no
 * rung: a handle that meets it says HC_ECORRUPT, and reads nothing
 * out of bounds.  A second handle (views are made once a handle) of a
 * shm table whose generation 2 is damaged. */
START_TEST(grow_rung_hostile)
{
	struct rtab r;
	hc_table *t2;
	uint64_t n = 0, w, c;
	int rc;

	rtab_create(&r, HC_KEY_U64, HOME_SHM);
	ck_assert_ok(hc_table_set_progress(r.t, 1, 1));
	grow_past(r.t, 1, &n);
	/* ORDER: relaxed. A test damages a header word. */
	w = hc_atomic_load_relaxed(&r.t->hdr->gens[2].slots_off);
	hc_atomic_store_relaxed(&r.t->hdr->gens[2].slots_off,
				hc__gen_word_off(w) | 7);
	rc = hc_table_attach(&t2, r.name, HC_OPEN_RDWR);
	if (rc == HC_OK) {
		rc = hc_get(t2, 7919, &c);
		ck_assert_ok(hc_table_close(t2));
	}
	ck_assert_hc(rc, HC_ECORRUPT);
	/* ORDER: relaxed. The word put back. */
	hc_atomic_store_relaxed(&r.t->hdr->gens[2].slots_off, w);
	ck_assert_ok(hc_get(r.t, 7919, &c));
	rtab_done(&r);
}
END_TEST

/* Bytes of memory (or disk) the object holds: st_blocks. */
static uint64_t object_bytes(const hc_table *t)
{
	struct stat st;

	ck_assert_int_eq(fstat(t->fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* What the object must hold: the header, the current generation's
 * slots and marks, and the key area or overflow area as they are. */
static uint64_t object_need(const hc_table *t)
{
	uint64_t ss = t->kind == HC_KEY_PACKED ? 8 : 16;
	uint64_t cap = t->capacity << generation(t), ovf = t->ovf_capacity;
	/* ORDER: relaxed. A test reads a figure. */
	uint64_t a = hc_atomic_load_relaxed(&t->hdr->arena_used);

	if (t->kind == HC_KEY_NARROW) {
		/* 8-byte slots at 40 bits, and an overflow area per
		 * generation: the current one's and generation 0's. */
		ss = 8;
		ovf += cap / HC_NARROW_OVF_DIV + 256; /* and a page */
	}
	/* A file on a disk file system also holds blocks of its own (the
	 * extent tree), more as the migrations write the backed region
	 * block by block and punch the old one. */
	return 4096 + cap * ss + cap / 4096 * 8 + 4096 + ovf * 16 +
	       t->arena_bytes + 2 * a + (t->home == HC_HOME_FILE ? 16384 : 0);
}

static void add_keys(hc_table *t, uint64_t from, uint64_t to)
{
	unsigned char k[HC_TEST_BKEY_MAX];

	for (uint64_t i = from; i < to; i++) {
		if (t->kind == HC_KEY_BYTES)
			ck_assert_ok(hc_add_bytes(t, k, hc_test_bkey(i, k),
						  1 + i % 3));
		else
			ck_assert_ok(hc_add(t, i * 7919, 1 + i % 3));
	}
}

static uint64_t freed_of(const hc_table *t)
{
	/* ORDER: acquire. A test reads what hc__reclaim() recorded. */
	return hc_atomic_load_acquire(&t->hdr->freed);
}

/* Many growths, one process: every old generation is given back, and
 * the object holds about the final generation, not twice it. */
START_TEST(reclaim_size)
{
	int kind = kinds[_i % NK], home = _i / NK;
	struct rtab r;
	uint64_t n = 200000, got, need, i, c;

	rtab_create(&r, kind, home);
	add_keys(r.t, 0, n);
	hc_assert_ge(generation(r.t), 4);
	hc_assert_eq(freed_of(r.t), generation(r.t));
	got = object_bytes(r.t);
	need = object_need(r.t);
	fprintf(stderr,
		"reclaim_size kind %d home %d: generation %llu, object "
		"holds %llu bytes (handed out %llu), needs %llu\n",
		r.t->kind, home, (unsigned long long)generation(r.t),
		(unsigned long long)got,
		/* ORDER: relaxed. A test reads a figure. */
		(unsigned long long)hc_atomic_load_relaxed(&r.t->hdr->obj_end),
		(unsigned long long)need);
	hc_assert_le(got, need);
	for (i = 0; i < n; i += 13) {
		if (r.t->kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];

			ck_assert_ok(
				hc_get_bytes(r.t, k, hc_test_bkey(i, k), &c));
		} else {
			ck_assert_ok(hc_get(r.t, i * 7919, &c));
		}
		hc_assert_eq(c, 1 + i % 3);
	}
	rtab_done(&r);
}
END_TEST

/* An iterator opened before many growths pins its generation: it stays
 * readable and correct until the iterator ends, then is given back. */
START_TEST(reclaim_iter_pins)
{
	int kind = kinds[_i % NK], home = _i / NK;
	uint64_t n = 5000, seen = 0, g0, i;
	unsigned char *hit;
	struct rtab r;
	hc_entry e;
	hc_iter *it;
	int rc;

	rtab_create(&r, kind, home);
	add_keys(r.t, 0, n);
	g0 = generation(r.t);
	ck_assert_ok(hc_iter_create(r.t, &it));
	add_keys(r.t, n, 40 * n);
	hc_assert_ge(generation(r.t), g0 + 3);
	hc_assert_le(freed_of(r.t), g0);
	hit = calloc(n, 1);
	while ((rc = hc_iter_next(it, &e)) == 1) {
		uint64_t id;

		if (r.t->kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];

			for (id = 0; id < n; id++)
				if (hc_test_bkey(id, k) == e.len &&
				    memcmp(k, e.bytes, e.len) == 0)
					break;
		} else {
			id = e.key / 7919;
			if (e.key % 7919)
				id = n;
		}
		if (id >= n)
			continue; /* a key added during the walk */
		hc_require(!hit[id], "key %llu twice", (unsigned long long)id);
		hit[id] = 1;
		hc_assert_eq(e.count, 1 + id % 3);
		seen++;
	}
	ck_assert_int_eq(rc, 0);
	hc_assert_eq(seen, n);
	free(hit);
	hc_iter_destroy(it);
	hc_assert_eq(freed_of(r.t), generation(r.t));
	hc_assert_le(object_bytes(r.t), object_need(r.t));
	for (i = 0; i < 40 * n; i += 97) {
		uint64_t c;

		if (r.t->kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];

			ck_assert_ok(
				hc_get_bytes(r.t, k, hc_test_bkey(i, k), &c));
		} else {
			ck_assert_ok(hc_get(r.t, i * 7919, &c));
		}
		hc_assert_eq(c, 1 + i % 3);
	}
	rtab_done(&r);
}
END_TEST

/* 1 where the kernel commits memory strictly: there a memfd's regions
 * are backed whole before they are published (grow.c: region_back). */
static int strict_commit(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int c = f ? fgetc(f) : 0;

	if (f)
		fclose(f);
	return c == '2';
}

/* What the migrate hook saw, three quarters into the migration of a
 * generation of mig_cap slots: the bytes the object held then. */
static hc_table *mig_t;
static uint64_t mig_cap, mig_bytes;

static void mig_hook(uint64_t slot)
{
	if (mig_cap && slot == mig_cap / 4 * 3 && !mig_bytes)
		mig_bytes = object_bytes(mig_t);
}

/*
 * A migration gives the old generation back block by block as it moves
 * it (M9, "Blocks given back during a migration"), and a memfd's new
 * generation is not backed whole before it is published (M2), but
 * faults in block by block: three quarters into the move of a 16 MiB
 * generation, the object holds less than the new generation would
 * alone.  _i odd: an iterator
 * pinned before the growth holds every block until it is destroyed,
 * and reads every key once.  Packed and narrow slots, whose homes are
 * monotone in the key.
 */
START_TEST(reclaim_blocks_during_migration)
{
	int kind = _i / 2 ? HC_KEY_NARROW : HC_KEY_PACKED, walk = _i % 2;
	uint64_t n = 0, old_bytes, new_bytes, g, c, seen = 0;
	hc_iter *it = NULL;
	struct rtab r;
	hc_entry e;
	int rc;

	rtab_create(&r, kind, HOME_ANON);
	/* Up to a generation of 16 MiB of slots. */
	for (;;) {
		struct hc__gv v;
		unsigned cur, top;

		ck_assert_ok(hc__gen_bounds(r.t, &cur, &top));
		ck_assert_ok(hc__gen_view(r.t, cur, &v));
		if (cur == top &&
		    v.capacity * v.ssize >= (UINT64_C(16) << 20)) {
			mig_cap = v.capacity;
			old_bytes = v.capacity * v.ssize;
			break;
		}
		add_keys(r.t, n, n + 4096);
		n += 4096;
	}
	new_bytes = 2 * old_bytes; /* the same slot width: no switch */
	if (walk)
		ck_assert_ok(hc_iter_create(r.t, &it));
	mig_t = r.t;
	mig_bytes = 0;
	hc__migrate_hook = mig_hook;
	g = generation(r.t);
	while (generation(r.t) == g) {
		add_keys(r.t, n, n + 4096);
		n += 4096;
	}
	hc__migrate_hook = NULL;
	hc_require(mig_bytes > 0, "the hook saw the migration");
	fprintf(stderr,
		"reclaim_blocks kind %d walk %d: old %llu, new %llu, object "
		"held %llu three quarters in\n",
		kind, walk, (unsigned long long)old_bytes,
		(unsigned long long)new_bytes, (unsigned long long)mig_bytes);
	if (strict_commit()) /* the memfd's regions are backed whole */
		hc_assert_ge(mig_bytes,
			     walk ? new_bytes + old_bytes : new_bytes);
	else if (walk) /* the old generation whole, the new one in part */
		hc_assert_ge(mig_bytes, old_bytes + new_bytes / 2);
	if (walk)
		hc_assert_le(mig_bytes, new_bytes + old_bytes + (1u << 20));
	else if (strict_commit())
		hc_assert_le(mig_bytes, new_bytes + old_bytes / 2);
	else /* never both generations whole: 3/4 of new, 1/4 of old */
		hc_assert_le(mig_bytes, new_bytes);
	if (walk) {
		while ((rc = hc_iter_next(it, &e)) == 1) {
			hc_require(e.key % 7919 == 0, "key %llu",
				   (unsigned long long)e.key);
			hc_assert_eq(e.count, 1 + e.key / 7919 % 3);
			seen++;
		}
		ck_assert_int_eq(rc, 0);
		hc_assert_ge(seen, mig_cap / 2);
		hc_iter_destroy(it);
	}
	for (uint64_t i = 0; i < n; i += 7) {
		ck_assert_ok(hc_get(r.t, i * 7919, &c));
		hc_assert_eq(c, 1 + i % 3);
	}
	hc_assert_le(object_bytes(r.t), object_need(r.t));
	rtab_done(&r);
}
END_TEST

/* Pin slots in use in @t's header. */
static unsigned pins_used(const hc_table *t)
{
	unsigned n = 0;

	for (unsigned s = 0; s < HC_PINS; s++)
		n += __atomic_load_n(&t->hdr->pins[s], __ATOMIC_ACQUIRE) != 0;
	return n;
}

/* A walk in parts takes one pin for all of them (many would fill the
 * header's slots and slow every add), held until the last part is
 * destroyed, in any order, and it keeps its generations through
 * growths until then. */
START_TEST(reclaim_parts_one_pin)
{
	hc_table *t = growing(HC_KEY_U64, 1024, 0);
	hc_iter *its[64];
	uint64_t g0, base, seen = 0;
	hc_entry e;

	add_keys(t, 0, 3000);
	g0 = generation(t);
	base = pins_used(t);
	ck_assert_ok(hc_iter_create_parts(t, 64, its));
	hc_assert_eq(pins_used(t), base + 1);
	add_keys(t, 3000, 60000);
	hc_assert_ge(generation(t), g0 + 3);
	hc_assert_le(freed_of(t), g0); /* still pinned */
	for (unsigned p = 64; p-- > 0;) {
		int rc;

		while ((rc = hc_iter_next(its[p], &e)) == 1)
			seen += e.key % 7919 == 0 && e.key / 7919 < 3000;
		ck_assert_int_eq(rc, 0);
		hc_iter_destroy(its[p]);
		hc_assert_eq(pins_used(t), base + (p > 0));
	}
	hc_assert_eq(seen, 3000);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

struct pinner {
	hc_table *t;
	volatile int *state; /* shared: 1 pinned, 2 may unpin, 3 done */
};

/* A child that inherits the handle pins through an iterator (its own
 * pid, after fork), says so, and unpins when told. */
static int pinner_fn(int id, void *p)
{
	struct pinner *a = p;
	hc_iter *it;
	hc_entry e;

	(void)id;
	if (hc_iter_create(a->t, &it))
		return 1;
	__atomic_store_n(&a->state[0], 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&a->state[0], __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	while (hc_iter_next(it, &e) == 1)
		;
	hc_iter_destroy(it);
	__atomic_store_n(&a->state[0], 3, __ATOMIC_RELEASE);
	return 0;
}

/* A process pinned in an old generation: SIGKILLed (_i even), it does
 * not keep the generation; SIGSTOPped (_i odd), it delays giving it
 * back and nothing else, until it resumes and unpins. */
START_TEST(reclaim_killed_stopped)
{
	int kind = kinds[(_i / 2) % NK], home = _i / (2 * NK), stop = _i % 2;
	struct pinner a;
	uint64_t g0, n = 5000;
	struct rtab r;
	double end;
	pid_t pid;
	int st;

	rtab_create(&r, kind, home);
	add_keys(r.t, 0, n);
	g0 = generation(r.t);
	a.t = r.t;
	a.state = hc_test_shared(sizeof(int));
	pid = hc_test_spawn(pinner_fn, 0, &a);
	end = hc_test_now() + 30;
	while (__atomic_load_n(&a.state[0], __ATOMIC_ACQUIRE) != 1)
		hc_require(hc_test_now() < end, "pinner never pinned");
	ck_assert_int_eq(kill(pid, stop ? SIGSTOP : SIGKILL), 0);
	if (!stop)
		hc_require(hc_test_wait(pid, 10, &st), "pinner lives on");
	/* Progress: many growths while the pin is held (or dead). */
	add_keys(r.t, n, 40 * n);
	hc_assert_ge(generation(r.t), g0 + 3);
	if (stop) {
		hc_assert_le(freed_of(r.t), g0);
		__atomic_store_n(&a.state[0], 2, __ATOMIC_RELEASE);
		ck_assert_int_eq(kill(pid, SIGCONT), 0);
		hc_require(hc_test_wait(pid, 30, &st), "pinner stuck");
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "pinner status %#x", st);
		/* The pinner gave back what it held when it unpinned. */
	} else {
		/* The dead pin was ignored by the growths above. */
		hc_require(WIFSIGNALED(st), "pinner status %#x", st);
	}
	(void)hc__reclaim(r.t);
	hc_assert_eq(freed_of(r.t), generation(r.t));
	hc_assert_le(object_bytes(r.t), object_need(r.t));
	hc_test_unshare((void *)a.state, sizeof(int));
	rtab_done(&r);
}
END_TEST

/* Whether this kernel makes a block of a memfd one huge page on
 * MADV_COLLAPSE, as hc__collapse() asks it to (Linux 6.1 and later,
 * where transparent huge pages are not turned off). */
static int can_collapse(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char buf[128] = "";
	int fd, ok;
	unsigned char *p, *a;

	if (!f)
		return 0;
	ok = fgets(buf, sizeof(buf), f) && !strstr(buf, "[never]");
	fclose(f);
	fd = memfd_create("probe", MFD_CLOEXEC);
	if (!ok || fd < 0 || ftruncate(fd, 2 * HC_HUGE_ALIGN) != 0 ||
	    fallocate(fd, 0, 0, 4096) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	p = mmap(NULL, 2 * HC_HUGE_ALIGN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert(p != MAP_FAILED);
	a = (unsigned char *)(((uintptr_t)p + HC_HUGE_ALIGN - 1) &
			      ~(uintptr_t)(HC_HUGE_ALIGN - 1));
	ck_assert(mmap(a, HC_HUGE_ALIGN, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED);
	ok = madvise(a, HC_HUGE_ALIGN, 25 /* MADV_COLLAPSE */) == 0;
	munmap(p, 2 * HC_HUGE_ALIGN);
	close(fd);
	return ok;
}

/* Read a byte of every page of the slots of @v, so that this process
 * maps them all. */
static void touch(const struct hc__gv *v)
{
	const volatile unsigned char *p =
		(const volatile unsigned char *)v->packed;
	unsigned sum = 0;

	for (uint64_t b = 0; b < v->capacity * v->ssize; b += 4096)
		sum += p[b];
	(void)sum;
}

/*
 * The generations of a growing table in the anonymous and shm homes get
 * huge pages whatever shmem_enabled says (hc__collapse, design.md "Huge
 * pages"): generation 0 when the table is made, each later one 2 MiB
 * at a time ahead of its migration (anonymous) or as it is backed
 * (shm).  The old generation goes back in
 * whole huge pages (free_blocks at its default run), so the object
 * holds no more than the current generation needs; every count stays
 * exact.  A forked process that maps the table maps it huge too.
 * Skipped where the kernel does not collapse.
 */
START_TEST(grow_huge_collapsed)
{
	uint64_t runs = hc__free_blocks_bytes, st = 11, k, c, n = 1500000;
	char name[64];
	hc_options o;
	hc_table *t;
	struct hc__gv v;
	unsigned cur, top;
	long long need;
	pid_t pid;
	int wst;

	if (!can_collapse()) {
		fprintf(stderr, "grow_huge_collapsed: skipped, this kernel "
				"does not collapse a memfd\n");
		return;
	}
	hc__free_blocks_bytes = UINT64_C(2) << 20;
	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 40;
	o.capacity = _i & 1 ? 1u << 20 : 1024;
	o.grow = HC_GROW_ON;
	if (_i & 2) {
		hc_test_shm_name(name, sizeof(name));
		ck_assert_ok(hc_table_create_shm(&t, name, &o));
	} else {
		ck_assert_ok(hc_table_create(&t, &o));
	}
	if (_i & 1) {
		/* Generation 0, at creation: 8 MiB of slots, faulted here
		 * (a kernel before 6.5 leaves the caller's mapping to its
		 * next fault). */
		ck_assert_ok(hc__gen_view(t, 0, &v));
		touch(&v);
		if (!hc__collapse_stopped())
			hc_assert_ge(huge_mapped(v.packed),
				     (long long)(v.capacity * v.ssize) -
					     2 * (long long)HC_HUGE_ALIGN);
	}
	for (uint64_t i = 0; i < n; i++)
		ck_assert_ok(hc_add(
			t, hc_test_rand(&st) & ((UINT64_C(1) << 40) - 1), 1));
	ck_assert_ok(hc__gen_bounds(t, &cur, &top));
	ck_assert_ok(hc__gen_view(t, cur, &v));
	hc_require(v.capacity * v.ssize >= 8 * HC_HUGE_ALIGN,
		   "generation %u: %llu bytes", cur,
		   (unsigned long long)(v.capacity * v.ssize));
	(void)hc__reclaim(t);
	hc_assert_le(object_bytes(t), object_need(t));
	/* Every 2 MiB block wholly inside the generation, at most the
	 * first and the last partly outside.  Unless the kernel failed
	 * often enough (no free huge page on a busy machine) that this
	 * process stopped asking. */
	need = (long long)(v.capacity * v.ssize) - 2 * (long long)HC_HUGE_ALIGN;
	touch(&v);
	if (hc__collapse_stopped())
		fprintf(stderr, "grow_huge_collapsed: the kernel refused "
				"huge pages here; counts checked only\n");
	else
		hc_assert_ge(huge_mapped(v.packed), need);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t s2 = 11;

		for (uint64_t i = 0; i < n; i++) {
			k = hc_test_rand(&s2) & ((UINT64_C(1) << 40) - 1);
			if (hc_get(t, k, &c) != HC_OK || c == 0)
				_exit(2);
		}
		touch(&v);
		_exit(hc__collapse_stopped() || huge_mapped(v.packed) >= need
			      ? 0
			      : 3);
	}
	hc_require(hc_test_wait(pid, 60, &wst), "reader stuck");
	hc_require(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "reader %#x", wst);
	st = 11;
	for (uint64_t i = 0; i < n; i++) {
		k = hc_test_rand(&st) & ((UINT64_C(1) << 40) - 1);
		ck_assert_ok(hc_get(t, k, &c));
		hc_assert_ge(c, 1);
	}
	hc__free_blocks_bytes = runs;
	ck_assert_ok(hc_table_close(t));
	if (_i & 2)
		ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

Suite *hc_grow_suite(void)
{
	Suite *s = suite_create("grow");
	TCase *tc;

	/* Every migration gives its old generation back a block at a time
	 * (M9), so that the workers of every test race the punches. */
	hc__free_blocks_bytes = 1;
	if (getenv("HC_TEST_LONG")) {
		tc = tcase_create("long");
		tcase_set_timeout(tc, 3600);
		tcase_add_loop_test(tc, grow_streams_long, 0, 16);
		suite_add_tcase(s, tc);
		return s;
	}
	tc = tcase_create("streams");
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, grow_streams, 0, 36);
	tcase_add_loop_test(tc, grow_hogwild, 0, 8);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_set_timeout(tc, 180);
	tcase_add_loop_test(tc, grow_rungs, 0, 2 * NK);
	tcase_add_test(tc, grow_rung_hostile);
	tcase_add_loop_test(tc, grow_from_tiny, 0, 6);
	tcase_add_loop_test(tc, grow_sigkill, 0, 24);
	tcase_add_loop_test(tc, grow_sigstop, 0, 12);
	suite_add_tcase(s, tc);

	tc = tcase_create("readers");
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, grow_readers, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("single");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, grow_save_reopen_grows_again, 0, 2);
	tcase_add_test(tc, grow_bytes_save_reopen);
	tcase_add_loop_test(tc, grow_stops_at_max, 0, 2);
	tcase_add_loop_test(tc, grow_huge_aligned, 0, 2);
	tcase_add_loop_test(tc, grow_huge_collapsed, 0, 4);
	tcase_add_loop_test(tc, grow_batches, 0, 2);
	tcase_add_test(tc, format_1_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("reclaim");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, reclaim_size, 0, 12);
	tcase_add_loop_test(tc, reclaim_iter_pins, 0, 12);
	tcase_add_test(tc, reclaim_parts_one_pin);
	tcase_add_loop_test(tc, reclaim_blocks_during_migration, 0, 4);
	tcase_add_loop_test(tc, reclaim_killed_stopped, 0, 24);
	suite_add_tcase(s, tc);
	return s;
}
