/* IPv4/IPv6 header parsing and fix-ups; see ip.h. */
#include "wire/ip.h"

#include <string.h>
#include <sys/socket.h>

#include "lib/rw.h"

/* Enough for any sane chain; a longer one is refused rather than walked (fuzzing, DoS). */
#define IPV6_MAX_EXT_HEADERS 8

static enum ip_status ipv4_parse(const uint8_t *buf, size_t len, struct ip_info *ii)
{
	struct rd r;
	uint8_t vihl;
	uint16_t frag;

	rd_init(&r, buf, len);
	vihl = rd_u8(&r);
	ii->tos = rd_u8(&r);
	ii->tot_len = rd_u16(&r);
	rd_skip(&r, 2); /* identification */
	frag = rd_u16(&r);
	ii->ttl = rd_u8(&r);
	ii->proto = rd_u8(&r);
	rd_skip(&r, 2); /* checksum */
	const uint8_t *s = rd_bytes(&r, 4);
	const uint8_t *d = rd_bytes(&r, 4);
	if (!rd_ok(&r) || vihl >> 4 != 4)
		return IP_MALFORMED;
	ii->version = 4;
	ii->hdr_len = (size_t)(vihl & 0x0f) * 4;
	/* RFC 791: IHL >= 5; total length covers the header and is what we were given. */
	if (ii->hdr_len < IPV4_HDR_LEN || ii->hdr_len > len || ii->tot_len != len ||
	    ii->tot_len < ii->hdr_len)
		return IP_MALFORMED;
	ipaddr_from_v4(&ii->src, s);
	ipaddr_from_v4(&ii->dst, d);
	ii->proto_off = 9;
	ii->l4_off = ii->hdr_len;
	ii->has_routing = false;
	/* MF set or a non-zero offset: a fragment (DF, 0x4000, is fine). */
	if (frag & 0x3fff)
		return IP_FRAGMENT;
	return IP_OK;
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_ROUTING ||
	       nh == IPPROTO_NUM_FRAGMENT || nh == IPPROTO_NUM_DSTOPTS;
}

/* Walk the extension header chain from the fixed header. With IP_WALK_INSERT the walk stops in
 * front of the first header that belongs behind ESP/AH (ip.h explains the choice). */
static enum ip_status ipv6_walk(const uint8_t *buf, size_t len, enum ip_walk walk,
				struct ip_info *ii)
{
	struct rd r;
	unsigned n;

	rd_init(&r, buf, len);
	rd_skip(&r, IPV6_HDR_LEN);
	for (n = 0; ipv6_is_ext(ii->proto); n++) {
		size_t start = r.off;
		uint8_t nh, hlen;

		if (n == IPV6_MAX_EXT_HEADERS)
			return IP_UNSUPPORTED;
		/* RFC 8200 4.3: hop-by-hop only directly after the fixed header. */
		if (ii->proto == IPPROTO_NUM_HOPOPTS && n != 0)
			return IP_MALFORMED;
		nh = rd_u8(&r);
		hlen = rd_u8(&r);
		if (!rd_ok(&r))
			return IP_MALFORMED;
		if (ii->proto == IPPROTO_NUM_FRAGMENT)
			return IP_FRAGMENT;
		if (walk == IP_WALK_INSERT && ii->proto == IPPROTO_NUM_DSTOPTS &&
		    nh != IPPROTO_NUM_ROUTING)
			break;
		/* RFC 8200 4.3-4.6: length in 8-octet units, not counting the first 8. */
		if (!rd_skip(&r, (size_t)(hlen + 1) * 8 - 2))
			return IP_MALFORMED;
		if (ii->proto == IPPROTO_NUM_ROUTING)
			ii->has_routing = true;
		ii->proto_off = start;
		ii->proto = nh;
		ii->l4_off = r.off;
	}
	return IP_OK;
}

static enum ip_status ipv6_parse(const uint8_t *buf, size_t len, enum ip_walk walk,
				 struct ip_info *ii)
{
	struct rd r;
	uint32_t vtf;
	uint16_t plen;

