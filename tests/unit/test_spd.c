/* src/spd: the Windows-style policy model and its decisions.
 *
 * One table per built-in policy, each row tied to the statement of the seed (Exchange 2003
 * front-end/back-end guide) or of Microsoft's documentation it checks:
 *   - "Client (respond only)": answers IPsec requests, never requires it, never initiates.
 *   - Request security: negotiates, falls back to clear only when the peer is silent (soft).
 *   - Require security: never sends in clear; accepts the first packet in clear (inpass).
 *   - Default exemptions by NoDefaultExempt level ("Specifying Default Exemptions to IPSec
 *     Filtering", Windows Server 2003 docs): 0 = multicast, broadcast, RSVP, Kerberos, ISAKMP;
 *     1 = multicast, broadcast, ISAKMP; 2 = RSVP, Kerberos, ISAKMP; 3 = ISAKMP only (default).
 *   - "IPSec ... encrypt any IP traffic, except traffic that uses broadcast or multicast".
 * Then specificity ordering, mirrored filters, IPv6, and the construction API's refusals.
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

#define ME4   "192.0.2.1"
#define ME6   "2001:db8::1"
#define PEER4 "192.0.2.2"    /* the back-end / front-end on the same subnet */
#define FAR4  "198.51.100.7" /* a client elsewhere */
#define PEER6 "2001:db8::2"
#define KDC4  "192.0.2.10"

enum { OUT = SPD_DIR_OUT, IN = SPD_DIR_IN };
enum { TCP = 6, UDP = 17, ICMP = 1, ICMP6 = 58, RSVP = 46 };

/* Expected PROTECT flags. */
#define F_INIT	 1 /* initiate */
#define F_CLEAR	 2 /* accept_clear_in */
#define F_FALLBK 4 /* fallback_clear_out */

struct pcase {
	const char *what; /* the statement this row checks */
	int dir;
	const char *local, *remote;
	uint8_t proto;
	uint16_t lport, rport;
	enum spd_verdict v;
	enum spd_why why;
	const char *rule; /* expected rule name, NULL = none */
	int flags;
};

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(ipaddr_parse(&a, s), 0);
	return a;
}

static struct spd_pkt pkt(int dir, const char *local, const char *remote, uint8_t proto,
			  uint16_t lport, uint16_t rport)
{
	struct spd_pkt p;

	memset(&p, 0, sizeof(p));
	p.dir = (enum spd_dir)dir;
	p.local = ip(local);
	p.remote = ip(remote);
	p.proto = proto;
	p.lport = lport;
	p.rport = rport;
	return p;
}

/* A host like the seed's servers: one IPv4 and one IPv6 address, a KDC next door. */
static struct spd *host_new(const char *policy, int level)
{
	struct spd *s = spd_new();
	struct ipaddr a;

	assert_non_null(s);
	a = ip(ME4);
	assert_int_equal(spd_add_local(s, &a, 24), 0);
	a = ip(ME6);
	assert_int_equal(spd_add_local(s, &a, 64), 0);
	a = ip(KDC4);
	assert_int_equal(spd_add_kdc(s, &a), 0);
	assert_int_equal(spd_set_no_default_exempt(s, level), 0);
	if (policy)
		assert_int_equal(spd_use_policy(s, spd_policy_find(s, policy)), 0);
	assert_int_equal(spd_compile(s), 0);
	return s;
}

static void check_row(const struct spd *s, const struct pcase *c)
{
	struct spd_pkt p = pkt(c->dir, c->local, c->remote, c->proto, c->lport, c->rport);
	struct spd_decision d, l;
	char line[512];
	int flags;

	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(spd_decide_linear(s, &p, &l), 0);
	spd_decision_fmt(&d, line, sizeof(line));
	print_message("  %-58s %s\n", c->what, line);
	assert_int_equal(d.verdict, c->v);
	assert_int_equal(d.why, c->why);
	if (c->rule) {
		assert_non_null(d.rule);
		assert_string_equal(d.rule->name, c->rule);
		assert_non_null(strstr(line, c->rule));
	} else {
		assert_null(d.rule);
	}
	flags = (d.initiate ? F_INIT : 0) | (d.accept_clear_in ? F_CLEAR : 0) |
		(d.fallback_clear_out ? F_FALLBK : 0);
	assert_int_equal(flags, c->flags);
	if (d.fallback_clear_out)
		assert_int_equal(d.fallback_ms, SPD_SOFT_MS_DEFAULT);
	/* the index and the linear scan agree */
	assert_int_equal(l.verdict, d.verdict);
	assert_int_equal(l.why, d.why);
	assert_ptr_equal(l.sf, d.sf);
}

static void run_table(const char *policy, int level, const struct pcase *t, size_t n)
{
	struct spd *s = host_new(policy, level);
	size_t i;

	print_message("policy %s, no-default-exempt %d\n", policy ? policy : "(none)", level);
	for (i = 0; i < n; i++)
		check_row(s, &t[i]);
	spd_free(s);
}

/* Seed: the back-end runs "Client (respond only)": "the front-end server can use IPSec to
 * communicate safely with the back-end server, while other clients ... can communicate with
 * the back-end server without needing to use IPSec". */
static const struct pcase respond_only[] = {
	{ "never initiates: reply to front-end HTTP goes in clear", OUT, ME4, PEER4, TCP, 80, 41000,
	  SPD_PERMIT, SPD_WHY_NO_MATCH, NULL, 0 },
	{ "never initiates: own connection out", OUT, ME4, FAR4, TCP, 50000, 443, SPD_PERMIT,
	  SPD_WHY_NO_MATCH, NULL, 0 },
	{ "legacy MAPI client without IPsec is served", IN, ME4, FAR4, TCP, 135, 50000, SPD_PERMIT,
	  SPD_WHY_NO_MATCH, NULL, 0 },
	{ "IKE request arrives (UDP 500): exempt, handled by DR rule", IN, ME4, PEER4, UDP, 500,
	  500, SPD_EXEMPT, SPD_WHY_IKE, NULL, 0 },
	{ "IKE behind NAT (UDP 4500)", IN, ME4, FAR4, UDP, 4500, 61000, SPD_EXEMPT, SPD_WHY_IKE,
	  NULL, 0 },
	{ "IPv6 too", OUT, ME6, PEER6, TCP, 40000, 80, SPD_PERMIT, SPD_WHY_NO_MATCH, NULL, 0 },
	{ "ICMP in clear", OUT, ME4, PEER4, ICMP, 0, 0, SPD_PERMIT, SPD_WHY_NO_MATCH, NULL, 0 },
};

