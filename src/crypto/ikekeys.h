/* IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18) and the pre-shared-key AUTH value (2.15).
 *
 *   SKEYSEED         = prf(Ni | Nr, g^ir)                                  (2.14)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *                    = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)               (2.14)
 *   SKEYSEED (rekey) = prf(SK_d (old), g^ir (new) | Ni | Nr)               (2.18)
 *   KEYMAT           = prf+(SK_d, [g^ir (new) |] Ni | Nr)                  (2.17)
 *   AUTH (PSK)       = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)  (2.15)
 *   SignedOctets     = RealMessage | Nonce of the peer | prf(SK_p, RestOfIDPayload)
 *
 * Nonces are the Nonce payload bodies, SPIs the 8 octets of the IKE header, g^ir as dh.h gives
 * it. Lengths of nonces (16..256, 2.10) are the message parser's business: the NIST vectors
 * use 8-octet ones. Every key buffer is the caller's and is wiped by ikekeys_*_wipe().
 */
#ifndef ESPRIT_CRYPTO_IKEKEYS_H
#define ESPRIT_CRYPTO_IKEKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"

#define IKE_SPI_LEN	  8
#define IKE_NONCE_MAX	  256 /* RFC 7296 2.10 */
#define IKEKEYS_ENCR_MAX  36  /* AES-256-GCM / ChaCha20-Poly1305 key + 4-octet salt */
#define IKEKEYS_INTEG_MAX 64  /* HMAC-SHA2-512 */
#define IKEAUTH_KEY_PAD	  "Key Pad for IKEv2" /* RFC 7296 2.15, 17 octets, no NUL */

/* Key lengths of one IKE SA (2.14): SK_d/SK_pi/SK_pr follow the PRF; SK_a* the integrity
 * transform (0 with an AEAD); SK_e* the encryption transform, salt included for AEADs
 * (RFC 5282 7.1 GCM, RFC 7634 2 ChaCha20-Poly1305). */
struct ike_key_lens {
	size_t d, a, e, p;
};

struct ike_sa_keys {
	uint16_t prf;
	struct ike_key_lens len;
	uint8_t d[PRF_OUT_MAX];
	uint8_t ai[IKEKEYS_INTEG_MAX], ar[IKEKEYS_INTEG_MAX];
	uint8_t ei[IKEKEYS_ENCR_MAX], er[IKEKEYS_ENCR_MAX];
	uint8_t pi[PRF_OUT_MAX], pr[PRF_OUT_MAX];
};

/* KEYMAT of one Child SA (2.17), split per direction: initiator-to-responder keys first, and
 * within one direction the encryption key before the integrity key. */
struct child_keys {
	size_t encr_len, integ_len;
	uint8_t encr_i[IKEKEYS_ENCR_MAX], integ_i[IKEKEYS_INTEG_MAX]; /* initiator -> responder */
	uint8_t encr_r[IKEKEYS_ENCR_MAX], integ_r[IKEKEYS_INTEG_MAX]; /* responder -> initiator */
};

/* Lengths for an IKE SA from its transforms: encr/encr_bits as in cipher.h (ENCR_AES_CBC,
 * ENCR_AES_GCM_*, ENCR_CHACHA20_POLY1305), integ AUTH_NONE with the AEADs and an HMAC
 * otherwise. ENCR_NULL and GMAC are refused (IKE messages must be encrypted, RFC 7296 3.14).
 * 0 or -EINVAL. */
int ikekeys_lens(uint16_t prf, uint16_t encr, uint16_t encr_bits, uint16_t integ,
		 struct ike_key_lens *out);

/* SKEYSEED = prf(Ni | Nr, g^ir); out gets prf_len(prf) octets. 0 or -EINVAL (also for a nonce
 * over IKE_NONCE_MAX octets). */
int ikekeys_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		     size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out);
/* Rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the nonces of the
 * CREATE_CHILD_SA exchange; out gets prf_len(prf) octets. prf is the OLD IKE SA's PRF ("it is
 * the old IKE SA's PRF that is used to generate SKEYSEED", 2.18); ikekeys_derive() then takes
 * the new SA's PRF and SPIs. 0 or -EINVAL. */
int ikekeys_skeyseed_rekey(uint16_t prf, const uint8_t *sk_d_old, size_t sk_d_len,
			   const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len, uint8_t *out);
/* The seven IKE SA keys from SKEYSEED. 0 or -EINVAL (lengths beyond the buffers). */
int ikekeys_derive(struct ike_sa_keys *k, uint16_t prf, const struct ike_key_lens *lens,
		   const uint8_t *skeyseed, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		   size_t nr_len, const uint8_t spi_i[IKE_SPI_LEN],
		   const uint8_t spi_r[IKE_SPI_LEN]);
/* Child SA KEYMAT with SK_d; gir NULL (and gir_len 0) without PFS. encr_len and integ_len are
 * per direction (cipher.h's key_len, salt included). 0 or -EINVAL. */
int ikekeys_child(struct child_keys *k, uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		  const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		  const uint8_t *nr, size_t nr_len, size_t encr_len, size_t integ_len);
void ikekeys_sa_wipe(struct ike_sa_keys *k);
void ikekeys_child_wipe(struct child_keys *k);

/* MACedIDFor{I,R} = prf(SK_p{i,r}, RestOfIDPayload) where RestOfIDPayload is the ID payload
 * after its generic header (ID Type | RESERVED | Identification Data). out gets prf_len(prf)
 * octets. 0 or -EINVAL. */
int ikeauth_maced_id(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
		     size_t id_len, uint8_t *out);
/* Build SignedOctets = message | nonce | prf(SK_p, id_body) into out. *len gets the total.
 * 0, -EINVAL (unknown prf, NULL), -ENOSPC (cap too small). */
int ikeauth_octets(uint16_t prf, const uint8_t *msg, size_t msg_len, const uint8_t *nonce,
		   size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
		   size_t id_len, uint8_t *out, size_t cap, size_t *len);
/* AUTH = prf(prf(psk, "Key Pad for IKEv2"), octets[0] | ... | octets[n-1]); out gets
 * prf_len(prf) octets. Pass the octets as pieces (message, nonce, MACedID) to avoid copying
 * the message. 0 or -EINVAL (unknown prf, NULL, empty psk). */
int ikeauth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const struct xc_piece *octets,
		size_t n, uint8_t *out);
/* Verify a received PSK AUTH value in constant time (the comparison does not depend on where
 * the values differ). 0, -EBADMSG (mismatch or wrong length), -EINVAL. */
int ikeauth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
		       const struct xc_piece *octets, size_t n, const uint8_t *auth,
		       size_t auth_len);

#endif
