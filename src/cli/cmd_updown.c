/* esprit up RULE [--peer ADDR], esprit down RULE|SA, esprit rekey SA [--ike] (cli_updown.h).
 * Arguments are checked here as far as the CLI can (an address, the shape of an SA); whether
 * the rule or SA exists is espritd's answer, printed as it gives it. */
#include "cli/cli_updown.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_ctl.h"
#include "lib/ctlmsg.h"

struct updown_opts {
	const char *path; /* --control, else $ESPRIT_CONTROL, else CTLMSG_DEFAULT_PATH */
	const char *peer; /* up --peer */
	bool ike;	  /* rekey --ike */
};

static const char *updown_what(enum ctl_req verb)
{
	return verb == CTL_REQ_UP ? "RULE" : verb == CTL_REQ_DOWN ? "RULE or SA" : "SA";
}

/* --control for all three, --peer for up, --ike for rekey, exactly one operand. -1: go on;
 * else the exit status (after --help or a usage error). */
static int updown_args(const struct cli_cmd *c, int argc, char **argv, enum ctl_req verb,
		       struct updown_opts *o)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "ike", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->path = ctlc_default_path();
	o->peer = NULL;
	o->ike = false;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:p:ih", opts, NULL)) != -1) {
		if (ch == 'c') {
			o->path = optarg;
		} else if (ch == 'p' && verb == CTL_REQ_UP) {
			o->peer = optarg;
		} else if (ch == 'i' && verb == CTL_REQ_REKEY) {
			o->ike = true;
		} else if (ch == 'h') {
			cli_help_cmd(c, stdout);
			return CLI_OK;
		} else if (ch == 'p' || ch == 'i') {
			return cli_usage(c, "unknown option '%s'", argv[optind - 1]);
		} else {
			return cli_opt_error(c, argv, ch);
		}
	}
	if (optind >= argc)
		return cli_usage(c, "missing %s", updown_what(verb));
	if (optind + 1 < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind + 1]);
	return -1;
}

/* What `esprit sa` shows for an SA: its SPI "0x" + up to 8 hex digits, or the child id
 * (decimal, from 1). */
static bool sa_shaped(const char *s)
{
	size_t n;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
		n = strspn(s + 2, "0123456789abcdefABCDEF");
		return n >= 1 && n <= 8 && !s[2 + n];
	}
	n = strspn(s, "0123456789");
	return n >= 1 && n <= 10 && !s[n] && strtoull(s, NULL, 10) - 1 < UINT32_MAX;
}

/* The request for this command line; its length, or a usage error's exit status as -status. */
static long updown_request(const struct cli_cmd *c, enum ctl_req verb, const char *arg,
			   const struct updown_opts *o, char *buf, size_t cap)
{
	struct ctlmsg_req q = { .verb = verb, .nargs = 1 };
	char why[128];
	struct ipaddr ip;
	size_t len;

	if (verb == CTL_REQ_UP && o->peer && cli_parse_ip(o->peer, &ip, why, sizeof(why)) < 0)
		return -cli_usage(c, "--peer: %s", why);
	if (verb == CTL_REQ_REKEY && !sa_shaped(arg))
		return -cli_usage(c, "'%s' is not an SA: give its child id or its SPI (0x...)",
				  arg);
	if (strlen(arg) >= sizeof(q.arg[0]))
		return -cli_usage(c, "%s too long", updown_what(verb));
	strcpy(q.arg[0], arg);
	if (o->peer || o->ike) {
		strcpy(q.arg[1], o->peer ? o->peer : CTLMSG_OPT_IKE); /* the peer parsed above */
		q.nargs = 2;
	}
	len = ctlmsg_req_build_args(&q, buf, cap);
	if (!len)
		return -cli_usage(c,
				  "'%s' is not a valid %s (spaces, control characters or too long)",
				  arg, updown_what(verb));
	return (long)len;
}

/* espritd's answer: "ok MESSAGE" on stdout ("error MESSAGE" went to stderr in ctlc_request). */
static int updown_answer(const char *path, const struct ctlmsg_reply *r)
{
	const char *ok = ctlmsg_get(r, 0, r->n, "ok");

	if (!ok) {
		cli_err("espritd at %s: reply without an answer (an older espritd?)", path);
		return CLI_FAIL;
	}
	printf("%s\n", ok);
	return CLI_OK;
}

static int updown_main(const struct cli_cmd *c, int argc, char **argv, enum ctl_req verb)
{
	char req[CTLMSG_REQ_ARGS_MAX + 1];
	struct ctlmsg_reply *r;
	struct updown_opts o;
	long n;
	int rc = updown_args(c, argc, argv, verb, &o);

	if (rc >= 0)
		return rc;
	n = updown_request(c, verb, argv[optind], &o, req, sizeof(req));
	if (n < 0)
		return (int)-n;
	if (ctlc_request(o.path, req, (size_t)n, &r) != CLI_OK)
		return CLI_FAIL;
	rc = updown_answer(o.path, r);
	free(r);
	return rc;
}

int cmd_up(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_UP);
}

int cmd_down(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_DOWN);
}

int cmd_rekey(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_REKEY);
}
