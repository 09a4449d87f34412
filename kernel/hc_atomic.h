/* SPDX-License-Identifier: MIT */
/*
 * hc_atomic.h - the only place the kernel touches atomic primitives.
 *
 * A thin layer over libatomic_ops (AO_t is one 64-bit machine word here).
 * Every operation the kernel uses is named with its ordering, so a call
 * site says what it relies on.  Each call site carries an ORDER: comment
 * that cites docs/design.md.
 *
 * AO_REQUIRE_CAS and AO_USE_PTHREAD_DEFS are never defined: their
 * emulation takes locks that one process cannot see in another.  If the
 * platform lacks a primitive natively, the build fails here.
 */
#ifndef HC_ATOMIC_H
#define HC_ATOMIC_H

#include <stdint.h>

#if defined(AO_REQUIRE_CAS) || defined(AO_USE_PTHREAD_DEFS)
#error "hogcount needs lock-free atomics that work across processes"
#endif

#include <atomic_ops.h>

#if !defined(AO_HAVE_load) || !defined(AO_HAVE_load_acquire) || \
	!defined(AO_HAVE_store) || !defined(AO_HAVE_store_release)
#error "libatomic_ops lacks AO_load/AO_store (relaxed, acquire, release)"
#endif
#if !defined(AO_HAVE_load_full)
#error "libatomic_ops lacks AO_load_full"
#endif
#if !defined(AO_HAVE_fetch_and_add) ||                      \
	!defined(AO_HAVE_fetch_compare_and_swap_release) || \
	!defined(AO_HAVE_fetch_compare_and_swap) ||         \
	!defined(AO_HAVE_fetch_compare_and_swap_full)
#error "libatomic_ops lacks fetch_and_add or fetch_compare_and_swap"
#endif

_Static_assert(sizeof(AO_t) == sizeof(uint64_t),
	       "hogcount needs a 64-bit AO_t (LP64 platform)");

/* A word in the shared mapping that is accessed atomically. */
typedef volatile AO_t hc_aword;

/* Relaxed load: atomicity only, no ordering. */
static inline uint64_t hc_atomic_load_relaxed(const hc_aword *p)
{
	return AO_load(p);
}

/* Acquire load: later reads see what the matching release published. */
static inline uint64_t hc_atomic_load_acquire(const hc_aword *p)
{
	return AO_load_acquire(p);
}

/* Full load: ordered after every access before it (loads included) and
 * before every access after it.  For the one reader that must know its
 * earlier plain reads are over before it looks again (seal.c). */
static inline uint64_t hc_atomic_load_full(const hc_aword *p)
{
	return AO_load_full(p);
}

/* Relaxed store: atomicity only (a plain mov on x86-64). */
static inline void hc_atomic_store_relaxed(hc_aword *p, uint64_t v)
{
	AO_store(p, v);
}

/* Release store: earlier writes are visible before this one. */
static inline void hc_atomic_store_release(hc_aword *p, uint64_t v)
{
	AO_store_release(p, v);
}

/* Relaxed fetch-and-add: one indivisible read-modify-write; returns the
 * old value.  Sums are exact whatever the ordering. */
static inline uint64_t hc_atomic_fetch_add_relaxed(hc_aword *p, uint64_t d)
{
	return AO_fetch_and_add(p, d);
}

/* Compare-and-swap with release on success; returns the value found
 * (== @expect on success).  Publishes writes made before it. */
static inline uint64_t hc_atomic_cas_release(hc_aword *p, uint64_t expect,
					     uint64_t desired)
{
	return AO_fetch_compare_and_swap_release(p, expect, desired);
}

/* Compare-and-swap with no ordering; returns the value found.  For the
 * sites that need one indivisible update and publish nothing with it. */
static inline uint64_t hc_atomic_cas_relaxed(hc_aword *p, uint64_t expect,
					     uint64_t desired)
{
	return AO_fetch_compare_and_swap(p, expect, desired);
}

