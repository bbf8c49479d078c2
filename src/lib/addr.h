/* IP addresses of either family, as plain values that hash and compare. */
#ifndef ESPRIT_LIB_ADDR_H
#define ESPRIT_LIB_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct ipaddr {
	uint8_t af;    /* AF_INET or AF_INET6; 0 = unset */
	uint8_t b[16]; /* network order; IPv4 in b[0..3], rest zero */
};

#define IPADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b);
static inline unsigned ipaddr_len(const struct ipaddr *a)
{
	return a->af == AF_INET6 ? 16 : 4;
}
uint32_t ipaddr_hash(const struct ipaddr *a, uint32_t seed);
/* Parse a literal IPv4 or IPv6 address (no names); 0 or -1. */
int ipaddr_parse(struct ipaddr *a, const char *s);
/* Format into buf (IPADDR_STRLEN); returns buf. */
const char *ipaddr_fmt(const struct ipaddr *a, char *buf);
void ipaddr_from_v4(struct ipaddr *a, const void *in4);
void ipaddr_from_v6(struct ipaddr *a, const void *in6);

#endif
