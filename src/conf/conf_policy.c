/* Loader, second half: filter actions (security methods), policies, rules and their
 * authentication methods. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf_load.h"
#include "conf/conf_value.h"
#include "conf/secret.h"
#include "crypto/cipher.h"

#define KINDS ((size_t)AST_INACTIVE + 1)

/* ---- Security methods -------------------------------------------------------------------- */

static const struct ast_tok *method_encr(struct loader *ld, const struct ast_item *it,
					 const struct ast_tok *t, const struct ast_tok *prev,
					 struct spd_method *m)
{
	if (!t) {
		ld_err(ld, &prev->loc, prev->text, "method needs an encryption algorithm");
		return NULL;
	}
	(void)it;
	if (conf_encr_parse(t->text, &m->esp_encr, &m->esp_encr_bits)) {
		ld_err(ld, &t->loc, t->text, "unknown encryption algorithm");
		return NULL;
	}
	return t;
}

static int integ_word(struct loader *ld, const struct ast_tok *t, uint16_t *id)
{
	if (conf_integ_parse(t->text, id))
		return ld_err(ld, &t->loc, t->text, "unknown integrity algorithm");
	return 0;
}

/* esp ENCR [INTEG] | ah INTEG | ah+esp INTEG + ENCR [INTEG]. Returns the last word used. */
static const struct ast_tok *method_algs(struct loader *ld, const struct ast_item *it,
					 struct spd_method *m)
{
	const struct ast_tok *xf = it->a, *t = xf->next;

	if (!strcmp(xf->text, "esp")) {
		spd_method_init(m, SPD_XF_ESP);
		if (!(t = method_encr(ld, it, t, xf, m)))
			return NULL;
		if (t->next && integ_word(ld, t->next, &m->esp_integ))
			return NULL;
		return t->next ? t->next : t;
	}
	if (strcmp(xf->text, "ah") && strcmp(xf->text, "ah+esp")) {
		ld_err(ld, &xf->loc, xf->text, "unknown transform (esp, ah or ah+esp)");
		return NULL;
	}
	spd_method_init(m, xf->text[2] ? SPD_XF_AH_ESP : SPD_XF_AH);
	if (!t) {
		ld_err(ld, &xf->loc, xf->text, "method needs an integrity algorithm");
		return NULL;
	}
	if (integ_word(ld, t, &m->ah_integ))
		return NULL;
	if (m->xform == SPD_XF_AH)
		return t;
	if (!t->next || strcmp(t->next->text, "+")) {
		ld_err(ld, &t->loc, t->text, "expected '+' after the AH integrity algorithm");
		return NULL;
	}
	t = t->next;
	if (!(t = method_encr(ld, it, t->next, t, m)))
		return NULL;
	if (t->next && integ_word(ld, t->next, &m->esp_integ))
		return NULL;
	return t->next ? t->next : t;
}

static int method_lifetimes(struct loader *ld, const struct ast_tok *v, struct spd_method *m)
{
	bool kb = false, sec = false;
	enum conf_life kind;
	const char *why;
	uint64_t val;

	for (; v; v = v->next) {
		if (conf_lifetime_parse(v->text, &kind, &val, &why))
			return ld_err(ld, &v->loc, v->text, "%s", why);
		if (kind == CONF_LIFE_KB ? kb : sec)
			return ld_err(ld, &v->loc, v->text, "lifetime in %s given twice",
				      kind == CONF_LIFE_KB ? "kilobytes" : "seconds");
		if (kind == CONF_LIFE_KB) {
			kb = true;
			m->life_kb = val;
		} else {
			sec = true;
			m->life_sec = (uint32_t)val;
		}
	}
	return 0;
}