/* Compare-and-swap with acquire and release (full): orders the accesses
 * before it and after it, on success and on failure alike. */
static inline uint64_t hc_atomic_cas_full(hc_aword *p, uint64_t expect,
					  uint64_t desired)
{
	return AO_fetch_compare_and_swap_full(p, expect, desired);
}

/*
 * 32-bit words, for the narrow kind's 4-byte slots (kind_narrow.c): the
 * relaxed load, store and compare-and-swap above, on half a word.
 */
#if !defined(AO_HAVE_int_load) || !defined(AO_HAVE_int_store) || \
	!defined(AO_HAVE_int_fetch_compare_and_swap)
#error "libatomic_ops lacks AO_int_load, AO_int_store or int CAS"
#endif

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "32-bit unsigned int");

typedef volatile unsigned hc_aword32;

static inline uint32_t hc_atomic32_load_relaxed(const hc_aword32 *p)
{
	return AO_int_load(p);
}

static inline void hc_atomic32_store_relaxed(hc_aword32 *p, uint32_t v)
{
	AO_int_store(p, v);
}

static inline uint32_t hc_atomic32_cas_relaxed(hc_aword32 *p, uint32_t expect,
					       uint32_t desired)
{
	return AO_int_fetch_compare_and_swap(p, expect, desired);
}

/*
 * A relaxed snapshot of 16 bytes, for scans of a bucket (kind_narrow.c):
 * each naturally aligned 4- or 8-byte word within is read whole, as a
 * relaxed load of it would read it, with no order among them.  x86-64
 * does not tear an aligned element of an SSE2 load (Boost.Unordered's
 * concurrent_flat_map reads its groups' metadata so).  Not under
 * ThreadSanitizer, which cannot see such a load as atomic: there, and
 * where HC_HAVE_VEC_LOAD is 0, the scans read word by word.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HC_TSAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HC_TSAN_BUILD 1
#endif
#if defined(__SSE2__) && !defined(HC_TSAN_BUILD)
#include <emmintrin.h>
#define HC_HAVE_VEC_LOAD 1
static inline __m128i hc_atomic_load16_relaxed(const volatile void *p)
{
	return _mm_loadu_si128((const __m128i *)(uintptr_t)p);
}
#else
#define HC_HAVE_VEC_LOAD 0
#endif

/*
 * Compare-and-swap of two adjacent words (16 B, 16-aligned) with release
 * on success: {0, 0} becomes {@w, @c} in one locked instruction
 * (cmpxchg16b on x86-64, built with -mcx16).  Returns 1 if it did.
 * HC_HAVE_PAIR_CAS says whether the platform has it; without it the
 * kernel claims a slot and adds to its count in two operations (and
 * hashed tables do not grow, design.md M8).  -DHC_FORCE_NO_PAIR_CAS
 * (CMake option of the same name) takes that path on any platform.
 */
#if defined(AO_HAVE_compare_double_and_swap_double_release) && \
	!defined(HC_FORCE_NO_PAIR_CAS)
#define HC_HAVE_PAIR_CAS 1
#if defined(__SANITIZE_THREAD__)
/* libatomic_ops does cmpxchg16b in inline assembly, which ThreadSanitizer
 * cannot see: tell it about the release, so that an acquire load of the
 * word that reads the new value is ordered after it, as it really is. */
#include <sanitizer/tsan_interface.h>
#define HC_TSAN_RELEASE(p) __tsan_release((void *)(p))
#else
#define HC_TSAN_RELEASE(p) ((void)0)
#endif
static inline int hc_atomic_claim_pair_release(hc_aword *pair, uint64_t w,
					       uint64_t c)
{
	HC_TSAN_RELEASE(pair);
	return AO_compare_double_and_swap_double_release(
		(volatile AO_double_t *)(void *)pair, 0, 0, w, c);
}
#else
#define HC_HAVE_PAIR_CAS 0
#endif

#endif /* HC_ATOMIC_H */
