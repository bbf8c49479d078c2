/* esprit up / down / rekey on the daemon's side (see ctl.h, lib/ctlmsg.h): arguments are
 * resolved against the data path's SAs (an SPI or a child id names an installed pair; a manual
 * SA is refused with its reason), then handed to the IKE engine. The engine only starts the
 * exchange here; its outcome shows in `esprit sa` and in the log. */
#include "daemon/ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "lib/ctlmsg.h"
#include "lib/log.h"

/* One reply line; a message too long for it is cut (the line stays valid). */
struct line {
	char *p;
	size_t cap;
};

static void say(struct line *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct line *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->cap)
		return;
	va_start(ap, fmt);
	vsnprintf(o->p, o->cap, fmt, ap);
	va_end(ap);
}

/* The SA a CHILD-ID or SPI argument names, from the data path's view. */
struct target {
	uint32_t child_id; /* 0: a manual SA */
	const char *origin;
	bool by_spi;
};

/* "0x" and 1 to 8 hex digits, as `esprit sa` prints SPIs. */
static bool spi_parse(const char *s, uint32_t *spi)
{
	size_t n;

	if (strncmp(s, "0x", 2) && strncmp(s, "0X", 2))
		return false;
	s += 2;
	n = strspn(s, "0123456789abcdefABCDEF");
	if (n < 1 || n > 8 || s[n])
		return false;
	*spi = (uint32_t)strtoul(s, NULL, 16);
	return true;
}

