/* The control protocol between espritd and esprit(8), shared by both so they cannot drift.
 *
 * Transport: a Unix SOCK_SEQPACKET socket, mode 0600; one connection carries one request
 * datagram and one reply datagram, then the daemon closes it.
 *
 * Request: "esprit-ctl 1 VERB [ARG]...", at most CTLMSG_REQ_MAX octets (CTLMSG_REQ_ARGS_MAX
 * for a verb that takes arguments), an optional trailing newline; words are separated by one space,
 * an argument is printable ASCII without spaces. A bare "VERB ..." is read as version 1 (for people
 * typing at socat). VERB is one of ctlmsg_req_name(): status, sa, stats, sa-keys   no arguments up
 * RULE [PEER]               negotiate the rule's SAs now (PEER: an address) down RULE|CHILD-ID|SPI
 * delete a rule's IKE SAs, or one Child SA pair, with the peer rekey CHILD-ID|SPI [--ike]   rekey a
 * Child SA pair, or with --ike the IKE SA carrying it CHILD-ID is decimal (the `child_id` of `sa`),
 * SPI is "0x" and up to 8 hex digits. up, down and rekey are answered "ok MESSAGE" or "error
 * MESSAGE".
 *
 * Reply: text lines, each "KEY" or "KEY VALUE", at most CTLMSG_REPLY_MAX octets. The first
 * line is "esprit-ctl 1" (protocol version). A line "error MESSAGE" means the request failed.
 * KEY is [a-z0-9_.-]{1,63}; VALUE is printable ASCII (0x20-0x7e). Repeated keys are allowed:
 * a reply to `sa` is a list of records, each starting at a line whose key is "sa" (its value is
 * a one-line summary; the fields of that SA follow until the next "sa" line). When IKE runs,
 * the SA records are followed by one record per IKE SA, starting at a line "ike_sa" (the same
 * summary as in `status`) with keys ike_spi_i, ike_spi_r, ike_state, ike_role, ike_rule,
 * ike_local, ike_remote, ike_encr, ike_prf, ike_integ, ike_ke, ike_age, ike_rekey_left,
 * ike_expire_left,
 * ike_children; a record of either kind ends at the next "sa" or "ike_sa" line. Counters are
 * unsigned decimal; limits that do not apply are "-".
 *
 * Versions: clients ignore keys and records they do not know, so adding them keeps the
 * version (the IKE SA records came that way); changing what an existing key means or how its
 * value is written needs a new one.
 */
#ifndef ESPRIT_LIB_CTLMSG_H
#define ESPRIT_LIB_CTLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTLMSG_MAGIC   "esprit-ctl"
#define CTLMSG_VERSION 1u
#define CTLMSG_REQ_MAX 64u
/* Requests with arguments (up, down, rekey) may be longer: room for a rule name (63 octets)
 * and an IPv6 address with a zone. */
#define CTLMSG_REQ_ARGS_MAX 256u
#define CTLMSG_ARGS_MAX	    2u
/* Room for about 1,500 SAs (a full IKE child table is 1,024). One datagram that large needs a
 * send buffer above the default wmem_max: espritd raises its own with SO_SNDBUFFORCE. */
#define CTLMSG_REPLY_MAX    (1024u * 1024u)
#define CTLMSG_ITEMS_MAX    65536u
#define CTLMSG_KEY_MAX	    63u
#define CTLMSG_DEFAULT_PATH "/run/esprit/esprit.sock"
#define CTLMSG_ENV	    "ESPRIT_CONTROL"

enum ctl_req {
	CTL_REQ_STATUS,
	CTL_REQ_SA,
	CTL_REQ_STATS,
	CTL_REQ_SA_KEYS, /* sa plus the key octets: only for `export-wireshark --keys` */
	CTL_REQ_UP,	 /* administrative verbs: only for the daemon's uid */
	CTL_REQ_DOWN,
	CTL_REQ_REKEY,
	CTL_REQ_MAX
};

/* The option word of `rekey` that selects the IKE SA. */
#define CTLMSG_OPT_IKE "--ike"

/* A request with its arguments. */
struct ctlmsg_req {
	enum ctl_req verb;
	size_t nargs;
	char arg[CTLMSG_ARGS_MAX][CTLMSG_REQ_ARGS_MAX + 1]; /* NUL-terminated */
};

/* Quick Mode counters of `esprit stats`, named after the Windows IP Security Monitor. The key
 * is what goes over the socket and into --json; the label is what people read. How each is
 * computed is in ctl.c and esprit(8). */
#define CTLMSG_QM_STATS(X)                                              \
	X(active_sas, "Active Security Associations")                   \
	X(active_tunnels, "Active Tunnels")                             \
	X(bad_spi_packets, "Bad SPI Packets")                           \
	X(packets_not_decrypted, "Packets Not Decrypted")               \
	X(packets_not_authenticated, "Packets Not Authenticated")       \
	X(packets_replay_detected, "Packets With Replay Detection")     \
	X(confidential_bytes_sent, "Confidential Bytes Sent")           \
	X(confidential_bytes_received, "Confidential Bytes Received")   \
	X(authenticated_bytes_sent, "Authenticated Bytes Sent")         \
	X(authenticated_bytes_received, "Authenticated Bytes Received") \
	X(transport_bytes_sent, "Transport Bytes Sent")                 \
	X(transport_bytes_received, "Transport Bytes Received")         \
	X(tunnel_bytes_sent, "Bytes Sent In Tunnels")                   \
	X(tunnel_bytes_received, "Bytes Received In Tunnels")           \
	X(key_additions, "Key Additions")                               \
	X(key_deletions, "Key Deletions")                               \
	X(rekeys, "Rekeys")

