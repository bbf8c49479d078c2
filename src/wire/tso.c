/* User-space TCP segmentation for the TUN: see tso.h. */
#include "wire/tso.h"

#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/rw.h"
#include "wire/ip.h"

#define TCP_FLAG_FIN 0x01u
#define TCP_FLAG_PSH 0x08u
#define TCP_FLAG_CWR 0x80u

/* The virtio_net_hdr fields are little-endian (rd_u16 reads network order). */
static uint16_t tso_rd_le16(struct rd *r)
{
	uint16_t lo = rd_u8(r);

	return (uint16_t)(lo | rd_u8(r) << 8);
}

int tso_vnet_parse(const uint8_t *buf, size_t len, struct tso_vnet *v)
{
	struct rd r;
	uint8_t flags;

	rd_init(&r, buf, len);
	flags = rd_u8(&r);
	v->gso_type = rd_u8(&r);
	rd_skip(&r, 2); /* hdr_len: a hint, recomputed from the packet */
	v->gso_size = tso_rd_le16(&r);
	v->csum_start = tso_rd_le16(&r);
	v->csum_offset = tso_rd_le16(&r);
	v->needs_csum = flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	v->gso_type &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	return rd_ok(&r) ? 0 : -1;
}

/* RFC 1071 2(A), 2(B): the sum may be taken 32 bits at a time (a carry out of the low half
 * lands in the high half, which folds back) and in the host's byte order (the folded result is
 * then byte-swapped): four times fewer, simpler steps than big-endian 16-bit words. This is
 * the sum every segment costs twice (tso_next, gro's check), the largest user-space cost of
 * both ends in perf before. The loop is plain C that compilers vectorise; on x86-64 a second
 * copy is built for AVX2 and the dynamic loader picks it on CPUs that have it (an ifunc): 32
 * octets a step instead of 16 with the baseline's SSE2, 51 -> 21 ns for 1400 octets here
 * (docs/benchmarks.md, levers). */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TSO_SUM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TSO_SUM_CLONES
#define TSO_SUM_CLONES
#endif

TSO_SUM_CLONES static uint16_t tso_sum_be(const uint8_t *p, size_t n)
{
	uint64_t s = 0, t = 0, q;
	size_t i = 0;
	uint32_t w;
	uint16_t f;

	/* Two independent sums of 32-bit halves, so the additions need not wait on each other. */
	for (; i + 8 <= n; i += 8) {
		memcpy(&q, p + i, 8);
		s += q & 0xffffffffu;
		t += q >> 32;
	}
	if (i + 4 <= n) {
		memcpy(&w, p + i, 4);
		s += w;
	}
	s += t;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	f = (uint16_t)s;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = (uint16_t)(f << 8 | f >> 8);
#endif
	return f;
}

uint32_t tso_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i = n & ~(size_t)3;

	acc += tso_sum_be(p, i);
	for (; i + 1 < n; i += 2)
		acc += (uint32_t)get_be16(p + i);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

uint16_t tso_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

int tso_csum_finish(uint8_t *pkt, size_t len, uint16_t start, uint16_t offset)
{
	size_t at = (size_t)start + offset;
	uint16_t c;

	if (start >= len || at + 2 > len)
		return -1;
	c = (uint16_t)~tso_fold(tso_sum(pkt + start, len - start, 0));
	/* RFC 768: a computed UDP checksum of zero is sent as all ones (zero means none over
	 * IPv4 and is dropped over IPv6, RFC 8200 8.1); for TCP both are the same value. */
	put_be16(pkt + at, c ? c : 0xffff);
	return 0;
}

int tso_tcp_read(const uint8_t *pkt, size_t len, size_t tcp_off, uint32_t *seq, size_t *doff,
		 uint8_t *flags)
{
	struct rd r;

	rd_init(&r, pkt, len);
	rd_skip(&r, tcp_off + 4);
	*seq = rd_u32(&r);
	rd_skip(&r, 4);
	*doff = (size_t)(rd_u8(&r) >> 4) * 4;
	*flags = rd_u8(&r);
	return rd_ok(&r) && *doff >= 20 ? 0 : -1;
}

int tso_init(struct tso *t, const uint8_t *pkt, size_t len, uint16_t mss)
{
	struct ip_info ii;
	struct rd r;
	size_t doff;

	memset(t, 0, sizeof(*t));
	if (!mss || ip_parse(pkt, len, IP_WALK_ULP, &ii) != IP_OK || ii.proto != IPPROTO_NUM_TCP ||
	    ii.has_routing)
		return -1;
	if (tso_tcp_read(pkt, len, ii.l4_off, &t->seq, &doff, &t->flags) || ii.l4_off + doff > len)
		return -1;
	rd_init(&r, pkt, len);
	rd_skip(&r, 4);
	t->ip_id = rd_u16(&r); /* IPv4 identification; unused for IPv6 */
	t->pkt = pkt;
	t->len = len;
	t->tcp_off = ii.l4_off;
	t->hdr_len = ii.l4_off + doff;
	t->version = ii.version;
	t->mss = mss;
	t->off = t->hdr_len;
	return 0;
}

/* RFC 9293 3.1: the checksum covers a pseudo-header (RFC 8200 8.1 for IPv6), the TCP header
 * and the payload. */
uint32_t tso_pseudo_sum(const uint8_t *pkt, uint8_t version, size_t tcp_len)
{
	uint32_t acc;

	if (version == 4)
		acc = tso_sum(pkt + 12, 8, 0);
	else
		acc = tso_sum(pkt + 8, 32, 0);
	return acc + IPPROTO_NUM_TCP + (uint32_t)(tcp_len & 0xffff) + (uint32_t)(tcp_len >> 16);
}

static void tso_tcp_csum(uint8_t *seg, size_t len, const struct tso *t)
{
	size_t tcp_len = len - t->tcp_off;
	uint32_t acc;

	put_be16(seg + t->tcp_off + 16, 0);
	acc = tso_pseudo_sum(seg, t->version, tcp_len);
	acc = tso_sum(seg + t->tcp_off, tcp_len, acc);
	put_be16(seg + t->tcp_off + 16, (uint16_t)~tso_fold(acc));
}

size_t tso_next(struct tso *t, uint8_t *out, size_t room)
{
	size_t n = t->len - t->off, k = (t->off - t->hdr_len) / t->mss, len;
	uint8_t flags = t->flags, *tcp;
	bool last;

	if (t->off >= t->len || room < t->hdr_len + t->mss)
		return 0;
	if (n > t->mss)
		n = t->mss;
	last = t->off + n == t->len;
	len = t->hdr_len + n;
	memcpy(out, t->pkt, t->hdr_len);
	memcpy(out + t->hdr_len, t->pkt + t->off, n);
	tcp = out + t->tcp_off;
	/* What a NIC's TSO does: CWR on the first segment only, FIN and PSH on the last. */
	if (k)
		flags &= (uint8_t)~TCP_FLAG_CWR;
	if (!last)
		flags &= (uint8_t) ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	put_be32(tcp + 4, t->seq + (uint32_t)(t->off - t->hdr_len));
	tcp[13] = flags;
	if (t->version == 4)
		put_be16(out + 4, (uint16_t)(t->ip_id + k));
	if (ip_set_length(out, len) < 0)
		return 0;
	tso_tcp_csum(out, len, t);
	t->off += n;
	return len;
}
