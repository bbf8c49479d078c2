/* src/sa/replay.c: the inbound anti-replay window.
 *
 * Expected results come from the RFC rules, worked out by hand in the comments:
 *   RFC 4303 3.4.3: the window covers [T - W + 1, T] (T = highest number received, W = size);
 *     a number right of it is new, one inside it is new unless already received, one left of
 *     it is rejected; the window only moves after the ICV verified (replay_update).
 *   RFC 4303 3.3.3: sequence numbers start at 1; 0 is never sent.
 *   RFC 4303 Appendix A2.1/A2.2 (ESN): Tl, Th = low/high halves of T, Bl = Tl - W + 1 mod 2^32.
 *     Case A (Tl >= W - 1): Seql >= Bl -> Seqh = Th, else Seqh = Th + 1.
 *     Case B (Tl <  W - 1): Seql >= Bl -> Seqh = Th - 1, else Seqh = Th.
 * The randomized test compares against a deliberately naive model: a set of accepted numbers
 * plus T, with the ESN high half taken as the one number congruent to Seql mod 2^32 in
 * [T - W + 1, T - W + 2^32] (the interval Appendix A's cases describe).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util.h"
#include "sa/replay.h"

#define ANY64 UINT64_MAX /* expected inferred number not checked */

struct replay_step {
	uint32_t seq;	/* Seql, from the packet */
	int check;	/* expected replay_check() */
	uint64_t seq64; /* expected inferred number, or ANY64 */
	int update;	/* 0: do not call replay_update; 1: call after the check; 2: call only */
	int upd;	/* expected replay_update() */
};

/* Passes the check; the ICV verifies; the window takes it. */
#define NEW(s)                    \
	{                         \
		(s), 0, (s), 1, 0 \
	}
#define NEW64(s, s64)               \
	{                           \
		(s), 0, (s64), 1, 0 \
	}
/* Passes the check but the ICV fails: the window must not move. */
#define CHK(s)                    \
	{                         \
		(s), 0, (s), 0, 0 \
	}
#define CHK64(s, s64)               \
	{                           \
		(s), 0, (s64), 0, 0 \
	}
/* Rejected by the check. */
#define REJ(s)                       \
	{                            \
		(s), -1, ANY64, 0, 0 \
	}
#define REJ64(s, s64)                \
	{                            \
		(s), -1, (s64), 0, 0 \
	}
/* replay_update() alone, as when two copies raced past the check. */
#define UPD(s64, rc)                 \
	{                            \
		0, 0, (s64), 2, (rc) \
	}

struct replay_case {
	const char *name;
	uint32_t window;
	bool esn;
	uint64_t start; /* replay_update(start) first when non-zero: T = start */
	const struct replay_step *steps;
	size_t nsteps;
};

#define STEPS(...)                                   \
	(const struct replay_step[]){ __VA_ARGS__ }, \
		ARRAY_SIZE(((const struct replay_step[]){ __VA_ARGS__ }))

