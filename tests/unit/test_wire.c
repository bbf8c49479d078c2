/* src/wire: IPv4/IPv6 parsing, the IPv6 extension header walk (where ESP/AH goes), the Internet
 * checksum, ESP padding and AH header lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rw.h"
#include "lib/util.h"
#include "wire/ah.h"
#include "wire/esp.h"
#include "wire/ip.h"

/* An IPv4 header with a known checksum: the worked example of Wikipedia's "Internet checksum" /
 * "IPv4 header checksum" article (4500 0073 0000 4000 4011 ---- c0a8 0001 c0a8 00c7 -> b861). */
static const uint8_t v4_hdr[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

static void test_checksum(void **state)
{
	uint8_t h[20];

	(void)state;
	memcpy(h, v4_hdr, sizeof(h));
	assert_int_equal(ip_checksum(h, sizeof(h)), 0); /* a valid header sums to zero */
	ipv4_set_checksum(h, sizeof(h));
	assert_int_equal(get_be16(h + 10), 0xb861);
	/* RFC 1071 3: odd length pads with a zero byte */
	static const uint8_t odd[] = { 0x00, 0x01, 0xf2 };
	assert_int_equal(ip_checksum(odd, 3), (uint16_t) ~(0x0001 + 0xf200));
}

static void test_ipv4_parse(void **state)
{
	uint8_t p[0x73];
	struct ip_info ii;

	(void)state;
	memset(p, 0, sizeof(p));
	memcpy(p, v4_hdr, 20);
	assert_int_equal(ip_parse(p, sizeof(p), IP_WALK_ULP, &ii), IP_OK);
	assert_int_equal(ii.version, 4);
	assert_int_equal(ii.hdr_len, 20);
	assert_int_equal(ii.proto, 17);
	assert_int_equal(ii.proto_off, 9);
	assert_int_equal(ii.l4_off, 20);
	assert_int_equal(ii.ttl, 64);
	assert_int_equal(ii.dst.b[3], 0xc7);
	/* total length must match the buffer */
	assert_int_equal(ip_parse(p, sizeof(p) - 1, IP_WALK_ULP, &ii), IP_MALFORMED);
	/* IHL < 5 */
	p[0] = 0x44;
	assert_int_equal(ip_parse(p, sizeof(p), IP_WALK_ULP, &ii), IP_MALFORMED);
	/* IHL past the total length */
	p[0] = 0x4f;
	assert_int_equal(ip_parse(p, 40, IP_WALK_ULP, &ii), IP_MALFORMED);
	p[0] = 0x45;
	/* fragments: MF, or an offset; DF alone is fine */
	put_be16(p + 6, 0x2000);
	assert_int_equal(ip_parse(p, sizeof(p), IP_WALK_ULP, &ii), IP_FRAGMENT);
	put_be16(p + 6, 0x0001);
	assert_int_equal(ip_parse(p, sizeof(p), IP_WALK_ULP, &ii), IP_FRAGMENT);
	/* short buffers */
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_MALFORMED);
	p[0] = 0x55;
	assert_int_equal(ip_parse(p, sizeof(p), IP_WALK_ULP, &ii), IP_MALFORMED);
}

static size_t v6(uint8_t *p, uint8_t nh, const uint8_t *ext, size_t elen, size_t plen)
{
	memset(p, 0, 40 + elen + plen);
	put_be32(p, 0x6abcdef0);
	put_be16(p + 4, (uint16_t)(elen + plen));
	p[6] = nh;
	p[7] = 9;
	if (elen)
		memcpy(p + 40, ext, elen);
	return 40 + elen + plen;
}

