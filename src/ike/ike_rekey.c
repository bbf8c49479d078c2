/* Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18).
 *
 *   HDR, SK {SA, Ni, KEi}  -->
 *                    <--  HDR, SK {SA, Nr, KEr}
 *
 * The SA payloads carry the new IKE SPIs (8 octets). The new IKE SA's original initiator is
 * the one that started the rekey; its keys come from SKEYSEED = prf(SK_d (old), g^ir (new) |
 * Ni | Nr) with the OLD SA's PRF. The Child SAs move to the new IKE SA, then the rekey's
 * initiator deletes the old IKE SA with an INFORMATIONAL exchange (which, having no Child
 * SAs left, removes nothing from the data path).
 */
#include <errno.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/util.h"

#define IKE_REKEY_RETRY_MS 1000

static uint64_t spi_nonzero(const uint8_t spi[IKE_SPI_LEN])
{
	uint64_t v = 0;

	for (int i = 0; i < IKE_SPI_LEN; i++)
		v |= spi[i];
	return v;
}

/* The Child SAs and the queued work of old go to nx. */
static void rekey_move(struct ike_xsa *old, struct ike_xsa *nx)
{
	struct ike_xchild *c;

	for (c = old->ike->children; c; c = c->next) {
		if (c->xsa != old)
			continue;
		ike_sa_child_del(old->sa, c->id);
		ike_sa_child_add(nx->sa, c->id);
		c->xsa = nx;
	}
	memcpy(nx->todo, old->todo, old->ntodo * sizeof(old->todo[0]));
	nx->ntodo = old->ntodo;
	old->ntodo = 0;
	nx->rule = old->rule;
	nx->answered = true;
	nx->sa->nat_local = old->sa->nat_local;
	nx->sa->nat_peer = old->sa->nat_peer;
	ike_frag_inherit(nx, old);
	ike_natt_keepalive_arm(nx);
	old->keepalive_at = 0;
	nx->sa->policy_id = old->sa->policy_id;
	old->replaced_by = nx;
	old->ike->st.rekeys_ike++;
}

static int rekey_keys(struct ike_xsa *old, struct ike_xsa *nx, const struct prop *chosen,
		      const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		      const uint8_t *gir, size_t gir_len)
{
	int rc;

	nx->dh_group = old->sa->xf.dh;
	memcpy(nx->sa->ni, ni, ni_len);
	nx->sa->ni_len = ni_len;
	memcpy(nx->sa->nr, nr, nr_len);
	nx->sa->nr_len = nr_len;
	rc = ike_ike_keys(nx, chosen, ni, ni_len, nr, nr_len, gir, gir_len, old->sa->keys.d,
			  old->sa->keys.len.d, old->sa->xf.prf);
	if (rc)
		return rc;
	nx->rule = old->rule;		/* its action's ike-lifetime */
	nx->peer_auth = old->peer_auth; /* the proof of IKE_AUTH still binds the peer */
	memcpy(nx->peer_ca, old->peer_ca, sizeof(nx->peer_ca));
	ike_sa_set_state(nx->sa, IKE_ST_ESTABLISHED, "made by rekeying");
	ike_xsa_established(nx);
	return 0;
}

int ike_rekey_ike_start(struct ike_xsa *x)
{
	uint8_t pub[DH_PUBLIC_MAX];
	struct ikev2_nonce no;
	struct ikev2_sa wsa;
	struct ikev2_ke ke;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len, publen;
	int rc;

	if (x->sa->state != IKE_ST_ESTABLISHED || x->replaced_by)
		return -EINVAL;
	if (x->req != IKE_REQ_NONE) {
		struct ike_todo t = { .kind = IKE_TODO_REKEY_IKE };

		return ike_todo_push(x, &t) ? 0 : -EBUSY;
	}
	do
		ike_rand(x->rk_spi, IKE_SPI_LEN);
	while (!spi_nonzero(x->rk_spi));
	ike_rand(x->rk_ni, sizeof(x->rk_ni));
	dh_free(x->rk_dh);
	x->rk_dh = NULL;
	rc = prop_ike_default(x->rk_spi, IKE_SPI_LEN, &x->rk_offer);
	if (!rc)
		rc = dh_new(&x->rk_dh, x->sa->xf.dh);
	if (!rc)
		rc = dh_public(x->rk_dh, pub, sizeof(pub), &publen);
	if (rc)
		return rc;
	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, false, 0, &b, &sm);
	prop_to_wire(&x->rk_offer, &wsa);
	ikev2_put_sa(&sm.inner, &wsa);
	no = (struct ikev2_nonce){ .data = x->rk_ni, .len = sizeof(x->rk_ni) };
	ikev2_put_nonce(&sm.inner, &no);
	ke = (struct ikev2_ke){ .group = x->sa->xf.dh, .data = pub, .len = publen };
	ikev2_put_ke(&sm.inner, &ke);
	rc = ike_sk_seal(x, &sm, &len);
	if (!rc)
		rc = ike_request_send(x, IKE_REQ_REKEY_IKE, len);
	if (rc)
		return rc;
	ike_sa_set_state(x->sa, IKE_ST_REKEYING, "rekey sent");
	log_info("CREATE_CHILD_SA: rekeying the IKE SA (rule %s)", x->rule ? x->rule->name : "-");
	return 0;
}