static const struct replay_case replay_cases[] = {
	{ "in order", 64, false, 0, STEPS(NEW(1), NEW(2), NEW(3), NEW(4)) },
	{ "seq 0 never valid without ESN", 64, false, 0, STEPS(REJ(0), NEW(1), REJ(0)) },
	{ "seq 0 never valid, window 0", 0, false, 0, STEPS(REJ(0), NEW(7), REJ(0)) },
	/* T = 10, window [-53, 10]: 5 and 9 inside, new; repeats rejected. */
	{ "out of order within window", 64, false, 0,
	  STEPS(NEW(10), NEW(5), REJ(5), NEW(9), NEW(11), REJ(10), REJ(9), NEW(6)) },
	/* T = 100, W = 64: window [37, 100]; 36 = T - W is left of it. */
	{ "window edge", 64, false, 0,
	  STEPS(NEW(100), REJ(36), NEW(37), REJ(37), REJ(1), NEW(101), REJ(37), NEW(38)) },
	/* T = 100 with 90 received; 228 jumps 128 > W: window [165, 228]. 218 and 228 share
	 * bitmap positions with 90 and 100 in a 128-bit ring: stale bits must be gone. */
	{ "far ahead clears the bitmap", 64, false, 0,
	  STEPS(NEW(100), NEW(90), NEW(228), NEW(218), REJ(228), REJ(100), REJ(164), NEW(165),
		REJ(165), NEW(227)) },
	{ "jump far past the ring", 64, false, 0,
	  STEPS(NEW(5), NEW(4), NEW(1000005), REJ(5), NEW(1000004), REJ(1000004), NEW(1000005 - 63),
		REJ(1000005 - 64)) },
	/* ICV failures do not move the window: 500 passed the check but was never taken. */
	{ "check alone does not move the window", 64, false, 0,
	  STEPS(NEW(1), CHK(500), NEW(2), CHK(500), NEW(500), REJ(500), REJ(2)) },
	/* Two copies of 7 pass the check before either is verified: the second update fails. */
	{ "update race", 64, false, 0,
	  STEPS(NEW(3), CHK(7), CHK(7), UPD(7, 0), UPD(7, -1), REJ(7), CHK(9), NEW(200),
		UPD(9, -1)) },
	{ "window 1", 1, false, 0, STEPS(NEW(1), REJ(1), NEW(3), REJ(2), REJ(3), NEW(4)) },
	/* W = 0: anti-replay disabled, duplicates and old numbers pass. */
	{ "window 0", 0, false, 0, STEPS(NEW(1), NEW(1), NEW(100), NEW(1), NEW(100), UPD(1, 0)) },
	/* No ESN: the counter does not wrap; after 2^32-1 a low number is far behind. */
	{ "no wrap without ESN", 64, false, 0xFFFFFFFFu,
	  STEPS(REJ(0xFFFFFFFFu), NEW(0xFFFFFFC0u), REJ(0xFFFFFFBFu), REJ(1), REJ(0)) },

	/* ESN, W = 64, T = 0x0_FFFFFFF6: case A, Bl = 0xFFFFFFF6 - 63 = 0xFFFFFFB7. */
	{ "ESN across 2^32", 64, true, 0xFFFFFFF6u,
	  STEPS(NEW64(0xFFFFFFF0u, 0xFFFFFFF0u),    /* >= Bl: Th */
		CHK64(0xFFFFFFB7u, 0xFFFFFFB7u),    /* = Bl: Th, T - 63 */
		CHK64(0xFFFFFFB6u, 0x1FFFFFFB6ull), /* < Bl: Th + 1 */
		NEW64(5, 0x100000005ull),	    /* < Bl: Th + 1 */
		/* T = 0x1_00000005: case B, Bl = 5 - 63 = 0xFFFFFFC6 */
		REJ64(0xFFFFFFF0u, 0xFFFFFFF0u),    /* >= Bl: Th - 1; received */
		REJ64(0xFFFFFFF6u, 0xFFFFFFF6u),    /* >= Bl: Th - 1; the old T */
		NEW64(0xFFFFFFC6u, 0xFFFFFFC6u),    /* = Bl: Th - 1; T - 63 */
		CHK64(0xFFFFFFC5u, 0x1FFFFFFC5ull), /* < Bl: Th, ahead */
		NEW64(3, 0x100000003ull), NEW64(0, 0x100000000ull), REJ64(5, 0x100000005ull),
		NEW64(0xFFFFFFFFu, 0xFFFFFFFFu), REJ64(0, 0x100000000ull)) },
	/* Boundary between the cases. T = 0x1_0000003F: Tl = 63 = W - 1, case A, Bl = 0, so
	 * every Seql gets Th. */
	{ "ESN Tl = W - 1", 64, true, 0x10000003Full,
	  STEPS(CHK64(0xFFFFFFFFu, 0x1FFFFFFFFull), NEW64(0, 0x100000000ull),
		CHK64(0x40, 0x100000040ull)) },
	/* T = 0x1_0000003E: Tl = 62 < W - 1, case B, Bl = 0xFFFFFFFF: only Seql = 0xFFFFFFFF
	 * belongs to Th - 1 (T - 63, in the window). */
	{ "ESN Tl = W - 2", 64, true, 0x10000003Eull,
	  STEPS(NEW64(0xFFFFFFFFu, 0xFFFFFFFFull), REJ64(0xFFFFFFFFu, 0xFFFFFFFFull),
		CHK64(0xFFFFFFFEu, 0x1FFFFFFFEull), NEW64(0, 0x100000000ull)) },
	/* ESN from the start, W = 64. T = 0: case B, Bl = 0xFFFFFFC1; Th - 1 does not exist. */
	{ "ESN start", 64, true, 0,
	  STEPS(REJ64(0, 0), REJ(0xFFFFFFFFu), REJ(0xFFFFFFC1u), CHK64(0xFFFFFFC0u, 0xFFFFFFC0u),
		NEW64(1, 1),
		/* T = 1: Bl = 0xFFFFFFC2 */
		REJ(0xFFFFFFC2u), CHK64(0xFFFFFFC1u, 0xFFFFFFC1u), REJ64(1, 1), NEW64(2, 2)) },
	/* ESN, W = 32, T = 1000: case A, Bl = 969. A packet far behind is inferred into the next
	 * subspace (the RFC leaves it to the ICV to reject). */
	{ "ESN far behind", 32, true, 1000,
	  STEPS(CHK64(900, 0x100000384ull), CHK64(969, 969), REJ64(1000, 1000), NEW64(999, 999),
		CHK64(968, 0x1000003C8ull)) },
	/* T in the last subspace: Th + 1 does not exist. Tl = 0xFFFFFF00, Bl = 0xFFFFFEC1. */
	{ "ESN end of space", 64, true, 0xFFFFFFFFFFFFFF00ull,
	  STEPS(REJ(5), CHK64(0xFFFFFF80u, 0xFFFFFFFFFFFFFF80ull),
		CHK64(0xFFFFFEC1u, 0xFFFFFFFFFFFFFEC1ull)) },
	/* ESN with anti-replay off: inference with W = 2^31 (replay.c's documented choice).
	 * T = 0xFFFFFFF6: case A, Bl = 0xFFFFFFF6 - 2^31 + 1 = 0x7FFFFFF7. */
	{ "ESN window 0", 0, true, 0xFFFFFFF6u,
	  STEPS(CHK64(5, 0x100000005ull), NEW64(0xFFFFFFF6u, 0xFFFFFFF6u),
		CHK64(0x7FFFFFF7u, 0x7FFFFFF7u), CHK64(0x7FFFFFF6u, 0x17FFFFFF6ull),
		NEW64(5, 0x100000005ull),
		/* T = 0x1_00000005: case B, Bl = 5 - 2^31 + 1 = 0x80000006 */
		CHK64(0x80000006u, 0x80000006ull), CHK64(0x80000005u, 0x180000005ull),
		NEW64(0, 0x100000000ull), NEW64(5, 0x100000005ull)) },
};

