/* espritd: the esprit daemon. Manual SAs and the policy model from the configuration, TUN +
 * raw ESP/AH sockets, nftables steering and enforcement, and -- when a rule negotiates with
 * PSK or certificates -- the IKEv2 engine (ike/ike.h) on UDP 500 and 4500, all in one epoll
 * loop. The engine's timers run from ike_next_deadline() as the epoll timeout.
 *
 *   espritd -f FILE [--foreground] [--control PATH] [--debug]
 *
 * The control socket (ctl.h, ctl_serve.c; the protocol is lib/ctlmsg.h, documented under
 * CONTROL PROTOCOL in esprit(8)): one "esprit-ctl 1 VERB [ARG]..." request and one reply per
 * SOCK_SEQPACKET connection. status, sa and stats for anyone who can open the socket (0600);
 * sa-keys and the administrative verbs up, down and rekey (ctl_admin.c, through the IKE engine)
 * only for a client with the daemon's own uid.
 *
 * Private keys (`auth cert ... key FILE`): the signing helper (ike/signer.h) is forked before
 * any socket, thread or signal mask exists and is the only process that opens the key files;
 * the engine asks it for signatures. SIGHUP starts a new helper for the new configuration's
 * key files and stops the old one once the reload is applied; a refused reload keeps the old.
 *
 * Acquire: an outbound packet with no SA that a `negotiate` rule covers starts IKE
 * (ike_acquire) and is held (acquire.h, `pending hold N`, global cap ACQ_SLOTS_DEFAULT);
 * when a Child SA comes up the held packets that now have one go out; a failed acquire drops
 * them, or with `soft` (and a silent peer) sends them and the flow in clear.
 *
 * SIGTERM/SIGINT: IKE SAs are deleted with the peers (INFORMATIONAL DELETE), then the nft
 * table, rules, routes and the TUN are removed; exit 0.
 * SIGHUP: reload the configuration (unchanged SAs keep their state; IKE gets the new policy
 * model; a configuration with errors is refused and the running one kept). SIGUSR1: log the
 * counters.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/acquire.h"
#include "daemon/ctl.h"
#include "daemon/dcfg.h"
#include "daemon/dpath.h"
#include "daemon/ikeio.h"
#include "ike/ike.h"
#include "ike/signer.h"
#include "lib/log.h"

#define EV_SIGNAL 100u
#define EV_TUN	  101u
#define EV_CTL	  102u
#define EV_IKE	  103u /* + family (0 IPv4, 1 IPv6): UDP 500 */
#define EV_CTL_C  200u /* + client slot */
#define EV_MAX	  16
#define TICK_MS	  1000u /* housekeeping: held packets' age, traffic reports to IKE */

/* The signing helper and the key files it loaded, in its order (our copies: the
 * configuration that named them is freed on reload). */
struct helper {
	struct signer *s;
	char *keys[SIGNER_KEYS_MAX];
	size_t n;
};

/* Everything the IKE glue needs, one instance. */
struct ikd {
	struct dpath *d;
	struct ike *ike; /* NULL: no rule negotiates with IKE */
	struct ikeio io;
	struct acquire acq;
	struct ike_config icfg;
	struct ipaddr local[DCFG_LOCAL_MAX];
	uint64_t next_tick;
	struct helper sg;
};

static struct ikd ikd;

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
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Does any active rule of the assigned policy (or its default response rule) negotiate and
 * authenticate with something IKE can do (PSK, certificates)? */
static bool rule_uses_ike(const struct spd_rule *r)
{
	const struct spd_auth *a;
	size_t n;

	if (!r->active || !r->action || r->action->kind != SPD_ACT_NEGOTIATE)
		return false;
	a = spd_rule_auths(r, &n);
	for (size_t i = 0; i < n; i++)
		if (a[i].kind == SPD_AUTH_PSK || a[i].kind == SPD_AUTH_CERT)
			return true;
	return false;
}

static bool cfg_wants_ike(const struct dcfg *c)
{
	const struct spd_policy *p = c->spd ? c->spd->active : NULL;

	if (!p)
		return false;
	for (size_t i = 0; i < p->nrules; i++)
		if (rule_uses_ike(p->rules[i]))
			return true;
	return rule_uses_ike(&p->dr);
}

