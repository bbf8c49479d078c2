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
 * counted in the SA (when one was found) and in the caller's xf_stats (inbound; the outbound
 * functions have no xf_stats and the caller counts their return value). No allocation.
 *
 * Limits, on purpose: fragments are refused (SA_DROP_UNSUPPORTED) both ways, as RFC 4301
 * reassembles before inbound processing and fragments after outbound. AH refuses IPv4 packets
 * with options and IPv6 packets with a Routing header in front of AH (SA_DROP_UNSUPPORTED):
 * their mutable-but-predictable fields (RFC 4302 3.3.3.1) are not computed.
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

/* esp_encap() with the IV given instead of generated: for known-answer tests against published
 * packets only (RFC 3602, RFC 4106, RFC 7634 vectors). The data path never calls it: a caller
 * choosing IVs can repeat one, which breaks GCM and ChaCha20-Poly1305. */
enum sa_drop esp_encap_iv(struct sa *sa, struct pbuf *pb, uint64_t now, const uint8_t *iv);

/* AH over ESP, one SA each (RFC 4301 4.5 bundle; the Windows "AH and ESP" filter action).
 * Outbound applies ESP, then AH over the result. Inbound removes AH, requires the packet it
 * protected to be ESP (SA_DROP_POLICY otherwise), then removes ESP. The SAs found are returned
 * through ah_out/esp_out as far as processing got. */
enum sa_drop xf_bundle_encap(struct sa *esp_sa, struct sa *ah_sa, struct pbuf *pb, uint64_t now);
enum sa_drop xf_bundle_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **ah_out,
			     struct sa **esp_out, struct xf_stats *st);

#endif
