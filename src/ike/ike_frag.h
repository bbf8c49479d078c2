/* IKEv2 message fragmentation (RFC 7383), private to the engine.
 *
 * Negotiation: both ends put N(IKEV2_FRAGMENTATION_SUPPORTED) in IKE_SA_INIT (the responder
 * only if the initiator did, RFC 7383 2.3); an IKE SA fragments only when both did, and a
 * rekeyed IKE SA keeps what its predecessor negotiated.
 *
 * Sending: an encrypted message whose IP datagram would exceed the fragment size is split
 * into SKF payloads, each a full IKE message with its own IV and ICV (RFC 7383 2.5). The
 * fragments are written one after the other into ike->tx, so the message-ID layer stores and
 * retransmits "the message" unchanged: ike_frag_send_all() walks such a buffer by the IKE
 * header's Length field and sends one datagram per fragment (a plain message is the case of
 * one). That keeps every fragment of a request for retransmission and every fragment of a
 * response in the response cache (RFC 7383 2.6).
 *
 * Fragment size: the whole IP datagram, as RFC 7383 2.5.1 counts it. Default 576 octets over
 * IPv4 and 1280 over IPv6 (RFC 7383 2.5.1: the sizes every IPv4 host must accept and every
 * IPv6 link carries, so no path needs IP fragmentation). strongSwan uses 1280 for both; an
 * IPv4 path narrower than 1280 is rare, but 576 never fails and costs a few more datagrams in
 * the one or two exchanges that need them. ike_config.frag_size (esprit.conf's ike-fragment-size,
 * or ESPRIT_IKE_FRAGMENT_SIZE in espritd's environment) sets one size for both families; the IP and
 * UDP headers and the 4-octet non-ESP marker on port 4500 are taken off it.
 *
 * Receiving: one message at a time per IKE SA. Every fragment is authenticated (its ICV, or
 * the AEAD tag) before it is stored; limits before any work: at most IKE_FRAG_MAX fragments
 * and IKE_FRAG_PLAIN_MAX octets of plaintext per message; a fragment of another Message ID or
 * with a larger Total Fragments starts over (RFC 7383 2.6), one with a smaller total is
 * dropped, duplicates are ignored, a set older than IKE_FRAG_TIMEOUT_MS is thrown away when
 * the next fragment comes.
 */
#ifndef ESPRIT_IKE_IKE_FRAG_H
#define ESPRIT_IKE_IKE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_FRAG_MAX	    128	  /* fragments of one message, sent or received */
#define IKE_FRAG_PLAIN_MAX  32768 /* octets of a reassembled message's inner payloads */
#define IKE_FRAG_TIMEOUT_MS 30000u
#define IKE_FRAG_SIZE_MIN   256u  /* smaller configured sizes are raised to this */
#define IKE_FRAG_SIZE_V4    576u  /* RFC 7383 2.5.1 */
#define IKE_FRAG_SIZE_V6    1280u /* RFC 7383 2.5.1 */
/* ike->tx holds a whole message or its fragments: a message of IKE_BUF_MAX octets in
 * fragments of IKE_FRAG_SIZE_MIN grows by at most ~2.3 times. */
#define IKE_FRAG_TX_MAX (3 * 8192)

struct ike;
struct ike_xsa;
struct ike_sk_msg;
struct ikev2_msg;
struct ikev2_wr;
struct ike_endpoint;

/* A message being reassembled. */
struct ike_frag_rx {
	uint32_t msgid;
	bool response;
	uint16_t total, nrecv;
	uint8_t first; /* the first inner payload's type (from fragment 1) */
	uint64_t started_ms;
	size_t used;
	uint16_t off[IKE_FRAG_MAX + 1], len[IKE_FRAG_MAX + 1];
	bool have[IKE_FRAG_MAX + 1];
	uint8_t buf[IKE_FRAG_PLAIN_MAX];
};

/* Per IKE SA. */
struct ike_frag {
	bool ours;		/* we sent IKEV2_FRAGMENTATION_SUPPORTED */
	bool peer;		/* the peer did */
	struct ike_frag_rx *rx; /* allocated when an authentic fragment arrives */
};

/* The engine's fragment size from its configuration and the environment (ike_new/reload). */
void ike_frag_config(struct ike *ike);
/* IKE_SA_INIT: put the notify if we fragment (initiator: always when enabled; responder: only
 * if the request had it, ike_frag_note_request first). */
void ike_frag_put_supported(struct ike_xsa *x, struct ikev2_wr *b);
void ike_frag_note_request(struct ike_xsa *x, const struct ikev2_msg *m);
void ike_frag_note_response(struct ike_xsa *x, const struct ikev2_msg *m);
/* A rekeyed IKE SA fragments as its predecessor did. */
void ike_frag_inherit(struct ike_xsa *nx, const struct ike_xsa *old);
bool ike_frag_enabled(const struct ike_xsa *x);
/* The fragment size for this SA's path (IP datagram octets). */
size_t ike_frag_size(const struct ike_xsa *x);

/* Protect sm (started with ike_sk_start in ike->tx) as one message or, if too large and
 * fragmentation was negotiated, as fragments written one after another. 0 or -errno. */
int ike_frag_seal(struct ike_xsa *x, struct ike_sk_msg *sm, size_t *len);
/* Send len octets of one message or of consecutive fragments, one datagram each. */
void ike_frag_send_all(struct ike *ike, const struct ike_endpoint *local,
		       const struct ike_endpoint *remote, const uint8_t *msg, size_t len);

/* m has an SKF payload (ike->rx, len octets): authenticate and store it. 0 when the message
 * is complete (m then holds its inner payloads), -EINPROGRESS when more fragments are
 * needed or it was a duplicate, -EBADMSG when refused (counted). */
int ike_frag_input(struct ike_xsa *x, struct ikev2_msg *m, size_t len);
/* A retransmitted request answered from the cache: only its first fragment asks for the
 * response again (RFC 7383 2.6.1). */
bool ike_frag_resend_ok(const struct ikev2_msg *m);
void ike_frag_clear(struct ike_frag *f);

#endif
