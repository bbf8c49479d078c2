/* Held packets during acquires: bounds per acquire and global, arrival order, selective
 * draining, expiry, wiping of released plaintext, soft fallback bookkeeping.
 * The daemon's sources are not a library, so the module is compiled into the test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/acquire.c"

struct seen {
	uint32_t id[64];
	uint8_t first[64];
	size_t len[64];
	size_t n;
	uint32_t take_only; /* 0: take all; else only packets whose first octet is this */
};

static bool record(void *arg, uint32_t id, const uint8_t *pkt, size_t len)
{
	struct seen *s = arg;

	if (s->take_only && pkt[0] != s->take_only)
		return false;
	s->id[s->n] = id;
	s->first[s->n] = pkt[0];
	s->len[s->n++] = len;
	return true;
}

static void hold(struct acquire *a, uint32_t id, uint32_t max, uint8_t tag, size_t len, int want)
{
	uint8_t p[64];

	memset(p, tag, sizeof(p));
	assert_int_equal(acq_hold(a, id, max, p, len, 1000), want);
}

static void test_order_and_per_id_bound(void **state)
{
	struct acquire a;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(acq_init(&a, 8, 64), 0);
	hold(&a, 7, 3, 1, 10, 0);
	hold(&a, 9, 3, 2, 11, 0);
	hold(&a, 7, 3, 3, 12, 0);
	hold(&a, 7, 3, 4, 13, 0);
	hold(&a, 7, 3, 5, 14, -ENOSPC); /* fourth packet of acquire 7: over `pending hold 3` */
	assert_int_equal(a.st.dropped_full, 1);
	assert_int_equal(acq_count(&a, 7), 3);
	assert_int_equal(acq_count(&a, 0), 4);
	/* Only acquire 7, in arrival order, lengths intact; acquire 9 stays. */
	assert_int_equal(acq_drain(&a, 7, record, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.first[0], 1);
	assert_int_equal(s.first[1], 3);
	assert_int_equal(s.first[2], 4);
	assert_int_equal(s.len[2], 13);
	assert_int_equal(acq_count(&a, 0), 1);
	assert_int_equal(acq_count(&a, 9), 1);
	acq_free(&a);
}

static void test_global_cap_and_reuse(void **state)
{
	struct acquire a;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(acq_init(&a, 4, 64), 0);
	for (uint8_t k = 0; k < 4; k++)
		hold(&a, 1u + k, 32, k + 1, 20, 0);
	hold(&a, 9, 32, 9, 20, -ENOSPC); /* pool full, though acquire 9 holds nothing */
	hold(&a, 9, 32, 9, 65, -EMSGSIZE);
	assert_int_equal(a.st.dropped_big, 1);
	/* Free two in the middle; the freed slots serve new packets, order still by arrival. */
	s.take_only = 2;
	assert_int_equal(acq_drain(&a, 0, record, &s), 1);
	s.take_only = 3;
	assert_int_equal(acq_drain(&a, 0, record, &s), 1);
	hold(&a, 5, 32, 5, 20, 0);
	hold(&a, 6, 32, 6, 20, 0);
	hold(&a, 7, 32, 7, 20, -ENOSPC);
	memset(&s, 0, sizeof(s));
	assert_int_equal(acq_drain(&a, 0, record, &s), 4);
	assert_int_equal(s.first[0], 1);
	assert_int_equal(s.first[1], 4);
	assert_int_equal(s.first[2], 5);
	assert_int_equal(s.first[3], 6);
	assert_int_equal(a.used, 0);
	acq_free(&a);
}

static void test_kept_when_not_taken(void **state)
{
	struct acquire a;
	struct seen s = { .take_only = 0xee };

	(void)state;
	assert_int_equal(acq_init(&a, 4, 64), 0);
	hold(&a, 3, 8, 1, 10, 0);
	hold(&a, 3, 8, 2, 10, 0);
	/* Nothing has an SA yet: fn declines, everything stays. */
	assert_int_equal(acq_drain(&a, 3, record, &s), 0);
	assert_int_equal(acq_count(&a, 3), 2);
	acq_free(&a);
}

static void test_released_plaintext_wiped(void **state)
{
	struct acquire a;
	struct seen s = { 0 };
	static const uint8_t zero[64];

	(void)state;
	assert_int_equal(acq_init(&a, 2, 64), 0);
	hold(&a, 1, 8, 0x5a, 64, 0);
	assert_int_equal(a.store[0], 0x5a);
	assert_int_equal(acq_drain(&a, 1, record, &s), 1);
	assert_memory_equal(a.store, zero, 64);
	acq_free(&a);
}

static void test_expire(void **state)
{
	struct acquire a;
	uint8_t p[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(acq_init(&a, 4, 64), 0);
	assert_int_equal(acq_hold(&a, 1, 8, p, 4, 1000), 0);
	assert_int_equal(acq_hold(&a, 1, 8, p, 4, 5000), 0);
	assert_int_equal(acq_expire(&a, 30999, 30000), 0);
	assert_int_equal(acq_expire(&a, 31000, 30000), 1);
	assert_int_equal(acq_count(&a, 1), 1);
	assert_int_equal(a.st.dropped_old, 1);
	assert_int_equal(acq_expire(&a, 35000, 30000), 1);
	assert_int_equal(acq_count(&a, 0), 0);
	acq_free(&a);
}

static void test_req_and_clear(void **state)
{
	struct acquire a;
	struct ipaddr x, y;
	struct acq_req r;

	(void)state;
	assert_int_equal(ipaddr_parse(&x, "10.9.0.2"), 0);
	assert_int_equal(ipaddr_parse(&y, "2001:db8::2"), 0);
	assert_int_equal(acq_init(&a, 2, 64), 0);
	assert_int_equal(acq_req_add(&a, 0, &x, 3000, 0), -EINVAL);
	assert_int_equal(acq_req_add(&a, 4, &x, 3000, 0), 0);
	assert_int_equal(acq_req_add(&a, 5, &y, 0, 0), 0);
	assert_true(acq_req_take(&a, 4, &r));
	assert_true(ipaddr_eq(&r.remote, &x));
	assert_int_equal(r.fallback_ms, 3000);
	assert_false(acq_req_take(&a, 4, &r)); /* taken once */
	for (uint32_t id = 100; id < 100 + ACQ_REQ_MAX - 1; id++)
		assert_int_equal(acq_req_add(&a, id, &x, 0, 0), 0);
	assert_int_equal(acq_req_add(&a, 999, &x, 0, 0), -ENOSPC);

	assert_false(acq_clear_has(&a, &x, 0));
	acq_clear_add(&a, &x, 1000, 3000);
	assert_true(acq_clear_has(&a, &x, 3999));
	assert_false(acq_clear_has(&a, &y, 3999));
	assert_false(acq_clear_has(&a, &x, 4000));
	acq_clear_add(&a, &y, 1000, 3000);
	acq_clear_del(&a, &y);
	assert_false(acq_clear_has(&a, &y, 1001));
	acq_free(&a);
}

/* An acquire's record is kept as first added (the engine decides when a soft one falls
 * back; the record says to where and for how long) and taken exactly once. */
static void test_soft_req(void **state)
{
	struct acquire a;
	struct ipaddr x, y;
	struct acq_req r;

	(void)state;
	assert_int_equal(ipaddr_parse(&x, "10.9.0.2"), 0);
	assert_int_equal(ipaddr_parse(&y, "10.9.0.3"), 0);
	assert_int_equal(acq_init(&a, 2, 64), 0);
	assert_int_equal(acq_req_add(&a, 1, &x, 3000, 1000), 0);
	assert_int_equal(acq_req_add(&a, 1, &y, 0, 2500), 0); /* same acquire: kept as it was */
	assert_int_equal(acq_req_add(&a, 2, &y, 2000, 1500), 0);
	assert_true(acq_req_take(&a, 1, &r));
	assert_int_equal(r.id, 1);
	assert_true(ipaddr_eq(&r.remote, &x));
	assert_int_equal(r.fallback_ms, 3000);
	assert_int_equal(r.start, 1000);
	assert_false(acq_req_take(&a, 1, &r)); /* taken once */
	assert_true(acq_req_take(&a, 2, &r));
	assert_int_equal(r.fallback_ms, 2000);
	acq_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_per_id_bound),
		cmocka_unit_test(test_global_cap_and_reuse),
		cmocka_unit_test(test_kept_when_not_taken),
		cmocka_unit_test(test_released_plaintext_wiped),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_req_and_clear),
		cmocka_unit_test(test_soft_req),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
