/* src/ike/proposal: Child SA proposals from policy, the default IKE suite, responder selection
 * and the initiator's reply check.
 *
 * Expected transforms are written with IANA's numbers (RFC 7296 3.3.2 and the "IKEv2 Transform
 * Type n" registries): ENCR 12 AES-CBC, 20 AES-GCM with 16-octet ICV (RFC 4106 8.1/RFC 5282),
 * 28 ChaCha20-Poly1305 (RFC 7634); PRF 5/6/7 HMAC-SHA2-256/384/512; INTEG 2 HMAC-SHA1-96 (RFC
 * 2404), 12/13/14 HMAC-SHA2-256-128/384-192/512-256 (RFC 4868); D-H 14/15 MODP-2048/3072, 19/20/21
 * ECP-256/384/521 (RFC 5903), 31 Curve25519 (RFC 8031); ESN 0/1. Selection rules are RFC 7296 2.7
 * and 3.3.3-3.3.6 (cited per case).
 *
 * Proposals are written as text so the tables stay readable:
 *   "ESP#3@0a0b0c0d e20.256 i12 d19 n1 n0 | AH i2 n0"
 * proto [#num] [@spi hex] then transforms: e=ENCR p=PRF i=INTEG d=D-H n=ESN <id>[.<key bits>],
 * x<type>.<id> any type; a trailing '!' marks an unknown attribute. '|' separates proposals;
 * a proposal without #num gets its position (1, 2, ...).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike/proposal.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

/* ---- the little proposal language ---- */

static void parse_xf(struct prop *p, const char *tok)
{
	struct prop_xf x = { 0 };
	char *end;
	unsigned long v;

	switch (tok[0]) {
	case 'e':
		x.type = IKEV2_XF_ENCR;
		break;
	case 'p':
		x.type = IKEV2_XF_PRF;
		break;
	case 'i':
		x.type = IKEV2_XF_INTEG;
		break;
	case 'd':
		x.type = IKEV2_XF_DH;
		break;
	case 'n':
		x.type = IKEV2_XF_ESN;
		break;
	case 'x':
		v = strtoul(tok + 1, &end, 10);
		assert_true(*end == '.');
		x.type = (uint8_t)v;
		tok = end;
		break;
	default:
		fail_msg("bad token %s", tok);
	}
	x.id = (uint16_t)strtoul(tok + 1, &end, 10);
	if (*end == '.' && tok[0] != 'x')
		x.key_bits = (uint16_t)strtoul(end + 1, &end, 10);
	if (*end == '!') {
		x.unknown_attr = true;
		end++;
	}
	assert_true(*end == '\0');
	assert_true(p->nxf < PROP_XF_MAX);
	p->xf[p->nxf++] = x;
}

static void parse_head(struct prop *p, char *tok, size_t pos)
{
	char *num = strchr(tok, '#'), *spi = strchr(tok, '@');
	size_t i;

	if (spi) {
		*spi++ = '\0';
		p->spi_size = (uint8_t)(strlen(spi) / 2);
		for (i = 0; i < p->spi_size; i++) {
			unsigned b;

			assert_int_equal(sscanf(spi + 2 * i, "%2x", &b), 1);
			p->spi[i] = (uint8_t)b;
		}
	}
	if (num) {
		*num++ = '\0';
		p->num = (uint8_t)atoi(num);
	} else {
		p->num = (uint8_t)(pos + 1);
	}
	if (!strcmp(tok, "IKE"))
		p->proto = IKEV2_PROTO_IKE;
	else if (!strcmp(tok, "ESP"))
		p->proto = IKEV2_PROTO_ESP;
	else if (!strcmp(tok, "AH"))
		p->proto = IKEV2_PROTO_AH;
	else
		p->proto = (uint8_t)atoi(tok);
	/* peers' proposals carry the usual SPI size unless the text says otherwise */
	if (!spi && p->proto != IKEV2_PROTO_IKE)
		p->spi_size = 4;
}