/* Windows "Server (Request Security)": all IP -> request security (negotiate, accept
 * unsecured, fall back to clear with non-IPsec-aware computers), all ICMP -> permit. */
static const struct pcase server_request[] = {
	{ "front-end HTTP to back-end: negotiate, initiate", OUT, ME4, PEER4, TCP, 41000, 80,
	  SPD_PROTECT, SPD_WHY_FILTER, "all-ip", F_INIT | F_CLEAR | F_FALLBK },
	{ "falls back to clear only if the peer is silent (soft)", OUT, ME4, FAR4, TCP, 41000, 110,
	  SPD_PROTECT, SPD_WHY_FILTER, "all-ip", F_INIT | F_CLEAR | F_FALLBK },
	{ "inbound clear from a client accepted (inpass), no initiate", IN, ME4, FAR4, TCP, 143,
	  50000, SPD_PROTECT, SPD_WHY_FILTER, "all-ip", F_CLEAR | F_FALLBK },
	{ "ICMP permitted in server policies", OUT, ME4, PEER4, ICMP, 0, 0, SPD_PERMIT,
	  SPD_WHY_FILTER, "all-icmp", 0 },
	{ "ICMP permitted inbound", IN, ME4, FAR4, ICMP, 0, 0, SPD_PERMIT, SPD_WHY_FILTER,
	  "all-icmp", 0 },
	{ "ICMPv6 permitted", IN, ME6, PEER6, ICMP6, 0, 0, SPD_PERMIT, SPD_WHY_FILTER, "all-icmp",
	  0 },
	{ "all-ip never matches IKE (UDP 500 exempt)", OUT, ME4, PEER4, UDP, 500, 500, SPD_EXEMPT,
	  SPD_WHY_IKE, NULL, 0 },
	{ "remote source port 500 does not exempt", IN, ME4, FAR4, UDP, 53, 500, SPD_PROTECT,
	  SPD_WHY_FILTER, "all-ip", F_CLEAR | F_FALLBK },
	{ "Kerberos is filtered at level 3 (Windows Server 2003)", OUT, ME4, KDC4, UDP, 40000, 88,
	  SPD_PROTECT, SPD_WHY_FILTER, "all-ip", F_INIT | F_CLEAR | F_FALLBK },
	{ "subnet broadcast never negotiated: clear (soft)", OUT, ME4, "192.0.2.255", UDP, 137, 137,
	  SPD_PERMIT, SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "limited broadcast never negotiated", OUT, ME4, "255.255.255.255", UDP, 68, 67,
	  SPD_PERMIT, SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "multicast never negotiated", OUT, ME4, "224.0.0.251", UDP, 5353, 5353, SPD_PERMIT,
	  SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "IPv6 multicast never negotiated", OUT, ME6, "ff02::1", UDP, 547, 547, SPD_PERMIT,
	  SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "inbound multicast to a group address: no filter", IN, "224.0.0.251", PEER4, UDP, 5353,
	  5353, SPD_PERMIT, SPD_WHY_NO_MATCH, NULL, 0 },
	{ "IPv6 unicast negotiated", OUT, ME6, PEER6, TCP, 40000, 443, SPD_PROTECT, SPD_WHY_FILTER,
	  "all-ip", F_INIT | F_CLEAR | F_FALLBK },
	{ "ICMP (1) over IPv6 is not all-icmp's ICMPv6", OUT, ME6, PEER6, ICMP, 0, 0, SPD_PROTECT,
	  SPD_WHY_FILTER, "all-ip", F_INIT | F_CLEAR | F_FALLBK },
	{ "traffic to our own address never leaves the host", OUT, ME4, ME4, TCP, 40000, 80,
	  SPD_PERMIT, SPD_WHY_SELF, NULL, 0 },
};

/* Windows "Secure Server (Require Security)": all IP -> require security (negotiate,
 * accept unsecured but always respond using IPsec, no fallback), all ICMP -> permit. */
static const struct pcase secure_server[] = {
	{ "require never sends in clear (no soft)", OUT, ME4, PEER4, TCP, 41000, 80, SPD_PROTECT,
	  SPD_WHY_FILTER, "all-ip", F_INIT | F_CLEAR },
	{ "first packet in clear accepted, reply secured (inpass)", IN, ME4, FAR4, TCP, 80, 50000,
	  SPD_PROTECT, SPD_WHY_FILTER, "all-ip", F_CLEAR },
	{ "ICMP permitted", OUT, ME4, PEER4, ICMP, 0, 0, SPD_PERMIT, SPD_WHY_FILTER, "all-icmp",
	  0 },
	{ "IKE exempt", IN, ME4, PEER4, UDP, 500, 500, SPD_EXEMPT, SPD_WHY_IKE, NULL, 0 },
	{ "broadcast never negotiated and not leaked: blocked", OUT, ME4, "192.0.2.255", UDP, 137,
	  137, SPD_BLOCK, SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "multicast out blocked, never in clear", OUT, ME4, "239.1.2.3", UDP, 5000, 5000,
	  SPD_BLOCK, SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "IPv6 multicast out blocked", OUT, ME6, "ff05::2", UDP, 5000, 5000, SPD_BLOCK,
	  SPD_WHY_BCAST_NO_NEGOTIATE, "all-ip", 0 },
	{ "IPv6 unicast protected", OUT, ME6, PEER6, TCP, 40000, 80, SPD_PROTECT, SPD_WHY_FILTER,
	  "all-ip", F_INIT | F_CLEAR },
};

