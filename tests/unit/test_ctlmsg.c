/* lib/ctlmsg: the control protocol shared by espritd and esprit(8). The grammar in ctlmsg.h is
 * the reference: every rule of it is pinned here, with the limits at and one past the edge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ctlmsg.h"

static int req(const char *s, enum ctl_req *r)
{
	return ctlmsg_req_parse((const uint8_t *)s, strlen(s), r);
}

static void test_req_build_exact_bytes(void **state)
{
	static const struct {
		enum ctl_req r;
		const char *wire;
	} tab[] = {
		{ CTL_REQ_STATUS, "esprit-ctl 1 status\n" },
		{ CTL_REQ_SA, "esprit-ctl 1 sa\n" },
		{ CTL_REQ_STATS, "esprit-ctl 1 stats\n" },
		{ CTL_REQ_SA_KEYS, "esprit-ctl 1 sa-keys\n" },
	};
	char buf[CTLMSG_REQ_MAX];
	enum ctl_req got;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		size_t n = ctlmsg_req_build(tab[i].r, buf, sizeof(buf));

		assert_int_equal(n, strlen(tab[i].wire));
		assert_memory_equal(buf, tab[i].wire, n);
		assert_int_equal(ctlmsg_req_parse((uint8_t *)buf, n, &got), 0);
		assert_int_equal(got, tab[i].r);
	}
	assert_int_equal(ctlmsg_req_build(CTL_REQ_MAX, buf, sizeof(buf)), 0);
	assert_int_equal(ctlmsg_req_build(CTL_REQ_STATUS, buf, 20), 0); /* needs 21 with NUL */
	assert_int_equal(ctlmsg_req_build(CTL_REQ_STATUS, buf, 21), 20);
	assert_null(ctlmsg_req_name(CTL_REQ_MAX));
}

static void test_req_parse_rules(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum ctl_req r;
	} tab[] = {
		{ "status", 0, CTL_REQ_STATUS },	    /* bare verb: version 1 */
		{ "sa\n", 0, CTL_REQ_SA },		    /* trailing newline */
		{ "esprit-ctl 1 stats", 0, CTL_REQ_STATS }, /* without newline */
		{ "esprit-ctl 1 sa-keys\n", 0, CTL_REQ_SA_KEYS },
		{ "esprit-ctl 2 status\n", -EPROTONOSUPPORT, 0 },
		{ "esprit-ctl 0 status\n", -EPROTONOSUPPORT, 0 },
		{ "esprit-ctl x status\n", -EBADMSG, 0 },
		{ "esprit-ctl 1\n", -EBADMSG, 0 },
		{ "esprit-ctl 1 status extra\n", -EBADMSG, 0 },
		{ "status\nstatus\n", -EBADMSG, 0 }, /* one line only */
		{ "sta\ttus", -EBADMSG, 0 },	     /* control character */
		{ "", -EBADMSG, 0 },
		{ "\n", -EBADMSG, 0 },
		{ "bogus", -ENOENT, 0 },
		{ "STATUS", -ENOENT, 0 },
		{ "sa-key", -ENOENT, 0 },
	};
	enum ctl_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		r = CTL_REQ_MAX;
		assert_int_equal(req(tab[i].in, &r), tab[i].rc);
		if (tab[i].rc == 0)
			assert_int_equal(r, tab[i].r);
	}
}

static void test_req_parse_limits(void **state)
{
	uint8_t buf[CTLMSG_REQ_MAX + 1];
	enum ctl_req r;

	(void)state;
	/* Exactly CTLMSG_REQ_MAX octets: read (and refused as unknown), one more: too long. */
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(ctlmsg_req_parse(buf, CTLMSG_REQ_MAX, &r), -ENOENT);
	assert_int_equal(ctlmsg_req_parse(buf, CTLMSG_REQ_MAX + 1, &r), -EMSGSIZE);
	/* A NUL inside is a control character, not an end of string. */
	memcpy(buf, "sa\0x", 4);
	assert_int_equal(ctlmsg_req_parse(buf, 4, &r), -EBADMSG);
	assert_int_equal(ctlmsg_req_parse(buf, 2, &r), 0);
	assert_int_equal(r, CTL_REQ_SA);
	buf[0] = 0xc3; /* not ASCII */
	assert_int_equal(ctlmsg_req_parse(buf, 2, &r), -EBADMSG);
}

