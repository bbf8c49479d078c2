/* IKEv2 traffic selectors: from policy, intersection, narrowing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ike/ts.h"
#include "lib/util.h"

static uint8_t type_af(uint8_t type)
{
	return type == IKEV2_TS_IPV4_ADDR_RANGE	  ? AF_INET
	       : type == IKEV2_TS_IPV6_ADDR_RANGE ? AF_INET6
						  : 0;
}

static uint8_t af_type(uint8_t af)
{
	return af == AF_INET6 ? IKEV2_TS_IPV6_ADDR_RANGE : IKEV2_TS_IPV4_ADDR_RANGE;
}

/* Addresses of one family compare as big-endian numbers. */
static int addr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	return memcmp(a->b, b->b, ipaddr_len(a));
}

bool ts_is_opaque(const struct ts *t)
{
	return t->start_port == TS_PORT_OPAQUE_LO && t->end_port == TS_PORT_OPAQUE_HI;
}

bool ts_valid(const struct ts *t)
{
	uint8_t af = type_af(t->type);

	return af && t->start.af == af && t->end.af == af && addr_cmp(&t->start, &t->end) <= 0 &&
	       (t->start_port <= t->end_port || ts_is_opaque(t));
}

void ts_any(struct ts *t, uint8_t af)
{
	memset(t, 0, sizeof(*t));
	t->type = af_type(af);
	t->start.af = t->end.af = af == AF_INET6 ? AF_INET6 : AF_INET;
	memset(t->end.b, 0xff, ipaddr_len(&t->end));
	t->end_port = 65535;
}

void ts_host(struct ts *t, const struct ipaddr *a, uint8_t proto, uint16_t lo, uint16_t hi)
{
	memset(t, 0, sizeof(*t));
	t->type = af_type(a->af);
	t->start = t->end = *a;
	t->proto = proto;
	t->start_port = lo;
	t->end_port = hi;
}

/* RFC 7296 3.13.1: ANY (0..65535) includes OPAQUE (65535..0); OPAQUE meets nothing else. */
static bool ports_intersect(const struct ts *a, const struct ts *b, uint16_t *lo, uint16_t *hi)
{
	bool oa = ts_is_opaque(a), ob = ts_is_opaque(b);

	if (oa || ob) {
		const struct ts *other = oa ? b : a;

		*lo = TS_PORT_OPAQUE_LO, *hi = TS_PORT_OPAQUE_HI;
		return ts_is_opaque(other) || (other->start_port == 0 && other->end_port == 65535);
	}
	*lo = MAX(a->start_port, b->start_port);
	*hi = MIN(a->end_port, b->end_port);
	return *lo <= *hi;
}

bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out)
{
	struct ts r;

	if (a->type != b->type || !type_af(a->type))
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	r.type = a->type;
	r.proto = a->proto ? a->proto : b->proto;
	r.start = addr_cmp(&a->start, &b->start) >= 0 ? a->start : b->start;
	r.end = addr_cmp(&a->end, &b->end) <= 0 ? a->end : b->end;
	if (addr_cmp(&r.start, &r.end) > 0)
		return false;
	if (!ports_intersect(a, b, &r.start_port, &r.end_port))
		return false;
	*out = r;
	return true;
}

bool ts_contains(const struct ts *outer, const struct ts *inner)
{
	struct ts x;

	/* inner is inside outer iff inner ^ outer == inner */
	return ts_intersect(outer, inner, &x) && x.proto == inner->proto &&
	       x.start_port == inner->start_port && x.end_port == inner->end_port &&
	       ipaddr_eq(&x.start, &inner->start) && ipaddr_eq(&x.end, &inner->end);
}

/* ---- from policy ---- */

/* spd_addr of a specific filter (never `me`) as a range of family af. */
static void addr_range(const struct spd_addr *a, uint8_t af, struct ts *t)
{
	if (a->kind == SPD_ADDR_PREFIX || a->kind == SPD_ADDR_RANGE) {
		t->start = a->lo;
		t->end = a->hi;
		return;
	}
	memset(&t->start, 0, sizeof(t->start));
	t->start.af = t->end.af = af;
	memset(t->end.b, 0, sizeof(t->end.b));
	memset(t->end.b, 0xff, ipaddr_len(&t->end));
}

