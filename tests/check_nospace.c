/* SPDX-License-Identifier: MIT */
/*
 * check_nospace.c - a full device (design.md D4): every kind of table in
 * a file on a small tmpfs, and a named table with /dev/shm full, get
 * HC_ENOSPC from the add that needs space, never a SIGBUS, and keep
 * every count added before, across a close and a reopen.
 *
 * Mounting needs root (CI runs as root).  Each case runs in a forked
 * worker that enters a mount namespace of its own (unshare) and mounts
 * a small tmpfs there, on a directory of the run or on /dev/shm: the
 * mount dies with the worker and nothing else sees it (the real
 * /dev/shm, which other processes share, is never filled).  Where mount
 * is refused the case prints one line and passes.
 *
 * The anonymous home is not here: a memfd lives on the kernel's
 * internal tmpfs, which has no size limit to fill; only a memory cgroup
 * bounds it, and its limit gives the OOM killer, not ENOSPC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

/* A worker's exit status: 0 fine, SKIP when mount is refused, else the
 * line of the failed check (a message goes to stderr). */
#define SKIP 77

#define FAIL(...)                                                  \
	do {                                                       \
		fprintf(stderr, "check_nospace.c:%d: ", __LINE__); \
		fprintf(stderr, __VA_ARGS__);                      \
		fputc('\n', stderr);                               \
		return 1;                                          \
	} while (0)

/* The small tmpfs: 4 MiB, or struct job's @mib. */
#define TMPFS_MIB 4

enum api { API_ONE, API_BATCH };

struct job {
	int kind;
	int api;
	int shm; /* the tmpfs goes on /dev/shm; a named table */
	int mib; /* the tmpfs's size, 0: TMPFS_MIB */
	int nofalloc; /* act as where fallocate() is missing (M2) */
};

/* A private mount namespace with a tmpfs of @mib MiB on @dir.  0, or
 * SKIP after one line saying why. */
static int small_tmpfs(const char *dir, int mib)
{
	char size[32];

	snprintf(size, sizeof(size), "size=%dm", mib ? mib : TMPFS_MIB);
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("hc-nospace", dir, "tmpfs", 0, size) != 0) {
		printf("check_nospace: skipped, cannot mount a tmpfs (%s)\n",
		       strerror(errno));
		return SKIP;
	}
	return 0;
}

/* The directory of the small tmpfs (@dir, 256 bytes) and the table's
 * path or shm name (@where, 300 bytes), the tmpfs mounted: 0, SKIP, or
 * 1 after a message. */
static int full_place(const struct job *j, char *dir, char *where)
{
	if (j->shm) {
		snprintf(dir, 256, "/dev/shm");
		hc_test_shm_name(where, 300);
	} else {
		hc_test_path(dir, 256, "mnt");
		if (mkdir(dir, 0700) != 0)
			FAIL("mkdir %s: %s", dir, strerror(errno));
		snprintf(where, 300, "%s/t.hc", dir);
	}
	hc__back_no_fallocate = j->nofalloc;
	return small_tmpfs(dir, j->mib);
}

/* Key @i of the reference: distinct for i < 2^key_bits (an odd
 * multiplier is a bijection modulo a power of two). */
static uint64_t key_of(uint64_t i, uint64_t kmask)
{
	return (i * UINT64_C(0x9E3779B97F4A7C15)) & kmask;
}

static uint64_t delta_of(uint64_t i)
{
	return 1 + i % 3;
}

static void opts_for(hc_options *o, int kind)
{
	hc_options_init(o); /* grows, no size given: it starts small */
	o->key_kind = kind;
	if (kind == HC_KEY_PACKED)
		o->key_bits = 32;
}

/* A fixed table of @kind: 2^@dense_bits counters or @capacity slots. */
static void fixed_opts(hc_options *o, int kind, unsigned dense_bits,
		       uint64_t capacity)
{
	hc_options_init(o);
	o->key_kind = kind;
	o->dense_bits = dense_bits;
	o->capacity = capacity;
	o->key_bits = 32;
	o->grow = HC_GROW_OFF;
}

static uint64_t kmask_for(int kind)
{
	return kind == HC_KEY_PACKED ? (UINT64_C(1) << 32) - 1 : ~UINT64_C(0);
}

/*
 * Add keys @from, @from + 1, ... until an add fails; return its status
 * and in *n the first key not added.  @api: one add at a time, or the
 * batched calls (whose @done says where it stopped).
 */
