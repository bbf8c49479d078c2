/* IKE's sockets (RFC 7296 2): one UDP socket on port 500 per family, and port 4500, which IKE
 * shares with ESP in UDP (RFC 3948 2.2: the data path's socket hands over datagrams that
 * start with the four-octet non-ESP marker, see dpath.h's hooks; NAT keepalives are dropped
 * there). Every socket carries DP_MARK_BYPASS, like the ESP sockets, so nothing we send is
 * steered into the TUN.
 *
 * The engine needs the local endpoint of every datagram (the address the peer sent to, from
 * IP_PKTINFO / IPV6_PKTINFO) and answers from it: replies leave with that source address,
 * from the port the request came in on.
 */
#ifndef ESPRIT_DAEMON_IKEIO_H
#define ESPRIT_DAEMON_IKEIO_H

#include <stdint.h>

#include "dataplane/raw.h"
#include "ike/ike.h"

typedef void ikeio_deliver_fn(void *arg, const struct ike_endpoint *local,
			      const struct ike_endpoint *remote, const uint8_t *msg, size_t len);

struct ikeio_stats {
	uint64_t rx, tx, rx_bad, tx_err;
};

struct ikeio {
	struct raw_sock s500[2];   /* [0] IPv4, [1] IPv6; fd -1 when that family is off */
	struct raw_sock *s4500[2]; /* the data path's ESP-in-UDP sockets (may be NULL) */
	ikeio_deliver_fn *deliver; /* where received messages go (the engine) */
	void *arg;
	struct ikeio_stats st;
};

/* Open UDP 500 for IPv4 and IPv6 (a family whose socket cannot be opened is logged and left
 * off; both failing is an error) and remember the 4500 sockets. 0 or -errno. */
int ikeio_open(struct ikeio *io, struct raw_sock *natt4, struct raw_sock *natt6,
	       ikeio_deliver_fn *deliver, void *arg);
void ikeio_close(struct ikeio *io);
/* Receive what is waiting on s500[fam] (a bounded number) and deliver it. */
void ikeio_ready(struct ikeio *io, unsigned fam);
/* Deliver one message that arrived on port 4500 (dpath's hook). */
void ikeio_natt_in(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		   const uint8_t *msg, size_t len);
/* struct ike_io's send: from local (address and port 500 or 4500) to remote; on 4500 the
 * non-ESP marker goes in front, except for a NAT keepalive (the one octet 0xFF, sent as it
 * is). arg is the struct ikeio. */
void ikeio_send(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		const uint8_t *msg, size_t len);

#endif
