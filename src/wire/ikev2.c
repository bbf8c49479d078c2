/* IKEv2 message parsing: the IKE header, the payload chain and every payload body; see ikev2.h.
 *
 * Every payload goes through pld_next(), which makes the three length checks on the generic
 * header before anything reads its body: there is room for the generic header; the declared
 * length covers the header; the declared length fits in what is left. The body is then a
 * sub-reader, so a payload parser cannot read past its own payload.
 */
#include "wire/ikev2.h"

#include <stdint.h>
#include <string.h>

#include "lib/rw.h"
#include "lib/util.h"

/* Where the walk is: the generic header's offset and fields. */
struct pctx {
	size_t off;   /* generic header, from the start of the walked buffer */
	uint8_t next; /* its Next Payload */
	bool inner;
};

typedef enum ikev2_err (*pld_parse_fn)(struct ikev2_msg *m, struct rd *b, const struct pctx *c);

static enum ikev2_err sa_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err ke_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err idi_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err idr_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err cert_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err certreq_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err auth_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err nonce_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err notify_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err delete_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err vendor_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err tsi_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err tsr_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err sk_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err cp_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);
static enum ikev2_err skf_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c);

#define OUT  IKEV2_WHERE_OUTER
#define IN   IKEV2_WHERE_INNER
#define BOTH (IKEV2_WHERE_OUTER | IKEV2_WHERE_INNER)

/* The payloads esprit understands. `where` is RFC 7296 1.2-1.4 and 3.14 as data: IKE_SA_INIT
 * carries SA, KE, Ni/Nr, N, V and CERTREQ in the clear; identities, certificates, AUTH,
 * traffic selectors, CP and Delete are only ever sent encrypted; SK and SKF are never inside
 * SK. `once`: at most one per message (outer and inner together). EAP (48) is not listed: it
 * is walked over like any unknown payload. */
static const struct pld_info {
	uint8_t type;
	uint8_t where;
	bool once;
	pld_parse_fn parse;
} pld_table[] = {
	{ IKEV2_PLD_SA, BOTH, true, sa_parse },
	{ IKEV2_PLD_KE, BOTH, true, ke_parse },
	{ IKEV2_PLD_IDI, IN, true, idi_parse },
	{ IKEV2_PLD_IDR, IN, true, idr_parse },
	{ IKEV2_PLD_CERT, IN, false, cert_parse },
	{ IKEV2_PLD_CERTREQ, BOTH, false, certreq_parse },
	{ IKEV2_PLD_AUTH, IN, true, auth_parse },
	{ IKEV2_PLD_NONCE, BOTH, true, nonce_parse },
	{ IKEV2_PLD_NOTIFY, BOTH, false, notify_parse },
	{ IKEV2_PLD_DELETE, IN, false, delete_parse },
	{ IKEV2_PLD_VENDOR, BOTH, false, vendor_parse },
	{ IKEV2_PLD_TSI, IN, true, tsi_parse },
	{ IKEV2_PLD_TSR, IN, true, tsr_parse },
	{ IKEV2_PLD_SK, OUT, true, sk_parse },
	{ IKEV2_PLD_CP, IN, true, cp_parse },
	{ IKEV2_PLD_SKF, OUT, true, skf_parse },
};

#undef OUT
#undef IN
#undef BOTH

static const struct pld_info *pld_lookup(uint8_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pld_table); i++)
		if (pld_table[i].type == type)
			return &pld_table[i];
	return NULL;
}

unsigned ikev2_payload_where(uint8_t type)
{
	const struct pld_info *pi = pld_lookup(type);

	return pi ? pi->where : 0;
}

/* RFC 7296 3.3.1: SPI Size is 0 for an initial IKE SA (8 when rekeying it), 4 for ESP/AH. */
static bool spi_size_ok(uint8_t proto, uint8_t size)
{
	switch (proto) {
	case IKEV2_PROTO_IKE:
		return size == 0 || size == 8;
	case IKEV2_PROTO_AH:
	case IKEV2_PROTO_ESP:
		return size == 4;
	default:
		return false;
	}
}

