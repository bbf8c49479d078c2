/* The IKEv2 engine (RFC 7296): the one interface between the key exchange and the daemon.
 *
 * The engine owns the IKE SA table and runs every exchange (IKE_SA_INIT, IKE_AUTH,
 * CREATE_CHILD_SA, INFORMATIONAL) from the compiled policy model. It does no I/O of its own:
 * the daemon passes in datagrams and the time, and the engine calls back through struct ike_io
 * to send datagrams and to install or remove Child SAs in the data path. That keeps it
 * testable in memory (two engines wired to each other) and leaves room for a second key
 * exchange protocol (IKEv1) beside it behind the same callbacks.
 *
 * Times are monotonic milliseconds. Nothing here blocks; signing with a private key goes
 * through the signing helper (ike/auth.h) and is still synchronous from the engine's view.
 */
#ifndef ESPRIT_IKE_IKE_H
#define ESPRIT_IKE_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "lib/addr.h"
#include "sa/sa.h"
#include "spd/spd.h"

#define IKE_PORT	  500u	/* RFC 7296 2 */
#define IKE_NATT_PORT	  4500u /* RFC 7296 2.23, RFC 3948 */
#define IKE_CHILD_SEL_MAX 8

/* RFC 3948 2.3: the one octet of a NAT-keepalive packet */
#define IKE_NATT_KEEPALIVE 0xFFu

/* One end of a datagram. */
struct ike_endpoint {
	struct ipaddr addr;
	uint16_t port; /* host order */
};

/* A negotiated Child SA pair handed to the data path. Key pointers inside in/out are valid
 * only during the callback: the daemon copies what it keeps. */
struct ike_child {
	uint32_t id;	   /* the engine's id for this pair; never reused while the engine lives */
	uint32_t replaces; /* rekey: id of the pair this one replaces (removed later by
			    * child_down once the new one is in, make-before-break); 0 = none */
	const char *rule;  /* policy rule name, for logs and per-policy counters */
	struct sa_params in, out; /* complete: SPIs, proto, mode, addresses, algorithms, keys,
				   * replay window, lifetimes, UDP encapsulation ports */
	/* Negotiated traffic selectors seen from this host (local = our end): outbound packets
	 * matching one use `out`; inbound packets decrypted with `in` must match one. */
	struct dp_sel sel[IKE_CHILD_SEL_MAX];
	size_t nsel;
};

struct ike_io {
	void *arg;
	/* Send one IKE message. On port 4500 the daemon adds the four-octet non-ESP marker
	 * (RFC 3948 2.2); msg never carries it. A one-octet msg 0xFF from port 4500 is a NAT
	 * keepalive (RFC 3948 2.3, IKE_NATT_KEEPALIVE) and goes out as it is, without marker. */
	void (*send)(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const uint8_t *msg, size_t len);
	/* Install both SAs of a pair. 0, or -errno: the engine then deletes the pair with the
	 * peer and logs why. */
	int (*child_up)(void *arg, const struct ike_child *c);
	/* Remove both SAs of pair id (delete, rekey done, IKE SA gone). Keys are wiped. */
	void (*child_down)(void *arg, uint32_t id);
	/* An acquire ended: ok = a Child SA now covers it (held packets can go), otherwise the
	 * negotiation failed (held packets are dropped, or sent in clear when the action is
	 * `soft` and the peer never answered: clear_ok). May be NULL. */
	void (*acquire_done)(void *arg, uint32_t acquire_id, bool ok, bool clear_ok);
	/* The peer, behind a NAT, now sends from another address or port (its NAT mapping
	 * changed; an authenticated IKE request said so, RFC 7296 2.23): pair id's ESP in UDP
	 * goes to remote from now on, with the same SAs. May be NULL. */
	void (*child_move)(void *arg, uint32_t id, const struct ike_endpoint *remote);
};

/* Engine settings; the policy model must be compiled (spd_compile) and outlive the engine or
 * the next ike_reload(). */
struct ike_config {
	const struct spd *spd;
	/* Our addresses, to know which end of a transport-mode rule is us and to answer only on
	 * them. */
	const struct ipaddr *local;
	size_t nlocal;
	bool force_encap;	   /* UDP-encapsulate ESP even without a NAT (RFC 7296 2.23) */
	size_t cookie_threshold;   /* half-open SAs before COOKIEs are demanded; 0 = default */
	size_t half_open_per_peer; /* 0 = default */
	uint64_t dpd_delay_ms;	   /* 0 = default */

