/* src/ike/cert.c: trust anchors, CERTREQ hashes, peer chain verification and ID matching,
 * against a PKI the openssl command line makes at test time (test_ike_cert_pki.h). Expected
 * values come from openssl: DER files from `openssl x509 -outform DER`, CERTREQ hashes from
 * `openssl dgst -sha1` over `openssl pkey -pubout -outform DER`, DNs built from text with the
 * X509_NAME API. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "ike/cert.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

#include "test_ike_cert_pki.h"

static struct cert_store *cs; /* anchors: ca.pem */

static int setup(void **state)
{
	char why[CERT_WHY_MAX];

	(void)state;
	if (pki_make())
		return -1;
	cs = cert_store_new();
	if (!cs || cert_store_add_ca(cs, pki_path("ca.pem"), why, sizeof(why)) != CERT_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cert_store_free(cs);
	pki_remove();
	return 0;
}

struct blobs {
	uint8_t *buf[CERT_CHAIN_MAX + 1];
	struct cert_blob b[CERT_CHAIN_MAX + 1];
	size_t n;
};

static void blobs_add(struct blobs *bl, const char *name)
{
	size_t len = 0;

	bl->buf[bl->n] = pki_read(name, &len);
	assert_non_null(bl->buf[bl->n]);
	bl->b[bl->n] = (struct cert_blob){ bl->buf[bl->n], len };
	bl->n++;
}

static void blobs_free(struct blobs *bl)
{
	for (size_t i = 0; i < bl->n; i++)
		free(bl->buf[i]);
	bl->n = 0;
}

/* Verify ee (+ int.der unless without_int) now + offset seconds; returns the result. */
static enum cert_err verify(const char *ee, bool with_int, long offset, struct cert_peer *p,
			    char *why, size_t whylen)
{
	struct blobs bl = { 0 };
	enum cert_err e;

	blobs_add(&bl, ee);
	if (with_int)
		blobs_add(&bl, "int.der");
	e = cert_verify_peer(cs, bl.b, bl.n, offset ? time(NULL) + offset : 0, p, why, whylen);
	blobs_free(&bl);
	return e;
}

static void test_certreq_hash(void **state)
{
	size_t len, n;
	const uint8_t *cr;
	uint8_t *want;
	char why[CERT_WHY_MAX];
	struct cert_store *two = cert_store_new();

	(void)state;
	cr = cert_store_certreq(cs, &len);
	want = pki_read("ca.spki.sha1", &n);
	assert_non_null(want);
	assert_int_equal(n, CERT_HASH_LEN);
	assert_int_equal(len, CERT_HASH_LEN);
	assert_memory_equal(cr, want, CERT_HASH_LEN);
	free(want);

	/* two anchors: hashes concatenated in load order (RFC 7296 3.7) */
	assert_int_equal(cert_store_add_ca(two, pki_path("other_ca.pem"), why, sizeof(why)),
			 CERT_OK);
	assert_int_equal(cert_store_add_ca(two, pki_path("ca.pem"), why, sizeof(why)), CERT_OK);
	cr = cert_store_certreq(two, &len);
	assert_int_equal(len, 2 * CERT_HASH_LEN);
	want = pki_read("other_ca.spki.sha1", &n);
	assert_memory_equal(cr, want, CERT_HASH_LEN);
	free(want);
	want = pki_read("ca.spki.sha1", &n);
	assert_memory_equal(cr + CERT_HASH_LEN, want, CERT_HASH_LEN);
	free(want);
	cert_store_free(two);
}

static void test_load_errors(void **state)
{
	struct cert_store *s = cert_store_new();
	char why[CERT_WHY_MAX];

	(void)state;
	assert_int_equal(cert_store_add_ca(s, pki_path("nonexistent.pem"), why, sizeof(why)),
			 CERT_IO);
	assert_non_null(strstr(why, "nonexistent.pem"));
	/* a key file is no certificate */
	assert_int_equal(cert_store_add_ca(s, pki_path("ca.key"), why, sizeof(why)), CERT_PARSE);
	assert_int_equal(cert_store_set_own(s, pki_path("ee_rsa.ext"), why, sizeof(why)),
			 CERT_PARSE);
	cert_store_free(s);
}

static void test_from_auth(void **state)
{
	struct spd_auth a = { .kind = SPD_AUTH_CERT };
	struct cert_store *s;
	char why[CERT_WHY_MAX];
	size_t len;

	(void)state;
	assert_int_equal(cert_store_from_auth(&a, &s, why, sizeof(why)), CERT_NO_ANCHOR);
	assert_null(s);
	a.ca_paths[0] = (char *)pki_path("ca.pem");
	a.ca_paths[1] = (char *)pki_path("other_ca.pem");
	a.nca = 2;
	a.cert_path = (char *)pki_path("ee_p256_chain.pem");
	assert_int_equal(cert_store_from_auth(&a, &s, why, sizeof(why)), CERT_OK);
	assert_int_equal(cert_store_own_count(s), 2);
	cert_store_certreq(s, &len);
	assert_int_equal(len, 2 * CERT_HASH_LEN);
	cert_store_free(s);
}

static void test_verify_good(void **state)
{
	static const struct {
		const char *der;
		enum sigauth_key key;
	} t[] = {
		{ "ee_rsa.der", SIGKEY_RSA },	   { "ee_p256.der", SIGKEY_EC_P256 },
		{ "ee_p384.der", SIGKEY_EC_P384 }, { "ee_p521.der", SIGKEY_EC_P521 },
		{ "ee_ed.der", SIGKEY_ED25519 },
	};
	struct cert_peer p;
	char why[CERT_WHY_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		assert_int_equal(verify(t[i].der, true, 0, &p, why, sizeof(why)), CERT_OK);
		assert_int_equal(p.key, t[i].key);
		assert_int_equal(sigauth_key_kind(p.pkey), t[i].key);
		assert_non_null(strstr(p.subject, "CN="));
		cert_peer_clear(&p);
		assert_null(p.cert);
	}
}

/* The anchor a chain ended at, as its SPKI SHA-1 (the openssl CLI's digest of the CA's public
 * key is the truth): ca for a chain through int, int itself when a store trusts int (partial
 * chain); a store with other CAs does not trust it. */
static void test_verify_anchor(void **state)
{
	struct cert_store *s = cert_store_new(), *other = cert_store_new();
	struct cert_peer p;
	struct blobs bl = { 0 };
	char why[CERT_WHY_MAX];
	uint8_t *ca, *in;
	size_t n;

	(void)state;
	ca = pki_read("ca.spki.sha1", &n);
	assert_int_equal(n, CERT_HASH_LEN);
	in = pki_read("int.spki.sha1", &n);
	assert_int_equal(n, CERT_HASH_LEN);
	assert_int_equal(verify("ee_p256.der", true, 0, &p, why, sizeof(why)), CERT_OK);
	assert_memory_equal(p.anchor, ca, CERT_HASH_LEN);
	assert_true(cert_store_trusts(cs, p.anchor));
	assert_false(cert_store_trusts(cs, in));
	cert_peer_clear(&p);

	assert_int_equal(cert_store_add_ca(s, pki_path("int.pem"), why, sizeof(why)), CERT_OK);
	blobs_add(&bl, "ee_p256.der");
	assert_int_equal(cert_verify_peer(s, bl.b, bl.n, 0, &p, why, sizeof(why)), CERT_OK);
	assert_memory_equal(p.anchor, in, CERT_HASH_LEN);
	assert_true(cert_store_trusts(s, in));
	assert_false(cert_store_trusts(s, ca));
	cert_peer_clear(&p);
	blobs_free(&bl);

	assert_int_equal(cert_store_add_ca(other, pki_path("other_ca.pem"), why, sizeof(why)),
			 CERT_OK);
	assert_false(cert_store_trusts(other, ca));
	assert_false(cert_store_trusts(other, in));
	free(ca);
	free(in);
	cert_store_free(s);
	cert_store_free(other);
}

static void test_verify_bad(void **state)
{
	struct cert_peer p;
	char why[CERT_WHY_MAX];
	struct blobs bl = { 0 };

	(void)state;
	/* no intermediate: the chain cannot reach the anchor */
	assert_int_equal(verify("ee_p256.der", false, 0, &p, why, sizeof(why)), CERT_UNTRUSTED);
	assert_non_null(strstr(why, "untrusted: unable to get local issuer certificate"));
	assert_non_null(strstr(why, "ee_p256"));
	assert_null(p.cert);
	/* another CA */
	assert_int_equal(verify("ee_other.der", false, 0, &p, why, sizeof(why)), CERT_UNTRUSTED);
	/* valid for one day: expired in three, not yet valid two days ago */
	assert_int_equal(verify("ee_short.der", true, 0, &p, why, sizeof(why)), CERT_OK);
	cert_peer_clear(&p);
	assert_int_equal(verify("ee_short.der", true, 3 * 86400, &p, why, sizeof(why)),
			 CERT_EXPIRED);
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(verify("ee_short.der", true, -2 * 86400, &p, why, sizeof(why)),
			 CERT_NOT_YET_VALID);
	/* profile: EKU codeSigning only; RSA-1024 */
	assert_int_equal(verify("ee_codesign.der", true, 0, &p, why, sizeof(why)), CERT_PURPOSE);
	assert_int_equal(verify("ee_rsa1024.der", true, 0, &p, why, sizeof(why)), CERT_KEY);
	assert_non_null(strstr(why, "1024"));

	/* a flipped bit in the signature; trailing garbage; truncation; nothing */
	blobs_add(&bl, "ee_p256.der");
	blobs_add(&bl, "int.der");
	bl.buf[0][bl.b[0].len - 3] ^= 0x01;
	assert_int_equal(cert_verify_peer(cs, bl.b, 2, 0, &p, why, sizeof(why)), CERT_UNTRUSTED);
	assert_non_null(strstr(why, "signature"));
	bl.buf[0][bl.b[0].len - 3] ^= 0x01;
	bl.b[0].len -= 1;
	assert_int_equal(cert_verify_peer(cs, bl.b, 2, 0, &p, why, sizeof(why)), CERT_PARSE);
	bl.b[0].len += 1;
	assert_int_equal(cert_verify_peer(cs, bl.b, 2, 0, &p, why, sizeof(why)), CERT_OK);
	cert_peer_clear(&p);
	bl.b[1].len -= 1; /* a broken intermediate */
	assert_int_equal(cert_verify_peer(cs, bl.b, 2, 0, &p, why, sizeof(why)), CERT_PARSE);
	assert_int_equal(cert_verify_peer(cs, bl.b, 0, 0, &p, why, sizeof(why)), CERT_NO_CERT);
	assert_int_equal(cert_verify_peer(cs, bl.b, CERT_CHAIN_MAX + 1, 0, &p, why, sizeof(why)),
			 CERT_TOO_MANY);
	blobs_free(&bl);
}

/* DER of a Name built from (type, value) pairs with the X509_NAME API. */
static size_t dn_der(uint8_t *out, const char *cn, const char *o)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = out;
	int len;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)o,
						    -1, -1, 0),
			 1);
	len = i2d_X509_NAME(n, &p);
	assert_true(len > 0);
	X509_NAME_free(n);
	return (size_t)len;
}

