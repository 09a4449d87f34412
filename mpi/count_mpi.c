/* SPDX-License-Identifier: MIT */
/*
 * count_mpi.c - hogcount-mpi count: count with N MPI ranks spread over
 * any number of nodes into one sharded table (docs/scaling.md).
 *
 * Within a node the ranks share ONE table: node rank 0 creates it in a
 * named POSIX shared-memory object, the other ranks of the node attach
 * it, and it is unlinked as soon as every rank has it mapped, so no
 * segment outlives the job however it ends.  Across nodes every key
 * belongs to one node, by the key layer's partition (hck_part_*).
 *
 * Each rank takes every P-th work item (whole streams, and ranges of
 * plain files cut at record boundaries, as `hogcount count` cuts them:
 * the input layer, hogcount_input.h) and tokenizes it with the key layer into a sink that
 * calls route(): keys go into a small private table that sums repeats
 * (the map-side combine).  When it is half full, its records go to
 * their owners, one of two ways (--exchange):
 *  - p2p (the default): into one block per destination rank, sent with
 *    MPI_Isend as it fills while the next one fills; each rank takes
 *    what reaches it between batches of its own keys and adds it into
 *    its node's table, so reading, sending and adding overlap.  A rank
 *    that is done sends everyone an end mark and takes blocks until it
 *    holds everyone's (see "--exchange p2p" below);
 *  - alltoallv: all ranks run one exchange round: each drains its
 *    combine table into one buffer per destination rank, MPI_Alltoallv
 *    moves them, and each rank adds what it received.  A rank that has
 *    finished keeps joining rounds, with nothing to send, until every
 *    rank has said it is done; an error anywhere is carried by the same
 *    round, so every rank stops together.
 * Either way one of the failing ranks prints the error at the end.
 *
 * Output (save()): world rank 0 removes an earlier run's manifest OUT;
 * node rank 0 of node i saves its table as OUT.shard-i-of-n
 * (hc_table_save: temporary name, fsync, rename; it removes the
 * temporary of a killed saver of that name) and reports its size and
 * sum (hck_shard_id_read); world rank 0
 * checks that it sees every shard as its node wrote it (a shared
 * output directory), then writes the manifest OUT last, atomically,
 * with the run id and those sizes and sums (hck_manifest_write, the key
 * layer's, as every reader's).  On failure the shards are
 * removed and nothing is left under OUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <mpi.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "count_opts.h"
#include "hogcount_input.h"

/* The combine table of each rank: its slots, its key area (byte keys),
 * and the share of them in use that starts an exchange round. */
#define COMBINE_SLOTS (UINT64_C(1) << 20)
_Static_assert(COMBINE_SLOTS == UINT64_C(1) << 20, "comb_hash");
#define COMBINE_ARENA (UINT64_C(64) << 20)
#define COMBINE_FILL 0.5
/* Keys per batched add into the node table. */
#define ADD_BATCH 4096

/* --exchange p2p: the size of a block, from the buffers a rank may
 * hold (two blocks per destination: one filling, one in flight). */
#define P2P_BLOCK_MAX (UINT64_C(1) << 20)
#define P2P_BLOCK_MIN (UINT64_C(16) << 10)
#define P2P_BUFFERS (UINT64_C(64) << 20) /* per rank, all destinations */
/* Message tags: a block's record format, or the end mark. */
enum { TAG_INTS = 1, TAG_RAW = 2, TAG_BYTES = 3, TAG_END = 4 };

/* Stops the tokenizer when another rank failed (never printed). */
#define STOPPED HC_EMISUSE

struct topo {
	int wrank, wsize; /* MPI_COMM_WORLD */
	MPI_Comm node; /* the ranks of my node */
	int nrank, nsize;
	uint32_t nid, nnodes; /* my node, and how many */
	int *dest; /* dest[j]: the rank I send node j's keys to */
	uint32_t host_tables; /* node tables on this machine */
};

struct xchg {
	const struct topo *tp;
	hck_meta m;
	int bytes; /* byte-string keys */
	hc_table *comb; /* the combine table of byte keys */
	uint64_t *ckeys, *ccounts; /* ... of integer keys, private */
	uint32_t *cused; /* its slots in use, in order */
	size_t cn;
	/* Integer keys whose repeats are too rare to pay for the combine
	 * (DNA of a large genome) go raw: 8-byte keys, count 1 each. */
	int raw;
	uint64_t raw_n, round_tokens, round_records;
	uint64_t comb_pending; /* keys added since the last look */
	uint64_t comb_arena_pending;
	hc_table *table; /* the node's table */
	unsigned char **sb; /* per destination rank */
	size_t *slen, *scap;
	unsigned char *sbuf, *rbuf;
	size_t sbuf_cap, rbuf_cap;
	int *scount, *sdispl, *rcount, *rdispl;
	uint64_t tokens, sent_bytes, sent_records, rounds;
	int all_done, stop;
	int err; /* HC_E* code met here, or -1000 for an input error */
	char msg[1536];
	int kill_round; /* testing aid: HOGCOUNT_MPI_TEST_KILL */
	uint64_t round_keys; /* keys buffered that start a round */
	int max_size; /* --max-size was given */
	uint64_t windows; /* combine windows ended (window_end) */
	/* --exchange p2p: blocks sent to each rank as they fill */
	int p2p;
	size_t pblk; /* bytes that make a block */
	unsigned char **inflight; /* per destination: the block in flight */
	size_t *icap;
	MPI_Request *sreq; /* ... and its send */
	int *sfmt; /* per destination: the tag of sb[d]'s records */
	unsigned char *rblk; /* the block being received */
	size_t rblk_cap;
	int ends; /* end marks received */
	unsigned char end_flag; /* this rank failed: its end marks say so */
	MPI_Request *ereq; /* its end marks */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mpirun -np N hogcount-mpi count [OPTIONS] FILE...\n"
		"Count byte fragments, word n-grams or DNA k-mers of order K "
		"in\n"
		"FILEs (plain, FASTA, FASTQ; gzip, xz, bzip2 or zstd) with N "
		"MPI\n"
		"ranks into one sharded table: a manifest OUT and one table "
		"file\n"
		"per node, OUT.shard-<i>-of-<n>, which every hogcount "
		"subcommand\n"
		"reads as one table.  The inputs and OUT's directory must be "
		"on\n"
		"a file system every node shares (rank 0 checks that it sees "
		"every\n"
		"shard before it writes OUT).  The options of hogcount count "
		"but\n"
		"--into:\n"
		"\n");
	count_opts_usage(f, COUNT_OPTS_MPI);
	fprintf(f, "\n"
		   "HOGCOUNT_MPI_RANKS_PER_NODE=R (testing aid) treats every R "
		   "ranks\n"
		   "as one node, so one machine can run several nodes.\n");
}

