/* Keyed cipher state for one direction of one SA (OpenSSL 3 EVP, keyed once, reused for every
 * packet). Transform ids are IKEv2's (RFC 7296 3.3.2 / IANA), so IKE and manual keying speak
 * the same numbers.
 *
 * Shapes of the operations, by algorithm family (see struct xcipher_desc for the numbers):
 *
 *   AEAD (AES-GCM RFC 4106, ChaCha20-Poly1305 RFC 7634):
 *       xcipher_seal / xcipher_open: AAD given as pieces (SPI||seq, or SPI||seq_hi||seq_lo with
 *       ESN, RFC 4106 5 / RFC 7634 2.1), an 8-octet explicit IV (the nonce is salt||IV), the
 *       data encrypted/decrypted in place, the ICV written / checked.
 *   GMAC (ENCR_NULL_AUTH_AES_GMAC, RFC 4543): the same calls with the same arguments, but
 *       nothing is encrypted: the authenticated data is aad pieces || IV || data (RFC 4543 3.5,
 *       the IV is part of the AAD) and data is left unchanged. desc->gmac tells the caller.
 *   CBC + HMAC (RFC 3602 + RFC 4868 / RFC 2404) and NULL + HMAC (RFC 2410):
 *       xcipher_encrypt / xcipher_decrypt in place with the IV from the packet (no padding is
 *       added or removed: ESP's own trailer does that), then xcipher_mac / xcipher_mac_verify
 *       over pieces (SPI, seq, IV, ciphertext, and seq_hi last with ESN, RFC 4303 3.3.2.1).
 *       With ENCR_NULL encrypt/decrypt do nothing and succeed.
 *   Integrity only (AH, RFC 4302): encr 0 and an HMAC; only xcipher_mac / _verify apply.
 *
 * Per-packet calls allocate nothing: contexts are created and keyed in xcipher_new(); each
 * packet only sets the IV (cipher) or restarts the keyed MAC. A context belongs to one
 * thread at a time (an SA is pinned to one worker). An xcipher made with encrypt=true seals and
 * encrypts; one made with encrypt=false opens and decrypts; both compute and verify MACs.
 */
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

/* Upper bounds, for stack buffers in callers. */
#define XCIPHER_IV_MAX	 16 /* AES-CBC */
#define XCIPHER_ICV_MAX	 32 /* HMAC-SHA2-512-256 */
#define XCIPHER_SALT_LEN 4  /* GCM, GMAC, ChaCha20-Poly1305 */
#define XCIPHER_NAME_MAX 48

/* One contiguous piece of AAD or MAC input. */
struct xc_piece {
	const uint8_t *p;
	size_t n;
};

/* Static facts about an encryption transform at a given key size (RFC 4106, 4543, 7634, 3602,
 * 2410). Config code uses these to validate keys before anything is keyed. */
struct xc_encr_info {
	uint16_t id;	  /* enum encr_id */
	uint16_t bits;	  /* cipher key bits, salt excluded (0 for ENCR_NULL) */
	const char *name; /* "aes-gcm-128/icv16", "aes-cbc-256", "chacha20-poly1305", "null" */
	size_t key_len;	  /* octets expected in encr_key, salt included */
	size_t salt_len;  /* 4 for GCM, GMAC, ChaCha20-Poly1305; else 0 */
	size_t iv_len;	  /* explicit IV on the wire: 8 GCM/GMAC/ChaCha, 16 CBC, 0 NULL */
	size_t icv_len;	  /* AEAD tag length: 8/12/16 GCM, 16 GMAC and ChaCha; 0 otherwise */
	size_t block;	  /* cipher block: 16 CBC, 1 otherwise */
	size_t align;	  /* ESP payload+pad+trailer multiple: 16 CBC, 4 otherwise (RFC 4303 2.4) */
	bool aead;	  /* combined mode: needs AUTH_NONE */
	bool gmac;	  /* AEAD that encrypts nothing (RFC 4543) */
};

/* Static facts about an integrity transform (RFC 4868 2.1-2.3, RFC 2404). */
struct xc_integ_info {
	uint16_t id;	  /* enum integ_id */
	const char *name; /* "hmac-sha256-128", "hmac-sha1-96", ... */
	size_t key_len;	  /* 32/48/64 for SHA2-256/384/512, 20 for SHA1 */
	size_t icv_len;	  /* truncated output: 16/24/32, 12 for SHA1-96 */
};

/* Look up an encryption transform. encr_bits: 128/192/256 for AES (CBC, GCM, GMAC); 256 or 0 for
 * ChaCha20-Poly1305 (IKEv2 sends no key length for it); 0 for ENCR_NULL. 0 or -EINVAL. */
int xcipher_encr_info(uint16_t encr, uint16_t encr_bits, struct xc_encr_info *out);
/* Look up an integrity transform (not AUTH_NONE). 0 or -EINVAL. */
int xcipher_integ_info(uint16_t integ, struct xc_integ_info *out);
/* Validate a whole combination and its key lengths exactly as xcipher_new() would, without
 * keying anything. encr 0 means integrity only (AH). 0 or -EINVAL. */
int xcipher_check(uint16_t encr, uint16_t encr_bits, uint16_t integ, size_t encr_key_len,
		  size_t integ_key_len);

