/* HMAC over OpenSSL's EVP_MAC; see hmac.h. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto/hmac.h"
#include "lib/util.h"

static const char *hash_name(enum xc_hash hash)
{
	switch (hash) {
	case XC_SHA1:
		return "SHA1";
	case XC_SHA256:
		return "SHA2-256";
	case XC_SHA384:
		return "SHA2-384";
	case XC_SHA512:
		return "SHA2-512";
	}
	return NULL;
}

static size_t hash_digest(enum xc_hash hash)
{
	switch (hash) {
	case XC_SHA1:
		return 20;
	case XC_SHA256:
		return 32;
	case XC_SHA384:
		return 48;
	case XC_SHA512:
		return 64;
	}
	return 0;
}

int xc_hmac_init(struct xc_hmac *h, enum xc_hash hash, const uint8_t *key, size_t key_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[2];
	const char *name;
	EVP_MAC *mac;

	if (!h)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	name = hash_name(hash);
	if (!name || (!key && key_len))
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -ENOMEM;
	h->ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (!h->ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is legal HMAC (RFC 2104 allows any length); EVP wants a pointer. */
	if (EVP_MAC_init(h->ctx, key_len ? key : empty, key_len, params) != 1) {
		xc_hmac_wipe(h);
		return -EINVAL;
	}
	h->hash = hash;
	h->digest_len = hash_digest(hash);
	return 0;
}

int xc_hmac_compute(struct xc_hmac *h, const struct xc_piece *in, size_t n, uint8_t *out)
{
	size_t len = 0;

	/* A NULL key restarts from the keyed state set in xc_hmac_init(). */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (in[i].n && EVP_MAC_update(h->ctx, in[i].p, in[i].n) != 1)
			return -EIO;
	if (EVP_MAC_final(h->ctx, out, &len, XC_HMAC_DIGEST_MAX) != 1 || len != h->digest_len)
		return -EIO;
	return 0;
}

void xc_hmac_wipe(struct xc_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx);
	wipe(h, sizeof(*h));
}