/* ---- Private keys: the signing helper (ike/signer.h, docs/certificates.md) ----------- */

struct keyset {
	const char *path[SIGNER_KEYS_MAX];
	size_t n;
};

/* Add the key files of r's certificate methods, each once; -E2BIG past SIGNER_KEYS_MAX. */
static int keyset_add_rule(struct keyset *ks, const struct spd_rule *r)
{
	const struct spd_auth *a;
	size_t n, j;

	if (!rule_uses_ike(r))
		return 0;
	a = spd_rule_auths(r, &n);
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind != SPD_AUTH_CERT || !a[i].key_path)
			continue;
		for (j = 0; j < ks->n && strcmp(ks->path[j], a[i].key_path); j++)
			;
		if (j < ks->n)
			continue;
		if (ks->n == SIGNER_KEYS_MAX)
			return -E2BIG;
		ks->path[ks->n++] = a[i].key_path;
	}
	return 0;
}

/* Every `auth cert ... key FILE` the active policy negotiates with, deduplicated. */
static int keyset_collect(struct keyset *ks, const struct dcfg *c)
{
	const struct spd_policy *p = c->spd ? c->spd->active : NULL;
	int rc = 0;

	ks->n = 0;
	for (size_t i = 0; p && rc == 0 && i < p->nrules; i++)
		rc = keyset_add_rule(ks, p->rules[i]);
	if (p && rc == 0)
		rc = keyset_add_rule(ks, &p->dr);
	if (rc < 0)
		log_err("more than %d private key files in the policy", SIGNER_KEYS_MAX);
	return rc;
}

static void helper_stop(struct helper *h)
{
	if (h->s)
		log_info("signing helper: pid %ld stopped", (long)signer_pid(h->s));
	signer_stop(h->s);
	h->s = NULL;
	for (size_t i = 0; i < h->n; i++)
		free(h->keys[i]);
	h->n = 0;
}

/* Fork the helper with ks's key files (none: no helper). The helper checks each file's mode
 * and names the file when it refuses one. */
static int helper_start(struct helper *h, const struct keyset *ks)
{
	char why[256] = "";
	struct signer *s = NULL;
	int rc;

	if (ks->n == 0)
		return 0;
	rc = signer_start(&s, ks->path, ks->n, why, sizeof(why));
	if (rc < 0) {
		log_err("signing helper: %s", why[0] ? why : strerror(-rc));
		return rc;
	}
	h->s = s;
	for (size_t i = 0; i < ks->n; i++) {
		h->keys[i] = strdup(ks->path[i]);
		if (!h->keys[i]) {
			h->n = i;
			helper_stop(h);
			return -ENOMEM;
		}
	}
	h->n = ks->n;
	log_info("signing helper: pid %ld, %zu private keys", (long)signer_pid(s), ks->n);
	return 0;
}

/* Environment overrides of the esprit.conf words (tests, espritd(8)); the environment beats
 * the file. ESPRIT_NATT_KEEPALIVE_MS / ESPRIT_DPD_DELAY_MS: 100 ms to 1 h;
 * ESPRIT_IKE_FRAGMENT_SIZE: 256 to 65535; ESPRIT_IKE_FRAGMENTATION=no|yes. Unset, empty or
 * out of range: the file's value. */
static uint64_t env_num(const char *name, uint64_t lo, uint64_t hi, uint64_t file)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return file;
	n = strtoull(v, &end, 10);
	if (*end || n < lo || n > hi) {
		log_warn("%s=%s ignored (%llu to %llu)", name, v, (unsigned long long)lo,
			 (unsigned long long)hi);
		return file;
	}
	return n;
}

static bool env_no_frag(bool file)
{
	const char *v = getenv("ESPRIT_IKE_FRAGMENTATION");

	if (!v || !*v)
		return file;
	return !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off");
}

