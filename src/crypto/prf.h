/* IKEv2 pseudo-random functions (Transform Type 2) and prf+ (RFC 7296 2.13).
 *
 * The PRFs are HMACs (RFC 4868 for SHA-2, RFC 2104 for SHA-1) over the allocation-free HMAC of
 * hmac.c. OpenSSL 3.0 has no IKEv2 KDF, so prf+ is composed here:
 *
 *     prf+ (K,S) = T1 | T2 | T3 | ...
 *     T1 = prf (K, S | 0x01),  Tn = prf (K, Tn-1 | S | n)
 *
 * Keys of any length are accepted: RFC 7296 2.13 says an HMAC PRF takes its key as is (longer
 * keys are hashed, RFC 2104), which is how SKEYSEED = prf(Ni | Nr, g^ir) can use the whole
 * Ni | Nr as key. Inputs are given as pieces so callers never concatenate messages.
 */
#ifndef ESPRIT_CRYPTO_PRF_H
#define ESPRIT_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h" /* struct xc_piece */

/* IKEv2 Transform Type 2 ids (RFC 7296 3.3.2, RFC 4868 2.4). */
enum prf_id {
	PRF_HMAC_SHA1 = 2, /* legacy peers only */
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
};

#define PRF_OUT_MAX 64 /* SHA-512 */
/* RFC 7296 2.13: prf+ is not defined beyond 255 blocks. */
#define PRF_PLUS_BLOCKS_MAX 255

/* Output length of prf in octets (20/32/48/64), 0 for an unknown id. For these HMAC PRFs the
 * preferred key length is the same (RFC 4868 2.4): SK_d, SK_pi, SK_pr are this long. */
size_t prf_len(uint16_t prf);
/* "prf-hmac-sha256" ...; "unknown" for other ids. */
const char *prf_name(uint16_t prf);

/* out = prf(key, in[0] | in[1] | ... | in[n-1]); out gets prf_len(prf) octets.
 * 0, or -EINVAL (unknown prf, NULL out, NULL key with a length). */
int prf_compute(uint16_t prf, const uint8_t *key, size_t key_len, const struct xc_piece *in,
		size_t n, uint8_t *out);

/* out[0..out_len) = the first out_len octets of prf+(key, seed[0] | ... | seed[n-1]).
 * 0, or -EINVAL (unknown prf, NULL pointers, out_len over 255 * prf_len). out_len 0 is fine. */
int prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const struct xc_piece *seed,
	     size_t n, uint8_t *out, size_t out_len);

#endif
