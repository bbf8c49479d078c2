/* Control socket (see ctl.h). */
#include "daemon/ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto/cipher.h"
#include "lib/log.h"

#define CTL_REPLY_MAX 65536

struct out {
	char *p;
	size_t cap, len;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

int ctl_open(struct ctl *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(c->path)];
	char *slash;
	int rc;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < CTL_CLIENTS; i++)
		c->client[i] = -1;
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(c->path, path);
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	unlink(path); /* a stale socket of a dead daemon */
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(c->fd, CTL_CLIENTS) < 0) {
		rc = -errno;
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	return 0;
}

void ctl_close(struct ctl *c)
{
	for (int i = 0; i < CTL_CLIENTS; i++)
		if (c->client[i] >= 0)
			close(c->client[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	c->fd = -1;
}

int ctl_accept(struct ctl *c)
{
	int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	for (int i = 0; i < CTL_CLIENTS; i++) {
		if (c->client[i] < 0) {
			c->client[i] = fd;
			return i;
		}
	}
	close(fd); /* busy: the client sees the connection closed */
	return -1;
}

static void ctl_status(struct out *o, const struct dpath *d)
{
	size_t nout = 0;

	for (size_t i = 0; i < d->cfg->nsa; i++)
		nout += d->out[i] != NULL;
	out_add(o, "daemon espritd %s\n", "0.1");
	out_add(o, "tun %s\n", d->tun.name);
	out_add(o, "sas %zu\n", d->cfg->nsa);
	out_add(o, "sas_out %zu\n", nout);
	out_add(o, "sas_in %zu\n", d->cfg->nsa - nout);
	out_add(o, "steering %s\n", d->steering ? "on" : "off");
}

static void ctl_sa(struct out *o, const struct dpath *d)
{
	for (size_t i = 0; i < d->cfg->nsa; i++) {
		const struct sa *sa = d->all[i];
		char a[IPADDR_STRLEN], b[IPADDR_STRLEN];
		uint64_t drops = 0;

		if (!sa)
			continue;
		for (unsigned r = 1; r < SA_DROP_MAX; r++)
			drops += sa->ctr.drops[r];
		out_add(o,
			"sa %s %s spi 0x%08" PRIx32 " %s %s -> %s%s alg %s packets %" PRIu64
			" bytes %" PRIu64 " drops %" PRIu64 " seq %" PRIu64 "\n",
			sa->dir == SA_DIR_OUT ? "out" : "in", sa->proto == 51 ? "ah" : "esp",
			sa->spi, sa->mode == SA_MODE_TUNNEL ? "tunnel" : "transport",
			ipaddr_fmt(&sa->src, a), ipaddr_fmt(&sa->dst, b),
			sa->udp_encap ? " encap udp" : "", xcipher_name(sa->cipher),
			sa->ctr.packets, sa->ctr.bytes, drops, sa->seq);
	}
}

static void ctl_stats(struct out *o, const struct dpath *d)
{
	const struct dp_stats *st = &d->st;

	out_add(o,
		"tun_rx %" PRIu64 "\ntun_tx %" PRIu64 "\nnet_rx %" PRIu64 "\nnet_tx %" PRIu64 "\n",
		st->tun_rx, st->tun_tx, st->raw_rx, st->raw_tx);
	for (unsigned r = 0; r < DP_DROP_MAX; r++)
		if (st->drops[r])
			out_add(o, "drop %s: %" PRIu64 "\n", dp_drop_name(r), st->drops[r]);
	for (unsigned r = 1; r < SA_DROP_MAX; r++) {
		if (st->xf.drops[r])
			out_add(o, "drop inbound %s: %" PRIu64 "\n", sa_drop_name(r),
				st->xf.drops[r]);
		if (st->out_xf[r])
			out_add(o, "drop outbound %s: %" PRIu64 "\n", sa_drop_name(r),
				st->out_xf[r]);
	}
}

size_t ctl_reply(const char *req, const struct dpath *d, char *buf, size_t cap)
{
	struct out o = { .p = buf, .cap = cap };

	if (cap)
		buf[0] = 0;
	if (!strcmp(req, "status"))
		ctl_status(&o, d);
	else if (!strcmp(req, "sa"))
		ctl_sa(&o, d);
	else if (!strcmp(req, "stats"))
		ctl_stats(&o, d);
	else
		out_add(&o, "error unknown request\n");
	return o.len;
}

void ctl_serve(struct ctl *c, int slot, const struct dpath *d)
{
	static char reply[CTL_REPLY_MAX];
	char req[64];
	ssize_t n;
	size_t len;

	n = recv(c->client[slot], req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return; /* nothing yet: wait for the next readiness */
	if (n > 0) {
		req[n] = 0;
		req[strcspn(req, "\r\n")] = 0;
		len = ctl_reply(req, d, reply, sizeof(reply));
		if (send(c->client[slot], reply, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("control: reply: %s", strerror(errno));
	}
	close(c->client[slot]);
	c->client[slot] = -1;
}
