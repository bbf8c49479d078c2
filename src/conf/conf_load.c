/* Loader: files and includes -> syntax trees -> spd model.
 *
 * Names may be used before they are defined (and in another file), so the model is built in
 * passes over the whole, include-expanded statement list: filter lists and actions first,
 * then policies (which refer to both), then the global settings and `use policy`. Every
 * problem is reported with its place and the loader carries on, so one run lists them all;
 * only a syntax error stops early (a half-read file would cause misleading follow-ups).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_ast.h"
#include "conf/conf_load.h"
#include "conf/conf_value.h"
#include "lib/util.h"

#define CONF_FILE_MAX	 (1u << 20) /* bytes per configuration file */
#define CONF_INCLUDE_MAX 16	    /* nesting depth */
#define CONF_PORTS_MAX	 64	    /* ports in one `port { ... }` list */
#define CONF_WHY_MAX	 256

int ld_err(struct loader *ld, const struct conf_loc *loc, const char *text, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (conf_diag_vadd(ld->d, loc, text, fmt, ap) < 0)
		ld->nomem = true;
	va_end(ap);
	ld->nerr++;
	return -1;
}

static const char *loc_str(const struct conf_loc *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u:%u", l->file, l->line, l->col);
	return buf;
}

/* ---- Files and includes --------------------------------------------------------------- */

static int file_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno ? -errno : -EIO;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > CONF_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) { /* a read error must not leave half a configuration to parse */
			r = errno ? -errno : -EIO;
			close(fd);
			free(b);
			return (int)r;
		}
		if (r == 0)
			break; /* the file shrank: what is there is the configuration */
		got += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

static const char *file_errstr(int rc)
{
	if (rc == -EINVAL)
		return "not a regular file";
	if (rc == -EFBIG)
		return "file too large (more than 1 MiB)";
	return strerror(-rc);
}

/* Directory part of path, in the arena ("." if none). */
static const char *dir_of(struct loader *ld, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return ".";
	if (slash == path)
		return "/";
	return conf_arena_strndup(&ld->ar, path, (size_t)(slash - path));
}

/* path relative to dir unless absolute, in the arena. */
static const char *path_join(struct loader *ld, const char *dir, const char *path)
{
	char *out;
	size_t n;

	if (path[0] == '/' || !strcmp(dir, "."))
		return conf_arena_strdup(&ld->ar, path);
	n = strlen(dir) + strlen(path) + 2;
	out = conf_arena_alloc(&ld->ar, n);
	if (out)
		snprintf(out, n, "%s/%s", dir, path);
	return out;
}

static int parse_text(struct loader *ld, const char *name, const char *buf, size_t len,
		      struct ast_item **items, struct conf_loc *eof)
{
	struct conf_parser p = { .ar = &ld->ar, .diags = ld->d, .file = name };
	int rc = conf_parse_buf(&p, buf, len);

	*items = p.items;
	if (eof)
		*eof = p.eof;
	if (rc == -ENOMEM)
		ld->nomem = true;
	if (rc)
		ld->syntax = true;
	ld->nerr += p.nerr;
	return rc;
}

static struct ast_item *expand(struct loader *ld, struct ast_item *items, const char *dir,
			       size_t depth);

static bool root_contains(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (n && root[n - 1] == '/')
		n--;
	return !strncmp(root, real, n) && (real[n] == '/' || real[n] == 0);
}

