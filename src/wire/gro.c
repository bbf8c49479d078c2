/* User-space TCP receive coalescing for the TUN: see gro.h. */
#include "wire/gro.h"

#include <linux/virtio_net.h>
#include <string.h>

#include "lib/rw.h"
#include "wire/ip.h"

#define TCP_FLAG_PSH 0x08u
#define TCP_FLAG_ACK 0x10u
#define IPV4_FLAG_DF 0x40u /* in the octet at offset 6 */
#define UDP_HDR_LEN  8u

/* Not yet in every distribution's linux/virtio_net.h (Debian 12 lacks it); virtio 1.2
 * 5.1.6: GSO of UDP datagrams (USO), gso_size the payload of each datagram. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* What gro_add() needs of one candidate segment. */
struct gro_seg {
	uint8_t proto; /* IPPROTO_NUM_TCP or IPPROTO_NUM_UDP */
	size_t tcp_off, hdr_len, payload;
	uint32_t seq;
	uint16_t ip_id;
	uint8_t flags;
	bool df;
};

/* The pseudo-header sum of TCP or UDP (RFC 768, RFC 8200 8.1: the same layout as TCP's with
 * the protocol number in it); tso_pseudo_sum() adds TCP's. */
static uint32_t gro_pseudo_sum(const uint8_t *pkt, uint8_t proto, size_t l4_len)
{
	return tso_pseudo_sum(pkt, pkt[0] >> 4, l4_len) - IPPROTO_NUM_TCP + proto;
}

/* RFC 1071 4.1: a receiver's check, the sum over pseudo-header, header and data is 0xffff. */
static bool gro_csum_ok(const uint8_t *pkt, size_t len, size_t l4_off, uint8_t proto)
{
	uint32_t acc = gro_pseudo_sum(pkt, proto, len - l4_off);

	return tso_fold(tso_sum(pkt + l4_off, len - l4_off, acc)) == 0xffff;
}

/* A UDP datagram with data, its length field the rest of the packet, its checksum right;
 * RFC 768: zero means no checksum over IPv4, RFC 8200 8.1: never allowed over IPv6 (such a
 * datagram goes alone, for the kernel to drop and count). */
static bool gro_parse_udp(const uint8_t *pkt, size_t len, const struct ip_info *ii,
			  struct gro_seg *s)
{
	uint16_t ulen, csum;
	struct rd r;

	rd_init(&r, pkt, len);
	rd_skip(&r, ii->l4_off + 4);
	ulen = rd_u16(&r);
	csum = rd_u16(&r);
	if (!rd_ok(&r) || ulen != len - ii->l4_off || ulen <= UDP_HDR_LEN)
		return false;
	s->tcp_off = ii->l4_off;
	s->hdr_len = ii->l4_off + UDP_HDR_LEN;
	s->payload = len - s->hdr_len;
	s->flags = 0;
	s->seq = 0;
	if (!csum)
		return ii->version == 4;
	return gro_csum_ok(pkt, len, ii->l4_off, IPPROTO_NUM_UDP);
}

/* A segment the kernel's GRO would merge: IPv4 without options (header checksum right) or
 * IPv6 without extension headers, TCP with data, ACK and at most PSH besides, checksum right;
 * with udp, also a UDP datagram with data (gro_parse_udp). */
static bool gro_parse(const uint8_t *pkt, size_t len, bool udp, struct gro_seg *s)
{
	struct ip_info ii;
	struct rd r;
	size_t doff;

	if (len > GRO_MAX_LEN || ip_parse(pkt, len, IP_WALK_ULP, &ii) != IP_OK ||
	    (ii.proto != IPPROTO_NUM_TCP && !(udp && ii.proto == IPPROTO_NUM_UDP)) ||
	    ii.l4_off != ii.hdr_len)
		return false;
	if (ii.version == 4 && (ii.hdr_len != IPV4_HDR_LEN || ip_checksum(pkt, IPV4_HDR_LEN)))
		return false;
	rd_init(&r, pkt, len);
	rd_skip(&r, 4);
	s->ip_id = rd_u16(&r);
	s->df = ii.version == 4 && (rd_u8(&r) & IPV4_FLAG_DF);
	s->proto = ii.proto;
	if (ii.proto == IPPROTO_NUM_UDP)
		return gro_parse_udp(pkt, len, &ii, s);
	if (tso_tcp_read(pkt, len, ii.l4_off, &s->seq, &doff, &s->flags) ||
	    ii.l4_off + doff >= len || (s->flags & ~TCP_FLAG_PSH) != TCP_FLAG_ACK)
		return false;
	s->tcp_off = ii.l4_off;
	s->hdr_len = ii.l4_off + doff;
	s->payload = len - s->hdr_len;
	return gro_csum_ok(pkt, len, ii.l4_off, IPPROTO_NUM_TCP);
}

/* Same flow and same headers but for the IPv4 identification, the lengths, checksums,
 * sequence number and PSH. h is the held packet, whose headers are the first segment's. */
