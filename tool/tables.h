/* SPDX-License-Identifier: MIT */
/*
 * tables.h - "a table or a manifest": what the reading subcommands
 * open.  A plain table file is one shard; the manifest of a sharded
 * table (hogcount-mpi count, docs/scaling.md) names n shard files, one
 * per node, and the partition of keys among them.  The manifest format
 * belongs to the key layer (hck_manifest_*, keys/manifest.c), which
 * hogcount-mpi and Python call too.
 */
#ifndef HC_TABLES_H
#define HC_TABLES_H

#include "cli.h"

struct tables {
	size_t n; /* shards: 1 for a plain table file */
	hc_table **t;
	char **path; /* the shard files, as opened */
	hck_meta m; /* the record, the same in every shard */
	int manifest; /* 1 if opened from a manifest */
	uint64_t run; /* the manifest's run id (format 2), else 0 */
};

/*
 * Set by --unchecked (main.c takes it off the command line of every
 * command that reads tables): open damaged tables anyway, for salvage.
 */
extern int cli_unchecked;

/*
 * table_check - refuse a table whose body checksum fails
 * (hc_table_verify), with one line naming @path; 0 when it is good,
 * not sealed (live or older), or cli_unchecked is set, else -1.
 */
int table_check(const char *path, const hc_table *t);

/* verdict_where - "slots of generation 0", "key area chunk 2", ... for
 * a damaged verdict, into @buf. */
void verdict_where(const hc_verdict *v, char *buf, size_t cap);

/*
 * tables_open - open @path read-only: a table file written by count, or
 * a manifest and every shard it names (relative to the manifest's
 * directory), checking that each is the file the manifest recorded
 * (hck_manifest_verify), holds the manifest's record and passes
 * table_check().
 * Prints the error and returns -1 on failure.
 */
int tables_open(const char *path, struct tables *ts);
void tables_close(struct tables *ts);

/*
 * table_open_one - table_open_meta() for "a table or a manifest": a
 * sharded table is merged into one table in memory (planned by the key
 * layer for the shards' keys), for readers that need one table (model).
 * Prints the error and returns -1 on failure.
 */
int table_open_one(const char *path, hc_table **t, hck_meta *m);

/* tables_owner - the shard that holds an integer @key, or the byte key
 * @bytes of @len bytes when @bytes is not NULL (hck_part_*). */
hc_table *tables_owner(const struct tables *ts, uint64_t key, const void *bytes,
		       size_t len);

/* tables_stats - hc_table_stats() summed over the shards (max_count
 * the largest, load claimed / capacity); prints the error, returns -1. */
int tables_stats(const struct tables *ts, const char *path, hc_stats *st);

/* tables_histo - as histo_load() (plot.h) for the union of the shards:
 * the stats into @st (if not NULL) and the count-of-counts summed. */
int tables_histo(const struct tables *ts, const char *path, size_t min_len,
		 size_t max_len, uint64_t **hist, size_t *len, hc_stats *st);

#endif /* HC_TABLES_H */
