/* src/wire/gro.c: coalescing inbound TCP segments into one GSO packet for the TUN.
 *
 * Independent truth: the segments are built here with their checksums computed by this file's
 * own code (RFC 1071 sum with the pseudo-header of RFC 9293 3.1 / RFC 8200 8.1 laid out byte by
 * byte); a merged packet must carry (virtio 1.1 5.1.6) flags NEEDS_CSUM, gso_type TCPV4/TCPV6,
 * hdr_len, gso_size = the first segment's payload, csum_start = TCP header, csum_offset 16, and
 * in the TCP checksum field the folded pseudo-header sum that the kernel completes; its IPv4
 * header checksum must verify. Then the merged packet is cut again by wire/tso.c (what GSO
 * does when the kernel forwards it) and must give back the very segments that went in, octet
 * for octet. The refusals follow the kernel's tcp_gro_receive rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/gro.h"

#define F_ACK 0x10u
#define F_PSH 0x08u
#define F_SYN 0x02u

#define NSEG_MAX 70

static uint8_t gbuf[GRO_BUF_LEN];
static uint8_t segs[NSEG_MAX][2048];
static size_t seglen[NSEG_MAX];
static uint8_t cut[2048];

/* Sum of 16-bit big-endian words of one piece into *acc (the piece's length even or last). */
static void add_words(uint64_t *acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		*acc += (uint64_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
}

static uint16_t fold64(uint64_t acc)
{
	while (acc > 0xffff)
		acc = (acc >> 16) + (acc & 0xffff);
	return (uint16_t)acc;
}

/* Pseudo-header of the packet p whose TCP part is tl octets, laid out in full. */
static size_t pseudo(const uint8_t *p, size_t tl, uint8_t *ph)
{
	memset(ph, 0, 40);
	if (p[0] >> 4 == 4) {
		memcpy(ph, p + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(tl >> 8);
		ph[11] = (uint8_t)tl;
		return 12;
	}
	memcpy(ph, p + 8, 32);
	ph[32] = (uint8_t)(tl >> 24);
	ph[33] = (uint8_t)(tl >> 16);
	ph[34] = (uint8_t)(tl >> 8);
	ph[35] = (uint8_t)tl;
	ph[39] = 6;
	return 40;
}

static uint16_t pseudo_sum(const uint8_t *p, size_t tl)
{
	uint8_t ph[40];
	uint64_t acc = 0;

	add_words(&acc, ph, pseudo(p, tl, ph));
	return fold64(acc);
}

/* Fill in the TCP checksum of a whole packet (field zero first). */
static void set_tcp_csum(uint8_t *p, size_t len, size_t t)
{
	uint64_t acc = pseudo_sum(p, len - t);

	p[t + 16] = p[t + 17] = 0;
	add_words(&acc, p + t, len - t);
	acc = (uint16_t)~fold64(acc);
	p[t + 16] = (uint8_t)(acc >> 8);
	p[t + 17] = (uint8_t)acc;
}

static void set_ip4_csum(uint8_t *p)
{
	uint64_t acc = 0;

	p[10] = p[11] = 0;
	add_words(&acc, p, 20);
	acc = (uint16_t)~fold64(acc);
	p[10] = (uint8_t)(acc >> 8);
	p[11] = (uint8_t)acc;
}

struct spec {
	int v6;
	uint32_t seq;
	uint16_t id;
	uint8_t flags;
	size_t n;     /* payload */
	uint32_t tsv; /* timestamp value in the option */
	uint16_t sport;
	uint32_t ack;
	uint8_t df;
};

/* IP + TCP (20 + 12: NOP NOP timestamp) + payload; payload octet of stream offset o is o*7+3. */
static size_t build(uint8_t *p, const struct spec *s)
{
	size_t ih = s->v6 ? 40 : 20, t = ih, len = ih + 32 + s->n;
	uint8_t *tcp = p + t;

	memset(p, 0, len);
	if (s->v6) {
		p[0] = 0x60;
		p[4] = (uint8_t)((len - 40) >> 8);
		p[5] = (uint8_t)(len - 40);
		p[6] = 6;
		p[7] = 64;
		p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
		p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
	} else {
		p[0] = 0x45;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p[4] = (uint8_t)(s->id >> 8);
		p[5] = (uint8_t)s->id;
		p[6] = s->df;
		p[8] = 64;
		p[9] = 6;
		p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
		set_ip4_csum(p);
	}
	tcp[0] = (uint8_t)(s->sport >> 8), tcp[1] = (uint8_t)s->sport;
	tcp[2] = 0x01, tcp[3] = 0xbb;
	for (int i = 0; i < 4; i++) {
		tcp[4 + i] = (uint8_t)(s->seq >> (24 - 8 * i));
		tcp[8 + i] = (uint8_t)(s->ack >> (24 - 8 * i));
		tcp[24 + i] = (uint8_t)(s->tsv >> (24 - 8 * i));
	}
	tcp[12] = 8 << 4;
	tcp[13] = s->flags;
	tcp[14] = 0x01, tcp[15] = 0xf5;
	tcp[20] = 1, tcp[21] = 1, tcp[22] = 8, tcp[23] = 10;
	for (size_t i = 0; i < s->n; i++)
		p[t + 32 + i] = (uint8_t)((s->seq - 1000 + i) * 7 + 3);
	set_tcp_csum(p, len, t);
	return len;
}

static struct spec base(int v6)
{
	return (struct spec){ .v6 = v6,
			      .seq = 1000,
			      .id = 0x4000,
			      .flags = F_ACK,
			      .n = 1000,
			      .tsv = 77,
			      .sport = 40000,
			      .ack = 5555,
			      .df = 0x40 };
}

/* k segments of mss octets and a last one of last octets with PSH (0: all full, no PSH). */
static size_t make_stream(int v6, size_t k, size_t mss, size_t last)
{
	struct spec s = base(v6);
	size_t i;

	s.n = mss;
	for (i = 0; i < k + (last ? 1 : 0); i++) {
		if (i == k) {
			s.n = last;
			s.flags = F_ACK | F_PSH;
		}
		seglen[i] = build(segs[i], &s);
		s.seq += (uint32_t)s.n;
		s.id++;
	}
	return i;
}

static unsigned le16(const uint8_t *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A merged packet's virtio_net_hdr (virtio 1.2 5.1.6): NEEDS_CSUM, then gso_type, hdr_len,
 * gso_size, csum_start and csum_offset as given. */
static void assert_vnet(const uint8_t *out, unsigned gso_type, size_t hdr_len, size_t mss,
			size_t csum_start, unsigned csum_offset)
{
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], gso_type);
	assert_int_equal(le16(out + 2), hdr_len);
	assert_int_equal(le16(out + 4), mss);
	assert_int_equal(le16(out + 6), csum_start);
	assert_int_equal(le16(out + 8), csum_offset);
}

static void merge_and_check(int v6, size_t k, size_t mss, size_t last)
{
	size_t n = make_stream(v6, k, mss, last), ih = v6 ? 40 : 20, len, off, i;
	const uint8_t *out, *p;
	static uint8_t full[GRO_MAX_LEN];
	unsigned nseg;
	struct gro g;
	struct tso t;
	uint64_t acc = 0;

	gro_init(&g, gbuf, false);
	for (i = 0; i < n; i++)
		assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_HELD);
	len = gro_finish(&g, &out, &nseg);
	assert_int_equal(nseg, n);
	assert_int_equal(len, TSO_VNET_HDR_LEN + ih + 32 + k * mss + last);
	assert_vnet(out, v6 ? 4 : 1, ih + 32, mss, ih, 16); /* TCPV6 / TCPV4 */
	p = out + TSO_VNET_HDR_LEN;
	len -= TSO_VNET_HDR_LEN;
	if (v6) {
		assert_int_equal(be16(p + 4), len - 40);
	} else {
		assert_int_equal(be16(p + 2), len);
		add_words(&acc, p, 20);
		assert_int_equal(fold64(acc), 0xffff);
		assert_int_equal(be16(p + 4), 0x4000); /* the first segment's */
	}
	assert_int_equal(p[ih + 13], last ? F_ACK | F_PSH : F_ACK);
	assert_int_equal(be16(p + ih + 16), pseudo_sum(p, len - ih));
	for (off = 0; off < k * mss + last; off++)
		assert_int_equal(p[ih + 32 + off], (uint8_t)(off * 7 + 3));
	/* GSO again, as the kernel would do when forwarding it: the same segments come out. */
	memcpy(full, p, len);
	assert_int_equal(tso_init(&t, full, len, (uint16_t)mss), 0);
	for (i = 0; i < n; i++) {
		size_t m = tso_next(&t, cut, sizeof(cut));

		assert_int_equal(m, seglen[i]);
		assert_memory_equal(cut, segs[i], m);
	}
	assert_int_equal(tso_next(&t, cut, sizeof(cut)), 0);
}

