/* Inbound anti-replay window: RFC 4303 3.4.3 semantics, RFC 4303 Appendix A for the high
 * half of Extended Sequence Numbers, RFC 6479 for the bitmap layout.
 *
 * The window covers [top - size + 1, top]. The bitmap is a ring of 64-bit blocks; the bit for
 * number s lives in block (s / 64) mod nblocks at position s mod 64 (shifts and masks only).
 * Moving the window forward clears the blocks it enters rather than shifting every bit, so
 * the per-packet cost does not depend on the window size.
 *
 * Window size 0 turns anti-replay off (RFC 4303 3.4.3 lets the receiver do that): every
 * number except 0 passes. With ESN the high half must still be inferred, so `top` is still
 * tracked; for that inference alone a window of 2^31 is used, which makes Appendix A pick the
 * candidate nearest to top. That tolerates any reordering short of 2^31 packets, as one would
 * want when replays are not being policed; a wrong guess only costs an ICV failure.
 */
#include "sa/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SHIFT 6u
#define BLOCK_BITS  (1u << BLOCK_SHIFT)
#define BLOCK_MASK  (BLOCK_BITS - 1u)

#define REPLAY_ESN_INFER_DISABLED (1u << 31)

int replay_init(struct replay_window *w, uint32_t size)
{
	uint32_t need, n = 1;

	memset(w, 0, sizeof(*w));
	if (size > REPLAY_WINDOW_MAX)
		return -EINVAL;
	w->size = size;
	if (size == 0)
		return 0;
	/* RFC 6479 3: whole blocks for the window plus one spare, so the block holding top can
	 * be partly "in the future" while everything the window covers is still in the ring. */
	need = ((size + BLOCK_MASK) >> BLOCK_SHIFT) + 1;
	while (n < need)
		n <<= 1;
	w->bitmap = calloc(n, sizeof(*w->bitmap));
	if (!w->bitmap)
		return -ENOMEM;
	w->nblocks = n;
	return 0;
}

void replay_free(struct replay_window *w)
{
	if (!w)
		return;
	free(w->bitmap);
	memset(w, 0, sizeof(*w));
}

static uint64_t *replay_block(const struct replay_window *w, uint64_t s)
{
	return &w->bitmap[(s >> BLOCK_SHIFT) & (w->nblocks - 1)];
}

static uint64_t replay_bit(uint64_t s)
{
	return 1ull << (s & BLOCK_MASK);
}

/* RFC 4303 Appendix A2.1/A2.2: pick Seqh so the full number lands in the window or ahead of
 * it. Case A: the window [Bl, Tl] lies within one 2^32 subspace; case B: it starts in the
 * previous subspace. Bl is computed modulo 2^32, as the appendix does. Returns -1 where the
 * inferred high half does not exist (before subspace 0 or past subspace 2^32-1). */
static int replay_infer(uint64_t top, uint32_t win, uint32_t seql, uint64_t *out)
{
	uint32_t th = (uint32_t)(top >> 32);
	uint32_t tl = (uint32_t)top;
	uint32_t bl = tl - win + 1;
	uint32_t seqh;

	if (tl >= win - 1) { /* case A */
		if (seql >= bl) {
			seqh = th;
		} else {
			if (th == UINT32_MAX)
				return -1;
			seqh = th + 1;
		}
	} else { /* case B */
		if (seql >= bl) {
			if (th == 0)
				return -1;
			seqh = th - 1;
		} else {
			seqh = th;
		}
	}
	*out = (uint64_t)seqh << 32 | seql;
	return 0;
}

/* RFC 4303 3.4.3: new if right of the window, or inside it and not yet received. */
int replay_check(const struct replay_window *w, bool esn, uint32_t seq_lo, uint64_t *seq64)
{
	uint64_t s = seq_lo;

	*seq64 = s;
	if (esn &&
	    replay_infer(w->top, w->size ? w->size : REPLAY_ESN_INFER_DISABLED, seq_lo, &s) < 0)
		return -1;
	*seq64 = s;
	if (s == 0) /* RFC 4303 3.3.3: the first packet is 1; 0 is never sent */
		return -1;
	if (s > w->top || w->size == 0)
		return 0;
	if (w->top - s >= w->size)
		return -1;
	return (*replay_block(w, s) & replay_bit(s)) ? -1 : 0;
}

/* RFC 6479 3: clear the blocks between the old top's block and the new one. Each block is
 * cleared once per 64 numbers the window advances, so the cost per packet is constant on
 * average; a jump past the whole ring clears it once. */
static void replay_advance(struct replay_window *w, uint64_t s)
{
	uint64_t cur = w->top >> BLOCK_SHIFT;
	uint64_t diff = (s >> BLOCK_SHIFT) - cur;

	if (diff >= w->nblocks) {
		memset(w->bitmap, 0, (size_t)w->nblocks * sizeof(*w->bitmap));
	} else {
		while (diff--)
			*replay_block(w, ++cur << BLOCK_SHIFT) = 0;
	}
	w->top = s;
}

int replay_update(struct replay_window *w, uint64_t seq64)
{
	uint64_t *blk;

	if (seq64 == 0)
		return -1;
	if (w->size == 0) {
		if (seq64 > w->top)
			w->top = seq64;
		return 0;
	}
	if (seq64 > w->top)
		replay_advance(w, seq64);
	else if (w->top - seq64 >= w->size)
		return -1; /* the window moved past it since replay_check() */
	blk = replay_block(w, seq64);
	if (*blk & replay_bit(seq64))
		return -1;
	*blk |= replay_bit(seq64);
	return 0;
}
