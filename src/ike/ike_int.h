/* Private to the IKEv2 engine (ike.c, ike_init.c, ike_auth.c, ike_child.c, ike_info.c).
 *
 * The engine wraps each struct ike_sa (ike_sa.h: state machine, SPIs, keys, message ids,
 * timers) in a struct ike_xsa that holds what only the exchanges need: the D-H pair, the
 * IKE_SA_INIT messages AUTH signs, the SK contexts, the exchange we are waiting for and the
 * Child SA being negotiated. Child SAs (struct ike_xchild) are kept in one list per engine;
 * the daemon knows them by id only.
 *
 * Requests we send: one at a time per IKE SA (we advertise and use a window of 1, RFC 7296
 * 2.3); what the outstanding one was for is xsa->req. Work that arrives while a request is
 * outstanding (acquires, rekeys, deletes) waits in xsa->todo and is started when the
 * response has been processed (ike_xsa_kick).
 */
#ifndef ESPRIT_IKE_IKE_INT_H
#define ESPRIT_IKE_IKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "ike/cert.h"
#include "ike/cookie.h"
#include "ike/ike.h"
#include "ike/ike_frag.h"
#include "ike/ike_sa.h"
#include "ike/proposal.h"
#include "ike/sk.h"
#include "ike/ts.h"
#include "wire/ikev2.h"

#define IKE_BUF_MAX	   8192 /* messages we build */
#define IKE_NONCE_LEN	   32	/* RFC 7296 2.10: at least half the PRF key size */
#define IKE_TODO_MAX	   8
#define IKE_ACQUIRE_MAX	   256 /* pending acquires per engine */
#define IKE_REPLAY_WINDOW  128
#define IKE_CHILD_SOFT_PCT 90 /* rekey Child SAs at this share of their lifetime */

#define IKE_KEEPALIVE_MS 20000u /* RFC 3948 4: NAT keepalive interval, 20 s by default */

/* IKE SA lifetime without `ike-lifetime`: Windows' main mode, 480 min */
#define IKE_LIFE_DEFAULT_SEC (8 * 3600)

enum ike_req_kind {
	IKE_REQ_NONE,
	IKE_REQ_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_CHILD,	   /* CREATE_CHILD_SA: new Child SA or Child SA rekey */
	IKE_REQ_REKEY_IKE, /* CREATE_CHILD_SA rekeying the IKE SA */
	IKE_REQ_DEL_CHILD, /* INFORMATIONAL with Delete of Child SAs */
	IKE_REQ_DEL_IKE,   /* INFORMATIONAL with Delete of the IKE SA */
	IKE_REQ_DPD,	   /* empty INFORMATIONAL (liveness) */
};

/* A Child SA pair as the engine keeps it (keys are not kept: the data path has them). */
struct ike_xchild {
	uint32_t id;
	struct ike_xsa *xsa;
	const struct spd_rule *rule;
	uint8_t proto; /* IPPROTO_ESP / IPPROTO_AH */
	uint8_t mode;  /* enum sa_mode */
	uint32_t spi_in, spi_out;
	struct ts_list loc, rem;	  /* negotiated selectors, this host's view */
	bool we_initiated;		  /* we were the initiator of the exchange that made it */
	uint64_t created_ms, rekey_at_ms; /* rekey_at 0 = not armed */
	uint64_t expire_at_ms;		  /* hard lifetime: deleted then; 0 = never */
	bool deleting;			  /* our Delete for it is queued or sent */
	bool rekeying;			  /* a CREATE_CHILD_SA rekey for it is under way */
	bool rekeyed;			  /* replaced; waits for its delete */
	uint32_t replaced_id;		  /* made by rekeying this child id, 0 = new */
	/* the lower nonce of the exchange that made it, for rekey collisions (2.8.1) */
	uint8_t nonce_min[IKE_NONCE_MAX];
	size_t nonce_min_len;
	struct ike_xchild *next;
};

