/* SPDX-License-Identifier: MIT */
/*
 * stream.c - inputs as streams (hci_stream, hogcount_input.h).  One
 * reader owns a file descriptor and an input buffer; the first bytes
 * read name the format, then one decoder turns the rest into plain
 * bytes for the tokenizer.  Every decoder reads concatenated members
 * (gzip, bzip2), streams (xz) or frames (zstd), and tells a clean end
 * from a truncated one.
 *
 * Why ISA-L and not libdeflate for gzip?  libdeflate is as fast but
 * whole-buffer only: a member must be decompressed at once into a
 * buffer of its full size, so a multi-GB .gz (one member, as gzip
 * writes it) would need its whole output in memory, and standard input
 * could not be read at all.  ISA-L's isal_inflate streams, so gzip
 * keeps one path for files, pipes and standard input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HC_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "hci_internal.h"

/* Input is read in blocks of IN_BLOCK bytes.  The IN_KEEP bytes before
 * the next unread byte are kept in front of it when the buffer is
 * refilled: ISA-L may have read a few bytes of the next member into
 * its bit buffer when a member ends, and gives them back (gz_isal). */
#define IN_BLOCK (256u << 10)
#define IN_KEEP 16u
#define OUT_MAX (1u << 30) /* one decoder call writes at most this */

struct hci_stream {
	int fd;
	int kind;
	int started; /* the format is known */
	int checked; /* the first output was sniffed */
	/* The first HCI_MAGIC_BYTES bytes of output, gathered over reads
	 * however small, for that sniff. */
	unsigned char head[HCI_MAGIC_BYTES];
	size_t head_len;
	int ended; /* the data ended cleanly: hci_stream_read gives 0 bytes */
	int failed; /* 0, or the code of the failure */
	int eof; /* read() returned 0 */
	int member_done; /* gzip, bzip2: a member ended; another may follow */
	int frame_open; /* zstd: inside a frame */
	int use_isal;
	uint64_t in_bytes;
	unsigned char *in; /* IN_KEEP + IN_BLOCK bytes */
	unsigned char *next; /* next unused input byte */
	size_t avail; /* unused input bytes from next on */
	z_stream z;
	lzma_stream x;
	bz_stream b;
	int z_init, x_init, b_init;
	ZSTD_DCtx *zs;
#ifdef HC_HAVE_ISAL
	struct inflate_state *isal;
#endif
	char err[256];
};

int hci_sniff(const void *data, size_t n, const char **what)
{
	const unsigned char *p = data;
	static const struct {
		const char *magic;
		size_t len;
		int kind;
		const char *name;
	} m[] = {
		{ "\x1f\x8b", 2, HCI_GZIP, "gzip" },
		{ "\xfd\x37\x7a\x58\x5a\x00", 6, HCI_XZ, "xz" },
		{ "\x28\xb5\x2f\xfd", 4, HCI_ZSTD, "zstd" },
		{ "\x04\x22\x4d\x18", 4, HCI_REFUSED, "lz4" },
		{ "\x02\x21\x4c\x18", 4, HCI_REFUSED, "lz4 (legacy)" },
		{ "\x37\x7a\xbc\xaf\x27\x1c", 6, HCI_REFUSED, "7-Zip" },
		{ "PK\x03\x04", 4, HCI_REFUSED, "zip" },
		{ "PK\x05\x06", 4, HCI_REFUSED, "zip" },
		{ "PK\x07\x08", 4, HCI_REFUSED, "zip" },
		{ "Rar!\x1a\x07", 6, HCI_REFUSED, "RAR" },
		{ "\x1f\x9d", 2, HCI_REFUSED, "compress (.Z)" },
		{ "\x1f\xa0", 2, HCI_REFUSED, "compress (LZH)" },
		{ "LZIP", 4, HCI_REFUSED, "lzip" },
		{ "\x89LZO\x00\r\n\x1a\n", 9, HCI_REFUSED, "lzop" },
		{ "HOGCOUNT", 8, HCI_REFUSED, "hogcount table" },
		{ "HOGCOMPT", 8, HCI_REFUSED, "hogcount table" }, /* compact */
	};

	*what = NULL;
	/* bzip2: "BZh" and the block size, '1' to '9'. */
	if (n >= 4 && !memcmp(p, "BZh", 3) && p[3] >= '1' && p[3] <= '9')
		return HCI_BZIP2;
	/* zstd skippable frames: 0x184D2A50 to 0x184D2A5F, little-endian. */
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d &&
	    p[3] == 0x18)
		return HCI_ZSTD;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].len && !memcmp(p, m[i].magic, m[i].len)) {
			if (m[i].kind == HCI_REFUSED)
				*what = m[i].name;
			return m[i].kind;
		}
	return HCI_PLAIN;
}

