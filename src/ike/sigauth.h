/* IKEv2 signature authentication (RFC 7296 2.15 / 3.8, RFC 7427, RFC 4754, RFC 8420).
 *
 * AUTH payload body for method 14 (RFC 7427 3):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | ASN.1 Length  | AlgorithmIdentifier ASN.1 object              |
 *   +-+-+-+-+-+-+-+-+                                               +
 *   ~         AlgorithmIdentifier ASN.1 object continuing           ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                         Signature Value                       ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * "auth data" below always means the Authentication Data field of the AUTH payload, i.e. what
 * follows Auth Method and the three reserved octets. The octets signed (SignedOctets, 2.15)
 * come from the caller: ikeauth_octets() in crypto/ikekeys.h builds them.
 *
 * Signature values: RSA as PKCS#1 octets; ECDSA in method 14 as DER Ecdsa-Sig-Value (RFC 7427
 * 3), in methods 9/10/11 as r | s of fixed length (RFC 4754 7); Ed25519 as RFC 8032 octets
 * over the whole SignedOctets (RFC 8420, hash "Identity").
 */
#ifndef ESPRIT_IKE_SIGAUTH_H
#define ESPRIT_IKE_SIGAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* Signature schemes esprit makes and accepts in method 14. */
enum sigauth_alg {
	SIGALG_NONE = 0,
	SIGALG_RSA_PKCS1_SHA256,
	SIGALG_RSA_PKCS1_SHA384,
	SIGALG_RSA_PKCS1_SHA512,
	SIGALG_RSA_PSS_SHA256, /* MGF1 with SHA-256, salt 32, trailer 1 */
	SIGALG_ECDSA_SHA256,   /* ecdsa-with-SHA256 (any curve; P-256 is the natural pair) */
	SIGALG_ECDSA_SHA384,
	SIGALG_ECDSA_SHA512,
	SIGALG_ED25519,
	SIGALG_COUNT
};

/* Public key kinds, from a certificate or from the signer's key. */
enum sigauth_key {
	SIGKEY_NONE = 0,
	SIGKEY_RSA,
	SIGKEY_EC_P256,
	SIGKEY_EC_P384,
	SIGKEY_EC_P521,
	SIGKEY_ED25519,
};

/* RFC 7427 4 / IANA "IKEv2 Hash Algorithms" (RFC 8420 adds Identity). */
enum sigauth_hash {
	SIGHASH_SHA1 = 1,
	SIGHASH_SHA2_256 = 2,
	SIGHASH_SHA2_384 = 3,
	SIGHASH_SHA2_512 = 4,
	SIGHASH_IDENTITY = 5,
};
/* A set of hashes as a bit mask: bit (1u << SIGHASH_x). */
#define SIGHASH_BIT(h) (1u << (h))
/* What esprit announces: SHA2-256/384/512 and Identity (SHA-1 is never used). */
#define SIGHASH_OURS                                                     \
	(SIGHASH_BIT(SIGHASH_SHA2_256) | SIGHASH_BIT(SIGHASH_SHA2_384) | \
	 SIGHASH_BIT(SIGHASH_SHA2_512) | SIGHASH_BIT(SIGHASH_IDENTITY))

#define SIGAUTH_ALGID_MAX 96   /* longest AlgorithmIdentifier DER we emit or accept */
#define SIGAUTH_SIG_MAX	  1024 /* RSA-8192 */
#define SIGAUTH_DATA_MAX  (1 + SIGAUTH_ALGID_MAX + SIGAUTH_SIG_MAX)
#define SIGAUTH_WHY_MAX	  160

/* Verification results (enum + names for logs as one X-macro). */
#define SIGAUTH_ERRORS(X)                                                          \
	X(OK, "ok")                                                                \
	X(MALFORMED, "malformed AUTH data")                                        \
	X(UNKNOWN_ALG, "unknown or unsupported signature AlgorithmIdentifier")     \
	X(WEAK, "refused: RSA with SHA-1 (AUTH method 1) is too weak")             \
	X(METHOD, "unsupported AUTH method")                                       \
	X(KEY_MISMATCH, "signature algorithm does not fit the certificate's key")  \
	X(HASH_NOT_OFFERED, "hash algorithm not in our SIGNATURE_HASH_ALGORITHMS") \
	X(BAD_SIGNATURE, "signature does not verify")                              \
	X(INTERNAL, "internal error")
enum sigauth_err {
#define SIGAUTH_ENUM_(n, s) SIGAUTH_##n,
	SIGAUTH_ERRORS(SIGAUTH_ENUM_)
#undef SIGAUTH_ENUM_
};
const char *sigauth_err_name(enum sigauth_err e);
const char *sigauth_alg_name(enum sigauth_alg a);

