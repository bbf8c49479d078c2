/* TCP segmentation in user space, for a TUN with IFF_VNET_HDR and TUNSETOFFLOAD (TSO4/TSO6,
 * CSUM): the kernel hands over one large TCP packet with a virtio_net_hdr in front instead of
 * many MSS-sized ones (one read instead of forty). Here it becomes the packets the wire would
 * have carried: the same IP and TCP headers with the lengths, IPv4 identification and header
 * checksum, sequence number, flags and TCP checksum of each segment, as a NIC doing TSO makes
 * them. Pure functions on buffers: no daemon state.
 */
#ifndef ESPRIT_WIRE_TSO_H
#define ESPRIT_WIRE_TSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSO_VNET_HDR_LEN 10u /* struct virtio_net_hdr, the size TUNSETVNETHDRSZ sets */

/* What the virtio_net_hdr in front of a TUN read says (virtio 1.1, 5.1.6). */
struct tso_vnet {
	bool needs_csum;   /* the L4 checksum is partial: finish it */
	uint8_t gso_type;  /* VIRTIO_NET_HDR_GSO_* */
	uint16_t gso_size; /* MSS */
	uint16_t csum_start, csum_offset;
};

/* Parse the header (little-endian fields, as a TUN on a little-endian host writes them). */
int tso_vnet_parse(const uint8_t *buf, size_t len, struct tso_vnet *v);

/* One large TCP packet being cut into segments. */
struct tso {
	const uint8_t *pkt;
	size_t len;
	size_t hdr_len; /* IP header(s) + TCP header, copied in front of every segment */
	size_t tcp_off;
	uint8_t version;
	uint16_t mss;
	uint16_t ip_id;
	uint32_t seq;
	uint8_t flags;
	size_t off; /* start of the next segment's payload */
};

/* RFC 9293 3.1: the sequence number, header length (data offset * 4) and flags of the TCP
 * header at tcp_off. 0, or -1 if its fixed part does not fit in len or the data offset is
 * below 5 (the caller checks that the whole header fits: gro wants data after it, tso not). */
int tso_tcp_read(const uint8_t *pkt, size_t len, size_t tcp_off, uint32_t *seq, size_t *doff,
		 uint8_t *flags);

/* 0, or -1 if pkt is not an IPv4/IPv6 TCP packet with a sane header or mss is 0. */
int tso_init(struct tso *t, const uint8_t *pkt, size_t len, uint16_t mss);
/* Write the next segment to out; returns its length, 0 when there is none left or out has
 * fewer than hdr_len + mss bytes of room. */
size_t tso_next(struct tso *t, uint8_t *out, size_t room);

/* RFC 1071 / virtio NEEDS_CSUM: the 16 bits at start + offset hold the pseudo-header sum; add
 * the bytes from start to the end and store the complement. -1 if the offsets do not fit. */
int tso_csum_finish(uint8_t *pkt, size_t len, uint16_t start, uint16_t offset);

/* RFC 1071 4.1: one's complement sum of big-endian 16-bit words (an odd last octet padded
 * with zero) added to acc, not yet folded. */
uint32_t tso_sum(const uint8_t *p, size_t n, uint32_t acc);
/* Fold a sum to 16 bits (end-around carry). */
uint16_t tso_fold(uint32_t acc);
/* The sum of the TCP pseudo-header of an IPv4 (RFC 9293 3.1) or IPv6 (RFC 8200 8.1) packet
 * whose TCP header and data are tcp_len octets, not folded. */
uint32_t tso_pseudo_sum(const uint8_t *pkt, uint8_t version, size_t tcp_len);

#endif
