/* SPDX-License-Identifier: MIT */
/*
 * progress.c - one line on standard error, redrawn in place while
 * counting: bytes read of the total, rate and time left; then, while
 * the table is saved, what is being done and for how long (a ticker).
 * Silent with --quiet and when standard error is not a terminal.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *human(double b, char *buf, size_t cap)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
	return buf;
}

void progress_start(struct progress *p, int quiet)
{
	p->on = !quiet && isatty(2);
	p->t0 = now_seconds();
	p->last = 0;
	p->drawn = 0;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total)
{
	char a[32], b[32], r[32], eta[32] = "";
	double t = now_seconds(), el = t - p->t0, rate;

	if (!p->on || t - p->last < 0.25)
		return;
	p->last = t;
	rate = el > 0 ? (double)done / el : 0;
	human((double)done, a, sizeof(a));
	human(rate, r, sizeof(r));
	if (total && done <= total) {
		if (rate > 0) {
			unsigned long left =
				(unsigned long)((double)(total - done) / rate);

			snprintf(eta, sizeof(eta), ", %lu:%02lu left",
				 left / 60, left % 60);
		}
		fprintf(stderr,
			"\rhogcount count: %s of %s (%.0f%%), %s/s%s\033[K", a,
			human((double)total, b, sizeof(b)),
			100.0 * (double)done / (double)total, r, eta);
	} else {
		fprintf(stderr, "\rhogcount count: %s, %s/s\033[K", a, r);
	}
	p->drawn = 1;
}

void progress_end(struct progress *p)
{
	if (p->on && p->drawn)
		fprintf(stderr, "\r\033[K");
	p->drawn = 0;
}

static void ticker_draw(const struct ticker *k)
{
	fprintf(stderr, "\rhogcount count: %s, %.0f s\033[K", k->what,
		now_seconds() - k->t0);
}

static void *ticker_main(void *arg)
{
	struct ticker *k = arg;

	for (;;) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		/* Redraw each second; answer ticker_stop() within 0.1 s. */
		for (int i = 0; i < 10; i++) {
			if (atomic_load(&k->stop))
				return NULL;
			nanosleep(&ts, NULL);
		}
		if (atomic_load(&k->stop))
			return NULL;
		ticker_draw(k);
	}
}

void ticker_start(struct ticker *k, int quiet, const char *what)
{
	sigset_t all, old;

	k->on = !quiet && isatty(2);
	k->what = what;
	k->t0 = now_seconds();
	atomic_store(&k->stop, 0);
	if (!k->on)
		return;
	/* The line at once, however short the work: a thread that had not
	 * run yet when ticker_stop() came would never draw it. */
	ticker_draw(k);
	/* Signals stay with the main thread, which acts on them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&k->th, NULL, ticker_main, k))
		k->on = 2; /* no thread: the line once, still erased at the end */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ticker_stop(struct ticker *k)
{
	if (!k->on)
		return;
	atomic_store(&k->stop, 1);
	if (k->on == 1)
		pthread_join(k->th, NULL);
	fprintf(stderr, "\r\033[K");
	k->on = 0;
}
