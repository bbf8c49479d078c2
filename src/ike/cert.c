/* Certificate store, peer chain verification and ID matching (see cert.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/cert.h"
#include "lib/util.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

struct cert_store {
	X509_STORE *anchors;
	X509 *cas[CERT_CA_MAX]; /* the anchors again, for CERTREQ and issuer lookup */
	size_t ncas;
	uint8_t certreq[CERT_CA_MAX * CERT_HASH_LEN];
	X509 *own[1 + CERT_CHAIN_MAX]; /* end entity, then its chain */
	uint8_t *own_der[1 + CERT_CHAIN_MAX];
	size_t own_len[1 + CERT_CHAIN_MAX];
	size_t nown;
};

static const char *const cert_err_names[] = {
#define CERT_NAME_(n, s) s,
	CERT_ERRORS(CERT_NAME_)
#undef CERT_NAME_
};

const char *cert_err_name(enum cert_err e)
{
	if ((size_t)e >= ARRAY_SIZE(cert_err_names))
		return "?";
	return cert_err_names[e];
}

static enum cert_err say(enum cert_err e, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum cert_err say(enum cert_err e, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return e;
}

struct cert_store *cert_store_new(void)
{
	struct cert_store *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->anchors = X509_STORE_new();
	if (!cs->anchors) {
		free(cs);
		return NULL;
	}
	/* An anchor need not be self-signed: the admin may trust an intermediate CA. */
	X509_STORE_set_flags(cs->anchors, X509_V_FLAG_PARTIAL_CHAIN);
	return cs;
}

void cert_store_free(struct cert_store *cs)
{
	if (!cs)
		return;
	X509_STORE_free(cs->anchors);
	for (size_t i = 0; i < cs->ncas; i++)
		X509_free(cs->cas[i]);
	for (size_t i = 0; i < cs->nown; i++) {
		X509_free(cs->own[i]);
		OPENSSL_free(cs->own_der[i]);
	}
	free(cs);
}

/* RFC 7296 3.7: SHA-1 of the DER SubjectPublicKeyInfo. */
static bool spki_sha1(X509 *x, uint8_t out[CERT_HASH_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	bool ok;

	if (n <= 0)
		return false;
	ok = EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha1(), NULL) == 1 &&
	     mdlen == CERT_HASH_LEN;
	OPENSSL_free(der);
	return ok;
}

/* Read every certificate of a PEM file; *n gets the count. */
static enum cert_err pem_read_all(const char *path, X509 **out, size_t cap, size_t *n, char *why,
				  size_t whylen)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	enum cert_err e = CERT_OK;

	*n = 0;
	if (!b)
		return say(CERT_IO, why, whylen, "%s: cannot read file", path);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (*n == cap) {
			X509_free(x);
			e = say(CERT_TOO_MANY, why, whylen, "%s: more than %zu certificates", path,
				cap);
			break;
		}
		out[(*n)++] = x;
	}
	ERR_clear_error(); /* the loop ends on "no start line" */
	BIO_free(b);
	if (e == CERT_OK && !*n)
		e = say(CERT_PARSE, why, whylen, "%s: no PEM certificate", path);
	if (e != CERT_OK) {
		while (*n)
			X509_free(out[--*n]);
	}
	return e;
}

enum cert_err cert_store_add_ca(struct cert_store *cs, const char *path, char *why, size_t whylen)
{
	X509 *got[CERT_CA_MAX];
	size_t n, i;
	enum cert_err e;

	e = pem_read_all(path, got, CERT_CA_MAX - cs->ncas, &n, why, whylen);
	if (e != CERT_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (X509_STORE_add_cert(cs->anchors, got[i]) != 1 ||
		    !spki_sha1(got[i], cs->certreq + cs->ncas * CERT_HASH_LEN)) {
			e = say(CERT_PARSE, why, whylen, "%s: certificate %zu not usable", path,
				i + 1);
			break;
		}
		cs->cas[cs->ncas++] = got[i];
	}
	ERR_clear_error();
	for (; i < n; i++)
		X509_free(got[i]);
	return e;
}

