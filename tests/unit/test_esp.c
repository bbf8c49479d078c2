/* ESP transform behaviour: round trips over every algorithm x mode x family x ESN, tampering,
 * replay, padding, malformed input, lifetimes. Truth here is the packet we started from and
 * RFC 4303's rules; the byte-exact known answers live in test_esp_vectors.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_xform_util.h"
#include "wire/esp.h"

struct fam {
	const char *name;
	const char *in_src, *in_dst; /* the packet's own addresses */
	const char *sa_src, *sa_dst; /* SA endpoints (outer header in tunnel mode) */
	bool v6_in;
};

static const struct fam fams[] = {
	{ "v4", "10.1.0.1", "10.2.0.2", "10.1.0.1", "10.2.0.2", false },
	{ "v6", "2001:db8:1::1", "2001:db8:2::2", "2001:db8:1::1", "2001:db8:2::2", true },
	/* tunnel only: inner and outer family differ */
	{ "v4-in-v6", "10.1.0.1", "10.2.0.2", "2001:db8:a::1", "2001:db8:b::2", false },
	{ "v6-in-v4", "2001:db8:1::1", "2001:db8:2::2", "192.0.2.1", "192.0.2.2", true },
};

static size_t mk_inner(uint8_t *pkt, const struct fam *f, size_t plen, uint8_t seed)
{
	uint8_t payload[1500];

	fill_payload(payload, plen, seed);
	if (f->v6_in)
		return mk_ipv6(pkt, f->in_src, f->in_dst, IPPROTO_UDP, NULL, 0, payload, plen);
	return mk_ipv4(pkt, f->in_src, f->in_dst, IPPROTO_UDP, payload, plen, 63, 0x10);
}

/* One encap + decap; checks the wire shape and that the original comes back exactly. */
static void round_trip(const struct alg_case *a, uint8_t mode, const struct fam *f, bool esn,
		       size_t plen)
{
	uint8_t pkt[2048];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct ip_info ii;
	struct sa_pair sp;
	struct tbuf tb;
	struct sa *found;
	size_t n = mk_inner(pkt, f, plen, (uint8_t)plen);
	const char *src = mode == SA_MODE_TUNNEL ? f->sa_src : f->in_src;
	const char *dst = mode == SA_MODE_TUNNEL ? f->sa_dst : f->in_dst;
	int i;

	mk_pair(&sp, sad, IPPROTO_ESP, a, mode, esn, 0x1000 + (uint32_t)plen, src, dst);
	if (esn) /* start near a 32-bit boundary so the high half is 1 */
		sp.out->seq = sp.in->replay.top = 0xfffffffeull;
	for (i = 0; i < 3; i++) {
		tb_set(&tb, pkt, n);
		assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
		assert_int_equal(ip_parse(pbuf_data(&tb.pb), tb.pb.len, IP_WALK_ULP, &ii), IP_OK);
		assert_int_equal(ii.proto, IPPROTO_ESP);
		if (ii.version == 4)
			assert_int_equal(ip_checksum(pbuf_data(&tb.pb), ii.hdr_len), 0);
		if (mode == SA_MODE_TUNNEL)
			assert_int_equal(ii.ttl, IP_DEFAULT_TTL);
		assert_int_equal(get_be32(pbuf_data(&tb.pb) + ii.l4_off), sp.out->spi);
		assert_int_equal(get_be32(pbuf_data(&tb.pb) + ii.l4_off + 4),
				 (uint32_t)sp.out->seq);
		assert_int_equal(esp_decap(sad, &tb.pb, 0, &found, &st), SA_DROP_NONE);
		assert_ptr_equal(found, sp.in);
		assert_int_equal(tb.pb.len, n);
		assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	}
	assert_int_equal(st.in_packets, 3);
	/* both ends account the same payload bytes against the lifetimes */
	assert_int_equal(sp.out->ctr.bytes, sp.in->ctr.bytes);
	assert_true(sp.in->ctr.bytes > 0 || n <= 40);
	assert_int_equal(sp.in->ctr.packets, 3);
	assert_int_equal(sp.out->ctr.packets, 3);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_round_trips(void **state)
{
	static const size_t lens[] = { 0, 1, 13, 64, 1400 };
	size_t a, f, l;
	int esn;

	(void)state;
	for (a = 0; a < ARRAY_SIZE(esp_algs); a++)
		for (f = 0; f < ARRAY_SIZE(fams); f++)
			for (esn = 0; esn < 2; esn++)
				for (l = 0; l < ARRAY_SIZE(lens); l++) {
					if (f < 2)
						round_trip(&esp_algs[a], SA_MODE_TRANSPORT,
							   &fams[f], esn, lens[l]);
					round_trip(&esp_algs[a], SA_MODE_TUNNEL, &fams[f], esn,
						   lens[l]);
				}
}

/* IPv6 transport with extension headers: HBH and a Routing header stay in front of ESP, a
 * Destination Options header not followed by Routing goes behind it (wire/ip.h). */
static void test_v6_ext_headers(void **state)
{
	/* HBH (next: routing, len 0: PadN) | Routing type 0 seg_left 0 (next: dstopts) |
	 * DestOpts (next: UDP, PadN) */
	static const uint8_t ext[] = { 43, 0, 1, 4, 0,	0, 0, 0, 60, 0, 0, 0,
				       0,  0, 0, 0, 17, 0, 1, 4, 0,  0, 0, 0 };
	uint8_t payload[40], pkt[256];
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n;

	(void)state;
	fill_payload(payload, sizeof(payload), 3);
	n = mk_ipv6(pkt, "2001:db8::1", "2001:db8::2", 0, ext, sizeof(ext), payload,
		    sizeof(payload));
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TRANSPORT, false, 0x777, "2001:db8::1",
		"2001:db8::2");
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	/* HBH and routing unchanged in front, routing's next header now ESP, ESP at 56. */
	assert_memory_equal(pbuf_data(&tb.pb) + 40, ext, 8);
	assert_int_equal(pbuf_data(&tb.pb)[48], IPPROTO_ESP);
	assert_int_equal(get_be32(pbuf_data(&tb.pb) + 56), 0x777);
	assert_int_equal(get_be16(pbuf_data(&tb.pb) + 4), tb.pb.len - 40);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, NULL), SA_DROP_NONE);
	assert_int_equal(tb.pb.len, n);
	assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	sa_free(sp.out);
	sad_free(sad);
}

