/* SPDX-License-Identifier: MIT */
/*
 * check_seal.c - seal.c: the body checksums of table files.  A clean
 * file verifies and every count read from it is the one written; a byte
 * changed in any region is named by hc_table_verify(); a table being
 * written is live, not damaged; one whose writer was killed before
 * closing is dead, and hc_table_reseal() seals it again; a file of
 * format 2.0 (no seal) opens and says so.  Regions are found through
 * the header (hc_internal.h) and patched by offset.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

#define NKEYS 20000u

enum shape { U64_GROW, U64_FIXED, BYTES_GROW, PACKED_GROW, DENSE, NSHAPES };

static const char *shape_name[] = { "u64 growing", "u64 fixed", "bytes growing",
				    "packed growing", "dense" };

static void options_for(int shape, hc_options *o)
{
	hc_options_init(o);
	switch (shape) {
	case U64_FIXED:
		o->capacity = 4 * NKEYS;
		break;
	case BYTES_GROW:
		o->key_kind = HC_KEY_BYTES;
		/* Small: the key area gets chunks (where byte-key tables
		 * grow at all, design.md M8). */
		o->arena_bytes = HC_HAVE_PAIR_CAS ? 4096 : 0;
		break;
	case PACKED_GROW:
		o->key_kind = HC_KEY_PACKED;
		o->key_bits = 40;
		break;
	case DENSE:
		o->key_kind = HC_KEY_DENSE;
		o->dense_bits = 16;
		break;
	default:
		break;
	}
}

/* The count written for key @i: large ones for a few keys, so packed
 * counts go to the overflow area. */
static uint64_t count_of(unsigned i)
{
	return i % 1000 == 7 ? (UINT64_C(1) << 40) + i : (uint64_t)i % 13 + 1;
}

static uint64_t key_of(int shape, unsigned i)
{
	if (shape == DENSE)
		return i % 65536;
	if (shape == PACKED_GROW) /* odd multiplier: distinct below 2^40 */
		return (i * UINT64_C(0x9e3779b97f4a7c15)) &
		       ((UINT64_C(1) << 40) - 1);
	return hc_test_scramble(i);
}

static unsigned nkeys(int shape)
{
	return shape == DENSE ? 65536 : NKEYS;
}

static void fill(hc_table *t, int shape)
{
	for (unsigned i = 0; i < nkeys(shape); i++) {
		if (shape == BYTES_GROW) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(i, b);

			ck_assert_ok(hc_add_bytes(t, b, len, count_of(i)));
		} else {
			ck_assert_ok(hc_add(t, key_of(shape, i), count_of(i)));
		}
	}
}

/* Every count read back is the one written. */
static void assert_counts(const hc_table *t, int shape)
{
	for (unsigned i = 0; i < nkeys(shape); i++) {
		uint64_t c = 0;

		if (shape == BYTES_GROW) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(i, b);

			ck_assert_ok(hc_get_bytes(t, b, len, &c));
		} else {
			ck_assert_ok(hc_get(t, key_of(shape, i), &c));
		}
		hc_require(c == count_of(i), "%s: key %u: %ju, wrote %ju",
			   shape_name[shape], i, (uintmax_t)c,
			   (uintmax_t)count_of(i));
	}
}

static hc_verdict verify_file(const char *path, int want_rc)
{
	hc_verdict v = { .size = sizeof(v) };
	hc_table *t;

	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	ck_assert_hc(hc_table_verify(t, &v), want_rc);
	ck_assert_ok(hc_table_close(t));
	return v;
}

/* A file table of @shape, filled and closed: sealed.  Its copy by
 * hc_table_save() into @saved (if not NULL). */
static void make_file(int shape, char *path, size_t cap, char *saved)
{
	hc_options o;
	hc_table *t;

	options_for(shape, &o);
	hc_test_path(path, cap, "seal");
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	fill(t, shape);
	if (saved) {
		hc_test_path(saved, cap, "saved");
		ck_assert_ok(hc_table_save(t, saved));
	}
	ck_assert_ok(hc_table_close(t));
}

