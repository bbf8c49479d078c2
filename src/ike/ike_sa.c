/* The IKE SA state machine and table. See ike_sa.h and docs/ike-states.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ike/ike_sa.h"
#include "lib/log.h"
#include "lib/util.h"

void (*ike_sa_free_hook)(const struct ike_sa *sa);

static const char *const state_names[] = {
#define IKE_ST_NAME(n) [IKE_ST_##n] = #n,
	IKE_SA_STATES(IKE_ST_NAME)
#undef IKE_ST_NAME
};

const char *ike_state_name(enum ike_state s)
{
	return (unsigned)s < IKE_ST_COUNT ? state_names[s] : "?";
}

const char *ike_role_name(enum ike_role r)
{
	return r == IKE_ROLE_INITIATOR ? "initiator" : "responder";
}

/* Who may take a transition. */
#define I_ (1u << IKE_ROLE_INITIATOR)
#define R_ (1u << IKE_ROLE_RESPONDER)
#define IR (I_ | R_)

/* The legal transitions; everything absent is refused. */
static const uint8_t transitions[IKE_ST_COUNT][IKE_ST_COUNT] = {
	/* RFC 7296 1.2: the initiator opens with IKE_SA_INIT; the responder answers it. */
	[IKE_ST_IDLE][IKE_ST_INIT_SENT] = I_,
	[IKE_ST_IDLE][IKE_ST_INIT_DONE] = R_,
	/* RFC 7296 2.18: an IKE SA made by rekeying starts out authenticated, by either side */
	[IKE_ST_IDLE][IKE_ST_ESTABLISHED] = IR,
	[IKE_ST_IDLE][IKE_ST_DEAD] = IR,
	/* RFC 7296 1.2: the initiator sends IKE_AUTH once IKE_SA_INIT is answered. */
	[IKE_ST_INIT_SENT][IKE_ST_AUTH_SENT] = I_,
	[IKE_ST_INIT_SENT][IKE_ST_DEAD] = I_,
	/* RFC 7296 1.2: the responder verified AUTH and answered: both sides are established */
	[IKE_ST_INIT_DONE][IKE_ST_ESTABLISHED] = R_,
	[IKE_ST_INIT_DONE][IKE_ST_DEAD] = R_,
	[IKE_ST_AUTH_SENT][IKE_ST_ESTABLISHED] = I_,
	[IKE_ST_AUTH_SENT][IKE_ST_DEAD] = I_,
	/* RFC 7296 1.3.2, 2.18: either side may rekey the IKE SA. */
	[IKE_ST_ESTABLISHED][IKE_ST_REKEYING] = IR,
	/* RFC 7296 1.4.1: either side may delete it. */
	[IKE_ST_ESTABLISHED][IKE_ST_DELETING] = IR,
	[IKE_ST_ESTABLISHED][IKE_ST_DEAD] = IR,
	/* RFC 7296 2.18, 2.25: a failed or lost (simultaneous) rekey leaves the old SA as it
	 * was; a finished one leaves it to be deleted by the rekey's initiator. */
	[IKE_ST_REKEYING][IKE_ST_ESTABLISHED] = IR,
	[IKE_ST_REKEYING][IKE_ST_DELETING] = IR,
	[IKE_ST_REKEYING][IKE_ST_DEAD] = IR,
	[IKE_ST_DELETING][IKE_ST_DEAD] = IR,
};

#undef I_
#undef R_
#undef IR

bool ike_sa_transition_ok(enum ike_role role, enum ike_state from, enum ike_state to)
{
	if ((unsigned)from >= IKE_ST_COUNT || (unsigned)to >= IKE_ST_COUNT ||
	    (unsigned)role > IKE_ROLE_RESPONDER)
		return false;
	return transitions[from][to] & (1u << role);
}

const char *ike_sa_name(const struct ike_sa *sa, char *buf)
{
	hex_encode(buf, sa->spi_i, IKE_SPI_LEN);
	buf[2 * IKE_SPI_LEN] = ':';
	hex_encode(buf + 2 * IKE_SPI_LEN + 1, sa->spi_r, IKE_SPI_LEN);
	return buf;
}

static bool is_half_open(const struct ike_sa *sa)
{
	return sa->role == IKE_ROLE_RESPONDER &&
	       (sa->state == IKE_ST_IDLE || sa->state == IKE_ST_INIT_DONE);
}

