/* IKE_SA_INIT (RFC 7296 1.2, 2.6, 2.7, 2.10, 2.14, 2.23), both roles, and the IKE SA keys.
 *
 *   Initiator                         Responder
 *   HDR, SAi1, KEi, Ni,
 *        N(NAT_DETECTION_*), N(SIGNATURE_HASH_ALGORITHMS)  -->
 *                                <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), N(SIG_HASH)
 *
 * The responder keeps no state for a request it refuses (NO_PROPOSAL_CHOSEN,
 * INVALID_KE_PAYLOAD, COOKIE): those answers are built from the request alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ikekeys.h"
#include "ike/ike_int.h"
#include "ike/ike_timers.h"
#include "ike/sigauth.h"
#include "lib/log.h"
#include "lib/util.h"

#define NATD_LEN 20 /* SHA-1 (RFC 7296 2.23) */

static uint64_t spi_u64(const uint8_t spi[IKE_SPI_LEN])
{
	uint64_t v = 0;

	for (int i = 0; i < IKE_SPI_LEN; i++)
		v = v << 8 | spi[i];
	return v;
}

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | Port). */
static void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ike_endpoint *e,
		      uint8_t out[NATD_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t n = 0;

	memcpy(buf, spi_i, 8);
	memcpy(buf + 8, spi_r, 8);
	n = 16;
	memcpy(buf + n, e->addr.b, ipaddr_len(&e->addr));
	n += ipaddr_len(&e->addr);
	buf[n++] = (uint8_t)(e->port >> 8);
	buf[n++] = (uint8_t)e->port;
	if (!EVP_Digest(buf, n, out, NULL, EVP_sha1(), NULL))
		memset(out, 0, NATD_LEN);
}

/* force: UDP encapsulation is configured without a NAT. A source hash that matches nothing
 * makes the peer see a NAT in front of us, so it encapsulates too (RFC 7296 2.23 allows
 * either end to pretend; strongSwan's encap=yes does the same). */
static void put_natd(struct ikev2_wr *b, const uint8_t spi_i[8], const uint8_t spi_r[8],
		     const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     bool force, uint8_t src[NATD_LEN], uint8_t dst[NATD_LEN])
{
	struct ikev2_notify n = { .len = NATD_LEN };

	if (force)
		ike_rand(src, NATD_LEN);
	else
		natd_hash(spi_i, spi_r, local, src);
	natd_hash(spi_i, spi_r, remote, dst);
	n.type = IKEV2_N_NAT_DETECTION_SOURCE_IP;
	n.data = src;
	ikev2_put_notify(b, &n);
	n.type = IKEV2_N_NAT_DETECTION_DESTINATION_IP;
	n.data = dst;
	ikev2_put_notify(b, &n);
}

/* RFC 7427 4: the hashes we verify signatures with (SHA2-256/384/512, Identity). */
static void put_sig_hash(struct ikev2_wr *b)
{
	uint8_t h[16];
	struct ikev2_notify n = { .type = IKEV2_N_SIGNATURE_HASH_ALGORITHMS, .data = h };

	if (!sigauth_hashes_build(SIGHASH_OURS, h, sizeof(h), &n.len))
		ikev2_put_notify(b, &n);
}

