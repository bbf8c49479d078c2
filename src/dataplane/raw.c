/* Raw ESP/AH sockets: see raw.h for the header handling. */
#include "dataplane/raw.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/rw.h"
#include "wire/ip.h"

#define RAW_SOCKBUF (4 << 20)
/* UDP_SEGMENT limits: the kernel takes at most 64 segments (UDP_MAX_SEGMENTS on older
 * kernels) and one UDP datagram's worth of payload per call. */
#define RAW_GSO_MAX_SEGS  64u
#define RAW_GSO_MAX_BYTES 60000u

static int raw_setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static int raw_fail(struct raw_sock *r)
{
	int rc = -errno;

	close(r->fd);
	r->fd = -1;
	return rc;
}

/* Root may exceed net.core.*mem_max, which a child namespace cannot raise. */
static void raw_size_bufs(int fd)
{
	if (raw_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RAW_SOCKBUF) < 0 ||
	    raw_setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, RAW_SOCKBUF) < 0)
		log_warn("raw: cannot size socket buffers: %s", strerror(errno));
}

int raw_want_meta(int fd, int af)
{
	bool v6 = af == AF_INET6;
	int lvl = v6 ? IPPROTO_IPV6 : IPPROTO_IP;

	if (raw_setopt(fd, lvl, v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, 1) < 0 ||
	    raw_setopt(fd, lvl, v6 ? IPV6_RECVHOPLIMIT : IP_RECVTTL, 1) < 0 ||
	    raw_setopt(fd, lvl, v6 ? IPV6_RECVTCLASS : IP_RECVTOS, 1) < 0)
		return -errno;
	return 0;
}

int raw_open(struct raw_sock *r, int af, uint8_t proto, uint32_t mark)
{
	memset(r, 0, sizeof(*r));
	r->af = af;
	r->proto = proto;
	r->fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (r->fd < 0)
		return -errno;
	if (raw_setopt(r->fd, SOL_SOCKET, SO_MARK, (int)mark) < 0)
		return raw_fail(r);
	/* RFC 4302 3.3.3.1.1.1: Identification is immutable, so it must go out as signed. */
	if (af == AF_INET && proto == IPPROTO_AH) {
		if (raw_setopt(r->fd, IPPROTO_IP, IP_HDRINCL, 1) < 0)
			return raw_fail(r);
		r->hdrincl = true;
	}
	raw_size_bufs(r->fd);
	if (af == AF_INET6 && raw_want_meta(r->fd, af) < 0)
		return raw_fail(r);
	return 0;
}

