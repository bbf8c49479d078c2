/* Steering and enforcement rule sets from the policy model (daemon/steer.c) and their nft
 * text (dataplane/nft.c): the exact rules expected for each filter action, exemption level
 * and manual SA, and every rendered ruleset accepted by the kernel's nftables (`nft -c -f`
 * inside a throw-away network namespace, when root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "daemon/dcfg.c"
#include "daemon/steer.c"
#include "dataplane/nft.c"

#define TEXT_MAX (256 * 1024)

static char text_buf[TEXT_MAX];

/* Load conf text with the given local addresses (comma separated "addr/plen"). */
static void load(struct dcfg *c, const char *conf, const char *locals)
{
	struct conf_opts o = { .flags = CONF_NO_SECRETS | CONF_NO_RESOLVE | CONF_NO_INCLUDE };
	struct conf_diags d = { 0 };
	char tmp[256], *save = NULL;
	int rc;

	dcfg_init(c);
	snprintf(tmp, sizeof(tmp), "%s", locals);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(t, '/');

		assert_non_null(slash);
		*slash = 0;
		assert_int_equal(ipaddr_parse(&c->locals[c->nlocals].addr, t), 0);
		c->locals[c->nlocals++].plen = (uint8_t)atoi(slash + 1);
	}
	o.locals = c->locals;
	o.nlocals = c->nlocals;
	rc = conf_load_buf("test.conf", conf, strlen(conf), &o, &c->spd, &d);
	if (rc < 0)
		conf_diags_print(&d, stderr);
	conf_diags_free(&d);
	assert_int_equal(rc, 0);
	assert_non_null(c->spd);
}

/* The nft text for c, also checked by the kernel when we can. */
static const char *render(const struct dcfg *c)
{
	struct nft_ruleset rs;
	char path[] = "/tmp/test_steer_XXXXXX", cmd[256];
	FILE *f;
	int fd, rc;

	assert_int_equal(steer_build(c, "esprit0", &rs), 0);
	assert_true(dp_nft_render(text_buf, sizeof(text_buf), &rs) > 0);
	steer_free(&rs);
	if (getenv("TEST_STEER_DUMP"))
		fputs(text_buf, stderr);
	if (geteuid() != 0 || system("command -v nft >/dev/null && command -v unshare "
				     ">/dev/null") != 0)
		return text_buf;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text_buf, f);
	fclose(f);
	/* A fresh network namespace: the check cannot touch the host's ruleset. */
	snprintf(cmd, sizeof(cmd), "unshare -n nft -c -f %s", path);
	rc = system(cmd);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "nft -c rejected:\n%s", text_buf);
	assert_int_equal(rc, 0);
	return text_buf;
}

/* The chain's body, from "chain NAME {" to its closing brace. */
static const char *chain(const char *text, const char *name, char *out, size_t cap)
{
	char head[64];
	const char *b, *e;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	b = strstr(text, head);
	assert_non_null(b);
	e = strstr(b, "\n\t}\n");
	assert_non_null(e);
	e++; /* keep the last rule's newline */
	assert_true((size_t)(e - b) < cap);
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = 0;
	return out;
}

static void has_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\t\t%s\n", line);
	if (!strstr(text, want))
		fail_msg("missing line:\n%s\nin:\n%s", line, text);
}

static void lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected '%s' in:\n%s", part, text);
}

/* Lines of a chain that follow its fixed prelude, i.e. the rules from policy and SAs. */
static int count_lines(const char *text, const char *part)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, part)); p++)
		n++;
	return n;
}

#define FE_LOCALS "10.1.0.1/24,10.1.0.3/24,2001:db8:1::1/64"
#define BE_LOCALS "10.1.0.2/24"

static const char *conf_with(char *buf, size_t cap, const char *list, const char *action)
{
	snprintf(buf, cap,
		 "filter-list f {\n%s\n}\n"
		 "action a {\n%s\n}\n"
		 "policy p {\nrule r {\nfilters f\naction a\n}\n}\n"
		 "use policy p\n",
		 list, action);
	return buf;
}

