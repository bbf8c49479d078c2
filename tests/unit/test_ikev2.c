/* src/wire/ikev2: build -> parse round trips for every payload, the SK/SKF offsets, the
 * critical bit, and a table of malformed messages written out by hand in hex from the
 * RFC 7296 3 diagrams (each with the error it must give).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rw.h"
#include "lib/util.h"
#include "wire/ikev2.h"

static struct ikev2_msg msg;
static uint8_t buf[8192], buf2[8192];

static const struct ikev2_hdr hdr_init = {
	.ispi = 0x0102030405060708ull,
	.rspi = 0,
	.major = 2,
	.minor = 0,
	.exchange = IKEV2_EXCH_IKE_SA_INIT,
	.flags = IKEV2_FLAG_I,
	.msgid = 0,
};

static const uint8_t nonce32[32] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};
static const uint8_t natd[20] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33,
				  0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0x10, 0x20, 0x30, 0x40 };
static const uint8_t kedata[32] = { 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
				    0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
				    0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
				    0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50 };
static const uint8_t esp_spi[4] = { 0xc0, 0x01, 0xd0, 0x0d };
static const uint8_t ike_spi[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };

static void xf_set(struct ikev2_transform *x, uint8_t type, uint16_t id, uint16_t bits)
{
	memset(x, 0, sizeof(*x));
	x->type = type;
	x->id = id;
	x->key_bits = bits;
	x->has_key_len = bits != 0;
}

/* Two IKE proposals, like an initiator offering AEAD first and CBC+HMAC second. */
static void sa_ike(struct ikev2_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->nprop = 2;
	sa->prop[0].num = 1;
	sa->prop[0].proto = IKEV2_PROTO_IKE;
	sa->prop[0].nxf = 3;
	xf_set(&sa->prop[0].xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	xf_set(&sa->prop[0].xf[1], IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf_set(&sa->prop[0].xf[2], IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0);
	sa->prop[1].num = 2;
	sa->prop[1].proto = IKEV2_PROTO_IKE;
	sa->prop[1].spi_size = 8; /* as when rekeying the IKE SA */
	sa->prop[1].spi = ike_spi;
	sa->prop[1].nxf = 4;
	xf_set(&sa->prop[1].xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 128);
	xf_set(&sa->prop[1].xf[1], IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
	xf_set(&sa->prop[1].xf[2], IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf_set(&sa->prop[1].xf[3], IKEV2_XF_DH, IKEV2_DH_MODP2048, 0);
}

static void sa_equal(const struct ikev2_sa *a, const struct ikev2_sa *b)
{
	assert_int_equal(a->nprop, b->nprop);
	for (unsigned i = 0; i < a->nprop; i++) {
		const struct ikev2_proposal *p = &a->prop[i], *q = &b->prop[i];

		assert_int_equal(p->num, q->num);
		assert_int_equal(p->proto, q->proto);
		assert_int_equal(p->spi_size, q->spi_size);
		if (p->spi_size)
			assert_memory_equal(p->spi, q->spi, p->spi_size);
		assert_int_equal(p->nxf, q->nxf);
		for (unsigned j = 0; j < p->nxf; j++) {
			assert_int_equal(p->xf[j].type, q->xf[j].type);
			assert_int_equal(p->xf[j].id, q->xf[j].id);
			assert_int_equal(p->xf[j].has_key_len, q->xf[j].has_key_len);
			assert_int_equal(p->xf[j].key_bits, q->xf[j].key_bits);
		}
	}
}

/* IKE_SA_INIT: SA KE Ni N(NAT_DETECTION_SOURCE_IP) N(FRAGMENTATION) V CERTREQ */
static size_t build_sa_init(uint8_t *out, size_t cap, struct ikev2_sa *sa)
{
	struct ikev2_ke ke = { .group = IKEV2_DH_CURVE25519, .data = kedata, .len = 32 };
	struct ikev2_nonce no = { .data = nonce32, .len = 32 };
	struct ikev2_notify n1 = { .type = IKEV2_N_NAT_DETECTION_SOURCE_IP,
				   .data = natd,
				   .len = 20 };
	struct ikev2_notify n2 = { .type = IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED };
	struct ikev2_vendor v = { .data = (const uint8_t *)"esprit", .len = 6 };
	struct ikev2_cert cr = { .enc = IKEV2_CERT_X509_SIG, .data = natd, .len = 20 };
	struct ikev2_wr b;
	size_t len;

	sa_ike(sa);
	ikev2_wr_init(&b, out, cap, &hdr_init);
	ikev2_put_sa(&b, sa);
	ikev2_put_ke(&b, &ke);
	ikev2_put_nonce(&b, &no);
	ikev2_put_notify(&b, &n1);
	ikev2_put_notify(&b, &n2);
	ikev2_put_vendor(&b, &v);
	ikev2_put_cert(&b, IKEV2_PLD_CERTREQ, &cr);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	return len;
}

static void test_roundtrip_sa_init(void **state)
{
	struct ikev2_sa sa;
	size_t len, len2;

	(void)state;
	len = build_sa_init(buf, sizeof(buf), &sa);
	/* RFC 7296 3.1: the header as built */
	assert_int_equal(get_be32(buf + 24), len);
	assert_int_equal(buf[16], IKEV2_PLD_SA);
	assert_int_equal(buf[17], 0x20);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	assert_int_equal(msg.hdr.ispi, hdr_init.ispi);
	assert_int_equal(msg.hdr.exchange, IKEV2_EXCH_IKE_SA_INIT);
	assert_int_equal(msg.hdr.flags, IKEV2_FLAG_I);
	assert_int_equal(msg.hdr.length, len);
	assert_int_equal(msg.npld, 7);
	assert_true(msg.has_sa);
	sa_equal(&sa, &msg.sa);
	assert_true(msg.has_ke);
	assert_int_equal(msg.ke.group, IKEV2_DH_CURVE25519);
	assert_int_equal(msg.ke.len, 32);
	assert_memory_equal(msg.ke.data, kedata, 32);
	assert_true(msg.has_nonce);
	assert_int_equal(msg.nonce.len, 32);
	assert_memory_equal(msg.nonce.data, nonce32, 32);
	assert_int_equal(msg.nnotify, 2);
	assert_int_equal(msg.notify[0].type, IKEV2_N_NAT_DETECTION_SOURCE_IP);
	assert_int_equal(msg.notify[0].len, 20);
	assert_memory_equal(msg.notify[0].data, natd, 20);
	assert_int_equal(msg.notify[1].type, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
	assert_int_equal(msg.notify[1].len, 0);
	assert_int_equal(msg.nvendor, 1);
	assert_int_equal(msg.vendor[0].len, 6);
	assert_memory_equal(msg.vendor[0].data, "esprit", 6);
	assert_int_equal(msg.ncertreq, 1);
	assert_int_equal(msg.certreq[0].enc, IKEV2_CERT_X509_SIG);
	assert_int_equal(msg.certreq[0].len, 20);
	/* pointers, not copies */
	assert_true(msg.nonce.data >= buf && msg.nonce.data < buf + len);
	/* and the parsed message writes back to the same octets */
	assert_int_equal(ikev2_msg_build(&msg, buf2, sizeof(buf2), &len2), IKEV2_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len);
}

/* A transform written by hand from RFC 7296 3.3.2/3.3.5: AES-CBC with KEY_LENGTH 256 is
 * 00 00 000c 01 00 000c 800e 0100 (last, length 12, ENCR, id 12, AF|14, 256). */
static void test_sa_encoding(void **state)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00,
					0x00, 0x0c, 0x80, 0x0e, 0x01, 0x00 };
	struct ikev2_sa sa = { .nprop = 1 };
	struct ikev2_wr b;
	size_t len;

	(void)state;
	sa.prop[0].num = 1;
	sa.prop[0].proto = IKEV2_PROTO_ESP;
	sa.prop[0].spi_size = 4;
	sa.prop[0].spi = esp_spi;
	sa.prop[0].nxf = 1;
	xf_set(&sa.prop[0].xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 256);
	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_put_sa(&b, &sa);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	/* SA header: next none, length 4 + 8 + 4 + 12 */
	assert_int_equal(len, 28 + 28);
	assert_int_equal(get_be16(buf + 30), 28);
	/* proposal: last, length 24, num 1, ESP, SPI size 4, 1 transform, SPI */
	static const uint8_t prop[] = { 0x00, 0x00, 0x00, 0x18, 0x01, 0x03,
					0x04, 0x01, 0xc0, 0x01, 0xd0, 0x0d };
	assert_memory_equal(buf + 32, prop, sizeof(prop));
	assert_memory_equal(buf + 44, want, sizeof(want));
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	sa_equal(&sa, &msg.sa);
}

/* Everything that only travels inside SK, as a bare chain (the SK plaintext). */
static size_t build_inner(uint8_t *out, size_t cap, uint8_t *first)
{
	static const uint8_t v4a[4] = { 10, 0, 0, 1 }, v4b[4] = { 10, 0, 0, 255 };
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t ip4[4] = { 192, 0, 2, 7 };
	struct ikev2_id idi = { .type = IKEV2_ID_FQDN,
				.data = (const uint8_t *)"a.example",
				.len = 9 };
	struct ikev2_id idr = { .type = IKEV2_ID_IPV4_ADDR, .data = ip4, .len = 4 };
	struct ikev2_cert cert = { .enc = IKEV2_CERT_X509_SIG, .data = kedata, .len = 32 };
	struct ikev2_cert creq = { .enc = IKEV2_CERT_X509_SIG };
	struct ikev2_auth auth = { .method = IKEV2_AUTH_PSK, .data = natd, .len = 20 };
	struct ikev2_notify n = {
		.proto = IKEV2_PROTO_ESP, .spi_size = 4, .type = IKEV2_N_REKEY_SA, .spi = esp_spi
	};
	struct ikev2_delete d1 = { .proto = IKEV2_PROTO_IKE };
	struct ikev2_delete d2 = {
		.proto = IKEV2_PROTO_ESP, .spi_size = 4, .nspi = 2, .spis = spis
	};
	struct ikev2_vendor v = { .data = natd, .len = 16 };
	struct ikev2_cp cp = { .cfg_type = IKEV2_CFG_REQUEST, .nattr = 2 };
	struct ikev2_ts_list tsi = { .nts = 2 }, tsr = { .nts = 1 };
	struct ikev2_sa sa = { .nprop = 1 };
	struct ikev2_wr b;
	size_t len;

	cp.attr[0].type = IKEV2_CFG_INTERNAL_IP4_ADDRESS;
	cp.attr[1].type = IKEV2_CFG_INTERNAL_IP4_DNS;
	cp.attr[1].value = ip4;
	cp.attr[1].len = 4;
	tsi.ts[0] = (struct ikev2_ts){ IKEV2_TS_IPV4_ADDR_RANGE, 6, 80, 80, v4a, v4b };
	tsi.ts[1] = (struct ikev2_ts){ IKEV2_TS_IPV6_ADDR_RANGE, 0, 0, 65535, v6a, v6b };
	/* RFC 7296 3.13.1: OPAQUE ports are start 65535, end 0 */
	tsr.ts[0] = (struct ikev2_ts){ IKEV2_TS_IPV4_ADDR_RANGE, 17, 65535, 0, v4a, v4a };
	sa.prop[0] = (struct ikev2_proposal){
		.num = 1, .proto = IKEV2_PROTO_ESP, .spi_size = 4, .spi = esp_spi, .nxf = 2
	};
	xf_set(&sa.prop[0].xf[0], IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128);
	xf_set(&sa.prop[0].xf[1], IKEV2_XF_ESN, IKEV2_ESN_NO, 0);

	ikev2_wr_init_inner(&b, out, cap);
	ikev2_put_id(&b, IKEV2_PLD_IDI, &idi);
	ikev2_put_cert(&b, IKEV2_PLD_CERT, &cert);
	ikev2_put_cert(&b, IKEV2_PLD_CERTREQ, &creq);
	ikev2_put_id(&b, IKEV2_PLD_IDR, &idr);
	ikev2_put_auth(&b, &auth);
	ikev2_put_cp(&b, &cp);
	ikev2_put_notify(&b, &n);
	ikev2_put_sa(&b, &sa);
	ikev2_put_ts(&b, IKEV2_PLD_TSI, &tsi);
	ikev2_put_ts(&b, IKEV2_PLD_TSR, &tsr);
	ikev2_put_delete(&b, &d1);
	ikev2_put_delete(&b, &d2);
	ikev2_put_vendor(&b, &v);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	*first = b.first;
	return len;
}

static void test_roundtrip_inner(void **state)
{
	size_t len, len2;
	uint8_t first, first2;

	(void)state;
	len = build_inner(buf, sizeof(buf), &first);
	assert_int_equal(first, IKEV2_PLD_IDI);
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(ikev2_inner_parse(buf, len, first, &msg), IKEV2_OK);
	assert_int_equal(msg.npld, 13);
	for (unsigned i = 0; i < msg.npld; i++)
		assert_true(msg.pld[i].inner);
	assert_true(msg.has_idi);
	assert_int_equal(msg.idi.type, IKEV2_ID_FQDN);
	assert_int_equal(msg.idi.len, 9);
	assert_memory_equal(msg.idi.data, "a.example", 9);
	/* RFC 7296 2.15: the AUTH input uses the ID body: type, 3 reserved, data */
	assert_int_equal(msg.idi.body_len, 13);
	assert_int_equal(msg.idi.body[0], IKEV2_ID_FQDN);
	assert_true(msg.has_idr);
	assert_int_equal(msg.idr.type, IKEV2_ID_IPV4_ADDR);
	assert_int_equal(msg.idr.data[0], 192);
	assert_int_equal(msg.ncert, 1);
	assert_int_equal(msg.cert[0].len, 32);
	assert_int_equal(msg.ncertreq, 1);
	assert_int_equal(msg.certreq[0].len, 0);
	assert_true(msg.has_auth);
	assert_int_equal(msg.auth.method, IKEV2_AUTH_PSK);
	assert_memory_equal(msg.auth.data, natd, 20);
	assert_true(msg.has_cp);
	assert_int_equal(msg.cp.cfg_type, IKEV2_CFG_REQUEST);
	assert_int_equal(msg.cp.nattr, 2);
	assert_int_equal(msg.cp.attr[0].type, IKEV2_CFG_INTERNAL_IP4_ADDRESS);
	assert_int_equal(msg.cp.attr[0].len, 0);
	assert_int_equal(msg.cp.attr[1].len, 4);
	assert_int_equal(msg.nnotify, 1);
	assert_int_equal(msg.notify[0].proto, IKEV2_PROTO_ESP);
	assert_int_equal(msg.notify[0].spi_size, 4);
	assert_memory_equal(msg.notify[0].spi, esp_spi, 4);
	assert_int_equal(msg.notify[0].type, IKEV2_N_REKEY_SA);
	assert_true(msg.has_sa);
	assert_int_equal(msg.sa.prop[0].proto, IKEV2_PROTO_ESP);
	assert_memory_equal(msg.sa.prop[0].spi, esp_spi, 4);
	assert_int_equal(msg.sa.prop[0].xf[1].type, IKEV2_XF_ESN);
	assert_true(msg.has_tsi);
	assert_int_equal(msg.tsi.nts, 2);
	assert_int_equal(msg.tsi.ts[0].ip_proto, 6);
	assert_int_equal(msg.tsi.ts[0].start_port, 80);
	assert_int_equal(msg.tsi.ts[0].end[3], 255);
	assert_int_equal(msg.tsi.ts[1].type, IKEV2_TS_IPV6_ADDR_RANGE);
	assert_int_equal(msg.tsi.ts[1].end_port, 65535);
	assert_int_equal(msg.tsi.ts[1].end[15], 0xff);
	assert_true(msg.has_tsr);
	assert_int_equal(msg.tsr.ts[0].start_port, 65535);
	assert_int_equal(msg.tsr.ts[0].end_port, 0);
	assert_int_equal(msg.ndelete, 2);
	assert_int_equal(msg.del[0].proto, IKEV2_PROTO_IKE);
	assert_int_equal(msg.del[0].nspi, 0);
	assert_int_equal(msg.del[1].nspi, 2);
	assert_int_equal(msg.del[1].spis[7], 8);
	assert_int_equal(msg.nvendor, 1);
	assert_int_equal(ikev2_inner_build(&msg, buf2, sizeof(buf2), &len2, &first2), IKEV2_OK);
	assert_int_equal(first2, first);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len);
}

/* An IKE_AUTH request: header, SK. The inner chain goes in as the "decrypted" body here
 * (no crypto in this layer); the offsets are what ikecrypto will need. */
static void test_sk_offsets(void **state)
{
	struct ikev2_hdr h = hdr_init;
	uint8_t inner[1024], first, *body;
	struct ikev2_wr b;
	struct ikev2_sk sk;
	size_t ilen, len;

	(void)state;
	ilen = build_inner(inner, sizeof(inner), &first);
	h.exchange = IKEV2_EXCH_IKE_AUTH;
	h.msgid = 1;
	h.rspi = 0x1112131415161718ull;
	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	body = ikev2_put_sk(&b, first, 16 + ilen + 16, &sk);
	assert_non_null(body);
	memset(body, 0xee, 16);
	memcpy(body + 16, inner, ilen);
	memset(body + 16 + ilen, 0xcc, 16);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(sk.pld_off, 28);
	assert_int_equal(sk.body_off, 32);
	assert_int_equal(sk.aad_len, 32);

	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	assert_true(msg.has_sk);
	assert_false(msg.has_skf);
	assert_int_equal(msg.sk.first, IKEV2_PLD_IDI);
	assert_int_equal(msg.sk.pld_off, 28);
	assert_int_equal(msg.sk.body_off, 32);
	assert_int_equal(msg.sk.aad_len, 32);
	assert_int_equal(msg.sk.body_len, 16 + ilen + 16);
	assert_int_equal(msg.sk.body_off + msg.sk.body_len, len);
	/* RFC 7296 3.14 / RFC 5282 5.1: the SK generic header is the last AAD octets */
	assert_int_equal(buf[msg.sk.aad_len - 4], IKEV2_PLD_IDI);
	assert_int_equal(get_be16(buf + msg.sk.aad_len - 2), len - 28);
	assert_int_equal(msg.npld, 1);
	assert_int_equal(ikev2_inner_parse(buf + 32 + 16, ilen, msg.sk.first, &msg), IKEV2_OK);
	assert_int_equal(msg.npld, 14);
	assert_true(msg.has_auth);
	char line[200];
	ikev2_msg_describe(&msg, line, sizeof(line));
	assert_string_equal(line, "IKE_AUTH request 1 [ SK { IDi CERT CERTREQ IDr AUTH CP "
				  "N(REKEY_SA) SA TSi TSr D D V } ]");
	/* the outer rebuild copies the opaque body */
	assert_int_equal(ikev2_msg_build(&msg, buf2, sizeof(buf2), &ilen), IKEV2_OK);
	assert_int_equal(ilen, len);
	assert_memory_equal(buf2, buf, len);
}

/* RFC 7383 2.5: SKF carries Fragment Number and Total Fragments before the IV, in the AAD. */
static void test_skf(void **state)
{
	struct ikev2_hdr h = hdr_init;
	struct ikev2_wr b;
	struct ikev2_sk sk;
	uint8_t *body;
	size_t len;

	(void)state;
	h.exchange = IKEV2_EXCH_IKE_AUTH;
	h.msgid = 1;
	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	body = ikev2_put_skf(&b, IKEV2_PLD_NONE, 2, 3, 40, &sk);
	assert_non_null(body);
	memset(body, 0x5a, 40);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(len, 28 + 8 + 40);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	assert_true(msg.has_skf);
	assert_int_equal(msg.sk.frag_num, 2);
	assert_int_equal(msg.sk.frag_total, 3);
	assert_int_equal(msg.sk.body_off, 36);
	assert_int_equal(msg.sk.aad_len, 36);
	assert_int_equal(msg.sk.body_len, 40);
	assert_int_equal(get_be16(buf + 32), 2);
	assert_int_equal(get_be16(buf + 34), 3);
}

static void test_header_version(void **state)
{
	struct ikev2_hdr h;
	size_t len;

	(void)state;
	len = build_sa_init(buf, sizeof(buf), &msg.sa);
	assert_int_equal(ikev2_hdr_parse(buf, len, &h), IKEV2_OK);
	assert_int_equal(h.next, IKEV2_PLD_SA);
	/* a future major version: refused, but the header is read so the answer can be sent */
	buf[17] = 0x30;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_BAD_VERSION);
	assert_int_equal(msg.hdr.major, 3);
	assert_int_equal(msg.hdr.ispi, hdr_init.ispi);
	assert_int_equal(ikev2_err_notify(IKEV2_ERR_BAD_VERSION), IKEV2_N_INVALID_MAJOR_VERSION);
	/* IKEv1 (major 1) is not this parser's either */
	buf[17] = 0x10;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_BAD_VERSION);
	/* a higher minor version is accepted (RFC 7296 2.5) */
	buf[17] = 0x21;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	assert_int_equal(msg.hdr.minor, 1);
	/* the flags */
	buf[19] = IKEV2_FLAG_R | IKEV2_FLAG_V;
	assert_int_equal(ikev2_hdr_parse(buf, len, &h), IKEV2_OK);
	assert_int_equal(h.flags, IKEV2_FLAG_R | IKEV2_FLAG_V);
}

