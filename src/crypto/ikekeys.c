/* IKEv2 SKEYSEED, IKE SA and Child SA keys, PSK AUTH (see ikekeys.h). */
#include <errno.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/ikekeys.h"
#include "lib/util.h"

/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr at their largest. */
#define IKE_KEYMAT_MAX	 (3 * PRF_OUT_MAX + 2 * IKEKEYS_INTEG_MAX + 2 * IKEKEYS_ENCR_MAX)
#define CHILD_KEYMAT_MAX (2 * (IKEKEYS_ENCR_MAX + IKEKEYS_INTEG_MAX))

int ikekeys_lens(uint16_t prf, uint16_t encr, uint16_t encr_bits, uint16_t integ,
		 struct ike_key_lens *out)
{
	struct xc_encr_info e;
	struct xc_integ_info i = { 0 };

	if (!out || !prf_len(prf) || xcipher_encr_info(encr, encr_bits, &e))
		return -EINVAL;
	/* RFC 7296 3.14: IKE messages after IKE_SA_INIT are encrypted; GMAC (RFC 4543) and
	 * ENCR_NULL are ESP-only. */
	if (encr == ENCR_NULL || e.gmac)
		return -EINVAL;
	/* An AEAD carries its own integrity (RFC 5282 8); anything else needs an HMAC. */
	if (e.aead != (integ == AUTH_NONE))
		return -EINVAL;
	if (integ != AUTH_NONE && xcipher_integ_info(integ, &i))
		return -EINVAL;
	if (e.key_len > IKEKEYS_ENCR_MAX || i.key_len > IKEKEYS_INTEG_MAX)
		return -EINVAL;
	out->d = out->p = prf_len(prf);
	out->a = i.key_len;
	out->e = e.key_len;
	return 0;
}

int ikekeys_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		     size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	uint8_t key[2 * IKE_NONCE_MAX];
	struct xc_piece in = { gir, gir_len };
	int rc;

	/* RFC 7296 2.14: an HMAC PRF takes all of Ni | Nr as its key (only fixed-key-size PRFs
	 * such as AES-XCBC take halves of each). */
	if (!ni || !nr || !gir || ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	rc = prf_compute(prf, key, ni_len + nr_len, &in, 1, out);
	wipe(key, sizeof(key));
	return rc;
}

int ikekeys_skeyseed_rekey(uint16_t prf, const uint8_t *sk_d_old, size_t sk_d_len,
			   const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	const struct xc_piece in[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
	if (!sk_d_old || !sk_d_len || !gir || !ni || !nr)
		return -EINVAL;
	return prf_compute(prf, sk_d_old, sk_d_len, in, 3, out);
}

/* Copy n octets from *src into dst and advance. */
static void take(uint8_t *dst, const uint8_t **src, size_t n)
{
	memcpy(dst, *src, n);
	*src += n;
}

int ikekeys_derive(struct ike_sa_keys *k, uint16_t prf, const struct ike_key_lens *lens,
		   const uint8_t *skeyseed, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		   size_t nr_len, const uint8_t spi_i[IKE_SPI_LEN],
		   const uint8_t spi_r[IKE_SPI_LEN])
{
	const struct xc_piece seed[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, IKE_SPI_LEN }, { spi_r, IKE_SPI_LEN }
	};
	uint8_t keymat[IKE_KEYMAT_MAX];
	const uint8_t *p = keymat;
	size_t total;
	int rc;

	if (!k || !lens || !skeyseed || !ni || !nr || !spi_i || !spi_r || !prf_len(prf))
		return -EINVAL;
	if (lens->d > PRF_OUT_MAX || lens->p > PRF_OUT_MAX || lens->a > IKEKEYS_INTEG_MAX ||
	    lens->e > IKEKEYS_ENCR_MAX)
		return -EINVAL;
	total = lens->d + 2 * (lens->a + lens->e + lens->p);
	/* RFC 7296 2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
	 *                = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) */
	rc = prf_plus(prf, skeyseed, prf_len(prf), seed, 4, keymat, total);
	if (rc)
		goto out;
	memset(k, 0, sizeof(*k));
	k->prf = prf;
	k->len = *lens;
	take(k->d, &p, lens->d);
	take(k->ai, &p, lens->a);
	take(k->ar, &p, lens->a);
	take(k->ei, &p, lens->e);
	take(k->er, &p, lens->e);
	take(k->pi, &p, lens->p);
	take(k->pr, &p, lens->p);
out:
	wipe(keymat, sizeof(keymat));
	return rc;
}

