/* TCP receive coalescing in user space, for a TUN with IFF_VNET_HDR: the inverse of wire/tso.h.
 * Consecutive decrypted segments of one TCP flow become one large packet with a
 * virtio_net_hdr in front (GSO TCPV4/TCPV6, gso_size = the segments' payload size, partial
 * checksum), so the kernel takes them in one write and one stack pass instead of one each.
 *
 * The rules are those of the kernel's own GRO (tcp_gro_receive): same addresses, ports, IP
 * header fields, ACK number, window and options (byte for byte, timestamps too; IPv4
 * identification going up by one or, unlike the kernel, also constant without DF), contiguous
 * sequence numbers, every segment the size of the first except a shorter last one, ACK set
 * and PSH only on the last; a segment with any other flag, no data, IP options, IPv6
 * extension headers or a bad checksum is never merged (it goes on alone, so the kernel counts
 * what is wrong with it). Pure functions on buffers: the caller says which packets may share
 * a packet (the same SA) and does the writing.
 *
 * With udp set, consecutive UDP datagrams of one flow (same addresses, IP header fields and
 * ports, every payload the size of the first but a shorter last, checksum right or absent
 * over IPv4) become one packet with GSO UDP_L4 (USO): the kernel cuts it into the same
 * datagrams again before a socket sees them (udp_rcv_segment) or when it forwards it.
 */
#ifndef ESPRIT_WIRE_GRO_H
#define ESPRIT_WIRE_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/tso.h"

#define GRO_MAX_SEGS 64u    /* as the kernel's GRO (MAX_GSO_SEGS is larger; one TSO read) */
#define GRO_MAX_LEN  65535u /* merged IP packet: IPv4 total length, kept for IPv6 too */
#define GRO_BUF_LEN  (TSO_VNET_HDR_LEN + GRO_MAX_LEN)

/* The packet being built. */
struct gro {
	uint8_t *buf;	   /* GRO_BUF_LEN octets of the caller: virtio_net_hdr + IP packet */
	size_t len;	   /* IP packet held, 0 = none */
	const void *owner; /* the caller's tag of the held packet (its SA) */
	size_t tcp_off;	   /* TCP header */
	size_t hdr_len;	   /* IP + TCP headers */
	uint16_t mss;	   /* payload of the first segment */
	uint16_t ip_id;	   /* IPv4 identification of the first segment */
	unsigned nseg;
	uint32_t next_seq; /* sequence number the next segment must carry */
	bool closed;	   /* a shorter or PSH segment was the last: nothing may follow */
	bool udp;	   /* UDP datagrams may be merged too (GSO UDP_L4), set by the caller */
	uint8_t proto;	   /* of the held packet: IPPROTO_NUM_TCP or IPPROTO_NUM_UDP */
};

enum gro_res {
	GRO_HELD,  /* copied into the packet being built */
	GRO_FLUSH, /* does not fit the held packet: finish that one, then offer this again */
	GRO_ALONE, /* not mergeable (nothing is held): write it as it is */
};

/* Start empty with the caller's GRO_BUF_LEN buffer; udp: merge UDP datagrams too. */
void gro_init(struct gro *g, uint8_t *buf, bool udp);
/* Offer one whole IP packet (len octets) that arrived on owner. GRO_FLUSH only when a packet
 * is held; after gro_finish() the same packet is GRO_HELD or GRO_ALONE. */
enum gro_res gro_add(struct gro *g, const uint8_t *pkt, size_t len, const void *owner);
/* Finish the held packet: *out gets virtio_net_hdr + packet, *nseg how many segments it holds;
 * returns its length (0 when nothing is held) and leaves g empty. One segment goes out as it
 * came, behind an all-zero header; more get the lengths, IPv4 header checksum, the flags of
 * the last segment, the pseudo-header sum in the TCP checksum and a GSO header. */
size_t gro_finish(struct gro *g, const uint8_t **out, unsigned *nseg);

#endif
