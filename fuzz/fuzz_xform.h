/* The body shared by the ESP and AH libFuzzer harnesses (fuzz_esp.c, fuzz_ah.c): SA setup,
 * the decap path with poisoned head- and tailroom, and the encap -> decap round trip. Each
 * harness describes its protocol and SA table in a struct fz_harness and hands every input
 * to fz_run(); see fuzz_esp.c for what an input means.
 */
#ifndef ESPRIT_FUZZ_XFORM_H
#define ESPRIT_FUZZ_XFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/pbuf.h"
#include "sa/sa.h"
#include "sa/sad.h"
#include "wire/ip.h"
#include "xform/xform.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef POISON
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* One SA of a harness's table; keys are made, not listed (see fz_make). */
struct fz_sa {
	uint32_t spi;
	uint8_t mode;
	bool esn;
	uint16_t encr, bits, integ;
	size_t key_len, ikey_len;
	uint32_t window;
	const char *src, *dst;
};

#define FZ_SA_MAX 16

typedef enum sa_drop (*fz_decap_fn)(struct sad *sad, struct pbuf *pb, uint64_t now,
				    struct sa **sa_out, struct xf_stats *st);
typedef enum sa_drop (*fz_encap_fn)(struct sa *sa, struct pbuf *pb, uint64_t now);

struct fz_harness {
	const char *name; /* for abort messages */
	uint8_t proto;	  /* IPPROTO_ESP or IPPROTO_AH */
	fz_decap_fn decap;
	fz_encap_fn encap;
	const struct fz_sa *table;
	size_t n; /* <= FZ_SA_MAX */
};

static const struct fz_harness *fz;

static struct sad *fz_sad;
static struct sa *fz_in[FZ_SA_MAX], *fz_out[FZ_SA_MAX];

static struct sa *fz_make(const struct fz_sa *t, uint8_t dir)
{
	uint8_t key[64], ikey[64];
	struct sa_params p;
	struct sa *sa;
	size_t i;

	for (i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i + 1);
		ikey[i] = (uint8_t)(0x81 + i);
	}
	memset(&p, 0, sizeof(p));
	p.spi = t->spi;
	p.proto = fz->proto;
	p.mode = t->mode;
	p.dir = dir;
	p.esn = t->esn;
	if (ipaddr_parse(&p.src, t->src) < 0 || ipaddr_parse(&p.dst, t->dst) < 0)
		abort();
	p.encr = t->encr;
	p.encr_bits = t->bits;
	p.integ = t->integ;
	p.encr_key = key;
	p.encr_key_len = t->key_len;
	p.integ_key = ikey;
	p.integ_key_len = t->ikey_len;
	p.replay_window = t->window;
	if (sa_new(&sa, &p, 1)) {
		fprintf(stderr, "%s: cannot create SA %#x\n", fz->name, t->spi);
		abort();
	}
	return sa;
}

static void fz_init(void)
{
	size_t i;

	log_set_level(LOG_LVL_ERR);
	fz_sad = sad_new();
	if (!fz_sad || fz->n == 0 || fz->n > FZ_SA_MAX)
		abort();
	for (i = 0; i < fz->n; i++) {
		fz_in[i] = fz_make(&fz->table[i], SA_DIR_IN);
		fz_out[i] = fz_make(&fz->table[i], SA_DIR_OUT);
		if (sad_add(fz_sad, fz_in[i]))
			abort();
	}
}

/* An empty window, as after sa_new(): each input is judged on its own. */
static void fz_replay_reset(struct sa *sa)
{
	sa->replay.top = 0;
	if (sa->replay.bitmap)
		memset(sa->replay.bitmap, 0, sa->replay.nblocks * sizeof(*sa->replay.bitmap));
}

/* Point the packet at dst if it is of dst's family; false if it is not. */
static bool fz_set_dst(uint8_t *pkt, size_t len, const struct ipaddr *dst)
{
	if (dst->af == AF_INET && len >= 20 && pkt[0] >> 4 == 4) {
		memcpy(pkt + 16, dst->b, 4);
		return true;
	}
	if (dst->af == AF_INET6 && len >= 40 && pkt[0] >> 4 == 6) {
		memcpy(pkt + 24, dst->b, 16);
		return true;
	}
	return false;
}

/* Decap inside a buffer whose headroom and tailroom are out of bounds for ASan. */
static enum sa_drop fz_decap(struct pbuf *pb, struct sa **found)
{
	struct xf_stats st;
	size_t tail = pbuf_tailroom(pb), off = pb->off, len = pb->len;
	enum sa_drop d;

	memset(&st, 0, sizeof(st));
	POISON(pb->head, off);
	POISON(pb->head + off + len, tail);
	d = fz->decap(fz_sad, pb, 1, found, &st);
	UNPOISON(pb->head, pb->size);
	/* Whatever happened, the buffer stays consistent and inside its storage. */
	if (pb->off > pb->size || pb->len > pb->size - pb->off)
		abort();
	if (d == SA_DROP_NONE && (pb->len == 0 || pb->len > len || !*found))
		abort();
	if (d >= SA_DROP_MAX)
		abort();
	return d;
}

