/* src/ike/ike_sa: the IKE SA state machine and table.
 *
 * The legal transitions below are written from RFC 7296, not copied from ike_sa.c:
 *   1.2   initiator: IKE_SA_INIT request (IDLE -> INIT_SENT), response -> IKE_AUTH request
 *         (INIT_SENT -> AUTH_SENT), IKE_AUTH response -> ESTABLISHED. Responder: answers
 *         IKE_SA_INIT (IDLE -> INIT_DONE), verifies IKE_AUTH and answers (-> ESTABLISHED).
 *   1.3.2, 2.18  either side rekeys an established IKE SA (-> REKEYING); afterwards the old SA
 *         is deleted (REKEYING -> DELETING) or, when the rekey failed or lost the simultaneous
 *         rekey race (2.8.1), stays ESTABLISHED; the new SA starts authenticated (IDLE ->
 *         ESTABLISHED).
 *   1.4.1 either side deletes the IKE SA with an INFORMATIONAL Delete (-> DELETING, then DEAD
 *         on the response); the side that receives the Delete answers and is done (-> DEAD).
 *   2.4   no answer after retransmissions: the peer is dead, from any state but DEAD.
 *   2.6   a responder that never sees IKE_AUTH drops the half-open SA (INIT_DONE -> DEAD).
 * Everything else is illegal, in particular any way back from DEAD, skipping authentication
 * (INIT_SENT/INIT_DONE -> ESTABLISHED for the wrong role), and the same state again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ike/ike_sa.h"
#include "lib/log.h"

#define I    IKE_ROLE_INITIATOR
#define R    IKE_ROLE_RESPONDER
#define S(x) IKE_ST_##x

struct legal {
	enum ike_role role;
	enum ike_state from, to;
};

static const struct legal legal[] = {
	/* 1.2 */
	{ I, S(IDLE), S(INIT_SENT) },
	{ I, S(INIT_SENT), S(AUTH_SENT) },
	{ I, S(AUTH_SENT), S(ESTABLISHED) },
	{ R, S(IDLE), S(INIT_DONE) },
	{ R, S(INIT_DONE), S(ESTABLISHED) },
	/* 2.18: the SA born of a rekey */
	{ I, S(IDLE), S(ESTABLISHED) },
	{ R, S(IDLE), S(ESTABLISHED) },
	/* 1.3.2, 2.18 */
	{ I, S(ESTABLISHED), S(REKEYING) },
	{ R, S(ESTABLISHED), S(REKEYING) },
	{ I, S(REKEYING), S(ESTABLISHED) },
	{ R, S(REKEYING), S(ESTABLISHED) },
	{ I, S(REKEYING), S(DELETING) },
	{ R, S(REKEYING), S(DELETING) },
	/* 1.4.1 */
	{ I, S(ESTABLISHED), S(DELETING) },
	{ R, S(ESTABLISHED), S(DELETING) },
	{ I, S(DELETING), S(DEAD) },
	{ R, S(DELETING), S(DEAD) },
	/* 1.4.1 (peer deleted), 2.4 (dead peer), 2.6 (half-open expiry), setup failures */
	{ I, S(IDLE), S(DEAD) },
	{ R, S(IDLE), S(DEAD) },
	{ I, S(INIT_SENT), S(DEAD) },
	{ R, S(INIT_DONE), S(DEAD) },
	{ I, S(AUTH_SENT), S(DEAD) },
	{ I, S(ESTABLISHED), S(DEAD) },
	{ R, S(ESTABLISHED), S(DEAD) },
	{ I, S(REKEYING), S(DEAD) },
	{ R, S(REKEYING), S(DEAD) },
};

static bool expect_legal(enum ike_role role, enum ike_state from, enum ike_state to)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (legal[i].role == role && legal[i].from == from && legal[i].to == to)
			return true;
	return false;
}

static const uint8_t spi_a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_b[8] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	if (ipaddr_parse(&a, s))
		fail_msg("bad address %s", s);
	return a;
}

/* Run fn with stderr going to a file; return what was logged (static buffer). */
static const char *capture_log(int (*fn)(struct ike_sa *, enum ike_state), struct ike_sa *sa,
			       enum ike_state to, int *rc)
{
	static char out[1024];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), 2) >= 0);
	*rc = fn(sa, to);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	return out;
}

