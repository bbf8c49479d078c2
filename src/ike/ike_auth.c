/* IKE_AUTH (RFC 7296 1.2, 2.15, 2.16) with a pre-shared key, and the first Child SA.
 *
 *   HDR, SK {IDi, AUTH, [N(INITIAL_CONTACT)], [N(USE_TRANSPORT_MODE)], SAi2, TSi, TSr}  -->
 *                 <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE)], SAr2, TSi, TSr}
 *
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce | prf(SK_p, IDx')) where
 * RealMessage is the signer's own IKE_SA_INIT message and Nonce the peer's (2.15). The
 * received value is compared in constant time (ikeauth_psk_verify). Identities are the IKE
 * addresses (ID_IPV4_ADDR / ID_IPV6_ADDR); a peer's ID_FQDN is accepted as a name.
 *
 * The responder learns which rule applies from the traffic selectors in the same message
 * (spd_respond: a rule's negotiate filter, or the default response rule), and takes the PSK
 * from that rule. A failed Child SA (no proposal, selectors) leaves the IKE SA up (2.21.1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/secret.h"
#include "crypto/ikekeys.h"
#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/util.h"

#define ID_BODY_MAX (4 + 255)

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
	snprintf(buf, len, "(%s)", ikev2_id_type_name(id->type));
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
static int psk_auth(const struct ike_xsa *x, const struct spd_rule *rule, bool signer_initiator,
		    const uint8_t *id_body, size_t id_len, const uint8_t *auth_in, size_t auth_len,
		    uint8_t out[PRF_OUT_MAX])
{
	const struct spd_auth *a = ike_rule_psk(rule);
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

/* RFC 7296 2.23: with a NAT in between, or when configured, move to port 4500. */
static void natt_switch(struct ike_xsa *x)
{
	if (!x->sa->nat_local && !x->sa->nat_peer && !x->ike->cfg.force_encap)
		return;
	x->local.port = IKE_NATT_PORT;
	x->remote.port = IKE_NATT_PORT;
	x->sa->peer_port = IKE_NATT_PORT;
}

/* First time we talk to this peer since we started: tell it to drop old state (2.4). */
static bool first_contact(const struct ike_xsa *x)
{
	const struct ike_xsa *o;

	for (o = x->ike->sas; o; o = o->next)
		if (o != x && !o->dead && ipaddr_eq(&o->remote.addr, &x->remote.addr) &&
		    o->sa->state == IKE_ST_ESTABLISHED)
			return false;
	return true;
}

int ike_auth_start(struct ike_xsa *x)
{
	struct ikev2_notify ic = { .type = IKEV2_N_INITIAL_CONTACT };
	uint8_t auth[PRF_OUT_MAX];
	struct ikev2_auth wa;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	struct id_buf id;
	size_t len;
	int rc;

	natt_switch(x);
	id_local(x, &id);
	rc = psk_auth(x, x->rule, true, id.body, id.len, NULL, 0, auth);
	if (rc) {
		log_warn("IKE_AUTH for rule %s: no usable pre-shared key (%d)",
			 x->rule ? x->rule->name : "-", rc);
		return rc;
	}
	ike_sk_start(x, IKEV2_EXCH_IKE_AUTH, false, 0, &b, &sm);
	ikev2_put_id(&sm.inner, IKEV2_PLD_IDI, &id.id);
	wa = (struct ikev2_auth){ .method = IKEV2_AUTH_PSK,
				  .data = auth,
				  .len = prf_len(x->sa->xf.prf) };
	ikev2_put_auth(&sm.inner, &wa);
	if (first_contact(x))
		ikev2_put_notify(&sm.inner, &ic);
	ike_child_put_offer(x, &sm.inner);
	wipe(auth, sizeof(auth));
	rc = ike_sk_seal(x, &sm, &len);
	if (!rc)
		rc = ike_request_send(x, IKE_REQ_AUTH, len);
	if (!rc)
		ike_sa_set_state(x->sa, IKE_ST_AUTH_SENT, "IKE_AUTH sent");
	return rc;
}

/* Responder: the rule whose PSK authenticates this peer. The rule the selectors chose
 * first; otherwise (selectors match nothing) a rule of the policy with a PSK, so the IKE SA
 * can still be authenticated and the Child SA refused with TS_UNACCEPTABLE. */
static const struct spd_rule *auth_rule(const struct ike_xsa *x, const struct spd_rule *ts_rule)
{
	const struct spd_policy *p = x->ike->cfg.spd->active;

	if (ike_rule_psk(ts_rule) || !p)
		return ts_rule;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i]->active && ike_rule_psk(p->rules[i]))
			return p->rules[i];
	return p->dr.active && ike_rule_psk(&p->dr) ? &p->dr : NULL;
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

