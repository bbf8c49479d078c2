/* RFC 7427 digital signature AUTH, RFC 4754 ECDSA methods, RFC 8420 Ed25519 (see sigauth.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "ike/sigauth.h"
#include "lib/rw.h"
#include "lib/util.h"
#include "wire/ikev2.h"

/* RFC 7427 Appendix A (A.1.2-A.1.4 RSA PKCS#1, A.3.2-A.3.4 ECDSA, A.4.3 RSASSA-PSS with
 * SHA-256) and RFC 8420 2 (id-Ed25519, parameters absent). */
static const uint8_t algid_rsa256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t algid_rsa384[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 };
static const uint8_t algid_rsa512[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 };
static const uint8_t algid_pss256[] = { 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06,
					0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
					0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86,
					0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06,
					0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
					0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20 };
static const uint8_t algid_ecdsa256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					  0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t algid_ecdsa384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					  0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t algid_ecdsa512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					  0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t algid_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
/* Accepted, never sent: sha*WithRSAEncryption with the NULL parameters left out (RFC 4055 5
 * says they SHOULD be present, some peers omit them). */
static const uint8_t algid_rsa256_nonull[] = { 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					       0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
static const uint8_t algid_rsa384_nonull[] = { 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					       0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c };
static const uint8_t algid_rsa512_nonull[] = { 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					       0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d };

enum key_family { FAM_RSA, FAM_EC, FAM_ED };

struct alg_row {
	enum sigauth_alg alg;
	const char *name;
	enum sigauth_hash hash;
	const char *md; /* NULL: the scheme hashes itself (Ed25519) */
	enum key_family fam;
	bool pss;
	const uint8_t *der;
	size_t der_len;
};

#define ROW(a, n, h, md, f, pss, der)                 \
	{                                             \
		a, n, h, md, f, pss, der, sizeof(der) \
	}
static const struct alg_row alg_rows[] = {
	ROW(SIGALG_RSA_PKCS1_SHA256, "rsa-sha256", SIGHASH_SHA2_256, "SHA256", FAM_RSA, false,
	    algid_rsa256),
	ROW(SIGALG_RSA_PKCS1_SHA384, "rsa-sha384", SIGHASH_SHA2_384, "SHA384", FAM_RSA, false,
	    algid_rsa384),
	ROW(SIGALG_RSA_PKCS1_SHA512, "rsa-sha512", SIGHASH_SHA2_512, "SHA512", FAM_RSA, false,
	    algid_rsa512),
	ROW(SIGALG_RSA_PSS_SHA256, "rsa-pss-sha256", SIGHASH_SHA2_256, "SHA256", FAM_RSA, true,
	    algid_pss256),
	ROW(SIGALG_ECDSA_SHA256, "ecdsa-sha256", SIGHASH_SHA2_256, "SHA256", FAM_EC, false,
	    algid_ecdsa256),
	ROW(SIGALG_ECDSA_SHA384, "ecdsa-sha384", SIGHASH_SHA2_384, "SHA384", FAM_EC, false,
	    algid_ecdsa384),
	ROW(SIGALG_ECDSA_SHA512, "ecdsa-sha512", SIGHASH_SHA2_512, "SHA512", FAM_EC, false,
	    algid_ecdsa512),
	ROW(SIGALG_ED25519, "ed25519", SIGHASH_IDENTITY, NULL, FAM_ED, false, algid_ed25519),
};

struct algid_alias {
	enum sigauth_alg alg;
	const uint8_t *der;
	size_t der_len;
};
static const struct algid_alias algid_aliases[] = {
	{ SIGALG_RSA_PKCS1_SHA256, algid_rsa256_nonull, sizeof(algid_rsa256_nonull) },
	{ SIGALG_RSA_PKCS1_SHA384, algid_rsa384_nonull, sizeof(algid_rsa384_nonull) },
	{ SIGALG_RSA_PKCS1_SHA512, algid_rsa512_nonull, sizeof(algid_rsa512_nonull) },
};

static const struct alg_row *alg_find(enum sigauth_alg a)
{
	for (size_t i = 0; i < ARRAY_SIZE(alg_rows); i++)
		if (alg_rows[i].alg == a)
			return &alg_rows[i];
	return NULL;
}

static const char *const sigauth_err_names[] = {
#define SIGAUTH_NAME_(n, s) s,
	SIGAUTH_ERRORS(SIGAUTH_NAME_)
#undef SIGAUTH_NAME_
};

const char *sigauth_err_name(enum sigauth_err e)
{
	if ((size_t)e >= ARRAY_SIZE(sigauth_err_names))
		return "?";
	return sigauth_err_names[e];
}

const char *sigauth_alg_name(enum sigauth_alg a)
{
	const struct alg_row *r = alg_find(a);

	return r ? r->name : "none";
}

enum sigauth_hash sigauth_alg_hash(enum sigauth_alg a)
{
	const struct alg_row *r = alg_find(a);

	return r ? r->hash : 0;
}

enum sigauth_key sigauth_key_kind(const EVP_PKEY *pk)
{
	char group[64];

	if (!pk)
		return SIGKEY_NONE;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return SIGKEY_RSA;
	case EVP_PKEY_ED25519:
		return SIGKEY_ED25519;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) != 1)
			return SIGKEY_NONE;
		switch (OBJ_txt2nid(group)) {
		case NID_X9_62_prime256v1:
			return SIGKEY_EC_P256;
		case NID_secp384r1:
			return SIGKEY_EC_P384;
		case NID_secp521r1:
			return SIGKEY_EC_P521;
		default:
			return SIGKEY_NONE;
		}
	default:
		return SIGKEY_NONE;
	}
}

