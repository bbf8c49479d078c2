/* libFuzzer harness for the IKEv2 message parser (src/wire/ikev2.c) with a round-trip property.
 *
 * Input: byte 0 selects the mode, the rest is the data.
 *   even: the data is one datagram for ikev2_msg_parse(). If it also carries an SK or SKF
 *     payload, its body is then walked as if it were the decrypted inner chain, so the inner
 *     parser is reached without crypto.
 *   odd: byte 1 is the first payload type and the rest a bare inner chain for
 *     ikev2_inner_parse() (the plaintext of an SK payload).
 * Whatever parses must write back (ikev2_msg_build / ikev2_inner_build), the written octets
 * must parse again to the same content, and writing that again must give the same octets:
 * parse . build is a fixed point after one normalisation (reserved bits, critical bits of
 * known payloads and unknown transform attributes are not kept). Every pointer the parser
 * returns must lie inside the input. Seeds in fuzz/corpus/ike are made by the builder
 * (test_ikev2 --write-seeds) plus strongSwan's IKE_SA_INIT.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "wire/ikev2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ikev2_msg m1, m2, m3;
static uint8_t out1[65536 + 64], out2[65536 + 64];

/* p[0, n) must lie inside [base, base + len). */
static void in_buf(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	if (!n)
		return;
	CHECK(p != NULL);
	CHECK(p >= base && n <= len && (size_t)(p - base) <= len - n);
}

static void ts_in_buf(const struct ikev2_ts *ts, const uint8_t *base, size_t len)
{
	size_t al = ts->type == IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 4;

	CHECK(ts->type == IKEV2_TS_IPV4_ADDR_RANGE || ts->type == IKEV2_TS_IPV6_ADDR_RANGE);
	in_buf(ts->start, al, base, len);
	in_buf(ts->end, al, base, len);
	CHECK(ts->end == ts->start + al);
}

/* Every pointer of a message parsed from [base, base + len) points into it. */
static void ptrs_check(const struct ikev2_msg *m, const uint8_t *base, size_t len)
{
	unsigned i, j;

	for (i = 0; i < m->npld; i++)
		in_buf(m->pld[i].body, m->pld[i].body_len, base, len);
	for (i = 0; m->has_sa && i < m->sa.nprop; i++)
		in_buf(m->sa.prop[i].spi, m->sa.prop[i].spi_size, base, len);
	if (m->has_ke)
		in_buf(m->ke.data, m->ke.len, base, len);
	if (m->has_nonce)
		in_buf(m->nonce.data, m->nonce.len, base, len);
	if (m->has_idi)
		in_buf(m->idi.body, m->idi.body_len, base, len);
	if (m->has_idr)
		in_buf(m->idr.data, m->idr.len, base, len);
	if (m->has_auth)
		in_buf(m->auth.data, m->auth.len, base, len);
	for (i = 0; i < m->nnotify; i++) {
		in_buf(m->notify[i].spi, m->notify[i].spi_size, base, len);
		in_buf(m->notify[i].data, m->notify[i].len, base, len);
	}
	for (i = 0; i < m->nvendor; i++)
		in_buf(m->vendor[i].data, m->vendor[i].len, base, len);
	for (i = 0; i < m->ncert; i++)
		in_buf(m->cert[i].data, m->cert[i].len, base, len);
	for (i = 0; i < m->ncertreq; i++)
		in_buf(m->certreq[i].data, m->certreq[i].len, base, len);
	for (i = 0; i < m->ndelete; i++)
		in_buf(m->del[i].spis, (size_t)m->del[i].nspi * m->del[i].spi_size, base, len);
	for (i = 0; m->has_tsi && i < m->tsi.nts; i++)
		ts_in_buf(&m->tsi.ts[i], base, len);
	for (i = 0; m->has_tsr && i < m->tsr.nts; i++)
		ts_in_buf(&m->tsr.ts[i], base, len);
	for (i = 0; m->has_cp && i < m->cp.nattr; i++)
		in_buf(m->cp.attr[i].value, m->cp.attr[i].len, base, len);
	for (i = 0; m->has_sa && i < m->sa.nprop; i++)
		for (j = 0; j < m->sa.prop[i].nxf; j++)
			CHECK(m->sa.prop[i].xf[j].has_key_len || !m->sa.prop[i].xf[j].key_bits);
	if (m->has_sk || m->has_skf) {
		CHECK(m->sk.body_off == m->sk.aad_len);
		CHECK(m->sk.body_off + m->sk.body_len == len);
		CHECK(m->sk.pld_off + (m->has_skf ? 8u : 4u) == m->sk.body_off);
	}
}