/* RFC 7296 3.2: an unknown payload without the critical bit is skipped, with it refused. */
static void test_critical(void **state)
{
	static const uint8_t body[3] = { 1, 2, 3 };
	struct ikev2_nonce no = { .data = nonce32, .len = 16 };
	struct ikev2_wr b;
	size_t len, len2;

	(void)state;
	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_put_raw(&b, 200, false, body, 3);
	ikev2_put_raw(&b, IKEV2_PLD_EAP, false, body, 3); /* unsupported: walked over */
	ikev2_put_nonce(&b, &no);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
	assert_int_equal(msg.npld, 3);
	assert_false(msg.pld[0].known);
	assert_int_equal(msg.pld[0].type, 200);
	assert_int_equal(msg.pld[0].body_len, 3);
	assert_false(msg.pld[1].known);
	assert_true(msg.has_nonce);
	assert_int_equal(msg.nonce.len, 16);
	/* the skipped payloads are written back as they came */
	assert_int_equal(ikev2_msg_build(&msg, buf2, sizeof(buf2), &len2), IKEV2_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len);

	char line[100];
	ikev2_msg_describe(&msg, line, sizeof(line));
	assert_string_equal(line, "IKE_SA_INIT request 0 [ UNKNOWN(200) UNKNOWN(48) No ]");

	buf[28 + 1] = IKEV2_PLD_CRITICAL;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_CRITICAL);
	assert_int_equal(msg.err_type, 200);
	assert_int_equal(msg.err_off, 28);
	assert_int_equal(ikev2_err_notify(IKEV2_ERR_CRITICAL),
			 IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	/* the critical bit on a payload we know changes nothing */
	buf[28 + 1] = 0;
	buf[28 + 7 + 1] = IKEV2_PLD_CRITICAL;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_CRITICAL); /* EAP: unknown */
	assert_int_equal(msg.err_type, IKEV2_PLD_EAP);
	buf[28 + 7 + 1] = 0;
	buf[28 + 7 + 7 + 7 + 1] = IKEV2_PLD_CRITICAL;
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);
}

