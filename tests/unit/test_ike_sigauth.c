/* src/ike/sigauth.c: RFC 7427 signature AUTH.
 *
 * Truth comes from outside sigauth: AlgorithmIdentifiers from RFC 7427 Appendix A (and RFC
 * 8420 for Ed25519) and from OpenSSL's own "algorithm-id" for the same operation; signatures
 * made here are checked by `openssl dgst -verify` / `openssl pkeyutl -verify`, and signatures
 * made by those commands are checked here. Keys come from the openssl-CLI PKI of
 * test_ike_cert_pki.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ike/sigauth.h"
#include "lib/util.h"
#include "wire/ikev2.h"

#include "test_ike_cert_pki.h"

static int setup(void **state)
{
	(void)state;
	return pki_make();
}

static int teardown(void **state)
{
	(void)state;
	pki_remove();
	return 0;
}

static EVP_PKEY *load_key(const char *name, bool priv)
{
	FILE *f = fopen(pki_path(name), "rb");
	EVP_PKEY *k = NULL;
	const unsigned char *p;
	uint8_t buf[4096];
	size_t n;

	assert_non_null(f);
	if (priv) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	} else {
		n = fread(buf, 1, sizeof(buf), f);
		p = buf;
		k = d2i_PUBKEY(NULL, &p, (long)n);
	}
	fclose(f);
	assert_non_null(k);
	return k;
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(pki_path(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", pki_dir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* RFC 7427 Appendix A.1.2-A.1.4, A.3.2-A.3.4, A.4.3; RFC 8420 3 (id-Ed25519, no params). */
static const struct {
	enum sigauth_alg alg;
	const char *hex;
} rfc_algid[] = {
	{ SIGALG_RSA_PKCS1_SHA256, "300d06092a864886f70d01010b0500" },
	{ SIGALG_RSA_PKCS1_SHA384, "300d06092a864886f70d01010c0500" },
	{ SIGALG_RSA_PKCS1_SHA512, "300d06092a864886f70d01010d0500" },
	{ SIGALG_ECDSA_SHA256, "300a06082a8648ce3d040302" },
	{ SIGALG_ECDSA_SHA384, "300a06082a8648ce3d040303" },
	{ SIGALG_ECDSA_SHA512, "300a06082a8648ce3d040304" },
	{ SIGALG_RSA_PSS_SHA256, "3041"
				 "06092a864886f70d01010a"
				 "3034"
				 "a00f300d0609608648016503040201"
				 "0500"
				 "a11c301a06092a864886f70d010108"
				 "300d06096086480165030402010500"
				 "a203020120" },
	{ SIGALG_ED25519, "300506032b6570" },
};

static void test_algid_rfc(void **state)
{
	uint8_t want[128];
	const uint8_t *der;
	size_t len;
	long n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rfc_algid); i++) {
		n = hex_decode(want, sizeof(want), rfc_algid[i].hex);
		assert_true(n > 0);
		assert_int_equal(sigauth_algid(rfc_algid[i].alg, &der, &len), 0);
		assert_int_equal(len, (size_t)n);
		assert_memory_equal(der, want, len);
		assert_int_equal(sigauth_algid_lookup(want, len), rfc_algid[i].alg);
	}
	/* RFC 7427 A.1.1 sha1WithRSAEncryption and A.3.1 ecdsa-with-sha1: not accepted */
	n = hex_decode(want, sizeof(want), "300d06092a864886f70d0101050500");
	assert_int_equal(sigauth_algid_lookup(want, (size_t)n), SIGALG_NONE);
	n = hex_decode(want, sizeof(want), "300906072a8648ce3d0401");
	assert_int_equal(sigauth_algid_lookup(want, (size_t)n), SIGALG_NONE);
	/* RFC 7427 A.4.1 PSS with empty parameters: not the parameters we verify with */
	n = hex_decode(want, sizeof(want), "300b06092a864886f70d01010a");
	assert_int_equal(sigauth_algid_lookup(want, (size_t)n), SIGALG_NONE);
	assert_int_equal(sigauth_algid(SIGALG_NONE, &der, &len), -EINVAL);
}