static void parse_list(const char *text, struct prop_list *l)
{
	char buf[1024], *save = NULL, *part;

	memset(l, 0, sizeof(*l));
	snprintf(buf, sizeof(buf), "%s", text);
	for (part = strtok_r(buf, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		char *s2 = NULL, *tok = strtok_r(part, " ", &s2);
		struct prop *p = &l->p[l->n];

		p->origin = PROP_NO_ORIGIN;
		parse_head(p, tok, l->n);
		while ((tok = strtok_r(NULL, " ", &s2)))
			parse_xf(p, tok);
		l->n++;
	}
}

/* Ours: origin = position, so a test can see which of our proposals matched. */
static void parse_ours(const char *text, struct prop_list *l)
{
	size_t i;

	parse_list(text, l);
	for (i = 0; i < l->n; i++)
		l->p[i].origin = (uint8_t)i;
}

static void assert_prop_eq(const struct prop *got, const struct prop *want)
{
	char g[PROP_WHY_MAX], w[PROP_WHY_MAX];
	size_t i;

	prop_fmt(got, g, sizeof(g));
	prop_fmt(want, w, sizeof(w));
	if (got->num != want->num || got->proto != want->proto || got->spi_size != want->spi_size ||
	    memcmp(got->spi, want->spi, want->spi_size) || got->nxf != want->nxf)
		fail_msg("got #%u %s (spi %u) want #%u %s (spi %u)", got->num, g, got->spi_size,
			 want->num, w, want->spi_size);
	for (i = 0; i < want->nxf; i++)
		if (got->xf[i].type != want->xf[i].type || got->xf[i].id != want->xf[i].id ||
		    got->xf[i].key_bits != want->xf[i].key_bits)
			fail_msg("transform %zu: got %s want %s", i, g, w);
}

static void assert_list_eq(const struct prop_list *got, const char *want_text)
{
	struct prop_list want;
	size_t i;

	parse_list(want_text, &want);
	assert_int_equal(got->n, want.n);
	for (i = 0; i < want.n; i++)
		assert_prop_eq(&got->p[i], &want.p[i]);
}

/* ---- proposals from policy ---- */

/* The three built-in NEGOTIATE actions share spd.c's default methods: GCM-256, GCM-128,
 * CBC-256/SHA2-256, CBC-128/SHA1, AH SHA2-256, AH SHA1 (spd.c default_methods). Each method
 * is one proposal; ESN and no-ESN both offered (ESN first); no D-H (no PFS). */
static void test_builtin_actions(void **state)
{
	static const char *const names[] = { SPD_BUILTIN_REQUEST, SPD_BUILTIN_REQUIRE,
					     SPD_BUILTIN_DEFAULT_RESPONSE };
	static const char *const want =
		"ESP#1@11223344 e20.256 n1 n0 | ESP#2@11223344 e20.128 n1 n0 | "
		"ESP#3@11223344 e12.256 i12 n1 n0 | ESP#4@11223344 e12.128 i2 n1 n0 | "
		"AH#5@55667788 i12 n1 n0 | AH#6@55667788 i2 n1 n0";
	struct prop_child_opts o = { .esp_spi = 0x11223344, .ah_spi = 0x55667788 };
	struct spd *s = spd_new();
	struct prop_list l;
	size_t i, j, skipped = 99;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct spd_action *a = spd_action_find(s, names[i]);

		assert_non_null(a);
		assert_int_equal(prop_from_action(a, &o, &l, &skipped), 0);
		assert_int_equal(skipped, 0);
		assert_list_eq(&l, want);
		for (j = 0; j < l.n; j++)
			assert_int_equal(l.p[j].origin, j);
	}
	/* permit/block have nothing to offer */
	assert_int_equal(prop_from_action(spd_action_find(s, SPD_BUILTIN_PERMIT), &o, &l, NULL),
			 -EINVAL);
	assert_int_equal(prop_from_action(spd_action_find(s, SPD_BUILTIN_BLOCK), NULL, &l, NULL),
			 -EINVAL);
	spd_free(s);
}

static void add_method(struct spd *s, struct spd_action *a, enum spd_xform xf, uint16_t encr,
		       uint16_t bits, uint16_t integ, uint16_t ah)
{
	struct spd_method m;

	spd_method_init(&m, xf);
	m.esp_encr = encr;
	m.esp_encr_bits = bits;
	m.esp_integ = integ;
	m.ah_integ = ah;
	assert_int_equal(spd_action_add_method(s, a, &m), 0);
}

/* A custom action: ChaCha20-Poly1305 (RFC 7634 2: no Key Length attribute), AES-CBC-192 with
 * HMAC-SHA2-384-192, an AH+ESP bundle (not negotiable in IKEv2, RFC 7296 3.3), AH with
 * HMAC-SHA2-512-256; PFS on. */
