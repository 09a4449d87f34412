/* SPDX-License-Identifier: MIT */
/*
 * region.c - the three homes of a table: an anonymous shared mapping (a
 * memfd), a named POSIX shared-memory object and a file.  Mapping, unmapping,
 * unlinking, and writing a snapshot to a file.  Everything past the
 * header is someone else's business (format.c validates, the kinds
 * probe).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
	case EFBIG:
		return HC_ENOMEM;
	case ENOSPC:
	case EDQUOT:
		return HC_ENOSPC;
	case ENAMETOOLONG:
		return HC_EINVAL;
	default:
		return HC_EIO;
	}
}

/* The most one fallocate() call reserves: tmpfs undoes a whole call that
 * a signal interrupts (EINTR), so a large region goes in steps. */
#define BACK_STEP (UINT64_C(256) << 20)

/*
 * Back the bytes [@off, @off + @len) of the object behind @fd with
 * blocks (a file) or pages (tmpfs, a memfd) now, so that no store or
 * load through a mapping of them faults later for want of space
 * (design.md M2, D4): a full device is a status here, not a SIGBUS
 * there.  The object grows to reach @off + @len; it never shrinks.
 *
 * @mode: HC__BACK_FRESH, no other process can reach the range (an
 * object not yet shared, a copy, a private region, M2).  Where the file
 * system has no fallocate(), posix_fallocate() then writes a zero into
 * each block, which is safe only there: on a range another process may
 * be writing, that read-then-write could undo a store.  HC__BACK_LIVE:
 * HC_OK without reserving anything where fallocate() is missing (the
 * fault it leaves possible is the only option short of refusing every
 * write; design.md D4).  HC__BACK_CLAIMED: HC__ENOTSUP there (the
 * caller takes a private region instead, M2).
 *
 * Returns HC_OK, HC_ENOSPC (ENOSPC, EDQUOT: the device, a tmpfs size or
 * a quota is full), HC_ENOMEM (EFBIG: past the file size limit; ENOMEM)
 * or HC_EIO; errno stays as the OS set it.
 */
int hc__back_no_fallocate;

/* fallocate() mode 0, or EOPNOTSUPP under the test hook. */
static int reserve(int fd, uint64_t off, uint64_t len)
{
	if (hc__back_no_fallocate) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return fallocate(fd, 0, (off_t)off, (off_t)len);
}

int hc__back(int fd, uint64_t off, uint64_t len, int mode)
{
	int e = 0;

	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return HC_ENOMEM;
	while (len) {
		uint64_t n = len < BACK_STEP ? len : BACK_STEP;

		if (reserve(fd, off, n) == 0) {
			off += n;
			len -= n;
			continue;
		}
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EOPNOTSUPP || e == ENOSYS) {
			if (mode == HC__BACK_CLAIMED)
				return HC__ENOTSUP;
			if (mode != HC__BACK_FRESH)
				return HC_OK;
			e = posix_fallocate(fd, (off_t)off, (off_t)len);
			if (e == 0)
				return HC_OK;
		}
		break;
	}
	if (!len)
		return HC_OK;
	errno = e;
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return HC_ENOSPC;
	case EFBIG:
	case ENOMEM:
		return HC_ENOMEM;
	default:
		return HC_EIO;
	}
}

/* Give back the blocks of [@off, @off + @len), keeping the object's
 * size: what hc__back() reserved for a region nobody will publish.
 * Best effort (where the file system cannot punch, the blocks stay);
 * errno is kept. */
void hc__unback(int fd, uint64_t off, uint64_t len)
{
	int saved = errno;

	if (len && off <= (uint64_t)INT64_MAX &&
	    len <= (uint64_t)INT64_MAX - off)
		(void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)off, (off_t)len);
	errno = saved;
}

void hc__advise(unsigned char *base, uint64_t bytes)
{
	/* Large tables take one TLB miss per add with 4 KiB pages; huge
	 * pages help where the kernel allows them.  Advice only. */
	if (bytes >= (UINT64_C(1) << 21))
		(void)madvise(base, bytes, MADV_HUGEPAGE);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

/* Pages of a 2 MiB block that may already be in memory for
 * hc__collapse() to make it huge: a copy of each costs more than the
 * faults it saves (about 2 s a GiB of 4 KiB pages against 0.06 s for
 * an empty block). */
#define COLLAPSE_MAX_PRESENT 16

/* Nonzero where the administrator turned transparent huge pages off
 * ("[never]" in /sys/kernel/mm/transparent_hugepage/enabled), which
 * MADV_COLLAPSE would not heed. */
static hc_aword collapse_off;
/* Collapses that failed in a row in this process, EAGAIN aside; at
 * COLLAPSE_MAX_FAILS it stops asking.  EINVAL is the kernel's answer
 * both for "never" (before Linux 6.1, shmem_enabled at "deny",
 * PR_SET_THP_DISABLE) and for a block that failed for a reason it has
 * no other code for (a nearly full tmpfs); ENOMEM and EBUSY, for no
 * free huge page or a memory cgroup at its limit, where compacting for
 * every block would cost more than the faults. */
static hc_aword collapse_fails;
#define COLLAPSE_MAX_FAILS 8u

int hc__collapse_stopped(void)
{
	/* ORDER: relaxed. Process-local figures a test reads. */
	return hc_atomic_load_relaxed(&collapse_off) ||
	       hc_atomic_load_relaxed(&collapse_fails) >= COLLAPSE_MAX_FAILS;
}

static pthread_once_t collapse_once = PTHREAD_ONCE_INIT;

static void collapse_setting(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char buf[128];

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && strstr(buf, "[never]"))
		/* ORDER: relaxed. Process-local; pthread_once orders it
		 * before every load after the call. */
		hc_atomic_store_relaxed(&collapse_off, 1);
	fclose(f);
}

