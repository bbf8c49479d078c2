/* bench_xform: single-core ESP/AH throughput of esp_encap/esp_decap (ah_encap/ah_decap) for
 * 1400-byte IPv4 packets in transport mode, per algorithm.
 *
 * What is measured, honestly:
 *   encap: copy the 1400-byte plaintext into the packet buffer, then esp_encap() (sequence
 *          number, headers, padding, IV, encryption, ICV). The copy is needed because the
 *          transform works in place; its cost is measured separately and printed ("copy").
 *   decap: a ring of RING packets is encapsulated beforehand (sequence numbers 1..RING); each
 *          iteration copies one into the buffer and runs esp_decap() (SAD lookup, replay check,
 *          ICV, decryption, padding check, window update). After each pass over the ring the
 *          inbound SA's replay window is emptied (top = 0, bitmap zeroed) so the same
 *          numbers are new again: one memset per RING packets, the window itself stays in use.
 *   raw EVP (rawenc/rawdec): the bare OpenSSL calls one packet of that algorithm needs, on
 *          contexts keyed once, in this binary -- the per-packet raw cost esprit is measured
 *          against (OpenSSL 3.0's `openssl speed -aead` re-keys AES-GCM for every buffer and
 *          streams ChaCha20-Poly1305 with no per-buffer nonce, AAD or tag, so neither is that
 *          cost; see bench/run). The same call sequences as src/crypto/cipher.c, per packet:
 *          AEAD: set the nonce, 8 octets of AAD, 1400 octets, final, get the tag (encrypt) or
 *                set it and check it in final (decrypt), the tag as an OSSL_PARAM.
 *          CBC + HMAC: cipher 1408 octets (1400 rounded up to whole AES blocks, as CBC without
 *                padding needs; no final) and EVP_MAC over 8 + 16 + 1408 octets (SPI, seq, IV,
 *                ciphertext); decrypt verifies the tag (CRYPTO_memcmp) before deciphering.
 *          HMAC only (NULL, AH): EVP_MAC over 1400 + 24 octets, decrypt compares the tag.
 *          Esprit's own work on top: headers, padding, IV, SAD lookup, replay, the copy.
 *   Gbit/s counts the 1400 bytes of the original packet, not the ESP overhead.
 *   Each figure is the fastest of ROUNDS rounds of seconds/ROUNDS each: the benchmark shares
 *   the machine, and the fastest round is the one least disturbed by other work.
 * Output: a human table, and one machine line per measurement for bench/run:
 *   RESULT <name> <encap|decap|rawenc|rawdec|copy> <ns per packet> <Gbit/s>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/cipher.h"
#include "lib/addr.h"
#include "lib/pbuf.h"
#include "lib/rw.h"
#include "lib/util.h"
#include "sa/sa.h"
#include "sa/sad.h"
#include "xform/xform.h"

#define PKT_LEN	 1400
#define RING	 1024
#define BATCH	 256
#define ROUNDS	 4
#define BUF_SIZE (PBUF_HEADROOM + PKT_LEN + PBUF_TAILROOM)

struct bcase {
	const char *name; /* bench/run maps it to the matching `openssl speed` runs */
	uint8_t proto;
	uint16_t encr, bits, integ;
	size_t key_len, ikey_len;
	const char *evp;    /* raw baseline: OpenSSL cipher, NULL for none */
	const char *digest; /* raw baseline: HMAC digest, NULL for none (AEAD) */
	size_t icv_len;	    /* raw baseline: tag octets compared */
};

static const struct bcase cases[] = {
	{ "aes-gcm-128", IPPROTO_ESP, ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0, "AES-128-GCM", NULL,
	  16 },
	{ "aes-gcm-256", IPPROTO_ESP, ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0, "AES-256-GCM", NULL,
	  16 },
	{ "chacha20-poly1305", IPPROTO_ESP, ENCR_CHACHA20_POLY1305, 256, AUTH_NONE, 36, 0,
	  "ChaCha20-Poly1305", NULL, 16 },
	{ "aes-cbc-128+hmac-sha256", IPPROTO_ESP, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32,
	  "AES-128-CBC", "SHA256", 16 },
	{ "aes-cbc-256+hmac-sha512", IPPROTO_ESP, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 32, 64,
	  "AES-256-CBC", "SHA512", 32 },
	{ "null+hmac-sha256", IPPROTO_ESP, ENCR_NULL, 0, AUTH_HMAC_SHA2_256_128, 0, 32, NULL,
	  "SHA256", 16 },
	{ "ah-hmac-sha256", IPPROTO_AH, 0, 0, AUTH_HMAC_SHA2_256_128, 0, 32, NULL, "SHA256", 16 },
};

