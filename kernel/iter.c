/* SPDX-License-Identifier: MIT */
/*
 * iter.c - walking the entries of a live table, and the raw view of its
 * regions for zero-copy readers.  Each slot is visited
 * once in slot order; keys never move, so no key is returned twice, and
 * byte keys are read only through an acquired ref (design.md G2).  During
 * a growth the walk covers the older generation, then the keys of the
 * newer one that the older one does not hold (design.md M4).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hc_internal.h"

/* The one pin of a walk's parts (design.md M9): held from create until
 * the last part is destroyed, by the process that took it (not a forked
 * child's copy). */
struct hc_iter_pin {
	hc_aword refs; /* the parts not yet destroyed */
	int pin;
	uint64_t pid;
};

/* Let go of @g: 1 for the last part. */
static int pin_let_go(struct hc_iter_pin *g)
{
	/* ORDER: relaxed. Only where the CAS below starts from. */
	uint64_t v = hc_atomic_load_relaxed(&g->refs), w;

	for (;;) {
		/* ORDER: full CAS. Each part's reads of the generations
		 * come before its decrement, and the last decrement, which
		 * sees every other one, before the unpin that lets the
		 * generations go: no part reads a generation given back. */
		w = hc_atomic_cas_full(&g->refs, v, v - 1);
		if (w == v)
			return v == 1;
		v = w;
	}
}

struct hc_iter {
	struct hc_table *t;
	struct hc_iter_pin *grp; /* NULL: a compact file */
	struct hc__gv gv[2]; /* older, newer (same if no growth at start) */
	int passes; /* 1, or 2 while a growth was in flight at the start */
	int pass;
	uint64_t pos; /* next slot or dense counter */
	unsigned part, parts; /* this walk's share: one slot range */
	uint64_t hi; /* the end of the range in this pass */
	int zero_done; /* u64 kind: header zero_count reported */
	uint64_t cb, ci, co; /* compact: bucket, entry, overflow cursor */
};

/* Slot @part * @cap / @parts: where part @part of a pass begins. */
static uint64_t part_start(uint64_t cap, unsigned part, unsigned parts)
{
	return (uint64_t)((unsigned __int128)cap * part / parts);
}

/* Start pass it->pass: its range of slots. */
static void pass_start(struct hc_iter *it)
{
	uint64_t cap = it->gv[it->pass].capacity;

	it->pos = part_start(cap, it->part, it->parts);
	it->hi = part_start(cap, it->part + 1, it->parts);
}

int hc_iter_create(const hc_table *t, hc_iter **out)
{
	return hc_iter_create_parts(t, 1, out);
}

/* Free @its[0..parts) of a creation that failed: none left to the
 * caller. */
static void free_parts(hc_iter **its, unsigned parts)
{
	for (unsigned p = 0; p < parts; p++) {
		free(its[p]);
		its[p] = NULL;
	}
}

int hc_iter_create_parts(const hc_table *t, unsigned parts, hc_iter **its)
{
	struct hc_iter *it;
	unsigned cur, top;
	int rc = HC_OK;

	if (!t || !its || !parts || parts > HC_ITER_PARTS_MAX)
		return HC_EINVAL;
	for (unsigned p = 0; p < parts; p++) {
		its[p] = calloc(1, sizeof(*it));
		if (!its[p]) {
			while (p--) {
				free(its[p]);
				its[p] = NULL;
			}
			return HC_ENOMEM;
		}
	}
	/* The handle may map a generation published since it was opened,
	 * and a writable one helps a migration in flight to its end
	 * (hc__walk_bounds); the keys are only read.  Each part pins, as a
	 * walk does, before the generations are read, once for all of
	 * them. */
	it = its[0];
	it->t = (struct hc_table *)t;
	it->zero_done = !(t->ops->flags & HC_KIND_ZERO) || t->cx;
	it->passes = 1;
	if (!t->cx) {
		it->grp = malloc(sizeof(*it->grp));
		if (!it->grp) {
			free_parts(its, parts);
			return HC_ENOMEM;
		}
		/* ORDER: relaxed. Seen by the parts' threads through their
		 * creation, which orders it. */
		hc_atomic_store_relaxed(&it->grp->refs, parts);
		it->grp->pin = hc__pin(it->t);
		it->grp->pid = hc__pid();
		rc = hc__walk_bounds(it->t, &cur, &top);
		if (!rc)
			rc = hc__gen_view(it->t, cur, &it->gv[0]);
		if (!rc && top != cur) {
			rc = hc__gen_view(it->t, top, &it->gv[1]);
			it->passes = 2;
		}
		if (rc) {
			hc__unpin(it->t, it->grp->pin);
			free(it->grp);
			free_parts(its, parts);
			return rc;
		}
	}
	for (unsigned p = 0; p < parts; p++) {
		struct hc_iter *q = its[p];

		if (p) {
			*q = *it;
			q->zero_done = 1; /* the zero key is part 0's */
		}
		q->part = p;
		q->parts = parts;
		if (!t->cx)
			pass_start(q);
		else if (p)
			q->pass = q->passes; /* a compact file: all in part 0 */
	}
	return HC_OK;
}

