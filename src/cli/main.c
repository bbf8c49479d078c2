/* esprit: entry point, the subcommand table, help and usage. */
#include "cli/cli.h"
#include "cli/cli_ctl.h"
#include "cli/cli_updown.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

const char *cli_prog = "esprit";

static int cmd_help(const struct cli_cmd *c, int argc, char **argv);

#define LOCAL_OPT                                                                         \
	"  -l, --local ADDR[/PLEN]  an address of the host the file configures (`me`);\n" \
	"                           repeat for several; default: this host's addresses\n"
#define HELP_OPT "  -h, --help               show this help\n"
#define CONTROL_OPT                                                                            \
	"  -c, --control PATH       espritd's control socket (default $ESPRIT_CONTROL, else\n" \
	"                           " CTLMSG_DEFAULT_PATH ")\n"
#define JSON_OPT "  -j, --json               machine-readable output\n"

/* The command table. Daemon commands slot in here with their own handlers. */
static const struct cli_cmd cli_cmds[] = {
	{ "check-config", cmd_check_config, "check a configuration file, report every error",
	  "[-l ADDR[/PLEN]]... [--no-secrets] FILE",
	  LOCAL_OPT "  -n, --no-secrets         do not look at PSK, certificate and key files\n"
		    "  -q, --quiet              print nothing when the file is fine\n" HELP_OPT },
	{ "policy show", cmd_policy_show,
	  "show the effective filters (specific filters) and exemptions",
	  "[-l ADDR[/PLEN]]... [--json] FILE",
	  LOCAL_OPT "  -j, --json               machine-readable output\n" HELP_OPT },
	{ "policy match", cmd_policy_match, "explain which rule decides a packet, and why",
	  "[-l ADDR[/PLEN]]... --src A --dst B [--proto P] [--sport N] [--dport N]\n"
	  "             [--in|--out] [--json] FILE",
	  "  -s, --src ADDR           source address of the packet\n"
	  "  -d, --dst ADDR           destination address of the packet\n"
	  "  -p, --proto PROTO        protocol name or number 0-255 (default tcp)\n"
	  "      --sport N            source port 0-65535 (tcp/udp; default 0)\n"
	  "      --dport N            destination port 0-65535 (tcp/udp; default 0)\n"
	  "  -i, --in                 the packet arrives at this host (source is remote)\n"
	  "  -o, --out                the packet leaves this host (default)\n"
	  "  -l, --local ADDR[/PLEN]  an address of this host (`me`); repeat for several;\n"
	  "                           default: the packet's local address\n"
	  "  -j, --json               machine-readable output\n" HELP_OPT },
	{ "firewall-rules", cmd_firewall_rules,
	  "print an nftables ruleset that lets this policy's IPsec through a firewall",
	  "[-l ADDR[/PLEN]]... [--block-plaintext] [--table NAME] FILE",
	  LOCAL_OPT
	  "  -b, --block-plaintext    also drop the plaintext traffic the policy protects\n"
	  "  -t, --table NAME         name of the inet table (default esprit_fw)\n" HELP_OPT },
	{ "status", cmd_status, "show whether espritd runs: uptime, TUN, steering, SA counts",
	  "[--control PATH] [--json]", CONTROL_OPT JSON_OPT HELP_OPT },
	{ "sa", cmd_sa, "list the SAs and IKE SAs with algorithms, counters and lifetimes",
	  "[--control PATH] [--json]", CONTROL_OPT JSON_OPT HELP_OPT },
	{ "stats", cmd_stats, "show IPsec statistics (IP Security Monitor counters, drops)",
	  "[--control PATH] [--json]", CONTROL_OPT JSON_OPT HELP_OPT },
	{ "export-wireshark", cmd_export_wireshark,
	  "print the ESP SAs as Wireshark esp_sa lines so tshark can decrypt a capture",
	  "[--control PATH] [--keys]",
	  CONTROL_OPT
	  "  -k, --keys               include the keys (espritd logs the export)\n" HELP_OPT },
	{ "up", cmd_up, "negotiate a rule's SAs with IKE now, without waiting for traffic",
	  "[--control PATH] [--peer ADDR] RULE",
	  CONTROL_OPT
	  "  -p, --peer ADDR          the peer to negotiate with (needed when the rule has\n"
	  "                           more than one)\n" HELP_OPT },
	{ "down", cmd_down, "delete a rule's IKE SAs, or one Child SA pair, on both ends",
	  "[--control PATH] RULE|SA",
	  CONTROL_OPT HELP_OPT
	  "\nSA is a child id or SPI (0x...) as shown by `esprit sa`: its pair is\n"
	  "deleted with the peer. RULE: every IKE SA of the rule and its Child SAs.\n" },
	{ "rekey", cmd_rekey, "rekey a Child SA pair, or with --ike the IKE SA that carries it",
	  "[--control PATH] [--ike] SA",
	  CONTROL_OPT "  -i, --ike                rekey the IKE SA of the pair (its Child SAs are "
		      "kept)\n" HELP_OPT
		      "\nSA is a child id or SPI (0x...) as shown by `esprit sa`.\n" },
	{ "help", cmd_help, "show help for a command", "[COMMAND]", "" },
};

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s %s: ", cli_prog, c->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s %s %s\n", cli_prog, c->name, c->args);
	fprintf(stderr, "Try '%s help %s' for more information.\n", cli_prog, c->name);
	return CLI_USAGE;
}