static void test_respond_only(void **state)
{
	(void)state;
	run_table(SPD_BUILTIN_RESPOND_ONLY, 3, respond_only,
		  sizeof(respond_only) / sizeof(respond_only[0]));
}

static void test_server_request(void **state)
{
	(void)state;
	run_table(SPD_BUILTIN_SERVER_REQUEST, 3, server_request,
		  sizeof(server_request) / sizeof(server_request[0]));
}

static void test_secure_server(void **state)
{
	(void)state;
	run_table(SPD_BUILTIN_SECURE_SERVER, 3, secure_server,
		  sizeof(secure_server) / sizeof(secure_server[0]));
}

/* Same traffic at each NoDefaultExempt level, under Require Security (which would otherwise
 * protect or block all of it). Expected verdicts follow the Windows Server 2003 table. */
struct lcase {
	const char *what;
	int dir;
	const char *local, *remote;
	uint8_t proto;
	uint16_t lport, rport;
	enum spd_verdict v[4]; /* at levels 0..3 */
};

#define PR SPD_PROTECT
#define EX SPD_EXEMPT
#define BL SPD_BLOCK
static const struct lcase levels[] = {
	{ "IKE", OUT, ME4, PEER4, UDP, 500, 500, { EX, EX, EX, EX } },
	{ "IKE NAT-T", IN, ME6, PEER6, UDP, 4500, 4500, { EX, EX, EX, EX } },
	{ "Kerberos to KDC port 88", OUT, ME4, KDC4, UDP, 40000, 88, { EX, PR, EX, PR } },
	{ "Kerberos TCP from KDC port 88", IN, ME4, KDC4, TCP, 40000, 88, { EX, PR, EX, PR } },
	/* KB 811832: source port 88 from anywhere must not open our ports. */
	{ "source port 88 from a non-KDC", IN, ME4, FAR4, TCP, 445, 88, { PR, PR, PR, PR } },
	{ "port 88 of a non-KDC", OUT, ME4, FAR4, UDP, 40000, 88, { PR, PR, PR, PR } },
	{ "RSVP", OUT, ME4, PEER4, RSVP, 0, 0, { EX, PR, EX, PR } },
	{ "subnet broadcast", OUT, ME4, "192.0.2.255", UDP, 138, 138, { EX, EX, BL, BL } },
	{ "multicast", OUT, ME4, "224.0.0.5", UDP, 520, 520, { EX, EX, BL, BL } },
	{ "IPv6 multicast", OUT, ME6, "ff02::9", UDP, 521, 521, { EX, EX, BL, BL } },
	{ "ordinary unicast", OUT, ME4, PEER4, TCP, 40000, 80, { PR, PR, PR, PR } },
};

static void test_exempt_levels(void **state)
{
	size_t i;
	int lvl;

	(void)state;
	for (lvl = 0; lvl <= 3; lvl++) {
		struct spd *s = host_new(SPD_BUILTIN_SECURE_SERVER, lvl);

		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			const struct lcase *c = &levels[i];
			struct spd_pkt p =
				pkt(c->dir, c->local, c->remote, c->proto, c->lport, c->rport);
			struct spd_decision d;

			assert_int_equal(spd_decide(s, &p, &d), 0);
			if (d.verdict != c->v[lvl])
				print_message("level %d: %s: got %s\n", lvl, c->what,
					      spd_verdict_str(d.verdict));
			assert_int_equal(d.verdict, c->v[lvl]);
		}
		spd_free(s);
	}
}

static void test_exemption_sets(void **state)
{
	struct spd *s = spd_new();
	const unsigned all =
		SPD_EX_IKE | SPD_EX_KERBEROS | SPD_EX_RSVP | SPD_EX_MULTICAST | SPD_EX_BROADCAST;

	(void)state;
	assert_int_equal(s->no_default_exempt, 3); /* Windows Server 2003 default */
	assert_int_equal(spd_exemptions(s), SPD_EX_IKE);
	spd_set_no_default_exempt(s, 0);
	assert_int_equal(spd_exemptions(s), all);
	spd_set_no_default_exempt(s, 1);
	assert_int_equal(spd_exemptions(s), SPD_EX_IKE | SPD_EX_MULTICAST | SPD_EX_BROADCAST);
	spd_set_no_default_exempt(s, 2);
	assert_int_equal(spd_exemptions(s), SPD_EX_IKE | SPD_EX_KERBEROS | SPD_EX_RSVP);
	assert_int_equal(spd_set_no_default_exempt(s, 4), -EINVAL);
	assert_int_equal(spd_set_no_default_exempt(s, -1), -EINVAL);
	spd_free(s);
}

/* We are the KDC: Kerberos to our port 88 is exempt at level 0/2, over IPv6 too. */
static void test_kerberos_local_kdc(void **state)
{
	struct spd *s = host_new(SPD_BUILTIN_SECURE_SERVER, 2);
	struct ipaddr k = ip(ME6);
	struct spd_pkt p = pkt(IN, ME6, PEER6, TCP, 88, 50000);
	struct spd_decision d;

	(void)state;
	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT); /* not yet a KDC */
	assert_int_equal(spd_add_kdc(s, &k), 0);
	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(d.verdict, SPD_EXEMPT);
	assert_int_equal(d.why, SPD_WHY_KERBEROS);
	p.lport = 89;
	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT);
	spd_free(s);
}

