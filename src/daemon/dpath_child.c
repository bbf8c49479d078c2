/* The data path's IKE pairs (see dpath.h): install, remove, list, move on reload, and the
 * soft-fallback clear sockets. Nothing here runs per packet. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/dpath.h"
#include "daemon/dpath_int.h"
#include "dataplane/route.h"
#include "lib/log.h"
#include "lib/util.h"
#include "wire/ip.h"

bool dp_child_view(const struct dpath *d, size_t k, struct dpath_sa_view *v)
{
	for (size_t i = 0; i < DP_CHILD_MAX && d->child; i++) {
		const struct dp_child *c = &d->child[i];
		unsigned o = (unsigned)(k & 1);

		if (!c->id || k / 2 > 0) {
			k -= c->id ? 2 : 0;
			continue;
		}
		*v = (struct dpath_sa_view){
			.sa = o ? c->out : c->in,
			.origin = c->rule,
			.child_id = c->id,
			.sel = c->sel,
			.nsel = c->nsel,
			.encr_key = c->encr_len[o] ? c->key[o] : NULL,
			.encr_key_len = c->encr_len[o],
			.integ_key = c->integ_len[o] ? c->key[o] + c->encr_len[o] : NULL,
			.integ_key_len = c->integ_len[o],
		};
		return true;
	}
	return false;
}

static struct dp_child *dp_child_find(struct dpath *d, uint32_t id)
{
	for (size_t i = 0; id && d->child && i < DP_CHILD_MAX; i++)
		if (d->child[i].id == id)
			return &d->child[i];
	return NULL;
}

/* One direction: copy the keys into the slot, create the SA from the copy. */
static int dp_child_sa(struct dp_child *c, unsigned o, const struct sa_params *p, uint64_t now,
		       struct sa **out)
{
	struct sa_params q = *p;

	if (p->encr_key_len + p->integ_key_len > DP_CHILD_KEY_MAX)
		return -EINVAL;
	q.dir = o ? SA_DIR_OUT : SA_DIR_IN;
	if (p->encr_key_len)
		memcpy(c->key[o], p->encr_key, p->encr_key_len);
	if (p->integ_key_len)
		memcpy(c->key[o] + p->encr_key_len, p->integ_key, p->integ_key_len);
	c->encr_len[o] = p->encr_key_len;
	c->integ_len[o] = p->integ_key_len;
	q.encr_key = p->encr_key_len ? c->key[o] : NULL;
	q.integ_key = p->integ_key_len ? c->key[o] + p->encr_key_len : NULL;
	return sa_new(out, &q, now);
}

/* Can this process send and receive what the SA needs? Sockets are opened at start. */
static int dp_child_check(const struct dpath *d, const struct sa_params *p, bool out)
{
	struct sa tmp = { .proto = p->proto, .udp_encap = p->udp_encap, .dst = p->dst };

	if (!d->raw[dp_sock_idx(&tmp)])
		return -ENOTSUP;
	/* One socket on 4500 sends every ESP-in-UDP packet, from our port 4500; the peer's port
	 * may be another one (a NAT in front of it, RFC 7296 2.23). */
	if (p->udp_encap && (out ? p->encap_sport : p->encap_dport) != DP_NATT_PORT)
		return -ENOTSUP;
	return 0;
}

static void dp_child_clear(struct dp_child *c)
{
	wipe(c, sizeof(*c)); /* keys included; id 0 frees the slot */
}

int dpath_child_add(struct dpath *d, const struct ike_child *ic)
{
	struct dp_child *c = NULL;
	char a[IPADDR_STRLEN];
	int rc;

	if (!ic->id || ic->nsel > IKE_CHILD_SEL_MAX)
		return -EINVAL;
	if (dp_child_find(d, ic->id))
		return -EEXIST;
	for (size_t i = 0; d->child && i < DP_CHILD_MAX && !c; i++)
		if (!d->child[i].id)
			c = &d->child[i];
	if (!c)
		return -ENOSPC;
	rc = dp_child_check(d, &ic->in, false);
	if (rc == 0)
		rc = dp_child_check(d, &ic->out, true);
	if (rc < 0) {
		log_err("child %" PRIu32 ": no socket for its family or encapsulation (our UDP "
			"port must be 4500)",
			ic->id);
		return rc;
	}
	rc = dp_child_sa(c, 0, &ic->in, dp_now(), &c->in);
	if (rc == 0)
		rc = dp_child_sa(c, 1, &ic->out, dp_now(), &c->out);
	if (rc == 0)
		rc = sad_add(d->sad, c->in);
	if (rc < 0) {
		log_err("child %" PRIu32 ": cannot install SAs 0x%08" PRIx32 "/0x%08" PRIx32 ": %s",
			ic->id, ic->in.spi, ic->out.spi, strerror(-rc));
		sa_free(c->in);
		sa_free(c->out);
		dp_child_clear(c);
		return rc;
	}
	c->id = ic->id;
	c->gen = ++d->child_gen;
	snprintf(c->rule, sizeof(c->rule), "%s", ic->rule ? ic->rule : "ike");
	memcpy(c->sel, ic->sel, ic->nsel * sizeof(ic->sel[0]));
	c->nsel = ic->nsel;
	d->nchild++;
	/* The ESP sockets route by a table of their own; a new peer needs its entry. */
	if (d->steering && dp_route_peers(&ic->out.dst, 1) < 0)
		log_warn("child %" PRIu32 ": no bypass route to %s", ic->id,
			 ipaddr_fmt(&ic->out.dst, a));
	log_info("child %" PRIu32 " (%s) installed: in 0x%08" PRIx32 " out 0x%08" PRIx32
		 " peer %s, %zu selectors%s",
		 c->id, c->rule, ic->in.spi, ic->out.spi, ipaddr_fmt(&ic->out.dst, a), c->nsel,
		 ic->replaces ? " (rekey)" : "");
	return 0;
}