static bool key_fits(enum sigauth_key key, const struct alg_row *r)
{
	switch (key) {
	case SIGKEY_RSA:
		return r->fam == FAM_RSA;
	case SIGKEY_EC_P256:
	case SIGKEY_EC_P384:
	case SIGKEY_EC_P521:
		return r->fam == FAM_EC;
	case SIGKEY_ED25519:
		return r->fam == FAM_ED;
	default:
		return false;
	}
}

/* RFC 7427 4: sign with a hash the peer announced; the key's natural hash first. */
enum sigauth_alg sigauth_choose(enum sigauth_key key, uint32_t peer_hashes, bool rsa_pss)
{
	static const enum sigauth_alg rsa[] = { SIGALG_RSA_PKCS1_SHA256, SIGALG_RSA_PKCS1_SHA384,
						SIGALG_RSA_PKCS1_SHA512 };
	static const enum sigauth_alg ec[] = { SIGALG_ECDSA_SHA256, SIGALG_ECDSA_SHA384,
					       SIGALG_ECDSA_SHA512 };
	const enum sigauth_alg *list = ec;
	size_t first = 0;

	switch (key) {
	case SIGKEY_ED25519:
		return (peer_hashes & SIGHASH_BIT(SIGHASH_IDENTITY)) ? SIGALG_ED25519 : SIGALG_NONE;
	case SIGKEY_RSA:
		if (rsa_pss && (peer_hashes & SIGHASH_BIT(SIGHASH_SHA2_256)))
			return SIGALG_RSA_PSS_SHA256;
		list = rsa;
		break;
	case SIGKEY_EC_P384:
		first = 1;
		break;
	case SIGKEY_EC_P521:
		first = 2;
		break;
	case SIGKEY_EC_P256:
		break;
	default:
		return SIGALG_NONE;
	}
	for (size_t k = 0; k < 3; k++) {
		enum sigauth_alg a = list[(first + k) % 3];

		if (peer_hashes & SIGHASH_BIT(sigauth_alg_hash(a)))
			return a;
	}
	return SIGALG_NONE;
}

int sigauth_algid(enum sigauth_alg a, const uint8_t **der, size_t *len)
{
	const struct alg_row *r = alg_find(a);

	if (!r || !der || !len)
		return -EINVAL;
	*der = r->der;
	*len = r->der_len;
	return 0;
}

enum sigauth_alg sigauth_algid_lookup(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(alg_rows); i++)
		if (alg_rows[i].der_len == len && !memcmp(alg_rows[i].der, der, len))
			return alg_rows[i].alg;
	for (size_t i = 0; i < ARRAY_SIZE(algid_aliases); i++)
		if (algid_aliases[i].der_len == len && !memcmp(algid_aliases[i].der, der, len))
			return algid_aliases[i].alg;
	return SIGALG_NONE;
}

/* RFC 7427 3 */
int sigauth_build(enum sigauth_alg a, const uint8_t *sig, size_t sig_len, uint8_t *out, size_t cap,
		  size_t *out_len)
{
	const struct alg_row *r = alg_find(a);
	struct wr w;

	if (!r || !sig || !sig_len || !out || !out_len)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u8(&w, (uint8_t)r->der_len);
	wr_bytes(&w, r->der, r->der_len);
	wr_bytes(&w, sig, sig_len);
	if (!wr_ok(&w))
		return -ENOSPC;
	*out_len = wr_len(&w);
	return 0;
}