const char *hci_comp_name(int kind)
{
	switch (kind) {
	case HCI_GZIP:
		return "gzip";
	case HCI_XZ:
		return "xz";
	case HCI_BZIP2:
		return "bzip2";
	case HCI_ZSTD:
		return "zstd";
	default:
		return "plain";
	}
}

const char *hci_inflater(void)
{
#ifdef HC_HAVE_ISAL
	const char *e = getenv("HOGCOUNT_INFLATE");

	if (!e || strcmp(e, "zlib"))
		return "isa-l";
#endif
	return "zlib";
}

static ssize_t fail(struct hci_stream *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The stream's failure, once: @code, and its line.  errno is left as
 * the failed call set it (HC_EIO). */
static ssize_t fail(struct hci_stream *d, int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	d->failed = code;
	errno = e;
	return -1;
}

/* Try to have @n unused input bytes (fewer only at the end of the
 * file).  Returns 0, or -1 on a read error. */
static int ensure(struct hci_stream *d, size_t n)
{
	while (d->avail < n && !d->eof) {
		ssize_t r;

		/* Move the unused bytes and the IN_KEEP before them to
		 * the front; the rest of the block is free to read into. */
		memmove(d->in, d->next - IN_KEEP, IN_KEEP + d->avail);
		d->next = d->in + IN_KEEP;
		do
			r = read(d->fd, d->next + d->avail,
				 IN_BLOCK - d->avail);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			fail(d, HC_EIO, "%s", strerror(errno));
			return -1;
		}
		if (r == 0)
			d->eof = 1;
		d->avail += (size_t)r;
		d->in_bytes += (uint64_t)r;
	}
	return 0;
}

static void take(struct hci_stream *d, size_t used)
{
	d->next += used;
	d->avail -= used;
}

static ssize_t truncated(struct hci_stream *d)
{
	return fail(d, HCI_EDATA, "corrupt %s stream (truncated)",
		    hci_comp_name(d->kind));
}

/* After a gzip or bzip2 member: is another one next?  1 yes, 0 no (the
 * bytes left, if any, are ignored as gzip -d and bzip2 -d do), -1 on a
 * read error. */
static int next_member(struct hci_stream *d, const char *magic, size_t len)
{
	if (ensure(d, len))
		return -1;
	if (d->avail >= len && !memcmp(d->next, magic, len))
		return 1;
	take(d, d->avail);
	return 0;
}

static ssize_t read_plain(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	ssize_t r;

	if (d->avail) {
		size_t n = d->avail < cap ? d->avail : cap;

		memcpy(buf, d->next, n);
		take(d, n);
		return (ssize_t)n;
	}
	if (d->eof)
		return 0;
	do
		r = read(d->fd, buf, cap);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return fail(d, HC_EIO, "%s", strerror(errno));
	if (r == 0)
		d->eof = 1;
	d->in_bytes += (uint64_t)r;
	return r;
}

