/* ESP encapsulation and decapsulation, RFC 4303, transport and tunnel mode, IPv4 and IPv6.
 *
 * Outbound the packet is turned into the ESP packet in place: headers go into the pbuf's
 * headroom, the trailer and ICV into its tailroom, the payload is encrypted where it lies. Only
 * transport mode moves bytes: the IP header (with the IPv6 extension headers that stay in
 * front) slides forward to make room for the ESP header and IV.
 *
 * Inbound follows RFC 4303 3.4 in this order: lengths, SA lookup (SPI, outer destination, 50),
 * SA expired, replay pre-check (3.4.3), ICV (3.4.4; AEAD ciphers decrypt with the check),
 * replay window update, decryption, padding (2.4), next header, lifetime accounting.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/rw.h"
#include "lib/util.h"
#include "sa/replay.h"
#include "wire/esp.h"
#include "wire/l4csum.h"
#include "wire/ip.h"
#include "xform/xf_int.h"
#include "xform/xform.h"

#define ESP_WHAT "esp"

/* The AAD of the AEAD ciphers: SPI || [seq high] || seq low (RFC 4106 5, RFC 7634 2.1; GMAC
 * adds IV and payload itself, RFC 4543 3.5). With ESN the high half is not on the wire, so the
 * AAD is assembled in buf. */
struct esp_aad {
	uint8_t buf[12];
	struct xc_piece piece;
};

static void esp_aad_build(struct esp_aad *a, const uint8_t *esp, bool esn, uint64_t seq)
{
	if (!esn) {
		a->piece = (struct xc_piece){ esp, ESP_HDR_LEN };
		return;
	}
	memcpy(a->buf, esp, 4);
	put_be32(a->buf + 4, (uint32_t)(seq >> 32));
	put_be32(a->buf + 8, (uint32_t)seq);
	a->piece = (struct xc_piece){ a->buf, sizeof(a->buf) };
}

/* Protect esp[0 .. hdr+iv+len) in place and write the ICV behind it. */
static int esp_seal(struct sa *sa, const struct xf_alg *alg, uint8_t *esp, size_t len, uint64_t seq)
{
	uint8_t *iv = esp + ESP_HDR_LEN;
	uint8_t *data = iv + alg->iv_len;
	uint8_t *icv = data + len;
	struct xc_piece in[2] = { { esp, ESP_HDR_LEN + alg->iv_len + len } };
	uint8_t seq_hi[4];
	struct esp_aad aad;

	if (alg->aead) {
		esp_aad_build(&aad, esp, sa->esn, seq);
		return xcipher_seal(sa->cipher, &aad.piece, 1, iv, data, len, icv);
	}
	if (xcipher_encrypt(sa->cipher, iv, data, len) < 0)
		return -EINVAL;
	/* RFC 4303 2.2.1 / 3.3.2.1: with ESN the high half is appended to the ICV input. */
	put_be32(seq_hi, (uint32_t)(seq >> 32));
	in[1] = (struct xc_piece){ seq_hi, sizeof(seq_hi) };
	return xcipher_mac(sa->cipher, in, sa->esn ? 2 : 1, icv);
}

/* Verify (and, for AEAD, decrypt) esp[0 .. hdr+iv+len) whose ICV follows; 0 or -EBADMSG. */
static int esp_open(struct sa *sa, const struct xf_alg *alg, uint8_t *esp, size_t len, uint64_t seq)
{
	uint8_t *iv = esp + ESP_HDR_LEN;
	uint8_t *data = iv + alg->iv_len;
	const uint8_t *icv = data + len;
	struct xc_piece in[2] = { { esp, ESP_HDR_LEN + alg->iv_len + len } };
	uint8_t seq_hi[4];
	struct esp_aad aad;

	if (alg->aead) {
		esp_aad_build(&aad, esp, sa->esn, seq);
		return xcipher_open(sa->cipher, &aad.piece, 1, iv, data, len, icv);
	}
	put_be32(seq_hi, (uint32_t)(seq >> 32));
	in[1] = (struct xc_piece){ seq_hi, sizeof(seq_hi) };
	return xcipher_mac_verify(sa->cipher, in, sa->esn ? 2 : 1, icv);
}

