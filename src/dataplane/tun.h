/* The TUN device protected traffic is steered into (IFF_TUN | IFF_NO_PI: one read, one IP
 * packet). The device is not persistent: it disappears, with every route through it, when the
 * daemon closes it or dies. */
#ifndef ESPRIT_DATAPLANE_TUN_H
#define ESPRIT_DATAPLANE_TUN_H

#include <net/if.h>

struct tun {
	int fd;
	int ifindex;
	char name[IFNAMSIZ];
};

/* Create (or attach to) the device, switch offloads off explicitly (TUNSETOFFLOAD persists on
 * persistent devices), make it non-persistent and non-blocking, then set MTU, txqueuelen and up
 * over rtnetlink. 0 or -errno; on failure nothing is left open. */
int tun_open(struct tun *t, const char *name, unsigned mtu, unsigned txqlen);
void tun_close(struct tun *t);

#endif
