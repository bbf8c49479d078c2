/* Names of IKEv2 wire values for logs, spelled as in RFC 7296 and the IANA registries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/util.h"
#include "wire/ikev2.h"

struct name {
	uint16_t v;
	const char *s;
};

static const char *name_find(const struct name *t, size_t n, uint16_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return "?";
}

#define FIND(t, v) name_find((t), ARRAY_SIZE(t), (v))

#define IKEV2_ERR_NAME(n, s) s,
static const char *const err_names[] = { IKEV2_ERRORS(IKEV2_ERR_NAME) };
#undef IKEV2_ERR_NAME

const char *ikev2_err_name(enum ikev2_err err)
{
	return (unsigned)err < ARRAY_SIZE(err_names) ? err_names[err] : "?";
}

static const struct name exch_names[] = {
	{ IKEV2_EXCH_IKE_SA_INIT, "IKE_SA_INIT" },
	{ IKEV2_EXCH_IKE_AUTH, "IKE_AUTH" },
	{ IKEV2_EXCH_CREATE_CHILD_SA, "CREATE_CHILD_SA" },
	{ IKEV2_EXCH_INFORMATIONAL, "INFORMATIONAL" },
	{ IKEV2_EXCH_IKE_SESSION_RESUME, "IKE_SESSION_RESUME" },
	{ IKEV2_EXCH_IKE_INTERMEDIATE, "IKE_INTERMEDIATE" },
};

const char *ikev2_exchange_name(uint8_t exch)
{
	return FIND(exch_names, exch);
}

static const struct name pld_names[] = {
	{ IKEV2_PLD_NONE, "NONE" },	  { IKEV2_PLD_SA, "SA" },     { IKEV2_PLD_KE, "KE" },
	{ IKEV2_PLD_IDI, "IDi" },	  { IKEV2_PLD_IDR, "IDr" },   { IKEV2_PLD_CERT, "CERT" },
	{ IKEV2_PLD_CERTREQ, "CERTREQ" }, { IKEV2_PLD_AUTH, "AUTH" }, { IKEV2_PLD_NONCE, "No" },
	{ IKEV2_PLD_NOTIFY, "N" },	  { IKEV2_PLD_DELETE, "D" },  { IKEV2_PLD_VENDOR, "V" },
	{ IKEV2_PLD_TSI, "TSi" },	  { IKEV2_PLD_TSR, "TSr" },   { IKEV2_PLD_SK, "SK" },
	{ IKEV2_PLD_CP, "CP" },		  { IKEV2_PLD_EAP, "EAP" },   { IKEV2_PLD_SKF, "SKF" },
};

const char *ikev2_payload_name(uint8_t type)
{
	return FIND(pld_names, type);
}

#define N(x)                    \
	{                       \
		IKEV2_N_##x, #x \
	}
static const struct name notify_names[] = {
	N(UNSUPPORTED_CRITICAL_PAYLOAD),
	N(INVALID_IKE_SPI),
	N(INVALID_MAJOR_VERSION),
	N(INVALID_SYNTAX),
	N(INVALID_MESSAGE_ID),
	N(INVALID_SPI),
	N(NO_PROPOSAL_CHOSEN),
	N(INVALID_KE_PAYLOAD),
	N(AUTHENTICATION_FAILED),
	N(SINGLE_PAIR_REQUIRED),
	N(NO_ADDITIONAL_SAS),
	N(INTERNAL_ADDRESS_FAILURE),
	N(FAILED_CP_REQUIRED),
	N(TS_UNACCEPTABLE),
	N(INVALID_SELECTORS),
	N(TEMPORARY_FAILURE),
	N(CHILD_SA_NOT_FOUND),
	N(INITIAL_CONTACT),
	N(SET_WINDOW_SIZE),
	N(ADDITIONAL_TS_POSSIBLE),
	N(IPCOMP_SUPPORTED),
	N(NAT_DETECTION_SOURCE_IP),
	N(NAT_DETECTION_DESTINATION_IP),
	N(COOKIE),
	N(USE_TRANSPORT_MODE),
	N(HTTP_CERT_LOOKUP_SUPPORTED),
	N(REKEY_SA),
	N(ESP_TFC_PADDING_NOT_SUPPORTED),
	N(NON_FIRST_FRAGMENTS_ALSO),
	N(MOBIKE_SUPPORTED),
	N(REDIRECT_SUPPORTED),
	N(EAP_ONLY_AUTHENTICATION),
	N(CHILDLESS_IKEV2_SUPPORTED),
	N(IKEV2_FRAGMENTATION_SUPPORTED),
	N(SIGNATURE_HASH_ALGORITHMS),
};
#undef N

const char *ikev2_notify_name(uint16_t type)
{
	return FIND(notify_names, type);
}

static const struct name proto_names[] = {
	{ IKEV2_PROTO_NONE, "NONE" },
	{ IKEV2_PROTO_IKE, "IKE" },
	{ IKEV2_PROTO_AH, "AH" },
	{ IKEV2_PROTO_ESP, "ESP" },
};

const char *ikev2_proto_name(uint8_t proto)
{
	return FIND(proto_names, proto);
}

static const struct name xf_type_names[] = {
	{ IKEV2_XF_ENCR, "ENCR" }, { IKEV2_XF_PRF, "PRF" }, { IKEV2_XF_INTEG, "INTEG" },
	{ IKEV2_XF_DH, "DH" },	   { IKEV2_XF_ESN, "ESN" },
};

const char *ikev2_xform_type_name(uint8_t type)
{
	return FIND(xf_type_names, type);
}

#define E(x)                       \
	{                          \
		IKEV2_ENCR_##x, #x \
	}
static const struct name encr_names[] = {
	E(3DES),
	E(NULL),
	E(AES_CBC),
	E(AES_CTR),
	E(AES_CCM_8),
	E(AES_CCM_12),
	E(AES_CCM_16),
	E(AES_GCM_8),
	E(AES_GCM_12),
	E(AES_GCM_16),
	E(NULL_AUTH_AES_GMAC),
	E(CHACHA20_POLY1305),
};
#undef E

#define P(x)                             \
	{                                \
		IKEV2_PRF_##x, "PRF_" #x \
	}
static const struct name prf_names[] = {
	P(HMAC_MD5),	  P(HMAC_SHA1),	    P(AES128_XCBC), P(HMAC_SHA2_256),
	P(HMAC_SHA2_384), P(HMAC_SHA2_512), P(AES128_CMAC),
};
#undef P

#define I(x)                                \
	{                                   \
		IKEV2_INTEG_##x, "AUTH_" #x \
	}
static const struct name integ_names[] = {
	I(NONE),	I(HMAC_MD5_96),	      I(HMAC_SHA1_96),	    I(AES_XCBC_96),
	I(AES_CMAC_96), I(HMAC_SHA2_256_128), I(HMAC_SHA2_384_192), I(HMAC_SHA2_512_256),
};
#undef I

static const struct name dh_names[] = {
	{ IKEV2_DH_NONE, "NONE" },
	{ IKEV2_DH_MODP768, "MODP_768" },
	{ IKEV2_DH_MODP1024, "MODP_1024" },
	{ IKEV2_DH_MODP1536, "MODP_1536" },
	{ IKEV2_DH_MODP2048, "MODP_2048" },
	{ IKEV2_DH_MODP3072, "MODP_3072" },
	{ IKEV2_DH_MODP4096, "MODP_4096" },
	{ IKEV2_DH_MODP6144, "MODP_6144" },
	{ IKEV2_DH_MODP8192, "MODP_8192" },
	{ IKEV2_DH_ECP256, "ECP_256" },
	{ IKEV2_DH_ECP384, "ECP_384" },
	{ IKEV2_DH_ECP521, "ECP_521" },
	{ IKEV2_DH_CURVE25519, "CURVE25519" },
	{ IKEV2_DH_CURVE448, "CURVE448" },
};

static const struct name esn_names[] = {
	{ IKEV2_ESN_NO, "NO_ESN" },
	{ IKEV2_ESN_YES, "ESN" },
};

const char *ikev2_xform_id_name(uint8_t type, uint16_t id)
{
	switch (type) {
	case IKEV2_XF_ENCR:
		return FIND(encr_names, id);
	case IKEV2_XF_PRF:
		return FIND(prf_names, id);
	case IKEV2_XF_INTEG:
		return FIND(integ_names, id);
	case IKEV2_XF_DH:
		return FIND(dh_names, id);
	case IKEV2_XF_ESN:
		return FIND(esn_names, id);
	default:
		return "?";
	}
}

static const struct name id_names[] = {
	{ IKEV2_ID_IPV4_ADDR, "ID_IPV4_ADDR" },	    { IKEV2_ID_FQDN, "ID_FQDN" },
	{ IKEV2_ID_RFC822_ADDR, "ID_RFC822_ADDR" }, { IKEV2_ID_IPV6_ADDR, "ID_IPV6_ADDR" },
	{ IKEV2_ID_DER_ASN1_DN, "ID_DER_ASN1_DN" }, { IKEV2_ID_DER_ASN1_GN, "ID_DER_ASN1_GN" },
	{ IKEV2_ID_KEY_ID, "ID_KEY_ID" },
};

const char *ikev2_id_type_name(uint8_t type)
{
	return FIND(id_names, type);
}

static const struct name auth_names[] = {
	{ IKEV2_AUTH_RSA_SIG, "RSA_SIG" },	   { IKEV2_AUTH_PSK, "PSK" },
	{ IKEV2_AUTH_DSS_SIG, "DSS_SIG" },	   { IKEV2_AUTH_ECDSA_256, "ECDSA_256" },
	{ IKEV2_AUTH_ECDSA_384, "ECDSA_384" },	   { IKEV2_AUTH_ECDSA_521, "ECDSA_521" },
	{ IKEV2_AUTH_DIGITAL_SIG, "DIGITAL_SIG" },
};

const char *ikev2_auth_method_name(uint8_t method)
{
	return FIND(auth_names, method);
}

static const struct name ts_names[] = {
	{ IKEV2_TS_IPV4_ADDR_RANGE, "TS_IPV4_ADDR_RANGE" },
	{ IKEV2_TS_IPV6_ADDR_RANGE, "TS_IPV6_ADDR_RANGE" },
};

const char *ikev2_ts_type_name(uint8_t type)
{
	return FIND(ts_names, type);
}

struct sbuf {
	char *p;
	size_t cap, len;
};

static void sb_add(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->p + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

static void pld_describe(struct sbuf *sb, const struct ikev2_msg *m, const struct ikev2_pld *p,
			 unsigned nth)
{
	const char *name = ikev2_payload_name(p->type);

	if (!p->known)
		sb_add(sb, " UNKNOWN(%u)", p->type);
	else if (p->type == IKEV2_PLD_NOTIFY && nth < m->nnotify &&
		 *ikev2_notify_name(m->notify[nth].type) != '?')
		sb_add(sb, " N(%s)", ikev2_notify_name(m->notify[nth].type));
	else if (p->type == IKEV2_PLD_NOTIFY && nth < m->nnotify)
		sb_add(sb, " N(%u)", m->notify[nth].type);
	else
		sb_add(sb, " %s", name);
}

size_t ikev2_msg_describe(const struct ikev2_msg *m, char *out, size_t cap)
{
	struct sbuf sb = { .p = out, .cap = cap };
	unsigned i, nnotify = 0;
	bool in_inner = false;
	const char *exch = ikev2_exchange_name(m->hdr.exchange);

	if (cap)
		out[0] = '\0';
	if (*exch == '?')
		sb_add(&sb, "EXCHANGE(%u)", m->hdr.exchange);
	else
		sb_add(&sb, "%s", exch);
	sb_add(&sb, " %s %u [", m->hdr.flags & IKEV2_FLAG_R ? "response" : "request", m->hdr.msgid);
	for (i = 0; i < m->npld; i++) {
		const struct ikev2_pld *p = &m->pld[i];

		if (p->inner && !in_inner)
			sb_add(&sb, " {");
		in_inner = p->inner;
		pld_describe(&sb, m, p, nnotify);
		nnotify += p->known && p->type == IKEV2_PLD_NOTIFY;
	}
	sb_add(&sb, "%s ]", in_inner ? " }" : "");
	return sb.len;
}