static void test_merge_v4(void **state)
{
	(void)state;
	merge_and_check(0, 5, 1000, 300);
	merge_and_check(0, 2, 1448, 0);
	merge_and_check(0, 1, 1000, 1000); /* last as long as the others, with PSH */
}

static void test_merge_v6(void **state)
{
	(void)state;
	merge_and_check(1, 7, 1220, 17);
	merge_and_check(1, 3, 1000, 0);
}

/* A lone segment goes out as it came, behind an all-zero header (the kernel checks it). */
static void test_single(void **state)
{
	struct spec s = base(0);
	const uint8_t *out;
	unsigned nseg;
	struct gro g;
	size_t len = build(segs[0], &s);
	static const uint8_t zero[TSO_VNET_HDR_LEN];

	(void)state;
	gro_init(&g, gbuf, false);
	assert_int_equal(gro_finish(&g, &out, &nseg), 0);
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_HELD);
	assert_int_equal(gro_finish(&g, &out, &nseg), TSO_VNET_HDR_LEN + len);
	assert_int_equal(nseg, 1);
	assert_memory_equal(out, zero, TSO_VNET_HDR_LEN);
	assert_memory_equal(out + TSO_VNET_HDR_LEN, segs[0], len);
	assert_int_equal(gro_finish(&g, &out, &nseg), 0);
}

