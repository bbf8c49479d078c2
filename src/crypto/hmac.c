/* Allocation-free HMAC over OpenSSL's hash functions; see hmac.h for why not EVP_MAC.
 *
 * OpenSSL 3 marks the SHA*_Init/Update/Final functions deprecated in favour of EVP_Digest*,
 * but EVP digests cannot be copied or re-initialised without a heap allocation in 3.0. They
 * are still part of libcrypto 3 and run the same assembly as the EVP path. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/hmac.h"
#include "lib/util.h"

_Static_assert(sizeof(SHA512_CTX) <= XC_HMAC_STATE_MAX, "SHA512_CTX does not fit");
_Static_assert(sizeof(SHA256_CTX) <= XC_HMAC_STATE_MAX, "SHA256_CTX does not fit");
_Static_assert(sizeof(SHA_CTX) <= XC_HMAC_STATE_MAX, "SHA_CTX does not fit");

#define HMAC_BLOCK_MAX 128 /* SHA-384/512 block */

static size_t hash_block(enum xc_hash hash)
{
	return hash == XC_SHA384 || hash == XC_SHA512 ? 128 : 64;
}

static size_t hash_digest(enum xc_hash hash)
{
	switch (hash) {
	case XC_SHA1:
		return SHA_DIGEST_LENGTH;
	case XC_SHA256:
		return SHA256_DIGEST_LENGTH;
	case XC_SHA384:
		return SHA384_DIGEST_LENGTH;
	case XC_SHA512:
		return SHA512_DIGEST_LENGTH;
	}
	return 0;
}

static void hash_init(enum xc_hash hash, void *st)
{
	switch (hash) {
	case XC_SHA1:
		SHA1_Init(st);
		break;
	case XC_SHA256:
		SHA256_Init(st);
		break;
	case XC_SHA384:
		SHA384_Init(st);
		break;
	case XC_SHA512:
		SHA512_Init(st);
		break;
	}
}

static void hash_update(enum xc_hash hash, void *st, const void *p, size_t n)
{
	switch (hash) {
	case XC_SHA1:
		SHA1_Update(st, p, n);
		break;
	case XC_SHA256:
		SHA256_Update(st, p, n);
		break;
	case XC_SHA384:
		SHA384_Update(st, p, n);
		break;
	case XC_SHA512:
		SHA512_Update(st, p, n);
		break;
	}
}

static void hash_final(enum xc_hash hash, void *st, uint8_t *out)
{
	switch (hash) {
	case XC_SHA1:
		SHA1_Final(out, st);
		break;
	case XC_SHA256:
		SHA256_Final(out, st);
		break;
	case XC_SHA384:
		SHA384_Final(out, st);
		break;
	case XC_SHA512:
		SHA512_Final(out, st);
		break;
	}
}

/* Absorb one block of K xor pad into a fresh state (RFC 2104 2, steps 1-3 and 5-6). */
static void pad_state(enum xc_hash hash, void *st, const uint8_t *k, size_t block, uint8_t pad)
{
	uint8_t buf[HMAC_BLOCK_MAX];

	for (size_t i = 0; i < block; i++)
		buf[i] = k[i] ^ pad;
	hash_init(hash, st);
	hash_update(hash, st, buf, block);
	wipe(buf, sizeof(buf));
}

int xc_hmac_init(struct xc_hmac *h, enum xc_hash hash, const uint8_t *key, size_t key_len)
{
	uint64_t st[XC_HMAC_STATE_MAX / 8];
	uint8_t k[HMAC_BLOCK_MAX] = { 0 };
	size_t block;

	if (!h || hash_digest(hash) == 0 || (!key && key_len))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->hash = hash;
	h->digest_len = hash_digest(hash);
	block = hash_block(hash);
	/* RFC 2104 2: a key longer than the block is replaced by its hash. */
	if (key_len > block) {
		hash_init(hash, st);
		hash_update(hash, st, key, key_len);
		hash_final(hash, st, k);
		wipe(st, sizeof(st));
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	pad_state(hash, h->inner, k, block, 0x36);
	pad_state(hash, h->outer, k, block, 0x5c);
	wipe(k, sizeof(k));
	return 0;
}

void xc_hmac_compute(const struct xc_hmac *h, const struct xc_piece *in, size_t n, uint8_t *out)
{
	uint64_t st[XC_HMAC_STATE_MAX / 8];
	uint8_t ih[XC_HMAC_DIGEST_MAX];

	memcpy(st, h->inner, sizeof(st));
	for (size_t i = 0; i < n; i++)
		if (in[i].n)
			hash_update(h->hash, st, in[i].p, in[i].n);
	hash_final(h->hash, st, ih);
	memcpy(st, h->outer, sizeof(st));
	hash_update(h->hash, st, ih, h->digest_len);
	hash_final(h->hash, st, out);
	/* The copied pad states are as good as the key. */
	wipe(st, sizeof(st));
	wipe(ih, sizeof(ih));
}

void xc_hmac_wipe(struct xc_hmac *h)
{
	if (h)
		wipe(h, sizeof(*h));
}
