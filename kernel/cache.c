/* SPDX-License-Identifier: MIT */
/*
 * cache.c - a private delta cache in front of the shared table
 * (hc_cache_*): worker-local combining as a kernel facility.
 *
 * A cache belongs to one thread of one process.  It sums the deltas of
 * the keys it holds in private memory and adds each distinct key to the
 * shared table once, with its sum, through the batched adds
 * (hc_add_batch, hc_add_bytes_batch).  Zipfian keys (text) repeat their
 * top keys many times a window, and every shared add of a hot key pulls
 * its cache line from core to core; a sum added once costs one.
 *
 * The cache is an open-addressed index of 2 * @keys slots over entry
 * arrays kept in insertion order, so a flush hands the arrays to the
 * batched add as they are.  A flush happens when the cache holds @keys
 * distinct keys (or its key area is full), when it has absorbed
 * @max_pending adds since the last flush, on hc_cache_flush(),
 * hc_cache_destroy() and hc_table_close().
 *
 * Where windows do not collapse (k-mers of reads, long n-grams) the
 * private index is pure cost: a window (ended by a full cache or by
 * @max_pending adds) with fewer than 4/3 adds per distinct key turns the cache into a pass-through for the
 * next HC__CACHE_SKIP * @keys adds, after which one window tries again.
 *
 * No atomic operation here: the shared table is reached only through
 * the batched adds, whose ordering arguments are in the kind files
 * (kind_<name>.c).
 * What a kill costs (design.md C1): the deltas pending in the victim's
 * caches, at most @max_pending adds, and nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "hc_internal.h"

#define HC__CACHE_SKIP 64u /* windows of pass-through after a bad one */

struct hc_cache {
	struct hc_table *t; /* NULL once the table closed (detached) */
	struct hc_cache *prev, *next; /* t->caches, under t->map_lock */
	uint64_t pid; /* the process whose deltas these are */
	int bytes; /* byte-string keys */
	size_t cap; /* distinct keys held at most */
	size_t nslots; /* 2 * cap rounded up to a power of 2 */
	unsigned shift; /* 64 - log2(nslots) */
	uint64_t max_pending;
	uint64_t kmax; /* largest integer key the table takes */
	size_t n; /* distinct keys held */
	uint64_t pending; /* adds absorbed since the last flush */
	uint64_t bypass; /* adds left to pass straight through */
	uint32_t *slot; /* 1 + entry index, or 0 */
	uint64_t *keys; /* integer keys, or hashes of byte keys */
	uint64_t *deltas;
	/* byte keys */
	const void **ptrs; /* into arena */
	size_t *lens;
	unsigned char *arena;
	size_t arena_cap, arena_used;
	uint64_t seed;
};

/* The first slot to probe for an entry's keys[] word: an integer key,
 * or a byte key's hash (already mixed). */
static inline size_t cache_home(const struct hc_cache *c, uint64_t k)
{
	if (!c->bytes)
		k *= UINT64_C(0x9e3779b97f4a7c15); /* Fibonacci hashing */
	return (size_t)(k >> c->shift);
}

static void cache_clear(struct hc_cache *c)
{
	size_t i;

	if (8 * c->n >= c->nslots)
		memset(c->slot, 0, c->nslots * sizeof(*c->slot));
	else
		for (i = 0; i < c->n; i++) {
			size_t s = cache_home(c, c->keys[i]);

			while (c->slot[s] != i + 1)
				s = (s + 1) & (c->nslots - 1);
			c->slot[s] = 0;
		}
	c->n = 0;
	c->pending = 0;
	c->arena_used = 0;
}

/* A child process inherits its parent's caches with the parent's
 * pending deltas; the parent adds those itself, so the child drops its
 * copy (never counted twice). */
static void cache_adopt(struct hc_cache *c)
{
	uint64_t pid = hc__pid();

	if (c->pid != pid) {
		memset(c->slot, 0, c->nslots * sizeof(*c->slot));
		c->n = 0;
		c->pending = 0;
		c->arena_used = 0;
		c->pid = pid;
	}
}

/* Index entries [0, n) again after a partial flush moved them. */
static void cache_reindex(struct hc_cache *c)
{
	size_t i;

	memset(c->slot, 0, c->nslots * sizeof(*c->slot));
	for (i = 0; i < c->n; i++) {
		size_t s = cache_home(c, c->keys[i]);

		while (c->slot[s])
			s = (s + 1) & (c->nslots - 1);
		c->slot[s] = (uint32_t)(i + 1);
	}
}