/* OpenSSL reports the AlgorithmIdentifier of a signing operation ("algorithm-id"). */
static void openssl_algid(EVP_PKEY *k, const char *md, bool pss, uint8_t *out, size_t *len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	OSSL_PARAM p[2];

	assert_int_equal(EVP_DigestSignInit_ex(m, &pc, md, NULL, NULL, k, NULL), 1);
	if (pss) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) > 0);
	}
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, out, 128);
	p[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_PKEY_CTX_get_params(pc, p), 1);
	*len = p[0].return_size;
	EVP_MD_CTX_free(m);
}

static void test_algid_openssl(void **state)
{
	static const struct {
		const char *key, *md;
		enum sigauth_alg alg;
	} t[] = {
		{ "ee_rsa.key", "SHA256", SIGALG_RSA_PKCS1_SHA256 },
		{ "ee_rsa.key", "SHA384", SIGALG_RSA_PKCS1_SHA384 },
		{ "ee_rsa.key", "SHA512", SIGALG_RSA_PKCS1_SHA512 },
		{ "ee_p256.key", "SHA256", SIGALG_ECDSA_SHA256 },
		{ "ee_p384.key", "SHA384", SIGALG_ECDSA_SHA384 },
		{ "ee_p521.key", "SHA512", SIGALG_ECDSA_SHA512 },
		{ "ee_ed.key", NULL, SIGALG_ED25519 },
	};
	uint8_t got[128];
	const uint8_t *der;
	size_t len, dlen;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		EVP_PKEY *k = load_key(t[i].key, true);

		openssl_algid(k, t[i].md, false, got, &len);
		assert_int_equal(sigauth_algid(t[i].alg, &der, &dlen), 0);
		assert_int_equal(dlen, len);
		assert_memory_equal(der, got, len);
		EVP_PKEY_free(k);
	}
}

static const char octets_text[] = "SignedOctets stand-in: RealMessage | Nonce | MACedID";

struct sigcase {
	const char *key; /* private key file; .pub.der is its public key */
	enum sigauth_alg alg;
	const char *verify_cmd; /* openssl verifying sig.bin over octets.bin */
	const char *sign_cmd;	/* openssl signing octets.bin into ossl.sig */
};

#define PSS_OPTS \
	"-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256"
static const struct sigcase sigcases[] = {
	{ "ee_rsa", SIGALG_RSA_PKCS1_SHA256,
	  "openssl dgst -sha256 -verify ee_rsa.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha256 -sign ee_rsa.key -out ossl.sig octets.bin" },
	{ "ee_rsa", SIGALG_RSA_PKCS1_SHA384,
	  "openssl dgst -sha384 -verify ee_rsa.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha384 -sign ee_rsa.key -out ossl.sig octets.bin" },
	{ "ee_rsa", SIGALG_RSA_PKCS1_SHA512,
	  "openssl dgst -sha512 -verify ee_rsa.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha512 -sign ee_rsa.key -out ossl.sig octets.bin" },
	{ "ee_rsa", SIGALG_RSA_PSS_SHA256,
	  "openssl dgst -sha256 " PSS_OPTS " -verify ee_rsa.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha256 " PSS_OPTS " -sign ee_rsa.key -out ossl.sig octets.bin" },
	{ "ee_p256", SIGALG_ECDSA_SHA256,
	  "openssl dgst -sha256 -verify ee_p256.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha256 -sign ee_p256.key -out ossl.sig octets.bin" },
	{ "ee_p384", SIGALG_ECDSA_SHA384,
	  "openssl dgst -sha384 -verify ee_p384.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha384 -sign ee_p384.key -out ossl.sig octets.bin" },
	{ "ee_p521", SIGALG_ECDSA_SHA512,
	  "openssl dgst -sha512 -verify ee_p521.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha512 -sign ee_p521.key -out ossl.sig octets.bin" },
	{ "ee_p256", SIGALG_ECDSA_SHA384, /* RFC 7427 does not tie hash to curve */
	  "openssl dgst -sha384 -verify ee_p256.pub.pem -signature sig.bin octets.bin",
	  "openssl dgst -sha384 -sign ee_p256.key -out ossl.sig octets.bin" },
	{ "ee_ed", SIGALG_ED25519,
	  "openssl pkeyutl -verify -pubin -inkey ee_ed.pub.pem -rawin -in octets.bin -sigfile "
	  "sig.bin",
	  "openssl pkeyutl -sign -inkey ee_ed.key -rawin -in octets.bin -out ossl.sig" },
};

