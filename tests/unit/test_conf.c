/* src/conf: the configuration language end to end.
 *
 *  - every example in examples/ loads; the model built from frontend.conf holds exactly what
 *    the text says (lists, filters, methods, auth, active policy) and decides packets so;
 *  - every file in tests/conf/bad/ fails with exactly the one diagnostic written on its
 *    first line ("# expect: FILE:LINE:COL: error: MESSAGE (near 'TEXT')");
 *  - includes (relative paths, forward references across files), include restrictions,
 *    several errors in one run, the diagnostic format.
 * Runs from the source directory (CTest WORKING_DIRECTORY).
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "crypto/cipher.h"

#define BAD_DIR "tests/conf/bad/"

static struct spd_local fe_locals[2];

static const struct conf_opts *fe_opts(unsigned flags)
{
	static struct conf_opts o;

	memset(fe_locals, 0, sizeof(fe_locals));
	assert_int_equal(ipaddr_parse(&fe_locals[0].addr, "10.1.0.1"), 0);
	fe_locals[0].plen = 24;
	assert_int_equal(ipaddr_parse(&fe_locals[1].addr, "2001:db8:1::1"), 0);
	fe_locals[1].plen = 64;
	o.locals = fe_locals;
	o.nlocals = 2;
	o.flags = flags;
	o.include_root = NULL;
	return &o;
}

static char *diag_line(const struct conf_diags *d, size_t i)
{
	static char buf[1024];

	assert_true(i < d->n);
	return (char *)conf_diag_fmt(&d->v[i], buf, sizeof(buf));
}

/* Load text (as a pseudo file name) and expect failure with exactly these lines. */
static void expect_errors(const char *text, unsigned flags, const char *const *lines, size_t n)
{
	struct conf_diags d = { 0 };
	struct spd *s = (struct spd *)1;
	size_t i;
	int rc = conf_load_buf("mem.conf", text, strlen(text), fe_opts(flags), &s, &d);

	if ((size_t)d.n != n)
		conf_diags_print(&d, stderr);
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	assert_int_equal(d.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(diag_line(&d, i), lines[i]);
	conf_diags_free(&d);
}

static struct spd *load_ok(const char *path, unsigned flags)
{
	struct conf_diags d = { 0 };
	struct spd *s = NULL;
	int rc = conf_load_file(path, fe_opts(flags), &s, &d);

	if (rc)
		conf_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(s);
	conf_diags_free(&d);
	return s;
}

/* ---- examples ---------------------------------------------------------------------------- */

static void test_examples_load(void **state)
{
	glob_t g;
	size_t i;

	(void)state;
	assert_int_equal(glob("examples/*.conf", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (i = 0; i < g.gl_pathc; i++)
		spd_free(load_ok(g.gl_pathv[i], CONF_NO_SECRETS));
	globfree(&g);
}

static void check_filter(const struct spd_filter *f, const char *dst, uint16_t port)
{
	struct ipaddr ip;

	assert_int_equal(ipaddr_parse(&ip, dst), 0);
	assert_int_equal(f->src.kind, SPD_ADDR_ME);
	assert_int_equal(f->dst.kind, SPD_ADDR_PREFIX);
	assert_true(ipaddr_eq(&f->dst.lo, &ip));
	assert_int_equal(f->dst.plen, ip.af == AF_INET ? 32 : 128);
	assert_int_equal(f->af, ip.af);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->sport_lo, 0);
	assert_int_equal(f->sport_hi, 65535);
	assert_int_equal(f->dport_lo, port);
	assert_int_equal(f->dport_hi, port);
	assert_true(f->mirrored);
}

/* examples/frontend.conf, read as an administrator would: the three services to the
 * back-end over IPv4 and IPv6, ESP preferred, PSK then certificates, transport mode. */
static void test_frontend_model(void **state)
{
	struct spd *s = load_ok("examples/frontend.conf", CONF_NO_SECRETS);
	const struct spd_filter_list *l = spd_filter_list_find(s, "mail-to-backend");
	const struct spd_action *a = spd_action_find(s, "require-esp");
	const struct spd_policy *p = spd_policy_find(s, "frontend");
	static const char *const v6 = "2001:db8:1::2";
	const struct spd_rule *r;
	struct ipaddr kdc;

	(void)state;
	assert_non_null(l);
	assert_int_equal(l->nfilters, 6);
	check_filter(&l->filters[0], "10.1.0.2", 80);
	check_filter(&l->filters[1], "10.1.0.2", 110);
	check_filter(&l->filters[2], "10.1.0.2", 143);
	check_filter(&l->filters[3], v6, 80);
	check_filter(&l->filters[4], v6, 110);
	check_filter(&l->filters[5], v6, 143);

	assert_non_null(a);
	assert_int_equal(a->kind, SPD_ACT_NEGOTIATE);
	assert_int_equal(a->nmethods, 3);
	/* IANA IKEv2 transform ids (RFC 7296 3.3.2, RFC 4106 8, RFC 4868 2.4): AES-GCM with a
	 * 16-octet ICV is 20, AES-CBC 12, HMAC-SHA2-256-128 12. */
	assert_int_equal(a->methods[0].xform, SPD_XF_ESP);
	assert_int_equal(a->methods[0].esp_encr, 20);
	assert_int_equal(a->methods[0].esp_encr_bits, 128);
	assert_int_equal(a->methods[0].esp_integ, 0);
	assert_true(a->methods[0].life_kb == 100000);
	assert_int_equal(a->methods[0].life_sec, 3600);
	assert_int_equal(a->methods[1].esp_encr, 12);
	assert_int_equal(a->methods[1].esp_encr_bits, 256);
	assert_int_equal(a->methods[1].esp_integ, 12);
	assert_int_equal(a->methods[2].xform, SPD_XF_AH);
	assert_int_equal(a->methods[2].ah_integ, 12);
	assert_true(a->pfs);
	assert_false(a->inpass);
	assert_false(a->soft);
	assert_int_equal(a->pending, SPD_PENDING_HOLD);
	assert_int_equal(a->pending_max, 32);

	assert_non_null(p);
	assert_ptr_equal(s->active, p);
	assert_int_equal(p->nrules, 1);
	r = p->rules[0];
	assert_string_equal(r->name, "to-backend");
	assert_ptr_equal(r->flist, l);
	assert_ptr_equal(r->action, a);
	assert_int_equal(r->mode, SPD_MODE_TRANSPORT);
	assert_int_equal(r->nauths, 2);
	assert_int_equal(r->auths[0].kind, SPD_AUTH_PSK);
	assert_string_equal(r->auths[0].psk_path, "/etc/esprit/backend.psk");
	assert_int_equal(r->auths[1].kind, SPD_AUTH_CERT);
	assert_int_equal(r->auths[1].nca, 1);
	assert_string_equal(r->auths[1].ca_paths[0], "/etc/esprit/ca.pem");
	assert_string_equal(r->auths[1].cert_path, "/etc/esprit/fe.pem");
	assert_string_equal(r->auths[1].key_path, "/etc/esprit/fe.key");
	assert_true(p->dr.active);

	assert_int_equal(s->no_default_exempt, 3);
	assert_int_equal(s->nkdcs, 1);
	assert_int_equal(ipaddr_parse(&kdc, "10.1.0.10"), 0);
	assert_true(ipaddr_eq(&s->kdcs[0], &kdc));
	spd_free(s);
}

static void decide(const struct spd *s, enum spd_dir dir, const char *local, const char *remote,
		   uint16_t lport, uint16_t rport, enum spd_verdict want)
{
	struct spd_pkt pkt = { .dir = dir, .proto = 6, .lport = lport, .rport = rport };
	struct spd_decision d;

	assert_int_equal(ipaddr_parse(&pkt.local, local), 0);
	assert_int_equal(ipaddr_parse(&pkt.remote, remote), 0);
	assert_int_equal(spd_decide(s, &pkt, &d), 0);
	assert_int_equal(d.verdict, want);
}

/* The loaded model is compiled and decides the seed's traffic as the text says. */
static void test_frontend_decisions(void **state)
{
	struct spd *s = load_ok("examples/frontend.conf", CONF_NO_SECRETS);

	(void)state;
	decide(s, SPD_DIR_OUT, "10.1.0.1", "10.1.0.2", 40000, 80, SPD_PROTECT);
	decide(s, SPD_DIR_OUT, "10.1.0.1", "10.1.0.2", 40000, 143, SPD_PROTECT);
	decide(s, SPD_DIR_IN, "10.1.0.1", "10.1.0.2", 40000, 110, SPD_PROTECT); /* mirrored */
	decide(s, SPD_DIR_OUT, "2001:db8:1::1", "2001:db8:1::2", 40000, 143, SPD_PROTECT);
	decide(s, SPD_DIR_OUT, "10.1.0.1", "10.1.0.2", 40000, 25, SPD_PERMIT); /* SMTP */
	decide(s, SPD_DIR_OUT, "10.1.0.1", "10.1.0.3", 40000, 80, SPD_PERMIT); /* other host */
	spd_free(s);
}

static void test_builtin_policies(void **state)
{
	static const char *const names[] = { SPD_BUILTIN_RESPOND_ONLY, SPD_BUILTIN_SERVER_REQUEST,
					     SPD_BUILTIN_SECURE_SERVER };
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct conf_diags d = { 0 };
		struct spd *s;

		snprintf(text, sizeof(text), "# built-in\nuse policy %s\n", names[i]);
		assert_int_equal(conf_load_buf("b.conf", text, strlen(text), NULL, &s, &d), 0);
		assert_non_null(s->active);
		assert_string_equal(s->active->name, names[i]);
		assert_true(s->active->builtin);
		spd_free(s);
		conf_diags_free(&d);
	}
}

/* ---- malformed configurations ------------------------------------------------------------ */

static void test_bad_configs(void **state)
{
	glob_t g;
	size_t i, failed = 0;

	(void)state;
	assert_int_equal(glob(BAD_DIR "*.conf", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 40);
	for (i = 0; i < g.gl_pathc; i++) {
		struct conf_diags d = { 0 };
		struct spd *s;
		char want[1200], line[1024];
		FILE *f = fopen(g.gl_pathv[i], "r");
		int rc;

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		assert_true(!strncmp(line, "# expect: ", 10));
		line[strcspn(line, "\n")] = 0;
		snprintf(want, sizeof(want), BAD_DIR "%s", line + 10);
		rc = conf_load_file(g.gl_pathv[i], fe_opts(CONF_NO_SECRETS), &s, &d);
		if (rc != -EINVAL || d.n != 1 || strcmp(diag_line(&d, 0), want)) {
			fprintf(stderr, "%s: rc %d, %zu diagnostics\n  want %s\n", g.gl_pathv[i],
				rc, d.n, want);
			for (size_t k = 0; k < d.n; k++)
				fprintf(stderr, "  got  %s\n", diag_line(&d, k));
			failed++;
		}
		assert_null(s);
		conf_diags_free(&d);
	}
	printf("%zu malformed configurations checked\n", g.gl_pathc);
	globfree(&g);
	assert_int_equal(failed, 0);
}

/* Semantic errors do not stop the loader: all are reported, in file order. */
static void test_several_errors(void **state)
{
	static const char text[] = "filter-list f {\n"
				   "\tme -> 10.0.0.0/40 tcp\n"
				   "\tme -> any icmp port 7\n"
				   "}\n"
				   "use policy nope\n";
	static const char *const want[] = {
		("mem.conf:2:8: error: prefix length out of range (0-32 for IPv4) (near "
		 "'10.0.0.0/40')"),
		"mem.conf:3:17: error: ports only with tcp or udp, not 'icmp' (near 'port')",
		"mem.conf:5:12: error: unknown policy (near 'nope')",
	};

	(void)state;
	expect_errors(text, CONF_NO_SECRETS, want, 3);
}

/* ---- includes --------------------------------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int tmp_setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/esprit-conf-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A rule in the main file uses a list and an action defined later, in included files
 * (relative to the including file's directory, also from a subdirectory). */
static void test_include_forward_refs(void **state)
{
	char path[256], sub[256];
	struct spd *s;
	const struct spd_rule *r;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/conf.d", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file("main.conf",
		   "policy p {\n\trule r {\n\t\tfilters web\n\t\taction esp\n\t}\n}\n"
		   "include \"conf.d/lists.conf\"\nuse policy p\n",
		   0644);
	write_file("conf.d/lists.conf",
		   "filter-list web {\n\tme -> 10.9.0.0/16 tcp port 443 mirrored\n}\n"
		   "include \"actions.conf\"\n",
		   0644);
	write_file("conf.d/actions.conf", "action esp {\n\tmethod esp chacha20-poly1305\n}\n",
		   0644);
	snprintf(path, sizeof(path), "%s/main.conf", tmpdir);
	s = load_ok(path, CONF_NO_SECRETS);
	r = s->active->rules[0];
	assert_string_equal(r->flist->name, "web");
	assert_int_equal(r->flist->filters[0].dst.plen, 16);
	assert_int_equal(r->action->methods[0].esp_encr, 28); /* RFC 7634 2 */
	spd_free(s);
}

static void test_include_restrictions(void **state)
{
	static const char *const disabled[] = {
		"mem.conf:1:9: error: include is disabled here (near 'x.conf')",
	};
	char text[512], want[512];
	const char *w[1] = { want };
	struct conf_opts o = { .include_root = tmpdir };
	struct conf_diags d = { 0 };
	struct spd *s;

	(void)state;
	expect_errors("include \"x.conf\"\nuse policy client-respond-only\n", CONF_NO_INCLUDE,
		      disabled, 1);
	/* /etc/hostname-like files outside the root are refused before being read. */
	snprintf(text, sizeof(text), "include \"/etc/passwd\"\nuse policy client-respond-only\n");
	assert_int_equal(conf_load_buf("mem.conf", text, strlen(text), &o, &s, &d), -EINVAL);
	snprintf(want, sizeof(want),
		 "mem.conf:1:9: error: include file outside %s (near '/etc/passwd')", tmpdir);
	assert_int_equal(d.n, 1);
	assert_string_equal(diag_line(&d, 0), w[0]);
	conf_diags_free(&d);
}

/* ---- diagnostics ----------------------------------------------------------------------- */

static void test_diag_format(void **state)
{
	struct conf_diag d = { .file = "a.conf", .line = 3, .col = 7, .msg = "bad", .text = "x" };
	char buf[128];
	struct conf_diags ds = { 0 };
	struct spd *s;

	(void)state;
	assert_string_equal(conf_diag_fmt(&d, buf, sizeof(buf)),
			    "a.conf:3:7: error: bad (near 'x')");
	d.text = "";
	assert_string_equal(conf_diag_fmt(&d, buf, sizeof(buf)), "a.conf:3:7: error: bad");
	d.line = 0;
	assert_string_equal(conf_diag_fmt(&d, buf, sizeof(buf)), "a.conf: error: bad");
	/* truncation stays NUL-terminated */
	assert_string_equal(conf_diag_fmt(&d, buf, 5), "a.co");
	/* unreadable top-level file: no position */
	assert_int_equal(conf_load_file("tests/conf/no-such.conf", NULL, &s, &ds), -ENOENT);
	assert_null(s);
	assert_int_equal(ds.n, 1);
	assert_string_equal(diag_line(&ds, 0), "tests/conf/no-such.conf: error: cannot read "
					       "configuration: No such file or directory");
	conf_diags_free(&ds);
}

/* `localhost` comes from /etc/hosts (no DNS traffic); a name gives one filter per address. */
static void test_host_name(void **state)
{
	static const char text[] = "filter-list f {\n\tme -> localhost tcp port 80\n}\n"
				   "policy p {\n\trule {\n\t\tfilters f\n\t\taction block\n\t}\n}\n"
				   "use policy p\n";
	static const char *const off[] = {
		"mem.conf:2:8: error: host names are not allowed here (near 'localhost')",
	};
	struct conf_diags d = { 0 };
	const struct spd_filter_list *l;
	struct ipaddr lo;
	struct spd *s;
	size_t i;
	bool v4 = false;

	(void)state;
	assert_int_equal(conf_load_buf("mem.conf", text, strlen(text), fe_opts(0), &s, &d), 0);
	l = spd_filter_list_find(s, "f");
	assert_true(l->nfilters >= 1);
	assert_int_equal(ipaddr_parse(&lo, "127.0.0.1"), 0);
	for (i = 0; i < l->nfilters; i++)
		v4 |= ipaddr_eq(&l->filters[i].dst.lo, &lo) && l->filters[i].dst.plen == 32;
	assert_true(v4);
	spd_free(s);
	conf_diags_free(&d);
	expect_errors(text, CONF_NO_RESOLVE, off, 1);
}

/* The EXAMPLES of docs/esprit.conf.5 are real: every .EX block that is a whole configuration
 * (has `use policy`, includes no other file) loads. */
static void test_manpage_examples(void **state)
{
	FILE *f = fopen("docs/esprit.conf.5", "r");
	char line[512], *text = calloc(1, 65536);
	size_t len = 0, blocks = 0;
	bool in = false;

	(void)state;
	assert_non_null(f);
	assert_non_null(text);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, ".EX", 3)) {
			in = true;
			len = 0;
			text[0] = 0;
			continue;
		}
		if (in && !strncmp(line, ".EE", 3)) {
			in = false;
			if (strstr(text, "use policy") && !strstr(text, "include")) {
				struct conf_diags d = { 0 };
				struct spd *s;

				if (conf_load_buf("man.conf", text, len, fe_opts(CONF_NO_SECRETS),
						  &s, &d))
					conf_diags_print(&d, stderr);
				assert_int_equal(d.n, 0);
				spd_free(s);
				conf_diags_free(&d);
				blocks++;
			}
			continue;
		}
		if (in) {
			/* troff escapes used in the page: \e is a backslash, \- a minus */
			for (char *c = line; *c && len + 2 < 65536; c++) {
				if (c[0] == '\\' && (c[1] == 'e' || c[1] == '-')) {
					text[len++] = c[1] == 'e' ? '\\' : '-';
					c++;
				} else {
					text[len++] = *c;
				}
			}
			text[len] = 0;
		}
	}
	fclose(f);
	free(text);
	assert_true(blocks >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_frontend_model),
		cmocka_unit_test(test_frontend_decisions),
		cmocka_unit_test(test_builtin_policies),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_several_errors),
		cmocka_unit_test_setup_teardown(test_include_forward_refs, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_include_restrictions, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_manpage_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