/*
 * Add every entry to the table.  On an error, the entries added leave
 * the cache and the others stay (a later flush tries them again).
 * @full: the flush ends a window (the cache is full, or max_pending
 * adds came in), so the window says whether caching pays.
 */
static int cache_flush(struct hc_cache *c, int full)
{
	size_t done = 0, n = c->n, i;
	int rc;

	if (n == 0) {
		c->pending = 0;
		return HC_OK;
	}
	if (full && 3 * c->pending < 4 * (uint64_t)n)
		c->bypass = HC__CACHE_SKIP * (uint64_t)c->cap;
	if (c->bytes)
		rc = hc_add_bytes_batch(c->t, c->ptrs, c->lens, c->deltas, n,
					&done);
	else
		rc = hc_add_batch(c->t, c->keys, c->deltas, n, &done);
	if (rc == HC_OK) {
		cache_clear(c);
		return HC_OK;
	}
	/* Keep entries [done, n): move them down and index them again.
	 * Byte keys keep their place in the arena (it is not compacted). */
	for (i = done; i < n; i++) {
		c->keys[i - done] = c->keys[i];
		c->deltas[i - done] = c->deltas[i];
		if (c->bytes) {
			c->ptrs[i - done] = c->ptrs[i];
			c->lens[i - done] = c->lens[i];
		}
	}
	c->n = n - done;
	c->pending = c->n; /* at least one add each */
	cache_reindex(c);
	return rc;
}

static int cache_usable(struct hc_cache *c, int bytes)
{
	if (!c)
		return HC_EINVAL;
	if (!c->t || c->bytes != bytes)
		return HC_EMISUSE;
	cache_adopt(c);
	return HC_OK;
}

int hc_cache_create(hc_cache **out, hc_table *t, size_t keys,
		    uint64_t max_pending)
{
	struct hc_cache *c;
	size_t nslots = 2;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!t || keys > HC_CACHE_KEYS_MAX)
		return HC_EINVAL;
	if (!t->writable)
		return HC_ERDONLY;
	if (keys == 0)
		keys = t->ops->flags & HC_KIND_BYTES
			       ? HC_CACHE_KEYS_DEFAULT_BYTES
			       : HC_CACHE_KEYS_DEFAULT;
	if (max_pending == 0)
		max_pending = HC_CACHE_PENDING_DEFAULT;
	while (nslots < 2 * keys)
		nslots *= 2;
	c = calloc(1, sizeof(*c));
	if (!c)
		return HC_ENOMEM;
	c->bytes = !!(t->ops->flags & HC_KIND_BYTES);
	c->cap = keys;
	c->nslots = nslots;
	c->shift = 64;
	while (((size_t)1 << (64 - c->shift)) < nslots)
		c->shift--;
	c->max_pending = max_pending;
	c->kmax = c->bytes ? UINT64_MAX : t->ops->key_max(t);
	c->seed = t->seed;
	c->pid = hc__pid();
	c->slot = calloc(nslots, sizeof(*c->slot));
	c->keys = malloc(keys * sizeof(*c->keys));
	c->deltas = malloc(keys * sizeof(*c->deltas));
	if (c->bytes) {
		c->arena_cap = keys * HC_CACHE_KEY_BYTES;
		c->ptrs = malloc(keys * sizeof(*c->ptrs));
		c->lens = malloc(keys * sizeof(*c->lens));
		c->arena = malloc(c->arena_cap);
	}
	if (!c->slot || !c->keys || !c->deltas ||
	    (c->bytes && (!c->ptrs || !c->lens || !c->arena))) {
		c->t = NULL;
		(void)hc_cache_destroy(c);
		return HC_ENOMEM;
	}
	c->t = t;
	pthread_mutex_lock(t->map_lock);
	c->next = t->caches;
	if (t->caches)
		t->caches->prev = c;
	t->caches = c;
	pthread_mutex_unlock(t->map_lock);
	*out = c;
	return HC_OK;
}

/* Sum @delta into @key's entry, inserting it; flushes first when full.
 * Integer keys. */
