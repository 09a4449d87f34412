/* SPDX-License-Identifier: MIT */
/*
 * hogcount_input.h - the input layer: opening, decompressing and cutting
 * the files a count reads, and feeding them to the key layer's
 * tokenizers (hogcount_keys.h).  It is the only place that knows:
 *
 * - compressed inputs, told apart by their magic bytes and read as
 *   streams: gzip (ISA-L's igzip where the build found it, else zlib),
 *   xz (liblzma), bzip2 (libbz2) and zstd (libzstd), each with
 *   concatenated members, streams or frames.  Formats it does not read
 *   (lz4, 7-Zip, zip, a table file, ...) are refused by name, never
 *   counted as bytes (hci_stream);
 * - the inputs of a job, cut into work items: byte ranges of plain
 *   regular files (cut at record starts by hck_tok_align, each read
 *   through a window mapped over it, never the whole file), and
 *   whole streams (compressed files, standard input, pipes), whose
 *   reader hands blocks of whole DNA records to idle workers; the shared
 *   cursor forked workers take items from, progress, and the first
 *   failure (hci_job).
 *
 * Built as libhogcount_input (static and shared), on the key layer and
 * the kernel, and the compression libraries.  Same conventions as
 * hogcount.h: int status (HC_OK or a negative code), results through
 * out-parameters; the library never prints, exits or aborts.  Its own
 * codes (HCI_ERRNO_MAP) lie below the kernel's; hci_strerror() names
 * both.  Where a failure has more to say (which codec, which format),
 * the handle keeps one line of text for the caller to print after the
 * file's name.
 */
#ifndef HOGCOUNT_INPUT_H
#define HOGCOUNT_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "hogcount.h"
#include "hogcount_keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

/*
 * The input layer's codes, besides the kernel's HC_EIO (a system call
 * failed: errno says why), HC_ENOMEM and HC_EINVAL.  Append only.
 */
#define HCI_ERRNO_MAP(XX)                                                    \
	XX(EFORMAT, -101,                                                    \
	   "input in a format hogcount does not read (it reads plain text, " \
	   "gzip, xz, bzip2 and zstd)")                                      \
	XX(EDATA, -102, "corrupt or truncated compressed input")             \
	XX(ESTDIN, -103, "standard input given twice")

enum {
#define HCI_ERR_ENUM(name, code, text) HCI_##name = (code),
	HCI_ERRNO_MAP(HCI_ERR_ENUM)
#undef HCI_ERR_ENUM
};

/* hci_strerror - the sentence of an input code, or hc_strerror(). */
HC_API const char *hci_strerror(int err);
/* hci_errname - "HCI_EDATA", ..., or hc_errname(). */
HC_API const char *hci_errname(int err);

/* ---- streams: one input, decompressed -------------------------------- */

enum hci_comp {
	HCI_PLAIN, /* no magic we know: read as it is */
	HCI_GZIP,
	HCI_XZ,
	HCI_BZIP2,
	HCI_ZSTD,
	HCI_REFUSED /* a container or compressor we do not read */
};

/* Enough leading bytes for every magic hci_sniff() knows. */
#define HCI_MAGIC_BYTES 16

/*
 * hci_sniff - the enum hci_comp of data that starts with @p (@n bytes,
 * fewer than HCI_MAGIC_BYTES only at the end of the data).  For
 * HCI_REFUSED, *what gets the format's name ("lz4", "zip", ...), else
 * NULL.  A pure function.
 */
HC_API int hci_sniff(const void *p, size_t n, const char **what);

/* hci_comp_name - "gzip", "xz", "bzip2", "zstd" or "plain". */
HC_API const char *hci_comp_name(int comp);

/* hci_inflater - the gzip inflater in use: "isa-l" or "zlib".
 * HOGCOUNT_INFLATE=zlib in the environment picks zlib in a build that
 * has ISA-L. */
HC_API const char *hci_inflater(void);

typedef struct hci_stream hci_stream;

/*
 * hci_stream_open - a reader over @fd, which it owns from then on
 * (hci_stream_close() closes it; hci_stream_open too when it fails).
 * The format is taken from the first bytes read, so a pipe or standard
 * input works as a file does.  Memory: about 300 KiB and one decoder,
 * whatever the size of the input.
 * Returns HC_OK, HC_ENOMEM.  One thread at a time per stream.
 */
