/* IKEv2 fragmentation (RFC 7383, src/ike/ike_frag.c) between two engines in memory.
 *
 * A (10.1.0.1, RSA-2048 certificate chain) initiates to B (10.1.0.2, P-256 chain), both with
 * a fragment size of 300 octets, so IKE_AUTH does not fit in one datagram either way. The
 * datagrams wait in a queue the tests deliver one at a time, so a fragment can be lost,
 * reordered, altered or forged between the two. What is checked does not come from the
 * engine's own view: every datagram on the "wire" is parsed again (its size, SKF numbering,
 * notifies), and both sides must hand their data paths the same Child SA keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ike/ike.h"
#include "ike/ike_int.h" /* test_total_*: fragments built with A's own keys */
#include "ike/signer.h"
#include "lib/log.h"
#include "lib/rw.h"
#include "wire/ikev2.h"

#include "test_ike_cert_pki.h"
#include "test_ike_pair.h"

#define FRAG	300 /* IP datagram octets */
#define UDP_MAX (FRAG - 20 - 8)
#define NQ	256

struct pkt {
	int from;
	struct ike_endpoint src, dst;
	size_t len;
	uint8_t b[8192];
};

struct peer {
	struct ike *ike;
	struct spd *spd;
	struct signer *sg;
	struct ipaddr addr;
	char key_path[160];
	const char *keys[1];
	struct ike_child ch[4];
	uint8_t out_key[4][64], in_key[4][64];
	size_t nup, nsent, nskf, max_len;
	bool off_4500;	  /* something after IKE_SA_INIT went elsewhere than port 4500 */
	bool init_notify; /* its IKE_SA_INIT carried IKEV2_FRAGMENTATION_SUPPORTED */
};

static struct peer P[2];
/* what start() configures: the fragment size (0: the default) and, for A, forced UDP
 * encapsulation (IKE moves to port 4500 after IKE_SA_INIT, RFC 7296 2.23) */
static uint16_t cfg_frag = FRAG;
static bool cfg_encap;
static struct pkt *q[NQ];
static size_t qn;

/* ---- wire ---- */

static void note_sent(struct peer *p, const struct ike_endpoint *to, const uint8_t *msg, size_t len)
{
	static struct ikev2_msg m;

	p->nsent++;
	assert_int_equal(ikev2_msg_parse(msg, len, &m), IKEV2_OK);
	/* IKE_SA_INIT is not encrypted, so never fragmented (RFC 7383 2.5); the rest is measured */
	if (m.hdr.exchange != IKEV2_EXCH_IKE_SA_INIT && len > p->max_len)
		p->max_len = len;
	if (m.hdr.exchange != IKEV2_EXCH_IKE_SA_INIT && to->port != 4500)
		p->off_4500 = true;
	if (m.has_skf) {
		p->nskf++;
		assert_true(m.sk.frag_num >= 1 && m.sk.frag_num <= m.sk.frag_total);
		/* RFC 7383 2.5: only fragment 1 names the first inner payload */
		if (m.sk.frag_num > 1)
			assert_int_equal(m.sk.first, IKEV2_PLD_NONE);
		else
			assert_int_not_equal(m.sk.first, IKEV2_PLD_NONE);
	}
	if (m.hdr.exchange != IKEV2_EXCH_IKE_SA_INIT)
		return;
	for (size_t i = 0; i < m.nnotify; i++)
		if (m.notify[i].type == IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED)
			p->init_notify = true;
}

static void io_send(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		    const uint8_t *msg, size_t len)
{
	struct peer *p = arg;
	struct pkt *d;

	assert_true(len <= sizeof(d->b));
	note_sent(p, remote, msg, len);
	assert_true(qn < NQ);
	d = malloc(sizeof(*d));
	assert_non_null(d);
	d->from = (int)(p - P);
	d->src = *local;
	d->dst = *remote;
	d->len = len;
	memcpy(d->b, msg, len);
	q[qn++] = d;
}

