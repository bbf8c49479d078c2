/* IKEv2 Message IDs and windows (RFC 7296 2.3). See msgid.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/msgid.h"
#include "lib/util.h"

static const char *const verdict_names[] = {
	[IKE_MSGID_NEW] = "new",
	[IKE_MSGID_RESEND] = "resend",
	[IKE_MSGID_DROP_OLD] = "old",
	[IKE_MSGID_DROP_TOO_NEW] = "too-new",
	[IKE_MSGID_DROP_BUSY] = "busy",
	[IKE_MSGID_MATCH] = "match",
	[IKE_MSGID_DROP_UNSOLICITED] = "unsolicited",
};

const char *ike_msgid_verdict_name(enum ike_msgid_verdict v)
{
	if ((size_t)v < ARRAY_SIZE(verdict_names) && verdict_names[v])
		return verdict_names[v];
	return "?";
}

void ike_msgid_init(struct ike_msgid *m)
{
	memset(m, 0, sizeof(*m));
	/* RFC 7296 2.3: "The default is 1" until SET_WINDOW_SIZE says otherwise. */
	m->tx_window = 1;
	m->rx_window = 1;
}

static void buf_free(struct ike_msg_buf *b)
{
	if (b->b) {
		wipe(b->b, b->cap);
		free(b->b);
	}
	memset(b, 0, sizeof(*b));
}

static int buf_set(struct ike_msg_buf *b, const uint8_t *msg, size_t len)
{
	uint8_t *n;

	if (len > IKE_MSG_CACHE_MAX || (!msg && len))
		return -EMSGSIZE;
	if (len > b->cap) {
		n = malloc(len);
		if (!n)
			return -ENOMEM;
		buf_free(b);
		b->b = n;
		b->cap = len;
	}
	if (len)
		memcpy(b->b, msg, len);
	b->len = len;
	return 0;
}

void ike_msgid_clear(struct ike_msgid *m)
{
	for (size_t i = 0; i < IKE_MSGID_WINDOW_MAX; i++) {
		buf_free(&m->req[i].msg);
		buf_free(&m->resp[i].msg);
	}
	ike_msgid_init(m);
}

int ike_msgid_set_tx_window(struct ike_msgid *m, uint32_t peer_window)
{
	uint32_t w;

	if (!peer_window)
		return -EINVAL;
	w = MIN(peer_window, (uint32_t)IKE_MSGID_WINDOW_MAX);
	if (w < ike_msgid_tx_outstanding(m))
		return -EBUSY;
	/* Outstanding slots are indexed id % IKE_MSGID_WINDOW_MAX: no move needed. */
	m->tx_window = w;
	return 0;
}

int ike_msgid_set_rx_window(struct ike_msgid *m, uint32_t window)
{
	struct ike_resp_slot old[IKE_MSGID_WINDOW_MAX];

	if (!window || window > IKE_MSGID_WINDOW_MAX)
		return -EINVAL;
	if (window < m->rx_window || m->rx_seen)
		return -EBUSY;
	/* With nothing out of order the kept responses are for ids in [rx_base - old window,
	 * rx_base): fewer than the new window, so they land in distinct slots. */
	memcpy(old, m->resp, sizeof(old));
	memset(m->resp, 0, sizeof(m->resp));
	for (size_t i = 0; i < IKE_MSGID_WINDOW_MAX; i++) {
		if (old[i].taken || old[i].msg.b) {
			size_t j = old[i].taken ? old[i].id % window : i;

			/* an unused buffer whose slot is taken is simply freed */
			if (m->resp[j].msg.b)
				buf_free(&old[i].msg);
			else
				m->resp[j] = old[i];
		}
	}
	m->rx_window = window;
	return 0;
}

/* --- our requests --- */

bool ike_msgid_tx_can_send(const struct ike_msgid *m)
{
	/* RFC 7296 2.3: with the peer's window N, request X waits for the responses to all
	 * requests up through X - N. */
	return m->tx_next < IKE_MSGID_END && m->tx_next < m->tx_base + m->tx_window;
}

int ike_msgid_tx_start(struct ike_msgid *m, const uint8_t *msg, size_t len, uint64_t now,
		       uint32_t *id)
{
	struct ike_req_slot *s;
	int rc;

	if (m->tx_next >= IKE_MSGID_END)
		return -EOVERFLOW;
	if (!ike_msgid_tx_can_send(m)) {
		m->st.tx_window_full++;
		return -EAGAIN;
	}
	s = &m->req[m->tx_next % IKE_MSGID_WINDOW_MAX];
	rc = buf_set(&s->msg, msg, len);
	if (rc)
		return rc;
	s->busy = true;
	s->id = (uint32_t)m->tx_next;
	s->sent_ms = now;
	s->deadline_ms = 0;
	s->retransmits = 0;
	*id = s->id;
	m->tx_next++;
	return 0;
}

struct ike_req_slot *ike_msgid_tx_slot(struct ike_msgid *m, uint32_t id)
{
	struct ike_req_slot *s;

