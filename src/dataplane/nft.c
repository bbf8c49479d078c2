/* nftables steering and enforcement through libnftables (see nft.h). */
#include "dataplane/nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"

#define NFT_TEXT_MAX (256 * 1024)

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

static void sb_prefix(struct sbuf *s, const char *field, const struct ipaddr *a, uint8_t plen)
{
	char txt[IPADDR_STRLEN];
	const char *fam = a->af == AF_INET6 ? "ip6" : "ip";

	if (plen == 0 && a->af == AF_INET6) {
		sb_add(s, "meta nfproto ipv6 ");
		return;
	}
	if (plen == 0) {
		sb_add(s, "meta nfproto ipv4 ");
		return;
	}
	ipaddr_fmt(a, txt);
	if (plen == ipaddr_len(a) * 8)
		sb_add(s, "%s %s %s ", fam, field, txt);
	else
		sb_add(s, "%s %s %s/%u ", fam, field, txt, plen);
}

/* The match part of one selector: outbound (local -> remote) or inbound (remote -> local). */
static void sb_sel(struct sbuf *s, const struct dp_sel *sel, bool outbound)
{
	uint16_t sport = outbound ? sel->lport : sel->rport;
	uint16_t dport = outbound ? sel->rport : sel->lport;

	sb_prefix(s, "saddr", outbound ? &sel->local : &sel->remote,
		  outbound ? sel->local_plen : sel->remote_plen);
	sb_prefix(s, "daddr", outbound ? &sel->remote : &sel->local,
		  outbound ? sel->remote_plen : sel->local_plen);
	if (sel->proto)
		sb_add(s, "meta l4proto %u ", sel->proto);
	if (sport)
		sb_add(s, "th sport %u ", sport);
	if (dport)
		sb_add(s, "th dport %u ", dport);
}

/* Never steered, never required (DESIGN.md, spd default exemptions): IKE and NAT-T on our
 * local port (side: "sport" outbound, "dport" inbound), IPv6 neighbour discovery (it must stay
 * on the link it is about), broadcast and multicast (IPsec cannot protect them). */
static void sb_add_exempt(struct sbuf *s, const char *side)
{
	sb_add(s, "\t\tudp %s { 500, 4500 } accept\n", side);
	sb_add(s, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
		  "nd-neighbor-advert, nd-redirect } accept\n");
	sb_add(s, "\t\tip daddr { 224.0.0.0/4, 255.255.255.255 } accept\n");
	sb_add(s, "\t\tip6 daddr ff00::/8 accept\n");
	sb_add(s, "\t\tfib daddr type broadcast accept\n");
}

int dp_nft_render(char *buf, size_t cap, const char *tun, const struct dp_sel *steer, size_t nsteer,
		  const struct dp_sel *enforce, size_t nenforce)
{
	struct sbuf s = { .p = buf, .cap = cap };

	if (cap)
		buf[0] = 0;
	/* "add" then "delete" makes the delete succeed whether or not the table existed, and
	 * the whole text is one transaction: there is no moment without the table. */
	sb_add(&s, "add table inet %s\ndelete table inet %s\n", DP_NFT_TABLE, DP_NFT_TABLE);
	sb_add(&s, "table inet %s {\n", DP_NFT_TABLE);
	sb_add(&s, "\tchain steer {\n\t\ttype route hook output priority mangle; policy accept;\n");
	sb_add(&s, "\t\tmeta mark 0x%08x counter accept\n", DP_MARK_BYPASS);
	sb_add(&s, "\t\tmeta l4proto { esp, ah } counter accept\n");
	sb_add_exempt(&s, "sport");
	for (size_t i = 0; i < nsteer; i++) {
		sb_add(&s, "\t\t");
		sb_sel(&s, &steer[i], true);
		sb_add(&s, "counter meta mark set 0x%08x\n", DP_MARK_STEER);
	}
	sb_add(&s, "\t}\n");
	sb_add(&s, "\tchain mss {\n\t\ttype filter hook postrouting priority mangle; "
		   "policy accept;\n");
	sb_add(&s, "\t\toifname \"%s\" tcp flags syn tcp option maxseg size set rt mtu\n", tun);
	sb_add(&s, "\t}\n");
	sb_add(&s, "\tchain pre {\n\t\ttype filter hook prerouting priority mangle; "
		   "policy accept;\n");
	sb_add(&s, "\t\tiifname \"%s\" meta mark set 0x%08x\n", tun, DP_MARK_STEER);
	sb_add(&s, "\t}\n");
	sb_add(&s, "\tchain enforce {\n\t\ttype filter hook input priority filter; "
		   "policy accept;\n");
	sb_add(&s, "\t\tiifname \"%s\" counter accept\n", tun);
	/* Traffic to ourselves never leaves the host: nothing to protect. */
	sb_add(&s, "\t\tiifname \"lo\" accept\n");
	/* Our own protocols arrive in clear by nature. */
	sb_add(&s, "\t\tmeta l4proto { esp, ah } accept\n");
	sb_add_exempt(&s, "dport");
	for (size_t i = 0; i < nenforce; i++) {
		sb_add(&s, "\t\t");
		sb_sel(&s, &enforce[i], false);
		sb_add(&s, "counter drop\n");
	}
	sb_add(&s, "\t}\n}\n");
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

int dp_nft_apply(const char *tun, const struct dp_sel *steer, size_t nsteer,
		 const struct dp_sel *enforce, size_t nenforce)
{
	char *text = malloc(NFT_TEXT_MAX);
	int rc;

	if (!text)
		return -ENOMEM;
	if (dp_nft_render(text, NFT_TEXT_MAX, tun, steer, nsteer, enforce, nenforce) < 0) {
		log_err("nft: ruleset for %zu selectors too large", nsteer + nenforce);
		free(text);
		return -EINVAL;
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