/* ---- SA payload ---- */

/* RFC 7296 3.3.5: attributes; only KEY_LENGTH is defined, and always in TV form. */
static enum ikev2_err attrs_parse(struct rd *t, struct ikev2_transform *x)
{
	while (rd_left(t)) {
		uint16_t at, val, len;

		if (rd_left(t) < 4)
			return IKEV2_ERR_BAD_ATTR;
		at = rd_u16(t);
		if (at & IKEV2_ATTR_TV) {
			val = rd_u16(t);
			if ((at & ~IKEV2_ATTR_TV) != IKEV2_ATTR_KEY_LENGTH) {
				x->unknown_attr = true;
				continue;
			}
			if (x->has_key_len)
				return IKEV2_ERR_BAD_ATTR;
			x->key_bits = val;
			x->has_key_len = true;
			continue;
		}
		len = rd_u16(t);
		if (at == IKEV2_ATTR_KEY_LENGTH || !rd_skip(t, len))
			return IKEV2_ERR_BAD_ATTR;
		x->unknown_attr = true;
	}
	return IKEV2_OK;
}

/* RFC 7296 3.3.2: one transform substructure. */
static enum ikev2_err xform_parse(struct rd *p, struct ikev2_transform *x, uint8_t *last)
{
	struct rd t;
	uint16_t len;

	if (rd_left(p) < IKEV2_XFORM_HDR_LEN)
		return IKEV2_ERR_TRUNCATED;
	*last = rd_u8(p);
	rd_u8(p);
	len = rd_u16(p);
	if (*last != 0 && *last != IKEV2_LAST_XFORM_MORE)
		return IKEV2_ERR_BAD_PROPOSAL;
	if (len < IKEV2_XFORM_HDR_LEN || len - 4u > rd_left(p))
		return IKEV2_ERR_BAD_LENGTH;
	rd_sub(p, len - 4u, &t);
	memset(x, 0, sizeof(*x));
	x->type = rd_u8(&t);
	rd_u8(&t);
	x->id = rd_u16(&t);
	return attrs_parse(&t, x);
}

/* RFC 7296 3.3.1: one proposal substructure. */
static enum ikev2_err prop_parse(struct rd *b, struct ikev2_proposal *pr, uint8_t *last)
{
	uint8_t xlast = IKEV2_LAST_XFORM_MORE;
	enum ikev2_err err;
	struct rd p;
	uint16_t len;
	unsigned i;

	if (rd_left(b) < IKEV2_PROP_HDR_LEN)
		return IKEV2_ERR_TRUNCATED;
	*last = rd_u8(b);
	rd_u8(b);
	len = rd_u16(b);
	if (*last != 0 && *last != IKEV2_LAST_PROP_MORE)
		return IKEV2_ERR_BAD_PROPOSAL;
	if (len < IKEV2_PROP_HDR_LEN || len - 4u > rd_left(b))
		return IKEV2_ERR_BAD_LENGTH;
	rd_sub(b, len - 4u, &p);
	pr->num = rd_u8(&p);
	pr->proto = rd_u8(&p);
	pr->spi_size = rd_u8(&p);
	pr->nxf = rd_u8(&p);
	if (pr->proto != IKEV2_PROTO_IKE && pr->proto != IKEV2_PROTO_AH &&
	    pr->proto != IKEV2_PROTO_ESP)
		return IKEV2_ERR_BAD_PROPOSAL;
	if (!spi_size_ok(pr->proto, pr->spi_size))
		return IKEV2_ERR_BAD_SPI_SIZE;
	pr->spi = pr->spi_size ? rd_bytes(&p, pr->spi_size) : NULL;
	if (!rd_ok(&p))
		return IKEV2_ERR_BAD_LENGTH;
	if (pr->nxf == 0)
		return IKEV2_ERR_BAD_PROPOSAL;
	if (pr->nxf > IKEV2_MAX_TRANSFORMS)
		return IKEV2_ERR_TOO_MANY;
	for (i = 0; i < pr->nxf; i++) {
		/* Num Transforms and the Last Substruc marks must tell the same story. */
		if (xlast != IKEV2_LAST_XFORM_MORE)
			return IKEV2_ERR_BAD_PROPOSAL;
		err = xform_parse(&p, &pr->xf[i], &xlast);
		if (err)
			return err;
	}
	if (xlast != 0)
		return IKEV2_ERR_BAD_PROPOSAL;
	return rd_left(&p) ? IKEV2_ERR_BAD_LENGTH : IKEV2_OK;
}

