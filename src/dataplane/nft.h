/* esprit's nftables table (`table inet esprit`), built with libnftables, never by running nft.
 * The whole table is replaced in one transaction, so there is no moment without it.
 *
 * What goes in is a rule set (struct nft_ruleset): ordered rules per direction, each a match
 * on addresses, protocol and ports and one verdict. The daemon computes it from the policy
 * model and the manual SAs (daemon/steer.c); this module only renders and loads it.
 *
 *   chain steer    (route hook output, mangle) -- outbound:
 *                  1. never steered: our own ESP/AH and bypass-marked packets (SO_MARK alone
 *                     is overwritten by a later `meta mark set`); bypass-marked packets that
 *                     are neither ESP/AH nor IKE are a `soft` flow the daemon sends in clear,
 *                     and their connection gets NFT_CT_CLEAR; traffic to this host (oif
 *                     lo), IKE/NAT-T from our ports 500/4500, IPv6 neighbour discovery, and
 *                     the exemptions of the configured level (Kerberos to/from the KDCs,
 *                     RSVP, broadcast, multicast);
 *                  2. the rules in order, first match wins: accept (permit), drop (block),
 *                     steer = DP_MARK_STEER, which an ip rule routes into the TUN;
 *                  3. packets of connections marked protected (NFT_CT_PROTECTED, see pre and
 *                     enforce) are steered: replies to what arrived protected, or to inpass
 *                     plaintext, leave protected.
 *   chain mss      (postrouting): TCP SYNs leaving through the TUN get their MSS clamped to the
 *                  route MTU.
 *   chain pre      (prerouting, mangle): packets the daemon writes into the TUN get
 *                  DP_MARK_STEER (so strict reverse-path filtering, rp_filter=1 with
 *                  src_valid_mark, finds the TUN route) and their connection
 *                  NFT_CT_PROTECTED. Then routed traffic of a gateway, before its routing
 *                  decision: packets to this host, our own protocols and the exemptions are
 *                  left alone (input and the output hook decide for local traffic); the rules
 *                  marked fwd in order (tunnel-mode rules, and permit), first match wins:
 *                  steer = DP_MARK_STEER, so the forwarded packet is routed into the TUN;
 *                  last, replies of routed connections that arrived protected are steered.
 *   chain pre_tun  (from pre, a gateway's packets out of the TUN): DP_MARK_STEER and
 *                  NFT_CT_PROTECTED as on a host; then a tunnel rule's outbound filter
 *                  steers it into the TUN again (a firewall between two tunnels), and an
 *                  inbound one (require, inpass) marks it DP_MARK_ROUTEON, which route.h
 *                  routes on by the main table into the network behind this gateway.
 *   chain forward  (forward, filter) -- enforcement on routed traffic: packets from the TUN go
 *                  to tun_in; our protocols and the exemptions pass; then the inbound rules
 *                  marked fwd on plaintext (require drops what a tunnel rule says must arrive
 *                  protected).
 *   chain enforce  (input, filter) -- inbound:
 *                  1. packets from the TUN (they arrived protected) go to chain tun_in, where
 *                     only a winning block rule drops them;
 *                  2. loopback, ESP/AH and the same exemptions are accepted, and replies of
 *                     connections the daemon sent in clear after a fallback (NFT_CT_CLEAR);
 *                  3. the rules in order on plaintext: accept (permit), drop (block, and
 *                     require: plaintext that should have been protected), inpass = accept
 *                     and mark the connection NFT_CT_PROTECTED so that its replies are
 *                     steered.
 *   chain tun_in   the inbound rules up to the last block rule: block drops, the others
 *                  accept (first match wins, as on plaintext).
 * Neighbouring rules that differ only in the local address, or only in a single port, are
 * merged into one rule with a set (same first match, fewer rules); a local set that is all of
 * the host's addresses is the named set @me4 / @me6, shared by every rule (anonymous sets
 * cost the kernel about ten times more to load than the rules themselves).
 * Every rule has a counter, so `nft list table inet esprit` shows what matched.
 */