static EVP_PKEY *case_key(const struct sigcase *c, bool priv)
{
	char name[64];

	snprintf(name, sizeof(name), priv ? "%s.key" : "%s.pub.der", c->key);
	return load_key(name, priv);
}

/* Ours -> openssl verifies; the AUTH data we build verifies with sigauth too. */
static void test_sign_openssl_verifies(void **state)
{
	uint8_t sig[SIGAUTH_SIG_MAX], data[SIGAUTH_DATA_MAX];
	size_t sig_len, data_len;
	char why[SIGAUTH_WHY_MAX];

	(void)state;
	write_file("octets.bin", octets_text, sizeof(octets_text));
	for (size_t i = 0; i < ARRAY_SIZE(sigcases); i++) {
		const struct sigcase *c = &sigcases[i];
		EVP_PKEY *k = case_key(c, true), *pub = case_key(c, false);

		assert_int_equal(sigauth_sign_raw(k, c->alg, (const uint8_t *)octets_text,
						  sizeof(octets_text), sig, sizeof(sig), &sig_len),
				 0);
		write_file("sig.bin", sig, sig_len);
		if (sh("%s >/dev/null", c->verify_cmd) != 0)
			fail_msg("openssl rejects our %s signature", sigauth_alg_name(c->alg));
		assert_int_equal(sigauth_build(c->alg, sig, sig_len, data, sizeof(data), &data_len),
				 0);
		assert_int_equal(sigauth_verify(pub, IKEV2_AUTH_DIGITAL_SIG, data, data_len,
						SIGHASH_OURS, (const uint8_t *)octets_text,
						sizeof(octets_text), why, sizeof(why)),
				 SIGAUTH_OK);
		/* and a corrupted signature is refused by openssl (the command can fail) */
		sig[sig_len / 2] ^= 0x40;
		write_file("sig.bin", sig, sig_len);
		assert_int_not_equal(sh("%s >/dev/null 2>&1", c->verify_cmd), 0);
		EVP_PKEY_free(k);
		EVP_PKEY_free(pub);
	}
}

/* openssl signs -> sigauth verifies, positive and negative. */
static void test_openssl_sign_we_verify(void **state)
{
	uint8_t data[SIGAUTH_DATA_MAX], *sig;
	size_t sig_len, data_len;
	char why[SIGAUTH_WHY_MAX];
	uint8_t tampered[sizeof(octets_text)];

	(void)state;
	write_file("octets.bin", octets_text, sizeof(octets_text));
	memcpy(tampered, octets_text, sizeof(tampered));
	tampered[7] ^= 0x01;
	for (size_t i = 0; i < ARRAY_SIZE(sigcases); i++) {
		const struct sigcase *c = &sigcases[i];
		EVP_PKEY *pub = case_key(c, false);

		assert_int_equal(sh("%s", c->sign_cmd), 0);
		sig = pki_read("ossl.sig", &sig_len);
		assert_non_null(sig);
		assert_int_equal(sigauth_build(c->alg, sig, sig_len, data, sizeof(data), &data_len),
				 0);
		assert_int_equal(sigauth_verify(pub, IKEV2_AUTH_DIGITAL_SIG, data, data_len,
						SIGHASH_OURS, (const uint8_t *)octets_text,
						sizeof(octets_text), why, sizeof(why)),
				 SIGAUTH_OK);
		/* tampered octets */
		assert_int_equal(sigauth_verify(pub, IKEV2_AUTH_DIGITAL_SIG, data, data_len,
						SIGHASH_OURS, tampered, sizeof(tampered), why,
						sizeof(why)),
				 SIGAUTH_BAD_SIGNATURE);
		assert_non_null(strstr(why, "signature does not verify"));
		assert_non_null(strstr(why, sigauth_alg_name(c->alg)));
		free(sig);
		EVP_PKEY_free(pub);
	}
}

