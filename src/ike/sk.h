/* The Encrypted and Authenticated payload (SK, RFC 7296 3.14) and its fragment (SKF, RFC 7383
 * 2.5): protecting an IKE message built by the codec (wire/ikev2.h) and opening a received one.
 *
 * One struct ike_sk per IKE SA and direction, keyed from SK_e and SK_a (ikekeys.h) on an
 * xcipher (cipher.h): no crypto of its own. After protection the SK payload reads
 *
 *   SK generic header (4 octets; SKF: 8 with Fragment Number and Total Fragments)
 *   IV             CBC: 16 random octets (RFC 7296 3.14: unpredictable, xcipher_gen_iv)
 *                  AES-GCM, ChaCha20-Poly1305: 8 octets, a 64-bit per-context counter
 *   ciphertext     E(inner payloads | padding | Pad Length)
 *   ICV            CBC: HMAC truncated (RFC 4868) over the message from the IKE header
 *                  through Pad Length (RFC 7296 3.14), ciphertext included;
 *                  AEAD: the tag; the associated data is the message from the first octet
 *                  of the IKE header through the last octet of the SK(F) generic header
 *                  (RFC 5282 5.1, RFC 7383 2.5.3): the IKE header and the SK header (32
 *                  octets, RFC 7634 3) when SK is the only payload, as it is in practice, and
 *                  any unencrypted payload in between when there is one.
 *
 * AEAD IVs: RFC 5282 / RFC 7634 need a nonce that never repeats under one key. The message ID
 * is not enough: a request whose content changes (a new COOKIE, another KE group, a response
 * rebuilt after a lost message) would be sealed twice under one ID. So each protecting context
 * carries a 64-bit counter (ike_sk.iv_next) starting at 1, consumed by every seal, even one
 * that fails afterwards; SK_ei and SK_er are distinct keys, so one counter per direction
 * suffices. At 2^64-1 protect refuses (IKE_SK_ERR_IV_EXHAUSTED): the SA must be rekeyed long
 * before. Retransmissions resend the stored protected bytes (RFC 7296 2.1) without a new seal.
 *
 * Padding on send: the minimum that makes payloads | padding | Pad Length a multiple of the
 * cipher block (RFC 7296 3.14): 16 for CBC; the AEADs are stream modes with a block of one
 * octet, so they get none. Pad octets are zero. On receipt any padding that fits is
 * accepted (RFC 7296 3.14).
 *
 * Opening checks the ICV before decrypting anything (CBC+HMAC, in constant time), or lets the
 * AEAD check its tag, then the Pad Length; it never changes the context. The plaintext is
 * left in place in the caller's buffer: ikev2_inner_parse(buf + p.off, p.len, p.first, &msg).
 * After an AEAD tag failure the ciphertext area has been overwritten (OpenSSL decrypts before
 * it checks): it is wiped, so no unauthenticated plaintext stays behind. A CBC message with
 * a bad ICV is left untouched.
 */
#ifndef ESPRIT_IKE_SK_H
#define ESPRIT_IKE_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ikekeys.h"
#include "wire/ikev2.h"

struct xcipher;

/* Results of every call; names from ike_sk_err_name(). */
#define IKE_SK_ERRORS(X)                                                                    \
	X(OK, "ok")                                                                         \
	X(INVALID, "invalid argument")		/* NULL, wrong context direction, layout */ \
	X(UNSUPPORTED, "unsupported transform") /* not an IKE encryption/integrity pair */  \
	X(NO_MEMORY, "out of memory")                                                       \
	X(NO_SPACE, "buffer too small")                                                     \
	X(TOO_LONG, "message too long")		    /* SK payload over 65535 octets */      \
	X(TRUNCATED, "truncated")		    /* shorter than IV + one block + ICV */ \
	X(BAD_LENGTH, "bad length")		    /* a length field disagrees */          \
	X(BAD_BLOCK, "ciphertext not whole blocks") /* CBC */                               \
	X(BAD_ICV, "integrity check failed")                                                \
	X(BAD_PAD, "bad pad length")                                                        \
	X(IV_EXHAUSTED, "IV counter exhausted")                                             \
	X(CRYPTO, "crypto library failure")

#define IKE_SK_ERR_ENUM(n, s) IKE_SK_ERR_##n,
enum ike_sk_err { IKE_SK_ERRORS(IKE_SK_ERR_ENUM) IKE_SK_ERR_MAX };
#undef IKE_SK_ERR_ENUM
#define IKE_SK_OK IKE_SK_ERR_OK

const char *ike_sk_err_name(enum ike_sk_err err);

/* One direction of one IKE SA. Plain struct: ike_sk_init() fills it (over a zeroed or cleared
 * one: it does not free an earlier key), ike_sk_clear() wipes. */
struct ike_sk {
	struct xcipher *xc;
	bool protect;	  /* true: outbound (protect), false: inbound (open) */
	bool aead;	  /* AES-GCM or ChaCha20-Poly1305 */
	size_t iv_len;	  /* 16 CBC, 8 AEAD */
	size_t icv_len;	  /* truncated HMAC or tag */
	size_t block;	  /* 16 CBC, 1 AEAD */
	uint64_t iv_next; /* AEAD, protect only: the next IV counter value */
};

