/* esprit sa: every installed SA with its algorithms, addresses, selectors, counters, lifetime
 * left and replay state, from espritd's `sa` records (one per SA, starting at key "sa"), then
 * every IKE SA (records starting at key "ike_sa"). --json gives both: {"sas": [...],
 * "ike_sas": [...]}. */
#include "cli/cli_ctl.h"

#include <inttypes.h>
#include <string.h>

/* Fields of a record and how --json shows them: as a string, or a number (null for "-"). */
static const struct {
	const char *key;
	bool num;
} sa_fields[] = {
	{ "spi", false },
	{ "dir", false },
	{ "proto", false },
	{ "mode", false },
	{ "family", false },
	{ "src", false },
	{ "dst", false },
	{ "encap", false },
	{ "esn", false },
	{ "alg", false },
	{ "encr", false },
	{ "encr_id", true },
	{ "encr_bits", true },
	{ "icv_len", true },
	{ "integ", false },
	{ "integ_id", true },
	{ "origin", false },
	{ "child_id", true },
	{ "packets", true },
	{ "bytes", true },
	{ "drops", true },
	{ "seq", true },
	{ "replay_window", true },
	{ "replay_top", true },
	{ "replay_drops", true },
	{ "age", true },
	{ "soft_seconds_left", true },
	{ "soft_bytes_left", true },
	{ "soft_packets_left", true },
	{ "hard_seconds_left", true },
	{ "hard_bytes_left", true },
	{ "hard_packets_left", true },
	{ "state", false },
};

/* "drop N REASON" -> N and REASON. */
static const char *drop_split(const char *v, uint64_t *n)
{
	char num[24];
	size_t k = strcspn(v, " ");

	*n = 0;
	if (k >= sizeof(num))
		return v;
	memcpy(num, v, k);
	num[k] = 0;
	if (!ctlmsg_u64(num, n) || !v[k])
		return v;
	return v + k + 1;
}

static void text_lifetime(const struct ctlmsg_reply *r, size_t a, size_t b, const char *kind)
{
	char k1[32], k2[32], k3[32];

	snprintf(k1, sizeof(k1), "%s_seconds_left", kind);
	snprintf(k2, sizeof(k2), "%s_bytes_left", kind);
	snprintf(k3, sizeof(k3), "%s_packets_left", kind);
	printf("%s %s s, %s bytes, %s packets", kind, ctlc_str(r, a, b, k1), ctlc_str(r, a, b, k2),
	       ctlc_str(r, a, b, k3));
}

static void text_one(const struct ctlmsg_reply *r, size_t a, size_t b)
{
	const char *dir = ctlc_str(r, a, b, "dir");
	uint64_t n;

	printf("SA %s  %s %s %s  %s -> %s\n", ctlc_str(r, a, b, "spi"), ctlc_str(r, a, b, "proto"),
	       ctlc_str(r, a, b, "mode"), strcmp(dir, "out") ? "inbound" : "outbound",
	       ctlc_str(r, a, b, "src"), ctlc_str(r, a, b, "dst"));
	printf("  %-11s %s (encryption %s, integrity %s%s)\n", "algorithms",
	       ctlc_str(r, a, b, "alg"), ctlc_str(r, a, b, "encr"), ctlc_str(r, a, b, "integ"),
	       strcmp(ctlc_str(r, a, b, "esn"), "yes") ? "" : ", ESN");
	printf("  %-11s %s\n", "encap", ctlc_str(r, a, b, "encap"));
	printf("  %-11s %s\n", "origin", ctlc_str(r, a, b, "origin"));
	/* What esprit down and esprit rekey take, besides the SPI; manual SAs have none. */
	if (ctlc_u64(r, a, b, "child_id"))
		printf("  %-11s %s\n", "child id", ctlc_str(r, a, b, "child_id"));
	for (size_t i = a; i < b; i++)
		if (!strcmp(r->item[i].key, "selector"))
			printf("  %-11s %s\n", "selector", r->item[i].val);
	printf("  %-11s %s packets, %s bytes, %s drops", "traffic", ctlc_str(r, a, b, "packets"),
	       ctlc_str(r, a, b, "bytes"), ctlc_str(r, a, b, "drops"));
	for (size_t i = a, first = 1; i < b; i++) {
		if (strcmp(r->item[i].key, "drop"))
			continue;
		const char *why = drop_split(r->item[i].val, &n);

		printf("%s%s %" PRIu64, first ? " (" : ", ", why, n);
		first = 0;
	}
	printf("%s\n", ctlmsg_find(r, a, b, "drop") < b ? ")" : "");
	printf("  %-11s %s\n", "sequence", ctlc_str(r, a, b, "seq"));
	if (!strcmp(dir, "in"))
		printf("  %-11s window %s, highest %s, %s replayed packets dropped\n", "replay",
		       ctlc_str(r, a, b, "replay_window"), ctlc_str(r, a, b, "replay_top"),
		       ctlc_str(r, a, b, "replay_drops"));
	printf("  %-11s ", "life left");
	text_lifetime(r, a, b, "soft");
	printf("; ");
	text_lifetime(r, a, b, "hard");
	printf("\n  %-11s %s, age %s s\n", "state", ctlc_str(r, a, b, "state"),
	       ctlc_str(r, a, b, "age"));
}

