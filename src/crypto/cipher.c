/* Keyed ESP/AH ciphers over OpenSSL 3 EVP (see cipher.h for the shapes of the calls).
 *
 * Every EVP context is created and keyed once in xcipher_new(); per packet only the IV is
 * re-initialised (EVP_CipherInit_ex2 with NULL cipher and key, or for CBC decryption the IV
 * decrypted as a block), which OpenSSL does without allocating. HMACs are EVP_MAC contexts keyed
 * once (hmac.c; OpenSSL 3.0 allocates inside libcrypto when it restarts them, see hmac.h).
 *
 * The per-packet call sequences are the cheapest ones OpenSSL 3.0's public API offers, measured
 * (docs/benchmarks.md, "Crypto cost per packet"): the AEAD tag is read and set through an
 * OSSL_PARAM (EVP_CIPHER_CTX_get_params/set_params) rather than EVP_CIPHER_CTX_ctrl, which in
 * 3.0 only translates the ctrl into the same OSSL_PARAM call (15-30 ns a packet); CBC without
 * padding on whole blocks skips EVP_CipherFinal_ex, which has nothing left to do (~10 ns); CBC
 * decryption sets the IV by decrypting it as a block instead of re-initialising (cbc_chain_to,
 * about 100 ns). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "crypto/cipher.h"
#include "crypto/hmac.h"
#include "lib/util.h"

enum encr_kind { K_NULL, K_CBC, K_GCM, K_GMAC, K_CHACHA };

struct encr_row {
	uint16_t id, bits;
	enum encr_kind kind;
	const char *name;
	const char *evp; /* OpenSSL cipher name; NULL for ENCR_NULL */
	uint8_t icv_len; /* AEAD tag */
};

/* RFC 4106 8.1 (GCM ICV 8/12/16, AES 128/192/256), RFC 4543 3.2 (GMAC), RFC 7634 2 (ChaCha),
 * RFC 3602 (CBC), RFC 2410 (NULL). */
static const struct encr_row encr_rows[] = {
	{ ENCR_NULL, 0, K_NULL, "null", NULL, 0 },
	{ ENCR_AES_CBC, 128, K_CBC, "aes-cbc-128", "AES-128-CBC", 0 },
	{ ENCR_AES_CBC, 192, K_CBC, "aes-cbc-192", "AES-192-CBC", 0 },
	{ ENCR_AES_CBC, 256, K_CBC, "aes-cbc-256", "AES-256-CBC", 0 },
	{ ENCR_AES_GCM_8, 128, K_GCM, "aes-gcm-128/icv8", "AES-128-GCM", 8 },
	{ ENCR_AES_GCM_8, 192, K_GCM, "aes-gcm-192/icv8", "AES-192-GCM", 8 },
	{ ENCR_AES_GCM_8, 256, K_GCM, "aes-gcm-256/icv8", "AES-256-GCM", 8 },
	{ ENCR_AES_GCM_12, 128, K_GCM, "aes-gcm-128/icv12", "AES-128-GCM", 12 },
	{ ENCR_AES_GCM_12, 192, K_GCM, "aes-gcm-192/icv12", "AES-192-GCM", 12 },
	{ ENCR_AES_GCM_12, 256, K_GCM, "aes-gcm-256/icv12", "AES-256-GCM", 12 },
	{ ENCR_AES_GCM_16, 128, K_GCM, "aes-gcm-128/icv16", "AES-128-GCM", 16 },
	{ ENCR_AES_GCM_16, 192, K_GCM, "aes-gcm-192/icv16", "AES-192-GCM", 16 },
	{ ENCR_AES_GCM_16, 256, K_GCM, "aes-gcm-256/icv16", "AES-256-GCM", 16 },
	{ ENCR_NULL_AUTH_AES_GMAC, 128, K_GMAC, "aes-gmac-128", "AES-128-GCM", 16 },
	{ ENCR_NULL_AUTH_AES_GMAC, 192, K_GMAC, "aes-gmac-192", "AES-192-GCM", 16 },
	{ ENCR_NULL_AUTH_AES_GMAC, 256, K_GMAC, "aes-gmac-256", "AES-256-GCM", 16 },
	{ ENCR_CHACHA20_POLY1305, 256, K_CHACHA, "chacha20-poly1305", "ChaCha20-Poly1305", 16 },
};

