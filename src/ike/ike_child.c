/* Child SAs: the offer (proposals from the rule's action, selectors from its filters), the
 * responder's choice and narrowing, KEYMAT and installation (RFC 7296 1.3, 2.9, 2.17), and
 * the CREATE_CHILD_SA exchange for new Child SAs and Child SA rekeys (1.3.1, 1.3.3).
 *
 *   HDR, SK {[N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
 *                <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr}
 *
 * Rekeying is make-before-break: the new pair is handed to the data path with .replaces set,
 * then the rekey's initiator deletes the old pair with an INFORMATIONAL exchange, and both
 * sides call child_down for it then.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/ikekeys.h"
#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/util.h"

static int child_request(struct ike_xsa *x, const struct spd_rule *rule, struct ike_xchild *old);

/* ---- the offer ---- */

static int child_props(struct ike_xsa *x, const struct spd_rule *rule, bool ike_auth, uint32_t spi,
		       struct prop_list *out, bool *pfs)
{
	struct prop_child_opts o = { .esn = PROP_ESN_BOTH, .ike_auth = ike_auth };
	uint16_t grp[PROP_XF_MAX];
	const uint16_t *def;
	size_t i, ndef;

	if (!rule || !rule->action || rule->action->kind != SPD_ACT_NEGOTIATE)
		return -EINVAL;
	o.esp_spi = spi;
	o.ah_spi = spi;
	*pfs = !ike_auth && rule->action->pfs;
	if (*pfs) {
		/* RFC 7296 1.3.1, 3.3.3: the IKE SA's own group first (the KE payload's), then
		 * the other groups we support, so that a peer configured for one of those can
		 * name it in INVALID_KE_PAYLOAD (1.3) or, as responder, use the one its KE has. */
		grp[0] = x->sa->xf.dh;
		o.ndh = 1;
		def = prop_default_groups(&ndef);
		for (i = 0; i < ndef && o.ndh < ARRAY_SIZE(grp); i++)
			if (def[i] != grp[0])
				grp[o.ndh++] = def[i];
		o.dh = grp;
	}
	return prop_from_action(rule->action, &o, out, NULL);
}

int ike_pchild_prepare(struct ike_xsa *x, const struct spd_rule *rule, const struct spd_pkt *pkt,
		       bool ike_auth, uint32_t replaces)
{
	struct ike_pchild *pc = &x->pc;
	struct ike_xchild *old = replaces ? ike_child_find(x->ike, replaces) : NULL;
	struct ts_policy pol;
	bool pfs;
	int rc;
	size_t i;

	ike_pchild_clear(pc);
	pc->rule = rule;
	pc->replaces = replaces;
	pc->spi_in = ike_spi_alloc(x->ike);
	ike_rand(pc->ni, sizeof(pc->ni));
	rc = child_props(x, rule, ike_auth, pc->spi_in, &pc->offer, &pfs);
	if (rc)
		return rc;
	if (pfs) {
		rc = dh_new(&pc->dh, x->sa->xf.dh);
		if (rc)
			return rc;
	}
	if (old) { /* RFC 7296 2.8: a rekey keeps the selectors */
		pc->tsi = old->loc;
		pc->tsr = old->rem;
		pc->active = true;
		return 0;
	}
	rc = ts_from_rule(x->ike->cfg.spd, rule, &x->local.addr, &x->remote.addr, &pol);
	if (rc)
		return rc;
	rc = -EINVAL;
	for (i = 0; i < pol.n && rc; i++)
		rc = ts_offer(&pol.pair[i], pkt, &pc->tsi, &pc->tsr);
	if (rc)
		return rc;
	pc->active = true;
	return 0;
}

static void put_ts_pair(struct ikev2_wr *w, const struct ts_list *tsi, const struct ts_list *tsr)
{
	struct ikev2_ts_list wi, wr_;

	ts_to_wire(tsi, &wi);
	ts_to_wire(tsr, &wr_);
	ikev2_put_ts(w, IKEV2_PLD_TSI, &wi);
	ikev2_put_ts(w, IKEV2_PLD_TSR, &wr_);
}

static void put_transport(struct ikev2_wr *w, const struct spd_rule *rule)
{
	struct ikev2_notify n = { .type = IKEV2_N_USE_TRANSPORT_MODE };

	if (rule && rule->mode == SPD_MODE_TRANSPORT)
		ikev2_put_notify(w, &n);
}

static int put_ke(struct ikev2_wr *w, const struct dh *dh)
{
	uint8_t pub[DH_PUBLIC_MAX];
	struct ikev2_ke ke;
	size_t n;

	if (dh_public(dh, pub, sizeof(pub), &n))
		return -EIO;
	ke = (struct ikev2_ke){ .group = dh_group(dh), .data = pub, .len = n };
	ikev2_put_ke(w, &ke);
	return 0;
}

