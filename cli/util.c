/* SPDX-License-Identifier: MIT */
/*
 * util.c - messages, number parsing, allocation, and key text through
 * the key layer (docs/cli.md, "Key text").
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_cmd = "";

void cli_error(const char *what, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (what)
		fprintf(stderr, "hogcount %s: %s: %s\n", cli_cmd, what, msg);
	else
		fprintf(stderr, "hogcount %s: %s\n", cli_cmd, msg);
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		static const char units[] = "kmgt";
		const char *u = strchr(units, end[0] | 0x20);
		int bin = (end[1] == 'i' || end[1] == 'I');

		if (!u || !end[0])
			return -1;
		if (end[1 + bin])
			return -1;
		for (long i = 0; i <= u - units; i++)
			mul *= bin ? 1024 : 1000;
	}
	if (mul > 1 && v > UINT64_MAX / mul)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		cli_error(NULL, "out of memory");
		exit(1);
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		cli_error(NULL, "out of memory");
		exit(1);
	}
	return p;
}

void escape_write(FILE *f, const unsigned char *s, size_t len)
{
	char buf[4 * 256];

	while (len) {
		size_t n = len < 256 ? len : 256;

		fwrite(buf, 1, hck_escape(s, n, buf), f);
		s += n;
		len -= n;
	}
}

int table_open_meta(const char *path, hc_table **t, hck_meta *m)
{
	int rc = hc_table_open(t, path, HC_OPEN_RDONLY);

	if (rc) {
		if (rc == HC_EIO || rc == HC_ENOENT)
			cli_error(path, "%s", strerror(errno ? errno : ENOENT));
		else
			cli_error(path, "%s", hc_strerror(rc));
		return -1;
	}
	rc = hck_meta_load(*t, m);
	if (rc) {
		cli_error(path, "not a table written by hogcount count (%s)",
			  hc_strerror(rc));
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

void key_write(FILE *f, const hck_meta *m, const hc_entry *e)
{
	unsigned char buf[HCK_INT_TEXT_MAX];
	const unsigned char *text;
	size_t len;

	if (hck_entry_text(m, e, buf, &text, &len))
		return;
	if (m->tokens == HCK_DNA)
		fwrite(text, 1, len, f);
	else
		escape_write(f, text, len);
}

int bad_option(char **argv)
{
	const char *arg = argv[optind - 1];

	if (optopt && arg[0] == '-' && arg[1] != '-')
		cli_error(arg,
			  "invalid option or missing value (see hogcount %s "
			  "--help)",
			  cli_cmd);
	else
		cli_error(arg,
			  "unrecognized option or missing value (see hogcount "
			  "%s --help)",
			  cli_cmd);
	return EXIT_USAGE;
}
