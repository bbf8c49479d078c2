/* IKEv2 Message IDs and windows (RFC 7296 2.3), pure logic.
 *
 * Each IKE SA carries two independent counters, one per direction of requests:
 *
 *   tx  requests WE send (we are the initiator of the exchange): ids 0, 1, 2, ...; at most
 *       tx_window of them without a response (the peer's SET_WINDOW_SIZE, 1 by default). The
 *       request bytes stay in a slot until the response arrives, for retransmission (2.1).
 *   rx  requests the PEER sends: the id we expect next, a bitmap of ids already processed in
 *       the window, and the response sent to each, so a retransmitted request gets the same
 *       response octets again instead of being processed twice (2.1, 2.3).
 *
 * Checks and commits are separate, like the ESP replay window: *_check() looks at an id and
 * changes nothing; *_commit()/ike_msgid_tx_done() are called only once the message has been
 * authenticated (integrity checked), so a forged message cannot move a window (STYLE.md:
 * "an unauthenticated message never changes state").
 *
 * Ids are kept as 64-bit counters: 2^32 means "used up". RFC 7296 2.3: "In the unlikely event
 * that Message IDs grow too large to fit in 32 bits, the IKE SA MUST be closed or rekeyed";
 * ike_msgid_should_rekey() says so early enough to still run the rekey or delete exchange.
 */
#ifndef ESPRIT_IKE_MSGID_H
#define ESPRIT_IKE_MSGID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_MSGID_WINDOW_MAX 8	   /* slots per direction; larger SET_WINDOW_SIZE is capped */
#define IKE_MSG_CACHE_MAX    65535 /* one IKE message in UDP; larger ones are refused */
#define IKE_MSGID_END	     (UINT64_C(1) << 32) /* first id that does not fit in 32 bits */
/* Start closing or rekeying this many ids before the end (room for the rekey/delete). */
#define IKE_MSGID_REKEY_MARGIN 256

/* Stored message octets; the buffer is reused and grows up to IKE_MSG_CACHE_MAX. */
struct ike_msg_buf {
	uint8_t *b;
	size_t len, cap;
};

/* One of our outstanding requests. */
struct ike_req_slot {
	bool busy;
	uint32_t id;
	struct ike_msg_buf msg;
	uint64_t sent_ms;     /* first transmission (monotonic ms) */
	uint64_t deadline_ms; /* next retransmission or give-up, 0 = not armed (ike_timers) */
	unsigned retransmits; /* retransmissions done so far */
};

/* The response we sent to one of the peer's requests. */
struct ike_resp_slot {
	bool taken; /* request id committed (being processed or answered) */
	bool valid; /* its response is stored in msg */
	uint32_t id;
	struct ike_msg_buf msg;
};

struct ike_msgid_stats {
	uint64_t rx_old;	   /* request left of the window, no cached response */
	uint64_t rx_too_new;	   /* request right of the window */
	uint64_t rx_busy;	   /* request being processed (no response stored yet) */
	uint64_t rx_resent;	   /* retransmitted request answered from the cache */
	uint64_t rx_unsolicited;   /* response to no outstanding request of ours */
	uint64_t tx_window_full;   /* a request had to wait for the window */
	uint64_t tx_retransmitted; /* retransmissions (ike_timers) */
};

struct ike_msgid {
	uint64_t tx_next;   /* id of our next request */
	uint64_t tx_base;   /* lowest id of ours still without a response */
	uint32_t tx_window; /* the peer's window, 1..IKE_MSGID_WINDOW_MAX */
	struct ike_req_slot req[IKE_MSGID_WINDOW_MAX]; /* slot id % IKE_MSGID_WINDOW_MAX */

	uint64_t rx_base;   /* every peer request below this id has been processed */
	uint32_t rx_seen;   /* bit k: request rx_base + k processed (out of order) */
	uint32_t rx_window; /* ours, 1..IKE_MSGID_WINDOW_MAX (what we advertise) */
	struct ike_resp_slot resp[IKE_MSGID_WINDOW_MAX]; /* slot id % rx_window */

	struct ike_msgid_stats st;
};

