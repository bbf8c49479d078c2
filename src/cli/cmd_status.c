/* esprit status: is espritd running, since when, with which TUN, steering and SAs. */
#include "cli/cli_ctl.h"

#include <inttypes.h>
#include <string.h>

/* "1d 2h 3m 4s", leading zero units left out. */
static const char *uptime_fmt(uint64_t s, char *buf, size_t len)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", d, h, m,
			 s % 60);
	else if (h)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, s % 60);
	else if (m)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

static void status_text(const struct ctlmsg_reply *r)
{
	const char *ike = ctlmsg_get(r, 0, r->n, "ike");
	char up[64];
	uint64_t n;

	printf("espritd %s, up %s (pid %" PRIu64 ")\n", ctlc_str(r, 0, r->n, "version"),
	       uptime_fmt(ctlc_u64(r, 0, r->n, "uptime"), up, sizeof(up)),
	       ctlc_u64(r, 0, r->n, "pid"));
	printf("  %-10s %s\n", "TUN", ctlc_str(r, 0, r->n, "tun"));
	printf("  %-10s %s\n", "steering", ctlc_str(r, 0, r->n, "steering"));
	printf("  %-10s %" PRIu64 " (manual %" PRIu64 ", IKE %" PRIu64 "; inbound %" PRIu64
	       ", outbound %" PRIu64 ")\n",
	       "SAs", ctlc_u64(r, 0, r->n, "sas"), ctlc_u64(r, 0, r->n, "sas_manual"),
	       ctlc_u64(r, 0, r->n, "sas_ike"), ctlc_u64(r, 0, r->n, "sas_in"),
	       ctlc_u64(r, 0, r->n, "sas_out"));
	if (!ike || strcmp(ike, "on")) {
		printf("  %-10s off (manual keys only)\n", "IKE");
		return;
	}
	n = ctlc_u64(r, 0, r->n, "ike_sas");
	printf("  %-10s on, %" PRIu64 " IKE SA%s\n", "IKE", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->item[i].key, "ike_sa"))
			printf("    %s\n", r->item[i].val);
}

static void status_json(const struct ctlmsg_reply *r)
{
	const char *ike = ctlmsg_get(r, 0, r->n, "ike");
	const char *st = ctlc_str(r, 0, r->n, "steering");
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "version", ctlc_str(r, 0, r->n, "version"));
	ctlc_json_num(&j, "pid", ctlmsg_get(r, 0, r->n, "pid"));
	ctlc_json_num(&j, "uptime", ctlmsg_get(r, 0, r->n, "uptime"));
	json_str(&j, "tun", ctlc_str(r, 0, r->n, "tun"));
	json_bool(&j, "steering", st && !strcmp(st, "on"));
	json_obj_begin(&j, "sas");
	ctlc_json_num(&j, "total", ctlmsg_get(r, 0, r->n, "sas"));
	ctlc_json_num(&j, "manual", ctlmsg_get(r, 0, r->n, "sas_manual"));
	ctlc_json_num(&j, "ike", ctlmsg_get(r, 0, r->n, "sas_ike"));
	ctlc_json_num(&j, "inbound", ctlmsg_get(r, 0, r->n, "sas_in"));
	ctlc_json_num(&j, "outbound", ctlmsg_get(r, 0, r->n, "sas_out"));
	json_obj_end(&j);
	json_bool(&j, "ike", ike && !strcmp(ike, "on"));
	json_arr_begin(&j, "ike_sas");
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->item[i].key, "ike_sa"))
			json_str(&j, NULL, r->item[i].val);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_status(const struct cli_cmd *c, int argc, char **argv)
{
	return ctlc_main(c, argc, argv, CTL_REQ_STATUS, status_text, status_json);
}