/* Second segment built from the first's spec with one change: must not join. */
static void refuse(struct spec second, int owner_differs, enum gro_res want)
{
	struct spec first = base(second.v6);
	size_t l1 = build(segs[0], &first), l2;
	const uint8_t *out;
	unsigned nseg;
	struct gro g;
	int other;

	second.id = (uint16_t)(second.id + 1);
	l2 = build(segs[1], &second);
	gro_init(&g, gbuf, false);
	assert_int_equal(gro_add(&g, segs[0], l1, &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[1], l2, owner_differs ? (void *)&other : (void *)&g),
			 want);
	if (want == GRO_HELD) {
		assert_int_equal(gro_finish(&g, &out, &nseg), TSO_VNET_HDR_LEN + l1 + second.n);
		assert_int_equal(nseg, 2);
		return;
	}
	assert_int_equal(gro_finish(&g, &out, &nseg), TSO_VNET_HDR_LEN + l1);
	assert_int_equal(nseg, 1);
	assert_memory_equal(out + TSO_VNET_HDR_LEN, segs[0], l1);
}

static void test_refusals(void **state)
{
	struct spec s;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		s = base(v6), s.seq = 2000;
		refuse(s, 1, GRO_FLUSH); /* another SA */
		refuse(s, 0, GRO_HELD);	 /* the control: everything equal joins */
		s = base(v6), s.seq = 2001;
		refuse(s, 0, GRO_FLUSH); /* gap */
		s = base(v6), s.seq = 2000, s.ack = 5556;
		refuse(s, 0, GRO_FLUSH); /* another ACK number */
		s = base(v6), s.seq = 2000, s.tsv = 78;
		refuse(s, 0, GRO_FLUSH); /* options differ (timestamp) */
		s = base(v6), s.seq = 2000, s.sport = 40001;
		refuse(s, 0, GRO_FLUSH); /* another flow */
		s = base(v6), s.seq = 2000, s.n = 1001;
		refuse(s, 0, GRO_FLUSH); /* longer than the first */
		s = base(v6), s.seq = 2000, s.flags = F_ACK | F_SYN;
		refuse(s, 0, GRO_FLUSH); /* SYN never merges */
		s = base(v6), s.seq = 2000, s.n = 0;
		refuse(s, 0, GRO_FLUSH); /* no data */
	}
	/* IPv4 without DF: identification must go up by one. */
	s = base(0), s.seq = 2000, s.df = 0;
	refuse(s, 0, GRO_FLUSH); /* the DF bits differ */
}

