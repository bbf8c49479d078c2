/* nftables steering and enforcement through libnftables (see nft.h). */
#include "dataplane/nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/route.h"
#include "lib/log.h"

#define NFT_TEXT_MIN (64 * 1024)
#define NFT_TEXT_MAX (32 * 1024 * 1024)

struct sbuf {
	char *p;
	size_t cap, len;
	bool err;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len)
		s->err = true;
	else
		s->len += (size_t)n;
}

static void sb_addr(struct sbuf *s, const struct nft_addr *a)
{
	char lo[IPADDR_STRLEN], hi[IPADDR_STRLEN];

	ipaddr_fmt(&a->lo, lo);
	if (a->plen && a->plen == ipaddr_len(&a->lo) * 8)
		sb_add(s, "%s", lo);
	else if (a->plen)
		sb_add(s, "%s/%u", lo, a->plen);
	else if (ipaddr_eq(&a->lo, &a->hi))
		sb_add(s, "%s", lo);
	else
		sb_add(s, "%s-%s", lo, ipaddr_fmt(&a->hi, hi));
}

/* "ip saddr 10.0.0.1 " or "ip6 daddr { a, b } "; nothing for any address. */
static void sb_addrs(struct sbuf *s, uint8_t af, const char *field, const struct nft_addr *v,
		     size_t n)
{
	if (n == 0 || (n == 1 && v[0].lo.af == 0))
		return;
	sb_add(s, "%s %s ", af == AF_INET6 ? "ip6" : "ip", field);
	if (n > 1)
		sb_add(s, "{ ");
	for (size_t i = 0; i < n; i++) {
		sb_addr(s, &v[i]);
		sb_add(s, "%s", i + 1 < n ? ", " : " ");
	}
	if (n > 1)
		sb_add(s, "} ");
}

static const char *nft_proto_name(uint16_t proto, char *buf)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	}
	snprintf(buf, 8, "%u", proto);
	return buf;
}

/* One side's port match ("th dport 80 ", "th sport { 110, 143 } "), nothing for any. */
static void sb_ports(struct sbuf *s, const char *field, const struct nft_rule *r, bool local)
{
	uint16_t lo, hi;

	if (r->nports && r->ports_local == local) {
		sb_add(s, "th %s { ", field);
		for (size_t i = 0; i < r->nports; i++)
			sb_add(s, "%u%s", r->ports[i], i + 1 < r->nports ? ", " : " } ");
		return;
	}
	lo = local ? r->lport_lo : r->rport_lo;
	hi = local ? r->lport_hi : r->rport_hi;
	if (lo == 0 && hi == 65535)
		return;
	if (lo == hi)
		sb_add(s, "th %s %u ", field, lo);
	else
		sb_add(s, "th %s %u-%u ", field, lo, hi);
}

/* The local side: the shared named set when it is all of the host's addresses. */
static void sb_local(struct sbuf *s, const struct nft_rule *r, const char *field)
{
	bool v6 = r->af == AF_INET6;

	if (r->local_me)
		sb_add(s, "%s %s @me%c ", v6 ? "ip6" : "ip", field, v6 ? '6' : '4');
	else
		sb_addrs(s, r->af, field, r->local, r->nlocal);
}

/* The match part of one rule: outbound local -> remote, inbound remote -> local. */
static void sb_match(struct sbuf *s, const struct nft_rule *r, bool outbound)
{
	bool any_local = r->nlocal == 0 || (r->nlocal == 1 && r->local[0].lo.af == 0);
	char pb[8];

	if (any_local && r->remote.lo.af == 0)
		sb_add(s, "meta nfproto %s ", r->af == AF_INET6 ? "ipv6" : "ipv4");
	if (outbound) {
		sb_local(s, r, "saddr");
		sb_addrs(s, r->af, "daddr", &r->remote, 1);
	} else {
		sb_addrs(s, r->af, "saddr", &r->remote, 1);
		sb_local(s, r, "daddr");
	}
	if (r->proto == NFT_PROTO_ANY)
		return;
	sb_add(s, "meta l4proto %s ", nft_proto_name(r->proto, pb));
	sb_ports(s, "sport", r, outbound);
	sb_ports(s, "dport", r, !outbound);
}