static void test_custom_action(void **state)
{
	struct spd *s = spd_new();
	struct spd_action *a;
	struct prop_list l;
	struct prop_child_opts o = { .esn = PROP_ESN_ONLY, .esp_spi = 1, .ah_spi = 2 };
	static const uint16_t g14[] = { 14 };
	size_t skipped = 0;

	(void)state;
	assert_int_equal(spd_action_new(s, "custom", SPD_ACT_NEGOTIATE, &a), 0);
	a->pfs = true;
	add_method(s, a, SPD_XF_ESP, ENCR_CHACHA20_POLY1305, 256, AUTH_NONE, 0);
	add_method(s, a, SPD_XF_ESP, ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192, 0);
	add_method(s, a, SPD_XF_AH_ESP, ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96,
		   AUTH_HMAC_SHA2_256_128);
	add_method(s, a, SPD_XF_AH, 0, 0, 0, AUTH_HMAC_SHA2_512_256);

	/* CREATE_CHILD_SA: PFS groups = the default suite's (19, 31, 20, 21, 14, 15) */
	assert_int_equal(prop_from_action(a, &o, &l, &skipped), 0);
	assert_int_equal(skipped, 1);
	assert_list_eq(&l, "ESP#1@00000001 e28 d19 d31 d20 d21 d14 d15 n1 | "
			   "ESP#2@00000001 e12.192 i13 d19 d31 d20 d21 d14 d15 n1 | "
			   "AH#3@00000002 i14 d19 d31 d20 d21 d14 d15 n1");
	/* origins point at the methods, skipping the bundle */
	assert_int_equal(l.p[0].origin, 0);
	assert_int_equal(l.p[1].origin, 1);
	assert_int_equal(l.p[2].origin, 3);

	/* RFC 7296 1.2: no D-H transform in IKE_AUTH even with PFS */
	o.ike_auth = true;
	o.esn = PROP_ESN_NEVER;
	assert_int_equal(prop_from_action(a, &o, &l, NULL), 0);
	assert_list_eq(&l, "ESP#1@00000001 e28 n0 | ESP#2@00000001 e12.192 i13 n0 | "
			   "AH#3@00000002 i14 n0");

	/* the IKE SA's own group given by the caller */
	o.ike_auth = false;
	o.esn = PROP_ESN_BOTH;
	o.dh = g14;
	o.ndh = 1;
	assert_int_equal(prop_from_action(a, &o, &l, NULL), 0);
	assert_list_eq(&l, "ESP#1@00000001 e28 d14 n1 n0 | ESP#2@00000001 e12.192 i13 d14 n1 n0 | "
			   "AH#3@00000002 i14 d14 n1 n0");
	spd_free(s);
}

static void test_bundle_only(void **state)
{
	struct spd *s = spd_new();
	struct spd_action *a;
	struct prop_list l;
	size_t skipped = 0;

	(void)state;
	assert_int_equal(spd_action_new(s, "bundle", SPD_ACT_NEGOTIATE, &a), 0);
	add_method(s, a, SPD_XF_AH_ESP, ENCR_AES_GCM_16, 128, AUTH_NONE, AUTH_HMAC_SHA1_96);
	assert_int_equal(prop_from_action(a, NULL, &l, &skipped), -ENOTSUP);
	assert_int_equal(skipped, 1);
	spd_free(s);
}

/* The default IKE suite: every transform issue 5 names for the IKE SA. RFC 7296 3.3: one
 * proposal per combination that cannot be mixed, alternatives of one type inside it; the
 * combined-mode ciphers (AES-GCM-16, ChaCha20-Poly1305) take no INTEG transform (RFC 5282 8),
 * so they cannot share a proposal with AES-CBC, which needs one. ChaCha20-Poly1305 has no Key
 * Length attribute (RFC 7634 2), AES has one (RFC 7296 3.3.5). PRF and D-H are the same in
 * both; the first D-H is the initiator's KE guess (ECP-256, cheap), then X25519, the larger
 * curves and MODP (RFC 7296 1.2: the others let a responder answer INVALID_KE_PAYLOAD).
 * IKE_SA_INIT proposals carry no SPI (RFC 7296 3.3.1), a rekey carries the new 8-octet SPI. */
