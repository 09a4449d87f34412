/* SPDX-License-Identifier: MIT */
/*
 * count_files.c - the input layer from an installed hogcount: count the
 * DNA 5-mers of the files named (plain, gzip, xz, bzip2 or zstd; FASTA,
 * FASTQ or sequence lines; "-" for standard input) in this process, and
 * print how many distinct k-mers and bases were read.
 *
 *	cc count_files.c $(pkg-config --cflags --libs hogcount-input)
 *	./a.out reads.fastq.gz
 */
#include <stdio.h>

#include "hogcount_input.h"

int main(int argc, char **argv)
{
	hck_meta m = { HCK_DNA, 5, 1 };
	hck_plan_in in;
	hck_plan plan = { .size = sizeof(plan) };
	hc_stats st = { .size = sizeof(st) };
	hci_job *job = NULL;
	hc_table *t = NULL;
	const char *what, *msg;
	int rc, code;

	hck_plan_in_init(&in);
	rc = hck_plan_table(&m, &in, &plan);
	if (!rc)
		rc = hck_table_create(&t, &m, &plan);
	if (!rc)
		rc = hci_job_create(&job, m.tokens, UINT64_C(64) << 20);
	for (int i = 1; !rc && i < argc; i++)
		rc = hci_job_add(job, argv[i]);
	if (!rc)
		rc = hci_job_count(job, t, &m);
	if (!rc)
		rc = hc_table_stats(t, &st);
	if (rc && job && hci_job_error(job, &code, &what, &msg))
		fprintf(stderr, "count_files: %s%s%s\n", what,
			*what ? ": " : "", msg);
	else if (rc)
		fprintf(stderr, "count_files: %s\n", hci_strerror(rc));
	else
		printf("%llu distinct 5-mers, %llu in all\n",
		       (unsigned long long)st.distinct,
		       (unsigned long long)st.total);
	hci_job_destroy(job);
	hc_table_close(t);
	return rc ? 1 : 0;
}
