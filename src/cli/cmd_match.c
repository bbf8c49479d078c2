/* esprit policy match: which rule decides one packet, and why, as text or JSON. */
#include "cli/cli.h"

#include <getopt.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "lib/util.h"

struct match_args {
	struct ipaddr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	bool have_src, have_dst, have_ports;
	enum spd_dir dir;
	bool json;
	bool forwarded; /* the packet's local side is none of the host's addresses */
	struct cli_locals locals;
};

static void pkt_from_args(const struct match_args *a, struct spd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = a->dir;
	p->proto = a->proto;
	if (a->dir == SPD_DIR_OUT) {
		p->local = a->src;
		p->remote = a->dst;
		p->lport = a->sport;
		p->rport = a->dport;
	} else {
		p->local = a->dst;
		p->remote = a->src;
		p->lport = a->dport;
		p->rport = a->sport;
	}
}

static const char *clear_in_str(const struct spd_decision *d)
{
	switch (d->verdict) {
	case SPD_EXEMPT:
	case SPD_PERMIT:
		return "accepted";
	case SPD_BLOCK:
		return "dropped";
	case SPD_PROTECT:
		break;
	}
	return d->accept_clear_in ? "accepted (inpass), replies negotiated" : "refused";
}

static void clear_out_str(const struct spd_decision *d, char *buf, size_t len)
{
	if (d->verdict == SPD_EXEMPT || d->verdict == SPD_PERMIT)
		snprintf(buf, len, "sent in clear");
	else if (d->verdict == SPD_BLOCK)
		snprintf(buf, len, "dropped");
	else if (d->fallback_clear_out)
		snprintf(buf, len, "in clear if the peer does not answer IKE within %u ms",
			 d->fallback_ms);
	else
		snprintf(buf, len, "never");
}

static void packet_str(const struct match_args *a, char *buf, size_t len)
{
	char s[IPADDR_STRLEN], d[IPADDR_STRLEN], p[16];

	spd_proto_fmt(a->proto, p);
	if (a->proto == 6 || a->proto == 17)
		snprintf(buf, len, "%s %s %s port %u -> %s port %u", spd_dir_str(a->dir), p,
			 ipaddr_fmt(&a->src, s), a->sport, ipaddr_fmt(&a->dst, d), a->dport);
	else
		snprintf(buf, len, "%s %s %s -> %s", spd_dir_str(a->dir), p, ipaddr_fmt(&a->src, s),
			 ipaddr_fmt(&a->dst, d));
}

/* Broadcast or multicast destination? (spd.h: 255.255.255.255, the directed broadcast of a
 * local prefix, 224.0.0.0/4, ff00::/8.) IPsec never negotiates these. */
static const char *cast_kind(const struct spd *s, const struct ipaddr *dst)
{
	static const uint8_t all[4] = { 255, 255, 255, 255 };
	struct spd_addr pfx;
	size_t i;

	if (dst->af == AF_INET6)
		return dst->b[0] == 0xff ? "multicast" : NULL;
	if ((dst->b[0] & 0xf0) == 224)
		return "multicast";
	if (memcmp(dst->b, all, 4) == 0)
		return "broadcast";
	for (i = 0; i < s->nlocals; i++) {
		const struct spd_local *l = &s->locals[i];

		if (l->addr.af == AF_INET && l->plen > 0 && l->plen < 31 &&
		    spd_addr_prefix(&pfx, &l->addr, l->plen) == 0 && ipaddr_eq(&pfx.hi, dst))
			return "broadcast";
	}
	return NULL;
}

/* What an IKE responder would answer if the peer proposed this traffic (inbound only). */
static void responder_fmt(const struct spd_decision *r, char *buf, size_t len)
{
	if (r->verdict != SPD_PROTECT)
		snprintf(buf, len, "refuses IKE for this traffic (%s)", spd_why_str(r->why));
	else if (r->rule && r->rule->is_default_response)
		snprintf(buf, len, "accepts IKE for this traffic (default response rule)");
	else
		snprintf(buf, len, "accepts IKE for this traffic (rule '%s')",
			 r->rule ? r->rule->name : "?");
}

