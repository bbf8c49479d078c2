/* X.509 certificates for IKEv2 (RFC 7296 3.6-3.7, RFC 4945 profile).
 *
 * A cert_store is built from one `auth cert ca ... cert ... key ...` method (struct spd_auth):
 * trust anchors (several PEM files, each may hold several CAs), our own certificate (PEM; more
 * certificates after the first in the same file are its intermediates, sent after it). The
 * private key is NOT here: the signer helper (signer.h) holds it.
 *
 * Peer input handled here: CERT payloads with encoding 4 (X.509 Certificate - Signature, DER),
 * CERTREQ payloads with encoding 4 (concatenated SHA-1 hashes of CA SubjectPublicKeyInfo), and
 * the peer's IDi/IDr body for matching.
 */
#ifndef ESPRIT_IKE_CERT_H
#define ESPRIT_IKE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "ike/sigauth.h"

struct spd_auth;

#define CERT_CA_MAX	 16   /* trust anchors per store */
#define CERT_CHAIN_MAX	 8    /* own intermediates, and peer CERT payloads we look at */
#define CERT_DER_MAX	 8192 /* one certificate */
#define CERT_HASH_LEN	 20   /* SHA-1 of SubjectPublicKeyInfo (RFC 7296 3.7) */
#define CERT_ID_MAX	 1024 /* identification data of an ID payload */
#define CERT_WHY_MAX	 256
#define CERT_SUBJECT_MAX 256

/* Results, with names for logs. Functions also fill a `why` sentence with the details (the
 * OpenSSL verify reason, the ID that did not match...). */
#define CERT_ERRORS(X)                                  \
	X(OK, "ok")                                     \
	X(NOMEM, "out of memory")                       \
	X(IO, "cannot read file")                       \
	X(PARSE, "malformed certificate")               \
	X(NO_ANCHOR, "no trusted CA configured")        \
	X(NO_CERT, "no certificate")                    \
	X(UNTRUSTED, "untrusted")                       \
	X(EXPIRED, "certificate expired")               \
	X(NOT_YET_VALID, "certificate not yet valid")   \
	X(PURPOSE, "certificate not usable for IKE")    \
	X(KEY, "unsupported public key")                \
	X(ID_TYPE, "unsupported ID type")               \
	X(ID_MISMATCH, "ID does not match certificate") \
	X(TOO_MANY, "too many certificates")
enum cert_err {
#define CERT_ENUM_(n, s) CERT_##n,
	CERT_ERRORS(CERT_ENUM_)
#undef CERT_ENUM_
};
const char *cert_err_name(enum cert_err e);

/* One DER certificate as received (points into the caller's message). */
struct cert_blob {
	const uint8_t *der;
	size_t len;
};

struct cert_store; /* opaque: owns OpenSSL objects */

/* An authenticated peer certificate: what sigauth_verify() and the ID check need. */
struct cert_peer {
	X509 *cert;	/* end entity, owned */
	EVP_PKEY *pkey; /* its public key, owned */
	enum sigauth_key key;
	char subject[CERT_SUBJECT_MAX]; /* one-line subject DN for logs */
	uint8_t anchor[CERT_HASH_LEN];	/* SPKI SHA-1 of the trust anchor the chain ended at */
};

/* ---- Loading ---------------------------------------------------------------------- */

/* Empty store. NULL on ENOMEM. */
struct cert_store *cert_store_new(void);
void cert_store_free(struct cert_store *cs);
/* Add every certificate in a PEM file as a trust anchor. CERT_OK, _IO, _PARSE, _TOO_MANY. */
enum cert_err cert_store_add_ca(struct cert_store *cs, const char *path, char *why, size_t whylen);
/* Our own certificate: the first PEM certificate in path, the following ones its chain.
 * CERT_OK, _IO, _PARSE, _KEY (key type esprit cannot sign with), _TOO_MANY. */
enum cert_err cert_store_set_own(struct cert_store *cs, const char *path, char *why, size_t whylen);
/* Both of the above from an `auth cert` method (ca_paths, cert_path; key_path is the
 * signer's). *out is NULL on error. */
enum cert_err cert_store_from_auth(const struct spd_auth *a, struct cert_store **out, char *why,
				   size_t whylen);

/* Is the anchor with this SPKI SHA-1 (cert_peer.anchor) one of the store's? */
bool cert_store_trusts(const struct cert_store *cs, const uint8_t anchor[CERT_HASH_LEN]);

/* ---- Our side ----------------------------------------------------------------------- */

/* CERTREQ Certification Authority field (RFC 7296 3.7): SHA-1 of each anchor's
 * SubjectPublicKeyInfo, concatenated, in load order. Valid until the store is freed. */
