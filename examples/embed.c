/* SPDX-License-Identifier: MIT */
/*
 * embed.c - hogcount from a C program in one page.
 *
 * 1. Create a table in a named shared-memory object.
 * 2. Fork workers; each adds its share of the keys straight into it.
 * 3. Start a second program (this one, run again with --attach NAME) that
 *    attaches to the table by name, as an unrelated process would, and
 *    prints what it finds.
 * 4. Unlink the name: nothing is left in /dev/shm.
 *
 * Build against the installed package:
 *   cmake -S examples -B build-ex && cmake --build build-ex
 *   cc embed.c $(pkg-config --cflags --libs hogcount)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hogcount.h>

#define WORKERS 4
#define ROUNDS 10000

static int fail(const char *what, int rc)
{
	fprintf(stderr, "embed: %s: %s (%s)\n", what, hc_strerror(rc),
		hc_errname(rc));
	return 1;
}

/* Worker w adds one word per round, all straight into the shared table. */
static int worker(hc_table *t, int w)
{
	static const char *words[] = { "the", "hog", "counts", "wild" };
	int r, rc;

	/* Map the table's pages into this process in one pass (matters for
	 * big tables: fork() does not copy the page tables). */
	rc = hc_table_prefault(t);
	if (rc)
		return fail("hc_table_prefault", rc);
	for (r = 0; r < ROUNDS; r++) {
		const char *word = words[(r + w) % 4];

		rc = hc_add_bytes(t, word, strlen(word), 1);
		if (rc)
			return fail("hc_add_bytes", rc);
	}
	return 0;
}

/* The second program: attach by name, read, print. */
static int attached(const char *name)
{
	hc_table *t;
	hc_iter *it;
	hc_entry e;
	hc_stats st = { .size = sizeof(st) };
	int rc;

	rc = hc_table_attach(&t, name, HC_OPEN_RDONLY);
	if (rc)
		return fail(name, rc);
	rc = hc_iter_create(t, &it);
	if (rc)
		return fail("hc_iter_create", rc);
	while ((rc = hc_iter_next(it, &e)) == 1)
		printf("%.*s\t%llu\n", (int)e.len, (const char *)e.bytes,
		       (unsigned long long)e.count);
	hc_iter_destroy(it);
	if (rc < 0)
		return fail("hc_iter_next", rc);
	rc = hc_table_stats(t, &st);
	if (rc)
		return fail("hc_table_stats", rc);
	printf("distinct %llu, total %llu (expected %d)\n",
	       (unsigned long long)st.distinct, (unsigned long long)st.total,
	       WORKERS * ROUNDS);
	hc_table_close(t);
	return st.total == (uint64_t)WORKERS * ROUNDS ? 0 : 1;
}

int main(int argc, char **argv)
{
	char name[64];
	hc_options opt;
	hc_table *t;
	pid_t pid;
	int w, status, rc, bad = 0;

	if (argc == 3 && strcmp(argv[1], "--attach") == 0)
		return attached(argv[2]);

	snprintf(name, sizeof(name), "/hc-embed-%ld", (long)getpid());
	hc_options_init(&opt);
	opt.key_kind = HC_KEY_BYTES;
	opt.capacity = 1024;
	rc = hc_table_create_shm(&t, name, &opt);
	if (rc)
		return fail(name, rc);

	for (w = 0; w < WORKERS; w++) {
		pid = fork();
		if (pid == 0)
			_exit(worker(t, w));
		if (pid < 0)
			bad = 1;
	}
	while ((pid = wait(&status)) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;

	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--attach", name,
		      (char *)NULL);
		perror("embed: exec");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bad = 1;

	hc_table_close(t);
	rc = hc_shm_unlink(name);
	if (rc)
		return fail(name, rc);
	return bad;
}
