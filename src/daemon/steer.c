/* Policy model + manual SAs -> steering and enforcement rule sets (see steer.h). */
#include "daemon/steer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"

static void steer_addr(struct nft_addr *n, const struct spd_addr *a)
{
	memset(n, 0, sizeof(*n));
	if (a->kind == SPD_ADDR_ANY || (a->kind == SPD_ADDR_PREFIX && a->plen == 0))
		return;
	n->lo = a->lo;
	n->hi = a->hi;
	n->plen = a->kind == SPD_ADDR_PREFIX ? a->plen : 0;
}

static bool steer_is_host(const struct nft_addr *a)
{
	if (a->lo.af == 0)
		return false;
	return a->plen ? a->plen == ipaddr_len(&a->lo) * 8 : ipaddr_eq(&a->lo, &a->hi);
}

/* Could the destination be a broadcast or multicast address? Host addresses are taken at
 * their word unless they are multicast or the limited broadcast. */
static bool steer_bm_possible(const struct nft_addr *v, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = v[i].lo.b;

		if (!steer_is_host(&v[i]))
			return true;
		if (v[i].lo.af == AF_INET &&
		    ((b[0] & 0xf0) == 0xe0 || (b[0] & b[1] & b[2] & b[3]) == 0xff))
			return true;
		if (v[i].lo.af == AF_INET6 && b[0] == 0xff)
			return true;
	}
	return false;
}

static enum nft_verdict steer_verdict(enum spd_sf_act a, enum spd_dir dir)
{
	switch (a) {
	case SPD_SF_PERMIT:
		return NFT_ACCEPT;
	case SPD_SF_BLOCK:
		return NFT_DROP;
	case SPD_SF_NEGOTIATE_INPASS:
		return dir == SPD_DIR_IN ? NFT_INPASS : NFT_STEER;
	case SPD_SF_NEGOTIATE:
	case SPD_SF_NEGOTIATE_SOFT:
		break;
	}
	/* Soft inbound: plaintext only for a flow that already fell back, accepted by the
	 * connection mark of what the daemon sent in clear (nft.h); anything else fails
	 * closed. */
	return dir == SPD_DIR_IN ? NFT_REQUIRE : NFT_STEER;
}

/* Same rule but for the local address: both hosts, so the two merge into one set. */
static bool steer_mergeable(const struct nft_rule *a, const struct nft_rule *b)
{
	if (a->nlocal == 0 || a->nlocal >= NFT_SET_MAX || b->nlocal != 1 || a->nports ||
	    b->nports || !steer_is_host(&a->local[0]) || !steer_is_host(&b->local[0]))
		return false;
	return a->af == b->af && !memcmp(&a->remote, &b->remote, sizeof(a->remote)) &&
	       a->proto == b->proto && a->lport_lo == b->lport_lo && a->lport_hi == b->lport_hi &&
	       a->rport_lo == b->rport_lo && a->rport_hi == b->rport_hi &&
	       a->verdict == b->verdict && a->bm_guard == b->bm_guard &&
	       a->bm_clear == b->bm_clear && a->fwd == b->fwd && !strcmp(a->comment, b->comment);
}

/* Append r; consecutive rules that differ only in a local host address become one rule (the
 * first match is unchanged: they sit next to each other with the same verdict). */
static void steer_push(struct nft_rule *v, size_t *n, const struct nft_rule *r)
{
	struct nft_rule *last = *n ? &v[*n - 1] : NULL;

	if (last && steer_mergeable(last, r)) {
		for (size_t i = 0; i < last->nlocal; i++)
			if (ipaddr_eq(&last->local[i].lo, &r->local[0].lo))
				return;
		last->local[last->nlocal++] = r->local[0];
		return;
	}
	v[(*n)++] = *r;
}

/* Everything but the ports equal (and a protocol that has ports). */
static bool steer_same_but_ports(const struct nft_rule *a, const struct nft_rule *b)
{
	return a->af == b->af && a->nlocal == b->nlocal &&
	       !memcmp(a->local, b->local, a->nlocal * sizeof(a->local[0])) &&
	       !memcmp(&a->remote, &b->remote, sizeof(a->remote)) && a->proto == b->proto &&
	       a->proto != NFT_PROTO_ANY && a->verdict == b->verdict &&
	       a->bm_guard == b->bm_guard && a->bm_clear == b->bm_clear && a->fwd == b->fwd &&
	       !strcmp(a->comment, b->comment);
}

static bool steer_port_eq(const struct nft_rule *a, const struct nft_rule *b, bool local)
{
	return local ? a->lport_lo == b->lport_lo && a->lport_hi == b->lport_hi
		     : a->rport_lo == b->rport_lo && a->rport_hi == b->rport_hi;
}

static bool steer_port_single(const struct nft_rule *r, bool local)
{
	return local ? r->lport_lo == r->lport_hi : r->rport_lo == r->rport_hi;
}

