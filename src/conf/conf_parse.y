/* esprit.conf grammar (see docs/esprit.conf.5). A newline ends a statement; blocks are
 * `{ ... }` with one statement per line. The parser only builds the syntax tree: names,
 * addresses, algorithms and numbers are checked by the loader, which knows what they mean. */
%define api.pure full
%define api.prefix {cfy}
%define parse.error custom
%define parse.lac full
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct conf_parser *p}

%code requires {
#include "conf/conf_ast.h"
typedef void *yyscan_t;
}

%code provides {
int cfylex(CFYSTYPE *lval, CFYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <stdio.h>
#include <string.h>

static void cfyerror(CFYLTYPE *l, yyscan_t scanner, struct conf_parser *p, const char *msg);
static struct ast_item *item_new(struct conf_parser *p, enum ast_kind kind,
				 const struct ast_tok *kw);
static void filter_opt_twice(struct conf_parser *p, const struct ast_tok *kw);

#define NEW(dst, expr)                      \
	do {                                \
		if (!((dst) = (expr))) {    \
			p->nomem = true;    \
			YYABORT;            \
		}                           \
	} while (0)
}

%union {
	bool flag;
	struct ast_tok *tok;
	struct ast_item *item;
	struct ast_filter *filter;
}

%token NL "end of line"
%token ARROW "'->'"
%token <tok> WORD "word" NUMBER "number" STRING "string"
%token <tok> ACTION "'action'" AUTH "'auth'" BLOCK "'block'" CA "'ca'" CERT "'cert'"
%token <tok> DEFAULT_RESPONSE "'default-response'" DROP "'drop'" FILTER_LIST "'filter-list'"
%token <tok> FILTERS "'filters'" HOLD "'hold'" INACTIVE "'inactive'" INCLUDE "'include'"
%token <tok> INPASS "'inpass'" KDC "'kdc'" KERBEROS "'kerberos'" KEY "'key'"
%token <tok> LIFETIME "'lifetime'" LOCAL "'local'" METHOD "'method'" MIRRORED "'mirrored'"
%token <tok> MODE "'mode'" NEGOTIATE "'negotiate'" NO "'no'"
%token <tok> NO_DEFAULT_EXEMPT "'no-default-exempt'" OFF "'off'" ON "'on'"
%token <tok> PENDING "'pending'" PERMIT "'permit'" PFS "'pfs'" POLICY "'policy'" PORT "'port'"
%token <tok> PSK "'psk'" RULE "'rule'" SOFT "'soft'" SPORT "'sport'" TIMEOUT "'timeout'"
%token <tok> IKE_LIFETIME "'ike-lifetime'" IKE_METHOD "'ike-method'"
%token <tok> LOCAL_ID "'local-id'" REMOTE_ID "'remote-id'"
%token <tok> IKE_FRAGMENTATION "'ike-fragmentation'" IKE_FRAGMENT_SIZE "'ike-fragment-size'"
%token <tok> NAT_KEEPALIVE "'nat-keepalive'" DPD_DELAY "'dpd-delay'"
%token <tok> IKE_COOKIE_THRESHOLD "'ike-cookie-threshold'"
%token <tok> TRANSPORT "'transport'" TUNNEL "'tunnel'" USE "'use'" YES "'yes'"
%token <tok> SA "'sa'" SELECTOR "'selector'" SPI "'spi'" WINDOW "'window'" ENCAP "'encap'"

%type <tok> idval name keyword addr port ports portlist words values certparts certpart spi
%type <item> items top flist_body filter_item action_body action_item policy_body policy_item
%type <item> rule_body rule_item auth ident rule sa_opts sa_opt sa_sel
%type <filter> fopts
%type <tok> onoff knobval
%type <flag> sa_mode

%%

file	: items			{ p->items = $1; }
	| items top		{ p->items = ast_item_append($1, $2); }
	;

items	: %empty		{ $$ = NULL; }
	| items NL		{ $$ = $1; }
	| items top NL		{ $$ = ast_item_append($1, $2); }
	;

top	: INCLUDE STRING	{ NEW($$, item_new(p, AST_INCLUDE, $1)); $$->a = $2; }
	| NO_DEFAULT_EXEMPT NUMBER {
		NEW($$, item_new(p, AST_NO_DEFAULT_EXEMPT, $1));
		$$->a = $2;
	}
	| KDC addr		{ NEW($$, item_new(p, AST_KDC, $1)); $$->a = $2; }
	| IKE_METHOD WORD	{ NEW($$, item_new(p, AST_IKE_METHOD, $1)); $$->a = $2; }
	| IKE_FRAGMENTATION onoff {
		NEW($$, item_new(p, AST_IKE_FRAGMENTATION, $1));
		$$->flag = $2->text[0] == 'y' || !strcmp($2->text, "on");
	}
	| IKE_FRAGMENT_SIZE knobval {
		NEW($$, item_new(p, AST_IKE_FRAGMENT_SIZE, $1));
		$$->a = $2;
	}
	| NAT_KEEPALIVE knobval	{ NEW($$, item_new(p, AST_NAT_KEEPALIVE, $1)); $$->a = $2; }
	| DPD_DELAY knobval	{ NEW($$, item_new(p, AST_DPD_DELAY, $1)); $$->a = $2; }
	| IKE_COOKIE_THRESHOLD knobval {
		NEW($$, item_new(p, AST_IKE_COOKIE_THRESHOLD, $1));
		$$->a = $2;
	}
	| FILTER_LIST name '{' flist_body '}' {
		NEW($$, item_new(p, AST_FILTER_LIST, $1));
		$$->name = $2;
		$$->body = $4;
	}
	| FILTER_LIST name '{' flist_body filter_item '}' {
		NEW($$, item_new(p, AST_FILTER_LIST, $1));
		$$->name = $2;
		$$->body = ast_item_append($4, $5);
	}
	| ACTION name '{' action_body '}' {
		NEW($$, item_new(p, AST_ACTION, $1));
		$$->name = $2;
		$$->body = $4;
	}
	| ACTION name '{' action_body action_item '}' {
		NEW($$, item_new(p, AST_ACTION, $1));
		$$->name = $2;
		$$->body = ast_item_append($4, $5);
	}
	| POLICY name '{' policy_body '}' {
		NEW($$, item_new(p, AST_POLICY, $1));
		$$->name = $2;
		$$->body = $4;
	}
	| POLICY name '{' policy_body policy_item '}' {
		NEW($$, item_new(p, AST_POLICY, $1));
		$$->name = $2;
		$$->body = ast_item_append($4, $5);
	}
	| USE POLICY name	{ NEW($$, item_new(p, AST_USE, $1)); $$->name = $3; }
	| SA WORD WORD SPI spi sa_mode addr ARROW addr sa_opts sa_sel {
		/* A manually keyed SA (espritd); see conf_sa.c. */
		NEW($$, item_new(p, AST_SA, $1));
		$$->name = $2;
		$$->a = $3;
		$$->b = $5;
		$$->c = $7;
		$7->next = $9;
		$$->flag = $6;
		$$->body = ast_item_append($10, $11);
	}
	;

/* Names may be keywords too, so that the built-in actions `permit` and `block` can be
 * named. */
name	: WORD
	| keyword
	;

keyword	: ACTION | AUTH | BLOCK | CA | CERT | DEFAULT_RESPONSE | DROP | FILTER_LIST | FILTERS
	| SA | SELECTOR | SPI | WINDOW | ENCAP
	| HOLD | INACTIVE | INCLUDE | INPASS | KDC | KERBEROS | KEY | LIFETIME | LOCAL | METHOD
	| MIRRORED | MODE | NEGOTIATE | NO | NO_DEFAULT_EXEMPT | OFF | ON | PENDING | PERMIT
	| PFS | POLICY | PORT | PSK | RULE | SOFT | SPORT | TIMEOUT | TRANSPORT | TUNNEL | USE
	| IKE_LIFETIME | IKE_METHOD | LOCAL_ID | REMOTE_ID
	| IKE_FRAGMENTATION | IKE_FRAGMENT_SIZE | NAT_KEEPALIVE | DPD_DELAY | IKE_COOKIE_THRESHOLD
	| YES
	;

addr	: WORD
	;

/* a number or a duration such as 20s (checked by the loader) */
knobval	: WORD
	| NUMBER
	;

/* ---- filter-list NAME { SRC -> DST [PROTO] [sport P] [port P] [mirrored] } ---------------- */

flist_body
	: %empty		{ $$ = NULL; }
	| flist_body NL		{ $$ = $1; }
	| flist_body filter_item NL { $$ = ast_item_append($1, $2); }
	;

filter_item
	: addr ARROW addr fopts {
		NEW($$, item_new(p, AST_FILTER, $1));
		$$->filter = $4;
		$4->src = $1;
		$4->dst = $3;
	}
	;

fopts	: %empty		{ NEW($$, conf_arena_alloc(p->ar, sizeof(*$$))); }
	| fopts WORD		{
		if ($1->proto)
			filter_opt_twice(p, $2);
		$$ = $1;
		$$->proto = $2;
	}
	| fopts NUMBER		{
		if ($1->proto)
			filter_opt_twice(p, $2);
		$$ = $1;
		$$->proto = $2;
	}
	| fopts PORT ports	{
		if ($1->dports)
			filter_opt_twice(p, $2);
		$$ = $1;
		$$->dports = $3;
		$$->dport_kw = $2;
	}
	| fopts SPORT ports	{
		if ($1->sports)
			filter_opt_twice(p, $2);
		$$ = $1;
		$$->sports = $3;
		$$->sport_kw = $2;
	}
	| fopts MIRRORED	{
		if ($1->mirrored)
			filter_opt_twice(p, $2);
		$$ = $1;
		$$->mirrored = true;
	}
	;

ports	: port
	| '{' portlist '}'	{ $$ = $2; }
	;

portlist: port
	| portlist ',' port	{ $$ = ast_tok_append($1, $3); }
	;

port	: NUMBER
	| WORD
	;

/* ---- sa DIR PROTO spi SPI MODE SRC -> DST [options] [selector FILTER-OPTIONS] -------------- */

spi	: NUMBER
	| WORD
	;

sa_mode	: TRANSPORT		{ $$ = false; }
	| TUNNEL		{ $$ = true; }
	;

sa_opts	: %empty		{ $$ = NULL; }
	| sa_opts sa_opt	{ $$ = ast_item_append($1, $2); }
	;

sa_opt	: WORD			{ NEW($$, item_new(p, AST_SA_WORD, $1)); $$->a = $1; }
	| KEY STRING		{ NEW($$, item_new(p, AST_SA_KEY, $1)); $$->a = $2; }
	| KEY WORD STRING	{ NEW($$, item_new(p, AST_SA_KEY, $1)); $$->a = $3; $$->b = $2; }
	| WINDOW NUMBER		{ NEW($$, item_new(p, AST_SA_WINDOW, $1)); $$->a = $2; }
	| ENCAP WORD		{ NEW($$, item_new(p, AST_SA_ENCAP, $1)); $$->a = $2; }
	;

sa_sel	: %empty		{ $$ = NULL; }
	| SELECTOR fopts	{ NEW($$, item_new(p, AST_SA_SELECTOR, $1)); $$->filter = $2; }
	;

/* ---- action NAME { ... } ---------------------------------------------------------------- */

action_body
	: %empty		{ $$ = NULL; }
	| action_body NL	{ $$ = $1; }
	| action_body action_item NL { $$ = ast_item_append($1, $2); }
	;

action_item
	: NEGOTIATE		{ NEW($$, item_new(p, AST_NEGOTIATE, $1)); }
	| PERMIT		{ NEW($$, item_new(p, AST_PERMIT, $1)); }
	| BLOCK			{ NEW($$, item_new(p, AST_BLOCK, $1)); }
	| METHOD words		{ NEW($$, item_new(p, AST_METHOD, $1)); $$->a = $2; }
	| METHOD words LIFETIME values {
		NEW($$, item_new(p, AST_METHOD, $1));
		$$->a = $2;
		$$->b = $4;
	}
	| PFS			{ NEW($$, item_new(p, AST_PFS, $1)); }
	| INPASS		{ NEW($$, item_new(p, AST_INPASS, $1)); }
	| SOFT			{ NEW($$, item_new(p, AST_SOFT, $1)); }
	| SOFT TIMEOUT values	{ NEW($$, item_new(p, AST_SOFT, $1)); $$->a = $3; }
	| PENDING HOLD		{ NEW($$, item_new(p, AST_PENDING_HOLD, $1)); }
	| PENDING HOLD NUMBER	{ NEW($$, item_new(p, AST_PENDING_HOLD, $1)); $$->a = $3; }
	| PENDING DROP		{ NEW($$, item_new(p, AST_PENDING_DROP, $1)); }
	| IKE_LIFETIME values	{ NEW($$, item_new(p, AST_IKE_LIFETIME, $1)); $$->a = $2; }
	;

words	: WORD
	| words WORD		{ $$ = ast_tok_append($1, $2); }
	;

values	: WORD
	| NUMBER
	| values WORD		{ $$ = ast_tok_append($1, $2); }
	| values NUMBER		{ $$ = ast_tok_append($1, $2); }
	;

/* ---- policy NAME { rule ... | default-response ... | auth ... } --------------------------- */

policy_body
	: %empty		{ $$ = NULL; }
	| policy_body NL	{ $$ = $1; }
	| policy_body policy_item NL { $$ = ast_item_append($1, $2); }
	;

policy_item
	: rule
	| DEFAULT_RESPONSE onoff {
		NEW($$, item_new(p, AST_DEFAULT_RESPONSE, $1));
		$$->flag = $2->text[0] == 'y' || !strcmp($2->text, "on");
	}
	| DEFAULT_RESPONSE ACTION name {
		NEW($$, item_new(p, AST_DEFAULT_RESPONSE, $1));
		$$->flag = true;
		$$->a = $3;
	}
	| auth
	| ident
	;
/* local-id / remote-id: an address, FQDN, user@fqdn, or a DN (usually quoted) */
ident	: LOCAL_ID idval	{ NEW($$, item_new(p, AST_LOCAL_ID, $1)); $$->a = $2; }
	| REMOTE_ID idval	{ NEW($$, item_new(p, AST_REMOTE_ID, $1)); $$->a = $2; }
	;
idval	: WORD
	| STRING
	;
onoff	: YES | NO | ON | OFF
	;

rule	: RULE '{' rule_body '}' { NEW($$, item_new(p, AST_RULE, $1)); $$->body = $3; }
	| RULE '{' rule_body rule_item '}' {
		NEW($$, item_new(p, AST_RULE, $1));
		$$->body = ast_item_append($3, $4);
	}
	| RULE name '{' rule_body '}' {
		NEW($$, item_new(p, AST_RULE, $1));
		$$->name = $2;
		$$->body = $4;
	}
	| RULE name '{' rule_body rule_item '}' {
		NEW($$, item_new(p, AST_RULE, $1));
		$$->name = $2;
		$$->body = ast_item_append($4, $5);
	}
	;

rule_body
	: %empty		{ $$ = NULL; }
	| rule_body NL		{ $$ = $1; }
	| rule_body rule_item NL { $$ = ast_item_append($1, $2); }
	;

rule_item
	: FILTERS name		{ NEW($$, item_new(p, AST_FILTERS, $1)); $$->a = $2; }
	| ACTION name		{ NEW($$, item_new(p, AST_RULE_ACTION, $1)); $$->a = $2; }
	| auth
	| MODE TRANSPORT	{ NEW($$, item_new(p, AST_MODE_TRANSPORT, $1)); }
	| MODE TUNNEL addr	{ NEW($$, item_new(p, AST_MODE_TUNNEL, $1)); $$->a = $3; }
	| MODE TUNNEL addr LOCAL addr {
		NEW($$, item_new(p, AST_MODE_TUNNEL, $1));
		$$->a = $3;
		$$->b = $5;
	}
	| INACTIVE		{ NEW($$, item_new(p, AST_INACTIVE, $1)); }
	| ident
	;

auth	: AUTH PSK STRING	{ NEW($$, item_new(p, AST_AUTH_PSK, $1)); $$->a = $3; }
	| AUTH KERBEROS		{ NEW($$, item_new(p, AST_AUTH_KERBEROS, $1)); }
	| AUTH CERT certparts	{
		NEW($$, item_new(p, AST_AUTH_CERT, $1));
		/* certparts come as keyword, path pairs: sort the paths by keyword. */
		for (struct ast_tok *t = $3, *path, *next; t; t = next) {
			path = t->next;
			next = path->next;
			path->next = NULL;
			if (!strcmp(t->text, "ca"))
				$$->a = ast_tok_append($$->a, path);
			else if (!strcmp(t->text, "cert"))
				$$->b = ast_tok_append($$->b, path);
			else
				$$->c = ast_tok_append($$->c, path);
		}
	}
	;

/* Each part is two tokens: the keyword, then the path. */
certparts
	: certpart
	| certparts certpart	{ $$ = ast_tok_append($1, $2); }
	;

certpart: CA STRING		{ $$ = $1; $1->next = $2; }
	| CERT STRING		{ $$ = $1; $1->next = $2; }
	| KEY STRING		{ $$ = $1; $1->next = $2; }
	;

%%

static struct ast_item *item_new(struct conf_parser *p, enum ast_kind kind,
				 const struct ast_tok *kw)
{
	struct ast_item *it = conf_arena_alloc(p->ar, sizeof(*it));

	if (!it)
		return NULL;
	it->kind = kind;
	it->loc = kw->loc;
	it->kw = kw->text;
	return it;
}

static void filter_opt_twice(struct conf_parser *p, const struct ast_tok *kw)
{
	const char *what = kw->type == AST_TOK_KEYWORD ? kw->text : "protocol";

	if (conf_diag_add(p->diags, &kw->loc, kw->text, "%s given twice in one filter", what) < 0)
		p->nomem = true;
	p->nerr++;
}

/* The display name of a token: its alias without the double quotes bison keeps. */
static void sym_name(yysymbol_kind_t k, char *buf, size_t len)
{
	const char *n = yysymbol_name(k);
	size_t l = strlen(n);

	if (l >= 2 && n[0] == '"' && n[l - 1] == '"')
		snprintf(buf, len, "%.*s", (int)(l - 2), n + 1);
	else
		snprintf(buf, len, "%s", n);
}

/* "unexpected X[, expecting A, B or C]" at the lookahead token, near its text. Where a name
 * is expected every keyword is too (names may be keywords); that reads "expecting a name". */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
				 struct conf_parser *p)
{
	yysymbol_kind_t exp[YYNTOKENS];
	const CFYLTYPE *l = yypcontext_location(ctx);
	struct conf_loc loc = { p->file, (unsigned)l->first_line, (unsigned)l->first_column };
	char msg[512], name[64];
	int n, i, o;
	bool word = false;

