/* esprit's nftables table (`table inet esprit`), built with libnftables, never by running nft.
 *
 *   chain steer  (route hook output, mangle): our own ESP/AH and bypass-marked packets are
 *                accepted first (SO_MARK alone is overwritten by a later `meta mark set`), and
 *                the exemptions (IKE/NAT-T ports, IPv6 neighbour discovery, broadcast and
 *                multicast), then
 *                every outbound packet matching a selector gets DP_MARK_STEER, which an ip rule
 *                routes into the TUN.
 *   chain mss    (postrouting): TCP SYNs leaving through the TUN get their MSS clamped to the
 *                route MTU.
 *   chain pre    (prerouting): packets the daemon writes into the TUN get DP_MARK_STEER too, so
 *                that strict reverse-path filtering (rp_filter=1 with src_valid_mark) finds
 *                the TUN route.
 *   chain enforce (input, filter): `iifname <tun> accept`, `iifname lo accept`, ESP/AH and the
 *                same exemptions first, then
 *                inbound plaintext that a requiring selector says must arrive protected is
 *                counted and dropped.
 * Every rule has a counter, so `nft list table inet esprit` shows what matched.
 */
#ifndef ESPRIT_DATAPLANE_NFT_H
#define ESPRIT_DATAPLANE_NFT_H

#include <stddef.h>

#include "dataplane/dp.h"

/* Replace the table with one built from the steering selectors (outbound, local -> remote)
 * and the enforcing ones (inbound plaintext remote -> local is dropped), atomically in one
 * transaction. 0 or -EINVAL / -ENOMEM; errors from libnftables are logged. */
int dp_nft_apply(const char *tun, const struct dp_sel *steer, size_t nsteer,
		 const struct dp_sel *enforce, size_t nenforce);
/* Delete the table if it exists (start-up cleanup and exit). 0 or -errno. */
int dp_nft_remove(void);
/* The ruleset text dp_nft_apply() would load, for tests and logs. Returns the length, or -1 if
 * it does not fit in cap. */
int dp_nft_render(char *buf, size_t cap, const char *tun, const struct dp_sel *steer, size_t nsteer,
		  const struct dp_sel *enforce, size_t nenforce);

#endif