/* b differs from a only in a single port of one side: that port joins a's set. */
static bool steer_port_merge(struct nft_rule *a, const struct nft_rule *b)
{
	bool local;
	uint16_t port;

	if (b->nports || !steer_same_but_ports(a, b))
		return false;
	if (a->nports)
		local = a->ports_local;
	else if (steer_port_eq(a, b, true) && steer_port_single(a, false))
		local = false;
	else if (steer_port_eq(a, b, false) && steer_port_single(a, true))
		local = true;
	else
		return false;
	if (!steer_port_eq(a, b, !local) || !steer_port_single(b, local) ||
	    a->nports == NFT_SET_MAX)
		return false;
	if (!a->nports) {
		a->ports[a->nports++] = local ? a->lport_lo : a->rport_lo;
		a->ports_local = local;
	}
	port = local ? b->lport_lo : b->rport_lo;
	for (size_t i = 0; i < a->nports; i++)
		if (a->ports[i] == port)
			return true;
	a->ports[a->nports++] = port;
	return true;
}

/* Neighbours with the same verdict that differ in one port become one rule with a set. */
static void steer_compact(struct nft_rule *v, size_t *n)
{
	size_t j = 0;

	for (size_t i = 0; i < *n; i++) {
		if (j && steer_port_merge(&v[j - 1], &v[i]))
			continue;
		v[j++] = v[i];
	}
	*n = j;
}

static void steer_from_sf(struct nft_ruleset *rs, const struct spd_sfilter *sf)
{
	bool out = sf->dir == SPD_DIR_OUT;
	const struct spd_action *a = sf->rule->action;
	struct nft_rule r;

	memset(&r, 0, sizeof(r));
	r.af = sf->af;
	steer_addr(&r.local[0], &sf->local);
	r.nlocal = r.local[0].lo.af ? 1 : 0;
	steer_addr(&r.remote, &sf->remote);
	r.proto = sf->proto;
	r.lport_lo = sf->lport_lo;
	r.lport_hi = sf->lport_hi;
	r.rport_lo = sf->rport_lo;
	r.rport_hi = sf->rport_hi;
	r.verdict = steer_verdict(out ? sf->out_act : sf->in_act, sf->dir);
	if (a->kind == SPD_ACT_NEGOTIATE && !(rs->exempt & NFT_EX_MULTICAST) &&
	    steer_bm_possible(out ? &r.remote : r.local, out ? 1 : r.nlocal)) {
		r.bm_guard = true;
		r.bm_clear = out ? a->soft : a->inpass;
	}
	/* A tunnel-mode rule's filter, as written (src -> dst), is the traffic that enters the
	 * tunnel: routed packets going that way are steered, and (when mirrored) routed
	 * packets coming back the other way must arrive protected. The other two directions
	 * would steer what comes back in clear, or drop what enters: local traffic only.
	 * Permit rules keep their first-match place in routed traffic too. */
	r.fwd = r.verdict == NFT_ACCEPT ||
		(sf->rule->mode == SPD_MODE_TUNNEL && sf->mirror == !out);
	snprintf(r.comment, sizeof(r.comment), "rule %s", sf->rule->name);
	if (out)
		steer_push(rs->out, &rs->nout, &r);
	else
		steer_push(rs->in, &rs->nin, &r);
}

static void steer_from_sel(struct nft_rule *r, const struct dp_sel *s, uint32_t spi)
{
	memset(r, 0, sizeof(*r));
	r->af = s->local.af;
	if (s->local_plen) {
		r->local[0] =
			(struct nft_addr){ .lo = s->local, .hi = s->local, .plen = s->local_plen };
		r->nlocal = 1;
	}
	if (s->remote_plen)
		r->remote = (struct nft_addr){ .lo = s->remote,
					       .hi = s->remote,
					       .plen = s->remote_plen };
	r->proto = s->proto ? s->proto : NFT_PROTO_ANY;
	r->lport_lo = s->lport;
	r->lport_hi = s->lport ? s->lport : 65535;
	r->rport_lo = s->rport;
	r->rport_hi = s->rport ? s->rport : 65535;
	snprintf(r->comment, sizeof(r->comment), "sa 0x%08" PRIx32, spi);
}

/* Outbound SAs steer their selectors; inbound `require` SAs require theirs (protocol and
 * ports) from any remote address (the service requires IPsec). */
static void steer_from_sa(struct nft_ruleset *rs, const struct dcfg_sa *cs)
{
	struct nft_rule r;

	for (size_t k = 0; k < cs->nsel; k++) {
		steer_from_sel(&r, &cs->sel[k], cs->p.spi);
		if (cs->p.dir == SA_DIR_OUT) {
			r.verdict = NFT_STEER;
			steer_push(rs->out, &rs->nout, &r);
		} else if (cs->require) {
			/* Any remote address, but the selector's protocol and both ports: a
			 * client's inbound SA for replies from port 80 requires only those, not
			 * all TCP to this host. */
			memset(&r.remote, 0, sizeof(r.remote));
			r.verdict = NFT_REQUIRE;
			steer_push(rs->in, &rs->nin, &r);
		}
	}
}

/* A local set of two or more addresses that is all of the host's addresses of its family
 * becomes the shared named set. */