/* A Child SA under negotiation as initiator (IKE_AUTH or CREATE_CHILD_SA). */
struct ike_pchild {
	bool active;
	const struct spd_rule *rule;
	int64_t acquire_id; /* 0 = none */
	uint32_t replaces;  /* rekey of this child id, 0 = new */
	uint32_t spi_in;
	struct prop_list offer;
	struct ts_list tsi, tsr;
	struct dh *dh;	 /* PFS (CREATE_CHILD_SA only) */
	bool ke_retried; /* INVALID_KE_PAYLOAD answered once (RFC 7296 1.3) */
	uint8_t ni[IKE_NONCE_LEN];
};

/* Queued work for an IKE SA that has a request outstanding. */
enum ike_todo_kind {
	IKE_TODO_CHILD,
	IKE_TODO_REKEY_CHILD,
	IKE_TODO_DEL_CHILD,
	IKE_TODO_REKEY_IKE,
	IKE_TODO_DEL_IKE
};

struct ike_todo {
	enum ike_todo_kind kind;
	const struct spd_rule *rule; /* CHILD */
	bool has_pkt;
	struct spd_pkt pkt;
	int64_t acquire_id;
	uint32_t child_id; /* REKEY_CHILD, DEL_CHILD */
};

struct ike_xsa {
	struct ike_sa *sa;
	struct ike *ike;
	const struct spd_rule *rule; /* initiator: the rule that started it; responder: the rule
				      * IKE_AUTH matched (NULL before) */
	struct ike_endpoint local, remote;

	/* IKE_SA_INIT */
	struct dh *dh;
	uint16_t dh_group;
	struct prop_list ike_offer;
	uint8_t cookie[IKE_COOKIE_MAX];
	size_t cookie_len;
	uint8_t *init_req, *init_resp; /* AUTH signs them (RFC 7296 2.15) */
	size_t init_req_len, init_resp_len;
	bool ke_retried;

	struct ike_sk sk_out, sk_in;
	bool keyed;

	enum ike_req_kind req; /* what our outstanding request is for */
	uint32_t req_id;
	struct ike_pchild pc;
	uint32_t del_child_id; /* IKE_REQ_DEL_CHILD */

	/* IKE SA rekey (RFC 7296 2.18) as initiator of it */
	struct dh *rk_dh;
	uint8_t rk_spi[IKE_SPI_LEN];
	uint8_t rk_ni[IKE_NONCE_LEN];
	struct prop_list rk_offer;
	struct ike_xsa *replaced_by; /* rekeyed: the new IKE SA that took the children */

	struct ike_todo todo[IKE_TODO_MAX];
	size_t ntodo;

	const struct spd_auth *auth; /* our method in IKE_AUTH */
	/* How the peer proved itself in IKE_AUTH: the method of x->rule (or of its policy) that
	 * verified its AUTH and, for a certificate, the anchor its chain ended at. Another rule
	 * may use this IKE SA only if it accepts the same proof (ike_auth_rule_ok). */
	const struct spd_auth *peer_auth;
	uint8_t peer_ca[CERT_HASH_LEN];
	uint32_t peer_hashes; /* SIGNATURE_HASH_ALGORITHMS of the peer (RFC 7427 4), a mask */

	bool answered;	       /* the peer answered something (soft fallback only if never) */
	uint64_t keepalive_at; /* next NAT keepalive (a NAT in front of us); 0 = none */
	bool dead;	       /* freed at the end of the current input/tick */
	uint64_t established_ms;
	struct ike_frag frag; /* RFC 7383 */
	struct ike_xsa *next;
};

struct ike_acq {
	int64_t id;
	const struct spd_rule *rule;
	struct ipaddr peer;
	struct ike_xsa *xsa;
	bool soft;
	uint64_t soft_at; /* soft: when a silent peer makes it fail with clear_ok; 0 = never */
	struct ike_acq *next;
};

/* A (rule, peer) whose last negotiation failed for a reason that will not go away by itself
 * (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE): no new acquire before until. */
