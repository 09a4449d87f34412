/* SPDX-License-Identifier: MIT */
/*
 * util.c - messages, number parsing, allocation and the escapes that
 * byte and word keys use in text output (docs/cli.md, "Key text").
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
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != 0x7f && c != '\\')
			continue;
		fwrite(s + run, 1, i - run, f);
		run = i + 1;
		putc('\\', f);
		switch (c) {
		case '\\':
			putc('\\', f);
			break;
		case '\t':
			putc('t', f);
			break;
		case '\n':
			putc('n', f);
			break;
		case '\r':
			putc('r', f);
			break;
		default:
			putc('x', f);
			putc(hex[c >> 4], f);
			putc(hex[c & 15], f);
		}
	}
	fwrite(s + run, 1, len - run, f);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long unescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c != '\\') {
			s[o++] = c;
			continue;
		}
		if (++i == len)
			return -1;
		switch (s[i]) {
		case '\\':
			s[o++] = '\\';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 'x': {
			int h, l;

			if (i + 2 >= len)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			s[o++] = (char)(h << 4 | l);
			i += 2;
			break;
		}
		default:
			return -1;
		}
	}
	return (long)o;
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
