/* Compilation: expand the active policy into specific filters (one direction, one family,
 * `me` replaced by each local address), weigh and order them, and index them so a lookup
 * costs a few hash probes instead of a scan.
 *
 * Index: every specific filter is filed under the shortest prefixes that cover its local and
 * its remote address (a prefix is its own cover, a range the common prefix of its ends, any
 * is /0). Filters sharing (direction, family, local cover length, remote cover length, whether
 * the remote port is a single port) form a group; inside a group a hash table maps (masked
 * local, masked remote, the remote port if single) to the filters of that cell in evaluation
 * order, so many service filters towards the same peers do not pile up in one cell. A lookup
 * walks the groups of the packet's direction and family, probes one cell per group and scans
 * that cell until its first full match. Each group records the highest address specificity
 * of its filters and groups are walked from the highest down, so once a match is more
 * specific than that bound the walk stops. Cost: one probe per group (distinct prefix-length
 * pair), not one test per filter.
 */
#include "spd/spd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct spd_group {
	uint64_t lmask[2], rmask[2]; /* the cover lengths as masks over the 16 address bytes */
	uint32_t id;
	uint16_t bound; /* highest address specificity of the group's filters */
	uint8_t lplen, rplen;
	uint8_t dir, af6;
	uint8_t rport_exact; /* members have one remote port: it is part of the cell key */
};

struct spd_cell {
	uint32_t group;
	uint32_t start, end; /* into members[] */
	struct ipaddr l, r;  /* masked to the group's lengths */
	uint16_t port;	     /* the remote port in rport_exact groups, else 0 */
};

struct spd_index {
	struct spd_group *groups; /* sorted by dir, family, bound desc */
	size_t ngroups;
	size_t gfirst[2][2], gcount[2][2]; /* [dir][is IPv6] */
	struct spd_cell *cells;
	size_t ncells;
	uint32_t *slots; /* open addressing: cell index + 1, 0 = empty */
	size_t mask;
	uint32_t *members; /* specific filter orders, ascending within a cell */
};

/* ---- expansion ---- */

static int port_spec(uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		return 2;
	return lo == 0 && hi == 65535 ? 0 : 1;
}

static uint32_t sf_weight(const struct spd_sfilter *sf)
{
	unsigned bits = spd_af_bits(sf->af);
	uint32_t addr = (bits - spd_addr_hostbits(&sf->local, sf->af)) +
			(bits - spd_addr_hostbits(&sf->remote, sf->af));
	uint32_t proto = sf->proto != SPD_PROTO_ANY;
	uint32_t ports = (uint32_t)(port_spec(sf->lport_lo, sf->lport_hi) +
				    port_spec(sf->rport_lo, sf->rport_hi));

	return addr << 8 | proto << 4 | ports;
}

static void sf_acts(struct spd_sfilter *sf, const struct spd_action *a)
{
	switch (a->kind) {
	case SPD_ACT_PERMIT:
		sf->in_act = sf->out_act = SPD_SF_PERMIT;
		break;
	case SPD_ACT_BLOCK:
		sf->in_act = sf->out_act = SPD_SF_BLOCK;
		break;
	case SPD_ACT_NEGOTIATE:
		sf->in_act = a->inpass ? SPD_SF_NEGOTIATE_INPASS
				       : (a->soft ? SPD_SF_NEGOTIATE_SOFT : SPD_SF_NEGOTIATE);
		sf->out_act = a->soft ? SPD_SF_NEGOTIATE_SOFT : SPD_SF_NEGOTIATE;
		break;
	}
}

struct expand {
	struct spd *s;
	struct spd_sfilter *v; /* being built */
	size_t n, cap;
	size_t first; /* first specific filter of the current filter (for duplicates) */
	uint32_t *seq;
	size_t seqcap;
};

static bool addr_same(const struct spd_addr *a, const struct spd_addr *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == SPD_ADDR_ANY || a->kind == SPD_ADDR_ME)
		return true;
	return a->plen == b->plen && ipaddr_eq(&a->lo, &b->lo) && ipaddr_eq(&a->hi, &b->hi);
}

