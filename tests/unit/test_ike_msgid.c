/* src/ike/msgid: IKEv2 Message IDs and windows.
 *
 * Expected values follow RFC 7296:
 *   2.2  "The Message ID ... MUST be zero" for the first IKE_SA_INIT request and counts up by one
 *        for every following request of the same side; IKE_AUTH is therefore 1. The two
 *        directions are independent (each side numbers its own requests).
 *   2.3  The window defaults to 1; with the peer's window N, request X waits until the responses
 *        to all requests up through X - N arrived. The responder remembers the response to
 *        request r until a request with id >= r + W (its window) arrives; a retransmitted
 *        request gets that response again and is not processed twice.
 *   2.3  "In the unlikely event that Message IDs grow too large to fit in 32 bits, the IKE SA
 *        MUST be closed or rekeyed."
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike/msgid.h"

enum op { RX, COMMIT, STORE, TXSTART, TXCHECK, TXDONE, END };

struct step {
	enum op op;
	uint32_t id;
	int want;  /* verdict for RX/TXCHECK, return code otherwise (TXSTART: id gets the id) */
	char resp; /* RX with RESEND: first octet of the cached response; STORE: octet stored */
};

struct mcase {
	const char *name;
	uint32_t rx_window, tx_window;
	uint64_t rx_start, tx_start; /* where the counters start (overflow cases) */
	struct step s[24];
};

#define V(x) IKE_MSGID_##x