int ikekeys_child(struct child_keys *k, uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		  const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		  const uint8_t *nr, size_t nr_len, size_t encr_len, size_t integ_len)
{
	const struct xc_piece seed[3] = { { gir, gir ? gir_len : 0 },
					  { ni, ni_len },
					  { nr, nr_len } };
	uint8_t keymat[CHILD_KEYMAT_MAX];
	const uint8_t *p = keymat;
	int rc;

	if (!k || !sk_d || !sk_d_len || !ni || !nr || (!gir && gir_len))
		return -EINVAL;
	if (encr_len > IKEKEYS_ENCR_MAX || integ_len > IKEKEYS_INTEG_MAX || !(encr_len + integ_len))
		return -EINVAL;
	/* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
	rc = prf_plus(prf, sk_d, sk_d_len, seed, 3, keymat, 2 * (encr_len + integ_len));
	if (rc)
		goto out;
	memset(k, 0, sizeof(*k));
	k->encr_len = encr_len;
	k->integ_len = integ_len;
	/* RFC 7296 2.17: initiator-to-responder keys first; in each direction "encryption
	 * key(s) MUST be taken from the first bits and the integrity key(s) from the
	 * remaining bits". */
	take(k->encr_i, &p, encr_len);
	take(k->integ_i, &p, integ_len);
	take(k->encr_r, &p, encr_len);
	take(k->integ_r, &p, integ_len);
out:
	wipe(keymat, sizeof(keymat));
	return rc;
}

void ikekeys_sa_wipe(struct ike_sa_keys *k)
{
	wipe(k, k ? sizeof(*k) : 0);
}

void ikekeys_child_wipe(struct child_keys *k)
{
	wipe(k, k ? sizeof(*k) : 0);
}

int ikeauth_maced_id(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
		     size_t id_len, uint8_t *out)
{
	const struct xc_piece in = { id_body, id_len };

	/* RFC 7296 2.15: MACedIDForI = prf(SK_pi, RestOfInitIDPayload). */
	if (!sk_p || !id_body)
		return -EINVAL;
	return prf_compute(prf, sk_p, sk_p_len, &in, 1, out);
}

int ikeauth_octets(uint16_t prf, const uint8_t *msg, size_t msg_len, const uint8_t *nonce,
		   size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
		   size_t id_len, uint8_t *out, size_t cap, size_t *len)
{
	size_t plen = prf_len(prf);
	int rc;

	if (!plen || !msg || !nonce || !out || !len)
		return -EINVAL;
	if (msg_len > cap || nonce_len > cap - msg_len || plen > cap - msg_len - nonce_len)
		return -ENOSPC;
	/* RFC 7296 2.15: InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI. */
	rc = ikeauth_maced_id(prf, sk_p, sk_p_len, id_body, id_len, out + msg_len + nonce_len);
	if (rc)
		return rc;
	memmove(out, msg, msg_len);
	memcpy(out + msg_len, nonce, nonce_len);
	*len = msg_len + nonce_len + plen;
	return 0;
}

int ikeauth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const struct xc_piece *octets,
		size_t n, uint8_t *out)
{
	static const uint8_t pad[] = IKEAUTH_KEY_PAD;
	const struct xc_piece key_pad = { pad, sizeof(pad) - 1 };
	uint8_t k[PRF_OUT_MAX];
	int rc;

	if (!psk || !psk_len || !out)
		return -EINVAL;
	/* RFC 7296 2.15: AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>);
	 * the pad string has no terminating NUL. */
	rc = prf_compute(prf, psk, psk_len, &key_pad, 1, k);
	if (!rc)
		rc = prf_compute(prf, k, prf_len(prf), octets, n, out);
	wipe(k, sizeof(k));
	return rc;
}

int ikeauth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
		       const struct xc_piece *octets, size_t n, const uint8_t *auth,
		       size_t auth_len)
{
	uint8_t want[PRF_OUT_MAX];
	int rc;

	if (!auth)
		return -EINVAL;
	rc = ikeauth_psk(prf, psk, psk_len, octets, n, want);
	if (rc)
		return rc;
	/* The length is public (it follows from the negotiated PRF); the contents are compared
	 * without an early exit. */
	rc = auth_len == prf_len(prf) && ct_equal(want, auth, auth_len) ? 0 : -EBADMSG;
	wipe(want, sizeof(want));
	return rc;
}
