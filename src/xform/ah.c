/* AH encapsulation and decapsulation, RFC 4302, transport and tunnel mode, IPv4 and IPv6.
 *
 * The ICV covers the whole IP packet (RFC 4302 3.3.3): the IP header(s) in front of AH with the
 * fields that change in transit set to zero, the AH header with its ICV field zeroed, and
 * everything behind AH; with ESN the high 32 bits of the sequence number are appended. The
 * IP header bytes are zeroed in a copy on the stack, so a failed check leaves the packet as it
 * was received. IPv4 options and IPv6 Routing headers in front of AH are refused (xform.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/rw.h"
#include "lib/util.h"
#include "sa/replay.h"
#include "wire/ah.h"
#include "wire/ip.h"
#include "xform/xf_int.h"
#include "xform/xform.h"

#define AH_WHAT "ah"
/* IP header bytes in front of AH that the ICV copy can hold (IPv6 with hop-by-hop and
 * destination options); longer chains are refused. */
#define AH_IPHDR_MAX	    512
#define IPV4_FLAG_DF	    0x4000
#define AH_IPV4_ID_FOR_ZERO 0x8000

/* RFC 4302 3.3.3.1.2.2: options whose type has the 0x20 bit ("may change en route") count as
 * zero octets; the option type and length stay. hdr is one HBH/DestOpts header of len bytes. */
static int ah_zero_ipv6_options(uint8_t *hdr, size_t len)
{
	size_t i = 2;

	while (i < len) {
		uint8_t type = hdr[i];
		size_t olen;

		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len)
			return -1;
		olen = hdr[i + 1];
		if (i + 2 + olen > len)
			return -1;
		if (type & 0x20)
			memset(hdr + i + 2, 0, olen);
		i += 2 + olen;
	}
	return 0;
}

/* IPv6 part of the copy: fixed header fields, then each extension header up to AH. */
static int ah_zero_ipv6(uint8_t *h, size_t hl)
{
	uint8_t nh = h[6];
	size_t off = IPV6_HDR_LEN;

	/* RFC 4302 3.3.3.1.2.1: traffic class, flow label and hop limit are mutable. */
	h[0] &= 0xf0;
	h[1] = h[2] = h[3] = 0;
	h[7] = 0;
	while (off < hl) {
		struct rd r;
		size_t len;

		rd_init(&r, h + off, hl - off);
		uint8_t next = rd_u8(&r);
		len = ((size_t)rd_u8(&r) + 1) * 8;
		if (!rd_ok(&r) || len > hl - off)
			return -1;
		if (nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_DSTOPTS) {
			if (ah_zero_ipv6_options(h + off, len) < 0)
				return -1;
		} else {
			return -1; /* routing (refused before) or anything unexpected */
		}
		nh = next;
		off += len;
	}
	return 0;
}

/* Copy the hl header bytes in front of AH with the mutable fields zeroed. */
static int ah_mutable_copy(const uint8_t *pkt, size_t hl, unsigned version, uint8_t *out)
{
	memcpy(out, pkt, hl);
	if (version == 6)
		return ah_zero_ipv6(out, hl);
	/* RFC 4302 3.3.3.1.1.1: TOS, flags + fragment offset, TTL and checksum are mutable. */
	out[1] = 0;
	out[6] = out[7] = 0;
	out[8] = 0;
	out[10] = out[11] = 0;
	return 0;
}

/* Compute the ICV of pkt[0..len) whose AH header starts at hl and has a zeroed ICV field. */
static int ah_icv(struct sa *sa, const uint8_t *pkt, size_t len, size_t hl, unsigned version,
		  uint64_t seq, uint8_t *icv, const uint8_t *expect)
{
	uint8_t hdr[AH_IPHDR_MAX];
	uint8_t seq_hi[4];
	struct xc_piece in[3] = {
		{ hdr, hl },
		{ pkt + hl, len - hl },
		{ seq_hi, 4 },
	};

	if (ah_mutable_copy(pkt, hl, version, hdr) < 0)
		return -EINVAL;
	/* RFC 4302 3.3.3.2: with ESN the high half is appended, not sent. */
	put_be32(seq_hi, (uint32_t)(seq >> 32));
	if (expect)
		return xcipher_mac_verify(sa->cipher, in, sa->esn ? 3 : 2, expect);
	return xcipher_mac(sa->cipher, in, sa->esn ? 3 : 2, icv);
}

/* Packets whose mutable-but-predictable fields we do not compute are refused. */
static bool ah_ip_supported(const struct ip_info *ii)
{
	if (ii->version == 4)
		return ii->hdr_len == IPV4_HDR_LEN;
	return !ii->has_routing;
}

struct ah_out {
	struct ip_info ii;
	size_t hl;	 /* IP header bytes in front of AH after encapsulation */
	size_t outer_hl; /* new outer header (tunnel) */
	size_t ah_len;
	unsigned version; /* of the header in front of AH */
	uint8_t next_hdr;
};

