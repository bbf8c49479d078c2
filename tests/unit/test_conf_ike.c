/* `ike-method` (src/conf/conf_ike.c, conf_load.c) and the IKE SA offer it makes
 * (src/ike/proposal.c). Transform ids are the IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters" numbers (RFC 7296 3.3.2): ENCR AES_CBC 12, AES_GCM_16 20 (RFC 4106 8),
 * CHACHA20_POLY1305 28 (RFC 7634 2); PRF HMAC_SHA2_256/384/512 5/6/7 (RFC 4868 2.4); INTEG
 * HMAC_SHA2_256_128/384_192/512_256 12/13/14; D-H 14 MODP-2048, 15 MODP-3072 (RFC 3526),
 * 19/20/21 ECP-256/384/521 (RFC 5903), 31 Curve25519 (RFC 8031). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/conf_value.h"
#include "ike/proposal.h"

static void test_words(void **state)
{
	static const struct {
		const char *w;
		int encr, bits, integ, prf, dh; /* encr -1: refused, at byte offset bits */
	} v[] = {
		{ "aes256gcm16-prfsha384-ecp384", 20, 256, 0, 6, 20 },
		{ "aes128gcm16-prfsha256-x25519", 20, 128, 0, 5, 31 },
		{ "aes128gcm-curve25519", 20, 128, 0, 5, 31 },
		{ "chacha20poly1305-prfsha512-ecp521", 28, 0, 0, 7, 21 },
		{ "aes128-sha256-modp2048", 12, 128, 12, 5, 14 },
		{ "aes256-sha384-modp3072", 12, 256, 13, 6, 15 },
		{ "aes256-sha512-ecp256", 12, 256, 14, 7, 19 },
		{ "ecp256-sha256-prfsha512-aes128", 12, 128, 12, 7, 19 },
		{ "aes256gcm16-prfsha384-ecp385", -1, 22, 0, 0, 0 },
		{ "aes256gcm17-prfsha384-ecp384", -1, 0, 0, 0, 0 },
		{ "aes256gcm16-ecp384-x25519", -1, 19, 0, 0, 0 },      /* two groups */
		{ "aes256gcm16-aes128gcm16-ecp384", -1, 12, 0, 0, 0 }, /* two ciphers */
		{ "aes256gcm16-prfsha384", -1, 0, 0, 0, 0 },	       /* no group */
		{ "prfsha384-ecp384", -1, 0, 0, 0, 0 },		       /* no cipher */
		{ "aes256gcm16-sha256-ecp384", -1, 0, 0, 0,
		  0 },				     /* RFC 5282 8: no INTEG with AEAD */
		{ "aes128-ecp256", -1, 0, 0, 0, 0 }, /* CBC without INTEG */
		{ "aes128--ecp256", -1, 7, 0, 0, 0 },
		{ "3des-sha1-modp1024", -1, 0, 0, 0, 0 },
		{ "", -1, 0, 0, 0, 0 },
	};
	struct spd_ike_method m;
	char why[128];
	size_t off;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = conf_ike_method_parse(v[i].w, &m, &off, why, sizeof(why));

		if (v[i].encr < 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(off, v[i].bits);
			assert_true(why[0]);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(m.encr, v[i].encr);
		assert_int_equal(m.encr_bits, v[i].bits);
		assert_int_equal(m.integ, v[i].integ);
		assert_int_equal(m.prf, v[i].prf);
		assert_int_equal(m.dh, v[i].dh);
	}
}

static struct spd *load(const char *text, struct conf_diags *d)
{
	struct conf_opts o = { .flags = CONF_NO_RESOLVE | CONF_NO_SECRETS | CONF_NO_INCLUDE };
	struct spd *s = NULL;

	conf_load_buf("mem.conf", text, strlen(text), &o, &s, d);
	return s;
}

static const char *diag(const struct conf_diags *d, size_t i)
{
	static char buf[512];

	assert_true(i < d->n);
	return conf_diag_fmt(&d->v[i], buf, sizeof(buf));
}