int raw_open_udp(struct raw_sock *r, int af, uint16_t port, uint32_t mark)
{
	struct sockaddr_storage ss;
	struct raw_meta any = { .src.af = (uint8_t)af, .dst.af = (uint8_t)af, .dport = port };
	struct msghdr mh;

	memset(r, 0, sizeof(*r));
	r->af = af;
	r->proto = IPPROTO_ESP;
	r->udp_port = port;
	r->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (r->fd < 0)
		return -errno;
	if (af == AF_INET6 && raw_setopt(r->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
		return raw_fail(r);
	if (raw_setopt(r->fd, SOL_SOCKET, SO_MARK, (int)mark) < 0)
		return raw_fail(r);
	raw_size_bufs(r->fd);
	if (raw_want_meta(r->fd, af) < 0)
		return raw_fail(r);
	/* The wildcard address and our port, built the way every send builds its name. */
	memset(&mh, 0, sizeof(mh));
	raw_meta_write(af, &mh, &ss, NULL, &any);
	if (bind(r->fd, (struct sockaddr *)&ss, mh.msg_namelen) < 0)
		return raw_fail(r);
	return 0;
}

/* UDP_SEGMENT needs no option on the socket, only a kernel that knows it (4.18+): probe with
 * the per-socket default. UDP_GRO (5.0+) is an option. */
void raw_udp_offload(struct raw_sock *r)
{
	const char *env = getenv("ESPRIT_UDP_OFFLOAD");

	if (env && !strcmp(env, "0"))
		return;
	r->gso = raw_setopt(r->fd, IPPROTO_UDP, UDP_SEGMENT, 0) == 0;
	r->gro = raw_setopt(r->fd, IPPROTO_UDP, UDP_GRO, 1) == 0;
	log_info("udp: segmentation offload %s, receive coalescing %s", r->gso ? "on" : "off",
		 r->gro ? "on" : "off");
}

void raw_close(struct raw_sock *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int raw_meta_read(int af, const struct msghdr *mh, struct raw_meta *m)
{
	const struct sockaddr_storage *from = mh->msg_name;
	bool have_dst = false;
	struct cmsghdr *c;
	int v;

	memset(m, 0, sizeof(*m));
	m->hops = IP_DEFAULT_TTL;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		const uint8_t *p = CMSG_DATA(c);
		size_t n = c->cmsg_len - CMSG_LEN(0);

		if (af == AF_INET6 && c->cmsg_level == IPPROTO_IPV6) {
			if (c->cmsg_type == IPV6_PKTINFO && n >= sizeof(struct in6_pktinfo)) {
				ipaddr_from_v6(&m->dst,
					       p + offsetof(struct in6_pktinfo, ipi6_addr));
				have_dst = true;
			} else if (c->cmsg_type == IPV6_HOPLIMIT && n >= sizeof(int)) {
				memcpy(&m->hops, p, sizeof(int));
			} else if (c->cmsg_type == IPV6_TCLASS && n >= sizeof(int)) {
				memcpy(&v, p, sizeof(int));
				m->tclass = (uint8_t)v;
			}
		} else if (af == AF_INET && c->cmsg_level == IPPROTO_IP) {
			if (c->cmsg_type == IP_PKTINFO && n >= sizeof(struct in_pktinfo)) {
				ipaddr_from_v4(&m->dst, p + offsetof(struct in_pktinfo, ipi_addr));
				have_dst = true;
			} else if (c->cmsg_type == IP_TTL && n >= sizeof(int)) {
				memcpy(&m->hops, p, sizeof(int));
			} else if (c->cmsg_type == IP_TOS && n >= 1) {
				m->tclass = *p;
			}
		}
	}
	if (!have_dst || !from || from->ss_family != af)
		return -1;
	if (af == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;

		if (mh->msg_namelen < sizeof(*a))
			return -1;
		ipaddr_from_v6(&m->src, &a->sin6_addr);
		m->sport = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)from;

		if (mh->msg_namelen < sizeof(*a))
			return -1;
		ipaddr_from_v4(&m->src, &a->sin_addr);
		m->sport = ntohs(a->sin_port);
	}
	return 0;
}

static struct cmsghdr *raw_cmsg_add(struct msghdr *mh, struct cmsghdr *prev, int level, int type,
				    const void *val, size_t len)
{
	struct cmsghdr *c = prev ? CMSG_NXTHDR(mh, prev) : CMSG_FIRSTHDR(mh);

	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), val, len);
	return c;
}

