/* Control socket (see ctl.h and lib/ctlmsg.h). */
#include "daemon/ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto/cipher.h"
#include "ike/ike.h"
#include "lib/ctlmsg.h"
#include "lib/log.h"
#include "lib/util.h"

#define ESPRITD_VERSION "0.1.0" /* project(VERSION) in CMakeLists.txt */

struct out {
	char *p;
	size_t cap, len;
	bool full;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true; /* keep whole lines only; ctl_reply() says it was cut */
		o->p[o->len] = 0;
		return;
	}
	o->len += (size_t)n;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Seconds, the clock of SA lifetimes (the data path's). */
static uint64_t mono_now(void)
{
	return mono_ms() / 1000;
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
	c->started = mono_now();
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

/* ---- status ------------------------------------------------------------------------------ */

struct ike_count {
	struct out *o;
	size_t n;
};

/* "addr:port", "[addr]:port" for IPv6 (RFC 3986 3.2.2). */
static const char *endpoint_fmt(const struct ike_endpoint *e, char *buf, size_t len)
{
	char a[IPADDR_STRLEN];
	bool v6 = e->addr.af == AF_INET6;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", ipaddr_fmt(&e->addr, a), v6 ? "]" : "",
		 e->port);
	return buf;
}

/* The "ike_sa" line of status, also the first line of an IKE SA record of sa. */
static void ike_sa_line(struct out *o, const struct ike_sa_view *v)
{
	char a[IPADDR_STRLEN + 8], b[IPADDR_STRLEN + 8];

	out_add(o, "ike_sa %s %s %s %s %s %s %s %zu\n", v->name, v->state, v->role,
		v->rule && v->rule[0] ? v->rule : "-", endpoint_fmt(&v->local, a, sizeof(a)),
		endpoint_fmt(&v->remote, b, sizeof(b)), v->xforms[0] ? v->xforms : "-", v->nchild);
}

static void status_ike_sa(const struct ike_sa_view *v, void *arg)
{
	struct ike_count *ic = arg;

	ic->n++;
	ike_sa_line(ic->o, v);
}

static void ctl_status(struct out *o, const struct ctl *c, const struct ctl_ctx *x, uint64_t now)
{
	const struct dpath *d = x->d;
	size_t n = dpath_sa_count(d), nout = 0, nin = 0, nman = 0, nike = 0;
	struct dpath_sa_view v;

	for (size_t i = 0; i < n; i++) {
		if (!dpath_sa_get(d, i, &v))
			continue;
		nout += v.sa->dir == SA_DIR_OUT;
		nin += v.sa->dir == SA_DIR_IN;
		nman += v.child_id == 0;
		nike += v.child_id != 0;
	}
	out_add(o, "daemon espritd %s\n", ESPRITD_VERSION);
	out_add(o, "version %s\n", ESPRITD_VERSION);
	out_add(o, "pid %ld\n", (long)getpid());
	out_add(o, "uptime %" PRIu64 "\n", c && now >= c->started ? now - c->started : 0);
	out_add(o, "tun %s\n", d->tun.name[0] ? d->tun.name : "-");
	out_add(o, "steering %s\n", d->steering ? "on" : "off");
	out_add(o, "sas %zu\n", nout + nin);
	out_add(o, "sas_out %zu\nsas_in %zu\n", nout, nin);
	out_add(o, "sas_manual %zu\nsas_ike %zu\n", nman, nike);
	out_add(o, "ike %s\n", x->ike ? "on" : "off");
	if (x->ike) {
		struct ike_count ic = { .o = o };

		/* The engine runs on the daemon's CLOCK_MONOTONIC milliseconds. */
		ike_foreach_sa(x->ike, status_ike_sa, &ic, mono_ms());
		out_add(o, "ike_sas %zu\n", ic.n);
	}
}

/* ---- sa / sa-keys ------------------------------------------------------------------------ */

static const char *proto_str(uint8_t proto)
{
	return proto == 51 ? "ah" : "esp";
}

/* "-" when a limit is not set, else what is left of it (0 once reached). */
static void life_left(struct out *o, const char *key, uint64_t limit, uint64_t used)
{
	if (!limit)
		out_add(o, "%s -\n", key);
	else
		out_add(o, "%s %" PRIu64 "\n", key, limit > used ? limit - used : 0);
}