/* Flip every bit of the ESP part, one at a time: never accepted. The untouched packet is
 * accepted afterwards, so the rejections were not the SA's fault. */
static void tamper_one(const struct alg_case *a, uint8_t mode, const struct fam *f, bool esn)
{
	uint8_t pkt[512], prot[1024];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct ip_info ii;
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, f, 37, 9), plen, bit, rejected = 0;
	const char *src = mode == SA_MODE_TUNNEL ? f->sa_src : f->in_src;
	const char *dst = mode == SA_MODE_TUNNEL ? f->sa_dst : f->in_dst;

	mk_pair(&sp, sad, IPPROTO_ESP, a, mode, esn, 0x2222, src, dst);
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	assert_int_equal(ip_parse(prot, plen, IP_WALK_ULP, &ii), IP_OK);
	for (bit = ii.l4_off * 8; bit < plen * 8; bit++) {
		enum sa_drop d;

		tb_set(&tb, prot, plen);
		pbuf_data(&tb.pb)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		d = esp_decap(sad, &tb.pb, 0, NULL, &st);
		if (d == SA_DROP_NONE)
			fail_msg("%s: bit %zu flipped and accepted", a->name, bit);
		assert_true(d == SA_DROP_ICV || d == SA_DROP_MALFORMED ||
			    d == SA_DROP_UNKNOWN_SPI || d == SA_DROP_REPLAY);
		rejected++;
	}
	assert_int_equal(rejected, (plen - ii.l4_off) * 8);
	assert_int_equal(st.in_packets, 0);
	tb_set(&tb, prot, plen);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_tamper(void **state)
{
	size_t a;

	(void)state;
	for (a = 0; a < ARRAY_SIZE(esp_algs); a++) {
		tamper_one(&esp_algs[a], SA_MODE_TRANSPORT, &fams[0], false);
		tamper_one(&esp_algs[a], SA_MODE_TUNNEL, &fams[1], true);
		tamper_one(&esp_algs[a], SA_MODE_TUNNEL, &fams[2], false);
	}
}

