/* Policy rules and routes (see route.h). */
#include "dataplane/route.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/dp.h"
#include "dataplane/nl.h"
#include "lib/log.h"

/* Packets that came out of the TUN carry DP_MARK_STEER (reverse-path filtering finds the TUN
 * route for their source, and what is not for this host goes back into the TUN). On a
 * gateway, nft marks those a tunnel rule routes on into its network DP_MARK_ROUTEON instead:
 * `iif <tun> fwmark ROUTEON lookup main` routes them; the reverse path check has no input
 * interface, so for it a second rule after the steering one sends the mark to the steering
 * table too. */
#define ROUTE_PRIO_ROUTEON    (DP_PRIO_BYPASS - 1)
#define ROUTE_PRIO_ROUTEON_RP (DP_PRIO_STEER + 1)

#define ROUTE_FLUSH_MAX 64
#define ROUTE_MSG_MAX	512

/* mark 0: no fwmark match; iif: the input interface it applies to, or NULL (any; on delete:
 * whatever it names). */
static int route_rule(struct nl *nl, uint16_t type, int af, uint32_t prio, uint32_t mark,
		      uint32_t table, const char *iif)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *fr;

	nlh = nl_msg(nl, buf, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));
	fr->family = (uint8_t)af;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	if (mark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	}
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, DP_RTPROT);
	if (iif)
		mnl_attr_put_strz(nlh, FRA_IIFNAME, iif);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Add a unicast route: dst/plen (plen 0: default) in table via oif (and gw if set), with an
 * MTU metric unless mtu is 0. */
static int route_add_mtu(struct nl *nl, uint32_t table, const struct ipaddr *dst, uint8_t plen,
			 int af, uint32_t oif, const struct ipaddr *gw, uint32_t mtu)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;

	nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)af;
	rt->rtm_dst_len = plen;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = DP_RTPROT;
	rt->rtm_type = RTN_UNICAST;
	rt->rtm_scope = gw && gw->af ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (plen)
		mnl_attr_put(nlh, RTA_DST, ipaddr_len(dst), dst->b);
	if (gw && gw->af)
		mnl_attr_put(nlh, RTA_GATEWAY, ipaddr_len(gw), gw->b);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	if (mtu) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, RTA_METRICS);

		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_nest_end(nlh, nest);
	}
	return nl_talk(nl, nlh, NULL, NULL);
}

static int route_add(struct nl *nl, uint32_t table, const struct ipaddr *dst, uint8_t plen, int af,
		     uint32_t oif, const struct ipaddr *gw)
{
	return route_add_mtu(nl, table, dst, plen, af, oif, gw, 0);
}

/* A default blackhole route behind the TUN route (higher metric). It is not bound to a device,
 * so when the daemon dies and its TUN disappears with the TUN route, steered traffic still
 * finds this route and is dropped instead of falling through to the main table in clear. */
static int route_blackhole(struct nl *nl, uint32_t table, int af)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;

	nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)af;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = DP_RTPROT;
	rt->rtm_type = RTN_BLACKHOLE;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, DP_FAILCLOSED_METRIC);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct route_found {
	int af;
	uint32_t oif;
	struct ipaddr gw;
};

static int route_get_attr(const struct nlattr *a, void *arg)
{
	struct route_found *f = arg;

	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
		f->oif = mnl_attr_get_u32(a);
	else if (mnl_attr_get_type(a) == RTA_GATEWAY &&
		 mnl_attr_get_payload_len(a) == (f->af == AF_INET6 ? 16u : 4u)) {
		f->gw.af = (uint8_t)f->af;
		memcpy(f->gw.b, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	}
	return MNL_CB_OK;
}

static int route_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		mnl_attr_parse(nlh, sizeof(struct rtmsg), route_get_attr, arg);
	return MNL_CB_OK;
}

/* What the main routing decision says for dst: outgoing interface and gateway. */
static int route_get(struct nl *nl, const struct ipaddr *dst, struct route_found *f)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	int rc;

	memset(f, 0, sizeof(*f));
	f->af = dst->af;
	nlh = nl_msg(nl, buf, RTM_GETROUTE, 0);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = dst->af;
	rt->rtm_dst_len = (uint8_t)(ipaddr_len(dst) * 8);
	mnl_attr_put(nlh, RTA_DST, ipaddr_len(dst), dst->b);
	rc = nl_talk(nl, nlh, route_get_cb, f);
	if (rc == 0 && !f->oif)
		rc = -ENETUNREACH;
	return rc;
}

static int route_peer_copy(struct nl *nl, const struct ipaddr *peer)
{
	char txt[IPADDR_STRLEN];
	struct route_found f;
	int rc;

	rc = route_get(nl, peer, &f);
	if (rc == 0)
		rc = route_add(nl, DP_TABLE_BYPASS, peer, (uint8_t)(ipaddr_len(peer) * 8), peer->af,
			       f.oif, &f.gw);
	if (rc < 0)
		log_err("route: ESP route to %s: %s", ipaddr_fmt(peer, txt), strerror(-rc));
	return rc;
}

