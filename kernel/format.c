/* SPDX-License-Identifier: MIT */
/*
 * format.c - the table header: options to geometry, writing it, and the
 * checks every open runs before it touches a slot (docs/format.md).
 */
#include <stddef.h>
#include <string.h>

#include "hc_internal.h"

void hc_options_init_size(hc_options *opt, size_t size)
{
	hc_options def;

	if (!opt || size < HC__OPTIONS_MIN)
		return;
	memset(&def, 0, sizeof(def));
	def.key_kind = HC_KEY_U64;
	def.mode = HC_MODE_EXACT;
	def.capacity = 0; /* no size given: grow from small (AUTO) */
	def.grow = HC_GROW_AUTO;
	/* A caller built against a later header: its fields default to 0. */
	if (size > sizeof(def))
		memset((char *)opt + sizeof(def), 0, size - sizeof(def));
	memcpy(opt, &def, size < sizeof(def) ? size : sizeof(def));
	opt->size = size;
}

/* Fields are appended, never moved: the first of them stay where 0.1
 * put them, and a caller's struct is never shorter than 0.1's. */
_Static_assert(offsetof(hc_options, max_bits) == 52, "0.1 layout");
_Static_assert(offsetof(hc_options, perm) == HC__OPTIONS_MIN, "appended");

int hc__options_read(const hc_options *opt, hc_options *o)
{
	size_t i;

	hc_options_init(o);
	if (!opt)
		return HC_OK;
	if (opt->size < HC__OPTIONS_MIN || opt->size > HC__OPTIONS_MAX)
		return HC_EINVAL;
	/* Fields this library does not know must be left at 0. */
	for (i = sizeof(*o); i < opt->size; i++)
		if (((const unsigned char *)opt)[i])
			return HC_EINVAL;
	memcpy(o, opt, opt->size < sizeof(*o) ? opt->size : sizeof(*o));
	o->size = sizeof(*o);
	return HC_OK;
}

