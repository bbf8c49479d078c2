/* TCP/UDP/ICMPv6 checksum recomputation. See l4csum.h. */
#include "wire/l4csum.h"

#include "lib/rw.h"
#include "wire/ip.h"
#include "wire/tso.h"

#define L4CSUM_TCP_AT	16 /* RFC 9293 3.1: checksum offset in the TCP header */
#define L4CSUM_UDP_AT	6  /* RFC 768 */
#define L4CSUM_ICMP6_AT 2  /* RFC 4443 2.1: type, code, checksum */

/* Where the checksum of a protocol with a pseudo-header sits, and the shortest header that
 * holds it; 0 for a protocol whose checksum does not cover the addresses (ICMPv4: RFC 792). */
static size_t l4csum_at(const struct ip_info *ii, size_t *min_len)
{
	switch (ii->proto) {
	case IPPROTO_NUM_TCP:
		*min_len = 20;
		return L4CSUM_TCP_AT;
	case IPPROTO_NUM_UDP:
		*min_len = 8;
		return L4CSUM_UDP_AT;
	case IPPROTO_NUM_ICMPV6: /* RFC 4443 2.3: the IPv6 pseudo-header is covered */
		*min_len = 4;
		return ii->version == 6 ? L4CSUM_ICMP6_AT : 0;
	default:
		return 0;
	}
}

/* The folded one's complement sum of the pseudo-header (not complemented). */
static uint16_t l4csum_pseudo(const struct ip_info *ii, const uint8_t *pkt, size_t l4_len)
{
	uint8_t ph[40];
	struct wr w;
	size_t alen = ii->version == 4 ? 4 : 16;

	wr_init(&w, ph, sizeof(ph));
	/* source and destination as they are in the header (IPv4 12..19, IPv6 8..39) */
	wr_bytes(&w, pkt + (ii->version == 4 ? 12 : 8), 2 * alen);
	if (ii->version == 4) {
		wr_u8(&w, 0);
		wr_u8(&w, ii->proto);
		wr_u16(&w, (uint16_t)l4_len);
	} else {
		wr_u32(&w, (uint32_t)l4_len);
		wr_u32(&w, ii->proto);
	}
	return (uint16_t)~ip_checksum(ph, wr_len(&w));
}

int l4csum_fix(uint8_t *pkt, size_t len)
{
	struct ip_info ii;
	enum ip_status st = ip_parse(pkt, len, IP_WALK_ULP, &ii);
	size_t at, l4_len, min_len = 0;
	uint16_t sum;
	struct rd r;

	/* a fragment's checksum covers the reassembled datagram: nothing to do here */
	if (st == IP_FRAGMENT)
		return 1;
	if (st != IP_OK)
		return -1;
	at = l4csum_at(&ii, &min_len);
	if (!at)
		return 1;
	if (ii.has_routing)
		return 1; /* a Routing header changes the pseudo-header's destination: left alone */
	at += ii.l4_off;
	l4_len = len - ii.l4_off;
	rd_init(&r, pkt, len);
	rd_skip(&r, at);
	sum = rd_u16(&r);
	if (!rd_ok(&r) || l4_len > 0xffff || l4_len < min_len)
		return -1;
	/* RFC 768: an IPv4 UDP checksum of zero means none was sent; keep it so. */
	if (sum == 0 && ii.proto == IPPROTO_NUM_UDP && ii.version == 4)
		return 1;
	put_be16(pkt + at, l4csum_pseudo(&ii, pkt, l4_len));
	if (tso_csum_finish(pkt, len, (uint16_t)ii.l4_off, (uint16_t)(at - ii.l4_off)) < 0)
		return -1;
	/* RFC 768: a computed zero goes out as all ones (zero would mean "no checksum") */
	if (ii.proto == IPPROTO_NUM_UDP && get_be16(pkt + at) == 0)
		put_be16(pkt + at, 0xffff);
	return 0;
}
