/* SPDX-License-Identifier: MIT */
/*
 * job.c - the inputs of a job: plain files, compressed files (gzip, xz,
 * bzip2, zstd, told apart by their magic bytes and read by stream.c),
 * standard input ("-") and other non-seekable files.  Plain regular
 * files are cut into byte ranges, each read through a window mapped
 * over it ("Windows", below); the others are streams, read whole by one
 * worker, which shares the records of a DNA stream with the others
 * (below).  A format the tool does not read (lz4, zip,
 * ...) is refused by its magic, never counted as bytes.  Errors are
 * the job's (hci__fail): the caller prints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "hci_internal.h"

#define PEEK_BYTES 4096
#define STREAM_BLOCK (1u << 20)

static void window_drop(struct hci_job *w);

/* Grow the array *@p of @n elements of @size bytes when @n is 0 or a
 * power of two (16, 32, ...).  Returns HC_OK or HC_ENOMEM. */
static int grow(void *p, size_t n, size_t size)
{
	void *q;

	if (n & (n - 1))
		return HC_OK;
	q = realloc(*(void **)p, (n ? n * 2 : 16) * size);
	if (!q)
		return HC_ENOMEM;
	*(void **)p = q;
	return HC_OK;
}

static int add_item(struct hci_job *w, uint32_t input, uint64_t start,
		    uint64_t end)
{
	if (grow(&w->items, w->nitems, sizeof(*w->items)))
		return hci__fail(w, HC_ENOMEM, NULL, "%s",
				 hci_strerror(HC_ENOMEM));
	w->items[w->nitems].input = input;
	w->items[w->nitems].start = start;
	w->items[w->nitems].end = end;
	w->nitems++;
	return HC_OK;
}

/* A new input (and *@in its index); HC_OK or HC_ENOMEM. */
static int add_input(struct hci_job *w, const char *path, int stream, int comp,
		     int fmt, uint64_t size, uint32_t *in)
{
	char *copy = strdup(path);

	if (!copy || grow(&w->in, w->nin, sizeof(*w->in))) {
		free(copy);
		return hci__fail(w, HC_ENOMEM, NULL, "%s",
				 hci_strerror(HC_ENOMEM));
	}
	w->in[w->nin].path = copy;
	w->in[w->nin].stream = stream;
	w->in[w->nin].comp = comp;
	w->in[w->nin].fmt = fmt;
	w->in[w->nin].size = size;
	w->in[w->nin].expand = 0;
	w->total += size;
	*in = (uint32_t)w->nin++;
	return HC_OK;
}

/* A system error on @path, errno's. */
static int sys_fail(struct hci_job *w, const char *path)
{
	return hci__fail(w, HC_EIO, path, "%s", strerror(errno));
}

int hci_job_create(hci_job **out, int tokens, uint64_t chunk)
{
	struct hci_job *w;
	int rc;

	*out = NULL;
	if (!chunk || tokens < HCK_DNA || tokens > HCK_WORDS)
		return HC_EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return HC_ENOMEM;
	w->tokens = tokens;
	w->chunk = chunk;
	w->cur_input = -1;
	rc = hci__shared_map(w);
	if (rc) {
		free(w);
		return rc;
	}
	*out = w;
	return HC_OK;
}

void hci_job_destroy(hci_job *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nin; i++)
		free(w->in[i].path);
	free(w->in);
	free(w->items);
	window_drop(w);
	if (w->cur_input >= 0)
		close(w->cur_fd);
	free(w->buf);
	hci__shared_unmap(w);
	free(w);
}