static int io_child_up(void *arg, const struct ike_child *c)
{
	struct peer *p = arg;

	assert_true(p->nup < 4);
	p->ch[p->nup] = *c;
	assert_true(c->out.encr_key_len <= 64 && c->in.encr_key_len <= 64);
	memcpy(p->out_key[p->nup], c->out.encr_key, c->out.encr_key_len);
	memcpy(p->in_key[p->nup], c->in.encr_key, c->in.encr_key_len);
	p->nup++;
	return 0;
}

static void io_child_down(void *arg, uint32_t id)
{
	(void)arg;
	(void)id;
}

static struct pkt *take(size_t i)
{
	struct pkt *d = q[i];

	memmove(&q[i], &q[i + 1], (qn - i - 1) * sizeof(q[0]));
	qn--;
	return d;
}

static void deliver(struct pkt *d, uint64_t now)
{
	ike_input(P[!d->from].ike, &d->dst, &d->src, d->b, d->len, now);
	free(d);
}

static void drop(size_t i)
{
	free(take(i));
}

/* Deliver what is queued now (not what that makes the engines send). */
static void step(uint64_t now)
{
	for (size_t n = qn; n; n--)
		deliver(take(0), now);
}

static void pump(uint64_t now)
{
	for (int i = 0; i < 2000 && qn; i++)
		deliver(take(0), now);
	assert_int_equal(qn, 0);
}

/* ---- nodes ---- */

static const char *conf_a = IKE_PAIR_CONF_A_CERT("ee_rsa_chain.pem", "ee_rsa.key");
static const char *conf_b = IKE_PAIR_CONF_B_CERT("ca.pem", "ee_p256_chain.pem", "ee_p256.key");

static void start(int i, const char *conf, const char *addr, const char *key, bool no_frag)
{
	struct peer *p = &P[i];
	struct ike_io io = {
		.arg = p, .send = io_send, .child_up = io_child_up, .child_down = io_child_down
	};
	struct ike_config cfg = { 0 };

	memset(p, 0, sizeof(*p));
	p->sg = ike_pair_signer(key, p->key_path, sizeof(p->key_path), p->keys);
	assert_int_equal(ipaddr_parse(&p->addr, addr), 0);
	p->spd = ike_pair_load(conf, addr, pki_dir);
	cfg.spd = p->spd;
	cfg.local = &p->addr;
	cfg.nlocal = 1;
	cfg.signer = p->sg;
	cfg.signer_keys = p->keys;
	cfg.nsigner_keys = 1;
	cfg.frag_size = cfg_frag;
	cfg.force_encap = cfg_encap && i == 0;
	cfg.no_frag = no_frag;
	p->ike = ike_new(&cfg, &io, 0);
	assert_non_null(p->ike);
}

static void stop(int i)
{
	struct peer *p = &P[i];

	ike_free(p->ike);
	signer_stop(p->sg);
	spd_free(p->spd);
	memset(p, 0, sizeof(*p));
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_ERR);
	if (!pki_dir[0]) {
		size_t len;
		uint8_t *chain;

		assert_int_equal(pki_make(), 0);
		/* A's chain alone is several times the fragment size */
		chain = pki_read("ee_rsa_chain.pem", &len);
		assert_non_null(chain);
		assert_true(len > 4 * FRAG);
		free(chain);
	}
	start(0, conf_a, "10.1.0.1", "ee_rsa.key", false);
	start(1, conf_b, "10.1.0.2", "ee_p256.key", false);
	return 0;
}

static int setup_b_nofrag(void **state)
{
	setup(state);
	stop(1);
	start(1, conf_b, "10.1.0.2", "ee_p256.key", true);
	return 0;
}

/* Default fragment size (576 over IPv4) on port 4500: the non-ESP marker counts too. */
static int setup_default_4500(void **state)
{
	cfg_frag = 0;
	cfg_encap = true;
	return setup(state);
}

static int teardown(void **state)
{
	(void)state;
	cfg_frag = FRAG;
	cfg_encap = false;
	while (qn)
		drop(0);
	stop(0);
	stop(1);
	return 0;
}

/* ---- helpers ---- */

