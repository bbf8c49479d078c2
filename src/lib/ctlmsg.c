/* Control protocol requests and replies (see ctlmsg.h). */
#include "lib/ctlmsg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/rw.h"
#include "lib/util.h"

static const char *const req_names[CTL_REQ_MAX] = {
	[CTL_REQ_STATUS] = "status",
	[CTL_REQ_SA] = "sa",
	[CTL_REQ_STATS] = "stats",
	[CTL_REQ_SA_KEYS] = "sa-keys",
};

#define CTLMSG_STAT_ROW_(key, label) { #key, label },
const struct ctlmsg_stat ctlmsg_qm_stats[] = { CTLMSG_QM_STATS(CTLMSG_STAT_ROW_) };
const size_t ctlmsg_qm_nstats = ARRAY_SIZE(ctlmsg_qm_stats);
const struct ctlmsg_stat ctlmsg_mm_stats[] = { CTLMSG_MM_STATS(CTLMSG_STAT_ROW_) };
const size_t ctlmsg_mm_nstats = ARRAY_SIZE(ctlmsg_mm_stats);
const struct ctlmsg_stat ctlmsg_dp_stats[] = { CTLMSG_DP_STATS(CTLMSG_STAT_ROW_) };
const size_t ctlmsg_dp_nstats = ARRAY_SIZE(ctlmsg_dp_stats);
#undef CTLMSG_STAT_ROW_

const char *ctlmsg_req_name(enum ctl_req r)
{
	return (unsigned)r < CTL_REQ_MAX ? req_names[r] : NULL;
}

size_t ctlmsg_req_build(enum ctl_req r, char *buf, size_t cap)
{
	const char *name = ctlmsg_req_name(r);
	int n;

	if (!name)
		return 0;
	n = snprintf(buf, cap, CTLMSG_MAGIC " %u %s\n", CTLMSG_VERSION, name);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static bool is_key_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Copy one line of printable text from r into out (NUL-terminated), consuming the newline.
 * Returns its length, or -1 on a control character or when it does not fit. */
static long line_take(struct rd *r, char *out, size_t cap)
{
	size_t n = 0;
	uint8_t c;

	while (rd_left(r)) {
		c = rd_u8(r);
		if (c == '\n')
			break;
		if (c < 0x20 || c > 0x7e || n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return (long)n;
}

int ctlmsg_req_parse(const uint8_t *buf, size_t len, enum ctl_req *req)
{
	char line[CTLMSG_REQ_MAX + 1], magic[16], verb[CTLMSG_REQ_MAX + 1];
	const char *v = line;
	unsigned version;
	struct rd r;
	int used = 0;

	if (len > CTLMSG_REQ_MAX)
		return -EMSGSIZE;
	rd_init(&r, buf, len);
	if (line_take(&r, line, sizeof(line)) <= 0 || rd_left(&r))
		return -EBADMSG; /* empty, control characters, or more than one line */
	if (!strncmp(line, CTLMSG_MAGIC " ", strlen(CTLMSG_MAGIC) + 1)) {
		if (sscanf(line, "%15s %u %n", magic, &version, &used) != 2 || !used)
			return -EBADMSG;
		if (version != CTLMSG_VERSION)
			return -EPROTONOSUPPORT;
		v = line + used;
	}
	if (sscanf(v, "%64s%n", verb, &used) != 1 || v[used] != 0)
		return -EBADMSG;
	for (unsigned i = 0; i < CTL_REQ_MAX; i++) {
		if (!strcmp(verb, req_names[i])) {
			*req = (enum ctl_req)i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Split "KEY[ VALUE]" in place; false when the key breaks the grammar. */
static bool item_split(char *line, struct ctlmsg_item *it)
{
	size_t k = 0;

	while (line[k] && line[k] != ' ') {
		if (!is_key_char((uint8_t)line[k]) || k >= CTLMSG_KEY_MAX)
			return false;
		k++;
	}
	if (k == 0)
		return false;
	it->key = line;
	it->val = line + k;
	if (line[k] == ' ') {
		line[k] = 0;
		it->val = line + k + 1;
	}
	return true;
}

static int version_line(struct rd *r, struct ctlmsg_reply *out, char *text)
{
	const char *pfx = CTLMSG_MAGIC " ";
	uint64_t v;
	long n;

	n = line_take(r, text, CTLMSG_REPLY_MAX + 1);
	if (n < 0 || strncmp(text, pfx, strlen(pfx)) != 0)
		return -EBADMSG;
	if (!ctlmsg_u64(text + strlen(pfx), &v))
		return -EBADMSG;
	out->version = v > 0xffff ? 0xffff : (unsigned)v;
	return out->version == CTLMSG_VERSION ? 0 : -EPROTONOSUPPORT;
}

int ctlmsg_reply_parse(const uint8_t *buf, size_t len, struct ctlmsg_reply *out)
{
	char *p = out->text;
	struct rd r;
	long n;
	int rc;

	out->n = 0;
	out->version = 0;
	out->error = NULL;
	if (len > CTLMSG_REPLY_MAX)
		return -EMSGSIZE;
	rd_init(&r, buf, len);
	rc = version_line(&r, out, p);
	if (rc < 0)
		return rc;
	p += strlen(p) + 1;
	while (rd_left(&r)) {
		struct ctlmsg_item *it = &out->item[out->n];

		if (out->n >= CTLMSG_ITEMS_MAX)
			return -EMSGSIZE;
		/* Lines are no longer than the input, so text always has room. */
		n = line_take(&r, p, (size_t)(out->text + sizeof(out->text) - p));
		if (n <= 0 || !item_split(p, it))
			return -EBADMSG;
		if (!out->error && !strcmp(it->key, "error"))
			out->error = it->val;
		p += n + 1;
		out->n++;
	}
	return 0;
}

size_t ctlmsg_find(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key)
{
	if (to > r->n)
		to = r->n;
	for (size_t i = from; i < to; i++)
		if (!strcmp(r->item[i].key, key))
			return i;
	return to;
}

const char *ctlmsg_get(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key)
{
	size_t i = ctlmsg_find(r, from, to, key);

	return i < to && i < r->n ? r->item[i].val : NULL;
}

bool ctlmsg_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}
