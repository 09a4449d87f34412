/* SPDX-License-Identifier: MIT */
/*
 * hcstress.c - hammer one table from many forked workers, inject faults,
 * and prove what survived (issue 3).
 *
 * WHAT A RUN IS
 *
 * --workers processes (more than cores is the point) each add a
 * deterministic stream of (key, delta) operations, derived from --seed
 * and the worker's number, in batches of --batch.  Keys are ids drawn
 * from a distribution over --keyspace ids (uniform, Zipf, a few hot
 * ones) mapped to integer keys (id 0 is key 0, id 1 is UINT64_MAX) or to
 * byte strings of mixed lengths (common.h, st_key_u64/st_key_bytes).
 *
 * HOW THE VERIFIER KNOWS WHAT SHOULD BE THERE
 *
 * Each worker publishes two words in its own cache line of a shared
 * mapping: @hi, stored (seq_cst) before a batch touches the table, is
 * the end of the batch; @done, stored after the batch returned, is how
 * many leading operations are complete.  So whatever the moment a
 * worker dies or stops, operations [0, done) were applied and
 * [done, hi) may or may not have been (at most one batch).  In --fill
 * mode a worker also sets a bit for each operation that returned
 * HC_EFULL (changed nothing) before it publishes @done.
 *
 * The verifier regenerates every stream up to @hi and computes, per id,
 * lo = sum of deltas certainly applied and hi = lo + deltas that may
 * have been.  Exact mode passes only if every id's count lies in
 * [lo, hi] (so an id no unfinished batch touched is exact), iteration
 * returns each key once and nothing else, and hc_table_stats() agrees.
 * HogWild mode passes if no count exceeds hi, every id with lo > 0 has a
 * count > 0, and iteration is clean; it reports the fraction lost.
 *
 * FAULTS
 *   --kill K  SIGKILL K workers (chosen from the seed) when each has
 *             completed a seed-chosen number of operations, plus a
 *             random delay: the signal lands anywhere, mid-batch too.
 *   --stop    SIGSTOP one worker early and keep it stopped: the others
 *             must all finish (lock-freedom: a stopped process holds
 *             nothing anyone waits for).  The table is verified with the
 *             victim frozen, then it is continued and the table is
 *             verified again, exactly.
 *   --fill    a small table and a key space far larger than it: adds
 *             hit HC_EFULL; every add that returned HC_OK is counted.
 *   --grow    the table starts at --capacity (default 1024) and grows
 *             online while the workers add (u64 keys; design.md M1-M9);
 *             the key space defaults to 64 x the capacity, so it doubles
 *             about six times.  Combines with --kill and --stop: a
 *             victim may die or stop in the middle of a migration, and
 *             the verdict is the same as for a fixed table.
 *
 * Reproducible: the streams, the victims and their kill points follow
 * from --seed; where exactly a signal lands is up to the scheduler, and
 * the verdict must hold wherever it lands.
 *
 * Exit status: 0 verified, 1 verification failed, 2 usage or setup
 * error.  A human summary goes to stderr; one JSON line to stdout.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>

#include "hogcount.h"
#include "hc_internal.h" /* hc__add_u64, hc__add_bytes */
#include "common.h"

#define MAX_WORKERS 1024
#define MAX_BATCH 4096

/* One worker's published progress; one cache line each. */
struct wprog {
	_Atomic uint64_t done; /* operations complete */
	_Atomic uint64_t hi; /* end of the batch in flight */
	_Atomic uint64_t efull; /* operations that returned HC_EFULL */
	_Atomic int state; /* 0 forked, 1 running, 2 finished */
	int rc; /* unexpected status, or 0 */
	uint64_t t_end;
	char pad[64 - 40];
};
_Static_assert(sizeof(struct wprog) == 64, "one line per worker");

struct cfg {
	int workers;
	uint64_t ops; /* per worker; 0 with --duration */
	double duration;
	uint64_t seed;
	int dist;
	double zipf_s;
	uint64_t hot;
	double hot_frac;
	uint64_t keyspace;
	int bytes; /* byte-string keys */
	int narrow; /* narrow integer keys (HC_KEY_NARROW) */
	uint64_t capacity;
	uint64_t arena_bytes;
	int mode;
	size_t batch;
	int deltas_random;
	int kill;
	int stop;
	int fill;
	int grow;
	double kill_every; /* --kill-every: seconds between kills */
	int storm; /* --storm: SIGSTOP/SIGCONT storm */
	int hostile; /* --hostile: a neighbour scribbles on the mapping */
	double scribble_us; /* --hostile: microseconds between words */
	double scribble_hdr; /* --hostile: % of them into the header */
	double timeout;
	int quiet;
	size_t cache; /* --cache: keys of a delta cache per worker, or 0 */
};

struct shared {
	struct st_barrier bar;
	_Atomic uint64_t gate; /* --stop: the others may start */
	_Atomic uint64_t released; /* --stop: the victim may finish */
	struct wprog w[];
};

/* What a worker is for: victims never finish on their own, so that a
 * slow parent cannot miss them. */
enum role { R_NORMAL = 0, R_KILL = 1, R_STOP = 2 };

struct ctx {
	struct cfg c;
	struct st_dist dist;
	uint64_t salt;
	hc_table *t;
	struct shared *sh;
	size_t sh_bytes;
	int *role; /* enum role, per worker; set before fork */
	uint64_t *fail; /* --fill: per worker, a bit per op */
	uint64_t fail_words; /* words per worker */
	size_t fail_bytes;
	hc_cache *cache; /* --cache: this worker's (after fork) */
	int nstreams; /* streams started so far (workers + replacements) */
	int max_streams;
};

/* The integer key of id @id, and its inverse (common.h). */
static inline uint64_t key_of(const struct ctx *x, uint64_t id)
{
	return st_key_int(x->c.narrow, id, x->salt);
}

static inline uint64_t id_of(const struct ctx *x, uint64_t key)
{
	return st_key_int_id(x->c.narrow, key, x->salt, x->c.keyspace);
}

/* ---- the streams -------------------------------------------------------- */

/* Operation j of a worker's stream: the same draws in the worker and in
 * the verifier. */
static inline void gen_op(const struct ctx *x, struct st_rng *r, uint64_t *id,
			  uint64_t *delta)
{
	*id = st_dist_next(&x->dist, r);
	*delta = x->c.deltas_random ? 1 + st_rng_below(r, 1000) : 1;
}

static inline void fail_set(struct ctx *x, int w, uint64_t j)
{
	x->fail[(uint64_t)w * x->fail_words + j / 64] |= UINT64_C(1)
							 << (j % 64);
}

static inline int fail_get(const struct ctx *x, int w, uint64_t j)
{
	if (!x->fail)
		return 0;
	return (x->fail[(uint64_t)w * x->fail_words + j / 64] >> (j % 64)) & 1;
}

/* ---- the worker --------------------------------------------------------- */

/* Apply n operations starting at stream position @base.  HC_EFULL is
 * recorded per operation (--fill) and the rest of the batch goes on. */
static int apply_batch(struct ctx *x, int w, uint64_t base, const uint64_t *ids,
		       const uint64_t *deltas, size_t n)
{
	static uint64_t keys[MAX_BATCH];
	static unsigned char kbuf[MAX_BATCH][ST_KEY_BYTES_CAP];
	static const void *kptr[MAX_BATCH];
	static size_t klen[MAX_BATCH];
	size_t i = 0, done;
	int rc;

	for (i = 0; i < n; i++) {
		if (x->c.bytes) {
			klen[i] = st_key_bytes(ids[i], x->salt, kbuf[i]);
			kptr[i] = kbuf[i];
		} else {
			keys[i] = key_of(x, ids[i]);
		}
	}
	if (x->cache) /* the table's mode; errors end the run */
		return x->c.bytes
			       ? hc_cache_add_bytes_batch(x->cache, kptr, klen,
							  deltas, n, &done)
			       : hc_cache_add_batch(x->cache, keys, deltas, n,
						    &done);
	i = 0;
	while (i < n) {
		if (n == 1 && x->c.bytes)
			rc = hc__add_bytes(x->t, kptr[0], klen[0], deltas[0],
					   x->c.mode);
		else if (n == 1)
			rc = hc__add_u64(x->t, keys[0], deltas[0], x->c.mode);
		else if (x->c.bytes)
			rc = hc_add_bytes_batch(x->t, kptr + i, klen + i,
						deltas + i, n - i, &done);
		else
			rc = hc_add_batch_mode(x->t, keys + i, deltas + i,
					       n - i, &done, x->c.mode);
		if (n == 1)
			done = rc == HC_OK ? 1 : 0;
		if (rc == HC_OK)
			return HC_OK;
		if (rc != HC_EFULL || !x->c.fill)
			return rc;
		/* keys[i + done] changed nothing; the ones before it were
		 * added; go on after it. */
		fail_set(x, w, base + i + done);
		atomic_fetch_add_explicit(&x->sh->w[w].efull, 1,
					  memory_order_relaxed);
		i += done + 1;
	}
	return HC_OK;
}

