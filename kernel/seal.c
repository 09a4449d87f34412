/* SPDX-License-Identifier: MIT */
/*
 * seal.c - files that say when they are damaged: the seal word, the body
 * checksums a last writer writes when it closes a table file (or
 * hc_table_save() into its copy), and hc_table_verify(), which checks
 * them.  The layout is docs/format.md, "Seal"; the ordering argument is
 * docs/design.md V1-V3.  The hash is xxHash's XXH3-64 (libxxhash); no
 * hash function is written here.
 *
 * A table's checksummed regions are listed by one function per layout
 * (hashed_regions() for the layout of format 2); seal and verify walk
 * the same list, so another layout (a compact saved one) plugs in by
 * adding its own list.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hc_internal.h"

/* Regions of one table: the current generation's slots, the packed
 * overflow area, and one per key-area chunk. */
#define MAX_REGIONS (2 + HC_GEN_MAX)
#define HASH_STEP (UINT64_C(1) << 26) /* bytes per streaming update */

/* Where the sum of @r lives in a header. */
static uint64_t *sum_of(struct hc__header *h, const struct hc__region *r)
{
	if (r->kind == HC_REGION_SLOTS)
		return &h->gens[r->index].slots_sum;
	return &h->gens[r->index].keys_sum; /* overflow: index 0 */
}

/*
 * The regions a reader of @t can reach, for the layout of format 2:
 * the slots of the current generation (dense: the counters), the packed
 * overflow area, and the used part of each key-area chunk below
 * @arena_used.  HC__EMIGRATE when a growth is in flight (a sealed table
 * never has one); HC_ECORRUPT or HC_ENOMEM when a region cannot be
 * mapped.
 */
static int hashed_regions(struct hc_table *t, uint64_t arena_used,
			  struct hc__region *r, unsigned *n)
{
	struct hc__gv v;
	unsigned cur, top, k = 0;
	int rc;

	rc = hc__gen_bounds(t, &cur, &top);
	if (rc)
		return rc;
	if (cur != top)
		return HC__EMIGRATE;
	rc = hc__gen_view(t, cur, &v);
	if (rc)
		return rc;
	r[k++] = (struct hc__region){ HC_REGION_SLOTS, cur,
				      (const unsigned char *)v.packed,
				      v.capacity * v.ssize };
	*n = k;
	/* The kind's own: the packed overflow area, the key-area chunks. */
	return t->ops->regions ? t->ops->regions(t, arena_used, r, n) : HC_OK;
}

/*
 * XXH3-64 of @len bytes at @p, streamed in steps.  The bytes are read
 * with plain loads: a sealed table has no writer, and a check that
 * raced with one is thrown away (design.md V2).
 */
static uint64_t hash_region(XXH3_state_t *st, const unsigned char *p,
			    uint64_t len)
{
	(void)XXH3_64bits_reset(st);
	while (len) {
		size_t n = len < HASH_STEP ? (size_t)len : (size_t)HASH_STEP;

		(void)XXH3_64bits_update(st, p, n);
		p += n;
		len -= n;
	}
	return XXH3_64bits_digest(st);
}

/* The header sum: XXH3-64 of the page with header_sum read as 0. */
static uint64_t header_sum(const struct hc__header *h)
{
	struct hc__header c;

	memcpy(&c, h, sizeof(c));
	c.header_sum = 0;
	return XXH3_64bits(&c, sizeof(c));
}

static uint64_t next_epoch(uint64_t w)
{
	return ((w & HC_SEAL_EPOCH_MASK) + (UINT64_C(1) << 16)) &
	       HC_SEAL_EPOCH_MASK;
}

/*
 * Register @t as a writer: a new epoch and one more writer in the seal
 * word, which is LIVE from now on (V1).  Called once for a handle that
 * may write (created, or opened or attached read-write) before it is
 * handed to the caller.
 */
void hc__seal_register(struct hc_table *t)
{
	uint64_t x, w, n, seen;

	/* ORDER: relaxed. Only the value the CAS below starts from. */
	x = hc_atomic_load_relaxed(&t->hdr->seal);
	for (;;) {
		n = HC_SEAL_TAG(x) == HC_SEAL_TAG_LIVE
			    ? x & HC_SEAL_WRITERS_MASK
			    : 0; /* sealed, sealing, format 2.0 or garbage */
		if (n == HC_SEAL_WRITERS_MASK)
			return; /* saturated: never sealed again (V3) */
		w = HC_SEAL_WORD(HC_SEAL_TAG_LIVE, next_epoch(x), n + 1);
		/* ORDER: full CAS. Orders the word's LIVE before every
		 * write this handle makes to the table later, so that a
		 * verifier that reads one of them sees the seal change when
		 * it looks again (design.md V2); pairs with the full load in
		 * hc_table_verify(). A new epoch fails the CAS of a sealer
		 * that hashed before it (V1). Killed after it: the word stays
		 * LIVE with this writer counted, and the file reads as live
		 * (not damaged) until it is saved again. */
		seen = hc_atomic_cas_full(&t->hdr->seal, x, w);
		if (seen == x)
			break;
		x = seen;
	}
	if (n == 0 && t->grows)
		/* ORDER: relaxed. The first writer of a table nobody writes
		 * starts new work: keys an earlier job expected would size
		 * its growths (hc_table_set_progress, M1); a figure. */
		hc_atomic_store_relaxed(&t->hdr->expect, 0);
	t->sealer = 1;
	t->sealer_pid = hc__pid();
}