/* IKE_AUTH: [N(USE_TRANSPORT_MODE)], SA, TSi, TSr. */
void ike_child_put_offer(struct ike_xsa *x, struct ikev2_wr *w)
{
	struct ikev2_sa wsa;

	put_transport(w, x->pc.rule);
	prop_to_wire(&x->pc.offer, &wsa);
	ikev2_put_sa(w, &wsa);
	put_ts_pair(w, &x->pc.tsi, &x->pc.tsr);
}

/* ---- selectors for the data path ---- */

/* The prefix that covers start..end; exact when the range is one. */
static uint8_t range_plen(const struct ipaddr *s, const struct ipaddr *e)
{
	unsigned bits = ipaddr_len(s) * 8, plen = 0;

	while (plen < bits) {
		unsigned byte = plen / 8, bit = 7 - plen % 8;

		if (((s->b[byte] >> bit) & 1) != ((e->b[byte] >> bit) & 1))
			break;
		plen++;
	}
	return (uint8_t)plen;
}

static void sel_from_ts(const struct ts *l, const struct ts *r, struct dp_sel *s)
{
	memset(s, 0, sizeof(*s));
	s->local = l->start;
	s->remote = r->start;
	s->local_plen = range_plen(&l->start, &l->end);
	s->remote_plen = range_plen(&r->start, &r->end);
	s->proto = l->proto ? l->proto : r->proto;
	if (l->start_port == l->end_port)
		s->lport = l->start_port;
	if (r->start_port == r->end_port)
		s->rport = r->start_port;
}

static size_t sels_from_ts(const struct ts_list *loc, const struct ts_list *rem, struct dp_sel *sel,
			   size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < loc->n; i++)
		for (size_t j = 0; j < rem->n && n < cap; j++)
			if (loc->ts[i].type == rem->ts[j].type)
				sel_from_ts(&loc->ts[i], &rem->ts[j], &sel[n++]);
	return n;
}

/* ---- installation ---- */

/* RFC 7296 2.8.1 compares nonces as octet strings; a shorter prefix is lower. */
static int nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

struct child_neg {
	const struct spd_rule *rule;
	const struct prop *chosen; /* with our origin */
	uint32_t spi_in, spi_out;
	bool initiator; /* of this exchange */
	const uint8_t *ni, *nr, *gir;
	size_t ni_len, nr_len, gir_len;
	const struct ts_list *loc, *rem;
	uint32_t replaces;
};

static void life_from(const struct spd_method *me, struct sa_params *p)
{
	p->hard.seconds = me->life_sec;
	p->soft.seconds = (uint64_t)me->life_sec * IKE_CHILD_SOFT_PCT / 100;
	p->hard.bytes = me->life_kb * 1024;
	p->soft.bytes = p->hard.bytes / 100 * IKE_CHILD_SOFT_PCT;
}

/* 0 installed; 1 recorded but the data path refused it (a delete is queued); -errno
 * nothing recorded. */