/* Sizes of one outbound packet. */
struct esp_out {
	struct ip_info ii;
	size_t hl;	  /* bytes of IP header that stay in front (transport) */
	size_t outer_hl;  /* new outer header (tunnel) */
	size_t payload;	  /* bytes that become Payload Data */
	size_t pad;	  /* padding bytes */
	uint8_t next_hdr; /* Next Header value in the trailer */
};

static enum sa_drop esp_out_plan(const struct sa *sa, const struct xf_alg *alg,
				 const struct pbuf *pb, struct esp_out *o)
{
	enum sa_drop d = xf_ip_drop(ip_parse(pbuf_data(pb), pb->len, IP_WALK_INSERT, &o->ii));
	size_t total;

	if (d)
		return d;
	if (sa->mode == SA_MODE_TUNNEL) {
		o->hl = 0;
		o->outer_hl = sa->dst.af == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
		o->payload = pb->len;
		o->next_hdr = o->ii.version == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP;
	} else {
		/* Transport mode keeps the packet's own header: it must be of the SA's family,
		 * or the peer could never find the SA by (SPI, destination). */
		if (o->ii.version != (sa->dst.af == AF_INET6 ? 6 : 4))
			return SA_DROP_POLICY;
		o->hl = o->ii.l4_off;
		o->outer_hl = 0;
		o->payload = pb->len - o->hl;
		o->next_hdr = o->ii.proto;
	}
	o->pad = esp_pad_len(o->payload, alg->align);
	if (pbuf_headroom(pb) < o->outer_hl + ESP_HDR_LEN + alg->iv_len ||
	    pbuf_tailroom(pb) < o->pad + ESP_TRAILER_LEN + alg->icv_len)
		return SA_DROP_NO_ROOM;
	total = o->outer_hl + o->hl + ESP_HDR_LEN + alg->iv_len + o->payload + o->pad +
		ESP_TRAILER_LEN + alg->icv_len;
	if (o->outer_hl ? sa->dst.af == AF_INET : o->ii.version == 4)
		return total > IPV4_MAX_PACKET ? SA_DROP_NO_ROOM : SA_DROP_NONE;
	if (total - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD)
		return SA_DROP_NO_ROOM;
	return SA_DROP_NONE;
}

/* Lay out headers and trailer; returns the ESP header's position in the packet. */
static size_t esp_out_frame(const struct sa *sa, const struct xf_alg *alg, struct pbuf *pb,
			    const struct esp_out *o, uint64_t seq)
{
	size_t front = o->outer_hl + ESP_HDR_LEN + alg->iv_len;
	size_t esp_off = o->outer_hl + o->hl;
	uint8_t *pkt = pbuf_push(pb, front);
	uint8_t *t = pbuf_put(pb, o->pad + ESP_TRAILER_LEN + alg->icv_len);

	if (o->hl) {
		/* Transport: the IP header moves forward; the byte that named the payload's
		 * protocol now names ESP (RFC 4303 3.1.1). */
		memmove(pkt, pkt + front, o->hl);
		pkt[o->ii.proto_off] = IPPROTO_NUM_ESP;
	}
	esp_hdr_write(pkt + esp_off, sa->spi, (uint32_t)seq);
	esp_pad_fill(t, o->pad);
	t[o->pad] = (uint8_t)o->pad;
	t[o->pad + 1] = o->next_hdr;
	if (o->outer_hl)
		ip_write_outer(pkt, o->outer_hl, &sa->src, &sa->dst, IPPROTO_NUM_ESP, o->ii.tos,
			       (uint16_t)seq, pb->len - o->outer_hl);
	else
		ip_set_length(pkt, pb->len);
	return esp_off;
}

enum sa_drop esp_encap_iv(struct sa *sa, struct pbuf *pb, uint64_t now, const uint8_t *iv)
{
	struct xf_alg alg;
	struct esp_out o;
	enum sa_drop d;
	uint64_t seq;
	size_t esp_off;
	uint8_t *esp;