static void sa_lifetimes(struct out *o, const struct sa *sa, uint64_t now)
{
	uint64_t age = now > sa->created ? now - sa->created : 0;

	out_add(o, "age %" PRIu64 "\n", age);
	life_left(o, "soft_seconds_left", sa->soft.seconds, age);
	life_left(o, "soft_bytes_left", sa->soft.bytes, sa->ctr.bytes);
	life_left(o, "soft_packets_left", sa->soft.packets, sa->ctr.packets);
	life_left(o, "hard_seconds_left", sa->hard.seconds, age);
	life_left(o, "hard_bytes_left", sa->hard.bytes, sa->ctr.bytes);
	life_left(o, "hard_packets_left", sa->hard.packets, sa->ctr.packets);
	out_add(o, "state %s\n", sa->expired ? "expired" : sa->soft_fired ? "soft" : "ok");
}

static void sa_algs(struct out *o, const struct sa *sa)
{
	struct xc_encr_info ei;
	struct xc_integ_info ii;

	out_add(o, "alg %s\n", xcipher_name(sa->cipher));
	if (sa->proto == 50 && xcipher_encr_info(sa->encr, sa->encr_bits, &ei) == 0)
		out_add(o, "encr %s\nencr_id %u\nencr_bits %u\nicv_len %zu\n", ei.name, sa->encr,
			sa->encr_bits, xcipher_icv_len(sa->cipher));
	else
		out_add(o, "encr none\nencr_id 0\nencr_bits 0\nicv_len %zu\n",
			xcipher_icv_len(sa->cipher));
	if (sa->integ != AUTH_NONE && xcipher_integ_info(sa->integ, &ii) == 0)
		out_add(o, "integ %s\ninteg_id %u\n", ii.name, sa->integ);
	else
		out_add(o, "integ none\ninteg_id 0\n");
}

static void sa_selectors(struct out *o, const struct dpath_sa_view *v)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	for (size_t i = 0; i < v->nsel; i++) {
		const struct dp_sel *s = &v->sel[i];

		out_add(o, "selector %s/%u %s/%u proto %u lport %u rport %u\n",
			ipaddr_fmt(&s->local, a), s->local_plen, ipaddr_fmt(&s->remote, b),
			s->remote_plen, s->proto, s->lport, s->rport);
	}
	if (!v->nsel)
		out_add(o, "selector any\n");
}

static void sa_key(struct out *o, const char *name, const uint8_t *k, size_t n)
{
	char hex[2 * 64 + 1];

	if (!k || !n || n > 64) {
		out_add(o, "%s -\n", name);
		return;
	}
	hex_encode(hex, k, n);
	out_add(o, "%s 0x%s\n", name, hex);
	wipe(hex, sizeof(hex));
}

static void ctl_sa_one(struct out *o, const struct dpath_sa_view *v, bool keys, uint64_t now)
{
	const struct sa *sa = v->sa;
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];
	uint64_t drops = 0;

	for (unsigned r = 1; r < SA_DROP_MAX; r++)
		drops += sa->ctr.drops[r];
	ipaddr_fmt(&sa->src, a);
	ipaddr_fmt(&sa->dst, b);
	/* The record's first line: a one-line summary, the format scripts read before v1. */
	out_add(o,
		"sa %s %s spi 0x%08" PRIx32 " %s %s -> %s%s alg %s packets %" PRIu64
		" bytes %" PRIu64 " drops %" PRIu64 " seq %" PRIu64 "\n",
		sa->dir == SA_DIR_OUT ? "out" : "in", proto_str(sa->proto), sa->spi,
		sa->mode == SA_MODE_TUNNEL ? "tunnel" : "transport", a, b,
		sa->udp_encap ? " encap udp" : "", xcipher_name(sa->cipher), sa->ctr.packets,
		sa->ctr.bytes, drops, sa->seq);
	out_add(o, "spi 0x%08" PRIx32 "\ndir %s\nproto %s\nmode %s\n", sa->spi,
		sa->dir == SA_DIR_OUT ? "out" : "in", proto_str(sa->proto),
		sa->mode == SA_MODE_TUNNEL ? "tunnel" : "transport");
	out_add(o, "family %s\nsrc %s\ndst %s\n", sa->src.af == AF_INET6 ? "ipv6" : "ipv4", a, b);
	if (sa->udp_encap)
		out_add(o, "encap udp %u %u\n", sa->encap_sport, sa->encap_dport);
	else
		out_add(o, "encap none\n");
	out_add(o, "esn %s\n", sa->esn ? "yes" : "no");
	sa_algs(o, sa);
	out_add(o, "origin %s\nchild_id %" PRIu32 "\n", v->origin ? v->origin : "manual",
		v->child_id);
	sa_selectors(o, v);
	out_add(o, "packets %" PRIu64 "\nbytes %" PRIu64 "\ndrops %" PRIu64 "\n", sa->ctr.packets,
		sa->ctr.bytes, drops);
	for (unsigned r = 1; r < SA_DROP_MAX; r++)
		if (sa->ctr.drops[r])
			out_add(o, "drop %" PRIu64 " %s\n", sa->ctr.drops[r],
				sa_drop_name((enum sa_drop)r));
	out_add(o, "seq %" PRIu64 "\n", sa->seq);
	if (sa->dir == SA_DIR_IN)
		out_add(o, "replay_window %" PRIu32 "\nreplay_top %" PRIu64 "\n", sa->replay.size,
			sa->replay.top);
	else
		out_add(o, "replay_window -\n");
	out_add(o, "replay_drops %" PRIu64 "\n", sa->ctr.drops[SA_DROP_REPLAY]);
	sa_lifetimes(o, sa, now);
	if (keys) {
		sa_key(o, "encr_key", v->encr_key, v->encr_key_len);
		sa_key(o, "integ_key", v->integ_key, v->integ_key_len);
	}
}

