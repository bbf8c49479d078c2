#include "lib/addr.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->af == b->af && memcmp(a->b, b->b, ipaddr_len(a)) == 0;
}

uint32_t ipaddr_hash(const struct ipaddr *a, uint32_t seed)
{
	/* FNV-1a: cheap and good enough for table indexing; seeded so a peer cannot
	 * predict bucket collisions from addresses alone. */
	uint32_t h = 2166136261u ^ seed;
	unsigned i;

	h = (h ^ a->af) * 16777619u;
	for (i = 0; i < ipaddr_len(a); i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h;
}

void ipaddr_from_v4(struct ipaddr *a, const void *in4)
{
	memset(a, 0, sizeof(*a));
	a->af = AF_INET;
	memcpy(a->b, in4, 4);
}

void ipaddr_from_v6(struct ipaddr *a, const void *in6)
{
	memset(a, 0, sizeof(*a));
	a->af = AF_INET6;
	memcpy(a->b, in6, 16);
}

int ipaddr_parse(struct ipaddr *a, const char *s)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		ipaddr_from_v4(a, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		ipaddr_from_v6(a, buf);
		return 0;
	}
	return -1;
}

const char *ipaddr_fmt(const struct ipaddr *a, char *buf)
{
	if (!a->af || !inet_ntop(a->af, a->b, buf, IPADDR_STRLEN))
		strcpy(buf, "-");
	return buf;
}
