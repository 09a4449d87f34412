/* SPDX-License-Identifier: MIT */
/*
 * hccrash.c - count into a file table, SIGKILL the whole process group
 * at a random moment, reopen the file and prove it consistent; many
 * times (issue 12, part 3).
 *
 * WHAT A ROUND IS
 *
 * The driver forks a session: a process that makes itself the leader of
 * a new process group, creates the table file (hc_table_create_file) or
 * reopens the one the last round left (hc_table_open, read-write), and
 * forks --workers workers that add deterministic streams of (key, delta)
 * in batches into the file mapping, calling hc_table_sync() every
 * --sync-every batches.  After a random delay of 0..--max-ms the driver
 * sends SIGKILL to the whole group: the session and every worker die at
 * once, wherever they are (creating the file, opening it, mid-batch,
 * mid-growth, mid-sync).  The driver reaps them all (it is their
 * subreaper), reopens the file read-only and verifies it; the next round
 * counts on into the same file.  Every --fresh-every rounds a new file
 * is started, so that kills keep landing during growth (the table
 * starts at --capacity and grows online).
 *
 * WHAT IS CHECKED AFTER EVERY KILL
 *
 * As in hcstress: each worker stores @hi (the end of its batch) before
 * it touches the table and @done after the batch returned, in a mapping
 * the driver owns, so they outlive the kill.  For each key, lo = the
 * deltas of operations done, hi = lo + the deltas of the batches in
 * flight, summed over every round of this file.  The reopen must
 * succeed (a file whose creation was killed must either not exist or
 * be a valid empty table), and then:
 *   exact mode: every key's count lies in [lo, hi] (so every key no
 *     batch in flight touched is exact: confirmed work is never lost);
 *   HogWild: no count exceeds hi;
 *   both: iteration returns each key once, only keys a stream made,
 *     with the count hc_get() gives; hc_table_stats() agrees.
 * @synced (done as of the last hc_table_sync() that returned) is
 * reported too: what a machine crash could not have taken (design.md
 * D1-D3), though a process kill leaves the page cache and so loses
 * nothing that was done.
 *
 * Exit status: 0 every round verified, 1 a round failed, 2 usage or
 * setup error.  A human summary goes to stderr; one JSON line to stdout.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "hogcount.h"
#include "common.h"

#define MAX_WORKERS 64
#define MAX_BATCH 1024

/* One stream's published progress; one cache line each. */
struct sprog {
	_Atomic uint64_t done; /* operations complete */
	_Atomic uint64_t hi; /* end of the batch in flight */
	_Atomic uint64_t synced; /* done as of the last sync */
	_Atomic uint64_t started; /* 1 once the worker runs */
	char pad[64 - 32];
};
_Static_assert(sizeof(struct sprog) == 64, "one line per stream");

/* The session's report: how far it got, and what went wrong. */
struct sess {
	_Atomic int stage; /* 0 forked, 1 table mapped, 2 workers forked */
	_Atomic int rc; /* a status the session or a worker got, or 0 */
	_Atomic int rc_where; /* 1 create, 2 open, 3 add, 4 sync */
};

struct cfg {
	uint64_t rounds;
	int workers;
	uint64_t seed;
	int bytes;
	int narrow; /* narrow integer keys (HC_KEY_NARROW) */
	int mode;
	int dist;
	uint64_t keyspace;
	uint64_t capacity;
	size_t batch;
	double max_ms;
	uint64_t sync_every;
	uint64_t fresh_every;
	const char *dir;
	int keep;
	int quiet;
};

struct ctx {
	struct cfg c;
	struct st_dist dist;
	uint64_t salt;
	char path[4096];
	struct sprog *p; /* rounds x workers streams */
	struct sess *s;
	hc_table *t; /* the session's handle */
	uint64_t stream0; /* first stream of the round */
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

static void gen_op(const struct ctx *x, struct st_rng *r, uint64_t *id,
		   uint64_t *delta)
{
	*id = st_dist_next(&x->dist, r);
	*delta = 1 + st_rng_below(r, 100);
}

static void note_rc(struct ctx *x, int rc, int where)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&x->s->rc, &zero, rc))
		atomic_store(&x->s->rc_where, where);
}

/* ---- the workers and the session ----------------------------------------- */