struct integ_row {
	uint16_t id;
	enum xc_hash hash;
	const char *name;
	uint8_t key_len, icv_len;
};

/* RFC 4868 2.1-2.3 (key = hash output length, ICV = half of it), RFC 2404 (SHA1-96). */
static const struct integ_row integ_rows[] = {
	{ AUTH_HMAC_SHA1_96, XC_SHA1, "hmac-sha1-96", 20, 12 },
	{ AUTH_HMAC_SHA2_256_128, XC_SHA256, "hmac-sha256-128", 32, 16 },
	{ AUTH_HMAC_SHA2_384_192, XC_SHA384, "hmac-sha384-192", 48, 24 },
	{ AUTH_HMAC_SHA2_512_256, XC_SHA512, "hmac-sha512-256", 64, 32 },
};

struct xcipher {
	struct xcipher_desc d;
	enum encr_kind kind;
	bool has_encr; /* false: integrity only (AH) */
	bool has_mac;
	EVP_CIPHER_CTX *ctx; /* NULL for ENCR_NULL and integrity only */
	uint8_t salt[XCIPHER_SALT_LEN];
	struct xc_hmac mac;
	/* Outbound CBC only: random octets drawn ahead of time, IVs handed out from iv_off on
	 * (see xcipher_gen_iv). NULL otherwise. */
	uint8_t *iv_pool;
	size_t iv_off;
	unsigned long iv_fork_gen; /* fork_gen when the pool was filled */
};

/* 64 CBC IVs per RAND_bytes call. RAND_bytes costs ~0.8 us a call whatever the size (locking
 * and OpenSSL's fork check, a getpid system call), against ~1 ns per octet generated. */
#define IV_POOL_SIZE 1024

static const struct encr_row *encr_find(uint16_t encr, uint16_t bits)
{
	/* IKEv2 sends no Key Length attribute for ChaCha20-Poly1305 (RFC 7634 2). */
	if (encr == ENCR_CHACHA20_POLY1305 && bits == 0)
		bits = 256;
	for (size_t i = 0; i < ARRAY_SIZE(encr_rows); i++)
		if (encr_rows[i].id == encr && encr_rows[i].bits == bits)
			return &encr_rows[i];
	return NULL;
}

static const struct integ_row *integ_find(uint16_t integ)
{
	for (size_t i = 0; i < ARRAY_SIZE(integ_rows); i++)
		if (integ_rows[i].id == integ)
			return &integ_rows[i];
	return NULL;
}

static void encr_fill(const struct encr_row *r, struct xc_encr_info *o)
{
	bool salted = r->kind == K_GCM || r->kind == K_GMAC || r->kind == K_CHACHA;

	memset(o, 0, sizeof(*o));
	o->id = r->id;
	o->bits = r->bits;
	o->name = r->name;
	o->salt_len = salted ? XCIPHER_SALT_LEN : 0;
	o->key_len = r->bits / 8 + o->salt_len;
	/* RFC 4106 3.1, RFC 4543 3.1, RFC 7634 2: 8-octet IV; RFC 3602 2.1: one block. */
	o->iv_len = r->kind == K_CBC ? 16 : r->kind == K_NULL ? 0 : 8;
	o->icv_len = r->icv_len;
	o->block = r->kind == K_CBC ? 16 : 1;
	/* RFC 4303 2.4: pad to the cipher block, and at least to 4 octets. */
	o->align = r->kind == K_CBC ? 16 : 4;
	o->aead = salted;
	o->gmac = r->kind == K_GMAC;
}

int xcipher_encr_info(uint16_t encr, uint16_t encr_bits, struct xc_encr_info *out)
{
	const struct encr_row *r = encr_find(encr, encr_bits);

	if (!r || !out)
		return -EINVAL;
	encr_fill(r, out);
	return 0;
}

int xcipher_integ_info(uint16_t integ, struct xc_integ_info *out)
{
	const struct integ_row *r = integ_find(integ);

	if (!r || !out)
		return -EINVAL;
	out->id = r->id;
	out->name = r->name;
	out->key_len = r->key_len;
	out->icv_len = r->icv_len;
	return 0;
}

