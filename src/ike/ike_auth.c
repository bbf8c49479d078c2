/* IKE_AUTH (RFC 7296 1.2, 2.15, 2.16) with a pre-shared key or a certificate (ike_sig.c), and
 * the first Child SA.
 *
 *   HDR, SK {IDi, AUTH, [N(INITIAL_CONTACT)], [N(USE_TRANSPORT_MODE)], SAi2, TSi, TSr}  -->
 *                 <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE)], SAr2, TSi, TSr}
 *
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce | prf(SK_p, IDx')) where
 * RealMessage is the signer's own IKE_SA_INIT message and Nonce the peer's (2.15). The
 * received value is compared in constant time (ikeauth_psk_verify). Our identity is the rule's
 * `local-id` when set, else the IKE address (PSK) or the certificate's subject DN. A peer's
 * identity must equal the rule's `remote-id` when set (then any ID type; with a certificate
 * it must also be asserted by the certificate, cert_match_id); without one, a PSK peer's ID is
 * its address or an FQDN. An initiator with a remote-id sends it as IDr (RFC 7296 1.2, 3.5:
 * the responder identity it wants to talk to).
 *
 * The initiator uses the first usable method of its rule (in the rule's order). The
 * responder learns which rule applies from the traffic selectors in the same message
 * (spd_respond: a rule's negotiate filter, or the default response rule) and answers with
 * that rule's method of the kind the peer used. A failed Child SA (no proposal, selectors)
 * leaves the IKE SA up (2.21.1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/secret.h"
#include "crypto/ikekeys.h"
#include "ike/cert.h"
#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/util.h"

#define ID_BODY_MAX	    (4 + 1024) /* a DER DN */
#define CERT_WHY_MAX_ENGINE 320

struct id_buf {
	uint8_t body[ID_BODY_MAX];
	size_t len;
	struct ikev2_id id;
};

/* RFC 7296 3.5: our identity, the address we speak IKE from. */
static void id_local(const struct ike_xsa *x, struct id_buf *b)
{
	const struct ipaddr *a = &x->local.addr;
	size_t n = ipaddr_len(a);

	memset(b->body, 0, 4);
	b->body[0] = a->af == AF_INET6 ? IKEV2_ID_IPV6_ADDR : IKEV2_ID_IPV4_ADDR;
	memcpy(b->body + 4, a->b, n);
	b->len = 4 + n;
	b->id = (struct ikev2_id){ .type = b->body[0], .data = b->body + 4, .len = n };
}

static const char *id_fmt(const struct ikev2_id *id, char *buf, size_t len)
{
	struct ipaddr a = { 0 };

	if (id->type == IKEV2_ID_IPV4_ADDR && id->len == 4) {
		ipaddr_from_v4(&a, id->data);
		return ipaddr_fmt(&a, buf);
	}
	if (id->type == IKEV2_ID_IPV6_ADDR && id->len == 16) {
		ipaddr_from_v6(&a, id->data);
		return ipaddr_fmt(&a, buf);
	}
	if (id->type == IKEV2_ID_FQDN) {
		size_t i, n = id->len < len - 1 ? id->len : len - 1;

		for (i = 0; i < n; i++)
			buf[i] =
				id->data[i] >= 0x20 && id->data[i] < 0x7f ? (char)id->data[i] : '?';
		buf[n] = 0;
		return buf;
	}
	cert_id_format(id->type, id->data, id->len, buf, len);
	return buf;
}

/* The peer's identity must name the address it speaks from, unless a NAT is in between
 * (RFC 7296 2.15 leaves the check to policy; an address ID that disagrees is suspect). */
static bool id_peer_ok(const struct ike_xsa *x, const struct ikev2_id *id)
{
	const struct ipaddr *a = &x->remote.addr;

	if (id->type == IKEV2_ID_FQDN)
		return id->len > 0;
	if (id->type != IKEV2_ID_IPV4_ADDR && id->type != IKEV2_ID_IPV6_ADDR)
		return false;
	if (x->sa->nat_peer)
		return true;
	return id->len == ipaddr_len(a) &&
	       a->af == (id->type == IKEV2_ID_IPV4_ADDR ? AF_INET : AF_INET6) &&
	       !memcmp(id->data, a->b, id->len);
}

