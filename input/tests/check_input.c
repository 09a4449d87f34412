/* SPDX-License-Identifier: MIT */
/*
 * check_input.c - the input layer's suite (unit.input): the magic of
 * each format, streams read whole, a code and one line for each way an
 * input fails, and jobs counted in one process and in forked workers
 * against the key layer's tokenizer fed the whole input at once.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "hogcount_input.h"

static char dir[] = "/tmp/hci-test-XXXXXX";

/* The start of a zip archive: refused by its magic. */
#define ZIP "PK\x03\x04 and more"

static const char *path_of(const char *name)
{
	static char buf[4][256];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static const char *put(const char *name, const void *data, size_t len)
{
	const char *p = path_of(name);
	FILE *f = fopen(p, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

/* @len bytes of @data as one gzip member, into a malloc'd buffer. */
static unsigned char *gzip_of(const void *data, size_t len, size_t *out)
{
	z_stream z = { 0 };
	size_t cap = len + len / 2 + 64;
	unsigned char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out = z.total_out;
	deflateEnd(&z);
	return buf;
}

/* A FASTQ file of @n random reads (seeded), into a malloc'd buffer. */
static char *reads(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 420, off = 0;
	char *s = malloc(cap);
	unsigned x = 26;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < n; i++) {
		unsigned l = 40 + i % 150;

		off += (size_t)sprintf(s + off, "@r%u\n", i);
		for (unsigned j = 0; j < l; j++) {
			x = x * 1103515245u + 12345u;
			s[off++] = "ACGTACGTACGTACGN"[(x >> 16) & 15];
		}
		off += (size_t)sprintf(s + off, "\n+\n");
		memset(s + off, 'I', l);
		off += l;
		s[off++] = '\n';
	}
	*len = off;
	return s;
}

static hc_table *table_for(const hck_meta *m)
{
	hck_plan_in in;
	hck_plan p = { .size = sizeof(p) };
	hc_table *t = NULL;

	hck_plan_in_init(&in);
	/* Room for every key where byte-key tables cannot grow (no pair
	 * CAS, design.md M8): the long texts of job_windows. */
	in.keys = 1 << 20;
	ck_assert_int_eq(hck_plan_table(m, &in, &p), HC_OK);
	ck_assert_int_eq(hck_table_create(&t, m, &p), HC_OK);
	return t;
}

/* The reference: the tokenizer fed @len bytes of @data in one go. */
static hc_table *reference(const hck_meta *m, const void *data, size_t len)
{
	hc_table *t = table_for(m);
	hck_sink *s;
	hck_tok *tk;

	ck_assert_int_eq(hck_sink_create(&s, t, m, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, m, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, data, len, SIZE_MAX), HC_OK);
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	return t;
}

/* @got holds every key of @want, @times times its count, and no other
 * (same distinct and total). */
static void same_counts(const hc_table *want, const hc_table *got,
			uint64_t times)
{
	hc_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	uint64_t *keys, *counts, c;
	size_t n;

	ck_assert_int_eq(hc_table_stats(want, &a), HC_OK);
	ck_assert_int_eq(hc_table_stats(got, &b), HC_OK);
	ck_assert_uint_eq(a.distinct, b.distinct);
	ck_assert_uint_eq(a.total * times, b.total);
	ck_assert_uint_gt(a.total, 1000);
	keys = malloc((size_t)a.distinct * sizeof(*keys));
	counts = malloc((size_t)a.distinct * sizeof(*counts));
	ck_assert_int_eq(hck_export(want, keys, counts, a.distinct, &n), HC_OK);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(hc_get(got, keys[i], &c), HC_OK);
		ck_assert_uint_eq(c, counts[i] * times);
	}
	free(keys);
	free(counts);
}

START_TEST(sniff_and_names)
{
	const char *what;

	ck_assert_int_eq(hci_sniff("\x1f\x8b\x08", 3, &what), HCI_GZIP);
	ck_assert_ptr_null(what);
	ck_assert_int_eq(hci_sniff("\xfd"
				   "7zXZ\0",
				   6, &what),
			 HCI_XZ);
	ck_assert_int_eq(hci_sniff("BZh9", 4, &what), HCI_BZIP2);
	ck_assert_int_eq(hci_sniff("\x28\xb5\x2f\xfd", 4, &what), HCI_ZSTD);
	ck_assert_int_eq(hci_sniff("PK\x03\x04", 4, &what), HCI_REFUSED);
	ck_assert_str_eq(what, "zip");
	ck_assert_int_eq(hci_sniff(">r\nACGT\n", 8, &what), HCI_PLAIN);
	ck_assert_int_eq(hci_sniff("", 0, &what), HCI_PLAIN);
	ck_assert_str_eq(hci_comp_name(HCI_XZ), "xz");
	ck_assert_str_eq(hci_errname(HCI_EDATA), "HCI_EDATA");
	ck_assert_str_eq(hci_errname(HCI_ESTDIN), "HCI_ESTDIN");
	/* The kernel's codes pass through. */
	ck_assert_str_eq(hci_errname(HC_EIO), "HC_EIO");
	ck_assert_str_eq(hci_strerror(HC_EFULL), hc_strerror(HC_EFULL));
	ck_assert_ptr_nonnull(strstr(hci_strerror(HCI_EFORMAT), "gzip"));
}
END_TEST

/* Read @path whole through a stream: its code, the bytes in @out. */
static int read_all(const char *path, unsigned char *out, size_t cap,
		    size_t *len, char *line, size_t line_cap)
{
	hci_stream *d;
	size_t got;
	int rc;

	ck_assert_int_eq(hci_stream_open(&d, open(path, O_RDONLY)), HC_OK);
	*len = 0;
	do {
		/* Odd sizes: the output is cut anywhere. */
		rc = hci_stream_read(d, out + *len, 1 + *len % 777, &got);
		*len += got;
		ck_assert_uint_lt(*len, cap);
	} while (!rc && got);
	snprintf(line, line_cap, "%s", hci_stream_error(d));
	ck_assert_uint_le(hci_stream_in_bytes(d), 1 << 30);
	hci_stream_close(d);
	return rc;
}

START_TEST(streams)
{
	size_t len, zlen, n;
	char *fq = reads(300, &len), line[256];
	unsigned char *gz = gzip_of(fq, len, &zlen), *out = malloc(len + 1024);
	unsigned char *two = malloc(2 * zlen);

	/* Plain, gzip, and two gzip members in a row. */
	ck_assert_int_eq(read_all(put("r.fq", fq, len), out, len + 1, &n, line,
				  sizeof(line)),
			 HC_OK);
	ck_assert_uint_eq(n, len);
	ck_assert_int_eq(memcmp(out, fq, len), 0);
	ck_assert_int_eq(read_all(put("r.fq.gz", gz, zlen), out, len + 1, &n,
				  line, sizeof(line)),
			 HC_OK);
	ck_assert_uint_eq(n, len);
	ck_assert_int_eq(memcmp(out, fq, len), 0);
	memcpy(two, gz, zlen);
	memcpy(two + zlen, gz, zlen);
	free(out);
	out = malloc(2 * len + 1024);
	ck_assert_int_eq(read_all(put("two.gz", two, 2 * zlen), out,
				  2 * len + 1, &n, line, sizeof(line)),
			 HC_OK);
	ck_assert_uint_eq(n, 2 * len);
	ck_assert_str_eq(line, "");

	/* Truncated: HCI_EDATA and its line, again on the next call. */
	ck_assert_int_eq(read_all(put("cut.gz", gz, zlen / 2), out, len + 1, &n,
				  line, sizeof(line)),
			 HCI_EDATA);
	ck_assert_str_eq(line, "corrupt gzip stream (truncated)");
	ck_assert_uint_lt(n, len);
	/* Refused: a zip, and a gzip inside a gzip. */
	ck_assert_int_eq(read_all(put("x.zip", ZIP, sizeof(ZIP) - 1), out,
				  len + 1, &n, line, sizeof(line)),
			 HCI_EFORMAT);
	ck_assert_ptr_nonnull(strstr(line, "zip data"));
	ck_assert_uint_eq(n, 0);
	{
		size_t z2len;
		unsigned char *gz2 = gzip_of(gz, zlen, &z2len);

		ck_assert_int_eq(read_all(put("in.gz", gz2, z2len), out,
					  len + 1, &n, line, sizeof(line)),
				 HCI_EFORMAT);
		ck_assert_str_eq(line, "gzip data inside gzip, which hogcount "
				       "does not read; decompress it first");
		free(gz2);
	}
	free(fq);
	free(gz);
	free(two);
	free(out);
}
END_TEST

/* hci_job_add(@path) fails with @code, naming @path, with @text in its
 * line. */
static void add_fails(const char *path, int code, const char *text)
{
	hci_job *j;
	const char *what, *msg;
	int c;

	ck_assert_int_eq(hci_job_create(&j, HCK_DNA, 1 << 20), HC_OK);
	if (!strcmp(path, "-"))
		ck_assert_int_eq(hci_job_add(j, "-"), HC_OK);
	ck_assert_int_eq(hci_job_add(j, path), code);
	ck_assert_int_eq(hci_job_error(j, &c, &what, &msg), 1);
	ck_assert_int_eq(c, code);
	ck_assert_str_eq(what, path);
	ck_assert_ptr_nonnull(strstr(msg, text));
	ck_assert_ptr_null(strchr(msg, '\n'));
	ck_assert_int_eq(hci_job_failed(j), 1);
	ck_assert_int_eq(hci_job_next(j), -1);
	/* The job is done. */
	ck_assert_int_eq(hci_job_add(j, path_of("r.fq")), HC_EMISUSE);
	hci_job_destroy(j);
}

START_TEST(job_errors)
{
	hci_job *j;
	hci_stats st = { .size = sizeof(st) };
	hci_input in = { .size = sizeof(in) };
	const char *what, *msg;
	int c;

	add_fails(path_of("none.fq"), HC_EIO, strerror(ENOENT));
	add_fails(dir, HC_EIO, strerror(EISDIR));
	add_fails(put("x.zip", ZIP, sizeof(ZIP) - 1), HCI_EFORMAT,
		  "zip data, which hogcount does not read");
	add_fails("-", HCI_ESTDIN, "standard input given twice");

	ck_assert_int_eq(hci_job_create(&j, 0, 1), HC_EINVAL);
	ck_assert_int_eq(hci_job_create(&j, HCK_DNA, 0), HC_EINVAL);
	ck_assert_int_eq(hci_job_create(&j, HCK_WORDS, 1 << 20), HC_OK);
	ck_assert_int_eq(hci_job_error(j, &c, &what, &msg), 0);
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(hci_job_add(j, put("empty", "", 0)), HC_OK);
	ck_assert_int_eq(hci_job_add(j, put("w.txt", "a b c\n", 6)), HC_OK);
	ck_assert_int_eq(hci_job_stats(j, &st), HC_OK);
	ck_assert_uint_eq(st.inputs, 1); /* the empty file adds nothing */
	ck_assert_uint_eq(st.items, 1);
	ck_assert_uint_eq(st.total, 6);
	ck_assert_int_eq(hci_job_input(j, 0, &in), HC_OK);
	ck_assert_str_eq(in.path, path_of("w.txt"));
	ck_assert_int_eq(in.stream, 0);
	ck_assert_int_eq(hci_job_input(j, 1, &in), HC_EINVAL);
	in.size = 1;
	ck_assert_int_eq(hci_job_input(j, 0, &in), HC_EINVAL);
	st.size = 1;
	ck_assert_int_eq(hci_job_stats(j, &st), HC_EINVAL);
	ck_assert_int_eq(hci_job_run(j, 5, NULL), HC_EINVAL);
	hci_job_destroy(j);
	hci_job_destroy(NULL);
}
END_TEST

/* A job of a plain FASTQ cut into ranges of @chunk bytes and its gzip
 * stream, counted by @workers processes (@split: blocks of 256 bytes
 * shared by the stream's reader), against the reference twice over. */
static void count_job(uint64_t chunk, unsigned workers, int split)
{
	hck_meta m = { HCK_DNA, 11, 1 };
	size_t len, zlen;
	char *fq = reads(2000, &len);
	unsigned char *gz = gzip_of(fq, len, &zlen);
	hc_table *want = reference(&m, fq, len), *t = table_for(&m);
	hci_stats st = { .size = sizeof(st) };
	hci_input in = { .size = sizeof(in) };
	pid_t pids[8];
	hci_job *j;
	int s;

	if (split)
		setenv("HOGCOUNT_TEST_SPLIT_BLOCK", "256", 1);
	ck_assert_int_eq(hci_job_create(&j, m.tokens, chunk), HC_OK);
	ck_assert_int_eq(hci_job_add(j, put("c.fq", fq, len)), HC_OK);
	ck_assert_int_eq(hci_job_add(j, put("c.fq.gz", gz, zlen)), HC_OK);
	ck_assert_int_eq(hci_job_input(j, 0, &in), HC_OK);
	ck_assert_int_eq(in.fmt, HCK_FMT_FASTQ);
	ck_assert_int_eq(in.comp, HCI_PLAIN);
	ck_assert_int_eq(hci_job_input(j, 1, &in), HC_OK);
	ck_assert_int_eq(in.comp, HCI_GZIP);
	ck_assert_int_eq(in.stream, 1);
	ck_assert_uint_eq(in.expand, 4);
	ck_assert_int_eq(hci_job_share(j, workers), HC_OK);
	for (unsigned w = 1; w < workers; w++) {
		pids[w] = check_fork();
		if (pids[w] == 0)
			_exit(hci_job_count(j, t, &m) ? 1 : 0);
	}
	ck_assert_int_eq(hci_job_count(j, t, &m), HC_OK);
	for (unsigned w = 1; w < workers; w++) {
		ck_assert_int_eq(waitpid(pids[w], &s, 0), pids[w]);
		ck_assert(WIFEXITED(s) && WEXITSTATUS(s) == 0);
	}
	ck_assert_int_eq(hci_job_stats(j, &st), HC_OK);
	ck_assert_uint_eq(st.items, (len + chunk - 1) / chunk + 1);
	ck_assert_uint_eq(st.done, len + zlen);
	ck_assert_uint_eq(st.skipped, 0); /* N is a sequence letter */
	ck_assert_uint_gt(st.added, 0);
	if (split)
		ck_assert_uint_gt(st.blocks, 0);
	same_counts(want, t, 2);
	unsetenv("HOGCOUNT_TEST_SPLIT_BLOCK");
	hci_job_destroy(j);
	hc_table_close(t);
	hc_table_close(want);
	free(fq);
	free(gz);
}

START_TEST(job_one_process)
{
	count_job(1 << 20, 1, 0); /* one range */
	count_job(1000, 1, 0); /* ranges cut inside records */
}
END_TEST

START_TEST(job_workers)
{
	count_job(4096, 4, 0);
	count_job(4096, 4, 1); /* the stream's records in blocks */
}
END_TEST

/* @got holds every key of @want with its count, and no other: byte
 * keys too. */
static void same_table(const hc_table *want, const hc_table *got)
{
	hc_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	hc_iter *it;
	hc_entry e;
	uint64_t c;
	int r;

	ck_assert_int_eq(hc_table_stats(want, &a), HC_OK);
	ck_assert_int_eq(hc_table_stats(got, &b), HC_OK);
	ck_assert_uint_eq(a.distinct, b.distinct);
	ck_assert_uint_eq(a.total, b.total);
	ck_assert_uint_gt(a.total, 1000);
	ck_assert_int_eq(hc_iter_create(want, &it), HC_OK);
	while ((r = hc_iter_next(it, &e)) == 1) {
		c = 0;
		if (e.bytes)
			ck_assert_int_eq(hc_get_bytes(got, e.bytes, e.len, &c),
					 HC_OK);
		else
			ck_assert_int_eq(hc_get(got, e.key, &c), HC_OK);
		ck_assert_uint_eq(c, e.count);
	}
	ck_assert_int_eq(r, 0);
	hc_iter_destroy(it);
}

/* What a job counted before windows: each range of @chunk bytes of the
 * whole file aligned and fed at once, to the end of the file. */
static hc_table *ranges_whole(const hck_meta *m, const unsigned char *data,
			      size_t len, uint64_t chunk)
{
	hc_table *t = table_for(m);
	int fmt = m->tokens == HCK_DNA
			  ? hck_seq_detect(data, len < 4096 ? len : 4096)
			  : HCK_FMT_UNKNOWN;
	hck_sink *sk;
	hck_tok *tk;

	ck_assert_int_eq(hck_sink_create(&sk, t, m, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, m, sk), HC_OK);
	for (size_t s = 0; s < len; s += chunk) {
		size_t e = s + chunk < len ? s + chunk : len, a;

		hck_tok_reset(tk, fmt);
		a = hck_tok_align(tk, data, len, s);
		if (a < e)
			ck_assert_int_eq(
				hck_tok_feed(tk, data + a, len - a, e - a),
				HC_OK);
		ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	}
	hck_tok_destroy(tk);
	hck_sink_destroy(sk);
	return t;
}

/* Random bases, @len of them in lines of @width (0: one line). */
static size_t bases(char *s, size_t len, size_t width, unsigned *x)
{
	size_t off = 0;

	for (size_t i = 0; i < len; i++) {
		*x = *x * 1103515245u + 12345u;
		s[off++] = "ACGTACGTACGTACGN"[(*x >> 16) & 15];
		if (width && (i + 1) % width == 0 && i + 1 < len)
			s[off++] = '\n';
	}
	s[off++] = '\n';
	return off;
}

/* FASTA with records longer than a window: multi-line, one line. */
static char *fasta_long(size_t *len)
{
	static const size_t rec[] = { 50, 20000, 7, 300, 30000, 4096, 1, 9000 };
	char *s = malloc(1 << 20);
	size_t off = 0;
	unsigned x = 7;

	ck_assert_ptr_nonnull(s);
	for (unsigned r = 0; r < 24; r++) {
		size_t n = rec[r % 8] + r;

		off += (size_t)sprintf(s + off, ">rec%u some header\n", r);
		off += bases(s + off, n, r % 3 ? 60 : 0, &x);
	}
	*len = off;
	return s;
}

/* FASTQ with reads longer than a window, some of whose quality lines
 * start with '@' (as a header does). */
static char *fastq_long(size_t *len)
{
	char *s = malloc(1 << 20);
	size_t off = 0;
	unsigned x = 9;

	ck_assert_ptr_nonnull(s);
	for (unsigned r = 0; r < 60; r++) {
		size_t n = r % 7 == 3 ? 9000 + r : 30 + 37 * r % 400;

		off += (size_t)sprintf(s + off, "@read%u\n", r);
		off += bases(s + off, n, 0, &x);
		off += (size_t)sprintf(s + off, "+\n");
		memset(s + off, r % 4 ? 'I' : '@', n);
		off += n;
		s[off++] = '\n';
	}
	*len = off;
	return s;
}

/* Text of words, with a line and a word longer than a window. */
static char *text_long(size_t *len)
{
	static const char *const words[] = { "the",    "a",	  "hog",
					     "counts", "n-grams", "of",
					     "words",  "and",	  "bytes" };
	static const char seps[] = "  \n\t \n ";
	char *s = malloc(1 << 20);
	size_t off = 0;
	unsigned x = 11;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < 30000; i++) {
		x = x * 1103515245u + 12345u;
		off += (size_t)sprintf(s + off, "%s", words[(x >> 16) % 9]);
		if (i == 9000) { /* a word longer than a window */
			memset(s + off, 'w', 10000);
			off += 10000;
		}
		/* a line longer than a window: no newline for a while */
		s[off++] = i > 15000 && i < 20000 ? ' ' : seps[(x >> 8) % 7];
	}
	*len = off;
	return s;
}

