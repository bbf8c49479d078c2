/* Control verbs up, down and rekey: requests with arguments in lib/ctlmsg (read, build, limits)
 * and their handling in daemon/ctl_admin.c (arguments resolved against the data path's SAs,
 * manual SAs refused, each engine call with the right id, the engine's errors worded, the
 * daemon's uid only), through ctl_reply() as espritd answers them. The IKE engine and the data
 * path are test doubles that record what they were asked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ctl.c"	      /* NOLINT: ctl_reply() dispatches the verbs */
#include "daemon/ctl_admin.c" /* NOLINT: the unit under test */

/* ---- test doubles ------------------------------------------------------------------------- */

/* A manual pair (0x1001 out, 0x1002 in) and IKE child 7 of rule web (0x2001 out, 0x2002 in),
 * peer 10.0.0.2. */
#define NSA 4
static struct sa sas[NSA];
static const char *const origins[NSA] = { "manual", "manual", "web", "web" };
static const uint32_t child_ids[NSA] = { 0, 0, 7, 7 };

size_t dpath_sa_count(const struct dpath *d)
{
	(void)d;
	return NSA;
}

bool dpath_sa_get(const struct dpath *d, size_t i, struct dpath_sa_view *v)
{
	(void)d;
	if (i >= NSA)
		return false;
	memset(v, 0, sizeof(*v));
	v->sa = &sas[i];
	v->origin = origins[i];
	v->child_id = child_ids[i];
	return true;
}

const char *dp_drop_name(enum dp_drop r)
{
	(void)r;
	return "other";
}

const struct ike_stats *ike_get_stats(const struct ike *ike)
{
	static const struct ike_stats st;

	(void)ike;
	return &st;
}

void ike_foreach_sa(const struct ike *ike, void (*fn)(const struct ike_sa_view *v, void *arg),
		    void *arg, uint64_t now)
{
	(void)ike;
	(void)fn;
	(void)arg;
	(void)now;
}

/* What the engine was last asked. */
static struct {
	char fn[24];
	char rule[CTLMSG_REQ_ARGS_MAX + 1];
	uint32_t child;
	bool has_peer;
	struct ipaddr peer;
	uint64_t now;
	int rc; /* what it answers */
	unsigned calls;
} eng;

static int record(const char *fn, const char *rule, uint32_t child, uint64_t now)
{
	snprintf(eng.fn, sizeof(eng.fn), "%s", fn);
	snprintf(eng.rule, sizeof(eng.rule), "%s", rule ? rule : "");
	eng.child = child;
	eng.now = now;
	eng.calls++;
	return eng.rc;
}

int ike_up(struct ike *ike, const char *rule, const struct ipaddr *peer, uint64_t now)
{
	(void)ike;
	eng.has_peer = peer != NULL;
	if (peer)
		eng.peer = *peer;
	return record("up", rule, 0, now);
}

int ike_down_rule(struct ike *ike, const char *rule, uint64_t now)
{
	(void)ike;
	return record("down_rule", rule, 0, now);
}

int ike_down_child(struct ike *ike, uint32_t child_id, uint64_t now)
{
	(void)ike;
	return record("down_child", NULL, child_id, now);
}

int ike_rekey_child(struct ike *ike, uint32_t child_id, uint64_t now)
{
	(void)ike;
	return record("rekey_child", NULL, child_id, now);
}

int ike_rekey_ike(struct ike *ike, uint32_t child_id, uint64_t now)
{
	(void)ike;
	return record("rekey_ike", NULL, child_id, now);
}

static void sa_set(struct sa *sa, uint32_t spi, uint8_t dir)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->dir = dir;
	sa->proto = 50;
	ipaddr_parse(&sa->src, dir == SA_DIR_OUT ? "10.0.0.1" : "10.0.0.2");
	ipaddr_parse(&sa->dst, dir == SA_DIR_OUT ? "10.0.0.2" : "10.0.0.1");
}

static int setup(void **state)
{
	(void)state;
	sa_set(&sas[0], 0x1001, SA_DIR_OUT);
	sa_set(&sas[1], 0x1002, SA_DIR_IN);
	sa_set(&sas[2], 0x2001, SA_DIR_OUT);
	sa_set(&sas[3], 0x2002, SA_DIR_IN);
	memset(&eng, 0, sizeof(eng));
	return 0;
}

static int dummy_engine;
static struct dpath dp;
/* The context espritd hands over: the engine, its clock, the admin handler. */
static const struct ctl_ctx ctx = { .d = &dp,
				    .ike = (const struct ike *)&dummy_engine,
				    .ike_admin = (struct ike *)&dummy_engine,
				    .now_ms = 123456,
				    .admin = ctl_admin };

