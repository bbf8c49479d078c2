/* Steering and enforcement rule sets (dataplane/nft.h) from the daemon's configuration: the
 * compiled policy model and the manual SAs.
 *
 * Policy (the specific filters of spd_compile, in their evaluation order, so the first nft
 * rule that matches is the filter spd_decide() would pick), per filter action as Windows
 * defines them:
 *   permit                 accepted both ways;
 *   block                  dropped both ways, also when it arrived protected;
 *   negotiate              outbound steered into the TUN; inbound plaintext dropped unless it
 *                          came through the TUN (require);
 *   negotiate + inpass     inbound plaintext accepted and its connection marked, so that the
 *                          reply is steered (accept unsecured, always respond using IPsec);
 *   negotiate + soft       steered; inbound plaintext dropped, except the replies of a flow
 *                          the daemon sent in clear after its fallback (conntrack, nft.h).
 * Mirrored filters come out of spd_compile() as filters of both directions. Broadcast and
 * multicast are never steered: exempt at levels 0/1, otherwise a negotiate filter passes them
 * in clear only where its action accepts clear traffic in that direction (spd.h).
 * The default response rule (client-respond-only) steers nothing by itself: replies to
 * connections that arrived through the TUN are steered by their conntrack mark (nft.h).
 *
 * Tunnel-mode rules also apply to routed traffic (nft.h, chains pre and forward): a filter
 * `X -> Y` of a tunnel rule is read as "X is behind this gateway, Y behind the tunnel's
 * remote end" -- routed packets X -> Y are steered into the TUN before the routing decision,
 * and when the filter is mirrored, routed plaintext Y -> X is dropped unless it came out of
 * the TUN. Permit rules keep their first-match place there.
 *
 * Manual SAs come after the policy (the policy decides first): outbound SAs' selectors are
 * steered, inbound `require` SAs' selectors (any remote address and port) are required.
 */
#ifndef ESPRIT_DAEMON_STEER_H
#define ESPRIT_DAEMON_STEER_H

#include "daemon/dcfg.h"
#include "dataplane/nft.h"

/* Fill rs (arrays allocated; rs->tun = tun). 0 or -ENOMEM. */
int steer_build(const struct dcfg *c, const char *tun, struct nft_ruleset *rs);
void steer_free(struct nft_ruleset *rs);
/* Log a warning for each family with a negotiating tunnel rule for traffic from other hosts
 * (a network behind this gateway) whose forwarding sysctl is off (read only, never changed). */
void steer_check_forwarding(const struct dcfg *c);

#endif
