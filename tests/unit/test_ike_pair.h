/* The two-engine IKE harness shared by test_ike_engine.c and test_ike_frag.c: host A
 * (10.1.0.1) protects its TCP to host B (10.1.0.2) and initiates, B answers with its default
 * response rule. Here: their certificate configurations, the loader that turns a
 * configuration text into a policy database, and the in-process signing helper each engine
 * asks. Include test_ike_cert_pki.h first. Only for test programs.
 */
#ifndef ESPRIT_TEST_IKE_PAIR_H
#define ESPRIT_TEST_IKE_PAIR_H

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "ike/signer.h"

/* A: rule r1 negotiates ESP AES-GCM-256 in transport mode for TCP to B's port 80, with
 * certificate CHAIN and key KEY of the PKI (file names; "%" is the PKI's directory). */
#define IKE_PAIR_CONF_A_CERT(chain, key)                                         \
	"filter-list fl {\n"                                                     \
	"\tme -> 10.1.0.2 tcp port 80 mirrored\n"                                \
	"}\n"                                                                    \
	"action act {\n"                                                         \
	"\tnegotiate\n"                                                          \
	"\tmethod esp aes-gcm-256\n"                                             \
	"}\n"                                                                    \
	"policy p {\n"                                                           \
	"\trule r1 {\n"                                                          \
	"\t\tfilters fl\n"                                                       \
	"\t\taction act\n"                                                       \
	"\t\tauth cert ca \"%/ca.pem\" cert \"%/" chain "\" key \"%/" key "\"\n" \
	"\t\tmode transport\n"                                                   \
	"\t}\n"                                                                  \
	"}\n"                                                                    \
	"use policy p\n"

/* B: client-respond-only; its default response rule trusts CA and shows CHAIN, signed with
 * KEY. */
#define IKE_PAIR_CONF_B_CERT(ca, chain, key)                                   \
	"policy q {\n"                                                         \
	"\tauth cert ca \"%/" ca "\" cert \"%/" chain "\" key \"%/" key "\"\n" \
	"\tdefault-response yes\n"                                             \
	"}\n"                                                                  \
	"use policy q\n"

/* The configuration text with every "%" replaced by the PKI's directory and every "@" by dir
 * (a test's own files; "@@": a plain '@', for e-mail identities), loaded for a host with
 * address local/24. */
static inline struct spd *ike_pair_load(const char *conf, const char *local, const char *dir)
{
	char text[4096], *o = text;
	struct conf_diags d = { 0 };
	struct spd_local l = { .plen = 24 };
	struct conf_opts opt = { .locals = &l, .nlocals = 1, .flags = CONF_NO_RESOLVE };
	struct spd *s = NULL;

	for (const char *p = conf; *p; p++) {
		if (*p == '@' && p[1] == '@') {
			*o++ = *p++;
			continue;
		}
		if (*p == '@') {
			o += sprintf(o, "%s", dir);
			continue;
		}
		if (*p == '%') {
			o += sprintf(o, "%s", pki_dir);
			continue;
		}
		*o++ = *p;
	}
	*o = 0;
	assert_int_equal(ipaddr_parse(&l.addr, local), 0);
	if (conf_load_buf("test.conf", text, strlen(text), &opt, &s, &d)) {
		conf_diags_print(&d, stderr);
		fail();
	}
	conf_diags_free(&d);
	return s;
}

/* A signing helper in this process (as the unit tests of ike/signer run it) holding key KEY
 * of the PKI: its path goes to path (cap octets), which keys[0] then names, so keys can be an
 * engine's ike_config.signer_keys (one key) for as long as path lives. */
static inline struct signer *ike_pair_signer(const char *key, char *path, size_t cap,
					     const char **keys)
{
	struct signer *sg = NULL;
	char why[256];

	snprintf(path, cap, "%s", pki_path(key));
	keys[0] = path;
	assert_int_equal(signer_start_inproc(&sg, keys, 1, why, sizeof(why)), 0);
	return sg;
}

#endif
