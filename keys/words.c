/* SPDX-License-Identifier: MIT */
/*
 * words.c - word n-grams counted as integers of word ids
 * (hogcount_keys.h, "word ids"; docs/design.md, "Word ids"): the shared
 * vocabulary and its id counter, each tokenizer's private map of the
 * words it has met, and the save that turns the n-grams of ids back
 * into their texts, in the order of their bytes, without building them
 * as keys.
 *
 * The text order from integers: two n-grams compare as their first
 * differing word.  Inside the text a word is followed by a space, so a
 * word that is a prefix of the other sorts first only if the other's
 * next byte is above ' ' (words hold no white space, but may hold
 * bytes below it); the last word is followed by nothing, so there the
 * shorter sorts first.  Ranking the words by each of the two orders
 * (the first k - 1 words by the one inside a text, the last by the one
 * at its end) makes the n-gram of ranks r_1 .. r_k, packed as the ids
 * were, sort as its text.
 */
#define _GNU_SOURCE /* qsort_r, sched_getaffinity */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#define XXH_INLINE_ALL /* the hash of a word: a few instructions inline */
#include <xxhash.h>

#include "hck_internal.h"

struct hck_ids {
	hck_meta m;
	hc_table *spill; /* the caller's */
	hc_table *vocab; /* words; count = id + 1 */
	hc_table *grams; /* n-grams of ids */
	_Atomic uint64_t *next; /* the next id, in a shared page */
	unsigned bits;
};

/* Slots the vocabulary starts with: 2^17, 2 MiB of slots. */
#define VOCAB_START (UINT64_C(1) << 17)

int hck_ids_fits(const hck_meta *m)
{
	return m && !hck_meta_check(m) && m->tokens == HCK_WORDS && m->k >= 2 &&
	       m->k <= HCK_IDS_K_MAX;
}

int hck_ids_create(hck_ids **out, hc_table *spill, uint64_t keys)
{
	struct hck_ids *x;
	hc_options so, o;
	int rc;

	if (!out || !spill)
		return HC_EINVAL;
	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return HC_ENOMEM;
	hc_options_init(&so);
	rc = hck_meta_load(spill, &x->m);
	if (!rc)
		rc = hc_table_options(spill, &so);
	if (!rc && (!hck_ids_fits(&x->m) || so.key_kind != HC_KEY_BYTES))
		rc = HC_EKIND;
	if (!rc) {
		/* Writable (HC_ERDONLY): as each tokenizer's spill sink will
		 * ask (its cache, hck_sink_create()), but now, once. */
		hc_cache *c = NULL;

		rc = hc_cache_create(&c, spill, 1, 1);
		hc_cache_destroy(c);
	}
	if (rc)
		goto fail;
	x->spill = spill;
	/* Order 3: ids of 20 bits, 60-bit keys in narrow slots (8 bytes,
	 * a count field of 12 bits or more, the rest in its side area),
	 * half the memory of u64 slots for the order whose n-grams repeat
	 * least.  Orders 2 and 4: 32 and 16 bits in u64 slots (bigrams
	 * repeat, and narrow slots would leave 4-grams 15 bits). */
	x->bits = x->m.k == 3 ? 20 : 64 / x->m.k;
	x->next = mmap(NULL, sizeof(*x->next), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x->next == MAP_FAILED) {
		x->next = NULL;
		rc = HC_ENOMEM;
		goto fail;
	}
	atomic_init(x->next, 0);
	/* The vocabulary: it grows, from VOCAB_START slots (a few MiB),
	 * not from the default's thousand: any text of some size has tens
	 * of thousands of words, and each doubling moves them all. */
	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = VOCAB_START;
	o.grow = HC_GROW_ON;
	rc = hc_table_create(&x->vocab, &o);
	if (!rc)
		rc = hc_table_options(x->vocab, &o);
	/* Where tables cannot grow (no 16-byte CAS, design.md M8) the
	 * vocabulary would be fixed at a size nothing tells: HC_EKIND, and
	 * the caller counts the texts. */
	if (!rc && o.grow == HC_GROW_OFF)
		rc = HC_EKIND;
	if (rc)
		goto fail;
	/* The n-grams, where the text keys would have been. */
	hc_options_init(&o);
	o.key_kind = x->m.k == 3 ? HC_KEY_NARROW : HC_KEY_U64;
	if (o.key_kind == HC_KEY_NARROW)
		o.key_bits = x->bits * x->m.k;
	o.mode = so.mode;
	o.capacity = keys ? hck__plan_start(keys) : so.capacity;
	o.grow = HC_GROW_ON;
	o.max_bits = so.max_bits;
	rc = hc_table_create(&x->grams, &o);
	if (rc)
		goto fail;
	*out = x;
	return HC_OK;
fail:
	hck_ids_destroy(x);
	return rc;
}

void hck_ids_destroy(hck_ids *x)
{
	if (!x)
		return;
	hc_table_close(x->grams);
	hc_table_close(x->vocab);
	if (x->next)
		munmap((void *)x->next, sizeof(*x->next));
	free(x);
}