static int worker(int w, void *arg)
{
	struct ctx *x = arg;
	uint64_t sid = x->stream0 + (uint64_t)w;
	struct sprog *p = &x->p[sid];
	static uint64_t ids[MAX_BATCH], deltas[MAX_BATCH], keys[MAX_BATCH];
	static unsigned char kbuf[MAX_BATCH][ST_KEY_BYTES_CAP];
	static const void *kptr[MAX_BATCH];
	static size_t klen[MAX_BATCH];
	struct st_rng rng;
	uint64_t pos = 0, nb = 0;
	size_t done, i, n = x->c.batch;
	int rc;

	st_rng_seed(&rng, x->c.seed, sid);
	atomic_store(&p->started, 1);
	for (;;) {
		for (i = 0; i < n; i++) {
			gen_op(x, &rng, &ids[i], &deltas[i]);
			if (x->c.bytes) {
				klen[i] =
					st_key_bytes(ids[i], x->salt, kbuf[i]);
				kptr[i] = kbuf[i];
			} else {
				keys[i] = key_of(x, ids[i]);
			}
		}
		atomic_store(&p->hi, pos + n);
		if (x->c.bytes)
			rc = hc_add_bytes_batch_mode(x->t, kptr, klen, deltas,
						     n, &done, x->c.mode);
		else
			rc = hc_add_batch_mode(x->t, keys, deltas, n, &done,
					       x->c.mode);
		if (rc) {
			note_rc(x, rc, 3);
			return 1;
		}
		pos += n;
		atomic_store(&p->done, pos);
		if (x->c.sync_every && ++nb % x->c.sync_every == 0) {
			rc = hc_table_sync(x->t);
			if (rc) {
				note_rc(x, rc, 4);
				return 1;
			}
			atomic_store(&p->synced, pos);
		}
	}
}

static int session(int create, void *arg)
{
	struct ctx *x = arg;
	hc_options o;
	int rc, w;

	(void)setpgid(0, 0);
	if (create) {
		hc_options_init(&o);
		o.key_kind = x->c.bytes	   ? HC_KEY_BYTES
			     : x->c.narrow ? HC_KEY_NARROW
					   : HC_KEY_U64;
		o.key_bits = ST_NARROW_BITS;
		o.mode = x->c.mode;
		o.capacity = x->c.capacity;
		o.grow = HC_GROW_ON;
		o.seed = x->c.seed;
		if (x->c.bytes)
			o.arena_bytes = 64 * x->c.capacity;
		rc = hc_table_create_file(&x->t, x->path, &o);
	} else {
		rc = hc_table_open(&x->t, x->path, HC_OPEN_RDWR);
	}
	if (rc) {
		note_rc(x, rc, create ? 1 : 2);
		return 1;
	}
	atomic_store(&x->s->stage, 1);
	for (w = 0; w < x->c.workers; w++)
		(void)st_spawn(worker, w, x);
	atomic_store(&x->s->stage, 2);
	for (;;)
		pause();
}

/* ---- verification -------------------------------------------------------- */

struct vres {
	uint64_t keys_exact, keys_bounded, bad, iter_bad, entries;
	uint64_t lo_total, hi_total, actual_total, synced_total;
	int stats_ok, growing, pass;
	uint64_t generation, capacity;
	uint64_t first_bad_id, first_bad_count, first_bad_lo, first_bad_hi;
};

static int get_count(const struct ctx *x, hc_table *t, uint64_t id,
		     uint64_t *count)
{
	unsigned char buf[ST_KEY_BYTES_CAP];

	if (x->c.bytes) {
		size_t len = st_key_bytes(id, x->salt, buf);

		return hc_get_bytes(t, buf, len, count);
	}
	return hc_get(t, key_of(x, id), count);
}

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

/* Streams [s0, s1) wrote into the table @t (read-only, quiescent). */
static int verify(const struct ctx *x, hc_table *t, uint64_t s0, uint64_t s1,
		  struct vres *v)
{
	uint64_t K = x->c.keyspace, id, distinct = 0;
	uint64_t *lo = calloc(K, sizeof(*lo)), *up = calloc(K, sizeof(*up));
	uint64_t *act = calloc(K, sizeof(*act));
	unsigned char *seen = calloc(K, 1);
	hc_iter *it = NULL;
	hc_entry e;
	hc_stats st;
	int rc;