static void method_load(struct loader *ld, struct spd_action *a, const struct ast_item *it)
{
	const struct ast_tok *last;
	struct spd_method m;
	const char *why;

	if (a->kind != SPD_ACT_NEGOTIATE) {
		ld_err(ld, &it->loc, it->kw, "methods only in a negotiate action");
		return;
	}
	last = method_algs(ld, it, &m);
	if (!last)
		return;
	if (last->next) {
		ld_err(ld, &last->next->loc, last->next->text, "too many algorithms in method");
		return;
	}
	if (method_lifetimes(ld, it->b, &m))
		return;
	if (spd_method_check(&m, &why)) {
		ld_err(ld, &last->loc, last->text, "%s", why);
		return;
	}
	if (spd_action_add_method(ld->s, a, &m) == -ENOSPC)
		ld_err(ld, &it->loc, it->kw, "too many methods (at most %d)", SPD_METHODS_MAX);
}

/* ---- Actions ------------------------------------------------------------------------------ */

static enum spd_action_kind action_kind(struct loader *ld, const struct ast_item *body)
{
	const struct ast_item *it, *first = NULL;
	enum spd_action_kind k = SPD_ACT_NEGOTIATE;

	for (it = body; it; it = it->next) {
		if (it->kind != AST_NEGOTIATE && it->kind != AST_PERMIT && it->kind != AST_BLOCK)
			continue;
		if (first) {
			ld_err(ld, &it->loc, it->kw, "action kind given twice (already '%s')",
			       first->kw);
			continue;
		}
		first = it;
		k = it->kind == AST_PERMIT  ? SPD_ACT_PERMIT
		    : it->kind == AST_BLOCK ? SPD_ACT_BLOCK
					    : SPD_ACT_NEGOTIATE;
	}
	return k;
}

/* `ike-lifetime 8h`: how long an IKE SA lives (Windows: main mode lifetime, 5 min to 48 h;
 * shorter is allowed down to 5 s for tests of the rekey). */
static void ike_lifetime_load(struct loader *ld, struct spd_action *a, const struct ast_item *it)
{
	enum conf_life kind;
	const char *why;
	uint64_t v;

	if (it->a->next)
		ld_err(ld, &it->a->next->loc, it->a->next->text, "one ike-lifetime value only");
	else if (conf_lifetime_parse(it->a->text, &kind, &v, &why))
		ld_err(ld, &it->a->loc, it->a->text, "%s", why);
	else if (kind != CONF_LIFE_SEC)
		ld_err(ld, &it->a->loc, it->a->text, "ike-lifetime is a time (s, min or h)");
	else if (v < 5 || v > 48 * 3600)
		ld_err(ld, &it->a->loc, it->a->text, "ike-lifetime out of range (5s-48h)");
	else
		a->ike_life_sec = (uint32_t)v;
}

static void action_option(struct loader *ld, struct spd_action *a, const struct ast_item *it)
{
	const char *why;
	uint64_t v;

	switch (it->kind) {
	case AST_METHOD:
		method_load(ld, a, it);
		break;
	case AST_PFS:
		a->pfs = true;
		break;
	case AST_INPASS:
		a->inpass = true;
		break;
	case AST_SOFT:
		a->soft = true;
		if (it->a && it->a->next)
			ld_err(ld, &it->a->next->loc, it->a->next->text, "one timeout only");
		else if (it->a && conf_duration_parse(it->a->text, &a->soft_ms, &why))
			ld_err(ld, &it->a->loc, it->a->text, "%s", why);
		break;
	case AST_PENDING_HOLD:
		a->pending = SPD_PENDING_HOLD;
		if (it->a && (conf_uint_parse(it->a->text, 65536, &v) || v < 1))
			ld_err(ld, &it->a->loc, it->a->text,
			       "pending hold count out of range (1-65536)");
		else if (it->a)
			a->pending_max = (uint32_t)v;
		break;
	case AST_PENDING_DROP:
		a->pending = SPD_PENDING_DROP;
		break;
	case AST_IKE_LIFETIME:
		ike_lifetime_load(ld, a, it);
		break;
	default:
		break;
	}
}

