/* src/spd: randomized differential tests.
 *
 * 1. The compiled index (spd_decide) against the linear scan of the same specific filters
 *    (spd_decide_linear): same verdict, reason and winning specific filter.
 * 2. Both against an oracle written here from the rules alone (no expansion, no index): scan
 *    every rule, filter and mirror image with the documented matching rules and weights,
 *    keep the heaviest, ties to the earliest rule/filter. It must name the same rule, filter
 *    and weight.
 * With 10, 1000 and 10000 random filters over a small address pool so that overlaps, ties,
 * ranges, mirrors and `me` are common. Then properties of the built-in policies over random
 * traffic: respond-only never initiates, require never sends unicast in clear.
 * The seeds are fixed (SPD_SEED=n mixes n into every one) so a failure can be replayed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "crypto/cipher.h"
#include "spd/spd.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void seed(uint64_t dflt)
{
	const char *e = getenv("SPD_SEED");

	rng_state = e ? strtoull(e, NULL, 0) * 0x9e3779b97f4a7c15ull ^ dflt : dflt;
	if (!rng_state)
		rng_state = 1;
}

/* ---- the oracle's own view of a filter ---- */

enum okind { O_ANY, O_ME, O_LIT }; /* O_LIT: [lo, hi] inclusive */

struct oaddr {
	enum okind k;
	struct ipaddr lo, hi;
	unsigned spec; /* address specificity as documented */
};

struct ofilter {
	struct oaddr src, dst;
	uint8_t af; /* 0 = both families */
	uint16_t proto;
	uint16_t slo, shi, dlo, dhi;
	bool mirrored;
};

struct orule {
	struct ofilter *f;
	size_t n;
	const struct spd_action *a;
	bool active;
};

struct world {
	struct spd *s;
	struct orule *rules;
	size_t nrules;
	struct ipaddr locals[3];
	size_t nfilters;
	struct ipaddr *pool; /* addresses mentioned by filters, to aim packets at */
	size_t npool;
};

static struct ipaddr v4(uint32_t x)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.b[0] = (uint8_t)(x >> 24);
	a.b[1] = (uint8_t)(x >> 16);
	a.b[2] = (uint8_t)(x >> 8);
	a.b[3] = (uint8_t)x;
	return a;
}

/* 2001:db8:0:X::Y */
static struct ipaddr v6(unsigned x, unsigned y)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET6;
	a.b[0] = 0x20;
	a.b[1] = 0x01;
	a.b[2] = 0x0d;
	a.b[3] = 0xb8;
	a.b[6] = (uint8_t)(x >> 8);
	a.b[7] = (uint8_t)x;
	a.b[14] = (uint8_t)(y >> 8);
	a.b[15] = (uint8_t)y;
	return a;
}