	memset(v, 0, sizeof(*v));
	v->first_bad_id = UINT64_MAX;
	if (!lo || !up || !act || !seen)
		st_die("verify: out of memory");
	for (uint64_t s = s0; s < s1; s++) {
		struct st_rng rng;
		uint64_t j, d, done = atomic_load(&x->p[s].done);
		uint64_t hi = atomic_load(&x->p[s].hi);
		uint64_t syn = atomic_load(&x->p[s].synced);

		st_rng_seed(&rng, x->c.seed, s);
		for (j = 0; j < hi; j++) {
			gen_op(x, &rng, &id, &d);
			up[id] += d;
			if (j < done)
				lo[id] += d;
			if (j < syn)
				v->synced_total += d;
		}
	}
	for (id = 0; id < K; id++) {
		int ok;

		rc = get_count(x, t, id, &act[id]);
		if (rc)
			goto out;
		v->lo_total += lo[id];
		v->hi_total += up[id];
		v->actual_total += act[id];
		distinct += act[id] != 0;
		if (lo[id] == up[id])
			v->keys_exact += lo[id] != 0;
		else
			v->keys_bounded++;
		ok = act[id] <= up[id] &&
		     (x->c.mode == HC_MODE_HOGWILD || act[id] >= lo[id]);
		if (!ok && v->bad++ == 0) {
			v->first_bad_id = id;
			v->first_bad_count = act[id];
			v->first_bad_lo = lo[id];
			v->first_bad_hi = up[id];
		}
	}
	rc = hc_iter_create(t, &it);
	if (rc)
		goto out;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		id = entry_id(x, &e);
		v->entries++;
		if (id == UINT64_MAX || seen[id] || e.count != act[id]) {
			v->iter_bad++;
			continue;
		}
		seen[id] = 1;
	}
	hc_iter_destroy(it);
	if (rc < 0)
		goto out;
	if (v->entries != distinct)
		v->iter_bad++;
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	rc = hc_table_stats(t, &st);
	if (rc)
		goto out;
	v->stats_ok = st.total == v->actual_total && st.distinct == distinct;
	v->growing = st.growing;
	v->generation = st.generation;
	v->capacity = st.capacity;
	v->pass = v->bad == 0 && v->iter_bad == 0 && v->stats_ok;
out:
	free(lo);
	free(up);
	free(act);
	free(seen);
	return rc;
}

/* ---- options --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: hccrash [options]\n"
		"  --rounds N        kills (default 40)\n"
		"  --workers N       workers per round (default 4)\n"
		"  --keys K          u64 | narrow | bytes (default u64)\n"
		"  --mode M          exact | hogwild (default exact)\n"
		"  --dist D          uniform | zipf | hot (default zipf)\n"
		"  --keyspace N      distinct ids (default 200k)\n"
		"  --capacity N      starting slots; the table grows "
		"(default 1024)\n"
		"  --batch N         adds per call (default 64)\n"
		"  --max-ms X        kill within X ms of the round's start "
		"(default 150)\n"
		"  --sync-every N    hc_table_sync() every N batches, 0 "
		"never (default 16)\n"
		"  --fresh-every N   a new file every N rounds (default 5)\n"
		"  --dir D           where the files go (default $TMPDIR "
		"or /tmp)\n"
		"  --seed N          streams and kill times (default 1)\n"
		"  --keep            leave the last file\n"
		"  --quiet           JSON line only\n");
	exit(2);
}

static void parse(struct cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, 0, 'r' },
		{ "workers", required_argument, 0, 'w' },
		{ "keys", required_argument, 0, 'k' },
		{ "mode", required_argument, 0, 'm' },
		{ "dist", required_argument, 0, 'D' },
		{ "keyspace", required_argument, 0, 'K' },
		{ "capacity", required_argument, 0, 'c' },
		{ "batch", required_argument, 0, 'b' },
		{ "max-ms", required_argument, 0, 'x' },
		{ "sync-every", required_argument, 0, 'y' },
		{ "fresh-every", required_argument, 0, 'f' },
		{ "dir", required_argument, 0, 'd' },
		{ "seed", required_argument, 0, 's' },
		{ "keep", no_argument, 0, 'p' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int ch;

	memset(c, 0, sizeof(*c));
	c->rounds = 40;
	c->workers = 4;
	c->mode = HC_MODE_EXACT;
	c->dist = ST_ZIPF;
	c->keyspace = 200000;
	c->capacity = 1024;
	c->batch = 64;
	c->max_ms = 150;
	c->sync_every = 16;
	c->fresh_every = 5;
	c->seed = 1;
	c->dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			c->rounds = st_parse_u64("rounds", optarg);
			break;
		case 'w':
			c->workers = (int)st_parse_u64("workers", optarg);
			break;
		case 'k':
			c->bytes = !strcmp(optarg, "bytes");
			c->narrow = !strcmp(optarg, "narrow");
			if (!c->bytes && !c->narrow && strcmp(optarg, "u64"))
				st_die("--keys: u64, narrow or bytes");
			break;
		case 'm':
			if (!strcmp(optarg, "exact"))
				c->mode = HC_MODE_EXACT;
			else if (!strcmp(optarg, "hogwild"))
				c->mode = HC_MODE_HOGWILD;
			else
				st_die("--mode: exact or hogwild");
			break;
		case 'D':
			c->dist = st_dist_parse(optarg);
			if (!c->dist || c->dist == ST_RAW64)
				st_die("--dist: uniform, zipf or hot");
			break;
		case 'K':
			c->keyspace = st_parse_u64("keyspace", optarg);
			break;
		case 'c':
			c->capacity = st_parse_u64("capacity", optarg);
			break;
		case 'b':
			c->batch = (size_t)st_parse_u64("batch", optarg);
			break;
		case 'x':
			c->max_ms = st_parse_double("max-ms", optarg);
			break;
		case 'y':
			c->sync_every = st_parse_u64("sync-every", optarg);
			break;
		case 'f':
			c->fresh_every = st_parse_u64("fresh-every", optarg);
			break;
		case 'd':
			c->dir = optarg;
			break;
		case 's':
			c->seed = st_parse_u64("seed", optarg);
			break;
		case 'p':
			c->keep = 1;
			break;
		case 'q':
			c->quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (c->rounds < 1 || c->rounds > 1000000)
		st_die("--rounds: 1..1000000");
	if (c->workers < 1 || c->workers > MAX_WORKERS)
		st_die("--workers: 1..%d", MAX_WORKERS);
	if (c->batch < 1 || c->batch > MAX_BATCH)
		st_die("--batch: 1..%d", MAX_BATCH);
	if (c->keyspace < 2 || c->max_ms < 0 || c->fresh_every < 1)
		st_die("--keyspace >= 2, --max-ms >= 0, --fresh-every >= 1");
}

/* ---- the driver ------------------------------------------------------------ */

