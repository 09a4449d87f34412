/* SPDX-License-Identifier: MIT */
/*
 * bench_compare.c - the comparative suite (issue 3): the same key
 * streams into
 *   hc_*          one shared hogcount table, forked workers: single and
 *                 batched adds, exact and HogWild;
 *   private_merge one private hogcount table per worker (named shared
 *                 memory, created in the round), then hc_table_merge()
 *                 of all of them into one: the seed user's design;
 *   rculfhash     liburcu's lock-free hash table, threads (its nodes are
 *                 malloc'd: it cannot cross processes), add-or-increment
 *                 with cds_lfht_add_unique() and an atomic count per node;
 *   limit         prefetched random increments of a plain shared array
 *                 of the table's byte size.
 * for 1, 2, 4, 8 workers, uniform and Zipf keys, a table in cache and
 * one out of it.  Each round runs --duration seconds; figures are
 * medians over --reps rounds (private_merge: one round per figure).
 *
 * Steady state vs end to end: the shared table and the array are
 * created once per workload and every worker faults their pages in
 * before the first round (page faults cost 12-40 us each on this VM),
 * so hc_* and limit are steady-state rates; the table is reused by
 * every round (keys come from a set of capacity/2, so its load stays
 * below 0.5).  private_merge allocates its tables inside the round and
 * its rate is end to end: (ops) / (count + merge time), faults included,
 * because allocating N tables is what that design costs.  rculfhash
 * keeps one table per workload across rounds; its node allocations are
 * timed, as they are part of every insert it makes.  Peak memory: the
 * largest rise of Shmem (/proc/meminfo) during the round for the
 * forked methods, of RssAnon for rculfhash; for the steady-state
 * methods it is the table's mapped size.
 *
 * One JSON line on stdout holds every result; run_bench.sh turns it into
 * the markdown table and the plot.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "hogcount.h"
#include "hc_internal.h" /* hc__add_u64, hc__add_bytes */
#include "common.h"

#define MAX_WORKERS 8
#define MAX_REPS 16
#define BATCH 1024

enum method {
	M_LIMIT,
	M_SINGLE_EXACT,
	M_SINGLE_HOGWILD,
	M_BATCH_EXACT,
	M_BATCH_HOGWILD,
	M_PRIVATE_MERGE,
	M_RCULFHASH,
	M_COUNT
};

static const char *const method_names[M_COUNT] = {
	"limit",	  "hc_single_exact",  "hc_single_hogwild",
	"hc_batch_exact", "hc_batch_hogwild", "private_merge",
	"rculfhash",
};

struct cfg {
	int workers[4];
	int nworkers;
	double duration;
	uint64_t ops; /* per worker per round; 0: --duration */
	uint64_t seed;
	int reps;
	uint64_t large_bytes, cache_bytes;
	double zipf_s;
	int methods; /* bit mask */
};

struct workload {
	const char *name;
	uint64_t bytes;
	uint64_t capacity;
	uint64_t nids;
	hc_table *t;
	void *tmap;
	size_t tmap_bytes;
	uint64_t *arr;
	uint64_t nwords;
	struct cds_lfht *ht; /* rculfhash, created on first use */
	uint64_t ht_rss0; /* RssAnon before it was created */
};

struct ctl {
	_Atomic uint64_t round; /* UINT64_MAX: quit */
	_Atomic uint64_t stop;
	_Atomic uint64_t ready;
	_Atomic uint64_t started; /* workers counting in this round */
	int method, wl, dist, nw;
	uint64_t seed;
	char shm_prefix[64];
	struct st_wslot ws[MAX_WORKERS];
};

struct bench {
	struct cfg c;
	struct ctl *ctl;
	struct workload wl[2];
	struct st_dist dist[2][2]; /* [workload][0 uniform, 1 zipf] */
	uint64_t salt;
};

/* ---- the hogcount and limit methods, in forked workers ------------------ */

/* A round ends when the parent says so (--duration) or after --ops
 * operations per worker (rounded up to a multiple of BATCH). */
