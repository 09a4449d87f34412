/* SPDX-License-Identifier: MIT */
/*
 * tok.c - one tokenizer interface over the three token kinds: DNA
 * k-mers (records.c, kmer.h), byte fragments and word n-grams (ngram.c).
 */
#include <stdlib.h>
#include <string.h>

#include "hck_internal.h"

int hck_tok_create(hck_tok **out, const hck_meta *m, hck_sink *s)
{
	struct hck_tok *tk;

	if (!out || !s || hck_meta_check(m))
		return HC_EINVAL;
	*out = NULL;
	tk = calloc(1, sizeof(*tk));
	if (!tk)
		return HC_ENOMEM;
	tk->m = *m;
	tk->sink = s;
	if (m->tokens == HCK_DNA) {
		tk->mask = m->k == 32 ? UINT64_MAX
				      : (UINT64_C(1) << (2 * m->k)) - 1;
		tk->shift = 2 * (m->k - 1);
	} else if (m->tokens == HCK_BYTES) {
		tk->mask = m->k >= 8 ? UINT64_MAX
				     : (UINT64_C(1) << (8 * m->k)) - 1;
		if (m->k > 8 && !(tk->tail = malloc(m->k)))
			goto nomem;
	} else {
		tk->wbuf = calloc(m->k, sizeof(*tk->wbuf));
		tk->wptr = calloc(m->k, sizeof(*tk->wptr));
		tk->wlen = calloc(m->k, sizeof(*tk->wlen));
		tk->wcap = calloc(m->k, sizeof(*tk->wcap));
		tk->wpre = calloc(m->k, 1);
		if (!tk->wbuf || !tk->wptr || !tk->wlen || !tk->wcap ||
		    !tk->wpre)
			goto nomem;
		for (unsigned i = 0; i < m->k; i++) {
			tk->wcap[i] = 64;
			tk->wbuf[i] = malloc(64);
			if (!tk->wbuf[i])
				goto nomem;
		}
	}
	*out = tk;
	return HC_OK;
nomem:
	hck_tok_destroy(tk);
	return HC_ENOMEM;
}

void hck_tok_destroy(hck_tok *tk)
{
	if (!tk)
		return;
	if (tk->wbuf)
		for (unsigned i = 0; i < tk->m.k; i++)
			free(tk->wbuf[i]);
	free(tk->wbuf);
	free((void *)tk->wptr);
	free(tk->wlen);
	free(tk->wcap);
	free(tk->wpre);
	free(tk->tail);
	if (tk->ids) { /* its own sinks (words.c) */
		hck_sink_destroy(tk->sink);
		hck_sink_destroy(tk->idsink);
		free(tk->wid);
		hck__wcache_free(&tk->wc);
	}
	free(tk);
}

void hck_tok_reset(hck_tok *tk, int fmt)
{
	tk->fmt = fmt;
	tk->st = 0;
	tk->seq_len = tk->qual_left = 0;
	tk->cr_held = 0;
	tk->fwd = tk->rev = tk->run = tk->roll = 0;
	tk->tail_len = 0;
	tk->whead = tk->wcount = tk->wtail = tk->chain = tk->pending = 0;
	tk->in_word = 0;
	tk->limit_hit = 0;
}

int hck_tok_feed(hck_tok *tk, const void *buf, size_t n, size_t limit)
{
	if (tk->err)
		return tk->err;
	if (tk->limit_hit)
		return 0;
	switch (tk->m.tokens) {
	case HCK_DNA:
		return hck__dna_feed(tk, buf, n, limit);
	case HCK_BYTES:
		return hck__bytes_feed(tk, buf, n, limit);
	default:
		return hck__words_feed(tk, buf, n, limit);
	}
}

int hck_tok_feed_part(hck_tok *tk, const void *buf, size_t n, size_t limit,
		      size_t *used)
{
	int rc;

	if (!used)
		return HC_EINVAL;
	/* Fragments past the limit must end in this part: a later part
	 * cannot tell where the limit was.  Take the bytes up to it; the
	 * next part starts there (ngram.c). */
	if (tk->m.tokens == HCK_BYTES && limit < n && n - limit <= tk->m.k - 1)
		n = limit;
	tk->more = 1;
	tk->used = n;
	rc = hck_tok_feed(tk, buf, n, limit);
	tk->more = 0;
	*used = tk->used;
	return rc;
}

int hck_tok_done(const hck_tok *tk)
{
	return tk->limit_hit;
}

int hck_tok_finish(hck_tok *tk)
{
	if (tk->err)
		return tk->err;
	if (tk->m.tokens == HCK_WORDS && tk->in_word && !tk->limit_hit) {
		/* The last word of the input ends at end of file. */
		int rc = hck__words_end(tk);

		if (rc)
			return rc;
	}
	if (tk->idsink) {
		int rc = hck_sink_flush(tk->idsink);

		if (rc)
			return rc;
	}
	return hck_sink_flush(tk->sink);
}

uint64_t hck_tok_added(const hck_tok *tk)
{
	return hck_sink_added(tk->sink) +
	       (tk->idsink ? hck_sink_added(tk->idsink) : 0);
}

size_t hck_tok_align(const hck_tok *tk, const void *buf, size_t n, size_t s)
{
	switch (tk->m.tokens) {
	case HCK_DNA:
		return hck__dna_align(tk->fmt, buf, n, s, NULL);
	case HCK_BYTES:
		return s;
	default:
		return hck__words_align(buf, n, s);
	}
}

int hck_tok_align_part(const hck_tok *tk, const void *buf, size_t n, size_t s,
		       size_t *at)
{
	size_t again = SIZE_MAX, p;

	if (!at || s > n)
		return HC_EINVAL;
	if (s == n) { /* nothing to look at */
		*at = s;
		return 0;
	}
	switch (tk->m.tokens) {
	case HCK_DNA:
		p = hck__dna_align(tk->fmt, buf, n, s, &again);
		break;
	case HCK_BYTES:
		p = s;
		break;
	default:
		/* A word that runs to n may go on past it. */
		p = hck__words_align(buf, n, s);
		if (p == n)
			again = n;
		break;
	}
	if (again != SIZE_MAX) {
		*at = again;
		return 0;
	}
	*at = p;
	return 1;
}

uint64_t hck_tok_skipped(const hck_tok *tk)
{
	return tk->skipped;
}

uint64_t hck_tok_skipped_bytes(const hck_tok *tk)
{
	return tk->bad_bytes;
}