static bool sf_same(const struct spd_sfilter *a, const struct spd_sfilter *b)
{
	return a->dir == b->dir && a->af == b->af && addr_same(&a->local, &b->local) &&
	       addr_same(&a->remote, &b->remote) && a->proto == b->proto &&
	       a->lport_lo == b->lport_lo && a->lport_hi == b->lport_hi &&
	       a->rport_lo == b->rport_lo && a->rport_hi == b->rport_hi;
}

static int push(struct expand *e, const struct spd_sfilter *sf)
{
	size_t i;
	void *p;

	/* any <-> any mirrored yields the same filter twice; keep the first. */
	for (i = e->first; i < e->n; i++)
		if (sf_same(&e->v[i], sf))
			return 0;
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		p = realloc(e->v, e->cap * sizeof(*e->v));
		if (!p)
			return -ENOMEM;
		e->v = p;
	}
	e->v[e->n] = *sf;
	e->v[e->n].order = (uint32_t)e->n; /* generation sequence until sorted */
	e->v[e->n].weight = sf_weight(sf);
	e->n++;
	return 0;
}

/* One family: `me` on the local side becomes each local address of that family. */
static int expand_af(struct expand *e, struct spd_sfilter *sf, const struct spd_addr *local)
{
	size_t i;
	int rc;

	if (local->kind != SPD_ADDR_ME) {
		sf->local = *local;
		return push(e, sf);
	}
	for (i = 0; i < e->s->nlocals; i++) {
		if (e->s->locals[i].addr.af != sf->af)
			continue;
		spd_addr_host(&sf->local, &e->s->locals[i].addr);
		rc = push(e, sf);
		if (rc)
			return rc;
	}
	return 0;
}

/* One direction of one filter: local/remote and their ports as seen by the packet. */
static int expand_dir(struct expand *e, struct spd_sfilter *sf, const struct spd_addr *local,
		      const struct spd_addr *remote, uint8_t af)
{
	static const uint8_t afs[] = { AF_INET, AF_INET6 };
	size_t i;
	int rc;

	/* Traffic to our own address never leaves the host (SPD_WHY_SELF). */
	if (remote->kind == SPD_ADDR_ME)
		return 0;
	sf->remote = *remote;
	for (i = 0; i < 2; i++) {
		if (af && af != afs[i])
			continue;
		sf->af = afs[i];
		rc = expand_af(e, sf, local);
		if (rc)
			return rc;
	}
	return 0;
}

static int expand_filter(struct expand *e, const struct spd_rule *r, size_t fi)
{
	const struct spd_filter *f = &r->flist->filters[fi];
	struct spd_sfilter sf;
	int pass, rc;

	memset(&sf, 0, sizeof(sf));
	sf.rule = r;
	sf.filter = f;
	sf.filter_index = fi;
	sf.proto = f->proto;
	sf_acts(&sf, r->action);
	e->first = e->n;
	/* pass 0: as written (src -> dst), pass 1: its mirror image (dst -> src). */
	for (pass = 0; pass < (f->mirrored ? 2 : 1); pass++) {
		const struct spd_addr *a = pass ? &f->dst : &f->src;
		const struct spd_addr *b = pass ? &f->src : &f->dst;
		uint16_t alo = pass ? f->dport_lo : f->sport_lo,
			 ahi = pass ? f->dport_hi : f->sport_hi;
		uint16_t blo = pass ? f->sport_lo : f->dport_lo,
			 bhi = pass ? f->sport_hi : f->dport_hi;

		sf.mirror = pass == 1;
		/* outbound: source a is local */
		sf.dir = SPD_DIR_OUT;
		sf.lport_lo = alo, sf.lport_hi = ahi, sf.rport_lo = blo, sf.rport_hi = bhi;
		rc = expand_dir(e, &sf, a, b, f->af);
		if (rc)
			return rc;
		/* inbound: destination b is local */
		sf.dir = SPD_DIR_IN;
		sf.lport_lo = blo, sf.lport_hi = bhi, sf.rport_lo = alo, sf.rport_hi = ahi;
		rc = expand_dir(e, &sf, b, a, f->af);
		if (rc)
			return rc;
	}
	return 0;
}

