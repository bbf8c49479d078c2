/* TUN device setup: ioctl for the device, rtnetlink (libmnl) for the link attributes. */
#include "dataplane/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dataplane/nl.h"
#include "wire/tso.h"
#include "lib/log.h"

/* RTM_NEWLINK on an existing link: MTU, txqueuelen and IPv6 address generation first, then
 * IFF_UP in a second request -- set together, the kernel brings the link up (and makes a
 * link-local address) before it reads the address generation mode. */
static int tun_link_set(int ifindex, unsigned mtu, unsigned txqlen)
{
	uint8_t buf[NL_BUF_SIZE];
	struct nlattr *af, *in6;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nl nl;
	int rc;

	rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	nlh = nl_msg(&nl, buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	/* No IPv6 link-local address: the kernel would otherwise send router solicitations and
	 * MLD reports into the TUN, which no SA covers. */
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	rc = nl_talk(&nl, nlh, NULL, NULL);
	if (rc == 0) {
		nlh = nl_msg(&nl, buf, RTM_NEWLINK, 0);
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
		rc = nl_talk(&nl, nlh, NULL, NULL);
	}
	nl_close(&nl);
	return rc;
}

/* Reverse path filtering (rp_filter 1 or 2) drops what we write into the TUN: the sources
 * route elsewhere and the TUN has no IPv4 address. With src_valid_mark on the TUN alone, the
 * check uses the mark that nft's prerouting chain gives our packets, finds the TUN route and
 * passes -- without weakening the host's own rp_filter setting. */
static void tun_src_valid_mark(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/src_valid_mark", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1\n", 2) != 2)
		log_warn("tun: %s: cannot set src_valid_mark (%s); rp_filter may drop inbound "
			 "traffic",
			 name, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* An A/B switch for benchmarks: on unless the variable is "0". */
static bool tun_want(const char *var)
{
	const char *env = getenv(var);

	return !env || strcmp(env, "0");
}

/* With a virtio_net_hdr: TCP segmentation (IPv4, IPv6) and checksum offload, so the kernel
 * hands over up to 64 KiB of one TCP flow per read. Without: none, every read is one finished
 * IP packet. */
static int tun_offload(struct tun *t)
{
	int hl = TSO_VNET_HDR_LEN;

	if (!t->vnet)
		return ioctl(t->fd, TUNSETOFFLOAD, 0UL);
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hl) < 0)
		return -1;
	return ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
}

int tun_open(struct tun *t, const char *name, unsigned mtu, unsigned txqlen)
{
	struct ifreq ifr;
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0) {
		rc = -errno;
		log_err("tun: /dev/net/tun: %s", strerror(errno));
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	t->vnet = tun_want("ESPRIT_TUN_OFFLOAD");
	t->gro = t->vnet && tun_want("ESPRIT_TUN_GRO");
	t->gro_udp = t->gro && tun_want("ESPRIT_TUN_GRO_UDP");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (t->vnet ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = 0;
	if (tun_offload(t) < 0)
		goto fail;
	/* A leftover persistent device of this name must not outlive us. */
	if (ioctl(t->fd, TUNSETPERSIST, 0UL) < 0)
		goto fail;
	t->ifindex = (int)if_nametoindex(t->name);
	if (!t->ifindex)
		goto fail;
	rc = tun_link_set(t->ifindex, mtu, txqlen);
	if (rc < 0) {
		log_err("tun: %s: link setup: %s", t->name, strerror(-rc));
		close(t->fd);
		t->fd = -1;
		return rc;
	}
	tun_src_valid_mark(t->name);
	log_info("tun: %s up (ifindex %d, mtu %u, txqueuelen %u, segmentation offload %s, receive "
		 "coalescing %s, UDP %s)",
		 t->name, t->ifindex, mtu, txqlen, t->vnet ? "on" : "off", t->gro ? "on" : "off",
		 t->gro_udp ? "on" : "off");
	return 0;
fail:
	rc = -errno;
	log_err("tun: %s: %s", name, strerror(errno));
	close(t->fd);
	t->fd = -1;
	return rc;
}

void tun_close(struct tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
