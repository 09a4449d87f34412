/* SPDX-License-Identifier: MIT */
/*
 * check_lock.c - lock.c: who holds a table file (design.md L1-L4).  A
 * writer handle keeps exclusive locks out and an exclusive lock keeps
 * writers out, in other processes; the holder's own opens and saves go
 * ahead; a save never replaces a file a writer holds; a waiting lock
 * follows a rename; a handle opened under the holder's lock stays a
 * writer after it; a killed saver's temporary file is removed by the
 * next save or read-write open of the same name, a live one's is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"

/* A sealed growing file table holding key 1 with count @c. */
static void make_table(char *path, size_t cap, uint64_t c)
{
	hc_table *t;

	hc_test_path(path, cap, "lock");
	ck_assert_ok(hc_table_create_file(&t, path, NULL));
	ck_assert_ok(hc_add(t, 1, c));
	ck_assert_ok(hc_table_close(t));
}

static uint64_t count_of_1(const char *path)
{
	hc_table *t;
	uint64_t c = 0;

	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_get(t, 1, &c));
	ck_assert_ok(hc_table_close(t));
	return c;
}

/* In a child process: the status of an exclusive lock attempt. */
static int try_exclusive(int id, void *arg)
{
	hc_lock *l;
	int rc = hc_lock_acquire(&l, arg, HC_LOCK_EXCLUSIVE);

	(void)id;
	hc_lock_release(l);
	return rc == HC_OK ? 0 : rc == HC_EBUSY ? 10 : 20;
}

/* In a child process: the status of a read-write open. */
static int try_rdwr(int id, void *arg)
{
	hc_table *t;
	int rc = hc_table_open(&t, arg, HC_OPEN_RDWR);

	(void)id;
	hc_table_close(t);
	return rc == HC_OK ? 0 : rc == HC_EBUSY ? 10 : 20;
}

/* In a child process: hc_table_save() of a fresh table onto @arg. */
static int try_save(int id, void *arg)
{
	hc_table *t;
	int rc;

	(void)id;
	if (hc_table_create(&t, NULL) || hc_add(t, 1, 1000))
		return 30;
	rc = hc_table_save(t, arg);
	hc_table_close(t);
	return rc == HC_OK ? 0 : rc == HC_EBUSY ? 10 : 20;
}

static int run_child(int (*fn)(int, void *), const char *path)
{
	int st;
	pid_t pid = hc_test_spawn(fn, 0, (void *)path);

	hc_require(hc_test_wait(pid, 30, &st), "child hung");
	hc_require(WIFEXITED(st), "child status %d", st);
	return WEXITSTATUS(st);
}

START_TEST(writer_keeps_exclusive_out)
{
	char path[256];
	hc_table *t;

	make_table(path, sizeof(path), 5);
	ck_assert_int_eq(run_child(try_exclusive, path), 0);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_int_eq(run_child(try_exclusive, path), 10);
	/* Writers share: a second writer gets in. */
	ck_assert_int_eq(run_child(try_rdwr, path), 0);
	/* A save from elsewhere never replaces a held file. */
	ck_assert_int_eq(run_child(try_save, path), 10);
	ck_assert_ok(hc_add(t, 1, 1));
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(count_of_1(path), 6);
	ck_assert_int_eq(run_child(try_exclusive, path), 0);
	ck_assert_int_eq(run_child(try_save, path), 0);
	ck_assert_int_eq(count_of_1(path), 1000);
}
END_TEST

/* A forked child keeps its parent's writer lock while it lives. */
static int child_sleeps(int id, void *arg)
{
	(void)id;
	(void)arg;
	pause();
	return 0;
}

START_TEST(forked_child_holds_the_lock)
{
	char path[256];
	hc_table *t;
	pid_t pid;
	int st;

	make_table(path, sizeof(path), 1);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	pid = hc_test_spawn(child_sleeps, 0, NULL);
	/* The parent's handle is gone, not the child's descriptor. */
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(run_child(try_exclusive, path), 10);
	kill(pid, SIGKILL);
	hc_require(hc_test_wait(pid, 30, &st), "child hung");
	ck_assert_int_eq(run_child(try_exclusive, path), 0);
}
END_TEST

/* In a child: hold an exclusive lock on @arg until killed; a byte on
 * the pipe says it is held. */
static int pipe_fd[2];

static int hold_exclusive(int id, void *arg)
{
	hc_lock *l;

	(void)id;
	if (hc_lock_acquire(&l, arg, HC_LOCK_EXCLUSIVE))
		return 20;
	if (write(pipe_fd[1], "x", 1) != 1)
		return 21;
	pause();
	return 0;
}

START_TEST(exclusive_keeps_writers_out)
{
	char path[256], c;
	hc_lock *l, *m;
	hc_table *t;
	pid_t pid;
	int st;

	make_table(path, sizeof(path), 7);
	ck_assert_int_eq(pipe(pipe_fd), 0);
	pid = hc_test_spawn(hold_exclusive, 0, path);
	ck_assert_int_eq(read(pipe_fd[0], &c, 1), 1);
	ck_assert_hc(hc_table_open(&t, path, HC_OPEN_RDWR), HC_EBUSY);
	ck_assert_hc(hc_lock_acquire(&l, path, HC_LOCK_SHARED), HC_EBUSY);
	ck_assert_int_eq(run_child(try_save, path), 10);
	kill(pid, SIGKILL);
	hc_require(hc_test_wait(pid, 30, &st), "holder hung");
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	/* The holder's own open and save go ahead; another lock of this
	 * process is another holder. */
	ck_assert_ok(hc_lock_acquire(&l, path, HC_LOCK_EXCLUSIVE));
	ck_assert_hc(hc_lock_acquire(&m, path, HC_LOCK_SHARED), HC_EBUSY);
	ck_assert_int_eq(run_child(try_rdwr, path), 10);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_add(t, 1, 1));
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_lock_release(l));
	ck_assert_int_eq(count_of_1(path), 8);
	ck_assert_int_eq(run_child(try_rdwr, path), 0);
	ck_assert_ok(hc_lock_release(NULL));
}
END_TEST

