/* Strict parsers for command-line values: addresses, ports, protocols. Nothing is guessed:
 * "80x", "-1", "65536", "10.1.0" and host names are refused with a sentence saying why. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/util.h"

/* IANA "Assigned Internet Protocol Numbers"; the names nft(8) and /etc/protocols use. */
static const struct {
	const char *name;
	uint8_t num;
} protos[] = {
	{ "icmp", 1 },	 { "igmp", 2 },	     { "tcp", 6 },	  { "udp", 17 },   { "ipv6", 41 },
	{ "rsvp", 46 },	 { "gre", 47 },	     { "esp", 50 },	  { "ah", 51 },	   { "icmpv6", 58 },
	{ "icmp6", 58 }, { "ospf", 89 },     { "pim", 103 },	  { "vrrp", 112 }, { "l2tp", 115 },
	{ "sctp", 132 }, { "udplite", 136 }, { "ipv6-icmp", 58 },
};

/* Unsigned decimal with no sign, no spaces, no trailing text. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

int cli_parse_ip(const char *s, struct ipaddr *ip, char *why, size_t len)
{
	if (ipaddr_parse(ip, s) == 0)
		return 0;
	snprintf(why, len, "'%s' is not an IPv4 or IPv6 address", s);
	return -1;
}

int cli_parse_local(const char *s, struct spd_local *l, char *why, size_t len)
{
	char buf[IPADDR_STRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long plen = 0;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= IPADDR_STRLEN) {
		snprintf(why, len, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(l, 0, sizeof(*l));
	if (cli_parse_ip(buf, &l->addr, why, len) < 0)
		return -1;
	if (slash && parse_uint(slash + 1, l->addr.af == AF_INET6 ? 128 : 32, &plen) < 0) {
		snprintf(why, len, "'%s': prefix length must be 0-%u", s,
			 l->addr.af == AF_INET6 ? 128u : 32u);
		return -1;
	}
	l->plen = (uint8_t)plen;
	return 0;
}

int cli_parse_port(const char *s, uint16_t *port, char *why, size_t len)
{
	unsigned long v;

	if (parse_uint(s, 65535, &v) < 0) {
		snprintf(why, len, "'%s' is not a port number (0-65535)", s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int cli_parse_proto(const char *s, uint8_t *proto, char *why, size_t len)
{
	unsigned long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		if (strcasecmp(s, protos[i].name) == 0) {
			*proto = protos[i].num;
			return 0;
		}
	}
	if (parse_uint(s, 255, &v) == 0) {
		*proto = (uint8_t)v;
		return 0;
	}
	snprintf(why, len,
		 "'%s' is not a protocol (a name such as tcp, udp, icmp, icmp6, esp, ah, gre, "
		 "or a number 0-255)",
		 s);
	return -1;
}

const char *cli_proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	return NULL;
}
