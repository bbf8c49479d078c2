/* Diagnostics list and the arena that holds the syntax tree. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_ast.h"

/* ---- Arena ----------------------------------------------------------------------------- */

#define ARENA_BLK 8192

struct conf_arena_blk {
	struct conf_arena_blk *next;
	size_t used, cap;
	max_align_t data[];
};

void *conf_arena_alloc(struct conf_arena *a, size_t n)
{
	struct conf_arena_blk *b = a->blk;
	size_t al = sizeof(max_align_t);
	void *p;

	n = (n + al - 1) / al * al;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLK ? n : ARENA_BLK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->blk;
		a->blk = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *conf_arena_strndup(struct conf_arena *a, const char *s, size_t n)
{
	char *p = conf_arena_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

char *conf_arena_strdup(struct conf_arena *a, const char *s)
{
	return conf_arena_strndup(a, s, strlen(s));
}

void conf_arena_free(struct conf_arena *a)
{
	while (a->blk) {
		struct conf_arena_blk *n = a->blk->next;

		free(a->blk);
		a->blk = n;
	}
}

/* ---- Lists ----------------------------------------------------------------------------- */

/* Appending keeps the list's last node in its head, so building a list of n statements costs
 * O(n), not O(n^2) (a configuration may hold thousands of filters). `last` is only a hint:
 * the walk continues from it to the real end. */
struct ast_item *ast_item_append(struct ast_item *list, struct ast_item *it)
{
	struct ast_item *tail;

	if (!it)
		return list;
	for (tail = it->last ? it->last : it; tail->next; tail = tail->next)
		;
	if (list) {
		struct ast_item *end = list->last ? list->last : list;

		while (end->next)
			end = end->next;
		end->next = it;
	} else {
		list = it;
	}
	list->last = tail;
	return list;
}

struct ast_tok *ast_tok_append(struct ast_tok *list, struct ast_tok *t)
{
	struct ast_tok *tail;

	if (!t)
		return list;
	for (tail = t->last ? t->last : t; tail->next; tail = tail->next)
		;
	if (list) {
		struct ast_tok *end = list->last ? list->last : list;

		while (end->next)
			end = end->next;
		end->next = t;
	} else {
		list = t;
	}
	list->last = tail;
	return list;
}

/* ---- Diagnostics ----------------------------------------------------------------------- */

/* The offending text as shown: printable ASCII kept, anything else as \xNN, cut after
 * CONF_NEAR_MAX bytes so one huge token cannot make a huge message. */
static char *near_text(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(CONF_NEAR_MAX * 4 + 4);

	if (!out)
		return NULL;
	for (i = 0; i < n && i < CONF_NEAR_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", c);
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

int conf_diag_vadd(struct conf_diags *d, const struct conf_loc *loc, const char *text,
		   const char *fmt, va_list ap)
{
	struct conf_diag *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct conf_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n];
	memset(e, 0, sizeof(*e));
	e->file = strdup(loc && loc->file ? loc->file : "(config)");
	e->line = loc ? loc->line : 0;
	e->col = loc ? loc->col : 0;
	e->text = near_text(text ? text : "");
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	if (!e->file || !e->text || !e->msg) {
		free(e->file);
		free(e->text);
		free(e->msg);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

int conf_diag_add(struct conf_diags *d, const struct conf_loc *loc, const char *text,
		  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conf_diag_vadd(d, loc, text, fmt, ap);
	va_end(ap);
	return rc;
}

const char *conf_diag_fmt(const struct conf_diag *d, char *buf, size_t len)
{
	char pos[32] = "";
	char near[CONF_NEAR_MAX * 4 + 16] = "";

	if (!len)
		return buf;
	if (d->line)
		snprintf(pos, sizeof(pos), ":%u:%u", d->line, d->col);
	if (d->text && d->text[0])
		snprintf(near, sizeof(near), " (near '%s')", d->text);
	snprintf(buf, len, "%s%s: error: %s%s", d->file, pos, d->msg, near);
	return buf;
}

void conf_diags_print(const struct conf_diags *d, FILE *f)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(f, "%s\n", conf_diag_fmt(&d->v[i], buf, sizeof(buf)));
}

void conf_diags_free(struct conf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].text);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