static int child_install(struct ike_xsa *x, const struct child_neg *n)
{
	struct ike *ike = x->ike;
	const struct prop_xf *encr = prop_find(n->chosen, IKEV2_XF_ENCR);
	const struct prop_xf *integ = prop_find(n->chosen, IKEV2_XF_INTEG);
	const struct prop_xf *esn = prop_find(n->chosen, IKEV2_XF_ESN);
	const struct spd_method *me = NULL;
	struct xc_encr_info ei = { 0 };
	struct xc_integ_info ii = { 0 };
	struct child_keys ck;
	struct ike_child ic;
	struct ike_xchild *c;
	char pb[128];
	int rc;

	memset(&ic, 0, sizeof(ic));
	ic.in.proto = ic.out.proto = n->chosen->proto == IKEV2_PROTO_ESP ? IPPROTO_ESP : IPPROTO_AH;
	ic.in.mode = ic.out.mode =
		n->rule->mode == SPD_MODE_TUNNEL ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT;
	ic.in.esn = ic.out.esn = esn && esn->id == IKEV2_ESN_YES;
	if (encr) {
		ic.in.encr = encr->id;
		ic.in.encr_bits = encr->key_bits;
		if (!ic.in.encr_bits && encr->id == ENCR_CHACHA20_POLY1305)
			ic.in.encr_bits = 256;
		if (xcipher_encr_info(ic.in.encr, ic.in.encr_bits, &ei))
			return -EINVAL;
	}
	if (integ && integ->id != AUTH_NONE) {
		ic.in.integ = integ->id;
		if (xcipher_integ_info(ic.in.integ, &ii))
			return -EINVAL;
	}
	ic.out.encr = ic.in.encr;
	ic.out.encr_bits = ic.in.encr_bits;
	ic.out.integ = ic.in.integ;
	/* RFC 7296 2.17 */
	rc = ikekeys_child(&ck, x->sa->xf.prf, x->sa->keys.d, x->sa->keys.len.d, n->gir, n->gir_len,
			   n->ni, n->ni_len, n->nr, n->nr_len, ei.key_len, ii.key_len);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ikekeys_child_wipe(&ck);
		return -ENOMEM;
	}
	ic.id = ike->next_child_id++;
	ic.replaces = n->replaces;
	ic.rule = n->rule->name;
	ic.in.dir = SA_DIR_IN;
	ic.out.dir = SA_DIR_OUT;
	ic.in.spi = n->spi_in;
	ic.out.spi = n->spi_out;
	ic.out.src = ic.in.dst = x->local.addr;
	ic.out.dst = ic.in.src = x->remote.addr;
	/* initiator -> responder keys first (2.17) */
	ic.out.encr_key = n->initiator ? ck.encr_i : ck.encr_r;
	ic.out.integ_key = n->initiator ? ck.integ_i : ck.integ_r;
	ic.in.encr_key = n->initiator ? ck.encr_r : ck.encr_i;
	ic.in.integ_key = n->initiator ? ck.integ_r : ck.integ_i;
	ic.in.encr_key_len = ic.out.encr_key_len = ck.encr_len;
	ic.in.integ_key_len = ic.out.integ_key_len = ck.integ_len;
	if (!ck.encr_len)
		ic.in.encr_key = ic.out.encr_key = NULL;
	if (!ck.integ_len)
		ic.in.integ_key = ic.out.integ_key = NULL;
	ic.in.replay_window = IKE_REPLAY_WINDOW;
	if (n->rule->action && n->chosen->origin < n->rule->action->nmethods)
		me = &n->rule->action->methods[n->chosen->origin];
	if (me) {
		life_from(me, &ic.in);
		life_from(me, &ic.out);
	}
	if (x->sa->nat_local || x->sa->nat_peer || ike->cfg.force_encap) {
		/* RFC 3948: ESP in UDP on the ports IKE uses */
		ic.in.udp_encap = ic.out.udp_encap = true;
		ic.out.encap_sport = ic.in.encap_dport = x->local.port;
		ic.out.encap_dport = ic.in.encap_sport = x->remote.port;
	}
	ic.nsel = sels_from_ts(n->loc, n->rem, ic.sel, IKE_CHILD_SEL_MAX);
	rc = ike->io.child_up(ike->io.arg, &ic);
	ikekeys_child_wipe(&ck);
	wipe(&ic.in, sizeof(ic.in));
	wipe(&ic.out, sizeof(ic.out));

	c->id = ic.id;
	c->xsa = x;
	c->rule = n->rule;
	c->proto = ic.in.proto ? ic.in.proto
			       : (n->chosen->proto == IKEV2_PROTO_ESP ? IPPROTO_ESP : IPPROTO_AH);
	c->mode = n->rule->mode == SPD_MODE_TUNNEL ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT;
	c->spi_in = n->spi_in;
	c->spi_out = n->spi_out;
	c->loc = *n->loc;
	c->rem = *n->rem;
	c->we_initiated = n->initiator;
	c->created_ms = ike->now;
	c->replaced_id = n->replaces;
	if (nonce_cmp(n->ni, n->ni_len, n->nr, n->nr_len) < 0) {
		memcpy(c->nonce_min, n->ni, n->ni_len);
		c->nonce_min_len = n->ni_len;
	} else {
		memcpy(c->nonce_min, n->nr, n->nr_len);
		c->nonce_min_len = n->nr_len;
	}
	if (me && me->life_sec) {
		uint32_t rnd;
		uint64_t soft = (uint64_t)me->life_sec * 1000 * IKE_CHILD_SOFT_PCT / 100;

		/* RFC 7296 2.8: a random share earlier, so both ends rarely rekey at once */
		ike_rand(&rnd, sizeof(rnd));
		c->rekey_at_ms = ike->now + soft - rnd % (soft / 10 + 1);
		c->expire_at_ms = ike->now + (uint64_t)me->life_sec * 1000;
	}
	c->next = ike->children;
	ike->children = c;
	ike_sa_child_add(x->sa, c->id);
	x->sa->cnt.child_created++;
	ike->st.child_active++;
	ike->st.child_established++;
	if (n->replaces)
		ike->st.rekeys_child++;
	log_info("CHILD_SA #%u (rule %s) up: %s in %08x out %08x", c->id, n->rule->name,
		 prop_fmt(n->chosen, pb, sizeof(pb)), c->spi_in, c->spi_out);
	if (rc) {
		struct ike_todo t = { .kind = IKE_TODO_DEL_CHILD, .child_id = c->id };

		log_warn("CHILD_SA #%u (rule %s): the data path refused it (%d), deleting it",
			 c->id, n->rule->name, rc);
		ike_todo_push(x, &t);
		return 1;
	}
	if (n->replaces) {
		struct ike_xchild *old = ike_child_find(ike, n->replaces);

		log_info("CHILD_SA #%u replaces #%u", c->id, n->replaces);
		if (old) {
			old->rekeyed = true;
			old->rekeying = false;
			old->rekey_at_ms = 0;
		}
	}
	return 0;
}