/* RFC 7427 3 */
enum sigauth_err sigauth_parse(const uint8_t *data, size_t len, enum sigauth_alg *alg,
			       const uint8_t **sig, size_t *sig_len)
{
	struct rd r;
	const uint8_t *der;
	uint8_t der_len;

	rd_init(&r, data, len);
	der_len = rd_u8(&r);
	der = rd_bytes(&r, der_len);
	if (!rd_ok(&r) || !der_len || !rd_left(&r))
		return SIGAUTH_MALFORMED;
	*alg = sigauth_algid_lookup(der, der_len);
	if (*alg == SIGALG_NONE)
		return SIGAUTH_UNKNOWN_ALG;
	*sig_len = rd_left(&r);
	*sig = rd_bytes(&r, *sig_len);
	return SIGAUTH_OK;
}

static int pss_setup(EVP_PKEY_CTX *pctx)
{
	/* RFC 7427 A.4.3: MGF1 with SHA-256, salt 32 octets */
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) <= 0)
		return -EIO;
	return 0;
}

int sigauth_sign_raw(EVP_PKEY *key, enum sigauth_alg a, const uint8_t *octets, size_t octets_len,
		     uint8_t *sig, size_t cap, size_t *sig_len)
{
	const struct alg_row *r = alg_find(a);
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = 0;
	int ret = -EIO;

	if (!r || !key || !octets || !sig || !sig_len || !key_fits(sigauth_key_kind(key), r))
		return -EINVAL;
	mctx = EVP_MD_CTX_new();
	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestSignInit_ex(mctx, &pctx, r->md, NULL, NULL, key, NULL) != 1)
		goto out;
	if (r->pss && pss_setup(pctx))
		goto out;
	if (EVP_DigestSign(mctx, NULL, &n, octets, octets_len) != 1)
		goto out;
	if (n > cap) {
		ret = -ENOSPC;
		goto out;
	}
	if (EVP_DigestSign(mctx, sig, &n, octets, octets_len) != 1)
		goto out;
	*sig_len = n;
	ret = 0;
out:
	EVP_MD_CTX_free(mctx);
	return ret;
}

static bool verify_raw(EVP_PKEY *key, const struct alg_row *r, const uint8_t *sig, size_t sig_len,
		       const uint8_t *octets, size_t octets_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok = false;

	if (!mctx)
		return false;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, r->md, NULL, NULL, key, NULL) != 1)
		goto out;
	if (r->pss && pss_setup(pctx))
		goto out;
	ok = EVP_DigestVerify(mctx, sig, sig_len, octets, octets_len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	return ok;
}

static size_t ec_field_len(enum sigauth_key key)
{
	switch (key) {
	case SIGKEY_EC_P256:
		return 32;
	case SIGKEY_EC_P384:
		return 48;
	case SIGKEY_EC_P521:
		return 66;
	default:
		return 0;
	}
}

uint8_t sigauth_legacy_method(enum sigauth_key key)
{
	switch (key) {
	case SIGKEY_EC_P256:
		return IKEV2_AUTH_ECDSA_256;
	case SIGKEY_EC_P384:
		return IKEV2_AUTH_ECDSA_384;
	case SIGKEY_EC_P521:
		return IKEV2_AUTH_ECDSA_521;
	default:
		return 0;
	}
}

/* RFC 4754 7: r and s as fixed-length big-endian integers. */
int sigauth_ecdsa_der_to_rs(enum sigauth_key key, const uint8_t *der, size_t der_len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	size_t fl = ec_field_len(key);
	const unsigned char *p = der;
	ECDSA_SIG *es;
	int ret = -EINVAL;

	if (!fl || !der || !out || !out_len || der_len > SIGAUTH_SIG_MAX)
		return -EINVAL;
	if (cap < 2 * fl)
		return -ENOSPC;
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!es)
		return -EINVAL;
	if (p == der + der_len && BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)fl) == (int)fl &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), out + fl, (int)fl) == (int)fl) {
		*out_len = 2 * fl;
		ret = 0;
	}
	ECDSA_SIG_free(es);
	return ret;
}

