/* Raw ESP/AH sockets: see raw.h for the header handling. */
#include "dataplane/raw.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/rw.h"
#include "wire/ip.h"

#define RAW_SOCKBUF (4 << 20)

static int raw_setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

int raw_open(struct raw_sock *r, int af, uint8_t proto, uint32_t mark)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->af = af;
	r->proto = proto;
	r->fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (r->fd < 0)
		return -errno;
	if (raw_setopt(r->fd, SOL_SOCKET, SO_MARK, (int)mark) < 0)
		goto fail;
	/* RFC 4302 3.3.3.1.1.1: Identification is immutable, so it must go out as signed. */
	if (af == AF_INET && proto == IPPROTO_AH) {
		if (raw_setopt(r->fd, IPPROTO_IP, IP_HDRINCL, 1) < 0)
			goto fail;
		r->hdrincl = true;
	}
	/* Root may exceed net.core.*mem_max, which a child namespace cannot raise. */
	if (raw_setopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, RAW_SOCKBUF) < 0 ||
	    raw_setopt(r->fd, SOL_SOCKET, SO_SNDBUFFORCE, RAW_SOCKBUF) < 0)
		log_warn("raw: cannot size socket buffers: %s", strerror(errno));
	if (af == AF_INET6 && (raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0 ||
			       raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0 ||
			       raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) < 0))
		goto fail;
	return 0;
fail:
	rc = -errno;
	close(r->fd);
	r->fd = -1;
	return rc;
}

int raw_open_udp(struct raw_sock *r, int af, uint16_t port, uint32_t mark)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc;

	memset(r, 0, sizeof(*r));
	r->af = af;
	r->proto = IPPROTO_ESP;
	r->udp_port = port;
	r->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (r->fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		sl = sizeof(*a);
		if (raw_setopt(r->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
			goto fail;
	}
	if (raw_setopt(r->fd, SOL_SOCKET, SO_MARK, (int)mark) < 0)
		goto fail;
	if (raw_setopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, RAW_SOCKBUF) < 0 ||
	    raw_setopt(r->fd, SOL_SOCKET, SO_SNDBUFFORCE, RAW_SOCKBUF) < 0)
		log_warn("udp: cannot size socket buffers: %s", strerror(errno));
	if (af == AF_INET && (raw_setopt(r->fd, IPPROTO_IP, IP_PKTINFO, 1) < 0 ||
			      raw_setopt(r->fd, IPPROTO_IP, IP_RECVTTL, 1) < 0 ||
			      raw_setopt(r->fd, IPPROTO_IP, IP_RECVTOS, 1) < 0))
		goto fail;
	if (af == AF_INET6 && (raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0 ||
			       raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0 ||
			       raw_setopt(r->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) < 0))
		goto fail;
	if (bind(r->fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	return 0;
fail:
	rc = -errno;
	close(r->fd);
	r->fd = -1;
	return rc;
}

void raw_close(struct raw_sock *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* RFC 8200 3: rebuild the fixed header in front of the payload the kernel handed us. */
static int raw_v6_rebuild(struct raw_sock *r, struct pbuf *pb, const struct msghdr *mh)
{
	const struct sockaddr_in6 *from = (const struct sockaddr_in6 *)mh->msg_name;
	const struct in6_pktinfo *pi = NULL;
	int hops = 64, tclass = 0;
	struct cmsghdr *c;
	uint8_t *h;
	struct wr w;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(*pi)))
			pi = (const struct in6_pktinfo *)CMSG_DATA(c);
		else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&hops, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_type == IPV6_TCLASS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&tclass, CMSG_DATA(c), sizeof(int));
	}
	if (!pi || mh->msg_namelen < sizeof(*from) || pb->len > IPV6_MAX_PAYLOAD)
		return -1;
	h = pbuf_push(pb, IPV6_HDR_LEN);
	if (!h)
		return -1;
	wr_init(&w, h, IPV6_HDR_LEN);
	wr_u32(&w, 6u << 28 | (uint32_t)(tclass & 0xff) << 20);
	wr_u16(&w, (uint16_t)(pb->len - IPV6_HDR_LEN));
	wr_u8(&w, r->proto);
	wr_u8(&w, (uint8_t)hops);
	wr_bytes(&w, &from->sin6_addr, 16);
	wr_bytes(&w, &pi->ipi6_addr, 16);
	return wr_ok(&w) ? 0 : -1;
}