/* ---- responder ---- */

const struct spd_rule *ike_child_rule_for(struct ike_xsa *x, const struct ikev2_msg *m)
{
	struct ts_list ti, tr;
	struct spd_decision d;
	struct spd_pkt pkt;

	if (!m->has_tsi || !m->has_tsr || ts_from_wire(&m->tsi, &ti) ||
	    ts_from_wire(&m->tsr, &tr) || !ti.n || !tr.n || ts_to_pkt(&ti.ts[0], &tr.ts[0], &pkt))
		return NULL;
	if (spd_respond(x->ike->cfg.spd, &pkt, &d) || d.verdict != SPD_PROTECT || !d.rule ||
	    !d.action || d.action->kind != SPD_ACT_NEGOTIATE)
		return NULL;
	return d.rule;
}

static void log_ts_refusal(const struct ike_xsa *x, const struct spd_rule *rule,
			   const struct ts_list *ti, const struct ts_list *tr,
			   const struct ts_policy *pol)
{
	char a[TS_STRLEN], b[TS_STRLEN], c[TS_STRLEN], d[TS_STRLEN], ra[IPADDR_STRLEN];

	log_warn("CHILD_SA from %s for rule %s: TS_UNACCEPTABLE: peer proposed TSi %s TSr %s, "
		 "the rule allows local %s remote %s%s",
		 ipaddr_fmt(&x->remote.addr, ra), rule->name,
		 ti->n ? ts_fmt(&ti->ts[0], a, sizeof(a)) : "-",
		 tr->n ? ts_fmt(&tr->ts[0], b, sizeof(b)) : "-",
		 pol->n ? ts_fmt(&pol->pair[0].local, c, sizeof(c)) : "-",
		 pol->n ? ts_fmt(&pol->pair[0].remote, d, sizeof(d)) : "-",
		 pol->n > 1 ? " (and more)" : "");
}

