/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer for the --json output of the
 * subcommands: one object per run, keys in the order written, numbers
 * as C prints them (non-finite doubles become null), strings escaped.
 * Nesting up to JSON_DEPTH levels.
 */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 8

struct json {
	FILE *f;
	int depth;
	int n[JSON_DEPTH]; /* items written at each level */
	char closer[JSON_DEPTH]; /* what ends each level */
};

/* Start the top-level object on @f. */
void json_begin(struct json *j, FILE *f);
/* Close every open level and end the line. */
void json_end(struct json *j);

/* Members: @key is NULL inside an array. */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, long long v);
void json_dbl(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, int v);
void json_str(struct json *j, const char *key, const char *s);
void json_null(struct json *j, const char *key);
/* Open a nested object or array; json_close() ends it. */
void json_obj(struct json *j, const char *key);
void json_arr(struct json *j, const char *key);
void json_close(struct json *j);

#endif /* HC_JSON_H */