static int clamp_host(struct ts *t, const struct ipaddr *host)
{
	struct ts h;

	ts_host(&h, host, t->proto, t->start_port, t->end_port);
	return ts_intersect(t, &h, t) ? 0 : -ENOENT;
}

int ts_from_sfilter(const struct spd_sfilter *sf, enum spd_mode mode,
		    const struct ipaddr *local_host, const struct ipaddr *remote_host,
		    struct ts_pair *out)
{
	uint8_t proto = sf->proto == SPD_PROTO_ANY ? 0 : (uint8_t)sf->proto;
	int rc = 0;

	if (mode == SPD_MODE_TRANSPORT && (!local_host || !remote_host))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->local.type = out->remote.type = af_type(sf->af);
	out->local.proto = out->remote.proto = proto;
	addr_range(&sf->local, sf->af, &out->local);
	addr_range(&sf->remote, sf->af, &out->remote);
	out->local.start_port = sf->lport_lo, out->local.end_port = sf->lport_hi;
	out->remote.start_port = sf->rport_lo, out->remote.end_port = sf->rport_hi;
	if (!ts_valid(&out->local) || !ts_valid(&out->remote))
		return -EINVAL;
	if (mode == SPD_MODE_TRANSPORT) {
		/* RFC 7296 2.9 / RFC 4301 4.4.1.1: transport mode protects the hosts' own
		 * traffic, so the selectors are their addresses. */
		rc = clamp_host(&out->local, local_host);
		if (!rc)
			rc = clamp_host(&out->remote, remote_host);
	}
	return rc;
}

static bool pair_eq(const struct ts_pair *a, const struct ts_pair *b)
{
	return ts_contains(&a->local, &b->local) && ts_contains(&b->local, &a->local) &&
	       ts_contains(&a->remote, &b->remote) && ts_contains(&b->remote, &a->remote);
}

static int policy_push(struct ts_policy *out, const struct ts_pair *p)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (pair_eq(&out->pair[i], p))
			return 0;
	if (out->n >= TS_POLICY_MAX)
		return -ENOSPC;
	out->pair[out->n++] = *p;
	return 0;
}

/* The default response rule secures whatever the initiator asks for (spd_respond). */
static int from_default_response(const struct spd_rule *r, const struct ipaddr *lh,
				 const struct ipaddr *rh, struct ts_policy *out)
{
	static const uint8_t afs[] = { AF_INET, AF_INET6 };
	struct ts_pair p;
	size_t i;
	int rc = 0;

	if (r->mode == SPD_MODE_TRANSPORT) {
		if (!lh || !rh || lh->af != rh->af)
			return -EINVAL;
		ts_host(&p.local, lh, 0, 0, 65535);
		ts_host(&p.remote, rh, 0, 0, 65535);
		return policy_push(out, &p);
	}
	for (i = 0; !rc && i < ARRAY_SIZE(afs); i++) {
		ts_any(&p.local, afs[i]);
		ts_any(&p.remote, afs[i]);
		rc = policy_push(out, &p);
	}
	return rc;
}

int ts_from_rule(const struct spd *s, const struct spd_rule *r, const struct ipaddr *local_host,
		 const struct ipaddr *remote_host, struct ts_policy *out)
{
	size_t i, n;
	int rc;

	if (!s || !r || !out)
		return -EINVAL;
	if (!s->compiled)
		return -ESTALE;
	out->n = 0;
	if (!r->flist) {
		rc = from_default_response(r, local_host, remote_host, out);
		return rc ? rc : out->n ? 0 : -ENOENT;
	}
	n = spd_sfilter_count(s);
	for (i = 0; i < n; i++) {
		const struct spd_sfilter *sf = spd_sfilter_get(s, i);
		struct ts_pair p;

		if (sf->rule != r)
			continue;
		/* transport: only filters of the hosts' family */
		if (r->mode == SPD_MODE_TRANSPORT && local_host && sf->af != local_host->af)
			continue;
		rc = ts_from_sfilter(sf, r->mode, local_host, remote_host, &p);
		if (rc == -ENOENT)
			continue;
		if (!rc)
			rc = policy_push(out, &p);
		if (rc)
			return rc;
	}
	return out->n ? 0 : -ENOENT;
}

