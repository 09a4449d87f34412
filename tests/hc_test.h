/* SPDX-License-Identifier: MIT */
/*
 * hc_test.h - helpers shared by the Check suites in tests/.
 *
 * Each suite is its own executable: tests/main.c is compiled once per
 * suite with HC_TEST_SUITE naming the suite function, and calls
 * hc_test_run(), which runs the suite in Check's default fork mode, then
 * fails if a named shared-memory object of this run (/hc-test-<pid>-<n>)
 * is left in /dev/shm, and removes the run's temporary directory.
 *
 * Workers of multi-process cases are started with check_fork() (strays
 * die with the test), report through their exit status, never through
 * ck_assert, and are reaped with hc_test_wait().
 */
#ifndef HC_TEST_H
#define HC_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hogcount.h"

/* The suites, one per kernel module, plus procs and threads. */
Suite *hc_error_suite(void);
Suite *hc_hash_suite(void);
Suite *hc_format_suite(void);
Suite *hc_region_suite(void);
Suite *hc_slots_suite(void);
Suite *hc_arena_suite(void);
Suite *hc_iter_suite(void);
Suite *hc_export_suite(void);
Suite *hc_procs_suite(void);
Suite *hc_grow_suite(void);
Suite *hc_narrow_suite(void);
Suite *hc_threads_suite(void);
Suite *hc_seal_suite(void);
Suite *hc_compact_suite(void);
Suite *hc_compact_bytes_suite(void);
Suite *hc_cache_suite(void);
Suite *hc_lock_suite(void);
Suite *hc_nospace_suite(void);

/* Runs @s, checks /dev/shm, cleans up; returns the exit status for main. */
int hc_test_run(Suite *s);

/* The pid of the suite's main process (names of shm objects carry it). */
extern pid_t hc_test_main_pid;

/* A fresh "/hc-test-<main pid>-<n>", unique in this run. */
void hc_test_shm_name(char *buf, size_t cap);

/* A fresh path "<run dir>/<n>-<tag>" that does not exist yet. */
void hc_test_path(char *buf, size_t cap, const char *tag);

/* The run's temporary directory (mkdtemp, removed by hc_test_run). */
const char *hc_test_dir(void);

/* "HC_EFULL", or "?" if the library gives NULL; for messages. */
const char *hc_test_name(int rc);

/*
 * Assertions that cost nothing when they pass.  Check's ck_assert_*
 * report a "mark point" through the runner on every success, a system
 * call each; in loops over thousands of keys that dominates the run.
 * These report only failures, with file and line like ck_assert.
 */
