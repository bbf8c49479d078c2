/* src/wire/ikev2: a real IKE_SA_INIT request from an independent implementation.
 *
 * tests/unit/data/strongswan-ike-sa-init.bin was sent by strongSwan 5.9.8's charon, configured
 * with proposals = aes256gcm16-prfsha256-ecp256, aes128-sha256-prfsha256-modp2048 (how it was
 * captured: tests/unit/data/strongswan-ike-sa-init.txt). The parser must find exactly what
 * swanctl was told to offer, and writing the parsed message back must give the same octets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "lib/rw.h"
#include "wire/ikev2.h"

#define CAPTURE "tests/unit/data/strongswan-ike-sa-init.bin"

static uint8_t pkt[2048];
static size_t pkt_len;
static struct ikev2_msg msg;

static int load(void **state)
{
	FILE *f = fopen(CAPTURE, "rb");

	(void)state;
	if (!f)
		return -1;
	pkt_len = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	return pkt_len == 308 ? 0 : -1;
}

static void test_header(void **state)
{
	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	assert_int_equal(msg.hdr.ispi, 0xffc20cf888c40ba2ull);
	assert_int_equal(msg.hdr.rspi, 0);
	assert_int_equal(msg.hdr.major, 2);
	assert_int_equal(msg.hdr.minor, 0);
	assert_int_equal(msg.hdr.exchange, IKEV2_EXCH_IKE_SA_INIT);
	assert_string_equal(ikev2_exchange_name(msg.hdr.exchange), "IKE_SA_INIT");
	assert_int_equal(msg.hdr.flags, IKEV2_FLAG_I); /* initiator, request */
	assert_int_equal(msg.hdr.msgid, 0);
	assert_int_equal(msg.hdr.length, 308);
	/* charon's log: [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
	 */
	static const uint8_t order[] = { IKEV2_PLD_SA,	   IKEV2_PLD_KE,     IKEV2_PLD_NONCE,
					 IKEV2_PLD_NOTIFY, IKEV2_PLD_NOTIFY, IKEV2_PLD_NOTIFY,
					 IKEV2_PLD_NOTIFY, IKEV2_PLD_NOTIFY };
	assert_int_equal(msg.npld, sizeof(order));
	for (size_t i = 0; i < sizeof(order); i++) {
		assert_int_equal(msg.pld[i].type, order[i]);
		assert_true(msg.pld[i].known);
		assert_false(msg.pld[i].inner);
	}
	assert_false(msg.has_sk);
}

static void xf_check(const struct ikev2_transform *x, uint8_t type, uint16_t id, uint16_t bits)
{
	assert_int_equal(x->type, type);
	assert_int_equal(x->id, id);
	assert_int_equal(x->has_key_len, bits != 0);
	assert_int_equal(x->key_bits, bits);
	assert_false(x->unknown_attr);
}

