/* Syntax tree of a configuration file, as the grammar builds it, and the state shared by the
 * scanner and the parser. Internal to src/conf.
 *
 * Every node and string lives in one arena that is freed in one go after loading, so an
 * error anywhere (including a bison abort in the middle of a rule) leaks nothing.
 */
#ifndef ESPRIT_CONF_AST_H
#define ESPRIT_CONF_AST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

/* ---- Arena ----------------------------------------------------------------------------- */

struct conf_arena_blk;
struct conf_arena {
	struct conf_arena_blk *blk;
};

/* Zeroed memory, NULL on allocation failure. */
void *conf_arena_alloc(struct conf_arena *a, size_t n);
char *conf_arena_strndup(struct conf_arena *a, const char *s, size_t n);
char *conf_arena_strdup(struct conf_arena *a, const char *s);
void conf_arena_free(struct conf_arena *a);

/* ---- Tree ------------------------------------------------------------------------------ */

struct conf_loc {
	const char *file;
	unsigned line, col;
};

enum ast_tok_type { AST_TOK_WORD, AST_TOK_NUMBER, AST_TOK_STRING, AST_TOK_KEYWORD };

/* A token kept for the loader: its text and where it was. Also used as a list node. */
struct ast_tok {
	struct ast_tok *next;
	struct ast_tok *last; /* head of a list: its last node (a hint, see ast_tok_append) */
	struct conf_loc loc;
	enum ast_tok_type type;
	char *text; /* strings: without quotes, escapes resolved */
};

enum ast_kind {
	/* top level */
	AST_INCLUDE,	       /* a: path */
	AST_NO_DEFAULT_EXEMPT, /* a: level */
	AST_KDC,	       /* a: address */
	AST_IKE_METHOD,	       /* a: suite word, e.g. aes256gcm16-prfsha384-ecp384 */
	AST_FILTER_LIST,       /* name; body: AST_FILTER */
	AST_ACTION,	       /* name; body: action items */
	AST_POLICY,	       /* name; body: policy items */
	AST_USE,	       /* name */
	/* global IKE words (conf_knobs.c) */
	AST_IKE_FRAGMENTATION,	  /* flag: yes/on */
	AST_IKE_FRAGMENT_SIZE,	  /* a: octets */
	AST_NAT_KEEPALIVE,	  /* a: duration */
	AST_DPD_DELAY,		  /* a: duration */
	AST_IKE_COOKIE_THRESHOLD, /* a: half-open IKE SAs */
	/* filter list */
	AST_FILTER, /* filter */
	/* action */
	AST_NEGOTIATE,
	AST_PERMIT,
	AST_BLOCK,
	AST_METHOD, /* a: transform and algorithm words; b: lifetime values */
	AST_PFS,
	AST_INPASS,
	AST_SOFT,	  /* a: timeout or NULL */
	AST_PENDING_HOLD, /* a: bound or NULL */
	AST_PENDING_DROP,
	AST_IKE_LIFETIME, /* a: one lifetime value (a time) */
	/* policy */
	AST_RULE,	      /* name (NULL: automatic); body: rule items */
	AST_DEFAULT_RESPONSE, /* flag: on/off (absent: on); a: action name or NULL */
	AST_AUTH_PSK,	      /* a: path */
	AST_AUTH_CERT,	      /* a: CA paths; b: own certificate; c: own key (each list) */
	AST_AUTH_KERBEROS,
	/* rule */
	AST_FILTERS,	    /* a: filter list name */
	AST_RULE_ACTION,    /* a: action name */
	AST_MODE_TRANSPORT, /* */
	AST_MODE_TUNNEL,    /* a: remote endpoint; b: local endpoint or NULL */
	AST_LOCAL_ID,	    /* a: identity (rule or policy) */
	AST_REMOTE_ID,	    /* a: identity */
	AST_INACTIVE,
	/* manual SA: name: direction; a: protocol; b: SPI; c: source, c->next: destination;
	 * flag: tunnel; body: the options below */
	AST_SA,
	AST_SA_WORD,	 /* a: algorithm, `esn` or `require` */
	AST_SA_KEY,	 /* a: key file; b: the word `file` or NULL */
	AST_SA_WINDOW,	 /* a: replay window */
	AST_SA_ENCAP,	 /* a: `udp` */
	AST_SA_SELECTOR, /* filter: protocol and ports (addresses unused) */
};

struct ast_filter {
	struct ast_tok *src, *dst;
	struct ast_tok *proto;	  /* NULL: any protocol */
	struct ast_tok *sports;	  /* list; NULL: any */
	struct ast_tok *dports;	  /* list; NULL: any */
	struct ast_tok *sport_kw; /* the `sport` keyword (for messages) */
	struct ast_tok *dport_kw; /* the `port` keyword */
	bool mirrored;
};

struct ast_item {
	struct ast_item *next;
	struct ast_item *last; /* head of a list: its last node (a hint) */
	enum ast_kind kind;
	struct conf_loc loc; /* the leading keyword */
	const char *kw;	     /* its text */
	struct ast_tok *name;
	struct ast_tok *a, *b, *c;
	bool flag;
	struct ast_filter *filter;
	struct ast_item *body;
};

/* ---- Parser state ---------------------------------------------------------------------- */

#define CONF_NEAR_MAX 64

struct conf_parser {
	struct conf_arena *ar;
	struct conf_diags *diags;
	const char *file; /* display name, in the arena */
	unsigned line, col;
	struct ast_item *items; /* the result */
	struct conf_loc eof;	/* where the file ended */
	unsigned nerr;
	bool stop; /* a lexical error was reported; the parse error that follows is not */
	bool nomem;
	char near[CONF_NEAR_MAX * 4 + 4]; /* text of the token just scanned, escaped */
};

/* Parse buf into p->items. 0, -EINVAL (errors in p->diags), -ENOMEM. */
int conf_parse_buf(struct conf_parser *p, const char *buf, size_t len);

/* Append a diagnostic; text may be NULL. Returns -ENOMEM on allocation failure, else 0. */
int conf_diag_add(struct conf_diags *d, const struct conf_loc *loc, const char *text,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int conf_diag_vadd(struct conf_diags *d, const struct conf_loc *loc, const char *text,
		   const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* List helpers for the grammar. */
struct ast_item *ast_item_append(struct ast_item *list, struct ast_item *it);
struct ast_tok *ast_tok_append(struct ast_tok *list, struct ast_tok *t);

#endif
