/* SPDX-License-Identifier: MIT */
/*
 * grow.c - online growth: the address range each handle reserves, mapping
 * the object's regions into it, views of a generation, starting a growth
 * (a new region appended to the object) and the cooperative block-wise
 * migration that every writer helps with.  The argument is docs/design.md
 * M1..M9; the per-slot freeze and copy live with each kind
 * (kind_<name>.c, through t->ops->migrate).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_internal.h"

/* Test hook (tests/check_grow.c): called before each slot a migration
 * freezes; a test stops or kills the process there.  NULL otherwise. */
void (*hc__migrate_hook)(uint64_t slot);

/* The most address space a handle of an unbounded table asks for. */
#define HC_RESERVE_MAX (UINT64_C(4) << 40)

static uint64_t round_page(uint64_t v)
{
	return (v + HC_PAGE - 1) / HC_PAGE * HC_PAGE;
}

static unsigned log2_floor(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static uint64_t nblocks(uint64_t capacity)
{
	return (capacity + HC_MIG_BLOCK - 1) / HC_MIG_BLOCK;
}

/*
 * The slots of rung @r: generation 0's capacity times 2^(r / 4), and
 * times 5/4, 6/4 or 7/4 for the rungs between doublings (M1).  0 where
 * that passes HC_CAPACITY_MAX.  A table that only doubles has rungs 0,
 * 4, 8, ...: capacity << g, as before rungs.
 */
static uint64_t rung_cap(const struct hc_table *t, unsigned r)
{
	unsigned d = r / HC_RUNG_STEPS, m = r % HC_RUNG_STEPS;
	uint64_t c = t->capacity;

	if (r > HC_RUNG_MASK || d >= 64 || c > HC_CAPACITY_MAX >> d)
		return 0;
	c <<= d;
	if (m)
		c = c / HC_RUNG_STEPS * (HC_RUNG_STEPS + m);
	return c <= HC_CAPACITY_MAX ? c : 0;
}

/* The rung of generation @g, published: 0 for generation 0. */
static int gen_rung(const struct hc_table *t, unsigned g, unsigned *r)
{
	uint64_t w;

	*r = 0;
	if (g == 0)
		return HC_OK;
	if (g >= HC_GEN_MAX)
		return HC_ECORRUPT;
	/* ORDER: acquire. Pairs with the release CAS that published the
	 * generation (M2): its word, offset and rung, is the one every
	 * process sees. */
	w = hc_atomic_load_acquire(&t->hdr->gens[g].slots_off);
	if (!w || hc__gen_word_rung(w) > (HC_RUNG_STEPS - 1) * g)
		return HC_ECORRUPT;
	*r = HC_RUNG_STEPS * g - hc__gen_word_rung(w);
	return HC_OK;
}

uint64_t hc__gen_cap(const struct hc_table *t, unsigned g)
{
	unsigned r;

	return gen_rung(t, g, &r) ? 0 : rung_cap(t, r);
}

/* Bytes of the slots of a generation of @cap slots. */
static uint64_t slots_bytes(const struct hc_table *t, uint64_t cap)
{
	return cap * hc__slot_bytes(t->ops, t->key_bits, cap);
}

/* Bytes of the region of a generation >= 1 of @cap slots: its slots,
 * then the migration marks of the generation before it, of @old slots
 * (one word per block), then the kind's area of the generation (narrow:
 * its overflow area). */
static uint64_t region_bytes(const struct hc_table *t, uint64_t cap,
			     uint64_t old)
{
	return round_page(slots_bytes(t, cap)) +
	       round_page(nblocks(old) * sizeof(uint64_t)) +
	       round_page(hc__gen_area(t->ops, t->key_bits, cap));
}

/* The capacity of rung @r where a growth may take it from a generation
 * of @cap slots: more slots, within the maximum, with a slot geometry.
 * 0 where it may not. */
static uint64_t rung_allowed(const struct hc_table *t, unsigned r, uint64_t cap)
{
	uint64_t c = rung_cap(t, r);

	return c > cap && c <= t->max_capacity &&
			       hc__slot_bytes(t->ops, t->key_bits, c)
		       ? c
		       : 0;
}

/* The published generation @g >= 1: its offset, slots, the slots of
 * generation g - 1 and its region's bytes, checked against the reserved
 * range.  The words are read once here: a caller sizes everything in
 * the region from these figures (a view keeps @old), never from a
 * second read another process could have changed meanwhile. */
static int gen_region(const struct hc_table *t, unsigned g, uint64_t *off,
		      uint64_t *cap, uint64_t *old, uint64_t *bytes)
{
	unsigned r, ro;

	if (g == 0 || g >= HC_GEN_MAX || gen_rung(t, g - 1, &ro) ||
	    gen_rung(t, g, &r))
		return HC_ECORRUPT;
	/* ORDER: acquire. As in gen_rung() (M2). */
	*off = hc__gen_word_off(
		hc_atomic_load_acquire(&t->hdr->gens[g].slots_off));
	*cap = rung_cap(t, r);
	*old = rung_cap(t, ro);
	if (!*old || *cap <= *old)
		return HC_ECORRUPT;
	*bytes = region_bytes(t, *cap, *old);
	if (*off < HC_HEADER_SIZE || *off > t->reserve ||
	    *bytes > t->reserve - *off)
		return HC_ECORRUPT;
	return HC_OK;
}

/*
 * Reserve the handle's address range and map the object's first
 * @obj_bytes at its start.  A table that does not grow is mapped exactly
 * as in format 1: one mapping of the object, no reservation.
 */
int hc__reserve(struct hc_table *t, uint64_t obj_bytes, int fd, int prot)
{
	uint64_t want, need;
	void *p;

	if (obj_bytes > SIZE_MAX)
		return HC_ENOMEM;
	if (!t->grows) {
		p = mmap(NULL, obj_bytes, prot, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return errno == EACCES ? HC_EIO : HC_ENOMEM;
		t->base = p;
		t->reserve = obj_bytes;
		t->mapped = obj_bytes;
		return HC_OK;
	}
	need = round_page(obj_bytes);
	want = need;
	/* Every rung a growth may take (M1): more than any one table's
	 * generations take, which are some of them. */
	for (unsigned r = 1, g = 1; r <= HC_RUNG_MASK && want < HC_RESERVE_MAX;
	     r++) {
		uint64_t c = rung_allowed(t, r, t->capacity);

		/* Past the doublings: done (a rung between them may have
		 * no slots, in a table of 1 to 3). */
		if (!rung_cap(t, r & ~(HC_RUNG_STEPS - 1)) ||
		    rung_cap(t, r & ~(HC_RUNG_STEPS - 1)) > t->max_capacity)
			break;
		if (!c)
			continue;
		want += region_bytes(t, c, c);
		/* Byte keys: a key-area chunk per doubling, about. */
		if ((t->ops->flags & HC_KIND_ARENA) && r % HC_RUNG_STEPS == 0 &&
		    g < 64)
			want += round_page(t->arena_bytes << g++);
	}
	if (want > HC_RESERVE_MAX)
		want = HC_RESERVE_MAX;
	/* PROT_NONE and MAP_NORESERVE: address space only, no memory and
	 * no commit charge.  Halve on refusal; growth past the range then
	 * fails with HC_ENOMEM (M2).  Aligned to HC_HUGE_ALIGN, so that an
	 * address and its object offset agree modulo a huge page and the
	 * kernel may map the object with huge pages (hc__advise()). */
	for (;;) {
		p = mmap(NULL, want + HC_HUGE_ALIGN, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			break;
		if (want / 2 < need * 2)
			return HC_ENOMEM;
		want = round_page(want / 2);
	}
	{
		uintptr_t a = (uintptr_t)p, b = (a + HC_HUGE_ALIGN - 1) &
						~(uintptr_t)(HC_HUGE_ALIGN - 1);

		if (b > a)
			munmap(p, b - a);
		munmap((void *)(b + want), HC_HUGE_ALIGN - (b - a));
		p = (void *)b;
	}
	if (mmap(p, need, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		int rc = errno == EACCES ? HC_EIO : HC_ENOMEM;

		munmap(p, want);
		return rc;
	}
	t->base = p;
	t->reserve = want;
	t->mapped = need;
	return HC_OK;
}

/*
 * Make sure the object is mapped up to @end.  Another process may have
 * published a region this one has not mapped yet; the object is at least
 * that large (M2), checked here again with fstat so that a hostile header
 * cannot make us map past the end of the object (SIGBUS).
 */
int hc__map_upto(struct hc_table *t, uint64_t end)
{
	struct stat st;
	uint64_t m, e;
	int rc = HC_OK;

	/* ORDER: acquire. Pairs with the release store below, in another
	 * thread of this process: the mapping it made is in place. The word
	 * is process-local; killed here: nothing shared changes. */
	if (end <= hc_atomic_load_acquire(&t->mapped))
		return HC_OK;
	if (end > t->reserve || t->fd < 0)
		return HC_ENOMEM;
	pthread_mutex_lock(t->map_lock);
	/* ORDER: relaxed. Read under map_lock, which orders it. */
	m = hc_atomic_load_relaxed(&t->mapped);
	if (end > m) {
		if (fstat(t->fd, &st) != 0) {
			rc = HC_EIO;
		} else if ((uint64_t)st.st_size < end) {
			rc = HC_ECORRUPT;
		} else {
			e = round_page((uint64_t)st.st_size);
			if (e > t->reserve)
				e = t->reserve;
			if (mmap(t->base + m, e - m,
				 PROT_READ | (t->writable ? PROT_WRITE : 0),
				 MAP_SHARED | MAP_FIXED, t->fd,
				 (off_t)m) == MAP_FAILED)
				rc = HC_ENOMEM;
			else {
				hc__advise(t->base + m, e - m);
				/* ORDER: release. Pairs with the acquire load
				 * above: the mapping exists before the mark
				 * says so (process-local). */
				hc_atomic_store_release(&t->mapped, e);
			}
		}
	}
	pthread_mutex_unlock(t->map_lock);
	return rc;
}

/* The view of generation @g, which must be published, made from the
 * header. */
static int make_view(struct hc_table *t, unsigned g, struct hc__gv *v)
{
	uint64_t off, cap, old, bytes, limit, region;
	int rc;

	if (g >= HC_GEN_MAX)
		return HC_ECORRUPT;
	if (g == 0) {
		off = HC_HEADER_SIZE;
		cap = t->capacity;
		old = region = 0;
	} else {
		rc = gen_region(t, g, &off, &cap, &old, &region);
		if (rc)
			return rc;
	}
	bytes = slots_bytes(t, cap);
	if (off < HC_HEADER_SIZE || off % HC_PAGE != 0 || off > t->reserve ||
	    bytes > t->reserve - off)
		return HC_ECORRUPT;
	if (g) {
		rc = hc__map_upto(t, off + region);
		if (rc)
			return rc;
	}
	limit = t->ops->probe_limit;
	v->g = g;
	v->capacity = cap;
	v->old_cap = old;
	v->max_probe = cap < limit ? (uint32_t)cap : (uint32_t)limit;
	if (g == 0)
		v->max_probe = t->max_probe;
	v->lg = log2_floor(cap);
	v->slots = (struct hc__slot *)(t->base + off);
	v->packed = (hc_aword *)(t->base + off);
	v->w32 = (hc_aword32 *)(t->base + off);
	v->ssize = (unsigned)(bytes / cap);
	v->qbits = 0;
	/* The kind's area of a generation >= 1 follows its marks;
	 * generation 0's is the one behind the header's slots. */
	v->ovf = NULL;
	if (g && t->ops->gen_area)
		v->ovf = (struct hc__slot *)(t->base + off + round_page(bytes) +
					     round_page(nblocks(old) *
							sizeof(uint64_t)));
	return t->ops->view ? t->ops->view(t, v) : HC_OK;
}

/*
 * The view of generation @g, which must be published.  A generation's
 * offset never changes once published (M2) and its geometry follows
 * from the header's immutable fields, so each handle makes a view once
 * and copies it after: an add does not re-derive and re-check it.
 */
int hc__gen_view(struct hc_table *t, unsigned g, struct hc__gv *v)
{
	uint64_t bit, made;
	int rc;

	if (g >= HC_GEN_MAX)
		return HC_ECORRUPT;
	bit = UINT64_C(1) << g;
	/* ORDER: acquire. Pairs with the release fetch-or below, in another
	 * thread of this process: views[g] is whole before its bit is seen.
	 * Process-local; killed here: nothing shared changes. */
	if (hc_atomic_load_acquire(&t->views_made) & bit) {
		*v = t->views[g];
		return HC_OK;
	}
	rc = make_view(t, g, v);
	if (rc)
		return rc;
	pthread_mutex_lock(t->map_lock);
	/* ORDER: relaxed. Read under map_lock, which orders it against the
	 * other writers of views[]. */
	made = hc_atomic_load_relaxed(&t->views_made);
	if (!(made & bit)) {
		t->views[g] = *v;
		/* ORDER: release. Publishes views[g], written just above, to
		 * the acquire load at the top (process-local); map_lock makes
		 * this the only writer of the word. */
		hc_atomic_store_release(&t->views_made, made | bit);
	}
	pthread_mutex_unlock(t->map_lock);
	return HC_OK;
}

/* The generation new claims go to (@top) and the oldest still in use
 * (@cur): equal unless a migration is in flight. */
int hc__gen_bounds(const struct hc_table *t, unsigned *cur, unsigned *top)
{
	uint64_t c, n = 0;

	*cur = *top = 0;
	if (!t->grows)
		return HC_OK;
	/* ORDER: acquire. Pairs with the release CAS that advanced cur in
	 * hc__help(): every copy into generation cur is visible (M4). */
	c = hc_atomic_load_acquire(&t->hdr->cur);
	if (c >= HC_GEN_MAX)
		return HC_ECORRUPT;
	if (c + 1 < HC_GEN_MAX)
		/* ORDER: acquire. Pairs with the publishing CAS in
		 * hc__grow() (M2). */
		n = hc_atomic_load_acquire(&t->hdr->gens[c + 1].slots_off);
	*cur = (unsigned)c;
	*top = n ? (unsigned)c + 1 : (unsigned)c;
	return HC_OK;
}

/*
 * The generation a writer adds to: the current one, after helping any
 * migration in flight to its end (M5).  @pin, the writer's pin, says
 * from then on that it goes into the old generation only to help
 * (hc__pin_helping).  Readers use hc__gen_bounds().
 */
int hc__view_now(struct hc_table *t, struct hc__gv *v, int writer, int pin)
{
	unsigned cur, top;
	int rc;

	for (;;) {
		rc = hc__gen_bounds(t, &cur, &top);
		if (rc)
			return rc;
		if (cur == top || !writer)
			return hc__gen_view(t, cur, v);
		hc__pin_helping(t, pin, cur);
		rc = hc__help(t, cur);
		if (rc)
			return rc;
	}
}

/*
 * The generations a walk reads (M4): @cur, and @top where a migration is
 * in flight.  A writable handle first helps that migration to its end,
 * so that its walk reads one generation: the old one may be given back
 * block by block as it is moved (M9), and a walk of it could then read a
 * key there and miss it again in its second pass.  The walk's pin is
 * not a helping one, so nothing is given back while it walks.
 */
int hc__walk_bounds(struct hc_table *t, unsigned *cur, unsigned *top)
{
	int rc;

	for (;;) {
		rc = hc__gen_bounds(t, cur, top);
		if (rc || *cur == *top || !t->writable)
			return rc;
		rc = hc__help(t, *cur);
		if (rc)
			return rc;
	}
}

/*
 * Hand out @bytes (a multiple of the page) of the object to this process
 * alone, backed (region.c: hc__back) and reached by the object, before
 * anything is published in them (M2): a full device is a status here,
 * never a SIGBUS when the region is first written or read.  The range is
 * fresh (nobody else can reach it), so where the file system has no
 * fallocate() its blocks are written with zeros instead.  fallocate()
 * never shrinks the object, whatever other processes do.  *rc: HC_OK;
 * HC_ENOSPC when the device is full; HC_ENOMEM when the reserved range or
 * the object cannot take the bytes.  On failure nothing is held.  The
 * private way to a region, where fallocate() is missing; elsewhere a
 * region is claimed first (hc__region_publish).
 */
uint64_t hc__region_alloc(struct hc_table *t, uint64_t bytes, int *rc)
{
	uint64_t off;

	/* ORDER: relaxed fetch-and-add. Hands [off, off + bytes) of the
	 * object to this process alone; it publishes nothing (M2). Killed
	 * after it: a hole in the object that costs no memory, or blocks
	 * reserved below that nobody uses (a loser's range, M2). */
	off = hc_atomic_fetch_add_relaxed(&t->hdr->obj_end, bytes);
	if (off < HC_HEADER_SIZE || off % HC_PAGE || off > t->reserve ||
	    bytes > t->reserve - off) {
		*rc = HC_ENOMEM;
		return 0;
	}
	*rc = hc__back(t->fd, off, bytes, HC__BACK_FRESH);
	if (*rc) {
		hc__region_free(t, off, bytes);
		return 0;
	}
	return off;
}

/*
 * Give back the range [@off, @off + @bytes) that hc__region_alloc()
 * handed to this process and that nobody published (a failed backing,
 * a lost publishing CAS): its blocks are punched out, then obj_end is
 * moved back over it if no other process took space after it.  The
 * punch comes first: once obj_end is back, the range may be handed to
 * another process.
 */
void hc__region_free(struct hc_table *t, uint64_t off, uint64_t bytes)
{
	hc__unback(t->fd, off, bytes);
	/* ORDER: relaxed CAS. Returns the range to the object when it is
	 * still the last one handed out; obj_end publishes nothing (M2).
	 * Fails when another process took space after it: the range stays
	 * a hole. Killed before it: the same hole. */
	(void)hc_atomic_cas_relaxed(&t->hdr->obj_end, off + bytes, off);
}

/* 1 where the kernel commits memory strictly (vm.overcommit_memory 2):
 * there a fault of a memfd page can be refused, with SIGBUS. */
static int overcommit_strict;
static pthread_once_t overcommit_once = PTHREAD_ONCE_INIT;

static void overcommit_read(void)
{
	int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);
	char c = '2'; /* unknown: as strict, every region backed */

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '2';
		close(fd);
	}
	overcommit_strict = c == '2';
}

/* Whether @t's regions fault in as they are written, unbacked: the
 * anonymous home's memfd where the kernel does not commit memory
 * strictly (region_back). */
static int backed_lazily(const struct hc_table *t)
{
	if (t->home != HC_HOME_ANON)
		return 0;
	(void)pthread_once(&overcommit_once, overcommit_read);
	return !overcommit_strict;
}

/*
 * Back the claimed region [@c, @c + @bytes) before it is published (M2,
 * D4).  A shm or file object is backed whole: its tmpfs size, device or
 * quota can fill up, and a store into a hole there would fault.  The
 * anonymous home's memfd lives on no such device (region.c: anon_fd),
 * so only the region's last page is backed, which makes the object long
 * enough (fallocate() never shrinks it); the rest faults in block by
 * block as the migration populates it while it gives the old generation
 * back (M9), so the object never holds two generations whole.  Where
 * the kernel commits memory strictly, a memfd page fault can be refused
 * (SIGBUS), so there the memfd is backed whole too.
 */
static int region_back(struct hc_table *t, uint64_t c, uint64_t bytes)
{
	uint64_t last;

	if (!bytes)
		return HC_OK;
	last = (c + bytes - 1) / HC_PAGE * HC_PAGE;
	if (backed_lazily(t))
		return hc__back(t->fd, last, c + bytes - last,
				HC__BACK_CLAIMED);
	if (t->home == HC_HOME_SHM) {
		/* The last page makes the object long enough to map the
		 * region, which then gets huge pages (hc__collapse) before
		 * the rest is backed: backed first, a block of 4 KiB pages
		 * would cost a copy to collapse. */
		int rc = hc__back(t->fd, last, c + bytes - last,
				  HC__BACK_CLAIMED);

		if (rc)
			return rc;
		if (hc__map_upto(t, c + bytes) == HC_OK)
			hc__collapse(t, t->base + c, t->base + c + bytes);
	}
	return hc__back(t->fd, c, bytes, HC__BACK_CLAIMED);
}

/*
 * Publish a region of @bytes at *@pub (gens[i].slots_off or arena_off,
 * 0 until published) through its claim word *@claim (M2): the first
 * process to find no claim takes space from obj_end and claims it with
 * a CAS (a loser moves obj_end back over its own space); then any
 * process backs the claimed range (the same range: a race costs no
 * memory, and a claimer stopped or killed holds nobody up) and
 * publishes it with the release CAS.  @need: 0 when the caller's
 * generation still has room (a growth started by the claim counter):
 * then a claim already made is left to its claimer.  HC_OK when the
 * region is published (by anyone, or @need 0 and claimed), HC_ENOSPC (the claim stays for the
 * next try; what a failed backing got stays with it), HC_ENOMEM,
 * HC_ECORRUPT (a hostile claim), HC__ENOTSUP (no fallocate: the caller
 * takes the private way, hc__region_alloc).
 */
int hc__region_publish(struct hc_table *t, hc_aword *claim, hc_aword *pub,
		       uint64_t bytes, unsigned tag, int need, unsigned *found)
{
	uint64_t c, off;
	int rc;

	/* ORDER: relaxed. The claimed word is only a range of the object
	 * to back and publish, and the rung that sized it; no byte of the
	 * range is read on its strength (the release CAS below publishes,
	 * M2). Killed here: nothing changes. */
	c = hc_atomic_load_relaxed(claim);
	if (c == 0) {
		/* ORDER: relaxed fetch-and-add. Hands [off, off + bytes) to
		 * this process alone, for the claim below (M2). Killed after
		 * it: a hole that costs nothing. */
		off = hc_atomic_fetch_add_relaxed(&t->hdr->obj_end, bytes);
		if (off < HC_HEADER_SIZE || off % HC_PAGE || off > t->reserve ||
		    bytes > t->reserve - off)
			return HC_ENOMEM;
		/* ORDER: relaxed CAS. One claim per region, offset and rung
		 * in one word: every process backs and publishes the word it
		 * finds, and the backing and the publishing CAS go through
		 * the object and the release below, not through this word.
		 * Killed after it: a claim the next grower backs and
		 * publishes. */
		c = hc_atomic_cas_relaxed(claim, 0, off | tag);
		if (c == 0) {
			c = off | tag;
		} else {
			/* ORDER: relaxed CAS. Gives the unclaimed space back
			 * if nobody took space after it; obj_end publishes
			 * nothing (M2). Fails: the space stays a hole. */
			(void)hc_atomic_cas_relaxed(&t->hdr->obj_end,
						    off + bytes, off);
		}
	} else if (!need) {
		return HC_OK; /* its claimer is at it; room is left */
	}
	if (hc__gen_word_rung(c) != tag) {
		/* Claimed for another rung, so of other bytes: the caller
		 * sizes that one and comes back. */
		*found = hc__gen_word_rung(c);
		return HC__ERETRY;
	}
	off = hc__gen_word_off(c);
	if (off < HC_HEADER_SIZE || off > t->reserve ||
	    bytes > t->reserve - off)
		return HC_ECORRUPT;
	rc = region_back(t, off, bytes);
	if (rc)
		return rc;
	/* ORDER: release CAS. Publishes the region at @off, with its rung;
	 * pairs with the acquire loads of slots_off (hc__gen_bounds,
	 * gen_rung, gen_region) or of arena_off (hc__arena_chunk_ptr). This
	 * process backed the region just above (all of it, or a memfd's
	 * last page), so every process that sees the offset finds the
	 * object long enough and no page that can fault for want of space
	 * (M2, D4). Fails when another process published the same claim
	 * first. Killed after it: the region is there for everyone (M5). */
	(void)hc_atomic_cas_release(pub, 0, c);
	return HC_OK;
}

/*
 * Back the regions a writer of @t may store to (region.c: hc__back): the
 * header page; the slots of the current generation and of one a growth
 * is filling, with its migration marks; the key area chunks published
 * and the packed overflow area.  Not the generations given back or on
 * their way (M9) nor the ranges of losers (M2): those stay holes.  A
 * table written before regions were backed, or by a process killed
 * between its fetch-and-add and its reservation, may have holes here;
 * an open for writing fills them or says HC_ENOSPC, instead of a
 * SIGBUS at some later add (design.md D4).  Other processes may write
 * these regions meanwhile: fallocate() keeps their data; where it is
 * missing nothing is reserved (hc__back, not fresh).
 */
int hc__back_live(struct hc_table *t)
{
	uint64_t gen0 = HC_HEADER_SIZE + slots_bytes(t, t->capacity),
		 end = t->hdr->total_bytes; /* validated at open */
	unsigned cur, top;
	int rc;

	if (!t->writable || t->fd < 0)
		return HC_OK;
	rc = hc__gen_bounds(t, &cur, &top);
	if (rc)
		return rc;
	/* The header page and generation 0; or, once it is not current,
	 * only the header page and the key or overflow area after it (not
	 * a narrow table's: generation 0's own, given back with it). */
	if (cur == 0) {
		rc = hc__back(t->fd, 0, end, HC__BACK_LIVE);
	} else {
		rc = hc__back(t->fd, 0, HC_HEADER_SIZE, HC__BACK_LIVE);
		if (!rc && end > gen0 && !t->ops->gen_area)
			rc = hc__back(t->fd, gen0, end - gen0, HC__BACK_LIVE);
	}
	for (unsigned g = cur ? cur : 1; !rc && g <= top; g++) {
		uint64_t off, cap, old, bytes;

		/* The object reaches the end of a published region (M2). */
		rc = gen_region(t, g, &off, &cap, &old, &bytes);
		if (rc)
			return rc;
		rc = hc__map_upto(t, off + bytes);
		if (!rc)
			rc = hc__back(t->fd, off, bytes, HC__BACK_LIVE);
	}
	if (!t->grows || !(t->ops->flags & HC_KIND_ARENA))
		return rc;
	for (unsigned i = 1; !rc && i < HC_GEN_MAX; i++) {
		unsigned char *c;

		/* A long key may skip a chunk: look at each. */
		rc = hc__arena_chunk_ptr(t, i, &c);
		if (rc == HC_ENOENT)
			rc = HC_OK;
		else if (!rc)
			rc = hc__back(t->fd, (uint64_t)(c - t->base),
				      round_page(t->arena_bytes << i),
				      HC__BACK_LIVE);
	}
	return rc;
}

/*
 * Where the file system has no fallocate(): a region of this process's
 * own (hc__region_alloc, written with zeros), published by the release
 * CAS; the loser gives its range back (M2).
 */
static int grow_private(struct hc_table *t, unsigned g, uint64_t bytes,
			unsigned tag)
{
	uint64_t off;
	int rc;

	off = hc__region_alloc(t, bytes, &rc);
	if (rc)
		return rc;
	hc__debug_yield();
	/* ORDER: release CAS. Publishes generation g + 1 at @off, with its
	 * rung (@tag, as in grow()); pairs with the acquire loads of slots_off (hc__gen_bounds,
	 * gen_rung, gen_region). The region is fresh object space (zero),
	 * backed, and the object already reaches its end, so no process
	 * maps past the end or faults for want of space in it (M2). The
	 * loser gives its range back (hc__region_free). Killed after it:
	 * the growth is published and every writer finishes it (M5). */
	if (hc_atomic_cas_release(&t->hdr->gens[g + 1].slots_off, 0,
				  off | tag) != 0)
		hc__region_free(t, off, bytes);
	return HC_OK;
}

/*
 * The keys generation @g is expected to end with (hc_table_set_progress
 * put them in the header), and at least those it has; 0 where nobody
 * said.
 */
static uint64_t want_keys(const struct hc_table *t, unsigned g)
{
	uint64_t e, n;

	/* ORDER: relaxed. A figure that only sizes a growth (M1); a stale
	 * one sizes it from an older expectation. */
	e = hc_atomic_load_relaxed(&t->hdr->expect);
	/* ORDER: relaxed. A figure too (M7): flushed in batches, so low by
	 * a batch a process: nothing next to the keys. */
	n = hc_atomic_load_relaxed(&t->hdr->gens[g].claimed);
	return e && e < n ? n : e;
}

/*
 * The rung generation @g + 1 takes from @g's, @r (M1): the next
 * doubling, r + HC_RUNG_STEPS; or, where the keys expected at the end
 * (want_keys) fit below the growth load in a rung before it with a
 * nothing to spare (the figure is high already), the first such rung, so that the last generation
 * is no larger than it must be.  Smaller steps only while the
 * generations left could still double to the maximum.  0 where no rung
 * is allowed (the maximum, the geometry).
 */
static unsigned next_rung(const struct hc_table *t, unsigned g, unsigned r)
{
	uint64_t cap = rung_cap(t, r), want = want_keys(t, g), c;
	unsigned left = HC_GEN_MAX - 2u - g, need = 0;

	for (c = rung_cap(t, r + 1); c && c < t->max_capacity && need < 64;
	     c *= 2)
		need++;
	if (want && left > need) {
		unsigned __int128 fit = (unsigned __int128)want << 16;

		for (unsigned n = r + 1; n < r + HC_RUNG_STEPS; n++) {
			c = rung_allowed(t, n, cap);
			if (c && (unsigned __int128)c * t->grow_load >= fit)
				return n;
		}
	}
	return rung_allowed(t, r + HC_RUNG_STEPS, cap) ? r + HC_RUNG_STEPS : 0;
}

/*
 * Start the growth of generation @g into g + 1 (or join the one already
 * started).  HC_EFULL when the maximum capacity forbids it; HC_ENOMEM
 * when the object or the address range cannot take the region;
 * HC_ENOSPC when the device cannot back it.  @need: 0 from the claim
 * counter: the generation has room, a growth another process has
 * claimed is left to it, and the caller, in the middle of its batch and
 * pinned to go on in g, only publishes (it helps at its next batch,
 * hc__view_now, once its pin says so; M9).  1 after a failed probe: the
 * caller's pin says it helps (hc__after_fail), and it helps the
 * migration to its end.
 */
static int grow(struct hc_table *t, unsigned g, int need)
{
	struct hc__gen_rec *r;
	uint64_t off, bytes, cap;
	unsigned rg, rn, found;
	int rc;

	if (!t->grows || !t->writable)
		return HC_EFULL;
	if (g + 1 >= HC_GEN_MAX)
		return HC_EFULL;
	r = &t->hdr->gens[g + 1];
	/* ORDER: acquire. As in hc__gen_bounds (M2). */
	if (hc_atomic_load_acquire(&r->slots_off))
		return need ? hc__help(t, g) : HC_OK;
	rc = gen_rung(t, g, &rg);
	if (rc)
		return rc;
	cap = rung_cap(t, rg);
	rn = next_rung(t, g, rg);
	if (!cap || !rn)
		return HC_EFULL;
	hc__debug_yield();
	/* The words carry the rungs short of a doubling (0 where it is
	 * one, as before rungs): 4 (g + 1) - rn. */
	for (int tries = 0;; tries++) {
		bytes = region_bytes(t, rung_cap(t, rn), cap);
		rc = hc__region_publish(t, &r->slots_claim, &r->slots_off,
					bytes, HC_RUNG_STEPS * (g + 1) - rn,
					need, &found);
		if (rc != HC__ERETRY)
			break;
		/* Another process claimed it for the rung it chose. */
		if (tries || found > HC_RUNG_STEPS * (g + 1) ||
		    !rung_allowed(t, HC_RUNG_STEPS * (g + 1) - found, cap))
			return HC_ECORRUPT;
		rn = HC_RUNG_STEPS * (g + 1) - found;
	}
	if (rc == HC__ENOTSUP)
		rc = grow_private(t, g, bytes, HC_RUNG_STEPS * (g + 1) - rn);
	if (rc) {
		if (rc == HC_ENOSPC)
			/* ORDER: relaxed. Process-local: the growth the
			 * claim counter need not retry (hc__note_claims);
			 * a failed add retries it still. */
			hc_atomic_store_relaxed(&t->nospc_gen, (uint64_t)g + 1);
		return rc;
	}
	/* ORDER: acquire. As above: the offset published, by anyone. */
	off = hc_atomic_load_acquire(&r->slots_off);
	if (off == 0 || !need)
		return HC_OK; /* claimed by another, and room is left */
	return hc__help(t, g);
}

/* The keys @t holds now, about: the claims flushed into its newest
 * generation, or into the one a migration leaves while it has more. */
static uint64_t keys_now(const struct hc_table *t)
{
	unsigned cur, top;
	uint64_t a, b;

	if (hc__gen_bounds(t, &cur, &top))
		return 0;
	/* ORDER: relaxed. Figures (M7). */
	a = hc_atomic_load_relaxed(&t->hdr->gens[cur].claimed);
	/* ORDER: relaxed. As above. */
	b = hc_atomic_load_relaxed(&t->hdr->gens[top].claimed);
	return a > b ? a : b;
}

/*
 * Record the share of the work done, p, and from it the keys the table
 * will end with (M1): the keys now, k, plus the rest of the work at the
 * rate of new keys over the last 1/16 of it, the slope of a least-
 * squares line through this handle's samples (one each 1/1024 of the
 * work; the fit evens out that the keys of the blocks in flight are in
 * k before their bytes are in p).  A stream finds new keys ever more
 * slowly (its curve is concave), so that rate is about the rate 1/32
 * back, at least the rate to come, and the figure rather too many;
 * with fewer than 8 samples, the rate since the start, k / p.  A call
 * that finds another thread of the handle here skips; the figure is
 * the table's, for every process's growths.
 */
int hc_table_set_progress(hc_table *t, uint64_t done, uint64_t total)
{
	double p, k, e = 0, n = 0, mp = 0, mk = 0, sxx = 0, sxy = 0;
	unsigned i, last;

	if (!t || (total && done > total))
		return HC_EINVAL;
	if (!t->writable)
		return HC_ERDONLY;
	if (!t->grows)
		return HC_OK;
	p = total ? (double)done / (double)total : 0;
	k = (double)keys_now(t);
	if (pthread_mutex_trylock((pthread_mutex_t *)t->map_lock) != 0)
		return HC_OK;
	last = (t->prog_at + t->prog_n + HC_PROG_SAMPLES - 1) % HC_PROG_SAMPLES;
	if (p == 0 || (t->prog_n && p < t->prog_p[last]))
		t->prog_n = 0; /* forgotten, or another job: no history */
	if (p > 0 && (!t->prog_n || p - t->prog_p[last] >= 1.0 / 1024)) {
		i = (t->prog_at + t->prog_n) % HC_PROG_SAMPLES;
		if (t->prog_n == HC_PROG_SAMPLES)
			t->prog_at = (t->prog_at + 1) % HC_PROG_SAMPLES;
		else
			t->prog_n++;
		t->prog_p[i] = p;
		t->prog_k[i] = k;
	}
	for (i = 0; i < t->prog_n; i++) {
		unsigned x = (t->prog_at + i) % HC_PROG_SAMPLES;

		if (t->prog_p[x] < p - 1.0 / 16)
			continue; /* the last 1/16 of the work only */
		n++;
		mp += t->prog_p[x];
		mk += t->prog_k[x];
	}
	if (n >= 8) {
		mp /= n;
		mk /= n;
		for (i = 0; i < t->prog_n; i++) {
			unsigned x = (t->prog_at + i) % HC_PROG_SAMPLES;

			if (t->prog_p[x] < p - 1.0 / 16)
				continue;
			sxx += (t->prog_p[x] - mp) * (t->prog_p[x] - mp);
			sxy += (t->prog_p[x] - mp) * (t->prog_k[x] - mk);
		}
	}
	pthread_mutex_unlock((pthread_mutex_t *)t->map_lock);
	if (p > 0) {
		if (n >= 8 && sxx > 0)
			e = k + (1 - p) * (sxy > 0 ? sxy / sxx : 0);
		else
			e = k / p;
		/* Known, and no keys yet: as small as can be. */
		e = e < 1 ? 1 : e > 0x1p62 ? 0x1p62 : e;
	}
	/* ORDER: relaxed. A figure that only sizes a growth (want_keys,
	 * M1); a stale one sizes it from an older expectation. */
	hc_atomic_store_relaxed(&t->hdr->expect, (uint64_t)e);
	return HC_OK;
}

int hc__grow(struct hc_table *t, unsigned g)
{
	return grow(t, g, 1);
}

/*
 * Fault in the pages of @n that the keys of old slots [@lo, @hi) go to:
 * about slots [2 lo, 2 hi), as the home is monotone in the hash.  One
 * call costs far less than a fault per page, and faulting the new
 * generation block by block, as the old one is given back block by
 * block, keeps the peak near the new generation alone (M9), 2 MiB ahead
 * at most.  Advice only: the pages are backed, and on failure they fault
 * one by one.
 */
static void populate(struct hc_table *t, const struct hc__gv *o,
		     const struct hc__gv *n, uint64_t lo, uint64_t hi)
{
	uint64_t a = (uint64_t)((unsigned __int128)lo * n->capacity /
				o->capacity) *
		     n->ssize,
		 e = (uint64_t)((unsigned __int128)hi * n->capacity /
				o->capacity) *
		     n->ssize,
		 end = n->capacity * n->ssize;
	unsigned char *p = (unsigned char *)n->packed;

	a = a / HC_PAGE * HC_PAGE;
	e = round_page(e < end ? e : end);
	if (e <= a)
		return;
	if (backed_lazily(t)) {
		/* The 2 MiB blocks of @n that [p + a, p + e) touches, and the
		 * next one: made huge before any helper copies into them or
		 * populates them, so that two helpers rarely meet there. */
		uintptr_t h = HC_HUGE_ALIGN, l = (uintptr_t)(p + a) & ~(h - 1),
			  z = (((uintptr_t)(p + e) + h - 1) & ~(h - 1)) + h;

		if (l < (uintptr_t)p)
			l = (uintptr_t)p;
		if (z > (uintptr_t)(p + end))
			z = (uintptr_t)(p + end);
		hc__collapse(t, (unsigned char *)l, (unsigned char *)z);
	}
	(void)madvise(p + a, e - a, MADV_POPULATE_WRITE);
}

/* Generation 0 of a new table that grows, in huge pages where the
 * kernel gives them (hc__collapse): the plan sized it to be filled up to
 * the grow load before the first growth.  In the shm home, before the
 * object is backed past its header page (region.c: create_on_fd). */
void hc__collapse_first(struct hc_table *t)
{
	struct hc__gv v;

	if (t->grows && (t->home == HC_HOME_SHM || backed_lazily(t)) &&
	    hc__gen_view(t, 0, &v) == HC_OK)
		hc__collapse(t, (unsigned char *)v.packed,
			     (unsigned char *)v.packed + v.capacity * v.ssize);
}

/* Freeze and copy every slot of block @b of generation @o into @n, then
 * mark the block done (M3, M5). */
static int migrate_block(struct hc_table *t, const struct hc__gv *o,
			 const struct hc__gv *n, hc_aword *marks, uint64_t b)
{
	uint64_t lo = b * HC_MIG_BLOCK, hi = lo + HC_MIG_BLOCK, copied = 0;
	int rc;

	/* ORDER: acquire. Pairs with the release CAS below in the process
	 * that marked the block: its copies are visible (M5). */
	if (hc_atomic_load_acquire(&marks[b]))
		return HC_OK;
	if (hi > o->capacity)
		hi = o->capacity;
	populate(t, o, n, lo, hi);
	rc = t->ops->migrate(t, o, n, lo, hi, &copied);
	if (rc)
		return rc;
	/* ORDER: release CAS. Marks the block done after every slot of it
	 * was frozen and copied; pairs with the acquire loads of the marks
	 * (above, and the scan in hc__help). Only the process that marks it
	 * counts its keys into the new generation. Killed before it: another
	 * process does the block again; each copy is idempotent (M3, M5). */
	if (hc_atomic_cas_release(&marks[b], 0, 1) == 0)
		/* ORDER: relaxed fetch-and-add. A figure that starts the next
		 * growth; it publishes nothing (M7). */
		hc_atomic_fetch_add_relaxed(&t->hdr->gens[n->g].claimed,
					    copied);
	return HC_OK;
}

static void free_blocks(struct hc_table *t, const struct hc__gv *o,
			hc_aword *marks, uint64_t nb);

/* Blocks of the old generation given back at once during a migration:
 * a punch per block would cost a call and a TLB shootdown per 16 KiB.
 * Tests lower it, down to one block a punch. */
uint64_t hc__free_blocks_bytes = UINT64_C(2) << 20;

/* Blocks of @o given back at once: hc__free_blocks_bytes, at least 1. */
static uint64_t free_run(const struct hc__gv *o)
{
	uint64_t n =
		hc__free_blocks_bytes / ((uint64_t)HC_MIG_BLOCK * o->ssize);

	return n ? n : 1;
}

/*
 * Help the migration of generation @g into g + 1 until it is finished:
 * take blocks from the shared cursor, then sweep every block not yet
 * marked (a stopped or killed migrator's too), then advance cur.  Never
 * waits for another process (M5).  Every hc__free_blocks_bytes of old slots
 * it moves, it gives back the blocks done so far where no pin forbids
 * it (free_blocks, M9).
 */
int hc__help(struct hc_table *t, unsigned g)
{
	struct hc__gv o, n;
	hc_aword *marks;
	uint64_t nb, every;
	int rc;

	if (!t->writable)
		return HC_ERDONLY;
	rc = hc__gen_view(t, g, &o);
	if (!rc)
		rc = hc__gen_view(t, g + 1, &n);
	if (rc)
		return rc;
	/* The marks are sized by the old generation as the new one's
	 * view read it (gen_region): one read of the words for both. */
	if (n.old_cap != o.capacity)
		return HC_ECORRUPT;
	marks = (hc_aword *)((unsigned char *)n.packed +
			     round_page(n.capacity * n.ssize));
	nb = nblocks(o.capacity);
	every = free_run(&o);
	for (;;) {
		/* ORDER: acquire. As in hc__gen_bounds (M4): a finished
		 * migration needs no help. */
		if (hc_atomic_load_acquire(&t->hdr->cur) > g)
			return HC_OK;
		/* ORDER: relaxed fetch-and-add. Hands out a block; the mark
		 * decides who counts it, so double work is harmless (M5). */
		uint64_t b =
			hc_atomic_fetch_add_relaxed(&t->hdr->gens[g].cursor, 1);
		if (b >= nb)
			break;
		rc = migrate_block(t, &o, &n, marks, b);
		if (rc)
			return rc;
		if ((b + 1) % every == 0)
			free_blocks(t, &o, marks, nb);
	}
	for (uint64_t b = 0; b < nb; b++) {
		rc = migrate_block(t, &o, &n, marks, b);
		if (rc)
			return rc;
	}
	/* ORDER: release CAS. Every mark was seen set with acquire (above),
	 * so every copy of generation g happens before this; pairs with the
	 * acquire loads of cur: a process that sees g + 1 current sees every
	 * key of g in it (M4). Fails when another process advanced it first.
	 * Killed before it: the next writer sweeps and advances. */
	hc_atomic_cas_release(&t->hdr->cur, g, (uint64_t)g + 1);
	return HC_OK;
}

/*
 * Count @k claims in generation @g of @cap slots.  Claims are counted
 * per handle and flushed to the shared word in batches, so the shared
 * counter is touched once per batch (M7); batched adds count a chunk's
 * claims at once (kind_narrow.c).  Starts a growth when the flushed
 * count passes the grow load.
 */
void hc__note_claims(struct hc_table *t, unsigned g, uint64_t cap, uint64_t k)
{
	/* 256, or capacity / 64 rounded down to a power of two (at least
	 * 1): a mask, not a division */
	uint64_t batch = cap >= 64 * 256 ? 256
			 : cap >= 128
				 ? UINT64_C(1)
					   << (63 - __builtin_clzll(cap / 64))
				 : 1,
		 n, c, f;

	if (!t->grows || k == 0)
		return;
	/* ORDER: relaxed fetch-and-add on a process-local word (threads of
	 * one handle); a figure only (M7). */
	n = hc_atomic_fetch_add_relaxed(&t->local_claims[g], k);
	/* the whole batches these claims complete */
	f = ((n + k) & ~(batch - 1)) - (n & ~(batch - 1));
	if (f == 0)
		return;
	/* ORDER: relaxed fetch-and-add. A figure that starts a growth; it
	 * publishes nothing (M7). Killed before it: up to one batch is not
	 * counted, and the probe-failure trigger still grows the table. */
	c = hc_atomic_fetch_add_relaxed(&t->hdr->gens[g].claimed, f) + f;
	/* A growth this handle found no space for is not tried again on
	 * every batch (each try reserves and gives back a whole region);
	 * the add that finds the generation full tries it (hc__after_fail).
	 * ORDER: relaxed. Process-local, a hint only. */
	if ((unsigned __int128)c * 65536 >=
		    (unsigned __int128)cap * t->grow_load &&
	    hc_atomic_load_relaxed(&t->nospc_gen) != (uint64_t)g + 1)
		(void)grow(t, g, 0);
}

/* ---- giving old generations back (design.md M9) ---------------------- */

/* This process's pid, 0 until read and again in a forked child (the
 * atfork handler): a child that inherits a handle pins with its own. */
static hc_aword pid_cache;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void pid_forget(void)
{
	/* ORDER: relaxed. Process-local; the child runs one thread here.
	 * Killed here: nothing shared changes. */
	hc_atomic_store_relaxed(&pid_cache, 0);
}

static void pid_setup(void)
{
	(void)pthread_atfork(NULL, NULL, pid_forget);
}

uint64_t hc__pid(void)
{
	uint64_t p;

	(void)pthread_once(&pid_once, pid_setup);
	/* ORDER: relaxed. Process-local; every thread stores the same
	 * value. Killed here: nothing shared changes. */
	p = hc_atomic_load_relaxed(&pid_cache);
	if (p == 0) {
		p = (uint64_t)getpid();
		/* ORDER: relaxed. As above. */
		hc_atomic_store_relaxed(&pid_cache, p);
	}
	return p;
}

/* Is the process @pid alive?  EPERM: it is, and not ours to signal.
 * Pid reuse makes a dead pin look alive (it only delays), a process in
 * another pid namespace is not supported (design.md M9). */
static int pid_alive(uint64_t pid)
{
	int saved = errno, alive;

	if (pid == 0 || pid > INT32_MAX)
		return 0;
	alive = kill((pid_t)pid, 0) == 0 || errno != ESRCH;
	errno = saved; /* an HC_EIO keeps the errno the OS set */
	return alive;
}

/*
 * Pin: claim a free pin slot (or one of a dead process) with this
 * process's pid and the current generation, in one full CAS.  Every
 * generation the operation goes into comes from a load of cur after
 * this CAS; hc__reclaim() loads cur, then (a full CAS) the pins, so of
 * the two one sees the other: the reclaimer sees the pin, or the
 * operation sees a cur past every generation the reclaimer gives back
 * (store-buffering with a full barrier on both sides; design.md M9).
 * Returns the slot + 1, or -1 when every slot is taken (pin_over).
 * A read-only handle cannot write the header and pins nothing.
 */
int hc__pin_slow(struct hc_table *t)
{
	uint64_t pid, c, w, x, seen;
	unsigned h;

	if (!t->writable)
		return 0;
	pid = hc__pid();
	/* ORDER: relaxed. The value pinned need only be at or below every
	 * cur the operation loads after the CAS below, which any value read
	 * here is (cur only grows). Killed here: nothing shared changes. */
	c = hc_atomic_load_relaxed(&t->hdr->cur);
	if (c >= HC_GEN_MAX)
		c = 0; /* a corrupt header: pin everything */
	w = pid << 8 | c;
	h = (unsigned)(pid % HC_PINS); /* processes start apart */
	for (unsigned i = 0; i < HC_PINS; i++) {
		unsigned s = (h + i) % HC_PINS;

		/* ORDER: full CAS. Publishes the pin before the loads of cur
		 * that follow (the store-load order above); pairs with the
		 * full CAS and the pin loads in hc__reclaim(). Killed after
		 * it: a pin of a dead pid, which the reclaimer ignores and
		 * the next pinner that finds no free slot takes over. */
		if (hc_atomic_cas_full(&t->hdr->pins[s], 0, w) == 0)
			return (int)s + 1;
	}
	for (unsigned s = 0; s < HC_PINS; s++) {
		/* ORDER: relaxed. Only a candidate; the CAS decides. */
		x = hc_atomic_load_relaxed(&t->hdr->pins[s]);
		if (x == 0 || pid_alive(x >> 8))
			continue;
		/* ORDER: full CAS. As above; takes over the slot of a dead
		 * process only if it still holds what was checked. */
		if (hc_atomic_cas_full(&t->hdr->pins[s], x, w) == x)
			return (int)s + 1;
	}
	/* Every slot is pinned by a live process: count this operation in
	 * pin_over, which stops all reclamation while it is not 0. */
	/* ORDER: relaxed. The value the CAS below starts from. */
	x = hc_atomic_load_relaxed(&t->hdr->pin_over);
	for (;;) {
		/* ORDER: full CAS. As the pin CAS above: published before
		 * the loads of cur that follow; pairs with the full CAS in
		 * hc__reclaim(). Killed after it: pin_over stays above 0
		 * and nothing is given back any more (memory only). */
		seen = hc_atomic_cas_full(&t->hdr->pin_over, x, x + 1);
		if (seen == x)
			return -1;
		x = seen;
	}
}

/*
 * Unpin, then give back what this handle has not tried to give back
 * at the current generation (a pin of this process may have held it
 * back: then again next time).
 */
void hc__unpin_slow(struct hc_table *t, int pin)
{
	uint64_t x, seen, c, f;

	if (pin > 0) {
		/* ORDER: release. The operation's accesses to its generations
		 * happen before the slot reads free; pairs with the acquire
		 * loads of the pins in hc__reclaim(), which gives a
		 * generation back only after. Killed before it: the pin of a
		 * dead pid, ignored. */
		hc_atomic_store_release(&t->hdr->pins[pin - 1], 0);
	} else {
		/* ORDER: relaxed. The value the CAS below starts from. */
		x = hc_atomic_load_relaxed(&t->hdr->pin_over);
		while (x) {
			/* ORDER: release CAS. As the store above, for an
			 * operation counted in pin_over; pairs with the
			 * acquire load in hc__reclaim(). */
			seen = hc_atomic_cas_release(&t->hdr->pin_over, x,
						     x - 1);
			if (seen == x)
				break;
			x = seen;
		}
	}
	/* ORDER: relaxed. Whether to try; hc__reclaim() decides with the
	 * ordered loads. Killed here: nothing changes. */
	c = hc_atomic_load_relaxed(&t->hdr->cur);
	/* ORDER: relaxed. As above. */
	f = hc_atomic_load_relaxed(&t->hdr->freed);
	/* ORDER: relaxed. Process-local: the cur this handle last tried. */
	if (f < c && c < HC_GEN_MAX &&
	    hc_atomic_load_relaxed(&t->reclaim_seen) != c)
		(void)hc__reclaim(t);
}

/* Give back the bytes [@p, @p + @len) of the object: a hole punched in
 * the memfd, shm object or file; MADV_REMOVE where fallocate cannot. */
static void punch(struct hc_table *t, const void *p, uint64_t len)
{
	uint64_t off = (uint64_t)((const unsigned char *)p - t->base);

	int saved = errno;

	if (len == 0)
		return;
	if (fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) != 0)
		(void)madvise((void *)p, len, MADV_REMOVE);
	errno = saved; /* an HC_EIO keeps the errno the OS set */
}

/*
 * Raise the pin @pin (of this process, taken by hc__pin) to generation
 * @g with HC_PIN_HELP: from now on its operation goes into @g only to
 * help its migration (hc__help), and adds in a later generation.
 * Nothing to raise for a pin counted in pin_over, which holds back
 * everything, or for none.
 */
void hc__pin_helping(struct hc_table *t, int pin, unsigned g)
{
	if (pin <= 0)
		return;
	/* ORDER: release. The operation's accesses to the blocks of @g, if
	 * any, happen before a reclaimer that reads the raised value (with
	 * acquire, free_blocks) gives a block back. Killed after it: a pin
	 * of a dead pid, ignored. */
	hc_atomic_store_release(&t->hdr->pins[pin - 1],
				hc__pid() << 8 | HC_PIN_HELP | g);
}

/*
 * Give back the blocks of the old generation @o that its migration has
 * finished, in runs of hc__free_blocks_bytes or more from the first block
 * this handle has not given back yet, while the migration is in flight
 * (design.md M9, "Blocks given back during a migration").  Only where
 * no live pin is below @o's generation, or at it without HC_PIN_HELP:
 * every operation that may still go into @o other than to help has such
 * a pin (or pins after the loads below, and then sees the migration and
 * helps first).  A block a helper still reads reads as zeros, frozen
 * empty to its freeze, so it copies nothing: every key of the block was
 * copied before its mark.  Two handles punch the same holes, harmlessly.
 */
static void free_blocks(struct hc_table *t, const struct hc__gv *o,
			hc_aword *marks, uint64_t nb)
{
	uint64_t x, b, e, per, self, off, a, z, g = o->g;

	if (t->fd < 0)
		return;
	per = free_run(o);
	/* ORDER: relaxed. Process-local, a hint: threads of one handle at
	 * worst punch the same holes twice. */
	x = hc_atomic_load_relaxed(&t->blocks_freed);
	b = (x >> 48) == g + 1 ? x & ((UINT64_C(1) << 48) - 1) : 0;
	/* ORDER: acquire. Pairs with the release CAS that marked each block
	 * (migrate_block): every copy out of it happens before the punch. */
	for (e = b; e < nb && hc_atomic_load_acquire(&marks[e]); e++)
		;
	if (e - b < per)
		return;
	/* ORDER: full CAS (of freed to itself: a load with a full barrier).
	 * Orders the loads of the marks above (and of the migration's
	 * offset, hc__gen_view, before them) before the loads of the pins
	 * below; pairs with the full CAS in hc__pin_slow(): a pin this scan
	 * misses belongs to an operation whose loads of cur and slots_off
	 * after it see the migration in flight (M9). */
	(void)hc_atomic_cas_full(&t->hdr->freed, 0, 0);
	/* ORDER: acquire. As in hc__reclaim(). */
	if (hc_atomic_load_acquire(&t->hdr->pin_over))
		return;
	self = hc__pid();
	for (unsigned s = 0; s < HC_PINS; s++) {
		/* ORDER: acquire. Pairs with the release stores that free or
		 * raise a pin (hc__unpin_slow, hc__pin_helping): what its
		 * operation did in @o happens before the punch. */
		x = hc_atomic_load_acquire(&t->hdr->pins[s]);
		if (x == 0 || (x & HC_PIN_GEN_MASK) > g ||
		    ((x & HC_PIN_GEN_MASK) == g && (x & HC_PIN_HELP)))
			continue;
		if ((x >> 8) == self || pid_alive(x >> 8))
			return;
	}
	off = (uint64_t)((unsigned char *)o->packed - t->base);
	a = round_page(off + b * HC_MIG_BLOCK * o->ssize);
	z = e * HC_MIG_BLOCK < o->capacity ? e * HC_MIG_BLOCK : o->capacity;
	z = (off + z * o->ssize) / HC_PAGE * HC_PAGE;
	if (per * HC_MIG_BLOCK * o->ssize >= HC_HUGE_ALIGN) {
		/* Whole huge pages (hc__collapse), which go back without
		 * being split: the run starts back at the 2 MiB boundary
		 * below, in blocks given back before (or the generation's
		 * first page), and what it leaves above the last boundary
		 * goes with the next run. */
		uint64_t h = a - a % HC_HUGE_ALIGN;

		a = h > round_page(off) ? h : round_page(off);
		z -= z % HC_HUGE_ALIGN;
	}
	if (z > a)
		punch(t, t->base + a, z - a);
	/* ORDER: relaxed. Process-local, as above. */
	hc_atomic_store_relaxed(&t->blocks_freed, (g + 1) << 48 | e);
}

/* Give back generation @g (< cur, no pin at or below it): its slots,
 * whole pages only (generation 0 shares its last page with the key
 * area or the overflow area), and the marks of its migration, which
 * live in the region of g + 1 (M2). */
static int give_back(struct hc_table *t, unsigned g)
{
	struct hc__gv o, n;
	uint64_t len;
	int rc;

	rc = hc__gen_view(t, g, &o);
	if (!rc)
		rc = hc__gen_view(t, g + 1, &n);
	if (rc)
		return rc;
	len = o.capacity * o.ssize;
	len = g ? round_page(len) : len / HC_PAGE * HC_PAGE;
	punch(t, (const unsigned char *)o.packed, len);
	punch(t, (unsigned char *)n.packed + round_page(n.capacity * n.ssize),
	      round_page(nblocks(o.capacity) * sizeof(uint64_t)));
	if (o.ovf && t->ops->gen_area) {
		/* The kind's area of the generation, moved on with it
		 * (narrow: design.md, "Narrow slots"); whole pages only. */
		uint64_t a = (uint64_t)((unsigned char *)o.ovf - t->base),
			 e = a + hc__gen_area(t->ops, t->key_bits, o.capacity);

		a = round_page(a);
		e = e / HC_PAGE * HC_PAGE;
		if (e > a)
			punch(t, t->base + a, e - a);
	}
	return HC_OK;
}

/*
 * Give back every generation below cur that no live pin is at or below
 * (design.md M9).  Returns 1 when a pin of this process held one back
 * (the caller tries again at its next unpin), else 0.  Any writable
 * handle of a table that grows may call it at any time; two at once
 * punch the same holes, which is harmless.
 */
int hc__reclaim(struct hc_table *t)
{
	uint64_t c, f, lim, x, g, self;
	int mine = 0;

	if (!t->grows || !t->writable || t->fd < 0)
		return 0;
	/* ORDER: acquire. Pairs with the release CAS that advanced cur in
	 * hc__help(): the generations below it are no longer current. */
	c = hc_atomic_load_acquire(&t->hdr->cur);
	if (c >= HC_GEN_MAX)
		return 0;
	/* ORDER: full CAS (of freed to itself: a load with a full
	 * barrier). Orders the load of cur above before the loads of the
	 * pins below; pairs with the full CAS in hc__pin_slow() (the
	 * store-load argument there). Killed here: nothing changes. */
	f = hc_atomic_cas_full(&t->hdr->freed, 0, 0);
	self = hc__pid();
	if (f >= c) {
		/* ORDER: relaxed. Process-local: the cur tried last. */
		hc_atomic_store_relaxed(&t->reclaim_seen, c);
		return 0;
	}
	/* ORDER: acquire. Pairs with the release CAS in hc__unpin_slow():
	 * the operations counted are over before it reads 0. */
	if (hc_atomic_load_acquire(&t->hdr->pin_over))
		return 1;
	lim = c;
	for (unsigned s = 0; s < HC_PINS; s++) {
		/* ORDER: acquire. Pairs with the release store that frees
		 * a pin (hc__unpin_slow) and follows the full CAS above. */
		x = hc_atomic_load_acquire(&t->hdr->pins[s]);
		if (x == 0)
			continue;
		g = x & HC_PIN_GEN_MASK;
		if (g >= lim)
			continue;
		if ((x >> 8) == self) {
			mine = 1;
			lim = g;
		} else if (pid_alive(x >> 8)) {
			lim = g;
		}
	}
	/* ORDER: relaxed. Process-local: the cur tried last, unless a
	 * pin of this process held a generation back. */
	if (!mine)
		hc_atomic_store_relaxed(&t->reclaim_seen, c);
	if (lim <= f)
		return mine;
	for (g = f; g < lim; g++)
		if (give_back(t, (unsigned)g))
			return mine;
	/* ORDER: release CAS. Records what was given back; pairs with the
	 * full CAS above in later reclaimers (they start from it). Fails
	 * when another reclaimer recorded first, having punched the same.
	 * Killed before it: the next reclaimer punches the holes again. */
	hc_atomic_cas_release(&t->hdr->freed, f, lim);
	return mine;
}