static int reply(const char *s, struct ctlmsg_reply *r)
{
	return ctlmsg_reply_parse((const uint8_t *)s, strlen(s), r);
}

static void test_reply_records(void **state)
{
	static const char text[] = "esprit-ctl 1\n"
				   "sa out esp spi 0x00001001 transport\n"
				   "spi 0x00001001\n"
				   "selector 10.0.0.1/32 10.0.0.2/32 proto 6 lport 0 rport 80\n"
				   "selector any\n"
				   "replay_window -\n"
				   "flag\n"
				   "sa in esp spi 0x00001002 transport\n"
				   "spi 0x00001002\n"
				   "packets 18446744073709551615";
	struct ctlmsg_reply *r = malloc(sizeof(*r));
	size_t a, b;

	(void)state;
	assert_non_null(r);
	assert_int_equal(reply(text, r), 0);
	assert_int_equal(r->version, 1);
	assert_null(r->error);
	assert_int_equal(r->n, 9);
	assert_string_equal(r->item[0].key, "sa");
	assert_string_equal(r->item[0].val, "out esp spi 0x00001001 transport");
	assert_string_equal(r->item[5].key, "flag");
	assert_string_equal(r->item[5].val, "");
	/* Records: [0, 6) and [6, 9). */
	a = ctlmsg_find(r, 0, r->n, "sa");
	b = ctlmsg_find(r, a + 1, r->n, "sa");
	assert_int_equal(a, 0);
	assert_int_equal(b, 6);
	assert_int_equal(ctlmsg_find(r, b + 1, r->n, "sa"), r->n);
	assert_string_equal(ctlmsg_get(r, a, b, "spi"), "0x00001001");
	assert_string_equal(ctlmsg_get(r, b, r->n, "spi"), "0x00001002");
	assert_null(ctlmsg_get(r, a, b, "packets"));
	assert_string_equal(ctlmsg_get(r, a, b, "selector"), "10.0.0.1/32 10.0.0.2/32 proto 6 "
							     "lport 0 rport 80");
	/* A range past the end is clipped. */
	assert_int_equal(ctlmsg_find(r, 0, 1000, "nothing"), r->n);
	free(r);
}

static void test_reply_errors(void **state)
{
	static const struct {
		const char *in;
		int rc;
	} tab[] = {
		{ "esprit-ctl 1\n", 0 },
		{ "esprit-ctl 1", 0 },
		{ "esprit-ctl 1\nerror unknown request\n", 0 },
		{ "", -EBADMSG },
		{ "sas 2\n", -EBADMSG },	 /* no version line */
		{ "esprit-ctl\n", -EBADMSG },	 /* no number */
		{ "esprit-ctl 1x\n", -EBADMSG }, /* not a number */
		{ "esprit-ctl 2\nsas 2\n", -EPROTONOSUPPORT },
		{ "esprit-ctl 1\n\nsas 2\n", -EBADMSG }, /* empty line */
		{ "esprit-ctl 1\nSas 2\n", -EBADMSG },	 /* key: lower case only */
		{ "esprit-ctl 1\n sas 2\n", -EBADMSG },	 /* key must not be empty */
		{ "esprit-ctl 1\nsas\t2\n", -EBADMSG },	 /* control character */
		{ "esprit-ctl 1\nsas 2\r\n", -EBADMSG },
		{ "esprit-ctl 1\nk\x7f 1\n", -EBADMSG },
		{ "esprit-ctl 1\nk 1\x7f\n", -EBADMSG },
	};
	struct ctlmsg_reply *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		assert_int_equal(reply(tab[i].in, r), tab[i].rc);
	assert_int_equal(reply("esprit-ctl 1\nsas 2\nerror first\nerror second\n", r), 0);
	assert_string_equal(r->error, "first");
	assert_int_equal(reply("esprit-ctl 7\n", r), -EPROTONOSUPPORT);
	assert_int_equal(r->version, 7); /* so the CLI can say which version it met */
	free(r);
}

