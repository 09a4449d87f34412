/* SPDX-License-Identifier: MIT */
/*
 * hc_internal.h - the shared layout and the hc__ functions kernel files
 * share.  docs/format.md is the prose for every field below; changing the
 * layout bumps HC_FORMAT_VERSION (include/hogcount.h).
 *
 * MAPPING (format 2; docs/format.md)
 *
 *   0           4096                arena_offset     total_bytes   ...
 *   +-----------+-------------------+----------------+-------------+----
 *   | hc__header| generation 0      | key area /     | gen 1 slots | gen 2
 *   | (one page)| slots             | packed overflow| + gen 0     | ...
 *   |           |                   |                | block marks |
 *   +-----------+-------------------+----------------+-------------+----
 *
 * A table that grows appends one region per generation at the end of the
 * object (reserved by a fetch-and-add on hdr->obj_end, published by a CAS
 * of gens[g].slots_off); nothing ever moves.  Each handle maps the object
 * at base + file offset inside one address range reserved at open.
 *
 * Hashed slot (16 bytes, four per cache line):
 *   word  u64 kind:   mix64(key, seed), a bijection; 0 = empty.  The one
 *                     key whose mix is 0 counts in header.zero_count.
 *         bytes kind: tag(low 24 bits of hash) << 40 | (arena offset / 8);
 *                     0 = empty (offset 0 of the arena is never used).
 *   count the key's count in bits 0..62; bit 63 is HC_FROZEN (migration).
 *
 * Arena entry at an 8-aligned offset: u32 len, u32 hash low bits, then
 * len bytes, padded to 8.
 */
#ifndef HC_INTERNAL_H
#define HC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hogcount.h"
#include "hc_atomic.h"

#define HC_MAGIC UINT64_C(0x544e554f43474f48) /* "HOGCOUNT" little-endian */
#define HC_BYTE_ORDER_PROBE UINT64_C(0x0102030405060708)
#define HC_HEADER_SIZE 4096u
#define HC_SLOT_SIZE 16u
#define HC_DENSE_SLOT_SIZE 8u
#define HC_PROBE_LIMIT 65536u /* longest probe path of a hashed table */
#define HC_ARENA_ENTRY_HDR 8u
#define HC_REF_OFFSET_BITS 40
#define HC_REF_OFFSET_MASK ((UINT64_C(1) << HC_REF_OFFSET_BITS) - 1)
#define HC_ARENA_MAX (UINT64_C(8) << HC_REF_OFFSET_BITS) /* 8 TiB */
/* Bits of the bytes left in a handle's block of the key area (arena.c);
 * the offset takes the other 64 - HC_ARENA_BLK_SHIFT >= 43. */
#define HC_ARENA_BLK_SHIFT 21u
#define HC_DEFAULT_CAPACITY (UINT64_C(1) << 20) /* fixed tables, no size */
#define HC_GROW_START 1024u /* growing tables given no size */
#define HC_GEN_MAX 44u /* generations: 1 slot to 2^40 is 41 doublings */
/* A generation's capacity is a rung of a ladder with HC_RUNG_STEPS
 * rungs a doubling (grow.c: rung_cap); the slots_off and slots_claim
 * words of generation g carry 4 g - its rung (0 for a table that only
 * doubled) in their low bits, below the page the offset is a multiple
 * of. */
#define HC_RUNG_STEPS 4u
/* hc_table_set_progress(): samples a handle keeps, one each 1/1024 of
 * the work, so the last 1/16 of it. */
#define HC_PROG_SAMPLES 64u
#define HC_RUNG_MASK (HC_PAGE - 1u)
#define HC_MIG_BLOCK 4096u /* slots per migration block */
#define HC_PAGE 4096u
#define HC_PINS 40u /* pin slots in the header (M9) */
#define HC_PIN_GEN_MASK UINT64_C(0x7f) /* a pin's generation */
/* A pin's helping bit: its operation goes into its generation only to
 * help the migration out of it, and may let finished blocks be given
 * back under it (M9, "Blocks given back during a migration"). */
#define HC_PIN_HELP UINT64_C(0x80)
#define HC_FROZEN (UINT64_C(1) << 63) /* count word: slot is being moved */
#define HC_COUNT_MASK (HC_FROZEN - 1)

/*
 * The seal word (header offset 664; docs/format.md, "Seal"): a tag in
 * bits 48..63, an epoch in bits 16..47 (bumped by every writer that
 * registers), the number of registered writers in bits 0..15.  0 is a
 * file of format 2.0, which has no seal.  The three tags differ from
 * each other and from 0 in both bytes, so no one-byte change turns a
 * sealed word into a live one.
 */
#define HC_SEAL_TAG_SHIFT 48
#define HC_SEAL_TAG_LIVE UINT64_C(0xa5c3) /* writers registered or not */
#define HC_SEAL_TAG_SEALING UINT64_C(0x3ca5) /* last writer writing sums */
#define HC_SEAL_TAG_SEALED UINT64_C(0x5a96) /* sums valid, no writer */
#define HC_SEAL_WRITERS_MASK UINT64_C(0xffff)
#define HC_SEAL_EPOCH_MASK (UINT64_C(0xffffffff) << 16)
#define HC_SEAL_TAG(w) ((w) >> HC_SEAL_TAG_SHIFT)
#define HC_SEAL_WORD(tag, epoch_bits, writers) \
	((tag) << HC_SEAL_TAG_SHIFT | (epoch_bits) | (writers))
/* Internal status: the slot is frozen, help the migration and retry. */
#define HC__EMIGRATE (-1000)
/* Internal status: the file system has no fallocate() (region.c). */
#define HC__ENOTSUP (-1001)
/* Internal status: a region was claimed for another rung (grow.c). */
#define HC__ERETRY (-1002)
/* hc__back() @mode: a range nobody else can reach (zeros are written
 * where fallocate is missing), a live range (nothing is reserved
 * there), or a claimed range (HC__ENOTSUP there). */
#define HC__BACK_LIVE 0
#define HC__BACK_FRESH 1
#define HC__BACK_CLAIMED 2
#define HC_DEFAULT_ARENA_PER_SLOT 32u
/* The alignment of a growable table's address range: a huge page. */
#define HC_HUGE_ALIGN (UINT64_C(1) << 21)

#define HC_DEFAULT_SEED UINT64_C(0x9e3779b97f4a7c15)

/* Batched adds hash this many keys, then prefetch and update them. */
#define HC_BATCH 256u
#define HC_PREFETCH_DIST 16u
_Static_assert(HC_BATCH > HC_PREFETCH_DIST, "a chunk spans the distance");

/* Packed kind (kind_packed.c): a slot is one word, | quotient | d + 1 | count |. */
#define HC_PACK_SLOT_SIZE 8u
#define HC_PACK_DISP_BITS 12u
#define HC_PACK_PROBE_LIMIT ((1u << HC_PACK_DISP_BITS) - 1u) /* 4095 */
#define HC_PACK_KEY_BITS_MAX 62u
#define HC_PACK_COUNT_BITS_MIN 16u

#define HC_PACK_OVF_MIN 1024u /* overflow slots: at least this many, */
#define HC_PACK_OVF_DIV 256u /* or one per this many slots */

/*
 * Narrow kind (kind_narrow.c): a slot is 4 bytes where the quotient
 * leaves room, else 8, chosen per generation; probes go a whole bucket
 * of HC_NARROW_BUCKET slots at a time, and a slot keeps its bucket's
 * distance, not its slot's: 4 bits of it in 4-byte slots (at most 15
 * buckets), 8 in 8-byte ones (255).
 */
