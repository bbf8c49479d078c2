/* src/ike/ts: traffic selectors from policy, intersection and narrowing.
 *
 * Expected values follow RFC 7296 3.13.1 (a selector is an address range, an IP protocol with
 * 0 = any, a port range; start port 0 / end port 65535 is ANY, which includes OPAQUE; start
 * 65535 / end 0 is OPAQUE alone) and RFC 7296 2.9 (the responder narrows to a subset of what
 * was proposed; if the policy accepts TSi[0]/TSr[0] -- possibly the packet that triggered the
 * request -- the result includes them; nothing acceptable is TS_UNACCEPTABLE).
 *
 * Selectors are written "ADDR[-ADDR] PROTO [PORTS]": PROTO a number (0 any), PORTS "a-b", "a",
 * "opaque" or absent for 0-65535.
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

#include "ike/ts.h"
#include "lib/addr.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	if (ipaddr_parse(&a, s))
		fail_msg("bad address %s", s);
	return a;
}

static struct ts tsp(const char *text)
{
	char buf[160], *addr, *proto, *ports, *dash, *save = NULL;
	struct ts t;

	memset(&t, 0, sizeof(t));
	snprintf(buf, sizeof(buf), "%s", text);
	addr = strtok_r(buf, " ", &save);
	proto = strtok_r(NULL, " ", &save);
	ports = strtok_r(NULL, " ", &save);
	assert_non_null(addr);
	assert_non_null(proto);
	dash = strchr(addr, '-');
	if (dash)
		*dash++ = '\0';
	t.start = ip(addr);
	t.end = ip(dash ? dash : addr);
	t.type = t.start.af == AF_INET6 ? IKEV2_TS_IPV6_ADDR_RANGE : IKEV2_TS_IPV4_ADDR_RANGE;
	t.proto = (uint8_t)atoi(proto);
	t.end_port = 65535;
	if (ports && !strcmp(ports, "opaque")) {
		t.start_port = 65535;
		t.end_port = 0;
	} else if (ports) {
		dash = strchr(ports, '-');
		t.start_port = (uint16_t)atoi(ports);
		t.end_port = dash ? (uint16_t)atoi(dash + 1) : t.start_port;
	}
	return t;
}

static bool ts_same(const struct ts *a, const struct ts *b)
{
	return a->type == b->type && a->proto == b->proto && a->start_port == b->start_port &&
	       a->end_port == b->end_port && ipaddr_eq(&a->start, &b->start) &&
	       ipaddr_eq(&a->end, &b->end);
}

static void assert_ts(const struct ts *got, const char *want)
{
	struct ts w = tsp(want);
	char g[TS_STRLEN], x[TS_STRLEN];

	if (!ts_same(got, &w))
		fail_msg("got '%s' want '%s'", ts_fmt(got, g, sizeof(g)), ts_fmt(&w, x, sizeof(x)));
}

/* ---- intersection ---- */

struct isect_case {
	const char *name, *a, *b;
	const char *want; /* NULL: empty */
};

