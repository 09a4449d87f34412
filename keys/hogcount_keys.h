/* SPDX-License-Identifier: MIT */
/*
 * hogcount_keys.h - the key layer: what the keys of a hogcount table
 * mean.  The kernel (hogcount.h) counts integers and byte strings; this
 * layer is the only place that knows how text, words and bases become
 * those keys and back:
 *
 * - the record of a table's tokens (hck_meta: DNA k-mers, byte
 *   fragments or word n-grams of order k, canonical or not), kept in the
 *   table header's user record;
 * - the codec: text to key and key to text, whatever the slot kind
 *   (dense, packed, u64 or bytes), and the escapes of `hogcount dump`;
 * - the tokenizers and batching that feed input bytes into a table;
 * - the plan: the key kind and geometry of a new table for a job;
 * - the export of a table's entries into caller-provided arrays.
 *
 * Built as libhogcount_keys (static and shared), on top of libhogcount
 * and nothing else.  Same conventions as hogcount.h: int status (HC_OK
 * or a negative HC_E* code), results through out-parameters; the
 * library never prints, exits or aborts.
 */
#ifndef HOGCOUNT_KEYS_H
#define HOGCOUNT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "hogcount.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the record ------------------------------------------------------ */

/*
 * What the tokens of a table are: the one list of token kinds (the
 * model library's n-grams are HCK_BYTES or HCK_WORDS; Python's
 * hogcount.TOKENS is read from hck_tokens_name()).  The values are
 * 1 .. HCK_TOKENS_END - 1, with no gap, and never renumbered: they
 * cross the ABI.
 */
enum hck_tokens {
	HCK_DNA = 1, /* bases A, C, G, T; k-mers of k <= 32 */
	HCK_BYTES = 2, /* every byte is a token */
	HCK_WORDS = 3, /* maximal runs of bytes other than white space */
	HCK_TOKENS_END /* one past the last kind */
};

/* Largest order of DNA k-mers, and of word n-grams `count` accepts. */
#define HCK_DNA_K_MAX 32u
#define HCK_WORDS_K_MAX 1024u

/* Longest text form of an integer key (a k-mer of 32 bases). */
#define HCK_INT_TEXT_MAX 32u

/*
 * What a table's keys mean.
 * @tokens: enum hck_tokens.
 * @k: the order: bases, bytes or words per key.
 * @canonical: DNA only: a k-mer and its reverse complement are counted
 *	as the smaller of the two.
 *
 * The key of a DNA k-mer is 2 bits a base, first base highest (A=0,
 * C=1, G=2, T=3); of a byte fragment of k <= 8 its bytes big-endian
 * (first byte highest).  These are integer keys, in a dense, packed or
 * u64 table.  Longer byte fragments and word n-grams (the words joined
 * by one space) are byte-string keys.
 */
typedef struct hck_meta {
	int tokens;
	unsigned k;
	int canonical;
} hck_meta;

/*
 * hck_meta_check - HC_OK if @m is a valid record (tokens known, 1 <= k,
 * k <= 32 for DNA, k <= HC_KEY_BYTES_MAX, canonical only for DNA), else
 * HC_EINVAL.
 */
HC_API int hck_meta_check(const hck_meta *m);

/* Longest text form of a record (hck_meta_format), without its NUL. */
#define HCK_META_TEXT_MAX 64u

/*
 * hck_meta_format - the text form of the record @m, one line of ASCII
 * without its newline: "hogcount-cli 1 tokens=dna k=21 canonical=1",
 * NUL-terminated into @buf of @cap bytes (HCK_META_TEXT_MAX + 1 is
 * always enough); *len (if not NULL) gets its length.  The one writer
 * of the record: a table's user record (hck_meta_store) and a
 * manifest's "record" line hold this text.
 * Returns HC_OK, HC_EINVAL (@m not valid), HC_ERANGE (@cap too small).
 * A pure function.
 */
HC_API int hck_meta_format(const hck_meta *m, char *buf, size_t cap,
			   size_t *len);

/*
 * hck_meta_parse - the record whose text form is the @len bytes at
 * @text (no newline), into @m.  The one reader of the record.
 * Returns HC_OK, HC_EINVAL (NULL argument), HC_ECORRUPT (not a valid
 * record).  A pure function.
 */
HC_API int hck_meta_parse(const char *text, size_t len, hck_meta *m);

/*
 * hck_meta_store - write the record of @m (hck_meta_format) into @t's
 * user record.
 * Returns HC_OK, HC_EINVAL, HC_ERDONLY.  Not concurrent: before sharing.
 */
