/* The data path loop (see dpath.h). */
#include "daemon/dpath.h"
#include "daemon/dpath_int.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/steer.h"
#include "dataplane/nft.h"
#include "dataplane/route.h"
#include "lib/log.h"
#include "lib/rw.h"
#include "wire/gro.h"
#include "wire/ip.h"
#include "wire/tso.h"

/* Room for the largest datagram a raw socket can hand us, plus the transforms' head- and
 * tailroom. One pool serves both directions: each handler finishes its batch before
 * returning. */
#define DP_BUFSZ (PBUF_HEADROOM + 65536 + PBUF_TAILROOM)

static uint8_t dp_store[DP_BATCH][DP_BUFSZ];
static struct pbuf dp_pb[DP_BATCH];

static const char *const dp_drop_names[DP_DROP_MAX] = {
#define DP_DROP_NAME_(id, s) [DP_DROP_##id] = s,
	DP_DROP_REASONS(DP_DROP_NAME_)
#undef DP_DROP_NAME_
};

const char *dp_drop_name(enum dp_drop r)
{
	return r < DP_DROP_MAX ? dp_drop_names[r] : "?";
}

uint64_t dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

unsigned dp_sock_idx(const struct sa *sa)
{
	if (sa->udp_encap)
		return sa->dst.af == AF_INET6 ? 5u : 4u;
	return (sa->dst.af == AF_INET6 ? 2u : 0u) + (sa->proto == IPPROTO_AH ? 1u : 0u);
}

/* The addresses, protocol and ports of a whole IP packet. */
struct dp_flow {
	struct ip_info ii;
	uint16_t sport, dport;
};

static int dp_flow_parse(const struct pbuf *pb, struct dp_flow *f)
{
	struct rd r;

	if (ip_parse(pbuf_data(pb), pb->len, IP_WALK_ULP, &f->ii) != IP_OK)
		return -1;
	f->sport = f->dport = 0;
	if (f->ii.proto == IPPROTO_NUM_TCP || f->ii.proto == IPPROTO_NUM_UDP ||
	    f->ii.proto == IPPROTO_SCTP) {
		rd_init(&r, pbuf_data(pb), pb->len);
		rd_skip(&r, f->ii.l4_off);
		f->sport = rd_u16(&r);
		f->dport = rd_u16(&r);
		if (!rd_ok(&r))
			return -1;
	}
	return 0;
}

/* Transport mode protects traffic between the SA's own two addresses (RFC 4301 4.1); the
 * SA's src/dst are the packet's src/dst in both directions. */
static bool dp_fits(const struct sa *sa, const struct dp_sel *sel, size_t nsel,
		    const struct dp_flow *f, bool outbound)
{
	const struct ipaddr *src = &f->ii.src, *dst = &f->ii.dst;

	if (sa->mode == SA_MODE_TRANSPORT &&
	    (!ipaddr_eq(&sa->src, src) || !ipaddr_eq(&sa->dst, dst)))
		return false;
	for (size_t k = 0; k < nsel; k++)
		if (dp_sel_match(&sel[k], outbound, src, dst, f->ii.proto, f->sport, f->dport))
			return true;
	return false;
}

/* IKE pairs first, the newest covering pair winning (after a rekey the new pair carries the
 * traffic while the old one may still be installed), then the manual SAs in order. */
static struct sa *dp_out_lookup(struct dpath *d, const struct dp_flow *f)
{
	const struct dp_child *best = NULL;

	for (size_t i = 0, seen = 0; seen < d->nchild && i < DP_CHILD_MAX; i++) {
		const struct dp_child *c = &d->child[i];

		if (!c->id)
			continue;
		seen++;
		if ((!best || c->gen > best->gen) && dp_fits(c->out, c->sel, c->nsel, f, true))
			best = c;
	}
	if (best)
		return best->out;
	for (size_t i = 0; i < d->cfg->nsa; i++)
		if (d->out[i] && dp_fits(d->out[i], d->cfg->sa[i].sel, d->cfg->sa[i].nsel, f, true))
			return d->out[i];
	return NULL;
}

static void dp_drop(struct dpath *d, enum dp_drop r)
{
	d->st.drops[r]++;
	log_ratelimited(LOG_LVL_DEBUG, "drop: %s", dp_drop_name(r));
}

