/* The daemon's view of its configuration: the compiled policy model, manual SAs with their
 * selectors, and data path settings. Filled from the configuration file (dcfg_load) or
 * directly by tests. */
#ifndef ESPRIT_DAEMON_DCFG_H
#define ESPRIT_DAEMON_DCFG_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "sa/sa.h"
#include "spd/spd.h"

#define DCFG_SEL_MAX   8
#define DCFG_KEY_MAX   64
#define DCFG_LOCAL_MAX 64 /* host addresses given to the policy model for `me` */

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
	/* The policy model from the same file, compiled (spd_compile done), or NULL when the
	 * file assigns no policy (`use policy`): then only the manual SAs steer. */
	struct spd *spd;
	/* Host addresses for `me`. dcfg_load() fills them from getifaddrs() when nlocals is 0;
	 * tests set them before loading. */
	struct spd_local locals[DCFG_LOCAL_MAX];
	size_t nlocals;
	char tun[IFNAMSIZ];
	unsigned mtu;
};

void dcfg_init(struct dcfg *c);
/* Append a copy of s (keys included); 0 or -ENOMEM. */
int dcfg_add_sa(struct dcfg *c, const struct dcfg_sa *s);
/* The SA's parameters with the key pointers set into s->key (valid while s is). */
void dcfg_sa_params(const struct dcfg_sa *s, struct sa_params *p);
/* Wipe keys, free the SAs and the policy model. */
void dcfg_free(struct dcfg *c);
/* Load the policy model and the manual SAs from a configuration file. 0 or -errno, problems
 * printed to the log; on failure nothing is left allocated. */
int dcfg_load(struct dcfg *c, const char *path);

#endif