/* The octets AUTH covers for signer (initiator or responder), RFC 7296 2.15. */
static int auth_pieces(const struct ike_xsa *x, bool signer_initiator, const uint8_t *id_body,
		       size_t id_len, uint8_t maced[PRF_OUT_MAX], struct xc_piece p[3])
{
	const struct ike_sa *sa = x->sa;
	int rc;

	rc = ikeauth_maced_id(sa->xf.prf, signer_initiator ? sa->keys.pi : sa->keys.pr,
			      sa->keys.len.p, id_body, id_len, maced);
	if (rc)
		return rc;
	p[0] = (struct xc_piece){ signer_initiator ? x->init_req : x->init_resp,
				  signer_initiator ? x->init_req_len : x->init_resp_len };
	p[1] = (struct xc_piece){ signer_initiator ? sa->nr : sa->ni,
				  signer_initiator ? sa->nr_len : sa->ni_len };
	p[2] = (struct xc_piece){ maced, prf_len(sa->xf.prf) };
	return 0;
}

/* Make (auth_in NULL) or verify our/the peer's PSK AUTH value. 0, -EBADMSG (mismatch),
 * -ENOENT (no PSK for the rule), other -errno. */
static int psk_auth(const struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		    const uint8_t *id_body, size_t id_len, const uint8_t *auth_in, size_t auth_len,
		    uint8_t out[PRF_OUT_MAX])
{
	uint8_t maced[PRF_OUT_MAX], *psk = NULL;
	struct xc_piece p[3];
	char why[256];
	size_t psk_len = 0;
	int rc;

	if (!a)
		return -ENOENT;
	rc = secret_psk_load(a->psk_path, &psk, &psk_len, why, sizeof(why));
	if (rc) {
		log_warn("IKE_AUTH: %s", why);
		return rc;
	}
	rc = auth_pieces(x, signer_initiator, id_body, id_len, maced, p);
	if (!rc && auth_in)
		rc = ikeauth_psk_verify(x->sa->xf.prf, psk, psk_len, p, 3, auth_in, auth_len);
	else if (!rc)
		rc = ikeauth_psk(x->sa->xf.prf, psk, psk_len, p, 3, out);
	secret_psk_free(psk, psk_len);
	wipe(maced, sizeof(maced));
	return rc;
}

/* A rule's first usable method of a kind (-1: any kind), in the rule's order. */
static const struct spd_auth *rule_method(struct ike *ike, const struct spd_rule *r, int kind)
{
	const struct spd_auth *a;
	size_t n;

	if (!r)
		return NULL;
	a = spd_rule_auths(r, &n);
	for (size_t i = 0; i < n; i++) {
		if (kind >= 0 && a[i].kind != (enum spd_auth_kind)kind)
			continue;
		if (a[i].kind == SPD_AUTH_PSK && a[i].psk_path)
			return &a[i];
		if (a[i].kind == SPD_AUTH_CERT && ike_sig_usable(ike, &a[i]))
			return &a[i];
	}
	return NULL;
}

static int method_kind(uint8_t method)
{
	switch (method) {
	case IKEV2_AUTH_PSK:
		return SPD_AUTH_PSK;
	case IKEV2_AUTH_RSA_SIG:
	case IKEV2_AUTH_ECDSA_256:
	case IKEV2_AUTH_ECDSA_384:
	case IKEV2_AUTH_ECDSA_521:
	case IKEV2_AUTH_DIGITAL_SIG:
		return SPD_AUTH_CERT;
	default:
		return -1;
	}
}

/* A configured identity as an ID payload body. */
static void id_conf(const struct spd_id *c, struct id_buf *b)
{
	memset(b->body, 0, 4);
	b->body[0] = c->type;
	memcpy(b->body + 4, c->data, c->len);
	b->len = 4 + (size_t)c->len;
	b->id = (struct ikev2_id){ .type = c->type, .data = b->body + 4, .len = c->len };
}

/* Our ID payload for method a. */
static int id_ours(struct ike_xsa *x, const struct spd_auth *a, struct id_buf *b)
{
	const struct spd_id *c = x->rule ? spd_rule_id(x->rule, false) : NULL;
	int rc;

	if (c) {
		id_conf(c, b);
		return 0;
	}
	if (a->kind == SPD_AUTH_PSK) {
		id_local(x, b);
		return 0;
	}
	rc = ike_sig_own_id(x, a, b->body, sizeof(b->body), &b->len);
	if (rc)
		return rc;
	b->id = (struct ikev2_id){ .type = b->body[0], .data = b->body + 4, .len = b->len - 4 };
	return 0;
}