static void ctl_sa(struct out *o, const struct dpath *d, bool keys, uint64_t now)
{
	size_t n = dpath_sa_count(d), shown = 0;
	struct dpath_sa_view v;

	for (size_t i = 0; i < n; i++) {
		if (!dpath_sa_get(d, i, &v))
			continue;
		ctl_sa_one(o, &v, keys, now);
		shown++;
	}
	if (keys)
		log_notice("control: key material of %zu SAs exported (esprit export-wireshark "
			   "--keys)",
			   shown);
}

/* The view's transforms "ENCR/PRF[/INTEG]/KE" (ike.h) as ike_encr, ike_prf, ike_integ,
 * ike_ke; "-" for what is not negotiated yet (or no INTEG with an AEAD). */
static void ike_sa_xforms(struct out *o, const char *xf)
{
	static const char *const keys[] = { "ike_encr", "ike_prf", "ike_integ", "ike_ke" };
	char part[4][sizeof(((struct ike_sa_view *)0)->xforms)] = { "-", "-", "-", "-" };
	size_t n = 0, k;

	for (const char *p = xf; *p && n < 4; p += k + (p[k] == '/')) {
		k = strcspn(p, "/");
		snprintf(part[n++], sizeof(part[0]), "%.*s", (int)k, p);
	}
	if (n == 3) { /* no INTEG: the KE moves to its place */
		memcpy(part[3], part[2], sizeof(part[3]));
		snprintf(part[2], sizeof(part[2]), "-");
	}
	for (size_t i = 0; i < 4; i++)
		out_add(o, "%s %s\n", keys[i], part[i]);
}

/* One record per IKE SA after the SA records, for `esprit sa`: SPIs, state, role, rule,
 * endpoints (port 4500 once NAT-T moved there), transforms, age and time to the rekey in
 * seconds ("-" until established / when none is due), the same for the hard lifetime, the ids of
 * its Child SA pairs. */
static void sa_ike_one(const struct ike_sa_view *v, void *arg)
{
	struct out *o = arg;
	char a[IPADDR_STRLEN + 8], b[IPADDR_STRLEN + 8];
	size_t n = v->nchild < ARRAY_SIZE(v->child_ids) ? v->nchild : ARRAY_SIZE(v->child_ids);
	uint64_t now = mono_ms();
	const char *colon = strchr(v->name, ':');

	ike_sa_line(o, v);
	out_add(o, "ike_spi_i 0x%.*s\nike_spi_r 0x%s\n", colon ? (int)(colon - v->name) : 0,
		v->name, colon ? colon + 1 : "");
	out_add(o, "ike_state %s\nike_role %s\nike_rule %s\n", v->state, v->role,
		v->rule && v->rule[0] ? v->rule : "-");
	out_add(o, "ike_local %s\nike_remote %s\n", endpoint_fmt(&v->local, a, sizeof(a)),
		endpoint_fmt(&v->remote, b, sizeof(b)));
	ike_sa_xforms(o, v->xforms);
	if (v->established_ms && now >= v->established_ms)
		out_add(o, "ike_age %" PRIu64 "\n", (now - v->established_ms) / 1000);
	else
		out_add(o, "ike_age -\n");
	if (v->rekey_in_ms)
		out_add(o, "ike_rekey_left %" PRIu64 "\n", v->rekey_in_ms / 1000);
	else
		out_add(o, "ike_rekey_left -\n");
	/* the hard lifetime (ike-lifetime): the IKE SA is deleted then if not rekeyed */
	if (v->expire_in_ms)
		out_add(o, "ike_expire_left %" PRIu64 "\n", v->expire_in_ms / 1000);
	else
		out_add(o, "ike_expire_left -\n");
	out_add(o, "ike_children%s", n ? "" : " -");
	for (size_t i = 0; i < n; i++)
		out_add(o, " %" PRIu32, v->child_ids[i]);
	out_add(o, "\n");
}