const uint8_t *cert_store_certreq(const struct cert_store *cs, size_t *len);
/* Does a peer's CERTREQ (encoding 4 data) name a CA we can send a chain to, i.e. the SPKI
 * hash of our certificate's issuer or of any certificate in our chain? Malformed data (not a
 * multiple of 20) gives false. An empty CERTREQ means "any" (true). */
bool cert_store_certreq_match(const struct cert_store *cs, const uint8_t *data, size_t len);
/* Our certificates for CERT payloads (encoding 4): index 0 is the end entity, then the
 * intermediates. count 0 if no own certificate. */
size_t cert_store_own_count(const struct cert_store *cs);
const uint8_t *cert_store_own_der(const struct cert_store *cs, size_t i, size_t *len);
/* The kind of our certificate's key (what the signer must sign with). */
enum sigauth_key cert_store_own_key(const struct cert_store *cs);
/* Does our certificate hold this public key (SPKI DER, as signer_pubkey() gives it)? */
bool cert_store_own_key_matches(const struct cert_store *cs, const uint8_t *spki, size_t spki_len);
/* Our IKE ID by default (RFC 4945 3.1): ID_DER_ASN1_DN with the subject DN DER. Writes the
 * identification data (not the ID type octet) to out. 0, -ENOENT (no own cert), -ENOSPC. */
int cert_store_own_id(const struct cert_store *cs, uint8_t *type, uint8_t *out, size_t cap,
		      size_t *len);

/* Does a configured own ID (instead of the default DN) appear in our certificate, by the same
 * rules as cert_match_id()? A peer would refuse us otherwise, so check it at load time.
 * CERT_OK, CERT_NO_CERT, CERT_ID_TYPE, CERT_ID_MISMATCH. */
enum cert_err cert_store_check_own_id(const struct cert_store *cs, uint8_t id_type,
				      const uint8_t *id, size_t id_len, char *why, size_t whylen);

/* ---- The peer ----------------------------------------------------------------------- */

/* Verify the peer: certs[0] is the end entity (first CERT payload), the rest untrusted
 * intermediates, against the store's anchors with X509_verify_cert: signatures, validity at
 * `now` (0 = current time), CA flags and path length; then the RFC 4945 5.1.3 profile
 * (keyUsage, if present, allows digitalSignature or nonRepudiation; extendedKeyUsage, if
 * present, holds ipsecIKE, anyExtendedKeyUsage, serverAuth or clientAuth) and a key esprit can
 * verify. On CERT_OK *out owns the certificate and key (cert_peer_clear()). why gets e.g.
 * "untrusted: unable to get local issuer certificate (CN=fe.example)". */
enum cert_err cert_verify_peer(const struct cert_store *cs, const struct cert_blob *certs, size_t n,
			       time_t now, struct cert_peer *out, char *why, size_t whylen);
void cert_peer_clear(struct cert_peer *p);

/* Does the peer's ID payload match its certificate (RFC 4945 3.1, 3.2)?
 *   ID_IPV4_ADDR/ID_IPV6_ADDR: an iPAddress subjectAltName equal to it;
 *   ID_FQDN: a dNSName equal to it (case-insensitive, no wildcards);
 *   ID_RFC822_ADDR: an rfc822Name equal to it (domain part case-insensitive);
 *   ID_DER_ASN1_DN: the subject DN equal to it (X509_NAME_cmp on the decoded name).
 * Other types give CERT_ID_TYPE. why gets e.g. "ID fqdn:x.example does not match certificate
 * CN=fe.example". */
enum cert_err cert_match_id(const struct cert_peer *p, uint8_t id_type, const uint8_t *id,
			    size_t id_len, char *why, size_t whylen);

/* An ID as text for logs ("ipv4:10.1.0.1", "fqdn:fe.example", "dn:CN=fe,O=x"...). */
void cert_id_format(uint8_t id_type, const uint8_t *id, size_t id_len, char *out, size_t cap);

/* ---- Configured identities (`local-id`, `remote-id`) ------------------------------- */

/* "CN=gw.example, O=Example" or "/CN=gw.example/O=Example" -> DER Name (ID_DER_ASN1_DN data).
 * 0, -EINVAL (not KEY=VALUE parts OpenSSL knows), -ENOSPC, -ENOMEM. */
int cert_dn_from_text(const char *s, uint8_t *out, size_t cap, size_t *len);
/* Do two IDs name the same identity? Same type; FQDN and e-mail case-insensitively, DNs by
 * X509_NAME_cmp (so string types do not matter), addresses octet by octet. */
bool cert_id_equal(uint8_t type, const uint8_t *a, size_t alen, uint8_t btype, const uint8_t *b,
		   size_t blen);

#endif
