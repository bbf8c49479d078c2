/* Security policy database: the Windows-style policy model (filters, filter lists, filter
 * actions, rules, policies, default exemptions, built-ins) and the per-packet decision engine.
 *
 * Life cycle:
 *   struct spd *s = spd_new();             built-ins already present (see SPD_BUILTIN_*)
 *   spd_add_local(s, &addr, 24);           every local address (`me`), given by conf/daemon
 *   spd_add_kdc(s, &kdc);                  Kerberos KDCs (for the Kerberos exemption)
 *   spd_filter_list_new / spd_filter_list_add, spd_action_new / spd_action_add_method,
 *   spd_policy_new / spd_rule_new / spd_rule_add_auth / spd_rule_set_tunnel ...
 *   spd_use_policy(s, p);                  the active (assigned) policy; none = all clear
 *   spd_compile(s);                        expand + index; required before any lookup
 *   spd_decide(s, &pkt, &dec);             per packet: no allocation, no locking, read-only
 *   spd_free(s);
 * The model may be changed after spd_compile(); call spd_compile() again before deciding
 * (spd_decide() returns -ESTALE otherwise). Objects are never removed, so pointers handed out
 * (lists, actions, policies, rules) stay valid until spd_free().
 *
 * Filter semantics. A filter matches a packet whose (source, destination) is (filter src,
 * filter dst); a mirrored filter also matches the swapped pair. An outbound packet has
 * source = local, destination = remote; inbound the reverse. `me` is each local address
 * given with spd_add_local() (none given: `me` matches nothing).
 *
 * Ordering (IP Security Monitor "weight"): the most specific filter wins.
 *   1. address specificity: spec(src) + spec(dst), spec = the family's bits - host bits
 *      (IPv4 /32 = 32, /24 = 24, IPv6 /128 = 128, any = 0; `me` is a host address; a range
 *      of n addresses has ceil(log2 n) host bits). A packet is of one family and expanded
 *      filters are single-family, so IPv4 and IPv6 weights are never compared;
 *   2. a specific protocol beats any protocol;
 *   3. ports: per side, a single port (2) beats a range (1) beats any (0); the sum counts.
 * Equal weights: the earlier rule in the policy wins, then the earlier filter in its list,
 * then the filter as written before its mirror image. The result is a total order (`order`
 * in struct spd_sfilter), so a decision never depends on hash or memory layout. The specific
 * filter array lists IPv4 before IPv6 (they never compete), each in that order.
 *
 * Default exemptions (checked before any filter, Windows Server 2003 semantics, see
 * "Specifying Default Exemptions to IPSec Filtering", netsh ipsecexempt / NoDefaultExempt):
 *   IKE        always: UDP with *local* port 500 or 4500 (the ports our IKE daemon owns; a
 *              remote source port of 500 alone does not exempt anything).
 *   level 0:   IKE, Kerberos, RSVP, multicast, broadcast exempt (Windows 2000/XP).
 *   level 1:   IKE, multicast, broadcast exempt; Kerberos and RSVP go through the filters.
 *   level 2:   IKE, Kerberos, RSVP exempt; multicast and broadcast go through the filters.
 *   level 3:   only IKE exempt (default, as Windows Server 2003).
 *   Kerberos:  TCP/UDP to or from port 88 *of a configured KDC* (spd_add_kdc) -- not any
 *              packet with source port 88, which is the bypass KB 811832 warns about.
 *   RSVP:      IP protocol 46.
 * Broadcast and multicast are never negotiated, whatever the level (IPsec cannot protect them,
 * the seed says so). Levels 0/1 exempt them (EXEMPT). At levels 2/3 they are subject to permit
 * and block filters; when the winning filter's action is negotiate they are sent/accepted in
 * clear only if that action would accept clear traffic in this direction anyway (outbound:
 * soft; inbound: inpass), otherwise blocked (fail closed: require-security never
 * leaks multicast). Broadcast = 255.255.255.255 or the directed broadcast of a local prefix
 * given to spd_add_local(); multicast = 224.0.0.0/4 and ff00::/8.
 *
 * Expanded filters whose remote side would be `me` are dropped: traffic to our own address
 * never leaves the host, and spd_decide() permits it (SPD_WHY_SELF) before any filter.
 *
 * Packets that match no filter are permitted in clear (Windows does the same); a policy with
 * only the default response rule (client-respond-only) therefore never initiates IKE.
 *
 * Decision order in spd_decide(): IKE exemption; traffic to self; Kerberos and RSVP
 * exemptions (by level); broadcast/multicast exemption (by level); no policy -> permit; the
 * winning specific filter's action (broadcast/multicast never PROTECT); no match -> permit.
 * KDCs, the exemption level, actions' options, auth methods and the default response switch
 * are read live; filters, rules, local addresses and the assigned policy need spd_compile().
 */
