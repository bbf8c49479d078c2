/* HMAC (RFC 2104) through OpenSSL's EVP_MAC, keyed once per SA and reused for every packet.
 *
 * The key is set once in xc_hmac_init(); each packet re-initialises the context with a NULL
 * key, which makes OpenSSL restart from the keyed inner state it kept. Note: with OpenSSL 3.0
 * that restart and EVP_MAC_final() each duplicate a digest context inside libcrypto (two small
 * heap allocations per MAC, measured: 200 for 100 MACs). We accept that rather than composing
 * HMAC ourselves from the deprecated SHA*_ functions: every primitive stays OpenSSL's EVP.
 * Internal to src/crypto; the rest of the program uses cipher.h.
 */
#ifndef ESPRIT_CRYPTO_HMAC_H
#define ESPRIT_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/cipher.h"

#define XC_HMAC_DIGEST_MAX 64

enum xc_hash { XC_SHA1 = 1, XC_SHA256, XC_SHA384, XC_SHA512 };

struct xc_hmac {
	enum xc_hash hash;
	size_t digest_len; /* full hash output */
	EVP_MAC_CTX *ctx;  /* keyed */
};

/* Key h with any key length. 0, -EINVAL (unknown hash, NULL key with a length) or -ENOMEM. */
int xc_hmac_init(struct xc_hmac *h, enum xc_hash hash, const uint8_t *key, size_t key_len);
/* Full-length HMAC over in[0..n) concatenated; out gets h->digest_len octets. 0 or -EIO. */
int xc_hmac_compute(struct xc_hmac *h, const struct xc_piece *in, size_t n, uint8_t *out);
/* Free the keyed context (OpenSSL cleanses the key state) and clear h. */
void xc_hmac_wipe(struct xc_hmac *h);

#endif