/*
 * Give each 2 MiB block wholly inside [@lo, @hi) of the mapping one
 * huge page in the object (design.md, "Huge pages"): MADV_COLLAPSE does
 * it whatever shmem_enabled says, and its default, "never", refuses huge
 * pages to faults, so without it a large table costs a TLB miss per add
 * and a fault per 4 KiB.  Every process that maps the block then maps
 * it with one page-table entry.  For the memfd and shm homes (tmpfs), on
 * blocks nobody wrote or backed yet (grow.c: region_back, populate): a
 * block with more than COLLAPSE_MAX_PRESENT pages written or faulted
 * (mincore, which does not see pages reserved and never written) is
 * left as it is.  An empty block gets one page reserved first
 * (fallocate), which the kernel needs to collapse it.
 * Advice only, for the data and for every argument of design.md: the
 * kernel copies the pages it replaces under their page locks, after
 * taking every mapping of them away.  errno is kept.
 */
void hc__collapse(struct hc_table *t, unsigned char *lo, unsigned char *hi)
{
	const uint64_t huge = HC_HUGE_ALIGN;
	unsigned char vec[HC_HUGE_ALIGN / HC_PAGE];
	uintptr_t a = ((uintptr_t)lo + huge - 1) & ~(uintptr_t)(huge - 1);
	int saved = errno;

	if (t->fd < 0 || t->home == HC_HOME_FILE || !t->writable)
		return;
	(void)pthread_once(&collapse_once, collapse_setting);
	for (; a < (uintptr_t)hi && (uintptr_t)hi - a >= huge; a += huge) {
		unsigned char *p = (unsigned char *)a;
		uint64_t off = (uint64_t)(p - t->base);
		unsigned n = 0;
		int r = 0;

		if (hc__collapse_stopped())
			break;
		if (mincore(p, huge, vec) != 0)
			break;
		for (size_t i = 0; i < sizeof(vec); i++)
			n += vec[i] & 1;
		if (n > COLLAPSE_MAX_PRESENT)
			continue;
		if (n == 0 &&
		    fallocate(t->fd, 0, (off_t)off, (off_t)HC_PAGE) != 0)
			continue;
		/* EAGAIN: another process faults or collapses the block
		 * (populate), once more then. */
		for (int try = 0; try < 2; try++) {
			r = madvise(p, huge, MADV_COLLAPSE);
			if (r == 0 || errno != EAGAIN)
				break;
		}
		/* ORDER: relaxed. Process-local, a hint: threads that race
		 * here ask the kernel a few times more or fewer. */
		if (r == 0)
			hc_atomic_store_relaxed(&collapse_fails, 0);
		else if (errno != EAGAIN)
			/* ORDER: relaxed. As above. */
			hc_atomic_fetch_add_relaxed(&collapse_fails, 1);
	}
	errno = saved;
}

/*
 * The anonymous home: a memfd (shared memory with no name), mapped
 * shared, so forked workers inherit it.  Its first region is not
 * reserved (hc__back): a memfd lives on no device that can fill up, only
 * in memory, whose pages fault in as for any anonymous mapping (and a
 * fixed-size table is often far larger than what it holds).  Regions a
 * growth adds get only their last page (grow.c: region_back), unless
 * the kernel commits memory strictly.  The descriptor stays open in the handle:
 * hc_table_save() copies from it inside the kernel instead of
 * reading every page through this process's mapping, and a growing table
 * appends its generations to it.  -1 where memfd_create() is missing or
 * cannot be sized (then a MAP_ANONYMOUS mapping is used, which cannot
 * grow: design.md M8).
 */
static int anon_fd(uint64_t bytes)
{
	int fd;

	if (bytes > SIZE_MAX || bytes > (uint64_t)INT64_MAX)
		return -1;
	fd = memfd_create("hogcount", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, (off_t)bytes) != 0) {
		/* A file size limit (RLIMIT_FSIZE) applies to a memfd too,
		 * not to an anonymous mapping. */
		close(fd);
		fd = -1;
	}
	return fd;
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
	pthread_mutex_t *mu = malloc(sizeof(*mu));

	if (!t || !mu || pthread_mutex_init(mu, NULL) != 0) {
		free(t);
		free(mu);
		return NULL;
	}
	t->home = home;
	t->fd = fd;
	t->lock_fd = -1;
	t->writable = writable;
	t->map_lock = mu;
	return t;
}

static void handle_free(struct hc_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(t->map_lock);
	free(t->map_lock);
	free(t);
}