/* What to do with a received request (rx) or response (tx). */
enum ike_msgid_verdict {
	IKE_MSGID_NEW,		   /* a new request in the window: process it */
	IKE_MSGID_RESEND,	   /* a retransmitted request: send the cached response again */
	IKE_MSGID_DROP_OLD,	   /* request older than the window (no response kept) */
	IKE_MSGID_DROP_TOO_NEW,	   /* request beyond our window */
	IKE_MSGID_DROP_BUSY,	   /* request already taken, response not stored yet */
	IKE_MSGID_MATCH,	   /* response to one of our outstanding requests */
	IKE_MSGID_DROP_UNSOLICITED /* response to nothing outstanding */
};

const char *ike_msgid_verdict_name(enum ike_msgid_verdict v);

/* Both directions start at 0 with windows of 1 (RFC 7296 2.3). */
void ike_msgid_init(struct ike_msgid *m);
/* Free the stored messages (they are wiped: responses may hold encrypted secrets). */
void ike_msgid_clear(struct ike_msgid *m);

/* The peer's SET_WINDOW_SIZE (RFC 7296 2.3, 3.10.1): capped at IKE_MSGID_WINDOW_MAX, 0 is
 * refused (-EINVAL). Shrinking below the outstanding count is refused (-EBUSY). */
int ike_msgid_set_tx_window(struct ike_msgid *m, uint32_t peer_window);
/* Our own window (what we advertise): 1..IKE_MSGID_WINDOW_MAX, -EINVAL otherwise. It may only
 * grow, and only while no request is processed out of order (-EBUSY): the cached responses are
 * then moved to their new slots and none is lost. */
int ike_msgid_set_rx_window(struct ike_msgid *m, uint32_t window);

/* --- our requests --- */

/* May we send a new request now? */
bool ike_msgid_tx_can_send(const struct ike_msgid *m);
/* Take the next id for a request and keep its octets for retransmission. *id gets it.
 * 0, -EAGAIN (window full), -EOVERFLOW (ids used up), -EMSGSIZE, -ENOMEM. */
int ike_msgid_tx_start(struct ike_msgid *m, const uint8_t *msg, size_t len, uint64_t now,
		       uint32_t *id);
/* Replace the octets of outstanding request id (IKE_SA_INIT again with a COOKIE or another
 * KE group keeps Message ID 0, RFC 7296 1.2, 2.6); retransmission starts over. 0, -ENOENT,
 * -EMSGSIZE, -ENOMEM. */
int ike_msgid_tx_replace(struct ike_msgid *m, uint32_t id, const uint8_t *msg, size_t len,
			 uint64_t now);
/* The stored request, or NULL if id is not outstanding. */
struct ike_req_slot *ike_msgid_tx_slot(struct ike_msgid *m, uint32_t id);
/* A response arrived with this id: IKE_MSGID_MATCH or IKE_MSGID_DROP_UNSOLICITED (counted).
 * Changes nothing else. */
enum ike_msgid_verdict ike_msgid_tx_check(struct ike_msgid *m, uint32_t id);
/* The (authenticated) response to id was processed: forget the request, slide the window.
 * 0 or -ENOENT. */
int ike_msgid_tx_done(struct ike_msgid *m, uint32_t id);
/* Number of our requests still without a response. */
unsigned ike_msgid_tx_outstanding(const struct ike_msgid *m);

/* --- the peer's requests --- */

/* Classify a received request id (counted when dropped or resent). With RESEND, *cached (if
 * not NULL) points at the response to send again. Changes no window. */
enum ike_msgid_verdict ike_msgid_rx_check(struct ike_msgid *m, uint32_t id,
					  const struct ike_msg_buf **cached);
/* The request id was authenticated and is being processed: mark it, slide the window.
 * 0, or -EINVAL if rx_check() would not say NEW. */
int ike_msgid_rx_commit(struct ike_msgid *m, uint32_t id);
/* Keep the response to request id (committed before) for retransmitted requests. The
 * response to a request id r is kept until a request with id >= r + window arrives
 * (RFC 7296 2.3). 0, -EINVAL (not committed / outside the window), -EMSGSIZE, -ENOMEM. */
int ike_msgid_rx_store_response(struct ike_msgid *m, uint32_t id, const uint8_t *msg, size_t len);

/* The ids run out soon (either direction): rekey or delete the IKE SA now. */
bool ike_msgid_should_rekey(const struct ike_msgid *m);
/* No id left in some direction: the IKE SA cannot be used for another exchange. */
bool ike_msgid_exhausted(const struct ike_msgid *m);

#endif