HC_API int hci_stream_open(hci_stream **out, int fd);

/*
 * hci_stream_read - up to @cap decompressed bytes into @buf; *got gets
 * how many, 0 only at the clean end of the data.
 * Returns HC_OK; HC_EIO (a read error: errno says why), HCI_EDATA
 * (corrupt or truncated data), HCI_EFORMAT (a refused format, or a
 * compressed file inside another), HC_ENOMEM.  After an error every
 * call returns it again, and hci_stream_error() says it in one line.
 */
HC_API int hci_stream_read(hci_stream *d, void *buf, size_t cap, size_t *got);

/* hci_stream_error - one line (no newline) on the stream's failure,
 * such as "corrupt gzip stream (truncated)"; "" if none. */
HC_API const char *hci_stream_error(const hci_stream *d);

/* hci_stream_comp - the enum hci_comp found (HCI_PLAIN until the first
 * hci_stream_read()). */
HC_API int hci_stream_comp(const hci_stream *d);

/* hci_stream_in_bytes - bytes read from the file so far (compressed
 * bytes for a compressed input). */
HC_API uint64_t hci_stream_in_bytes(const hci_stream *d);

/* hci_stream_close - free the stream and close its descriptor; NULL is
 * a no-op. */
HC_API void hci_stream_close(hci_stream *d);

/* ---- jobs: the inputs of a count, cut into work items ----------------- */

/*
 * A job is built in one process (hci_job_create, hci_job_add,
 * hci_job_share), then forked: every worker inherits the list of items
 * and takes them through a cursor in shared memory, so whole small
 * files and byte ranges of big ones keep every worker busy until the
 * list runs out.  The first failure of any process (an unreadable or
 * corrupt input, a table that is full) is kept with its code and one
 * line, and stops the others at their next item; the caller reads it
 * with hci_job_error() and prints it.
 */
typedef struct hci_job hci_job;

/*
 * hci_job_create - an empty job for the tokens @tokens (enum
 * hck_tokens), whose plain regular files are cut into ranges of @chunk
 * bytes (at least 1; a range ends at a record start, as
 * hck_tok_align() finds it).
 * Returns HC_OK, HC_EINVAL, HC_ENOMEM, HC_EIO (mmap: errno).
 * Not concurrent: before fork.
 */
HC_API int hci_job_create(hci_job **out, int tokens, uint64_t chunk);

/*
 * hci_job_add - add the input @path ("-": standard input): a regular
 * file is peeked at once (its compression, and for DNA its format); a
 * pipe or device is not opened before it is counted.  An empty plain
 * file adds no item.
 * Returns HC_OK; HC_EIO (stat, open or read failed, a directory:
 * errno), HCI_EFORMAT (a refused format), HCI_ESTDIN, HC_ENOMEM; the
 * failure is the job's (hci_job_error), and the job is then done
 * (HC_EMISUSE from then on).
 * Not concurrent: before hci_job_share().
 */
HC_API int hci_job_add(hci_job *j, const char *path);

/*
 * hci_job_share - ready the job for @nworkers processes: with 2 or
 * more, DNA streams are cut into blocks of whole records that their
 * reader hands to the other workers (a ring in shared memory).  Call
 * it after the last hci_job_add(), before fork.
 * Returns HC_OK, HC_EIO (mmap: errno).
 */
HC_API int hci_job_share(hci_job *j, unsigned nworkers);

/* The inputs of a job, as hci_job_input() describes them. */
typedef struct hci_input {
	size_t size; /* sizeof(hci_input), set by the caller */
	const char *path; /* as added: "-" for standard input */
	int stream; /* 1: read whole, in order (compressed, stdin, pipe) */
	int comp; /* enum hci_comp (HCI_PLAIN for stdin and pipes) */
	int fmt; /* DNA: enum hck_seq_fmt of a plain file, else unknown */
	uint64_t bytes; /* bytes on disk; 0 if unknown */
	unsigned expand; /* compressed: a guess of plain bytes per byte */
} hci_input;

/*
 * What a job holds and has done so far.  The tallies are summed over
 * the processes that called hci_job_tally() (hci_job_count() does).
 */