/* A payload length is 16 bits: 65535 octets fit, 65536 are refused, not wrapped. */
static void test_builder_limits(void **state)
{
	static uint8_t big[65536], out[70000];
	struct ikev2_vendor v = { .data = big, .len = 65535 - 4 };
	struct ikev2_wr b;
	size_t len;

	(void)state;
	memset(big, 0x42, sizeof(big));
	ikev2_wr_init(&b, out, sizeof(out), &hdr_init);
	ikev2_put_vendor(&b, &v);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(len, 28 + 65535);
	assert_int_equal(ikev2_msg_parse(out, len, &msg), IKEV2_OK);
	assert_int_equal(msg.vendor[0].len, 65531);
	v.len++;
	ikev2_wr_init(&b, out, sizeof(out), &hdr_init);
	ikev2_put_vendor(&b, &v);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_ERR_BAD_LENGTH);
	/* no room even for the header */
	ikev2_wr_init(&b, out, 27, &hdr_init);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_ERR_NO_SPACE);
}

/* ---- malformed messages ---- */

struct bad {
	const char *name;
	bool inner;	 /* walk as SK plaintext instead of a message */
	uint8_t flags;	 /* IKE header flags */
	uint8_t first;	 /* header Next Payload / first inner type */
	const char *hex; /* the payload chain */
	enum ikev2_err err;
	uint8_t err_type; /* payload the error is reported against */
};

