/* src/sa/sad.c: the SA database keyed by (SPI, destination, protocol), RFC 4301 4.4.2.
 * Entries are plain structs made here (no cipher): the table only looks at spi, dst, proto
 * and hnext, and sad_free() must release them with sa_free(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "lib/addr.h"
#include "lib/util.h"
#include "sa/sad.h"

#define NSA 100000u

static struct sa *mk_sa(uint32_t spi, const char *dst, uint8_t proto)
{
	struct sa *sa = calloc(1, sizeof(*sa));

	assert_non_null(sa);
	sa->spi = spi;
	sa->proto = proto;
	assert_int_equal(ipaddr_parse(&sa->dst, dst), 0);
	return sa;
}

static struct ipaddr addr(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(&a, s), 0);
	return a;
}

/* The i-th SA of the bulk test: 32 SPIs per (destination, protocol), both families. */
static void bulk_key(unsigned i, uint32_t *spi, struct ipaddr *dst, uint8_t *proto)
{
	char buf[64];

	*spi = 0x100 + i * 7;
	*proto = (i & 32) ? IPPROTO_AH : IPPROTO_ESP;
	if (i & 64)
		snprintf(buf, sizeof(buf), "2001:db8::%x", i >> 7);
	else
		snprintf(buf, sizeof(buf), "10.0.%u.%u", (i >> 15) & 0xff, (i >> 7) & 0xff);
	*dst = addr(buf);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count_cb(struct sa *sa, void *arg)
{
	size_t *n = arg;

	assert_true(sa->spi % 7 == 0x100 % 7);
	(*n)++;
}

static void test_sad_bulk(void **state)
{
	struct sad *sad = sad_new();
	struct sa **sas = calloc(NSA, sizeof(*sas));
	struct ipaddr dst;
	uint32_t spi;
	uint8_t proto;
	size_t seen = 0;
	double t0, t1;
	unsigned i;

	(void)state;
	assert_non_null(sad);
	assert_non_null(sas);
	for (i = 0; i < NSA; i++) {
		bulk_key(i, &spi, &dst, &proto);
		sas[i] = calloc(1, sizeof(struct sa));
		assert_non_null(sas[i]);
		sas[i]->spi = spi;
		sas[i]->dst = dst;
		sas[i]->proto = proto;
		assert_int_equal(sad_add(sad, sas[i]), 0);
	}
	assert_int_equal(sad_count(sad), NSA);
	/* Load factor at most 1 after doubling; report the longest chain. */
	assert_true(sad_buckets(sad) >= NSA);
	assert_int_equal(sad_buckets(sad) & (sad_buckets(sad) - 1), 0);
	{
		uint32_t *len = calloc(sad_buckets(sad), sizeof(*len));
		uint32_t max = 0;

		assert_non_null(len);
		for (i = 0; i < NSA; i++) {
			bulk_key(i, &spi, &dst, &proto);
			max = MAX(max, ++len[sad_bucket_index(sad, spi, &dst, proto)]);
		}
		print_message("  %u SAs in %zu buckets, longest chain %u\n", NSA, sad_buckets(sad),
			      max);
		assert_true(max < 16);
		free(len);
	}

	t0 = now_sec();
	for (i = 0; i < NSA; i++) {
		bulk_key(i, &spi, &dst, &proto);
		assert_ptr_equal(sad_lookup(sad, spi, &dst, proto), sas[i]);
	}
	t1 = now_sec();
	print_message("  %u lookups (with key formatting) in %.3f s\n", NSA, t1 - t0);

	/* Keys that differ in one component are absent. */
	for (i = 0; i < NSA; i += 97) {
		bulk_key(i, &spi, &dst, &proto);
		assert_null(sad_lookup(sad, spi + 1, &dst, proto));
		assert_null(sad_lookup(sad, spi, &dst, proto == IPPROTO_ESP ? IPPROTO_AH : 50));
		dst.b[3] ^= 0x80;
		assert_null(sad_lookup(sad, spi, &dst, proto));
	}

	/* Every key again is a duplicate, whatever the struct. */
	for (i = 0; i < NSA; i += 101) {
		struct sa *dup = calloc(1, sizeof(*dup));

		assert_non_null(dup);
		*dup = *sas[i];
		dup->hnext = NULL;
		assert_int_equal(sad_add(sad, dup), -EEXIST);
		free(dup);
	}
	assert_int_equal(sad_count(sad), NSA);

	/* Remove the even ones. */
	for (i = 0; i < NSA; i += 2) {
		bulk_key(i, &spi, &dst, &proto);
		assert_ptr_equal(sad_remove(sad, spi, &dst, proto), sas[i]);
		assert_null(sad_remove(sad, spi, &dst, proto));
		sa_free(sas[i]);
		sas[i] = NULL;
	}
	assert_int_equal(sad_count(sad), NSA / 2);
	for (i = 0; i < NSA; i++) {
		bulk_key(i, &spi, &dst, &proto);
		assert_ptr_equal(sad_lookup(sad, spi, &dst, proto), sas[i]);
	}
	sad_foreach(sad, count_cb, &seen);
	assert_int_equal(seen, NSA / 2);

	/* A removed key can be added again. */
	bulk_key(0, &spi, &dst, &proto);
	sas[0] = calloc(1, sizeof(struct sa));
	assert_non_null(sas[0]);
	sas[0]->spi = spi;
	sas[0]->dst = dst;
	sas[0]->proto = proto;
	assert_int_equal(sad_add(sad, sas[0]), 0);
	assert_ptr_equal(sad_lookup(sad, spi, &dst, proto), sas[0]);
	assert_int_equal(sad_count(sad), NSA / 2 + 1);

	sad_free(sad); /* frees the rest; ASan/LSan would see a leak or double free */
	free(sas);
}

/* (spi, dst, proto) is the whole key: change any part, including the address family of
 * otherwise equal leading bytes, and it is another SA. */
static void test_sad_key_components(void **state)
{
	static const struct {
		uint32_t spi;
		const char *dst;
		uint8_t proto;
	} keys[] = {
		{ 0x1234, "10.0.0.1", IPPROTO_ESP },	{ 0x1234, "10.0.0.2", IPPROTO_ESP },
		{ 0x1234, "10.0.0.1", IPPROTO_AH },	{ 0x1235, "10.0.0.1", IPPROTO_ESP },
		{ 0x1234, "a00:1::", IPPROTO_ESP }, /* first four bytes 0a 00 00 01 */
		{ 0x1234, "2001:db8::1", IPPROTO_ESP }, { 0x1234, "2001:db8::1", IPPROTO_AH },
		{ 0x1234, "2001:db8::2", IPPROTO_ESP }, { 0x34120000, "10.0.0.1", IPPROTO_ESP },
	};
	struct sa *sas[ARRAY_SIZE(keys)];
	struct sad *sad = sad_new();
	struct ipaddr dst;
	size_t i, j;

	(void)state;
	assert_non_null(sad);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		sas[i] = mk_sa(keys[i].spi, keys[i].dst, keys[i].proto);
		assert_int_equal(sad_add(sad, sas[i]), 0);
	}
	assert_int_equal(sad_count(sad), ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		dst = addr(keys[i].dst);
		assert_ptr_equal(sad_lookup(sad, keys[i].spi, &dst, keys[i].proto), sas[i]);
	}
	/* Removing one leaves the others. */
	dst = addr(keys[0].dst);
	assert_ptr_equal(sad_remove(sad, keys[0].spi, &dst, keys[0].proto), sas[0]);
	sa_free(sas[0]);
	assert_null(sad_lookup(sad, keys[0].spi, &dst, keys[0].proto));
	for (j = 1; j < ARRAY_SIZE(keys); j++) {
		dst = addr(keys[j].dst);
		assert_ptr_equal(sad_lookup(sad, keys[j].spi, &dst, keys[j].proto), sas[j]);
	}
	sad_free(sad);
}

