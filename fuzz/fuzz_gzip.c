/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gzip.c - libFuzzer harness for the input layer's streams
 * (hci_stream, input/stream.c): arbitrary bytes read as a file, so
 * the magic picks gzip, xz, bzip2, zstd, a refused format or plain
 * bytes.  Every input must end in data or in one error message, never
 * a crash, a read out of bounds or a hang.  gzip goes through both
 * inflaters (ISA-L where built, and zlib): when both accept the input
 * they must give the same bytes (a differential check).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hogcount_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decompressed bytes kept per run: enough for every seed, small enough
 * that a bomb does not time out. */
#define OUT_CAP (4u << 20)

/* Reads @data through a fresh reader; returns 1 if it ended cleanly,
 * 0 on an error or at the cap, and the bytes in @out, *outlen. */
static int decode(const uint8_t *data, size_t size, unsigned char *out,
		  size_t *outlen)
{
	int fd = memfd_create("fuzz-gzip", MFD_CLOEXEC);
	hci_stream *d;
	size_t len = 0;
	int ok = 0;

	*outlen = 0;
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return 0;
	}
	if (hci_stream_open(&d, fd))
		return 0;
	for (;;) {
		/* Odd read sizes cut the output anywhere. */
		size_t want = 1 + (len * 7 + size) % 65537;
		size_t n;
		int rc;

		if (want > OUT_CAP - len)
			want = OUT_CAP - len;
		if (!want)
			break;
		rc = hci_stream_read(d, out + len, want, &n);
		if (rc) {
			if (rc >= 0 || !hci_stream_error(d)[0] ||
			    strchr(hci_stream_error(d), '\n'))
				abort(); /* a code and one line, always */
			break;
		}
		if (n == 0) {
			ok = 1;
			break;
		}
		len += n;
	}
	hci_stream_close(d);
	*outlen = len;
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char *a, *b;
	size_t alen, blen;
	const char *what;
	int aok, bok;

	if (!a) {
		a = malloc(OUT_CAP);
		b = malloc(OUT_CAP);
		if (!a || !b)
			abort();
	}
	unsetenv("HOGCOUNT_INFLATE");
	aok = decode(data, size, a, &alen);
	if (hci_sniff(data, size, &what) != HCI_GZIP)
		return 0;
	setenv("HOGCOUNT_INFLATE", "zlib", 1);
	bok = decode(data, size, b, &blen);
	if (aok && bok && (alen != blen || memcmp(a, b, alen)))
		abort(); /* the inflaters disagree */
	return 0;
}
