/* SPDX-License-Identifier: MIT */
/*
 * hogcount_model.h - estimators on top of hogcount tables: reading n-gram
 * tables in place, deriving lower-order tables, an interpolated
 * Kneser-Ney order-k Markov model over bytes or words, and unseen-mass
 * estimates from the count-of-counts.  Built as libhogcount_model
 * (model/), on the key layer and the kernel; see docs/model.md.
 *
 * The tables are the ones `hogcount count --bytes|--words -k K` writes,
 * whatever their slot kind (dense, packed, u64 or bytes).  What their
 * keys mean (the record "hogcount-cli 1 tokens=bytes k=4 canonical=0",
 * the text form of a key) belongs to the key layer, hogcount_keys.h;
 * the functions here read it from there.  An n-gram's text form is what
 * `hogcount dump` prints before escaping: n raw bytes for byte tables,
 * n words joined by one space for word tables.
 *
 * Names: hcm_ and HCM_, a prefix of this library's own (the kernel's
 * is hc_, the key layer's hck_); hcm__ for what the files of model/
 * share (hcm_internal.h).  Same conventions as hogcount.h: int status
 * (HC_OK or HC_E*), results through out-parameters, never prints or
 * exits.
 */
#ifndef HOGCOUNT_MODEL_H
#define HOGCOUNT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "hogcount.h"
#include "hogcount_keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- n-gram tables ------------------------------------------------- */

/* Largest order the model and the reductions accept. */
#define HCM_NGRAM_ORDER_MAX 64u

/*
 * @tokens: the key layer's enum hck_tokens: HCK_BYTES (every byte is a
 *	token) or HCK_WORDS (maximal runs of non-space bytes).
 * @order: n, the number of tokens per key (1..HCM_NGRAM_ORDER_MAX).
 */
typedef struct hcm_ngram_kind {
	int tokens;
	unsigned order;
} hcm_ngram_kind;

/*
 * One n-gram as the walks hand it out.
 * @text, @len: the text form (see the top of this file).  Points into
 *	the mapping for byte keys, into a buffer of the walk for u64 keys;
 *	valid during the callback only.
 * @key: the integer key of byte n-grams of order <= 8, else 0.
 * @count: its count.
 */
typedef struct hcm_ngram {
	const unsigned char *text;
	size_t len;
	uint64_t key;
	uint64_t count;
} hcm_ngram;

/* Walk callback: return 0 to go on, anything else stops the walk and is
 * returned by the walk. */
typedef int (*hcm_ngram_fn)(void *arg, const hcm_ngram *g);

/*
 * hcm_ngram_kind_get - read the kind of @t from its CLI user record.
 * Returns HC_OK, HC_ECORRUPT (no or bad record), HC_EKIND (a DNA table,
 * or a table whose key kind does not match the record).
 * Any number of processes.
 */
HC_API int hcm_ngram_kind_get(const hc_table *t, hcm_ngram_kind *kind);

/*
 * hcm_ngram_kind_set - write the CLI user record for @kind into @t, so
 * that `hogcount dump` and hcm_ngram_kind_get() read it.
 * Returns HC_OK, HC_EINVAL, HC_ERDONLY.  Not concurrent: before sharing.
 */
HC_API int hcm_ngram_kind_set(hc_table *t, const hcm_ngram_kind *kind);

/*
 * hcm_ngram_key_kind - HC_KEY_U64 if n-grams of @kind are integer keys,
 * else HC_KEY_BYTES.  Integer keys may sit in HC_KEY_U64, HC_KEY_DENSE
 * or HC_KEY_PACKED tables (hck_plan_table() picks one): the functions
 * here accept all three.
 */
HC_API int hcm_ngram_key_kind(const hcm_ngram_kind *kind);

/*
 * hcm_ngram_get - the count of the n-gram whose text form is @text.
 * Words must be joined by exactly one space.  A text of the wrong
 * order gives HC_ERANGE.
 * Returns HC_OK, HC_ERANGE, HC_ECORRUPT, HC_EMISUSE.
 * Any number of processes, concurrent with updates.
 */