static enum sa_drop ah_out_plan(const struct sa *sa, const struct xf_alg *alg,
				const struct pbuf *pb, struct ah_out *o)
{
	enum sa_drop d = xf_ip_drop(ip_parse(pbuf_data(pb), pb->len, IP_WALK_INSERT, &o->ii));
	size_t total;

	if (d)
		return d;
	if (sa->mode == SA_MODE_TUNNEL) {
		o->version = sa->dst.af == AF_INET6 ? 6 : 4;
		o->outer_hl = o->version == 6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
		o->hl = o->outer_hl;
		o->next_hdr = o->ii.version == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP;
	} else {
		/* As for ESP: transport mode keeps the packet's header, of the SA's family. */
		if (o->ii.version != (sa->dst.af == AF_INET6 ? 6 : 4))
			return SA_DROP_POLICY;
		if (!ah_ip_supported(&o->ii))
			return SA_DROP_UNSUPPORTED;
		o->version = o->ii.version;
		o->outer_hl = 0;
		o->hl = o->ii.l4_off;
		o->next_hdr = o->ii.proto;
	}
	if (o->hl > AH_IPHDR_MAX)
		return SA_DROP_UNSUPPORTED;
	o->ah_len = ah_hdr_len(alg->icv_len, o->version);
	if (pbuf_headroom(pb) < o->outer_hl + o->ah_len)
		return SA_DROP_NO_ROOM;
	total = pb->len + o->outer_hl + o->ah_len;
	if (o->version == 4 ? total > IPV4_MAX_PACKET : total - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD)
		return SA_DROP_NO_ROOM;
	return SA_DROP_NONE;
}

static void ah_out_frame(const struct sa *sa, struct pbuf *pb, const struct ah_out *o, uint64_t seq)
{
	uint8_t *pkt = pbuf_push(pb, o->outer_hl + o->ah_len);

	if (o->outer_hl) {
		ip_write_outer(pkt, o->outer_hl, &sa->src, &sa->dst, IPPROTO_NUM_AH, o->ii.tos,
			       (uint16_t)seq, pb->len - o->outer_hl);
	} else {
		/* Transport (RFC 4302 3.1.1): the header moves forward, AH follows it. */
		memmove(pkt, pkt + o->ah_len, o->hl);
		pkt[o->ii.proto_off] = IPPROTO_NUM_AH;
		ip_set_length(pkt, pb->len);
	}
	ah_hdr_write(pkt + o->hl, o->ah_len, o->next_hdr, sa->spi, (uint32_t)seq);
}

/* RFC 4302 3.3.3.1.1.1: the Identification is immutable, so it must reach the peer as signed.
 * Linux rewrites an Identification of 0 in a packet sent on an IP_HDRINCL raw socket when DF
 * is clear (raw_send_hdrinc -> ip_select_ident), after the ICV was computed, and the peer then
 * drops the packet (measured here: ID 0 with DF set stays 0; with DF clear it is replaced).
 * Such packets come from the tunnel-mode outer header every 65536th sequence number and from
 * local senders that clear DF. Give them a nonzero ID before the ICV is computed: 0x8000,
 * which the tunnel-mode outer header (ID = low half of the sequence number) last used 32768
 * packets before and uses again 32768 packets after, the farthest any value can be from its
 * reuse in a 16-bit field. */
static void ah_ipv4_fix_id(uint8_t *pkt)
{
	if (get_be16(pkt + 4) != 0 || (get_be16(pkt + 6) & IPV4_FLAG_DF))
		return;
	put_be16(pkt + 4, AH_IPV4_ID_FOR_ZERO);
	ipv4_set_checksum(pkt, IPV4_HDR_LEN);
}

enum sa_drop ah_encap(struct sa *sa, struct pbuf *pb, uint64_t now)
{
	uint8_t icv[AH_ICV_MAX];
	struct xf_alg alg;
	struct ah_out o;
	enum sa_drop d;
	uint64_t seq;
	uint8_t *pkt;

	if (!sa || sa->proto != IPPROTO_AH || sa->dir != SA_DIR_OUT || xf_alg_get(sa, &alg) < 0 ||
	    alg.icv_len > AH_ICV_MAX)
		return xf_drop(sa, NULL, SA_DROP_UNSUPPORTED);
	if (sa->expired)
		return xf_drop(sa, NULL, SA_DROP_EXPIRED);
	d = ah_out_plan(sa, &alg, pb, &o);
	if (d)
		return xf_drop(sa, NULL, d);
	if (sa_seq_next(sa, &seq) < 0)
		return xf_drop(sa, NULL, SA_DROP_SEQ_EXHAUSTED);
	/* The same bytes the receiver accounts: the payload (transport) or inner packet. */
	d = xf_account(sa, pb->len - (o.outer_hl ? 0 : o.hl), now);
	if (d)
		return xf_drop(sa, NULL, d);
	ah_out_frame(sa, pb, &o, seq);
	pkt = pbuf_data(pb);
	if (o.version == 4)
		ah_ipv4_fix_id(pkt);
	if (ah_icv(sa, pkt, pb->len, o.hl, o.version, seq, icv, NULL) < 0)
		return xf_drop(sa, NULL, SA_DROP_UNSUPPORTED);
	memcpy(pkt + o.hl + AH_HDR_LEN, icv, alg.icv_len);
	return SA_DROP_NONE;
}

