/* Inbound anti-replay window (RFC 4303 3.4.3, Appendix A for ESN) kept as an RFC 6479 ring of
 * 64-bit blocks: advancing the window clears whole blocks instead of shifting bits, so cost
 * does not grow with the window size.
 *
 * Use in two steps around the ICV check, as RFC 4303 orders it:
 *   replay_check()  before the ICV: reject obvious replays, infer the 64-bit number (ESN);
 *   replay_update() after the ICV verified: mark it received and move the window.
 */
#ifndef ESPRIT_SA_REPLAY_H
#define ESPRIT_SA_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX 65536u /* packets */

struct replay_window {
	uint64_t top;	  /* highest sequence number accepted so far (0 = none) */
	uint32_t size;	  /* configured window in packets; 0 = anti-replay disabled */
	uint32_t nblocks; /* bitmap blocks, a power of two */
	uint64_t *bitmap;
};

/* Allocate a window of `size` packets (0..REPLAY_WINDOW_MAX). 0, -EINVAL or -ENOMEM. */
int replay_init(struct replay_window *w, uint32_t size);
void replay_free(struct replay_window *w);

/* Before the ICV check. seq_lo is the 32-bit number from the packet. With esn, the high half
 * is inferred as RFC 4303 Appendix A describes and *seq64 gets the full number to feed the
 * ICV computation; without, *seq64 = seq_lo. Returns 0 if the packet may be new, -1 if it is a
 * replay or falls behind the window (also sequence number 0 without ESN). */
int replay_check(const struct replay_window *w, bool esn, uint32_t seq_lo, uint64_t *seq64);

/* After the ICV verified. Marks seq64 received, advancing the window if it is ahead.
 * Returns -1 if it was already marked (a duplicate that raced past replay_check). */
int replay_update(struct replay_window *w, uint64_t seq64);

#endif