/* Raw EVP baseline: sizes of one packet's work (see the top comment). */
#define RAW_HDR	    24			    /* SPI, seq, IV ahead of the CBC ciphertext */
#define RAW_CBC_LEN 1408		    /* PKT_LEN rounded up to whole AES blocks */
#define RAW_BUF	    (RAW_HDR + RAW_CBC_LEN) /* also PKT_LEN + 24 for HMAC only */

struct raw {
	const struct bcase *c;
	bool aead, enc;
	EVP_CIPHER_CTX *ctx;  /* keyed once; NULL for HMAC only */
	EVP_MAC_CTX *mac;     /* keyed once; NULL for AEAD */
	uint8_t nonce[16];    /* AEAD nonce (12 octets used) or CBC IV */
	uint8_t tag[64];      /* the valid tag of ct, for decrypt */
	uint8_t in[RAW_BUF];  /* plaintext (encrypt) or RAW_HDR || ciphertext (decrypt) */
	uint8_t out[RAW_BUF]; /* RAW_HDR || ciphertext (encrypt) or plaintext (decrypt) */
	uint8_t ct[RAW_BUF];  /* one encrypted packet, input of the decrypt runs */
	uint8_t mtag[64];     /* scratch tag */
	size_t mlen;	      /* octets under the HMAC */
};

