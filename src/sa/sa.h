/* Security associations (RFC 4301 4.1): one direction of one ESP or AH SA.
 *
 * An SA owns its keyed cipher contexts, its sequence state (outbound counter or inbound
 * anti-replay window), lifetimes and counters. Nothing here allocates per packet: the replay
 * bitmap and cipher contexts are created once in sa_new(). Time is passed in as monotonic
 * seconds so behaviour is testable without sleeping.
 */
#ifndef ESPRIT_SA_SA_H
#define ESPRIT_SA_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "sa/replay.h"

/* Why a packet was dropped. One X-macro makes the enum and the names so they cannot drift
 * (VPP's way). Counters exist per SA and globally (struct xf_stats in xform/xform.h). */
#define SA_DROP_REASONS(X)                            \
	X(MALFORMED, "malformed")                     \
	X(UNKNOWN_SPI, "unknown SPI")                 \
	X(REPLAY, "replay")                           \
	X(ICV, "ICV failure")                         \
	X(PADDING, "bad padding")                     \
	X(EXPIRED, "SA expired")                      \
	X(SEQ_EXHAUSTED, "sequence number exhausted") \
	X(NO_ROOM, "no buffer room")                  \
	X(UNSUPPORTED, "unsupported packet")          \
	X(POLICY, "inner packet outside SA selectors")

enum sa_drop {
	SA_DROP_NONE = 0,
#define SA_DROP_ENUM_(id, name) SA_DROP_##id,
	SA_DROP_REASONS(SA_DROP_ENUM_)
#undef SA_DROP_ENUM_
		SA_DROP_MAX
};

const char *sa_drop_name(enum sa_drop d);

enum sa_mode { SA_MODE_TRANSPORT = 0, SA_MODE_TUNNEL = 1 };
enum sa_dir { SA_DIR_IN = 0, SA_DIR_OUT = 1 };

/* 0 in a field means "no limit". */
struct sa_lifetime {
	uint64_t bytes;
	uint64_t packets;
	uint64_t seconds;
};

enum sa_life { SA_LIFE_OK = 0, SA_LIFE_SOFT, SA_LIFE_HARD };

/* Everything needed to create an SA, from manual keying or IKE. Key pointers are only read
 * during sa_new(); the caller wipes its copies. */
struct sa_params {
	uint32_t spi;		 /* host order */
	uint8_t proto;		 /* IPPROTO_ESP (50) or IPPROTO_AH (51) */
	uint8_t mode;		 /* enum sa_mode */
	uint8_t dir;		 /* enum sa_dir */
	bool esn;		 /* RFC 4303 2.2.1 Extended Sequence Numbers */
	struct ipaddr src, dst;	 /* outer addresses: tunnel endpoints, or the two hosts */
	uint16_t encr;		 /* IKEv2 ENCR_* transform id (ESP only; 0 for AH) */
	uint16_t encr_bits;	 /* cipher key length in bits, salt excluded */
	uint16_t integ;		 /* IKEv2 AUTH_* transform id; 0 (AUTH_NONE) with AEAD ciphers */
	const uint8_t *encr_key; /* with the 4-octet salt at the end for GCM, GMAC, ChaCha */
	size_t encr_key_len;
	const uint8_t *integ_key;
	size_t integ_key_len;
	uint32_t replay_window; /* inbound, in packets; 0 disables anti-replay */
	struct sa_lifetime soft, hard;
	bool udp_encap;			   /* RFC 3948 ESP in UDP */
	uint16_t encap_sport, encap_dport; /* host order */
};

struct sa_counters {
	uint64_t packets;
	uint64_t bytes; /* payload bytes protected or accepted */
	uint64_t drops[SA_DROP_MAX];
};

struct xcipher;

struct sa {
	uint32_t spi;
	uint8_t proto;
	uint8_t mode;
	uint8_t dir;
	bool esn;
	struct ipaddr src, dst;
	uint16_t encr, encr_bits, integ;
	bool udp_encap;
	uint16_t encap_sport, encap_dport;

	struct xcipher *cipher; /* keyed once; see crypto/cipher.h */

	uint64_t seq;		     /* outbound: last sequence number used (0 = none yet) */
	struct replay_window replay; /* inbound */

	struct sa_lifetime soft, hard;
	uint64_t created; /* monotonic seconds */
	bool soft_fired;  /* soft limit reported once */
	bool expired;	  /* hard limit reached: no more packets either way */
	bool needs_rekey; /* outbound sequence space exhausted or soft limit hit */

	struct sa_counters ctr;

	struct sa *hnext; /* SAD hash chain; owned by sad.c */
};

/* Create an SA: validates parameters (algorithm/key lengths, window size), keys the cipher,
 * allocates the replay window. 0, or -EINVAL / -ENOMEM / -ENOTSUP. */
int sa_new(struct sa **out, const struct sa_params *p, uint64_t now);
/* Free an SA; wipes all key material (cipher contexts) first. NULL is fine. */
void sa_free(struct sa *sa);

/* RFC 4303 3.3.3: the next outbound sequence number. Never wraps: when the 32-bit (or, with
 * ESN, 64-bit) space is used up it returns -EOVERFLOW and sets needs_rekey. */
int sa_seq_next(struct sa *sa, uint64_t *seq);

/* Account one packet of `bytes` against the lifetimes. Returns SA_LIFE_SOFT exactly once when
 * a soft limit is first crossed, SA_LIFE_HARD (and sets expired) once a hard limit is reached. */
/* Details (sa.c): the packet is counted in sa->ctr.packets/bytes here, so callers do not count
 * it again. Hard packet/byte limits are caps: a packet that would go past one is refused with
 * SA_LIFE_HARD and not counted (hard.packets = N lets exactly N packets through); time limits
 * are reached `seconds` after creation. Once expired, every call returns SA_LIFE_HARD. A soft
 * limit also sets needs_rekey. sa_new() refuses a soft limit above the hard one (-EINVAL) and
 * SPIs 0..255 (RFC 4303 2.1). */
enum sa_life sa_account(struct sa *sa, size_t bytes, uint64_t now);
/* Time-only check for timers: same rules as sa_account() without counting a packet. */
enum sa_life sa_check_time(struct sa *sa, uint64_t now);

static inline void sa_count_drop(struct sa *sa, enum sa_drop d)
{
	if (sa && d > SA_DROP_NONE && d < SA_DROP_MAX)
		sa->ctr.drops[d]++;
}

#endif