/* Written by hand from the RFC 7296 3.2-3.15 diagrams; the message length is set right. */
static const struct bad bad_table[] = {
	{ "payload shorter than its generic header", false, 0, IKEV2_PLD_VENDOR, "0000",
	  IKEV2_ERR_TRUNCATED, IKEV2_PLD_VENDOR },
	{ "header names a payload, none follows", false, 0, IKEV2_PLD_NONCE, "",
	  IKEV2_ERR_TRUNCATED, IKEV2_PLD_NONCE },
	{ "payload length < 4", false, 0, IKEV2_PLD_VENDOR, "00000003", IKEV2_ERR_BAD_LENGTH,
	  IKEV2_PLD_VENDOR },
	{ "payload length past the end", false, 0, IKEV2_PLD_VENDOR, "00000010aabbccdd",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_VENDOR },
	{ "octets after the last payload", false, 0, IKEV2_PLD_VENDOR, "00000005aabb",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_NONE },
	{ "second payload past the end", false, 0, IKEV2_PLD_VENDOR, "2b000005aa00000009aa",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_VENDOR },
	/* SA | proposal (IKE, SPI size 4) | ENCR AES-CBC */
	{ "IKE proposal with a 4-octet SPI", false, 0, IKEV2_PLD_SA,
	  "00000018"
	  "0000001401010401deadbeef"
	  "000000080100000c",
	  IKEV2_ERR_BAD_SPI_SIZE, IKEV2_PLD_SA },
	{ "ESP proposal without SPI", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001030001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_SPI_SIZE, IKEV2_PLD_SA },
	{ "AH proposal with an 8-octet SPI", false, 0, IKEV2_PLD_SA,
	  "0000001c"
	  "00000018010208010102030405060708"
	  "000000080300000c",
	  IKEV2_ERR_BAD_SPI_SIZE, IKEV2_PLD_SA },
	{ "proposal of an unknown protocol", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001090001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "transform attribute truncated", false, 0, IKEV2_PLD_SA,
	  "00000016"
	  "0000001201010001"
	  "0000000a0100000c800e",
	  IKEV2_ERR_BAD_ATTR, IKEV2_PLD_SA },
	{ "TLV attribute longer than its transform", false, 0, IKEV2_PLD_SA,
	  "00000018"
	  "0000001401010001"
	  "0000000c0100000c00010005",
	  IKEV2_ERR_BAD_ATTR, IKEV2_PLD_SA },
	{ "KEY_LENGTH in TLV form", false, 0, IKEV2_PLD_SA,
	  "0000001a"
	  "0000001601010001"
	  "0000000e0100000c000e00020080",
	  IKEV2_ERR_BAD_ATTR, IKEV2_PLD_SA },
	{ "KEY_LENGTH twice", false, 0, IKEV2_PLD_SA,
	  "0000001c"
	  "0000001801010001"
	  "000000100100000c800e0080800e0100",
	  IKEV2_ERR_BAD_ATTR, IKEV2_PLD_SA },
	{ "proposal Last Substruc 3", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0300001001010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "proposal says more, none follows", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0200001001010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "transform Last Substruc 2", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001010001"
	  "020000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "transform says more than Num Transforms", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001010001"
	  "030000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "Num Transforms 2, one transform", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001010002"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "proposal without transforms", false, 0, IKEV2_PLD_SA,
	  "0000000c"
	  "0000000801010000",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "proposal length < 8", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000000701010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_SA },
	{ "transform past its proposal", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001001010001"
	  "000000090100000c",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_SA },
	{ "request's first proposal is number 2", false, 0, IKEV2_PLD_SA,
	  "00000014"
	  "0000001002010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "proposal numbers 1, 3", false, 0, IKEV2_PLD_SA,
	  "00000024"
	  "0200001001010001"
	  "000000080100000c"
	  "0000001003010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "response with two proposals", false, IKEV2_FLAG_R, IKEV2_PLD_SA,
	  "00000024"
	  "0200001001010001"
	  "000000080100000c"
	  "0000001002010001"
	  "000000080100000c",
	  IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "empty SA", false, 0, IKEV2_PLD_SA, "00000004", IKEV2_ERR_BAD_PROPOSAL, IKEV2_PLD_SA },
	{ "KE without data", false, 0, IKEV2_PLD_KE, "0000000800130000", IKEV2_ERR_BAD_PAYLOAD,
	  IKEV2_PLD_KE },
	{ "KE body 2 octets", false, 0, IKEV2_PLD_KE, "000000060013", IKEV2_ERR_TRUNCATED,
	  IKEV2_PLD_KE },
	{ "two KE payloads", false, 0, IKEV2_PLD_KE, "220000090013000001000000090013000001",
	  IKEV2_ERR_DUPLICATE, IKEV2_PLD_KE },
	{ "nonce of 15 octets", false, 0, IKEV2_PLD_NONCE, "00000013000102030405060708090a0b0c0d0e",
	  IKEV2_ERR_BAD_NONCE, IKEV2_PLD_NONCE },
	{ "unknown critical payload", false, 0, 200, "00800004", IKEV2_ERR_CRITICAL, 200 },
	{ "unknown critical payload after a known one", false, 0, IKEV2_PLD_VENDOR,
	  "fd000005aa00800004", IKEV2_ERR_CRITICAL, 253 },
	{ "notify: ESP with an 8-octet SPI", false, 0, IKEV2_PLD_NOTIFY, "0000000803084009",
	  IKEV2_ERR_BAD_SPI_SIZE, IKEV2_PLD_NOTIFY },
	{ "notify: SPI longer than the payload", false, 0, IKEV2_PLD_NOTIFY, "0000000a03044009aabb",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_NOTIFY },
	{ "notify body 3 octets", false, 0, IKEV2_PLD_NOTIFY, "00000007000040", IKEV2_ERR_TRUNCATED,
	  IKEV2_PLD_NOTIFY },
	{ "IDi in the clear", false, 0, IKEV2_PLD_IDI, "0000000c01000000c0000201",
	  IKEV2_ERR_NOT_ALLOWED, IKEV2_PLD_IDI },
	{ "AUTH in the clear", false, 0, IKEV2_PLD_AUTH, "0000000902000000aa",
	  IKEV2_ERR_NOT_ALLOWED, IKEV2_PLD_AUTH },
	{ "SK not last", false, 0, IKEV2_PLD_SK, "2b000008aabbccdd00000004", IKEV2_ERR_SK_NOT_LAST,
	  IKEV2_PLD_SK },
	{ "SK without body", false, 0, IKEV2_PLD_SK, "00000004", IKEV2_ERR_BAD_PAYLOAD,
	  IKEV2_PLD_SK },
	{ "SKF fragment 0", false, 0, IKEV2_PLD_SKF, "0000000c00000002aabbccdd",
	  IKEV2_ERR_BAD_FRAGMENT, IKEV2_PLD_SKF },
	{ "SKF fragment 3 of 2", false, 0, IKEV2_PLD_SKF, "0000000c00030002aabbccdd",
	  IKEV2_ERR_BAD_FRAGMENT, IKEV2_PLD_SKF },
	/* inside SK */
	{ "SK inside SK", true, 0, IKEV2_PLD_SK, "00000008aabbccdd", IKEV2_ERR_NOT_ALLOWED,
	  IKEV2_PLD_SK },
	{ "ID_IPV4_ADDR of 3 octets", true, 0, IKEV2_PLD_IDI, "0000000b01000000c00002",
	  IKEV2_ERR_BAD_ID, IKEV2_PLD_IDI },
	{ "ID_IPV6_ADDR of 4 octets", true, 0, IKEV2_PLD_IDR, "0000000c05000000c0000201",
	  IKEV2_ERR_BAD_ID, IKEV2_PLD_IDR },
	{ "ID type 4 (IKEv1 subnet)", true, 0, IKEV2_PLD_IDI, "0000000c04000000c0000201",
	  IKEV2_ERR_BAD_ID, IKEV2_PLD_IDI },
	{ "empty FQDN", true, 0, IKEV2_PLD_IDI, "0000000802000000", IKEV2_ERR_BAD_ID,
	  IKEV2_PLD_IDI },
	{ "AUTH without data", true, 0, IKEV2_PLD_AUTH, "0000000802000000", IKEV2_ERR_BAD_PAYLOAD,
	  IKEV2_PLD_AUTH },
	{ "CERT without data", true, 0, IKEV2_PLD_CERT, "0000000504", IKEV2_ERR_BAD_PAYLOAD,
	  IKEV2_PLD_CERT },
	/* TSi | 1 TS | IPv4, proto 0, length 16, ports, start, end */
	{ "TS start address > end address", true, 0, IKEV2_PLD_TSI,
	  "0000001801000000"
	  "070000100000ffff0a0000020a000001",
	  IKEV2_ERR_BAD_TS, IKEV2_PLD_TSI },
	{ "TS start port > end port", true, 0, IKEV2_PLD_TSR,
	  "0000001801000000"
	  "07060010005000100a0000010a000001",
	  IKEV2_ERR_BAD_TS, IKEV2_PLD_TSR },
	{ "TS IPv4 with selector length 40", true, 0, IKEV2_PLD_TSI,
	  "0000001801000000"
	  "070000280000ffff0a0000010a000002",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_TSI },
	{ "TS IPv6 cut short", true, 0, IKEV2_PLD_TSI,
	  "0000001801000000"
	  "080000280000ffff0a0000010a000002",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_TSI },
	{ "TS type 9", true, 0, IKEV2_PLD_TSI,
	  "0000001801000000"
	  "090000100000ffff0a0000010a000002",
	  IKEV2_ERR_BAD_TS, IKEV2_PLD_TSI },
	{ "zero TS", true, 0, IKEV2_PLD_TSI, "0000000800000000", IKEV2_ERR_BAD_TS, IKEV2_PLD_TSI },
	{ "two TS announced, one present", true, 0, IKEV2_PLD_TSI,
	  "0000001802000000"
	  "070000100000ffff0a0000010a000002",
	  IKEV2_ERR_TRUNCATED, IKEV2_PLD_TSI },
	{ "TS octets after the last selector", true, 0, IKEV2_PLD_TSI,
	  "0000001a01000000"
	  "070000100000ffff0a0000010a0000020000",
	  IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_TSI },
	{ "delete ESP: 2 SPIs announced, 1 present", true, 0, IKEV2_PLD_DELETE,
	  "0000000c03040002c001d00d", IKEV2_ERR_BAD_LENGTH, IKEV2_PLD_DELETE },
	{ "delete IKE with SPI size 4", true, 0, IKEV2_PLD_DELETE, "0000000c01040001c001d00d",
	  IKEV2_ERR_BAD_SPI_SIZE, IKEV2_PLD_DELETE },
	{ "CP type 0", true, 0, IKEV2_PLD_CP, "0000000800000000", IKEV2_ERR_BAD_PAYLOAD,
	  IKEV2_PLD_CP },
	{ "CP attribute value past the payload", true, 0, IKEV2_PLD_CP,
	  "0000000d01000000000100040a", IKEV2_ERR_BAD_ATTR, IKEV2_PLD_CP },
	{ "CP attribute header truncated", true, 0, IKEV2_PLD_CP, "0000000a010000000001",
	  IKEV2_ERR_BAD_ATTR, IKEV2_PLD_CP },
};