static void run_case(const struct replay_case *c)
{
	struct replay_window w;
	uint64_t s64;
	size_t i;
	int rc;

	assert_int_equal(replay_init(&w, c->window), 0);
	if (c->start)
		assert_int_equal(replay_update(&w, c->start), 0);
	for (i = 0; i < c->nsteps; i++) {
		const struct replay_step *st = &c->steps[i];

		print_message("  %s step %zu: seq %#x\n", c->name, i, (unsigned)st->seq);
		if (st->update == 2) {
			assert_int_equal(replay_update(&w, st->seq64), st->upd);
			continue;
		}
		s64 = 0xdeadbeef;
		rc = replay_check(&w, c->esn, st->seq, &s64);
		assert_int_equal(rc, st->check);
		if (st->seq64 != ANY64)
			assert_true(s64 == st->seq64);
		if (st->update == 1)
			assert_int_equal(replay_update(&w, s64), st->upd);
	}
	replay_free(&w);
}

static void test_replay_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(replay_cases); i++)
		run_case(&replay_cases[i]);
}

static const uint32_t window_sizes[] = { 0, 1, 32, 64, 65, 1024, 4096, 65536 };

static int check(const struct replay_window *w, uint64_t s)
{
	uint64_t s64;

	return replay_check(w, false, (uint32_t)s, &s64);
}

