/* SPDX-License-Identifier: MIT */
/*
 * tables.c - open "a table or a manifest" for the reading subcommands.
 * The manifest of a sharded table (docs/scaling.md, "Output") is read,
 * written and checked by the key layer (hck_manifest_*, keys/manifest.c);
 * here its shards are opened, refused with one line when they belong to
 * another run, and merged or summed.  The key of a query goes to its
 * shard by the key layer's partition (hck_part_*); stats and histograms
 * add up over the shards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "tables.h"

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

/* Open the shards of the manifest @path into @ts (already zeroed):
 * one line and -1 for the first that fails. */
static int manifest_open(const char *path, struct tables *ts)
{
	hck_manifest_info info = { .size = sizeof(info) };
	hck_manifest *mf = NULL;
	hck_shard_id found;
	const char *why, *shard;
	unsigned line;
	uint32_t bad = 0;
	int rc;

	rc = hck_manifest_read(&mf, path, &line, &why);
	if (rc == HC_ECORRUPT || rc == HC_EVERSION) {
		cli_error(path, "%s%s (line %u)",
			  rc == HC_ECORRUPT ? "not a valid manifest: " : "",
			  why, line);
		return -1;
	}
	if (rc) {
		cli_error(path, "%s",
			  rc == HC_EIO ? strerror(errno) : hc_strerror(rc));
		return -1;
	}
	hck_manifest_info_get(mf, &info);
	if (info.version == 1)
		cli_error(path,
			  "warning: manifest format 1 (an older hogcount) "
			  "cannot tell whether its shards belong to the "
			  "run that wrote it; rerun hogcount-mpi count to "
			  "write a checked one");
	ts->m = info.meta;
	ts->run = info.run;
	ts->n = info.shards;
	ts->t = calloc(ts->n, sizeof(*ts->t));
	ts->path = calloc(ts->n, sizeof(*ts->path));
	if (!ts->t || !ts->path) {
		hck_manifest_free(mf);
		cli_error(NULL, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < info.shards; i++) {
		hck_manifest_shard(mf, i, &shard, NULL);
		ts->path[i] = strdup(shard);
		if (!ts->path[i]) {
			hck_manifest_free(mf);
			cli_error(NULL, "out of memory");
			return -1;
		}
	}
	/* The shard files as the manifest recorded them: one line for the
	 * first that is missing or belongs to another run. */
	rc = hck_manifest_verify(mf, &bad, &found);
	if (rc == HC_ECORRUPT) {
		hck_shard_id want;

		hck_manifest_shard(mf, bad, NULL, &want);
		cli_error(path,
			  "shard %u (%s) is not the one run %016llx "
			  "wrote (%s differs): another run replaced "
			  "it, or was killed while saving; rerun "
			  "hogcount-mpi count",
			  (unsigned)bad, ts->path[bad],
			  (unsigned long long)ts->run,
			  found.size != want.size ? "size" : "sum");
	} else if (rc) {
		cli_error(ts->path[bad], "%s (shard %u of %s)",
			  rc == HC_EIO ? strerror(errno) : hc_strerror(rc),
			  (unsigned)bad, path);
	}
	hck_manifest_free(mf);
	return rc ? -1 : 0;
}

int tables_open(const char *path, struct tables *ts)
{
	memset(ts, 0, sizeof(*ts));
	/* "shm:NAME" is a live table, never a manifest. */
	if (strncmp(path, SHM_PREFIX, strlen(SHM_PREFIX)) &&
	    hck_manifest_is(path)) {
		ts->manifest = 1;
		if (manifest_open(path, ts)) {
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
