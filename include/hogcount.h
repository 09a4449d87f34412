/* SPDX-License-Identifier: MIT */
/*
 * hogcount.h - one shared-memory hash table of atomic counters.
 *
 * A table lives in one mapping: an anonymous shared mapping (inherited by
 * fork), a named POSIX shared-memory object, or a file.  Every process that
 * maps it adds to it directly, without locks and without a merge phase.
 * See docs/api.md for a tour and docs/design.md for the concurrency argument.
 *
 * Conventions:
 * - Every function returns an int status: HC_OK (0) or a negative HC_E*
 *   code; results come back through out-parameters.
 * - The library never prints, exits or aborts.
 * - "Any number of processes" means the call may run concurrently with any
 *   other call marked so, on the same table, from any process or thread
 *   that maps it.
 */
#ifndef HOGCOUNT_H
#define HOGCOUNT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define HC_API __attribute__((visibility("default")))
#else
#define HC_API
#endif

#define HC_VERSION_MAJOR 0
#define HC_VERSION_MINOR 2
#define HC_VERSION_PATCH 0
#define HC_VERSION_STRING "0.2.0"

/* On-disk/in-memory format version written in every table header. */
#define HC_FORMAT_VERSION 2

/* Longest byte-string key, in bytes. */
#define HC_KEY_BYTES_MAX 65536u

/* Largest number of bits for a dense table (2^32 counters, 32 GiB). */
#define HC_DENSE_BITS_MAX 32u

/* Largest number of slots in a hashed table (2^40). */
#define HC_CAPACITY_MAX (UINT64_C(1) << 40)

/*
 * Status codes.  Append only, never renumber.  hc_strerror() returns the
 * sentence, hc_errname() the name ("HC_EFULL").
 */
#define HC_ERRNO_MAP(XX)                                                      \
	XX(EINVAL, -1, "invalid argument")                                    \
	XX(EFULL, -2, "table is full; counts added before are intact")        \
	XX(ECORRUPT, -3, "table header or layout is invalid")                 \
	XX(EVERSION, -4, "other format version, word size or byte order")     \
	XX(EMISUSE, -5, "library misuse: call does not fit this table")       \
	XX(EIO, -6, "system call failed; errno tells why")                    \
	XX(ENOMEM, -7, "out of memory or address space")                      \
	XX(EEXIST, -8, "a table of that name already exists")                 \
	XX(ENOENT, -9, "no table of that name")                               \
	XX(ERANGE, -10, "key outside the table's key space or too long")      \
	XX(EKIND, -11, "tables hold different key kinds")                     \
	XX(ERDONLY, -12, "table is open read-only")                           \
	XX(ENOSPC, -13,                                                       \
	   "no space left on the device for the table to grow; counts added " \
	   "before are intact")                                               \
	XX(EBUSY, -14, "table file is in use by another process")

enum hc_status {
	HC_OK = 0,
#define HC__ERRNO_ENUM(name, val, msg) HC_##name = (val),
	HC_ERRNO_MAP(HC__ERRNO_ENUM)
#undef HC__ERRNO_ENUM
};

/* Opaque handles. */
typedef struct hc_table hc_table;
typedef struct hc_iter hc_iter;
typedef struct hc_lock hc_lock;

/* What a table's keys are.  Chosen at creation, stored in the header. */
enum hc_key_kind {
	/* Any 64-bit integer, 0 and UINT64_MAX included; hashed slots. */
	HC_KEY_U64 = 1,
	/* Byte strings of 1..HC_KEY_BYTES_MAX bytes, kept in a key area. */
	HC_KEY_BYTES = 2,
	/* Integers below 2^dense_bits: a plain array of counters. */
	HC_KEY_DENSE = 3,
	/* Integers below 2^key_bits (1..62) in 8-byte slots: half the memory
	 * of HC_KEY_U64.  For k-mers (key_bits 2k) and short fragments. */
	HC_KEY_PACKED = 4,
	/* Integers below 2^key_bits (16..62) in quotiented slots: 4 bytes
	 * once the table is large enough that the quotient leaves room
	 * (key_bits <= 44: from 2^(key_bits - 16) slots), else 8.  A small
	 * count field; what passes it goes to a side area that grows with
	 * the table.  For k-mers: the least memory of the hashed kinds. */
	HC_KEY_NARROW = 5,
};

/* How hc_add() updates a count.  Chosen per table; per call with
 * hc_add_batch_mode() and hc_add_bytes_batch_mode(). */
enum hc_mode {
	/* Atomic fetch-and-add: the sum of counts is the sum of deltas. */
	HC_MODE_EXACT = 1,
	/* Relaxed load and store, no locked instruction on the count: may
	 * lose updates under contention, never corrupts (design.md H1). */
	HC_MODE_HOGWILD = 2,
};

/* Flags for hc_table_open() and hc_table_attach(). */
#define HC_OPEN_RDONLY 0x0
#define HC_OPEN_RDWR 0x1

