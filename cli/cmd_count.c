/* SPDX-License-Identifier: MIT */
/*
 * cmd_count.c - hogcount count: N forked workers add the tokens of many
 * inputs into one table, then the parent writes it with
 * hc_table_save_compact() (hc_table_save() with --no-compact; temporary
 * name, fsync, rename).  The table lives in one of three
 * homes: an anonymous shared mapping (the default), a named POSIX
 * shared-memory object that other processes attach and read while the
 * count runs (--shm NAME), or the table file of --into itself, grown in
 * place.
 *
 * Interrupted (SIGINT, SIGTERM, SIGHUP): the workers are killed and
 * nothing is written.  The anonymous mapping dies with the processes; a
 * --shm object is unlinked on every exit path that follows its creation
 * (kept only after a count that succeeded, with --keep-shm).  Workers
 * die with the parent (PR_SET_PDEATHSIG) if it is killed outright; only
 * then, with nobody left to unlink it, does a --shm object stay behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "count_opts.h"
#include "progress.h"
#include "hogcount_input.h"
#include "tables.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount count [OPTIONS] FILE...\n"
		"Count byte fragments, word n-grams or DNA k-mers of order K "
		"in\n"
		"FILEs (plain, FASTA, FASTQ; gzip, xz, bzip2 or zstd; \"-\" "
		"is\n"
		"standard input)\n"
		"with N worker processes adding into one shared table.\n"
		"\n");
	count_opts_usage(f, 0);
}

static void worker_main(hci_job *w, hc_table *t, const hck_meta *m,
			hck_ids *ids, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Map the whole table into this process in one pass: faulting it
	 * in one random add at a time costs several times more. */
	(void)hc_table_prefault(t);
	/* The input layer's loop; a failure is the job's, printed by the
	 * parent. */
	_exit((ids ? hci_job_count_ids(w, ids) : hci_job_count(w, t, m)) ? 1
									 : 0);
}

/*
 * Whether this process, after a save that read the table through its
 * mapping (the compact layout), mapped 64 MiB or more of shared memory
 * (Pss_Shmem in /proc/self/smaps_rollup) and none of it with huge pages
 * (ShmemPmdMapped): then the table had 4 KiB pages (docs/cli.md, "Huge
 * pages").  0 where smaps cannot be read, and after hc_table_save(),
 * which copies in the kernel and leaves too little mapped to tell.
 */
static int table_pages_small(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long long kb, rss = -1, pmd = -1;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Pss_Shmem: %lld kB", &kb) == 1)
			rss = kb;
		else if (sscanf(line, "ShmemPmdMapped: %lld kB", &kb) == 1)
			pmd = kb;
	}
	fclose(f);
	return rss >= 64 * 1024 && pmd == 0;
}

/* Fork the workers and wait for them.  Returns 0, or 1 if one failed
 * (the message is printed), or 128 + signal if interrupted.  @limited:
 * --max-size was given.  @left: what a failure leaves where that is
 * more than nothing (--into in place), else NULL. */