/* Nothing held: a segment that can never merge is GRO_ALONE. */
static void test_alone(void **state)
{
	struct spec s = base(0);
	struct gro g;
	size_t len;

	(void)state;
	gro_init(&g, gbuf, false);
	len = build(segs[0], &s);
	segs[0][len - 1] ^= 1; /* TCP checksum wrong now */
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_ALONE);
	len = build(segs[0], &s);
	segs[0][6] |= 0x20; /* IPv4 more fragments */
	set_ip4_csum(segs[0]);
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_ALONE);
	len = build(segs[0], &s);
	segs[0][11] ^= 1; /* IPv4 header checksum wrong */
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_ALONE);
	s.flags = F_ACK | F_SYN;
	len = build(segs[0], &s);
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_ALONE);
	s = base(1), s.n = 0;
	len = build(segs[0], &s);
	assert_int_equal(gro_add(&g, segs[0], len, &g), GRO_ALONE);
	assert_int_equal(gro_add(&g, segs[0], len - 1, &g), GRO_ALONE); /* truncated */
}

/* After a PSH or a shorter segment nothing joins; IPv4 ids without DF go up by one or stay. */
static void test_closed(void **state)
{
	struct spec s = base(0);
	const uint8_t *out;
	unsigned nseg;
	struct gro g;
	size_t l[3];

	(void)state;
	gro_init(&g, gbuf, false);
	s.flags = F_ACK | F_PSH;
	l[0] = build(segs[0], &s);
	s.flags = F_ACK, s.seq += 1000, s.id++;
	l[1] = build(segs[1], &s);
	assert_int_equal(gro_add(&g, segs[0], l[0], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[1], l[1], &g), GRO_FLUSH);
	gro_finish(&g, &out, &nseg);
	s = base(0), s.n = 500;
	l[0] = build(segs[0], &s);
	s.n = 400, s.seq += 500, s.id++;
	l[1] = build(segs[1], &s);
	s.seq += 400, s.id++;
	l[2] = build(segs[2], &s);
	assert_int_equal(gro_add(&g, segs[0], l[0], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[1], l[1], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[2], l[2], &g), GRO_FLUSH);
	assert_int_equal(gro_finish(&g, &out, &nseg), TSO_VNET_HDR_LEN + 20 + 32 + 900);
	assert_int_equal(nseg, 2);
	/* No DF: ids 0x4000, 0x4001 join, 0x4003 does not. */
	s = base(0), s.df = 0;
	l[0] = build(segs[0], &s);
	s.seq += 1000, s.id++;
	l[1] = build(segs[1], &s);
	s.seq += 1000, s.id = (uint16_t)(s.id + 2);
	l[2] = build(segs[2], &s);
	assert_int_equal(gro_add(&g, segs[0], l[0], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[1], l[1], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[2], l[2], &g), GRO_FLUSH);
	gro_finish(&g, &out, &nseg);
	assert_int_equal(nseg, 2);
	/* No DF, one identification for all (as steered TCP arrives here): they join. */
	s = base(0), s.df = 0;
	l[0] = build(segs[0], &s);
	s.seq += 1000;
	l[1] = build(segs[1], &s);
	assert_int_equal(gro_add(&g, segs[0], l[0], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[1], l[1], &g), GRO_HELD);
	gro_finish(&g, &out, &nseg);
	assert_int_equal(nseg, 2);
}

