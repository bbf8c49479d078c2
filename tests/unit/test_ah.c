/* AH transform (RFC 4302): round trips over every integrity algorithm x mode x family x ESN,
 * the ICV recomputed independently, tampering of every AH/payload bit and every immutable IP
 * header bit, mutable fields that may change, replay, and the refusals xform.h documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_xform_util.h"
#include "wire/ah.h"

struct fam {
	const char *in_src, *in_dst;
	const char *sa_src, *sa_dst;
	bool v6_in;
};

static const struct fam fams[] = {
	{ "10.1.0.1", "10.2.0.2", "10.1.0.1", "10.2.0.2", false },
	{ "2001:db8:1::1", "2001:db8:2::2", "2001:db8:1::1", "2001:db8:2::2", true },
	{ "10.1.0.1", "10.2.0.2", "2001:db8:a::1", "2001:db8:b::2", false },
	{ "2001:db8:1::1", "2001:db8:2::2", "192.0.2.1", "192.0.2.2", true },
};

static size_t mk_inner(uint8_t *pkt, const struct fam *f, size_t plen, uint8_t seed)
{
	uint8_t payload[1500];

	fill_payload(payload, plen, seed);
	if (f->v6_in)
		return mk_ipv6(pkt, f->in_src, f->in_dst, IPPROTO_TCP, NULL, 0, payload, plen);
	return mk_ipv4(pkt, f->in_src, f->in_dst, IPPROTO_TCP, payload, plen, 63, 0x10);
}

static const char *sa_src(const struct fam *f, uint8_t mode)
{
	return mode == SA_MODE_TUNNEL ? f->sa_src : f->in_src;
}

static const char *sa_dst(const struct fam *f, uint8_t mode)
{
	return mode == SA_MODE_TUNNEL ? f->sa_dst : f->in_dst;
}

static void round_trip(const struct alg_case *a, uint8_t mode, const struct fam *f, bool esn)
{
	uint8_t pkt[2048];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct ip_info ii;
	struct sa_pair sp;
	struct tbuf tb;
	struct sa *found;
	size_t n = mk_inner(pkt, f, 100, 5), icv_len;
	int i;

	mk_pair(&sp, sad, IPPROTO_AH, a, mode, esn, 0x9000, sa_src(f, mode), sa_dst(f, mode));
	if (esn)
		sp.out->seq = sp.in->replay.top = 0x1fffffffeull;
	icv_len = xcipher_icv_len(sp.out->cipher);
	for (i = 0; i < 3; i++) {
		tb_set(&tb, pkt, n);
		assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
		assert_int_equal(ip_parse(pbuf_data(&tb.pb), tb.pb.len, IP_WALK_ULP, &ii), IP_OK);
		assert_int_equal(ii.proto, IPPROTO_AH);
		/* RFC 4302 2.2: length in words - 2; 4- or 8-octet alignment by family. */
		size_t ah_len = (pbuf_data(&tb.pb)[ii.l4_off + 1] + 2u) * 4;
		assert_int_equal(ah_len, ah_hdr_len(icv_len, ii.version));
		assert_int_equal(ah_len % (ii.version == 6 ? 8 : 4), 0);
		assert_true(ah_len >= AH_HDR_LEN + icv_len && ah_len < AH_HDR_LEN + icv_len + 8);
		assert_int_equal(pbuf_data(&tb.pb)[ii.l4_off],
				 mode == SA_MODE_TUNNEL ? (f->v6_in ? 41 : 4) : IPPROTO_TCP);
		if (ii.version == 4)
			assert_int_equal(ip_checksum(pbuf_data(&tb.pb), 20), 0);
		assert_int_equal(ah_decap(sad, &tb.pb, 0, &found, &st), SA_DROP_NONE);
		assert_ptr_equal(found, sp.in);
		assert_int_equal(tb.pb.len, n);
		assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	}
	assert_int_equal(st.in_packets, 3);
	/* both ends account the same payload bytes against the lifetimes */
	assert_int_equal(sp.out->ctr.bytes, sp.in->ctr.bytes);
	assert_true(sp.in->ctr.bytes > 0 || n <= 40);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_round_trips(void **state)
{
	size_t a, f;
	int esn;

	(void)state;
	for (a = 0; a < ARRAY_SIZE(ah_algs); a++)
		for (f = 0; f < ARRAY_SIZE(fams); f++)
			for (esn = 0; esn < 2; esn++) {
				if (f < 2)
					round_trip(&ah_algs[a], SA_MODE_TRANSPORT, &fams[f], esn);
				round_trip(&ah_algs[a], SA_MODE_TUNNEL, &fams[f], esn);
			}
}