/* Drops of its own packets the receiver is entitled to (the round trip cannot hold):
 *  - a payload whose protocol is 59, "no next header": RFC 4303 2.6 makes such an ESP packet
 *    a dummy that the receiver discards;
 *  - a plaintext that is not a valid IP packet by the receiver's full walk of the IPv6 header
 *    chain (e.g. Hop-by-Hop not first, RFC 8200 4.1), which outbound tunnel mode does not walk
 *    completely. Reported to the xform owner; encap could refuse these up front. */
static bool fz_receiver_refuses(const uint8_t *pkt, size_t len, enum sa_drop d)
{
	struct ip_info ii;
	enum ip_status st = ip_parse(pkt, len, IP_WALK_ULP, &ii);

	if (d == SA_DROP_UNSUPPORTED && st == IP_OK && ii.proto == IPPROTO_NUM_NONE)
		return true;
	return d == SA_DROP_MALFORMED && st != IP_OK && st != IP_FRAGMENT;
}

/* What decap gives back must be what encap was given: byte for byte in tunnel mode; in
 * transport mode except the IPv4 header checksum, which decap recomputes (encap does not
 * validate the one it was handed). */
static bool fz_same(size_t sel, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (fz->table[sel].mode == SA_MODE_TRANSPORT && alen >= 20 && a[0] >> 4 == 4) {
		/* AH gives an IPv4 packet with ID 0 and DF clear the ID 0x8000 before its ICV
		 * (xform/ah.c ah_ipv4_fix_id): that one change is expected. */
		bool id_fixed = fz_out[sel]->proto == IPPROTO_AH && a[4] == 0x80 && a[5] == 0 &&
				b[4] == 0 && b[5] == 0 && !(b[6] & 0x40);

		if (id_fixed)
			return !memcmp(a, b, 4) && !memcmp(a + 6, b + 6, 4) &&
			       !memcmp(a + 12, b + 12, alen - 12);
		return !memcmp(a, b, 10) && !memcmp(a + 12, b + 12, alen - 12);
	}
	return !memcmp(a, b, alen);
}

static void fz_roundtrip(size_t sel, const uint8_t *pkt, size_t len)
{
	size_t size = PBUF_HEADROOM + len + PBUF_TAILROOM, elen;
	uint8_t *plain = malloc(len + 1), *buf = malloc(size), *ebuf = NULL;
	struct sa *found = NULL;
	struct pbuf pb, eb;
	enum sa_drop d;

	if (!plain || !buf)
		abort();
	memcpy(plain, pkt, len);
	/* Transport mode: the SA is found by the packet's own destination, so only packets of
	 * the SA's family can come back (choosing the SA is the SPD's job, not the transform's). */
	if (fz->table[sel].mode == SA_MODE_TRANSPORT && !fz_set_dst(plain, len, &fz_out[sel]->dst))
		goto out;
	pbuf_init(&pb, buf, size, PBUF_HEADROOM);
	pbuf_set(&pb, PBUF_HEADROOM, plain, len);
	if (fz->encap(fz_out[sel], &pb, 1) != SA_DROP_NONE)
		goto out;
	/* The protected packet is larger: give decap a buffer of exactly its promised size. */
	elen = pb.len;
	ebuf = malloc(PBUF_HEADROOM + elen + PBUF_TAILROOM);
	if (!ebuf)
		abort();
	pbuf_init(&eb, ebuf, PBUF_HEADROOM + elen + PBUF_TAILROOM, PBUF_HEADROOM);
	pbuf_set(&eb, PBUF_HEADROOM, pbuf_data(&pb), elen);
	d = fz_decap(&eb, &found);
	if (d != SA_DROP_NONE && fz_receiver_refuses(plain, len, d))
		goto out;
	if (d != SA_DROP_NONE) {
		fprintf(stderr, "%s: SA %zu dropped its own packet: %s\n", fz->name, sel,
			sa_drop_name(d));
		abort();
	}
	if (!fz_same(sel, pbuf_data(&eb), eb.len, plain, len)) {
		fprintf(stderr, "%s: SA %zu round trip changed the packet\n", fz->name, sel);
		abort();
	}
out:
	free(ebuf);
	free(buf);
	free(plain);
}

static int fz_run(const struct fz_harness *h, const uint8_t *data, size_t size)
{
	size_t sel, len, bufsize;
	struct sa *found = NULL;
	struct pbuf pb;
	uint8_t *buf;

	if (!fz) {
		fz = h;
		fz_init();
	}
	if (size < 1 || size > 65536)
		return 0;
	sel = (data[0] & 0x7f) % fz->n;
	len = size - 1;
	fz_replay_reset(fz_in[sel]);
	if (data[0] & 0x80) {
		fz_roundtrip(sel, data + 1, len);
		return 0;
	}
	bufsize = PBUF_HEADROOM + len + PBUF_TAILROOM;
	buf = malloc(bufsize);
	if (!buf)
		return 0;
	pbuf_init(&pb, buf, bufsize, PBUF_HEADROOM);
	pbuf_set(&pb, PBUF_HEADROOM, data + 1, len);
	fz_set_dst(pbuf_data(&pb), len, &fz_in[sel]->dst);
	fz_decap(&pb, &found);
	free(buf);
	return 0;
}

#endif