static void half_open_account(struct ike_sa_table *t, const struct ike_sa *sa, int delta);

int ike_sa_set_state(struct ike_sa *sa, enum ike_state new_state, const char *reason)
{
	char name[IKE_SA_NAME_LEN];
	bool was_half;

	if (!reason)
		reason = "-";
	if (!ike_sa_transition_ok(sa->role, sa->state, new_state)) {
		log_warn("IKE_SA %s %s -> %s refused for the %s (%s)", ike_sa_name(sa, name),
			 ike_state_name(sa->state), ike_state_name(new_state),
			 ike_role_name(sa->role), reason);
		return -EPERM;
	}
	log_info("IKE_SA %s %s -> %s (%s)", ike_sa_name(sa, name), ike_state_name(sa->state),
		 ike_state_name(new_state), reason);
	was_half = is_half_open(sa);
	sa->state = new_state;
	if (sa->table && was_half != is_half_open(sa))
		half_open_account(sa->table, sa, was_half ? -1 : 1);
	return 0;
}

static bool spi_zero(const uint8_t spi[IKE_SPI_LEN])
{
	static const uint8_t zero[IKE_SPI_LEN];

	return !memcmp(spi, zero, IKE_SPI_LEN);
}

/* Defaults; the daemon overwrites sa->tp from its configuration. Retransmission: 1 s doubling
 * up to 32 s, 5 retransmissions (RFC 7296 2.4 leaves the numbers to the implementation). */
static const struct ike_timer_policy default_tp = {
	.rt_base_ms = 1000,
	.rt_cap_ms = 32000,
	.rt_max = 5,
	.dpd_delay_ms = 30000,
	.soft_ms = 3 * 3600 * 1000,
	.hard_ms = 4 * 3600 * 1000,
	.jitter_ms = 10 * 60 * 1000,
	.half_open_ms = 30000,
};

struct ike_sa *ike_sa_new(enum ike_role role, const uint8_t spi_i[IKE_SPI_LEN],
			  const uint8_t spi_r[IKE_SPI_LEN], const struct ipaddr *peer,
			  uint16_t peer_port, uint64_t now)
{
	struct ike_sa *sa;

	/* RFC 7296 3.1: the IKE SA Initiator's SPI "MUST NOT be zero". */
	if (!spi_i || spi_zero(spi_i) || !peer)
		return NULL;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	memcpy(sa->spi_i, spi_i, IKE_SPI_LEN);
	if (spi_r)
		memcpy(sa->spi_r, spi_r, IKE_SPI_LEN);
	sa->role = role;
	sa->state = IKE_ST_IDLE;
	sa->peer = *peer;
	sa->peer_port = peer_port;
	ike_msgid_init(&sa->msgid);
	sa->tp = default_tp;
	sa->created_ms = now;
	sa->last_heard_ms = now;
	return sa;
}

void ike_sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	ikekeys_sa_wipe(&sa->keys);
	wipe(sa->ni, sizeof(sa->ni));
	wipe(sa->nr, sizeof(sa->nr));
	ike_msgid_clear(&sa->msgid);
	free(sa->child_ids);
	sa->child_ids = NULL;
	if (ike_sa_free_hook)
		ike_sa_free_hook(sa);
	free(sa);
}

