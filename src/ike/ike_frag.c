/* IKEv2 message fragmentation (RFC 7383); see ike_frag.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/log.h"
#include "lib/rw.h"
#include "lib/util.h"

#define IKE_HDR_LEN_OFF 24 /* RFC 7296 3.1: the Length field of the IKE header */
#define NON_ESP_MARKER	4  /* RFC 3948 2.2 */

/* ---- configuration and negotiation ---- */

/* The daemon fills cfg.frag_size / no_frag from esprit.conf (ike-fragment-size,
 * ike-fragmentation) or its environment overrides. */
void ike_frag_config(struct ike *ike)
{
	unsigned sz = ike->cfg.frag_size;

	if (sz && sz < IKE_FRAG_SIZE_MIN)
		sz = IKE_FRAG_SIZE_MIN;
	ike->frag_size = (uint16_t)sz;
	ike->frag_off = ike->cfg.no_frag;
}

/* RFC 7383 2.3: an empty notify, Protocol ID and SPI Size 0. */
void ike_frag_put_supported(struct ike_xsa *x, struct ikev2_wr *b)
{
	struct ikev2_notify n = { .type = IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED };

	if (x->sa->role == IKE_ROLE_INITIATOR)
		x->frag.ours = !x->ike->frag_off;
	if (x->frag.ours)
		ikev2_put_notify(b, &n);
}

