/* The IKE SA (RFC 7296 1.2-1.5, 2.8, 2.18): its state machine and the table that finds it.
 *
 * States (docs/ike-states.md has the diagram and the table with the RFC sections):
 *
 *   IDLE         created, nothing sent yet
 *   INIT_SENT    initiator: IKE_SA_INIT request sent, no response yet            (1.2)
 *   INIT_DONE    responder: IKE_SA_INIT answered, waiting for IKE_AUTH: half-open (1.2, 2.6)
 *   AUTH_SENT    initiator: IKE_SA_INIT done, IKE_AUTH request sent                (1.2)
 *   ESTABLISHED  both sides authenticated; CREATE_CHILD_SA and INFORMATIONAL run  (1.3, 1.4)
 *   REKEYING     a CREATE_CHILD_SA rekeying this IKE SA is under way              (1.3.2, 2.18)
 *   DELETING     we sent a Delete for this IKE SA and wait for the response        (1.4.1)
 *   DEAD         finished: deleted, failed, timed out; only freeing is left        (2.4)
 *
 * Every change goes through ike_sa_set_state(): one table of legal transitions (with the role
 * that may take them), illegal ones refused with -EPERM and a log line, legal ones logged as
 * "IKE_SA <spi_i>:<spi_r> OLD -> NEW (reason)". Callers change state only after the message
 * that causes it was authenticated (the IKE_SA_INIT exchange excepted: it is authenticated
 * later, by the AUTH payloads, RFC 7296 2.15), and only after the msgid commit.
 *
 * Pure logic: no sockets, no crypto, times are monotonic milliseconds passed in.
 */
#ifndef ESPRIT_IKE_IKE_SA_H
#define ESPRIT_IKE_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ikekeys.h"
#include "ike/msgid.h"
#include "lib/addr.h"

#define IKE_SA_STATES(X) \
	X(IDLE)          \
	X(INIT_SENT)     \
	X(INIT_DONE)     \
	X(AUTH_SENT)     \
	X(ESTABLISHED)   \
	X(REKEYING)      \
	X(DELETING)      \
	X(DEAD)

enum ike_state {
#define IKE_ST_ENUM(n) IKE_ST_##n,
	IKE_SA_STATES(IKE_ST_ENUM)
#undef IKE_ST_ENUM
		IKE_ST_COUNT
};

enum ike_role { IKE_ROLE_INITIATOR, IKE_ROLE_RESPONDER };

#define IKE_SA_HASH_LEN 32 /* SHA-256 of the first IKE_SA_INIT request (computed by the caller) */

/* The transforms chosen in IKE_SA_INIT (RFC 7296 3.3.2 ids). */
struct ike_sa_xforms {
	uint16_t encr, encr_bits, prf, integ, dh;
};

/* Timer settings of one IKE SA (ike_timers.c); all in milliseconds. */
struct ike_timer_policy {
	uint64_t rt_base_ms;   /* first retransmission timeout */
	uint64_t rt_cap_ms;    /* no timeout longer than this */
	unsigned rt_max;       /* retransmissions before giving up */
	uint64_t dpd_delay_ms; /* 0 = no liveness checks */
	uint64_t soft_ms;      /* rekey after this long (minus jitter); 0 = never */
	uint64_t hard_ms;      /* delete after this long; 0 = never */
	uint64_t jitter_ms;    /* rekey up to this much earlier, at random (RFC 7296 2.8) */
	uint64_t half_open_ms; /* responder: IKE_AUTH must come within this */
};

/* Placeholder for the per-policy accounting the daemon will report. */
struct ike_sa_counters {
	uint64_t exchanges_in, exchanges_out;
	uint64_t child_created, child_deleted;
};

struct ike_sa_table;

struct ike_sa {
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN]; /* spi_r all zero until known */
	enum ike_role role;
	enum ike_state state;
	struct ipaddr peer;
	uint16_t peer_port;
	uint32_t policy_id; /* the policy this SA serves; 0 = none yet */

	struct ike_sa_xforms xf;
	struct ike_sa_keys keys; /* SK_d, SK_a*, SK_e*, SK_p* -- wiped on free */
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	/* Responder: hash of the first IKE_SA_INIT request, to tell a retransmission from a new
	 * request reusing the SPIi (RFC 7296 2.1). */
	uint8_t init_hash[IKE_SA_HASH_LEN];
	bool nat_local, nat_peer; /* NAT detected in front of us / of the peer (RFC 7296 2.23) */

	uint32_t *child_ids; /* Child SAs of this IKE SA, by id */
	size_t nchild, child_cap;
	struct ike_sa_counters cnt;

	struct ike_msgid msgid;
	struct ike_timer_policy tp;
	uint64_t created_ms, last_heard_ms, last_out_ms;  /* last_out: outbound traffic */
	uint64_t soft_at_ms, hard_at_ms, half_open_at_ms; /* 0 = not armed */
	bool dpd_pending;				  /* liveness check sent, no answer yet */

	/* table links (ike_sa_table) */
	struct ike_sa_table *table;
	struct ike_sa *next_full, *next_spi_i;
	bool in_full;

	void *owner; /* the engine's wrapper (ike.c), NULL in tests of this module */
};

const char *ike_state_name(enum ike_state s);
const char *ike_role_name(enum ike_role r);

/* A new SA in IDLE with msgid windows of 1 and the default timer policy. spi_r may be NULL
 * (initiator before the response). NULL on allocation failure or a zero spi_i. */
