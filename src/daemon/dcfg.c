/* Daemon configuration container (see dcfg.h). */
#include "daemon/dcfg.h"

#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ike/proposal.h"
#include "lib/log.h"
#include "lib/util.h"

void dcfg_init(struct dcfg *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->tun, DP_TUN_NAME);
	c->mtu = DP_TUN_MTU;
}

int dcfg_add_sa(struct dcfg *c, const struct dcfg_sa *s)
{
	/* Grown by hand rather than realloc() so the old copy of the keys is wiped. */
	struct dcfg_sa *v = calloc(c->nsa + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (c->sa) {
		memcpy(v, c->sa, c->nsa * sizeof(*v));
		wipe(c->sa, c->nsa * sizeof(*v));
		free(c->sa);
	}
	c->sa = v;
	c->sa[c->nsa++] = *s;
	return 0;
}

void dcfg_sa_params(const struct dcfg_sa *s, struct sa_params *p)
{
	*p = s->p;
	p->encr_key = p->encr_key_len ? s->key : NULL;
	p->integ_key = p->integ_key_len ? s->key + p->encr_key_len : NULL;
}

void dcfg_free(struct dcfg *c)
{
	if (c->sa) {
		wipe(c->sa, c->nsa * sizeof(*c->sa));
		free(c->sa);
	}
	c->sa = NULL;
	c->nsa = 0;
	spd_free(c->spd);
	c->spd = NULL;
}

/* A conf_sa becomes a dcfg_sa: its selectors seen from this host (local/remote). */
static int dcfg_from_conf(void *arg, const struct conf_sa *cs)
{
	struct dcfg *c = arg;
	bool out = cs->p.dir == SA_DIR_OUT;
	const struct ipaddr *local = out ? &cs->p.src : &cs->p.dst;
	const struct ipaddr *remote = out ? &cs->p.dst : &cs->p.src;
	struct dcfg_sa s;
	size_t klen = cs->p.encr_key_len + cs->p.integ_key_len;
	int rc;

	if (klen > sizeof(s.key) || cs->nsel > DCFG_SEL_MAX)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.p = cs->p;
	s.p.encr_key = s.p.integ_key = NULL; /* conf wipes its buffer after the call */
	memcpy(s.key, cs->key, klen);
	s.key_len = klen;
	s.require = cs->require;
	for (size_t i = 0; i < cs->nsel; i++) {
		struct dp_sel *d = &s.sel[s.nsel++];

		d->local = *local;
		d->remote = *remote;
		d->local_plen = d->remote_plen = (uint8_t)(ipaddr_len(local) * 8);
		d->proto = cs->sel[i].proto;
		d->lport = out ? cs->sel[i].sport : cs->sel[i].dport;
		d->rport = out ? cs->sel[i].dport : cs->sel[i].sport;
	}
	rc = dcfg_add_sa(c, &s);
	wipe(&s, sizeof(s));
	return rc;
}

/* Prefix length of a netmask (contiguous ones). */
static uint8_t dcfg_mask_bits(const struct ipaddr *m)
{
	uint8_t n = 0;

	for (unsigned i = 0; i < ipaddr_len(m); i++)
		for (unsigned bit = 0x80; bit && (m->b[i] & bit); bit >>= 1)
			n++;
	return n;
}

static bool dcfg_sockaddr(const struct sockaddr *sa, struct ipaddr *a)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		ipaddr_from_v4(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	else if (sa->sa_family == AF_INET6)
		ipaddr_from_v6(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	else
		return false;
	return true;
}

/* `me` is every address of this host (namespace) except loopback: traffic to ourselves never
 * leaves the host, so no filter is about it. */
static void dcfg_host_locals(struct dcfg *c)
{
	struct ifaddrs *ifa;
	struct ipaddr mask;

	if (getifaddrs(&ifa) < 0) {
		log_warn("getifaddrs: %s; `me` matches nothing", strerror(errno));
		return;
	}
	for (struct ifaddrs *p = ifa; p && c->nlocals < DCFG_LOCAL_MAX; p = p->ifa_next) {
		struct spd_local *l = &c->locals[c->nlocals];

		if ((p->ifa_flags & IFF_LOOPBACK) || !dcfg_sockaddr(p->ifa_addr, &l->addr))
			continue;
		l->plen = dcfg_sockaddr(p->ifa_netmask, &mask) ? dcfg_mask_bits(&mask) : 0;
		c->nlocals++;
	}
	freeifaddrs(ifa);
}

int dcfg_load(struct dcfg *c, const char *path)
{
	struct conf_opts o = { .manual_sa = dcfg_from_conf, .manual_sa_arg = c };
	struct conf_diags d = { 0 };
	struct spd *s = NULL;
	int rc;

	if (c->nlocals == 0)
		dcfg_host_locals(c);
	o.locals = c->locals;
	o.nlocals = c->nlocals;
	rc = conf_load_file(path, &o, &s, &d);
	for (size_t i = 0; i < d.n; i++) {
		char line[1024];

		log_err("%s", conf_diag_fmt(&d.v[i], line, sizeof(line)));
	}
	conf_diags_free(&d);
	if (rc < 0) {
		spd_free(s);
		dcfg_free(c);
		return rc;
	}
	/* `ike-method`: the IKE SA suite is one per process (ike/proposal.h); none restores the
	 * built-in suite, so removing the statements and reloading takes effect too. */
	if (s && prop_ike_set_methods(s->ike_methods, s->nike_methods) == 0 && s->nike_methods) {
		char buf[PROP_WHY_MAX];
		struct prop_list l;

		if (prop_ike_default(NULL, 0, &l) == 0)
			log_info("ike-method: %s", prop_list_fmt(&l, buf, sizeof(buf)));
	}
	/* A file without `use policy` leaves everything in clear: nothing for steering or IKE. */
	if (s && s->active) {
		c->spd = s;
		log_info("policy '%s': %zu specific filters, %zu local addresses", s->active->name,
			 spd_sfilter_count(s), c->nlocals);
	} else {
		spd_free(s);
	}
	for (size_t i = 0; i < c->nsa; i++) {
		char a[IPADDR_STRLEN], b[IPADDR_STRLEN];
		const struct sa_params *p = &c->sa[i].p;

		log_info("sa %s %s spi 0x%08" PRIx32 " %s %s -> %s, %zu selectors%s",
			 p->dir == SA_DIR_OUT ? "out" : "in", p->proto == 51 ? "ah" : "esp", p->spi,
			 p->mode == SA_MODE_TUNNEL ? "tunnel" : "transport", ipaddr_fmt(&p->src, a),
			 ipaddr_fmt(&p->dst, b), c->sa[i].nsel,
			 c->sa[i].require ? ", require" : "");
	}
	return 0;
}