static void sb_comment(struct sbuf *s, const struct nft_rule *r)
{
	char c[sizeof(r->comment)];
	size_t i;

	if (!r->comment[0]) {
		sb_add(s, "\n");
		return;
	}
	/* Names come from the configuration: nothing that could end the string. */
	for (i = 0; i + 1 < sizeof(c) && r->comment[i]; i++)
		c[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
			      "._-:#",
			      r->comment[i])
			       ? r->comment[i]
			       : '_';
	c[i] = 0;
	sb_add(s, " comment \"%s\"\n", c);
}

/* IPsec cannot protect broadcast or multicast (spd.h): before a negotiate rule, those
 * destinations go in clear or are dropped. */
static void sb_guard(struct sbuf *s, const struct nft_rule *r, bool outbound)
{
	if (!r->bm_guard)
		return;
	sb_add(s, "\t\t");
	sb_match(s, r, outbound);
	sb_add(s, "fib daddr type { broadcast, multicast } counter %s",
	       r->bm_clear ? "accept" : "drop");
	sb_comment(s, r);
}

static void sb_rule(struct sbuf *s, const struct nft_rule *r, bool outbound)
{
	sb_guard(s, r, outbound);
	sb_add(s, "\t\t");
	sb_match(s, r, outbound);
	switch (r->verdict) {
	case NFT_ACCEPT:
		sb_add(s, "counter accept");
		break;
	case NFT_DROP:
		sb_add(s, "counter drop");
		break;
	case NFT_STEER:
		sb_add(s, "counter meta mark set 0x%08x accept", DP_MARK_STEER);
		break;
	case NFT_REQUIRE:
		/* Plaintext only: what came through the TUN went to tun_in before. */
		sb_add(s, "counter drop");
		break;
	case NFT_INPASS:
		sb_add(s, "counter ct mark set ct mark or 0x%08x accept", NFT_CT_PROTECTED);
		break;
	}
	sb_comment(s, r);
}

/* Kerberos with a configured KDC at either end (spd.h): to the KDC's port 88, and from it
 * (when this host is the KDC). The same two rules serve both directions. */
static void sb_kdc(struct sbuf *s, const struct nft_ruleset *rs, uint8_t af)
{
	static const char *const dirs[2][2] = { { "saddr", "sport" }, { "daddr", "dport" } };
	size_t n = 0;

	for (size_t i = 0; i < rs->nkdc; i++)
		n += rs->kdc[i].af == af;
	for (unsigned d = 0; n && d < 2; d++) {
		size_t k = 0;

		sb_add(s, "\t\t%s %s { ", af == AF_INET6 ? "ip6" : "ip", dirs[d][0]);
		for (size_t i = 0; i < rs->nkdc; i++) {
			char t[IPADDR_STRLEN];

			if (rs->kdc[i].af != af)
				continue;
			sb_add(s, "%s%s", ipaddr_fmt(&rs->kdc[i], t), ++k < n ? ", " : "");
		}
		sb_add(s, " } meta l4proto { tcp, udp } th %s 88 counter accept\n", dirs[d][1]);
	}
}

/* Never steered, never required (DESIGN.md, spd default exemptions): IKE and NAT-T on our
 * local port (side: "sport" outbound, "dport" inbound), IPv6 neighbour discovery (it must stay
 * on the link it is about), then the exemptions of the configured level. */
