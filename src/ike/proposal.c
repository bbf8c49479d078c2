/* IKEv2 proposals: building from policy, responder selection, initiator check. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike/proposal.h"
#include "lib/util.h"

/* ---- the default IKE SA suite: this table is the only place it is written ---- */

/* Every IKE SA transform esprit supports (issue 5), in two proposals: 1 combined mode (RFC 5282:
 * no integrity transform), 2 CBC + HMAC. Within a type the order is our preference, stronger
 * and cheaper first. */
static const struct ike_default_row {
	uint8_t prop; /* 0-based proposal index */
	uint8_t type;
	uint16_t id, bits;
} ike_default[] = {
	{ 0, IKEV2_XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ 0, IKEV2_XF_ENCR, ENCR_AES_GCM_16, 128 },
	{ 0, IKEV2_XF_ENCR, ENCR_CHACHA20_POLY1305, 0 },
	{ 1, IKEV2_XF_ENCR, ENCR_AES_CBC, 256 },
	{ 1, IKEV2_XF_ENCR, ENCR_AES_CBC, 128 },
	{ 1, IKEV2_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ 1, IKEV2_XF_INTEG, AUTH_HMAC_SHA2_384_192, 0 },
	{ 1, IKEV2_XF_INTEG, AUTH_HMAC_SHA2_512_256, 0 },
};

/* PRF and D-H transforms of both proposals. The first group is the initiator's KE guess
 * (RFC 7296 1.2) and stays a cheap one; the others are listed so that a responder may ask for
 * them with INVALID_KE_PAYLOAD, and as responder we accept any of them (RFC 7296 3.3).
 * Elliptic curves before MODP: same strength for far less work. */
static const struct prop_xf ike_common[] = {
	{ .type = IKEV2_XF_PRF, .id = IKEV2_PRF_HMAC_SHA2_256 },
	{ .type = IKEV2_XF_PRF, .id = IKEV2_PRF_HMAC_SHA2_384 },
	{ .type = IKEV2_XF_PRF, .id = IKEV2_PRF_HMAC_SHA2_512 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_ECP256 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_CURVE25519 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_ECP384 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_ECP521 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_MODP2048 },
	{ .type = IKEV2_XF_DH, .id = IKEV2_DH_MODP3072 },
};

/* The configured suites (`ike-method`, prop_ike_set_methods()); none = the table above. One
 * per process: the engine asks for the IKE SA suite before it knows the rule (a responder's
 * IKE_SA_INIT), so the daemon sets it once per configuration load. */
static struct spd_ike_method ike_conf[SPD_IKE_METHODS_MAX];
static size_t nike_conf;

int prop_ike_set_methods(const struct spd_ike_method *m, size_t n)
{
	if (n > SPD_IKE_METHODS_MAX || n > PROP_MAX || (n && !m))
		return -EINVAL;
	if (n)
		memcpy(ike_conf, m, n * sizeof(*m));
	nike_conf = n;
	return 0;
}

static bool group_listed(const uint16_t *g, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (g[i] == id)
			return true;
	return false;
}

const uint16_t *prop_default_groups(size_t *n)
{
	static uint16_t groups[ARRAY_SIZE(ike_common) + SPD_IKE_METHODS_MAX];
	size_t i, ng = 0;

	/* Derived from the table or the configured suites (first listed first, no repeats), so
	 * the KE guess and the PFS default cannot drift from the offer. */
	for (i = 0; i < nike_conf; i++)
		if (!group_listed(groups, ng, ike_conf[i].dh))
			groups[ng++] = ike_conf[i].dh;
	for (i = 0; !nike_conf && i < ARRAY_SIZE(ike_common); i++)
		if (ike_common[i].type == IKEV2_XF_DH)
			groups[ng++] = ike_common[i].id;
	*n = ng;
	return groups;
}

/* ---- building ---- */

int prop_add_xf(struct prop *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	if (p->nxf >= PROP_XF_MAX)
		return -ENOSPC;
	p->xf[p->nxf++] = (struct prop_xf){ .type = type, .id = id, .key_bits = key_bits };
	return 0;
}

