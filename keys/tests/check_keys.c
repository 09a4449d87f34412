/* SPDX-License-Identifier: MIT */
/*
 * check_keys.c - the key layer's suite (unit.keys): the record, the
 * codec, the plan, the exports and the tokenizers, each against a
 * reference computed here.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hogcount_keys.h"

/* keys/words.c's test hooks (hck_internal.h). */
extern uint64_t hck__radix_split_min;
extern unsigned hck__pack_count_bits;
/* The kernel's save threads (kernel/hc_internal.h): the stream of the
 * save in parts, however few its keys. */
extern uint64_t hc__compact_split_min;
extern unsigned hc__compact_threads;

static hc_table *plan_create(const hck_meta *m, uint64_t keys, int wide)
{
	hck_plan_in in;
	hck_plan p = { .size = sizeof(p) };
	hc_table *t = NULL;

	hck_plan_in_init(&in);
	in.keys = keys;
	in.wide = wide;
	ck_assert_int_eq(hck_plan_table(m, &in, &p), HC_OK);
	ck_assert_int_eq(hck_table_create(&t, m, &p), HC_OK);
	return t;
}

static int kind_of(const hc_table *t)
{
	hc_options o;

	hc_options_init(&o);
	ck_assert_int_eq(hc_table_options(t, &o), HC_OK);
	return o.key_kind;
}

START_TEST(record_roundtrip)
{
	static const hck_meta ms[] = {
		{ HCK_DNA, 21, 1 },  { HCK_DNA, 32, 0 },   { HCK_BYTES, 1, 0 },
		{ HCK_BYTES, 5, 0 }, { HCK_BYTES, 12, 0 }, { HCK_WORDS, 3, 0 },
	};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		hc_table *t = plan_create(&ms[i], 1000, 0);
		hck_meta r;

		ck_assert_int_eq(hck_meta_load(t, &r), HC_OK);
		ck_assert_int_eq(r.tokens, ms[i].tokens);
		ck_assert_uint_eq(r.k, ms[i].k);
		ck_assert_int_eq(r.canonical, ms[i].canonical);
		ck_assert(hck_kind_fits(&r, kind_of(t)));
		hc_table_close(t);
	}
}
END_TEST

START_TEST(record_refused)
{
	hck_meta bad = { HCK_BYTES, 3, 1 }, r;
	hc_table *t;

	ck_assert_int_eq(hck_meta_check(&bad), HC_EINVAL);
	bad.tokens = HCK_DNA;
	bad.k = 33;
	ck_assert_int_eq(hck_meta_check(&bad), HC_EINVAL);
	ck_assert_int_eq(hc_table_create(&t, NULL), HC_OK); /* u64 */
	ck_assert_int_eq(hck_meta_load(t, &r), HC_ECORRUPT); /* none */
	/* A record the key kind cannot hold: word keys in u64 slots. */
	ck_assert_int_eq(hc_table_set_user(t,
					   "hogcount-cli 1 tokens=words "
					   "k=2 canonical=0",
					   43),
			 HC_OK);
	ck_assert_int_eq(hck_meta_load(t, &r), HC_EKIND);
	ck_assert_int_eq(hc_table_set_user(t,
					   "hogcount-cli 1 tokens=bytes "
					   "k=2 canonical=0 x",
					   45),
			 HC_OK);
	ck_assert_int_eq(hck_meta_load(t, &r), HC_ECORRUPT);
	hc_table_close(t);
}
END_TEST

START_TEST(record_text)
{
	hck_meta m = { HCK_WORDS, 3, 0 }, r;
	char buf[HCK_META_TEXT_MAX + 1];
	size_t len = 0;
	int v, n = 0;

	/* The kinds, listed by hck_tokens_name() up to the first "?". */
	for (v = 1; strcmp(hck_tokens_name(v), "?"); v++) {
		int back = 0;

		ck_assert_int_eq(hck_tokens_parse(hck_tokens_name(v), &back),
				 HC_OK);
		ck_assert_int_eq(back, v);
		n++;
	}
	ck_assert_int_eq(n, HCK_TOKENS_END - 1);
	ck_assert_str_eq(hck_tokens_name(0), "?");
	ck_assert_int_eq(hck_meta_format(&m, buf, sizeof(buf), &len), HC_OK);
	ck_assert_str_eq(buf, "hogcount-cli 1 tokens=words k=3 canonical=0");
	ck_assert_uint_eq(len, strlen(buf));
	ck_assert_int_eq(hck_meta_format(&m, buf, 10, &len), HC_ERANGE);
	ck_assert_int_eq(hck_meta_parse(buf, 0, &r), HC_ECORRUPT);
	ck_assert_int_eq(hck_meta_format(&m, buf, sizeof(buf), &len), HC_OK);
	ck_assert_int_eq(hck_meta_parse(buf, len, &r), HC_OK);
	ck_assert(r.tokens == m.tokens && r.k == m.k && !r.canonical);
	ck_assert_int_eq(hck_meta_parse(buf, len - 1, &r), HC_ECORRUPT);
	ck_assert_int_eq(hck_meta_parse("hogcount-cli 1 tokens=words k=3 "
					"canonical=0 x",
					45, &r),
			 HC_ECORRUPT);
	m.tokens = HCK_DNA;
	m.k = 40;
	ck_assert_int_eq(hck_meta_format(&m, buf, sizeof(buf), &len),
			 HC_EINVAL);
}
END_TEST