/* Respond only: the default response rule answers any IKE request, and never initiates. */
static void test_default_response(void **state)
{
	struct spd *s = host_new(SPD_BUILTIN_RESPOND_ONLY, 3);
	struct spd_policy *p = spd_policy_find(s, SPD_BUILTIN_RESPOND_ONLY);
	struct spd_pkt in = pkt(IN, ME4, PEER4, TCP, 80, 41000);
	struct spd_decision d;
	char line[512];

	(void)state;
	assert_int_equal(spd_sfilter_count(s), 0);
	assert_int_equal(spd_respond(s, &in, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT);
	assert_ptr_equal(d.rule, &p->dr);
	assert_true(d.rule->is_default_response);
	assert_false(d.initiate);
	assert_string_equal(d.action->name, SPD_BUILTIN_DEFAULT_RESPONSE);
	assert_true(d.action->nmethods > 0);
	spd_decision_fmt(&d, line, sizeof(line));
	assert_non_null(strstr(line, "default response"));
	assert_non_null(strstr(line, "never initiates"));
	/* The IKE traffic itself is not something to negotiate. */
	in = pkt(IN, ME4, PEER4, UDP, 500, 500);
	assert_int_equal(spd_respond(s, &in, &d), 0);
	assert_int_equal(d.verdict, SPD_BLOCK);
	/* Deactivated default response rule: refuse. */
	assert_int_equal(spd_policy_set_default_response(s, p, false, NULL), 0);
	in = pkt(IN, ME4, PEER4, TCP, 80, 41000);
	assert_int_equal(spd_respond(s, &in, &d), 0);
	assert_int_equal(d.verdict, SPD_BLOCK);
	assert_null(d.rule);
	spd_free(s);
}

/* A server policy answers with the covering rule, not the default response rule. */
static void test_respond_with_rule(void **state)
{
	struct spd *s = host_new(SPD_BUILTIN_SECURE_SERVER, 3);
	struct spd_pkt in = pkt(IN, ME4, PEER4, TCP, 80, 41000);
	struct spd_decision d;

	(void)state;
	assert_int_equal(spd_respond(s, &in, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT);
	assert_string_equal(d.rule->name, "all-ip");
	/* ICMP is permitted by a filter: nothing to negotiate */
	in = pkt(IN, ME4, PEER4, ICMP, 0, 0);
	assert_int_equal(spd_respond(s, &in, &d), 0);
	assert_int_equal(d.verdict, SPD_BLOCK);
	assert_int_equal(d.why, SPD_WHY_FILTER);
	spd_free(s);
}

/* ---- custom policies ---- */

static struct spd_filter flt(const char *src, const char *dst, uint16_t proto, uint16_t dlo,
			     uint16_t dhi, bool mirrored)
{
	struct spd_filter f;
	struct ipaddr a, b;
	char tmp[64], *dash, *slash;
	const char *side[2] = { src, dst };
	struct spd_addr *out[2];
	int i;

	spd_filter_init(&f);
	out[0] = &f.src;
	out[1] = &f.dst;
	for (i = 0; i < 2; i++) {
		if (!strcmp(side[i], "me")) {
			spd_addr_me(out[i]);
			continue;
		}
		if (!strcmp(side[i], "any"))
			continue;
		snprintf(tmp, sizeof(tmp), "%s", side[i]);
		dash = strchr(tmp, '-');
		slash = strchr(tmp, '/');
		if (dash) {
			*dash = 0;
			a = ip(tmp);
			b = ip(dash + 1);
			assert_int_equal(spd_addr_range(out[i], &a, &b), 0);
		} else if (slash) {
			*slash = 0;
			a = ip(tmp);
			assert_int_equal(spd_addr_prefix(out[i], &a, (unsigned)atoi(slash + 1)), 0);
		} else {
			a = ip(tmp);
			spd_addr_host(out[i], &a);
		}
	}
	f.proto = proto;
	f.dport_lo = dlo;
	f.dport_hi = dhi;
	f.mirrored = mirrored;
	return f;
}

static struct spd_action *esp_action(struct spd *s, const char *name, bool inpass, bool soft)
{
	struct spd_action *a;
	struct spd_method m;

	assert_int_equal(spd_action_new(s, name, SPD_ACT_NEGOTIATE, &a), 0);
	spd_method_init(&m, SPD_XF_ESP);
	m.esp_encr = ENCR_AES_GCM_16;
	m.esp_encr_bits = 128;
	assert_int_equal(spd_action_add_method(s, a, &m), 0);
	a->inpass = inpass;
	a->soft = soft;
	return a;
}

/* Adds a rule with a one-filter list named after the rule. */
static struct spd_rule *add_rule(struct spd *s, struct spd_policy *p, const char *name,
				 struct spd_filter f, const char *action)
{
	struct spd_filter_list *l;
	struct spd_rule *r;

	assert_int_equal(spd_filter_list_new(s, name, &l), 0);
	assert_int_equal(spd_filter_list_add(s, l, &f), 0);
	assert_int_equal(spd_rule_new(s, p, name, l, spd_action_find(s, action), &r), 0);
	return r;
}

static const char *winner(struct spd *s, struct spd_pkt p)
{
	struct spd_decision d, l;

	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(spd_decide_linear(s, &p, &l), 0);
	assert_ptr_equal(d.sf, l.sf);
	return d.rule ? d.rule->name : "-";
}

static void test_specificity(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_policy *p;

	(void)state;
	esp_action(s, "esp", false, false);
	assert_int_equal(spd_policy_new(s, "spec", &p), 0);
	/* Written from general to specific on purpose: order must not matter, weight does. */
	add_rule(s, p, "wide", flt("me", "10.9.0.0/16", SPD_PROTO_ANY, 0, 65535, true), "block");
	add_rule(s, p, "web-any", flt("me", "any", TCP, 443, 443, true), "block");
	add_rule(s, p, "subnet-web", flt("me", "10.9.1.0/24", TCP, 80, 80, true), "permit");
	add_rule(s, p, "host", flt("me", "10.9.1.5", SPD_PROTO_ANY, 0, 65535, true), "esp");
	add_rule(s, p, "range", flt("me", "10.9.2.1-10.9.2.6", SPD_PROTO_ANY, 0, 65535, true),
		 "permit");
	add_rule(s, p, "tcp-subnet", flt("me", "10.7.0.0/24", TCP, 0, 65535, true), "block");
	add_rule(s, p, "ssh-subnet", flt("me", "10.7.0.0/24", TCP, 22, 22, true), "esp");
	add_rule(s, p, "any-subnet", flt("me", "10.7.0.0/24", SPD_PROTO_ANY, 0, 65535, true),
		 "permit");
	add_rule(s, p, "ports-range", flt("me", "10.7.0.0/24", TCP, 1000, 2000, true), "permit");
	add_rule(s, p, "tie-first", flt("me", "10.8.0.1", SPD_PROTO_ANY, 0, 65535, true), "esp");
	add_rule(s, p, "tie-second", flt("me", "10.8.0.1", SPD_PROTO_ANY, 0, 65535, true), "block");
	assert_int_equal(spd_use_policy(s, p), 0);
	assert_int_equal(spd_compile(s), 0);

	/* address first: /32 beats /24 with a port */
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.1.5", TCP, 4000, 80)), "host");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.1.6", TCP, 4000, 80)), "subnet-web");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.1.6", UDP, 4000, 53)), "wide");
	/* a range of 6 addresses (3 host bits) beats a /16 */
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.2.3", UDP, 4000, 53)), "range");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.2.1", UDP, 4000, 53)), "range");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.2.6", UDP, 4000, 53)), "range");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.2.7", UDP, 4000, 53)), "wide");
	/* a /16 with any port beats any address with a port */
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.9.3.3", TCP, 4000, 443)), "wide");
	assert_string_equal(winner(s, pkt(OUT, ME4, "8.8.8.8", TCP, 4000, 443)), "web-any");
	/* same addresses: protocol, then single port beats a port range beats any port */
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.7.0.9", TCP, 4000, 22)), "ssh-subnet");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.7.0.9", TCP, 4000, 1500)), "ports-range");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.7.0.9", TCP, 4000, 23)), "tcp-subnet");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.7.0.9", UDP, 4000, 22)), "any-subnet");
	/* equal weight: the earlier rule wins */
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.8.0.1", UDP, 1, 2)), "tie-first");
	assert_string_equal(winner(s, pkt(IN, ME4, "10.8.0.1", UDP, 1, 2)), "tie-first");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.6.0.1", UDP, 1, 2)), "-");
	spd_free(s);
}