/* RFC 7296 3.3.1: a request numbers its proposals 1, 2, 3, ...; a response carries the one
 * proposal it accepted, under the number it had in the request. */
static enum ikev2_err prop_numbers_check(const struct ikev2_sa *sa, bool response)
{
	unsigned i;

	if (response)
		return sa->nprop == 1 && sa->prop[0].num ? IKEV2_OK : IKEV2_ERR_BAD_PROPOSAL;
	for (i = 0; i < sa->nprop; i++)
		if (sa->prop[i].num != i + 1)
			return IKEV2_ERR_BAD_PROPOSAL;
	return IKEV2_OK;
}

static enum ikev2_err sa_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	uint8_t last = IKEV2_LAST_PROP_MORE;
	struct ikev2_sa *sa = &m->sa;
	enum ikev2_err err;

	(void)c;
	sa->nprop = 0;
	while (last == IKEV2_LAST_PROP_MORE) {
		if (sa->nprop == IKEV2_MAX_PROPOSALS)
			return IKEV2_ERR_TOO_MANY;
		if (!rd_left(b))
			return IKEV2_ERR_BAD_PROPOSAL; /* no proposal, or "more" but none */
		err = prop_parse(b, &sa->prop[sa->nprop], &last);
		if (err)
			return err;
		sa->nprop++;
	}
	if (rd_left(b))
		return IKEV2_ERR_BAD_LENGTH;
	m->has_sa = true;
	return prop_numbers_check(sa, m->hdr.flags & IKEV2_FLAG_R);
}

/* ---- KE, ID, CERT, CERTREQ, AUTH, Nonce ---- */

/* RFC 7296 3.4 */
static enum ikev2_err ke_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	m->ke.group = rd_u16(b);
	rd_u16(b);
	m->ke.len = rd_left(b);
	m->ke.data = rd_bytes(b, m->ke.len);
	if (!m->ke.len)
		return IKEV2_ERR_BAD_PAYLOAD;
	m->has_ke = true;
	return IKEV2_OK;
}

/* RFC 7296 3.5: the data must have the shape its type promises. */
static bool id_data_ok(uint8_t type, size_t len)
{
	switch (type) {
	case IKEV2_ID_IPV4_ADDR:
		return len == 4;
	case IKEV2_ID_IPV6_ADDR:
		return len == 16;
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822_ADDR:
	case IKEV2_ID_DER_ASN1_DN:
	case IKEV2_ID_DER_ASN1_GN:
	case IKEV2_ID_KEY_ID:
		return len > 0;
	default:
		return false;
	}
}

static enum ikev2_err id_parse(struct rd *b, struct ikev2_id *id)
{
	id->body_len = rd_left(b);
	id->body = rd_ptr(b);
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	id->type = rd_u8(b);
	rd_skip(b, 3);
	id->len = rd_left(b);
	id->data = rd_bytes(b, id->len);
	return id_data_ok(id->type, id->len) ? IKEV2_OK : IKEV2_ERR_BAD_ID;
}

static enum ikev2_err idi_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	m->has_idi = true;
	return id_parse(b, &m->idi);
}

