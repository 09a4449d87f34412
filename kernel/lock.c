/* SPDX-License-Identifier: MIT */
/*
 * lock.c - who holds a table file (design.md L1-L4): open file
 * description locks (fcntl F_OFD_*) on one byte past any table's end.
 * A writer handle holds a shared lock for as long as its descriptor is
 * open in it or in a forked child; hc_lock_acquire() takes a shared or
 * an exclusive one for a caller that replaces or reseals the file.  The
 * kernel drops an OFD lock when the last descriptor of its open file
 * description closes, so a killed process holds nothing, and a lock is
 * never confused with another process's whose pid was reused.
 *
 * The hc_locks this process holds are listed here, so that its own
 * saves and read-write opens of a file it holds exclusively go ahead (an
 * OFD lock conflicts with the same process's other descriptions too).
 * An hc_lock belongs to the process that took it: a forked child closes
 * its copies of their descriptors (an atfork handler), so the lock goes
 * when its owner releases it or dies, whatever children it left.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_internal.h"

/*
 * Two bytes past the end of any table (HC_CAPACITY_MAX slots): writers
 * hold a read lock on the first (WRITERS), shared hc_locks one on the
 * second (SHARED), exclusive hc_locks a write lock on both.  So a
 * shared hc_lock keeps exclusive ones out, as a writer does, without
 * looking like a writer to hc__lock_others().
 */
#define LOCK_OFF ((off_t)1 << 62)
#define WRITERS LOCK_OFF, 1
#define SHARED (LOCK_OFF + 1), 1
#define BOTH LOCK_OFF, 2

struct hc_lock {
	int fd;
	int exclusive;
	dev_t dev;
	ino_t ino;
	struct hc_lock *next; /* the locks of this process */
};

static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hc_lock *held; /* under held_mu */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
	pthread_mutex_lock(&held_mu);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&held_mu);
}

/* The child holds none of its parent's locks: each hc_lock stays a
 * valid object for hc_lock_release(), with no descriptor. */
static void after_fork_child(void)
{
	for (struct hc_lock *l = held; l; l = l->next)
		if (l->fd >= 0) {
			close(l->fd);
			l->fd = -1;
		}
	held = NULL;
	pthread_mutex_unlock(&held_mu);
}

static void register_atfork(void)
{
	(void)pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* F_OFD_SETLK(W) or F_OFD_GETLK on @len bytes at @start; -1 with
 * errno. */
static int ofd(int fd, int cmd, short *type, off_t start, off_t len)
{
	struct flock fl;
	int rc;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = *type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	rc = fcntl(fd, cmd, &fl);
	*type = fl.l_type;
	return rc;
}

/* No OFD locks here (an old kernel, some FUSE or network file systems):
 * every lock is granted and nothing is excluded. */
static int unsupported(int err)
{
	return err == EINVAL || err == ENOLCK || err == EOPNOTSUPP ||
	       err == ENOSYS;
}

int hc__lock_writer(int fd)
{
	short type = F_RDLCK;

	if (ofd(fd, F_OFD_SETLK, &type, WRITERS) == 0)
		return HC_OK;
	if (errno == EAGAIN || errno == EACCES)
		return HC_EBUSY;
	return unsupported(errno) ? HC_OK : HC_EIO;
}

int hc__lock_others(int fd)
{
	short type = F_WRLCK;

	if (ofd(fd, F_OFD_GETLK, &type, WRITERS) != 0)
		return -1;
	return type != F_UNLCK;
}

int hc__lock_mine(uint64_t dev, uint64_t ino)
{
	int fd = -1;

	pthread_mutex_lock(&held_mu);
	for (struct hc_lock *l = held; l && fd < 0; l = l->next)
		if (l->exclusive && l->fd >= 0 && (uint64_t)l->dev == dev &&
		    (uint64_t)l->ino == ino)
			fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&held_mu);
	return fd;
}

