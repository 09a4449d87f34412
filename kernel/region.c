/* SPDX-License-Identifier: MIT */
/*
 * region.c - the three homes of a table: an anonymous shared mapping (a
 * memfd), a named POSIX shared-memory object and a file.  Mapping, unmapping,
 * unlinking, and writing a snapshot to a file.  Everything past the
 * header is someone else's business (format.c validates, slots.c probes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_internal.h"

/* Errors from the OS keep errno as it was set (HC_EIO). */
static int os_error(void)
{
	switch (errno) {
	case EEXIST:
		return HC_EEXIST;
	case ENOMEM:
		return HC_ENOMEM;
	case ENAMETOOLONG:
		return HC_EINVAL;
	default:
		return HC_EIO;
	}
}

void hc__advise(unsigned char *base, uint64_t bytes)
{
	/* Large tables take one TLB miss per add with 4 KiB pages; huge
	 * pages help where the kernel allows them.  Advice only. */
	if (bytes >= (UINT64_C(1) << 21))
		(void)madvise(base, bytes, MADV_HUGEPAGE);
}

/*
 * The anonymous home: a memfd (shared memory with no name), mapped
 * shared, so forked workers inherit it.  The descriptor comes back in
 * *fdp for hc_table_save(), which copies from it inside the kernel
 * instead of reading every page through this process's mapping; -1 where
 * memfd_create() is missing or cannot be sized (then a MAP_ANONYMOUS
 * mapping is used).
 */
int hc__map_anon(uint64_t bytes, unsigned char **out, int *fdp)
{
	void *p;
	int fd;

	*fdp = -1;
	if (bytes > SIZE_MAX || bytes > (uint64_t)INT64_MAX)
		return HC_ENOMEM;
	fd = memfd_create("hogcount", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, (off_t)bytes) != 0) {
		/* A file size limit (RLIMIT_FSIZE) applies to a memfd too,
		 * not to an anonymous mapping. */
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
	} else {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return HC_ENOMEM;
	}
	hc__advise(p, bytes);
	*out = p;
	*fdp = fd;
	return HC_OK;
}

/* As os_error(), for calls that name an existing table. */
static int os_error_existing(void)
{
	return errno == ENOENT ? HC_ENOENT : os_error();
}

static int valid_shm_name(const char *name)
{
	size_t n;

	if (!name || name[0] != '/')
		return 0;
	n = strlen(name);
	if (n < 2 || n > NAME_MAX)
		return 0;
	return strchr(name + 1, '/') == NULL;
}

static struct hc_table *handle_new(int home, int fd, int writable)
{
	struct hc_table *t = calloc(1, sizeof(*t));

	if (t) {
		t->home = home;
		t->fd = fd;
		t->writable = writable;
	}
	return t;
}

/* Map @fd (already sized to the header's total_bytes) and write the
 * header into it. */
static int map_new(int fd, const struct hc__header *h, unsigned char **out)
{
	void *p;

	if (h->total_bytes > SIZE_MAX)
		return HC_ENOMEM;
	if (ftruncate(fd, (off_t)h->total_bytes) != 0)
		return errno == EFBIG || errno == EINVAL ? HC_ENOMEM : HC_EIO;
	p = mmap(NULL, h->total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (p == MAP_FAILED)
		return HC_ENOMEM;
	memcpy(p, h, sizeof(*h));
	*out = p;
	return HC_OK;
}

int hc_table_create(hc_table **out, const hc_options *opt)
{
	struct hc__header h;
	struct hc_table *t;
	unsigned char *base;
	int rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	rc = hc__layout(opt, &h);
	if (rc)
		return rc;
	t = handle_new(HC_HOME_ANON, -1, 1);
	if (!t)
		return HC_ENOMEM;
	rc = hc__map_anon(h.total_bytes, &base, &t->fd);
	if (rc) {
		free(t);
		return rc;
	}
	memcpy(base, &h, sizeof(h));
	hc__table_bind(t, base, h.total_bytes);
	*out = t;
	return HC_OK;
}

/* Shared by the shm and file homes once @fd is open and exclusive. */
static int create_on_fd(hc_table **out, int fd, int home,
			const struct hc__header *h)
{
	struct hc_table *t;
	unsigned char *base;
	int rc;

	rc = map_new(fd, h, &base);
	if (rc)
		return rc;
	hc__advise(base, h->total_bytes);
	t = handle_new(home, fd, 1);
	if (!t) {
		munmap(base, h->total_bytes);
		return HC_ENOMEM;
	}
	hc__table_bind(t, base, h->total_bytes);
	*out = t;
	return HC_OK;
}

int hc_table_create_shm(hc_table **out, const char *name, const hc_options *opt)
{
	struct hc__header h;
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!valid_shm_name(name))
		return HC_EINVAL;
	rc = hc__layout(opt, &h);
	if (rc)
		return rc;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return os_error();
	rc = create_on_fd(out, fd, HC_HOME_SHM, &h);
	if (rc) {
		int saved = errno;

		close(fd);
		shm_unlink(name);
		errno = saved;
	}
	return rc;
}