uint16_t ike_child_respond(struct ike_xsa *x, const struct spd_rule *rule, struct ikev2_msg *m,
			   bool ike_auth, const uint8_t *nr, size_t nr_len, uint32_t replaces,
			   struct ikev2_wr *w)
{
	struct ike *ike = x->ike;
	bool want_transport = ike_notify_find(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL;
	struct prop_list peer, ours;
	struct ts_list ti, tr, oi, or_;
	struct ts_policy pol;
	struct prop chosen, reply;
	const struct prop_xf *dhx;
	struct ikev2_sa wsa;
	uint8_t gir[DH_SECRET_MAX];
	size_t gir_len = 0;
	struct dh *dh = NULL;
	char why[PROP_WHY_MAX], ra[IPADDR_STRLEN];
	struct child_neg n;
	struct ike_natt_ts nt = { 0 };
	uint32_t spi = ike_spi_alloc(ike);
	bool pfs;
	int rc;

	ipaddr_fmt(&x->remote.addr, ra);
	if (!m->has_sa || !m->has_tsi || !m->has_tsr || prop_from_wire(&m->sa, &peer) ||
	    ts_from_wire(&m->tsi, &ti) || ts_from_wire(&m->tsr, &tr))
		return IKEV2_N_INVALID_SYNTAX;
	if (want_transport != (rule->mode == SPD_MODE_TRANSPORT)) {
		ike->st.negotiation_failures++;
		log_warn("CHILD_SA from %s for rule %s: NO_PROPOSAL_CHOSEN: peer wants %s mode, "
			 "the rule says %s",
			 ra, rule->name, want_transport ? "transport" : "tunnel",
			 rule->mode == SPD_MODE_TRANSPORT ? "transport" : "tunnel");
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	if (child_props(x, rule, ike_auth, spi, &ours, &pfs))
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	if (ike_auth) /* RFC 7296 1.2: no D-H in IKE_AUTH, whatever the peer lists */
		prop_strip_type(&peer, IKEV2_XF_DH);
	if (prop_select(&peer, &ours, m->has_ke ? m->ke.group : 0, &chosen, why, sizeof(why))) {
		ike->st.negotiation_failures++;
		log_warn("CHILD_SA from %s for rule %s: NO_PROPOSAL_CHOSEN: %s", ra, rule->name,
			 why);
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	dhx = prop_find(&chosen, IKEV2_XF_DH);
	if (dhx && dhx->id) { /* PFS, RFC 7296 1.3.1 */
		if (!m->has_ke || m->ke.group != dhx->id) {
			ike->st.negotiation_failures++;
			log_warn("CHILD_SA from %s for rule %s: KE payload missing or of another "
				 "group than %s",
				 ra, rule->name, dh_name(dhx->id));
			return IKEV2_N_INVALID_KE_PAYLOAD;
		}
		if (dh_new(&dh, dhx->id) ||
		    dh_shared(dh, m->ke.data, m->ke.len, gir, sizeof(gir), &gir_len)) {
			dh_free(dh);
			return IKEV2_N_INVALID_SYNTAX;
		}
	}
	if (rule->mode == SPD_MODE_TRANSPORT)
		ike_natt_ts_in(x, &ti, &tr, &nt);
	rc = ts_from_rule(ike->cfg.spd, rule, &x->local.addr, &x->remote.addr, &pol);
	if (!rc)
		rc = ts_narrow(&pol, &ti, &tr, &oi, &or_, NULL);
	if (rc) {
		if (!pol.n || rc)
			log_ts_refusal(x, rule, &ti, &tr, &pol);
		ike->st.negotiation_failures++;
		dh_free(dh);
		wipe(gir, sizeof(gir));
		return IKEV2_N_TS_UNACCEPTABLE;
	}
	n = (struct child_neg){ .rule = rule,
				.chosen = &chosen,
				.spi_in = spi,
				.spi_out = chosen.spi_size == 4 ? get_be32(chosen.spi) : 0,
				.initiator = false,
				.ni = ike_auth ? x->sa->ni : m->nonce.data,
				.ni_len = ike_auth ? x->sa->ni_len : m->nonce.len,
				.nr = ike_auth ? x->sa->nr : nr,
				.nr_len = ike_auth ? x->sa->nr_len : nr_len,
				.gir = gir_len ? gir : NULL,
				.gir_len = gir_len,
				.loc = &or_,
				.rem = &oi,
				.replaces = replaces };
	rc = child_install(x, &n);
	wipe(gir, sizeof(gir));
	if (rc < 0) {
		dh_free(dh);
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	reply = chosen;
	reply.spi_size = 4;
	put_be32(reply.spi, spi);
	put_transport(w, rule);
	prop_to_wire1(&reply, &wsa);
	ikev2_put_sa(w, &wsa);
	if (!ike_auth) {
		struct ikev2_nonce no = { .data = nr, .len = nr_len };

		ikev2_put_nonce(w, &no);
		if (dh)
			put_ke(w, dh);
	}
	ike_natt_ts_out(&nt, &oi, &or_);
	put_ts_pair(w, &oi, &or_);
	dh_free(dh);
	return 0;
}

/* ---- initiator ---- */

static void pchild_fail(struct ike_xsa *x, const char *why)
{
	struct ike_pchild *pc = &x->pc;
	char ob[PROP_WHY_MAX / 2], a[TS_STRLEN], b[TS_STRLEN];
	struct ike_xchild *old;

	x->ike->st.negotiation_failures++;
	log_warn("CHILD_SA for rule %s failed: %s; we offered [%s] TSi %s TSr %s",
		 pc->rule ? pc->rule->name : "-", why, prop_list_fmt(&pc->offer, ob, sizeof(ob)),
		 pc->tsi.n ? ts_fmt(&pc->tsi.ts[0], a, sizeof(a)) : "-",
		 pc->tsr.n ? ts_fmt(&pc->tsr.ts[0], b, sizeof(b)) : "-");
	old = pc->replaces ? ike_child_find(x->ike, pc->replaces) : NULL;
	if (old)
		old->rekeying = false;
	if (pc->acquire_id)
		ike_acquire_finish(x->ike, x, pc->acquire_id, false);
	ike_pchild_clear(pc);
}

/* Our rekey of child old_id finished, but the peer's rekey of the same child finished
 * first (we answered it): the pair the peer made, or NULL. */
static struct ike_xchild *rekey_collision(struct ike_xsa *x, uint32_t old_id)
{
	struct ike_xchild *old = old_id ? ike_child_find(x->ike, old_id) : NULL, *c;

	if (!old || !old->rekeyed)
		return NULL;
	for (c = x->ike->children; c; c = c->next)
		if (c->xsa == x && c->replaced_id == old_id && !c->we_initiated)
			return c;
	return NULL;
}

/* RFC 7296 1.3: the responder wants another of the groups we offered for PFS: send the same
 * request again once, with a KE payload of that group. true if it went out. */
static bool child_ke_retry(struct ike_xsa *x, const struct ikev2_notify *n)
{
	struct ike_pchild *pc = &x->pc;
	struct ike_xchild *old = pc->replaces ? ike_child_find(x->ike, pc->replaces) : NULL;
	const struct prop_xf *xf;
	struct dh *dh;
	bool offered = false;
	uint16_t g;

	if (!pc->dh || pc->ke_retried || n->len != 2 || (pc->replaces && !old))
		return false;
	g = get_be16(n->data);
	for (size_t i = 0; i < pc->offer.n; i++)
		for (size_t j = 0; j < pc->offer.p[i].nxf; j++) {
			xf = &pc->offer.p[i].xf[j];
			offered |= xf->type == IKEV2_XF_DH && xf->id == g;
		}
	if (!offered || g == dh_group(pc->dh) || dh_new(&dh, g))
		return false;
	dh_free(pc->dh);
	pc->dh = dh;
	pc->ke_retried = true;
	log_info("CREATE_CHILD_SA for rule %s: the peer asks for PFS group %s, retrying",
		 pc->rule->name, dh_name(g));
	return child_request(x, pc->rule, old) == 0;
}

void ike_child_finish(struct ike_xsa *x, struct ikev2_msg *m, bool ike_auth)
{
	struct ike_pchild *pc = &x->pc;
	const struct ikev2_notify *err = ike_notify_error(m);
	struct prop_list reply;
	struct ts_list ri, rr;
	struct prop chosen;
	const struct prop_xf *dhx;
	uint8_t gir[DH_SECRET_MAX];
	size_t gir_len = 0;
	char why[PROP_WHY_MAX] = ""; /* prop_from_wire() fails without a reason */
	struct child_neg n;
	struct ike_xchild *peer_made;
	int64_t acq;
	uint32_t old_id;
	int rc;

	if (!pc->active)
		return;
	if (err && err->type == IKEV2_N_INVALID_KE_PAYLOAD && child_ke_retry(x, err))
		return;
	if (err || !m->has_sa) {
		snprintf(why, sizeof(why), "peer answered %s",
			 err ? ikev2_notify_name(err->type) : "without an SA payload");
		/* a refusal that the next try would meet again; not for rekeys (the pair is
		 * still up and its lifetime paces the retries) */
		if (err && !pc->replaces &&
		    (err->type == IKEV2_N_NO_PROPOSAL_CHOSEN ||
		     err->type == IKEV2_N_TS_UNACCEPTABLE))
			ike_backoff_fail(x->ike, pc->rule, &x->remote.addr,
					 err->type == IKEV2_N_NO_PROPOSAL_CHOSEN
						 ? "no proposal chosen"
						 : "traffic selectors unacceptable");
		pchild_fail(x, why);
		return;
	}
	if (prop_from_wire(&m->sa, &reply) ||
	    prop_check_reply(&pc->offer, &reply, &chosen, why, sizeof(why))) {
		pchild_fail(x, why[0] ? why : "bad SA payload");
		return;
	}
	if (!m->has_tsi || !m->has_tsr || ts_from_wire(&m->tsi, &ri) ||
	    ts_from_wire(&m->tsr, &rr) || ts_check_reply(&pc->tsi, &pc->tsr, &ri, &rr)) {
		pchild_fail(x, "responder's selectors are not inside ours");
		return;
	}
	if ((ike_notify_find(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL) !=
	    (pc->rule->mode == SPD_MODE_TRANSPORT)) {
		pchild_fail(x, "responder answered in another mode");
		return;
	}
	if (!ike_auth && (!m->has_nonce)) {
		pchild_fail(x, "no nonce in the response");
		return;
	}
	dhx = prop_find(&chosen, IKEV2_XF_DH);
	if (dhx && dhx->id) {
		if (!pc->dh || !m->has_ke || m->ke.group != dhx->id ||
		    dh_shared(pc->dh, m->ke.data, m->ke.len, gir, sizeof(gir), &gir_len)) {
			pchild_fail(x, "bad or missing KE payload for PFS");
			return;
		}
	}
	n = (struct child_neg){ .rule = pc->rule,
				.chosen = &chosen,
				.spi_in = pc->spi_in,
				.spi_out = chosen.spi_size == 4 ? get_be32(chosen.spi) : 0,
				.initiator = true,
				.ni = ike_auth ? x->sa->ni : pc->ni,
				.ni_len = ike_auth ? x->sa->ni_len : sizeof(pc->ni),
				.nr = ike_auth ? x->sa->nr : m->nonce.data,
				.nr_len = ike_auth ? x->sa->nr_len : m->nonce.len,
				.gir = gir_len ? gir : NULL,
				.gir_len = gir_len,
				.loc = &ri,
				.rem = &rr,
				.replaces = pc->replaces };
	peer_made = rekey_collision(x, pc->replaces);
	rc = child_install(x, &n);
	wipe(gir, sizeof(gir));
	acq = pc->acquire_id;
	old_id = pc->replaces;
	ike_pchild_clear(pc);
	if (acq)
		ike_acquire_finish(x->ike, x, acq, rc == 0);
	if (!rc && peer_made && x->ike->children &&
	    nonce_cmp(x->ike->children->nonce_min, x->ike->children->nonce_min_len,
		      peer_made->nonce_min, peer_made->nonce_min_len) < 0) {
		/* RFC 7296 2.8.1: both ends rekeyed the same Child SA; the pair made with the
		 * lowest nonce is redundant and its creator (here: us) deletes it. */
		struct ike_todo t = { .kind = IKE_TODO_DEL_CHILD,
				      .child_id = x->ike->children->id };

		log_info("CHILD_SA rekey collision: #%u has the lowest nonce, deleting it",
			 x->ike->children->id);
		ike_todo_push(x, &t);
	}
	if (!rc && old_id && ike_child_find(x->ike, old_id)) {
		/* make-before-break: the new pair is in, now the old one goes */
		struct ike_todo t = { .kind = IKE_TODO_DEL_CHILD, .child_id = old_id };

		ike_todo_push(x, &t);
	}
}

/* ---- CREATE_CHILD_SA ---- */

int ike_child_start(struct ike_xsa *x, const struct spd_rule *rule, const struct spd_pkt *pkt,
		    int64_t acquire_id, uint32_t replaces)
{
	struct ike_xchild *old = replaces ? ike_child_find(x->ike, replaces) : NULL;
	struct ike_pchild *pc = &x->pc;
	int rc;

	if (!rule || (replaces && !old))
		return -ENOENT;
	if (x->req != IKE_REQ_NONE || x->sa->state != IKE_ST_ESTABLISHED) {
		struct ike_todo t = { .kind = replaces ? IKE_TODO_REKEY_CHILD : IKE_TODO_CHILD,
				      .rule = rule,
				      .acquire_id = acquire_id,
				      .child_id = replaces };

		if (pkt) {
			t.has_pkt = true;
			t.pkt = *pkt;
		}
		return ike_todo_push(x, &t) ? 0 : -EBUSY;
	}
	rc = ike_pchild_prepare(x, rule, pkt, false, replaces);
	if (rc) {
		ike_pchild_clear(pc);
		return rc;
	}
	pc->acquire_id = acquire_id;
	rc = child_request(x, rule, old);
	if (rc) {
		if (old)
			old->rekeying = false;
		ike_pchild_clear(pc);
		return rc;
	}
	if (old)
		log_info("CREATE_CHILD_SA started for rule %s (rekey of #%u%s%s)", rule->name,
			 old->id, pc->dh ? ", PFS " : "", pc->dh ? dh_name(dh_group(pc->dh)) : "");
	else
		log_info("CREATE_CHILD_SA started for rule %s (new Child SA%s%s)", rule->name,
			 pc->dh ? ", PFS " : "", pc->dh ? dh_name(dh_group(pc->dh)) : "");
	return 0;
}

/* HDR, SK {[N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr} from x->pc. */
static int child_request(struct ike_xsa *x, const struct spd_rule *rule, struct ike_xchild *old)
{
	struct ike_pchild *pc = &x->pc;
	struct ikev2_nonce no;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	struct ikev2_sa wsa;
	size_t len;
	int rc;

	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, false, 0, &b, &sm);
	if (old) { /* RFC 7296 1.3.3: the SPI the peer sends to */
		uint8_t spi[4];
		struct ikev2_notify rn = { .type = IKEV2_N_REKEY_SA, .spi_size = 4, .spi = spi };

		rn.proto = old->proto == IPPROTO_ESP ? IKEV2_PROTO_ESP : IKEV2_PROTO_AH;
		put_be32(spi, old->spi_in);
		ikev2_put_notify(&sm.inner, &rn);
		old->rekeying = true;
	}
	put_transport(&sm.inner, rule);
	prop_to_wire(&pc->offer, &wsa);
	ikev2_put_sa(&sm.inner, &wsa);
	no = (struct ikev2_nonce){ .data = pc->ni, .len = sizeof(pc->ni) };
	ikev2_put_nonce(&sm.inner, &no);
	if (pc->dh)
		put_ke(&sm.inner, pc->dh);
	put_ts_pair(&sm.inner, &pc->tsi, &pc->tsr);
	rc = ike_sk_seal(x, &sm, &len);
	if (!rc)
		rc = ike_request_send(x, IKE_REQ_CHILD, len);
	return rc;
}

static void ccsa_answer(struct ike_xsa *x, uint32_t msgid, uint16_t err, const uint8_t *data,
			size_t dlen)
{
	struct ikev2_notify n = { .type = err, .data = data, .len = dlen };
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len;

	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, &b, &sm);
	ikev2_put_notify(&sm.inner, &n);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, msgid, len);
}

static bool is_ike_rekey(const struct ikev2_msg *m)
{
	return m->has_sa && m->sa.nprop && m->sa.prop[0].proto == IKEV2_PROTO_IKE;
}

void ike_ccsa_request(struct ike_xsa *x, struct ikev2_msg *m)
{
	const struct ikev2_notify *rk = ike_notify_find(m, IKEV2_N_REKEY_SA);
	const struct spd_rule *rule;
	struct ike_xchild *old = NULL;
	uint8_t nr[IKE_NONCE_LEN];
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	char why[384];
	uint16_t err;
	size_t len;

	if (x->sa->state != IKE_ST_ESTABLISHED) {
		/* RFC 7296 2.25: not now */
		ccsa_answer(x, m->hdr.msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (is_ike_rekey(m)) {
		ike_rekey_ike_request(x, m);
		return;
	}
	if (!m->has_nonce) {
		ccsa_answer(x, m->hdr.msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (rk) {
		uint8_t proto = rk->proto == IKEV2_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;

		if (rk->spi_size == 4)
			old = ike_child_by_spi_out(x, proto, get_be32(rk->spi));
		if (!old || old->rekeyed) {
			log_info("CREATE_CHILD_SA: rekey of an unknown Child SA, "
				 "CHILD_SA_NOT_FOUND");
			ccsa_answer(x, m->hdr.msgid, IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
	}
	rule = old ? old->rule : ike_child_rule_for(x, m);
	if (!rule) {
		x->ike->st.negotiation_failures++;
		log_warn("CREATE_CHILD_SA: TS_UNACCEPTABLE: the selectors match no negotiate rule");
		ccsa_answer(x, m->hdr.msgid, IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	if (!old && !ike_auth_rule_ok(x, rule, why, sizeof(why))) {
		x->ike->st.negotiation_failures++;
		log_warn("CREATE_CHILD_SA: TS_UNACCEPTABLE: %s", why);
		ccsa_answer(x, m->hdr.msgid, IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	ike_rand(nr, sizeof(nr));
	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msgid, &b, &sm);
	err = ike_child_respond(x, rule, m, false, nr, sizeof(nr), old ? old->id : 0, &sm.inner);
	if (err) {
		uint8_t g[2];

		put_be16(g, x->sa->xf.dh);
		ccsa_answer(x, m->hdr.msgid, err, err == IKEV2_N_INVALID_KE_PAYLOAD ? g : NULL,
			    err == IKEV2_N_INVALID_KE_PAYLOAD ? 2 : 0);
		return;
	}
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, m->hdr.msgid, len);
}

void ike_ccsa_response(struct ike_xsa *x, struct ikev2_msg *m, enum ike_req_kind kind)
{
	if (kind == IKE_REQ_REKEY_IKE)
		ike_rekey_ike_response(x, m);
	else
		ike_child_finish(x, m, false);
}

/* Child SA lifetimes: rekey at the soft time (RFC 7296 2.8). */
void ike_child_tick(struct ike *ike, uint64_t now)
{
	struct ike_xchild *c;

	for (c = ike->children; c; c = c->next) {
		if (c->expire_at_ms && c->expire_at_ms <= now && !c->deleting && !c->xsa->dead) {
			/* RFC 7296 2.8: not rekeyed in time, the pair goes */
			log_info("CHILD_SA #%u: hard lifetime reached, deleting", c->id);
			c->deleting = true;
			ike_down_child(ike, c->id, now);
			continue;
		}
		if (!c->rekey_at_ms || c->rekey_at_ms > now || c->rekeying || c->rekeyed ||
		    c->xsa->dead)
			continue;
		c->rekey_at_ms = 0;
		log_info("CHILD_SA #%u: soft lifetime reached, rekeying", c->id);
		ike_rekey_child(ike, c->id, now);
	}
}
