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
#include "sa/sa.h"

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

/* A manually keyed SA (`sa` statement, used by espritd):
 *
 *   sa in|out esp|ah spi SPI transport|tunnel SRC -> DST ALGORITHM... key [file] "PATH"
 *      [esn] [window N] [encap udp] [require] [selector [PROTO] [sport P] [port P] [mirrored]]
 *
 * ALGORITHMs are the `method` names (aes-gcm-128, chacha20-poly1305, aes-cbc-256 with
 * hmac-sha2-256, ...; AH takes an integrity algorithm only). The key file follows the PSK file
 * rules (secret.h) and holds the encryption key (salt included) followed by the integrity key,
 * usually as 0x-hex. The selector's ports are those of the packets the SA carries, SRC -> DST
 * (`port` = destination port); `mirrored` adds the swapped ports; no selector: any traffic
 * between SRC and DST. `require` (inbound SAs): plaintext matching the selector must not be
 * accepted from anyone. */
#define CONF_SA_SEL_MAX 8
#define CONF_SA_KEY_MAX 96

struct conf_sa_sel {
	uint8_t proto;	       /* 0: any */
	uint16_t sport, dport; /* 0: any */
};

struct conf_sa {
	struct sa_params p; /* key pointers point into key[] (valid during the callback) */
	uint8_t key[CONF_SA_KEY_MAX];
	struct conf_sa_sel sel[CONF_SA_SEL_MAX];
	size_t nsel;
	bool require;
	unsigned line; /* of the `sa` keyword, for messages */
};

struct conf_opts {
	/* The host's addresses, given to spd_add_local() so that `me` means something. */
	const struct spd_local *locals;
	size_t nlocals;
	unsigned flags;
	/* Includes may not leave this directory (NULL: no restriction). */
	const char *include_root;
	/* Called once per `sa` statement, in order, after the whole configuration loaded
	 * without errors (and before conf_load_* returns). A negative return fails the load
	 * with that value. NULL: `sa` statements are checked and ignored. */
	int (*manual_sa)(void *arg, const struct conf_sa *sa);
	void *manual_sa_arg;
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