/* Front-end: negotiate for HTTP to the back-end, mirrored: outbound requests steered from
 * both local addresses (one rule with the host's address set), inbound replies required. */
static void test_negotiate_frontend(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c,
	     conf_with(conf, sizeof(conf), "me -> 10.1.0.2 tcp port 80 mirrored",
		       "negotiate\nmethod esp aes-gcm-128"),
	     FE_LOCALS);
	t = render(&c);
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport "
		     "80 counter meta mark set 0x0e5b0001 accept comment \"rule r\"");
	assert_int_equal(count_lines(ch, "comment \"rule r\""), 1);
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.2 ip daddr @me4 meta l4proto tcp th sport "
		     "80 counter drop comment \"rule r\"");
	assert_int_equal(count_lines(ch, "comment \"rule r\""), 1);
	/* Protected replies are not subject to the require rule. */
	chain(t, "tun_in", ch, sizeof(ch));
	lacks(ch, "rule r");
	has_line(ch, "counter accept");
	/* All of the host's IPv4 addresses: the shared named set, defined once. */
	assert_non_null(strstr(t, "\tset me4 {\n\t\ttype ipv4_addr\n\t\telements = { 10.1.0.1, "
				  "10.1.0.3 }\n\t}\n"));
	assert_non_null(strstr(t, "\tset me6 {\n\t\ttype ipv6_addr\n\t\telements = { "
				  "2001:db8:1::1 }\n\t}\n"));
	/* Host destinations: no broadcast/multicast guard needed. */
	lacks(t, "fib daddr type { broadcast, multicast }");
	dcfg_free(&c);
}

/* Ports of one filter list line become one rule with a port set, both directions; a port
 * range stays a range. */
static void test_port_sets(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c,
	     conf_with(conf, sizeof(conf),
		       "me -> 10.1.0.2 tcp port { 80, 110, 143 } mirrored\n"
		       "me -> 10.1.0.2 tcp port 8000-8080 mirrored",
		       "negotiate\nmethod esp aes-gcm-128"),
	     FE_LOCALS);
	t = render(&c);
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport "
		     "{ 80, 110, 143 } counter meta mark set 0x0e5b0001 accept comment \"rule r\"");
	has_line(ch, "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport "
		     "8000-8080 counter meta mark set 0x0e5b0001 accept comment \"rule r\"");
	assert_int_equal(count_lines(ch, "comment \"rule r\""), 2);
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.2 ip daddr @me4 meta l4proto tcp th sport "
		     "{ 80, 110, 143 } counter drop comment \"rule r\"");
	assert_int_equal(count_lines(ch, "comment \"rule r\""), 2);
	dcfg_free(&c);
}

/* Back-end requiring HTTP from anyone: plaintext to port 80 dropped; replies steered; a
 * multicast guard in front of the steering rule (remote any, level 3). */
static void test_require_backend(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c,
	     conf_with(conf, sizeof(conf), "any -> me tcp port 80 mirrored",
		       "negotiate\nmethod esp aes-gcm-128"),
	     BE_LOCALS);
	t = render(&c);
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter drop comment "
		     "\"rule r\"");
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.2 meta l4proto tcp th sport 80 fib daddr type { broadcast, "
		     "multicast } counter drop comment \"rule r\"");
	has_line(ch, "ip saddr 10.1.0.2 meta l4proto tcp th sport 80 counter meta mark set "
		     "0x0e5b0001 accept comment \"rule r\"");
	/* The guard comes first. */
	assert_true(strstr(ch, "fib daddr type {") < strstr(ch, "meta mark set 0x0e5b0001 accept "
								"comment"));
	dcfg_free(&c);
}

/* inpass: inbound plaintext accepted and its connection marked; soft: outbound broadcast
 * and multicast may go in clear, inbound plaintext still required. */
