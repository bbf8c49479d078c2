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