static void test_replay(void **state)
{
	uint8_t pkt[256], p1[512], p2[512];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[0], 20, 1), l1, l2;

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TUNNEL, false, 0x3333, "10.9.0.1",
		"10.9.0.2");
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	l1 = tb.pb.len;
	memcpy(p1, pbuf_data(&tb.pb), l1);
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	l2 = tb.pb.len;
	memcpy(p2, pbuf_data(&tb.pb), l2);

	/* Out of order inside the window is fine; each one only once. RFC 4303 3.4.3 */
	tb_set(&tb, p2, l2);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	tb_set(&tb, p1, l1);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	tb_set(&tb, p1, l1);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_REPLAY);
	tb_set(&tb, p2, l2);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_REPLAY);
	assert_int_equal(st.in_packets, 2);
	assert_int_equal(st.drops[SA_DROP_REPLAY], 2);
	assert_int_equal(sp.in->ctr.drops[SA_DROP_REPLAY], 2);
	assert_int_equal(sp.in->ctr.packets, 2);
	for (int d = 0; d < SA_DROP_MAX; d++)
		if (d != SA_DROP_REPLAY)
			assert_int_equal(st.drops[d], 0);
	sa_free(sp.out);
	sad_free(sad);
}

/* A NULL-cipher ETM packet whose padding is rewritten and whose ICV is recomputed with an
 * independent HMAC: the ICV is valid, the padding is not -> SA_DROP_PADDING (RFC 4303 2.4). */
static void test_bad_padding(void **state)
{
	const struct alg_case *a = &esp_algs[ARRAY_SIZE(esp_algs) - 1]; /* null+sha256 */
	uint8_t ik[64], pkt[256], *esp;
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa *out, *in;
	struct tbuf tb;
	size_t n, esp_len, i;

	(void)state;
	assert_int_equal(a->encr, ENCR_NULL);
	for (i = 0; i < sizeof(ik); i++)
		ik[i] = (uint8_t)(3 * i);
	assert_int_equal(mk_sa(&out, IPPROTO_ESP, a, SA_MODE_TRANSPORT, SA_DIR_OUT, false, 0x4444,
			       "10.1.0.1", "10.2.0.2", NULL, ik, 0),
			 0);
	assert_int_equal(mk_sa(&in, IPPROTO_ESP, a, SA_MODE_TRANSPORT, SA_DIR_IN, false, 0x4444,
			       "10.1.0.1", "10.2.0.2", NULL, ik, 64),
			 0);
	assert_int_equal(sad_add(sad, in), 0);
	n = mk_inner(pkt, &fams[0], 5, 0); /* 5 + 2 -> 1 byte of padding with 4-byte alignment */
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(out, &tb.pb, 0), SA_DROP_NONE);
	esp = pbuf_data(&tb.pb) + 20;
	esp_len = tb.pb.len - 20;
	/* SPI, seq, 5 payload bytes, pad 1, pad length 1, next header, ICV 16 */
	assert_int_equal(esp_len, 8 + 5 + 1 + 2 + 16);
	assert_int_equal(esp[8 + 5], 1);
	assert_int_equal(esp[8 + 6], 1);
	esp[8 + 5] = 0x42; /* padding must be 1 */
	ref_hmac("SHA256", ik, 32, esp, esp_len - 16, esp + esp_len - 16, 16);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_PADDING);
	assert_int_equal(st.drops[SA_DROP_PADDING], 1);
	assert_int_equal(in->ctr.drops[SA_DROP_PADDING], 1);
	sa_free(out);
	sad_free(sad);
}

/* Every truncation of a valid packet, and garbage: rejected as malformed (or as an ICV failure
 * when the cut leaves a well-formed shorter packet), never accepted, never a crash (ASan). */