static int set_for_test(struct ike_sa *sa, enum ike_state to)
{
	return ike_sa_set_state(sa, to, "test reason");
}

/* Every (role, from, to): legal ones succeed and move, illegal ones -EPERM and stay. */
static void test_transitions(void **state)
{
	struct ipaddr peer = ip("192.0.2.1");
	unsigned n_legal = 0, n_illegal = 0;

	(void)state;
	log_set_level(LOG_LVL_ERR); /* the matrix is quiet; the log line has its own test */
	for (int role = I; role <= R; role++) {
		for (int from = 0; from < IKE_ST_COUNT; from++) {
			for (int to = 0; to < IKE_ST_COUNT; to++) {
				struct ike_sa *sa = ike_sa_new(role, spi_a, spi_b, &peer, 500, 0);
				bool want = expect_legal(role, from, to);
				int rc;

				assert_non_null(sa);
				sa->state = from; /* put it there directly: not a transition */
				rc = ike_sa_set_state(sa, to, "matrix");
				if (rc != (want ? 0 : -EPERM))
					fail_msg("%s %s -> %s: %d, want %s", ike_role_name(role),
						 ike_state_name(from), ike_state_name(to), rc,
						 want ? "legal" : "-EPERM");
				assert_int_equal(sa->state, want ? to : from);
				assert_int_equal(ike_sa_transition_ok(role, from, to), want);
				want ? n_legal++ : n_illegal++;
				ike_sa_free(sa);
			}
		}
	}
	assert_int_equal(n_legal, sizeof(legal) / sizeof(legal[0]));
	assert_int_equal(n_legal + n_illegal, 2 * IKE_ST_COUNT * IKE_ST_COUNT);
	/* out-of-range values are refused too */
	assert_false(ike_sa_transition_ok(I, IKE_ST_COUNT, S(DEAD)));
	assert_false(ike_sa_transition_ok(I, S(IDLE), IKE_ST_COUNT));
}

/* Whole exchanges, as the RFC draws them. */
static void test_paths(void **state)
{
	struct ipaddr peer = ip("2001:db8::1");
	struct ike_sa *i = ike_sa_new(I, spi_a, NULL, &peer, 500, 0);
	struct ike_sa *r = ike_sa_new(R, spi_a, spi_b, &peer, 500, 0);

	(void)state;
	log_set_level(LOG_LVL_ERR);
	assert_int_equal(ike_sa_set_state(i, S(INIT_SENT), "IKE_SA_INIT request"), 0);
	assert_int_equal(ike_sa_set_state(r, S(INIT_DONE), "IKE_SA_INIT response"), 0);
	/* the responder cannot skip to ESTABLISHED from IDLE's neighbour of the initiator */
	assert_int_equal(ike_sa_set_state(i, S(ESTABLISHED), "skip IKE_AUTH"), -EPERM);
	assert_int_equal(ike_sa_set_state(i, S(AUTH_SENT), "IKE_AUTH request"), 0);
	assert_int_equal(ike_sa_set_state(r, S(ESTABLISHED), "AUTH ok"), 0);
	assert_int_equal(ike_sa_set_state(i, S(ESTABLISHED), "AUTH ok"), 0);
	assert_int_equal(ike_sa_set_state(i, S(REKEYING), "soft lifetime"), 0);
	assert_int_equal(ike_sa_set_state(i, S(DELETING), "rekeyed"), 0);
	assert_int_equal(ike_sa_set_state(i, S(DEAD), "delete answered"), 0);
	assert_int_equal(ike_sa_set_state(i, S(ESTABLISHED), "resurrect"), -EPERM);
	assert_int_equal(ike_sa_set_state(r, S(DEAD), "peer deleted"), 0);
	assert_int_equal(ike_sa_set_state(r, S(DEAD), "again"), -EPERM);
	ike_sa_free(i);
	ike_sa_free(r);
}

/* The log lines: legal at info "IKE_SA <spi_i>:<spi_r> OLD -> NEW (reason)", illegal refused
 * with a line of their own. */