static int fill(hc_table *t, const struct job *j, uint64_t from, uint64_t *n)
{
	enum { B = 256 };
	uint64_t km = kmask_for(j->kind), keys[B], deltas[B], i = from;
	unsigned char kb[B][HC_TEST_BKEY_MAX];
	const void *kp[B];
	size_t lens[B], done;
	int rc;

	for (;;) {
		if (j->api == API_ONE) {
			if (j->kind == HC_KEY_BYTES) {
				size_t len = hc_test_bkey(i, kb[0]);

				rc = hc_add_bytes(t, kb[0], len, delta_of(i));
			} else {
				rc = hc_add(t, key_of(i, km), delta_of(i));
			}
			if (rc)
				break;
			i++;
			continue;
		}
		for (unsigned b = 0; b < B; b++) {
			keys[b] = key_of(i + b, km);
			deltas[b] = delta_of(i + b);
			lens[b] = hc_test_bkey(i + b, kb[b]);
			kp[b] = kb[b];
		}
		done = 0;
		rc = j->kind == HC_KEY_BYTES
			     ? hc_add_bytes_batch(t, kp, lens, deltas, B, &done)
			     : hc_add_batch(t, keys, deltas, B, &done);
		i += done;
		if (rc)
			break;
	}
	*n = i;
	return rc;
}

/* A growing table of @j's kind and home on a small tmpfs, at @where
 * (300 bytes): 0, SKIP, or 1 after a message. */
static int small_table(const struct job *j, char *where, hc_table **t)
{
	char dir[256];
	hc_options o;
	int rc;

	if (!HC_HAVE_PAIR_CAS &&
	    (j->kind == HC_KEY_U64 || j->kind == HC_KEY_BYTES)) {
		/* Such tables do not grow without the pair CAS (design.md
		 * M8): the default fixed size may not fit the tmpfs. */
		printf("check_nospace: skipped, kind %d does not grow "
		       "without the pair CAS\n",
		       j->kind);
		return SKIP;
	}
	rc = full_place(j, dir, where);
	if (rc)
		return rc;
	opts_for(&o, j->kind);
	rc = j->shm ? hc_table_create_shm(t, where, &o)
		    : hc_table_create_file(t, where, &o);
	if (rc)
		FAIL("create: %s", hc_test_name(rc));
	return 0;
}

/* small_table(), filled (fill()) until an add says HC_ENOSPC, keys
 * [0, *n) added. */
static int full_table(const struct job *j, char *where, hc_table **t,
		      uint64_t *n)
{
	int rc = small_table(j, where, t);

	if (rc)
		return rc;
	rc = fill(*t, j, 0, n);
	if (rc != HC_ENOSPC)
		FAIL("fill: %s after %llu keys, want HC_ENOSPC",
		     hc_test_name(rc), (unsigned long long)*n);
	return 0;
}

/* Close @t and remove a named table: a worker's last step. */
static int finish(hc_table *t, const struct job *j, const char *where)
{
	hc_table_close(t);
	if (j->shm)
		hc_shm_unlink(where);
	return 0;
}

/* 0 if keys [0, n) hold their reference counts (key 0 @extra more). */
static int holds(const hc_table *t, int kind, uint64_t n, uint64_t extra)
{
	uint64_t km = kmask_for(kind);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t c = 0, want = delta_of(i) + (i == 0 ? extra : 0);
		int rc;

		if (kind == HC_KEY_BYTES) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(i, b);

			rc = hc_get_bytes(t, b, len, &c);
		} else {
			rc = hc_get(t, key_of(i, km), &c);
		}
		if (rc != HC_OK || c != want) {
			fprintf(stderr, "key %llu: %s, count %llu, want %llu\n",
				(unsigned long long)i, hc_test_name(rc),
				(unsigned long long)c,
				(unsigned long long)want);
			return 1;
		}
	}
	return 0;
}

static int open_again(hc_table **t, const char *where, int shm, int flags)
{
	return shm ? hc_table_attach(t, where, flags)
		   : hc_table_open(t, where, flags);
}

/*
 * The worker: a growing table of @j's kind on a 4 MiB tmpfs, filled
 * until an add says HC_ENOSPC; the table still counts keys it holds,
 * and a reopen (read-only and read-write) finds every count.
 */
