/* The socket side of a control request: read it, check the peer's uid, answer with
 * ctl_reply() (ctl.c) and administrative verbs with ctl_admin() (ctl_admin.c), close. Kept
 * apart from ctl.c so the reply formatting links and tests without the IKE engine. */
#include "daemon/ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ctlmsg.h"
#include "lib/log.h"
#include "lib/util.h"

/* Keys only for a peer running as the daemon's own user (the socket is 0600 already). */
static bool peer_privileged(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.uid == geteuid();
}

/* One datagram, however large the reply: a Unix datagram must fit the sender's buffer, so it
 * is raised for large replies (SO_SNDBUFFORCE: the daemon runs as root; the kernel doubles the
 * value for its bookkeeping). If the reply still cannot go, the client gets an error instead
 * of nothing. */
static void ctl_send(int fd, const char *buf, size_t len)
{
	static const char too_large[] = CTLMSG_MAGIC " 1\nerror reply too large\n";
	int sz = (int)len + 4096;

	_Static_assert(CTLMSG_VERSION == 1, "too_large names the version");
	if (len > 65536 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return;
	log_debug("control: reply of %zu octets: %s", len, strerror(errno));
	if (errno == EMSGSIZE || errno == ENOBUFS || errno == EAGAIN)
		send(fd, too_large, sizeof(too_large) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void ctl_serve_ctx(struct ctl *c, int slot, const struct ctl_ctx *x)
{
	static char reply[CTLMSG_REPLY_MAX];
	uint8_t req[CTLMSG_REQ_ARGS_MAX + 1];
	struct ctl_ctx y = *x;
	int fd = c->client[slot];
	ssize_t n;
	size_t len;

	y.admin = ctl_admin;
	/* One more octet than allowed, so an oversized request is seen as such. */
	n = recv(fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return; /* nothing yet: wait for the next readiness */
	if (n > 0) {
		len = (size_t)n < sizeof(req) ? (size_t)n : sizeof(req);
		len = ctl_reply(c, &y, req, len, peer_privileged(fd), reply, sizeof(reply));
		ctl_send(fd, reply, len);
		wipe(reply, len); /* may hold keys */
	}
	close(fd);
	c->client[slot] = -1;
}

void ctl_serve(struct ctl *c, int slot, const struct dpath *d)
{
	const struct ctl_ctx x = { .d = d, .ike = NULL };

	ctl_serve_ctx(c, slot, &x);
}
