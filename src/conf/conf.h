/* Configuration: esprit.conf(5) text -> policy model (struct spd).
 *
 * Pipeline: flex scanner (conf_lex.l) -> bison grammar (conf_parse.y) -> syntax tree
 * (conf_ast.h) -> loader (conf_load.c) -> spd model built through the spd API. Both scanner
 * and parser are reentrant: nothing is global, so several configurations can be loaded at
 * once (daemon reload while the CLI checks a file).
 *
 *   struct conf_diags d = { 0 };
 *   struct conf_opts o = { .locals = locals, .nlocals = n };
 *   struct spd *s;
 *   if (conf_load_file("/etc/esprit/esprit.conf", &o, &s, &d) < 0)
 *           conf_diags_print(&d, stderr);      FILE:LINE:COL: error: MESSAGE (near 'TEXT')
 *   conf_diags_free(&d);
 *   ... spd_decide(s, ...) ...; spd_free(s);
 *
 * Every problem found is reported with its place (file, line, column, 1-based; a column
 * counts bytes, a tab is one column) and the offending text; loading continues after a
 * semantic error so one run reports as many problems as possible. Syntax and lexical errors
 * stop the file they occur in.
 */
#ifndef ESPRIT_CONF_CONF_H
#define ESPRIT_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "spd/spd.h"
#include "conf/secret.h"

struct conf_diag {
	char *file;    /* as named in `include` or given by the caller */
	unsigned line; /* 1-based; 0 = no position (e.g. file cannot be opened) */
	unsigned col;  /* 1-based byte column */
	char *msg;     /* what is wrong, no trailing newline */
	char *text;    /* offending text, "" if none (end of file, missing statement) */
};

struct conf_diags {
	struct conf_diag *v;
	size_t n, cap;
};

/* Flags for struct conf_opts. */
#define CONF_NO_INCLUDE 0x1u /* `include` is an error (fuzzing, untrusted text) */
#define CONF_NO_RESOLVE 0x2u /* DNS names are an error (no getaddrinfo) */
#define CONF_NO_SECRETS 0x4u /* do not look at PSK/cert files at all */
#define CONF_NO_COMPILE 0x8u /* leave spd_compile() to the caller */

struct conf_opts {
	/* The host's addresses, given to spd_add_local() so that `me` means something. */
	const struct spd_local *locals;
	size_t nlocals;
	unsigned flags;
	/* Includes may not leave this directory (NULL: no restriction). */
	const char *include_root;
};

/* Load a configuration file into a new model (built-ins included, spd_compile() done unless
 * CONF_NO_COMPILE). opts may be NULL. Diagnostics are appended to *diags (which the caller
 * zero-initialises and frees with conf_diags_free(), also on success).
 * Returns 0 and *out, or -EINVAL (the configuration has errors, see diags), -ENOENT / -EACCES
 * (top-level file unreadable, also in diags), -ENOMEM. *out is NULL on any failure. */
int conf_load_file(const char *path, const struct conf_opts *opts, struct spd **out,
		   struct conf_diags *diags);

/* The same for text in memory; name is the pseudo file name used in diagnostics, and the
 * directory relative to which includes are resolved ("." if name has no '/'). The text may
 * contain NUL bytes (reported as errors). */
int conf_load_buf(const char *name, const char *buf, size_t len, const struct conf_opts *opts,
		  struct spd **out, struct conf_diags *diags);

/* "FILE:LINE:COL: error: MESSAGE (near 'TEXT')"; without " (near ...)" when text is empty and
 * without ":LINE:COL" when line is 0. Returns buf (always NUL-terminated). */
const char *conf_diag_fmt(const struct conf_diag *d, char *buf, size_t len);
/* One line per diagnostic, in the order found. */
void conf_diags_print(const struct conf_diags *d, FILE *f);
void conf_diags_free(struct conf_diags *d);

#endif