int xcipher_check(uint16_t encr, uint16_t encr_bits, uint16_t integ, size_t encr_key_len,
		  size_t integ_key_len)
{
	struct xc_encr_info e;
	struct xc_integ_info i;

	if (encr == 0) { /* AH: integrity only */
		if (encr_bits || encr_key_len || xcipher_integ_info(integ, &i) < 0)
			return -EINVAL;
		return integ_key_len == i.key_len ? 0 : -EINVAL;
	}
	if (xcipher_encr_info(encr, encr_bits, &e) < 0 || encr_key_len != e.key_len)
		return -EINVAL;
	if (e.aead) /* combined mode: the cipher is the integrity (RFC 4106 8.1) */
		return integ == AUTH_NONE && integ_key_len == 0 ? 0 : -EINVAL;
	/* CBC needs an integrity transform with us, and RFC 4303 3.2 forbids NULL+NONE. */
	if (xcipher_integ_info(integ, &i) < 0)
		return -EINVAL;
	return integ_key_len == i.key_len ? 0 : -EINVAL;
}

/* xcipher_check() has accepted the pair; the checks here only keep that promise explicit. */
static int desc_fill(struct xcipher *c, uint16_t encr, uint16_t integ)
{
	const struct integ_row *ir = integ_find(integ);
	struct xc_encr_info e;

	if (c->has_encr ? xcipher_encr_info(encr, c->d.encr_bits, &e) < 0 : !ir)
		return -EINVAL;
	c->d.encr = encr;
	c->d.integ = integ;
	if (c->has_encr) {
		c->d.encr_bits = e.bits;
		c->d.iv_len = e.iv_len;
		c->d.icv_len = e.icv_len;
		c->d.block = e.block;
		c->d.align = e.align;
		c->d.aead = e.aead;
		c->d.gmac = e.gmac;
	} else {
		c->d.block = 1;
		c->d.align = 4;
	}
	if (ir)
		c->d.icv_len = ir->icv_len;
	if (c->has_encr && ir)
		snprintf(c->d.name, sizeof(c->d.name), "%s+%s", e.name, ir->name);
	else
		snprintf(c->d.name, sizeof(c->d.name), "%s", c->has_encr ? e.name : ir->name);
	return 0;
}

static int cipher_key(struct xcipher *c, const struct encr_row *r, const uint8_t *key,
		      size_t key_len, bool encrypt)
{
	EVP_CIPHER *ciph;
	size_t klen = key_len;
	int ok;

	if (r->kind == K_NULL)
		return 0;
	if (r->kind != K_CBC) {
		/* RFC 4106 8.1 / RFC 4543 3.2 / RFC 7634 2: the salt is the last 4 octets. */
		klen -= XCIPHER_SALT_LEN;
		memcpy(c->salt, key + klen, XCIPHER_SALT_LEN);
	}
	ciph = EVP_CIPHER_fetch(NULL, r->evp, NULL);
	if (!ciph)
		return -ENOTSUP;
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx) {
		EVP_CIPHER_free(ciph);
		return -ENOMEM;
	}
	ok = EVP_CipherInit_ex2(c->ctx, ciph, key, NULL, encrypt, NULL) &&
	     (size_t)EVP_CIPHER_CTX_get_key_length(c->ctx) == klen;
	/* The 12-octet nonce is the default for both GCM and ChaCha20-Poly1305. */
	if (ok && r->kind != K_CBC)
		ok = EVP_CIPHER_CTX_get_iv_length(c->ctx) == 12;
	/* ESP pads itself (RFC 4303 2.4); OpenSSL must not add PKCS#7 padding. */
	if (ok && r->kind == K_CBC)
		ok = EVP_CIPHER_CTX_set_padding(c->ctx, 0);
	EVP_CIPHER_free(ciph); /* the context keeps its own reference */
	return ok ? 0 : -EIO;
}