#ifndef ESPRIT_SPD_SPD_H
#define ESPRIT_SPD_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define SPD_NAME_MAX	     64 /* names of lists, actions, policies, rules, incl. NUL */
#define SPD_METHODS_MAX	     16 /* security methods per action */
#define SPD_AUTH_MAX	     8	/* authentication methods per rule */
#define SPD_CA_MAX	     8	/* CA files per certificate auth method */
#define SPD_PROTO_ANY	     256
#define SPD_LEVEL_DEFAULT    3	     /* no-default-exempt */
#define SPD_LIFE_KB_DEFAULT  100000u /* Windows: 100 MB */
#define SPD_LIFE_SEC_DEFAULT 3600u   /* Windows: 1 hour */
#define SPD_SOFT_MS_DEFAULT  3000u   /* Windows: fall back to clear after 3 s */
#define SPD_PENDING_DEFAULT  32u     /* packets held per flow while IKE runs */

/* Built-in names (present after spd_new()). */
#define SPD_BUILTIN_ALL_IP	     "all-ip"	/* me <-> any, any protocol, mirrored */
#define SPD_BUILTIN_ALL_ICMP	     "all-icmp" /* me <-> any, ICMP (1) and ICMPv6 (58), mirrored */
#define SPD_BUILTIN_PERMIT	     "permit"
#define SPD_BUILTIN_BLOCK	     "block"
#define SPD_BUILTIN_REQUEST	     "request-security" /* negotiate + inpass + soft */
#define SPD_BUILTIN_REQUIRE	     "require-security" /* negotiate + inpass */
#define SPD_BUILTIN_DEFAULT_RESPONSE "default-response" /* negotiate, the DR rule's action */
#define SPD_BUILTIN_RESPOND_ONLY     "client-respond-only"
#define SPD_BUILTIN_SERVER_REQUEST   "server-request-security"
#define SPD_BUILTIN_SECURE_SERVER    "secure-server-require-security"

/* ---- Addresses ---------------------------------------------------------------------- */

enum spd_addr_kind {
	SPD_ADDR_ANY,	 /* every address (of the filter's family, or both) */
	SPD_ADDR_ME,	 /* every local address (spd_add_local) */
	SPD_ADDR_PREFIX, /* lo/plen; a single address is plen 32 or 128 */
	SPD_ADDR_RANGE,	 /* lo..hi inclusive, same family */
};

struct spd_addr {
	enum spd_addr_kind kind;
	uint8_t plen;	  /* PREFIX only */
	struct ipaddr lo; /* PREFIX: network address (host bits zero); RANGE: first */
	struct ipaddr hi; /* PREFIX: last address of the prefix; RANGE: last */
};

void spd_addr_any(struct spd_addr *a);
void spd_addr_me(struct spd_addr *a);
/* One address (plen 32/128). */
void spd_addr_host(struct spd_addr *a, const struct ipaddr *ip);
/* Prefix; host bits of ip are cleared. -EINVAL if plen exceeds the family's length. */
int spd_addr_prefix(struct spd_addr *a, const struct ipaddr *ip, unsigned plen);
/* Range lo..hi. -EINVAL if families differ or lo > hi. A range that is exactly a prefix is
 * stored as a prefix. */
int spd_addr_range(struct spd_addr *a, const struct ipaddr *lo, const struct ipaddr *hi);
/* Address family of a literal (AF_INET/AF_INET6), 0 for any/me. */
uint8_t spd_addr_af(const struct spd_addr *a);
/* Does ip fall inside a PREFIX/RANGE/ANY (ANY: any family)? ME is not resolved here. */
bool spd_addr_contains(const struct spd_addr *a, const struct ipaddr *ip);
/* "any", "me", "10.0.0.0/24", "10.0.0.1" (host), "10.0.0.1-10.0.0.9". len >= 100 suffices. */
const char *spd_addr_fmt(const struct spd_addr *a, char *buf, size_t len);