static const struct mcase cases[] = {
	/* 2.3: window 1, in order, each request answered, retransmits answered from the cache */
	{ "rx in order, window 1",
	  1,
	  1,
	  0,
	  0,
	  { { RX, 0, V(NEW), 0 },
	    { COMMIT, 0, 0, 0 },
	    { STORE, 0, 0, 'a' },
	    { RX, 0, V(RESEND), 'a' }, /* IKE_SA_INIT retransmitted */
	    { RX, 1, V(NEW), 0 },
	    { COMMIT, 1, 0, 0 },
	    { RX, 1, V(DROP_BUSY), 0 }, /* retransmit while we work on it: no response yet */
	    { STORE, 1, 0, 'b' },
	    { RX, 1, V(RESEND), 'b' },
	    { RX, 0, V(DROP_OLD), 0 }, /* response to 0 forgotten once 1 arrived (0 + W) */
	    { RX, 3, V(DROP_TOO_NEW), 0 },
	    { RX, 2, V(NEW), 0 },
	    { END, 0, 0, 0 } } },
	/* commit refuses what the check would not call NEW */
	{ "rx commit guards",
	  1,
	  1,
	  0,
	  0,
	  { { COMMIT, 1, -EINVAL, 0 },
	    { COMMIT, 0, 0, 0 },
	    { COMMIT, 0, -EINVAL, 0 },
	    { STORE, 1, -EINVAL, 'x' }, /* not committed */
	    { STORE, 0, 0, 'x' },
	    { COMMIT, 1, 0, 0 },
	    { STORE, 0, -EINVAL, 'y' }, /* displaced by request 1 = 0 + W */
	    { END, 0, 0, 0 } } },
	/* 2.3 with our window 3: out-of-order requests inside the window, responses kept until
	 * request r + 3 arrives */
	{ "rx window 3",
	  3,
	  1,
	  0,
	  0,
	  { { RX, 2, V(NEW), 0 },
	    { COMMIT, 2, 0, 0 },
	    { STORE, 2, 0, 'c' },
	    { RX, 3, V(DROP_TOO_NEW), 0 }, /* window is [0, 3) until 0 arrives */
	    { RX, 0, V(NEW), 0 },
	    { COMMIT, 0, 0, 0 },
	    { STORE, 0, 0, 'a' },
	    { RX, 1, V(NEW), 0 },
	    { COMMIT, 1, 0, 0 },
	    { STORE, 1, 0, 'b' },
	    { RX, 0, V(RESEND), 'a' },
	    { RX, 2, V(RESEND), 'c' },
	    { RX, 5, V(NEW), 0 },
	    { RX, 6, V(DROP_TOO_NEW), 0 },
	    { COMMIT, 3, 0, 0 },
	    { RX, 0, V(DROP_OLD), 0 }, /* request 3 = 0 + 3 arrived */
	    { RX, 1, V(RESEND), 'b' },
	    { RX, 2, V(RESEND), 'c' },
	    { END, 0, 0, 0 } } },
	/* 2.2, 2.3: our requests, window 1: INIT is 0, AUTH is 1, one at a time */
	{ "tx window 1",
	  1,
	  1,
	  0,
	  0,
	  { { TXSTART, 0, 0, 0 },
	    { TXSTART, 0, -EAGAIN, 0 },
	    { TXCHECK, 1, V(DROP_UNSOLICITED), 0 },
	    { TXCHECK, 0, V(MATCH), 0 },
	    { TXDONE, 0, 0, 0 },
	    { TXCHECK, 0, V(DROP_UNSOLICITED), 0 }, /* duplicate response */
	    { TXDONE, 0, -ENOENT, 0 },
	    { TXSTART, 1, 0, 0 },
	    { TXDONE, 1, 0, 0 },
	    { TXSTART, 2, 0, 0 },
	    { END, 0, 0, 0 } } },
	/* 2.3: peer's SET_WINDOW_SIZE 3: request X waits for responses through X - 3 */
	{ "tx window 3",
	  1,
	  3,
	  0,
	  0,
	  { { TXSTART, 0, 0, 0 },
	    { TXSTART, 1, 0, 0 },
	    { TXSTART, 2, 0, 0 },
	    { TXSTART, 0, -EAGAIN, 0 },
	    { TXDONE, 1, 0, 0 }, /* 0 still open: 3 must wait */
	    { TXSTART, 0, -EAGAIN, 0 },
	    { TXCHECK, 1, V(DROP_UNSOLICITED), 0 },
	    { TXDONE, 0, 0, 0 },
	    { TXSTART, 3, 0, 0 },
	    { TXSTART, 4, 0, 0 },
	    { TXSTART, 0, -EAGAIN, 0 },
	    { TXCHECK, 5, V(DROP_UNSOLICITED), 0 },
	    { END, 0, 0, 0 } } },
	/* 2.3: ids must fit in 32 bits */
	{ "tx overflow",
	  1,
	  1,
	  0,
	  0xfffffffe,
	  { { TXSTART, 0xfffffffe, 0, 0 },
	    { TXDONE, 0xfffffffe, 0, 0 },
	    { TXSTART, 0xffffffff, 0, 0 },
	    { TXDONE, 0xffffffff, 0, 0 },
	    { TXSTART, 0, -EOVERFLOW, 0 },
	    { END, 0, 0, 0 } } },
	{ "rx overflow",
	  1,
	  1,
	  0xfffffffe,
	  0,
	  { { RX, 0xfffffffe, V(NEW), 0 },
	    { COMMIT, 0xfffffffe, 0, 0 },
	    { RX, 0xffffffff, V(NEW), 0 },
	    { COMMIT, 0xffffffff, 0, 0 },
	    { RX, 0, V(DROP_OLD), 0 }, /* no wrap to 0 */
	    { END, 0, 0, 0 } } },
};