static void test_inpass_soft(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c,
	     conf_with(conf, sizeof(conf), "any -> me tcp port 80",
		       "negotiate\nmethod esp aes-gcm-128\ninpass"),
	     BE_LOCALS);
	t = render(&c);
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch,
		 "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter ct mark set ct mark or "
		 "0x00e50000 accept comment \"rule r\"");
	/* Not mirrored: no outbound rule; the reply is steered by the connection mark. */
	chain(t, "steer", ch, sizeof(ch));
	lacks(ch, "rule r");
	has_line(ch, "ct mark and 0x00e50000 == 0x00e50000 counter meta mark set 0x0e5b0001 "
		     "accept");
	dcfg_free(&c);

	load(&c,
	     conf_with(conf, sizeof(conf), "me -> any udp port 53 mirrored",
		       "negotiate\nmethod esp aes-gcm-128\nsoft"),
	     BE_LOCALS);
	t = render(&c);
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.2 meta l4proto udp th dport 53 fib daddr type { broadcast, "
		     "multicast } counter accept comment \"rule r\"");
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip daddr 10.1.0.2 meta l4proto udp th sport 53 counter drop comment "
		     "\"rule r\"");
	dcfg_free(&c);
}

/* permit passes both ways; block drops both ways, also what arrives through the TUN. */
static void test_permit_block(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c, conf_with(conf, sizeof(conf), "me -> 10.1.0.9 mirrored", "permit"), BE_LOCALS);
	t = render(&c);
	has_line(chain(t, "steer", ch, sizeof(ch)),
		 "ip saddr 10.1.0.2 ip daddr 10.1.0.9 counter accept comment \"rule r\"");
	has_line(chain(t, "enforce", ch, sizeof(ch)),
		 "ip saddr 10.1.0.9 ip daddr 10.1.0.2 counter accept comment \"rule r\"");
	lacks(chain(t, "tun_in", ch, sizeof(ch)), "rule r");
	dcfg_free(&c);

	load(&c, conf_with(conf, sizeof(conf), "me -> 10.1.0.0/24 mirrored", "block"), BE_LOCALS);
	t = render(&c);
	has_line(chain(t, "steer", ch, sizeof(ch)),
		 "ip saddr 10.1.0.2 ip daddr 10.1.0.0/24 counter drop comment \"rule r\"");
	has_line(chain(t, "enforce", ch, sizeof(ch)),
		 "ip saddr 10.1.0.0/24 ip daddr 10.1.0.2 counter drop comment \"rule r\"");
	has_line(chain(t, "tun_in", ch, sizeof(ch)),
		 "ip saddr 10.1.0.0/24 ip daddr 10.1.0.2 counter drop comment \"rule r\"");
	dcfg_free(&c);
}

/* The most specific filter wins in spd; in nft the first rule does: the order must be
 * spd's evaluation order (a permit for one host ahead of a block for its network, written
 * after it). Ranges and IPv6 render too. */
static void test_order_and_families(void **st)
{
	static const char conf[] =
		"filter-list net {\nme -> 10.1.0.0/24 mirrored\n}\n"
		"filter-list host {\nme -> 10.1.0.9 mirrored\n}\n"
		"filter-list v6 {\nme -> 2001:db8:1::5-2001:db8:1::9 tcp port 143 mirrored\n}\n"
		"action esp {\nnegotiate\nmethod esp aes-gcm-128\n}\n"
		"policy p {\n"
		"rule blk {\nfilters net\naction block\n}\n"
		"rule ok {\nfilters host\naction permit\n}\n"
		"rule six {\nfilters v6\naction esp\n}\n"
		"}\n"
		"use policy p\n";
	char ch[8192];
	struct dcfg c;
	const char *t, *ok, *blk;

	(void)st;
	load(&c, conf, FE_LOCALS);
	t = render(&c);
	chain(t, "steer", ch, sizeof(ch));
	ok = strstr(ch, "ip daddr 10.1.0.9 counter accept comment \"rule ok\"");
	blk = strstr(ch, "ip daddr 10.1.0.0/24 counter drop comment \"rule blk\"");
	assert_non_null(ok);
	assert_non_null(blk);
	assert_true(ok < blk);
	has_line(ch,
		 "ip6 saddr 2001:db8:1::1 ip6 daddr 2001:db8:1::5-2001:db8:1::9 meta l4proto "
		 "tcp th dport 143 counter meta mark set 0x0e5b0001 accept comment \"rule six\"");
	/* tun_in: the permit before the block keeps its place, so a protected packet from the
	 * permitted host is not dropped by the network's block. */
	chain(t, "tun_in", ch, sizeof(ch));
	ok = strstr(ch, "ip saddr 10.1.0.9 ip daddr @me4 counter accept");
	blk = strstr(ch, "ip saddr 10.1.0.0/24 ip daddr @me4 counter drop");
	assert_non_null(ok);
	assert_non_null(blk);
	assert_true(ok < blk);
	lacks(ch, "rule six");
	dcfg_free(&c);
}