static const struct isect_case isect_cases[] = {
	{ "subset", "10.0.0.0-10.0.0.255 0", "10.0.0.5 0", "10.0.0.5 0" },
	{ "superset", "10.0.0.5 0", "10.0.0.0-10.0.0.255 0", "10.0.0.5 0" },
	{ "equal", "10.0.0.0-10.0.0.255 6 80", "10.0.0.0-10.0.0.255 6 80",
	  "10.0.0.0-10.0.0.255 6 80" },
	{ "disjoint", "10.0.0.0-10.0.0.255 0", "10.0.1.0-10.0.1.255 0", NULL },
	{ "adjacent", "10.0.0.0-10.0.0.127 0", "10.0.0.128-10.0.0.255 0", NULL },
	{ "partial overlap", "10.0.0.0-10.0.0.200 0", "10.0.0.100-10.0.0.255 0",
	  "10.0.0.100-10.0.0.200 0" },
	{ "one address overlap", "10.0.0.0-10.0.0.10 0", "10.0.0.10-10.0.0.20 0", "10.0.0.10 0" },
	{ "whole space", "0.0.0.0-255.255.255.255 0", "192.0.2.1-192.0.2.9 17 53",
	  "192.0.2.1-192.0.2.9 17 53" },
	/* protocols: 0 is any */
	{ "any vs tcp", "10.0.0.1 0", "10.0.0.1 6", "10.0.0.1 6" },
	{ "tcp vs tcp", "10.0.0.1 6", "10.0.0.1 6", "10.0.0.1 6" },
	{ "tcp vs udp", "10.0.0.1 6", "10.0.0.1 17", NULL },
	/* ports */
	{ "port ranges", "10.0.0.1 6 1000-2000", "10.0.0.1 6 1500-3000", "10.0.0.1 6 1500-2000" },
	{ "port inside", "10.0.0.1 6 1-1023", "10.0.0.1 6 80", "10.0.0.1 6 80" },
	{ "ports disjoint", "10.0.0.1 6 80", "10.0.0.1 6 443", NULL },
	{ "ports any vs one", "10.0.0.1 6", "10.0.0.1 6 443", "10.0.0.1 6 443" },
	{ "port edge", "10.0.0.1 17 0-500", "10.0.0.1 17 500-4500", "10.0.0.1 17 500" },
	{ "top port", "10.0.0.1 17 65535", "10.0.0.1 17", "10.0.0.1 17 65535" },
	/* OPAQUE (RFC 7296 3.13.1: ANY includes OPAQUE) */
	{ "opaque vs any", "10.0.0.1 6 opaque", "10.0.0.1 6", "10.0.0.1 6 opaque" },
	{ "any vs opaque", "10.0.0.1 0", "10.0.0.1 6 opaque", "10.0.0.1 6 opaque" },
	{ "opaque vs opaque", "10.0.0.1 6 opaque", "10.0.0.1 0 opaque", "10.0.0.1 6 opaque" },
	{ "opaque vs range", "10.0.0.1 6 opaque", "10.0.0.1 6 0-65534", NULL },
	{ "opaque vs top port", "10.0.0.1 6 opaque", "10.0.0.1 6 65535", NULL },
	/* families */
	{ "v4 vs v6", "0.0.0.0-255.255.255.255 0", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 0",
	  NULL },
	{ "v6 partial", "2001:db8::-2001:db8::ffff 0", "2001:db8::8000-2001:db8:1:: 58",
	  "2001:db8::8000-2001:db8::ffff 58" },
	{ "v6 disjoint", "2001:db8::1 0", "2001:db8::2 0", NULL },
};

static void test_intersect(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(isect_cases) / sizeof(isect_cases[0]); i++) {
		const struct isect_case *c = &isect_cases[i];
		struct ts a = tsp(c->a), b = tsp(c->b), x, y;
		bool r1 = ts_intersect(&a, &b, &x), r2 = ts_intersect(&b, &a, &y);

		print_message("case: %s\n", c->name);
		assert_true(ts_valid(&a) && ts_valid(&b));
		if (r1 != (c->want != NULL) || r2 != r1)
			fail_msg("%s: got %d/%d", c->name, r1, r2);
		if (!c->want)
			continue;
		assert_ts(&x, c->want);
		assert_ts(&y, c->want); /* commutative */
		/* the result lies in both, and contains itself */
		assert_true(ts_contains(&a, &x) && ts_contains(&b, &x) && ts_contains(&x, &x));
	}
}

