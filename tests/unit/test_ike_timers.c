/* src/ike/ike_timers: retransmission, liveness, rekey and half-open deadlines as data.
 *
 * Expected times are worked out by hand from the rules:
 *   RFC 7296 2.1, 2.4: the initiator of an exchange retransmits until it gets the response;
 *     the timeouts grow (here: double from 1 s, capped at 32 s); after the last retransmission
 *     (5 here) and its timeout the peer is dead. Sent at t: retransmissions at t + 1, 3, 7,
 *     15, 31 s, give-up at t + 63 s. Responses are not retransmitted on a timer.
 *   RFC 7296 2.4: liveness is checked (an empty INFORMATIONAL) only when traffic went out and
 *     nothing came back for the delay.
 *   RFC 7296 2.8: the rekey time is jittered, so soft - jitter <= rekey - start <= soft.
 *   RFC 7296 2.3: Message IDs about to run out call for a rekey now.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike/ike_sa.h"
#include "ike/ike_timers.h"
#include "lib/log.h"

static const uint8_t spi_a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_b[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };

static struct ike_sa *mk(enum ike_role role, enum ike_state st)
{
	struct ipaddr peer;
	struct ike_sa *sa;

	assert_int_equal(ipaddr_parse(&peer, "192.0.2.1"), 0);
	sa = ike_sa_new(role, spi_a, spi_b, &peer, 500, 0);
	assert_non_null(sa);
	sa->state = st;
	/* the defaults this file's numbers assume, set explicitly */
	sa->tp = (struct ike_timer_policy){ .rt_base_ms = 1000,
					    .rt_cap_ms = 32000,
					    .rt_max = 5,
					    .dpd_delay_ms = 30000,
					    .soft_ms = 10800000,
					    .hard_ms = 14400000,
					    .jitter_ms = 600000,
					    .half_open_ms = 30000 };
	return sa;
}

static uint32_t send_req(struct ike_sa *sa, uint64_t now)
{
	const uint8_t msg[28] = { 0 };
	uint32_t id;

	assert_int_equal(ike_msgid_tx_start(&sa->msgid, msg, sizeof(msg), now, &id), 0);
	assert_int_equal(ike_timers_request_sent(sa, id, now), 0);
	return id;
}

static void test_rt_timeout(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_IDLE);
	static const uint64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000 };

	(void)state;
	for (unsigned k = 0; k < 8; k++)
		assert_int_equal(ike_timers_rt_timeout(&sa->tp, k), want[k]);
	sa->tp.rt_cap_ms = 5000; /* a cap that is not a power-of-two step */
	assert_int_equal(ike_timers_rt_timeout(&sa->tp, 2), 4000);
	assert_int_equal(ike_timers_rt_timeout(&sa->tp, 3), 5000);
	assert_int_equal(ike_timers_rt_timeout(&sa->tp, 60), 5000);
	ike_sa_free(sa);
}

/* IKE_SA_INIT sent at t = 10 s and never answered. */
static void test_retransmit_schedule(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_INIT_SENT);
	static const uint64_t at[] = { 11000, 13000, 17000, 25000, 41000 };
	struct ike_action a[4];
	uint32_t id;

	(void)state;
	log_set_level(LOG_LVL_ERR);
	id = send_req(sa, 10000);
	assert_int_equal(id, 0);
	for (size_t k = 0; k < 5; k++) {
		assert_int_equal(ike_timers_next(sa), at[k]);
		assert_int_equal(ike_timers_due(sa, at[k] - 1, a, 4), 0);
		assert_int_equal(ike_timers_due(sa, at[k], a, 4), 1);
		assert_int_equal(a[0].kind, IKE_ACT_RETRANSMIT);
		assert_int_equal(a[0].msgid, 0);
		assert_int_equal(ike_timers_due(sa, at[k], a, 4), 0); /* fired once */
	}
	assert_int_equal(sa->msgid.st.tx_retransmitted, 5);
	assert_int_equal(ike_timers_next(sa), 73000);
	assert_int_equal(ike_timers_due(sa, 72999, a, 4), 0);
	assert_int_equal(ike_timers_due(sa, 73000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DEAD);
	assert_int_equal(sa->state, IKE_ST_DEAD);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	assert_int_equal(ike_timers_due(sa, 1000000, a, 4), 0);
	ike_sa_free(sa);
}