/* ---- Filters and filter lists --------------------------------------------------------- */

struct spd_filter {
	struct spd_addr src, dst;
	uint8_t af;	   /* AF_INET / AF_INET6 restricts the filter; 0 = both (me/any only) */
	uint16_t proto;	   /* IP protocol 0..255, or SPD_PROTO_ANY */
	uint16_t sport_lo; /* ports: only with proto 6 (TCP) or 17 (UDP); 0..65535 = any */
	uint16_t sport_hi;
	uint16_t dport_lo;
	uint16_t dport_hi;
	bool mirrored;		 /* also matches dst -> src (the reply direction) */
	char desc[SPD_NAME_MAX]; /* optional text for displays ("" = none) */
};

/* A filter matching everything (any -> any, all protocols, all ports, not mirrored). */
void spd_filter_init(struct spd_filter *f);

struct spd_filter_list {
	char name[SPD_NAME_MAX];
	bool builtin;
	struct spd_filter *filters; /* in the order written */
	size_t nfilters;
	size_t cap;
};

/* ---- Filter actions and security methods --------------------------------------------- */

enum spd_xform {
	SPD_XF_ESP,    /* encryption (+ integrity), IP protocol 50 */
	SPD_XF_AH,     /* integrity only, IP protocol 51 */
	SPD_XF_AH_ESP, /* AH outside ESP */
};

struct spd_method {
	enum spd_xform xform;
	uint16_t esp_encr;	/* enum encr_id (crypto/cipher.h); ESP and AH+ESP */
	uint16_t esp_encr_bits; /* key bits: AES 128/192/256, ChaCha20 256, NULL 0 */
	uint16_t esp_integ;	/* enum integ_id; AUTH_NONE with AEAD ciphers / GMAC */
	uint16_t ah_integ;	/* enum integ_id; AH and AH+ESP, never AUTH_NONE */
	uint64_t life_kb;	/* rekey after this many kilobytes (Windows default 100000) */
	uint32_t life_sec;	/* rekey after this many seconds (Windows default 3600) */
};

/* Zeroed method of the given transform with the default lifetimes. */
void spd_method_init(struct spd_method *m, enum spd_xform xf);
/* 0, or -EINVAL with a static explanation in *why (unknown id, AEAD with integrity, CBC
 * without, bad key size, zero lifetime, AH without integrity ...). why may be NULL. */
int spd_method_check(const struct spd_method *m, const char **why);
/* "esp aes-gcm-16-128", "esp aes-cbc-256 hmac-sha2-256", "ah hmac-sha2-256",
 * "ah+esp hmac-sha1-96 + aes-cbc-128 hmac-sha1-96", then " 100000kb/3600s". len >= 128. */
const char *spd_method_fmt(const struct spd_method *m, char *buf, size_t len);

/* One IKE SA suite of `ike-method` (esprit.conf(5)): exactly one transform of each type,
 * IANA ids (wire/ikev2.h, crypto/cipher.h); integ is AUTH_NONE with a combined-mode cipher
 * (RFC 5282 8). The list is ordered by preference; its first group is the KE guess. */
struct spd_ike_method {
	uint16_t encr, encr_bits; /* bits: AES 128/256, 0 for ChaCha20-Poly1305 */
	uint16_t integ, prf, dh;
};
#define SPD_IKE_METHODS_MAX 8

/* Global IKE timer and size words of esprit.conf(5) (ike-fragmentation, ike-fragment-size,
 * nat-keepalive, dpd-delay, ike-cookie-threshold). 0 / false: the engine's default. The
 * daemon hands them to the engine in struct ike_config. */
struct spd_ike_knobs {
	bool no_frag;		    /* ike-fragmentation no */
	uint16_t frag_size;	    /* IP datagram size of an IKE fragment */
	uint32_t natt_keepalive_ms; /* RFC 3948 4 */
	uint32_t dpd_delay_ms;	    /* RFC 7296 2.4 liveness check after one-way traffic */
	uint32_t cookie_threshold;  /* RFC 7296 2.6 half-open IKE SAs before COOKIEs */
};