static void test_valid_contains(void **state)
{
	struct ts t = tsp("10.0.0.9-10.0.0.1 0");

	(void)state;
	assert_false(ts_valid(&t)); /* start > end */
	t = tsp("10.0.0.1 6 100-50");
	assert_false(ts_valid(&t)); /* reversed ports that are not OPAQUE */
	t = tsp("10.0.0.1 6 opaque");
	assert_true(ts_valid(&t));
	assert_true(ts_is_opaque(&t));
	t.type = IKEV2_TS_IPV6_ADDR_RANGE; /* type disagrees with the addresses */
	assert_false(ts_valid(&t));
	t.type = 9;
	assert_false(ts_valid(&t));

	struct ts any = tsp("10.0.0.0-10.0.0.255 0"), tcp80 = tsp("10.0.0.4 6 80"),
		  opq = tsp("10.0.0.4 6 opaque"), p80 = tsp("10.0.0.0-10.0.0.255 6 80");
	assert_true(ts_contains(&any, &tcp80));
	assert_false(ts_contains(&tcp80, &any));
	assert_true(ts_contains(&any, &opq)); /* ANY includes OPAQUE */
	assert_false(ts_contains(&p80, &opq));
	assert_false(ts_contains(&opq, &tcp80));
	assert_true(ts_contains(&p80, &tcp80));
	ts_any(&t, AF_INET6);
	assert_ts(&t, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 0");
	ts_any(&t, AF_INET);
	assert_ts(&t, "0.0.0.0-255.255.255.255 0");
}

/* ---- narrowing ---- */

#define NSEL 5

struct narrow_case {
	const char *name;
	const char *pol[NSEL][2]; /* {local (TSr side), remote (TSi side)} */
	const char *tsi[NSEL], *tsr[NSEL];
	int rc;
	const char *oi[NSEL], * or [NSEL];
	bool more;
};

static const struct narrow_case narrow_cases[] = {
	{ "subset: proposal inside policy",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.255 0" } },
	  { "10.1.0.5 0" },
	  { "10.2.0.7 0" },
	  0,
	  { "10.1.0.5 0" },
	  { "10.2.0.7 0" },
	  false },
	{ "superset: proposal wider than policy",
	  { { "10.2.0.7 6 80", "10.1.0.5 6" } },
	  { "10.1.0.0-10.1.255.255 0" },
	  { "10.2.0.0-10.2.255.255 0" },
	  0,
	  { "10.1.0.5 6" },
	  { "10.2.0.7 6 80" },
	  false },
	{ "disjoint",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.255 0" } },
	  { "10.9.0.1 0" },
	  { "10.2.0.7 0" },
	  TS_UNACCEPTABLE_ERR,
	  { NULL },
	  { NULL },
	  false },
	{ "partial overlap",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.127 0" } },
	  { "10.1.0.100-10.1.0.200 0" },
	  { "10.2.0.0-10.2.0.255 0" },
	  0,
	  { "10.1.0.100-10.1.0.127 0" },
	  { "10.2.0.0-10.2.0.255 0" },
	  false },
	{ "protocol any vs tcp",
	  { { "10.2.0.7 6", "10.1.0.5 6" } },
	  { "10.1.0.5 0" },
	  { "10.2.0.7 0" },
	  0,
	  { "10.1.0.5 6" },
	  { "10.2.0.7 6" },
	  false },
	{ "protocol tcp vs udp",
	  { { "10.2.0.7 17", "10.1.0.5 17" } },
	  { "10.1.0.5 6" },
	  { "10.2.0.7 6" },
	  TS_UNACCEPTABLE_ERR,
	  { NULL },
	  { NULL },
	  false },
	/* TSi says TCP, TSr says UDP: no packet can match both */
	{ "initiator's protocols disagree",
	  { { "10.2.0.7 0", "10.1.0.5 0" } },
	  { "10.1.0.5 6" },
	  { "10.2.0.7 17" },
	  TS_UNACCEPTABLE_ERR,
	  { NULL },
	  { NULL },
	  false },
	{ "port ranges",
	  { { "10.2.0.7 6 80", "10.1.0.5 6 1024-65535" } },
	  { "10.1.0.5 6 1-2000" },
	  { "10.2.0.7 6 1-1000" },
	  0,
	  { "10.1.0.5 6 1024-2000" },
	  { "10.2.0.7 6 80" },
	  false },
	{ "opaque ports accepted by any",
	  { { "10.2.0.7 0", "10.1.0.5 0" } },
	  { "10.1.0.5 6 opaque" },
	  { "10.2.0.7 6 opaque" },
	  0,
	  { "10.1.0.5 6 opaque" },
	  { "10.2.0.7 6 opaque" },
	  false },
	{ "opaque ports refused by a port",
	  { { "10.2.0.7 6 80", "10.1.0.5 6" } },
	  { "10.1.0.5 6" },
	  { "10.2.0.7 6 opaque" },
	  TS_UNACCEPTABLE_ERR,
	  { NULL },
	  { NULL },
	  false },
	{ "IPv6 proposal, IPv4 policy",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.255 0" } },
	  { "2001:db8:1::5 0" },
	  { "2001:db8:2::7 0" },
	  TS_UNACCEPTABLE_ERR,
	  { NULL },
	  { NULL },
	  false },
	{ "IPv6 picked from a two-family policy",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.255 0" },
	    { "2001:db8:2::-2001:db8:2::ffff 0", "2001:db8:1::-2001:db8:1::ffff 0" } },
	  { "2001:db8:1::5 0" },
	  { "2001:db8:2::7 0" },
	  0,
	  { "2001:db8:1::5 0" },
	  { "2001:db8:2::7 0" },
	  false },
	/* several selectors: empty results dropped, contained ones folded */
	{ "multiple selectors",
	  { { "10.2.0.0-10.2.0.255 0", "10.1.0.0-10.1.0.255 0" } },
	  { "10.1.0.5 0", "10.3.0.0-10.3.0.255 0", "10.1.0.0-10.1.255.255 0" },
	  { "10.2.0.7 6 80", "10.2.0.9 17 53", "10.4.0.1 0" },
	  0,
	  { "10.1.0.0-10.1.0.255 0" },
	  { "10.2.0.7 6 80", "10.2.0.9 17 53" },
	  false },
	/* RFC 7296 2.9: TSi[0]/TSr[0] are the triggering packet. Both policy pairs overlap the
	 * proposal; only the second contains the packet, so it is the one used. */
	{ "first selector is the packet",
	  { { "203.0.113.0-203.0.113.255 0", "198.51.100.64-198.51.100.127 0" },
	    { "203.0.113.0-203.0.113.255 0", "198.51.100.0-198.51.100.63 0" } },
	  { "198.51.100.43 6 1234", "198.51.100.0-198.51.100.255 0" },
	  { "203.0.113.5 6 80", "203.0.113.0-203.0.113.255 0" },
	  0,
	  { "198.51.100.0-198.51.100.63 0" },
	  { "203.0.113.0-203.0.113.255 0" },
	  true },
	/* the same without a packet selector: the first overlapping pair */
	{ "no packet selector",
	  { { "203.0.113.0-203.0.113.255 0", "198.51.100.64-198.51.100.127 0" },
	    { "203.0.113.0-203.0.113.255 0", "198.51.100.0-198.51.100.63 0" } },
	  { "198.51.100.0-198.51.100.255 0" },
	  { "203.0.113.0-203.0.113.255 0" },
	  0,
	  { "198.51.100.64-198.51.100.127 0" },
	  { "203.0.113.0-203.0.113.255 0" },
	  true },
	/* the packet is outside every pair: narrow to an acceptable subset anyway */
	{ "first selector not acceptable",
	  { { "203.0.113.0-203.0.113.255 0", "198.51.100.64-198.51.100.127 0" } },
	  { "198.51.100.200 6 1234", "198.51.100.0-198.51.100.255 0" },
	  { "203.0.113.5 6 80", "203.0.113.0-203.0.113.255 0" },
	  0,
	  { "198.51.100.64-198.51.100.127 0" },
	  { "203.0.113.0-203.0.113.255 0" },
	  false },
	/* policy wider than everything: returned as proposed (no narrowing needed) */
	{ "no narrowing needed",
	  { { "0.0.0.0-255.255.255.255 0", "0.0.0.0-255.255.255.255 0" } },
	  { "10.1.0.5 6 1234", "10.1.0.0-10.1.0.255 0" },
	  { "10.2.0.7 6 80", "10.2.0.0-10.2.0.255 0" },
	  0,
	  { "10.1.0.0-10.1.0.255 0" },
	  { "10.2.0.0-10.2.0.255 0" },
	  false },
};