#define HC_NARROW_BUCKET_LG 4u
#define HC_NARROW_BUCKET (1u << HC_NARROW_BUCKET_LG) /* slots */
#define HC_NARROW_DISP_BITS 4u
#define HC_NARROW_DISP_BITS_WIDE 8u
#define HC_NARROW_PROBE ((1u << HC_NARROW_DISP_BITS_WIDE) - 1u) /* most */
#define HC_NARROW_KEY_BITS_MIN 16u
#define HC_NARROW_KEY_BITS_MAX 62u
#define HC_NARROW_COUNT_BITS_MIN 7u
/* Keys whose 4-byte slots begin at most at 2^SWITCH_LG slots take them
 * there (and keep HC_NARROW_COUNT_BITS_MIN count bits before); wider keys
 * keep 8-byte slots, with every bit the quotient leaves for the count. */
#define HC_NARROW_SWITCH_LG 28u
#define HC_NARROW_OVF_DIV 64u /* overflow slots of a generation: 1 per */
#define HC_NARROW_OVF_MIN 256u /* this many slots, and at least these */

/* One generation's shared record: a cache line of its own. */
struct hc__gen_rec {
	hc_aword slots_off; /* 0 until published (CAS once): the region's
			     * file offset | 4 g - its rung (HC_RUNG_MASK) */
	hc_aword cursor; /* next migration block to hand out */
	hc_aword slots_claim; /* 0, or the offset | 4 g - rung claimed for g
			       * before slots_off publishes it (M2) */
	hc_aword claimed; /* keys claimed or copied here (flushed in batches) */
	hc_aword arena_off; /* bytes kind: file offset of key-area chunk g
			     * (g >= 1; 0 until published, CAS once) */
	uint64_t slots_sum; /* sealed: xxh3 of generation g's slots (seal.c) */
	uint64_t keys_sum; /* sealed: xxh3 of key-area chunk g (g = 0: or of
			    * the packed overflow area) */
	hc_aword arena_claim; /* 0, or the offset claimed for key-area chunk
			       * g before arena_off publishes it (M10) */
};
_Static_assert(sizeof(struct hc__gen_rec) == 64, "gen record size");

/*
 * The header.  Immutable fields (magic .. count_bits) are written once by
 * the creator before the mapping is shared and covered by @check.  Live
 * words sit on their own cache lines.
 */
struct hc__header {
	uint64_t magic; /* 0: HC_MAGIC */
	uint32_t version; /* 8: HC_FORMAT_VERSION */
	uint32_t header_size; /* 12: HC_HEADER_SIZE */
	uint64_t byte_order; /* 16: HC_BYTE_ORDER_PROBE */
	uint32_t word_size; /* 24: 8 */
	uint32_t slot_size; /* 28: 16, or 8 for dense and packed */
	uint32_t key_kind; /* 32: enum hc_key_kind */
	uint32_t mode; /* 36: enum hc_mode (default for hc_add) */
	uint32_t
		key_bits; /* 40: dense, packed: keys below 2^key_bits; else 0 */
	uint32_t max_probe; /* 44: longest probe path of generation 0 */
	uint64_t capacity; /* 48: slots of generation 0, or dense counters */
	uint64_t seed; /* 56: hash seed */
	uint64_t slots_offset; /* 64: HC_HEADER_SIZE */
	uint64_t slots_bytes; /* 72 */
	uint64_t arena_offset; /* 80: 0 if no key area */
	uint64_t arena_bytes; /* 88 */
	uint64_t total_bytes; /* 96: size of the object as created */
	uint64_t max_capacity; /* 104: largest capacity; 0 = unbounded */
	uint32_t grow_load; /* 112: grow at this load, in 1/65536 */
	uint32_t count_bits; /* 116: packed: width of the count field */
	uint64_t check; /* 120: hc__header_check() of bytes 0..119 */
	uint8_t reserved0[128]; /* 128: zero, for future immutable fields */
	hc_aword arena_used; /* 256: key-area bump pointer (bytes kind) */
	uint8_t pad1[56];
	hc_aword zero_count; /* 320: count of the u64 key whose mix is 0 */
	uint8_t pad2[56];
	uint32_t user_len; /* 384: application metadata length */
	uint32_t pad3;
	uint8_t user[HC_USER_MAX]; /* 392: hc_table_set_user() bytes */
	hc_aword freed; /* 648: generations below this were given back (M9) */
	hc_aword pin_over; /* 656: operations pinned without a pin slot */
	hc_aword seal; /* 664: 0 (format 2.0), or tag | epoch | writers:
			* the body checksums are valid iff tag = SEALED */
	uint64_t header_sum; /* 672: sealed: xxh3 of this page, this word 0 */
	hc_aword expect; /* 680: 0, or the keys the table is expected to end
			  * with (hc_table_set_progress; M1) */
	uint8_t reserved1[704 - 688]; /* 688: zero */
	hc_aword pins[HC_PINS]; /* 704: pid << 8 | generation, 0 = free (M9) */
	hc_aword cur; /* 1024: current generation (the oldest in use) */
	uint8_t pad4[56];
	hc_aword obj_end; /* 1088: end of the space handed out in the object */
	uint8_t pad5[184];
	struct hc__gen_rec gens[HC_GEN_MAX]; /* 1280 */
};

_Static_assert(sizeof(struct hc__header) == HC_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct hc__header, check) == 120, "check offset");
_Static_assert(offsetof(struct hc__header, max_capacity) == 104, "max_cap");
_Static_assert(offsetof(struct hc__header, arena_used) == 256, "arena_used");
_Static_assert(offsetof(struct hc__header, zero_count) == 320, "zero_count");
_Static_assert(offsetof(struct hc__header, user) == 392, "user offset");
_Static_assert(offsetof(struct hc__header, freed) == 648, "freed offset");
_Static_assert(offsetof(struct hc__header, seal) == 664, "seal offset");
_Static_assert(offsetof(struct hc__header, header_sum) == 672, "header_sum");
_Static_assert(offsetof(struct hc__header, pins) == 704, "pins offset");
_Static_assert(offsetof(struct hc__gen_rec, slots_sum) == 40, "slots_sum");
_Static_assert(offsetof(struct hc__gen_rec, keys_sum) == 48, "keys_sum");
_Static_assert(offsetof(struct hc__header, cur) == 1024, "cur offset");
_Static_assert(offsetof(struct hc__header, obj_end) == 1088, "obj_end");
_Static_assert(offsetof(struct hc__header, gens) == 1280, "gens offset");

struct hc__slot {
	hc_aword word;
	hc_aword count;
};
_Static_assert(sizeof(struct hc__slot) == HC_SLOT_SIZE, "slot size");

enum hc__home { HC_HOME_ANON = 1, HC_HOME_SHM = 2, HC_HOME_FILE = 3 };

/* madvise() advice of Linux 5.14, for older headers; older kernels
 * answer EINVAL, and the pages fault one by one. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#define MADV_POPULATE_WRITE 23
#endif

/*
 * The compact layout (compact.c; docs/format.md, "Compact files"): a
 * read-only file of a u64 or packed table, its entries sorted by key
 * hash and stored as Elias-Fano-like buckets, or of a byte-key table
 * (compact_bytes.c), its keys sorted by their bytes and front-coded in
 * blocks.  Nothing in it is ever written after the file is renamed into
 * place, so no field is atomic.
 */
#define HC_CMAGIC UINT64_C(0x54504d4f43474f48) /* "HOGCOMPT" little-endian */
#define HC_COMPACT_VERSION 1u
#define HC_CHEADER_SIZE 1024u
#define HC_CSEL_EVERY 256u /* select samples: one per this many buckets */
#define HC_CCOUNT_BITS_MAX 32u
#define HC_CN_MAX (UINT64_C(1) << 41) /* entries: 2^40 slots + header key */
#define HC_CBLOCK_KEYS 32u /* byte keys: entries a block (the writer's) */
#define HC_CBLOCK_KEYS_MAX 4096u /* ... and the most a reader takes */
#define HC_CKEY_BYTES_MAX (UINT64_C(1) << 52) /* a key stream's bytes */
#define HC_CHUFF_BITS 12u /* byte keys: the longest code of a byte */
/* ... in one of two codes: the lengths and prefixes, and the key bytes */
#define HC_CHUFF_CODES 2u
#define HC_CHUFF_LENS (HC_CHUFF_CODES * 256u) /* bytes of code lengths */