static const char *where_name(int w)
{
	switch (w) {
	case 1:
		return "create";
	case 2:
		return "reopen";
	case 3:
		return "add";
	case 4:
		return "sync";
	}
	return "?";
}

/* Reap every process of the round: the session and, through
 * PR_SET_CHILD_SUBREAPER, its orphaned workers. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct ctx x;
	struct cfg *c = &x.c;
	struct st_rng krng;
	struct st_json j;
	struct vres v;
	uint64_t r, file_r0 = 0, nfiles = 0, fails = 0, growing_kills = 0;
	uint64_t absent = 0, opened = 0, mid_batch = 0, max_gen = 0;
	uint64_t ops = 0, unsynced = 0, t0 = st_now_ns();
	size_t pbytes;
	int have_file = 0;

	memset(&x, 0, sizeof(x));
	parse(c, argc, argv);
	st_check_lockfree();
	st_dist_init(&x.dist, c->dist, c->keyspace, 1.0, 4, 0.9);
	x.salt = st_mix64(c->seed ^ UINT64_C(0x6b657973));
	pbytes = (size_t)(c->rounds * (uint64_t)c->workers) *
		 sizeof(struct sprog);
	x.p = st_shared_alloc(pbytes);
	x.s = st_shared_alloc(sizeof(*x.s));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		st_die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	st_rng_seed(&krng, c->seed, UINT64_C(0xc4a54));

	for (r = 0; r < c->rounds; r++) {
		uint64_t delay;
		pid_t sp;
		hc_table *t;
		int rc, create;

		if (r % c->fresh_every == 0 || !have_file) {
			if (have_file)
				unlink(x.path);
			snprintf(x.path, sizeof(x.path),
				 "%s/hccrash-%ld-%" PRIu64 ".hc", c->dir,
				 (long)getpid(), nfiles++);
			unlink(x.path);
			file_r0 = r;
			have_file = 0;
		}
		create = !have_file;
		memset((void *)x.s, 0, sizeof(*x.s));
		x.stream0 = r * (uint64_t)c->workers;
		delay = (uint64_t)(st_rng_double(&krng) * c->max_ms * 1e6);
		sp = st_spawn(session, create, &x);
		/* Both sides make the group, so that it exists before the
		 * kill whoever runs first. */
		(void)setpgid(sp, sp);
		st_sleep_ns(delay);
		kill(-sp, SIGKILL);
		reap_all();
		if (atomic_load(&x.s->rc)) {
			fprintf(stderr,
				"hccrash: round %" PRIu64 ": %s failed: %s\n",
				r, where_name(atomic_load(&x.s->rc_where)),
				hc_strerror(atomic_load(&x.s->rc)));
			fails++;
			break;
		}
		for (uint64_t s = x.stream0; s < x.stream0 + c->workers; s++)
			if (atomic_load(&x.p[s].hi) !=
			    atomic_load(&x.p[s].done))
				mid_batch++;
		rc = hc_table_open(&t, x.path, HC_OPEN_RDONLY);
		if (rc == HC_ENOENT && create) {
			/* Killed before the file appeared. */
			absent++;
			continue;
		}
		if (rc) {
			fprintf(stderr,
				"hccrash: round %" PRIu64
				": reopening %s after the kill: %s "
				"(session stage %d)\n",
				r, x.path, hc_strerror(rc),
				atomic_load(&x.s->stage));
			fails++;
			c->keep = 1;
			break;
		}
		have_file = 1;
		opened++;
		rc = verify(&x, t, file_r0 * (uint64_t)c->workers,
			    x.stream0 + (uint64_t)c->workers, &v);
		hc_table_close(t);
		if (rc) {
			fprintf(stderr,
				"hccrash: round %" PRIu64 ": reading %s: %s\n",
				r, x.path, hc_strerror(rc));
			fails++;
			c->keep = 1;
			break;
		}
		growing_kills += v.growing;
		if (v.generation > max_gen)
			max_gen = v.generation;
		if (!v.pass) {
			fprintf(stderr,
				"hccrash: round %" PRIu64 ": FAIL: %" PRIu64
				" keys out of [lo, hi] (first: id %" PRIu64
				" count %" PRIu64 " not in [%" PRIu64
				", %" PRIu64 "]), %" PRIu64
				" iteration faults, stats %s; file %s\n",
				r, v.bad, v.first_bad_id, v.first_bad_count,
				v.first_bad_lo, v.first_bad_hi, v.iter_bad,
				v.stats_ok ? "agree" : "DISAGREE", x.path);
			fails++;
			c->keep = 1;
			break;
		}
		if (!c->quiet && (r + 1) % 10 == 0)
			fprintf(stderr,
				"hccrash: round %" PRIu64 ": %" PRIu64
				" keys, generation %" PRIu64 "%s, sum %" PRIu64
				" in [%" PRIu64 ", %" PRIu64 "]\n",
				r + 1, v.entries, v.generation,
				v.growing ? " (killed mid-growth)" : "",
				v.actual_total, v.lo_total, v.hi_total);
	}
	for (uint64_t s = 0; s < (r < c->rounds ? r + 1 : r) * c->workers;
	     s++) {
		ops += atomic_load(&x.p[s].done);
		unsynced +=
			atomic_load(&x.p[s].done) - atomic_load(&x.p[s].synced);
	}
	if (!c->keep && have_file)
		unlink(x.path);
	if (!c->quiet)
		fprintf(stderr,
			"hccrash: %s. %" PRIu64 " rounds in %.1f s: %" PRIu64
			" reopened and verified (%" PRIu64
			" killed mid-growth, %" PRIu64
			" with a batch in flight), %" PRIu64
			" killed before the file existed; %" PRIu64
			" files, up to generation %" PRIu64 "; %" PRIu64
			" adds done, %" PRIu64 " of them after the last sync\n",
			fails ? "FAIL" : "PASS", r, (st_now_ns() - t0) / 1e9,
			opened, growing_kills, mid_batch, absent, nfiles,
			max_gen, ops, unsynced);
	st_json_begin(&j);
	st_json_str(&j, "bench", "hccrash");
	st_json_u64(&j, "rounds", r);
	st_json_u64(&j, "workers", (uint64_t)c->workers);
	st_json_str(&j, "keys",
		    c->bytes	? "bytes"
		    : c->narrow ? "narrow"
				: "u64");
	st_json_str(&j, "mode", c->mode == HC_MODE_EXACT ? "exact" : "hogwild");
	st_json_u64(&j, "seed", c->seed);
	st_json_u64(&j, "reopened", opened);
	st_json_u64(&j, "killed_mid_growth", growing_kills);
	st_json_u64(&j, "killed_mid_batch", mid_batch);
	st_json_u64(&j, "killed_before_file", absent);
	st_json_u64(&j, "files", nfiles);
	st_json_u64(&j, "max_generation", max_gen);
	st_json_u64(&j, "ops_done", ops);
	st_json_u64(&j, "ops_after_last_sync", unsynced);
	st_json_bool(&j, "ok", fails == 0);
	st_json_end(&j);
	st_shared_free(x.p, pbytes);
	st_shared_free((void *)x.s, sizeof(*x.s));
	return fails ? 1 : 0;
}
