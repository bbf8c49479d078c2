/* IKEv2 PRFs and prf+ over the keyed-once HMAC of hmac.c (see prf.h). */
#include <errno.h>
#include <string.h>

#include "crypto/hmac.h"
#include "crypto/prf.h"
#include "lib/util.h"

/* prf+ feeds Tn-1 | S | n, so one HMAC call takes the caller's seed pieces plus two. */
#define PRF_PIECES_MAX 16

struct prf_row {
	uint16_t id;
	enum xc_hash hash;
	size_t len;
	const char *name;
};

/* RFC 7296 3.3.2 ids; RFC 4868 2.4 (PRF_HMAC_SHA2_*), RFC 2104 (PRF_HMAC_SHA1). */
static const struct prf_row prf_rows[] = {
	{ PRF_HMAC_SHA1, XC_SHA1, 20, "prf-hmac-sha1" },
	{ PRF_HMAC_SHA2_256, XC_SHA256, 32, "prf-hmac-sha256" },
	{ PRF_HMAC_SHA2_384, XC_SHA384, 48, "prf-hmac-sha384" },
	{ PRF_HMAC_SHA2_512, XC_SHA512, 64, "prf-hmac-sha512" },
};

static const struct prf_row *prf_find(uint16_t prf)
{
	for (size_t i = 0; i < ARRAY_SIZE(prf_rows); i++)
		if (prf_rows[i].id == prf)
			return &prf_rows[i];
	return NULL;
}

size_t prf_len(uint16_t prf)
{
	const struct prf_row *r = prf_find(prf);

	return r ? r->len : 0;
}

const char *prf_name(uint16_t prf)
{
	const struct prf_row *r = prf_find(prf);

	return r ? r->name : "unknown";
}

static bool pieces_ok(const struct xc_piece *in, size_t n)
{
	if (n && !in)
		return false;
	for (size_t i = 0; i < n; i++)
		if (in[i].n && !in[i].p)
			return false;
	return true;
}

int prf_compute(uint16_t prf, const uint8_t *key, size_t key_len, const struct xc_piece *in,
		size_t n, uint8_t *out)
{
	const struct prf_row *r = prf_find(prf);
	struct xc_hmac h;
	int rc;

	if (!r || !out || !pieces_ok(in, n) || xc_hmac_init(&h, r->hash, key, key_len))
		return -EINVAL;
	rc = xc_hmac_compute(&h, in, n, out);
	xc_hmac_wipe(&h);
	return rc;
}

int prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const struct xc_piece *seed,
	     size_t n, uint8_t *out, size_t out_len)
{
	const struct prf_row *r = prf_find(prf);
	struct xc_piece in[PRF_PIECES_MAX];
	uint8_t t[PRF_OUT_MAX], counter;
	struct xc_hmac h;
	size_t done = 0, take;
	int rc = 0;

	if (!r || (!out && out_len) || n > PRF_PIECES_MAX - 2 || !pieces_ok(seed, n))
		return -EINVAL;
	/* RFC 7296 2.13: "prf+ in this document is not defined beyond 255 times the size of the
	 * prf function output". */
	if (out_len > PRF_PLUS_BLOCKS_MAX * r->len)
		return -EINVAL;
	if (xc_hmac_init(&h, r->hash, key, key_len))
		return -EINVAL;
	for (counter = 1; done < out_len; counter++) {
		size_t k = 0;

		/* T1 = prf (K, S | 0x01); Tn = prf (K, Tn-1 | S | n). */
		if (counter > 1)
			in[k++] = (struct xc_piece){ t, r->len };
		for (size_t i = 0; i < n; i++)
			in[k++] = seed[i];
		in[k++] = (struct xc_piece){ &counter, 1 };
		rc = xc_hmac_compute(&h, in, k, t);
		if (rc < 0)
			break;
		take = MIN(r->len, out_len - done);
		memcpy(out + done, t, take);
		done += take;
	}
	wipe(t, sizeof(t));
	xc_hmac_wipe(&h);
	if (rc < 0)
		wipe(out, out_len);
	return rc;
}