/* The one answer line of ctl_reply() to req ("ok ..." or "error ..."), without the key. */
static const char *answer(const struct ctl_ctx *x, const char *req, bool privileged,
			  const char **key)
{
	static char out[4096];
	static struct ctlmsg_reply rep;
	size_t n =
		ctl_reply(NULL, x, (const uint8_t *)req, strlen(req), privileged, out, sizeof(out));

	assert_int_equal(ctlmsg_reply_parse((const uint8_t *)out, n, &rep), 0);
	assert_int_equal(rep.n, 1);
	*key = rep.item[0].key;
	return rep.item[0].val;
}

static void expect_ok(const char *req, const char *fn, uint32_t child, const char *rule,
		      const char *msg)
{
	const char *key, *val;

	eng.calls = 0;
	val = answer(&ctx, req, true, &key);
	assert_string_equal(key, "ok");
	assert_string_equal(val, msg);
	assert_int_equal(eng.calls, 1);
	assert_string_equal(eng.fn, fn);
	assert_int_equal(eng.child, child);
	assert_string_equal(eng.rule, rule);
	assert_int_equal(eng.now, 123456);
}

/* An error; called_fn NULL: the engine must not have been asked. */
static void expect_err(const char *req, const char *called_fn, const char *msg)
{
	const char *key, *val;

	eng.calls = 0;
	val = answer(&ctx, req, true, &key);
	assert_string_equal(key, "error");
	assert_string_equal(val, msg);
	if (called_fn) {
		assert_int_equal(eng.calls, 1);
		assert_string_equal(eng.fn, called_fn);
	} else {
		assert_int_equal(eng.calls, 0);
	}
}

/* ---- lib/ctlmsg: requests with arguments --------------------------------------------------- */

static void test_req_read(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum ctl_req verb;
		size_t nargs;
		const char *a0, *a1;
	} tab[] = {
		{ "esprit-ctl 1 up web\n", 0, CTL_REQ_UP, 1, "web", "" },
		{ "up web 2001:db8::2", 0, CTL_REQ_UP, 2, "web", "2001:db8::2" },
		{ "esprit-ctl 1 down 0x0000c0de", 0, CTL_REQ_DOWN, 1, "0x0000c0de", "" },
		{ "rekey 7", 0, CTL_REQ_REKEY, 1, "7", "" },
		{ "rekey 7 --ike\n", 0, CTL_REQ_REKEY, 2, "7", "--ike" },
		{ "status", 0, CTL_REQ_STATUS, 0, "", "" },
		/* the verb is known, its arguments are not right: -EINVAL with the verb */
		{ "rekey 7 ike", -EINVAL, CTL_REQ_REKEY, 2, "7", "ike" },
		{ "rekey", -EINVAL, CTL_REQ_REKEY, 0, "", "" },
		{ "up", -EINVAL, CTL_REQ_UP, 0, "", "" },
		{ "down a b", -EINVAL, CTL_REQ_DOWN, 2, "a", "b" },
		{ "up a b c d e f g", -EINVAL, CTL_REQ_UP, 0, "", "" },
		{ "status now", -EINVAL, CTL_REQ_STATUS, 1, "now", "" },
		/* the grammar */
		{ "up  web", -EBADMSG, CTL_REQ_MAX, 0, "", "" },
		{ "up web ", -EBADMSG, CTL_REQ_MAX, 0, "", "" },
		{ " up web", -EBADMSG, CTL_REQ_MAX, 0, "", "" },
		{ "up\tweb", -EBADMSG, CTL_REQ_MAX, 0, "", "" },
		{ "esprit-ctl 2 up web", -EPROTONOSUPPORT, CTL_REQ_MAX, 0, "", "" },
		{ "esprit-ctl 1", -EBADMSG, CTL_REQ_MAX, 0, "", "" },
		{ "upp web", -ENOENT, CTL_REQ_MAX, 0, "", "" },
	};
	struct ctlmsg_req q;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		int rc = ctlmsg_req_read((const uint8_t *)tab[i].in, strlen(tab[i].in), &q);

		assert_int_equal(rc, tab[i].rc);
		assert_int_equal(q.verb, tab[i].verb);
		if (rc == 0 || (rc == -EINVAL && tab[i].nargs)) {
			assert_int_equal(q.nargs, tab[i].nargs);
			assert_string_equal(q.arg[0], tab[i].a0);
			assert_string_equal(q.arg[1], tab[i].a1);
		}
	}
}