static inline int round_over(const struct bench *b, uint64_t done)
{
	if (b->c.ops)
		return done >= b->c.ops;
	return atomic_load_explicit(&b->ctl->stop, memory_order_relaxed) != 0;
}

static uint64_t run_limit(struct bench *b, const struct workload *w,
			  const struct st_dist *d, struct st_rng *rng)
{
	enum { RING = 64, D = 16 };
	uint64_t ring[RING], done = 0, n = w->nwords, *a = w->arr;
	unsigned i;

	/* The same id stream as the tables, spread over the array by a
	 * mix, as a hash would. */
	for (i = 0; i < D; i++) {
		ring[i] = st_mix64(st_dist_next(d, rng)) % n;
		__builtin_prefetch(&a[ring[i]], 1, 3);
	}
	while (!round_over(b, done)) {
		uint64_t j;

		for (j = done; j < done + BATCH; j++) {
			uint64_t nx = st_mix64(st_dist_next(d, rng)) % n;
			uint64_t cur = ring[j % RING];

			ring[(j + D) % RING] = nx;
			__builtin_prefetch(&a[nx], 1, 3);
			a[cur]++;
		}
		done += BATCH;
	}
	return done;
}

static uint64_t run_table(struct bench *b, hc_table *t, int method,
			  const struct st_dist *d, struct st_rng *rng, int *rcp)
{
	uint64_t keys[BATCH], done = 0;
	int rc = HC_OK, j;

	while (rc == HC_OK && !round_over(b, done)) {
		for (j = 0; j < BATCH; j++)
			keys[j] = st_key_u64(st_dist_next(d, rng), b->salt);
		switch (method) {
		case M_SINGLE_EXACT:
			for (j = 0; j < BATCH && rc == HC_OK; j++)
				rc = hc__add_u64(t, keys[j], 1, HC_MODE_EXACT);
			break;
		case M_SINGLE_HOGWILD:
			for (j = 0; j < BATCH && rc == HC_OK; j++)
				rc = hc__add_u64(t, keys[j], 1,
						 HC_MODE_HOGWILD);
			break;
		case M_BATCH_EXACT:
			rc = hc_add_batch_mode(t, keys, NULL, BATCH, NULL,
					       HC_MODE_EXACT);
			break;
		default: /* a private table: nobody else writes it */
			rc = hc_add_batch_mode(t, keys, NULL, BATCH, NULL,
					       HC_MODE_HOGWILD);
			break;
		}
		done += BATCH;
	}
	*rcp = rc;
	return done;
}

/* Fault in a table's pages in this process, untimed: writable (a table
 * this process will write) or read-only. */
static void prefault_table(const hc_table *t, int writable)
{
	unsigned char *p;
	size_t bytes, i;

	if (st_table_region(t, (void **)&p, &bytes))
		return;
	if (writable) {
		(void)st_populate(p, bytes);
		st_touch_write(p, bytes);
	} else {
		volatile unsigned char sink = 0;

		for (i = 0; i < bytes; i += 4096)
			sink ^= p[i];
		(void)sink;
	}
}

static uint64_t table_bytes(const hc_table *t)
{
	hc_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	return hc_table_stats(t, &st) == HC_OK ? st.mapped_bytes : 0;
}

static void shm_name(char *buf, size_t cap, const struct ctl *c, int i)
{
	snprintf(buf, cap, "%s-%d", c->shm_prefix, i);
}

