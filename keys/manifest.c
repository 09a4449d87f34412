/* SPDX-License-Identifier: MIT */
/*
 * manifest.c - the manifest of a sharded table (docs/scaling.md,
 * "Output"): the one writer, reader and checker of the format, for
 * hogcount-mpi (writes), every `hogcount` command (reads) and Python
 * (both, through ctypes).  A small text file:
 *
 *	hogcount-sharded 2
 *	partition hck-part-1
 *	run 5d1c0e9f3a2b4c68
 *	shards 4
 *	record hogcount-cli 1 tokens=dna k=21 canonical=1
 *	shard 0 88080384 9f0c2a1b3d4e5f60 reads.hc.shard-0-of-4
 *	...
 *
 * A shard line: its index, the size and the sum (hck_shard_id_read) of
 * the file the run wrote, and its name, relative to the manifest's
 * directory.  A reader refuses shard files of another size or sum: they
 * belong to another run.  Format 1 had no run, sizes or sums; it is
 * still read (hck_manifest_info.version tells the caller to warn).
 *
 * Why here and not in the kernel: every line but the shard names is a
 * fact of the key layer (the partition hck-part-1, the record of the
 * keys, hck_meta_format), and the kernel knows nothing of tokens.  The
 * shard sum needs only xxHash, which the kernel links already.
 */
#define _GNU_SOURCE /* mkstemp, fdopen, pread, fchmod, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "hck_internal.h"

#define HCK_STR_(x) #x
#define HCK_STR(x) HCK_STR_(x)

/* Longest line a reader takes. */
#define LINE_MAX_BYTES 4096

struct hck_manifest {
	unsigned version;
	uint32_t n;
	uint64_t run;
	hck_meta meta;
	char **path; /* n shard files: the manifest's directory + name */
	hck_shard_id *id; /* n, as recorded; zeros in format 1 */
};

int hck_shard_path(char *buf, size_t cap, const char *out, uint32_t i,
		   uint32_t n)
{
	int len;

	if (!buf || !out || i >= n)
		return HC_EINVAL;
	len = snprintf(buf, cap, "%s.shard-%u-of-%u", out, (unsigned)i,
		       (unsigned)n);
	return len < 0 || (size_t)len >= cap ? HC_ERANGE : HC_OK;
}

/* close() that keeps the errno of the failure before it. */
static int close_keep(int fd, int rc)
{
	int err = errno;

	close(fd);
	errno = err;
	return rc;
}

int hck_shard_id_read(const char *path, hck_shard_id *id)
{
	unsigned char buf[HCK_SHARD_SUM_BYTES];
	struct stat st;
	ssize_t got = 0, r;
	int fd;

	if (!path || !id)
		return HC_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return HC_EIO;
	if (fstat(fd, &st))
		return close_keep(fd, HC_EIO);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return HC_EIO;
	}
	while (got < (ssize_t)sizeof(buf) &&
	       (r = pread(fd, buf + got, sizeof(buf) - (size_t)got, got)) !=
		       0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return close_keep(fd, HC_EIO);
		got += r;
	}
	close(fd);
	id->size = (uint64_t)st.st_size;
	id->sum = XXH3_64bits(buf, (size_t)got);
	return HC_OK;
}

int hck_shard_check(const char *path, const hck_shard_id *want,
		    hck_shard_id *found)
{
	hck_shard_id id;
	int rc;

	if (!want)
		return HC_EINVAL;
	rc = hck_shard_id_read(path, &id);
	if (rc)
		return rc;
	if (found)
		*found = id;
	return id.size == want->size && id.sum == want->sum ? HC_OK
							    : HC_ECORRUPT;
}

int hck_manifest_is(const char *path)
{
	char head[sizeof(HCK_MANIFEST_MAGIC)] = "";
	FILE *f = path ? fopen(path, "r") : NULL;
	int yes;

	if (!f)
		return 0;
	yes = fread(head, 1, sizeof(head) - 1, f) == sizeof(head) - 1 &&
	      !memcmp(head, HCK_MANIFEST_MAGIC, sizeof(head) - 1);
	fclose(f);
	return yes;
}