static void test_req_limits(void **state)
{
	char req[CTLMSG_REQ_ARGS_MAX + 2];
	struct ctlmsg_req q;
	enum ctl_req r;

	(void)state;
	/* A verb with arguments may take CTLMSG_REQ_ARGS_MAX octets; one more is too long. */
	memset(req, 'a', sizeof(req));
	memcpy(req, "down ", 5);
	assert_int_equal(ctlmsg_req_read((uint8_t *)req, CTLMSG_REQ_ARGS_MAX, &q), 0);
	assert_int_equal(strlen(q.arg[0]), CTLMSG_REQ_ARGS_MAX - 5);
	assert_int_equal(ctlmsg_req_read((uint8_t *)req, CTLMSG_REQ_ARGS_MAX + 1, &q), -EMSGSIZE);
	/* Others keep CTLMSG_REQ_MAX, also when the extra words make them wrong anyway. */
	memcpy(req, "sa   ", 5);
	req[2] = 'x';
	assert_int_equal(ctlmsg_req_read((uint8_t *)req, CTLMSG_REQ_MAX + 1, &q), -EMSGSIZE);
	/* The verb-only reader refuses verbs that carry arguments. */
	assert_int_equal(ctlmsg_req_parse((const uint8_t *)"up web", 6, &r), -EBADMSG);
	assert_int_equal(ctlmsg_req_parse((const uint8_t *)"stats", 5, &r), 0);
	assert_int_equal(r, CTL_REQ_STATS);
}

static void test_req_build(void **state)
{
	struct ctlmsg_req q = { .verb = CTL_REQ_REKEY, .nargs = 2, .arg = { "0x2002", "--ike" } };
	struct ctlmsg_req back;
	char buf[CTLMSG_REQ_ARGS_MAX + 1];
	size_t n;

	(void)state;
	n = ctlmsg_req_build_args(&q, buf, sizeof(buf));
	assert_string_equal(buf, "esprit-ctl 1 rekey 0x2002 --ike\n");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(ctlmsg_req_read((uint8_t *)buf, n, &back), 0);
	assert_int_equal(back.verb, CTL_REQ_REKEY);
	assert_string_equal(back.arg[0], "0x2002");
	assert_string_equal(back.arg[1], "--ike");
	/* Nothing that would not read back: other option words, spaces, arity, too long. */
	strcpy(q.arg[1], "--all");
	assert_int_equal(ctlmsg_req_build_args(&q, buf, sizeof(buf)), 0);
	q = (struct ctlmsg_req){ .verb = CTL_REQ_UP, .nargs = 1, .arg = { "my rule" } };
	assert_int_equal(ctlmsg_req_build_args(&q, buf, sizeof(buf)), 0);
	q.nargs = 0;
	assert_int_equal(ctlmsg_req_build_args(&q, buf, sizeof(buf)), 0);
	assert_int_equal(ctlmsg_req_build(CTL_REQ_DOWN, buf, sizeof(buf)), 0);
	q = (struct ctlmsg_req){ .verb = CTL_REQ_DOWN, .nargs = 1 };
	memset(q.arg[0], 'r', CTLMSG_REQ_ARGS_MAX - 19); /* "esprit-ctl 1 down " + newline */
	assert_int_equal(ctlmsg_req_build_args(&q, buf, sizeof(buf)), CTLMSG_REQ_ARGS_MAX);
	q.arg[0][CTLMSG_REQ_ARGS_MAX - 19] = 'r';
	assert_int_equal(ctlmsg_req_build_args(&q, buf, sizeof(buf)), 0);
	assert_int_equal(ctlmsg_req_build_args(&q, buf, 10), 0);
	assert_string_equal(ctlmsg_req_usage(CTL_REQ_REKEY), "rekey CHILD-ID|SPI [--ike]");
	assert_null(ctlmsg_req_usage(CTL_REQ_MAX));
}

/* ---- daemon/ctl_admin ---------------------------------------------------------------------- */

