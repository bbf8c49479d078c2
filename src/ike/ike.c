/* The IKEv2 engine (ike.h): the SA list, dispatch of received messages to the exchanges,
 * sending and retransmission, timers, acquires and the administrative calls.
 *
 * Dispatch order for every datagram (RFC 7296 2.1, 2.3, 3.14): parse the header and the
 * outer payloads (wire/ikev2.c), find the IKE SA by its SPIs, classify the Message ID,
 * resend a cached response to a retransmitted request, and only after the SK payload
 * verified commit the Message ID and hand the message to its exchange. Anything that fails
 * before that is counted in invalid_packets and changes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ike/ike_int.h"
#include "ike/ike_timers.h"
#include "lib/log.h"
#include "lib/util.h"

void ike_rand(void *p, size_t n)
{
	/* RAND_bytes failing leaves no safe fallback for SPIs and nonces. */
	if (RAND_bytes(p, (int)n) != 1)
		abort();
}

uint32_t ike_spi_alloc(struct ike *ike)
{
	struct ike_xchild *c;
	uint32_t spi;

	for (;;) {
		ike_rand(&spi, sizeof(spi));
		if (spi < 256) /* RFC 4303 2.1: 1..255 reserved */
			continue;
		for (c = ike->children; c; c = c->next)
			if (c->spi_in == spi)
				break;
		if (!c)
			return spi;
	}
}

/* ---- Child SA list ---- */

struct ike_xchild *ike_child_find(struct ike *ike, uint32_t id)
{
	struct ike_xchild *c;