#define IKE_BACKOFF_MAX	     64
#define IKE_BACKOFF_FIRST_MS 2000u
#define IKE_BACKOFF_LIMIT_MS 300000u

struct ike_backoff {
	const struct spd_rule *rule; /* NULL = free */
	struct ipaddr peer;
	uint32_t delay_ms; /* the current step: 2 s, 4 s, ... 5 min */
	uint64_t until;
};

#define IKE_CSTORE_MAX 16

/* Certificate stores of `auth cert` methods, loaded when first used. */
struct ike_cstore {
	const struct spd_auth *a;
	struct cert_store *cs;
};

struct ike {
	struct ike_config cfg;
	struct ike_cstore cstore[IKE_CSTORE_MAX];
	size_t ncstore;
	struct ipaddr *locals;
	struct ike_io io;
	struct ike_sa_table *tab;
	struct ike_xsa *sas;
	struct ike_xchild *children;
	struct ike_acq *acqs;
	size_t nacq;
	uint32_t next_child_id;
	int64_t next_acq_id;
	struct ike_backoff backoff[IKE_BACKOFF_MAX];
	struct ike_stats st;
	struct ike_cookie_ctx cookie;
	struct ike_half_open_limits lim;
	uint64_t now;
	/* scratch (the engine is single-threaded) */
	struct ikev2_msg msg;
	uint8_t rx[IKE_MSG_CACHE_MAX];
	uint8_t tx[IKE_FRAG_TX_MAX]; /* a message or its fragments (ike_frag.h) */
	/* RFC 7383 (ike_frag.c) */
	uint16_t frag_size; /* 0 = by address family */
	bool frag_off;
	uint8_t frag_in[IKE_FRAG_PLAIN_MAX]; /* a reassembled message's inner payloads */
	uint8_t frag_out[IKE_BUF_MAX];	     /* plaintext being split into fragments */
};

/* ike.c: engine glue */
struct ike_xsa *ike_xsa_new(struct ike *ike, enum ike_role role, const uint8_t spi_i[8],
			    const uint8_t spi_r[8], const struct ike_endpoint *local,
			    const struct ike_endpoint *remote);
void ike_xsa_kill(struct ike_xsa *x, const char *why);
void ike_xsa_kick(struct ike_xsa *x);
void ike_xsa_established(struct ike_xsa *x);
/* Arm NAT keepalives when a NAT is in front of us and the SA is on port 4500. */
void ike_natt_keepalive_arm(struct ike_xsa *x);

/* ike_natt.c: where the peer is once NAT traversal is under way (RFC 7296 2.23) */
/* The NAT keepalive period: the configured one or IKE_KEEPALIVE_MS. */
uint64_t ike_natt_keepalive_ms(const struct ike *ike);
/* May an authenticated message of x come from another address or port than x->remote? Only
 * when the peer is behind a NAT and we are not (RFC 7296 2.23). */
bool ike_natt_may_move(const struct ike_xsa *x);
/* An authenticated request arrived on local from remote: take the endpoints (the move to
 * port 4500, or a NAT mapping that changed: the Child SAs follow through io.child_move). */
void ike_natt_peer_seen(struct ike_xsa *x, const struct ike_endpoint *local,
			const struct ike_endpoint *remote);
/* RFC 7296 2.23.1, transport mode with a NAT between the hosts: their selectors name private
 * addresses. The responder takes the addresses IKE sees instead (TSi: the peer's when a NAT
 * is in front of it; TSr: ours when one is in front of us) for narrowing and for its SAs,
 * and answers with the originals (ike_natt_ts_out), which the initiator offered. */
struct ike_natt_ts {
	bool has_i, has_r;
	struct ipaddr i, r; /* the originals */
};
void ike_natt_ts_in(const struct ike_xsa *x, struct ts_list *ti, struct ts_list *tr,
		    struct ike_natt_ts *o);
