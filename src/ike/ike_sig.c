/* Certificate authentication in IKE_AUTH (RFC 7296 2.15, 3.6-3.8; RFC 7427; RFC 4945) on top
 * of ike/cert.h (stores, peer chain checks, ID matching), ike/sigauth.h (the AUTH encoding
 * and verification) and ike/signer.h (the helper process that holds the private keys).
 *
 *   SignedOctets = RealMessage | Nonce of the peer | prf(SK_p, ID')       (2.15)
 *   AUTH (method 14) = len | AlgorithmIdentifier | signature           (RFC 7427 3)
 *
 * Our ID is the subject DN of our certificate (ID_DER_ASN1_DN, RFC 4945 3.1); the peer's ID
 * must match its certificate (cert_match_id). The scheme we sign with follows the hashes the
 * peer announced in SIGNATURE_HASH_ALGORITHMS (sigauth_choose).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ikekeys.h"
#include "ike/cert.h"
#include "ike/ike_int.h"
#include "ike/sigauth.h"
#include "ike/signer.h"
#include "lib/log.h"
#include "lib/util.h"
#include "spd/spd.h"

static struct cert_store *store_for(struct ike *ike, const struct spd_auth *a)
{
	struct cert_store *cs = NULL;
	char why[CERT_WHY_MAX];
	size_t i;

	for (i = 0; i < ike->ncstore; i++)
		if (ike->cstore[i].a == a)
			return ike->cstore[i].cs;
	if (ike->ncstore >= IKE_CSTORE_MAX)
		return NULL;
	if (cert_store_from_auth(a, &cs, why, sizeof(why)) != CERT_OK) {
		log_warn("IKE: certificate method unusable: %s", why);
		return NULL;
	}
	ike->cstore[ike->ncstore++] = (struct ike_cstore){ .a = a, .cs = cs };
	return cs;
}

void ike_sig_free(struct ike *ike)
{
	for (size_t i = 0; i < ike->ncstore; i++)
		cert_store_free(ike->cstore[i].cs);
	ike->ncstore = 0;
}

/* Index of the method's key in the signer, or -1. */
static int key_index(const struct ike *ike, const struct spd_auth *a)
{
	if (!ike->cfg.signer || !a->key_path)
		return -1;
	for (size_t i = 0; i < ike->cfg.nsigner_keys; i++)
		if (ike->cfg.signer_keys[i] && !strcmp(ike->cfg.signer_keys[i], a->key_path))
			return (int)i;
	return -1;
}

bool ike_sig_usable(struct ike *ike, const struct spd_auth *a)
{
	struct cert_store *cs;

	if (!a || a->kind != SPD_AUTH_CERT || key_index(ike, a) < 0)
		return false;
	cs = store_for(ike, a);
	return cs && cert_store_own_count(cs) > 0;
}

int ike_sig_own_id(struct ike_xsa *x, const struct spd_auth *a, uint8_t *body, size_t cap,
		   size_t *len)
{
	struct cert_store *cs = store_for(x->ike, a);
	size_t n;
	int rc;

	if (!cs || cap < 4)
		return -ENOENT;
	memset(body, 0, 4);
	rc = cert_store_own_id(cs, &body[0], body + 4, cap - 4, &n);
	if (rc)
		return rc;
	*len = 4 + n;
	return 0;
}

void ike_sig_put_certs(struct ike_xsa *x, const struct spd_auth *a, struct ikev2_wr *w)
{
	struct cert_store *cs = store_for(x->ike, a);
	struct ikev2_cert c = { .enc = IKEV2_CERT_X509_SIG };
	size_t i, n;

	if (!cs)
		return;
	/* RFC 7296 3.6: the end entity first, then the chain */
	n = cert_store_own_count(cs);
	for (i = 0; i < n && i < CERT_CHAIN_MAX; i++) {
		c.data = cert_store_own_der(cs, i, &c.len);
		if (c.data)
			ikev2_put_cert(w, IKEV2_PLD_CERT, &c);
	}
	/* RFC 7296 3.7: the CAs we trust */
	c.data = cert_store_certreq(cs, &c.len);
	if (c.data && c.len)
		ikev2_put_cert(w, IKEV2_PLD_CERTREQ, &c);
}

/* Append cs's CA hashes (20 octets each) to out[*n..] unless already there. */
static void certreq_merge(const struct cert_store *cs, uint8_t *out, size_t cap, size_t *n)
{
	const uint8_t *h;
	size_t len, i, j;

	h = cert_store_certreq(cs, &len);
	for (i = 0; h && i + 20 <= len; i += 20) {
		for (j = 0; j < *n && memcmp(out + j, h + i, 20); j += 20)
			;
		if (j == *n && *n + 20 <= cap) {
			memcpy(out + *n, h + i, 20);
			*n += 20;
		}
	}
}

static void certreq_rule(struct ike *ike, const struct spd_rule *r, uint8_t *out, size_t cap,
			 size_t *n)
{
	const struct spd_auth *a;
	struct cert_store *cs;
	size_t i, na;

	if (!r || !r->active)
		return;
	a = spd_rule_auths(r, &na);
	for (i = 0; i < na; i++)
		if (ike_sig_usable(ike, &a[i]) && (cs = store_for(ike, &a[i])))
			certreq_merge(cs, out, cap, n);
}

/* RFC 7296 3.7, 2.2: a responder that may authenticate the initiator by certificate asks for
 * one in its IKE_SA_INIT response. Which rule applies is known only after IDi, so the CERTREQ
 * names the CAs of every usable certificate method of the policy in force. */