/* client-respond-only: nothing steered or required by itself; replies to what came through
 * the TUN are (pre marks the connection, steer's last rule steers it). */
static void test_respond_only(void **st)
{
	char ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c, "use policy client-respond-only\n", BE_LOCALS);
	t = render(&c);
	lacks(t, "comment");
	has_line(chain(t, "pre", ch, sizeof(ch)),
		 "iifname \"esprit0\" counter meta mark set 0x0e5b0001 ct mark set ct mark or "
		 "0x00e50000");
	has_line(chain(t, "steer", ch, sizeof(ch)),
		 "ct mark and 0x00e50000 == 0x00e50000 counter meta mark set 0x0e5b0001 accept");
	chain(t, "enforce", ch, sizeof(ch));
	lacks(ch, "drop");
	has_line(ch, "iifname \"esprit0\" counter goto tun_in");
	/* A soft flow the daemon sends in clear (bypass mark, neither ESP/AH nor IKE) marks its
	 * connection, whose replies are then accepted in clear. */
	has_line(ch, "ct mark and 0x00e60000 == 0x00e60000 counter accept");
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "meta mark 0x0e5b0002 meta l4proto { esp, ah } counter accept");
	has_line(ch, "meta mark 0x0e5b0002 udp sport { 500, 4500 } counter accept");
	has_line(ch, "meta mark 0x0e5b0002 counter ct mark set ct mark or 0x00e60000 accept");
	assert_true(strstr(ch, "udp sport { 500, 4500 } counter accept") <
		    strstr(ch, "ct mark set ct mark or 0x00e60000"));
	dcfg_free(&c);
}

/* Exemptions by level (spd.h): level 0 exempts Kerberos with the KDCs, RSVP, multicast and
 * broadcast; level 3 only IKE (and neighbour discovery, which the data path always keeps). */
