/* SPDX-License-Identifier: MIT */
/*
 * gen_text - deterministic synthetic text for tests and benchmarks: a
 * vocabulary of --vocab made-up words drawn with a Zipf law (as real
 * words are), lines of 4..20 words, some punctuation, to --bytes bytes
 * on standard output.
 *
 *   gen_text --bytes 500000000 --seed 1
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	unsigned long long bytes = 1000000, seed = 1, vocab = 50000, out = 0;
	static const char *syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "te",
				     "vo", "th", "er", "an", "in", "st", "ou",
				     "pe", "di", "ga", "bu", "ze", "ch" };
	double *cdf;
	char **words;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bytes"))
			bytes = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--vocab"))
			vocab = strtoull(argv[i + 1], NULL, 10);
	}
	if (vocab < 1)
		return 2;
	rng_state = seed;
	cdf = malloc(vocab * sizeof(*cdf));
	words = malloc(vocab * sizeof(*words));
	if (!cdf || !words)
		return 1;
	for (unsigned long long i = 0; i < vocab; i++) {
		int n = 1 + (int)(rng() % 4);

		words[i] = calloc(1, 2 * (size_t)n + 1);
		for (int j = 0; j < n; j++)
			strcat(words[i], syl[rng() % 20]);
		cdf[i] = 1.0 / (double)(i + 1) + (i ? cdf[i - 1] : 0);
	}
	while (out < bytes) {
		int n = 4 + (int)(rng() % 17);
		char line[4096];
		size_t l = 0;

		for (int j = 0; j < n; j++) {
			double u = (double)(rng() >> 11) / 9007199254740992.0 *
				   cdf[vocab - 1];
			unsigned long long lo = 0, hi = vocab - 1;

			while (lo < hi) {
				unsigned long long mid = (lo + hi) / 2;

				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			l += (size_t)snprintf(line + l, sizeof(line) - l,
					      "%s%s", j ? " " : "", words[lo]);
		}
		l += (size_t)snprintf(line + l, sizeof(line) - l, "%s\n",
				      (rng() % 4) ? "." : ",");
		fwrite(line, 1, l, stdout);
		out += l;
	}
	for (unsigned long long i = 0; i < vocab; i++)
		free(words[i]);
	free(words);
	free(cdf);
	return fflush(stdout) ? 1 : 0;
}