static void sb_exempt(struct sbuf *s, const struct nft_ruleset *rs, bool outbound)
{
	sb_add(s, "\t\tudp %s { 500, 4500 } counter accept\n", outbound ? "sport" : "dport");
	sb_add(s, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
		  "nd-neighbor-advert, nd-redirect } counter accept\n");
	if (rs->exempt & NFT_EX_KERBEROS) {
		sb_kdc(s, rs, AF_INET);
		sb_kdc(s, rs, AF_INET6);
	}
	if (rs->exempt & NFT_EX_RSVP)
		sb_add(s, "\t\tmeta l4proto 46 counter accept\n");
	if (rs->exempt & NFT_EX_MULTICAST) {
		sb_add(s, "\t\tip daddr 224.0.0.0/4 counter accept\n");
		sb_add(s, "\t\tip6 daddr ff00::/8 counter accept\n");
	}
	if (rs->exempt & NFT_EX_BROADCAST) {
		sb_add(s, "\t\tip daddr 255.255.255.255 counter accept\n");
		sb_add(s, "\t\tfib daddr type broadcast counter accept\n");
	}
}

/* Named sets of the host's addresses, one per family that has any. */
static void sb_me(struct sbuf *s, const struct nft_ruleset *rs)
{
	for (unsigned v6 = 0; v6 < 2; v6++) {
		uint8_t af = v6 ? AF_INET6 : AF_INET;
		size_t n = 0, k = 0;

		for (size_t i = 0; i < rs->nme; i++)
			n += rs->me[i].af == af;
		if (!n)
			continue;
		sb_add(s, "\tset me%c {\n\t\ttype %s\n\t\telements = { ", v6 ? '6' : '4',
		       v6 ? "ipv6_addr" : "ipv4_addr");
		for (size_t i = 0; i < rs->nme; i++) {
			char t[IPADDR_STRLEN];

			if (rs->me[i].af == af)
				sb_add(s, "%s%s", ipaddr_fmt(&rs->me[i], t), ++k < n ? ", " : "");
		}
		sb_add(s, " }\n\t}\n");
	}
}

static void sb_steer(struct sbuf *s, const struct nft_ruleset *rs)
{
	sb_add(s, "\tchain steer {\n\t\ttype route hook output priority mangle; policy accept;\n");
	sb_add(s, "\t\tmeta mark 0x%08x meta l4proto { esp, ah } counter accept\n", DP_MARK_BYPASS);
	sb_add(s, "\t\tmeta mark 0x%08x udp sport { 500, 4500 } counter accept\n", DP_MARK_BYPASS);
	/* What else the daemon sends with the bypass mark is a soft flow after its fallback
	 * to clear: its replies are accepted in clear (enforce). */
	sb_add(s, "\t\tmeta mark 0x%08x counter ct mark set ct mark or 0x%08x accept\n",
	       DP_MARK_BYPASS, NFT_CT_CLEAR);
	sb_add(s, "\t\tmeta l4proto { esp, ah } counter accept\n");
	/* Traffic to ourselves never leaves the host: nothing to protect. */
	sb_add(s, "\t\toifname \"lo\" counter accept\n");
	sb_exempt(s, rs, true);
	for (size_t i = 0; i < rs->nout; i++)
		sb_rule(s, &rs->out[i], true);
	sb_add(s, "\t\tct mark and 0x%08x == 0x%08x counter meta mark set 0x%08x accept\n",
	       NFT_CT_PROTECTED, NFT_CT_PROTECTED, DP_MARK_STEER);
	sb_add(s, "\t}\n");
}

