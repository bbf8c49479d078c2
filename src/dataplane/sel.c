/* Selector matching for the outbound SA choice and the inbound policy check (RFC 4301 5.2). */
#include "dataplane/dp.h"

#include <sys/socket.h>

bool dp_prefix_match(const struct ipaddr *prefix, uint8_t plen, const struct ipaddr *addr)
{
	unsigned full, rest;

	if (prefix->af != addr->af)
		return false;
	if (plen > ipaddr_len(prefix) * 8)
		return false;
	full = plen / 8;
	rest = plen % 8;
	for (unsigned i = 0; i < full; i++)
		if (prefix->b[i] != addr->b[i])
			return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((prefix->b[full] & m) != (addr->b[full] & m))
			return false;
	}
	return true;
}

bool dp_sel_match(const struct dp_sel *s, bool outbound, const struct ipaddr *src,
		  const struct ipaddr *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	const struct ipaddr *l = outbound ? src : dst, *r = outbound ? dst : src;
	uint16_t lp = outbound ? sport : dport, rp = outbound ? dport : sport;

	if (!dp_prefix_match(&s->local, s->local_plen, l) ||
	    !dp_prefix_match(&s->remote, s->remote_plen, r))
		return false;
	if (s->proto && s->proto != proto)
		return false;
	if (s->lport && s->lport != lp)
		return false;
	if (s->rport && s->rport != rp)
		return false;
	return true;
}