static void test_ike_default(void **state)
{
	static const uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct prop_list l;
	const uint16_t *g;
	size_t n;

	(void)state;
	assert_int_equal(prop_ike_default(NULL, 0, &l), 0);
	assert_list_eq(&l, "IKE#1 e20.256 e20.128 e28 p5 p6 p7 d19 d31 d20 d21 d14 d15 | "
			   "IKE#2 e12.256 e12.128 i12 i13 i14 p5 p6 p7 d19 d31 d20 d21 d14 d15");
	assert_int_equal(prop_ike_default(spi, 8, &l), 0);
	assert_list_eq(&l, "IKE#1@0102030405060708 e20.256 e20.128 e28 p5 p6 p7 "
			   "d19 d31 d20 d21 d14 d15 | "
			   "IKE#2@0102030405060708 e12.256 e12.128 i12 i13 i14 p5 p6 p7 "
			   "d19 d31 d20 d21 d14 d15");
	assert_int_equal(prop_ike_default(spi, 4, &l), -EINVAL);
	g = prop_default_groups(&n);
	assert_int_equal(n, 6);
	assert_int_equal(g[0], 19);
	assert_int_equal(g[1], 31);
	assert_int_equal(g[2], 20);
	assert_int_equal(g[3], 21);
	assert_int_equal(g[4], 14);
	assert_int_equal(g[5], 15);
}

/* ---- responder selection matrix ---- */

struct sel_case {
	const char *name;
	const char *peer;
	const char *ours;
	uint16_t hint;
	int rc;
	const char *chosen; /* rc 0 */
	int origin;	    /* rc 0: which of ours matched */
	const char *why;    /* rc != 0: substring of the message */
};

#define OURS_DEFAULT                                                                              \
	"ESP e20.256 n1 n0 | ESP e20.128 n1 n0 | ESP e12.256 i12 n1 n0 | ESP e12.128 i2 n1 n0 | " \
	"AH i12 n1 n0 | AH i2 n1 n0"
#define OURS_PFS "ESP e20.256 d19 d31 d14 n1 n0 | ESP e12.128 i12 d19 d31 d14 n1 n0"