static void test_log_lines(void **state)
{
	struct ipaddr peer = ip("192.0.2.7");
	struct ike_sa *sa = ike_sa_new(I, spi_a, spi_b, &peer, 4500, 0);
	const char *out;
	int rc;

	(void)state;
	log_set_level(LOG_LVL_INFO);
	out = capture_log(set_for_test, sa, S(INIT_SENT), &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "info: IKE_SA 0102030405060708:fedcba9876543210 IDLE -> "
				 "INIT_SENT (test reason)\n");
	out = capture_log(set_for_test, sa, S(DELETING), &rc);
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(out, "IKE_SA 0102030405060708:fedcba9876543210 INIT_SENT -> "
				    "DELETING refused"));
	assert_int_equal(sa->state, S(INIT_SENT));
	/* below info the legal change is silent */
	log_set_level(LOG_LVL_NOTICE);
	out = capture_log(set_for_test, sa, S(AUTH_SENT), &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	log_set_level(LOG_LVL_ERR);
	ike_sa_free(sa);
}

/* Wipe on free: the hook sees the SA after wiping, before the memory goes. */
static int hook_calls;
static void check_wiped(const struct ike_sa *sa)
{
	static const uint8_t zero[IKE_NONCE_MAX];

	hook_calls++;
	assert_memory_equal(sa->keys.d, zero, sizeof(sa->keys.d));
	assert_memory_equal(sa->keys.ai, zero, sizeof(sa->keys.ai));
	assert_memory_equal(sa->keys.ar, zero, sizeof(sa->keys.ar));
	assert_memory_equal(sa->keys.ei, zero, sizeof(sa->keys.ei));
	assert_memory_equal(sa->keys.er, zero, sizeof(sa->keys.er));
	assert_memory_equal(sa->keys.pi, zero, sizeof(sa->keys.pi));
	assert_memory_equal(sa->keys.pr, zero, sizeof(sa->keys.pr));
	assert_memory_equal(sa->ni, zero, sizeof(sa->ni));
	assert_memory_equal(sa->nr, zero, sizeof(sa->nr));
	for (size_t i = 0; i < IKE_MSGID_WINDOW_MAX; i++) {
		assert_null(sa->msgid.req[i].msg.b);
		assert_null(sa->msgid.resp[i].msg.b);
	}
	assert_null(sa->child_ids);
}

static void test_wipe_on_free(void **state)
{
	struct ipaddr peer = ip("192.0.2.1");
	struct ike_sa *sa = ike_sa_new(R, spi_a, spi_b, &peer, 500, 0);
	uint8_t msg[40];
	uint32_t id;

	(void)state;
	memset(&sa->keys, 0x5a, sizeof(sa->keys));
	memset(sa->ni, 0xa5, sizeof(sa->ni));
	memset(sa->nr, 0xa5, sizeof(sa->nr));
	memset(msg, 0x33, sizeof(msg));
	assert_int_equal(ike_msgid_tx_start(&sa->msgid, msg, sizeof(msg), 0, &id), 0);
	assert_int_equal(ike_msgid_rx_commit(&sa->msgid, 0), 0);
	assert_int_equal(ike_msgid_rx_store_response(&sa->msgid, 0, msg, sizeof(msg)), 0);
	assert_int_equal(ike_sa_child_add(sa, 7), 0);
	hook_calls = 0;
	ike_sa_free_hook = check_wiped;
	ike_sa_free(sa);
	ike_sa_free_hook = NULL;
	assert_int_equal(hook_calls, 1);
}

static void test_children(void **state)
{
	struct ipaddr peer = ip("192.0.2.1");
	struct ike_sa *sa = ike_sa_new(I, spi_a, NULL, &peer, 500, 0);

	(void)state;
	for (uint32_t id = 1; id <= 20; id++)
		assert_int_equal(ike_sa_child_add(sa, id), 0);
	assert_int_equal(ike_sa_child_add(sa, 5), -EEXIST);
	assert_int_equal(sa->nchild, 20);
	assert_int_equal(ike_sa_child_del(sa, 5), 0);
	assert_int_equal(ike_sa_child_del(sa, 5), -ENOENT);
	assert_int_equal(sa->nchild, 19);
	for (size_t i = 0; i < sa->nchild; i++)
		assert_int_not_equal(sa->child_ids[i], 5);
	ike_sa_free(sa);
}

