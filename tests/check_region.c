/* SPDX-License-Identifier: MIT */
/*
 * check_region.c - region.c: the three homes of a table.  Anonymous
 * (inherited across fork), named POSIX shared memory (attached by name
 * from a forked child that does not use the inherited handle, unlinked
 * by the creator, nothing left in /dev/shm), and files (create, reopen
 * read-only and read-write, save atomically, sync).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

static const int kinds[] = { HC_KEY_U64, HC_KEY_BYTES, HC_KEY_DENSE };

static void small_opts(hc_options *o, int kind)
{
	hc_options_init(o);
	o->key_kind = kind;
	o->capacity = 512;
	o->dense_bits = 10;
}

/* Key i of a small known set, for any kind; counts are i + 1. */
static void add_known(hc_table *t, int kind, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		if (kind == HC_KEY_BYTES) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey((uint64_t)i, b);

			ck_assert_ok(hc_add_bytes(t, b, len, (uint64_t)i + 1));
		} else {
			ck_assert_ok(
				hc_add(t, (uint64_t)i * 3, (uint64_t)i + 1));
		}
	}
}

/* 0 if keys from..to-1 hold @mult * (i + 1) each, else 1 + index. */
static int known_ok(const hc_table *t, int kind, int from, int to,
		    uint64_t mult)
{
	int i;

	for (i = from; i < to; i++) {
		uint64_t c = ~UINT64_C(0);
		int rc;

		if (kind == HC_KEY_BYTES) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey((uint64_t)i, b);

			rc = hc_get_bytes(t, b, len, &c);
		} else {
			rc = hc_get(t, (uint64_t)i * 3, &c);
		}
		if (rc != HC_OK || c != mult * ((uint64_t)i + 1))
			return 1 + i;
	}
	return 0;
}

static void assert_known(const hc_table *t, int kind, int from, int to,
			 uint64_t mult)
{
	int bad = known_ok(t, kind, from, to, mult);

	hc_require(bad == 0, "key %d has a wrong count", bad - 1);
}