int dp_route_setup(int tun_ifindex, unsigned af_mask, const struct ipaddr *peers, size_t npeers)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	char tun[IF_NAMESIZE];
	struct nl nl;
	int rc;

	if (!if_indextoname((unsigned)tun_ifindex, tun))
		return -errno;
	rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < 2 && rc == 0; i++) {
		if (!(af_mask & (1u << i)))
			continue;
		rc = route_rule(&nl, RTM_NEWRULE, fams[i], DP_PRIO_BYPASS, DP_MARK_BYPASS,
				DP_TABLE_BYPASS, NULL);
		if (rc == 0)
			rc = route_rule(&nl, RTM_NEWRULE, fams[i], ROUTE_PRIO_ROUTEON,
					DP_MARK_ROUTEON, RT_TABLE_MAIN, tun);
		if (rc == 0)
			rc = route_rule(&nl, RTM_NEWRULE, fams[i], ROUTE_PRIO_ROUTEON_RP,
					DP_MARK_ROUTEON, DP_TABLE_STEER, NULL);
		if (rc == 0)
			rc = route_rule(&nl, RTM_NEWRULE, fams[i], DP_PRIO_STEER, DP_MARK_STEER,
					DP_TABLE_STEER, NULL);
		if (rc == 0)
			rc = route_blackhole(&nl, DP_TABLE_STEER, fams[i]);
		if (rc == 0)
			rc = route_add(&nl, DP_TABLE_STEER, NULL, 0, fams[i], (uint32_t)tun_ifindex,
				       NULL);
		if (rc < 0)
			log_err("route: %s rules/routes: %s", i ? "IPv6" : "IPv4", strerror(-rc));
	}
	for (size_t i = 0; i < npeers && rc == 0; i++)
		rc = route_peer_copy(&nl, &peers[i]);
	nl_close(&nl);
	return rc;
}

int dp_route_peers(const struct ipaddr *peers, size_t npeers)
{
	struct nl nl;
	int rc;

	rc = nl_open(&nl);
	for (size_t i = 0; i < npeers && rc == 0; i++)
		rc = route_peer_copy(&nl, &peers[i]);
	if (nl.sk)
		nl_close(&nl);
	return rc;
}

int dp_route_mtu(int tun_ifindex, const struct ipaddr *dst, uint8_t plen, uint32_t mtu)
{
	struct nl nl;
	int rc;

	rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	rc = route_add_mtu(&nl, DP_TABLE_STEER, dst, plen, dst->af, (uint32_t)tun_ifindex, NULL,
			   mtu);
	nl_close(&nl);
	return rc;
}

/* Routes of ours found by a dump, deleted after the dump ends (the socket is busy until then).
 */
struct route_flush {
	size_t n;
	uint8_t msg[ROUTE_FLUSH_MAX][ROUTE_MSG_MAX];
};

static int route_table_attr(const struct nlattr *a, void *arg)
{
	if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
		*(uint32_t *)arg = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct route_flush *fl = arg;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	uint32_t table = rt->rtm_table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rt->rtm_protocol != DP_RTPROT)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rt), route_table_attr, &table);
	if (table != DP_TABLE_STEER && table != DP_TABLE_BYPASS)
		return MNL_CB_OK;
	if (fl->n < ROUTE_FLUSH_MAX && nlh->nlmsg_len <= ROUTE_MSG_MAX)
		memcpy(fl->msg[fl->n++], nlh, nlh->nlmsg_len);
	return MNL_CB_OK;
}

static int route_flush_family(struct nl *nl, int af, struct route_flush *fl)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	int rc;

	fl->n = 0;
	nlh = nl_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)af;
	rc = nl_talk(nl, nlh, route_dump_cb, fl);
	for (size_t i = 0; i < fl->n && rc == 0; i++) {
		struct nlmsghdr *d = (struct nlmsghdr *)fl->msg[i];

		d->nlmsg_type = RTM_DELROUTE;
		d->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		d->nlmsg_seq = ++nl->seq;
		d->nlmsg_pid = 0;
		rc = nl_talk(nl, d, NULL, NULL);
		if (rc == -ESRCH || rc == -ENOENT)
			rc = 0;
	}
	return rc;
}

int dp_route_cleanup(void)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	static struct route_flush fl;
	struct nl nl;
	int rc, err = 0;

	rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < 2; i++) {
		/* A crashed run may have left a rule more than once; delete until none is left. */
		for (int k = 0; k < 16; k++)
			if (route_rule(&nl, RTM_DELRULE, fams[i], DP_PRIO_BYPASS, DP_MARK_BYPASS,
				       DP_TABLE_BYPASS, NULL) < 0)
				break;
		for (int k = 0; k < 16; k++)
			if (route_rule(&nl, RTM_DELRULE, fams[i], ROUTE_PRIO_ROUTEON,
				       DP_MARK_ROUTEON, RT_TABLE_MAIN, NULL) < 0)
				break;
		for (int k = 0; k < 16; k++)
			if (route_rule(&nl, RTM_DELRULE, fams[i], ROUTE_PRIO_ROUTEON_RP,
				       DP_MARK_ROUTEON, DP_TABLE_STEER, NULL) < 0)
				break;
		for (int k = 0; k < 16; k++)
			if (route_rule(&nl, RTM_DELRULE, fams[i], DP_PRIO_STEER, DP_MARK_STEER,
				       DP_TABLE_STEER, NULL) < 0)
				break;
		rc = route_flush_family(&nl, fams[i], &fl);
		if (rc < 0) {
			log_warn("route: flushing %s routes: %s", i ? "IPv6" : "IPv4",
				 strerror(-rc));
			err = rc;
		}
	}
	nl_close(&nl);
	return err;
}