HC_API int hcm_ngram_get(const hc_table *t, const hcm_ngram_kind *kind,
			 const void *text, size_t len, uint64_t *count);

/*
 * hcm_ngram_walk - call @fn for every entry of @t whose text starts with
 * the context @ctx of @ctx_len bytes: the first tokens of the n-gram.
 * Bytes: the first @ctx_len bytes equal @ctx (for u64 keys this is the
 * key range [c << s, (c + 1) << s), s = 8 * (order - ctx_len)).  Words:
 * the text equals @ctx or starts with @ctx and a space.  @ctx_len 0
 * walks every entry.  The walk reads the live table (hc_iter): one pass
 * over the slots, in slot order, with the guarantees of design.md G2.
 * Returns HC_OK, what @fn returned if not 0, HC_ERANGE (context longer
 * than the order), HC_ECORRUPT, HC_ENOMEM.
 * Any number of processes, concurrent with updates.
 */
HC_API int hcm_ngram_walk(const hc_table *t, const hcm_ngram_kind *kind,
			  const void *ctx, size_t ctx_len, hcm_ngram_fn fn,
			  void *arg);

/* How hcm_ngram_reduce() maps an order-n entry to an order-(n-1) one. */
enum hcm_reduce {
	/* Drop the last token: the context of the n-gram. */
	HCM_REDUCE_DROP_LAST = 0x1,
	/* Drop the first token: the n-gram's suffix. */
	HCM_REDUCE_DROP_FIRST = 0x2,
	/* Add each entry's count (c(h.) = sum over w of c(h w)). */
	HCM_REDUCE_SUM = 0x10,
	/* Add 1 per entry: the number of distinct tokens dropped, as
	 * Kneser-Ney's N1+(h .) and N1+(. v) need. */
	HCM_REDUCE_DISTINCT = 0x20,
};

/*
 * hcm_ngram_reduce - add the order-(n-1) reduction of @src (order n >= 2)
 * into @dst, whose key kind must be hcm_ngram_key_kind() of order n-1.
 * @how: one DROP_ flag | one of SUM, DISTINCT.
 * A pure addition: reducing tables one after another, or reducing while
 * other processes add to @dst, gives the reduction of the union.
 * Returns HC_OK, HC_EINVAL, HC_EKIND, HC_EFULL, HC_ECORRUPT, HC_ERDONLY.
 * Reads @src concurrently with its updates (G2); adds as hc_add does.
 */
HC_API int hcm_ngram_reduce(const hc_table *src, const hcm_ngram_kind *kind,
			    int how, hc_table *dst);

/*
 * hcm_ngram_reduce_new - like hcm_ngram_reduce() into a new table in an
 * anonymous shared mapping, sized from @src, with the user record of
 * order n-1 written.  Save it with hc_table_save(); close it with
 * hc_table_close().
 * Returns as hcm_ngram_reduce(), plus HC_ENOMEM.
 */
HC_API int hcm_ngram_reduce_new(const hc_table *src, const hcm_ngram_kind *kind,
				int how, hc_table **out);

/* ---- unseen mass from the count-of-counts ---------------------------- */

/*
 * Estimates read off hc_histo().
 * @size: sizeof(hcm_unseen), set by the caller.
 * @distinct: S_obs, keys seen;  @total: N, the sum of counts.
 * @f1, @f2: keys seen exactly once and twice.
 * @good_turing: f1 / N, the probability that the next token drawn is a
 *	key never seen (Good-Turing); 0 when N is 0.
 * @chao1: S_obs + f1^2 / (2 f2), or S_obs + f1 (f1 - 1) / 2 when f2 is 0
 *	(bias-corrected form): a lower bound on the number of distinct keys
 *	the source holds.
 * @unseen: chao1 - distinct.
 */
