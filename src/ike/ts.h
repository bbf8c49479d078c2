/* IKEv2 traffic selectors (RFC 7296 3.13) from policy, and narrowing (RFC 7296 2.9).
 *
 * A traffic selector is an address range of one family, an IP protocol (0 = any) and a port
 * range. TSi and TSr are each a list (OR); a Child SA covers every packet whose initiator-side
 * end matches some TSi and whose responder-side end matches some TSr.
 *
 * Our policy for one rule is a list of pairs (local, remote), one per specific filter of the
 * rule (spd_sfilter: `me` already expanded). In transport mode the addresses are clamped to the
 * two IKE hosts (a transport-mode SA carries only their own traffic); in tunnel mode they are
 * the filters' subnets. Holes punched into a rule by more specific permit/block filters of
 * other rules cannot be expressed as selectors; the per-packet policy check still applies them.
 *
 * Ports (RFC 7296 3.13.1): 0..65535 is ANY, which includes OPAQUE (ports not available, e.g.
 * non-first fragments); start 65535 / end 0 is OPAQUE alone. ANY ^ OPAQUE = OPAQUE; OPAQUE ^
 * any narrower range = nothing. Protocols: 0 ^ p = p; p ^ q (p != q, both non-zero) = nothing.
 *
 * Narrowing (responder, RFC 7296 2.9), ts_narrow():
 *   1. the first policy pair that contains TSi[0] and TSr[0] whole (TSi[0]/TSr[0] may be the
 *      packet that made the initiator start IKE) is used, so the result includes them;
 *   2. otherwise the first pair that overlaps some TSi and some TSr;
 *   3. otherwise TS_UNACCEPTABLE.
 * The result is every TSi (TSr) intersected with the pair's remote (local) selector, with
 * empty and contained selectors dropped. Only one pair is used because TSi x TSr must stay
 * inside the policy; *more reports that another pair also overlapped (ADDITIONAL_TS_POSSIBLE).
 */
#ifndef ESPRIT_IKE_TS_H
#define ESPRIT_IKE_TS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

#define TS_MAX		    IKEV2_MAX_TS /* selectors per TSi/TSr list */
#define TS_POLICY_MAX	    64		 /* (local, remote) pairs per rule */
#define TS_PORT_OPAQUE_LO   65535
#define TS_PORT_OPAQUE_HI   0
#define TS_STRLEN	    128	      /* enough for ts_fmt() */
#define TS_UNACCEPTABLE_ERR (-EACCES) /* answer with notify TS_UNACCEPTABLE (38) */

struct ts {
	uint8_t type;  /* enum ikev2_ts_type */
	uint8_t proto; /* IP protocol, 0 = any */
	uint16_t start_port, end_port;
	struct ipaddr start, end; /* same family as type, start <= end */
};

struct ts_list {
	size_t n;
	struct ts ts[TS_MAX];
};

struct ts_pair {
	struct ts local, remote;
};

struct ts_policy {
	size_t n;
	struct ts_pair pair[TS_POLICY_MAX];
};

/* Well formed: known type, address families agree with it, start <= end, ports a range or
 * OPAQUE. */
bool ts_valid(const struct ts *t);
bool ts_is_opaque(const struct ts *t);
/* Whole-family selector of af (AF_INET/AF_INET6), any protocol, any port. */
void ts_any(struct ts *t, uint8_t af);
/* One host, protocol proto (0 any), ports lo..hi. */
void ts_host(struct ts *t, const struct ipaddr *a, uint8_t proto, uint16_t lo, uint16_t hi);

/* a ^ b into *out (may alias a or b). true if not empty. */
bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out);
/* Every packet of inner is in outer. */
bool ts_contains(const struct ts *outer, const struct ts *inner);

/* The pair for one specific filter. mode TRANSPORT clamps to local_host/remote_host (both
 * needed); TUNNEL ignores them. 0, -ENOENT (nothing left after clamping), -EINVAL. */
int ts_from_sfilter(const struct spd_sfilter *sf, enum spd_mode mode,
		    const struct ipaddr *local_host, const struct ipaddr *remote_host,
		    struct ts_pair *out);
/* All pairs of a rule from the compiled policy (spd_compile() done), duplicates removed. The
 * default response rule (no filter list) accepts any traffic of the hosts' family (transport)
 * or anything (tunnel). 0, -ENOENT (no pair), -ENOSPC, -EINVAL, -ESTALE (not compiled). */
int ts_from_rule(const struct spd *s, const struct spd_rule *r, const struct ipaddr *local_host,
		 const struct ipaddr *remote_host, struct ts_policy *out);

/* Initiator: TSi = [packet's local end, pol->local], TSr = [packet's remote end,
 * pol->remote] (RFC 7296 2.9); pkt NULL (not triggered by a packet) gives just the pair. The
 * packet's ports are used for TCP/UDP only. 0, -EINVAL (packet outside the pair). */
int ts_offer(const struct ts_pair *pol, const struct spd_pkt *pkt, struct ts_list *tsi,
	     struct ts_list *tsr);

/* Responder narrowing (see above). pol is ours: local = our end (TSr side). 0;
 * TS_UNACCEPTABLE_ERR; -EINVAL (an empty list or a malformed selector). more may be NULL. */
int ts_narrow(const struct ts_policy *pol, const struct ts_list *tsi, const struct ts_list *tsr,
	      struct ts_list *out_i, struct ts_list *out_r, bool *more);

/* Initiator: every selector of the responder's TSi/TSr lies inside one we offered (a
 * responder may only narrow). 0 or -EBADMSG. */
int ts_check_reply(const struct ts_list *off_i, const struct ts_list *off_r,
		   const struct ts_list *rep_i, const struct ts_list *rep_r);

/* Responder: the packet view of TSi[0]/TSr[0] for spd_respond(): inbound from the initiator,
 * remote = tsi start address and port, local = tsr start. -EINVAL on mixed families. */
int ts_to_pkt(const struct ts *tsi0, const struct ts *tsr0, struct spd_pkt *pkt);

/* From the parser's view: unknown TS types are skipped (RFC 7296 3.13.1 leaves them to the
 * policy; we cannot match them), a malformed selector gives -EINVAL. */
int ts_from_wire(const struct ikev2_ts_list *w, struct ts_list *out);
/* To the builder's view; addresses point into l, which must outlive w. */
void ts_to_wire(const struct ts_list *l, struct ikev2_ts_list *w);

/* "10.0.0.1-10.0.0.9 tcp 80", "192.0.2.1 any", "2001:db8::1 udp opaque", ports "" when
 * any. Returns buf; truncates safely (TS_STRLEN suffices). */
const char *ts_fmt(const struct ts *t, char *buf, size_t len);

#endif
