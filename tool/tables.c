/* SPDX-License-Identifier: MIT */
/*
 * tables.c - open "a table or a manifest" for the reading subcommands,
 * and write the manifest of a sharded table.  The manifest is a small
 * text file (docs/scaling.md, "Output"):
 *
 *	hogcount-sharded 2
 *	partition hck-part-1
 *	run 5d1c0e9f3a2b4c68
 *	shards 4
 *	record hogcount-cli 1 tokens=dna k=21 canonical=1
 *	shard 0 88080384 9f0c2a1b3d4e5f60 reads.hc.shard-0-of-4
 *	...
 *
 * A shard line: its index, the size and the sum (shard_id_read) of the
 * file the run wrote, and its name, relative to the manifest's
 * directory.  A reader refuses a manifest whose shard files have
 * another size or sum: they belong to another run.  Format 1 had no
 * run, sizes or sums; it is read with a warning.  The key of a query
 * goes to its shard by the key layer's partition (hck_part_*); stats
 * and histograms add up over the shards.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <xxhash.h>

#include "plot.h"
#include "tables.h"

#define MANIFEST_SHARDS_MAX (UINT32_C(1) << 20)
#define LINE_MAX_BYTES 4096
/* The bytes of a shard file its sum covers (shard_id_read). */
#define SHARD_SUM_BYTES 4096

int cli_unchecked;

void verdict_where(const hc_verdict *v, char *buf, size_t cap)
{
	switch (v->region) {
	case HC_REGION_SLOTS:
		snprintf(buf, cap, "slots of generation %u", v->index);
		break;
	case HC_REGION_KEYS:
		snprintf(buf, cap, "key area chunk %u", v->index);
		break;
	case HC_REGION_OVERFLOW:
		snprintf(buf, cap, "overflow area");
		break;
	default:
		snprintf(buf, cap, "%s", hc_region_name(v->region));
	}
}

int table_check(const char *path, const hc_table *t)
{
	hc_verdict v = { .size = sizeof(v) };
	char where[64];
	int rc;

	if (cli_unchecked)
		return 0;
	rc = hc_table_verify(t, &v);
	if (rc == HC_OK && v.state == HC_SEAL_DEAD)
		cli_error(path,
			  "warning: not sealed: its last writer died, so its "
			  "counts are unchecked ('hogcount verify --reseal "
			  "%s' checks and seals it)",
			  path);
	if (rc == HC_OK)
		return 0;
	if (rc != HC_ECORRUPT) {
		cli_error(path, "cannot check it: %s", hc_strerror(rc));
		return -1;
	}
	verdict_where(&v, where, sizeof(where));
	cli_error(path,
		  "damaged: %s does not match its checksum "
		  "(--unchecked reads it anyway)",
		  where);
	return -1;
}

int is_manifest(const char *path)
{
	char head[sizeof(MANIFEST_MAGIC)] = "";
	FILE *f = fopen(path, "r");
	int yes;

	if (!f)
		return 0;
	yes = fread(head, 1, sizeof(head) - 1, f) == sizeof(head) - 1 &&
	      !memcmp(head, MANIFEST_MAGIC, sizeof(head) - 1);
	fclose(f);
	return yes;
}

int shard_id_read(const char *path, struct shard_id *id)
{
	unsigned char buf[SHARD_SUM_BYTES];
	struct stat st;
	ssize_t got = 0, r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	while (got < (ssize_t)sizeof(buf) &&
	       (r = pread(fd, buf + got, sizeof(buf) - (size_t)got, got)) !=
		       0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		got += r;
	}
	close(fd);
	id->size = (uint64_t)st.st_size;
	id->sum = XXH3_64bits(buf, (size_t)got);
	return 0;
}

static int bad_manifest(const char *path, const char *why, unsigned line)
{
	cli_error(path, "not a valid manifest: %s (line %u)", why, line);
	return -1;
}