int hci_job_add(hci_job *w, const char *path)
{
	unsigned char peek[PEEK_BYTES];
	const char *what;
	struct stat st;
	ssize_t got;
	uint32_t in;
	int fd, kind, rc;

	if (hci_job_failed(w))
		return HC_EMISUSE;
	if (!strcmp(path, "-")) {
		if (w->have_stdin)
			return hci__fail(w, HCI_ESTDIN, path, "%s",
					 hci_strerror(HCI_ESTDIN));
		w->have_stdin = 1;
		rc = add_input(w, path, 1, HCI_PLAIN, HCK_FMT_UNKNOWN, 0, &in);
		return rc ? rc : add_item(w, in, 0, 0);
	}
	/* stat() first: opening a FIFO here would wait for its writer, and
	 * closing it again could leave that writer with no reader (EPIPE)
	 * before the worker opens it. */
	if (stat(path, &st))
		return sys_fail(w, path);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return sys_fail(w, path);
	}
	if (!S_ISREG(st.st_mode)) {
		/* A pipe or device: peeking would eat its bytes. */
		rc = add_input(w, path, 1, HCI_PLAIN, HCK_FMT_UNKNOWN, 0, &in);
		return rc ? rc : add_item(w, in, 0, 0);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = sys_fail(w, path);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) { /* replaced since the stat() */
		close(fd);
		errno = EAGAIN;
		return hci__fail(w, HC_EIO, path, "changed while being opened");
	}
	got = pread(fd, peek, sizeof(peek), 0);
	if (got < 0) {
		rc = sys_fail(w, path);
		close(fd);
		return rc;
	}
	close(fd);
	kind = hci_sniff(peek, (size_t)got, &what);
	switch (kind) {
	case HCI_REFUSED:
		return hci__fail(w, HCI_EFORMAT, path, HCI__REFUSED_MSG, what);
	case HCI_PLAIN:
		break;
	default:
		rc = add_input(w, path, 1, kind, HCK_FMT_UNKNOWN,
			       (uint64_t)st.st_size, &in);
		if (rc)
			return rc;
		/* How much larger the plain data is likely to be, for the
		 * key bounds of the tools: gzip about 4 to 1 on text and
		 * reads; the others pack tighter, xz most. */
		w->in[in].expand = kind == HCI_GZIP ? 4
				   : kind == HCI_XZ ? 8
						    : 6;
		return add_item(w, in, 0, 0);
	}
	if (st.st_size == 0)
		return HC_OK;
	rc = add_input(w, path, 0, HCI_PLAIN,
		       w->tokens == HCK_DNA ? hck_seq_detect(peek, (size_t)got)
					    : HCK_FMT_UNKNOWN,
		       (uint64_t)st.st_size, &in);
	for (uint64_t s = 0; !rc && s < (uint64_t)st.st_size; s += w->chunk) {
		uint64_t e = s + w->chunk;

		rc = add_item(w, in, s,
			      e > (uint64_t)st.st_size ? (uint64_t)st.st_size
						       : e);
	}
	return rc;
}

/* ---- Windows of a plain file -----------------------------------------
 *
 * A worker maps only a window of the file it counts, never the whole
 * file, so that a file larger than its address space (RLIMIT_AS) is
 * counted as any other.  A range [start, end) needs the byte before
 * start (hck_tok_align() looks back one byte) and, past end, what the
 * tokenizer reads to finish its last record, fragment or n-gram and to
 * find where the next range's first record starts: unbounded, for a
 * long FASTA record or text line.  So the range is read through a
 * window of w->win bytes (WINDOW_BYTES) that slides along it: the key
 * layer's hck_tok_align_part() and hck_tok_feed_part() take a window
 * that ends before the file does and say when they need bytes past it;
 * the window then slides to where they stopped, or doubles where they
 * could not start (a record longer than the window).  The window that
 * reaches the end of the file goes to hck_tok_align() and
 * hck_tok_feed() as the whole file did, so the counts are those of the
 * whole file mapped at once.
 */

#define WINDOW_BYTES (8u << 20)

/* The window's bytes (w->win, HOGCOUNT_TEST_WINDOW for tests: small
 * windows slide and grow often on small files), a page multiple. */
static size_t window_bytes(void)
{
	const char *env = getenv("HOGCOUNT_TEST_WINDOW");
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), v = WINDOW_BYTES;
	char *end;

	if (env && *env) {
		unsigned long long t = strtoull(env, &end, 10);

		if (!*end && t >= 1 && t <= WINDOW_BYTES)
			v = (size_t)t;
	}
	return (v + pg - 1) / pg * pg;
}

