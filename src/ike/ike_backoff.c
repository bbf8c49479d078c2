/* Negative cache of failed negotiations (see ike_int.h, struct ike_backoff).
 *
 * A peer that refuses our key, our proposals or our selectors will refuse them again: every
 * retransmitted SYN of the application would otherwise start a fresh IKE_SA_INIT. After such
 * a failure the (rule, peer) pair waits IKE_BACKOFF_FIRST_MS, doubling with each further
 * failure up to IKE_BACKOFF_LIMIT_MS; acquires inside the wait are refused without sending
 * anything. A success, `esprit up` or a reload (the administrator may have fixed the key)
 * forgets the wait. A silent peer is not cached here: retransmission already paces it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/log.h"

static struct ike_backoff *backoff_find(struct ike *ike, const struct spd_rule *r,
					const struct ipaddr *peer)
{
	for (size_t i = 0; i < IKE_BACKOFF_MAX; i++) {
		struct ike_backoff *b = &ike->backoff[i];

		if (b->rule && b->rule == r && ipaddr_eq(&b->peer, peer))
			return b;
	}
	return NULL;
}

/* A free entry, or the one whose wait ended first. */
static struct ike_backoff *backoff_slot(struct ike *ike)
{
	struct ike_backoff *old = &ike->backoff[0];

	for (size_t i = 0; i < IKE_BACKOFF_MAX; i++) {
		struct ike_backoff *b = &ike->backoff[i];

		if (!b->rule)
			return b;
		if (b->until < old->until)
			old = b;
	}
	return old;
}

void ike_backoff_fail(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer,
		      const char *why)
{
	struct ike_backoff *b;
	char a[IPADDR_STRLEN];

	if (!r || !peer || !peer->af)
		return;
	b = backoff_find(ike, r, peer);
	if (b && ike->now < b->until + IKE_BACKOFF_LIMIT_MS) {
		b->delay_ms = b->delay_ms >= IKE_BACKOFF_LIMIT_MS / 2 ? IKE_BACKOFF_LIMIT_MS
								      : b->delay_ms * 2;
	} else {
		/* new, or quiet for longer than the longest wait: start over */
		if (!b)
			b = backoff_slot(ike);
		*b = (struct ike_backoff){ .rule = r, .peer = *peer };
		b->delay_ms = IKE_BACKOFF_FIRST_MS;
	}
	b->until = ike->now + b->delay_ms;
	ike->st.backoffs++;
	log_warn("negotiation with %s failed: %s; next attempt in %" PRIu32 " s (rule %s)",
		 ipaddr_fmt(peer, a), why, b->delay_ms / 1000, r->name);
}

int ike_backoff_check(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer)
{
	const struct ike_backoff *b = backoff_find(ike, r, peer);

	if (!b || ike->now >= b->until)
		return 0;
	ike->st.backoff_refused++;
	return -EAGAIN;
}

void ike_backoff_forget(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer)
{
	struct ike_backoff *b = backoff_find(ike, r, peer);

	if (b)
		memset(b, 0, sizeof(*b));
}

void ike_backoff_reset(struct ike *ike)
{
	memset(ike->backoff, 0, sizeof(ike->backoff));
}