	for (c = ike->children; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

struct ike_xchild *ike_child_by_spi_out(struct ike_xsa *x, uint8_t proto, uint32_t spi)
{
	struct ike_xchild *c;

	for (c = x->ike->children; c; c = c->next)
		if (c->xsa == x && c->proto == proto && c->spi_out == spi)
			return c;
	return NULL;
}

struct ike_xchild *ike_child_by_spi_in(struct ike_xsa *x, uint8_t proto, uint32_t spi)
{
	struct ike_xchild *c;

	for (c = x->ike->children; c; c = c->next)
		if (c->xsa == x && c->proto == proto && c->spi_in == spi)
			return c;
	return NULL;
}

/* Unlink, tell the data path, free. */
void ike_child_remove(struct ike_xchild *c, const char *why)
{
	struct ike *ike = c->xsa->ike;
	struct ike_xchild **pp;

	for (pp = &ike->children; *pp; pp = &(*pp)->next) {
		if (*pp != c)
			continue;
		*pp = c->next;
		break;
	}
	ike_sa_child_del(c->xsa->sa, c->id);
	log_info("CHILD_SA #%u (rule %s) %08x/%08x down: %s", c->id, c->rule ? c->rule->name : "-",
		 c->spi_in, c->spi_out, why);
	ike->io.child_down(ike->io.arg, c->id);
	if (ike->st.child_active)
		ike->st.child_active--;
	free(c);
}

/* ---- acquires ---- */

void ike_acquire_finish(struct ike *ike, struct ike_xsa *x, int64_t acquire_id, bool ok)
{
	struct ike_acq **pp, *a;

	for (pp = &ike->acqs; *pp; pp = &(*pp)->next) {
		a = *pp;
		if (a->id != acquire_id)
			continue;
		*pp = a->next;
		ike->nacq--;
		if (!ok)
			ike->st.acquire_failures++;
		else
			ike_backoff_forget(ike, a->rule, &a->peer);
		if (ike->io.acquire_done)
			ike->io.acquire_done(ike->io.arg, (uint32_t)a->id, ok,
					     !ok && a->soft && !(x && x->answered));
		free(a);
		return;
	}
}

static void acquires_fail_for(struct ike *ike, struct ike_xsa *x)
{
	struct ike_acq *a, *next;

	for (a = ike->acqs; a; a = next) {
		next = a->next;
		if (a->xsa == x)
			ike_acquire_finish(ike, x, a->id, false);
	}
}

/* ---- IKE SAs ---- */

struct ike_xsa *ike_xsa_new(struct ike *ike, enum ike_role role, const uint8_t spi_i[8],
			    const uint8_t spi_r[8], const struct ike_endpoint *local,
			    const struct ike_endpoint *remote)
{
	struct ike_xsa *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->sa = ike_sa_new(role, spi_i, spi_r, &remote->addr, remote->port, ike->now);
	if (!x->sa) {
		free(x);
		return NULL;
	}
	if (ike->cfg.dpd_delay_ms)
		x->sa->tp.dpd_delay_ms = ike->cfg.dpd_delay_ms;
	x->sa->owner = x;
	x->ike = ike;
	x->local = *local;
	x->remote = *remote;
	if (ike_sa_table_add(ike->tab, x->sa)) {
		ike_sa_free(x->sa);
		free(x);
		return NULL;
	}
	x->next = ike->sas;
	ike->sas = x;
	return x;
}

void ike_pchild_clear(struct ike_pchild *pc)
{
	dh_free(pc->dh);
	wipe(pc, sizeof(*pc));
}

/* The SA is finished: remove its Child SAs, fail what waited for it; freed by reap(). */
void ike_xsa_kill(struct ike_xsa *x, const char *why)
{
	struct ike *ike = x->ike;
	struct ike_xchild *c, *next;
	size_t i;

	if (x->dead)
		return;
	if (x->sa->state == IKE_ST_ESTABLISHED || x->sa->state == IKE_ST_REKEYING ||
	    x->sa->state == IKE_ST_DELETING)
		if (ike->st.ike_active)
			ike->st.ike_active--;
	if (x->sa->state != IKE_ST_DEAD)
		ike_sa_set_state(x->sa, IKE_ST_DEAD, why);
	x->dead = true;
	for (c = ike->children; c; c = next) {
		next = c->next;
		if (c->xsa == x)
			ike_child_remove(c, why);
	}
	if (x->pc.active && x->pc.acquire_id)
		ike_acquire_finish(ike, x, x->pc.acquire_id, false);
	for (i = 0; i < x->ntodo; i++)
		if (x->todo[i].acquire_id)
			ike_acquire_finish(ike, x, x->todo[i].acquire_id, false);
	x->ntodo = 0;
	acquires_fail_for(ike, x);
}

static void xsa_free(struct ike_xsa *x)
{
	ike_sa_table_remove(x->ike->tab, x->sa);
	ike_sa_free(x->sa);
	dh_free(x->dh);
	dh_free(x->rk_dh);
	ike_pchild_clear(&x->pc);
	ike_sk_clear(&x->sk_out);
	ike_sk_clear(&x->sk_in);
	ike_frag_clear(&x->frag);
	free(x->init_req);
	free(x->init_resp);
	wipe(x, sizeof(*x));
	free(x);
}

static void reap(struct ike *ike)
{
	struct ike_xsa **pp = &ike->sas, *x;

	while ((x = *pp)) {
		if (!x->dead) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		xsa_free(x);
	}
}

/* RFC 7296 2.8 leaves the IKE SA's lifetime to local policy: the action's ike-lifetime, else
 * IKE_LIFE_DEFAULT_SEC (Windows' main mode lifetime). Rekey between 85 % and 90 % of it (the
 * jitter keeps both ends from rekeying at once), delete at it. */
static void xsa_lifetime(struct ike_xsa *x)
{
	const struct spd_action *act = x->rule ? x->rule->action : NULL;
	uint64_t life = act && act->ike_life_sec ? act->ike_life_sec : IKE_LIFE_DEFAULT_SEC;

	life *= 1000;
	x->sa->tp.hard_ms = life;
	x->sa->tp.soft_ms = life / 10 * 9;
	x->sa->tp.jitter_ms = life / 20;
}

void ike_xsa_established(struct ike_xsa *x)
{
	uint32_t rnd;

	ike_rand(&rnd, sizeof(rnd));
	xsa_lifetime(x);
	x->established_ms = x->ike->now;
	x->sa->half_open_at_ms = 0;
	ike_timers_arm_lifetime(x->sa, x->ike->now, rnd);
	ike_natt_keepalive_arm(x);
	x->ike->st.ike_active++;
	x->ike->st.ike_established++;
}

bool ike_todo_push(struct ike_xsa *x, const struct ike_todo *t)
{
	if (x->ntodo >= IKE_TODO_MAX)
		return false;
	x->todo[x->ntodo++] = *t;
	return true;
}

/* Start the next queued piece of work once no request is outstanding. */
void ike_xsa_kick(struct ike_xsa *x)
{
	struct ike_todo t;
	int rc = 0;

	while (!x->dead && x->req == IKE_REQ_NONE && x->ntodo &&
	       x->sa->state == IKE_ST_ESTABLISHED) {
		t = x->todo[0];
		memmove(&x->todo[0], &x->todo[1], (x->ntodo - 1) * sizeof(t));
		x->ntodo--;
		switch (t.kind) {
		case IKE_TODO_CHILD:
			rc = ike_child_start(x, t.rule, t.has_pkt ? &t.pkt : NULL, t.acquire_id, 0);
			break;
		case IKE_TODO_REKEY_CHILD:
			rc = ike_child_find(x->ike, t.child_id)
				     ? ike_child_start(x, ike_child_find(x->ike, t.child_id)->rule,
						       NULL, 0, t.child_id)
				     : 0;
			break;
		case IKE_TODO_DEL_CHILD:
			rc = ike_child_find(x->ike, t.child_id)
				     ? ike_info_delete_child(x, t.child_id)
				     : 0;
			break;
		case IKE_TODO_REKEY_IKE:
			rc = ike_rekey_ike_start(x);
			break;
		case IKE_TODO_DEL_IKE:
			rc = ike_info_delete_ike(x);
			break;
		}
		if (rc && t.acquire_id)
			ike_acquire_finish(x->ike, x, t.acquire_id, false);
	}
}

/* ---- sending ---- */

void ike_send_to(struct ike *ike, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *msg, size_t len)
{
	ike_frag_send_all(ike, local, remote, msg, len);
}

void ike_send(struct ike_xsa *x, const uint8_t *msg, size_t len)
{
	ike_send_to(x->ike, &x->local, &x->remote, msg, len);
}

int ike_request_send(struct ike_xsa *x, enum ike_req_kind kind, size_t len)
{
	uint32_t id;
	int rc;

	rc = ike_msgid_tx_start(&x->sa->msgid, x->ike->tx, len, x->ike->now, &id);
	if (rc)
		return rc;
	ike_timers_request_sent(x->sa, id, x->ike->now);
	x->req = kind;
	x->req_id = id;
	x->sa->cnt.exchanges_out++;
	ike_send(x, x->ike->tx, len);
	return 0;
}

void ike_response_send(struct ike_xsa *x, uint32_t id, size_t len)
{
	if (ike_msgid_rx_store_response(&x->sa->msgid, id, x->ike->tx, len))
		log_warn("IKE: response %u not cached", id);
	ike_send(x, x->ike->tx, len);
}

void ike_sk_start(struct ike_xsa *x, uint8_t exch, bool response, uint32_t id, struct ikev2_wr *b,
		  struct ike_sk_msg *sm)
{
	struct ikev2_hdr h = { 0 };

	h.ispi = 0;
	for (size_t i = 0; i < IKE_SPI_LEN; i++) {
		h.ispi = h.ispi << 8 | x->sa->spi_i[i];
		h.rspi = h.rspi << 8 | x->sa->spi_r[i];
	}
	h.major = IKEV2_MAJOR;
	h.minor = IKEV2_MINOR;
	h.exchange = exch;
	/* RFC 7296 3.1: I set by the original initiator, R on responses. */
	h.flags = (uint8_t)((x->sa->role == IKE_ROLE_INITIATOR ? IKEV2_FLAG_I : 0) |
			    (response ? IKEV2_FLAG_R : 0));
	h.msgid = response ? id : (uint32_t)x->sa->msgid.tx_next;
	ikev2_wr_init(b, x->ike->tx, IKE_BUF_MAX, &h);
	ike_sk_begin(&x->sk_out, b, sm);
}

int ike_sk_seal(struct ike_xsa *x, struct ike_sk_msg *sm, size_t *len)
{
	return ike_frag_seal(x, sm, len);
}

/* ---- helpers for the exchanges ---- */

const struct ikev2_notify *ike_notify_find(const struct ikev2_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->nnotify; i++)
		if (m->notify[i].type == type)
			return &m->notify[i];
	return NULL;
}

const struct ikev2_notify *ike_notify_error(const struct ikev2_msg *m)
{
	for (size_t i = 0; i < m->nnotify; i++)
		if (m->notify[i].type <= IKEV2_N_ERROR_MAX)
			return &m->notify[i];
	return NULL;
}

/* ---- engine ---- */

static int cfg_copy(struct ike *ike, const struct ike_config *cfg)
{
	struct ipaddr *l = NULL;

	if (!cfg || !cfg->spd || !cfg->spd->compiled)
		return -EINVAL;
	if (cfg->nlocal) {
		l = calloc(cfg->nlocal, sizeof(*l));
		if (!l)
			return -ENOMEM;
		memcpy(l, cfg->local, cfg->nlocal * sizeof(*l));
	}
	free(ike->locals);
	ike->locals = l;
	ike->cfg = *cfg;
	ike->cfg.local = l;
	ike_frag_config(ike);
	ike->lim.cookie_at = cfg->cookie_threshold ? cfg->cookie_threshold : 32;
	ike->lim.per_peer_max = cfg->half_open_per_peer ? cfg->half_open_per_peer : 16;
	ike->lim.max_total = ike->lim.cookie_at * 64;
	return 0;
}

struct ike *ike_new(const struct ike_config *cfg, const struct ike_io *io, uint64_t now)
{
	struct ike *ike;
	uint64_t seed;