const struct prop_xf *prop_find(const struct prop *p, uint8_t type)
{
	size_t i;

	for (i = 0; i < p->nxf; i++)
		if (p->xf[i].type == type)
			return &p->xf[i];
	return NULL;
}

/* RFC 7296 3.3.5: Key Length only for variable-length ciphers; RFC 7634 2: none for
 * ChaCha20-Poly1305; none for NULL. */
bool prop_encr_has_keylen(uint16_t encr)
{
	switch (encr) {
	case ENCR_AES_CBC:
	case IKEV2_ENCR_AES_CTR:
	case IKEV2_ENCR_AES_CCM_8:
	case IKEV2_ENCR_AES_CCM_12:
	case IKEV2_ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
		return true;
	}
	return false;
}

static void put_spi32(struct prop *p, uint32_t spi)
{
	p->spi_size = 4;
	p->spi[0] = (uint8_t)(spi >> 24);
	p->spi[1] = (uint8_t)(spi >> 16);
	p->spi[2] = (uint8_t)(spi >> 8);
	p->spi[3] = (uint8_t)spi;
}

static int add_esn(struct prop *p, enum prop_esn_mode m)
{
	int rc = 0;

	if (m != PROP_ESN_NEVER)
		rc = prop_add_xf(p, IKEV2_XF_ESN, IKEV2_ESN_YES, 0);
	if (!rc && m != PROP_ESN_ONLY)
		rc = prop_add_xf(p, IKEV2_XF_ESN, IKEV2_ESN_NO, 0);
	return rc;
}

static int add_dh(struct prop *p, const uint16_t *g, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++)
		rc = prop_add_xf(p, IKEV2_XF_DH, g[i], 0);
	return rc;
}

/* One Child SA proposal for one method (ESP or AH). */
static int child_prop(const struct spd_method *m, const struct prop_child_opts *o,
		      const uint16_t *g, size_t ng, struct prop *p)
{
	int rc = 0;

	if (m->xform == SPD_XF_ESP) {
		p->proto = IKEV2_PROTO_ESP;
		put_spi32(p, o->esp_spi);
		rc = prop_add_xf(p, IKEV2_XF_ENCR, m->esp_encr,
				 prop_encr_has_keylen(m->esp_encr) ? m->esp_encr_bits : 0);
		/* RFC 5282 8 / RFC 4106: combined modes carry no integrity transform. */
		if (!rc && m->esp_integ != AUTH_NONE)
			rc = prop_add_xf(p, IKEV2_XF_INTEG, m->esp_integ, 0);
	} else {
		p->proto = IKEV2_PROTO_AH;
		put_spi32(p, o->ah_spi);
		rc = prop_add_xf(p, IKEV2_XF_INTEG, m->ah_integ, 0);
	}
	if (!rc)
		rc = add_dh(p, g, ng);
	if (!rc)
		rc = add_esn(p, o->esn);
	return rc;
}

int prop_from_action(const struct spd_action *a, const struct prop_child_opts *o,
		     struct prop_list *out, size_t *skipped)
{
	static const struct prop_child_opts defaults = { .esn = PROP_ESN_BOTH };
	const uint16_t *g = NULL;
	size_t i, ng = 0, skip = 0;
	int rc;

	if (!o)
		o = &defaults;
	if (!a || !out || a->kind != SPD_ACT_NEGOTIATE || (unsigned)o->esn > PROP_ESN_NEVER ||
	    (o->dh && !o->ndh))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (a->pfs && !o->ike_auth) {
		g = o->dh ? o->dh : prop_default_groups(&ng);
		ng = o->dh ? o->ndh : ng;
	}
	for (i = 0; i < a->nmethods; i++) {
		struct prop *p;

		if (a->methods[i].xform == SPD_XF_AH_ESP) {
			skip++; /* RFC 7296 3.3: no bundles, see proposal.h */
			continue;
		}
		if (out->n >= PROP_MAX)
			return -ENOSPC;
		p = &out->p[out->n];
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(out->n + 1);
		p->origin = (uint8_t)i;
		rc = child_prop(&a->methods[i], o, g, ng, p);
		if (rc)
			return rc;
		out->n++;
	}
	if (skipped)
		*skipped = skip;
	return out->n ? 0 : -ENOTSUP;
}