int hck_ids_info_get(const hck_ids *x, hck_ids_info *info)
{
	hc_stats st = { .size = sizeof(st) };
	int rc;

	if (!x || !info || info->size < sizeof(*info))
		return HC_EINVAL;
	info->bits = x->bits;
	/* ORDER: relaxed. A tally once the workers are done; it orders
	 * nothing. */
	info->ids = atomic_load_explicit(x->next, memory_order_relaxed);
	st.distinct = 0;
	rc = x->grams ? hc_table_stats(x->grams, &st) : HC_OK;
	info->grams = st.distinct;
	if (!rc)
		rc = hc_table_stats(x->spill, &st);
	info->spilled = st.distinct;
	return rc;
}

/* ---- a tokenizer's words -------------------------------------------- */

int hck_ids_tok_create(hck_tok **out, hck_ids *x)
{
	struct hck_tok *tk = NULL;
	hck_sink *s = NULL, *is = NULL;
	int rc;

	if (!out || !x)
		return HC_EINVAL;
	*out = NULL;
	rc = hck_sink_create(&s, x->spill, &x->m, HCK_SINK_COMBINE);
	if (!rc)
		rc = hck__sink_new(&is, x->grams, 0, HCK_SINK_COMBINE);
	if (!rc)
		rc = hck_tok_create(&tk, &x->m, s);
	if (!rc && !(tk->wid = calloc(x->m.k, sizeof(*tk->wid))))
		rc = HC_ENOMEM;
	if (rc) {
		if (tk)
			tk->ids = NULL; /* the sinks are freed here */
		hck_tok_destroy(tk);
		hck_sink_destroy(s);
		hck_sink_destroy(is);
		return rc;
	}
	tk->ids = x;
	tk->idsink = is;
	tk->id_bits = x->bits;
	*out = tk;
	return HC_OK;
}

void hck__wcache_free(struct hck__wcache *c)
{
	free(c->e);
	free(c->pool);
	memset(c, 0, sizeof(*c));
}

/* The map holds at most this many words (half its slots); past it, a
 * word it does not hold is looked up in the vocabulary each time. */
#define WCACHE_MAX (UINT64_C(1) << 20)
/* Words of up to this many bytes are held in their entries. */
#define SHORT_WORD 8u

/* A word of 1..8 bytes as one integer: with its length, only that word
 * gives it (the loads overlap where len < 8, on the same bytes). */
static inline uint64_t short_word(const unsigned char *p, size_t len)
{
	uint32_t lo, hi;

	if (len < 4)
		return (uint64_t)p[0] | (uint64_t)p[len >> 1] << 8 |
		       (uint64_t)p[len - 1] << 16;
	memcpy(&lo, p, 4);
	memcpy(&hi, p + len - 4, 4);
	return (uint64_t)lo | (uint64_t)hi << 32;
}

/* The hash of a short word, from short_word()'s value: its low bits
 * pick the home (XXH3 of 8 bytes, inline: no loop over the word). */
static inline uint64_t short_hash(uint64_t v, size_t len)
{
	return XXH3_64bits_withSeed(&v, sizeof(v), len);
}

/* The hash of @e's word, whose home it picks. */
static uint64_t went_hash(const struct hck__wcache *c,
			  const struct hck__went *e)
{
	if (e->len <= SHORT_WORD)
		return short_hash(e->v, e->len);
	return XXH3_64bits(c->pool + (uint32_t)e->v, e->len);
}

static int wcache_grow(struct hck__wcache *c)
{
	size_t cap = c->e ? 2 * (c->mask + 1) : 4096;
	struct hck__went *e = calloc(cap, sizeof(*e));

	if (!e)
		return HC_ENOMEM;
	for (size_t i = 0; c->e && i <= c->mask; i++) {
		size_t j;

		if (!c->e[i].len)
			continue;
		j = (size_t)went_hash(c, &c->e[i]) & (cap - 1);
		while (e[j].len)
			j = (j + 1) & (cap - 1);
		e[j] = c->e[i];
	}
	free(c->e);
	c->e = e;
	c->mask = cap - 1;
	return HC_OK;
}

/* Remember that the word @p of @len bytes, hash @h (short_hash() of
 * its short_word() @v for a short one), has id @id (best effort: a map
 * that is full, or out of memory, forgets it). */
static void wcache_put(struct hck__wcache *c, uint64_t h, uint64_t v,
		       const void *p, size_t len, uint64_t id)
{
	size_t j;

	if (c->used >= WCACHE_MAX || id > UINT32_MAX ||
	    (len > SHORT_WORD && c->pool_used + len > UINT32_MAX))
		return;
	if ((!c->e || 2 * (c->used + 1) > c->mask + 1) && wcache_grow(c))
		return;
	if (len > SHORT_WORD) {
		if (c->pool_used + len > c->pool_cap) {
			size_t cap = 2 * c->pool_cap + len + 65536;
			unsigned char *q = realloc(c->pool, cap);

			if (!q)
				return;
			c->pool = q;
			c->pool_cap = cap;
		}
		memcpy(c->pool + c->pool_used, p, len);
		v = (h >> 32) << 32 | c->pool_used;
		c->pool_used += len;
	}
	for (j = (size_t)h & c->mask; c->e[j].len; j = (j + 1) & c->mask)
		;
	c->e[j].v = v;
	c->e[j].id = (uint32_t)id;
	c->e[j].len = (uint32_t)len;
	c->used++;
}

