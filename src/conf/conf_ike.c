/* `ike-method` words: one IKE SA suite written as dash-separated transform names, in the
 * spelling strongSwan's ike proposals use (aes256gcm16-prfsha384-ecp384), so one string serves
 * both ends of an interop setup (docs/interop.md). */
#include <ctype.h>
#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf_value.h"
#include "crypto/cipher.h"
#include "ike/cert.h"
#include "lib/util.h"
#include "wire/ikev2.h"

/* Only transforms the IKE engine implements (the built-in suite of ike/proposal.c). */
static const struct ike_word {
	const char *name;
	uint8_t type; /* IKEV2_XF_* */
	uint16_t id, bits;
} ike_words[] = {
	{ "aes128gcm16", IKEV2_XF_ENCR, ENCR_AES_GCM_16, 128 },
	{ "aes128gcm", IKEV2_XF_ENCR, ENCR_AES_GCM_16, 128 },
	{ "aes256gcm16", IKEV2_XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ "aes256gcm", IKEV2_XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ "chacha20poly1305", IKEV2_XF_ENCR, ENCR_CHACHA20_POLY1305, 0 },
	{ "aes128", IKEV2_XF_ENCR, ENCR_AES_CBC, 128 },
	{ "aes256", IKEV2_XF_ENCR, ENCR_AES_CBC, 256 },
	{ "sha256", IKEV2_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKEV2_XF_INTEG, AUTH_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKEV2_XF_INTEG, AUTH_HMAC_SHA2_512_256, 0 },
	{ "prfsha256", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_512, 0 },
	{ "ecp256", IKEV2_XF_DH, IKEV2_DH_ECP256, 0 },
	{ "ecp384", IKEV2_XF_DH, IKEV2_DH_ECP384, 0 },
	{ "ecp521", IKEV2_XF_DH, IKEV2_DH_ECP521, 0 },
	{ "x25519", IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0 },
	{ "curve25519", IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0 },
	{ "modp2048", IKEV2_XF_DH, IKEV2_DH_MODP2048, 0 },
	{ "modp3072", IKEV2_XF_DH, IKEV2_DH_MODP3072, 0 },
};

static const char *const type_what[] = { "", "encryption algorithm", "PRF", "integrity algorithm",
					 "key exchange group" };

static const struct ike_word *ike_word_find(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(ike_words); i++)
		if (strlen(ike_words[i].name) == n && !strncmp(ike_words[i].name, s, n))
			return &ike_words[i];
	return NULL;
}

/* RFC 7296 3.3.3: one transform per type in a suite; PRF defaults to the integrity hash
 * (as strongSwan does), or HMAC-SHA2-256 with a combined-mode cipher. */
static int ike_method_complete(struct spd_ike_method *m, char *why, size_t whylen)
{
	bool aead = m->encr != ENCR_AES_CBC;

	if (!m->encr || !m->dh) {
		snprintf(why, whylen,
			 "ike-method needs an encryption algorithm and a key "
			 "exchange group");
		return -1;
	}
	/* RFC 5282 8: no integrity transform with a combined-mode cipher */
	if (aead && m->integ != AUTH_NONE) {
		snprintf(why, whylen, "integrity algorithm with a combined-mode cipher");
		return -1;
	}
	if (!aead && m->integ == AUTH_NONE) {
		snprintf(why, whylen,
			 "AES-CBC needs an integrity algorithm (sha256, sha384, sha512)");
		return -1;
	}
	if (!m->prf)
		m->prf = m->integ == AUTH_HMAC_SHA2_384_192   ? IKEV2_PRF_HMAC_SHA2_384
			 : m->integ == AUTH_HMAC_SHA2_512_256 ? IKEV2_PRF_HMAC_SHA2_512
							      : IKEV2_PRF_HMAC_SHA2_256;
	return 0;
}

int conf_ike_method_parse(const char *s, struct spd_ike_method *m, size_t *off, char *why,
			  size_t whylen)
{
	uint16_t *slot[] = { NULL, &m->encr, &m->prf, &m->integ, &m->dh };
	size_t pos = 0;

	memset(m, 0, sizeof(*m));
	*off = 0;
	for (;;) {
		size_t n = strcspn(s + pos, "-");
		const struct ike_word *w = ike_word_find(s + pos, n);

		*off = pos;
		if (!w) {
			snprintf(why, whylen, "unknown IKE transform '%.*s'",
				 (int)(n > 40 ? 40 : n), s + pos);
			return -1;
		}
		if (*slot[w->type]) {
			snprintf(why, whylen, "second %s '%s' in one ike-method",
				 type_what[w->type], w->name);
			return -1;
		}
		*slot[w->type] = w->id;
		if (w->type == IKEV2_XF_ENCR)
			m->encr_bits = w->bits;
		pos += n;
		if (!s[pos])
			break;
		pos++;
	}
	*off = 0;
	return ike_method_complete(m, why, whylen);
}

/* RFC 1035 2.3.1 letters, digits, hyphens and dots (plus '_', seen in the wild). */
static bool fqdn_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return false;
	return true;
}

static int id_text(struct spd_id *id, uint8_t type, const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SPD_ID_MAX)
		return -1;
	id->type = type;
	id->len = (uint16_t)n;
	memcpy(id->data, s, n);
	return 0;
}

static int id_dn(struct spd_id *id, const char *s, char *why, size_t whylen)
{
	size_t n;

	if (cert_dn_from_text(s, id->data, sizeof(id->data), &n)) {
		snprintf(why, whylen, "not a distinguished name (KEY=VALUE, ...)");
		return -1;
	}
	id->type = IKEV2_ID_DER_ASN1_DN;
	id->len = (uint16_t)n;
	return 0;
}

static int id_email(struct spd_id *id, const char *s, char *why, size_t whylen)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !fqdn_ok(at + 1) || id_text(id, IKEV2_ID_RFC822_ADDR, s)) {
		snprintf(why, whylen, "not an e-mail address (user@fqdn)");
		return -1;
	}
	return 0;
}

/* RFC 7296 3.5 ID Types */
int conf_id_parse(const char *s, struct spd_id *id, char *why, size_t whylen)
{
	struct ipaddr a;

	memset(id, 0, sizeof(*id));
	if (!strncmp(s, "dn:", 3))
		return id_dn(id, s + 3, why, whylen);
	if (!strncmp(s, "email:", 6))
		return id_email(id, s + 6, why, whylen);
	if (!strncmp(s, "fqdn:", 5))
		s += 5;
	else if (*s == '@')
		s++; /* strongSwan's spelling of an FQDN that is not an address */
	else if (strchr(s, '@'))
		return id_email(id, s, why, whylen);
	else if (strchr(s, '='))
		return id_dn(id, s, why, whylen);
	else if (!ipaddr_parse(&a, s)) {
		id->type = a.af == AF_INET ? IKEV2_ID_IPV4_ADDR : IKEV2_ID_IPV6_ADDR;
		id->len = (uint16_t)ipaddr_len(&a);
		memcpy(id->data, a.b, id->len);
		return 0;
	}
	if (!fqdn_ok(s) || id_text(id, IKEV2_ID_FQDN, s)) {
		snprintf(why, whylen, "not an identity (address, FQDN, user@fqdn or DN)");
		return -1;
	}
	return 0;
}
