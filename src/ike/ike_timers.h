/* IKE SA timers as data: deadlines stored in the SA, one function that says what is due.
 *
 *   retransmission  RFC 7296 2.1, 2.4: only the initiator of an exchange retransmits, the
 *                   same octets, after a timeout that doubles from rt_base_ms up to rt_cap_ms;
 *                   after rt_max retransmissions and one more timeout the peer is considered
 *                   dead and the IKE SA goes to DEAD. With the defaults (1 s, 32 s, 5) a
 *                   request sent at t retransmits at t+1, t+3, t+7, t+15, t+31 s and gives up
 *                   at t+63 s. Responses are never retransmitted on a timer: they are resent
 *                   only when the request comes again (ike_msgid_rx_check -> RESEND).
 *   liveness        RFC 7296 2.4: when nothing authenticated was heard for dpd_delay_ms
 *                   while traffic went out, send an empty INFORMATIONAL request; its own
 *                   retransmission failure makes the SA DEAD.
 *   rekey           RFC 7296 2.8: rekey at soft_ms after establishment, earlier by a random
 *                   amount up to jitter_ms so both ends do not rekey at once; delete at
 *                   hard_ms.
 *   half-open       RFC 7296 2.6: a responder SA whose IKE_AUTH does not come within
 *                   half_open_ms is dropped.
 *
 * No threads and no clock reads: `now` (monotonic ms) is always an argument; the daemon sleeps
 * until ike_timers_next() and calls ike_timers_due().
 */
#ifndef ESPRIT_IKE_IKE_TIMERS_H
#define ESPRIT_IKE_IKE_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "ike/ike_sa.h"

#define IKE_TIMER_NONE UINT64_MAX

enum ike_action_kind {
	IKE_ACT_RETRANSMIT, /* send request `msgid` again (ike_msgid_tx_slot(...)->msg) */
	IKE_ACT_DPD,	    /* send an empty INFORMATIONAL request (liveness check) */
	IKE_ACT_REKEY,	    /* start rekeying the IKE SA (CREATE_CHILD_SA, RFC 7296 1.3.2) */
	IKE_ACT_DELETE,	    /* hard lifetime: send a Delete for the IKE SA (RFC 7296 1.4.1) */
	IKE_ACT_DEAD,	    /* the SA was moved to DEAD: delete it and its Child SAs */
};

struct ike_action {
	enum ike_action_kind kind;
	uint32_t msgid;	    /* IKE_ACT_RETRANSMIT */
	const char *reason; /* IKE_ACT_DEAD */
};

const char *ike_action_name(enum ike_action_kind k);

/* Timeout after transmission number k (0 = the first send): min(base * 2^k, cap). */
uint64_t ike_timers_rt_timeout(const struct ike_timer_policy *tp, unsigned k);

/* Request `msgid` was just sent (ike_msgid_tx_start/replace): arm its retransmission.
 * 0 or -ENOENT. */
int ike_timers_request_sent(struct ike_sa *sa, uint32_t msgid, uint64_t now);
/* The SA became ESTABLISHED at now: arm rekey (soft - rnd % (jitter + 1)) and delete (hard).
 * rnd comes from the caller's random source (RAND_bytes) so tests can pin it. */
void ike_timers_arm_lifetime(struct ike_sa *sa, uint64_t now, uint32_t rnd);
/* A responder SA was created at now: arm its half-open expiry. */
void ike_timers_arm_half_open(struct ike_sa *sa, uint64_t now);

/* Earliest deadline of the SA, or IKE_TIMER_NONE. */
uint64_t ike_timers_next(const struct ike_sa *sa);
/* Everything due at now, in order of deadline kind (retransmissions first); moves the SA to
 * DEAD when it gives up (the last action is then IKE_ACT_DEAD and nothing else is returned).
 * Writes at most cap actions; returns how many. Fired one-shot timers are disarmed; a
 * retransmission re-arms with the next timeout. */
size_t ike_timers_due(struct ike_sa *sa, uint64_t now, struct ike_action *out, size_t cap);

#endif