static void ike_prop_head(struct prop *p, size_t idx, const uint8_t *spi, size_t spi_len)
{
	p->num = (uint8_t)(idx + 1);
	p->proto = IKEV2_PROTO_IKE;
	p->origin = (uint8_t)idx;
	p->spi_size = (uint8_t)spi_len;
	if (spi_len)
		memcpy(p->spi, spi, spi_len);
}

/* One proposal per configured suite, in the configured order (RFC 7296 3.3: the first is the
 * most preferred), one transform of each type. */
static int ike_from_conf(const uint8_t *spi, size_t spi_len, struct prop_list *out)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < nike_conf; i++) {
		const struct spd_ike_method *m = &ike_conf[i];
		struct prop *p = &out->p[i];

		ike_prop_head(p, i, spi, spi_len);
		rc = prop_add_xf(p, IKEV2_XF_ENCR, m->encr,
				 prop_encr_has_keylen(m->encr) ? m->encr_bits : 0);
		if (!rc && m->integ != AUTH_NONE)
			rc = prop_add_xf(p, IKEV2_XF_INTEG, m->integ, 0);
		if (!rc)
			rc = prop_add_xf(p, IKEV2_XF_PRF, m->prf, 0);
		if (!rc)
			rc = prop_add_xf(p, IKEV2_XF_DH, m->dh, 0);
		out->n = i + 1;
	}
	return rc;
}

