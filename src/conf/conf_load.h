/* Loader state shared by conf_load.c (files, filter lists, globals) and conf_policy.c
 * (actions, policies, rules, authentication). Internal to src/conf. */
#ifndef ESPRIT_CONF_LOAD_H
#define ESPRIT_CONF_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "conf/conf_ast.h"

enum { LD_NS_LIST, LD_NS_ACTION, LD_NS_POLICY };

struct ld_name;

struct loader {
	struct spd *s;
	struct conf_opts o;
	struct conf_diags *d;
	struct conf_arena ar;
	unsigned nerr;
	bool nomem;
	bool syntax;		   /* a file had a syntax error */
	const char *stack[16 + 1]; /* real paths of the files being read (include loops) */
	size_t depth;
	struct conf_loc eof;		 /* end of the top-level file */
	struct ld_name *names;		 /* defined names, for duplicates */
	const struct ast_item *nde_seen; /* no-default-exempt */
	const struct ast_item *use_seen; /* use policy */
	const struct spd_policy *use;
	const struct ast_item *knob_seen[AST_IKE_COOKIE_THRESHOLD + 1]; /* global IKE words */
	struct conf_sa *sas; /* manual SAs, handed to o.manual_sa after loading */
	size_t nsas;
};

/* Report an error (always returns -1). */
int ld_err(struct loader *ld, const struct conf_loc *loc, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int ld_name_define(struct loader *ld, int ns, const struct ast_tok *t, bool builtin);
/* Options that may appear once per block: records it under kind; returns the first
 * occurrence if there was one. */
const struct ast_item *ld_once(const struct ast_item **seen, size_t nseen, enum ast_kind kind,
			       const struct ast_item *it);
int ld_twice(struct loader *ld, const struct ast_item *it, const struct ast_item *first);

/* Global IKE timer and size words (conf_knobs.c). */
void ld_knob_load(struct loader *ld, const struct ast_item *it);
void ld_action_load(struct loader *ld, const struct ast_item *it);
void ld_policy_load(struct loader *ld, const struct ast_item *it);
/* `sa` statements (conf_sa.c): check and collect; deliver after a clean load; wipe. */
void ld_sa_load(struct loader *ld, const struct ast_item *it);
int ld_sa_deliver(struct loader *ld);
void ld_sa_free(struct loader *ld);

#endif