/* No SA: the acquire hook may hold the packet while IKE negotiates one. */
static void dp_miss(struct dpath *d, const struct pbuf *pb, const struct dp_flow *f)
{
	struct spd_pkt p = {
		.dir = SPD_DIR_OUT,
		.local = f->ii.src,
		.remote = f->ii.dst,
		.proto = f->ii.proto,
		.lport = f->sport,
		.rport = f->dport,
	};

	if (d->hook.miss && d->hook.miss(d->hook.arg, &p, pbuf_data(pb), pb->len))
		d->st.drops[DP_DROP_OUT_HELD]++;
	else
		dp_drop(d, DP_DROP_OUT_NO_SA);
}

static void dp_flush(struct dpath *d, struct pbuf **q, unsigned *nq)
{
	for (unsigned s = 0; s < DP_NSOCK; s++) {
		unsigned bad = 0;
		int sent;

		if (!nq[s])
			continue;
		if (!d->raw[s]) {
			d->st.drops[DP_DROP_OUT_SEND] += nq[s];
			continue;
		}
		sent = raw_send_batch(d->raw[s], &q[s * DP_BATCH], nq[s], &bad);
		d->st.raw_tx += (uint64_t)sent;
		d->st.drops[DP_DROP_OUT_SEND] += nq[s] - (unsigned)sent;
	}
}

/* Outbound, one packet in pb: SA by selectors, ESP/AH, queued for its socket. */
static void dp_out_one(struct dpath *d, struct pbuf *pb, struct pbuf **q, unsigned *nq,
		       uint64_t now)
{
	struct dp_flow f;
	enum sa_drop why;
	struct sa *sa;
	unsigned s;

	if (dp_flow_parse(pb, &f) < 0) {
		dp_drop(d, DP_DROP_OUT_PARSE);
		return;
	}
	sa = dp_out_lookup(d, &f);
	if (!sa) {
		dp_miss(d, pb, &f);
		return;
	}
	why = sa->proto == IPPROTO_AH ? ah_encap(sa, pb, now) : esp_encap(sa, pb, now);
	if (why != SA_DROP_NONE) {
		d->st.out_xf[why]++;
		dp_drop(d, DP_DROP_OUT_XFORM);
		return;
	}
	s = dp_sock_idx(sa);
	q[s * DP_BATCH + nq[s]++] = pb;
}

/* A TUN read with a virtio_net_hdr: up to 64 KiB of one TCP flow, or one packet. */
static uint8_t dp_vnet_in[TSO_VNET_HDR_LEN + 65536];

/* The next free buffer of the batch; when all are queued, send them first. */
static struct pbuf *dp_slot(struct dpath *d, struct pbuf **q, unsigned *nq, unsigned *used)
{
	struct pbuf *pb;

	if (*used == DP_BATCH) {
		dp_flush(d, q, nq);
		memset(nq, 0, DP_NSOCK * sizeof(*nq));
		*used = 0;
	}
	pb = &dp_pb[*used];
	pbuf_init(pb, dp_store[(*used)++], DP_BUFSZ, PBUF_HEADROOM);
	return pb;
}

/* One TUN read (virtio_net_hdr + packet) into finished IP packets, each encapsulated and
 * queued: a TSO packet is cut into MSS-sized segments, a partial checksum is completed. */
static void dp_vnet_one(struct dpath *d, size_t n, struct pbuf **q, unsigned *nq, unsigned *used,
			uint64_t now)
{
	uint8_t *pkt = dp_vnet_in + TSO_VNET_HDR_LEN;
	size_t len = n - TSO_VNET_HDR_LEN, room = DP_BUFSZ - PBUF_HEADROOM - PBUF_TAILROOM;
	struct tso_vnet v;
	struct pbuf *pb;
	struct tso t;

	if (n <= TSO_VNET_HDR_LEN || tso_vnet_parse(dp_vnet_in, n, &v) < 0 ||
	    (v.gso_type != VIRTIO_NET_HDR_GSO_NONE && v.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 &&
	     v.gso_type != VIRTIO_NET_HDR_GSO_TCPV6) ||
	    (v.gso_type == VIRTIO_NET_HDR_GSO_NONE && v.needs_csum &&
	     tso_csum_finish(pkt, len, v.csum_start, v.csum_offset) < 0) ||
	    (v.gso_type != VIRTIO_NET_HDR_GSO_NONE && tso_init(&t, pkt, len, v.gso_size) < 0)) {
		d->st.tun_rx++;
		dp_drop(d, DP_DROP_OUT_PARSE);
		return;
	}
	if (v.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		pb = dp_slot(d, q, nq, used);
		memcpy(pbuf_data(pb), pkt, len);
		pb->len = len;
		d->st.tun_rx++;
		dp_out_one(d, pb, q, nq, now);
		return;
	}
	for (;;) {
		pb = dp_slot(d, q, nq, used);
		pb->len = tso_next(&t, pbuf_data(pb), room);
		if (!pb->len) {
			(*used)--; /* not taken */
			return;
		}
		d->st.tun_rx++;
		dp_out_one(d, pb, q, nq, now);
	}
}

