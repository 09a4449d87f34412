/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the one place that picks the key kind and geometry of a new
 * table for a job.  `count`, `merge`, the model's reductions and Python
 * call hck_plan_table(); `count` and hogcount-mpi also take the limit
 * of --max-size (hck_plan_max_capacity) and the size of the ranges
 * input files are cut into (hck_plan_chunk) from here.
 *
 * Tables grow by themselves (design.md M1-M10), so the plan picks the
 * kind and only a STARTING size: the caller's hint of distinct keys, or
 * START slots when it has none.  Every hashed table it plans grows at
 * GROW_LOAD percent (HC_GROW_ON): a doubling leaves the load at half of
 * that, so a finished table is at least 0.4 full once it has grown.
 * Narrow tables of k-mers with k >= 23, whose slots stay 8 bytes, grow
 * at NARROW_WIDE_GROW_LOAD (90) instead: their probe has room to fill
 * further, and a k-mer table's last generation is most of the memory
 * of a count (real 31-mers: 1.5 x 2^26 slots where 0.8 took 1.75).
 *
 * The starting size of a packed table.  A packed slot that may grow
 * gives one bit to the frozen flag, so its count field is 51 - q bits,
 * q = key_bits - floor(log2(capacity)) (kernel/packed.c), fixed at
 * creation whatever the table grows to.  The plan wants at least
 * PACKED_COUNT_BITS_MIN of them, so it starts a packed table at no fewer
 * than 2^(key_bits - 31) slots: 2^11 for k = 21 k-mers (42 bits), 2^17
 * (1 MiB) for 6-byte fragments.  Where that start would exceed
 * PACKED_START_MAX slots (keys over 51 bits: k-mers of k >= 26, 7-byte
 * fragments) the table has u64 slots instead, which start small.
 *
 * k-mers take none of this: they go in narrow slots (HC_KEY_NARROW),
 * which start small at every k, take 4 bytes once the table is large
 * where k <= 22, and send what passes their small count fields to an
 * overflow area that grows with the table (design.md, "Narrow slots").
 *
 * Unless the caller's hint of distinct keys says the table will be that
 * large anyway: then a packed table keeps PACKED_COUNT_BITS_HINTED
 * count bits (the kernel's least) and starts at 2^(key_bits - 35)
 * slots, or at the hinted size if larger, wherever that start is less
 * than twice the hinted size, so that its 8-byte slots never take more
 * than the 16-byte slots of the u64 table it replaces: 2^27 slots (1 GiB
 * instead of 2 GiB or more) for 31-mers with a hint of 50 M keys or
 * more.  Counts of 2^16 and up continue in the overflow area, of
 * capacity / 256 entries (half a million at that start).
 */
#include <string.h>

#include "hck_internal.h"

/* Load a hinted table is sized for: slots = keys / LOAD + SLACK. */
#define LOAD 0.75
#define SLACK 1024
/* Slots of a table when the job gives no hint (8 or 16 KiB of slots). */
#define START (UINT64_C(1) << 10)
/* Load in percent at which a table doubles. */
#define GROW_LOAD HC_GROW_ON
/* Fewest count bits a packed slot must keep (counts above a million
 * overflow to a side area: keep that rare). */
#define PACKED_COUNT_BITS_MIN 20u
/* The largest start a packed table may need for its count field: 2^20
 * slots, 8 MiB. */
#define PACKED_START_MAX (UINT64_C(1) << 20)
/* Fewest count bits of a packed table started at the size of a hint. */
#define PACKED_COUNT_BITS_HINTED 16u
/* The narrow kind's narrowest keys, and the widest that reach 4-byte
 * slots (hogcount.h, HC_KEY_NARROW). */
#define NARROW_KEY_BITS_MIN 16u
#define NARROW_KEY_BITS_4B 44u
/* Load in percent at which a narrow table whose slots stay 8 bytes
 * grows.  Their probe goes 255 buckets of 16 slots, which fill at a
 * load of 0.94; 4-byte slots go 15 buckets, full near 0.75 at 2^26
 * slots (docs/design.md, "Narrow slots"), so tables that reach them
 * grow at GROW_LOAD. */
#define NARROW_WIDE_GROW_LOAD 90

void hck_plan_in_init(hck_plan_in *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->mode = HC_MODE_EXACT;
}

/*
 * Whether integer keys of @kbits bits go in packed 8-byte slots of a
 * growing table of @cap slots.  hogcount.h (hc_options.key_bits)
 * documents the count field of a packed slot: 52 - max(0, key_bits -
 * floor(log2 capacity)) bits, less the frozen bit of a table that grows.
 */
static int packed_fits(unsigned kbits, uint64_t cap)
{
	unsigned l = 63u - (unsigned)__builtin_clzll(cap);
	unsigned q = kbits > l ? kbits - l : 0;

	return kbits <= 62 && q <= 51 && 51 - q >= PACKED_COUNT_BITS_MIN;
}

/* The fewest slots a growing packed table of @kbits-bit keys starts
 * with to keep @cbits count bits. */
static uint64_t packed_start_for(unsigned kbits, unsigned cbits)
{
	unsigned q = 51u - cbits;

	return kbits > q ? UINT64_C(1) << (kbits - q) : 1;
}

static uint64_t packed_start(unsigned kbits)
{
	return packed_start_for(kbits, PACKED_COUNT_BITS_MIN);
}

uint64_t hck__plan_start(uint64_t keys)
{
	uint64_t cap = keys ? (uint64_t)((double)keys / LOAD) + SLACK : START;

	return cap < HC_CAPACITY_MAX ? cap : HC_CAPACITY_MAX;
}

int hck_plan_table(const hck_meta *m, const hck_plan_in *in, hck_plan *out)
{
	hc_options *o;
	uint64_t cap, per, hinted;
	unsigned kbits, dbits;
	int sized;

	if (hck_meta_check(m) || !in || in->size < sizeof(*in) || !out ||
	    out->size < sizeof(*out))
		return HC_EINVAL;
	o = &out->opt;
	hc_options_init(o);
	o->mode = in->mode ? in->mode : HC_MODE_EXACT;
	o->grow = GROW_LOAD;
	cap = hck__plan_start(in->keys);
	if (in->max_capacity) {
		/* A limit: growth stops at the power of two that holds it. */
		uint64_t lim = in->max_capacity < HC_CAPACITY_MAX
				       ? in->max_capacity
				       : HC_CAPACITY_MAX;

		o->max_bits = 64u - (unsigned)__builtin_clzll((lim - 1) | 1);
		if (lim == 1)
			o->max_bits = 1;
		if (cap > (UINT64_C(1) << o->max_bits))
			cap = UINT64_C(1) << o->max_bits;
	}
	out->size_hint = (uint64_t)((double)cap * LOAD);
	/* u64 and byte keys with no size: capacity 0 lets the kernel start
	 * at its small size where it can grow, and at 2^20 slots where it
	 * cannot (no 16-byte CAS, design.md M8) rather than a fixed 1024. */
	sized = in->keys || o->max_bits;
	/* Width of an integer key: 2 bits a base, 8 a byte. */
	kbits = hck_key_bits(m);
	hinted = kbits <= 62 ? packed_start_for(kbits, PACKED_COUNT_BITS_HINTED)
			     : 0;
	/* Dense counters: keys of up to 4 bytes or 16 bases. */
	dbits = m->tokens == HCK_DNA || (m->tokens == HCK_BYTES && m->k <= 4)
			? kbits
			: 64;
	if (dbits <= 16 || (dbits <= HC_DENSE_BITS_MAX && in->keys &&
			    (UINT64_C(8) << dbits) <= cap * 16)) {
		/* The key space is small next to the table it would take. */
		o->key_kind = HC_KEY_DENSE;
		o->dense_bits = dbits;
	} else if (!hck_int_keys(m)) {
		per = in->key_bytes	       ? in->key_bytes
		      : m->tokens == HCK_WORDS ? 16 + 8 * (uint64_t)m->k
					       : 8 + ((m->k + 7) & ~7u);
		o->key_kind = HC_KEY_BYTES;
		o->capacity = sized ? cap : 0;
		o->arena_bytes = in->arena_bytes
					 ? (in->arena_bytes + 7) & ~UINT64_C(7)
				 : sized ? cap * per
					 : 0;
	} else if (!in->wide && m->tokens == HCK_DNA &&
		   kbits >= NARROW_KEY_BITS_MIN && kbits <= 62) {
		/* k-mers of k = 9..31: narrow slots, 4 bytes once the table
		 * is large (k <= 22), from a small start at every k. */
		o->key_kind = HC_KEY_NARROW;
		o->key_bits = kbits;
		if (kbits > NARROW_KEY_BITS_4B)
			o->grow = NARROW_WIDE_GROW_LOAD;
		o->capacity = sized ? cap : 0;
	} else if (!in->wide && packed_start(kbits) <= PACKED_START_MAX &&
		   (!o->max_bits ||
		    packed_start(kbits) <= UINT64_C(1) << o->max_bits)) {
		o->key_kind = HC_KEY_PACKED;
		o->key_bits = kbits;
		o->capacity =
			cap > packed_start(kbits) ? cap : packed_start(kbits);
		if (!packed_fits(kbits, o->capacity))
			return HC_EINVAL; /* not reached */
	} else if (!in->wide && in->keys && hinted && hinted < 2 * cap &&
		   (!o->max_bits || hinted <= UINT64_C(1) << o->max_bits)) {
		o->key_kind = HC_KEY_PACKED;
		o->key_bits = kbits;
		o->capacity = cap > hinted ? cap : hinted;
	} else {
		o->key_kind = HC_KEY_U64;
		o->capacity = sized ? cap : 0;
	}
	return HC_OK;
}

uint64_t hck_plan_max_capacity(uint64_t max_keys)
{
	/* max_keys * 100 / GROW_LOAD + 1, without overflow. */
	return max_keys / GROW_LOAD * 100 +
	       max_keys % GROW_LOAD * 100 / GROW_LOAD + 1;
}

/* Ranges a worker: enough that the last ones even out the finish. */
#define CHUNKS_PER_WORKER 16

uint64_t hck_plan_chunk(uint64_t total_bytes, uint64_t workers)
{
	uint64_t chunk =
		total_bytes / ((workers ? workers : 1) * CHUNKS_PER_WORKER);

	if (chunk < HCK_CHUNK_MIN)
		return HCK_CHUNK_MIN;
	return chunk > HCK_CHUNK_MAX ? HCK_CHUNK_MAX : chunk;
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
