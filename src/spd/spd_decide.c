/* Per-packet decisions: default exemptions, then the most specific filter of the active
 * policy; the responder's view (default response rule); one-line explanations. */
#include "spd/spd_int.h"

#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PROTO_TCP  6
#define PROTO_UDP  17
#define PROTO_RSVP 46
#define PORT_IKE   500
#define PORT_NATT  4500
#define PORT_KRB   88

unsigned spd_exemptions(const struct spd *s)
{
	static const unsigned by_level[4] = {
		SPD_EX_IKE | SPD_EX_KERBEROS | SPD_EX_RSVP | SPD_EX_MULTICAST | SPD_EX_BROADCAST,
		SPD_EX_IKE | SPD_EX_MULTICAST | SPD_EX_BROADCAST,
		SPD_EX_IKE | SPD_EX_KERBEROS | SPD_EX_RSVP,
		SPD_EX_IKE,
	};
	int l = s->no_default_exempt;

	return by_level[l >= 0 && l <= 3 ? l : SPD_LEVEL_DEFAULT];
}

const char *spd_exempt_str(enum spd_exempt e)
{
	switch (e) {
	case SPD_EX_IKE:
		return "ike (udp 500/4500)";
	case SPD_EX_KERBEROS:
		return "kerberos (tcp/udp 88 of KDCs)";
	case SPD_EX_RSVP:
		return "rsvp (protocol 46)";
	case SPD_EX_MULTICAST:
		return "multicast";
	case SPD_EX_BROADCAST:
		return "broadcast";
	}
	return "?";
}

/* RFC 7296 2.23: IKE runs on UDP 500 and, behind NAT, 4500. Only our own end's port counts:
 * a peer choosing source port 500 must not open every local port. */
static bool is_ike(const struct spd_pkt *p)
{
	return p->proto == PROTO_UDP && (p->lport == PORT_IKE || p->lport == PORT_NATT);
}

static bool is_kdc(const struct spd *s, const struct ipaddr *ip)
{
	size_t i;

	for (i = 0; i < s->nkdcs; i++)
		if (ipaddr_eq(&s->kdcs[i], ip))
			return true;
	return false;
}

/* Kerberos: the KDC end of the conversation (remote, or we are the KDC) uses port 88. */
static bool is_kerberos(const struct spd *s, const struct spd_pkt *p)
{
	if (p->proto != PROTO_TCP && p->proto != PROTO_UDP)
		return false;
	return (p->rport == PORT_KRB && is_kdc(s, &p->remote)) ||
	       (p->lport == PORT_KRB && is_kdc(s, &p->local));
}