static int run_workers(hci_job *w, hc_table *t, const hck_meta *m, hck_ids *ids,
		       unsigned nworkers, int quiet, int limited,
		       const char *tname, const char *left)
{
	pid_t pids[COUNT_MAX_WORKERS], parent = getpid();
	unsigned alive = 0, i;
	struct progress pr;
	hci_stats js = { .size = sizeof(js) };
	int failed = 0, status, code;
	char why[128] = "";
	const char *gone = left ? left : "nothing was written";
	const char *what, *msg;

	fflush(NULL);
	for (i = 0; i < nworkers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			snprintf(why, sizeof(why), "fork: %s", strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0)
			worker_main(w, t, m, ids, parent);
		pids[i] = pid;
		alive++;
	}
	nworkers = i;
	progress_start(&pr, quiet);
	while (alive) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			for (i = 0; i < nworkers; i++)
				if (pids[i] == pid)
					pids[i] = 0;
			alive--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				if (!failed && WIFEXITED(status) &&
				    WEXITSTATUS(status) == EXIT_WORKER_SAID)
					/* It printed its line (SIGBUS). */
					snprintf(why, sizeof(why), "-");
				else if (!failed && WIFSIGNALED(status) &&
					 WTERMSIG(status) == SIGBUS)
					/* A page of a tmpfs or file home
					 * that could not be backed. */
					snprintf(
						why, sizeof(why),
						"worker killed by SIGBUS: no "
						"room for the table's pages "
						"(/dev/shm or the disk full?)");
				else if (!failed && WIFSIGNALED(status))
					snprintf(why, sizeof(why),
						 "worker killed by signal %d",
						 WTERMSIG(status));
				else if (!failed)
					snprintf(why, sizeof(why),
						 "worker exited with status %d",
						 WEXITSTATUS(status));
				failed = 1;
			}
		} else if (pid < 0 && errno != EINTR) {
			break;
		} else if (pid == 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			hci_job_stats(w, &js);
			progress_update(&pr, js.done,
					js.have_stdin ? 0 : js.total);
			/* Sizes the table's last growth to the keys
			 * (hc_table_set_progress); only a hint. */
			(void)hc_table_set_progress(
				t, js.done, js.have_stdin ? 0 : js.total);
		}
		if (failed || got_signal)
			for (i = 0; i < nworkers; i++)
				if (pids[i])
					kill(pids[i], SIGKILL);
	}
	progress_end(&pr);
	if (got_signal) {
		cli_error(NULL, "interrupted; %s", gone);
		return 128 + got_signal;
	}
	if (!failed)
		return 0;
	/* The job's failure: an input's (@what names it) or the table's. */
	if (hci_job_error(w, &code, &what, &msg)) {
		if (*what)
			cli_error(what, "%s%s%s", msg, left ? "; " : "",
				  left ? left : "");
		else if (code == HC_EFULL && limited)
			cli_error("--max-size",
				  "table full at the limit of --max-size; %s",
				  gone);
		else if (code == HC_EFULL)
			cli_error("table",
				  "full: no room to grow (memory, disk or "
				  "the table's own size limit); %s",
				  gone);
		else if (code == HC_ENOSPC)
			/* The table is consistent and holds every add
			 * before the one that needed space (api.md). */
			cli_error(tname, "no space left on the device; %s",
				  left ? "the table holds its old counts and "
					 "part of the new ones"
				       : gone);
		else
			cli_error("table", "%s%s%s", msg, left ? "; " : "",
				  left ? left : "");
	} else if (strcmp(why, "-") != 0) {
		cli_error(NULL, "%s; %s", why, gone);
	}
	return 1;
}

/*
 * The table for this job, from the key layer's plan (hck_plan): the kind
 * and a starting size only, as tables grow.  --size is a hint for the
 * start, --max-size a limit on the growth.
 */
static int plan_table(const hck_meta *m, uint64_t size, uint64_t max_size,
		      int mode, int wide, hck_plan *plan)
{
	hck_plan_in in;

	hck_plan_in_init(&in);
	in.mode = mode;
	in.wide = wide;
	in.keys = size;
	if (max_size)
		in.max_capacity = hck_plan_max_capacity(max_size);
	return hck_plan_table(m, &in, plan) ? -1 : 0;
}

static int check_output_dir(const char *out)
{
	char *copy = strdup(out), *dir;
	int ok;

	if (!copy)
		return -1;
	dir = dirname(copy);
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		cli_error(out, "%s", strerror(errno));
	free(copy);
	return ok ? 0 : -1;
}

/*
 * A new table for the count, planned by plan_table() with the record of
 * @m stored before any worker starts (readers of a --shm table decode
 * keys from it): anonymous, or the named object @shm ("/NAME", refused
 * if it exists).  Returns 0, or -1 with the error printed.
 */