HC_API int hck_meta_store(hc_table *t, const hck_meta *m);

/*
 * hck_meta_load - read the record of @t into @m and check that the
 * table's key kind can hold such keys (hck_kind_fits()).
 * Returns HC_OK, HC_ECORRUPT (no record, or a bad one), HC_EKIND (the
 * key kind does not match the record).  Any number of processes.
 */
HC_API int hck_meta_load(const hc_table *t, hck_meta *m);

/* hck_tokens_name - the name of the enum hck_tokens @tokens: "dna",
 * "bytes", "words"; "?" for any other value (so 1, 2, ... up to the
 * first "?" lists every kind). */
HC_API const char *hck_tokens_name(int tokens);

/* hck_tokens_parse - the enum hck_tokens of a name; HC_EINVAL if none. */
HC_API int hck_tokens_parse(const char *name, int *tokens);

/*
 * hck_int_keys - 1 if the keys of @m are integers (DNA, bytes k <= 8),
 * 0 if they are byte strings.
 */
HC_API int hck_int_keys(const hck_meta *m);

/*
 * hck_key_bits - integer keys of @m are below 2^bits: 2k for DNA, 8k for
 * bytes (64 from k = 8 up); 0 for byte-string keys.
 */
HC_API unsigned hck_key_bits(const hck_meta *m);

/*
 * hck_kind_name - the one name of the enum hc_key_kind @key_kind in
 * messages and output: "u64", "bytes", "dense", "packed"; "?" for any
 * other value (1, 2, ... up to the first "?" lists them).  `stats`,
 * `count -v` and Python's hogcount.KINDS read it.
 */
HC_API const char *hck_kind_name(int key_kind);

/* hck_kind_fits - 1 if a table of enum hc_key_kind @key_kind can hold
 * the keys of @m (integer keys: dense, packed or u64; else bytes). */
HC_API int hck_kind_fits(const hck_meta *m, int key_kind);

/* ---- the codec ------------------------------------------------------- */

/* hck_is_space - the white space that separates words: space, \t, \n,
 * \v, \f, \r.  The one definition of a word boundary. */
static inline int hck_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* 0..3 for ACGT and acgt, HCK_DNA_SKIP for '\r' (ignored inside a
 * k-mer), HCK_DNA_BREAK for every other byte (the k-mer restarts). */
#define HCK_DNA_SKIP 4
#define HCK_DNA_BREAK 5
extern HC_API const unsigned char hck_dna_code[256];

/* hck_kmer_revcomp - the reverse complement of the k-mer @key. */
HC_API uint64_t hck_kmer_revcomp(uint64_t key, unsigned k);

/*
 * hck_key_encode - the integer key of the text form @text of @len bytes:
 * k bases (the smaller strand if canonical) or k bytes.
 * Returns HC_OK, HC_ERANGE (wrong length, not a base), HC_EMISUSE (the
 * keys of @m are byte strings: the text is the key).
 */
HC_API int hck_key_encode(const hck_meta *m, const void *text, size_t len,
			  uint64_t *key);

/*
 * hck_key_decode - the text form of the integer key @key into @out (room
 * for HCK_INT_TEXT_MAX bytes; not terminated); *len gets its length.
 * Returns HC_OK, HC_EMISUSE (byte-string keys).
 */
HC_API int hck_key_decode(const hck_meta *m, uint64_t key, unsigned char *out,
			  size_t *len);

/*
 * hck_key_decode_array - the text forms of @n integer keys, @m->k bytes
 * each, one after another into @out (@n * k bytes).  For numpy: an
 * (n, k) uint8 array.  Returns HC_OK, HC_EMISUSE (byte-string keys).
 */
HC_API int hck_key_decode_array(const hck_meta *m, const uint64_t *keys,
				size_t n, unsigned char *out);

/*
 * hck_entry_text - the text form of an entry from hc_iter_next(): *text
 * points at the key bytes in the mapping (byte keys) or at @buf (room
 * for HCK_INT_TEXT_MAX bytes), where an integer key is decoded.
 * Returns HC_OK, HC_EKIND (an entry of the other kind).
 */
HC_API int hck_entry_text(const hck_meta *m, const hc_entry *e,
			  unsigned char *buf, const unsigned char **text,
			  size_t *len);

/*
 * hck_get_text - the count in @t of the key whose text form is @text
 * (words joined by one space), 0 if absent.
 * Returns HC_OK, HC_ERANGE (not a key of @m), and what hc_get() returns.
 * Any number of processes, concurrent with updates.
 */
HC_API int hck_get_text(const hc_table *t, const hck_meta *m, const void *text,
			size_t len, uint64_t *count);