/* RFC 4303 3.4.3 at every size: window [T - W + 1, T]. */
static void window_size_case(uint32_t win)
{
	const uint64_t t = 1000000;
	struct replay_window w;
	uint64_t s;

	assert_int_equal(replay_init(&w, win), 0);
	assert_int_equal(replay_update(&w, t), 0);
	assert_int_equal(check(&w, t + 1), 0);
	assert_int_equal(check(&w, 0), -1);
	if (win == 0) {
		assert_int_equal(check(&w, t), 0);
		assert_int_equal(check(&w, 1), 0);
		assert_int_equal(replay_update(&w, t), 0);
		replay_free(&w);
		return;
	}
	assert_int_equal(check(&w, t), -1);
	assert_int_equal(check(&w, t - win), -1); /* just left of the window */
	/* Every number inside is new once, then a replay. */
	for (s = t - win + 1; s < t; s++)
		assert_int_equal(check(&w, s), 0);
	for (s = t - win + 1; s < t; s++)
		assert_int_equal(replay_update(&w, s), 0);
	for (s = t - win + 1; s <= t; s++)
		assert_int_equal(check(&w, s), -1);
	assert_int_equal(replay_update(&w, t - win), -1);
	/* Advance by exactly W: window [T + 1, T + W], all new except the new top; T is out. */
	assert_int_equal(replay_update(&w, t + win), 0);
	for (s = t + 1; s < t + win; s++)
		assert_int_equal(check(&w, s), 0);
	assert_int_equal(check(&w, t + win), -1);
	assert_int_equal(check(&w, t), -1);
	replay_free(&w);
}

static void test_replay_window_sizes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(window_sizes); i++) {
		print_message("  window %u\n", window_sizes[i]);
		window_size_case(window_sizes[i]);
	}
}

/* RFC 6479 3: the ring is a power of two of 64-bit blocks with room for the window plus one
 * block; the configured size stays the acceptance limit. */
static void test_replay_layout(void **state)
{
	static const struct {
		uint32_t size, nblocks;
	} t[] = {
		{ 0, 0 },   { 1, 2 },	  { 32, 2 },	 { 64, 2 },	  { 65, 4 },
		{ 128, 4 }, { 1024, 32 }, { 4096, 128 }, { 65536, 2048 },
	};
	struct replay_window w;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(replay_init(&w, t[i].size), 0);
		assert_int_equal(w.size, t[i].size);
		assert_int_equal(w.nblocks, t[i].nblocks);
		assert_true((w.bitmap != NULL) == (t[i].size != 0));
		replay_free(&w);
	}
	assert_int_equal(replay_init(&w, REPLAY_WINDOW_MAX + 1), -EINVAL);
	assert_null(w.bitmap);
}

/* --- randomized differential test against a naive model ------------------------------ */

/* A plain set of 64-bit numbers (open addressing; 0 never stored: it is never accepted). */
struct numset {
	uint64_t *slot;
	size_t cap; /* power of two */
};

static size_t numset_pos(const struct numset *ns, uint64_t v)
{
	size_t i = (size_t)((v * 0x9E3779B97F4A7C15ull) >> 20) & (ns->cap - 1);

	while (ns->slot[i] && ns->slot[i] != v)
		i = (i + 1) & (ns->cap - 1);
	return i;
}

static bool numset_has(const struct numset *ns, uint64_t v)
{
	return ns->slot[numset_pos(ns, v)] == v;
}

static void numset_add(struct numset *ns, uint64_t v)
{
	ns->slot[numset_pos(ns, v)] = v;
}

struct model {
	uint64_t top;
	uint32_t win;
	bool esn;
	struct numset seen;
};

/* ESN: the number congruent to seql in [T - W + 1, T - W + 2^32], or false if it would be
 * below 1 or above 2^64 - 1. Signed 128-bit-free: T is kept below 2^62 in this test. */
static bool model_infer(const struct model *m, uint32_t seql, uint64_t *out)
{
	int64_t w = m->win ? m->win : (int64_t)1 << 31;
	int64_t bl = (int64_t)m->top - w + 1;
	int64_t x = bl + (int64_t)(((uint64_t)seql - (uint64_t)bl) & 0xFFFFFFFFull);

	*out = (uint64_t)x;
	return x >= 1;
}