static enum ikev2_err bad_run(const struct bad *t, struct ikev2_msg *m)
{
	uint8_t p[512];
	long n = hex_decode(p, sizeof(p), t->hex);
	struct ikev2_hdr h = hdr_init;
	struct ikev2_wr b;
	size_t len;

	assert_true(n >= 0);
	if (t->inner) {
		memset(m, 0, sizeof(*m));
		return ikev2_inner_parse(p, (size_t)n, t->first, m);
	}
	h.flags = t->flags;
	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	wr_bytes(&b.w, p, (size_t)n);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	buf[IKEV2_HDR_NEXT_OFF] = t->first;
	return ikev2_msg_parse(buf, len, m);
}

static void test_malformed_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_table); i++) {
		const struct bad *t = &bad_table[i];
		enum ikev2_err e = bad_run(t, &msg);

		if (e != t->err || msg.err_type != t->err_type)
			fail_msg("%s: got %s (payload %u), want %s (payload %u)", t->name,
				 ikev2_err_name(e), msg.err_type, ikev2_err_name(t->err),
				 t->err_type);
	}
}

/* The positive twins of some table rows: the rule is not stricter than the RFC. */
static void test_wellformed_edges(void **state)
{
	static const struct bad good[] = {
		{ "response accepts proposal 2", false, IKEV2_FLAG_R, IKEV2_PLD_SA,
		  "00000014"
		  "0000001002010001"
		  "000000080100000c",
		  IKEV2_OK, 0 },
		{ "ESP proposal with SPI", false, 0, IKEV2_PLD_SA,
		  "00000018"
		  "0000001401030401deadbeef"
		  "000000080100000c",
		  IKEV2_OK, 0 },
		{ "nonce of 16 octets", false, 0, IKEV2_PLD_NONCE,
		  "00000014000102030405060708090a0b0c0d0e0f", IKEV2_OK, 0 },
		{ "notify without SPI ignores its protocol", false, 0, IKEV2_PLD_NOTIFY,
		  "0000000809004006", IKEV2_OK, 0 },
		{ "opaque ports", true, 0, IKEV2_PLD_TSI,
		  "0000001801000000"
		  "07110010ffff00000a0000010a000001",
		  IKEV2_OK, 0 },
		{ "unknown TV attribute is reported, not refused", false, 0, IKEV2_PLD_SA,
		  "00000018"
		  "0000001401010001"
		  "0000000c0100000c80010001",
		  IKEV2_OK, 0 },
		{ "empty CERTREQ", false, 0, IKEV2_PLD_CERTREQ, "0000000504", IKEV2_OK, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		enum ikev2_err e = bad_run(&good[i], &msg);

		if (e != IKEV2_OK)
			fail_msg("%s: got %s", good[i].name, ikev2_err_name(e));
	}
}

/* Nonce of 257 octets, 17 proposals, 17 notifies, 65 payloads: each bound is enforced. */
static void test_too_many(void **state)
{
	static uint8_t big[300];
	struct ikev2_nonce no = { .data = big, .len = 257 };
	struct ikev2_notify n = { .type = IKEV2_N_INITIAL_CONTACT };
	struct ikev2_wr b;
	size_t len;

	(void)state;
	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_put_nonce(&b, &no);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_BAD_NONCE);
	no.len = 256;
	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_put_nonce(&b, &no);
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_OK);

	/* 17 proposals, numbered 1..17, written with the raw writer */
	for (unsigned np = 16; np <= 17; np++) {
		ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
		ikev2_pld_open(&b, IKEV2_PLD_SA, false);
		for (unsigned i = 1; i <= np; i++) {
			wr_u8(&b.w, i == np ? 0 : IKEV2_LAST_PROP_MORE);
			wr_u8(&b.w, 0);
			wr_u16(&b.w, 16);
			wr_u8(&b.w, (uint8_t)i);
			wr_u8(&b.w, IKEV2_PROTO_IKE);
			wr_u8(&b.w, 0);
			wr_u8(&b.w, 1);
			wr_u32(&b.w, 8);
			wr_u32(&b.w, 0x0100000c);
		}
		assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
		assert_int_equal(ikev2_msg_parse(buf, len, &msg),
				 np == 16 ? IKEV2_OK : IKEV2_ERR_TOO_MANY);
	}
	/* 33 transforms in one proposal */
	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_pld_open(&b, IKEV2_PLD_SA, false);
	wr_u8(&b.w, 0);
	wr_u8(&b.w, 0);
	wr_u16(&b.w, 8 + 33 * 8);
	wr_u32(&b.w, 0x01010021);
	for (unsigned i = 0; i < 33; i++) {
		wr_u32(&b.w, i == 32 ? 8 : 0x03000008);
		wr_u32(&b.w, 0x0100000c);
	}
	assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_TOO_MANY);

	for (unsigned k = 16; k <= 17; k++) {
		ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
		for (unsigned i = 0; i < k; i++)
			ikev2_put_notify(&b, &n);
		assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
		assert_int_equal(ikev2_msg_parse(buf, len, &msg),
				 k == 16 ? IKEV2_OK : IKEV2_ERR_TOO_MANY);
	}
	for (unsigned k = 64; k <= 65; k++) {
		ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
		for (unsigned i = 0; i < k; i++)
			ikev2_put_raw(&b, 222, false, NULL, 0);
		assert_int_equal(ikev2_wr_finish(&b, &len), IKEV2_OK);
		assert_int_equal(ikev2_msg_parse(buf, len, &msg),
				 k == 64 ? IKEV2_OK : IKEV2_ERR_TOO_MANY);
	}
}

