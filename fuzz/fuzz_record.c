/* SPDX-License-Identifier: MIT */
/*
 * fuzz_record.c - libFuzzer harness: the metadata record of a table
 * (hck_meta_load) on arbitrary user bytes stored with
 * hc_table_set_user(), in a table of each key kind.  A record that
 * loads must be valid (hck_meta_check), fit the table's kind, and
 * survive hck_meta_store() and a second load unchanged.
 *
 * Input: byte 0 picks the key kind; the rest is the user record.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hc_table *tables[4];

static hc_table *table_of(int kind)
{
	hc_options opt;

	if (tables[kind])
		return tables[kind];
	hc_options_init(&opt);
	opt.mode = HC_MODE_EXACT;
	opt.capacity = 64;
	switch (kind) {
	case 0:
		opt.key_kind = HC_KEY_U64;
		break;
	case 1:
		opt.key_kind = HC_KEY_BYTES;
		opt.arena_bytes = 4096;
		break;
	case 2:
		opt.key_kind = HC_KEY_DENSE;
		opt.dense_bits = 8;
		break;
	case 3:
		opt.key_kind = HC_KEY_PACKED;
		opt.key_bits = 16;
		break;
	}
	FUZZ_CHECK(hc_table_create(&tables[kind], &opt) == HC_OK,
		   "create kind %d", kind);
	return tables[kind];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hck_meta m, m2;
	hc_options opt;
	hc_table *t;
	int rc;

	if (size < 1)
		return 0;
	t = table_of(data[0] & 3);
	rc = hc_table_set_user(t, data + 1, size - 1);
	if (size - 1 > HC_USER_MAX) {
		FUZZ_CHECK(rc != HC_OK, "a record of %zu bytes stored",
			   size - 1);
		return 0;
	}
	FUZZ_CHECK(rc == HC_OK, "set_user: %d", rc);
	memset(&m, 0x5a, sizeof(m));
	rc = hck_meta_load(t, &m);
	if (rc != HC_OK) {
		FUZZ_CHECK(rc == HC_ECORRUPT || rc == HC_EKIND, "load: %d", rc);
		return 0;
	}
	FUZZ_CHECK(hck_meta_check(&m) == HC_OK, "loaded an invalid record");
	hc_options_init(&opt);
	FUZZ_CHECK(hc_table_options(t, &opt) == HC_OK, "options");
	FUZZ_CHECK(hck_kind_fits(&m, opt.key_kind), "kind does not fit");
	FUZZ_CHECK(hck_meta_store(t, &m) == HC_OK, "store");
	memset(&m2, 0, sizeof(m2));
	FUZZ_CHECK(hck_meta_load(t, &m2) == HC_OK, "reload");
	FUZZ_CHECK(m.tokens == m2.tokens && m.k == m2.k &&
			   m.canonical == m2.canonical,
		   "record changed by a round trip");
	return 0;
}