static int new_table(const hck_meta *m, uint64_t size, uint64_t max_size,
		     int mode, int wide, const char *shm, hc_table **t)
{
	hck_plan plan = { .size = sizeof(plan) };
	int rc;

	if (max_size && size > max_size)
		size = max_size;
	if (plan_table(m, size, max_size, mode, wide, &plan)) {
		cli_error("table", "%s", hc_strerror(HC_EINVAL));
		return -1;
	}
	if (!shm) {
		rc = hck_table_create(t, m, &plan);
	} else {
		rc = hc_table_create_shm(t, shm, &plan.opt);
		if (rc == HC_EEXIST) {
			cli_error("--shm",
				  "shm:%s exists already (another count, or "
				  "one kept with --keep-shm): choose another "
				  "NAME, or remove /dev/shm%s",
				  shm + 1, shm);
			return -1;
		}
		if (rc == HC_EIO) {
			cli_error("--shm", "shm:%s: %s", shm + 1,
				  strerror(errno));
			return -1;
		}
		if (rc == HC_ENOSPC) {
			cli_error("--shm",
				  "shm:%s: no space left in /dev/shm for the "
				  "table; nothing was written",
				  shm + 1);
			return -1;
		}
		if (!rc) {
			rc = hck_meta_store(*t, m);
			if (rc) {
				hc_table_close(*t);
				*t = NULL;
				(void)hc_shm_unlink(shm);
			}
		}
	}
	if (rc) {
		cli_error("table", "%s", hc_strerror(rc));
		if (rc == HC_ENOMEM || rc == HC_EINVAL)
			fprintf(stderr, "hint: a smaller --size, or none\n");
		return -1;
	}
	return 0;
}

/*
 * --into in place: put TABLE on disk once the workers are gone and this
 * process has closed it.  The workers mapped generations this process
 * never did, so an msync of its own mapping (hc_table_sync()) would not
 * reach their pages; their dirty pages are in the page cache since they
 * unmapped, and an fsync of the file writes every one.  Returns 0, or
 * -1 with errno set.
 */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, err;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/* What --into wants of TABLE beyond its record. */
struct into_want {
	int mode; /* --mode, or -1 if not given */
	int wide; /* --wide */
	uint64_t max_size; /* --max-size, or 0 */
	int filter; /* -L/-U given */
};

/* --into TABLE, as open_into() left it. */
struct into {
	hc_lock *lock; /* shared (in place) or exclusive (copy) */
	int was_compact; /* TABLE was compact when this run came */
};

static int is_compact(const hc_table *t)
{
	hc_view v = { .size = sizeof(v) };

	return hc_table_view(t, &v) == HC_OK && v.capacity == 0 && !v.slots;
}

/*
 * Lock TABLE (hc_lock_acquire), saying so when another process holds it
 * and this one waits.  Returns 0, or -1 with the error printed; a signal
 * (noted before the wait too: it may have come while signals were
 * blocked) stops the wait, and the line says what is @left.
 */
static int into_lock(const char *path, int flags, const char *why,
		     const char *left, hc_lock **l)
{
	char who[256];
	int rc = hc_lock_acquire(l, path, flags);

	if (rc == HC_EBUSY && !got_signal) {
		lock_holders(path, who, sizeof(who));
		fprintf(stderr,
			"hogcount count: %s: waiting for %s to finish, "
			"%s\n",
			path, who, why);
		rc = hc_lock_acquire(l, path, flags | HC_LOCK_WAIT);
	}
	if (rc == HC_OK)
		return 0;
	if (got_signal || (rc == HC_EIO && errno == EINTR))
		cli_error(path, "interrupted while waiting; %s", left);
	else
		cli_error(path, "%s",
			  rc == HC_EIO || rc == HC_ENOENT
				  ? strerror(rc == HC_ENOENT ? ENOENT : errno)
				  : hc_strerror(rc));
	return -1;
}

/*
 * A compact TABLE made live in place, once, under the exclusive lock
 * (design.md L5): its counts merged into a new table of the count's
 * plan, saved over it (sealed), so that every --into adds in place.
 */
