/* SPDX-License-Identifier: MIT */
/*
 * hck_internal.h - what the files of keys/ share (hck__ prefix): the
 * sink and tokenizer state and the feeders of each token kind.  Data
 * flows tok.c -> records.c (DNA framing, kmer.h) / ngram.c (fragments,
 * words) -> sink.c (batches into the table).  Included only in keys/.
 */
#ifndef HCK_INTERNAL_H
#define HCK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hogcount_keys.h"

#define HCK_SINK_KEYS 4096u
#define HCK_SINK_ARENA (1u << 20)

struct hck_sink {
	hc_table *t; /* NULL for a sink into a function */
	hc_cache *cache; /* HCK_SINK_COMBINE: the kernel's delta cache */
	hck_sink_fn fn;
	void *fn_arg;
	int bytes; /* byte-string keys */
	int err; /* first HC_E* code met, else 0 */
	size_t n;
	uint64_t added; /* keys added so far */
	uint64_t keys[HCK_SINK_KEYS];
	const void *ptrs[HCK_SINK_KEYS];
	size_t lens[HCK_SINK_KEYS];
	size_t arena_used;
	unsigned char *arena; /* HCK_SINK_ARENA bytes for copied keys */
};

/* hck_sink_create() of a sink of integer keys (@bytes 0) or byte keys
 * into @t, whatever a record says (words.c: n-grams of ids). */
int hck__sink_new(struct hck_sink **out, hc_table *t, int bytes,
		  unsigned flags);

/* Hand the batch on (to the cache, the table or the function); the
 * batch's byte keys may be reused after it.  hck_sink_flush() also
 * flushes the cache. */
int hck__sink_drain(struct hck_sink *s);

static inline int hck__sink_u64(struct hck_sink *s, uint64_t key)
{
	s->keys[s->n++] = key;
	if (s->n == HCK_SINK_KEYS)
		return hck__sink_drain(s);
	return 0;
}

/* A byte key that stays valid until the next hck__sink_drain(). */
static inline int hck__sink_ref(struct hck_sink *s, const void *p, size_t len)
{
	s->ptrs[s->n] = p;
	s->lens[s->n++] = len;
	if (s->n == HCK_SINK_KEYS)
		return hck__sink_drain(s);
	return 0;
}

/* Room for a copied key of @len bytes (len <= HCK_SINK_ARENA); flushes
 * first if needed.  Fill it, then call hck__sink_commit(). */
unsigned char *hck__sink_reserve(struct hck_sink *s, size_t len);
int hck__sink_commit(struct hck_sink *s, unsigned char *p, size_t len);

/* A tokenizer's private map of the words it has met to their ids
 * (words.c): open addressing on the words' hashes.  A word of up to 8
 * bytes is held in its entry, a longer one in @pool. */
struct hck__wcache {
	struct hck__went { /* 16 bytes: four to a cache line */
		uint64_t v; /* len <= 8: the word's bytes (words.c,
			     * short_word()); longer: the hash's high half
			     * << 32 | the offset in pool (below 4 GiB) */
		uint32_t id; /* ids take at most 32 bits (HCK_IDS_K_MAX) */
		uint32_t len; /* 0: empty */
	} * e;
	size_t mask, used;
	unsigned char *pool;
	size_t pool_used, pool_cap;
};

struct hck_tok {
	hck_meta m;
	struct hck_sink *sink;
	int err; /* HC_ENOMEM met while buffering a word */
	/* DNA */
	int fmt; /* enum hck_seq_fmt: the file's, or UNKNOWN */
	int st; /* framer state (records.c) */
	uint64_t seq_len, qual_left;
	int cr_held; /* a sequence or quality line's '\r' ended the last
		      * block: final (before '\n') or not, the next byte
		      * says (records.c) */
	uint64_t fwd, rev, mask, run;
	unsigned shift;
	/* bytes */
	uint64_t roll;
	unsigned char *tail; /* last k-1 bytes of the previous block */
	size_t tail_len;
	/* words: the last k words, a ring (ngram.c) */
	unsigned char **wbuf; /* a word's bytes, copied */
	const unsigned char **wptr; /* or in the block being fed */
	size_t *wlen, *wcap;
	unsigned char *wpre; /* word started before the limit */
	size_t whead, wcount; /* oldest word, number held */
	size_t wtail; /* newest word, when wcount > 0 */
	size_t chain; /* newest words of this block one space apart */
	size_t pending; /* words starting before limit, not yet heads */
	int in_word;
	int limit_hit;
	/* hck_tok_feed_part(): the file goes on past the part, and the
	 * bytes of it taken (less than the part when a record start past
	 * the limit needs bytes past it to be told, records.c). */
	int more;
	size_t used;
	/* words counted by ids (words.c), else ids is NULL */
	struct hck_ids *ids;
	struct hck_sink *idsink; /* owned, with sink, when ids is set */
	uint64_t *wid; /* ring: each word's id, HCK__NOID if none */
	unsigned id_bits; /* ids below 2^id_bits go in n-grams of ids */
	struct hck__wcache wc;
	uint64_t skipped; /* n-grams longer than HC_KEY_BYTES_MAX */
	uint64_t bad_bytes; /* DNA: hck_tok_skipped_bytes() */
};

/* records.c */
int hck__dna_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		  size_t limit);
/* @again: NULL when @buf ends the file; else where to ask again (set
 * when the bytes up to @n do not tell; @n is returned). */
size_t hck__dna_align(int fmt, const unsigned char *buf, size_t n, size_t s,
		      size_t *again);

/* ngram.c */
int hck__bytes_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		    size_t limit);
int hck__words_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		    size_t limit);
int hck__words_end(struct hck_tok *tk);
size_t hck__words_align(const unsigned char *buf, size_t n, size_t s);

/* plan.c: the first generation's slots for @keys distinct keys (0:
 * unknown), as hck_plan_table() sizes every table. */
uint64_t hck__plan_start(uint64_t keys);

/* words.c */
#define HCK__NOID UINT64_MAX
/* The id of the word @p of @len bytes (HCK__NOID if longer than
 * HC_KEY_BYTES_MAX): from the tokenizer's map, else the vocabulary. */
int hck__word_id(struct hck_tok *tk, const unsigned char *p, size_t len,
		 uint64_t *id);
void hck__wcache_free(struct hck__wcache *c);
/* The save's radix sorts use threads from this many entries on (a test
 * hook: the tests lower it). */
extern uint64_t hck__radix_split_min;
/* The most count bits a packed entry of the save takes (words.c,
 * walk_part(); a test hook: the tests lower it, and below 4 the save
 * packs none). */
extern unsigned hck__pack_count_bits;

/* Byte fragments of order k <= 8: big-endian, first byte highest. */
static inline uint64_t hck__pack(const unsigned char *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

#endif /* HCK_INTERNAL_H */