static void match_text(const struct match_args *a, const struct spd_decision *d,
		       const struct spd_decision *resp, const char *cast)
{
	char buf[512];

	packet_str(a, buf, sizeof(buf));
	printf("packet       %s\n", buf);
	printf("verdict      %s\n", spd_verdict_str(d->verdict));
	printf("reason       %s\n", spd_why_str(d->why));
	printf("explanation  %s\n", spd_decision_fmt(d, buf, sizeof(buf)));
	printf("policy       %s\n", d->policy ? d->policy->name : "none");
	if (d->sf) {
		printf("rule         %s\n", d->rule->name);
		printf("filter       %s\n", spd_sfilter_fmt(d->sf, buf, sizeof(buf)));
	}
	if (d->action)
		printf("action       %s (%s)\n", d->action->name,
		       cli_action_kind_str(d->action->kind));
	if (d->verdict == SPD_PROTECT) {
		cli_text_methods(d->action, "methods", "");
		printf("mode         %s\n", cli_mode_fmt(d->rule, buf, sizeof(buf)));
		printf("initiate IKE %s\n", d->initiate ? "yes" : "no");
	}
	printf("clear in     %s\n", clear_in_str(d));
	clear_out_str(d, buf, sizeof(buf));
	printf("clear out    %s\n", buf);
	if (cast)
		printf("note         %s destination: never negotiated (IPsec cannot protect it)\n",
		       cast);
	if (a->forwarded)
		printf("note         %s is not an address of this host (--local): `me` filters do "
		       "not apply, as for forwarded traffic\n",
		       a->dir == SPD_DIR_OUT ? "the source" : "the destination");
	if (resp) {
		responder_fmt(resp, buf, sizeof(buf));
		printf("responder    %s\n", buf);
	}
}

static void match_json(const struct match_args *a, const struct spd_decision *d,
		       const struct spd_decision *resp, const char *cast)
{
	char buf[512], s[IPADDR_STRLEN], p[16];
	bool ports = a->proto == 6 || a->proto == 17;
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "packet");
	json_str(&j, "direction", spd_dir_str(a->dir));
	json_str(&j, "source", ipaddr_fmt(&a->src, s));
	json_str(&j, "destination", ipaddr_fmt(&a->dst, s));
	json_str(&j, "protocol", spd_proto_fmt(a->proto, p));
	json_int(&j, "protocol_number", a->proto);
	if (ports) {
		json_int(&j, "source_port", a->sport);
		json_int(&j, "destination_port", a->dport);
	}
	json_obj_end(&j);
	json_str(&j, "verdict", spd_verdict_str(d->verdict));
	json_str(&j, "reason", spd_why_str(d->why));
	json_str(&j, "explanation", spd_decision_fmt(d, buf, sizeof(buf)));
	json_str(&j, "policy", d->policy ? d->policy->name : NULL);
	json_str(&j, "rule", d->rule ? d->rule->name : NULL);
	if (d->sf)
		cli_json_sfilter(&j, "filter", d->sf);
	else
		json_null(&j, "filter");
	cli_json_methods(&j, d->verdict == SPD_PROTECT ? d->action : NULL);
	if (d->verdict == SPD_PROTECT)
		cli_json_mode(&j, d->rule);
	json_bool(&j, "initiate", d->initiate);
	json_str(&j, "clear_in", clear_in_str(d));
	clear_out_str(d, buf, sizeof(buf));
	json_str(&j, "clear_out", buf);
	json_str(&j, "destination_kind", cast ? cast : "unicast");
	json_bool(&j, "forwarded", a->forwarded);
	if (resp) {
		json_obj_begin(&j, "responder");
		json_str(&j, "verdict", spd_verdict_str(resp->verdict));
		json_str(&j, "reason", spd_why_str(resp->why));
		json_str(&j, "rule", resp->rule ? resp->rule->name : NULL);
		json_bool(&j, "default_response", resp->rule && resp->rule->is_default_response);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_finish(&j);
}

static bool is_local(const struct spd *s, const struct ipaddr *ip)
{
	size_t i;

	for (i = 0; i < s->nlocals; i++)
		if (ipaddr_eq(&s->locals[i].addr, ip))
			return true;
	return false;
}

