/* HMAC as ESP/AH use it: the keyed-once EVP_MAC wrapper of src/crypto/hmac.c, and the
 * truncated ICVs of xcipher_mac()/xcipher_mac_verify().
 *
 * Truth comes from the RFCs' own vectors (tables below, source cited above each), and from a
 * freshly keyed one-shot EVP_MAC computation on random keys and messages, which checks that
 * re-using one keyed context and feeding the message in pieces changes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/cipher.h"
#include "crypto/hmac.h"
#include "lib/util.h"

static size_t hx(uint8_t *out, size_t cap, const char *s)
{
	long n = hex_decode(out, cap, s);

	assert_true(n >= 0);
	return (size_t)n;
}

/* A key or message given either as hex or as a repeated byte or as text. */
struct blob {
	const char *hex;
	const char *text;
	uint8_t rep;
	size_t rep_n;
};

#define HEX(s)                \
	{                     \
		s, NULL, 0, 0 \
	}
#define TXT(s)                \
	{                     \
		NULL, s, 0, 0 \
	}
#define REP(b, n)                \
	{                        \
		NULL, NULL, b, n \
	}

static size_t blob_get(const struct blob *b, uint8_t *out, size_t cap)
{
	if (b->hex)
		return hx(out, cap, b->hex);
	if (b->text) {
		size_t n = strlen(b->text);

		assert_true(n <= cap);
		memcpy(out, b->text, n);
		return n;
	}
	assert_true(b->rep_n <= cap);
	memset(out, b->rep, b->rep_n);
	return b->rep_n;
}

struct hmac_vec {
	const char *name;
	enum xc_hash hash;
	struct blob key, msg;
	const char *mac; /* hex; compared over its own length (RFC 4231 case 5 is truncated) */
};

#define K19 "0102030405060708090a0b0c0d0e0f10111213141516171819"
#define L1  "Test Using Larger Than Block-Size Key - Hash Key First"
#define L2                                                                                     \
	"This is a test using a larger than block-size key and a larger than block-size data." \
	" The key needs to be hashed before being used by the HMAC algorithm."