static enum ikev2_err idr_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	m->has_idr = true;
	return id_parse(b, &m->idr);
}

/* RFC 7296 3.6 / 3.7: an encoding octet, then data (a certificate request may be empty). */
static enum ikev2_err cert_body_parse(struct rd *b, struct ikev2_cert *ce, bool need_data)
{
	if (rd_left(b) < 1)
		return IKEV2_ERR_TRUNCATED;
	ce->enc = rd_u8(b);
	ce->len = rd_left(b);
	ce->data = rd_bytes(b, ce->len);
	return need_data && !ce->len ? IKEV2_ERR_BAD_PAYLOAD : IKEV2_OK;
}

static enum ikev2_err cert_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	if (m->ncert == IKEV2_MAX_CERT)
		return IKEV2_ERR_TOO_MANY;
	return cert_body_parse(b, &m->cert[m->ncert++], true);
}

static enum ikev2_err certreq_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	if (m->ncertreq == IKEV2_MAX_CERTREQ)
		return IKEV2_ERR_TOO_MANY;
	return cert_body_parse(b, &m->certreq[m->ncertreq++], false);
}

/* RFC 7296 3.8 */
static enum ikev2_err auth_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	m->auth.method = rd_u8(b);
	rd_skip(b, 3);
	m->auth.len = rd_left(b);
	m->auth.data = rd_bytes(b, m->auth.len);
	m->has_auth = true;
	return m->auth.len ? IKEV2_OK : IKEV2_ERR_BAD_PAYLOAD;
}

/* RFC 7296 3.9: "between 16 and 256 octets, inclusive". */
static enum ikev2_err nonce_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	m->nonce.len = rd_left(b);
	m->nonce.data = rd_bytes(b, m->nonce.len);
	if (m->nonce.len < IKEV2_NONCE_MIN || m->nonce.len > IKEV2_NONCE_MAX)
		return IKEV2_ERR_BAD_NONCE;
	m->has_nonce = true;
	return IKEV2_OK;
}

/* ---- N, D, V ---- */

/* RFC 7296 3.10: an empty SPI makes the Protocol ID meaningless ("MUST be ignored"). */
static enum ikev2_err notify_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	struct ikev2_notify *n;

	(void)c;
	if (m->nnotify == IKEV2_MAX_NOTIFY)
		return IKEV2_ERR_TOO_MANY;
	n = &m->notify[m->nnotify];
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	n->proto = rd_u8(b);
	n->spi_size = rd_u8(b);
	n->type = rd_u16(b);
	if (n->spi_size && !spi_size_ok(n->proto, n->spi_size))
		return IKEV2_ERR_BAD_SPI_SIZE;
	n->spi = n->spi_size ? rd_bytes(b, n->spi_size) : NULL;
	if (!rd_ok(b))
		return IKEV2_ERR_BAD_LENGTH;
	n->len = rd_left(b);
	n->data = rd_bytes(b, n->len);
	m->nnotify++;
	return IKEV2_OK;
}

/* RFC 7296 3.11: deleting the IKE SA names no SPI; ESP/AH name 4-octet SPIs. */
static enum ikev2_err delete_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	struct ikev2_delete *d;

	(void)c;
	if (m->ndelete == IKEV2_MAX_DELETE)
		return IKEV2_ERR_TOO_MANY;
	d = &m->del[m->ndelete];
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	d->proto = rd_u8(b);
	d->spi_size = rd_u8(b);
	d->nspi = rd_u16(b);
	if (d->proto == IKEV2_PROTO_IKE) {
		if (d->spi_size || d->nspi)
			return IKEV2_ERR_BAD_SPI_SIZE;
	} else if (d->proto == IKEV2_PROTO_AH || d->proto == IKEV2_PROTO_ESP) {
		if (d->spi_size != 4)
			return IKEV2_ERR_BAD_SPI_SIZE;
	} else {
		return IKEV2_ERR_BAD_PAYLOAD;
	}
	if (rd_left(b) != (size_t)d->nspi * d->spi_size)
		return IKEV2_ERR_BAD_LENGTH;
	d->spis = rd_bytes(b, rd_left(b));
	m->ndelete++;
	return IKEV2_OK;
}