/* The items of one included file (already expanded), or NULL after an error. */
static struct ast_item *include_one(struct loader *ld, const struct ast_item *inc, const char *dir,
				    size_t depth)
{
	const struct ast_tok *t = inc->a;
	char real[PATH_MAX], rroot[PATH_MAX];
	const char *path, *rp;
	struct ast_item *items = NULL;
	size_t i, len;
	char *buf;
	int rc;

	if (ld->o.flags & CONF_NO_INCLUDE) {
		ld_err(ld, &t->loc, t->text, "include is disabled here");
		return NULL;
	}
	if (depth >= CONF_INCLUDE_MAX) {
		ld_err(ld, &t->loc, t->text, "includes nested too deeply (more than %d)",
		       CONF_INCLUDE_MAX);
		return NULL;
	}
	path = path_join(ld, dir, t->text);
	if (!path) {
		ld->nomem = true;
		return NULL;
	}
	if (!realpath(path, real)) {
		ld_err(ld, &t->loc, t->text, "cannot open include file: %s", strerror(errno));
		return NULL;
	}
	if (ld->o.include_root &&
	    (!realpath(ld->o.include_root, rroot) || !root_contains(rroot, real))) {
		ld_err(ld, &t->loc, t->text, "include file outside %s", ld->o.include_root);
		return NULL;
	}
	for (i = 0; i < ld->depth; i++) {
		if (!strcmp(ld->stack[i], real)) {
			ld_err(ld, &t->loc, t->text, "include loop: file is already being read");
			return NULL;
		}
	}
	rc = file_read(path, &buf, &len);
	if (rc) {
		ld_err(ld, &t->loc, t->text, "cannot read include file: %s", file_errstr(rc));
		return NULL;
	}
	rc = parse_text(ld, path, buf, len, &items, NULL);
	free(buf);
	if (rc)
		return NULL;
	rp = conf_arena_strdup(&ld->ar, real);
	if (!rp) {
		ld->nomem = true;
		return NULL;
	}
	ld->stack[ld->depth++] = rp;
	items = expand(ld, items, dir_of(ld, path), depth + 1);
	ld->depth--;
	return items;
}

/* Replace every `include` by the statements of the file it names, recursively. */
static struct ast_item *expand(struct loader *ld, struct ast_item *items, const char *dir,
			       size_t depth)
{
	struct ast_item *out = NULL, *it, *next;

	if (!dir) {
		ld->nomem = true;
		return NULL;
	}
	for (it = items; it; it = next) {
		next = it->next;
		it->next = NULL;
		it->last = NULL; /* detached from its list */
		if (it->kind == AST_INCLUDE)
			out = ast_item_append(out, include_one(ld, it, dir, depth));
		else
			out = ast_item_append(out, it);
	}
	return out;
}

/* ---- Names ------------------------------------------------------------------------------ */

struct ld_name {
	struct ld_name *next;
	int ns;
	const char *name;
	struct conf_loc loc;
};

static const char *const ns_str[] = { "filter list", "action", "policy" };

/* A new name in namespace ns: length, built-in, duplicate. 0 if it may be defined. */
int ld_name_define(struct loader *ld, int ns, const struct ast_tok *t, bool builtin)
{
	struct ld_name *n;
	char where[PATH_MAX + 32];

	if (strlen(t->text) >= SPD_NAME_MAX)
		return ld_err(ld, &t->loc, t->text, "name too long (at most %d characters)",
			      SPD_NAME_MAX - 1);
	if (builtin)
		return ld_err(ld, &t->loc, t->text, "name of a built-in %s", ns_str[ns]);
	for (n = ld->names; n; n = n->next) {
		if (n->ns == ns && !strcmp(n->name, t->text))
			return ld_err(ld, &t->loc, t->text,
				      "duplicate %s name (first defined at %s)", ns_str[ns],
				      loc_str(&n->loc, where, sizeof(where)));
	}
	n = conf_arena_alloc(&ld->ar, sizeof(*n));
	if (!n) {
		ld->nomem = true;
		return -1;
	}
	n->ns = ns;
	n->name = t->text;
	n->loc = t->loc;
	n->next = ld->names;
	ld->names = n;
	return 0;
}

/* An option that may appear once per block: the first place it was seen, or NULL. */
const struct ast_item *ld_once(const struct ast_item **seen, size_t nseen, enum ast_kind kind,
			       const struct ast_item *it)
{
	size_t k = (size_t)kind;

	if (k >= nseen)
		return NULL;
	if (seen[k])
		return seen[k];
	seen[k] = it;
	return NULL;
}