/* What a keyed xcipher needs from the packet layout. */
struct xcipher_desc {
	uint16_t encr, encr_bits, integ;
	size_t iv_len;	/* explicit IV octets in each ESP packet */
	size_t icv_len; /* ICV octets: the AEAD tag, or the truncated HMAC */
	size_t block;	/* 16 CBC, 1 otherwise: xcipher_encrypt() lengths must be multiples */
	size_t align;	/* ESP payload+pad+trailer multiple: 16 CBC, 4 otherwise (RFC 4303 2.4) */
	bool aead;	/* use xcipher_seal/open; else xcipher_encrypt/decrypt + xcipher_mac */
	bool gmac;	/* AEAD that encrypts nothing: data is authenticated after the IV */
	bool encrypt;	/* direction chosen in xcipher_new() */
	char name[XCIPHER_NAME_MAX]; /* for logs: "aes-gcm-128/icv16",
				      * "aes-cbc-128+hmac-sha256-128", "hmac-sha256-128" (integrity
				      * only) */
};

struct xcipher;

/* Key a cipher for one direction. encr_key includes the 4-octet salt for GCM, GMAC and
 * ChaCha20-Poly1305 (RFC 4106 8.1, RFC 4543 3.2, RFC 7634 2). integ is AUTH_NONE with the
 * combined-mode (AEAD) ciphers and must not be with the others; encr 0 with an integ is the
 * integrity-only form used by AH. ENCR_NULL with AUTH_NONE is refused (RFC 4303 3.2).
 * Returns 0, -EINVAL (bad lengths or combination), -ENOTSUP (OpenSSL lacks it), -ENOMEM.
 * Key buffers are only read; the caller wipes its copies. */
int xcipher_new(struct xcipher **out, uint16_t encr, uint16_t encr_bits, uint16_t integ,
		const uint8_t *encr_key, size_t encr_key_len, const uint8_t *integ_key,
		size_t integ_key_len, bool encrypt);
/* Wipes every key and context, then frees. NULL is fine. */
void xcipher_free(struct xcipher *c);

/* The layout facts and log name of a keyed xcipher; valid until xcipher_free(). NULL for a NULL
 * xcipher (the shorthands then give 0 / false / "(none)"). */
const struct xcipher_desc *xcipher_desc(const struct xcipher *c);
/* Shorthands for the fields above. */
size_t xcipher_iv_len(const struct xcipher *c);
size_t xcipher_icv_len(const struct xcipher *c);
size_t xcipher_align(const struct xcipher *c);
bool xcipher_is_aead(const struct xcipher *c);
const char *xcipher_name(const struct xcipher *c);

/* Write desc->iv_len octets of IV for the packet with sequence number seq. CBC: random
 * (RFC 3602 2.3 wants it unpredictable), taken from a per-context pool of RAND_bytes output
 * that is refilled 1 KiB at a time, never hands out the same octets twice and is refilled
 * after fork() so parent and child never share IVs. GCM, GMAC, ChaCha: the 64-bit sequence
 * number, big-endian -- unique per key as long as the SA never wraps, which RFC 4106 3.1 /
 * RFC 7634 2 require. NULL / integrity only: writes nothing. 0, -EINVAL (NULL c, or NULL iv where
 * one is needed), -EIO. */
int xcipher_gen_iv(struct xcipher *c, uint64_t seq, uint8_t *iv);

/* AEAD seal (encrypt=true contexts): authenticate aad[0..naad), encrypt data[0..len) in place
 * (GMAC: authenticate iv and data too, leave data as is), write desc->icv_len octets to icv.
 * iv is desc->iv_len (8) octets. 0, or -EINVAL (wrong direction or not an AEAD), -EIO. */
int xcipher_seal(struct xcipher *c, const struct xc_piece *aad, size_t naad, const uint8_t *iv,
		 uint8_t *data, size_t len, uint8_t *icv);
/* AEAD open (encrypt=false contexts): the inverse; checks the desc->icv_len octet tag at icv
 * (OpenSSL compares it in constant time). 0, -EBADMSG when the tag does not match (data is then
 * garbage and must be dropped), -EINVAL, -EIO. */
int xcipher_open(struct xcipher *c, const struct xc_piece *aad, size_t naad, const uint8_t *iv,
		 uint8_t *data, size_t len, const uint8_t *icv);

/* CBC (or NULL) in place, no padding; len must be a multiple of desc->block. iv is
 * desc->iv_len octets (unused for NULL). encrypt needs an encrypt=true context, decrypt an
 * encrypt=false one. 0 or -EINVAL, -EIO. */
int xcipher_encrypt(struct xcipher *c, const uint8_t *iv, uint8_t *data, size_t len);
int xcipher_decrypt(struct xcipher *c, const uint8_t *iv, uint8_t *data, size_t len);

/* HMAC over in[0..n) concatenated, truncated to desc->icv_len octets written to icv (RFC 4868
 * 2.1.1, RFC 2404 2). 0, or -EINVAL when the xcipher has no integrity transform or a pointer is
 * NULL (a piece may be {NULL, 0}). */
int xcipher_mac(struct xcipher *c, const struct xc_piece *in, size_t n, uint8_t *icv);
/* Recompute and compare with icv in constant time (ct_equal). 0, -EBADMSG, -EINVAL, -EIO. */
int xcipher_mac_verify(struct xcipher *c, const struct xc_piece *in, size_t n, const uint8_t *icv);

#endif
