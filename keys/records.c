/* SPDX-License-Identifier: MIT */
/*
 * records.c - sequence record framing for DNA input: FASTA (multi-line),
 * FASTQ (4-line, or multi-line where the quality is as long as the
 * sequence) and plain lines (one sequence a line).  The framer is a
 * state machine fed block by block, so a record may span blocks; it
 * hands sequence bytes to the k-mer loop (kmer.h), which restarts at
 * every record.
 *
 * Cutting a big file: a chunk [s, e) owns the records whose first byte
 * lies in [s, e).  hck__dna_align() finds the first record start at or after
 * s; hck__dna_feed() stops at the first record start at or after the limit.
 */
#include <string.h>

#include "hck_internal.h"
#include "kmer.h"

enum {
	ST_START = 0, /* at a line start, between records */
	ST_BLANK, /* in blanks after a line start, between records */
	ST_HEADER, /* inside a header line */
	ST_SEQ_LS, /* at a line start inside a sequence */
	ST_SEQ, /* inside a sequence line */
	ST_PLUS, /* inside a FASTQ '+' line */
	ST_QUAL, /* inside FASTQ quality lines */
};

int hck_seq_detect(const void *data, size_t n)
{
	const unsigned char *buf = data;

	for (size_t i = 0; i < n; i++) {
		switch (buf[i]) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			continue;
		case '>':
			return HCK_FMT_FASTA;
		case '@':
			return HCK_FMT_FASTQ;
		default:
			return HCK_FMT_LINES;
		}
	}
	return HCK_FMT_UNKNOWN;
}

static void kmer_reset(struct hck_tok *tk)
{
	tk->run = 0;
	tk->seq_len = 0;
}

static const unsigned char *eol(const unsigned char *p,
				const unsigned char *end)
{
	const unsigned char *q = memchr(p, '\n', (size_t)(end - p));

	return q ? q : end;
}

/* Offset of the line after the one at @p, or n. */
static size_t next_line(const unsigned char *buf, size_t n, size_t p)
{
	const unsigned char *q = memchr(buf + p, '\n', n - p);

	return q ? (size_t)(q - buf) + 1 : n;
}

/* Length of the line at @p, less its '\n' and a final '\r' (as the
 * framer counts sequence and quality bytes). */
static size_t line_len(const unsigned char *buf, size_t n, size_t p)
{
	size_t e = next_line(buf, n, p), len = e - p;

	if (len && buf[e - 1] == '\n')
		len--;
	if (len && buf[p + len - 1] == '\r')
		len--;
	return len;
}

/*
 * 1 if a FASTQ record starts at the '@' line @p: its sequence lines up
 * to a '+' line, then quality lines exactly as long, then blanks and
 * the next '@', or the end.  A record cut by the end of @buf is not
 * one, unless @more says that the file goes on past @buf: then an
 * answer that needs bytes past @n is -1 (map more and ask again).
 * Both sides of a cut ask it (record_start()): hck__dna_align() for
 * the first record of a chunk, the framer for the first record past a
 * chunk's limit, so that a record is read by one chunk even where it
 * is malformed.
 * A quality line may start with '@' too, and a record may have several
 * sequence lines: the lengths and the lines after tell them apart.
 * Multi-line qualities whose lines start with '@' and '+' can still
 * fool it; no FASTQ reader can tell those apart.
 */
static int fastq_record_at(const unsigned char *buf, size_t n, size_t p,
			   int more)
{
	uint64_t seq = 0, qual = 0;
	size_t q = next_line(buf, n, p);

	for (; q < n && buf[q] != '+'; q = next_line(buf, n, q)) {
		/* A sequence line never starts with '@': a quality line
		 * taken for a header meets the next header here. */
		if (buf[q] == '@')
			return 0;
		seq += line_len(buf, n, q);
	}
	if (q >= n)
		return more ? -1 : 0;
	for (q = next_line(buf, n, q); qual < seq; q = next_line(buf, n, q)) {
		if (q >= n)
			return more ? -1 : 0;
		qual += line_len(buf, n, q);
	}
	if (qual != seq)
		return 0;
	/* Then blanks (as the framer skips them) and the next header. */
	while (q < n && (buf[q] == ' ' || buf[q] == '\t' || buf[q] == '\r' ||
			 buf[q] == '\n'))
		q++;
	if (q >= n)
		return more ? -1 : 1;
	return buf[q] == '@';
}

/* The first record a chunk reads past its limit starts at the line @p:
 * the one hck__dna_align() gives the next chunk.  1 or 0; -1 when
 * @more and the bytes up to @n do not tell. */