/* IPv4 before IPv6 (they never compete; this only groups the display), then most specific
 * first; equal weight: generation order = rule, filter, as written, mirror. */
static int sf_cmp(const void *x, const void *y)
{
	const struct spd_sfilter *a = x, *b = y;

	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;

	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int expand_policy(struct spd *s)
{
	const struct spd_policy *p = s->active;
	struct expand e = { .s = s };
	size_t ri, fi;
	int rc;

	for (ri = 0; p && ri < p->nrules; ri++) {
		const struct spd_rule *r = p->rules[ri];

		for (fi = 0; r->active && fi < r->flist->nfilters; fi++) {
			rc = expand_filter(&e, r, fi);
			if (rc) {
				free(e.v);
				return rc;
			}
		}
	}
	if (e.n)
		qsort(e.v, e.n, sizeof(*e.v), sf_cmp);
	for (fi = 0; fi < e.n; fi++)
		e.v[fi].order = (uint32_t)fi;
	s->sfilters = e.v;
	s->nsfilters = e.n;
	return 0;
}

/* ---- matching ---- */

bool spd_sf_match(const struct spd_sfilter *sf, const struct spd_pkt *p)
{
	return sf->dir == p->dir && sf->af == p->local.af &&
	       (sf->proto == SPD_PROTO_ANY || sf->proto == p->proto) && p->lport >= sf->lport_lo &&
	       p->lport <= sf->lport_hi && p->rport >= sf->rport_lo && p->rport <= sf->rport_hi &&
	       spd_addr_contains(&sf->local, &p->local) &&
	       spd_addr_contains(&sf->remote, &p->remote);
}

/* ---- index ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t cell_hash(uint32_t group, const struct ipaddr *l, const struct ipaddr *r,
			  uint16_t port)
{
	uint64_t w[4];

	memcpy(&w[0], l->b, 8);
	memcpy(&w[1], l->b + 8, 8);
	memcpy(&w[2], r->b, 8);
	memcpy(&w[3], r->b + 8, 8);
	return mix(mix(mix(mix(mix(0x5bd1e995u, (uint64_t)port << 32 | group), w[0]), w[1]), w[2]),
		   w[3]);
}

struct tuple {
	uint32_t group;
	uint32_t order;
	struct ipaddr l, r;
	uint16_t port;
};

static int tuple_cmp(const void *x, const void *y)
{
	const struct tuple *a = x, *b = y;
	int c;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	c = memcmp(a->l.b, b->l.b, 16);
	if (!c)
		c = memcmp(a->r.b, b->r.b, 16);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int group_cmp(const void *x, const void *y)
{
	const struct spd_group *a = x, *b = y;

	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->af6 != b->af6)
		return a->af6 < b->af6 ? -1 : 1;
	if (a->bound != b->bound)
		return a->bound > b->bound ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The representative of an address in its cover cell: first address, masked. */
static void cover_key(struct ipaddr *out, const struct spd_addr *a, uint8_t af, unsigned plen)
{
	if (a->kind == SPD_ADDR_ANY) {
		memset(out, 0, sizeof(*out));
		out->af = af;
		return;
	}
	spd_ip_mask(out, &a->lo, plen);
}

/* plen bits of ones in network order; bytes past the family's length stay zero. */
static void make_mask(uint64_t out[2], unsigned plen, uint8_t af)
{
	struct ipaddr ones, m;

	memset(&ones, 0xff, sizeof(ones));
	ones.af = af;
	spd_ip_mask(&m, &ones, plen);
	memcpy(out, m.b, 16);
}

/* Packet address masked for a cell key: the same bytes cover_key() produced. */
static void apply_mask(struct ipaddr *out, const struct ipaddr *ip, const uint64_t mask[2])
{
	uint64_t w[2];

	memcpy(w, ip->b, 16);
	w[0] &= mask[0];
	w[1] &= mask[1];
	out->af = ip->af;
	memcpy(out->b, w, 16);
}

static int assign_groups(struct spd_index *ix, const struct spd *s, struct tuple *t)
{
	uint32_t *map = calloc((size_t)2 * 2 * 129 * 129 * 2, sizeof(*map));
	size_t i;

	if (!map)
		return -ENOMEM;
	ix->groups = calloc(s->nsfilters ? s->nsfilters : 1, sizeof(*ix->groups));
	if (!ix->groups) {
		free(map);
		return -ENOMEM;
	}
	for (i = 0; i < s->nsfilters; i++) {
		const struct spd_sfilter *sf = &s->sfilters[i];
		unsigned lp = spd_addr_cover(&sf->local, sf->af);
		unsigned rp = spd_addr_cover(&sf->remote, sf->af);
		unsigned af6 = sf->af == AF_INET6;
		unsigned pe = sf->rport_lo == sf->rport_hi;
		size_t k = ((((size_t)sf->dir * 2 + af6) * 129 + lp) * 129 + rp) * 2 + pe;

		if (!map[k]) {
			struct spd_group *g = &ix->groups[ix->ngroups];

			g->id = (uint32_t)ix->ngroups;
			g->lplen = (uint8_t)lp;
			g->rplen = (uint8_t)rp;
			g->dir = (uint8_t)sf->dir;
			g->af6 = (uint8_t)af6;
			g->rport_exact = (uint8_t)pe;
			make_mask(g->lmask, lp, sf->af);
			make_mask(g->rmask, rp, sf->af);
			map[k] = (uint32_t)++ix->ngroups;
		}
		t[i].group = map[k] - 1;
		/* A range is more specific than its cover, so the bound is the members' own. */
		if (ix->groups[t[i].group].bound < (sf->weight >> 8))
			ix->groups[t[i].group].bound = (uint16_t)(sf->weight >> 8);
		t[i].order = sf->order;
		t[i].port = pe ? sf->rport_lo : 0;
		cover_key(&t[i].l, &sf->local, sf->af, lp);
		cover_key(&t[i].r, &sf->remote, sf->af, rp);
	}
	free(map);
	return 0;
}

static int build_cells(struct spd_index *ix, const struct tuple *t, size_t n)
{
	size_t i, nslots = 16;

	ix->members = malloc((n ? n : 1) * sizeof(*ix->members));
	ix->cells = malloc((n ? n : 1) * sizeof(*ix->cells));
	if (!ix->members || !ix->cells)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct spd_cell *c = &ix->cells[ix->ncells - (ix->ncells ? 1 : 0)];

		ix->members[i] = t[i].order;
		if (ix->ncells && c->group == t[i].group && c->port == t[i].port &&
		    ipaddr_eq(&c->l, &t[i].l) && ipaddr_eq(&c->r, &t[i].r)) {
			c->end = (uint32_t)i + 1;
			continue;
		}
		c = &ix->cells[ix->ncells++];
		c->group = t[i].group;
		c->l = t[i].l;
		c->r = t[i].r;
		c->port = t[i].port;
		c->start = (uint32_t)i;
		c->end = (uint32_t)i + 1;
	}
	while (nslots < 2 * ix->ncells)
		nslots *= 2;
	ix->slots = calloc(nslots, sizeof(*ix->slots));
	if (!ix->slots)
		return -ENOMEM;
	ix->mask = nslots - 1;
	for (i = 0; i < ix->ncells; i++) {
		const struct spd_cell *c = &ix->cells[i];
		size_t h = (size_t)cell_hash(c->group, &c->l, &c->r, c->port) & ix->mask;

		while (ix->slots[h])
			h = (h + 1) & ix->mask;
		ix->slots[h] = (uint32_t)i + 1;
	}
	return 0;
}