/*
 * Creation options.  Initialise with hc_options_init(), then set fields.
 * @size: the caller's sizeof(hc_options), set by hc_options_init().  The
 *	library reads that many bytes: fields appended by a later version
 *	take their defaults for a caller built before them, and a caller
 *	built against a later header must leave the fields this library
 *	does not know at 0 (else HC_EINVAL).  Fields are appended, never
 *	moved, and every field added from now on defaults to 0.
 * @key_kind: enum hc_key_kind (default HC_KEY_U64).
 * @mode: enum hc_mode (default HC_MODE_EXACT).
 * @capacity: hashed kinds: number of slots, 1..HC_CAPACITY_MAX.  A table
 *	that does not grow holds at most @capacity distinct keys; keep the
 *	load below about 0.8 for speed.  A slot is 16 bytes (8 for
 *	HC_KEY_PACKED).  For a growing table it is the size of the first
 *	generation (a hint).  Default 0: no size given; the table starts at
 *	1024 slots and grows (HC_GROW_AUTO), or has 2^20 slots where it
 *	cannot grow (design.md M8: no 16-byte CAS for u64 and bytes).
 * @dense_bits: HC_KEY_DENSE: keys are below 2^dense_bits (1..32).
 * @grow: online growth (u64, packed, narrow and bytes kinds; design.md
 *	M1-M10).
 *	HC_GROW_AUTO (0, the default) grows when @capacity is 0 and keeps a
 *	given @capacity fixed.  HC_GROW_OFF (-1) never grows: HC_EFULL when
 *	full.  A load in percent, 5..95, grows from @capacity whenever that
 *	share of the slots is taken (HC_GROW_ON is 80).  A probe that finds
 *	no free slot also starts a growth.  A growth doubles the capacity
 *	(or takes a smaller step, hc_table_set_progress) while every
 *	process keeps adding.
 * @arena_bytes: HC_KEY_BYTES: size of the key area; 0 picks 32 bytes per
 *	slot.  A key of n bytes takes 8 + n rounded up to 8.
 * @seed: hash seed; 0 uses a fixed default so runs are reproducible.
 * @key_bits: HC_KEY_PACKED: keys are below 2^key_bits (1..62).  A slot
 *	is 8 bytes and holds the key's hash bits that its position does not
 *	imply and a count of 52 - max(0, key_bits - floor(log2(capacity)))
 *	bits; this must be at least 16 (else HC_EINVAL).  Larger counts
 *	continue in an overflow area of max(1024, capacity / 256) entries.
 * @max_bits: growing tables: growth stops at 2^max_bits slots (then
 *	HC_EFULL as for a fixed table), 1..40; 0 = unbounded (2^40).
 * @perm: permission bits of a new named object (hc_table_create_shm(),
 *	hc_table_create_file()); ignored by hc_table_create().  0, the
 *	default: shm 0600, file 0644 less the umask.  Else 0600 plus any of
 *	0060 and 0006, set with fchmod so the umask does not narrow them:
 *	HC_PERM_GROUP lets the object's group attach or open it, read-only
 *	or read-write.  The group is the creator's effective group id (for
 *	a file, the directory's group if it is set-group-ID).  Whoever can
 *	write the object can change every count and make the others' calls
 *	fail, never make them read or write outside their mapping, crash or
 *	hang (design.md W1-W3): share only with processes you trust with
 *	the counts.  Other bits: HC_EINVAL.
 */
typedef struct hc_options {
	size_t size;
	int key_kind;
	int mode;
	uint64_t capacity;
	unsigned dense_bits;
	int grow;
	uint64_t arena_bytes;
	uint64_t seed;
	unsigned key_bits;
	unsigned max_bits;
	unsigned perm;
} hc_options;

/* hc_options.perm */
#define HC_PERM_OWNER 0600 /* the owner alone (shm default) */
#define HC_PERM_GROUP 0660 /* the owner and the object's group */

/* hc_options.grow: or a load in percent, 5..95. */
enum hc_grow {
	HC_GROW_OFF = -1, /* fixed capacity: HC_EFULL when full */
	HC_GROW_AUTO = 0, /* grow (at 80%) iff no capacity was given */
	HC_GROW_ON = 80, /* grow from @capacity at load 0.8 */
};

/*
 * One entry as returned by iteration.  For HC_KEY_BYTES, @bytes points
 * into the mapping (a compact file: into a copy of the keys decoded
 * once per handle, on its first hc_iter_next) and @key is 0; otherwise
 * @bytes is NULL.  The pointer stays valid until the table is closed.
 */
typedef struct hc_entry {
	uint64_t key;
	const void *bytes;
	size_t len;
	uint64_t count;
} hc_entry;

/*
 * Figures read from the live table.
 * @size: set by the caller to sizeof(hc_stats) before the call.
 */
typedef struct hc_stats {
	size_t size;
	int key_kind;
	int mode;
	uint64_t
		capacity; /* slots of the current generation, or 2^dense_bits */
	uint64_t distinct; /* keys with a non-zero count */
	uint64_t total; /* sum of all counts (mod 2^64) */
	uint64_t unique; /* keys whose count is 1 */
	uint64_t max_count; /* largest count */
	uint64_t claimed; /* keys held, counted or not (>= distinct) */
	double load; /* claimed / capacity */
	uint64_t arena_used; /* key-area bytes handed out (bytes kind; in a
			      * growing table, with the unused rest of each
			      * writer's block of at most 64 KiB) */
	uint64_t arena_bytes; /* key-area size (bytes kind) */
	uint64_t mapped_bytes; /* bytes of the object mapped by this process */
	uint64_t generation; /* current generation: 0, or growths so far */
	int growing; /* 1 if a growth was in flight when the walk began */
} hc_stats;

/*
 * The raw regions of a mapped table, for zero-copy readers (the Python
 * package builds numpy views on them).  Layout: docs/format.md.
 * @size: set by the caller to sizeof(hc_view) before the call.
 * @slots: u64 and bytes kinds: @capacity slots of {u64 word, u64 count};
 *	dense: @capacity u64 counts; packed: @capacity u64 words; narrow:
 *	@capacity words of 4 or 8 bytes (format.md).  @slot_size is 16, 8
 *	or 4.
 * @zero_count: the count of the integer key @zero_key, which is kept in
 *	the header rather than in a slot (u64 kind; NULL otherwise).
 * @arena: bytes kind: the key area of @arena_bytes bytes, else NULL.  A
 *	growing table's key area has more chunks (design.md M10) that the
 *	view does not show; hc_table_save() writes it as one.
 * The pointers stay valid until hc_table_close().  A compact file
 * (hc_table_save_compact) has no regions: @capacity and @slot_size are
 * 0 and every pointer NULL; @key_kind, @seed and @zero_key are set.
 */
typedef struct hc_view {
	size_t size;
	int key_kind;
	uint64_t seed;
	uint64_t capacity;
	size_t slot_size;
	const void *slots;
	const uint64_t *zero_count;
	uint64_t zero_key;
	const void *arena;
	uint64_t arena_bytes;
} hc_view;

/* ---- errors -------------------------------------------------------- */

/*
 * hc_strerror - one sentence for a status code.
 * @err: HC_OK or an HC_E* code.  Unknown codes give "unknown error".
 * Any number of processes.
 */