static uint32_t v4num(const struct ipaddr *a)
{
	return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

static struct ipaddr rand_v4(void)
{
	return v4(0x0a000000u | rn(4) << 16 | rn(4) << 8 | rn(256));
}

static struct ipaddr rand_v6(void)
{
	return v6(rn(4), rn(4) ? rn(64) : rn(65536));
}

static unsigned ceil_log2(uint64_t n)
{
	unsigned b = 0;

	while (((uint64_t)1 << b) < n)
		b++;
	return b;
}

/* Fill both the oracle's and the model's view of one literal address. */
static void rand_literal(struct oaddr *o, struct spd_addr *m, uint8_t af)
{
	unsigned bits = af == AF_INET ? 32 : 128, plen, r = rn(3);
	struct ipaddr a = af == AF_INET ? rand_v4() : rand_v6();

	o->k = O_LIT;
	if (r == 0) { /* host */
		spd_addr_host(m, &a);
		o->lo = o->hi = a;
		o->spec = bits;
		return;
	}
	if (r == 1) { /* prefix */
		static const unsigned p4[] = { 8, 16, 22, 24, 28, 30 },
				      p6[] = { 32, 48, 64, 112, 120 };

		plen = af == AF_INET ? p4[rn(6)] : p6[rn(5)];
		assert_int_equal(spd_addr_prefix(m, &a, plen), 0);
		o->lo = m->lo;
		o->hi = m->hi;
		o->spec = plen;
		return;
	}
	/* range of 1..600 addresses, computed by the oracle with plain integers */
	{
		uint64_t n = 1 + rn(600);
		struct ipaddr hi = a;

		if (af == AF_INET) {
			uint32_t lo = v4num(&a);

			hi = v4(lo + (uint32_t)n - 1 < lo ? 0xffffffffu : lo + (uint32_t)n - 1);
			n = (uint64_t)v4num(&hi) - lo + 1;
		} else {
			unsigned y = (unsigned)a.b[14] << 8 | a.b[15];

			if (y + n - 1 > 0xffff)
				n = 0x10000 - y;
			hi.b[14] = (uint8_t)((y + n - 1) >> 8);
			hi.b[15] = (uint8_t)(y + n - 1);
		}
		assert_int_equal(spd_addr_range(m, &a, &hi), 0);
		o->lo = a;
		o->hi = hi;
		o->spec = bits - ceil_log2(n);
	}
}

static void rand_side(struct oaddr *o, struct spd_addr *m, uint8_t af)
{
	unsigned r = rn(100);

	memset(o, 0, sizeof(*o));
	if (r < 35) {
		o->k = O_ME;
		spd_addr_me(m);
	} else if (r < 50) {
		o->k = O_ANY;
		spd_addr_any(m);
	} else {
		rand_literal(o, m, af);
	}
}

static void rand_ports(uint16_t *lo, uint16_t *hi)
{
	static const uint16_t common[] = { 22, 53, 80, 88, 443, 8080 };
	unsigned r = rn(10);

	*lo = 0;
	*hi = 65535;
	if (r < 5)
		return;
	if (r < 8) {
		*lo = *hi = common[rn(6)];
		return;
	}
	*lo = (uint16_t)rn(9000);
	*hi = (uint16_t)(*lo + rn(1000));
}

static void rand_filter(struct ofilter *o, struct spd_filter *f)
{
	static const uint16_t protos[] = { SPD_PROTO_ANY, SPD_PROTO_ANY, 6, 6, 6, 17, 17, 1 };
	uint8_t af = rn(5) ? AF_INET : AF_INET6;

	spd_filter_init(f);
	memset(o, 0, sizeof(*o));
	rand_side(&o->src, &f->src, af);
	rand_side(&o->dst, &f->dst, af);
	if (o->src.k == O_LIT || o->dst.k == O_LIT || rn(2))
		o->af = af;
	f->af = o->af;
	o->proto = f->proto = protos[rn(8)];
	o->slo = o->dlo = 0;
	o->shi = o->dhi = 65535;
	if (o->proto == 6 || o->proto == 17) {
		rand_ports(&o->slo, &o->shi);
		rand_ports(&o->dlo, &o->dhi);
	}
	f->sport_lo = o->slo;
	f->sport_hi = o->shi;
	f->dport_lo = o->dlo;
	f->dport_hi = o->dhi;
	o->mirrored = f->mirrored = rn(10) < 6;
}

static void pool_add(struct world *w, const struct oaddr *a)
{
	if (a->k != O_LIT)
		return;
	w->pool[w->npool++] = a->lo;
	w->pool[w->npool++] = a->hi;
}

static struct spd_action *make_actions(struct spd *s, struct spd_action **acts)
{
	struct spd_method m;

	spd_method_init(&m, SPD_XF_ESP);
	m.esp_encr = ENCR_AES_GCM_16;
	m.esp_encr_bits = 256;
	assert_int_equal(spd_action_new(s, "esp", SPD_ACT_NEGOTIATE, &acts[0]), 0);
	assert_int_equal(spd_action_add_method(s, acts[0], &m), 0);
	acts[1] = spd_action_find(s, SPD_BUILTIN_PERMIT);
	acts[2] = spd_action_find(s, SPD_BUILTIN_BLOCK);
	acts[3] = spd_action_find(s, SPD_BUILTIN_REQUEST);
	return acts[0];
}

static void world_build(struct world *w, size_t nfilters)
{
	struct spd_action *acts[4];
	struct spd_policy *p;
	size_t done = 0, i;
	char name[32];

	memset(w, 0, sizeof(*w));
	w->s = spd_new();
	assert_non_null(w->s);
	w->locals[0] = v4(0x0a000001u); /* 10.0.0.1 */
	w->locals[1] = v4(0x0a010201u); /* 10.1.2.1 */
	w->locals[2] = v6(0, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(spd_add_local(w->s, &w->locals[i], 0), 0);
	make_actions(w->s, acts);
	assert_int_equal(spd_policy_new(w->s, "random", &p), 0);
	w->rules = calloc(nfilters, sizeof(*w->rules));
	w->pool = calloc(nfilters * 4, sizeof(*w->pool));
	assert_non_null(w->rules);
	assert_non_null(w->pool);
	while (done < nfilters) {
		struct orule *r = &w->rules[w->nrules];
		struct spd_filter_list *l;
		struct spd_rule *mr;
		size_t n = 1 + rn(8);

		if (n > nfilters - done)
			n = nfilters - done;
		snprintf(name, sizeof(name), "l%zu", w->nrules);
		assert_int_equal(spd_filter_list_new(w->s, name, &l), 0);
		r->f = calloc(n, sizeof(*r->f));
		assert_non_null(r->f);
		for (i = 0; i < n; i++) {
			struct spd_filter f;

			rand_filter(&r->f[i], &f);
			assert_int_equal(spd_filter_list_add(w->s, l, &f), 0);
			pool_add(w, &r->f[i].src);
			pool_add(w, &r->f[i].dst);
		}
		r->n = n;
		r->a = acts[rn(4)];
		r->active = rn(20) != 0;
		assert_int_equal(spd_rule_new(w->s, p, NULL, l, r->a, &mr), 0);
		assert_int_equal(spd_rule_set_active(w->s, mr, r->active), 0);
		w->nrules++;
		done += n;
	}
	w->nfilters = done;
	assert_int_equal(spd_use_policy(w->s, p), 0);
	assert_int_equal(spd_compile(w->s), 0);
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->nrules; i++)
		free(w->rules[i].f);
	free(w->rules);
	free(w->pool);
	spd_free(w->s);
}

/* ---- the oracle ---- */

static bool is_local(const struct world *w, const struct ipaddr *a)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (ipaddr_eq(&w->locals[i], a))
			return true;
	return false;
}