static int record_start(int fmt, const unsigned char *buf, size_t n, size_t p,
			int more)
{
	switch (fmt) {
	case HCK_FMT_FASTA:
		return buf[p] == '>';
	case HCK_FMT_FASTQ:
		return buf[p] == '@' ? fastq_record_at(buf, n, p, more) : 0;
	}
	return 1;
}

int hck__dna_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		  size_t limit)
{
	const unsigned char *p = buf, *end = buf + n, *q;
	int rc, r;

	while (p < end) {
		switch (tk->st) {
		case ST_START:
			if (*p == '\n') {
				p++;
				continue;
			}
			/* A line start: the record starting here belongs to
			 * the next chunk if hck__dna_align() would find it
			 * there (the limit is checked at the line start, not
			 * at the first byte after leading blanks). */
			if ((size_t)(p - buf) >= limit) {
				r = record_start(tk->fmt, buf, n,
						 (size_t)(p - buf), tk->more);
				if (r < 0) {
					/* Stop before this line: the part after
					 * it tells (hck_tok_feed_part()). */
					tk->used = (size_t)(p - buf);
					return 0;
				}
				if (r) {
					tk->limit_hit = 1;
					return 0;
				}
			}
			tk->st = ST_BLANK;
			/* fall through */
		case ST_BLANK:
			if (*p == '\n') {
				tk->st = ST_START;
				p++;
				continue;
			}
			if (*p == '\r' || *p == ' ' || *p == '\t') {
				p++;
				continue;
			}
			if (tk->fmt == HCK_FMT_UNKNOWN)
				tk->fmt = hck_seq_detect(p, 1);
			kmer_reset(tk);
			if (tk->fmt == HCK_FMT_LINES) {
				tk->st = ST_SEQ;
				continue;
			}
			/* '>' or '@' header; a line that should be one but
			 * is not is skipped like a header. */
			tk->st = ST_HEADER;
			break;
		case ST_HEADER:
			q = eol(p, end);
			p = q;
			if (q < end) {
				p++;
				tk->st = ST_SEQ_LS;
			}
			continue;
		case ST_SEQ_LS:
			if (tk->fmt == HCK_FMT_FASTA && *p == '>') {
				tk->st = ST_START;
				continue;
			}
			if (tk->fmt == HCK_FMT_FASTQ && *p == '+') {
				tk->st = ST_PLUS;
				break;
			}
			tk->st = ST_SEQ;
			/* fall through */
		case ST_SEQ:
			if (tk->cr_held) {
				/* Not final after all: one more letter. */
				tk->cr_held = 0;
				tk->seq_len += *p != '\n';
			}
			q = eol(p, end);
			rc = kmer_run(tk, p, q);
			if (rc)
				return rc;
			tk->seq_len += (uint64_t)(q - p);
			if (q > p && q[-1] == '\r') {
				/* A final '\r' is not a letter; at the end of
				 * a block, the next byte tells (a cut between
				 * '\r' and '\n' must count as no cut). */
				tk->seq_len--;
				tk->cr_held = q == end;
			}
			p = q;
			if (q < end) {
				p++;
				tk->st = tk->fmt == HCK_FMT_LINES ? ST_START
								  : ST_SEQ_LS;
			}
			continue;
		case ST_PLUS:
			q = eol(p, end);
			p = q;
			if (q < end) {
				p++;
				tk->qual_left = tk->seq_len;
				tk->st = tk->qual_left ? ST_QUAL : ST_START;
			}
			continue;
		case ST_QUAL: {
			uint64_t len;

			if (tk->cr_held) {
				tk->cr_held = 0;
				if (*p != '\n' && tk->qual_left)
					tk->qual_left--;
			}
			q = eol(p, end);
			len = (uint64_t)(q - p);
			if (q > p && q[-1] == '\r') {
				len--; /* as in ST_SEQ */
				tk->cr_held = q == end;
			}
			tk->qual_left -=
				len < tk->qual_left ? len : tk->qual_left;
			p = q;
			if (q < end) {
				p++;
				if (!tk->qual_left)
					tk->st = ST_START;
			}
			continue;
		}
		}
		p++;
	}
	return 0;
}

size_t hck__dna_align(int fmt, const unsigned char *buf, size_t n, size_t s,
		      size_t *again)
{
	size_t p = s;
	int r;

	if (s == 0)
		return 0;
	/* Go to the first line start at or after s. */
	if (buf[s - 1] != '\n')
		p = next_line(buf, n, s);
	if (fmt == HCK_FMT_UNKNOWN)
		return n; /* the caller gives the file's format */
	for (; p < n; p = next_line(buf, n, p)) {
		r = record_start(fmt, buf, n, p, again != NULL);
		if (r < 0) {
			*again = p; /* the record at p runs past n */
			return n;
		}
		if (r)
			return p;
	}
	if (again)
		*again = n; /* no line start before n holds one */
	return n;
}