	(void)scanner;
	if (p->stop)
		return 0;
	sym_name(yypcontext_token(ctx), name, sizeof(name));
	o = snprintf(msg, sizeof(msg), "unexpected %s", name);
	n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
	for (i = 0; i < n; i++)
		word |= exp[i] == YYSYMBOL_WORD;
	if (word && n > 4) {
		snprintf(msg + o, sizeof(msg) - (size_t)o, ", expecting a name");
	} else if (n > 0 && n <= 4) {
		for (i = 0; i < n; i++) {
			sym_name(exp[i], name, sizeof(name));
			o += snprintf(msg + o, sizeof(msg) - (size_t)o, "%s%s",
				      i == 0 ? ", expecting " : i == n - 1 ? " or " : ", ", name);
		}
	}
	if (conf_diag_add(p->diags, &loc, p->near, "%s", msg) < 0)
		p->nomem = true;
	p->nerr++;
	return 0;
}

static void cfyerror(CFYLTYPE *l, yyscan_t scanner, struct conf_parser *p, const char *msg)
{
	struct conf_loc loc = { p->file, (unsigned)l->first_line, (unsigned)l->first_column };

	(void)scanner;
	if (p->stop)
		return;
	if (conf_diag_add(p->diags, &loc, p->near, "%s", msg) < 0)
		p->nomem = true;
	p->nerr++;
}