/* Unmap the window (its pages go with it). */
static void window_drop(struct hci_job *w)
{
	if (w->cur_map)
		munmap((void *)w->cur_map, w->win_len);
	w->cur_map = NULL;
	w->win_off = 0;
	w->win_len = 0;
}

/* Open input @input for this process's ranges (w->cur_*): ranges of
 * one file come in a row. */
static int open_input(struct hci_job *w, uint32_t input)
{
	struct stat st;
	int fd, rc;

	if (w->cur_input == (long)input)
		return HC_OK;
	window_drop(w);
	if (w->cur_input >= 0)
		close(w->cur_fd);
	w->cur_input = -1;
	if (!w->win)
		w->win = window_bytes();
	fd = open(w->in[input].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = sys_fail(w, w->in[input].path);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	w->cur_fd = fd;
	w->cur_size = (uint64_t)st.st_size;
	w->cur_input = input;
	return HC_OK;
}

/* Map the bytes [@from, @to) of the open file (to at most its end, and
 * from < its end), keeping the window if it holds them; else a window
 * from the page of @from, of at least @len bytes. */
static int window_map(struct hci_job *w, uint64_t from, uint64_t to,
		      uint64_t len)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), off, e;
	void *p;

	if (to > w->cur_size)
		to = w->cur_size;
	if (w->cur_map && from >= w->win_off && to <= w->win_off + w->win_len)
		return HC_OK;
	window_drop(w);
	off = from / pg * pg;
	e = to > off + len ? to : off + len;
	if (e > w->cur_size)
		e = w->cur_size;
	if (e - off > SIZE_MAX) {
		errno = ENOMEM;
		return sys_fail(w, w->in[w->cur_input].path);
	}
	p = mmap(NULL, (size_t)(e - off), PROT_READ, MAP_PRIVATE, w->cur_fd,
		 (off_t)off);
	if (p == MAP_FAILED)
		return sys_fail(w, w->in[w->cur_input].path);
	madvise(p, (size_t)(e - off), MADV_SEQUENTIAL);
	w->cur_map = p;
	w->win_off = off;
	w->win_len = (size_t)(e - off);
	return HC_OK;
}

/* Twice @len, at most the file's size (the window grows). */
static uint64_t window_grow(const struct hci_job *w, uint64_t len)
{
	return len < w->cur_size / 2 ? 2 * len : w->cur_size;
}

/* A failure of the tokenizer's table (or sink): the job's, naming no
 * input. */
static int table_fail(struct hci_job *w, int rc)
{
	return hci__fail(w, rc, NULL, "%s", hci_strerror(rc));
}

/* *@at: where the range from @s of the open file starts its tokens
 * (hck_tok_align() over the whole file); the file's size if none
 * does. */
static int window_align(struct hci_job *w, hck_tok *tk, uint64_t s,
			uint64_t *at)
{
	uint64_t len = w->win, from, end;
	size_t rel, a;
	int rc;

	for (;;) {
		/* The byte before s too: hck_tok_align() looks at it. */
		from = s ? s - 1 : 0;
		rc = window_map(w, from, from + len, len);
		if (rc)
			return rc;
		rel = (size_t)(s - w->win_off);
		end = w->win_off + w->win_len;
		if (end >= w->cur_size) {
			*at = w->win_off +
			      hck_tok_align(tk, w->cur_map, w->win_len, rel);
			return HC_OK;
		}
		rc = hck_tok_align_part(tk, w->cur_map, w->win_len, rel, &a);
		if (rc < 0)
			return table_fail(w, rc);
		if (rc) {
			*at = a >= w->win_len ? w->cur_size : w->win_off + a;
			return HC_OK;
		}
		if (w->win_off + a == s)
			len = window_grow(w, len); /* not a byte further */
		else
			s = w->win_off + a;
	}
}