void ld_action_load(struct loader *ld, const struct ast_item *it)
{
	const struct ast_item *seen[KINDS] = { 0 }, *o, *first;
	struct spd_action *a;
	enum spd_action_kind kind;
	unsigned before = ld->nerr;
	const char *why;

	a = spd_action_find(ld->s, it->name->text);
	if (ld_name_define(ld, LD_NS_ACTION, it->name, a && a->builtin))
		return;
	kind = action_kind(ld, it->body);
	if (spd_action_new(ld->s, it->name->text, kind, &a)) {
		ld_err(ld, &it->name->loc, it->name->text, "invalid action name");
		return;
	}
	for (o = it->body; o; o = o->next) {
		/* pending hold / drop are one setting */
		enum ast_kind k = o->kind == AST_PENDING_DROP ? AST_PENDING_HOLD : o->kind;

		if (o->kind != AST_METHOD && o->kind != AST_NEGOTIATE && o->kind != AST_PERMIT &&
		    o->kind != AST_BLOCK && (first = ld_once(seen, KINDS, k, o))) {
			ld_twice(ld, o, first);
			continue;
		}
		action_option(ld, a, o);
	}
	if (ld->nerr == before && spd_action_check(a, &why))
		ld_err(ld, &it->name->loc, it->name->text, "%s", why);
}

/* ---- Authentication ---------------------------------------------------------------------- */

/* Paths are relative to the directory of the file they are written in. */
static char *auth_path(struct loader *ld, const struct ast_tok *t)
{
	const char *slash = strrchr(t->loc.file, '/');
	size_t dl, n;
	char *out;

	if (t->text[0] == '/' || !slash)
		return conf_arena_strdup(&ld->ar, t->text);
	dl = (size_t)(slash - t->loc.file);
	n = dl + strlen(t->text) + 2;
	out = conf_arena_alloc(&ld->ar, n);
	if (out)
		snprintf(out, n, "%.*s/%s", (int)dl, t->loc.file, t->text);
	return out;
}