static void file_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(manifest_roundtrip)
{
	char dir[] = "/tmp/hck-manifest-XXXXXX", out[256], shard[300];
	hck_meta m = { HCK_DNA, 21, 1 };
	hck_manifest_info info = { .size = sizeof(info) };
	hck_shard_id id[2], got;
	hck_manifest *mf;
	const char *why, *p;
	unsigned line;
	uint32_t bad;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/sh.hc", dir);
	ck_assert_int_eq(hck_shard_path(shard, 8, out, 0, 2), HC_ERANGE);
	ck_assert_int_eq(hck_shard_path(shard, sizeof(shard), out, 2, 2),
			 HC_EINVAL);
	for (uint32_t i = 0; i < 2; i++) {
		ck_assert_int_eq(
			hck_shard_path(shard, sizeof(shard), out, i, 2), HC_OK);
		file_put(shard, i ? "short" : "a shard of some bytes");
		ck_assert_int_eq(hck_shard_id_read(shard, &id[i]), HC_OK);
		ck_assert_int_eq(hck_shard_check(shard, &id[i], NULL), HC_OK);
	}
	ck_assert_uint_eq(id[1].size, 5);
	ck_assert_int_eq(hck_manifest_is(out), 0);
	ck_assert_int_eq(hck_manifest_write(out, &m, 2, 0xabc, id), HC_OK);
	ck_assert_int_eq(hck_manifest_is(out), 1);
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_OK);
	ck_assert_int_eq(hck_manifest_info_get(mf, &info), HC_OK);
	ck_assert_uint_eq(info.version, HCK_MANIFEST_VERSION);
	ck_assert_uint_eq(info.shards, 2);
	ck_assert(info.run == 0xabc);
	ck_assert(info.meta.tokens == HCK_DNA && info.meta.k == 21 &&
		  info.meta.canonical == 1);
	ck_assert_int_eq(hck_manifest_shard(mf, 1, &p, &got), HC_OK);
	hck_shard_path(shard, sizeof(shard), out, 1, 2);
	ck_assert_str_eq(p, shard);
	ck_assert(got.size == id[1].size && got.sum == id[1].sum);
	ck_assert_int_eq(hck_manifest_shard(mf, 2, &p, &got), HC_EINVAL);
	ck_assert_int_eq(hck_manifest_verify(mf, &bad, &got), HC_OK);
	/* Another run's shard 1: refused, and what is there said. */
	file_put(shard, "other");
	ck_assert_int_eq(hck_manifest_verify(mf, &bad, &got), HC_ECORRUPT);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(got.size, 5);
	ck_assert(got.sum != id[1].sum);
	unlink(shard);
	ck_assert_int_eq(hck_manifest_verify(mf, &bad, &got), HC_EIO);
	hck_manifest_free(mf);
	/* Format 1: no run, sizes or sums; nothing to verify. */
	file_put(out, "hogcount-sharded 1\npartition hck-part-1\nshards 2\n"
		      "record hogcount-cli 1 tokens=bytes k=3 canonical=0\n"
		      "shard 1 b\nshard 0 a\n");
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_OK);
	ck_assert_int_eq(hck_manifest_info_get(mf, &info), HC_OK);
	ck_assert_uint_eq(info.version, 1);
	ck_assert_int_eq(hck_manifest_verify(mf, &bad, &got), HC_OK);
	ck_assert_int_eq(hck_manifest_shard(mf, 0, &p, &got), HC_OK);
	snprintf(shard, sizeof(shard), "%s/a", dir);
	ck_assert_str_eq(p, shard);
	hck_manifest_free(mf);
	/* Refused with the line and a phrase. */
	file_put(out, "hogcount-sharded 1\npartition hck-part-1\nshards 2\n"
		      "record hogcount-cli 1 tokens=bytes k=3 canonical=0\n"
		      "shard 0 a\nshard 0 b\n");
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_ECORRUPT);
	ck_assert_ptr_null(mf);
	ck_assert_uint_eq(line, 6);
	ck_assert_str_eq(why, "bad shard line");
	file_put(out, "hogcount-sharded 3\n");
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_EVERSION);
	ck_assert_uint_eq(line, 1);
	file_put(out, "hogcount-sharded 2\npartition other-1\n");
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_EVERSION);
	ck_assert_uint_eq(line, 2);
	unlink(out);
	ck_assert_int_eq(hck_manifest_read(&mf, out, &line, &why), HC_EIO);
	ck_assert_int_eq(hck_manifest_write(out, &m, 0, 1, id), HC_EINVAL);
	hck_shard_path(shard, sizeof(shard), out, 0, 2);
	unlink(shard);
	ck_assert_int_eq(rmdir(dir), 0); /* no temporary left */
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(codec_kmers)
{
	static const char base[] = "ACGT";
	uint64_t s = 88172645463325252u;

	for (unsigned k = 1; k <= 32; k++)
		for (int canon = 0; canon <= 1; canon++)
			for (int n = 0; n < 50; n++) {
				hck_meta m = { HCK_DNA, k, canon };
				char txt[33], rc[33];
				unsigned char out[HCK_INT_TEXT_MAX];
				uint64_t key, rkey;
				size_t len;

				for (unsigned i = 0; i < k; i++) {
					txt[i] = base[rnd(&s) & 3];
					rc[k - 1 - i] =
						base[3 - (strchr(base, txt[i]) -
							  base)];
				}
				ck_assert_int_eq(
					hck_key_encode(&m, txt, k, &key),
					HC_OK);
				ck_assert_int_eq(
					hck_key_encode(&m, rc, k, &rkey),
					HC_OK);
				ck_assert_int_eq(
					hck_key_decode(&m, key, out, &len),
					HC_OK);
				ck_assert_uint_eq(len, k);
				if (!canon) {
					ck_assert(!memcmp(out, txt, k));
				} else {
					/* Both strands, one key: the smaller
					 * text (A < C < G < T). */
					ck_assert_uint_eq(key, rkey);
					ck_assert(!memcmp(out,
							  memcmp(txt, rc, k) < 0
								  ? txt
								  : rc,
							  k));
				}
			}
	{
		hck_meta m = { HCK_DNA, 3, 0 };
		uint64_t key;

		ck_assert_int_eq(hck_key_encode(&m, "ANA", 3, &key), HC_ERANGE);
		ck_assert_int_eq(hck_key_encode(&m, "acg", 3, &key), HC_OK);
		ck_assert_uint_eq(key, 6); /* 00 01 10 */
		ck_assert_int_eq(hck_key_encode(&m, "AC", 2, &key), HC_ERANGE);
	}
}
END_TEST

START_TEST(codec_bytes_and_escapes)
{
	unsigned char all[256], out[HCK_INT_TEXT_MAX];
	char esc[4 * 256];
	size_t n, len;
	uint64_t key;

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (unsigned k = 1; k <= 8; k++) {
		hck_meta m = { HCK_BYTES, k, 0 };

		for (unsigned i = 0; i + k <= 256; i += 7) {
			uint64_t want = 0;

			for (unsigned j = 0; j < k; j++)
				want = want << 8 | all[i + j];
			ck_assert_int_eq(hck_key_encode(&m, all + i, k, &key),
					 HC_OK);
			ck_assert_uint_eq(key, want);
			hck_key_decode(&m, key, out, &len);
			ck_assert(len == k && !memcmp(out, all + i, k));
		}
	}
	{
		hck_meta m = { HCK_BYTES, 9, 0 };

		ck_assert_int_eq(hck_key_encode(&m, all, 9, &key), HC_EMISUSE);
	}
	n = hck_escape(all, 256, esc);
	for (size_t i = 0; i < n; i++)
		ck_assert(esc[i] != '\t' && esc[i] != '\n' && esc[i] != 0);
	ck_assert_int_eq(hck_unescape(esc, n), 256);
	ck_assert(!memcmp(esc, all, 256));
	memcpy(esc, "a\\q", 3);
	ck_assert_int_eq(hck_unescape(esc, 3), -1);
}
END_TEST

