/* IPv4 (RFC 791) and IPv6 (RFC 8200) header parsing for the ESP/AH transforms.
 *
 * Pure wire code: a buffer in, a struct ip_info or a status out, no SA state. Every byte is
 * read through lib/rw.h. The transforms use ip_parse() twice: outbound to find where ESP/AH
 * goes, inbound to find the ESP/AH header the packet carries.
 *
 * IPv6 extension headers and where ESP/AH goes (RFC 4303 3.1.1, RFC 4302 3.1.1): after
 * hop-by-hop, routing and fragment headers; destination options may sit either side. esprit
 * keeps a Destination Options header in front of ESP/AH only when a Routing header follows it
 * (options for the intermediate destinations must stay readable en route) and puts any other
 * Destination Options header behind ESP/AH, where it is protected. Fragments are never
 * transformed (RFC 4301 reassembles before, fragments after), so a Fragment header is reported
 * as IP_FRAGMENT.
 */
#ifndef ESPRIT_WIRE_IP_H
#define ESPRIT_WIRE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define IPV4_HDR_LEN	 20
#define IPV4_HDR_MAX	 60
#define IPV6_HDR_LEN	 40
#define IP_DEFAULT_TTL	 64 /* outer TTL / hop limit of tunnel mode packets */
#define IPV4_MAX_PACKET	 65535u
#define IPV6_MAX_PAYLOAD 65535u

/* IP protocol / IPv6 next header numbers used here (IANA). */
enum {
	IPPROTO_NUM_HOPOPTS = 0,
	IPPROTO_NUM_ICMP = 1,
	IPPROTO_NUM_IPIP = 4, /* IPv4 in IP: tunnel mode next header */
	IPPROTO_NUM_TCP = 6,
	IPPROTO_NUM_UDP = 17,
	IPPROTO_NUM_IPV6 = 41, /* IPv6 in IP: tunnel mode next header */
	IPPROTO_NUM_ROUTING = 43,
	IPPROTO_NUM_FRAGMENT = 44,
	IPPROTO_NUM_ESP = 50,
	IPPROTO_NUM_AH = 51,
	IPPROTO_NUM_ICMPV6 = 58,
	IPPROTO_NUM_NONE = 59, /* RFC 4303 2.6: dummy packet */
	IPPROTO_NUM_DSTOPTS = 60,
};

enum ip_status {
	IP_OK = 0,
	IP_MALFORMED,	/* lengths or version do not add up */
	IP_FRAGMENT,	/* IPv4 MF/offset or an IPv6 Fragment header */
	IP_UNSUPPORTED, /* well-formed but not handled (IPv6 jumbogram, too many headers) */
};

/* How far ip_parse() walks the IPv6 extension headers. */
enum ip_walk {
	IP_WALK_INSERT, /* stop where an outbound ESP/AH header is inserted (see above) */
	IP_WALK_ULP,	/* walk HBH/routing/destopts to the first other header (ESP, AH, TCP...) */
};

struct ip_info {
	uint8_t version;  /* 4 or 6 */
	size_t hdr_len;	  /* fixed header (IPv4 with options; IPv6: 40) */
	size_t tot_len;	  /* whole packet as the header says; equals the buffer length */
	size_t l4_off;	  /* end of the headers walked: ESP/AH insertion point or ULP start */
	size_t proto_off; /* offset of the byte that names the header at l4_off */
	uint8_t proto;	  /* its value */
	bool has_routing; /* an IPv6 Routing header was walked */
	uint8_t tos;	  /* IPv4 TOS or IPv6 traffic class */
	uint8_t ttl;	  /* TTL or hop limit */
	struct ipaddr src, dst;
};

/* Parse the IP header(s) at the start of buf. len must be exactly the packet. */
enum ip_status ip_parse(const uint8_t *buf, size_t len, enum ip_walk walk, struct ip_info *ii);

/* RFC 1071 Internet checksum over len bytes (one's complement of the one's complement sum). */
uint16_t ip_checksum(const uint8_t *buf, size_t len);
/* Recompute the IPv4 header checksum of a header of hl bytes (hl checked by the caller). */
void ipv4_set_checksum(uint8_t *hdr, size_t hl);
/* Set IPv4 total length (and the checksum) or IPv6 payload length for a packet of len bytes.
 * -1 if len does not fit the field. */
int ip_set_length(uint8_t *pkt, size_t len);

/* Write a fresh outer header for tunnel mode: no options, DF clear, TTL/hop limit 64, the given
 * protocol, addresses, TOS/traffic class and IPv4 identification. Returns the header length or
 * 0 if the family is unknown or out has too little room. */
size_t ip_write_outer(uint8_t *out, size_t room, const struct ipaddr *src, const struct ipaddr *dst,
		      uint8_t proto, uint8_t tos, uint16_t ipv4_id, size_t payload_len);

#endif