enum cert_err cert_store_set_own(struct cert_store *cs, const char *path, char *why, size_t whylen)
{
	X509 *got[1 + CERT_CHAIN_MAX];
	size_t n;
	enum cert_err e;

	if (cs->nown)
		return say(CERT_TOO_MANY, why, whylen, "%s: own certificate already set", path);
	e = pem_read_all(path, got, ARRAY_SIZE(got), &n, why, whylen);
	if (e != CERT_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		int len = i2d_X509(got[i], &cs->own_der[i]);

		cs->own[i] = got[i];
		cs->nown = i + 1;
		if (len <= 0 || len > CERT_DER_MAX)
			e = say(CERT_PARSE, why, whylen, "%s: certificate %zu not encodable", path,
				i + 1);
		cs->own_len[i] = len > 0 ? (size_t)len : 0;
	}
	if (e == CERT_OK && sigauth_key_kind(X509_get0_pubkey(cs->own[0])) == SIGKEY_NONE)
		e = say(CERT_KEY, why, whylen,
			"%s: key type cannot sign IKE AUTH (RSA, ECDSA P-256/384/521, Ed25519)",
			path);
	if (e != CERT_OK) {
		for (size_t i = 0; i < cs->nown; i++) {
			X509_free(cs->own[i]);
			OPENSSL_free(cs->own_der[i]);
			cs->own[i] = NULL;
			cs->own_der[i] = NULL;
		}
		cs->nown = 0;
	}
	return e;
}

enum cert_err cert_store_from_auth(const struct spd_auth *a, struct cert_store **out, char *why,
				   size_t whylen)
{
	struct cert_store *cs;
	enum cert_err e = CERT_OK;

	*out = NULL;
	if (!a->nca)
		return say(CERT_NO_ANCHOR, why, whylen, "auth cert: no trusted CA configured");
	cs = cert_store_new();
	if (!cs)
		return say(CERT_NOMEM, why, whylen, "out of memory");
	for (size_t i = 0; i < a->nca && e == CERT_OK; i++)
		e = cert_store_add_ca(cs, a->ca_paths[i], why, whylen);
	if (e == CERT_OK && a->cert_path)
		e = cert_store_set_own(cs, a->cert_path, why, whylen);
	if (e != CERT_OK) {
		cert_store_free(cs);
		return e;
	}
	*out = cs;
	return CERT_OK;
}

const uint8_t *cert_store_certreq(const struct cert_store *cs, size_t *len)
{
	*len = cs->ncas * CERT_HASH_LEN;
	return cs->certreq;
}

static bool hash_listed(X509 *x, const uint8_t *data, size_t len)
{
	uint8_t h[CERT_HASH_LEN];

	if (!spki_sha1(x, h))
		return false;
	for (size_t off = 0; off < len; off += CERT_HASH_LEN)
		if (!memcmp(data + off, h, CERT_HASH_LEN))
			return true;
	return false;
}

/* RFC 7296 3.7: the peer lists the CAs it trusts; we can serve it if one of them is in our
 * chain or is an anchor that issued our certificate or our topmost intermediate. */
bool cert_store_certreq_match(const struct cert_store *cs, const uint8_t *data, size_t len)
{
	X509 *top;

	if (len % CERT_HASH_LEN)
		return false;
	if (!len)
		return true;
	if (!cs->nown)
		return false;
	for (size_t i = 1; i < cs->nown; i++)
		if (hash_listed(cs->own[i], data, len))
			return true;
	top = cs->own[cs->nown - 1];
	for (size_t i = 0; i < cs->ncas; i++)
		if (X509_check_issued(cs->cas[i], top) == X509_V_OK &&
		    hash_listed(cs->cas[i], data, len))
			return true;
	return false;
}

size_t cert_store_own_count(const struct cert_store *cs)
{
	return cs->nown;
}

const uint8_t *cert_store_own_der(const struct cert_store *cs, size_t i, size_t *len)
{
	if (i >= cs->nown)
		return NULL;
	*len = cs->own_len[i];
	return cs->own_der[i];
}

