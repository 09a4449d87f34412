/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the one place that picks the key kind and geometry of a new
 * table for a job.  `count`, `merge`, the model's reductions and Python
 * call hck_plan_table().
 *
 * Sizing (everything below that depends on how many keys a job expects)
 * is here and nowhere else, so that it can be cut to a starting size
 * once tables grow by themselves.
 */
#include <string.h>

#include "hck_internal.h"

/* Load a table is sized for: slots = keys / LOAD + SLACK. */
#define LOAD 0.75
#define SLACK 1024
/* Keys planned for when the job does not know. */
#define DEFAULT_KEYS (UINT64_C(1) << 20)
/* Fewest count bits a packed slot must keep (counts above a million
 * overflow to a side area: keep that rare). */
#define PACKED_COUNT_BITS_MIN 20u

void hck_plan_in_init(hck_plan_in *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->mode = HC_MODE_EXACT;
}

/*
 * Whether integer keys of @kbits bits go in packed 8-byte slots of a
 * table of @cap slots.  hogcount.h (hc_options.key_bits) documents the
 * count field of a packed slot: 52 - max(0, key_bits - floor(log2
 * capacity)) bits.
 */
static int packed_fits(unsigned kbits, uint64_t cap)
{
	unsigned l = 63u - (unsigned)__builtin_clzll(cap);
	unsigned q = kbits > l ? kbits - l : 0;

	return kbits <= 62 && q <= 52 && 52 - q >= PACKED_COUNT_BITS_MIN;
}

int hck_plan_table(const hck_meta *m, const hck_plan_in *in, hck_plan *out)
{
	hc_options *o;
	uint64_t keys, cap, per;
	unsigned kbits, dbits;

	if (hck_meta_check(m) || !in || in->size < sizeof(*in) || !out ||
	    out->size < sizeof(*out))
		return HC_EINVAL;
	o = &out->opt;
	hc_options_init(o);
	o->mode = in->mode ? in->mode : HC_MODE_EXACT;
	keys = in->keys ? in->keys : DEFAULT_KEYS;
	cap = (uint64_t)((double)keys / LOAD) + SLACK;
	if (in->max_capacity && cap > in->max_capacity)
		cap = in->max_capacity;
	if (cap > HC_CAPACITY_MAX)
		cap = HC_CAPACITY_MAX;
	out->size_hint = (uint64_t)((double)cap * LOAD);
	/* Width of an integer key: 2 bits a base, 8 a byte. */
	kbits = hck_key_bits(m);
	/* Dense counters: keys of up to 4 bytes or 16 bases. */
	dbits = m->tokens == HCK_DNA || (m->tokens == HCK_BYTES && m->k <= 4)
			? kbits
			: 64;
	if (dbits <= 16 || (dbits <= HC_DENSE_BITS_MAX &&
			    (UINT64_C(8) << dbits) <= cap * 16)) {
		/* The key space is small next to the table it would take. */
		o->key_kind = HC_KEY_DENSE;
		o->dense_bits = dbits;
	} else if (!hck_int_keys(m)) {
		per = in->key_bytes	       ? in->key_bytes
		      : m->tokens == HCK_WORDS ? 16 + 8 * (uint64_t)m->k
					       : 8 + ((m->k + 7) & ~7u);
		o->key_kind = HC_KEY_BYTES;
		o->capacity = cap;
		o->arena_bytes = in->arena_bytes
					 ? (in->arena_bytes + 7) & ~UINT64_C(7)
					 : cap * per;
	} else if (!in->wide && packed_fits(kbits, cap)) {
		o->key_kind = HC_KEY_PACKED;
		o->key_bits = kbits;
		o->capacity = cap;
	} else {
		o->key_kind = HC_KEY_U64;
		o->capacity = cap;
	}
	return HC_OK;
}

int hck_table_create(hc_table **out, const hck_meta *m, const hck_plan *p)
{
	int rc;

	if (!out || !p || hck_meta_check(m))
		return HC_EINVAL;
	rc = hc_table_create(out, &p->opt);
	if (rc)
		return rc;
	rc = hck_meta_store(*out, m);
	if (rc) {
		hc_table_close(*out);
		*out = NULL;
	}
	return rc;
}
