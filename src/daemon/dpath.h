/* The packet loop's state and handlers: TUN -> outbound SA -> ESP/AH -> raw socket, and raw
 * socket -> SAD -> ESP/AH -> selector check -> TUN. Single-threaded; nothing allocates once
 * dpath_start() has returned. */
#ifndef ESPRIT_DAEMON_DPATH_H
#define ESPRIT_DAEMON_DPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/dcfg.h"
#include "dataplane/raw.h"
#include "dataplane/tun.h"
#include "ike/ike.h"
#include "sa/sad.h"
#include "xform/xform.h"

/* Drops the daemon counts itself (the transforms' reasons are in struct xf_stats). */
#define DP_DROP_REASONS(X)                                         \
	X(OUT_PARSE, "outbound: not a whole IP packet")            \
	X(OUT_NO_SA, "outbound: no SA for the packet")             \
	X(OUT_HELD, "outbound: held while IKE negotiates")         \
	X(OUT_XFORM, "outbound: transform refused the packet")     \
	X(OUT_SEND, "outbound: send failed")                       \
	X(IN_TRUNC, "inbound: truncated or unparseable receive")   \
	X(IN_XFORM, "inbound: transform dropped the packet")       \
	X(IN_POLICY, "inbound: inner packet outside SA selectors") \
	X(IN_TUN_WRITE, "inbound: TUN write failed")

enum dp_drop {
#define DP_DROP_ENUM_(id, s) DP_DROP_##id,
	DP_DROP_REASONS(DP_DROP_ENUM_)
#undef DP_DROP_ENUM_
		DP_DROP_MAX
};

struct dp_stats {
	uint64_t tun_rx, tun_tx, raw_rx, raw_tx;
	uint64_t drops[DP_DROP_MAX];
	uint64_t tun_writes;	      /* write calls into the TUN (tun_tx counts packets) */
	uint64_t tun_gro_writes;      /* of those, GSO writes of two or more coalesced packets */
	uint64_t pmtu_updates;	      /* TUN route MTUs lowered by ICMP reports */
	uint64_t out_xf[SA_DROP_MAX]; /* outbound transform drops by reason */
	struct xf_stats xf;	      /* inbound transform counters */
};

/* Sockets: 0 IPv4 ESP, 1 IPv4 AH, 2 IPv6 ESP, 3 IPv6 AH (raw), 4 IPv4 and 5 IPv6 ESP in UDP. */
#define DP_NSOCK     6
#define DP_NATT_PORT 4500u /* RFC 3948 */

/* A Child SA pair installed by IKE (runtime SAs beside the manual ones). Keys are kept for
 * export-wireshark and wiped when the pair goes. */
#define DP_CHILD_MAX	 512
#define DP_CHILD_KEY_MAX 128 /* encryption key (salt included) + integrity key */

struct dp_child {
	uint32_t id;  /* the engine's pair id; 0 = free slot */
	uint64_t gen; /* install order: the newest pair covering a packet wins (rekey) */
	char rule[SPD_NAME_MAX];
	struct sa *in, *out; /* in is owned by the SAD while installed */
	struct dp_sel sel[IKE_CHILD_SEL_MAX];
	size_t nsel;
	uint8_t key[2][DP_CHILD_KEY_MAX]; /* [0] in, [1] out */
	size_t encr_len[2], integ_len[2];
	uint64_t out_seen; /* out->ctr.packets when the daemon last told IKE about traffic */
};

/* What the data path hands to the rest of the daemon. Either may be NULL. */
struct dp_hooks {
	void *arg;
	/* An outbound packet matched no SA: the acquire logic may take it (copy it, send it in
	 * clear) and return true; false = dropped as OUT_NO_SA. p is the packet as policy sees
	 * it. */
	bool (*miss)(void *arg, const struct spd_pkt *p, const uint8_t *pkt, size_t len);
	/* An IKE message arrived on port 4500 (RFC 3948 2.2, marker removed). */
	void (*ike)(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		    const uint8_t *msg, size_t len);
};