enum sigauth_key cert_store_own_key(const struct cert_store *cs)
{
	return cs->nown ? sigauth_key_kind(X509_get0_pubkey(cs->own[0])) : SIGKEY_NONE;
}

bool cert_store_own_key_matches(const struct cert_store *cs, const uint8_t *spki, size_t spki_len)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk;
	bool ok;

	if (!cs->nown || !spki || spki_len > LONG_MAX)
		return false;
	pk = d2i_PUBKEY(NULL, &p, (long)spki_len);
	ok = pk && p == spki + spki_len && EVP_PKEY_eq(pk, X509_get0_pubkey(cs->own[0])) == 1;
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return ok;
}

/* RFC 4945 3.1.5: ID_DER_ASN1_DN is the DER of the subject Name. */
int cert_store_own_id(const struct cert_store *cs, uint8_t *type, uint8_t *out, size_t cap,
		      size_t *len)
{
	unsigned char *der = NULL;
	int n;

	if (!cs->nown)
		return -ENOENT;
	n = i2d_X509_NAME(X509_get_subject_name(cs->own[0]), &der);
	if (n <= 0)
		return -EINVAL;
	if ((size_t)n > cap) {
		OPENSSL_free(der);
		return -ENOSPC;
	}
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*type = IKEV2_ID_DER_ASN1_DN;
	*len = (size_t)n;
	return 0;
}

/* ---- peer ---------------------------------------------------------------------------- */

static X509 *der_to_x509(const struct cert_blob *b)
{
	const unsigned char *p = b->der;
	X509 *x;

	if (!b->der || !b->len || b->len > CERT_DER_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)b->len);
	if (x && p != b->der + b->len) { /* trailing octets: not one certificate */
		X509_free(x);
		x = NULL;
	}
	return x;
}

static bool eku_ok(X509 *x)
{
	/* RFC 4945 5.1.3.12, loosened to what deployed IKE CAs issue */
	static const int good[] = { NID_ipsec_IKE, NID_anyExtendedKeyUsage, NID_server_auth,
				    NID_client_auth };
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	bool ok = false;

	if (!eku)
		return X509_get_ext_by_NID(x, NID_ext_key_usage, -1) < 0; /* absent is fine */
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku) && !ok; i++)
		for (size_t k = 0; k < ARRAY_SIZE(good); k++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == good[k])
				ok = true;
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

/* RFC 4945 5.1.3.2: keyUsage, when present, must allow signing. */
static bool ku_ok(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x);

	return ku == UINT32_MAX || (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
}

static enum cert_err map_verify_error(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return CERT_NOT_YET_VALID;
	default:
		return CERT_UNTRUSTED;
	}
}

bool cert_store_trusts(const struct cert_store *cs, const uint8_t anchor[CERT_HASH_LEN])
{
	for (size_t i = 0; i < cs->ncas; i++)
		if (!memcmp(cs->certreq + i * CERT_HASH_LEN, anchor, CERT_HASH_LEN))
			return true;
	return false;
}

/* The last certificate of a verified chain is the trust anchor it ended at (with
 * X509_V_FLAG_PARTIAL_CHAIN possibly an intermediate we trust). */
static bool chain_anchor(X509_STORE_CTX *ctx, uint8_t out[CERT_HASH_LEN])
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	int n = chain ? sk_X509_num(chain) : 0;

	return n > 0 && spki_sha1(sk_X509_value(chain, n - 1), out);
}

static enum cert_err chain_verify(const struct cert_store *cs, X509 *ee, STACK_OF(X509) * inter,
				  time_t now, const char *subj, uint8_t anchor[CERT_HASH_LEN],
				  char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum cert_err e = CERT_OK;
	int err;

	if (!ctx)
		return say(CERT_NOMEM, why, whylen, "out of memory");
	if (X509_STORE_CTX_init(ctx, cs->anchors, ee, inter) != 1) {
		X509_STORE_CTX_free(ctx);
		return say(CERT_NOMEM, why, whylen, "out of memory");
	}
	if (now)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), CERT_CHAIN_MAX);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		e = map_verify_error(err);
		say(e, why, whylen, "%s: %s (%s)", cert_err_name(e),
		    X509_verify_cert_error_string(err), subj);
	} else if (!chain_anchor(ctx, anchor)) {
		e = say(CERT_NOMEM, why, whylen, "out of memory");
	}
	X509_STORE_CTX_free(ctx);
	return e;
}

