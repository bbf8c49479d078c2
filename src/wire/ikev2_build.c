/* IKEv2 message building: the payload chain and one writer per payload; see ikev2.h.
 *
 * Each payload is written as open (link the previous Next Payload to this type, reserve the
 * generic header), body, close (patch the length). The writer's own error flag catches a full
 * buffer; b->err catches a payload too long for its 16-bit length.
 */
#include "wire/ikev2.h"

#include <stdint.h>
#include <string.h>

#include "lib/rw.h"

void ikev2_wr_init(struct ikev2_wr *b, uint8_t *buf, size_t cap, const struct ikev2_hdr *h)
{
	memset(b, 0, sizeof(*b));
	wr_init(&b->w, buf, cap);
	b->start = 0;
	b->open_off = SIZE_MAX;
	/* RFC 7296 3.1 */
	wr_u64(&b->w, h->ispi);
	wr_u64(&b->w, h->rspi);
	b->next_off = wr_len(&b->w);
	wr_u8(&b->w, IKEV2_PLD_NONE);
	wr_u8(&b->w, (uint8_t)(h->major << 4 | (h->minor & 0x0f)));
	wr_u8(&b->w, h->exchange);
	wr_u8(&b->w, h->flags);
	wr_u32(&b->w, h->msgid);
	wr_u32(&b->w, 0); /* patched by ikev2_wr_finish */
}

void ikev2_wr_init_inner(struct ikev2_wr *b, uint8_t *buf, size_t cap)
{
	memset(b, 0, sizeof(*b));
	wr_init(&b->w, buf, cap);
	b->inner = true;
	b->next_off = SIZE_MAX;
	b->open_off = SIZE_MAX;
}

void ikev2_pld_open(struct ikev2_wr *b, uint8_t type, bool critical)
{
	size_t off = wr_len(&b->w);

	if (b->open_off != SIZE_MAX)
		ikev2_pld_close(b);
	if (b->next_off == SIZE_MAX)
		b->first = type;
	else if (wr_ok(&b->w))
		b->w.buf[b->next_off] = type;
	wr_u8(&b->w, IKEV2_PLD_NONE);
	wr_u8(&b->w, critical ? IKEV2_PLD_CRITICAL : 0);
	wr_u16(&b->w, 0);
	if (!wr_ok(&b->w))
		return;
	b->next_off = off;
	b->open_off = off;
}

void ikev2_pld_close(struct ikev2_wr *b)
{
	size_t len;

	if (b->open_off == SIZE_MAX)
		return;
	len = wr_len(&b->w) - b->open_off;
	if (len > UINT16_MAX)
		b->err = true;
	else if (wr_ok(&b->w))
		put_be16(b->w.buf + b->open_off + 2, (uint16_t)len);
	b->open_off = SIZE_MAX;
}

enum ikev2_err ikev2_wr_finish(struct ikev2_wr *b, size_t *len)
{
	ikev2_pld_close(b);
	*len = 0;
	if (!wr_ok(&b->w))
		return IKEV2_ERR_NO_SPACE;
	if (b->err || wr_len(&b->w) > UINT32_MAX)
		return IKEV2_ERR_BAD_LENGTH;
	if (!b->inner)
		put_be32(b->w.buf + b->start + 24, (uint32_t)wr_len(&b->w));
	*len = wr_len(&b->w);
	return IKEV2_OK;
}

