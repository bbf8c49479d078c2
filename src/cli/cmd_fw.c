/* esprit firewall-rules FILE: an nftables ruleset for a filtering device between the hosts
 * (or on one of them) that lets this policy's IPsec through, and optionally drops the
 * plaintext the policy protects.
 *
 * The seed's port list, rule by rule:
 *   500/UDP          IKE (RFC 7296 2; RFC 2409 for IKEv1)            -> udp dport 500 accept
 *   4500/UDP         IKE and ESP behind NAT (RFC 3947, RFC 3948 2)   -> udp dport 4500 accept
 *   IP protocol 50   ESP (RFC 4303)                                  -> meta l4proto esp accept
 *   IP protocol 51   AH (RFC 4302)                                   -> meta l4proto ah accept
 *   88/UDP, 88/TCP   Kerberos to/from the KDCs, when exempt from IPsec (levels 0 and 2)
 *   HTTP (TCP 80)    "no longer required and should be blocked"      -> --block-plaintext
 * Rules are scoped to the peers: each pair (local endpoint, remote endpoint) that a negotiate
 * rule or the default response rule can build SAs between, in both directions. ESP and AH
 * are opened only if some method of the action uses them.
 *
 * Everything lives in one table (inet esprit_fw by default), so loading the output never
 * touches another table; the file first creates and deletes that table so it can be loaded
 * again. Base chains have policy accept: the table only ever drops what --block-plaintext
 * asks for. The same rules are evaluated on the forward hook (a firewall between the hosts)
 * and on input/output (the hosts themselves, or a firewall that terminates tunnels).
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "lib/util.h"

#define FW_TABLE_DEFAULT "esprit_fw"
#define FW_PAIRS_MAX	 4096
#define FW_RULE_MAX	 320 /* one nft rule line */

/* Two IPsec endpoints and what runs between them. */
struct fw_pair {
	uint8_t af;
	struct spd_addr local, remote;
	bool esp, ah;
};

struct fw {
	const struct spd *s;
	struct fw_pair *pairs;
	size_t npairs;
	bool block;
	FILE *f;
};

static bool addr_eq(const struct spd_addr *a, const struct spd_addr *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == SPD_ADDR_ANY || a->kind == SPD_ADDR_ME)
		return true;
	return a->plen == b->plen && ipaddr_eq(&a->lo, &b->lo) && ipaddr_eq(&a->hi, &b->hi);
}

static void methods_xforms(const struct spd_action *a, bool *esp, bool *ah)
{
	size_t i;

	*esp = *ah = false;
	for (i = 0; a && a->kind == SPD_ACT_NEGOTIATE && i < a->nmethods; i++) {
		*esp |= a->methods[i].xform != SPD_XF_AH;
		*ah |= a->methods[i].xform != SPD_XF_ESP;
	}
}

/* Add (or merge into) a peer pair. -1 when the table is full. */
static int pair_add(struct fw *w, uint8_t af, const struct spd_addr *l, const struct spd_addr *r,
		    const struct spd_action *a)
{
	struct fw_pair *p;
	bool esp, ah;
	size_t i;

	methods_xforms(a, &esp, &ah);
	for (i = 0; i < w->npairs; i++) {
		p = &w->pairs[i];
		/* Rules go both ways, so (a, b) and (b, a) are the same pair. */
		if (p->af == af && ((addr_eq(&p->local, l) && addr_eq(&p->remote, r)) ||
				    (addr_eq(&p->local, r) && addr_eq(&p->remote, l)))) {
			p->esp |= esp;
			p->ah |= ah;
			return 0;
		}
	}
	if (w->npairs >= FW_PAIRS_MAX)
		return -1;
	p = &w->pairs[w->npairs++];
	p->af = af;
	p->local = *l;
	p->remote = *r;
	p->esp = esp;
	p->ah = ah;
	return 0;
}

/* Local endpoints of a tunnel without a configured local address: each local address of the
 * family, or any. */