static void flip(const char *path, uint64_t off)
{
	unsigned char b;
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x10;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* ---- clean files ---------------------------------------------------- */

START_TEST(clean_file_verifies)
{
	char path[256], saved[256];
	hc_verdict v;
	hc_table *t;

	make_file(_i, path, sizeof(path), saved);
	/* Closed by its last writer, and its saved copy: both sealed. */
	for (int k = 0; k < 2; k++) {
		const char *p = k ? saved : path;

		v = verify_file(p, HC_OK);
		ck_assert_int_eq(v.state, HC_SEAL_OK);
		ck_assert_int_eq(v.region, HC_REGION_NONE);
		hc_assert_eq(v.damaged, 0);
		hc_assert_gt(v.bytes, HC_HEADER_SIZE);
		ck_assert_ok(hc_table_open(&t, p, HC_OPEN_RDONLY));
		assert_counts(t, _i);
		ck_assert_ok(hc_table_close(t));
	}
}
END_TEST

START_TEST(null_verdict_and_bad_size)
{
	char path[256];
	hc_verdict v = { .size = 8 };
	hc_table *t;

	make_file(U64_FIXED, path, sizeof(path), NULL);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_verify(t, NULL));
	ck_assert_hc(hc_table_verify(t, &v), HC_EINVAL);
	ck_assert_hc(hc_table_verify(NULL, NULL), HC_EINVAL);
	ck_assert_ok(hc_table_close(t));
	ck_assert_str_eq(hc_region_name(HC_REGION_SLOTS), "slots");
	ck_assert_str_eq(hc_region_name(HC_REGION_KEYS), "key area");
	ck_assert_str_eq(hc_region_name(99), "unknown");
}
END_TEST

/* ---- damage, region by region --------------------------------------- */

/* Flip one byte at @off of a copy of @path; verify must name @region
 * (and @index), and every read stays in bounds. */
static void expect_damage(const char *path, uint64_t off, int region,
			  unsigned index, const char *what)
{
	char copy[256];
	hc_verdict v;

	hc_test_path(copy, sizeof(copy), "damaged");
	hc_test_copy_file(path, copy);
	flip(copy, off);
	v = verify_file(copy, HC_ECORRUPT);
	hc_require(v.state == HC_SEAL_DAMAGED && v.region == region &&
			   v.index == index,
		   "%s at %ju: state %d region %d index %u, want region %d "
		   "index %u",
		   what, (uintmax_t)off, v.state, v.region, v.index, region,
		   index);
	hc_assert_eq(v.damaged, 1);
}

START_TEST(damage_names_region)
{
	char path[256], saved[256];
	struct hc__header h;

	make_file(_i, path, sizeof(path), saved);
	for (int k = 0; k < 2; k++) {
		const char *p = k ? saved : path;
		uint64_t cur, soff, sbytes;

		hc_test_read_header(p, &h);
		cur = h.cur;
		/* The tables here only double: rung 4 cur, capacity <<
		 * cur, and the word's low bits 0. */
		soff = h.gens[cur].slots_off;
		hc_assert_eq(soff % 4096, 0);
		sbytes = (h.capacity << cur) * h.slot_size;
		/* The header: immutable, live and metadata bytes, the seal
		 * word, the header sum, a region's stored sum. */
		expect_damage(p, 1090, HC_REGION_HEADER, 0, "obj_end");
		expect_damage(p, 320, HC_REGION_HEADER, 0, "zero_count");
		expect_damage(p, 392, HC_REGION_HEADER, 0, "user");
		expect_damage(p, 664, HC_REGION_HEADER, 0, "seal low");
		expect_damage(p, 671, HC_REGION_HEADER, 0, "seal tag");
		expect_damage(p, 672, HC_REGION_HEADER, 0, "header_sum");
		expect_damage(p, 1280 + 64 * cur + 40, HC_REGION_HEADER, 0,
			      "slots_sum");
		/* The slots: first byte, middle, last byte. */
		expect_damage(p, soff, HC_REGION_SLOTS, (unsigned)cur, "slots");
		expect_damage(p, soff + sbytes / 2 + 3, HC_REGION_SLOTS,
			      (unsigned)cur, "slots");
		expect_damage(p, soff + sbytes - 1, HC_REGION_SLOTS,
			      (unsigned)cur, "slots");
		if (_i == PACKED_GROW) {
			expect_damage(p, h.arena_offset + 5, HC_REGION_OVERFLOW,
				      0, "overflow");
			expect_damage(p, h.arena_offset + h.arena_bytes - 1,
				      HC_REGION_OVERFLOW, 0, "overflow");
		}
		if (_i == BYTES_GROW) {
			/* Chunk 0, and (closed, not saved) a later chunk. */
			expect_damage(p, h.arena_offset + 8, HC_REGION_KEYS, 0,
				      "key area");
			expect_damage(p, h.arena_offset + 12, HC_REGION_KEYS, 0,
				      "key area");
			if (!k && HC_HAVE_PAIR_CAS) {
				hc_assert_gt(h.arena_used, 3 * h.arena_bytes);
				expect_damage(p, h.gens[1].arena_off + 20,
					      HC_REGION_KEYS, 1, "chunk 1");
			} else {
				expect_damage(p,
					      h.arena_offset + h.arena_used - 1,
					      HC_REGION_KEYS, 0, "key area");
			}
		}
		if (!k && (_i == PACKED_GROW ||
			   (HC_HAVE_PAIR_CAS &&
			    (_i == U64_GROW || _i == BYTES_GROW))))
			hc_assert_gt(cur, 0); /* a later generation was hit */
	}
}
END_TEST