void ike_frag_note_request(struct ike_xsa *x, const struct ikev2_msg *m)
{
	x->frag.peer = ike_notify_find(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	/* RFC 7383 2.3: the responder answers with the notify only if the initiator sent it */
	x->frag.ours = x->frag.peer && !x->ike->frag_off;
}

void ike_frag_note_response(struct ike_xsa *x, const struct ikev2_msg *m)
{
	x->frag.peer = ike_notify_find(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	if (ike_frag_enabled(x))
		log_info("IKE: peer supports IKEv2 fragmentation (RFC 7383), fragment size %zu",
			 ike_frag_size(x));
}

void ike_frag_inherit(struct ike_xsa *nx, const struct ike_xsa *old)
{
	nx->frag.ours = old->frag.ours;
	nx->frag.peer = old->frag.peer;
}

bool ike_frag_enabled(const struct ike_xsa *x)
{
	return x->frag.ours && x->frag.peer;
}

size_t ike_frag_size(const struct ike_xsa *x)
{
	if (x->ike->frag_size)
		return x->ike->frag_size;
	return x->remote.addr.af == AF_INET6 ? IKE_FRAG_SIZE_V6 : IKE_FRAG_SIZE_V4;
}

/* IP and UDP headers, and the non-ESP marker on port 4500 (RFC 3948 2.2). */
static size_t path_overhead(const struct ike_xsa *x)
{
	size_t o = (x->remote.addr.af == AF_INET6 ? 40 : 20) + 8;

	if (x->local.port == IKE_NATT_PORT || x->remote.port == IKE_NATT_PORT)
		o += NON_ESP_MARKER;
	return o;
}

/* ---- sending ---- */

/* Inner payload octets one fragment carries: the rest of the datagram after the IKE header,
 * the SKF header, IV and ICV, rounded down so that data + padding + Pad Length fill whole
 * cipher blocks (RFC 7296 3.14). 0 if the size leaves no room. */
static size_t frag_chunk(const struct ike_xsa *x)
{
	const struct ike_sk *s = &x->sk_out;
	size_t fixed =
		path_overhead(x) + IKEV2_HDR_LEN + IKEV2_SKF_HDR_LEN + s->iv_len + s->icv_len;
	size_t size = ike_frag_size(x), room;

	if (size <= fixed + s->block)
		return 0;
	room = (size - fixed) / s->block * s->block;
	return room - 1;
}

/* Write fragment num of total, carrying plain[0, n), at tx + *off. */
static int frag_write(struct ike_xsa *x, const struct ikev2_hdr *h, uint16_t num, uint16_t total,
		      uint8_t first, const uint8_t *plain, size_t n, size_t *off)
{
	struct ike *ike = x->ike;
	struct ike_sk_msg fm;
	struct ikev2_wr b;
	enum ike_sk_err e;
	size_t flen;

	ikev2_wr_init(&b, ike->tx + *off, sizeof(ike->tx) - *off, h);
	e = ike_sk_begin_skf(&x->sk_out, &b, num, total, &fm);
	if (e == IKE_SK_OK) {
		wr_bytes(&fm.inner.w, plain, n);
		/* RFC 7383 2.5: Next Payload is the first inner payload in fragment 1, else 0 */
		e = ike_sk_end_first(&x->sk_out, &fm, num == 1 ? first : IKEV2_PLD_NONE, &flen);
	}
	if (e != IKE_SK_OK) {
		log_warn("IKE: cannot protect fragment %u/%u: %s", num, total, ike_sk_err_name(e));
		return -EIO;
	}
	*off += flen;
	return 0;
}

static int frag_split(struct ike_xsa *x, struct ike_sk_msg *sm, size_t plain_len, size_t *len)
{
	struct ike *ike = x->ike;
	uint8_t *plain = ike->frag_out;
	size_t chunk = frag_chunk(x), total, off = 0, done = 0;
	struct ikev2_hdr h;
	int rc = 0;

	/* the header's Length is not patched yet: only that may be "wrong" */
	if (!chunk || sm->sk.pld_off != IKEV2_HDR_LEN || plain_len > sizeof(ike->frag_out) ||
	    (ikev2_hdr_parse(ike->tx, IKEV2_HDR_LEN, &h) != IKEV2_OK && h.major != IKEV2_MAJOR))
		return -EINVAL;
	total = (plain_len + chunk - 1) / chunk;
	if (total > IKE_FRAG_MAX) {
		log_warn("IKE: message of %zu octets needs %zu fragments (at most %d)", plain_len,
			 total, IKE_FRAG_MAX);
		return -EMSGSIZE;
	}
	memcpy(plain, ike->tx + sm->sk.body_off + x->sk_out.iv_len, plain_len);
	for (uint16_t i = 1; i <= total && !rc; i++) {
		size_t n = plain_len - done < chunk ? plain_len - done : chunk;

		rc = frag_write(x, &h, i, (uint16_t)total, sm->inner.first, plain + done, n, &off);
		done += n;
	}
	wipe(plain, plain_len);
	if (rc)
		return rc;
	ike->st.frag_sent += total;
	log_debug("IKE: %s message %u in %zu fragments of at most %zu octets",
		  ikev2_exchange_name(h.exchange), h.msgid, total, ike_frag_size(x));
	*len = off;
	return 0;
}

int ike_frag_seal(struct ike_xsa *x, struct ike_sk_msg *sm, size_t *len)
{
	const struct ike_sk *s = &x->sk_out;
	enum ike_sk_err e;
	size_t plain_len, whole;

	*len = 0;
	if (ikev2_wr_finish(&sm->inner, &plain_len) != IKEV2_OK)
		return -ENOSPC;
	whole = sm->sk.pld_off + ike_sk_overhead(s, plain_len, false) + plain_len;
	/* RFC 7383 2.5: only a message that would not fit is fragmented */
	if (ike_frag_enabled(x) && whole + path_overhead(x) > ike_frag_size(x))
		return frag_split(x, sm, plain_len, len);
	e = ike_sk_protect(&x->sk_out, sm->buf, sm->cap, &sm->sk, sm->inner.first, plain_len, len);
	if (e != IKE_SK_OK) {
		log_warn("IKE: cannot protect message: %s", ike_sk_err_name(e));
		return -EIO;
	}
	return 0;
}

void ike_frag_send_all(struct ike *ike, const struct ike_endpoint *local,
		       const struct ike_endpoint *remote, const uint8_t *msg, size_t len)
{
	size_t one;

	while (len >= IKEV2_HDR_LEN) {
		one = get_be32(msg + IKE_HDR_LEN_OFF);
		if (one < IKEV2_HDR_LEN || one >= len)
			break;
		ike->io.send(ike->io.arg, local, remote, msg, one);
		msg += one;
		len -= one;
	}
	if (len)
		ike->io.send(ike->io.arg, local, remote, msg, len);
}

/* ---- receiving ---- */

void ike_frag_clear(struct ike_frag *f)
{
	if (f->rx) {
		wipe(f->rx, sizeof(*f->rx));
		free(f->rx);
		f->rx = NULL;
	}
}

static int frag_drop(struct ike_xsa *x, const struct ikev2_msg *m, const char *why)
{
	x->ike->st.frag_dropped++;
	log_ratelimited(LOG_LVL_INFO, "IKE %s %u: fragment %u/%u dropped: %s",
			ikev2_exchange_name(m->hdr.exchange), m->hdr.msgid, m->sk.frag_num,
			m->sk.frag_total, why);
	return -EBADMSG;
}

/* Checks that need no key and change nothing. NULL or why the fragment is refused; *dup set
 * for a fragment already held. */
static const char *frag_precheck(const struct ike_xsa *x, const struct ikev2_msg *m, bool *dup)
{
	const struct ike_frag_rx *r = x->frag.rx;
	bool resp = m->hdr.flags & IKEV2_FLAG_R;

	*dup = false;
	if (!x->keyed)
		return "no keys yet";
	if (!x->frag.ours)
		return "fragmentation not negotiated";
	if (!m->sk.frag_num || m->sk.frag_num > m->sk.frag_total)
		return "fragment number out of range";
	if (m->sk.frag_total > IKE_FRAG_MAX)
		return "too many fragments";
	if (!r || r->msgid != m->hdr.msgid || r->response != resp ||
	    x->ike->now - r->started_ms > IKE_FRAG_TIMEOUT_MS)
		return NULL;
	/* RFC 7383 2.6: a smaller Total Fragments than the set held is stale */
	if (m->sk.frag_total < r->total)
		return "fewer fragments than the set being reassembled";
	*dup = m->sk.frag_total == r->total && r->have[m->sk.frag_num];
	return NULL;
}

/* Start a set for m's message unless the one held is it; 0 or -ENOMEM. */
static int frag_set(struct ike_xsa *x, const struct ikev2_msg *m)
{
	struct ike_frag_rx *r = x->frag.rx;
	bool resp = m->hdr.flags & IKEV2_FLAG_R;

	if (r && r->msgid == m->hdr.msgid && r->response == resp && r->total == m->sk.frag_total &&
	    x->ike->now - r->started_ms <= IKE_FRAG_TIMEOUT_MS)
		return 0;
	if (r && r->nrecv) /* another message, a larger total or too old: start over */
		x->ike->st.frag_dropped += r->nrecv;
	if (!r) {
		r = malloc(sizeof(*r));
		if (!r)
			return -ENOMEM;
		x->frag.rx = r;
	}
	r->msgid = m->hdr.msgid;
	r->response = resp;
	r->total = m->sk.frag_total;
	r->nrecv = 0;
	r->first = IKEV2_PLD_NONE;
	r->started_ms = x->ike->now;
	r->used = 0;
	memset(r->have, 0, sizeof(r->have));
	return 0;
}

/* All fragments are here: the inner payloads in order into ike->frag_in, parsed into m. */
static int frag_complete(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	struct ike_frag_rx *r = x->frag.rx;
	enum ikev2_err pe;
	size_t n = 0;

	for (uint16_t i = 1; i <= r->total; i++) {
		memcpy(ike->frag_in + n, r->buf + r->off[i], r->len[i]);
		n += r->len[i];
	}
	pe = ikev2_inner_parse(ike->frag_in, n, r->first, m);
	ike_frag_clear(&x->frag);
	if (pe != IKEV2_OK) {
		log_ratelimited(LOG_LVL_INFO, "IKE %s %u: bad inner payloads after reassembly: %s",
				ikev2_exchange_name(m->hdr.exchange), m->hdr.msgid,
				ikev2_err_name(pe));
		return -EBADMSG;
	}
	ike->st.frag_reassembled++;
	return 0;
}

int ike_frag_input(struct ike_xsa *x, struct ikev2_msg *m, size_t len)
{
	struct ike *ike = x->ike;
	struct ike_sk_plain p;
	struct ike_frag_rx *r;
	enum ike_sk_err e;
	const char *why;
	bool dup;

	why = frag_precheck(x, m, &dup);
	if (why)
		return frag_drop(x, m, why);
	if (dup)
		return -EINPROGRESS; /* RFC 7383 2.6: duplicates are ignored */
	/* RFC 7383 2.6: each fragment is verified before it is kept */
	e = ike_sk_open(&x->sk_in, ike->rx, len, &m->sk, &p);
	if (e != IKE_SK_OK)
		return frag_drop(x, m, ike_sk_err_name(e));
	if (frag_set(x, m))
		return frag_drop(x, m, "out of memory");
	r = x->frag.rx;
	if (r->used + p.len > sizeof(r->buf)) {
		x->ike->st.frag_dropped += r->nrecv;
		ike_frag_clear(&x->frag);
		return frag_drop(x, m, "reassembled message too large");
	}
	memcpy(r->buf + r->used, ike->rx + p.off, p.len);
	r->off[m->sk.frag_num] = (uint16_t)r->used;
	r->len[m->sk.frag_num] = (uint16_t)p.len;
	r->have[m->sk.frag_num] = true;
	r->used += p.len;
	r->nrecv++;
	if (m->sk.frag_num == 1)
		r->first = p.first;
	ike->st.frag_received++;
	if (r->nrecv < r->total)
		return -EINPROGRESS;
	return frag_complete(x, m);
}

bool ike_frag_resend_ok(const struct ikev2_msg *m)
{
	return !m->has_skf || m->sk.frag_num == 1;
}
