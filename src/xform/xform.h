/* ESP (RFC 4303) and AH (RFC 4302) transforms on packet buffers.
 *
 * Outbound functions take a whole IPv4 or IPv6 packet in a pbuf with PBUF_HEADROOM in front
 * and PBUF_TAILROOM behind and turn it, in place, into the protected packet:
 *   transport mode: the IP header stays, ESP/AH is inserted after it (after the IPv6
 *                   extension headers that precede it, RFC 4303 3.1.1), lengths/checksum fixed;
 *   tunnel mode:    the packet becomes the inner packet behind a new outer IP header built
 *                   from sa->src/dst.
 * Inbound functions take the outer IP packet (UDP encapsulation already removed) and leave in
 * the pbuf the packet to deliver: the original packet with ESP/AH removed and the protocol
 * restored (transport), or the inner packet (tunnel). They look the SA up in the SAD and follow
 * RFC 4303's order: lengths -> SA -> replay pre-check -> ICV -> advance window -> padding.
 *
 * Every function returns SA_DROP_NONE (0) or the reason the packet was dropped; drops are
 * counted in the SA (when one was found) and in the caller's xf_stats. No allocation.
 */
#ifndef ESPRIT_XFORM_XFORM_H
#define ESPRIT_XFORM_XFORM_H

#include <stdint.h>

#include "lib/pbuf.h"
#include "sa/sa.h"
#include "sa/sad.h"

struct xf_stats {
	uint64_t in_packets, in_bytes;
	uint64_t out_packets, out_bytes;
	uint64_t drops[SA_DROP_MAX];
};

enum sa_drop esp_encap(struct sa *sa, struct pbuf *pb, uint64_t now);
enum sa_drop esp_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **sa_out,
		       struct xf_stats *st);

enum sa_drop ah_encap(struct sa *sa, struct pbuf *pb, uint64_t now);
enum sa_drop ah_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **sa_out,
		      struct xf_stats *st);

#endif
