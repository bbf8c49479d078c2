/* esprit(8): the command-line tool. Shared declarations of the subcommand table, argument
 * parsing helpers, configuration loading and the small JSON writer.
 *
 * Every subcommand is one entry in cli_cmds[] (main.c): a name (one or two words, e.g.
 * "check-config", "policy show"), a handler, a one-line summary and its usage text. Daemon
 * commands (status, sa, stats, up, down, rekey, ...) are added the same way once espritd
 * has a control socket.
 */
#ifndef ESPRIT_CLI_CLI_H
#define ESPRIT_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spd/spd.h"

/* Kept equal to project(VERSION) in CMakeLists.txt; tests/cli/test_usage.sh checks it. */
#define ESPRIT_VERSION "0.1.0"

/* Exit status, documented in --help and esprit(8). */
#define CLI_OK	  0 /* success */
#define CLI_FAIL  1 /* the command ran and failed (configuration errors, unreadable file) */
#define CLI_USAGE 2 /* bad command line */

struct cli_cmd {
	const char *name; /* "check-config", "policy show" */
	int (*run)(const struct cli_cmd *c, int argc, char **argv); /* argv[0] = name */
	const char *summary; /* one line for `esprit --help` */
	const char *args;    /* synopsis after the name */
	const char *options; /* option lines for `esprit help NAME`, "" if none */
};

/* main.c */
extern const char *cli_prog;
/* Print `usage: esprit NAME ARGS` and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After getopt_long returned '?' or ':' (optstring starts with ':'): usage, CLI_USAGE. */
int cli_opt_error(const struct cli_cmd *c, char **argv, int ch);
/* Full help of one command to f. */
void cli_help_cmd(const struct cli_cmd *c, FILE *f);
/* An error message "esprit: ..." on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_args.c: strict parsers; 0 or -1 with a message in why (>= 128 bytes). */
int cli_parse_ip(const char *s, struct ipaddr *ip, char *why, size_t len);
/* ADDR or ADDR/PLEN (plen 0 when absent). */
int cli_parse_local(const char *s, struct spd_local *l, char *why, size_t len);
int cli_parse_port(const char *s, uint16_t *port, char *why, size_t len);
/* Name (tcp, udp, icmp, icmp6, esp, ah, gre, ...) or number 0..255. */
int cli_parse_proto(const char *s, uint8_t *proto, char *why, size_t len);
/* Short name of a protocol for nftables/JSON, NULL if it has none. */
const char *cli_proto_name(uint8_t proto);

/* cli_load.c */
struct cli_locals {
	struct spd_local v[64];
	size_t n;
	bool given; /* from --local (else from the host's interfaces, or empty) */
};
/* Append one --local argument; 0, or -1 after printing an error. */
int cli_locals_add(struct cli_locals *l, const char *arg);
/* No --local given: use the addresses of this host's interfaces. */
void cli_locals_default(struct cli_locals *l);
/* Load and compile a configuration; prints every diagnostic to stderr. conf flags as in
 * conf.h. CLI_OK and *out, or CLI_FAIL. */
int cli_load(const char *path, const struct cli_locals *l, unsigned flags, struct spd **out,
	     size_t *ndiags);
/* The options every configuration command shares, for getopt's default case: -l/--local
 * (added to l) and -h/--help. -1: go on parsing; else the exit status to return. */
int cli_conf_opt(const struct cli_cmd *c, int ch, char **argv, struct cli_locals *l);
/* After the options: exactly one FILE, `me` defaulted from the host, then cli_load(). */
int cli_load_arg(const struct cli_cmd *c, int argc, char **argv, struct cli_locals *l,
		 unsigned flags, struct spd **out);

/* cli_json.c: a streaming JSON writer, enough for our reports. key is NULL inside arrays. */
#define JSON_DEPTH_MAX 16
struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH_MAX];
};
void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val); /* val NULL: null */
void json_int(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Final newline. */
void json_finish(struct json *j);

/* Subcommand handlers. */
int cmd_check_config(const struct cli_cmd *c, int argc, char **argv);
int cmd_policy_show(const struct cli_cmd *c, int argc, char **argv);
int cmd_policy_match(const struct cli_cmd *c, int argc, char **argv);
int cmd_firewall_rules(const struct cli_cmd *c, int argc, char **argv);

/* cli_fmt.c: formatting shared by the policy commands. */
/* Text of the packets' port field for one side of a specific filter: "any", "80",
 * "1024-65535"; "" when the protocol carries no ports. buf >= 16. */
const char *cli_ports_fmt(uint16_t proto, uint16_t lo, uint16_t hi, char *buf, size_t len);
/* A specific filter seen as packets: source and destination with their ports. */
struct cli_sf_view {
	char src[112], dst[112], sport[16], dport[16], proto[16];
};
void cli_sf_view(const struct spd_sfilter *sf, struct cli_sf_view *v);
const char *cli_action_kind_str(enum spd_action_kind k);
const char *cli_af_str(uint8_t af); /* "ipv4", "ipv6", "any" */
/* "transport" or "tunnel to A, local endpoint B". */
const char *cli_mode_fmt(const struct spd_rule *r, char *buf, size_t len);
/* One line per method of a negotiate action: IND LABEL METHOD, or "none (no IPsec)". */
void cli_text_methods(const struct spd_action *a, const char *label, const char *ind);
void cli_json_methods(struct json *j, const struct spd_action *a);
void cli_json_mode(struct json *j, const struct spd_rule *r);
/* The specific filter as an object under key (NULL inside an array). */
void cli_json_sfilter(struct json *j, const char *key, const struct spd_sfilter *sf);

#endif