int ike_sa_child_add(struct ike_sa *sa, uint32_t id)
{
	uint32_t *n;
	size_t cap;

	for (size_t i = 0; i < sa->nchild; i++)
		if (sa->child_ids[i] == id)
			return -EEXIST;
	if (sa->nchild == sa->child_cap) {
		cap = sa->child_cap ? 2 * sa->child_cap : 4;
		n = realloc(sa->child_ids, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sa->child_ids = n;
		sa->child_cap = cap;
	}
	sa->child_ids[sa->nchild++] = id;
	return 0;
}

int ike_sa_child_del(struct ike_sa *sa, uint32_t id)
{
	for (size_t i = 0; i < sa->nchild; i++) {
		if (sa->child_ids[i] == id) {
			sa->child_ids[i] = sa->child_ids[--sa->nchild];
			return 0;
		}
	}
	return -ENOENT;
}

void ike_sa_heard(struct ike_sa *sa, uint64_t now)
{
	sa->last_heard_ms = now;
	sa->dpd_pending = false;
}

void ike_sa_note_outbound(struct ike_sa *sa, uint64_t now)
{
	sa->last_out_ms = now;
}

/* --- the table --- */

#define PEER_BUCKETS 1024

struct peer_count {
	struct ipaddr addr;
	size_t n;
	struct peer_count *next;
};

struct ike_sa_table {
	struct ike_sa **full; /* by (spi_i, spi_r) */
	struct ike_sa **byi;  /* by spi_i */
	size_t nbuckets;      /* a power of two, for both */
	size_t count;
	uint64_t seed;
	EVP_MAC_CTX *mac; /* SipHash-2-4, keyed */
	size_t half_open;
	struct peer_count *peers[PEER_BUCKETS];
};

static uint64_t spi_u64(const uint8_t spi[IKE_SPI_LEN])
{
	uint64_t v = 0;

	for (size_t i = 0; i < IKE_SPI_LEN; i++)
		v = v << 8 | spi[i];
	return v;
}

/* Peers choose SPIi (and, as responders, SPIr): a keyed PRF decides the bucket, so nobody
 * who does not know the key can aim many SAs at one chain. SipHash-2-4 with a 128-bit key
 * (the caller's seed and 64 random bits), through OpenSSL's EVP_MAC; a 64-bit result. */
static uint64_t sip(const struct ike_sa_table *t, const uint8_t *in, size_t len)
{
	uint8_t out[8];
	size_t n = 0;

	/* NULL key: the key set in ike_sa_table_new() stays (OpenSSL 3 EVP_MAC_init) */
	if (!EVP_MAC_init(t->mac, NULL, 0, NULL) || !EVP_MAC_update(t->mac, in, len) ||
	    !EVP_MAC_final(t->mac, out, &n, sizeof(out)) || n != sizeof(out))
		return spi_u64(in) ^ t->seed; /* not reached with a working libcrypto */
	return spi_u64(out);
}

static size_t hash_i(const struct ike_sa_table *t, const uint8_t spi_i[IKE_SPI_LEN], size_t nb)
{
	return sip(t, spi_i, IKE_SPI_LEN) & (nb - 1);
}

static size_t hash_ir(const struct ike_sa_table *t, const uint8_t spi_i[IKE_SPI_LEN],
		      const uint8_t spi_r[IKE_SPI_LEN], size_t nb)
{
	uint8_t both[2 * IKE_SPI_LEN];

	memcpy(both, spi_i, IKE_SPI_LEN);
	memcpy(both + IKE_SPI_LEN, spi_r, IKE_SPI_LEN);
	return sip(t, both, sizeof(both)) & (nb - 1);
}

static EVP_MAC_CTX *sip_new(uint64_t seed)
{
	uint8_t key[16];
	OSSL_PARAM params[2];
	size_t outlen = 8;
	EVP_MAC_CTX *c = NULL;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "SIPHASH", NULL);

	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(seed >> (56 - 8 * i));
	if (m && RAND_bytes(key + 8, 8) == 1)
		c = EVP_MAC_CTX_new(m);
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen);
	params[1] = OSSL_PARAM_construct_end();
	if (c && !EVP_MAC_init(c, key, sizeof(key), params)) {
		EVP_MAC_CTX_free(c);
		c = NULL;
	}
	EVP_MAC_free(m);
	wipe(key, sizeof(key));
	return c;
}

struct ike_sa_table *ike_sa_table_new(uint64_t seed)
{
	struct ike_sa_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = 64;
	t->seed = seed;
	t->mac = sip_new(seed);
	t->full = calloc(t->nbuckets, sizeof(*t->full));
	t->byi = calloc(t->nbuckets, sizeof(*t->byi));
	if (!t->full || !t->byi || !t->mac) {
		EVP_MAC_CTX_free(t->mac);
		free(t->full);
		free(t->byi);
		free(t);
		return NULL;
	}
	return t;
}

void ike_sa_table_free(struct ike_sa_table *t)
{
	struct ike_sa *sa, *next;
	struct peer_count *p, *pn;

	if (!t)
		return;
	for (size_t b = 0; b < t->nbuckets; b++) {
		for (sa = t->byi[b]; sa; sa = next) {
			next = sa->next_spi_i;
			sa->table = NULL;
			ike_sa_free(sa);
		}
	}
	for (size_t b = 0; b < PEER_BUCKETS; b++) {
		for (p = t->peers[b]; p; p = pn) {
			pn = p->next;
			free(p);
		}
	}
	EVP_MAC_CTX_free(t->mac);
	free(t->full);
	free(t->byi);
	free(t);
}