static enum cert_err profile_check(X509 *ee, const char *subj, enum sigauth_key *key, char *why,
				   size_t whylen)
{
	EVP_PKEY *pk = X509_get0_pubkey(ee);

	if (!ku_ok(ee))
		return say(CERT_PURPOSE, why, whylen, "%s: keyUsage forbids signing (%s)",
			   cert_err_name(CERT_PURPOSE), subj);
	if (!eku_ok(ee))
		return say(CERT_PURPOSE, why, whylen,
			   "%s: extendedKeyUsage has no ipsecIKE/serverAuth/clientAuth/any (%s)",
			   cert_err_name(CERT_PURPOSE), subj);
	*key = sigauth_key_kind(pk);
	if (*key == SIGKEY_NONE)
		return say(CERT_KEY, why, whylen, "%s (%s)", cert_err_name(CERT_KEY), subj);
	/* RSA below 2048 bits is too weak today (NIST SP 800-131A) */
	if (*key == SIGKEY_RSA && EVP_PKEY_get_bits(pk) < 2048)
		return say(CERT_KEY, why, whylen, "%s: RSA key of %d bits is too short (%s)",
			   cert_err_name(CERT_KEY), EVP_PKEY_get_bits(pk), subj);
	return CERT_OK;
}

enum cert_err cert_verify_peer(const struct cert_store *cs, const struct cert_blob *certs, size_t n,
			       time_t now, struct cert_peer *out, char *why, size_t whylen)
{
	STACK_OF(X509) *inter = NULL;
	X509 *ee = NULL;
	enum cert_err e = CERT_OK;
	enum sigauth_key key = SIGKEY_NONE;
	char subj[CERT_SUBJECT_MAX] = "?";

	memset(out, 0, sizeof(*out));
	if (!cs->ncas)
		return say(CERT_NO_ANCHOR, why, whylen, "%s", cert_err_name(CERT_NO_ANCHOR));
	if (!n)
		return say(CERT_NO_CERT, why, whylen, "peer sent no certificate");
	if (n > CERT_CHAIN_MAX)
		return say(CERT_TOO_MANY, why, whylen, "peer sent %zu certificates (max %d)", n,
			   CERT_CHAIN_MAX);
	ee = der_to_x509(&certs[0]);
	inter = sk_X509_new_null();
	if (!ee || !inter) {
		e = say(ee ? CERT_NOMEM : CERT_PARSE, why, whylen, "end-entity certificate: %s",
			cert_err_name(ee ? CERT_NOMEM : CERT_PARSE));
		goto out;
	}
	X509_NAME_oneline(X509_get_subject_name(ee), subj, sizeof(subj));
	for (size_t i = 1; i < n; i++) {
		X509 *x = der_to_x509(&certs[i]);

		if (!x || !sk_X509_push(inter, x)) {
			X509_free(x);
			e = say(CERT_PARSE, why, whylen, "intermediate certificate %zu: %s", i,
				cert_err_name(CERT_PARSE));
			goto out;
		}
	}
	e = chain_verify(cs, ee, inter, now, subj, out->anchor, why, whylen);
	if (e == CERT_OK)
		e = profile_check(ee, subj, &key, why, whylen);
	if (e == CERT_OK) {
		out->cert = ee;
		out->pkey = X509_get_pubkey(ee);
		out->key = key;
		memcpy(out->subject, subj, sizeof(out->subject));
		ee = NULL;
		if (!out->pkey)
			e = say(CERT_KEY, why, whylen, "%s (%s)", cert_err_name(CERT_KEY), subj);
	}
out:
	X509_free(ee);
	sk_X509_pop_free(inter, X509_free);
	ERR_clear_error();
	if (e != CERT_OK)
		cert_peer_clear(out);
	return e;
}

