/* SPDX-License-Identifier: MIT */
/*
 * json.c - the --json writer (json.h).  Keeps a stack of what is open
 * and how many items each level holds, for the commas.
 */
#include <math.h>

#include "json.h"

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The comma and the key before a member. */
static void member(struct json *j, const char *key)
{
	if (j->n[j->depth]++)
		fputs(", ", j->f);
	if (key) {
		put_str(j->f, key);
		fputs(": ", j->f);
	}
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->n[0] = 0;
	j->closer[0] = '}';
	fputc('{', f);
}

void json_end(struct json *j)
{
	while (j->depth > 0)
		json_close(j);
	fputs("}\n", j->f);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_int(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void json_dbl(struct json *j, const char *key, double v)
{
	member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_str(struct json *j, const char *key, const char *s)
{
	member(j, key);
	put_str(j->f, s);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

static void open_level(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_DEPTH) {
		j->depth++;
		j->n[j->depth] = 0;
		j->closer[j->depth] = c == '{' ? '}' : ']';
	}
}

void json_obj(struct json *j, const char *key)
{
	open_level(j, key, '{');
}

void json_arr(struct json *j, const char *key)
{
	open_level(j, key, '[');
}

void json_close(struct json *j)
{
	if (j->depth == 0)
		return;
	fputc(j->closer[j->depth], j->f);
	j->depth--;
}
