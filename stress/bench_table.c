/* SPDX-License-Identifier: MIT */
/*
 * bench_table.c - how fast one shared table takes adds from forked
 * workers, next to the machine's limit (issue 2, "How fast").
 *
 * Workloads:
 *   large  a table of --table-bytes, by default the smallest power of
 *          two at least 8x the last-level cache the OS reports;
 *   cache  a table of --cache-bytes (default 512 KiB: fits in L2).
 * Keys: uniformly random 64-bit keys drawn from a set of capacity/2
 * (random ids through a bijective mix), so the load stays below 0.5
 * however many rounds run; in the large table most adds insert.
 * Methods: one key at a time in either mode (the kernel's hc__add_u64,
 * which hc_add() calls with the table's mode), and hc_add_batch_mode()
 * with --batch keys per call, exact and HogWild.
 * The limit: the same number of random increments, prefetched
 * --pf-dist ahead, on a plain MAP_SHARED|MAP_ANONYMOUS uint64_t array
 * of the same byte size, as a plain add ("limit") and as a locked add
 * ("limit_atomic").
 *
 * The workers are forked once and run every round (method x workers x
 * repetition, methods interleaved within a repetition so that each sees
 * the same load).  Before the first round each worker takes the write
 * fault on every page of every table and array (st_touch_write(): page
 * faults cost about 12 us each on this VM, and fork() does not copy the
 * page tables of shared mappings), so no fault is timed.  A round's rate
 * is all ops over (last end - first start); figures are medians over
 * --reps repetitions.
 *
 * Speed is reported, never asserted.  One JSON line ends stdout.
 */
#define _GNU_SOURCE
#include <getopt.h>

#include "hogcount.h"
#include "hc_internal.h" /* hc__add_u64, hc__add_bytes */
#include "common.h"

#define MAX_WORKERS 64
#define MAX_REPS 64
#define MAX_BATCH 65536

enum method {
	M_SINGLE_EXACT,
	M_SINGLE_HOGWILD,
	M_BATCH_EXACT,
	M_BATCH_HOGWILD,
	M_LIMIT,
	M_LIMIT_ATOMIC,
	M_COUNT
};

static const char *const method_names[M_COUNT] = {
	"single_exact",	 "single_hogwild", "batch_exact",
	"batch_hogwild", "limit",	   "limit_atomic",
};

struct cfg {
	int workers[8];
	int nworkers;
	uint64_t ops; /* per worker per repetition */
	double duration; /* seconds; 0: --ops */
	uint64_t seed;
	int reps;
	uint64_t table_bytes;
	uint64_t cache_bytes;
	size_t batch;
	unsigned pf_dist;
	int pin;
	int sweep;
};

/* Per-worker report, one cache line each, in shared memory. */

/* What the parent posts for a round. */
struct ctl {
	struct st_barrier bar;
	_Atomic uint64_t round; /* 0: not started; UINT64_MAX: quit */
	int method;
	int wl; /* 0 large, 1 cache */
	int nw; /* workers taking part */
	uint64_t seed;
	struct st_wslot ws[MAX_WORKERS];
};

struct workload {
	hc_table *t;
	void *tmap; /* the table's mapping, for prefaulting */
	size_t tmap_bytes;
	uint64_t *arr; /* the limit's plain array */
	uint64_t nwords;
	uint64_t nids; /* key set size: capacity / 2 */
};

struct run {
	const struct cfg *cfg;
	struct ctl *ctl;
	struct workload wl[2];
	/* the current round, in the worker */
	int method;
	const struct workload *w;
};

static inline uint64_t next_key(const struct run *r, struct st_rng *rng)
{
	return st_mix64(st_rng_below(rng, r->w->nids));
}

static inline int time_up(const struct run *r, uint64_t done)
{
	if (r->cfg->duration > 0)
		return atomic_load_explicit(&r->ctl->bar.stop,
					    memory_order_relaxed) != 0;
	return done >= r->cfg->ops;
}