static void steer_mark_me(struct nft_ruleset *rs, struct nft_rule *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct nft_rule *r = &v[i];
		size_t nme = 0, found = 0;

		for (size_t k = 0; k < rs->nme; k++)
			nme += rs->me[k].af == r->af;
		if (r->nlocal < 2 || r->nlocal != nme)
			continue;
		for (size_t j = 0; j < r->nlocal; j++)
			for (size_t k = 0; k < rs->nme; k++)
				found += steer_is_host(&r->local[j]) &&
					 ipaddr_eq(&r->local[j].lo, &rs->me[k]);
		r->local_me = found == nme;
	}
}

static void steer_locals(struct nft_ruleset *rs, const struct spd *s)
{
	for (size_t i = 0; s && i < s->nlocals && rs->nme < NFT_ME_MAX; i++) {
		bool dup = false;

		for (size_t k = 0; k < rs->nme; k++)
			dup |= ipaddr_eq(&rs->me[k], &s->locals[i].addr);
		if (!dup)
			rs->me[rs->nme++] = s->locals[i].addr;
	}
}

static void steer_exemptions(struct nft_ruleset *rs, const struct spd *s)
{
	unsigned ex;

	/* Without a policy nothing is decided by level: broadcast and multicast stay exempt. */
	if (!s) {
		rs->exempt = NFT_EX_BROADCAST | NFT_EX_MULTICAST;
		return;
	}
	ex = spd_exemptions(s);
	rs->exempt = (ex & SPD_EX_KERBEROS ? NFT_EX_KERBEROS : 0) |
		     (ex & SPD_EX_RSVP ? NFT_EX_RSVP : 0) |
		     (ex & SPD_EX_BROADCAST ? NFT_EX_BROADCAST : 0) |
		     (ex & SPD_EX_MULTICAST ? NFT_EX_MULTICAST : 0);
	for (size_t i = 0; i < s->nkdcs; i++) {
		if (rs->nkdc == NFT_KDC_MAX) {
			log_warn("steer: more than %u KDCs; the rest are not exempt", NFT_KDC_MAX);
			break;
		}
		rs->kdc[rs->nkdc++] = s->kdcs[i];
	}
}

int steer_build(const struct dcfg *c, const char *tun, struct nft_ruleset *rs)
{
	size_t nsf = c->spd ? spd_sfilter_count(c->spd) : 0;
	size_t cap = nsf + c->nsa * DCFG_SEL_MAX + 1;

	memset(rs, 0, sizeof(*rs));
	rs->tun = tun;
	rs->out = calloc(cap, sizeof(*rs->out));
	rs->in = calloc(cap, sizeof(*rs->in));
	if (!rs->out || !rs->in) {
		steer_free(rs);
		return -ENOMEM;
	}
	steer_exemptions(rs, c->spd);
	for (size_t i = 0; i < nsf; i++)
		steer_from_sf(rs, spd_sfilter_get(c->spd, i));
	for (size_t i = 0; i < c->nsa; i++)
		steer_from_sa(rs, &c->sa[i]);
	steer_compact(rs->out, &rs->nout);
	steer_compact(rs->in, &rs->nin);
	steer_locals(rs, c->spd);
	steer_mark_me(rs, rs->out, rs->nout);
	steer_mark_me(rs, rs->in, rs->nin);
	return 0;
}

/* The sysctl's value, or -1 when it cannot be read. */
static int steer_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Is a one of this host's own addresses? A tunnel from there routes nothing. */
static bool steer_local_host(const struct dcfg *c, const struct spd_addr *a)
{
	struct nft_addr n;

	steer_addr(&n, a);
	if (!steer_is_host(&n))
		return false;
	for (size_t i = 0; i < c->nlocals; i++)
		if (ipaddr_eq(&c->locals[i].addr, &n.lo))
			return true;
	return false;
}

void steer_check_forwarding(const struct dcfg *c)
{
	static const char *const path[2] = { "/proc/sys/net/ipv4/ip_forward",
					     "/proc/sys/net/ipv6/conf/all/forwarding" };
	bool fam[2] = { false, false };
	size_t nsf = c->spd ? spd_sfilter_count(c->spd) : 0;

	for (size_t i = 0; i < nsf; i++) {
		const struct spd_sfilter *sf = spd_sfilter_get(c->spd, i);

		if (sf->rule->mode == SPD_MODE_TUNNEL &&
		    sf->rule->action->kind == SPD_ACT_NEGOTIATE && sf->dir == SPD_DIR_OUT &&
		    !sf->mirror && !steer_local_host(c, &sf->local))
			fam[sf->af == AF_INET6] = true;
	}
	/* Forwarding is the administrator's choice: espritd never changes a sysctl. */
	for (unsigned k = 0; k < 2; k++)
		if (fam[k] && steer_sysctl(path[k]) == 0)
			log_warn("steer: a tunnel rule exists but %s is 0: this host will not "
				 "route traffic between its tunnels and the networks behind it",
				 path[k]);
}

void steer_free(struct nft_ruleset *rs)
{
	free(rs->out);
	free(rs->in);
	rs->out = rs->in = NULL;
	rs->nout = rs->nin = 0;
}
