/* IKE sockets (see ikeio.h). */
#include "daemon/ikeio.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

#define IKEIO_MSG_MAX 65535u /* RFC 7296 3.1: Length is 32 bits, but UDP carries 64 KiB */
#define IKEIO_BURST   64u
#define IKEIO_NON_ESP 4u /* RFC 3948 2.2 */

int ikeio_open(struct ikeio *io, struct raw_sock *natt4, struct raw_sock *natt6,
	       ikeio_deliver_fn *deliver, void *arg)
{
	static const int af[2] = { AF_INET, AF_INET6 };
	unsigned open = 0;

	memset(io, 0, sizeof(*io));
	io->s4500[0] = natt4;
	io->s4500[1] = natt6;
	io->deliver = deliver;
	io->arg = arg;
	for (unsigned f = 0; f < 2; f++) {
		int rc = raw_open_udp(&io->s500[f], af[f], IKE_PORT, DP_MARK_BYPASS);

		if (rc < 0) {
			io->s500[f].fd = -1;
			log_warn("ike: %s UDP port %u: %s", f ? "IPv6" : "IPv4", IKE_PORT,
				 strerror(-rc));
			continue;
		}
		open++;
	}
	if (!open) {
		log_err("ike: no socket on UDP port %u", IKE_PORT);
		return -EADDRNOTAVAIL;
	}
	log_info("ike: listening on UDP %u (%s%s) and %u", IKE_PORT,
		 io->s500[0].fd >= 0 ? "IPv4" : "", io->s500[1].fd >= 0 ? " IPv6" : "",
		 IKE_NATT_PORT);
	return 0;
}

void ikeio_close(struct ikeio *io)
{
	for (unsigned f = 0; f < 2; f++)
		if (io->s500[f].fd >= 0)
			raw_close(&io->s500[f]);
}

void ikeio_ready(struct ikeio *io, unsigned fam)
{
	static uint8_t buf[IKEIO_MSG_MAX];
	struct raw_sock *r = &io->s500[fam & 1];

	for (unsigned k = 0; k < IKEIO_BURST && r->fd >= 0; k++) {
		struct msghdr *mh = &r->msg[0].msg_hdr;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct ike_endpoint local, remote;
		struct raw_meta m;
		ssize_t n;

		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &r->name[0];
		mh->msg_namelen = sizeof(r->name[0]);
		mh->msg_iov = &iov;
		mh->msg_iovlen = 1;
		mh->msg_control = r->cmsg[0];
		mh->msg_controllen = RAW_CMSG_SPACE;
		n = recvmsg(r->fd, mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_ratelimited(LOG_LVL_WARN, "ike: receive: %s", strerror(errno));
			return;
		}
		if ((mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    raw_meta_read(r->af, mh, &m) < 0) {
			io->st.rx_bad++;
			continue;
		}
		local = (struct ike_endpoint){ .addr = m.dst, .port = IKE_PORT };
		remote = (struct ike_endpoint){ .addr = m.src, .port = m.sport };
		io->st.rx++;
		io->deliver(io->arg, &local, &remote, buf, (size_t)n);
	}
}

void ikeio_natt_in(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		   const uint8_t *msg, size_t len)
{
	struct ikeio *io = arg;

	io->st.rx++;
	io->deliver(io->arg, local, remote, msg, len);
}

void ikeio_send(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		const uint8_t *msg, size_t len)
{
	static const uint8_t marker[IKEIO_NON_ESP];
	struct ikeio *io = arg;
	unsigned f = remote->addr.af == AF_INET6;
	bool natt = local->port == IKE_NATT_PORT;
	struct raw_sock *r = natt ? io->s4500[f] : &io->s500[f];
	struct raw_meta m = { .src = local->addr, .dst = remote->addr, .dport = remote->port };
	struct iovec iov[2] = {
		{ .iov_base = (void *)marker, .iov_len = sizeof(marker) },
		{ .iov_base = (void *)msg, .iov_len = len },
	};
	struct sockaddr_storage name;
	uint8_t cbuf[RAW_CMSG_SPACE];
	struct msghdr mh;
	char a[IPADDR_STRLEN];

	/* s4500 may be missing (no data path socket); s500 is always there, maybe closed */
	if ((natt && !r) || r->fd < 0 || (local->addr.af && local->addr.af != remote->addr.af)) {
		io->st.tx_err++;
		log_ratelimited(LOG_LVL_WARN, "ike: no socket to send to %s port %u",
				ipaddr_fmt(&remote->addr, a), remote->port);
		return;
	}
	memset(&mh, 0, sizeof(mh));
	/* Answer from the address the peer used (a zero address lets routing choose). */
	raw_meta_write(r->af, &mh, &name, local->addr.af ? cbuf : NULL, &m);
	/* RFC 3948 2.3: a NAT-keepalive is the one octet alone; IKE messages are never that
	 * short, so the length tells them apart. */
	if (natt && len == 1 && msg[0] == IKE_NATT_KEEPALIVE)
		natt = false;
	mh.msg_iov = natt ? iov : iov + 1;
	mh.msg_iovlen = natt ? 2 : 1;
	if (sendmsg(r->fd, &mh, MSG_DONTWAIT) < 0) {
		io->st.tx_err++;
		log_ratelimited(LOG_LVL_WARN, "ike: send to %s port %u: %s",
				ipaddr_fmt(&remote->addr, a), remote->port, strerror(errno));
		return;
	}
	io->st.tx++;
}