static int into_convert(const char *path, hc_table *ro, const hck_meta *m,
			uint64_t distinct, int mode, int wide)
{
	hc_table *t;
	int rc;

	if (new_table(m, distinct, 0, mode, wide, NULL, &t))
		return -1;
	rc = hc_table_merge(t, ro);
	if (!rc)
		rc = hc_table_save(t, path);
	hc_table_close(t);
	if (rc)
		cli_error(path, "%s",
			  rc == HC_EIO ? strerror(errno) : hc_strerror(rc));
	return rc ? -1 : 0;
}

/*
 * --into TABLE.  TABLE's record is checked against the count's with the
 * check merge makes (meta_refuse()), and its checksums (table_check()),
 * on a read-only handle, so that a refusal leaves the file as it was,
 * byte for byte.  A file whose last writer died (HC_SEAL_DEAD) is
 * refused: its counts are unchecked (verify --reseal).
 *
 * Many --into runs on one TABLE add up (design.md L5):
 *
 * In place (*t, under a shared lock): where TABLE takes any new key as
 * it is (it grows, or it is dense) and no option asks for another
 * shape, it is reopened read-write and the workers add into the file
 * itself, beside the other runs' workers; new generations are appended
 * to it (design.md M2).  A crash or kill leaves a valid table that
 * holds part of the new counts (docs/cli.md).
 *
 * A compact TABLE (count's default output) is made live once, under
 * the exclusive lock, while the other runs wait; then every run adds in
 * place, and the last one out of those that found it compact writes it
 * compact again (into_finish()).
 *
 * Copy (*prev, under the exclusive lock, held to the end): a table that
 * cannot grow (made with growth off, or at its maximum, design.md M8)
 * would fill up halfway, and --max-size, another --mode, --wide for a
 * packed table or -L/-U ask for a new table.  TABLE is merged into a
 * new live table and replaced at the end by hc_table_save_compact()
 * (temporary name, fsync, rename): TABLE itself is only read, so a kill
 * leaves it as it was.  The start size is TABLE's distinct keys (or
 * --size).  Other --into runs wait for it.
 */
static int open_into(const char *path, const hck_meta *want,
		     const struct into_want *iw, hc_table **t, hc_table **prev,
		     uint64_t *size, int *wide, struct into *in)
{
	int flags = HC_LOCK_SHARED;

	for (;;) {
		hc_verdict v = { .size = sizeof(v) };
		hc_stats st = { .size = sizeof(st) };
		hc_table *ro;
		hc_options o;
		hck_meta m;
		int rc, grows, shape_kept, compact;

		if (into_lock(path, flags,
			      flags == HC_LOCK_SHARED ? "to add to it in place"
			      : in->was_compact
				      ? "to make it live (it is compact)"
				      : "to add to a copy of it",
			      "nothing was written", &in->lock))
			return -1;
		if (table_open_meta(path, &ro, &m))
			goto fail_unlocked;
		/* Under the shared lock, which a dead writer's verdict
		 * sees through (not under this run's exclusive one). */
		if (flags == HC_LOCK_SHARED &&
		    hc_table_verify(ro, &v) == HC_OK &&
		    v.state == HC_SEAL_DEAD) {
			cli_error(path,
				  "not sealed: its last writer died, and its "
				  "counts are unchecked; 'hogcount verify "
				  "--reseal %s' checks and seals it",
				  path);
			goto fail;
		}
		if (table_check(path, ro) ||
		    meta_refuse(path, &m, want, "asked"))
			goto fail;
		hc_options_init(&o);
		hc_table_options(ro, &o);
		compact = is_compact(ro);
		in->was_compact |= compact;
		grows = o.key_kind == HC_KEY_DENSE || o.grow > 0;
		shape_kept = !iw->max_size && !iw->filter &&
			     (iw->mode < 0 || iw->mode == o.mode) &&
			     (!iw->wide || o.key_kind == HC_KEY_U64);
		if (grows && shape_kept && !compact &&
		    flags == HC_LOCK_SHARED) {
			cli_sigbus_table(path);
			rc = hc_table_open(t, path, HC_OPEN_RDWR);
			if (rc == HC_OK) {
				hc_table_close(ro);
				return 0;
			}
			*t = NULL;
			if (rc == HC_ENOSPC) {
				/* A sparse file (an older hogcount's) whose
				 * holes the device cannot back: nothing
				 * added. */
				cli_error(path,
					  "no space left on the device to back "
					  "the table; it holds its old counts");
				goto fail;
			}
			cli_error(path, "%s",
				  rc == HC_EIO ? strerror(errno)
					       : hc_strerror(rc));
			goto fail;
		}
		if (flags == HC_LOCK_SHARED) {
			/* A copy: again under the exclusive lock, which
			 * waits for the writers in place. */
			hc_table_close(ro);
			hc_lock_release(in->lock);
			in->lock = NULL;
			flags = HC_LOCK_EXCLUSIVE;
			continue;
		}
		rc = hc_table_stats(ro, &st);
		if (rc) {
			cli_error(path, "%s", hc_strerror(rc));
			goto fail;
		}
		if (check_output_dir(path))
			goto fail;
		if (o.key_kind == HC_KEY_U64)
			*wide = 1; /* a --wide table stays wide */
		if (grows && shape_kept) {
			/* Compact, or made live by another run meanwhile:
			 * live from now on, then in place (shared). */
			if (compact && into_convert(path, ro, &m, st.distinct,
						    o.mode, *wide))
				goto fail;
			hc_table_close(ro);
			hc_lock_release(in->lock);
			in->lock = NULL;
			flags = HC_LOCK_SHARED;
			continue;
		}
		if (!*size)
			*size = st.distinct;
		*prev = ro;
		return 0;
fail:
		hc_table_close(ro);
fail_unlocked:
		hc_lock_release(in->lock);
		in->lock = NULL;
		return -1;
	}
}