enum spd_action_kind {
	SPD_ACT_PERMIT,	   /* pass in clear */
	SPD_ACT_BLOCK,	   /* drop */
	SPD_ACT_NEGOTIATE, /* IPsec, with the methods in preference order */
};

enum spd_pending {
	SPD_PENDING_HOLD, /* queue up to pending_max packets per flow while IKE runs */
	SPD_PENDING_DROP, /* drop packets until the SA exists */
};

struct spd_action {
	char name[SPD_NAME_MAX];
	bool builtin;
	enum spd_action_kind kind;
	struct spd_method methods[SPD_METHODS_MAX]; /* NEGOTIATE: preference order */
	size_t nmethods;
	/* "Accept unsecured communication, but always respond using IPsec": inbound clear
	 * packets that match are accepted; the replies trigger negotiation. */
	bool inpass;
	/* "Allow unsecured communication with non-IPsec-aware computers": if the peer does not
	 * answer IKE within soft_ms, the flow goes in clear (both directions). */
	bool soft;
	uint32_t soft_ms; /* default SPD_SOFT_MS_DEFAULT */
	bool pfs;	  /* fresh DH for every child SA / quick mode */
	enum spd_pending pending;
	uint32_t pending_max; /* HOLD: bound, default SPD_PENDING_DEFAULT, >= 1 */
	/* `ike-lifetime`: IKE SA (main mode) lifetime in seconds; 0 = the engine's 8 h */
	uint32_t ike_life_sec;
};

/* ---- Authentication, rules, policies --------------------------------------------------- */

enum spd_auth_kind {
	SPD_AUTH_PSK,	   /* preshared key read from psk_path (conf checks permissions) */
	SPD_AUTH_CERT,	   /* X.509: own cert/key, trusted CA files */
	SPD_AUTH_KERBEROS, /* placeholder: Windows' default; not implemented yet */
};

struct spd_auth {
	enum spd_auth_kind kind;
	char *psk_path;		    /* PSK */
	char *cert_path;	    /* CERT: own certificate (may be NULL if not given) */
	char *key_path;		    /* CERT: own private key (may be NULL) */
	char *ca_paths[SPD_CA_MAX]; /* CERT: trusted CAs, at least one */
	size_t nca;
};

enum spd_mode { SPD_MODE_TRANSPORT, SPD_MODE_TUNNEL };

/* An IKE identity (`local-id`, `remote-id`; RFC 7296 3.5): the ID Type and its data as they
 * go on the wire (IPv4/IPv6 address octets, FQDN or e-mail text without NUL, DER DN). */
#define SPD_ID_MAX 512
struct spd_id {
	uint8_t type; /* IKEV2_ID_* (wire/ikev2.h); 0 = not set */
	uint16_t len;
	uint8_t data[SPD_ID_MAX];
};

struct spd_rule {
	char name[SPD_NAME_MAX];
	const struct spd_filter_list *flist; /* NULL only for the default response rule */
	const struct spd_action *action;
	struct spd_auth auths[SPD_AUTH_MAX]; /* preference order; 0 = the policy's list */
	size_t nauths;
	enum spd_mode mode;
	struct ipaddr tunnel_remote; /* TUNNEL: remote endpoint */
	struct ipaddr tunnel_local;  /* TUNNEL: local endpoint; af 0 = chosen by routing */
	bool active;		     /* deactivated rules are kept but never match */
	bool is_default_response;    /* this is the policy's default response rule */
	/* Identities; type 0: the policy's (its dr's), else the address or certificate DN */
	struct spd_id local_id, remote_id;
	size_t index; /* position in the policy (the DR rule: nrules) */
	const struct spd_policy *policy;
};

struct spd_policy {
	char name[SPD_NAME_MAX];
	bool builtin;
	struct spd_rule **rules; /* order written; earlier wins ties */
	size_t nrules;
	size_t cap;
	/* Default response rule: answers any IKE request (spd_respond) with its action's methods
	 * when no rule covers the proposed traffic. dr.active is the on/off switch (default on);
	 * dr.action defaults to the built-in "default-response" action. It never matches packets,
	 * so it never initiates. */
	struct spd_rule dr;
	/* Authentication methods used by rules that have none of their own and by the default
	 * response rule (empty = Kerberos placeholder, as Windows). */
	struct spd_auth auths[SPD_AUTH_MAX];
	size_t nauths;
};