/* A late timer call retransmits once and schedules from the call time, not in a burst. */
static void test_retransmit_late(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_AUTH_SENT);
	struct ike_action a[4];

	(void)state;
	send_req(sa, 0);
	assert_int_equal(ike_timers_due(sa, 5000, a, 4), 1);
	assert_int_equal(ike_timers_next(sa), 7000); /* 5 s + the second timeout (2 s) */
	/* the response arrives: nothing more to do */
	assert_int_equal(ike_msgid_tx_check(&sa->msgid, 0), IKE_MSGID_MATCH);
	assert_int_equal(ike_msgid_tx_done(&sa->msgid, 0), 0);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	assert_int_equal(ike_timers_due(sa, 100000, a, 4), 0);
	assert_int_equal(sa->state, IKE_ST_AUTH_SENT);
	ike_sa_free(sa);
}

/* Two outstanding requests (peer window 2), cap 1: one action per call, none lost. */
static void test_retransmit_cap(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_ESTABLISHED);
	struct ike_action a[1];

	(void)state;
	sa->tp.dpd_delay_ms = 0;
	assert_int_equal(ike_msgid_set_tx_window(&sa->msgid, 2), 0);
	send_req(sa, 0);
	send_req(sa, 0);
	assert_int_equal(ike_timers_due(sa, 1000, a, 1), 1);
	assert_int_equal(a[0].msgid, 0);
	assert_int_equal(ike_timers_due(sa, 1000, a, 1), 1);
	assert_int_equal(a[0].msgid, 1);
	assert_int_equal(ike_timers_due(sa, 1000, a, 1), 0);
	ike_sa_free(sa);
}

/* Only the initiator of an exchange retransmits: a stored response has no timer. */
static void test_responder_no_timer(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_RESPONDER, IKE_ST_ESTABLISHED);
	const uint8_t resp[40] = { 1 };
	struct ike_action a[4];

	(void)state;
	sa->tp.soft_ms = sa->tp.hard_ms = 0;
	assert_int_equal(ike_msgid_rx_commit(&sa->msgid, 0), 0);
	assert_int_equal(ike_msgid_rx_store_response(&sa->msgid, 0, resp, sizeof(resp)), 0);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	assert_int_equal(ike_timers_due(sa, 10000000, a, 4), 0);
	ike_sa_free(sa);
}

