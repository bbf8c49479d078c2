/* src/conf/secret.c: preshared key files. A key file must be a regular file that only its
 * owner may read or write (mode 0600 or 0400); the key never appears in a message. Also the
 * same checks as the loader applies them to `auth psk "path"` and certificate key files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/secret.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/esprit-psk-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes len bytes to dir/name with mode; returns the path (static buffer). */
static const char *mkfile(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void expect_key(const char *content, size_t clen, const void *key, size_t klen)
{
	const char *p = mkfile("k.psk", content, clen, 0600);
	uint8_t *got;
	size_t n;
	char why[256];

	assert_int_equal(secret_psk_check(p, why, sizeof(why)), 0);
	assert_int_equal(secret_psk_load(p, &got, &n, why, sizeof(why)), 0);
	assert_int_equal(n, klen);
	assert_memory_equal(got, key, klen);
	secret_psk_free(got, n);
}

static void test_psk_owner_only_ok(void **state)
{
	const char *p = mkfile("a.psk", "s3cret\n", 7, 0600);
	char why[256] = "";

	(void)state;
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), 0);
	p = mkfile("b.psk", "s3cret\n", 7, 0400);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), 0);
}

static void test_psk_group_other_refused(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0660, 0620, 0602, 0644, 0606, 0700 | 0070 };
	char why[256], want[256];
	size_t i;
	uint8_t *k = (uint8_t *)1;
	size_t n = 1;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = mkfile("c.psk", "topsecret\n", 10, bad[i]);

		assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EPERM);
		snprintf(want, sizeof(want),
			 "PSK file '%s' is accessible by group or others (mode %04o); allow the "
			 "owner only (chmod 600)",
			 p, (unsigned)bad[i]);
		assert_string_equal(why, want);
		assert_null(strstr(why, "topsecret"));
		assert_int_equal(secret_psk_load(p, &k, &n, why, sizeof(why)), -EPERM);
		assert_null(k);
		assert_int_equal(n, 0);
	}
}

static void test_psk_not_regular_or_missing(void **state)
{
	char why[256], want[256], path[128];

	(void)state;
	assert_int_equal(secret_psk_check(dir, why, sizeof(why)), -EINVAL); /* directory */
	snprintf(want, sizeof(want), "PSK file '%s' is not a regular file", dir);
	assert_string_equal(why, want);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(secret_psk_check(path, why, sizeof(why)), -EINVAL);

	snprintf(path, sizeof(path), "%s/missing.psk", dir);
	assert_int_equal(secret_psk_check(path, why, sizeof(why)), -ENOENT);
	snprintf(want, sizeof(want), "cannot open PSK file '%s': No such file or directory", path);
	assert_string_equal(why, want);
}

static void test_psk_content(void **state)
{
	static const uint8_t hex[] = { 0x01, 0x02, 0xff, 0x7e };
	char big[SECRET_PSK_MAX + 2];
	char why[256];
	const char *p;

	(void)state;
	expect_key("s3cret\n", 7, "s3cret", 6);		      /* one newline stripped */
	expect_key("s3cret", 6, "s3cret", 6);		      /* none needed */
	expect_key("s3cret\n\n", 8, "s3cret\n", 7);	      /* only one */
	expect_key("s3cret\r\n", 8, "s3cret", 6);	      /* CRLF */
	expect_key(" with spaces ", 13, " with spaces ", 13); /* text as is */
	expect_key("0x0102ff7e\n", 11, hex, sizeof(hex));
	expect_key("0X0102FF7E", 10, hex, sizeof(hex));

	p = mkfile("e.psk", "\n", 1, 0600);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is empty"));
	p = mkfile("h.psk", "0xtopsecret\n", 12, 0600);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "invalid hex key"));
	assert_null(strstr(why, "topsecret"));
	p = mkfile("o.psk", "0x123\n", 6, 0600); /* odd number of digits */
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EINVAL);
	p = mkfile("z.psk", "ab\0cd", 5, 0600);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EINVAL);
	/* a NUL in the hex form too: not the digits before it as the key (found by fuzz_secret) */
	p = mkfile("y.psk", "0x0102\0ff7e", 11, 0600);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "NUL"));

	memset(big, 'k', sizeof(big));
	expect_key(big, SECRET_PSK_MAX, big, SECRET_PSK_MAX);
	p = mkfile("l.psk", big, SECRET_PSK_MAX + 1, 0600);
	assert_int_equal(secret_psk_check(p, why, sizeof(why)), -EFBIG);
}

/* The loader checks `auth psk` files (relative to the configuration's directory) and
 * certificate key files when it reads the configuration. */
static void test_config_checks_key_files(void **state)
{
	char conf[128], pk[128], text[1024], want[512];
	struct conf_diags d = { 0 };
	struct spd *s;
	(void)state;
	snprintf(text, sizeof(text),
		 "policy p {\n"
		 "\trule r {\n"
		 "\t\tfilters all-ip\n"
		 "\t\taction request-security\n"
		 "\t\tauth psk \"ok.psk\"\n"
		 "\t}\n"
		 "\tauth cert ca \"ca.pem\" cert \"me.pem\" key \"me.key\"\n"
		 "}\n"
		 "use policy p\n");
	mkfile("ok.psk", "fine\n", 5, 0600);
	mkfile("ca.pem", "-", 1, 0644);
	mkfile("me.pem", "-", 1, 0644);
	mkfile("me.key", "-", 1, 0600);
	strcpy(conf, mkfile("main.conf", text, strlen(text), 0644));
	assert_int_equal(conf_load_file(conf, NULL, &s, &d), 0);
	snprintf(want, sizeof(want), "%s/ok.psk", dir);
	assert_string_equal(s->active->rules[0]->auths[0].psk_path, want);
	spd_free(s);
	conf_diags_free(&d);

	strcpy(pk, mkfile("ok.psk", "fine\n", 5, 0644));
	mkfile("me.key", "-", 1, 0640);
	assert_int_equal(conf_load_file(conf, NULL, &s, &d), -EINVAL);
	assert_null(s);
	assert_int_equal(d.n, 2);
	snprintf(want, sizeof(want),
		 "%s:5:12: error: PSK file '%s' is accessible by group or others (mode 0644); "
		 "allow the owner only (chmod 600) (near 'ok.psk')",
		 conf, pk);
	assert_string_equal(conf_diag_fmt(&d.v[0], text, sizeof(text)), want);
	snprintf(want, sizeof(want),
		 "%s:7:42: error: key file '%s/me.key' is accessible by group or others (mode "
		 "0640) (near 'me.key')",
		 conf, dir);
	assert_string_equal(conf_diag_fmt(&d.v[1], text, sizeof(text)), want);
	conf_diags_free(&d);

	/* CONF_NO_SECRETS: the files are not looked at (check-config on another host). */
	{
		struct conf_opts o = { .flags = CONF_NO_SECRETS };

		assert_int_equal(conf_load_file(conf, &o, &s, &d), 0);
		spd_free(s);
		conf_diags_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_owner_only_ok),
		cmocka_unit_test(test_psk_group_other_refused),
		cmocka_unit_test(test_psk_not_regular_or_missing),
		cmocka_unit_test(test_psk_content),
		cmocka_unit_test(test_config_checks_key_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