static void test_match_id(void **state)
{
	struct cert_peer p;
	char why[CERT_WHY_MAX];
	uint8_t a4[4], a6[16], dn[256];
	size_t dnlen;

	(void)state;
	assert_int_equal(verify("ee_rsa.der", true, 0, &p, why, sizeof(why)), CERT_OK);
#define ID(t, s) cert_match_id(&p, t, (const uint8_t *)(s), strlen(s), why, sizeof(why))
	inet_pton(AF_INET, "10.1.0.1", a4);
	assert_int_equal(cert_match_id(&p, IKEV2_ID_IPV4_ADDR, a4, 4, why, sizeof(why)), CERT_OK);
	inet_pton(AF_INET, "10.1.0.9", a4);
	assert_int_equal(cert_match_id(&p, IKEV2_ID_IPV4_ADDR, a4, 4, why, sizeof(why)),
			 CERT_ID_MISMATCH);
	assert_non_null(strstr(why, "ID ipv4:10.1.0.9 does not match certificate"));
	inet_pton(AF_INET6, "2001:db8:1::1", a6);
	assert_int_equal(cert_match_id(&p, IKEV2_ID_IPV6_ADDR, a6, 16, why, sizeof(why)), CERT_OK);
	assert_int_equal(cert_match_id(&p, IKEV2_ID_IPV4_ADDR, a6, 16, why, sizeof(why)),
			 CERT_ID_MISMATCH); /* wrong length for the type */
	a6[15] = 2;
	assert_int_equal(cert_match_id(&p, IKEV2_ID_IPV6_ADDR, a6, 16, why, sizeof(why)),
			 CERT_ID_MISMATCH);
	assert_int_equal(ID(IKEV2_ID_FQDN, "fe.example"), CERT_OK);
	assert_int_equal(ID(IKEV2_ID_FQDN, "FE.Example"), CERT_OK);
	assert_int_equal(ID(IKEV2_ID_FQDN, "x.example"), CERT_ID_MISMATCH);
	assert_non_null(strstr(why, "ID fqdn:x.example does not match certificate"));
	assert_non_null(strstr(why, "ee_rsa"));
	/* the CN is not an FQDN source (RFC 4945 3.1.2) */
	assert_int_equal(ID(IKEV2_ID_FQDN, "ee_rsa"), CERT_ID_MISMATCH);
	assert_int_equal(cert_match_id(&p, IKEV2_ID_FQDN, (const uint8_t *)"fe.example\0x", 12, why,
				       sizeof(why)),
			 CERT_ID_MISMATCH);
	assert_int_equal(ID(IKEV2_ID_RFC822_ADDR, "fe@example.com"), CERT_OK);
	assert_int_equal(ID(IKEV2_ID_RFC822_ADDR, "be@example.com"), CERT_ID_MISMATCH);
	assert_int_equal(ID(IKEV2_ID_KEY_ID, "abc"), CERT_ID_TYPE);
	dnlen = dn_der(dn, "ee_rsa", "esprit");
	assert_int_equal(cert_match_id(&p, IKEV2_ID_DER_ASN1_DN, dn, dnlen, why, sizeof(why)),
			 CERT_OK);
	dnlen = dn_der(dn, "ee_p256", "esprit");
	assert_int_equal(cert_match_id(&p, IKEV2_ID_DER_ASN1_DN, dn, dnlen, why, sizeof(why)),
			 CERT_ID_MISMATCH);
	assert_non_null(strstr(why, "dn:/CN=ee_p256/O=esprit"));
	assert_int_equal(cert_match_id(&p, IKEV2_ID_DER_ASN1_DN, dn, dnlen - 1, why, sizeof(why)),
			 CERT_ID_MISMATCH);
#undef ID
	cert_peer_clear(&p);
}