/* [CERT+] [IDr] AUTH for method a (RFC 7296 1.2 order; idr: the initiator's wish, or NULL). */
static int auth_put(struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		    const struct id_buf *id, const struct id_buf *idr, struct ikev2_wr *w)
{
	uint8_t auth[PRF_OUT_MAX];
	struct ikev2_auth wa;
	int rc;

	if (a->kind == SPD_AUTH_CERT)
		ike_sig_put_certs(x, a, w);
	if (idr)
		ikev2_put_id(w, IKEV2_PLD_IDR, &idr->id);
	if (a->kind == SPD_AUTH_CERT)
		return ike_sig_put_auth(x, a, signer_initiator, id->body, id->len, w);
	rc = psk_auth(x, a, signer_initiator, id->body, id->len, NULL, 0, auth);
	if (rc)
		return rc;
	wa = (struct ikev2_auth){ .method = IKEV2_AUTH_PSK,
				  .data = auth,
				  .len = prf_len(x->sa->xf.prf) };
	ikev2_put_auth(w, &wa);
	wipe(auth, sizeof(auth));
	return 0;
}

static bool id_is(const struct ikev2_id *id, const struct spd_id *c)
{
	return cert_id_equal(id->type, id->data, id->len, c->type, c->data, c->len);
}

/* The rule's remote-id, when set, is the only identity the peer may have. */
static bool id_expected(const struct spd_rule *r, const struct ikev2_id *id, char *why,
			size_t whylen)
{
	const struct spd_id *c = r ? spd_rule_id(r, true) : NULL;
	char got[160], want[160];

	if (!c || id_is(id, c))
		return true;
	cert_id_format(id->type, id->data, id->len, got, sizeof(got));
	cert_id_format(c->type, c->data, c->len, want, sizeof(want));
	/* a long DN may be cut short: the line stays readable */
	if (snprintf(why, whylen, "peer identified as %s, rule %s expects %s", got, r->name,
		     want) >= (int)whylen)
		why[whylen - 1] = '\0';
	return false;
}

static bool id_same(const struct spd_id *a, const struct spd_id *b)
{
	if (!a || !b)
		return a == b;
	return cert_id_equal(a->type, a->data, a->len, b->type, b->data, b->len);
}

/* Do two PSK methods hold the same key? Both files are read as IKE_AUTH reads them (equal
 * content in different files is the same secret); the copies are wiped at once. */
static bool psk_same(const struct spd_auth *p, const struct spd_auth *q)
{
	uint8_t *k1 = NULL, *k2 = NULL;
	size_t l1 = 0, l2 = 0;
	char why[256];
	bool same = false;

	if (!p->psk_path || !q->psk_path)
		return false;
	if (!strcmp(p->psk_path, q->psk_path))
		return true;
	if (secret_psk_load(p->psk_path, &k1, &l1, why, sizeof(why)) ||
	    secret_psk_load(q->psk_path, &k2, &l2, why, sizeof(why)))
		log_warn("IKE: %s", why);
	else
		same = l1 == l2 && ct_equal(k1, k2, l1);
	secret_psk_free(k1, l1);
	secret_psk_free(k2, l2);
	return same;
}

/* Rule r's method that accepts what method m accepted: the same key, or for a certificate
 * trust in the anchor ca its chain ended at. NULL if none. */
static const struct spd_auth *rule_accepts(struct ike *ike, const struct spd_rule *r,
					   const struct spd_auth *m, const uint8_t *ca)
{
	const struct spd_auth *a;
	size_t n;

	a = spd_rule_auths(r, &n);
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind != m->kind)
			continue;
		if (&a[i] == m ||
		    (m->kind == SPD_AUTH_PSK ? psk_same(m, &a[i]) : ike_sig_trusts(ike, &a[i], ca)))
			return &a[i];
	}
	return NULL;
}

/* Does r accept everything method m could accept (every anchor of a certificate method)? */
static bool rule_covers(struct ike *ike, const struct spd_rule *r, const struct spd_auth *m)
{
	const uint8_t *ca;
	size_t n;

	if (m->kind == SPD_AUTH_PSK)
		return rule_accepts(ike, r, m, NULL) != NULL;
	ca = ike_sig_anchors(ike, m, &n);
	for (size_t i = 0; i < n; i++)
		if (!rule_accepts(ike, r, m, ca + i * CERT_HASH_LEN))
			return false;
	return ca != NULL;
}

