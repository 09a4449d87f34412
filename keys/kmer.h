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

/* A byte that may stand in a sequence line without being a base:
 * letters (IUPAC codes such as N), '-', '.', '*', blanks.  Others are
 * counted in hck_tok_skipped_bytes(): a file that is not FASTA/FASTQ. */
static inline int hck__seq_letter(unsigned char c)
{
	return (unsigned)((c | 0x20) - 'a') < 26u || c == '-' || c == '.' ||
	       c == '*' || c == ' ' || c == '\t';
}

static inline int kmer_run(struct hck_tok *tk, const unsigned char *p,
			   const unsigned char *end)
{
	uint64_t fwd = tk->fwd, rev = tk->rev, run = tk->run;
	const uint64_t mask = tk->mask;
	const unsigned shift = tk->shift, k = tk->m.k;
	struct hck_sink *s = tk->sink;
	size_t n = s->n;
	uint64_t bad = 0;
	int rc = 0;

	if (tk->m.canonical) {
		for (; p < end; p++) {
			uint64_t c = hck_dna_code[*p];

			if (__builtin_expect(c > 3, 0)) {
				if (c == HCK_DNA_BREAK) {
					run = 0;
					bad += !hck__seq_letter(*p);
				}
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			rev = (rev >> 2) | ((3 - c) << shift);
			if (++run >= k) {
				s->keys[n++] = rev < fwd ? rev : fwd;
				if (__builtin_expect(n == HCK_SINK_KEYS, 0)) {
					s->n = n;
					rc = hck__sink_drain(s);
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
				if (c == HCK_DNA_BREAK) {
					run = 0;
					bad += !hck__seq_letter(*p);
				}
				continue;
			}
			fwd = ((fwd << 2) | c) & mask;
			if (++run >= k) {
				s->keys[n++] = fwd;
				if (__builtin_expect(n == HCK_SINK_KEYS, 0)) {
					s->n = n;
					rc = hck__sink_drain(s);
					n = 0;
					if (rc)
						break;
				}
			}
		}
	}
	s->n = n;
	tk->bad_bytes += bad;
	tk->fwd = fwd;
	tk->rev = rev;
	tk->run = run;
	return rc;
}

#endif /* HCK_KMER_H */
