/* IKEv2 proposals (RFC 7296 3.3): what esprit offers, what it accepts, and the choice.
 *
 * An SA payload is an ordered list of proposals; a proposal names one protocol (IKE, ESP or
 * AH), an SPI and a list of transforms. Transforms of the same type are alternatives (OR),
 * different types are all needed (AND): the responder picks exactly one transform of every
 * type (RFC 7296 2.7). This module is pure logic over plain structs: no wire format (that is
 * src/wire/ikev2.[ch]), no crypto, no allocation.
 *
 *   prop_from_action()  Child SA proposals from a policy action's ordered security methods;
 *                       what an initiator offers and what a responder accepts.
 *   prop_ike_default()  IKE SA proposals from the one built-in suite table (proposal.c).
 *   prop_select()       responder: the first of the peer's proposals (in the peer's order)
 *                       that one of ours accepts, reduced to one transform per type.
 *   prop_check_reply()  initiator: the responder's answer is one proposal we offered, with
 *                       one transform per type, each one we offered.
 *
 * Omitted optional types (RFC 7296 3.3.3: "A proposal MAY omit the optional types if the only
 * value for them it will accept is NONE"): ESP integrity and D-H, AH D-H, and IKE integrity
 * (with a combined-mode cipher, RFC 5282 8) read as the single transform NONE (id 0).
 *
 * AH+ESP bundles: RFC 4306 3.3 sent them as two proposal structures with the same number;
 * RFC 7296 3.3 says "Each structure MUST have a proposal number one (1) greater than the
 * previous structure", so an RFC 7296 peer can no longer be offered the bundle.
 * Methods of kind AH+ESP are therefore skipped when proposals are built (and counted, so the
 * caller can warn); AH+ESP stays available to manual keying.
 */
#ifndef ESPRIT_IKE_PROPOSAL_H
#define ESPRIT_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"
#include "spd/spd.h"
#include "wire/ikev2.h"

/* Protocol ids, transform types and ids are src/wire/ikev2.h's (IKEV2_PROTO_*, IKEV2_XF_*,
 * IKEV2_PRF_*, IKEV2_DH_*, IKEV2_ESN_*); ENCR and INTEG ids are also enum encr_id / enum
 * integ_id of crypto/cipher.h, same IANA numbers. */
#define PROP_XF_TYPE_MAX IKEV2_XF_ESN

#define PROP_XF_MAX    IKEV2_MAX_TRANSFORMS /* transforms per proposal */
#define PROP_MAX       IKEV2_MAX_PROPOSALS  /* proposals per SA payload */
#define PROP_SPI_MAX   8
#define PROP_WHY_MAX   512 /* a buffer this size holds most failure lines whole */
#define PROP_NO_ORIGIN 0xff

struct prop_xf {
	uint8_t type; /* enum ikev2_xform_type; other values are kept (and make it unacceptable) */
	uint16_t id;  /* transform id */
	uint16_t key_bits; /* Key Length attribute (RFC 7296 3.3.5), 0 = absent */
	bool unknown_attr; /* the peer sent an attribute we do not know (RFC 7296 3.3.6) */
};

struct prop {
	uint8_t num;	  /* Proposal Num: 1, 2, ... in an offer; the chosen one's in a reply */
	uint8_t proto;	  /* enum ikev2_proto */
	uint8_t spi_size; /* 0 (IKE_SA_INIT), 8 (IKE rekey), 4 (ESP, AH) */
	uint8_t spi[PROP_SPI_MAX];
	/* Ours only, never on the wire: index of the spd_method (prop_from_action) or of the
	 * default IKE proposal it came from; PROP_NO_ORIGIN for the peer's. A selection copies
	 * it from our matching proposal so the caller finds lifetimes and the mode. */
	uint8_t origin;
	size_t nxf;
	struct prop_xf xf[PROP_XF_MAX];
};

struct prop_list {
	size_t n;
	struct prop p[PROP_MAX];
};

/* ESN offer (RFC 7296 3.3.2 type 5). The policy model has no ESN knob yet: BOTH is the default. */
enum prop_esn_mode {
	PROP_ESN_BOTH, /* offer/accept ESN and no ESN (ESN listed first) */
	PROP_ESN_ONLY, /* 64-bit sequence numbers only */
	PROP_ESN_NEVER,
};

struct prop_child_opts {
	enum prop_esn_mode esn;
	/* RFC 7296 1.2: the Child SA made inside IKE_AUTH has no KE payload, so its proposals
	 * carry no D-H transform even when the action asks for PFS. */
	bool ike_auth;
	/* PFS groups in preference order (action->pfs, not ike_auth); NULL = the groups of the
	 * default IKE suite. A daemon puts the IKE SA's own group first. */
	const uint16_t *dh;
	size_t ndh;
	uint32_t esp_spi, ah_spi; /* our inbound SPIs, written big-endian into the proposals */
};

/* Append one transform. 0, -ENOSPC. */
int prop_add_xf(struct prop *p, uint8_t type, uint16_t id, uint16_t key_bits);
/* First transform of a type, or NULL (absent). */
const struct prop_xf *prop_find(const struct prop *p, uint8_t type);
/* Does the id need a Key Length attribute (AES variants, RFC 7296 3.3.5)? */
bool prop_encr_has_keylen(uint16_t encr);