/*
 * hck_escape - the escapes of `hogcount dump`: bytes pass as they are
 * except backslash (\\), tab (\t), newline (\n), carriage return (\r)
 * and the other bytes below 0x20 and 0x7f (\xHH, lower-case hex).  Bytes
 * from 0x80 up pass through, so UTF-8 stays readable.  Writes at most
 * 4 * @len bytes into @out and returns how many.
 */
HC_API size_t hck_escape(const void *in, size_t len, char *out);

/* hck_unescape - undo hck_escape() in place; returns the new length, or
 * -1 on a bad escape. */
HC_API long hck_unescape(char *s, size_t len);

/*
 * hck_key_parse - a key as `hogcount dump` writes it, in @buf of @len
 * bytes (modified in place): escapes undone, words normalised to one
 * space.  Integer keys: *key is set.  Byte keys: the key is @buf's first
 * *klen bytes.  Returns HC_OK, or HC_ERANGE with a sentence in *why.
 */
HC_API int hck_key_parse(const hck_meta *m, char *buf, size_t len,
			 uint64_t *key, size_t *klen, const char **why);

/* ---- tokenizers and batching ----------------------------------------- */

/*
 * A sink batches keys into one table through the kernel's batched adds
 * (hc_add_batch, hc_add_bytes_batch).  A tokenizer cuts input bytes into
 * the keys of an hck_meta and hands them to its sink.  Both belong to
 * one thread of one process (a forked worker makes its own after fork);
 * any number of sinks add into one table concurrently, with the
 * ordering of the kernel's adds (design.md G1).
 */
typedef struct hck_sink hck_sink;
typedef struct hck_tok hck_tok;

/* Sink flags. */
/* Sum repeated keys in a private delta cache (hc_cache_create) before
 * adding them, while that pays: the cache passes keys that do not
 * repeat straight through. */
#define HCK_SINK_COMBINE 0x1

/*
 * hck_sink_create - a sink into @t for the keys of @m.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM, HC_ERDONLY (HCK_SINK_COMBINE on a
 * read-only table).
 */
HC_API int hck_sink_create(hck_sink **out, hc_table *t, const hck_meta *m,
			   unsigned flags);
/*
 * A sink that hands each batch to a function instead of a table: the
 * keys of @m, integers in @keys (then @ptrs and @lens are NULL) or byte
 * strings @ptrs[i] of @lens[i] bytes (then @keys is NULL), valid only
 * during the call.  A non-zero return is the sink's error (an HC_E*
 * code), which stops the tokenizer as a table's error does.  For
 * callers that route keys elsewhere before counting them (hogcount-mpi
 * sends each key to the node that owns it).
 */
typedef int (*hck_sink_fn)(void *arg, const uint64_t *keys,
			   const void *const *ptrs, const size_t *lens,
			   size_t n);

/*
 * hck_sink_create_fn - a sink that calls @fn(@arg, ...) with every batch
 * of up to a few thousand keys.  hck_sink_table() gives NULL.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM.
 */
HC_API int hck_sink_create_fn(hck_sink **out, const hck_meta *m, hck_sink_fn fn,
			      void *arg);
/* hck_sink_destroy - free the sink (pending keys are dropped: flush
 * first; a combining sink's cache is flushed, its error not reported).
 * NULL is a no-op. */
HC_API void hck_sink_destroy(hck_sink *s);
/* hck_sink_flush - add the pending keys, those in a combining sink's
 * cache included (hck_tok_finish() calls it).  After the first error the
 * sink drops every batch and returns that error again. */
HC_API int hck_sink_flush(hck_sink *s);
/* hck_sink_added - keys handed on so far (each repeat counted): to the
 * table, or to a combining sink's cache, whose later flush may still
 * fail (hck_sink_flush() says so). */
HC_API uint64_t hck_sink_added(const hck_sink *s);
/* hck_sink_table - the sink's table. */
HC_API hc_table *hck_sink_table(const hck_sink *s);

/* The format of DNA input (FASTA, FASTQ, one sequence a line). */
enum hck_seq_fmt {
	HCK_FMT_UNKNOWN = 0,
	HCK_FMT_FASTA,
	HCK_FMT_FASTQ,
	HCK_FMT_LINES,
};

/* hck_seq_detect - the format from the first bytes of a DNA input. */
HC_API int hck_seq_detect(const void *buf, size_t n);

/*
 * hck_tok_create - a tokenizer for the keys of @m into @s.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM.
 */
HC_API int hck_tok_create(hck_tok **out, const hck_meta *m, hck_sink *s);
/* hck_tok_destroy - free it; NULL is a no-op. */
HC_API void hck_tok_destroy(hck_tok *tk);