int prop_ike_default(const uint8_t *spi, size_t spi_len, struct prop_list *out)
{
	size_t i;
	int rc;

	if (!out || (spi_len != 0 && spi_len != 8) || (spi_len && !spi))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (nike_conf)
		return ike_from_conf(spi, spi_len, out);
	for (i = 0; i < ARRAY_SIZE(ike_default); i++) {
		const struct ike_default_row *r = &ike_default[i];
		struct prop *p = &out->p[r->prop];

		if (r->prop >= out->n) {
			out->n = r->prop + 1u;
			ike_prop_head(p, r->prop, spi, spi_len);
		}
		rc = prop_add_xf(p, r->type, r->id, r->bits);
		if (rc)
			return rc;
	}
	for (i = 0; i < out->n * ARRAY_SIZE(ike_common); i++) {
		const struct prop_xf *c = &ike_common[i % ARRAY_SIZE(ike_common)];

		rc = prop_add_xf(&out->p[i / ARRAY_SIZE(ike_common)], c->type, c->id, 0);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- names ---- */

static const char *encr_name(uint16_t id)
{
	switch (id) {
	case IKEV2_ENCR_3DES:
		return "3DES";
	case ENCR_NULL:
		return "NULL";
	case ENCR_AES_CBC:
		return "AES_CBC";
	case IKEV2_ENCR_AES_CTR:
		return "AES_CTR";
	case IKEV2_ENCR_AES_CCM_8:
		return "AES_CCM_8";
	case IKEV2_ENCR_AES_CCM_12:
		return "AES_CCM_12";
	case IKEV2_ENCR_AES_CCM_16:
		return "AES_CCM_16";
	case ENCR_AES_GCM_8:
		return "AES_GCM_8";
	case ENCR_AES_GCM_12:
		return "AES_GCM_12";
	case ENCR_AES_GCM_16:
		return "AES_GCM_16";
	case ENCR_NULL_AUTH_AES_GMAC:
		return "NULL_AUTH_AES_GMAC";
	case ENCR_CHACHA20_POLY1305:
		return "CHACHA20_POLY1305";
	}
	return NULL;
}

static const char *prf_name(uint16_t id)
{
	switch (id) {
	case IKEV2_PRF_HMAC_MD5:
		return "PRF_HMAC_MD5";
	case IKEV2_PRF_HMAC_SHA1:
		return "PRF_HMAC_SHA1";
	case IKEV2_PRF_AES128_XCBC:
		return "PRF_AES128_XCBC";
	case IKEV2_PRF_HMAC_SHA2_256:
		return "PRF_HMAC_SHA2_256";
	case IKEV2_PRF_HMAC_SHA2_384:
		return "PRF_HMAC_SHA2_384";
	case IKEV2_PRF_HMAC_SHA2_512:
		return "PRF_HMAC_SHA2_512";
	case IKEV2_PRF_AES128_CMAC:
		return "PRF_AES128_CMAC";
	}
	return NULL;
}

static const char *integ_name(uint16_t id)
{
	switch (id) {
	case AUTH_NONE:
		return "NONE";
	case IKEV2_INTEG_HMAC_MD5_96:
		return "HMAC_MD5_96";
	case AUTH_HMAC_SHA1_96:
		return "HMAC_SHA1_96";
	case IKEV2_INTEG_AES_XCBC_96:
		return "AES_XCBC_96";
	case IKEV2_INTEG_AES_CMAC_96:
		return "AES_CMAC_96";
	case AUTH_HMAC_SHA2_256_128:
		return "HMAC_SHA2_256_128";
	case AUTH_HMAC_SHA2_384_192:
		return "HMAC_SHA2_384_192";
	case AUTH_HMAC_SHA2_512_256:
		return "HMAC_SHA2_512_256";
	}
	return NULL;
}

static const char *dh_name(uint16_t id)
{
	switch (id) {
	case IKEV2_DH_NONE:
		return "DH_NONE";
	case IKEV2_DH_MODP768:
		return "MODP_768";
	case IKEV2_DH_MODP1024:
		return "MODP_1024";
	case IKEV2_DH_MODP1536:
		return "MODP_1536";
	case IKEV2_DH_MODP2048:
		return "MODP_2048";
	case IKEV2_DH_MODP3072:
		return "MODP_3072";
	case IKEV2_DH_MODP4096:
		return "MODP_4096";
	case IKEV2_DH_MODP6144:
		return "MODP_6144";
	case IKEV2_DH_MODP8192:
		return "MODP_8192";
	case IKEV2_DH_ECP256:
		return "ECP_256";
	case IKEV2_DH_ECP384:
		return "ECP_384";
	case IKEV2_DH_ECP521:
		return "ECP_521";
	case IKEV2_DH_CURVE25519:
		return "CURVE_25519";
	case IKEV2_DH_CURVE448:
		return "CURVE_448";
	}
	return NULL;
}

const char *prop_xf_name(uint8_t type, uint16_t id)
{
	static _Thread_local char buf[16];
	const char *n = NULL;

	switch (type) {
	case IKEV2_XF_ENCR:
		n = encr_name(id);
		break;
	case IKEV2_XF_PRF:
		n = prf_name(id);
		break;
	case IKEV2_XF_INTEG:
		n = integ_name(id);
		break;
	case IKEV2_XF_DH:
		n = dh_name(id);
		break;
	case IKEV2_XF_ESN:
		n = id == IKEV2_ESN_YES ? "ESN" : id == IKEV2_ESN_NO ? "NO_ESN" : NULL;
		break;
	}
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "T%u:%u", type, id);
	return buf;
}

static const char *type_name(uint8_t type)
{
	static const char *const n[] = { "?", "ENCR", "PRF", "INTEG", "D-H", "ESN" };

	return type <= PROP_XF_TYPE_MAX ? n[type] : "unknown";
}

static const char *proto_name(uint8_t proto)
{
	static const char *const n[] = { "?", "IKE", "AH", "ESP" };

	return proto <= IKEV2_PROTO_ESP ? n[proto] : "?";
}

/* Appends to buf at *off, never past len (truncates). */
__attribute__((format(printf, 4, 5))) static void cat(char *buf, size_t len, size_t *off,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

static void fmt_into(const struct prop *p, char *buf, size_t len, size_t *off)
{
	size_t i;

	cat(buf, len, off, "%s:", proto_name(p->proto));
	for (i = 0; i < p->nxf; i++) {
		const struct prop_xf *x = &p->xf[i];

		cat(buf, len, off, "%c%s", i ? '/' : ' ', prop_xf_name(x->type, x->id));
		if (x->key_bits)
			cat(buf, len, off, "-%u", x->key_bits);
	}
}

const char *prop_fmt(const struct prop *p, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	fmt_into(p, buf, len, &off);
	return buf;
}

const char *prop_list_fmt(const struct prop_list *l, char *buf, size_t len)
{
	size_t i, off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i)
			cat(buf, len, &off, ", ");
		fmt_into(&l->p[i], buf, len, &off);
	}
	return buf;
}

