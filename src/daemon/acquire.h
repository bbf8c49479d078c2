/* Packets held while IKE negotiates (RFC 4301 5.1: the first outbound packet of a flow that
 * a `negotiate` rule covers and no SA carries starts IKE; the packet waits instead of being
 * lost, as `pending hold N` asks).
 *
 * A fixed pool of slots, allocated once: a global cap on held packets (and their memory), a
 * per-acquire bound from the action, arrival order kept per acquire. Nothing allocates per
 * packet. Held packets leave by acq_drain(): sent once a Child SA covers them, dropped (and
 * counted) when the negotiation fails, or sent in clear when the action is `soft` and the
 * peer never answered; acq_expire() drops what waited too long.
 *
 * Soft fallback also needs to remember which flows went clear: acq_req_* keep, per acquire,
 * the remote address and the action's fallback time, and acq_clear_* answer whether a remote
 * is (still) in clear after one. When the peer stayed silent is the IKE engine's call (it
 * ends the acquire with clear_ok after the action's soft time); the daemon does not time it.
 */
#ifndef ESPRIT_DAEMON_ACQUIRE_H
#define ESPRIT_DAEMON_ACQUIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define ACQ_SLOTS_DEFAULT 256u /* held packets, all acquires together */
#define ACQ_REQ_MAX	  64u  /* acquires remembered at once */
#define ACQ_CLEAR_MAX	  64u  /* remotes in soft fallback at once */
#define ACQ_MAX_AGE_MS	  30000u

struct acq_slot {
	uint32_t id; /* acquire id; 0 = free */
	uint32_t len;
	uint64_t t; /* when it was held, ms */
	int next;   /* arrival order (used) or free list; -1 = end */
};

struct acq_req {
	uint32_t id; /* 0 = free */
	struct ipaddr remote;
	uint32_t fallback_ms; /* soft: how long the flow stays clear after a fallback; 0 = not
			       * soft */
	uint64_t start;	      /* when the acquire began, ms */
};

struct acq_clear {
	struct ipaddr remote; /* af 0 = free */
	uint64_t until;
};

struct acq_stats {
	uint64_t held, sent, dropped_failed, dropped_full, dropped_big, dropped_old, sent_clear;
};

struct acquire {
	struct acq_slot *slot;
	uint8_t *store; /* nslot * slot_size octets */
	size_t nslot, slot_size;
	int head, tail, free; /* arrival-order list of used slots, free list */
	size_t used;
	struct acq_req req[ACQ_REQ_MAX];
	struct acq_clear clear[ACQ_CLEAR_MAX];
	struct acq_stats st;
};

/* nslot slots of slot_size octets each (the TUN MTU: no packet from it is larger).
 * 0 or -ENOMEM. */
int acq_init(struct acquire *a, size_t nslot, size_t slot_size);
/* Wipe the held packets (they are plaintext) and free. */
void acq_free(struct acquire *a);

/* Hold a copy of pkt for acquire id, at most max packets for that id. 0; -ENOSPC (the
 * acquire's bound or the global cap reached: counted dropped_full), -EMSGSIZE (larger than a
 * slot: dropped_big), -EINVAL (id 0). */
int acq_hold(struct acquire *a, uint32_t id, uint32_t max, const uint8_t *pkt, size_t len,
	     uint64_t now);
/* Number of packets held for id (0 = all). */
size_t acq_count(const struct acquire *a, uint32_t id);
/* Offer every packet held for id (0 = every id) to fn in arrival order; fn returns true when
 * it is done with the packet (sent or dropped), which frees the slot. Returns the number
 * freed. fn must not call acq_hold(). */
size_t acq_drain(struct acquire *a, uint32_t id,
		 bool (*fn)(void *arg, uint32_t id, const uint8_t *pkt, size_t len), void *arg);
/* Drop packets held longer than max_age_ms (counted dropped_old). Returns how many. */
size_t acq_expire(struct acquire *a, uint64_t now, uint64_t max_age_ms);

/* Remember acquire id's remote and soft fallback time (0 = not soft), started at now; a full
 * table forgets nothing but answers -ENOSPC. Same id again: kept as it is (0). */
int acq_req_add(struct acquire *a, uint32_t id, const struct ipaddr *remote, uint32_t fallback_ms,
		uint64_t now);
/* Forget id; returns its record (copied into *r) or false if unknown. */
bool acq_req_take(struct acquire *a, uint32_t id, struct acq_req *r);

/* remote goes clear until now + ms (the oldest entry is replaced when full). */
void acq_clear_add(struct acquire *a, const struct ipaddr *remote, uint64_t now, uint64_t ms);
/* Is remote in soft fallback at now? Expired entries are freed. */
bool acq_clear_has(struct acquire *a, const struct ipaddr *remote, uint64_t now);
/* End every fallback to remote (an SA to it now exists). */
void acq_clear_del(struct acquire *a, const struct ipaddr *remote);

#endif