/*
 * hck_tok_reset - start a new file, stream or chunk.  @fmt: DNA: the
 * file's enum hck_seq_fmt when known, else HCK_FMT_UNKNOWN (detected
 * from the first bytes).  Fragments and n-grams never span two files.
 */
HC_API void hck_tok_reset(hck_tok *tk, int fmt);

/*
 * hck_tok_feed - feed @n bytes.  Streams feed block after block with
 * @limit == SIZE_MAX; a byte range of a mapped file is fed in one call
 * that runs to the end of the file, with @limit the end of the range:
 * only tokens (records, fragments, n-grams) that start before @limit
 * are counted.  Returns HC_OK or an HC_E* code from the table.
 */
HC_API int hck_tok_feed(hck_tok *tk, const void *buf, size_t n, size_t limit);

/* hck_tok_finish - end of a stream or chunk: flush what is buffered. */
HC_API int hck_tok_finish(hck_tok *tk);

/*
 * hck_tok_align - the first offset >= @s in @buf (of @n bytes) where a
 * token owned by the chunk starting at @s may start; @n if none.
 * Cutting a file: the chunk [s, e) owns the tokens whose first byte
 * lies in [s, e).
 */
HC_API size_t hck_tok_align(const hck_tok *tk, const void *buf, size_t n,
			    size_t s);

/*
 * Parts of a file.  A caller that maps a large file a window at a time
 * hands the tokenizer parts of it that end before the file does; these
 * two take such a part and count exactly what hck_tok_align() and one
 * hck_tok_feed() over the rest of the file would.  Neither reads past
 * @n; where the answer needs bytes past @n (a line, a word or a FASTQ
 * record that runs on), they say so instead of guessing.  The part
 * that ends the file goes to hck_tok_align() and hck_tok_feed().
 *
 * hck_tok_align_part - hck_tok_align() on a part @buf[0, @n) that the
 * file goes on past.  @buf starts before @s (at least the byte before
 * it), unless @s is the start of the file.  Returns 1 and *@at, the
 * offset hck_tok_align() gives (@n: none in the rest of the file), or 0
 * when the part does not tell (@s == @n, too): ask again at *@at, from
 * a part that starts before it, a longer one if *@at is @s.  HC_EINVAL
 * if @s > @n.
 */
HC_API int hck_tok_align_part(const hck_tok *tk, const void *buf, size_t n,
			      size_t s, size_t *at);

/*
 * hck_tok_feed_part - hck_tok_feed() on a part @buf[0, @n) that the file
 * goes on past, @limit the end of the range from @buf (0 once past it).
 * *@used: the bytes taken.  Feed the next part from there, with @limit
 * less *@used.  Fewer than @n when the tokens past @limit need more
 * bytes to be told apart than the part holds (a byte fragment, a FASTQ
 * record); 0 when it takes none: hand a longer part.  Stop once
 * hck_tok_done().  Returns HC_OK, HC_EINVAL, or an HC_E* code from the
 * table.
 */
HC_API int hck_tok_feed_part(hck_tok *tk, const void *buf, size_t n,
			     size_t limit, size_t *used);

/* hck_tok_done - 1 once a feed has read past its limit: the chunk's
 * tokens are all seen, and more bytes are ignored. */
HC_API int hck_tok_done(const hck_tok *tk);

/* hck_tok_skipped - word n-grams skipped because longer than
 * HC_KEY_BYTES_MAX. */
HC_API uint64_t hck_tok_skipped(const hck_tok *tk);

/*
 * hck_tok_skipped_bytes - DNA: bytes of sequence lines that are neither
 * a base nor another byte a sequence may hold (a letter such as N,
 * '-', '.', '*', a blank, '\r'), since the tokenizer was created: what a
 * file that is not FASTA, FASTQ or sequence lines gives.  They restart
 * the k-mer like N.  0 for other tokens.
 */
HC_API uint64_t hck_tok_skipped_bytes(const hck_tok *tk);

/* ---- word ids --------------------------------------------------------- */