/* ---- responder selection ---- */

/* RFC 7296 3.3.3: the types each protocol has, and the mandatory ones. IKE's INTEG is
 * mandatory only with a non-combined cipher (RFC 5282 8); our own proposals encode that, so
 * it is treated as optional here and the match against ours enforces it. */
static unsigned types_known(uint8_t proto)
{
	switch (proto) {
	case IKEV2_PROTO_IKE:
		return 1u << IKEV2_XF_ENCR | 1u << IKEV2_XF_PRF | 1u << IKEV2_XF_INTEG |
		       1u << IKEV2_XF_DH;
	case IKEV2_PROTO_ESP:
		return 1u << IKEV2_XF_ENCR | 1u << IKEV2_XF_INTEG | 1u << IKEV2_XF_DH |
		       1u << IKEV2_XF_ESN;
	case IKEV2_PROTO_AH:
		return 1u << IKEV2_XF_INTEG | 1u << IKEV2_XF_DH | 1u << IKEV2_XF_ESN;
	}
	return 0;
}

static unsigned types_mandatory(uint8_t proto)
{
	switch (proto) {
	case IKEV2_PROTO_IKE:
		return 1u << IKEV2_XF_ENCR | 1u << IKEV2_XF_PRF | 1u << IKEV2_XF_DH;
	case IKEV2_PROTO_ESP:
		return 1u << IKEV2_XF_ENCR | 1u << IKEV2_XF_ESN;
	case IKEV2_PROTO_AH:
		return 1u << IKEV2_XF_INTEG | 1u << IKEV2_XF_ESN;
	}
	return 0;
}

static unsigned types_present(const struct prop *p)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; i < p->nxf; i++)
		if (p->xf[i].type >= 1 && p->xf[i].type <= PROP_XF_TYPE_MAX)
			m |= 1u << p->xf[i].type;
	return m;
}

/* Why a peer proposal cannot be considered at all, or NULL. Writes details to note. */
static const char *prop_unacceptable(const struct prop *p, char *note, size_t len)
{
	unsigned known = types_known(p->proto), missing;
	size_t i;

	if (!known) {
		snprintf(note, len, "unknown protocol %u", p->proto);
		return note;
	}
	for (i = 0; i < p->nxf; i++) {
		const struct prop_xf *x = &p->xf[i];

		/* RFC 7296 3.3.6: a type it does not understand makes the proposal unacceptable */
		if (x->type > 31 || !(known & 1u << x->type)) {
			snprintf(note, len, "transform type %u not understood for %s", x->type,
				 proto_name(p->proto));
			return note;
		}
		if (x->unknown_attr) {
			snprintf(note, len, "unknown attribute in %s",
				 prop_xf_name(x->type, x->id));
			return note;
		}
	}
	missing = types_mandatory(p->proto) & ~types_present(p);
	for (i = 1; i <= PROP_XF_TYPE_MAX; i++)
		if (missing & 1u << i) {
			snprintf(note, len, "missing mandatory %s", type_name((uint8_t)i));
			return note;
		}
	/* RFC 7296 3.3.1 */
	if ((p->proto == IKEV2_PROTO_IKE && p->spi_size != 0 && p->spi_size != 8) ||
	    (p->proto != IKEV2_PROTO_IKE && p->spi_size != 4)) {
		snprintf(note, len, "SPI size %u", p->spi_size);
		return note;
	}
	return NULL;
}

static bool xf_eq(const struct prop_xf *a, uint8_t type, uint16_t id, uint16_t bits)
{
	return a->type == type && a->id == id && a->key_bits == bits;
}