struct ike_sa *ike_sa_new(enum ike_role role, const uint8_t spi_i[IKE_SPI_LEN],
			  const uint8_t spi_r[IKE_SPI_LEN], const struct ipaddr *peer,
			  uint16_t peer_port, uint64_t now);
/* Wipe keys, nonces and stored messages, free. The SA must not be in a table. */
void ike_sa_free(struct ike_sa *sa);
/* Test hook: called by ike_sa_free() after wiping, before the memory is released. */
extern void (*ike_sa_free_hook)(const struct ike_sa *sa);

/* RFC 7296 1.2-1.5, 2.4, 2.18: the one place an IKE SA changes state. 0, or -EPERM for a
 * transition the table does not allow (also for the role), logged either way. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_state new_state, const char *reason);
/* Whether the table allows from -> to for this role (for tests and assertions). */
bool ike_sa_transition_ok(enum ike_role role, enum ike_state from, enum ike_state to);

/* "0123456789abcdef:fedcba9876543210" into buf (34 bytes). */
#define IKE_SA_NAME_LEN 34
const char *ike_sa_name(const struct ike_sa *sa, char *buf);

/* Child SA ids. add: 0, -EEXIST, -ENOMEM; del: 0, -ENOENT. */
int ike_sa_child_add(struct ike_sa *sa, uint32_t id);
int ike_sa_child_del(struct ike_sa *sa, uint32_t id);

/* An authenticated message from the peer arrived (resets liveness, RFC 7296 2.4). */
void ike_sa_heard(struct ike_sa *sa, uint64_t now);
/* Traffic went out on one of its Child SAs (liveness is checked only then, RFC 7296 2.4). */
void ike_sa_note_outbound(struct ike_sa *sa, uint64_t now);

/* --- the table --- */

/* Half-open limits (RFC 7296 2.6): above cookie_at half-open SAs in all, new IKE_SA_INIT
 * requests are answered with a COOKIE; above max_total or per_peer_max they are dropped. */
struct ike_half_open_limits {
	size_t cookie_at, max_total, per_peer_max;
};

enum ike_admit { IKE_ADMIT_OK, IKE_ADMIT_COOKIE, IKE_ADMIT_REFUSE };

/* seed: random, keys the hash so peers cannot aim their SPIs at one bucket. */
struct ike_sa_table *ike_sa_table_new(uint64_t seed);
/* Frees the table and every SA in it. */
void ike_sa_table_free(struct ike_sa_table *t);
/* Insert. -EEXIST if (spi_i, spi_r) is taken (spi_r known), or an initiator SA with this
 * spi_i exists; -EINVAL if already in a table; -ENOMEM. */
int ike_sa_table_add(struct ike_sa_table *t, struct ike_sa *sa);
/* Unlink (the caller frees). */
void ike_sa_table_remove(struct ike_sa_table *t, struct ike_sa *sa);
/* The initiator learnt the responder's SPI: index the SA by both. 0, -EEXIST, -EALREADY,
 * -EINVAL (zero SPI). */
int ike_sa_table_set_spi_r(struct ike_sa_table *t, struct ike_sa *sa,
			   const uint8_t spi_r[IKE_SPI_LEN]);
/* By both SPIs, as every message after IKE_SA_INIT is found (RFC 7296 2.6). */
struct ike_sa *ike_sa_table_lookup(const struct ike_sa_table *t, const uint8_t spi_i[IKE_SPI_LEN],
				   const uint8_t spi_r[IKE_SPI_LEN]);
/* Initiator side: our SA with this spi_i (the IKE_SA_INIT response carries a new spi_r). */
struct ike_sa *ike_sa_table_lookup_initiator(const struct ike_sa_table *t,
					     const uint8_t spi_i[IKE_SPI_LEN]);

/* Responder side, an IKE_SA_INIT request arrived (SPIr zero): RFC 7296 2.1 -- the SA the same
 * peer (address and port) opened with this SPIi. *sa gets it or NULL. */
enum ike_init_match {
	IKE_INIT_NEW,	     /* no such SA: a new exchange */
	IKE_INIT_RETRANSMIT, /* same request again: resend the cached response */
	IKE_INIT_CONFLICT    /* same SPIi and peer but another request: drop */
};
enum ike_init_match ike_sa_table_find_init(const struct ike_sa_table *t,
					   const uint8_t spi_i[IKE_SPI_LEN],
					   const struct ipaddr *peer, uint16_t port,
					   const uint8_t hash[IKE_SA_HASH_LEN], struct ike_sa **sa);

size_t ike_sa_table_count(const struct ike_sa_table *t);
/* Half-open SAs: responder SAs in IDLE or INIT_DONE (IKE_AUTH not completed). */
size_t ike_sa_table_half_open(const struct ike_sa_table *t);
size_t ike_sa_table_half_open_peer(const struct ike_sa_table *t, const struct ipaddr *peer);
/* What to do with a new IKE_SA_INIT request from peer (the cookie logic asks this). */
enum ike_admit ike_sa_table_admit(const struct ike_sa_table *t,
				  const struct ike_half_open_limits *lim,
				  const struct ipaddr *peer);
/* Visit every SA; fn must not add or remove SAs. */
void ike_sa_table_foreach(const struct ike_sa_table *t, void (*fn)(struct ike_sa *sa, void *arg),
			  void *arg);

#endif