/* A's acquire; deliver IKE_SA_INIT both ways. The queue then holds A's IKE_AUTH request. */
static void to_auth(void)
{
	struct spd_pkt p = {
		.dir = SPD_DIR_OUT, .proto = IPPROTO_TCP, .lport = 40000, .rport = 80
	};

	assert_int_equal(ipaddr_parse(&p.local, "10.1.0.1"), 0);
	assert_int_equal(ipaddr_parse(&p.remote, "10.1.0.2"), 0);
	assert_true(ike_acquire(P[0].ike, &p, 0) > 0);
	step(0); /* IKE_SA_INIT request */
	step(0); /* IKE_SA_INIT response: A sends IKE_AUTH */
}

static uint16_t frag_num(const struct pkt *d)
{
	static struct ikev2_msg m;

	assert_int_equal(ikev2_msg_parse(d->b, d->len, &m), IKEV2_OK);
	assert_true(m.has_skf);
	return m.sk.frag_num;
}

/* Both sides installed the same Child SA (each one's outbound key is the other's inbound). */
static void child_agrees(void)
{
	assert_int_equal(P[0].nup, 1);
	assert_int_equal(P[1].nup, 1);
	assert_int_equal(P[0].ch[0].out.spi, P[1].ch[0].in.spi);
	assert_int_equal(P[0].ch[0].in.spi, P[1].ch[0].out.spi);
	assert_int_equal(P[0].ch[0].out.encr_key_len, 36); /* AES-GCM-256 key and salt */
	assert_memory_equal(P[0].out_key[0], P[1].in_key[0], 36);
	assert_memory_equal(P[0].in_key[0], P[1].out_key[0], 36);
}

static const struct ike_stats *st(int i)
{
	return ike_get_stats(P[i].ike);
}

/* ---- tests ---- */

static void test_fragmented_auth(void **state)
{
	size_t a_frags;

	(void)state;
	to_auth();
	a_frags = qn;
	assert_true(a_frags >= 4); /* an RSA-2048 chain in 300-octet datagrams */
	pump(0);
	child_agrees();
	/* both offered it in IKE_SA_INIT */
	assert_true(P[0].init_notify);
	assert_true(P[1].init_notify);
	/* every IKE_AUTH datagram fits: nothing left for IP to fragment */
	assert_true(P[0].max_len <= UDP_MAX);
	assert_true(P[1].max_len <= UDP_MAX);
	assert_int_equal(P[0].nskf, a_frags);
	assert_true(P[1].nskf >= 2);
	/* the counters agree with what was on the wire */
	assert_int_equal(st(0)->frag_sent, P[0].nskf);
	assert_int_equal(st(1)->frag_sent, P[1].nskf);
	assert_int_equal(st(1)->frag_received, P[0].nskf);
	assert_int_equal(st(0)->frag_received, P[1].nskf);
	assert_int_equal(st(0)->frag_reassembled, 1);
	assert_int_equal(st(1)->frag_reassembled, 1);
	assert_int_equal(st(0)->frag_dropped + st(1)->frag_dropped, 0);
	assert_int_equal(st(0)->invalid_packets + st(1)->invalid_packets, 0);
}

/* A fragment of the request is lost: A's retransmission sends every fragment again. */
static void test_lost_request_fragment(void **state)
{
	size_t n;
	uint64_t t;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	n = qn;
	drop(1);
	pump(0);
	assert_int_equal(P[1].nup, 0);
	assert_int_equal(P[0].nup, 0);
	t = ike_next_deadline(P[0].ike);
	assert_true(t > 0 && t < 60000);
	ike_tick(P[0].ike, t);
	assert_int_equal(qn, n); /* all fragments again, the same octets */
	assert_int_equal(st(0)->frag_sent, n);
	assert_int_equal(st(0)->retransmissions, 1);
	pump(t);
	child_agrees();
	assert_int_equal(st(1)->frag_reassembled, 1);
	/* the fragments B already had were duplicates: ignored, not counted twice */
	assert_int_equal(st(1)->frag_received, n);
}

/* A fragment of the response is lost: A retransmits its request; B answers from its cache,
 * once (for fragment 1 only, RFC 7383 2.6.1), and builds nothing new. */