/* Is (type, id, bits) in p's set for that type? An absent type is the set {NONE}. */
static bool in_set(const struct prop *p, uint8_t type, uint16_t id, uint16_t bits)
{
	size_t i;
	bool any = false;

	for (i = 0; i < p->nxf; i++) {
		if (p->xf[i].type != type)
			continue;
		any = true;
		if (xf_eq(&p->xf[i], type, id, bits))
			return true;
	}
	return !any && id == 0 && bits == 0;
}

/* Pick one transform of type t offered by peer and accepted by ours. */
static bool pick(const struct prop *peer, const struct prop *ours, uint8_t t, uint16_t hint,
		 struct prop_xf *out)
{
	size_t i;

	if (!prop_find(peer, t)) {
		*out = (struct prop_xf){ .type = t };
		return in_set(ours, t, 0, 0);
	}
	if (t == IKEV2_XF_DH && hint && in_set(peer, t, hint, 0) && in_set(ours, t, hint, 0)) {
		*out = (struct prop_xf){ .type = t, .id = hint };
		return true;
	}
	for (i = 0; i < peer->nxf; i++) {
		const struct prop_xf *x = &peer->xf[i];

		if (x->type == t && in_set(ours, t, x->id, x->key_bits)) {
			*out = *x;
			return true;
		}
	}
	return false;
}

/* Match one peer proposal against one of ours; on success fills *chosen. */
static bool prop_match(const struct prop *peer, const struct prop *ours, uint16_t hint,
		       struct prop *chosen)
{
	unsigned present = types_present(peer);
	struct prop_xf x;
	uint8_t t;

	if (peer->proto != ours->proto)
		return false;
	*chosen = *peer;
	chosen->nxf = 0;
	chosen->origin = ours->origin;
	for (t = 1; t <= PROP_XF_TYPE_MAX; t++) {
		if (!((present | types_present(ours)) & 1u << t))
			continue;
		if (!pick(peer, ours, t, hint, &x))
			return false;
		/* RFC 7296 2.7: exactly one transform of each type included in the proposal */
		if (present & 1u << t)
			chosen->xf[chosen->nxf++] = x;
	}
	return true;
}

int prop_select(const struct prop_list *peer, const struct prop_list *ours, uint16_t dh_hint,
		struct prop *chosen, char *why, size_t whylen)
{
	char note[96], first_note[128] = "";
	char pbuf[PROP_WHY_MAX / 2], obuf[PROP_WHY_MAX / 2];
	size_t i, j;

	if (!peer || !ours || !chosen || !peer->n || !ours->n)
		return -EINVAL;
	for (i = 0; i < peer->n; i++) {
		const struct prop *p = &peer->p[i];

		if (prop_unacceptable(p, note, sizeof(note))) {
			if (!first_note[0])
				snprintf(first_note, sizeof(first_note), " (proposal %u: %s)",
					 p->num, note);
			continue;
		}
		for (j = 0; j < ours->n; j++)
			if (prop_match(p, &ours->p[j], dh_hint, chosen))
				return 0;
	}
	if (why && whylen)
		snprintf(why, whylen, "no proposal in common: peer offered [%s], we accept [%s]%s",
			 prop_list_fmt(peer, pbuf, sizeof(pbuf)),
			 prop_list_fmt(ours, obuf, sizeof(obuf)), first_note);
	return -ENOENT;
}

void prop_strip_type(struct prop_list *l, uint8_t type)
{
	size_t i, j, k;

	for (i = 0; i < l->n; i++) {
		struct prop *p = &l->p[i];

		for (j = k = 0; j < p->nxf; j++)
			if (p->xf[j].type != type)
				p->xf[k++] = p->xf[j];
		p->nxf = k;
	}
}

/* ---- initiator check ---- */

static int reply_fail(char *why, size_t len, const char *what, const struct prop *r)
{
	char b[PROP_WHY_MAX / 2];

	if (why && len)
		snprintf(why, len, "bad reply proposal: %s [%s]", what,
			 r ? prop_fmt(r, b, sizeof(b)) : "");
	return -EBADMSG;
}

int prop_check_reply(const struct prop_list *offered, const struct prop_list *reply,
		     struct prop *out, char *why, size_t whylen)
{
	const struct prop *r, *o = NULL;
	unsigned seen = 0, known;
	size_t i;
	uint8_t t;