static void fill(struct ts_list *l, const char *const *spec)
{
	l->n = 0;
	while (l->n < NSEL && spec[l->n]) {
		l->ts[l->n] = tsp(spec[l->n]);
		l->n++;
	}
}

static void assert_list(const struct ts_list *got, const char *const *want, const char *what)
{
	size_t n = 0, i;

	while (n < NSEL && want[n])
		n++;
	if (got->n != n)
		fail_msg("%s: %zu selectors, want %zu", what, got->n, n);
	for (i = 0; i < n; i++)
		assert_ts(&got->ts[i], want[i]);
}

static void test_narrow(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(narrow_cases) / sizeof(narrow_cases[0]); i++) {
		const struct narrow_case *c = &narrow_cases[i];
		struct ts_policy pol = { 0 };
		struct ts_list tsi, tsr, oi, orr;
		bool more = !c->more;
		int rc;

		print_message("case: %s\n", c->name);
		for (k = 0; k < NSEL && c->pol[k][0]; k++) {
			pol.pair[k].local = tsp(c->pol[k][0]);
			pol.pair[k].remote = tsp(c->pol[k][1]);
			pol.n++;
		}
		fill(&tsi, c->tsi);
		fill(&tsr, c->tsr);
		rc = ts_narrow(&pol, &tsi, &tsr, &oi, &orr, &more);
		if (rc != c->rc)
			fail_msg("%s: rc %d want %d", c->name, rc, c->rc);
		if (rc)
			continue;
		assert_list(&oi, c->oi, "TSi");
		assert_list(&orr, c->or, "TSr");
		assert_int_equal(more, c->more);
		/* RFC 7296 2.9: the responder only narrows -- checked as the initiator would */
		assert_int_equal(ts_check_reply(&tsi, &tsr, &oi, &orr), 0);
	}
}

