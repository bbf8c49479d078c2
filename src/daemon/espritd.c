/* espritd: the esprit daemon. This increment: manual SAs from the configuration, TUN + raw
 * ESP/AH sockets, nftables steering and enforcement, one epoll loop.
 *
 *   espritd -f FILE [--foreground] [--control PATH] [--debug]
 *
 * The control socket (ctl.h) answers status, sa and stats.
 *
 * SIGTERM/SIGINT: remove the nft table, rules, routes and the TUN, then exit 0.
 * SIGHUP: reload the configuration (unchanged SAs keep their state; a configuration with
 * errors is refused and the running one kept). SIGUSR1: log the counters.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/dcfg.h"
#include "daemon/dpath.h"
#include "lib/log.h"

#define EV_SIGNAL 100u
#define EV_TUN	  101u
#define EV_CTL	  102u
#define EV_CTL_C  200u /* + client slot */
#define EV_MAX	  16

struct opts {
	const char *conf;
	const char *control;
	bool foreground;
	bool debug;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: espritd -f FILE [--foreground] [--control PATH] [--debug]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "control", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->control = "/run/esprit/esprit.sock";
	while ((c = getopt_long(argc, argv, "f:Fc:dh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->conf = optarg;
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'c':
			o->control = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!o->conf || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int epoll_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int setup_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The running configuration and the one a reload loads into. */
static struct dcfg cfgs[2];
static int cfg_cur;
static const char *cfg_path;

/* SIGHUP: load the file again; switch only if it loads and applies cleanly. */
static void reload(struct dpath *d)
{
	struct dcfg *n = &cfgs[!cfg_cur];

	log_notice("SIGHUP: reloading %s", cfg_path);
	dcfg_init(n);
	if (dcfg_load(n, cfg_path) < 0) {
		log_err("reload: configuration has errors; keeping the running one");
		return;
	}
	if (dpath_reload(d, n) < 0) {
		log_err("reload: not applied; keeping the running configuration");
		dcfg_free(n);
		return;
	}
	dcfg_free(&cfgs[cfg_cur]);
	cfg_cur = !cfg_cur;
}

/* Returns true when the daemon should stop. */
static bool handle_signal(int sfd, struct dpath *d)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("signal %u: shutting down", si.ssi_signo);
			return true;
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			dpath_log_stats(d);
			break;
		}
	}
	return false;
}

static void ctl_event(int ep, struct ctl *ctl, uint32_t tag, const struct dpath *d)
{
	int slot;

	if (tag == EV_CTL) {
		slot = ctl_accept(ctl);
		if (slot >= 0 && epoll_add(ep, ctl->client[slot], EV_CTL_C + (uint32_t)slot) < 0)
			ctl_serve(ctl, slot, d);
		return;
	}
	ctl_serve(ctl, (int)(tag - EV_CTL_C), d);
}

static int run(struct dpath *d, int sfd, struct ctl *ctl)
{
	struct epoll_event ev[EV_MAX];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool stop = false;

	if (ep < 0 || epoll_add(ep, sfd, EV_SIGNAL) < 0 || epoll_add(ep, d->tun.fd, EV_TUN) < 0)
		return -errno;
	for (unsigned s = 0; s < DP_NSOCK; s++)
		if (d->raw[s] && epoll_add(ep, d->raw[s]->fd, s) < 0)
			return -errno;
	if (ctl->fd >= 0 && epoll_add(ep, ctl->fd, EV_CTL) < 0)
		return -errno;
	while (!stop) {
		int n = epoll_wait(ep, ev, EV_MAX, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll: %s", strerror(errno));
			close(ep);
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == EV_SIGNAL)
				stop |= handle_signal(sfd, d);
			else if (tag == EV_TUN)
				dpath_tun_ready(d);
			else if (tag < DP_NSOCK)
				dpath_raw_ready(d, tag);
			else if (tag == EV_CTL || (tag >= EV_CTL_C && tag < EV_CTL_C + CTL_CLIENTS))
				ctl_event(ep, ctl, tag, d);
		}
	}
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	static struct dpath d;
	struct ctl ctl;
	struct dcfg *cfg = &cfgs[0];
	struct opts o;
	sigset_t set;
	int sfd, rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	log_set_level(o.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	cfg_path = o.conf;
	dcfg_init(cfg);
	if (dcfg_load(cfg, o.conf) < 0)
		return 1;
	if (!o.foreground) {
		if (daemon(0, 0) < 0) {
			log_err("daemon: %s", strerror(errno));
			return 1;
		}
		log_use_syslog("espritd");
	}
	sfd = setup_signals(&set);
	if (sfd < 0) {
		log_err("signals: %s", strerror(errno));
		dcfg_free(cfg);
		return 1;
	}
	rc = dpath_start(&d, cfg);
	if (rc < 0) {
		log_err("data path: %s", strerror(-rc));
		dcfg_free(cfg);
		return 1;
	}
	rc = ctl_open(&ctl, o.control);
	if (rc < 0)
		log_warn("control socket %s: %s (continuing without)", o.control, strerror(-rc));
	else
		log_info("control socket %s", o.control);
	log_notice("espritd running: %zu SAs, tun %s", cfg->nsa, d.tun.name);
	rc = run(&d, sfd, &ctl);
	ctl_close(&ctl);
	dpath_log_stats(&d);
	dpath_stop(&d);
	dcfg_free(&cfgs[cfg_cur]);
	close(sfd);
	log_notice("espritd stopped");
	return rc < 0 ? 1 : 0;
}