/*
 * Map the table behind @fd (or an anonymous shared mapping if @fd < 0)
 * into a new handle, from the validated header @h: the geometry first,
 * then the address range (grow.c: hc__reserve), then the pointers.
 * @init: copy @h into the mapping (a new table).
 */
static int handle_map(hc_table **out, int fd, int home, int writable,
		      const struct hc__header *h, uint64_t obj_bytes, int init)
{
	struct hc_table *t = handle_new(home, fd, writable);
	int prot = PROT_READ | (writable ? PROT_WRITE : 0), rc;

	if (!t)
		return HC_ENOMEM;
	hc__table_geom(t, h, fd);
	if (fd >= 0) {
		rc = hc__reserve(t, obj_bytes, fd, prot);
	} else {
		void *p = mmap(NULL, obj_bytes, prot,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		rc = p == MAP_FAILED ? HC_ENOMEM : HC_OK;
		if (!rc) {
			t->base = p;
			t->reserve = t->mapped = obj_bytes;
		}
	}
	if (rc) {
		handle_free(t);
		return rc;
	}
	if (init)
		memcpy(t->base, h, sizeof(*h));
	/* The mapped header must still be the one validated: the geometry
	 * came from the validated copy. */
	if (!init &&
	    memcmp(t->base, h, offsetof(struct hc__header, reserved0)) != 0) {
		munmap(t->base, t->reserve);
		handle_free(t);
		return HC_ECORRUPT;
	}
	hc__advise(t->base, obj_bytes);
	hc__table_bind(t, t->base, obj_bytes);
	*out = t;
	return HC_OK;
}

int hc_table_create(hc_table **out, const hc_options *opt)
{
	struct hc__header h;
	int rc, fd;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	rc = hc__layout(opt, &h);
	if (rc)
		return rc;
	fd = anon_fd(h.total_bytes);
	rc = handle_map(out, fd, HC_HOME_ANON, 1, &h, h.total_bytes, 1);
	if (rc && fd >= 0)
		close(fd);
	if (!rc) {
		hc__seal_register(*out);
		hc__collapse_first(*out);
	}
	return rc;
}

/* Shared by the shm and file homes once @fd is open and exclusive. */
static int create_on_fd(hc_table **out, int fd, int home,
			const struct hc__header *h)
{
	if (h->total_bytes > SIZE_MAX)
		return HC_ENOMEM;
	int rc;

	if (ftruncate(fd, (off_t)h->total_bytes) != 0)
		return errno == EFBIG || errno == EINVAL ? HC_ENOMEM : HC_EIO;
	/* Nobody else has the object yet (O_EXCL): fresh.  In /dev/shm
	 * the header page first, then generation 0 in huge pages
	 * (hc__collapse_first), then the rest: backed first, a block of
	 * 4 KiB pages would cost a copy to collapse.  Meanwhile the header
	 * has no magic, so that nobody opens a table whose pages are not
	 * all backed yet (D4): they find no table, as before the header is
	 * written. */
	struct hc__header h0 = *h;

	if (home == HC_HOME_SHM)
		h0.magic = 0;
	rc = hc__back(fd, 0,
		      home == HC_HOME_SHM ? HC_HEADER_SIZE : h->total_bytes,
		      HC__BACK_FRESH);
	if (rc)
		return rc;
	rc = handle_map(out, fd, home, 1, &h0, h->total_bytes, 1);
	if (rc)
		return rc;
	if (home == HC_HOME_SHM) {
		hc__collapse_first(*out);
		rc = hc__back(fd, 0, h->total_bytes, HC__BACK_FRESH);
		if (rc) {
			munmap((*out)->base, (*out)->reserve);
			handle_free(*out);
			*out = NULL;
			return rc;
		}
		/* ORDER: release. Publishes the header written by
		 * handle_map() and the backing above to a process that
		 * opens the object and finds the magic (open_fd reads the
		 * header through the object, after shm_open). Killed
		 * before it: an object with no table in it, as a creator
		 * killed before writing the header leaves. */
		hc_atomic_store_release((hc_aword *)&(*out)->hdr->magic,
					HC_MAGIC);
	}
	hc__seal_register(*out);
	return HC_OK;
}

int hc_table_create_shm(hc_table **out, const char *name, const hc_options *opt)
{
	struct hc__header h;
	hc_options o;
	unsigned perm;
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!valid_shm_name(name))
		return HC_EINVAL;
	rc = hc__options_read(opt, &o);
	if (!rc)
		rc = hc__layout(&o, &h); /* checks @perm too */
	if (rc)
		return rc;
	perm = o.perm;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, perm ? perm : 0600);
	if (fd < 0)
		return os_error();
	/* The umask applies to shm_open too; an explicit @perm wins. */
	rc = perm && fchmod(fd, perm) != 0 ? HC_EIO : HC_OK;
	if (!rc)
		rc = create_on_fd(out, fd, HC_HOME_SHM, &h);
	if (rc) {
		int saved = errno;

		close(fd);
		shm_unlink(name);
		errno = saved;
	}
	return rc;
}