/*
 * Seal @t, whose seal word was @expect (LIVE, no writer): finish a
 * growth in flight, hash every region, then SEALING, the sums, the
 * header sum and SEALED, each step only if no writer registered since
 * @expect (V1).  Returns HC_OK also when a writer did (the table stays
 * live), or the status that kept it from sealing.
 */
static int seal_with(struct hc_table *t, uint64_t expect)
{
	struct hc__region r[MAX_REGIONS];
	uint64_t sums[MAX_REGIONS], ep = expect & HC_SEAL_EPOCH_MASK, seen;
	XXH3_state_t *st;
	unsigned n, cur, top;
	int rc;

	if (t->grows) {
		int pin = hc__pin(t); /* the generations helped (M9) */

		rc = hc__gen_bounds(t, &cur, &top);
		if (!rc && cur != top) {
			hc__pin_helping(t, pin, cur);
			rc = hc__help(t, cur);
		}
		hc__unpin(t, pin);
		if (rc)
			return rc;
	}
	/* ORDER: relaxed. Only the bound of the key area; the full CAS
	 * that deregistered the last writer ordered its bump before. */
	rc = hashed_regions(t, hc_atomic_load_relaxed(&t->hdr->arena_used), r,
			    &n);
	if (rc)
		return rc == HC__EMIGRATE ? HC_OK : rc;
	st = XXH3_createState();
	if (!st)
		return HC_ENOMEM;
	for (unsigned i = 0; i < n; i++)
		sums[i] = hash_region(st, r[i].p, r[i].len);
	XXH3_freeState(st);
	/* ORDER: full CAS. After the reads of the body above (no writer
	 * was registered during them, or the epoch moved and this fails);
	 * before the stores of the sums below. Killed after it: SEALING
	 * reads as live, and the next writer to register replaces it. */
	seen = hc_atomic_cas_full(
		&t->hdr->seal, expect,
		HC_SEAL_WORD(HC_SEAL_TAG_SEALING, ep, UINT64_C(0)));
	if (seen != expect)
		return HC_OK; /* a writer registered: it seals later */
	for (unsigned g = 0; g < HC_GEN_MAX; g++)
		t->hdr->gens[g].slots_sum = t->hdr->gens[g].keys_sum = 0;
	for (unsigned i = 0; i < n; i++)
		*sum_of(t->hdr, &r[i]) = sums[i];
	{
		struct hc__header c;

		memcpy(&c, t->hdr, sizeof(c));
		c.seal = HC_SEAL_WORD(HC_SEAL_TAG_SEALED, ep, UINT64_C(0));
		t->hdr->header_sum = header_sum(&c);
	}
	/* ORDER: release CAS. Publishes the sums and the header sum stored
	 * above; pairs with the acquire load of the seal in
	 * hc_table_verify(). Fails when a writer registered since SEALING
	 * (its full CAS replaced it): the table stays live. Killed before
	 * it: SEALING, read as live. */
	(void)hc_atomic_cas_release(
		&t->hdr->seal,
		HC_SEAL_WORD(HC_SEAL_TAG_SEALING, ep, UINT64_C(0)),
		HC_SEAL_WORD(HC_SEAL_TAG_SEALED, ep, UINT64_C(0)));
	return HC_OK;
}

/*
 * At hc_table_close(): deregister a writer handle of the process that
 * registered it; the last one seals a table file (V1).  A forked child
 * closing an inherited handle changes nothing.
 */
int hc__seal_close(struct hc_table *t)
{
	uint64_t x, w, seen;

	if (!t->sealer || t->sealer_pid != hc__pid())
		return HC_OK;
	t->sealer = 0;
	/* ORDER: relaxed. Only the value the CAS below starts from. */
	x = hc_atomic_load_relaxed(&t->hdr->seal);
	for (;;) {
		if (HC_SEAL_TAG(x) != HC_SEAL_TAG_LIVE ||
		    (x & HC_SEAL_WRITERS_MASK) == 0)
			return HC_OK; /* someone else wrote it: leave it */
		w = x - 1;
		/* ORDER: full CAS. Release: this handle's writes happen
		 * before the count drops; acquire: the last writer, which
		 * hashes next, sees every write of the writers that
		 * deregistered before it (V1). Killed after it: the count
		 * is right and the table stays live. */
		seen = hc_atomic_cas_full(&t->hdr->seal, x, w);
		if (seen == x)
			break;
		x = seen;
	}
	if ((w & HC_SEAL_WRITERS_MASK) != 0 || t->home != HC_HOME_FILE)
		return HC_OK;
	return seal_with(t, w);
}