static int pairs_tunnel(struct fw *w, const struct spd_rule *r)
{
	struct spd_addr l, rem;
	bool found = false;
	size_t i;

	spd_addr_host(&rem, &r->tunnel_remote);
	if (r->tunnel_local.af) {
		spd_addr_host(&l, &r->tunnel_local);
		return pair_add(w, rem.lo.af, &l, &rem, r->action);
	}
	for (i = 0; i < w->s->nlocals; i++) {
		if (w->s->locals[i].addr.af != rem.lo.af)
			continue;
		spd_addr_host(&l, &w->s->locals[i].addr);
		if (pair_add(w, rem.lo.af, &l, &rem, r->action) < 0)
			return -1;
		found = true;
	}
	if (found)
		return 0;
	spd_addr_any(&l);
	return pair_add(w, rem.lo.af, &l, &rem, r->action);
}

/* The default response rule answers IKE from anyone, on every local address. */
static int pairs_default_response(struct fw *w)
{
	const struct spd_policy *p = w->s->active;
	struct spd_addr l, any;
	size_t i;

	if (!p || !p->dr.active || !p->dr.action)
		return 0;
	spd_addr_any(&any);
	for (i = 0; i < w->s->nlocals; i++) {
		spd_addr_host(&l, &w->s->locals[i].addr);
		if (pair_add(w, l.lo.af, &l, &any, p->dr.action) < 0)
			return -1;
	}
	return 0;
}

static int pairs_collect(struct fw *w)
{
	const struct spd_sfilter *sf;
	size_t i, n = spd_sfilter_count(w->s);

	w->pairs = calloc(FW_PAIRS_MAX, sizeof(*w->pairs));
	if (!w->pairs)
		return -1;
	for (i = 0; i < n; i++) {
		sf = spd_sfilter_get(w->s, i);
		if (sf->rule->action->kind != SPD_ACT_NEGOTIATE)
			continue;
		if (sf->rule->mode == SPD_MODE_TUNNEL) {
			if (pairs_tunnel(w, sf->rule) < 0)
				return -1;
		} else if (pair_add(w, sf->af, &sf->local, &sf->remote, sf->rule->action) < 0) {
			return -1;
		}
	}
	return pairs_default_response(w);
}

/* ---- output ---------------------------------------------------------------------------- */

/* "ip saddr A ip daddr B " for the packet direction src -> dst; "meta nfproto ipv4 " when
 * both are any. */
static void put_addrs(FILE *f, uint8_t af, const struct spd_addr *src, const struct spd_addr *dst)
{
	const char *fam = af == AF_INET6 ? "ip6" : "ip";
	char buf[112];

	if (src->kind == SPD_ADDR_ANY && dst->kind == SPD_ADDR_ANY)
		fprintf(f, "meta nfproto %s ", af == AF_INET6 ? "ipv6" : "ipv4");
	if (src->kind != SPD_ADDR_ANY)
		fprintf(f, "%s saddr %s ", fam, spd_addr_fmt(src, buf, sizeof(buf)));
	if (dst->kind != SPD_ADDR_ANY)
		fprintf(f, "%s daddr %s ", fam, spd_addr_fmt(dst, buf, sizeof(buf)));
}

static void put_pair_dir(FILE *f, const struct fw_pair *p, const struct spd_addr *src,
			 const struct spd_addr *dst)
{
	static const char *const udp[] = { "udp dport 500", "udp dport 4500" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(udp); i++) {
		fputs("\t\t", f);
		put_addrs(f, p->af, src, dst);
		fprintf(f, "%s accept\n", udp[i]);
	}
	if (p->esp) {
		fputs("\t\t", f);
		put_addrs(f, p->af, src, dst);
		fputs("meta l4proto esp accept\n", f);
	}
	if (p->ah) {
		fputs("\t\t", f);
		put_addrs(f, p->af, src, dst);
		fputs("meta l4proto ah accept\n", f);
	}
}

static void put_pairs(struct fw *w)
{
	char a[112], b[112];
	size_t i;

	for (i = 0; i < w->npairs; i++) {
		const struct fw_pair *p = &w->pairs[i];

		fprintf(w->f, "\t\t# IKE (udp 500), NAT-T (udp 4500)%s%s: %s <-> %s\n",
			p->esp ? ", ESP (50)" : "", p->ah ? ", AH (51)" : "",
			spd_addr_fmt(&p->local, a, sizeof(a)),
			spd_addr_fmt(&p->remote, b, sizeof(b)));
		put_pair_dir(w->f, p, &p->local, &p->remote);
		put_pair_dir(w->f, p, &p->remote, &p->local);
	}
}