START_TEST(codec_parse_words)
{
	hck_meta m = { HCK_WORDS, 3, 0 };
	char buf[] = "  one\\ttwo   three ";
	const char *why = NULL;
	uint64_t key = 0;
	size_t klen = 0;

	ck_assert_int_eq(hck_key_parse(&m, buf, strlen(buf), &key, &klen, &why),
			 HC_OK);
	ck_assert_uint_eq(klen, 13);
	ck_assert(!memcmp(buf, "one two three", 13));
	strcpy(buf, "one two");
	ck_assert_int_eq(hck_key_parse(&m, buf, 7, &key, &klen, &why),
			 HC_ERANGE);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(plan_kinds)
{
	static const struct {
		hck_meta m;
		uint64_t keys;
		int wide, kind;
	} c[] = {
		{ { HCK_BYTES, 2, 0 }, 1000, 0, HC_KEY_DENSE },
		{ { HCK_BYTES, 3, 0 }, 10u << 20, 0, HC_KEY_DENSE },
		{ { HCK_BYTES, 3, 0 }, 1000, 0, HC_KEY_PACKED },
		{ { HCK_BYTES, 5, 0 }, 1000, 0, HC_KEY_PACKED },
		{ { HCK_BYTES, 5, 0 }, 1000, 1, HC_KEY_U64 },
		{ { HCK_BYTES, 8, 0 }, 1000, 0, HC_KEY_U64 },
		{ { HCK_BYTES, 9, 0 }, 1000, 0, HC_KEY_BYTES },
		{ { HCK_WORDS, 1, 0 }, 1000, 0, HC_KEY_BYTES },
		{ { HCK_DNA, 8, 0 }, 1000, 0, HC_KEY_DENSE },
		/* k-mers of k = 9..31: narrow slots at any size. */
		{ { HCK_DNA, 9, 0 }, 0, 0, HC_KEY_NARROW },
		{ { HCK_DNA, 21, 1 }, 1000, 0, HC_KEY_NARROW },
		{ { HCK_DNA, 21, 1 }, 1000, 1, HC_KEY_U64 },
		{ { HCK_DNA, 31, 0 }, 1000, 0, HC_KEY_NARROW },
		{ { HCK_DNA, 31, 0 }, 0, 0, HC_KEY_NARROW },
		{ { HCK_DNA, 27, 0 }, 400000, 0, HC_KEY_NARROW },
		{ { HCK_DNA, 27, 0 }, 300000, 1, HC_KEY_U64 },
		{ { HCK_BYTES, 7, 0 }, 1000000, 0, HC_KEY_PACKED },
		{ { HCK_BYTES, 7, 0 }, 500000, 0, HC_KEY_U64 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hc_table *t = plan_create(&c[i].m, c[i].keys, c[i].wide);

		ck_assert_msg(kind_of(t) == c[i].kind, "case %zu: kind %d", i,
			      kind_of(t));
		hc_table_close(t);
	}
}
END_TEST

/* Every integer kind the plan picks exports what was added. */
START_TEST(plan_limits_and_chunks)
{
	/* --max-size N: slots that hold N keys below the grow load. */
	ck_assert(hck_plan_max_capacity(0) == 1);
	ck_assert(hck_plan_max_capacity(800) == 1001);
	ck_assert(hck_plan_max_capacity(UINT64_C(1) << 60) ==
		  (UINT64_C(1) << 60) / 4 * 5 + 1);
	/* About 16 ranges a worker, within the bounds. */
	ck_assert(hck_plan_chunk(0, 4) == HCK_CHUNK_MIN);
	ck_assert(hck_plan_chunk(UINT64_C(1) << 40, 1) == HCK_CHUNK_MAX);
	ck_assert(hck_plan_chunk(UINT64_C(256) << 20, 2) == UINT64_C(8) << 20);
	ck_assert(hck_plan_chunk(UINT64_C(256) << 20, 0) == UINT64_C(16) << 20);
}
END_TEST

static uint64_t capacity_of(const hc_table *t)
{
	hc_stats st = { .size = sizeof(st) };

	ck_assert_int_eq(hc_table_stats(t, &st), HC_OK);
	return st.capacity;
}

/* A planned k-mer table grows at 0.8 where its slots reach 4 bytes (k
 * <= 22), at 0.9 where they stay 8 (k >= 23): keys for 0.88 of its
 * first generation grow the one and not the other. */
START_TEST(plan_grow_load)
{
	static const struct {
		unsigned k;
		int grows;
	} c[] = { { 21, 1 }, { 22, 1 }, { 23, 0 }, { 31, 0 } };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hck_meta m = { HCK_DNA, c[i].k, 0 };
		hc_table *t = plan_create(&m, 0, 0);
		uint64_t cap0 = capacity_of(t);

		for (uint64_t key = 0; key < cap0 * 88 / 100; key++)
			ck_assert_int_eq(hc_add(t,
						key * 0x9e3779b97f4a7c15u >>
							(64 - 2 * c[i].k),
						1),
					 HC_OK);
		ck_assert_msg((capacity_of(t) > cap0) == c[i].grows,
			      "k = %u: %llu slots", c[i].k,
			      (unsigned long long)capacity_of(t));
		hc_table_close(t);
	}
}
END_TEST

START_TEST(export_every_kind)
{
	static const hck_meta ms[] = {
		{ HCK_BYTES, 2, 0 }, /* dense */
		{ HCK_BYTES, 5, 0 }, /* packed */
		{ HCK_BYTES, 8, 0 }, /* u64 */
	};
	for (size_t i = 0; i < 3; i++) {
		hc_table *t = plan_create(&ms[i], 5000, 0);
		uint64_t keys[600], counts[600], sum = 0, want = 0, mask;
		size_t n;

		mask = ms[i].k == 8 ? UINT64_MAX
				    : (UINT64_C(1) << (8 * ms[i].k)) - 1;
		for (uint64_t k = 0; k < 500; k++) {
			ck_assert_int_eq(hc_add(t,
						(k * 0x9e3779b97f4a7c15) & mask,
						k + 1),
					 HC_OK);
			want += k + 1;
		}
		ck_assert_int_eq(hck_export(t, keys, counts, 600, &n), HC_OK);
		ck_assert_uint_eq(n, 500);
		for (size_t j = 0; j < n; j++) {
			uint64_t c;

			ck_assert_int_eq(hc_get(t, keys[j], &c), HC_OK);
			ck_assert_uint_eq(c, counts[j]);
			sum += counts[j];
		}
		ck_assert_uint_eq(sum, want);
		ck_assert_int_eq(hck_export(t, keys, counts, 10, &n),
				 HC_ERANGE);
		ck_assert_uint_eq(n, 10);
		hc_table_close(t);
	}
}
END_TEST

#define NFILTER 6000

/* hck_table_filter on every kind: the kept keys with their counts,
 * nothing else, the record kept, a copy sized to the kept keys. */
START_TEST(filter_every_kind)
{
	static const hck_meta ms[] = {
		{ HCK_BYTES, 2, 0 }, /* dense */
		{ HCK_BYTES, 5, 0 }, /* packed */
		{ HCK_BYTES, 8, 0 }, /* u64 */
		{ HCK_WORDS, 1, 0 }, /* bytes */
		{ HCK_DNA, 21, 1 }, /* narrow k-mers */
	};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		int bytes = ms[i].tokens == HCK_WORDS;
		hc_table *t = plan_create(&ms[i], 0, 0), *f = NULL;
		hc_stats st = { .size = sizeof(st) },
			 fs = { .size = sizeof(fs) };
		uint64_t mask, want = 0;
		hck_meta fm;
		char key[32];

		mask = ms[i].tokens == HCK_DNA ? (UINT64_C(1) << 42) - 1
		       : ms[i].k == 8	       ? UINT64_MAX
				      : (UINT64_C(1) << (8 * ms[i].k)) - 1;
		/* Key j counted j % 7 + 1 times; kept: counts 3..5. */
		for (uint64_t j = 0; j < NFILTER; j++) {
			uint64_t k = (j * 0x9e3779b97f4a7c15) & mask;
			size_t len = (size_t)snprintf(key, sizeof(key), "w%llu",
						      (unsigned long long)j);

			ck_assert_int_eq(
				bytes ? hc_add_bytes(t, key, len, j % 7 + 1)
				      : hc_add(t, k, j % 7 + 1),
				HC_OK);
		}
		ck_assert_int_eq(hc_table_stats(t, &st), HC_OK);
		ck_assert_int_eq(hck_table_filter(&f, t, 3, 5), HC_OK);
		ck_assert_int_eq(hck_meta_load(f, &fm), HC_OK);
		ck_assert_int_eq(fm.tokens, ms[i].tokens);
		ck_assert_uint_eq(fm.k, ms[i].k);
		ck_assert_int_eq(fm.canonical, ms[i].canonical);
		ck_assert_int_eq(hc_table_stats(f, &fs), HC_OK);
		for (uint64_t j = 0; j < NFILTER; j++) {
			uint64_t k = (j * 0x9e3779b97f4a7c15) & mask, a, b;

			if (bytes) {
				size_t len = (size_t)snprintf(
					key, sizeof(key), "w%llu",
					(unsigned long long)j);

				ck_assert_int_eq(hc_get_bytes(t, key, len, &a),
						 HC_OK);
				ck_assert_int_eq(hc_get_bytes(f, key, len, &b),
						 HC_OK);
			} else {
				ck_assert_int_eq(hc_get(t, k, &a), HC_OK);
				ck_assert_int_eq(hc_get(f, k, &b), HC_OK);
			}
			ck_assert_uint_eq(b, a >= 3 && a <= 5 ? a : 0);
		}
		{
			uint64_t h[9];

			ck_assert_int_eq(hc_histo(t, h, 9), HC_OK);
			want = h[3] + h[4] + h[5];
		}
		ck_assert_uint_eq(fs.distinct, want);
		/* Sized to the kept keys, not to the source (a dense
		 * table's size is its key space). */
		if (kind_of(t) == HC_KEY_DENSE)
			ck_assert_uint_eq(fs.capacity, st.capacity);
		else if (kind_of(t) == HC_KEY_NARROW)
			/* A power of two: at most the source's. */
			ck_assert_uint_le(fs.capacity, st.capacity);
		else
			ck_assert_uint_lt(fs.capacity, st.capacity);
		hc_table_close(f);
		/* Nothing kept: an empty, valid table. */
		ck_assert_int_eq(hck_table_filter(&f, t, 1000, UINT64_MAX),
				 HC_OK);
		ck_assert_int_eq(hc_table_stats(f, &fs), HC_OK);
		ck_assert_uint_eq(fs.distinct, 0);
		ck_assert_int_eq(hck_meta_load(f, &fm), HC_OK);
		hc_table_close(f);
		ck_assert_int_eq(hck_table_filter(&f, t, 0, 5), HC_EINVAL);
		ck_assert_int_eq(hck_table_filter(&f, t, 6, 5), HC_EINVAL);
		ck_assert_ptr_null(f);
		hc_table_close(t);
	}
}
END_TEST