	if (!io || !io->send || !io->child_up || !io->child_down) {
		log_err("IKE: engine needs send, child_up and child_down callbacks");
		return NULL;
	}
	ike = calloc(1, sizeof(*ike));
	if (!ike)
		return NULL;
	if (cfg_copy(ike, cfg)) {
		log_err("IKE: unusable configuration (policy not compiled?)");
		free(ike);
		return NULL;
	}
	ike->io = *io;
	ike->now = now;
	ike->next_child_id = 1;
	ike->next_acq_id = 1;
	ike_rand(&seed, sizeof(seed));
	ike->tab = ike_sa_table_new(seed);
	if (!ike->tab || ike_cookie_init(&ike->cookie, NULL, 300000, now)) {
		ike_sa_table_free(ike->tab);
		free(ike->locals);
		free(ike);
		return NULL;
	}
	return ike;
}

void ike_free(struct ike *ike)
{
	struct ike_xsa *x;
	struct ike_acq *a;

	if (!ike)
		return;
	for (x = ike->sas; x; x = x->next)
		ike_xsa_kill(x, "engine stopped");
	reap(ike);
	while ((a = ike->acqs)) {
		ike->acqs = a->next;
		free(a);
	}
	ike_sa_table_free(ike->tab);
	ike_sig_free(ike);
	ike_cookie_wipe(&ike->cookie);
	free(ike->locals);
	wipe(ike, sizeof(*ike));
	free(ike);
}

void ike_shutdown(struct ike *ike, uint64_t now)
{
	struct ike_xsa *x;

	if (!ike)
		return;
	ike->now = now;
	for (x = ike->sas; x; x = x->next)
		if (!x->dead && x->sa->state == IKE_ST_ESTABLISHED && x->req == IKE_REQ_NONE)
			ike_info_delete_ike(x);
	ike_free(ike);
}

static const struct spd_rule *rule_by_name(const struct ike *ike, const char *name);

/* The rule of the same name in the new model (the old one is still valid during reload). */
static const struct spd_rule *rule_remap(const struct ike *ike, const struct spd_rule *old)
{
	const struct spd_policy *p = ike->cfg.spd->active;

	if (!old || !p)
		return NULL;
	if (old->is_default_response)
		return p->dr.active ? &p->dr : NULL;
	return rule_by_name(ike, old->name);
}

int ike_reload(struct ike *ike, const struct ike_config *cfg, uint64_t now)
{
	struct ike_xchild *c;
	struct ike_xsa *x;
	int rc;

	ike->now = now;
	rc = cfg_copy(ike, cfg);
	if (rc)
		return rc;
	ike_sig_free(ike);	/* stores are keyed by the old model's methods */
	ike_backoff_reset(ike); /* keyed by the old rules; the new keys may fix the failure */
	for (c = ike->children; c; c = c->next)
		c->rule = rule_remap(ike, c->rule);
	for (struct ike_acq *a = ike->acqs; a; a = a->next)
		a->rule = rule_remap(ike, a->rule);
	for (x = ike->sas; x; x = x->next) {
		bool had = x->rule != NULL;

		if (x->dead)
			continue;
		x->rule = rule_remap(ike, x->rule);
		x->auth = NULL;
		ike_auth_reloaded(x);
		x->pc.rule = rule_remap(ike, x->pc.rule);
		for (size_t i = 0; i < x->ntodo; i++)
			x->todo[i].rule = rule_remap(ike, x->todo[i].rule);
		if (!had || x->rule)
			continue;
		log_info("IKE: rule gone after reload, deleting its IKE SA");
		if (x->sa->state == IKE_ST_ESTABLISHED && x->req == IKE_REQ_NONE)
			ike_info_delete_ike(x);
		else
			ike_xsa_kill(x, "rule removed by reload");
	}
	for (c = ike->children; c; c = c->next)
		if (!c->rule && !c->xsa->dead && c->xsa->req == IKE_REQ_NONE)
			ike_info_delete_child(c->xsa, c->id);
	reap(ike);
	return 0;
}

/* ---- input ---- */

static int open_sk(struct ike_xsa *x, struct ikev2_msg *m, size_t len)
{
	struct ike_sk_plain p;
	enum ike_sk_err e;
	enum ikev2_err pe;

	if (m->has_skf) /* RFC 7383: -EINPROGRESS until every fragment is here */
		return ike_frag_input(x, m, len);
	if (!x->keyed || !m->has_sk)
		return -EBADMSG;
	e = ike_sk_open(&x->sk_in, x->ike->rx, len, &m->sk, &p);
	if (e != IKE_SK_OK) {
		log_ratelimited(LOG_LVL_INFO, "IKE %s %u: SK payload refused: %s",
				ikev2_exchange_name(m->hdr.exchange), m->hdr.msgid,
				ike_sk_err_name(e));
		return -EBADMSG;
	}
	pe = ikev2_inner_parse(x->ike->rx + p.off, p.len, p.first, m);
	if (pe != IKEV2_OK) {
		log_ratelimited(LOG_LVL_INFO, "IKE %s %u: bad inner payloads: %s",
				ikev2_exchange_name(m->hdr.exchange), m->hdr.msgid,
				ikev2_err_name(pe));
		return -EBADMSG;
	}
	return 0;
}

static void spi_bytes(uint64_t v, uint8_t out[IKE_SPI_LEN])
{
	for (int i = IKE_SPI_LEN - 1; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static void input_response(struct ike *ike, struct ike_xsa *x, struct ikev2_msg *m, size_t len)
{
	enum ike_req_kind kind = x->req;
	int rc;

	if (ike_msgid_tx_check(&x->sa->msgid, m->hdr.msgid) != IKE_MSGID_MATCH ||
	    kind == IKE_REQ_NONE || m->hdr.msgid != x->req_id) {
		ike->st.invalid_packets++;
		return;
	}
	rc = open_sk(x, m, len);
	if (rc) {
		if (rc != -EINPROGRESS)
			ike->st.invalid_packets++;
		return;
	}
	ike_msgid_tx_done(&x->sa->msgid, m->hdr.msgid);
	x->req = IKE_REQ_NONE;
	x->answered = true;
	ike_sa_heard(x->sa, ike->now);
	x->sa->dpd_pending = false;
	switch (kind) {
	case IKE_REQ_AUTH:
		ike_auth_response(x, m);
		break;
	case IKE_REQ_CHILD:
	case IKE_REQ_REKEY_IKE:
		ike_ccsa_response(x, m, kind);
		break;
	case IKE_REQ_DEL_CHILD:
	case IKE_REQ_DEL_IKE:
	case IKE_REQ_DPD:
		ike_info_response(x, m, kind);
		break;
	default:
		break;
	}
	if (!x->dead)
		ike_xsa_kick(x);
}

/* A retransmitted request of a keyed IKE SA: its SK (or first SKF) payload verified. */
static bool resend_authentic(struct ike_xsa *x, const struct ikev2_msg *m, size_t len)
{
	struct ike_sk_plain p;

	if (!x->keyed)
		return true; /* IKE_SA_INIT: nothing to verify, answered as before */
	return (m->has_sk || m->has_skf) &&
	       ike_sk_open(&x->sk_in, x->ike->rx, len, &m->sk, &p) == IKE_SK_OK;
}

static void input_request(struct ike *ike, struct ike_xsa *x, struct ikev2_msg *m, size_t len,
			  const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	const struct ike_msg_buf *cached;
	int rc;

	switch (ike_msgid_rx_check(&x->sa->msgid, m->hdr.msgid, &cached)) {
	case IKE_MSGID_NEW:
		break;
	case IKE_MSGID_RESEND:
		/* RFC 7296 2.1: the same response again, not a new one; only to a request
		 * whose ICV is right (a forged one would have the cache sent anywhere). */
		if (cached && cached->len && ike_frag_resend_ok(m) && resend_authentic(x, m, len))
			ike_send_to(ike, local, remote, cached->b, cached->len);
		return;
	default:
		return;
	}
	rc = open_sk(x, m, len);
	if (rc) {
		if (rc != -EINPROGRESS)
			ike->st.invalid_packets++;
		return;
	}
	if (ike_msgid_rx_commit(&x->sa->msgid, m->hdr.msgid)) {
		ike->st.invalid_packets++;
		return;
	}
	/* The peer may have moved to port 4500 or its NAT mapping may have changed (RFC 7296
	 * 2.23): answer where it sent from. */
	ike_natt_peer_seen(x, local, remote);
	x->sa->cnt.exchanges_in++;
	x->answered = true;
	ike_sa_heard(x->sa, ike->now);
	switch (m->hdr.exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		ike_auth_request(x, m);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		ike_ccsa_request(x, m);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		ike_info_request(x, m);
		break;
	default:
		break;
	}
	if (!x->dead)
		ike_xsa_kick(x);
}

void ike_input(struct ike *ike, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	       const uint8_t *msg, size_t len, uint64_t now)
{
	struct ikev2_msg *m = &ike->msg;
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	enum ikev2_err e;
	struct ike_sa *sa;
	struct ike_xsa *x;
	bool resp;

	ike->now = now;
	if (!msg || len < IKEV2_HDR_LEN || len > sizeof(ike->rx)) {
		ike->st.invalid_packets++;
		return;
	}
	memcpy(ike->rx, msg, len);
	e = ikev2_msg_parse(ike->rx, len, m);
	if (e != IKEV2_OK) {
		ike->st.invalid_packets++;
		log_ratelimited(LOG_LVL_INFO, "IKE: malformed message dropped: %s",
				ikev2_err_name(e));
		return;
	}
	resp = m->hdr.flags & IKEV2_FLAG_R;
	spi_bytes(m->hdr.ispi, spi_i);
	spi_bytes(m->hdr.rspi, spi_r);
	if (m->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT) {
		if (!resp) {
			ike_init_request(ike, local, remote, m);
		} else {
			x = NULL;
			sa = ike_sa_table_lookup_initiator(ike->tab, spi_i);
			if (sa)
				x = sa->owner;
			if (!x || x->dead || x->req != IKE_REQ_INIT || m->hdr.msgid != 0 ||
			    !ipaddr_eq(&remote->addr, &x->remote.addr))
				ike->st.invalid_packets++;
			else
				ike_init_response(x, m);
		}
		goto out;
	}
	sa = ike_sa_table_lookup(ike->tab, spi_i, spi_r);
	x = sa ? sa->owner : NULL;
	/* RFC 7296 3.1: the I flag says who sent it; a message with our own role is forged or
	 * reflected. */
	if (!x || x->dead ||
	    (!ipaddr_eq(&remote->addr, &x->remote.addr) && !ike_natt_may_move(x)) ||
	    !!(m->hdr.flags & IKEV2_FLAG_I) != (sa->role == IKE_ROLE_RESPONDER)) {
		ike->st.invalid_packets++;
		log_ratelimited(LOG_LVL_INFO, "IKE: %s %s %u for no IKE SA of ours, dropped",
				ikev2_exchange_name(m->hdr.exchange), resp ? "response" : "request",
				m->hdr.msgid);
		goto out;
	}
	if (resp)
		input_response(ike, x, m, len);
	else
		input_request(ike, x, m, len, local, remote);
out:
	reap(ike);
}

/* ---- timers ---- */

/* RFC 3948 4: a host behind a NAT keeps the NAT's mapping for port 4500 open with one-octet
 * 0xFF datagrams, 20 s apart (we send them on that period whatever else goes out: the
 * engine does not see the data path's ESP). Only the side with the NAT in front of it sends. */
void ike_natt_keepalive_arm(struct ike_xsa *x)
{
	x->keepalive_at = x->sa->nat_local && x->local.port == IKE_NATT_PORT
				  ? x->ike->now + ike_natt_keepalive_ms(x->ike)
				  : 0;
}

static void natt_keepalive_tick(struct ike_xsa *x, uint64_t now)
{
	static const uint8_t ka[1] = { IKE_NATT_KEEPALIVE };

	if (!x->keepalive_at || now < x->keepalive_at)
		return;
	if (x->sa->state != IKE_ST_ESTABLISHED && x->sa->state != IKE_ST_REKEYING) {
		x->keepalive_at = 0;
		return;
	}
	ike_send(x, ka, sizeof(ka));
	x->ike->st.keepalives++;
	x->keepalive_at = now + ike_natt_keepalive_ms(x->ike);
}

static void xsa_tick(struct ike_xsa *x, uint64_t now)
{
	struct ike_action act[8];
	char ra[IPADDR_STRLEN];
	size_t n, i;

	n = ike_timers_due(x->sa, now, act, ARRAY_SIZE(act));
	for (i = 0; i < n && !x->dead; i++) {
		struct ike_req_slot *slot;

		switch (act[i].kind) {
		case IKE_ACT_RETRANSMIT:
			slot = ike_msgid_tx_slot(&x->sa->msgid, act[i].msgid);
			if (!slot)
				break;
			x->ike->st.retransmissions++;
			log_info("IKE: retransmitting %s request %u to %s",
				 x->req == IKE_REQ_INIT ? "IKE_SA_INIT" : "IKE", act[i].msgid,
				 x->rule ? x->rule->name : "peer");
			ike_send(x, slot->msg.b, slot->msg.len);
			break;
		case IKE_ACT_DPD:
			if (x->req == IKE_REQ_NONE && x->sa->state == IKE_ST_ESTABLISHED)
				ike_info_dpd(x);
			break;
		case IKE_ACT_REKEY: {
			struct ike_todo t = { .kind = IKE_TODO_REKEY_IKE };

			if (x->req == IKE_REQ_NONE)
				ike_rekey_ike_start(x);
			else
				ike_todo_push(x, &t);
			break;
		}
		case IKE_ACT_DELETE:
			if (x->req == IKE_REQ_NONE)
				ike_info_delete_ike(x);
			else
				ike_xsa_kill(x, "hard lifetime");
			break;
		case IKE_ACT_DEAD:
			if (x->sa->state != IKE_ST_DEAD)
				break;
			if (x->req == IKE_REQ_INIT || x->req == IKE_REQ_AUTH)
				x->ike->st.negotiation_failures++;
			log_warn("IKE_SA with %s (rule %s) dead: %s",
				 ipaddr_fmt(&x->remote.addr, ra), x->rule ? x->rule->name : "-",
				 act[i].reason ? act[i].reason : "timeout");
			ike_xsa_kill(x, act[i].reason ? act[i].reason : "dead");
			break;
		}
	}
}

/* RFC 4301 5.1 leaves a silent peer to local policy: a `soft` action's peer that said nothing
 * for its soft time lets the held packets and the flow go in clear (acquire_done clear_ok).
 * The IKE SA keeps retransmitting; an SA made later ends the fallback in the daemon. */
static void acquires_soft_tick(struct ike *ike, uint64_t now)
{
	struct ike_acq *a, *next;

	for (a = ike->acqs; a; a = next) {
		next = a->next;
		if (!a->soft_at || now < a->soft_at)
			continue;
		a->soft_at = 0;
		if (a->xsa && a->xsa->answered)
			continue; /* the peer speaks IKE: no fallback, the negotiation decides */
		log_info("IKE: acquire %" PRId64 " for rule %s: no answer within %" PRIu32
			 " ms (soft)",
			 a->id, a->rule ? a->rule->name : "-",
			 a->rule && a->rule->action ? a->rule->action->soft_ms : 0);
		ike_acquire_finish(ike, a->xsa, a->id, false);
		next = ike->acqs; /* the list changed under us; finished ones have soft_at 0 */
	}
}

void ike_tick(struct ike *ike, uint64_t now)
{
	struct ike_xsa *x;

	ike->now = now;
	acquires_soft_tick(ike, now);
	if (ike_cookie_rotation_due(&ike->cookie, now))
		ike_cookie_rotate(&ike->cookie, NULL, now);
	for (x = ike->sas; x; x = x->next)
		if (!x->dead)
			xsa_tick(x, now);
	for (x = ike->sas; x; x = x->next)
		if (!x->dead)
			natt_keepalive_tick(x, now);
	ike_child_tick(ike, now);
	reap(ike);
}

uint64_t ike_next_deadline(const struct ike *ike)
{
	const struct ike_xsa *x;
	const struct ike_xchild *c;
	uint64_t next = UINT64_MAX, t;

	for (x = ike->sas; x; x = x->next) {
		t = ike_timers_next(x->sa);
		if (t < next)
			next = t;
		if (!x->dead && x->keepalive_at && x->keepalive_at < next)
			next = x->keepalive_at;
	}
	for (c = ike->children; c; c = c->next)
		if (c->rekey_at_ms && c->rekey_at_ms < next)
			next = c->rekey_at_ms;
	for (const struct ike_acq *a = ike->acqs; a; a = a->next)
		if (a->soft_at && a->soft_at < next)
			next = a->soft_at;
	return next;
}

void ike_child_traffic(struct ike *ike, uint32_t child_id, uint64_t now)
{
	struct ike_xchild *c = ike_child_find(ike, child_id);

	if (c)
		ike_sa_note_outbound(c->xsa->sa, now);
}

const struct ike_stats *ike_get_stats(const struct ike *ike)
{
	return &ike->st;
}

/* ---- acquire and administration ---- */

static const struct ipaddr *local_for(const struct ike *ike, const struct ipaddr *peer)
{
	for (size_t i = 0; i < ike->cfg.nlocal; i++)
		if (ike->cfg.local[i].af == peer->af)
			return &ike->cfg.local[i];
	return NULL;
}

/* Endpoints of the IKE SA for a rule: transport, the packet's hosts; tunnel, the rule's. */
static int endpoints(const struct ike *ike, const struct spd_rule *r, const struct spd_pkt *pkt,
		     const struct ipaddr *peer, struct ike_endpoint *l, struct ike_endpoint *rm)
{
	const struct ipaddr *la = NULL;

	memset(l, 0, sizeof(*l));
	memset(rm, 0, sizeof(*rm));
	if (r->mode == SPD_MODE_TUNNEL) {
		rm->addr = r->tunnel_remote;
		la = r->tunnel_local.af ? &r->tunnel_local : local_for(ike, &rm->addr);
	} else if (pkt) {
		rm->addr = pkt->remote;
		la = &pkt->local;
	} else if (peer) {
		rm->addr = *peer;
		la = local_for(ike, peer);
	}
	if (!la || !rm->addr.af)
		return -ENOENT;
	l->addr = *la;
	l->port = IKE_PORT;
	rm->port = IKE_PORT;
	return 0;
}

/* A usable IKE SA with this peer (ours or the peer's) for rule r, or NULL. One whose peer
 * was authenticated against another remote-id, or with a key or CA that r does not accept,
 * does not carry r's Child SA. */
static struct ike_xsa *xsa_for_peer(struct ike *ike, const struct ipaddr *peer,
				    const struct spd_rule *r)
{
	struct ike_xsa *x, *best = NULL;
	char why[384];

	for (x = ike->sas; x; x = x->next) {
		if (x->dead || x->replaced_by || !ipaddr_eq(&x->remote.addr, peer) ||
		    !ike_auth_rule_ok(x, r, why, sizeof(why)))
			continue;
		if (x->sa->state == IKE_ST_ESTABLISHED)
			return x;
		if (x->sa->role == IKE_ROLE_INITIATOR &&
		    (x->sa->state == IKE_ST_INIT_SENT || x->sa->state == IKE_ST_AUTH_SENT ||
		     x->sa->state == IKE_ST_IDLE))
			best = x;
	}
	return best;
}

/* admin: `esprit up` (no packet waits; an administrator's request overrides a backoff). */
static int64_t start_negotiation(struct ike *ike, const struct spd_rule *r,
				 const struct spd_pkt *pkt, const struct ipaddr *peer, bool admin)
{
	struct ike_endpoint l, rm;
	struct ike_xsa *x;
	struct ike_acq *a;
	int rc;

	rc = endpoints(ike, r, pkt, peer, &l, &rm);
	if (rc) {
		log_warn("IKE: rule %s: no peer or local address to negotiate with", r->name);
		return rc;
	}
	for (a = ike->acqs; a; a = a->next)
		if (a->rule == r && ipaddr_eq(&a->peer, &rm.addr))
			return a->id; /* already under way */
	if (admin)
		ike_backoff_forget(ike, r, &rm.addr);
	rc = ike_backoff_check(ike, r, &rm.addr);
	if (rc)
		return rc;
	if (ike->nacq >= IKE_ACQUIRE_MAX)
		return -EBUSY;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->id = ike->next_acq_id++;
	a->rule = r;
	a->peer = rm.addr;
	a->soft = r->action && r->action->soft;
	if (a->soft && !admin)
		a->soft_at = ike->now + (r->action->soft_ms ? r->action->soft_ms : 1);
	ike->st.acquires++;

	x = xsa_for_peer(ike, &rm.addr, r);
	if (x && x->sa->state == IKE_ST_ESTABLISHED) {
		struct ike_todo t = { .kind = IKE_TODO_CHILD, .rule = r, .acquire_id = a->id };

		if (pkt) {
			t.has_pkt = true;
			t.pkt = *pkt;
		}
		a->xsa = x;
		a->next = ike->acqs;
		ike->acqs = a;
		ike->nacq++;
		if (x->req != IKE_REQ_NONE) {
			if (!ike_todo_push(x, &t)) {
				ike_acquire_finish(ike, x, a->id, false);
				return -EBUSY;
			}
			return a->id;
		}
		rc = ike_child_start(x, r, pkt, a->id, 0);
		if (rc) {
			ike_acquire_finish(ike, x, a->id, false);
			return rc;
		}
		return a->id;
	}
	if (x) { /* an IKE SA to this peer is being set up: its Child SA comes after */
		struct ike_todo t = { .kind = IKE_TODO_CHILD, .rule = r, .acquire_id = a->id };

		if (pkt) {
			t.has_pkt = true;
			t.pkt = *pkt;
		}
		a->xsa = x;
		a->next = ike->acqs;
		ike->acqs = a;
		ike->nacq++;
		if (!ike_todo_push(x, &t)) {
			ike_acquire_finish(ike, x, a->id, false);
			return -EBUSY;
		}
		return a->id;
	}
	rc = ike_init_start(ike, r, &l, &rm, &x);
	if (rc) {
		free(a);
		ike->st.acquire_failures++;
		return rc;
	}
	a->xsa = x;
	a->next = ike->acqs;
	ike->acqs = a;
	ike->nacq++;
	rc = ike_pchild_prepare(x, r, pkt, true, 0);
	x->pc.acquire_id = a->id;
	if (rc) {
		ike_xsa_kill(x, "no traffic selectors for the rule");
		reap(ike);
		return rc;
	}
	return a->id;
}

int64_t ike_acquire(struct ike *ike, const struct spd_pkt *pkt, uint64_t now)
{
	struct spd_decision d;
	int64_t rc;

	ike->now = now;
	if (!pkt || spd_decide(ike->cfg.spd, pkt, &d) || d.verdict != SPD_PROTECT || !d.rule ||
	    !d.action || d.action->kind != SPD_ACT_NEGOTIATE)
		return -ENOENT;
	rc = start_negotiation(ike, d.rule, pkt, NULL, false);
	reap(ike);
	return rc;
}

static const struct spd_rule *rule_by_name(const struct ike *ike, const char *name)
{
	const struct spd_policy *p = ike->cfg.spd->active;

	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i]->name, name))
			return p->rules[i];
	return NULL;
}