/* Seal a table no other process can see (the temporary file of
 * hc_table_save(), written LIVE with no writer). */
int hc__seal_now(struct hc_table *t)
{
	/* ORDER: relaxed. Nobody else maps this table yet. */
	uint64_t x = hc_atomic_load_relaxed(&t->hdr->seal);

	if (HC_SEAL_TAG(x) != HC_SEAL_TAG_LIVE || (x & HC_SEAL_WRITERS_MASK))
		return HC_EMISUSE;
	return seal_with(t, x);
}

const char *hc_region_name(int region)
{
	switch (region) {
	case HC_REGION_NONE:
		return "none";
	case HC_REGION_HEADER:
		return "header";
	case HC_REGION_SLOTS:
		return "slots";
	case HC_REGION_OVERFLOW:
		return "overflow";
	case HC_REGION_KEYS:
		return "key area";
	default:
		return "unknown";
	}
}

static void damaged(hc_verdict *v, int kind, unsigned index)
{
	if (!v->damaged++) {
		v->region = kind;
		v->index = index;
	}
}

/*
 * Whether a table that is not sealed has a writer (design.md L2): this
 * handle, or any other open file description holding the file's lock
 * (a writer's, an exclusive hc_lock's).  Only a file is sealed: the
 * other homes are live while they exist.  Where locks cannot be probed,
 * a writer is assumed.
 */
static int writer_alive(const struct hc_table *t)
{
	if (t->home != HC_HOME_FILE || t->fd < 0)
		return 1;
	if (t->sealer && t->sealer_pid == hc__pid())
		return 1;
	return hc__lock_others(t->fd) != 0;
}

/*
 * The verdict on a table of the layout of format 2 (the seal word, the
 * header sum, then hashed_regions()).  HC_OK, or HC_ENOMEM.
 */
static int verify_hashed(struct hc_table *t, hc_verdict *vp)
{
	struct hc__region r[MAX_REGIONS];
	hc_verdict v = *vp;
	struct hc__header h;
	uint64_t w, stored;
	XXH3_state_t *st;
	unsigned n;
	int rc;

	/* ORDER: acquire. Pairs with the release CAS that sealed the
	 * table in seal_with(): the sums and the header sum are visible. */
	w = hc_atomic_load_acquire(&t->hdr->seal);
	if (w == 0) {
		/* Format 2.0 had zeros here; a sealed word wiped to 0 still
		 * leaves its header sum. */
		v.state = t->hdr->header_sum ? HC_SEAL_DAMAGED : HC_SEAL_NONE;
		if (v.state == HC_SEAL_DAMAGED)
			damaged(&v, HC_REGION_HEADER, 0);
		goto out;
	}
	if (HC_SEAL_TAG(w) == HC_SEAL_TAG_LIVE ||
	    HC_SEAL_TAG(w) == HC_SEAL_TAG_SEALING) {
		v.state = writer_alive(t) ? HC_SEAL_LIVE : HC_SEAL_DEAD;
		goto out;
	}
	v.state = HC_SEAL_DAMAGED;
	if (HC_SEAL_TAG(w) != HC_SEAL_TAG_SEALED ||
	    (w & HC_SEAL_WRITERS_MASK)) {
		damaged(&v, HC_REGION_HEADER, 0);
		goto out;
	}
	memcpy(&h, t->hdr, sizeof(h));
	v.bytes = sizeof(h);
	if (h.seal != w || header_sum(&h) != h.header_sum) {
		damaged(&v, HC_REGION_HEADER, 0);
		goto recheck;
	}
	/* The regions as the header copy (now known good) describes them;
	 * the handle's geometry came from the same immutable fields. */
	rc = hashed_regions(t, h.arena_used, r, &n);
	if (rc == HC_ENOMEM)
		return rc;
	if (rc) {
		damaged(&v, HC_REGION_HEADER, 0);
		goto recheck;
	}
	st = XXH3_createState();
	if (!st)
		return HC_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		stored = *sum_of(&h, &r[i]);
		if (hash_region(st, r[i].p, r[i].len) != stored)
			damaged(&v, r[i].kind, r[i].index);
		v.bytes += r[i].len;
	}
	XXH3_freeState(st);