/* ---- initiator ---- */

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17;
}

int ts_offer(const struct ts_pair *pol, const struct spd_pkt *pkt, struct ts_list *tsi,
	     struct ts_list *tsr)
{
	tsi->n = tsr->n = 0;
	if (pkt) {
		struct ts *i = &tsi->ts[tsi->n++], *r = &tsr->ts[tsr->n++];
		bool ports = has_ports(pkt->proto);

		ts_host(i, &pkt->local, pkt->proto, ports ? pkt->lport : 0,
			ports ? pkt->lport : 65535);
		ts_host(r, &pkt->remote, pkt->proto, ports ? pkt->rport : 0,
			ports ? pkt->rport : 65535);
		if (!ts_contains(&pol->local, i) || !ts_contains(&pol->remote, r))
			return -EINVAL;
	}
	tsi->ts[tsi->n++] = pol->local;
	tsr->ts[tsr->n++] = pol->remote;
	return 0;
}

/* ---- responder ---- */

static bool list_valid(const struct ts_list *l)
{
	size_t i;

	if (!l || !l->n || l->n > TS_MAX)
		return false;
	for (i = 0; i < l->n; i++)
		if (!ts_valid(&l->ts[i]))
			return false;
	return true;
}

/* l ^ sel into out: empty results dropped, results inside another one dropped. */
static void narrow_list(const struct ts_list *l, const struct ts *sel, struct ts_list *out)
{
	struct ts x;
	size_t i, j, k;

	out->n = 0;
	for (i = 0; i < l->n; i++) {
		if (!ts_intersect(&l->ts[i], sel, &x))
			continue;
		for (j = 0; j < out->n && !ts_contains(&out->ts[j], &x); j++)
			;
		if (j < out->n)
			continue; /* already covered */
		/* drop earlier results that x covers */
		for (j = k = 0; j < out->n; j++)
			if (!ts_contains(&x, &out->ts[j]))
				out->ts[k++] = out->ts[j];
		out->n = k;
		out->ts[out->n++] = x;
	}
}

/* Some TSi and some TSr can carry the same packets: their protocols agree. */
static bool protos_meet(const struct ts_list *a, const struct ts_list *b)
{
	size_t i, j;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (!a->ts[i].proto || !b->ts[j].proto || a->ts[i].proto == b->ts[j].proto)
				return true;
	return false;
}

static bool pair_narrow(const struct ts_pair *p, const struct ts_list *tsi,
			const struct ts_list *tsr, struct ts_list *oi, struct ts_list *orr)
{
	narrow_list(tsi, &p->remote, oi);
	narrow_list(tsr, &p->local, orr);
	return oi->n && orr->n && protos_meet(oi, orr);
}

int ts_narrow(const struct ts_policy *pol, const struct ts_list *tsi, const struct ts_list *tsr,
	      struct ts_list *out_i, struct ts_list *out_r, bool *more)
{
	struct ts_list ti, tr;
	size_t k, overlaps = 0;
	bool chosen = false;

	if (!pol || !list_valid(tsi) || !list_valid(tsr) || !out_i || !out_r)
		return -EINVAL;
	/* RFC 7296 2.9: if the policy accepts the first selectors, the narrowed set must
	 * include them. */
	for (k = 0; k < pol->n && !chosen; k++)
		if (ts_contains(&pol->pair[k].remote, &tsi->ts[0]) &&
		    ts_contains(&pol->pair[k].local, &tsr->ts[0]) &&
		    pair_narrow(&pol->pair[k], tsi, tsr, out_i, out_r))
			chosen = true;
	for (k = 0; k < pol->n; k++) {
		if (!pair_narrow(&pol->pair[k], tsi, tsr, &ti, &tr))
			continue;
		overlaps++;
		if (!chosen) {
			*out_i = ti;
			*out_r = tr;
			chosen = true;
		}
	}
	if (more)
		*more = overlaps > 1;
	return chosen ? 0 : TS_UNACCEPTABLE_ERR;
}

