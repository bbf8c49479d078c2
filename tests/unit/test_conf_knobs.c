/* Global IKE words (src/conf/conf_knobs.c): ike-fragmentation, ike-fragment-size,
 * nat-keepalive, dpd-delay, ike-cookie-threshold -- values, defaults, FILE:LINE:COL errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "spd/spd.h"

#define TAIL "policy p {\n}\nuse policy p\n"

static struct spd *load(const char *text, struct conf_diags *d)
{
	struct conf_opts o = { .flags = CONF_NO_RESOLVE | CONF_NO_SECRETS | CONF_NO_INCLUDE };
	struct spd *s = NULL;

	conf_load_buf("k.conf", text, strlen(text), &o, &s, d);
	return s;
}

static const char *diag(const struct conf_diags *d, size_t i)
{
	static char buf[512];

	assert_true(i < d->n);
	return conf_diag_fmt(&d->v[i], buf, sizeof(buf));
}

/* Absent words leave every knob 0 (the engine's defaults). */
static void test_defaults(void **state)
{
	struct conf_diags d = { 0 };
	struct spd *s = load(TAIL, &d);

	(void)state;
	assert_non_null(s);
	assert_false(s->ike_knobs.no_frag);
	assert_int_equal(s->ike_knobs.frag_size, 0);
	assert_int_equal(s->ike_knobs.natt_keepalive_ms, 0);
	assert_int_equal(s->ike_knobs.dpd_delay_ms, 0);
	assert_int_equal(s->ike_knobs.cookie_threshold, 0);
	spd_free(s);
	conf_diags_free(&d);
}

static void test_values(void **state)
{
	static const struct {
		const char *text;
		bool no_frag;
		unsigned frag, ka, dpd, cookie;
	} v[] = {
		{ "ike-fragmentation no\n", true, 0, 0, 0, 0 },
		{ "ike-fragmentation off\n", true, 0, 0, 0, 0 },
		{ "ike-fragmentation yes\n", false, 0, 0, 0, 0 },
		{ "ike-fragment-size 1280\n", false, 1280, 0, 0, 0 },
		{ "ike-fragment-size 256\n", false, 256, 0, 0, 0 },
		{ "ike-fragment-size 65535\n", false, 65535, 0, 0, 0 },
		{ "nat-keepalive 20s\n", false, 0, 20000, 0, 0 },
		{ "nat-keepalive 100ms\n", false, 0, 100, 0, 0 },
		{ "nat-keepalive 2min\n", false, 0, 120000, 0, 0 },
		{ "dpd-delay 30s\n", false, 0, 0, 30000, 0 },
		{ "dpd-delay 1h\n", false, 0, 0, 3600000, 0 },
		{ "dpd-delay 1500ms\n", false, 0, 0, 1500, 0 },
		{ "ike-cookie-threshold 1\n", false, 0, 0, 0, 1 },
		{ "ike-cookie-threshold 500\n", false, 0, 0, 0, 500 },
		{ "ike-fragmentation no\nike-fragment-size 600\nnat-keepalive 1s\n"
		  "dpd-delay 2s\nike-cookie-threshold 8\n",
		  true, 600, 1000, 2000, 8 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[512];
		struct conf_diags d = { 0 };
		struct spd *s;

		snprintf(text, sizeof(text), "%s" TAIL, v[i].text);
		s = load(text, &d);
		if (!s)
			conf_diags_print(&d, stderr);
		assert_non_null(s);
		assert_int_equal(s->ike_knobs.no_frag, v[i].no_frag);
		assert_int_equal(s->ike_knobs.frag_size, v[i].frag);
		assert_int_equal(s->ike_knobs.natt_keepalive_ms, v[i].ka);
		assert_int_equal(s->ike_knobs.dpd_delay_ms, v[i].dpd);
		assert_int_equal(s->ike_knobs.cookie_threshold, v[i].cookie);
		spd_free(s);
		conf_diags_free(&d);
	}
}

/* One error per bad value, at the value's column; a word given twice names the first. */
static void test_diagnostics(void **state)
{
	static const struct {
		const char *text, *want;
	} v[] = {
		{ "ike-fragment-size 255\n",
		  "k.conf:1:19: error: ike-fragment-size out of range (256-65535) (near '255')" },
		{ "ike-fragment-size 65536\n",
		  "k.conf:1:19: error: ike-fragment-size out of range (256-65535) (near '65536')" },
		{ "ike-fragment-size 1k\n",
		  "k.conf:1:19: error: ike-fragment-size out of range (256-65535) (near '1k')" },
		{ "nat-keepalive 20\n", "k.conf:1:15: error: nat-keepalive is a time with a unit "
					"(ms, s, min or h) (near '20')" },
		{ "nat-keepalive 99ms\n",
		  "k.conf:1:15: error: nat-keepalive out of range (100ms-1h) (near '99ms')" },
		{ "dpd-delay 2h\n",
		  "k.conf:1:11: error: dpd-delay out of range (100ms-1h) (near '2h')" },
		{ "dpd-delay 61min\n",
		  "k.conf:1:11: error: dpd-delay out of range (100ms-1h) (near '61min')" },
		{ "dpd-delay 100kb\n", "k.conf:1:11: error: dpd-delay is a time with a unit "
				       "(ms, s, min or h) (near '100kb')" },
		{ "ike-cookie-threshold 0\n",
		  "k.conf:1:22: error: ike-cookie-threshold out of range (1-65536) (near '0')" },
		{ "ike-fragmentation maybe\n", "k.conf:1:19: error: unexpected word, expecting "
					       "'no', 'off', 'on' or 'yes' (near 'maybe')" },
		{ "dpd-delay 1s\n\ndpd-delay 2s\n",
		  "k.conf:3:1: error: 'dpd-delay' given twice (first at k.conf:1:1)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[512];
		struct conf_diags d = { 0 };

		snprintf(text, sizeof(text), "%s" TAIL, v[i].text);
		assert_null(load(text, &d));
		if (d.n != 1)
			conf_diags_print(&d, stderr);
		assert_int_equal(d.n, 1);
		if (!strstr(diag(&d, 0), v[i].want))
			fprintf(stderr, "got %s\n", diag(&d, 0));
		assert_non_null(strstr(diag(&d, 0), v[i].want));
		conf_diags_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_diagnostics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