/* Main Mode (IKE) counters, from struct ike_stats; only present when IKE runs. */
#define CTLMSG_MM_STATS(X)                                        \
	X(ike_active, "Active IKE SAs")                           \
	X(ike_main_mode, "IKE Main Mode")                         \
	X(ike_quick_mode, "IKE Quick Mode")                       \
	X(ike_total_acquire, "Total Acquire")                     \
	X(ike_acquire_failures, "Acquire Failures")               \
	X(ike_negotiation_failures, "Negotiation Failures")       \
	X(ike_authentication_failures, "Authentication Failures") \
	X(ike_invalid_packets, "Invalid Packets Received")        \
	X(ike_cookies_sent, "Cookies Sent")                       \
	X(ike_retransmissions, "Retransmissions")                 \
	X(ike_rekeys, "IKE Rekeys")                               \
	X(ike_backoffs, "Negotiation Backoffs")                   \
	X(ike_backoff_refused, "Acquires Refused In Backoff")     \
	X(ike_keepalives, "NAT Keepalives Sent")                  \
	X(ike_frag_sent, "IKE Fragments Sent")                    \
	X(ike_frag_received, "IKE Fragments Received")            \
	X(ike_frag_dropped, "IKE Fragments Dropped")              \
	X(ike_frag_reassembled, "IKE Messages Reassembled")

/* Data path counters that keep their historic short keys. */
#define CTLMSG_DP_STATS(X)                      \
	X(tun_rx, "Packets Read From The TUN")  \
	X(tun_tx, "Packets Written To The TUN") \
	X(net_rx, "Protected Packets Received") \
	X(net_tx, "Protected Packets Sent")     \
	X(tun_writes, "TUN Writes")             \
	X(tun_gro_writes, "Coalesced TUN Writes")

struct ctlmsg_stat {
	const char *key, *label;
};
/* Tables made from the lists above, in their order. */
extern const struct ctlmsg_stat ctlmsg_qm_stats[];
extern const size_t ctlmsg_qm_nstats;
extern const struct ctlmsg_stat ctlmsg_mm_stats[];
extern const size_t ctlmsg_mm_nstats;
extern const struct ctlmsg_stat ctlmsg_dp_stats[];
extern const size_t ctlmsg_dp_nstats;

/* "status", "sa", "stats", "sa-keys", "up", "down", "rekey"; NULL out of range. */
const char *ctlmsg_req_name(enum ctl_req r);
/* The verb with its arguments as in the list above ("up RULE [PEER]"); NULL out of range. */
const char *ctlmsg_req_usage(enum ctl_req r);
/* Write the request datagram for a verb without arguments into buf; its length, or 0 if cap
 * is too small or r needs arguments. */
size_t ctlmsg_req_build(enum ctl_req r, char *buf, size_t cap);
/* The same for any request: 0 too when the arguments do not fit the verb (count, spaces or
 * control characters, a second word of rekey other than CTLMSG_OPT_IKE). */
size_t ctlmsg_req_build_args(const struct ctlmsg_req *q, char *buf, size_t cap);
/* Read a request datagram. 0 and *q; -EMSGSIZE longer than CTLMSG_REQ_MAX (or, for a verb
 * that takes arguments, CTLMSG_REQ_ARGS_MAX); -EBADMSG not one
 * line of printable text, not "esprit-ctl N VERB ..." or empty words; -EPROTONOSUPPORT
 * another version; -ENOENT unknown verb; -EINVAL arguments that do not fit the verb (q->verb
 * is set then, for the usage line). */
int ctlmsg_req_read(const uint8_t *buf, size_t len, struct ctlmsg_req *q);
/* Read a request of a verb without arguments: as ctlmsg_req_read(), but arguments and verbs
 * that need them are -EBADMSG. */
int ctlmsg_req_parse(const uint8_t *buf, size_t len, enum ctl_req *r);

struct ctlmsg_item {
	const char *key, *val; /* NUL-terminated, inside ctlmsg_reply.text; val "" if absent */
};

/* A parsed reply. Large (about 2 MiB): allocate it, do not put it on the stack. */
struct ctlmsg_reply {
	char text[CTLMSG_REPLY_MAX + 1];
	struct ctlmsg_item item[CTLMSG_ITEMS_MAX];
	size_t n;	   /* items after the version line */
	unsigned version;  /* from the first line */
	const char *error; /* value of the first "error" line, NULL if none */
};

/* Split a reply datagram into items. 0; -EMSGSIZE too long or too many lines; -EBADMSG not
 * the grammar above (no version line, bad key, control characters, empty line);
 * -EPROTONOSUPPORT another protocol version. */
int ctlmsg_reply_parse(const uint8_t *buf, size_t len, struct ctlmsg_reply *r);

/* First item with key at index >= from and < to; its index, or to if none. */
size_t ctlmsg_find(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key);
/* Value of key in [from, to), or NULL. */
const char *ctlmsg_get(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key);
/* Strict unsigned decimal: digits only, no sign, no overflow. */
bool ctlmsg_u64(const char *s, uint64_t *out);

#endif