START_TEST(export_bytes)
{
	hck_meta m = { HCK_WORDS, 1, 0 };
	hc_table *t = plan_create(&m, 100, 0);
	unsigned char data[64];
	uint64_t ends[8], counts[8];
	size_t n, dl, got = 0;

	hc_add_bytes(t, "alpha", 5, 2);
	hc_add_bytes(t, "be", 2, 3);
	ck_assert_int_eq(hck_export_bytes(t, data, sizeof(data), ends, counts,
					  8, &n, &dl),
			 HC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(dl, 7);
	for (size_t i = 0; i < n; i++) {
		size_t a = i ? ends[i - 1] : 0;

		if (ends[i] - a == 5)
			got += !memcmp(data + a, "alpha", 5) && counts[i] == 2;
		else
			got += !memcmp(data + a, "be", 2) && counts[i] == 3;
	}
	ck_assert_uint_eq(got, 2);
	ck_assert_int_eq(hck_export_bytes(t, data, 4, ends, counts, 8, &n, &dl),
			 HC_ERANGE);
	hc_table_close(t);
}
END_TEST

/* Count @text with @m, fed as one mapped range cut at @cut byte
 * chunks (0: whole), or as a stream of @block-byte blocks. */
static hc_table *tokenize(const hck_meta *m, const char *text, size_t cut,
			  size_t block)
{
	hc_table *t = plan_create(m, 4096, 0);
	size_t n = strlen(text);
	hck_sink *s;
	hck_tok *tk;

	ck_assert_int_eq(hck_sink_create(&s, t, m, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, m, s), HC_OK);
	if (block) {
		hck_tok_reset(tk, HCK_FMT_UNKNOWN);
		for (size_t i = 0; i < n; i += block)
			ck_assert_int_eq(
				hck_tok_feed(tk, text + i,
					     n - i < block ? n - i : block,
					     SIZE_MAX),
				HC_OK);
		ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	} else {
		size_t step = cut ? cut : n;

		for (size_t a = 0; a < n; a += step) {
			size_t e = a + step < n ? a + step : n, st;

			/* The file's format, as input/job.c gives it. */
			hck_tok_reset(tk, hck_seq_detect(text, n));
			st = hck_tok_align(tk, text, n, a);
			if (st < e)
				ck_assert_int_eq(hck_tok_feed(tk, text + st,
							      n - st, e - st),
						 HC_OK);
			ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
		}
	}
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	return t;
}

static int same_counts(hc_table *a, hc_table *b)
{
	hc_stats sa = { .size = sizeof(sa) }, sb = { .size = sizeof(sb) };
	hc_iter *it;
	hc_entry e;
	int ok = 1;

	hc_table_stats(a, &sa);
	hc_table_stats(b, &sb);
	if (sa.distinct != sb.distinct || sa.total != sb.total)
		return 0;
	hc_iter_create(a, &it);
	while (ok && hc_iter_next(it, &e) == 1) {
		uint64_t c = 0;

		if (e.bytes)
			hc_get_bytes(b, e.bytes, e.len, &c);
		else
			hc_get(b, e.key, &c);
		ok = c == e.count;
	}
	hc_iter_destroy(it);
	return ok;
}

START_TEST(tokenizers_chunks_and_blocks)
{
	static const char text[] =
		"the cat\tsat on the mat\n and the cat ate the rat; the "
		"end of the tale of the cat and\r\nthe  mat";
	static const char fa[] = ">r1\nACGTACGTTGCA\nacgtNACGT\n>r2\n"
				 "TTTTGGGGCCCCAAAA\n";
	static const hck_meta ms[] = {
		{ HCK_BYTES, 1, 0 },  { HCK_BYTES, 3, 0 }, { HCK_BYTES, 8, 0 },
		{ HCK_BYTES, 11, 0 }, { HCK_WORDS, 1, 0 }, { HCK_WORDS, 3, 0 },
	};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		hc_table *whole = tokenize(&ms[i], text, 0, 0);
		hc_stats st = { .size = sizeof(st) };
		size_t words = 0;

		hc_table_stats(whole, &st);
		if (ms[i].tokens == HCK_BYTES) {
			ck_assert_uint_eq(st.total, strlen(text) - ms[i].k + 1);
		} else {
			for (size_t j = 0; text[j]; j++)
				words +=
					!hck_is_space((unsigned char)text[j]) &&
					(j == 0 ||
					 hck_is_space(
						 (unsigned char)text[j - 1]));
			ck_assert_uint_eq(st.total, words - ms[i].k + 1);
		}
		for (size_t cut = 1; cut < 20; cut += 3) {
			hc_table *t = tokenize(&ms[i], text, cut, 0);

			ck_assert_msg(same_counts(whole, t), "meta %zu cut %zu",
				      i, cut);
			hc_table_close(t);
		}
		for (size_t block = 1; block < 9; block += 3) {
			hc_table *t = tokenize(&ms[i], text, 0, block);

			ck_assert_msg(same_counts(whole, t),
				      "meta %zu block %zu", i, block);
			hc_table_close(t);
		}
		hc_table_close(whole);
	}
	{
		hck_meta m = { HCK_DNA, 4, 1 };
		hc_table *whole = tokenize(&m, fa, 0, 0);
		hc_stats st = { .size = sizeof(st) };

		hc_table_stats(whole, &st);
		/* r1: ACGTACGTTGCAacgt (16 bases across a line
		 * break) N ACGT; r2: 16 bases. */
		ck_assert_uint_eq(st.total, 13 + 1 + 13);
		for (size_t block = 1; block < 9; block += 2) {
			hc_table *t = tokenize(&m, fa, 0, block);

			ck_assert(same_counts(whole, t));
			hc_table_close(t);
		}
		hc_table_close(whole);
	}
}