void cert_peer_clear(struct cert_peer *p)
{
	if (!p)
		return;
	X509_free(p->cert);
	EVP_PKEY_free(p->pkey);
	memset(p, 0, sizeof(*p));
}

static void printable(char *out, size_t cap, const uint8_t *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o,
				      (in[i] >= 0x20 && in[i] < 0x7f) ? "%c" : "\\x%02x", in[i]);
	out[o] = '\0';
}

void cert_id_format(uint8_t id_type, const uint8_t *id, size_t id_len, char *out, size_t cap)
{
	char buf[CERT_SUBJECT_MAX];
	const unsigned char *p = id;
	X509_NAME *nm;

	if (!cap)
		return;
	buf[0] = '\0';
	switch (id_type) {
	case IKEV2_ID_IPV4_ADDR:
	case IKEV2_ID_IPV6_ADDR:
		if (id_len == (id_type == IKEV2_ID_IPV4_ADDR ? 4u : 16u))
			inet_ntop(id_type == IKEV2_ID_IPV4_ADDR ? AF_INET : AF_INET6, id, buf,
				  sizeof(buf));
		snprintf(out, cap, "%s:%s", id_type == IKEV2_ID_IPV4_ADDR ? "ipv4" : "ipv6",
			 buf[0] ? buf : "(bad length)");
		return;
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822_ADDR:
		printable(buf, sizeof(buf), id, id_len);
		snprintf(out, cap, "%s:%s", id_type == IKEV2_ID_FQDN ? "fqdn" : "email", buf);
		return;
	case IKEV2_ID_DER_ASN1_DN:
		nm = id_len <= LONG_MAX ? d2i_X509_NAME(NULL, &p, (long)id_len) : NULL;
		if (nm)
			X509_NAME_oneline(nm, buf, sizeof(buf));
		X509_NAME_free(nm);
		ERR_clear_error();
		snprintf(out, cap, "dn:%s", nm ? buf : "(malformed)");
		return;
	default:
		snprintf(out, cap, "type%u:(%zu octets)", id_type, id_len);
	}
}

static bool dn_matches(X509 *x, const uint8_t *id, size_t len)
{
	const unsigned char *p = id;
	X509_NAME *nm = d2i_X509_NAME(NULL, &p, (long)len);
	bool ok = nm && p == id + len && !X509_NAME_cmp(nm, X509_get_subject_name(x));

	X509_NAME_free(nm);
	return ok;
}

/* A text ID must not carry a NUL (it would cut the comparison short). */
static bool text_ok(const uint8_t *id, size_t len)
{
	return len && !memchr(id, '\0', len);
}

/* RFC 4945 3.1, 3.2: the ID must be asserted by the certificate (subjectAltName, or the
 * subject for DNs); the subject CN is never used for FQDNs. */
enum cert_err cert_match_id(const struct cert_peer *p, uint8_t id_type, const uint8_t *id,
			    size_t id_len, char *why, size_t whylen)
{
	char idtxt[CERT_SUBJECT_MAX + 16];
	bool ok;

	if (!p->cert || !id || id_len > CERT_ID_MAX)
		return say(CERT_ID_MISMATCH, why, whylen, "no certificate or ID");
	switch (id_type) {
	case IKEV2_ID_IPV4_ADDR:
	case IKEV2_ID_IPV6_ADDR:
		ok = id_len == (id_type == IKEV2_ID_IPV4_ADDR ? 4u : 16u) &&
		     X509_check_ip(p->cert, id, id_len, 0) == 1;
		break;
	case IKEV2_ID_FQDN:
		ok = text_ok(id, id_len) &&
		     X509_check_host(p->cert, (const char *)id, id_len,
				     X509_CHECK_FLAG_NO_WILDCARDS |
					     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
				     NULL) == 1;
		break;
	case IKEV2_ID_RFC822_ADDR:
		ok = text_ok(id, id_len) &&
		     X509_check_email(p->cert, (const char *)id, id_len,
				      X509_CHECK_FLAG_NEVER_CHECK_SUBJECT) == 1;
		break;
	case IKEV2_ID_DER_ASN1_DN:
		ok = dn_matches(p->cert, id, id_len);
		break;
	default:
		return say(CERT_ID_TYPE, why, whylen, "%s %u", cert_err_name(CERT_ID_TYPE),
			   id_type);
	}
	ERR_clear_error();
	if (ok)
		return CERT_OK;
	cert_id_format(id_type, id, id_len, idtxt, sizeof(idtxt));
	return say(CERT_ID_MISMATCH, why, whylen, "ID %s does not match certificate %s", idtxt,
		   p->subject);
}

