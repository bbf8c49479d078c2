/* IKEv2 key exchange over OpenSSL 3 EVP (see dh.h for formats and checks). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "crypto/dh.h"
#include "lib/util.h"

enum dh_kind { DH_K_MODP, DH_K_ECP, DH_K_X25519 };

struct dh_row {
	uint16_t id;
	enum dh_kind kind;
	const char *name;
	const char *ossl_type;	/* EVP_PKEY type name */
	const char *ossl_group; /* OpenSSL group name; NULL for X25519 */
	int nid;		/* EC curve, for importing a private scalar */
	size_t pub_len, secret_len;
};

/* RFC 3526 3, 4 (MODP: p-sized values); RFC 5903 7 (ECP: x | y, secret x); RFC 8031 2. */
static const struct dh_row dh_rows[] = {
	{ DH_MODP_2048, DH_K_MODP, "modp2048", "DH", "modp_2048", NID_undef, 256, 256 },
	{ DH_MODP_3072, DH_K_MODP, "modp3072", "DH", "modp_3072", NID_undef, 384, 384 },
	{ DH_ECP_256, DH_K_ECP, "ecp256", "EC", "P-256", NID_X9_62_prime256v1, 64, 32 },
	{ DH_ECP_384, DH_K_ECP, "ecp384", "EC", "P-384", NID_secp384r1, 96, 48 },
	{ DH_ECP_521, DH_K_ECP, "ecp521", "EC", "P-521", NID_secp521r1, 132, 66 },
	{ DH_CURVE25519, DH_K_X25519, "curve25519", "X25519", NULL, NID_undef, 32, 32 },
};

struct dh {
	const struct dh_row *row;
	EVP_PKEY *pkey;
	uint8_t pub[DH_PUBLIC_MAX];
};

static const struct dh_row *dh_find(uint16_t group)
{
	for (size_t i = 0; i < ARRAY_SIZE(dh_rows); i++)
		if (dh_rows[i].id == group)
			return &dh_rows[i];
	return NULL;
}

size_t dh_public_len(uint16_t group)
{
	const struct dh_row *r = dh_find(group);

	return r ? r->pub_len : 0;
}

size_t dh_secret_len(uint16_t group)
{
	const struct dh_row *r = dh_find(group);

	return r ? r->secret_len : 0;
}

const char *dh_name(uint16_t group)
{
	const struct dh_row *r = dh_find(group);

	return r ? r->name : "unknown";
}

uint16_t dh_group(const struct dh *dh)
{
	return dh ? dh->row->id : 0;
}

/* Build an EVP_PKEY of r's type from params (selection: EVP_PKEY_PUBLIC_KEY, _KEYPAIR or
 * _KEY_PARAMETERS). NULL when OpenSSL refuses the data, e.g. an EC point off the curve. */
static EVP_PKEY *pkey_fromdata(const struct dh_row *r, OSSL_PARAM *params, int selection)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, r->ossl_type, NULL);
	EVP_PKEY *k = NULL;

	if (!c || EVP_PKEY_fromdata_init(c) <= 0 ||
	    EVP_PKEY_fromdata(c, &k, selection, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* Our public value in KE format into dh->pub (see dh.h). */
static int dh_export_public(struct dh *dh)
{
	const struct dh_row *r = dh->row;
	uint8_t buf[1 + DH_PUBLIC_MAX];
	BIGNUM *y = NULL;
	size_t n = 0;
	int rc = -EIO;

	switch (r->kind) {
	case DH_K_MODP:
		/* RFC 7296 2.14 / RFC 3526: big-endian, padded to the length of p. */
		if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) > 0 &&
		    BN_bn2binpad(y, dh->pub, (int)r->pub_len) == (int)r->pub_len)
			rc = 0;
		BN_free(y);
		break;
	case DH_K_ECP:
		/* RFC 5903 7: x | y without SEC 1's 0x04 (uncompressed) prefix. */
		if (EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						    buf, sizeof(buf), &n) > 0 &&
		    n == 1 + r->pub_len && buf[0] == POINT_CONVERSION_UNCOMPRESSED) {
			memcpy(dh->pub, buf + 1, r->pub_len);
			rc = 0;
		}
		break;
	case DH_K_X25519:
		n = r->pub_len;
		if (EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &n) > 0 && n == r->pub_len)
			rc = 0;
		break;
	}
	return rc;
}