/* Feed @text[a, e) of @n bytes through the tokenizer @tk as a chunk of
 * a file (input/job.c), or in blocks of @block bytes when @block. */
static void feed_range(hck_tok *tk, const char *text, size_t n, size_t a,
		       size_t e, size_t block)
{
	size_t st;

	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	if (block) {
		for (size_t i = a; i < e; i += block)
			ck_assert_int_eq(
				hck_tok_feed(tk, text + i,
					     e - i < block ? e - i : block,
					     SIZE_MAX),
				HC_OK);
	} else {
		st = hck_tok_align(tk, text, n, a);
		if (st < e)
			ck_assert_int_eq(
				hck_tok_feed(tk, text + st, n - st, e - st),
				HC_OK);
	}
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
}

/* Count @text by word ids with @procs processes (forked when > 1), each
 * a chunk of it (or all of it in blocks of @block), save, and open. */
static hc_table *count_by_ids(const hck_meta *m, const char *text,
			      unsigned procs, size_t block, hck_ids_info *info)
{
	char path[] = "/tmp/hck_ids_XXXXXX";
	hc_table *spill = plan_create(m, 0, 0), *t = NULL;
	size_t n = strlen(text);
	hck_ids *x;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(hck_ids_create(&x, spill, procs * 100), HC_OK);
	for (unsigned p = 0; p < procs; p++) {
		size_t a = n * p / procs, e = n * (p + 1) / procs;
		pid_t pid = procs > 1 ? fork() : 0;
		hck_tok *tk;

		ck_assert_int_ge(pid, 0);
		if (pid)
			continue;
		ck_assert_int_eq(hck_ids_tok_create(&tk, x), HC_OK);
		feed_range(tk, text, n, block ? 0 : a, block ? n : e, block);
		hck_tok_destroy(tk);
		if (procs > 1)
			_exit(0);
	}
	for (unsigned p = 0; procs > 1 && p < procs; p++) {
		int st;

		ck_assert_int_gt(wait(&st), 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	info->size = sizeof(*info);
	ck_assert_int_eq(hck_ids_info_get(x, info), HC_OK);
	ck_assert_int_eq(hck_ids_save(x, path), HC_OK);
	ck_assert_int_eq(hck_ids_save(x, path), HC_EINVAL); /* once */
	hck_ids_destroy(x);
	hc_table_close(spill);
	ck_assert_int_eq(hc_table_open(&t, path, HC_OPEN_RDONLY), HC_OK);
	unlink(path);
	return t;
}

/* Tables grow here (counts by ids need it; without the 16-byte CAS
 * hck_ids_create() gives HC_EKIND, design.md M8). */
static int tables_grow(void)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	ck_assert_int_eq(hc_table_create(&t, &o), HC_OK);
	ck_assert_int_eq(hc_table_options(t, &o), HC_OK);
	hc_table_close(t);
	return o.grow != HC_GROW_OFF;
}

/* Word n-grams by ids hold the counts of their texts: words that are
 * prefixes of others with bytes below and above ' ' after them (the two
 * orders of the save), NUL, long words, chunks and blocks, processes. */
START_TEST(ids_equal_texts)
{
	static const char text[] =
		"a a! a\001 a\037 a  ab a\377 a\200 ab! ab a\001 a a! a\377 "
		"ab a\037x a a\r\nx\001 x x\001y x x! the cat\tsat on the "
		"mat and the cat ate the rat; the end\n\nof the tale a a a a "
		"abcdefgh abcdefgh\001 abcdefghi abcdefgh! abcdefgh\377 "
		"abcdefghabcdefgh abcdefghabcdefgh\037 abcdefghabcdefghX "
		"abcdefgh abcdefghabcdefgh abcdefghi abcdefgh\001 abcdefgh "
		"abcdefghabcdefgh\037 abcdefghabcdefgh go go go go go go go "
		"go go go go go go go go go go go go go go go go go go go go "
		"go go go go go go go go go go go go go go go go go go go";

	if (!tables_grow())
		return;
	for (unsigned k = 2; k <= HCK_IDS_K_MAX; k++) {
		hck_meta m = { HCK_WORDS, k, 0 };
		hc_table *want = tokenize(&m, text, 0, 0), *got;
		hck_ids_info in;

		ck_assert(hck_ids_fits(&m));
		for (unsigned procs = 1; procs <= 3; procs++) {
			got = count_by_ids(&m, text, procs, 0, &in);
			ck_assert_msg(same_counts(want, got), "k %u procs %u",
				      k, procs);
			ck_assert_uint_eq(in.bits, k == 3 ? 20 : 64 / k);
			ck_assert_uint_eq(in.spilled, 0);
			hc_table_close(got);
		}
		/* The save's sorts in threads, and its stream read in 1 to
		 * 3 parts, however few the keys. */
		for (unsigned parts = 1; parts <= 3; parts++) {
			uint64_t split = hc__compact_split_min;

			hck__radix_split_min = 1;
			hc__compact_split_min = 1;
			hc__compact_threads = parts;
			got = count_by_ids(&m, text, 2, 0, &in);
			hck__radix_split_min = UINT64_C(1) << 20;
			hc__compact_split_min = split;
			hc__compact_threads = 0;
			ck_assert_msg(same_counts(want, got), "k %u, %u parts",
				      k, parts);
			hc_table_close(got);
		}
		/* The save's entries packed with count fields of 4 bits
		 * (counts of 15 or more kept apart: "go go ..."), 5, or
		 * not packed (keys and counts in two words). */
		for (unsigned i = 0; i < 3; i++) {
			static const unsigned cb[] = { 4, 5, 0 };

			hck__pack_count_bits = cb[i];
			got = count_by_ids(&m, text, 2, 0, &in);
			hck__pack_count_bits = 64;
			ck_assert_msg(same_counts(want, got),
				      "k %u, %u count bits", k, cb[i]);
			hc_table_close(got);
		}
		for (size_t block = 1; block < 9; block += 3) {
			got = count_by_ids(&m, text, 1, block, &in);
			ck_assert_msg(same_counts(want, got), "k %u block %zu",
				      k, block);
			hc_table_close(got);
		}
		hc_table_close(want);
	}
}
END_TEST

/* A tokenizer's map holds words of up to 8 bytes in its entries (its
 * loads overlap for 4..7): words of 1 to 10 bytes that differ from one
 * another in one byte, at each place, or in their length alone, each
 * get an id of their own. */
START_TEST(ids_short_words)
{
	static const char base[] = "abcdefghij";
	char *text = malloc(4 * 10 * 12 * 12), *o = text;

	ck_assert_ptr_nonnull(text);
	if (!tables_grow()) {
		free(text);
		return;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t len = 1; len <= 10; len++)
			for (size_t j = 0; j <= len; j++) {
				memcpy(o, base, len);
				if (j < len) /* j == len: the word itself */
					o[pass ? len - 1 - j : j] = 'X';
				o += len;
				*o++ = ' ';
			}
	*o = '\0';
	for (unsigned k = 2; k <= 3; k++) {
		hck_meta m = { HCK_WORDS, k, 0 };
		hc_table *want = tokenize(&m, text, 0, 0), *got;
		hck_ids_info in;

		got = count_by_ids(&m, text, 1, 0, &in);
		ck_assert_msg(same_counts(want, got), "k %u", k);
		hc_table_close(got);
		hc_table_close(want);
	}
	free(text);
}
END_TEST

/* More words than ids of b bits (2^16 at order 4, 2^20 at order 3):
 * n-grams of later words are kept as texts in the spill table and
 * saved with the others. */
START_TEST(ids_spill)
{
	static const struct {
		unsigned k, words, distinct;
	} c[] = { { 4, 200000, 90000 }, { 3, 1300000, 1200000 } };

	if (!tables_grow())
		return;
	for (size_t t = 0; t < sizeof(c) / sizeof(c[0]); t++) {
		hck_meta m = { HCK_WORDS, c[t].k, 0 };
		size_t cap = (size_t)c[t].words * 8, n = 0;
		char *text = malloc(cap);
		hc_table *want, *got;
		hck_ids_info in;

		ck_assert_ptr_nonnull(text);
		for (unsigned i = 0; i < c[t].words; i++)
			n += (size_t)snprintf(text + n, cap - n, "%x%c",
					      (i * 2654435761u) % c[t].distinct,
					      i % 7 ? ' ' : '\n');
		want = tokenize(&m, text, 0, 0);
		got = count_by_ids(&m, text, 2, 0, &in);
		ck_assert_uint_gt(in.ids, UINT64_C(1) << in.bits);
		ck_assert_uint_gt(in.spilled, 0);
		ck_assert_uint_gt(in.grams, 0);
		ck_assert(same_counts(want, got));
		hc_table_close(got);
		hc_table_close(want);
		free(text);
	}
}
END_TEST

/* What does not fit is refused. */
START_TEST(ids_refused)
{
	static const hck_meta no[] = {
		{ HCK_WORDS, 1, 0 },
		{ HCK_WORDS, 5, 0 },
		{ HCK_BYTES, 3, 0 },
		{ HCK_DNA, 21, 1 },
	};
	hck_meta w3 = { HCK_WORDS, 3, 0 };
	hc_table *t;
	hck_ids *x = (hck_ids *)1;

	ck_assert(!hck_ids_fits(NULL));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ck_assert(!hck_ids_fits(&no[i]));
		t = plan_create(&no[i], 0, 0);
		ck_assert_int_eq(hck_ids_create(&x, t, 0), HC_EKIND);
		ck_assert_ptr_null(x);
		hc_table_close(t);
	}
	ck_assert_int_eq(hck_ids_create(&x, NULL, 0), HC_EINVAL);
	ck_assert(hck_ids_fits(&w3));
	ck_assert_int_eq(hc_table_create(&t, NULL), HC_OK); /* no record */
	ck_assert_int_eq(hck_ids_create(&x, t, 0), HC_ECORRUPT);
	hc_table_close(t);
	/* Read-only spill tables (a table file, a compact file) are
	 * refused here, not by each worker's tokenizer later. */
	for (int compact = 0; compact <= 1; compact++) {
		char path[] = "/tmp/hck_ids_ro_XXXXXX";
		int fd = mkstemp(path);
		hc_table *ro;

		ck_assert_int_ge(fd, 0);
		close(fd);
		t = plan_create(&w3, 0, 0);
		ck_assert_int_eq(compact ? hc_table_save_compact(t, path)
					 : hc_table_save(t, path),
				 HC_OK);
		hc_table_close(t);
		ck_assert_int_eq(hc_table_open(&ro, path, HC_OPEN_RDONLY),
				 HC_OK);
		unlink(path);
		ck_assert_int_eq(hck_ids_create(&x, ro, 0), HC_ERDONLY);
		ck_assert_ptr_null(x);
		hc_table_close(ro);
	}
	if (!tables_grow()) {
		t = plan_create(&w3, 0, 0);
		ck_assert_int_eq(hck_ids_create(&x, t, 0), HC_EKIND);
		ck_assert_ptr_null(x);
		hc_table_close(t);
	}
	ck_assert_int_eq(hck_ids_tok_create(NULL, NULL), HC_EINVAL);
	ck_assert_int_eq(hck_ids_save(NULL, "x"), HC_EINVAL);
	hck_ids_destroy(NULL);
}
END_TEST

