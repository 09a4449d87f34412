/* SPDX-License-Identifier: MIT */
/*
 * tok.c - one tokenizer interface over the three token kinds: DNA
 * k-mers (records.c, kmer.h), byte fragments and word n-grams (ngram.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void tok_init(struct tok *tk, const struct meta *m, struct sink *s)
{
	memset(tk, 0, sizeof(*tk));
	tk->m = *m;
	tk->sink = s;
	if (m->tokens == TOK_DNA) {
		tk->mask = m->k == 32 ? UINT64_MAX
				      : (UINT64_C(1) << (2 * m->k)) - 1;
		tk->shift = 2 * (m->k - 1);
	} else if (m->tokens == TOK_BYTES) {
		tk->mask = m->k >= 8 ? UINT64_MAX
				     : (UINT64_C(1) << (8 * m->k)) - 1;
		if (m->k > 8)
			tk->tail = xmalloc(m->k);
	} else {
		tk->wbuf = xmalloc(m->k * sizeof(*tk->wbuf));
		tk->wlen = xmalloc(m->k * sizeof(*tk->wlen));
		tk->wcap = xmalloc(m->k * sizeof(*tk->wcap));
		tk->wpre = xmalloc(m->k);
		for (unsigned i = 0; i < m->k; i++) {
			tk->wcap[i] = 64;
			tk->wbuf[i] = xmalloc(64);
			tk->wlen[i] = 0;
		}
	}
}

void tok_free(struct tok *tk)
{
	if (tk->wbuf)
		for (unsigned i = 0; i < tk->m.k; i++)
			free(tk->wbuf[i]);
	free(tk->wbuf);
	free(tk->wlen);
	free(tk->wcap);
	free(tk->wpre);
	free(tk->tail);
}

void tok_reset(struct tok *tk, int fmt)
{
	tk->fmt = fmt;
	tk->st = 0;
	tk->seq_len = tk->qual_left = 0;
	tk->fwd = tk->rev = tk->run = tk->roll = 0;
	tk->tail_len = 0;
	tk->whead = tk->wcount = tk->pending = 0;
	tk->in_word = 0;
	tk->limit_hit = 0;
}

int tok_feed(struct tok *tk, const unsigned char *buf, size_t n, size_t limit)
{
	if (tk->limit_hit)
		return 0;
	switch (tk->m.tokens) {
	case TOK_DNA:
		return dna_feed(tk, buf, n, limit);
	case TOK_BYTES:
		return bytes_feed(tk, buf, n, limit);
	default:
		return words_feed(tk, buf, n, limit);
	}
}

int tok_finish(struct tok *tk)
{
	if (tk->m.tokens == TOK_WORDS && tk->in_word && !tk->limit_hit) {
		/* The last word of the input ends at end of file. */
		int rc = words_end(tk);

		if (rc)
			return rc;
	}
	return sink_flush(tk->sink);
}

size_t tok_align(const struct tok *tk, const unsigned char *buf, size_t n,
		 size_t s)
{
	switch (tk->m.tokens) {
	case TOK_DNA:
		return dna_align(tk->fmt, buf, n, s);
	case TOK_BYTES:
		return s;
	default:
		return words_align(buf, n, s);
	}
}