static void test_proposals(void **state)
{
	const struct ikev2_proposal *p;

	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	assert_true(msg.has_sa);
	assert_int_equal(msg.sa.nprop, 2);
	/* aes256gcm16-prfsha256-ecp256 */
	p = &msg.sa.prop[0];
	assert_int_equal(p->num, 1);
	assert_int_equal(p->proto, IKEV2_PROTO_IKE);
	assert_int_equal(p->spi_size, 0);
	assert_int_equal(p->nxf, 3);
	xf_check(&p->xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	xf_check(&p->xf[1], IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf_check(&p->xf[2], IKEV2_XF_DH, IKEV2_DH_ECP256, 0);
	/* aes128-sha256-prfsha256-modp2048 */
	p = &msg.sa.prop[1];
	assert_int_equal(p->num, 2);
	assert_int_equal(p->proto, IKEV2_PROTO_IKE);
	assert_int_equal(p->nxf, 4);
	xf_check(&p->xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 128);
	xf_check(&p->xf[1], IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
	xf_check(&p->xf[2], IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf_check(&p->xf[3], IKEV2_XF_DH, IKEV2_DH_MODP2048, 0);
	assert_string_equal(ikev2_xform_id_name(IKEV2_XF_ENCR, p->xf[0].id), "AES_CBC");
	assert_string_equal(ikev2_xform_id_name(IKEV2_XF_DH, p->xf[3].id), "MODP_2048");
}

static void test_ke_nonce(void **state)
{
	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	/* The KE is for the first proposal's group: an uncompressed ECP-256 point x || y
	 * (RFC 5903 7), 64 octets. */
	assert_true(msg.has_ke);
	assert_int_equal(msg.ke.group, IKEV2_DH_ECP256);
	assert_int_equal(msg.ke.len, 64);
	assert_ptr_equal(msg.ke.data, pkt + 28 + 84 + 8);
	assert_true(msg.has_nonce);
	assert_int_equal(msg.nonce.len, 32);
	assert_ptr_equal(msg.nonce.data, pkt + 28 + 84 + 72 + 4);
}

static void sha1(const uint8_t *in, size_t n, uint8_t out[20])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(in, n, out, &len, EVP_sha1(), NULL), 1);
	assert_int_equal(len, 20);
}

static void test_notifies(void **state)
{
	static const uint16_t types[] = { IKEV2_N_NAT_DETECTION_SOURCE_IP,
					  IKEV2_N_NAT_DETECTION_DESTINATION_IP,
					  IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED,
					  IKEV2_N_SIGNATURE_HASH_ALGORITHMS,
					  IKEV2_N_REDIRECT_SUPPORTED };
	/* RFC 7427 4: SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), Identity (5) */
	static const uint8_t hashes[] = { 0, 2, 0, 3, 0, 4, 0, 5 };
	/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP address | port) of the destination 10.77.0.2:500 */
	uint8_t in[16 + 4 + 2] = { 0 }, md[20];

	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	assert_int_equal(msg.nnotify, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(msg.notify[i].type, types[i]);
		assert_int_equal(msg.notify[i].spi_size, 0);
		assert_null(msg.notify[i].spi);
	}
	assert_string_equal(ikev2_notify_name(msg.notify[1].type), "NAT_DETECTION_DESTINATION_IP");
	assert_int_equal(msg.notify[0].len, 20);
	assert_int_equal(msg.notify[1].len, 20);
	memcpy(in, pkt, 16);
	in[16] = 10, in[17] = 77, in[18] = 0, in[19] = 2;
	in[20] = 500 >> 8, in[21] = 500 & 0xff;
	sha1(in, sizeof(in), md);
	assert_memory_equal(msg.notify[1].data, md, 20);
	assert_int_equal(msg.notify[2].len, 0);
	assert_int_equal(msg.notify[3].len, sizeof(hashes));
	assert_memory_equal(msg.notify[3].data, hashes, sizeof(hashes));
	assert_int_equal(msg.notify[4].len, 0);
}

/* The log line lists what charon's own log line listed, in the same order. */
static void test_describe(void **state)
{
	static const char want[] =
		"IKE_SA_INIT request 0 [ SA KE No N(NAT_DETECTION_SOURCE_IP) "
		"N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) "
		"N(SIGNATURE_HASH_ALGORITHMS) N(REDIRECT_SUPPORTED) ]";
	char line[256], small[10];

	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	assert_int_equal(ikev2_msg_describe(&msg, line, sizeof(line)), strlen(want));
	assert_string_equal(line, want);
	/* cut short, still terminated, and says how much it wanted */
	assert_int_equal(ikev2_msg_describe(&msg, small, sizeof(small)), strlen(want));
	assert_string_equal(small, "IKE_SA_IN");
}

/* strongSwan encodes canonically (reserved fields zero, no critical bits), so the builder,
 * fed what the parser found, must reproduce the datagram octet for octet. */
static void test_rebuild_identical(void **state)
{
	uint8_t out[2048];
	size_t len;

	(void)state;
	assert_int_equal(ikev2_msg_parse(pkt, pkt_len, &msg), IKEV2_OK);
	assert_int_equal(ikev2_msg_build(&msg, out, sizeof(out), &len), IKEV2_OK);
	assert_int_equal(len, pkt_len);
	assert_memory_equal(out, pkt, pkt_len);
	/* every shorter output buffer is refused, never overrun */
	for (size_t cap = 0; cap < pkt_len; cap += 7)
		assert_int_equal(ikev2_msg_build(&msg, out, cap, &len), IKEV2_ERR_NO_SPACE);
}

/* Every truncation of the real message is refused, none is misread. */
static void test_truncations(void **state)
{
	(void)state;
	for (size_t n = 0; n < pkt_len; n++) {
		enum ikev2_err e = ikev2_msg_parse(pkt, n, &msg);

		assert_int_equal(e, n < IKEV2_HDR_LEN ? IKEV2_ERR_TRUNCATED : IKEV2_ERR_BAD_LENGTH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),	    cmocka_unit_test(test_proposals),
		cmocka_unit_test(test_ke_nonce),    cmocka_unit_test(test_notifies),
		cmocka_unit_test(test_describe),    cmocka_unit_test(test_rebuild_identical),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, load, NULL);
}