/* A handle opened under this process's exclusive lock is a writer like
 * any other once the lock is released: other processes see it, and
 * nobody reseals or replaces the file under it. */
START_TEST(writer_outlives_own_exclusive_lock)
{
	char path[256];
	hc_verdict v = { .size = sizeof(v) };
	hc_lock *l;
	hc_table *t, *r;

	make_table(path, sizeof(path), 3);
	ck_assert_ok(hc_lock_acquire(&l, path, HC_LOCK_EXCLUSIVE));
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_lock_release(l));
	ck_assert_ok(hc_add(t, 1, 1));
	ck_assert_int_eq(run_child(try_exclusive, path), 10);
	ck_assert_int_eq(run_child(try_save, path), 10);
	ck_assert_hc(hc_table_reseal(path, NULL), HC_EBUSY);
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_table_verify(r, &v));
	ck_assert_int_eq(v.state, HC_SEAL_LIVE);
	ck_assert_ok(hc_table_close(r));
	/* Writers share with it. */
	ck_assert_int_eq(run_child(try_rdwr, path), 0);
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(run_child(try_exclusive, path), 0);
	ck_assert_int_eq(count_of_1(path), 4);
}
END_TEST

START_TEST(bad_arguments)
{
	char path[256];
	hc_lock *l;

	hc_test_path(path, sizeof(path), "none");
	ck_assert_hc(hc_lock_acquire(NULL, path, 0), HC_EINVAL);
	ck_assert_hc(hc_lock_acquire(&l, NULL, 0), HC_EINVAL);
	ck_assert_hc(hc_lock_acquire(&l, "", 0), HC_EINVAL);
	ck_assert_hc(hc_lock_acquire(&l, path, 0x100), HC_EINVAL);
	ck_assert_hc(hc_lock_acquire(&l, path, HC_LOCK_WAIT), HC_ENOENT);
	ck_assert_hc(hc_table_reseal(path, NULL), HC_ENOENT);
	ck_assert_hc(hc_table_reseal(NULL, NULL), HC_EINVAL);
}
END_TEST

/* In a child: wait for a shared lock, then report key 1's count of the
 * file it locked (through the name, after the lock is held). */
static int wait_then_read(int id, void *arg)
{
	hc_lock *l;
	hc_table *t;
	uint64_t c = 0;

	(void)id;
	if (hc_lock_acquire(&l, arg, HC_LOCK_SHARED | HC_LOCK_WAIT))
		return 20;
	if (hc_table_open(&t, arg, HC_OPEN_RDWR) || hc_get(t, 1, &c))
		return 21;
	hc_table_close(t);
	hc_lock_release(l);
	return c == 99 ? 0 : 22;
}

START_TEST(waiting_lock_follows_rename)
{
	char path[256], other[256];
	hc_lock *l;
	pid_t pid;
	int st;

	make_table(path, sizeof(path), 1);
	make_table(other, sizeof(other), 99);
	ck_assert_ok(hc_lock_acquire(&l, path, HC_LOCK_EXCLUSIVE));
	pid = hc_test_spawn(wait_then_read, 0, path);
	usleep(200000); /* the child waits on the old file */
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_ok(hc_lock_release(l));
	hc_require(hc_test_wait(pid, 30, &st), "child hung");
	hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d",
		   st);
}
END_TEST

/* A killed saver's temporary file goes with the next save; a live
 * process's stays. */
static int exit_now(int id, void *arg)
{
	(void)id;
	(void)arg;
	return 0;
}

START_TEST(stale_temporary_files_removed)
{
	char path[256], dead[300], live[300], other[300];
	hc_table *t;
	pid_t pid;
	int st, fd;

	hc_test_path(path, sizeof(path), "out");
	pid = hc_test_spawn(exit_now, 0, NULL);
	hc_require(hc_test_wait(pid, 30, &st), "child hung");
	snprintf(dead, sizeof(dead), "%s.tmp.%ld", path, (long)pid);
	snprintf(live, sizeof(live), "%s.tmp.%ld", path, (long)getppid());
	snprintf(other, sizeof(other), "%s.x.tmp.%ld", path, (long)pid);
	for (int i = 0; i < 3; i++) {
		const char *p = i == 0 ? dead : i == 1 ? live : other;

		fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_ok(hc_table_create(&t, NULL));
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(access(dead, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	/* A writer of the file clears them too (an in-place --into never
	 * saves). */
	fd = open(dead, O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_table_close(t));
	ck_assert_int_eq(access(dead, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	unlink(live);
	unlink(other);
}
END_TEST

Suite *hc_lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("lock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, writer_keeps_exclusive_out);
	tcase_add_test(tc, forked_child_holds_the_lock);
	tcase_add_test(tc, exclusive_keeps_writers_out);
	tcase_add_test(tc, writer_outlives_own_exclusive_lock);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, waiting_lock_follows_rename);
	tcase_add_test(tc, stale_temporary_files_removed);
	suite_add_tcase(s, tc);
	return s;
}