/* Would r have accepted the peer's proof? Once authenticated, the recorded one; while our
 * IKE_AUTH is still under way, any proof x->rule may accept (the method of each kind that
 * ike_auth_response would check with). */
static bool proof_accepted(const struct ike_xsa *x, const struct spd_rule *r)
{
	const int kinds[] = { SPD_AUTH_PSK, SPD_AUTH_CERT };
	const struct spd_auth *m;

	if (x->peer_auth)
		return rule_accepts(x->ike, r, x->peer_auth, x->peer_ca) != NULL;
	if (x->sa->state == IKE_ST_ESTABLISHED || !x->rule)
		return false; /* no record (reloaded): x carries only its own rule */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		m = rule_method(x->ike, x->rule, kinds[i]);
		if (m && !rule_covers(x->ike, r, m))
			return false;
	}
	return true;
}

void ike_auth_reloaded(struct ike_xsa *x)
{
	const struct spd_auth *old = x->peer_auth;

	x->peer_auth = old && x->rule ? rule_accepts(x->ike, x->rule, old, x->peer_ca) : NULL;
}

static void rule_refused_why(const struct ike_xsa *x, const struct spd_rule *r, char *why,
			     size_t whylen)
{
	const char *rn = x->rule ? x->rule->name : "-";

	if (!x->peer_auth)
		snprintf(why, whylen,
			 "IKE SA for rule %s has no record of the peer's proof, rule %s "
			 "needs its own",
			 rn, r->name);
	else if (x->peer_auth->kind == SPD_AUTH_PSK)
		snprintf(why, whylen,
			 "IKE SA authenticated for rule %s with pre-shared key, rule "
			 "%s does not accept that key",
			 rn, r->name);
	else
		snprintf(why, whylen,
			 "IKE SA authenticated for rule %s with certificate, rule %s "
			 "does not trust its CA",
			 rn, r->name);
}

/* IKE_AUTH proved the peer's identity against x->rule's remote-id, with a key or under a CA
 * that x->rule accepts, never against another rule's: a rule that expects someone else, or
 * another key or CA, needs an IKE SA of its own (RFC 4301 4.4.3.3, the child's rule must be
 * one the authenticated peer may use). */
bool ike_auth_rule_ok(const struct ike_xsa *x, const struct spd_rule *r, char *why, size_t whylen)
{
	const struct spd_id *have = x->rule ? spd_rule_id(x->rule, true) : NULL;
	const struct spd_id *want = spd_rule_id(r, true);
	char h[160] = "none", w[160] = "none";

	if (r == x->rule)
		return true;
	if (id_same(have, want)) {
		if (proof_accepted(x, r))
			return true;
		rule_refused_why(x, r, why, whylen);
		return false;
	}
	if (have)
		cert_id_format(have->type, have->data, have->len, h, sizeof(h));
	if (want)
		cert_id_format(want->type, want->data, want->len, w, sizeof(w));
	if (snprintf(why, whylen,
		     "IKE SA authenticated for rule %s (remote-id %s), rule %s "
		     "expects %s",
		     x->rule ? x->rule->name : "-", h, r->name, w) >= (int)whylen)
		why[whylen - 1] = '\0';
	return false;
}

/* Verify the peer's ID and AUTH with method a (of the kind the peer used) for rule r. 0, or
 * -errno with the reason in why. */
static int auth_check(struct ike_xsa *x, const struct spd_rule *r, const struct spd_auth *a,
		      bool signer_initiator, const struct ikev2_msg *m, const struct ikev2_id *id,
		      char *why, size_t whylen)
{
	char idtxt[64];

	if (!id_expected(r, id, why, whylen))
		return -EACCES;
	if (a->kind == SPD_AUTH_CERT)
		return ike_sig_verify(x, a, signer_initiator, m, id, why, whylen);
	if (!(r && spd_rule_id(r, true)) && !id_peer_ok(x, id)) {
		snprintf(why, whylen, "ID %s does not name the peer",
			 id_fmt(id, idtxt, sizeof(idtxt)));
		return -EACCES;
	}
	if (psk_auth(x, a, signer_initiator, id->body, id->body_len, m->auth.data, m->auth.len,
		     NULL)) {
		snprintf(why, whylen, "pre-shared key %s does not match", a->psk_path);
		return -EBADMSG;
	}
	return 0;
}