static void test_narrow_bad_input(void **state)
{
	struct ts_policy pol = { .n = 1 };
	struct ts_list tsi = { .n = 1 }, tsr = { .n = 1 }, oi, orr;

	(void)state;
	pol.pair[0].local = tsp("10.0.0.0-10.0.0.255 0");
	pol.pair[0].remote = tsp("10.0.0.0-10.0.0.255 0");
	tsi.ts[0] = tsp("10.0.0.1 0");
	tsr.ts[0] = tsp("10.0.0.9-10.0.0.2 0"); /* start > end */
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), -EINVAL);
	tsr.n = 0;
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), -EINVAL);
	tsr.n = 1;
	tsr.ts[0] = tsp("10.0.0.2 0");
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), 0);
	/* a reply wider than the offer is refused by the initiator */
	orr.ts[0] = tsp("10.0.0.2-10.0.0.3 0");
	assert_int_equal(ts_check_reply(&tsi, &tsr, &oi, &orr), -EBADMSG);
}

/* ---- from policy ---- */

struct spd_env {
	struct spd *s;
	struct spd_policy *p;
};

static void env_init(struct spd_env *e)
{
	struct ipaddr a = ip("10.0.0.1"), b = ip("2001:db8::1");

	e->s = spd_new();
	assert_non_null(e->s);
	assert_int_equal(spd_add_local(e->s, &a, 24), 0);
	assert_int_equal(spd_add_local(e->s, &b, 64), 0);
	assert_int_equal(spd_policy_new(e->s, "p", &e->p), 0);
}

static struct spd_rule *env_rule(struct spd_env *e, const char *name, const struct spd_filter *f)
{
	struct spd_filter_list *l;
	struct spd_rule *r;

