/* esprit(8) commands that ask a running espritd over its control socket (lib/ctlmsg.h):
 * status, sa, stats, export-wireshark, and up/down/rekey (cli_updown.h). cmd_ctl.c holds the
 * client and the shared options; each command renders the reply as a human table or, with
 * --json, as JSON.
 */
#ifndef ESPRIT_CLI_CLI_CTL_H
#define ESPRIT_CLI_CLI_CTL_H

#include <stdbool.h>

#include "cli/cli.h"
#include "lib/ctlmsg.h"

/* Options a control command accepts (bits for ctlc_args' allow). */
#define CTLC_OPT_JSON 1u
#define CTLC_OPT_KEYS 2u

struct ctlc_opts {
	const char *path; /* --control, else $ESPRIT_CONTROL, else CTLMSG_DEFAULT_PATH */
	bool json, keys;
};

/* $ESPRIT_CONTROL if set and not empty, else CTLMSG_DEFAULT_PATH. */
const char *ctlc_default_path(void);
/* Parse the command's options. -1: go on; otherwise the exit status to return (after --help
 * or a usage error). */
int ctlc_args(const struct cli_cmd *c, int argc, char **argv, unsigned allow, struct ctlc_opts *o);
/* Send request r and read the reply. CLI_OK and *out (free() it), or CLI_FAIL after
 * "esprit: cannot reach espritd at PATH: ..." or a protocol error on stderr. An "error" line
 * in the reply is printed and gives CLI_FAIL too. */
int ctlc_query(const struct ctlc_opts *o, enum ctl_req r, struct ctlmsg_reply **out);
/* Send the request datagram req[0..len) to the socket at path and read the reply: ctlc_query()
 * for a request already built (ctlmsg_req_build_args()). Same messages and results. */
int ctlc_request(const char *path, const char *req, size_t len, struct ctlmsg_reply **out);
/* The whole of a command that takes [--control PATH] [--json]: ask for req, then render the
 * reply with text() or json(). The exit status. */
typedef void ctlc_render_fn(const struct ctlmsg_reply *r);
int ctlc_main(const struct cli_cmd *c, int argc, char **argv, enum ctl_req req,
	      ctlc_render_fn *text, ctlc_render_fn *json);
/* Value of key in [from, to), "-" when absent. */
const char *ctlc_str(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key);
/* Value of key in [from, to) as a number (0 when absent or not a number). */
uint64_t ctlc_u64(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key);
/* JSON number for a numeric value, null for "-" or anything else. */
void ctlc_json_num(struct json *j, const char *key, const char *val);

int cmd_status(const struct cli_cmd *c, int argc, char **argv);
int cmd_sa(const struct cli_cmd *c, int argc, char **argv);
int cmd_stats(const struct cli_cmd *c, int argc, char **argv);
int cmd_export_wireshark(const struct cli_cmd *c, int argc, char **argv);

#endif