static void order_groups(struct spd_index *ix)
{
	size_t i;

	qsort(ix->groups, ix->ngroups, sizeof(*ix->groups), group_cmp);
	for (i = ix->ngroups; i-- > 0;) {
		const struct spd_group *g = &ix->groups[i];

		ix->gfirst[g->dir][g->af6] = i;
		ix->gcount[g->dir][g->af6]++;
	}
}

void spd_index_free(struct spd_index *ix)
{
	if (!ix)
		return;
	free(ix->groups);
	free(ix->cells);
	free(ix->slots);
	free(ix->members);
	free(ix);
}

int spd_index_build(struct spd *s)
{
	struct spd_index *ix = calloc(1, sizeof(*ix));
	struct tuple *t = calloc(s->nsfilters ? s->nsfilters : 1, sizeof(*t));
	int rc = -ENOMEM;

	if (!ix || !t)
		goto out;
	rc = assign_groups(ix, s, t);
	if (rc)
		goto out;
	qsort(t, s->nsfilters, sizeof(*t), tuple_cmp);
	rc = build_cells(ix, t, s->nsfilters);
	if (rc)
		goto out;
	order_groups(ix);
	s->index = ix;
	ix = NULL;
out:
	spd_index_free(ix);
	free(t);
	return rc;
}