/* Outbound with segmentation offload on the TUN: up to DP_BATCH reads, any number of
 * segments, sent DP_BATCH packets at a time. */
static unsigned dp_tun_batch_vnet(struct dpath *d)
{
	static struct pbuf *q[DP_NSOCK * DP_BATCH];
	unsigned nq[DP_NSOCK] = { 0 }, got = 0, used = 0;
	uint64_t now = dp_now();
	ssize_t n;

	for (; got < DP_BATCH; got++) {
		n = read(d->tun.fd, dp_vnet_in, sizeof(dp_vnet_in));
		if (n <= 0)
			break;
		dp_vnet_one(d, (size_t)n, q, nq, &used, now);
	}
	dp_flush(d, q, nq);
	return got;
}

/* Outbound: TUN -> SA by selectors -> ESP/AH -> raw socket, one batch. */
static unsigned dp_tun_batch(struct dpath *d)
{
	static struct pbuf *q[DP_NSOCK * DP_BATCH];
	unsigned nq[DP_NSOCK] = { 0 }, got = 0;
	uint64_t now = dp_now();

	if (d->tun.vnet)
		return dp_tun_batch_vnet(d);
	for (unsigned i = 0; i < DP_BATCH; i++) {
		struct pbuf *pb = &dp_pb[i];
		ssize_t n;

		pbuf_init(pb, dp_store[i], DP_BUFSZ, PBUF_HEADROOM);
		n = read(d->tun.fd, pbuf_data(pb), DP_BUFSZ - PBUF_HEADROOM - PBUF_TAILROOM);
		if (n <= 0)
			break;
		got++;
		d->st.tun_rx++;
		pb->len = (size_t)n;
		dp_out_one(d, pb, q, nq, now);
	}
	dp_flush(d, q, nq);
	return got;
}

void dpath_tun_ready(struct dpath *d)
{
	/* A few batches, then back to epoll so inbound traffic gets its turn. */
	for (int k = 0; k < 4; k++)
		if (dp_tun_batch(d) < DP_BATCH)
			break;
}

/* The selectors an inbound SA was negotiated or configured with. */
static bool dp_sels_of(const struct dpath *d, const struct sa *sa, const struct dp_sel **sel,
		       size_t *nsel)
{
	for (size_t i = 0, seen = 0; seen < d->nchild && i < DP_CHILD_MAX; i++) {
		if (!d->child[i].id)
			continue;
		seen++;
		if (d->child[i].in == sa) {
			*sel = d->child[i].sel;
			*nsel = d->child[i].nsel;
			return true;
		}
	}
	for (size_t i = 0; i < d->cfg->nsa; i++)
		if (d->all[i] == sa) {
			*sel = d->cfg->sa[i].sel;
			*nsel = d->cfg->sa[i].nsel;
			return true;
		}
	return false;
}

/* Manual SAs first (in configuration order), then each IKE pair as inbound, outbound. */
size_t dpath_sa_count(const struct dpath *d)
{
	return (d->cfg ? d->cfg->nsa : 0) + 2 * d->nchild;
}

bool dpath_sa_get(const struct dpath *d, size_t i, struct dpath_sa_view *v)
{
	size_t nman = d->cfg ? d->cfg->nsa : 0;
	struct sa_params p;

	if (i >= dpath_sa_count(d))
		return false;
	if (i >= nman)
		return dp_child_view(d, i - nman, v);
	if (!d->all[i])
		return false;
	dcfg_sa_params(&d->cfg->sa[i], &p);
	*v = (struct dpath_sa_view){
		.sa = d->all[i],
		.origin = "manual",
		.sel = d->cfg->sa[i].sel,
		.nsel = d->cfg->sa[i].nsel,
		.encr_key = p.encr_key,
		.encr_key_len = p.encr_key_len,
		.integ_key = p.integ_key,
		.integ_key_len = p.integ_key_len,
	};
	return true;
}

/* Hand a decrypted packet to the kernel; with IFF_VNET_HDR behind an all-zero
 * virtio_net_hdr (no segmentation, checksum to be verified as usual). */
