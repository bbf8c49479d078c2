/* esprit sa: every installed SA with its algorithms, addresses, selectors, counters, lifetime
 * left and replay state, from espritd's `sa` records (one per SA, starting at key "sa"), then
 * every IKE SA (records starting at key "ike_sa"). --json gives both: {"sas": [...],
 * "ike_sas": [...]}. */
#include "cli/cli_ctl.h"

#include <inttypes.h>
#include <string.h>

/* A field of a record and how --json shows it: under json (NULL: its key), as a number (null
 * for "-") or a string ("-" as null if dash_null). */
struct sa_field {
	const char *key, *json;
	bool num, dash_null;
};

static const struct sa_field sa_fields[] = {
	{ .key = "spi" },
	{ .key = "dir" },
	{ .key = "proto" },
	{ .key = "mode" },
	{ .key = "family" },
	{ .key = "src" },
	{ .key = "dst" },
	{ .key = "encap" },
	{ .key = "esn" },
	{ .key = "alg" },
	{ .key = "encr" },
	{ .key = "encr_id", .num = true },
	{ .key = "encr_bits", .num = true },
	{ .key = "icv_len", .num = true },
	{ .key = "integ" },
	{ .key = "integ_id", .num = true },
	{ .key = "origin" },
	{ .key = "child_id", .num = true },
	{ .key = "packets", .num = true },
	{ .key = "bytes", .num = true },
	{ .key = "drops", .num = true },
	{ .key = "seq", .num = true },
	{ .key = "replay_window", .num = true },
	{ .key = "replay_top", .num = true },
	{ .key = "replay_drops", .num = true },
	{ .key = "age", .num = true },
	{ .key = "soft_seconds_left", .num = true },
	{ .key = "soft_bytes_left", .num = true },
	{ .key = "soft_packets_left", .num = true },
	{ .key = "hard_seconds_left", .num = true },
	{ .key = "hard_bytes_left", .num = true },
	{ .key = "hard_packets_left", .num = true },
	{ .key = "state" },
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

/* The fields of the table that record [a, b) has, as members of the open JSON object. */
static void json_fields(struct json *j, const struct ctlmsg_reply *r, size_t a, size_t b,
			const struct sa_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = ctlmsg_get(r, a, b, f[i].key);
		const char *name = f[i].json ? f[i].json : f[i].key;

		if (!v)
			continue;
		if (f[i].num)
			ctlc_json_num(j, name, v);
		else if (f[i].dash_null && !strcmp(v, "-"))
			json_null(j, name);
		else
			json_str(j, name, v);
	}
}

static void json_one(struct json *j, const struct ctlmsg_reply *r, size_t a, size_t b)
{
	uint64_t n;

	json_obj_begin(j, NULL);
	json_fields(j, r, a, b, sa_fields, sizeof(sa_fields) / sizeof(sa_fields[0]));
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

/* The fields of an IKE SA record: a "-" is null. */
static const struct sa_field ike_fields[] = {
	{ "ike_spi_i", "spi_i", .dash_null = true },
	{ "ike_spi_r", "spi_r", .dash_null = true },
	{ "ike_state", "state", .dash_null = true },
	{ "ike_role", "role", .dash_null = true },
	{ "ike_rule", "rule", .dash_null = true },
	{ "ike_local", "local", .dash_null = true },
	{ "ike_remote", "remote", .dash_null = true },
	{ "ike_encr", "encr", .dash_null = true },
	{ "ike_prf", "prf", .dash_null = true },
	{ "ike_integ", "integ", .dash_null = true },
	{ "ike_ke", "ke", .dash_null = true },
	{ "ike_age", "age", .num = true },
	{ "ike_rekey_left", "rekey_seconds_left", .num = true },
	{ "ike_expire_left", "expire_seconds_left", .num = true },
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
	json_fields(j, r, a, b, ike_fields, sizeof(ike_fields) / sizeof(ike_fields[0]));
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