	if (id < m->tx_base || id >= m->tx_next)
		return NULL;
	s = &m->req[id % IKE_MSGID_WINDOW_MAX];
	return s->busy && s->id == id ? s : NULL;
}

int ike_msgid_tx_replace(struct ike_msgid *m, uint32_t id, const uint8_t *msg, size_t len,
			 uint64_t now)
{
	struct ike_req_slot *s = ike_msgid_tx_slot(m, id);
	int rc;

	if (!s)
		return -ENOENT;
	rc = buf_set(&s->msg, msg, len);
	if (rc)
		return rc;
	s->sent_ms = now;
	s->deadline_ms = 0;
	s->retransmits = 0;
	return 0;
}

enum ike_msgid_verdict ike_msgid_tx_check(struct ike_msgid *m, uint32_t id)
{
	if (ike_msgid_tx_slot(m, id))
		return IKE_MSGID_MATCH;
	m->st.rx_unsolicited++;
	return IKE_MSGID_DROP_UNSOLICITED;
}

int ike_msgid_tx_done(struct ike_msgid *m, uint32_t id)
{
	struct ike_req_slot *s = ike_msgid_tx_slot(m, id);

	if (!s)
		return -ENOENT;
	s->busy = false;
	s->deadline_ms = 0;
	s->msg.len = 0; /* the buffer is kept for the next request */
	while (m->tx_base < m->tx_next && !m->req[m->tx_base % IKE_MSGID_WINDOW_MAX].busy)
		m->tx_base++;
	return 0;
}

unsigned ike_msgid_tx_outstanding(const struct ike_msgid *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < IKE_MSGID_WINDOW_MAX; i++)
		n += m->req[i].busy;
	return n;
}

/* --- the peer's requests --- */

static struct ike_resp_slot *resp_slot(struct ike_msgid *m, uint32_t id)
{
	return &m->resp[id % m->rx_window];
}

enum ike_msgid_verdict ike_msgid_rx_check(struct ike_msgid *m, uint32_t id,
					  const struct ike_msg_buf **cached)
{
	struct ike_resp_slot *r = resp_slot(m, id);

	if (cached)
		*cached = NULL;
	/* RFC 7296 2.1: a retransmitted request gets the same response again, unprocessed. */
	if (r->taken && r->id == id) {
		if (!r->valid) {
			m->st.rx_busy++;
			return IKE_MSGID_DROP_BUSY;
		}
		m->st.rx_resent++;
		if (cached)
			*cached = &r->msg;
		return IKE_MSGID_RESEND;
	}
	if (id < m->rx_base) {
		m->st.rx_old++;
		return IKE_MSGID_DROP_OLD;
	}
	if (id >= m->rx_base + m->rx_window) {
		m->st.rx_too_new++;
		return IKE_MSGID_DROP_TOO_NEW;
	}
	if (m->rx_seen & (UINT32_C(1) << (id - m->rx_base))) {
		m->st.rx_busy++;
		return IKE_MSGID_DROP_BUSY;
	}
	return IKE_MSGID_NEW;
}

int ike_msgid_rx_commit(struct ike_msgid *m, uint32_t id)
{
	struct ike_resp_slot *r;
	uint64_t k;

	if (id < m->rx_base || id >= m->rx_base + m->rx_window)
		return -EINVAL;
	k = id - m->rx_base;
	if (m->rx_seen & (UINT32_C(1) << k))
		return -EINVAL;
	/* RFC 7296 2.3: the response to r is kept until a request >= r + window arrives; the
	 * slot of id holds r = id - window, if anything. */
	r = resp_slot(m, id);
	if (r->valid)
		wipe(r->msg.b, r->msg.len);
	r->msg.len = 0;
	r->valid = false;
	r->taken = true;
	r->id = id;
	m->rx_seen |= UINT32_C(1) << k;
	while (m->rx_seen & 1) {
		m->rx_seen >>= 1;
		m->rx_base++;
	}
	return 0;
}

int ike_msgid_rx_store_response(struct ike_msgid *m, uint32_t id, const uint8_t *msg, size_t len)
{
	struct ike_resp_slot *r;
	int rc;

	/* committed, and not yet displaced by request id + window (RFC 7296 2.3) */
	r = resp_slot(m, id);
	if (!r->taken || r->id != id)
		return -EINVAL;
	rc = buf_set(&r->msg, msg, len);
	if (rc) {
		r->valid = false;
		return rc;
	}
	r->valid = true;
	r->id = id;
	return 0;
}

bool ike_msgid_should_rekey(const struct ike_msgid *m)
{
	return m->tx_next >= IKE_MSGID_END - IKE_MSGID_REKEY_MARGIN ||
	       m->rx_base >= IKE_MSGID_END - IKE_MSGID_REKEY_MARGIN;
}

bool ike_msgid_exhausted(const struct ike_msgid *m)
{
	return m->tx_next >= IKE_MSGID_END || m->rx_base >= IKE_MSGID_END;
}