/* r | s -> DER Ecdsa-Sig-Value; 0 or -EINVAL. */
static int ecdsa_rs_to_der(size_t fl, const uint8_t *rs, size_t len, uint8_t *out, size_t cap,
			   size_t *out_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	int n, ret = -EINVAL;

	if (!es || len != 2 * fl)
		goto out;
	r = BN_bin2bn(rs, (int)fl, NULL);
	s = BN_bin2bn(rs + fl, (int)fl, NULL);
	if (!r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > cap)
		goto out;
	i2d_ECDSA_SIG(es, &out);
	*out_len = (size_t)n;
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

static enum sigauth_err fail(enum sigauth_err e, const char *what, char *why, size_t whylen)
{
	if (why && whylen)
		snprintf(why, whylen, "AUTH %s: %s", what, sigauth_err_name(e));
	return e;
}

/* RFC 4754: method 9/10/11 fixes curve and hash. */
static enum sigauth_err verify_legacy_ecdsa(EVP_PKEY *peer, uint8_t method, const uint8_t *data,
					    size_t len, const uint8_t *octets, size_t octets_len,
					    char *why, size_t whylen)
{
	static const enum sigauth_key keys[] = { SIGKEY_EC_P256, SIGKEY_EC_P384, SIGKEY_EC_P521 };
	static const enum sigauth_alg algs[] = { SIGALG_ECDSA_SHA256, SIGALG_ECDSA_SHA384,
						 SIGALG_ECDSA_SHA512 };
	size_t i = (size_t)(method - IKEV2_AUTH_ECDSA_256);
	uint8_t der[2 * 66 + 16];
	size_t der_len;
	const char *what = i == 0 ? "ecdsa-256" : i == 1 ? "ecdsa-384" : "ecdsa-521";

	if (sigauth_key_kind(peer) != keys[i])
		return fail(SIGAUTH_KEY_MISMATCH, what, why, whylen);
	if (ecdsa_rs_to_der(ec_field_len(keys[i]), data, len, der, sizeof(der), &der_len))
		return fail(SIGAUTH_MALFORMED, what, why, whylen);
	if (!verify_raw(peer, alg_find(algs[i]), der, der_len, octets, octets_len))
		return fail(SIGAUTH_BAD_SIGNATURE, what, why, whylen);
	return SIGAUTH_OK;
}

enum sigauth_err sigauth_verify(EVP_PKEY *peer, uint8_t method, const uint8_t *data, size_t len,
				uint32_t our_hashes, const uint8_t *octets, size_t octets_len,
				char *why, size_t whylen)
{
	const struct alg_row *r;
	enum sigauth_alg alg = SIGALG_NONE;
	enum sigauth_err e;
	const uint8_t *sig = NULL;
	size_t sig_len = 0;

	if (!peer || !data || !octets)
		return fail(SIGAUTH_INTERNAL, "?", why, whylen);
	switch (method) {
	case IKEV2_AUTH_RSA_SIG:
		/* RFC 7296 3.8 method 1 is PKCS#1 v1.5 with SHA-1 */
		return fail(SIGAUTH_WEAK, "rsa-sha1 (method 1)", why, whylen);
	case IKEV2_AUTH_ECDSA_256:
	case IKEV2_AUTH_ECDSA_384:
	case IKEV2_AUTH_ECDSA_521:
		return verify_legacy_ecdsa(peer, method, data, len, octets, octets_len, why,
					   whylen);
	case IKEV2_AUTH_DIGITAL_SIG:
		break;
	default:
		if (why && whylen)
			snprintf(why, whylen, "AUTH method %u: %s", method,
				 sigauth_err_name(SIGAUTH_METHOD));
		return SIGAUTH_METHOD;
	}
	e = sigauth_parse(data, len, &alg, &sig, &sig_len);
	if (e != SIGAUTH_OK)
		return fail(e, "digital-signature", why, whylen);
	r = alg_find(alg);
	/* RFC 7427 4: only hashes we announced */
	if (!(our_hashes & SIGHASH_BIT(r->hash)))
		return fail(SIGAUTH_HASH_NOT_OFFERED, r->name, why, whylen);
	if (!key_fits(sigauth_key_kind(peer), r))
		return fail(SIGAUTH_KEY_MISMATCH, r->name, why, whylen);
	if (!verify_raw(peer, r, sig, sig_len, octets, octets_len))
		return fail(SIGAUTH_BAD_SIGNATURE, r->name, why, whylen);
	return SIGAUTH_OK;
}

/* RFC 7427 4: a list of 2-octet Hash Algorithm Identifiers. */
int sigauth_hashes_build(uint32_t mask, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wr w;

	wr_init(&w, out, cap);
	for (uint16_t h = SIGHASH_SHA1; h <= SIGHASH_IDENTITY; h++)
		if (mask & SIGHASH_BIT(h))
			wr_u16(&w, h);
	if (!wr_ok(&w))
		return -ENOSPC;
	*out_len = wr_len(&w);
	return 0;
}

int sigauth_hashes_parse(const uint8_t *data, size_t len, uint32_t *mask)
{
	struct rd r;

	if (!len || len % 2)
		return -EBADMSG;
	*mask = 0;
	rd_init(&r, data, len);
	while (rd_left(&r)) {
		uint16_t h = rd_u16(&r);

		if (h >= SIGHASH_SHA1 && h <= SIGHASH_IDENTITY)
			*mask |= SIGHASH_BIT(h);
	}
	return 0;
}