static int worker(int i, void *arg)
{
	struct bench *b = arg;
	struct ctl *c = b->ctl;
	uint64_t seen = 0;
	int k;

	(void)st_pin(i);
	for (k = 0; k < 2; k++) {
		st_touch_write(b->wl[k].tmap, b->wl[k].tmap_bytes);
		st_touch_write(b->wl[k].arr, b->wl[k].nwords * 8);
		(void)st_lock(b->wl[k].tmap, b->wl[k].tmap_bytes);
		(void)st_lock(b->wl[k].arr, b->wl[k].nwords * 8);
	}
	atomic_fetch_add(&c->ready, 1);
	for (;;) {
		struct st_wslot *ws = &c->ws[i];
		const struct workload *w;
		const struct st_dist *d;
		struct st_rng rng;
		uint64_t rd;
		int rc = HC_OK;

		while ((rd = atomic_load_explicit(
				&c->round, memory_order_acquire)) == seen)
			st_sleep_ns(50000);
		if (rd == UINT64_MAX)
			return 0;
		seen = rd;
		if (i < c->nw) {
			w = &b->wl[c->wl];
			d = &b->dist[c->wl][c->dist];
			st_rng_seed(&rng, c->seed, (uint64_t)i);
			if (c->method != M_PRIVATE_MERGE)
				atomic_fetch_add(&c->started, 1);
			ws->t_start = st_now_ns();
			if (c->method == M_LIMIT) {
				ws->ops = run_limit(b, w, d, &rng);
			} else if (c->method == M_PRIVATE_MERGE) {
				/* A private table of the shared one's size,
				 * in named shared memory so that the parent
				 * can merge it. */
				hc_table *p = NULL;
				hc_options o;
				char name[96];

				hc_options_init(&o);
				o.capacity = w->capacity;
				shm_name(name, sizeof(name), c, i);
				rc = hc_table_create_shm(&p, name, &o);
				if (rc == HC_OK)
					prefault_table(p, 1);
				atomic_fetch_add(&c->started, 1);
				ws->t_start = st_now_ns();
				if (rc == HC_OK) {
					ws->ops = run_table(b, p, c->method, d,
							    &rng, &rc);
					hc_table_close(p);
				}
			} else {
				ws->ops = run_table(b, w->t, c->method, d, &rng,
						    &rc);
			}
			ws->t_end = st_now_ns();
			ws->rc = rc;
		}
		atomic_store_explicit(&ws->round, rd, memory_order_release);
	}
}

/* ---- rculfhash, threads in the parent ------------------------------------ */

struct lf_node {
	struct cds_lfht_node node;
	uint64_t key;
	uint64_t count; /* __atomic_fetch_add */
};

struct lf_arg {
	struct bench *b;
	struct cds_lfht *ht;
	const struct st_dist *d;
	int i;
	uint64_t ops;
	uint64_t t_start, t_end;
};

static int lf_match(struct cds_lfht_node *node, const void *key)
{
	const struct lf_node *n = caa_container_of(node, struct lf_node, node);

	return n->key == *(const uint64_t *)key;
}

/* Add one to @key's count, inserting it if absent (lookup first: a miss
 * allocates a node and races with cds_lfht_add_unique(); a loser frees
 * its never-published node and increments the winner's). */
static void lf_add(struct cds_lfht *ht, uint64_t key)
{
	unsigned long hash = (unsigned long)st_mix64(key ^ 0x5555);
	struct cds_lfht_iter iter;
	struct cds_lfht_node *got;
	struct lf_node *n;

	rcu_read_lock();
	cds_lfht_lookup(ht, hash, lf_match, &key, &iter);
	got = cds_lfht_iter_get_node(&iter);
	if (!got) {
		n = malloc(sizeof(*n));
		if (!n)
			st_die("rculfhash: out of memory");
		cds_lfht_node_init(&n->node);
		n->key = key;
		n->count = 0;
		got = cds_lfht_add_unique(ht, hash, lf_match, &key, &n->node);
		if (got != &n->node)
			free(n);
	}
	n = caa_container_of(got, struct lf_node, node);
	__atomic_fetch_add(&n->count, 1, __ATOMIC_RELAXED);
	rcu_read_unlock();
}

static void *lf_thread(void *arg)
{
	struct lf_arg *a = arg;
	struct st_rng rng;
	uint64_t done = 0;

	(void)st_pin(a->i);
	rcu_register_thread();
	st_rng_seed(&rng, a->b->ctl->seed, (uint64_t)a->i);
	a->t_start = st_now_ns();
	while (!round_over(a->b, done)) {
		int j;

		for (j = 0; j < BATCH; j++)
			lf_add(a->ht, st_key_u64(st_dist_next(a->d, &rng),
						 a->b->salt));
		done += BATCH;
	}
	a->t_end = st_now_ns();
	a->ops = done;
	rcu_unregister_thread();
	return NULL;
}

