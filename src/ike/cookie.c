/* IKEv2 COOKIE (RFC 7296 2.6). See cookie.h. */
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>

#include "crypto/prf.h"
#include "ike/cookie.h"
#include "lib/util.h"

static int fill_secret(uint8_t *dst, const uint8_t *secret)
{
	if (secret) {
		memcpy(dst, secret, IKE_COOKIE_SECRET_LEN);
		return 0;
	}
	return RAND_bytes(dst, IKE_COOKIE_SECRET_LEN) == 1 ? 0 : -EIO;
}

int ike_cookie_init(struct ike_cookie_ctx *c, const uint8_t *secret, uint64_t rotate_ms,
		    uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->version = 1;
	c->rotate_ms = rotate_ms;
	c->rotated_ms = now;
	return fill_secret(c->secret, secret);
}

int ike_cookie_rotate(struct ike_cookie_ctx *c, const uint8_t *secret, uint64_t now)
{
	uint8_t next[IKE_COOKIE_SECRET_LEN];
	int rc = fill_secret(next, secret);

	if (rc)
		goto out;
	/* RFC 7296 2.6: "VersionIDofSecret should be changed whenever <secret> is
	 * regenerated"; the previous secret is still accepted until the next rotation */
	memcpy(c->prev_secret, c->secret, IKE_COOKIE_SECRET_LEN);
	c->prev_version = c->version;
	c->have_prev = true;
	memcpy(c->secret, next, IKE_COOKIE_SECRET_LEN);
	c->version++;
	if (!c->version)
		c->version = 1; /* never 0 again: 0 is "no secret" */
	c->rotated_ms = now;
out:
	wipe(next, sizeof(next));
	return rc;
}

bool ike_cookie_rotation_due(const struct ike_cookie_ctx *c, uint64_t now)
{
	return c->rotate_ms && now >= c->rotated_ms + c->rotate_ms;
}

void ike_cookie_wipe(struct ike_cookie_ctx *c)
{
	wipe(c, sizeof(*c));
}

static int cookie_for(uint32_t version, const uint8_t *secret, const uint8_t *ni, size_t ni_len,
		      const struct ipaddr *ip_i, const uint8_t spi_i[8], uint8_t *out)
{
	const struct xc_piece in[] = {
		{ ni, ni_len },
		{ ip_i->b, ipaddr_len(ip_i) },
		{ spi_i, 8 },
	};

	if (!ni || !ni_len || !spi_i || (ip_i->af != AF_INET && ip_i->af != AF_INET6))
		return -EINVAL;
	out[0] = (uint8_t)(version >> 24);
	out[1] = (uint8_t)(version >> 16);
	out[2] = (uint8_t)(version >> 8);
	out[3] = (uint8_t)version;
	return prf_compute(PRF_HMAC_SHA2_256, secret, IKE_COOKIE_SECRET_LEN, in, ARRAY_SIZE(in),
			   out + 4);
}

int ike_cookie_make(const struct ike_cookie_ctx *c, const uint8_t *ni, size_t ni_len,
		    const struct ipaddr *ip_i, const uint8_t spi_i[8], uint8_t *out)
{
	return cookie_for(c->version, c->secret, ni, ni_len, ip_i, spi_i, out);
}

int ike_cookie_verify(const struct ike_cookie_ctx *c, const uint8_t *ni, size_t ni_len,
		      const struct ipaddr *ip_i, const uint8_t spi_i[8], const uint8_t *cookie,
		      size_t cookie_len)
{
	uint8_t want[IKE_COOKIE_LEN];
	const uint8_t *secret;
	uint32_t version;
	int rc = -EBADMSG;

	if (!cookie || cookie_len != IKE_COOKIE_LEN)
		return -EBADMSG;
	version = (uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 | (uint32_t)cookie[2] << 8 |
		  cookie[3];
	if (version == c->version)
		secret = c->secret;
	else if (c->have_prev && version == c->prev_version)
		secret = c->prev_secret;
	else
		return -EBADMSG;
	if (cookie_for(version, secret, ni, ni_len, ip_i, spi_i, want))
		goto out;
	if (ct_equal(want, cookie, IKE_COOKIE_LEN))
		rc = 0;
out:
	wipe(want, sizeof(want));
	return rc;
}