/* Read the manifest @f of @path into @ts; the shards are opened after. */
static int manifest_read(FILE *f, const char *path, struct tables *ts)
{
	char line[LINE_MAX_BYTES], tok[32], part[64];
	unsigned version = 0, k = 0, ln = 1, got = 0;
	unsigned long long n = 0, idx, size, sum, run;
	int canonical = 0, off = 0;
	char *dir, *copy;

	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, MANIFEST_MAGIC " %u", &version) != 1)
		return bad_manifest(path, "no header", ln);
	if (version != MANIFEST_VERSION && version != 1) {
		cli_error(path,
			  "manifest format %u; this hogcount reads 1 to %d",
			  version, MANIFEST_VERSION);
		return -1;
	}
	ln++;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "partition %63s", part) != 1)
		return bad_manifest(path, "no partition", ln);
	if (strcmp(part, HCK_PART_NAME)) {
		cli_error(path,
			  "partition '%s' is unknown (this hogcount "
			  "knows " HCK_PART_NAME ")",
			  part);
		return -1;
	}
	if (version > 1) {
		ln++;
		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "run %16llx%n", &run, &off) != 1 ||
		    off != 20 || line[off] != '\n')
			return bad_manifest(path, "no run", ln);
		ts->run = run;
	}
	ln++;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "shards %llu", &n) != 1 || n == 0 ||
	    n > MANIFEST_SHARDS_MAX)
		return bad_manifest(path, "no shard count", ln);
	ln++;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "record hogcount-cli 1 tokens=%31s k=%u canonical=%d",
		   tok, &k, &canonical) != 3 ||
	    hck_tokens_parse(tok, &ts->m.tokens))
		return bad_manifest(path, "no key record", ln);
	ts->m.k = k;
	ts->m.canonical = canonical;
	if (hck_meta_check(&ts->m))
		return bad_manifest(path, "bad key record", ln);
	ts->n = (size_t)n;
	ts->t = calloc(ts->n, sizeof(*ts->t));
	ts->path = calloc(ts->n, sizeof(*ts->path));
	ts->id = version > 1 ? calloc(ts->n, sizeof(*ts->id)) : NULL;
	copy = strdup(path);
	if (!ts->t || !ts->path || (version > 1 && !ts->id) || !copy) {
		free(copy);
		cli_error(NULL, "out of memory");
		return -1;
	}
	dir = dirname(copy);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		int bad;

		ln++;
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		off = 0;
		if (version > 1)
			bad = sscanf(line, "shard %llu %llu %16llx %n", &idx,
				     &size, &sum, &off) != 3;
		else
			bad = sscanf(line, "shard %llu %n", &idx, &off) != 1;
		if (bad || !off || idx >= n || ts->path[idx] || !line[off] ||
		    strchr(line + off, '/')) {
			free(copy);
			return bad_manifest(path, "bad shard line", ln);
		}
		ts->path[idx] = xmalloc(strlen(dir) + strlen(line + off) + 2);
		sprintf(ts->path[idx], "%s/%s", dir, line + off);
		if (ts->id) {
			ts->id[idx].size = size;
			ts->id[idx].sum = sum;
		}
		got++;
	}
	free(copy);
	if (got != n)
		return bad_manifest(path, "shards missing", ln);
	if (version == 1)
		cli_error(path,
			  "warning: manifest format 1 (an older hogcount) "
			  "cannot tell whether its shards belong to the "
			  "run that wrote it; rerun hogcount-mpi count to "
			  "write a checked one");
	return 0;
}

/*
 * The shard files of @ts as its manifest recorded them: one line for
 * the first that is missing or belongs to another run.
 */
static int shards_match(const char *path, const struct tables *ts)
{
	for (size_t i = 0; ts->id && i < ts->n; i++) {
		struct shard_id id;

		if (shard_id_read(ts->path[i], &id)) {
			cli_error(ts->path[i], "%s (shard %zu of %s)",
				  strerror(errno), i, path);
			return -1;
		}
		if (id.size != ts->id[i].size || id.sum != ts->id[i].sum) {
			cli_error(path,
				  "shard %zu (%s) is not the one run %016llx "
				  "wrote (%s differs): another run replaced "
				  "it, or was killed while saving; rerun "
				  "hogcount-mpi count",
				  i, ts->path[i], (unsigned long long)ts->run,
				  id.size != ts->id[i].size ? "size" : "sum");
			return -1;
		}
	}
	return 0;
}

