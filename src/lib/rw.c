/* Bounds-checked reader and writer; see rw.h. */
#include "lib/rw.h"

#include <string.h>

void rd_init(struct rd *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->off = 0;
	r->err = false;
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > rd_left(r)) {
		r->err = true;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);

	return p ? get_be16(p) : 0;
}

uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);

	return p ? get_be32(p) : 0;
}

uint64_t rd_u64(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 8);

	return p ? (uint64_t)get_be32(p) << 32 | get_be32(p + 4) : 0;
}

bool rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);

	if (!p) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, p, n);
	return true;
}

bool rd_skip(struct rd *r, size_t n)
{
	return rd_bytes(r, n) != NULL;
}

const uint8_t *rd_bytes_end(struct rd *r, size_t n)
{
	if (r->err || n > rd_left(r)) {
		r->err = true;
		return NULL;
	}
	r->len -= n;
	return r->buf + r->len;
}

bool rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	const uint8_t *p = rd_bytes(r, n);

	rd_init(sub, p, p ? n : 0);
	sub->err = p == NULL;
	return p != NULL;
}

void wr_init(struct wr *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->off = 0;
	w->err = false;
}

uint8_t *wr_reserve(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > wr_room(w)) {
		w->err = true;
		return NULL;
	}
	p = w->buf + w->off;
	w->off += n;
	return p;
}

void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_reserve(w, 1);

	if (p)
		p[0] = v;
}

void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_reserve(w, 2);

	if (p)
		put_be16(p, v);
}

void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_reserve(w, 4);

	if (p)
		put_be32(p, v);
}

void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t *p = wr_reserve(w, 8);

	if (p) {
		put_be32(p, (uint32_t)(v >> 32));
		put_be32(p + 4, (uint32_t)v);
	}
}

void wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_reserve(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void wr_zero(struct wr *w, size_t n)
{
	uint8_t *p = wr_reserve(w, n);

	if (p && n)
		memset(p, 0, n);
}