/* RFC 7296 3.3.2 / 3.3.5: a transform with its KEY_LENGTH attribute, if any. */
static void xform_put(struct wr *w, const struct ikev2_transform *x, bool last)
{
	wr_u8(w, last ? 0 : IKEV2_LAST_XFORM_MORE);
	wr_u8(w, 0);
	wr_u16(w, x->has_key_len ? IKEV2_XFORM_HDR_LEN + 4 : IKEV2_XFORM_HDR_LEN);
	wr_u8(w, x->type);
	wr_u8(w, 0);
	wr_u16(w, x->id);
	if (x->has_key_len) {
		wr_u16(w, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
		wr_u16(w, x->key_bits);
	}
}

/* RFC 7296 3.3.1 */
static void prop_put(struct ikev2_wr *b, const struct ikev2_proposal *p, bool last)
{
	size_t start = wr_len(&b->w), len;
	unsigned i;

	wr_u8(&b->w, last ? 0 : IKEV2_LAST_PROP_MORE);
	wr_u8(&b->w, 0);
	wr_u16(&b->w, 0);
	wr_u8(&b->w, p->num);
	wr_u8(&b->w, p->proto);
	wr_u8(&b->w, p->spi_size);
	wr_u8(&b->w, p->nxf);
	if (p->spi_size)
		wr_bytes(&b->w, p->spi, p->spi_size);
	for (i = 0; i < p->nxf && i < IKEV2_MAX_TRANSFORMS; i++)
		xform_put(&b->w, &p->xf[i], i + 1 == p->nxf);
	len = wr_len(&b->w) - start;
	if (len > UINT16_MAX)
		b->err = true;
	else if (wr_ok(&b->w))
		put_be16(b->w.buf + start + 2, (uint16_t)len);
}

void ikev2_put_sa(struct ikev2_wr *b, const struct ikev2_sa *sa)
{
	unsigned i;

	ikev2_pld_open(b, IKEV2_PLD_SA, false);
	for (i = 0; i < sa->nprop && i < IKEV2_MAX_PROPOSALS; i++)
		prop_put(b, &sa->prop[i], i + 1 == sa->nprop);
	ikev2_pld_close(b);
}

/* RFC 7296 3.4 */
void ikev2_put_ke(struct ikev2_wr *b, const struct ikev2_ke *ke)
{
	ikev2_pld_open(b, IKEV2_PLD_KE, false);
	wr_u16(&b->w, ke->group);
	wr_u16(&b->w, 0);
	wr_bytes(&b->w, ke->data, ke->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.5 */
void ikev2_put_id(struct ikev2_wr *b, uint8_t type, const struct ikev2_id *id)
{
	ikev2_pld_open(b, type, false);
	wr_u8(&b->w, id->type);
	wr_zero(&b->w, 3);
	wr_bytes(&b->w, id->data, id->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.6, 3.7 */
void ikev2_put_cert(struct ikev2_wr *b, uint8_t type, const struct ikev2_cert *c)
{
	ikev2_pld_open(b, type, false);
	wr_u8(&b->w, c->enc);
	wr_bytes(&b->w, c->data, c->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.8 */
void ikev2_put_auth(struct ikev2_wr *b, const struct ikev2_auth *a)
{
	ikev2_pld_open(b, IKEV2_PLD_AUTH, false);
	wr_u8(&b->w, a->method);
	wr_zero(&b->w, 3);
	wr_bytes(&b->w, a->data, a->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.9 */
void ikev2_put_nonce(struct ikev2_wr *b, const struct ikev2_nonce *n)
{
	ikev2_pld_open(b, IKEV2_PLD_NONCE, false);
	wr_bytes(&b->w, n->data, n->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.10 */
void ikev2_put_notify(struct ikev2_wr *b, const struct ikev2_notify *n)
{
	ikev2_pld_open(b, IKEV2_PLD_NOTIFY, false);
	wr_u8(&b->w, n->proto);
	wr_u8(&b->w, n->spi_size);
	wr_u16(&b->w, n->type);
	wr_bytes(&b->w, n->spi, n->spi_size);
	wr_bytes(&b->w, n->data, n->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.11 */
void ikev2_put_delete(struct ikev2_wr *b, const struct ikev2_delete *d)
{
	ikev2_pld_open(b, IKEV2_PLD_DELETE, false);
	wr_u8(&b->w, d->proto);
	wr_u8(&b->w, d->spi_size);
	wr_u16(&b->w, d->nspi);
	wr_bytes(&b->w, d->spis, (size_t)d->nspi * d->spi_size);
	ikev2_pld_close(b);
}

/* RFC 7296 3.12 */
void ikev2_put_vendor(struct ikev2_wr *b, const struct ikev2_vendor *v)
{
	ikev2_pld_open(b, IKEV2_PLD_VENDOR, false);
	wr_bytes(&b->w, v->data, v->len);
	ikev2_pld_close(b);
}

/* RFC 7296 3.13, 3.13.1 */
void ikev2_put_ts(struct ikev2_wr *b, uint8_t type, const struct ikev2_ts_list *l)
{
	unsigned i;

	ikev2_pld_open(b, type, false);
	wr_u8(&b->w, l->nts);
	wr_zero(&b->w, 3);
	for (i = 0; i < l->nts && i < IKEV2_MAX_TS; i++) {
		const struct ikev2_ts *ts = &l->ts[i];
		size_t alen = ts->type == IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 4;

		wr_u8(&b->w, ts->type);
		wr_u8(&b->w, ts->ip_proto);
		wr_u16(&b->w, (uint16_t)(8 + 2 * alen));
		wr_u16(&b->w, ts->start_port);
		wr_u16(&b->w, ts->end_port);
		wr_bytes(&b->w, ts->start, alen);
		wr_bytes(&b->w, ts->end, alen);
	}
	ikev2_pld_close(b);
}

/* RFC 7296 3.15, 3.15.1 */
void ikev2_put_cp(struct ikev2_wr *b, const struct ikev2_cp *cp)
{
	unsigned i;

	ikev2_pld_open(b, IKEV2_PLD_CP, false);
	wr_u8(&b->w, cp->cfg_type);
	wr_zero(&b->w, 3);
	for (i = 0; i < cp->nattr && i < IKEV2_MAX_CP_ATTRS; i++) {
		const struct ikev2_cp_attr *a = &cp->attr[i];

		if (a->len > UINT16_MAX)
			b->err = true;
		wr_u16(&b->w, a->type & 0x7fff);
		wr_u16(&b->w, (uint16_t)a->len);
		wr_bytes(&b->w, a->value, a->len);
	}
	ikev2_pld_close(b);
}

static uint8_t *sk_body_put(struct ikev2_wr *b, size_t body_len, struct ikev2_sk *sk)
{
	uint8_t *body;

	sk->pld_off = b->open_off;
	sk->body_off = wr_len(&b->w);
	sk->body_len = body_len;
	sk->aad_len = sk->body_off;
	body = wr_reserve(&b->w, body_len);
	ikev2_pld_close(b);
	return body;
}

/* RFC 7296 3.14: the generic header's Next Payload is the first inner payload's type. */
uint8_t *ikev2_put_sk(struct ikev2_wr *b, uint8_t first, size_t body_len, struct ikev2_sk *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->first = first;
	ikev2_pld_open(b, IKEV2_PLD_SK, false);
	if (wr_ok(&b->w))
		b->w.buf[b->open_off] = first;
	return sk_body_put(b, body_len, sk);
}

/* RFC 7383 2.5 */
uint8_t *ikev2_put_skf(struct ikev2_wr *b, uint8_t first, uint16_t num, uint16_t total,
		       size_t body_len, struct ikev2_sk *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->first = first;
	sk->frag_num = num;
	sk->frag_total = total;
	ikev2_pld_open(b, IKEV2_PLD_SKF, false);
	if (wr_ok(&b->w))
		b->w.buf[b->open_off] = first;
	wr_u16(&b->w, num);
	wr_u16(&b->w, total);
	return sk_body_put(b, body_len, sk);
}

void ikev2_put_raw(struct ikev2_wr *b, uint8_t type, bool critical, const uint8_t *body, size_t len)
{
	ikev2_pld_open(b, type, critical);
	wr_bytes(&b->w, body, len);
	ikev2_pld_close(b);
}

/* ---- rebuilding a parsed message ---- */

/* Write payload p (the idx-th of its type in m) with its writer. */
static void pld_rebuild(struct ikev2_wr *b, const struct ikev2_msg *m, const struct ikev2_pld *p,
			unsigned idx)
{
	switch (p->known ? p->type : IKEV2_PLD_NONE) {
	case IKEV2_PLD_SA:
		ikev2_put_sa(b, &m->sa);
		break;
	case IKEV2_PLD_KE:
		ikev2_put_ke(b, &m->ke);
		break;
	case IKEV2_PLD_IDI:
		ikev2_put_id(b, p->type, &m->idi);
		break;
	case IKEV2_PLD_IDR:
		ikev2_put_id(b, p->type, &m->idr);
		break;
	case IKEV2_PLD_CERT:
		ikev2_put_cert(b, p->type, &m->cert[idx]);
		break;
	case IKEV2_PLD_CERTREQ:
		ikev2_put_cert(b, p->type, &m->certreq[idx]);
		break;
	case IKEV2_PLD_AUTH:
		ikev2_put_auth(b, &m->auth);
		break;
	case IKEV2_PLD_NONCE:
		ikev2_put_nonce(b, &m->nonce);
		break;
	case IKEV2_PLD_NOTIFY:
		ikev2_put_notify(b, &m->notify[idx]);
		break;
	case IKEV2_PLD_DELETE:
		ikev2_put_delete(b, &m->del[idx]);
		break;
	case IKEV2_PLD_VENDOR:
		ikev2_put_vendor(b, &m->vendor[idx]);
		break;
	case IKEV2_PLD_TSI:
		ikev2_put_ts(b, p->type, &m->tsi);
		break;
	case IKEV2_PLD_TSR:
		ikev2_put_ts(b, p->type, &m->tsr);
		break;
	case IKEV2_PLD_CP:
		ikev2_put_cp(b, &m->cp);
		break;
	default: /* unknown or unsupported: its body as it came */
		ikev2_put_raw(b, p->type, p->critical, p->body, p->body_len);
		break;
	}
}

static uint8_t *sk_rebuild(struct ikev2_wr *b, const struct ikev2_msg *m, uint8_t type)
{
	struct ikev2_sk sk;

	if (type == IKEV2_PLD_SKF)
		return ikev2_put_skf(b, m->sk.first, m->sk.frag_num, m->sk.frag_total,
				     m->sk.body_len, &sk);
	return ikev2_put_sk(b, m->sk.first, m->sk.body_len, &sk);
}

static void chain_rebuild(struct ikev2_wr *b, const struct ikev2_msg *m, bool inner)
{
	uint8_t count[256] = { 0 };
	unsigned i;

	for (i = 0; i < m->npld; i++) {
		const struct ikev2_pld *p = &m->pld[i];
		uint8_t *body;

		if (p->inner != inner)
			continue;
		if (p->known && (p->type == IKEV2_PLD_SK || p->type == IKEV2_PLD_SKF)) {
			body = sk_rebuild(b, m, p->type);
			if (body && m->sk.body_len)
				memcpy(body, m->buf + m->sk.body_off, m->sk.body_len);
			continue;
		}
		pld_rebuild(b, m, p, count[p->type]++);
	}
}

enum ikev2_err ikev2_msg_build(const struct ikev2_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	struct ikev2_wr b;

	ikev2_wr_init(&b, buf, cap, &m->hdr);
	chain_rebuild(&b, m, false);
	return ikev2_wr_finish(&b, len);
}

enum ikev2_err ikev2_inner_build(const struct ikev2_msg *m, uint8_t *buf, size_t cap, size_t *len,
				 uint8_t *first)
{
	struct ikev2_wr b;
	enum ikev2_err err;

	ikev2_wr_init_inner(&b, buf, cap);
	chain_rebuild(&b, m, true);
	err = ikev2_wr_finish(&b, len);
	*first = b.first;
	return err;
}