/* RFC 7296 2.23: with a NAT in between, or when configured, move to port 4500. */
static void natt_switch(struct ike_xsa *x)
{
	if (!x->sa->nat_local && !x->sa->nat_peer && !x->ike->cfg.force_encap)
		return;
	x->local.port = IKE_NATT_PORT;
	x->remote.port = IKE_NATT_PORT;
	x->sa->peer_port = IKE_NATT_PORT;
}

/* First time we talk to this peer since we started: tell it to drop old state (2.4). Not
 * when another IKE SA of ours already sent its IKE_AUTH: two rules that accept different
 * keys negotiate side by side, and the second must not make the peer drop the first. */
static bool first_contact(const struct ike_xsa *x)
{
	const struct ike_xsa *o;

	for (o = x->ike->sas; o; o = o->next)
		if (o != x && !o->dead && ipaddr_eq(&o->remote.addr, &x->remote.addr) &&
		    (o->sa->state == IKE_ST_ESTABLISHED || o->sa->state == IKE_ST_AUTH_SENT))
			return false;
	return true;
}

int ike_auth_start(struct ike_xsa *x)
{
	struct ikev2_notify ic = { .type = IKEV2_N_INITIAL_CONTACT };
	const struct spd_auth *a = rule_method(x->ike, x->rule, -1);
	const struct spd_id *want = x->rule ? spd_rule_id(x->rule, true) : NULL;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	struct id_buf id, idr;
	size_t len;
	int rc;

	if (!a) {
		log_warn("IKE_AUTH for rule %s: no usable authentication method (PSK file, or "
			 "certificate with a key in the signing helper)",
			 x->rule ? x->rule->name : "-");
		return -ENOENT;
	}
	x->auth = a;
	natt_switch(x);
	rc = id_ours(x, a, &id);
	if (rc)
		return rc;
	ike_sk_start(x, IKEV2_EXCH_IKE_AUTH, false, 0, &b, &sm);
	ikev2_put_id(&sm.inner, IKEV2_PLD_IDI, &id.id);
	if (want)
		id_conf(want, &idr);
	rc = auth_put(x, a, true, &id, want ? &idr : NULL, &sm.inner);
	if (rc)
		return rc;
	if (first_contact(x))
		ikev2_put_notify(&sm.inner, &ic);
	ike_child_put_offer(x, &sm.inner);
	rc = ike_sk_seal(x, &sm, &len);
	if (!rc)
		rc = ike_request_send(x, IKE_REQ_AUTH, len);
	if (!rc)
		ike_sa_set_state(x->sa, IKE_ST_AUTH_SENT, "IKE_AUTH sent");
	return rc;
}

/* Responder: the rule and method that authenticate this peer, for the kind of AUTH it sent.
 * When the selectors chose a rule, only its methods (its own, else its policy's) count: a key
 * that another rule holds proves nothing for this rule's traffic. Only when the selectors
 * match no rule (the Child SA is then refused with TS_UNACCEPTABLE) is the peer checked
 * against the first rule of the policy with such a method, so that the refusal is reported
 * inside an authenticated exchange. */
static const struct spd_auth *auth_rule(struct ike_xsa *x, const struct spd_rule *ts_rule, int kind,
					const struct ikev2_id *idi, const struct spd_rule **out)
{
	const struct spd_policy *p = x->ike->cfg.spd->active;
	const struct spd_auth *a;
	const struct spd_id *c;

	*out = ts_rule;
	if (kind < 0)
		return NULL;
	if (ts_rule || !p)
		return rule_method(x->ike, ts_rule, kind);
	/* keyed by identity first: the rule whose remote-id the peer claims holds its key */
	for (size_t i = 0; i < p->nrules; i++) {
		c = spd_rule_id(p->rules[i], true);
		if (!p->rules[i]->active || !c || !id_is(idi, c))
			continue;
		a = rule_method(x->ike, p->rules[i], kind);
		if (a) {
			*out = p->rules[i];
			return a;
		}
	}
	for (size_t i = 0; i < p->nrules; i++) {
		if (!p->rules[i]->active)
			continue;
		a = rule_method(x->ike, p->rules[i], kind);
		if (a) {
			*out = p->rules[i];
			return a;
		}
	}
	*out = &p->dr;
	return p->dr.active ? rule_method(x->ike, &p->dr, kind) : NULL;
}