HC_API const char *hc_strerror(int err);

/*
 * hc_errname - the code's name, such as "HC_EFULL".
 * Any number of processes.
 */
HC_API const char *hc_errname(int err);

/* hc_version - HC_VERSION_STRING of the library actually linked. */
HC_API const char *hc_version(void);

/* ---- creating, opening, closing ------------------------------------ */

/*
 * hc_options_init - fill @opt with the defaults listed at hc_options and
 * set @opt->size to the caller's sizeof(*@opt).  A macro over
 * hc_options_init_size(), which bindings call with their struct's size.
 */
HC_API void hc_options_init_size(hc_options *opt, size_t size);
#define hc_options_init(opt) hc_options_init_size((opt), sizeof(*(opt)))

/*
 * hc_table_create - create a table in an anonymous shared mapping.
 * @out: receives the handle; set to NULL when the call fails.
 * @opt: options, or NULL for the defaults.
 * Children forked after this call share the table through the handle
 * they inherit.  The mapping goes away when the last process unmaps it.
 * Returns HC_OK, HC_EINVAL (bad option), HC_ENOMEM.
 * Not concurrent: before fork.
 */
HC_API int hc_table_create(hc_table **out, const hc_options *opt);

/*
 * hc_table_create_shm - create a table in a new named POSIX shared-memory
 * object, which unrelated processes attach with hc_table_attach().
 * @name: "/name" as for shm_open(3); 2..255 bytes, one leading slash.
 * The object stays until hc_shm_unlink(): the creator decides when.
 * Its pages are reserved in /dev/shm at once (design.md D4): a full
 * /dev/shm is HC_ENOSPC here, and no object is left.
 * Returns HC_OK, HC_EINVAL, HC_EEXIST, HC_EIO, HC_ENOMEM, HC_ENOSPC.
 * Any number of processes (creation is exclusive: one wins).
 */
HC_API int hc_table_create_shm(hc_table **out, const char *name,
			       const hc_options *opt);

/*
 * hc_table_create_file - create a table in a new file, mapped shared.
 * @path: must not exist (HC_EEXIST).  Its blocks are reserved at once
 * (fallocate; design.md D4), as are those of every region a growth adds
 * later, so a full disk is a status (HC_ENOSPC), never a SIGBUS.
 * The file gets its name only once its header is written and flushed
 * (O_TMPFILE, then linkat): a process killed while creating leaves no
 * file or a valid empty table (design.md D1).
 * Returns HC_OK, HC_EINVAL, HC_EEXIST, HC_EIO, HC_ENOMEM, HC_ENOSPC (no
 * file is left).
 */
HC_API int hc_table_create_file(hc_table **out, const char *path,
				const hc_options *opt);

/*
 * hc_table_attach - map an existing named shared-memory table.
 * @flags: HC_OPEN_RDONLY or HC_OPEN_RDWR.
 * Every header field is checked before any slot is read.  HC_OPEN_RDWR
 * reserves the pages of the regions a writer may store to, as
 * hc_table_open() does.
 * Returns HC_OK, HC_ENOENT, HC_ECORRUPT, HC_EVERSION, HC_EIO, HC_EINVAL,
 * HC_ENOSPC.
 * Any number of processes.
 */
HC_API int hc_table_attach(hc_table **out, const char *name, int flags);

/*
 * hc_table_open - map an existing table file (made by
 * hc_table_create_file(), hc_table_save() or hc_table_save_compact()).
 * @flags: HC_OPEN_RDONLY or HC_OPEN_RDWR (HC_ERDONLY for a compact file,
 *	which is read-only).
 * A truncated, corrupt or foreign file gives HC_ECORRUPT or HC_EVERSION,
 * never a read out of bounds.  HC_OPEN_RDWR reserves blocks for every
 * region a writer may store to (a file written by an older version may
 * be sparse; design.md D4): HC_ENOSPC when the disk cannot hold them,
 * and the file is left as it was.
 * Returns HC_OK, HC_ENOENT, HC_ECORRUPT, HC_EVERSION, HC_EIO, HC_EINVAL,
 * HC_ERDONLY, HC_ENOSPC.
 */
HC_API int hc_table_open(hc_table **out, const char *path, int flags);

/*
 * hc_table_save - write the table to @path atomically: to a temporary
 * name beside it, fsync, then rename, so no half-written file ever has
 * the final name.  Safe while writers run (the copy is then a snapshot
 * with the G2 guarantees of iteration).  A grown table is written as one
 * generation of its current capacity (a growth in flight is helped to
 * its end first, design.md M4); reopened read-write, it grows again.
 * The copy is sealed (hc_table_verify): its body checksums are computed
 * from the written file before the fsync, one more read of the copy.
 * Every byte of the copy is backed before it is sealed.  On a full disk:
 * HC_ENOSPC, the temporary file removed, @path and @t as they were.
 * Returns HC_OK, HC_EIO (errno set), HC_EINVAL, HC_ENOMEM, HC_ENOSPC.
 */
HC_API int hc_table_save(const hc_table *t, const char *path);

/*
 * hc_table_save_compact - hc_table_save() in the compact layout
 * (docs/format.md, "Compact files"): the entries only.  u64, packed and
 * narrow tables: sorted by key hash, about 17 + log2(2^key_bits /
 * distinct) bits of key and a few bits of count per entry instead of a
 * slot of 8 or 16 bytes per slot.  Byte-key tables: sorted by key
 * bytes, front-coded in blocks of 32 keys behind an index of the blocks,
 * each byte Huffman-coded ("Byte keys"; 4-11 bytes a word n-gram
 * instead of about 55).  Dense
 * tables are written as hc_table_save() writes them.  The file opens
 * in place with hc_table_open(HC_OPEN_RDONLY) and answers hc_get or
 * hc_get_bytes, iteration (integer keys in hash order, byte keys in
 * ascending byte order), hc_table_stats, hc_histo, hc_table_verify and
 * hc_table_merge (as the source); it is never writable:
 * hc_table_open(HC_OPEN_RDWR) gives HC_ERDONLY, and hc_table_view shows
 * no slots (capacity 0, every region NULL).  To add to it, merge it
 * into a new table.
 * Writers may run: keys added during the save may or may not be in it,
 * as for iteration (design.md G2).  An integer table's file is
 * written in place as it is made, with about 3 MiB of memory a thread
 * beside the table; where keys were added during the save, its body is
 * made again in memory (about the file's size).  A byte-key table's is
 * made in memory (about the file's size, plus 32 bytes an entry,
 * gathered by a walk and sorted, and the front-coded keys before their
 * Huffman code).  An integer
 * table of
 * 2^20 slots or more is read by threads, and a byte-key table of 2^20
 * entries or more sorted by threads, one per CPU the process may run on
 * (sched_getaffinity(), at most 8); the file is the same for any
 * number.
 * Returns HC_OK, HC_EIO (errno set), HC_EINVAL, HC_ENOMEM, HC_ECORRUPT,
 * HC_ENOSPC (as hc_table_save()).
 */