static const struct sel_case sel_cases[] = {
	/* RFC 7296 2.7: the responder returns the accepted proposal with its number and SPI */
	{ "common suite", "ESP@c0ffee01 e20.256 n0", OURS_DEFAULT, 0, 0,
	  "ESP#1@c0ffee01 e20.256 n0", 0, NULL },
	/* the peer's proposal order wins over ours (we prefer GCM, the peer CBC first) */
	{ "peer order", "ESP e12.128 i2 n0 | ESP e20.256 n0", OURS_DEFAULT, 0, 0,
	  "ESP#1 e12.128 i2 n0", 3, NULL },
	/* first acceptable proposal is the peer's third; its number is kept */
	{ "skips unacceptable", "ESP e3 i1 n0 | ESP e12.256 i2 n0 | ESP e12.256 i12 n0",
	  OURS_DEFAULT, 0, 0, "ESP#3 e12.256 i12 n0", 2, NULL },
	/* one peer proposal, several of ours fit: the suite comes from the first of ours that
	 * fits (each of ours is one configured method), so our method order decides */
	{ "our suite order", "ESP e20.128 e20.256 n0", OURS_DEFAULT, 0, 0, "ESP#1 e20.256 n0", 0,
	  NULL },
	/* within a type our proposal lists several: the peer's order (ESN both ways below) */
	/* key length is part of the transform (RFC 7296 3.3.5) */
	{ "key length mismatch", "ESP e12.192 i12 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "no proposal in common" },
	/* RFC 7296 3.3.3: ESN is mandatory for ESP; a proposal without it is unacceptable */
	{ "missing ESN", "ESP e20.256", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "(proposal 1: missing mandatory ESN)" },
	/* ENCR is mandatory for ESP */
	{ "missing ENCR", "ESP i12 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "missing mandatory ENCR" },
	/* CBC without INTEG: omitted optional INTEG means NONE, which ours do not accept */
	{ "CBC without integrity", "ESP e12.256 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "peer offered [ESP: AES_CBC-256/NO_ESN]" },
	/* RFC 7296 3.3.6: an unknown transform type makes that proposal unacceptable, the
	 * next one is processed as usual -- unknown types are not ignored */
	{ "unknown type", "ESP e20.256 n0 x6.1 | ESP e20.128 n0", OURS_DEFAULT, 0, 0,
	  "ESP#2 e20.128 n0", 1, NULL },
	{ "unknown type only", "ESP e20.256 n0 x241.7", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "(proposal 1: transform type 241 not understood for ESP)" },
	/* PRF is not an ESP transform type (RFC 7296 3.3.3) */
	{ "PRF in ESP", "ESP e20.256 p5 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "transform type 2 not understood for ESP" },
	/* an attribute we do not know rejects the proposal (RFC 7296 3.3.6) */
	{ "unknown attribute", "ESP e20.256! n0 | ESP e20.256 n0", OURS_DEFAULT, 0, 0,
	  "ESP#2 e20.256 n0", 0, NULL },
	/* ESN: both offered by us, the peer's choice stands */
	{ "ESN peer only no", "ESP e20.256 n0", OURS_DEFAULT, 0, 0, "ESP#1 e20.256 n0", 0, NULL },
	{ "ESN peer prefers yes", "ESP e20.256 n1 n0", OURS_DEFAULT, 0, 0, "ESP#1 e20.256 n1", 0,
	  NULL },
	{ "ESN peer prefers no", "ESP e20.256 n0 n1", OURS_DEFAULT, 0, 0, "ESP#1 e20.256 n0", 0,
	  NULL },
	{ "ESN we require", "ESP e20.256 n0", "ESP e20.256 n1", 0, -ENOENT, NULL, 0,
	  "we accept [ESP: AES_GCM_16-256/ESN]" },
	/* D-H (PFS): group in common, peer order; the KE payload's group as hint */
	{ "DH in common", "ESP e20.256 d14 d19 n0", OURS_PFS, 0, 0, "ESP#1 e20.256 d14 n0", 0,
	  NULL },
	{ "DH hint", "ESP e20.256 d14 d19 n0", OURS_PFS, 19, 0, "ESP#1 e20.256 d19 n0", 0, NULL },
	{ "DH hint not offered", "ESP e20.256 d14 n0", OURS_PFS, 31, 0, "ESP#1 e20.256 d14 n0", 0,
	  NULL },
	{ "DH mismatch", "ESP e20.256 d2 d5 n0", OURS_PFS, 0, -ENOENT, NULL, 0,
	  "peer offered [ESP: AES_GCM_16-256/MODP_1024/MODP_1536/NO_ESN]" },
	/* we require PFS, the peer offers none: omitted D-H means NONE */
	{ "DH required, peer none", "ESP e20.256 n0", OURS_PFS, 0, -ENOENT, NULL, 0,
	  "no proposal in common" },
	/* we do not do PFS: peer's groups alone fail, groups or NONE gives NONE back */
	{ "DH offered, we none", "ESP e20.256 d19 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "no proposal in common" },
	{ "DH or NONE", "ESP e20.256 d19 d0 n0", OURS_DEFAULT, 0, 0, "ESP#1 e20.256 d0 n0", 0,
	  NULL },
	/* combined mode with an explicit INTEG NONE (RFC 5282 8): included type answered */
	{ "AEAD with INTEG NONE", "ESP e20.128 i0 n0", OURS_DEFAULT, 0, 0, "ESP#1 e20.128 i0 n0", 1,
	  NULL },
	/* AEAD and a real INTEG in one proposal never matches a combined-mode suite */
	{ "AEAD with INTEG", "ESP e20.256 i12 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0, "" },
	/* AH */
	{ "AH", "AH i2 n0", OURS_DEFAULT, 0, 0, "AH#1 i2 n0", 5, NULL },
	{ "AH missing INTEG", "AH n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0,
	  "missing mandatory INTEG" },
	{ "protocol mismatch", "AH i12 n0", "ESP e20.256 n0", 0, -ENOENT, NULL, 0,
	  "peer offered [AH: HMAC_SHA2_256_128/NO_ESN]" },
	/* bad SPI size for ESP (RFC 7296 3.3.1: 4 octets) */
	{ "ESP SPI size", "ESP@0102 e20.256 n0", OURS_DEFAULT, 0, -ENOENT, NULL, 0, "SPI size 2" },
	/* IKE SA: ours = the default suite */
	{ "IKE GCM", "IKE e20.128 p6 d31", NULL, 0, 0, "IKE#1 e20.128 p6 d31", 0, NULL },
	{ "IKE CBC", "IKE e12.128 p5 i12 d14", NULL, 0, 0, "IKE#1 e12.128 p5 i12 d14", 1, NULL },
	{ "IKE CBC no INTEG", "IKE e12.128 p5 d14", NULL, 0, -ENOENT, NULL, 0, "" },
	{ "IKE missing PRF", "IKE e20.128 d19", NULL, 0, -ENOENT, NULL, 0,
	  "missing mandatory PRF" },
	{ "IKE missing D-H", "IKE e20.128 p5", NULL, 0, -ENOENT, NULL, 0, "missing mandatory D-H" },
	/* ESN is not an IKE transform type (RFC 7296 3.3.3) */
	{ "IKE with ESN", "IKE e20.128 p5 d19 n0", NULL, 0, -ENOENT, NULL, 0,
	  "transform type 5 not understood for IKE" },
	{ "IKE group mismatch", "IKE e20.256 p5 d2", NULL, 0, -ENOENT, NULL, 0, "MODP_1024" },
	{ "IKE hint", "IKE e20.256 p5 d14 d31 d19", NULL, 19, 0, "IKE#1 e20.256 p5 d19", 0, NULL },
	/* issue 5: a peer that mandates one suite gets it (CNSA-like, strongSwan
	 * aes256gcm16-prfsha384-ecp384) */
	{ "IKE ECP-384 only", "IKE e20.256 p6 d20", NULL, 20, 0, "IKE#1 e20.256 p6 d20", 0, NULL },
	{ "IKE ChaCha20 SHA-512 ECP-521", "IKE e28 p7 d21", NULL, 21, 0, "IKE#1 e28 p7 d21", 0,
	  NULL },
	{ "IKE CBC SHA-512 MODP-3072", "IKE e12.256 p7 i14 d15", NULL, 15, 0,
	  "IKE#1 e12.256 p7 i14 d15", 1, NULL },
	{ "IKE CBC INTEG SHA-384", "IKE e12.128 p6 i13 d19", NULL, 19, 0,
	  "IKE#1 e12.128 p6 i13 d19", 1, NULL },
	/* RFC 7296 3.3.5: ChaCha20-Poly1305 takes no Key Length, AES-GCM-16 192 is not ours */
	{ "IKE ChaCha20 with key length", "IKE e28.256 p5 d19", NULL, 19, -ENOENT, NULL, 0, "" },
	{ "IKE GCM 192", "IKE e20.192 p5 d19", NULL, 19, -ENOENT, NULL, 0, "" },
};

static void test_select_matrix(void **state)
{
	struct prop_list peer, ours, want;
	struct prop chosen;
	char why[PROP_WHY_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		const struct sel_case *c = &sel_cases[i];
		int rc;

		print_message("case: %s\n", c->name);
		parse_list(c->peer, &peer);
		if (c->ours)
			parse_ours(c->ours, &ours);
		else
			assert_int_equal(prop_ike_default(NULL, 0, &ours), 0);
		why[0] = '\0';
		rc = prop_select(&peer, &ours, c->hint, &chosen, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("%s: rc %d want %d (%s)", c->name, rc, c->rc, why);
		if (rc == 0) {
			parse_list(c->chosen, &want);
			assert_prop_eq(&chosen, &want.p[0]);
			assert_int_equal(chosen.origin, c->origin);
		} else if (!strstr(why, c->why)) {
			fail_msg("%s: message '%s' lacks '%s'", c->name, why, c->why);
		}
	}
}

/* The one-line explanation, whole. */
static void test_select_message(void **state)
{
	struct prop_list peer, ours;
	struct prop chosen;
	char why[PROP_WHY_MAX];

	(void)state;
	parse_list("ESP e20.256 n1", &peer);
	parse_ours("ESP e12.128 i12 n0", &ours);
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal in common: peer offered [ESP: AES_GCM_16-256/ESN], "
				 "we accept [ESP: AES_CBC-128/HMAC_SHA2_256_128/NO_ESN]");
	/* a tiny buffer is truncated, not overrun */
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, 12), -ENOENT);
	assert_string_equal(why, "no proposal");
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, NULL, 0), -ENOENT);
	peer.n = 0;
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), -EINVAL);
}