/* The last component of @path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int hck_manifest_write(const char *out, const hck_meta *m, uint32_t n,
		       uint64_t run, const hck_shard_id *id)
{
	char rec[HCK_META_TEXT_MAX + 1], *tmp, *shard;
	size_t cap;
	int fd, rc = HC_EIO;
	FILE *f;

	if (!out || !*out || !id || n == 0 || n > HCK_MANIFEST_SHARDS_MAX ||
	    hck_meta_format(m, rec, sizeof(rec), NULL))
		return HC_EINVAL;
	cap = strlen(out) + 64;
	tmp = malloc(cap);
	shard = malloc(cap);
	if (!tmp || !shard) {
		free(tmp);
		free(shard);
		return HC_ENOMEM;
	}
	snprintf(tmp, cap, "%s.tmp-XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	if (!f) {
		close_keep(fd, 0);
		goto fail;
	}
	fprintf(f,
		HCK_MANIFEST_MAGIC " %d\npartition " HCK_PART_NAME
				   "\nrun %016llx\nshards %u\nrecord %s\n",
		HCK_MANIFEST_VERSION, (unsigned long long)run, (unsigned)n,
		rec);
	for (uint32_t i = 0; i < n; i++) {
		hck_shard_path(shard, cap, out, i, n);
		fprintf(f, "shard %u %llu %016llx %s\n", (unsigned)i,
			(unsigned long long)id[i].size,
			(unsigned long long)id[i].sum, base_name(shard));
	}
	if (fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)) {
		int err = errno;

		fclose(f);
		errno = err;
		goto fail;
	}
	if (fclose(f) || rename(tmp, out))
		goto fail;
	rc = HC_OK;
	goto out;
fail:
	if (errno == ENOSPC || errno == EDQUOT)
		rc = HC_ENOSPC;
	{
		int err = errno;

		unlink(tmp);
		errno = err;
	}
out:
	free(tmp);
	free(shard);
	return rc;
}

void hck_manifest_free(hck_manifest *mf)
{
	if (!mf)
		return;
	for (uint32_t i = 0; mf->path && i < mf->n; i++)
		free(mf->path[i]);
	free(mf->path);
	free(mf->id);
	free(mf);
}

/* One line of @f into @line without its newline; 0 at the end. */
static int line_get(FILE *f, char *line, size_t cap, size_t *len)
{
	if (!fgets(line, (int)cap, f))
		return 0;
	*len = strlen(line);
	if (*len && line[*len - 1] == '\n')
		line[--*len] = 0;
	return 1;
}

/* The shard lines of @f into @mf, the names relative to @dir (of
 * @dlen bytes); *ln counts lines. */
static int shards_read(FILE *f, hck_manifest *mf, const char *dir, size_t dlen,
		       unsigned *ln, const char **why)
{
	char line[LINE_MAX_BYTES];
	unsigned long long idx, size, sum;
	uint32_t got = 0;
	size_t len;
	int off, bad;

	while (line_get(f, line, sizeof(line), &len)) {
		++*ln;
		off = 0;
		if (mf->version > 1)
			bad = sscanf(line, "shard %llu %llu %16llx %n", &idx,
				     &size, &sum, &off) != 3;
		else
			bad = sscanf(line, "shard %llu %n", &idx, &off) != 1;
		if (bad || !off || idx >= mf->n || mf->path[idx] ||
		    !line[off] || strchr(line + off, '/')) {
			*why = "bad shard line";
			return HC_ECORRUPT;
		}
		mf->path[idx] = malloc(dlen + strlen(line + off) + 2);
		if (!mf->path[idx])
			return HC_ENOMEM;
		sprintf(mf->path[idx], "%.*s/%s", (int)dlen, dir, line + off);
		if (mf->version > 1) {
			mf->id[idx].size = size;
			mf->id[idx].sum = sum;
		}
		got++;
	}
	if (got != mf->n) {
		*why = "shards missing";
		return HC_ECORRUPT;
	}
	return HC_OK;
}