typedef struct hcm_unseen {
	size_t size;
	uint64_t distinct;
	uint64_t total;
	uint64_t f1;
	uint64_t f2;
	double good_turing;
	double chao1;
	double unseen;
} hcm_unseen;

/*
 * hcm_unseen_estimate - Good-Turing and Chao1 for any table.
 * Returns HC_OK, HC_EINVAL (u->size too small), HC_ECORRUPT.
 * Any number of processes.
 */
HC_API int hcm_unseen_estimate(const hc_table *t, hcm_unseen *u);

/* ---- the order-k model ---------------------------------------------- */

typedef struct hcm_model hcm_model;

/*
 * @size: sizeof(hcm_model_options), set by hcm_model_options_init().
 * @discount: Kneser-Ney discount D in (0, 1] for every order; 0 (the
 *	default) estimates D_n = f1 / (f1 + 2 f2) per order from the
 *	count-of-counts of that order's counts.
 */
typedef struct hcm_model_options {
	size_t size;
	double discount;
} hcm_model_options;

HC_API void hcm_model_options_init(hcm_model_options *opt);

/*
 * hcm_model_build - an interpolated Kneser-Ney model of order k from the
 * order-k table @t (bytes or words).  The lower orders are derived from
 * @t by reduction: continuation counts N1+(. v) with DROP_FIRST |
 * DISTINCT, context sums and distinct followers with DROP_LAST.  @t is
 * read in place and must stay open (and should not change) while the
 * model is used.  The vocabulary is the 256 bytes, or the words of @t
 * plus one unknown word.
 * Returns HC_OK, HC_EINVAL, HC_EKIND, HC_ECORRUPT, HC_ENOMEM.
 * Not concurrent with updates of @t.
 */
HC_API int hcm_model_build(hcm_model **out, const hc_table *t,
			   const hcm_model_options *opt);

/* hcm_model_free - free the model and its derived tables.  NULL: no-op. */
HC_API void hcm_model_free(hcm_model *m);

/*
 * Figures of a built model.  @size: set by the caller.
 * @discount[n], @grams[n]: D_n and the number of distinct order-n
 *	entries (n = 1..order; index 0 unused).
 * @vocab: |V| (words: including the unknown word).
 */
typedef struct hcm_model_info {
	size_t size;
	hcm_ngram_kind kind;
	uint64_t vocab;
	uint64_t tokens; /* sum of the order-k counts */
	double discount[HCM_NGRAM_ORDER_MAX + 1];
	uint64_t grams[HCM_NGRAM_ORDER_MAX + 1];
} hcm_model_info;

HC_API int hcm_model_info_get(const hcm_model *m, hcm_model_info *info);

/*
 * hcm_model_prob - P(next | ctx).  @ctx is text (bytes, or words split on
 * white space); only its last k-1 tokens are used.  @next is one token:
 * a byte, or a word; a word not in the vocabulary (or @next_len 0)
 * is the unknown word.  Sums to 1 over the vocabulary for every context.
 * Returns HC_OK, HC_EINVAL (bytes: @next_len is not 1), HC_ENOMEM,
 * HC_ECORRUPT.  Any number of threads on one model.
 */
HC_API int hcm_model_prob(const hcm_model *m, const void *ctx, size_t ctx_len,
			  const void *next, size_t next_len, double *p);

/* Vocabulary walk: one token per call (@len 0: the unknown word). */
typedef int (*hcm_model_token_fn)(void *arg, const void *tok, size_t len);

/*
 * hcm_model_vocab_walk - call @fn for every token of the vocabulary.
 * Returns HC_OK, what @fn returned if not 0, HC_ECORRUPT, HC_ENOMEM.
 */
HC_API int hcm_model_vocab_walk(const hcm_model *m, hcm_model_token_fn fn,
				void *arg);

