/* Control protocol requests and replies (see ctlmsg.h). */
#include "lib/ctlmsg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/rw.h"
#include "lib/util.h"

/* Each verb with the number of arguments it takes. */
static const struct {
	const char *name, *usage;
	uint8_t min, max;
} verbs[CTL_REQ_MAX] = {
	[CTL_REQ_STATUS] = { "status", "status", 0, 0 },
	[CTL_REQ_SA] = { "sa", "sa", 0, 0 },
	[CTL_REQ_STATS] = { "stats", "stats", 0, 0 },
	[CTL_REQ_SA_KEYS] = { "sa-keys", "sa-keys", 0, 0 },
	[CTL_REQ_UP] = { "up", "up RULE [PEER]", 1, 2 },
	[CTL_REQ_DOWN] = { "down", "down RULE|CHILD-ID|SPI", 1, 1 },
	[CTL_REQ_REKEY] = { "rekey", "rekey CHILD-ID|SPI [" CTLMSG_OPT_IKE "]", 1, 2 },
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
	return (unsigned)r < CTL_REQ_MAX ? verbs[r].name : NULL;
}

const char *ctlmsg_req_usage(enum ctl_req r)
{
	return (unsigned)r < CTL_REQ_MAX ? verbs[r].usage : NULL;
}

/* An argument is one word of printable ASCII. */
static bool arg_ok(const char *a)
{
	if (!*a)
		return false;
	for (; *a; a++)
		if (*a <= 0x20 || *a > 0x7e)
			return false;
	return true;
}

/* Do the arguments fit the verb? */
static bool args_fit(const struct ctlmsg_req *q)
{
	if ((unsigned)q->verb >= CTL_REQ_MAX || q->nargs < verbs[q->verb].min ||
	    q->nargs > verbs[q->verb].max)
		return false;
	for (size_t i = 0; i < q->nargs; i++)
		if (!arg_ok(q->arg[i]))
			return false;
	return q->verb != CTL_REQ_REKEY || q->nargs < 2 || !strcmp(q->arg[1], CTLMSG_OPT_IKE);
}

size_t ctlmsg_req_build_args(const struct ctlmsg_req *q, char *buf, size_t cap)
{
	size_t len;
	int n;

	if (!args_fit(q))
		return 0;
	n = snprintf(buf, cap, CTLMSG_MAGIC " %u %s", CTLMSG_VERSION, verbs[q->verb].name);
	for (size_t i = 0; i < q->nargs && n > 0 && (size_t)n < cap; i++) {
		len = (size_t)n;
		n = snprintf(buf + len, cap - len, " %s", q->arg[i]);
		n = n < 0 ? n : n + (int)len;
	}
	if (n < 0 || (size_t)n + 1 >= cap ||
	    (size_t)n + 1 > (verbs[q->verb].max ? CTLMSG_REQ_ARGS_MAX : CTLMSG_REQ_MAX))
		return 0;
	buf[n] = '\n';
	buf[n + 1] = 0;
	return (size_t)n + 1;
}

size_t ctlmsg_req_build(enum ctl_req r, char *buf, size_t cap)
{
	const struct ctlmsg_req q = { .verb = r };

	return ctlmsg_req_build_args(&q, buf, cap);
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

/* Split line in place at single spaces; the first max words go to w. Returns the number of
 * words, or -1 when one is empty (two spaces in a row, a space at either end). */
static int words_split(char *line, char **w, int max)
{
	int n = 0;

	for (char *p = line;; n++) {
		char *sp = strchr(p, ' ');

		if (sp == p || !*p)
			return -1;
		if (n < max)
			w[n] = p;
		if (!sp)
			return n + 1;
		*sp = 0;
		p = sp + 1;
	}
}

/* The verb and its arguments, from words w[0..n). */
static int req_words(char **w, int n, struct ctlmsg_req *q)
{
	unsigned i;

	for (i = 0; i < CTL_REQ_MAX; i++)
		if (!strcmp(w[0], verbs[i].name))
			break;
	if (i == CTL_REQ_MAX)
		return -ENOENT;
	q->verb = (enum ctl_req)i;
	if (n - 1 > (int)CTLMSG_ARGS_MAX)
		return -EINVAL;
	q->nargs = (size_t)(n - 1);
	for (size_t a = 0; a < q->nargs; a++) {
		if (!w[a + 1]) /* words_split() filled w up to n; kept explicit for the analyzer */
			return -EINVAL;
		strcpy(q->arg[a], w[a + 1]); /* no longer than the line */
	}
	return args_fit(q) ? 0 : -EINVAL;
}

static int req_read_line(const uint8_t *buf, size_t len, struct ctlmsg_req *q)
{
	char line[CTLMSG_REQ_ARGS_MAX + 1];
	char *w[CTLMSG_ARGS_MAX + 4] = { 0 };
	int n, skip = 0;
	uint64_t version;
	struct rd r;

	rd_init(&r, buf, len);
	if (line_take(&r, line, sizeof(line)) <= 0 || rd_left(&r))
		return -EBADMSG; /* empty, control characters, or more than one line */
	n = words_split(line, w, (int)ARRAY_SIZE(w));
	if (n < 0)
		return -EBADMSG;
	if (!strcmp(w[0], CTLMSG_MAGIC)) {
		if (n < 3 || !ctlmsg_u64(w[1], &version))
			return -EBADMSG;
		if (version != CTLMSG_VERSION)
			return -EPROTONOSUPPORT;
		skip = 2;
	}
	/* Words past the array are only counted: too many for any verb. */
	if (n > (int)ARRAY_SIZE(w))
		n = (int)ARRAY_SIZE(w);
	return req_words(w + skip, n - skip, q);
}

int ctlmsg_req_read(const uint8_t *buf, size_t len, struct ctlmsg_req *q)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->verb = CTL_REQ_MAX;
	if (len > CTLMSG_REQ_ARGS_MAX)
		return -EMSGSIZE;
	rc = req_read_line(buf, len, q);
	/* Only a verb that takes arguments may use the longer limit. */
	if (len > CTLMSG_REQ_MAX && (q->verb == CTL_REQ_MAX || !verbs[q->verb].max))
		return -EMSGSIZE;
	return rc;
}

int ctlmsg_req_parse(const uint8_t *buf, size_t len, enum ctl_req *r)
{
	struct ctlmsg_req q;
	int rc = ctlmsg_req_read(buf, len, &q);

	if (rc == -EINVAL || (!rc && verbs[q.verb].min > 0))
		return -EBADMSG;
	if (!rc)
		*r = q.verb;
	return rc;
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