/* A whole round: our offer from a built-in action, selection by a responder whose policy is
 * the same action, then our reply check of what it chose. */
static void test_round_trip_policy(void **state)
{
	struct spd *s = spd_new();
	struct prop_child_opts o = { .esp_spi = 0xaabbccdd, .ah_spi = 0x01010101 };
	struct prop_list offer, ours, reply;
	struct prop chosen, checked;
	char why[PROP_WHY_MAX];

	(void)state;
	assert_int_equal(
		prop_from_action(spd_action_find(s, SPD_BUILTIN_REQUIRE), &o, &offer, NULL), 0);
	ours = offer;
	assert_int_equal(prop_select(&offer, &ours, 0, &chosen, why, sizeof(why)), 0);
	/* first proposal, one transform per type: GCM-256 and ESN (our first ESN choice) */
	parse_list("ESP#1@aabbccdd e20.256 n1", &reply);
	assert_prop_eq(&chosen, &reply.p[0]);
	reply.n = 1;
	reply.p[0] = chosen;
	assert_int_equal(prop_check_reply(&offer, &reply, &checked, why, sizeof(why)), 0);
	assert_int_equal(checked.origin, 0);
	spd_free(s);
}

/* IKE_AUTH (RFC 7296 1.2): no D-H in the first Child SA. Ours are built without it; a peer
 * that still lists groups is refused unless its D-H transforms are stripped first. */