/*
 * After --into in place: drop the shared lock, and where TABLE was
 * compact when this run came and --no-compact was not given, write it
 * compact again once every writer is done: under the exclusive lock,
 * unless a run that finished meanwhile did it.  Returns 0; 1 with the
 * error printed, or 128 + N if a signal stopped the wait (TABLE then
 * stays live, every count of this run in it).
 */
static int into_finish(const char *path, struct into *in, int compact)
{
	char left[512];
	hc_table *ro;
	int rc;

	hc_lock_release(in->lock);
	in->lock = NULL;
	if (!in->was_compact || !compact)
		return 0;
	snprintf(left, sizeof(left),
		 "%s holds every count of this run, in the live layout "
		 "(hogcount merge -o NEW %s writes it compact)",
		 path, path);
	if (into_lock(path, HC_LOCK_EXCLUSIVE, "to write it compact again",
		      left, &in->lock))
		return got_signal ? 128 + got_signal : 1;
	rc = hc_table_open(&ro, path, HC_OPEN_RDONLY);
	if (!rc && !is_compact(ro))
		rc = hc_table_save_compact(ro, path);
	hc_table_close(ro);
	hc_lock_release(in->lock);
	in->lock = NULL;
	if (!rc)
		return 0;
	cli_error(path, "%s; it holds every count, in the live layout",
		  rc == HC_EIO ? strerror(errno) : hc_strerror(rc));
	return 1;
}

/*
 * What the tokenizers skipped, and a count of nothing at all (an empty
 * table is valid, but not what was meant): one warning line, never
 * silence; the skipped input, where there is some, says why.
 */
