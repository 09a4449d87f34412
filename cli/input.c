/* SPDX-License-Identifier: MIT */
/*
 * input.c - inputs: plain files, compressed files (gzip, xz, bzip2,
 * zstd, told apart by their magic bytes and read by decomp.c),
 * standard input ("-") and other non-seekable files.  Plain regular
 * files are mapped and cut into byte ranges; the others are streams,
 * read whole by one worker, which shares the records of a DNA stream
 * with the others (below).  A format the tool does not read (lz4, zip,
 * ...) is refused by its magic, never counted as bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "decomp.h"
#include "work.h"

#define PEEK_BYTES 4096
#define STREAM_BLOCK (1u << 20)

static void add_item(struct work *w, uint32_t input, uint64_t start,
		     uint64_t end)
{
	if ((w->nitems & (w->nitems - 1)) == 0)
		w->items = xrealloc(w->items, (w->nitems ? w->nitems * 2 : 16) *
						      sizeof(*w->items));
	w->items[w->nitems].input = input;
	w->items[w->nitems].start = start;
	w->items[w->nitems].end = end;
	w->nitems++;
}

static uint32_t add_input(struct work *w, const char *path, int stream, int fmt,
			  uint64_t size)
{
	if ((w->nin & (w->nin - 1)) == 0)
		w->in = xrealloc(w->in,
				 (w->nin ? w->nin * 2 : 16) * sizeof(*w->in));
	w->in[w->nin].path = strdup(path);
	if (!w->in[w->nin].path) {
		cli_error(NULL, "out of memory");
		exit(1);
	}
	w->in[w->nin].stream = stream;
	w->in[w->nin].fmt = fmt;
	w->in[w->nin].size = size;
	w->in[w->nin].expand = 0;
	w->total += size;
	return (uint32_t)w->nin++;
}

int work_add_input(struct work *w, const char *path, int tokens, uint64_t chunk)
{
	unsigned char peek[PEEK_BYTES];
	const char *what;
	struct stat st;
	ssize_t got;
	uint32_t in;
	int fd, kind;

	if (!strcmp(path, "-")) {
		if (w->have_stdin) {
			cli_error(path, "standard input given twice");
			return -1;
		}
		w->have_stdin = 1;
		add_item(w, add_input(w, path, 1, HCK_FMT_UNKNOWN, 0), 0, 0);
		return 0;
	}
	/* stat() first: opening a FIFO here would wait for its writer, and
	 * closing it again could leave that writer with no reader (EPIPE)
	 * before the worker opens it. */
	if (stat(path, &st)) {
		cli_error(path, "%s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		cli_error(path, "%s", strerror(EISDIR));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A pipe or device: peeking would eat its bytes. */
		add_item(w, add_input(w, path, 1, HCK_FMT_UNKNOWN, 0), 0, 0);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		cli_error(path, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) { /* replaced since the stat() */
		cli_error(path, "changed while being opened");
		close(fd);
		return -1;
	}
	got = pread(fd, peek, sizeof(peek), 0);
	close(fd);
	if (got < 0) {
		cli_error(path, "%s", strerror(errno));
		return -1;
	}
	kind = dz_sniff(peek, (size_t)got, &what);
	switch (kind) {
	case DZ_REFUSED:
		cli_error(path, DZ_REFUSED_MSG, what);
		return -1;
	case DZ_PLAIN:
		break;
	default:
		in = add_input(w, path, 1, HCK_FMT_UNKNOWN,
			       (uint64_t)st.st_size);
		/* How much larger the plain data is likely to be, for the
		 * key bound of cmd_count.c: gzip about 4 to 1 on text and
		 * reads; the others pack tighter, xz most. */
		w->in[in].expand = kind == DZ_GZIP ? 4 : kind == DZ_XZ ? 8 : 6;
		add_item(w, in, 0, 0);
		return 0;
	}
	if (st.st_size == 0)
		return 0;
	in = add_input(w, path, 0,
		       tokens == HCK_DNA ? hck_seq_detect(peek, (size_t)got)
					 : HCK_FMT_UNKNOWN,
		       (uint64_t)st.st_size);
	for (uint64_t s = 0; s < (uint64_t)st.st_size; s += chunk) {
		uint64_t e = s + chunk;

		add_item(w, in, s,
			 e > (uint64_t)st.st_size ? (uint64_t)st.st_size : e);
	}
	return 0;
}

/* The worker's current mapping: ranges of one file come in a row. */
static struct {
	long input;
	const unsigned char *map;
	size_t size;
} cur = { -1, NULL, 0 };

static int map_input(struct work *w, uint32_t input)
{
	struct stat st;
	void *p;
	int fd;

	if (cur.input == (long)input)
		return 0;
	if (cur.map)
		munmap((void *)cur.map, cur.size);
	cur.input = -1;
	cur.map = NULL;
	fd = open(w->in[input].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		work_fail(w, 0, w->in[input].path, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cur.size = (size_t)st.st_size;
	if (cur.size) {
		p = mmap(NULL, cur.size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			work_fail(w, 0, w->in[input].path, "%s",
				  strerror(errno));
			close(fd);
			return -1;
		}
		madvise(p, cur.size, MADV_SEQUENTIAL);
		cur.map = p;
	}
	close(fd);
	cur.input = input;
	return 0;
}

static int table_fail(struct work *w, int rc)
{
	work_fail(w, rc, NULL, "%s", hc_strerror(rc));
	return -1;
}

static int run_mapped(struct work *w, const struct item *it, hck_tok *tk)
{
	uint64_t start = it->start, end = it->end;
	size_t s;
	int rc = 0;

	if (map_input(w, it->input))
		return -1;
	/* The file may have shrunk since it was listed. */
	if (end > cur.size)
		end = cur.size;
	hck_tok_reset(tk, w->in[it->input].fmt);
	if (start < end) {
		s = hck_tok_align(tk, cur.map, cur.size, start);
		if (s < end)
			rc = hck_tok_feed(tk, cur.map + s, cur.size - s,
					  end - s);
	}
	if (!rc)
		rc = hck_tok_finish(tk);
	if (rc)
		return table_fail(w, rc);
	/* Drop the range's pages from this process (they stay in the page
	 * cache), so that memory use reflects the table, not the input. */
	if (end > start) {
		uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
		uint64_t a = start / pg * pg;

		madvise((void *)(cur.map + a), end - a, MADV_DONTNEED);
	}
	work_progress(w, it->end - it->start);
	return 0;
}

/* ---- DNA streams split between the workers ----------------------------
 *
 * A stream (a compressed file, standard input, a pipe) is read in order
 * by the one worker that takes its item.  DNA records are independent
 * of each other, so that reader cuts what it reads at record starts and
 * hands blocks of whole records to the workers that have run out of
 * items, through a ring of blocks in shared memory (work.h).  The cut
 * is hck_tok_align(), the one that cuts a plain file into ranges, so a
 * stream is counted as the same file uncompressed would be.  When no
 * block is free the reader counts the block itself, so it never waits
 * on the others.  A cut is the first record start past 3/4 of a block
 * whose record can be checked in what was read (a block and a quarter
 * more); where there is none (reads about a block long, or a FASTA
 * genome in one record) the reader counts the rest of its stream alone,
 * and a cut past a block's length makes a block too large to share,
 * which it counts itself.  Text is not split: its n-grams run across
 * lines.
 */

#define SPLIT_BLOCK (1u << 20)

int work_split_map(struct work *w, unsigned nworkers, int tokens)
{
	const char *env = getenv("HOGCOUNT_TEST_SPLIT_BLOCK");
	size_t hdr, bb = SPLIT_BLOCK;
	int any = 0;
	void *p;
	char *end;

	for (size_t i = 0; i < w->nin; i++)
		any |= w->in[i].stream;
	if (nworkers < 2 || tokens != HCK_DNA || !any)
		return 0;
	/* Testing aids: smaller blocks make many cuts out of a small
	 * file; SPLIT_WAIT makes a reader wait for a free block instead of
	 * counting a block itself, so that blocks surely change hands. */
	if (env && *env) {
		unsigned long v = strtoul(env, &end, 10);

		if (!*end && v >= 256 && v <= SPLIT_BLOCK)
			bb = v;
	}
	w->split_wait = getenv("HOGCOUNT_TEST_SPLIT_WAIT") != NULL;
	w->nblocks = 2 * nworkers + 2;
	hdr = (w->nblocks * sizeof(*w->blocks) + 4095) / 4096 * 4096;
	w->split_bytes = hdr + w->nblocks * bb;
	p = mmap(NULL, w->split_bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		w->nblocks = 0;
		return -1;
	}
	w->blocks = p;
	w->block_data = (unsigned char *)p + hdr;
	w->block_bytes = bb;
	for (unsigned i = 0; i < w->nblocks; i++)
		atomic_init(&w->blocks[i].state, SPLIT_FREE);
	return 0;
}

/* Count @n bytes of whole records of format @fmt as a chunk of their
 * own. */
static int count_records(struct work *w, hck_tok *tk, int fmt,
			 const unsigned char *p, size_t n)
{
	int rc;

	hck_tok_reset(tk, fmt);
	rc = hck_tok_feed(tk, p, n, n);
	if (!rc)
		rc = hck_tok_finish(tk);
	return rc ? table_fail(w, rc) : 0;
}

/* Hand the records @p[0, @n) to the other workers in a free block: 1,
 * or 0 if none is free or they do not fit (the caller counts them). */
static int split_put(struct work *w, int fmt, const unsigned char *p, size_t n)
{
	if (n > w->block_bytes)
		return 0;
	for (unsigned i = 0; i < w->nblocks; i++) {
		struct split_block *b = &w->blocks[i];
		int want = SPLIT_FREE;

		/* ORDER: acquire on success.  Pairs with the release store
		 * of SPLIT_FREE in split_take(): the last reader of this
		 * block is done with its bytes before they are written
		 * again.  Relaxed on failure: nothing was read. */
		if (!atomic_compare_exchange_strong_explicit(
			    &b->state, &want, SPLIT_FILLING,
			    memory_order_acquire, memory_order_relaxed))
			continue;
		memcpy(w->block_data + (size_t)i * w->block_bytes, p, n);
		b->fmt = fmt;
		b->len = n;
		b->by = getpid();
		/* ORDER: release.  Publishes the bytes, fmt and len just
		 * written; pairs with the acquire CAS in split_take(). */
		atomic_store_explicit(&b->state, SPLIT_FULL,
				      memory_order_release);
		return 1;
	}
	return 0;
}

/* Count one full block if there is one: 1 if one was counted, 0 if none
 * was full, -1 after a failure (reported). */
static int split_take(struct work *w, hck_tok *tk)
{
	for (unsigned i = 0; i < w->nblocks; i++) {
		struct split_block *b = &w->blocks[i];
		int want = SPLIT_FULL, rc;

		/* ORDER: relaxed.  A first look that spares the CAS on
		 * blocks that are not full; the CAS decides. */
		if (atomic_load_explicit(&b->state, memory_order_relaxed) !=
		    SPLIT_FULL)
			continue;
		/* ORDER: acquire on success.  Pairs with the release store
		 * of SPLIT_FULL in split_put(): the block's bytes, fmt and
		 * len are visible.  Only one worker moves it from FULL. */
		if (!atomic_compare_exchange_strong_explicit(
			    &b->state, &want, SPLIT_BUSY, memory_order_acquire,
			    memory_order_relaxed))
			continue;
		rc = count_records(w, tk, b->fmt,
				   w->block_data + (size_t)i * w->block_bytes,
				   b->len);
		if (b->by != getpid())
			/* ORDER: relaxed.  A figure for --verbose, read by
			 * the parent after waitpid(). */
			atomic_fetch_add_explicit(&w->sh->blocks_shared, 1,
						  memory_order_relaxed);
		/* ORDER: release.  This worker's reads of the bytes happen
		 * before the block is filled again; pairs with the acquire
		 * CAS in split_put(). */
		atomic_store_explicit(&b->state, SPLIT_FREE,
				      memory_order_release);
		return rc ? -1 : 1;
	}
	return 0;
}

int work_split_drain(struct work *w, hck_tok *tk)
{
	/* Waits for the readers back off from 50 us to 5 ms, so idle
	 * workers beside a stream that cannot be cut cost next to nothing. */
	struct timespec ts = { 0, 50 * 1000 };
	int r;

	if (!w->nblocks)
		return 0;
	for (;;) {
		/* Every block was published before its item ended
		 * (work_item_done()), so once all have ended a scan that
		 * finds no full block means none will come. */
		int all_done = work_items_all_done(w);

		r = split_take(w, tk);
		if (r < 0)
			return -1;
		if (r) {
			ts.tv_nsec = 50 * 1000;
			continue;
		}
		if (all_done)
			return 0;
		if (work_failed(w))
			return -1;
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 5 * 1000 * 1000)
			ts.tv_nsec *= 2;
	}
}

/*
 * Up to @n bytes of the stream @d into @buf: the count (0 at the end),
 * or -1 after a read error (reported).  Progress is counted in bytes
 * read from the file: compressed bytes for a compressed input, as its
 * size on disk is.
 */
static ssize_t stream_read(struct work *w, struct dz *d, const char *name,
			   unsigned char *buf, size_t n, uint64_t *last)
{
	ssize_t got = dz_read(d, buf, n);
	uint64_t off;

	if (got < 0) {
		work_fail(w, 0, name, "%s", dz_error(d));
		return -1;
	}
	off = dz_in_bytes(d);
	if (off > *last) {
		work_progress(w, off - *last);
		*last = off;
	}
	return got;
}

/*
 * Read the DNA stream @d and cut it into blocks of whole records (see
 * above).  Returns 0 when the whole stream is counted, -1 after a
 * failure (reported), or 1 when the rest must be read in order: then
 * @tk has been reset and fed what was read, and the caller feeds it the
 * rest and finishes it.
 */
static int split_stream(struct work *w, struct dz *d, const char *name,
			hck_tok *tk, uint64_t *last)
{
	size_t bb = w->block_bytes, cap = 2 * bb, fill = 0, cut;
	unsigned char *buf = malloc(cap);
	int fmt = HCK_FMT_UNKNOWN, eof = 0, rc = 0;

	if (!buf) {
		work_fail(w, HC_ENOMEM, NULL, "%s", hc_strerror(HC_ENOMEM));
		return -1;
	}
	while (!rc && (!eof || fill)) {
		while (!eof && fill < cap) {
			ssize_t n = stream_read(w, d, name, buf + fill,
						cap - fill, last);

			if (n < 0) {
				free(buf);
				return -1;
			}
			eof = n == 0;
			fill += (size_t)n;
		}
		if (work_failed(w)) {
			rc = -1;
			break;
		}
		if (fmt == HCK_FMT_UNKNOWN)
			fmt = hck_seq_detect(buf, fill);
		hck_tok_reset(tk, fmt);
		/* The first record start past 3/4 of a block, with at least
		 * a block of what follows in hand to check it (or the end). */
		cut = fill;
		if (!eof || fill > bb)
			cut = hck_tok_align(tk, buf, fill, bb - bb / 4);
		if (fmt == HCK_FMT_UNKNOWN || (!eof && cut >= fill)) {
			/* No cut: the rest in order, in this worker. */
			rc = hck_tok_feed(tk, buf, fill, SIZE_MAX);
			free(buf);
			return rc ? table_fail(w, rc) : 1;
		}
		while (!split_put(w, fmt, buf, cut)) {
			struct timespec ts = { 0, 100 * 1000 };

			if (!w->split_wait || cut > bb || work_failed(w)) {
				rc = count_records(w, tk, fmt, buf, cut);
				break;
			}
			nanosleep(&ts, NULL);
		}
		memmove(buf, buf + cut, fill - cut);
		fill -= cut;
	}
	free(buf);
	return rc ? -1 : 0;
}

static int run_stream(struct work *w, const struct item *it, hck_tok *tk)
{
	static unsigned char *buf;
	const struct input *in = &w->in[it->input];
	const char *name = strcmp(in->path, "-") ? in->path : "<stdin>";
	uint64_t last = 0;
	struct dz *d;
	int fd, rc = 0;

	if (!buf)
		buf = xmalloc(STREAM_BLOCK);
	fd = strcmp(in->path, "-") ? open(in->path, O_RDONLY | O_CLOEXEC)
				   : dup(0);
	if (fd < 0) {
		work_fail(w, 0, name, "%s", strerror(errno));
		return -1;
	}
	d = dz_open(fd);
	if (!d) {
		work_fail(w, 0, name, "%s", strerror(errno));
		return -1;
	}
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	if (w->nblocks) {
		rc = split_stream(w, d, name, tk, &last);
		if (rc <= 0) {
			dz_close(d);
			return rc;
		}
		rc = 0;
	}
	for (;;) {
		ssize_t n = stream_read(w, d, name, buf, STREAM_BLOCK, &last);

		if (n < 0) {
			dz_close(d);
			return -1;
		}
		if (n == 0)
			break;
		rc = hck_tok_feed(tk, buf, (size_t)n, SIZE_MAX);
		if (rc || work_failed(w))
			break;
	}
	dz_close(d);
	if (!rc)
		rc = hck_tok_finish(tk);
	if (rc)
		return table_fail(w, rc);
	return 0;
}

int work_item_run(struct work *w, size_t idx, hck_tok *tk)
{
	const struct item *it = &w->items[idx];

	if (w->in[it->input].stream)
		return run_stream(w, it, tk);
	return run_mapped(w, it, tk);
}
