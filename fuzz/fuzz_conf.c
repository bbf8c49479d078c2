/* libFuzzer harness for the configuration parser and loader: the input is the text of a
 * configuration file ("fuzz.conf"). Includes are disabled (the input must not make the
 * loader read other files), DNS names are refused (no network), PSK/certificate files are
 * not looked at. A configuration that loads is compiled, so the spd model built from any
 * accepted text is exercised too.
 *
 * Properties checked besides "no crash, no leak": success <=> no diagnostics <=> a model;
 * every diagnostic has a position inside the input and formats without overflow.
 * Seeds: the examples, a selection of tests/conf/bad and one file using every statement
 * (fuzz/corpus/conf).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct spd_local locals[2];

static void locals_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	ipaddr_parse(&locals[0].addr, "10.1.0.1");
	locals[0].plen = 24;
	ipaddr_parse(&locals[1].addr, "2001:db8:1::1");
	locals[1].plen = 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_opts o = {
		.locals = locals,
		.nlocals = 2,
		.flags = CONF_NO_INCLUDE | CONF_NO_RESOLVE | CONF_NO_SECRETS,
	};
	struct conf_diags d = { 0 };
	struct spd *s = NULL;
	char line[512];
	size_t i, lines = 1;
	int rc;

	locals_init();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	rc = conf_load_buf("fuzz.conf", (const char *)data, size, &o, &s, &d);
	if ((rc == 0) != (d.n == 0) || (rc == 0) != (s != NULL))
		abort();
	for (i = 0; i < d.n; i++) {
		/* positions lie inside the input (line 0: no position) */
		if (d.v[i].line > lines || (d.v[i].line && !d.v[i].col))
			abort();
		conf_diag_fmt(&d.v[i], line, sizeof(line));
		if (strlen(line) >= sizeof(line))
			abort();
	}
	spd_free(s);
	conf_diags_free(&d);
	return 0;
}
