/* Policy routing for the data path, over rtnetlink (libmnl), never by running ip(8):
 *
 *   ip rule  pref 999 iif <tun> fwmark DP_MARK_ROUTEON lookup main
 *            (out of the TUN, routed on into a network behind this gateway)
 *   ip rule  pref DP_PRIO_STEER  fwmark DP_MARK_STEER  lookup DP_TABLE_STEER
 *   ip rule  pref 1002 fwmark DP_MARK_ROUTEON lookup DP_TABLE_STEER (their rp_filter check)
 *            table DP_TABLE_STEER: default dev <tun>; blackhole default metric
 *            DP_FAILCLOSED_METRIC (what is left when the daemon dies: fail closed)
 *   ip rule  pref DP_PRIO_BYPASS fwmark DP_MARK_BYPASS lookup DP_TABLE_BYPASS
 *            table DP_TABLE_BYPASS: <peer>/32 (or /128) copied from the main routing decision
 *
 * The bypass table gives the ESP/AH socket routes of its own: a PMTU exception created when
 * plaintext hits the smaller TUN MTU then never lands on the route the ESP packets use (that
 * made every ESP packet fragment). Rules and routes carry rtm_protocol DP_RTPROT so cleanup
 * removes only ours.
 */
#ifndef ESPRIT_DATAPLANE_ROUTE_H
#define ESPRIT_DATAPLANE_ROUTE_H

#include <stddef.h>

#include "lib/addr.h"

/* Install rules and routes for the families in use (af_mask bit 0 IPv4, bit 1 IPv6) and the
 * given peers. 0 or -errno (logged). */
int dp_route_setup(int tun_ifindex, unsigned af_mask, const struct ipaddr *peers, size_t npeers);
/* Add (or replace) the ESP sockets' routes to these peers, as on reload. 0 or -errno. */
int dp_route_peers(const struct ipaddr *peers, size_t npeers);
/* Route dst/plen through the TUN in DP_TABLE_STEER with this MTU (learnt path MTU minus the
 * SA's overhead), replacing an earlier one. 0 or -errno. */
int dp_route_mtu(int tun_ifindex, const struct ipaddr *dst, uint8_t plen, uint32_t mtu);
/* Remove every rule and route of ours, whether or not this process made them. 0 or -errno. */
int dp_route_cleanup(void);

/* Set in prerouting on a packet that came out of the TUN and is routed on (nft.h). */
#define DP_MARK_ROUTEON 0x0e5b0003u

#define DP_AF_V4 1u
#define DP_AF_V6 2u

#endif
