/* Helpers shared by the ESP/AH unit tests: packet builders, SA setup, independent HMAC.
 * Header-only (static) so each test program stays one file. */
#ifndef ESPRIT_TEST_XFORM_UTIL_H
#define ESPRIT_TEST_XFORM_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/addr.h"
#include "lib/pbuf.h"
#include "lib/rw.h"
#include "lib/util.h"
#include "sa/sa.h"
#include "sa/sad.h"
#include "wire/ip.h"
#include "xform/xform.h"

#define TB_SIZE (PBUF_HEADROOM + 2048 + PBUF_TAILROOM)

struct tbuf {
	uint8_t store[TB_SIZE];
	struct pbuf pb;
};

static inline void tb_set(struct tbuf *t, const uint8_t *pkt, size_t len)
{
	pbuf_init(&t->pb, t->store, sizeof(t->store), PBUF_HEADROOM);
	if (pbuf_set(&t->pb, PBUF_HEADROOM, pkt, len) < 0)
		abort();
}

static inline void addr_set(struct ipaddr *a, const char *s)
{
	if (ipaddr_parse(a, s) < 0)
		abort();
}

/* IPv4 header (no options) + payload; valid checksum. */
static inline size_t mk_ipv4(uint8_t *out, const char *src, const char *dst, uint8_t proto,
			     const uint8_t *payload, size_t plen, uint8_t ttl, uint8_t tos)
{
	struct ipaddr s, d;

	addr_set(&s, src);
	addr_set(&d, dst);
	out[0] = 0x45;
	out[1] = tos;
	put_be16(out + 2, (uint16_t)(20 + plen));
	put_be16(out + 4, 0x1234);
	put_be16(out + 6, 0x4000); /* DF */
	out[8] = ttl;
	out[9] = proto;
	memcpy(out + 12, s.b, 4);
	memcpy(out + 16, d.b, 4);
	memcpy(out + 20, payload, plen);
	ipv4_set_checksum(out, 20);
	return 20 + plen;
}

/* IPv6 header + ext (already chained: nh names ext's first header, or the payload) + payload. */
static inline size_t mk_ipv6(uint8_t *out, const char *src, const char *dst, uint8_t nh,
			     const uint8_t *ext, size_t elen, const uint8_t *payload, size_t plen)
{
	struct ipaddr s, d;

	addr_set(&s, src);
	addr_set(&d, dst);
	put_be32(out, 0x60000000u | 0x0b << 20 | 0x12345); /* traffic class 0x0b, a flow label */
	put_be16(out + 4, (uint16_t)(elen + plen));
	out[6] = nh;
	out[7] = 61;
	memcpy(out + 8, s.b, 16);
	memcpy(out + 24, d.b, 16);
	if (elen)
		memcpy(out + 40, ext, elen);
	memcpy(out + 40 + elen, payload, plen);
	return 40 + elen + plen;
}

/* A UDP-looking payload of n bytes (content only matters for equality). */
static inline void fill_payload(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

struct alg_case {
	const char *name;
	uint16_t encr, encr_bits, integ;
	size_t encr_key_len, integ_key_len;
};

/* Every ESP algorithm esprit offers (cipher.h). */
static const struct alg_case esp_algs[] = {
	{ "aes-gcm-128/16", ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0 },
	{ "aes-gcm-256/16", ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0 },
	{ "aes-gcm-128/12", ENCR_AES_GCM_12, 128, AUTH_NONE, 20, 0 },
	{ "aes-gcm-128/8", ENCR_AES_GCM_8, 128, AUTH_NONE, 20, 0 },
	{ "chacha20-poly1305", ENCR_CHACHA20_POLY1305, 256, AUTH_NONE, 36, 0 },
	{ "aes-gmac-128", ENCR_NULL_AUTH_AES_GMAC, 128, AUTH_NONE, 20, 0 },
	{ "aes-gmac-256", ENCR_NULL_AUTH_AES_GMAC, 256, AUTH_NONE, 36, 0 },
	{ "aes-cbc-128+sha1-96", ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96, 16, 20 },
	{ "aes-cbc-256+sha256", ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, 32, 32 },
	{ "aes-cbc-128+sha384", ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_384_192, 16, 48 },
	{ "aes-cbc-256+sha512", ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 32, 64 },
	{ "null+sha256", ENCR_NULL, 0, AUTH_HMAC_SHA2_256_128, 0, 32 },
};

static const struct alg_case ah_algs[] = {
	{ "ah-sha1-96", 0, 0, AUTH_HMAC_SHA1_96, 0, 20 },
	{ "ah-sha256-128", 0, 0, AUTH_HMAC_SHA2_256_128, 0, 32 },
	{ "ah-sha384-192", 0, 0, AUTH_HMAC_SHA2_384_192, 0, 48 },
	{ "ah-sha512-256", 0, 0, AUTH_HMAC_SHA2_512_256, 0, 64 },
};

/* An outbound/inbound SA pair with the same keys; the inbound one is added to sad. */
struct sa_pair {
	struct sa *out, *in;
};

static inline int mk_sa(struct sa **sa, uint8_t proto, const struct alg_case *a, uint8_t mode,
			uint8_t dir, bool esn, uint32_t spi, const char *src, const char *dst,
			const uint8_t *ekey, const uint8_t *ikey, uint32_t window)
{
	struct sa_params p;

	memset(&p, 0, sizeof(p));
	p.spi = spi;
	p.proto = proto;
	p.mode = mode;
	p.dir = dir;
	p.esn = esn;
	addr_set(&p.src, src);
	addr_set(&p.dst, dst);
	p.encr = a->encr;
	p.encr_bits = a->encr_bits;
	p.integ = a->integ;
	p.encr_key = ekey;
	p.encr_key_len = a->encr_key_len;
	p.integ_key = ikey;
	p.integ_key_len = a->integ_key_len;
	p.replay_window = window;
	return sa_new(sa, &p, 0);
}

static inline void mk_pair(struct sa_pair *sp, struct sad *sad, uint8_t proto,
			   const struct alg_case *a, uint8_t mode, bool esn, uint32_t spi,
			   const char *src, const char *dst)
{
	uint8_t ek[64], ik[64];
	size_t i;

	for (i = 0; i < sizeof(ek); i++) {
		ek[i] = (uint8_t)(0x11 * i + spi);
		ik[i] = (uint8_t)(0x5a ^ i);
	}
	if (mk_sa(&sp->out, proto, a, mode, SA_DIR_OUT, esn, spi, src, dst, ek, ik, 0) < 0 ||
	    mk_sa(&sp->in, proto, a, mode, SA_DIR_IN, esn, spi, src, dst, ek, ik, 128) < 0 ||
	    sad_add(sad, sp->in) < 0)
		abort();
}

/* Independent HMAC (OpenSSL's one-shot HMAC(), not the xcipher under test), truncated. */
static inline void ref_hmac(const char *md, const uint8_t *key, size_t klen, const uint8_t *in,
			    size_t n, uint8_t *out, size_t trunc)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	HMAC(EVP_get_digestbyname(md), key, (int)klen, in, n, full, &len);
	memcpy(out, full, trunc);
}

static inline size_t hex2bin(uint8_t *out, size_t cap, const char *hex)
{
	long n = hex_decode(out, cap, hex);

	if (n < 0)
		abort();
	return (size_t)n;
}

#endif
