/* SPDX-License-Identifier: MIT */
/*
 * kmer.c - 2-bit DNA codes, k-mer text and reverse complement.  Upper
 * and lower case bases are the same base (as in Jellyfish); any other
 * byte but '\r' breaks the k-mer.
 */
#include "hck_internal.h"
#include "kmer.h"

#define B HCK_DNA_BREAK
const unsigned char hck_dna_code[256] = {
	B, B, B, B, B, B, B, B, B, B, B, B, B, HCK_DNA_SKIP,
	B, B, /* 0x00 */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x10 */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x20 */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x30 */
	B, 0, B, 1, B, B, B, 2, B, B, B, B, B, B,
	B, B, /* 0x40 @A.C...G */
	B, B, B, B, 3, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x50 ....T */
	B, 0, B, 1, B, B, B, 2, B, B, B, B, B, B,
	B, B, /* 0x60 `a.c...g */
	B, B, B, B, 3, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x70 ....t */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, /* 0x80 */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	B, B, B, B, B, B, B, B, B, B, B, B, B, B, /* 0xf0 */
};
#undef B

uint64_t hck_kmer_revcomp(uint64_t key, unsigned k)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < k; i++) {
		r = r << 2 | (3 - (key & 3));
		key >>= 2;
	}
	return r;
}