/* ---- rounds ------------------------------------------------------------- */

struct result {
	double mops;
	uint64_t peak_bytes;
};

/* Sleep @secs while sampling memory; returns the peak rise of Shmem (or
 * of RssAnon for threads). */
static uint64_t sample_for(double secs, int threads, uint64_t base)
{
	uint64_t end = st_now_ns() + (uint64_t)(secs * 1e9), peak = 0;

	while (st_now_ns() < end) {
		uint64_t m = threads ? st_rss_anon_bytes() : st_shmem_bytes();

		if (m > base && m - base > peak)
			peak = m - base;
		st_sleep_ns(10000000);
	}
	return peak;
}

static struct result round_rculfhash(struct bench *b, int wl, int dist, int nw,
				     uint64_t seed)
{
	struct workload *w = &b->wl[wl];
	struct lf_arg args[MAX_WORKERS];
	pthread_t th[MAX_WORKERS];
	struct result r = { 0, 0 };
	uint64_t t0 = UINT64_MAX, t1 = 0, total = 0, base;
	int i;

	if (!w->ht) {
		unsigned long init = 1;

		w->ht_rss0 = st_rss_anon_bytes();
		while (init < w->nids)
			init <<= 1;
		w->ht = cds_lfht_new(init, 1, 0,
				     CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				     NULL);
		if (!w->ht)
			st_die("cds_lfht_new failed");
	}
	/* Its memory is everything it allocated since its creation: the
	 * buckets and every node, kept across rounds. */
	base = w->ht_rss0;
	b->ctl->seed = seed;
	atomic_store(&b->ctl->stop, 0);
	for (i = 0; i < nw; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].b = b;
		args[i].ht = w->ht;
		args[i].d = &b->dist[wl][dist];
		args[i].i = i;
		if (pthread_create(&th[i], NULL, lf_thread, &args[i]))
			st_die("pthread_create failed");
	}
	if (!b->c.ops)
		r.peak_bytes = sample_for(b->c.duration, 1, base);
	atomic_store(&b->ctl->stop, 1);
	for (i = 0; i < nw; i++) {
		pthread_join(th[i], NULL);
		total += args[i].ops;
		if (args[i].t_start < t0)
			t0 = args[i].t_start;
		if (args[i].t_end > t1)
			t1 = args[i].t_end;
	}
	if (b->c.ops && st_rss_anon_bytes() > base)
		r.peak_bytes = st_rss_anon_bytes() - base;
	r.mops = (double)total / ((double)(t1 - t0) / 1e9) / 1e6;
	return r;
}

static struct result round_forked(struct bench *b, int method, int wl, int dist,
				  int nw, uint64_t seed)
{
	struct ctl *c = b->ctl;
	struct workload *w = &b->wl[wl];
	struct result r = { 0, 0 };
	uint64_t rd = atomic_load(&c->round) + 1, total, t0, t1;
	uint64_t base = st_shmem_bytes(), peak;
	uint64_t t_merge = 0, mapped = 0;
	int i;

	c->method = method;
	c->wl = wl;
	c->dist = dist;
	c->nw = nw;
	c->seed = seed;
	atomic_store(&c->stop, 0);
	atomic_store(&c->started, 0);
	atomic_store_explicit(&c->round, rd, memory_order_release);
	/* Private tables are faulted in before their workers count. */
	while (atomic_load(&c->started) < (uint64_t)nw)
		st_sleep_ns(1000000);
	peak = b->c.ops ? 0 : sample_for(b->c.duration, 0, base);
	atomic_store(&c->stop, 1);
	st_round_collect(c->ws, MAX_WORKERS, nw, rd, 100000,
			 method_names[method], &total, &t0, &t1);
	if (method == M_PRIVATE_MERGE) {
		/* The merge is part of the design's cost: attach every
		 * private table and add it into a fresh one. */
		hc_table *dst = NULL, *src = NULL;
		hc_options o;
		char name[96];
		int rc;

		hc_options_init(&o);
		o.capacity = w->capacity;
		rc = hc_table_create(&dst, &o);
		if (rc)
			st_die("merge: hc_table_create: %s", hc_strerror(rc));
		prefault_table(dst, 1);
		mapped = table_bytes(dst);
		for (i = 0; i < nw; i++) {
			uint64_t tm;

			shm_name(name, sizeof(name), c, i);
			rc = hc_table_attach(&src, name, HC_OPEN_RDONLY);
			if (rc)
				st_die("merge: attach %s: %s", name,
				       hc_strerror(rc));
			prefault_table(src, 0);
			tm = st_now_ns();
			rc = hc_table_merge(dst, src);
			t_merge += st_now_ns() - tm;
			if (rc)
				st_die("merge: %s", hc_strerror(rc));
			mapped += table_bytes(src);
			hc_table_close(src);
			(void)hc_shm_unlink(name);
		}
		t1 += t_merge;
		hc_table_close(dst);
		/* Every page is faulted in, so resident = mapped: all the
		 * private tables and the merge target at once. */
		r.peak_bytes = mapped;
		(void)peak;
	} else {
		r.peak_bytes =
			method == M_LIMIT ? w->nwords * 8 : w->tmap_bytes;
	}
	r.mops = (double)total / ((double)(t1 - t0) / 1e9) / 1e6;
	return r;
}