static int model_check(const struct model *m, uint32_t seql, uint64_t *s)
{
	if (m->esn) {
		if (!model_infer(m, seql, s))
			return -1;
	} else {
		*s = seql;
		if (*s == 0)
			return -1;
	}
	if (*s > m->top || m->win == 0)
		return 0;
	if (*s + m->win <= m->top)
		return -1;
	return numset_has(&m->seen, *s) ? -1 : 0;
}

static int model_update(struct model *m, uint64_t s)
{
	if (m->win && (s + m->win <= m->top || numset_has(&m->seen, s)))
		return -1;
	numset_add(&m->seen, s);
	if (s > m->top)
		m->top = s;
	return 0;
}

static uint64_t rnd64(void)
{
	return (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^ (uint64_t)random();
}

/* A sequence number near the model's top: mostly reordering inside and around the window,
 * some steps ahead, a few long jumps. */
static uint64_t pick_seq(const struct model *m)
{
	uint64_t w = m->win ? m->win : 64, r = rnd64() % 100, back;

	if (r < 45) {
		back = rnd64() % (2 * w + 3);
		return back > m->top ? 0 : m->top - back;
	}
	if (r < 80)
		return m->top + 1 + rnd64() % 8;
	if (r < 95)
		return m->top + rnd64() % (w + 2);
	if (r < 99)
		return m->top + rnd64() % (1u << 16);
	return rnd64() % (m->top + 1);
}

static void differential(uint32_t win, bool esn, unsigned ops)
{
	struct replay_window w;
	struct model m = { .win = win, .esn = esn };
	uint64_t truth, got, want, base;
	unsigned i, accepted = 0;
	int rc, mrc;

	m.seen.cap = 1u << 20;
	m.seen.slot = calloc(m.seen.cap, sizeof(*m.seen.slot));
	assert_non_null(m.seen.slot);
	assert_int_equal(replay_init(&w, win), 0);
	/* ESN starts a little below 2^32 so the run crosses into the next subspace; without
	 * ESN somewhere in the 32-bit space well below its end. */
	base = esn ? 0xFFFFFFFFull - (rnd64() % 300000) : rnd64() % 0x3FFFFFFFull;
	assert_int_equal(replay_update(&w, base), 0);
	model_update(&m, base);
	for (i = 0; i < ops; i++) {
		truth = pick_seq(&m);
		if (!esn && truth > UINT32_MAX)
			truth = m.top;
		mrc = model_check(&m, (uint32_t)truth, &want);
		rc = replay_check(&w, esn, (uint32_t)truth, &got);
		if (rc != mrc || (rc == 0 && got != want)) {
			print_error("op %u: win %u esn %d top %#llx seq %#llx: rc %d want %d, "
				    "seq64 %#llx want %#llx\n",
				    i, win, esn, (unsigned long long)m.top,
				    (unsigned long long)truth, rc, mrc, (unsigned long long)got,
				    (unsigned long long)want);
			fail();
		}
		/* The ICV only verifies if the inferred number is the one the sender used. */
		if (rc == 0 && got == truth && random() % 10 != 0) {
			assert_int_equal(replay_update(&w, got), model_update(&m, got));
			accepted++;
		} else if (random() % 20 == 0 && truth) {
			/* An update racing a duplicate or a window move. */
			assert_int_equal(replay_update(&w, truth), model_update(&m, truth));
		}
		assert_true(w.top == m.top);
	}
	print_message("  window %u esn %d: %u ops, %u accepted, top %#llx\n", win, esn, ops,
		      accepted, (unsigned long long)m.top);
	if (esn)
		assert_true(m.top > 0xFFFFFFFFull); /* the run did cross 2^32 */
	replay_free(&w);
	free(m.seen.slot);
}

static void test_replay_differential(void **state)
{
	size_t i;

	(void)state;
	srandom(4303);
	for (i = 0; i < ARRAY_SIZE(window_sizes); i++) {
		differential(window_sizes[i], false, 200000);
		differential(window_sizes[i], true, 200000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_table),
		cmocka_unit_test(test_replay_window_sizes),
		cmocka_unit_test(test_replay_layout),
		cmocka_unit_test(test_replay_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
