/* src/wire/tso.c: TCP segmentation in user space for the offloading TUN.
 *
 * Independent truth: the checksums are verified the way a receiver does (RFC 1071 4.1: the
 * one's complement sum over pseudo-header, header and data, checksum included, is 0xffff),
 * with a pseudo-header built here byte by byte (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6)
 * and a plain summing loop of this file's own; sequence numbers, lengths, identification and
 * flags are checked against what RFC 9293 and a NIC's TSO give: segment k carries payload
 * [k * mss, (k + 1) * mss), seq + k * mss, IPv4 id + k, CWR on the first segment only, FIN and
 * PSH on the last only. The virtio_net_hdr layout is virtio 1.1 5.1.6 (little-endian).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/tso.h"

#define ACK 0x10u
#define PSH 0x08u
#define FIN 0x01u
#define CWR 0x80u

static uint8_t pkt[70000];
static uint8_t seg[2048];

/* RFC 1071 sum, folded, over several pieces (each of even length but the last). */
static uint16_t sum16(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < an; i++)
		s += (i & 1) ? a[i] : (uint64_t)a[i] << 8;
	for (i = 0; i < bn; i++)
		s += (i & 1) ? b[i] : (uint64_t)b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A receiver's check of the TCP checksum of a whole IPv4 or IPv6 packet. */
static int tcp_csum_ok(const uint8_t *p, size_t len, size_t tcp_off)
{
	uint8_t ph[40];
	size_t tl = len - tcp_off, pl;

	memset(ph, 0, sizeof(ph));
	if (p[0] >> 4 == 4) {
		memcpy(ph, p + 12, 8); /* source, destination */
		ph[9] = 6;
		ph[10] = (uint8_t)(tl >> 8);
		ph[11] = (uint8_t)tl;
		pl = 12;
	} else {
		memcpy(ph, p + 8, 32);
		ph[34] = (uint8_t)(tl >> 8);
		ph[35] = (uint8_t)tl;
		ph[39] = 6;
		pl = 40;
	}
	return sum16(ph, pl, p + tcp_off, tl) == 0xffff;
}

/* IPv4 header (20) + TCP header (20 + opt) + n payload octets; payload octet i = i * 7 + 3. */
static size_t build(int v6, size_t opt, size_t n, uint8_t flags)
{
	size_t ih = v6 ? 40 : 20, th = 20 + opt, len = ih + th + n, i;
	uint8_t *t = pkt + ih;

	memset(pkt, 0, ih + th);
	if (v6) {
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)((len - 40) >> 8);
		pkt[5] = (uint8_t)(len - 40);
		pkt[6] = 6;
		pkt[7] = 64;
		pkt[8] = 0xfd; /* fd00:76::1 -> fd00:76::2 */
		pkt[10] = 0x76;
		pkt[23] = 1;
		pkt[24] = 0xfd;
		pkt[26] = 0x76;
		pkt[39] = 2;
	} else {
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[4] = 0xff; /* id 0xfffe: wraps past 0xffff */
		pkt[5] = 0xfe;
		pkt[6] = 0x40; /* DF */
		pkt[8] = 64;
		pkt[9] = 6;
		memcpy(pkt + 12, "\x0a\x4c\x00\x01\x0a\x4c\x00\x02", 8);
	}
	t[0] = 0x1f; /* ports 8000 -> 80 */
	t[1] = 0x40;
	t[3] = 80;
	memcpy(t + 4, "\xff\xff\xfc\x00", 4); /* seq wraps too */
	memcpy(t + 8, "\x00\x00\x10\x00", 4);
	t[12] = (uint8_t)((th / 4) << 4);
	t[13] = flags;
	t[14] = 0x01;
	for (i = 0; i < opt; i++)
		t[20 + i] = i % 4 == 3 ? 0 : 1; /* NOPs and EOLs: content only */
	for (i = 0; i < n; i++)
		pkt[ih + th + i] = (uint8_t)(i * 7 + 3);
	return len;
}

static void check_segments(int v6, size_t opt, size_t n, uint16_t mss, uint8_t flags)
{
	size_t ih = v6 ? 40 : 20, th = 20 + opt, len = build(v6, opt, n, flags), l, k = 0;
	size_t want_segs = (n + mss - 1) / mss;
	struct tso t;

	assert_int_equal(tso_init(&t, pkt, len, mss), 0);
	while ((l = tso_next(&t, seg, sizeof(seg))) != 0) {
		size_t pay = n - k * mss < mss ? n - k * mss : mss;
		uint8_t *tcp = seg + ih, f = tcp[13];

		assert_int_equal(l, ih + th + pay);
		if (v6) {
			assert_int_equal(be16(seg + 4), l - 40);
		} else {
			assert_int_equal(be16(seg + 2), l);
			assert_int_equal(be16(seg + 4), (0xfffe + k) & 0xffff);
			assert_int_equal(sum16(seg, 20, NULL, 0), 0xffff);
			assert_int_equal(seg[6], 0x40);
		}
		assert_int_equal(be32(tcp + 4), (uint32_t)(0xfffffc00u + k * mss));
		assert_int_equal(be32(tcp + 8), 0x1000);
		assert_int_equal(f & CWR, k == 0 ? (flags & CWR) : 0);
		assert_int_equal(f & (FIN | PSH), k + 1 == want_segs ? (flags & (FIN | PSH)) : 0);
		assert_int_equal(f & ACK, flags & ACK);
		assert_memory_equal(tcp, pkt + ih, 4);		       /* ports */
		assert_memory_equal(tcp + 14, pkt + ih + 14, 2);       /* window */
		assert_memory_equal(tcp + 18, pkt + ih + 18, th - 18); /* urgent, options */
		assert_memory_equal(seg + ih + th, pkt + ih + th + k * mss, pay);
		assert_true(tcp_csum_ok(seg, l, ih));
		k++;
	}
	assert_int_equal(k, want_segs);
}