START_TEST(readers_of_damaged_file)
{
	char path[256], copy[256];
	struct hc__header h;
	hc_table *t;

	/* Damage is found before anything is read: open still works
	 * (salvage), and the counts of the other slots are there. */
	make_file(U64_FIXED, path, sizeof(path), NULL);
	hc_test_read_header(path, &h);
	hc_test_path(copy, sizeof(copy), "salvage");
	hc_test_copy_file(path, copy);
	flip(copy, h.slots_offset + h.slots_bytes - 16);
	ck_assert_ok(hc_table_open(&t, copy, HC_OPEN_RDONLY));
	ck_assert_hc(hc_table_verify(t, NULL), HC_ECORRUPT);
	ck_assert_ok(hc_table_close(t));
	/* Opened read-write and closed again, the file is sealed anew
	 * over what it holds now: the damage is no longer seen. */
	ck_assert_ok(hc_table_open(&t, copy, HC_OPEN_RDWR));
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(verify_file(copy, HC_OK).state, HC_SEAL_OK);
}
END_TEST

/* ---- live tables ------------------------------------------------------ */

START_TEST(open_rdwr_is_live)
{
	char path[256];
	hc_table *t, *u, *r;
	hc_verdict v = { .size = sizeof(v) };

	make_file(U64_FIXED, path, sizeof(path), NULL);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_verify(r, &v));
	ck_assert_int_eq(v.state, HC_SEAL_LIVE);
	/* A second writer: the first close does not seal. */
	ck_assert_ok(hc_table_open(&u, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_add(u, 12345, 1));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_verify(r, &v));
	ck_assert_int_eq(v.state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_verify(r, &v));
	ck_assert_int_eq(v.state, HC_SEAL_OK);
	ck_assert_ok(hc_table_close(r));
}
END_TEST

static int killed_writer(int id, void *arg)
{
	hc_table *t;

	(void)id;
	if (hc_table_open(&t, arg, HC_OPEN_RDWR))
		return 1;
	for (unsigned i = 0; i < 1000; i++)
		if (hc_add(t, i, 1))
			return 2;
	raise(SIGKILL); /* before hc_table_close() */
	return 3;
}

START_TEST(killed_writer_is_dead)
{
	char path[256], saved[256];
	hc_table *t;
	int st;
	pid_t pid;
	hc_verdict v = { .size = sizeof(v) };
	uint64_t c;

	make_file(U64_GROW, path, sizeof(path), NULL);
	pid = hc_test_spawn(killed_writer, 0, path);
	hc_require(hc_test_wait(pid, 30, &st), "writer hung");
	hc_require(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "writer status %d", st);
	/* Not sealed and nobody holds it: its last writer died (L2). */
	v = verify_file(path, HC_OK);
	ck_assert_int_eq(v.state, HC_SEAL_DEAD);
	/* Still dead after a clean open and close: the dead writer is
	 * counted (design.md V3); a saved copy is sealed. */
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_DEAD);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	hc_test_path(saved, sizeof(saved), "resaved");
	ck_assert_ok(hc_table_save(t, saved));
	ck_assert_int_eq(verify_file(saved, HC_OK).state, HC_SEAL_OK);
	ck_assert_ok(hc_table_close(t));
	/* Resealed in place: sealed, every count as the writers left it. */
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ck_assert_ok(hc_table_reseal(path, &v));
	ck_assert_int_eq(v.state, HC_SEAL_OK);
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_OK);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	for (unsigned i = 0; i < 1000; i++) {
		ck_assert_ok(hc_get(t, i, &c));
		hc_require(c >= 1, "key %u lost its count", i);
	}
	ck_assert_ok(hc_table_close(t));
	/* A sealed file is left as it is. */
	ck_assert_ok(hc_table_reseal(path, &v));
	ck_assert_int_eq(v.state, HC_SEAL_OK);
}
END_TEST

/* The seal word rewritten to LIVE (two bytes): not a live table, since
 * nobody writes it; never OK, never resealed over damage it hides
 * elsewhere than in a count. */