/* ---- The database ------------------------------------------------------------------- */

struct spd_local {
	struct ipaddr addr;
	uint8_t plen; /* on-link prefix length (for directed broadcast), 0 = unknown */
};

struct spd_index; /* compiled lookup structure, private to spd */
struct spd_sfilter;

struct spd {
	struct spd_filter_list **lists;
	size_t nlists, caplists;
	struct spd_action **actions;
	size_t nactions, capactions;
	struct spd_policy **policies;
	size_t npolicies, cappolicies;
	const struct spd_policy *active; /* NULL: no policy assigned, everything in clear */
	struct spd_local *locals;
	size_t nlocals, caplocals;
	struct ipaddr *kdcs;
	size_t nkdcs, capkdcs;
	int no_default_exempt; /* 0..3, SPD_LEVEL_DEFAULT */
	/* `ike-method` statements in order; none: the built-in IKE suite (ike/proposal.h) */
	struct spd_ike_method ike_methods[SPD_IKE_METHODS_MAX];
	size_t nike_methods;
	struct spd_ike_knobs ike_knobs;
	/* compiled state (spd_compile) */
	struct spd_sfilter *sfilters; /* sorted by order */
	size_t nsfilters;
	struct spd_index *index;
	bool compiled; /* false again after any model change */
};

/* New database with all built-ins; NULL on allocation failure. */
struct spd *spd_new(void);
/* Frees everything, including strings in auth methods. NULL is fine. */
void spd_free(struct spd *s);

/* Construction. Functions return 0 or -errno: -EINVAL (bad argument; names must be 1..63
 * characters), -EEXIST (duplicate name in the same namespace), -ENOMEM, -ENOENT (lookup by
 * name failed), -ENOSPC (a fixed-size table such as methods or auths is full). */
int spd_add_local(struct spd *s, const struct ipaddr *a, unsigned plen);
int spd_add_kdc(struct spd *s, const struct ipaddr *a);
int spd_set_no_default_exempt(struct spd *s, int level); /* 0..3 */
/* Append an IKE SA suite (copied). -ENOSPC past SPD_IKE_METHODS_MAX, -EEXIST when the same
 * suite is already listed. */
int spd_add_ike_method(struct spd *s, const struct spd_ike_method *m);

int spd_filter_list_new(struct spd *s, const char *name, struct spd_filter_list **out);
/* Copies f. -EINVAL: ports with a protocol other than TCP/UDP, lo > hi, src/dst families
 * differ, af disagrees with a literal, protocol > 255 and not ANY. */
int spd_filter_list_add(struct spd *s, struct spd_filter_list *l, const struct spd_filter *f);
struct spd_filter_list *spd_filter_list_find(const struct spd *s, const char *name);

/* New action of the given kind with Windows defaults (soft_ms 3000, pending hold 32). */
int spd_action_new(struct spd *s, const char *name, enum spd_action_kind kind,
		   struct spd_action **out);
/* Appends a method (checked with spd_method_check); only for NEGOTIATE actions. */
int spd_action_add_method(struct spd *s, struct spd_action *a, const struct spd_method *m);
struct spd_action *spd_action_find(const struct spd *s, const char *name);
/* Consistency of a finished action: NEGOTIATE needs >= 1 method; PERMIT/BLOCK none and no
 * negotiate options. 0 or -EINVAL with a static reason in *why. */
int spd_action_check(const struct spd_action *a, const char **why);

/* New empty policy: no rules, default response rule on. */
int spd_policy_new(struct spd *s, const char *name, struct spd_policy **out);
struct spd_policy *spd_policy_find(const struct spd *s, const char *name);
/* Make p the assigned policy (NULL: none). */
int spd_use_policy(struct spd *s, const struct spd_policy *p);
/* Turn the default response rule on/off and choose its action (NULL keeps the current one;
 * it must be a NEGOTIATE action). */
int spd_policy_set_default_response(struct spd *s, struct spd_policy *p, bool on,
				    const struct spd_action *a);
/* Appends to the policy-level auth list (deep copy of strings). */
int spd_policy_add_auth(struct spd *s, struct spd_policy *p, const struct spd_auth *a);

