/* src/conf/conf_value.c: the words of the configuration language and what they mean.
 * Algorithm ids are the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" numbers
 * (RFC 7296 3.3.2; AES-GCM RFC 4106 8, GMAC RFC 4543 4, ChaCha20-Poly1305 RFC 7634 2,
 * HMAC-SHA2 RFC 4868 2.4); protocol numbers are IANA "Assigned Internet Protocol Numbers". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conf/conf_value.h"

static void test_encr_names(void **state)
{
	static const struct {
		const char *name;
		int id, bits; /* id -1: refused */
	} v[] = {
		{ "aes-cbc-128", 12, 128 },
		{ "aes-cbc-192", 12, 192 },
		{ "aes-cbc-256", 12, 256 },
		{ "aes-gcm-128", 20, 128 },
		{ "aes-gcm-16-256", 20, 256 },
		{ "aes-gcm-12-192", 19, 192 },
		{ "aes-gcm-8-128", 18, 128 },
		{ "aes-gmac-256", 21, 256 },
		{ "chacha20-poly1305", 28, 256 },
		{ "null", 11, 0 },
		{ "aes-cbc-512", -1, 0 },
		{ "aes-cbc", -1, 0 },
		{ "aes-ctr-128", -1, 0 },
		{ "aes-gcm-4-128", -1, 0 },
		{ "3des", -1, 0 },
		{ "", -1, 0 },
		{ "AES-CBC-128", -1, 0 },
		{ "aes-cbc-128-", -1, 0 },
	};
	uint16_t id, bits;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = conf_encr_parse(v[i].name, &id, &bits);

		if (v[i].id < 0) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(id, v[i].id);
		assert_int_equal(bits, v[i].bits);
	}
}

static void test_integ_names(void **state)
{
	static const struct {
		const char *name;
		int id;
	} v[] = {
		{ "hmac-sha1-96", 2 },	 { "hmac-sha2-256", 12 }, { "hmac-sha2-256-128", 12 },
		{ "hmac-sha2-384", 13 }, { "hmac-sha2-512", 14 }, { "hmac-sha2-512-256", 14 },
		{ "hmac-md5-96", -1 },	 { "sha1", -1 },	  { "none", -1 },
	};
	uint16_t id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = conf_integ_parse(v[i].name, &id);

		assert_int_equal(rc, v[i].id < 0 ? -1 : 0);
		if (!rc)
			assert_int_equal(id, v[i].id);
	}
}

static void test_protocols_and_ports(void **state)
{
	static const struct {
		const char *s;
		int num;
	} p[] = {
		{ "tcp", 6 },	     { "udp", 17 },   { "icmp", 1 },  { "icmp6", 58 },
		{ "ipv6-icmp", 58 }, { "esp", 50 },   { "ah", 51 },   { "gre", 47 },
		{ "rsvp", 46 },	     { "sctp", 132 }, { "0", 0 },     { "255", 255 },
		{ "any", 256 },	     { "256", -1 },   { "tcpp", -1 }, { "1x", -1 },
	};
	const char *why;
	uint16_t v, lo, hi;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		int rc = conf_proto_parse(p[i].s, &v, &why);

		assert_int_equal(rc, p[i].num < 0 ? -1 : 0);
		if (!rc)
			assert_int_equal(v, p[i].num);
	}
	assert_int_equal(conf_port_parse("80", &lo, &hi, &why), 0);
	assert_true(lo == 80 && hi == 80);
	assert_int_equal(conf_port_parse("1024-65535", &lo, &hi, &why), 0);
	assert_true(lo == 1024 && hi == 65535);
	assert_int_equal(conf_port_parse("0", &lo, &hi, &why), -1);
	assert_string_equal(why, "port out of range (1-65535)");
	assert_int_equal(conf_port_parse("99999999999999999999", &lo, &hi, &why), -1);
	assert_int_equal(conf_port_parse("90-80", &lo, &hi, &why), -1);
	assert_string_equal(why, "port range starts above its end");
	assert_int_equal(conf_port_parse("80-", &lo, &hi, &why), -1);
	assert_int_equal(conf_port_parse("-80", &lo, &hi, &why), -1);
}