struct hc__cheader {
	uint64_t magic; /* 0: HC_CMAGIC */
	uint32_t version; /* 8: HC_COMPACT_VERSION */
	uint32_t header_size; /* 12: HC_CHEADER_SIZE */
	uint64_t byte_order; /* 16: HC_BYTE_ORDER_PROBE */
	uint32_t word_size; /* 24: 8 */
	uint32_t key_kind; /* 28: HC_KEY_U64 or HC_KEY_PACKED */
	uint32_t mode; /* 32: enum hc_mode of the table saved */
	uint32_t key_bits; /* 36: packed: b; u64: 0 */
	uint64_t seed; /* 40 */
	uint64_t n; /* 48: entries */
	uint32_t hash_bits; /* 56: W = 64 (u64) or key_bits (packed) */
	uint32_t bucket_bits; /* 60: B */
	uint32_t rem_bits; /* 64: R = W - B */
	uint32_t count_bits; /* 68: C, 1..32 */
	uint64_t n_ovf; /* 72: overflow entries */
	uint64_t dir_off; /* 80 */
	uint64_t sel_off; /* 88 */
	uint64_t rem_off; /* 96 */
	uint64_t cnt_off; /* 104 */
	uint64_t ovf_off; /* 112 */
	uint64_t total_bytes; /* 120: the file's size */
	uint64_t src_capacity; /* 128: capacity of the table saved */
	int32_t src_grow; /* 136: its hc_options.grow (HC_GROW_OFF or %) */
	uint32_t src_max_bits; /* 140: its hc_options.max_bits */
	uint64_t body_check; /* 144: XXH3_64bits(bytes 1024..total_bytes) */
	/* Byte keys only (compact_bytes.c), else zero: */
	uint32_t block_keys; /* 152: entries a block, 1..4096 */
	uint32_t pad1; /* 156: zero */
	uint64_t idx_off; /* 160: block index, n_blocks + 1 u64 */
	uint64_t key_off; /* 168: the front-coded key stream */
	uint64_t key_bytes; /* 176: its length (padded to 8 in the file) */
	uint8_t reserved0[384 - 184]; /* 184: zero */
	uint32_t user_len; /* 384: as struct hc__header */
	uint32_t pad0; /* 388: zero */
	uint8_t user[HC_USER_MAX]; /* 392 */
	uint8_t reserved1[1016 - 648]; /* 648: zero */
	uint64_t check; /* 1016: XXH3_64bits(bytes 0..1015) */
};
_Static_assert(sizeof(struct hc__cheader) == HC_CHEADER_SIZE, "cheader");
_Static_assert(offsetof(struct hc__cheader, n) == 48, "cheader n");
_Static_assert(offsetof(struct hc__cheader, n_ovf) == 72, "cheader n_ovf");
_Static_assert(offsetof(struct hc__cheader, body_check) == 144, "body");
_Static_assert(offsetof(struct hc__cheader, idx_off) == 160, "idx_off");
_Static_assert(offsetof(struct hc__cheader, key_bytes) == 176, "key_bytes");
_Static_assert(offsetof(struct hc__cheader, user_len) == 384, "user_len");
_Static_assert(offsetof(struct hc__cheader, user) == 392, "cheader user");
_Static_assert(offsetof(struct hc__cheader, check) == 1016, "check");

/* One overflow entry: the entry's index and its whole count. */
struct hc__covf {
	uint64_t idx;
	uint64_t count;
};
_Static_assert(sizeof(struct hc__covf) == 16, "overflow entry");

/* A validated compact mapping, as the handle keeps it (process-local). */
struct hc__compact {
	const struct hc__cheader *hdr; /* the mapped header */
	const uint64_t *dir, *sel, *rem, *cnt;
	const struct hc__covf *ovf;
	uint64_t n, n_ovf, nbuckets, dir_bits, dir_words, sel_count;
	uint64_t rem_words, cnt_words;
	uint64_t esc; /* 2^C - 1: the count is in the overflow array */
	unsigned W, B, R, C;
	/* Byte keys (compact_bytes.c): the block index and key stream;
	 * keys is NULL for a u64 or packed file. */
	const uint64_t *idx;
	const unsigned char *keys; /* the code lengths, then the stream */
	const uint64_t *kw; /* the stream (bits) */
	uint64_t n_blocks, key_bytes;
	unsigned K; /* entries a block */
	/* Its decoding tables, one a code: the byte | its code's length
	 * << 8 for the next HC_CHUFF_BITS bits of the stream (0: no such
	 * code). */
	uint16_t htab[HC_CHUFF_CODES][1u << HC_CHUFF_BITS];
	/* The keys decoded for iteration, {u32 length, bytes} each, made
	 * once under map_lock (compact_bytes.c), freed at close. */
	unsigned char *flat;
	uint64_t flat_len;
};

/*
 * What a process needs to probe one generation, computed from the
 * header's immutable fields and the generation's published offset
 * (grow.c: hc__gen_view).  Lives on the stack of an operation.
 */
struct hc__gv {
	unsigned g; /* generation */
	uint32_t max_probe;
	uint64_t capacity;
	struct hc__slot *slots; /* u64 and bytes kinds */
	hc_aword *packed; /* packed kind */
	unsigned qbits; /* packed: quotient bits in this generation */
	unsigned lg; /* floor(log2(capacity)) */
	uint64_t qmask; /* packed: 2^qbits - 1 */
	uint64_t pstep; /* packed: one more displacement in a word */
	uint64_t kpmask; /* packed: the key part of a word */
	/* narrow: this generation's slot bytes (4 or 8), count field,
	 * frozen bit and overflow area */
	unsigned ssize, cbits, dbits;
	uint64_t cmask, fbit;
	/* narrow: a word's bucket distance + 1 is (w >> dshift) & dmask,
	 * its quotient (w >> qshift) & qmask */
	unsigned dshift, qshift;
	uint64_t dmask;
	/* narrow: buckets, 2^lbk <= nbk < 2^(lbk + 1) (a power of two, or
	 * not: a home bucket is (mk >> qbits) * nbk >> lbk) */
	uint64_t nbk, nrcp; /* nrcp: UINT64_MAX / nbk */
	uint64_t nprobe; /* narrow: buckets a probe visits */
	uint64_t prcp; /* packed: UINT64_MAX / capacity */
	unsigned lbk;
	int npow2; /* narrow: nbk is 2^lbk */
	/* generation >= 1: the slots of the generation before it, whose
	 * marks its region holds (grow.c: gen_region) */
	uint64_t old_cap;
	hc_aword32 *w32; /* the slots when ssize is 4 */
	struct hc__slot *ovf;
	uint64_t ovf_cap;
};

/*
 * The process-local handle.  Geometry is copied from the header once it
 * has been validated and never reread from the mapping, so a process that
 * scribbles on the header later cannot make this one read out of bounds.
 * The one shared word it trusts later, a generation's slots_off, is
 * checked against the reserved range before use (grow.c).
 */