static bool oaddr_match(const struct world *w, const struct oaddr *o, const struct ipaddr *a)
{
	switch (o->k) {
	case O_ANY:
		return true;
	case O_ME:
		return is_local(w, a);
	case O_LIT:
		return a->af == o->lo.af && memcmp(o->lo.b, a->b, 16) <= 0 &&
		       memcmp(a->b, o->hi.b, 16) <= 0;
	}
	return false;
}

static unsigned pspec(uint16_t lo, uint16_t hi)
{
	return lo == hi ? 2 : (lo == 0 && hi == 65535 ? 0 : 1);
}

static unsigned ospec(const struct oaddr *o, unsigned bits)
{
	return o->k == O_ANY ? 0 : (o->k == O_ME ? bits : o->spec);
}

struct ores {
	bool found;
	size_t rule, filter;
	uint32_t weight;
};

static struct ores oracle(const struct world *w, const struct spd_pkt *p)
{
	const struct ipaddr *src = p->dir == SPD_DIR_OUT ? &p->local : &p->remote;
	const struct ipaddr *dst = p->dir == SPD_DIR_OUT ? &p->remote : &p->local;
	uint16_t sp = p->dir == SPD_DIR_OUT ? p->lport : p->rport;
	uint16_t dp = p->dir == SPD_DIR_OUT ? p->rport : p->lport;
	unsigned bits = p->local.af == AF_INET ? 32 : 128;
	struct ores best = { 0 };
	size_t ri, fi;
	int pass;

	for (ri = 0; ri < w->nrules; ri++) {
		for (fi = 0; w->rules[ri].active && fi < w->rules[ri].n; fi++) {
			const struct ofilter *f = &w->rules[ri].f[fi];

			if ((f->af && f->af != p->local.af) ||
			    (f->proto != SPD_PROTO_ANY && f->proto != p->proto))
				continue;
			for (pass = 0; pass < (f->mirrored ? 2 : 1); pass++) {
				const struct oaddr *a = pass ? &f->dst : &f->src;
				const struct oaddr *b = pass ? &f->src : &f->dst;
				uint16_t alo = pass ? f->dlo : f->slo, ahi = pass ? f->dhi : f->shi;
				uint16_t blo = pass ? f->slo : f->dlo, bhi = pass ? f->shi : f->dhi;
				uint32_t wt;

				if (!oaddr_match(w, a, src) || !oaddr_match(w, b, dst) ||
				    sp < alo || sp > ahi || dp < blo || dp > bhi)
					continue;
				wt = (ospec(a, bits) + ospec(b, bits)) << 8 |
				     (uint32_t)(f->proto != SPD_PROTO_ANY) << 4 |
				     (pspec(alo, ahi) + pspec(blo, bhi));
				if (!best.found || wt > best.weight) {
					best.found = true;
					best.weight = wt;
					best.rule = ri;
					best.filter = fi;
				}
			}
		}
	}
	return best;
}