/* ---- setup and main ------------------------------------------------------ */

static void setup_workload(struct workload *w, const char *name, uint64_t bytes)
{
	hc_options o;
	int rc;

	w->name = name;
	w->bytes = bytes;
	w->capacity = bytes / 16;
	w->nids = w->capacity / 2;
	hc_options_init(&o);
	o.capacity = w->capacity;
	rc = hc_table_create(&w->t, &o);
	if (rc)
		st_die("hc_table_create: %s", hc_strerror(rc));
	if (st_table_region(w->t, &w->tmap, &w->tmap_bytes))
		st_die("hc_table_view failed");
	(void)st_populate(w->tmap, w->tmap_bytes);
	w->nwords = bytes / 8;
	w->arr = st_shared_alloc(bytes);
	(void)st_populate(w->arr, bytes);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_compare [options]\n"
		"  --workers LIST     e.g. 1,2,4,8 (default; at most 8)\n"
		"  --duration S       seconds per round (default 0.3)\n"
		"  --ops N            or adds per worker per round\n"
		"  --seed N           key streams (default 1)\n"
		"  --reps N           rounds per figure, median (default 3)\n"
		"  --large-bytes N    out-of-cache table (default 256Mi)\n"
		"  --cache-bytes N    in-cache table (default 512Ki)\n"
		"  --zipf-s X         Zipf exponent (default 1.0)\n"
		"  --methods LIST     subset of: limit,hc_single_exact,...\n");
	exit(2);
}