static void test_numbers(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(conf_uint_parse("3", 3, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(conf_uint_parse("4", 3, &v), -1);
	assert_int_equal(conf_uint_parse("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(conf_uint_parse("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(conf_uint_parse("", 10, &v), -1);
	assert_int_equal(conf_uint_parse("1a", 10, &v), -1);
}

static void test_lifetimes(void **state)
{
	static const struct {
		const char *s;
		enum conf_life kind;
		uint64_t val; /* 0: refused */
	} v[] = {
		{ "100000kb", CONF_LIFE_KB, 100000 }, { "100mb", CONF_LIFE_KB, 100000 },
		{ "2gb", CONF_LIFE_KB, 2000000 },     { "3600s", CONF_LIFE_SEC, 3600 },
		{ "60min", CONF_LIFE_SEC, 3600 },     { "8h", CONF_LIFE_SEC, 28800 },
		{ "0s", CONF_LIFE_SEC, 0 },	      { "3600", CONF_LIFE_SEC, 0 },
		{ "10m", CONF_LIFE_SEC, 0 },	      { "kb", CONF_LIFE_KB, 0 },
		{ "4294967296s", CONF_LIFE_SEC, 0 },
	};
	enum conf_life kind;
	const char *why;
	uint64_t val;
	uint32_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = conf_lifetime_parse(v[i].s, &kind, &val, &why);

		assert_int_equal(rc, v[i].val ? 0 : -1);
		if (!rc) {
			assert_int_equal(kind, v[i].kind);
			assert_true(val == v[i].val);
		}
	}
	assert_int_equal(conf_duration_parse("3s", &ms, &why), 0);
	assert_int_equal(ms, 3000);
	assert_int_equal(conf_duration_parse("250ms", &ms, &why), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(conf_duration_parse("0ms", &ms, &why), -1);
	assert_int_equal(conf_duration_parse("3601s", &ms, &why), -1);
	assert_int_equal(conf_duration_parse("3", &ms, &why), -1);
}

static void test_addresses(void **state)
{
	struct spd_addr a[CONF_ADDRS_MAX];
	struct ipaddr ip;
	char why[128], buf[128];
	size_t n;

	(void)state;
	assert_int_equal(conf_addr_parse("me", false, a, &n, why, sizeof(why)), 0);
	assert_int_equal(a[0].kind, SPD_ADDR_ME);
	assert_int_equal(conf_addr_parse("any", false, a, &n, why, sizeof(why)), 0);
	assert_int_equal(a[0].kind, SPD_ADDR_ANY);
	assert_int_equal(conf_addr_parse("10.1.0.7/24", false, a, &n, why, sizeof(why)), 0);
	assert_string_equal(spd_addr_fmt(&a[0], buf, sizeof(buf)), "10.1.0.0/24");
	assert_int_equal(conf_addr_parse("2001:db8::/0", false, a, &n, why, sizeof(why)), 0);
	assert_int_equal(a[0].plen, 0);
	assert_int_equal(conf_addr_parse("10.1.0.1-10.1.0.9", false, a, &n, why, sizeof(why)), 0);
	assert_int_equal(a[0].kind, SPD_ADDR_RANGE);
	assert_int_equal(
		conf_addr_parse("2001:db8::1-2001:db8::ff", false, a, &n, why, sizeof(why)), 0);
	assert_int_equal(conf_addr_parse("10.1.0.1-2001:db8::1", false, a, &n, why, sizeof(why)),
			 -1);
	assert_string_equal(why, "address range mixes IPv4 and IPv6");
	assert_int_equal(conf_addr_parse("10.1.0.0/", false, a, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "invalid prefix length");
	assert_int_equal(conf_addr_parse("backend", false, a, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "host names are not allowed here");
	assert_int_equal(conf_addr_parse("a_b", true, a, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "invalid address");
	/* from /etc/hosts, never DNS */
	assert_int_equal(conf_host_parse("localhost", true, &ip, why, sizeof(why)), 0);
	assert_true(ip.af == AF_INET || ip.af == AF_INET6);
	assert_int_equal(conf_host_parse("10.0.0.0/8", true, &ip, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encr_names),	    cmocka_unit_test(test_integ_names),
		cmocka_unit_test(test_protocols_and_ports), cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_lifetimes),	    cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