void raw_meta_write(int af, struct msghdr *mh, struct sockaddr_storage *name, uint8_t *cbuf,
		    const struct raw_meta *m)
{
	bool v6 = af == AF_INET6;
	int lvl = v6 ? IPPROTO_IPV6 : IPPROTO_IP, tc = m->tclass;
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *c;

	memset(name, 0, sizeof(*name));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)name;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(m->dport);
		memcpy(&a->sin6_addr, m->dst.b, 16);
		mh->msg_namelen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)name;

		a->sin_family = AF_INET;
		a->sin_port = htons(m->dport);
		memcpy(&a->sin_addr, m->dst.b, 4);
		mh->msg_namelen = sizeof(*a);
	}
	mh->msg_name = name;
	if (!cbuf)
		return;
	memset(cbuf, 0, RAW_CMSG_SPACE);
	mh->msg_control = cbuf;
	mh->msg_controllen = (v6 ? CMSG_SPACE(sizeof(pi6)) : CMSG_SPACE(sizeof(pi4))) +
			     (m->hops ? 2 * CMSG_SPACE(sizeof(int)) : 0);
	memset(&pi6, 0, sizeof(pi6));
	memset(&pi4, 0, sizeof(pi4));
	memcpy(&pi6.ipi6_addr, m->src.b, 16);
	memcpy(&pi4.ipi_spec_dst, m->src.b, 4);
	c = v6 ? raw_cmsg_add(mh, NULL, lvl, IPV6_PKTINFO, &pi6, sizeof(pi6))
	       : raw_cmsg_add(mh, NULL, lvl, IP_PKTINFO, &pi4, sizeof(pi4));
	if (!m->hops)
		return;
	c = raw_cmsg_add(mh, c, lvl, v6 ? IPV6_HOPLIMIT : IP_TTL, &m->hops, sizeof(int));
	raw_cmsg_add(mh, c, lvl, v6 ? IPV6_TCLASS : IP_TOS, &tc, sizeof(int));
}

/* RFC 791 / RFC 8200 3: rebuild an IP header (no options) in front of the payload the kernel
 * handed us (IPv6 raw sockets and every UDP socket deliver only the payload). */
static int raw_rebuild(struct raw_sock *r, struct pbuf *pb, const struct raw_meta *m)
{
	bool v6 = r->af == AF_INET6;
	size_t hl = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
	uint8_t *h;
	struct wr w;

	if (pb->len > (v6 ? IPV6_MAX_PAYLOAD : IPV4_MAX_PACKET - IPV4_HDR_LEN))
		return -1;
	h = pbuf_push(pb, hl);
	if (!h)
		return -1;
	wr_init(&w, h, hl);
	if (v6) {
		wr_u32(&w, 6u << 28 | (uint32_t)m->tclass << 20);
		wr_u16(&w, (uint16_t)(pb->len - hl));
		wr_u8(&w, r->proto);
		wr_u8(&w, (uint8_t)m->hops);
	} else {
		wr_u8(&w, 0x45);
		wr_u8(&w, m->tclass);
		wr_u16(&w, (uint16_t)pb->len);
		wr_u32(&w, 0); /* id, flags, fragment offset */
		wr_u8(&w, (uint8_t)m->hops);
		wr_u8(&w, r->proto);
		wr_u16(&w, 0);
	}
	wr_bytes(&w, m->src.b, ipaddr_len(&m->src));
	wr_bytes(&w, m->dst.b, ipaddr_len(&m->dst));
	if (!wr_ok(&w))
		return -1;
	if (!v6)
		ipv4_set_checksum(h, hl);
	return 0;
}

/* RFC 3948 2.2/2.3: a one-octet 0xff datagram is a NAT keepalive, four zero octets in front
 * are IKE's non-ESP marker (removed here); anything else starts with an ESP SPI. */
static enum raw_kind raw_udp_kind(struct pbuf *pb)
{
	struct rd rd;
	uint32_t spi;

	rd_init(&rd, pbuf_data(pb), pb->len);
	spi = rd_u32(&rd);
	if (rd_ok(&rd) && spi != 0)
		return RAW_IP;
	if (rd_ok(&rd) && pbuf_pull(pb, 4))
		return RAW_NON_ESP;
	return pb->len == 1 && *pbuf_data(pb) == 0xff ? RAW_KEEPALIVE : RAW_BAD;
}

/* What one received message is; pb holds it as the kind says. */
static enum raw_kind raw_classify(struct raw_sock *r, unsigned i, struct pbuf *pb)
{
	const struct msghdr *mh = &r->msg[i].msg_hdr;
	struct raw_meta *m = &r->meta[i];
	enum raw_kind k = RAW_IP;