static int cert_file_check(struct loader *ld, const struct ast_tok *t, const char *path,
			   bool private_key)
{
	struct stat st;

	if (ld->o.flags & CONF_NO_SECRETS)
		return 0;
	if (stat(path, &st))
		return ld_err(ld, &t->loc, t->text, "cannot read %s file '%s': %s",
			      private_key ? "key" : "certificate", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ld_err(ld, &t->loc, t->text, "%s file '%s' is not a regular file",
			      private_key ? "key" : "certificate", path);
	if (private_key && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return ld_err(ld, &t->loc, t->text,
			      "key file '%s' is accessible by group or others (mode %04o)", path,
			      (unsigned)(st.st_mode & 07777));
	return 0;
}

static int auth_cert(struct loader *ld, const struct ast_item *it, struct spd_auth *a)
{
	const struct ast_tok *t;
	int rc = 0;

	a->kind = SPD_AUTH_CERT;
	if (!it->a)
		return ld_err(ld, &it->loc, it->kw, "certificate authentication needs a 'ca'");
	for (t = it->a; t; t = t->next) {
		if (a->nca == SPD_CA_MAX)
			return ld_err(ld, &t->loc, t->text, "too many CA files (at most %d)",
				      SPD_CA_MAX);
		if (!(a->ca_paths[a->nca++] = auth_path(ld, t)))
			return -1;
		rc |= cert_file_check(ld, t, a->ca_paths[a->nca - 1], false);
	}
	if (it->b && it->b->next)
		return ld_err(ld, &it->b->next->loc, it->b->next->text, "'cert' given twice");
	if (it->c && it->c->next)
		return ld_err(ld, &it->c->next->loc, it->c->next->text, "'key' given twice");
	if (!it->b != !it->c)
		return ld_err(ld, &it->loc, it->kw, "'cert' and 'key' go together");
	if (it->b) {
		if (!(a->cert_path = auth_path(ld, it->b)) || !(a->key_path = auth_path(ld, it->c)))
			return -1;
		rc |= cert_file_check(ld, it->b, a->cert_path, false);
		rc |= cert_file_check(ld, it->c, a->key_path, true);
	}
	return rc ? -1 : 0;
}

/* Builds *a from an auth statement (strings in the arena; spd copies them). */
static int auth_build(struct loader *ld, const struct ast_item *it, struct spd_auth *a)
{
	char why[PATH_MAX + 128];

	memset(a, 0, sizeof(*a));
	switch (it->kind) {
	case AST_AUTH_PSK:
		a->kind = SPD_AUTH_PSK;
		if (!(a->psk_path = auth_path(ld, it->a))) {
			ld->nomem = true;
			return -1;
		}
		if (!(ld->o.flags & CONF_NO_SECRETS) &&
		    secret_psk_check(a->psk_path, why, sizeof(why)))
			return ld_err(ld, &it->a->loc, it->a->text, "%s", why);
		return 0;
	case AST_AUTH_CERT:
		return auth_cert(ld, it, a);
	default:
		a->kind = SPD_AUTH_KERBEROS;
		return 0;
	}
}

static int auth_add(struct loader *ld, struct spd_policy *p, struct spd_rule *r,
		    const struct ast_item *it)
{
	struct spd_auth a;
	int rc;

	if (auth_build(ld, it, &a))
		return -1;
	rc = r ? spd_rule_add_auth(ld->s, r, &a) : spd_policy_add_auth(ld->s, p, &a);
	if (rc == -ENOSPC)
		return ld_err(ld, &it->loc, it->kw, "too many auth methods (at most %d)",
			      SPD_AUTH_MAX);
	if (rc == -ENOMEM)
		ld->nomem = true;
	return rc;
}

/* ---- Rules ------------------------------------------------------------------------------ */

static void rule_tunnel(struct loader *ld, struct spd_rule *r, const struct ast_item *it)
{
	bool resolve = !(ld->o.flags & CONF_NO_RESOLVE);
	struct ipaddr remote, local;
	char why[256];

	if (conf_host_parse(it->a->text, resolve, &remote, why, sizeof(why))) {
		ld_err(ld, &it->a->loc, it->a->text, "%s", why);
		return;
	}
	if (it->b && conf_host_parse(it->b->text, resolve, &local, why, sizeof(why))) {
		ld_err(ld, &it->b->loc, it->b->text, "%s", why);
		return;
	}
	if (it->b && local.af != remote.af) {
		ld_err(ld, &it->b->loc, it->b->text, "tunnel endpoints mix IPv4 and IPv6");
		return;
	}
	if (spd_rule_set_tunnel(ld->s, r, &remote, it->b ? &local : NULL))
		ld_err(ld, &it->a->loc, it->a->text, "invalid tunnel endpoint");
}

/* The filter list and action of a rule, each exactly once. */
static int rule_refs(struct loader *ld, const struct ast_item *it, const struct spd_filter_list **l,
		     const struct spd_action **a)
{
	const struct ast_item *seen[KINDS] = { 0 }, *o, *first;
	const struct ast_tok *where = it->name;
	int rc = 0;

	*l = NULL;
	*a = NULL;
	for (o = it->body; o; o = o->next) {
		if (o->kind != AST_FILTERS && o->kind != AST_RULE_ACTION)
			continue;
		if ((first = ld_once(seen, KINDS, o->kind, o))) {
			rc = ld_twice(ld, o, first);
		} else if (o->kind == AST_FILTERS) {
			*l = spd_filter_list_find(ld->s, o->a->text);
			if (!*l)
				rc = ld_err(ld, &o->a->loc, o->a->text, "unknown filter list");
		} else {
			*a = spd_action_find(ld->s, o->a->text);
			if (!*a)
				rc = ld_err(ld, &o->a->loc, o->a->text, "unknown action");
		}
	}
	if (!seen[AST_FILTERS])
		rc = ld_err(ld, where ? &where->loc : &it->loc, where ? where->text : it->kw,
			    "rule has no 'filters'");
	if (!seen[AST_RULE_ACTION])
		rc = ld_err(ld, where ? &where->loc : &it->loc, where ? where->text : it->kw,
			    "rule has no 'action'");
	return rc;
}

/* local-id / remote-id, once per rule (or policy: r is its default response rule). */
static void ident_load(struct loader *ld, struct spd_rule *r, const struct ast_item **seen,
		       const struct ast_item *it)
{
	const struct ast_item *first = ld_once(seen, KINDS, it->kind, it);
	char why[128];
	struct spd_id id;

	if (first) {
		ld_twice(ld, it, first);
		return;
	}
	if (conf_id_parse(it->a->text, &id, why, sizeof(why))) {
		ld_err(ld, &it->a->loc, it->a->text, "%s", why);
		return;
	}
	spd_rule_set_id(r, it->kind == AST_REMOTE_ID, &id);
}

static void rule_load(struct loader *ld, struct spd_policy *p, const struct ast_item *it)
{
	const struct ast_item *seen[KINDS] = { 0 }, *o, *first;
	const struct spd_filter_list *l;
	const struct spd_action *a;
	struct spd_rule *r;
	int rc;

	if (rule_refs(ld, it, &l, &a))
		return;
	if (it->name && strlen(it->name->text) >= SPD_NAME_MAX) {
		ld_err(ld, &it->name->loc, it->name->text, "name too long (at most %d characters)",
		       SPD_NAME_MAX - 1);
		return;
	}
	rc = spd_rule_new(ld->s, p, it->name ? it->name->text : NULL, l, a, &r);
	if (rc == -EEXIST && it->name) {
		ld_err(ld, &it->name->loc, it->name->text, "duplicate rule name in policy '%s'",
		       p->name);
		return;
	}
	if (rc) {
		ld->nomem = rc == -ENOMEM;
		if (!ld->nomem)
			ld_err(ld, &it->loc, it->kw, "invalid rule");
		return;
	}
	for (o = it->body; o; o = o->next) {
		/* transport and tunnel are one setting */
		enum ast_kind k = o->kind == AST_MODE_TUNNEL ? AST_MODE_TRANSPORT : o->kind;

		if ((o->kind == AST_MODE_TRANSPORT || o->kind == AST_MODE_TUNNEL ||
		     o->kind == AST_INACTIVE) &&
		    (first = ld_once(seen, KINDS, k, o))) {
			ld_twice(ld, o, first);
			continue;
		}
		if (o->kind == AST_MODE_TUNNEL)
			rule_tunnel(ld, r, o);
		else if (o->kind == AST_INACTIVE)
			spd_rule_set_active(ld->s, r, false);
		else if (o->kind == AST_LOCAL_ID || o->kind == AST_REMOTE_ID)
			ident_load(ld, r, seen, o);
		else if (o->kind == AST_AUTH_PSK || o->kind == AST_AUTH_CERT ||
			 o->kind == AST_AUTH_KERBEROS)
			auth_add(ld, p, r, o);
	}
}

/* ---- Policies ---------------------------------------------------------------------------- */

static void default_response(struct loader *ld, struct spd_policy *p, const struct ast_item *it)
{
	const struct spd_action *a = NULL;

	if (it->a) {
		a = spd_action_find(ld->s, it->a->text);
		if (!a) {
			ld_err(ld, &it->a->loc, it->a->text, "unknown action");
			return;
		}
		if (a->kind != SPD_ACT_NEGOTIATE) {
			ld_err(ld, &it->a->loc, it->a->text,
			       "the default response action must negotiate");
			return;
		}
	}
	if (spd_policy_set_default_response(ld->s, p, it->flag, a))
		ld_err(ld, &it->loc, it->kw, "invalid default response");
}

void ld_policy_load(struct loader *ld, const struct ast_item *it)
{
	const struct ast_item *o, *dr = NULL, *seen[KINDS] = { 0 };
	struct spd_policy *p;

	p = spd_policy_find(ld->s, it->name->text);
	if (ld_name_define(ld, LD_NS_POLICY, it->name, p && p->builtin))
		return;
	if (spd_policy_new(ld->s, it->name->text, &p)) {
		ld_err(ld, &it->name->loc, it->name->text, "invalid policy name");
		return;
	}
	for (o = it->body; o && !ld->nomem; o = o->next) {
		switch (o->kind) {
		case AST_RULE:
			rule_load(ld, p, o);
			break;
		case AST_DEFAULT_RESPONSE:
			if (dr) {
				ld_twice(ld, o, dr);
				break;
			}
			dr = o;
			default_response(ld, p, o);
			break;
		case AST_LOCAL_ID:
		case AST_REMOTE_ID:
			ident_load(ld, &p->dr, seen, o);
			break;
		default:
			auth_add(ld, p, NULL, o);
			break;
		}
	}
}