/*
 * Word n-grams counted as integers.  The workers of one count share a
 * vocabulary, a byte-key table in which each word's count is its id + 1,
 * set once by whichever worker meets the word first (hc_put_bytes: ids
 * come from one shared counter, a race's loser leaves a gap, and no id
 * is ever given to two words).  An n-gram whose k words all have ids
 * below 2^b (b = 32, 20, 16 bits for k = 2, 3, 4) is the integer of
 * those ids, first word highest, in a table of integer keys (narrow
 * slots for k = 3, else u64); any other n-gram (a word met after 2^b
 * others) is added as its text to the spill table the caller gives, as
 * hck_tok_create() would add it.  hck_ids_save() writes one compact
 * byte-key file (hc_table_save_compact_with()) of the spill table and
 * the n-grams of ids, each as its text: the file a count of the texts
 * would write, with the same keys and counts.  Each worker's tokenizer
 * (hck_ids_tok_create(), after fork) keeps the ids of the words it has
 * met in private memory, so most words cost no shared lookup.
 *
 * hck_ids_fits - 1 if the keys of @m can be counted so: word n-grams of
 * order 2 to HCK_IDS_K_MAX, else 0.
 */
#define HCK_IDS_K_MAX 4u
HC_API int hck_ids_fits(const hck_meta *m);

typedef struct hck_ids hck_ids;

/*
 * hck_ids_create - the vocabulary and the table of n-grams of ids of a
 * count whose text keys would go to @spill (a byte-key table with a
 * record of word n-grams that hck_ids_fits(), writable, not compact).
 * Both live in anonymous shared mappings: create before forking the
 * workers.  The n-gram table starts sized for @keys distinct n-grams
 * (as hck_plan_table() sizes tables; 0: unknown, @spill's capacity) and
 * grows; it adds in @spill's mode.
 * Returns HC_OK, HC_EINVAL, HC_EKIND (@spill's keys do not fit, or
 * tables cannot grow here: no 16-byte CAS, design.md M8), HC_ERDONLY,
 * HC_ECORRUPT (no record), HC_ENOMEM.
 */
HC_API int hck_ids_create(hck_ids **out, hc_table *spill, uint64_t keys);

/* hck_ids_destroy - close both tables (the caller's spill table stays);
 * NULL is a no-op. */
HC_API void hck_ids_destroy(hck_ids *x);

/*
 * hck_ids_tok_create - a tokenizer (hck_tok_*) that counts into @x: one
 * per thread of one process, created in the process that feeds it.  It
 * owns its two sinks (hck_sink_create() with HCK_SINK_COMBINE: ids and
 * spilled texts); hck_tok_finish() flushes both.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM.
 */
HC_API int hck_ids_tok_create(hck_tok **out, hck_ids *x);

/* hck_tok_added - keys a tokenizer handed on so far, to its sink or
 * sinks (hck_sink_added()). */
HC_API uint64_t hck_tok_added(const hck_tok *tk);

/*
 * What a count by ids holds.
 * @size: sizeof(hck_ids_info), set by the caller.
 * @bits: bits of an id in an n-gram (b).
 * @ids: ids given out (the vocabulary's words, plus any gaps).
 * @grams: distinct n-grams of ids.
 * @spilled: distinct n-grams in the spill table (as text).
 */
typedef struct hck_ids_info {
	size_t size;
	unsigned bits;
	uint64_t ids;
	uint64_t grams;
	uint64_t spilled;
} hck_ids_info;

/* hck_ids_info_get - what @x holds.  Returns HC_OK, HC_EINVAL. */
HC_API int hck_ids_info_get(const hck_ids *x, hck_ids_info *info);

/*
 * hck_ids_save - write @x to @path as hc_table_save_compact_with() of
 * the spill table and the n-grams of ids as texts, sorted by their
 * bytes: the words sorted twice (as they compare inside a text, before
 * a space, and at its end), each id replaced by its rank, and the
 * n-grams sorted as integers.  Once every worker is done, and once:
 * the table of n-grams of ids is released as soon as it is read (a
 * second call gives HC_EINVAL).  Holds 16 bytes a distinct n-gram of
 * ids (32 where the ranks leave fewer than 4 bits of their word for the
 * count: 4-grams of more than 2^15 words), and about 100 a word, while
 * it runs, besides the writer's; its walk, sorts and writer
 * run in threads, one a CPU it may run on (at most 8), from 2^20
 * entries.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM, HC_ECORRUPT (an n-gram of an id
 * the vocabulary does not hold), and what hc_table_save_compact_with()
 * returns.
 */
HC_API int hck_ids_save(hck_ids *x, const char *path);

/* ---- partition ------------------------------------------------------ */

/*
 * The partition of keys among the @n shards of a sharded table (the
 * output of hogcount-mpi), "hck-part-1".  It depends on the key alone,
 * never on a table's seed or capacity, so a reader finds a key's shard
 * from the manifest.  With mix(x) the splitmix64 finalizer
 *	x ^= x >> 30; x *= 0xbf58476d1ce4e5b9;
 *	x ^= x >> 27; x *= 0x94d049bb133111eb; x ^= x >> 31
 * an integer key goes to shard mix(key) mod n, and a byte-string key
 * to mix(fnv1a64(bytes)) mod n, with FNV-1a 64 (offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3, one byte at a time).
 */
