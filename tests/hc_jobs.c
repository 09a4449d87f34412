/* SPDX-License-Identifier: MIT */
/*
 * hc_jobs.c - see hc_jobs.h.
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

#include "hc_jobs.h"
#include "hc_internal.h"

uint64_t hc_job_key_of(const struct job *j, uint64_t id)
{
	if (j->kind == HC_KEY_PACKED || j->kind == HC_KEY_NARROW) {
		uint64_t mask = (UINT64_C(1)
				 << (j->kind == HC_KEY_PACKED ? PACKED_BITS
							      : NARROW_BITS)) -
				1;

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

uint64_t hc_job_delta_of(uint64_t id)
{
	return 1 + (id & 3);
}

/* The id of worker @w's op number @i (ids come from a seeded stream). */
uint64_t hc_job_next_id(const struct job *j, uint64_t *st)
{
	if (j->dist == DIST_ZIPF)
		return hc_test_zipf_next(&j->zipf, st);
	return hc_test_rand(st) % j->nkeys;
}

uint64_t hc_job_stream_seed(int w)
{
	return UINT64_C(0xabcdef) * (uint64_t)(w + 1);
}

int hc_job_flush(hc_table *t, const struct job *j, struct batch *b)
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

int hc_job_add_one(hc_table *t, const struct job *j, uint64_t id,
		   struct batch *b)
{
	uint64_t d = hc_job_delta_of(id);

	if (b) {
		size_t i = b->n++;

		b->deltas[i] = d;
		if (j->kind == HC_KEY_BYTES) {
			b->lens[i] = hc_test_bkey(id, b->kb[i]);
			b->kp[i] = b->kb[i];
		} else {
			b->keys[i] = hc_job_key_of(j, id);
		}
		return b->n == BATCH ? hc_job_flush(t, j, b) : 0;
	}
	if (j->kind == HC_KEY_BYTES) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(id, k);

		if (j->mode)
			return hc__add_bytes(t, k, len, d, j->mode) != 0;
		return hc_add_bytes(t, k, len, d) != 0;
	}
	switch (j->mode) {
	case HC_MODE_EXACT:
		return hc__add_u64(t, hc_job_key_of(j, id), d, HC_MODE_EXACT) !=
		       0;
	case HC_MODE_HOGWILD:
		return hc__add_u64(t, hc_job_key_of(j, id), d,
				   HC_MODE_HOGWILD) != 0;
	default:
		return hc_add(t, hc_job_key_of(j, id), d) != 0;
	}
}

hc_table *hc_job_worker_table(const struct job *j)
{
	hc_table *t = NULL;

	if (j->home == HOME_ANON)
		return j->t;
	if (j->home == HOME_FILE)
		return hc_table_open(&t, j->name, HC_OPEN_RDWR) ? NULL : t;
	if (hc_table_attach(&t, j->name, HC_OPEN_RDWR) != HC_OK)
		return NULL;
	return t;
}

/* The victim's migration hook: hook_sig to itself at the n-th slot. */
static uint64_t hook_left;
static int hook_sig;

static void hook(uint64_t slot)
{
	(void)slot;
	if (hook_left && --hook_left == 0)
		raise(hook_sig);
}

/* The armed victim starts (or joins) a growth itself after a few
 * hundred adds, so that its hook surely fires inside a migration. */
static void force_growth(const struct job *j, int w, hc_table *t, uint64_t i)
{
	unsigned cur, top;

	if (w == j->victim && j->hook_after && i == 300 &&
	    !hc__gen_bounds(t, &cur, &top))
		(void)hc__grow(t, cur);
}

static void arm_hook(const struct job *j, int w)
{
	if (w == j->victim && j->hook_after) {
		hook_left = j->hook_after;
		hook_sig = j->hook_sig;
		hc__migrate_hook = hook;
	}
}

void hc_job_wait_go(const struct job *j)
{
	__atomic_fetch_add(&j->ctl->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&j->ctl->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

/*
 * Shared universe: ops ids from the worker's seeded stream.  The victim
 * runs on until the parent sets ctl->finish; its progress counts the adds
 * completed (flushed), so its hc_job_reference is the first progress ops.
 */
int hc_job_stream_worker(int w, void *p)
{
	const struct job *j = p;
	struct batch *b = NULL;
	hc_table *t = hc_job_worker_table(j);
	uint64_t st = hc_job_stream_seed(w), i;
	int victim = w == j->victim;

	if (!t)
		return 20;
	/* With per-call modes, byte keys have no batched variant. */
	if (w % 2 && !(j->mode && j->kind == HC_KEY_BYTES)) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return 21;
	}
	arm_hook(j, w);
	hc_job_wait_go(j);
	for (i = 0; victim || i < j->ops; i++) {
		if (victim &&
		    __atomic_load_n(&j->ctl->finish, __ATOMIC_ACQUIRE))
			break;
		/* A hooked victim stops inside a growth it starts: keep the
		 * last add until it has, so that someone is left to finish
		 * the growth however late the victim got a core. */
		if (!victim && j->hook_after && i + 1 == j->ops) {
			double end = hc_test_now() + 60;

			while (!__atomic_load_n(&j->ctl->stopped,
						__ATOMIC_ACQUIRE) &&
			       hc_test_now() < end)
				sched_yield();
		}
		force_growth(j, w, t, i);
		if (hc_job_add_one(t, j, hc_job_next_id(j, &st), b))
			return 22;
		if (!b || b->n == 0)
			__atomic_store_n(&j->ctl->progress[w], i + 1,
					 __ATOMIC_RELAXED);
	}
	if (b && hc_job_flush(t, j, b))
		return 23;
	__atomic_store_n(&j->ctl->progress[w], i, __ATOMIC_RELAXED);
	if (j->home != HOME_ANON && hc_table_close(t))
		return 24;
	return 0;
}

/* Disjoint ranges: rounds passes over ids first_id + w*range + 0..range-1,
 * in order, one single add each, progress after every add. */
int hc_job_range_worker(int w, void *p)
{
	const struct job *j = p;
	hc_table *t = hc_job_worker_table(j);
	uint64_t base = j->first_id + (uint64_t)w * j->range, r, i, n = 0;
	uint64_t rounds = w == j->victim ? UINT64_MAX : j->rounds;

	if (!t)
		return 20;
	arm_hook(j, w);
	hc_job_wait_go(j);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < j->range; i++) {
			force_growth(j, w, t, n);
			if (hc_job_add_one(t, j, base + i, NULL))
				return 22;
			__atomic_store_n(&j->ctl->progress[w], ++n,
					 __ATOMIC_RELAXED);
		}
	return 0;
}

