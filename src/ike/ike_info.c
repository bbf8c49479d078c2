/* INFORMATIONAL (RFC 7296 1.4, 2.4): Delete of Child SAs and of the IKE SA, liveness checks,
 * and INITIAL_CONTACT.
 *
 *   HDR, SK {[D+]}  -->
 *              <--  HDR, SK {[D+]}      (the SPIs of the paired inbound SAs, 1.4.1)
 *
 * An empty request is a liveness check (2.4), answered with an empty response.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/util.h"

#define DEL_SPI_MAX 32

static int info_send(struct ike_xsa *x, enum ike_req_kind kind, const struct ikev2_delete *d)
{
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len;
	int rc;

	if (x->req != IKE_REQ_NONE || !x->keyed)
		return -EBUSY;
	ike_sk_start(x, IKEV2_EXCH_INFORMATIONAL, false, 0, &b, &sm);
	if (d)
		ikev2_put_delete(&sm.inner, d);
	rc = ike_sk_seal(x, &sm, &len);
	if (!rc)
		rc = ike_request_send(x, kind, len);
	return rc;
}

int ike_info_delete_child(struct ike_xsa *x, uint32_t child_id)
{
	struct ike_xchild *c = ike_child_find(x->ike, child_id);
	struct ikev2_delete d = { .spi_size = 4, .nspi = 1 };
	uint8_t spi[4];
	int rc;

	if (!c || c->xsa != x)
		return -ENOENT;
	/* RFC 7296 3.11: the SPI the peer sends to, i.e. our inbound one */
	d.proto = c->proto == IPPROTO_AH ? IKEV2_PROTO_AH : IKEV2_PROTO_ESP;
	put_be32(spi, c->spi_in);
	d.spis = spi;
	rc = info_send(x, IKE_REQ_DEL_CHILD, &d);
	if (!rc) {
		x->del_child_id = child_id;
		log_info("INFORMATIONAL: deleting CHILD_SA #%u (%08x)", child_id, c->spi_in);
	}
	return rc;
}

int ike_info_delete_ike(struct ike_xsa *x)
{
	struct ikev2_delete d = { .proto = IKEV2_PROTO_IKE };
	int rc = info_send(x, IKE_REQ_DEL_IKE, &d);

	if (!rc) {
		log_info("INFORMATIONAL: deleting IKE_SA (rule %s)", x->rule ? x->rule->name : "-");
		ike_sa_set_state(x->sa, IKE_ST_DELETING, "Delete sent");
	}
	return rc;
}

int ike_info_dpd(struct ike_xsa *x)
{
	log_debug("INFORMATIONAL: liveness check");
	return info_send(x, IKE_REQ_DPD, NULL);
}

/* RFC 7296 2.4: the peer restarted; whatever we still hold with it is stale. */
void ike_initial_contact(struct ike_xsa *x)
{
	struct ike_xsa *o;

	for (o = x->ike->sas; o; o = o->next) {
		if (o == x || o->dead || !ipaddr_eq(&o->remote.addr, &x->remote.addr))
			continue;
		/* only SAs that were up before: one still being negotiated may be our own
		 * simultaneous initiation, which the peer has not seen yet */
		if (o->sa->state != IKE_ST_ESTABLISHED && o->sa->state != IKE_ST_REKEYING &&
		    o->sa->state != IKE_ST_DELETING)
			continue;
		log_info("INITIAL_CONTACT: dropping an old IKE SA with the same peer");
		ike_xsa_kill(o, "peer sent INITIAL_CONTACT");
	}
}

void ike_info_request(struct ike_xsa *x, struct ikev2_msg *m)
{
	uint8_t spis[DEL_SPI_MAX * 4];
	struct ikev2_delete out = { .spi_size = 4, .spis = spis };
	bool del_ike = false;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len, i, j;

	for (i = 0; i < m->ndelete; i++) {
		const struct ikev2_delete *d = &m->del[i];
		uint8_t proto = d->proto == IKEV2_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;

		if (d->proto == IKEV2_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		if (d->spi_size != 4 || (d->proto != IKEV2_PROTO_ESP && d->proto != IKEV2_PROTO_AH))
			continue;
		for (j = 0; j < d->nspi; j++) {
			struct ike_xchild *c =
				ike_child_by_spi_out(x, proto, get_be32(d->spis + 4 * j));

			if (!c)
				continue; /* RFC 7296 1.4.1: unknown SPIs are ignored */
			if (out.nspi < DEL_SPI_MAX && (!out.nspi || out.proto == d->proto)) {
				out.proto = d->proto;
				put_be32(spis + 4 * out.nspi++, c->spi_in);
			}
			ike_child_remove(c, "deleted by the peer");
		}
	}
	if (ike_notify_find(m, IKEV2_N_INITIAL_CONTACT))
		ike_initial_contact(x);
	ike_sk_start(x, IKEV2_EXCH_INFORMATIONAL, true, m->hdr.msgid, &b, &sm);
	if (!del_ike && out.nspi)
		ikev2_put_delete(&sm.inner, &out);
	if (!ike_sk_seal(x, &sm, &len))
		ike_response_send(x, m->hdr.msgid, len);
	if (del_ike) {
		/* RFC 7296 2.21.2: an initiator that refuses our AUTH (or our ID) says so with
		 * AUTHENTICATION_FAILED beside the Delete; for the administrator that is an
		 * authentication failure, not an ordinary Delete. */
		if (ike_notify_find(m, IKEV2_N_AUTHENTICATION_FAILED)) {
			x->ike->st.auth_failures++;
			log_warn("INFORMATIONAL: the peer refused our authentication "
				 "(AUTHENTICATION_FAILED, rule %s)",
				 x->rule ? x->rule->name : "-");
		}
		/* RFC 7296 1.4.1: the IKE SA and all its Child SAs are gone */
		log_info("INFORMATIONAL: the peer deleted the IKE SA (rule %s)",
			 x->rule ? x->rule->name : "-");
		ike_xsa_kill(x, "deleted by the peer");
	}
}

void ike_info_response(struct ike_xsa *x, struct ikev2_msg *m, enum ike_req_kind kind)
{
	struct ike_xchild *c;

	(void)m;
	switch (kind) {
	case IKE_REQ_DEL_CHILD:
		c = ike_child_find(x->ike, x->del_child_id);
		if (c && c->xsa == x) {
			x->sa->cnt.child_deleted++;
			ike_child_remove(c, c->rekeyed ? "rekeyed" : "deleted");
		}
		x->del_child_id = 0;
		break;
	case IKE_REQ_DEL_IKE:
		ike_xsa_kill(x, "deleted");
		break;
	default: /* liveness: the peer is there */
		break;
	}
}