HC_API int hc_table_save_compact(const hc_table *t, const char *path);

/*
 * A sorted source of byte keys for hc_table_save_compact_with(): keys
 * the caller holds outside the table (ids it can turn into their bytes
 * in order), saved without being added to it first.
 * @size: sizeof(hc_key_stream), set by the caller.
 * @n: the number of keys.
 * @counts: their counts (each >= 1), in key order; @n of them; or NULL
 *	where @count gives them.
 * @key: key @i (0 .. @n - 1) into *@key and *@len (1 .. HC_KEY_BYTES_MAX
 *	bytes); the bytes stay valid until the next call.  Called at most
 *	once per key, in order, i = 0, 1, 2...  Keys strictly ascending in
 *	byte order (memcmp order, a prefix first).  Returns HC_OK or an
 *	HC_E* code, which stops the save and is returned.
 * @arg: passed to @key and @key_part.
 * @key_part: NULL (as with a @size that ends before it), or @key for
 *	several threads at once, which a large save of a stream alone
 *	(its table empty) then uses: the keys split into at most
 *	HC_KEY_STREAM_PARTS parts, ranges of i, each read in a thread of
 *	its own through key_part(@arg, part, i, ...), part < the number
 *	of parts.  Within one part: i ascending by one, starting from any
 *	i, then at most once again from an earlier i on to the part's end
 *	(the writer reads keys again rather than keep all their bytes),
 *	which must give the same bytes (else HC_EINVAL); the bytes stay
 *	valid until that part's next call.  A key may be asked for twice
 *	at once (the last of one part, again by the next to check the
 *	order).  A save that
 *	uses @key_part does not call @key.
 * @count: NULL (as with a @size that ends before it), or, where @counts
 *	is NULL, count(@arg, i): the count of key @i (>= 1), for a caller
 *	that holds its counts in less than an array of @n words.  Called
 *	more than once for each i, in any order, from several threads at
 *	once (for the same i too): the same value for the same i each
 *	time.
 */
#define HC_KEY_STREAM_PARTS 8
typedef struct hc_key_stream {
	size_t size;
	uint64_t n;
	const uint64_t *counts;
	int (*key)(void *arg, uint64_t i, const void **key, size_t *len);
	void *arg;
	int (*key_part)(void *arg, unsigned part, uint64_t i, const void **key,
			size_t *len);
	uint64_t (*count)(void *arg, uint64_t i);
} hc_key_stream;

/*
 * hc_table_save_compact_with - hc_table_save_compact() of the byte-key
 * table @t with the keys of @more added: the file holds every key of
 * either, a key in both with the sum of its two counts; the file is the
 * one hc_table_save_compact() writes of a table holding those keys and
 * counts (same options and user record as @t).  A sum past UINT64_MAX
 * is HC_ERANGE, not saturated.  @more NULL is hc_table_save_compact();
 * @more->n 0 writes its file, byte for byte.  @t may be a compact file
 * opened read-only (its entries are copied into a table in memory
 * first).  The table's entries are gathered (as hc_table_save_compact())
 * before @more->key is first called, and each key of @more is read once
 * and merged as it comes: memory as hc_table_save_compact() of @t, plus
 * the file's body, plus 2 bits a key.  @t's writers may run, as for
 * hc_table_save_compact().
 * Returns as hc_table_save_compact(), and HC_EINVAL (@more->size too
 * small, @more->key NULL, neither or both of @more->counts and
 * @more->count, @more's keys not strictly
 * ascending, a length out of range, a count 0), HC_ERANGE (a sum of
 * counts past UINT64_MAX), HC_EMISUSE (@more given for a table whose
 * keys are not bytes), or the error @more->key returned; on any error
 * no file is written (@path as it was).
 */
HC_API int hc_table_save_compact_with(const hc_table *t, const char *path,
				      const hc_key_stream *more);

/*
 * hc_table_sync - flush a file-backed table to disk (fsync of the file):
 * when it returns HC_OK, every add made before the call began, by any
 * process and into any generation, is on disk.  Not needed to survive a
 * process crash (the page cache is the file); for a machine crash it
 * keeps what it flushed only if no growth runs after it (design.md D3).
 * It does not seal the file (hc_table_verify): the handle may still
 * write.  A no-op for the other homes and for read-only handles.
 * Returns HC_OK or HC_EIO (errno set).  Any number of processes.
 */
HC_API int hc_table_sync(hc_table *t);

/*
 * hc_table_set_progress - tell a growing table how far the work is:
 * @done of @total units (bytes read, say) of all the adds every process
 * will make.  The table then expects to end with the keys it has plus
 * the rest of the work at the rate of new keys over the last 1/16 of it
 * (a line fitted to this handle's calls; rather too many: a stream
 * finds new keys ever slower), and a growth takes the smallest step (to 5/4, 6/4
 * or 7/4 of the capacity's last doubling, or the next doubling) that
 * holds those below the growth load; with no call it
 * doubles.  So the last generation is sized to the keys instead of the
 * next power of two.  Only sizes change, never a count: a wrong figure
 * costs memory or more growths.  Call it as the work goes (every 50 ms,
 * say) from one process, or from several: the figure is one word of the
 * header, shared by every process's growths.  @total 0 (or @done 0)
 * forgets it.  Ignored by a table that does not grow.
 * Returns HC_OK, HC_EINVAL (@done > @total > 0), HC_ERDONLY.
 */