/* ---- stats ------------------------------------------------------------------------------- */

enum qm_idx {
#define QM_ENUM_(key, label) QM_##key,
	CTLMSG_QM_STATS(QM_ENUM_)
#undef QM_ENUM_
		QM_MAX
};

/* ENCR_NULL and GMAC authenticate but hide nothing (RFC 2410, RFC 4543). */
static bool sa_confidential(const struct sa *sa)
{
	return sa->proto == 50 && sa->encr != ENCR_NULL && sa->encr != ENCR_NULL_AUTH_AES_GMAC;
}

/* Per-SA byte counters summed by kind; every esprit SA has integrity protection (AH, an AEAD,
 * or an HMAC: ENCR_NULL without one is refused), so all bytes are authenticated bytes. */
static void qm_sa_bytes(uint64_t *q, const struct sa *sa)
{
	bool out = sa->dir == SA_DIR_OUT;
	uint64_t b = sa->ctr.bytes;

	if (!sa->expired) {
		q[QM_active_sas]++;
		q[QM_active_tunnels] += out && sa->mode == SA_MODE_TUNNEL;
	}
	if (sa_confidential(sa))
		q[out ? QM_confidential_bytes_sent : QM_confidential_bytes_received] += b;
	q[out ? QM_authenticated_bytes_sent : QM_authenticated_bytes_received] += b;
	if (sa->mode == SA_MODE_TUNNEL)
		q[out ? QM_tunnel_bytes_sent : QM_tunnel_bytes_received] += b;
	else
		q[out ? QM_transport_bytes_sent : QM_transport_bytes_received] += b;
}

static void qm_compute(uint64_t *q, const struct ctl_ctx *x, const struct ike_stats *is)
{
	const struct dpath *d = x->d;
	const uint64_t *drops = d->st.xf.drops;
	struct dpath_sa_view v;

	memset(q, 0, QM_MAX * sizeof(*q));
	for (size_t i = 0; i < dpath_sa_count(d); i++) {
		if (!dpath_sa_get(d, i, &v))
			continue;
		qm_sa_bytes(q, v.sa);
		q[QM_key_additions] += v.child_id == 0; /* manual SAs: installed once */
	}
	q[QM_bad_spi_packets] = drops[SA_DROP_UNKNOWN_SPI];
	/* Ciphertext that did not decrypt to a well-formed ESP trailer, or was unparseable. */
	q[QM_packets_not_decrypted] = drops[SA_DROP_PADDING] + drops[SA_DROP_MALFORMED];
	q[QM_packets_not_authenticated] = drops[SA_DROP_ICV];
	q[QM_packets_replay_detected] = drops[SA_DROP_REPLAY];
	if (is) {
		/* Each Child SA pair is two keys; pairs no longer active were deleted. */
		q[QM_key_additions] += 2 * is->child_established;
		if (is->child_established > is->child_active)
			q[QM_key_deletions] = 2 * (is->child_established - is->child_active);
		q[QM_rekeys] = is->rekeys_child;
	}
}

#define MM_COUNT_(key, label) +1
enum { MM_MAX = 0 CTLMSG_MM_STATS(MM_COUNT_) };
#undef MM_COUNT_

static void ctl_stats_ike(struct out *o, const struct ike_stats *s)
{
	const uint64_t mm[] = {
		s->ike_active,	    s->ike_established,	 s->child_established,
		s->acquires,	    s->acquire_failures, s->negotiation_failures,
		s->auth_failures,   s->invalid_packets,	 s->cookies_sent,
		s->retransmissions, s->rekeys_ike,	 s->backoffs,
		s->backoff_refused, s->keepalives,	 s->frag_sent,
		s->frag_received,   s->frag_dropped,	 s->frag_reassembled,
	};

	_Static_assert(ARRAY_SIZE(mm) == MM_MAX, "one value per CTLMSG_MM_STATS row");
	for (size_t i = 0; i < ARRAY_SIZE(mm) && i < ctlmsg_mm_nstats; i++)
		out_add(o, "%s %" PRIu64 "\n", ctlmsg_mm_stats[i].key, mm[i]);
}