/* Keys that differ in one component but land in the same bucket: the chain walk itself must
 * compare every component (a table that matched on the bucket alone would pass the tests
 * above most of the time). Colliding keys are found with this table's seed. */
static void test_sad_same_bucket(void **state)
{
	struct sad *sad = sad_new();
	struct ipaddr d1 = addr("198.51.100.7"), d2;
	struct sa *sa;
	uint32_t spi, other;
	size_t b;
	char buf[64];
	unsigned i;

	(void)state;
	assert_non_null(sad);
	assert_int_equal(sad_buckets(sad) & (sad_buckets(sad) - 1), 0);
	sa = mk_sa(0x5000, "198.51.100.7", IPPROTO_ESP);
	assert_int_equal(sad_add(sad, sa), 0);
	b = sad_bucket_index(sad, 0x5000, &d1, IPPROTO_ESP);

	/* Another SPI, same bucket. */
	for (other = 0x5001; sad_bucket_index(sad, other, &d1, IPPROTO_ESP) != b; other++)
		;
	assert_null(sad_lookup(sad, other, &d1, IPPROTO_ESP));
	assert_null(sad_remove(sad, other, &d1, IPPROTO_ESP));

	/* Another destination, same bucket. */
	for (i = 1;; i++) {
		snprintf(buf, sizeof(buf), "198.51.%u.%u", (i >> 8) & 0xff, i & 0xff);
		d2 = addr(buf);
		if (!ipaddr_eq(&d1, &d2) && sad_bucket_index(sad, 0x5000, &d2, IPPROTO_ESP) == b)
			break;
	}
	assert_null(sad_lookup(sad, 0x5000, &d2, IPPROTO_ESP));

	/* Another protocol, same bucket: search over SPIs for a pair that collides. */
	sad_free(sad);
	sad = sad_new();
	assert_non_null(sad);
	for (spi = 0x6000;; spi++)
		if (sad_bucket_index(sad, spi, &d1, IPPROTO_ESP) ==
		    sad_bucket_index(sad, spi, &d1, IPPROTO_AH))
			break;
	sa = mk_sa(spi, "198.51.100.7", IPPROTO_ESP);
	assert_int_equal(sad_add(sad, sa), 0);
	assert_null(sad_lookup(sad, spi, &d1, IPPROTO_AH));
	assert_ptr_equal(sad_lookup(sad, spi, &d1, IPPROTO_ESP), sa);
	/* And both can live in that one bucket. */
	sa = mk_sa(spi, "198.51.100.7", IPPROTO_AH);
	assert_int_equal(sad_add(sad, sa), 0);
	assert_ptr_equal(sad_lookup(sad, spi, &d1, IPPROTO_AH), sa);
	assert_ptr_equal(sad_remove(sad, spi, &d1, IPPROTO_AH), sa);
	sa_free(sa);
	assert_non_null(sad_lookup(sad, spi, &d1, IPPROTO_ESP));
	sad_free(sad);
}

static void test_sad_empty(void **state)
{
	struct sad *sad = sad_new();
	struct ipaddr dst = addr("192.0.2.1");
	size_t seen = 0;

	(void)state;
	assert_non_null(sad);
	assert_int_equal(sad_count(sad), 0);
	assert_null(sad_lookup(sad, 0x1000, &dst, IPPROTO_ESP));
	assert_null(sad_remove(sad, 0x1000, &dst, IPPROTO_ESP));
	sad_foreach(sad, count_cb, &seen);
	assert_int_equal(seen, 0);
	assert_int_equal(sad_add(sad, NULL), -EINVAL);
	sad_free(sad);
	sad_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sad_empty),
		cmocka_unit_test(test_sad_key_components),
		cmocka_unit_test(test_sad_same_bucket),
		cmocka_unit_test(test_sad_bulk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
