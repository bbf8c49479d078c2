/* IKEv2 key exchange (Transform Type 4) over OpenSSL 3 EVP: MODP groups 14 and 15 (RFC 3526),
 * ECP groups 19, 20, 21 (RFC 5903) and Curve25519, group 31 (RFC 8031).
 *
 * A struct dh holds our ephemeral key pair for one exchange. Public values travel in the IKE
 * KE payload format (RFC 7296 3.4 and the group's RFC):
 *   MODP:   y = g^x mod p, big-endian, zero-padded to the length of p (RFC 7296 2.14)
 *   ECP:    x | y, each padded to the field size, no 0x04 prefix (RFC 5903 7)
 *   X25519: the 32-octet u coordinate (RFC 8031 2, RFC 7748 5)
 * and the shared secret g^ir is, likewise, padded to the length of p / the x coordinate
 * only (RFC 5903 7) / the 32-octet X25519 output (RFC 8031 2).
 *
 * Received values are checked before use (RFC 6989 2.1, 2.2, 2.3; RFC 8031 2):
 *   MODP:   exact length, 1 < y < p-1
 *   ECP:    exact length, point on the curve (the point at infinity has no x | y encoding)
 *   X25519: exact length; an all-zero shared secret is refused
 * A refused value gives -EBADMSG, so the caller can answer INVALID_SYNTAX / drop the exchange.
 *
 * Private keys live only inside OpenSSL's EVP_PKEY (freed with clearing by dh_free()); shared
 * secrets are written to the caller's buffer, which the caller wipes after key derivation.
 */
#ifndef ESPRIT_CRYPTO_DH_H
#define ESPRIT_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

/* IKEv2 Transform Type 4 (Key Exchange Method) ids, RFC 7296 3.3.2 / IANA. */
enum dh_group {
	DH_MODP_2048 = 14,
	DH_MODP_3072 = 15,
	DH_ECP_256 = 19,
	DH_ECP_384 = 20,
	DH_ECP_521 = 21,
	DH_CURVE25519 = 31,
};

#define DH_PUBLIC_MAX 384 /* MODP 3072 */
#define DH_SECRET_MAX 384 /* MODP 3072 */

struct dh;

/* Octets of our/the peer's public value in a KE payload for group, 0 if unsupported. */
size_t dh_public_len(uint16_t group);
/* Octets of the shared secret g^ir, 0 if unsupported. */
size_t dh_secret_len(uint16_t group);
/* "modp2048", "ecp256", "curve25519", ...; "unknown" for other ids. */
const char *dh_name(uint16_t group);

/* Generate a fresh key pair for group. 0, -ENOTSUP (group unknown or missing in OpenSSL),
 * -ENOMEM, -EIO. */
int dh_new(struct dh **out, uint16_t group);
/* Build the pair from a known private key (test vectors, RFC 5903 8 / RFC 7748 6.1): ECP takes
 * the big-endian scalar at the group's field size, X25519 the 32-octet scalar. MODP: -ENOTSUP.
 * 0, -EINVAL (wrong length, scalar out of range), -ENOTSUP, -ENOMEM, -EIO. */
int dh_new_private(struct dh **out, uint16_t group, const uint8_t *priv, size_t len);
/* Wipes and frees. NULL is fine. */
void dh_free(struct dh *dh);

uint16_t dh_group(const struct dh *dh);
/* Our public value in KE payload format; out must hold dh_public_len() octets, which is what
 * *len gets. 0, -EINVAL (NULL or cap too small), -EIO. */
int dh_public(const struct dh *dh, uint8_t *out, size_t cap, size_t *len);
/* Check the peer's public value (see above) and compute g^ir into out (dh_secret_len()
 * octets, written to *len). 0, -EBADMSG (the peer's value is refused), -EINVAL (NULL, cap too
 * small), -ENOMEM, -EIO. On error nothing secret is left in out. */
int dh_shared(struct dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t cap,
	      size_t *len);

/* The prime p of a MODP group as OpenSSL knows it, big-endian, dh_public_len() octets (for
 * checking against RFC 3526). 0, -ENOTSUP, -EINVAL, -EIO. */
int dh_modp_prime(uint16_t group, uint8_t *out, size_t cap);

#endif
