/* SPDX-License-Identifier: MIT */
/*
 * hcm_internal.h - helpers shared by the files of model/ (hcm__
 * prefix; the public names in hogcount_model.h are hcm_).  What a key
 * means comes from the key layer.
 */
#ifndef HCM_INTERNAL_H
#define HCM_INTERNAL_H

#include "hogcount_model.h"
#include "hogcount_keys.h"

/* The key layer's record of n-grams of @tokens, @order. */
static inline hck_meta hcm__meta(int tokens, unsigned order)
{
	hck_meta m = { tokens, order, 0 };

	return m;
}

/* Whether n-grams of @order are integer keys (key layer). */
static inline int hcm__packed(int tokens, unsigned order)
{
	hck_meta m = hcm__meta(tokens, order);

	return hck_int_keys(&m);
}

/* The count of the n-gram @text of @order in @t (0 if absent). */
int hcm__count(const hc_table *t, int tokens, unsigned order,
	       const unsigned char *text, size_t len, uint64_t *count);

/* @text without its last (@last) or first token. */
int hcm__drop(int tokens, int last, const unsigned char *text, size_t len,
	      const unsigned char **sub, size_t *sub_len);

#endif /* HCM_INTERNAL_H */