static struct peer_count **peer_slot(struct ike_sa_table *t, const struct ipaddr *a)
{
	struct peer_count **pp = &t->peers[ipaddr_hash(a, (uint32_t)t->seed) % PEER_BUCKETS];

	while (*pp && !ipaddr_eq(&(*pp)->addr, a))
		pp = &(*pp)->next;
	return pp;
}

static const struct peer_count *peer_find(const struct ike_sa_table *t, const struct ipaddr *a)
{
	const struct peer_count *p = t->peers[ipaddr_hash(a, (uint32_t)t->seed) % PEER_BUCKETS];

	while (p && !ipaddr_eq(&p->addr, a))
		p = p->next;
	return p;
}

static void half_open_account(struct ike_sa_table *t, const struct ike_sa *sa, int delta)
{
	struct peer_count **pp = peer_slot(t, &sa->peer), *p = *pp;

	if (delta > 0) {
		t->half_open++;
		if (!p) {
			p = calloc(1, sizeof(*p));
			if (!p)
				return; /* the global count still holds; per peer undercounts */
			p->addr = sa->peer;
			*pp = p;
		}
		p->n++;
		return;
	}
	t->half_open--;
	if (p && --p->n == 0) {
		*pp = p->next;
		free(p);
	}
}

static int table_grow(struct ike_sa_table *t)
{
	size_t nb = t->nbuckets * 2;
	struct ike_sa **full = calloc(nb, sizeof(*full)), **byi = calloc(nb, sizeof(*byi));
	struct ike_sa *sa, *next;

	if (!full || !byi) {
		free(full);
		free(byi);
		return -ENOMEM;
	}
	for (size_t b = 0; b < t->nbuckets; b++) {
		for (sa = t->byi[b]; sa; sa = next) {
			size_t h = hash_i(t, sa->spi_i, nb);

			next = sa->next_spi_i;
			sa->next_spi_i = byi[h];
			byi[h] = sa;
		}
		for (sa = t->full[b]; sa; sa = next) {
			size_t h = hash_ir(t, sa->spi_i, sa->spi_r, nb);

			next = sa->next_full;
			sa->next_full = full[h];
			full[h] = sa;
		}
	}
	free(t->full);
	free(t->byi);
	t->full = full;
	t->byi = byi;
	t->nbuckets = nb;
	return 0;
}