static uint64_t work_limit(const struct run *r, struct st_rng *rng, int atomic)
{
	enum { RING = 256 };
	uint64_t ring[RING];
	unsigned d = r->cfg->pf_dist, i;
	uint64_t done = 0, n = r->w->nwords, *a = r->w->arr;

	for (i = 0; i < d; i++) {
		ring[i] = st_rng_below(rng, n);
		__builtin_prefetch(&a[ring[i]], 1, 3);
	}
	/* Chunks of 1024 so that duration runs look at the flag rarely. */
	while (!time_up(r, done)) {
		uint64_t end = done + 1024, j;

		if (r->cfg->duration <= 0 && end > r->cfg->ops)
			end = r->cfg->ops;
		for (j = done; j < end; j++) {
			uint64_t nx = st_rng_below(rng, n);
			uint64_t cur = ring[j % RING];

			ring[(j + d) % RING] = nx;
			__builtin_prefetch(&a[nx], 1, 3);
			if (atomic)
				__atomic_fetch_add(&a[cur], 1,
						   __ATOMIC_RELAXED);
			else
				a[cur]++;
		}
		done = end;
	}
	return done;
}

static uint64_t work_table(const struct run *r, struct st_rng *rng, int *rcp)
{
	static uint64_t keys[MAX_BATCH];
	uint64_t done = 0;
	size_t b = r->cfg->batch;
	int m = r->method, rc = HC_OK;
	hc_table *t = r->w->t;

	if (m == M_SINGLE_EXACT || m == M_SINGLE_HOGWILD) {
		while (!time_up(r, done) && rc == HC_OK) {
			uint64_t end = done + 1024, j;

			if (r->cfg->duration <= 0 && end > r->cfg->ops)
				end = r->cfg->ops;
			for (j = done; j < end && rc == HC_OK; j++) {
				uint64_t k = next_key(r, rng);

				rc = hc__add_u64(t, k, 1,
						 m == M_SINGLE_EXACT
							 ? HC_MODE_EXACT
							 : HC_MODE_HOGWILD);
			}
			done = j;
		}
	} else {
		int mode = m == M_BATCH_EXACT ? HC_MODE_EXACT : HC_MODE_HOGWILD;

		while (!time_up(r, done) && rc == HC_OK) {
			size_t n = b, j;

			if (r->cfg->duration <= 0 && r->cfg->ops - done < n)
				n = (size_t)(r->cfg->ops - done);
			for (j = 0; j < n; j++)
				keys[j] = next_key(r, rng);
			rc = hc_add_batch_mode(t, keys, NULL, n, NULL, mode);
			done += n;
		}
	}
	*rcp = rc;
	return done;
}

static int worker(int i, void *arg)
{
	struct run *r = arg;
	struct ctl *c = r->ctl;
	uint64_t seen = 0;
	int k;

	if (r->cfg->pin)
		(void)st_pin(i);
	for (k = 0; k < 2; k++) {
		st_touch_write(r->wl[k].tmap, r->wl[k].tmap_bytes);
		st_touch_write(r->wl[k].arr, r->wl[k].nwords * 8);
		(void)st_lock(r->wl[k].tmap, r->wl[k].tmap_bytes);
		(void)st_lock(r->wl[k].arr, r->wl[k].nwords * 8);
	}
	st_barrier_wait(&c->bar);
	for (;;) {
		struct st_wslot *ws = &c->ws[i];
		struct st_rng rng;
		uint64_t rd;
		int rc = HC_OK;

		while ((rd = atomic_load_explicit(
				&c->round, memory_order_acquire)) == seen)
			sched_yield();
		if (rd == UINT64_MAX)
			return 0;
		seen = rd;
		if (i < c->nw) {
			r->method = c->method;
			r->w = &r->wl[c->wl];
			st_rng_seed(&rng, c->seed, (uint64_t)i);
			ws->t_start = st_now_ns();
			if (r->method == M_LIMIT || r->method == M_LIMIT_ATOMIC)
				ws->ops = work_limit(
					r, &rng, r->method == M_LIMIT_ATOMIC);
			else
				ws->ops = work_table(r, &rng, &rc);
			ws->t_end = st_now_ns();
			ws->rc = rc;
		}
		atomic_store_explicit(&ws->round, rd, memory_order_release);
	}
}