static void test_verify_refusals(void **state)
{
	EVP_PKEY *rsa = load_key("ee_rsa.key", true), *p256 = load_key("ee_p256.key", true);
	EVP_PKEY *other = load_key("ee_other.pub.der", false);
	EVP_PKEY *p256pub = load_key("ee_p256.pub.der", false);
	const uint8_t *o = (const uint8_t *)octets_text;
	const size_t on = sizeof(octets_text);
	uint8_t sig[SIGAUTH_SIG_MAX], data[SIGAUTH_DATA_MAX];
	size_t sig_len, data_len;
	char why[SIGAUTH_WHY_MAX];

	(void)state;
	assert_int_equal(
		sigauth_sign_raw(p256, SIGALG_ECDSA_SHA256, o, on, sig, sizeof(sig), &sig_len), 0);
	assert_int_equal(
		sigauth_build(SIGALG_ECDSA_SHA256, sig, sig_len, data, sizeof(data), &data_len), 0);
	assert_int_equal(
		sigauth_verify(p256pub, 14, data, data_len, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_OK);
	/* wrong key (another P-256 key) */
	assert_int_equal(
		sigauth_verify(other, 14, data, data_len, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_BAD_SIGNATURE);
	/* an ECDSA signature against an RSA certificate */
	assert_int_equal(
		sigauth_verify(rsa, 14, data, data_len, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_KEY_MISMATCH);
	/* a hash we did not announce (RFC 7427 4) */
	assert_int_equal(sigauth_verify(p256pub, 14, data, data_len, SIGHASH_BIT(SIGHASH_SHA2_384),
					o, on, why, sizeof(why)),
			 SIGAUTH_HASH_NOT_OFFERED);
	/* RSA with SHA-1 (method 1): refused whatever the data */
	assert_int_equal(sigauth_verify(rsa, IKEV2_AUTH_RSA_SIG, data, data_len, SIGHASH_OURS, o,
					on, why, sizeof(why)),
			 SIGAUTH_WEAK);
	assert_non_null(strstr(why, "SHA-1"));
	assert_int_equal(sigauth_verify(rsa, IKEV2_AUTH_DSS_SIG, data, data_len, SIGHASH_OURS, o,
					on, why, sizeof(why)),
			 SIGAUTH_METHOD);
	assert_int_equal(sigauth_verify(rsa, IKEV2_AUTH_PSK, data, data_len, SIGHASH_OURS, o, on,
					why, sizeof(why)),
			 SIGAUTH_METHOD);
	/* malformed: ASN.1 length past the end, no signature, unknown algorithm */
	data[0] = 200;
	assert_int_equal(
		sigauth_verify(p256pub, 14, data, data_len, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_MALFORMED);
	data[0] = 12;
	assert_int_equal(
		sigauth_verify(p256pub, 14, data, 13, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_MALFORMED);
	data[12] = 0x01; /* ecdsa-with-SHA1 */
	assert_int_equal(
		sigauth_verify(p256pub, 14, data, data_len, SIGHASH_OURS, o, on, why, sizeof(why)),
		SIGAUTH_UNKNOWN_ALG);
	/* signing with a key that does not fit the scheme */
	assert_int_equal(
		sigauth_sign_raw(rsa, SIGALG_ECDSA_SHA256, o, on, sig, sizeof(sig), &sig_len),
		-EINVAL);
	assert_int_equal(sigauth_sign_raw(rsa, SIGALG_RSA_PKCS1_SHA256, o, on, sig, 100, &sig_len),
			 -ENOSPC);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p256pub);
}

/* RFC 4754: methods 9/10/11 carry r | s; the DER from openssl is split with d2i_ECDSA_SIG. */
static void test_legacy_ecdsa(void **state)
{
	static const struct {
		const char *key, *dgst;
		enum sigauth_key kind;
		uint8_t method;
		size_t half;
	} t[] = {
		{ "ee_p256", "sha256", SIGKEY_EC_P256, IKEV2_AUTH_ECDSA_256, 32 },
		{ "ee_p384", "sha384", SIGKEY_EC_P384, IKEV2_AUTH_ECDSA_384, 48 },
		{ "ee_p521", "sha512", SIGKEY_EC_P521, IKEV2_AUTH_ECDSA_521, 66 },
	};
	uint8_t rs[2 * 66], want[2 * 66];
	size_t rs_len, der_len;
	char why[SIGAUTH_WHY_MAX], name[64];

	(void)state;
	write_file("octets.bin", octets_text, sizeof(octets_text));
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t *der;
		const unsigned char *p;
		ECDSA_SIG *es;
		EVP_PKEY *pub;

		snprintf(name, sizeof(name), "%s.pub.der", t[i].key);
		pub = load_key(name, false);
		assert_int_equal(sigauth_legacy_method(t[i].kind), t[i].method);
		assert_int_equal(sh("openssl dgst -%s -sign %s.key -out ossl.sig octets.bin",
				    t[i].dgst, t[i].key),
				 0);
		der = pki_read("ossl.sig", &der_len);
		p = der;
		es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), want, (int)t[i].half);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), want + t[i].half, (int)t[i].half);
		ECDSA_SIG_free(es);
		assert_int_equal(
			sigauth_ecdsa_der_to_rs(t[i].kind, der, der_len, rs, sizeof(rs), &rs_len),
			0);
		assert_int_equal(rs_len, 2 * t[i].half);
		assert_memory_equal(rs, want, rs_len);
		assert_int_equal(sigauth_verify(pub, t[i].method, rs, rs_len, 0,
						(const uint8_t *)octets_text, sizeof(octets_text),
						why, sizeof(why)),
				 SIGAUTH_OK);
		/* wrong length, tampered, wrong curve for the method */
		assert_int_equal(sigauth_verify(pub, t[i].method, rs, rs_len - 1, 0,
						(const uint8_t *)octets_text, sizeof(octets_text),
						why, sizeof(why)),
				 SIGAUTH_MALFORMED);
		rs[3] ^= 0x10;
		assert_int_equal(sigauth_verify(pub, t[i].method, rs, rs_len, 0,
						(const uint8_t *)octets_text, sizeof(octets_text),
						why, sizeof(why)),
				 SIGAUTH_BAD_SIGNATURE);
		assert_int_equal(sigauth_verify(pub, t[(i + 1) % 3].method, rs, rs_len, 0,
						(const uint8_t *)octets_text, sizeof(octets_text),
						why, sizeof(why)),
				 SIGAUTH_KEY_MISMATCH);
		free(der);
		EVP_PKEY_free(pub);
	}
	assert_int_equal(sigauth_legacy_method(SIGKEY_RSA), 0);
}