int ld_twice(struct loader *ld, const struct ast_item *it, const struct ast_item *first)
{
	char where[PATH_MAX + 32];

	return ld_err(ld, &it->loc, it->kw, "'%s' given twice (first at %s)", it->kw,
		      loc_str(&first->loc, where, sizeof(where)));
}

/* ---- Filter lists ------------------------------------------------------------------------ */

static int ports_parse(struct loader *ld, const struct ast_tok *list, uint16_t *lo, uint16_t *hi,
		       size_t *n)
{
	const struct ast_tok *t;
	const char *why;

	*n = 0;
	if (!list) {
		lo[0] = 0;
		hi[0] = 65535;
		*n = 1;
		return 0;
	}
	for (t = list; t; t = t->next) {
		if (*n == CONF_PORTS_MAX)
			return ld_err(ld, &t->loc, t->text,
				      "too many ports in one list (at most %d)", CONF_PORTS_MAX);
		if (conf_port_parse(t->text, &lo[*n], &hi[*n], &why))
			return ld_err(ld, &t->loc, t->text, "%s", why);
		(*n)++;
	}
	return 0;
}

static int filter_ports_ok(struct loader *ld, const struct ast_filter *f, uint16_t proto)
{
	const struct ast_tok *kw = f->dport_kw ? f->dport_kw : f->sport_kw;

	if (!kw || proto == 6 || proto == 17)
		return 0;
	if (!f->proto)
		return ld_err(ld, &kw->loc, kw->text, "ports need a protocol (tcp or udp)");
	return ld_err(ld, &kw->loc, kw->text, "ports only with tcp or udp, not '%s'",
		      f->proto->text);
}

struct filter_parts {
	struct spd_addr src[CONF_ADDRS_MAX], dst[CONF_ADDRS_MAX];
	size_t nsrc, ndst;
	uint16_t slo[CONF_PORTS_MAX], shi[CONF_PORTS_MAX], dlo[CONF_PORTS_MAX], dhi[CONF_PORTS_MAX];
	size_t nsp, ndp;
};

static int filter_addrs(struct loader *ld, const struct ast_filter *f, struct filter_parts *fp)
{
	bool resolve = !(ld->o.flags & CONF_NO_RESOLVE);
	char why[CONF_WHY_MAX];
	int rc = 0;

	if (conf_addr_parse(f->src->text, resolve, fp->src, &fp->nsrc, why, sizeof(why)))
		rc = ld_err(ld, &f->src->loc, f->src->text, "%s", why);
	if (conf_addr_parse(f->dst->text, resolve, fp->dst, &fp->ndst, why, sizeof(why)))
		rc = ld_err(ld, &f->dst->loc, f->dst->text, "%s", why);
	return rc;
}

/* Every combination of source, destination (same family) and ports becomes one filter, in
 * the order written. */
static int filter_emit(struct loader *ld, struct spd_filter_list *l, const struct ast_item *it,
		       const struct filter_parts *fp, uint16_t proto)
{
	size_t i, j, a, b, made = 0;
	struct spd_filter f;

	for (i = 0; i < fp->nsrc; i++) {
		for (j = 0; j < fp->ndst; j++) {
			uint8_t sa = spd_addr_af(&fp->src[i]), da = spd_addr_af(&fp->dst[j]);

			if (sa && da && sa != da)
				continue;
			for (a = 0; a < fp->nsp; a++) {
				for (b = 0; b < fp->ndp; b++) {
					spd_filter_init(&f);
					f.src = fp->src[i];
					f.dst = fp->dst[j];
					f.af = sa ? sa : da;
					f.proto = proto;
					f.sport_lo = fp->slo[a];
					f.sport_hi = fp->shi[a];
					f.dport_lo = fp->dlo[b];
					f.dport_hi = fp->dhi[b];
					f.mirrored = it->filter->mirrored;
					int rc = spd_filter_list_add(ld->s, l, &f);

					if (rc == -ENOMEM)
						ld->nomem = true;
					if (rc)
						return rc == -ENOMEM ? -1
								     : ld_err(ld, &it->loc, it->kw,
									      "invalid filter");
					made++;
				}
			}
		}
	}
	if (!made)
		return ld_err(ld, &it->filter->dst->loc, it->filter->dst->text,
			      "source and destination are of different address families");
	return 0;
}