static int dp_tun_write(struct dpath *d, struct pbuf *pb)
{
	uint8_t *h;

	if (d->tun.vnet) {
		h = pbuf_push(pb, TSO_VNET_HDR_LEN);
		if (!h)
			return -1;
		memset(h, 0, TSO_VNET_HDR_LEN);
	}
	return write(d->tun.fd, pbuf_data(pb), pb->len) == (ssize_t)pb->len ? 0 : -1;
}

/* Inbound coalescing (wire/gro.h): segments of one flow on one SA wait here until a packet
 * does not fit or the receive handler returns. */
static uint8_t dp_gro_buf[GRO_BUF_LEN];
static struct gro dp_gro = { .buf = dp_gro_buf };

/* Write the held packet: one write, however many segments (each one counted in tun_tx). */
static void dp_gro_flush(struct dpath *d)
{
	const uint8_t *p;
	unsigned nseg;
	size_t n = gro_finish(&dp_gro, &p, &nseg);

	if (!n)
		return;
	if (write(d->tun.fd, p, n) != (ssize_t)n) {
		d->st.drops[DP_DROP_IN_TUN_WRITE] += nseg - 1;
		dp_drop(d, DP_DROP_IN_TUN_WRITE);
		return;
	}
	d->st.tun_tx += nseg;
	d->st.tun_writes++;
	d->st.tun_gro_writes += nseg > 1;
}

/* A verified inner packet to the kernel: held for coalescing, or (after what is held) alone. */
static void dp_tun_deliver(struct dpath *d, struct pbuf *pb, const struct sa *sa)
{
	enum gro_res r = GRO_ALONE;

	if (d->tun.gro) {
		r = gro_add(&dp_gro, pbuf_data(pb), pb->len, sa);
		if (r == GRO_FLUSH) {
			dp_gro_flush(d);
			r = gro_add(&dp_gro, pbuf_data(pb), pb->len, sa);
		}
	}
	if (r == GRO_HELD)
		return;
	if (dp_tun_write(d, pb) < 0) {
		dp_drop(d, DP_DROP_IN_TUN_WRITE);
		return;
	}
	d->st.tun_tx++;
	d->st.tun_writes++;
}

/* Inbound, one packet: decapsulate, then RFC 4301 5.2 step 4: the inner packet must match
 * the selectors of the SA it arrived on. */
static void dp_in_one(struct dpath *d, struct pbuf *pb, uint8_t proto, uint64_t now)
{
	const struct dp_sel *sel = NULL;
	struct sa *sa = NULL;
	size_t nsel = 0;
	struct dp_flow f;
	enum sa_drop why;

	if (pb->len == 0) {
		dp_drop(d, DP_DROP_IN_TRUNC);
		return;
	}
	why = proto == IPPROTO_AH ? ah_decap(d->sad, pb, now, &sa, &d->st.xf)
				  : esp_decap(d->sad, pb, now, &sa, &d->st.xf);
	if (why != SA_DROP_NONE) {
		dp_drop(d, DP_DROP_IN_XFORM);
		return;
	}
	if (!dp_sels_of(d, sa, &sel, &nsel) || dp_flow_parse(pb, &f) < 0 ||
	    !dp_fits(sa, sel, nsel, &f, false)) {
		sa_count_drop(sa, SA_DROP_POLICY);
		d->st.xf.drops[SA_DROP_POLICY]++;
		dp_drop(d, DP_DROP_IN_POLICY);
		return;
	}
	dp_tun_deliver(d, pb, sa);
}

/* RFC 3948 2.2: IKE on the ESP-in-UDP port goes to the engine with its two endpoints. */
static void dp_ike_in(struct dpath *d, const struct raw_sock *r, unsigned i, const struct pbuf *pb)
{
	const struct raw_meta *m = &r->meta[i];
	struct ike_endpoint local = { .addr = m->dst, .port = r->udp_port };
	struct ike_endpoint remote = { .addr = m->src, .port = m->sport };

	if (d->hook.ike)
		d->hook.ike(d->hook.arg, &local, &remote, pbuf_data(pb), pb->len);
}

/* One received packet: IKE to the engine, ESP/AH to the transform, keepalives nowhere. */
static void dp_in_dispatch(struct dpath *d, const struct raw_sock *r, unsigned i, struct pbuf *pb,
			   uint64_t now)
{
	if (r->kind[i] == RAW_NON_ESP)
		dp_ike_in(d, r, i, pb);
	else if (r->kind[i] != RAW_KEEPALIVE)
		dp_in_one(d, pb, r->proto, now);
}