static int match_opt(const struct cli_cmd *c, struct match_args *a, int ch)
{
	char why[256];

	switch (ch) {
	case 's':
		a->have_src = true;
		return cli_parse_ip(optarg, &a->src, why, sizeof(why)) < 0
			       ? cli_usage(c, "--src: %s", why)
			       : 0;
	case 'd':
		a->have_dst = true;
		return cli_parse_ip(optarg, &a->dst, why, sizeof(why)) < 0
			       ? cli_usage(c, "--dst: %s", why)
			       : 0;
	case 'p':
		return cli_parse_proto(optarg, &a->proto, why, sizeof(why)) < 0
			       ? cli_usage(c, "--proto: %s", why)
			       : 0;
	case 'S':
		a->have_ports = true;
		return cli_parse_port(optarg, &a->sport, why, sizeof(why)) < 0
			       ? cli_usage(c, "--sport: %s", why)
			       : 0;
	case 'D':
		a->have_ports = true;
		return cli_parse_port(optarg, &a->dport, why, sizeof(why)) < 0
			       ? cli_usage(c, "--dport: %s", why)
			       : 0;
	case 'l':
		return cli_locals_add(&a->locals, optarg) < 0 ? CLI_USAGE : 0;
	}
	return cli_usage(c, NULL);
}

static int match_parse(const struct cli_cmd *c, int argc, char **argv, struct match_args *a)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "proto", required_argument, NULL, 'p' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "in", no_argument, NULL, 'i' },
		{ "out", no_argument, NULL, 'o' },
		{ "local", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool din = false, dout = false;
	int ch, r;

	memset(a, 0, sizeof(*a));
	a->proto = 6;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:d:p:l:iojh", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			din = true;
			break;
		case 'o':
			dout = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			cli_help_cmd(c, stdout);
			return -1;
		case '?':
		case ':':
			return cli_opt_error(c, argv, ch);
		default:
			r = match_opt(c, a, ch);
			if (r)
				return r;
		}
	}
	if (argc - optind != 1)
		return cli_usage(c, argc == optind ? "missing FILE" : "only one FILE, please");
	if (!a->have_src || !a->have_dst)
		return cli_usage(c, "--src and --dst are required");
	if (a->src.af != a->dst.af)
		return cli_usage(c, "--src and --dst must be of the same address family");
	if (din && dout)
		return cli_usage(c, "--in and --out exclude each other");
	if (a->have_ports && a->proto != 6 && a->proto != 17)
		return cli_usage(c, "--sport/--dport need --proto tcp or udp");
	a->dir = din ? SPD_DIR_IN : SPD_DIR_OUT;
	return 0;
}

int cmd_policy_match(const struct cli_cmd *c, int argc, char **argv)
{
	struct spd_decision d, resp;
	struct match_args a;
	const char *cast;
	struct spd_pkt p;
	bool want_resp;
	struct spd *s;
	int r;

	r = match_parse(c, argc, argv, &a);
	if (r)
		return r < 0 ? CLI_OK : r;
	pkt_from_args(&a, &p);
	if (!a.locals.given) {
		/* The host that sees this packet owns its local address. */
		a.locals.v[0].addr = p.local;
		a.locals.v[0].plen = 0;
		a.locals.n = 1;
	}
	r = cli_load(argv[optind], &a.locals, CONF_NO_SECRETS, &s, NULL);
	if (r != CLI_OK)
		return r;
	if (spd_decide(s, &p, &d) < 0 || (p.dir == SPD_DIR_IN && spd_respond(s, &p, &resp) < 0)) {
		cli_err("policy match: no decision for this packet");
		spd_free(s);
		return CLI_FAIL;
	}
	a.forwarded = !is_local(s, &p.local);
	/* The responder view matters for traffic a peer could propose: not for exemptions. */
	want_resp = p.dir == SPD_DIR_IN && d.verdict != SPD_EXEMPT;
	cast = cast_kind(s, &a.dst);
	if (a.json)
		match_json(&a, &d, want_resp ? &resp : NULL, cast);
	else
		match_text(&a, &d, want_resp ? &resp : NULL, cast);
	spd_free(s);
	return CLI_OK;
}