/* Equal weight inside one list: the earlier filter wins. */
static void test_filter_order_tie(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_filter_list *l;
	struct spd_policy *p;
	struct spd_filter f1 = flt("me", "10.5.0.0/24", UDP, 0, 65535, false);
	struct spd_filter f2 = flt("me", "10.5.0.0/24", UDP, 0, 65535, false);
	struct spd_decision d;
	struct spd_pkt k = pkt(OUT, ME4, "10.5.0.3", UDP, 9, 9);

	(void)state;
	assert_int_equal(spd_filter_list_new(s, "two", &l), 0);
	assert_int_equal(spd_filter_list_add(s, l, &f1), 0);
	assert_int_equal(spd_filter_list_add(s, l, &f2), 0);
	assert_int_equal(spd_policy_new(s, "p", &p), 0);
	assert_int_equal(spd_rule_new(s, p, NULL, l, spd_action_find(s, "block"), NULL), 0);
	assert_string_equal(p->rules[0]->name, "rule-1");
	spd_use_policy(s, p);
	spd_compile(s);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_int_equal(d.verdict, SPD_BLOCK);
	assert_int_equal(d.sf->filter_index, 0);
	spd_free(s);
}

/* Mirrored: one filter yields both directions; not mirrored: only the written one, and the
 * ports follow the direction (the reply comes *from* port 80). */
static void test_mirrored(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_policy *p;

	(void)state;
	esp_action(s, "esp", false, false);
	assert_int_equal(spd_policy_new(s, "m", &p), 0);
	add_rule(s, p, "one-way", flt("me", "10.6.0.1", TCP, 80, 80, false), "esp");
	add_rule(s, p, "both-ways", flt("me", "10.6.0.2", TCP, 80, 80, true), "esp");
	add_rule(s, p, "inbound-only", flt("10.6.0.3", "me", UDP, 53, 53, false), "esp");
	add_rule(s, p, "v6-both", flt("me", "2001:db8:1::/48", TCP, 443, 443, true), "esp");
	spd_use_policy(s, p);
	assert_int_equal(spd_compile(s), 0);

	assert_string_equal(winner(s, pkt(OUT, ME4, "10.6.0.1", TCP, 4000, 80)), "one-way");
	assert_string_equal(winner(s, pkt(IN, ME4, "10.6.0.1", TCP, 4000, 80)), "-");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.6.0.2", TCP, 4000, 80)), "both-ways");
	assert_string_equal(winner(s, pkt(IN, ME4, "10.6.0.2", TCP, 4000, 80)), "both-ways");
	/* the mirror swaps ports too: an inbound packet *to* our port 80 is not the reply */
	assert_string_equal(winner(s, pkt(IN, ME4, "10.6.0.2", TCP, 80, 4000)), "-");
	assert_string_equal(winner(s, pkt(IN, ME4, "10.6.0.3", UDP, 53, 4000)), "inbound-only");
	assert_string_equal(winner(s, pkt(OUT, ME4, "10.6.0.3", UDP, 4000, 53)), "-");
	assert_string_equal(winner(s, pkt(OUT, ME6, "2001:db8:1::9", TCP, 4000, 443)), "v6-both");
	assert_string_equal(winner(s, pkt(IN, ME6, "2001:db8:1:ffff::1", TCP, 4000, 443)),
			    "v6-both");
	assert_string_equal(winner(s, pkt(IN, ME6, "2001:db8:2::1", TCP, 4000, 443)), "-");
	/* specific filters: 1 + 2 + 1 + 2 */
	assert_int_equal(spd_sfilter_count(s), 6);
	spd_free(s);
}

/* The IP Security Monitor view of Server (Request Security) with one IPv4 and one IPv6
 * address: all-icmp (2 filters, one per family) and all-ip (both families) each expand into
 * an outbound and an inbound filter per local address. IPv4 first, then IPv6; within a
 * family ICMP first (more specific). */
