/* SPDX-License-Identifier: MIT */
/*
 * util.c - messages, number parsing, allocation, and key text through
 * the key layer (docs/cli.md, "Key text").
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *cli_cmd = "";

void cli_error(const char *what, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (what)
		fprintf(stderr, "hogcount %s: %s: %s\n", cli_cmd, what, msg);
	else
		fprintf(stderr, "hogcount %s: %s\n", cli_cmd, msg);
}

/* Two lines, so that the one the handler reads is never being written:
 * cli_sigbus_table() writes the other, then switches. */
static char sigbus_lines[2][PATH_MAX + 128];
static size_t sigbus_lens[2];
static volatile sig_atomic_t sigbus_which;
static pid_t sigbus_main_pid;

static void on_sigbus(int sig)
{
	int i = sigbus_which;

	(void)sig;
	/* Only async-signal-safe calls here: write(), getpid(), _exit(). */
	if (sigbus_lens[i])
		(void)!write(STDERR_FILENO, sigbus_lines[i], sigbus_lens[i]);
	_exit(getpid() == sigbus_main_pid ? 1 : EXIT_WORKER_SAID);
}

void cli_sigbus_table(const char *name)
{
	int i = !sigbus_which;
	int n = snprintf(sigbus_lines[i], sizeof(sigbus_lines[i]),
			 "hogcount: %s%sthe file system could not supply a "
			 "page (full disk?)\n",
			 name ? name : "", name ? ": " : "");

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(sigbus_lines[i]))
		n = (int)sizeof(sigbus_lines[i]) - 1;
	sigbus_lens[i] = (size_t)n;
	sigbus_which = i;
}

void cli_sigbus_install(void)
{
	struct sigaction sa;

	sigbus_main_pid = getpid();
	cli_sigbus_table(NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGBUS, &sa, NULL);
}

void save_error(const char *path, int rc)
{
	if (rc == HC_ENOSPC || (rc == HC_EIO && errno == ENOSPC))
		cli_error(path, "no space left on the device; nothing was "
				"written");
	else
		cli_error(path, "%s",
			  rc == HC_EIO ? strerror(errno) : hc_strerror(rc));
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		static const char units[] = "kmgt";
		const char *u = strchr(units, end[0] | 0x20);
		int bin = (end[1] == 'i' || end[1] == 'I');

		if (!u || !end[0])
			return -1;
		if (end[1 + bin])
			return -1;
		for (long i = 0; i <= u - units; i++)
			mul *= bin ? 1024 : 1000;
	}
	if (mul > 1 && v > UINT64_MAX / mul)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		cli_error(NULL, "out of memory");
		exit(1);
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		cli_error(NULL, "out of memory");
		exit(1);
	}
	return p;
}

void escape_write(FILE *f, const unsigned char *s, size_t len)
{
	char buf[4 * 256];

	while (len) {
		size_t n = len < 256 ? len : 256;

		fwrite(buf, 1, hck_escape(s, n, buf), f);
		s += n;
		len -= n;
	}
}

int shm_name(const char *what, const char *arg, char *buf, size_t cap)
{
	const char *name = arg[0] == '/' ? arg + 1 : arg;
	size_t n = strlen(name);

	if (!n || strchr(name, '/') || n + 1 > NAME_MAX || n + 2 > cap) {
		cli_error(what,
			  "'%s' is not a shared-memory table name (1..%d "
			  "bytes, no '/' but a leading one)",
			  arg, NAME_MAX - 1);
		return -1;
	}
	buf[0] = '/';
	memcpy(buf + 1, name, n + 1);
	return 0;
}

/*
 * A named table is attached read-write where the user may: a writable
 * handle pins the generations it reads, so a walk of a table that grows
 * under it misses no key (design.md M9, "Read-only handles"), and it
 * helps a growth in flight rather than waiting for it.  It adds nothing.
 * Read-only where the object's mode allows no more.
 */
static int shm_attach(const char *path, hc_table **t)
{
	char name[NAME_MAX + 2];
	int rc;

	if (shm_name(path, path + strlen(SHM_PREFIX), name, sizeof(name)))
		return -1;
	rc = hc_table_attach(t, name, HC_OPEN_RDWR);
	/* HC_ENOSPC: a sparse object of an older hogcount that a full
	 * /dev/shm cannot back.  Read-only, a reader that meets a hole
	 * still faults: the SIGBUS handler says so in one line. */
	if ((rc == HC_EIO && (errno == EACCES || errno == EROFS)) ||
	    rc == HC_ENOSPC)
		rc = hc_table_attach(t, name, HC_OPEN_RDONLY);
	if (rc == HC_ENOENT || (rc == HC_EIO && errno == ENOENT))
		cli_error(path, "no such shared-memory table (/dev/shm%s)",
			  name);
	else if (rc == HC_EIO)
		cli_error(path, "%s", strerror(errno));
	else if (rc)
		cli_error(path, "%s", hc_strerror(rc));
	return rc ? -1 : 0;
}

int table_open(const char *path, hc_table **t)
{
	int rc;

	cli_sigbus_table(path);
	if (!strncmp(path, SHM_PREFIX, strlen(SHM_PREFIX)))
		return shm_attach(path, t);
	rc = hc_table_open(t, path, HC_OPEN_RDONLY);
	if (rc == HC_EIO || rc == HC_ENOENT)
		cli_error(path, "%s", strerror(errno ? errno : ENOENT));
	else if (rc)
		cli_error(path, "%s", hc_strerror(rc));
	return rc ? -1 : 0;
}

