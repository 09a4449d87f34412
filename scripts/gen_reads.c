/* SPDX-License-Identifier: MIT */
/*
 * gen_reads - deterministic simulated sequencing reads for tests and
 * benchmarks.  A random genome of --genome bases; reads of --len bases
 * from random positions and strands, with substitution errors at
 * --error (so most distinct k-mers are rare, as in real data), N bases
 * at --n-rate and lower-case bases at --lower.  Writes FASTQ, or FASTA
 * with lines of --width bases, to standard output.
 *
 *   gen_reads --reads 5000000 --len 150 --genome 50000000 --seed 1
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
}

int main(int argc, char **argv)
{
	unsigned long long reads = 1000, len = 100, genome = 100000, seed = 1;
	unsigned long long width = 60;
	double err = 0.01, nrate = 0.0, lower = 0.0;
	int fasta = 0;
	static const char base[] = "ACGT", comp[] = "TGCA";
	char *g, *r, *q;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "--fasta")) {
			fasta = 1;
			continue;
		}
		i++;
		if (!strcmp(a, "--reads"))
			reads = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--len"))
			len = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--genome"))
			genome = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--width"))
			width = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--error"))
			err = atof(v);
		else if (!strcmp(a, "--n-rate"))
			nrate = atof(v);
		else if (!strcmp(a, "--lower"))
			lower = atof(v);
		else {
			fprintf(stderr,
				"usage: gen_reads [--reads N] [--len L] "
				"[--genome G] [--seed S] [--error E] "
				"[--n-rate E] [--lower E] [--fasta] "
				"[--width W]\n");
			return 2;
		}
	}
	if (len < 1 || genome < len || width < 1)
		return 2;
	rng_state = seed;
	g = malloc(genome);
	r = malloc(len + 1);
	q = malloc(len + 1);
	if (!g || !r || !q)
		return 1;
	for (unsigned long long i = 0; i < genome; i++)
		g[i] = base[rng() & 3];
	memset(q, 'I', len);
	q[len] = 0;
	r[len] = 0;
	for (unsigned long long n = 0; n < reads; n++) {
		unsigned long long pos = rng() % (genome - len + 1);
		int rc = rng() & 1;

		for (unsigned long long i = 0; i < len; i++) {
			char c = rc ? comp[strchr(base, g[pos + len - 1 - i]) -
					   base]
				    : g[pos + i];

			if (unif() < err)
				c = base[(strchr(base, c) - base + 1 +
					  (int)(rng() % 3)) &
					 3];
			if (nrate > 0 && unif() < nrate)
				c = 'N';
			if (lower > 0 && unif() < lower)
				c = (char)(c | 0x20);
			r[i] = c;
		}
		if (fasta) {
			printf(">read%llu\n", n);
			for (unsigned long long i = 0; i < len; i += width)
				printf("%.*s\n",
				       (int)(len - i < width ? len - i : width),
				       r + i);
		} else {
			printf("@read%llu\n%s\n+\n%s\n", n, r, q);
		}
	}
	free(g);
	free(r);
	free(q);
	return fflush(stdout) ? 1 : 0;
}