static void warn_input(const hci_job *w, const hck_meta *m)
{
	hci_stats st = { .size = sizeof(st) };
	hci_input in = { .size = sizeof(in) };
	uint64_t n;
	const char *what, *none;
	int dna = m->tokens == HCK_DNA;

	hci_job_stats(w, &st);
	n = st.skipped;
	what = st.inputs == 1 && !hci_job_input(w, 0, &in) ? in.path : NULL;
	none = st.added ? "" : "; nothing counted";

	if (n && dna)
		fprintf(stderr,
			"hogcount count: %s%swarning: %llu bytes skipped: not "
			"bases nor sequence letters (is the input FASTA, FASTQ "
			"or sequence lines?)%s\n",
			what ? what : "", what ? ": " : "",
			(unsigned long long)n, none);
	else if (n)
		fprintf(stderr,
			"hogcount count: %s%swarning: %llu n-grams skipped: "
			"longer than %u bytes%s\n",
			what ? what : "", what ? ": " : "",
			(unsigned long long)n, HC_KEY_BYTES_MAX, none);
	if (n || !*none)
		return;
	fprintf(stderr,
		"hogcount count: %s%swarning: nothing counted: the input is "
		"empty, or no %s has %u %s in a row (-k %u)\n",
		what ? what : "", what ? ": " : "", dna ? "sequence" : "file",
		m->k,
		dna			 ? "bases"
		: m->tokens == HCK_WORDS ? "words"
					 : "bytes",
		m->k);
}

/* count -v: what a count by word ids holds. */
static void ids_report(const hck_ids *ids)
{
	hck_ids_info in = { .size = sizeof(in) };

	if (hck_ids_info_get(ids, &in))
		return;
	fprintf(stderr,
		"hogcount count: by word ids of %u bits: %llu ids given, "
		"%llu n-grams of ids, %llu n-grams kept as texts\n",
		in.bits, (unsigned long long)in.ids,
		(unsigned long long)in.grams, (unsigned long long)in.spilled);
}

