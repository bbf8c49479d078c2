/* src/ike/cookie: RFC 7296 2.6 COOKIE = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>),
 * with the Hash being HMAC-SHA-256 keyed with the secret over Ni | IPi | SPIi.
 *
 * Expected cookies were computed independently with Python's hmac module:
 *   secret = 00 01 .. 1f, Ni = 32 octets a0 a1 .. af a0 .. af, SPIi = 01 02 .. 08
 *   hmac.new(secret, Ni + IPi + SPIi, sha256), prefixed with version 00000001
 * and random inputs are cross-checked against OpenSSL's one-shot HMAC().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ike/cookie.h"
#include "lib/util.h"

static uint8_t secret[32], ni[32];
static const uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void setup_inputs(void)
{
	for (int i = 0; i < 32; i++) {
		secret[i] = (uint8_t)i;
		ni[i] = (uint8_t)(0xa0 + i % 16);
	}
}

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	if (ipaddr_parse(&a, s))
		fail_msg("bad address %s", s);
	return a;
}

static void test_vectors(void **state)
{
	static const struct {
		const char *ip, *cookie;
	} v[] = {
		{ "192.0.2.1",
		  "000000018478d6e446cb6ab74ba73a0e61b7ac0a4cab6bb25f20694ea027bb0f8f33f305" },
		{ "2001:db8::1",
		  "000000011fa578aae38fa12f55e75fdf078e3812c67f77ea6bb5ad48e601f32d3599907e" },
	};
	struct ike_cookie_ctx c;

	(void)state;
	setup_inputs();
	assert_int_equal(ike_cookie_init(&c, secret, 0, 0), 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ipaddr a = ip(v[i].ip);
		uint8_t out[IKE_COOKIE_LEN], want[IKE_COOKIE_LEN];

		assert_int_equal(hex_decode(want, sizeof(want), v[i].cookie), IKE_COOKIE_LEN);
		assert_int_equal(ike_cookie_make(&c, ni, sizeof(ni), &a, spi, out), 0);
		assert_memory_equal(out, want, IKE_COOKIE_LEN);
		assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, want, sizeof(want)),
				 0);
	}
	ike_cookie_wipe(&c);
}

/* Random secrets and nonces against OpenSSL's HMAC(). */
static void test_openssl(void **state)
{
	struct ike_cookie_ctx c;
	struct ipaddr a = ip("198.51.100.9");

	(void)state;
	assert_int_equal(ike_cookie_init(&c, NULL, 0, 0), 0); /* RAND_bytes secret */
	for (int i = 0; i < 50; i++) {
		uint8_t n[256], msg[256 + 4 + 8], out[IKE_COOKIE_LEN], mac[32];
		size_t nlen = 16 + (size_t)i * 4;
		unsigned maclen = 0;

		assert_int_equal(RAND_bytes(n, (int)nlen), 1);
		memcpy(msg, n, nlen);
		memcpy(msg + nlen, a.b, 4);
		memcpy(msg + nlen + 4, spi, 8);
		assert_non_null(HMAC(EVP_sha256(), c.secret, sizeof(c.secret), msg, nlen + 12, mac,
				     &maclen));
		assert_int_equal(maclen, 32);
		assert_int_equal(ike_cookie_make(&c, n, nlen, &a, spi, out), 0);
		assert_memory_equal(out, "\0\0\0\1", 4);
		assert_memory_equal(out + 4, mac, 32);
	}
	ike_cookie_wipe(&c);
}

/* Anything changed -> refused. */
static void test_mismatch(void **state)
{
	struct ike_cookie_ctx c;
	struct ipaddr a = ip("192.0.2.1"), b = ip("192.0.2.2");
	uint8_t ck[IKE_COOKIE_LEN], bad[IKE_COOKIE_LEN], spi2[8], ni2[32];

	(void)state;
	setup_inputs();
	assert_int_equal(ike_cookie_init(&c, secret, 0, 0), 0);
	assert_int_equal(ike_cookie_make(&c, ni, sizeof(ni), &a, spi, ck), 0);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &b, spi, ck, sizeof(ck)), -EBADMSG);
	memcpy(spi2, spi, 8);
	spi2[7] ^= 1;
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi2, ck, sizeof(ck)), -EBADMSG);
	memcpy(ni2, ni, sizeof(ni));
	ni2[0] ^= 0x80;
	assert_int_equal(ike_cookie_verify(&c, ni2, sizeof(ni2), &a, spi, ck, sizeof(ck)),
			 -EBADMSG);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni) - 1, &a, spi, ck, sizeof(ck)),
			 -EBADMSG);
	for (size_t i = 0; i < sizeof(ck); i++) {
		memcpy(bad, ck, sizeof(ck));
		bad[i] ^= 0x01;
		assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, bad, sizeof(bad)),
				 -EBADMSG);
	}
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, ck, sizeof(ck) - 1),
			 -EBADMSG);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, NULL, 0), -EBADMSG);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, ck, sizeof(ck)), 0);
	ike_cookie_wipe(&c);
}

/* Rotation: new version; the previous secret's cookies pass until the next rotation. */
static void test_rotation(void **state)
{
	struct ike_cookie_ctx c;
	struct ipaddr a = ip("192.0.2.1");
	uint8_t s2[32], c1[IKE_COOKIE_LEN], c2[IKE_COOKIE_LEN];
	static const uint8_t zero[32];

	(void)state;
	setup_inputs();
	memset(s2, 0x77, sizeof(s2));
	assert_int_equal(ike_cookie_init(&c, secret, 60000, 1000), 0);
	assert_false(ike_cookie_rotation_due(&c, 60999));
	assert_true(ike_cookie_rotation_due(&c, 61000));
	assert_int_equal(ike_cookie_make(&c, ni, sizeof(ni), &a, spi, c1), 0);
	assert_int_equal(ike_cookie_rotate(&c, s2, 61000), 0);
	assert_false(ike_cookie_rotation_due(&c, 61000));
	assert_int_equal(ike_cookie_make(&c, ni, sizeof(ni), &a, spi, c2), 0);
	assert_memory_equal(c2, "\0\0\0\2", 4);
	assert_memory_not_equal(c1 + 4, c2 + 4, 32);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, c1, sizeof(c1)), 0);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, c2, sizeof(c2)), 0);
	/* a cookie of the old secret relabelled with the new version fails */
	memcpy(c1, "\0\0\0\2", 4);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, c1, sizeof(c1)), -EBADMSG);
	memcpy(c1, "\0\0\0\1", 4);
	assert_int_equal(ike_cookie_rotate(&c, NULL, 122000), 0);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, c1, sizeof(c1)), -EBADMSG);
	assert_int_equal(ike_cookie_verify(&c, ni, sizeof(ni), &a, spi, c2, sizeof(c2)), 0);
	ike_cookie_wipe(&c);
	assert_memory_equal(c.secret, zero, 32);
	assert_memory_equal(c.prev_secret, zero, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_openssl),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
