/* Data path constants shared by the TUN, socket, nftables and routing modules.
 *
 * Packets a policy protects are steered into esprit's TUN: an nftables rule in `table inet
 * esprit` gives them DP_MARK_STEER and an `ip rule fwmark` sends marked packets to a routing
 * table whose only route is the TUN. The daemon's own ESP/AH sockets carry DP_MARK_BYPASS,
 * which the nftables chain accepts before any marking, and which an `ip rule` sends to a table
 * of its own (copies of the routes to the peers) so that a path MTU learnt by plaintext on the
 * TUN never lands on the route the ESP packets use.
 */
#ifndef ESPRIT_DATAPLANE_DP_H
#define ESPRIT_DATAPLANE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"

#define DP_MARK_STEER	     0x0e5b0001u
#define DP_MARK_BYPASS	     0x0e5b0002u
#define DP_TABLE_STEER	     58801u
#define DP_TABLE_BYPASS	     58802u
#define DP_PRIO_BYPASS	     1000u /* ip rule priorities, ahead of main (32766) */
#define DP_PRIO_STEER	     1001u
#define DP_FAILCLOSED_METRIC 4242u /* blackhole behind the TUN route, see route.c */
#define DP_RTPROT	     250u  /* rtm_protocol of our routes, so cleanup finds only ours */
#define DP_NFT_TABLE	     "esprit"
#define DP_TUN_NAME	     "esprit0"
#define DP_TUN_MTU	     1400u
#define DP_TUN_TXQLEN	     5000u
#define DP_BATCH	     32u

/* A traffic selector (RFC 4301 4.4.1) seen from this host: local and remote address prefixes,
 * protocol (0 = any) and ports (0 = any; only with TCP, UDP, SCTP). */
struct dp_sel {
	struct ipaddr local, remote;
	uint8_t local_plen, remote_plen;
	uint8_t proto;
	uint16_t lport, rport;
};

/* Does addr lie in prefix/plen (same family)? */
bool dp_prefix_match(const struct ipaddr *prefix, uint8_t plen, const struct ipaddr *addr);

/* Does a packet match the selector? outbound: src is local, dst remote; inbound the reverse.
 * Ports are those of the packet (0 if it has none). */
bool dp_sel_match(const struct dp_sel *s, bool outbound, const struct ipaddr *src,
		  const struct ipaddr *dst, uint8_t proto, uint16_t sport, uint16_t dport);

#endif
