/* The daemon's view of its configuration: manual SAs with their selectors, and data path
 * settings. Filled from the configuration file (dcfg_load) or directly by tests. */
#ifndef ESPRIT_DAEMON_DCFG_H
#define ESPRIT_DAEMON_DCFG_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "sa/sa.h"

#define DCFG_SEL_MAX 8
#define DCFG_KEY_MAX 64

/* One manually keyed SA: p's key pointers are unset; key[] holds the encryption key (salt
 * included) then the integrity key, p.encr_key_len and p.integ_key_len octets. */
struct dcfg_sa {
	struct sa_params p;
	uint8_t key[DCFG_KEY_MAX];
	size_t key_len;
	struct dp_sel sel[DCFG_SEL_MAX];
	size_t nsel;
	/* Inbound SAs: plaintext matching a selector's protocol and local port is dropped from
	 * any source (the service requires IPsec), unless it came through the TUN. */
	bool require;
};

struct dcfg {
	struct dcfg_sa *sa;
	size_t nsa;
	char tun[IFNAMSIZ];
	unsigned mtu;
};

void dcfg_init(struct dcfg *c);
/* Append a copy of s (keys included); 0 or -ENOMEM. */
int dcfg_add_sa(struct dcfg *c, const struct dcfg_sa *s);
/* The SA's parameters with the key pointers set into s->key (valid while s is). */
void dcfg_sa_params(const struct dcfg_sa *s, struct sa_params *p);
/* Wipe keys, free. */
void dcfg_free(struct dcfg *c);
/* Load manual SAs from a configuration file. 0 or -errno, problems printed to the log. */
int dcfg_load(struct dcfg *c, const char *path);

#endif