/* One round on the running workers; returns M ops/s. */
static double run_round(struct run *r, int method, int wl, int nw,
			uint64_t seed, int nworkers)
{
	struct ctl *c = r->ctl;
	uint64_t rd = atomic_load(&c->round) + 1, total, t0, t1;

	c->method = method;
	c->wl = wl;
	c->nw = nw;
	c->seed = seed;
	atomic_store(&c->bar.stop, 0);
	atomic_store_explicit(&c->round, rd, memory_order_release);
	if (r->cfg->duration > 0) {
		st_sleep_ns((uint64_t)(r->cfg->duration * 1e9));
		atomic_store(&c->bar.stop, 1);
	}
	st_round_collect(c->ws, nworkers, nw, rd, 200000, method_names[method],
			 &total, &t0, &t1);
	return (double)total / ((double)(t1 - t0) / 1e9) / 1e6;
}

static void setup_workload(struct workload *w, uint64_t bytes)
{
	hc_options o;
	int rc;

	memset(w, 0, sizeof(*w));
	hc_options_init(&o);
	o.capacity = bytes / 16;
	w->nids = o.capacity / 2;
	rc = hc_table_create(&w->t, &o);
	if (rc)
		st_die("hc_table_create(%" PRIu64 " slots): %s", o.capacity,
		       hc_strerror(rc));
	if (st_table_region(w->t, &w->tmap, &w->tmap_bytes))
		st_die("hc_table_view failed");
	(void)st_populate(w->tmap, w->tmap_bytes);
	w->nwords = bytes / 8;
	w->arr = st_shared_alloc(bytes);
	(void)st_populate(w->arr, bytes);
}

static void parse_workers(struct cfg *c, const char *s)
{
	char *dup = strdup(s), *tok, *save = NULL;

	c->nworkers = 0;
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t w = st_parse_u64("workers", tok);

		if (w < 1 || w > MAX_WORKERS || c->nworkers == 8)
			st_die("--workers: 1..%d, at most 8 values",
			       MAX_WORKERS);
		c->workers[c->nworkers++] = (int)w;
	}
	free(dup);
	if (!c->nworkers)
		st_die("--workers: empty list");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_table [options]\n"
		"  --workers LIST     worker counts, e.g. 1,2 (default 1,2)\n"
		"  --ops N            adds per worker per repetition "
		"(default 8M)\n"
		"  --duration S       or seconds per repetition\n"
		"  --seed N           key streams (default 1)\n"
		"  --reps N           repetitions, medians reported "
		"(default 5)\n"
		"  --table-bytes N    large table (default: >= 8x LLC, "
		"power of 2)\n"
		"  --cache-bytes N    in-cache table (default 512Ki)\n"
		"  --batch N          keys per hc_add_batch (default 1024)\n"
		"  --pf-dist N        limit's prefetch distance "
		"(default 16)\n"
		"  --no-pin           do not pin workers to CPUs\n"
		"  --sweep            limit rate against array size, "
		"then exit\n");
	exit(2);
}

static void parse(struct cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, 0, 'w' },
		{ "ops", required_argument, 0, 'o' },
		{ "duration", required_argument, 0, 'd' },
		{ "seed", required_argument, 0, 's' },
		{ "reps", required_argument, 0, 'r' },
		{ "table-bytes", required_argument, 0, 'T' },
		{ "cache-bytes", required_argument, 0, 'C' },
		{ "batch", required_argument, 0, 'b' },
		{ "pf-dist", required_argument, 0, 'p' },
		{ "no-pin", no_argument, 0, 'P' },
		{ "sweep", no_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	uint64_t llc = st_llc_bytes();
	int ch;

	memset(c, 0, sizeof(*c));
	c->workers[0] = 1;
	c->workers[1] = 2;
	c->nworkers = 2;
	c->ops = 8000000;
	c->seed = 1;
	c->reps = 5;
	c->table_bytes = 1;
	while (c->table_bytes < 8 * llc)
		c->table_bytes <<= 1;
	c->cache_bytes = 512 << 10;
	c->batch = 1024;
	c->pf_dist = 16;
	c->pin = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			parse_workers(c, optarg);
			break;
		case 'o':
			c->ops = st_parse_u64("ops", optarg);
			break;
		case 'd':
			c->duration = st_parse_double("duration", optarg);
			break;
		case 's':
			c->seed = st_parse_u64("seed", optarg);
			break;
		case 'r':
			c->reps = (int)st_parse_u64("reps", optarg);
			break;
		case 'T':
			c->table_bytes = st_parse_u64("table-bytes", optarg);
			break;
		case 'C':
			c->cache_bytes = st_parse_u64("cache-bytes", optarg);
			break;
		case 'b':
			c->batch = (size_t)st_parse_u64("batch", optarg);
			break;
		case 'p':
			c->pf_dist = (unsigned)st_parse_u64("pf-dist", optarg);
			break;
		case 'P':
			c->pin = 0;
			break;
		case 'S':
			c->sweep = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (c->reps < 1 || c->reps > MAX_REPS)
		st_die("--reps: 1..%d", MAX_REPS);
	if (c->batch < 1 || c->batch > MAX_BATCH)
		st_die("--batch: 1..%d", MAX_BATCH);
	if (c->pf_dist < 1 || c->pf_dist > 128)
		st_die("--pf-dist: 1..128");
	if (c->table_bytes < 4096 || c->cache_bytes < 4096)
		st_die("--table-bytes, --cache-bytes: at least 4096");
	if (c->duration <= 0 && c->ops == 0)
		st_die("--ops: at least 1");
}