static bool inside_any(const struct ts *t, const struct ts_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (ts_contains(&l->ts[i], t))
			return true;
	return false;
}

int ts_check_reply(const struct ts_list *off_i, const struct ts_list *off_r,
		   const struct ts_list *rep_i, const struct ts_list *rep_r)
{
	size_t i;

	if (!list_valid(rep_i) || !list_valid(rep_r))
		return -EBADMSG;
	for (i = 0; i < rep_i->n; i++)
		if (!inside_any(&rep_i->ts[i], off_i))
			return -EBADMSG;
	for (i = 0; i < rep_r->n; i++)
		if (!inside_any(&rep_r->ts[i], off_r))
			return -EBADMSG;
	return 0;
}

int ts_to_pkt(const struct ts *tsi0, const struct ts *tsr0, struct spd_pkt *pkt)
{
	if (!ts_valid(tsi0) || !ts_valid(tsr0) || tsi0->type != tsr0->type)
		return -EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	pkt->dir = SPD_DIR_IN;
	pkt->remote = tsi0->start;
	pkt->local = tsr0->start;
	pkt->proto = tsi0->proto ? tsi0->proto : tsr0->proto;
	if (!ts_is_opaque(tsi0))
		pkt->rport = tsi0->start_port;
	if (!ts_is_opaque(tsr0))
		pkt->lport = tsr0->start_port;
	return 0;
}

int ts_from_wire(const struct ikev2_ts_list *w, struct ts_list *out)
{
	size_t i;

	out->n = 0;
	for (i = 0; i < w->nts && i < IKEV2_MAX_TS; i++) {
		const struct ikev2_ts *x = &w->ts[i];
		struct ts *t = &out->ts[out->n];
		uint8_t af = type_af(x->type);

		if (!af)
			continue;
		if (!x->start || !x->end)
			return -EINVAL;
		memset(t, 0, sizeof(*t));
		t->type = x->type;
		t->proto = x->ip_proto;
		t->start_port = x->start_port;
		t->end_port = x->end_port;
		t->start.af = t->end.af = af;
		memcpy(t->start.b, x->start, ipaddr_len(&t->start));
		memcpy(t->end.b, x->end, ipaddr_len(&t->end));
		if (!ts_valid(t))
			return -EINVAL;
		out->n++;
	}
	return 0;
}

void ts_to_wire(const struct ts_list *l, struct ikev2_ts_list *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < l->n && i < IKEV2_MAX_TS; i++) {
		w->ts[i].type = l->ts[i].type;
		w->ts[i].ip_proto = l->ts[i].proto;
		w->ts[i].start_port = l->ts[i].start_port;
		w->ts[i].end_port = l->ts[i].end_port;
		w->ts[i].start = l->ts[i].start.b;
		w->ts[i].end = l->ts[i].end.b;
	}
	w->nts = (uint8_t)i;
}

const char *ts_fmt(const struct ts *t, char *buf, size_t len)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN], p[8], ports[16] = "";

	if (t->start_port == 0 && t->end_port == 65535)
		ports[0] = '\0';
	else if (ts_is_opaque(t))
		snprintf(ports, sizeof(ports), " opaque");
	else if (t->start_port == t->end_port)
		snprintf(ports, sizeof(ports), " %u", t->start_port);
	else
		snprintf(ports, sizeof(ports), " %u-%u", t->start_port, t->end_port);
	ipaddr_fmt(&t->start, a);
	ipaddr_fmt(&t->end, b);
	if (ipaddr_eq(&t->start, &t->end))
		snprintf(buf, len, "%s %s%s", a,
			 spd_proto_fmt(t->proto ? t->proto : SPD_PROTO_ANY, p), ports);
	else
		snprintf(buf, len, "%s-%s %s%s", a, b,
			 spd_proto_fmt(t->proto ? t->proto : SPD_PROTO_ANY, p), ports);
	return buf;
}
