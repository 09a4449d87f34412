/* SPDX-License-Identifier: MIT */
/*
 * fuzz_records.c - libFuzzer harness, differential: DNA k-mers of
 * FASTA, FASTQ and one-sequence-a-line input, canonical or not.  The
 * input is fed whole, as a stream cut into random blocks, as random
 * mapped byte ranges (hck_tok_align() and a limit, as `count` cuts a
 * file), and as those ranges read through small windows
 * (hck_tok_align_part(), hck_tok_feed_part()); each must give exactly the k-mers of a naive reference
 * computed here: records framed line by line, sequence lines joined,
 * bases A C G T (either case), '\r' ignored, any other byte restarting
 * the k-mer, the canonical form the smaller of the k-mer and its
 * reverse complement as strings.
 *
 * Input: byte 0: k (1..32) and canonical; byte 1: the mode, bytes 2..5:
 * the seed of the cuts; the rest is the text.  Mode 0 takes the text as
 * it is (any bytes); modes 1..3 build well-formed FASTA, FASTQ or line
 * input from it (sequence bytes from an alphabet of bases, N, '\r' and
 * a few others; lines cut at the bytes' own choice, FASTQ with several
 * sequence and quality lines, quality lines starting with '@'),
 * so that the framing and hck_tok_align() reach deep states often.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int base(unsigned char c)
{
	switch (c) {
	case 'A':
	case 'a':
		return 0;
	case 'C':
	case 'c':
		return 1;
	case 'G':
	case 'g':
		return 2;
	case 'T':
	case 't':
		return 3;
	case '\r':
		return -2; /* ignored inside a k-mer */
	}
	return -1;
}

/* The k-mers of one record's sequence (lines joined). */
static void ref_seq(const unsigned char *s, size_t n, const hck_meta *m,
		    struct fz_keys *ref)
{
	unsigned char win[32];
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		int c = base(s[i]);
		uint64_t fwd = 0, rev = 0;

		if (c == -2)
			continue;
		if (c < 0) {
			run = 0;
			continue;
		}
		memmove(win, win + 1, 31);
		win[31] = (unsigned char)c;
		if (++run < m->k)
			continue;
		for (unsigned j = 0; j < m->k; j++) {
			fwd = fwd << 2 | win[32 - m->k + j];
			rev = rev << 2 | (3u - win[31 - j]);
		}
		fz_keys_add_u64(ref, m->canonical && rev < fwd ? rev : fwd, 1);
	}
}

/* Reference framing of FASTA or line input (not FASTQ: its quality
 * lines are framed by length, so well-formed FASTQ comes from
 * build()). */