/* RFC 4302 3.3.3.1 / 2404: HMAC-SHA1-96 over the IPv4 packet with TOS, flags+offset, TTL and
 * checksum zeroed and the ICV field zeroed, computed here with OpenSSL's HMAC(), must equal the
 * ICV ah_encap wrote. With ESN the high 32 bits follow the packet (RFC 4302 3.3.3.2). */
static void icv_independent(bool esn)
{
	uint8_t pkt[256], copy[512], icv[12];
	uint8_t ik[64];
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[0], 50, 1), len, i;

	for (i = 0; i < sizeof(ik); i++)
		ik[i] = (uint8_t)(0x5a ^ i); /* mk_pair's integrity key */
	mk_pair(&sp, sad, IPPROTO_AH, &ah_algs[0], SA_MODE_TRANSPORT, esn, 0x9001, "10.1.0.1",
		"10.2.0.2");
	if (esn)
		sp.out->seq = 0x500000007ull;
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	len = tb.pb.len;
	assert_int_equal(len, n + 24);
	memcpy(copy, pbuf_data(&tb.pb), len);
	assert_int_equal(copy[9], IPPROTO_AH);
	assert_int_equal(copy[20], IPPROTO_TCP);
	assert_int_equal(copy[21], 4); /* (12 + 12) / 4 - 2 */
	assert_int_equal(get_be32(copy + 24), 0x9001);
	assert_int_equal(get_be32(copy + 28), (uint32_t)sp.out->seq);
	copy[1] = 0;
	copy[6] = copy[7] = 0;
	copy[8] = 0;
	copy[10] = copy[11] = 0;
	memset(copy + 32, 0, 12);
	if (esn)
		put_be32(copy + len, 5);
	ref_hmac("SHA1", ik, 20, copy, len + (esn ? 4 : 0), icv, sizeof(icv));
	assert_memory_equal(pbuf_data(&tb.pb) + 32, icv, sizeof(icv));
	sa_free(sp.out);
	sad_free(sad);
}

static void test_icv_independent(void **state)
{
	(void)state;
	icv_independent(false);
	icv_independent(true);
}

/* IPv4 immutable header bits: version/IHL, total length, identification, protocol, source,
 * destination (RFC 4302 3.3.3.1.1.1). The checksum is fixed after each flip so that only the
 * ICV (or length checks) can catch it. */
static bool v4_immutable_bit(size_t bit)
{
	size_t byte = bit / 8;

	return byte == 0 || byte == 2 || byte == 3 || byte == 4 || byte == 5 || byte == 9 ||
	       (byte >= 12 && byte < 20);
}

/* IPv6: version, payload length, next header, addresses (RFC 4302 3.3.3.1.2.1). */
static bool v6_immutable_bit(size_t bit)
{
	size_t byte = bit / 8;

	return (byte == 0 && bit % 8 >= 4) || byte == 4 || byte == 5 || byte == 6 ||
	       (byte >= 8 && byte < 40);
}