void hc_job_init(struct job *j, int kind, int home, uint64_t nkeys)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->home = home;
	j->nkeys = nkeys;
	j->victim = -1;
	j->ctl = hc_test_shared(sizeof(*j->ctl));
}

/* Creates the table for @j (exact mode unless @mode says otherwise). */
hc_table *hc_job_table(struct job *j, uint64_t cap, int mode)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = j->kind;
	o.capacity = cap;
	o.mode = mode;
	o.seed = 0x5eed;
	o.key_bits = j->kind == HC_KEY_NARROW ? NARROW_BITS : PACKED_BITS;
	if (j->grow)
		o.grow = HC_GROW_ON;
	if (j->home == HOME_FILE) {
		hc_test_path(j->name, sizeof(j->name), "job.hc");
		ck_assert_ok(hc_table_create_file(&t, j->name, &o));
	} else if (j->home == HOME_SHM) {
		hc_test_shm_name(j->name, sizeof(j->name));
		ck_assert_ok(hc_table_create_shm(&t, j->name, &o));
	} else {
		ck_assert_ok(hc_table_create(&t, &o));
	}
	if (j->steps)
		ck_assert_ok(hc_table_set_progress(t, 1, 1));
	j->t = t;
	j->k0 = hc_test_zero_mix_key(t);
	return t;
}

void hc_job_done(struct job *j)
{
	ck_assert_ok(hc_table_close(j->t));
	hc_test_zipf_free(&j->zipf);
	hc_test_unshare(j->ctl, sizeof(*j->ctl));
}

void hc_job_spawn_all(struct job *j, int (*fn)(int, void *), pid_t *pids)
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

void hc_job_reap_ok(pid_t pid, int w, double timeout)
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
void hc_job_reference_add(const struct job *j, int w, uint64_t ops,
			  uint64_t *want)
{
	uint64_t st = hc_job_stream_seed(w), i;

	for (i = 0; i < ops; i++) {
		uint64_t id = hc_job_next_id(j, &st);

		want[id] += hc_job_delta_of(id);
	}
}

/* The hc_job_reference: expected[id] for the workers in [w0, w1) but the
 * victim. */
uint64_t *hc_job_reference(const struct job *j, int w0, int w1)
{
	uint64_t *want = calloc(j->nkeys, sizeof(*want));
	int w;

	ck_assert_ptr_nonnull(want);
	for (w = w0; w < w1; w++)
		if (w != j->victim)
			hc_job_reference_add(j, w, j->ops, want);
	return want;
}

uint64_t hc_job_count_of(const hc_table *t, const struct job *j, uint64_t id)
{
	uint64_t c = ~UINT64_C(0);

	if (j->kind == HC_KEY_BYTES) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(id, k);

		ck_assert_ok(hc_get_bytes(t, k, len, &c));
	} else {
		ck_assert_ok(hc_get(t, hc_job_key_of(j, id), &c));
	}
	return c;
}

/* Walk the table: no duplicates, no stranger keys, count and sum. */
void hc_job_walk_check(const hc_table *t, const struct job *j,
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

void hc_job_assert_exact(const hc_table *t, const struct job *j,
			 const uint64_t *want)
{
	uint64_t id, distinct = 0, total = 0, n, sum;
	hc_stats st;

	for (id = 0; id < j->nkeys; id++) {
		uint64_t c = hc_job_count_of(t, j, id);

		hc_require(c == want[id],
			   "key id %llu: count %llu, hc_job_reference %llu",
			   (unsigned long long)id, (unsigned long long)c,
			   (unsigned long long)want[id]);
		distinct += want[id] != 0;
		total += want[id];
	}
	hc_job_walk_check(t, j, &n, &sum);
	hc_assert_eq(n, distinct);
	hc_assert_eq(sum, total);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	hc_assert_eq(st.distinct, distinct);
	hc_assert_eq(st.total, total);
}

int hc_job_is_stopped(pid_t pid)
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
