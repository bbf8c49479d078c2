/* TCP, UDP and ICMPv6 checksums of a whole IP packet, recomputed from scratch (RFC 9293 3.1,
 * RFC 768, RFC 4443 2.3, RFC 8200 8.1 pseudo-headers).
 *
 * For ESP transport mode through a NAT (RFC 3948 3.1.2): the sender computed the checksum
 * with its own addresses; the NAT rewrote the IP header but could not reach the checksum
 * inside ESP, so after decapsulation it no longer fits the header the kernel checks. The ESP
 * ICV has already proven the payload, so the receiver may compute the checksum anew. Pure
 * function on a buffer: no SA, no daemon state.
 */
#ifndef ESPRIT_WIRE_L4CSUM_H
#define ESPRIT_WIRE_L4CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Recompute the TCP, UDP or (IPv6) ICMPv6 checksum of the packet (len = the whole packet).
 * 0: written; 1: nothing to do (another protocol, ICMPv4 whose checksum has no pseudo-header,
 * a fragment, IPv4 UDP sent without checksum); -1: not a well-formed IP packet or the L4 header
 * does not fit. */
int l4csum_fix(uint8_t *pkt, size_t len);

#endif