static void tamper_one(const struct alg_case *a, uint8_t mode, const struct fam *f, bool esn)
{
	uint8_t pkt[512], prot[1024];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct ip_info ii;
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, f, 33, 2), plen, bit, tried = 0;

	mk_pair(&sp, sad, IPPROTO_AH, a, mode, esn, 0x9100, sa_src(f, mode), sa_dst(f, mode));
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	assert_int_equal(ip_parse(prot, plen, IP_WALK_ULP, &ii), IP_OK);
	for (bit = 0; bit < plen * 8; bit++) {
		enum sa_drop d;

		if (bit < ii.l4_off * 8 &&
		    !(ii.version == 4 ? v4_immutable_bit(bit) : v6_immutable_bit(bit)))
			continue;
		tb_set(&tb, prot, plen);
		pbuf_data(&tb.pb)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (ii.version == 4 && (pbuf_data(&tb.pb)[0] & 0x0f) >= 5)
			ipv4_set_checksum(pbuf_data(&tb.pb), 20);
		d = ah_decap(sad, &tb.pb, 0, NULL, &st);
		if (d == SA_DROP_NONE)
			fail_msg("%s: bit %zu flipped and accepted", a->name, bit);
		tried++;
	}
	assert_true(tried > (plen - ii.l4_off) * 8);
	assert_int_equal(st.in_packets, 0);

	/* Mutable fields may change in transit (RFC 4302 3.3.3.1): still accepted. */
	tb_set(&tb, prot, plen);
	if (ii.version == 4) {
		pbuf_data(&tb.pb)[1] ^= 0xfc; /* TOS */
		pbuf_data(&tb.pb)[8] -= 5;    /* TTL */
		ipv4_set_checksum(pbuf_data(&tb.pb), 20);
	} else {
		pbuf_data(&tb.pb)[1] ^= 0xff; /* traffic class low nibble + flow label */
		pbuf_data(&tb.pb)[3] ^= 0x5a;
		pbuf_data(&tb.pb)[7] -= 5; /* hop limit */
	}
	assert_int_equal(ah_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	assert_int_equal(st.in_packets, 1);
	sa_free(sp.out);
	sad_free(sad);
}

static void test_tamper(void **state)
{
	size_t a;

	(void)state;
	for (a = 0; a < ARRAY_SIZE(ah_algs); a++) {
		tamper_one(&ah_algs[a], SA_MODE_TRANSPORT, &fams[0], false);
		tamper_one(&ah_algs[a], SA_MODE_TRANSPORT, &fams[1], true);
		tamper_one(&ah_algs[a], SA_MODE_TUNNEL, &fams[2], false);
		tamper_one(&ah_algs[a], SA_MODE_TUNNEL, &fams[3], true);
	}
}

/* IPv6 hop-by-hop option with the "may change en route" bit (0x20): its data is zero for the
 * ICV, so changing it is fine; an option without the bit is covered. RFC 4302 3.3.3.1.2.2 */
static void test_v6_mutable_options(void **state)
{
	/* HBH: next TCP, len 0 (8 bytes): option 0x3e (0x20 set) len 2 data, option 0x1e (not
	 * set) len 0, Pad1 */
	static const uint8_t hbh[] = { IPPROTO_TCP, 0, 0x3e, 2, 0xaa, 0xbb, 0x1e, 0 };
	uint8_t payload[32], pkt[256], prot[512];
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n, plen;

	(void)state;
	fill_payload(payload, sizeof(payload), 8);
	n = mk_ipv6(pkt, "2001:db8::1", "2001:db8::2", 0, hbh, sizeof(hbh), payload,
		    sizeof(payload));
	mk_pair(&sp, sad, IPPROTO_AH, &ah_algs[1], SA_MODE_TRANSPORT, false, 0x9200, "2001:db8::1",
		"2001:db8::2");
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	assert_int_equal(prot[40], IPPROTO_AH); /* HBH now names AH; AH follows HBH */
	assert_int_equal(prot[48], IPPROTO_TCP);
	assert_int_equal(prot[49], 6); /* SHA256-128 over IPv6: 32 octets -> 6 */
	/* mutable option data changed: accepted */
	tb_set(&tb, prot, plen);
	pbuf_data(&tb.pb)[44] = 0x11;
	pbuf_data(&tb.pb)[45] = 0x22;
	assert_int_equal(ah_decap(sad, &tb.pb, 0, NULL, NULL), SA_DROP_NONE);
	assert_memory_equal(pbuf_data(&tb.pb) + 48, payload, sizeof(payload));
	/* immutable option's type changed (0x1e -> 0x1f): rejected */
	sp.in->replay.top = 0; /* let the same sequence number in again */
	memset(sp.in->replay.bitmap, 0, sp.in->replay.nblocks * sizeof(uint64_t));
	tb_set(&tb, prot, plen);
	pbuf_data(&tb.pb)[46] ^= 1;
	assert_int_equal(ah_decap(sad, &tb.pb, 0, NULL, NULL), SA_DROP_ICV);
	sa_free(sp.out);
	sad_free(sad);
}

