/* IKE SA timers. See ike_timers.h for the rules. */
#include <errno.h>

#include "ike/ike_timers.h"
#include "lib/util.h"

static const char *const action_names[] = {
	[IKE_ACT_RETRANSMIT] = "retransmit", [IKE_ACT_DPD] = "dpd",   [IKE_ACT_REKEY] = "rekey",
	[IKE_ACT_DELETE] = "delete",	     [IKE_ACT_DEAD] = "dead",
};

const char *ike_action_name(enum ike_action_kind k)
{
	return (size_t)k < ARRAY_SIZE(action_names) ? action_names[k] : "?";
}

uint64_t ike_timers_rt_timeout(const struct ike_timer_policy *tp, unsigned k)
{
	uint64_t t = tp->rt_base_ms;

	/* RFC 7296 2.4: retransmission timeouts grow (here: double) up to a cap */
	for (unsigned i = 0; i < k && t < tp->rt_cap_ms; i++)
		t *= 2;
	return MIN(t, tp->rt_cap_ms);
}

int ike_timers_request_sent(struct ike_sa *sa, uint32_t msgid, uint64_t now)
{
	struct ike_req_slot *s = ike_msgid_tx_slot(&sa->msgid, msgid);

	if (!s)
		return -ENOENT;
	s->sent_ms = now;
	s->retransmits = 0;
	s->deadline_ms = now + ike_timers_rt_timeout(&sa->tp, 0);
	return 0;
}

void ike_timers_arm_lifetime(struct ike_sa *sa, uint64_t now, uint32_t rnd)
{
	uint64_t jitter = MIN(sa->tp.jitter_ms, sa->tp.soft_ms);

	/* RFC 7296 2.8: "reduce the probability of this happening [simultaneous rekeys] by
	 * having the timing of rekeying requests jittered" */
	sa->soft_at_ms = sa->tp.soft_ms ? now + sa->tp.soft_ms - rnd % (jitter + 1) : 0;
	sa->hard_at_ms = sa->tp.hard_ms ? now + sa->tp.hard_ms : 0;
	if (sa->soft_at_ms && sa->hard_at_ms && sa->soft_at_ms >= sa->hard_at_ms)
		sa->soft_at_ms = 0; /* no room to rekey: the hard limit deletes */
	sa->half_open_at_ms = 0;
}

void ike_timers_arm_half_open(struct ike_sa *sa, uint64_t now)
{
	sa->half_open_at_ms = sa->tp.half_open_ms ? now + sa->tp.half_open_ms : 0;
}

static bool live_state(enum ike_state s)
{
	return s == IKE_ST_ESTABLISHED || s == IKE_ST_REKEYING;
}

/* RFC 7296 2.4: check liveness only when traffic went out and nothing came back. */
static uint64_t dpd_deadline(const struct ike_sa *sa)
{
	if (!sa->tp.dpd_delay_ms || sa->dpd_pending || sa->state != IKE_ST_ESTABLISHED ||
	    ike_msgid_tx_outstanding(&sa->msgid) || sa->last_out_ms <= sa->last_heard_ms)
		return IKE_TIMER_NONE;
	return sa->last_heard_ms + sa->tp.dpd_delay_ms;
}

/* RFC 7296 2.3: Message IDs about to run out also call for a rekey, right away. */
static uint64_t soft_deadline(const struct ike_sa *sa)
{
	return ike_msgid_should_rekey(&sa->msgid) ? 0 : sa->soft_at_ms;
}

uint64_t ike_timers_next(const struct ike_sa *sa)
{
	uint64_t t = IKE_TIMER_NONE;

	if (sa->state == IKE_ST_DEAD)
		return t;
	for (size_t i = 0; i < IKE_MSGID_WINDOW_MAX; i++) {
		const struct ike_req_slot *s = &sa->msgid.req[i];

		if (s->busy && s->deadline_ms)
			t = MIN(t, s->deadline_ms);
	}
	if (sa->half_open_at_ms)
		t = MIN(t, sa->half_open_at_ms);
	if (sa->hard_at_ms && live_state(sa->state))
		t = MIN(t, sa->hard_at_ms);
	if (sa->soft_at_ms && sa->state == IKE_ST_ESTABLISHED)
		t = MIN(t, soft_deadline(sa));
	return MIN(t, dpd_deadline(sa));
}

static size_t push(struct ike_action *out, size_t cap, size_t n, enum ike_action_kind k,
		   uint32_t id, const char *reason)
{
	if (n < cap)
		out[n] = (struct ike_action){ .kind = k, .msgid = id, .reason = reason };
	return n + 1;
}

/* Returns the new action count; *dead set when the SA gave up. */
static size_t due_retransmits(struct ike_sa *sa, uint64_t now, struct ike_action *out, size_t cap,
			      size_t n, bool *dead)
{
	for (uint64_t id = sa->msgid.tx_base; id < sa->msgid.tx_next; id++) {
		struct ike_req_slot *s = &sa->msgid.req[id % IKE_MSGID_WINDOW_MAX];

		if (!s->busy || !s->deadline_ms || s->deadline_ms > now)
			continue;
		if (s->retransmits >= sa->tp.rt_max) {
			/* RFC 7296 2.4: no answer after the retransmissions: peer is dead */
			*dead = true;
			return n;
		}
		if (n >= cap)
			return n; /* left armed; the next call returns it */
		s->retransmits++;
		s->deadline_ms = now + ike_timers_rt_timeout(&sa->tp, s->retransmits);
		sa->msgid.st.tx_retransmitted++;
		n = push(out, cap, n, IKE_ACT_RETRANSMIT, s->id, NULL);
	}
	return n;
}

static size_t go_dead(struct ike_sa *sa, struct ike_action *out, size_t cap, const char *why)
{
	sa->soft_at_ms = sa->hard_at_ms = sa->half_open_at_ms = 0;
	if (ike_sa_set_state(sa, IKE_ST_DEAD, why))
		return 0;
	return push(out, cap, 0, IKE_ACT_DEAD, 0, why) > cap ? 0 : 1;
}

size_t ike_timers_due(struct ike_sa *sa, uint64_t now, struct ike_action *out, size_t cap)
{
	bool dead = false;
	size_t n = 0;

	if (sa->state == IKE_ST_DEAD || !cap)
		return 0;
	if (sa->half_open_at_ms && sa->half_open_at_ms <= now &&
	    (sa->state == IKE_ST_IDLE || sa->state == IKE_ST_INIT_DONE))
		return go_dead(sa, out, cap, "half-open timeout");
	n = due_retransmits(sa, now, out, cap, n, &dead);
	if (dead)
		return go_dead(sa, out, cap, "no response after retransmissions");
	if (sa->hard_at_ms && sa->hard_at_ms <= now && live_state(sa->state) && n < cap) {
		sa->hard_at_ms = 0;
		sa->soft_at_ms = 0;
		n = push(out, cap, n, IKE_ACT_DELETE, 0, NULL);
	}
	if (sa->soft_at_ms && soft_deadline(sa) <= now && sa->state == IKE_ST_ESTABLISHED &&
	    n < cap) {
		sa->soft_at_ms = 0;
		n = push(out, cap, n, IKE_ACT_REKEY, 0, NULL);
	}
	if (dpd_deadline(sa) <= now && n < cap) {
		sa->dpd_pending = true;
		n = push(out, cap, n, IKE_ACT_DPD, 0, NULL);
	}
	return n;
}