static void test_lost_response_fragment(void **state)
{
	size_t req, resp, b_sent;
	uint64_t t;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	req = qn;
	step(0);
	resp = qn;
	assert_true(resp >= 2);
	assert_int_equal(P[1].nup, 1);
	drop(resp - 1);
	pump(0);
	assert_int_equal(P[0].nup, 0);
	b_sent = P[1].nsent;
	t = ike_next_deadline(P[0].ike);
	ike_tick(P[0].ike, t);
	assert_int_equal(qn, req);
	pump(t);
	assert_int_equal(P[1].nsent - b_sent, resp);
	assert_int_equal(st(1)->frag_sent, resp);
	child_agrees();
}

/* Fragments may arrive in any order. */
static void test_reordered(void **state)
{
	struct pkt *tmp[NQ];
	size_t n;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	n = qn;
	for (size_t i = 0; i < n; i++)
		tmp[i] = take(0);
	for (size_t i = 0; i < n; i++)
		q[qn++] = tmp[n - 1 - i];
	assert_int_equal(frag_num(q[0]), n);
	pump(0);
	child_agrees();
	assert_int_equal(st(1)->frag_reassembled, 1);
}

/* A fragment whose ICV fails is dropped before it is stored; the genuine one still counts. */
static void test_bad_icv(void **state)
{
	struct pkt *bad;
	size_t n;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	n = qn;
	bad = malloc(sizeof(*bad));
	assert_non_null(bad);
	*bad = *q[1];
	bad->b[bad->len - 1] ^= 0x01; /* last octet of the ICV */
	deliver(bad, 0);
	/* a forged copy of fragment 2 with the header bits changed: authenticated data too */
	bad = malloc(sizeof(*bad));
	assert_non_null(bad);
	*bad = *q[2];
	put_be16(bad->b + IKEV2_HDR_LEN + 6, (uint16_t)(n + 1)); /* Total Fragments */
	deliver(bad, 0);
	assert_int_equal(st(1)->frag_dropped, 2);
	assert_int_equal(st(1)->frag_received, 0);
	pump(0);
	child_agrees();
	assert_int_equal(st(1)->frag_received, n);
	assert_int_equal(st(0)->retransmissions, 0);
}

/* A fragment bomb: totals beyond the limit or numbers out of range are refused before any
 * key is used or memory is taken, and the real set completes afterwards. */
static void test_bomb(void **state)
{
	struct pkt *bad;
	uint64_t dropped, invalid;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	bad = malloc(sizeof(*bad));
	assert_non_null(bad);
	*bad = *q[0];
	put_be16(bad->b + IKEV2_HDR_LEN + 6, 65535); /* Total Fragments */
	deliver(bad, 0);
	assert_int_equal(st(1)->frag_dropped, 1);
	assert_int_equal(st(1)->invalid_packets, 1);
	for (uint16_t num = 0; num < 3; num++) {
		bad = malloc(sizeof(*bad));
		assert_non_null(bad);
		*bad = *q[0];
		/* 0, and numbers beyond the total: the parser refuses them */
		put_be16(bad->b + IKEV2_HDR_LEN + 4, num ? (uint16_t)(qn + num) : 0);
		invalid = st(1)->invalid_packets;
		deliver(bad, 0);
		assert_int_equal(st(1)->invalid_packets, invalid + 1);
	}
	dropped = st(1)->frag_dropped;
	pump(0);
	child_agrees();
	assert_int_equal(st(1)->frag_dropped, dropped);
}

/* B does not offer fragmentation: neither side fragments, IKE_AUTH goes whole. */
static void test_peer_without_notify(void **state)
{
	(void)state;
	to_auth();
	assert_int_equal(qn, 1);
	pump(0);
	child_agrees();
	assert_true(P[0].init_notify);
	assert_false(P[1].init_notify);
	assert_int_equal(P[0].nskf + P[1].nskf, 0);
	assert_true(P[0].max_len > UDP_MAX);
	assert_int_equal(st(0)->frag_sent + st(1)->frag_sent, 0);
}