/* Child ids are decimal, 1 to 2^32-1. */
static bool child_id_parse(const char *s, uint32_t *id)
{
	uint64_t v;

	if (!ctlmsg_u64(s, &v) || !v || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

/* Is arg shaped like an SA (SPI or child id)? Then t->by_spi says which. */
static bool target_shape(const char *arg, struct target *t, uint32_t *val)
{
	t->by_spi = spi_parse(arg, val);
	return t->by_spi || child_id_parse(arg, val);
}

/* Find the SA an SA-shaped argument names. */
static bool target_find(const struct dpath *d, const char *arg, struct target *t)
{
	struct dpath_sa_view v;
	uint32_t val;

	if (!target_shape(arg, t, &val))
		return false;
	for (size_t i = 0; i < dpath_sa_count(d); i++) {
		if (!dpath_sa_get(d, i, &v))
			continue;
		if (t->by_spi ? v.sa->spi == val : v.child_id == val) {
			t->child_id = v.child_id;
			t->origin = v.origin ? v.origin : "manual";
			return true;
		}
	}
	return false;
}

static const char *admin_errstr(int rc)
{
	switch (rc) {
	case -EBUSY:
		return "busy: too many requests queued on that IKE SA, try again";
	case -ENOMEM:
		return "out of memory";
	default:
		return strerror(-rc);
	}
}

/* A Child SA of the rule (with peer, if given, at its far end) already installed: its id. */
static uint32_t rule_child(const struct dpath *d, const char *rule, const struct ipaddr *peer)
{
	struct dpath_sa_view v;

	for (size_t i = 0; i < dpath_sa_count(d); i++) {
		if (!dpath_sa_get(d, i, &v) || !v.child_id || !v.origin || strcmp(v.origin, rule))
			continue;
		if (!peer || ipaddr_eq(peer, v.sa->dir == SA_DIR_OUT ? &v.sa->dst : &v.sa->src))
			return v.child_id;
	}
	return 0;
}

static void admin_up(struct line *o, const struct ctl_ctx *x, struct ike *ike,
		     const struct ctlmsg_req *q, uint64_t now)
{
	const char *rule = q->arg[0];
	struct ipaddr peer;
	uint32_t child;
	int rc;

	if (q->nargs > 1 && ipaddr_parse(&peer, q->arg[1]) < 0) {
		say(o, "error up: '%s' is not an IPv4 or IPv6 address", q->arg[1]);
		return;
	}
	/* Up means up: a second request must not add a second pair for the same traffic. */
	child = rule_child(x->d, rule, q->nargs > 1 ? &peer : NULL);
	if (child) {
		say(o, "ok rule %s: up already (child %" PRIu32 ")", rule, child);
		return;
	}
	rc = ike_up(ike, rule, q->nargs > 1 ? &peer : NULL, now);
	if (rc == -ENOENT)
		say(o, "error no rule '%s' that negotiates with IKE", rule);
	else if (rc == -EINVAL)
		say(o, "error rule %s has no single peer: name one (esprit up %s --peer ADDR)",
		    rule, rule);
	else if (rc < 0)
		say(o, "error up %s: %s", rule, admin_errstr(rc));
	else
		say(o, "ok rule %s: negotiation started%s%s", rule, q->nargs > 1 ? " with " : "",
		    q->nargs > 1 ? q->arg[1] : "");
}

static void admin_down_rule(struct line *o, struct ike *ike, const char *rule, uint64_t now)
{
	int rc = ike_down_rule(ike, rule, now);

	if (rc == -ENOENT)
		say(o, "error no SA and no rule with IKE SAs named '%s'", rule);
	else if (rc < 0)
		say(o, "error down %s: %s", rule, admin_errstr(rc));
	else
		say(o, "ok rule %s: its IKE SAs and their Child SAs are being deleted", rule);
}

static void admin_down(struct line *o, const struct ctl_ctx *x, struct ike *ike,
		       const struct ctlmsg_req *q, uint64_t now)
{
	const char *arg = q->arg[0];
	struct target t;
	int rc;

	if (!target_find(x->d, arg, &t)) {
		/* A number that is no child id may still be a rule's name; an SPI may not. */
		if (t.by_spi)
			say(o, "error no SA with SPI %s", arg);
		else
			admin_down_rule(o, ike, arg, now);
		return;
	}
	if (!t.child_id) {
		say(o, "error SA %s is a manual SA: remove it from the configuration", arg);
		return;
	}
	rc = ike_down_child(ike, t.child_id, now);
	if (rc == -ENOENT)
		say(o, "error SA %s is not a Child SA that IKE still holds", arg);
	else if (rc < 0)
		say(o, "error down %s: %s", arg, admin_errstr(rc));
	else
		say(o, "ok child %" PRIu32 " (rule %s): the pair is being deleted with the peer",
		    t.child_id, t.origin);
}

static void admin_rekey(struct line *o, const struct ctl_ctx *x, struct ike *ike,
			const struct ctlmsg_req *q, uint64_t now)
{
	const char *arg = q->arg[0];
	bool of_ike = q->nargs > 1; /* ctlmsg allows only CTLMSG_OPT_IKE there */
	struct target t;
	uint32_t val;
	int rc;

	if (!target_shape(arg, &t, &val)) {
		say(o, "error rekey: '%s' is not an SA (a child id or an SPI 0x...)", arg);
		return;
	}
	if (!target_find(x->d, arg, &t)) {
		say(o, "error no SA %s", arg);
		return;
	}
	if (!t.child_id) {
		say(o, "error SA %s is a manual SA: manual SAs cannot be rekeyed", arg);
		return;
	}
	rc = of_ike ? ike_rekey_ike(ike, t.child_id, now) : ike_rekey_child(ike, t.child_id, now);
	if (rc == -ENOENT)
		say(o, "error SA %s is not a Child SA that IKE still holds (already rekeyed?)",
		    arg);
	else if (rc == -EINVAL && of_ike)
		say(o,
		    "error the IKE SA of child %" PRIu32 " is not established or is being "
		    "replaced already",
		    t.child_id);
	else if (rc < 0)
		say(o, "error rekey %s: %s", arg, admin_errstr(rc));
	else
		say(o, "ok child %" PRIu32 " (rule %s): %s rekey started", t.child_id, t.origin,
		    of_ike ? "IKE SA" : "Child SA");
}

/* Administrative verbs change the IKE engine: the daemon's own uid only. */
void ctl_admin(const struct ctl_ctx *x, const struct ctlmsg_req *q, bool privileged, char *line,
	       size_t cap)
{
	struct line l = { .p = line, .cap = cap }, *o = &l;
	const char *verb = ctlmsg_req_name(q->verb);
	uint64_t now = x->now_ms;

	if (!privileged) {
		say(o, "error %s: permission denied", verb);
		return;
	}
	if (!x->ike_admin) {
		say(o, "error IKE is not running (no rule negotiates with IKE)");
		return;
	}
	log_notice("control: %s %s%s%s", verb, q->arg[0], q->nargs > 1 ? " " : "",
		   q->nargs > 1 ? q->arg[1] : "");
	if (q->verb == CTL_REQ_UP)
		admin_up(o, x, x->ike_admin, q, now);
	else if (q->verb == CTL_REQ_DOWN)
		admin_down(o, x, x->ike_admin, q, now);
	else
		admin_rekey(o, x, x->ike_admin, q, now);
}