static void test_choose(void **state)
{
	const uint32_t all = SIGHASH_OURS, s256 = SIGHASH_BIT(SIGHASH_SHA2_256),
		       s512 = SIGHASH_BIT(SIGHASH_SHA2_512);

	(void)state;
	assert_int_equal(sigauth_choose(SIGKEY_RSA, all, false), SIGALG_RSA_PKCS1_SHA256);
	assert_int_equal(sigauth_choose(SIGKEY_RSA, all, true), SIGALG_RSA_PSS_SHA256);
	assert_int_equal(sigauth_choose(SIGKEY_RSA, s512, true), SIGALG_RSA_PKCS1_SHA512);
	assert_int_equal(sigauth_choose(SIGKEY_EC_P256, all, false), SIGALG_ECDSA_SHA256);
	assert_int_equal(sigauth_choose(SIGKEY_EC_P384, all, false), SIGALG_ECDSA_SHA384);
	assert_int_equal(sigauth_choose(SIGKEY_EC_P521, all, false), SIGALG_ECDSA_SHA512);
	assert_int_equal(sigauth_choose(SIGKEY_EC_P521, s256, false), SIGALG_ECDSA_SHA256);
	assert_int_equal(sigauth_choose(SIGKEY_ED25519, all, false), SIGALG_ED25519);
	assert_int_equal(sigauth_choose(SIGKEY_ED25519, s256, false), SIGALG_NONE);
	assert_int_equal(sigauth_choose(SIGKEY_RSA, 0, false), SIGALG_NONE);
	assert_int_equal(sigauth_choose(SIGKEY_RSA, SIGHASH_BIT(SIGHASH_SHA1), false), SIGALG_NONE);
	assert_int_equal(sigauth_alg_hash(SIGALG_ED25519), SIGHASH_IDENTITY);
}