	if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return RAW_BAD;
	if (r->af == AF_INET && !r->udp_port)
		return RAW_IP; /* the kernel kept the IPv4 header */
	if (raw_meta_read(r->af, mh, m) < 0)
		return RAW_BAD;
	if (r->udp_port)
		k = raw_udp_kind(pb);
	if (k == RAW_IP && raw_rebuild(r, pb, m) < 0)
		return RAW_BAD;
	return k;
}

/* UDP_GRO: the kernel says how long each coalesced datagram is (the last may be shorter). */
static uint16_t raw_gro_size(const struct msghdr *mh)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c))
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(int));
			return v > 0 && v <= 0xffff ? (uint16_t)v : 0;
		}
	return 0;
}

int raw_recv_batch(struct raw_sock *r, struct pbuf *pbs, unsigned n)
{
	int got;

	if (n > DP_BATCH)
		n = DP_BATCH;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &r->msg[i].msg_hdr;

		r->iov[i].iov_base = pbuf_data(&pbs[i]);
		r->iov[i].iov_len = pbs[i].size - pbs[i].off;
		memset(mh, 0, sizeof(*mh));
		mh->msg_iov = &r->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_name = &r->name[i];
		mh->msg_namelen = sizeof(r->name[i]);
		if (r->af == AF_INET6 || r->udp_port) {
			mh->msg_control = r->cmsg[i];
			mh->msg_controllen = RAW_CMSG_SPACE;
		}
	}
	got = recvmmsg(r->fd, r->msg, n, MSG_DONTWAIT, NULL);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	for (int i = 0; i < got; i++) {
		pbs[i].len = r->msg[i].msg_len;
		r->seg[i] = r->gro ? raw_gro_size(&r->msg[i].msg_hdr) : 0;
		if (r->seg[i] && pbs[i].len > r->seg[i] &&
		    !(r->msg[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
			continue; /* raw_recv_segment classifies each datagram */
		r->seg[i] = 0;
		r->kind[i] = (uint8_t)raw_classify(r, (unsigned)i, &pbs[i]);
		if (r->kind[i] != RAW_IP && r->kind[i] != RAW_NON_ESP)
			pbs[i].len = 0;
	}
	return got;
}

size_t raw_recv_segment(struct raw_sock *r, unsigned i, const struct pbuf *whole, size_t off,
			struct pbuf *out)
{
	size_t n;

	if (i >= DP_BATCH || off >= whole->len)
		return 0;
	n = whole->len - off;
	if (r->seg[i] && n > r->seg[i])
		n = r->seg[i];
	out->len = 0;
	r->kind[i] = RAW_BAD;
	if (n > pbuf_tailroom(out))
		return n;
	memcpy(pbuf_data(out), pbuf_data(whole) + off, n);
	out->len = n;
	r->kind[i] = (uint8_t)raw_classify(r, i, out);
	if (r->kind[i] != RAW_IP && r->kind[i] != RAW_NON_ESP)
		out->len = 0;
	return n;
}

/* Split a whole IP packet of the socket's family and protocol into the header fields the
 * kernel will write (meta) and the offset of the payload it sends. -1 if it is not one. */
static int raw_meta_of_packet(const struct raw_sock *r, const struct pbuf *pb, struct raw_meta *m,
			      size_t *hl)
{
	bool v6 = r->af == AF_INET6;
	const uint8_t *h;
	struct rd rd;

	rd_init(&rd, pbuf_data(pb), pb->len);
	h = rd_bytes(&rd, v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN);
	if (!h || h[0] >> 4 != (v6 ? 6 : 4) || h[v6 ? 6 : 9] != r->proto)
		return -1;
	memset(m, 0, sizeof(*m));
	m->dport = r->udp_port && pb->udp_dport ? pb->udp_dport : r->udp_port;
	if (v6) {
		*hl = IPV6_HDR_LEN;
		ipaddr_from_v6(&m->src, h + 8);
		ipaddr_from_v6(&m->dst, h + 24);
		m->hops = h[7];
		m->tclass = (uint8_t)((h[0] & 0xf) << 4 | h[1] >> 4);
	} else {
		*hl = (size_t)(h[0] & 0xf) * 4;
		if (*hl < IPV4_HDR_LEN || *hl > pb->len)
			return -1;
		ipaddr_from_v4(&m->src, h + 12);
		ipaddr_from_v4(&m->dst, h + 16);
		m->hops = h[8];
		m->tclass = h[1];
	}
	if (!m->hops)
		m->hops = IP_DEFAULT_TTL;
	return 0;
}

/* Destination in msg_name, source as IP_PKTINFO / IPV6_PKTINFO, TTL / hop limit and TOS /
 * traffic class as ancillary data; only the payload is handed over. An IPv4 AH socket sends
 * the whole packet (the kernel fills in the total length and the header checksum only). */
static int raw_prep(struct raw_sock *r, unsigned i, const struct pbuf *pb)
{
	struct msghdr *mh = &r->msg[i].msg_hdr;
	struct raw_meta m;
	size_t hl;

	if (raw_meta_of_packet(r, pb, &m, &hl) < 0)
		return -1;
	raw_meta_write(r->af, mh, &r->name[i], r->hdrincl ? NULL : r->cmsg[i], &m);
	if (r->hdrincl)
		hl = 0;
	r->iov[i].iov_base = (uint8_t *)pbuf_data(pb) + hl;
	r->iov[i].iov_len = pb->len - hl;
	return 0;
}

/* Can packet slot i ride in the UDP_SEGMENT run that starts at slot s and ends at slot i - 1?
 * Same peer, same source and TTL/TOS (the ancillary data), full-size segments except the last,
 * within the kernel's limits. */
static bool raw_gso_joins(const struct raw_sock *r, unsigned s, unsigned i, size_t bytes)
{
	const struct msghdr *a = &r->msg[s].msg_hdr, *b = &r->msg[i].msg_hdr;
	size_t seg = r->iov[s].iov_len;

	return i - s < RAW_GSO_MAX_SEGS && r->iov[i - 1].iov_len == seg &&
	       r->iov[i].iov_len <= seg && bytes + r->iov[i].iov_len <= RAW_GSO_MAX_BYTES &&
	       a->msg_namelen == b->msg_namelen &&
	       !memcmp(a->msg_name, b->msg_name, a->msg_namelen) &&
	       a->msg_controllen == b->msg_controllen &&
	       !memcmp(a->msg_control, b->msg_control, a->msg_controllen);
}

/* Merge the k prepared messages into runs: one message per run, its iovecs the packets, with
 * a UDP_SEGMENT control message carrying the segment size. Returns the number of messages;
 * r->npk[] says how many packets each one carries. */
static unsigned raw_gso_merge(struct raw_sock *r, unsigned k)
{
	unsigned m = 0, s = 0;

	while (s < k) {
		size_t bytes = r->iov[s].iov_len;
		unsigned e = s + 1;
		struct msghdr mh = r->msg[s].msg_hdr;

		while (e < k && raw_gso_joins(r, s, e, bytes))
			bytes += r->iov[e++].iov_len;
		if (e - s > 1) {
			struct cmsghdr *c =
				(struct cmsghdr *)((uint8_t *)mh.msg_control + mh.msg_controllen);
			uint16_t seg = (uint16_t)r->iov[s].iov_len;

			c->cmsg_level = IPPROTO_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			mh.msg_controllen += CMSG_SPACE(sizeof(seg));
			mh.msg_iovlen = e - s;
		}
		r->msg[m].msg_hdr = mh;
		r->npk[m++] = e - s;
		s = e;
	}
	return m;
}

int raw_send_batch(struct raw_sock *r, struct pbuf *const *pbs, unsigned n, unsigned *bad)
{
	unsigned k = 0, done = 0, sent = 0;
	int rc;

	*bad = 0;
	if (n > DP_BATCH)
		n = DP_BATCH;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &r->msg[k].msg_hdr;

		memset(mh, 0, sizeof(*mh));
		mh->msg_iov = &r->iov[k];
		mh->msg_iovlen = 1;
		r->npk[k] = 1;
		rc = raw_prep(r, k, pbs[i]);
		if (rc < 0)
			(*bad)++;
		else
			k++;
	}
	if (r->gso && k > 1)
		k = raw_gso_merge(r, k);
	while (done < k) {
		rc = sendmmsg(r->fd, r->msg + done, k - done, MSG_DONTWAIT);
		if (rc > 0) {
			for (unsigned j = done; j < done + (unsigned)rc; j++)
				sent += r->npk[j];
			done += (unsigned)rc;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* A full queue drops the rest of the burst (like a NIC); any other error drops
		 * the message that caused it and carries on with the next. */
		if (errno == EAGAIN || errno == ENOBUFS)
			break;
		log_ratelimited(LOG_LVL_DEBUG, "raw: send: %s", strerror(errno));
		*bad += r->npk[done];
		memmove(&r->msg[done], &r->msg[done + 1], (k - done - 1) * sizeof(r->msg[0]));
		memmove(&r->npk[done], &r->npk[done + 1], (k - done - 1) * sizeof(r->npk[0]));
		k--;
	}
	return (int)sent;
}

int raw_want_errors(int fd, int af)
{
	int rc = af == AF_INET6 ? raw_setopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1)
				: raw_setopt(fd, IPPROTO_IP, IP_RECVERR, 1);

	return rc < 0 ? -errno : 0;
}

/* The kernel hands back the quoted packet from the protocol header on: ESP or AH for raw
 * sockets, the UDP payload (SPI, or IKE's zero non-ESP marker) for ESP in UDP. AH's SPI follows its
 * next header, length and reserved fields (RFC 4302 2). */
static uint32_t raw_err_spi(const struct raw_sock *r, const uint8_t *q, size_t n)
{
	struct rd rd;
	uint32_t spi;

	rd_init(&rd, q, n);
	if (r->proto == IPPROTO_AH && !r->udp_port)
		rd_skip(&rd, 4);
	spi = rd_u32(&rd);
	return rd_ok(&rd) ? spi : 0;
}

/* RFC 1191 4 (IPv4 type 3 code 4), RFC 8201 4 / RFC 4443 3.2 (ICMPv6 type 2). */
static bool raw_err_is_pmtu(int af, const struct sock_extended_err *ee)
{
	if (af == AF_INET)
		return ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3 && ee->ee_code == 4;
	return ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == 2;
}

int raw_err_read(struct raw_sock *r, struct raw_pmtu *p)
{
	uint8_t quote[64], cbuf[RAW_CMSG_SPACE];
	struct sockaddr_storage name;
	struct iovec iov = { .iov_base = quote, .iov_len = sizeof(quote) };
	struct msghdr mh = { .msg_name = &name,
			     .msg_namelen = sizeof(name),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	const struct sock_extended_err *ee = NULL;
	ssize_t n;

	n = recvmsg(r->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			ee = (const struct sock_extended_err *)CMSG_DATA(c);
	if (!ee || !raw_err_is_pmtu(r->af, ee))
		return 0;
	memset(p, 0, sizeof(*p));
	if (r->af == AF_INET && name.ss_family == AF_INET)
		ipaddr_from_v4(&p->dst, &((const struct sockaddr_in *)&name)->sin_addr);
	else if (r->af == AF_INET6 && name.ss_family == AF_INET6)
		ipaddr_from_v6(&p->dst, &((const struct sockaddr_in6 *)&name)->sin6_addr);
	else
		return 0;
	p->mtu = ee->ee_info;
	p->spi = raw_err_spi(r, quote, (size_t)n);
	return 1;
}