int hc_table_create_file(hc_table **out, const char *path,
			 const hc_options *opt)
{
	struct hc__header h;
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!path || !*path)
		return HC_EINVAL;
	rc = hc__layout(opt, &h);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return os_error();
	rc = create_on_fd(out, fd, HC_HOME_FILE, &h);
	if (rc) {
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
	}
	return rc;
}

/*
 * Map an existing table behind @fd: the header page first, validated
 * against the object's real size, then the whole table.
 */
static int open_fd(hc_table **out, int fd, int home, int flags)
{
	struct hc__header hdr;
	struct hc_table *t;
	struct stat st;
	ssize_t n;
	void *p;
	int rc, writable = (flags & HC_OPEN_RDWR) != 0;

	if (fstat(fd, &st) != 0)
		return HC_EIO;
	if (!S_ISREG(st.st_mode) && home == HC_HOME_FILE) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return HC_EIO;
	}
	/* pread, not mmap: a short object cannot fault us (SIGBUS). */
	n = pread(fd, &hdr, sizeof(hdr), 0);
	if (n < 0)
		return HC_EIO;
	if ((size_t)n < sizeof(hdr))
		return HC_ECORRUPT;
	rc = hc__header_validate(&hdr, (uint64_t)st.st_size);
	if (rc)
		return rc;
	if (hdr.total_bytes > SIZE_MAX)
		return HC_ENOMEM;
	p = mmap(NULL, hdr.total_bytes, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno == EACCES ? HC_EIO : HC_ENOMEM;
	/* The mapped header must still be the one validated; bind() copies
	 * the geometry from the validated copy's values. */
	if (memcmp(p, &hdr, offsetof(struct hc__header, reserved0)) != 0) {
		munmap(p, hdr.total_bytes);
		return HC_ECORRUPT;
	}
	t = handle_new(home, fd, writable);
	if (!t) {
		munmap(p, hdr.total_bytes);
		return HC_ENOMEM;
	}
	hc__table_bind(t, p, hdr.total_bytes);
	*out = t;
	return HC_OK;
}

static int check_flags(int flags)
{
	return flags == HC_OPEN_RDONLY || flags == HC_OPEN_RDWR;
}

int hc_table_attach(hc_table **out, const char *name, int flags)
{
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!valid_shm_name(name) || !check_flags(flags))
		return HC_EINVAL;
	fd = shm_open(name, flags == HC_OPEN_RDWR ? O_RDWR : O_RDONLY, 0);
	if (fd < 0)
		return os_error_existing();
	rc = open_fd(out, fd, HC_HOME_SHM, flags);
	if (rc) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return rc;
}