static uint32_t peer_hashes(const struct ikev2_msg *m)
{
	const struct ikev2_notify *n = ike_notify_find(m, IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
	uint32_t mask = 0;

	if (n && sigauth_hashes_parse(n->data, n->len, &mask))
		mask = 0;
	return mask;
}

/* RFC 7296 2.23: a NAT is in front of whoever's hashes do not match. */
/* spi_r: as in the message's header (zero in an IKE_SA_INIT request). */
static void nat_detect(struct ike_xsa *x, const struct ikev2_msg *m, const uint8_t spi_r[8])
{
	uint8_t h[NATD_LEN];
	bool src_seen = false, src_ok = false, dst_seen = false, dst_ok = false;

	for (size_t i = 0; i < m->nnotify; i++) {
		const struct ikev2_notify *n = &m->notify[i];

		if (n->type == IKEV2_N_NAT_DETECTION_SOURCE_IP && n->len == NATD_LEN) {
			src_seen = true;
			natd_hash(x->sa->spi_i, spi_r, &x->remote, h);
			src_ok |= ct_equal(h, n->data, NATD_LEN);
		} else if (n->type == IKEV2_N_NAT_DETECTION_DESTINATION_IP && n->len == NATD_LEN) {
			dst_seen = true;
			natd_hash(x->sa->spi_i, spi_r, &x->local, h);
			dst_ok |= ct_equal(h, n->data, NATD_LEN);
		}
	}
	x->sa->nat_peer = src_seen && !src_ok;
	x->sa->nat_local = dst_seen && !dst_ok;
	if (x->sa->nat_peer || x->sa->nat_local)
		log_info("IKE: NAT detected (%s%s)", x->sa->nat_local ? "in front of us " : "",
			 x->sa->nat_peer ? "in front of the peer" : "");
}

/* ---- keys ---- */

int ike_ike_keys(struct ike_xsa *x, const struct prop *chosen, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		 const uint8_t *sk_d_old, size_t sk_d_len, uint16_t old_prf)
{
	const struct prop_xf *encr = prop_find(chosen, IKEV2_XF_ENCR);
	const struct prop_xf *prf = prop_find(chosen, IKEV2_XF_PRF);
	const struct prop_xf *integ = prop_find(chosen, IKEV2_XF_INTEG);
	const struct prop_xf *dh = prop_find(chosen, IKEV2_XF_DH);
	struct ike_sa_xforms *xf = &x->sa->xf;
	uint8_t seed[PRF_OUT_MAX];
	struct ike_key_lens lens;
	int rc;

	if (!encr || !prf)
		return -EINVAL;
	xf->encr = encr->id;
	xf->encr_bits = encr->key_bits;
	if (!xf->encr_bits && encr->id == ENCR_CHACHA20_POLY1305)
		xf->encr_bits = 256;
	xf->prf = prf->id;
	xf->integ = integ ? integ->id : AUTH_NONE;
	xf->dh = dh ? dh->id : 0;
	rc = ikekeys_lens(xf->prf, xf->encr, xf->encr_bits, xf->integ, &lens);
	if (rc)
		return rc;
	/* RFC 7296 2.14, 2.18 */
	if (sk_d_old)
		rc = ikekeys_skeyseed_rekey(old_prf, sk_d_old, sk_d_len, gir, gir_len, ni, ni_len,
					    nr, nr_len, seed);
	else
		rc = ikekeys_skeyseed(xf->prf, ni, ni_len, nr, nr_len, gir, gir_len, seed);
	if (!rc)
		rc = ikekeys_derive(&x->sa->keys, xf->prf, &lens, seed, ni, ni_len, nr, nr_len,
				    x->sa->spi_i, x->sa->spi_r);
	wipe(seed, sizeof(seed));
	if (rc)
		return rc;
	ike_sk_clear(&x->sk_out);
	ike_sk_clear(&x->sk_in);
	if (ike_sk_init_pair(&x->sk_out, &x->sk_in, xf->encr, xf->encr_bits, xf->integ,
			     &x->sa->keys, x->sa->role == IKE_ROLE_INITIATOR) != IKE_SK_OK)
		return -EIO;
	x->keyed = true;
	return 0;
}

/* ---- initiator ---- */

static int init_build(struct ike_xsa *x, size_t *len)
{
	struct ike *ike = x->ike;
	struct ikev2_hdr h = { 0 };
	uint8_t pub[DH_PUBLIC_MAX], src[NATD_LEN], dst[NATD_LEN];
	static const uint8_t zero[IKE_SPI_LEN];
	struct ikev2_sa wsa;
	struct ikev2_ke ke;
	struct ikev2_nonce n = { .data = x->sa->ni, .len = x->sa->ni_len };
	struct ikev2_wr b;
	size_t publen;

	if (dh_public(x->dh, pub, sizeof(pub), &publen))
		return -EIO;
	h.ispi = spi_u64(x->sa->spi_i);
	h.major = IKEV2_MAJOR;
	h.exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.flags = IKEV2_FLAG_I;
	ikev2_wr_init(&b, ike->tx, sizeof(ike->tx), &h);
	if (x->cookie_len) { /* RFC 7296 2.6: the COOKIE notify comes first */
		struct ikev2_notify c = { .type = IKEV2_N_COOKIE,
					  .data = x->cookie,
					  .len = x->cookie_len };

		ikev2_put_notify(&b, &c);
	}
	prop_to_wire(&x->ike_offer, &wsa);
	ikev2_put_sa(&b, &wsa);
	ke = (struct ikev2_ke){ .group = x->dh_group, .data = pub, .len = publen };
	ikev2_put_ke(&b, &ke);
	ikev2_put_nonce(&b, &n);
	put_natd(&b, x->sa->spi_i, zero, &x->local, &x->remote, ike->cfg.force_encap, src, dst);
	put_sig_hash(&b);
	ike_frag_put_supported(x, &b);
	if (ikev2_wr_finish(&b, len) != IKEV2_OK)
		return -ENOSPC;
	free(x->init_req);
	x->init_req = malloc(*len);
	if (!x->init_req)
		return -ENOMEM;
	memcpy(x->init_req, ike->tx, *len);
	x->init_req_len = *len;
	return 0;
}

int ike_init_start(struct ike *ike, const struct spd_rule *rule, const struct ike_endpoint *local,
		   const struct ike_endpoint *remote, struct ike_xsa **out)
{
	char ra[IPADDR_STRLEN];
	uint8_t spi[IKE_SPI_LEN];
	const uint16_t *groups;
	struct ike_xsa *x;
	size_t ng, len;
	int rc;

	do
		ike_rand(spi, sizeof(spi));
	while (!spi_u64(spi));
	x = ike_xsa_new(ike, IKE_ROLE_INITIATOR, spi, NULL, local, remote);
	if (!x)
		return -ENOMEM;
	x->rule = rule;
	groups = prop_default_groups(&ng);
	x->dh_group = groups[0];
	x->sa->ni_len = IKE_NONCE_LEN;
	ike_rand(x->sa->ni, IKE_NONCE_LEN);
	rc = prop_ike_default(NULL, 0, &x->ike_offer);
	if (!rc)
		rc = dh_new(&x->dh, x->dh_group);
	if (!rc)
		rc = init_build(x, &len);
	if (!rc)
		rc = ike_request_send(x, IKE_REQ_INIT, len);
	if (rc) {
		ike_xsa_kill(x, "cannot start IKE_SA_INIT");
		return rc;
	}
	ike_sa_set_state(x->sa, IKE_ST_INIT_SENT, "IKE_SA_INIT sent");
	log_info("IKE_SA_INIT started with %s for rule %s (%s)", ipaddr_fmt(&remote->addr, ra),
		 rule->name, dh_name(x->dh_group));
	*out = x;
	return 0;
}

/* Send the IKE_SA_INIT request again with another group or a cookie (Message ID 0 stays,
 * RFC 7296 1.2, 2.6). */
static int init_resend(struct ike_xsa *x)
{
	size_t len;
	int rc = init_build(x, &len);

	if (!rc)
		rc = ike_msgid_tx_replace(&x->sa->msgid, 0, x->ike->tx, len, x->ike->now);
	if (!rc)
		rc = ike_timers_request_sent(x->sa, 0, x->ike->now);
	if (!rc)
		ike_send(x, x->ike->tx, len);
	return rc;
}

static bool group_ok(uint16_t g)
{
	size_t n;
	const uint16_t *groups = prop_default_groups(&n);

	for (size_t i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

static void init_fail(struct ike_xsa *x, const char *why)
{
	x->ike->st.negotiation_failures++;
	log_warn("IKE_SA_INIT for rule %s failed: %s", x->rule ? x->rule->name : "-", why);
	ike_xsa_kill(x, why);
}

/* The peer answered with an error or a request to retry. true: handled. */
static bool init_notify(struct ike_xsa *x, const struct ikev2_msg *m)
{
	const struct ikev2_notify *n;
	char why[PROP_WHY_MAX];

	n = ike_notify_find(m, IKEV2_N_COOKIE);
	if (n && !m->has_sa) {
		/* RFC 7296 2.6: retry with the cookie. */
		if (n->len < 1 || n->len > IKE_COOKIE_MAX)
			return false;
		memcpy(x->cookie, n->data, n->len);
		x->cookie_len = n->len;
		x->answered = true;
		log_info("IKE_SA_INIT: peer asks for a COOKIE, retrying");
		if (init_resend(x))
			init_fail(x, "cannot resend with COOKIE");
		return true;
	}
	n = ike_notify_find(m, IKEV2_N_INVALID_KE_PAYLOAD);
	if (n && !m->has_sa) {
		/* RFC 7296 1.2: retry with the group the responder wants, once. */
		uint16_t g = n->len == 2 ? get_be16(n->data) : 0;

		x->answered = true;
		if (x->ke_retried || !group_ok(g) || g == x->dh_group) {
			snprintf(why, sizeof(why), "INVALID_KE_PAYLOAD asks for group %u (%s)", g,
				 dh_name(g));
			init_fail(x, why);
			return true;
		}
		log_info("IKE_SA_INIT: peer wants %s instead of %s, retrying", dh_name(g),
			 dh_name(x->dh_group));
		x->ke_retried = true;
		dh_free(x->dh);
		x->dh = NULL;
		x->dh_group = g;
		if (dh_new(&x->dh, g) || init_resend(x))
			init_fail(x, "cannot retry with another group");
		return true;
	}
	n = ike_notify_error(m);
	if (n) {
		x->answered = true;
		snprintf(why, sizeof(why), "peer answered %s; we offered [",
			 ikev2_notify_name(n->type));
		prop_list_fmt(&x->ike_offer, why + strlen(why), sizeof(why) - strlen(why) - 1);
		strncat(why, "]", sizeof(why) - strlen(why) - 1);
		if (n->type == IKEV2_N_NO_PROPOSAL_CHOSEN)
			ike_backoff_fail(x->ike, x->rule, &x->remote.addr, "no proposal chosen");
		init_fail(x, why);
		return true;
	}
	return false;
}

void ike_init_response(struct ike_xsa *x, struct ikev2_msg *m)
{
	struct ike *ike = x->ike;
	uint8_t gir[DH_SECRET_MAX], spi_r[IKE_SPI_LEN];
	struct prop_list reply;
	struct prop chosen;
	const struct prop_xf *dh;
	char why[PROP_WHY_MAX];
	size_t girlen;
	int rc;

	if (init_notify(x, m))
		return;
	for (int i = IKE_SPI_LEN - 1, j = 0; i >= 0; i--, j++)
		spi_r[i] = (uint8_t)(m->hdr.rspi >> (8 * j));
	if (!m->has_sa || !m->has_ke || !m->has_nonce || !m->hdr.rspi ||
	    prop_from_wire(&m->sa, &reply)) {
		ike->st.invalid_packets++;
		return;
	}
	x->answered = true;
	if (prop_check_reply(&x->ike_offer, &reply, &chosen, why, sizeof(why))) {
		init_fail(x, why);
		return;
	}
	dh = prop_find(&chosen, IKEV2_XF_DH);
	if (!dh || dh->id != x->dh_group || m->ke.group != x->dh_group) {
		init_fail(x, "responder chose another key exchange group than its KE payload");
		return;
	}
	rc = dh_shared(x->dh, m->ke.data, m->ke.len, gir, sizeof(gir), &girlen);
	if (rc) {
		init_fail(x, "responder's public value refused (RFC 6989)");
		return;
	}
	memcpy(x->sa->nr, m->nonce.data, m->nonce.len);
	x->sa->nr_len = m->nonce.len;
	if (ike_sa_table_set_spi_r(ike->tab, x->sa, spi_r)) {
		wipe(gir, sizeof(gir));
		init_fail(x, "responder SPI clash");
		return;
	}
	rc = ike_ike_keys(x, &chosen, x->sa->ni, x->sa->ni_len, x->sa->nr, x->sa->nr_len, gir,
			  girlen, NULL, 0, 0);
	wipe(gir, sizeof(gir));
	dh_free(x->dh);
	x->dh = NULL;
	if (rc) {
		init_fail(x, "key derivation failed");
		return;
	}
	free(x->init_resp);
	x->init_resp = malloc(m->len);
	if (!x->init_resp) {
		init_fail(x, "out of memory");
		return;
	}
	memcpy(x->init_resp, m->buf, m->len);
	x->init_resp_len = m->len;
	nat_detect(x, m, x->sa->spi_r);
	x->peer_hashes = peer_hashes(m);
	ike_frag_note_response(x, m);
	ike_msgid_tx_done(&x->sa->msgid, 0);
	x->req = IKE_REQ_NONE;
	log_info("IKE_SA_INIT done with rule %s: %s", x->rule ? x->rule->name : "-",
		 prop_fmt(&chosen, why, sizeof(why)));
	if (ike_auth_start(x))
		init_fail(x, "cannot send IKE_AUTH");
}

/* ---- responder ---- */

/* A stateless answer: one notify, Message ID 0, our SPI zero (RFC 7296 2.6, 1.2). */
static void init_answer_notify(struct ike *ike, const struct ike_endpoint *local,
			       const struct ike_endpoint *remote, const struct ikev2_hdr *req,
			       uint16_t type, const uint8_t *data, size_t dlen)
{
	struct ikev2_hdr h = { 0 };
	struct ikev2_notify n = { .type = type, .data = data, .len = dlen };
	struct ikev2_wr b;
	size_t len;

	h.ispi = req->ispi;
	h.major = IKEV2_MAJOR;
	h.exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.flags = IKEV2_FLAG_R;
	ikev2_wr_init(&b, ike->tx, sizeof(ike->tx), &h);
	ikev2_put_notify(&b, &n);
	if (ikev2_wr_finish(&b, &len) == IKEV2_OK)
		ike_send_to(ike, local, remote, ike->tx, len);
}

static bool is_local(const struct ike *ike, const struct ipaddr *a)
{
	if (!ike->cfg.nlocal)
		return true;
	for (size_t i = 0; i < ike->cfg.nlocal; i++)
		if (ipaddr_eq(&ike->cfg.local[i], a))
			return true;
	return false;
}

/* RFC 7296 2.6: demand a cookie when too many SAs are half-open. true: go on. */
static bool init_cookie_ok(struct ike *ike, const struct ike_endpoint *local,
			   const struct ike_endpoint *remote, const struct ikev2_msg *m,
			   const uint8_t spi_i[8])
{
	const struct ikev2_notify *n;
	uint8_t c[IKE_COOKIE_LEN];

	switch (ike_sa_table_admit(ike->tab, &ike->lim, &remote->addr)) {
	case IKE_ADMIT_OK:
		return true;
	case IKE_ADMIT_REFUSE:
		log_ratelimited(LOG_LVL_INFO, "IKE_SA_INIT refused: too many half-open SAs");
		return false;
	case IKE_ADMIT_COOKIE:
		break;
	}
	n = ike_notify_find(m, IKEV2_N_COOKIE);
	if (n && !ike_cookie_verify(&ike->cookie, m->nonce.data, m->nonce.len, &remote->addr, spi_i,
				    n->data, n->len))
		return true;
	if (ike_cookie_make(&ike->cookie, m->nonce.data, m->nonce.len, &remote->addr, spi_i, c))
		return false;
	ike->st.cookies_sent++;
	init_answer_notify(ike, local, remote, &m->hdr, IKEV2_N_COOKIE, c, sizeof(c));
	return false;
}

static int init_respond(struct ike_xsa *x, const struct prop *chosen, struct ikev2_msg *m,
			size_t *len)
{
	struct ike *ike = x->ike;
	uint8_t pub[DH_PUBLIC_MAX], src[NATD_LEN], dst[NATD_LEN];
	struct ikev2_hdr h = { 0 };
	struct ikev2_nonce n = { .data = x->sa->nr, .len = x->sa->nr_len };
	struct ikev2_ke ke;
	struct ikev2_sa wsa;
	struct ikev2_wr b;
	size_t publen;

	if (dh_public(x->dh, pub, sizeof(pub), &publen))
		return -EIO;
	h.ispi = m->hdr.ispi;
	h.rspi = spi_u64(x->sa->spi_r);
	h.major = IKEV2_MAJOR;
	h.exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.flags = IKEV2_FLAG_R;
	ikev2_wr_init(&b, ike->tx, sizeof(ike->tx), &h);
	prop_to_wire1(chosen, &wsa);
	ikev2_put_sa(&b, &wsa);
	ke = (struct ikev2_ke){ .group = x->dh_group, .data = pub, .len = publen };
	ikev2_put_ke(&b, &ke);
	ikev2_put_nonce(&b, &n);
	put_natd(&b, x->sa->spi_i, x->sa->spi_r, &x->local, &x->remote, ike->cfg.force_encap, src,
		 dst);
	ike_sig_put_certreq_init(ike, &b);
	put_sig_hash(&b);
	ike_frag_put_supported(x, &b);
	return ikev2_wr_finish(&b, len) == IKEV2_OK ? 0 : -ENOSPC;
}

static struct ike_xsa *init_new_sa(struct ike *ike, const struct ike_endpoint *local,
				   const struct ike_endpoint *remote, const uint8_t spi_i[8],
				   const uint8_t hash[IKE_SA_HASH_LEN])
{
	uint8_t spi_r[IKE_SPI_LEN];
	struct ike_xsa *x;

	do
		ike_rand(spi_r, sizeof(spi_r));
	while (!spi_u64(spi_r));
	x = ike_xsa_new(ike, IKE_ROLE_RESPONDER, spi_i, spi_r, local, remote);
	if (x)
		memcpy(x->sa->init_hash, hash, IKE_SA_HASH_LEN);
	return x;
}

void ike_init_request(struct ike *ike, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, struct ikev2_msg *m)
{
	uint8_t spi_i[IKE_SPI_LEN], hash[IKE_SA_HASH_LEN], gir[DH_SECRET_MAX];
	struct prop_list peer, ours;
	struct ike_sa *found;
	struct ike_xsa *x;
	struct prop chosen;
	char why[PROP_WHY_MAX], ra[IPADDR_STRLEN];
	size_t girlen, len;
	uint8_t g[2];
	int rc;

	if (!m->has_sa || !m->has_ke || !m->has_nonce || m->hdr.msgid != 0 || m->hdr.rspi ||
	    !(m->hdr.flags & IKEV2_FLAG_I) || !is_local(ike, &local->addr) ||
	    prop_from_wire(&m->sa, &peer)) {
		ike->st.invalid_packets++;
		return;
	}
	for (int i = IKE_SPI_LEN - 1, j = 0; i >= 0; i--, j++)
		spi_i[i] = (uint8_t)(m->hdr.ispi >> (8 * j));
	if (!EVP_Digest(m->buf, m->len, hash, NULL, EVP_sha256(), NULL))
		return;
	switch (ike_sa_table_find_init(ike->tab, spi_i, &remote->addr, remote->port, hash,
				       &found)) {
	case IKE_INIT_RETRANSMIT: {
		struct ike_xsa *old = found->owner;

		/* RFC 7296 2.1: the same response again */
		if (old && old->init_resp)
			ike_send_to(ike, local, remote, old->init_resp, old->init_resp_len);
		return;
	}
	case IKE_INIT_CONFLICT:
		ike->st.invalid_packets++;
		return;
	case IKE_INIT_NEW:
		break;
	}
	if (!init_cookie_ok(ike, local, remote, m, spi_i))
		return;
	ipaddr_fmt(&remote->addr, ra);
	if (prop_ike_default(NULL, 0, &ours) ||
	    prop_select(&peer, &ours, m->ke.group, &chosen, why, sizeof(why))) {
		ike->st.negotiation_failures++;
		log_warn("IKE_SA_INIT from %s: NO_PROPOSAL_CHOSEN: %s", ra, why);
		init_answer_notify(ike, local, remote, &m->hdr, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL,
				   0);
		return;
	}
	{
		const struct prop_xf *dh = prop_find(&chosen, IKEV2_XF_DH);

		if (!dh || dh->id != m->ke.group) {
			/* RFC 7296 1.2: tell the initiator which group we want */
			uint16_t want = dh ? dh->id : 0;

			put_be16(g, want);
			log_info("IKE_SA_INIT from %s: KE group %u, asking for %s", ra, m->ke.group,
				 dh_name(want));
			init_answer_notify(ike, local, remote, &m->hdr, IKEV2_N_INVALID_KE_PAYLOAD,
					   g, sizeof(g));
			return;
		}
	}
	x = init_new_sa(ike, local, remote, spi_i, hash);
	if (!x)
		return;
	ike_frag_note_request(x, m);
	x->dh_group = m->ke.group;
	memcpy(x->sa->ni, m->nonce.data, m->nonce.len);
	x->sa->ni_len = m->nonce.len;
	x->sa->nr_len = IKE_NONCE_LEN;
	ike_rand(x->sa->nr, IKE_NONCE_LEN);
	rc = dh_new(&x->dh, x->dh_group);
	if (!rc)
		rc = dh_shared(x->dh, m->ke.data, m->ke.len, gir, sizeof(gir), &girlen);
	if (rc == -EBADMSG) {
		/* RFC 6989: a bad public value is a malformed message */
		ike->st.invalid_packets++;
		ike_xsa_kill(x, "peer's public value refused (RFC 6989)");
		return;
	}
	if (!rc)
		rc = ike_ike_keys(x, &chosen, x->sa->ni, x->sa->ni_len, x->sa->nr, x->sa->nr_len,
				  gir, girlen, NULL, 0, 0);
	wipe(gir, sizeof(gir));
	if (!rc)
		rc = init_respond(x, &chosen, m, &len);
	dh_free(x->dh);
	x->dh = NULL;
	if (!rc) {
		x->init_req = malloc(m->len);
		x->init_resp = malloc(len);
		if (!x->init_req || !x->init_resp)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = ike_msgid_rx_commit(&x->sa->msgid, 0);
	if (rc) {
		ike_xsa_kill(x, "cannot answer IKE_SA_INIT");
		return;
	}
	memcpy(x->init_req, m->buf, m->len);
	x->init_req_len = m->len;
	memcpy(x->init_resp, ike->tx, len);
	x->init_resp_len = len;
	nat_detect(x, m, (const uint8_t[IKE_SPI_LEN]){ 0 });
	x->peer_hashes = peer_hashes(m);
	ike_sa_set_state(x->sa, IKE_ST_INIT_DONE, "IKE_SA_INIT answered");
	ike_timers_arm_half_open(x->sa, ike->now);
	log_info("IKE_SA_INIT from %s answered: %s", ra, prop_fmt(&chosen, why, sizeof(why)));
	ike_response_send(x, 0, len);
}
