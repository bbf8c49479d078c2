/* Raw IP sockets for ESP (protocol 50) and AH (51), one per family and protocol, used to send
 * and to receive. They carry DP_MARK_BYPASS (SO_MARK) so nftables never steers our own output
 * back into the TUN. Packets cross this API as whole IP packets in pbufs:
 *   - AF_INET raw sockets deliver the IPv4 header; it is kept as is.
 *   - AF_INET6 raw sockets deliver only the payload; the IPv6 header is rebuilt in the pbuf's
 *     headroom from msg_name (source), IPV6_PKTINFO (destination), IPV6_HOPLIMIT and
 *     IPV6_TCLASS.
 * Sending strips the IP header again and passes its fields as ancillary data (IP_PKTINFO /
 * IPV6_PKTINFO for the source, TTL / hop limit and TOS / traffic class), so the kernel builds
 * the outer header from what the transform produced. Batches use recvmmsg/sendmmsg.
 * Except IPv4 AH: its ICV covers the Identification field (RFC 4302 3.3.3.1.1.1), which the
 * kernel would choose anew, so that socket sends the whole packet (IP_HDRINCL).
 *
 * The same API carries ESP in UDP (RFC 3948) on a UDP socket bound to port 4500: sending puts
 * the ESP part of the packet in a datagram to the peer's port 4500; receiving rebuilds an IP
 * header with protocol 50 in front of the datagram's payload (IPv4 too: UDP sockets deliver
 * only the payload), so the ESP transform sees the same packet either way. NAT keepalives
 * (RFC 3948 2.3) come back with len 0 and IKE messages with the non-ESP marker (RFC 3948 2.2)
 * without the marker, both marked in r->kind[] so the caller hands IKE to the engine.
 * raw_open_udp() also serves IKE's own port 500 socket: same options, same meta helpers.
 */
#ifndef ESPRIT_DATAPLANE_RAW_H
#define ESPRIT_DATAPLANE_RAW_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dp.h"
#include "lib/pbuf.h"

#define RAW_CMSG_SPACE 128

/* What a received datagram turned out to be (RFC 3948 2.2, 2.3 on UDP sockets). */
enum raw_kind {
	RAW_IP,	       /* a whole IP packet of the socket's protocol is in the pbuf */
	RAW_NON_ESP,   /* UDP: an IKE message, marker removed, in the pbuf; see meta */
	RAW_KEEPALIVE, /* UDP: NAT keepalive (0xff); len 0 */
	RAW_BAD,       /* truncated or unusable; len 0 */
};

/* The addresses and IP header fields of one datagram, for both families alike: received
 * ones from msg_name and ancillary data, sent ones into them. */
struct raw_meta {
	struct ipaddr src, dst; /* received: src = the peer, dst = our address */
	uint16_t sport, dport;	/* UDP ports, host order (received: sport = the peer's) */
	int hops;		/* TTL / hop limit */
	uint8_t tclass;		/* TOS / traffic class */
};

struct raw_sock {
	int fd;
	int af;
	uint8_t proto;	   /* IPPROTO_ESP for UDP encapsulation */
	uint16_t udp_port; /* nonzero: ESP-in-UDP socket, peer port (host order) */
	bool hdrincl;	   /* IPv4 AH: the packet goes out with our own IP header */
	bool gso, gro;	   /* ESP in UDP: UDP_SEGMENT on send, UDP_GRO on receive */
	/* Per-batch scratch, kept here so the packet path allocates nothing. */
	struct mmsghdr msg[DP_BATCH];
	struct iovec iov[DP_BATCH];
	struct sockaddr_storage name[DP_BATCH];
	uint8_t cmsg[DP_BATCH][RAW_CMSG_SPACE];
	/* Set by raw_recv_batch() per packet. */
	uint8_t kind[DP_BATCH];		/* enum raw_kind */
	struct raw_meta meta[DP_BATCH]; /* UDP sockets and IPv6 */
	uint16_t seg[DP_BATCH]; /* UDP_GRO segment size, 0 = one datagram (raw_recv_segment) */
	unsigned npk[DP_BATCH]; /* while sending: packets per message (UDP_SEGMENT) */
};

