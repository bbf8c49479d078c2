/* daemon/ctl: the replies espritd builds for status, sa, stats and sa-keys, checked by parsing
 * them with lib/ctlmsg (the CLI's parser). Real SAs (sa_new) with counters set by the test; the
 * data path's SA view and the IKE engine's counters are test doubles, because the daemon is a
 * program, not a library: ctl.c is compiled into this test directly. The expected values come
 * from the mapping documented in esprit(8) (section stats), computed here by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ctl.c" /* NOLINT: the unit under test */

/* ---- test doubles: the data path's view and the IKE engine ---------------------------------- */

#define NSA 4
static struct sa *sas[NSA];
static const char *origins[NSA] = { "manual", "manual", "web", "manual" };
static const uint32_t child_ids[NSA] = { 0, 0, 7, 0 };
static const uint8_t key_gcm[20] = { 1,	 2,  3,	 4,  5,	 6,  7,	 8,  9,	 10,
				     11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
static uint8_t key_hmac[32];
static size_t nviews = NSA;

size_t dpath_sa_count(const struct dpath *d)
{
	(void)d;
	return nviews;
}

bool dpath_sa_get(const struct dpath *d, size_t i, struct dpath_sa_view *v)
{
	(void)d;
	if (i >= nviews || !sas[i])
		return false;
	memset(v, 0, sizeof(*v));
	v->sa = sas[i];
	v->origin = origins[i];
	v->child_id = child_ids[i];
	if (sas[i]->encr == ENCR_AES_GCM_16) {
		v->encr_key = key_gcm;
		v->encr_key_len = sizeof(key_gcm);
	} else {
		v->integ_key = key_hmac;
		v->integ_key_len = sizeof(key_hmac);
	}
	return true;
}

const char *dp_drop_name(enum dp_drop r)
{
	return r == DP_DROP_OUT_NO_SA ? "outbound: no SA for the packet" : "other";
}

static struct ike_stats fake_is;
static unsigned foreach_calls;

const struct ike_stats *ike_get_stats(const struct ike *ike)
{
	(void)ike;
	return &fake_is;
}

void ike_foreach_sa(const struct ike *ike, void (*fn)(const struct ike_sa_view *v, void *arg),
		    void *arg, uint64_t now)
{
	struct ike_sa_view v = { .name = "0102030405060708:1112131415161718",
				 .state = "ESTABLISHED",
				 .role = "initiator",
				 .rule = "web",
				 .xforms = "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519",
				 .nchild = 1 };

	(void)ike;
	(void)now;
	foreach_calls++;
	ipaddr_parse(&v.local.addr, "10.0.0.1");
	v.local.port = 500;
	ipaddr_parse(&v.remote.addr, "10.0.0.2");
	v.remote.port = 4500;
	fn(&v, arg);
	ipaddr_parse(&v.local.addr, "2001:db8::1");
	ipaddr_parse(&v.remote.addr, "2001:db8::2");
	v.rule = NULL;
	fn(&v, arg);
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static struct sa *mk(uint32_t spi, uint8_t proto, uint8_t mode, uint8_t dir, uint16_t encr,
		     uint16_t integ, uint64_t bytes, uint64_t packets)
{
	struct sa_params p = { .spi = spi, .proto = proto, .mode = mode, .dir = dir };
	struct sa *sa = NULL;

	ipaddr_parse(&p.src, dir == SA_DIR_OUT ? "10.0.0.1" : "10.0.0.2");
	ipaddr_parse(&p.dst, dir == SA_DIR_OUT ? "10.0.0.2" : "10.0.0.1");
	p.encr = encr;
	p.integ = integ;
	if (encr == ENCR_AES_GCM_16) {
		p.encr_bits = 128;
		p.encr_key = key_gcm;
		p.encr_key_len = sizeof(key_gcm);
	}
	if (integ) {
		p.integ_key = key_hmac;
		p.integ_key_len = sizeof(key_hmac);
	}
	p.replay_window = dir == SA_DIR_IN ? 64 : 0;
	p.hard.packets = 100;
	p.hard.seconds = 3600;
	assert_int_equal(sa_new(&sa, &p, mono_now()), 0);
	sa->ctr.bytes = bytes;
	sa->ctr.packets = packets;
	return sa;
}

static int setup(void **state)
{
	(void)state;
	memset(key_hmac, 0xab, sizeof(key_hmac));
	/* ESP GCM out/in transport, AH out tunnel, ESP NULL+HMAC in tunnel. */
	sas[0] = mk(0x1001, 50, SA_MODE_TRANSPORT, SA_DIR_OUT, ENCR_AES_GCM_16, 0, 1000, 10);
	sas[1] = mk(0x1002, 50, SA_MODE_TRANSPORT, SA_DIR_IN, ENCR_AES_GCM_16, 0, 2000, 30);
	sas[2] = mk(0x2001, 51, SA_MODE_TUNNEL, SA_DIR_OUT, 0, AUTH_HMAC_SHA2_256_128, 300, 3);
	sas[3] =
		mk(0x2002, 50, SA_MODE_TUNNEL, SA_DIR_IN, ENCR_NULL, AUTH_HMAC_SHA2_256_128, 40, 4);
	sas[1]->ctr.drops[SA_DROP_REPLAY] = 6;
	sas[1]->ctr.drops[SA_DROP_ICV] = 2;
	nviews = NSA;
	fake_is = (struct ike_stats){ 0 };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSA; i++)
		sa_free(sas[i]);
	return 0;
}

static char buf[CTLMSG_REPLY_MAX];

/* Ask ctl_reply() and parse the answer as esprit would. */
static struct ctlmsg_reply *ask(const struct ctl_ctx *x, const char *req, bool privileged)
{
	static struct ctlmsg_reply rep;
	size_t n =
		ctl_reply(NULL, x, (const uint8_t *)req, strlen(req), privileged, buf, sizeof(buf));

	assert_int_equal(ctlmsg_reply_parse((uint8_t *)buf, n, &rep), 0);
	return &rep;
}

static uint64_t num(const struct ctlmsg_reply *r, const char *key)
{
	uint64_t v = UINT64_MAX;

	assert_true(ctlmsg_u64(ctlmsg_get(r, 0, r->n, key), &v));
	return v;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_stats_mapping(void **state)
{
	struct dpath d = { 0 };
	const struct ctl_ctx x = { .d = &d };
	struct ctlmsg_reply *r;

	(void)state;
	d.st.xf.drops[SA_DROP_UNKNOWN_SPI] = 3;
	d.st.xf.drops[SA_DROP_PADDING] = 1;
	d.st.xf.drops[SA_DROP_MALFORMED] = 2;
	d.st.xf.drops[SA_DROP_ICV] = 4;
	d.st.xf.drops[SA_DROP_REPLAY] = 5;
	d.st.drops[DP_DROP_OUT_NO_SA] = 9;
	d.st.tun_rx = 11;
	d.st.raw_tx = 14;
	r = ask(&x, "stats", false);
	assert_null(r->error);
	assert_int_equal(num(r, "active_sas"), 4);
	assert_int_equal(num(r, "active_tunnels"), 1); /* the outbound AH tunnel SA */
	assert_int_equal(num(r, "bad_spi_packets"), 3);
	assert_int_equal(num(r, "packets_not_decrypted"), 3); /* padding + malformed */
	assert_int_equal(num(r, "packets_not_authenticated"), 4);
	assert_int_equal(num(r, "packets_replay_detected"), 5);
	/* Confidential: ESP that encrypts (GCM); not AH, not ENCR_NULL. */
	assert_int_equal(num(r, "confidential_bytes_sent"), 1000);
	assert_int_equal(num(r, "confidential_bytes_received"), 2000);
	assert_int_equal(num(r, "authenticated_bytes_sent"), 1300);
	assert_int_equal(num(r, "authenticated_bytes_received"), 2040);
	assert_int_equal(num(r, "transport_bytes_sent"), 1000);
	assert_int_equal(num(r, "transport_bytes_received"), 2000);
	assert_int_equal(num(r, "tunnel_bytes_sent"), 300);
	assert_int_equal(num(r, "tunnel_bytes_received"), 40);
	assert_int_equal(num(r, "key_additions"), 3); /* the manual ones; IKE's pair not counted */
	assert_int_equal(num(r, "key_deletions"), 0);
	assert_int_equal(num(r, "rekeys"), 0);
	assert_int_equal(num(r, "tun_rx"), 11);
	assert_int_equal(num(r, "net_tx"), 14);
	assert_null(ctlmsg_get(r, 0, r->n, "ike_active")); /* no IKE: no Main Mode section */
	assert_int_equal(ctlmsg_find(r, 0, r->n, "drop"), r->n - 6);
	assert_string_equal(r->item[r->n - 6].val, "dp 9 outbound: no SA for the packet");
	/* Every Quick Mode key in table order, right after the version line. */
	for (size_t i = 0; i < ctlmsg_qm_nstats; i++)
		assert_string_equal(r->item[i].key, ctlmsg_qm_stats[i].key);
	/* An expired SA is not active. */
	sas[3]->expired = true;
	r = ask(&x, "stats", false);
	assert_int_equal(num(r, "active_sas"), 3);
	sas[3]->expired = false;
}

static void test_stats_ike(void **state)
{
	struct dpath d = { 0 };
	int dummy;
	const struct ctl_ctx x = { .d = &d, .ike = (const struct ike *)&dummy };
	struct ctlmsg_reply *r;

	(void)state;
	fake_is = (struct ike_stats){ .ike_active = 1,
				      .ike_established = 2,
				      .child_active = 1,
				      .child_established = 3,
				      .acquires = 4,
				      .auth_failures = 5,
				      .rekeys_child = 2,
				      .rekeys_ike = 6 };
	r = ask(&x, "stats", false);
	/* Two keys per Child SA pair: 3 manual + 2 * 3; deleted: 2 * (3 - 1). */
	assert_int_equal(num(r, "key_additions"), 9);
	assert_int_equal(num(r, "key_deletions"), 4);
	assert_int_equal(num(r, "rekeys"), 2);
	assert_int_equal(num(r, "ike_active"), 1);
	assert_int_equal(num(r, "ike_main_mode"), 2);
	assert_int_equal(num(r, "ike_quick_mode"), 3);
	assert_int_equal(num(r, "ike_total_acquire"), 4);
	assert_int_equal(num(r, "ike_authentication_failures"), 5);
	assert_int_equal(num(r, "ike_rekeys"), 6);
	for (size_t i = 0; i < ctlmsg_mm_nstats; i++)
		assert_non_null(ctlmsg_get(r, 0, r->n, ctlmsg_mm_stats[i].key));
}

static void test_status(void **state)
{
	struct dpath d = { .steering = true };
	int dummy;
	struct ctl_ctx x = { .d = &d };
	struct ctlmsg_reply *r;
	size_t n;

	(void)state;
	strcpy(d.tun.name, "esprit0");
	r = ask(&x, "esprit-ctl 1 status\n", false);
	assert_string_equal(ctlmsg_get(r, 0, r->n, "tun"), "esprit0");
	assert_string_equal(ctlmsg_get(r, 0, r->n, "steering"), "on");
	assert_int_equal(num(r, "sas"), 4);
	assert_int_equal(num(r, "sas_in"), 2);
	assert_int_equal(num(r, "sas_out"), 2);
	assert_int_equal(num(r, "sas_manual"), 3);
	assert_int_equal(num(r, "sas_ike"), 1);
	assert_string_equal(ctlmsg_get(r, 0, r->n, "ike"), "off");
	assert_null(ctlmsg_get(r, 0, r->n, "ike_sas"));
	x.ike = (const struct ike *)&dummy;
	foreach_calls = 0;
	r = ask(&x, "status", false);
	assert_int_equal(foreach_calls, 1);
	assert_int_equal(num(r, "ike_sas"), 2);
	n = ctlmsg_find(r, 0, r->n, "ike_sa");
	assert_string_equal(
		r->item[n].val,
		"0102030405060708:1112131415161718 ESTABLISHED initiator web "
		"10.0.0.1:500 10.0.0.2:4500 AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519 1");
	/* IPv6 endpoints in brackets (RFC 3986 3.2.2); a missing rule is "-". */
	n = ctlmsg_find(r, n + 1, r->n, "ike_sa");
	assert_string_equal(r->item[n].val,
			    "0102030405060708:1112131415161718 ESTABLISHED initiator - "
			    "[2001:db8::1]:500 [2001:db8::2]:4500 "
			    "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519 1");
}

static void test_sa_records(void **state)
{
	struct dpath d = { 0 };
	const struct ctl_ctx x = { .d = &d };
	struct ctlmsg_reply *r;
	size_t a, b;

	(void)state;
	r = ask(&x, "sa", false);
	a = ctlmsg_find(r, 0, r->n, "sa");
	assert_int_equal(a, 0);
	b = ctlmsg_find(r, a + 1, r->n, "sa");
	/* The summary line keeps the format scripts used before the protocol had a version. */
	assert_string_equal(r->item[a].val, "out esp spi 0x00001001 transport 10.0.0.1 -> 10.0.0.2 "
					    "alg aes-gcm-128/icv16 packets 10 bytes 1000 drops 0 "
					    "seq 0");
	assert_string_equal(ctlmsg_get(r, a, b, "encr_id"), "20");
	assert_string_equal(ctlmsg_get(r, a, b, "icv_len"), "16");
	assert_string_equal(ctlmsg_get(r, a, b, "integ"), "none");
	assert_string_equal(ctlmsg_get(r, a, b, "replay_window"), "-");
	assert_string_equal(ctlmsg_get(r, a, b, "hard_packets_left"), "90");
	assert_string_equal(ctlmsg_get(r, a, b, "soft_packets_left"), "-");
	assert_string_equal(ctlmsg_get(r, a, b, "selector"), "any");
	assert_null(ctlmsg_get(r, a, b, "encr_key")); /* never without sa-keys */
	/* The inbound one: window, drops by reason, replay drops. */
	a = b;
	b = ctlmsg_find(r, a + 1, r->n, "sa");
	assert_string_equal(ctlmsg_get(r, a, b, "replay_window"), "64");
	assert_string_equal(ctlmsg_get(r, a, b, "replay_drops"), "6");
	assert_string_equal(ctlmsg_get(r, a, b, "drops"), "8");
	assert_string_equal(ctlmsg_get(r, a, b, "drop"), "6 replay");
	/* The IKE one names its rule. */
	a = b;
	b = ctlmsg_find(r, a + 1, r->n, "sa");
	assert_string_equal(ctlmsg_get(r, a, b, "origin"), "web");
	assert_string_equal(ctlmsg_get(r, a, b, "child_id"), "7");
	assert_string_equal(ctlmsg_get(r, a, b, "proto"), "ah");
	assert_string_equal(ctlmsg_get(r, a, b, "encr"), "none");
	assert_string_equal(ctlmsg_get(r, a, b, "integ_id"), "12");
}

static void test_sa_keys(void **state)
{
	struct dpath d = { 0 };
	const struct ctl_ctx x = { .d = &d };
	struct ctlmsg_reply *r;
	size_t n;

	(void)state;
	/* A client with another uid gets an error, and no key octets anywhere in the reply. */
	n = ctl_reply(NULL, &x, (const uint8_t *)"sa-keys", 7, false, buf, sizeof(buf));
	assert_true(n > 0 && n < sizeof(buf));
	buf[n] = 0;
	assert_null(strstr(buf, "0102030405060708090a0b0c0d0e0f1011121314"));
	assert_null(strstr(buf, "abababababababab"));
	r = ask(&x, "sa-keys", false);
	assert_string_equal(r->error, "sa-keys: permission denied");
	r = ask(&x, "sa-keys", true);
	assert_null(r->error);
	assert_string_equal(ctlmsg_get(r, 0, r->n, "encr_key"),
			    "0x0102030405060708090a0b0c0d0e0f1011121314");
	assert_string_equal(ctlmsg_get(r, 0, r->n, "integ_key"), "-");
	n = ctlmsg_find(r, ctlmsg_find(r, 0, r->n, "proto") + 1, r->n, "sa");
	n = ctlmsg_find(r, n + 1, r->n, "sa"); /* the third SA: AH, HMAC key only */
	assert_string_equal(ctlmsg_get(r, n, r->n, "encr_key"), "-");
	assert_string_equal(ctlmsg_get(r, n, r->n, "integ_key"),
			    "0xabababababababababababababababababababababababababababababababab");
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *req;
		const char *error;
	} tab[] = {
		{ "bogus", "unknown request" },
		{ "esprit-ctl 2 sa", "unsupported protocol version" },
		{ "sa\x01", "malformed request" },
		{ "", "malformed request" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "request too long" },
	};
	struct dpath d = { 0 };
	const struct ctl_ctx x = { .d = &d };

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		assert_string_equal(ask(&x, tab[i].req, true)->error, tab[i].error);
}

static void test_reply_too_large(void **state)
{
	struct dpath d = { 0 };
	const struct ctl_ctx x = { .d = &d };
	struct ctlmsg_reply *r = malloc(sizeof(*r));
	char small[600];
	size_t n;

	(void)state;
	assert_non_null(r);
	/* Four SA records need far more than 600 octets: whole lines kept, then an error line. */
	n = ctl_reply(NULL, &x, (const uint8_t *)"sa", 2, false, small, sizeof(small));
	assert_true(n < sizeof(small));
	assert_int_equal(ctlmsg_reply_parse((uint8_t *)small, n, r), 0);
	assert_string_equal(r->error, "reply too large");
	assert_string_equal(r->item[r->n - 1].key, "error");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_ike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sa_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sa_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_too_large, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