static int agree_ok(int ok)
{
	int all = 0;

	MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	return all;
}

/* ---- topology ------------------------------------------------------- */

static int topo_init(struct topo *tp)
{
	const char *env = getenv("HOGCOUNT_MPI_RANKS_PER_NODE");
	int *node_of, *seen, lead, nid = 0;
	MPI_Comm host, leaders;

	MPI_Comm_rank(MPI_COMM_WORLD, &tp->wrank);
	MPI_Comm_size(MPI_COMM_WORLD, &tp->wsize);
	MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, tp->wrank,
			    MPI_INFO_NULL, &host);
	if (env && *env) {
		char *end;
		long r = strtol(env, &end, 10);

		if (*end || r < 1) {
			if (!tp->wrank)
				cli_error("HOGCOUNT_MPI_RANKS_PER_NODE",
					  "'%s' is not a rank count", env);
			MPI_Comm_free(&host);
			return -1;
		}
		/* Ranks of one group must share memory: split the real
		 * node by groups of R. */
		MPI_Comm_split(host, tp->wrank / (int)r, tp->wrank, &tp->node);
	} else {
		MPI_Comm_dup(host, &tp->node);
	}
	MPI_Comm_rank(tp->node, &tp->nrank);
	MPI_Comm_size(tp->node, &tp->nsize);
	lead = tp->nrank == 0;
	MPI_Allreduce(&lead, &nid, 1, MPI_INT, MPI_SUM, host);
	tp->host_tables = (uint32_t)nid;
	MPI_Comm_free(&host);
	/* Nodes are numbered by their leaders' world ranks. */
	MPI_Comm_split(MPI_COMM_WORLD, lead ? 0 : MPI_UNDEFINED, tp->wrank,
		       &leaders);
	if (lead) {
		int r, n;

		MPI_Comm_rank(leaders, &r);
		MPI_Comm_size(leaders, &n);
		tp->nid = (uint32_t)r;
		tp->nnodes = (uint32_t)n;
		MPI_Comm_free(&leaders);
	}
	MPI_Bcast(&tp->nid, 1, MPI_UINT32_T, 0, tp->node);
	MPI_Bcast(&tp->nnodes, 1, MPI_UINT32_T, 0, tp->node);
	/* dest[j]: spread the senders over the ranks of node j. */
	node_of = xmalloc((size_t)tp->wsize * sizeof(*node_of));
	seen = calloc(tp->nnodes, sizeof(*seen));
	tp->dest = xmalloc(tp->nnodes * sizeof(*tp->dest));
	nid = (int)tp->nid;
	MPI_Allgather(&nid, 1, MPI_INT, node_of, 1, MPI_INT, MPI_COMM_WORLD);
	for (uint32_t j = 0; j < tp->nnodes; j++) {
		int size = 0, pick, k = 0;

		for (int r = 0; r < tp->wsize; r++)
			size += node_of[r] == (int)j;
		pick = tp->wrank % size;
		for (int r = 0; r < tp->wsize; r++)
			if (node_of[r] == (int)j && k++ == pick)
				tp->dest[j] = r;
	}
	free(seen);
	free(node_of);
	return 0;
}

/* ---- the node table ------------------------------------------------- */

/*
 * The distinct keys one node's table is made for: its share of @keys
 * (the whole job's), with headroom for an uneven split.  The one place
 * that sizes node tables; once tables grow by themselves (the kernel's
 * online growth) it returns the plan's starting size instead.
 */
static uint64_t node_table_keys(uint64_t keys, uint32_t nnodes)
{
	return keys / nnodes + keys / nnodes / 4 + 65536;
}

/* A bound on the job's distinct keys from the input sizes, as count's
 * first estimate (cli/cmd_count.c: key_bound) before its sample. */
static uint64_t job_key_bound(const hci_job *w, const hck_meta *m)
{
	hci_stats st = { .size = sizeof(st) };
	hci_input in = { .size = sizeof(in) };
	double est = 0;
	unsigned bits = hck_key_bits(m);

	hci_job_stats(w, &st);
	for (size_t i = 0; i < st.inputs && !hci_job_input(w, i, &in); i++) {
		double b = (double)in.bytes;

		if (in.stream)
			b *= 4;
		if (m->tokens == HCK_DNA && in.fmt == HCK_FMT_FASTQ)
			b /= 2;
		if (m->tokens == HCK_WORDS)
			b /= 2;
		est += b;
	}
	if (bits && bits < 64 && est > (double)(UINT64_C(1) << bits))
		est = (double)(UINT64_C(1) << bits);
	return (uint64_t)est + 1;
}

static uint64_t phys_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psz <= 0)
		return UINT64_C(4) << 30;
	return (uint64_t)pages * (uint64_t)psz;
}