/* CBC IV pool.
 *
 * RFC 3602 2.3: the CBC IV must be random and unpredictable to an attacker. Octets drawn from
 * OpenSSL's CSPRNG ahead of time stay exactly as unpredictable to an outsider as octets drawn at
 * send time: they are the same generator's output, kept only in this process's memory until the
 * packet that carries them is sent. Each octet is handed out once (the offset only moves
 * forward and the pool is refilled with one RAND_bytes call when used up), so no IV is reused
 * except by chance of the generator (2^-128 per pair). The unsent rest is wiped in
 * xcipher_free().
 *
 * RAND_bytes itself reseeds after fork(); a pool copied into a child would not, and parent and
 * child would send the same IVs. A pthread_atfork() child handler bumps fork_gen, and a pool
 * filled before the last fork is refilled before use. */
static unsigned long fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	fork_gen++;
}

static void fork_hook(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}

static int iv_pool_new(struct xcipher *c, bool encrypt)
{
	if (c->kind != K_CBC || !encrypt)
		return 0;
	pthread_once(&fork_once, fork_hook);
	c->iv_pool = malloc(IV_POOL_SIZE);
	if (!c->iv_pool)
		return -ENOMEM;
	c->iv_off = IV_POOL_SIZE; /* empty: filled on first use */
	return 0;
}

static int cbc_iv_take(struct xcipher *c, uint8_t *iv)
{
	size_t n = c->d.iv_len;

	if (!c->iv_pool) /* a decrypting context has no pool and never sends IVs */
		return RAND_bytes(iv, (int)n) == 1 ? 0 : -EIO;
	if (c->iv_off + n > IV_POOL_SIZE || c->iv_fork_gen != fork_gen) {
		if (RAND_bytes(c->iv_pool, IV_POOL_SIZE) != 1)
			return -EIO;
		c->iv_off = 0;
		c->iv_fork_gen = fork_gen;
	}
	memcpy(iv, c->iv_pool + c->iv_off, n);
	wipe(c->iv_pool + c->iv_off, n); /* handed out: not kept in two places */
	c->iv_off += n;
	return 0;
}