void ike_natt_ts_out(const struct ike_natt_ts *o, struct ts_list *ti, struct ts_list *tr);
void ike_rand(void *p, size_t n);
uint32_t ike_spi_alloc(struct ike *ike);
void ike_send(struct ike_xsa *x, const uint8_t *msg, size_t len);
void ike_send_to(struct ike *ike, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *msg, size_t len);
/* Our request: keep it for retransmission, arm the timer, send. 0 or -errno. */
int ike_request_send(struct ike_xsa *x, enum ike_req_kind kind, size_t len);
/* Our response to request id: cache it for retransmitted requests, send. */
void ike_response_send(struct ike_xsa *x, uint32_t id, size_t len);
/* Start an encrypted message in ike->tx: header for exch, our request (msgid ignored, the
 * window gives it) or our response to id. Write payloads into sm->inner, then ike_sk_seal. */
void ike_sk_start(struct ike_xsa *x, uint8_t exch, bool response, uint32_t id, struct ikev2_wr *b,
		  struct ike_sk_msg *sm);
int ike_sk_seal(struct ike_xsa *x, struct ike_sk_msg *sm, size_t *len);
void ike_acquire_finish(struct ike *ike, struct ike_xsa *x, int64_t acquire_id, bool ok);
struct ike_xchild *ike_child_find(struct ike *ike, uint32_t id);
struct ike_xchild *ike_child_by_spi_out(struct ike_xsa *x, uint8_t proto, uint32_t spi);
struct ike_xchild *ike_child_by_spi_in(struct ike_xsa *x, uint8_t proto, uint32_t spi);
void ike_child_remove(struct ike_xchild *c, const char *why);
bool ike_todo_push(struct ike_xsa *x, const struct ike_todo *t);
const struct ikev2_notify *ike_notify_find(const struct ikev2_msg *m, uint16_t type);
const struct ikev2_notify *ike_notify_error(const struct ikev2_msg *m);

/* ike_backoff.c: negative cache of failed negotiations */
/* The negotiation of rule with peer failed (why, for the log): wait before the next one. */
void ike_backoff_fail(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer,
		      const char *why);
/* 0, or -EAGAIN while (r, peer) waits (counted in backoff_refused). */
int ike_backoff_check(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer);
void ike_backoff_forget(struct ike *ike, const struct spd_rule *r, const struct ipaddr *peer);
void ike_backoff_reset(struct ike *ike);

/* ike_init.c */
int ike_init_start(struct ike *ike, const struct spd_rule *rule, const struct ike_endpoint *local,
		   const struct ike_endpoint *remote, struct ike_xsa **out);
void ike_init_request(struct ike *ike, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, struct ikev2_msg *m);
void ike_init_response(struct ike_xsa *x, struct ikev2_msg *m);
int ike_ike_keys(struct ike_xsa *x, const struct prop *chosen, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		 const uint8_t *sk_d_old, size_t sk_d_len, uint16_t old_prf);

/* ike_sig.c: certificate authentication (RFC 7296 2.15, RFC 7427) */
struct ikev2_wr;
/* Our ID (DER DN of our certificate): body = ID Type | 3 zero octets | data. */
int ike_sig_own_id(struct ike_xsa *x, const struct spd_auth *a, uint8_t *body, size_t cap,
		   size_t *len);
/* Can this method be used (own certificate, trust anchors, a key in the signer)? */
bool ike_sig_usable(struct ike *ike, const struct spd_auth *a);
/* Write CERT payloads and CERTREQ (before AUTH) for method a. */
void ike_sig_put_certs(struct ike_xsa *x, const struct spd_auth *a, struct ikev2_wr *w);
/* CERTREQ for an IKE_SA_INIT response: the CAs of every usable certificate method. */
void ike_sig_put_certreq_init(struct ike *ike, struct ikev2_wr *w);
/* Sign and write the AUTH payload. 0 or -errno (logged). */
int ike_sig_put_auth(struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		     const uint8_t *id_body, size_t id_len, struct ikev2_wr *w);
/* Verify the peer's certificate chain, its ID against it and its AUTH signature. 0, or -errno
 * with why filled. */