/* Kerberos exemption: TCP/UDP port 88 of each configured KDC, from and to the local hosts. */
static void put_kerberos(struct fw *w)
{
	static const char *const l4[] = { "tcp", "udp" };
	struct spd_addr kdc, loc;
	size_t k, i, t, nloc;

	if (!(spd_exemptions(w->s) & SPD_EX_KERBEROS) || w->s->nkdcs == 0)
		return;
	fprintf(w->f, "\t\t# Kerberos (tcp/udp 88) to and from the KDCs: exempt from IPsec\n");
	for (k = 0; k < w->s->nkdcs; k++) {
		spd_addr_host(&kdc, &w->s->kdcs[k]);
		nloc = w->s->nlocals ? w->s->nlocals : 1;
		for (i = 0; i < nloc; i++) {
			if (w->s->nlocals) {
				if (w->s->locals[i].addr.af != kdc.lo.af)
					continue;
				spd_addr_host(&loc, &w->s->locals[i].addr);
			} else {
				spd_addr_any(&loc);
			}
			for (t = 0; t < ARRAY_SIZE(l4); t++) {
				fputs("\t\t", w->f);
				put_addrs(w->f, kdc.lo.af, &loc, &kdc);
				fprintf(w->f, "%s dport 88 accept\n", l4[t]);
				fputs("\t\t", w->f);
				put_addrs(w->f, kdc.lo.af, &kdc, &loc);
				fprintf(w->f, "%s sport 88 accept\n", l4[t]);
			}
		}
	}
}

/* Exemptions that must win over the drops below (first match, as the host decides). */
static void put_exemptions(struct fw *w)
{
	unsigned ex = spd_exemptions(w->s);
	char buf[IPADDR_STRLEN];
	struct spd_addr pfx;
	size_t i;

	fprintf(w->f, "\t\t# default exemption: IKE (local udp port 500/4500)\n");
	for (i = 0; i < w->s->nlocals; i++) {
		const char *fam = w->s->locals[i].addr.af == AF_INET6 ? "ip6" : "ip";

		ipaddr_fmt(&w->s->locals[i].addr, buf);
		fprintf(w->f, "\t\t%s saddr %s udp sport { 500, 4500 } accept\n", fam, buf);
		fprintf(w->f, "\t\t%s daddr %s udp dport { 500, 4500 } accept\n", fam, buf);
		if (ex & SPD_EX_RSVP) {
			fprintf(w->f, "\t\t%s saddr %s meta l4proto 46 accept\n", fam, buf);
			fprintf(w->f, "\t\t%s daddr %s meta l4proto 46 accept\n", fam, buf);
		}
	}
	if (ex & SPD_EX_MULTICAST) {
		fprintf(w->f, "\t\t# default exemption: multicast\n");
		fprintf(w->f, "\t\tip daddr 224.0.0.0/4 accept\n\t\tip6 daddr ff00::/8 accept\n");
	}
	if (!(ex & SPD_EX_BROADCAST))
		return;
	fprintf(w->f, "\t\t# default exemption: broadcast\n");
	fprintf(w->f, "\t\tip daddr 255.255.255.255 accept\n");
	for (i = 0; i < w->s->nlocals; i++) {
		const struct spd_local *l = &w->s->locals[i];

		/* Directed broadcast of an on-link IPv4 prefix (not for /31, /32). */
		if (l->addr.af != AF_INET || l->plen == 0 || l->plen > 30 ||
		    spd_addr_prefix(&pfx, &l->addr, l->plen) < 0)
			continue;
		fprintf(w->f, "\t\tip daddr %s accept\n", ipaddr_fmt(&pfx.hi, buf));
	}
}