static int dh_wrap(struct dh **out, const struct dh_row *r, EVP_PKEY *k)
{
	struct dh *dh = calloc(1, sizeof(*dh));
	int rc;

	if (!dh) {
		EVP_PKEY_free(k);
		return -ENOMEM;
	}
	dh->row = r;
	dh->pkey = k;
	rc = dh_export_public(dh);
	if (rc) {
		dh_free(dh);
		return rc;
	}
	*out = dh;
	return 0;
}

int dh_new(struct dh **out, uint16_t group)
{
	const struct dh_row *r = dh_find(group);
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[2];

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!r)
		return -ENOTSUP;
	c = EVP_PKEY_CTX_new_from_name(NULL, r->ossl_type, NULL);
	if (!c || EVP_PKEY_keygen_init(c) <= 0)
		goto fail;
	if (r->ossl_group) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							(char *)r->ossl_group, 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(c, p) <= 0)
			goto fail;
	}
	if (EVP_PKEY_generate(c, &k) <= 0)
		goto fail;
	EVP_PKEY_CTX_free(c);
	return dh_wrap(out, r, k);
fail:
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return -ENOTSUP;
}

/* ECP key pair from a scalar: OpenSSL 3.0's EC import does not derive the public point, so it
 * is computed here (d * G) and imported with the scalar. */
static EVP_PKEY *ecp_from_scalar(const struct dh_row *r, const uint8_t *priv, size_t len)
{
	const size_t field = r->secret_len;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(r->nid);
	uint8_t pt[1 + DH_PUBLIC_MAX];
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EC_POINT *q = NULL;
	BIGNUM *d = NULL;
	EVP_PKEY *k = NULL;
	size_t n;

	if (!g || len != field)
		goto out;
	d = BN_secure_new();
	q = EC_POINT_new(g);
	if (!d || !q || !BN_bin2bn(priv, (int)len, d))
		goto out;
	/* The scalar must be in [1, n-1]. */
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	if (!EC_POINT_mul(g, q, d, NULL, NULL, NULL))
		goto out;
	n = EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof(pt), NULL);
	if (n != 1 + r->pub_len)
		goto out;
	b = OSSL_PARAM_BLD_new();
	if (!b ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, r->ossl_group, 0) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n))
		goto out;
	params = OSSL_PARAM_BLD_to_param(b);
	if (params)
		k = pkey_fromdata(r, params, EVP_PKEY_KEYPAIR);
out:
	/* The scalar went to the secure heap (BN_secure_new), which OSSL_PARAM_free clears. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EC_POINT_free(q);
	BN_clear_free(d);
	EC_GROUP_free(g);
	return k;
}

int dh_new_private(struct dh **out, uint16_t group, const uint8_t *priv, size_t len)
{
	const struct dh_row *r = dh_find(group);
	EVP_PKEY *k = NULL;

	if (!out || !priv)
		return -EINVAL;
	*out = NULL;
	if (!r || r->kind == DH_K_MODP)
		return -ENOTSUP;
	if (r->kind == DH_K_ECP)
		k = ecp_from_scalar(r, priv, len);
	else if (len == 32)
		k = EVP_PKEY_new_raw_private_key_ex(NULL, r->ossl_type, NULL, priv, len);
	if (!k) {
		ERR_clear_error();
		return -EINVAL;
	}
	return dh_wrap(out, r, k);
}

void dh_free(struct dh *dh)
{
	if (!dh)
		return;
	/* EVP_PKEY_free clears the private key material (BN_clear_free / OPENSSL_secure). */
	EVP_PKEY_free(dh->pkey);
	wipe(dh, sizeof(*dh));
	free(dh);
}

int dh_public(const struct dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	if (!dh || !out || cap < dh->row->pub_len)
		return -EINVAL;
	memcpy(out, dh->pub, dh->row->pub_len);
	if (len)
		*len = dh->row->pub_len;
	return 0;
}

/* RFC 6989 2.1: a MODP value must satisfy 1 < y < p-1 (0, 1 and p-1 give a predictable
 * secret; values >= p are not group elements). */
static bool modp_in_range(EVP_PKEY *own, const BIGNUM *y)
{
	BIGNUM *p = NULL;
	bool ok = false;

	if (EVP_PKEY_get_bn_param(own, OSSL_PKEY_PARAM_FFC_P, &p) > 0 && BN_sub_word(p, 1))
		ok = BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p) < 0;
	BN_free(p);
	return ok;
}

