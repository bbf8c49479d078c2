/* Keyed cipher state for one direction of one SA (OpenSSL EVP, keyed once, reused for every
 * packet). Transform ids are IKEv2's (RFC 7296 3.3.2 / IANA), so IKE and manual keying speak
 * the same numbers. The full interface is defined by the crypto module; sa.c only creates and
 * frees. */
#ifndef ESPRIT_CRYPTO_CIPHER_H
#define ESPRIT_CRYPTO_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IKEv2 Transform Type 1 (encryption) ids used for ESP. */
enum encr_id {
	ENCR_NULL = 11,
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_8 = 18,
	ENCR_AES_GCM_12 = 19,
	ENCR_AES_GCM_16 = 20,
	ENCR_NULL_AUTH_AES_GMAC = 21,
	ENCR_CHACHA20_POLY1305 = 28,
};

/* IKEv2 Transform Type 3 (integrity) ids. */
enum integ_id {
	AUTH_NONE = 0,
	AUTH_HMAC_SHA1_96 = 2,
	AUTH_HMAC_SHA2_256_128 = 12,
	AUTH_HMAC_SHA2_384_192 = 13,
	AUTH_HMAC_SHA2_512_256 = 14,
};

struct xcipher;

/* Key a cipher for one direction. encr_key includes the 4-octet salt for GCM, GMAC and
 * ChaCha20-Poly1305 (RFC 4106 8.1, RFC 4543 3.2, RFC 7634 2). integ is AUTH_NONE with the
 * combined-mode (AEAD) ciphers and must not be with the others, except ENCR_NULL for AH where
 * encr is 0. Returns 0, -EINVAL (bad lengths or combination), -ENOTSUP, -ENOMEM. */
int xcipher_new(struct xcipher **out, uint16_t encr, uint16_t encr_bits, uint16_t integ,
		const uint8_t *encr_key, size_t encr_key_len, const uint8_t *integ_key,
		size_t integ_key_len, bool encrypt);
/* Wipes every key and context, then frees. NULL is fine. */
void xcipher_free(struct xcipher *c);

#endif