static ssize_t gz_zlib(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	z_stream *z = &d->z;

	for (;;) {
		size_t used, produced;
		int ret;

		if (d->member_done) {
			ret = next_member(d, "\x1f\x8b", 2);
			if (ret <= 0)
				return ret;
			inflateReset(z);
			d->member_done = 0;
		}
		if (!d->avail && ensure(d, 1))
			return -1;
		z->next_in = d->next;
		z->avail_in = (uInt)d->avail;
		z->next_out = buf;
		z->avail_out = (uInt)cap;
		ret = inflate(z, Z_NO_FLUSH);
		used = d->avail - z->avail_in;
		produced = cap - z->avail_out;
		take(d, used);
		if (ret == Z_STREAM_END) {
			d->member_done = 1;
			if (produced)
				return (ssize_t)produced;
			continue;
		}
		if (ret == Z_MEM_ERROR)
			return fail(d, HC_ENOMEM, "%s", strerror(ENOMEM));
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return fail(d, HCI_EDATA, "corrupt gzip stream (%s)",
				    z->msg ? z->msg : "invalid data");
		if (produced)
			return (ssize_t)produced;
		if (!d->avail && d->eof)
			return truncated(d);
		if (!used)
			return fail(d, HCI_EDATA,
				    "corrupt gzip stream (no progress)");
	}
}

#ifdef HC_HAVE_ISAL
static const char *isal_msg(int ret)
{
	switch (ret) {
	case ISAL_INVALID_BLOCK:
		return "invalid block type";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "invalid data";
	}
}

static ssize_t gz_isal(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	struct inflate_state *s = d->isal;

	for (;;) {
		size_t used, produced;
		int ret;

		if (d->member_done) {
			ret = next_member(d, "\x1f\x8b", 2);
			if (ret <= 0)
				return ret;
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
			d->member_done = 0;
		}
		if (!d->avail && ensure(d, 1))
			return -1;
		s->next_in = d->next;
		s->avail_in = (uint32_t)d->avail;
		s->next_out = buf;
		s->avail_out = (uint32_t)cap;
		ret = isal_inflate(s);
		/* At the end of a member ISA-L gives back the whole bytes
		 * of its bit buffer, which may have been read in an earlier
		 * call: next_in can move back, before this call's start,
		 * into the IN_KEEP bytes.  Take its pointers as they are. */
		if (ret < 0 || ret == ISAL_NEED_DICT)
			return fail(d, HCI_EDATA, "corrupt gzip stream (%s)",
				    isal_msg(ret));
		if (s->next_in < d->in ||
		    s->next_in + s->avail_in != d->next + d->avail)
			return fail(d, HCI_EDATA,
				    "corrupt gzip stream (inflater state)");
		used = s->next_in != d->next;
		d->next = s->next_in;
		d->avail = s->avail_in;
		produced = cap - s->avail_out;
		if (s->block_state == ISAL_BLOCK_FINISH) {
			/* Versions that keep those bytes in the bit buffer:
			 * give them back here (at most 8, in IN_KEEP). */
			size_t back = (size_t)(s->read_in_length / 8);

			d->next -= back;
			d->avail += back;
			d->member_done = 1;
			if (produced)
				return (ssize_t)produced;
			continue;
		}
		if (produced)
			return (ssize_t)produced;
		if (!d->avail && d->eof)
			return truncated(d);
		if (!used)
			return fail(d, HCI_EDATA,
				    "corrupt gzip stream (no progress)");
	}
}
#endif

static const char *xz_msg(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return "not in xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt";
	case LZMA_BUF_ERROR:
		return "truncated";
	case LZMA_MEMLIMIT_ERROR:
	case LZMA_MEM_ERROR:
		return "out of memory";
	default:
		return "invalid data";
	}
}

static ssize_t read_xz(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	lzma_stream *x = &d->x;

	for (;;) {
		size_t used, produced;
		lzma_ret ret;

		if (!d->avail && ensure(d, 1))
			return -1;
		x->next_in = d->next;
		x->avail_in = d->avail;
		x->next_out = buf;
		x->avail_out = cap;
		/* LZMA_CONCATENATED: the end is known only at FINISH. */
		ret = lzma_code(x, d->eof ? LZMA_FINISH : LZMA_RUN);
		used = d->avail - x->avail_in;
		produced = cap - x->avail_out;
		take(d, used);
		if (ret == LZMA_STREAM_END) {
			d->ended = 1;
			return (ssize_t)produced;
		}
		if (ret != LZMA_OK)
			return fail(d, HCI_EDATA, "corrupt xz stream (%s)",
				    xz_msg(ret));
		if (produced)
			return (ssize_t)produced;
	}
}