/* RFC 7296 3.12 */
static enum ikev2_err vendor_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	struct ikev2_vendor *v;

	(void)c;
	if (m->nvendor == IKEV2_MAX_VENDOR)
		return IKEV2_ERR_TOO_MANY;
	v = &m->vendor[m->nvendor++];
	v->len = rd_left(b);
	v->data = rd_bytes(b, v->len);
	return IKEV2_OK;
}

/* ---- TSi, TSr ---- */

/* RFC 7296 3.13.1: start <= end for addresses and ports, except the OPAQUE port range,
 * which is written as start 65535, end 0. */
static enum ikev2_err ts_one_parse(struct rd *b, struct ikev2_ts *ts)
{
	uint16_t sel_len;
	size_t alen;

	if (rd_left(b) < 8)
		return IKEV2_ERR_TRUNCATED;
	ts->type = rd_u8(b);
	ts->ip_proto = rd_u8(b);
	sel_len = rd_u16(b);
	ts->start_port = rd_u16(b);
	ts->end_port = rd_u16(b);
	if (ts->type == IKEV2_TS_IPV4_ADDR_RANGE)
		alen = 4;
	else if (ts->type == IKEV2_TS_IPV6_ADDR_RANGE)
		alen = 16;
	else
		return IKEV2_ERR_BAD_TS;
	if (sel_len != 8 + 2 * alen || rd_left(b) < 2 * alen)
		return IKEV2_ERR_BAD_LENGTH;
	ts->start = rd_bytes(b, alen);
	ts->end = rd_bytes(b, alen);
	if (memcmp(ts->start, ts->end, alen) > 0)
		return IKEV2_ERR_BAD_TS;
	if (ts->start_port > ts->end_port && !(ts->start_port == 65535 && ts->end_port == 0))
		return IKEV2_ERR_BAD_TS;
	return IKEV2_OK;
}

static enum ikev2_err ts_parse(struct rd *b, struct ikev2_ts_list *l)
{
	enum ikev2_err err;
	uint8_t n;

	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	n = rd_u8(b);
	rd_skip(b, 3);
	if (n == 0)
		return IKEV2_ERR_BAD_TS;
	if (n > IKEV2_MAX_TS)
		return IKEV2_ERR_TOO_MANY;
	for (l->nts = 0; l->nts < n; l->nts++) {
		err = ts_one_parse(b, &l->ts[l->nts]);
		if (err)
			return err;
	}
	return rd_left(b) ? IKEV2_ERR_BAD_LENGTH : IKEV2_OK;
}

static enum ikev2_err tsi_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	m->has_tsi = true;
	return ts_parse(b, &m->tsi);
}

static enum ikev2_err tsr_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	(void)c;
	m->has_tsr = true;
	return ts_parse(b, &m->tsr);
}

/* ---- CP ---- */

/* RFC 7296 3.15 */
static enum ikev2_err cp_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	struct ikev2_cp *cp = &m->cp;

	(void)c;
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	cp->cfg_type = rd_u8(b);
	rd_skip(b, 3);
	if (cp->cfg_type < IKEV2_CFG_REQUEST || cp->cfg_type > IKEV2_CFG_ACK)
		return IKEV2_ERR_BAD_PAYLOAD;
	for (cp->nattr = 0; rd_left(b); cp->nattr++) {
		struct ikev2_cp_attr *a = &cp->attr[cp->nattr];

		if (cp->nattr == IKEV2_MAX_CP_ATTRS)
			return IKEV2_ERR_TOO_MANY;
		if (rd_left(b) < 4)
			return IKEV2_ERR_BAD_ATTR;
		a->type = rd_u16(b) & 0x7fff;
		a->len = rd_u16(b);
		a->value = rd_bytes(b, a->len);
		if (!rd_ok(b))
			return IKEV2_ERR_BAD_ATTR;
	}
	m->has_cp = true;
	return IKEV2_OK;
}