int xcipher_new(struct xcipher **out, uint16_t encr, uint16_t encr_bits, uint16_t integ,
		const uint8_t *encr_key, size_t encr_key_len, const uint8_t *integ_key,
		size_t integ_key_len, bool encrypt)
{
	const struct integ_row *ir;
	struct xcipher *c;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (xcipher_check(encr, encr_bits, integ, encr_key_len, integ_key_len) < 0)
		return -EINVAL;
	if ((encr_key_len && !encr_key) || (integ_key_len && !integ_key))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d.encrypt = encrypt;
	c->has_encr = encr != 0;
	c->d.encr_bits = encr_bits;
	if (c->has_encr) {
		const struct encr_row *r = encr_find(encr, encr_bits);

		c->kind = r->kind;
		rc = cipher_key(c, r, encr_key, encr_key_len, encrypt);
		if (rc < 0)
			goto fail;
		rc = iv_pool_new(c, encrypt);
		if (rc < 0)
			goto fail;
	}
	ir = integ_find(integ);
	if (ir) {
		rc = xc_hmac_init(&c->mac, ir->hash, integ_key, integ_key_len);
		if (rc < 0)
			goto fail;
		c->has_mac = true;
	}
	rc = desc_fill(c, encr, integ);
	if (rc < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	xcipher_free(c);
	return rc;
}

void xcipher_free(struct xcipher *c)
{
	if (!c)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedule it holds. */
	EVP_CIPHER_CTX_free(c->ctx);
	xc_hmac_wipe(&c->mac);
	if (c->iv_pool) { /* IVs not yet sent must not outlive the SA */
		wipe(c->iv_pool, IV_POOL_SIZE);
		free(c->iv_pool);
	}
	wipe(c, sizeof(*c));
	free(c);
}

const struct xcipher_desc *xcipher_desc(const struct xcipher *c)
{
	return c ? &c->d : NULL;
}

size_t xcipher_iv_len(const struct xcipher *c)
{
	return c ? c->d.iv_len : 0;
}

size_t xcipher_icv_len(const struct xcipher *c)
{
	return c ? c->d.icv_len : 0;
}

size_t xcipher_align(const struct xcipher *c)
{
	return c ? c->d.align : 4;
}

bool xcipher_is_aead(const struct xcipher *c)
{
	return c && c->d.aead;
}

const char *xcipher_name(const struct xcipher *c)
{
	return c ? c->d.name : "(none)";
}

int xcipher_gen_iv(struct xcipher *c, uint64_t seq, uint8_t *iv)
{
	if (!c || (c->d.iv_len && !iv))
		return -EINVAL;
	if (c->d.iv_len == 0)
		return 0;
	if (c->kind == K_CBC)
		return cbc_iv_take(c, iv);
	/* RFC 4106 3.1 / RFC 7634 2: must never repeat under one key; the counter cannot. */
	for (int i = 7; i >= 0; i--) {
		iv[i] = (uint8_t)seq;
		seq >>= 8;
	}
	return 0;
}

static bool pieces_ok(const struct xc_piece *in, size_t n)
{
	if (n && !in)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((in[i].n && !in[i].p) || in[i].n > INT_MAX)
			return false;
	return true;
}

/* Feed pieces as AAD (out == NULL in EVP_CipherUpdate means "authenticate only"). */
static bool aad_feed(EVP_CIPHER_CTX *ctx, const struct xc_piece *in, size_t n)
{
	int outl;

	for (size_t i = 0; i < n; i++)
		if (in[i].n && !EVP_CipherUpdate(ctx, NULL, &outl, in[i].p, (int)in[i].n))
			return false;
	return true;
}

/* Common front half of seal and open: nonce, AAD, then the data (encrypted/decrypted in
 * place, or for GMAC authenticated after the IV, RFC 4543 3.5). */
static int aead_start(struct xcipher *c, bool enc, const struct xc_piece *aad, size_t naad,
		      const uint8_t *iv, uint8_t *data, size_t len, const uint8_t *icv)
{
	uint8_t nonce[XCIPHER_SALT_LEN + 8];
	int outl;

	if (!c || !c->d.aead || c->d.encrypt != enc || !iv || !icv || (len && !data) ||
	    len > INT_MAX || !pieces_ok(aad, naad))
		return -EINVAL;
	/* RFC 4106 4 / RFC 4543 3.2 / RFC 7634 2: nonce = salt || explicit IV. */
	memcpy(nonce, c->salt, XCIPHER_SALT_LEN);
	memcpy(nonce + XCIPHER_SALT_LEN, iv, 8);
	if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, nonce, enc, NULL))
		return -EIO;
	if (!aad_feed(c->ctx, aad, naad))
		return -EIO;
	if (c->kind == K_GMAC) {
		if (!EVP_CipherUpdate(c->ctx, NULL, &outl, iv, 8))
			return -EIO;
		if (len && !EVP_CipherUpdate(c->ctx, NULL, &outl, data, (int)len))
			return -EIO;
		return 0;
	}
	if (len && (!EVP_CipherUpdate(c->ctx, data, &outl, data, (int)len) || (size_t)outl != len))
		return -EIO;
	return 0;
}

/* The AEAD tag as an OSSL_PARAM of icv_len octets at buf (GCM and ChaCha20-Poly1305 take
 * 1..16; RFC 4106 truncated ICVs are the leading octets). */
static void tag_param(OSSL_PARAM p[2], uint8_t *buf, size_t icv_len)
{
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, buf, icv_len);
	p[1] = OSSL_PARAM_construct_end();
}

int xcipher_seal(struct xcipher *c, const struct xc_piece *aad, size_t naad, const uint8_t *iv,
		 uint8_t *data, size_t len, uint8_t *icv)
{
	OSSL_PARAM p[2];
	uint8_t fin[16];
	int outl, rc;

	rc = aead_start(c, true, aad, naad, iv, data, len, icv);
	if (rc < 0)
		return rc;
	if (!EVP_EncryptFinal_ex(c->ctx, fin, &outl) || outl != 0)
		return -EIO;
	/* RFC 4106 6: a shorter ICV is the leading octets of the full tag. */
	tag_param(p, icv, c->d.icv_len);
	if (!EVP_CIPHER_CTX_get_params(c->ctx, p))
		return -EIO;
	return 0;
}