static void filter_add(struct loader *ld, struct spd_filter_list *l, const struct ast_item *it)
{
	const struct ast_filter *f = it->filter;
	struct filter_parts *fp = calloc(1, sizeof(*fp));
	uint16_t proto = SPD_PROTO_ANY;
	const char *why;
	int rc;

	if (!fp) {
		ld->nomem = true;
		return;
	}
	rc = filter_addrs(ld, f, fp);
	if (f->proto && conf_proto_parse(f->proto->text, &proto, &why))
		rc = ld_err(ld, &f->proto->loc, f->proto->text, "%s", why);
	else if (filter_ports_ok(ld, f, proto))
		rc = -1;
	if (ports_parse(ld, f->sports, fp->slo, fp->shi, &fp->nsp) ||
	    ports_parse(ld, f->dports, fp->dlo, fp->dhi, &fp->ndp))
		rc = -1;
	if (!rc)
		filter_emit(ld, l, it, fp, proto);
	free(fp);
}

static void flist_load(struct loader *ld, const struct ast_item *it)
{
	struct spd_filter_list *l;
	const struct ast_item *f;

	l = spd_filter_list_find(ld->s, it->name->text);
	if (ld_name_define(ld, LD_NS_LIST, it->name, l && l->builtin))
		return;
	if (!it->body) {
		ld_err(ld, &it->name->loc, it->name->text, "filter list has no filters");
		return;
	}
	if (spd_filter_list_new(ld->s, it->name->text, &l)) {
		ld_err(ld, &it->name->loc, it->name->text, "invalid filter list name");
		return;
	}
	for (f = it->body; f; f = f->next)
		filter_add(ld, l, f);
}

/* ---- The statement passes ------------------------------------------------------------------ */

/* `ike-method`: the column of a diagnostic points at the offending transform name. */
static void ike_method_load(struct loader *ld, const struct ast_item *it)
{
	struct conf_loc loc = it->a->loc;
	struct spd_ike_method m;
	char why[CONF_WHY_MAX];
	size_t off;
	int rc;

	if (conf_ike_method_parse(it->a->text, &m, &off, why, sizeof(why))) {
		loc.col += (unsigned)off;
		ld_err(ld, &loc, it->a->text + off, "%s", why);
		return;
	}
	rc = spd_add_ike_method(ld->s, &m);
	if (rc == -EEXIST)
		ld_err(ld, &it->a->loc, it->a->text, "ike-method listed twice");
	else if (rc == -ENOSPC)
		ld_err(ld, &it->a->loc, it->a->text, "more than %d ike-method statements",
		       SPD_IKE_METHODS_MAX);
}

static void globals_load(struct loader *ld, const struct ast_item *it)
{
	char why[CONF_WHY_MAX];
	struct ipaddr kdc;
	uint64_t v;

	switch (it->kind) {
	case AST_NO_DEFAULT_EXEMPT:
		if (ld->nde_seen) {
			ld_twice(ld, it, ld->nde_seen);
			return;
		}
		ld->nde_seen = it;
		if (conf_uint_parse(it->a->text, 3, &v)) {
			ld_err(ld, &it->a->loc, it->a->text,
			       "no-default-exempt level out of range (0-3)");
			return;
		}
		spd_set_no_default_exempt(ld->s, (int)v);
		break;
	case AST_KDC:
		if (conf_host_parse(it->a->text, !(ld->o.flags & CONF_NO_RESOLVE), &kdc, why,
				    sizeof(why))) {
			ld_err(ld, &it->a->loc, it->a->text, "%s", why);
			return;
		}
		if (spd_add_kdc(ld->s, &kdc))
			ld->nomem = true;
		break;
	case AST_IKE_METHOD:
		ike_method_load(ld, it);
		break;
	case AST_IKE_FRAGMENTATION:
	case AST_IKE_FRAGMENT_SIZE:
	case AST_NAT_KEEPALIVE:
	case AST_DPD_DELAY:
	case AST_IKE_COOKIE_THRESHOLD:
		ld_knob_load(ld, it);
		break;
	case AST_USE:
		if (ld->use_seen) {
			ld_twice(ld, it, ld->use_seen);
			return;
		}
		ld->use_seen = it;
		ld->use = spd_policy_find(ld->s, it->name->text);
		if (!ld->use)
			ld_err(ld, &it->name->loc, it->name->text, "unknown policy");
		break;
	default:
		break;
	}
}