	assert_int_equal(spd_filter_list_new(e->s, name, &l), 0);
	assert_int_equal(spd_filter_list_add(e->s, l, f), 0);
	assert_int_equal(
		spd_rule_new(e->s, e->p, name, l, spd_action_find(e->s, SPD_BUILTIN_REQUIRE), &r),
		0);
	return r;
}

/* Transport mode: me -> 10.0.0.2 TCP 80 mirrored gives one pair (the mirror image is the
 * same pair seen inbound); the selectors are the two hosts. */
static void test_from_rule_transport(void **state)
{
	struct spd_env e;
	struct spd_filter f;
	struct spd_rule *web, *net;
	struct ts_policy pol;
	struct ipaddr lh = ip("10.0.0.1"), rh = ip("10.0.0.2"), r7 = ip("10.0.0.7"),
		      far = ip("10.9.9.9"), net0 = ip("10.0.0.0");

	(void)state;
	env_init(&e);
	spd_filter_init(&f);
	spd_addr_me(&f.src);
	spd_addr_host(&f.dst, &rh);
	f.proto = 6;
	f.dport_lo = f.dport_hi = 80;
	f.mirrored = true;
	web = env_rule(&e, "web", &f);
	spd_filter_init(&f);
	spd_addr_me(&f.src);
	assert_int_equal(spd_addr_prefix(&f.dst, &net0, 24), 0);
	f.mirrored = true;
	net = env_rule(&e, "net", &f);
	assert_int_equal(spd_use_policy(e.s, e.p), 0);
	assert_int_equal(ts_from_rule(e.s, web, &lh, &rh, &pol), -ESTALE);
	assert_int_equal(spd_compile(e.s), 0);

	assert_int_equal(ts_from_rule(e.s, web, &lh, &rh, &pol), 0);
	assert_int_equal(pol.n, 1);
	assert_ts(&pol.pair[0].local, "10.0.0.1 6");
	assert_ts(&pol.pair[0].remote, "10.0.0.2 6 80");

	/* the subnet filter is clamped to the peer host */
	assert_int_equal(ts_from_rule(e.s, net, &lh, &r7, &pol), 0);
	assert_int_equal(pol.n, 1);
	assert_ts(&pol.pair[0].local, "10.0.0.1 0");
	assert_ts(&pol.pair[0].remote, "10.0.0.7 0");
	/* a peer outside the rule's filters gets nothing from it */
	assert_int_equal(ts_from_rule(e.s, net, &lh, &far, &pol), -ENOENT);
	/* transport mode needs both hosts */
	assert_int_equal(ts_from_rule(e.s, net, NULL, &r7, &pol), -EINVAL);

	/* the default response rule answers whatever the hosts ask for */
	assert_int_equal(ts_from_rule(e.s, &e.p->dr, &lh, &r7, &pol), 0);
	assert_int_equal(pol.n, 1);
	assert_ts(&pol.pair[0].local, "10.0.0.1 0");
	assert_ts(&pol.pair[0].remote, "10.0.0.7 0");
	spd_free(e.s);
}

/* Tunnel mode: subnets as written. A filter between two other networks yields both
 * orientations (outbound and inbound specific filters); the peer's proposal picks one. */