HC_API int hc_table_set_progress(hc_table *t, uint64_t done, uint64_t total);

/*
 * hc_table_prefault - take now, in the calling process, the page faults
 * its first touch of each page of the table would take later, in one
 * pass (MADV_POPULATE_WRITE, or _READ for a read-only handle): header,
 * slots or dense counters, not the key area.  fork() does not copy the
 * page tables of a shared mapping, so a forked worker that adds to a
 * large table otherwise faults on every page itself, one random add at a
 * time; call this once in each worker after fork().  No count is
 * changed; a writable handle helps a growth in flight to its end first
 * and prefaults the new generation.  Where the kernel cannot prefault
 * (before Linux 5.14) this does nothing and returns HC_OK: only time is
 * lost.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM (not enough memory for the pages),
 * HC_EIO, or what the help of a growth returns (HC_EFULL where it cannot
 * finish, design.md M8; HC_ECORRUPT).
 */
HC_API int hc_table_prefault(hc_table *t);

/*
 * hc_table_close - unmap and free the handle.  NULL is a no-op.
 * Does not unlink a named table.  Returns HC_OK, HC_EIO, or the error of
 * a delta cache's flush.  Delta caches on the handle (hc_cache_create)
 * are flushed first and detached: the first flush error is returned
 * (the table is closed anyway), and each cache is then only good for
 * hc_cache_destroy().
 * A handle that created a table file, or opened one read-write, seals
 * it when it is the last such handle to close (hc_table_verify): it
 * finishes a growth in flight, writes the body checksums and marks the
 * file sealed; this reads the whole table once.  A failure to seal is
 * not reported: the file stays live.  Only the process that created or
 * opened the handle seals; a forked child closing its inherited copy
 * does not.  Writers
 * the kernel cannot see (forked children still adding after the parent
 * closes, a build older than format 2.1) make the checksums stale: the
 * file then verifies as damaged, never as good (design.md V3).
 * Not concurrent with other calls on the same handle, those on its
 * delta caches included.
 */
HC_API int hc_table_close(hc_table *t);

/*
 * hc_shm_unlink - remove a named table; processes that have it mapped
 * keep using it until they close it.
 * Returns HC_OK, HC_EINVAL, HC_ENOENT, HC_EIO.
 */
HC_API int hc_shm_unlink(const char *name);

/*
 * hc_table_options - the options a table was created with (also for
 * tables opened from a file or attached by name) into @opt.  A macro
 * over hc_table_options_size(), which writes @size bytes (the caller's
 * sizeof, at least the size of version 0.1's struct) and sets
 * @opt->size to it.  Returns HC_OK, HC_EINVAL.
 */
HC_API int hc_table_options_size(const hc_table *t, hc_options *opt,
				 size_t size);
#define hc_table_options(t, opt) \
	hc_table_options_size((t), (opt), sizeof(*(opt)))

/* Largest application metadata record, in bytes (hc_table_set_user). */
#define HC_USER_MAX 256u

/*
 * hc_table_set_user - store @len (0..HC_USER_MAX) bytes of application
 * metadata in the table header, such as what the keys mean.  The
 * library does not interpret them; they travel with the table through
 * hc_table_save(), hc_table_open() and hc_table_attach().
 * Returns HC_OK, HC_EINVAL (len too large), HC_ERDONLY.
 * Not concurrent: set it before other processes read it.
 */
HC_API int hc_table_set_user(hc_table *t, const void *buf, size_t len);

/*
 * hc_table_get_user - copy the metadata into @buf of @cap bytes; @len
 * receives its length.  Returns HC_OK, HC_EINVAL (@cap too small: *len
 * still says how much is needed), HC_ECORRUPT (stored length invalid).
 */
HC_API int hc_table_get_user(const hc_table *t, void *buf, size_t cap,
			     size_t *len);

/* ---- updates: any number of processes ------------------------------ */

/*
 * hc_add - add @delta to @key's count, inserting the key if absent, in
 * the table's mode.  Integer kinds (HC_KEY_U64, HC_KEY_DENSE).
 * Returns HC_OK, HC_EFULL (the key is new and no slot is free on its
 * probe path, and the table cannot grow: fixed, at its maximum, or out
 * of memory; nothing was changed), HC_ENOSPC (the key is new, the table
 * must grow, and the disk or /dev/shm has no room for the new region;
 * nothing was changed, the table stays consistent and keeps counting
 * the keys it holds: design.md D4), HC_ERANGE (dense: key too large),
 * HC_EMISUSE (bytes table), HC_ERDONLY.
 * Any number of processes.  Ordering: a key, once visible to hc_get()
 * or iteration in any process, stays visible (design.md G1).  In a
 * growing table an add may start a growth, or help one in flight, before
 * it returns (design.md M1, M5).
 */
HC_API int hc_add(hc_table *t, uint64_t key, uint64_t delta);

/*
 * hc_add_batch - add @deltas[i] (or 1 each when @deltas is NULL) to
 * @keys[i], for i in 0..@n-1, in the table's mode.  Hashes the batch and
 * prefetches the slots before updating them; much faster than single
 * adds on a table larger than the cache.
 * @done: if not NULL, receives how many leading keys were added.  On
 *	HC_EFULL, HC_ENOSPC or HC_ERANGE, keys[*done] is the one that
 *	failed and the keys after it were not added.
 * Returns as hc_add().  Any number of processes.
 */
HC_API int hc_add_batch(hc_table *t, const uint64_t *keys,
			const uint64_t *deltas, size_t n, size_t *done);

/* hc_add_batch_mode - hc_add_batch in @mode (enum hc_mode), whatever the
 * table's; one key in another mode is a batch of one.  HC_EINVAL for an
 * unknown mode. */
HC_API int hc_add_batch_mode(hc_table *t, const uint64_t *keys,
			     const uint64_t *deltas, size_t n, size_t *done,
			     int mode);