static void test_header_lengths(void **state)
{
	size_t len;

	(void)state;
	len = build_sa_init(buf, sizeof(buf), &msg.sa);
	for (size_t n = 0; n < IKEV2_HDR_LEN; n++)
		assert_int_equal(ikev2_msg_parse(buf, n, &msg), IKEV2_ERR_TRUNCATED);
	/* the Length field must be the datagram's length */
	put_be32(buf + 24, (uint32_t)len + 1);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_BAD_LENGTH);
	put_be32(buf + 24, (uint32_t)len - 1);
	assert_int_equal(ikev2_msg_parse(buf, len, &msg), IKEV2_ERR_BAD_LENGTH);
	/* a bare header (no payload) is the smallest message: 28 */
	put_be32(buf + 24, 28);
	buf[16] = 0;
	assert_int_equal(ikev2_msg_parse(buf, 28, &msg), IKEV2_OK);
	assert_int_equal(msg.npld, 0);
	put_be32(buf + 24, 27);
	assert_int_equal(ikev2_msg_parse(buf, 28, &msg), IKEV2_ERR_BAD_LENGTH);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ikev2_exchange_name(IKEV2_EXCH_IKE_SA_INIT), "IKE_SA_INIT");
	assert_string_equal(ikev2_exchange_name(IKEV2_EXCH_INFORMATIONAL), "INFORMATIONAL");
	assert_string_equal(ikev2_notify_name(14), "NO_PROPOSAL_CHOSEN");
	assert_string_equal(ikev2_notify_name(16390), "COOKIE");
	assert_string_equal(ikev2_notify_name(9999), "?");
	assert_string_equal(ikev2_payload_name(46), "SK");
	assert_string_equal(ikev2_err_name(IKEV2_ERR_CRITICAL), "unsupported critical payload");
	assert_string_equal(ikev2_err_name(IKEV2_ERR_MAX), "?");
	assert_string_equal(ikev2_xform_id_name(IKEV2_XF_PRF, 5), "PRF_HMAC_SHA2_256");
	assert_string_equal(ikev2_xform_id_name(IKEV2_XF_INTEG, 12), "AUTH_HMAC_SHA2_256_128");
	assert_string_equal(ikev2_xform_id_name(IKEV2_XF_DH, 31), "CURVE25519");
	assert_string_equal(ikev2_id_type_name(2), "ID_FQDN");
	assert_string_equal(ikev2_auth_method_name(2), "PSK");
	assert_string_equal(ikev2_proto_name(3), "ESP");
	assert_string_equal(ikev2_ts_type_name(8), "TS_IPV6_ADDR_RANGE");
	for (int e = 0; e < IKEV2_ERR_MAX; e++)
		assert_string_not_equal(ikev2_err_name((enum ikev2_err)e), "?");
	/* the where-table: RFC 7296 1.2 */
	assert_int_equal(ikev2_payload_where(IKEV2_PLD_AUTH), IKEV2_WHERE_INNER);
	assert_int_equal(ikev2_payload_where(IKEV2_PLD_SK), IKEV2_WHERE_OUTER);
	assert_int_equal(ikev2_payload_where(IKEV2_PLD_NOTIFY),
			 IKEV2_WHERE_INNER | IKEV2_WHERE_OUTER);
	assert_int_equal(ikev2_payload_where(IKEV2_PLD_EAP), 0);
}