/*
 * Make the table file whole before it has its name (design.md D1): an
 * unnamed file (O_TMPFILE) in @path's directory, sized, its header
 * written and flushed, then linked to @path, which fails with EEXIST if
 * the name is taken.  A process killed at any point leaves either no
 * file at @path or a valid empty table; a machine crash, the same.
 * Returns the descriptor, -1 with errno set, or -2 where the file system
 * or /proc cannot do it (the caller then creates in place).
 */
static int create_whole(const char *path, const struct hc__header *h,
			unsigned perm)
{
	char dir[PATH_MAX], fdpath[64];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;
	int fd, saved;

	if (n >= sizeof(dir))
		return -2;
	if (!slash)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = 0;
	}
	fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, perm ? perm : 0644);
	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL
			       ? -2
			       : -1;
	if (perm && fchmod(fd, perm) != 0) {
		saved = errno;
		goto fail;
	}
	if (ftruncate(fd, (off_t)h->total_bytes) != 0) {
		saved = errno == EFBIG || errno == EINVAL ? ENOMEM : errno;
		goto fail;
	}
	/* The unnamed file is this process's alone: fresh. */
	if (hc__back(fd, 0, h->total_bytes, HC__BACK_FRESH) != HC_OK) {
		saved = errno;
		goto fail;
	}
	if (pwrite(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
	    fdatasync(fd) != 0) {
		saved = errno;
		goto fail;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, fdpath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
		saved = errno;
		close(fd);
		if (saved == ENOENT && access("/proc/self/fd", F_OK) != 0)
			return -2; /* no /proc */
		errno = saved;
		return -1;
	}
	return fd;
fail:
	close(fd);
	errno = saved;
	return -1;
}

int hc_table_create_file(hc_table **out, const char *path,
			 const hc_options *opt)
{
	struct hc__header h;
	hc_options o;
	unsigned perm;
	int fd, rc;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!path || !*path)
		return HC_EINVAL;
	rc = hc__options_read(opt, &o);
	if (!rc)
		rc = hc__layout(&o, &h); /* checks @perm too */
	if (rc)
		return rc;
	perm = o.perm;
	if (h.total_bytes > SIZE_MAX || h.total_bytes > (uint64_t)INT64_MAX)
		return HC_ENOMEM;
	fd = create_whole(path, &h, perm);
	if (fd >= 0) {
		/* The writer's lock (L1), before the handle exists. */
		rc = hc__lock_writer(fd);
		if (!rc)
			rc = handle_map(out, fd, HC_HOME_FILE, 1, &h,
					h.total_bytes, 0);
		if (rc) {
			int saved = errno;

			close(fd);
			unlink(path);
			errno = saved;
		} else {
			hc__seal_register(*out);
		}
		return rc;
	}
	if (fd == -1)
		return os_error();
	/* No O_TMPFILE here: create in place (a kill during these few
	 * calls can leave a file that is not a table yet, D1). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		  perm ? perm : 0644);
	if (fd < 0)
		return os_error();
	rc = perm && fchmod(fd, perm) != 0 ? HC_EIO : HC_OK;
	if (!rc)
		rc = hc__lock_writer(fd); /* L1 */
	if (!rc)
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
 * Map a compact file (compact.c) behind @fd of @size bytes, whose first
 * @n bytes are in @hdr: read-only, in place, whole.  A compact table is
 * never written (design.md, "Compact files"): HC_OPEN_RDWR is refused
 * with HC_ERDONLY.
 */
static int open_compact(hc_table **out, int fd, int home, int flags,
			const void *hdr, size_t n, uint64_t size)
{
	struct hc__cheader ch;
	struct hc_table *t;
	void *p;
	int rc;

	if (flags & HC_OPEN_RDWR)
		return HC_ERDONLY;
	if (n < sizeof(ch))
		return HC_ECORRUPT;
	memcpy(&ch, hdr, sizeof(ch));
	rc = hc__cheader_validate(&ch, size);
	if (rc)
		return rc;
	if (size > SIZE_MAX)
		return HC_ENOMEM;
	t = handle_new(home, fd, 0);
	if (!t)
		return HC_ENOMEM;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		handle_free(t);
		return os_error();
	}
	/* The mapped header must still be the one validated. */
	rc = memcmp(p, &ch, sizeof(ch)) ? HC_ECORRUPT : HC_OK;
	if (!rc)
		rc = hc__compact_bind(t, p, &ch);
	if (rc) {
		munmap(p, (size_t)size);
		handle_free(t);
		return rc;
	}
	t->base = p;
	t->map_bytes = t->reserve = size;
	/* ORDER: relaxed. Process-local; nobody else has the handle yet. */
	hc_atomic_store_relaxed(&t->mapped, size);
	*out = t;
	return HC_OK;
}

/*
 * Map an existing table behind @fd: the header page first, validated
 * against the object's real size, then the whole table.
 */