/* The key kind of a public (or private) key; SIGKEY_NONE for anything else (DSA, P-224...). */
enum sigauth_key sigauth_key_kind(const EVP_PKEY *pk);
/* The hash an algorithm uses, as announced in SIGNATURE_HASH_ALGORITHMS. */
enum sigauth_hash sigauth_alg_hash(enum sigauth_alg a);

/* Pick the scheme to sign with for our key, given the hashes the peer announced in its
 * SIGNATURE_HASH_ALGORITHMS notify (peer_hashes = bit mask, 0 if it sent none: then method 14
 * must not be used and SIGALG_NONE is returned for RSA; for ECDSA the caller can use the
 * legacy methods, see sigauth_legacy_method()). Preference: the key's natural hash (P-256 ->
 * SHA-256, P-384 -> SHA-384, P-521 -> SHA-512, RSA -> SHA-256 PKCS#1, Ed25519 -> Identity),
 * then any stronger one the peer has. rsa_pss selects RSASSA-PSS for RSA keys. */
enum sigauth_alg sigauth_choose(enum sigauth_key key, uint32_t peer_hashes, bool rsa_pss);

/* The AlgorithmIdentifier DER of a scheme (RFC 7427 Appendix A, RFC 8420). 0 or -EINVAL. */
int sigauth_algid(enum sigauth_alg a, const uint8_t **der, size_t *len);
/* Which scheme an AlgorithmIdentifier names; SIGALG_NONE if unknown. Exact DER match, so
 * "NULL parameters present/absent" variants are listed explicitly. */
enum sigauth_alg sigauth_algid_lookup(const uint8_t *der, size_t len);

/* Method 14 auth data = len(AlgorithmIdentifier) | AlgorithmIdentifier | signature, written
 * to out. 0, -EINVAL, -ENOSPC. */
int sigauth_build(enum sigauth_alg a, const uint8_t *sig, size_t sig_len, uint8_t *out, size_t cap,
		  size_t *out_len);
/* Split method 14 auth data (bounds-checked, no crypto). SIGAUTH_OK, _MALFORMED or
 * _UNKNOWN_ALG; *alg, *sig, *sig_len point into data. */
enum sigauth_err sigauth_parse(const uint8_t *data, size_t len, enum sigauth_alg *alg,
			       const uint8_t **sig, size_t *sig_len);

/* Verify a peer's AUTH payload with its public key (from cert_verify_peer()).
 *   method   AUTH Method: 14, or legacy 9/10/11 (ECDSA P-256/384/521 with SHA-256/384/512,
 *            r|s) ; 1 (RSA with SHA-1) is refused with SIGAUTH_WEAK; others SIGAUTH_METHOD.
 *   our_hashes  hashes we announced (SIGHASH_OURS); a method 14 signature with another hash
 *            gives SIGAUTH_HASH_NOT_OFFERED (RFC 7427 4).
 *   octets   SignedOctets (ikeauth_octets()).
 * why (may be NULL) gets a log sentence, e.g. "AUTH ecdsa-sha256: signature does not verify".
 * Returns SIGAUTH_OK only when the signature is valid for those octets. */
enum sigauth_err sigauth_verify(EVP_PKEY *peer, uint8_t method, const uint8_t *data, size_t len,
				uint32_t our_hashes, const uint8_t *octets, size_t octets_len,
				char *why, size_t whylen);

/* The legacy AUTH method for an EC key (RFC 4754: 9 P-256, 10 P-384, 11 P-521) or 0. */
uint8_t sigauth_legacy_method(enum sigauth_key key);

/* Make a raw signature value with a private key in THIS process. Only the signer helper
 * (signer.c) and tests call it; the daemon's network process never holds a private key.
 * ECDSA output is DER (method 14 form). 0, -EINVAL (alg does not fit the key), -ENOSPC, -EIO. */
int sigauth_sign_raw(EVP_PKEY *key, enum sigauth_alg a, const uint8_t *octets, size_t octets_len,
		     uint8_t *sig, size_t cap, size_t *sig_len);
/* ECDSA DER Ecdsa-Sig-Value -> r | s, each padded to the curve's size (RFC 4754 7), for the
 * legacy methods. 0, -EINVAL, -ENOSPC. */
int sigauth_ecdsa_der_to_rs(enum sigauth_key key, const uint8_t *der, size_t der_len, uint8_t *out,
			    size_t cap, size_t *out_len);

/* SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 4): 2-octet hash ids.
 * build: the set bits of mask in ascending order; 0, -ENOSPC.
 * parse: mask of the known ids (unknown ids ignored); -EBADMSG for an odd length or empty. */
int sigauth_hashes_build(uint32_t mask, uint8_t *out, size_t cap, size_t *out_len);
int sigauth_hashes_parse(const uint8_t *data, size_t len, uint32_t *mask);

#endif