static void test_own(void **state)
{
	struct cert_store *s = cert_store_new();
	char why[CERT_WHY_MAX];
	uint8_t id[CERT_ID_MAX], dn[256], type = 0;
	size_t len, n, dnlen;
	const uint8_t *der;
	uint8_t *want, *cr;

	(void)state;
	assert_int_equal(cert_store_own_id(s, &type, id, sizeof(id), &len), -ENOENT);
	assert_int_equal(cert_store_check_own_id(s, IKEV2_ID_FQDN, (const uint8_t *)"fe.example",
						 10, why, sizeof(why)),
			 CERT_NO_CERT);
	assert_int_equal(cert_store_add_ca(s, pki_path("ca.pem"), why, sizeof(why)), CERT_OK);
	assert_int_equal(cert_store_set_own(s, pki_path("ee_p256_chain.pem"), why, sizeof(why)),
			 CERT_OK);
	assert_int_equal(cert_store_own_count(s), 2);
	assert_int_equal(cert_store_own_key(s), SIGKEY_EC_P256);
	/* CERT payload data = the DER openssl writes */
	der = cert_store_own_der(s, 0, &len);
	want = pki_read("ee_p256.der", &n);
	assert_int_equal(len, n);
	assert_memory_equal(der, want, n);
	free(want);
	der = cert_store_own_der(s, 1, &len);
	want = pki_read("int.der", &n);
	assert_int_equal(len, n);
	assert_memory_equal(der, want, n);
	free(want);
	assert_null(cert_store_own_der(s, 2, &len));
	/* our ID: the subject DN */
	assert_int_equal(cert_store_own_id(s, &type, id, sizeof(id), &len), 0);
	assert_int_equal(type, IKEV2_ID_DER_ASN1_DN);
	dnlen = dn_der(dn, "ee_p256", "esprit");
	assert_int_equal(len, dnlen);
	assert_memory_equal(id, dn, dnlen);
	assert_int_equal(cert_store_own_id(s, &type, id, 5, &len), -ENOSPC);
	/* a configured ID instead of the DN must be in the certificate */
	assert_int_equal(cert_store_check_own_id(s, IKEV2_ID_FQDN, (const uint8_t *)"fe.example",
						 10, why, sizeof(why)),
			 CERT_OK);
	assert_int_equal(cert_store_check_own_id(s, IKEV2_ID_FQDN, (const uint8_t *)"be.example",
						 10, why, sizeof(why)),
			 CERT_ID_MISMATCH);
	assert_non_null(strstr(why, "ID fqdn:be.example does not match certificate /CN=ee_p256"));
	/* the signer's public key must be the certificate's */
	want = pki_read("ee_p256.pub.der", &n);
	assert_true(cert_store_own_key_matches(s, want, n));
	assert_false(cert_store_own_key_matches(s, want, n - 1));
	free(want);
	want = pki_read("ee_p384.pub.der", &n);
	assert_false(cert_store_own_key_matches(s, want, n));
	free(want);
	/* CERTREQ from a peer: the intermediate of our chain or the CA above it, not others */
	cr = pki_read("int.spki.sha1", &n);
	assert_true(cert_store_certreq_match(s, cr, n));
	free(cr);
	cr = pki_read("ca.spki.sha1", &n);
	assert_true(cert_store_certreq_match(s, cr, n));
	assert_false(cert_store_certreq_match(s, cr, n - 1));
	free(cr);
	cr = pki_read("other_ca.spki.sha1", &n);
	assert_false(cert_store_certreq_match(s, cr, n));
	free(cr);
	assert_true(cert_store_certreq_match(s, NULL, 0));
	assert_int_equal(cert_store_set_own(s, pki_path("ee_p384.pem"), why, sizeof(why)),
			 CERT_TOO_MANY);
	cert_store_free(s);
}

static void test_err_names(void **state)
{
	(void)state;
	assert_string_equal(cert_err_name(CERT_UNTRUSTED), "untrusted");
	assert_string_equal(cert_err_name(CERT_ID_MISMATCH), "ID does not match certificate");
	assert_string_equal(cert_err_name((enum cert_err)999), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certreq_hash),  cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_from_auth),     cmocka_unit_test(test_verify_good),
		cmocka_unit_test(test_verify_anchor), cmocka_unit_test(test_verify_bad),
		cmocka_unit_test(test_match_id),      cmocka_unit_test(test_own),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