/* Appends a rule (transport mode, active, no auth of its own). Rule names are unique per
 * policy; NULL or "" gets an automatic name "rule-N". */
int spd_rule_new(struct spd *s, struct spd_policy *p, const char *name,
		 const struct spd_filter_list *l, const struct spd_action *a,
		 struct spd_rule **out);
/* Appends an authentication method (deep copy of the strings; the caller keeps its own). */
int spd_rule_add_auth(struct spd *s, struct spd_rule *r, const struct spd_auth *a);
/* Tunnel mode to remote (and optional local, may be NULL) endpoint; NULL remote = transport. */
int spd_rule_set_tunnel(struct spd *s, struct spd_rule *r, const struct ipaddr *remote,
			const struct ipaddr *local);
int spd_rule_set_active(struct spd *s, struct spd_rule *r, bool on);
/* The rule's own identities (copied; remote: remote-id, else local-id). -EINVAL (type 0 or
 * empty). For a policy's defaults pass &policy->dr. */
int spd_rule_set_id(struct spd_rule *r, bool remote, const struct spd_id *id);
/* The identity that applies to r: its own, else its policy's; NULL when neither is set. */
const struct spd_id *spd_rule_id(const struct spd_rule *r, bool remote);
/* Effective auth methods of a rule: its own, else its policy's; *n = 0 means Kerberos
 * placeholder. */
const struct spd_auth *spd_rule_auths(const struct spd_rule *r, size_t *n);

/* Expand the active policy into specific filters and build the lookup index. Call after the
 * last change and before spd_decide(). 0, -ENOMEM. */
int spd_compile(struct spd *s);

/* ---- Specific filters (IP Security Monitor view; valid after spd_compile) ------------- */

enum spd_dir { SPD_DIR_IN, SPD_DIR_OUT };

/* What a specific filter does to packets, per direction (the two columns of Windows'
 * specific filter view). */
enum spd_sf_act {
	SPD_SF_PERMIT,
	SPD_SF_BLOCK,
	SPD_SF_NEGOTIATE,	 /* only protected traffic */
	SPD_SF_NEGOTIATE_INPASS, /* inbound: clear accepted, replies negotiated */
	SPD_SF_NEGOTIATE_SOFT,	 /* clear allowed if the peer does not answer IKE */
};

struct spd_sfilter {
	enum spd_dir dir;      /* the packets it applies to */
	uint8_t af;	       /* AF_INET or AF_INET6: expanded filters are single-family */
	struct spd_addr local; /* `me` expanded to each local host address */
	struct spd_addr remote;
	uint16_t proto; /* or SPD_PROTO_ANY */
	uint16_t lport_lo, lport_hi, rport_lo, rport_hi;
	const struct spd_rule *rule;
	const struct spd_filter *filter; /* origin in rule->flist */
	size_t filter_index;		 /* position of filter in its list */
	bool mirror;			 /* produced by mirroring the filter */
	enum spd_sf_act in_act, out_act;
	uint32_t weight; /* specificity: (addr << 8) | (proto << 4) | ports */
	uint32_t order;	 /* rank: 0 = considered first; position in spd->sfilters */
};

/* Number of specific filters, and the i-th in evaluation order (NULL if out of range). */
size_t spd_sfilter_count(const struct spd *s);
const struct spd_sfilter *spd_sfilter_get(const struct spd *s, size_t i);
const char *spd_sf_act_str(enum spd_sf_act a); /* "permit", "negotiate (inpass)" ... */
const char *spd_dir_str(enum spd_dir d);       /* "in" / "out" */
/* "out 10.0.0.1 -> 10.0.0.2 tcp 1024-65535 -> 80 rule to-backend weight 0x10021 #3" */
const char *spd_sfilter_fmt(const struct spd_sfilter *sf, char *buf, size_t len);

/* ---- Exemptions in force --------------------------------------------------------------- */

enum spd_exempt {
	SPD_EX_IKE = 1u << 0,
	SPD_EX_KERBEROS = 1u << 1,
	SPD_EX_RSVP = 1u << 2,
	SPD_EX_MULTICAST = 1u << 3,
	SPD_EX_BROADCAST = 1u << 4,
};
/* Bit set of enum spd_exempt for the configured level. */
unsigned spd_exemptions(const struct spd *s);
/* "ike (udp 500/4500)", "kerberos (tcp/udp 88 of KDCs)", ... */
const char *spd_exempt_str(enum spd_exempt e);

