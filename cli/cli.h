/* SPDX-License-Identifier: MIT */
/*
 * cli.h - declarations shared by the files of the hogcount command-line
 * tool.  Data flows input.c (bytes) -> records.c / ngram.c / kmer.c
 * (tokens and keys) -> sink.c (batches into the table) -> cmd_*.c.
 */
#ifndef HC_CLI_H
#define HC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hogcount.h"

/* Exit codes: 0 success, 1 runtime failure, 2 bad usage, 128+sig. */
#define EXIT_USAGE 2

/* ---- util.c: messages, numbers, escapes ------------------------------ */

/* The running subcommand, "count", "dump", ...; prefixes every message. */
extern const char *cli_cmd;

/* Print "hogcount <cmd>: <what>: <message>\n" on stderr. */
void cli_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a count with an optional k/K, m/M, g/G, t/T suffix (powers of
 * 1000) or ki/Mi/Gi/Ti (powers of 1024).  Returns 0 or -1. */
int parse_u64(const char *s, uint64_t *out);

/* Report an option getopt_long() rejected (opterr = 0); returns
 * EXIT_USAGE. */
int bad_option(char **argv);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

/*
 * Key text for byte and word keys: bytes are written as they are except
 * backslash (\\), tab (\t), newline (\n), carriage return (\r) and the
 * other bytes below 0x20 and 0x7f (\xHH, two lower-case hex digits).
 * Bytes from 0x80 up pass through, so UTF-8 text stays readable.
 */
void escape_write(FILE *f, const unsigned char *s, size_t len);

/* Undo escape_write() in place.  Returns the new length or -1 on a bad
 * escape. */
long unescape(char *s, size_t len);

/* ---- meta.c: what the keys of a table mean -------------------------- */

enum tok_kind { TOK_DNA = 1, TOK_BYTES = 2, TOK_WORDS = 3 };

struct meta {
	int tokens; /* enum tok_kind */
	unsigned k; /* order: bases, bytes or words */
	int canonical; /* DNA only */
};

/* Encode into the table's user record / decode from it. */
int meta_store(hc_table *t, const struct meta *m);
int meta_load(const hc_table *t, struct meta *m);
const char *tok_name(int tokens);

/* Open a table file read-only and read its metadata; prints the error
 * and returns -1 on failure. */
int table_open_meta(const char *path, hc_table **t, struct meta *m);

/* Human text of a key (no newline). */
void key_write(FILE *f, const struct meta *m, const hc_entry *e);

/* Parse a key as dump writes it.  For integer keys *key is set; for byte
 * keys, @buf (modified in place) holds the bytes and *len their length.
 * Returns 0, or -1 with a reason in *why. */
int key_parse(const struct meta *m, char *buf, size_t len, uint64_t *key,
	      size_t *klen, const char **why);

/* ---- kmer.c --------------------------------------------------------- */

/* 0..3 for ACGT/acgt, 4 for bytes to skip (\r), 5 for the rest. */
extern const unsigned char dna_code[256];
void kmer_string(uint64_t key, unsigned k, char *out);
uint64_t kmer_revcomp(uint64_t key, unsigned k);

/* ---- sink.c: batches of keys into the table ------------------------- */

#define SINK_KEYS 4096u
#define SINK_ARENA (1u << 20)
#define SINK_COMBINE_SLOTS (2 * SINK_KEYS) /* a power of 2 */

struct sink {
	hc_table *t;
	int bytes; /* byte-string keys */
	int combine; /* integer keys: sum repeats of a batch before adding */
	int err; /* first HC_E* code met, else 0 */
	size_t n;
	uint64_t added; /* keys added so far */
	uint64_t keys[SINK_KEYS];
	uint64_t deltas[SINK_KEYS]; /* combined batches: each key's repeats */
	uint16_t cidx[SINK_COMBINE_SLOTS]; /* 1 + index into keys, or 0 */
	uint16_t cused[SINK_KEYS]; /* the cidx entries to clear */
	const void *ptrs[SINK_KEYS];
	size_t lens[SINK_KEYS];
	size_t arena_used;
	unsigned char *arena; /* SINK_ARENA bytes for copied keys */
};