static void ike_knobs_fill(struct ike_config *ic, const struct spd *s)
{
	struct spd_ike_knobs k = { 0 };

	if (s)
		k = s->ike_knobs;
	ic->natt_keepalive_ms =
		env_num("ESPRIT_NATT_KEEPALIVE_MS", 100, 3600000, k.natt_keepalive_ms);
	ic->dpd_delay_ms = env_num("ESPRIT_DPD_DELAY_MS", 100, 3600000, k.dpd_delay_ms);
	ic->frag_size = (uint16_t)env_num("ESPRIT_IKE_FRAGMENT_SIZE", 256, 65535, k.frag_size);
	ic->no_frag = env_no_frag(k.no_frag);
	ic->cookie_threshold = k.cookie_threshold;
	/* 0: the engine's default */
	log_info("IKE: fragmentation %s, fragment size %u, nat-keepalive %" PRIu64
		 " ms, dpd-delay %" PRIu64 " ms, cookie threshold %zu (0: default)",
		 ic->no_frag ? "off" : "on", ic->frag_size, ic->natt_keepalive_ms, ic->dpd_delay_ms,
		 ic->cookie_threshold);
}

static void ike_cfg_fill(struct ikd *k, const struct dcfg *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nlocals && i < DCFG_LOCAL_MAX; i++)
		k->local[n++] = c->locals[i].addr;
	k->icfg = (struct ike_config){ .spd = c->spd,
				       .local = k->local,
				       .nlocal = n,
				       .signer = k->sg.s,
				       .signer_keys = (const char *const *)k->sg.keys,
				       .nsigner_keys = k->sg.n };
	ike_knobs_fill(&k->icfg, c->spd);
}

/* The helper of the running configuration while a reload tries a new one. */
static struct helper old_sg;

/* A new helper for the new key files (it reads them again: a key replaced under the same
 * name is picked up), then the engine; on any refusal the running helper and policy stay. */
static int reload_ike(const struct dcfg *n)
{
	struct ike_config old = ikd.icfg;
	struct keyset ks;
	int rc;

	rc = keyset_collect(&ks, n);
	old_sg = ikd.sg;
	ikd.sg = (struct helper){ 0 };
	if (rc == 0)
		rc = helper_start(&ikd.sg, &ks);
	if (rc < 0) {
		log_err("reload: private keys not loaded; keeping the running configuration");
		ikd.sg = old_sg;
		old_sg = (struct helper){ 0 };
		return rc;
	}
	ike_cfg_fill(&ikd, n);
	rc = ike_reload(ikd.ike, &ikd.icfg, now_ms());
	if (rc < 0) {
		log_err("reload: IKE refused the new policy: %s; keeping the running "
			"configuration",
			strerror(-rc));
		helper_stop(&ikd.sg);
		ikd.sg = old_sg;
		old_sg = (struct helper){ 0 };
		ikd.icfg = old;
	}
	return rc;
}

/* The data path refused the new configuration: IKE goes back to the running one. */
static void reload_ike_back(void)
{
	helper_stop(&ikd.sg);
	ikd.sg = old_sg;
	old_sg = (struct helper){ 0 };
	ike_cfg_fill(&ikd, &cfgs[cfg_cur]);
	if (ike_reload(ikd.ike, &ikd.icfg, now_ms()) < 0)
		log_err("reload: IKE could not go back to the running policy");
}

static void reload(struct dpath *d)
{
	struct dcfg *n = &cfgs[!cfg_cur];

	log_notice("SIGHUP: reloading %s", cfg_path);
	dcfg_init(n);
	if (dcfg_load(n, cfg_path) < 0) {
		log_err("reload: configuration has errors; keeping the running one");
		return;
	}
	if (!ikd.ike && cfg_wants_ike(n)) {
		log_err("reload: the new configuration negotiates with IKE but this process runs "
			"without it; restart espritd");
		dcfg_free(n);
		return;
	}
	/* IKE first: it can refuse; the data path is then still untouched. */
	if (ikd.ike && reload_ike(n) < 0) {
		dcfg_free(n);
		return;
	}
	if (dpath_reload(d, n) < 0) {
		log_err("reload: not applied; keeping the running configuration");
		if (ikd.ike)
			reload_ike_back();
		dcfg_free(n);
		return;
	}
	helper_stop(&old_sg);
	dcfg_free(&cfgs[cfg_cur]);
	cfg_cur = !cfg_cur;
}