/* A job over @data, cut into ranges of @chunk bytes and read through
 * windows of one page, counted by @workers processes: the counts of
 * ranges_whole(). */
static void count_windows(const hck_meta *m, const char *name, const char *data,
			  size_t len, uint64_t chunk, unsigned workers)
{
	hc_table *want = ranges_whole(m, (const unsigned char *)data, len,
				      chunk),
		 *t = table_for(m);
	hci_stats st = { .size = sizeof(st) };
	pid_t pids[8];
	hci_job *j;
	int s;

	setenv("HOGCOUNT_TEST_WINDOW", "4096", 1);
	ck_assert_int_eq(hci_job_create(&j, m->tokens, chunk), HC_OK);
	ck_assert_int_eq(hci_job_add(j, put(name, data, len)), HC_OK);
	for (unsigned w = 1; w < workers; w++) {
		pids[w] = check_fork();
		if (pids[w] == 0)
			_exit(hci_job_count(j, t, m) ? 1 : 0);
	}
	ck_assert_int_eq(hci_job_count(j, t, m), HC_OK);
	for (unsigned w = 1; w < workers; w++) {
		ck_assert_int_eq(waitpid(pids[w], &s, 0), pids[w]);
		ck_assert(WIFEXITED(s) && WEXITSTATUS(s) == 0);
	}
	ck_assert_int_eq(hci_job_stats(j, &st), HC_OK);
	ck_assert_uint_eq(st.items, (len + chunk - 1) / chunk);
	ck_assert_uint_eq(st.done, len);
	same_table(want, t);
	unsetenv("HOGCOUNT_TEST_WINDOW");
	hci_job_destroy(j);
	hc_table_close(t);
	hc_table_close(want);
}