/*
 * hc_add_bytes - add @delta to the count of the byte string @key of
 * @len bytes (1..HC_KEY_BYTES_MAX), inserting it if absent.  A new key's
 * bytes are appended to the key area and published before the slot
 * points at them: no process ever sees a partial key (design.md G1).
 * Returns HC_OK, HC_EFULL (no free slot, or key area exhausted),
 * HC_ENOSPC (no room on the device for a new generation or key-area
 * chunk; as hc_add()), HC_ERANGE (len 0 or too long), HC_EMISUSE
 * (integer table), HC_ERDONLY.
 * Any number of processes.
 */
HC_API int hc_add_bytes(hc_table *t, const void *key, size_t len,
			uint64_t delta);

/*
 * hc_put_bytes - first writer wins: if the byte key @key of @len bytes
 * (1..HC_KEY_BYTES_MAX) is absent, or present with count 0, set its
 * count to @value (1 .. the largest count the table holds: 2^63 - 1 in
 * a table that grows, 2^64 - 1 in a fixed one); otherwise leave it.
 * *@found gets the count the key has after the call: @value if this call
 * set it, else what another call set (or added) first.  Of concurrent
 * calls for one key, exactly one sets its value and all return that
 * value.  A claim that a killed process left with count 0 is set by the
 * next call.  For interning: a vocabulary whose counts are ids.  Exact
 * whatever the table's mode (a HogWild add racing it may still lose it,
 * design.md H1).  *@found carries no other memory: see design.md I1.
 * Returns HC_OK, HC_EINVAL (@value 0 or too large, @found NULL), and what
 * hc_add_bytes() returns (HC_EFULL, HC_ENOSPC, HC_ERANGE, HC_EMISUSE,
 * HC_ERDONLY).  Any number of processes, concurrent with adds and growth.
 */
HC_API int hc_put_bytes(hc_table *t, const void *key, size_t len,
			uint64_t value, uint64_t *found);

/*
 * hc_add_bytes_batch - batched hc_add_bytes: @keys[i] of @lens[i] bytes,
 * @deltas NULL means 1 each.  @done as for hc_add_batch().
 */
HC_API int hc_add_bytes_batch(hc_table *t, const void *const *keys,
			      const size_t *lens, const uint64_t *deltas,
			      size_t n, size_t *done);

/* hc_add_bytes_batch_mode - hc_add_bytes_batch in @mode, as
 * hc_add_batch_mode(). */
HC_API int hc_add_bytes_batch_mode(hc_table *t, const void *const *keys,
				   const size_t *lens, const uint64_t *deltas,
				   size_t n, size_t *done, int mode);

/* ---- delta caches: worker-local combining ---------------------------- */

/* Opaque handle: a private cache of pending deltas in front of a table. */
typedef struct hc_cache hc_cache;

/* Distinct keys a cache holds by default (integer keys: 3 MiB of
 * private memory; byte keys, whose probes hash and compare bytes:
 * 8192), and at most. */
#define HC_CACHE_KEYS_DEFAULT (1u << 17)
#define HC_CACHE_KEYS_DEFAULT_BYTES 8192u
#define HC_CACHE_KEYS_MAX (1u << 26)
/* Adds a cache absorbs between flushes by default (the loss bound). */
#define HC_CACHE_PENDING_DEFAULT (UINT64_C(1) << 20)
/* Key bytes a byte-key cache keeps per key it can hold. */
#define HC_CACHE_KEY_BYTES 64u

/*
 * hc_cache_create - a delta cache in front of @t for this thread of this
 * process.  It sums the deltas of up to @keys distinct keys (0:
 * HC_CACHE_KEYS_DEFAULT, or HC_CACHE_KEYS_DEFAULT_BYTES for a byte-key
 * table) in private memory and adds each to @t once,
 * with its sum, through the batched adds: hot keys (Zipfian text, a few
 * thousand n-grams) then cost the shared table one add a flush instead
 * of one a key.  It flushes when it holds @keys keys (or a byte-key
 * cache's key area, @keys * HC_CACHE_KEY_BYTES, is full), after
 * @max_pending adds (0: HC_CACHE_PENDING_DEFAULT), and on
 * hc_cache_flush(), hc_cache_destroy() and hc_table_close().  Where keys
 * do not repeat within a cache's window (k-mers of reads), it turns
 * itself into a pass-through to the batched adds for a while, so it
 * costs next to nothing there.
 * Until a flush, the deltas it holds are not in @t: hc_get() and
 * iteration do not see them, and a process killed before its flush
 * loses them (at most @max_pending adds while flushes succeed;
 * design.md C1).
 * A forked child's inherited copy starts empty: the parent's pending
 * deltas are the parent's to flush.  One thread at a time per cache;
 * any number of caches per handle.  Any key kind; byte-key tables take
 * the _bytes calls, the others the integer ones.
 * Returns HC_OK, HC_EINVAL (@keys above HC_CACHE_KEYS_MAX), HC_ERDONLY,
 * HC_ENOMEM.
 */
HC_API int hc_cache_create(hc_cache **out, hc_table *t, size_t keys,
			   uint64_t max_pending);

/*
 * hc_cache_add - add @delta to @key through the cache.  Returns HC_OK,
 * HC_EINVAL (@c NULL), HC_ERANGE (a dense or packed table's key out of
 * range, checked at once), HC_EMISUSE (byte-key table, or the table was
 * closed), or the error of a flush it caused or of the add itself while
 * the cache passes keys through (HC_EFULL: the keys not added stay in
 * the cache; counts added before are intact).
 */
HC_API int hc_cache_add(hc_cache *c, uint64_t key, uint64_t delta);

/* hc_cache_add_batch - hc_cache_add for @keys[0..n) (@deltas NULL: 1
 * each); @done as for hc_add_batch(). */
HC_API int hc_cache_add_batch(hc_cache *c, const uint64_t *keys,
			      const uint64_t *deltas, size_t n, size_t *done);

/* hc_cache_add_bytes, hc_cache_add_bytes_batch - the byte-key forms; a
 * key is copied into the cache, so the caller's buffer may change after
 * the call.  Returns as hc_cache_add() and hc_add_bytes(). */