static bool gro_same_headers(const struct gro *g, const uint8_t *h, const uint8_t *p,
			     const struct gro_seg *s)
{
	size_t t = g->tcp_off;

	if (h[0] >> 4 == 4) {
		/* version, IHL, TOS; flags and fragment offset, TTL, protocol; addresses */
		if (memcmp(h, p, 2) || memcmp(h + 6, p + 6, 4) || memcmp(h + 12, p + 12, 8))
			return false;
		/* Without DF the identification must go up by one per segment (as GSO gives
		 * them again when the merged packet is forwarded) or stay the same (the
		 * steered TCP between two espritd hosts was seen without DF, identification
		 * 0 throughout). With DF it does not matter. */
		if (!s->df && s->ip_id != (uint16_t)(g->ip_id + g->nseg) && s->ip_id != g->ip_id)
			return false;
	} else if (memcmp(h, p, 4) || memcmp(h + 6, p + 6, 34)) {
		/* version, traffic class, flow label; next header, hop limit, addresses */
		return false;
	}
	/* UDP: ports (length and checksum differ) */
	if (g->proto == IPPROTO_NUM_UDP)
		return !memcmp(h + t, p + t, 4);
	/* ports; acknowledgment number and data offset; window; urgent pointer and options */
	return !memcmp(h + t, p + t, 4) && !memcmp(h + t + 8, p + t + 8, 5) &&
	       !memcmp(h + t + 14, p + t + 14, 2) &&
	       !memcmp(h + t + 18, p + t + 18, g->hdr_len - t - 18);
}

static bool gro_fits(const struct gro *g, const uint8_t *pkt, const struct gro_seg *s,
		     const void *owner)
{
	const uint8_t *h = g->buf + TSO_VNET_HDR_LEN;

	return owner == g->owner && !g->closed && g->nseg < GRO_MAX_SEGS && s->proto == g->proto &&
	       s->hdr_len == g->hdr_len && s->tcp_off == g->tcp_off && s->payload <= g->mss &&
	       g->len + s->payload <= GRO_MAX_LEN &&
	       (s->proto == IPPROTO_NUM_UDP || s->seq == g->next_seq) &&
	       gro_same_headers(g, h, pkt, s);
}

void gro_init(struct gro *g, uint8_t *buf, bool udp)
{
	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->udp = udp;
}

static void gro_start(struct gro *g, const uint8_t *pkt, size_t len, const struct gro_seg *s,
		      const void *owner)
{
	memcpy(g->buf + TSO_VNET_HDR_LEN, pkt, len);
	g->len = len;
	g->owner = owner;
	g->proto = s->proto;
	g->tcp_off = s->tcp_off;
	g->hdr_len = s->hdr_len;
	g->mss = (uint16_t)s->payload;
	g->ip_id = s->ip_id;
	g->nseg = 1;
	g->next_seq = s->seq + (uint32_t)s->payload;
	g->closed = s->flags & TCP_FLAG_PSH;
}

enum gro_res gro_add(struct gro *g, const uint8_t *pkt, size_t len, const void *owner)
{
	uint8_t *h = g->buf + TSO_VNET_HDR_LEN;
	struct gro_seg s;

	if (!gro_parse(pkt, len, g->udp, &s))
		return g->len ? GRO_FLUSH : GRO_ALONE;
	if (!g->len) {
		gro_start(g, pkt, len, &s, owner);
		return GRO_HELD;
	}
	if (!gro_fits(g, pkt, &s, owner))
		return GRO_FLUSH;
	memcpy(h + g->len, pkt + s.hdr_len, s.payload);
	g->len += s.payload;
	g->nseg++;
	g->next_seq += (uint32_t)s.payload;
	if (s.proto == IPPROTO_NUM_UDP) {
		/* Datagrams are cut at gso_size again: only the last may be shorter. */
		g->closed = s.payload < g->mss;
		return GRO_HELD;
	}
	/* The merged packet carries the last segment's PSH (tcp_gro_complete keeps it). */
	h[g->tcp_off + 13] = s.flags;
	g->closed = s.payload < g->mss || (s.flags & TCP_FLAG_PSH);
	return GRO_HELD;
}

/* The virtio_net_hdr fields are little-endian (virtio 1.1 5.1.6; wr_u16 is big-endian). */
static void gro_wr_le16(struct wr *w, size_t v)
{
	wr_u8(w, (uint8_t)v);
	wr_u8(w, (uint8_t)(v >> 8));
}

size_t gro_finish(struct gro *g, const uint8_t **out, unsigned *nseg)
{
	uint8_t *p = g->buf + TSO_VNET_HDR_LEN;
	size_t len = g->len, tcp_len = len - g->tcp_off;
	bool v4 = p[0] >> 4 == 4, udp = g->proto == IPPROTO_NUM_UDP;
	struct wr w;

	*nseg = g->nseg;
	*out = g->buf;
	if (!len)
		return 0;
	g->len = 0;
	memset(g->buf, 0, TSO_VNET_HDR_LEN);
	if (*nseg == 1)
		return TSO_VNET_HDR_LEN + len;
	(void)ip_set_length(p, len); /* fits: len <= GRO_MAX_LEN */
	if (udp) /* RFC 768: the length of the one large datagram; GSO sets each one's */
		put_be16(p + g->tcp_off + 4, (uint16_t)tcp_len);
	/* virtio NEEDS_CSUM: the checksum field holds the pseudo-header sum, the kernel (or
	 * GSO when it forwards) adds the rest. */
	put_be16(p + g->tcp_off + (udp ? 6 : 16), tso_fold(gro_pseudo_sum(p, g->proto, tcp_len)));
	wr_init(&w, g->buf, TSO_VNET_HDR_LEN);
	wr_u8(&w, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	if (udp)
		wr_u8(&w, VIRTIO_NET_HDR_GSO_UDP_L4);
	else
		wr_u8(&w, v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6);
	gro_wr_le16(&w, g->hdr_len);
	gro_wr_le16(&w, g->mss);
	gro_wr_le16(&w, g->tcp_off);
	/* RFC 768 and RFC 9293 3.1: where the checksum is in the header */
	gro_wr_le16(&w, udp ? 6 : 16);
	return TSO_VNET_HDR_LEN + len;
}