#define HCK_PART_NAME "hck-part-1"

/* hck_part_key - the shard of the integer key @key among @n (n >= 1). */
HC_API uint32_t hck_part_key(uint64_t key, uint32_t n);

/* hck_part_keys - hck_part_key() of @n keys into @out, one call per
 * batch for bindings (Python's hogcount.partition).  Returns HC_OK, or
 * HC_EINVAL (@nparts 0, NULL arrays).  A pure function. */
HC_API int hck_part_keys(const uint64_t *keys, size_t n, uint32_t nparts,
			 uint32_t *out);

/* hck_part_bytes - the shard of the byte-string key @p of @len bytes. */
HC_API uint32_t hck_part_bytes(const void *p, size_t len, uint32_t n);

/* ---- sharded tables: the manifest ----------------------------------- */

/*
 * A sharded table (hogcount-mpi count, docs/scaling.md "Output") is n
 * table files OUT.shard-<i>-of-<n> and the manifest OUT, a small text
 * file that names them, the partition (HCK_PART_NAME), the record of
 * their keys (hck_meta_format), a run id, and each shard's size and
 * sum (hck_shard_id_read), so that a reader refuses shard files that
 * another run wrote.  Written, read and checked only here (manifest.c):
 * hogcount-mpi, every `hogcount` command and Python call these.
 */
#define HCK_MANIFEST_MAGIC "hogcount-sharded"
/* The format written; readers take 1 (no run, sizes or sums: callers
 * warn that it cannot be checked) up to this. */
#define HCK_MANIFEST_VERSION 2
/* Most shards a manifest may name. */
#define HCK_MANIFEST_SHARDS_MAX (UINT32_C(1) << 20)
/* The bytes at the start of a shard file its sum covers. */
#define HCK_SHARD_SUM_BYTES 4096u

/*
 * A shard file as a manifest records it.
 * @size: bytes.
 * @sum: XXH3-64 of its first HCK_SHARD_SUM_BYTES bytes (all of it if
 *	shorter).  For a table saved by hc_table_save (sealed) these bytes
 *	are its header, which holds the checksums of every region, so the
 *	sum stands for the whole file at the cost of one read.
 */
typedef struct hck_shard_id {
	uint64_t size;
	uint64_t sum;
} hck_shard_id;

/*
 * hck_shard_path - the file of shard @i of @n of the sharded table
 * @out, "OUT.shard-<i>-of-<n>", NUL-terminated into @buf of @cap bytes.
 * Returns HC_OK, HC_EINVAL (@i >= @n), HC_ERANGE (@cap too small).
 */
HC_API int hck_shard_path(char *buf, size_t cap, const char *out, uint32_t i,
			  uint32_t n);

/*
 * hck_shard_id_read - the size and sum of the file @path.
 * Returns HC_OK, HC_EINVAL, HC_EIO (errno tells why; EISDIR or EINVAL
 * for a directory or another file that is not a regular one).
 */
HC_API int hck_shard_id_read(const char *path, hck_shard_id *id);

/*
 * hck_shard_check - whether the file @path is the one recorded as
 * @want: HC_OK if its size and sum match, HC_ECORRUPT if not (another
 * file: *@found, if not NULL, gets what is there), HC_EIO (errno) if it
 * cannot be read.  A writer checks the files it is about to name as a
 * node saw them; a reader checks them before it opens them.
 */
HC_API int hck_shard_check(const char *path, const hck_shard_id *want,
			   hck_shard_id *found);

/* hck_manifest_is - 1 if the file @path starts as a manifest, else 0. */
HC_API int hck_manifest_is(const char *path);

/*
 * hck_manifest_write - write the manifest @out of @n shards
 * (hck_shard_path(out, i, n)) holding keys of @m, written by the run
 * @run as @id[0..n-1], in format HCK_MANIFEST_VERSION; atomically: a
 * temporary name beside @out, fsync, mode 0644, rename.  Write it last,
 * once every shard is saved and checked (hck_shard_check); making the
 * rename durable (fsync of the directory) is the caller's.
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM, HC_ENOSPC, HC_EIO (errno).
 * Concurrent writers of one @out: the last rename wins.
 */
HC_API int hck_manifest_write(const char *out, const hck_meta *m, uint32_t n,
			      uint64_t run, const hck_shard_id *id);

/* A manifest as read (opaque). */
typedef struct hck_manifest hck_manifest;