/* A partial set older than the reassembly timeout (30 s) is thrown away, not completed. */
static void test_stale_set(void **state)
{
	uint64_t t;
	size_t n;

	(void)state;
	to_auth();
	assert_true(qn > 1);
	n = qn;
	deliver(take(0), 0); /* B holds fragment 1 */
	while (qn)
		drop(0);
	t = ike_next_deadline(P[0].ike);
	ike_tick(P[0].ike, t);
	assert_int_equal(qn, n);
	/* delivered 31 s later (B's timers are not run: its half-open SA stays) */
	pump(31000);
	assert_int_equal(st(1)->frag_dropped, 1); /* the old fragment 1 */
	assert_int_equal(st(1)->frag_received, n + 1);
	child_agrees();
}

/* RFC 7383 2.5.1 default for IPv4, 576 octets of IP datagram: on port 4500 an IKE message
 * may have 576 - 20 (IP) - 8 (UDP) - 4 (non-ESP marker) = 544 octets. */
static void test_default_size_4500(void **state)
{
	(void)state;
	to_auth();
	assert_true(qn > 1);
	pump(0);
	child_agrees();
	assert_false(P[0].off_4500);
	assert_false(P[1].off_4500);
	assert_true(P[0].max_len <= 544);
	assert_true(P[1].max_len <= 544);
	/* and fragments use that room (AES-GCM: no block rounding) rather than a smaller size */
	assert_true(P[0].max_len > 544 - 16);
	assert_true(P[0].nskf >= 2);
}

/* White box: an INFORMATIONAL request from A with a 1000-octet Vendor ID, built and protected
 * by A's engine (its next Message ID, A's keys) at fragment size `size` and queued to B as
 * fragments, without being sent as a request (A keeps no state for it). Their number. */
static size_t info_fragments(uint16_t size)
{
	static const uint8_t vid[1000];
	struct ikev2_vendor v = { vid, sizeof(vid) };
	struct ike *ike = P[0].ike;
	struct ike_xsa *x = ike->sas;
	struct ike_sk_msg sm;
	struct ikev2_wr b;
	size_t len, n = qn;

	assert_int_equal(x->sa->state, IKE_ST_ESTABLISHED);
	ike->frag_size = size;
	ike_sk_start(x, IKEV2_EXCH_INFORMATIONAL, false, 0, &b, &sm);
	ikev2_put_vendor(&sm.inner, &v);
	assert_int_equal(ike_frag_seal(x, &sm, &len), 0);
	ike_frag_send_all(ike, &x->local, &x->remote, ike->tx, len);
	return qn - n;
}

/* RFC 7383 2.6: a larger Total Fragments for the same message (the sender went to a smaller
 * size) discards the fragments held, and the new set completes. */
static void test_total_grows(void **state)
{
	size_t n_small, n_big;
	uint64_t got;

	(void)state;
	to_auth();
	pump(0);
	child_agrees();
	got = st(1)->frag_received; /* IKE_AUTH's */
	n_small = info_fragments(300);
	deliver(take(0), 0);
	while (qn)
		drop(0);
	n_big = info_fragments(256);
	assert_true(n_big > n_small);
	step(0);
	assert_int_equal(st(1)->frag_dropped, 1); /* the fragment of the old set */
	assert_int_equal(st(1)->frag_received, got + 1 + n_big);
	assert_int_equal(st(1)->frag_reassembled, 2);
	assert_int_equal(qn, 1); /* B answered the INFORMATIONAL request */
}

/* ... and a smaller total than the set held is dropped; the set held still completes. */
static void test_total_shrinks(void **state)
{
	struct pkt *held[NQ];
	size_t n_big, n_small, k;

	(void)state;
	to_auth();
	pump(0);
	child_agrees();
	n_big = info_fragments(256);
	for (k = 0; k < n_big; k++)
		held[k] = take(0);
	deliver(held[0], 0);
	n_small = info_fragments(300);
	assert_true(n_small < n_big);
	step(0);
	assert_int_equal(st(1)->frag_dropped, n_small);
	assert_int_equal(qn, 0);
	for (k = 1; k < n_big; k++)
		deliver(held[k], 0);
	assert_int_equal(st(1)->frag_reassembled, 2);
	assert_int_equal(qn, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fragmented_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_request_fragment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_response_fragment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_icv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_without_notify, setup_b_nofrag, teardown),
		cmocka_unit_test_setup_teardown(test_stale_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_shrinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_size_4500, setup_default_4500,
						teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pki_remove();
	return rc;
}
