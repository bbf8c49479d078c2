/* src/conf `sa` statements (manually keyed SAs for espritd): what a clean statement delivers
 * to the manual_sa callback (fields, key octets from the key file, selectors in the SA's
 * direction, mirrored ports), and one exact diagnostic per kind of mistake. The key files are
 * written here with known bytes and mode 0600 (0644 must be refused, like PSK files). */
#include <errno.h>
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

#define MAX_GOT 4

static char dir[64];
static char key20[128], key64[128], key_open[128];

struct got {
	struct conf_sa sa[MAX_GOT];
	size_t n;
};

static int collect(void *arg, const struct conf_sa *sa)
{
	struct got *g = arg;

	assert_true(g->n < MAX_GOT);
	g->sa[g->n] = *sa;
	/* Key pointers are only valid during the call: keep the octets. */
	g->sa[g->n].p.encr_key = NULL;
	g->sa[g->n].p.integ_key = NULL;
	g->n++;
	return 0;
}

static void write_key(char *path, size_t cap, const char *name, const char *hex, mode_t mode)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "0x%s\n", hex);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/esprit-conf-sa-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* 16 key octets 00..0f, salt a0a1a2a3 */
	write_key(key20, sizeof(key20), "k20", "000102030405060708090a0b0c0d0e0fa0a1a2a3", 0600);
	/* aes-cbc-128 (16) + hmac-sha2-256 (32) = 48 octets; 64 is wrong for it */
	write_key(key64, sizeof(key64), "k64",
		  "00000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000000",
		  0600);
	write_key(key_open, sizeof(key_open), "kopen", "000102030405060708090a0b0c0d0e0fa0a1a2a3",
		  0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(key20);
	unlink(key64);
	unlink(key_open);
	rmdir(dir);
	return 0;
}

static int load(const char *text, struct got *g, struct conf_diags *d)
{
	struct conf_opts o = { .flags = CONF_NO_RESOLVE, .manual_sa = collect, .manual_sa_arg = g };
	struct spd *s = NULL;
	int rc;

	memset(g, 0, sizeof(*g));
	rc = conf_load_buf("sa.conf", text, strlen(text), &o, &s, d);
	spd_free(s);
	return rc;
}

static void test_transport_gcm(void **state)
{
	static const uint8_t want_key[20] = { 0,  1,  2,  3,  4,  5,  6,    7,	  8,	9,
					      10, 11, 12, 13, 14, 15, 0xa0, 0xa1, 0xa2, 0xa3 };
	struct conf_diags d = { 0 };
	struct ipaddr a1, a2;
	struct got g;
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text),
		 "use policy client-respond-only\n"
		 "sa out esp spi 0x1001 transport 10.9.0.1 -> 10.9.0.2 aes-gcm-128 key file \"%s\""
		 " esn selector tcp port {80, 443}\n"
		 "sa in esp spi 4098 transport 10.9.0.2 -> 10.9.0.1 aes-gcm-128 key \"%s\" window "
		 "128"
		 " require selector tcp sport 80 mirrored\n",
		 key20, key20);
	assert_int_equal(load(text, &g, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(ipaddr_parse(&a1, "10.9.0.1"), 0);
	assert_int_equal(ipaddr_parse(&a2, "10.9.0.2"), 0);

	assert_int_equal(g.sa[0].p.spi, 0x1001);
	assert_int_equal(g.sa[0].p.dir, SA_DIR_OUT);
	assert_int_equal(g.sa[0].p.proto, 50);
	assert_int_equal(g.sa[0].p.mode, SA_MODE_TRANSPORT);
	assert_true(g.sa[0].p.esn);
	assert_true(ipaddr_eq(&g.sa[0].p.src, &a1));
	assert_true(ipaddr_eq(&g.sa[0].p.dst, &a2));
	assert_int_equal(g.sa[0].p.encr, ENCR_AES_GCM_16);
	assert_int_equal(g.sa[0].p.encr_bits, 128);
	assert_int_equal(g.sa[0].p.integ, AUTH_NONE);
	assert_int_equal(g.sa[0].p.encr_key_len, 20);
	assert_int_equal(g.sa[0].p.integ_key_len, 0);
	assert_memory_equal(g.sa[0].key, want_key, 20);
	assert_false(g.sa[0].require);
	assert_int_equal(g.sa[0].nsel, 2);
	assert_int_equal(g.sa[0].sel[0].proto, 6);
	assert_int_equal(g.sa[0].sel[0].sport, 0);
	assert_int_equal(g.sa[0].sel[0].dport, 80);
	assert_int_equal(g.sa[0].sel[1].dport, 443);

	assert_int_equal(g.sa[1].p.spi, 4098);
	assert_int_equal(g.sa[1].p.dir, SA_DIR_IN);
	assert_false(g.sa[1].p.esn);
	assert_int_equal(g.sa[1].p.replay_window, 128);
	assert_true(g.sa[1].require);
	/* sport 80 mirrored: (80, any) and (any, 80) */
	assert_int_equal(g.sa[1].nsel, 2);
	assert_int_equal(g.sa[1].sel[0].sport, 80);
	assert_int_equal(g.sa[1].sel[0].dport, 0);
	assert_int_equal(g.sa[1].sel[1].sport, 0);
	assert_int_equal(g.sa[1].sel[1].dport, 80);
	conf_diags_free(&d);
}

static void test_defaults_and_ah(void **state)
{
	struct conf_diags d = { 0 };
	struct got g;
	char text[1024], k32[160];
	FILE *f;

	(void)state;
	snprintf(k32, sizeof(k32), "%s/k32", dir);
	f = fopen(k32, "w");
	assert_non_null(f);
	fprintf(f, "0x%064x\n", 7);
	fclose(f);
	chmod(k32, 0600);
	snprintf(text, sizeof(text),
		 "use policy client-respond-only\n"
		 "sa in ah spi 0x2000 tunnel 2001:db8::1 -> 2001:db8::2 hmac-sha2-256 key file "
		 "\"%s\"\n",
		 k32);
	assert_int_equal(load(text, &g, &d), 0);
	unlink(k32);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.sa[0].p.proto, 51);
	assert_int_equal(g.sa[0].p.mode, SA_MODE_TUNNEL);
	assert_int_equal(g.sa[0].p.src.af, AF_INET6);
	assert_int_equal(g.sa[0].p.integ, AUTH_HMAC_SHA2_256_128);
	assert_int_equal(g.sa[0].p.integ_key_len, 32);
	assert_int_equal(g.sa[0].key[31], 7);
	assert_int_equal(g.sa[0].p.replay_window, 64); /* default */
	/* No selector: any traffic between the two addresses. */
	assert_int_equal(g.sa[0].nsel, 1);
	assert_int_equal(g.sa[0].sel[0].proto, 0);
	conf_diags_free(&d);
}