/* ---- SK, SKF ---- */

/* RFC 7296 3.14: the body stays opaque until the crypto layer has checked it. */
static enum ikev2_err sk_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	if (!rd_left(b))
		return IKEV2_ERR_BAD_PAYLOAD;
	m->sk.first = c->next;
	m->sk.pld_off = c->off;
	m->sk.body_off = c->off + IKEV2_PLD_HDR_LEN;
	m->sk.body_len = rd_left(b);
	m->sk.aad_len = m->sk.body_off;
	m->has_sk = true;
	rd_skip(b, rd_left(b));
	return IKEV2_OK;
}

/* RFC 7383 2.5: fragments are numbered 1 .. Total Fragments. */
static enum ikev2_err skf_parse(struct ikev2_msg *m, struct rd *b, const struct pctx *c)
{
	if (rd_left(b) < 4)
		return IKEV2_ERR_TRUNCATED;
	m->sk.frag_num = rd_u16(b);
	m->sk.frag_total = rd_u16(b);
	if (!m->sk.frag_num || m->sk.frag_num > m->sk.frag_total)
		return IKEV2_ERR_BAD_FRAGMENT;
	if (!rd_left(b))
		return IKEV2_ERR_BAD_PAYLOAD;
	m->sk.first = c->next;
	m->sk.pld_off = c->off;
	m->sk.body_off = c->off + IKEV2_SKF_HDR_LEN;
	m->sk.body_len = rd_left(b);
	m->sk.aad_len = m->sk.body_off;
	m->has_skf = true;
	rd_skip(b, rd_left(b));
	return IKEV2_OK;
}

/* ---- the chain ---- */

static bool seen(const struct ikev2_msg *m, uint8_t type)
{
	unsigned i;

	for (i = 0; i < m->npld; i++)
		if (m->pld[i].type == type)
			return true;
	return false;
}

/* RFC 7296 3.2: read one generic header and cut out the body, with the three length checks. */
static enum ikev2_err pld_next(struct rd *r, struct pctx *c, struct rd *body, uint8_t *flags)
{
	uint16_t len;

	c->off = r->off;
	if (rd_left(r) < IKEV2_PLD_HDR_LEN) /* room for the generic header */
		return IKEV2_ERR_TRUNCATED;
	c->next = rd_u8(r);
	*flags = rd_u8(r);
	len = rd_u16(r);
	if (len < IKEV2_PLD_HDR_LEN) /* the declared length covers the header */
		return IKEV2_ERR_BAD_LENGTH;
	if (len - (size_t)IKEV2_PLD_HDR_LEN > rd_left(r)) /* it fits in what is left */
		return IKEV2_ERR_BAD_LENGTH;
	rd_sub(r, len - IKEV2_PLD_HDR_LEN, body);
	return IKEV2_OK;
}