/* The one remote host a transport rule's filters name, if there is exactly one. */
static int rule_peer(const struct ike *ike, const struct spd_rule *r, struct ipaddr *peer)
{
	size_t i, n = spd_sfilter_count(ike->cfg.spd);
	bool found = false;

	for (i = 0; i < n; i++) {
		const struct spd_sfilter *sf = spd_sfilter_get(ike->cfg.spd, i);

		if (sf->rule != r)
			continue;
		if (sf->remote.kind != SPD_ADDR_PREFIX ||
		    sf->remote.plen != (sf->af == AF_INET ? 32 : 128))
			return -EINVAL;
		if (found && !ipaddr_eq(peer, &sf->remote.lo))
			return -EINVAL;
		*peer = sf->remote.lo;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int ike_up(struct ike *ike, const char *rule, const struct ipaddr *peer, uint64_t now)
{
	const struct spd_rule *r = rule_by_name(ike, rule);
	struct ipaddr p;
	int64_t rc;

	ike->now = now;
	if (!r || !r->action || r->action->kind != SPD_ACT_NEGOTIATE)
		return -ENOENT;
	if (!peer && r->mode == SPD_MODE_TRANSPORT) {
		if (rule_peer(ike, r, &p))
			return -EINVAL;
		peer = &p;
	}
	rc = start_negotiation(ike, r, NULL, peer, true);
	reap(ike);
	return rc < 0 ? (int)rc : 0;
}

static int down_xsa(struct ike_xsa *x)
{
	struct ike_todo t = { .kind = IKE_TODO_DEL_IKE };

	if (x->sa->state != IKE_ST_ESTABLISHED) {
		ike_xsa_kill(x, "taken down");
		return 0;
	}
	if (x->req != IKE_REQ_NONE)
		return ike_todo_push(x, &t) ? 0 : -EBUSY;
	return ike_info_delete_ike(x);
}

int ike_down_rule(struct ike *ike, const char *rule, uint64_t now)
{
	struct ike_xsa *x;
	int n = 0;

	ike->now = now;
	for (x = ike->sas; x; x = x->next)
		if (!x->dead && x->rule && !strcmp(x->rule->name, rule)) {
			down_xsa(x);
			n++;
		}
	reap(ike);
	return n ? 0 : -ENOENT;
}

int ike_down_child(struct ike *ike, uint32_t child_id, uint64_t now)
{
	struct ike_xchild *c = ike_child_find(ike, child_id);
	struct ike_todo t = { .kind = IKE_TODO_DEL_CHILD, .child_id = child_id };
	int rc;

	ike->now = now;
	if (!c)
		return -ENOENT;
	if (c->xsa->req != IKE_REQ_NONE)
		return ike_todo_push(c->xsa, &t) ? 0 : -EBUSY;
	rc = ike_info_delete_child(c->xsa, child_id);
	reap(ike);
	return rc;
}

int ike_rekey_child(struct ike *ike, uint32_t child_id, uint64_t now)
{
	struct ike_xchild *c = ike_child_find(ike, child_id);
	struct ike_todo t = { .kind = IKE_TODO_REKEY_CHILD, .child_id = child_id };
	int rc;

	ike->now = now;
	if (!c || c->rekeyed)
		return -ENOENT;
	if (c->rekeying)
		return 0;
	if (c->xsa->req != IKE_REQ_NONE)
		return ike_todo_push(c->xsa, &t) ? 0 : -EBUSY;
	rc = ike_child_start(c->xsa, c->rule, NULL, 0, child_id);
	reap(ike);
	return rc;
}

int ike_rekey_ike(struct ike *ike, uint32_t child_id, uint64_t now)
{
	struct ike_xchild *c = ike_child_find(ike, child_id);
	struct ike_todo t = { .kind = IKE_TODO_REKEY_IKE };
	int rc;

	ike->now = now;
	if (!c)
		return -ENOENT;
	if (c->xsa->req != IKE_REQ_NONE)
		return ike_todo_push(c->xsa, &t) ? 0 : -EBUSY;
	rc = ike_rekey_ike_start(c->xsa);
	reap(ike);
	return rc;
}

void ike_foreach_sa(const struct ike *ike, void (*fn)(const struct ike_sa_view *v, void *arg),
		    void *arg, uint64_t now)
{
	const struct ike_xsa *x;
	const struct ike_xchild *c;
	struct ike_sa_view v;
	char nm[IKE_SA_NAME_LEN];

	for (x = ike->sas; x; x = x->next) {
		const struct ike_sa_xforms *xf = &x->sa->xf;
		uint64_t soft;

		if (x->dead)
			continue;
		memset(&v, 0, sizeof(v));
		ike_sa_name(x->sa, nm);
		snprintf(v.name, sizeof(v.name), "%s", nm);
		v.state = ike_state_name(x->sa->state);
		v.role = ike_role_name(x->sa->role);
		v.rule = x->rule ? x->rule->name : "";
		v.local = x->local;
		v.remote = x->remote;
		if (xf->encr)
			snprintf(v.xforms, sizeof(v.xforms), "%s_%u/%s/%s%s%s",
				 ikev2_xform_id_name(IKEV2_XF_ENCR, xf->encr), xf->encr_bits,
				 ikev2_xform_id_name(IKEV2_XF_PRF, xf->prf),
				 xf->integ ? ikev2_xform_id_name(IKEV2_XF_INTEG, xf->integ) : "",
				 xf->integ ? "/" : "", ikev2_xform_id_name(IKEV2_XF_DH, xf->dh));
		v.established_ms = x->established_ms;
		soft = x->sa->soft_at_ms;
		v.rekey_in_ms = soft > now ? soft - now : 0;
		v.expire_in_ms = x->sa->hard_at_ms > now ? x->sa->hard_at_ms - now : 0;
		for (c = ike->children; c; c = c->next) {
			if (c->xsa != x)
				continue;
			if (v.nchild < ARRAY_SIZE(v.child_ids))
				v.child_ids[v.nchild] = c->id;
			v.nchild++;
		}
		fn(&v, arg);
	}
}