static void sb_enforce(struct sbuf *s, const struct nft_ruleset *rs)
{
	size_t last_block = 0;

	sb_add(s, "\tchain enforce {\n\t\ttype filter hook input priority filter; "
		  "policy accept;\n");
	sb_add(s, "\t\tiifname \"%s\" counter goto tun_in\n", rs->tun);
	sb_add(s, "\t\tiifname \"lo\" counter accept\n");
	/* Our own protocols arrive in clear by nature. */
	sb_add(s, "\t\tmeta l4proto { esp, ah } counter accept\n");
	sb_exempt(s, rs, false);
	sb_add(s, "\t\tct mark and 0x%08x == 0x%08x counter accept\n", NFT_CT_CLEAR, NFT_CT_CLEAR);
	for (size_t i = 0; i < rs->nin; i++)
		sb_rule(s, &rs->in[i], false);
	sb_add(s, "\t}\n");
	/* Protected packets: only a winning block rule stops them. Rules after the last block
	 * rule could only accept, which the end of the chain does anyway. */
	for (size_t i = 0; i < rs->nin; i++)
		if (rs->in[i].verdict == NFT_DROP)
			last_block = i + 1;
	sb_add(s, "\tchain tun_in {\n");
	for (size_t i = 0; i < last_block; i++) {
		sb_add(s, "\t\t");
		sb_match(s, &rs->in[i], false);
		sb_add(s, "counter %s", rs->in[i].verdict == NFT_DROP ? "drop" : "accept");
		sb_comment(s, &rs->in[i]);
	}
	sb_add(s, "\t\tcounter accept\n\t}\n");
}

/* Does any tunnel-mode rule apply to routed traffic? Without one, a host that is no gateway
 * gets exactly the local chains. */
static bool nft_gateway(const struct nft_ruleset *rs)
{
	for (size_t i = 0; i < rs->nout; i++)
		if (rs->out[i].fwd && rs->out[i].verdict != NFT_ACCEPT)
			return true;
	for (size_t i = 0; i < rs->nin; i++)
		if (rs->in[i].fwd && rs->in[i].verdict != NFT_ACCEPT)
			return true;
	return false;
}

/* Prerouting: what comes out of the TUN is marked (rp_filter, conntrack); a gateway also
 * steers routed packets here, before the routing decision, as the output hook does for
 * local ones (nft.h). */
static void sb_pre(struct sbuf *s, const struct nft_ruleset *rs)
{
	bool gw = nft_gateway(rs);

	sb_add(s, "\tchain pre {\n\t\ttype filter hook prerouting priority mangle; "
		  "policy accept;\n");
	if (!gw) {
		sb_add(s,
		       "\t\tiifname \"%s\" counter meta mark set 0x%08x ct mark set ct mark or "
		       "0x%08x\n\t}\n",
		       rs->tun, DP_MARK_STEER, NFT_CT_PROTECTED);
		return;
	}
	sb_add(s, "\t\tiifname \"%s\" counter goto pre_tun\n", rs->tun);
	/* For this host: the input hook enforces, replies leave through the output hook. */
	sb_add(s, "\t\tfib daddr type { local, broadcast, multicast } counter accept\n");
	sb_add(s, "\t\tmeta l4proto { esp, ah } counter accept\n");
	sb_exempt(s, rs, true);
	for (size_t i = 0; i < rs->nout; i++)
		if (rs->out[i].fwd)
			sb_rule(s, &rs->out[i], true);
	sb_add(s, "\t\tct mark and 0x%08x == 0x%08x counter meta mark set 0x%08x accept\n",
	       NFT_CT_PROTECTED, NFT_CT_PROTECTED, DP_MARK_STEER);
	sb_add(s, "\t}\n");
	/* Out of the TUN: what a tunnel rule routes into a network behind this gateway goes
	 * on in clear (route.h); into another tunnel when a tunnel rule steers it (a firewall
	 * between two tunnels); anything else keeps the steering mark, as on a host. */
	sb_add(s, "\tchain pre_tun {\n");
	sb_add(s, "\t\tcounter meta mark set 0x%08x ct mark set ct mark or 0x%08x\n", DP_MARK_STEER,
	       NFT_CT_PROTECTED);
	sb_add(s, "\t\tfib daddr type { local, broadcast, multicast } counter accept\n");
	for (size_t i = 0; i < rs->nout; i++)
		if (rs->out[i].fwd && rs->out[i].verdict == NFT_STEER)
			sb_rule(s, &rs->out[i], true);
	for (size_t i = 0; i < rs->nin; i++) {
		const struct nft_rule *r = &rs->in[i];

		if (!r->fwd || (r->verdict != NFT_REQUIRE && r->verdict != NFT_INPASS))
			continue;
		sb_add(s, "\t\t");
		sb_match(s, r, false);
		sb_add(s, "counter meta mark set 0x%08x accept", DP_MARK_ROUTEON);
		sb_comment(s, r);
	}
	sb_add(s, "\t}\n");
}