/* Child SA proposals for a NEGOTIATE action (what we offer as initiator and accept as
 * responder; a responder builds them with the same ike_auth flag as the exchange): one proposal per
 * method, in the action's order, numbered from 1. ESP: ENCR (+ Key Length for AES) [+ INTEG unless
 * combined mode] [+ D-H]
 * + ESN; AH: INTEG [+ D-H] + ESN. *skipped (may be NULL) counts AH+ESP methods left out.
 * 0; -EINVAL (not a NEGOTIATE action, bad opts); -ENOTSUP (no method IKEv2 can offer);
 * -ENOSPC. o may be NULL (defaults: both ESN, no PFS groups override, SPIs 0). */
int prop_from_action(const struct spd_action *a, const struct prop_child_opts *o,
		     struct prop_list *out, size_t *skipped);

/* The IKE SA proposals of the default suite: every transform esprit supports (AES-GCM-16
 * 256/128 and ChaCha20-Poly1305, then AES-CBC 256/128 with HMAC-SHA2-256/384/512; both with
 * PRF HMAC-SHA2-256/384/512 and groups 19, 31, 20, 21, 14, 15, the first the KE guess of an
 * initiator). spi: NULL/spi_len 0 for
 * IKE_SA_INIT (RFC 7296 3.3.1), or 8 octets when rekeying. 0, -EINVAL. */
int prop_ike_default(const uint8_t *spi, size_t spi_len, struct prop_list *out);
/* The D-H groups of the default suite, in preference order; *n set. */
const uint16_t *prop_default_groups(size_t *n);
/* Replace the built-in IKE SA suite by the `ike-method` suites m[0..n) (struct spd's
 * ike_methods, in preference order) for what prop_ike_default() offers and accepts and what
 * prop_default_groups() lists (m[0].dh becomes the KE guess); n = 0 restores the built-in
 * suite. One setting per process (the daemon calls it on every configuration load).
 * 0, -EINVAL (n too large). */
int prop_ike_set_methods(const struct spd_ike_method *m, size_t n);

/* Responder (RFC 7296 2.7, 3.3.6): the first proposal of peer (in the peer's order) that one
 * of ours (tried in our order) accepts. A peer proposal is unacceptable when it carries a
 * transform type its protocol does not have (RFC 7296 3.3.3), lacks a mandatory type, or has
 * an attribute we do not know; the other proposals are processed as usual. Per type the
 * peer's first transform that our proposal lists is taken; for D-H, dh_hint (the group of the
 * peer's KE payload, 0 = none) wins if it is acceptable. *chosen gets the peer's number and
 * SPI, one transform for every type the peer's proposal included, and our origin.
 * 0; -ENOENT (NO_PROPOSAL_CHOSEN) with one line for an admin in why (may be NULL);
 * -EINVAL (empty lists). */
int prop_select(const struct prop_list *peer, const struct prop_list *ours, uint16_t dh_hint,
		struct prop *chosen, char *why, size_t whylen);

/* Remove every transform of one type from all proposals of l. For IKE_AUTH, where RFC 7296
 * 1.2 allows no D-H but some peers still list their PFS groups: stripping D-H from the peer's
 * proposals before prop_select() accepts them with the groups ignored. */
void prop_strip_type(struct prop_list *l, uint8_t type);

/* Initiator: reply must hold exactly one proposal whose number, protocol and SPI size match
 * one we offered, with at most one transform per type, each one we offered (an omitted
 * optional type means NONE, see above), nothing unknown. *out gets the reply with our origin.
 * 0, or -EBADMSG with a line in why. */
int prop_check_reply(const struct prop_list *offered, const struct prop_list *reply,
		     struct prop *out, char *why, size_t whylen);

/* From the parser's view (wire/ikev2.h); SPI octets are copied, origin is PROP_NO_ORIGIN.
 * 0, -EINVAL (SPI size over 8 octets). */
int prop_from_wire(const struct ikev2_sa *sa, struct prop_list *out);
/* To the builder's view; sa->prop[i].spi points into l, which must outlive sa. */
void prop_to_wire(const struct prop_list *l, struct ikev2_sa *sa);
/* One proposal (a reply) to the builder's view, same rule. */
void prop_to_wire1(const struct prop *p, struct ikev2_sa *sa);

/* Display: "ESP: AES_GCM_16-256/ESN/NO_ESN", "IKE: AES_CBC-128/PRF_HMAC_SHA2_256/
 * HMAC_SHA2_256_128/ECP_256". Returns buf; truncates safely. */
const char *prop_fmt(const struct prop *p, char *buf, size_t len);
/* "ESP: ..., AH: ..." */
const char *prop_list_fmt(const struct prop_list *l, char *buf, size_t len);
/* Name of one transform ("AES_GCM_16", "ECP_256", "T6:42" when unknown). */
const char *prop_xf_name(uint8_t type, uint16_t id);

#endif