/* Feed the tokenizer the open file from @s, the range ending at @end:
 * window after window until it is done or the file ends.  *@rep: the
 * end of the range's bytes counted in the job's progress so far, moved
 * on window by window (the table sizes its growths from it,
 * hc_table_set_progress, as well as the display). */
static int window_feed(struct hci_job *w, hck_tok *tk, uint64_t s, uint64_t end,
		       uint64_t *rep)
{
	uint64_t len = w->win;
	size_t rel, n, used;
	int rc;

	while (s < w->cur_size && !hck_tok_done(tk)) {
		rc = window_map(w, s, s + len, len);
		if (rc)
			return rc;
		rel = (size_t)(s - w->win_off);
		n = w->win_len - rel;
		if (w->win_off + w->win_len >= w->cur_size) {
			rc = hck_tok_feed(tk, w->cur_map + rel, n,
					  end > s ? end - s : 0);
			return rc ? table_fail(w, rc) : HC_OK;
		}
		rc = hck_tok_feed_part(tk, w->cur_map + rel, n,
				       end > s ? end - s : 0, &used);
		if (rc)
			return table_fail(w, rc);
		if (used) {
			s += used;
			if ((s < end ? s : end) > *rep) {
				hci__progress(w, (s < end ? s : end) - *rep);
				*rep = s < end ? s : end;
			}
		} else {
			len = window_grow(w, len); /* not a byte further */
		}
	}
	return HC_OK;
}

static int run_mapped(struct hci_job *w, const struct hci__item *it,
		      hck_tok *tk)
{
	uint64_t start = it->start, end = it->end, s = 0, rep = it->start;
	int rc;

	rc = open_input(w, it->input);
	if (rc)
		return rc;
	/* The file may have shrunk since it was listed. */
	if (end > w->cur_size)
		end = w->cur_size;
	hck_tok_reset(tk, w->in[it->input].fmt);
	if (start < end) {
		rc = window_align(w, tk, start, &s);
		if (!rc && s < end)
			rc = window_feed(w, tk, s, end, &rep);
		if (rc)
			return rc;
	}
	rc = hck_tok_finish(tk);
	if (rc)
		return table_fail(w, rc);
	/* Drop the range's pages from this process (they stay in the page
	 * cache), so that memory use reflects the table, not the input;
	 * windows behind this one went with their mapping.  What lies past
	 * end may serve the next range. */
	if (w->cur_map && end > w->win_off) {
		uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
		uint64_t a = start / pg * pg, e = w->win_off + w->win_len;

		if (a < w->win_off)
			a = w->win_off;
		if (e > end)
			e = end;
		if (a < e)
			madvise((void *)(w->cur_map + (a - w->win_off)), e - a,
				MADV_DONTNEED);
	}
	if (it->end > rep)
		hci__progress(w, it->end - rep);
	return HC_OK;
}

/* ---- DNA streams split between the workers ----------------------------
 *
 * A stream (a compressed file, standard input, a pipe) is read in order
 * by the one worker that takes its item.  DNA records are independent
 * of each other, so that reader cuts what it reads at record starts and
 * hands blocks of whole records to the workers that have run out of
 * items, through a ring of blocks in shared memory (hci_internal.h).  The cut
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

int hci_job_share(hci_job *w, unsigned nworkers)
{
	const char *env = getenv("HOGCOUNT_TEST_SPLIT_BLOCK");
	size_t hdr, bb = SPLIT_BLOCK;
	int any = 0;
	void *p;
	char *end;

	for (size_t i = 0; i < w->nin; i++)
		any |= w->in[i].stream;
	if (nworkers < 2 || w->tokens != HCK_DNA || !any || w->nblocks)
		return HC_OK;
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
		return HC_EIO;
	}
	w->blocks = p;
	w->block_data = (unsigned char *)p + hdr;
	w->block_bytes = bb;
	for (unsigned i = 0; i < w->nblocks; i++)
		atomic_init(&w->blocks[i].state, SPLIT_FREE);
	return HC_OK;
}

/* Count @n bytes of whole records of format @fmt as a chunk of their
 * own. */