static int worker(int w, void *arg)
{
	struct ctx *x = arg;
	struct wprog *p = &x->sh->w[w];
	static uint64_t ids[MAX_BATCH], deltas[MAX_BATCH];
	struct st_rng rng;
	uint64_t pos = 0;
	int rc = HC_OK, role = x->role[w];

	st_rng_seed(&rng, x->c.seed, (uint64_t)w);
	/* Below the parent, so that it gets the CPU when a kill or stop
	 * point comes, even with many more workers than cores.  Relative to
	 * the parent's niceness, so that `nice -n 19 hcstress` run as root
	 * does not raise the workers above the machine's other jobs. */
	{
		int nv;

		errno = 0;
		nv = getpriority(PRIO_PROCESS, 0);
		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, 0,
					  nv + 10 > 19 ? 19 : nv + 10);
	}
	if (x->c.cache) /* a failure ends the stream at once (below) */
		rc = hc_cache_create(&x->cache, x->t, x->c.cache, 0);
	atomic_store(&p->state, 1);
	st_barrier_wait(&x->sh->bar);
	/* --stop: everyone but the victim starts once it is stopped, so
	 * that all their work happens while it is frozen mid-update. */
	if (x->c.stop && role != R_STOP)
		while (!atomic_load_explicit(&x->sh->gate,
					     memory_order_acquire))
			st_sleep_ns(100000);
	while (rc == HC_OK) {
		size_t n = x->c.batch, i;

		if (role == R_STOP && !x->c.fill) {
			/* Runs until stopped, continued and released. */
			if (atomic_load(&x->sh->released))
				break;
		} else if (role == R_KILL && !x->c.fill) {
			/* Runs until killed. */
		} else if (x->c.ops) {
			if (pos >= x->c.ops)
				break;
			if (x->c.ops - pos < n)
				n = (size_t)(x->c.ops - pos);
		} else if (atomic_load_explicit(&x->sh->bar.stop,
						memory_order_relaxed)) {
			break;
		}
		for (i = 0; i < n; i++)
			gen_op(x, &rng, &ids[i], &deltas[i]);
		/* Publish the batch's end before touching the table: a
		 * worker killed from here on may have applied any part of
		 * [done, hi), nothing beyond. */
		atomic_store(&p->hi, pos + n);
		rc = apply_batch(x, w, pos, ids, deltas, n);
		if (rc != HC_OK)
			break;
		pos += n;
		atomic_store_explicit(&p->done, pos, memory_order_release);
	}
	if (x->cache) {
		/* The last flush: every op of the stream is in the table. */
		int frc = hc_cache_destroy(x->cache);

		if (rc == HC_OK)
			rc = frc;
	}
	p->rc = rc;
	p->t_end = st_now_ns();
	atomic_store(&p->state, 2);
	return rc == HC_OK ? 0 : 1;
}

/* ---- verification ------------------------------------------------------- */

struct vres {
	uint64_t keys_exact; /* ids no unfinished batch touched */
	uint64_t keys_bounded; /* ids an unfinished batch touched */
	uint64_t bad; /* ids outside their bounds */
	uint64_t lo_total, hi_total, actual_total;
	uint64_t entries; /* from iteration */
	uint64_t iter_bad; /* unknown, duplicate or mismatched entries */
	uint64_t maybe_ops; /* ops in unfinished batches */
	uint64_t max_inflight;
	uint64_t failed_ops; /* --fill: HC_EFULL */
	int stats_ok;
	uint64_t first_bad_id;
	uint64_t first_bad_count, first_bad_lo, first_bad_hi;
	int pass;
};

static int get_count(const struct ctx *x, uint64_t id, uint64_t *count)
{
	unsigned char buf[ST_KEY_BYTES_CAP];

	if (x->c.bytes) {
		size_t len = st_key_bytes(id, x->salt, buf);

		return hc_get_bytes(x->t, buf, len, count);
	}
	return hc_get(x->t, key_of(x, id), count);
}

/* The id of an entry, or UINT64_MAX if no stream could have made it. */
static uint64_t entry_id(const struct ctx *x, const hc_entry *e)
{
	unsigned char buf[ST_KEY_BYTES_CAP];
	uint64_t id;

	if (!x->c.bytes)
		return id_of(x, e->key);
	if (!e->bytes || e->len == 0 || e->len > ST_KEY_BYTES_CAP)
		return UINT64_MAX;
	id = st_key_bytes_id(e->bytes, e->len);
	if (id >= x->c.keyspace || st_key_bytes(id, x->salt, buf) != e->len ||
	    memcmp(buf, e->bytes, e->len) != 0)
		return UINT64_MAX;
	return id;
}

/*
 * Check the table against the streams: worker w certainly applied ops
 * [0, done[w]) except those marked failed, and maybe [done[w], hi[w]).
 * The table must be quiescent (every writer dead, finished or stopped).
 */
static void verify(const struct ctx *x, const uint64_t *done,
		   const uint64_t *hi, struct vres *v)
{
	uint64_t K = x->c.keyspace, id;
	uint64_t *lo = calloc(K, sizeof(*lo));
	uint64_t *up = calloc(K, sizeof(*up));
	uint64_t *act = calloc(K, sizeof(*act));
	unsigned char *seen = calloc(K, 1);
	hc_iter *it = NULL;
	hc_entry e;
	hc_stats st;
	uint64_t distinct = 0;
	int w, rc;

	memset(v, 0, sizeof(*v));
	v->first_bad_id = UINT64_MAX;
	if (!lo || !up || !act || !seen)
		st_die("verify: out of memory for %" PRIu64 " ids", K);
	for (w = 0; w < x->nstreams; w++) {
		struct st_rng rng;
		uint64_t j, d;

		st_rng_seed(&rng, x->c.seed, (uint64_t)w);
		for (j = 0; j < hi[w]; j++) {
			gen_op(x, &rng, &id, &d);
			if (j < done[w] && fail_get(x, w, j)) {
				v->failed_ops++;
				continue;
			}
			up[id] += d;
			if (j < done[w])
				lo[id] += d;
			else
				v->maybe_ops++;
		}
		if (hi[w] - done[w] > v->max_inflight)
			v->max_inflight = hi[w] - done[w];
	}
	for (id = 0; id < K; id++) {
		int ok;

		rc = get_count(x, id, &act[id]);
		if (rc)
			st_die("hc_get(id %" PRIu64 "): %s", id,
			       hc_strerror(rc));
		v->lo_total += lo[id];
		v->hi_total += up[id];
		v->actual_total += act[id];
		distinct += act[id] != 0;
		if (lo[id] == up[id])
			v->keys_exact += lo[id] != 0;
		else
			v->keys_bounded++;
		if (x->c.mode == HC_MODE_EXACT)
			ok = act[id] >= lo[id] && act[id] <= up[id];
		else
			ok = act[id] <= up[id] && (lo[id] == 0 || act[id] > 0);
		if (!ok) {
			if (v->bad++ == 0) {
				v->first_bad_id = id;
				v->first_bad_count = act[id];
				v->first_bad_lo = lo[id];
				v->first_bad_hi = up[id];
			}
		}
	}
	/* Iteration: every entry is a key some stream made, seen once,
	 * with the count hc_get() gives. */
	rc = hc_iter_create(x->t, &it);
	if (rc)
		st_die("hc_iter_create: %s", hc_strerror(rc));
	while ((rc = hc_iter_next(it, &e)) == 1) {
		id = entry_id(x, &e);
		v->entries++;
		if (id == UINT64_MAX || seen[id] || e.count != act[id]) {
			v->iter_bad++;
			continue;
		}
		seen[id] = 1;
	}
	if (rc < 0)
		v->iter_bad++;
	hc_iter_destroy(it);
	if (v->entries != distinct)
		v->iter_bad++;
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	rc = hc_table_stats(x->t, &st);
	v->stats_ok = rc == HC_OK && st.total == v->actual_total &&
		      st.distinct == distinct;
	v->pass = v->bad == 0 && v->iter_bad == 0 && v->stats_ok;
	free(lo);
	free(up);
	free(act);
	free(seen);
}

