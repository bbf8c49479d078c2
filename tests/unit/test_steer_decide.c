/* The steering rule sets decide every packet the way the policy engine does: for each of
 * several policies, every combination of a small address, protocol and port space, in both
 * directions, the first matching rule (matched here by a plain reimplementation of nft's
 * semantics over struct nft_rule) must give spd_decide()'s verdict:
 *   permit (filter) -> accept, no filter -> no rule, block -> drop,
 *   protect outbound -> steer, inbound -> require, or inpass when clear is accepted.
 * Exemptions, traffic to self and broadcast/multicast are decided by the fixed prelude of
 * the chains (covered by test_steer), so such packets are left out here. */
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

#include "conf/conf.h"
#include "daemon/dcfg.c"
#include "daemon/steer.c"
#include "dataplane/nft.c"

static const char *const locals_txt[] = { "10.1.0.1", "10.1.0.3", "2001:db8:1::1" };
static const char *const remotes_txt[] = { "10.1.0.2",	    "10.1.0.9",	     "10.1.0.66",
					   "10.2.0.5",	    "192.0.2.7",     "2001:db8:1::2",
					   "2001:db8:1::7", "2001:db8:2::1", "10.1.0.200" };
static const uint8_t protos[] = { 6, 17, 1, 58, 47 };
static const uint16_t ports[] = { 80, 110, 143, 8080, 1024, 40000, 53, 7777 };

static bool addr_has(const struct nft_addr *a, const struct ipaddr *ip)
{
	unsigned n = ipaddr_len(ip);

	if (a->lo.af == 0)
		return true;
	if (a->lo.af != ip->af)
		return false;
	if (a->plen) {
		for (unsigned bit = 0; bit < a->plen; bit++) {
			uint8_t m = (uint8_t)(0x80u >> (bit % 8));

			if ((a->lo.b[bit / 8] & m) != (ip->b[bit / 8] & m))
				return false;
		}
		return true;
	}
	return memcmp(a->lo.b, ip->b, n) <= 0 && memcmp(ip->b, a->hi.b, n) <= 0;
}

static bool port_has(const struct nft_rule *r, bool local, uint16_t port)
{
	if (r->nports && r->ports_local == local) {
		for (size_t i = 0; i < r->nports; i++)
			if (r->ports[i] == port)
				return true;
		return false;
	}
	return local ? port >= r->lport_lo && port <= r->lport_hi
		     : port >= r->rport_lo && port <= r->rport_hi;
}

static bool rule_has(const struct nft_rule *r, const struct spd_pkt *p)
{
	bool local = r->nlocal == 0;

	if (r->af != p->local.af)
		return false;
	for (size_t i = 0; i < r->nlocal; i++)
		local |= addr_has(&r->local[i], &p->local);
	if (!local || !addr_has(&r->remote, &p->remote))
		return false;
	if (r->proto == NFT_PROTO_ANY)
		return true;
	return r->proto == p->proto && port_has(r, true, p->lport) && port_has(r, false, p->rport);
}

static const struct nft_rule *first(const struct nft_ruleset *rs, const struct spd_pkt *p)
{
	const struct nft_rule *v = p->dir == SPD_DIR_OUT ? rs->out : rs->in;
	size_t n = p->dir == SPD_DIR_OUT ? rs->nout : rs->nin;

	for (size_t i = 0; i < n; i++)
		if (rule_has(&v[i], p))
			return &v[i];
	return NULL;
}

static void check_pkt(const struct spd *s, const struct nft_ruleset *rs, const struct spd_pkt *p,
		      unsigned *checked)
{
	const struct nft_rule *r = first(rs, p);
	struct spd_decision d;
	int want = -1;

	assert_int_equal(spd_decide_linear(s, p, &d), 0);
	if (d.verdict == SPD_EXEMPT || d.why == SPD_WHY_SELF || d.why == SPD_WHY_BCAST_NO_NEGOTIATE)
		return;
	(*checked)++;
	if (d.why == SPD_WHY_NO_MATCH) {
		if (r) {
			char buf[256];

			fail_msg("no filter matches, rule '%s' does: %s", r->comment,
				 spd_decision_fmt(&d, buf, sizeof(buf)));
		}
		return;
	}
	switch (d.verdict) {
	case SPD_PERMIT:
		want = NFT_ACCEPT;
		break;
	case SPD_BLOCK:
		want = NFT_DROP;
		break;
	case SPD_PROTECT:
		want = p->dir == SPD_DIR_OUT ? NFT_STEER
					     : (d.accept_clear_in ? NFT_INPASS : NFT_REQUIRE);
		break;
	case SPD_EXEMPT:
		break;
	}
	if (!r || (int)r->verdict != want) {
		char buf[256], l[IPADDR_STRLEN], rm[IPADDR_STRLEN];

		fail_msg(
			"%s %s:%u %s:%u proto %u: spd says %s, first rule %s (verdict %d, want %d)",
			p->dir == SPD_DIR_OUT ? "out" : "in", ipaddr_fmt(&p->local, l), p->lport,
			ipaddr_fmt(&p->remote, rm), p->rport, p->proto,
			spd_decision_fmt(&d, buf, sizeof(buf)), r ? r->comment : "none",
			r ? (int)r->verdict : -1, want);
	}
}