enum cert_err cert_store_check_own_id(const struct cert_store *cs, uint8_t id_type,
				      const uint8_t *id, size_t id_len, char *why, size_t whylen)
{
	struct cert_peer own = { .cert = cs->nown ? cs->own[0] : NULL };

	if (!own.cert)
		return say(CERT_NO_CERT, why, whylen, "no own certificate");
	X509_NAME_oneline(X509_get_subject_name(own.cert), own.subject, sizeof(own.subject));
	return cert_match_id(&own, id_type, id, id_len, why, whylen);
}

/* ---- Configured identities ---------------------------------------------------------- */

/* One "KEY=VALUE" component, blanks around both trimmed. */
static bool dn_add_part(X509_NAME *nm, const char *s, size_t n)
{
	char part[256], *eq, *k, *v, *e;

	if (n >= sizeof(part))
		return false;
	memcpy(part, s, n);
	part[n] = '\0';
	eq = strchr(part, '=');
	if (!eq)
		return false;
	*eq = '\0';
	for (k = part; *k == ' '; k++)
		;
	for (e = eq; e > k && e[-1] == ' '; e--)
		e[-1] = '\0';
	for (v = eq + 1; *v == ' '; v++)
		;
	for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
		e[-1] = '\0';
	return *k && *v &&
	       X509_NAME_add_entry_by_txt(nm, k, MBSTRING_UTF8, (const unsigned char *)v, -1, -1,
					  0) == 1;
}

int cert_dn_from_text(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	X509_NAME *nm = X509_NAME_new();
	unsigned char *der = NULL;
	char sep = *s == '/' ? '/' : ',';
	int n, rc = -EINVAL;

	if (!nm)
		return -ENOMEM;
	if (*s == '/')
		s++;
	while (*s) {
		size_t k = strcspn(s, sep == '/' ? "/" : ",");

		if (!dn_add_part(nm, s, k))
			goto out;
		s += k + (s[k] != '\0');
	}
	n = X509_NAME_entry_count(nm) ? i2d_X509_NAME(nm, &der) : -1;
	if (n > 0 && (size_t)n <= cap) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
		rc = 0;
	} else if (n > 0) {
		rc = -ENOSPC;
	}
out:
	OPENSSL_free(der);
	X509_NAME_free(nm);
	ERR_clear_error();
	return rc;
}

static bool dn_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509_NAME *na = alen <= LONG_MAX ? d2i_X509_NAME(NULL, &pa, (long)alen) : NULL;
	X509_NAME *nb = blen <= LONG_MAX ? d2i_X509_NAME(NULL, &pb, (long)blen) : NULL;
	bool ok = na && nb && pa == a + alen && pb == b + blen && !X509_NAME_cmp(na, nb);

	X509_NAME_free(na);
	X509_NAME_free(nb);
	ERR_clear_error();
	return ok;
}

/* RFC 4945 3.1/3.2 spirit: names compare case-insensitively, DNs by their canonical form. */
bool cert_id_equal(uint8_t type, const uint8_t *a, size_t alen, uint8_t btype, const uint8_t *b,
		   size_t blen)
{
	if (type != btype)
		return false;
	switch (type) {
	case IKEV2_ID_DER_ASN1_DN:
		return dn_equal(a, alen, b, blen);
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822_ADDR:
		if (alen != blen || !text_ok(a, alen))
			return false;
		for (size_t i = 0; i < alen; i++)
			if (tolower(a[i]) != tolower(b[i]))
				return false;
		return true;
	default:
		return alen == blen && !memcmp(a, b, alen);
	}
}