static void test_ike_auth_dh(void **state)
{
	struct spd *s = spd_new();
	struct spd_action *a;
	struct prop_child_opts o = { .ike_auth = true };
	struct prop_list peer, ours;
	struct prop chosen, want;
	char why[PROP_WHY_MAX];

	(void)state;
	assert_int_equal(spd_action_new(s, "pfs", SPD_ACT_NEGOTIATE, &a), 0);
	a->pfs = true;
	add_method(s, a, SPD_XF_ESP, ENCR_AES_GCM_16, 128, AUTH_NONE, 0);
	assert_int_equal(prop_from_action(a, &o, &ours, NULL), 0);
	parse_list("ESP e20.128 d19 n0", &peer);
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), -ENOENT);
	prop_strip_type(&peer, IKEV2_XF_DH);
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), 0);
	parse_list("ESP e20.128 n0", &peer);
	want = peer.p[0];
	assert_prop_eq(&chosen, &want);
	spd_free(s);
}

/* ---- initiator: check the responder's choice ---- */

struct reply_case {
	const char *name;
	const char *reply;
	int rc;
	const char *why;
};

#define OFFER                                                                        \
	"ESP@01020304 e20.256 e20.128 d19 d0 n1 n0 | ESP@01020304 e12.128 i12 n0 | " \
	"AH@05060708 i12 n1 n0"

static const struct reply_case reply_cases[] = {
	{ "valid", "ESP#1@01020304 e20.128 d19 n0", 0, NULL },
	/* we offered D-H NONE: omitting D-H means NONE (RFC 7296 3.3.3) */
	{ "omits optional NONE", "ESP#1@01020304 e20.128 n0", 0, NULL },
	{ "explicit NONE", "ESP#1@01020304 e20.128 d0 n1", 0, NULL },
	/* we offered no D-H in proposal 2: an explicit NONE is the same thing */
	{ "NONE we omitted", "ESP#2@01020304 e12.128 i12 d0 n0", 0, NULL },
	{ "AH", "AH#3@05060708 i12 n1", 0, NULL },
	/* RFC 7296 2.7: exactly one transform per type */
	{ "two ENCR", "ESP#1@01020304 e20.128 e20.256 n0", -EBADMSG, "more than one" },
	{ "not offered", "ESP#1@01020304 e12.128 n0", -EBADMSG, "did not offer" },
	{ "wrong key length", "ESP#1@01020304 e20.192 n0", -EBADMSG, "did not offer" },
	{ "ESN not offered", "ESP#2@01020304 e12.128 i12 n1", -EBADMSG, "did not offer" },
	{ "missing ESN", "ESP#1@01020304 e20.128", -EBADMSG, "mandatory" },
	/* proposal 2 has INTEG: leaving it out means NONE, which we did not offer */
	{ "missing INTEG", "ESP#2@01020304 e12.128 n0", -EBADMSG, "missing" },
	{ "bad number", "ESP#4@01020304 e20.128 n0", -EBADMSG, "number not offered" },
	{ "protocol differs", "AH#1@01020304 i12 n0", -EBADMSG, "protocol" },
	{ "unknown type", "ESP#1@01020304 e20.128 n0 x9.1", -EBADMSG, "unknown" },
	{ "two proposals", "ESP#1@01020304 e20.128 n0 | ESP#2@01020304 e12.128 i12 n0", -EBADMSG,
	  "exactly one" },
};