/* Why rule r cannot check the peer's AUTH method: it has no method at all (neither its own
 * nor its policy's), or none of that kind that we can use. */
static void auth_none_why(struct ike_xsa *x, const struct spd_rule *r, uint8_t method, char *why,
			  size_t len)
{
	size_t n;

	spd_rule_auths(r, &n);
	if (!n || !rule_method(x->ike, r, -1))
		snprintf(why, len, "rule %s has no authentication method", r->name);
	else
		snprintf(why, len, "peer uses %s, rule %s has no such method",
			 ikev2_auth_method_name(method), r->name);
}

static void auth_refuse(struct ike_xsa *x, uint32_t msgid, uint16_t type)
{
	struct ikev2_notify n = { .type = type };
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len;

	ike_sk_start(x, IKEV2_EXCH_IKE_AUTH, true, msgid, &b, &sm);
	ikev2_put_notify(&sm.inner, &n);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, msgid, len);
}

static const char *method_name(const struct spd_auth *a)
{
	return a && a->kind == SPD_AUTH_CERT ? "certificate" : "pre-shared key";
}

/* The Child SA part of the responder's IKE_AUTH answer. */
static void auth_child_answer(struct ike_xsa *x, const struct spd_rule *rule, struct ikev2_msg *m,
			      struct ikev2_wr *w)
{
	struct ikev2_notify n = { 0 };
	char a[TS_STRLEN], c[TS_STRLEN], ra[IPADDR_STRLEN];
	struct ts_list ti, tr;

	if (!m->has_sa)
		return; /* RFC 6023 childless: nothing to answer */
	if (rule) {
		n.type = ike_child_respond(x, rule, m, true, NULL, 0, 0, w);
	} else {
		ti.n = tr.n = 0;
		ts_from_wire(&m->tsi, &ti);
		ts_from_wire(&m->tsr, &tr);
		log_warn("CHILD_SA from %s: TS_UNACCEPTABLE: TSi %s TSr %s match no negotiate rule",
			 ipaddr_fmt(&x->remote.addr, ra),
			 ti.n ? ts_fmt(&ti.ts[0], a, sizeof(a)) : "-",
			 tr.n ? ts_fmt(&tr.ts[0], c, sizeof(c)) : "-");
		x->ike->st.negotiation_failures++;
		n.type = IKEV2_N_TS_UNACCEPTABLE;
	}
	if (n.type)
		ikev2_put_notify(w, &n);
}

void ike_auth_request(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	const struct spd_rule *rule, *arule;
	const struct spd_auth *a;
	char ra[IPADDR_STRLEN], idtxt[160], why[CERT_WHY_MAX_ENGINE];
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	struct id_buf id;
	size_t len;
	int rc = -EBADMSG;

	if (x->sa->state != IKE_ST_INIT_DONE || !m->has_idi || !m->has_auth) {
		ike->st.invalid_packets++;
		return;
	}
	ipaddr_fmt(&x->remote.addr, ra);
	id_fmt(&m->idi, idtxt, sizeof(idtxt));
	rule = ike_child_rule_for(x, m);
	a = auth_rule(x, rule, method_kind(m->auth.method), &m->idi, &arule);
	if (!a && rule)
		auth_none_why(x, rule, m->auth.method, why, sizeof(why));
	else if (!a)
		snprintf(why, sizeof(why), "peer uses %s, no rule accepts it",
			 ikev2_auth_method_name(m->auth.method));
	else
		rc = auth_check(x, arule, a, true, m, &m->idi, why, sizeof(why));
	if (rc) {
		ike->st.auth_failures++;
		log_warn("IKE_AUTH from %s (ID %s): authentication failed: %s%s%s", ra, idtxt, why,
			 arule ? ", rule " : "", arule ? arule->name : "");
		auth_refuse(x, m->hdr.msgid, IKEV2_N_AUTHENTICATION_FAILED);
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	x->rule = rule ? rule : arule;
	x->auth = a;
	x->peer_auth = a;
	ike_sa_set_state(x->sa, IKE_ST_ESTABLISHED, "IKE_AUTH verified");
	ike_xsa_established(x);
	log_info("IKE_SA with %s (ID %s) established, rule %s, %s", ra, idtxt, x->rule->name,
		 method_name(a));
	if (ike_notify_find(m, IKEV2_N_INITIAL_CONTACT))
		ike_initial_contact(x);

	ike_sk_start(x, IKEV2_EXCH_IKE_AUTH, true, m->hdr.msgid, &b, &sm);
	rc = id_ours(x, a, &id);
	if (!rc) {
		ikev2_put_id(&sm.inner, IKEV2_PLD_IDR, &id.id);
		rc = auth_put(x, a, false, &id, NULL, &sm.inner);
	}
	if (rc) {
		ike_xsa_kill(x, "cannot compute our AUTH");
		return;
	}
	auth_child_answer(x, rule, m, &sm.inner);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, m->hdr.msgid, len);
}

