/* esprit up / down / rekey: administrative actions on a running espritd's IKE engine, sent as
 * control requests with arguments (lib/ctlmsg.h: "up RULE [PEER]", "down RULE|CHILD-ID|SPI",
 * "rekey CHILD-ID|SPI [--ike]"). espritd answers one "ok ..." or "error ..." line; only its own
 * uid may ask. The engine starts the exchange and answers at once: `esprit sa` shows the result.
 */
#ifndef ESPRIT_CLI_CLI_UPDOWN_H
#define ESPRIT_CLI_CLI_UPDOWN_H

#include "cli/cli.h"

int cmd_up(const struct cli_cmd *c, int argc, char **argv);
int cmd_down(const struct cli_cmd *c, int argc, char **argv);
int cmd_rekey(const struct cli_cmd *c, int argc, char **argv);

#endif
