/* Internals shared by the spd source files; not for other modules. */
#ifndef ESPRIT_SPD_SPD_INT_H
#define ESPRIT_SPD_SPD_INT_H

#include "spd/spd.h"

/* Bits of an address family (32 or 128). */
static inline unsigned spd_af_bits(uint8_t af)
{
	return af == AF_INET6 ? 128 : 32;
}

/* Compare two addresses of the same family as unsigned big-endian numbers. */
int spd_ip_cmp(const struct ipaddr *a, const struct ipaddr *b);
/* Keep the first plen bits of ip (in its family), clear the rest. */
void spd_ip_mask(struct ipaddr *out, const struct ipaddr *ip, unsigned plen);
/* Host bits of a literal address (0 for a host, bits for any). */
unsigned spd_addr_hostbits(const struct spd_addr *a, uint8_t af);
/* Length of the shortest prefix that contains the whole literal (plen, or the common prefix of
 * a range; 0 for any). */
unsigned spd_addr_cover(const struct spd_addr *a, uint8_t af);

bool spd_is_local(const struct spd *s, const struct ipaddr *ip);
void spd_mark_dirty(struct spd *s);

/* Does specific filter sf cover packet p? (everything: direction, family, both addresses,
 * protocol, ports) */
bool spd_sf_match(const struct spd_sfilter *sf, const struct spd_pkt *p);

/* Compiled index (spd_compile.c). */
int spd_index_build(struct spd *s);
void spd_index_free(struct spd_index *ix);
/* Best (lowest order) specific filter covering p, or NULL. */
const struct spd_sfilter *spd_index_lookup(const struct spd *s, const struct spd_pkt *p);

void spd_auth_clear(struct spd_auth *a);

#endif