/*
 * What a manifest says.
 * @size: sizeof(hck_manifest_info), set by the caller.
 * @version: its format: 1 (no run, sizes or sums: nothing to verify)
 *	or 2.
 * @shards: n.
 * @run: the run that wrote it (format 2), else 0.
 * @meta: the record of the keys of every shard.
 */
typedef struct hck_manifest_info {
	size_t size;
	unsigned version;
	uint32_t shards;
	uint64_t run;
	hck_meta meta;
} hck_manifest_info;

/*
 * hck_manifest_read - read the manifest @path into a new *@out (free it
 * with hck_manifest_free()).  Shard files are named relative to the
 * manifest's directory; they are not opened (hck_manifest_verify()).
 * Returns HC_OK; HC_EINVAL; HC_EIO (errno: it cannot be read);
 * HC_ENOMEM; HC_ECORRUPT (not a valid manifest) or HC_EVERSION (a
 * format or partition this library does not read), with, where not
 * NULL, the line in *@line (from 1) and a phrase in *@why (static).
 */
HC_API int hck_manifest_read(hck_manifest **out, const char *path,
			     unsigned *line, const char **why);

/* hck_manifest_free - free it; NULL is a no-op. */
HC_API void hck_manifest_free(hck_manifest *mf);

/* hck_manifest_info_get - what @mf says.  Returns HC_OK, HC_EINVAL
 * (@info->size too small). */
HC_API int hck_manifest_info_get(const hck_manifest *mf,
				 hck_manifest_info *info);

/*
 * hck_manifest_shard - shard @i of @mf: its file (*@path, valid until
 * hck_manifest_free) and its size and sum as recorded (*@id; zeros in
 * format 1), each where not NULL.  Returns HC_OK, HC_EINVAL (@i out of
 * range).
 */
HC_API int hck_manifest_shard(const hck_manifest *mf, uint32_t i,
			      const char **path, hck_shard_id *id);

/*
 * hck_manifest_verify - hck_shard_check() of every shard of @mf, in
 * order, against what it records: HC_OK if all match (format 1: always,
 * nothing being recorded), else the first failure's code (HC_ECORRUPT:
 * another run's file, HC_EIO: unreadable, errno set) with its index in
 * *@bad and, for HC_ECORRUPT, what is there in *@found (each where not
 * NULL).  Any number of processes.
 */
HC_API int hck_manifest_verify(const hck_manifest *mf, uint32_t *bad,
			       hck_shard_id *found);

/* ---- planning -------------------------------------------------------- */

/*
 * What a job knows about the table it needs.
 * @size: sizeof(hck_plan_in), set by hck_plan_in_init().
 * @keys: expected distinct keys, a hint for the starting size; 0:
 *	unknown (a small table, 1024 slots or the packed minimum).
 * @key_bytes: byte keys: key-area bytes a key takes, 0: from @m.
 * @mode: enum hc_mode (default HC_MODE_EXACT).
 * @arena_bytes: byte keys: the whole key area; 0: @key_bytes per slot.
 * @wide: 1: never packed slots (16-byte u64 slots, as --wide).
 * @max_capacity: 0 (unbounded), or a limit: the table grows to at most
 *	the power of two of slots at or above it (hc_options.max_bits),
 *	then adds fail with HC_EFULL.
 */
typedef struct hck_plan_in {
	size_t size;
	uint64_t keys;
	uint64_t key_bytes;
	uint64_t arena_bytes;
	int mode;
	int wide;
	uint64_t max_capacity;
} hck_plan_in;

/*
 * A plan: the options of the table to create, and @size_hint, the
 * distinct keys its first generation is sized for.  The plan picks the
 * kind and a starting size only: every hashed table it plans grows
 * (hc_options.grow = HC_GROW_ON; 90 for k-mers of k >= 23, whose narrow
 * slots stay 8 bytes).
 */
typedef struct hck_plan {
	size_t size;
	hc_options opt;
	uint64_t size_hint;
} hck_plan;

HC_API void hck_plan_in_init(hck_plan_in *in);

/*
 * hck_plan_table - the key kind and geometry of a table for the keys of @m:
 * dense when the key space is small next to the table, byte keys for
 * byte-string keys, narrow slots for DNA k-mers of k = 9..31 (unless
 * @in->wide), packed 8-byte slots where the count field of a
 * growing table (51 - q bits) keeps at least 20 bits from a start of at
 * most 2^20 slots (keys of up to 51 bits), or keeps 16 bits from a
 * start under twice the hinted size (wider keys with a large hint),
 * else u64.  The start is @in->keys / 0.75 + 1024 slots, or 1024 with
 * no hint, raised for packed keys to 2^(key_bits - 31) slots (2^(key_bits
 * - 35) for the wider ones).  The table grows at a load of
 * 0.8 (0.9: narrow slots of k >= 23), so a grown table ends at least
 * 0.4 full.  The one place that
 * sizes tables: `count`, `merge`, the model's reductions and Python
 * call it.
 * Returns HC_OK, HC_EINVAL.  Any number of threads (pure function).
 */
