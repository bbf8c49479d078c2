/* Filter addresses: any, me, prefixes and ranges; containment, specificity and text. */
#include "spd/spd_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int spd_ip_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	return memcmp(a->b, b->b, ipaddr_len(a));
}

void spd_ip_mask(struct ipaddr *out, const struct ipaddr *ip, unsigned plen)
{
	unsigned i, n = ipaddr_len(ip);

	*out = *ip;
	for (i = 0; i < n; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		out->b[i] &= (uint8_t)(0xff00u >> plen);
		plen = 0;
	}
	/* Bytes past an IPv4 address are zero, so masked keys compare and hash as 16 bytes. */
	memset(out->b + n, 0, sizeof(out->b) - n);
}

/* Set every bit after the first plen bits (the last address of the prefix). */
static void ip_fill(struct ipaddr *out, const struct ipaddr *ip, unsigned plen)
{
	unsigned i, n = ipaddr_len(ip);

	*out = *ip;
	for (i = 0; i < n; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		out->b[i] |= (uint8_t)(0xffu >> plen);
		plen = 0;
	}
}

void spd_addr_any(struct spd_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = SPD_ADDR_ANY;
}

void spd_addr_me(struct spd_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = SPD_ADDR_ME;
}

void spd_addr_host(struct spd_addr *a, const struct ipaddr *ip)
{
	memset(a, 0, sizeof(*a));
	a->kind = SPD_ADDR_PREFIX;
	a->plen = (uint8_t)spd_af_bits(ip->af);
	a->lo = *ip;
	a->hi = *ip;
}

int spd_addr_prefix(struct spd_addr *a, const struct ipaddr *ip, unsigned plen)
{
	if ((ip->af != AF_INET && ip->af != AF_INET6) || plen > spd_af_bits(ip->af))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->kind = SPD_ADDR_PREFIX;
	a->plen = (uint8_t)plen;
	spd_ip_mask(&a->lo, ip, plen);
	ip_fill(&a->hi, &a->lo, plen);
	return 0;
}

/* Number of leading bits lo and hi share. */
static unsigned common_bits(const struct ipaddr *lo, const struct ipaddr *hi)
{
	unsigned i, n = ipaddr_len(lo), bits = 0;

	for (i = 0; i < n; i++) {
		uint8_t x = lo->b[i] ^ hi->b[i];

		if (!x) {
			bits += 8;
			continue;
		}
		while (!(x & 0x80)) {
			x <<= 1;
			bits++;
		}
		break;
	}
	return bits;
}

int spd_addr_range(struct spd_addr *a, const struct ipaddr *lo, const struct ipaddr *hi)
{
	unsigned c;
	struct ipaddr m, f;

	if ((lo->af != AF_INET && lo->af != AF_INET6) || lo->af != hi->af || spd_ip_cmp(lo, hi) > 0)
		return -EINVAL;
	/* A range that is exactly a prefix is one: same matching, simpler display. */
	c = common_bits(lo, hi);
	spd_ip_mask(&m, lo, c);
	ip_fill(&f, lo, c);
	if (ipaddr_eq(&m, lo) && ipaddr_eq(&f, hi))
		return spd_addr_prefix(a, lo, c);
	memset(a, 0, sizeof(*a));
	a->kind = SPD_ADDR_RANGE;
	a->lo = *lo;
	a->hi = *hi;
	return 0;
}

uint8_t spd_addr_af(const struct spd_addr *a)
{
	if (a->kind == SPD_ADDR_PREFIX || a->kind == SPD_ADDR_RANGE)
		return a->lo.af;
	return 0;
}

bool spd_addr_contains(const struct spd_addr *a, const struct ipaddr *ip)
{
	switch (a->kind) {
	case SPD_ADDR_ANY:
		return true;
	case SPD_ADDR_PREFIX:
	case SPD_ADDR_RANGE:
		return ip->af == a->lo.af && spd_ip_cmp(&a->lo, ip) <= 0 &&
		       spd_ip_cmp(ip, &a->hi) <= 0;
	case SPD_ADDR_ME:
		break;
	}
	return false;
}

/* Bit length of (hi - lo): the host bits a range needs, ceil(log2(hi - lo + 1)). */
static unsigned diff_bitlen(const struct ipaddr *lo, const struct ipaddr *hi)
{
	uint8_t d[16];
	unsigned i, n = ipaddr_len(lo), borrow = 0;

	for (i = n; i-- > 0;) {
		int v = (int)hi->b[i] - (int)lo->b[i] - (int)borrow;

		borrow = v < 0;
		d[i] = (uint8_t)(v < 0 ? v + 256 : v);
	}
	for (i = 0; i < n; i++) {
		unsigned bits = 8 * (n - i);
		uint8_t x = d[i];

		if (!x)
			continue;
		while (!(x & 0x80)) {
			x <<= 1;
			bits--;
		}
		return bits;
	}
	return 0;
}

unsigned spd_addr_hostbits(const struct spd_addr *a, uint8_t af)
{
	switch (a->kind) {
	case SPD_ADDR_ANY:
		return spd_af_bits(af);
	case SPD_ADDR_ME:
		return 0;
	case SPD_ADDR_PREFIX:
		return spd_af_bits(af) - a->plen;
	case SPD_ADDR_RANGE:
		return diff_bitlen(&a->lo, &a->hi);
	}
	return spd_af_bits(af);
}

unsigned spd_addr_cover(const struct spd_addr *a, uint8_t af)
{
	switch (a->kind) {
	case SPD_ADDR_ANY:
		return 0;
	case SPD_ADDR_ME:
		return spd_af_bits(af);
	case SPD_ADDR_PREFIX:
		return a->plen;
	case SPD_ADDR_RANGE:
		return common_bits(&a->lo, &a->hi);
	}
	return 0;
}

const char *spd_addr_fmt(const struct spd_addr *a, char *buf, size_t len)
{
	char x[IPADDR_STRLEN], y[IPADDR_STRLEN];

	switch (a->kind) {
	case SPD_ADDR_ANY:
		snprintf(buf, len, "any");
		break;
	case SPD_ADDR_ME:
		snprintf(buf, len, "me");
		break;
	case SPD_ADDR_PREFIX:
		if (a->plen == spd_af_bits(a->lo.af))
			snprintf(buf, len, "%s", ipaddr_fmt(&a->lo, x));
		else
			snprintf(buf, len, "%s/%u", ipaddr_fmt(&a->lo, x), a->plen);
		break;
	case SPD_ADDR_RANGE:
		snprintf(buf, len, "%s-%s", ipaddr_fmt(&a->lo, x), ipaddr_fmt(&a->hi, y));
		break;
	}
	return buf;
}

const char *spd_proto_fmt(uint16_t proto, char *buf)
{
	static const struct {
		uint16_t n;
		const char *s;
	} names[] = {
		{ SPD_PROTO_ANY, "any" }, { 1, "icmp" },   { 6, "tcp" },  { 17, "udp" },
		{ 46, "rsvp" },		  { 47, "gre" },   { 50, "esp" }, { 51, "ah" },
		{ 58, "icmp6" },	  { 132, "sctp" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == proto)
			return strcpy(buf, names[i].s);
	snprintf(buf, 8, "%u", proto);
	return buf;
}