/* UDP_GRO handed over several ESP-in-UDP datagrams as one: each is copied out into its own
 * buffer (the IP header goes in front of it) and handled like a single packet. */
static void dp_in_coalesced(struct dpath *d, struct raw_sock *r, unsigned i, uint64_t now)
{
	static uint8_t store[DP_BUFSZ];
	struct pbuf seg;
	size_t off = 0, n;

	for (;;) {
		pbuf_init(&seg, store, sizeof(store), PBUF_HEADROOM);
		n = raw_recv_segment(r, i, &dp_pb[i], off, &seg);
		if (!n)
			break;
		off += n;
		if (off > n)
			d->st.raw_rx++; /* the first one was counted with the batch */
		dp_in_dispatch(d, r, i, &seg, now);
	}
}

static void dp_raw_drain(struct dpath *d, unsigned idx)
{
	struct raw_sock *r = d->raw[idx];
	uint64_t now = dp_now();
	int got;

	for (int k = 0; k < 4; k++) {
		for (unsigned i = 0; i < DP_BATCH; i++)
			pbuf_init(&dp_pb[i], dp_store[i], DP_BUFSZ, PBUF_HEADROOM);
		got = raw_recv_batch(r, dp_pb, DP_BATCH);
		if (got <= 0) {
			/* Woken with nothing to read: EPOLLERR, an ICMP error is queued (a queued
			 * one may also surface here once as the socket error). */
			if (got < 0)
				log_debug("raw: receive: %s", strerror(-got));
			dp_pmtu_drain(d, idx);
			return;
		}
		d->st.raw_rx += (uint64_t)got;
		for (int i = 0; i < got; i++) {
			if (r->seg[i])
				dp_in_coalesced(d, r, (unsigned)i, now);
			else
				dp_in_dispatch(d, r, (unsigned)i, &dp_pb[i], now);
		}
		if (got < (int)DP_BATCH)
			return;
	}
}

void dpath_raw_ready(struct dpath *d, unsigned idx)
{
	dp_raw_drain(d, idx);
	dp_gro_flush(d);
}

static int dp_make_sas(struct dpath *d, uint64_t now, unsigned *af_mask, unsigned *udp_mask)
{
	const struct dcfg *cfg = d->cfg;
	int rc;

	d->out = calloc(cfg->nsa ? cfg->nsa : 1, sizeof(*d->out));
	d->all = calloc(cfg->nsa ? cfg->nsa : 1, sizeof(*d->all));
	d->sad = sad_new();
	if (!d->out || !d->all || !d->sad)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsa; i++) {
		const struct dcfg_sa *cs = &cfg->sa[i];
		struct sa_params p;
		struct sa *sa;

		dcfg_sa_params(cs, &p);
		rc = sa_new(&sa, &p, now);
		if (rc < 0) {
			log_err("sa 0x%08" PRIx32 ": cannot create: %s", cs->p.spi, strerror(-rc));
			return rc;
		}
		*af_mask |= cs->p.dst.af == AF_INET6 ? DP_AF_V6 : DP_AF_V4;
		if (cs->p.udp_encap) {
			if (cs->p.encap_sport != DP_NATT_PORT ||
			    cs->p.encap_dport != DP_NATT_PORT) {
				log_err("sa 0x%08" PRIx32 ": UDP encapsulation on ports other than "
					"4500 is not supported yet",
					cs->p.spi);
				return -ENOTSUP;
			}
			*udp_mask |= cs->p.dst.af == AF_INET6 ? DP_AF_V6 : DP_AF_V4;
		}
		if (cs->p.dir == SA_DIR_OUT) {
			d->out[i] = d->all[i] = sa;
			continue;
		}
		rc = sad_add(d->sad, sa);
		if (rc < 0) {
			log_err("sa 0x%08" PRIx32 ": %s", cs->p.spi, strerror(-rc));
			sa_free(sa);
			return rc;
		}
		d->all[i] = sa;
	}
	return 0;
}