/* ---- Decisions ------------------------------------------------------------------------ */

/* A packet as the policy sees it. Ports are used only for TCP (6) and UDP (17). */
struct spd_pkt {
	enum spd_dir dir;
	struct ipaddr local;  /* outbound: source; inbound: destination */
	struct ipaddr remote; /* outbound: destination; inbound: source */
	uint8_t proto;
	uint16_t lport, rport;
};

enum spd_verdict {
	SPD_EXEMPT,  /* default exemption: in clear, filters not consulted */
	SPD_PERMIT,  /* in clear */
	SPD_BLOCK,   /* drop */
	SPD_PROTECT, /* IPsec per rule / action */
};

enum spd_why {
	SPD_WHY_IKE,		    /* IKE exemption */
	SPD_WHY_KERBEROS,	    /* Kerberos exemption (KDC port 88) */
	SPD_WHY_RSVP,		    /* RSVP exemption */
	SPD_WHY_BROADCAST,	    /* broadcast exempt (levels 0/1) */
	SPD_WHY_MULTICAST,	    /* multicast exempt (levels 0/1) */
	SPD_WHY_FILTER,		    /* the winning filter's action */
	SPD_WHY_BCAST_NO_NEGOTIATE, /* bcast/mcast hit a negotiate filter: clear or block */
	SPD_WHY_NO_MATCH,	    /* no filter matched: clear */
	SPD_WHY_NO_POLICY,	    /* no policy assigned: clear */
	SPD_WHY_SELF,		    /* remote is one of our own addresses: never leaves the host */
};

struct spd_decision {
	enum spd_verdict verdict;
	enum spd_why why;
	const struct spd_policy *policy; /* active policy, or NULL */
	const struct spd_rule *rule;	 /* rule of the winning filter, or NULL */
	const struct spd_action *action; /* its action, or NULL */
	const struct spd_sfilter *sf;	 /* the winning specific filter, or NULL */
	/* For PROTECT (false otherwise): */
	bool initiate; /* outbound: start IKE for this flow if no SA (always, for out) */
	/* The next two describe the action, whatever the packet's direction.
	 * accept_clear_in: inbound clear packets are accepted (inpass); with soft alone,
	 * inbound clear is accepted only for a flow that already fell back (daemon state).
	 * fallback_clear_out: if the peer stays silent for fallback_ms, the flow goes in
	 * clear (soft). */
	bool accept_clear_in;
	bool fallback_clear_out;
	uint32_t fallback_ms;
};

/* The decision for one packet, via the compiled index: no allocation, O(number of distinct
 * prefix-length pairs) hash probes, not O(filters). 0; -ESTALE if the model changed since
 * spd_compile(); -EINVAL for a packet with mixed or unset families. */
int spd_decide(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d);
/* Same answer by a plain linear scan over the specific filters: the reference for tests
 * and the benchmark's baseline. */
int spd_decide_linear(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d);

/* Responder side: the peer proposes IKE for traffic p (as we would see it, e.g. inbound
 * from the initiator). PROTECT with the rule whose negotiate filter covers p; otherwise the
 * default response rule (rule = &policy->dr) if active; otherwise BLOCK (refuse). EXEMPT
 * traffic and traffic whose winning filter is permit/block are refused: BLOCK, why says which. */
int spd_respond(const struct spd *s, const struct spd_pkt *p, struct spd_decision *d);

const char *spd_verdict_str(enum spd_verdict v); /* "exempt", "permit", "block", "protect" */
const char *spd_why_str(enum spd_why w);
/* One line, e.g. "protect: rule 'to-backend' of policy 'frontend' (filter #1 of
 * 'mail-to-backend' me -> 10.1.0.2 tcp 80 mirrored); inbound clear refused; never clear
 * outbound". Returns buf; truncates safely. */
const char *spd_decision_fmt(const struct spd_decision *d, char *buf, size_t len);

/* Protocol number to a short name ("tcp", "udp", "icmp", "icmp6", "esp", "ah", "any")
 * or the number as text; for displays. buf >= 8. */
const char *spd_proto_fmt(uint16_t proto, char *buf);

#endif