/* RFC 791: an IPv4 header (no options) with protocol 50 in front of a UDP-encapsulated ESP
 * packet, from msg_name (source) and IP_PKTINFO (destination). */
static int raw_v4_rebuild(struct raw_sock *r, struct pbuf *pb, const struct msghdr *mh)
{
	const struct sockaddr_in *from = (const struct sockaddr_in *)mh->msg_name;
	const struct in_pktinfo *pi = NULL;
	int ttl = 64;
	uint8_t tos = 0;
	struct cmsghdr *c;
	uint8_t *h;
	struct wr w;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level != IPPROTO_IP)
			continue;
		if (c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(*pi)))
			pi = (const struct in_pktinfo *)CMSG_DATA(c);
		else if (c->cmsg_type == IP_TTL && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&ttl, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_type == IP_TOS && c->cmsg_len >= CMSG_LEN(1))
			tos = *CMSG_DATA(c);
	}
	if (!pi || mh->msg_namelen < sizeof(*from) || pb->len > IPV4_MAX_PACKET - IPV4_HDR_LEN)
		return -1;
	h = pbuf_push(pb, IPV4_HDR_LEN);
	if (!h)
		return -1;
	wr_init(&w, h, IPV4_HDR_LEN);
	wr_u8(&w, 0x45);
	wr_u8(&w, tos);
	wr_u16(&w, (uint16_t)pb->len);
	wr_u32(&w, 0); /* id, flags, fragment offset */
	wr_u8(&w, (uint8_t)ttl);
	wr_u8(&w, r->proto);
	wr_u16(&w, 0);
	wr_bytes(&w, &from->sin_addr, 4);
	wr_bytes(&w, &pi->ipi_addr, 4);
	if (!wr_ok(&w))
		return -1;
	ipv4_set_checksum(h, IPV4_HDR_LEN);
	return 0;
}

/* RFC 3948 2.2/2.3: a one-octet 0xff datagram is a NAT keepalive, four zero octets in front
 * are IKE's non-ESP marker; neither is ESP. */
static bool raw_udp_is_esp(const struct pbuf *pb)
{
	struct rd rd;
	uint32_t spi;

	rd_init(&rd, pbuf_data(pb), pb->len);
	spi = rd_u32(&rd);
	return rd_ok(&rd) && spi != 0;
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
		struct msghdr *mh = &r->msg[i].msg_hdr;

		pbs[i].len = r->msg[i].msg_len;
		if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			pbs[i].len = 0;
		else if (r->udp_port && !raw_udp_is_esp(&pbs[i]))
			pbs[i].len = 0;
		else if (r->af == AF_INET6 && raw_v6_rebuild(r, &pbs[i], mh) < 0)
			pbs[i].len = 0;
		else if (r->af == AF_INET && r->udp_port && raw_v4_rebuild(r, &pbs[i], mh) < 0)
			pbs[i].len = 0;
	}
	return got;
}

static void raw_cmsg_int(struct cmsghdr *c, int level, int type, int val)
{
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &val, sizeof(int));
}

/* IPv4: destination in msg_name, source as IP_PKTINFO, TTL and TOS as ancillary data. */
static int raw_prep_v4(struct raw_sock *r, unsigned i, const struct pbuf *pb)
{
	struct sockaddr_in *to = (struct sockaddr_in *)&r->name[i];
	struct msghdr *mh = &r->msg[i].msg_hdr;
	struct in_pktinfo pi;
	const uint8_t *h;
	struct cmsghdr *c;
	struct rd rd;
	size_t hl;

	rd_init(&rd, pbuf_data(pb), pb->len);
	h = rd_bytes(&rd, IPV4_HDR_LEN);
	if (!h || h[0] >> 4 != 4 || h[9] != r->proto)
		return -1;
	hl = (size_t)(h[0] & 0xf) * 4;
	if (hl < IPV4_HDR_LEN || hl > pb->len)
		return -1;
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(r->udp_port);
	memcpy(&to->sin_addr, h + 16, 4);
	mh->msg_namelen = sizeof(*to);
	if (r->hdrincl) {
		/* The kernel fills in the total length and the header checksum only. */
		r->iov[i].iov_base = pbuf_data(pb);
		r->iov[i].iov_len = pb->len;
		return 0;
	}
	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi_spec_dst, h + 12, 4);
	mh->msg_control = r->cmsg[i];
	mh->msg_controllen = CMSG_SPACE(sizeof(pi)) + 2 * CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	raw_cmsg_int(CMSG_NXTHDR(mh, c), IPPROTO_IP, IP_TTL, h[8] ? h[8] : IP_DEFAULT_TTL);
	c = CMSG_NXTHDR(mh, c);
	raw_cmsg_int(CMSG_NXTHDR(mh, c), IPPROTO_IP, IP_TOS, h[1]);
	r->iov[i].iov_base = (uint8_t *)pbuf_data(pb) + hl;
	r->iov[i].iov_len = pb->len - hl;
	return 0;
}