/* Every format through windows smaller than its records, lines and
 * words, in ranges cut anywhere: what the whole file mapped gave. */
START_TEST(job_windows)
{
	static const uint64_t chunks[] = { 1000, 4095, 4096, 9001, 1 << 20 };
	const hck_meta dna = { HCK_DNA, 15, 1 }, b4 = { HCK_BYTES, 5, 0 },
		       b16 = { HCK_BYTES, 16, 0 }, w3 = { HCK_WORDS, 3, 0 };
	size_t fa_len, fq_len, tx_len;
	char *fa = fasta_long(&fa_len), *fq = fastq_long(&fq_len),
	     *tx = text_long(&tx_len);
	uint64_t c = chunks[_i];
	unsigned workers = _i % 2 ? 3 : 1;

	ck_assert_uint_gt(fa_len, 16 * 4096);
	count_windows(&dna, "w.fa", fa, fa_len, c, workers);
	count_windows(&dna, "w.fq", fq, fq_len, c, workers);
	count_windows(&b4, "w4.txt", tx, tx_len, c, workers);
	count_windows(&b16, "w16.txt", tx, tx_len, c, workers);
	count_windows(&w3, "w3.txt", tx, tx_len, c, workers);
	free(fa);
	free(fq);
	free(tx);
}
END_TEST

static Suite *hci_input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sniff_and_names);
	tcase_add_test(tc, streams);
	tcase_add_test(tc, job_errors);
	tcase_add_test(tc, job_one_process);
	tcase_add_test(tc, job_workers);
	tcase_add_loop_test(tc, job_windows, 0, 5);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	char cmd[64];
	int failed;

	if (!mkdtemp(dir))
		return 1;
	sr = srunner_create(hci_input_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		failed++;
	return failed ? 1 : 0;
}