static double seconds = 2.0;
static uint8_t plain[PKT_LEN];
static uint8_t work[BUF_SIZE];
static uint8_t ring[RING][BUF_SIZE];
static size_t ring_len[RING];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A UDP/IPv4 packet of PKT_LEN bytes, 192.0.2.1 -> 192.0.2.2, checksum valid. */
static void make_plain(void)
{
	uint32_t sum = 0;
	size_t i;

	memset(plain, 0, sizeof(plain));
	plain[0] = 0x45;
	put_be16(plain + 2, PKT_LEN);
	/* DF set, as on TCP traffic: AH gives an IPv4 packet with ID 0 and DF clear the ID
	 * 0x8000 before signing it (xform/ah.c), so such a packet would not come back equal. */
	plain[6] = 0x40;
	plain[8] = 64;
	plain[9] = 17;
	memcpy(plain + 12, (const uint8_t[]){ 192, 0, 2, 1, 192, 0, 2, 2 }, 8);
	for (i = 0; i < 20; i += 2)
		sum += get_be16(plain + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_be16(plain + 10, (uint16_t)~sum);
	put_be16(plain + 20, 4500);
	put_be16(plain + 22, 9);
	put_be16(plain + 24, PKT_LEN - 20);
	for (i = 28; i < PKT_LEN; i++)
		plain[i] = (uint8_t)i;
}

static struct sa *make_sa(const struct bcase *c, uint8_t dir)
{
	static const uint8_t key[64] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	static const uint8_t ikey[64] = { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct sa_params p;
	struct sa *sa;
	int err;

	memset(&p, 0, sizeof(p));
	p.spi = 0x1000;
	p.proto = c->proto;
	p.mode = SA_MODE_TRANSPORT;
	p.dir = dir;
	ipaddr_parse(&p.src, "192.0.2.1");
	ipaddr_parse(&p.dst, "192.0.2.2");
	p.encr = c->encr;
	p.encr_bits = c->bits;
	p.integ = c->integ;
	p.encr_key = key;
	p.encr_key_len = c->key_len;
	p.integ_key = ikey;
	p.integ_key_len = c->ikey_len;
	p.replay_window = 1024;
	err = sa_new(&sa, &p, 1);
	if (err) {
		fprintf(stderr, "bench_xform: %s: sa_new: %s\n", c->name, strerror(-err));
		exit(1);
	}
	return sa;
}

static enum sa_drop encap(const struct bcase *c, struct sa *sa, struct pbuf *pb)
{
	return c->proto == IPPROTO_ESP ? esp_encap(sa, pb, 1) : ah_encap(sa, pb, 1);
}

static enum sa_drop decap(const struct bcase *c, struct sad *sad, struct pbuf *pb,
			  struct xf_stats *st)
{
	struct sa *found;

	return c->proto == IPPROTO_ESP ? esp_decap(sad, pb, 1, &found, st)
				       : ah_decap(sad, pb, 1, &found, st);
}

static void report(const char *name, const char *what, double ns)
{
	double gbps = PKT_LEN * 8.0 / ns;

	printf("  %-26s %-6s %9.1f ns/packet %7.2f Gbit/s\n", name, what, ns, gbps);
	printf("RESULT %s %s %.1f %.3f\n", name, what, ns, gbps);
}

static void die_drop(const struct bcase *c, const char *what, enum sa_drop d)
{
	fprintf(stderr, "bench_xform: %s %s: dropped (%s)\n", c->name, what, sa_drop_name(d));
	exit(1);
}

static double bench_copy(void)
{
	struct pbuf pb;
	uint64_t n = 0;
	double t0 = now_s(), t;

	do {
		for (int i = 0; i < BATCH; i++) {
			pbuf_init(&pb, work, sizeof(work), PBUF_HEADROOM);
			pbuf_set(&pb, PBUF_HEADROOM, plain, PKT_LEN);
			__asm__ volatile("" : : "r"(work) : "memory");
		}
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds / 4);
	return t * 1e9 / (double)n;
}

static double bench_encap_round(const struct bcase *c, struct sa *sa)
{
	struct pbuf pb;
	enum sa_drop d;
	uint64_t n = 0;
	double t0 = now_s(), t;

	do {
		for (int i = 0; i < BATCH; i++) {
			pbuf_init(&pb, work, sizeof(work), PBUF_HEADROOM);
			pbuf_set(&pb, PBUF_HEADROOM, plain, PKT_LEN);
			d = encap(c, sa, &pb);
			if (d != SA_DROP_NONE)
				die_drop(c, "encap", d);
		}
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds / ROUNDS);
	return t * 1e9 / (double)n;
}

static double bench_encap(const struct bcase *c)
{
	struct sa *sa = make_sa(c, SA_DIR_OUT);
	double best = 1e30, ns;

	for (int r = 0; r < ROUNDS; r++) {
		ns = bench_encap_round(c, sa);
		best = ns < best ? ns : best;
	}
	sa_free(sa);
	return best;
}

/* Fill the ring with packets 1..RING from a fresh outbound SA. */
static void fill_ring(const struct bcase *c)
{
	struct sa *sa = make_sa(c, SA_DIR_OUT);
	struct pbuf pb;
	enum sa_drop d;

	for (int i = 0; i < RING; i++) {
		pbuf_init(&pb, ring[i], sizeof(ring[i]), PBUF_HEADROOM);
		pbuf_set(&pb, PBUF_HEADROOM, plain, PKT_LEN);
		d = encap(c, sa, &pb);
		if (d != SA_DROP_NONE)
			die_drop(c, "encap (ring)", d);
		memmove(ring[i], pbuf_data(&pb), pb.len);
		ring_len[i] = pb.len;
	}
	sa_free(sa);
}

/* Empty the anti-replay window so sequence numbers 1..RING are new again. */
static void replay_reset(struct sa *sa)
{
	sa->replay.top = 0;
	if (sa->replay.bitmap)
		memset(sa->replay.bitmap, 0, sa->replay.nblocks * sizeof(*sa->replay.bitmap));
}

static double bench_decap_round(const struct bcase *c, struct sad *sad, struct sa *sa)
{
	struct xf_stats st;
	struct pbuf pb;
	enum sa_drop d;
	uint64_t n = 0;
	double t0, t;

	memset(&st, 0, sizeof(st));
	t0 = now_s();
	do {
		replay_reset(sa);
		for (int i = 0; i < RING; i++) {
			pbuf_init(&pb, work, sizeof(work), PBUF_HEADROOM);
			pbuf_set(&pb, PBUF_HEADROOM, ring[i], ring_len[i]);
			d = decap(c, sad, &pb, &st);
			if (d != SA_DROP_NONE)
				die_drop(c, "decap", d);
			if (pb.len != PKT_LEN)
				die_drop(c, "decap length", SA_DROP_MALFORMED);
		}
		n += RING;
		t = now_s() - t0;
	} while (t < seconds / ROUNDS);
	/* The last packet must be the original, or the numbers measure a broken transform. */
	if (memcmp(pbuf_data(&pb), plain, PKT_LEN))
		die_drop(c, "decap result differs from the original", SA_DROP_MALFORMED);
	return t * 1e9 / (double)n;
}

static double bench_decap(const struct bcase *c)
{
	struct sad *sad = sad_new();
	struct sa *sa = make_sa(c, SA_DIR_IN);
	double best = 1e30, ns;

	if (!sad || sad_add(sad, sa)) {
		fprintf(stderr, "bench_xform: SAD setup failed\n");
		exit(1);
	}
	fill_ring(c);
	for (int r = 0; r < ROUNDS; r++) {
		ns = bench_decap_round(c, sad, sa);
		best = ns < best ? ns : best;
	}
	sad_free(sad);
	return best;
}

static void raw_die(const struct raw *r, const char *what)
{
	fprintf(stderr, "bench_xform: %s raw EVP: %s failed\n", r->c->name, what);
	exit(1);
}

/* One AEAD packet: nonce, 8 octets of AAD, PKT_LEN octets, final, tag out or checked. */
static void raw_aead(struct raw *r)
{
	static const uint8_t aad[8] = { 0, 0, 0x10, 0, 0, 0, 0, 1 };
	OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
	uint8_t fin[16];
	int outl;

	if (!EVP_CipherInit_ex2(r->ctx, NULL, NULL, r->nonce, r->enc, NULL) ||
	    !EVP_CipherUpdate(r->ctx, NULL, &outl, aad, sizeof(aad)) ||
	    !EVP_CipherUpdate(r->ctx, r->out, &outl, r->enc ? r->in : r->ct, PKT_LEN))
		raw_die(r, "AEAD update");
	if (r->enc) {
		p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, r->mtag,
							 r->c->icv_len);
		if (!EVP_CipherFinal_ex(r->ctx, fin, &outl) ||
		    !EVP_CIPHER_CTX_get_params(r->ctx, p))
			raw_die(r, "AEAD seal");
		return;
	}
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, r->tag, r->c->icv_len);
	if (!EVP_CIPHER_CTX_set_params(r->ctx, p) || EVP_CipherFinal_ex(r->ctx, fin, &outl) <= 0)
		raw_die(r, "AEAD open");
}