static void vres_json(char *buf, size_t cap, const struct vres *v)
{
	snprintf(buf, cap,
		 "{\"pass\":%s,\"keys_exact\":%" PRIu64
		 ",\"keys_bounded\":%" PRIu64 ",\"bad_keys\":%" PRIu64
		 ",\"iter_bad\":%" PRIu64 ",\"stats_ok\":%s"
		 ",\"entries\":%" PRIu64 ",\"expected_min\":%" PRIu64
		 ",\"expected_max\":%" PRIu64 ",\"actual\":%" PRIu64
		 ",\"maybe_ops\":%" PRIu64 ",\"max_inflight\":%" PRIu64
		 ",\"failed_ops\":%" PRIu64 "}",
		 v->pass ? "true" : "false", v->keys_exact, v->keys_bounded,
		 v->bad, v->iter_bad, v->stats_ok ? "true" : "false",
		 v->entries, v->lo_total, v->hi_total, v->actual_total,
		 v->maybe_ops, v->max_inflight, v->failed_ops);
}

static void vres_print(const char *what, const struct cfg *c,
		       const struct vres *v)
{
	fprintf(stderr,
		"%s: %s. %" PRIu64 " keys %s, %" PRIu64
		" bounded by unfinished batches (%" PRIu64
		" ops, at most %" PRIu64 " per worker); sum %" PRIu64
		" in [%" PRIu64 ", %" PRIu64 "]; %" PRIu64
		" entries iterated, %" PRIu64 " bad; stats %s\n",
		what, v->pass ? "PASS" : "FAIL", v->keys_exact,
		c->mode == HC_MODE_EXACT ? "exact" : "within HogWild bounds",
		v->keys_bounded, v->maybe_ops, v->max_inflight, v->actual_total,
		v->lo_total, v->hi_total, v->entries, v->iter_bad,
		v->stats_ok ? "agree" : "DISAGREE");
	if (v->bad)
		fprintf(stderr,
			"%s: %" PRIu64 " ids out of bounds; first: id %" PRIu64
			" count %" PRIu64 " not in [%" PRIu64 ", %" PRIu64
			"] (%s mode)\n",
			what, v->bad, v->first_bad_id, v->first_bad_count,
			v->first_bad_lo, v->first_bad_hi,
			c->mode == HC_MODE_EXACT ? "exact" : "hogwild");
	if (v->failed_ops)
		fprintf(stderr, "%s: %" PRIu64 " adds returned HC_EFULL\n",
			what, v->failed_ops);
}

/* ---- options ------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: hcstress [options]\n"
		"  --workers N        forked workers (default 8)\n"
		"  --ops N            operations per worker (default 100k)\n"
		"  --duration S       or run S seconds\n"
		"  --seed N           streams, victims, kill points "
		"(default 1)\n"
		"  --dist D           uniform | zipf | hot (default "
		"uniform)\n"
		"  --zipf-s X         Zipf exponent (default 1.0)\n"
		"  --hot N            hot keys (default 4)\n"
		"  --hot-frac F       share of ops on them (default 0.9)\n"
		"  --keyspace N       distinct ids (default capacity/2)\n"
		"  --keys K           u64 | narrow | bytes (default u64)\n"
		"  --capacity N       table slots (default 65536; "
		"--fill: 4096)\n"
		"  --arena-bytes N    key area, bytes keys (default "
		"160 x keyspace)\n"
		"  --mode M           exact | hogwild (default exact)\n"
		"  --batch N          ops per call, 1 = single adds "
		"(default 64)\n"
		"  --deltas D         one | random (1..1000) (default one)\n"
		"  --kill K           SIGKILL K workers mid-run\n"
		"  --stop             SIGSTOP one worker for the whole run\n"
		"  --fill             exhaust the table (needs --ops)\n"
		"  --grow             start small and grow online (u64)\n"
		"  --kill-every S     soak: SIGKILL a random worker every "
		"S s (0.5S..1.5S)\n"
		"                     and fork a replacement with a new "
		"stream (--duration)\n"
		"  --storm            soak: SIGSTOP and SIGCONT random "
		"workers every few ms\n"
		"  --hostile          a named table; a neighbour scribbles "
		"random words on it\n"
		"                     while the workers add, get and "
		"iterate (--duration):\n"
		"                     nobody may crash or hang; counts "
		"are not checked\n"
		"  --scribble-us X    --hostile: microseconds between "
		"words (default 100)\n"
		"  --scribble-header P  --hostile: %% of them into the "
		"header page (default 2)\n"
		"  --timeout S        survivors must finish within S "
		"(default 120;\n"
		"                     --duration: S after the end)\n"
		"  --cache N          add through a delta cache of N keys per "
		"worker\n"
		"                     (hc_cache_create; flushed at the end)\n"
		"  --quiet            JSON line only\n");
	exit(2);
}

static void parse(struct cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, 0, 'w' },
		{ "ops", required_argument, 0, 'o' },
		{ "duration", required_argument, 0, 'd' },
		{ "seed", required_argument, 0, 's' },
		{ "dist", required_argument, 0, 'D' },
		{ "zipf-s", required_argument, 0, 'z' },
		{ "hot", required_argument, 0, 'H' },
		{ "hot-frac", required_argument, 0, 'F' },
		{ "keyspace", required_argument, 0, 'K' },
		{ "keys", required_argument, 0, 'k' },
		{ "capacity", required_argument, 0, 'c' },
		{ "arena-bytes", required_argument, 0, 'a' },
		{ "mode", required_argument, 0, 'm' },
		{ "batch", required_argument, 0, 'b' },
		{ "deltas", required_argument, 0, 'e' },
		{ "kill", required_argument, 0, 'x' },
		{ "stop", no_argument, 0, 'S' },
		{ "fill", no_argument, 0, 'f' },
		{ "grow", no_argument, 0, 'g' },
		{ "kill-every", required_argument, 0, 'E' },
		{ "storm", no_argument, 0, 'T' },
		{ "hostile", no_argument, 0, 'Y' },
		{ "scribble-us", required_argument, 0, 'U' },
		{ "scribble-header", required_argument, 0, 'V' },
		{ "timeout", required_argument, 0, 't' },
		{ "quiet", no_argument, 0, 'q' },
		{ "cache", required_argument, 0, 'C' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int ch;

	memset(c, 0, sizeof(*c));
	c->workers = 8;
	c->ops = 100000;
	c->seed = 1;
	c->dist = ST_UNIFORM;
	c->zipf_s = 1.0;
	c->hot = 4;
	c->hot_frac = 0.9;
	c->mode = HC_MODE_EXACT;
	c->batch = 64;
	c->timeout = 120;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			c->workers = (int)st_parse_u64("workers", optarg);
			break;
		case 'o':
			c->ops = st_parse_u64("ops", optarg);
			break;
		case 'd':
			c->duration = st_parse_double("duration", optarg);
			c->ops = 0;
			break;
		case 's':
			c->seed = st_parse_u64("seed", optarg);
			break;
		case 'D':
			c->dist = st_dist_parse(optarg);
			if (!c->dist || c->dist == ST_RAW64)
				st_die("--dist: uniform, zipf or hot");
			break;
		case 'z':
			c->zipf_s = st_parse_double("zipf-s", optarg);
			break;
		case 'H':
			c->hot = st_parse_u64("hot", optarg);
			break;
		case 'F':
			c->hot_frac = st_parse_double("hot-frac", optarg);
			break;
		case 'K':
			c->keyspace = st_parse_u64("keyspace", optarg);
			break;
		case 'k':
			c->bytes = !strcmp(optarg, "bytes");
			c->narrow = !strcmp(optarg, "narrow");
			if (!c->bytes && !c->narrow && strcmp(optarg, "u64"))
				st_die("--keys: u64, narrow or bytes");
			break;
		case 'c':
			c->capacity = st_parse_u64("capacity", optarg);
			break;
		case 'a':
			c->arena_bytes = st_parse_u64("arena-bytes", optarg);
			break;
		case 'm':
			if (!strcmp(optarg, "exact"))
				c->mode = HC_MODE_EXACT;
			else if (!strcmp(optarg, "hogwild"))
				c->mode = HC_MODE_HOGWILD;
			else
				st_die("--mode: exact or hogwild");
			break;
		case 'b':
			c->batch = (size_t)st_parse_u64("batch", optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "one"))
				c->deltas_random = 0;
			else if (!strcmp(optarg, "random"))
				c->deltas_random = 1;
			else
				st_die("--deltas: one or random");
			break;
		case 'x':
			c->kill = (int)st_parse_u64("kill", optarg);
			break;
		case 'S':
			c->stop = 1;
			break;
		case 'g':
			c->grow = 1;
			break;
		case 'f':
			c->fill = 1;
			break;
		case 'E':
			c->kill_every = st_parse_double("kill-every", optarg);
			break;
		case 'T':
			c->storm = 1;
			break;
		case 'Y':
			c->hostile = 1;
			break;
		case 'U':
			c->scribble_us = st_parse_double("scribble-us", optarg);
			break;
		case 'V':
			c->scribble_hdr =
				st_parse_double("scribble-header", optarg);
			break;
		case 't':
			c->timeout = st_parse_double("timeout", optarg);
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'C':
			c->cache = (size_t)st_parse_u64("cache", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (c->workers < 1 || c->workers > MAX_WORKERS)
		st_die("--workers: 1..%d", MAX_WORKERS);
	if (c->batch < 1 || c->batch > MAX_BATCH)
		st_die("--batch: 1..%d", MAX_BATCH);
	if (!c->ops && c->duration <= 0)
		st_die("--ops or --duration: more than 0");
	if (c->fill && !c->ops)
		st_die("--fill needs --ops");
	if (c->kill < 0 || c->kill > c->workers - (c->stop ? 1 : 0))
		st_die("--kill: at most the number of workers");
	if (c->stop && c->workers < 2)
		st_die("--stop needs at least 2 workers");
	if (c->hostile && (c->ops || c->fill || c->stop || c->kill ||
			   c->kill_every > 0 || c->storm))
		st_die("--hostile: with --duration and no other fault");
	if (c->scribble_us <= 0)
		c->scribble_us = 100;
	if (c->scribble_hdr <= 0)
		c->scribble_hdr = 2;
	if ((c->kill_every > 0 || c->storm) &&
	    (c->ops || c->fill || c->stop || c->kill))
		st_die("--kill-every and --storm: with --duration, not with "
		       "--fill, --stop or --kill");
	if (c->kill_every < 0)
		st_die("--kill-every: more than 0 seconds");
	if (c->cache && (c->kill || c->kill_every > 0 || c->fill ||
			 c->hostile || c->stop || c->batch < 2))
		st_die("--cache: with --batch of 2 or more, not with --kill, "
		       "--kill-every, --stop, --fill or --hostile (their "
		       "checks count a worker's finished batches as in the "
		       "table; a cache holds them until it flushes)");
	if (c->grow && (c->bytes || c->fill))
		st_die("--grow: integer keys (u64, narrow), and not with "
		       "--fill");
	if (!c->capacity)
		c->capacity = c->fill ? 4096 : c->grow ? 1024 : 65536;
	if (!c->keyspace)
		c->keyspace =
			c->fill || c->grow ? 64 * c->capacity : c->capacity / 2;
	if (c->keyspace < 2)
		c->keyspace = 2;
	if (c->fill && c->dist != ST_UNIFORM)
		fprintf(stderr, "hcstress: --fill fills fastest with "
				"--dist uniform\n");
	if (c->bytes && !c->arena_bytes)
		c->arena_bytes = c->fill ? 64 * c->capacity : 160 * c->keyspace;
}

/* Nanoseconds from @t to @now; 0 if @t is later (set after @now was
 * read). */