/* ---- seeds for fuzz/fuzz_ike.c: test_ikev2 --write-seeds DIR ---- */

static int seed_write(const char *dir, const char *name, const uint8_t *pre, size_t npre,
		      const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(pre, 1, npre, f) == npre && fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Mode byte 0: a datagram; mode byte 1 and a first type: a bare inner chain. */
static int seeds_write(const char *dir)
{
	static const uint8_t outer = 0;
	static const uint8_t body3[3] = { 1, 2, 3 };
	struct ikev2_nonce no = { .data = nonce32, .len = 16 };
	struct ikev2_hdr h = hdr_init;
	uint8_t inner[2048], pre[2], first, *body;
	struct ikev2_sa sa;
	struct ikev2_wr b;
	struct ikev2_sk sk;
	size_t len, ilen;
	int rc = 0;

	len = build_sa_init(buf, sizeof(buf), &sa);
	rc |= seed_write(dir, "sa-init", &outer, 1, buf, len);

	ilen = build_inner(inner, sizeof(inner), &first);
	pre[0] = 1;
	pre[1] = first;
	rc |= seed_write(dir, "inner-auth", pre, 2, inner, ilen);

	/* SK whose body is the inner chain itself, so the harness walks it as plaintext */
	h.exchange = IKEV2_EXCH_IKE_AUTH;
	h.msgid = 1;
	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	body = ikev2_put_sk(&b, first, ilen, &sk);
	if (body)
		memcpy(body, inner, ilen);
	if (ikev2_wr_finish(&b, &len) != IKEV2_OK)
		return -1;
	rc |= seed_write(dir, "ike-auth-sk", &outer, 1, buf, len);

	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	body = ikev2_put_skf(&b, first, 1, 2, ilen / 2, &sk);
	if (body)
		memcpy(body, inner, ilen / 2);
	if (ikev2_wr_finish(&b, &len) != IKEV2_OK)
		return -1;
	rc |= seed_write(dir, "ike-auth-skf", &outer, 1, buf, len);

	ikev2_wr_init(&b, buf, sizeof(buf), &hdr_init);
	ikev2_put_raw(&b, 200, false, body3, 3);
	ikev2_put_raw(&b, IKEV2_PLD_EAP, false, body3, 3);
	ikev2_put_nonce(&b, &no);
	if (ikev2_wr_finish(&b, &len) != IKEV2_OK)
		return -1;
	rc |= seed_write(dir, "unknown-payloads", &outer, 1, buf, len);

	/* strongSwan's IKE_SA_INIT, for a real-world shape */
	FILE *f = fopen("tests/unit/data/strongswan-ike-sa-init.bin", "rb");
	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	rc |= seed_write(dir, "strongswan-sa-init", &outer, 1, buf, len);
	return rc;
}

int main(int argc, char **argv)

{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sa_init),
		cmocka_unit_test(test_sa_encoding),
		cmocka_unit_test(test_roundtrip_inner),
		cmocka_unit_test(test_sk_offsets),
		cmocka_unit_test(test_skf),
		cmocka_unit_test(test_header_version),
		cmocka_unit_test(test_critical),
		cmocka_unit_test(test_builder_limits),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_wellformed_edges),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_header_lengths),
		cmocka_unit_test(test_names),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return seeds_write(argv[2]) ? 1 : 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