	rd_init(&r, buf, len);
	vtf = rd_u32(&r);
	plen = rd_u16(&r);
	ii->proto = rd_u8(&r);
	ii->ttl = rd_u8(&r);
	const uint8_t *s = rd_bytes(&r, 16);
	const uint8_t *d = rd_bytes(&r, 16);
	if (!rd_ok(&r) || vtf >> 28 != 6)
		return IP_MALFORMED;
	ii->version = 6;
	ii->tos = (uint8_t)(vtf >> 20);
	ii->hdr_len = IPV6_HDR_LEN;
	/* A zero payload length with data behind means a jumbogram (RFC 2675): not handled. */
	if (plen == 0 && len > IPV6_HDR_LEN)
		return IP_UNSUPPORTED;
	ii->tot_len = (size_t)IPV6_HDR_LEN + plen;
	if (ii->tot_len != len)
		return IP_MALFORMED;
	ipaddr_from_v6(&ii->src, s);
	ipaddr_from_v6(&ii->dst, d);
	ii->proto_off = 6;
	ii->l4_off = IPV6_HDR_LEN;
	ii->has_routing = false;
	return ipv6_walk(buf, len, walk, ii);
}

enum ip_status ip_parse(const uint8_t *buf, size_t len, enum ip_walk walk, struct ip_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	if (!buf || len < 1)
		return IP_MALFORMED;
	switch (buf[0] >> 4) {
	case 4:
		return ipv4_parse(buf, len, ii);
	case 6:
		return ipv6_parse(buf, len, walk, ii);
	default:
		return IP_MALFORMED;
	}
}

uint16_t ip_checksum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(buf + i);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void ipv4_set_checksum(uint8_t *hdr, size_t hl)
{
	put_be16(hdr + 10, 0);
	put_be16(hdr + 10, ip_checksum(hdr, hl));
}

int ip_set_length(uint8_t *pkt, size_t len)
{
	if (pkt[0] >> 4 == 4) {
		if (len > IPV4_MAX_PACKET)
			return -1;
		put_be16(pkt + 2, (uint16_t)len);
		ipv4_set_checksum(pkt, (size_t)(pkt[0] & 0x0f) * 4);
		return 0;
	}
	if (len < IPV6_HDR_LEN || len - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD)
		return -1;
	put_be16(pkt + 4, (uint16_t)(len - IPV6_HDR_LEN));
	return 0;
}

size_t ip_write_outer(uint8_t *out, size_t room, const struct ipaddr *src, const struct ipaddr *dst,
		      uint8_t proto, uint8_t tos, uint16_t ipv4_id, size_t payload_len)
{
	struct wr w;

	wr_init(&w, out, room);
	if (dst->af == AF_INET && src->af == AF_INET) {
		if (payload_len > IPV4_MAX_PACKET - IPV4_HDR_LEN)
			return 0;
		wr_u8(&w, 0x45);
		wr_u8(&w, tos);
		wr_u16(&w, (uint16_t)(IPV4_HDR_LEN + payload_len));
		wr_u16(&w, ipv4_id);
		wr_u16(&w, 0); /* flags + fragment offset: DF clear, the path may fragment */
		wr_u8(&w, IP_DEFAULT_TTL);
		wr_u8(&w, proto);
		wr_u16(&w, 0);
		wr_bytes(&w, src->b, 4);
		wr_bytes(&w, dst->b, 4);
		if (!wr_ok(&w))
			return 0;
		ipv4_set_checksum(out, IPV4_HDR_LEN);
		return IPV4_HDR_LEN;
	}
	if (dst->af == AF_INET6 && src->af == AF_INET6) {
		if (payload_len > IPV6_MAX_PAYLOAD)
			return 0;
		/* Traffic class copied from the inner header, flow label 0 (RFC 4301 5.1.2.2). */
		wr_u32(&w, (uint32_t)6 << 28 | (uint32_t)tos << 20);
		wr_u16(&w, (uint16_t)payload_len);
		wr_u8(&w, proto);
		wr_u8(&w, IP_DEFAULT_TTL);
		wr_bytes(&w, src->b, 16);
		wr_bytes(&w, dst->b, 16);
		return wr_ok(&w) ? IPV6_HDR_LEN : 0;
	}
	return 0;
}