uint64_t hc__header_check(const struct hc__header *h)
{
	return hc__hash_bytes(h, offsetof(struct hc__header, check), HC_MAGIC);
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/*
 * The kinds: enum hc_key_kind to its table of operations.  The one place
 * that names every kind; to add one, write kernel/kind_<name>.c and add
 * its line here (design.md, "Kinds").
 */
static const struct hc__kind *const kinds[] = {
	[HC_KEY_U64] = &hc__kind_u64,	    [HC_KEY_BYTES] = &hc__kind_bytes,
	[HC_KEY_DENSE] = &hc__kind_dense,   [HC_KEY_PACKED] = &hc__kind_packed,
	[HC_KEY_NARROW] = &hc__kind_narrow,
};

const struct hc__kind *hc__kind_of(int kind)
{
	if (kind < 0 || (size_t)kind >= sizeof(kinds) / sizeof(kinds[0]))
		return NULL;
	return kinds[kind];
}

/* Capacity and probe limit of a hashed kind; -1 if the capacity is out
 * of range. */
static int hashed_layout(uint64_t cap, struct hc__header *h,
			 uint32_t probe_limit)
{
	if (cap == 0 || cap > HC_CAPACITY_MAX)
		return -1;
	h->capacity = cap;
	h->max_probe = cap < probe_limit ? (uint32_t)cap : probe_limit;
	return 0;
}

/* The growth policy of @opt into @h (after the capacity is known). */
static int grow_policy(const hc_options *opt, int grows, struct hc__header *h)
{
	int pct = opt->grow > 0 ? opt->grow : HC_GROW_ON;
	uint64_t max;

	if (pct < 5 || pct > 95 || opt->max_bits > 40)
		return HC_EINVAL;
	h->grow_load = (uint32_t)((uint64_t)pct * 65536 / 100);
	max = opt->max_bits ? UINT64_C(1) << opt->max_bits : 0;
	if (max && max < h->capacity)
		return HC_EINVAL;
	if (!grows) {
		h->max_capacity = h->capacity;
		return HC_OK;
	}
	h->max_capacity = max;
	return HC_OK;
}

/* Fill the immutable fields of @h from @opt (validated here). */
int hc__layout(const hc_options *in, struct hc__header *h)
{
	hc_options o;
	const hc_options *opt = &o;
	const struct hc__kind *k;
	uint64_t slots_bytes, arena = 0, cap;
	int grows, rc;

	rc = hc__options_read(in, &o);
	if (rc)
		return rc;
	if (o.perm && ((o.perm & 0600) != 0600 || (o.perm & ~0666u)))
		return HC_EINVAL;
	if (opt->mode != HC_MODE_EXACT && opt->mode != HC_MODE_HOGWILD)
		return HC_EINVAL;
	if (opt->grow != HC_GROW_OFF && (opt->grow < 0 || opt->grow > 95))
		return HC_EINVAL;
	k = hc__kind_of(opt->key_kind);
	if (!k)
		return HC_EINVAL;
	grows = hc__kind_grows(k) &&
		(opt->grow > 0 ||
		 (opt->grow == HC_GROW_AUTO && opt->capacity == 0));
	cap = opt->capacity;
	if (cap == 0)
		cap = grows ? HC_GROW_START : HC_DEFAULT_CAPACITY;

	memset(h, 0, sizeof(*h));
	h->slot_size = k->slot_size;
	if (k->layout) {
		rc = k->layout(opt, grows, &cap, h);
		if (rc)
			return rc;
	}
	if (k->probe_limit && hashed_layout(cap, h, k->probe_limit))
		return HC_EINVAL;
	h->slot_size = (uint32_t)hc__slot_bytes(k, h->key_bits, h->capacity);
	rc = grow_policy(opt, grows, h);
	if (rc)
		return rc;
	if (k->area) {
		rc = k->area(opt, grows, cap, h, &arena);
		if (rc)
			return rc;
	}
	slots_bytes = h->capacity * h->slot_size;

	h->magic = HC_MAGIC;
	h->version = HC_FORMAT_VERSION;
	h->header_size = HC_HEADER_SIZE;
	h->byte_order = HC_BYTE_ORDER_PROBE;
	h->word_size = sizeof(uint64_t);
	h->key_kind = (uint32_t)opt->key_kind;
	h->mode = (uint32_t)opt->mode;
	h->seed = opt->seed ? opt->seed : HC_DEFAULT_SEED;
	h->slots_offset = HC_HEADER_SIZE;
	h->slots_bytes = slots_bytes;
	h->arena_offset =
		arena ? round_up(HC_HEADER_SIZE + slots_bytes, 64) : 0;
	h->arena_bytes = arena;
	h->total_bytes =
		arena ? h->arena_offset + arena : HC_HEADER_SIZE + slots_bytes;
	h->check = hc__header_check(h);
	/* Offset 0 of the key area is never handed out: a ref of 0 is empty. */
	h->arena_used = k->flags & HC_KIND_ARENA ? HC_ARENA_ENTRY_HDR : 0;
	h->obj_end = round_up(h->total_bytes, HC_PAGE);
	h->gens[0].slots_off = HC_HEADER_SIZE;
	/* Live, nobody registered yet: the creator registers (seal.c). */
	h->seal = HC_SEAL_WORD(HC_SEAL_TAG_LIVE, UINT64_C(0), UINT64_C(0));
	return HC_OK;
}

/*
 * Validate a header read from a file or shared object of @avail bytes.
 * Reads only the first HC_HEADER_SIZE bytes, which the caller guarantees
 * are mapped.  Order matters: first what identifies the format (so a
 * foreign file says EVERSION rather than ECORRUPT), then the checksum,
 * then every size against every other and against @avail.
 */
int hc__header_validate(const struct hc__header *h, uint64_t avail)
{
	const struct hc__kind *k;
	uint64_t end;

	if (avail < HC_HEADER_SIZE || h->magic != HC_MAGIC)
		return HC_ECORRUPT;
	if (h->byte_order != HC_BYTE_ORDER_PROBE ||
	    h->word_size != sizeof(uint64_t) || h->version != HC_FORMAT_VERSION)
		return HC_EVERSION;
	if (h->check != hc__header_check(h))
		return HC_ECORRUPT;
	if (h->header_size != HC_HEADER_SIZE ||
	    h->slots_offset != HC_HEADER_SIZE)
		return HC_ECORRUPT;
	for (size_t i = 0; i < sizeof(h->reserved0); i++)
		if (h->reserved0[i])
			return HC_ECORRUPT;
	if (h->mode != HC_MODE_EXACT && h->mode != HC_MODE_HOGWILD)
		return HC_ECORRUPT;

	k = hc__kind_of((int)h->key_kind);
	if (!k || h->capacity > HC_CAPACITY_MAX ||
	    h->slot_size != hc__slot_bytes(k, h->key_bits, h->capacity))
		return HC_ECORRUPT;
	if (k->probe_limit &&
	    (h->capacity == 0 || h->capacity > HC_CAPACITY_MAX ||
	     h->max_probe == 0 || h->max_probe > k->probe_limit ||
	     h->max_probe > h->capacity))
		return HC_ECORRUPT;
	/* capacity <= 2^40 and slot_size <= 16: no overflow. */
	if (h->capacity > HC_CAPACITY_MAX ||
	    h->slots_bytes != h->capacity * h->slot_size)
		return HC_ECORRUPT;
	/* The kind's geometry, and the area behind the slots. */
	if (k->validate(h))
		return HC_ECORRUPT;
	end = HC_HEADER_SIZE + h->slots_bytes;
	if (h->arena_bytes)
		end = h->arena_offset + h->arena_bytes;
	if (h->total_bytes != end)
		return HC_ECORRUPT;
	if (avail < end)
		return HC_ECORRUPT; /* truncated */
	if (h->user_len > HC_USER_MAX)
		return HC_ECORRUPT;
	/* Growth policy: max_capacity == capacity is a fixed table. */
	if (h->max_capacity != h->capacity) {
		if (!(k->flags & HC_KIND_GROWS) ||
		    (h->max_capacity && h->max_capacity < h->capacity) ||
		    h->max_capacity > HC_CAPACITY_MAX || h->grow_load < 3276 ||
		    h->grow_load > 62259)
			return HC_ECORRUPT;
	}
	return HC_OK;
}

/*
 * Copy the geometry of a validated header @h into the handle, before
 * anything is mapped (hc__reserve needs the growth policy).  @fd is the
 * object behind the table, or -1: a table needs one to grow.
 */
void hc__table_geom(struct hc_table *t, const struct hc__header *h, int fd)
{
	t->kind = (int)h->key_kind;
	t->ops = hc__kind_of(t->kind);
	t->mode = (int)h->mode;
	t->capacity = h->capacity;
	t->seed = h->seed;
	t->max_probe = h->max_probe;
	t->max_capacity = h->max_capacity ? h->max_capacity : HC_CAPACITY_MAX;
	t->grow_load = h->grow_load;
	t->grows = h->max_capacity != h->capacity && fd >= 0 &&
		   hc__kind_grows(t->ops);
	/* The layout follows the header: a table created to grow keeps its
	 * frozen bits even where this handle cannot grow it (no fd). */
	t->count_mask =
		h->max_capacity != h->capacity ? HC_COUNT_MASK : ~UINT64_C(0);
	if (t->ops->geom)
		t->ops->geom(t, h);
}

/* Point the handle at its mapping (hc__table_geom() came first). */
int hc__table_bind(struct hc_table *t, unsigned char *base, uint64_t bytes)
{
	struct hc__header *h = (struct hc__header *)base;

	t->base = base;
	t->map_bytes = bytes;
	t->hdr = h;
	t->arena_bytes = 0;
	t->slots = NULL;
	t->dense = NULL;
	t->arena = NULL;
	t->packed = NULL;
	t->ovf = NULL;
	t->ops->bind(t, base, h);
	return HC_OK;
}

int hc_table_options_size(const hc_table *t, hc_options *out, size_t size)
{
	hc_options o, *opt = &o;
	unsigned cur, top;

	if (!t || !out || size < HC__OPTIONS_MIN || size > HC__OPTIONS_MAX)
		return HC_EINVAL;
	hc_options_init(opt);
	opt->key_kind = t->kind;
	opt->mode = t->mode;
	if (hc__gen_bounds(t, &cur, &top))
		cur = 0;
	opt->capacity = hc__gen_cap(t, cur);
	opt->grow = HC_GROW_OFF;
	if (t->cx) {
		/* A compact file reports the table it was saved from. */
		opt->grow = t->cx->hdr->src_grow;
		opt->max_bits = t->cx->hdr->src_max_bits;
	} else if (t->grows) {
		int pct = (int)((t->grow_load * UINT64_C(100) + 32768) / 65536);

		opt->grow = pct < 5 ? 5 : pct > 95 ? 95 : pct;
		if (t->max_capacity < HC_CAPACITY_MAX)
			opt->max_bits = 63u - (unsigned)__builtin_clzll(
						      t->max_capacity);
	}
	if (t->ops->options)
		t->ops->options(t, opt);
	opt->arena_bytes = t->arena_bytes;
	opt->seed = t->seed;
	/* A caller's struct longer than ours: its later fields are 0. */
	if (size > sizeof(o))
		memset((char *)out + sizeof(o), 0, size - sizeof(o));
	memcpy(out, &o, size < sizeof(o) ? size : sizeof(o));
	out->size = size;
	return HC_OK;
}

int hc_table_set_user(hc_table *t, const void *buf, size_t len)
{
	if (!t || len > HC_USER_MAX || (len && !buf))
		return HC_EINVAL;
	if (!t->writable)
		return HC_ERDONLY;
	if (len)
		memcpy(t->hdr->user, buf, len);
	t->hdr->user_len = (uint32_t)len;
	return HC_OK;
}

int hc_table_get_user(const hc_table *t, void *buf, size_t cap, size_t *len)
{
	uint32_t n;

	if (!t || !len)
		return HC_EINVAL;
	n = t->hdr->user_len;
	if (n > HC_USER_MAX)
		return HC_ECORRUPT;
	*len = n;
	if (cap < n || (n && !buf))
		return HC_EINVAL;
	if (n)
		memcpy(buf, t->hdr->user, n);
	return HC_OK;
}