/* A sink into a function sees every key the table sink would add. */
struct fn_tally {
	uint64_t keys, bytes;
};

static int fn_count(void *arg, const uint64_t *keys, const void *const *ptrs,
		    const size_t *lens, size_t n)
{
	struct fn_tally *t = arg;

	for (size_t i = 0; i < n; i++) {
		if (keys)
			t->keys += keys[i] + 1;
		else
			t->bytes += lens[i] + (ptrs[i] != NULL);
	}
	return 0;
}

/* The keys added to @t so far (flushed). */
static uint64_t total_of(hc_table *t)
{
	hc_stats st = { .size = sizeof(st) };

	ck_assert_int_eq(hc_table_stats(t, &st), HC_OK);
	return st.total;
}

/* Parts of a file that goes on past them (hck_tok_align_part,
 * hck_tok_feed_part): where they cannot tell, they say so. */
START_TEST(tokenizers_parts)
{
	static const char fq[] = "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n"
				 "@r2\nGGGGCCCCAA\n+\nIIIIIIIIII\n";
	static const char txt[] = "abcdefghijklmnop";
	const hck_meta dna = { HCK_DNA, 5, 0 }, b4 = { HCK_BYTES, 4, 0 };
	size_t r2 = (size_t)(strstr(fq, "@r2") - fq), at, used;
	hc_table *t = plan_create(&dna, 4096, 0);
	hck_sink *s;
	hck_tok *tk;

	ck_assert_int_eq(hck_sink_create(&s, t, &dna, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, &dna, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_FASTQ);
	/* r2's record runs past the part: no answer, ask again at r2. */
	ck_assert_int_eq(hck_tok_align_part(tk, fq, r2 + 5, 2, &at), 0);
	ck_assert_uint_eq(at, r2);
	ck_assert_int_eq(hck_tok_align(tk, fq, sizeof(fq) - 1, 2), r2);
	ck_assert_int_eq(hck_tok_align_part(tk, fq, 7, 7, &at), 0);
	ck_assert_uint_eq(at, 7);
	ck_assert_int_eq(hck_tok_align_part(tk, fq, 7, 8, &at), HC_EINVAL);
	ck_assert_int_eq(hck_tok_feed_part(tk, fq, 7, 3, NULL), HC_EINVAL);
	/* The range [0, 3) holds r1; the feed stops before r2, which it
	 * cannot check, and goes on with the rest. */
	ck_assert_int_eq(hck_tok_feed_part(tk, fq, r2 + 5, 3, &used), HC_OK);
	ck_assert_uint_eq(used, r2);
	ck_assert_int_eq(hck_tok_done(tk), 0);
	ck_assert_int_eq(hck_tok_feed(tk, fq + r2, sizeof(fq) - 1 - r2, 0),
			 HC_OK);
	ck_assert_int_eq(hck_tok_done(tk), 1);
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	ck_assert_uint_eq(total_of(t), 6); /* r1's 5-mers only */
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(t);

	/* Fragments of [0, 6) end past a part of 8 bytes: it takes 6, and
	 * the next part from the limit finishes them. */
	t = plan_create(&b4, 4096, 0);
	ck_assert_int_eq(hck_sink_create(&s, t, &b4, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, &b4, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_align_part(tk, txt, 8, 3, &at), 1);
	ck_assert_uint_eq(at, 3);
	ck_assert_int_eq(hck_tok_feed_part(tk, txt, 8, 6, &used), HC_OK);
	ck_assert_uint_eq(used, 6);
	ck_assert_int_eq(hck_tok_feed_part(tk, txt + 6, 2, 0, &used), HC_OK);
	ck_assert_uint_eq(used, 0); /* too short to go on */
	ck_assert_int_eq(hck_tok_feed_part(tk, txt + 6, 8, 0, &used), HC_OK);
	ck_assert_int_eq(hck_tok_done(tk), 1);
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	ck_assert_uint_eq(total_of(t), 6); /* abcd .. fghi */
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(t);
}
END_TEST

START_TEST(sink_fn_and_partition)
{
	static const char dna[] = ">r\nACGTACGTTTGACA\n";
	static const char text[] = "one two three two three four";
	hck_meta md = { HCK_DNA, 5, 1 }, mw = { HCK_WORDS, 2, 0 };
	struct fn_tally t = { 0, 0 }, want = { 0, 0 };
	hck_sink *s;
	hck_tok *tk;
	hc_table *ref;
	hc_iter *it;
	hc_entry e;

	/* DNA: the keys the function gets are the table's, with counts. */
	ck_assert_int_eq(hck_sink_create_fn(&s, &md, fn_count, &t), HC_OK);
	ck_assert_ptr_null(hck_sink_table(s));
	ck_assert_int_eq(hck_tok_create(&tk, &md, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, dna, sizeof(dna) - 1, SIZE_MAX), 0);
	ck_assert_int_eq(hck_tok_finish(tk), 0);
	ck_assert_uint_eq(hck_sink_added(s), 10);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	ck_assert_int_eq(hc_table_create(&ref, NULL), HC_OK);
	ck_assert_int_eq(hck_sink_create(&s, ref, &md, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, &md, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, dna, sizeof(dna) - 1, SIZE_MAX), 0);
	ck_assert_int_eq(hck_tok_finish(tk), 0);
	ck_assert_int_eq(hc_iter_create(ref, &it), HC_OK);
	while (hc_iter_next(it, &e) == 1)
		want.keys += (e.key + 1) * e.count;
	hc_iter_destroy(it);
	ck_assert_uint_eq(t.keys, want.keys);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(ref);

	/* Words: byte keys, 5 bigrams of "a b" form. */
	ck_assert_int_eq(hck_sink_create_fn(&s, &mw, fn_count, &t), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, &mw, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, text, sizeof(text) - 1, SIZE_MAX), 0);
	ck_assert_int_eq(hck_tok_finish(tk), 0);
	ck_assert_uint_eq(hck_sink_added(s), 5);
	ck_assert_uint_eq(t.bytes, 7 + 9 + 9 + 9 + 10 + 5);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);

	/* The partition is pinned: manifests on disk depend on it. */
	ck_assert_uint_eq(hck_part_key(0, 1), 0);
	ck_assert_uint_eq(hck_part_key(12345, 1000), 873);
	{
		uint64_t ks[3] = { 0, 12345, UINT64_MAX };
		uint32_t ps[3];

		ck_assert_int_eq(hck_part_keys(ks, 3, 1000, ps), HC_OK);
		for (int i = 0; i < 3; i++)
			ck_assert_uint_eq(ps[i], hck_part_key(ks[i], 1000));
		ck_assert_int_eq(hck_part_keys(ks, 3, 0, ps), HC_EINVAL);
	}
	ck_assert_uint_eq(hck_part_bytes("the", 3, 7), 4);
	ck_assert_uint_eq(hck_part_bytes("", 0, 1), 0);
	for (uint64_t k = 0; k < 1000; k++)
		ck_assert_uint_lt(hck_part_key(k, 3), 3);
}
END_TEST
END_TEST

