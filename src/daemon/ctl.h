/* The control socket: a Unix SOCK_SEQPACKET socket (mode 0600) where each connection sends one
 * request and gets one reply, then is closed. Requests are one word:
 *   status   daemon state: version, TUN, number of SAs, steering
 *   sa       one line per SA: direction, protocol, SPI, mode, addresses, algorithm, counters
 *   stats    packet counters and every nonzero drop counter
 * Replies are text, one item per line, "key value" pairs for scripts; an unknown request gets
 * "error unknown request". The CLI (esprit status/sa/stats) is the intended client. */
#ifndef ESPRIT_DAEMON_CTL_H
#define ESPRIT_DAEMON_CTL_H

#include "daemon/dpath.h"

#define CTL_CLIENTS 8

struct ctl {
	int fd;
	char path[108];
	int client[CTL_CLIENTS]; /* -1: free */
};

/* Create the socket (and its directory, 0755, if missing). 0 or -errno. */
int ctl_open(struct ctl *c, const char *path);
/* Remove the socket file and close everything. */
void ctl_close(struct ctl *c);
/* Accept a connection; returns its slot or -1. The caller polls client[slot]. */
int ctl_accept(struct ctl *c);
/* Serve the request waiting on client[slot] and close it. */
void ctl_serve(struct ctl *c, int slot, const struct dpath *d);
/* Format the reply to req into buf; returns its length. For tests and the serve path. */
size_t ctl_reply(const char *req, const struct dpath *d, char *buf, size_t cap);

#endif