/* Ancillary data: switch on IP_PKTINFO / IPV6_RECVPKTINFO, TTL / hop limit and TOS / traffic
 * class reception on fd. 0 or -errno. */
int raw_want_meta(int fd, int af);
/* Read a received message's source (msg_name) and destination, hop limit and traffic
 * class (ancillary data). 0, or -1 without a destination or source of the family. */
int raw_meta_read(int af, const struct msghdr *mh, struct raw_meta *m);
/* Prepare mh to send to m->dst (port m->dport) from m->src, with m->hops and m->tclass
 * when hops is nonzero: msg_name into *name, ancillary data into cbuf (RAW_CMSG_SPACE). */
void raw_meta_write(int af, struct msghdr *mh, struct sockaddr_storage *name, uint8_t *cbuf,
		    const struct raw_meta *m);

/* Open a raw socket (non-blocking, close-on-exec, SO_MARK, large buffers, IPv6 ancillary data
 * switched on). 0 or -errno. */
int raw_open(struct raw_sock *r, int af, uint8_t proto, uint32_t mark);
/* An ESP-in-UDP socket bound to port (4500) of the family, sending to the same port. */
int raw_open_udp(struct raw_sock *r, int af, uint16_t port, uint32_t mark);
/* Segmentation offload on the ESP-in-UDP socket where the kernel has it (environment
 * ESPRIT_UDP_OFFLOAD=0 leaves it off, for benchmarks): a run of equal-size packets to one peer
 * leaves in one sendmsg with UDP_SEGMENT, and received datagrams may come coalesced (UDP_GRO,
 * see raw_recv_segment). Not for IKE's port 500 socket, whose reader takes whole datagrams. */
void raw_udp_offload(struct raw_sock *r);
void raw_close(struct raw_sock *r);

/* Path MTU (RFC 1191, RFC 8201): switch on IP_RECVERR / IPV6_RECVERR so ICMP errors about our
 * own packets are queued on the socket (epoll then reports EPOLLERR). 0 or -errno. */
int raw_want_errors(int fd, int af);

/* One ICMP "fragmentation needed" (IPv4 type 3 code 4) or "packet too big" (ICMPv6 type 2)
 * about a packet this socket sent. */
struct raw_pmtu {
	struct ipaddr dst; /* the quoted packet's destination (our peer) */
	uint32_t mtu;	   /* next-hop MTU the router reported */
	uint32_t spi;	   /* SPI of the quoted ESP/AH header, 0 when it was cut off */
};

/* Read one message from the socket's error queue. 1: a path MTU report in *p; 0: some other
 * error, consumed; -EAGAIN: the queue is empty; other -errno. */
int raw_err_read(struct raw_sock *r, struct raw_pmtu *p);

/* Receive up to n (<= DP_BATCH) packets; pbs[i] must be initialised with at least 40 bytes of
 * headroom. r->kind[i] says what each one is; anything but RAW_IP and RAW_NON_ESP comes back
 * with len 0. Returns how many, 0 if none is waiting, or -errno. */
int raw_recv_batch(struct raw_sock *r, struct pbuf *pbs, unsigned n);

/* A message with r->seg[i] != 0 after raw_recv_batch holds several coalesced datagrams, as
 * they came (r->kind[i] not yet set). raw_recv_segment copies the one at byte off of whole
 * into out (initialised, with headroom) and classifies it like raw_recv_batch would have
 * (r->kind[i] says what it is; len 0 unless RAW_IP or RAW_NON_ESP). Returns the bytes of
 * whole it used, 0 past the end. */
size_t raw_recv_segment(struct raw_sock *r, unsigned i, const struct pbuf *whole, size_t off,
			struct pbuf *out);

/* Send n (<= DP_BATCH) whole IP packets of the socket's family whose IP header is directly
 * followed by the socket's protocol. Returns the number the kernel took; *bad counts packets
 * refused before sending (wrong family/protocol, truncated header). */
int raw_send_batch(struct raw_sock *r, struct pbuf *const *pbs, unsigned n, unsigned *bad);

#endif
