/* Security associations: creation and validation, outbound sequence numbers, lifetimes. */
#include "sa/sa.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/util.h"

static const char *const sa_drop_names[SA_DROP_MAX] = { [SA_DROP_NONE] = "none",
#define SA_DROP_NAME_(id, name) [SA_DROP_##id] = name,
							SA_DROP_REASONS(SA_DROP_NAME_)
#undef SA_DROP_NAME_
};

const char *sa_drop_name(enum sa_drop d)
{
	if ((unsigned)d >= SA_DROP_MAX)
		return "unknown";
	return sa_drop_names[d];
}

static bool sa_af_ok(uint8_t af)
{
	return af == AF_INET || af == AF_INET6;
}

/* Tunnel mode builds the outer header from both ends; in transport mode src is optional but,
 * when given, must be of the destination's family. */
static bool sa_src_ok(const struct sa_params *p)
{
	if (p->mode == SA_MODE_TUNNEL)
		return p->src.af == p->dst.af;
	return p->src.af == 0 || p->src.af == p->dst.af;
}

/* A soft limit above the hard one could never fire; refuse it rather than surprise later. */
static bool sa_life_ok(uint64_t soft, uint64_t hard)
{
	return !soft || !hard || soft <= hard;
}

static int sa_params_check(const struct sa_params *p)
{
	/* RFC 4303 2.1: SPI 0 is never sent, 1..255 are reserved by IANA. */
	if (p->spi < 256)
		return -EINVAL;
	if (p->mode != SA_MODE_TRANSPORT && p->mode != SA_MODE_TUNNEL)
		return -EINVAL;
	if (p->dir != SA_DIR_IN && p->dir != SA_DIR_OUT)
		return -EINVAL;
	if (p->replay_window > REPLAY_WINDOW_MAX)
		return -EINVAL;
	if (!sa_af_ok(p->dst.af))
		return -EINVAL;
	if (!sa_src_ok(p))
		return -EINVAL;
	switch (p->proto) {
	case IPPROTO_ESP:
		if (p->encr == 0)
			return -EINVAL;
		if (p->udp_encap && (!p->encap_sport || !p->encap_dport))
			return -EINVAL;
		break;
	case IPPROTO_AH:
		/* RFC 4302: integrity only; RFC 3948 encapsulates ESP, not AH. */
		if (p->integ == AUTH_NONE || p->encr != 0 || p->udp_encap)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (!sa_life_ok(p->soft.bytes, p->hard.bytes) ||
	    !sa_life_ok(p->soft.packets, p->hard.packets) ||
	    !sa_life_ok(p->soft.seconds, p->hard.seconds))
		return -EINVAL;
	return 0;
}

static void sa_copy_params(struct sa *sa, const struct sa_params *p, uint64_t now)
{
	sa->spi = p->spi;
	sa->proto = p->proto;
	sa->mode = p->mode;
	sa->dir = p->dir;
	sa->esn = p->esn;
	sa->src = p->src;
	sa->dst = p->dst;
	sa->encr = p->encr;
	sa->encr_bits = p->encr_bits;
	sa->integ = p->integ;
	sa->udp_encap = p->udp_encap;
	sa->encap_sport = p->encap_sport;
	sa->encap_dport = p->encap_dport;
	sa->soft = p->soft;
	sa->hard = p->hard;
	sa->created = now;
}

int sa_new(struct sa **out, const struct sa_params *p, uint64_t now)
{
	struct sa *sa;
	int rc;

	*out = NULL;
	rc = sa_params_check(p);
	if (rc < 0)
		return rc;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	sa_copy_params(sa, p, now);
	rc = xcipher_new(&sa->cipher, p->encr, p->encr_bits, p->integ, p->encr_key, p->encr_key_len,
			 p->integ_key, p->integ_key_len, p->dir == SA_DIR_OUT);
	if (rc < 0)
		goto fail;
	/* Only the inbound side keeps a window; outbound keeps the counter in sa->seq. */
	rc = replay_init(&sa->replay, p->dir == SA_DIR_IN ? p->replay_window : 0);
	if (rc < 0)
		goto fail;
	*out = sa;
	return 0;
fail:
	sa_free(sa);
	return rc;
}

void sa_free(struct sa *sa)
{
	if (!sa)
		return;
	xcipher_free(sa->cipher);
	replay_free(&sa->replay);
	wipe(sa, sizeof(*sa));
	free(sa);
}

/* RFC 4303 3.3.3: the counter starts at 0, so the first packet carries 1, and it must never
 * cycle: once the last number of the 32-bit (or, with ESN, 64-bit) space has been sent the SA
 * cannot send again and has to be replaced. */
int sa_seq_next(struct sa *sa, uint64_t *seq)
{
	uint64_t last = sa->esn ? UINT64_MAX : UINT32_MAX;

	if (sa->seq >= last) {
		sa->needs_rekey = true;
		return -EOVERFLOW;
	}
	*seq = ++sa->seq;
	if (sa->seq == last)
		sa->needs_rekey = true;
	return 0;
}

static bool sa_time_reached(uint64_t limit, uint64_t created, uint64_t now)
{
	return limit && now >= created && now - created >= limit;
}

/* Would adding `add` to `used` go past `limit`? Written to avoid overflow. */
static bool sa_would_exceed(uint64_t limit, uint64_t used, uint64_t add)
{
	return limit && (add > limit || used > limit - add);
}

static bool sa_reached(uint64_t limit, uint64_t used)
{
	return limit && used >= limit;
}

static enum sa_life sa_expire(struct sa *sa)
{
	sa->expired = true;
	return SA_LIFE_HARD;
}

static enum sa_life sa_soft_check(struct sa *sa, uint64_t now)
{
	if (sa->soft_fired)
		return SA_LIFE_OK;
	if (sa_reached(sa->soft.packets, sa->ctr.packets) ||
	    sa_reached(sa->soft.bytes, sa->ctr.bytes) ||
	    sa_time_reached(sa->soft.seconds, sa->created, now)) {
		sa->soft_fired = true;
		sa->needs_rekey = true;
		return SA_LIFE_SOFT;
	}
	return SA_LIFE_OK;
}

/* RFC 4301 4.4.2.1: hard lifetime ends the SA, soft lifetime asks for a replacement. Hard
 * limits are caps: a packet that would take the packet or byte count past one is refused (not
 * counted) and the SA expires; the time limit is reached `hard.seconds` after creation. */
enum sa_life sa_account(struct sa *sa, size_t bytes, uint64_t now)
{
	if (sa->expired)
		return SA_LIFE_HARD;
	if (sa_time_reached(sa->hard.seconds, sa->created, now) ||
	    sa_would_exceed(sa->hard.packets, sa->ctr.packets, 1) ||
	    sa_would_exceed(sa->hard.bytes, sa->ctr.bytes, bytes))
		return sa_expire(sa);
	sa->ctr.packets++;
	sa->ctr.bytes += bytes;
	return sa_soft_check(sa, now);
}

enum sa_life sa_check_time(struct sa *sa, uint64_t now)
{
	if (sa->expired)
		return SA_LIFE_HARD;
	if (sa_time_reached(sa->hard.seconds, sa->created, now))
		return sa_expire(sa);
	if (sa->soft_fired || !sa_time_reached(sa->soft.seconds, sa->created, now))
		return SA_LIFE_OK;
	sa->soft_fired = true;
	sa->needs_rekey = true;
	return SA_LIFE_SOFT;
}