int hc_table_open(hc_table **out, const char *path, int flags)
{
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!path || !*path || !check_flags(flags))
		return HC_EINVAL;
	fd = open(path,
		  (flags == HC_OPEN_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return os_error_existing();
	rc = open_fd(out, fd, HC_HOME_FILE, flags);
	if (rc) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return rc;
}

static int write_all(int fd, const unsigned char *p, uint64_t len)
{
	while (len) {
		size_t chunk = len > (UINT64_C(1) << 30) ? (size_t)1 << 30
							 : (size_t)len;
		ssize_t n = write(fd, p, chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return HC_EIO;
		}
		p += n;
		len -= (uint64_t)n;
	}
	return HC_OK;
}

/*
 * Copy bytes [@off, @off + @len) of the table to the same offset of @out.
 * From the object behind the mapping where there is one: sendfile()
 * copies page-cache pages inside the kernel, whereas write() from the
 * mapping takes a page fault in this process on every page the workers
 * touched (fork() does not share page tables; on a VM each such fault
 * costs microseconds).  Falls back to write() from the mapping where the
 * kernel refuses (EINVAL, ENOSYS) before copying anything.
 */
static int copy_out(const hc_table *t, int out, uint64_t off, uint64_t len)
{
	if (t->fd >= 0 && lseek(out, (off_t)off, SEEK_SET) == (off_t)off) {
		off_t in = (off_t)off;

		while (len) {
			size_t chunk = len > (UINT64_C(1) << 30)
					       ? (size_t)1 << 30
					       : (size_t)len;
			ssize_t n = sendfile(out, t->fd, &in, chunk);

			if (n > 0) {
				len -= (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EINVAL || errno == ENOSYS) &&
			    (uint64_t)in == off)
				break; /* not supported here: write() */
			return HC_EIO;
		}
		if (!len)
			return HC_OK;
	}
	if (lseek(out, (off_t)off, SEEK_SET) != (off_t)off)
		return HC_EIO;
	return write_all(out, t->base + off, len);
}

int hc_table_save(const hc_table *t, const char *path)
{
	char *tmp;
	size_t n;
	uint64_t used;
	int fd, rc;

	if (!t || !path || !*path)
		return HC_EINVAL;
	n = strlen(path) + 32;
	tmp = malloc(n);
	if (!tmp)
		return HC_ENOMEM;
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return os_error();
	}
	/* Header and slots first, then the key area up to its high-water
	 * mark read after them: every ref in the copied slots points below
	 * it.  The rest of the key area stays a hole and costs no disk. */
	used = t->arena ? (uint64_t)(t->arena - t->base) : t->map_bytes;
	rc = copy_out(t, fd, 0, used);
	if (!rc && t->arena) {
		/* ORDER: acquire. Pairs with the CAS in hc__arena_append()
		 * (arena.c), which precedes the release CAS that published
		 * any ref copied above (design.md G1, G2).
		 * We only need a bound; an entry past it is unreachable. */
		uint64_t au = hc_atomic_load_acquire(&t->hdr->arena_used);

		if (au > t->arena_bytes)
			au = t->arena_bytes;
		rc = copy_out(t, fd, used, au);
		/* The copy's bump pointer must match the bytes it holds. */
		if (!rc && pwrite(fd, &au, sizeof(au),
				  offsetof(struct hc__header, arena_used)) !=
				   (ssize_t)sizeof(au))
			rc = HC_EIO;
	}
	if (!rc && ftruncate(fd, (off_t)t->map_bytes) != 0)
		rc = HC_EIO;
	if (!rc && fsync(fd) != 0)
		rc = HC_EIO;
	if (close(fd) != 0 && !rc)
		rc = HC_EIO;
	if (!rc && rename(tmp, path) != 0)
		rc = os_error();
	if (rc) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
	}
	free(tmp);
	return rc;
}

int hc_table_sync(hc_table *t)
{
	if (!t)
		return HC_EINVAL;
	if (t->home != HC_HOME_FILE || !t->writable)
		return HC_OK;
	if (msync(t->base, t->map_bytes, MS_SYNC) != 0)
		return HC_EIO;
	return HC_OK;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#define MADV_POPULATE_WRITE 23
#endif

int hc_table_prefault(hc_table *t)
{
	uint64_t end;

	if (!t)
		return HC_EINVAL;
	/* The header page and the slots (or counters); the key area fills
	 * from its start and is left to fault as it grows. */
	end = t->arena ? (uint64_t)(t->arena - t->base) : t->map_bytes;
	if (madvise(t->base, end,
		    t->writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) ==
	    0)
		return HC_OK;
	switch (errno) {
	case EINVAL: /* kernel before 5.14: advice only */
		return HC_OK;
	case ENOMEM:
		return HC_ENOMEM;
	default:
		return HC_EIO;
	}
}

int hc_table_close(hc_table *t)
{
	int rc = HC_OK;

	if (!t)
		return HC_OK;
	if (munmap(t->base, t->map_bytes) != 0)
		rc = HC_EIO;
	if (t->fd >= 0 && close(t->fd) != 0)
		rc = HC_EIO;
	free(t);
	return rc;
}

int hc_shm_unlink(const char *name)
{
	if (!valid_shm_name(name))
		return HC_EINVAL;
	if (shm_unlink(name) != 0)
		return os_error_existing();
	return HC_OK;
}