/* The manifest @f of @path into @mf. */
static int manifest_parse(FILE *f, const char *path, hck_manifest *mf,
			  unsigned *ln, const char **why)
{
	char line[LINE_MAX_BYTES], part[64];
	const char *slash = strrchr(path, '/'), *dir = slash ? path : ".";
	unsigned long long n = 0, run;
	size_t len;
	int off = 0;

	*ln = 1;
	if (!line_get(f, line, sizeof(line), &len) ||
	    sscanf(line, HCK_MANIFEST_MAGIC " %u", &mf->version) != 1) {
		*why = "no header";
		return HC_ECORRUPT;
	}
	if (mf->version < 1 || mf->version > HCK_MANIFEST_VERSION) {
		*why = "a manifest format this hogcount does not read "
		       "(it reads 1 to " HCK_STR(HCK_MANIFEST_VERSION) ")";
		return HC_EVERSION;
	}
	++*ln;
	if (!line_get(f, line, sizeof(line), &len) ||
	    sscanf(line, "partition %63s", part) != 1) {
		*why = "no partition";
		return HC_ECORRUPT;
	}
	if (strcmp(part, HCK_PART_NAME)) {
		*why = "a partition this hogcount does not know "
		       "(it knows " HCK_PART_NAME ")";
		return HC_EVERSION;
	}
	if (mf->version > 1) {
		++*ln;
		if (!line_get(f, line, sizeof(line), &len) ||
		    sscanf(line, "run %16llx%n", &run, &off) != 1 ||
		    off != 20 || line[off]) {
			*why = "no run";
			return HC_ECORRUPT;
		}
		mf->run = run;
	}
	++*ln;
	if (!line_get(f, line, sizeof(line), &len) ||
	    sscanf(line, "shards %llu", &n) != 1 || n == 0 ||
	    n > HCK_MANIFEST_SHARDS_MAX) {
		*why = "no shard count";
		return HC_ECORRUPT;
	}
	mf->n = (uint32_t)n;
	++*ln;
	if (!line_get(f, line, sizeof(line), &len) ||
	    strncmp(line, "record ", 7) ||
	    hck_meta_parse(line + 7, len - 7, &mf->meta)) {
		*why = "no key record";
		return HC_ECORRUPT;
	}
	mf->path = calloc(mf->n, sizeof(*mf->path));
	mf->id = calloc(mf->n, sizeof(*mf->id));
	if (!mf->path || !mf->id)
		return HC_ENOMEM;
	return shards_read(f, mf, dir,
			   !slash	   ? 1
			   : slash == path ? 1
					   : (size_t)(slash - path),
			   ln, why);
}

int hck_manifest_read(hck_manifest **out, const char *path, unsigned *line,
		      const char **why)
{
	const char *w = NULL;
	unsigned ln = 0;
	hck_manifest *mf;
	FILE *f;
	int rc;

	if (line)
		*line = 0;
	if (why)
		*why = NULL;
	if (!out || !path)
		return HC_EINVAL;
	*out = NULL;
	f = fopen(path, "r");
	if (!f)
		return HC_EIO;
	mf = calloc(1, sizeof(*mf));
	if (!mf) {
		fclose(f);
		return HC_ENOMEM;
	}
	rc = manifest_parse(f, path, mf, &ln, &w);
	if (!rc && ferror(f))
		rc = HC_EIO;
	fclose(f);
	if (rc) {
		hck_manifest_free(mf);
		if (line)
			*line = ln;
		if (why)
			*why = w;
		return rc;
	}
	*out = mf;
	return HC_OK;
}

int hck_manifest_info_get(const hck_manifest *mf, hck_manifest_info *info)
{
	if (!mf || !info || info->size < sizeof(*info))
		return HC_EINVAL;
	info->version = mf->version;
	info->shards = mf->n;
	info->run = mf->run;
	info->meta = mf->meta;
	return HC_OK;
}

int hck_manifest_shard(const hck_manifest *mf, uint32_t i, const char **path,
		       hck_shard_id *id)
{
	if (!mf || i >= mf->n)
		return HC_EINVAL;
	if (path)
		*path = mf->path[i];
	if (id)
		*id = mf->id[i];
	return HC_OK;
}

int hck_manifest_verify(const hck_manifest *mf, uint32_t *bad,
			hck_shard_id *found)
{
	if (!mf)
		return HC_EINVAL;
	for (uint32_t i = 0; mf->version > 1 && i < mf->n; i++) {
		int rc = hck_shard_check(mf->path[i], &mf->id[i], found);

		if (rc) {
			if (bad)
				*bad = i;
			return rc;
		}
	}
	return HC_OK;
}