static void test_sfilters_view(void **state)
{
	struct spd *s = host_new(SPD_BUILTIN_SERVER_REQUEST, 3);
	const struct spd_sfilter *sf;
	char line[256];
	size_t i, icmp = 0, ip_out = 0;

	(void)state;
	assert_int_equal(spd_sfilter_count(s), 8);
	for (i = 0; i < spd_sfilter_count(s); i++) {
		sf = spd_sfilter_get(s, i);
		assert_int_equal(sf->order, i);
		print_message("  %s\n", spd_sfilter_fmt(sf, line, sizeof(line)));
		assert_int_equal(sf->local.kind, SPD_ADDR_PREFIX); /* me expanded */
		assert_int_equal(sf->remote.kind, SPD_ADDR_ANY);
		if (i % 4 < 2) {
			assert_string_equal(sf->rule->name, "all-icmp");
			assert_int_equal(sf->in_act, SPD_SF_PERMIT);
			icmp++;
		} else {
			assert_string_equal(sf->rule->name, "all-ip");
			assert_int_equal(sf->in_act, SPD_SF_NEGOTIATE_INPASS);
			assert_int_equal(sf->out_act, SPD_SF_NEGOTIATE_SOFT);
			ip_out += sf->dir == SPD_DIR_OUT;
		}
		assert_int_equal(sf->af, i < 4 ? AF_INET : AF_INET6);
		if (i % 4)
			assert_true(spd_sfilter_get(s, i - 1)->weight > sf->weight ||
				    spd_sfilter_get(s, i - 1)->dir != sf->dir);
	}
	assert_int_equal(icmp, 4);
	assert_int_equal(ip_out, 2);
	assert_null(spd_sfilter_get(s, 8));
	spd_free(s);
}

static void test_builtins(void **state)
{
	struct spd *s = spd_new();
	struct spd_action *req = spd_action_find(s, SPD_BUILTIN_REQUEST);
	struct spd_action *rq = spd_action_find(s, SPD_BUILTIN_REQUIRE);
	struct spd_policy *p;
	size_t i;

	(void)state;
	assert_non_null(req);
	assert_non_null(rq);
	assert_true(req->inpass && req->soft);
	assert_int_equal(req->soft_ms, 3000);
	assert_true(rq->inpass && !rq->soft);
	assert_int_equal(spd_action_find(s, SPD_BUILTIN_PERMIT)->kind, SPD_ACT_PERMIT);
	for (i = 0; i < req->nmethods; i++) {
		assert_int_equal(spd_method_check(&req->methods[i], NULL), 0);
		assert_int_equal(req->methods[i].life_kb, 100000); /* Windows: 100 MB */
		assert_int_equal(req->methods[i].life_sec, 3600);  /* Windows: 1 hour */
	}
	assert_int_equal(spd_action_check(req, NULL), 0);
	p = spd_policy_find(s, SPD_BUILTIN_RESPOND_ONLY);
	assert_int_equal(p->nrules, 0);
	assert_true(p->dr.active);
	p = spd_policy_find(s, SPD_BUILTIN_SECURE_SERVER);
	assert_int_equal(p->nrules, 2);
	assert_ptr_equal(p->rules[0]->action, rq);
	assert_true(p->dr.active);
	assert_non_null(spd_filter_list_find(s, SPD_BUILTIN_ALL_IP));
	assert_int_equal(spd_filter_list_find(s, SPD_BUILTIN_ALL_ICMP)->nfilters, 2);
	/* No policy assigned: everything in clear. */
	assert_null(s->active);
	spd_free(s);
}

static void test_no_policy_and_stale(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_pkt p = pkt(OUT, ME4, PEER4, TCP, 1, 2);
	struct spd_decision d;
	struct ipaddr a = ip("192.0.2.77");

	(void)state;
	assert_int_equal(spd_decide(s, &p, &d), 0);
	assert_int_equal(d.verdict, SPD_PERMIT);
	assert_int_equal(d.why, SPD_WHY_NO_POLICY);
	assert_int_equal(spd_add_local(s, &a, 24), 0);
	assert_int_equal(spd_decide(s, &p, &d), -ESTALE);
	assert_int_equal(spd_compile(s), 0);
	p.remote = ip(PEER6); /* mixed families */
	assert_int_equal(spd_decide(s, &p, &d), -EINVAL);
	spd_free(s);
}

static void test_tunnel_and_inactive(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_policy *p;
	struct spd_rule *r;
	struct spd_decision d;
	struct spd_pkt k = pkt(OUT, ME4, "10.20.0.5", TCP, 4000, 143);
	struct ipaddr gw = ip("203.0.113.1");
	struct spd_auth au = { .kind = SPD_AUTH_PSK, .psk_path = (char *)"/etc/esprit/fw.psk" };

	(void)state;
	esp_action(s, "esp", false, false);
	assert_int_equal(spd_policy_new(s, "gw", &p), 0);
	r = add_rule(s, p, "to-fw", flt("me", "10.20.0.0/16", SPD_PROTO_ANY, 0, 65535, true),
		     "esp");
	assert_int_equal(spd_rule_set_tunnel(s, r, &gw, NULL), 0);
	assert_int_equal(spd_rule_add_auth(s, r, &au), 0);
	spd_use_policy(s, p);
	spd_compile(s);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_int_equal(d.verdict, SPD_PROTECT);
	assert_int_equal(d.rule->mode, SPD_MODE_TUNNEL);
	assert_true(ipaddr_eq(&d.rule->tunnel_remote, &gw));
	assert_string_equal(d.rule->auths[0].psk_path, "/etc/esprit/fw.psk");
	assert_ptr_not_equal(d.rule->auths[0].psk_path, au.psk_path); /* deep copy */
	assert_int_equal(spd_rule_set_active(s, r, false), 0);
	spd_compile(s);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_int_equal(d.why, SPD_WHY_NO_MATCH);
	spd_free(s);
}