	/* NAT keepalive period (RFC 3948 4); 0 = default 20 s */
	uint64_t natt_keepalive_ms;
	/* Certificate authentication (`auth cert`): the signing helper that holds the private
	 * keys (ike/signer.h, started by the daemon before it reads any packet) and the key file
	 * paths in the order the helper loaded them; a method's key_path selects its key. NULL/0:
	 * certificate methods are not used. */
	struct signer *signer;
	const char *const *signer_keys;
	size_t nsigner_keys;
	/* RFC 7383 fragmentation: IP datagram size of a fragment, 0 = 576 (IPv4) / 1280 (IPv6)
	 * (esprit.conf ike-fragment-size); no_frag: do not offer it (ike/ike_frag.h) */
	uint16_t frag_size;
	bool no_frag;
};

/* Counters in the spirit of the Windows IP Security Monitor's main mode / quick mode
 * statistics; `esprit stats` prints them. */
struct ike_stats {
	uint64_t ike_active, child_active;
	uint64_t ike_established, child_established; /* totals since start */
	uint64_t acquires, acquire_failures;
	uint64_t negotiation_failures; /* no proposal, selectors, INVALID_KE after retry, ... */
	uint64_t auth_failures;
	uint64_t invalid_packets; /* unparseable, wrong SPI, failed integrity, ... */
	uint64_t cookies_sent;
	uint64_t retransmissions;
	uint64_t rekeys_ike, rekeys_child;
	uint64_t backoffs;	  /* failed negotiations that made a (rule, peer) wait */
	uint64_t backoff_refused; /* acquires refused (-EAGAIN) during such a wait */
	uint64_t keepalives;	  /* NAT keepalives sent (RFC 3948 4) */
	/* RFC 7383: fragments built (not counting retransmissions), fragments accepted, dropped
	 * (bad ICV, limits, stale sets) and messages reassembled */
	uint64_t frag_sent, frag_received, frag_dropped, frag_reassembled;
};

struct ike;
struct signer;

/* NULL on allocation failure or an unusable configuration (logged). */
struct ike *ike_new(const struct ike_config *cfg, const struct ike_io *io, uint64_t now);
/* Deletes nothing on the wire; calls child_down for every installed pair, wipes, frees. */
void ike_free(struct ike *ike);
/* Graceful stop: DELETE every IKE SA (best effort, one message each), then as ike_free. */
void ike_shutdown(struct ike *ike, uint64_t now);
/* New policy model (SIGHUP). SAs whose rule is gone are deleted. 0 or -errno. */
int ike_reload(struct ike *ike, const struct ike_config *cfg, uint64_t now);

/* A datagram arrived on port 500 or 4500 (non-ESP marker already removed). Never trusts its
 * input: anything malformed is counted in invalid_packets and dropped. */
void ike_input(struct ike *ike, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	       const uint8_t *msg, size_t len, uint64_t now);

/* An outbound packet matched a `negotiate` rule and no SA covers it. Starts (or joins) a
 * negotiation; returns an acquire id > 0 for ike_io.acquire_done, or -errno (no such rule,
 * too many pending). Repeated acquires for traffic already being negotiated return the same
 * id without sending anything. */
int64_t ike_acquire(struct ike *ike, const struct spd_pkt *pkt, uint64_t now);

/* Administrative actions (esprit up / down / rekey). peer may be NULL when the rule names
 * exactly one peer. 0 or -errno (-ENOENT: no such rule or SA). */
int ike_up(struct ike *ike, const char *rule, const struct ipaddr *peer, uint64_t now);
int ike_down_rule(struct ike *ike, const char *rule, uint64_t now);
int ike_down_child(struct ike *ike, uint32_t child_id, uint64_t now);
int ike_rekey_child(struct ike *ike, uint32_t child_id, uint64_t now);
int ike_rekey_ike(struct ike *ike, uint32_t child_id, uint64_t now); /* the IKE SA of child */

/* Outbound traffic went out on Child SA pair child_id (the daemon calls this now and then, not
 * per packet): liveness checks (RFC 7296 2.4) only run while traffic goes out and nothing
 * comes back. */
void ike_child_traffic(struct ike *ike, uint32_t child_id, uint64_t now);

/* Run due timers (retransmissions, DPD, rekeys, expiry, half-open). */
void ike_tick(struct ike *ike, uint64_t now);
/* When ike_tick() next has work; UINT64_MAX when nothing is armed. */
uint64_t ike_next_deadline(const struct ike *ike);

const struct ike_stats *ike_get_stats(const struct ike *ike);

/* One view per IKE SA for `esprit sa`. */
struct ike_sa_view {
	char name[40]; /* "spi_i:spi_r" */
	const char *state, *role, *rule;
	struct ike_endpoint local, remote;
	char xforms[96]; /* "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519" */
	uint64_t established_ms, rekey_in_ms;
	uint64_t expire_in_ms; /* until the hard lifetime deletes it; 0: none armed */
	size_t nchild;
	uint32_t child_ids[16];
};
void ike_foreach_sa(const struct ike *ike, void (*fn)(const struct ike_sa_view *v, void *arg),
		    void *arg, uint64_t now);

#endif