static const struct spd_cell *cell_find(const struct spd_index *ix, uint32_t group,
					const struct ipaddr *l, const struct ipaddr *r,
					uint16_t port)
{
	size_t h = (size_t)cell_hash(group, l, r, port) & ix->mask;

	for (; ix->slots[h]; h = (h + 1) & ix->mask) {
		const struct spd_cell *c = &ix->cells[ix->slots[h] - 1];

		if (c->group == group && c->port == port && !memcmp(c->l.b, l->b, 16) &&
		    !memcmp(c->r.b, r->b, 16))
			return c;
	}
	return NULL;
}

const struct spd_sfilter *spd_index_lookup(const struct spd *s, const struct spd_pkt *p)
{
	const struct spd_index *ix = s->index;
	const struct spd_sfilter *best = NULL;
	unsigned d = p->dir == SPD_DIR_OUT, af6 = p->local.af == AF_INET6;
	size_t i, k, end = ix->gfirst[d][af6] + ix->gcount[d][af6];

	for (i = ix->gfirst[d][af6]; i < end; i++) {
		const struct spd_group *g = &ix->groups[i];
		const struct spd_cell *c;
		struct ipaddr l, r;

		/* Groups come in falling bound order: nothing further can be as specific. */
		if (best && (best->weight >> 8) > g->bound)
			break;
		apply_mask(&l, &p->local, g->lmask);
		apply_mask(&r, &p->remote, g->rmask);
		c = cell_find(ix, g->id, &l, &r, g->rport_exact ? p->rport : 0);
		for (k = c ? c->start : 0; c && k < c->end; k++) {
			const struct spd_sfilter *sf = &s->sfilters[ix->members[k]];

			if (best && sf->order >= best->order)
				break;
			if (spd_sf_match(sf, p)) {
				best = sf;
				break;
			}
		}
	}
	return best;
}

int spd_compile(struct spd *s)
{
	int rc;

	free(s->sfilters);
	s->sfilters = NULL;
	s->nsfilters = 0;
	spd_index_free(s->index);
	s->index = NULL;
	s->compiled = false;
	rc = expand_policy(s);
	if (!rc)
		rc = spd_index_build(s);
	if (!rc)
		s->compiled = true;
	return rc;
}

size_t spd_sfilter_count(const struct spd *s)
{
	return s->compiled ? s->nsfilters : 0;
}

const struct spd_sfilter *spd_sfilter_get(const struct spd *s, size_t i)
{
	return s->compiled && i < s->nsfilters ? &s->sfilters[i] : NULL;
}