/* RFC 7296 2.4 liveness. */
static void test_dpd(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_RESPONDER, IKE_ST_ESTABLISHED);
	struct ike_action a[4];
	uint32_t id;

	(void)state;
	log_set_level(LOG_LVL_ERR);
	sa->tp.soft_ms = sa->tp.hard_ms = 0;
	/* nothing sent: no reason to ask */
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	assert_int_equal(ike_timers_due(sa, 100000, a, 4), 0);
	/* heard at 1 s, traffic out at 5 s: ask at 31 s */
	ike_sa_heard(sa, 1000);
	ike_sa_note_outbound(sa, 5000);
	assert_int_equal(ike_timers_next(sa), 31000);
	/* an authenticated message at 20 s answers the question */
	ike_sa_heard(sa, 20000);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	ike_sa_note_outbound(sa, 21000);
	assert_int_equal(ike_timers_next(sa), 50000);
	assert_int_equal(ike_timers_due(sa, 49999, a, 4), 0);
	assert_int_equal(ike_timers_due(sa, 50000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DPD);
	assert_int_equal(ike_timers_due(sa, 50001, a, 4), 0); /* not twice */
	/* the daemon sends the empty INFORMATIONAL (the responder of IKE_AUTH is the initiator
	 * of this exchange, so it retransmits too); no answer -> DEAD at 50 + 63 s */
	id = send_req(sa, 50000);
	assert_int_equal(id, 0);
	assert_int_equal(ike_timers_next(sa), 51000);
	for (int k = 0; k < 5; k++)
		assert_int_equal(ike_timers_due(sa, ike_timers_next(sa), a, 4), 1);
	assert_int_equal(ike_timers_next(sa), 113000);
	assert_int_equal(ike_timers_due(sa, 113000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DEAD);
	assert_int_equal(sa->state, IKE_ST_DEAD);
	ike_sa_free(sa);
}

/* An answered liveness check clears the pending flag and re-arms on new traffic. */
static void test_dpd_answered(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_ESTABLISHED);
	struct ike_action a[4];
	uint32_t id;

	(void)state;
	sa->tp.soft_ms = sa->tp.hard_ms = 0;
	ike_sa_note_outbound(sa, 1);
	assert_int_equal(ike_timers_due(sa, 30000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DPD);
	id = send_req(sa, 30000);
	assert_int_equal(ike_timers_due(sa, 31000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_RETRANSMIT);
	assert_int_equal(ike_msgid_tx_done(&sa->msgid, id), 0);
	ike_sa_heard(sa, 31500);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	ike_sa_note_outbound(sa, 40000);
	assert_int_equal(ike_timers_next(sa), 61500);
	/* no liveness check while a request is outstanding: its retransmissions check */
	send_req(sa, 41000);
	assert_int_equal(ike_timers_next(sa), 42000);
	ike_sa_free(sa);
}

/* RFC 7296 2.8: jittered rekey, hard delete. soft 3 h, hard 4 h, jitter 10 min. */
static void test_lifetime_jitter(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_ESTABLISHED);
	const uint64_t start = 5000, soft = 10800000, hard = 14400000, jitter = 600000;
	static const uint32_t rnds[] = { 0, 1, 599999, 600000, 600001, 0x7fffffff, 0xffffffff };
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)state;
	sa->tp.dpd_delay_ms = 0;
	/* exact values: rnd % (jitter + 1) is subtracted */
	ike_timers_arm_lifetime(sa, start, 0);
	assert_int_equal(sa->soft_at_ms, start + soft);
	assert_int_equal(sa->hard_at_ms, start + hard);
	ike_timers_arm_lifetime(sa, start, 600000);
	assert_int_equal(sa->soft_at_ms, start + soft - jitter);
	ike_timers_arm_lifetime(sa, start, 600001);
	assert_int_equal(sa->soft_at_ms, start + soft);
	/* bounds over pinned and pseudo-random draws */
	for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		ike_timers_arm_lifetime(sa, start, rnds[i]);
		assert_in_range(sa->soft_at_ms, start + soft - jitter, start + soft);
	}
	srand(42);
	for (int i = 0; i < 10000; i++) {
		ike_timers_arm_lifetime(sa, start, (uint32_t)rand() * 2654435761u);
		assert_in_range(sa->soft_at_ms, start + soft - jitter, start + soft);
		lo = sa->soft_at_ms < lo ? sa->soft_at_ms : lo;
		hi = sa->soft_at_ms > hi ? sa->soft_at_ms : hi;
		assert_int_equal(sa->hard_at_ms, start + hard);
	}
	/* the draws really spread over the interval (not all at one end) */
	assert_true(lo < start + soft - jitter + jitter / 10);
	assert_true(hi > start + soft - jitter / 10);
	ike_sa_free(sa);
}