/* Key one direction. encr/encr_bits/integ as in cipher.h: ENCR_AES_CBC with an HMAC, or
 * ENCR_AES_GCM_{8,12,16} / ENCR_CHACHA20_POLY1305 with AUTH_NONE and no integrity key. sk_e
 * includes the 4-octet salt for the AEADs (its last octets, RFC 5282 7.1, RFC 7634 2).
 * ENCR_NULL and AES-GMAC are refused: IKE messages are always encrypted. Key buffers are only
 * read. IKE_SK_OK, _INVALID (lengths), _UNSUPPORTED, _NO_MEMORY, _CRYPTO. */
enum ike_sk_err ike_sk_init(struct ike_sk *s, uint16_t encr, uint16_t encr_bits, uint16_t integ,
			    const uint8_t *sk_e, size_t sk_e_len, const uint8_t *sk_a,
			    size_t sk_a_len, bool protect);
/* Both directions of an IKE SA from its derived keys: out protects what this side sends
 * (SK_ei/SK_ai for the original initiator, SK_er/SK_ar for the responder, RFC 7296 2.14), in
 * opens what the peer sends. On failure neither is keyed. */
enum ike_sk_err ike_sk_init_pair(struct ike_sk *out, struct ike_sk *in, uint16_t encr,
				 uint16_t encr_bits, uint16_t integ, const struct ike_sa_keys *k,
				 bool initiator);
/* Wipe and free; a zeroed or already cleared struct is fine. */
void ike_sk_clear(struct ike_sk *s);

/* Octets the SK payload adds around plain_len octets of inner payloads (header, IV, padding,
 * Pad Length, ICV): for sizing buffers and fragments. skf: the 8-octet SKF header. */
size_t ike_sk_overhead(const struct ike_sk *s, size_t plain_len, bool skf);

/* Protect in place. buf[0, cap) holds the message so far: the IKE header at 0, any outer
 * payloads, then the SK or SKF generic header at sk->pld_off (sk->body_off says which: 4 or
 * 8 octets), s->iv_len octets of room for the IV at sk->body_off, and plain_len octets of
 * inner payloads right after it. first is written to the SK(F) Next Payload (RFC 7296 3.14:
 * the first inner payload; RFC 7383 2.5: 0 in fragments after the first). Adds padding, Pad
 * Length and ICV, patches the SK(F) Payload Length and the IKE header Length, writes the IV,
 * encrypts, and gives the total in *msg_len. IKE_SK_OK, _INVALID, _NO_SPACE, _TOO_LONG,
 * _IV_EXHAUSTED, _CRYPTO. */
enum ike_sk_err ike_sk_protect(struct ike_sk *s, uint8_t *buf, size_t cap,
			       const struct ikev2_sk *sk, uint8_t first, size_t plain_len,
			       size_t *msg_len);

/* Building an SK message with the codec:
 *
 *	struct ike_sk_msg sm;
 *	ikev2_wr_init(&b, buf, cap, &hdr);         ...outer payloads, if any...
 *	ike_sk_begin(s, &b, &sm);                  SK header + IV room; sm.inner is a bare chain
 *	ikev2_put_id(&sm.inner, IKEV2_PLD_IDI, &id); ikev2_put_auth(&sm.inner, &auth); ...
 *	ike_sk_end(s, &sm, &len);                  protected message of len octets in buf
 *
 * b must not be used after ike_sk_begin (SK is the last payload; ike_sk_end sets the
 * header's Length). ike_sk_begin_skf does the same for one fragment: the caller writes its
 * share of the inner chain's octets with wr_bytes(&sm.inner.w, ...) and passes the first
 * type to ike_sk_end_first (0 for fragments after the first). */
struct ike_sk_msg {
	struct ikev2_wr inner; /* write the inner payloads here */
	struct ikev2_sk sk;    /* where the SK(F) payload lies in buf */
	uint8_t *buf;
	size_t cap;
};
enum ike_sk_err ike_sk_begin(const struct ike_sk *s, struct ikev2_wr *b, struct ike_sk_msg *m);
enum ike_sk_err ike_sk_begin_skf(const struct ike_sk *s, struct ikev2_wr *b, uint16_t num,
				 uint16_t total, struct ike_sk_msg *m);
/* Finish the inner chain (its first payload becomes SK's Next Payload) and protect. */
enum ike_sk_err ike_sk_end(struct ike_sk *s, struct ike_sk_msg *m, size_t *msg_len);
/* The same with an explicit first type (SKF fragments, whose content is raw octets). */
enum ike_sk_err ike_sk_end_first(struct ike_sk *s, struct ike_sk_msg *m, uint8_t first,
				 size_t *msg_len);

/* Where the plaintext lies after ike_sk_open. */
struct ike_sk_plain {
	size_t off;    /* first octet of the inner payload chain in buf */
	size_t len;    /* octets of inner payloads, padding and Pad Length removed */
	uint8_t first; /* the SK(F) Next Payload: type of the first inner payload */
};

/* Open a received message of len octets in place; sk is what ikev2_msg_parse() found (has_sk
 * or has_skf), re-checked against buf and len here. Verifies the ICV before decrypting
 * (CBC+HMAC) or opens the AEAD, then checks the Pad Length. Never changes s.
 * IKE_SK_OK, _INVALID, _TRUNCATED, _BAD_LENGTH, _BAD_BLOCK, _BAD_ICV, _BAD_PAD, _CRYPTO. */
enum ike_sk_err ike_sk_open(const struct ike_sk *s, uint8_t *buf, size_t len,
			    const struct ikev2_sk *sk, struct ike_sk_plain *p);

#endif