static int open_fd(hc_table **out, int fd, int home, int flags)
{
	struct hc__header hdr;
	struct stat st;
	ssize_t n;
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
	if ((size_t)n >= sizeof(uint64_t) && hdr.magic == HC_CMAGIC)
		return open_compact(out, fd, home, flags, &hdr, (size_t)n,
				    (uint64_t)st.st_size);
	if ((size_t)n < sizeof(hdr))
		return HC_ECORRUPT;
	rc = hc__header_validate(&hdr, (uint64_t)st.st_size);
	if (rc)
		return rc;
	if (hdr.total_bytes > SIZE_MAX)
		return HC_ENOMEM;
	/* Map what the object holds now; generations published later are
	 * mapped when first used (grow.c: hc__map_upto). */
	rc = handle_map(out, fd, home, writable, &hdr,
			hdr.max_capacity != hdr.capacity &&
					(uint64_t)st.st_size > hdr.total_bytes
				? (uint64_t)st.st_size / HC_PAGE * HC_PAGE
				: hdr.total_bytes,
			0);
	/* A writer backs what it may store to: a table written before
	 * regions were backed may be sparse (design.md D4). */
	if (!rc && writable) {
		rc = hc__back_live(*out);
		if (rc) {
			munmap((*out)->base, (*out)->reserve);
			handle_free(*out);
			*out = NULL;
		}
	}
	return rc;
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
	} else if (flags == HC_OPEN_RDWR) {
		hc__seal_register(*out);
	}
	return rc;
}

/*
 * A writer's lock on the file behind @fd, opened from @path (design.md
 * L1): HC_OK, HC_EBUSY, HC_EIO, or 1 when @path names another file by
 * the time the lock is held (it was replaced: open it again).  A file
 * under this process's exclusive hc_lock takes none: *lock_fd is a
 * duplicate of that lock's descriptor, which holds the lock with it and,
 * once the hc_lock is released, a writer's lock (lock.c).
 */
static int lock_writer(int fd, const char *path, int *lock_fd)
{
	struct stat st;
	int rc;

	*lock_fd = -1;
	if (fstat(fd, &st) != 0)
		return HC_EIO;
	*lock_fd = hc__lock_mine((uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (*lock_fd >= 0)
		return HC_OK;
	rc = hc__lock_writer(fd);
	if (rc)
		return rc;
	rc = hc__lock_same_file(fd, path);
	return rc < 0 ? HC_EIO : rc == 0;
}

int hc_table_open(hc_table **out, const char *path, int flags)
{
	int fd, rc, lock_fd = -1;

	if (!out)
		return HC_EINVAL;
	*out = NULL;
	if (!path || !*path || !check_flags(flags))
		return HC_EINVAL;
	for (;;) {
		fd = open(path, (flags == HC_OPEN_RDWR ? O_RDWR : O_RDONLY) |
					O_CLOEXEC);
		if (fd < 0)
			return os_error_existing();
		rc = flags == HC_OPEN_RDWR ? lock_writer(fd, path, &lock_fd)
					   : HC_OK;
		if (rc != 1)
			break;
		close(fd); /* replaced under us: the file there now */
	}
	if (!rc)
		rc = open_fd(out, fd, HC_HOME_FILE, flags);
	if (rc) {
		int saved = errno;

		close(fd);
		if (lock_fd >= 0)
			close(lock_fd);
		errno = saved;
	} else if (flags == HC_OPEN_RDWR) {
		(*out)->lock_fd = lock_fd;
		hc__seal_register(*out);
		/* A writer of the file also clears what killed savers of it
		 * left (L4), as a save of it would. */
		hc__lock_clean_tmp(path);
	}
	return rc;
}

/* A failed write, fsync or ftruncate (hc_internal.h). */
int hc__write_error(void)
{
	return errno == ENOSPC || errno == EDQUOT ? HC_ENOSPC : HC_EIO;
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
			return hc__write_error();
		}
		p += n;
		len -= (uint64_t)n;
	}
	return HC_OK;
}

/*
 * Copy @len bytes at object offset @in_off to offset @out_off of @out.
 * From the object behind the mapping where there is one: sendfile()
 * copies page-cache pages inside the kernel, whereas write() from the
 * mapping takes a page fault in this process on every page the workers
 * touched (fork() does not share page tables; on a VM each such fault
 * costs microseconds).  Falls back to write() from the mapping where the
 * kernel refuses (EINVAL, ENOSYS) before copying anything.
 */
static int copy_out(const hc_table *t, int out, uint64_t in_off,
		    uint64_t out_off, uint64_t len)
{
	if (t->fd >= 0 &&
	    lseek(out, (off_t)out_off, SEEK_SET) == (off_t)out_off) {
		off_t in = (off_t)in_off;

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
			    (uint64_t)in == in_off)
				break; /* not supported here: write() */
			return hc__write_error();
		}
		if (!len)
			return HC_OK;
	}
	if (lseek(out, (off_t)out_off, SEEK_SET) != (off_t)out_off)
		return HC_EIO;
	return write_all(out, t->base + in_off, len);
}

/*
 * Byte-key slots, copied through this process with an acquire load of
 * each word, so that the key-area bump pointer read after the copy
 * covers every ref copied (design.md G2).
 */