HC_API int hc_cache_add_bytes(hc_cache *c, const void *key, size_t len,
			      uint64_t delta);
HC_API int hc_cache_add_bytes_batch(hc_cache *c, const void *const *keys,
				    const size_t *lens, const uint64_t *deltas,
				    size_t n, size_t *done);

/*
 * hc_cache_flush - add every pending delta to the table now.  Returns
 * HC_OK, HC_EMISUSE (the table was closed) or the batched add's error;
 * on an error the keys not added stay pending.
 */
HC_API int hc_cache_flush(hc_cache *c);

/* hc_cache_pending - adds absorbed since the last flush (0 in a forked
 * child that has not used its copy). */
HC_API uint64_t hc_cache_pending(const hc_cache *c);

/*
 * hc_cache_destroy - flush, then free the cache.  NULL is a no-op.
 * After hc_table_close() of its table (which flushed it) it only frees.
 * Returns HC_OK or the flush's error (the pending deltas are then lost).
 */
HC_API int hc_cache_destroy(hc_cache *c);

/* ---- reads: any number of processes, concurrent with updates ------- */

/*
 * hc_get - @key's count into @count (0 if absent): its count at some
 * moment during the call, also during a growth (design.md M4).  Never
 * waits.  May map a generation published since the handle last looked.
 * Returns HC_OK, HC_ERANGE, HC_EMISUSE, HC_ECORRUPT.
 */
HC_API int hc_get(const hc_table *t, uint64_t key, uint64_t *count);

/* hc_get_bytes - the count of a byte-string key (0 if absent). */
HC_API int hc_get_bytes(const hc_table *t, const void *key, size_t len,
			uint64_t *count);

/*
 * hc_iter_create - start a walk over all entries with a non-zero count.
 * Safe while other processes add: each slot is visited once, so no key
 * is returned twice and no key is torn; keys added during the walk may
 * or may not be returned (design.md G2), also while the table grows
 * (design.md M4).  Order is the slot order, which
 * depends on the hash: sort the output to compare tables (a compact
 * file: hash order, or ascending byte order for byte keys).  A growing
 * table keeps the generations walked until hc_iter_destroy() (M9); on a
 * writable handle a growth in flight when the walk starts is helped to
 * its end first, as adds do (M4).
 * Returns HC_OK, HC_ENOMEM, or what that help returns (HC_EFULL where
 * the growth cannot finish, design.md M8).
 */
HC_API int hc_iter_create(const hc_table *t, hc_iter **out);

/*
 * hc_iter_create_parts - @parts walks (1 .. HC_ITER_PARTS_MAX) into
 * @its[0 .. parts - 1], for threads that walk one table together, each
 * with its own: each walks a share of the entries, and together they
 * return what one hc_iter_create() walk made at the same moment does
 * (each entry in one part; G2 and M4 as for one walk).  A part is a
 * range of slots of each generation walked: of every slot, so as many
 * entries a part on average.  A compact file's entries are all in
 * part 0, and so is the zero key.  Each is freed by hc_iter_destroy(),
 * in any order, by any thread.
 * Returns HC_OK, HC_EINVAL (@parts 0 or above HC_ITER_PARTS_MAX),
 * HC_ENOMEM; on an error no walk is made.
 */
#define HC_ITER_PARTS_MAX 4096u
HC_API int hc_iter_create_parts(const hc_table *t, unsigned parts,
				hc_iter **its);

/*
 * hc_iter_next - the next entry into @e.
 * Returns 1 with an entry, 0 at the end, HC_ECORRUPT if a slot points
 * outside the key area (a damaged file: the walk stops; a compact
 * byte-key file whose key stream does not decode), HC_ENOMEM (a compact
 * byte-key file: no room for its decoded keys).
 */
HC_API int hc_iter_next(hc_iter *it, hc_entry *e);

/* hc_iter_destroy - free the iterator (and its pin: before
 * hc_table_close() of its table).  NULL is a no-op. */
HC_API void hc_iter_destroy(hc_iter *it);

/*
 * hc_table_stats - distinct keys, total, load, ... into @st, read from
 * the live table in one pass.  Set st->size = sizeof(*st) first (a
 * caller built before @generation gets the fields it knows).  On a
 * writable handle a growth in flight is helped to its end first, as by
 * hc_iter_create().
 * Returns HC_OK, HC_EINVAL, HC_ECORRUPT, or what that help returns.
 */
HC_API int hc_table_stats(const hc_table *t, hc_stats *st);

/*
 * hc_table_view - the raw regions of the mapping into @v (see hc_view):
 * for a growing table, its current generation (a growth in flight is
 * helped to its end first where the handle may write), whose memory
 * is kept until hc_table_close() (a pin, design.md M9).
 * Returns HC_OK or HC_EINVAL (v->size too small).
 * Any number of processes.  Words read through the view follow
 * design.md: load slot words with acquire before reading key bytes.
 */
HC_API int hc_table_view(const hc_table *t, hc_view *v);

/*
 * hc_histo - count-of-counts from the live table, without a dump.
 * @hist: array of @len >= 2 elements, filled as: hist[c] = number of
 *	keys whose count is c, for 1 <= c < len-1; hist[len-1] = number of
 *	keys whose count is >= len-1; hist[0] = 0.  A growth in flight is
 *	helped first, as by hc_table_stats().
 * Returns HC_OK, HC_EINVAL, HC_ECORRUPT, or what that help returns.
 */
HC_API int hc_histo(const hc_table *t, uint64_t *hist, size_t len);

/*
 * hc_table_merge - add every entry of @src into @dst, whatever their
 * capacities or seeds.  Integer kinds merge with each other (a dense
 * key is an integer); bytes merge with bytes only (HC_EKIND).
 * On HC_EFULL or HC_ERANGE, @dst holds a prefix of @src's entries, each
 * added in full.  @dst may be updated concurrently by others.
 * Returns HC_OK, HC_EKIND, HC_EFULL, HC_ERANGE, HC_ERDONLY, HC_ECORRUPT.
 */
HC_API int hc_table_merge(hc_table *dst, const hc_table *src);