int tables_open(const char *path, struct tables *ts)
{
	char head[sizeof(MANIFEST_MAGIC)] = "";
	FILE *f;

	memset(ts, 0, sizeof(*ts));
	/* "shm:NAME" is a live table, never a manifest. */
	f = strncmp(path, SHM_PREFIX, strlen(SHM_PREFIX)) ? fopen(path, "r")
							  : NULL;
	if (f && fread(head, 1, sizeof(head) - 1, f) == sizeof(head) - 1 &&
	    !memcmp(head, MANIFEST_MAGIC, sizeof(head) - 1)) {
		int rc;

		rewind(f);
		ts->manifest = 1;
		rc = manifest_read(f, path, ts);
		fclose(f);
		if (rc || shards_match(path, ts)) {
			tables_close(ts);
			return -1;
		}
		for (size_t i = 0; i < ts->n; i++) {
			hck_meta m;

			if (table_open_meta(ts->path[i], &ts->t[i], &m) ||
			    table_check(ts->path[i], ts->t[i])) {
				tables_close(ts);
				return -1;
			}
			if (meta_refuse(ts->path[i], &m, &ts->m,
					"its manifest says")) {
				tables_close(ts);
				return -1;
			}
		}
		return 0;
	}
	if (f)
		fclose(f);
	ts->n = 1;
	ts->t = xmalloc(sizeof(*ts->t));
	ts->path = xmalloc(sizeof(*ts->path));
	ts->path[0] = strdup(path);
	if (!ts->path[0] || table_open_meta(path, &ts->t[0], &ts->m)) {
		ts->t[0] = NULL;
		tables_close(ts);
		return -1;
	}
	if (table_check(path, ts->t[0])) {
		tables_close(ts);
		return -1;
	}
	return 0;
}

int table_open_one(const char *path, hc_table **t, hck_meta *m)
{
	hck_plan plan = { .size = sizeof(plan) };
	struct tables ts;
	hc_options o;
	hc_stats st;
	hck_plan_in in;
	int rc;

	if (tables_open(path, &ts))
		return -1;
	*m = ts.m;
	if (ts.n == 1) {
		*t = ts.t[0];
		ts.t[0] = NULL;
		tables_close(&ts);
		return 0;
	}
	if (tables_stats(&ts, path, &st)) {
		tables_close(&ts);
		return -1;
	}
	hc_options_init(&o);
	hc_table_options(ts.t[0], &o);
	hck_plan_in_init(&in);
	in.mode = o.mode;
	in.keys = st.distinct;
	in.wide = o.key_kind == HC_KEY_U64;
	if (o.key_kind == HC_KEY_BYTES)
		in.arena_bytes = st.arena_used + st.arena_used / 8 + 4096;
	*t = NULL;
	rc = hck_plan_table(&ts.m, &in, &plan);
	if (!rc)
		rc = hck_table_create(t, &ts.m, &plan);
	for (size_t i = 0; i < ts.n && !rc; i++)
		rc = hc_table_merge(*t, ts.t[i]);
	tables_close(&ts);
	if (rc) {
		cli_error(path, "merging the shards: %s", hc_strerror(rc));
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

void tables_close(struct tables *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->t)
			hc_table_close(ts->t[i]);
		if (ts->path)
			free(ts->path[i]);
	}
	free(ts->t);
	free(ts->path);
	free(ts->id);
	memset(ts, 0, sizeof(*ts));
}

hc_table *tables_owner(const struct tables *ts, uint64_t key, const void *bytes,
		       size_t len)
{
	uint32_t n = (uint32_t)ts->n;

	return ts->t[bytes ? hck_part_bytes(bytes, len, n)
			   : hck_part_key(key, n)];
}

int tables_stats(const struct tables *ts, const char *path, hc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	for (size_t i = 0; i < ts->n; i++) {
		hc_stats s = { .size = sizeof(s) };
		int rc = hc_table_stats(ts->t[i], &s);

		if (rc) {
			cli_error(ts->manifest ? ts->path[i] : path, "%s",
				  hc_strerror(rc));
			return -1;
		}
		st->key_kind = s.key_kind;
		st->mode = s.mode;
		st->capacity += s.capacity;
		st->distinct += s.distinct;
		st->total += s.total;
		st->unique += s.unique;
		st->claimed += s.claimed;
		st->arena_used += s.arena_used;
		st->arena_bytes += s.arena_bytes;
		st->mapped_bytes += s.mapped_bytes;
		if (s.max_count > st->max_count)
			st->max_count = s.max_count;
	}
	st->load =
		st->capacity ? (double)st->claimed / (double)st->capacity : 0;
	return 0;
}