void hc_iter_destroy(hc_iter *it)
{
	/* A forked child's copy of an iterator leaves the pin to the
	 * process that took it. */
	if (it && it->grp && pin_let_go(it->grp)) {
		if (it->grp->pid == hc__pid())
			hc__unpin(it->t, it->grp->pin);
		free(it->grp);
	}
	free(it);
}

int hc_iter_next(hc_iter *it, hc_entry *e)
{
	const struct hc_table *t;

	if (!it || !e)
		return HC_EINVAL;
	t = it->t;
	if (t->cx && it->pass == it->passes)
		return 0; /* a compact file's part other than 0 */
	if (t->cx && t->cx->keys) /* byte keys in ascending byte order */
		return hc__cbytes_next(t, &it->pos, &it->ci, &it->co, e);
	if (t->cx) /* in hash order: sorted, not slot order */
		return hc__compact_next(t, &it->pos, &it->cb, &it->ci, &it->co,
					e);
	if (!it->zero_done) {
		/* ORDER: relaxed. A count publishes nothing (design.md G3). */
		uint64_t c = hc_atomic_load_relaxed(&t->hdr->zero_count) &
			     t->count_mask;

		it->zero_done = 1;
		if (c) {
			hc__entry_set(e, hc__unmix64(0, t->seed), NULL, 0, c);
			return 1;
		}
	}
	/* The kind walks the pass from it->pos to its next entry before the
	 * part's end; in pass 2 it skips the keys that generation gv[0]
	 * holds (M4). */
	while (it->pass < it->passes) {
		int rc = t->ops->next(t, &it->gv[it->pass],
				      it->pass ? &it->gv[0] : NULL, &it->pos,
				      it->hi, e);

		if (rc < 0) {
			it->pass = it->passes; /* stop the walk */
			return rc;
		}
		if (rc)
			return rc;
		if (++it->pass < it->passes)
			pass_start(it);
	}
	return 0;
}

int hc_table_view(const hc_table *t, hc_view *v)
{
	struct hc_table *w = (struct hc_table *)t; /* may map more */
	uint64_t pid = hc__pid();
	struct hc__gv g;
	size_t size;
	int rc;

	if (!t || !v || v->size < sizeof(hc_view))
		return HC_EINVAL;
	if (t->cx) {
		/* A compact file has no slots to show (format.md, "Compact
		 * files"): the kind and seed only, every region NULL. */
		size = v->size;
		memset(v, 0, sizeof(*v));
		v->size = size;
		v->key_kind = t->kind;
		v->seed = t->seed;
		if (t->ops->flags & HC_KIND_ZERO)
			v->zero_key = hc__unmix64(0, t->seed);
		return HC_OK;
	}
	size = v->size;
	memset(v, 0, sizeof(*v));
	v->size = size;
	v->key_kind = t->kind;
	v->seed = t->seed;
	/* The current generation (dense: the counters); a growth in flight
	 * is helped to its end first where the handle may write (M5).  The
	 * pointers stay valid until close: the first view of this process
	 * pins the generation it shows, and every later one, until
	 * hc_table_close() (design.md M9). */
	pthread_mutex_lock(w->map_lock);
	if (w->grows && (!w->view_pin || w->view_pin_pid != pid)) {
		w->view_pin = hc__pin(w);
		w->view_pin_pid = pid;
	}
	pthread_mutex_unlock(w->map_lock);
	rc = hc__view_now(w, &g, t->writable, 0);
	if (rc)
		return rc;
	v->capacity = g.capacity;
	v->slot_size = g.ssize;
	v->slots = (const void *)g.slots;
	if (t->ops->flags & HC_KIND_ZERO) {
		v->zero_count = (const uint64_t *)&t->hdr->zero_count;
		v->zero_key = hc__unmix64(0, t->seed);
	}
	v->arena = t->arena;
	v->arena_bytes = t->arena_bytes;
	return HC_OK;
}