static void raw_hmac(struct raw *r, const uint8_t *in)
{
	size_t len;

	if (EVP_MAC_init(r->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(r->mac, in, r->mlen) != 1 ||
	    EVP_MAC_final(r->mac, r->mtag, &len, sizeof(r->mtag)) != 1)
		raw_die(r, "HMAC");
}

/* No EVP_CipherFinal_ex: without padding, on whole blocks, it has nothing to do (cipher.c). */
static void raw_cbc(struct raw *r, const uint8_t *in, uint8_t *out)
{
	int outl;

	if (!EVP_CipherInit_ex2(r->ctx, NULL, NULL, r->nonce, r->enc, NULL) ||
	    !EVP_CipherUpdate(r->ctx, out, &outl, in, RAW_CBC_LEN) || outl != RAW_CBC_LEN)
		raw_die(r, "CBC");
}

/* One CBC+HMAC or HMAC-only packet: encrypt then MAC, or MAC, compare, then decrypt. */
static void raw_etm(struct raw *r)
{
	if (r->enc) {
		if (r->ctx)
			raw_cbc(r, r->in, r->out + RAW_HDR);
		raw_hmac(r, r->out);
		return;
	}
	raw_hmac(r, r->ct);
	if (CRYPTO_memcmp(r->mtag, r->tag, r->c->icv_len))
		raw_die(r, "HMAC check");
	if (r->ctx)
		raw_cbc(r, r->ct + RAW_HDR, r->out);
}

static void raw_one(struct raw *r)
{
	if (r->aead)
		raw_aead(r);
	else
		raw_etm(r);
}

static EVP_CIPHER_CTX *raw_cipher_new(const struct raw *r, bool enc)
{
	static const uint8_t key[32] = { 0x11, 0x22, 0x33 };
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, r->c->evp, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ciph || !ctx || !EVP_CipherInit_ex2(ctx, ciph, key, NULL, enc, NULL) ||
	    (!r->aead && !EVP_CIPHER_CTX_set_padding(ctx, 0)))
		raw_die(r, "cipher setup");
	EVP_CIPHER_free(ciph);
	return ctx;
}

