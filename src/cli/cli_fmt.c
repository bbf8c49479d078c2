/* Formatting shared by the policy commands: specific filters, methods and modes as text
 * and as JSON. */
#include "cli/cli.h"

#include <string.h>
#include <sys/socket.h>

const char *cli_ports_fmt(uint16_t proto, uint16_t lo, uint16_t hi, char *buf, size_t len)
{
	if (proto != 6 && proto != 17)
		snprintf(buf, len, "%s", "");
	else if (lo == 0 && hi == 65535)
		snprintf(buf, len, "any");
	else if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
	return buf;
}

void cli_sf_view(const struct spd_sfilter *sf, struct cli_sf_view *v)
{
	bool out = sf->dir == SPD_DIR_OUT;

	spd_addr_fmt(out ? &sf->local : &sf->remote, v->src, sizeof(v->src));
	spd_addr_fmt(out ? &sf->remote : &sf->local, v->dst, sizeof(v->dst));
	cli_ports_fmt(sf->proto, out ? sf->lport_lo : sf->rport_lo,
		      out ? sf->lport_hi : sf->rport_hi, v->sport, sizeof(v->sport));
	cli_ports_fmt(sf->proto, out ? sf->rport_lo : sf->lport_lo,
		      out ? sf->rport_hi : sf->lport_hi, v->dport, sizeof(v->dport));
	spd_proto_fmt(sf->proto, v->proto);
}

const char *cli_action_kind_str(enum spd_action_kind k)
{
	switch (k) {
	case SPD_ACT_PERMIT:
		return "permit";
	case SPD_ACT_BLOCK:
		return "block";
	case SPD_ACT_NEGOTIATE:
		return "negotiate";
	}
	return "?";
}

static const char *mode_str(const struct spd_rule *r)
{
	return r->mode == SPD_MODE_TUNNEL ? "tunnel" : "transport";
}

const char *cli_af_str(uint8_t af)
{
	return af == AF_INET6 ? "ipv6" : af == AF_INET ? "ipv4" : "any";
}

void cli_text_methods(const struct spd_action *a, const char *label, const char *ind)
{
	char buf[160];
	size_t i;

	if (!a || a->kind != SPD_ACT_NEGOTIATE || a->nmethods == 0) {
		printf("%s%-12s none (no IPsec)\n", ind, label);
		return;
	}
	for (i = 0; i < a->nmethods; i++)
		printf("%s%-12s %s\n", ind, i == 0 ? label : "",
		       spd_method_fmt(&a->methods[i], buf, sizeof(buf)));
}

const char *cli_mode_fmt(const struct spd_rule *r, char *buf, size_t len)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	if (r->mode != SPD_MODE_TUNNEL)
		snprintf(buf, len, "transport");
	else
		snprintf(buf, len, "tunnel to %s, local endpoint %s",
			 ipaddr_fmt(&r->tunnel_remote, a),
			 r->tunnel_local.af ? ipaddr_fmt(&r->tunnel_local, b)
					    : "chosen by routing");
	return buf;
}

void cli_json_methods(struct json *j, const struct spd_action *a)
{
	char buf[160];
	size_t i;

	json_arr_begin(j, "methods");
	for (i = 0; a && a->kind == SPD_ACT_NEGOTIATE && i < a->nmethods; i++)
		json_str(j, NULL, spd_method_fmt(&a->methods[i], buf, sizeof(buf)));
	json_arr_end(j);
}

static void json_action(struct json *j, const struct spd_action *a)
{
	json_obj_begin(j, "action");
	json_str(j, "name", a->name);
	json_str(j, "kind", cli_action_kind_str(a->kind));
	json_bool(j, "inpass", a->inpass);
	json_bool(j, "soft", a->soft);
	json_int(j, "soft_ms", a->soft ? a->soft_ms : 0);
	json_bool(j, "pfs", a->pfs);
	cli_json_methods(j, a);
	json_obj_end(j);
}

void cli_json_mode(struct json *j, const struct spd_rule *r)
{
	char buf[IPADDR_STRLEN];

	json_str(j, "mode", mode_str(r));
	if (r->mode == SPD_MODE_TUNNEL) {
		json_str(j, "tunnel_remote", ipaddr_fmt(&r->tunnel_remote, buf));
		json_str(j, "tunnel_local",
			 r->tunnel_local.af ? ipaddr_fmt(&r->tunnel_local, buf) : NULL);
	} else {
		json_null(j, "tunnel_remote");
		json_null(j, "tunnel_local");
	}
}

void cli_json_sfilter(struct json *j, const char *key, const struct spd_sfilter *sf)
{
	const struct spd_rule *r = sf->rule;
	struct cli_sf_view v;

	cli_sf_view(sf, &v);
	json_obj_begin(j, key);
	json_int(j, "order", sf->order);
	json_str(j, "direction", spd_dir_str(sf->dir));
	json_str(j, "family", cli_af_str(sf->af));
	json_str(j, "source", v.src);
	json_str(j, "destination", v.dst);
	json_str(j, "protocol", v.proto);
	json_str(j, "source_ports", v.sport[0] ? v.sport : NULL);
	json_str(j, "destination_ports", v.dport[0] ? v.dport : NULL);
	json_str(j, "inbound_action", spd_sf_act_str(sf->in_act));
	json_str(j, "outbound_action", spd_sf_act_str(sf->out_act));
	json_str(j, "policy", r->policy ? r->policy->name : NULL);
	json_str(j, "rule", r->name);
	json_str(j, "filter_list", r->flist ? r->flist->name : NULL);
	json_int(j, "filter_index", (long long)sf->filter_index);
	json_bool(j, "mirror", sf->mirror);
	json_int(j, "weight", sf->weight);
	json_action(j, r->action);
	cli_json_mode(j, r);
	json_obj_end(j);
}
