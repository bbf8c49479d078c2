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

/* One expectation on a chain's text (chain NULL: the whole ruleset). */
enum chk_op {
	CHK_HAS,      /* a is one of its lines */
	CHK_LACKS,    /* a does not occur in it */
	CHK_CONTAINS, /* a occurs in it */
	CHK_COUNT,    /* a occurs n times */
	CHK_BEFORE,   /* a and b occur, a first (nft: the first matching rule decides) */
};
struct chk {
	const char *chain;
	enum chk_op op;
	const char *a, *b;
	int n;
};
#define HAS(c, l)                      \
	{                              \
		c, CHK_HAS, l, NULL, 0 \
	}
#define LACKS(c, x)                      \
	{                                \
		c, CHK_LACKS, x, NULL, 0 \
	}
#define CONTAINS(c, x)                      \
	{                                   \
		c, CHK_CONTAINS, x, NULL, 0 \
	}
#define COUNT(c, x, k)                   \
	{                                \
		c, CHK_COUNT, x, NULL, k \
	}
#define BEFORE(c, x, y)                \
	{                              \
		c, CHK_BEFORE, x, y, 0 \
	}

/* A manual SA with one TCP selector (/32 both ends). */
struct sa_spec {
	enum sa_dir dir;
	uint32_t spi;
	bool require;
	const char *local, *remote;
	uint16_t lport, rport;
};

/* A configuration -- conf, or conf_with(list, action), or none at all when both are NULL --
 * on a host with locals and sas, and what its rendered ruleset must (not) say. */
struct steer_case {
	const char *name, *conf, *list, *action, *locals;
	struct sa_spec sas[3];
	struct chk chk[24];
};

#define NEGOTIATE "negotiate\nmethod esp aes-gcm-128"
#define STEER_R	  "counter meta mark set 0x0e5b0001 accept comment \"rule r\""
#define CT_STEER  "ct mark and 0x00e50000 == 0x00e50000 counter meta mark set 0x0e5b0001 accept"
#define KDC4_IN	  "ip daddr { 10.1.0.10 } meta l4proto { tcp, udp } th dport 88 counter accept"
#define KDC4_OUT  "ip saddr { 10.1.0.10 } meta l4proto { tcp, udp } th sport 88 counter accept"
#define KDC6_IN	  "ip6 daddr { 2001:db8:1::10 } meta l4proto { tcp, udp } th dport 88 counter accept"
/* Level 0 exempts the same in both hooks (the IKE line is per hook). */
#define EXEMPT0(c)                                                 \
	HAS(c, KDC4_IN), HAS(c, KDC4_OUT), HAS(c, KDC6_IN),        \
		HAS(c, "meta l4proto 46 counter accept"),          \
		HAS(c, "ip daddr 224.0.0.0/4 counter accept"),     \
		HAS(c, "ip6 daddr ff00::/8 counter accept"),       \
		HAS(c, "fib daddr type broadcast counter accept"), \
		BEFORE(c, "th dport 88", "comment") /* before the policy's rules */

static const char order_conf[] =
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

static const char gateway_conf[] = "filter-list nets {\n"
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
#define GW_OUT "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24 meta l4proto tcp th dport 80 counter "
#define GW_IN  "ip saddr 10.2.0.0/24 ip daddr 10.1.0.0/24 meta l4proto tcp th sport 80 counter "