static void test_exemptions(void **st)
{
	static const char conf0[] = "no-default-exempt 0\n"
				    "kdc 10.1.0.10\nkdc 2001:db8:1::10\n"
				    "use policy secure-server-require-security\n";
	static const char conf3[] = "kdc 10.1.0.10\n"
				    "use policy secure-server-require-security\n";
	char ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c, conf0, BE_LOCALS);
	t = render(&c);
	for (int k = 0; k < 2; k++) {
		chain(t, k ? "enforce" : "steer", ch, sizeof(ch));
		has_line(ch, k ? "udp dport { 500, 4500 } counter accept"
			       : "udp sport { 500, 4500 } counter accept");
		has_line(ch, "ip daddr { 10.1.0.10 } meta l4proto { tcp, udp } th dport 88 counter "
			     "accept");
		has_line(ch, "ip saddr { 10.1.0.10 } meta l4proto { tcp, udp } th sport 88 counter "
			     "accept");
		has_line(ch, "ip6 daddr { 2001:db8:1::10 } meta l4proto { tcp, udp } th dport 88 "
			     "counter accept");
		has_line(ch, "meta l4proto 46 counter accept");
		has_line(ch, "ip daddr 224.0.0.0/4 counter accept");
		has_line(ch, "ip6 daddr ff00::/8 counter accept");
		has_line(ch, "fib daddr type broadcast counter accept");
		/* Exemptions come before the policy's rules. */
		assert_true(strstr(ch, "th dport 88") < strstr(ch, "comment"));
	}
	lacks(t, "fib daddr type { broadcast, multicast }");
	dcfg_free(&c);

	load(&c, conf3, BE_LOCALS);
	t = render(&c);
	lacks(t, " 88 ");
	lacks(t, "l4proto 46");
	lacks(t, "224.0.0.0/4");
	has_line(chain(t, "steer", ch, sizeof(ch)), "udp sport { 500, 4500 } counter accept");
	has_line(ch, "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
		     "nd-neighbor-advert, nd-redirect } counter accept");
	/* secure-server: all ICMP permitted, more specific than all IP (require-security:
	 * negotiate + inpass), so first. */
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip daddr 10.1.0.2 meta l4proto icmp counter accept comment \"rule "
		     "all-icmp\"");
	has_line(ch, "ip daddr 10.1.0.2 counter ct mark set ct mark or 0x00e50000 accept comment "
		     "\"rule all-ip\"");
	assert_true(strstr(ch, "rule all-icmp") < strstr(ch, "rule all-ip"));
	dcfg_free(&c);
}

static void sa_add(struct dcfg *c, enum sa_dir dir, uint32_t spi, bool require, const char *local,
		   const char *remote, uint16_t lport, uint16_t rport)
{
	struct dcfg_sa s;

	memset(&s, 0, sizeof(s));
	s.p.dir = dir;
	s.p.spi = spi;
	s.require = require;
	s.nsel = 1;
	assert_int_equal(ipaddr_parse(&s.sel[0].local, local), 0);
	assert_int_equal(ipaddr_parse(&s.sel[0].remote, remote), 0);
	s.sel[0].local_plen = s.sel[0].remote_plen = 32;
	s.sel[0].proto = 6;
	s.sel[0].lport = lport;
	s.sel[0].rport = rport;
	assert_int_equal(dcfg_add_sa(c, &s), 0);
}

/* Manual SAs: outbound selectors steered, inbound `require` selectors required from anyone,
 * after the policy's rules; without a policy, broadcast and multicast stay exempt. */
static void test_manual_sas(void **st)
{
	char conf[512], ch[8192];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c, conf_with(conf, sizeof(conf), "me -> 10.1.0.9 mirrored", "block"), BE_LOCALS);
	sa_add(&c, SA_DIR_OUT, 0x1002, false, "10.1.0.2", "10.1.0.1", 80, 0);
	sa_add(&c, SA_DIR_IN, 0x1001, true, "10.1.0.2", "10.1.0.1", 80, 0);
	sa_add(&c, SA_DIR_IN, 0x1003, false, "10.1.0.2", "10.1.0.1", 110, 0);
	t = render(&c);
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.2 ip daddr 10.1.0.1 meta l4proto tcp th sport 80 counter "
		     "meta mark set 0x0e5b0001 accept comment \"sa 0x00001002\"");
	assert_true(strstr(ch, "rule r") < strstr(ch, "sa 0x00001002"));
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter drop comment "
		     "\"sa 0x00001001\"");
	lacks(ch, "0x00001003");
	assert_true(strstr(ch, "rule r") < strstr(ch, "sa 0x00001001"));
	dcfg_free(&c);

	/* No policy at all: the SAs alone, broadcast/multicast exempt as before. */
	dcfg_init(&c);
	sa_add(&c, SA_DIR_OUT, 0x1002, false, "10.1.0.2", "10.1.0.1", 0, 0);
	t = render(&c);
	has_line(chain(t, "steer", ch, sizeof(ch)),
		 "ip saddr 10.1.0.2 ip daddr 10.1.0.1 meta l4proto tcp counter meta mark set "
		 "0x0e5b0001 accept comment \"sa 0x00001002\"");
	has_line(ch, "ip daddr 224.0.0.0/4 counter accept");
	dcfg_free(&c);
}