static int dp_open_socks(struct dpath *d, unsigned af_mask, unsigned udp_mask)
{
	static struct raw_sock socks[DP_NSOCK];
	static const uint8_t protos[2] = { IPPROTO_ESP, IPPROTO_AH };

	for (unsigned s = 0; s < DP_NSOCK; s++) {
		bool v6 = s == 2 || s == 3 || s == 5;
		int af = v6 ? AF_INET6 : AF_INET;
		unsigned mask = s < 4 ? af_mask : udp_mask;
		int rc;

		if (!(mask & (v6 ? DP_AF_V6 : DP_AF_V4)))
			continue;
		if (s < 4)
			rc = raw_open(&socks[s], af, protos[s & 1], DP_MARK_BYPASS);
		else
			rc = raw_open_udp(&socks[s], af, DP_NATT_PORT, DP_MARK_BYPASS);
		if (rc == 0 && s >= 4)
			raw_udp_offload(&socks[s]);
		if (rc == 0)
			rc = raw_want_errors(socks[s].fd, af);
		if (rc < 0) {
			log_err("%s %s socket: %s", v6 ? "IPv6" : "IPv4",
				s < 4 ? (s & 1 ? "AH" : "ESP") : "ESP-in-UDP", strerror(-rc));
			return rc;
		}
		d->raw[s] = &socks[s];
	}
	return 0;
}

int dpath_output(struct dpath *d, const uint8_t *pkt, size_t len)
{
	static uint8_t store[DP_BUFSZ];
	static struct pbuf pb;
	struct pbuf *q = &pb;
	struct dp_flow f;
	enum sa_drop why;
	struct sa *sa;
	unsigned bad;

	pbuf_init(&pb, store, sizeof(store), PBUF_HEADROOM);
	if (len > sizeof(store) - PBUF_HEADROOM - PBUF_TAILROOM || !pbuf_put(&pb, len))
		return -EIO;
	memcpy(pbuf_data(&pb), pkt, len);
	if (dp_flow_parse(&pb, &f) < 0)
		return -EIO;
	sa = dp_out_lookup(d, &f);
	if (!sa)
		return -ENOENT;
	why = sa->proto == IPPROTO_AH ? ah_encap(sa, &pb, dp_now()) : esp_encap(sa, &pb, dp_now());
	if (why != SA_DROP_NONE) {
		d->st.out_xf[why]++;
		dp_drop(d, DP_DROP_OUT_XFORM);
		return -EIO;
	}
	if (raw_send_batch(d->raw[dp_sock_idx(sa)], &q, 1, &bad) != 1) {
		dp_drop(d, DP_DROP_OUT_SEND);
		return -EIO;
	}
	d->st.raw_tx++;
	return 0;
}

/* Steering and enforcement from the policy model and the manual SAs (daemon/steer.h); the
 * ESP sockets' own routes go to the manual SAs' peers. */
static int dp_steer(struct dpath *d, unsigned af_mask, bool initial)
{
	const struct dcfg *cfg = d->cfg;
	struct nft_ruleset rs;
	size_t npeer = 0;
	struct ipaddr *peers = calloc(cfg->nsa + 1, sizeof(*peers));
	int rc = -ENOMEM;

	if (!peers || steer_build(cfg, d->tun.name, &rs) < 0) {
		free(peers);
		return rc;
	}
	for (size_t i = 0; i < cfg->nsa; i++) {
		const struct dcfg_sa *cs = &cfg->sa[i];
		bool seen = false;

		for (size_t k = 0; k < npeer; k++)
			seen |= ipaddr_eq(&peers[k], &cs->p.dst);
		if (cs->p.dir == SA_DIR_OUT && !seen)
			peers[npeer++] = cs->p.dst;
	}
	/* Policy rules steer whatever family the host speaks, with or without an SA: the
	 * steering route (and its blackhole) must exist, or steered packets would leave in
	 * clear. Set up at start for every family the host has, also without a policy yet, so
	 * that a reload which brings one finds them (routes are only set up at start). */
	for (size_t i = 0; i < cfg->nlocals; i++)
		af_mask |= cfg->locals[i].addr.af == AF_INET6 ? DP_AF_V6 : DP_AF_V4;
	d->steering = true;
	if (initial)
		rc = dp_route_setup(d->tun.ifindex, af_mask, peers, npeer);
	else
		rc = dp_route_peers(peers, npeer);
	if (rc == 0)
		rc = dp_nft_apply(&rs);
	if (rc == 0)
		steer_check_forwarding(cfg);
	if (rc == 0)
		log_info("steering: %zu outbound rules, %zu inbound rules, %zu peers, policy %s, "
			 "table inet %s",
			 rs.nout, rs.nin, npeer, cfg->spd ? cfg->spd->active->name : "none",
			 DP_NFT_TABLE);
	steer_free(&rs);
	free(peers);
	return rc;
}