struct ah_in {
	struct ip_info ii;
	struct ah_hdr h;
	struct xf_alg alg;
	uint64_t seq;
};

/* RFC 4302 3.4.4: check the ICV with the ICV zeroed. Only the icv_len octets are zeroed: ICV
 * padding (2.6, 3.3.3.2.1) is covered as received, as Linux does, so interop holds whatever a
 * sender pads with (ours are zero). The received ICV is put back if the check fails. */
static enum sa_drop ah_in_icv(struct sa *sa, struct pbuf *pb, const struct ah_in *a)
{
	uint8_t *field = pbuf_data(pb) + a->ii.l4_off + AH_HDR_LEN;
	uint8_t saved[AH_ICV_MAX];
	int rc;

	memcpy(saved, field, a->alg.icv_len);
	memset(field, 0, a->alg.icv_len);
	rc = ah_icv(sa, pbuf_data(pb), pb->len, a->ii.l4_off, a->ii.version, a->seq, NULL, saved);
	if (rc < 0) {
		memcpy(field, saved, a->alg.icv_len);
		return rc == -EBADMSG ? SA_DROP_ICV : SA_DROP_MALFORMED;
	}
	return SA_DROP_NONE;
}

static enum sa_drop ah_in_verify(struct sad *sad, struct pbuf *pb, struct ah_in *a, struct sa **sap)
{
	const uint8_t *pkt = pbuf_data(pb);
	struct sa *sa;
	enum sa_drop d;

	d = xf_ip_drop(ip_parse(pkt, pb->len, IP_WALK_ULP, &a->ii));
	if (d)
		return d;
	if (a->ii.proto != IPPROTO_NUM_AH)
		return SA_DROP_MALFORMED;
	if (ah_hdr_parse(pkt + a->ii.l4_off, pb->len - a->ii.l4_off, a->ii.version, &a->h) < 0)
		return SA_DROP_MALFORMED;
	sa = sad_lookup(sad, a->h.spi, &a->ii.dst, IPPROTO_AH);
	if (!sa || sa->dir != SA_DIR_IN)
		return SA_DROP_UNKNOWN_SPI;
	*sap = sa;
	if (xf_alg_get(sa, &a->alg) < 0)
		return SA_DROP_UNSUPPORTED;
	if (a->h.icv_area < a->alg.icv_len || a->alg.icv_len > AH_ICV_MAX || a->h.len > AH_MAX_LEN)
		return SA_DROP_MALFORMED;
	if (!ah_ip_supported(&a->ii) || a->ii.l4_off > AH_IPHDR_MAX)
		return SA_DROP_UNSUPPORTED;
	if (sa->expired)
		return SA_DROP_EXPIRED;
	/* RFC 4302 3.4.3 */
	if (replay_check(&sa->replay, sa->esn, a->h.seq, &a->seq) < 0)
		return SA_DROP_REPLAY;
	d = ah_in_icv(sa, pb, a);
	if (d)
		return d;
	if (replay_update(&sa->replay, a->seq) < 0)
		return SA_DROP_REPLAY;
	return SA_DROP_NONE;
}

/* Tunnel mode: what AH protected must be one whole IP packet of the family named. */
static enum sa_drop ah_in_inner(const struct pbuf *pb, const struct ah_in *a)
{
	size_t off = a->ii.l4_off + a->h.len;
	struct ip_info inner;
	int st = ip_parse(pbuf_data(pb) + off, pb->len - off, IP_WALK_ULP, &inner);

	if ((st != IP_OK && st != IP_FRAGMENT) ||
	    a->h.next != (inner.version == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP))
		return SA_DROP_MALFORMED;
	return SA_DROP_NONE;
}

static void ah_in_strip(const struct sa *sa, struct pbuf *pb, const struct ah_in *a)
{
	uint8_t *pkt = pbuf_data(pb);

	if (sa->mode == SA_MODE_TUNNEL) {
		pbuf_pull(pb, a->ii.l4_off + a->h.len);
		return;
	}
	memmove(pkt + a->h.len, pkt, a->ii.l4_off);
	pkt = pbuf_pull(pb, a->h.len);
	pkt[a->ii.proto_off] = a->h.next;
	ip_set_length(pkt, pb->len);
}

enum sa_drop ah_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **sa_out,
		      struct xf_stats *st)
{
	struct sa *sa = NULL;
	struct ah_in a = { 0 };
	enum sa_drop d;

	if (sa_out)
		*sa_out = NULL;
	d = ah_in_verify(sad, pb, &a, &sa);
	if (sa_out)
		*sa_out = sa;
	if (!d && sa->mode == SA_MODE_TUNNEL)
		d = ah_in_inner(pb, &a);
	if (!d)
		d = xf_account(sa, pb->len - a.ii.l4_off - a.h.len, now);
	if (d)
		return xf_drop_in(sa, st, d, AH_WHAT, a.h.spi);
	ah_in_strip(sa, pb, &a);
	if (st) {
		st->in_packets++;
		st->in_bytes += pb->len;
	}
	return SA_DROP_NONE;
}