/* RFC 7296 2.23: the peer's NAT mapping changed. Only where the pair's packets go moves; the
 * SAs keep keys, sequence numbers, replay window and counters. */
int dpath_child_move(struct dpath *d, uint32_t id, const struct ipaddr *peer, uint16_t port)
{
	struct dp_child *c = dp_child_find(d, id);
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];
	bool new_addr;

	if (!c)
		return -ENOENT;
	if (!c->out->udp_encap || !port || peer->af != c->out->dst.af)
		return -ENOTSUP;
	new_addr = !ipaddr_eq(peer, &c->out->dst);
	/* Transport mode: the selectors name the peer's (NAT's) address itself (RFC 7296
	 * 2.23.1); they move with it. */
	for (size_t i = 0; new_addr && c->out->mode == SA_MODE_TRANSPORT && i < c->nsel; i++)
		if (ipaddr_eq(&c->sel[i].remote, &c->out->dst))
			c->sel[i].remote = *peer;
	log_info("child %" PRIu32 " (%s): peer moved from %s port %u to %s port %u (NAT mapping "
		 "changed), SPIs 0x%08" PRIx32 "/0x%08" PRIx32 " kept",
		 id, c->rule, ipaddr_fmt(&c->out->dst, a), c->out->encap_dport, ipaddr_fmt(peer, b),
		 port, c->in->spi, c->out->spi);
	c->out->dst = *peer;
	c->out->encap_dport = port;
	c->in->src = *peer;
	c->in->encap_sport = port;
	if (new_addr && d->steering && dp_route_peers(peer, 1) < 0)
		log_warn("child %" PRIu32 ": no bypass route to %s", id, b);
	return 0;
}

void dpath_child_del(struct dpath *d, uint32_t id)
{
	struct dp_child *c = dp_child_find(d, id);

	if (!c)
		return;
	sad_remove(d->sad, c->in->spi, &c->in->dst, c->in->proto);
	sa_free(c->in);
	sa_free(c->out);
	log_info("child %" PRIu32 " (%s) removed", id, c->rule);
	dp_child_clear(c);
	d->nchild--;
}

int dpath_output_clear(struct dpath *d, const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage ss;
	struct raw_meta m = { .dport = 0 };
	struct ip_info ii;
	struct msghdr mh;
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
	unsigned f;

	if (ip_parse(pkt, len, IP_WALK_ULP, &ii) != IP_OK)
		return -EINVAL;
	f = ii.dst.af == AF_INET6;
	if (d->clear_fd[f] < 0)
		return -ENOTSUP;
	m.dst = ii.dst;
	memset(&mh, 0, sizeof(mh));
	raw_meta_write(f ? AF_INET6 : AF_INET, &mh, &ss, NULL, &m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(d->clear_fd[f], &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* IPPROTO_RAW sockets take the whole packet (header included, RFC 3542 for IPv6 too in
 * Linux); the bypass mark keeps them out of the TUN. */
int dp_open_clear(struct dpath *d)
{
	static const int af[2] = { AF_INET, AF_INET6 };
	int mark = (int)DP_MARK_BYPASS;

	for (unsigned f = 0; f < 2; f++) {
		d->clear_fd[f] =
			socket(af[f], SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
		if (d->clear_fd[f] < 0 ||
		    setsockopt(d->clear_fd[f], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
			log_err("%s clear socket: %s", f ? "IPv6" : "IPv4", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

void dp_children_free(struct dpath *d)
{
	for (size_t i = 0; d->child && i < DP_CHILD_MAX; i++)
		if (d->child[i].id)
			dpath_child_del(d, d->child[i].id);
	free(d->child);
	d->child = NULL;
}

/* Reload: IKE pairs are not the configuration's; their inbound SAs move to the new SAD. */
void dp_children_move(struct dpath *d, struct sad *nsad)
{
	for (size_t i = 0; d->child && i < DP_CHILD_MAX; i++) {
		struct dp_child *c = &d->child[i];

		if (!c->id)
			continue;
		sad_remove(d->sad, c->in->spi, &c->in->dst, c->in->proto);
		if (sad_add(nsad, c->in) == 0)
			continue;
		log_err("reload: child %" PRIu32 " lost (inbound SPI clash or no memory)", c->id);
		sa_free(c->in);
		sa_free(c->out);
		dp_child_clear(c);
		d->nchild--;
	}
}