/* The limit against array size, one process, to see where the caches
 * end. */
static void sweep(const struct cfg *c)
{
	struct st_json j;
	char arr[4096];
	size_t n = 0;
	uint64_t bytes;
	struct run r;
	struct workload w;
	struct cfg cc = *c;

	cc.duration = 0; /* the sweep counts ops */
	memset(&r, 0, sizeof(r));
	r.cfg = &cc;
	r.w = &w;
	fprintf(stderr, "%12s %12s %12s\n", "array bytes", "limit M/s",
		"atomic M/s");
	n += (size_t)snprintf(arr + n, sizeof(arr) - n, "[");
	for (bytes = 256 << 10; bytes <= c->table_bytes; bytes <<= 1) {
		double a[MAX_REPS], b[MAX_REPS], ma, mb;
		int rep;

		memset(&w, 0, sizeof(w));
		w.nwords = bytes / 8;
		w.arr = st_shared_alloc(bytes);
		(void)st_populate(w.arr, bytes);
		st_touch_write(w.arr, bytes);
		for (rep = 0; rep < c->reps; rep++) {
			struct st_rng rng;
			uint64_t t0, ops;

			st_rng_seed(&rng, c->seed, (uint64_t)rep);
			t0 = st_now_ns();
			ops = work_limit(&r, &rng, 0);
			a[rep] = (double)ops /
				 ((double)(st_now_ns() - t0) / 1e3);
			t0 = st_now_ns();
			ops = work_limit(&r, &rng, 1);
			b[rep] = (double)ops /
				 ((double)(st_now_ns() - t0) / 1e3);
		}
		st_shared_free(w.arr, bytes);
		ma = st_median(a, (size_t)c->reps);
		mb = st_median(b, (size_t)c->reps);
		fprintf(stderr, "%12" PRIu64 " %12.1f %12.1f\n", bytes, ma, mb);
		n += (size_t)snprintf(arr + n, sizeof(arr) - n,
				      "%s{\"bytes\":%" PRIu64
				      ",\"limit\":%.2f,\"limit_atomic\":%.2f}",
				      n > 1 ? "," : "", bytes, ma, mb);
	}
	snprintf(arr + n, sizeof(arr) - n, "]");
	st_json_begin(&j);
	st_json_str(&j, "bench", "sweep");
	st_json_u64(&j, "seed", c->seed);
	st_json_u64(&j, "ops", c->ops);
	st_json_rawval(&j, "sweep", arr);
	st_json_end(&j);
}