static int grow_until_full(int id, void *arg)
{
	const struct job *j = arg;
	char where[300];
	hc_table *t;
	hc_stats st;
	hc_verdict v;
	uint64_t n = 0, n2;
	int rc;

	(void)id;
	rc = full_table(j, where, &t, &n);
	if (rc)
		return rc;
	if (n < 1000)
		FAIL("only %llu keys before HC_ENOSPC", (unsigned long long)n);
	/* Again: the same status, nothing changed; a key it holds still
	 * counts. */
	rc = fill(t, j, n, &n2);
	if (rc != HC_ENOSPC || n2 != n)
		FAIL("fill again: %s after %llu keys", hc_test_name(rc),
		     (unsigned long long)n2);
	if (j->kind == HC_KEY_BYTES) {
		unsigned char b[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(0, b);

		rc = hc_add_bytes(t, b, len, 5);
	} else {
		rc = hc_add(t, key_of(0, kmask_for(j->kind)), 5);
	}
	if (rc)
		FAIL("add of a key held: %s", hc_test_name(rc));
	if (holds(t, j->kind, n, 5))
		FAIL("counts before close");
	printf("check_nospace: kind %d, %s: HC_ENOSPC after %llu keys\n",
	       j->kind, j->shm ? "named shm" : "file", (unsigned long long)n);
	fflush(stdout);
	rc = hc_table_close(t);
	if (rc)
		FAIL("close: %s", hc_test_name(rc));

	rc = open_again(&t, where, j->shm, HC_OPEN_RDONLY);
	if (rc)
		FAIL("reopen read-only: %s", hc_test_name(rc));
	if (holds(t, j->kind, n, 5))
		FAIL("counts after reopen");
	st.size = sizeof(st);
	rc = hc_table_stats(t, &st);
	if (rc || st.distinct != n)
		FAIL("stats: %s, %llu entries, want %llu", hc_test_name(rc),
		     (unsigned long long)st.distinct, (unsigned long long)n);
	v.size = sizeof(v);
	rc = hc_table_verify(t, &v);
	if (rc || (!j->shm && v.state != HC_SEAL_OK))
		FAIL("verify: %s, state %d", hc_test_name(rc), v.state);
	hc_table_close(t);

	/* Read-write on the full device: its live regions are backed. */
	rc = open_again(&t, where, j->shm, HC_OPEN_RDWR);
	if (rc)
		FAIL("reopen read-write: %s", hc_test_name(rc));
	rc = fill(t, j, n, &n2);
	if (rc != HC_ENOSPC || n2 != n)
		FAIL("fill after reopen: %s after %llu keys", hc_test_name(rc),
		     (unsigned long long)n2);
	if (holds(t, j->kind, n, 5))
		FAIL("counts after reopen read-write");
	return finish(t, j, where);
}

/* A table larger than the device: HC_ENOSPC at create, nothing left. */
static int create_too_big(int id, void *arg)
{
	const struct job *j = arg;
	char dir[256], where[300];
	hc_options o;
	hc_table *t;
	struct stat sb;
	int rc;

	(void)id;
	rc = full_place(j, dir, where);
	if (rc)
		return rc;
	fixed_opts(&o, j->kind, 20, UINT64_C(1) << 20); /* 8 or 16 MiB */
	rc = j->shm ? hc_table_create_shm(&t, where, &o)
		    : hc_table_create_file(&t, where, &o);
	if (rc != HC_ENOSPC)
		FAIL("create: %s, want HC_ENOSPC", hc_test_name(rc));
	if (j->shm ? shm_open(where, O_RDONLY, 0) >= 0 : stat(where, &sb) == 0)
		FAIL("%s is left after a failed create", where);
	/* One that fits, then one that does not: the first is intact. */
	fixed_opts(&o, j->kind, 18, UINT64_C(1) << 17); /* 2 MiB */
	rc = j->shm ? hc_table_create_shm(&t, where, &o)
		    : hc_table_create_file(&t, where, &o);
	if (rc)
		FAIL("create a table that fits: %s", hc_test_name(rc));
	for (uint64_t i = 0; i < 1000; i++) {
		rc = hc_add(t, i, delta_of(i));
		if (rc)
			FAIL("add %llu: %s", (unsigned long long)i,
			     hc_test_name(rc));
	}
	{
		char where2[300];
		hc_table *t2;

		if (j->shm)
			hc_test_shm_name(where2, sizeof(where2));
		else
			snprintf(where2, sizeof(where2), "%s/u.hc", dir);
		fixed_opts(&o, j->kind, 19, UINT64_C(1) << 19);
		rc = j->shm ? hc_table_create_shm(&t2, where2, &o)
			    : hc_table_create_file(&t2, where2, &o);
		if (rc != HC_ENOSPC)
			FAIL("second create: %s, want HC_ENOSPC",
			     hc_test_name(rc));
	}
	for (uint64_t i = 0; i < 1000; i++) {
		uint64_t c = 0;

		rc = hc_get(t, i, &c);
		if (rc || c != delta_of(i))
			FAIL("key %llu: %s, %llu", (unsigned long long)i,
			     hc_test_name(rc), (unsigned long long)c);
	}
	return finish(t, j, where);
}

/*
 * A file as older versions left it: sparse where nothing was written.
 * On a full device an open read-write backs what a writer may touch, or
 * says HC_ENOSPC and changes nothing (no SIGBUS at a later add); with
 * room again it opens and the holes are backed.
 */
static int open_sparse(int id, void *arg)
{
	const struct job *j = arg;
	char dir[256], where[300], fill_path[300];
	hc_options o;
	hc_table *t;
	struct stat sb;
	uint64_t before;
	int rc, fd;

	(void)id;
	rc = full_place(j, dir, where);
	if (rc)
		return rc;
	fixed_opts(&o, j->kind, 17, UINT64_C(1) << 16); /* 1 MiB */
	rc = hc_table_create_file(&t, where, &o);
	if (rc)
		FAIL("create: %s", hc_test_name(rc));
	for (uint64_t i = 0; i < 100; i++)
		if ((rc = hc_add(t, i, 1)) != HC_OK)
			FAIL("add: %s", hc_test_name(rc));
	hc_table_close(t);
	/* A hole for every page of zeros, as a file never backed has. */
	fd = open(where, O_RDWR);
	if (fd < 0)
		FAIL("%s: %s", where, strerror(errno));
	{
		unsigned char page[4096], zero[4096] = { 0 };
		unsigned holes = 0;

		for (off_t at = 0; pread(fd, page, sizeof(page), at) > 0;
		     at += 4096) {
			if (memcmp(page, zero, sizeof(page)) != 0)
				continue;
			if (fallocate(fd,
				      FALLOC_FL_PUNCH_HOLE |
					      FALLOC_FL_KEEP_SIZE,
				      at, 4096) != 0)
				FAIL("punch: %s", strerror(errno));
			holes++;
		}
		if (holes < 16)
			FAIL("only %u pages of zeros", holes);
	}
	close(fd);
	if (stat(where, &sb) != 0)
		FAIL("stat: %s", strerror(errno));
	before = (uint64_t)sb.st_blocks;
	/* Fill the device. */
	snprintf(fill_path, sizeof(fill_path), "%s/fill", dir);
	fd = open(fill_path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		FAIL("%s: %s", fill_path, strerror(errno));
	{
		static const char zero[65536];

		while (write(fd, zero, sizeof(zero)) > 0)
			;
	}
	close(fd);
	rc = hc_table_open(&t, where, HC_OPEN_RDWR);
	if (rc != HC_ENOSPC)
		FAIL("open read-write on a full device: %s, want HC_ENOSPC",
		     hc_test_name(rc));
	if (stat(where, &sb) != 0 || (uint64_t)sb.st_blocks != before)
		FAIL("the refused open changed the file's blocks");
	unlink(fill_path);
	rc = hc_table_open(&t, where, HC_OPEN_RDWR);
	if (rc)
		FAIL("open read-write with room: %s", hc_test_name(rc));
	if (stat(where, &sb) != 0 || (uint64_t)sb.st_blocks <= before)
		FAIL("the open backed nothing");
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t c = 0;

		if (hc_get(t, i, &c) != HC_OK || c != 1)
			FAIL("key %llu: %llu", (unsigned long long)i,
			     (unsigned long long)c);
	}
	hc_table_close(t);
	return 0;
}

/*
 * A delta cache in front of a table on a full device: its flush says
 * HC_ENOSPC (or its add, where it passes adds through), the deltas it
 * could add are in the table, the one it could not is not.
 */
static int cache_until_full(int id, void *arg)
{
	const struct job *j = arg;
	char where[300];
	hc_table *t;
	hc_cache *c;
	uint64_t n = 0, km = kmask_for(j->kind), cnt;
	int rc;

	(void)id;
	rc = full_table(j, where, &t, &n);
	if (rc)
		return rc;
	rc = hc_cache_create(&c, t, 0, 0);
	if (rc)
		FAIL("cache: %s", hc_test_name(rc));
	for (uint64_t i = 0; i < n; i++) {
		rc = hc_cache_add(c, key_of(i, km), delta_of(i));
		if (rc)
			FAIL("cache add %llu: %s", (unsigned long long)i,
			     hc_test_name(rc));
	}
	rc = hc_cache_add(c, key_of(n, km), 1);
	if (rc == HC_OK)
		rc = hc_cache_flush(c);
	if (rc != HC_ENOSPC)
		FAIL("cache flush: %s, want HC_ENOSPC", hc_test_name(rc));
	for (uint64_t i = 0; i < n; i++) {
		cnt = 0;
		rc = hc_get(t, key_of(i, km), &cnt);
		if (rc || cnt != 2 * delta_of(i))
			FAIL("key %llu after the flush: %s, %llu",
			     (unsigned long long)i, hc_test_name(rc),
			     (unsigned long long)cnt);
	}
	cnt = 0;
	(void)hc_get(t, key_of(n, km), &cnt);
	if (cnt != 0)
		FAIL("the key that found no room counts %llu",
		     (unsigned long long)cnt);
	rc = hc_cache_destroy(c);
	if (rc != HC_OK && rc != HC_ENOSPC)
		FAIL("cache destroy: %s", hc_test_name(rc));
	rc = hc_table_close(t);
	if (rc)
		FAIL("close: %s", hc_test_name(rc));
	return 0;
}

static void run_job(int (*fn)(int, void *), const struct job *j)
{
	struct job *shared = hc_test_shared(sizeof(*j));
	pid_t pid;
	int status = 0;

	*shared = *j;
	fflush(stdout);
	pid = hc_test_spawn(fn, 0, shared);
	ck_assert_int_eq(hc_test_wait(pid, 120, &status), 1);
	hc_test_unshare(shared, sizeof(*j));
	ck_assert_msg(!WIFSIGNALED(status), "the worker died of signal %d",
		      WTERMSIG(status));
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP)
		return; /* it said why */
	ck_assert_msg(WEXITSTATUS(status) == 0,
		      "the worker failed (%d): see stderr",
		      WEXITSTATUS(status));
}