/* ---- IKE glue: engine callbacks, acquire, timers ------------------------------------- */

/* A held packet that now has an SA goes out; one that still has none stays. */
static bool held_flush(void *arg, uint32_t id, const uint8_t *pkt, size_t len)
{
	struct ikd *k = arg;
	int rc = dpath_output(k->d, pkt, len);

	(void)id;
	if (rc == 0)
		k->acq.st.sent++;
	return rc != -ENOENT;
}

static bool held_drop(void *arg, uint32_t id, const uint8_t *pkt, size_t len)
{
	struct ikd *k = arg;

	(void)id, (void)pkt, (void)len;
	k->acq.st.dropped_failed++;
	return true;
}

static bool held_clear(void *arg, uint32_t id, const uint8_t *pkt, size_t len)
{
	struct ikd *k = arg;

	(void)id;
	if (dpath_output_clear(k->d, pkt, len) == 0)
		k->acq.st.sent_clear++;
	else
		k->acq.st.dropped_failed++;
	return true;
}

static int ikd_child_up(void *arg, const struct ike_child *c)
{
	struct ikd *k = arg;
	int rc = dpath_child_add(k->d, c);

	if (rc < 0)
		return rc;
	acq_clear_del(&k->acq, &c->out.dst);
	acq_drain(&k->acq, 0, held_flush, k);
	return 0;
}

static void ikd_child_move(void *arg, uint32_t id, const struct ike_endpoint *remote)
{
	struct ikd *k = arg;
	int rc = dpath_child_move(k->d, id, &remote->addr, remote->port);

	if (rc < 0)
		log_warn("child %" PRIu32 ": cannot follow the peer's new NAT mapping: %s", id,
			 strerror(-rc));
}

static void ikd_child_down(void *arg, uint32_t id)
{
	struct ikd *k = arg;

	dpath_child_del(k->d, id);
}

/* `soft` (Windows: "allow unsecured communication with non-IPsec-aware computers"):
 * the engine found the peer silent for the action's soft time (acquire_done clear_ok), so the
 * held packets and the flow to it go in clear for that long; an SA to it later ends the
 * fallback (child_up). */
static void ikd_fallback(struct ikd *k, const struct acq_req *r, uint64_t now)
{
	char a[IPADDR_STRLEN];
	size_t n;

	acq_clear_add(&k->acq, &r->remote, now, r->fallback_ms);
	n = acq_drain(&k->acq, r->id, held_clear, k);
	log_notice("acquire %" PRIu32 ": %s did not answer IKE within %" PRIu32
		   " ms; soft: %zu held packets and the flow go in clear",
		   r->id, ipaddr_fmt(&r->remote, a), r->fallback_ms, n);
}

static void ikd_acquire_done(void *arg, uint32_t id, bool ok, bool clear_ok)
{
	struct ikd *k = arg;
	char a[IPADDR_STRLEN];
	struct acq_req r;
	bool known = acq_req_take(&k->acq, id, &r);
	size_t n;

	if (ok) {
		acq_drain(&k->acq, id, held_flush, k);
		/* Held for this acquire but outside the negotiated selectors. */
		acq_drain(&k->acq, id, held_drop, k);
		return;
	}
	if (clear_ok && known && r.fallback_ms) {
		ikd_fallback(k, &r, now_ms());
		return;
	}
	n = acq_drain(&k->acq, id, held_drop, k);
	log_notice("acquire %" PRIu32 "%s%s failed: %zu held packets dropped", id,
		   known ? " to " : "", known ? ipaddr_fmt(&r.remote, a) : "", n);
}