int tables_histo(const struct tables *ts, const char *path, size_t min_len,
		 size_t max_len, uint64_t **hist, size_t *len, hc_stats *st)
{
	uint64_t *part;

	if (ts->n == 1)
		return histo_load(ts->t[0], path, min_len, max_len, hist, len,
				  st);
	/* The same bins as histo_load() would make for one table. */
	*len = min_len;
	if (st) {
		uint64_t top;

		if (tables_stats(ts, path, st))
			return -1;
		top = st->max_count < HISTO_MAX ? st->max_count : HISTO_MAX;
		if ((size_t)top + 2 > *len)
			*len = (size_t)top + 2;
	}
	if (max_len && *len > max_len)
		*len = max_len;
	*hist = calloc(*len, sizeof(**hist));
	part = calloc(*len, sizeof(*part));
	if (!*hist || !part) {
		free(*hist);
		free(part);
		*hist = NULL;
		cli_error(NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < ts->n; i++) {
		int rc = hc_histo(ts->t[i], part, *len);

		if (rc) {
			cli_error(ts->path[i], "%s", hc_strerror(rc));
			free(*hist);
			free(part);
			*hist = NULL;
			return -1;
		}
		for (size_t b = 0; b < *len; b++)
			(*hist)[b] += part[b];
	}
	free(part);
	return 0;
}

void manifest_shard_path(char *buf, size_t cap, const char *out, uint32_t i,
			 uint32_t n)
{
	snprintf(buf, cap, "%s.shard-%u-of-%u", out, (unsigned)i, (unsigned)n);
}

int manifest_write(const char *out, const hck_meta *m, uint32_t n, uint64_t run,
		   const struct shard_id *id)
{
	size_t cap = strlen(out) + 64;
	char *tmp = xmalloc(cap), *shard = xmalloc(cap), *copy = strdup(out);
	int fd, rc = -1, err = 0;
	FILE *f = NULL;

	if (!copy)
		goto out;
	snprintf(tmp, cap, "%s.tmp-XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		unlink(tmp);
		errno = err;
		goto out;
	}
	fprintf(f,
		MANIFEST_MAGIC
		" %d\npartition " HCK_PART_NAME
		"\nrun %016llx\nshards %u\nrecord hogcount-cli 1 tokens=%s "
		"k=%u canonical=%d\n",
		MANIFEST_VERSION, (unsigned long long)run, (unsigned)n,
		hck_tokens_name(m->tokens), m->k, m->canonical ? 1 : 0);
	for (uint32_t i = 0; i < n; i++) {
		manifest_shard_path(shard, cap, out, i, n);
		fprintf(f, "shard %u %llu %016llx %s\n", (unsigned)i,
			(unsigned long long)id[i].size,
			(unsigned long long)id[i].sum, basename(shard));
	}
	if (fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)) {
		err = errno;
		fclose(f);
		unlink(tmp);
		errno = err;
		goto out;
	}
	if (fclose(f) || rename(tmp, out)) {
		err = errno;
		unlink(tmp);
		errno = err;
		goto out;
	}
	rc = 0;
out:
	free(copy);
	free(tmp);
	free(shard);
	return rc;
}

/* 1 if @name is "@base.shard-<i>-of-<n>.tmp.<pid>", the temporary name
 * of hc_table_save (kernel/region.c, save_any), with its pid. */
static int shard_tmp_name(const char *name, const char *base, long *pid)
{
	size_t bl = strlen(base);
	unsigned i, n;
	int off = 0;
	char *end;

	if (strncmp(name, base, bl) ||
	    sscanf(name + bl, ".shard-%u-of-%u.tmp.%n", &i, &n, &off) != 2 ||
	    !off || name[bl + (size_t)off] < '0' ||
	    name[bl + (size_t)off] > '9')
		return 0;
	errno = 0;
	*pid = strtol(name + bl + off, &end, 10);
	return !*end && !errno && *pid > 0;
}

int shard_tmp_clean(const char *out)
{
	char *cd = strdup(out), *cb = strdup(out), *path;
	const char *dir, *base;
	struct dirent *e;
	int removed = 0;
	DIR *d;
	long pid;

	if (!cd || !cb) {
		free(cd);
		free(cb);
		return 0;
	}
	dir = dirname(cd);
	base = basename(cb);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!shard_tmp_name(e->d_name, base, &pid) ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = xmalloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(path, "%s/%s", dir, e->d_name);
		removed += unlink(path) == 0;
		free(path);
	}
	if (d)
		closedir(d);
	free(cd);
	free(cb);
	return removed;
}