struct ike_sa *ike_sa_table_lookup(const struct ike_sa_table *t, const uint8_t spi_i[IKE_SPI_LEN],
				   const uint8_t spi_r[IKE_SPI_LEN])
{
	struct ike_sa *sa = t->full[hash_ir(t, spi_i, spi_r, t->nbuckets)];

	for (; sa; sa = sa->next_full)
		if (!memcmp(sa->spi_i, spi_i, IKE_SPI_LEN) &&
		    !memcmp(sa->spi_r, spi_r, IKE_SPI_LEN))
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_table_lookup_initiator(const struct ike_sa_table *t,
					     const uint8_t spi_i[IKE_SPI_LEN])
{
	struct ike_sa *sa = t->byi[hash_i(t, spi_i, t->nbuckets)];

	for (; sa; sa = sa->next_spi_i)
		if (sa->role == IKE_ROLE_INITIATOR && !memcmp(sa->spi_i, spi_i, IKE_SPI_LEN))
			return sa;
	return NULL;
}

static void full_link(struct ike_sa_table *t, struct ike_sa *sa)
{
	size_t h = hash_ir(t, sa->spi_i, sa->spi_r, t->nbuckets);

	sa->next_full = t->full[h];
	t->full[h] = sa;
	sa->in_full = true;
}

int ike_sa_table_add(struct ike_sa_table *t, struct ike_sa *sa)
{
	size_t h;
	int rc;

	if (sa->table)
		return -EINVAL;
	if (!spi_zero(sa->spi_r) && ike_sa_table_lookup(t, sa->spi_i, sa->spi_r))
		return -EEXIST;
	/* our own SPIi must be unique among our initiator SAs (RFC 7296 2.6) */
	if (sa->role == IKE_ROLE_INITIATOR && ike_sa_table_lookup_initiator(t, sa->spi_i))
		return -EEXIST;
	if (t->count + 1 > t->nbuckets) {
		rc = table_grow(t);
		if (rc)
			return rc;
	}
	h = hash_i(t, sa->spi_i, t->nbuckets);
	sa->next_spi_i = t->byi[h];
	t->byi[h] = sa;
	if (!spi_zero(sa->spi_r))
		full_link(t, sa);
	sa->table = t;
	t->count++;
	if (is_half_open(sa))
		half_open_account(t, sa, 1);
	return 0;
}

static void unlink_chain(struct ike_sa **head, struct ike_sa *sa, bool full)
{
	struct ike_sa **pp = head;

	while (*pp && *pp != sa)
		pp = full ? &(*pp)->next_full : &(*pp)->next_spi_i;
	if (*pp)
		*pp = full ? sa->next_full : sa->next_spi_i;
}

void ike_sa_table_remove(struct ike_sa_table *t, struct ike_sa *sa)
{
	if (sa->table != t)
		return;
	unlink_chain(&t->byi[hash_i(t, sa->spi_i, t->nbuckets)], sa, false);
	if (sa->in_full)
		unlink_chain(&t->full[hash_ir(t, sa->spi_i, sa->spi_r, t->nbuckets)], sa, true);
	if (is_half_open(sa))
		half_open_account(t, sa, -1);
	sa->next_full = sa->next_spi_i = NULL;
	sa->in_full = false;
	sa->table = NULL;
	t->count--;
}

int ike_sa_table_set_spi_r(struct ike_sa_table *t, struct ike_sa *sa,
			   const uint8_t spi_r[IKE_SPI_LEN])
{
	if (sa->table != t || spi_zero(spi_r))
		return -EINVAL;
	if (sa->in_full)
		return -EALREADY;
	if (ike_sa_table_lookup(t, sa->spi_i, spi_r))
		return -EEXIST;
	memcpy(sa->spi_r, spi_r, IKE_SPI_LEN);
	full_link(t, sa);
	return 0;
}

enum ike_init_match ike_sa_table_find_init(const struct ike_sa_table *t,
					   const uint8_t spi_i[IKE_SPI_LEN],
					   const struct ipaddr *peer, uint16_t port,
					   const uint8_t hash[IKE_SA_HASH_LEN], struct ike_sa **out)
{
	struct ike_sa *sa = t->byi[hash_i(t, spi_i, t->nbuckets)];

	*out = NULL;
	/* RFC 7296 2.1: the responder tells a retransmitted IKE_SA_INIT from a new one by the
	 * SPIi, the peer's address and port, and the request itself (its hash). */
	for (; sa; sa = sa->next_spi_i) {
		if (sa->role != IKE_ROLE_RESPONDER || memcmp(sa->spi_i, spi_i, IKE_SPI_LEN) ||
		    !ipaddr_eq(&sa->peer, peer) || sa->peer_port != port)
			continue;
		*out = sa;
		return memcmp(sa->init_hash, hash, IKE_SA_HASH_LEN) ? IKE_INIT_CONFLICT
								    : IKE_INIT_RETRANSMIT;
	}
	return IKE_INIT_NEW;
}

size_t ike_sa_table_count(const struct ike_sa_table *t)
{
	return t->count;
}

size_t ike_sa_table_half_open(const struct ike_sa_table *t)
{
	return t->half_open;
}

size_t ike_sa_table_half_open_peer(const struct ike_sa_table *t, const struct ipaddr *peer)
{
	const struct peer_count *p = peer_find(t, peer);

	return p ? p->n : 0;
}

enum ike_admit ike_sa_table_admit(const struct ike_sa_table *t,
				  const struct ike_half_open_limits *lim, const struct ipaddr *peer)
{
	/* RFC 7296 2.6: past a threshold of half-open SAs, ask for a cookie; hard limits drop. */
	if ((lim->max_total && t->half_open >= lim->max_total) ||
	    (lim->per_peer_max && ike_sa_table_half_open_peer(t, peer) >= lim->per_peer_max))
		return IKE_ADMIT_REFUSE;
	if (lim->cookie_at && t->half_open >= lim->cookie_at)
		return IKE_ADMIT_COOKIE;
	return IKE_ADMIT_OK;
}

void ike_sa_table_foreach(const struct ike_sa_table *t, void (*fn)(struct ike_sa *sa, void *arg),
			  void *arg)
{
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ike_sa *sa = t->byi[b]; sa; sa = sa->next_spi_i)
			fn(sa, arg);
}
