/* Bounds-checked reader and writer: the only way esprit code touches packet bytes.
 *
 * Both carry a sticky error flag. A read past the end returns zero (or NULL for byte runs),
 * sets the flag and leaves the position where it was, so a parser can read a whole header and
 * test rd_ok() once. Multi-byte integers are network byte order.
 */
#ifndef ESPRIT_LIB_RW_H
#define ESPRIT_LIB_RW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *buf;
	size_t len; /* end of readable data; rd_bytes_end() shrinks it */
	size_t off;
	bool err;
};

struct wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	bool err;
};

void rd_init(struct rd *r, const void *buf, size_t len);
static inline bool rd_ok(const struct rd *r)
{
	return !r->err;
}
static inline size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}
static inline const uint8_t *rd_ptr(const struct rd *r)
{
	return r->buf + r->off;
}
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u32(struct rd *r);
uint64_t rd_u64(struct rd *r);
/* n bytes at the current position, or NULL (and the error flag) if fewer remain. */
const uint8_t *rd_bytes(struct rd *r, size_t n);
/* Copy n bytes out; zero-fills dst on underrun. */
bool rd_copy(struct rd *r, void *dst, size_t n);
bool rd_skip(struct rd *r, size_t n);
/* The last n readable bytes; they are no longer readable from the front (trailers, ICVs). */
const uint8_t *rd_bytes_end(struct rd *r, size_t n);
/* A sub-reader over the next n bytes, which the parent skips. */
bool rd_sub(struct rd *r, size_t n, struct rd *sub);

void wr_init(struct wr *w, void *buf, size_t cap);
static inline bool wr_ok(const struct wr *w)
{
	return !w->err;
}
static inline size_t wr_len(const struct wr *w)
{
	return w->off;
}
static inline size_t wr_room(const struct wr *w)
{
	return w->cap - w->off;
}
void wr_u8(struct wr *w, uint8_t v);
void wr_u16(struct wr *w, uint16_t v);
void wr_u32(struct wr *w, uint32_t v);
void wr_u64(struct wr *w, uint64_t v);
void wr_bytes(struct wr *w, const void *src, size_t n);
void wr_zero(struct wr *w, size_t n);
/* Reserve n bytes to fill later (length fields); NULL on overflow. */
uint8_t *wr_reserve(struct wr *w, size_t n);

/* Unchecked big-endian helpers for fields already proven in bounds. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
