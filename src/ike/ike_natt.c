/* NAT traversal once IKE_SA_INIT has detected a NAT (RFC 7296 2.23, RFC 3948): where the
 * peer is reached, and the keepalive period.
 *
 * Two endpoint changes are taken from authenticated requests only (the caller has opened the
 * SK payload): the move from port 500 to 4500 after IKE_SA_INIT, and later a NAT mapping
 * that changed (the NAT dropped its entry and the peer's next packet left from a new public
 * port or address). The second one is followed only when the peer is behind a NAT and we
 * are not: a host behind a NAT that followed such packets would let anyone break its SA
 * with one replayed packet. */
#include <inttypes.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/log.h"

uint64_t ike_natt_keepalive_ms(const struct ike *ike)
{
	return ike->cfg.natt_keepalive_ms ? ike->cfg.natt_keepalive_ms : IKE_KEEPALIVE_MS;
}

bool ike_natt_may_move(const struct ike_xsa *x)
{
	return x->keyed && x->sa->nat_peer && !x->sa->nat_local;
}

static bool endpoint_eq(const struct ike_endpoint *a, const struct ike_endpoint *b)
{
	return a->port == b->port && ipaddr_eq(&a->addr, &b->addr);
}

/* Every Child SA of x sends to x->remote from now on. */
static void natt_children_follow(struct ike_xsa *x)
{
	struct ike *ike = x->ike;

	for (struct ike_xchild *c = ike->children; c; c = c->next)
		if (c->xsa == x && ike->io.child_move)
			ike->io.child_move(ike->io.arg, c->id, &x->remote);
}

void ike_natt_peer_seen(struct ike_xsa *x, const struct ike_endpoint *local,
			const struct ike_endpoint *remote)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];
	bool to_natt = local->port == IKE_NATT_PORT && x->local.port != IKE_NATT_PORT;

	if (endpoint_eq(remote, &x->remote) || to_natt) {
		x->local = *local;
		x->remote = *remote;
		x->sa->peer_port = remote->port;
		return;
	}
	/* RFC 7296 2.23: "a host ... that is not behind a NAT, SHOULD send all packets ... to
	 * the IP address and port in the validated packet" */
	if (!ike_natt_may_move(x)) {
		log_ratelimited(LOG_LVL_INFO,
				"IKE: authenticated request from %s port %u, SA's peer is %s port "
				"%u: not followed (%s)",
				ipaddr_fmt(&remote->addr, a), remote->port,
				ipaddr_fmt(&x->remote.addr, b), x->remote.port,
				x->sa->nat_local ? "a NAT is in front of us"
						 : "no NAT at the peer");
		return;
	}
	log_info("IKE: peer behind a NAT moved from %s port %u to %s port %u (NAT mapping "
		 "changed, RFC 7296 2.23): IKE SA and Child SAs follow",
		 ipaddr_fmt(&x->remote.addr, b), x->remote.port, ipaddr_fmt(&remote->addr, a),
		 remote->port);
	x->local = *local;
	x->remote = *remote;
	x->sa->peer_port = remote->port;
	natt_children_follow(x);
}

/* One list: single-host selectors of want's family that name another host become want; the
 * first one replaced is remembered in *orig. */
static bool natt_ts_swap(struct ts_list *l, const struct ipaddr *want, struct ipaddr *orig)
{
	bool swapped = false;

	for (size_t k = 0; k < l->n; k++) {
		struct ts *t = &l->ts[k];

		if (!ipaddr_eq(&t->start, &t->end) || t->start.af != want->af ||
		    ipaddr_eq(&t->start, want))
			continue;
		if (!swapped)
			*orig = t->start;
		swapped = true;
		t->start = t->end = *want;
	}
	return swapped;
}

void ike_natt_ts_in(const struct ike_xsa *x, struct ts_list *ti, struct ts_list *tr,
		    struct ike_natt_ts *o)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN], ra[IPADDR_STRLEN];

	memset(o, 0, sizeof(*o));
	if (x->sa->nat_peer)
		o->has_i = natt_ts_swap(ti, &x->remote.addr, &o->i);
	if (x->sa->nat_local)
		o->has_r = natt_ts_swap(tr, &x->local.addr, &o->r);
	if (o->has_i)
		log_info("CHILD_SA from %s: transport mode through a NAT (RFC 7296 2.23.1): TSi %s "
			 "taken as %s; inner TCP/UDP checksums are recomputed after decapsulation "
			 "(RFC 3948 3.1.2)",
			 ipaddr_fmt(&x->remote.addr, ra), ipaddr_fmt(&o->i, a),
			 ipaddr_fmt(&x->remote.addr, b));
	if (o->has_r)
		log_info("CHILD_SA from %s: transport mode through a NAT (RFC 7296 2.23.1): TSr %s "
			 "taken as our %s",
			 ipaddr_fmt(&x->remote.addr, ra), ipaddr_fmt(&o->r, a),
			 ipaddr_fmt(&x->local.addr, b));
}

void ike_natt_ts_out(const struct ike_natt_ts *o, struct ts_list *ti, struct ts_list *tr)
{
	struct ipaddr unused;

	if (o->has_i)
		natt_ts_swap(ti, &o->i, &unused);
	if (o->has_r)
		natt_ts_swap(tr, &o->r, &unused);
}
