/* SPDX-License-Identifier: MIT */
/*
 * hc_jobs.h - forked workers adding known key streams, and the
 * single-process reference they are checked against; shared by the
 * process suites (check_procs.c, check_grow.c).
 *
 * Workers are forked with check_fork() (more of them than the 2 cores),
 * add known key streams, and the parent compares with a reference
 * computed by regenerating the streams (plain arrays, no library).
 */
#ifndef HC_JOBS_H
#define HC_JOBS_H

#include <stdint.h>
#include <sys/types.h>

#include "hc_test.h"

#define MAX_WORKERS 16
#define BATCH 64

enum { DIST_UNIFORM, DIST_ZIPF };
enum { HOME_ANON, HOME_SHM, HOME_FILE };

struct ctl {
	volatile int go; /* parent: start adding */
	volatile int ready; /* workers that have their table */
	volatile int finish; /* parent: the victim may stop now */
	volatile int stopped; /* parent: the hooked victim is stopped */
	volatile uint64_t progress[MAX_WORKERS]; /* adds completed */
};

/* Everything a worker needs; inherited by value across fork. */
struct job {
	hc_table *t; /* HOME_ANON: the inherited handle */
	char name[256]; /* HOME_SHM: attach by this name; HOME_FILE: path */
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
	int grow; /* the table starts at the given capacity and grows */
	int steps; /* grow: every growth takes the smallest rung, 1.25x
		    * (hc_table_set_progress: all done), not 2x */
	uint64_t hook_after; /* victim: hook_sig to itself at the n-th slot
			      * it migrates (0: never) */
	int hook_sig;
	struct hc_test_zipf zipf;
	struct ctl *ctl;
};

#define PACKED_BITS 48
/* Narrow keys of 26 bits take 4-byte slots from 1024 slots on: a job
 * that starts below crosses from 8-byte slots to 4-byte ones. */
#define NARROW_BITS 26

/* One add of key id @id in the worker's style: worker parity picks
 * single or batched adds; mode as the job says. */
struct batch {
	uint64_t keys[BATCH], deltas[BATCH];
	unsigned char kb[BATCH][HC_TEST_BKEY_MAX];
	const void *kp[BATCH];
	size_t lens[BATCH];
	size_t n;
};

uint64_t hc_job_key_of(const struct job *j, uint64_t id);
uint64_t hc_job_delta_of(uint64_t id);
uint64_t hc_job_next_id(const struct job *j, uint64_t *st);
uint64_t hc_job_stream_seed(int w);
int hc_job_flush(hc_table *t, const struct job *j, struct batch *b);
int hc_job_add_one(hc_table *t, const struct job *j, uint64_t id,
		   struct batch *b);
hc_table *hc_job_worker_table(const struct job *j);
void hc_job_wait_go(const struct job *j);
int hc_job_stream_worker(int w, void *p);
int hc_job_range_worker(int w, void *p);
void hc_job_init(struct job *j, int kind, int home, uint64_t nkeys);
hc_table *hc_job_table(struct job *j, uint64_t cap, int mode);
void hc_job_done(struct job *j);
void hc_job_reap_ok(pid_t pid, int w, double timeout);
void hc_job_reference_add(const struct job *j, int w, uint64_t ops,
			  uint64_t *want);
uint64_t *hc_job_reference(const struct job *j, int w0, int w1);
uint64_t hc_job_count_of(const hc_table *t, const struct job *j, uint64_t id);
void hc_job_walk_check(const hc_table *t, const struct job *j,
		       uint64_t *nentries, uint64_t *sum);
void hc_job_assert_exact(const hc_table *t, const struct job *j,
			 const uint64_t *want);
int hc_job_is_stopped(pid_t pid);
void hc_job_spawn_all(struct job *j, int (*fn)(int, void *), pid_t *pids);

#endif /* HC_JOBS_H */