static void ctl_stats(struct out *o, const struct ctl_ctx *x)
{
	const struct dp_stats *st = &x->d->st;
	const struct ike_stats *is = x->ike ? ike_get_stats(x->ike) : NULL;
	const uint64_t dp[] = { st->tun_rx, st->tun_tx,	    st->raw_rx,
				st->raw_tx, st->tun_writes, st->tun_gro_writes };
	uint64_t q[QM_MAX];

	qm_compute(q, x, is);
	for (size_t i = 0; i < QM_MAX; i++)
		out_add(o, "%s %" PRIu64 "\n", ctlmsg_qm_stats[i].key, q[i]);
	if (is)
		ctl_stats_ike(o, is);
	for (size_t i = 0; i < ARRAY_SIZE(dp) && i < ctlmsg_dp_nstats; i++)
		out_add(o, "%s %" PRIu64 "\n", ctlmsg_dp_stats[i].key, dp[i]);
	for (unsigned r = 0; r < DP_DROP_MAX; r++)
		if (st->drops[r])
			out_add(o, "drop dp %" PRIu64 " %s\n", st->drops[r],
				dp_drop_name((enum dp_drop)r));
	for (unsigned r = 1; r < SA_DROP_MAX; r++) {
		if (st->xf.drops[r])
			out_add(o, "drop in %" PRIu64 " %s\n", st->xf.drops[r],
				sa_drop_name((enum sa_drop)r));
		if (st->out_xf[r])
			out_add(o, "drop out %" PRIu64 " %s\n", st->out_xf[r],
				sa_drop_name((enum sa_drop)r));
	}
}

/* ---- up / down / rekey (ctl_admin.c) --------------------------------------------------- */

static void ctl_reply_admin(struct out *o, const struct ctl_ctx *x, const struct ctlmsg_req *q,
			    bool privileged)
{
	char line[CTL_ADMIN_LINE_MAX];

	if (!x->admin) {
		out_add(o, "error IKE is not running (no rule negotiates with IKE)\n");
		return;
	}
	x->admin(x, q, privileged, line, sizeof(line));
	out_add(o, "%s\n", line);
}

/* ---- requests ---------------------------------------------------------------------------- */

static const char *req_error(int rc)
{
	switch (rc) {
	case -EMSGSIZE:
		return "request too long";
	case -EPROTONOSUPPORT:
		return "unsupported protocol version";
	case -ENOENT:
		return "unknown request";
	case -EINVAL:
		return "wrong arguments";
	default:
		return "malformed request";
	}
}

size_t ctl_reply(const struct ctl *c, const struct ctl_ctx *x, const uint8_t *req, size_t len,
		 bool privileged, char *buf, size_t cap)
{
	struct out o = { .p = buf, .cap = cap };
	uint64_t now = mono_now();
	struct ctlmsg_req q;
	int rc;

	if (!cap)
		return 0;
	buf[0] = 0;
	out_add(&o, CTLMSG_MAGIC " %u\n", CTLMSG_VERSION);
	rc = ctlmsg_req_read(req, len, &q);
	if (rc == -EINVAL) {
		out_add(&o, "error %s, usage: %s\n", req_error(rc), ctlmsg_req_usage(q.verb));
		return o.len;
	}
	if (rc < 0) {
		out_add(&o, "error %s\n", req_error(rc));
		return o.len;
	}
	switch (q.verb) {
	case CTL_REQ_STATUS:
		ctl_status(&o, c, x, now);
		break;
	case CTL_REQ_SA:
		ctl_sa(&o, x->d, false, now);
		if (x->ike) /* the engine's clock: CLOCK_MONOTONIC milliseconds */
			ike_foreach_sa(x->ike, sa_ike_one, &o, mono_ms());
		break;
	case CTL_REQ_STATS:
		ctl_stats(&o, x);
		break;
	case CTL_REQ_SA_KEYS:
		if (privileged)
			ctl_sa(&o, x->d, true, now);
		else
			out_add(&o, "error sa-keys: permission denied\n");
		break;
	case CTL_REQ_UP:
	case CTL_REQ_DOWN:
	case CTL_REQ_REKEY:
		ctl_reply_admin(&o, x, &q, privileged);
		break;
	default:
		out_add(&o, "error unknown request\n");
		break;
	}
	if (o.full) {
		o.full = false;
		/* Room for the last line is kept by shortening the reply to whole lines. */
		while (o.len > 0 && o.len + 64 > cap) {
			o.len--;
			while (o.len > 0 && buf[o.len - 1] != '\n')
				o.len--;
		}
		out_add(&o, "error reply too large\n");
	}
	return o.len;
}