/* The column of an error points at the transform name that is wrong. */
static void test_diagnostics(void **state)
{
	static const char *text = "ike-method aes256gcm16-prfsha384-ecp384\n"
				  "ike-method aes256gcm16-prfsha385-ecp384\n"
				  "ike-method  aes128-ecp256\n"
				  "ike-method aes256gcm16-prfsha384-ecp384\n"
				  "policy p {\n}\n"
				  "use policy p\n";
	struct conf_diags d = { 0 };

	(void)state;
	assert_null(load(text, &d));
	assert_int_equal(d.n, 3);
	assert_string_equal(diag(&d, 0), "mem.conf:2:24: error: unknown IKE transform "
					 "'prfsha385' (near 'prfsha385-ecp384')");
	assert_string_equal(diag(&d, 1), "mem.conf:3:13: error: AES-CBC needs an integrity "
					 "algorithm (sha256, sha384, sha512) (near "
					 "'aes128-ecp256')");
	assert_string_equal(diag(&d, 2), "mem.conf:4:12: error: ike-method listed twice (near "
					 "'aes256gcm16-prfsha384-ecp384')");
	conf_diags_free(&d);
}

/* The configured suites, in order, are the whole IKE SA offer; the first group is the KE
 * guess; no ike-method restores the built-in suite. */
static void test_offer(void **state)
{
	static const char *text = "ike-method aes128-sha256-x25519\n"
				  "ike-method aes256gcm16-prfsha384-ecp384\n"
				  "ike-method aes256gcm16-prfsha384-x25519\n"
				  "policy p {\n}\n"
				  "use policy p\n";
	struct conf_diags d = { 0 };
	struct spd *s = load(text, &d);
	struct prop_list l;
	const uint16_t *g;
	char buf[PROP_WHY_MAX];
	size_t n;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->nike_methods, 3);
	assert_int_equal(prop_ike_set_methods(s->ike_methods, s->nike_methods), 0);
	assert_int_equal(prop_ike_default(NULL, 0, &l), 0);
	assert_string_equal(prop_list_fmt(&l, buf, sizeof(buf)),
			    "IKE: AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519, "
			    "IKE: AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384, "
			    "IKE: AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519");
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.p[i].num, i + 1);
		assert_int_equal(l.p[i].origin, i);
	}
	g = prop_default_groups(&n);
	assert_int_equal(n, 2);
	assert_int_equal(g[0], 31);
	assert_int_equal(g[1], 20);

	assert_int_equal(prop_ike_set_methods(NULL, 0), 0);
	assert_int_equal(prop_ike_default(NULL, 0, &l), 0);
	assert_int_equal(l.n, 2);
	g = prop_default_groups(&n);
	assert_int_equal(n, 6);
	assert_int_equal(g[0], 19);
	spd_free(s);
	conf_diags_free(&d);
}

/* Responder (RFC 7296 2.7): a restricted set accepts only its suites, whatever the peer
 * lists first; a peer offer outside it is NO_PROPOSAL_CHOSEN with both sides named. */