static void model_load(struct loader *ld, const struct ast_item *items)
{
	const struct ast_item *it;
	size_t i;

	for (i = 0; i < ld->o.nlocals; i++)
		if (spd_add_local(ld->s, &ld->o.locals[i].addr, ld->o.locals[i].plen))
			ld_err(ld, NULL, NULL, "invalid local address #%zu", i);
	for (it = items; it && !ld->nomem; it = it->next) {
		if (it->kind == AST_FILTER_LIST)
			flist_load(ld, it);
		else if (it->kind == AST_ACTION)
			ld_action_load(ld, it);
	}
	for (it = items; it && !ld->nomem; it = it->next)
		if (it->kind == AST_POLICY)
			ld_policy_load(ld, it);
	for (it = items; it && !ld->nomem; it = it->next)
		globals_load(ld, it);
	for (it = items; it && !ld->nomem; it = it->next)
		if (it->kind == AST_SA)
			ld_sa_load(ld, it);
	if (!ld->use_seen && !ld->nomem)
		ld_err(ld, &ld->eof, "", "no 'use policy' statement");
	else if (ld->use && spd_use_policy(ld->s, ld->use))
		ld->nomem = true;
}

/* ---- Entry points ------------------------------------------------------------------------ */

static int load(struct loader *ld, const char *name, const char *buf, size_t len)
{
	struct ast_item *items;
	char real[PATH_MAX];
	const char *file = conf_arena_strdup(&ld->ar, name);

	if (!file)
		return -ENOMEM;
	parse_text(ld, file, buf, len, &items, &ld->eof);
	if (!ld->syntax) {
		if (realpath(name, real) && (ld->stack[0] = conf_arena_strdup(&ld->ar, real)))
			ld->depth = 1;
		items = expand(ld, items, dir_of(ld, file), 0);
	}
	if (!ld->syntax && !ld->nomem) {
		ld->s = spd_new();
		if (!ld->s)
			return -ENOMEM;
		model_load(ld, items);
	}
	if (ld->nomem)
		return -ENOMEM;
	if (ld->nerr)
		return -EINVAL;
	if (!(ld->o.flags & CONF_NO_COMPILE) && spd_compile(ld->s))
		return -ENOMEM;
	return ld_sa_deliver(ld);
}

int conf_load_buf(const char *name, const char *buf, size_t len, const struct conf_opts *opts,
		  struct spd **out, struct conf_diags *diags)
{
	struct loader ld = { .d = diags };
	int rc;

	if (opts)
		ld.o = *opts;
	*out = NULL;
	rc = load(&ld, name, buf, len);
	ld_sa_free(&ld);
	if (rc)
		spd_free(ld.s);
	else
		*out = ld.s;
	conf_arena_free(&ld.ar);
	return rc;
}

int conf_load_file(const char *path, const struct conf_opts *opts, struct spd **out,
		   struct conf_diags *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = file_read(path, &buf, &len);
	if (rc) {
		struct conf_loc loc = { path, 0, 0 };

		if (conf_diag_add(diags, &loc, NULL, "cannot read configuration: %s",
				  file_errstr(rc)) < 0)
			return -ENOMEM;
		return rc == -ENOENT || rc == -EACCES ? rc : -EINVAL;
	}
	rc = conf_load_buf(path, buf, len, opts, out, diags);
	free(buf);
	return rc;
}