static const struct steer_case steer_cases[] = {
	/* Front-end: negotiate for HTTP to the back-end, mirrored: outbound requests steered
	 * from both local addresses (one rule with the host's address set), inbound replies
	 * required; protected replies are not subject to the require rule; all of the host's
	 * IPv4 addresses are the shared named set, defined once; host destinations need no
	 * broadcast/multicast guard. */
	{ "negotiate_frontend",
	  NULL,
	  "me -> 10.1.0.2 tcp port 80 mirrored",
	  NEGOTIATE,
	  FE_LOCALS,
	  {},
	  {
		  HAS("steer",
		      "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport 80 " STEER_R),
		  COUNT("steer", "comment \"rule r\"", 1),
		  HAS("enforce", "ip saddr 10.1.0.2 ip daddr @me4 meta l4proto tcp th sport 80 "
				 "counter drop comment \"rule r\""),
		  COUNT("enforce", "comment \"rule r\"", 1),
		  LACKS("tun_in", "rule r"),
		  HAS("tun_in", "counter accept"),
		  CONTAINS(NULL, "\tset me4 {\n\t\ttype ipv4_addr\n\t\telements = { 10.1.0.1, "
				 "10.1.0.3 }\n\t}\n"),
		  CONTAINS(NULL, "\tset me6 {\n\t\ttype ipv6_addr\n\t\telements = { "
				 "2001:db8:1::1 }\n\t}\n"),
		  LACKS(NULL, "fib daddr type { broadcast, multicast }"),
	  } },
	/* Ports of one filter list line become one rule with a port set, both directions; a
	 * port range stays a range. */
	{ "port_sets",
	  NULL,
	  "me -> 10.1.0.2 tcp port { 80, 110, 143 } mirrored\n"
	  "me -> 10.1.0.2 tcp port 8000-8080 mirrored",
	  NEGOTIATE,
	  FE_LOCALS,
	  {},
	  {
		  HAS("steer", "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport "
			       "{ 80, 110, 143 } " STEER_R),
		  HAS("steer", "ip saddr @me4 ip daddr 10.1.0.2 meta l4proto tcp th dport "
			       "8000-8080 " STEER_R),
		  COUNT("steer", "comment \"rule r\"", 2),
		  HAS("enforce", "ip saddr 10.1.0.2 ip daddr @me4 meta l4proto tcp th sport "
				 "{ 80, 110, 143 } counter drop comment \"rule r\""),
		  COUNT("enforce", "comment \"rule r\"", 2),
	  } },
	/* Back-end requiring HTTP from anyone: plaintext to port 80 dropped; replies steered;
	 * a multicast guard in front of the steering rule (remote any, level 3). */
	{ "require_backend",
	  NULL,
	  "any -> me tcp port 80 mirrored",
	  NEGOTIATE,
	  BE_LOCALS,
	  {},
	  {
		  HAS("enforce", "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter drop "
				 "comment \"rule r\""),
		  HAS("steer", "ip saddr 10.1.0.2 meta l4proto tcp th sport 80 fib daddr type { "
			       "broadcast, multicast } counter drop comment \"rule r\""),
		  HAS("steer", "ip saddr 10.1.0.2 meta l4proto tcp th sport 80 " STEER_R),
		  BEFORE("steer", "fib daddr type {", "meta mark set 0x0e5b0001 accept comment"),
	  } },
	/* inpass: inbound plaintext accepted and its connection marked; not mirrored: no
	 * outbound rule, the reply is steered by the connection mark. */
	{ "inpass",
	  NULL,
	  "any -> me tcp port 80",
	  NEGOTIATE "\ninpass",
	  BE_LOCALS,
	  {},
	  {
		  HAS("enforce",
		      "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter ct mark set "
		      "ct mark or 0x00e50000 accept comment \"rule r\""),
		  LACKS("steer", "rule r"),
		  HAS("steer", CT_STEER),
	  } },
	/* soft: outbound broadcast and multicast may go in clear, inbound plaintext still
	 * required. */
	{ "soft",
	  NULL,
	  "me -> any udp port 53 mirrored",
	  NEGOTIATE "\nsoft",
	  BE_LOCALS,
	  {},
	  {
		  HAS("steer", "ip saddr 10.1.0.2 meta l4proto udp th dport 53 fib daddr type { "
			       "broadcast, multicast } counter accept comment \"rule r\""),
		  HAS("enforce", "ip daddr 10.1.0.2 meta l4proto udp th sport 53 counter drop "
				 "comment \"rule r\""),
	  } },
	/* permit passes both ways, also what arrives through the TUN. */
	{ "permit",
	  NULL,
	  "me -> 10.1.0.9 mirrored",
	  "permit",
	  BE_LOCALS,
	  {},
	  {
		  HAS("steer",
		      "ip saddr 10.1.0.2 ip daddr 10.1.0.9 counter accept comment \"rule r\""),
		  HAS("enforce", "ip saddr 10.1.0.9 ip daddr 10.1.0.2 counter accept comment "
				 "\"rule r\""),
		  LACKS("tun_in", "rule r"),
	  } },
	/* block drops both ways, also what arrives through the TUN. */
	{ "block",
	  NULL,
	  "me -> 10.1.0.0/24 mirrored",
	  "block",
	  BE_LOCALS,
	  {},
	  {
		  HAS("steer", "ip saddr 10.1.0.2 ip daddr 10.1.0.0/24 counter drop comment "
			       "\"rule r\""),
		  HAS("enforce", "ip saddr 10.1.0.0/24 ip daddr 10.1.0.2 counter drop comment "
				 "\"rule r\""),
		  HAS("tun_in", "ip saddr 10.1.0.0/24 ip daddr 10.1.0.2 counter drop comment "
				"\"rule r\""),
	  } },
	/* The most specific filter wins in spd; in nft the first rule does: the order must be
	 * spd's evaluation order (a permit for one host ahead of a block for its network,
	 * written after it), in tun_in too, so a protected packet from the permitted host is
	 * not dropped by the network's block. Ranges and IPv6 render too. */
	{ "order_and_families",
	  order_conf,
	  NULL,
	  NULL,
	  FE_LOCALS,
	  {},
	  {
		  BEFORE("steer", "ip daddr 10.1.0.9 counter accept comment \"rule ok\"",
			 "ip daddr 10.1.0.0/24 counter drop comment \"rule blk\""),
		  HAS("steer", "ip6 saddr 2001:db8:1::1 ip6 daddr 2001:db8:1::5-2001:db8:1::9 meta "
			       "l4proto tcp th dport 143 counter meta mark set 0x0e5b0001 accept "
			       "comment \"rule six\""),
		  BEFORE("tun_in", "ip saddr 10.1.0.9 ip daddr @me4 counter accept",
			 "ip saddr 10.1.0.0/24 ip daddr @me4 counter drop"),
		  LACKS("tun_in", "rule six"),
	  } },
	/* client-respond-only: nothing steered or required by itself; replies to what came
	 * through the TUN are (pre marks the connection, steer's last rule steers it). A soft
	 * flow the daemon sends in clear (bypass mark, neither ESP/AH nor IKE) marks its
	 * connection, whose replies are then accepted in clear. */
	{ "respond_only",
	  "use policy client-respond-only\n",
	  NULL,
	  NULL,
	  BE_LOCALS,
	  {},
	  {
		  LACKS(NULL, "comment"),
		  HAS("pre", "iifname \"esprit0\" counter meta mark set 0x0e5b0001 ct mark set ct "
			     "mark or 0x00e50000"),
		  HAS("steer", CT_STEER),
		  LACKS("enforce", "drop"),
		  HAS("enforce", "iifname \"esprit0\" counter goto tun_in"),
		  HAS("enforce", "ct mark and 0x00e60000 == 0x00e60000 counter accept"),
		  HAS("steer", "meta mark 0x0e5b0002 meta l4proto { esp, ah } counter accept"),
		  HAS("steer", "meta mark 0x0e5b0002 udp sport { 500, 4500 } counter accept"),
		  HAS("steer", "meta mark 0x0e5b0002 counter ct mark set ct mark or 0x00e60000 "
			       "accept"),
		  BEFORE("steer", "udp sport { 500, 4500 } counter accept",
			 "ct mark set ct mark or 0x00e60000"),
	  } },
	/* Exemptions by level (spd.h): level 0 exempts Kerberos with the KDCs, RSVP, multicast
	 * and broadcast, before the policy's rules. */
	{ "exemptions_level0",
	  "no-default-exempt 0\nkdc 10.1.0.10\nkdc 2001:db8:1::10\n"
	  "use policy secure-server-require-security\n",
	  NULL,
	  NULL,
	  BE_LOCALS,
	  {},
	  {
		  HAS("steer", "udp sport { 500, 4500 } counter accept"),
		  EXEMPT0("steer"),
		  HAS("enforce", "udp dport { 500, 4500 } counter accept"),
		  EXEMPT0("enforce"),
		  LACKS(NULL, "fib daddr type { broadcast, multicast }"),
	  } },
	/* Level 3 only IKE (and neighbour discovery, which the data path always keeps).
	 * secure-server: all ICMP permitted, more specific than all IP (require-security:
	 * negotiate + inpass), so first. */
	{ "exemptions_level3",
	  "kdc 10.1.0.10\nuse policy secure-server-require-security\n",
	  NULL,
	  NULL,
	  BE_LOCALS,
	  {},
	  {
		  LACKS(NULL, " 88 "),
		  LACKS(NULL, "l4proto 46"),
		  LACKS(NULL, "224.0.0.0/4"),
		  HAS("steer", "udp sport { 500, 4500 } counter accept"),
		  HAS("steer", "icmpv6 type { nd-router-solicit, nd-router-advert, "
			       "nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } counter "
			       "accept"),
		  HAS("enforce",
		      "ip daddr 10.1.0.2 meta l4proto icmp counter accept comment \"rule "
		      "all-icmp\""),
		  HAS("enforce",
		      "ip daddr 10.1.0.2 counter ct mark set ct mark or 0x00e50000 accept "
		      "comment \"rule all-ip\""),
		  BEFORE("enforce", "rule all-icmp", "rule all-ip"),
	  } },
	/* Manual SAs: outbound selectors steered, inbound `require` selectors required from
	 * anyone, after the policy's rules. */
	{ "manual_sas",
	  NULL,
	  "me -> 10.1.0.9 mirrored",
	  "block",
	  BE_LOCALS,
	  {
		  { SA_DIR_OUT, 0x1002, false, "10.1.0.2", "10.1.0.1", 80, 0 },
		  { SA_DIR_IN, 0x1001, true, "10.1.0.2", "10.1.0.1", 80, 0 },
		  { SA_DIR_IN, 0x1003, false, "10.1.0.2", "10.1.0.1", 110, 0 },
	  },
	  {
		  HAS("steer", "ip saddr 10.1.0.2 ip daddr 10.1.0.1 meta l4proto tcp th sport 80 "
			       "counter meta mark set 0x0e5b0001 accept comment \"sa 0x00001002\""),
		  BEFORE("steer", "rule r", "sa 0x00001002"),
		  HAS("enforce", "ip daddr 10.1.0.2 meta l4proto tcp th dport 80 counter drop "
				 "comment \"sa 0x00001001\""),
		  LACKS("enforce", "0x00001003"),
		  BEFORE("enforce", "rule r", "sa 0x00001001"),
	  } },
	/* No policy at all: the SAs alone, broadcast/multicast exempt as before. */
	{ "manual_sas_no_policy",
	  NULL,
	  NULL,
	  NULL,
	  "",
	  { { SA_DIR_OUT, 0x1002, false, "10.1.0.2", "10.1.0.1", 0, 0 } },
	  {
		  HAS("steer", "ip saddr 10.1.0.2 ip daddr 10.1.0.1 meta l4proto tcp counter meta "
			       "mark set 0x0e5b0001 accept comment \"sa 0x00001002\""),
		  HAS("steer", "ip daddr 224.0.0.0/4 counter accept"),
	  } },
	/* A gateway's tunnel rule: routed packets from the network behind it to the remote one
	 * are steered in prerouting, before the routing decision -- only the filter as written
	 * (its mirror image, coming back in clear, must not be steered back); the permit rule
	 * keeps its first-match place; the transport rule is not for routed traffic; replies
	 * of routed connections that arrived protected come last. Out of the TUN: marked as
	 * before (what no rule routes on goes back into the TUN, as on a host); what the tunnel
	 * rule brings into the network behind us is routed on (0x0e5b0003, route.h); what a
	 * tunnel rule steers goes into the TUN again. Routed plaintext the rule requires is
	 * dropped in the forward hook unless it came out of the TUN; what enters the tunnel
	 * from the network behind us is not required here. Local traffic: the output hook
	 * steers the tunnel rule (the gateway's own address is in the network) and the
	 * transport rule, as before. */
	{ "gateway_tunnel",
	  gateway_conf,
	  NULL,
	  NULL,
	  "10.1.0.254/24,10.9.0.1/24",
	  {},
	  {
		  HAS("pre", "iifname \"esprit0\" counter goto pre_tun"),
		  HAS("pre", "fib daddr type { local, broadcast, multicast } counter accept"),
		  HAS("pre", GW_OUT "meta mark set 0x0e5b0001 accept comment \"rule gw\""),
		  LACKS("pre", "ip saddr 10.2.0.0/24 ip daddr 10.1.0.0/24"),
		  HAS("pre",
		      "ip saddr 10.1.0.254 ip daddr 10.2.0.0/24 meta l4proto udp th dport 53 "
		      "counter accept comment \"rule dns\""),
		  BEFORE("pre", "rule dns", "rule gw"),
		  LACKS("pre", "rule local"),
		  HAS("pre", CT_STEER),
		  BEFORE("pre", "rule gw", "ct mark and 0x00e50000"),
		  HAS("pre_tun", "counter meta mark set 0x0e5b0001 ct mark set ct mark or "
				 "0x00e50000"),
		  HAS("pre_tun", GW_OUT "meta mark set 0x0e5b0001 accept comment \"rule gw\""),
		  HAS("pre_tun", GW_IN "meta mark set 0x0e5b0003 accept comment \"rule gw\""),
		  LACKS("pre_tun", "rule local"),
		  HAS("forward", "type filter hook forward priority filter; policy accept;"),
		  HAS("forward", "iifname \"esprit0\" counter goto tun_in"),
		  HAS("forward", GW_IN "drop comment \"rule gw\""),
		  LACKS("forward", "ip saddr 10.1.0.0/24 ip daddr 10.2.0.0/24"),
		  BEFORE("forward", "goto tun_in", "rule gw"),
		  LACKS("forward", "rule local"),
		  HAS("steer", GW_OUT "meta mark set 0x0e5b0001 accept comment \"rule gw\""),
		  CONTAINS("steer", "rule local"),
	  } },
	/* Transport only: prerouting marks TUN packets and nothing else (the type line and
	 * that rule), no forward chain at all. */
	{ "transport_no_forward",
	  NULL,
	  "me -> 10.1.0.2 tcp port 80 mirrored",
	  NEGOTIATE,
	  FE_LOCALS,
	  {},
	  {
		  HAS("pre", "iifname \"esprit0\" counter meta mark set 0x0e5b0001 ct mark set ct "
			     "mark or 0x00e50000"),
		  COUNT("pre", "\t\t", 2),
		  LACKS(NULL, "chain forward"),
	  } },
	/* A client's inbound `require` SA for the server's replies (selector tcp sport 80):
	 * the enforce rule follows the selector's protocol and ports -- plaintext TCP from port
	 * 80 to this host is dropped, other TCP to it is not (it was: `ip daddr ... meta
	 * l4proto tcp drop`, every TCP packet). */
	{ "require_follows_selector",
	  NULL,
	  NULL,
	  NULL,
	  "",
	  { { SA_DIR_IN, 0x1002, true, "10.1.0.1", "10.1.0.2", 0, 80 } },
	  {
		  HAS("enforce", "ip daddr 10.1.0.1 meta l4proto tcp th sport 80 counter drop "
				 "comment \"sa 0x00001002\""),
		  LACKS("enforce", "meta l4proto tcp counter drop"),
	  } },
};

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