static inline uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

/* ---- --hostile: a neighbour with write access ------------------------- */

/*
 * The processes of a --hostile run: worker 0 scribbles, then readers and
 * adders alternate.  Each attaches the named table itself, as an
 * unrelated process would, and beats @done after every operation; @efull
 * counts the operations that returned an error (allowed: a scribbled
 * table may say HC_ECORRUPT, HC_EFULL, HC_ENOMEM).  The run passes if
 * every process exits by itself, none crashes (ASan: none reads out of
 * bounds) and none stops beating for long (none loops forever).
 */
enum { H_SCRIBBLER = 0, H_READER = 1, H_ADDER = 2 };

static char hostile_name[64];

static int hostile_role(int w)
{
	return w == 0 ? H_SCRIBBLER : w % 2 ? H_READER : H_ADDER;
}

static void beat(struct wprog *p, int rc)
{
	atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
	if (rc < 0) {
		atomic_fetch_add_explicit(&p->efull, 1, memory_order_relaxed);
		p->rc = rc;
	}
}

/* Touch every byte of an entry's key, so that a pointer out of the
 * mapping faults here rather than goes unnoticed. */
static unsigned touch(const hc_entry *e)
{
	const volatile unsigned char *b = e->bytes;
	unsigned sum = 0;

	for (size_t i = 0; b && i < e->len; i++)
		sum += b[i];
	return sum;
}

static int scribbler(struct ctx *x, struct wprog *p, struct st_rng *r)
{
	int fd = shm_open(hostile_name, O_RDWR, 0);
	struct stat st;
	uint64_t *m = NULL, words = 0, n = 0;
	size_t len = 0;

	if (fd < 0)
		return 3;
	while (!atomic_load_explicit(&x->sh->bar.stop, memory_order_relaxed)) {
		uint64_t off, v, k;

		if (n++ % 256 == 0 && fstat(fd, &st) == 0 &&
		    (size_t)st.st_size != len) {
			/* The table grew: map all of it again. */
			if (m)
				munmap(m, len);
			len = (size_t)st.st_size;
			m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			if (m == MAP_FAILED)
				return 3;
			words = len / 8;
		}
		/* --scribble-header % of the words into the header page
		 * (its mutable half: pins, cur, generations, bump pointer;
		 * and its checksummed half), the rest anywhere: slots, key
		 * area, later generations, migration marks. */
		k = st_rng_below(r, 1000);
		off = k < (uint64_t)(x->c.scribble_hdr * 10)
			      ? st_rng_below(r, 512)
			      : st_rng_below(r, words);
		switch (st_rng_below(r, 6)) {
		case 0:
			v = st_rng_next(r);
			break;
		case 1:
			v = st_rng_below(r, 4096);
			break;
		case 2:
			v = st_rng_below(r, 2 * (uint64_t)len / 4096 + 1) *
			    4096;
			break;
		case 3:
			v = 0;
			break;
		case 4:
			v = UINT64_MAX - st_rng_below(r, 16);
			break;
		default:
			v = m[off] ^ (UINT64_C(1) << st_rng_below(r, 64));
		}
		((volatile uint64_t *)m)[off] = v;
		beat(p, 0);
		st_sleep_ns((uint64_t)(x->c.scribble_us * 1000));
	}
	if (m)
		munmap(m, len);
	close(fd);
	return 0;
}