#ifndef ESPRIT_DATAPLANE_NFT_H
#define ESPRIT_DATAPLANE_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/dp.h"

#define NFT_CT_PROTECTED 0x00e50000u /* ct mark bits: connection arrived protected */
/* ct mark bits: the daemon sent this connection in clear after a `soft` fallback. Both are
 * tested as "all of these bits", and neither pattern contains the other, so a connection can
 * carry either or both. */
#define NFT_CT_CLEAR  0x00e60000u
#define NFT_PROTO_ANY 256
#define NFT_SET_MAX   16 /* local addresses merged into one rule */
#define NFT_KDC_MAX   16
#define NFT_ME_MAX    64

enum nft_verdict {
	NFT_ACCEPT,  /* permit */
	NFT_DROP,    /* block: both ways, protected or not */
	NFT_STEER,   /* outbound: into the TUN (negotiate) */
	NFT_REQUIRE, /* inbound: plaintext dropped, accepted from the TUN (negotiate) */
	NFT_INPASS,  /* inbound: plaintext accepted, its connection marked protected */
};

/* Exemptions of the configured level (spd no-default-exempt) besides the fixed ones. */
#define NFT_EX_KERBEROS	 0x1u
#define NFT_EX_RSVP	 0x2u
#define NFT_EX_BROADCAST 0x4u
#define NFT_EX_MULTICAST 0x8u

/* An address match: lo.af 0 = any address of the rule's family; plen > 0 = the prefix
 * lo/plen; plen 0 = the range lo..hi (lo == hi: one address). */
struct nft_addr {
	struct ipaddr lo, hi;
	uint8_t plen;
};

/* One rule, seen from this host: local/remote and their ports. */
struct nft_rule {
	uint8_t af;			    /* AF_INET / AF_INET6 */
	struct nft_addr local[NFT_SET_MAX]; /* any of these */
	size_t nlocal;			    /* 0 = any local address */
	bool local_me;		/* local[] is every host address of af: matched by @me4 / @me6 */
	struct nft_addr remote; /* lo.af 0 = any */
	uint16_t proto;		/* 0..255 or NFT_PROTO_ANY */
	uint16_t lport_lo, lport_hi; /* 0..65535 = any */
	uint16_t rport_lo, rport_hi;
	/* Single ports merged from neighbouring rules: when nports > 0 they replace the range
	 * of one side (ports_local: the local port, else the remote one). */
	uint16_t ports[NFT_SET_MAX];
	size_t nports;
	bool ports_local;
	enum nft_verdict verdict;
	/* Broadcast/multicast destinations matching this (negotiate) rule are never protected:
	 * accepted in clear if bm_clear, else dropped, before the rule itself. */
	bool bm_guard, bm_clear;
	/* Also applies to routed traffic (chains pre and forward): tunnel-mode rules, whose
	 * filters name the networks behind the gateways, and permit rules. */
	bool fwd;
	char comment[80]; /* shown by nft list; letters, digits and " ._-:#" only */
};

struct nft_ruleset {
	const char *tun;
	struct nft_rule *out; /* chain steer, in order */
	size_t nout;
	struct nft_rule *in; /* chain enforce (plaintext) and tun_in, in order */
	size_t nin;
	unsigned exempt; /* NFT_EX_* */
	struct ipaddr kdc[NFT_KDC_MAX];
	size_t nkdc;
	struct ipaddr me[NFT_ME_MAX]; /* the host's addresses: named sets me4 and me6 */
	size_t nme;
};

/* Replace the table with one built from rs, atomically in one transaction. 0 or -EINVAL /
 * -ENOMEM; errors from libnftables are logged. */
int dp_nft_apply(const struct nft_ruleset *rs);
/* Delete the table if it exists (start-up cleanup and exit). 0 or -errno. */
int dp_nft_remove(void);
/* The ruleset text dp_nft_apply() would load, for tests and logs. Returns the length, or -1 if
 * it does not fit in cap. */
int dp_nft_render(char *buf, size_t cap, const struct nft_ruleset *rs);

#endif