static void chk_one(const char *t, const struct chk *k)
{
	static char ch[16384];
	const char *x = k->chain ? chain(t, k->chain, ch, sizeof(ch)) : t, *a, *b;

	switch (k->op) {
	case CHK_HAS:
		has_line(x, k->a);
		break;
	case CHK_LACKS:
		lacks(x, k->a);
		break;
	case CHK_CONTAINS:
		if (!strstr(x, k->a))
			fail_msg("missing '%s' in:\n%s", k->a, x);
		break;
	case CHK_COUNT:
		if (count_lines(x, k->a) != k->n)
			fail_msg("'%s' %d times, want %d, in:\n%s", k->a, count_lines(x, k->a),
				 k->n, x);
		break;
	case CHK_BEFORE:
		a = strstr(x, k->a);
		b = strstr(x, k->b);
		if (!a || !b || a > b)
			fail_msg("want '%s' before '%s' in:\n%s", k->a, k->b, x);
		break;
	}
}

static void test_case(void **st)
{
	const struct steer_case *sc = *st;
	char conf[512];
	struct dcfg c;
	const char *t;

	if (sc->conf)
		load(&c, sc->conf, sc->locals);
	else if (sc->list)
		load(&c, conf_with(conf, sizeof(conf), sc->list, sc->action), sc->locals);
	else
		dcfg_init(&c);
	for (size_t i = 0; i < ARRAY_SIZE(sc->sas) && sc->sas[i].local; i++) {
		const struct sa_spec *a = &sc->sas[i];

		sa_add(&c, a->dir, a->spi, a->require, a->local, a->remote, a->lport, a->rport);
	}
	t = render(&c);
	for (size_t i = 0; i < ARRAY_SIZE(sc->chk) && sc->chk[i].a; i++)
		chk_one(t, &sc->chk[i]);
	dcfg_free(&c);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(steer_cases) + 1];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(steer_cases); i++)
		tests[n++] = (struct CMUnitTest){ .name = steer_cases[i].name,
						  .test_func = test_case,
						  .initial_state = (void *)&steer_cases[i] };
	tests[n++] = (struct CMUnitTest){ .name = "comment_sanitised",
					  .test_func = test_comment_sanitised };
	return _cmocka_run_group_tests("test_steer", tests, n, NULL, NULL);
}