static int hostile_reader(struct ctx *x, struct wprog *p, struct st_rng *r)
{
	hc_table *t = NULL;
	unsigned sink = 0;
	int rc;

	rc = hc_table_attach(&t, hostile_name, HC_OPEN_RDWR);
	st_barrier_wait(&x->sh->bar);
	if (rc)
		return 4;
	while (!atomic_load_explicit(&x->sh->bar.stop, memory_order_relaxed)) {
		uint64_t k = st_rng_below(r, 100), id, cnt, hist[64];
		unsigned char buf[ST_KEY_BYTES_CAP];
		hc_iter *it = NULL;
		hc_entry e;
		hc_stats hs;

		if (k < 60) {
			id = st_dist_next(&x->dist, r);
			if (x->c.bytes)
				rc = hc_get_bytes(
					t, buf, st_key_bytes(id, x->salt, buf),
					&cnt);
			else
				rc = hc_get(t, key_of(x, id), &cnt);
		} else if (k < 75) {
			rc = hc_iter_create(t, &it);
			while (!rc && (rc = hc_iter_next(it, &e)) == 1) {
				sink += touch(&e);
				rc = 0;
			}
			hc_iter_destroy(it);
		} else if (k < 85) {
			memset(&hs, 0, sizeof(hs));
			hs.size = sizeof(hs);
			rc = hc_table_stats(t, &hs);
		} else if (k < 95) {
			rc = hc_histo(t, hist, 64);
		} else {
			/* Attach again: the checks of a fresh handle run
			 * on whatever the header holds now. */
			hc_table *t2 = NULL;

			rc = hc_table_attach(&t2, hostile_name,
					     k & 1 ? HC_OPEN_RDONLY
						   : HC_OPEN_RDWR);
			if (!rc) {
				hc_table_close(t);
				t = t2;
			}
		}
		beat(p, rc);
	}
	hc_table_close(t);
	return sink == 0xdeadbeef ? 0 : 0;
}

static int hostile_adder(struct ctx *x, struct wprog *p, struct st_rng *r)
{
	static uint64_t keys[MAX_BATCH], deltas[MAX_BATCH];
	static unsigned char kbuf[MAX_BATCH][ST_KEY_BYTES_CAP];
	static const void *kptr[MAX_BATCH];
	static size_t klen[MAX_BATCH];
	hc_table *t = NULL;
	size_t n = x->c.batch, done;
	int rc;

	rc = hc_table_attach(&t, hostile_name, HC_OPEN_RDWR);
	st_barrier_wait(&x->sh->bar);
	if (rc)
		return 4;
	while (!atomic_load_explicit(&x->sh->bar.stop, memory_order_relaxed)) {
		for (size_t i = 0; i < n; i++) {
			uint64_t id = st_dist_next(&x->dist, r);

			deltas[i] = 1;
			if (x->c.bytes) {
				klen[i] = st_key_bytes(id, x->salt, kbuf[i]);
				kptr[i] = kbuf[i];
			} else {
				keys[i] = key_of(x, id);
			}
		}
		if (x->c.bytes)
			rc = hc_add_bytes_batch_mode(t, kptr, klen, deltas, n,
						     &done, x->c.mode);
		else
			rc = hc_add_batch_mode(t, keys, deltas, n, &done,
					       x->c.mode);
		beat(p, rc);
	}
	hc_table_close(t);
	return 0;
}

static int hostile_worker(int w, void *arg)
{
	struct ctx *x = arg;
	struct wprog *p = &x->sh->w[w];
	struct st_rng rng;

	st_rng_seed(&rng, x->c.seed, (uint64_t)w);
	switch (hostile_role(w)) {
	case H_SCRIBBLER:
		st_barrier_wait(&x->sh->bar);
		return scribbler(x, p, &rng);
	case H_READER:
		return hostile_reader(x, p, &rng);
	default:
		return hostile_adder(x, p, &rng);
	}
}