/* RFC 7427 4 notify data; ids from the IANA "IKEv2 Hash Algorithms" registry. */
static void test_hash_notify(void **state)
{
	static const uint8_t ours[] = { 0, 2, 0, 3, 0, 4, 0, 5 };
	static const uint8_t peer[] = { 0, 1, 0, 2, 0x12, 0x34, 0, 5 };
	uint8_t buf[16];
	size_t len;
	uint32_t mask;

	(void)state;
	assert_int_equal(sigauth_hashes_build(SIGHASH_OURS, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(ours));
	assert_memory_equal(buf, ours, len);
	assert_int_equal(sigauth_hashes_build(SIGHASH_OURS, buf, 7, &len), -ENOSPC);
	assert_int_equal(sigauth_hashes_parse(peer, sizeof(peer), &mask), 0);
	assert_int_equal(mask, SIGHASH_BIT(SIGHASH_SHA1) | SIGHASH_BIT(SIGHASH_SHA2_256) |
				       SIGHASH_BIT(SIGHASH_IDENTITY));
	assert_int_equal(sigauth_hashes_parse(peer, 3, &mask), -EBADMSG);
	assert_int_equal(sigauth_hashes_parse(peer, 0, &mask), -EBADMSG);
}

static void test_parse_build(void **state)
{
	uint8_t sig[3] = { 1, 2, 3 }, out[64];
	const uint8_t *s;
	size_t len, sl;
	enum sigauth_alg a;

	(void)state;
	assert_int_equal(sigauth_build(SIGALG_ED25519, sig, 3, out, sizeof(out), &len), 0);
	assert_int_equal(len, 1 + 7 + 3);
	assert_int_equal(out[0], 7);
	assert_int_equal(sigauth_parse(out, len, &a, &s, &sl), SIGAUTH_OK);
	assert_int_equal(a, SIGALG_ED25519);
	assert_int_equal(sl, 3);
	assert_ptr_equal(s, out + 8);
	assert_int_equal(sigauth_build(SIGALG_ED25519, sig, 3, out, 10, &len), -ENOSPC);
	assert_int_equal(sigauth_parse(out, 0, &a, &s, &sl), SIGAUTH_MALFORMED);
	assert_int_equal(sigauth_parse(out, 8, &a, &s, &sl), SIGAUTH_MALFORMED);
	out[0] = 0;
	assert_int_equal(sigauth_parse(out, 11, &a, &s, &sl), SIGAUTH_MALFORMED);
	assert_string_equal(sigauth_err_name(SIGAUTH_WEAK),
			    "refused: RSA with SHA-1 (AUTH method 1) is too weak");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_algid_rfc),
		cmocka_unit_test(test_algid_openssl),
		cmocka_unit_test(test_sign_openssl_verifies),
		cmocka_unit_test(test_openssl_sign_we_verify),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_legacy_ecdsa),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_hash_notify),
		cmocka_unit_test(test_parse_build),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