static void rekey_answer_err(struct ike_xsa *x, uint32_t msgid, uint16_t type, uint16_t group)
{
	uint8_t g[2];
	struct ikev2_notify n = { .type = type };
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len;

	if (type == IKEV2_N_INVALID_KE_PAYLOAD) {
		put_be16(g, group);
		n.data = g;
		n.len = 2;
	}
	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, &b, &sm);
	ikev2_put_notify(&sm.inner, &n);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, msgid, len);
}

void ike_rekey_ike_request(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	uint8_t spi_r[IKE_SPI_LEN], nr[IKE_NONCE_LEN], gir[DH_SECRET_MAX], pub[DH_PUBLIC_MAX];
	struct prop_list peer, ours;
	struct prop chosen, reply;
	const struct prop_xf *dhx;
	struct ike_xsa *nx;
	struct dh *dh = NULL;
	struct ikev2_nonce no;
	struct ikev2_sa wsa;
	struct ikev2_ke ke;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	char why[PROP_WHY_MAX];
	size_t gir_len, publen, len;
	int rc;

	if (x->req == IKE_REQ_REKEY_IKE || x->replaced_by) {
		/* RFC 7296 2.25: we are rekeying it ourselves; let ours finish */
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_TEMPORARY_FAILURE, 0);
		return;
	}
	if (!m->has_nonce || !m->has_ke || prop_from_wire(&m->sa, &peer) ||
	    prop_ike_default(NULL, 0, &ours)) {
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_INVALID_SYNTAX, 0);
		return;
	}
	/* our proposals without SPI accept the peer's with one: compare transforms only */
	for (size_t i = 0; i < ours.n; i++)
		ours.p[i].spi_size = IKE_SPI_LEN;
	if (prop_select(&peer, &ours, m->ke.group, &chosen, why, sizeof(why))) {
		ike->st.negotiation_failures++;
		log_warn("IKE SA rekey: NO_PROPOSAL_CHOSEN: %s", why);
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, 0);
		return;
	}
	dhx = prop_find(&chosen, IKEV2_XF_DH);
	if (!dhx || dhx->id != m->ke.group) {
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_INVALID_KE_PAYLOAD, dhx ? dhx->id : 0);
		return;
	}
	if (chosen.spi_size != IKE_SPI_LEN || !spi_nonzero(chosen.spi) || dh_new(&dh, dhx->id) ||
	    dh_shared(dh, m->ke.data, m->ke.len, gir, sizeof(gir), &gir_len)) {
		dh_free(dh);
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_INVALID_SYNTAX, 0);
		return;
	}
	do
		ike_rand(spi_r, sizeof(spi_r));
	while (!spi_nonzero(spi_r));
	ike_rand(nr, sizeof(nr));
	/* RFC 7296 2.18: the rekey's initiator is the new SA's original initiator */
	nx = ike_xsa_new(ike, IKE_ROLE_RESPONDER, chosen.spi, spi_r, &x->local, &x->remote);
	rc = nx ? rekey_keys(x, nx, &chosen, m->nonce.data, m->nonce.len, nr, sizeof(nr), gir,
			     gir_len)
		: -ENOMEM;
	wipe(gir, sizeof(gir));
	if (!rc)
		rc = dh_public(dh, pub, sizeof(pub), &publen);
	if (rc) {
		dh_free(dh);
		if (nx)
			ike_xsa_kill(nx, "rekey failed");
		rekey_answer_err(x, m->hdr.msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, 0);
		return;
	}
	rekey_move(x, nx);
	ike_sa_set_state(x->sa, IKE_ST_REKEYING, "rekeyed by the peer");
	reply = chosen;
	memcpy(reply.spi, spi_r, IKE_SPI_LEN);
	ike_sk_start(x, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msgid, &b, &sm);
	prop_to_wire1(&reply, &wsa);
	ikev2_put_sa(&sm.inner, &wsa);
	no = (struct ikev2_nonce){ .data = nr, .len = sizeof(nr) };
	ikev2_put_nonce(&sm.inner, &no);
	ke = (struct ikev2_ke){ .group = dhx->id, .data = pub, .len = publen };
	ikev2_put_ke(&sm.inner, &ke);
	dh_free(dh);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, m->hdr.msgid, len);
	log_info("IKE SA rekeyed by the peer (rule %s)", x->rule ? x->rule->name : "-");
}