/* RFC 7296 2.21.2: an initiator that rejects the responder's AUTH or ID tells it in a separate
 * INFORMATIONAL exchange (the one exception to not starting exchanges on errors), so that the
 * responder's half-made IKE SA does not linger until DPD finds it. The Delete of the IKE SA
 * (1.4.1) beside the notify makes a peer that only logs the notify drop the SA too. Sent
 * once: our own IKE SA is gone right after, so nothing waits for the answer. */
static void auth_tell_peer(struct ike_xsa *x)
{
	struct ikev2_notify n = { .type = IKEV2_N_AUTHENTICATION_FAILED };
	struct ikev2_delete d = { .proto = IKEV2_PROTO_IKE };
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len;

	if (x->req != IKE_REQ_NONE || !x->keyed)
		return;
	ike_sk_start(x, IKEV2_EXCH_INFORMATIONAL, false, 0, &b, &sm);
	ikev2_put_notify(&sm.inner, &n);
	ikev2_put_delete(&sm.inner, &d);
	if (!ike_sk_seal(x, &sm, &len) && !ike_request_send(x, IKE_REQ_DEL_IKE, len))
		log_info("INFORMATIONAL: AUTHENTICATION_FAILED and Delete of the IKE SA sent");
}

void ike_auth_response(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	const struct ikev2_notify *n;
	const struct spd_auth *a;
	char ra[IPADDR_STRLEN], idtxt[160], why[CERT_WHY_MAX_ENGINE];
	int rc = -EBADMSG;

	ipaddr_fmt(&x->remote.addr, ra);
	if (x->sa->state != IKE_ST_AUTH_SENT)
		return;
	if (ike_notify_find(m, IKEV2_N_AUTHENTICATION_FAILED)) {
		ike->st.auth_failures++;
		log_warn("IKE_AUTH with %s for rule %s: authentication failed: the peer refused "
			 "our %s",
			 ra, x->rule ? x->rule->name : "-", method_name(x->auth));
		ike_backoff_fail(ike, x->rule, &x->remote.addr, "authentication failed");
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	if (!m->has_idr || !m->has_auth) {
		n = ike_notify_error(m);
		ike->st.negotiation_failures++;
		log_warn("IKE_AUTH with %s for rule %s failed: %s", ra,
			 x->rule ? x->rule->name : "-",
			 n ? ikev2_notify_name(n->type) : "no IDr/AUTH in the response");
		if (n && n->type != IKEV2_N_INVALID_SYNTAX)
			ike_backoff_fail(ike, x->rule, &x->remote.addr, ikev2_notify_name(n->type));
		ike_xsa_kill(x, "IKE_AUTH failed");
		return;
	}
	id_fmt(&m->idr, idtxt, sizeof(idtxt));
	a = rule_method(ike, x->rule, method_kind(m->auth.method));
	if (!a)
		snprintf(why, sizeof(why), "peer uses %s, rule has no such method",
			 ikev2_auth_method_name(m->auth.method));
	else
		rc = auth_check(x, x->rule, a, false, m, &m->idr, why, sizeof(why));
	if (rc) {
		ike->st.auth_failures++;
		log_warn("IKE_AUTH with %s (ID %s) for rule %s: authentication failed: %s", ra,
			 idtxt, x->rule ? x->rule->name : "-", why);
		ike_backoff_fail(ike, x->rule, &x->remote.addr, "authentication failed");
		auth_tell_peer(x);
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	x->peer_auth = a;
	ike_sa_set_state(x->sa, IKE_ST_ESTABLISHED, "IKE_AUTH verified");
	ike_xsa_established(x);
	log_info("IKE_SA with %s (ID %s) established, rule %s, %s", ra, idtxt,
		 x->rule ? x->rule->name : "-", method_name(a));
	ike_child_finish(x, m, true);
}