static void ref_text(const unsigned char *t, size_t n, int fmt,
		     const hck_meta *m, struct fz_keys *ref)
{
	unsigned char *seq = malloc(n + 1);
	size_t sl = 0, i = 0;
	int in_rec = 0;

	FUZZ_CHECK(seq, "out of memory");
	/* Blank bytes before the first record are skipped. */
	while (i < n &&
	       (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	while (i < n) {
		const unsigned char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;

		if (fmt == HCK_FMT_LINES) {
			ref_seq(t + i, e - i, m, ref);
		} else if (t[i] == '>' || !in_rec) {
			/* A header (the first line is one by detection). */
			ref_seq(seq, sl, m, ref);
			sl = 0;
			in_rec = 1;
		} else {
			memcpy(seq + sl, t + i, e - i);
			sl += e - i;
		}
		i = e + 1;
	}
	ref_seq(seq, sl, m, ref);
	free(seq);
}

/* Well-formed input of format @fmt from the bytes @b, with its
 * reference k-mers.  Returns the text (malloc'd) and its length. */
static unsigned char *build(const unsigned char *b, size_t nb, int fmt,
			    const hck_meta *m, struct fz_keys *ref, size_t *len)
{
	static const char alpha[] = "ACGTACGTacgtNn\r-. X";
	unsigned char *out = malloc(4 * nb + 32 * (nb + 1)), *seq;
	size_t o = 0, i = 0, *lines;
	unsigned rec = 0;

	seq = malloc(nb + 1);
	lines = malloc((nb + 1) * sizeof(*lines));
	FUZZ_CHECK(out && seq && lines, "out of memory");
	while (i < nb) {
		size_t sl = 0, nl = 0, ls = o;

		if (fmt != HCK_FMT_LINES)
			o += (size_t)sprintf((char *)out + o, "%cr%u x\n",
					     fmt == HCK_FMT_FASTQ ? '@' : '>',
					     rec++);
		ls = o;
		/* Sequence: bytes below 0xf0 are sequence bytes, 0xf0 to
		 * 0xfe end a line of FASTA or FASTQ, 0xff ends the record
		 * (and any of them a line of line input). */
		for (; i < nb; i++) {
			unsigned char c = b[i];

			if (c == 0xff || (c >= 0xf0 && fmt == HCK_FMT_LINES)) {
				i++;
				break;
			}
			if (c >= 0xf0) {
				/* The framer counts a line less a final
				 * '\r'. */
				lines[nl++] =
					o - ls - (o > ls && out[o - 1] == '\r');
				out[o++] = '\n';
				ls = o;
				continue;
			}
			c = (unsigned char)alpha[c % (sizeof(alpha) - 1)];
			out[o++] = c;
			seq[sl++] = c;
		}
		lines[nl++] = o - ls - (o > ls && out[o - 1] == '\r');
		ref_seq(seq, sl, m, ref);
		out[o++] = '\n';
		if (fmt == HCK_FMT_FASTQ) {
			/* Quality lines as long as the sequence lines,
			 * some starting with '@'; none with '+' (then a
			 * multi-line quality can look like a record to any
			 * reader). */
			out[o++] = '+';
			out[o++] = '\n';
			for (size_t l = 0; l < nl; l++) {
				for (size_t q = 0; q < lines[l]; q++) {
					unsigned c =
						'!' + (q * 7 + sl + l) % 60;

					out[o++] =
						(unsigned char)(q == 0 && c == '+'
									? '-'
									: c);
				}
				out[o++] = '\n';
			}
		}
	}
	free(lines);
	free(seq);
	*len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const how_name[] = { "whole", "blocks", "ranges",
						"parts" };
	static const int mode_fmt[] = { HCK_FMT_UNKNOWN, HCK_FMT_FASTA,
					HCK_FMT_FASTQ, HCK_FMT_LINES };
	struct fz_keys ref = { 0 };
	hck_meta m = { 0 };
	uint64_t seed = 0;
	unsigned char *text;
	size_t n;
	int mode, fmt;

	if (size < 6)
		return 0;
	m.tokens = HCK_DNA;
	m.k = 1 + (data[0] & 31);
	m.canonical = data[0] >> 7;
	mode = data[1] & 3;
	memcpy(&seed, data + 2, 4);
	if (mode == 0) {
		n = size - 6;
		text = malloc(n + 1);
		FUZZ_CHECK(text, "out of memory");
		memcpy(text, data + 6, n);
		fmt = hck_seq_detect(text, n);
		if (fmt != HCK_FMT_FASTQ)
			ref_text(text, n, fmt, &m, &ref);
	} else {
		fmt = mode_fmt[mode];
		text = build(data + 6, size - 6, fmt, &m, &ref, &n);
		FUZZ_CHECK(hck_seq_detect(text, n) == fmt ||
				   hck_seq_detect(text, n) == HCK_FMT_UNKNOWN,
			   "built text detected as %d",
			   hck_seq_detect(text, n));
	}
	fz_keys_norm(&ref);

	if (mode == 0 && fmt == HCK_FMT_FASTQ) {
		/* Raw FASTQ has no reference of its own (its framing by
		 * length is the tokenizer's): the whole text is the
		 * reference of its blocks.  Ranges are not held to it: a
		 * quality line may look like a header to hck_tok_align(),
		 * which only guesses; read through windows they must guess
		 * the same. */
		hc_table *t = fz_tokenize(&m, text, n, FZ_WHOLE, fmt, seed,
					  2 * n + 64, 0);

		fz_keys_of_table(t, &ref);
		hc_table_close(t);
		t = fz_tokenize(&m, text, n, FZ_BLOCKS, HCK_FMT_UNKNOWN, seed,
				2 * n + 64, 0);
		fz_expect(t, &ref, "raw fastq blocks");
		hc_table_close(t);
		/* Ranges, whatever they guess, count the same through
		 * windows as with the whole text at once. */
		fz_keys_free(&ref);
		t = fz_tokenize(&m, text, n, FZ_RANGES, fmt, seed, 2 * n + 64,
				0);
		fz_keys_of_table(t, &ref);
		hc_table_close(t);
		t = fz_tokenize(&m, text, n, FZ_PARTS, fmt, seed, 2 * n + 64,
				0);
		fz_expect(t, &ref, "raw fastq parts");
		hc_table_close(t);
	} else {
		/* One way of feeding an input, against the reference. */
		int how = (int)(seed % 4);
		char what[64];
		hc_table *t;

		t = fz_tokenize(&m, text, n, how,
				how >= FZ_RANGES || (data[1] & 4)
					? fmt
					: HCK_FMT_UNKNOWN,
				seed >> 2, 2 * n + 64, 0);
		snprintf(what, sizeof(what), "k=%u canonical=%d fmt=%d %s", m.k,
			 m.canonical, fmt, how_name[how]);
		fz_expect(t, &ref, what);
		hc_table_close(t);
	}
	fz_keys_free(&ref);
	free(text);
	return 0;
}