/* Found by fuzz_records: a line with leading blanks was lost when a
 * chunk boundary fell inside the blanks (the framer took the record
 * start after them, hck_tok_align() at the line start). */
START_TEST(tokenizers_leading_blanks)
{
	static const char *const texts[] = {
		"ACGTACGGT\nTTGACAN\r\n\n  GATTACA\n\tCCGGA\n",
		"\n\n >r1\nACGTACGT\n>r2\nGGGGCCCCA\n",
		"@r1\nACGTTGCA\n+\nIIIIIIII\n\n  \n@r2\nGATTACA\n+\n@IIIIII\n",
		/* Multi-line FASTQ, quality lines starting with '@': found
		 * by a count with 2 workers, which kept the first chunk's
		 * records only (hck_tok_align() wanted '+' two lines down). */
		"@r1\nACGTAC\nGTTGCA\n+\n@IIIII\n@IIIII\n@r2\nGATT\r\nACAG\r\n"
		"+\r\n@@II\r\nIIII\r\n@r3\nTTTTG\nGGGCC\nCCAAAA\n+\n@IIII\n"
		"IIIII\n+IIIII\n@r4\n\n+\n\n@r5\nACGTT\n+\nIIIII\n",
		/* Found by fuzz_records: a last quality line starting with
		 * '@' was taken for a record cut by the end of the file. */
		("@r0 x\nCGCAAA.C\n\nCGCAAAAAAAAAAAAACAaAACAA\n+\n@GNU\\'.5\n\n"
		 "BIPWACGTTTGG%,3:AHOV!(XY\n"),
		/* A truncated last record: read once, by the chunk before. */
		"@r1\nACGTAC\n+\nIIIIII\n@r2\nGATTACAGATTACA\n",
	};
	hck_meta m = { HCK_DNA, 4, 0 };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		hc_table *whole = tokenize(&m, texts[i], 0, 0);
		hc_stats st = { .size = sizeof(st) };

		hc_table_stats(whole, &st);
		ck_assert_uint_gt(st.total, 0);
		for (size_t cut = 1; cut < strlen(texts[i]); cut++) {
			hc_table *t = tokenize(&m, texts[i], cut, 0);

			ck_assert_msg(same_counts(whole, t), "text %zu cut %zu",
				      i, cut);
			hc_table_close(t);
		}
		hc_table_close(whole);
	}
}
END_TEST