/* ---- packets ---- */

static struct ipaddr aim(const struct world *w, uint8_t af)
{
	size_t i;

	for (i = 0; w->npool && rn(2) && i < 8; i++) {
		struct ipaddr a = w->pool[rn((unsigned)w->npool)];

		if (a.af != af)
			continue;
		/* near a filter edge: the address, or one past it */
		if (rn(3) == 0)
			a.b[af == AF_INET ? 3 : 15] ^= 1;
		return a;
	}
	return af == AF_INET ? rand_v4() : rand_v6();
}

static struct spd_pkt rand_pkt(const struct world *w)
{
	static const uint8_t protos[] = { 6, 6, 17, 17, 1, 50, 47 };
	static const uint16_t ports[] = { 22, 53, 80, 88, 443, 8080, 1024, 4000 };
	struct spd_pkt p;
	uint8_t af = rn(5) ? AF_INET : AF_INET6;

	memset(&p, 0, sizeof(p));
	p.dir = rn(2) ? SPD_DIR_OUT : SPD_DIR_IN;
	if (af == AF_INET)
		p.local = rn(10) < 7 ? w->locals[rn(2)] : aim(w, af);
	else
		p.local = rn(10) < 7 ? w->locals[2] : aim(w, af);
	p.remote = aim(w, af);
	p.proto = protos[rn(7)];
	if (p.proto == 6 || p.proto == 17) {
		p.lport = rn(3) ? ports[rn(8)] : (uint16_t)rn(65536);
		p.rport = rn(3) ? ports[rn(8)] : (uint16_t)rn(65536);
		if (p.proto == 17 && (p.lport == 500 || p.lport == 4500))
			p.lport = 501; /* not IKE: IKE is exempt before any filter */
	}
	return p;
}

static enum spd_verdict expect_verdict(const struct spd_action *a)
{
	switch (a->kind) {
	case SPD_ACT_PERMIT:
		return SPD_PERMIT;
	case SPD_ACT_BLOCK:
		return SPD_BLOCK;
	case SPD_ACT_NEGOTIATE:
		break;
	}
	return SPD_PROTECT;
}

static size_t differential(size_t nfilters, size_t npkts, uint64_t sd)
{
	struct world w;
	size_t i, matched = 0, self = 0;

	seed(sd);
	world_build(&w, nfilters);
	print_message("%zu filters in %zu rules -> %zu specific filters\n", w.nfilters, w.nrules,
		      spd_sfilter_count(w.s));
	for (i = 0; i < npkts; i++) {
		struct spd_pkt p = rand_pkt(&w);
		struct spd_decision d, l;
		struct ores o;

		assert_int_equal(spd_decide(w.s, &p, &d), 0);
		assert_int_equal(spd_decide_linear(w.s, &p, &l), 0);
		if (d.sf != l.sf) {
			char a[256], b[256], x[64], y[64];

			print_message(
				"pkt %s %s -> %s proto %u ports %u %u\nindex:  %s\nlinear: %s\n",
				spd_dir_str(p.dir), ipaddr_fmt(&p.local, x),
				ipaddr_fmt(&p.remote, y), p.proto, p.lport, p.rport,
				d.sf ? spd_sfilter_fmt(d.sf, a, sizeof(a)) : "-",
				l.sf ? spd_sfilter_fmt(l.sf, b, sizeof(b)) : "-");
		}
		assert_int_equal(d.verdict, l.verdict);
		assert_int_equal(d.why, l.why);
		assert_ptr_equal(d.sf, l.sf);
		if (d.why == SPD_WHY_SELF) {
			assert_true(is_local(&w, &p.remote));
			self++;
			continue;
		}
		o = oracle(&w, &p);
		if (!o.found) {
			assert_int_equal(d.why, SPD_WHY_NO_MATCH);
			continue;
		}
		matched++;
		assert_int_equal(d.why, SPD_WHY_FILTER);
		if (d.sf->rule->index != o.rule || d.sf->filter_index != o.filter) {
			char a[256];

			print_message("oracle: rule %zu filter %zu weight 0x%x; spd: %s\n", o.rule,
				      o.filter, o.weight, spd_sfilter_fmt(d.sf, a, sizeof(a)));
		}
		assert_int_equal(d.sf->rule->index, o.rule);
		assert_int_equal(d.sf->filter_index, o.filter);
		assert_int_equal(d.sf->weight, o.weight);
		assert_int_equal(d.verdict, expect_verdict(w.rules[o.rule].a));
	}
	print_message("%zu packets: %zu matched a filter, %zu to self\n", npkts, matched, self);
	world_free(&w);
	return matched;
}

