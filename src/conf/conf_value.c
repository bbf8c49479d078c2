/* Values in a configuration (see conf_value.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf_value.h"
#include "crypto/cipher.h"
#include "lib/util.h"

int conf_uint_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t d = (uint64_t)(*s - '0');

		if (v > max / 10)
			return -1;
		v *= 10;
		if (d > max - v)
			return -1;
		v += d;
	}
	*out = v;
	return 0;
}

/* ---- Addresses ------------------------------------------------------------------------- */

/* Letters, digits, '-' and '.', with at least one letter: what a DNS name looks like here. */
static bool is_hostname(const char *s)
{
	bool alpha = false;

	if (!*s || *s == '-' || *s == '.')
		return false;
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			alpha = true;
		else if (!(*s >= '0' && *s <= '9') && *s != '-' && *s != '.')
			return false;
	}
	return alpha;
}

static int addr_resolve(const char *s, struct ipaddr *out, size_t cap, size_t *n, char *why,
			size_t whylen)
{
	struct addrinfo hints = { .ai_socktype =
					  SOCK_DGRAM }; /* every address, configured or not */
	struct addrinfo *res, *ai;
	int rc;

	rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc) {
		snprintf(why, whylen, "cannot resolve host name: %s", gai_strerror(rc));
		return -1;
	}
	*n = 0;
	for (ai = res; ai && *n < cap; ai = ai->ai_next) {
		struct ipaddr a = { 0 };
		size_t i;

		if (ai->ai_family == AF_INET)
			ipaddr_from_v4(&a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
			ipaddr_from_v6(&a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
		else
			continue;
		for (i = 0; i < *n && !ipaddr_eq(&out[i], &a); i++)
			;
		if (i == *n)
			out[(*n)++] = a;
	}
	freeaddrinfo(res);
	if (!*n) {
		snprintf(why, whylen, "host name has no IPv4 or IPv6 address");
		return -1;
	}
	return 0;
}

static int addr_prefix(const char *s, const char *slash, struct spd_addr *out, char *why,
		       size_t whylen)
{
	char host[IPADDR_STRLEN + 1];
	struct ipaddr ip;
	uint64_t plen;
	size_t hl = (size_t)(slash - s);

	if (hl >= sizeof(host)) {
		snprintf(why, whylen, "invalid address");
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = 0;
	if (ipaddr_parse(&ip, host)) {
		snprintf(why, whylen, "invalid address in prefix");
		return -1;
	}
	if (conf_uint_parse(slash + 1, 255, &plen)) {
		snprintf(why, whylen, "invalid prefix length");
		return -1;
	}
	if (plen > ipaddr_len(&ip) * 8u) {
		snprintf(why, whylen, "prefix length out of range (0-%u for %s)",
			 ipaddr_len(&ip) * 8u, ip.af == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if (spd_addr_prefix(out, &ip, (unsigned)plen)) {
		snprintf(why, whylen, "invalid prefix");
		return -1;
	}
	return 0;
}

/* lo-hi if both halves are literals; returns 1 if s is no range at all. */
static int addr_range(const char *s, struct spd_addr *out, char *why, size_t whylen)
{
	const char *dash = strchr(s, '-');
	char lo_s[IPADDR_STRLEN + 1];
	struct ipaddr lo, hi;
	size_t ll;
	int c;

	if (!dash || strchr(dash + 1, '-'))
		return 1;
	ll = (size_t)(dash - s);
	if (ll >= sizeof(lo_s))
		return 1;
	memcpy(lo_s, s, ll);
	lo_s[ll] = 0;
	if (ipaddr_parse(&lo, lo_s) || ipaddr_parse(&hi, dash + 1))
		return 1;
	if (lo.af != hi.af) {
		snprintf(why, whylen, "address range mixes IPv4 and IPv6");
		return -1;
	}
	c = memcmp(lo.b, hi.b, ipaddr_len(&lo));
	if (c > 0) {
		snprintf(why, whylen, "address range starts above its end");
		return -1;
	}
	if (spd_addr_range(out, &lo, &hi)) {
		snprintf(why, whylen, "invalid address range");
		return -1;
	}
	return 0;
}

int conf_addr_parse(const char *s, bool resolve, struct spd_addr *out, size_t *n, char *why,
		    size_t whylen)
{
	struct ipaddr ips[CONF_ADDRS_MAX];
	const char *slash = strchr(s, '/');
	size_t i;
	int rc;

	*n = 1;
	if (!strcmp(s, "me")) {
		spd_addr_me(out);
		return 0;
	}
	if (!strcmp(s, "any")) {
		spd_addr_any(out);
		return 0;
	}
	if (slash)
		return addr_prefix(s, slash, out, why, whylen);
	if (!ipaddr_parse(&ips[0], s)) {
		spd_addr_host(out, &ips[0]);
		return 0;
	}
	rc = addr_range(s, out, why, whylen);
	if (rc <= 0)
		return rc;
	if (!is_hostname(s)) {
		snprintf(why, whylen, "invalid address");
		return -1;
	}
	if (!resolve) {
		snprintf(why, whylen, "host names are not allowed here");
		return -1;
	}
	if (addr_resolve(s, ips, CONF_ADDRS_MAX, n, why, whylen))
		return -1;
	for (i = 0; i < *n; i++)
		spd_addr_host(&out[i], &ips[i]);
	return 0;
}

int conf_host_parse(const char *s, bool resolve, struct ipaddr *out, char *why, size_t whylen)
{
	size_t n;

	if (!ipaddr_parse(out, s))
		return 0;
	if (!is_hostname(s) || !strcmp(s, "me") || !strcmp(s, "any")) {
		snprintf(why, whylen, "expected a single IPv4 or IPv6 address");
		return -1;
	}
	if (!resolve) {
		snprintf(why, whylen, "host names are not allowed here");
		return -1;
	}
	return addr_resolve(s, out, 1, &n, why, whylen);
}

/* ---- Protocols and ports ------------------------------------------------------------- */

static const struct {
	const char *name;
	uint16_t num;
} protos[] = {
	{ "any", SPD_PROTO_ANY },
	{ "icmp", 1 },
	{ "igmp", 2 },
	{ "ipip", 4 },
	{ "tcp", 6 },
	{ "udp", 17 },
	{ "ipv6", 41 },
	{ "rsvp", 46 },
	{ "gre", 47 },
	{ "esp", 50 },
	{ "ah", 51 },
	{ "icmp6", 58 },
	{ "ipv6-icmp", 58 },
	{ "ospf", 89 },
	{ "pim", 103 },
	{ "l2tp", 115 },
	{ "sctp", 132 },
};

int conf_proto_parse(const char *s, uint16_t *proto, const char **why)
{
	uint64_t v;
	size_t i;

	if (*s >= '0' && *s <= '9') {
		if (conf_uint_parse(s, 255, &v)) {
			*why = "protocol number out of range (0-255)";
			return -1;
		}
		*proto = (uint16_t)v;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!strcmp(s, protos[i].name)) {
			*proto = protos[i].num;
			return 0;
		}
	}
	*why = "unknown protocol";
	return -1;
}

static int port_one(const char *s, uint16_t *p, const char **why)
{
	uint64_t v;

	if (conf_uint_parse(s, 1000000, &v)) {
		*why = "invalid port";
		return -1;
	}
	if (v < 1 || v > 65535) {
		*why = "port out of range (1-65535)";
		return -1;
	}
	*p = (uint16_t)v;
	return 0;
}

int conf_port_parse(const char *s, uint16_t *lo, uint16_t *hi, const char **why)
{
	const char *dash = strchr(s, '-');
	char a[16];

	if (!dash) {
		if (port_one(s, lo, why))
			return -1;
		*hi = *lo;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(a)) {
		*why = "invalid port";
		return -1;
	}
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	if (port_one(a, lo, why) || port_one(dash + 1, hi, why))
		return -1;
	if (*lo > *hi) {
		*why = "port range starts above its end";
		return -1;
	}
	return 0;
}

/* ---- Algorithms -------------------------------------------------------------------- */

static const struct {
	const char *prefix; /* then -128, -192 or -256 */
	uint16_t id;
} encr_families[] = {
	{ "aes-cbc", ENCR_AES_CBC },	   { "aes-gcm", ENCR_AES_GCM_16 },
	{ "aes-gcm-16", ENCR_AES_GCM_16 }, { "aes-gcm-12", ENCR_AES_GCM_12 },
	{ "aes-gcm-8", ENCR_AES_GCM_8 },   { "aes-gmac", ENCR_NULL_AUTH_AES_GMAC },
};

int conf_encr_parse(const char *s, uint16_t *id, uint16_t *bits)
{
	const char *dash = strrchr(s, '-');
	size_t i, pl;

	if (!strcmp(s, "null")) {
		*id = ENCR_NULL;
		*bits = 0;
		return 0;
	}
	if (!strcmp(s, "chacha20-poly1305")) {
		*id = ENCR_CHACHA20_POLY1305;
		*bits = 256;
		return 0;
	}
	if (!dash || (strcmp(dash, "-128") && strcmp(dash, "-192") && strcmp(dash, "-256")))
		return -1;
	pl = (size_t)(dash - s);
	for (i = 0; i < ARRAY_SIZE(encr_families); i++) {
		if (strlen(encr_families[i].prefix) == pl &&
		    !memcmp(s, encr_families[i].prefix, pl)) {
			*id = encr_families[i].id;
			*bits = (uint16_t)(dash[1] == '1' ? (dash[2] == '2' ? 128 : 192) : 256);
			return 0;
		}
	}
	return -1;
}

static const struct {
	const char *name;
	uint16_t id;
} integs[] = {
	{ "hmac-sha1-96", AUTH_HMAC_SHA1_96 },
	{ "hmac-sha2-256", AUTH_HMAC_SHA2_256_128 },
	{ "hmac-sha2-256-128", AUTH_HMAC_SHA2_256_128 },
	{ "hmac-sha2-384", AUTH_HMAC_SHA2_384_192 },
	{ "hmac-sha2-384-192", AUTH_HMAC_SHA2_384_192 },
	{ "hmac-sha2-512", AUTH_HMAC_SHA2_512_256 },
	{ "hmac-sha2-512-256", AUTH_HMAC_SHA2_512_256 },
};

int conf_integ_parse(const char *s, uint16_t *id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(integs); i++) {
		if (!strcmp(s, integs[i].name)) {
			*id = integs[i].id;
			return 0;
		}
	}
	return -1;
}

/* ---- Lifetimes and durations ------------------------------------------------------- */

static const struct {
	const char *unit;
	enum conf_life kind;
	uint64_t mul;
} life_units[] = {
	{ "kb", CONF_LIFE_KB, 1 }, { "mb", CONF_LIFE_KB, 1000 }, { "gb", CONF_LIFE_KB, 1000000 },
	{ "s", CONF_LIFE_SEC, 1 }, { "min", CONF_LIFE_SEC, 60 }, { "h", CONF_LIFE_SEC, 3600 },
};

/* Split "123unit" into the number and the unit. */
static int num_unit(const char *s, uint64_t max, uint64_t *v, const char **unit)
{
	char num[24];
	size_t n = strspn(s, "0123456789");

	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = 0;
	*unit = s + n;
	return conf_uint_parse(num, max, v);
}

int conf_lifetime_parse(const char *s, enum conf_life *kind, uint64_t *val, const char **why)
{
	const char *unit;
	uint64_t v;
	size_t i;

	if (num_unit(s, UINT32_MAX, &v, &unit)) {
		*why = "invalid lifetime";
		return -1;
	}
	if (!*unit) {
		*why = "lifetime needs a unit (kb, mb, gb, s, min or h)";
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(life_units); i++) {
		if (!strcmp(unit, life_units[i].unit))
			break;
	}
	if (i == ARRAY_SIZE(life_units)) {
		*why = "unknown lifetime unit (kb, mb, gb, s, min or h)";
		return -1;
	}
	if (!v) {
		*why = "lifetime must not be zero";
		return -1;
	}
	v *= life_units[i].mul;
	if (life_units[i].kind == CONF_LIFE_SEC && v > UINT32_MAX) {
		*why = "lifetime too long";
		return -1;
	}
	*kind = life_units[i].kind;
	*val = v;
	return 0;
}

int conf_duration_parse(const char *s, uint32_t *ms, const char **why)
{
	const char *unit;
	uint64_t v;

	if (num_unit(s, 3600000, &v, &unit)) {
		*why = "invalid duration";
		return -1;
	}
	if (!strcmp(unit, "s"))
		v *= 1000;
	else if (strcmp(unit, "ms")) {
		*why = "duration needs a unit (s or ms)";
		return -1;
	}
	if (!v || v > 3600000) {
		*why = "duration out of range (1ms-3600s)";
		return -1;
	}
	*ms = (uint32_t)v;
	return 0;
}