	if (!sa || sa->proto != IPPROTO_ESP || sa->dir != SA_DIR_OUT || xf_alg_get(sa, &alg) < 0)
		return xf_drop(sa, NULL, SA_DROP_UNSUPPORTED);
	if (sa->expired)
		return xf_drop(sa, NULL, SA_DROP_EXPIRED);
	d = esp_out_plan(sa, &alg, pb, &o);
	if (d)
		return xf_drop(sa, NULL, d);
	/* RFC 4303 3.3.3: never reuse a sequence number; the SA must be replaced instead. */
	if (sa_seq_next(sa, &seq) < 0)
		return xf_drop(sa, NULL, SA_DROP_SEQ_EXHAUSTED);
	d = xf_account(sa, o.payload, now);
	if (d)
		return xf_drop(sa, NULL, d);
	esp_off = esp_out_frame(sa, &alg, pb, &o, seq);
	esp = pbuf_data(pb) + esp_off;
	if (iv)
		memcpy(esp + ESP_HDR_LEN, iv, alg.iv_len);
	else if (xcipher_gen_iv(sa->cipher, seq, esp + ESP_HDR_LEN) < 0)
		return xf_drop(sa, NULL, SA_DROP_UNSUPPORTED);
	if (esp_seal(sa, &alg, esp, o.payload + o.pad + ESP_TRAILER_LEN, seq) < 0)
		return xf_drop(sa, NULL, SA_DROP_UNSUPPORTED);
	/* RFC 3948 2.1: the UDP header is the socket's; only the peer's port is the SA's. */
	pb->udp_dport = sa->udp_encap ? sa->encap_dport : 0;
	return SA_DROP_NONE;
}

enum sa_drop esp_encap(struct sa *sa, struct pbuf *pb, uint64_t now)
{
	return esp_encap_iv(sa, pb, now, NULL);
}

/* What the inbound checks learned about one packet. */
struct esp_in {
	struct ip_info ii;
	struct xf_alg alg;
	struct esp_hdr h;
	size_t esp_off;
	size_t enc_len;	  /* bytes between IV and ICV */
	size_t inner_len; /* payload without padding and trailer */
	uint8_t next_hdr;
	uint64_t seq;
};

/* RFC 4303 3.4.2: minimum length, and a ciphertext the cipher can have produced. */
static bool esp_in_lengths_ok(const struct esp_in *e, size_t esp_len)
{
	size_t fixed = ESP_HDR_LEN + e->alg.iv_len + e->alg.icv_len;

	if (esp_len < fixed + ESP_TRAILER_LEN)
		return false;
	return (esp_len - fixed) % e->alg.align == 0;
}

/* RFC 4303 2.4, 2.6: padding and next header of the decrypted payload. Sets inner_len and
 * next_hdr; changes nothing. */
static enum sa_drop esp_in_trailer(const struct sa *sa, const struct pbuf *pb, struct esp_in *e)
{
	const uint8_t *data = pbuf_data(pb) + e->esp_off + ESP_HDR_LEN + e->alg.iv_len;
	size_t pad = data[e->enc_len - 2];
	struct ip_info inner;
	int st;

	/* Pad length within the payload, padding bytes 1, 2, 3, ... */
	if (pad + ESP_TRAILER_LEN > e->enc_len || !esp_pad_check(data + e->enc_len - 2 - pad, pad))
		return SA_DROP_PADDING;
	e->inner_len = e->enc_len - ESP_TRAILER_LEN - pad;
	e->next_hdr = data[e->enc_len - 1];
	/* RFC 4303 2.6: a dummy packet is discarded. */
	if (e->next_hdr == IPPROTO_NUM_NONE)
		return SA_DROP_UNSUPPORTED;
	if (sa->mode != SA_MODE_TUNNEL)
		return SA_DROP_NONE;
	/* Tunnel mode: the payload must be one whole IP packet of the family named. */
	st = ip_parse(data, e->inner_len, IP_WALK_ULP, &inner);
	if ((st != IP_OK && st != IP_FRAGMENT) ||
	    e->next_hdr != (inner.version == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP))
		return SA_DROP_MALFORMED;
	return SA_DROP_NONE;
}