static void test_reply_limits(void **state)
{
	struct ctlmsg_reply *r = malloc(sizeof(*r));
	char *buf = malloc(CTLMSG_REPLY_MAX + 2);
	char key[CTLMSG_KEY_MAX + 16];
	size_t n;

	(void)state;
	assert_non_null(r);
	assert_non_null(buf);
	/* A reply of exactly CTLMSG_REPLY_MAX octets: one long value. One more octet: refused. */
	n = (size_t)sprintf(buf, "esprit-ctl 1\nk ");
	memset(buf + n, 'v', CTLMSG_REPLY_MAX - n);
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, CTLMSG_REPLY_MAX, r), 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(strlen(r->item[0].val), CTLMSG_REPLY_MAX - n);
	buf[CTLMSG_REPLY_MAX] = 'v';
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, CTLMSG_REPLY_MAX + 1, r), -EMSGSIZE);
	/* CTLMSG_ITEMS_MAX lines are fine, one more is not. */
	n = (size_t)sprintf(buf, "esprit-ctl 1\n");
	for (unsigned i = 0; i < CTLMSG_ITEMS_MAX; i++)
		n += (size_t)sprintf(buf + n, "k\n");
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, n, r), 0);
	assert_int_equal(r->n, CTLMSG_ITEMS_MAX);
	n += (size_t)sprintf(buf + n, "k\n");
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, n, r), -EMSGSIZE);
	/* Keys: CTLMSG_KEY_MAX characters allowed, one more refused. */
	memset(key, 'k', CTLMSG_KEY_MAX);
	key[CTLMSG_KEY_MAX] = 0;
	n = (size_t)sprintf(buf, "esprit-ctl 1\n%s 1\n", key);
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, n, r), 0);
	n = (size_t)sprintf(buf, "esprit-ctl 1\n%sk 1\n", key);
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, n, r), -EBADMSG);
	free(buf);
	free(r);
}

static void test_u64(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t v;
	} tab[] = {
		{ "0", true, 0 },
		{ "42", true, 42 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "99999999999999999999", false, 0 },
		{ "", false, 0 },
		{ "-", false, 0 },
		{ "-1", false, 0 },
		{ "+1", false, 0 },
		{ "1a", false, 0 },
		{ " 1", false, 0 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		v = 12345;
		assert_int_equal(ctlmsg_u64(tab[i].s, &v), tab[i].ok);
		assert_true(v == (tab[i].ok ? tab[i].v : 12345));
	}
	assert_false(ctlmsg_u64(NULL, &v));
}

/* The Quick Mode labels are the counter names of the Windows IP Security Monitor, in the order
 * the issue lists them (Windows Server 2003 IPsec Monitor, Quick Mode > Statistics). */
static void test_stat_tables(void **state)
{
	static const char *const qm[] = {
		"Active Security Associations",
		"Active Tunnels",
		"Bad SPI Packets",
		"Packets Not Decrypted",
		"Packets Not Authenticated",
		"Packets With Replay Detection",
		"Confidential Bytes Sent",
		"Confidential Bytes Received",
		"Authenticated Bytes Sent",
		"Authenticated Bytes Received",
		"Transport Bytes Sent",
		"Transport Bytes Received",
		"Bytes Sent In Tunnels",
		"Bytes Received In Tunnels",
		"Key Additions",
		"Key Deletions",
		"Rekeys",
	};
	const struct ctlmsg_stat *all[] = { ctlmsg_qm_stats, ctlmsg_mm_stats, ctlmsg_dp_stats };
	const size_t nall[] = { ctlmsg_qm_nstats, ctlmsg_mm_nstats, ctlmsg_dp_nstats };

	(void)state;
	assert_int_equal(ctlmsg_qm_nstats, sizeof(qm) / sizeof(qm[0]));
	for (size_t i = 0; i < ctlmsg_qm_nstats; i++)
		assert_string_equal(ctlmsg_qm_stats[i].label, qm[i]);
	/* Every key is a valid reply key and unique across the three tables. */
	for (size_t t = 0; t < 3; t++) {
		for (size_t i = 0; i < nall[t]; i++) {
			const char *k = all[t][i].key;

			assert_true(strlen(k) <= CTLMSG_KEY_MAX);
			assert_int_equal(strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.-"),
					 strlen(k));
			for (size_t u = 0; u < 3; u++)
				for (size_t j = 0; j < nall[u]; j++)
					if (u != t || j != i)
						assert_string_not_equal(k, all[u][j].key);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_build_exact_bytes),
		cmocka_unit_test(test_req_parse_rules),
		cmocka_unit_test(test_req_parse_limits),
		cmocka_unit_test(test_reply_records),
		cmocka_unit_test(test_reply_errors),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_stat_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