/* memcmp() == 0 for the few bytes of a word, without the call. */
static inline int same_bytes(const unsigned char *a, const unsigned char *b,
			     size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The id of @p (@len bytes, hash @h; @v its entry's value if short) in
 * the map, or HCK__NOID. */
static inline uint64_t wcache_get(const struct hck__wcache *c, uint64_t h,
				  uint64_t v, const unsigned char *p,
				  size_t len)
{
	for (size_t j = (size_t)h & c->mask; c->e[j].len;
	     j = (j + 1) & c->mask) {
		const struct hck__went *e = &c->e[j];

		if (e->len != len)
			continue;
		if (len <= SHORT_WORD
			    ? e->v == v
			    : e->v >> 32 == h >> 32 &&
				      same_bytes(c->pool + (uint32_t)e->v, p,
						 len))
			return e->id;
	}
	return HCK__NOID;
}

int hck__word_id(struct hck_tok *tk, const unsigned char *p, size_t len,
		 uint64_t *id)
{
	struct hck__wcache *c = &tk->wc;
	struct hck_ids *x = tk->ids;
	uint64_t h, v = 0, got;
	int rc;

	if (len == 0 || len > HC_KEY_BYTES_MAX) {
		/* Too long to key (a word has a byte: 0 is not one). */
		*id = HCK__NOID;
		return 0;
	}
	if (len <= SHORT_WORD) {
		v = short_word(p, len);
		h = short_hash(v, len);
	} else {
		h = XXH3_64bits(p, len);
	}
	if (c->e && (*id = wcache_get(c, h, v, p, len)) != HCK__NOID)
		return 0;
	/* Not met here yet: the vocabulary has it, or it gets the next id.
	 * A loser of a race for the same word leaves its id unused. */
	rc = hc_get_bytes(x->vocab, p, len, &got);
	if (!rc && got == 0) {
		/* ORDER: relaxed. Only the values matter: each fetch-add
		 * returns a different one.  The id is the word's count,
		 * which hc_put_bytes() sets once; nothing else is
		 * published with it (design.md I1, I2). */
		uint64_t mine = atomic_fetch_add_explicit(x->next, 1,
							  memory_order_relaxed);

		rc = hc_put_bytes(x->vocab, p, len, mine + 1, &got);
	}
	if (rc)
		return rc;
	*id = got - 1;
	wcache_put(c, h, v, p, len, *id);
	return 0;
}

/* ---- the save: n-grams of ids as sorted texts ------------------------ */

struct word {
	const unsigned char *p;
	uint64_t len;
};

struct gram {
	uint64_t key, count;
};

/* The text of the n-gram a reader of the save's stream took last. */
struct gcursor {
	_Alignas(64) unsigned char *buf; /* a cache line of its own */
	uint64_t prev; /* its key */
	int have; /* buf holds it */
	size_t at[HCK_IDS_K_MAX + 1]; /* where its word j's space (j > 0)
				       * or text (j = 0) starts; at[k]: end */
};

struct saver {
	unsigned k, rb; /* order, bits of a rank */
	unsigned ksh; /* bits below the ranks in a key: its count's */
	uint64_t cmax; /* a count field of ksh bits that says "in big" */
	const struct gram *big; /* the large counts by key, nbig of them */
	uint64_t nbig;
	const struct word *w; /* by id */
	const uint32_t *by_in, *by_end; /* id of each rank */
	const uint64_t *keys; /* sorted n-grams of ranks, << ksh */
	struct gcursor cur[HC_KEY_STREAM_PARTS]; /* one a reader */
};

/* Words as they compare inside a text, before a space (@in), or at its
 * end, where nothing follows them. */
static int cmp_words(const struct word *a, const struct word *b, int in)
{
	size_t m = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, m), sign = a->len < b->len ? 1 : -1;
	const struct word *longer = a->len < b->len ? b : a;

	if (c || a->len == b->len)
		return c;
	/* One is a prefix of the other: the shorter first, but inside a
	 * text only if the longer's next byte is above its ' '. */
	return !in || longer->p[m] > ' ' ? -sign : sign;
}

/*
 * A word to rank, as a struct gram: its key the first 8 bytes of the
 * word, followed by a space for the order inside a text, zero-padded,
 * big-endian; its count the word's id.  Keys compare as the words do
 * wherever they differ (a shorter word's padding or space stands where
 * the longer has a byte), so a radix sort of the keys ranks the words
 * but for runs of equal keys, which a sort that reads the words orders.
 */
struct wsort {
	const struct word *w;
	int in; /* the order inside a text */
};

static int wtie_cmp(const void *a, const void *b, void *arg)
{
	const struct gram *x = a, *y = b;
	const struct wsort *o = arg;

	return cmp_words(&o->w[x->count], &o->w[y->count], o->in);
}

/* Bytes @off.. of word @x as a key (see struct wsort). */
static uint64_t word_key(const struct word *x, size_t off, int in)
{
	uint64_t key = 0;

	for (size_t b = off; b < off + 8; b++)
		key = key << 8 | (b < x->len	      ? x->p[b]
				  : in && b == x->len ? ' '
						      : 0);
	return key;
}

static int key_cmp(const void *a, const void *b)
{
	const struct gram *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* Deeper than this, runs of equal keys go to the sort that reads the
 * words (a bound on the recursion below, for words that share long
 * prefixes). */
#define WORD_DEPTH_MAX 16u

/*
 * Order @a[0..n), words whose keys of bytes [8 (d - 1), 8 d) are equal:
 * by their next 8 bytes, then each run of equal keys again, one depth
 * further.  Where a word of the run ends before 8 d (only a NUL can
 * stand where its end's padding does, at a text's end), or deeper than
 * WORD_DEPTH_MAX, by the words themselves.
 */
static void rank_ties(struct gram *a, uint64_t n, unsigned d,
		      const struct wsort *o)
{
	for (uint64_t i = 0; i < n; i++)
		if (d > WORD_DEPTH_MAX || o->w[a[i].count].len < 8 * d) {
			qsort_r(a, n, sizeof(*a), wtie_cmp, (void *)o);
			return;
		}
	/* Each word holds its first 8 d bytes, the same in all. */
	for (uint64_t i = 0; i < n; i++)
		a[i].key = word_key(&o->w[a[i].count], 8 * d, o->in);
	qsort(a, n, sizeof(*a), key_cmp);
	for (uint64_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			rank_ties(a + i, j - i, d + 1, o);
	}
}

static int radix_sort(void *a, void *tmp, uint64_t n, unsigned stride,
		      unsigned lo, unsigned bits);

/* Rank the words @ids[0..n) of @w in one order (@in: inside a text)
 * through @a and @tmp (n entries each): the ids by rank into @by, the
 * rank of each id into @rank[2 id + !@in] (the two ranks of a word side
 * by side: one cache line for both). */
static int rank_words(const struct word *w, const uint32_t *ids, uint64_t n,
		      int in, struct gram *a, struct gram *tmp, uint32_t *by,
		      uint32_t *rank)
{
	struct wsort o = { w, in };
	int rc;

	for (uint64_t i = 0; i < n; i++) {
		a[i].key = word_key(&w[ids[i]], 0, in);
		a[i].count = ids[i];
	}
	rc = radix_sort(a, tmp, n, 2, 0, 64);
	if (rc)
		return rc;
	for (uint64_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			rank_ties(a + i, j - i, 1, &o);
	}
	for (uint64_t r = 0; r < n; r++) {
		by[r] = (uint32_t)a[r].count;
		rank[2 * a[r].count + !in] = (uint32_t)r;
	}
	return HC_OK;
}

/* rank_words() of one order, in a thread of its own: the two orders
 * write their own arrays, and their own halves of the ranks. */
struct rank_job {
	const struct word *w;
	const uint32_t *ids;
	uint64_t n;
	int in;
	struct gram *a, *tmp;
	uint32_t *by, *rank;
	int rc;
};

static void *rank_part(void *arg)
{
	struct rank_job *j = arg;

	j->rc = rank_words(j->w, j->ids, j->n, j->in, j->a, j->tmp, j->by,
			   j->rank);
	return NULL;
}

/* The vocabulary's words of ids below @nid into @w, by id; the ids held
 * into @ids (*@n of them). */
static int words_by_id(const hck_ids *x, struct word *w, uint64_t nid,
		       uint32_t *ids, uint64_t *n)
{
	hc_iter *it = NULL;
	hc_entry e;
	int rc = hc_iter_create(x->vocab, &it);

	*n = 0;
	if (rc)
		return rc;
	while (!rc && (rc = hc_iter_next(it, &e)) == 1) {
		uint64_t id = e.count - 1;

		rc = 0;
		if (e.count == 0 || id >= nid)
			continue; /* no id yet (a kill), or not in n-grams */
		w[id].p = e.bytes;
		w[id].len = e.len;
		ids[(*n)++] = (uint32_t)id;
	}
	hc_iter_destroy(it);
	return rc < 0 ? rc : HC_OK;
}

/*
 * LSD radix sort of @a[0..n) by key, over its low @bits bits, in passes
 * of at most 12 bits, through @tmp.  Large arrays in slices, one a
 * thread (save_threads()): each counts its
 * slice's digits, then moves its slice to the places the counts of all
 * slices before it leave; slice by slice, in order, so the sort stays
 * stable and the result is the one thread's.
 */
#define RADIX_R (1u << 12)
#define SAVE_THREADS 8u
uint64_t hck__radix_split_min = UINT64_C(1) << 20;

struct radix_job {
	_Alignas(64) uint64_t *a, *tmp; /* a cache line of its own */
	unsigned stride; /* words an entry: 2 (struct gram) or 1 */
	uint64_t lo, hi, mask;
	unsigned sh;
	int moving;
	uint64_t cnt[RADIX_R];
};

static void *radix_part(void *arg)
{
	struct radix_job *j = arg;
	const unsigned sh = j->sh;
	const uint64_t mask = j->mask;

	if (!j->moving) {
		memset(j->cnt, 0, sizeof(j->cnt));
		for (uint64_t i = j->lo; i < j->hi; i++)
			j->cnt[(j->a[i * j->stride] >> sh) & mask]++;
	} else if (j->stride == 1) {
		for (uint64_t i = j->lo; i < j->hi; i++)
			j->tmp[j->cnt[(j->a[i] >> sh) & mask]++] = j->a[i];
	} else {
		struct gram *a = (struct gram *)j->a,
			    *tmp = (struct gram *)j->tmp;

		for (uint64_t i = j->lo; i < j->hi; i++)
			tmp[j->cnt[(a[i].key >> sh) & mask]++] = a[i];
	}
	return NULL;
}

/* Run @fn on @n jobs of @size bytes at @jobs: the first here, the others
 * in threads (or here too, where one cannot be started), which start
 * with every signal blocked, as the kernel's save threads do: the
 * application's signals go to its own threads. */
static void run_jobs(void *(*fn)(void *), void *jobs, size_t size, unsigned n)
{
	pthread_t tid[SAVE_THREADS];
	int started[SAVE_THREADS] = { 0 };
	unsigned char *j = jobs;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned t = 1; t < n; t++)
		started[t] =
			pthread_create(&tid[t], NULL, fn, j + t * size) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fn(j);
	for (unsigned t = 1; t < n; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(j + t * size);
	}
}

/* Threads for a step of the save over @n entries: one a CPU this
 * process may run on (at most SAVE_THREADS), or 1 below
 * hck__radix_split_min entries. */
static unsigned save_threads(uint64_t n)
{
	cpu_set_t set;
	int cpus = 1;

	if (n < hck__radix_split_min)
		return 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	return cpus < 1			  ? 1
	       : cpus > (int)SAVE_THREADS ? SAVE_THREADS
					  : (unsigned)cpus;
}

static int radix_sort(void *a, void *tmp, uint64_t n, unsigned stride,
		      unsigned lo, unsigned bits)
{
	unsigned passes = (bits + 11) / 12,
		 d = passes ? (bits + passes - 1) / passes : 0,
		 nt = save_threads(n);
	struct radix_job *job;

	job = aligned_alloc(64, nt * sizeof(*job));
	if (!job)
		return HC_ENOMEM;
	for (unsigned p = 0, sh = lo; p < passes; p++, sh += d) {
		uint64_t sum = 0;
		void *t;

		for (unsigned i = 0; i < nt; i++) {
			job[i].a = a;
			job[i].tmp = tmp;
			job[i].stride = stride;
			job[i].lo = n / nt * i;
			job[i].hi = i + 1 == nt ? n : n / nt * (i + 1);
			job[i].mask = (UINT64_C(1) << d) - 1;
			job[i].sh = sh;
			job[i].moving = 0;
		}
		run_jobs(radix_part, job, sizeof(*job), nt);
		/* Digit v of slice i goes after every smaller digit, and
		 * after digit v of the slices before i. */
		for (uint64_t v = 0; v <= job[0].mask; v++)
			for (unsigned i = 0; i < nt; i++) {
				uint64_t c = job[i].cnt[v];

				job[i].cnt[v] = sum;
				sum += c;
			}
		for (unsigned i = 0; i < nt; i++)
			job[i].moving = 1;
		run_jobs(radix_part, job, sizeof(*job), nt);
		t = a;
		a = tmp;
		tmp = t;
	}
	if (passes % 2) /* back into the caller's */
		memcpy(tmp, a, n * stride * sizeof(uint64_t));
	free(job);
	return HC_OK;
}

/* The text of n-gram @i into @c: only the words from the first one that
 * differs from those of @c's last n-gram are written again. */
static int gram_text_in(const struct saver *s, struct gcursor *c, uint64_t i,
			const void **key, size_t *len)
{
	const unsigned k = s->k, rb = s->rb;
	const uint64_t mask = (UINT64_C(1) << rb) - 1, v = s->keys[i] >> s->ksh;
	unsigned j = 0;
	unsigned char *o;

	if (c->have && v != c->prev)
		j = k - 1 - (63u - (unsigned)__builtin_clzll(v ^ c->prev)) / rb;
	for (o = c->buf + c->at[j]; j < k; j++) {
		uint64_t r = v >> (rb * (k - 1 - j)) & mask;
		const struct word *w =
			&s->w[j + 1 < k ? s->by_in[r] : s->by_end[r]];

		c->at[j] = (size_t)(o - c->buf);
		if (j)
			*o++ = ' ';
		memcpy(o, w->p, w->len);
		o += w->len;
	}
	c->at[k] = (size_t)(o - c->buf);
	c->prev = v;
	c->have = 1;
	*key = c->buf;
	*len = c->at[k];
	return HC_OK;
}

/* hc_key_stream.key and .key_part: the save's readers, each with its
 * own cursor. */
static int gram_text(void *arg, uint64_t i, const void **key, size_t *len)
{
	struct saver *s = arg;

	return gram_text_in(s, &s->cur[0], i, key, len);
}

static int gram_part(void *arg, unsigned part, uint64_t i, const void **key,
		     size_t *len)
{
	struct saver *s = arg;

	if (part >= HC_KEY_STREAM_PARTS)
		return HC_EINVAL;
	return gram_text_in(s, &s->cur[part], i, key, len);
}

/* hc_key_stream.count of packed keys: the key's field, or its entry in
 * the large counts. */
static uint64_t gram_count(void *arg, uint64_t i)
{
	const struct saver *s = arg;
	uint64_t c = s->keys[i] & s->cmax, v = s->keys[i] >> s->ksh, lo = 0,
		 hi = s->nbig;

	if (c != s->cmax)
		return c;
	while (lo < hi) { /* found: hck_ids_save() checked them all */
		uint64_t mid = lo + (hi - lo) / 2;

		if (s->big[mid].key < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nbig ? s->big[lo].count : 0;
}

static void saver_free(struct saver *s)
{
	if (!s)
		return;
	for (unsigned p = 0; p < HC_KEY_STREAM_PARTS; p++)
		free(s->cur[p].buf);
	free(s);
}

/* A saver with its cursors' buffers, or NULL. */
static struct saver *saver_new(void)
{
	struct saver *s = aligned_alloc(64, sizeof(*s));

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	for (unsigned p = 0; p < HC_KEY_STREAM_PARTS; p++) {
		s->cur[p].buf = malloc((size_t)HC_KEY_BYTES_MAX + 1);
		if (!s->cur[p].buf) {
			saver_free(s);
			return NULL;
		}
	}
	return s;
}

/* A smaller block for @p, or @p itself. */
static void *shrink(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	return q ? q : p;
}

/*
 * The walk of the n-gram table, each n-gram's ids replaced by their
 * ranks: one part of the walk a thread (hc_iter_create_parts()), each
 * taking room in @g by chunks of WALK_CHUNK from a shared cursor, in
 * any order (the sort comes next).  Each leaves its last chunk part
 * full, a hole the caller fills from the end.
 *
 * An entry is the n-gram of ranks (rb k bits) and its count: packed in
 * one word where the bits left, cb, are PACK_COUNT_MIN or more, the
 * ranks high and the count low, half the memory of a struct gram; a
 * count of cmax = 2^cb - 1 or more is cmax there, and the ranks and the
 * count in the thread's list of large counts.  Else a struct gram.
 */
#define WALK_CHUNK 4096u
#define PACK_COUNT_MIN 4u
unsigned hck__pack_count_bits = 64;

struct walk_job {
	_Alignas(64) hc_iter *it; /* a cache line of its own */
	unsigned k, b, rb; /* order, bits of an id, of a rank */
	unsigned cb; /* count bits of a packed entry; 0: a struct gram */
	uint64_t nid; /* ids held */
	const uint32_t *rank;
	uint64_t *g; /* entries of 1 word (cb) or 2 */
	uint64_t room; /* entries @g holds */
	_Atomic uint64_t *next; /* the first entry no chunk took */
	uint64_t at, end; /* the room left in its last chunk */
	struct gram *big; /* packed: the large counts, nbig of them */
	uint64_t nbig, big_cap;
	int rc;
};

/* Keep n-gram @v's large count @c in @j's list; 0 or HC_ENOMEM. */
static int big_add(struct walk_job *j, uint64_t v, uint64_t c)
{
	if (j->nbig == j->big_cap) {
		uint64_t cap = j->big_cap ? 2 * j->big_cap : 1024;
		struct gram *p = cap <= SIZE_MAX / sizeof(*p)
					 ? realloc(j->big, cap * sizeof(*p))
					 : NULL;

		if (!p)
			return HC_ENOMEM;
		j->big = p;
		j->big_cap = cap;
	}
	j->big[j->nbig].key = v;
	j->big[j->nbig++].count = c;
	return 0;
}

static void *walk_part(void *arg)
{
	struct walk_job *j = arg;
	const uint64_t mask = (UINT64_C(1) << j->b) - 1,
		       cmax = j->cb ? (UINT64_C(1) << j->cb) - 1 : 0;
	const unsigned k = j->k;
	hc_entry e;
	int r;

	while ((r = hc_iter_next(j->it, &e)) == 1) {
		uint64_t v = 0;

		if (j->at == j->end) {
			/* ORDER: relaxed. Only hands out disjoint ranges;
			 * what is written in them is read after the join,
			 * which orders it. */
			j->at = atomic_fetch_add_explicit(j->next, WALK_CHUNK,
							  memory_order_relaxed);
			j->end = j->at + WALK_CHUNK;
			if (j->end > j->room) {
				j->at = j->end = 0;
				j->rc = HC_ECORRUPT; /* a worker still runs */
				return NULL;
			}
		}
		for (unsigned w = 0; w < k; w++) {
			uint64_t id = e.key >> (j->b * (k - 1 - w)) & mask;
			uint32_t rk = id < j->nid
					      ? j->rank[2 * id + (w + 1 == k)]
					      : UINT32_MAX;

			if (rk == UINT32_MAX) {
				j->rc = HC_ECORRUPT; /* an id of no word */
				return NULL;
			}
			v = v << j->rb | rk;
		}
		if (!j->cb) {
			j->g[2 * j->at] = v;
			j->g[2 * j->at++ + 1] = e.count;
		} else if (e.count < cmax) {
			j->g[j->at++] = v << j->cb | e.count;
		} else {
			j->g[j->at++] = v << j->cb | cmax;
			if ((j->rc = big_add(j, v, e.count)))
				return NULL;
		}
	}
	if (r < 0)
		j->rc = r;
	return NULL;
}

/* Is entry @i of the array in the unfilled end of a job's last chunk? */
static int in_hole(const struct walk_job *job, unsigned nt, uint64_t i)
{
	for (unsigned t = 0; t < nt; t++)
		if (i >= job[t].at && i < job[t].end)
			return 1;
	return 0;
}

/* The n-grams of @x, ranked by @rank in @rb bits a word, into @g (@room
 * entries, packed with @cb count bits, or struct gram if @cb is 0): *@n
 * of them; with @cb, their large counts into *@big (*@nbig, sorted by
 * key). */
static int walk_grams(const hck_ids *x, uint64_t nid, const uint32_t *rank,
		      unsigned rb, unsigned cb, uint64_t *g, uint64_t room,
		      unsigned nt, uint64_t *n, struct gram **big,
		      uint64_t *nbig)
{
	struct walk_job job[SAVE_THREADS];
	hc_iter *its[SAVE_THREADS];
	_Atomic uint64_t next = 0;
	const unsigned stride = cb ? 1 : 2;
	uint64_t total, src, nb = 0;
	struct gram *all = NULL;
	int rc = hc_iter_create_parts(x->grams, nt, its);

	if (rc)
		return rc;
	for (unsigned t = 0; t < nt; t++) {
		memset(&job[t], 0, sizeof(job[t]));
		job[t].it = its[t];
		job[t].k = x->m.k;
		job[t].b = x->bits;
		job[t].rb = rb;
		job[t].cb = cb;
		job[t].nid = nid;
		job[t].rank = rank;
		job[t].g = g;
		job[t].room = room;
		job[t].next = &next;
	}
	run_jobs(walk_part, job, sizeof(job[0]), nt);
	for (unsigned t = 0; t < nt; t++) {
		hc_iter_destroy(its[t]);
		if (!rc)
			rc = job[t].rc;
		nb += job[t].nbig;
	}
	/* The large counts in one list, sorted as the entries will be. */
	if (!rc && nb) {
		uint64_t o = 0;

		all = malloc(2 * nb * sizeof(*all));
		rc = all ? HC_OK : HC_ENOMEM;
		for (unsigned t = 0; !rc && t < nt; t++) {
			if (job[t].nbig) /* no list where none */
				memcpy(all + o, job[t].big,
				       job[t].nbig * sizeof(*all));
			o += job[t].nbig;
		}
		if (!rc)
			rc = radix_sort(all, all + nb, nb, 2, 0, rb * x->m.k);
	}
	for (unsigned t = 0; t < nt; t++)
		free(job[t].big);
	if (rc) {
		free(all);
		return rc;
	}
	*big = all ? shrink(all, nb * sizeof(*all)) : NULL;
	*nbig = nb;
	/* ORDER: relaxed. The threads were joined. */
	src = atomic_load_explicit(&next, memory_order_relaxed);
	total = src;
	for (unsigned t = 0; t < nt; t++)
		total -= job[t].end - job[t].at;
	/* Each hole below @total takes an entry from above it, the last
	 * first, skipping the holes up there. */
	for (unsigned t = 0; t < nt; t++)
		for (uint64_t i = job[t].at; i < job[t].end && i < total; i++) {
			do
				src--;
			while (in_hole(job, nt, src));
			memcpy(g + i * stride, g + src * stride,
			       stride * sizeof(*g));
		}
	*n = total;
	return HC_OK;
}

int hck_ids_save(hck_ids *x, const char *path)
{
	struct saver *s = NULL;
	const unsigned k = x ? x->m.k : 0, b = x ? x->bits : 0;
	uint64_t nid, room, nw = 0, n = 0, cap, *keys = NULL, *counts = NULL;
	uint32_t *ids = NULL, *rank = NULL;
	uint32_t *by_in = NULL, *by_end = NULL;
	uint64_t *g = NULL, *tmp = NULL;
	struct word *w = NULL;
	struct gram *wk = NULL, *big = NULL;
	hc_key_stream more;
	hc_view v = { .size = sizeof(v) };
	uint64_t groom, nbig = 0;
	unsigned rb = 1, nt, cb, stride;
	int rc;

	if (!x || !path || !x->grams)
		return HC_EINVAL;
	/* ORDER: relaxed. The workers are done and waited for; their
	 * fetch-adds happen before the wait returned. */
	nid = atomic_load_explicit(x->next, memory_order_relaxed);
	if (nid > (UINT64_C(1) << b))
		nid = UINT64_C(1) << b;
	/* The n-grams are in the current generation (the view ends a
	 * growth in flight), one a slot, and the zero key: at most its
	 * slots + 1, known without a walk.  The walk's array reserves that
	 * many; the pages it does not fill take no memory. */
	rc = hc_table_view(x->grams, &v);
	if (rc)
		return rc;
	cap = v.capacity + 1;
	room = nid ? nid : 1; /* no malloc(0) */
	w = calloc(room, sizeof(*w));
	ids = malloc(room * sizeof(*ids));
	by_in = malloc(room * sizeof(*by_in));
	by_end = malloc(room * sizeof(*by_end));
	rank = malloc(room * 2 * sizeof(*rank));
	wk = malloc(room * 4 * sizeof(*wk));
	s = saver_new();
	if (!w || !ids || !by_in || !by_end || !rank || !wk || !s) {
		rc = HC_ENOMEM;
		goto out;
	}
	rc = words_by_id(x, w, nid, ids, &nw);
	if (rc)
		goto out;
	/* Rank the words in both orders, at once; a rank takes rb bits. */
	memset(rank, 0xff, nid * 2 * sizeof(*rank)); /* no word: UINT32_MAX */
	{
		struct rank_job rj[2] = {
			{ w, ids, nw, 1, wk, wk + nw, by_in, rank, 0 },
			{ w, ids, nw, 0, wk + 2 * nw, wk + 3 * nw, by_end, rank,
			  0 },
		};

		/* A word costs far more than a sort's entry (its bytes
		 * read at random): threads from a 16th as many. */
		if (nw >= hck__radix_split_min / 16 &&
		    save_threads(UINT64_MAX) > 1) {
			run_jobs(rank_part, rj, sizeof(rj[0]), 2);
		} else {
			rank_part(&rj[0]);
			rank_part(&rj[1]);
		}
		rc = rj[0].rc ? rj[0].rc : rj[1].rc;
	}
	if (rc)
		goto out;
	free(wk);
	free(ids);
	wk = NULL;
	ids = NULL;
	while (nw > 1 && (nw - 1) >> rb)
		rb++;
	/* The n-grams, each id replaced by its rank, packed with their
	 * counts where PACK_COUNT_MIN bits are left (walk_part()). */
	cb = 64 - rb * k;
	if (cb > hck__pack_count_bits)
		cb = hck__pack_count_bits;
	if (cb < PACK_COUNT_MIN)
		cb = 0;
	s->cmax = cb ? (UINT64_C(1) << cb) - 1 : 0;
	stride = cb ? 1 : 2;
	nt = save_threads(cap);
	groom = cap + (uint64_t)nt * WALK_CHUNK;
	g = malloc(groom * stride * sizeof(*g));
	rc = g ? walk_grams(x, nid, rank, rb, cb, g, groom, nt, &n, &big, &nbig)
	       : HC_ENOMEM;
	if (!rc && n > cap)
		rc = HC_ECORRUPT; /* a worker still running */
	if (rc)
		goto out;
	/* Read: its memory goes back before the sort takes more. */
	hc_table_close(x->grams);
	x->grams = NULL;
	free(rank);
	rank = NULL;
	tmp = malloc((n ? n : 1) * stride * sizeof(*tmp));
	if (!tmp) {
		rc = HC_ENOMEM;
		goto out;
	}
	rc = radix_sort(g, tmp, n, stride, cb, rb * k);
	if (rc)
		goto out;
	keys = g;
	g = NULL;
	if (cb) {
		/* Packed: the counts stay in the keys (gram_count()), and
		 * the sort's second array goes back. */
		uint64_t j = 0;

		free(tmp);
		tmp = NULL;
		for (uint64_t i = 0; i < n; i++)
			if ((keys[i] & s->cmax) == s->cmax) {
				/* Both sorted by key: the next large count
				 * is this n-gram's, and every one is some
				 * n-gram's. */
				if (j == nbig || big[j].key != keys[i] >> cb) {
					rc = HC_ECORRUPT;
					goto out;
				}
				j++;
			}
		if (j != nbig) {
			rc = HC_ECORRUPT;
			goto out;
		}
	} else {
		/* Keys and counts apart, 8 bytes each. */
		counts = tmp;
		tmp = NULL;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t c = keys[2 * i + 1];

			/* 8 i <= 16 i: read before written */
			keys[i] = keys[2 * i];
			counts[i] = c;
		}
		counts = shrink(counts, n * sizeof(*counts));
	}
	keys = shrink(keys, n * sizeof(*keys));
	s->k = k;
	s->rb = rb;
	s->ksh = cb;
	s->big = big;
	s->nbig = nbig;
	s->w = w;
	s->by_in = by_in;
	s->by_end = by_end;
	s->keys = keys;
	more.size = sizeof(more);
	more.n = n;
	more.counts = counts;
	more.key = gram_text;
	more.key_part = gram_part;
	more.count = cb ? gram_count : NULL;
	more.arg = s;
	rc = hc_table_save_compact_with(x->spill, path, &more);
out:
	free(g);
	free(tmp);
	free(keys);
	free(counts);
	free(wk);
	free(ids);
	free(rank);
	free(by_in);
	free(by_end);
	free(w);
	free(big);
	saver_free(s);
	return rc;
}