void ike_auth_request(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	const struct spd_rule *rule, *arule;
	uint8_t auth[PRF_OUT_MAX];
	char ra[IPADDR_STRLEN], idtxt[64];
	struct ikev2_auth wa;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	struct id_buf id;
	uint16_t err;
	size_t len;
	int rc;

	if (x->sa->state != IKE_ST_INIT_DONE || !m->has_idi || !m->has_auth) {
		ike->st.invalid_packets++;
		return;
	}
	ipaddr_fmt(&x->remote.addr, ra);
	id_fmt(&m->idi, idtxt, sizeof(idtxt));
	rule = ike_child_rule_for(x, m);
	arule = auth_rule(x, rule);
	rc = -EBADMSG;
	if (m->auth.method != IKEV2_AUTH_PSK)
		log_warn("IKE_AUTH from %s (ID %s): authentication failed: peer uses %s, rule %s "
			 "expects a pre-shared key",
			 ra, idtxt, ikev2_auth_method_name(m->auth.method),
			 arule ? arule->name : "-");
	else if (!arule)
		log_warn("IKE_AUTH from %s (ID %s): authentication failed: no rule with a "
			 "pre-shared key covers it",
			 ra, idtxt);
	else if (!id_peer_ok(x, &m->idi))
		log_warn("IKE_AUTH from %s: authentication failed: ID %s does not name the peer",
			 ra, idtxt);
	else if ((rc = psk_auth(x, arule, true, m->idi.body, m->idi.body_len, m->auth.data,
				m->auth.len, auth)))
		log_warn("IKE_AUTH from %s (ID %s): authentication failed: pre-shared key of rule "
			 "%s does not match",
			 ra, idtxt, arule->name);
	if (rc) {
		ike->st.auth_failures++;
		auth_refuse(x, m->hdr.msgid, IKEV2_N_AUTHENTICATION_FAILED);
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	x->rule = rule ? rule : arule;
	ike_sa_set_state(x->sa, IKE_ST_ESTABLISHED, "IKE_AUTH verified (PSK)");
	ike_xsa_established(x);
	log_info("IKE_SA with %s (ID %s) established, rule %s", ra, idtxt, x->rule->name);
	if (ike_notify_find(m, IKEV2_N_INITIAL_CONTACT))
		ike_initial_contact(x);

	id_local(x, &id);
	rc = psk_auth(x, arule, false, id.body, id.len, NULL, 0, auth);
	if (rc) {
		ike_xsa_kill(x, "cannot compute AUTH");
		return;
	}
	ike_sk_start(x, IKEV2_EXCH_IKE_AUTH, true, m->hdr.msgid, &b, &sm);
	ikev2_put_id(&sm.inner, IKEV2_PLD_IDR, &id.id);
	wa = (struct ikev2_auth){ .method = IKEV2_AUTH_PSK,
				  .data = auth,
				  .len = prf_len(x->sa->xf.prf) };
	ikev2_put_auth(&sm.inner, &wa);
	wipe(auth, sizeof(auth));
	if (!m->has_sa) {
		err = 0; /* RFC 6023 childless: nothing to answer */
	} else if (!rule) {
		char a[TS_STRLEN], c[TS_STRLEN];
		struct ts_list ti, tr;

		ti.n = tr.n = 0;
		ts_from_wire(&m->tsi, &ti);
		ts_from_wire(&m->tsr, &tr);
		log_warn("CHILD_SA from %s: TS_UNACCEPTABLE: TSi %s TSr %s match no negotiate rule",
			 ra, ti.n ? ts_fmt(&ti.ts[0], a, sizeof(a)) : "-",
			 tr.n ? ts_fmt(&tr.ts[0], c, sizeof(c)) : "-");
		ike->st.negotiation_failures++;
		err = IKEV2_N_TS_UNACCEPTABLE;
	} else {
		err = ike_child_respond(x, rule, m, true, NULL, 0, 0, &sm.inner);
	}
	if (err) {
		struct ikev2_notify n = { .type = err };

		ikev2_put_notify(&sm.inner, &n);
	}
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, m->hdr.msgid, len);
}

void ike_auth_response(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	const struct ikev2_notify *n;
	char ra[IPADDR_STRLEN], idtxt[64];
	int rc;

	ipaddr_fmt(&x->remote.addr, ra);
	if (x->sa->state != IKE_ST_AUTH_SENT)
		return;
	n = ike_notify_find(m, IKEV2_N_AUTHENTICATION_FAILED);
	if (n) {
		ike->st.auth_failures++;
		log_warn("IKE_AUTH with %s for rule %s: authentication failed: the peer refused "
			 "our pre-shared key",
			 ra, x->rule ? x->rule->name : "-");
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	if (!m->has_idr || !m->has_auth) {
		n = ike_notify_error(m);
		ike->st.negotiation_failures++;
		log_warn("IKE_AUTH with %s for rule %s failed: %s", ra,
			 x->rule ? x->rule->name : "-",
			 n ? ikev2_notify_name(n->type) : "no IDr/AUTH in the response");
		ike_xsa_kill(x, "IKE_AUTH failed");
		return;
	}
	id_fmt(&m->idr, idtxt, sizeof(idtxt));
	rc = -EBADMSG;
	if (m->auth.method != IKEV2_AUTH_PSK)
		log_warn("IKE_AUTH with %s (ID %s): authentication failed: peer uses %s, we expect "
			 "a pre-shared key",
			 ra, idtxt, ikev2_auth_method_name(m->auth.method));
	else if (!id_peer_ok(x, &m->idr))
		log_warn("IKE_AUTH with %s: authentication failed: ID %s does not name the peer",
			 ra, idtxt);
	else if ((rc = psk_auth(x, x->rule, false, m->idr.body, m->idr.body_len, m->auth.data,
				m->auth.len, NULL)))
		log_warn("IKE_AUTH with %s (ID %s): authentication failed: pre-shared key of rule "
			 "%s does not match",
			 ra, idtxt, x->rule ? x->rule->name : "-");
	if (rc) {
		ike->st.auth_failures++;
		ike_xsa_kill(x, "authentication failed");
		return;
	}
	ike_sa_set_state(x->sa, IKE_ST_ESTABLISHED, "IKE_AUTH verified (PSK)");
	ike_xsa_established(x);
	log_info("IKE_SA with %s (ID %s) established, rule %s", ra, idtxt,
		 x->rule ? x->rule->name : "-");
	ike_child_finish(x, m, true);
}
