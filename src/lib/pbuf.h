/* Packet buffer with headroom and tailroom.
 *
 * The data path receives a packet at an offset inside a fixed buffer so that outer headers
 * (IP, UDP, ESP/AH, IV) can be written in front of it and the trailer and ICV behind it without
 * copying the payload. A pbuf never allocates: its storage belongs to the caller (a ring of
 * buffers in the daemon, a stack array in tests).
 *
 *   head                 head+off          head+off+len            head+size
 *   |<---- headroom ----->|<----- data ----->|<----- tailroom ----->|
 */
#ifndef ESPRIT_LIB_PBUF_H
#define ESPRIT_LIB_PBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Room the transforms may need in front (outer IPv6 40 + UDP 8 + ESP 8 + IV 16 + AH 12+32,
 * rounded up) and behind (padding 255 + pad length + next header + ICV 32). */
#define PBUF_HEADROOM 128
#define PBUF_TAILROOM 320

struct pbuf {
	uint8_t *head;
	size_t size;
	size_t off;
	size_t len;
	/* ESP in UDP (RFC 3948): the peer's UDP port when it is not the socket's own (a NAT in
	 * front of the peer maps its 4500 to another port, RFC 7296 2.23); 0 = the socket's. */
	uint16_t udp_dport;
};

static inline void pbuf_init(struct pbuf *pb, void *storage, size_t size, size_t headroom)
{
	pb->head = storage;
	pb->size = size;
	pb->off = headroom <= size ? headroom : size;
	pb->len = 0;
	pb->udp_dport = 0;
}

static inline uint8_t *pbuf_data(const struct pbuf *pb)
{
	return pb->head + pb->off;
}

static inline size_t pbuf_headroom(const struct pbuf *pb)
{
	return pb->off;
}

static inline size_t pbuf_tailroom(const struct pbuf *pb)
{
	return pb->size - pb->off - pb->len;
}

/* Grow the data by n bytes in front; returns the new start, or NULL if there is no room. */
static inline uint8_t *pbuf_push(struct pbuf *pb, size_t n)
{
	if (n > pb->off)
		return NULL;
	pb->off -= n;
	pb->len += n;
	return pbuf_data(pb);
}

/* Drop n bytes from the front; returns the new start, or NULL if there are fewer. */
static inline uint8_t *pbuf_pull(struct pbuf *pb, size_t n)
{
	if (n > pb->len)
		return NULL;
	pb->off += n;
	pb->len -= n;
	return pbuf_data(pb);
}

/* Grow the data by n bytes at the end; returns a pointer to the new bytes, or NULL. */
static inline uint8_t *pbuf_put(struct pbuf *pb, size_t n)
{
	uint8_t *p;

	if (n > pbuf_tailroom(pb))
		return NULL;
	p = pbuf_data(pb) + pb->len;
	pb->len += n;
	return p;
}

/* Drop n bytes from the end; 0 or -1 if there are fewer. */
static inline int pbuf_trim(struct pbuf *pb, size_t n)
{
	if (n > pb->len)
		return -1;
	pb->len -= n;
	return 0;
}

/* Copy len bytes in as the data, leaving headroom bytes in front; -1 if it does not fit. */
static inline int pbuf_set(struct pbuf *pb, size_t headroom, const void *src, size_t len)
{
	if (headroom > pb->size || len > pb->size - headroom)
		return -1;
	pb->off = headroom;
	pb->len = len;
	memcpy(pbuf_data(pb), src, len);
	return 0;
}

#endif