	if (!offered || !reply || reply->n != 1)
		return reply_fail(why, whylen, "not exactly one proposal", NULL);
	r = &reply->p[0];
	for (i = 0; i < offered->n; i++)
		if (offered->p[i].num == r->num)
			o = &offered->p[i];
	if (!o)
		return reply_fail(why, whylen, "number not offered", r);
	if (o->proto != r->proto || o->spi_size != r->spi_size)
		return reply_fail(why, whylen, "protocol or SPI size differs from our offer", r);
	known = types_known(r->proto);
	if (types_mandatory(r->proto) & ~types_present(r))
		return reply_fail(why, whylen, "a mandatory transform type is missing", r);
	for (i = 0; i < r->nxf; i++) {
		const struct prop_xf *x = &r->xf[i];

		if (x->type > 31 || !(known & 1u << x->type) || x->unknown_attr)
			return reply_fail(why, whylen, "unknown transform or attribute", r);
		if (seen & 1u << x->type)
			return reply_fail(why, whylen, "more than one transform of a type", r);
		seen |= 1u << x->type;
		if (!in_set(o, x->type, x->id, x->key_bits))
			return reply_fail(why, whylen, "transform we did not offer", r);
	}
	/* An omitted type means NONE: acceptable only where we offered NONE (or nothing). */
	for (t = 1; t <= PROP_XF_TYPE_MAX; t++)
		if ((types_present(o) & ~seen & 1u << t) && !in_set(o, t, 0, 0))
			return reply_fail(why, whylen, "a type we offered is missing", r);
	if (out) {
		*out = *r;
		out->origin = o->origin;
	}
	return 0;
}

/* ---- wire views ---- */

int prop_from_wire(const struct ikev2_sa *sa, struct prop_list *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sa->nprop && i < PROP_MAX; i++) {
		const struct ikev2_proposal *w = &sa->prop[i];
		struct prop *p = &out->p[i];

		if (w->spi_size > PROP_SPI_MAX || (w->spi_size && !w->spi))
			return -EINVAL;
		p->num = w->num;
		p->proto = w->proto;
		p->spi_size = w->spi_size;
		if (w->spi_size)
			memcpy(p->spi, w->spi, w->spi_size);
		p->origin = PROP_NO_ORIGIN;
		for (j = 0; j < w->nxf && j < PROP_XF_MAX; j++) {
			p->xf[j].type = w->xf[j].type;
			p->xf[j].id = w->xf[j].id;
			p->xf[j].key_bits = w->xf[j].has_key_len ? w->xf[j].key_bits : 0;
			/* a Key Length of 0 is no key length we know */
			p->xf[j].unknown_attr = w->xf[j].unknown_attr ||
						(w->xf[j].has_key_len && !w->xf[j].key_bits);
		}
		p->nxf = j;
		out->n = i + 1;
	}
	return 0;
}

static void to_wire(const struct prop *p, struct ikev2_proposal *w)
{
	size_t j;

	memset(w, 0, sizeof(*w));
	w->num = p->num;
	w->proto = p->proto;
	w->spi_size = p->spi_size;
	w->spi = p->spi_size ? p->spi : NULL;
	for (j = 0; j < p->nxf && j < IKEV2_MAX_TRANSFORMS; j++) {
		w->xf[j].type = p->xf[j].type;
		w->xf[j].id = p->xf[j].id;
		w->xf[j].key_bits = p->xf[j].key_bits;
		w->xf[j].has_key_len = p->xf[j].key_bits != 0;
	}
	w->nxf = (uint8_t)j;
}

void prop_to_wire(const struct prop_list *l, struct ikev2_sa *sa)
{
	size_t i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < l->n && i < IKEV2_MAX_PROPOSALS; i++)
		to_wire(&l->p[i], &sa->prop[i]);
	sa->nprop = (uint8_t)i;
}

void prop_to_wire1(const struct prop *p, struct ikev2_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	to_wire(p, &sa->prop[0]);
	sa->nprop = 1;
}