void ike_sig_put_certreq_init(struct ike *ike, struct ikev2_wr *w)
{
	const struct spd_policy *p = ike->cfg.spd ? ike->cfg.spd->active : NULL;
	uint8_t hashes[20 * 16];
	struct ikev2_cert c = { .enc = IKEV2_CERT_X509_SIG, .data = hashes };
	size_t i;

	c.len = 0;
	if (!p)
		return;
	for (i = 0; i < p->nrules; i++)
		certreq_rule(ike, p->rules[i], hashes, sizeof(hashes), &c.len);
	certreq_rule(ike, &p->dr, hashes, sizeof(hashes), &c.len);
	if (c.len)
		ikev2_put_cert(w, IKEV2_PLD_CERTREQ, &c);
}

/* SignedOctets (2.15) for signer, in a buffer the caller frees. */
static uint8_t *signed_octets(const struct ike_xsa *x, bool signer_initiator,
			      const uint8_t *id_body, size_t id_len, size_t *len)
{
	const struct ike_sa *sa = x->sa;
	const uint8_t *msg = signer_initiator ? x->init_req : x->init_resp;
	size_t msg_len = signer_initiator ? x->init_req_len : x->init_resp_len;
	size_t cap = msg_len + IKE_NONCE_MAX + PRF_OUT_MAX;
	uint8_t *out = malloc(cap);

	if (!out)
		return NULL;
	if (ikeauth_octets(sa->xf.prf, msg, msg_len, signer_initiator ? sa->nr : sa->ni,
			   signer_initiator ? sa->nr_len : sa->ni_len,
			   signer_initiator ? sa->keys.pi : sa->keys.pr, sa->keys.len.p, id_body,
			   id_len, out, cap, len)) {
		free(out);
		return NULL;
	}
	return out;
}

int ike_sig_put_auth(struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		     const uint8_t *id_body, size_t id_len, struct ikev2_wr *w)
{
	struct cert_store *cs = store_for(x->ike, a);
	uint8_t sig[SIGAUTH_SIG_MAX], data[SIGAUTH_DATA_MAX];
	int idx = key_index(x->ike, a);
	struct ikev2_auth au = { .method = IKEV2_AUTH_DIGITAL_SIG, .data = data };
	enum sigauth_alg alg;
	size_t olen, slen;
	uint8_t *oct;
	int rc;

	if (!cs || idx < 0)
		return -ENOENT;
	/* RFC 7427 4: only with hashes the peer announced */
	alg = sigauth_choose(cert_store_own_key(cs), x->peer_hashes, false);
	if (alg == SIGALG_NONE) {
		log_warn("IKE_AUTH: the peer announced no hash our key can sign with (RFC 7427)");
		return -ENOTSUP;
	}
	oct = signed_octets(x, signer_initiator, id_body, id_len, &olen);
	if (!oct)
		return -ENOMEM;
	rc = signer_sign(x->ike->cfg.signer, (unsigned)idx, alg, oct, olen, sig, sizeof(sig),
			 &slen);
	free(oct);
	if (!rc)
		rc = sigauth_build(alg, sig, slen, data, sizeof(data), &au.len);
	if (rc) {
		log_warn("IKE_AUTH: signing with %s failed (%d)", sigauth_alg_name(alg), rc);
		return rc;
	}
	ikev2_put_auth(w, &au);
	return 0;
}

int ike_sig_verify(struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		   const struct ikev2_msg *m, const struct ikev2_id *id, char *why, size_t whylen)
{
	struct cert_store *cs = store_for(x->ike, a);
	struct cert_blob blobs[CERT_CHAIN_MAX];
	struct cert_peer peer = { 0 };
	enum sigauth_err se;
	enum cert_err ce;
	size_t n = 0, olen;
	uint8_t *oct;

	if (!cs) {
		snprintf(why, whylen, "no usable certificate store");
		return -ENOENT;
	}
	for (size_t i = 0; i < m->ncert && n < CERT_CHAIN_MAX; i++)
		if (m->cert[i].enc == IKEV2_CERT_X509_SIG)
			blobs[n++] = (struct cert_blob){ m->cert[i].data, m->cert[i].len };
	ce = cert_verify_peer(cs, blobs, n, 0, &peer, why, whylen);
	if (ce == CERT_OK)
		ce = cert_match_id(&peer, id->type, id->data, id->len, why, whylen);
	if (ce != CERT_OK) {
		cert_peer_clear(&peer);
		return -EACCES;
	}
	oct = signed_octets(x, signer_initiator, id->body, id->body_len, &olen);
	if (!oct) {
		cert_peer_clear(&peer);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	se = sigauth_verify(peer.pkey, m->auth.method, m->auth.data, m->auth.len, SIGHASH_OURS, oct,
			    olen, why, whylen);
	free(oct);
	if (se == SIGAUTH_OK) {
		log_info("IKE_AUTH: peer certificate %s verified", peer.subject);
		memcpy(x->peer_ca, peer.anchor, sizeof(x->peer_ca));
	}
	cert_peer_clear(&peer);
	return se == SIGAUTH_OK ? 0 : -EBADMSG;
}

bool ike_sig_trusts(struct ike *ike, const struct spd_auth *a, const uint8_t ca[CERT_HASH_LEN])
{
	struct cert_store *cs = store_for(ike, a);

	return cs && cert_store_trusts(cs, ca);
}

const uint8_t *ike_sig_anchors(struct ike *ike, const struct spd_auth *a, size_t *n)
{
	struct cert_store *cs = store_for(ike, a);
	size_t len = 0;
	const uint8_t *h = cs ? cert_store_certreq(cs, &len) : NULL;

	*n = len / CERT_HASH_LEN;
	return h;
}