#define hc_require(expr, ...)                      \
	do {                                       \
		if (!(expr))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define HC_ASSERT_CMP_(a, op, b)                                               \
	do {                                                                   \
		uintmax_t hc_a_ = (a), hc_b_ = (b);                            \
		if (!(hc_a_ op hc_b_))                                         \
			ck_abort_msg(                                          \
				"Assertion '%s %s %s' failed: %ju vs %ju", #a, \
				#op, #b, hc_a_, hc_b_);                        \
	} while (0)
#define hc_assert_eq(a, b) HC_ASSERT_CMP_(a, ==, b)
#define hc_assert_ne(a, b) HC_ASSERT_CMP_(a, !=, b)
#define hc_assert_lt(a, b) HC_ASSERT_CMP_(a, <, b)
#define hc_assert_le(a, b) HC_ASSERT_CMP_(a, <=, b)
#define hc_assert_gt(a, b) HC_ASSERT_CMP_(a, >, b)
#define hc_assert_ge(a, b) HC_ASSERT_CMP_(a, >=, b)

/* Assert that @expr returns the status @want, naming both on failure. */
#define ck_assert_hc(expr, want)                                           \
	do {                                                               \
		int hc_rc_ = (expr);                                       \
		int hc_want_ = (want);                                     \
		hc_require(hc_rc_ == hc_want_,                             \
			   "%s returned %s (%d), expected %s (%d)", #expr, \
			   hc_test_name(hc_rc_), hc_rc_,                   \
			   hc_test_name(hc_want_), hc_want_);              \
	} while (0)

#define ck_assert_ok(expr) ck_assert_hc(expr, HC_OK)

/* splitmix64: a seeded, reproducible stream. */
uint64_t hc_test_rand(uint64_t *state);

/* A bijective scramble of 64-bit values, independent of the library. */
uint64_t hc_test_scramble(uint64_t x);

/* Zipf(s) over 0..n-1 by inverse CDF (rank 0 is the most frequent). */
struct hc_test_zipf {
	double *cdf;
	uint64_t n;
};
void hc_test_zipf_init(struct hc_test_zipf *z, uint64_t n, double s);
uint64_t hc_test_zipf_next(const struct hc_test_zipf *z, uint64_t *state);
void hc_test_zipf_free(struct hc_test_zipf *z);

/*
 * A byte key made from @id: its 8 little-endian bytes (so the map is
 * injective), then 0..28 filler bytes with NULs among them.  @buf must
 * hold HC_TEST_BKEY_MAX bytes.  Returns the length.
 */
#define HC_TEST_BKEY_MAX 40u
size_t hc_test_bkey(uint64_t id, unsigned char *buf);

/* An entry copied out of a table, owning its bytes. */
struct hc_test_entry {
	uint64_t key;
	uint64_t count;
	unsigned char *bytes;
	size_t len;
};

/*
 * Walk @t with hc_iter_*, copy every entry and sort them (by key, or by
 * bytes then length).  Returns the status of the walk (HC_OK or what
 * hc_iter_create/hc_iter_next returned); entries read before a failure
 * are kept.
 */
int hc_test_collect(const hc_table *t, struct hc_test_entry **out, size_t *n);
/* The same, walked as @parts parts (hc_iter_create_parts), one after the
 * other. */
int hc_test_collect_parts(const hc_table *t, unsigned parts,
			  struct hc_test_entry **out, size_t *n);
void hc_test_entries_free(struct hc_test_entry *e, size_t n);

/* Index of the first duplicate key in sorted @e, or -1. */
long hc_test_first_dup(const struct hc_test_entry *e, size_t n);

/* ck_assert that @a and @b hold the same entries (any kind). */
void hc_test_assert_same(const hc_table *a, const hc_table *b);

/*
 * The single-process reference for u64 keys: aggregate @n (key, delta)
 * pairs (@deltas NULL: 1 each) into sorted entries, dropping keys whose
 * sum is 0.  Independent of the library.
 */
size_t hc_test_ref_u64(const uint64_t *keys, const uint64_t *deltas, size_t n,
		       struct hc_test_entry **out);

/* ck_assert that @t holds exactly @ref (iteration and hc_get agree). */
void hc_test_assert_ref(const hc_table *t, const struct hc_test_entry *ref,
			size_t nref);

/* An anonymous MAP_SHARED region, zeroed, for flags shared with workers. */
void *hc_test_shared(size_t bytes);
void hc_test_unshare(void *p, size_t bytes);

/* check_fork() a worker that runs fn(id, arg) and _exit()s with its
 * return value (0 = fine). */
pid_t hc_test_spawn(int (*fn)(int id, void *arg), int id, void *arg);

/*
 * Wait for @pid up to @timeout_s seconds.  Returns 1 if it exited or was
 * killed (status in *status), 0 on timeout.
 */
int hc_test_wait(pid_t pid, double timeout_s, int *status);

/* Seconds from a monotonic clock. */
double hc_test_now(void);

/* The key whose hc__mix64 is 0 in table @t (counts in the header). */
uint64_t hc_test_zero_mix_key(const hc_table *t);

/* Read or patch the header of a table file. */
void hc_test_read_header(const char *path, void *hdr4096);
void hc_test_write_header(const char *path, const void *hdr4096,
			  int recompute_check);
uint64_t hc_test_file_size(const char *path);
void hc_test_truncate(const char *path, uint64_t size);
void hc_test_copy_file(const char *from, const char *to);
/* The bytes of @path in a new buffer of *n + 1 bytes (free it). */
unsigned char *hc_test_slurp(const char *path, size_t *n);
void hc_test_spit(const char *path, const void *p, size_t n);

/* ck_assert that @a and @b give the same stats and histogram, @b
 * claiming exactly its distinct keys (a compact copy of @a). */
void hc_test_same_figures(const hc_table *a, const hc_table *b);

/*
 * Hostile copies of the compact file @path (tests/check_compact*.c):
 * every truncation, one byte more, and each of its first @hdr bytes
 * flipped are refused by hc_table_open; @rounds copies with garbage in
 * the body behind the header (runs of 0 or 0xff, or flipped bytes) go
 * to @read_all, which makes every read and checks they fail cleanly.
 */
void hc_test_compact_refused(const char *path, size_t hdr);
/* Each of @nf changes @edit(h, f) to the header of the compact file
 * @path, with the header check made right, is refused: HC_ECORRUPT. */
struct hc__cheader;
void hc_test_compact_fields(const char *path, int nf,
			    void (*edit)(struct hc__cheader *h, int f));
void hc_test_compact_garbage(const char *path, size_t hdr, int rounds,
			     uint64_t seed, void (*read_all)(const char *bad));
/* Every read a tool makes of the damaged compact file @path, if it
 * opens: stats, histogram, a walk touching each key's last byte, @gets
 * (point gets of the caller's keys), a merge into a small table of the
 * same sort of key; each returns a status, none crashes; and verify
 * says HC_ECORRUPT. */
void hc_test_compact_reads(const char *path, void (*gets)(const hc_table *t));

#endif /* HC_TEST_H */