/* Documented refusals: IPv4 options and IPv6 routing headers in front of AH; fragments. */
static void test_refusals(void **state)
{
	static const uint8_t rh[] = { IPPROTO_TCP, 0, 0, 0, 0, 0, 0, 0 }; /* routing, seg 0 */
	uint8_t payload[20], pkt[256];
	struct sad *sad = sad_new();
	struct sa_pair sp4, sp6;
	struct tbuf tb;
	size_t n;

	(void)state;
	fill_payload(payload, sizeof(payload), 1);
	mk_pair(&sp4, sad, IPPROTO_AH, &ah_algs[0], SA_MODE_TRANSPORT, false, 0x9300, "10.1.0.1",
		"10.2.0.2");
	mk_pair(&sp6, sad, IPPROTO_AH, &ah_algs[0], SA_MODE_TRANSPORT, false, 0x9301, "2001:db8::1",
		"2001:db8::2");
	/* IPv4 with a 4-byte option (router alert, RFC 2113) */
	n = mk_ipv4(pkt, "10.1.0.1", "10.2.0.2", IPPROTO_TCP, payload, sizeof(payload), 64, 0);
	memmove(pkt + 24, pkt + 20, sizeof(payload));
	pkt[0] = 0x46;
	pkt[20] = 0x94, pkt[21] = 4, pkt[22] = 0, pkt[23] = 0;
	ip_set_length(pkt, n + 4);
	tb_set(&tb, pkt, n + 4);
	assert_int_equal(ah_encap(sp4.out, &tb.pb, 0), SA_DROP_UNSUPPORTED);
	n = mk_ipv6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_ROUTING, rh, sizeof(rh), payload,
		    sizeof(payload));
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp6.out, &tb.pb, 0), SA_DROP_UNSUPPORTED);
	assert_int_equal(sp6.out->seq, 0);
	sa_free(sp4.out);
	sa_free(sp6.out);
	sad_free(sad);
}

static void test_replay_and_garbage(void **state)
{
	uint8_t pkt[256], prot[512];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	size_t n = mk_inner(pkt, &fams[1], 40, 3), plen, cut;
	unsigned i;

	(void)state;
	mk_pair(&sp, sad, IPPROTO_AH, &ah_algs[1], SA_MODE_TRANSPORT, false, 0x9400,
		"2001:db8:1::1", "2001:db8:2::2");
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	tb_set(&tb, prot, plen);
	assert_int_equal(ah_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	tb_set(&tb, prot, plen);
	assert_int_equal(ah_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_REPLAY);
	assert_int_equal(st.in_packets, 1);
	assert_int_equal(st.drops[SA_DROP_REPLAY], 1);
	assert_int_equal(sp.in->ctr.drops[SA_DROP_REPLAY], 1);
	for (cut = 0; cut < plen; cut++) {
		tb_set(&tb, prot, cut);
		if (cut >= 40)
			ip_set_length(pbuf_data(&tb.pb), cut);
		assert_int_not_equal(ah_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	}
	srand(11);
	for (i = 0; i < 2000; i++) {
		size_t len = (size_t)rand() % 200, k;

		for (k = 0; k < len; k++)
			prot[k] = (uint8_t)rand();
		if (len > 40 && i % 2) {
			prot[0] = 0x60;
			prot[6] = IPPROTO_AH;
			ip_set_length(prot, len);
		}
		tb_set(&tb, prot, len);
		assert_int_not_equal(ah_decap(sad, &tb.pb, 0, NULL, &st), SA_DROP_NONE);
	}
	assert_int_equal(st.in_packets, 1);
	sa_free(sp.out);
	sad_free(sad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips), cmocka_unit_test(test_icv_independent),
		cmocka_unit_test(test_tamper),	    cmocka_unit_test(test_v6_mutable_options),
		cmocka_unit_test(test_refusals),    cmocka_unit_test(test_replay_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