static int copy_slots_acquire(const struct hc__slot *s, uint64_t n, int out,
			      uint64_t out_off)
{
	enum { CHUNK = 4096 };
	uint64_t buf[2 * CHUNK];
	int rc = HC_OK;

	if (lseek(out, (off_t)out_off, SEEK_SET) != (off_t)out_off)
		return HC_EIO;
	for (uint64_t i = 0; i < n && !rc; i += CHUNK) {
		uint64_t m = n - i < CHUNK ? n - i : CHUNK;

		for (uint64_t j = 0; j < m; j++) {
			/* ORDER: acquire. Pairs with the release CAS that
			 * published the ref in probe_bytes() (kind_bytes.c):
			 * the entry's allocation (the bump-pointer CAS, before
			 * that release) happens before the bump pointer is
			 * read below (design.md G2). */
			buf[2 * j] = hc_atomic_load_acquire(&s[i + j].word);
			/* ORDER: relaxed. A count publishes nothing (G3). */
			buf[2 * j + 1] =
				hc_atomic_load_relaxed(&s[i + j].count);
		}
		rc = write_all(out, (const unsigned char *)buf, m * sizeof(*s));
	}
	return rc;
}

static uint64_t round_up64(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/*
 * Write the current generation of @t compactly to @fd: a header that
 * describes it as generation 0, its slots, then the key area (up to its
 * bump pointer) or the packed overflow area.  Returns 1 when a growth
 * began during the copy (the caller starts again), else a status.
 */
static int save_gen(hc_table *t, int fd, unsigned g)
{
	struct hc__header hh;
	struct hc__gv v;
	uint64_t sb, aoff = 0, au = 0, total, hh_arena = 0;
	unsigned cur, top;
	int rc;

	rc = hc__gen_view(t, g, &v);
	if (rc)
		return rc;
	sb = v.capacity * v.ssize;
	if (t->ops->flags & HC_KIND_REFS)
		rc = copy_slots_acquire(v.slots, v.capacity, fd,
					HC_HEADER_SIZE);
	else
		rc = copy_out(t, fd,
			      (uint64_t)((unsigned char *)v.slots - t->base),
			      HC_HEADER_SIZE, sb);
	if (rc)
		return rc;
	total = HC_HEADER_SIZE + sb;
	if (t->ops->gen_area) {
		/* The generation's own area (narrow: its overflow area). */
		uint64_t sz = hc__gen_area(t->ops, t->key_bits, v.capacity);

		aoff = round_up64(total, 64);
		rc = copy_out(t, fd,
			      (uint64_t)((unsigned char *)v.ovf - t->base),
			      aoff, sz);
		if (rc)
			return rc;
		total = aoff + sz;
		hh_arena = sz;
	} else if (t->hdr->arena_offset) {
		uint64_t sz = t->hdr->arena_bytes;

		aoff = round_up64(total, 64);
		if (t->arena) {
			/* ORDER: acquire. Pairs with the CAS in
			 * hc__arena_append() (arena.c); after the acquire
			 * loads of every copied ref, so it bounds them all
			 * (design.md G2). */
			au = hc_atomic_load_acquire(&t->hdr->arena_used);
			if (!t->grows && au > t->arena_bytes)
				au = t->arena_bytes;
			/* The used logical range, chunk by chunk, becomes one
			 * contiguous key area: refs keep their offsets. */
			for (unsigned i = 0; !rc && i < HC_GEN_MAX; i++) {
				uint64_t start, size, n;
				unsigned char *c;

				hc__arena_chunk(
					t,
					t->arena_bytes *
						((UINT64_C(1) << i) - 1),
					&start, &size);
				if (start >= au)
					break;
				rc = hc__arena_chunk_ptr(t, i, &c);
				n = au - start < size ? au - start : size;
				if (!rc)
					rc = copy_out(t, fd,
						      (uint64_t)(c - t->base),
						      aoff + start, n);
			}
			if (au > sz)
				sz = round_up64(au, 8);
		} else {
			rc = copy_out(t, fd, t->hdr->arena_offset, aoff, sz);
		}
		if (rc)
			return rc;
		total = aoff + sz;
		hh_arena = sz;
	}
	rc = hc__gen_bounds(t, &cur, &top);
	if (rc)
		return rc;
	if (cur != g || top != g)
		return 1; /* frozen slots may have been copied: again */
	memcpy(&hh, t->hdr, sizeof(hh));
	hh.capacity = v.capacity;
	hh.slot_size = v.ssize;
	hh.max_probe = v.max_probe;
	hh.slots_bytes = sb;
	if (aoff) {
		hh.arena_offset = aoff;
		hh.arena_bytes = hh_arena;
	}
	hh.total_bytes = total;
	if (!t->grows)
		hh.max_capacity = hh.capacity;
	hh.check = hc__header_check(&hh);
	hh.arena_used = t->arena ? au : 0;
	hh.cur = 0;
	/* The copy has one generation and nobody in it (M9). */
	hh.freed = 0;
	hh.pin_over = 0;
	hh.expect = 0;
	for (unsigned i = 0; i < HC_PINS; i++)
		hh.pins[i] = 0;
	hh.obj_end = round_up64(total, HC_PAGE);
	/* Live with no writer: hc_table_save() seals the copy (seal.c). */
	hh.seal = HC_SEAL_WORD(HC_SEAL_TAG_LIVE, UINT64_C(0), UINT64_C(0));
	hh.header_sum = 0;
	memset(hh.gens, 0, sizeof(hh.gens));
	hh.gens[0].slots_off = HC_HEADER_SIZE;
	/* ORDER: relaxed. A figure carried into the copy (M7). */
	hh.gens[0].claimed = hc_atomic_load_relaxed(&t->hdr->gens[g].claimed);
	/* ORDER: relaxed. A count publishes nothing (G3). */
	hh.zero_count = hc_atomic_load_relaxed(&t->hdr->zero_count);
	if (pwrite(fd, &hh, sizeof(hh), 0) != (ssize_t)sizeof(hh))
		return hc__write_error();
	if (ftruncate(fd, (off_t)total) != 0)
		return hc__write_error();
	return HC_OK;
}

/* A read-only handle cannot help a migration in flight: rebuild the
 * table from a walk instead (iteration gives G2 during a growth). */
static int save_rebuild(hc_table *t, const char *tmp)
{
	unsigned char user[HC_USER_MAX];
	hc_options o;
	hc_table *d;
	size_t ulen;
	int rc;

	unlink(tmp);
	rc = hc_table_options(t, &o);
	if (!rc)
		rc = hc_table_create_file(&d, tmp, &o);
	if (rc)
		return rc;
	rc = hc_table_merge(d, t);
	if (!rc)
		rc = hc_table_get_user(t, user, sizeof(user), &ulen);
	if (!rc)
		rc = hc_table_set_user(d, user, ulen);
	if (!rc)
		rc = hc_table_sync(d);
	if (hc_table_close(d) && !rc)
		rc = HC_EIO;
	return rc;
}

/* Seal the copy hc_table_save() wrote to @fd: map it as a table (which
 * also checks the header it wrote), hash it and mark it sealed. */
static int seal_copy(int fd)
{
	hc_table *d;
	int rc, fd2 = dup(fd);

	if (fd2 < 0)
		return HC_EIO;
	rc = open_fd(&d, fd2, HC_HOME_FILE, HC_OPEN_RDWR);
	if (rc) {
		close(fd2);
		return rc;
	}
	rc = hc__seal_now(d);
	if (hc_table_close(d) && !rc)
		rc = HC_EIO;
	return rc;
}

/* A compact file is saved as the bytes it is (it never changes). */
static int save_copy(hc_table *t, int fd)
{
	int rc = copy_out(t, fd, 0, 0, t->map_bytes);

	if (!rc && ftruncate(fd, (off_t)t->map_bytes) != 0)
		rc = HC_EIO;
	return rc;
}

/* A compact copy of a table that a read-only handle finds growing (the
 * walk, G2 during a growth), or of a compact file with keys of @more to
 * add: rebuilt in memory, then written compact with @more merged in. */
static int save_compact_rebuild(hc_table *t, int fd, const hc_key_stream *more)
{
	unsigned char user[HC_USER_MAX];
	hc_options o;
	hc_table *d;
	size_t ulen;
	int rc;

	rc = hc_table_options(t, &o);
	if (!rc)
		rc = hc_table_create(&d, &o);
	if (rc)
		return rc;
	rc = hc_table_merge(d, t);
	if (!rc)
		rc = hc_table_get_user(t, user, sizeof(user), &ulen);
	if (!rc)
		rc = hc_table_set_user(d, user, ulen);
	while (!rc && (rc = hc__compact_write(d, fd, more)) == 1)
		rc = ftruncate(fd, 0) ? HC_EIO : HC_OK;
	hc_table_close(d);
	return rc;
}

static int save_any(const hc_table *ct, const char *path, int compact,
		    const hc_key_stream *more);

int hc_table_save(const hc_table *ct, const char *path)
{
	return save_any(ct, path, 0, NULL);
}

int hc_table_save_compact(const hc_table *ct, const char *path)
{
	return save_any(ct, path, 1, NULL);
}

/* The fields of the first hc_key_stream. */
#define HC_KEY_STREAM_SIZE0 (offsetof(hc_key_stream, arg) + sizeof(void *))

int hc_table_save_compact_with(const hc_table *ct, const char *path,
			       const hc_key_stream *more)
{
	if (!ct || !more)
		return save_any(ct, path, 1, NULL);
	if (more->size < HC_KEY_STREAM_SIZE0 ||
	    (more->n &&
	     (!more->key || !more->counts == !hc__stream_count(more))))
		return HC_EINVAL;
	if (!ct->ops->get_bytes) /* an integer kind */
		return HC_EMISUSE;
	/* No keys to add: the file of hc_table_save_compact(). */
	return save_any(ct, path, 1, more->n ? more : NULL);
}

/* @more: keys merged into a compact file (byte keys; NULL: none). */
static int save_any(const hc_table *ct, const char *path, int compact,
		    const hc_key_stream *more)
{
	/* The handle's mapping grows as generations are published; the
	 * table itself is only read here (or helped, M5). */
	hc_table *t = (hc_table *)ct;
	char *tmp;
	size_t n;
	int fd, rc;

	if (!t || !path || !*path)
		return HC_EINVAL;
	/* Dense tables have no compact layout. */
	compact = compact && t->ops->cx_check;
	n = strlen(path) + 32;
	tmp = malloc(n);
	if (!tmp)
		return HC_ENOMEM;
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	hc__lock_clean_tmp(path); /* a killed saver's (L4) */
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return os_error();
	}
	rc = hc__lock_tmp(fd);
	if (rc) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	for (;;) {
		unsigned cur, top;
		int pin;

		if (t->cx) {
			rc = more ? save_compact_rebuild(t, fd, more)
				  : save_copy(t, fd);
			break;
		}
		pin = hc__pin(t); /* the generation copied (M9) */
		rc = hc__gen_bounds(t, &cur, &top);
		if (!rc && cur != top) {
			if (!t->writable) {
				hc__unpin(t, pin);
				if (compact) {
					rc = save_compact_rebuild(t, fd, more);
					break;
				}
				close(fd);
				fd = -1;
				rc = save_rebuild(t, tmp);
				break;
			}
			hc__pin_helping(t, pin, cur);
			rc = hc__help(t, cur);
			hc__unpin(t, pin);
			if (!rc)
				continue;
			break;
		}
		if (!rc)
			rc = compact ? hc__compact_write(t, fd, more)
				     : save_gen(t, fd, cur);
		hc__unpin(t, pin);
		if (rc != 1)
			break;
		if (ftruncate(fd, 0) != 0) {
			rc = HC_EIO;
			break;
		}
	}
	if (fd >= 0) {
		struct stat st;

		/* Blocks for every byte of the copy, the gaps the writers
		 * skipped too: a reader of it on a full device must not
		 * fault on a hole (design.md D4).  The copy is fresh. */
		if (!rc)
			rc = fstat(fd, &st) != 0
				     ? HC_EIO
				     : hc__back(fd, 0, (uint64_t)st.st_size,
						HC__BACK_FRESH);
		if (!rc && !compact && !t->cx)
			rc = seal_copy(fd); /* a compact file has its own sum */
		if (!rc && fsync(fd) != 0)
			rc = hc__write_error();
		if (close(fd) != 0 && !rc)
			rc = HC_EIO;
	}
	if (!rc) {
		/* Never over a file a writer holds (L3); locked until the
		 * new file has the name. */
		int lfd;

		rc = hc__lock_replace(path, &lfd);
		if (!rc && rename(tmp, path) != 0)
			rc = os_error();
		if (lfd >= 0)
			close(lfd);
	}
	if (rc) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
	}
	free(tmp);
	return rc;
}