int cmd_count(int argc, char **argv)
{
	struct count_opts o;
	hck_meta m;
	const char *out, *into, *shm_arg, *shm, *tname;
	uint64_t workers, size, max_size, chunk;
	int mode, quiet, verbose, wide, rc;
	int mode_given, keep_shm, shm_made = 0, filtering, use_ids;
	char partial[512], shm_shown[400], phase[512];
	struct ticker tick;
	const char *left = NULL;
	hc_table *prev = NULL;
	struct into in = { NULL, 0 };
	hc_lock *out_lock = NULL;
	double t0, t1, t2;
	hci_job *w = NULL;
	hci_stats js = { .size = sizeof(js) };
	int code;
	const char *what, *msg;
	struct sigaction sa;
	hc_options opt;
	hc_table *t = NULL;
	hck_ids *ids = NULL;
	sigset_t block, old;

	rc = count_opts_parse(&o, argc, argv, 0);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc)
		return rc;
	m = o.m;
	out = o.out;
	into = o.into;
	shm_arg = o.shm_arg;
	shm = o.shm;
	filtering = o.lower > 1 || o.upper < UINT64_MAX;
	keep_shm = o.keep_shm;
	mode_given = o.mode_given;
	workers = o.workers;
	size = o.size;
	max_size = o.max_size;
	chunk = o.chunk;
	mode = o.mode;
	quiet = o.quiet;
	verbose = o.verbose;
	wide = o.wide;
	if (!workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		workers = n > 0 ? (uint64_t)n : 1;
		if (workers > COUNT_MAX_WORKERS)
			workers = COUNT_MAX_WORKERS;
	}

	if (!chunk) {
		/* About 16 items a worker, so that all finish together. */
		uint64_t total = 0;
		struct stat st;

		for (int i = optind; i < argc; i++)
			if (!stat(argv[i], &st) && S_ISREG(st.st_mode))
				total += (uint64_t)st.st_size;
		chunk = hck_plan_chunk(total, workers);
	}
	rc = hci_job_create(&w, m.tokens, chunk);
	if (rc) {
		cli_error(NULL, "%s",
			  rc == HC_EIO ? strerror(errno) : hci_strerror(rc));
		return 1;
	}
	for (int i = optind; i < argc; i++)
		if (hci_job_add(w, argv[i])) {
			hci_job_error(w, &code, &what, &msg);
			cli_error(*what ? what : NULL, "%s", msg);
			hci_job_destroy(w);
			return 1;
		}
	if ((out && check_output_dir(out)) ||
	    ((out || into) && output_is_input(out ? out : into, argv + optind,
					      (size_t)(argc - optind)))) {
		hci_job_destroy(w);
		return 1;
	}

	/* From here on a signal is noted, and acted on between phases. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (hci_job_share(w, (unsigned)workers)) {
		cli_error(NULL, "mmap: %s", strerror(errno));
		hci_job_destroy(w);
		return 1;
	}
	if (size && max_size && size > max_size) {
		cli_error("--size", "larger than --max-size");
		hci_job_destroy(w);
		return EXIT_USAGE;
	}
	/* -o over a table file another process writes would lose its
	 * counts: refused now, before counting; held until saved (L3). */
	if (out && out_lock_take(out, &out_lock)) {
		hci_job_destroy(w);
		return 1;
	}
	if (into) {
		struct into_want iw = { mode_given ? mode : -1, wide, max_size,
					filtering };

		if (open_into(into, &m, &iw, &t, &prev, &size, &wide, &in)) {
			hci_job_destroy(w);
			return got_signal ? 128 + got_signal : 1;
		}
		if (t) { /* in place */
			snprintf(partial, sizeof(partial),
				 "%s holds its old counts and part of the "
				 "new ones",
				 into);
			left = partial;
		} else {
			out = into;
		}
		if (verbose)
			fprintf(stderr, "hogcount count: %s: %s\n", into,
				t ? "counting in place"
				  : "copied; replaced when done");
	}
	/* Word n-grams into a new compact file: counted as integers of
	 * word ids, saved as their texts (hck_ids_create()); the table of
	 * texts keeps only what does not fit, and starts small. */
	use_ids = o.ids && hck_ids_fits(&m) && out && !into && !shm_arg &&
		  o.compact && !filtering && !max_size;
	if (!t) {
		rc = new_table(&m, use_ids ? 0 : size, max_size, mode, wide,
			       shm_arg ? shm : NULL, &t);
		if (!rc && shm_arg)
			shm_made = 1;
		if (!rc && prev) {
			/* --into, copied: the old counts first. */
			rc = hc_table_merge(t, prev);
			if (rc)
				cli_error(into, "%s", hc_strerror(rc));
		}
		hc_table_close(prev);
		prev = NULL;
		if (rc) {
			rc = 1;
			goto done;
		}
	}
	if (got_signal) {
		cli_error(NULL, "interrupted; %s",
			  left ? left : "nothing was written");
		rc = 128 + got_signal;
		goto done;
	}

	/* More workers than items idle, unless the readers of DNA streams
	 * hand them blocks (input/job.c). */
	hci_job_stats(w, &js);
	if (workers > js.items && !js.blocks)
		workers = js.items ? js.items : 1;
	if (use_ids) {
		rc = hck_ids_create(&ids, t, size);
		if (rc == HC_EKIND) {
			/* Tables cannot grow here (design.md M8): the
			 * texts, in a table of the size asked for. */
			hc_table_close(t);
			t = NULL;
			rc = new_table(&m, size, max_size, mode, wide, NULL, &t)
				     ? HC_EINVAL
				     : HC_OK;
			if (rc) {
				rc = 1;
				goto done;
			}
		}
		if (rc) {
			cli_error("table", "%s", hc_strerror(rc));
			rc = 1;
			goto done;
		}
	}
	hc_options_init(&opt);
	hc_table_options(t, &opt);
	if (verbose)
		fprintf(stderr,
			"hogcount count: %u workers, %zu work items, %s table "
			"of %llu slots%s\n",
			(unsigned)workers, js.items,
			hck_kind_name(opt.key_kind),
			(unsigned long long)(opt.key_kind == HC_KEY_DENSE
						     ? UINT64_C(1)
							       << opt.dense_bits
						     : opt.capacity),
			opt.grow > 0 ? " (grows)" : "");
	t0 = now_seconds();
	if (shm_arg)
		snprintf(shm_shown, sizeof(shm_shown), "shm:%s", shm + 1);
	tname = into && !out ? into : shm_arg ? shm_shown : "table";
	if (into || shm_arg)
		cli_sigbus_table(tname);
	rc = js.items ? run_workers(w, t, &m, ids, (unsigned)workers, quiet,
				    max_size != 0, tname, left)
		      : 0;
	if (!rc)
		warn_input(w, &m);
	hci_job_stats(w, &js);
	if (!rc && verbose && js.blocks)
		fprintf(stderr,
			"hogcount count: %llu blocks of DNA streams counted "
			"by a worker other than their reader\n",
			(unsigned long long)js.blocks_shared);
	if (!rc && filtering && (out || into)) {
		/* -L/-U: save a copy of the keys kept, sized to them (the
		 * live --shm table itself keeps every key). */
		uint64_t kept = 0;

		t1 = now_seconds();
		ticker_start(&tick, quiet, "keeping the keys in -L..-U");
		rc = count_filter(&t, o.lower, o.upper, &kept) ? 1 : 0;
		ticker_stop(&tick);
		if (!rc && verbose)
			fprintf(stderr,
				"hogcount count: %llu keys kept by -L/-U in "
				"%.2f s\n",
				(unsigned long long)kept, now_seconds() - t1);
		if (!rc && got_signal) {
			cli_error(NULL, "interrupted; %s",
				  left ? left : "nothing was written");
			rc = 128 + got_signal;
		}
	}
	if (!rc && (out || into)) {
		/* A signal now waits until the file is whole and renamed
		 * (or, in place, synced). */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &old);
		t1 = now_seconds();
		snprintf(phase, sizeof(phase), "%s %s",
			 out ? "saving" : "syncing", out ? out : into);
		ticker_start(&tick, quiet, phase);
		if (out) {
			/* Compact where the kind has the layout (the library
			 * writes the others as they are). */
			if (ids && verbose)
				ids_report(ids);
			rc = ids	 ? hck_ids_save(ids, out)
			     : o.compact ? hc_table_save_compact(t, out)
					 : hc_table_save(t, out);
		} else {
			rc = hc_table_close(t);
			t = NULL;
			if (!rc && sync_file(into))
				rc = HC_EIO;
		}
		ticker_stop(&tick);
		t2 = now_seconds();
		if (verbose && !rc)
			fprintf(stderr,
				"hogcount count: counted in %.2f s, %s in "
				"%.2f s\n",
				t1 - t0, out ? "saved" : "synced", t2 - t1);
		if (verbose && !rc && out && table_pages_small())
			fprintf(stderr,
				"hogcount count: the table had 4 KiB pages, "
				"which make large counts slower: Linux 6.1 or "
				"later makes huge ones unless transparent huge "
				"pages are 'never'; older kernels, where "
				"/sys/kernel/mm/transparent_hugepage/"
				"shmem_enabled is 'advise' (docs/cli.md, "
				"\"Huge pages\")\n");
		if (rc == HC_ENOSPC || (rc == HC_EIO && errno == ENOSPC)) {
			/* Saved: the copy is gone, @out as it was.  In
			 * place: only the final sync can fail here. */
			cli_error(out ? out : into,
				  "no space left on the device; %s",
				  !out	 ? "the table holds the counts added, "
					   "not all of them on disk"
				  : into ? "it holds its old counts"
					 : "nothing was written");
			rc = 1;
		} else if (rc) {
			cli_error(out ? out : into, "%s",
				  rc == HC_EIO ? strerror(errno)
					       : hc_strerror(rc));
			rc = 1;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (!rc && !out)
			rc = into_finish(into, &in, o.compact);
	}
done:
	hc_lock_release(in.lock);
	hc_lock_release(out_lock);
	/* The named object goes on every path once it exists; readers
	 * that attached keep their mapping. */
	if (shm_made && (rc || !keep_shm))
		(void)hc_shm_unlink(shm);
	hck_ids_destroy(ids);
	hc_table_close(t);
	hci_job_destroy(w);
	return rc;
}