int main(int argc, char **argv)
{
	struct cfg c;
	struct st_json j;
	static char res[32768];
	size_t rn = 0;
	char model[256];
	static double v[2][8][M_COUNT][MAX_REPS];
	double med[M_COUNT];
	pid_t pids[MAX_WORKERS];
	struct run r;
	uint64_t t_setup;
	int w, m, wl, rep, i, maxw = 0, round = 0;

	parse(&c, argc, argv);
	st_check_lockfree();
	st_cpu_model(model, sizeof(model));
	fprintf(stderr,
		"bench_table: %s, %d CPUs, LLC %" PRIu64 " KiB; large %" PRIu64
		" MiB (%.1fx LLC), cache %" PRIu64 " KiB; %s %s; batch %zu; "
		"%d reps\n",
		model, st_ncpu(), st_llc_bytes() >> 10, c.table_bytes >> 20,
		(double)c.table_bytes / (double)st_llc_bytes(),
		c.cache_bytes >> 10, c.duration > 0 ? "duration" : "ops",
		c.duration > 0 ? "(s)" : "per worker", c.batch, c.reps);
	if (c.sweep) {
		sweep(&c);
		return 0;
	}
	/* Both workloads' tables and arrays exist before the fork; the
	 * workers fault them in once, then run every round. */
	memset(&r, 0, sizeof(r));
	r.cfg = &c;
	r.ctl = st_shared_alloc(sizeof(*r.ctl));
	setup_workload(&r.wl[0], c.table_bytes);
	setup_workload(&r.wl[1], c.cache_bytes);
	for (w = 0; w < c.nworkers; w++)
		if (c.workers[w] > maxw)
			maxw = c.workers[w];
	t_setup = st_now_ns();
	for (i = 0; i < maxw; i++)
		pids[i] = st_spawn(worker, i, &r);
	st_barrier_release(&r.ctl->bar, (uint64_t)maxw);
	fprintf(stderr, "workers ready after %.1f s (page faults)\n",
		(double)(st_now_ns() - t_setup) / 1e9);
	for (wl = 0; wl < 2; wl++)
		for (w = 0; w < c.nworkers; w++)
			for (rep = 0; rep < c.reps; rep++)
				for (m = 0; m < M_COUNT; m++)
					v[wl][w][m][rep] = run_round(
						&r, m, wl, c.workers[w],
						c.seed + (uint64_t)round++,
						maxw);
	atomic_store(&r.ctl->round, UINT64_MAX);
	for (i = 0; i < maxw; i++)
		if (st_reap(pids[i]) != 0)
			st_die("worker %d failed", i);

	rn += (size_t)snprintf(res + rn, sizeof(res) - rn, "[");
	fprintf(stderr, "%-6s %-15s %7s %10s %12s %8s\n", "table", "method",
		"workers", "M ops/s", "min..max", "vs limit");
	for (wl = 0; wl < 2; wl++) {
		const char *wname = wl == 0 ? "large" : "cache";

		for (w = 0; w < c.nworkers; w++) {
			double limit;

			for (m = 0; m < M_COUNT; m++)
				med[m] = st_median(v[wl][w][m], (size_t)c.reps);
			limit = med[M_LIMIT];
			for (m = 0; m < M_COUNT; m++) {
				double lo = v[wl][w][m][0];
				double hi = v[wl][w][m][c.reps - 1];
				double ratio = limit > 0 ? med[m] / limit : 0;

				fprintf(stderr,
					"%-6s %-15s %7d %10.2f %5.1f..%-6.1f "
					"%7.0f%%\n",
					wname, method_names[m], c.workers[w],
					med[m], lo, hi, 100 * ratio);
				rn += (size_t)snprintf(
					res + rn, sizeof(res) - rn,
					"%s{\"table\":\"%s\",\"method\":\"%s\","
					"\"workers\":%d,\"mops\":%.3f,"
					"\"min\":%.3f,\"max\":%.3f,"
					"\"vs_limit\":%.4f}",
					rn > 1 ? "," : "", wname,
					method_names[m], c.workers[w], med[m],
					lo, hi, ratio);
			}
		}
	}
	for (wl = 0; wl < 2; wl++) {
		hc_table_close(r.wl[wl].t);
		st_shared_free(r.wl[wl].arr, r.wl[wl].nwords * 8);
	}
	st_shared_free(r.ctl, sizeof(*r.ctl));
	snprintf(res + rn, sizeof(res) - rn, "]");
	st_json_begin(&j);
	st_json_str(&j, "bench", "table");
	st_json_str(&j, "cpu", model);
	st_json_u64(&j, "cpus", (uint64_t)st_ncpu());
	st_json_u64(&j, "llc_bytes", st_llc_bytes());
	st_json_u64(&j, "table_bytes", c.table_bytes);
	st_json_u64(&j, "cache_bytes", c.cache_bytes);
	st_json_u64(&j, "seed", c.seed);
	st_json_u64(&j, "ops", c.ops);
	st_json_f64(&j, "duration", c.duration);
	st_json_u64(&j, "batch", c.batch);
	st_json_u64(&j, "reps", (uint64_t)c.reps);
	st_json_str(&j, "version", hc_version());
	st_json_rawval(&j, "results", res);
	st_json_end(&j);
	return 0;
}