/*
 * A running score of held-out text.  @size: set by the caller, then
 * zero the rest (or use hcm_score_init()).
 * @tokens: tokens scored; @oov: of them, unknown words;
 * @log2_sum: sum of log2 P(token | its k-1 predecessors).
 */
typedef struct hcm_score {
	size_t size;
	uint64_t tokens;
	uint64_t oov;
	double log2_sum;
} hcm_score;

HC_API void hcm_score_init(hcm_score *s);
/* Cross-entropy in bits per token, -log2_sum / tokens (0 if none). */
HC_API double hcm_score_cross_entropy(const hcm_score *s);
/* Perplexity, 2^cross-entropy. */
HC_API double hcm_score_perplexity(const hcm_score *s);

/*
 * hcm_model_score - add the score of one document @text to @acc: every
 * token that has k-1 tokens before it in @text is scored with those
 * as its context, as `hogcount count` counted it (n-grams never span
 * two documents).
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM, HC_ECORRUPT.
 * Any number of threads on one model.
 */
HC_API int hcm_model_score(const hcm_model *m, const void *text, size_t len,
			   hcm_score *acc);

/*
 * hcm_model_sample - draw @ntokens tokens from the model and hand each to
 * @fn.  The first context is @prime (its last k-1 tokens), or, when
 * @prime_len is 0, the first k-1 tokens of an order-k n-gram drawn by
 * its count, which are handed to @fn first.  @rng: the state of a
 * splitmix64 generator; the same state gives the same text.
 * Returns HC_OK, what @fn returned if not 0, HC_ENOMEM, HC_ECORRUPT.
 * Not concurrent on one model (builds a sorted index on first use).
 */
HC_API int hcm_model_sample(hcm_model *m, uint64_t *rng, const void *prime,
			    size_t prime_len, size_t ntokens,
			    hcm_model_token_fn fn, void *arg);

/* ---- the k-mer spectrum: error threshold, coverage, genome size ----- */

/*
 * What hcm_genome_estimate() reads off a k-mer count-of-counts
 * (docs/model.md, "Genome size").  @size: sizeof(hcm_genome), set by the
 * caller.
 * @valley: the error/solid threshold, the count at the first minimum
 *	of the (smoothed) spectrum; keys counted below it are errors.
 * @peak: the count with the most keys at or above @valley (the mode of
 *	the coverage peak; with @diploid, of the homozygous peak).
 * @coverage: the k-mer coverage, the peak refined to a real number:
 *	the vertex of a parabola fitted to log(hist) around @peak, plus
 *	1/2 (the mode of a Poisson(l) lies near l - 1/2).
 * @solid_distinct, @solid_total: keys counted at least @valley times
 *	and the sum of their counts.
 * @genome_size: @solid_total / @coverage, in k-mers (= bases, less
 *	k - 1 per sequence end).
 * @error_distinct: the fraction of distinct keys below @valley.
 * @error_total: the fraction of all counted k-mers (occurrences) that
 *	fall on keys below @valley.
 * @diploid: 1 when a second peak at half the coverage (or the peak
 *	found first has one at twice its count) holds at least 5% of the
 *	main peak's height: a heterozygous diploid sample.
 * @half_peak: the count of the half-coverage peak, 0 without one.
 * @half_ratio: its height over the homozygous peak's height.
 */
typedef struct hcm_genome {
	size_t size;
	uint64_t valley;
	uint64_t peak;
	double coverage;
	uint64_t solid_distinct;
	uint64_t solid_total;
	uint64_t distinct;
	uint64_t total;
	double genome_size;
	double error_distinct;
	double error_total;
	int diploid;
	uint64_t half_peak;
	double half_ratio;
} hcm_genome;