static void test_rekey(void **state)
{
	(void)state;
	expect_ok("rekey 7", "rekey_child", 7, "", "child 7 (rule web): Child SA rekey started");
	expect_ok("rekey 0x2002", "rekey_child", 7, "",
		  "child 7 (rule web): Child SA rekey started");
	expect_ok("rekey 0X00002001 --ike", "rekey_ike", 7, "",
		  "child 7 (rule web): IKE SA rekey started");
	expect_err("rekey 0x1001", NULL, "SA 0x1001 is a manual SA: manual SAs cannot be rekeyed");
	expect_err("rekey 8", NULL, "no SA 8");
	expect_err("rekey 0x123456789", NULL,
		   "rekey: '0x123456789' is not an SA (a child id or an SPI 0x...)");
	expect_err("rekey web", NULL, "rekey: 'web' is not an SA (a child id or an SPI 0x...)");
	expect_err("rekey 0", NULL, "rekey: '0' is not an SA (a child id or an SPI 0x...)");
	eng.rc = -ENOENT;
	expect_err("rekey 7", "rekey_child",
		   "SA 7 is not a Child SA that IKE still holds (already rekeyed?)");
	eng.rc = -EINVAL;
	expect_err("rekey 7 --ike", "rekey_ike",
		   "the IKE SA of child 7 is not established or is being replaced already");
	eng.rc = -EBUSY;
	expect_err("rekey 7", "rekey_child",
		   "rekey 7: busy: too many requests queued on that IKE SA, try again");
}

static void test_down(void **state)
{
	(void)state;
	expect_ok("down 0x2001", "down_child", 7, "",
		  "child 7 (rule web): the pair is being deleted with the peer");
	expect_ok("down web", "down_rule", 0, "web",
		  "rule web: its IKE SAs and their Child SAs are being deleted");
	/* A number that is no child id may be a rule's name. */
	expect_ok("down 2024", "down_rule", 0, "2024",
		  "rule 2024: its IKE SAs and their Child SAs are being deleted");
	expect_err("down 0x1002", NULL,
		   "SA 0x1002 is a manual SA: remove it from the configuration");
	expect_err("down 0xabc", NULL, "no SA with SPI 0xabc");
	eng.rc = -ENOENT;
	expect_err("down nosuch", "down_rule", "no SA and no rule with IKE SAs named 'nosuch'");
	expect_err("down 7", "down_child", "SA 7 is not a Child SA that IKE still holds");
}

static void test_up(void **state)
{
	(void)state;
	/* web has a pair with 10.0.0.2: up already, the engine is not asked. */
	expect_err("up web 10.0.0.300", NULL, "up: '10.0.0.300' is not an IPv4 or IPv6 address");
	eng.calls = 0;
	{
		const char *key, *val = answer(&ctx, "up web", true, &key);

		assert_string_equal(key, "ok");
		assert_string_equal(val, "rule web: up already (child 7)");
		val = answer(&ctx, "up web 10.0.0.2", true, &key);
		assert_string_equal(val, "rule web: up already (child 7)");
		assert_int_equal(eng.calls, 0);
	}
	/* ... but not with another peer. */
	expect_ok("up web 10.0.0.3", "up", 0, "web", "rule web: negotiation started with 10.0.0.3");
	assert_true(eng.has_peer);
	assert_int_equal(eng.peer.af, AF_INET);
	expect_ok("up mail", "up", 0, "mail", "rule mail: negotiation started");
	assert_false(eng.has_peer);
	eng.rc = -ENOENT;
	expect_err("up nosuch", "up", "no rule 'nosuch' that negotiates with IKE");
	eng.rc = -EINVAL;
	expect_err("up mail", "up",
		   "rule mail has no single peer: name one (esprit up mail --peer ADDR)");
}

static void test_refusals(void **state)
{
	struct ctl_ctx no_ike = ctx, no_handler = ctx;
	const char *key, *val;

	(void)state;
	/* Another uid: refused before anything is looked at. */
	val = answer(&ctx, "down web", false, &key);
	assert_string_equal(key, "error");
	assert_string_equal(val, "down: permission denied");
	assert_int_equal(eng.calls, 0);
	no_ike.ike_admin = NULL;
	val = answer(&no_ike, "rekey 7", true, &key);
	assert_string_equal(val, "IKE is not running (no rule negotiates with IKE)");
	no_handler.admin = NULL;
	val = answer(&no_handler, "up web", true, &key);
	assert_string_equal(val, "IKE is not running (no rule negotiates with IKE)");
	assert_int_equal(eng.calls, 0);
	val = answer(&ctx, "esprit-ctl 1 rekey 7 now", true, &key);
	assert_string_equal(key, "error");
	assert_string_equal(val, "wrong arguments, usage: rekey CHILD-ID|SPI [--ike]");
	val = answer(&ctx, "down", true, &key);
	assert_string_equal(val, "wrong arguments, usage: down RULE|CHILD-ID|SPI");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_read),
		cmocka_unit_test(test_req_limits),
		cmocka_unit_test(test_req_build),
		cmocka_unit_test_setup(test_rekey, setup),
		cmocka_unit_test_setup(test_down, setup),
		cmocka_unit_test_setup(test_up, setup),
		cmocka_unit_test_setup(test_refusals, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