static void test_truncated_and_garbage(void **state)
{
	uint8_t pkt[256], prot[512];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[0], 30, 4), plen, cut;
	unsigned i;

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[7], SA_MODE_TRANSPORT, false, 0x5555, "10.1.0.1",
		"10.2.0.2");
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	for (cut = 0; cut < plen; cut++) {
		tb_set(&tb, prot, cut);
		/* keep the IP length consistent so it is ESP's lengths that are checked */
		if (cut >= 20)
			ip_set_length(pbuf_data(&tb.pb), cut);
		enum sa_drop d = esp_decap(sad, &tb.pb, 0, NULL, &st);

		if (d != SA_DROP_MALFORMED && d != SA_DROP_ICV)
			fail_msg("cut at %zu: %s", cut, sa_drop_name(d));
	}
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t len = (size_t)rand() % 300, k;

		for (k = 0; k < len; k++)
			prot[k] = (uint8_t)rand();
		if (len && i % 2)
			prot[0] = 0x45;
		tb_set(&tb, prot, len);
		assert_int_not_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	}
	assert_int_equal(st.in_packets, 0);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_unknown_spi_and_fragments(void **state)
{
	uint8_t pkt[256];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[0], 30, 4);

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TRANSPORT, false, 0x6666, "10.1.0.1",
		"10.2.0.2");
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	/* SAD is keyed by destination too (RFC 4301 4.4.2): same SPI, other dst -> unknown */
	pbuf_data(&tb.pb)[19] ^= 1;
	ipv4_set_checksum(pbuf_data(&tb.pb), 20);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_UNKNOWN_SPI);
	assert_int_equal(st.drops[SA_DROP_UNKNOWN_SPI], 1);
	/* fragments are refused both ways */
	tb_set(&tb, pkt, n);
	put_be16(pbuf_data(&tb.pb) + 6, 0x2000); /* MF */
	ipv4_set_checksum(pbuf_data(&tb.pb), 20);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_UNSUPPORTED);
	assert_int_equal(sp.out->ctr.drops[SA_DROP_UNSUPPORTED], 1);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_lifetimes_and_seq(void **state)
{
	uint8_t pkt[256];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[0], 30, 4);

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TRANSPORT, false, 0x7777, "10.1.0.1",
		"10.2.0.2");
	/* RFC 4303 3.3.3: no wrap without ESN */
	sp.out->seq = UINT32_MAX;
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_SEQ_EXHAUSTED);
	assert_int_equal(tb.pb.len, n); /* untouched */
	assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	sp.out->seq = 0;
	/* hard packet limit 2: the third packet each way is refused as expired */
	sp.out->hard.packets = 2;
	sp.in->hard.packets = 2;
	for (int i = 0; i < 2; i++) {
		tb_set(&tb, pkt, n);
		assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
		assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	}
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_EXPIRED);
	assert_true(sp.out->expired);
	sp.out->expired = false;
	sp.out->hard.packets = 0;
	tb_set(&tb, pkt, n);
	assert_int_equal(esp_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	assert_int_equal(esp_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_EXPIRED);
	assert_true(sp.in->expired);
	assert_int_equal(st.drops[SA_DROP_EXPIRED], 1);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_no_room(void **state)
{
	uint8_t pkt[256], store[512];
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct pbuf pb;
	size_t n = mk_inner(pkt, &fams[0], 30, 4);

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TUNNEL, false, 0x8888, "10.1.0.1",
		"10.2.0.2");
	pbuf_init(&pb, store, sizeof(store), 0);
	assert_int_equal(pbuf_set(&pb, 8, pkt, n), 0); /* 8 bytes of headroom only */
	assert_int_equal(esp_encap(sp.out, &pb, 0), SA_DROP_NO_ROOM);
	assert_int_equal(sp.out->seq, 0); /* no sequence number spent */
	sa_free(sp.out);
	sad_free(sad);
}

/* Transport mode keeps the packet's own IP header, so a packet of the other family than the
 * SA's can never be found by the peer (SPI, destination): refused before a number is spent. */
static void test_transport_family_mismatch(void **state)
{
	static const uint8_t payload[16] = { 0 };
	uint8_t pkt[128];
	struct sad *sad = sad_new();
	struct sa_pair sp, ah;
	struct tbuf t;
	size_t n =
		mk_ipv6(pkt, "2001:db8::1", "2001:db8::2", 17, NULL, 0, payload, sizeof(payload));

	(void)state;
	mk_pair(&sp, sad, IPPROTO_ESP, &esp_algs[0], SA_MODE_TRANSPORT, false, 0x9999, "10.1.0.1",
		"10.1.0.2");
	mk_pair(&ah, sad, IPPROTO_AH, &ah_algs[1], SA_MODE_TRANSPORT, false, 0x999a, "10.1.0.1",
		"10.1.0.2");
	tb_set(&t, pkt, n);
	assert_int_equal(esp_encap(sp.out, &t.pb, 0), SA_DROP_POLICY);
	assert_int_equal(sp.out->seq, 0);
	tb_set(&t, pkt, n);
	assert_int_equal(ah_encap(ah.out, &t.pb, 0), SA_DROP_POLICY);
	assert_int_equal(ah.out->seq, 0);
	sa_free(sp.out);
	sa_free(ah.out);
	sad_free(sad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_v6_ext_headers),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_unknown_spi_and_fragments),
		cmocka_unit_test(test_lifetimes_and_seq),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_transport_family_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
