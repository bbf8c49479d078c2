/* esprit stats: the counters of Windows' IP Security Monitor (Quick Mode, and Main Mode when
 * IKE runs), then the data path's own counters and drop reasons. Names and order come from
 * lib/ctlmsg.h, which the daemon uses too. */
#include "cli/cli_ctl.h"

#include <inttypes.h>
#include <string.h>

/* "drop WHERE N REASON": WHERE is dp, in or out. */
static bool drop_parse(const char *v, char *where, size_t wlen, uint64_t *n, const char **why)
{
	char num[24];
	const char *p = strchr(v, ' '), *q;

	if (!p || (size_t)(p - v) >= wlen)
		return false;
	memcpy(where, v, (size_t)(p - v));
	where[p - v] = 0;
	q = strchr(p + 1, ' ');
	if (!q || (size_t)(q - p - 1) >= sizeof(num))
		return false;
	memcpy(num, p + 1, (size_t)(q - p - 1));
	num[q - p - 1] = 0;
	*why = q + 1;
	return ctlmsg_u64(num, n);
}

static const char *where_str(const char *w)
{
	return !strcmp(w, "in") ? "inbound" : !strcmp(w, "out") ? "outbound" : "data path";
}

static void text_table(const struct ctlmsg_reply *r, const char *title, const struct ctlmsg_stat *t,
		       size_t n)
{
	printf("%s\n", title);
	for (size_t i = 0; i < n; i++)
		printf("  %-36s %s\n", t[i].label, ctlc_str(r, 0, r->n, t[i].key));
}

static void stats_text(const struct ctlmsg_reply *r)
{
	const char *why;
	char where[8];
	uint64_t n;
	bool any = false;

	text_table(r, "Quick Mode", ctlmsg_qm_stats, ctlmsg_qm_nstats);
	if (ctlmsg_get(r, 0, r->n, ctlmsg_mm_stats[0].key))
		text_table(r, "\nMain Mode (IKE)", ctlmsg_mm_stats, ctlmsg_mm_nstats);
	text_table(r, "\nData path", ctlmsg_dp_stats, ctlmsg_dp_nstats);
	printf("\nDrops\n");
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->item[i].key, "drop") ||
		    !drop_parse(r->item[i].val, where, sizeof(where), &n, &why))
			continue;
		char label[96];

		/* The data path's own reasons already say which way. */
		snprintf(label, sizeof(label), "%s%s%s",
			 strcmp(where, "dp") ? where_str(where) : "",
			 strcmp(where, "dp") ? ": " : "", why);
		printf("  %-36s %" PRIu64 "\n", label, n);
		any = true;
	}
	if (!any)
		printf("  none\n");
}

static void json_table(struct json *j, const struct ctlmsg_reply *r, const char *name,
		       const struct ctlmsg_stat *t, size_t n)
{
	json_obj_begin(j, name);
	for (size_t i = 0; i < n; i++)
		ctlc_json_num(j, t[i].key, ctlmsg_get(r, 0, r->n, t[i].key));
	json_obj_end(j);
}

static void stats_json(const struct ctlmsg_reply *r)
{
	const char *why;
	char where[8];
	struct json j;
	uint64_t n;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_table(&j, r, "quick_mode", ctlmsg_qm_stats, ctlmsg_qm_nstats);
	if (ctlmsg_get(r, 0, r->n, ctlmsg_mm_stats[0].key))
		json_table(&j, r, "main_mode", ctlmsg_mm_stats, ctlmsg_mm_nstats);
	json_table(&j, r, "datapath", ctlmsg_dp_stats, ctlmsg_dp_nstats);
	json_arr_begin(&j, "drops");
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->item[i].key, "drop") ||
		    !drop_parse(r->item[i].val, where, sizeof(where), &n, &why))
			continue;
		json_obj_begin(&j, NULL);
		json_str(&j, "where", where_str(where));
		json_str(&j, "reason", why);
		json_int(&j, "count", (long long)n);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_stats(const struct cli_cmd *c, int argc, char **argv)
{
	return ctlc_main(c, argc, argv, CTL_REQ_STATS, stats_text, stats_json);
}
