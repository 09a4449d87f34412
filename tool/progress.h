/* SPDX-License-Identifier: MIT */
/* progress.h - the progress line of hogcount count (progress.c). */
#ifndef HC_PROGRESS_H
#define HC_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct progress {
	int on;
	double t0, last;
	int drawn;
};

/* Show progress only if @quiet is 0 and standard error is a terminal. */
void progress_start(struct progress *p, int quiet);
/* Redraw at most four times a second.  @total 0: unknown. */
void progress_update(struct progress *p, uint64_t done, uint64_t total);
/* Erase the line. */
void progress_end(struct progress *p);
double now_seconds(void);

/*
 * A phase with no figure to show (the save after counting): one line
 * on standard error, "hogcount count: WHAT, N s", redrawn every second
 * by a thread of its own until ticker_stop(), which erases it.  Only
 * if @quiet is 0 and standard error is a terminal.
 */
struct ticker {
	int on;
	pthread_t th;
	atomic_int stop;
	const char *what;
	double t0;
};

void ticker_start(struct ticker *k, int quiet, const char *what);
void ticker_stop(struct ticker *k);

#endif /* HC_PROGRESS_H */