static void bytes_eq(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	CHECK(an == bn);
	CHECK(!an || !memcmp(a, b, an));
}

static void sa_eq(const struct ikev2_sa *a, const struct ikev2_sa *b)
{
	unsigned i, j;

	CHECK(a->nprop == b->nprop);
	for (i = 0; i < a->nprop; i++) {
		const struct ikev2_proposal *p = &a->prop[i], *q = &b->prop[i];

		CHECK(p->num == q->num && p->proto == q->proto && p->nxf == q->nxf);
		bytes_eq(p->spi, p->spi_size, q->spi, q->spi_size);
		for (j = 0; j < p->nxf; j++) {
			CHECK(p->xf[j].type == q->xf[j].type && p->xf[j].id == q->xf[j].id);
			CHECK(p->xf[j].has_key_len == q->xf[j].has_key_len);
			CHECK(p->xf[j].key_bits == q->xf[j].key_bits);
		}
	}
}

static void ts_eq(const struct ikev2_ts_list *a, const struct ikev2_ts_list *b)
{
	unsigned i;

	CHECK(a->nts == b->nts);
	for (i = 0; i < a->nts; i++) {
		const struct ikev2_ts *s = &a->ts[i], *t = &b->ts[i];
		size_t al = s->type == IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 4;

		CHECK(s->type == t->type && s->ip_proto == t->ip_proto);
		CHECK(s->start_port == t->start_port && s->end_port == t->end_port);
		bytes_eq(s->start, al, t->start, al);
		bytes_eq(s->end, al, t->end, al);
	}
}

/* The content two parses share (inner payloads only when inner is true). */
static void msg_eq(const struct ikev2_msg *a, const struct ikev2_msg *b, bool inner)
{
	unsigned i, na = 0, nb = 0;

	for (i = 0; i < a->npld; i++)
		na += a->pld[i].inner == inner;
	for (i = 0; i < b->npld; i++)
		nb += b->pld[i].inner == inner;
	CHECK(na == nb);
	CHECK(a->has_sa == b->has_sa && a->has_ke == b->has_ke && a->has_nonce == b->has_nonce);
	CHECK(a->has_idi == b->has_idi && a->has_idr == b->has_idr && a->has_auth == b->has_auth);
	CHECK(a->has_tsi == b->has_tsi && a->has_tsr == b->has_tsr && a->has_cp == b->has_cp);
	CHECK(a->nnotify == b->nnotify && a->nvendor == b->nvendor && a->ncert == b->ncert);
	CHECK(a->ncertreq == b->ncertreq && a->ndelete == b->ndelete);
	if (a->has_sa)
		sa_eq(&a->sa, &b->sa);
	if (a->has_ke) {
		CHECK(a->ke.group == b->ke.group);
		bytes_eq(a->ke.data, a->ke.len, b->ke.data, b->ke.len);
	}
	if (a->has_nonce)
		bytes_eq(a->nonce.data, a->nonce.len, b->nonce.data, b->nonce.len);
	if (a->has_idi) {
		CHECK(a->idi.type == b->idi.type);
		bytes_eq(a->idi.data, a->idi.len, b->idi.data, b->idi.len);
	}
	if (a->has_idr) {
		CHECK(a->idr.type == b->idr.type);
		bytes_eq(a->idr.data, a->idr.len, b->idr.data, b->idr.len);
	}
	for (i = 0; i < a->nvendor; i++)
		bytes_eq(a->vendor[i].data, a->vendor[i].len, b->vendor[i].data, b->vendor[i].len);
	for (i = 0; i < a->ncert; i++) {
		CHECK(a->cert[i].enc == b->cert[i].enc);
		bytes_eq(a->cert[i].data, a->cert[i].len, b->cert[i].data, b->cert[i].len);
	}
	for (i = 0; i < a->ncertreq; i++) {
		CHECK(a->certreq[i].enc == b->certreq[i].enc);
		bytes_eq(a->certreq[i].data, a->certreq[i].len, b->certreq[i].data,
			 b->certreq[i].len);
	}
	if (a->has_auth) {
		CHECK(a->auth.method == b->auth.method);
		bytes_eq(a->auth.data, a->auth.len, b->auth.data, b->auth.len);
	}
	if (a->has_tsi)
		ts_eq(&a->tsi, &b->tsi);
	if (a->has_tsr)
		ts_eq(&a->tsr, &b->tsr);
	for (i = 0; i < a->nnotify; i++) {
		const struct ikev2_notify *n = &a->notify[i], *o = &b->notify[i];

		CHECK(n->type == o->type && n->proto == o->proto);
		bytes_eq(n->spi, n->spi_size, o->spi, o->spi_size);
		bytes_eq(n->data, n->len, o->data, o->len);
	}
	for (i = 0; i < a->ndelete; i++) {
		const struct ikev2_delete *d = &a->del[i], *e = &b->del[i];

		CHECK(d->proto == e->proto && d->nspi == e->nspi);
		bytes_eq(d->spis, (size_t)d->nspi * d->spi_size, e->spis,
			 (size_t)e->nspi * e->spi_size);
	}
	if (a->has_cp) {
		CHECK(a->cp.cfg_type == b->cp.cfg_type && a->cp.nattr == b->cp.nattr);
		for (i = 0; i < a->cp.nattr; i++) {
			CHECK(a->cp.attr[i].type == b->cp.attr[i].type);
			bytes_eq(a->cp.attr[i].value, a->cp.attr[i].len, b->cp.attr[i].value,
				 b->cp.attr[i].len);
		}
	}
	if (!inner) {
		CHECK(a->hdr.ispi == b->hdr.ispi && a->hdr.rspi == b->hdr.rspi);
		CHECK(a->hdr.next == b->hdr.next && a->hdr.exchange == b->hdr.exchange);
		CHECK(a->hdr.major == b->hdr.major && a->hdr.minor == b->hdr.minor);
		CHECK(a->hdr.flags == b->hdr.flags && a->hdr.msgid == b->hdr.msgid);
		CHECK(a->has_sk == b->has_sk && a->has_skf == b->has_skf);
		CHECK(a->sk.first == b->sk.first && a->sk.body_len == b->sk.body_len);
		CHECK(a->sk.frag_num == b->sk.frag_num && a->sk.frag_total == b->sk.frag_total);
	}
}