/* "tcp sport 1024-65535 tcp dport 80 ", "meta l4proto gre ", "" (any protocol). */
static void put_l4(FILE *f, uint16_t proto, uint16_t slo, uint16_t shi, uint16_t dlo, uint16_t dhi)
{
	const char *l4 = proto == 6 ? "tcp" : "udp";
	bool sany = slo == 0 && shi == 65535, dany = dlo == 0 && dhi == 65535;
	char buf[16];

	if (proto == SPD_PROTO_ANY)
		return;
	if ((proto != 6 && proto != 17) || (sany && dany)) {
		const char *n = cli_proto_name((uint8_t)proto);

		if (proto == 58)
			n = "ipv6-icmp";
		if (n)
			fprintf(f, "meta l4proto %s ", n);
		else
			fprintf(f, "meta l4proto %u ", proto);
		return;
	}
	if (!sany)
		fprintf(f, "%s sport %s ", l4, cli_ports_fmt(proto, slo, shi, buf, sizeof(buf)));
	if (!dany)
		fprintf(f, "%s dport %s ", l4, cli_ports_fmt(proto, dlo, dhi, buf, sizeof(buf)));
}

/* Does this specific filter refuse clear packets in its own direction? */
static bool sf_refuses_clear(const struct spd_sfilter *sf)
{
	enum spd_sf_act a = sf->dir == SPD_DIR_OUT ? sf->out_act : sf->in_act;

	if (sf->dir == SPD_DIR_OUT)
		return a == SPD_SF_NEGOTIATE || a == SPD_SF_NEGOTIATE_INPASS;
	return a == SPD_SF_NEGOTIATE;
}

static bool sf_allows_clear(const struct spd_sfilter *sf)
{
	enum spd_sf_act a = sf->dir == SPD_DIR_OUT ? sf->out_act : sf->in_act;

	return a == SPD_SF_PERMIT || (!sf_refuses_clear(sf) && a != SPD_SF_BLOCK);
}

/* One rule for a specific filter's packets into buf; -1 if it does not fit. */
static int sfilter_rule(const struct spd_sfilter *sf, const char *verdict, char *buf, size_t len)
{
	bool out = sf->dir == SPD_DIR_OUT;
	FILE *m = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (!m)
		return -1;
	put_addrs(m, sf->af, out ? &sf->local : &sf->remote, out ? &sf->remote : &sf->local);
	put_l4(m, sf->proto, out ? sf->lport_lo : sf->rport_lo, out ? sf->lport_hi : sf->rport_hi,
	       out ? sf->rport_lo : sf->lport_lo, out ? sf->rport_hi : sf->lport_hi);
	fputs(verdict, m);
	if (fclose(m) != 0 || strlen(buf) >= len - 1)
		return -1;
	return 0;
}

/* Print a rule unless an identical one came before: a gateway's filters expand into an
 * inbound and an outbound specific filter with the same addresses, and the first copy
 * already decides. */
static void put_once(struct fw *w, char (*seen)[FW_RULE_MAX], size_t *nseen, const char *rule)
{
	size_t i;

	if (!rule[0])
		return;
	for (i = 0; i < *nseen; i++)
		if (strcmp(seen[i], rule) == 0)
			return;
	if (*nseen < FW_PAIRS_MAX)
		memcpy(seen[(*nseen)++], rule, FW_RULE_MAX);
	fprintf(w->f, "\t\t%s\n", rule);
}

/* Plaintext of tunnel-mode traffic is not dropped here: on the tunnel endpoint the decrypted
 * packets cross this host in clear by design (the seed's inspection point), and addresses
 * alone cannot tell them from plaintext that arrived on the wire. */
static bool sf_droppable(const struct spd_sfilter *sf)
{
	return sf_refuses_clear(sf) && sf->rule->mode == SPD_MODE_TRANSPORT;
}

/* --block-plaintext: the specific filters in evaluation order; the first that matches a
 * packet decides, as on the host. Clear-allowing filters are emitted only when a drop comes
 * after them. */
