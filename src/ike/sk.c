/* SK and SKF payload protection (RFC 7296 3.14, RFC 5282, RFC 7634 3, RFC 7383 2.5); see sk.h
 * for the layout, the IV policy and the order of the checks. */
#include "ike/sk.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "crypto/cipher.h"
#include "lib/rw.h"
#include "lib/util.h"

#define IKE_HDR_LENGTH_OFF 24 /* RFC 7296 3.1: Length, the last field of the IKE header */

#define IKE_SK_ERR_NAME(n, s) [IKE_SK_ERR_##n] = s,
static const char *const err_names[] = { IKE_SK_ERRORS(IKE_SK_ERR_NAME) };
#undef IKE_SK_ERR_NAME

const char *ike_sk_err_name(enum ike_sk_err err)
{
	if ((unsigned)err >= ARRAY_SIZE(err_names) || !err_names[err])
		return "?";
	return err_names[err];
}

/* The encryption transforms IKE may use here: ENCR_NULL is not for IKE (IANA "IKEv2 Transform
 * Type 1"), GMAC encrypts nothing and RFC 5282 does not define it for the SK payload. */
static bool encr_ok(uint16_t encr)
{
	switch (encr) {
	case ENCR_AES_CBC:
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

static enum ike_sk_err errno_to_sk(int rc)
{
	switch (rc) {
	case 0:
		return IKE_SK_OK;
	case -EINVAL:
		return IKE_SK_ERR_INVALID;
	case -ENOTSUP:
		return IKE_SK_ERR_UNSUPPORTED;
	case -ENOMEM:
		return IKE_SK_ERR_NO_MEMORY;
	case -EBADMSG:
		return IKE_SK_ERR_BAD_ICV;
	default:
		return IKE_SK_ERR_CRYPTO;
	}
}

enum ike_sk_err ike_sk_init(struct ike_sk *s, uint16_t encr, uint16_t encr_bits, uint16_t integ,
			    const uint8_t *sk_e, size_t sk_e_len, const uint8_t *sk_a,
			    size_t sk_a_len, bool protect)
{
	const struct xcipher_desc *d;
	int rc;

	if (!s)
		return IKE_SK_ERR_INVALID;
	memset(s, 0, sizeof(*s));
	if (!encr_ok(encr))
		return IKE_SK_ERR_UNSUPPORTED;
	rc = xcipher_new(&s->xc, encr, encr_bits, integ, sk_e, sk_e_len, sk_a, sk_a_len, protect);
	if (rc < 0)
		return errno_to_sk(rc);
	d = xcipher_desc(s->xc);
	s->protect = protect;
	s->aead = d->aead;
	s->iv_len = d->iv_len;
	s->icv_len = d->icv_len;
	s->block = d->block;
	s->iv_next = 1;
	return IKE_SK_OK;
}

enum ike_sk_err ike_sk_init_pair(struct ike_sk *out, struct ike_sk *in, uint16_t encr,
				 uint16_t encr_bits, uint16_t integ, const struct ike_sa_keys *k,
				 bool initiator)
{
	/* RFC 7296 2.14: SK_ai/SK_ei protect what the initiator sends, SK_ar/SK_er the
	 * responder's messages. */
	const uint8_t *e_tx = initiator ? k->ei : k->er, *a_tx = initiator ? k->ai : k->ar;
	const uint8_t *e_rx = initiator ? k->er : k->ei, *a_rx = initiator ? k->ar : k->ai;
	enum ike_sk_err err;

	if (!out || !in || !k)
		return IKE_SK_ERR_INVALID;
	memset(in, 0, sizeof(*in));
	err = ike_sk_init(out, encr, encr_bits, integ, e_tx, k->len.e, a_tx, k->len.a, true);
	if (err)
		return err;
	err = ike_sk_init(in, encr, encr_bits, integ, e_rx, k->len.e, a_rx, k->len.a, false);
	if (err)
		ike_sk_clear(out);
	return err;
}

void ike_sk_clear(struct ike_sk *s)
{
	if (!s)
		return;
	xcipher_free(s->xc);
	wipe(s, sizeof(*s));
}

/* RFC 7296 3.14: payloads | Padding | Pad Length is a multiple of the block size. */
static size_t pad_len(size_t block, size_t plain_len)
{
	return (block - (plain_len + 1) % block) % block;
}

size_t ike_sk_overhead(const struct ike_sk *s, size_t plain_len, bool skf)
{
	if (!s || !s->xc)
		return 0;
	return (skf ? IKEV2_SKF_HDR_LEN : IKEV2_PLD_HDR_LEN) + s->iv_len +
	       pad_len(s->block, plain_len) + 1 + s->icv_len;
}

/* The SK(F) header must sit after the IKE header and be 4 (SK) or 8 (SKF) octets long. */
static bool sk_hdr_ok(const struct ikev2_sk *sk)
{
	size_t hl;

	if (sk->pld_off < IKEV2_HDR_LEN || sk->body_off < sk->pld_off)
		return false;
	hl = sk->body_off - sk->pld_off;
	return hl == IKEV2_PLD_HDR_LEN || hl == IKEV2_SKF_HDR_LEN;
}

/* Write the IV: random for CBC, the next counter value for the AEADs (see sk.h). */
static enum ike_sk_err iv_write(struct ike_sk *s, uint8_t *iv)
{
	uint64_t ctr = 0;

	if (s->aead) {
		if (s->iv_next == UINT64_MAX || s->iv_next == 0)
			return IKE_SK_ERR_IV_EXHAUSTED;
		ctr = s->iv_next++; /* consumed even if the seal fails below */
	}
	return xcipher_gen_iv(s->xc, ctr, iv) < 0 ? IKE_SK_ERR_CRYPTO : IKE_SK_OK;
}

/* Encrypt [plain, plain + enc_len) in place and write the ICV right after it. */
static enum ike_sk_err seal(struct ike_sk *s, uint8_t *buf, const struct ikev2_sk *sk, size_t plain,
			    size_t enc_len)
{
	const uint8_t *iv = buf + sk->body_off;
	uint8_t *data = buf + plain, *icv = buf + plain + enc_len;
	int rc;

	if (s->aead) {
		/* RFC 5282 5.1, RFC 7383 2.5.3: AAD = IKE header .. SK(F) generic header. */
		struct xc_piece aad = { buf, sk->body_off };

		rc = xcipher_seal(s->xc, &aad, 1, iv, data, enc_len, icv);
	} else {
		/* RFC 7296 3.14: the checksum covers the message from the IKE header through
		 * the Pad Length, after encryption. */
		struct xc_piece all = { buf, plain + enc_len };

		rc = xcipher_encrypt(s->xc, iv, data, enc_len);
		if (rc == 0)
			rc = xcipher_mac(s->xc, &all, 1, icv);
	}
	return rc < 0 ? IKE_SK_ERR_CRYPTO : IKE_SK_OK;
}

enum ike_sk_err ike_sk_protect(struct ike_sk *s, uint8_t *buf, size_t cap,
			       const struct ikev2_sk *sk, uint8_t first, size_t plain_len,
			       size_t *msg_len)
{
	size_t plain, pad, enc_len, total;
	enum ike_sk_err err;

	if (msg_len)
		*msg_len = 0;
	if (!s || !s->xc || !s->protect || !buf || !sk || !msg_len || !sk_hdr_ok(sk))
		return IKE_SK_ERR_INVALID;
	plain = sk->body_off + s->iv_len;
	if (plain > cap || plain_len > cap - plain)
		return IKE_SK_ERR_NO_SPACE;
	pad = pad_len(s->block, plain_len);
	enc_len = plain_len + pad + 1;
	if (cap - plain - plain_len < pad + 1 + s->icv_len)
		return IKE_SK_ERR_NO_SPACE;
	total = plain + enc_len + s->icv_len;
	if (total - sk->pld_off > UINT16_MAX || total > UINT32_MAX)
		return IKE_SK_ERR_TOO_LONG;

	/* RFC 7296 3.14: Padding (any value; zero here) and Pad Length. */
	memset(buf + plain + plain_len, 0, pad);
	buf[plain + plain_len + pad] = (uint8_t)pad;
	/* Lengths first: both are inside the ICV or the AAD. */
	buf[sk->pld_off] = first;
	put_be16(buf + sk->pld_off + 2, (uint16_t)(total - sk->pld_off));
	put_be32(buf + IKE_HDR_LENGTH_OFF, (uint32_t)total);

	err = iv_write(s, buf + sk->body_off);
	if (err)
		return err;
	err = seal(s, buf, sk, plain, enc_len);
	if (err)
		return err;
	*msg_len = total;
	return IKE_SK_OK;
}

static enum ike_sk_err begin(const struct ike_sk *s, struct ikev2_wr *b, struct ike_sk_msg *m,
			     bool skf, uint16_t num, uint16_t total)
{
	uint8_t *iv;
	size_t off;

	if (!s || !s->xc || !s->protect || !b || !m || b->inner)
		return IKE_SK_ERR_INVALID;
	memset(m, 0, sizeof(*m));
	if (skf)
		iv = ikev2_put_skf(b, IKEV2_PLD_NONE, num, total, s->iv_len, &m->sk);
	else
		iv = ikev2_put_sk(b, IKEV2_PLD_NONE, s->iv_len, &m->sk);
	if (!wr_ok(&b->w) || !iv)
		return IKE_SK_ERR_NO_SPACE;
	if (b->err)
		return IKE_SK_ERR_TOO_LONG;
	memset(iv, 0, s->iv_len);
	m->buf = b->w.buf;
	m->cap = b->w.cap;
	off = wr_len(&b->w);
	ikev2_wr_init_inner(&m->inner, m->buf + off, m->cap - off);
	return IKE_SK_OK;
}

enum ike_sk_err ike_sk_begin(const struct ike_sk *s, struct ikev2_wr *b, struct ike_sk_msg *m)
{
	return begin(s, b, m, false, 0, 0);
}

enum ike_sk_err ike_sk_begin_skf(const struct ike_sk *s, struct ikev2_wr *b, uint16_t num,
				 uint16_t total, struct ike_sk_msg *m)
{
	/* RFC 7383 2.5: fragments are numbered from 1 to Total Fragments. */
	if (num == 0 || num > total)
		return IKE_SK_ERR_INVALID;
	return begin(s, b, m, true, num, total);
}

enum ike_sk_err ike_sk_end_first(struct ike_sk *s, struct ike_sk_msg *m, uint8_t first,
				 size_t *msg_len)
{
	size_t plain_len;

	if (msg_len)
		*msg_len = 0;
	if (!m || !m->buf)
		return IKE_SK_ERR_INVALID;
	switch (ikev2_wr_finish(&m->inner, &plain_len)) {
	case IKEV2_OK:
		break;
	case IKEV2_ERR_NO_SPACE:
		return IKE_SK_ERR_NO_SPACE;
	default:
		return IKE_SK_ERR_TOO_LONG;
	}
	return ike_sk_protect(s, m->buf, m->cap, &m->sk, first, plain_len, msg_len);
}

enum ike_sk_err ike_sk_end(struct ike_sk *s, struct ike_sk_msg *m, size_t *msg_len)
{
	if (!m)
		return IKE_SK_ERR_INVALID;
	/* The inner writer recorded the first payload's type when it opened it. */
	return ike_sk_end_first(s, m, m->inner.first, msg_len);
}

/* Check sk against the received octets; the parser did, but sk is the caller's struct. */
static enum ike_sk_err open_layout(const struct ike_sk *s, const uint8_t *buf, size_t len,
				   const struct ikev2_sk *sk)
{
	if (len < IKEV2_HDR_LEN)
		return IKE_SK_ERR_TRUNCATED;
	if (get_be32(buf + IKE_HDR_LENGTH_OFF) != len)
		return IKE_SK_ERR_BAD_LENGTH;
	if (!sk_hdr_ok(sk) || sk->body_off > len || sk->body_len != len - sk->body_off)
		return IKE_SK_ERR_INVALID;
	/* RFC 7296 3.14: SK is the last payload, so it runs to the end of the message. */
	if (get_be16(buf + sk->pld_off + 2) != len - sk->pld_off)
		return IKE_SK_ERR_BAD_LENGTH;
	/* The IV, at least one block holding the Pad Length, the ICV. */
	if (sk->body_len < s->iv_len + s->block + s->icv_len)
		return IKE_SK_ERR_TRUNCATED;
	if ((sk->body_len - s->iv_len - s->icv_len) % s->block)
		return IKE_SK_ERR_BAD_BLOCK;
	return IKE_SK_OK;
}

enum ike_sk_err ike_sk_open(const struct ike_sk *s, uint8_t *buf, size_t len,
			    const struct ikev2_sk *sk, struct ike_sk_plain *p)
{
	size_t plain, ct_len, icv_off;
	const uint8_t *iv;
	enum ike_sk_err err;
	uint8_t pad;
	int rc;

	if (!s || !s->xc || s->protect || !buf || !sk || !p)
		return IKE_SK_ERR_INVALID;
	memset(p, 0, sizeof(*p));
	err = open_layout(s, buf, len, sk);
	if (err)
		return err;
	iv = buf + sk->body_off;
	plain = sk->body_off + s->iv_len;
	icv_off = len - s->icv_len;
	ct_len = icv_off - plain;

	if (s->aead) {
		/* RFC 5282 5.1, RFC 7383 2.5.3 */
		struct xc_piece aad = { buf, sk->body_off };

		rc = xcipher_open(s->xc, &aad, 1, iv, buf + plain, ct_len, buf + icv_off);
		if (rc == -EBADMSG) /* OpenSSL decrypted before it checked the tag */
			wipe(buf + plain, ct_len);
	} else {
		/* RFC 7296 3.14: verify the checksum over header .. Pad Length first, in
		 * constant time; decrypt only an authentic message. */
		struct xc_piece all = { buf, icv_off };

		rc = xcipher_mac_verify(s->xc, &all, 1, buf + icv_off);
		if (rc == 0)
			rc = xcipher_decrypt(s->xc, iv, buf + plain, ct_len);
	}
	if (rc < 0)
		return rc == -EBADMSG ? IKE_SK_ERR_BAD_ICV : IKE_SK_ERR_CRYPTO;
	/* RFC 7296 3.14: the Pad Length octet ends the plaintext; the padding fits before it. */
	pad = buf[icv_off - 1];
	if ((size_t)pad + 1 > ct_len)
		return IKE_SK_ERR_BAD_PAD;
	p->off = plain;
	p->len = ct_len - 1 - pad;
	p->first = buf[sk->pld_off];
	return IKE_SK_OK;
}