/* One payload of type `type` at the reader's position; *next gets its Next Payload. */
static enum ikev2_err pld_walk_one(struct ikev2_msg *m, struct rd *r, uint8_t type, bool inner,
				   uint8_t *next)
{
	const struct pld_info *pi = pld_lookup(type);
	struct pctx c = { .inner = inner };
	struct ikev2_pld *p;
	enum ikev2_err err;
	struct rd body;
	uint8_t flags;

	err = pld_next(r, &c, &body, &flags);
	m->err_off = c.off;
	if (err)
		return err;
	*next = c.next;
	if (m->npld == IKEV2_MAX_PAYLOADS)
		return IKEV2_ERR_TOO_MANY;
	p = &m->pld[m->npld];
	/* RFC 7296 3.2: only a payload we do not understand is judged by its critical bit. */
	if (!pi && (flags & IKEV2_PLD_CRITICAL))
		return IKEV2_ERR_CRITICAL;
	if (pi && !(pi->where & (inner ? IKEV2_WHERE_INNER : IKEV2_WHERE_OUTER)))
		return IKEV2_ERR_NOT_ALLOWED;
	if (pi && pi->once && seen(m, type))
		return IKEV2_ERR_DUPLICATE;
	p->type = type;
	p->critical = flags & IKEV2_PLD_CRITICAL;
	p->inner = inner;
	p->known = pi != NULL;
	p->off = c.off;
	p->body = rd_ptr(&body);
	p->body_len = rd_left(&body);
	m->npld++;
	return pi ? pi->parse(m, &body, &c) : IKEV2_OK;
}

static enum ikev2_err chain_walk(struct ikev2_msg *m, struct rd *r, uint8_t first, bool inner)
{
	uint8_t type = first, next = IKEV2_PLD_NONE;
	enum ikev2_err err;

	while (type != IKEV2_PLD_NONE) {
		m->err_type = type;
		err = pld_walk_one(m, r, type, inner, &next);
		if (err)
			return err;
		/* RFC 7296 3.14: SK is the last payload; its Next Payload names the first inner
		 * one. */
		if (type == IKEV2_PLD_SK || type == IKEV2_PLD_SKF)
			return rd_left(r) ? IKEV2_ERR_SK_NOT_LAST : IKEV2_OK;
		type = next;
	}
	m->err_type = IKEV2_PLD_NONE;
	return rd_left(r) ? IKEV2_ERR_BAD_LENGTH : IKEV2_OK;
}

/* RFC 7296 3.1 */
enum ikev2_err ikev2_hdr_parse(const uint8_t *buf, size_t len, struct ikev2_hdr *h)
{
	struct rd r;
	uint8_t ver;

	memset(h, 0, sizeof(*h));
	rd_init(&r, buf, len);
	if (len < IKEV2_HDR_LEN)
		return IKEV2_ERR_TRUNCATED;
	h->ispi = rd_u64(&r);
	h->rspi = rd_u64(&r);
	h->next = rd_u8(&r);
	ver = rd_u8(&r);
	h->major = ver >> 4;
	h->minor = ver & 0x0f;
	h->exchange = rd_u8(&r);
	h->flags = rd_u8(&r);
	h->msgid = rd_u32(&r);
	h->length = rd_u32(&r);
	/* RFC 7296 2.5: the version is judged first, its answer is INVALID_MAJOR_VERSION. */
	if (h->major != IKEV2_MAJOR)
		return IKEV2_ERR_BAD_VERSION;
	if (h->length != len)
		return IKEV2_ERR_BAD_LENGTH;
	return IKEV2_OK;
}

enum ikev2_err ikev2_msg_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	enum ikev2_err err;
	struct rd r;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	err = ikev2_hdr_parse(buf, len, &m->hdr);
	if (err)
		return err;
	rd_init(&r, buf, len);
	rd_skip(&r, IKEV2_HDR_LEN);
	return chain_walk(m, &r, m->hdr.next, false);
}

enum ikev2_err ikev2_inner_parse(const uint8_t *buf, size_t len, uint8_t first, struct ikev2_msg *m)
{
	struct rd r;

	rd_init(&r, buf, len);
	return chain_walk(m, &r, first, true);
}

uint16_t ikev2_err_notify(enum ikev2_err err)
{
	switch (err) {
	case IKEV2_OK:
		return 0;
	case IKEV2_ERR_BAD_VERSION:
		return IKEV2_N_INVALID_MAJOR_VERSION;
	case IKEV2_ERR_CRITICAL:
		return IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD;
	default:
		return IKEV2_N_INVALID_SYNTAX;
	}
}
