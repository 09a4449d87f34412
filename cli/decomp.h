/* SPDX-License-Identifier: MIT */
/*
 * decomp.h - compressed inputs, told apart by their magic bytes and
 * read as streams: gzip (ISA-L's igzip where the build found it, else
 * zlib), xz (liblzma), bzip2 (libbz2) and zstd (libzstd), each with
 * concatenated members, streams or frames.  Formats the tool does not
 * read (lz4, 7-Zip, zip, ...) are named so the caller can refuse them.
 */
#ifndef HC_DECOMP_H
#define HC_DECOMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dz_kind {
	DZ_PLAIN, /* no magic we know: read as it is */
	DZ_GZIP,
	DZ_XZ,
	DZ_BZIP2,
	DZ_ZSTD,
	DZ_REFUSED /* a container or compressor we do not read */
};

/* Enough leading bytes for every magic below. */
#define DZ_MAGIC_BYTES 16

/* The message for a refused format, after "FILE: "; %s is its name. */
#define DZ_REFUSED_MSG                                                    \
	"%s data, which hogcount does not read as input (it reads plain " \
	"text, gzip, xz, bzip2 and zstd)"

/*
 * dz_sniff - the kind of data that starts with @p (@n bytes, fewer
 * than DZ_MAGIC_BYTES only at the end of the data).  For DZ_REFUSED,
 * *what gets the format's name.
 */
int dz_sniff(const unsigned char *p, size_t n, const char **what);

/* "gzip", "xz", "bzip2", "zstd" or "plain". */
const char *dz_kind_name(int kind);

/* The gzip inflater in use: "isa-l" or "zlib".  HOGCOUNT_INFLATE=zlib
 * in the environment picks zlib in a build that has ISA-L. */
const char *dz_inflater(void);

struct dz;

/*
 * dz_open - a reader over @fd, which it owns from then on (dz_close
 * closes it, dz_open too when it fails).  The format is taken from the
 * first bytes read, so a pipe or standard input works as a file does.
 * Returns NULL with errno set when out of memory.
 */
struct dz *dz_open(int fd);

/*
 * dz_read - up to @cap decompressed bytes into @buf.  Returns the
 * number of bytes (> 0), 0 at the end of the data, or -1 on an error:
 * a read error, corrupt or truncated data, or a refused format;
 * dz_error() then says which in one line.
 */
ssize_t dz_read(struct dz *d, unsigned char *buf, size_t cap);

const char *dz_error(const struct dz *d);

/* The kind found (DZ_PLAIN until the first dz_read). */
int dz_kind(const struct dz *d);

/* Bytes read from the file so far (compressed bytes). */
uint64_t dz_in_bytes(const struct dz *d);

void dz_close(struct dz *d);

#endif /* HC_DECOMP_H */