/* dpath's miss hook: no SA for an outbound packet. */
static bool ikd_miss(void *arg, const struct spd_pkt *p, const uint8_t *pkt, size_t len)
{
	struct ikd *k = arg;
	const struct spd_action *act;
	struct spd_decision dec;
	uint64_t now = now_ms();
	int64_t id;

	if (!k->ike || !k->icfg.spd)
		return false;
	if (spd_decide(k->icfg.spd, p, &dec) < 0 || dec.verdict != SPD_PROTECT || !dec.initiate)
		return false;
	/* Only a soft rule's traffic may follow a fallback; other rules to the peer stay closed. */
	if (dec.fallback_clear_out && acq_clear_has(&k->acq, &p->remote, now)) {
		if (dpath_output_clear(k->d, pkt, len) < 0)
			return false;
		k->acq.st.sent_clear++;
		return true;
	}
	act = dec.action;
	id = ike_acquire(k->ike, p, now);
	if (id <= 0 || id > UINT32_MAX) {
		log_ratelimited(LOG_LVL_INFO, "acquire for rule %s refused: %s",
				dec.rule ? dec.rule->name : "?",
				strerror(id < 0 ? (int)-id : EINVAL));
		return false;
	}
	acq_req_add(&k->acq, (uint32_t)id, &p->remote, dec.fallback_clear_out ? dec.fallback_ms : 0,
		    now);
	if (!act || act->pending == SPD_PENDING_DROP)
		return false;
	return acq_hold(&k->acq, (uint32_t)id, act->pending_max, pkt, len, now) == 0;
}

static void ikd_deliver(void *arg, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, const uint8_t *msg, size_t len)
{
	struct ikd *k = arg;

	ike_input(k->ike, local, remote, msg, len, now_ms());
}

/* Tell IKE which pairs carried outbound traffic since last time (RFC 7296 2.4 liveness
 * checks only while traffic goes out); drop held packets that waited too long. */
static void ikd_housekeeping(struct ikd *k, uint64_t now)
{
	for (size_t i = 0; k->d->child && i < DP_CHILD_MAX; i++) {
		struct dp_child *c = &k->d->child[i];

		if (!c->id || c->out->ctr.packets == c->out_seen)
			continue;
		c->out_seen = c->out->ctr.packets;
		ike_child_traffic(k->ike, c->id, now);
	}
	if (acq_expire(&k->acq, now, ACQ_MAX_AGE_MS))
		log_info("acquire: held packets older than %u ms dropped", ACQ_MAX_AGE_MS);
}

static int ikd_timeout(const struct ikd *k)
{
	uint64_t now = now_ms(), next;

	if (!k->ike)
		return -1;
	next = ike_next_deadline(k->ike);
	if (k->next_tick < next)
		next = k->next_tick;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void ikd_timers(struct ikd *k)
{
	uint64_t now;

	if (!k->ike)
		return;
	now = now_ms();
	if (ike_next_deadline(k->ike) <= now)
		ike_tick(k->ike, now);
	if (now >= k->next_tick) {
		ikd_housekeeping(k, now);
		k->next_tick = now + TICK_MS;
	}
}

static void ikd_send(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const uint8_t *msg, size_t len)
{
	struct ikd *k = arg;

	ikeio_send(&k->io, local, remote, msg, len);
}

static void ikd_natt(void *arg, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const uint8_t *msg, size_t len)
{
	struct ikd *k = arg;

	ikeio_natt_in(&k->io, local, remote, msg, len);
}

static int ikd_start(struct ikd *k, struct dpath *d, const struct dcfg *cfg)
{
	const struct ike_io io = {
		.arg = k,
		.send = ikd_send,
		.child_up = ikd_child_up,
		.child_down = ikd_child_down,
		.child_move = ikd_child_move,
		.acquire_done = ikd_acquire_done,
	};
	int rc;

	k->d = d;
	rc = acq_init(&k->acq, ACQ_SLOTS_DEFAULT, cfg->mtu ? cfg->mtu : DP_TUN_MTU);
	if (rc == 0)
		rc = ikeio_open(&k->io, d->raw[4], d->raw[5], ikd_deliver, k);
	if (rc < 0)
		return rc;
	ike_cfg_fill(k, cfg);
	k->ike = ike_new(&k->icfg, &io, now_ms());
	if (!k->ike) {
		ikeio_close(&k->io);
		return -EINVAL;
	}
	d->hook = (struct dp_hooks){ .arg = k, .miss = ikd_miss, .ike = ikd_natt };
	k->next_tick = now_ms() + TICK_MS;
	log_notice("ike: engine running, %zu local addresses", k->icfg.nlocal);
	return 0;
}

/* SIGTERM: DELETE to every peer while the sockets are still open, then free. */
static void ikd_stop(struct ikd *k)
{
	if (!k->ike)
		return;
	ike_shutdown(k->ike, now_ms());
	k->ike = NULL;
	k->d->hook = (struct dp_hooks){ 0 };
	ikeio_close(&k->io);
	log_info("acquire: held %" PRIu64 ", sent %" PRIu64 ", in clear %" PRIu64
		 ", dropped (failed %" PRIu64 ", full %" PRIu64 ", too big %" PRIu64
		 ", too old %" PRIu64 ")",
		 k->acq.st.held, k->acq.st.sent, k->acq.st.sent_clear, k->acq.st.dropped_failed,
		 k->acq.st.dropped_full, k->acq.st.dropped_big, k->acq.st.dropped_old);
	acq_free(&k->acq);
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
	const struct ctl_ctx x = {
		.d = d, .ike = ikd.ike, .ike_admin = ikd.ike, .now_ms = now_ms()
	};
	int slot;

	if (tag == EV_CTL) {
		slot = ctl_accept(ctl);
		if (slot >= 0 && epoll_add(ep, ctl->client[slot], EV_CTL_C + (uint32_t)slot) < 0)
			ctl_serve_ctx(ctl, slot, &x);
		return;
	}
	ctl_serve_ctx(ctl, (int)(tag - EV_CTL_C), &x);
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
	for (unsigned f = 0; ikd.ike && f < 2; f++)
		if (ikd.io.s500[f].fd >= 0 && epoll_add(ep, ikd.io.s500[f].fd, EV_IKE + f) < 0)
			return -errno;
	while (!stop) {
		int n = epoll_wait(ep, ev, EV_MAX, ikd_timeout(&ikd));

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
			else if (tag == EV_IKE || tag == EV_IKE + 1)
				ikeio_ready(&ikd.io, tag - EV_IKE);
			else if (tag == EV_CTL || (tag >= EV_CTL_C && tag < EV_CTL_C + CTL_CLIENTS))
				ctl_event(ep, ctl, tag, d);
		}
		ikd_timers(&ikd);
	}
	close(ep);
	return 0;
}