/* Forward: routed plaintext that a tunnel rule requires is dropped unless it came out of the
 * TUN (RFC 4301 5.2: inbound traffic not arriving on an SA is checked against the SPD). */
static void sb_forward(struct sbuf *s, const struct nft_ruleset *rs)
{
	if (!nft_gateway(rs))
		return;
	sb_add(s, "\tchain forward {\n\t\ttype filter hook forward priority filter; "
		  "policy accept;\n");
	sb_add(s, "\t\tiifname \"%s\" counter goto tun_in\n", rs->tun);
	/* Steered in prerouting: it leaves protected. */
	sb_add(s, "\t\toifname \"%s\" counter accept\n", rs->tun);
	sb_add(s, "\t\tmeta l4proto { esp, ah } counter accept\n");
	sb_exempt(s, rs, false);
	for (size_t i = 0; i < rs->nin; i++)
		if (rs->in[i].fwd)
			sb_rule(s, &rs->in[i], false);
	sb_add(s, "\t}\n");
}

int dp_nft_render(char *buf, size_t cap, const struct nft_ruleset *rs)
{
	struct sbuf s = { .p = buf, .cap = cap };

	if (cap)
		buf[0] = 0;
	/* "add" then "delete" makes the delete succeed whether or not the table existed, and
	 * the whole text is one transaction: there is no moment without the table. */
	sb_add(&s, "add table inet %s\ndelete table inet %s\n", DP_NFT_TABLE, DP_NFT_TABLE);
	sb_add(&s, "table inet %s {\n", DP_NFT_TABLE);
	sb_me(&s, rs);
	sb_steer(&s, rs);
	sb_add(&s, "\tchain mss {\n\t\ttype filter hook postrouting priority mangle; "
		   "policy accept;\n");
	sb_add(&s, "\t\toifname \"%s\" tcp flags syn counter tcp option maxseg size set rt mtu\n",
	       rs->tun);
	sb_add(&s, "\t}\n");
	sb_pre(&s, rs);
	sb_forward(&s, rs);
	sb_enforce(&s, rs);
	sb_add(&s, "}\n");
	return s.err ? -1 : (int)s.len;
}

static int dp_nft_run(const char *text)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *err;
	int rc;

	if (!ctx)
		return -ENOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, text);
	err = nft_ctx_get_error_buffer(ctx);
	if (rc != 0)
		log_err("nft: %s", err && *err ? err : "command failed");
	nft_ctx_free(ctx);
	return rc ? -EINVAL : 0;
}

int dp_nft_apply(const struct nft_ruleset *rs)
{
	size_t cap = NFT_TEXT_MIN;
	char *text = NULL;
	int rc;

	/* Rules vary in length (sets, comments): grow until the text fits. */
	for (;;) {
		char *t = realloc(text, cap);

		if (!t) {
			free(text);
			return -ENOMEM;
		}
		text = t;
		if (dp_nft_render(text, cap, rs) >= 0)
			break;
		if (cap >= NFT_TEXT_MAX) {
			log_err("nft: ruleset for %zu rules too large", rs->nout + rs->nin);
			free(text);
			return -EINVAL;
		}
		cap *= 2;
	}
	log_debug("nft: loading\n%s", text);
	rc = dp_nft_run(text);
	free(text);
	return rc;
}

int dp_nft_remove(void)
{
	char text[128];

	snprintf(text, sizeof(text), "add table inet %s\ndelete table inet %s\n", DP_NFT_TABLE,
		 DP_NFT_TABLE);
	return dp_nft_run(text);
}