static void test_api_refusals(void **state)
{
	struct spd *s = spd_new();
	struct spd_filter_list *l;
	struct spd_filter f;
	struct spd_action *a;
	struct spd_method m;
	struct spd_addr ad;
	struct ipaddr x = ip("10.0.0.9"), y = ip("10.0.0.1"), z = ip(PEER6);
	const char *why;
	char buf[128];
	struct spd_auth au = { .kind = SPD_AUTH_CERT };

	(void)state;
	assert_int_equal(spd_filter_list_new(s, "l", &l), 0);
	assert_int_equal(spd_filter_list_new(s, "l", NULL), -EEXIST);
	assert_int_equal(spd_filter_list_new(s, SPD_BUILTIN_ALL_IP, NULL), -EEXIST);
	assert_int_equal(spd_filter_list_new(s, "", NULL), -EINVAL);
	/* ports need TCP or UDP */
	f = flt("me", "10.0.0.1", ICMP, 80, 80, false);
	assert_int_equal(spd_filter_list_add(s, l, &f), -EINVAL);
	f = flt("me", "10.0.0.1", TCP, 80, 79, false);
	assert_int_equal(spd_filter_list_add(s, l, &f), -EINVAL);
	f = flt("10.0.0.1", PEER6, SPD_PROTO_ANY, 0, 65535, false); /* mixed families */
	assert_int_equal(spd_filter_list_add(s, l, &f), -EINVAL);
	f = flt("me", "10.0.0.1", 300, 0, 65535, false);
	assert_int_equal(spd_filter_list_add(s, l, &f), -EINVAL);
	assert_int_equal(l->nfilters, 0);
	/* addresses */
	assert_int_equal(spd_addr_range(&ad, &x, &y), -EINVAL);
	assert_int_equal(spd_addr_range(&ad, &y, &z), -EINVAL);
	assert_int_equal(spd_addr_prefix(&ad, &x, 33), -EINVAL);
	assert_int_equal(spd_addr_prefix(&ad, &x, 24), 0);
	assert_string_equal(spd_addr_fmt(&ad, buf, sizeof(buf)), "10.0.0.0/24");
	x = ip("10.0.0.0");
	y = ip("10.0.0.255");
	assert_int_equal(spd_addr_range(&ad, &x, &y), 0);
	assert_int_equal(ad.kind, SPD_ADDR_PREFIX); /* exact prefix */
	assert_string_equal(spd_addr_fmt(&ad, buf, sizeof(buf)), "10.0.0.0/24");
	y = ip("10.0.0.254");
	assert_int_equal(spd_addr_range(&ad, &x, &y), 0);
	assert_int_equal(ad.kind, SPD_ADDR_RANGE);
	assert_string_equal(spd_addr_fmt(&ad, buf, sizeof(buf)), "10.0.0.0-10.0.0.254");
	/* methods (RFC 4303 3.2: confidentiality-only ESP is not offered; combined modes carry
	 * their own integrity) */
	spd_method_init(&m, SPD_XF_ESP);
	assert_int_equal(m.life_kb, SPD_LIFE_KB_DEFAULT);
	m.esp_encr = ENCR_AES_GCM_16;
	m.esp_encr_bits = 128;
	assert_int_equal(spd_method_check(&m, &why), 0);
	m.esp_integ = AUTH_HMAC_SHA2_256_128;
	assert_int_equal(spd_method_check(&m, &why), -EINVAL);
	m.esp_encr = ENCR_AES_CBC;
	assert_int_equal(spd_method_check(&m, NULL), 0);
	m.esp_integ = AUTH_NONE;
	assert_int_equal(spd_method_check(&m, &why), -EINVAL);
	assert_non_null(why);
	m.esp_integ = AUTH_HMAC_SHA1_96;
	m.esp_encr_bits = 100;
	assert_int_equal(spd_method_check(&m, NULL), -EINVAL);
	m.esp_encr_bits = 256;
	m.life_sec = 0;
	assert_int_equal(spd_method_check(&m, NULL), -EINVAL);
	spd_method_init(&m, SPD_XF_AH);
	assert_int_equal(spd_method_check(&m, NULL), -EINVAL); /* AH without integrity */
	m.ah_integ = AUTH_HMAC_SHA2_256_128;
	assert_int_equal(spd_method_check(&m, NULL), 0);
	assert_string_equal(spd_method_fmt(&m, buf, sizeof(buf)),
			    "ah hmac-sha2-256 100000kb/3600s");
	spd_method_init(&m, SPD_XF_AH_ESP);
	m.ah_integ = AUTH_HMAC_SHA1_96;
	m.esp_encr = ENCR_AES_CBC;
	m.esp_encr_bits = 128;
	m.esp_integ = AUTH_HMAC_SHA1_96;
	assert_int_equal(spd_method_check(&m, NULL), 0);
	assert_string_equal(spd_method_fmt(&m, buf, sizeof(buf)),
			    "ah+esp hmac-sha1-96 + aes-cbc-128 hmac-sha1-96 100000kb/3600s");
	/* actions */
	assert_int_equal(spd_action_new(s, "neg", SPD_ACT_NEGOTIATE, &a), 0);
	assert_int_equal(spd_action_check(a, &why), -EINVAL); /* no method yet */
	assert_int_equal(spd_action_add_method(s, a, &m), 0);
	assert_int_equal(spd_action_check(a, NULL), 0);
	assert_int_equal(spd_action_add_method(s, spd_action_find(s, "permit"), &m), -EINVAL);
	assert_int_equal(spd_action_new(s, "neg", SPD_ACT_BLOCK, NULL), -EEXIST);
	/* auth: a certificate needs a CA */
	assert_int_equal(
		spd_rule_add_auth(s, spd_policy_find(s, SPD_BUILTIN_SECURE_SERVER)->rules[0], &au),
		-EINVAL);
	assert_int_equal(spd_policy_new(s, SPD_BUILTIN_RESPOND_ONLY, NULL), -EEXIST);
	spd_free(s);
}