static int wait_ok(pid_t pid, const char *what)
{
	int st = 0;

	hc_require(hc_test_wait(pid, 20, &st), "%s: child hung", what);
	hc_require(WIFEXITED(st), "%s: child died by signal %d", what,
		   WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

/* ---- anonymous ---------------------------------------------------- */

START_TEST(anon_create_close)
{
	hc_options o;
	hc_table *t;

	small_opts(&o, kinds[_i]);
	ck_assert_ok(hc_table_create(&t, &o));
	add_known(t, kinds[_i], 0, 100);
	assert_known(t, kinds[_i], 0, 100, 1);
	ck_assert_ok(hc_table_sync(t));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_close(NULL));
}
END_TEST

struct child_arg {
	hc_table *t;
	int kind;
	char name[256];
	int flags;
};

static int anon_child(int id, void *p)
{
	struct child_arg *a = p;
	int i;

	(void)id;
	if (hc_table_prefault(a->t) != HC_OK)
		return 4;
	if (known_ok(a->t, a->kind, 0, 50, 1))
		return 2;
	for (i = 0; i < 50; i++) {
		if (a->kind == HC_KEY_BYTES) {
			unsigned char b[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey((uint64_t)i, b);

			if (hc_add_bytes(a->t, b, len, (uint64_t)i + 1))
				return 3;
		} else if (hc_add(a->t, (uint64_t)i * 3, (uint64_t)i + 1)) {
			return 3;
		}
	}
	return 0;
}

START_TEST(anon_inherited_across_fork)
{
	struct child_arg a = { 0 };
	hc_options o;
	pid_t pid;

	a.kind = kinds[_i];
	small_opts(&o, a.kind);
	ck_assert_ok(hc_table_create(&a.t, &o));
	add_known(a.t, a.kind, 0, 50);
	pid = hc_test_spawn(anon_child, 0, &a);
	ck_assert_int_eq(wait_ok(pid, "anon child"), 0);
	assert_known(a.t, a.kind, 0, 50, 2);
	ck_assert_ok(hc_table_close(a.t));
}
END_TEST

/* Pages of [p, p + len) resident in memory, by mincore(). */
static size_t resident_pages(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0, i;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(page - 1);
	size_t np = ((uintptr_t)p + len - a + page - 1) / page;
	unsigned char *v = malloc(np);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(mincore((void *)a, np * page, v), 0);
	for (i = 0; i < np; i++)
		n += v[i] & 1;
	free(v);
	return n;
}

/* Prefault allocates every page of the slots (not the key area) and
 * changes nothing; on a read-only handle too. */
START_TEST(prefault_populates_slots)
{
	int kind = kinds[_i];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), sbytes, np;
	char path[256];
	hc_options o;
	hc_view v = { .size = sizeof(v) };
	hc_table *t, *r;

	ck_assert_int_eq(hc_table_prefault(NULL), HC_EINVAL);
	small_opts(&o, kind);
	o.capacity = 1 << 16; /* 1 MiB of slots */
	o.dense_bits = 17;
	o.arena_bytes = 8 << 20;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_table_view(t, &v));
	sbytes = v.capacity * v.slot_size;
	np = (sbytes + page - 1) / page;
	add_known(t, kind, 0, 10);
	hc_assert_le(resident_pages(v.slots, sbytes), np / 2);
	ck_assert_ok(hc_table_prefault(t));
	hc_assert_eq(resident_pages(v.slots, sbytes), np);
	if (kind == HC_KEY_BYTES)
		hc_assert_le(resident_pages(v.arena, v.arena_bytes), 4);
	assert_known(t, kind, 0, 10, 1);
	ck_assert_ok(hc_table_prefault(t)); /* twice is harmless */

	hc_test_path(path, sizeof(path), "prefault.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_prefault(r));
	assert_known(r, kind, 0, 10, 1);
	hc_test_assert_same(t, r);
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
}
END_TEST

/* ---- named shared memory ------------------------------------------- */

/* Attaches by name; never touches the handle inherited from the parent. */
static int shm_child(int id, void *p)
{
	struct child_arg *a = p;
	hc_table *t = NULL;
	hc_options o;
	int rc, i;

	(void)id;
	rc = hc_table_attach(&t, a->name, a->flags);
	if (rc != HC_OK)
		return 10;
	hc_options_init(&o);
	if (hc_table_options(t, &o) || o.key_kind != a->kind)
		return 11;
	if (known_ok(t, a->kind, 0, 50, 1))
		return 12;
	for (i = 0; i < 50; i++) {
		unsigned char b[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey((uint64_t)i, b);

		if (a->kind == HC_KEY_BYTES)
			rc = hc_add_bytes(t, b, len, (uint64_t)i + 1);
		else
			rc = hc_add(t, (uint64_t)i * 3, (uint64_t)i + 1);
		if (a->flags == HC_OPEN_RDONLY && rc != HC_ERDONLY)
			return 13;
		if (a->flags == HC_OPEN_RDWR && rc != HC_OK)
			return 14;
	}
	if (a->flags == HC_OPEN_RDONLY) {
		uint64_t k = 1;

		if (hc_add_batch(t, &k, NULL, 1, NULL) != HC_ERDONLY &&
		    a->kind != HC_KEY_BYTES)
			return 15;
		if (hc_table_set_user(t, "x", 1) != HC_ERDONLY)
			return 16;
	}
	if (hc_table_close(t))
		return 17;
	return 0;
}

START_TEST(shm_attach_from_child)
{
	struct child_arg a = { 0 };
	hc_table *t, *t2;
	hc_options o;
	pid_t pid;
	int rc;

	a.kind = kinds[_i];
	hc_test_shm_name(a.name, sizeof(a.name));
	small_opts(&o, a.kind);
	ck_assert_ok(hc_table_create_shm(&t, a.name, &o));
	add_known(t, a.kind, 0, 50);

	a.flags = HC_OPEN_RDONLY;
	pid = hc_test_spawn(shm_child, 0, &a);
	rc = wait_ok(pid, "RDONLY child");
	hc_require(rc == 0, "RDONLY child failed at step %d", rc);
	assert_known(t, a.kind, 0, 50, 1);

	a.flags = HC_OPEN_RDWR;
	pid = hc_test_spawn(shm_child, 0, &a);
	rc = wait_ok(pid, "RDWR child");
	hc_require(rc == 0, "RDWR child failed at step %d", rc);
	assert_known(t, a.kind, 0, 50, 2);

	/* A second handle in this process sees the same counts. */
	ck_assert_ok(hc_table_attach(&t2, a.name, HC_OPEN_RDONLY));
	assert_known(t2, a.kind, 0, 50, 2);
	ck_assert_ok(hc_table_close(t2));

	/* Unlink: the name is gone, the mapping stays usable. */
	ck_assert_ok(hc_shm_unlink(a.name));
	ck_assert_hc(hc_table_attach(&t2, a.name, HC_OPEN_RDONLY), HC_ENOENT);
	ck_assert_hc(hc_shm_unlink(a.name), HC_ENOENT);
	add_known(t, a.kind, 0, 50);
	assert_known(t, a.kind, 0, 50, 3);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(shm_close_does_not_unlink)
{
	char name[64];
	hc_table *t;

	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_ok(hc_add(t, 0, 5));
	ck_assert_ok(hc_add(t, UINT64_MAX, 6));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_attach(&t, name, HC_OPEN_RDWR));
	{
		uint64_t c;

		ck_assert_ok(hc_get(t, 0, &c));
		hc_assert_eq(c, 5);
		ck_assert_ok(hc_get(t, UINT64_MAX, &c));
		hc_assert_eq(c, 6);
	}
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

START_TEST(shm_create_twice)
{
	char name[64];
	hc_table *t, *t2 = NULL;
	uint64_t c;

	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_ok(hc_add(t, 42, 7));
	ck_assert_hc(hc_table_create_shm(&t2, name, NULL), HC_EEXIST);
	/* The existing table is untouched. */
	ck_assert_ok(hc_get(t, 42, &c));
	hc_assert_eq(c, 7);
	ck_assert_ok(hc_table_attach(&t2, name, HC_OPEN_RDONLY));
	ck_assert_ok(hc_get(t2, 42, &c));
	hc_assert_eq(c, 7);
	ck_assert_ok(hc_table_close(t2));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

struct race {
	char name[64];
	volatile int *go;
};

static int race_create(int id, void *p)
{
	struct race *r = p;
	hc_table *t;
	int rc;

	(void)id;
	while (!__atomic_load_n(r->go, __ATOMIC_ACQUIRE))
		;
	rc = hc_table_create_shm(&t, r->name, NULL);
	if (rc == HC_OK) {
		if (hc_add(t, 1, 1) || hc_table_close(t))
			return 3;
		return 0;
	}
	return rc == HC_EEXIST ? 1 : 2;
}

/* "Creation is exclusive: one wins"; the others say EEXIST. */
START_TEST(shm_create_race)
{
	struct race r;
	pid_t pids[6];
	int i, won = 0, lost = 0;
	hc_table *t;
	uint64_t c;

	hc_test_shm_name(r.name, sizeof(r.name));
	r.go = hc_test_shared(sizeof(int));
	for (i = 0; i < 6; i++)
		pids[i] = hc_test_spawn(race_create, i, &r);
	__atomic_store_n(r.go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 6; i++) {
		int rc = wait_ok(pids[i], "racer");

		hc_require(rc == 0 || rc == 1, "racer %d: status %d", i, rc);
		won += rc == 0;
		lost += rc == 1;
	}
	ck_assert_int_eq(won, 1);
	ck_assert_int_eq(lost, 5);
	ck_assert_ok(hc_table_attach(&t, r.name, HC_OPEN_RDONLY));
	ck_assert_ok(hc_get(t, 1, &c));
	hc_assert_eq(c, 1);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(r.name));
}
END_TEST

START_TEST(shm_bad_names)
{
	char name[300];
	hc_table *t;
	size_t n;

	ck_assert_hc(hc_table_create_shm(&t, NULL, NULL), HC_EINVAL);
	ck_assert_hc(hc_table_create_shm(&t, "", NULL), HC_EINVAL);
	ck_assert_hc(hc_table_create_shm(&t, "/", NULL), HC_EINVAL);
	ck_assert_hc(hc_table_create_shm(&t, "hc-test-noslash", NULL),
		     HC_EINVAL);
	/* Names made from our pattern, so a wrong success is also caught
	 * as a leak by the suite's main. */
	name[0] = '/';
	hc_test_shm_name(name + 1, sizeof(name) - 1);
	ck_assert_hc(hc_table_create_shm(&t, name, NULL), HC_EINVAL);
	hc_test_shm_name(name, sizeof(name));
	strcat(name, "/b");
	ck_assert_hc(hc_table_create_shm(&t, name, NULL), HC_EINVAL);
	hc_test_shm_name(name, sizeof(name));
	ck_assert_hc(hc_table_create_shm(NULL, name, NULL), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink(name), HC_ENOENT);
	hc_test_shm_name(name, sizeof(name));
	n = strlen(name);
	memset(name + n, 'x', 256 - n);
	name[256] = 0;
	hc_assert_eq(strlen(name), 256);
	ck_assert_hc(hc_table_create_shm(&t, name, NULL), HC_EINVAL);

	ck_assert_hc(hc_table_attach(&t, NULL, HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_hc(hc_table_attach(&t, "", HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_hc(hc_table_attach(&t, "/", HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_hc(hc_table_attach(&t, "noslash", HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_hc(hc_table_attach(&t, name, HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink(NULL), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink(""), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink("/"), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink("noslash"), HC_EINVAL);
	ck_assert_hc(hc_shm_unlink(name), HC_EINVAL);
}
END_TEST

START_TEST(shm_longest_name)
{
	char name[300];
	hc_table *t;
	size_t n;

	hc_test_shm_name(name, sizeof(name));
	n = strlen(name);
	memset(name + n, 'y', 255 - n);
	name[255] = 0;
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_attach(&t, name, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

/* ---- who may attach (HC_PERM_*) -------------------------------------- */

struct perm_arg {
	char name[256]; /* shm name, or a file path */
	int file;
	gid_t gid; /* the group the child keeps */
};

/*
 * As the user nobody (65534) with @gid as its only group: attach or
 * open read-only, then read-write.  Returns 10 * ro + rw, each 1 if
 * refused with HC_EIO / EACCES, 0 if it worked, 9 if something else
 * happened; 8 if the child could not become nobody.
 */
static int perm_child(int id, void *p)
{
	struct perm_arg *a = p;
	int res = 0;

	(void)id;
	if (setgroups(0, NULL) != 0 || setgid(a->gid) != 0 ||
	    setuid(65534) != 0 || getuid() != 65534)
		return 8;
	for (int rw = 0; rw < 2; rw++) {
		hc_table *t = NULL;
		int flags = rw ? HC_OPEN_RDWR : HC_OPEN_RDONLY, rc;

		errno = 0;
		rc = a->file ? hc_table_open(&t, a->name, flags)
			     : hc_table_attach(&t, a->name, flags);
		if (rc == HC_OK) {
			uint64_t c = 0;

			if (hc_get(t, 7, &c) != HC_OK || c != 7)
				return 9;
			hc_table_close(t);
		} else if (rc == HC_EIO && errno == EACCES) {
			res += rw ? 1 : 10;
		} else {
			return 9;
		}
	}
	return res;
}

static int perm_try(struct perm_arg *a)
{
	pid_t pid = hc_test_spawn(perm_child, 0, a);

	return wait_ok(pid, "perm child");
}

/* A 0600 table (the default) cannot be attached by another user, even
 * one in its group; HC_PERM_GROUP lets the group in, not the others.
 * Needs root to become another user: skipped otherwise. */
/* Options asking for @perm (hc_options.perm). */
static const hc_options *with_perm(hc_options *o, unsigned perm)
{
	hc_options_init(o);
	o->perm = perm;
	return o;
}

START_TEST(shm_perm_other_user)
{
	struct perm_arg a;
	struct stat st;
	hc_options o;
	hc_table *t;
	mode_t old;
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "shm_perm_other_user: skipped: needs root to "
				"switch to user nobody (65534)\n");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.gid = getegid();
	/* A restrictive umask must not narrow an explicit perm. */
	old = umask(077);
	hc_test_shm_name(a.name, sizeof(a.name));
	ck_assert_ok(hc_table_create_shm(&t, a.name, NULL));
	ck_assert_ok(hc_add(t, 7, 7));
	ck_assert_int_eq(perm_try(&a), 11); /* owner only: both refused */
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(a.name));

	ck_assert_ok(
		hc_table_create_shm(&t, a.name, with_perm(&o, HC_PERM_GROUP)));
	ck_assert_ok(hc_add(t, 7, 7));
	fd = shm_open(a.name, O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ck_assert_int_eq(perm_try(&a), 0); /* same group: both work */
	a.gid = 65534; /* another group: refused */
	ck_assert_int_eq(perm_try(&a), 11);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(a.name));

	/* A file: 0660 in a directory anyone may enter. */
	a.file = 1;
	a.gid = getegid();
	ck_assert_int_eq(chmod(hc_test_dir(), 0755), 0);
	hc_test_path(a.name, sizeof(a.name), "perm.hc");
	ck_assert_ok(
		hc_table_create_file(&t, a.name, with_perm(&o, HC_PERM_OWNER)));
	ck_assert_ok(hc_add(t, 7, 7));
	ck_assert_int_eq(perm_try(&a), 11);
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(unlink(a.name), 0);
	ck_assert_ok(
		hc_table_create_file(&t, a.name, with_perm(&o, HC_PERM_GROUP)));
	ck_assert_ok(hc_add(t, 7, 7));
	ck_assert_int_eq(stat(a.name, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ck_assert_int_eq(perm_try(&a), 0);
	ck_assert_ok(hc_table_close(t));
	umask(old);
}
END_TEST

START_TEST(create_perm_invalid)
{
	char name[256];
	hc_table *t = NULL;
	hc_options o;

	hc_test_shm_name(name, sizeof(name));
	ck_assert_hc(hc_table_create_shm(&t, name, with_perm(&o, 0400)),
		     HC_EINVAL);
	ck_assert_hc(hc_table_create_shm(&t, name, with_perm(&o, 04600)),
		     HC_EINVAL);
	ck_assert_hc(hc_table_create_shm(&t, name, with_perm(&o, 0700)),
		     HC_EINVAL);
	ck_assert_ptr_null(t);
	hc_test_path(name, sizeof(name), "perm-bad.hc");
	ck_assert_hc(hc_table_create_file(&t, name, with_perm(&o, 01666)),
		     HC_EINVAL);
	ck_assert_int_ne(access(name, F_OK), 0);
}
END_TEST

/* A file gets its name only whole (D1): no half-made file is ever seen
 * under the name, and the name is still exclusive. */
START_TEST(file_create_whole)
{
	char path[256];
	struct stat st;
	hc_table *t, *t2;

	hc_test_path(path, sizeof(path), "whole.hc");
	ck_assert_ok(hc_table_create_file(&t, path, NULL));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_hc(hc_table_create_file(&t2, path, NULL), HC_EEXIST);
	ck_assert_ok(hc_table_open(&t2, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_close(t2));
	ck_assert_ok(hc_add(t, 1, 2));
	ck_assert_ok(hc_table_sync(t));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(shm_attach_bad_flags)
{
	char name[64];
	hc_table *t, *t2;

	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_hc(hc_table_attach(&t2, name, 0x42), HC_EINVAL);
	ck_assert_hc(hc_table_attach(&t2, name, -1), HC_EINVAL);
	ck_assert_hc(hc_table_attach(NULL, name, HC_OPEN_RDONLY), HC_EINVAL);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

/* Objects of our name pattern that are not tables, or broken ones. */
START_TEST(shm_attach_foreign_object)
{
	static const size_t sizes[] = { 0, 100, 4096, 65536 };
	char name[64];
	hc_table *t;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t st = i;
		int fd, rc;

		hc_test_shm_name(name, sizeof(name));
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, (off_t)sizes[i]), 0);
		if (sizes[i]) {
			unsigned char *p =
				mmap(NULL, sizes[i], PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, 0);
			size_t j;

			ck_assert(p != MAP_FAILED);
			for (j = 0; j < sizes[i]; j++)
				p[j] = (unsigned char)hc_test_rand(&st);
			munmap(p, sizes[i]);
		}
		close(fd);
		rc = hc_table_attach(&t, name, HC_OPEN_RDONLY);
		shm_unlink(name);
		if (rc == HC_OK)
			hc_table_close(t);
		hc_require(rc == HC_ECORRUPT, "%zu bytes: attach gave %s",
			   sizes[i], hc_test_name(rc));
	}
}
END_TEST

START_TEST(shm_attach_truncated)
{
	char name[64];
	hc_table *t;
	int fd, rc;

	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&t, name, NULL));
	ck_assert_ok(hc_table_close(t));
	fd = shm_open(name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	close(fd);
	rc = hc_table_attach(&t, name, HC_OPEN_RDWR);
	if (rc == HC_OK)
		hc_table_close(t);
	ck_assert_ok(hc_shm_unlink(name));
	hc_require(rc == HC_ECORRUPT, "attach gave %s", hc_test_name(rc));
}
END_TEST

/* ---- files ------------------------------------------------------- */

START_TEST(file_create_reopen)
{
	int kind = kinds[_i];
	char path[256];
	hc_table *t;
	hc_options o, got;
	uint64_t k = 3;

	hc_test_path(path, sizeof(path), "file.hc");
	small_opts(&o, kind);
	o.seed = 77;
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	add_known(t, kind, 0, 100);
	ck_assert_ok(hc_table_sync(t));
	ck_assert_ok(hc_table_close(t));

	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	hc_options_init(&got);
	ck_assert_ok(hc_table_options(t, &got));
	ck_assert_int_eq(got.key_kind, kind);
	if (kind != HC_KEY_DENSE)
		hc_assert_eq(got.seed, 77);
	assert_known(t, kind, 0, 100, 1);
	if (kind == HC_KEY_BYTES) {
		ck_assert_hc(hc_add_bytes(t, "new", 3, 1), HC_ERDONLY);
		ck_assert_hc(hc__add_bytes(t, "new", 3, 1, HC_MODE_HOGWILD),
			     HC_ERDONLY);
		ck_assert_hc(hc_put_bytes(t, "new", 3, 1, &k), HC_ERDONLY);
	} else {
		ck_assert_hc(hc_add(t, 3, 1), HC_ERDONLY);
		ck_assert_hc(hc__add_u64(t, 3, 1, HC_MODE_EXACT), HC_ERDONLY);
		ck_assert_hc(hc__add_u64(t, 3, 1, HC_MODE_HOGWILD), HC_ERDONLY);
		ck_assert_hc(hc_add_batch(t, &k, NULL, 1, NULL), HC_ERDONLY);
	}
	assert_known(t, kind, 0, 100, 1);
	ck_assert_ok(hc_table_close(t));

	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	assert_known(t, kind, 0, 100, 1);
	add_known(t, kind, 0, 100);
	ck_assert_ok(hc_table_close(t));

	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	assert_known(t, kind, 0, 100, 2);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(file_create_errors)
{
	char path[256], dir_file[300];
	hc_table *t, *t2;
	int fd;

	hc_test_path(path, sizeof(path), "twice.hc");
	ck_assert_ok(hc_table_create_file(&t, path, NULL));
	ck_assert_ok(hc_add(t, 1, 1));
	/* A failed create sets its out-parameter to NULL: use another. */
	ck_assert_hc(hc_table_create_file(&t2, path, NULL), HC_EEXIST);
	ck_assert_ptr_null(t2);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_close(t));

	hc_test_path(path, sizeof(path), "nodir/x.hc");
	ck_assert_hc(hc_table_create_file(&t, path, NULL), HC_EIO);
	ck_assert_hc(hc_table_create_file(&t, NULL, NULL), HC_EINVAL);

	/* A path under a regular file. */
	hc_test_path(path, sizeof(path), "plain");
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(dir_file, sizeof(dir_file), "%s/x.hc", path);
	ck_assert_hc(hc_table_create_file(&t, dir_file, NULL), HC_EIO);
}
END_TEST

struct file_child {
	char path[256];
};

static int file_child_fn(int id, void *p)
{
	struct file_child *a = p;
	hc_table *t;
	int i;

	(void)id;
	if (hc_table_open(&t, a->path, HC_OPEN_RDWR))
		return 1;
	for (i = 0; i < 1000; i++)
		if (hc_add(t, (uint64_t)i, 1))
			return 2;
	return hc_table_close(t) ? 3 : 0;
}

/* A file table is MAP_SHARED: another process that opens it adds to the
 * same counters the creator sees. */
START_TEST(file_shared_between_processes)
{
	struct file_child a;
	hc_table *t;
	uint64_t c;
	pid_t pid;
	int i;

	hc_test_path(a.path, sizeof(a.path), "shared.hc");
	ck_assert_ok(hc_table_create_file(&t, a.path, NULL));
	for (i = 0; i < 1000; i++)
		ck_assert_ok(hc_add(t, (uint64_t)i, 1));
	pid = hc_test_spawn(file_child_fn, 0, &a);
	ck_assert_int_eq(wait_ok(pid, "file child"), 0);
	for (i = 0; i < 1000; i++) {
		ck_assert_ok(hc_get(t, (uint64_t)i, &c));
		hc_assert_eq(c, 2);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- save --------------------------------------------------------- */

static int count_dir_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(save_then_open_equals)
{
	int kind = kinds[_i % 3], home = _i / 3;
	char path[300], name[64], dir[256];
	hc_table *t, *r;
	hc_options o;

	small_opts(&o, kind);
	o.mode = HC_MODE_HOGWILD;
	o.seed = 99;
	if (home == 0) {
		ck_assert_ok(hc_table_create(&t, &o));
	} else {
		hc_test_shm_name(name, sizeof(name));
		ck_assert_ok(hc_table_create_shm(&t, name, &o));
	}
	add_known(t, kind, 0, 300);
	ck_assert_ok(hc_table_set_user(t, "meta", 4));
	hc_test_path(dir, sizeof(dir), "savedir");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/saved.hc", dir);
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_int_eq(count_dir_entries(dir), 1);

	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	hc_test_assert_same(t, r);
	{
		hc_options a, b;

		hc_options_init(&a);
		hc_options_init(&b);
		ck_assert_ok(hc_table_options(t, &a));
		ck_assert_ok(hc_table_options(r, &b));
		ck_assert_int_eq(a.key_kind, b.key_kind);
		ck_assert_int_eq(a.mode, b.mode);
		hc_assert_eq(a.capacity, b.capacity);
		hc_assert_eq(a.dense_bits, b.dense_bits);
		hc_assert_eq(a.seed, b.seed);
		hc_assert_eq(a.arena_bytes, b.arena_bytes);
	}
	ck_assert_ok(hc_table_close(r));

	/* Saving again over the same name replaces it atomically. */
	add_known(t, kind, 0, 300);
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_int_eq(count_dir_entries(dir), 1);
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDWR));
	assert_known(r, kind, 0, 300, 2);
	hc_test_assert_same(t, r);
	/* The saved copy is independent of the original. */
	add_known(r, kind, 0, 1);
	assert_known(t, kind, 0, 300, 2);
	ck_assert_ok(hc_table_close(r));

	if (home == 1)
		ck_assert_ok(hc_shm_unlink(name));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(save_of_read_only_table)
{
	char path[256], path2[256];
	hc_table *t, *r;

	hc_test_path(path, sizeof(path), "ro.hc");
	ck_assert_ok(hc_table_create_file(&t, path, NULL));
	add_known(t, HC_KEY_U64, 0, 100);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	hc_test_path(path2, sizeof(path2), "ro-copy.hc");
	ck_assert_ok(hc_table_save(t, path2));
	ck_assert_ok(hc_table_open(&r, path2, HC_OPEN_RDONLY));
	hc_test_assert_same(t, r);
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* A table with no object behind its mapping (memfd_create() missing)
 * is saved by write() from the mapping; same file as through sendfile. */
START_TEST(save_from_mapping)
{
	int kind = kinds[_i];
	char path[256], path2[256];
	hc_options o;
	hc_table *t, *r, *r2;

	small_opts(&o, kind);
	ck_assert_ok(hc_table_create(&t, &o));
	add_known(t, kind, 0, 200);
	hc_test_path(path, sizeof(path), "via-fd.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_int_ge(t->fd, 0);
	ck_assert_int_eq(close(t->fd), 0);
	t->fd = -1;
	hc_test_path(path2, sizeof(path2), "via-map.hc");
	ck_assert_ok(hc_table_save(t, path2));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_open(&r2, path2, HC_OPEN_RDONLY));
	hc_test_assert_same(t, r2);
	hc_test_assert_same(r, r2);
	assert_known(r2, kind, 0, 200, 1);
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(r2));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
	unlink(path2);
}
END_TEST

/*
 * Under a file size limit (RLIMIT_FSIZE, which also bounds a memfd) an
 * anonymous table still works, on a plain MAP_ANONYMOUS mapping, and a
 * save that outgrows the limit (as on a full disk) fails with HC_EIO and
 * errno EFBIG, leaving no file.  In a child: the limit is per process.
 */
static int fsize_child(int id, void *p)
{
	const char *dir = p;
	struct rlimit rl = { 64 << 10, 64 << 10 };
	char path[300];
	hc_options o;
	hc_table *t;
	int rc;

	(void)id;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	small_opts(&o, HC_KEY_U64);
	o.capacity = 1 << 14; /* 256 KiB of slots */
	if (hc_table_create(&t, &o) != HC_OK)
		return 11;
	if (t->fd != -1)
		return 12;
	if (hc_add(t, 7, 3) != HC_OK)
		return 13;
	snprintf(path, sizeof(path), "%s/big.hc", dir);
	errno = 0;
	rc = hc_table_save(t, path);
	if (rc != HC_EIO)
		return 14;
	if (errno != EFBIG)
		return 15;
	hc_table_close(t);
	return count_dir_entries(dir) == 0 ? 0 : 16;
}

START_TEST(save_past_file_size_limit)
{
	char dir[256];
	pid_t pid;

	hc_test_path(dir, sizeof(dir), "fsize");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	pid = hc_test_spawn(fsize_child, 0, dir);
	ck_assert_int_eq(wait_ok(pid, "fsize child"), 0);
}
END_TEST

START_TEST(save_unwritable)
{
	char path[256], sub[300];
	hc_table *t;
	int fd;

	ck_assert_ok(hc_table_create(&t, NULL));
	ck_assert_ok(hc_add(t, 1, 1));

	hc_test_path(path, sizeof(path), "missing-dir/x.hc");
	errno = 0;
	ck_assert_hc(hc_table_save(t, path), HC_EIO);
	ck_assert_int_ne(errno, 0);

	hc_test_path(path, sizeof(path), "regular");
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(sub, sizeof(sub), "%s/x.hc", path);
	errno = 0;
	ck_assert_hc(hc_table_save(t, sub), HC_EIO);
	ck_assert_int_ne(errno, 0);

	/* /proc refuses new files even to root. */
	ck_assert_hc(hc_table_save(t, "/proc/hc-test-save.hc"), HC_EIO);

	if (geteuid() != 0) {
		hc_test_path(path, sizeof(path), "ro-dir");
		ck_assert_int_eq(mkdir(path, 0500), 0);
		snprintf(sub, sizeof(sub), "%s/x.hc", path);
		ck_assert_hc(hc_table_save(t, sub), HC_EIO);
		chmod(path, 0700);
	}
	ck_assert_hc(hc_table_save(t, NULL), HC_EINVAL);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

struct saver_arg {
	hc_table *t;
	volatile int *go, *stop;
};

/* Adds keys 0..4999 in rounds until told to stop. */
static int busy_writer(int id, void *p)
{
	struct saver_arg *a = p;
	uint64_t i;

	(void)id;
	__atomic_store_n(a->go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(a->stop, __ATOMIC_ACQUIRE))
		for (i = 0; i < 5000; i++)
			if (hc_add(a->t, hc_test_scramble(i), 1))
				return 1;
	return 0;
}

/* "Safe while writers run": each snapshot opens, holds only keys that
 * were added, each once, and counts never go down between snapshots. */
START_TEST(save_while_writers_run)
{
	struct saver_arg a;
	struct hc_test_entry *prev = NULL, *cur;
	size_t nprev = 0, ncur, i, k;
	char path[256];
	hc_table *r;
	pid_t pid;

	a.t = NULL;
	ck_assert_ok(hc_table_create(&a.t, NULL));
	a.go = hc_test_shared(2 * sizeof(int));
	a.stop = a.go + 1;
	pid = hc_test_spawn(busy_writer, 0, &a);
	while (!__atomic_load_n(a.go, __ATOMIC_ACQUIRE))
		;
	hc_test_path(path, sizeof(path), "snap.hc");
	for (k = 0; k < 5; k++) {
		ck_assert_ok(hc_table_save(a.t, path));
		ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
		ck_assert_ok(hc_test_collect(r, &cur, &ncur));
		ck_assert_ok(hc_table_close(r));
		hc_require(hc_test_first_dup(cur, ncur) < 0,
			   "snapshot %zu has a key twice", k);
		for (i = 0; i < ncur; i++)
			hc_assert_gt(cur[i].count, 0);
		/* Sorted by key: a merge walk finds every earlier key. */
		for (i = 0; i < nprev; i++) {
			size_t lo = 0, hi = ncur;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (cur[mid].key < prev[i].key)
					lo = mid + 1;
				else
					hi = mid;
			}
			hc_require(lo < ncur && cur[lo].key == prev[i].key &&
					   cur[lo].count >= prev[i].count,
				   "snapshot %zu lost or shrank a key", k);
		}
		hc_test_entries_free(prev, nprev);
		prev = cur;
		nprev = ncur;
	}
	__atomic_store_n(a.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(wait_ok(pid, "writer"), 0);
	hc_assert_le(nprev, 5000);
	hc_test_entries_free(prev, nprev);
	ck_assert_ok(hc_table_close(a.t));
}
END_TEST

Suite *hc_region_suite(void)
{
	Suite *s = suite_create("region");
	TCase *tc = tcase_create("anon");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, anon_create_close, 0, 3);
	tcase_add_loop_test(tc, anon_inherited_across_fork, 0, 3);
	tcase_add_loop_test(tc, prefault_populates_slots, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("shm");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, shm_attach_from_child, 0, 3);
	tcase_add_test(tc, shm_close_does_not_unlink);
	tcase_add_test(tc, shm_create_twice);
	tcase_add_test(tc, shm_create_race);
	tcase_add_test(tc, shm_bad_names);
	tcase_add_test(tc, shm_longest_name);
	tcase_add_test(tc, shm_attach_bad_flags);
	tcase_add_test(tc, shm_perm_other_user);
	tcase_add_test(tc, create_perm_invalid);
	tcase_add_test(tc, shm_attach_foreign_object);
	tcase_add_test(tc, shm_attach_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, file_create_reopen, 0, 3);
	tcase_add_test(tc, file_create_errors);
	tcase_add_test(tc, file_create_whole);
	tcase_add_test(tc, file_shared_between_processes);
	tcase_add_loop_test(tc, save_then_open_equals, 0, 6);
	tcase_add_test(tc, save_of_read_only_table);
	tcase_add_loop_test(tc, save_from_mapping, 0, 3);
	tcase_add_test(tc, save_past_file_size_limit);
	tcase_add_test(tc, save_unwritable);
	tcase_add_test(tc, save_while_writers_run);
	suite_add_tcase(s, tc);
	return s;
}