START_TEST(forged_live_seal_is_dead)
{
	char path[256];
	hc_verdict v = { .size = sizeof(v) };
	unsigned char tag[2] = { HC_SEAL_TAG_LIVE & 0xff,
				 HC_SEAL_TAG_LIVE >> 8 };
	int fd;

	make_file(_i, path, sizeof(path), NULL);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, tag, 2, 664 + 6), 2);
	close(fd);
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_DEAD);
	/* The structure holds: resealed, and every count reads back. */
	ck_assert_ok(hc_table_reseal(path, &v));
	ck_assert_int_eq(v.state, HC_SEAL_OK);
	{
		hc_table *t;

		ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
		assert_counts(t, _i);
		ck_assert_ok(hc_table_close(t));
	}
}
END_TEST

/* A damaged sealed file is refused by hc_table_reseal, left as it was. */
START_TEST(reseal_refuses_damage)
{
	char path[256];
	hc_verdict v = { .size = sizeof(v) };
	hc_table *t;
	uint64_t off;

	make_file(U64_FIXED, path, sizeof(path), NULL);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	off = t->hdr->slots_offset + 100;
	ck_assert_ok(hc_table_close(t));
	flip(path, off);
	ck_assert_hc(hc_table_reseal(path, &v), HC_ECORRUPT);
	ck_assert_int_eq(v.state, HC_SEAL_DAMAGED);
	ck_assert_int_eq(verify_file(path, HC_ECORRUPT).state, HC_SEAL_DAMAGED);
}
END_TEST

static int child_closes(int id, void *arg)
{
	hc_table *t = arg;

	for (unsigned i = 0; i < 1000; i++)
		if (hc_add(t, (uint64_t)id * 1000 + i, 1))
			return 1;
	return hc_table_close(t) ? 2 : 0; /* its inherited copy */
}

START_TEST(forked_children_do_not_seal)
{
	char path[256];
	hc_options o;
	hc_table *t;
	pid_t pid[4];
	int st;

	hc_options_init(&o);
	hc_test_path(path, sizeof(path), "fork");
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	for (int i = 0; i < 4; i++)
		pid[i] = hc_test_spawn(child_closes, i, t);
	for (int i = 0; i < 4; i++) {
		hc_require(hc_test_wait(pid[i], 30, &st), "child hung");
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "child status %d", st);
	}
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_OK);
}
END_TEST

START_TEST(memory_homes_are_live)
{
	char name[64];
	hc_table *t, *a;
	hc_verdict v = { .size = sizeof(v) };

	ck_assert_ok(hc_table_create(&t, NULL));
	ck_assert_ok(hc_table_verify(t, &v));
	ck_assert_int_eq(v.state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(t));
	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_ok(hc_table_attach(&a, name, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_verify(a, &v));
	ck_assert_int_eq(v.state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

/* ---- files of format 2.0 -------------------------------------------- */

START_TEST(format_2_0_has_no_checksum)
{
	char path[256];
	struct hc__header h;
	hc_table *t;

	make_file(BYTES_GROW, path, sizeof(path), NULL);
	/* As a build before the seal wrote it: zeros where the seal, the
	 * header sum and the region sums are. */
	hc_test_read_header(path, &h);
	h.seal = 0;
	h.header_sum = 0;
	for (unsigned g = 0; g < HC_GEN_MAX; g++)
		h.gens[g].slots_sum = h.gens[g].keys_sum = 0;
	hc_test_write_header(path, &h, 0);
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_NONE);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	assert_counts(t, BYTES_GROW);
	ck_assert_ok(hc_table_close(t));
	/* Opened read-write by this build and closed, it is sealed. */
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(verify_file(path, HC_OK).state, HC_SEAL_OK);
	/* A sealed file whose seal word was wiped is not taken for one of
	 * format 2.0: its header sum is still there. */
	hc_test_read_header(path, &h);
	h.seal = 0;
	hc_test_write_header(path, &h, 0);
	ck_assert_int_eq(verify_file(path, HC_ECORRUPT).region,
			 HC_REGION_HEADER);
}
END_TEST

Suite *hc_seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, clean_file_verifies, 0, NSHAPES);
	tcase_add_test(tc, null_verdict_and_bad_size);
	tcase_add_loop_test(tc, damage_names_region, 0, NSHAPES);
	tcase_add_test(tc, readers_of_damaged_file);
	tcase_add_test(tc, open_rdwr_is_live);
	tcase_add_test(tc, killed_writer_is_dead);
	tcase_add_loop_test(tc, forged_live_seal_is_dead, 0, NSHAPES);
	tcase_add_test(tc, reseal_refuses_damage);
	tcase_add_test(tc, forked_children_do_not_seal);
	tcase_add_test(tc, memory_homes_are_live);
	tcase_add_test(tc, format_2_0_has_no_checksum);
	suite_add_tcase(s, tc);
	return s;
}