/* At most GRO_MAX_SEGS segments and GRO_MAX_LEN octets in one packet. */
static void test_limits(void **state)
{
	const uint8_t *out;
	unsigned nseg;
	struct gro g;
	size_t n, i;

	(void)state;
	n = make_stream(0, GRO_MAX_SEGS + 1, 200, 0);
	gro_init(&g, gbuf, false);
	for (i = 0; i < GRO_MAX_SEGS; i++)
		assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_FLUSH);
	gro_finish(&g, &out, &nseg);
	assert_int_equal(nseg, GRO_MAX_SEGS);
	assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_HELD);
	gro_finish(&g, &out, &nseg);
	/* 1400-octet payloads behind 72 octets of IPv6 and TCP headers: 46 fit 65535, 47 do not. */
	n = make_stream(1, 47, 1400, 0);
	for (i = 0; i < 46; i++)
		assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[46], seglen[46], &g), GRO_FLUSH);
	assert_int_equal(gro_finish(&g, &out, &nseg), TSO_VNET_HDR_LEN + 72 + 46 * 1400);
	assert_int_equal(n, 47);
}

/* tso_sum (shared with wire/tso.c) against this file's 16-bit loop: every length 0..80 at
 * every alignment 0..7, random octets, and all-0xff runs (the most carries). */
static void test_sum(void **state)
{
	static uint8_t b[96];
	uint64_t acc;

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = fill ? 0xff : (uint8_t)(i * 37 + 11 + (i >> 3) * 101);
		for (size_t off = 0; off < 8; off++) {
			for (size_t n = 0; n <= 80; n++) {
				acc = 0;
				add_words(&acc, b + off, n);
				assert_int_equal(tso_fold(tso_sum(b + off, n, 0)), fold64(acc));
				acc += 0x1234;
				assert_int_equal(tso_fold(tso_sum(b + off, n, 0x1234)),
						 fold64(acc));
			}
		}
	}
}

/* UDP datagram: IP header as build() (protocol 17), ports sport -> 53, n payload octets,
 * octet k of datagram d is d * 31 + k; checksum by RFC 768 (pseudo-header with protocol 17)
 * unless csum0, which leaves it zero. */
static size_t build_udp(uint8_t *p, int v6, uint16_t sport, unsigned d, size_t n, int csum0)
{
	size_t ih = v6 ? 40 : 20, len = ih + 8 + n, ul = 8 + n;
	uint8_t ph[40];
	uint64_t acc = 0;
	size_t phl;

	memset(p, 0, len);
	if (v6) {
		p[0] = 0x60;
		p[4] = (uint8_t)(ul >> 8), p[5] = (uint8_t)ul;
		p[6] = 17, p[7] = 64;
		p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
		p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
	} else {
		p[0] = 0x45;
		p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len;
		p[6] = 0x40, p[8] = 64, p[9] = 17;
		p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
		set_ip4_csum(p);
	}
	p[ih] = (uint8_t)(sport >> 8), p[ih + 1] = (uint8_t)sport, p[ih + 3] = 53;
	p[ih + 4] = (uint8_t)(ul >> 8), p[ih + 5] = (uint8_t)ul;
	for (size_t k = 0; k < n; k++)
		p[ih + 8 + k] = (uint8_t)(d * 31 + k);
	if (csum0)
		return len;
	phl = pseudo(p, ul, ph);
	ph[v6 ? 39 : 9] = 17;
	add_words(&acc, ph, phl);
	add_words(&acc, p + ih, ul);
	acc = (uint16_t)~fold64(acc);
	p[ih + 6] = (uint8_t)(acc >> 8), p[ih + 7] = (uint8_t)acc;
	return len;
}

/* k datagrams of mss octets and a shorter last: one GSO UDP_L4 packet whose payload is theirs
 * in order (cut at gso_size, the same payloads again). */