/*
 * fsync, not msync of this handle's mapping: the file may hold
 * generations other processes published that this one has not mapped,
 * and counts a migration moved there (design.md D3).  Stores through a
 * shared mapping dirty the page cache, which fsync writes back.
 */
int hc_table_sync(hc_table *t)
{
	if (!t)
		return HC_EINVAL;
	if (t->home != HC_HOME_FILE || !t->writable)
		return HC_OK;
	if (fsync(t->fd) != 0)
		return HC_EIO;
	return HC_OK;
}

int hc_table_prefault(hc_table *t)
{
	unsigned char *start;
	uint64_t end;
	int pin, rc, err;

	if (!t)
		return HC_EINVAL;
	/* The header page and the slots (or counters); the key area fills
	 * from its start and is left to fault as it grows.  A grown table:
	 * the slots of its current generation. */
	end = t->arena ? (uint64_t)(t->arena - t->base) : t->map_bytes;
	start = t->base;
	/* Pinned: populating a generation given back meanwhile would take
	 * its memory again (M9).  A writable handle helps a growth in
	 * flight to its end first, so that it populates the new generation,
	 * not blocks of the old one already given back. */
	pin = hc__pin(t);
	if (t->grows) {
		struct hc__gv v;

		rc = hc__view_now(t, &v, t->writable, pin);
		if (rc) {
			hc__unpin(t, pin);
			return rc;
		}
		start = (unsigned char *)v.packed;
		end = v.capacity * v.ssize;
		if (v.g == 0) {
			start = t->base;
			end += HC_HEADER_SIZE;
		}
	}
	rc = madvise(start, end,
		     t->writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	err = errno;
	hc__unpin(t, pin);
	if (rc == 0)
		return HC_OK;
	switch (err) {
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
	/* Pending deltas reach the table before it is sealed or unmapped. */
	rc = hc__caches_close(t);
	if (t->view_pin && t->view_pin_pid == hc__pid())
		hc__unpin(t, t->view_pin);
	(void)hc__reclaim(t); /* what this process held back (M9) */
	/* The last writer of a file seals it; a failure leaves it live. */
	(void)hc__seal_close(t);
	if (munmap(t->base, t->reserve) != 0 && rc == HC_OK)
		rc = HC_EIO;
	if (t->cx) {
		free(t->cx->flat);
		free(t->cx);
		free(t->hdr); /* the heap copy (compact.c) */
	}
	if (t->fd >= 0 && close(t->fd) != 0 && rc == HC_OK)
		rc = HC_EIO;
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* after the seal (L1) */
	handle_free(t);
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