static void parse(struct cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, 0, 'w' },
		{ "duration", required_argument, 0, 'd' },
		{ "ops", required_argument, 0, 'o' },
		{ "seed", required_argument, 0, 's' },
		{ "reps", required_argument, 0, 'r' },
		{ "large-bytes", required_argument, 0, 'L' },
		{ "cache-bytes", required_argument, 0, 'C' },
		{ "zipf-s", required_argument, 0, 'z' },
		{ "methods", required_argument, 0, 'm' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char *dup, *tok, *save;
	int ch, m;

	memset(c, 0, sizeof(*c));
	c->workers[0] = 1;
	c->workers[1] = 2;
	c->workers[2] = 4;
	c->workers[3] = 8;
	c->nworkers = 4;
	c->duration = 0.3;
	c->seed = 1;
	c->reps = 3;
	c->large_bytes = UINT64_C(256) << 20;
	c->cache_bytes = 512 << 10;
	c->zipf_s = 1.0;
	c->methods = (1 << M_COUNT) - 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			c->nworkers = 0;
			dup = strdup(optarg);
			save = NULL;
			for (tok = strtok_r(dup, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				uint64_t v = st_parse_u64("workers", tok);

				if (v < 1 || v > MAX_WORKERS ||
				    c->nworkers == 4)
					st_die("--workers: up to 4 values "
					       "in 1..%d",
					       MAX_WORKERS);
				c->workers[c->nworkers++] = (int)v;
			}
			free(dup);
			break;
		case 'd':
			c->duration = st_parse_double("duration", optarg);
			break;
		case 'o':
			c->ops = st_parse_u64("ops", optarg);
			break;
		case 's':
			c->seed = st_parse_u64("seed", optarg);
			break;
		case 'r':
			c->reps = (int)st_parse_u64("reps", optarg);
			break;
		case 'L':
			c->large_bytes = st_parse_u64("large-bytes", optarg);
			break;
		case 'C':
			c->cache_bytes = st_parse_u64("cache-bytes", optarg);
			break;
		case 'z':
			c->zipf_s = st_parse_double("zipf-s", optarg);
			break;
		case 'm':
			c->methods = 0;
			dup = strdup(optarg);
			save = NULL;
			for (tok = strtok_r(dup, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (m = 0; m < M_COUNT; m++)
					if (!strcmp(tok, method_names[m]))
						break;
				if (m == M_COUNT)
					st_die("--methods: unknown %s", tok);
				c->methods |= 1 << m;
			}
			free(dup);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || c->nworkers < 1)
		usage();
	if (c->duration <= 0 || c->reps < 1 || c->reps > MAX_REPS)
		st_die("--duration > 0, --reps 1..%d", MAX_REPS);
	if (c->large_bytes < 65536 || c->cache_bytes < 65536)
		st_die("--large-bytes, --cache-bytes: at least 64Ki");
}

static void cleanup_shm(struct ctl *c)
{
	char name[96];
	int i;

	for (i = 0; i < MAX_WORKERS; i++) {
		shm_name(name, sizeof(name), c, i);
		(void)hc_shm_unlink(name);
	}
}

int main(int argc, char **argv)
{
	static struct bench b;
	static char res[65536];
	static double v[M_COUNT][MAX_REPS];
	static uint64_t peak[M_COUNT][MAX_REPS];
	pid_t pids[MAX_WORKERS];
	struct st_json j;
	char model[256];
	size_t rn = 0;
	uint64_t t_setup, round = 0;
	int wl, dist, wi, m, rep, i;

	parse(&b.c, argc, argv);
	st_check_lockfree();
	st_cpu_model(model, sizeof(model));
	b.salt = st_mix64(b.c.seed ^ UINT64_C(0x6b657973));
	b.ctl = st_shared_alloc(sizeof(*b.ctl));
	snprintf(b.ctl->shm_prefix, sizeof(b.ctl->shm_prefix), "/hc-bench-%d",
		 (int)getpid());
	setup_workload(&b.wl[0], "cache", b.c.cache_bytes);
	setup_workload(&b.wl[1], "large", b.c.large_bytes);
	for (wl = 0; wl < 2; wl++) {
		st_dist_init(&b.dist[wl][0], ST_UNIFORM, b.wl[wl].nids, 0, 0,
			     0);
		st_dist_init(&b.dist[wl][1], ST_ZIPF, b.wl[wl].nids, b.c.zipf_s,
			     0, 0);
	}
	fprintf(stderr,
		"bench_compare: %s, %d CPUs; cache %" PRIu64
		" KiB, large %" PRIu64 " MiB; %.2f s rounds, %d reps\n",
		model, st_ncpu(), b.c.cache_bytes >> 10, b.c.large_bytes >> 20,
		b.c.duration, b.c.reps);
	t_setup = st_now_ns();
	for (i = 0; i < MAX_WORKERS; i++)
		pids[i] = st_spawn(worker, i, &b);
	while (atomic_load(&b.ctl->ready) < MAX_WORKERS)
		st_sleep_ns(1000000);
	fprintf(stderr, "workers ready after %.1f s (page faults)\n",
		(double)(st_now_ns() - t_setup) / 1e9);
	fprintf(stderr, "%-6s %-8s %2s %-18s %9s %9s %9s %9s\n", "table",
		"keys", "w", "method", "M ops/s", "vs limit", "vs rculf",
		"peak MiB");
	rn += (size_t)snprintf(res + rn, sizeof(res) - rn, "[");
	for (wl = 0; wl < 2; wl++) {
		for (dist = 0; dist < 2; dist++) {
			for (wi = 0; wi < b.c.nworkers; wi++) {
				int nw = b.c.workers[wi];
				double med[M_COUNT];
				uint64_t pk[M_COUNT];

				for (rep = 0; rep < b.c.reps; rep++) {
					for (m = 0; m < M_COUNT; m++) {
						struct result r;
						uint64_t s = b.c.seed + round++;

						if (!(b.c.methods & (1 << m)))
							continue;
						/* Its tables are allocated and
						 * faulted in each round: once
						 * per figure keeps the suite
						 * short. */
						if (m == M_PRIVATE_MERGE &&
						    rep > 0) {
							v[m][rep] = v[m][0];
							peak[m][rep] =
								peak[m][0];
							continue;
						}
						if (m == M_RCULFHASH)
							r = round_rculfhash(
								&b, wl, dist,
								nw, s);
						else
							r = round_forked(
								&b, m, wl, dist,
								nw, s);
						v[m][rep] = r.mops;
						peak[m][rep] = r.peak_bytes;
					}
				}
				for (m = 0; m < M_COUNT; m++) {
					uint64_t p = 0;

					med[m] = 0;
					if (!(b.c.methods & (1 << m)))
						continue;
					med[m] = st_median(v[m],
							   (size_t)b.c.reps);
					for (rep = 0; rep < b.c.reps; rep++)
						if (peak[m][rep] > p)
							p = peak[m][rep];
					pk[m] = p;
				}
				for (m = 0; m < M_COUNT; m++) {
					double vl, vr;

					if (!(b.c.methods & (1 << m)))
						continue;
					vl = med[M_LIMIT] > 0
						     ? med[m] / med[M_LIMIT]
						     : 0;
					vr = med[M_RCULFHASH] > 0
						     ? med[m] / med[M_RCULFHASH]
						     : 0;
					fprintf(stderr,
						"%-6s %-8s %2d %-18s %9.2f "
						"%8.0f%% %8.1fx %9.1f\n",
						b.wl[wl].name,
						dist ? "zipf" : "uniform", nw,
						method_names[m], med[m],
						100 * vl, vr,
						(double)pk[m] / 1048576);
					rn += (size_t)snprintf(
						res + rn, sizeof(res) - rn,
						"%s{\"table\":\"%s\","
						"\"keys\":\"%s\",\"workers\":%"
						"d,"
						"\"method\":\"%s\","
						"\"mops\":%.3f,"
						"\"vs_limit\":%.4f,"
						"\"vs_rculfhash\":%.3f,"
						"\"peak_bytes\":%" PRIu64 "}",
						rn > 1 ? "," : "",
						b.wl[wl].name,
						dist ? "zipf" : "uniform", nw,
						method_names[m], med[m], vl, vr,
						pk[m]);
				}
			}
		}
	}
	snprintf(res + rn, sizeof(res) - rn, "]");
	atomic_store(&b.ctl->round, UINT64_MAX);
	for (i = 0; i < MAX_WORKERS; i++)
		(void)st_reap(pids[i]);
	cleanup_shm(b.ctl);
	st_json_begin(&j);
	st_json_str(&j, "bench", "compare");
	st_json_str(&j, "cpu", model);
	st_json_u64(&j, "cpus", (uint64_t)st_ncpu());
	st_json_u64(&j, "llc_bytes", st_llc_bytes());
	st_json_u64(&j, "large_bytes", b.c.large_bytes);
	st_json_u64(&j, "cache_bytes", b.c.cache_bytes);
	st_json_f64(&j, "duration", b.c.duration);
	st_json_u64(&j, "seed", b.c.seed);
	st_json_u64(&j, "reps", (uint64_t)b.c.reps);
	st_json_f64(&j, "zipf_s", b.c.zipf_s);
	st_json_str(&j, "version", hc_version());
	st_json_rawval(&j, "results", res);
	st_json_end(&j);
	return 0;
}