int table_open_meta(const char *path, hc_table **t, hck_meta *m)
{
	int rc;

	if (table_open(path, t))
		return -1;
	rc = hck_meta_load(*t, m);
	if (rc) {
		cli_error(path, "not a table written by hogcount count (%s)",
			  hc_strerror(rc));
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

int meta_refuse(const char *path, const hck_meta *have, const hck_meta *want,
		const char *as)
{
	if (have->tokens == want->tokens && have->k == want->k &&
	    have->canonical == want->canonical)
		return 0;
	cli_error(path, "holds %s k=%u%s, not %s k=%u%s as %s",
		  hck_tokens_name(have->tokens), have->k,
		  have->canonical ? " canonical" : "",
		  hck_tokens_name(want->tokens), want->k,
		  want->canonical ? " canonical" : "", as);
	return -1;
}

void key_write(FILE *f, const hck_meta *m, const hc_entry *e)
{
	unsigned char buf[HCK_INT_TEXT_MAX];
	const unsigned char *text;
	size_t len;

	if (hck_entry_text(m, e, buf, &text, &len))
		return;
	if (m->tokens == HCK_DNA)
		fwrite(text, 1, len, f);
	else
		escape_write(f, text, len);
}

int bad_option(char **argv)
{
	const char *arg = argv[optind - 1];

	if (optopt && arg[0] == '-' && arg[1] != '-')
		cli_error(arg,
			  "invalid option or missing value (see hogcount %s "
			  "--help)",
			  cli_cmd);
	else
		cli_error(arg,
			  "unrecognized option or missing value (see hogcount "
			  "%s --help)",
			  cli_cmd);
	return EXIT_USAGE;
}

int output_is_input(const char *out, char *const *inputs, size_t n)
{
	struct stat so, si;

	if (stat(out, &so))
		return 0; /* not there yet: nothing to overwrite */
	for (size_t i = 0; i < n; i++) {
		int rc = strcmp(inputs[i], "-") ? stat(inputs[i], &si)
						: fstat(0, &si);

		if (!rc && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			if (strcmp(inputs[i], "-") && strcmp(inputs[i], out))
				cli_error(out,
					  "is the input %s: refusing to "
					  "overwrite an input",
					  inputs[i]);
			else
				cli_error(out, "is also an input: refusing to "
					       "overwrite an input");
			return 1;
		}
	}
	return 0;
}

int out_open(struct out_file *o, const char *path)
{
	struct stat st;
	size_t n = strlen(path) + 16;
	mode_t mask;
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		if (!o->f) {
			cli_error(path, "%s", strerror(errno));
			return -1;
		}
		return 0;
	}
	o->tmp = xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		cli_error(path, "%s", strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	/* mkstemp() makes 0600; give what fopen() would have. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) || !(o->f = fdopen(fd, "w"))) {
		cli_error(path, "%s", strerror(errno));
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	return 0;
}

void out_abort(struct out_file *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
	}
	memset(o, 0, sizeof(*o));
}

int out_commit(struct out_file *o)
{
	int err = 0;

	if (fflush(o->f) || ferror(o->f))
		err = errno ? errno : EIO;
	if (!err && o->tmp && fsync(fileno(o->f)))
		err = errno;
	if (fclose(o->f) && !err)
		err = errno ? errno : EIO;
	o->f = NULL;
	if (!err && o->tmp && rename(o->tmp, o->path))
		err = errno;
	if (err) {
		cli_error(o->path, "%s", strerror(err));
		out_abort(o);
		return -1;
	}
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	return 0;
}

/* Whether /proc/PID/fdinfo/FD lists a lock of that descriptor. */
static int fd_has_lock(const char *pid, const char *fd)
{
	char p[600], line[256];
	int yes = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = !strncmp(line, "lock:", 5);
	fclose(f);
	return yes;
}

/* Whether process @pid has the file (@dev, @ino) open with a lock. */
static int pid_holds(const char *pid, dev_t dev, ino_t ino)
{
	char p[300], fp[600];
	struct dirent *e;
	struct stat st;
	int yes = 0;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%s/fd", pid);
	d = opendir(p);
	if (!d)
		return 0;
	while (!yes && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(fp, sizeof(fp), "%s/%s", p, e->d_name);
		if (stat(fp, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			yes = fd_has_lock(pid, e->d_name);
	}
	closedir(d);
	return yes;
}

void lock_holders(const char *path, char *buf, size_t cap)
{
	struct dirent *e;
	struct stat st;
	size_t used = 0;
	unsigned n = 0;
	char self[32];
	DIR *d;

	snprintf(buf, cap, "another process");
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	if (stat(path, &st) != 0 || !(d = opendir("/proc")))
		return;
	while ((e = readdir(d)) && n < 8) {
		char comm[64] = "?", p[300];
		FILE *f;
		int w;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    !strcmp(e->d_name, self) ||
		    !pid_holds(e->d_name, st.st_dev, st.st_ino))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		f = fopen(p, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		w = snprintf(buf + used, cap - used, "%spid %s (%s)",
			     n ? ", " : "", e->d_name, comm);
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
		n++;
	}
	closedir(d);
}

int out_lock_take(const char *out, hc_lock **l)
{
	char who[256];
	int rc = hc_lock_acquire(l, out, HC_LOCK_EXCLUSIVE);

	if (rc == HC_OK || rc == HC_ENOENT ||
	    (rc == HC_EIO && (errno == EACCES || errno == EROFS)))
		return 0; /* not writable here: the save probes it (L3) */
	if (rc == HC_EBUSY) {
		lock_holders(out, who, sizeof(who));
		cli_error(out,
			  "in use: %s writes it; choose another output, or "
			  "wait for it to finish",
			  who);
	} else {
		cli_error(out, "%s",
			  rc == HC_EIO ? strerror(errno) : hc_strerror(rc));
	}
	return -1;
}