static void run_case(const struct mcase *c)
{
	struct ike_msgid m;
	uint8_t buf[64];

	ike_msgid_init(&m);
	assert_int_equal(ike_msgid_set_rx_window(&m, c->rx_window), 0);
	assert_int_equal(ike_msgid_set_tx_window(&m, c->tx_window), 0);
	m.rx_base = c->rx_start;
	m.tx_next = m.tx_base = c->tx_start;
	for (const struct step *s = c->s; s->op != END; s++) {
		const struct ike_msg_buf *cached;
		uint32_t id = 0;
		int rc;

		switch (s->op) {
		case RX:
			rc = (int)ike_msgid_rx_check(&m, s->id, &cached);
			if (rc != s->want)
				fail_msg("%s: step %zu: rx %u -> %s, want %s", c->name,
					 (size_t)(s - c->s), s->id, ike_msgid_verdict_name(rc),
					 ike_msgid_verdict_name(s->want));
			if (rc == IKE_MSGID_RESEND) {
				assert_non_null(cached);
				assert_int_equal(cached->len, 10);
				assert_int_equal(cached->b[0], s->resp);
			} else {
				assert_null(cached);
			}
			break;
		case COMMIT:
		case STORE:
		case TXDONE:
			memset(buf, s->resp, sizeof(buf));
			rc = s->op == COMMIT  ? ike_msgid_rx_commit(&m, s->id)
			     : s->op == STORE ? ike_msgid_rx_store_response(&m, s->id, buf, 10)
					      : ike_msgid_tx_done(&m, s->id);
			if (rc != s->want)
				fail_msg("%s: step %zu: op %d id %u -> %d, want %d", c->name,
					 (size_t)(s - c->s), s->op, s->id, rc, s->want);
			break;
		case TXSTART:
			rc = ike_msgid_tx_start(&m, buf, 20, 0, &id);
			assert_int_equal(rc, s->want);
			if (!rc)
				assert_int_equal(id, s->id);
			break;
		case TXCHECK:
			rc = (int)ike_msgid_tx_check(&m, s->id);
			if (rc != s->want)
				fail_msg("%s: step %zu: response %u -> %s, want %s", c->name,
					 (size_t)(s - c->s), s->id, ike_msgid_verdict_name(rc),
					 ike_msgid_verdict_name(s->want));
			break;
		case END:
			break;
		}
	}
	ike_msgid_clear(&m);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Drops are counted by reason; resends too. */
static void test_counters(void **state)
{
	struct ike_msgid m;
	const uint8_t r[3] = { 1, 2, 3 };

	(void)state;
	ike_msgid_init(&m);
	assert_int_equal(ike_msgid_rx_check(&m, 0, NULL), IKE_MSGID_NEW);
	assert_int_equal(ike_msgid_rx_commit(&m, 0), 0);
	assert_int_equal(ike_msgid_rx_store_response(&m, 0, r, sizeof(r)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ike_msgid_rx_check(&m, 0, NULL), IKE_MSGID_RESEND);
	assert_int_equal(ike_msgid_rx_check(&m, 7, NULL), IKE_MSGID_DROP_TOO_NEW);
	assert_int_equal(ike_msgid_tx_check(&m, 0), IKE_MSGID_DROP_UNSOLICITED);
	assert_int_equal(m.st.rx_resent, 3);
	assert_int_equal(m.st.rx_too_new, 1);
	assert_int_equal(m.st.rx_unsolicited, 1);
	assert_int_equal(m.st.rx_old, 0);
	ike_msgid_clear(&m);
}

/* A cookie or INVALID_KE_PAYLOAD restart sends IKE_SA_INIT again with Message ID 0 (RFC 7296
 * 1.2, 2.6): the stored octets are replaced, the id does not move. */
static void test_tx_replace(void **state)
{
	struct ike_msgid m;
	uint8_t a[100], b[300];
	struct ike_req_slot *s;
	uint32_t id = 99;

	(void)state;
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	ike_msgid_init(&m);
	assert_int_equal(ike_msgid_tx_start(&m, a, sizeof(a), 1000, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ike_msgid_tx_replace(&m, 0, b, sizeof(b), 2000), 0);
	assert_int_equal(ike_msgid_tx_replace(&m, 1, b, sizeof(b), 2000), -ENOENT);
	s = ike_msgid_tx_slot(&m, 0);
	assert_non_null(s);
	assert_int_equal(s->msg.len, sizeof(b));
	assert_memory_equal(s->msg.b, b, sizeof(b));
	assert_int_equal(s->sent_ms, 2000);
	assert_int_equal(m.tx_next, 1);
	ike_msgid_clear(&m);
}

/* Bounded cache: messages over IKE_MSG_CACHE_MAX are refused, not truncated. */
static void test_bounds(void **state)
{
	struct ike_msgid m;
	uint8_t *big = calloc(1, IKE_MSG_CACHE_MAX + 1);
	uint32_t id;

	(void)state;
	assert_non_null(big);
	ike_msgid_init(&m);
	assert_int_equal(ike_msgid_tx_start(&m, big, IKE_MSG_CACHE_MAX + 1, 0, &id), -EMSGSIZE);
	assert_int_equal(m.tx_next, 0);
	assert_int_equal(ike_msgid_tx_start(&m, big, IKE_MSG_CACHE_MAX, 0, &id), 0);
	assert_int_equal(ike_msgid_rx_commit(&m, 0), 0);
	assert_int_equal(ike_msgid_rx_store_response(&m, 0, big, IKE_MSG_CACHE_MAX + 1), -EMSGSIZE);
	/* taken but unanswered: a retransmission is not processed a second time */
	assert_int_equal(ike_msgid_rx_check(&m, 0, NULL), IKE_MSGID_DROP_BUSY);
	ike_msgid_clear(&m);
	free(big);
}

/* Window settings: SET_WINDOW_SIZE 0 is invalid, large ones are capped; our window only grows
 * and keeps the cached response when it does. */
static void test_windows(void **state)
{
	struct ike_msgid m;
	const struct ike_msg_buf *c;
	const uint8_t r[2] = { 7, 7 };
	uint32_t id;

	(void)state;
	ike_msgid_init(&m);
	assert_int_equal(m.tx_window, 1);
	assert_int_equal(m.rx_window, 1);
	assert_int_equal(ike_msgid_set_tx_window(&m, 0), -EINVAL);
	assert_int_equal(ike_msgid_set_tx_window(&m, 1000), 0);
	assert_int_equal(m.tx_window, IKE_MSGID_WINDOW_MAX);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(ike_msgid_tx_start(&m, r, 2, 0, &id), 0);
	assert_int_equal(ike_msgid_set_tx_window(&m, 2), -EBUSY);
	assert_int_equal(ike_msgid_tx_outstanding(&m), 3);

	assert_int_equal(ike_msgid_set_rx_window(&m, 0), -EINVAL);
	assert_int_equal(ike_msgid_set_rx_window(&m, IKE_MSGID_WINDOW_MAX + 1), -EINVAL);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(ike_msgid_rx_commit(&m, i), 0);
		assert_int_equal(ike_msgid_rx_store_response(&m, i, r, 2), 0);
	}
	assert_int_equal(ike_msgid_set_rx_window(&m, 4), 0);
	assert_int_equal(ike_msgid_rx_check(&m, 1, &c), IKE_MSGID_RESEND);
	assert_int_equal(ike_msgid_rx_check(&m, 5, NULL), IKE_MSGID_NEW);
	assert_int_equal(ike_msgid_rx_commit(&m, 4), 0); /* out of order */
	assert_int_equal(ike_msgid_set_rx_window(&m, 8), -EBUSY);
	assert_int_equal(ike_msgid_set_rx_window(&m, 2), -EBUSY);
	ike_msgid_clear(&m);
}

/* RFC 7296 2.3: close or rekey before the ids run out. */
static void test_should_rekey(void **state)
{
	struct ike_msgid m;

	(void)state;
	ike_msgid_init(&m);
	assert_false(ike_msgid_should_rekey(&m));
	m.tx_next = m.tx_base = IKE_MSGID_END - IKE_MSGID_REKEY_MARGIN - 1;
	assert_false(ike_msgid_should_rekey(&m));
	m.tx_next = m.tx_base = IKE_MSGID_END - IKE_MSGID_REKEY_MARGIN;
	assert_true(ike_msgid_should_rekey(&m));
	assert_false(ike_msgid_exhausted(&m));
	m.tx_next = m.tx_base = 0;
	m.rx_base = IKE_MSGID_END;
	assert_true(ike_msgid_exhausted(&m));
	assert_true(ike_msgid_should_rekey(&m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),	   cmocka_unit_test(test_counters),
		cmocka_unit_test(test_tx_replace), cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_windows),	   cmocka_unit_test(test_should_rekey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
