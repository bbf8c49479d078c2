/* AH over ESP (RFC 4301 4.5 bundle, Windows' "AH and ESP"): outbound ESP then AH, inbound AH
 * then ESP; tampering anywhere in the protected part is refused; AH without ESP inside is a
 * policy drop; counters count one packet per packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_xform_util.h"

struct bundle {
	struct sad *sad;
	struct sa_pair esp, ah;
};

static void bundle_make(struct bundle *b, const struct alg_case *esp_alg,
			const struct alg_case *ah_alg, const char *src, const char *dst, bool esn)
{
	b->sad = sad_new();
	assert_non_null(b->sad);
	mk_pair(&b->esp, b->sad, IPPROTO_ESP, esp_alg, SA_MODE_TRANSPORT, esn, 0xe5e5, src, dst);
	mk_pair(&b->ah, b->sad, IPPROTO_AH, ah_alg, SA_MODE_TRANSPORT, esn, 0xa4a4, src, dst);
}

static void bundle_free(struct bundle *b)
{
	sa_free(b->esp.out);
	sa_free(b->ah.out);
	sad_free(b->sad);
}

static size_t mk_pkt(uint8_t *pkt, bool v6, size_t plen)
{
	uint8_t payload[1500];

	fill_payload(payload, plen, 0x33);
	if (v6)
		return mk_ipv6(pkt, "2001:db8::a", "2001:db8::b", IPPROTO_TCP, NULL, 0, payload,
			       plen);
	return mk_ipv4(pkt, "10.0.0.10", "10.0.0.11", IPPROTO_TCP, payload, plen, 64, 0);
}

static void round_trip(bool v6, bool esn, const struct alg_case *e, const struct alg_case *a)
{
	uint8_t pkt[2048];
	struct xf_stats st = { 0 };
	struct ip_info ii;
	struct bundle b;
	struct tbuf tb;
	struct sa *ah_found, *esp_found;
	size_t n = mk_pkt(pkt, v6, 200);

	bundle_make(&b, e, a, v6 ? "2001:db8::a" : "10.0.0.10", v6 ? "2001:db8::b" : "10.0.0.11",
		    esn);
	tb_set(&tb, pkt, n);
	assert_int_equal(xf_bundle_encap(b.esp.out, b.ah.out, &tb.pb, 0), SA_DROP_NONE);
	/* IP | AH (next header ESP) | ESP */
	assert_int_equal(ip_parse(pbuf_data(&tb.pb), tb.pb.len, IP_WALK_ULP, &ii), IP_OK);
	assert_int_equal(ii.proto, IPPROTO_AH);
	assert_int_equal(pbuf_data(&tb.pb)[ii.l4_off], IPPROTO_ESP);
	assert_int_equal(xf_bundle_decap(b.sad, &tb.pb, 0, &ah_found, &esp_found, &st),
			 SA_DROP_NONE);
	assert_ptr_equal(ah_found, b.ah.in);
	assert_ptr_equal(esp_found, b.esp.in);
	assert_int_equal(tb.pb.len, n);
	assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	assert_int_equal(st.in_packets, 1);
	assert_int_equal(b.ah.in->ctr.packets, 1);
	assert_int_equal(b.esp.in->ctr.packets, 1);
	bundle_free(&b);
}

static void test_round_trips(void **state)
{
	size_t e, a;
	int v6, esn;

	(void)state;
	for (e = 0; e < ARRAY_SIZE(esp_algs); e++)
		for (a = 0; a < ARRAY_SIZE(ah_algs); a++)
			for (v6 = 0; v6 < 2; v6++)
				for (esn = 0; esn < 2; esn++)
					round_trip(v6, esn, &esp_algs[e], &ah_algs[a]);
}

static void test_tamper(void **state)
{
	uint8_t pkt[512], prot[1024];
	struct xf_stats st = { 0 };
	struct ip_info ii;
	struct bundle b;
	struct tbuf tb;
	size_t n = mk_pkt(pkt, false, 40), plen, bit;

	(void)state;
	bundle_make(&b, &esp_algs[8], &ah_algs[0], "10.0.0.10", "10.0.0.11", false);
	tb_set(&tb, pkt, n);
	assert_int_equal(xf_bundle_encap(b.esp.out, b.ah.out, &tb.pb, 0), SA_DROP_NONE);
	plen = tb.pb.len;
	memcpy(prot, pbuf_data(&tb.pb), plen);
	assert_int_equal(ip_parse(prot, plen, IP_WALK_ULP, &ii), IP_OK);
	for (bit = ii.l4_off * 8; bit < plen * 8; bit++) {
		tb_set(&tb, prot, plen);
		pbuf_data(&tb.pb)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (xf_bundle_decap(b.sad, &tb.pb, 0, NULL, NULL, &st) == SA_DROP_NONE)
			fail_msg("bit %zu flipped and accepted", bit);
	}
	assert_int_equal(st.in_packets, 0);
	tb_set(&tb, prot, plen);
	assert_int_equal(xf_bundle_decap(b.sad, &tb.pb, 0, NULL, NULL, &st), SA_DROP_NONE);
	assert_int_equal(st.in_packets, 1);
	bundle_free(&b);
}

/* AH alone where the bundle demands AH+ESP: the AH checks pass but the policy does not. */
static void test_ah_without_esp(void **state)
{
	uint8_t pkt[512];
	struct xf_stats st = { 0 };
	struct bundle b;
	struct tbuf tb;
	struct sa *ah_found, *esp_found;
	size_t n = mk_pkt(pkt, true, 40);

	(void)state;
	bundle_make(&b, &esp_algs[0], &ah_algs[1], "2001:db8::a", "2001:db8::b", false);
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(b.ah.out, &tb.pb, 0), SA_DROP_NONE);
	assert_int_equal(xf_bundle_decap(b.sad, &tb.pb, 0, &ah_found, &esp_found, &st),
			 SA_DROP_POLICY);
	assert_ptr_equal(ah_found, b.ah.in);
	assert_null(esp_found);
	assert_int_equal(st.drops[SA_DROP_POLICY], 1);
	assert_int_equal(b.ah.in->ctr.drops[SA_DROP_POLICY], 1);
	assert_int_equal(st.in_packets, 0);
	bundle_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_ah_without_esp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