struct hc_table {
	unsigned char *base; /* start of the reserved range; the object is
			      * mapped at base + file offset */
	uint64_t map_bytes; /* size of the object at open (fixed tables) */
	uint64_t reserve; /* length of the reserved range */
	hc_aword mapped; /* bytes of the object mapped at base (this
			  * process; grows, under map_lock) */
	void *map_lock; /* pthread_mutex_t *: mapping more, this process */
	struct hc__header *hdr;
	struct hc__slot *slots; /* generation 0: u64 and bytes kinds */
	hc_aword *dense; /* dense kind */
	unsigned char *arena; /* bytes kind */
	/* The packed and narrow kinds' own state: set and read by
	 * kind_packed.c and kind_narrow.c only (and compact.c through the
	 * kinds' tables; narrow: key_bits, kmask, cbits as its count rule,
	 * packed and ovf for generation 0).  Anonymous, so that tests keep
	 * their field names. */
	struct {
		hc_aword *packed; /* generation 0 */
		struct hc__slot *ovf; /* the overflow area */
		uint64_t ovf_capacity;
		uint64_t kmask; /* 2^key_bits - 1 */
		uint64_t cmask; /* 2^cbits - 1, the saturated count */
		uint64_t fbit; /* the frozen bit, 2^cbits; 0 if fixed */
		unsigned fshift; /* 1 if the layout has a frozen bit */
		unsigned key_bits, qbits, cbits; /* geometry (generation 0) */
	};
	uint64_t capacity; /* generation 0 */
	uint64_t max_capacity; /* largest capacity a growth may reach */
	uint32_t grow_load; /* 1/65536 */
	int grows; /* this table grows (kind, policy, fd, platform) */
	uint64_t count_mask; /* count bits: 63 if the table grows, else 64 */
	uint64_t arena_bytes;
	uint64_t seed;
	uint32_t max_probe;
	int kind;
	const struct hc__kind *ops; /* the kind's table (hc__kind_of) */
	int mode;
	int writable;
	/* hc_table_set_progress(), this process: the last HC_PROG_SAMPLES
	 * (share of the work done, keys), 1/1024 of the work apart, in a
	 * ring from prog_at */
	double prog_p[HC_PROG_SAMPLES], prog_k[HC_PROG_SAMPLES];
	unsigned prog_n, prog_at;
	int home; /* enum hc__home */
	int fd; /* the memfd, shm object or file behind the mapping, or -1 */
	int lock_fd; /* opened under this process's exclusive hc_lock: a
		      * duplicate of its descriptor (lock.c), else -1 */
	hc_aword local_claims[HC_GEN_MAX]; /* claims not yet flushed */
	hc_aword arena_at[HC_GEN_MAX]; /* key-area chunk i >= 1 mapped at
					* this address (arena.c), or 0 */
	hc_aword arena_blk; /* this handle's block of the key area: next
			     * offset << HC_ARENA_BLK_SHIFT | bytes left
			     * (arena.c, growing tables) */
	hc_aword arena_blk_pid; /* the process whose block arena_blk is
				 * (hc__pid()): a forked child's copy of
				 * the handle holds its parent's */
	hc_aword reclaim_seen; /* cur at this handle's last reclaim (M9) */
	hc_aword blocks_freed; /* (g + 1) << 48 | b: blocks below b of
				* generation g given back by this handle
				* during g's migration (M9), or 0 */
	hc_aword nospc_gen; /* g + 1 when the growth of g found no space */
	int view_pin; /* pin held for hc_table_view() pointers, or 0 */
	int sealer; /* registered as a writer in the seal word (seal.c) */
	uint64_t sealer_pid; /* the process that registered */
	uint64_t view_pin_pid; /* the process that holds view_pin */
	/* Views of published generations, made once (under map_lock) and
	 * never changed: bit g of views_made says views[g] is ready. */
	hc_aword views_made;
	struct hc__gv views[HC_GEN_MAX];
	struct hc__compact *cx; /* a compact file (read-only), else NULL;
				 * then hdr is a zeroed copy in the heap */
	struct hc_cache *caches; /* delta caches on this handle (cache.c),
				  * linked under map_lock */
};

/* hash.c */
/* mix64: the MurmurHash3 finaliser of key ^ seed, a bijection on 64-bit
 * words (inline: it is on the hot path of every integer add). */
#define HC_MIX_C1 UINT64_C(0xff51afd7ed558ccd)
#define HC_MIX_C2 UINT64_C(0xc4ceb9fe1a85ec53)
#define HC_MIX_C1_INV UINT64_C(0x4f74430c22a54005)
#define HC_MIX_C2_INV UINT64_C(0x9cb4b2f8129337db)