/* Strip ESP so the pbuf holds the packet to deliver. */
static void esp_in_strip(const struct sa *sa, struct pbuf *pb, const struct esp_in *e)
{
	size_t gap = ESP_HDR_LEN + e->alg.iv_len;
	uint8_t *pkt = pbuf_data(pb);

	if (sa->mode == SA_MODE_TUNNEL) {
		pbuf_pull(pb, e->esp_off + gap);
		pbuf_trim(pb, pb->len - e->inner_len);
		return;
	}
	/* Transport: the IP header slides back over ESP header and IV and names the payload's
	 * protocol again; lengths (and the IPv4 checksum) follow. */
	memmove(pkt + gap, pkt, e->esp_off);
	pkt = pbuf_pull(pb, gap);
	pkt[e->ii.proto_off] = e->next_hdr;
	pbuf_trim(pb, pb->len - (e->esp_off + e->inner_len));
	ip_set_length(pkt, pb->len);
	/* RFC 3948 3.1.2: through a NAT the IP header no longer holds the addresses the sender's
	 * TCP/UDP/ICMPv6 checksum covered; the ICV has proven the payload, so compute it anew. */
	if (sa->udp_encap)
		l4csum_fix(pkt, pb->len);
}

/* Everything up to and including the ICV check and replay update. */
static enum sa_drop esp_in_verify(struct sad *sad, struct pbuf *pb, struct esp_in *e,
				  struct sa **sap)
{
	uint8_t *pkt = pbuf_data(pb);
	size_t esp_len;
	struct sa *sa;
	enum sa_drop d;

	d = xf_ip_drop(ip_parse(pkt, pb->len, IP_WALK_ULP, &e->ii));
	if (d)
		return d;
	if (e->ii.proto != IPPROTO_NUM_ESP)
		return SA_DROP_MALFORMED;
	e->esp_off = e->ii.l4_off;
	esp_len = pb->len - e->esp_off;
	if (esp_hdr_parse(pkt + e->esp_off, esp_len, &e->h) < 0)
		return SA_DROP_MALFORMED;
	/* RFC 4301 4.4.2: SAD lookup by SPI, destination and protocol. */
	sa = sad_lookup(sad, e->h.spi, &e->ii.dst, IPPROTO_ESP);
	if (!sa || sa->dir != SA_DIR_IN)
		return SA_DROP_UNKNOWN_SPI;
	*sap = sa;
	if (xf_alg_get(sa, &e->alg) < 0)
		return SA_DROP_UNSUPPORTED;
	if (!esp_in_lengths_ok(e, esp_len))
		return SA_DROP_MALFORMED;
	e->enc_len = esp_len - ESP_HDR_LEN - e->alg.iv_len - e->alg.icv_len;
	if (sa->expired)
		return SA_DROP_EXPIRED;
	/* RFC 4303 3.4.3: reject replays before spending time on the ICV. */
	if (replay_check(&sa->replay, sa->esn, e->h.seq, &e->seq) < 0)
		return SA_DROP_REPLAY;
	/* RFC 4303 3.4.4.1 */
	if (esp_open(sa, &e->alg, pkt + e->esp_off, e->enc_len, e->seq) < 0)
		return SA_DROP_ICV;
	/* RFC 4303 3.4.3: the window moves only for packets whose ICV verified. */
	if (replay_update(&sa->replay, e->seq) < 0)
		return SA_DROP_REPLAY;
	if (!e->alg.aead &&
	    xcipher_decrypt(sa->cipher, pkt + e->esp_off + ESP_HDR_LEN,
			    pkt + e->esp_off + ESP_HDR_LEN + e->alg.iv_len, e->enc_len) < 0)
		return SA_DROP_UNSUPPORTED;
	return SA_DROP_NONE;
}

enum sa_drop esp_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **sa_out,
		       struct xf_stats *st)
{
	struct sa *sa = NULL;
	struct esp_in e = { 0 };
	enum sa_drop d;

	if (sa_out)
		*sa_out = NULL;
	d = esp_in_verify(sad, pb, &e, &sa);
	if (sa_out)
		*sa_out = sa;
	if (d)
		return xf_drop_in(sa, st, d, ESP_WHAT, e.h.spi);
	d = esp_in_trailer(sa, pb, &e);
	if (d)
		return xf_drop_in(sa, st, d, ESP_WHAT, e.h.spi);
	d = xf_account(sa, e.inner_len, now);
	if (d)
		return xf_drop_in(sa, st, d, ESP_WHAT, e.h.spi);
	esp_in_strip(sa, pb, &e);
	if (st) {
		st->in_packets++;
		st->in_bytes += pb->len;
	}
	return SA_DROP_NONE;
}