/* The old IKE SA stays; try again a little later (RFC 7296 2.25: after TEMPORARY_FAILURE,
 * "retry after a short delay"; the random delay also breaks a tie of two rekeys that crossed,
 * each refused by the other). */
static void rekey_fail(struct ike_xsa *x, const char *why, bool temporary)
{
	uint32_t rnd;

	if (temporary)
		log_info("IKE SA rekey (rule %s) refused for now: %s; retrying later",
			 x->rule ? x->rule->name : "-", why);
	else
		log_warn("IKE SA rekey (rule %s) failed: %s; the old IKE SA stays",
			 x->rule ? x->rule->name : "-", why);
	if (!temporary)
		x->ike->st.negotiation_failures++;
	dh_free(x->rk_dh);
	x->rk_dh = NULL;
	if (x->sa->state == IKE_ST_REKEYING)
		ike_sa_set_state(x->sa, IKE_ST_ESTABLISHED, "rekey failed");
	ike_rand(&rnd, sizeof(rnd));
	x->sa->soft_at_ms = x->ike->now +
			    (temporary ? IKE_REKEY_RETRY_MS : 60 * IKE_REKEY_RETRY_MS) +
			    rnd % (4 * IKE_REKEY_RETRY_MS);
}

void ike_rekey_ike_response(struct ike_xsa *x, struct ikev2_msg *m)
{
	const struct ikev2_notify *err = ike_notify_error(m);
	uint8_t gir[DH_SECRET_MAX];
	struct prop_list reply;
	struct prop chosen;
	struct ike_xsa *nx;
	char why[PROP_WHY_MAX];
	size_t gir_len;
	int rc;

	if (err) {
		rekey_fail(x, ikev2_notify_name(err->type), err->type == IKEV2_N_TEMPORARY_FAILURE);
		return;
	}
	if (!m->has_sa || !m->has_nonce || !m->has_ke || prop_from_wire(&m->sa, &reply) ||
	    prop_check_reply(&x->rk_offer, &reply, &chosen, why, sizeof(why))) {
		rekey_fail(x, "bad response", false);
		return;
	}
	if (chosen.spi_size != IKE_SPI_LEN || !spi_nonzero(chosen.spi) ||
	    m->ke.group != x->sa->xf.dh ||
	    dh_shared(x->rk_dh, m->ke.data, m->ke.len, gir, sizeof(gir), &gir_len)) {
		rekey_fail(x, "bad SPI or KE payload", false);
		return;
	}
	dh_free(x->rk_dh);
	x->rk_dh = NULL;
	nx = ike_xsa_new(x->ike, IKE_ROLE_INITIATOR, x->rk_spi, chosen.spi, &x->local, &x->remote);
	rc = nx ? rekey_keys(x, nx, &chosen, x->rk_ni, sizeof(x->rk_ni), m->nonce.data,
			     m->nonce.len, gir, gir_len)
		: -ENOMEM;
	wipe(gir, sizeof(gir));
	if (rc) {
		if (nx)
			ike_xsa_kill(nx, "rekey failed");
		rekey_fail(x, "key derivation", false);
		return;
	}
	rekey_move(x, nx);
	log_info("IKE SA rekeyed (rule %s), deleting the old one", x->rule ? x->rule->name : "-");
	if (ike_info_delete_ike(x))
		ike_xsa_kill(x, "rekeyed");
}