static void test_select_restricted(void **state)
{
	struct spd_ike_method m[2] = {
		{ .encr = 20, .encr_bits = 256, .prf = 6, .dh = 20 },
		{ .encr = 28, .prf = 7, .dh = 31 },
	};
	struct prop_list peer, ours;
	struct prop chosen;
	char why[PROP_WHY_MAX], buf[128];

	(void)state;
	/* the peer offers the built-in suite (every transform) */
	assert_int_equal(prop_ike_set_methods(NULL, 0), 0);
	assert_int_equal(prop_ike_default(NULL, 0, &peer), 0);
	assert_int_equal(prop_ike_set_methods(m, 2), 0);
	assert_int_equal(prop_ike_default(NULL, 0, &ours), 0);
	assert_int_equal(prop_select(&peer, &ours, 19, &chosen, why, sizeof(why)), 0);
	/* the peer's proposal 1 (AEAD) matched our first suite; ECP-256 is not ours, so the
	 * group is ECP-384 (an INVALID_KE_PAYLOAD for the initiator) */
	assert_string_equal(prop_fmt(&chosen, buf, sizeof(buf)),
			    "IKE: AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384");
	assert_int_equal(chosen.origin, 0);
	/* with an X25519 KE guess too: our suites are tried in our order, the first that
	 * accepts the peer's proposal decides (X25519 is not in it) */
	assert_int_equal(prop_select(&peer, &ours, 31, &chosen, why, sizeof(why)), 0);
	assert_string_equal(prop_fmt(&chosen, buf, sizeof(buf)),
			    "IKE: AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384");

	/* peer: only AES-CBC: nothing in common */
	peer.p[0] = peer.p[1];
	peer.p[0].num = 1;
	peer.n = 1;
	assert_int_equal(prop_select(&peer, &ours, 19, &chosen, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "peer offered [IKE: AES_CBC-256/AES_CBC-128/"));
	assert_non_null(strstr(why, "we accept [IKE: AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384, "
				    "IKE: CHACHA20_POLY1305/PRF_HMAC_SHA2_512/CURVE_25519]"));
	assert_int_equal(prop_ike_set_methods(NULL, 0), 0);
}

/* RFC 7296 3.5 ID Types: 1 ID_IPV4_ADDR, 2 ID_FQDN, 3 ID_RFC822_ADDR, 5 ID_IPV6_ADDR,
 * 9 ID_DER_ASN1_DN. */
static void test_identities(void **state)
{
	static const struct {
		const char *s;
		int type; /* -1: refused */
		const char *data;
		size_t len;
	} v[] = {
		{ "gw.example", 2, "gw.example", 10 },
		{ "@gw.example", 2, "gw.example", 10 },
		{ "fqdn:10.example", 2, "10.example", 10 },
		{ "ops@gw.example", 3, "ops@gw.example", 14 },
		{ "email:ops@gw.example", 3, "ops@gw.example", 14 },
		{ "10.1.2.3", 1, "\x0a\x01\x02\x03", 4 },
		{ "2001:db8::1", 5, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16 },
		/* DER of the Name: SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "a" } } } */
		{ "CN=a", 9, "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61", 14 },
		{ "dn:/CN=a", 9, "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61", 14 },
		{ "@", -1, NULL, 0 },
		{ "ops@", -1, NULL, 0 },
		{ "@@gw", -1, NULL, 0 },
		{ "gw example", -1, NULL, 0 },
		{ "XX=a", -1, NULL, 0 },
		{ "dn:", -1, NULL, 0 },
		{ "-gw", -1, NULL, 0 },
	};
	struct spd_id id;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = conf_id_parse(v[i].s, &id, why, sizeof(why));

		if (v[i].type < 0) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(id.type, v[i].type);
		assert_int_equal(id.len, v[i].len);
		assert_memory_equal(id.data, v[i].data, v[i].len);
	}
}

/* Identities are once per rule and per policy; errors name the place. */
static void test_identity_diagnostics(void **state)
{
	static const char *text = "policy p {\n"
				  "\tlocal-id gw.example\n"
				  "\tlocal-id gw2.example\n"
				  "\trule {\n"
				  "\t\tremote-id \"CN=a, Q=b\"\n"
				  "\t\tfilters fl\n"
				  "\t\taction block\n"
				  "\t}\n"
				  "}\n"
				  "use policy p\n"
				  "filter-list fl {\n\t10.0.0.1 -> 10.0.0.2\n}\n";
	struct conf_diags d = { 0 };

	(void)state;
	assert_null(load(text, &d));
	if (d.n != 2)
		conf_diags_print(&d, stderr);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(diag(&d, 0), "mem.conf:3:2: error: "));
	assert_string_equal(diag(&d, 1), "mem.conf:5:13: error: not a distinguished name "
					 "(KEY=VALUE, ...) (near 'CN=a, Q=b')");
	conf_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),	   cmocka_unit_test(test_diagnostics),
		cmocka_unit_test(test_offer),	   cmocka_unit_test(test_select_restricted),
		cmocka_unit_test(test_identities), cmocka_unit_test(test_identity_diagnostics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