/* IPv6 ranges: host bits of a range that crosses byte boundaries (borrow in the subtraction). */
static void test_ipv6_ranges(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_policy *p;

	(void)state;
	assert_int_equal(spd_policy_new(s, "v6", &p), 0);
	/* 0x10..0x2f: 32 addresses, 5 host bits: spec 123 beats a /120 */
	add_rule(s, p, "p120", flt("me", "2001:db8::/120", SPD_PROTO_ANY, 0, 65535, true), "block");
	add_rule(s, p, "r32", flt("me", "2001:db8::10-2001:db8::2f", SPD_PROTO_ANY, 0, 65535, true),
		 "permit");
	/* ff00 .. 1:00ff: 512 addresses, 9 host bits: spec 119 loses to a /120 */
	add_rule(s, p, "r512",
		 flt("me", "2001:db8::ff00-2001:db8::1:ff", SPD_PROTO_ANY, 0, 65535, true),
		 "permit");
	add_rule(s, p, "p120b", flt("me", "2001:db8::1:0/120", SPD_PROTO_ANY, 0, 65535, true),
		 "block");
	spd_use_policy(s, p);
	assert_int_equal(spd_compile(s), 0);
	assert_string_equal(winner(s, pkt(OUT, ME6, "2001:db8::20", UDP, 1, 2)), "r32");
	assert_string_equal(winner(s, pkt(OUT, ME6, "2001:db8::30", UDP, 1, 2)), "p120");
	assert_string_equal(winner(s, pkt(OUT, ME6, "2001:db8::1:10", UDP, 1, 2)), "p120b");
	assert_string_equal(winner(s, pkt(OUT, ME6, "2001:db8::ff10", UDP, 1, 2)), "r512");
	assert_string_equal(winner(s, pkt(IN, ME6, "2001:db8::1:ff", UDP, 1, 2)), "p120b");
	assert_string_equal(winner(s, pkt(IN, ME6, "2001:db8::1:100", UDP, 1, 2)), "-");
	assert_int_equal(spd_sfilter_get(s, 0)->weight, (128u + 123u) << 8);
	spd_free(s);
}

/* The one-line texts the CLI prints, pinned exactly for the seed's front-end case. */
static void test_text(void **state)
{
	struct spd *s = host_new(NULL, 3);
	struct spd_policy *p;
	struct spd_decision d;
	struct spd_pkt k = pkt(OUT, ME4, PEER4, TCP, 41000, 80);
	char line[512];

	(void)state;
	esp_action(s, "esp", false, false);
	assert_int_equal(spd_policy_new(s, "frontend", &p), 0);
	add_rule(s, p, "to-backend", flt("me", PEER4, TCP, 80, 80, true), "esp");
	spd_use_policy(s, p);
	assert_int_equal(spd_compile(s), 0);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_string_equal(spd_decision_fmt(&d, line, sizeof(line)),
			    "protect: rule 'to-backend' of policy 'frontend', filter #1 of "
			    "'to-backend' (me -> 192.0.2.2 tcp dport 80 mirrored), weight 0x4012, "
			    "action 'esp'; methods: esp aes-gcm-128 100000kb/3600s; inbound clear "
			    "refused; never sent in clear");
	assert_string_equal(spd_sfilter_fmt(d.sf, line, sizeof(line)),
			    "out 192.0.2.1 -> 192.0.2.2 tcp dport 80 rule 'to-backend' "
			    "in=negotiate out=negotiate weight 0x4012 #0");
	k = pkt(IN, ME4, PEER4, TCP, 41000, 80);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_string_equal(spd_sfilter_fmt(d.sf, line, sizeof(line)),
			    "in 192.0.2.2 -> 192.0.2.1 tcp sport 80 rule 'to-backend' "
			    "in=negotiate out=negotiate weight 0x4012 #1");
	k = pkt(OUT, ME4, PEER4, UDP, 500, 500);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_string_equal(spd_decision_fmt(&d, line, sizeof(line)),
			    "exempt: IKE (UDP local port 500/4500) is always exempt, never "
			    "negotiated");
	/* truncation is safe */
	assert_int_equal(strlen(spd_decision_fmt(&d, line, 10)), 9);
	spd_free(s);
}

/* IPv4 addresses whose unused bytes are not zero decide the same (callers may build them
 * from sockaddr buffers). */
static void test_ipv4_tail_bytes(void **state)
{
	struct spd *s = host_new(SPD_BUILTIN_SECURE_SERVER, 3);
	struct spd_pkt k = pkt(OUT, ME4, PEER4, ICMP, 0, 0);
	struct spd_decision d;

	(void)state;
	memset(k.local.b + 4, 0xa5, 12);
	memset(k.remote.b + 4, 0x5a, 12);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_int_equal(d.verdict, SPD_PERMIT);
	assert_string_equal(d.rule->name, "all-icmp");
	k.remote = k.local; /* self, despite different garbage */
	memset(k.remote.b + 4, 0x11, 12);
	assert_int_equal(spd_decide(s, &k, &d), 0);
	assert_int_equal(d.why, SPD_WHY_SELF);
	spd_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_respond_only),
		cmocka_unit_test(test_server_request),
		cmocka_unit_test(test_secure_server),
		cmocka_unit_test(test_exempt_levels),
		cmocka_unit_test(test_exemption_sets),
		cmocka_unit_test(test_kerberos_local_kdc),
		cmocka_unit_test(test_default_response),
		cmocka_unit_test(test_respond_with_rule),
		cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_filter_order_tie),
		cmocka_unit_test(test_mirrored),
		cmocka_unit_test(test_sfilters_view),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_no_policy_and_stale),
		cmocka_unit_test(test_tunnel_and_inactive),
		cmocka_unit_test(test_api_refusals),
		cmocka_unit_test(test_ipv6_ranges),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_ipv4_tail_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