/* Names from the configuration cannot break out of the comment string. */
static void test_comment_sanitised(void **st)
{
	struct nft_ruleset rs = { .tun = "esprit0" };
	struct nft_rule r = { .af = AF_INET, .proto = NFT_PROTO_ANY, .verdict = NFT_DROP };

	(void)st;
	snprintf(r.comment, sizeof(r.comment), "rule a\"; flush ruleset; \"");
	rs.out = &r;
	rs.nout = 1;
	assert_true(dp_nft_render(text_buf, sizeof(text_buf), &rs) > 0);
	has_line(text_buf, "meta nfproto ipv4 counter drop comment \"rule a__ flush ruleset_ _\"");
	/* Too small a buffer: -1, never a truncated ruleset. */
	assert_int_equal(dp_nft_render(text_buf, 100, &rs), -1);
}

/* A gateway's tunnel rule: routed packets from the network behind it to the remote one are
 * steered in prerouting, before the routing decision; routed plaintext the rule requires is
 * dropped in the forward hook unless it came out of the TUN; local traffic is handled as
 * before (output hook, input hook). A transport-only host gets no forward chain at all. */
static void test_gateway_tunnel(void **st)
{
	static const char conf[] = "filter-list nets {\n"
				   "10.1.0.0/24 -> 10.2.0.0/24 tcp port 80 mirrored\n"
				   "}\n"
				   "filter-list host {\n10.1.0.254 -> 10.2.0.0/24 udp port 53\n}\n"
				   "action a {\nnegotiate\nmethod esp aes-gcm-128\n}\n"
				   "action pass {\npermit\n}\n"
				   "policy p {\n"
				   "rule dns {\nfilters host\naction pass\n}\n"
				   "rule gw {\nfilters nets\naction a\n"
				   "mode tunnel 10.9.0.2 local 10.9.0.1\n}\n"
				   "rule local {\nfilters local\naction a\n}\n"
				   "}\n"
				   "filter-list local {\nme -> 10.9.0.7 tcp port 22\n}\n"
				   "use policy p\n";
	char ch[8192], conf2[512];
	struct dcfg c;
	const char *t;

	(void)st;
	load(&c, conf, "10.1.0.254/24,10.9.0.1/24");
	t = render(&c);
	chain(t, "pre", ch, sizeof(ch));
	has_line(ch, "iifname \"esprit0\" counter goto pre_tun");
	has_line(ch, "fib daddr type { local, broadcast, multicast } counter accept");
	has_line(ch, "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24 meta l4proto tcp th dport 80 "
		     "counter meta mark set 0x0e5b0001 accept comment \"rule gw\"");
	/* Only the filter as written enters the tunnel: its mirror image, coming back in
	 * clear, must not be steered back. */
	lacks(ch, "ip saddr 10.2.0.0/24 ip daddr 10.1.0.0/24");
	/* The permit rule keeps its first-match place; the transport rule is not for routed
	 * traffic. */
	has_line(ch, "ip saddr 10.1.0.254 ip daddr 10.2.0.0/24 meta l4proto udp th dport 53 "
		     "counter accept comment \"rule dns\"");
	assert_true(strstr(ch, "rule dns") < strstr(ch, "rule gw"));
	lacks(ch, "rule local");
	/* Replies of routed connections that arrived protected, last. */
	has_line(ch, "ct mark and 0x00e50000 == 0x00e50000 counter meta mark set 0x0e5b0001 "
		     "accept");
	assert_true(strstr(ch, "rule gw") < strstr(ch, "ct mark and 0x00e50000"));
	/* Out of the TUN: marked as before (what no rule routes on goes back into the TUN, as
	 * on a host); what the tunnel rule brings into the network behind us is routed on
	 * (0x0e5b0003, route.h); what a tunnel rule steers goes into the TUN again. */
	chain(t, "pre_tun", ch, sizeof(ch));
	has_line(ch, "counter meta mark set 0x0e5b0001 ct mark set ct mark or 0x00e50000");
	has_line(ch, "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24 meta l4proto tcp th dport 80 "
		     "counter meta mark set 0x0e5b0001 accept comment \"rule gw\"");
	has_line(ch, "ip saddr 10.2.0.0/24 ip daddr 10.1.0.0/24 meta l4proto tcp th sport 80 "
		     "counter meta mark set 0x0e5b0003 accept comment \"rule gw\"");
	lacks(ch, "rule local");
	chain(t, "forward", ch, sizeof(ch));
	has_line(ch, "type filter hook forward priority filter; policy accept;");
	has_line(ch, "iifname \"esprit0\" counter goto tun_in");
	has_line(ch, "ip saddr 10.2.0.0/24 ip daddr 10.1.0.0/24 meta l4proto tcp th sport 80 "
		     "counter drop comment \"rule gw\"");
	/* What enters the tunnel from the network behind us is not required here. */
	lacks(ch, "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24");
	assert_true(strstr(ch, "goto tun_in") < strstr(ch, "rule gw"));
	lacks(ch, "rule local");
	/* Local traffic: the output hook steers the tunnel rule (the gateway's own address is
	 * in the network) and the transport rule, as before. */
	chain(t, "steer", ch, sizeof(ch));
	has_line(ch, "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24 meta l4proto tcp th dport 80 "
		     "counter meta mark set 0x0e5b0001 accept comment \"rule gw\"");
	assert_non_null(strstr(ch, "rule local"));
	dcfg_free(&c);

	/* Transport only: prerouting marks TUN packets and nothing else, no forward chain. */
	load(&c,
	     conf_with(conf2, sizeof(conf2), "me -> 10.1.0.2 tcp port 80 mirrored",
		       "negotiate\nmethod esp aes-gcm-128"),
	     FE_LOCALS);
	t = render(&c);
	chain(t, "pre", ch, sizeof(ch));
	has_line(ch, "iifname \"esprit0\" counter meta mark set 0x0e5b0001 ct mark set ct mark or "
		     "0x00e50000");
	assert_int_equal(count_lines(ch, "\t\t"), 2); /* the type line and that rule */
	lacks(t, "chain forward");
	dcfg_free(&c);
}