static void test_diff_10(void **state)
{
	(void)state;
	/* the pool is small on purpose: many packets must hit a filter */
	assert_true(differential(10, 20000, 0x5eed0010) > 20000 / 200);
}

static void test_diff_1000(void **state)
{
	(void)state;
	/* the pool is small on purpose: many packets must hit a filter */
	assert_true(differential(1000, 10000, 0x5eed1000) > 10000 / 4);
}

static void test_diff_10000(void **state)
{
	(void)state;
	/* the pool is small on purpose: many packets must hit a filter */
	assert_true(differential(10000, 3000, 0x5eed10000) > 3000 / 4);
}

/* Many small worlds: catches order-dependent bugs a single large one averages away. */
static void test_diff_many_small(void **state)
{
	unsigned k;
	size_t matched = 0;

	(void)state;
	for (k = 0; k < 200; k++)
		matched += differential(1 + k % 25, 300, 0xabc000 + k);
	assert_true(matched > 200 * 300 / 20);
}

/* ---- properties of the built-in policies over random traffic ---- */

static struct spd *builtin_host(const char *policy, struct world *w)
{
	struct spd *s = spd_new();
	size_t i;

	memset(w, 0, sizeof(*w));
	w->locals[0] = v4(0x0a000001u);
	w->locals[1] = v4(0x0a010201u);
	w->locals[2] = v6(0, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(spd_add_local(s, &w->locals[i], 0), 0);
	assert_int_equal(spd_use_policy(s, spd_policy_find(s, policy)), 0);
	assert_int_equal(spd_compile(s), 0);
	return s;
}

static void test_respond_only_never_initiates(void **state)
{
	struct world w;
	struct spd *s;
	size_t i, answered = 0;

	(void)state;
	seed(77);
	s = builtin_host(SPD_BUILTIN_RESPOND_ONLY, &w);
	for (i = 0; i < 20000; i++) {
		struct spd_pkt p = rand_pkt(&w);
		struct spd_decision d;

		assert_int_equal(spd_decide(s, &p, &d), 0);
		assert_int_not_equal(d.verdict, SPD_PROTECT);
		assert_int_not_equal(d.verdict, SPD_BLOCK);
		assert_false(d.initiate);
		/* but every unicast proposal from a peer is answered */
		p.dir = SPD_DIR_IN;
		assert_int_equal(spd_respond(s, &p, &d), 0);
		if (d.verdict == SPD_PROTECT) {
			assert_true(d.rule->is_default_response);
			assert_false(d.initiate);
			answered++;
		}
	}
	assert_true(answered > 10000);
	spd_free(s);
}

static void test_require_never_clear(void **state)
{
	struct world w;
	struct spd *s;
	size_t i;

	(void)state;
	seed(78);
	s = builtin_host(SPD_BUILTIN_SECURE_SERVER, &w);
	for (i = 0; i < 20000; i++) {
		struct spd_pkt p = rand_pkt(&w);
		struct spd_decision d;

		p.dir = SPD_DIR_OUT;
		p.local = p.local.af == AF_INET ? w.locals[rn(2)] : w.locals[2];
		assert_int_equal(spd_decide(s, &p, &d), 0);
		if (d.why == SPD_WHY_SELF)
			continue;
		if (p.proto == 1 && p.local.af == AF_INET) {
			assert_int_equal(d.verdict, SPD_PERMIT); /* all-icmp */
			continue;
		}
		assert_int_equal(d.verdict, SPD_PROTECT);
		assert_true(d.initiate);
		assert_false(d.fallback_clear_out);
	}
	spd_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_10),
		cmocka_unit_test(test_diff_1000),
		cmocka_unit_test(test_diff_10000),
		cmocka_unit_test(test_diff_many_small),
		cmocka_unit_test(test_respond_only_never_initiates),
		cmocka_unit_test(test_require_never_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