/* RFC 7296 3.1: SPIi must not be zero. */
static void test_new_guards(void **state)
{
	static const uint8_t zero[8];
	struct ipaddr peer = ip("192.0.2.1");
	struct ike_sa *sa;

	(void)state;
	assert_null(ike_sa_new(I, zero, NULL, &peer, 500, 0));
	sa = ike_sa_new(I, spi_a, NULL, &peer, 500, 1234);
	assert_non_null(sa);
	assert_int_equal(sa->state, S(IDLE));
	assert_int_equal(sa->created_ms, 1234);
	assert_int_equal(sa->msgid.tx_window, 1);
	assert_int_equal(sa->msgid.rx_window, 1);
	assert_memory_equal(sa->spi_r, zero, 8);
	ike_sa_free(sa);
}

static void spi_of(uint8_t spi[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		spi[i] = (uint8_t)v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k SAs: lookups by both SPIs, by our SPIi, removal; and the bucket count grows. */
#define NSA 100000
static void test_table_100k(void **state)
{
	struct ike_sa_table *t = ike_sa_table_new(0x1234567890abcdefULL);
	struct ike_sa **sas = calloc(NSA, sizeof(*sas));
	uint8_t si[8], sr[8];
	double t0, t1;

	(void)state;
	assert_non_null(t);
	assert_non_null(sas);
	for (uint64_t k = 0; k < NSA; k++) {
		struct ipaddr peer = ip("10.0.0.1");
		enum ike_role role = k % 2 ? R : I;

		peer.b[3] = (uint8_t)(k % 251);
		/* sequential SPIs: the worst case for a weak hash */
		spi_of(si, k + 1);
		spi_of(sr, (k + 1) << 32);
		sas[k] = ike_sa_new(role, si, role == R ? sr : NULL, &peer, 500, 0);
		assert_non_null(sas[k]);
		assert_int_equal(ike_sa_table_add(t, sas[k]), 0);
		if (role == I)
			assert_int_equal(ike_sa_table_set_spi_r(t, sas[k], sr), 0);
	}
	assert_int_equal(ike_sa_table_count(t), NSA);
	t0 = now_s();
	for (int round = 0; round < 10; round++) {
		for (uint64_t k = 0; k < NSA; k++) {
			spi_of(si, k + 1);
			spi_of(sr, (k + 1) << 32);
			if (ike_sa_table_lookup(t, si, sr) != sas[k])
				fail_msg("lookup %llu", (unsigned long long)k);
		}
	}
	t1 = now_s();
	print_message("ike_sa_table_lookup: %.1f ns per lookup over %d SAs\n",
		      (t1 - t0) * 1e9 / (10.0 * NSA), NSA);
	for (uint64_t k = 0; k < NSA; k++) {
		spi_of(si, k + 1);
		assert_ptr_equal(ike_sa_table_lookup_initiator(t, si), k % 2 ? NULL : sas[k]);
	}
	/* a wrong SPIr or unknown SPIi finds nothing */
	spi_of(si, 1);
	spi_of(sr, 2);
	assert_null(ike_sa_table_lookup(t, si, sr));
	spi_of(si, NSA + 1);
	spi_of(sr, (uint64_t)(NSA + 1) << 32);
	assert_null(ike_sa_table_lookup(t, si, sr));
	/* remove every other SA; the rest stay findable */
	for (uint64_t k = 0; k < NSA; k += 2) {
		ike_sa_table_remove(t, sas[k]);
		ike_sa_free(sas[k]);
		sas[k] = NULL;
	}
	assert_int_equal(ike_sa_table_count(t), NSA / 2);
	for (uint64_t k = 0; k < NSA; k++) {
		spi_of(si, k + 1);
		spi_of(sr, (k + 1) << 32);
		assert_ptr_equal(ike_sa_table_lookup(t, si, sr), sas[k]);
	}
	ike_sa_table_free(t); /* frees the rest */
	free(sas);
}

static void test_table_keys(void **state)
{
	struct ike_sa_table *t = ike_sa_table_new(7);
	struct ipaddr p1 = ip("192.0.2.1"), p2 = ip("192.0.2.2");
	struct ike_sa *a = ike_sa_new(I, spi_a, NULL, &p1, 500, 0);
	struct ike_sa *b = ike_sa_new(I, spi_a, NULL, &p2, 500, 0);
	struct ike_sa *r1 = ike_sa_new(R, spi_a, spi_b, &p1, 500, 0);
	static const uint8_t zero[8];

	(void)state;
	log_set_level(LOG_LVL_ERR);
	assert_int_equal(ike_sa_table_add(t, a), 0);
	assert_int_equal(ike_sa_table_add(t, a), -EINVAL);
	assert_int_equal(ike_sa_table_add(t, b), -EEXIST); /* our SPIi is ours alone */
	/* a responder SA may carry the same SPIi (the peer chose it) */
	assert_int_equal(ike_sa_table_add(t, r1), 0);
	assert_ptr_equal(ike_sa_table_lookup_initiator(t, spi_a), a);
	assert_ptr_equal(ike_sa_table_lookup(t, spi_a, spi_b), r1);
	/* the initiator learns a SPIr already used with this SPIi */
	assert_int_equal(ike_sa_table_set_spi_r(t, a, spi_b), -EEXIST);
	assert_int_equal(ike_sa_table_set_spi_r(t, a, zero), -EINVAL);
	assert_int_equal(ike_sa_table_set_spi_r(t, a, spi_a), 0);
	assert_int_equal(ike_sa_table_set_spi_r(t, a, spi_b), -EALREADY);
	assert_ptr_equal(ike_sa_table_lookup(t, spi_a, spi_a), a);
	ike_sa_table_remove(t, a);
	assert_null(ike_sa_table_lookup(t, spi_a, spi_a));
	assert_null(ike_sa_table_lookup_initiator(t, spi_a));
	assert_int_equal(ike_sa_table_count(t), 1);
	ike_sa_free(a);
	ike_sa_free(b);
	ike_sa_table_free(t);
}

/* RFC 7296 2.1: a retransmitted IKE_SA_INIT (same SPIi, same peer address and port, same
 * request) finds the half-open SA; the same SPIi from another peer is a new exchange. */
static void test_find_init(void **state)
{
	struct ike_sa_table *t = ike_sa_table_new(99);
	struct ipaddr p1 = ip("192.0.2.1"), p2 = ip("2001:db8::2");
	struct ike_sa *r = ike_sa_new(R, spi_a, spi_b, &p1, 500, 0), *found;
	uint8_t h1[IKE_SA_HASH_LEN], h2[IKE_SA_HASH_LEN];

	(void)state;
	memset(h1, 1, sizeof(h1));
	memset(h2, 2, sizeof(h2));
	memcpy(r->init_hash, h1, sizeof(h1));
	assert_int_equal(ike_sa_table_find_init(t, spi_a, &p1, 500, h1, &found), IKE_INIT_NEW);
	assert_null(found);
	assert_int_equal(ike_sa_table_add(t, r), 0);
	assert_int_equal(ike_sa_table_find_init(t, spi_a, &p1, 500, h1, &found),
			 IKE_INIT_RETRANSMIT);
	assert_ptr_equal(found, r);
	assert_int_equal(ike_sa_table_find_init(t, spi_a, &p1, 500, h2, &found), IKE_INIT_CONFLICT);
	assert_ptr_equal(found, r);
	assert_int_equal(ike_sa_table_find_init(t, spi_a, &p1, 4500, h1, &found), IKE_INIT_NEW);
	assert_int_equal(ike_sa_table_find_init(t, spi_a, &p2, 500, h1, &found), IKE_INIT_NEW);
	assert_int_equal(ike_sa_table_find_init(t, spi_b, &p1, 500, h1, &found), IKE_INIT_NEW);
	ike_sa_table_free(t);
}

/* Half-open accounting (RFC 7296 2.6): responder SAs before IKE_AUTH completes, globally and
 * per peer, and the admission answer the cookie logic gets. */
static void test_half_open(void **state)
{
	struct ike_sa_table *t = ike_sa_table_new(5);
	struct ipaddr p1 = ip("192.0.2.1"), p2 = ip("192.0.2.2"), p3 = ip("192.0.2.3");
	const struct ike_half_open_limits lim = { .cookie_at = 3,
						  .max_total = 5,
						  .per_peer_max = 2 };
	struct ike_sa *s[5], *ini;
	uint8_t si[8], sr[8];

	(void)state;
	log_set_level(LOG_LVL_ERR);
	for (int k = 0; k < 4; k++) {
		spi_of(si, 100 + k);
		spi_of(sr, 200 + k);
		s[k] = ike_sa_new(R, si, sr, k < 2 ? &p1 : &p2, 500, 0);
		assert_int_equal(ike_sa_table_add(t, s[k]), 0);
	}
	/* an initiator SA is never half-open in this sense */
	spi_of(si, 300);
	ini = ike_sa_new(I, si, NULL, &p1, 500, 0);
	assert_int_equal(ike_sa_table_add(t, ini), 0);
	assert_int_equal(ike_sa_set_state(ini, S(INIT_SENT), "t"), 0);
	assert_int_equal(ike_sa_table_half_open(t), 4);
	assert_int_equal(ike_sa_table_half_open_peer(t, &p1), 2);
	assert_int_equal(ike_sa_table_half_open_peer(t, &p2), 2);
	assert_int_equal(ike_sa_table_half_open_peer(t, &p3), 0);
	assert_int_equal(ike_sa_table_admit(t, &lim, &p1), IKE_ADMIT_REFUSE); /* per peer */
	assert_int_equal(ike_sa_table_admit(t, &lim, &p3), IKE_ADMIT_COOKIE);
	/* IDLE -> INIT_DONE: still half-open */
	assert_int_equal(ike_sa_set_state(s[0], S(INIT_DONE), "t"), 0);
	assert_int_equal(ike_sa_table_half_open(t), 4);
	/* authenticated: no longer half-open */
	assert_int_equal(ike_sa_set_state(s[0], S(ESTABLISHED), "t"), 0);
	assert_int_equal(ike_sa_table_half_open(t), 3);
	assert_int_equal(ike_sa_table_half_open_peer(t, &p1), 1);
	assert_int_equal(ike_sa_table_admit(t, &lim, &p1), IKE_ADMIT_COOKIE);
	/* expiry and removal */
	assert_int_equal(ike_sa_set_state(s[2], S(DEAD), "t"), 0);
	ike_sa_table_remove(t, s[3]);
	ike_sa_free(s[3]);
	assert_int_equal(ike_sa_table_half_open(t), 1);
	assert_int_equal(ike_sa_table_half_open_peer(t, &p2), 0);
	assert_int_equal(ike_sa_table_admit(t, &lim, &p2), IKE_ADMIT_OK);
	ike_sa_table_remove(t, s[1]);
	ike_sa_free(s[1]);
	assert_int_equal(ike_sa_table_half_open(t), 0);
	ike_sa_table_free(t);
}

/* IKE_SA_INIT and IKE_AUTH as both ends keep them (RFC 7296 1.2, 2.1, 2.2): Message IDs 0 and
 * 1, the responder's SA found again for a retransmitted IKE_SA_INIT and answered from the
 * cache, the initiator's SA found by SPIi and then by both SPIs. */
static void test_exchange_flow(void **state)
{
	struct ike_sa_table *ti = ike_sa_table_new(1), *tr = ike_sa_table_new(2);
	struct ipaddr addr_i = ip("192.0.2.1"), addr_r = ip("192.0.2.2");
	uint8_t init_req[60], init_resp[80], auth_req[100], auth_resp[120], h[IKE_SA_HASH_LEN];
	const struct ike_msg_buf *cached;
	struct ike_sa *i, *r, *found;
	uint32_t id;

	(void)state;
	log_set_level(LOG_LVL_ERR);
	memset(init_req, 1, sizeof(init_req));
	memset(init_resp, 2, sizeof(init_resp));
	memset(auth_req, 3, sizeof(auth_req));
	memset(auth_resp, 4, sizeof(auth_resp));
	memset(h, 0x11, sizeof(h));

	/* initiator: IKE_SA_INIT request, Message ID 0 */
	i = ike_sa_new(I, spi_a, NULL, &addr_r, 500, 0);
	assert_int_equal(ike_sa_table_add(ti, i), 0);
	assert_int_equal(ike_msgid_tx_start(&i->msgid, init_req, sizeof(init_req), 0, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ike_sa_set_state(i, S(INIT_SENT), "IKE_SA_INIT sent"), 0);

	/* responder: new request, new half-open SA, response cached */
	assert_int_equal(ike_sa_table_find_init(tr, spi_a, &addr_i, 500, h, &found), IKE_INIT_NEW);
	r = ike_sa_new(R, spi_a, spi_b, &addr_i, 500, 0);
	memcpy(r->init_hash, h, sizeof(h));
	assert_int_equal(ike_sa_table_add(tr, r), 0);
	assert_int_equal(ike_msgid_rx_check(&r->msgid, 0, NULL), IKE_MSGID_NEW);
	assert_int_equal(ike_msgid_rx_commit(&r->msgid, 0), 0);
	assert_int_equal(ike_msgid_rx_store_response(&r->msgid, 0, init_resp, sizeof(init_resp)),
			 0);
	assert_int_equal(ike_sa_set_state(r, S(INIT_DONE), "IKE_SA_INIT answered"), 0);
	assert_int_equal(ike_sa_table_half_open(tr), 1);

	/* the initiator retransmits; the responder answers with the same octets */
	assert_int_equal(ike_sa_table_find_init(tr, spi_a, &addr_i, 500, h, &found),
			 IKE_INIT_RETRANSMIT);
	assert_ptr_equal(found, r);
	assert_int_equal(ike_msgid_rx_check(&found->msgid, 0, &cached), IKE_MSGID_RESEND);
	assert_int_equal(cached->len, sizeof(init_resp));
	assert_memory_equal(cached->b, init_resp, sizeof(init_resp));

	/* initiator: the response names SPIr; found by SPIi, then indexed by both */
	found = ike_sa_table_lookup_initiator(ti, spi_a);
	assert_ptr_equal(found, i);
	assert_int_equal(ike_msgid_tx_check(&i->msgid, 0), IKE_MSGID_MATCH);
	assert_int_equal(ike_msgid_tx_done(&i->msgid, 0), 0);
	assert_int_equal(ike_sa_table_set_spi_r(ti, i, spi_b), 0);
	assert_ptr_equal(ike_sa_table_lookup(ti, spi_a, spi_b), i);
	assert_int_equal(ike_msgid_tx_start(&i->msgid, auth_req, sizeof(auth_req), 0, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ike_sa_set_state(i, S(AUTH_SENT), "IKE_AUTH sent"), 0);

	/* responder: IKE_AUTH, Message ID 1, found by both SPIs; the INIT response is dropped
	 * from the cache once request 1 arrives (window 1) */
	found = ike_sa_table_lookup(tr, spi_a, spi_b);
	assert_ptr_equal(found, r);
	assert_int_equal(ike_msgid_rx_check(&r->msgid, 1, NULL), IKE_MSGID_NEW);
	/* authentication verified here, then: */
	assert_int_equal(ike_msgid_rx_commit(&r->msgid, 1), 0);
	assert_int_equal(ike_msgid_rx_store_response(&r->msgid, 1, auth_resp, sizeof(auth_resp)),
			 0);
	assert_int_equal(ike_sa_set_state(r, S(ESTABLISHED), "IKE_AUTH verified"), 0);
	assert_int_equal(ike_sa_table_half_open(tr), 0);
	assert_int_equal(ike_msgid_rx_check(&r->msgid, 0, NULL), IKE_MSGID_DROP_OLD);

	/* initiator: the IKE_AUTH response */
	assert_int_equal(ike_msgid_tx_check(&i->msgid, 1), IKE_MSGID_MATCH);
	assert_int_equal(ike_msgid_tx_done(&i->msgid, 1), 0);
	assert_int_equal(ike_sa_set_state(i, S(ESTABLISHED), "IKE_AUTH verified"), 0);
	/* both ends' own next request is numbered independently (2.2) */
	assert_int_equal(i->msgid.tx_next, 2);
	assert_int_equal(r->msgid.tx_next, 0);
	ike_sa_table_free(ti);
	ike_sa_table_free(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),   cmocka_unit_test(test_paths),
		cmocka_unit_test(test_log_lines),     cmocka_unit_test(test_wipe_on_free),
		cmocka_unit_test(test_children),      cmocka_unit_test(test_new_guards),
		cmocka_unit_test(test_table_100k),    cmocka_unit_test(test_table_keys),
		cmocka_unit_test(test_find_init),     cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_exchange_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