static void test_ipv6_walk(void **state)
{
	/* HBH(8) -> DestOpts(8) -> Routing(8) -> DestOpts(16) -> TCP */
	static const uint8_t chain[] = { 60, 0, 1,  4, 0, 0, 0, 0, 43, 0, 1, 4, 0, 0,
					 0,  0, 60, 0, 0, 0, 0, 0, 0,  0, 6, 1, 1, 12,
					 0,  0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0 };
	static const uint8_t frag[] = { 6, 0, 0, 1, 0, 0, 0, 1 };
	uint8_t p[256];
	struct ip_info ii;
	size_t n = v6(p, 0, chain, sizeof(chain), 20);

	(void)state;
	assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_OK);
	assert_int_equal(ii.version, 6);
	assert_int_equal(ii.tos, 0xab);
	assert_int_equal(ii.proto, 6);
	assert_int_equal(ii.l4_off, 80);
	assert_int_equal(ii.proto_off, 64);
	assert_true(ii.has_routing);
	/* Insertion point: after HBH, the DestOpts that precedes Routing, and Routing; the last
	 * DestOpts goes behind ESP/AH (wire/ip.h). */
	assert_int_equal(ip_parse(p, n, IP_WALK_INSERT, &ii), IP_OK);
	assert_int_equal(ii.l4_off, 64);
	assert_int_equal(ii.proto, 60);
	assert_int_equal(ii.proto_off, 56);
	/* without extension headers */
	n = v6(p, 17, NULL, 0, 8);
	assert_int_equal(ip_parse(p, n, IP_WALK_INSERT, &ii), IP_OK);
	assert_int_equal(ii.l4_off, 40);
	assert_int_equal(ii.proto_off, 6);
	assert_false(ii.has_routing);
	/* Fragment header -> not transformed */
	n = v6(p, 44, frag, sizeof(frag), 8);
	assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_FRAGMENT);
	/* an extension header running past the end */
	n = v6(p, 0, chain, 8, 0);
	p[41] = 3;
	assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_MALFORMED);
	/* HBH anywhere but first */
	n = v6(p, 60, chain + 8, 8, 8);
	p[40] = 0;
	assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_MALFORMED);
	/* payload length mismatch; jumbogram */
	n = v6(p, 17, NULL, 0, 8);
	assert_int_equal(ip_parse(p, n + 1, IP_WALK_ULP, &ii), IP_MALFORMED);
	put_be16(p + 4, 0);
	assert_int_equal(ip_parse(p, n, IP_WALK_ULP, &ii), IP_UNSUPPORTED);
}

static void test_set_length_and_outer(void **state)
{
	uint8_t p[64];
	struct ipaddr s, d;
	struct ip_info ii;
	size_t hl;

	(void)state;
	memset(p, 0, sizeof(p));
	memcpy(p, v4_hdr, 20);
	assert_int_equal(ip_set_length(p, 40), 0);
	assert_int_equal(get_be16(p + 2), 40);
	assert_int_equal(ip_checksum(p, 20), 0);
	assert_int_equal(ip_set_length(p, 70000), -1);
	ipaddr_parse(&s, "192.0.2.1");
	ipaddr_parse(&d, "192.0.2.2");
	hl = ip_write_outer(p, sizeof(p), &s, &d, 50, 0xb8, 7, 24);
	assert_int_equal(hl, 20);
	assert_int_equal(ip_parse(p, 44, IP_WALK_ULP, &ii), IP_OK);
	assert_int_equal(ii.ttl, IP_DEFAULT_TTL);
	assert_int_equal(ii.tos, 0xb8);
	assert_int_equal(ii.proto, 50);
	assert_int_equal(ip_checksum(p, 20), 0);
	ipaddr_parse(&s, "2001:db8::1");
	ipaddr_parse(&d, "2001:db8::2");
	hl = ip_write_outer(p, sizeof(p), &s, &d, 51, 0x28, 7, 24);
	assert_int_equal(hl, 40);
	assert_int_equal(ip_parse(p, 64, IP_WALK_ULP, &ii), IP_OK);
	assert_int_equal(ii.tos, 0x28);
	assert_int_equal(ii.ttl, IP_DEFAULT_TTL);
	assert_int_equal(ii.proto, 51);
	assert_int_equal(ip_write_outer(p, 39, &s, &d, 51, 0, 0, 24), 0); /* no room */
	struct ipaddr v4;
	ipaddr_parse(&v4, "192.0.2.1");
	assert_int_equal(ip_write_outer(p, 64, &v4, &d, 51, 0, 0, 24), 0); /* mixed families */
}