/* RFC 4231 section 4 (test cases 1-7; case 5 is given truncated to 128 bits). */
static const struct hmac_vec rfc4231[] = {
	{ "4231-1/256", XC_SHA256, REP(0x0b, 20), TXT("Hi There"),
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4231-1/384", XC_SHA384, REP(0x0b, 20), TXT("Hi There"),
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ "4231-1/512", XC_SHA512, REP(0x0b, 20), TXT("Hi There"),
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	{ "4231-2/256", XC_SHA256, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "4231-2/384", XC_SHA384, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649" },
	{ "4231-2/512", XC_SHA512, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	{ "4231-3/256", XC_SHA256, REP(0xaa, 20), REP(0xdd, 50),
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "4231-3/384", XC_SHA384, REP(0xaa, 20), REP(0xdd, 50),
	  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	  "2a5ab39dc13814b94e3ab6e101a34f27" },
	{ "4231-3/512", XC_SHA512, REP(0xaa, 20), REP(0xdd, 50),
	  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
	{ "4231-4/256", XC_SHA256, HEX(K19), REP(0xcd, 50),
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "4231-4/384", XC_SHA384, HEX(K19), REP(0xcd, 50),
	  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	  "6801dd23c4a7d679ccf8a386c674cffb" },
	{ "4231-4/512", XC_SHA512, HEX(K19), REP(0xcd, 50),
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
	{ "4231-5/256", XC_SHA256, REP(0x0c, 20), TXT("Test With Truncation"),
	  "a3b6167473100ee06e0c796c2955552b" },
	{ "4231-5/384", XC_SHA384, REP(0x0c, 20), TXT("Test With Truncation"),
	  "3abf34c3503b2a23a46efc619baef897" },
	{ "4231-5/512", XC_SHA512, REP(0x0c, 20), TXT("Test With Truncation"),
	  "415fad6271580a531d4179bc891d87a6" },
	{ "4231-6/256", XC_SHA256, REP(0xaa, 131), TXT(L1),
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "4231-6/384", XC_SHA384, REP(0xaa, 131), TXT(L1),
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	  "0c2ef6ab4030fe8296248df163f44952" },
	{ "4231-6/512", XC_SHA512, REP(0xaa, 131), TXT(L1),
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	{ "4231-7/256", XC_SHA256, REP(0xaa, 131), TXT(L2),
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ "4231-7/384", XC_SHA384, REP(0xaa, 131), TXT(L2),
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
	{ "4231-7/512", XC_SHA512, REP(0xaa, 131), TXT(L2),
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
};

/* RFC 2202 section 3 (HMAC-SHA-1 test cases 1-7). */
static const struct hmac_vec rfc2202[] = {
	{ "2202-1", XC_SHA1, REP(0x0b, 20), TXT("Hi There"),
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "2202-2", XC_SHA1, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "2202-3", XC_SHA1, REP(0xaa, 20), REP(0xdd, 50),
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "2202-4", XC_SHA1, HEX(K19), REP(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "2202-5", XC_SHA1, REP(0x0c, 20), TXT("Test With Truncation"),
	  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
	{ "2202-6", XC_SHA1, REP(0xaa, 80), TXT(L1), "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ "2202-7", XC_SHA1, REP(0xaa, 80),
	  TXT("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
	  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
};

static void run_hmac_table(const struct hmac_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t key[200], msg[200], want[64], got[XC_HMAC_DIGEST_MAX];
		size_t kl = blob_get(&v[i].key, key, sizeof(key));
		size_t ml = blob_get(&v[i].msg, msg, sizeof(msg));
		size_t wl = hx(want, sizeof(want), v[i].mac);
		struct xc_piece p = { msg, ml };
		struct xc_hmac h;

		assert_int_equal(xc_hmac_init(&h, v[i].hash, key, kl), 0);
		assert_int_equal(xc_hmac_compute(&h, &p, 1, got), 0);
		if (memcmp(got, want, wl) != 0)
			fail_msg("%s: HMAC mismatch", v[i].name);
		xc_hmac_wipe(&h);
	}
}

static void test_rfc4231(void **state)
{
	(void)state;
	run_hmac_table(rfc4231, ARRAY_SIZE(rfc4231));
}

static void test_rfc2202(void **state)
{
	(void)state;
	run_hmac_table(rfc2202, ARRAY_SIZE(rfc2202));
}

/* The message split into pieces (as ESP passes SPI, seq, IV, payload, seq_hi) must give the
 * same MAC as in one piece: RFC 4231 case 7 cut at every possible point. */
static void test_pieces(void **state)
{
	const struct hmac_vec *v = &rfc4231[18]; /* 4231-7/256 */
	uint8_t key[131], want[32], got[XC_HMAC_DIGEST_MAX];
	const uint8_t *m = (const uint8_t *)L2;
	size_t ml = strlen(L2);
	struct xc_hmac h;

	(void)state;
	assert_string_equal(v->name, "4231-7/256");
	memset(key, 0xaa, sizeof(key));
	hx(want, sizeof(want), v->mac);
	assert_int_equal(xc_hmac_init(&h, XC_SHA256, key, sizeof(key)), 0);
	for (size_t a = 0; a <= ml; a += 7) {
		for (size_t b = a; b <= ml; b += 13) {
			struct xc_piece p[4] = {
				{ m, a }, { NULL, 0 }, { m + a, b - a }, { m + b, ml - b }
			};

			assert_int_equal(xc_hmac_compute(&h, p, 4, got), 0);
			assert_memory_equal(got, want, 32);
		}
	}
	xc_hmac_wipe(&h);
}

struct icv_vec {
	const char *name;
	uint16_t integ;
	struct blob key, msg;
	const char *icv; /* the truncated ICV */
};

#define J8 "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665"

/* RFC 4868 2.7.2.1-2.7.2.3 (authenticator test vectors: keys of the full hash length, ICV =
 * leading half); RFC 2202 cases 1, 3, 5 (20-octet keys, the only ones an SA can have) with the
 * HMAC-SHA1-96 truncation of RFC 2404 2. */
static const struct icv_vec icv_vecs[] = {
	{ "4868-AUTH256-1", AUTH_HMAC_SHA2_256_128, REP(0x0b, 32), TXT("Hi There"),
	  "198a607eb44bfbc69903a0f1cf2bbdc5" },
	{ "4868-AUTH256-2", AUTH_HMAC_SHA2_256_128, HEX(J8), TXT("what do ya want for nothing?"),
	  "167f928588c5cc2eef8e3093caa0e87c" },
	{ "4868-AUTH256-3", AUTH_HMAC_SHA2_256_128, REP(0xaa, 32), REP(0xdd, 50),
	  "cdcb1220d1ecccea91e53aba3092f962" },
	{ "4868-AUTH256-4", AUTH_HMAC_SHA2_256_128,
	  HEX("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"), REP(0xcd, 50),
	  "372efcf9b40b35c2115b1346903d2ef4" },
	{ "4868-AUTH384-1", AUTH_HMAC_SHA2_384_192, REP(0x0b, 48), TXT("Hi There"),
	  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
	{ "4868-AUTH384-2", AUTH_HMAC_SHA2_384_192, HEX(J8 "4a6566654a6566654a6566654a656665"),
	  TXT("what do ya want for nothing?"), "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d" },
	{ "4868-AUTH384-3", AUTH_HMAC_SHA2_384_192, REP(0xaa, 48), REP(0xdd, 50),
	  "809f439be00274321d4a538652164b53554a508184a0c316" },
	{ "4868-AUTH512-1", AUTH_HMAC_SHA2_512_256, REP(0x0b, 64), TXT("Hi There"),
	  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	{ "4868-AUTH512-2", AUTH_HMAC_SHA2_512_256, HEX(J8 J8), TXT("what do ya want for nothing?"),
	  "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454" },
	{ "4868-AUTH512-3", AUTH_HMAC_SHA2_512_256, REP(0xaa, 64), REP(0xdd, 50),
	  "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8" },
	{ "2202-1/96", AUTH_HMAC_SHA1_96, REP(0x0b, 20), TXT("Hi There"),
	  "b617318655057264e28bc0b6" },
	{ "2202-3/96", AUTH_HMAC_SHA1_96, REP(0xaa, 20), REP(0xdd, 50),
	  "125d7342b9ac11cd91a39af4" },
	{ "2202-5/96", AUTH_HMAC_SHA1_96, REP(0x0c, 20), TXT("Test With Truncation"),
	  "4c1a03424b55e07fe7f27be1" },
};

/* Through the public API, as an integrity-only (AH) xcipher and as the MAC half of
 * AES-CBC / NULL ESP ciphers: the ICV, verify accepts it, verify rejects any flipped bit. */
static void check_icv(const struct icv_vec *v, uint16_t encr, uint16_t bits, bool encrypt)
{
	uint8_t key[64], msg[64], want[32], icv[XCIPHER_ICV_MAX], bad[XCIPHER_ICV_MAX];
	uint8_t ekey[32];
	size_t kl = blob_get(&v->key, key, sizeof(key));
	size_t ml = blob_get(&v->msg, msg, sizeof(msg));
	size_t wl = hx(want, sizeof(want), v->icv);
	struct xc_piece p = { msg, ml };
	struct xcipher *c;

	memset(ekey, 0x42, sizeof(ekey));
	assert_int_equal(xcipher_new(&c, encr, bits, v->integ, ekey, bits / 8, key, kl, encrypt),
			 0);
	assert_int_equal(xcipher_icv_len(c), wl);
	assert_int_equal(xcipher_mac(c, &p, 1, icv), 0);
	if (memcmp(icv, want, wl) != 0)
		fail_msg("%s via %s: ICV mismatch", v->name, xcipher_name(c));
	assert_int_equal(xcipher_mac_verify(c, &p, 1, want), 0);
	for (size_t bit = 0; bit < wl * 8; bit++) {
		memcpy(bad, want, wl);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(xcipher_mac_verify(c, &p, 1, bad), -EBADMSG);
	}
	/* A changed message fails too. */
	if (ml) {
		msg[ml - 1] ^= 1;
		assert_int_equal(xcipher_mac_verify(c, &p, 1, want), -EBADMSG);
	}
	xcipher_free(c);
}

static void test_icv_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(icv_vecs); i++) {
		check_icv(&icv_vecs[i], 0, 0, true);		   /* AH */
		check_icv(&icv_vecs[i], 0, 0, false);		   /* AH inbound */
		check_icv(&icv_vecs[i], ENCR_AES_CBC, 128, true);  /* ESP CBC */
		check_icv(&icv_vecs[i], ENCR_AES_CBC, 256, false); /* ESP CBC inbound */
		check_icv(&icv_vecs[i], ENCR_NULL, 0, true);	   /* ESP NULL */
	}
}

/* Names and sizes an AH/ESP integrity transform reports (RFC 4868 2.1-2.3, RFC 2404). */
static void test_integ_info(void **state)
{
	static const struct {
		uint16_t id;
		const char *name;
		size_t key, icv;
	} want[] = {
		{ AUTH_HMAC_SHA1_96, "hmac-sha1-96", 20, 12 },
		{ AUTH_HMAC_SHA2_256_128, "hmac-sha256-128", 32, 16 },
		{ AUTH_HMAC_SHA2_384_192, "hmac-sha384-192", 48, 24 },
		{ AUTH_HMAC_SHA2_512_256, "hmac-sha512-256", 64, 32 },
	};
	struct xc_integ_info ii;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(xcipher_integ_info(want[i].id, &ii), 0);
		assert_string_equal(ii.name, want[i].name);
		assert_int_equal(ii.key_len, want[i].key);
		assert_int_equal(ii.icv_len, want[i].icv);
	}
	assert_int_equal(xcipher_integ_info(AUTH_NONE, &ii), -EINVAL);
	assert_int_equal(xcipher_integ_info(1 /* HMAC-MD5-96 */, &ii), -EINVAL);
	assert_int_equal(xcipher_integ_info(99, &ii), -EINVAL);
}

/* Keyed-once, piecewise HMAC against a fresh one-shot EVP_MAC computation: random key
 * lengths 0..200 (covering keys shorter than, equal to and longer than every block size),
 * random messages 0..600 octets split into random pieces. */
static void test_vs_evp_mac(void **state)
{
	static const struct {
		enum xc_hash h;
		const char *md;
	} hs[] = { { XC_SHA1, "SHA1" },
		   { XC_SHA256, "SHA256" },
		   { XC_SHA384, "SHA384" },
		   { XC_SHA512, "SHA512" } };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	(void)state;
	assert_non_null(mac);
	for (int round = 0; round < 400; round++) {
		uint8_t key[200], msg[600], a[64], b[64], r[4];
		size_t kl, ml, cut1, cut2, al;
		int k = round % 4;
		struct xc_hmac h;
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
		OSSL_PARAM prm[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								      (char *)hs[k].md, 0),
				     OSSL_PARAM_construct_end() };

		assert_non_null(ctx);
		assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
		kl = (size_t)(r[0] | r[1] << 8) % sizeof(key);
		if (kl == 0)
			kl = 1; /* OpenSSL's HMAC refuses an empty key */
		ml = (size_t)(r[2] | r[3] << 8) % sizeof(msg);
		assert_int_equal(RAND_bytes(key, (int)kl), 1);
		assert_int_equal(RAND_bytes(msg, (int)sizeof(msg)), 1);
		cut1 = ml ? msg[0] % (ml + 1) : 0;
		cut2 = cut1 + (ml - cut1 ? msg[1] % (ml - cut1 + 1) : 0);
		struct xc_piece p[3] = { { msg, cut1 },
					 { msg + cut1, cut2 - cut1 },
					 { msg + cut2, ml - cut2 } };

		assert_int_equal(EVP_MAC_init(ctx, key, kl, prm), 1);
		assert_int_equal(EVP_MAC_update(ctx, msg, ml), 1);
		assert_int_equal(EVP_MAC_final(ctx, a, &al, sizeof(a)), 1);
		assert_int_equal(xc_hmac_init(&h, hs[k].h, key, kl), 0);
		assert_int_equal(h.digest_len, al);
		assert_int_equal(xc_hmac_compute(&h, p, 3, b), 0);
		assert_memory_equal(a, b, al);
		xc_hmac_wipe(&h);
		EVP_MAC_CTX_free(ctx);
	}
	EVP_MAC_free(mac);
}

static void test_hmac_bad_args(void **state)
{
	struct xc_hmac h;

	(void)state;
	assert_int_equal(xc_hmac_init(&h, (enum xc_hash)0, (const uint8_t *)"k", 1), -EINVAL);
	assert_int_equal(xc_hmac_init(&h, XC_SHA256, NULL, 5), -EINVAL);
	assert_int_equal(xc_hmac_init(NULL, XC_SHA256, (const uint8_t *)"k", 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),	      cmocka_unit_test(test_rfc2202),
		cmocka_unit_test(test_pieces),	      cmocka_unit_test(test_icv_vectors),
		cmocka_unit_test(test_integ_info),    cmocka_unit_test(test_vs_evp_mac),
		cmocka_unit_test(test_hmac_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