/* One statement, one expected diagnostic (after "sa.conf:2:"). */
static void expect_one(const char *stmt, const char *want)
{
	struct conf_diags d = { 0 };
	struct got g;
	char text[1024], line[1024];

	snprintf(text, sizeof(text), "use policy client-respond-only\n%s\n", stmt);
	assert_int_equal(load(text, &g, &d), -EINVAL);
	assert_int_equal(g.n, 0); /* nothing delivered from a configuration with errors */
	if (d.n != 1 || !strstr(conf_diag_fmt(&d.v[0], line, sizeof(line)), want)) {
		for (size_t i = 0; i < d.n; i++)
			print_error("got: %s\n", conf_diag_fmt(&d.v[i], line, sizeof(line)));
		print_error("want: %s\n", want);
		fail();
	}
	conf_diags_free(&d);
}

static void test_errors(void **state)
{
	char s[512];

	(void)state;
	snprintf(s, sizeof(s),
		 "sa out esp spi 255 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "key \"%s\"",
		 key20);
	expect_one(s,
		   "sa.conf:2:16: error: SPI must be a number from 256 to 0xffffffff (near '255')");
	snprintf(s, sizeof(s),
		 "sa up esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "key \"%s\"",
		 key20);
	expect_one(s, "sa.conf:2:4: error: SA direction must be 'in' or 'out' (near 'up')");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 2001:db8::1 aes-gcm-128 "
		 "key \"%s\"",
		 key20);
	expect_one(s, "SA addresses of different families");
	expect_one("sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128",
		   "sa.conf:2:1: error: SA without 'key file \"PATH\"'");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "key \"%s\"",
		 key_open);
	expect_one(s, "sa.conf:2:");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-cbc-128 "
		 "hmac-sha2-256 key \"%s\"",
		 key64);
	expect_one(s, "key file holds 64 octets, the algorithms need 48");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "rot13 key \"%s\"",
		 key20);
	expect_one(s, "sa.conf:2:63: error: unknown SA option or algorithm (near 'rot13')");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "require key \"%s\"",
		 key20);
	expect_one(s, "'require' applies to inbound SAs only");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "key \"%s\" selector icmp port 80",
		 key20);
	expect_one(s, "ports need protocol tcp, udp or sctp");
	snprintf(s, sizeof(s),
		 "sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 aes-gcm-128 "
		 "key \"%s\" selector tcp port 1000-2000",
		 key20);
	expect_one(s, "port ranges are not supported in SA selectors");
	expect_one("sa out esp spi 256 transport 10.0.0.1 -> 10.0.0.2 key \"/nonexistent\"",
		   "ESP SA without an encryption algorithm");
}

/* Without a callback (esprit check-config) the statements are checked and ignored. */
static void test_no_callback(void **state)
{
	struct conf_diags d = { 0 };
	struct spd *s = NULL;
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
		 "use policy client-respond-only\n"
		 "sa out esp spi 0x1001 transport 10.9.0.1 -> 10.9.0.2 aes-gcm-128 key \"%s\"\n",
		 key20);
	assert_int_equal(conf_load_buf("sa.conf", text, strlen(text), NULL, &s, &d), 0);
	spd_free(s);
	conf_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_gcm),
		cmocka_unit_test(test_defaults_and_ah),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_callback),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