static int dp_start(struct dpath *d, const struct dcfg *cfg, bool ike)
{
	unsigned af_mask = 0, udp_mask = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->tun.fd = -1;
	d->clear_fd[0] = d->clear_fd[1] = -1;
	/* Leftovers of a run that did not exit cleanly. */
	dp_nft_remove();
	dp_route_cleanup();
	rc = dp_make_sas(d, dp_now(), &af_mask, &udp_mask);
	d->child = calloc(DP_CHILD_MAX, sizeof(*d->child));
	if (!d->child)
		rc = -ENOMEM;
	/* IKE may negotiate SAs of either family, in UDP or not (RFC 7296 2.23). */
	if (ike)
		af_mask = udp_mask = DP_AF_V4 | DP_AF_V6;
	if (ike && rc == 0)
		rc = dp_open_clear(d);
	if (rc == 0)
		rc = dp_open_socks(d, af_mask ? af_mask : DP_AF_V4, udp_mask);
	if (rc == 0)
		rc = tun_open(&d->tun, cfg->tun, cfg->mtu, DP_TUN_TXQLEN);
	if (rc == 0)
		gro_init(&dp_gro, dp_gro_buf, d->tun.gro_udp);
	if (rc == 0)
		rc = dp_steer(d, af_mask, true);
	if (rc < 0)
		dpath_stop(d);
	return rc;
}

int dpath_start(struct dpath *d, const struct dcfg *cfg)
{
	return dp_start(d, cfg, false);
}

int dpath_start_ike(struct dpath *d, const struct dcfg *cfg)
{
	return dp_start(d, cfg, true);
}

/* Same SA for reload purposes: identity, algorithms, keys and options (selectors may change
 * without a new SA: they live in the configuration). */
static bool dp_sa_same(const struct dcfg_sa *a, const struct dcfg_sa *b)
{
	const struct sa_params *x = &a->p, *y = &b->p;

	return x->spi == y->spi && x->proto == y->proto && x->mode == y->mode && x->dir == y->dir &&
	       x->esn == y->esn && ipaddr_eq(&x->src, &y->src) && ipaddr_eq(&x->dst, &y->dst) &&
	       x->encr == y->encr && x->encr_bits == y->encr_bits && x->integ == y->integ &&
	       x->encr_key_len == y->encr_key_len && x->integ_key_len == y->integ_key_len &&
	       a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len) &&
	       x->replay_window == y->replay_window && x->udp_encap == y->udp_encap &&
	       x->encap_sport == y->encap_sport && x->encap_dport == y->encap_dport;
}

/* Everything the new configuration needs that only a restart can provide. */
static int dp_reload_check(const struct dpath *d, const struct dcfg *n)
{
	for (size_t i = 0; i < n->nsa; i++) {
		const struct sa_params *p = &n->sa[i].p;
		struct sa tmp = { .proto = p->proto, .udp_encap = p->udp_encap, .dst = p->dst };

		if (!d->raw[dp_sock_idx(&tmp)]) {
			log_err("reload: sa 0x%08" PRIx32 " needs a socket this process did not "
				"open (new address family or encapsulation); restart espritd",
				p->spi);
			return -ENOTSUP;
		}
		for (size_t k = 0; k < i; k++)
			if (p->dir == SA_DIR_IN && n->sa[k].p.dir == SA_DIR_IN &&
			    n->sa[k].p.spi == p->spi && n->sa[k].p.proto == p->proto &&
			    ipaddr_eq(&n->sa[k].p.dst, &p->dst)) {
				log_err("reload: inbound SPI 0x%08" PRIx32 " twice", p->spi);
				return -EEXIST;
			}
	}
	return 0;
}