/*
 * Eight processes grow one table together on a tmpfs that holds the
 * table at its largest once, not eight regions of it: the region is
 * claimed before it is backed (design.md M2), so no racer backs one of
 * its own and none gets HC_ENOSPC; every key counts once.
 */
enum { RACERS = 8, RACE_KEYS = 25000 };

static int race_one(hc_table *t, int w)
{
	for (uint64_t i = 0; i < RACE_KEYS; i++) {
		int rc = hc_add(
			t, key_of((uint64_t)w * RACE_KEYS + i, ~UINT64_C(0)),
			1);

		if (rc) {
			fprintf(stderr, "racer %d, add %llu: %s\n", w,
				(unsigned long long)i, hc_test_name(rc));
			return 1;
		}
	}
	return 0;
}

static int race_to_grow(int id, void *arg)
{
	const struct job *j = arg;
	char where[300];
	hc_table *t;
	pid_t pids[RACERS];
	int rc, st, bad = 0;

	(void)id;
	rc = small_table(j, where, &t);
	if (rc)
		return rc;
	for (int w = 0; w < RACERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(race_one(t, w));
		if (pids[w] < 0)
			FAIL("fork: %s", strerror(errno));
	}
	for (int w = 0; w < RACERS; w++)
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	if (bad)
		FAIL("%d of %d racers failed", bad, RACERS);
	for (uint64_t i = 0; i < (uint64_t)RACERS * RACE_KEYS; i++) {
		uint64_t c = 0;

		rc = hc_get(t, key_of(i, ~UINT64_C(0)), &c);
		if (rc || c != 1)
			FAIL("key %llu: %s, %llu", (unsigned long long)i,
			     hc_test_name(rc), (unsigned long long)c);
	}
	hc_table_close(t);
	return 0;
}