/* Every packet of the space against one policy; returns how many were compared. */
static unsigned check_policy(const char *conf)
{
	struct conf_opts o = { .flags = CONF_NO_SECRETS | CONF_NO_RESOLVE | CONF_NO_INCLUDE };
	struct conf_diags diags = { 0 };
	struct nft_ruleset rs;
	struct spd_local loc[3];
	struct ipaddr rem[ARRAY_SIZE(remotes_txt)];
	unsigned checked = 0;
	struct dcfg c;
	int rc;

	dcfg_init(&c);
	for (size_t i = 0; i < ARRAY_SIZE(locals_txt); i++) {
		assert_int_equal(ipaddr_parse(&loc[i].addr, locals_txt[i]), 0);
		loc[i].plen = loc[i].addr.af == AF_INET ? 24 : 64;
	}
	for (size_t i = 0; i < ARRAY_SIZE(remotes_txt); i++)
		assert_int_equal(ipaddr_parse(&rem[i], remotes_txt[i]), 0);
	o.locals = loc;
	o.nlocals = ARRAY_SIZE(loc);
	rc = conf_load_buf("test.conf", conf, strlen(conf), &o, &c.spd, &diags);
	if (rc < 0)
		conf_diags_print(&diags, stderr);
	conf_diags_free(&diags);
	assert_int_equal(rc, 0);
	assert_int_equal(steer_build(&c, "esprit0", &rs), 0);
	for (size_t li = 0; li < ARRAY_SIZE(loc); li++)
		for (size_t ri = 0; ri < ARRAY_SIZE(rem); ri++) {
			struct spd_pkt p = { .local = loc[li].addr, .remote = rem[ri] };

			if (p.local.af != p.remote.af)
				continue;
			for (size_t k = 0; k < ARRAY_SIZE(protos) * 2; k++) {
				p.dir = k & 1 ? SPD_DIR_IN : SPD_DIR_OUT;
				p.proto = protos[k / 2];
				for (size_t a = 0; a < ARRAY_SIZE(ports); a++)
					for (size_t b = 0; b < ARRAY_SIZE(ports); b++) {
						bool tu = p.proto == 6 || p.proto == 17;

						p.lport = tu ? ports[a] : 0;
						p.rport = tu ? ports[b] : 0;
						check_pkt(c.spd, &rs, &p, &checked);
					}
			}
		}
	steer_free(&rs);
	dcfg_free(&c);
	return checked;
}

/* The front-end of examples/frontend.conf (auth left out): HTTP, POP3, IMAP to the back-end,
 * IPv4 and IPv6, mirrored. */
static void test_frontend(void **st)
{
	static const char conf[] = "kdc 10.1.0.10\n"
				   "filter-list mail-to-backend {\n"
				   "me -> 10.1.0.2 tcp port 80 mirrored\n"
				   "me -> 10.1.0.2 tcp port { 110, 143 } mirrored\n"
				   "me -> 2001:db8:1::2 tcp port { 80, 110, 143 } mirrored\n"
				   "}\n"
				   "action require-esp {\n"
				   "negotiate\n"
				   "method esp aes-gcm-128\n"
				   "}\n"
				   "policy frontend {\n"
				   "rule to-backend {\n"
				   "filters mail-to-backend\n"
				   "action require-esp\n"
				   "}\n"
				   "}\n"
				   "use policy frontend\n";
	(void)st;
	assert_true(check_policy(conf) > 1000);
}

/* The three built-in policies. */
static void test_builtins(void **st)
{
	(void)st;
	assert_true(check_policy("use policy client-respond-only\n") > 1000);
	assert_true(check_policy("use policy server-request-security\n") > 1000);
	assert_true(check_policy("use policy secure-server-require-security\n") > 1000);
}

/* Overlapping filters of every action, prefixes, ranges, port ranges, one-way filters,
 * inpass and soft: the first nft rule must always be spd's most specific filter. */
static void test_overlaps(void **st)
{
	static const char conf[] = "filter-list net {\n"
				   "me -> 10.1.0.0/24 mirrored\n"
				   "me -> 2001:db8:1::/64 mirrored\n"
				   "}\n"
				   "filter-list hosts {\n"
				   "me -> 10.1.0.2 tcp port 1024-65535 mirrored\n"
				   "10.1.0.9 -> me udp sport 53\n"
				   "me -> 10.1.0.60-10.1.0.70 mirrored\n"
				   "any -> me tcp port 143\n"
				   "}\n"
				   "filter-list web {\n"
				   "any -> me tcp port { 80, 8080 } mirrored\n"
				   "me -> 2001:db8:1::7 mirrored\n"
				   "}\n"
				   "filter-list icmp {\n"
				   "me -> any icmp mirrored\n"
				   "}\n"
				   "action esp {\n"
				   "negotiate\n"
				   "method esp aes-gcm-128\n"
				   "}\n"
				   "action esp-in {\n"
				   "negotiate\n"
				   "method esp aes-gcm-128\n"
				   "inpass\n"
				   "}\n"
				   "action esp-soft {\n"
				   "negotiate\n"
				   "method esp aes-gcm-128\n"
				   "soft\n"
				   "}\n"
				   "policy p {\n"
				   "rule a {\n"
				   "filters net\n"
				   "action block\n"
				   "}\n"
				   "rule b {\n"
				   "filters hosts\n"
				   "action esp\n"
				   "}\n"
				   "rule c {\n"
				   "filters web\n"
				   "action esp-in\n"
				   "}\n"
				   "rule d {\n"
				   "filters icmp\n"
				   "action permit\n"
				   "}\n"
				   "rule e {\n"
				   "filters all-ip\n"
				   "action esp-soft\n"
				   "}\n"
				   "}\n"
				   "use policy p\n";
	(void)st;
	assert_true(check_policy(conf) > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frontend),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