static void merge_udp(int v6, size_t k, size_t mss, size_t last)
{
	size_t ih = v6 ? 40 : 20, n = k + (last ? 1 : 0), len, off = 0;
	const uint8_t *out, *p;
	uint8_t ph[40];
	uint64_t acc = 0;
	unsigned nseg;
	struct gro g;

	gro_init(&g, gbuf, true);
	for (size_t i = 0; i < n; i++) {
		seglen[i] = build_udp(segs[i], v6, 4000, (unsigned)i, i < k ? mss : last, 0);
		assert_int_equal(gro_add(&g, segs[i], seglen[i], &g), GRO_HELD);
	}
	len = gro_finish(&g, &out, &nseg);
	assert_int_equal(nseg, n);
	assert_int_equal(len, TSO_VNET_HDR_LEN + ih + 8 + k * mss + last);
	assert_vnet(out, 5, ih + 8, mss, ih, 6); /* GSO_UDP_L4 */
	p = out + TSO_VNET_HDR_LEN;
	len -= TSO_VNET_HDR_LEN;
	assert_int_equal(be16(p + (v6 ? 4 : 2)), v6 ? len - 40 : len);
	assert_int_equal(be16(p + ih + 4), len - ih);
	/* the checksum field holds the folded pseudo-header sum (RFC 768, protocol 17) */
	off = pseudo(p, len - ih, ph);
	ph[v6 ? 39 : 9] = 17;
	add_words(&acc, ph, off);
	off = 0;
	assert_int_equal(be16(p + ih + 6), fold64(acc));
	for (size_t i = 0; i < n; i++) {
		size_t m = seglen[i] - ih - 8;

		assert_memory_equal(p + ih + 8 + off, segs[i] + ih + 8, m);
		off += m;
	}
}

static void test_udp_merge(void **state)
{
	(void)state;
	merge_udp(0, 31, 56, 32);
	merge_udp(1, 63, 36, 0);
	merge_udp(0, 2, 1000, 1);
}

/* What must not join a held UDP datagram, and what goes alone. */
static void test_udp_refuse(void **state)
{
	size_t l1, l2;
	struct gro g;

	(void)state;
	l1 = build_udp(segs[0], 0, 4000, 0, 64, 0);
	gro_init(&g, gbuf, false);
	assert_int_equal(gro_add(&g, segs[0], l1, &g), GRO_ALONE); /* UDP off */
	gro_init(&g, gbuf, true);
	assert_int_equal(gro_add(&g, segs[0], l1, &g), GRO_HELD);
	l2 = build_udp(segs[1], 0, 4001, 1, 64, 0); /* other port */
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_FLUSH);
	l2 = build_udp(segs[1], 0, 4000, 1, 65, 0); /* longer than the first */
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_FLUSH);
	l2 = build_udp(segs[1], 0, 4000, 1, 64, 0);
	segs[1][l2 - 1] ^= 1; /* bad checksum */
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_FLUSH);
	l2 = build_udp(segs[1], 0, 4000, 1, 20, 1); /* no checksum over IPv4: joins, closes */
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_HELD);
	assert_int_equal(gro_add(&g, segs[0], l1, &g), GRO_FLUSH);
	l2 = build_udp(segs[1], 1, 4000, 1, 64, 1); /* zero checksum over IPv6 */
	gro_init(&g, gbuf, true);
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_ALONE);
	l2 = build_udp(segs[1], 0, 4000, 1, 0, 0); /* no data */
	assert_int_equal(gro_add(&g, segs[1], l2, &g), GRO_ALONE);
	/* a TCP segment after a held UDP datagram */
	assert_int_equal(gro_add(&g, segs[0], l1, &g), GRO_HELD);
	make_stream(0, 1, 64, 0);
	assert_int_equal(gro_add(&g, segs[0], seglen[0], &g), GRO_FLUSH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_v4),  cmocka_unit_test(test_merge_v6),
		cmocka_unit_test(test_single),	  cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_alone),	  cmocka_unit_test(test_closed),
		cmocka_unit_test(test_limits),	  cmocka_unit_test(test_sum),
		cmocka_unit_test(test_udp_merge), cmocka_unit_test(test_udp_refuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
