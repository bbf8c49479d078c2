/* The TUN device protected traffic is steered into (IFF_TUN | IFF_NO_PI: one read, one IP
 * packet). The device is not persistent: it disappears, with every route through it, when the
 * daemon closes it or dies. */
#ifndef ESPRIT_DATAPLANE_TUN_H
#define ESPRIT_DATAPLANE_TUN_H

#include <net/if.h>
#include <stdbool.h>

struct tun {
	int fd;
	int ifindex;
	bool vnet;    /* IFF_VNET_HDR with TSO4/TSO6/CSUM: a virtio_net_hdr before every packet */
	bool gro;     /* vnet, and inbound segments may be coalesced into GSO writes (wire/gro.h) */
	bool gro_udp; /* gro, and UDP datagrams too (GSO UDP_L4) unless ESPRIT_TUN_GRO_UDP=0 */
	char name[IFNAMSIZ];
};

/* Create (or attach to) the device, set offloads explicitly (TUNSETOFFLOAD persists on
 * persistent devices), make it non-persistent and non-blocking, then set MTU, txqueuelen and up
 * over rtnetlink. 0 or -errno; on failure nothing is left open. Offloads: with IFF_VNET_HDR
 * (t->vnet), TCP segmentation and checksum offload are on, so reads may return one large TCP
 * packet to segment (wire/tso.h); environment ESPRIT_TUN_OFFLOAD=0 switches them off
 * (one finished IP packet per read, for A/B benchmarks). With them, writes may carry a GSO
 * packet of coalesced inbound segments (t->gro) unless ESPRIT_TUN_GRO=0. */
int tun_open(struct tun *t, const char *name, unsigned mtu, unsigned txqlen);
void tun_close(struct tun *t);

#endif