/* IPv6: destination in msg_name, source as IPV6_PKTINFO, hop limit and traffic class. Only a
 * packet whose fixed header is followed directly by our protocol can be sent this way. */
static int raw_prep_v6(struct raw_sock *r, unsigned i, const struct pbuf *pb)
{
	struct sockaddr_in6 *to = (struct sockaddr_in6 *)&r->name[i];
	struct msghdr *mh = &r->msg[i].msg_hdr;
	struct in6_pktinfo pi;
	const uint8_t *h;
	struct cmsghdr *c;
	struct rd rd;

	rd_init(&rd, pbuf_data(pb), pb->len);
	h = rd_bytes(&rd, IPV6_HDR_LEN);
	if (!h || h[0] >> 4 != 6 || h[6] != r->proto)
		return -1;
	memset(to, 0, sizeof(*to));
	to->sin6_family = AF_INET6;
	to->sin6_port = htons(r->udp_port);
	memcpy(&to->sin6_addr, h + 24, 16);
	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi6_addr, h + 8, 16);
	mh->msg_namelen = sizeof(*to);
	mh->msg_control = r->cmsg[i];
	mh->msg_controllen = CMSG_SPACE(sizeof(pi)) + 2 * CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	raw_cmsg_int(CMSG_NXTHDR(mh, c), IPPROTO_IPV6, IPV6_HOPLIMIT, h[7] ? h[7] : IP_DEFAULT_TTL);
	c = CMSG_NXTHDR(mh, c);
	raw_cmsg_int(CMSG_NXTHDR(mh, c), IPPROTO_IPV6, IPV6_TCLASS, (h[0] & 0xf) << 4 | h[1] >> 4);
	r->iov[i].iov_base = (uint8_t *)pbuf_data(pb) + IPV6_HDR_LEN;
	r->iov[i].iov_len = pb->len - IPV6_HDR_LEN;
	return 0;
}

int raw_send_batch(struct raw_sock *r, struct pbuf *const *pbs, unsigned n, unsigned *bad)
{
	unsigned k = 0, done = 0;
	int rc;

	*bad = 0;
	if (n > DP_BATCH)
		n = DP_BATCH;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &r->msg[k].msg_hdr;

		memset(mh, 0, sizeof(*mh));
		memset(r->cmsg[k], 0, RAW_CMSG_SPACE);
		mh->msg_name = &r->name[k];
		mh->msg_iov = &r->iov[k];
		mh->msg_iovlen = 1;
		rc = r->af == AF_INET ? raw_prep_v4(r, k, pbs[i]) : raw_prep_v6(r, k, pbs[i]);
		if (rc < 0)
			(*bad)++;
		else
			k++;
	}
	while (done < k) {
		rc = sendmmsg(r->fd, r->msg + done, k - done, MSG_DONTWAIT);
		if (rc > 0) {
			done += (unsigned)rc;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* A full queue drops the rest of the burst (like a NIC); any other error drops
		 * the packet that caused it and carries on with the next. */
		if (errno == EAGAIN || errno == ENOBUFS)
			break;
		log_ratelimited(LOG_LVL_DEBUG, "raw: send: %s", strerror(errno));
		(*bad)++;
		memmove(&r->msg[done], &r->msg[done + 1], (k - done - 1) * sizeof(r->msg[0]));
		k--;
	}
	return (int)done;
}