/* ---- checking a file ------------------------------------------------ */

/* hc_verdict.state: what hc_table_verify() found. */
enum hc_seal_state {
	/* No body checksum: a file written before format 2.1. */
	HC_SEAL_NONE = 0,
	/* No valid body checksum: the table is being written (open
	 * read-write, in shared memory), or a writer died before closing
	 * it.  Not damage. */
	HC_SEAL_LIVE = 1,
	/* Sealed, and every region matches its checksum. */
	HC_SEAL_OK = 2,
	/* Sealed, and a region does not match: see @region. */
	HC_SEAL_DAMAGED = 3,
	/* Not sealed, and no process has the file open for writing: its
	 * last writer died (or an older build writes it, which takes
	 * no lock).  The counts are what the writers left; nothing checks
	 * them.  hc_table_reseal() checks the structure and seals it. */
	HC_SEAL_DEAD = 4,
};

/* hc_verdict.region: the first region that failed. */
enum hc_region {
	HC_REGION_NONE = 0,
	HC_REGION_HEADER = 1, /* the header page (the seal word included) */
	HC_REGION_SLOTS = 2, /* slots (dense: counters) of generation @index */
	HC_REGION_OVERFLOW = 3, /* packed tables: the overflow area */
	HC_REGION_KEYS = 4, /* byte keys: chunk @index of the key area */
};

/*
 * What hc_table_verify() found.
 * @size: set by the caller to sizeof(hc_verdict) before the call.
 * @state: enum hc_seal_state.
 * @region: enum hc_region, the first damaged region (HC_SEAL_DAMAGED),
 *	else HC_REGION_NONE.  @index: its generation or key-area chunk.
 * @damaged: how many regions failed.
 * @bytes: bytes hashed.
 */
typedef struct hc_verdict {
	size_t size;
	int state;
	int region;
	unsigned index;
	unsigned damaged;
	uint64_t bytes;
} hc_verdict;

/*
 * hc_table_verify - check a sealed table against its body checksums
 * (xxHash XXH3-64 of the header page and of every region a reader can
 * reach: the current generation's slots, the packed overflow area, the
 * used part of each key-area chunk; docs/format.md, "Seal").  Reads the
 * whole table once.  A table that is not sealed is reported as such
 * (HC_SEAL_NONE, HC_SEAL_LIVE) and not read.
 * @v: receives the verdict; may be NULL.  v->size must be set.
 * A file table that says it is being written while no process holds it
 * open for writing (hc_lock_acquire(), "who holds a file") is
 * HC_SEAL_DEAD, not LIVE.
 * Returns HC_OK (state OK, LIVE, DEAD or NONE), HC_ECORRUPT (state
 * DAMAGED), HC_EINVAL, HC_ENOMEM.
 * Any number of processes.  Ordering: a table opened for writing while
 * it is checked is reported LIVE, not damaged (design.md V2).
 */
HC_API int hc_table_verify(const hc_table *t, hc_verdict *v);

/*
 * hc_table_reseal - seal the table file at @path again after its last
 * writer died (HC_SEAL_DEAD): under an exclusive lock (no other writer
 * may hold it), finish a growth in flight, walk every entry (a damaged
 * structure gives HC_ECORRUPT and the file is left as it was), then
 * write the body checksums as a closing writer does.  The counts are
 * taken as the dead writers left them: at most each one's adds in
 * flight are missing (design.md P1).  A sealed file is left as it is;
 * a damaged one is refused (HC_ECORRUPT), never resealed.
 * @v: receives hc_table_verify()'s verdict afterwards; may be NULL.
 * Returns HC_OK, HC_EBUSY (a writer holds the file), HC_ECORRUPT,
 * HC_ENOENT, HC_EIO (errno set), HC_EINVAL, HC_ENOMEM.
 */
HC_API int hc_table_reseal(const char *path, hc_verdict *v);

/* ---- who holds a file ----------------------------------------------- */

/*
 * Every handle that may write a table file (created, or opened
 * read-write) holds a shared lock on the file for as long as the file
 * is open in it or in a forked child (an open file description lock,
 * fcntl F_OFD_SETLK, on a byte past any table's end; released by the
 * kernel when the last descriptor closes, so a killed writer holds
 * nothing).  An exclusive lock keeps writers out: hc_table_open(RDWR)
 * and hc_table_create_file() onto it give HC_EBUSY, and so does
 * hc_table_save() onto its name from any other process.  Where the file
 * system has no such locks (rare: some FUSE and network file systems)
 * every lock is granted and nothing is excluded.
 */
#define HC_LOCK_SHARED 0x0 /* as a writer holds it */
#define HC_LOCK_EXCLUSIVE 0x1 /* no writer, no other lock */
#define HC_LOCK_WAIT 0x2 /* wait until it is granted */

/*
 * hc_lock_acquire - lock the table file at @path.  The lock follows the
 * name: if the file was replaced (renamed over) while this call waited,
 * it locks the file now at @path.  While this process holds an exclusive
 * lock, its own hc_table_save(), hc_table_save_compact() and
 * hc_table_open(HC_OPEN_RDWR) of that file go ahead; a handle so opened
 * holds a writer's lock once the exclusive one is released.
 * @flags: HC_LOCK_SHARED or HC_LOCK_EXCLUSIVE, or'ed with HC_LOCK_WAIT.
 * Returns HC_OK, HC_EBUSY (held, and no HC_LOCK_WAIT), HC_ENOENT,
 * HC_EIO (errno set; EINTR when a signal interrupted the wait),
 * HC_EINVAL, HC_ENOMEM.  Any number of processes and threads.
 */
HC_API int hc_lock_acquire(hc_lock **out, const char *path, int flags);

/* hc_lock_release - drop the lock and free @l; NULL is a no-op.
 * Returns HC_OK. */
HC_API int hc_lock_release(hc_lock *l);

/* hc_region_name - "header", "slots", "overflow", "key area", or
 * "none" (hc_verdict.region); "unknown" otherwise.
 * Any number of processes. */
HC_API const char *hc_region_name(int region);

#ifdef __cplusplus
}
#endif

#endif /* HOGCOUNT_H */