static int node_table_create(const struct topo *tp, const hci_job *w,
			     const struct count_opts *o, hc_table **t)
{
	const hck_meta *m = &o->m;
	hck_plan_in in;
	hck_plan plan = { .size = sizeof(plan) };
	uint64_t token = 0;
	char name[64];
	int rc = 0;

	hck_plan_in_init(&in);
	in.mode = o->mode;
	in.wide = o->wide;
	in.keys = node_table_keys(o->size ? o->size : job_key_bound(w, m),
				  tp->nnodes);
	if (o->max_size) {
		/* --max-size N keys in all: each node's share of N, with a
		 * quarter more for an uneven split. */
		uint64_t lim = o->max_size / tp->nnodes +
			       o->max_size / tp->nnodes / 4 + 1;

		in.max_capacity = hck_plan_max_capacity(lim);
		if (in.keys > lim)
			in.keys = lim;
	} else if (!o->size) {
		in.max_capacity = phys_bytes() / 4 / 16 / tp->host_tables;
	}
	in.key_bytes = m->tokens == HCK_WORDS ? 16 + 8 * (uint64_t)m->k
					      : 8 + ((m->k + 7) & ~7u);
	if (hck_plan_table(m, &in, &plan)) {
		if (!tp->wrank)
			cli_error("table", "no plan for these keys");
		return -1;
	}
	if (!tp->wrank)
		token = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	MPI_Bcast(&token, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	snprintf(name, sizeof(name), "/hc-mpi-%llx-%u",
		 (unsigned long long)token, (unsigned)tp->nid);
	if (!tp->nrank) {
		rc = hc_table_create_shm(t, name, &plan.opt);
		if (!rc) {
			rc = hck_meta_store(*t, m);
			if (rc) {
				hc_table_close(*t);
				hc_shm_unlink(name);
			}
		}
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, tp->node);
	if (!rc && tp->nrank)
		rc = hc_table_attach(t, name, HC_OPEN_RDWR);
	/* Every rank of the node has it mapped (or failed): unlink now,
	 * so that no segment outlives the job, however it ends. */
	MPI_Barrier(tp->node);
	if (!tp->nrank && (!rc || tp->nsize > 1))
		hc_shm_unlink(name);
	if (rc) {
		cli_error("table", "node %u: %s", (unsigned)tp->nid,
			  hc_strerror(rc));
		*t = NULL;
	}
	if (!agree_ok(!rc)) {
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	/* Touch every page now: a table larger than /dev/shm allows fails
	 * here with a message instead of SIGBUS in the middle of the run. */
	rc = hc_table_prefault(*t);
	if (rc && !tp->nrank)
		cli_error("table", "node %u: %s (/dev/shm too small?)",
			  (unsigned)tp->nid, hc_strerror(rc));
	if (!agree_ok(!rc)) {
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

/* ---- the exchange --------------------------------------------------- */

/* Fibonacci hashing into COMBINE_SLOTS = 2^20 slots. */
static uint64_t comb_hash(uint64_t k)
{
	return (k * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - 20);
}

/* Integer keys combine in plain private arrays (open addressing, the
 * slots in use listed for the drain): no shared mapping to fault in
 * and no atomics.  Byte keys combine in a private hc_table, which keeps
 * their bytes. */
static int comb_create(struct xchg *x)
{
	hc_options o;

	if (!x->bytes) {
		if (!x->ckeys) {
			x->ckeys = malloc(COMBINE_SLOTS * sizeof(*x->ckeys));
			x->ccounts = calloc(COMBINE_SLOTS, sizeof(*x->ccounts));
			x->cused = malloc(COMBINE_SLOTS * sizeof(*x->cused));
		}
		x->cn = 0;
		return x->ckeys && x->ccounts && x->cused ? 0 : HC_ENOMEM;
	}

	hc_options_init(&o);
	o.key_kind = x->bytes ? HC_KEY_BYTES : HC_KEY_U64;
	o.capacity = COMBINE_SLOTS;
	if (x->bytes)
		o.arena_bytes = COMBINE_ARENA;
	x->comb_pending = 0;
	x->comb_arena_pending = 0;
	return hc_table_create(&x->comb, &o);
}

static void x_fail(struct xchg *x, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void x_fail(struct xchg *x, int code, const char *fmt, ...)
{
	va_list ap;

	if (x->err)
		return;
	x->err = code;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
}

static void p2p_send(struct xchg *x, int d);

/* --exchange p2p: before a record of @need bytes in the format @tag for
 * rank @d, send d's block if the record would make it larger than a
 * block or of two formats.  A record is never cut. */
static void room(struct xchg *x, int d, size_t need, int tag)
{
	if (!x->p2p)
		return;
	if (x->slen[d] && (x->sfmt[d] != tag || x->slen[d] + need > x->pblk))
		p2p_send(x, d);
	x->sfmt[d] = tag;
}

/* Buffers start small: with thousands of ranks most get a few records
 * a round, and a large start would cost ranks x capacity each. */
static void put(struct xchg *x, int d, const void *p, size_t n)
{
	if (x->slen[d] + n > x->scap[d]) {
		size_t cap = x->scap[d] ? x->scap[d] * 2 : 256;

		while (cap < x->slen[d] + n)
			cap *= 2;
		x->sb[d] = xrealloc(x->sb[d], cap);
		x->scap[d] = cap;
	}
	memcpy(x->sb[d] + x->slen[d], p, n);
	x->slen[d] += n;
}

/* The combine table into one buffer per destination rank, as records:
 * integer keys {u64 key, u64 count}; byte keys {u32 len, u32 0, u64
 * count, len bytes padded to 8}.  Then a fresh combine table. */
static int drain(struct xchg *x)
{
	static const unsigned char zero[8];
	hc_iter *it;
	hc_entry e;
	int rc;

	if (!x->bytes) {
		for (size_t i = 0; i < x->cn; i++) {
			uint32_t j = x->cused[i];
			uint64_t rec[2] = { x->ckeys[j], x->ccounts[j] };
			int d = x->tp->dest[hck_part_key(rec[0],
							 x->tp->nnodes)];

			room(x, d, sizeof(rec), TAG_INTS);
			put(x, d, rec, sizeof(rec));
			x->ccounts[j] = 0;
		}
		x->sent_records += x->cn;
		x->round_records += x->cn;
		x->cn = 0;
		return 0;
	}
	if (hc_iter_create(x->comb, &it))
		return HC_ENOMEM;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		if (x->bytes) {
			uint32_t hdr[2] = { (uint32_t)e.len, 0 };
			int d = x->tp->dest[hck_part_bytes(e.bytes, e.len,
							   x->tp->nnodes)];

			room(x, d, 16 + e.len + (8 - e.len % 8) % 8, TAG_BYTES);
			put(x, d, hdr, sizeof(hdr));
			put(x, d, &e.count, 8);
			put(x, d, e.bytes, e.len);
			put(x, d, zero, (8 - e.len % 8) % 8);
		} else {
			uint64_t rec[2] = { e.key, e.count };

			put(x, x->tp->dest[hck_part_key(e.key, x->tp->nnodes)],
			    rec, sizeof(rec));
		}
		x->sent_records++;
	}
	hc_iter_destroy(it);
	hc_table_close(x->comb);
	x->comb = NULL;
	if (rc < 0)
		return rc;
	return comb_create(x);
}

static int add_ints(struct xchg *x, const unsigned char *p, size_t len)
{
	uint64_t keys[ADD_BATCH], deltas[ADD_BATCH];
	size_t n = 0, done = 0;
	int rc = 0;

	for (size_t off = 0; off + 16 <= len && !rc; off += 16) {
		memcpy(&keys[n], p + off, 8);
		memcpy(&deltas[n], p + off + 8, 8);
		if (++n == ADD_BATCH || off + 32 > len) {
			rc = hc_add_batch(x->table, keys, deltas, n, &done);
			n = 0;
		}
	}
	return rc;
}

static int add_raw(struct xchg *x, const unsigned char *p, size_t len)
{
	uint64_t keys[ADD_BATCH];
	size_t n = 0, done = 0;
	int rc = 0;

	for (size_t off = 0; off + 8 <= len && !rc; off += 8) {
		memcpy(&keys[n], p + off, 8);
		if (++n == ADD_BATCH || off + 16 > len) {
			rc = hc_add_batch(x->table, keys, NULL, n, &done);
			n = 0;
		}
	}
	return rc;
}

static int add_bytes(struct xchg *x, const unsigned char *p, size_t len)
{
	const void *ptrs[ADD_BATCH];
	size_t lens[ADD_BATCH], n = 0, done = 0, off = 0;
	uint64_t deltas[ADD_BATCH];
	int rc = 0;

	while (off + 16 <= len && !rc) {
		uint32_t klen;

		memcpy(&klen, p + off, 4);
		memcpy(&deltas[n], p + off + 8, 8);
		ptrs[n] = p + off + 16;
		lens[n] = klen;
		off += 16 + klen + (8 - klen % 8) % 8;
		if (++n == ADD_BATCH || off + 16 > len) {
			rc = hc_add_bytes_batch(x->table, ptrs, lens, deltas, n,
						&done);
			n = 0;
		}
	}
	return rc;
}

static void *grow(void *p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return p;
	*cap = need + need / 4 + 4096;
	return xrealloc(p, *cap);
}

/* The records of one block (tag TAG_*) into the node table. */
static int apply_block(struct xchg *x, int tag, const unsigned char *p,
		       size_t len)
{
	return tag == TAG_BYTES ? add_bytes(x, p, len)
	       : tag == TAG_RAW ? add_raw(x, p, len)
				: add_ints(x, p, len);
}

/* An add into the node table failed with @rc. */
static void add_fail(struct xchg *x, int rc)
{
	if (rc == HC_EFULL && x->max_size)
		x_fail(x, rc,
		       "the table of node %u is full at the limit of "
		       "--max-size; nothing was written",
		       (unsigned)x->tp->nid);
	else if (rc == HC_EFULL)
		x_fail(x, rc,
		       "the table of node %u is full; nothing was "
		       "written: rerun with a larger --size (distinct "
		       "keys in all)",
		       (unsigned)x->tp->nid);
	else
		x_fail(x, rc, "node %u: %s", (unsigned)x->tp->nid,
		       hc_strerror(rc));
	x->stop = 1;
}

/* A combine window ends (its keys are on their way): combine while it
 * saves at least a quarter of the records; when raw, try combining
 * again every 16th window. */
static void window_end(struct xchg *x)
{
	x->windows++;
	if (x->kill_round && (uint64_t)x->kill_round == x->windows)
		raise(SIGKILL); /* testing aid: a rank dies mid-run */
	if (!x->bytes) {
		if (!x->raw && x->round_tokens)
			x->raw = x->round_records > x->round_tokens / 4 * 3;
		else if (x->raw && x->windows % 16 == 0)
			x->raw = 0;
	}
	x->round_tokens = 0;
	x->round_records = 0;
	x->raw_n = 0;
}

/* ---- --exchange p2p: blocks as they fill, an end mark to finish ----- */

/*
 * Every rank sends each destination rank blocks of records (one format
 * a block, at most x->pblk bytes unless one record is larger) with
 * MPI_Isend, one in flight per destination while the next fills, and
 * takes what reaches it with MPI_Improbe/MPI_Mrecv between batches of
 * its own keys: counting, sending and adding overlap, and no rank waits
 * for a slower one until the end.  A rank that is done (or failed)
 * sends every rank an end mark after its last block; MPI keeps the
 * order of the messages from one sender, so a rank that holds every
 * end mark has every block.  An end mark carries a failure, which stops
 * the others' tokenizers; the final agreement (count_main) decides.
 */

/* Take the messages that have arrived. */
static int p2p_poll(struct xchg *x)
{
	int got = 0;

	for (;;) {
		MPI_Message msg;
		MPI_Status st;
		int flag = 0, len = 0, rc;

		MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag,
			    &msg, &st);
		if (!flag)
			return got;
		got = 1;
		MPI_Get_count(&st, MPI_BYTE, &len);
		x->rblk = grow(x->rblk, &x->rblk_cap, (size_t)len + 1);
		MPI_Mrecv(x->rblk, len, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
		if (st.MPI_TAG == TAG_END) {
			x->ends++;
			if (len && x->rblk[0])
				x->stop = 1; /* that rank failed */
		} else if (!x->err && !x->stop &&
			   (rc = apply_block(x, st.MPI_TAG, x->rblk,
					     (size_t)len))) {
			add_fail(x, rc);
		}
	}
}

/* Wait for the send to @d in flight, taking what arrives meanwhile. */
static void p2p_wait_send(struct xchg *x, int d)
{
	while (x->sreq[d] != MPI_REQUEST_NULL) {
		int done = 0;

		MPI_Test(&x->sreq[d], &done, MPI_STATUS_IGNORE);
		if (!done && !p2p_poll(x))
			sched_yield();
	}
}

/* Send @d's block (this rank's own: into the node table at once). */
static void p2p_send(struct xchg *x, int d)
{
	size_t len = x->slen[d];
	unsigned char *b;
	size_t cap;
	int rc;

	if (!len)
		return;
	x->slen[d] = 0;
	if (x->err || x->stop)
		return; /* the job fails: drop it */
	if (d == x->tp->wrank) {
		if ((rc = apply_block(x, x->sfmt[d], x->sb[d], len)))
			add_fail(x, rc);
		return;
	}
	p2p_wait_send(x, d);
	b = x->inflight[d];
	cap = x->icap[d];
	x->inflight[d] = x->sb[d];
	x->icap[d] = x->scap[d];
	x->sb[d] = b;
	x->scap[d] = cap;
	MPI_Isend(x->inflight[d], (int)len, MPI_BYTE, d, x->sfmt[d],
		  MPI_COMM_WORLD, &x->sreq[d]);
	x->sent_bytes += len;
	x->rounds++; /* blocks sent */
}

/* This rank is done (or failed): its last records, its end marks, and
 * everyone else's blocks until every end mark is in. */
static void p2p_finish(struct xchg *x)
{
	const struct topo *tp = x->tp;
	int rc;

	if (!x->err && !x->stop && (x->comb || x->cn) && (rc = drain(x)))
		x_fail(x, rc, "combine table: %s", hc_strerror(rc));
	window_end(x);
	for (int d = 0; d < tp->wsize; d++)
		p2p_send(x, d);
	x->end_flag = x->err != 0;
	for (int d = 0; d < tp->wsize; d++)
		if (d != tp->wrank)
			MPI_Isend(&x->end_flag, 1, MPI_BYTE, d, TAG_END,
				  MPI_COMM_WORLD, &x->ereq[d]);
	x->ends++;
	while (x->ends < tp->wsize)
		if (!p2p_poll(x))
			sched_yield();
	for (int d = 0; d < tp->wsize; d++)
		p2p_wait_send(x, d);
	MPI_Waitall(tp->wsize, x->ereq, MPI_STATUSES_IGNORE);
	x->all_done = 1;
}

/*
 * One exchange round, entered by every rank.  @done: this rank has no
 * more keys after these.  Sets x->all_done when every rank said so in
 * this round, and x->stop when any rank has failed.
 */
static void round_run(struct xchg *x, int done)
{
	const struct topo *tp = x->tp;
	int64_t *hs = xmalloc((size_t)tp->wsize * 4 * sizeof(*hs));
	int64_t *hr = xmalloc((size_t)tp->wsize * 4 * sizeof(*hr));
	size_t stot = 0, rtot = 0;
	int rc, all = 1;

	x->rounds++;
	if (!x->err && (x->comb || x->cn) && (rc = drain(x)))
		x_fail(x, rc, "combine table: %s", hc_strerror(rc));
	for (int d = 0; d < tp->wsize; d++) {
		hs[4 * d] = (int64_t)x->slen[d];
		hs[4 * d + 1] = done;
		hs[4 * d + 2] = x->err != 0;
		hs[4 * d + 3] = x->raw;
	}
	MPI_Alltoall(hs, 4, MPI_INT64_T, hr, 4, MPI_INT64_T, MPI_COMM_WORLD);
	for (int d = 0; d < tp->wsize; d++) {
		x->sdispl[d] = (int)stot;
		x->scount[d] = (int)x->slen[d];
		stot += x->slen[d];
		x->rdispl[d] = (int)rtot;
		x->rcount[d] = (int)hr[4 * d];
		rtot += (size_t)hr[4 * d];
		all &= hr[4 * d + 1] != 0;
		if (hr[4 * d + 2])
			x->stop = 1;
	}
	x->sbuf = grow(x->sbuf, &x->sbuf_cap, stot);
	x->rbuf = grow(x->rbuf, &x->rbuf_cap, rtot);
	for (int d = 0; d < tp->wsize; d++) {
		if (x->slen[d])
			memcpy(x->sbuf + x->sdispl[d], x->sb[d], x->slen[d]);
		x->sent_bytes += d == tp->wrank ? 0 : x->slen[d];
		x->slen[d] = 0;
	}
	MPI_Alltoallv(x->sbuf, x->scount, x->sdispl, MPI_BYTE, x->rbuf,
		      x->rcount, x->rdispl, MPI_BYTE, MPI_COMM_WORLD);
	if (!x->err && !x->stop) {
		rc = 0;
		for (int d = 0; d < tp->wsize && !rc; d++) {
			const unsigned char *p = x->rbuf + x->rdispl[d];
			size_t len = (size_t)x->rcount[d];

			rc = apply_block(x,
					 x->bytes	 ? TAG_BYTES
					 : hr[4 * d + 3] ? TAG_RAW
							 : TAG_INTS,
					 p, len);
		}
		if (rc)
			add_fail(x, rc);
	}
	if (x->err)
		x->stop = 1;
	x->all_done = all;
	window_end(x);
	free(hs);
	free(hr);
}

/* The combine window is full: a round (alltoallv), or its records into
 * the blocks, which go as they fill (p2p). */
static void window_full(struct xchg *x)
{
	int rc;

	if (!x->p2p) {
		round_run(x, 0);
		return;
	}
	if (!x->err && !x->stop && (x->comb || x->cn) && (rc = drain(x)))
		x_fail(x, rc, "combine table: %s", hc_strerror(rc));
	window_end(x);
	if (x->err)
		x->stop = 1;
}

/* The sink's function: keys into the combine table; the window ends
 * when it is half full.  Returns STOPPED once any rank has failed. */
static int route(void *arg, const uint64_t *keys, const void *const *ptrs,
		 const size_t *lens, size_t n)
{
	struct xchg *x = arg;
	int rc;

	if (x->p2p)
		p2p_poll(x);
	if (x->stop)
		return STOPPED;
	x->tokens += n;
	x->round_tokens += n;
	if (keys && x->raw) {
		for (size_t i = 0; i < n; i++) {
			int d = x->tp->dest[hck_part_key(keys[i],
							 x->tp->nnodes)];

			room(x, d, 8, TAG_RAW);
			put(x, d, &keys[i], 8);
		}
		x->sent_records += n;
		x->round_records += n;
		x->raw_n += n;
		if (x->raw_n >= x->round_keys)
			window_full(x);
		return x->stop ? STOPPED : 0;
	}
	if (keys) {
		const uint64_t mask = COMBINE_SLOTS - 1;

		for (size_t i = 0; i < n; i++) {
			uint64_t j = comb_hash(keys[i]) & mask;

			while (x->ccounts[j] && x->ckeys[j] != keys[i])
				j = (j + 1) & mask;
			if (!x->ccounts[j]) {
				x->ckeys[j] = keys[i];
				x->cused[x->cn++] = (uint32_t)j;
			}
			x->ccounts[j]++;
		}
		if (x->cn >= x->round_keys)
			window_full(x);
		return x->stop ? STOPPED : 0;
	} else {
		rc = hc_add_bytes_batch(x->comb, ptrs, lens, NULL, n, NULL);
		for (size_t i = 0; i < n; i++)
			x->comb_arena_pending += 16 + lens[i];
	}
	if (rc) {
		x_fail(x, rc, "combine table: %s", hc_strerror(rc));
		x->stop = 1;
		return rc;
	}
	x->comb_pending += n;
	/* Look at the fill only when it could have reached the mark. */
	if (x->comb_pending >= x->round_keys / 2 ||
	    (double)x->comb_arena_pending >= COMBINE_FILL * COMBINE_ARENA / 2) {
		hc_stats st = { .size = sizeof(st) };

		if (hc_table_stats(x->comb, &st))
			st.claimed = COMBINE_SLOTS;
		if (st.claimed >= x->round_keys / 2 ||
		    (double)st.arena_used >= COMBINE_FILL * COMBINE_ARENA / 2)
			window_full(x);
		x->comb_pending = 0;
		x->comb_arena_pending = 0;
	}
	return x->stop ? STOPPED : 0;
}

/* ---- inputs --------------------------------------------------------- */

/*
 * Every rank lists the same inputs.  A file that some rank cannot read,
 * or that has another size or first 4096 bytes there, ends the job with
 * one line: the inputs must be on a file system every rank shares.
 */
static int inputs_check(const struct topo *tp, int n, char **paths)
{
	uint64_t fp = UINT64_C(0xcbf29ce484222325), lo, hi;
	int bad = n, gbad, nfail = 0, mine, who, err = 0, two[1];

	for (int i = 0; i < n; i++) {
		hck_shard_id id;
		struct stat st;

		if (!strcmp(paths[i], "-")) {
			if (!tp->wrank)
				cli_error("-", "standard input cannot be "
					       "shared by the ranks; give "
					       "files");
			return -1;
		}
		if (stat(paths[i], &st) || access(paths[i], R_OK) ||
		    (S_ISDIR(st.st_mode) && (errno = EISDIR))) {
			bad = i;
			err = errno;
			break;
		}
		fp = (fp ^ (uint64_t)st.st_size) * UINT64_C(0x100000001b3);
		/* And the sum of its first 4096 bytes (a regular file's
		 * only: reading a pipe would take them from the run). */
		if (S_ISREG(st.st_mode) && !hck_shard_id_read(paths[i], &id))
			fp = (fp ^ id.sum) * UINT64_C(0x100000001b3);
	}
	MPI_Allreduce(&bad, &gbad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	if (gbad < n) {
		mine = bad == gbad;
		MPI_Allreduce(&mine, &nfail, 1, MPI_INT, MPI_SUM,
			      MPI_COMM_WORLD);
		two[0] = mine ? tp->wrank : tp->wsize;
		MPI_Allreduce(two, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
		if (who == tp->wrank) {
			if (nfail == tp->wsize)
				cli_error(paths[gbad], "%s", strerror(err));
			else
				cli_error(paths[gbad],
					  "%s on %d of %d ranks (rank %d); "
					  "the inputs must be on a file "
					  "system every rank shares",
					  strerror(err), nfail, tp->wsize,
					  tp->wrank);
		}
		return -1;
	}
	MPI_Allreduce(&fp, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
	MPI_Allreduce(&fp, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
	if (lo != hi) {
		if (!tp->wrank)
			cli_error(NULL, "the inputs have other sizes or "
					"contents on other ranks; they must be "
					"on a file system every rank shares");
		return -1;
	}
	return 0;
}

/* ---- the run -------------------------------------------------------- */

static void remove_shards(const struct topo *tp, const char *out)
{
	char path[4096];

	if (tp->nrank)
		return;
	if (!hck_shard_path(path, sizeof(path), out, tp->nid, tp->nnodes))
		unlink(path);
}

/* A run id: 64 random bits, so that no two runs share one. */
static uint64_t run_id_new(void)
{
	uint64_t id = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
		id = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^
		     (uint64_t)clock();
	if (fd >= 0)
		close(fd);
	return id;
}

/* Make the removal or rename of a name in @out's directory durable. */
static void dir_sync(const char *out)
{
	char *copy = xmalloc(strlen(out) + 1);
	int fd;

	strcpy(copy, out);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/*
 * Before any shard is saved: rank 0 removes the manifest of an earlier
 * run, so that no manifest names a mix of its shards and this run's
 * (its sums would refuse them anyway: docs/scaling.md, "Output").
 * The temporary shard that a killed run left is removed by the save of
 * that shard (hc_table_save: a "NAME.tmp.PID" whose pid is gone and
 * whose lock no saver holds, design.md L4).  Collective; 1 when every
 * rank is ready.
 */
static int save_prepare(const struct topo *tp, const char *out)
{
	int ok = 1;

	if (!tp->wrank && hck_manifest_is(out)) {
		if (unlink(out) && errno != ENOENT) {
			cli_error(out, "cannot remove the old manifest: %s",
				  strerror(errno));
			ok = 0;
		}
		dir_sync(out);
	}
	return agree_ok(ok);
}

/*
 * Rank 0 looks at every shard from its own view of the file system and
 * compares it with what the node that saved it reports (@id, @host:
 * node j's leader's).  One line names the nodes whose shard it cannot
 * see as written: an output directory that is not shared.  1 if all
 * match.
 */
static int shards_visible(const struct topo *tp, const char *out,
			  const hck_shard_id *id, const char *host)
{
	char path[4096], first[4096 + 256] = "", list[1024] = "";
	size_t len = 0;
	uint32_t bad = 0;

	for (uint32_t j = 0; j < tp->nnodes; j++) {
		const char *why;
		int rc;

		rc = hck_shard_path(path, sizeof(path), out, j, tp->nnodes);
		if (!rc)
			rc = hck_shard_check(path, &id[j], NULL);
		if (rc == HC_EIO)
			why = strerror(errno);
		else if (rc == HC_ECORRUPT)
			why = "not the file its node wrote";
		else if (rc)
			why = hc_strerror(rc);
		else
			continue;
		if (!bad++)
			snprintf(first, sizeof(first), "%s: %s", path, why);
		if (len < sizeof(list))
			len += (size_t)snprintf(
				list + len, sizeof(list) - len, "%s%u (%s)",
				bad > 1 ? ", " : "", (unsigned)j,
				host + (size_t)j * MPI_MAX_PROCESSOR_NAME);
	}
	if (bad)
		cli_error(out,
			  "rank 0 cannot see the shard%s of node%s %s as "
			  "written (%s): the output directory must be on a "
			  "file system every node shares; no manifest written",
			  bad > 1 ? "s" : "", bad > 1 ? "s" : "", list, first);
	return !bad;
}

/*
 * The save, entered by every rank: the leaders save their node's table
 * as its shard (filtered by -L/-U first), rank 0 checks that it sees
 * every shard as its node wrote it, and writes the manifest with the
 * run id and each shard's size and sum, last.  On failure every shard
 * of this run is removed.  1 if the sharded table is written.
 */
static int save(const struct topo *tp, const struct count_opts *o,
		hc_table **table)
{
	const char *kill_save = getenv("HOGCOUNT_MPI_TEST_KILL_SAVE");
	char path[4096], name[MPI_MAX_PROCESSOR_NAME] = "", *host = NULL;
	hck_shard_id me = { 0, 0 }, *id = NULL;
	uint64_t run = 0, rec[3] = { 0, 0, 0 }, *all = NULL;
	int rc = 0, ok, len = 0;

	if (!tp->wrank)
		run = run_id_new();
	MPI_Bcast(&run, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	if (!save_prepare(tp, o->out))
		return 0;
	if (!tp->nrank) {
		hck_shard_path(path, sizeof(path), o->out, tp->nid, tp->nnodes);
		/* -L/-U: every key lives in one shard, so each node filters
		 * its own and saves the copy. */
		if (count_filter(table, o->lower, o->upper, NULL)) {
			rc = 1;
		} else {
			rc = o->compact ? hc_table_save_compact(*table, path)
					: hc_table_save(*table, path);
			if (rc)
				cli_error(path, "%s",
					  rc == HC_EIO ? strerror(errno)
						       : hc_strerror(rc));
		}
		/* Testing aid: a leader killed once its shard is saved. */
		if (!rc && kill_save && *kill_save &&
		    atoi(kill_save) == tp->wrank)
			raise(SIGKILL);
		if (!rc && hck_shard_id_read(path, &me)) {
			cli_error(path, "%s", strerror(errno));
			rc = 1;
		}
		rec[0] = 1;
		rec[1] = me.size;
		rec[2] = me.sum;
	}
	ok = agree_ok(!rc);
	/* What each leader saw of its own shard, with its host's name. */
	if (ok) {
		MPI_Get_processor_name(name, &len);
		if (!tp->wrank) {
			all = xmalloc((size_t)tp->wsize * sizeof(rec));
			host = xmalloc((size_t)tp->wsize *
				       MPI_MAX_PROCESSOR_NAME);
			id = xmalloc(tp->nnodes * sizeof(*id));
		}
		MPI_Gather(rec, 3, MPI_UINT64_T, all, 3, MPI_UINT64_T, 0,
			   MPI_COMM_WORLD);
		MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, host,
			   MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
	}
	if (ok && !tp->wrank) {
		uint32_t j = 0;

		/* Leaders in world rank order are nodes 0, 1, ...
		 * (topo_init); node j's entries move to place j. */
		for (int r = 0; r < tp->wsize; r++) {
			if (!all[3 * r])
				continue;
			id[j].size = all[3 * r + 1];
			id[j].sum = all[3 * r + 2];
			memmove(host + (size_t)j * MPI_MAX_PROCESSOR_NAME,
				host + (size_t)r * MPI_MAX_PROCESSOR_NAME,
				MPI_MAX_PROCESSOR_NAME);
			j++;
		}
		ok = shards_visible(tp, o->out, id, host);
		if (ok) {
			int wrc = hck_manifest_write(o->out, &o->m, tp->nnodes,
						     run, id);

			if (wrc) {
				cli_error(o->out, "%s",
					  wrc == HC_EIO ? strerror(errno)
							: hc_strerror(wrc));
				ok = 0;
			}
		}
		if (ok)
			dir_sync(o->out);
	}
	free(all);
	free(host);
	free(id);
	MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (!ok)
		remove_shards(tp, o->out);
	return ok;
}

/* Rank 0 prints the figures of the run (-v). */
static void report(const struct topo *tp, const struct xchg *x, double t_count,
		   double t_save)
{
	uint64_t mine[5], sum[5];
	hc_stats st = { .size = sizeof(st) };
	struct rusage ru;
	long rss = 0, rss_node = 0, rss_max = 0;

	getrusage(RUSAGE_SELF, &ru);
	rss = ru.ru_maxrss;
	MPI_Reduce(&rss, &rss_node, 1, MPI_LONG, MPI_SUM, 0, tp->node);
	if (tp->nrank)
		rss_node = 0;
	MPI_Reduce(&rss_node, &rss_max, 1, MPI_LONG, MPI_MAX, 0,
		   MPI_COMM_WORLD);
	hc_table_stats(x->table, &st);
	mine[0] = x->tokens;
	mine[1] = x->sent_records;
	mine[2] = x->sent_bytes;
	mine[3] = tp->nrank ? 0 : st.mapped_bytes;
	mine[4] = tp->nrank ? 0 : st.distinct;
	MPI_Reduce(mine, sum, 5, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
	if (tp->wrank)
		return;
	fprintf(stderr,
		"hogcount-mpi count: %d ranks, %u nodes; counted in %.2f s, "
		"saved in %.2f s; %llu %s (rank 0)\n"
		"hogcount-mpi count: %llu keys tokenized, %llu records after "
		"combining (%.3f per key), %llu bytes sent to other ranks "
		"(%.3f per key), %llu distinct\n"
		"hogcount-mpi count: node tables %.1f MiB in all; peak RSS "
		"of a node (its ranks summed, shared pages counted in each) "
		"%.1f MiB\n",
		tp->wsize, (unsigned)tp->nnodes, t_count, t_save,
		(unsigned long long)x->rounds,
		x->p2p ? "blocks sent" : "rounds", (unsigned long long)sum[0],
		(unsigned long long)sum[1],
		sum[0] ? (double)sum[1] / (double)sum[0] : 0,
		(unsigned long long)sum[2],
		sum[0] ? (double)sum[2] / (double)sum[0] : 0,
		(unsigned long long)sum[4], (double)sum[3] / 1048576.0,
		(double)rss_max / 1024.0);
}

static int count_main(int argc, char **argv, const struct topo *tp)
{
	struct count_opts o;
	hci_job *w = NULL;
	hci_stats js = { .size = sizeof(js) };
	const char *what, *msg;
	int code;
	struct xchg x = { 0 };
	hck_sink *s = NULL;
	hck_tok *tk = NULL;
	const char *kill = getenv("HOGCOUNT_MPI_TEST_KILL");
	double t0, t1, t2;
	int rc, ok;

	rc = count_opts_parse(&o, argc, argv,
			      COUNT_OPTS_MPI |
				      (tp->wrank ? COUNT_OPTS_SILENT : 0));
	if (rc == 1 && !tp->wrank)
		usage(stdout);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (inputs_check(tp, argc - optind, argv + optind))
		return 1;
	/* The output's directory, before the work: every node writes its
	 * shard there. */
	{
		char *copy = xmalloc(strlen(o.out) + 1);
		int ok_dir;

		strcpy(copy, o.out);
		int mine, who;

		ok_dir = access(dirname(copy), W_OK | X_OK) == 0;
		mine = ok_dir ? tp->wsize : tp->wrank;
		MPI_Allreduce(&mine, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
		if (who == tp->wrank)
			cli_error(o.out, "%s (rank %d, node %u)",
				  strerror(errno), tp->wrank,
				  (unsigned)tp->nid);
		free(copy);
		if (who < tp->wsize)
			return 1;
	}
	if (!o.chunk) {
		uint64_t total = 0;
		struct stat st;

		for (int i = optind; i < argc; i++)
			if (!stat(argv[i], &st) && S_ISREG(st.st_mode))
				total += (uint64_t)st.st_size;
		o.chunk = hck_plan_chunk(total, (uint64_t)tp->wsize);
	}
	code = hci_job_create(&w, o.m.tokens, o.chunk);
	if (code)
		cli_error(NULL, "%s",
			  code == HC_EIO ? strerror(errno)
					 : hci_strerror(code));
	ok = !code;
	for (int i = optind; i < argc && ok; i++)
		ok = !hci_job_add(w, argv[i]);
	if (w && !ok && hci_job_error(w, &code, &what, &msg))
		cli_error(*what ? what : NULL, "%s", msg);
	if (ok)
		hci_job_stats(w, &js);
	if (!agree_ok(ok)) {
		hci_job_destroy(w);
		return 1;
	}
	if (node_table_create(tp, w, &o, &x.table)) {
		hci_job_destroy(w);
		return 1;
	}
	x.tp = tp;
	x.m = o.m;
	x.max_size = o.max_size != 0;
	x.bytes = !hck_int_keys(&o.m);
	x.sb = calloc((size_t)tp->wsize, sizeof(*x.sb));
	x.slen = calloc((size_t)tp->wsize, sizeof(*x.slen));
	x.scap = calloc((size_t)tp->wsize, sizeof(*x.scap));
	x.scount = calloc((size_t)tp->wsize, sizeof(int));
	x.sdispl = calloc((size_t)tp->wsize, sizeof(int));
	x.rcount = calloc((size_t)tp->wsize, sizeof(int));
	x.rdispl = calloc((size_t)tp->wsize, sizeof(int));
	/* Testing aid: rounds after fewer keys, so small inputs take many
	 * rounds and both ways of sending integer keys. */
	x.round_keys = (uint64_t)(COMBINE_FILL * COMBINE_SLOTS);
	if (getenv("HOGCOUNT_MPI_TEST_ROUND_KEYS")) {
		uint64_t r = strtoull(getenv("HOGCOUNT_MPI_TEST_ROUND_KEYS"),
				      NULL, 10);

		if (r && r < x.round_keys)
			x.round_keys = r;
	}
	if (kill && atoi(kill) == tp->wrank && strchr(kill, ':'))
		x.kill_round = atoi(strchr(kill, ':') + 1);
	x.p2p = o.exchange == COUNT_XCHG_P2P;
	x.pblk = P2P_BUFFERS / 2 / (size_t)tp->wsize;
	if (x.pblk > P2P_BLOCK_MAX)
		x.pblk = P2P_BLOCK_MAX;
	if (x.pblk < P2P_BLOCK_MIN)
		x.pblk = P2P_BLOCK_MIN;
	/* Testing aid: small blocks, so small inputs send many. */
	if (getenv("HOGCOUNT_MPI_TEST_BLOCK"))
		x.pblk = strtoull(getenv("HOGCOUNT_MPI_TEST_BLOCK"), NULL, 10);
	if (x.pblk < 16)
		x.pblk = 16;
	x.inflight = calloc((size_t)tp->wsize, sizeof(*x.inflight));
	x.icap = calloc((size_t)tp->wsize, sizeof(*x.icap));
	x.sfmt = calloc((size_t)tp->wsize, sizeof(*x.sfmt));
	x.sreq = malloc((size_t)tp->wsize * sizeof(*x.sreq));
	x.ereq = malloc((size_t)tp->wsize * sizeof(*x.ereq));
	for (int d = 0; x.sreq && x.ereq && d < tp->wsize; d++)
		x.sreq[d] = x.ereq[d] = MPI_REQUEST_NULL;
	if (!x.sb || !x.slen || !x.scap || !x.scount || !x.sdispl ||
	    !x.rcount || !x.rdispl || !x.inflight || !x.icap || !x.sfmt ||
	    !x.sreq || !x.ereq || comb_create(&x) ||
	    hck_sink_create_fn(&s, &o.m, route, &x) ||
	    hck_tok_create(&tk, &o.m, s))
		x_fail(&x, HC_ENOMEM, "%s", hc_strerror(HC_ENOMEM));

	/* Count: every P-th item, then rounds until every rank is done. */
	MPI_Barrier(MPI_COMM_WORLD);
	t0 = MPI_Wtime();
	for (size_t i = (size_t)tp->wrank; i < js.items && !x.err && !x.stop;
	     i += (size_t)tp->wsize) {
		if (hci_job_run(w, i, tk) && !x.stop &&
		    hci_job_error(w, &code, &what, &msg))
			x_fail(&x, -1000, "%s%s%s", what, *what ? ": " : "",
			       msg);
	}
	if (x.p2p)
		p2p_finish(&x);
	else
		do
			round_run(&x, 1);
		while (!x.all_done);
	t1 = MPI_Wtime();

	/* One line from the lowest failing rank. */
	{
		int mine = x.err ? tp->wrank : tp->wsize, who;

		MPI_Allreduce(&mine, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
		if (who == tp->wrank)
			cli_error(NULL, "rank %d: %s", tp->wrank, x.msg);
		ok = who == tp->wsize;
	}

	/* Save: one shard per node, checked, then the manifest, last. */
	if (ok) {
		sigset_t block, old;

		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &old);
		ok = save(tp, &o, &x.table);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	t2 = MPI_Wtime();
	if (o.verbose && ok)
		report(tp, &x, t1 - t0, t2 - t1);

	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(x.comb);
	free(x.ckeys);
	free(x.ccounts);
	free(x.cused);
	hc_table_close(x.table);
	for (int d = 0; x.sb && x.inflight && d < tp->wsize; d++) {
		free(x.sb[d]);
		free(x.inflight[d]);
	}
	free(x.sb);
	free(x.inflight);
	free(x.icap);
	free(x.sfmt);
	free(x.sreq);
	free(x.ereq);
	free(x.rblk);
	free(x.slen);
	free(x.scap);
	free(x.scount);
	free(x.sdispl);
	free(x.rcount);
	free(x.rdispl);
	free(x.sbuf);
	free(x.rbuf);
	hci_job_destroy(w);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct topo tp = { 0 };
	int rc;

	MPI_Init(&argc, &argv);
	cli_cmd = "mpi count";
	if (argc < 2 || strcmp(argv[1], "count")) {
		MPI_Comm_rank(MPI_COMM_WORLD, &rc);
		if (!rc) {
			if (argc >= 2 && (!strcmp(argv[1], "--help") ||
					  !strcmp(argv[1], "-h")))
				usage(stdout);
			else
				cli_error(NULL, "usage: mpirun -np N "
						"hogcount-mpi count [OPTIONS] "
						"FILE...");
		}
		MPI_Finalize();
		return argc >= 2 && (!strcmp(argv[1], "--help") ||
				     !strcmp(argv[1], "-h"))
			       ? 0
			       : EXIT_USAGE;
	}
	if (topo_init(&tp)) {
		MPI_Finalize();
		return EXIT_USAGE;
	}
	rc = count_main(argc - 1, argv + 1, &tp);
	free(tp.dest);
	MPI_Comm_free(&tp.node);
	MPI_Finalize();
	return rc;
}