static void test_lifetime_actions(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_RESPONDER, IKE_ST_ESTABLISHED);
	struct ike_action a[4];

	(void)state;
	log_set_level(LOG_LVL_ERR);
	sa->tp.dpd_delay_ms = 0;
	ike_timers_arm_lifetime(sa, 0, 1000);
	assert_int_equal(ike_timers_next(sa), 10799000);
	assert_int_equal(ike_timers_due(sa, 10798999, a, 4), 0);
	assert_int_equal(ike_timers_due(sa, 10799000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_REKEY);
	assert_int_equal(ike_timers_due(sa, 10799001, a, 4), 0);
	assert_int_equal(ike_sa_set_state(sa, IKE_ST_REKEYING, "soft lifetime"), 0);
	assert_int_equal(ike_timers_next(sa), 14400000);
	assert_int_equal(ike_timers_due(sa, 14400000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DELETE);
	assert_int_equal(ike_timers_due(sa, 14400001, a, 4), 0);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	/* both due at one call (a late wake-up): past the hard lifetime the SA may not be
	 * used to rekey, it is deleted */
	sa->state = IKE_ST_ESTABLISHED;
	ike_timers_arm_lifetime(sa, 0, 0);
	assert_int_equal(ike_timers_due(sa, 20000000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DELETE);
	assert_int_equal(ike_timers_next(sa), IKE_TIMER_NONE);
	/* jitter larger than soft is clamped; soft not before hard */
	sa->tp.soft_ms = 1000;
	sa->tp.jitter_ms = 5000;
	ike_timers_arm_lifetime(sa, 100, 0xffffffff);
	assert_in_range(sa->soft_at_ms, 100, 1100);
	sa->tp.soft_ms = sa->tp.hard_ms;
	ike_timers_arm_lifetime(sa, 0, 0);
	assert_int_equal(sa->soft_at_ms, 0);
	ike_sa_free(sa);
}

/* RFC 7296 2.3: ids running out ask for a rekey now, whatever the lifetime says. */
static void test_msgid_rekey(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_INITIATOR, IKE_ST_ESTABLISHED);
	struct ike_action a[4];

	(void)state;
	sa->tp.dpd_delay_ms = 0;
	ike_timers_arm_lifetime(sa, 0, 0);
	sa->msgid.tx_next = sa->msgid.tx_base = IKE_MSGID_END - IKE_MSGID_REKEY_MARGIN;
	assert_int_equal(ike_timers_next(sa), 0);
	assert_int_equal(ike_timers_due(sa, 1, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_REKEY);
	assert_int_equal(ike_timers_due(sa, 2, a, 4), 0);
	ike_sa_free(sa);
}

/* RFC 7296 2.6: a half-open responder SA goes after half_open_ms unless IKE_AUTH completes. */
static void test_half_open_expiry(void **state)
{
	struct ike_sa *sa = mk(IKE_ROLE_RESPONDER, IKE_ST_IDLE), *ok;
	struct ike_action a[4];

	(void)state;
	log_set_level(LOG_LVL_ERR);
	ike_timers_arm_half_open(sa, 2000);
	assert_int_equal(ike_sa_set_state(sa, IKE_ST_INIT_DONE, "IKE_SA_INIT answered"), 0);
	assert_int_equal(ike_timers_next(sa), 32000);
	assert_int_equal(ike_timers_due(sa, 31999, a, 4), 0);
	assert_int_equal(ike_timers_due(sa, 32000, a, 4), 1);
	assert_int_equal(a[0].kind, IKE_ACT_DEAD);
	assert_string_equal(a[0].reason, "half-open timeout");
	assert_int_equal(sa->state, IKE_ST_DEAD);
	ike_sa_free(sa);

	ok = mk(IKE_ROLE_RESPONDER, IKE_ST_IDLE);
	ok->tp.soft_ms = ok->tp.hard_ms = ok->tp.dpd_delay_ms = 0;
	ike_timers_arm_half_open(ok, 0);
	assert_int_equal(ike_sa_set_state(ok, IKE_ST_INIT_DONE, "t"), 0);
	assert_int_equal(ike_sa_set_state(ok, IKE_ST_ESTABLISHED, "AUTH ok"), 0);
	ike_timers_arm_lifetime(ok, 10000, 0);
	assert_int_equal(ike_timers_due(ok, 40000, a, 4), 0);
	assert_int_equal(ok->state, IKE_ST_ESTABLISHED);
	ike_sa_free(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_timeout),
		cmocka_unit_test(test_retransmit_schedule),
		cmocka_unit_test(test_retransmit_late),
		cmocka_unit_test(test_retransmit_cap),
		cmocka_unit_test(test_responder_no_timer),
		cmocka_unit_test(test_dpd),
		cmocka_unit_test(test_dpd_answered),
		cmocka_unit_test(test_lifetime_jitter),
		cmocka_unit_test(test_lifetime_actions),
		cmocka_unit_test(test_msgid_rekey),
		cmocka_unit_test(test_half_open_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