HC_API int hck_plan_table(const hck_meta *m, const hck_plan_in *in,
			  hck_plan *out);

/*
 * hck_plan_max_capacity - the hck_plan_in.max_capacity for a limit of
 * @max_keys distinct keys (`count --max-size`): the slots that hold
 * them below the load at which a table grows (HC_GROW_ON, 0.8), so that
 * @max_keys keys fit and more fail with HC_EFULL.  A pure function.
 */
HC_API uint64_t hck_plan_max_capacity(uint64_t max_keys);

/* The byte ranges a plain input file is cut into for the workers:
 * HCK_CHUNK_MIN .. HCK_CHUNK_MAX (hck_plan_chunk). */
#define HCK_CHUNK_MIN (UINT64_C(1) << 20)
#define HCK_CHUNK_MAX (UINT64_C(64) << 20)

/*
 * hck_plan_chunk - the byte range to cut plain input files into, for
 * @workers workers (processes or ranks, at least 1) sharing
 * @total_bytes of regular files: about 16 ranges a worker, so that all
 * finish together, within HCK_CHUNK_MIN .. HCK_CHUNK_MAX.  `count` and
 * hogcount-mpi use it where --chunk-size is not given.  A pure function.
 */
HC_API uint64_t hck_plan_chunk(uint64_t total_bytes, uint64_t workers);

/*
 * hck_table_create - hc_table_create() with the plan's options, and the
 * record of @m stored.  Returns as hc_table_create() and
 * hck_meta_store().
 */
HC_API int hck_table_create(hc_table **out, const hck_meta *m,
			    const hck_plan *p);

/*
 * hck_table_filter - a new private table (as hc_table_create()) holding
 * the keys of @src whose count c is in @lower <= c <= @upper, with
 * their counts, and @src's record: the count-time filter of `count
 * -L/-U`.  One walk counts the keys kept, the plan sizes the new table
 * for exactly them (of the kind hck_plan_table() picks for that many:
 * a dense @src may become packed; a u64 one stays u64), and a second
 * walk copies them, so the new table does not grow and hc_table_save()
 * writes a file sized to the kept keys.  No key kept: an empty table.
 * @src is only read; for an exact copy nobody adds to it meanwhile
 * (keys added between the walks are copied or not, as hc_iter, G2).
 * Returns HC_OK, HC_EINVAL (@lower 0, @upper < @lower), HC_ECORRUPT or
 * HC_EKIND (@src has no valid record), HC_ENOMEM.
 * Any number of processes may call it on the same @src.
 */
HC_API int hck_table_filter(hc_table **out, const hc_table *src, uint64_t lower,
			    uint64_t upper);

/* ---- export ---------------------------------------------------------- */

/*
 * hck_export - copy the entries of an integer table (u64, packed or
 * dense, the header's zero key included) into @keys and @counts, arrays
 * of @cap elements, in iteration order; *n gets how many.  The fast
 * path for numpy: one pass in C, whatever the slot layout.
 * Returns HC_OK, HC_EMISUSE (a byte-key table), HC_ERANGE (@cap too
 * small: *n is the number of entries copied, and the walk stopped),
 * HC_ENOMEM, HC_ECORRUPT.  Concurrent with updates as hc_iter (G2).
 */
HC_API int hck_export(const hc_table *t, uint64_t *keys, uint64_t *counts,
		      size_t cap, size_t *n);

/*
 * hck_export_bytes - the entries of a byte-key table: their key bytes
 * one after another in @data (@data_cap bytes), the end offset of key i
 * in @ends[i], its count in @counts[i] (arrays of @cap elements).  *n
 * gets the entries and *data_len the bytes copied.
 * Returns HC_OK, HC_EMISUSE (an integer table), HC_ERANGE (an array too
 * small: what fit was copied), HC_ENOMEM, HC_ECORRUPT.
 */
HC_API int hck_export_bytes(const hc_table *t, unsigned char *data,
			    size_t data_cap, uint64_t *ends, uint64_t *counts,
			    size_t cap, size_t *n, size_t *data_len);

#ifdef __cplusplus
}
#endif

#endif /* HOGCOUNT_KEYS_H */