static const char *bz_msg(int ret)
{
	switch (ret) {
	case BZ_DATA_ERROR:
		return "data integrity error";
	case BZ_DATA_ERROR_MAGIC:
		return "bad magic";
	case BZ_MEM_ERROR:
		return "out of memory";
	default:
		return "invalid data";
	}
}

static ssize_t read_bz(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	bz_stream *b = &d->b;

	for (;;) {
		size_t used, produced;
		int ret;

		if (d->member_done) {
			ret = next_member(d, "BZh", 3);
			if (ret <= 0)
				return ret;
			BZ2_bzDecompressEnd(b);
			memset(b, 0, sizeof(*b));
			d->b_init = 0;
			if (BZ2_bzDecompressInit(b, 0, 0) != BZ_OK)
				return fail(d, HC_ENOMEM, "%s",
					    strerror(ENOMEM));
			d->b_init = 1;
			d->member_done = 0;
		}
		if (!d->avail && ensure(d, 1))
			return -1;
		b->next_in = (char *)d->next;
		b->avail_in = (unsigned)d->avail;
		b->next_out = (char *)buf;
		b->avail_out = (unsigned)cap;
		ret = BZ2_bzDecompress(b);
		used = d->avail - b->avail_in;
		produced = cap - b->avail_out;
		take(d, used);
		if (ret == BZ_STREAM_END) {
			d->member_done = 1;
			if (produced)
				return (ssize_t)produced;
			continue;
		}
		if (ret != BZ_OK)
			return fail(d, HCI_EDATA, "corrupt bzip2 stream (%s)",
				    bz_msg(ret));
		if (produced)
			return (ssize_t)produced;
		if (!d->avail && d->eof)
			return truncated(d);
		if (!used)
			return fail(d, HCI_EDATA,
				    "corrupt bzip2 stream (no progress)");
	}
}

static ssize_t read_zstd(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out = { buf, cap, 0 };
		size_t r;

		if (!d->avail && ensure(d, 1))
			return -1;
		in.src = d->next;
		in.size = d->avail;
		in.pos = 0;
		r = ZSTD_decompressStream(d->zs, &out, &in);
		if (ZSTD_isError(r))
			return fail(d, HCI_EDATA, "corrupt zstd stream (%s)",
				    ZSTD_getErrorName(r));
		take(d, in.pos);
		/* 0: a frame is complete and flushed.  A call that did
		 * nothing says nothing (between frames it asks for the
		 * next header). */
		if (in.pos || out.pos)
			d->frame_open = r != 0;
		if (out.pos)
			return (ssize_t)out.pos;
		if (!d->avail && d->eof) {
			if (d->frame_open)
				return truncated(d);
			return 0;
		}
		if (!in.pos)
			return fail(d, HCI_EDATA,
				    "corrupt zstd stream (no progress)");
	}
}

static int start(struct hci_stream *d)
{
	const char *what;

	d->started = 1;
	if (ensure(d, HCI_MAGIC_BYTES))
		return -1;
	d->kind = hci_sniff(d->next, d->avail, &what);
	switch (d->kind) {
	case HCI_REFUSED:
		fail(d, HCI_EFORMAT, HCI__REFUSED_MSG, what);
		return -1;
	case HCI_GZIP:
#ifdef HC_HAVE_ISAL
		if (!strcmp(hci_inflater(), "isa-l")) {
			d->isal = malloc(sizeof(*d->isal));
			if (!d->isal)
				break;
			isal_inflate_init(d->isal);
			d->isal->crc_flag = ISAL_GZIP;
			d->use_isal = 1;
			return 0;
		}
#endif
		/* 16 + 15: a gzip wrapper, the largest window. */
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			break;
		d->z_init = 1;
		return 0;
	case HCI_XZ:
		if (lzma_stream_decoder(&d->x, UINT64_MAX, LZMA_CONCATENATED) !=
		    LZMA_OK)
			break;
		d->x_init = 1;
		return 0;
	case HCI_BZIP2:
		if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
			break;
		d->b_init = 1;
		return 0;
	case HCI_ZSTD:
		d->zs = ZSTD_createDCtx();
		if (!d->zs)
			break;
		return 0;
	default:
		return 0;
	}
	fail(d, HC_ENOMEM, "%s", strerror(ENOMEM));
	return -1;
}