/* RFC 4303 2.4: payload + padding + 2 is a multiple of the alignment; padding is 1, 2, 3... */
static void test_esp_padding(void **state)
{
	uint8_t pad[255];
	size_t len;

	(void)state;
	for (len = 0; len < 100; len++) {
		assert_int_equal((len + esp_pad_len(len, 4) + 2) % 4, 0);
		assert_true(esp_pad_len(len, 4) < 4);
		assert_int_equal((len + esp_pad_len(len, 16) + 2) % 16, 0);
		assert_true(esp_pad_len(len, 16) < 16);
	}
	/* RFC 3602 4 case 5: 64 payload bytes -> 14 pad bytes with AES */
	assert_int_equal(esp_pad_len(64, 16), 14);
	esp_pad_fill(pad, 14);
	assert_int_equal(pad[0], 1);
	assert_int_equal(pad[13], 14);
	assert_true(esp_pad_check(pad, 14));
	assert_true(esp_pad_check(pad, 0));
	pad[7] = 0;
	assert_false(esp_pad_check(pad, 14));
	struct esp_hdr h;
	static const uint8_t esp[] = { 0, 0, 0x43, 0x21, 0, 0, 0, 1 };
	assert_int_equal(esp_hdr_parse(esp, 8, &h), 0);
	assert_int_equal(h.spi, 0x4321);
	assert_int_equal(h.seq, 1);
	assert_int_equal(esp_hdr_parse(esp, 7, &h), -1);
}

/* RFC 4302 2.2 / 2.6: Payload Len = words - 2; alignment 4 (IPv4) / 8 (IPv6). */
static void test_ah_lengths(void **state)
{
	uint8_t buf[64];
	struct ah_hdr h;

	(void)state;
	assert_int_equal(ah_hdr_len(12, 4), 24); /* HMAC-SHA1-96 */
	assert_int_equal(ah_hdr_len(12, 6), 24);
	assert_int_equal(ah_hdr_len(16, 4), 28); /* HMAC-SHA2-256-128 */
	assert_int_equal(ah_hdr_len(16, 6), 32);
	assert_int_equal(ah_hdr_len(24, 6), 40);
	assert_int_equal(ah_hdr_len(32, 6), 48);
	ah_hdr_write(buf, 24, 6, 0x1234, 9);
	assert_int_equal(buf[1], 4);
	assert_int_equal(ah_hdr_parse(buf, 24, 4, &h), 0);
	assert_int_equal(h.next, 6);
	assert_int_equal(h.spi, 0x1234);
	assert_int_equal(h.seq, 9);
	assert_int_equal(h.len, 24);
	assert_int_equal(h.icv_area, 12);
	assert_int_equal(ah_hdr_parse(buf, 23, 4, &h), -1); /* longer than the buffer */
	ah_hdr_write(buf, 28, 6, 0x1234, 9);
	assert_int_equal(ah_hdr_parse(buf, 28, 4, &h), 0);
	assert_int_equal(ah_hdr_parse(buf, 28, 6, &h), -1); /* not 8-aligned for IPv6 */
	buf[1] = 0;					    /* 8 octets < fixed 12 */
	assert_int_equal(ah_hdr_parse(buf, 28, 4, &h), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),    cmocka_unit_test(test_ipv4_parse),
		cmocka_unit_test(test_ipv6_walk),   cmocka_unit_test(test_set_length_and_outer),
		cmocka_unit_test(test_esp_padding), cmocka_unit_test(test_ah_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
