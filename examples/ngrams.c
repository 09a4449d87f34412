/* SPDX-License-Identifier: MIT */
/*
 * ngrams.c - the key layer and the model from an installed hogcount:
 * plan a table for byte 3-grams, tokenize a text into it, print each
 * n-gram's text and count, and ask the model for P(next | context).
 *
 *	cc ngrams.c $(pkg-config --cflags --libs hogcount-model)
 */
#include <stdio.h>
#include <string.h>

#include "hogcount_model.h"
#include "hogcount_keys.h"

int main(void)
{
	static const char text[] = "abracadabra, abracadabra";
	hck_meta m = { HCK_BYTES, 3, 0 };
	hck_plan_in in;
	hck_plan plan = { .size = sizeof(plan) };
	unsigned char buf[HCK_INT_TEXT_MAX];
	const unsigned char *key;
	char esc[4 * HCK_INT_TEXT_MAX];
	hck_sink *s = NULL;
	hck_tok *tk = NULL;
	hcm_model *model = NULL;
	hc_table *t = NULL;
	hc_iter *it = NULL;
	hc_entry e;
	size_t len;
	double p;
	int rc;

	hck_plan_in_init(&in);
	in.keys = 100;
	rc = hck_plan_table(&m, &in, &plan);
	if (!rc)
		rc = hck_table_create(&t, &m, &plan);
	if (!rc)
		rc = hck_sink_create(&s, t, &m, 0);
	if (!rc)
		rc = hck_tok_create(&tk, &m, s);
	if (!rc) {
		hck_tok_reset(tk, HCK_FMT_UNKNOWN);
		rc = hck_tok_feed(tk, text, strlen(text), SIZE_MAX);
	}
	if (!rc)
		rc = hck_tok_finish(tk);
	if (!rc)
		rc = hc_iter_create(t, &it);
	while (!rc && hc_iter_next(it, &e) == 1)
		if (!hck_entry_text(&m, &e, buf, &key, &len))
			printf("%.*s\t%llu\n", (int)hck_escape(key, len, esc),
			       esc, (unsigned long long)e.count);
	if (!rc)
		rc = hcm_model_build(&model, t, NULL);
	if (!rc)
		rc = hcm_model_prob(model, "ab", 2, "r", 1, &p);
	if (!rc)
		printf("P(r | ab) = %.4f\n", p);
	hcm_model_free(model);
	hc_iter_destroy(it);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(t);
	if (rc) {
		fprintf(stderr, "ngrams: %s\n", hc_strerror(rc));
		return 1;
	}
	return 0;
}