/*
 * hcm_genome_estimate - error threshold, coverage peak, genome size and
 * a heterozygosity flag from a k-mer count-of-counts.
 * @hist, @len: as hc_histo() fills it: hist[c] keys of count c for
 *	1 <= c < len - 1, hist[len - 1] the keys counted len - 1 times or
 *	more (never taken for a peak).  len >= 8.
 * @total: the sum of all counts (hc_stats.total), or 0 to take it from
 *	@hist, counting the last bin as len - 1 each.
 * Pure: reads @hist only.
 * Returns HC_OK, HC_EINVAL (NULL, @len < 8, g->size too small), HC_ENOMEM,
 * HC_ERANGE (no valley and peak: too little coverage, or not a k-mer
 * spectrum); on HC_ERANGE the counts in @g are filled, the estimates 0.
 */
HC_API int hcm_genome_estimate(const uint64_t *hist, size_t len, uint64_t total,
			       hcm_genome *g);

/* ---- Zipf and Heaps fits from the count-of-counts -------------------- */

/*
 * A least-squares line log10(y) = intercept + slope * log10(x).
 * @size: sizeof(hcm_fit), set by the caller.
 * @points: how many points the fit used; @r2: its coefficient of
 *	determination (1 for a perfect line, 0 when undefined).
 */
typedef struct hcm_fit {
	size_t size;
	double slope;
	double intercept;
	double r2;
	uint64_t points;
} hcm_fit;

/*
 * hcm_zipf_fit - Zipf's law f(r) = C r^-s on the rank-frequency curve
 * implied by @hist: the keys of count c take the ranks after every key
 * counted more; each distinct count gives one point (the geometric
 * middle of its ranks, c), so the fit sees the curve log-binned and
 * the long tail of count-1 keys weighs as one point.  The exponent s
 * is -fit->slope.  @hist, @len: as hc_histo(); the last bin is left
 * out.  Pure.
 * Returns HC_OK, HC_EINVAL, HC_ERANGE (fewer than 2 distinct counts).
 */
HC_API int hcm_zipf_fit(const uint64_t *hist, size_t len, hcm_fit *fit);

/*
 * hcm_rank_at - the count of rank @rank (1-based) in the rank-frequency
 * curve of @hist: what the plot draws.  0 past the last key.
 */
HC_API uint64_t hcm_rank_at(const uint64_t *hist, size_t len, uint64_t rank);

/*
 * hcm_heaps_vocab - the expected vocabulary (distinct keys) of a random
 * sample of a fraction @p of the counted tokens, drawn without regard to
 * order: sum over c of hist[c] (1 - (1 - p)^c) (rarefaction).  The last
 * bin counts as len - 1.  Pure.
 */
HC_API double hcm_heaps_vocab(const uint64_t *hist, size_t len, double p);

/*
 * hcm_heaps_fit - Heaps' law V(n) = K n^beta, fitted on @npoints
 * fractions p = 2^-(npoints-1) .. 1/2, 1 of the @total tokens: n = p
 * total, V = hcm_heaps_vocab(p).  @n and @v (may be NULL) receive the
 * points.  beta is fit->slope, K is 10^fit->intercept.  Pure.
 * Returns HC_OK, HC_EINVAL (@npoints < 2 or > 64), HC_ERANGE (no keys).
 */
HC_API int hcm_heaps_fit(const uint64_t *hist, size_t len, uint64_t total,
			 unsigned npoints, double *n, double *v, hcm_fit *fit);

/*
 * hcm_heaps_fit_points - Heaps' law V(n) = K n^beta fitted on @npoints
 * measured points: @v[i] distinct keys in the first @n[i] tokens of the
 * input (`hogcount model heaps` measures them on real prefixes, where
 * hcm_heaps_fit() rarefies the final table).  Points with n or v 0 are
 * left out.  beta is fit->slope, K is 10^fit->intercept.  Pure.
 * Returns HC_OK, HC_EINVAL, HC_ERANGE (fewer than 2 distinct n).
 */
HC_API int hcm_heaps_fit_points(const uint64_t *n, const uint64_t *v,
				size_t npoints, hcm_fit *fit);

#ifdef __cplusplus
}
#endif

#endif /* HOGCOUNT_MODEL_H */
