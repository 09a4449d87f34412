/* SPDX-License-Identifier: MIT */
/*
 * kmer.h - the k-mer hot loop, inlined into the sequence framer
 * (records.c).  A k-mer is kept twice while rolling: forward (2 bits a
 * base, newest base lowest) and reverse complement (newest base
 * highest), so the canonical form is one compare per base.
 */
#ifndef HCK_KMER_H
#define HCK_KMER_H

#include "hck_internal.h"

static inline int kmer_run(struct hck_tok *tk, const unsigned char *p,
			   const unsigned char *end)
{
	uint64_t fwd = tk->fwd, rev = tk->rev, run = tk->run;
	const uint64_t mask = tk->mask;
	const unsigned shift = tk->shift, k = tk->m.k;
	struct hck_sink *s = tk->sink;
	size_t n = s->n;
	int rc = 0;

	if (tk->m.canonical) {
		for (; p < end; p++) {
			uint64_t c = hck_dna_code[*p];

			if (__builtin_expect(c > 3, 0)) {
				if (c == HCK_DNA_BREAK)
					run = 0;
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			rev = (rev >> 2) | ((3 - c) << shift);
			if (++run >= k) {
				s->keys[n++] = rev < fwd ? rev : fwd;
				if (__builtin_expect(n == HCK_SINK_KEYS, 0)) {
					s->n = n;
					rc = hck_sink_flush(s);
					n = 0;
					if (rc)
						break;
				}
			}
		}
	} else {
		for (; p < end; p++) {
			uint64_t c = hck_dna_code[*p];

			if (__builtin_expect(c > 3, 0)) {
				if (c == HCK_DNA_BREAK)
					run = 0;
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			if (++run >= k) {
				s->keys[n++] = fwd;
				if (__builtin_expect(n == HCK_SINK_KEYS, 0)) {
					s->n = n;
					rc = hck_sink_flush(s);
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

#endif /* HCK_KMER_H */