static int run_hostile(struct ctx *x)
{
	struct cfg *c = &x->c;
	hc_options o;
	pid_t pids[MAX_WORKERS];
	int status[MAX_WORKERS], reaped[MAX_WORKERS], running, i, rc;
	uint64_t last[MAX_WORKERS], last_t[MAX_WORKERS], t0, now;
	uint64_t ops[3] = { 0, 0, 0 }, errs[3] = { 0, 0, 0 };
	uint64_t stuck_ns = (uint64_t)(c->timeout / 4 * 1e9);
	int crashed = 0, hung = 0, stuck = 0;
	struct st_json j;

	if (c->workers < 3)
		st_die("--hostile: at least 3 workers (a scribbler, a reader, "
		       "an adder)");
	snprintf(hostile_name, sizeof(hostile_name), "/hcstress-hostile-%ld",
		 (long)getpid());
	hc_options_init(&o);
	o.key_kind = c->bytes	 ? HC_KEY_BYTES
		     : c->narrow ? HC_KEY_NARROW
				 : HC_KEY_U64;
	o.key_bits = ST_NARROW_BITS;
	o.mode = c->mode;
	o.capacity = c->capacity;
	o.arena_bytes = c->arena_bytes;
	o.seed = c->seed;
	o.grow = c->grow ? HC_GROW_ON : HC_GROW_OFF;
	rc = hc_table_create_shm(&x->t, hostile_name, &o);
	if (rc)
		st_die("hc_table_create_shm: %s", hc_strerror(rc));
	x->sh_bytes = sizeof(struct shared) +
		      (size_t)c->workers * sizeof(struct wprog);
	x->sh = st_shared_alloc(x->sh_bytes);
	if (!c->quiet)
		fprintf(stderr,
			"hcstress --hostile: %d processes (1 scribbler, %d "
			"readers, %d adders), %s keys, %s%s, a word every "
			"%.0f us, %.0f s\n",
			c->workers, c->workers / 2, (c->workers - 1) / 2,
			c->bytes    ? "byte"
			: c->narrow ? "narrow"
				    : "u64",
			c->mode == HC_MODE_EXACT ? "exact" : "hogwild",
			c->grow ? ", growing" : "", c->scribble_us,
			c->duration);
	for (i = 0; i < c->workers; i++) {
		pids[i] = st_spawn(hostile_worker, i, x);
		reaped[i] = 0;
		status[i] = 0;
		last[i] = 0;
	}
	st_barrier_release(&x->sh->bar, (uint64_t)c->workers);
	t0 = st_now_ns();
	for (i = 0; i < c->workers; i++)
		last_t[i] = t0;
	running = c->workers;
	while (running > 0) {
		pid_t pd;
		int st;

		while ((pd = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < c->workers; i++)
				if (pids[i] == pd && !reaped[i]) {
					reaped[i] = 1;
					status[i] =
						WIFEXITED(st)
							? WEXITSTATUS(st)
							: 128 + WTERMSIG(st);
					running--;
				}
		now = st_now_ns();
		if (since(now, t0) >= (uint64_t)(c->duration * 1e9))
			atomic_store(&x->sh->bar.stop, 1);
		for (i = 0; i < c->workers; i++) {
			uint64_t d = atomic_load(&x->sh->w[i].done);

			if (reaped[i])
				continue;
			if (d != last[i]) {
				last[i] = d;
				last_t[i] = now;
			} else if (since(now, last_t[i]) > stuck_ns) {
				fprintf(stderr,
					"hcstress --hostile: process %d (%s) "
					"made no progress for %.0f s: killed\n",
					i,
					hostile_role(i) == H_READER ? "reader"
					: hostile_role(i) == H_ADDER
						? "adder"
						: "scribbler",
					(double)stuck_ns / 1e9);
				kill(pids[i], SIGKILL);
				stuck++;
				last_t[i] = UINT64_MAX / 2;
			}
		}
		if (since(now, t0) >
			    (uint64_t)((c->duration + c->timeout) * 1e9) &&
		    !hung) {
			for (i = 0; i < c->workers; i++)
				if (!reaped[i]) {
					kill(pids[i], SIGKILL);
					hung++;
				}
		}
		st_sleep_ns(1000000);
	}
	for (i = 0; i < c->workers; i++) {
		int role = hostile_role(i);

		ops[role] += atomic_load(&x->sh->w[i].done);
		errs[role] += atomic_load(&x->sh->w[i].efull);
		if (!c->quiet && x->sh->w[i].rc)
			fprintf(stderr,
				"hcstress --hostile: process %d: last error "
				"%s\n",
				i, hc_errname(x->sh->w[i].rc));
		if (status[i] != 0) {
			crashed++;
			fprintf(stderr,
				"hcstress --hostile: process %d exit %d%s\n", i,
				status[i],
				status[i] > 128	 ? " (killed by a signal)"
				: status[i] == 4 ? " (could not attach)"
						 : "");
		}
	}
	hc_table_close(x->t);
	hc_shm_unlink(hostile_name);
	if (!c->quiet)
		fprintf(stderr,
			"hcstress --hostile: %s. %" PRIu64
			" words scribbled; readers %" PRIu64 " ops (%" PRIu64
			" errors), adders %" PRIu64 " batches (%" PRIu64
			" errors); %d crashed, %d stuck\n",
			crashed || stuck || hung ? "FAIL" : "PASS",
			ops[H_SCRIBBLER], ops[H_READER], errs[H_READER],
			ops[H_ADDER], errs[H_ADDER], crashed, stuck + hung);
	st_json_begin(&j);
	st_json_str(&j, "bench", "hcstress");
	st_json_bool(&j, "hostile", 1);
	st_json_u64(&j, "workers", (uint64_t)c->workers);
	st_json_str(&j, "keys",
		    c->bytes	? "bytes"
		    : c->narrow ? "narrow"
				: "u64");
	st_json_bool(&j, "grow", c->grow);
	st_json_f64(&j, "duration", c->duration);
	st_json_u64(&j, "scribbled", ops[H_SCRIBBLER]);
	st_json_u64(&j, "reader_ops", ops[H_READER]);
	st_json_u64(&j, "reader_errors", errs[H_READER]);
	st_json_u64(&j, "adder_batches", ops[H_ADDER]);
	st_json_u64(&j, "adder_errors", errs[H_ADDER]);
	st_json_u64(&j, "crashed", (uint64_t)crashed);
	st_json_u64(&j, "stuck", (uint64_t)(stuck + hung));
	st_json_bool(&j, "ok", !crashed && !stuck && !hung);
	st_json_end(&j);
	st_shared_free(x->sh, x->sh_bytes);
	return crashed || stuck || hung ? 1 : 0;
}

/* ---- the parent ---------------------------------------------------------- */

struct victim {
	int w;
	uint64_t at_op; /* trigger: done >= at_op ... */
	uint64_t at_ns; /* ... or, for --duration, this time */
	uint64_t delay_ns; /* then wait this long */
	int hit; /* signalled */
	uint64_t done_seen; /* progress when signalled */
};

int main(int argc, char **argv)
{
	struct ctx x;
	struct cfg *c = &x.c;
	struct st_json j;
	struct st_rng frng;
	hc_options o;
	pid_t *pids;
	int *status, *reaped, *order;
	uint64_t *done, *hi;
	struct victim kills[MAX_WORKERS], stopv;
	int nkills = 0, i, rc, running, stop_ok = 1, fatal = 0;
	int errors = 0, stopped_verified = 0, others_at_stop = 0, nkilled = 0;
	uint64_t t0, t_others = 0, now, efull = 0, total_done = 0, t_end = 0;
	uint64_t stop_inflight = 0, lost = 0, t_run0;
	double secs;
	struct vres v1, v2;
	char vbuf1[1024], vbuf2[1024], killed_list[4096];
	size_t kl = 0;
	/* --kill-every, --storm: which stream each worker slot runs now,
	 * who is stopped and until when. */
	int *slot_stream = NULL, *stopped = NULL, nstopped = 0;
	uint64_t *cont_at = NULL, next_kill = 0, next_storm = 0;
	uint64_t soak_kills = 0, storm_stops = 0;

	memset(&x, 0, sizeof(x));
	parse(c, argc, argv);
	st_check_lockfree();
	st_dist_init(&x.dist, c->dist, c->keyspace, c->zipf_s, c->hot,
		     c->hot_frac);
	x.salt = st_mix64(c->seed ^ UINT64_C(0x6b657973)); /* "keys" */
	if (c->hostile)
		return run_hostile(&x);

	hc_options_init(&o);
	o.key_kind = c->bytes	 ? HC_KEY_BYTES
		     : c->narrow ? HC_KEY_NARROW
				 : HC_KEY_U64;
	o.key_bits = ST_NARROW_BITS;
	o.mode = c->mode;
	o.capacity = c->capacity;
	o.arena_bytes = c->arena_bytes;
	o.seed = c->seed;
	o.grow = c->grow ? HC_GROW_ON : HC_GROW_OFF;
	rc = hc_table_create(&x.t, &o);
	if (rc)
		st_die("hc_table_create: %s", hc_strerror(rc));
	/* Each replacement worker runs a stream of its own, so that the
	 * verifier can tell what the killed one may have left behind. */
	x.nstreams = c->workers;
	x.max_streams = c->workers;
	if (c->kill_every > 0)
		x.max_streams += (int)(c->duration / c->kill_every * 1.6) + 16;
	x.sh_bytes = sizeof(struct shared) +
		     (size_t)x.max_streams * sizeof(struct wprog);
	x.sh = st_shared_alloc(x.sh_bytes);
	if (c->fill) {
		x.fail_words = (c->ops + 63) / 64;
		x.fail_bytes =
			(size_t)(x.fail_words * 8 * (uint64_t)c->workers);
		x.fail = st_shared_alloc(x.fail_bytes);
	}
	pids = calloc((size_t)x.max_streams, sizeof(*pids));
	status = calloc((size_t)x.max_streams, sizeof(*status));
	reaped = calloc((size_t)x.max_streams, sizeof(*reaped));
	order = calloc((size_t)c->workers, sizeof(*order));
	done = calloc((size_t)x.max_streams, sizeof(*done));
	hi = calloc((size_t)x.max_streams, sizeof(*hi));
	x.role = calloc((size_t)x.max_streams, sizeof(*x.role));
	slot_stream = calloc((size_t)c->workers, sizeof(*slot_stream));
	stopped = calloc((size_t)x.max_streams, sizeof(*stopped));
	cont_at = calloc((size_t)x.max_streams, sizeof(*cont_at));
	if (!pids || !status || !reaped || !order || !done || !hi || !x.role ||
	    !slot_stream || !stopped || !cont_at)
		st_die("out of memory");
	for (i = 0; i < c->workers; i++)
		slot_stream[i] = i;

	/* Victims and trigger points follow from the seed alone. */
	st_rng_seed(&frng, c->seed, UINT64_C(0xfa17));
	for (i = 0; i < c->workers; i++)
		order[i] = i;
	for (i = c->workers - 1; i > 0; i--) {
		int k = (int)st_rng_below(&frng, (uint64_t)i + 1), tmp;

		tmp = order[i];
		order[i] = order[k];
		order[k] = tmp;
	}
	memset(&stopv, 0, sizeof(stopv));
	stopv.w = -1;
	if (c->stop) {
		stopv.w = order[0];
		stopv.at_op = st_rng_below(
			&frng, (c->ops ? c->ops : UINT64_C(800000)) / 8 + 1);
		stopv.delay_ns = st_rng_below(&frng, 50000);
	}
	for (i = 0; i < c->kill; i++) {
		struct victim *k = &kills[nkills++];

		memset(k, 0, sizeof(*k));
		k->w = order[i + (c->stop ? 1 : 0)];
		k->at_op =
			c->ops ? st_rng_below(&frng, c->ops * 9 / 10 + 1) : 0;
		k->at_ns = (uint64_t)(c->duration * 1e9 * 0.9 *
				      st_rng_double(&frng));
		k->delay_ns = st_rng_below(&frng, 100000);
		x.role[k->w] = R_KILL;
	}
	if (stopv.w >= 0)
		x.role[stopv.w] = R_STOP;

	if (!c->quiet)
		fprintf(stderr,
			"hcstress: %d workers, %s, seed %" PRIu64
			", %s keys over %" PRIu64 " ids (%s, s=%.2f), %s mode, "
			"capacity %" PRIu64 ", batch %zu%s%s%s\n",
			c->workers, c->ops ? "fixed ops" : "fixed duration",
			c->seed,
			c->bytes    ? "byte"
			: c->narrow ? "narrow"
				    : "u64",
			c->keyspace, st_dist_name(c->dist), c->zipf_s,
			c->mode == HC_MODE_EXACT ? "exact" : "hogwild",
			c->capacity, c->batch, c->kill ? ", --kill" : "",
			c->stop ? ", --stop" : "", c->fill ? ", --fill" : "");

	for (i = 0; i < c->workers; i++)
		pids[i] = st_spawn(worker, i, &x);
	st_barrier_release(&x.sh->bar, (uint64_t)c->workers);
	t0 = x.sh->bar.t_go;
	/* Kill points and the duration count from when everyone runs:
	 * with --stop, from when the victim is stopped. */
	t_run0 = c->stop ? 0 : t0;

	/* Watch: reap, signal victims, end a duration run, time out. */
	running = c->workers;
	for (;;) {
		int others_left = 0;
		pid_t p;
		int st;

		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < x.nstreams; i++)
				if (pids[i] == p && !reaped[i])
					break;
			if (i == x.nstreams)
				continue;
			reaped[i] = 1;
			status[i] = WIFEXITED(st)     ? WEXITSTATUS(st)
				    : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
						      : -1;
			running--;
		}
		now = st_now_ns();
		for (i = 0; i < nkills; i++) {
			struct victim *k = &kills[i];
			uint64_t d;

			if (k->hit || reaped[k->w] || !t_run0)
				continue;
			d = atomic_load(&x.sh->w[k->w].done);
			if (c->ops ? d >= k->at_op
				   : since(now, t_run0) >= k->at_ns) {
				st_sleep_ns(k->delay_ns);
				k->done_seen = atomic_load(&x.sh->w[k->w].done);
				kill(pids[k->w], SIGKILL);
				k->hit = 1;
			}
		}
		if (stopv.w >= 0 && !stopv.hit && !reaped[stopv.w]) {
			uint64_t d = atomic_load(&x.sh->w[stopv.w].done);

			if (d >= stopv.at_op) {
				st_sleep_ns(stopv.delay_ns);
				kill(pids[stopv.w], SIGSTOP);
				/* Wait until it is really stopped (or has
				 * finished first). */
				if (waitpid(pids[stopv.w], &st, WUNTRACED) ==
					    pids[stopv.w] &&
				    !WIFSTOPPED(st)) {
					reaped[stopv.w] = 1;
					status[stopv.w] =
						WIFEXITED(st) ? WEXITSTATUS(st)
							      : -1;
					running--;
				} else {
					stopv.hit = 1;
					stopv.done_seen = atomic_load(
						&x.sh->w[stopv.w].done);
					for (i = 0; i < c->workers; i++)
						if (!reaped[i] && i != stopv.w)
							others_at_stop++;
					/* Now the others run, all of their
					 * work with the victim frozen. */
					t_run0 = st_now_ns();
					atomic_store(&x.sh->gate, 1);
				}
			}
		}
		if (c->kill_every > 0 && !atomic_load(&x.sh->bar.stop)) {
			/* Soak: kill a random worker at a random moment and
			 * put a new one, with a new stream, in its place. */
			uint64_t gap = (uint64_t)(c->kill_every * 1e9);

			if (!next_kill)
				next_kill = t_run0 + gap / 2 +
					    st_rng_below(&frng, gap + 1);
			if (now >= next_kill) {
				int slot = (int)st_rng_below(
					&frng, (uint64_t)c->workers);
				int s = slot_stream[slot];

				next_kill = now + gap / 2 +
					    st_rng_below(&frng, gap + 1);
				if (!reaped[s] && x.nstreams < x.max_streams) {
					/* Not reaped here: on a loaded machine a
					 * victim at nice 19 may take seconds to
					 * be scheduled and exit, and waiting for
					 * it stalled the kills and the storm.
					 * The WNOHANG loop above reaps it; it
					 * runs no instruction of its own after
					 * the signal, and its slot is replaced
					 * now. */
					kill(pids[s], SIGKILL);
					if (stopped[s]) {
						stopped[s] = 0;
						nstopped--;
					}
					soak_kills++;
					s = x.nstreams++;
					slot_stream[slot] = s;
					pids[s] = st_spawn(worker, s, &x);
					running++;
				}
			}
		}
		if (c->storm && !atomic_load(&x.sh->bar.stop)) {
			/* Storm: every 1-5 ms stop a random worker for up
			 * to 100 ms; at most half of them at once. */
			if (now >= next_storm) {
				int s = slot_stream[st_rng_below(
					&frng, (uint64_t)c->workers)];

				next_storm = now + 1000000 +
					     st_rng_below(&frng, 4000000);
				if (!reaped[s] && !stopped[s] &&
				    nstopped < c->workers / 2) {
					kill(pids[s], SIGSTOP);
					stopped[s] = 1;
					nstopped++;
					storm_stops++;
					cont_at[s] =
						now +
						st_rng_below(&frng, 100000000);
				}
			}
			for (i = 0; i < x.nstreams && nstopped; i++)
				if (stopped[i] && now >= cont_at[i]) {
					kill(pids[i], SIGCONT);
					stopped[i] = 0;
					nstopped--;
				}
		}
		if (c->duration > 0 && t_run0 &&
		    since(now, t_run0) >= (uint64_t)(c->duration * 1e9) &&
		    !atomic_load(&x.sh->bar.stop)) {
			atomic_store(&x.sh->bar.stop, 1);
			for (i = 0; i < x.nstreams; i++)
				if (stopped[i]) {
					kill(pids[i], SIGCONT);
					stopped[i] = 0;
				}
			nstopped = 0;
		}
		for (i = 0; i < x.nstreams; i++)
			if (!reaped[i] && i != stopv.w)
				others_left++;
		if (others_left == 0 && t_others == 0)
			t_others = now;
		if (running == 0)
			break;
		if (others_left == 0 && stopv.w >= 0 && stopv.hit &&
		    !stopped_verified) {
			/* Everyone but the stopped victim has finished:
			 * lock-freedom shown.  Verify with it frozen. */
			int k;

			for (k = 0; k < x.nstreams; k++) {
				done[k] = atomic_load(&x.sh->w[k].done);
				hi[k] = atomic_load(&x.sh->w[k].hi);
			}
			stop_inflight = hi[stopv.w] - done[stopv.w];
			verify(&x, done, hi, &v1);
			stopped_verified = 1;
			atomic_store(&x.sh->released, 1);
			kill(pids[stopv.w], SIGCONT);
			continue;
		}
		if (running > 0 && !fatal &&
		    now - t0 > (uint64_t)((c->timeout + c->duration) * 1e9)) {
			fprintf(stderr,
				"hcstress: %d workers still running after "
				"%.0f s%s: giving up\n",
				others_left, c->timeout,
				stopv.hit ? " with one stopped" : "");
			stop_ok = 0;
			fatal = 1;
			for (i = 0; i < x.nstreams; i++)
				if (!reaped[i]) {
					kill(pids[i], SIGKILL);
					kill(pids[i], SIGCONT);
				}
		}
		if (stopv.w >= 0 && !stopv.hit && reaped[stopv.w] &&
		    !stopped_verified) {
			/* The victim finished before it could be stopped
			 * (tiny runs): nothing was shown. */
			stopped_verified = -1;
		}
		/* A soak runs for half an hour: poll at 1 ms, which its
		 * kill and stop cadence needs, not at 20 us. */
		st_sleep_ns(c->kill_every > 0 || c->storm ? 1000000 : 20000);
	}

	for (i = 0; i < x.nstreams; i++) {
		struct wprog *p = &x.sh->w[i];

		done[i] = atomic_load(&p->done);
		hi[i] = atomic_load(&p->hi);
		efull += atomic_load(&p->efull);
		if (status[i] == 0 && p->t_end > t_end)
			t_end = p->t_end;
		total_done += done[i];
		if (status[i] != 0 && status[i] != 128 + SIGKILL) {
			fprintf(stderr, "hcstress: worker %d exit %d: %s\n", i,
				status[i],
				p->rc ? hc_strerror(p->rc) : "crashed");
			errors++;
		}
		if (status[i] == 128 + SIGKILL && !fatal)
			nkilled++;
		if (status[i] == 128 + SIGKILL && !fatal &&
		    kl + 128 < sizeof(killed_list))
			kl += (size_t)snprintf(
				killed_list + kl, sizeof(killed_list) - kl,
				"%s{\"worker\":%d,\"done\":%" PRIu64
				",\"inflight\":%" PRIu64 "}",
				kl ? "," : "", i, done[i], hi[i] - done[i]);
		if (kl >= sizeof(killed_list))
			kl = sizeof(killed_list) - 1;
	}
	now = st_now_ns();
	secs = (double)((t_end ? t_end : now) - t0) / 1e9;
	verify(&x, done, hi, &v2);
	if (v2.lo_total > v2.actual_total)
		lost = v2.lo_total - v2.actual_total;
	vres_json(vbuf2, sizeof(vbuf2), &v2);
	if (stopped_verified == 1)
		vres_json(vbuf1, sizeof(vbuf1), &v1);

	if (!c->quiet) {
		fprintf(stderr,
			"ran: %" PRIu64 " ops complete in %.2f s "
			"(%.2f M ops/s overall)\n",
			total_done, secs, (double)total_done / secs / 1e6);
		for (i = 0; i < nkills; i++) {
			const struct victim *k = &kills[i];

			if (status[k->w] == 128 + SIGKILL)
				fprintf(stderr,
					"kill: worker %d killed at op %" PRIu64
					" with %" PRIu64 " ops in flight\n",
					k->w, done[k->w],
					hi[k->w] - done[k->w]);
			else
				fprintf(stderr,
					"kill: worker %d finished before its "
					"kill point\n",
					k->w);
		}
		if (stopv.w >= 0) {
			if (stopped_verified == 1) {
				fprintf(stderr,
					"stop: worker %d stopped at op %" PRIu64
					" with %" PRIu64
					" ops in flight; then the %d others "
					"ran and all finished in %.2f s while "
					"it stayed stopped\n",
					stopv.w, stopv.done_seen, stop_inflight,
					others_at_stop,
					(double)(t_others - t_run0) / 1e9);
				vres_print("verify (victim stopped)", c, &v1);
			} else {
				fprintf(stderr, "stop: victim finished before "
						"it was stopped\n");
			}
		}
		if (c->fill)
			fprintf(stderr,
				"fill: %" PRIu64 " adds returned HC_EFULL\n",
				efull);
		if (c->kill_every > 0 || c->storm)
			fprintf(stderr,
				"soak: %" PRIu64 " workers killed and "
				"replaced (%d streams), %" PRIu64
				" SIGSTOPs; %" PRIu64
				" count units in unfinished batches, %" PRIu64
				" of them not applied\n",
				soak_kills, x.nstreams, storm_stops,
				v2.hi_total - v2.lo_total,
				v2.hi_total > v2.actual_total
					? v2.hi_total - v2.actual_total
					: 0);
		vres_print("verify", c, &v2);
		if (c->mode == HC_MODE_HOGWILD)
			fprintf(stderr,
				"hogwild: %" PRIu64 " of %" PRIu64
				" increments lost (%.4f%%)\n",
				lost, v2.lo_total,
				v2.lo_total ? 100.0 * (double)lost /
						      (double)v2.lo_total
					    : 0.0);
	}

	st_json_begin(&j);
	st_json_str(&j, "bench", "hcstress");
	st_json_u64(&j, "workers", (uint64_t)c->workers);
	st_json_u64(&j, "ops", c->ops);
	st_json_f64(&j, "duration", c->duration);
	st_json_u64(&j, "seed", c->seed);
	st_json_str(&j, "dist", st_dist_name(c->dist));
	st_json_f64(&j, "zipf_s", c->dist == ST_ZIPF ? c->zipf_s : 0);
	st_json_str(&j, "keys",
		    c->bytes	? "bytes"
		    : c->narrow ? "narrow"
				: "u64");
	st_json_u64(&j, "keyspace", c->keyspace);
	st_json_u64(&j, "capacity", c->capacity);
	st_json_str(&j, "mode", c->mode == HC_MODE_EXACT ? "exact" : "hogwild");
	st_json_u64(&j, "batch", c->batch);
	st_json_u64(&j, "cache", c->cache);
	st_json_str(&j, "deltas", c->deltas_random ? "random" : "one");
	st_json_u64(&j, "kill", (uint64_t)c->kill);
	st_json_bool(&j, "stop", c->stop);
	st_json_bool(&j, "fill", c->fill);
	st_json_bool(&j, "grow", c->grow);
	if (c->kill_every > 0 || c->storm) {
		st_json_f64(&j, "kill_every", c->kill_every);
		st_json_bool(&j, "storm", c->storm);
		st_json_u64(&j, "kills_replaced", soak_kills);
		st_json_u64(&j, "streams", (uint64_t)x.nstreams);
		st_json_u64(&j, "sigstops", storm_stops);
		/* In exact mode only the batches in flight when a worker
		 * died may be missing: [lo, hi] per key, verified above. */
		st_json_u64(&j, "inflight_bound", v2.hi_total - v2.lo_total);
		st_json_u64(&j, "inflight_unapplied",
			    v2.hi_total > v2.actual_total
				    ? v2.hi_total - v2.actual_total
				    : 0);
	}
	{
		hc_stats gs;

		memset(&gs, 0, sizeof(gs));
		gs.size = sizeof(gs);
		if (hc_table_stats(x.t, &gs) == HC_OK) {
			st_json_u64(&j, "generation", gs.generation);
			st_json_u64(&j, "final_capacity", gs.capacity);
		}
	}
	st_json_u64(&j, "ops_done", total_done);
	st_json_f64(&j, "seconds", secs);
	st_json_f64(&j, "mops", (double)total_done / secs / 1e6);
	st_json_u64(&j, "efull", efull);
	kl = kl < sizeof(killed_list) - 3 ? kl : sizeof(killed_list) - 3;
	memmove(killed_list + 1, killed_list, kl);
	killed_list[0] = '[';
	killed_list[kl + 1] = ']';
	killed_list[kl + 2] = 0;
	st_json_rawval(&j, "killed", killed_list);
	if (c->stop) {
		st_json_bool(&j, "others_finished_while_stopped",
			     stopped_verified == 1 && stop_ok &&
				     others_at_stop > 0);
		st_json_u64(&j, "stopped_worker", (uint64_t)stopv.w);
		st_json_u64(&j, "stopped_at_op", stopv.done_seen);
		st_json_u64(&j, "stopped_inflight", stop_inflight);
		st_json_f64(&j, "others_seconds",
			    t_others && t_run0
				    ? (double)(t_others - t_run0) / 1e9
				    : -1);
		if (stopped_verified == 1)
			st_json_rawval(&j, "verify_stopped", vbuf1);
	}
	st_json_rawval(&j, "verify", vbuf2);
	if (c->mode == HC_MODE_HOGWILD) {
		st_json_u64(&j, "lost", lost);
		st_json_f64(&j, "lost_fraction",
			    v2.lo_total ? (double)lost / (double)v2.lo_total
					: 0);
	}
	{
		int ok = v2.pass && !errors && !fatal &&
			 (stopped_verified != 1 || v1.pass) &&
			 (!c->stop ||
			  (stopped_verified == 1 && others_at_stop > 0)) &&
			 (!c->fill || efull > 0) && (!c->kill || nkilled > 0) &&
			 (!(c->kill_every > 0) || soak_kills > 0);

		st_json_bool(&j, "ok", ok);
		st_json_end(&j);
		hc_table_close(x.t);
		st_shared_free(x.sh, x.sh_bytes);
		st_shared_free(x.fail, x.fail_bytes);
		free(pids);
		free(status);
		free(reaped);
		free(order);
		free(done);
		free(hi);
		free(x.role);
		free(slot_stream);
		free(stopped);
		free(cont_at);
		if (!c->quiet && c->fill && efull == 0)
			fprintf(stderr, "fill: the table never filled\n");
		return ok ? 0 : 1;
	}
}
