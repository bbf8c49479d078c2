/* The control socket: a Unix SOCK_SEQPACKET socket (mode 0600) where each connection sends one
 * request and gets one reply, then is closed. The protocol (requests, reply grammar, counter
 * names) is lib/ctlmsg.h, shared with the CLI:
 *   status   version, uptime, TUN, steering, SA counts (manual / IKE), IKE SAs
 *   sa       one record per SA: SPI, protocol, mode, direction, algorithms, addresses,
 *            selectors, counters, lifetime left, replay window, origin
 *   stats    Quick Mode counters named as in the Windows IP Security Monitor, Main Mode (IKE)
 *            counters when IKE runs, data path counters and every nonzero drop reason
 *   sa-keys  sa plus the key octets, for `esprit export-wireshark --keys`; logged at NOTICE
 *            (never the keys), refused to a peer whose uid is not the daemon's
 *   up, down, rekey   administrative actions on the IKE engine (ctl_admin.c), one "ok ..." or
 *            "error ..." line; logged at NOTICE, refused like sa-keys
 * Oversized or garbage requests get an "error ..." reply. SA data comes only from the data
 * path's read-only view (dpath_sa_count/dpath_sa_get).
 */
#ifndef ESPRIT_DAEMON_CTL_H
#define ESPRIT_DAEMON_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/dpath.h"

#define CTL_CLIENTS	   8
#define CTL_ADMIN_LINE_MAX 384 /* one reply line of up/down/rekey, with its NUL */

struct ike;
struct ctl_ctx;
struct ctlmsg_req;

/* Answers up, down or rekey with one line ("ok ..." or "error ...", no newline) in
 * line[0..cap). ctl_serve_ctx() uses ctl_admin(); a context without one (unit tests, a daemon
 * without IKE) answers "error IKE is not running". */
typedef void ctl_admin_fn(const struct ctl_ctx *x, const struct ctlmsg_req *q, bool privileged,
			  char *line, size_t cap);

struct ctl {
	int fd;
	char path[108];
	int client[CTL_CLIENTS]; /* -1: free */
	uint64_t started;	 /* CLOCK_MONOTONIC seconds at ctl_open(), for the uptime */
};

/* What a request is answered from. */
struct ctl_ctx {
	const struct dpath *d;
	const struct ike *ike; /* may be NULL: no IKE section then */
	/* The same engine for up, down and rekey, which change it; NULL: they answer "error
	 * IKE is not running". */
	struct ike *ike_admin;
	uint64_t now_ms;     /* the engine's clock (CLOCK_MONOTONIC ms) for up/down/rekey */
	ctl_admin_fn *admin; /* set by ctl_serve_ctx() */
};

/* Create the socket (and its directory, 0755, if missing). 0 or -errno. */
int ctl_open(struct ctl *c, const char *path);
/* Remove the socket file and close everything. */
void ctl_close(struct ctl *c);
/* Accept a connection; returns its slot or -1. The caller polls client[slot]. */
int ctl_accept(struct ctl *c);
/* Serve the request waiting on client[slot] and close it (ctl_serve.c). */
void ctl_serve_ctx(struct ctl *c, int slot, const struct ctl_ctx *x);
/* The same without IKE (ctx = { d, NULL }). */
void ctl_serve(struct ctl *c, int slot, const struct dpath *d);
/* Format the reply to the request datagram req[0..len) into buf; returns its length. c may be
 * NULL (uptime then 0). privileged: the peer may read keys (sa-keys). */
size_t ctl_reply(const struct ctl *c, const struct ctl_ctx *x, const uint8_t *req, size_t len,
		 bool privileged, char *buf, size_t cap);

/* ctl_admin.c: up, down and rekey on x->ike_admin at x->now_ms. */
void ctl_admin(const struct ctl_ctx *x, const struct ctlmsg_req *q, bool privileged, char *line,
	       size_t cap);

#endif