static int put_block(struct fw *w)
{
	size_t i, n = spd_sfilter_count(w->s), last = 0, nseen = 0;
	char(*seen)[FW_RULE_MAX];
	char rule[FW_RULE_MAX];
	bool any = false, tunnel = false;
	int r = 0;

	for (i = 0; i < n; i++) {
		const struct spd_sfilter *sf = spd_sfilter_get(w->s, i);

		tunnel |= sf_refuses_clear(sf) && !sf_droppable(sf);
		if (sf_droppable(sf)) {
			last = i;
			any = true;
		}
	}
	if (tunnel)
		fprintf(w->f, "\t\t# tunnel-mode traffic: plaintext not dropped on the tunnel "
			      "endpoint (decrypted traffic passes in clear)\n");
	if (!any) {
		fprintf(w->f, "\t\t# --block-plaintext: no transport-mode traffic protected, "
			      "nothing blocked\n");
		return 0;
	}
	seen = calloc(FW_PAIRS_MAX, sizeof(*seen));
	if (!seen)
		return -1;
	put_exemptions(w);
	fprintf(w->f, "\t\t# plaintext the policy protects (specific filters, first match)\n");
	for (i = 0; i <= last && r == 0; i++) {
		const struct spd_sfilter *sf = spd_sfilter_get(w->s, i);

		if (sf_droppable(sf))
			r = sfilter_rule(sf, "drop", rule, sizeof(rule));
		else if (sf_allows_clear(sf))
			r = sfilter_rule(sf, "accept", rule, sizeof(rule));
		else
			continue;
		if (r == 0)
			put_once(w, seen, &nseen, rule);
	}
	free(seen);
	return r;
}

/* A file name inside a comment: nothing that could end the comment line. */
static void put_name(FILE *f, const char *name)
{
	for (; *name; name++)
		fputc((unsigned char)*name < 0x20 || *name == 0x7f ? '?' : *name, f);
}

static int put_ruleset(struct fw *w, const char *file, const char *table)
{
	static const char *const hooks[] = { "forward", "input", "output" };
	const struct spd_policy *p = w->s->active;
	size_t i;

	fputs("#!/usr/sbin/nft -f\n# esprit " ESPRIT_VERSION " firewall-rules for ", w->f);
	put_name(w->f, file);
	fputs(" (policy ", w->f);
	put_name(w->f, p ? p->name : "none");
	fprintf(w->f,
		")%s\n"
		"# Only table inet %s is created or replaced; load with: nft -f FILE\n"
		"table inet %s\ndelete table inet %s\n\ntable inet %s {\n",
		w->block ? ", --block-plaintext" : "", table, table, table, table);
	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		fprintf(w->f,
			"\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n"
			"\t\tjump esprit_rules\n\t}\n\n",
			hooks[i], hooks[i]);
	fprintf(w->f, "\tchain esprit_rules {\n");
	if (w->npairs == 0)
		fprintf(w->f, "\t\t# no IPsec peers: the policy negotiates nothing\n");
	put_pairs(w);
	put_kerberos(w);
	if (w->block && put_block(w) < 0)
		return -1;
	fprintf(w->f, "\t}\n}\n");
	return 0;
}

/* nft identifiers: a letter, then letters, digits, '_' ; short. */
static bool table_name_ok(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 32 || !((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return false;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
			return false;
	return true;
}

int cmd_firewall_rules(const struct cli_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "block-plaintext", no_argument, NULL, 'b' },
		{ "table", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_locals locals = { 0 };
	const char *table = FW_TABLE_DEFAULT;
	struct fw w = { 0 };
	struct spd *s;
	int ch, r;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:bt:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			w.block = true;
			break;
		case 't':
			if (!table_name_ok(optarg))
				return cli_usage(c,
						 "--table: '%s' is not a table name (a letter, "
						 "then letters, digits or '_', at most 32)",
						 optarg);
			table = optarg;
			break;
		default:
			r = cli_conf_opt(c, ch, argv, &locals);
			if (r >= 0)
				return r;
		}
	}
	r = cli_load_arg(c, argc, argv, &locals, CONF_NO_SECRETS, &s);
	if (r != CLI_OK)
		return r;
	w.s = s;
	w.f = stdout;
	if (pairs_collect(&w) < 0) {
		cli_err("%s: too many IPsec peers for one ruleset", argv[optind]);
		r = CLI_FAIL;
	} else if (put_ruleset(&w, argv[optind], table) < 0) {
		cli_err("%s: cannot write the ruleset", argv[optind]);
		r = CLI_FAIL;
	}
	free(w.pairs);
	spd_free(s);
	return r;
}