static bool is_multicast(const struct ipaddr *ip)
{
	if (ip->af == AF_INET)
		return (ip->b[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
	return ip->b[0] == 0xff;		  /* ff00::/8 */
}

/* All host bits (after plen) of an IPv4 address set? */
static bool host_bits_set(const struct ipaddr *ip, unsigned plen)
{
	unsigned k;

	for (k = plen; k < 32; k++)
		if (!(ip->b[k / 8] & (0x80u >> (k % 8))))
			return false;
	return true;
}

/* Limited broadcast, or the directed broadcast of a local IPv4 prefix. */
static bool is_broadcast(const struct spd *s, const struct ipaddr *ip)
{
	struct ipaddr a, b;
	size_t i;

	if (ip->af != AF_INET)
		return false;
	if (host_bits_set(ip, 0))
		return true;
	for (i = 0; i < s->nlocals; i++) {
		const struct spd_local *l = &s->locals[i];

		/* /31 and /32 have no broadcast address (RFC 3021). */
		if (l->addr.af != AF_INET || !l->plen || l->plen >= 31)
			continue;
		spd_ip_mask(&a, &l->addr, l->plen);
		spd_ip_mask(&b, ip, l->plen);
		if (ipaddr_eq(&a, &b) && host_bits_set(ip, l->plen))
			return true;
	}
	return false;
}

static void verdict(struct spd_decision *d, enum spd_verdict v, enum spd_why w)
{
	d->verdict = v;
	d->why = w;
}

/* Filter action -> verdict, including what the data path needs for PROTECT. */
static void apply_action(struct spd_decision *d, const struct spd_pkt *p, bool bm)
{
	const struct spd_action *a = d->action;

	switch (a->kind) {
	case SPD_ACT_PERMIT:
		verdict(d, SPD_PERMIT, SPD_WHY_FILTER);
		return;
	case SPD_ACT_BLOCK:
		verdict(d, SPD_BLOCK, SPD_WHY_FILTER);
		return;
	case SPD_ACT_NEGOTIATE:
		break;
	}
	if (bm) {
		/* IPsec cannot protect broadcast or multicast: clear only where this action
		 * would accept clear traffic in this direction anyway. */
		bool clear = p->dir == SPD_DIR_OUT ? a->soft : a->inpass;

		verdict(d, clear ? SPD_PERMIT : SPD_BLOCK, SPD_WHY_BCAST_NO_NEGOTIATE);
		return;
	}
	verdict(d, SPD_PROTECT, SPD_WHY_FILTER);
	d->initiate = p->dir == SPD_DIR_OUT;
	d->accept_clear_in = a->inpass;
	d->fallback_clear_out = a->soft;
	d->fallback_ms = a->soft ? a->soft_ms : 0;
}

typedef const struct spd_sfilter *(*lookup_fn)(const struct spd *s, const struct spd_pkt *p);

static const struct spd_sfilter *lookup_linear(const struct spd *s, const struct spd_pkt *p)
{
	size_t i;

	/* sfilters are in evaluation order: the first match is the winner. */
	for (i = 0; i < s->nsfilters; i++)
		if (spd_sf_match(&s->sfilters[i], p))
			return &s->sfilters[i];
	return NULL;
}

/* Exemptions that apply before any filter; true if one decided. */
static bool exempt(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d, bool bm,
		   bool bcast)
{
	unsigned ex = spd_exemptions(s);

	if (is_ike(p)) {
		verdict(d, SPD_EXEMPT, SPD_WHY_IKE);
	} else if (spd_is_local(s, &p->remote)) {
		verdict(d, SPD_PERMIT, SPD_WHY_SELF);
	} else if ((ex & SPD_EX_KERBEROS) && is_kerberos(s, p)) {
		verdict(d, SPD_EXEMPT, SPD_WHY_KERBEROS);
	} else if ((ex & SPD_EX_RSVP) && p->proto == PROTO_RSVP) {
		verdict(d, SPD_EXEMPT, SPD_WHY_RSVP);
	} else if (bm && (ex & SPD_EX_BROADCAST) && bcast) {
		verdict(d, SPD_EXEMPT, SPD_WHY_BROADCAST);
	} else if (bm && (ex & SPD_EX_MULTICAST) && !bcast) {
		verdict(d, SPD_EXEMPT, SPD_WHY_MULTICAST);
	} else {
		return false;
	}
	return true;
}

static int decide(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d,
		  lookup_fn lookup)
{
	const struct ipaddr *dst;
	bool bcast, bm;

	memset(d, 0, sizeof(*d));
	if ((p->local.af != AF_INET && p->local.af != AF_INET6) || p->local.af != p->remote.af)
		return -EINVAL;
	if (!s->compiled)
		return -ESTALE;
	d->policy = s->active;
	dst = p->dir == SPD_DIR_OUT ? &p->remote : &p->local;
	bcast = is_broadcast(s, dst);
	bm = bcast || is_multicast(dst);
	if (exempt(s, p, d, bm, bcast))
		return 0;
	if (!s->active) {
		verdict(d, SPD_PERMIT, SPD_WHY_NO_POLICY);
		return 0;
	}
	d->sf = lookup(s, p);
	if (!d->sf) {
		verdict(d, SPD_PERMIT, SPD_WHY_NO_MATCH);
		return 0;
	}
	d->rule = d->sf->rule;
	d->action = d->rule->action;
	apply_action(d, p, bm);
	return 0;
}

int spd_decide(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d)
{
	return decide(s, p, d, spd_index_lookup);
}

int spd_decide_linear(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d)
{
	return decide(s, p, d, lookup_linear);
}

int spd_respond(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d)
{
	int rc = spd_decide(s, p, d);

	if (rc || d->verdict == SPD_PROTECT)
		return rc;
	if (d->why == SPD_WHY_NO_MATCH && d->policy && d->policy->dr.active &&
	    d->policy->dr.action) {
		/* Windows' default response rule: secure whatever the initiator asked for,
		 * with the policy's methods; it never starts a negotiation itself. */
		d->rule = &d->policy->dr;
		d->action = d->rule->action;
		verdict(d, SPD_PROTECT, SPD_WHY_NO_MATCH);
		d->accept_clear_in = true;
		return 0;
	}
	/* Exempt, self, permit/block filters, broadcast: nothing to negotiate, refuse. */
	d->verdict = SPD_BLOCK;
	d->initiate = d->accept_clear_in = d->fallback_clear_out = false;
	d->fallback_ms = 0;
	return 0;
}

/* ---- text ---- */

const char *spd_verdict_str(enum spd_verdict v)
{
	static const char *const s[] = { "exempt", "permit", "block", "protect" };

	return (unsigned)v < 4 ? s[v] : "?";
}

const char *spd_why_str(enum spd_why w)
{
	switch (w) {
	case SPD_WHY_IKE:
		return "IKE (UDP local port 500/4500) is always exempt, never negotiated";
	case SPD_WHY_KERBEROS:
		return "Kerberos to/from port 88 of a configured KDC is exempt (no-default-exempt "
		       "0/2)";
	case SPD_WHY_RSVP:
		return "RSVP (protocol 46) is exempt (no-default-exempt 0/2)";
	case SPD_WHY_BROADCAST:
		return "broadcast is exempt and never negotiated (no-default-exempt 0/1)";
	case SPD_WHY_MULTICAST:
		return "multicast is exempt and never negotiated (no-default-exempt 0/1)";
	case SPD_WHY_FILTER:
		return "most specific matching filter";
	case SPD_WHY_BCAST_NO_NEGOTIATE:
		return "broadcast/multicast is never negotiated";
	case SPD_WHY_NO_MATCH:
		return "no filter matches; sent in clear";
	case SPD_WHY_NO_POLICY:
		return "no policy assigned; everything in clear";
	case SPD_WHY_SELF:
		return "destination is one of our own addresses";
	}
	return "?";
}

const char *spd_sf_act_str(enum spd_sf_act a)
{
	switch (a) {
	case SPD_SF_PERMIT:
		return "permit";
	case SPD_SF_BLOCK:
		return "block";
	case SPD_SF_NEGOTIATE:
		return "negotiate";
	case SPD_SF_NEGOTIATE_INPASS:
		return "negotiate (accept clear)";
	case SPD_SF_NEGOTIATE_SOFT:
		return "negotiate (fall back to clear)";
	}
	return "?";
}

const char *spd_dir_str(enum spd_dir d)
{
	return d == SPD_DIR_OUT ? "out" : "in";
}

static size_t ports_fmt(char *buf, size_t len, const char *what, uint16_t lo, uint16_t hi)
{
	int n;

	if (lo == 0 && hi == 65535)
		return 0;
	if (lo == hi)
		n = snprintf(buf, len, " %s %u", what, lo);
	else
		n = snprintf(buf, len, " %s %u-%u", what, lo, hi);
	return n < 0 ? 0 : MIN((size_t)n, len ? len - 1 : 0);
}

const char *spd_sfilter_fmt(const struct spd_sfilter *sf, char *buf, size_t len)
{
	char l[100], r[100], pr[8], pt[64];
	bool out = sf->dir == SPD_DIR_OUT;
	size_t n = 0;

	pt[0] = 0;
	/* Shown as packets travel: source first, then destination. */
	n += ports_fmt(pt + n, sizeof(pt) - n, "sport", out ? sf->lport_lo : sf->rport_lo,
		       out ? sf->lport_hi : sf->rport_hi);
	ports_fmt(pt + n, sizeof(pt) - n, "dport", out ? sf->rport_lo : sf->lport_lo,
		  out ? sf->rport_hi : sf->lport_hi);
	spd_addr_fmt(out ? &sf->local : &sf->remote, l, sizeof(l));
	spd_addr_fmt(out ? &sf->remote : &sf->local, r, sizeof(r));
	snprintf(buf, len, "%s %s -> %s %s%s rule '%s' in=%s out=%s weight 0x%x #%u",
		 spd_dir_str(sf->dir), l, r, spd_proto_fmt(sf->proto, pr), pt, sf->rule->name,
		 spd_sf_act_str(sf->in_act), spd_sf_act_str(sf->out_act), sf->weight, sf->order);
	return buf;
}

static void filter_fmt(const struct spd_filter *f, char *buf, size_t len)
{
	char a[100], b[100], pr[8], pt[64];
	size_t n;

	pt[0] = 0;
	n = ports_fmt(pt, sizeof(pt), "sport", f->sport_lo, f->sport_hi);
	ports_fmt(pt + n, sizeof(pt) - n, "dport", f->dport_lo, f->dport_hi);
	snprintf(buf, len, "%s -> %s %s%s%s", spd_addr_fmt(&f->src, a, sizeof(a)),
		 spd_addr_fmt(&f->dst, b, sizeof(b)), spd_proto_fmt(f->proto, pr), pt,
		 f->mirrored ? " mirrored" : "");
}

/* What the data path does with clear traffic under a PROTECT decision. */
static void protect_fmt(const struct spd_decision *d, char *buf, size_t len)
{
	char m[128], more[32] = "";
	const struct spd_action *a = d->action;

	if (a->nmethods)
		spd_method_fmt(&a->methods[0], m, sizeof(m));
	else
		snprintf(m, sizeof(m), "none");
	if (a->nmethods > 1)
		snprintf(more, sizeof(more), " (+%zu more)", a->nmethods - 1);
	snprintf(buf, len, "; methods: %s%s; inbound clear %s; %s", m, more,
		 d->accept_clear_in ? "accepted (inpass)" : "refused",
		 d->rule->is_default_response ? "responds only, never initiates"
		 : d->fallback_clear_out      ? "falls back to clear if the peer is silent (soft)"
					      : "never sent in clear");
}

const char *spd_decision_fmt(const struct spd_decision *d, char *buf, size_t len)
{
	char f[300], tail[300];
	const struct spd_rule *r = d->rule;

	if (!r) {
		snprintf(buf, len, "%s: %s%s%s%s", spd_verdict_str(d->verdict), spd_why_str(d->why),
			 d->why == SPD_WHY_NO_MATCH && d->policy ? " (policy '" : "",
			 d->why == SPD_WHY_NO_MATCH && d->policy ? d->policy->name : "",
			 d->why == SPD_WHY_NO_MATCH && d->policy ? "')" : "");
		return buf;
	}
	tail[0] = 0;
	if (d->verdict == SPD_PROTECT)
		protect_fmt(d, tail, sizeof(tail));
	if (r->is_default_response) {
		snprintf(buf, len,
			 "%s: default response rule of policy '%s' answers the peer's "
			 "IKE request, action '%s'%s",
			 spd_verdict_str(d->verdict), r->policy->name, d->action->name, tail);
		return buf;
	}
	filter_fmt(d->sf->filter, f, sizeof(f));
	snprintf(buf, len,
		 "%s: rule '%s' of policy '%s', filter #%zu of '%s' (%s), weight 0x%x, "
		 "action '%s'%s%s",
		 spd_verdict_str(d->verdict), r->name, r->policy->name, d->sf->filter_index + 1,
		 r->flist->name, f, d->sf->weight, d->action->name,
		 d->why == SPD_WHY_BCAST_NO_NEGOTIATE ? "; broadcast/multicast is never negotiated"
						      : "",
		 tail);
	return buf;
}