/* A client's inbound `require` SA for the server's replies (selector tcp sport 80): the
 * enforce rule follows the selector's protocol and ports -- plaintext TCP from port 80 to
 * this host is dropped, other TCP to it is not (it was: `ip daddr ... meta l4proto tcp
 * drop`, every TCP packet). */
static void test_require_follows_selector(void **st)
{
	struct dcfg c;
	char ch[8192];
	const char *t;

	(void)st;
	dcfg_init(&c);
	sa_add(&c, SA_DIR_IN, 0x1002, true, "10.1.0.1", "10.1.0.2", 0, 80);
	t = render(&c);
	chain(t, "enforce", ch, sizeof(ch));
	has_line(ch, "ip daddr 10.1.0.1 meta l4proto tcp th sport 80 counter drop comment "
		     "\"sa 0x00001002\"");
	lacks(ch, "meta l4proto tcp counter drop");
	dcfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_negotiate_frontend),
		cmocka_unit_test(test_port_sets),
		cmocka_unit_test(test_require_backend),
		cmocka_unit_test(test_inpass_soft),
		cmocka_unit_test(test_permit_block),
		cmocka_unit_test(test_order_and_families),
		cmocka_unit_test(test_respond_only),
		cmocka_unit_test(test_exemptions),
		cmocka_unit_test(test_manual_sas),
		cmocka_unit_test(test_comment_sanitised),
		cmocka_unit_test(test_gateway_tunnel),
		cmocka_unit_test(test_require_follows_selector),
		/* clang-format on */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