recheck:
	/* ORDER: full load. Ordered after every read of the table above:
	 * if any of them saw a write of a writer that registered since the
	 * first load, this load sees that writer's registration (its full
	 * CAS came before the write) and the verdict is LIVE, not damaged
	 * (design.md V2). */
	if (hc_atomic_load_full(&t->hdr->seal) != w) {
		v.state = HC_SEAL_LIVE;
		v.region = HC_REGION_NONE;
		v.index = 0;
		v.damaged = 0;
	} else if (!v.damaged) {
		v.state = HC_SEAL_OK;
	}
out:
	*vp = v;
	return HC_OK;
}

/* A compact file: sealed when written (it never changes after), so its
 * body checksum and structure are checked as a whole: a mismatch names
 * the entries (HC_REGION_SLOTS, generation 0). */
static int verify_compact(struct hc_table *t, hc_verdict *v)
{
	int rc = hc__compact_verify(t);

	v->bytes = t->map_bytes;
	if (rc == HC_OK) {
		v->state = HC_SEAL_OK;
		return HC_OK;
	}
	if (rc != HC_ECORRUPT)
		return rc;
	v->state = HC_SEAL_DAMAGED;
	v->region = HC_REGION_SLOTS;
	v->index = 0;
	v->damaged = 1;
	return HC_OK;
}

int hc_table_verify(const hc_table *ct, hc_verdict *out)
{
	/* The handle may map more of the object (a grown table). */
	struct hc_table *t = (struct hc_table *)ct;
	hc_verdict v = { .size = sizeof(v) };
	int rc;

	if (!t || (out && out->size < sizeof(*out)))
		return HC_EINVAL;
	/* A compact file (compact.c) has one body checksum and checks its
	 * own structure; the live layout has a sum per region. */
	rc = t->cx ? verify_compact(t, &v) : verify_hashed(t, &v);
	if (rc)
		return rc;
	if (out)
		*out = v;
	return v.state == HC_SEAL_DAMAGED ? HC_ECORRUPT : HC_OK;
}

/*
 * Count @t (a handle opened read-write under this process's exclusive
 * lock) as the only writer: a new epoch, one writer, whatever dead
 * writers the word still counts (design.md L2).
 */
static void seal_reset(struct hc_table *t)
{
	uint64_t x, seen;

	/* ORDER: relaxed. Only the value the CAS below starts from. */
	x = hc_atomic_load_relaxed(&t->hdr->seal);
	for (;;) {
		/* ORDER: full CAS. As in hc__seal_register(): the new epoch
		 * fails the CAS of any sealer that hashed before it (V1).
		 * The exclusive lock keeps every other writer out, so the
		 * dead writers the word counted are all it drops. Killed
		 * after it: LIVE with no live writer, DEAD again. */
		seen = hc_atomic_cas_full(&t->hdr->seal, x,
					  HC_SEAL_WORD(HC_SEAL_TAG_LIVE,
						       next_epoch(x),
						       UINT64_C(1)));
		if (seen == x)
			return;
		x = seen;
	}
}

/* Every entry of @t, walked as a reader walks them: a structure the
 * iterator refuses is HC_ECORRUPT. */
static int walk_all(hc_table *t)
{
	hc_iter *it;
	hc_entry e;
	int rc;

	rc = hc_iter_create(t, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1)
		;
	hc_iter_destroy(it);
	return rc;
}

int hc_table_reseal(const char *path, hc_verdict *out)
{
	hc_verdict v = { .size = sizeof(v) };
	hc_table *t = NULL;
	hc_lock *l;
	int rc;

	if (!path || (out && out->size < sizeof(*out)))
		return HC_EINVAL;
	rc = hc_lock_acquire(&l, path, HC_LOCK_EXCLUSIVE);
	if (rc)
		return rc;
	rc = hc_table_open(&t, path, HC_OPEN_RDONLY);
	if (!rc)
		rc = hc_table_verify(t, &v);
	hc_table_close(t);
	t = NULL;
	if (rc || v.state == HC_SEAL_OK || v.state == HC_SEAL_NONE)
		goto out; /* damaged, sealed or from before seals: as it is */
	rc = hc_table_open(&t, path, HC_OPEN_RDWR);
	if (rc)
		goto out;
	seal_reset(t);
	rc = walk_all(t);
	if (rc) {
		/* Left live: not sealed over what the walk refused. */
		t->sealer = 0;
		hc_table_close(t);
		goto out;
	}
	rc = hc_table_close(t); /* the last writer: seals */
	if (!rc)
		rc = hc_table_open(&t, path, HC_OPEN_RDONLY);
	if (!rc) {
		rc = hc_table_verify(t, &v);
		hc_table_close(t);
	}
	if (!rc && v.state != HC_SEAL_OK)
		rc = HC_EIO; /* could not seal (a growth the walk met) */
out:
	hc_lock_release(l);
	if (out && (!rc || rc == HC_ECORRUPT))
		*out = v;
	return rc;
}