static int count_records(struct hci_job *w, hck_tok *tk, int fmt,
			 const unsigned char *p, size_t n)
{
	int rc;

	hck_tok_reset(tk, fmt);
	rc = hck_tok_feed(tk, p, n, n);
	if (!rc)
		rc = hck_tok_finish(tk);
	return rc ? table_fail(w, rc) : HC_OK;
}

/* Hand the records @p[0, @n) to the other workers in a free block: 1,
 * or 0 if none is free or they do not fit (the caller counts them). */
static int split_put(struct hci_job *w, int fmt, const unsigned char *p,
		     size_t n)
{
	if (n > w->block_bytes)
		return 0;
	for (unsigned i = 0; i < w->nblocks; i++) {
		struct hci__block *b = &w->blocks[i];
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
 * was full, or the code of a failure (recorded). */
static int split_take(struct hci_job *w, hck_tok *tk)
{
	for (unsigned i = 0; i < w->nblocks; i++) {
		struct hci__block *b = &w->blocks[i];
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
		return rc ? rc : 1;
	}
	return 0;
}

int hci_job_drain(hci_job *w, hck_tok *tk)
{
	/* Waits for the readers back off from 50 us to 5 ms, so idle
	 * workers beside a stream that cannot be cut cost next to nothing. */
	struct timespec ts = { 0, 50 * 1000 };
	int r;

	if (!w->nblocks)
		return HC_OK;
	for (;;) {
		/* Every block was published before its item ended
		 * (hci_job_item_done()), so once all have ended a scan that
		 * finds no full block means none will come. */
		int all_done = hci__items_all_done(w);

		r = split_take(w, tk);
		if (r < 0)
			return r;
		if (r) {
			ts.tv_nsec = 50 * 1000;
			continue;
		}
		if (all_done)
			return HC_OK;
		if (hci_job_failed(w))
			return HC_EMISUSE; /* another's failure, recorded */
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 5 * 1000 * 1000)
			ts.tv_nsec *= 2;
	}
}

/*
 * Up to @n bytes of the stream @d into @buf, *@got of them (0 at the
 * end).  Returns HC_OK or the code of a read error (recorded).
 * Progress is counted in bytes read from the file: compressed bytes
 * for a compressed input, as its size on disk is.
 */
static int stream_read(struct hci_job *w, hci_stream *d, const char *name,
		       unsigned char *buf, size_t n, size_t *got,
		       uint64_t *last)
{
	int rc = hci_stream_read(d, buf, n, got);
	uint64_t off;

	if (rc)
		return hci__fail(w, rc, name, "%s", hci_stream_error(d));
	off = hci_stream_in_bytes(d);
	if (off > *last) {
		hci__progress(w, off - *last);
		*last = off;
	}
	return HC_OK;
}

/*
 * Read the DNA stream @d and cut it into blocks of whole records (see
 * above).  Returns HC_OK when the whole stream is counted, the code of
 * a failure (recorded), or 1 when the rest must be read in order: then
 * @tk has been reset and fed what was read, and the caller feeds it the
 * rest and finishes it.
 */
static int split_stream(struct hci_job *w, hci_stream *d, const char *name,
			hck_tok *tk, uint64_t *last)
{
	size_t bb = w->block_bytes, cap = 2 * bb, fill = 0, cut;
	unsigned char *buf = malloc(cap);
	int fmt = HCK_FMT_UNKNOWN, eof = 0, rc = 0;

	if (!buf)
		return hci__fail(w, HC_ENOMEM, NULL, "%s",
				 hci_strerror(HC_ENOMEM));
	while (!rc && (!eof || fill)) {
		while (!eof && fill < cap) {
			size_t n;

			rc = stream_read(w, d, name, buf + fill, cap - fill, &n,
					 last);
			if (rc) {
				free(buf);
				return rc;
			}
			eof = n == 0;
			fill += n;
		}
		if (hci_job_failed(w)) {
			rc = HC_EMISUSE; /* another's failure, recorded */
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

			if (!w->split_wait || cut > bb || hci_job_failed(w)) {
				rc = count_records(w, tk, fmt, buf, cut);
				break;
			}
			nanosleep(&ts, NULL);
		}
		memmove(buf, buf + cut, fill - cut);
		fill -= cut;
	}
	free(buf);
	return rc;
}

static int run_stream(struct hci_job *w, const struct hci__item *it,
		      hck_tok *tk)
{
	const struct hci__in *in = &w->in[it->input];
	const char *name = strcmp(in->path, "-") ? in->path : "<stdin>";
	uint64_t last = 0;
	hci_stream *d;
	int fd, rc;

	if (!w->buf)
		w->buf = malloc(STREAM_BLOCK);
	if (!w->buf)
		return hci__fail(w, HC_ENOMEM, NULL, "%s",
				 hci_strerror(HC_ENOMEM));
	fd = strcmp(in->path, "-") ? open(in->path, O_RDONLY | O_CLOEXEC)
				   : dup(0);
	if (fd < 0)
		return sys_fail(w, name);
	rc = hci_stream_open(&d, fd);
	if (rc)
		return hci__fail(w, rc, NULL, "%s", hci_strerror(rc));
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	if (w->nblocks) {
		rc = split_stream(w, d, name, tk, &last);
		if (rc <= 0) {
			hci_stream_close(d);
			return rc;
		}
	}
	for (;;) {
		size_t n;

		rc = stream_read(w, d, name, w->buf, STREAM_BLOCK, &n, &last);
		if (rc) {
			hci_stream_close(d);
			return rc;
		}
		if (n == 0)
			break;
		rc = hck_tok_feed(tk, w->buf, n, SIZE_MAX);
		if (rc)
			break;
		if (hci_job_failed(w)) {
			hci_stream_close(d);
			return HC_EMISUSE; /* another's failure, recorded */
		}
	}
	hci_stream_close(d);
	if (!rc)
		rc = hck_tok_finish(tk);
	return rc ? table_fail(w, rc) : HC_OK;
}

int hci_job_run(hci_job *w, size_t idx, hck_tok *tk)
{
	const struct hci__item *it;

	if (idx >= w->nitems)
		return HC_EINVAL;
	it = &w->items[idx];
	if (w->in[it->input].stream)
		return run_stream(w, it, tk);
	return run_mapped(w, it, tk);
}

/* The loop of one worker with its tokenizer @tk (freed here) of DNA
 * (@dna) or text. */
static int count_with(struct hci_job *w, hck_tok *tk, int dna)
{
	long i;
	int rc = 0;

	while (!rc && (i = hci_job_next(w)) >= 0) {
		rc = hci_job_run(w, (size_t)i, tk);
		if (!rc)
			hci_job_item_done(w);
	}
	if (!rc)
		rc = hci_job_drain(w, tk);
	if (!rc && hci_job_failed(w))
		rc = HC_EMISUSE; /* another's failure, recorded */
	hci_job_tally(w, dna ? hck_tok_skipped_bytes(tk) : hck_tok_skipped(tk),
		      hck_tok_added(tk));
	hck_tok_destroy(tk);
	return rc;
}

int hci_job_count(hci_job *w, hc_table *t, const hck_meta *m)
{
	hck_sink *s = NULL;
	hck_tok *tk = NULL;
	int rc;

	rc = hck_sink_create(&s, t, m, HCK_SINK_COMBINE);
	if (!rc)
		rc = hck_tok_create(&tk, m, s);
	if (rc) {
		hck_sink_destroy(s);
		return table_fail(w, rc);
	}
	rc = count_with(w, tk, m->tokens == HCK_DNA);
	hck_sink_destroy(s);
	return rc;
}

int hci_job_count_ids(hci_job *w, hck_ids *x)
{
	hck_tok *tk = NULL;
	int rc = hck_ids_tok_create(&tk, x);

	if (rc)
		return table_fail(w, rc);
	return count_with(w, tk, 0);
}