static inline uint64_t hc__mix64(uint64_t key, uint64_t seed)
{
	uint64_t x = key ^ seed;

	x ^= x >> 33;
	x *= HC_MIX_C1;
	x ^= x >> 33;
	x *= HC_MIX_C2;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hc__unmix64(uint64_t mixed, uint64_t seed)
{
	uint64_t x = mixed;

	/* x ^= x >> 33 is its own inverse: 2 * 33 >= 64. */
	x ^= x >> 33;
	x *= HC_MIX_C2_INV;
	x ^= x >> 33;
	x *= HC_MIX_C1_INV;
	x ^= x >> 33;
	return x ^ seed;
}

uint64_t hc__hash_bytes(const void *key, size_t len, uint64_t seed);

/* Home slot of a 64-bit hash in a table of @capacity slots (any size). */
static inline uint64_t hc__home(uint64_t hash, uint64_t capacity)
{
	return (uint64_t)(((unsigned __int128)hash * capacity) >> 64);
}

/*
 * The packed and narrow kinds' key mix: a bijection on key_bits bits,
 * fmix64's shape (xor-shifts and odd multiplies mod 2^b), and its
 * inverse.  Their slots keep part of the mixed key; the home keeps the
 * rest.  x ^= x >> s is undone by (1 + S)^-1 = (1 + S)(1 + S^2)...
 */
static inline uint64_t hc__unxorshift(uint64_t x, unsigned s, unsigned b)
{
	for (unsigned sh = s; sh < b; sh <<= 1)
		x ^= x >> sh;
	return x;
}

static inline uint64_t hc__mixk(const struct hc_table *t, uint64_t key)
{
	uint64_t m = t->kmask, x = (key ^ t->seed) & m;
	unsigned s = (t->key_bits + 1) / 2;

	x ^= x >> s;
	x = (x * HC_MIX_C1) & m;
	x ^= x >> s;
	x = (x * HC_MIX_C2) & m;
	x ^= x >> s;
	return x;
}

static inline uint64_t hc__unmixk(const struct hc_table *t, uint64_t x)
{
	uint64_t m = t->kmask;
	unsigned s = (t->key_bits + 1) / 2, b = t->key_bits;

	x = hc__unxorshift(x, s, b);
	x = (x * HC_MIX_C2_INV) & m;
	x = hc__unxorshift(x, s, b);
	x = (x * HC_MIX_C1_INV) & m;
	x = hc__unxorshift(x, s, b);
	return (x ^ t->seed) & m;
}

/* format.c */
uint64_t hc__header_check(const struct hc__header *h);
/* The size of version 0.1's hc_options, the shortest a caller may pass,
 * and a bound on a later one's (format.c). */
#define HC__OPTIONS_MIN 56u
#define HC__OPTIONS_MAX 4096u
/* @opt (NULL: the defaults) read at its caller's size into @o, which
 * gets this library's size; HC_EINVAL for a bad size or a field this
 * library does not know set. */
int hc__options_read(const hc_options *opt, hc_options *o);
int hc__layout(const hc_options *opt, struct hc__header *h);
int hc__header_validate(const struct hc__header *h, uint64_t avail);
void hc__table_geom(struct hc_table *t, const struct hc__header *h, int fd);
int hc__table_bind(struct hc_table *t, unsigned char *base, uint64_t bytes);

/* region.c */
/* A failed write, fsync or ftruncate: HC_ENOSPC where the device is
 * full, else HC_EIO; errno is kept. */
int hc__write_error(void);
void hc__advise(unsigned char *base, uint64_t bytes);
void hc__collapse(struct hc_table *t, unsigned char *lo, unsigned char *hi);
/* Nonzero once this process stopped asking for huge pages (tests). */
int hc__collapse_stopped(void);
int hc__back(int fd, uint64_t off, uint64_t len, int mode);
/* Test hook (tests/check_nospace.c): nonzero makes hc__back() act as on
 * a file system without fallocate(). */
extern int hc__back_no_fallocate;
void hc__unback(int fd, uint64_t off, uint64_t len);

/* cache.c */
int hc__caches_close(struct hc_table *t);

/* seal.c */
void hc__seal_register(struct hc_table *t);
int hc__seal_close(struct hc_table *t);
int hc__seal_now(struct hc_table *t);
/* lock.c: who holds a table file (design.md L1-L4) */
/* Take a writer's shared lock on @fd: HC_OK (also where the file system
 * has no locks), HC_EBUSY (held exclusively), HC_EIO. */
int hc__lock_writer(int fd);
/* 1 if another open file description holds a lock on the file of @fd,
 * 0 if none, -1 where that cannot be told. */
int hc__lock_others(int fd);
/* Where this process holds an exclusive hc_lock on the file: a
 * duplicate of its descriptor (the caller closes it), else -1. */
int hc__lock_mine(uint64_t dev, uint64_t ino);
/* 1 if @path names the file of @fd, 0 if another or none, -1 error. */
int hc__lock_same_file(int fd, const char *path);
/* Before a rename over @path: lock the file there exclusively (*fd, -1
 * if none is needed: no file, or this process's own lock).  HC_OK,
 * HC_EBUSY (a writer or a lock holds it), HC_EIO. */
int hc__lock_replace(const char *path, int *fd);
/* A saver's hold on its temporary file, for hc__lock_clean_tmp(). */
int hc__lock_tmp(int fd);
/* Remove @path's temporary files ("path.tmp.PID") of dead savers. */
void hc__lock_clean_tmp(const char *path);

/* compact.c */
uint64_t hc__cheader_check(const struct hc__cheader *h);
int hc__cheader_validate(const struct hc__cheader *h, uint64_t avail);
int hc__compact_bind(struct hc_table *t, const unsigned char *base,
		     const struct hc__cheader *h);
/* @more: keys merged in (byte keys only; NULL: none). */
int hc__compact_write(hc_table *t, int fd, const hc_key_stream *more);
int hc__compact_get(const struct hc_table *t, uint64_t key, uint64_t *count);
int hc__compact_count(const struct hc__compact *c, uint64_t i, uint64_t *o,
		      uint64_t *count);
int hc__compact_next(const struct hc_table *t, uint64_t *pos, uint64_t *b,
		     uint64_t *i, uint64_t *o, hc_entry *e);
int hc__compact_verify(const struct hc_table *t);
/* compact_bytes.c: the same for byte keys (the bytes kind's cx_check);
 * next walks in key order, *pos, *i and *o starting at 0. */
int hc__cbytes_check(const struct hc__cheader *h);
int hc__cbytes_bind(struct hc__compact *c,
		    const unsigned char len[HC_CHUFF_LENS]);
int hc__cbytes_write(hc_table *t, int fd, const hc_key_stream *more);
/* @s's count callback, or NULL where it has none (its size ends before
 * it). */
static inline uint64_t (*hc__stream_count(const hc_key_stream *s))(void *,
								   uint64_t)
{
	return s->size >= offsetof(hc_key_stream, count) + sizeof(s->count)
		       ? s->count
		       : NULL;
}
/* Count @i of stream @s (hc_key_stream.counts or .count). */
static inline uint64_t hc__stream_count_of(const hc_key_stream *s, uint64_t i)
{
	return s->counts ? s->counts[i] : s->count(s->arg, i);
}
int hc__cbytes_get(const struct hc_table *t, const void *key, size_t len,
		   uint64_t *count);
int hc__cbytes_next(const struct hc_table *t, uint64_t *pos, uint64_t *i,
		    uint64_t *o, hc_entry *e);
int hc__cbytes_verify(const struct hc_table *t);

/* grow.c */
int hc__reserve(struct hc_table *t, uint64_t obj_bytes, int fd, int prot);
int hc__map_upto(struct hc_table *t, uint64_t end);
int hc__gen_view(struct hc_table *t, unsigned g, struct hc__gv *v);
int hc__view_now(struct hc_table *t, struct hc__gv *v, int writer, int pin);
int hc__walk_bounds(struct hc_table *t, unsigned *cur, unsigned *top);
int hc__gen_bounds(const struct hc_table *t, unsigned *cur, unsigned *top);
int hc__grow(struct hc_table *t, unsigned g);
void hc__collapse_first(struct hc_table *t);
int hc__help(struct hc_table *t, unsigned g);
void hc__pin_helping(struct hc_table *t, int pin, unsigned g);
void hc__note_claims(struct hc_table *t, unsigned g, uint64_t cap, uint64_t k);
/* Count one claim in @v's generation (hc__note_claims). */
static inline void hc__note_claim(struct hc_table *t, const struct hc__gv *v)
{
	hc__note_claims(t, v->g, v->capacity, 1);
}
extern void (*hc__migrate_hook)(uint64_t slot);
/* Bytes of old slots a migration gives back at once (grow.c); tests
 * lower it. */
extern uint64_t hc__free_blocks_bytes;
/* Test hook: hc__compact_write() calls it between its two passes. */
extern void (*hc__compact_hook)(hc_table *t);
/* The compact writer's threads: at most this many, one a slice of the
 * generation, for generations of hc__compact_split_min slots or more.
 * hc__compact_threads: 0 for the CPUs the process may run on; tests
 * set both to cut small tables in many parts. */
#define HC_CSAVE_THREADS_MAX 8u
extern unsigned hc__compact_threads;
extern uint64_t hc__compact_split_min;
/* Test hooks of the compact writer: nonzero makes it buffer the body
 * instead of streaming it (the bytes are the same); how many saves
 * streamed theirs. */
extern int hc__compact_buffered;
extern hc_aword hc__compact_streamed;
/* Test hook: the words of a streamed array's window (at least 4), so
 * that small tables flush and jump past it often (compact.c). */
extern uint64_t hc__compact_window_words;
/* A stream saved in parts keeps at most this many bytes a key of its
 * front-coded keys between the writer's two passes, and makes the rest
 * again, by chunks of hc__compact_chunk_blocks blocks (compact_bytes.c,
 * "a stream alone, in parts"); tests lower both. */
extern uint64_t hc__compact_keep_per_key;
extern uint64_t hc__compact_chunk_blocks;
int hc__pin_slow(struct hc_table *t);
void hc__unpin_slow(struct hc_table *t, int pin);
int hc__reclaim(struct hc_table *t);
uint64_t hc__pid(void);

/*
 * Pin the generations an operation may go into (design.md M9): from
 * hc__pin() to hc__unpin() no generation at or above the current one is
 * given back.  A table that does not grow pins nothing (0).
 */
static inline int hc__pin(struct hc_table *t)
{
	return t->grows ? hc__pin_slow(t) : 0;
}

static inline void hc__unpin(struct hc_table *t, int pin)
{
	if (pin)
		hc__unpin_slow(t, pin);
}

/* A claimed slot with a count above 0, for a walk of a generation in
 * slot order (compact.c): the key's hash h (mk for packed tables, the
 * mixed key for u64 ones), its whole count, its home slot and its slot. */
struct hc__ent {
	uint64_t h, c, home, slot;
};

/* One checksummed region of a table (seal.c; docs/format.md, "Seal"). */
struct hc__region {
	int kind; /* enum hc_region */
	unsigned index; /* generation (slots) or chunk (keys) */
	const unsigned char *p;
	uint64_t len;
};

/* hc__kind.flags */
#define HC_KIND_BYTES 1u /* keys are byte strings (hc_add_bytes) */
#define HC_KIND_GROWS 2u /* may grow (design.md M1-M10) ... */
#define HC_KIND_GROWS_PAIR 4u /* ... where the pair CAS exists (M8) */
#define HC_KIND_ZERO 8u /* one key counts in header.zero_count */
#define HC_KIND_ARENA 16u /* a key area, one chunk per generation */
#define HC_KIND_REFS \
	32u /* a slot word is read with acquire: it
			  * publishes key bytes (design.md G1) */

/* hc__kind.scan calls this with each claimed slot's count (export.c). */
typedef void (*hc__count_fn)(uint64_t count, void *ctx);

/*
 * A key kind's table of operations (design.md, "Kinds").  One per kind,
 * in kernel/kind_<name>.c; hc__kind_of() (format.c) maps enum
 * hc_key_kind to it, and the handle keeps it in t->ops.  Generic files
 * call through it and never ask which kind they hold.  Every operation
 * works on a whole add, batch, generation or range: none is called once
 * per key of a batch or per slot of a walk.
 */
struct hc__census; /* compact saves' census (below) */

struct hc__kind {
	uint32_t slot_size; /* bytes of one slot (dense: one counter); the
			     * largest where slot_bytes varies it */
	uint32_t probe_limit; /* longest probe path; 0: not hashed */
	unsigned flags; /* HC_KIND_* */
	/* format.c: the kind's geometry from @opt into @h (key_bits,
	 * count_bits; dense: the capacity), before the growth policy and
	 * before the generic capacity and probe limit of a hashed kind;
	 * *cap, the slots asked for, may be raised.  HC_EINVAL if the
	 * options do not fit; NULL where the kind has nothing to add. */
	int (*layout)(const hc_options *opt, int grows, uint64_t *cap,
		      struct hc__header *h);
	/* The bytes of a slot of a generation of @cap slots, where they
	 * vary (NULL: slot_size), and of the area a generation of @cap
	 * slots keeps behind its slots and migration marks (NULL: none;
	 * generation 0's is the area below). */
	uint32_t (*slot_bytes)(unsigned key_bits, uint64_t cap);
	uint64_t (*gen_area)(unsigned key_bits, uint64_t cap);
	/* After the growth policy: bytes of the area behind the slots
	 * (key area, overflow area), or 0; HC_EINVAL if out of range. */
	int (*area)(const hc_options *opt, int grows, uint64_t cap,
		    const struct hc__header *h, uint64_t *bytes);
	/* Check the kind's fields of a header read from a file: geometry
	 * and the area behind the slots.  HC_ECORRUPT or HC_OK. */
	int (*validate)(const struct hc__header *h);
	/* Copy the kind's geometry from a validated header into @t, then
	 * point @t at a mapping of the header at @base. */
	void (*geom)(struct hc_table *t, const struct hc__header *h);
	void (*bind)(struct hc_table *t, unsigned char *base,
		     const struct hc__header *h);
	/* The kind's fields of hc_table_options(). */
	void (*options)(const struct hc_table *t, hc_options *opt);
	/* The largest integer key (hc_cache), for byte keys unused. */
	uint64_t (*key_max)(const struct hc_table *t);
	/* grow.c: the kind's part of a generation's view, or NULL. */
	int (*view)(const struct hc_table *t, struct hc__gv *v);
	/* slots.c's entry points, checked (handle, kind, writable) there;
	 * NULL where the kind takes the other sort of key (HC_EMISUSE). */
	int (*add)(struct hc_table *t, uint64_t key, uint64_t delta, int mode);
	int (*add_batch)(struct hc_table *t, const uint64_t *keys,
			 const uint64_t *deltas, size_t n, size_t *done,
			 int mode);
	int (*get)(struct hc_table *t, uint64_t key, uint64_t *count);
	int (*add_bytes)(struct hc_table *t, const void *key, size_t len,
			 uint64_t delta, int mode);
	int (*add_bytes_batch)(struct hc_table *t, const void *const *keys,
			       const size_t *lens, const uint64_t *deltas,
			       size_t n, size_t *done, int mode);
	int (*get_bytes)(struct hc_table *t, const void *key, size_t len,
			 uint64_t *count);
	/* hc_put_bytes(): set a byte key's count to @value if it is absent
	 * or 0, *found the count after (design.md I1); value checked. */
	int (*put_bytes)(struct hc_table *t, const void *key, size_t len,
			 uint64_t value, uint64_t *found);
	/* Freeze and copy slots [lo, hi) of generation @o into @n (M3); the
	 * test hook hc__migrate_hook sees each slot first.  *copied: keys.
	 * NULL for a kind that does not grow. */
	int (*migrate)(struct hc_table *t, const struct hc__gv *o,
		       const struct hc__gv *n, uint64_t lo, uint64_t hi,
		       uint64_t *copied);
	/* iter.c: the next entry of generation @v in slots [*pos, @end)
	 * (@end <= its capacity: a part of a walk), with its key; a key
	 * that @older holds is skipped (M4; @older NULL in the first
	 * pass).  1 with *pos one past the entry's slot, 0 at @end, or an
	 * error. */
	int (*next)(const struct hc_table *t, const struct hc__gv *v,
		    const struct hc__gv *older, uint64_t *pos, uint64_t end,
		    hc_entry *e);
	/* export.c: @fn with the count of every claimed slot of @v that
	 * @older (or NULL) does not hold; *claimed counts them. */
	int (*scan)(const struct hc_table *t, const struct hc__gv *v,
		    const struct hc__gv *older, hc__count_fn fn, void *ctx,
		    uint64_t *claimed);
	/* seal.c: regions besides the slots of generation @v (packed
	 * overflow, key-area chunks used below @arena_used), at @r. */
	int (*regions)(struct hc_table *t, uint64_t arena_used,
		       struct hc__region *r, unsigned *n);
	/* compact.c, NULL where the kind has no compact layout: the check
	 * of a compact header's kind fields, the hash width W, the key's
	 * hash and back, the home of a hash (monotone in it), the entries
	 * of slots [s, e), and the census of slots [lo, hi), added to
	 * @cs (its maxd raised). */
	int (*cx_check)(const struct hc__cheader *h);
	void (*cx_geom)(struct hc_table *t, const struct hc__cheader *h);
	unsigned (*cx_bits)(const struct hc_table *t);
	uint64_t (*cx_hash)(const struct hc_table *t, uint64_t key);
	uint64_t (*cx_key)(const struct hc_table *t, uint64_t h);
	uint64_t (*cx_home)(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t h);
	int (*cx_decode)(const struct hc_table *t, const struct hc__gv *v,
			 uint64_t s, uint64_t e, struct hc__ent *out,
			 uint64_t *n);
	int (*cx_census)(const struct hc_table *t, const struct hc__gv *v,
			 uint64_t lo, uint64_t hi, struct hc__census *cs);
};

/* The kinds (kind_<name>.c) and the one table that maps enum
 * hc_key_kind to them (format.c): NULL for an unknown kind. */
extern const struct hc__kind hc__kind_u64, hc__kind_packed, hc__kind_bytes,
	hc__kind_dense, hc__kind_narrow;
const struct hc__kind *hc__kind_of(int kind);

/* Bytes of a slot, and of the area behind a generation's marks, of a
 * generation of @cap slots of kind @k. */
static inline uint64_t hc__slot_bytes(const struct hc__kind *k,
				      unsigned key_bits, uint64_t cap)
{
	return k->slot_bytes ? k->slot_bytes(key_bits, cap) : k->slot_size;
}

static inline uint64_t hc__gen_area(const struct hc__kind *k, unsigned key_bits,
				    uint64_t cap)
{
	return k->gen_area ? k->gen_area(key_bits, cap) : 0;
}

/* Whether tables of kind @k grow on this platform (design.md M8). */
static inline int hc__kind_grows(const struct hc__kind *k)
{
	return (k->flags & HC_KIND_GROWS) &&
	       (!(k->flags & HC_KIND_GROWS_PAIR) || HC_HAVE_PAIR_CAS);
}

/* slots.c: the checks every entry point makes first. */
static inline int hc__check_write(const struct hc_table *t, int kind_ok)
{
	if (!t)
		return HC_EINVAL;
	if (!kind_ok)
		return HC_EMISUSE;
	if (!t->writable)
		return HC_ERDONLY;
	return HC_OK;
}

static inline int hc__valid_mode(int mode)
{
	return mode == HC_MODE_EXACT || mode == HC_MODE_HOGWILD;
}

/* A byte key's length is 1..HC_KEY_BYTES_MAX. */
static inline int hc__bytes_len_ok(size_t len)
{
	return len != 0 && len <= HC_KEY_BYTES_MAX;
}

/*
 * Add @delta to the count word @c in @mode.  A table that grows refuses a
 * frozen count (HC__EMIGRATE: the caller helps the migration and adds in
 * the new generation); one that does not adds as format 1 did.
 */
static inline int hc__count_add(const struct hc_table *t, hc_aword *c,
				uint64_t delta, int mode)
{
	uint64_t v, seen;

	if (mode == HC_MODE_HOGWILD) {
		/* ORDER: relaxed load and relaxed store, no locked
		 * instruction. Lost updates are accepted and measured
		 * (design.md H1); nothing else is derived from this word.
		 * Killed between the two: this one update is lost (P1). */
		v = hc_atomic_load_relaxed(c);
		if (t->grows && (v & HC_FROZEN))
			return HC__EMIGRATE;
		/* ORDER: relaxed; see the load just above. A store racing
		 * a freeze may clear the frozen bit: that loses this delta
		 * only, never a key or another count (design.md M6). */
		hc_atomic_store_relaxed(c, (v + delta) & t->count_mask);
		return HC_OK;
	}
	if (!t->grows) {
		/* ORDER: relaxed fetch-and-add. Atomicity alone makes the sum
		 * of counts the sum of deltas (design.md G3); no other memory
		 * is published by a count, so no ordering is needed. Killed
		 * before it: this one delta is lost; after: it is kept (P1). */
		hc_atomic_fetch_add_relaxed(c, delta);
		return HC_OK;
	}
	/* ORDER: relaxed. A first guess for the CAS, which checks it. */
	v = hc_atomic_load_relaxed(c);
	for (;;) {
		if (v & HC_FROZEN)
			return HC__EMIGRATE;
		/* ORDER: relaxed CAS. Atomicity makes the sum exact (G3); it
		 * fails on a frozen count, so no delta lands in a slot after
		 * its count was copied (design.md M3). Every failure is
		 * another process's success (P1). Killed before it: this
		 * delta is lost; after: kept. */
		seen = hc_atomic_cas_relaxed(c, v, (v + delta) & HC_COUNT_MASK);
		if (seen == v)
			return HC_OK;
		v = seen;
	}
}

/* slots.c: the checked single adds (hc_add*, hc_cache_flush). */
int hc__add_u64(struct hc_table *t, uint64_t key, uint64_t delta, int mode);
int hc__add_bytes(struct hc_table *t, const void *key, size_t len,
		  uint64_t delta, int mode);

/* kind_packed.c: the key mix (hc__mixk), shared with the tests; the
 * handle hooks and the compact reader's operations, shared with the
 * narrow kind (same handle fields, alike compact files). */
uint64_t hc__packed_mixk(const struct hc_table *t, uint64_t key);
int hc__packed_cx_check(const struct hc__cheader *h);
void hc__packed_cx_geom(struct hc_table *t, const struct hc__cheader *h);
uint64_t hc__packed_cx_key(const struct hc_table *t, uint64_t h);
void hc__packed_bind(struct hc_table *t, unsigned char *base,
		     const struct hc__header *h);
void hc__packed_options(const struct hc_table *t, hc_options *opt);
uint64_t hc__packed_key_max(const struct hc_table *t);
int hc__ovf_locate(struct hc__slot *ovf, uint64_t cap, uint64_t mk, int claim,
		   uint64_t limit, hc_aword **count);

/* arena.c */
int hc__arena_append(struct hc_table *t, const void *key, size_t len,
		     uint32_t hash_lo, uint64_t *ref_off);
int hc__arena_key(const struct hc_table *t, uint64_t off, const void **key,
		  size_t *len);
unsigned hc__arena_chunk(const struct hc_table *t, uint64_t off,
			 uint64_t *start, uint64_t *size);
int hc__arena_chunk_map(const struct hc_table *t, unsigned i,
			unsigned char **p);

/* The mapped start of key-area chunk @i, or HC_ECORRUPT / HC_ENOENT (not
 * yet published): chunk 0, or one this handle found before, inline; the
 * others through hc__arena_chunk_map(), which maps and remembers them. */
static inline int hc__arena_chunk_ptr(const struct hc_table *t, unsigned i,
				      unsigned char **p)
{
	if (i == 0) {
		*p = t->arena;
		return HC_OK;
	}
	if (i < HC_GEN_MAX) {
		/* ORDER: acquire. Pairs with the release store in
		 * hc__arena_chunk_map(), in this process: the chunk it
		 * found published, checked and mapped is there (the mapping
		 * is made before that store). A cache of this handle;
		 * killed here: nothing shared changes. */
		*p = (unsigned char *)(uintptr_t)hc_atomic_load_acquire(
			&t->arena_at[i]);
		if (*p)
			return HC_OK;
	}
	return hc__arena_chunk_map(t, i, p);
}
uint64_t hc__region_alloc(struct hc_table *t, uint64_t bytes, int *rc);
void hc__region_free(struct hc_table *t, uint64_t off, uint64_t bytes);
int hc__region_publish(struct hc_table *t, hc_aword *claim, hc_aword *pub,
		       uint64_t bytes, unsigned tag, int need, unsigned *found);
int hc__back_live(struct hc_table *t);

/* The staged batch pipeline (inline, so that each kind's callbacks are
 * called directly). */
struct hc__stage {
	void (*hash)(void *ctx, const struct hc__gv *v, size_t base, size_t n,
		     uint64_t *homes);
	const void *(*addr)(void *ctx, const struct hc__gv *v, uint64_t home);
	int (*update)(void *ctx, const struct hc__gv *v, size_t base, size_t i,
		      uint64_t home);
	int views; /* 0: one flat array, no generation to view (dense) */
	/* or NULL: a second address to prefetch (the rest of a bucket
	 * wider than a cache line) */
	const void *(*addr2)(void *ctx, const struct hc__gv *v, uint64_t home);
};
int hc__after_fail(struct hc_table *t, unsigned g, int rc, int pin);

static inline __attribute__((always_inline)) void
hc__stage_prefetch(const struct hc__stage *st, void *ctx,
		   const struct hc__gv *v, uint64_t home)
{
	__builtin_prefetch(st->addr(ctx, v, home), 1, 3);
	if (st->addr2)
		__builtin_prefetch(st->addr2(ctx, v, home), 1, 3);
}

/*
 * The staged batch pipeline, shared by every kind (kind_<name>.c): per
 * chunk, @hash fills the home of each key, then @update runs in order while @addr of the key
 * HC_PREFETCH_DIST ahead is prefetched.  HC__EMIGRATE or HC_EFULL from
 * @update helps or grows the table (after_fail) and restarts the chunk's
 * rest in the new generation.  *done counts the leading keys added.
 */
static inline __attribute__((always_inline)) int
hc__staged(struct hc_table *t, void *ctx, size_t n, size_t *done,
	   const struct hc__stage *st)
{
	/* and the last home again HC_PREFETCH_DIST times, so that the loop
	 * below prefetches without a test */
	uint64_t homes[HC_BATCH + HC_PREFETCH_DIST];
	struct hc__gv v = { 0 };
	size_t base, i;
	int rc;

	if (done)
		*done = 0;
	for (base = 0; base < n;) {
		size_t m = n - base < HC_BATCH ? n - base : HC_BATCH;
		int pin = hc__pin(t); /* once per chunk (M9) */

		rc = st->views ? hc__view_now(t, &v, 1, pin) : HC_OK;
		if (rc) {
			hc__unpin(t, pin);
			return rc;
		}
		st->hash(ctx, &v, base, m, homes);
		for (i = 0; i < HC_PREFETCH_DIST; i++)
			homes[m + i] = homes[m - 1];
		for (i = 0; i < m && i < HC_PREFETCH_DIST; i++)
			hc__stage_prefetch(st, ctx, &v, homes[i]);
		for (i = 0; i < m; i++) {
			hc__stage_prefetch(st, ctx, &v,
					   homes[i + HC_PREFETCH_DIST]);
			rc = st->update(ctx, &v, base, i, homes[i]);
			if (rc)
				break;
		}
		if (done)
			*done = base + i;
		if (i == m) {
			hc__unpin(t, pin);
			base += m;
			continue;
		}
		rc = hc__after_fail(t, v.g, rc, pin);
		hc__unpin(t, pin);
		if (rc)
			return rc;
		base += i; /* again from the key that failed */
	}
	return HC_OK;
}

/* Test hooks for widening race windows (HC_DEBUG_YIELD builds). */
#ifdef HC_DEBUG_YIELD
void hc__debug_yield(void);
#else
static inline void hc__debug_yield(void)
{
}
#endif

/* Before a migration copies slot @i: the test hook, and now and then a
 * debug yield (the kinds' migrate operations walk their blocks with it). */
static inline void hc__migrate_visit(uint64_t i)
{
	if (hc__migrate_hook)
		hc__migrate_hook(i);
	if ((i & 255) == 0)
		hc__debug_yield();
}

/*
 * Freeze the 16-byte slot @s (design.md M3): the count is frozen by a
 * CAS that sets HC_FROZEN, which fixes the value c0 (*c) to copy.
 * Returns the slot's word, 0 for a frozen empty slot (no late claim can
 * land there).  kind_u64.c and kind_bytes.c migrate with it.
 */
static inline uint64_t hc__slot_freeze(struct hc__slot *s, uint64_t *c0)
{
	uint64_t c, seen;

	/* ORDER: relaxed. A first guess for the freeze CAS, which checks
	 * it. */
	c = hc_atomic_load_relaxed(&s->count);
	while (!(c & HC_FROZEN)) {
		/* ORDER: full CAS. Freezes the count at c0 = c: from here
		 * exact adds (a CAS that refuses a frozen count) and claims
		 * (a pair CAS from {0, 0}) leave the slot alone, so c0 is
		 * the key's last count in this generation. Acquire: the word
		 * loaded below is at least the one claimed with this count.
		 * Killed after it: the slot is frozen and not yet copied;
		 * whoever migrates the block copies it from c0 (M3, M5). */
		seen = hc_atomic_cas_full(&s->count, c, c | HC_FROZEN);
		if (seen == c) {
			c |= HC_FROZEN;
			break;
		}
		c = seen;
	}
	*c0 = c;
	/* ORDER: acquire. Ordered after the freeze CAS above (M3); for
	 * byte keys, pairs with the release claim in probe_bytes()
	 * (kind_bytes.c): the key bytes hashed by the caller are whole
	 * (G1). */
	return hc_atomic_load_acquire(&s->word);
}

/*
 * Copy the frozen slot {@w, @c} into generation @n from its home @j
 * there: the copy is a claim of {word, c0} in one pair CAS if the word
 * is absent from @n.  A second copier finds the word and stops, so a
 * slot is never copied twice.  *copied counts the keys of the block.
 * A byte key's ref word is copied as it is, so a copy is found by the
 * word (M10).
 */
static inline int hc__slot_copy(const struct hc__gv *n, uint64_t j, uint64_t w,
				uint64_t c, uint64_t *copied)
{
#if HC_HAVE_PAIR_CAS
	for (uint32_t p = 0; p < n->max_probe; p++) {
		/* ORDER: relaxed. Only copies claim in the new generation
		 * while it is being filled, each with one pair CAS (M3). */
		uint64_t ww = hc_atomic_load_relaxed(&n->slots[j].word);

		if (ww == 0) {
			/* ORDER: release pair CAS. Copies {w, c0} in one
			 * instruction: the key appears in the new generation
			 * with its whole count or not at all, so a copier
			 * killed anywhere loses nothing, and a second copier
			 * finds w and stops (M3). */
			if (hc_atomic_claim_pair_release(&n->slots[j].word, w,
							 c & HC_COUNT_MASK)) {
				(*copied)++;
				return HC_OK;
			}
			/* ORDER: relaxed; the winner's key (G1). */
			ww = hc_atomic_load_relaxed(&n->slots[j].word);
		}
		if (ww == w) {
			(*copied)++;
			return HC_OK;
		}
		if (++j == n->capacity)
			j = 0;
	}
	return HC_EFULL;
#else
	(void)n;
	(void)j;
	(void)w;
	(void)c;
	(void)copied;
	return HC_ECORRUPT; /* hashed tables do not grow here (M8) */
#endif
}

/* Fill the entry an iterator hands back (iter.c, the kinds' next). */
static inline void hc__entry_set(hc_entry *e, uint64_t key, const void *bytes,
				 size_t len, uint64_t count)
{
	e->key = key;
	e->bytes = bytes;
	e->len = len;
	e->count = count;
}

/* compact.c's census of counts: one more entry of count @c. */
static inline void hc__census_add(uint64_t c, uint64_t *n, uint64_t hist[65])
{
	hist[64 - (c - 1 ? __builtin_clzll(c - 1) : 64)]++;
	(*n)++;
}

/*
 * The census of a compact save (compact.c) over some slots: entries, the
 * histogram of bit lengths of count - 1, the largest distance of a key
 * from its home, and the entries of each of the HC_CX_BINS bins of the
 * hash space (its top HC_CX_BINS_LG bits of W), of which the writer's
 * parts are made: from these it places each part in the file before
 * the part is written.
 */
#define HC_CX_BINS_LG 8u
#define HC_CX_BINS (1u << HC_CX_BINS_LG)
struct hc__census {
	uint64_t n, maxd, hist[65];
	uint64_t bin[HC_CX_BINS];
};

/* Entry of hash @h (of @W bits) and count @c > 0 into @cs.  A damaged
 * slot may decode to a hash past W bits: the mask keeps it in the array
 * (its part then finds another count, and the save is made buffered,
 * where the damage is found). */
static inline void hc__census_put(struct hc__census *cs, uint64_t h, unsigned W,
				  uint64_t c)
{
	hc__census_add(c, &cs->n, cs->hist);
	cs->bin[(W >= HC_CX_BINS_LG ? h >> (W - HC_CX_BINS_LG) : 0) &
		(HC_CX_BINS - 1)]++;
}

/* @y / @d by the reciprocal @rcp = UINT64_MAX / @d (d >= 1), *@r the
 * remainder: the product's high word is low by at most one, then put
 * right.  A division a walk of a generation that is no power of two
 * takes per key (kind_packed.c, kind_narrow.c), at the cost of a
 * multiplication. */
static inline uint64_t hc__div_rcp(uint64_t y, uint64_t d, uint64_t rcp,
				   uint64_t *r)
{
	uint64_t q = (uint64_t)((unsigned __int128)y * rcp >> 64);

	*r = y - q * d;
	if (*r >= d) {
		q++;
		*r -= d;
	}
	return q;
}

/* The offset and the rung a slots_off or slots_claim word holds. */
static inline uint64_t hc__gen_word_off(uint64_t w)
{
	return w & ~(uint64_t)HC_RUNG_MASK;
}

static inline unsigned hc__gen_word_rung(uint64_t w)
{
	return (unsigned)(w & HC_RUNG_MASK);
}

/* Slots of generation @g of @t, which must be published (grow.c); 0
 * where its rung has none. */
uint64_t hc__gen_cap(const struct hc_table *t, unsigned g);

/* Distance of slot @i from @home, past the end of the table and round. */
static inline uint64_t hc__disp(const struct hc__gv *v, uint64_t i,
				uint64_t home)
{
	return i >= home ? i - home : i + v->capacity - home;
}

#endif /* HC_INTERNAL_H */