void sink_init(struct sink *s, hc_table *t, int bytes, int combine);
void sink_free(struct sink *s);
int sink_flush(struct sink *s);

static inline int sink_u64(struct sink *s, uint64_t key)
{
	s->keys[s->n++] = key;
	if (s->n == SINK_KEYS)
		return sink_flush(s);
	return 0;
}

/* A byte key that stays valid until the next sink_flush(). */
static inline int sink_ref(struct sink *s, const void *p, size_t len)
{
	s->ptrs[s->n] = p;
	s->lens[s->n++] = len;
	if (s->n == SINK_KEYS)
		return sink_flush(s);
	return 0;
}

/* Room for a copied key of @len bytes (len <= SINK_ARENA); flushes first
 * if needed.  Fill it, then call sink_commit(). */
unsigned char *sink_reserve(struct sink *s, size_t len);
int sink_commit(struct sink *s, unsigned char *p, size_t len);

/* ---- tokenizers: records.c, ngram.c --------------------------------- */

enum seq_fmt { FMT_UNKNOWN = 0, FMT_FASTA, FMT_FASTQ, FMT_LINES };

struct tok {
	struct meta m;
	struct sink *sink;
	/* DNA */
	int fmt; /* enum seq_fmt: the file's, or UNKNOWN */
	int st; /* framer state (records.c) */
	uint64_t seq_len, qual_left;
	uint64_t fwd, rev, mask, run;
	unsigned shift;
	/* bytes */
	uint64_t roll;
	unsigned char *tail; /* last k-1 bytes of the previous block */
	size_t tail_len;
	/* words: the last k words, a ring */
	unsigned char **wbuf;
	size_t *wlen, *wcap;
	unsigned char *wpre; /* word started before the limit */
	size_t whead, wcount; /* oldest word, number held */
	size_t pending; /* words starting before limit, not yet heads */
	int in_word;
	int limit_hit;
	uint64_t skipped; /* n-grams longer than HC_KEY_BYTES_MAX */
};

void tok_init(struct tok *tk, const struct meta *m, struct sink *s);
void tok_free(struct tok *tk);

/* Start a new file, stream or chunk.  @fmt: the file's format when
 * known (DNA), else FMT_UNKNOWN (detected from the first bytes). */
void tok_reset(struct tok *tk, int fmt);

/*
 * Feed @n bytes.  Streams call it block after block with @limit ==
 * SIZE_MAX; a byte range of a mapped file is fed in one call that runs
 * to the end of the file, with @limit the end of the range: only tokens
 * (records, fragments, n-grams) that start before @limit are counted.
 * Returns 0 or an HC_E* code from the table.
 */
int tok_feed(struct tok *tk, const unsigned char *buf, size_t n, size_t limit);

/* End of a stream or chunk: flush what is buffered. */
int tok_finish(struct tok *tk);

/* First offset >= @s in @buf (of @n bytes) where a token owned by the
 * chunk starting at @s may start.  Returns n if there is none. */
size_t tok_align(const struct tok *tk, const unsigned char *buf, size_t n,
		 size_t s);

/* records.c internals used by tok_feed */
int dna_feed(struct tok *tk, const unsigned char *buf, size_t n, size_t limit);
size_t dna_align(int fmt, const unsigned char *buf, size_t n, size_t s);
int seq_detect(const unsigned char *buf, size_t n);

/* ngram.c */
int bytes_feed(struct tok *tk, const unsigned char *buf, size_t n,
	       size_t limit);
int words_feed(struct tok *tk, const unsigned char *buf, size_t n,
	       size_t limit);
int words_end(struct tok *tk);
size_t words_align(const unsigned char *buf, size_t n, size_t s);

#endif /* HC_CLI_H */