static EVP_MAC_CTX *raw_mac_new(const struct raw *r)
{
	static const uint8_t key[64] = { 0x99, 0xaa };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];

	params[0] =
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)r->c->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key, EVP_MD_get_size(EVP_get_digestbyname(r->c->digest)),
				 params) != 1)
		raw_die(r, "HMAC setup");
	EVP_MAC_free(mac);
	return ctx;
}

/* Key r for one direction. For decryption, one packet is encrypted first with a separate
 * encrypting context so that every timed decryption checks a valid tag. */
static void raw_setup(struct raw *r, const struct bcase *c, bool enc)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->aead = !c->digest;
	r->enc = true;
	memset(r->nonce, 0x42, sizeof(r->nonce));
	memcpy(r->in, plain, PKT_LEN);
	memset(r->out, 0x24, RAW_HDR); /* SPI, seq, IV in front of the ciphertext */
	r->mlen = !c->evp ? PKT_LEN + RAW_HDR : RAW_BUF;
	r->ctx = c->evp ? raw_cipher_new(r, true) : NULL;
	r->mac = c->digest ? raw_mac_new(r) : NULL;
	raw_one(r);
	memcpy(r->ct, r->out, RAW_BUF);
	memcpy(r->tag, r->mtag, sizeof(r->tag));
	if (enc)
		return;
	EVP_CIPHER_CTX_free(r->ctx);
	r->ctx = c->evp ? raw_cipher_new(r, false) : NULL;
	r->enc = false;
}

static void raw_free(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->ctx);
	EVP_MAC_CTX_free(r->mac);
}

static double bench_raw_round(struct raw *r)
{
	uint64_t n = 0;
	double t0 = now_s(), t;

	do {
		for (int i = 0; i < BATCH; i++)
			raw_one(r);
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds / ROUNDS);
	return t * 1e9 / (double)n;
}

static double bench_raw(const struct bcase *c, bool enc)
{
	static struct raw r;
	double best = 1e30, ns;

	raw_setup(&r, c, enc);
	for (int i = 0; i < ROUNDS; i++) {
		ns = bench_raw_round(&r);
		best = ns < best ? ns : best;
	}
	/* The decrypting baseline must give back the plaintext it started from. */
	if (!enc && c->evp && memcmp(r.out, plain, PKT_LEN))
		raw_die(&r, "decryption result");
	raw_free(&r);
	return best;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "usage: bench_xform [--seconds S] [--only NAME]\n");
			return 2;
		}
	}
	if (seconds <= 0)
		seconds = 2.0;
	make_plain();
	printf("bench_xform: %d-byte IPv4 packets, transport mode, one core, %.1f s each "
	       "(fastest of %d rounds)\n",
	       PKT_LEN, seconds, ROUNDS);
	report("memcpy", "copy", bench_copy());
	for (i = 0; i < (int)ARRAY_SIZE(cases); i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		report(cases[i].name, "encap", bench_encap(&cases[i]));
		report(cases[i].name, "decap", bench_decap(&cases[i]));
		report(cases[i].name, "rawenc", bench_raw(&cases[i], true));
		report(cases[i].name, "rawdec", bench_raw(&cases[i], false));
		fflush(stdout);
	}
	return 0;
}