int hc__lock_same_file(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) != 0)
		return -1;
	if (stat(path, &b) != 0)
		return errno == ENOENT ? 0 : -1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int hc_lock_acquire(hc_lock **out, const char *path, int flags)
{
	int ex = (flags & HC_LOCK_EXCLUSIVE) != 0;
	int cmd = flags & HC_LOCK_WAIT ? F_OFD_SETLKW : F_OFD_SETLK;
	struct hc_lock *l;
	struct stat st;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!path || !*path || (flags & ~(HC_LOCK_EXCLUSIVE | HC_LOCK_WAIT)))
		return HC_EINVAL;
	(void)pthread_once(&atfork_once, register_atfork);
	l = calloc(1, sizeof(*l));
	if (!l)
		return HC_ENOMEM;
	l->exclusive = ex;
	for (;;) {
		short type = ex ? F_WRLCK : F_RDLCK;
		int same;

		/* A write lock needs a descriptor open for writing. */
		l->fd = open(path, (ex ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (l->fd < 0) {
			int err = errno;

			free(l);
			errno = err;
			return err == ENOENT ? HC_ENOENT : HC_EIO;
		}
		if ((ex ? ofd(l->fd, cmd, &type, BOTH)
			: ofd(l->fd, cmd, &type, SHARED)) != 0 &&
		    !unsupported(errno)) {
			int err = errno;

			close(l->fd);
			free(l);
			errno = err;
			return err == EAGAIN || err == EACCES ? HC_EBUSY
							      : HC_EIO;
		}
		/* Replaced while this waited: lock the file there now. */
		same = hc__lock_same_file(l->fd, path);
		if (same == 1)
			break;
		close(l->fd);
		if (same < 0) {
			free(l);
			return HC_EIO;
		}
	}
	if (fstat(l->fd, &st) != 0) {
		close(l->fd);
		free(l);
		return HC_EIO;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	pthread_mutex_lock(&held_mu);
	l->next = held;
	held = l;
	pthread_mutex_unlock(&held_mu);
	*out = l;
	return HC_OK;
}

int hc_lock_release(hc_lock *l)
{
	if (!l)
		return HC_OK;
	pthread_mutex_lock(&held_mu);
	for (struct hc_lock **p = &held; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	pthread_mutex_unlock(&held_mu);
	if (l->fd >= 0 && l->exclusive) {
		/* Down to a writer's lock: a handle this process opened
		 * under the lock holds a duplicate of the descriptor, and
		 * writes on after it (L1); without one, the close below
		 * drops everything. */
		short type = F_RDLCK;

		(void)ofd(l->fd, F_OFD_SETLK, &type, WRITERS);
		type = F_UNLCK;
		(void)ofd(l->fd, F_OFD_SETLK, &type, SHARED);
	}
	if (l->fd >= 0)
		close(l->fd); /* drops the lock, or leaves it to the dups */
	free(l);
	return HC_OK;
}

int hc__lock_replace(const char *path, int *fd)
{
	struct stat st;
	short type = F_WRLCK;

	*fd = -1;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? HC_OK : HC_EIO;
	*fd = hc__lock_mine((uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (*fd >= 0)
		return HC_OK; /* the caller's close of it keeps the lock */
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		/* Not writable by us: nor, then, by a writer of ours;
		 * whoever may write it is seen by a probe. */
		int rfd = open(path, O_RDONLY | O_CLOEXEC), busy;

		if (rfd < 0)
			return errno == ENOENT ? HC_OK : HC_EIO;
		busy = hc__lock_others(rfd) == 1;
		close(rfd);
		return busy ? HC_EBUSY : HC_OK;
	}
	if (ofd(*fd, F_OFD_SETLK, &type, BOTH) == 0 || unsupported(errno))
		return HC_OK;
	close(*fd);
	*fd = -1;
	return errno == EAGAIN || errno == EACCES ? HC_EBUSY : HC_EIO;
}

int hc__lock_tmp(int fd)
{
	short type = F_WRLCK;

	return ofd(fd, F_OFD_SETLK, &type, BOTH) == 0 || unsupported(errno)
		       ? HC_OK
		       : HC_EIO;
}

/*
 * A temporary file "NAME.tmp.PID" that no saver holds: its lock can be
 * taken, and PID is not a live process of this machine (a saver on
 * another machine of a shared file system holds the lock).
 */
static int stale_tmp(const char *dir, const char *name, long pid)
{
	char p[4096];
	short type = F_WRLCK;
	int fd, stale;

	if (pid <= 0 || pid == (long)getpid() ||
	    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
		return 0;
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return 0;
	fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	stale = ofd(fd, F_OFD_SETLK, &type, BOTH) == 0 || unsupported(errno);
	if (stale)
		(void)unlink(p);
	close(fd);
	return stale;
}

void hc__lock_clean_tmp(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	size_t blen;
	struct dirent *e;
	DIR *d;

	if (!slash) {
		memcpy(dir, ".", 2);
		base = path;
	} else if ((size_t)(slash - path) >= sizeof(dir)) {
		return;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = 0;
		if (slash == path)
			memcpy(dir, "/", 2);
		base = slash + 1;
	}
	blen = strlen(base);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		char *end;
		long pid;

		if (strncmp(s, base, blen) || strncmp(s + blen, ".tmp.", 5))
			continue;
		s += blen + 5;
		if (*s < '0' || *s > '9')
			continue;
		errno = 0;
		pid = strtol(s, &end, 10);
		if (*end || errno)
			continue;
		(void)stale_tmp(dir, e->d_name, pid);
	}
	closedir(d);
}