int xcipher_open(struct xcipher *c, const struct xc_piece *aad, size_t naad, const uint8_t *iv,
		 uint8_t *data, size_t len, const uint8_t *icv)
{
	uint8_t tag[16], fin[16];
	OSSL_PARAM p[2];
	int outl, rc;

	rc = aead_start(c, false, aad, naad, iv, data, len, icv);
	if (rc < 0)
		return rc;
	memcpy(tag, icv, c->d.icv_len); /* the parameter is not const */
	tag_param(p, tag, c->d.icv_len);
	if (!EVP_CIPHER_CTX_set_params(c->ctx, p))
		return -EIO;
	/* OpenSSL compares the tag with CRYPTO_memcmp (constant time). */
	if (EVP_DecryptFinal_ex(c->ctx, fin, &outl) <= 0)
		return -EBADMSG;
	return 0;
}

/* Make iv the chaining value of a CBC decryption context without re-initialising it.
 * CBC decryption of a block is D(C[i]) xor C[i-1], so after any block C has gone through the
 * context the next block is decrypted against C, whatever came before. Decrypting the IV as a
 * block (output discarded) therefore leaves the context exactly where EVP_CipherInit_ex2 with
 * that IV would, for one AES block operation instead of OpenSSL 3.0's re-initialisation, which
 * looks the IV length up by name (about 100 ns a packet, docs/benchmarks.md "Crypto cost per
 * packet"). Encryption cannot do this: its chaining value is an output of the cipher. */
static bool cbc_chain_to(struct xcipher *c, const uint8_t *iv)
{
	uint8_t lead[16];
	int outl;
	bool ok;

	if (c->d.iv_len > sizeof(lead))
		return false;
	ok = EVP_CipherUpdate(c->ctx, lead, &outl, iv, (int)c->d.iv_len) &&
	     (size_t)outl == c->d.iv_len;
	wipe(lead, sizeof(lead)); /* D(iv) xor the last packet's final block: not for anyone */
	return ok;
}

static int cbc_run(struct xcipher *c, bool enc, const uint8_t *iv, uint8_t *data, size_t len)
{
	int outl;

	if (!c || !c->has_encr || c->d.aead || c->d.encrypt != enc || (len && !data) ||
	    len > INT_MAX || len % c->d.block)
		return -EINVAL;
	if (c->kind == K_NULL) /* RFC 2410: the identity */
		return 0;
	if (!iv)
		return -EINVAL;
	if (enc) {
		if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, enc, NULL))
			return -EIO;
	} else if (!cbc_chain_to(c, iv)) {
		return -EIO;
	}
	if (len == 0)
		return 0;
	/* Padding is off and len is whole blocks, so the update emits every block (also when
	 * decrypting: OpenSSL holds a block back only for padding) and EVP_CipherFinal_ex would
	 * have nothing to do; the next packet starts the chain again. */
	if (!EVP_CipherUpdate(c->ctx, data, &outl, data, (int)len) || (size_t)outl != len)
		return -EIO;
	return 0;
}

int xcipher_encrypt(struct xcipher *c, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cbc_run(c, true, iv, data, len);
}

int xcipher_decrypt(struct xcipher *c, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cbc_run(c, false, iv, data, len);
}

int xcipher_mac(struct xcipher *c, const struct xc_piece *in, size_t n, uint8_t *icv)
{
	uint8_t full[XC_HMAC_DIGEST_MAX];
	int rc;

	if (!c || !c->has_mac || !icv || !pieces_ok(in, n))
		return -EINVAL;
	rc = xc_hmac_compute(&c->mac, in, n, full);
	/* RFC 4868 2.1.1 / RFC 2404 2: the ICV is the leftmost bits of the HMAC. */
	if (rc == 0)
		memcpy(icv, full, c->d.icv_len);
	wipe(full, sizeof(full));
	return rc;
}

int xcipher_mac_verify(struct xcipher *c, const struct xc_piece *in, size_t n, const uint8_t *icv)
{
	uint8_t mine[XCIPHER_ICV_MAX];
	int rc;

	if (!icv)
		return -EINVAL;
	rc = xcipher_mac(c, in, n, mine);
	if (rc < 0)
		return rc;
	rc = ct_equal(mine, icv, c->d.icv_len) ? 0 : -EBADMSG;
	wipe(mine, sizeof(mine));
	return rc;
}
