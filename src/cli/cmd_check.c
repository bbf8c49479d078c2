/* esprit check-config FILE: load the file as the daemon would and report every problem. */
#include "cli/cli.h"

#include <getopt.h>
#include <string.h>

#include "conf/conf.h"

struct counts {
	size_t lists, actions, policies, rules;
};

static void count_user(const struct spd *s, struct counts *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < s->nlists; i++)
		c->lists += !s->lists[i]->builtin;
	for (i = 0; i < s->nactions; i++)
		c->actions += !s->actions[i]->builtin;
	for (i = 0; i < s->npolicies; i++) {
		if (s->policies[i]->builtin)
			continue;
		c->policies++;
		c->rules += s->policies[i]->nrules;
	}
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* One line: what the file defines and what is in force. */
static void summary(const struct spd *s)
{
	const struct spd_policy *p = s->active;
	struct counts c;
	size_t nsf = spd_sfilter_count(s);

	count_user(s, &c);
	if (p)
		printf("policy '%s'%s: %zu rule%s, default response %s; ", p->name,
		       p->builtin ? " (built-in)" : "", p->nrules, plural(p->nrules),
		       p->dr.active ? "on" : "off");
	else
		printf("no policy in use (all traffic in clear); ");
	printf("defines %zu filter list%s, %zu action%s, %zu polic%s; %zu specific filter%s; "
	       "no-default-exempt %d\n",
	       c.lists, plural(c.lists), c.actions, plural(c.actions), c.policies,
	       c.policies == 1 ? "y" : "ies", nsf, plural(nsf), s->no_default_exempt);
}

int cmd_check_config(const struct cli_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "no-secrets", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_locals locals = { 0 };
	unsigned flags = 0;
	bool quiet = false;
	struct spd *s;
	int ch, r;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:nqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			flags |= CONF_NO_SECRETS;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			r = cli_conf_opt(c, ch, argv, &locals);
			if (r >= 0)
				return r;
		}
	}
	r = cli_load_arg(c, argc, argv, &locals, flags, &s);
	if (r != CLI_OK)
		return r;
	if (!quiet) {
		printf("%s: ok\n", argv[optind]);
		summary(s);
	}
	spd_free(s);
	return CLI_OK;
}