static void test_from_rule_tunnel(void **state)
{
	struct spd_env e;
	struct spd_filter f;
	struct spd_rule *r;
	struct ts_policy pol;
	struct ts_list tsi, tsr, oi, orr;
	struct ipaddr n1 = ip("10.1.0.0"), n2 = ip("10.2.0.0"), gw = ip("192.0.2.2");

	(void)state;
	env_init(&e);
	spd_filter_init(&f);
	assert_int_equal(spd_addr_prefix(&f.src, &n1, 24), 0);
	assert_int_equal(spd_addr_prefix(&f.dst, &n2, 24), 0);
	f.mirrored = true;
	r = env_rule(&e, "gw", &f);
	assert_int_equal(spd_rule_set_tunnel(e.s, r, &gw, NULL), 0);
	assert_int_equal(spd_use_policy(e.s, e.p), 0);
	assert_int_equal(spd_compile(e.s), 0);
	assert_int_equal(ts_from_rule(e.s, r, NULL, NULL, &pol), 0);
	assert_int_equal(pol.n, 2);
	assert_ts(&pol.pair[0].local, "10.1.0.0-10.1.0.255 0");
	assert_ts(&pol.pair[0].remote, "10.2.0.0-10.2.0.255 0");
	assert_ts(&pol.pair[1].local, "10.2.0.0-10.2.0.255 0");
	assert_ts(&pol.pair[1].remote, "10.1.0.0-10.1.0.255 0");

	/* the peer is the 10.1 side and asks for one host pair behind us */
	tsi.n = tsr.n = 1;
	tsi.ts[0] = tsp("10.1.0.0-10.1.255.255 0");
	tsr.ts[0] = tsp("10.2.0.9 6 22");
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), 0);
	assert_int_equal(oi.n, 1);
	assert_ts(&oi.ts[0], "10.1.0.0-10.1.0.255 0");
	assert_ts(&orr.ts[0], "10.2.0.9 6 22");
	spd_free(e.s);
}

/* Initiator offer with the packet first, responder narrowing with its own (mirror) policy,
 * the reply checked by the initiator, and the responder's rule lookup from TSi[0]/TSr[0]. */
static void test_offer_round_trip(void **state)
{
	struct ts_pair ipol, rpol_pair;
	struct ts_policy rpol = { .n = 1 };
	struct ts_list tsi, tsr, oi, orr;
	struct spd_pkt pkt = { .dir = SPD_DIR_OUT, .proto = 6, .lport = 40000, .rport = 80 };
	struct spd_pkt back;
	bool more = true;

	(void)state;
	ipol.local = tsp("10.0.0.1 6");
	ipol.remote = tsp("10.0.0.2 6 80");
	pkt.local = ip("10.0.0.1");
	pkt.remote = ip("10.0.0.2");
	assert_int_equal(ts_offer(&ipol, &pkt, &tsi, &tsr), 0);
	assert_int_equal(tsi.n, 2);
	assert_ts(&tsi.ts[0], "10.0.0.1 6 40000");
	assert_ts(&tsi.ts[1], "10.0.0.1 6");
	assert_ts(&tsr.ts[0], "10.0.0.2 6 80");
	assert_ts(&tsr.ts[1], "10.0.0.2 6 80");
	/* no packet: just the pair */
	assert_int_equal(ts_offer(&ipol, NULL, &oi, &orr), 0);
	assert_int_equal(oi.n, 1);
	/* a packet the pair does not cover is a caller bug */
	pkt.rport = 443;
	assert_int_equal(ts_offer(&ipol, &pkt, &oi, &orr), -EINVAL);

	rpol_pair.local = ipol.remote;
	rpol_pair.remote = ipol.local;
	rpol.pair[0] = rpol_pair;
	assert_int_equal(ts_narrow(&rpol, &tsi, &tsr, &oi, &orr, &more), 0);
	assert_false(more);
	assert_int_equal(oi.n, 1);
	assert_ts(&oi.ts[0], "10.0.0.1 6");
	assert_int_equal(orr.n, 1);
	assert_ts(&orr.ts[0], "10.0.0.2 6 80");
	assert_int_equal(ts_check_reply(&tsi, &tsr, &oi, &orr), 0);

	assert_int_equal(ts_to_pkt(&tsi.ts[0], &tsr.ts[0], &back), 0);
	assert_int_equal(back.dir, SPD_DIR_IN);
	assert_true(ipaddr_eq(&back.remote, &pkt.local));
	assert_true(ipaddr_eq(&back.local, &pkt.remote));
	assert_int_equal(back.proto, 6);
	assert_int_equal(back.rport, 40000);
	assert_int_equal(back.lport, 80);
	tsr.ts[0] = tsp("2001:db8::2 6 80");
	assert_int_equal(ts_to_pkt(&tsi.ts[0], &tsr.ts[0], &back), -EINVAL);
}