static void test_check_reply(void **state)
{
	struct prop_list offer, reply;
	struct prop out;
	char why[PROP_WHY_MAX];
	size_t i;

	(void)state;
	parse_ours(OFFER, &offer);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		int rc;

		print_message("case: %s\n", c->name);
		parse_list(c->reply, &reply);
		why[0] = '\0';
		rc = prop_check_reply(&offer, &reply, &out, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("%s: rc %d want %d (%s)", c->name, rc, c->rc, why);
		if (rc == 0)
			assert_int_equal(out.origin, reply.p[0].num - 1);
		else if (!strstr(why, c->why))
			fail_msg("%s: message '%s' lacks '%s'", c->name, why, c->why);
	}
}

/* ---- wire views and a real peer ---- */

static void test_wire_views(void **state)
{
	struct prop_list l, back;
	struct ikev2_sa sa;

	(void)state;
	parse_list("ESP@0a0b0c0d e20.256 e28 n1 n0 | IKE e12.128 p5 i12 d19", &l);
	prop_to_wire(&l, &sa);
	assert_int_equal(sa.nprop, 2);
	assert_true(sa.prop[0].xf[0].has_key_len);
	assert_false(sa.prop[0].xf[1].has_key_len); /* ChaCha20: no Key Length */
	assert_null(sa.prop[1].spi);
	assert_int_equal(prop_from_wire(&sa, &back), 0);
	assert_list_eq(&back, "ESP@0a0b0c0d e20.256 e28 n1 n0 | IKE e12.128 p5 i12 d19");
	/* a Key Length attribute of 0 is no key length we can use */
	sa.prop[0].xf[1].has_key_len = true;
	sa.prop[0].xf[1].key_bits = 0;
	assert_int_equal(prop_from_wire(&sa, &back), 0);
	assert_true(back.p[0].xf[1].unknown_attr);
	assert_false(back.p[0].xf[0].unknown_attr);
}

/* strongSwan 5.9.8's IKE_SA_INIT (tests/unit/data/strongswan-ike-sa-init.txt): proposals
 * aes256gcm16-prfsha256-ecp256 and aes128-sha256-prfsha256-modp2048, KE group 19. Parsed by
 * src/wire, selected against our default suite. */
static void test_strongswan_sa_init(void **state)
{
	static uint8_t pkt[2048];
	static struct ikev2_msg msg;
	struct prop_list peer, ours, want;
	struct prop chosen;
	char why[PROP_WHY_MAX];
	FILE *f = fopen("tests/unit/data/strongswan-ike-sa-init.bin", "rb");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	assert_int_equal(n, 308);
	assert_int_equal(ikev2_msg_parse(pkt, n, &msg), IKEV2_OK);
	assert_true(msg.has_sa && msg.has_ke);
	assert_int_equal(prop_from_wire(&msg.sa, &peer), 0);
	assert_int_equal(prop_ike_default(NULL, 0, &ours), 0);
	assert_int_equal(prop_select(&peer, &ours, msg.ke.group, &chosen, why, sizeof(why)), 0);
	parse_list("IKE#1 e20.256 p5 d19", &want);
	assert_prop_eq(&chosen, &want.p[0]);
	/* its second proposal alone matches our CBC proposal */
	peer.p[0] = peer.p[1];
	peer.n = 1;
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), 0);
	parse_list("IKE#2 e12.128 p5 i12 d14", &want);
	assert_prop_eq(&chosen, &want.p[0]);
	assert_int_equal(chosen.origin, 1);
	/* and against a Child SA policy it is refused, with both sides named */
	parse_ours("ESP e20.256 n0", &ours);
	assert_int_equal(prop_select(&peer, &ours, 0, &chosen, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal in common: peer offered [IKE: AES_CBC-128/"
				 "HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048], we accept "
				 "[ESP: AES_GCM_16-256/NO_ESN]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_actions),	   cmocka_unit_test(test_custom_action),
		cmocka_unit_test(test_bundle_only),	   cmocka_unit_test(test_ike_default),
		cmocka_unit_test(test_select_matrix),	   cmocka_unit_test(test_select_message),
		cmocka_unit_test(test_round_trip_policy),  cmocka_unit_test(test_check_reply),
		cmocka_unit_test(test_ike_auth_dh),	   cmocka_unit_test(test_wire_views),
		cmocka_unit_test(test_strongswan_sa_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