static int cache_put(struct hc_cache *c, uint64_t key, uint64_t delta)
{
	size_t s;
	int rc;

	if (c->pending >= c->max_pending && (rc = cache_flush(c, 1)))
		return rc;
	if (key > c->kmax)
		return HC_ERANGE;
	s = cache_home(c, key);
	for (;;) {
		uint32_t e = c->slot[s];

		if (e == 0)
			break;
		if (c->keys[e - 1] == key) {
			c->deltas[e - 1] += delta;
			c->pending++;
			return HC_OK;
		}
		s = (s + 1) & (c->nslots - 1);
	}
	if (c->n == c->cap) {
		if ((rc = cache_flush(c, 1)))
			return rc;
		if (c->bypass)
			return hc_add(c->t, key, delta);
		s = cache_home(c, key);
		while (c->slot[s])
			s = (s + 1) & (c->nslots - 1);
	}
	c->keys[c->n] = key;
	c->deltas[c->n] = delta;
	c->slot[s] = (uint32_t)++c->n;
	c->pending++;
	return HC_OK;
}

int hc_cache_add(hc_cache *c, uint64_t key, uint64_t delta)
{
	int rc = cache_usable(c, 0);

	if (rc)
		return rc;
	if (c->bypass) {
		c->bypass--;
		return hc_add(c->t, key, delta);
	}
	return cache_put(c, key, delta);
}

/*
 * The fast path of a batch: sum @keys[0..n) into the cache until one
 * needs a flush (a new key with the cache full, or max_pending adds) or
 * is out of range; returns how many were taken.  The fields live in
 * locals: a store through deltas[] could alias them otherwise, and the
 * loop would reload each one per key.
 */
static size_t cache_put_run(struct hc_cache *c, const uint64_t *keys,
			    const uint64_t *deltas, size_t n)
{
	uint32_t *slot = c->slot;
	uint64_t *ck = c->keys, *cd = c->deltas, kmax = c->kmax;
	size_t cn = c->n, cap = c->cap, mask = c->nslots - 1, i;
	unsigned shift = c->shift;

	if (c->pending >= c->max_pending)
		return 0;
	if (n > c->max_pending - c->pending)
		n = (size_t)(c->max_pending - c->pending);
	for (i = 0; i < n; i++) {
		uint64_t k = keys[i], d = deltas ? deltas[i] : 1;
		size_t s =
			(size_t)((k * UINT64_C(0x9e3779b97f4a7c15)) >> shift);
		uint32_t e;

		if (k > kmax)
			break;
		while ((e = slot[s]) != 0 && ck[e - 1] != k)
			s = (s + 1) & mask;
		if (e) {
			cd[e - 1] += d;
		} else if (cn < cap) {
			ck[cn] = k;
			cd[cn] = d;
			slot[s] = (uint32_t)++cn;
		} else {
			break;
		}
	}
	c->n = cn;
	c->pending += i;
	return i;
}

int hc_cache_add_batch(hc_cache *c, const uint64_t *keys,
		       const uint64_t *deltas, size_t n, size_t *done)
{
	size_t i = 0, d = 0;
	int rc = cache_usable(c, 0);

	if (done)
		*done = 0;
	if (rc)
		return rc;
	if (n && !keys)
		return HC_EINVAL;
	while (i < n) {
		if (c->bypass) {
			/* Pass a stretch straight to the batched add. */
			size_t m = n - i;

			if (m > c->bypass)
				m = (size_t)c->bypass;
			rc = hc_add_batch(c->t, keys + i,
					  deltas ? deltas + i : NULL, m, &d);
			i += d;
			c->bypass -= d;
			if (rc)
				break;
			continue;
		}
		i += cache_put_run(c, keys + i, deltas ? deltas + i : NULL,
				   n - i);
		if (i == n)
			break;
		/* keys[i] needs a flush first, or is out of range. */
		if ((rc = cache_put(c, keys[i], deltas ? deltas[i] : 1)))
			break;
		i++;
	}
	if (done)
		*done = i;
	return rc;
}