/* The peer's public value as an EVP_PKEY, or NULL when it is refused. */
static EVP_PKEY *dh_peer_key(struct dh *dh, const uint8_t *peer)
{
	const struct dh_row *r = dh->row;
	uint8_t pt[1 + DH_PUBLIC_MAX];
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *k = NULL;
	BIGNUM *y = NULL;

	if (r->kind == DH_K_X25519)
		return EVP_PKEY_new_raw_public_key_ex(NULL, r->ossl_type, NULL, peer, r->pub_len);
	b = OSSL_PARAM_BLD_new();
	if (!b || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, r->ossl_group, 0))
		goto out;
	if (r->kind == DH_K_MODP) {
		y = BN_bin2bn(peer, (int)r->pub_len, NULL);
		if (!y || !modp_in_range(dh->pkey, y) ||
		    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto out;
	} else {
		/* RFC 5903 7: the wire has x | y; OpenSSL wants SEC 1 0x04 | x | y. Importing it
		 * decodes the point, which fails for a point not on the curve (RFC 6989 2.3). */
		pt[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(pt + 1, peer, r->pub_len);
		if (!OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt,
						      1 + r->pub_len))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(b);
	if (params)
		k = pkey_fromdata(r, params, EVP_PKEY_PUBLIC_KEY);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(y);
	return k;
}

static int modp_set_pad(EVP_PKEY_CTX *c)
{
	unsigned int pad = 1;
	OSSL_PARAM p[2];

	p[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
	p[1] = OSSL_PARAM_construct_end();
	return EVP_PKEY_CTX_set_params(c, p) > 0 ? 0 : -EIO;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int dh_shared(struct dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t cap,
	      size_t *len)
{
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *pk = NULL;
	size_t n;
	int rc = -EBADMSG;

	if (!dh || !peer || !out || cap < dh->row->secret_len)
		return -EINVAL;
	/* RFC 6989 2.1 / 2.3 / RFC 8031 2: a value of another length is not a group element. */
	if (peer_len != dh->row->pub_len)
		return -EBADMSG;
	pk = dh_peer_key(dh, peer);
	if (!pk)
		goto out;
	c = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!c || EVP_PKEY_derive_init(c) <= 0) {
		rc = -EIO;
		goto out;
	}
	/* RFC 7296 2.14: g^ir is padded with zeros to the length of the modulus. */
	if (dh->row->kind == DH_K_MODP && modp_set_pad(c)) {
		rc = -EIO;
		goto out;
	}
	/* validate=1: OpenSSL's own public key check on top of ours (for the MODP groups it
	 * also tests membership of the prime-order subgroup). */
	if (EVP_PKEY_derive_set_peer_ex(c, pk, 1) <= 0)
		goto out;
	n = cap;
	/* X25519 derivation fails on an all-zero result (RFC 7748 6.1): that is the peer's
	 * fault, so it stays -EBADMSG. */
	if (EVP_PKEY_derive(c, out, &n) <= 0 || n != dh->row->secret_len)
		goto out;
	/* RFC 8031 2: "MUST check whether the computed Diffie-Hellman shared secret is the
	 * all-zero value and abort if so". */
	if (dh->row->kind == DH_K_X25519 && all_zero(out, n))
		goto out;
	if (len)
		*len = n;
	rc = 0;
out:
	if (rc) {
		wipe(out, cap);
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	return rc;
}

int dh_modp_prime(uint16_t group, uint8_t *out, size_t cap)
{
	const struct dh_row *r = dh_find(group);
	EVP_PKEY *k = NULL;
	BIGNUM *p = NULL;
	OSSL_PARAM params[2];
	int rc = -EIO;

	if (!r || r->kind != DH_K_MODP)
		return -ENOTSUP;
	if (!out || cap < r->pub_len)
		return -EINVAL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)r->ossl_group, 0);
	params[1] = OSSL_PARAM_construct_end();
	k = pkey_fromdata(r, params, EVP_PKEY_KEY_PARAMETERS);
	if (k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_FFC_P, &p) > 0 &&
	    BN_bn2binpad(p, out, (int)r->pub_len) == (int)r->pub_len)
		rc = 0;
	BN_free(p);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return rc;
}