/* Bytes of the region of generation @g >= 1 of a u64 table that
 * starts at @cap slots: its slots, then the marks of g - 1 (as grow.c's
 * region_bytes, from docs/format.md). */
static uint64_t u64_region(uint64_t cap, unsigned g)
{
	uint64_t page = 4096, c = cap << g, marks = (c / 2 + 4095) / 4096 * 8;

	return (c * 16 + page - 1) / page * page +
	       (marks + page - 1) / page * page;
}

/*
 * A claim that its claimer left (killed after its CAS on the claim
 * word): the next grower backs and publishes that very range and takes
 * no space of its own (design.md M2); the claim counter leaves it
 * alone while the generation has room, a full probe path takes it up.
 */
START_TEST(claim_left_is_taken_up)
{
	char path[256];
	hc_options o;
	hc_table *t;
	uint64_t end, claim, cap, i, c, held = 0;
	unsigned cur, top;

	if (!HC_HAVE_PAIR_CAS)
		return; /* a u64 table grows only with it (design.md M8) */
	hc_test_path(path, sizeof(path), "claim.hc");
	opts_for(&o, HC_KEY_U64);
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	cap = t->hdr->capacity;
	for (unsigned g = 1; g <= 2; g++) {
		/* The dead claimer's part: space from obj_end, claimed. */
		end = __atomic_load_n(&t->hdr->obj_end, __ATOMIC_RELAXED);
		__atomic_store_n(&t->hdr->obj_end, end + u64_region(cap, g),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&t->hdr->gens[g].slots_claim, end,
				 __ATOMIC_RELAXED);
		claim = end;
		/* Adds until generation g is published (keys of g - 1 fill
		 * up, a probe path fills, the growth is taken up). */
		for (i = 0; i < (cap << g); i++) {
			ck_assert_ok(hc_add(t, (uint64_t)g << 32 | i, 1));
			if (__atomic_load_n(&t->hdr->gens[g].slots_off,
					    __ATOMIC_ACQUIRE))
				break;
		}
		hc_assert_eq(__atomic_load_n(&t->hdr->gens[g].slots_off,
					     __ATOMIC_ACQUIRE),
			     claim);
		hc_assert_eq(
			__atomic_load_n(&t->hdr->obj_end, __ATOMIC_RELAXED),
			claim + u64_region(cap, g));
		/* The claim counter passed the grow load long before: it
		 * left the claim alone until a probe path was full. */
		held += i + 1;
		hc_assert_gt(held - 1, (cap << (g - 1)) * 9 / 10);
	}
	ck_assert_ok(hc__gen_bounds(t, &cur, &top));
	hc_assert_eq(cur, 2);
	for (unsigned g = 1; g <= 2; g++)
		for (i = 0; i < (cap << g) && i < 100; i++) {
			ck_assert_ok(hc_get(t, (uint64_t)g << 32 | i, &c));
			hc_assert_eq(c, 1);
		}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Every case: the worker and its job. */
static const struct {
	int (*fn)(int id, void *arg);
	struct job j;
} cases[] = {
	{ grow_until_full, { HC_KEY_U64, API_ONE, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_U64, API_BATCH, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_PACKED, API_ONE, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_PACKED, API_BATCH, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_BYTES, API_ONE, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_BYTES, API_BATCH, 0, 0, 0 } },
	{ grow_until_full, { HC_KEY_U64, API_BATCH, 1, 0, 0 } },
	{ grow_until_full, { HC_KEY_PACKED, API_ONE, 1, 0, 0 } },
	{ grow_until_full, { HC_KEY_BYTES, API_BATCH, 1, 0, 0 } },
	{ create_too_big, { HC_KEY_DENSE, API_ONE, 0, 0, 0 } },
	{ create_too_big, { HC_KEY_U64, API_ONE, 0, 0, 0 } },
	{ create_too_big, { HC_KEY_DENSE, API_ONE, 1, 0, 0 } },
	{ create_too_big, { HC_KEY_PACKED, API_ONE, 1, 0, 0 } },
	{ open_sparse, { HC_KEY_U64, API_ONE, 0, 0, 0 } },
	{ open_sparse, { HC_KEY_PACKED, API_ONE, 0, 0, 0 } },
	{ open_sparse, { HC_KEY_DENSE, API_ONE, 0, 0, 0 } },
	{ cache_until_full, { HC_KEY_U64, API_ONE, 0, 0, 0 } },
	{ race_to_grow, { HC_KEY_U64, API_ONE, 0, 16, 0 } },
	/* No fallocate(): private regions, zeros written (M2). */
	{ grow_until_full, { HC_KEY_U64, API_BATCH, 0, 0, 1 } },
	{ grow_until_full, { HC_KEY_BYTES, API_ONE, 0, 0, 1 } },
	{ race_to_grow, { HC_KEY_U64, API_ONE, 0, 16, 1 } },
};

START_TEST(full_device)
{
	run_job(cases[_i].fn, &cases[_i].j);
}
END_TEST

Suite *hc_nospace_suite(void)
{
	Suite *s = suite_create("nospace");
	TCase *tc = tcase_create("full");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, full_device, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, claim_left_is_taken_up);
	suite_add_tcase(s, tc);
	return s;
}
