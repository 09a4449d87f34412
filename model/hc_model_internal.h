/* SPDX-License-Identifier: MIT */
/*
 * hc_model_internal.h - helpers shared by the files of model/ (hcm_
 * prefix): the text form of n-gram keys.
 */
#ifndef HC_MODEL_INTERNAL_H
#define HC_MODEL_INTERNAL_H

#include "hc_model.h"

/* Byte n-grams of order <= 8 are u64 keys, first byte highest. */
static inline int hcm_packed(int tokens, unsigned order)
{
	return tokens == HC_NGRAM_BYTES && order <= 8;
}

/* White space as the CLI's word tokenizer sees it (cli/ngram.c). */
static inline int hcm_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

uint64_t hcm_pack(const unsigned char *p, size_t len);
void hcm_unpack(uint64_t key, unsigned order, unsigned char *out);

/* The count of the n-gram @text of @order in @t (0 if absent). */
int hcm_count(const hc_table *t, int tokens, unsigned order,
	      const unsigned char *text, size_t len, uint64_t *count);

/* @text without its last (@last) or first token. */
int hcm_drop(int tokens, int last, const unsigned char *text, size_t len,
	     const unsigned char **sub, size_t *sub_len);

#endif /* HC_MODEL_INTERNAL_H */