/* Startup: the helper for the policy's key files; a refused file is named. */
static int start_keys(const struct dcfg *cfg)
{
	struct keyset ks;

	if (keyset_collect(&ks, cfg) < 0 || helper_start(&ikd.sg, &ks) < 0)
		return -1;
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
	/* The helper forks before any socket, thread or signal mask exists, so it inherits
	 * nothing but the configuration in memory. */
	if (cfg_wants_ike(cfg) && start_keys(cfg) < 0) {
		dcfg_free(cfg);
		return 1;
	}
	sfd = setup_signals(&set);
	if (sfd < 0) {
		log_err("signals: %s", strerror(errno));
		helper_stop(&ikd.sg);
		dcfg_free(cfg);
		return 1;
	}
	rc = cfg_wants_ike(cfg) ? dpath_start_ike(&d, cfg) : dpath_start(&d, cfg);
	if (rc < 0) {
		log_err("data path: %s", strerror(-rc));
		helper_stop(&ikd.sg);
		dcfg_free(cfg);
		return 1;
	}
	if (cfg_wants_ike(cfg)) {
		rc = ikd_start(&ikd, &d, cfg);
		if (rc < 0) {
			log_err("ike: cannot start: %s", strerror(-rc));
			helper_stop(&ikd.sg);
			dpath_stop(&d);
			dcfg_free(cfg);
			return 1;
		}
	}
	rc = ctl_open(&ctl, o.control);
	if (rc < 0)
		log_warn("control socket %s: %s (continuing without)", o.control, strerror(-rc));
	else
		log_info("control socket %s", o.control);
	log_notice("espritd running: %zu manual SAs, IKE %s, tun %s", cfg->nsa,
		   ikd.ike ? "on" : "off", d.tun.name);
	rc = run(&d, sfd, &ctl);
	ctl_close(&ctl);
	ikd_stop(&ikd);
	helper_stop(&ikd.sg);
	dpath_log_stats(&d);
	dpath_stop(&d);
	dcfg_free(&cfgs[cfg_cur]);
	close(sfd);
	log_notice("espritd stopped");
	return rc < 0 ? 1 : 0;
}