/* The byte-key twin of cache_put(). */
static int cache_put_bytes(struct hc_cache *c, const void *key, size_t len,
			   uint64_t delta)
{
	uint64_t h;
	size_t s;
	int rc;

	if (c->pending >= c->max_pending && (rc = cache_flush(c, 1)))
		return rc;
	h = hc__hash_bytes(key, len, c->seed);
	s = cache_home(c, h);
	for (;;) {
		uint32_t e = c->slot[s];

		if (e == 0)
			break;
		if (c->keys[e - 1] == h && c->lens[e - 1] == len &&
		    memcmp(c->ptrs[e - 1], key, len) == 0) {
			c->deltas[e - 1] += delta;
			c->pending++;
			return HC_OK;
		}
		s = (s + 1) & (c->nslots - 1);
	}
	if (len > c->arena_cap / 4) /* too big to keep */
		return hc_add_bytes(c->t, key, len, delta);
	if (c->n == c->cap || c->arena_used + len > c->arena_cap) {
		if ((rc = cache_flush(c, c->n == c->cap)))
			return rc;
		if (c->bypass)
			return hc_add_bytes(c->t, key, len, delta);
		s = cache_home(c, h);
		while (c->slot[s])
			s = (s + 1) & (c->nslots - 1);
	}
	memcpy(c->arena + c->arena_used, key, len);
	c->ptrs[c->n] = c->arena + c->arena_used;
	c->arena_used += len;
	c->lens[c->n] = len;
	c->keys[c->n] = h;
	c->deltas[c->n] = delta;
	c->slot[s] = (uint32_t)++c->n;
	c->pending++;
	return HC_OK;
}

int hc_cache_add_bytes(hc_cache *c, const void *key, size_t len, uint64_t delta)
{
	int rc = cache_usable(c, 1);

	if (rc)
		return rc;
	if (!hc__bytes_len_ok(len))
		return HC_ERANGE;
	if (!key)
		return HC_EINVAL;
	if (c->bypass) {
		c->bypass--;
		return hc_add_bytes(c->t, key, len, delta);
	}
	return cache_put_bytes(c, key, len, delta);
}

int hc_cache_add_bytes_batch(hc_cache *c, const void *const *keys,
			     const size_t *lens, const uint64_t *deltas,
			     size_t n, size_t *done)
{
	size_t i = 0, d = 0;
	int rc = cache_usable(c, 1);

	if (done)
		*done = 0;
	if (rc)
		return rc;
	if (n && (!keys || !lens))
		return HC_EINVAL;
	while (i < n) {
		if (c->bypass) {
			size_t m = n - i;

			if (m > c->bypass)
				m = (size_t)c->bypass;
			rc = hc_add_bytes_batch(c->t, keys + i, lens + i,
						deltas ? deltas + i : NULL, m,
						&d);
			i += d;
			c->bypass -= d;
			if (rc)
				break;
			continue;
		}
		if (!hc__bytes_len_ok(lens[i])) {
			rc = HC_ERANGE;
			break;
		}
		if (!keys[i]) {
			rc = HC_EINVAL;
			break;
		}
		if ((rc = cache_put_bytes(c, keys[i], lens[i],
					  deltas ? deltas[i] : 1)))
			break;
		i++;
	}
	if (done)
		*done = i;
	return rc;
}

int hc_cache_flush(hc_cache *c)
{
	int rc = cache_usable(c, c ? c->bytes : 0);

	return rc ? rc : cache_flush(c, 0);
}

uint64_t hc_cache_pending(const hc_cache *c)
{
	return c && c->pid == hc__pid() ? c->pending : 0;
}

int hc_cache_destroy(hc_cache *c)
{
	int rc = HC_OK;

	if (!c)
		return HC_OK;
	if (c->t) {
		cache_adopt(c);
		rc = cache_flush(c, 0);
		pthread_mutex_lock(c->t->map_lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			c->t->caches = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(c->t->map_lock);
	}
	free(c->slot);
	free(c->keys);
	free(c->deltas);
	free(c->ptrs);
	free(c->lens);
	free(c->arena);
	free(c);
	return rc;
}

int hc__caches_close(struct hc_table *t)
{
	struct hc_cache *c, *next;
	int rc = HC_OK;

	/* Not concurrent with other calls on @t (hc_table_close). */
	for (c = t->caches; c; c = next) {
		int r;

		next = c->next;
		cache_adopt(c);
		r = cache_flush(c, 0);
		if (r && rc == HC_OK)
			rc = r;
		c->t = NULL;
		c->prev = c->next = NULL;
	}
	t->caches = NULL;
	return rc;
}