/* Bytes of sequence lines that no sequence holds are counted, so that
 * `count` can say a file is not FASTA; headers and qualities are not. */
START_TEST(tokenizers_skipped_bytes)
{
	static const char fa[] = ">r1 \x01\x02 name\nAC\x01GT@@NNRY-.*\r\n"
				 ">r2\nGA TTACA\t\n";
	static const char fq[] = "@r1\nACGT\x7f\n+\n\x01\x02\x03\x04\x05\n";
	hck_meta m = { HCK_DNA, 3, 0 };
	hc_table *t = plan_create(&m, 4096, 0);
	hck_sink *s;
	hck_tok *tk;

	ck_assert_int_eq(hck_sink_create(&s, t, &m, 0), HC_OK);
	ck_assert_int_eq(hck_tok_create(&tk, &m, s), HC_OK);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, fa, strlen(fa), SIZE_MAX), HC_OK);
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	ck_assert_uint_eq(hck_tok_skipped_bytes(tk), 3);
	hck_tok_reset(tk, HCK_FMT_UNKNOWN);
	ck_assert_int_eq(hck_tok_feed(tk, fq, strlen(fq), SIZE_MAX), HC_OK);
	ck_assert_int_eq(hck_tok_finish(tk), HC_OK);
	ck_assert_uint_eq(hck_tok_skipped_bytes(tk), 4);
	ck_assert_uint_eq(hck_tok_skipped(tk), 0);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(t);
}
END_TEST

static Suite *hck_keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");

	/* Sanitizer builds on a loaded machine: the filter case walks
	 * five tables twice (CK_DEFAULT_TIMEOUT is 4 s). */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, record_roundtrip);
	tcase_add_test(tc, record_refused);
	tcase_add_test(tc, record_text);
	tcase_add_test(tc, manifest_roundtrip);
	tcase_add_test(tc, codec_kmers);
	tcase_add_test(tc, codec_bytes_and_escapes);
	tcase_add_test(tc, codec_parse_words);
	tcase_add_test(tc, plan_kinds);
	tcase_add_test(tc, plan_limits_and_chunks);
	tcase_add_test(tc, plan_grow_load);
	tcase_add_test(tc, export_every_kind);
	tcase_add_test(tc, export_bytes);
	tcase_add_test(tc, filter_every_kind);
	tcase_add_test(tc, tokenizers_chunks_and_blocks);
	tcase_add_test(tc, tokenizers_parts);
	tcase_add_test(tc, sink_fn_and_partition);
	tcase_add_test(tc, tokenizers_leading_blanks);
	tcase_add_test(tc, tokenizers_skipped_bytes);
	tcase_add_test(tc, ids_equal_texts);
	tcase_add_test(tc, ids_short_words);
	tcase_add_test(tc, ids_spill);
	tcase_add_test(tc, ids_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hck_keys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
