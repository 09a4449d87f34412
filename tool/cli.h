/* SPDX-License-Identifier: MIT */
/*
 * cli.h - declarations shared by the two command-line tools, hogcount
 * (cli/) and hogcount-mpi (mpi/): messages, numbers, outputs, tables.
 * Data flows the input layer (hogcount_input.h: bytes) -> the key
 * layer's tokenizers and sinks (hogcount_keys.h) -> the table; the
 * subcommands are cli/cmd_*.c.
 */
#ifndef HC_CLI_H
#define HC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hogcount.h"
#include "hogcount_keys.h"

/* Exit codes: 0 success, 1 runtime failure, 2 bad usage, 128+sig. */
#define EXIT_USAGE 2
/* A worker's exit status (never the command's) after it printed the
 * one line of its failure itself (the SIGBUS handler): the parent adds
 * none. */
#define EXIT_WORKER_SAID 3

/* ---- util.c: messages, numbers, escapes ------------------------------ */

/* The running subcommand, "count", "dump", ...; prefixes every message. */
extern const char *cli_cmd;

/* Print "hogcount <cmd>: <what>: <message>\n" on stderr. */
void cli_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * SIGBUS: a page of a table's file or shared-memory object that the
 * file system could not supply (a hole in a file written sparse by an
 * older version, on a full disk or /dev/shm).  The library backs every
 * region it maps (docs/design.md, D4), so this is a safety net: the
 * handler prints "hogcount: TABLE: the file system could not supply a
 * page (full disk?)" and exits 1 (a worker: EXIT_WORKER_SAID), instead
 * of a death by signal.  cli_sigbus_install() once, in main();
 * cli_sigbus_table() names the table opened last.
 */
void cli_sigbus_install(void);
void cli_sigbus_table(const char *name);

/* Print the one line of a failed hc_table_save(_compact) of @path:
 * a full device says so (the copy is removed: nothing was written). */
void save_error(const char *path, int rc);

/* Parse a count with an optional k/K, m/M, g/G, t/T suffix (powers of
 * 1000) or ki/Mi/Gi/Ti (powers of 1024).  Returns 0 or -1. */
int parse_u64(const char *s, uint64_t *out);

/* --size and --max-size: expected distinct keys, at most half the
 * largest capacity (the planner's load); CLI_SIZE_RANGE says so in the
 * error of a value out of range. */
#define CLI_SIZE_MAX (HC_CAPACITY_MAX / 2)
#define CLI_SIZE_RANGE                                                   \
	"1 to 512Gi (2^39) keys; suffixes k M G T (x 1000) or Ki Mi Gi " \
	"Ti (x 1024)"

/* Report an option getopt_long() rejected (opterr = 0); returns
 * EXIT_USAGE. */
int bad_option(char **argv);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

/* Key text of byte and word keys, with the escapes of hck_escape(). */
void escape_write(FILE *f, const unsigned char *s, size_t len);

/* ---- table files other processes hold (design.md L1-L5) ------------- */

/*
 * The other processes that hold a lock on the file at @path (writers,
 * hc_lock holders), as "pid 123 (hogcount), pid 456 (python3)", into
 * @buf; "another process" where /proc does not tell.
 */
void lock_holders(const char *path, char *buf, size_t cap);

/*
 * Lock the table file @out exclusively before this run replaces it, so
 * that no process adds to it meanwhile: 0 (*l NULL where @out does not
 * exist yet), or -1 after one line naming the processes that hold it.
 */
int out_lock_take(const char *out, hc_lock **l);

/* ---- outputs: never an input, written whole or not at all ------------ */

/*
 * 1 if the output @out is the same file (device and inode, so links and
 * other spellings of the path count) as one of the @n @inputs ("-":
 * standard input), after printing one line naming both; else 0.  An
 * output that does not exist yet is no input.
 */
int output_is_input(const char *out, char *const *inputs, size_t n);

/*
 * A text output written under a temporary name beside @path, renamed
 * over it by out_commit(): a failed or interrupted run leaves @path as
 * it was.  A @path that exists and is not a regular file (a FIFO,
 * /dev/stdout) is written in place.
 */
struct out_file {
	FILE *f;
	const char *path;
	char *tmp; /* NULL: written in place */
};

/* Open @o for @path; prints the error and returns -1 on failure. */
int out_open(struct out_file *o, const char *path);
/* Flush, sync and rename into place; prints the error and returns -1
 * (the temporary file removed) on failure. */
int out_commit(struct out_file *o);
/* Drop what was written (the temporary file removed). */
void out_abort(struct out_file *o);

/* ---- what the keys of a table mean: the key layer ------------------- */

/* What names a named shared-memory table where a table file could be
 * given: "shm:NAME" (docs/cli.md, "Live tables"). */
#define SHM_PREFIX "shm:"

/* One line of the readers' --help on what TABLE may be. */
#define TABLE_HELP                                                       \
	"TABLE: a table file, a sharded table's manifest, or shm:NAME\n" \
	"(the table of a hogcount count --shm NAME, even while it runs).\n"

/*
 * shm_name - "/NAME", as hc_table_create_shm() and hc_table_attach()
 * take it, of @arg ("NAME" or "/NAME", no other '/') into @buf of @cap
 * bytes.  Prints the error naming @what and returns -1 if invalid.
 */
int shm_name(const char *what, const char *arg, char *buf, size_t cap);

/*
 * table_open - a table file opened read-only, or "shm:NAME" attached
 * (read-write where allowed, so that a walk of a table that grows under
 * it misses no key; it adds nothing).  Prints the error naming @path and
 * returns -1 on failure.
 */
int table_open(const char *path, hc_table **t);

/* table_open() and read the record (hck_meta_load); prints the error
 * and returns -1 on failure. */
int table_open_meta(const char *path, hc_table **t, hck_meta *m);

/*
 * meta_refuse - 0 if @have, the record of the table @path, holds the
 * keys of @want (same tokens, order and canonical flag): the one check
 * of merge, count --into and manifests.  Else prints "PATH: holds dna
 * k=21, not dna k=25 as AS" and returns -1.
 */
int meta_refuse(const char *path, const hck_meta *have, const hck_meta *want,
		const char *as);

/* Human text of a key (no newline). */
void key_write(FILE *f, const hck_meta *m, const hc_entry *e);

#endif /* HC_CLI_H */
