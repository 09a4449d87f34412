/* SPDX-License-Identifier: MIT */
/*
 * hc_model_internal.h - helpers shared by the files of model/ (hcm_
 * prefix).  What a key means comes from the key layer.
 */
#ifndef HC_MODEL_INTERNAL_H
#define HC_MODEL_INTERNAL_H

#include "hc_model.h"
#include "hogcount_keys.h"

/* The key layer's record of n-grams of @tokens, @order. */
static inline hck_meta hcm_meta(int tokens, unsigned order)
{
	hck_meta m = { tokens, order, 0 };

	return m;
}

/* Whether n-grams of @order are integer keys (key layer). */
static inline int hcm_packed(int tokens, unsigned order)
{
	hck_meta m = hcm_meta(tokens, order);

	return hck_int_keys(&m);
}

/* The count of the n-gram @text of @order in @t (0 if absent). */
int hcm_count(const hc_table *t, int tokens, unsigned order,
	      const unsigned char *text, size_t len, uint64_t *count);

/* @text without its last (@last) or first token. */
int hcm_drop(int tokens, int last, const unsigned char *text, size_t len,
	     const unsigned char **sub, size_t *sub_len);

#endif /* HC_MODEL_INTERNAL_H */