static void json_one(struct json *j, const struct ctlmsg_reply *r, size_t a, size_t b)
{
	uint64_t n;

	json_obj_begin(j, NULL);
	for (size_t f = 0; f < sizeof(sa_fields) / sizeof(sa_fields[0]); f++) {
		const char *v = ctlmsg_get(r, a, b, sa_fields[f].key);

		if (!v)
			continue;
		if (sa_fields[f].num)
			ctlc_json_num(j, sa_fields[f].key, v);
		else
			json_str(j, sa_fields[f].key, v);
	}
	json_arr_begin(j, "selectors");
	for (size_t i = a; i < b; i++)
		if (!strcmp(r->item[i].key, "selector"))
			json_str(j, NULL, r->item[i].val);
	json_arr_end(j);
	json_arr_begin(j, "drop_reasons");
	for (size_t i = a; i < b; i++) {
		if (strcmp(r->item[i].key, "drop"))
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "reason", drop_split(r->item[i].val, &n));
		json_int(j, "count", (long long)n);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* Fields of an IKE SA record: protocol key, --json key, number or string. */
static const struct {
	const char *key, *json;
	bool num;
} ike_fields[] = {
	{ "ike_spi_i", "spi_i", false },
	{ "ike_spi_r", "spi_r", false },
	{ "ike_state", "state", false },
	{ "ike_role", "role", false },
	{ "ike_rule", "rule", false },
	{ "ike_local", "local", false },
	{ "ike_remote", "remote", false },
	{ "ike_encr", "encr", false },
	{ "ike_prf", "prf", false },
	{ "ike_integ", "integ", false },
	{ "ike_ke", "ke", false },
	{ "ike_age", "age", true },
	{ "ike_rekey_left", "rekey_seconds_left", true },
	{ "ike_expire_left", "expire_seconds_left", true },
};

/* A record runs from its first line to the next record of either kind. */
static size_t rec_end(const struct ctlmsg_reply *r, size_t a)
{
	size_t sa = ctlmsg_find(r, a + 1, r->n, "sa"), ike = ctlmsg_find(r, a + 1, r->n, "ike_sa");

	return sa < ike ? sa : ike;
}

static void text_ike_one(const struct ctlmsg_reply *r, size_t a, size_t b)
{
	printf("IKE SA %s:%s  %s %s  rule %s\n", ctlc_str(r, a, b, "ike_spi_i"),
	       ctlc_str(r, a, b, "ike_spi_r"), ctlc_str(r, a, b, "ike_state"),
	       ctlc_str(r, a, b, "ike_role"), ctlc_str(r, a, b, "ike_rule"));
	printf("  %-11s %s -> %s\n", "endpoints", ctlc_str(r, a, b, "ike_local"),
	       ctlc_str(r, a, b, "ike_remote"));
	printf("  %-11s ENCR %s, PRF %s, INTEG %s, KE %s\n", "transforms",
	       ctlc_str(r, a, b, "ike_encr"), ctlc_str(r, a, b, "ike_prf"),
	       ctlc_str(r, a, b, "ike_integ"), ctlc_str(r, a, b, "ike_ke"));
	printf("  %-11s %s\n", "child ids", ctlc_str(r, a, b, "ike_children"));
	printf("  %-11s age %s s, rekey in %s s, expires in %s s\n", "life",
	       ctlc_str(r, a, b, "ike_age"), ctlc_str(r, a, b, "ike_rekey_left"),
	       ctlc_str(r, a, b, "ike_expire_left"));
}

static void json_ike_one(struct json *j, const struct ctlmsg_reply *r, size_t a, size_t b)
{
	const char *kids = ctlc_str(r, a, b, "ike_children");
	uint64_t id;

	json_obj_begin(j, NULL);
	for (size_t f = 0; f < sizeof(ike_fields) / sizeof(ike_fields[0]); f++) {
		const char *v = ctlmsg_get(r, a, b, ike_fields[f].key);

		if (!v)
			continue;
		if (ike_fields[f].num)
			ctlc_json_num(j, ike_fields[f].json, v);
		else if (!strcmp(v, "-"))
			json_null(j, ike_fields[f].json);
		else
			json_str(j, ike_fields[f].json, v);
	}
	json_arr_begin(j, "child_ids");
	/* "5 7", or "-" when it carries none. */
	for (const char *p = kids; *p; p += strspn(p, " ")) {
		char num[24];
		size_t k = strcspn(p, " ");

		if (k < sizeof(num)) {
			memcpy(num, p, k);
			num[k] = 0;
			if (ctlmsg_u64(num, &id))
				json_int(j, NULL, (long long)id);
		}
		p += k;
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void sa_text(const struct ctlmsg_reply *r)
{
	size_t a, count = 0;

	for (a = ctlmsg_find(r, 0, r->n, "sa"); a < r->n; a = ctlmsg_find(r, a + 1, r->n, "sa")) {
		printf("%s", count++ ? "\n" : "");
		text_one(r, a, rec_end(r, a));
	}
	for (a = ctlmsg_find(r, 0, r->n, "ike_sa"); a < r->n;
	     a = ctlmsg_find(r, a + 1, r->n, "ike_sa")) {
		printf("%s", count++ ? "\n" : "");
		text_ike_one(r, a, rec_end(r, a));
	}
	if (!count)
		printf("no SAs installed\n");
}

static void sa_json(const struct ctlmsg_reply *r)
{
	struct json j;
	size_t a;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_arr_begin(&j, "sas");
	for (a = ctlmsg_find(r, 0, r->n, "sa"); a < r->n; a = ctlmsg_find(r, a + 1, r->n, "sa"))
		json_one(&j, r, a, rec_end(r, a));
	json_arr_end(&j);
	json_arr_begin(&j, "ike_sas");
	for (a = ctlmsg_find(r, 0, r->n, "ike_sa"); a < r->n;
	     a = ctlmsg_find(r, a + 1, r->n, "ike_sa"))
		json_ike_one(&j, r, a, rec_end(r, a));
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_sa(const struct cli_cmd *c, int argc, char **argv)
{
	return ctlc_main(c, argc, argv, CTL_REQ_SA, sa_text, sa_json);
}
