/* HMAC (RFC 2104) keyed once and computed per packet without touching the heap.
 *
 * Why not EVP_MAC: with OpenSSL 3.0, EVP_MAC_init(ctx, NULL, 0, NULL) (re-use the key) and
 * EVP_MAC_final() each copy a digest context internally (EVP_MD_CTX_copy_ex -> dupctx), which
 * is two heap allocations per packet (measured: 200 allocations for 100 MACs). Here the two
 * keyed pad states are hashed once when the key is set; each packet copies them by value.
 * The hash itself is OpenSSL's (SHA1_/SHA256_/SHA512_ functions); only the RFC 2104
 * composition H(K^opad || H(K^ipad || m)) lives here, and it is checked against RFC 2202,
 * RFC 4231, RFC 4868 vectors and against EVP_MAC in tests/unit/test_crypto_hmac.c.
 * Internal to src/crypto; the rest of the program uses cipher.h.
 */
#ifndef ESPRIT_CRYPTO_HMAC_H
#define ESPRIT_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"

#define XC_HMAC_STATE_MAX  224 /* >= sizeof(SHA512_CTX), checked in hmac.c */
#define XC_HMAC_DIGEST_MAX 64

enum xc_hash { XC_SHA1 = 1, XC_SHA256, XC_SHA384, XC_SHA512 };

struct xc_hmac {
	enum xc_hash hash;
	size_t digest_len; /* full hash output */
	/* Hash states after absorbing K^ipad and K^opad (RFC 2104 2), 8-byte aligned. */
	uint64_t inner[XC_HMAC_STATE_MAX / 8];
	uint64_t outer[XC_HMAC_STATE_MAX / 8];
};

/* Key h with any key length (keys longer than the hash block are hashed first, RFC 2104 2).
 * 0 or -EINVAL (unknown hash, NULL key with a length). */
int xc_hmac_init(struct xc_hmac *h, enum xc_hash hash, const uint8_t *key, size_t key_len);
/* Full-length HMAC over in[0..n) concatenated; out gets h->digest_len octets. */
void xc_hmac_compute(const struct xc_hmac *h, const struct xc_piece *in, size_t n, uint8_t *out);
/* Wipe the keyed states. */
void xc_hmac_wipe(struct xc_hmac *h);

#endif