typedef struct hci_stats {
	size_t size; /* sizeof(hci_stats), set by the caller */
	size_t inputs; /* hci_job_add()s that succeeded */
	size_t items;
	uint64_t total; /* sum of the known sizes on disk */
	int have_stdin;
	unsigned blocks; /* blocks of the DNA stream ring; 0: none */
	uint64_t done; /* input bytes read so far (compressed bytes) */
	uint64_t skipped; /* hck_tok_skipped_bytes (DNA) or hck_tok_skipped */
	uint64_t added; /* hck_sink_added */
	uint64_t blocks_shared; /* blocks counted by another worker than
				 * their reader */
} hci_stats;

/* hci_job_input - input @i (0 <= i < stats.inputs) into @in.
 * Returns HC_OK, HC_EINVAL (no such input, or @in->size too small). */
HC_API int hci_job_input(const hci_job *j, size_t i, hci_input *in);

/* hci_job_stats - the job's figures into @st (@st->size set).  Any
 * process, any time (the tallies are relaxed sums).
 * Returns HC_OK, HC_EINVAL. */
HC_API int hci_job_stats(const hci_job *j, hci_stats *st);

/*
 * hci_job_next - the next item for this process to run, or -1 when
 * there is none left or the job has failed.  Any number of processes:
 * each item is handed out once.
 */
HC_API long hci_job_next(hci_job *j);

/*
 * hci_job_run - tokenize item @item into @tk (hck_tok_reset, feed,
 * hck_tok_finish): a byte range of a plain file (read through a window
 * mapped over it, of 8 MiB or as long as one record), or a whole stream,
 * whose DNA records may go to other workers in blocks.  Items may also
 * be taken in another order than hci_job_next() hands them out (each
 * MPI rank takes its own); then call no hci_job_drain().
 * Returns HC_OK, or the code of its failure (HC_EIO, HCI_EDATA,
 * HCI_EFORMAT, HC_ENOMEM, or the table's: HC_EFULL, ...), which it
 * records as the job's failure if it is the first; HC_EMISUSE when it
 * stopped because another process failed (that failure is the job's).
 */
HC_API int hci_job_run(hci_job *j, size_t item, hck_tok *tk);

/* hci_job_item_done - mark an item run to its end (after
 * hci_job_run() returned HC_OK). */
HC_API void hci_job_item_done(hci_job *j);

/*
 * hci_job_drain - after hci_job_next() returned -1: count the blocks
 * of DNA streams that other workers' readers share, until every item
 * has ended.  Returns HC_OK or the code of a failure (recorded), or
 * HC_EMISUSE when another process failed.
 */
HC_API int hci_job_drain(hci_job *j, hck_tok *tk);

/*
 * hci_job_count - the whole loop of one worker: a combining sink into
 * @t and a tokenizer for @m, the items from hci_job_next() until none
 * is left, hci_job_drain(), and the tallies.  With one process, that
 * counts every input; forked workers each call it on the same job.
 * Returns HC_OK or the code of the failure (recorded), or HC_EMISUSE
 * when another process failed.
 */
HC_API int hci_job_count(hci_job *j, hc_table *t, const hck_meta *m);

/*
 * hci_job_count_ids - hci_job_count() with a tokenizer that counts word
 * n-grams by ids into @x (hck_ids_tok_create()).
 */
HC_API int hci_job_count_ids(hci_job *j, hck_ids *x);

/* hci_job_tally - add a worker's @skipped and @added to the job's
 * sums (hci_stats). */
HC_API void hci_job_tally(hci_job *j, uint64_t skipped, uint64_t added);

/*
 * hci_job_fail - record a failure of the caller's as the job's, if it
 * is the first: @code, the input @what names (NULL: none, as for the
 * table), and hci_strerror(@code) as its line.  Workers stop at their
 * next item.
 */
HC_API void hci_job_fail(hci_job *j, int code, const char *what);

/* hci_job_failed - 1 once any process has failed. */
HC_API int hci_job_failed(const hci_job *j);

/*
 * hci_job_error - the job's first failure: its code (HC_EIO for a
 * system error, whose errno text is in the line), the input it names
 * ("" when none: the table's), and one line to print after it.
 * Returns 1 if a failure is recorded, else 0 (the strings are then "").
 */
HC_API int hci_job_error(const hci_job *j, int *code, const char **what,
			 const char **msg);

/* hci_job_destroy - free the job and unmap its shared state (in each
 * process that holds it); NULL is a no-op. */
HC_API void hci_job_destroy(hci_job *j);

#ifdef __cplusplus
}
#endif

#endif /* HOGCOUNT_INPUT_H */