int cli_opt_error(const struct cli_cmd *c, char **argv, int ch)
{
	const char *arg = argv[optind - 1];

	if (ch == ':')
		return cli_usage(c, "option '%s' needs an argument", arg);
	if (strncmp(arg, "--", 2) == 0 || !optopt)
		return cli_usage(c, "unknown option '%s'", arg);
	return cli_usage(c, "unknown option '-%c'", optopt);
}

void cli_help_cmd(const struct cli_cmd *c, FILE *f)
{
	fprintf(f, "usage: %s %s %s\n\n%s.\n", cli_prog, c->name, c->args, c->summary);
	if (c->options[0])
		fprintf(f, "\nOptions:\n%s", c->options);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

static void help_all(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: %s [--help] [--version] COMMAND [ARGS]\n\n"
		"esprit " ESPRIT_VERSION " -- IPsec policy and control tool\n\nCommands:\n",
		cli_prog);
	for (i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		fprintf(f, "  %-16s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
	fprintf(f,
		"\nRun '%s help COMMAND' or '%s COMMAND --help' for a command's options.\n\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  failure (configuration errors, unreadable file, ...)\n"
		"  2  usage error (unknown command or option, bad argument)\n",
		cli_prog, cli_prog);
}

/* Does word sequence argv[0..argc) start with the (one- or two-word) name? Returns the number
 * of words used, 0 if not. */
static int name_match(const char *name, int argc, char **argv)
{
	const char *sp = strchr(name, ' ');
	size_t n1 = sp ? (size_t)(sp - name) : strlen(name);

	if (argc < 1 || strlen(argv[0]) != n1 || strncmp(argv[0], name, n1) != 0)
		return 0;
	if (!sp)
		return 1;
	if (argc < 2 || strcmp(argv[1], sp + 1) != 0)
		return -1; /* first word of a group matched, second did not */
	return 2;
}

/* Find the command named by argv; *words = words used. NULL: unknown, *group set if the
 * first word names a group ("policy"). */
static const struct cli_cmd *cmd_find(int argc, char **argv, int *words, bool *group)
{
	size_t i;
	int m;

	*group = false;
	for (i = 0; i < ARRAY_SIZE(cli_cmds); i++) {
		m = name_match(cli_cmds[i].name, argc, argv);
		if (m > 0) {
			*words = m;
			return &cli_cmds[i];
		}
		if (m < 0)
			*group = true;
	}
	return NULL;
}

/* Help for every command of a group such as "policy". */
static void help_group(const char *group, FILE *f)
{
	size_t i, n = strlen(group);

	for (i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		if (strncmp(cli_cmds[i].name, group, n) == 0 && cli_cmds[i].name[n] == ' ')
			fprintf(f, "usage: %s %s %s\n", cli_prog, cli_cmds[i].name,
				cli_cmds[i].args);
}

static int cmd_help(const struct cli_cmd *c, int argc, char **argv)
{
	const struct cli_cmd *t;
	bool group;
	int words;

	if (argc < 2) {
		help_all(stdout);
		return CLI_OK;
	}
	t = cmd_find(argc - 1, argv + 1, &words, &group);
	if (!t && group && argc == 2) {
		help_group(argv[1], stdout);
		return CLI_OK;
	}
	if (!t || words != argc - 1)
		return cli_usage(c, "unknown command '%s'", argv[1]);
	cli_help_cmd(t, stdout);
	return CLI_OK;
}

/* `esprit policy` alone, or with an unknown second word. */
static int group_usage(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help_group(argv[0], stdout);
		return CLI_OK;
	}
	if (argc < 2)
		fprintf(stderr, "%s %s: missing subcommand\n", cli_prog, argv[0]);
	else
		fprintf(stderr, "%s %s: unknown subcommand '%s'\n", cli_prog, argv[0], argv[1]);
	help_group(argv[0], stderr);
	return CLI_USAGE;
}

static int run_cmd(int argc, char **argv)
{
	const struct cli_cmd *c;
	bool group;
	int words;

	c = cmd_find(argc, argv, &words, &group);
	if (!c) {
		if (group)
			return group_usage(argc, argv);
		fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, argv[0]);
		fprintf(stderr, "Try '%s --help' for the list of commands.\n", cli_prog);
		return CLI_USAGE;
	}
	/* The handler sees its full name as argv[0], then its own arguments. */
	argv[words - 1] = (char *)c->name;
	return c->run(c, argc - (words - 1), argv + (words - 1));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	/* '+': stop at the command name; its options belong to it. */
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help_all(stdout);
			return CLI_OK;
		case 'V':
			printf("esprit " ESPRIT_VERSION "\n");
			return CLI_OK;
		default:
			fprintf(stderr, "%s: unknown option '%s'\n", cli_prog, argv[optind - 1]);
			help_all(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: missing command\n", cli_prog);
		help_all(stderr);
		return CLI_USAGE;
	}
	return run_cmd(argc - optind, argv + optind);
}