static void test_ipv4_three_segments(void **state)
{
	(void)state;
	check_segments(0, 0, 3000, 1000, ACK | PSH | FIN | CWR);
}

static void test_ipv4_uneven_last(void **state)
{
	(void)state;
	check_segments(0, 12, 64000, 1360, ACK | PSH);
}

static void test_ipv6_options_odd_tail(void **state)
{
	(void)state;
	check_segments(1, 12, 2501, 1200, ACK | PSH | CWR);
}

static void test_single_segment(void **state)
{
	(void)state;
	check_segments(1, 0, 500, 1340, ACK | FIN);
}

static void test_rejects(void **state)
{
	struct tso t;
	size_t len = build(0, 0, 100, ACK);

	(void)state;
	assert_int_equal(tso_init(&t, pkt, len, 0), -1);
	pkt[9] = 17; /* UDP */
	pkt[10] = pkt[11] = 0;
	assert_int_equal(tso_init(&t, pkt, len, 1000), -1);
	len = build(0, 0, 100, ACK);
	pkt[20 + 12] = 0x40; /* data offset 16 < 20 */
	assert_int_equal(tso_init(&t, pkt, len, 1000), -1);
	build(0, 0, 0, ACK);
	pkt[3] = 30; /* IPv4 total length 30: a TCP header cut after 10 octets */
	assert_int_equal(tso_init(&t, pkt, 30, 1000), -1);
	len = build(0, 0, 3000, ACK);
	assert_int_equal(tso_init(&t, pkt, len, 1000), 0);
	assert_int_equal(tso_next(&t, seg, 1039), 0); /* room < headers + mss */
	assert_int_equal(tso_next(&t, seg, 1040), 1040);
}

/* NEEDS_CSUM: a UDP datagram whose checksum field holds the pseudo-header sum (what the
 * kernel leaves for the device); after finishing, a receiver's check passes. */
static void test_csum_finish(void **state)
{
	uint8_t p[20 + 8 + 33], ph[12];
	uint16_t partial;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	p[9] = 17;
	memcpy(p + 12, "\x0a\x4c\x00\x01\x0a\x4c\x00\x02", 8);
	p[20] = 0x30;
	p[21] = 0x39;
	p[23] = 53;
	p[25] = 41; /* UDP length */
	for (size_t i = 28; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 13);
	memset(ph, 0, sizeof(ph));
	memcpy(ph, p + 12, 8);
	ph[9] = 17;
	ph[11] = 41;
	partial = sum16(ph, 12, NULL, 0);
	p[26] = (uint8_t)(partial >> 8);
	p[27] = (uint8_t)partial;
	assert_int_equal(tso_csum_finish(p, sizeof(p), 20, 6), 0);
	assert_int_equal(sum16(ph, 12, p + 20, sizeof(p) - 20), 0xffff);
	assert_int_equal(tso_csum_finish(p, sizeof(p), 60, 6), -1);
	assert_int_equal(tso_csum_finish(p, sizeof(p), (uint16_t)sizeof(p), 0), -1);
	/* RFC 768: a datagram whose checksum computes to zero carries all ones, never zero
	 * (over IPv6 the kernel dropped such datagrams). Search the data word that gives it. */
	for (unsigned v = 0, hit = 0; v < 0x10000 && !hit; v++) {
		p[56] = (uint8_t)(v >> 8);
		p[57] = (uint8_t)v;
		p[26] = (uint8_t)(partial >> 8);
		p[27] = (uint8_t)partial;
		assert_int_equal(tso_csum_finish(p, sizeof(p), 20, 6), 0);
		assert_int_equal(sum16(ph, 12, p + 20, sizeof(p) - 20), 0xffff);
		assert_false(p[26] == 0 && p[27] == 0);
		hit = p[26] == 0xff && p[27] == 0xff;
		assert_true(hit || v < 0xffff);
	}
}

/* virtio 1.1 5.1.6: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (LE). */
static void test_vnet_parse(void **state)
{
	const uint8_t h[10] = { 0x01, 0x81, 0x36, 0x00, 0x50, 0x05, 0x14, 0x00, 0x10, 0x00 };
	struct tso_vnet v;

	(void)state;
	assert_int_equal(tso_vnet_parse(h, sizeof(h), &v), 0);
	assert_true(v.needs_csum);
	assert_int_equal(v.gso_type, 1); /* TCPV4, ECN bit dropped */
	assert_int_equal(v.gso_size, 0x550);
	assert_int_equal(v.csum_start, 20);
	assert_int_equal(v.csum_offset, 16);
	assert_int_equal(tso_vnet_parse(h, 9, &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_three_segments),
		cmocka_unit_test(test_ipv4_uneven_last),
		cmocka_unit_test(test_ipv6_options_odd_tail),
		cmocka_unit_test(test_single_segment),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_csum_finish),
		cmocka_unit_test(test_vnet_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
