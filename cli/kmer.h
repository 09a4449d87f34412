/* SPDX-License-Identifier: MIT */
/*
 * kmer.h - the k-mer hot loop, inlined into the sequence framer
 * (records.c).  A k-mer is kept twice while rolling: forward (2 bits a
 * base, newest base lowest) and reverse complement (newest base
 * highest), so the canonical form is one compare per base.
 */
#ifndef HC_KMER_H
#define HC_KMER_H

#include "cli.h"

#define DNA_SKIP 4 /* '\r': ignored, the k-mer goes on */
#define DNA_BREAK 5 /* N and every other byte: the k-mer restarts */

static inline int kmer_run(struct tok *tk, const unsigned char *p,
			   const unsigned char *end)
{
	uint64_t fwd = tk->fwd, rev = tk->rev, run = tk->run;
	const uint64_t mask = tk->mask;
	const unsigned shift = tk->shift, k = tk->m.k;
	struct sink *s = tk->sink;
	size_t n = s->n;
	int rc = 0;

	if (tk->m.canonical) {
		for (; p < end; p++) {
			uint64_t c = dna_code[*p];

			if (__builtin_expect(c > 3, 0)) {
				if (c == DNA_BREAK)
					run = 0;
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			rev = (rev >> 2) | ((3 - c) << shift);
			if (++run >= k) {
				s->keys[n++] = rev < fwd ? rev : fwd;
				if (__builtin_expect(n == SINK_KEYS, 0)) {
					s->n = n;
					rc = sink_flush(s);
					n = 0;
					if (rc)
						break;
				}
			}
		}
	} else {
		for (; p < end; p++) {
			uint64_t c = dna_code[*p];

			if (__builtin_expect(c > 3, 0)) {
				if (c == DNA_BREAK)
					run = 0;
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			if (++run >= k) {
				s->keys[n++] = fwd;
				if (__builtin_expect(n == SINK_KEYS, 0)) {
					s->n = n;
					rc = sink_flush(s);
					n = 0;
					if (rc)
						break;
				}
			}
		}
	}
	s->n = n;
	tk->fwd = fwd;
	tk->rev = rev;
	tk->run = run;
	return rc;
}

#endif /* HC_KMER_H */
