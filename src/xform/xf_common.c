/* Drop accounting and lifetime helpers shared by the ESP and AH transforms. */
#include "xform/xf_int.h"

#include <inttypes.h>

#include "crypto/cipher.h"
#include "lib/log.h"
#include "wire/ip.h"

static bool xf_drop_count(struct sa *sa, struct xf_stats *st, enum sa_drop d)
{
	if (d <= SA_DROP_NONE || d >= SA_DROP_MAX)
		return false;
	sa_count_drop(sa, d);
	if (st)
		st->drops[d]++;
	return true;
}

enum sa_drop xf_drop(struct sa *sa, struct xf_stats *st, enum sa_drop d)
{
	xf_drop_count(sa, st, d);
	return d;
}

enum sa_drop xf_drop_in(struct sa *sa, struct xf_stats *st, enum sa_drop d, const char *what,
			uint32_t spi)
{
	/* Inbound drops are caused by whoever sent the packet: debug level, one bucket for all
	 * of them so a flood costs at most a few lines a second. Never any key material. */
	if (xf_drop_count(sa, st, d))
		log_ratelimited(LOG_LVL_DEBUG, "%s: drop spi 0x%08" PRIx32 ": %s", what, spi,
				sa_drop_name(d));
	return d;
}

enum sa_drop xf_ip_drop(int ip_status)
{
	switch (ip_status) {
	case IP_OK:
		return SA_DROP_NONE;
	case IP_MALFORMED:
		return SA_DROP_MALFORMED;
	default:
		/* RFC 4301: fragments are reassembled before IPsec inbound and made after it
		 * outbound; the transforms refuse them, as they do jumbograms. */
		return SA_DROP_UNSUPPORTED;
	}
}

enum sa_drop xf_account(struct sa *sa, size_t bytes, uint64_t now)
{
	/* RFC 4301 4.4.2.1: the hard lifetime ends the SA; soft is the SA owner's business
	 * (sa->needs_rekey is set and the daemon's timers rekey). */
	return sa_account(sa, bytes, now) == SA_LIFE_HARD ? SA_DROP_EXPIRED : SA_DROP_NONE;
}

int xf_alg_get(const struct sa *sa, struct xf_alg *a)
{
	const struct xcipher_desc *d;

	if (!sa->cipher)
		return -1;
	d = xcipher_desc(sa->cipher);
	if (!d || d->iv_len > XCIPHER_IV_MAX || d->icv_len > XCIPHER_ICV_MAX || d->align < 1)
		return -1;
	a->iv_len = d->iv_len;
	a->icv_len = d->icv_len;
	a->align = d->align;
	a->aead = d->aead;
	return 0;
}