struct dpath {
	const struct dcfg *cfg;
	struct tun tun;
	struct raw_sock *raw[DP_NSOCK]; /* NULL when not in use */
	struct sad *sad;		/* inbound SAs */
	struct sa **out;		/* outbound SAs, parallel to cfg->sa (NULL for inbound) */
	struct sa **all;		/* every SA, parallel to cfg->sa */
	struct dp_stats st;
	bool steering;		/* nft table and routes installed */
	struct dp_child *child; /* DP_CHILD_MAX slots, allocated by dpath_start */
	size_t nchild;		/* slots in use */
	uint64_t child_gen;
	struct dp_hooks hook; /* set by the caller after dpath_start */
	int clear_fd[2];      /* IKE: raw IPv4/IPv6 header-included sockets for soft fallback */
};

/* Clean leftovers, open sockets and TUN, create SAs, install routes and the nft table.
 * 0 or -errno; on failure everything made so far is removed again. */
int dpath_start(struct dpath *d, const struct dcfg *cfg);
/* Switch to configuration n (SIGHUP): SAs that did not change are kept with their sequence
 * numbers and replay windows, others are created or freed; the nft table is replaced
 * atomically and the ESP routes extended. 0: now running n (the caller frees the old one);
 * -errno: still running the old one (logged), n untouched. */
int dpath_reload(struct dpath *d, const struct dcfg *n);
/* Remove the nft table, rules and routes, close TUN and sockets, free SAs. */
void dpath_stop(struct dpath *d);
/* As dpath_start(), for a daemon that runs IKE: every socket IKE may need (ESP and AH raw
 * sockets and ESP in UDP on 4500, both families; 4500 also carries IKE) and the ESP routing
 * rules for both families, whatever the manual SAs use. */
int dpath_start_ike(struct dpath *d, const struct dcfg *cfg);

/* Install a negotiated pair: both SAs created (keys copied, kept for export-wireshark), the
 * inbound one into the SAD, the outbound one used for packets matching c->sel, ahead of
 * older pairs with overlapping selectors (make-before-break on rekey); the ESP sockets get
 * a route to a new peer. 0, -EEXIST (id installed, or inbound SPI taken), -ENOSPC,
 * -ENOTSUP (no socket for that family/encapsulation), or sa_new()'s error. */
int dpath_child_add(struct dpath *d, const struct ike_child *c);
/* The peer of pair id now sends from peer, UDP port port (its NAT mapping changed, RFC 7296
 * 2.23): outbound ESP in UDP goes there from now on; sequence numbers, the replay window and
 * counters stay. 0, -ENOENT (no such pair) or -ENOTSUP (not UDP-encapsulated, other family). */
int dpath_child_move(struct dpath *d, uint32_t id, const struct ipaddr *peer, uint16_t port);
/* Remove pair id (both SAs freed, keys wiped). Unknown ids are ignored. */
void dpath_child_del(struct dpath *d, uint32_t id);
/* Run one outbound packet (a whole IP packet, e.g. one held during an acquire) through SA
 * lookup, transform and send. 0, -ENOENT (still no SA) or -EIO (dropped, counted). */
int dpath_output(struct dpath *d, const uint8_t *pkt, size_t len);

/* Send a whole IP packet in clear, bypassing steering (soft fallback: the peer never answered
 * IKE and the action allows clear). 0 or -errno. */
int dpath_output_clear(struct dpath *d, const uint8_t *pkt, size_t len);

/* Event handlers: drain up to a few batches. */
void dpath_tun_ready(struct dpath *d);
void dpath_raw_ready(struct dpath *d, unsigned idx);
/* A read-only view of one installed SA, for the control socket (esprit sa, export-wireshark).
 * The SA list may be rebuilt by reloads and by IKE installing or removing SAs; views are valid
 * until the daemon's loop runs again. Keys are the raw octets as installed (salt included):
 * only the explicit "sa-keys" request of the control socket may print them. */
struct dpath_sa_view {
	const struct sa *sa;	  /* counters, lifetimes, SPI, algorithms */
	const char *origin;	  /* "manual" or the IKE rule name */
	uint32_t child_id;	  /* IKE pair id; 0 for manual SAs */
	const struct dp_sel *sel; /* its selectors */
	size_t nsel;
	const uint8_t *encr_key, *integ_key;
	size_t encr_key_len, integ_key_len;
};
size_t dpath_sa_count(const struct dpath *d);
/* Fill v for SA i (0 <= i < dpath_sa_count()). false if i is out of range. */
bool dpath_sa_get(const struct dpath *d, size_t i, struct dpath_sa_view *v);

/* One line per nonzero counter at level lvl. */
void dpath_log_stats(const struct dpath *d);
const char *dp_drop_name(enum dp_drop r);

#endif