int hci_stream_open(hci_stream **out, int fd)
{
	static const lzma_stream xinit = LZMA_STREAM_INIT;
	struct hci_stream *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d)
		d->in = malloc(IN_KEEP + IN_BLOCK);
	if (!d || !d->in) {
		free(d);
		close(fd);
		return HC_ENOMEM;
	}
	memset(d->in, 0, IN_KEEP);
	d->fd = fd;
	d->next = d->in + IN_KEEP;
	d->x = xinit;
	*out = d;
	return HC_OK;
}

static ssize_t stream_read(struct hci_stream *d, unsigned char *buf, size_t cap)
{
	ssize_t n;

	if (d->failed)
		return -1;
	if (d->ended)
		return 0;
	if (!d->started && start(d))
		return -1;
	if (cap > OUT_MAX)
		cap = OUT_MAX;
	switch (d->kind) {
	case HCI_GZIP:
#ifdef HC_HAVE_ISAL
		if (d->use_isal) {
			n = gz_isal(d, buf, cap);
			break;
		}
#endif
		n = gz_zlib(d, buf, cap);
		break;
	case HCI_XZ:
		n = read_xz(d, buf, cap);
		break;
	case HCI_BZIP2:
		n = read_bz(d, buf, cap);
		break;
	case HCI_ZSTD:
		n = read_zstd(d, buf, cap);
		break;
	default:
		n = read_plain(d, buf, cap);
		break;
	}
	if (n == 0)
		d->ended = 1;
	if (n >= 0 && !d->checked && d->kind != HCI_PLAIN) {
		size_t take = HCI_MAGIC_BYTES - d->head_len;
		const char *what;
		int inner;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(d->head + d->head_len, buf, take);
		d->head_len += take;
		/* A compressed file inside another: count no garbage.  The
		 * sniff waits for enough bytes (or the end), so that reads
		 * of a few bytes cannot slip a magic past it; a reader of
		 * such small reads has then had at most HCI_MAGIC_BYTES - 1
		 * bytes before the error. */
		if (d->head_len < HCI_MAGIC_BYTES && n > 0)
			return n;
		d->checked = 1;
		inner = hci_sniff(d->head, d->head_len, &what);
		if (inner != HCI_PLAIN)
			return fail(d, HCI_EFORMAT,
				    "%s data inside %s, which hogcount "
				    "does not read; decompress it first",
				    what ? what : hci_comp_name(inner),
				    hci_comp_name(d->kind));
	}
	return n;
}

int hci_stream_read(hci_stream *d, void *buf, size_t cap, size_t *got)
{
	ssize_t n = stream_read(d, buf, cap);

	*got = n > 0 ? (size_t)n : 0;
	return n >= 0 ? HC_OK : d->failed ? d->failed : HC_EIO;
}

const char *hci_stream_error(const hci_stream *d)
{
	return d->err;
}

int hci_stream_comp(const hci_stream *d)
{
	return d->kind;
}

uint64_t hci_stream_in_bytes(const hci_stream *d)
{
	return d->in_bytes;
}

void hci_stream_close(hci_stream *d)
{
	if (!d)
		return;
	if (d->z_init)
		inflateEnd(&d->z);
	if (d->x_init)
		lzma_end(&d->x);
	if (d->b_init)
		BZ2_bzDecompressEnd(&d->b);
	ZSTD_freeDCtx(d->zs);
#ifdef HC_HAVE_ISAL
	free(d->isal);
#endif
	close(d->fd);
	free(d->in);
	free(d);
}