int dpath_reload(struct dpath *d, const struct dcfg *n)
{
	const struct dcfg *o = d->cfg;
	struct sa **nall = NULL, **nout = NULL;
	bool *taken = NULL;
	struct sad *nsad = NULL;
	size_t kept = 0;
	int rc = dp_reload_check(d, n);

	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	nall = calloc(n->nsa + 1, sizeof(*nall));
	nout = calloc(n->nsa + 1, sizeof(*nout));
	taken = calloc(o->nsa + 1, sizeof(*taken));
	nsad = sad_new();
	if (!nall || !nout || !taken || !nsad)
		goto fail;
	/* Pass 1, which may fail: pick the SAs to keep, create the others. */
	for (size_t i = 0; i < n->nsa; i++) {
		struct sa_params p;

		for (size_t j = 0; j < o->nsa && !nall[i]; j++)
			if (!taken[j] && dp_sa_same(&n->sa[i], &o->sa[j])) {
				taken[j] = true;
				nall[i] = d->all[j];
				kept++;
			}
		if (nall[i])
			continue;
		dcfg_sa_params(&n->sa[i], &p);
		rc = sa_new(&nall[i], &p, dp_now());
		if (rc < 0) {
			log_err("reload: sa 0x%08" PRIx32 ": %s", p.spi, strerror(-rc));
			goto fail;
		}
	}
	/* Pass 2, which cannot fail: move the kept inbound SAs into the new SAD. */
	for (size_t i = 0; i < n->nsa; i++) {
		struct sa *sa = nall[i];

		if (sa->dir == SA_DIR_OUT) {
			nout[i] = sa;
			continue;
		}
		sad_remove(d->sad, sa->spi, &sa->dst, sa->proto); /* NULL when new */
		if (sad_add(nsad, sa) < 0) {
			log_err("reload: sa 0x%08" PRIx32 " lost (no memory)", sa->spi);
			sa_free(sa);
			nall[i] = NULL;
		}
	}
	dp_children_move(d, nsad);
	for (size_t j = 0; j < o->nsa; j++)
		if (!taken[j] && d->out[j])
			sa_free(d->out[j]);
	sad_free(d->sad); /* the inbound SAs not kept */
	free(d->out);
	free(d->all);
	free(taken);
	d->sad = nsad;
	d->out = nout;
	d->all = nall;
	d->cfg = n;
	log_notice("reload: %zu SAs kept (sequence numbers and replay windows too), %zu new, %zu "
		   "removed",
		   kept, n->nsa - kept, o->nsa - kept);
	rc = dp_steer(d, 0, false);
	if (rc < 0)
		log_err("reload: steering update failed: %s", strerror(-rc));
	return 0;
fail:
	for (size_t i = 0; nall && i < n->nsa; i++) {
		bool old = false;

		for (size_t j = 0; j < o->nsa; j++)
			old |= nall[i] == d->all[j];
		if (nall[i] && !old)
			sa_free(nall[i]);
	}
	free(nall);
	free(nout);
	free(taken);
	sad_free(nsad);
	return rc;
}

void dpath_stop(struct dpath *d)
{
	if (d->steering) {
		if (dp_nft_remove() < 0)
			log_err("nft: could not delete table inet %s", DP_NFT_TABLE);
		if (dp_route_cleanup() < 0)
			log_err("route: could not remove all rules and routes");
		dp_pmtu_forget();
		d->steering = false;
	}
	tun_close(&d->tun);
	for (unsigned s = 0; s < DP_NSOCK; s++) {
		if (d->raw[s])
			raw_close(d->raw[s]);
		d->raw[s] = NULL;
	}
	dp_children_free(d);
	for (unsigned f = 0; f < 2; f++) {
		if (d->clear_fd[f] >= 0)
			close(d->clear_fd[f]);
		d->clear_fd[f] = -1;
	}
	if (d->out && d->cfg) {
		for (size_t i = 0; i < d->cfg->nsa; i++)
			if (d->out[i])
				sa_free(d->out[i]);
	}
	sad_free(d->sad); /* frees the inbound SAs */
	free(d->out);
	free(d->all);
	d->out = d->all = NULL;
	d->sad = NULL;
}

void dpath_log_stats(const struct dpath *d)
{
	const struct dp_stats *st = &d->st;

	log_notice("stats: tun_rx %" PRIu64 " raw_tx %" PRIu64 " raw_rx %" PRIu64
		   " tun_tx %" PRIu64,
		   st->tun_rx, st->raw_tx, st->raw_rx, st->tun_tx);
	log_notice("stats: TUN writes %" PRIu64 ", coalesced %" PRIu64, st->tun_writes,
		   st->tun_gro_writes);
	if (st->pmtu_updates)
		log_notice("stats: path MTU updates: %" PRIu64, st->pmtu_updates);
	for (unsigned r = 0; r < DP_DROP_MAX; r++)
		if (st->drops[r])
			log_notice("stats: drop %s: %" PRIu64, dp_drop_name(r), st->drops[r]);
	for (unsigned r = 1; r < SA_DROP_MAX; r++) {
		if (st->xf.drops[r])
			log_notice("stats: inbound %s: %" PRIu64, sa_drop_name(r), st->xf.drops[r]);
		if (st->out_xf[r])
			log_notice("stats: outbound %s: %" PRIu64, sa_drop_name(r), st->out_xf[r]);
	}
}
