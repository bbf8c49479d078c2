/* IKEv2 COOKIE (RFC 7296 2.6): stateless proof that an IKE_SA_INIT initiator receives
 * packets at the address it claims, before the responder keeps any state for it.
 *
 *   Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
 *
 * Here: VersionIDofSecret is 4 octets (big-endian), the Hash is prf-hmac-sha256 keyed with the
 * 32-octet secret over Ni | IPi | SPIi (the secret as the HMAC key rather than appended: the
 * RFC leaves the function to the responder, 2.6 "a good way to do this"). The cookie is
 * 36 octets (2.6 allows 1 to 64). The secret is rotated regularly with a new version; cookies
 * made with the previous secret stay valid until the next rotation, so an initiator that got
 * a cookie just before a rotation is not turned away. IPi is the address the request came
 * from (4 or 16 octets).
 *
 * Which requests must carry a cookie is ike_sa_table_admit()'s answer (IKE_ADMIT_COOKIE).
 */
#ifndef ESPRIT_IKE_COOKIE_H
#define ESPRIT_IKE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define IKE_COOKIE_SECRET_LEN 32
#define IKE_COOKIE_LEN	      36 /* 4-octet version + 32-octet HMAC-SHA-256 */
#define IKE_COOKIE_MAX	      64 /* RFC 7296 2.6: "between 1 and 64 octets" */

struct ike_cookie_ctx {
	uint32_t version, prev_version;
	uint8_t secret[IKE_COOKIE_SECRET_LEN], prev_secret[IKE_COOKIE_SECRET_LEN];
	bool have_prev;
	uint64_t rotated_ms; /* monotonic ms of the last rotation */
	uint64_t rotate_ms;  /* rotate after this long */
};

/* Start with a secret (random from RAND_bytes when NULL) as version 1. 0 or -EIO. */
int ike_cookie_init(struct ike_cookie_ctx *c, const uint8_t *secret, uint64_t rotate_ms,
		    uint64_t now);
/* New secret (RAND_bytes when NULL) and version; the old one becomes the previous. */
int ike_cookie_rotate(struct ike_cookie_ctx *c, const uint8_t *secret, uint64_t now);
/* Time to rotate? */
bool ike_cookie_rotation_due(const struct ike_cookie_ctx *c, uint64_t now);
/* Wipe both secrets. */
void ike_cookie_wipe(struct ike_cookie_ctx *c);

/* The cookie for a request (out: IKE_COOKIE_LEN octets). 0 or -EINVAL. */
int ike_cookie_make(const struct ike_cookie_ctx *c, const uint8_t *ni, size_t ni_len,
		    const struct ipaddr *ip_i, const uint8_t spi_i[8], uint8_t *out);
/* Is this the cookie we would have made (current or previous secret)? Constant-time
 * comparison. 0, or -EBADMSG (wrong length, unknown version, mismatch). */
int ike_cookie_verify(const struct ike_cookie_ctx *c, const uint8_t *ni, size_t ni_len,
		      const struct ipaddr *ip_i, const uint8_t spi_i[8], const uint8_t *cookie,
		      size_t cookie_len);

#endif