static void inner_roundtrip(const uint8_t *p, size_t n, uint8_t first, const struct ikev2_hdr *h)
{
	size_t l1, l2;
	uint8_t f1, f2;

	memset(&m1, 0, sizeof(m1));
	if (h)
		m1.hdr = *h;
	if (ikev2_inner_parse(p, n, first, &m1) != IKEV2_OK)
		return;
	ptrs_check(&m1, p, n);
	CHECK(ikev2_inner_build(&m1, out1, sizeof(out1), &l1, &f1) == IKEV2_OK);
	memset(&m2, 0, sizeof(m2));
	m2.hdr = m1.hdr;
	CHECK(ikev2_inner_parse(out1, l1, f1, &m2) == IKEV2_OK);
	msg_eq(&m1, &m2, true);
	CHECK(ikev2_inner_build(&m2, out2, sizeof(out2), &l2, &f2) == IKEV2_OK);
	CHECK(f1 == f2);
	bytes_eq(out1, l1, out2, l2);
}

static void outer_roundtrip(const uint8_t *p, size_t n)
{
	size_t l1, l2;

	if (ikev2_msg_parse(p, n, &m3) != IKEV2_OK)
		return;
	ptrs_check(&m3, p, n);
	{
		char line[64];

		CHECK(ikev2_msg_describe(&m3, line, sizeof(line)) >= strlen(line));
	}
	CHECK(ikev2_msg_build(&m3, out1, sizeof(out1), &l1) == IKEV2_OK);
	CHECK(ikev2_msg_parse(out1, l1, &m2) == IKEV2_OK);
	msg_eq(&m3, &m2, false);
	CHECK(ikev2_msg_build(&m2, out2, sizeof(out2), &l2) == IKEV2_OK);
	bytes_eq(out1, l1, out2, l2);
	/* The SK body as if it had been decrypted: reach the inner parser without keys. */
	if (m3.has_sk || m3.has_skf)
		inner_roundtrip(p + m3.sk.body_off, m3.sk.body_len, m3.sk.first, &m3.hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 1) {
		if (size >= 2)
			inner_roundtrip(data + 2, size - 2, data[1], NULL);
		return 0;
	}
	outer_roundtrip(data + 1, size - 1);
	return 0;
}