/* The responder finds its rule with spd_respond() on TSi[0]/TSr[0] and narrows with it. */
static void test_respond_lookup(void **state)
{
	struct spd_env e;
	struct spd_filter f;
	struct spd_rule *web;
	struct spd_decision d;
	struct spd_pkt pkt;
	struct ts_policy pol;
	struct ts_list tsi = { .n = 1 }, tsr = { .n = 1 }, oi, orr;
	struct ipaddr peer = ip("10.0.0.2"), me = ip("10.0.0.1");

	(void)state;
	env_init(&e);
	spd_filter_init(&f);
	spd_addr_me(&f.src);
	f.proto = 6;
	f.sport_lo = f.sport_hi = 80;
	spd_addr_host(&f.dst, &peer);
	f.mirrored = true;
	web = env_rule(&e, "web-server", &f);
	assert_int_equal(spd_use_policy(e.s, e.p), 0);
	assert_int_equal(spd_compile(e.s), 0);

	/* the client 10.0.0.2 connects from port 50000 to our port 80 */
	tsi.ts[0] = tsp("10.0.0.2 6 50000");
	tsr.ts[0] = tsp("10.0.0.1 6 80");
	assert_int_equal(ts_to_pkt(&tsi.ts[0], &tsr.ts[0], &pkt), 0);
	assert_int_equal(spd_respond(e.s, &pkt, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT);
	assert_ptr_equal(d.rule, web);
	assert_int_equal(ts_from_rule(e.s, d.rule, &me, &peer, &pol), 0);
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), 0);
	assert_ts(&oi.ts[0], "10.0.0.2 6 50000");
	assert_ts(&orr.ts[0], "10.0.0.1 6 80");
	/* asking for our SSH port instead is refused */
	tsr.ts[0] = tsp("10.0.0.1 6 22");
	assert_int_equal(ts_narrow(&pol, &tsi, &tsr, &oi, &orr, NULL), TS_UNACCEPTABLE_ERR);
	spd_free(e.s);
}

static void test_wire_views(void **state)
{
	struct ts_list l = { .n = 2 }, back;
	struct ikev2_ts_list w;
	char buf[TS_STRLEN];

	(void)state;
	l.ts[0] = tsp("10.0.0.1-10.0.0.9 6 80");
	l.ts[1] = tsp("2001:db8::1 17 opaque");
	ts_to_wire(&l, &w);
	assert_int_equal(w.nts, 2);
	assert_int_equal(w.ts[1].type, IKEV2_TS_IPV6_ADDR_RANGE);
	assert_int_equal(ts_from_wire(&w, &back), 0);
	assert_int_equal(back.n, 2);
	assert_true(ts_same(&back.ts[0], &l.ts[0]) && ts_same(&back.ts[1], &l.ts[1]));
	/* an unknown TS type (e.g. RFC 4595's FC range) is skipped, not misread */
	w.ts[0].type = 9;
	assert_int_equal(ts_from_wire(&w, &back), 0);
	assert_int_equal(back.n, 1);
	assert_string_equal(ts_fmt(&l.ts[0], buf, sizeof(buf)), "10.0.0.1-10.0.0.9 tcp 80");
	assert_string_equal(ts_fmt(&l.ts[1], buf, sizeof(buf)), "2001:db8::1 udp opaque");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intersect),
		cmocka_unit_test(test_valid_contains),
		cmocka_unit_test(test_narrow),
		cmocka_unit_test(test_narrow_bad_input),
		cmocka_unit_test(test_from_rule_transport),
		cmocka_unit_test(test_from_rule_tunnel),
		cmocka_unit_test(test_offer_round_trip),
		cmocka_unit_test(test_respond_lookup),
		cmocka_unit_test(test_wire_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