int ike_sig_verify(struct ike_xsa *x, const struct spd_auth *a, bool signer_initiator,
		   const struct ikev2_msg *m, const struct ikev2_id *id, char *why, size_t whylen);
/* Does method a trust the anchor with this SPKI SHA-1 (x->peer_ca)? */
bool ike_sig_trusts(struct ike *ike, const struct spd_auth *a, const uint8_t ca[CERT_HASH_LEN]);
/* Method a's anchors as *n SPKI SHA-1 hashes of CERT_HASH_LEN octets (NULL if unusable). */
const uint8_t *ike_sig_anchors(struct ike *ike, const struct spd_auth *a, size_t *n);
void ike_sig_free(struct ike *ike);

/* ike_auth.c */
int ike_auth_start(struct ike_xsa *x);
void ike_auth_request(struct ike_xsa *x, struct ikev2_msg *m);
void ike_auth_response(struct ike_xsa *x, struct ikev2_msg *m);
/* May a Child SA of rule r use IKE SA x (whose peer proved itself to x->rule only)? false
 * with the reason in why when r expects another identity or would not have accepted the
 * peer's key or certificate authority. */
bool ike_auth_rule_ok(const struct ike_xsa *x, const struct spd_rule *r, char *why, size_t whylen);
/* After a reload (x->rule already of the new model, x->peer_auth still of the old one): the
 * new rule's method that accepts the same proof, else none (x then carries only its rule). */
void ike_auth_reloaded(struct ike_xsa *x);

/* ike_child.c */
int ike_pchild_prepare(struct ike_xsa *x, const struct spd_rule *rule, const struct spd_pkt *pkt,
		       bool ike_auth, uint32_t replaces);
void ike_pchild_clear(struct ike_pchild *pc);
void ike_child_put_offer(struct ike_xsa *x, struct ikev2_wr *w);
/* Responder: choose proposal and selectors for the peer's request m; on success write the
 * answer payloads into w and install. Returns 0 or the error notify type to send. */
uint16_t ike_child_respond(struct ike_xsa *x, const struct spd_rule *rule, struct ikev2_msg *m,
			   bool ike_auth, const uint8_t *nr, size_t nr_len, uint32_t replaces,
			   struct ikev2_wr *w);
/* The selectors the peer asked for, for logs and spd_respond(). */
const struct spd_rule *ike_child_rule_for(struct ike_xsa *x, const struct ikev2_msg *m);
/* Initiator: the answer to our child offer; installs or fails the acquire. */
void ike_child_finish(struct ike_xsa *x, struct ikev2_msg *m, bool ike_auth);
int ike_child_start(struct ike_xsa *x, const struct spd_rule *rule, const struct spd_pkt *pkt,
		    int64_t acquire_id, uint32_t replaces);
void ike_ccsa_request(struct ike_xsa *x, struct ikev2_msg *m);
void ike_ccsa_response(struct ike_xsa *x, struct ikev2_msg *m, enum ike_req_kind kind);
void ike_child_tick(struct ike *ike, uint64_t now);

/* ike_rekey.c */
int ike_rekey_ike_start(struct ike_xsa *x);
void ike_rekey_ike_request(struct ike_xsa *x, struct ikev2_msg *m);
void ike_rekey_ike_response(struct ike_xsa *x, struct ikev2_msg *m);

/* ike_info.c */
int ike_info_delete_child(struct ike_xsa *x, uint32_t child_id);
int ike_info_delete_ike(struct ike_xsa *x);
int ike_info_dpd(struct ike_xsa *x);
void ike_info_request(struct ike_xsa *x, struct ikev2_msg *m);
void ike_info_response(struct ike_xsa *x, struct ikev2_msg *m, enum ike_req_kind kind);
void ike_initial_contact(struct ike_xsa *x);

#endif
