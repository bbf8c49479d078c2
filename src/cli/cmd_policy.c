/* esprit policy show: the effective policy as specific filters (the view of Windows' IP
 * Security Monitor) and the exemptions in force, as text or JSON. */
#include "cli/cli.h"

#include <getopt.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "lib/util.h"

static void text_ports(const char *label, const char *addr, const char *port)
{
	if (port[0])
		printf("  %-12s %s port %s\n", label, addr, port);
	else
		printf("  %-12s %s\n", label, addr);
}

static void text_sfilter(const struct spd_sfilter *sf)
{
	const struct spd_rule *r = sf->rule;
	struct cli_sf_view v;
	char buf[160];

	cli_sf_view(sf, &v);
	printf("filter #%u  %s  %s  %s\n", sf->order, spd_dir_str(sf->dir), cli_af_str(sf->af),
	       v.proto);
	text_ports("source", v.src, v.sport);
	text_ports("destination", v.dst, v.dport);
	printf("  %-12s %s\n", "inbound", spd_sf_act_str(sf->in_act));
	printf("  %-12s %s\n", "outbound", spd_sf_act_str(sf->out_act));
	printf("  %-12s %s (policy %s; filter %zu of list %s%s)\n", "rule", r->name,
	       r->policy ? r->policy->name : "?", sf->filter_index + 1,
	       r->flist ? r->flist->name : "-", sf->mirror ? ", mirror image" : "");
	printf("  %-12s %s (%s)\n", "action", r->action->name,
	       cli_action_kind_str(r->action->kind));
	cli_text_methods(r->action, "methods", "  ");
	printf("  %-12s %s\n", "mode", cli_mode_fmt(r, buf, sizeof(buf)));
	printf("  %-12s 0x%x\n", "weight", sf->weight);
}

static void text_header(const char *file, const struct spd *s)
{
	const struct spd_policy *p = s->active;
	unsigned ex = spd_exemptions(s), bit;
	char buf[IPADDR_STRLEN];
	size_t i;

	printf("file         %s\n", file);
	if (p)
		printf("policy       %s%s, %zu rule%s\n", p->name, p->builtin ? " (built-in)" : "",
		       p->nrules, p->nrules == 1 ? "" : "s");
	else
		printf("policy       none (everything in clear)\n");
	printf("local        ");
	for (i = 0; i < s->nlocals; i++)
		printf("%s%s", i ? ", " : "", ipaddr_fmt(&s->locals[i].addr, buf));
	printf("%s\n", s->nlocals ? "" : "none (`me` matches nothing)");
	printf("no-default-exempt %d\nexemptions in force:\n", s->no_default_exempt);
	for (bit = 1; bit <= SPD_EX_BROADCAST; bit <<= 1)
		if (ex & bit)
			printf("  %s\n", spd_exempt_str((enum spd_exempt)bit));
	if (s->nkdcs) {
		printf("kdc          ");
		for (i = 0; i < s->nkdcs; i++)
			printf("%s%s", i ? ", " : "", ipaddr_fmt(&s->kdcs[i], buf));
		printf("\n");
	}
	if (p) {
		printf("default response rule: %s\n", p->dr.active ? "on" : "off");
		if (p->dr.active && p->dr.action)
			cli_text_methods(p->dr.action, "methods", "  ");
	}
}

static void show_text(const char *file, const struct spd *s)
{
	size_t i, n = spd_sfilter_count(s);

	text_header(file, s);
	printf("specific filters: %zu (evaluation order, most specific first)\n", n);
	for (i = 0; i < n; i++) {
		printf("\n");
		text_sfilter(spd_sfilter_get(s, i));
	}
}

static void json_exemptions(struct json *j, const struct spd *s)
{
	static const char *const names[] = { "ike", "kerberos", "rsvp", "multicast", "broadcast" };
	unsigned ex = spd_exemptions(s), i;

	json_arr_begin(j, "exemptions");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(ex & (1u << i)))
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "name", names[i]);
		json_str(j, "description", spd_exempt_str((enum spd_exempt)(1u << i)));
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_header(struct json *j, const char *file, const struct spd *s)
{
	const struct spd_policy *p = s->active;
	char buf[IPADDR_STRLEN];
	size_t i;

	json_str(j, "file", file);
	json_str(j, "policy", p ? p->name : NULL);
	json_arr_begin(j, "local");
	for (i = 0; i < s->nlocals; i++)
		json_str(j, NULL, ipaddr_fmt(&s->locals[i].addr, buf));
	json_arr_end(j);
	json_arr_begin(j, "kdc");
	for (i = 0; i < s->nkdcs; i++)
		json_str(j, NULL, ipaddr_fmt(&s->kdcs[i], buf));
	json_arr_end(j);
	json_int(j, "no_default_exempt", s->no_default_exempt);
	json_exemptions(j, s);
	json_obj_begin(j, "default_response");
	json_bool(j, "active", p && p->dr.active);
	if (p && p->dr.action)
		cli_json_methods(j, p->dr.action);
	json_obj_end(j);
}

static void show_json(const char *file, const struct spd *s)
{
	size_t i, n = spd_sfilter_count(s);
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_header(&j, file, s);
	json_arr_begin(&j, "filters");
	for (i = 0; i < n; i++)
		cli_json_sfilter(&j, NULL, spd_sfilter_get(s, i));
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_policy_show(const struct cli_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_locals locals = { 0 };
	bool json = false;
	struct spd *s;
	int ch, r;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		default:
			r = cli_conf_opt(c, ch, argv, &locals);
			if (r >= 0)
				return r;
		}
	}
	/* Displaying the policy needs no key material. */
	r = cli_load_arg(c, argc, argv, &locals, CONF_NO_SECRETS, &s);
	if (r != CLI_OK)
		return r;
	if (json)
		show_json(argv[optind], s);
	else
		show_text(argv[optind], s);
	spd_free(s);
	return CLI_OK;
}
