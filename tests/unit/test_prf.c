/* IKEv2 PRFs and prf+ (src/crypto/prf.h, RFC 7296 2.13).
 *
 * Truth: RFC 2202 / RFC 4231 HMAC vectors for the PRF ids; NIST CAVP SP 800-135 IKEv2 KDF
 * sample values (as carried by NSS and by NIST's ACVP-Server tests, source above each table)
 * for prf+; and a cross-check against python3-cryptography's HMAC computed at test time, with
 * prf+ written out in Python from the RFC's formula (labelled as a cross-check), for SHA-1/256/
 * 384/512 over random keys and seeds up to the 255-block limit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "crypto/prf.h"
#include "lib/util.h"

static size_t hx(uint8_t *out, size_t cap, const char *s)
{
	long n = hex_decode(out, cap, s);

	assert_true(n >= 0);
	return (size_t)n;
}

static void test_ids(void **state)
{
	(void)state;
	assert_int_equal(prf_len(PRF_HMAC_SHA1), 20);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_256), 32);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_384), 48);
	assert_int_equal(prf_len(PRF_HMAC_SHA2_512), 64);
	/* 1 = PRF_HMAC_MD5, 3 = PRF_HMAC_TIGER, 4 = PRF_AES128_XCBC: not supported. */
	assert_int_equal(prf_len(0), 0);
	assert_int_equal(prf_len(1), 0);
	assert_int_equal(prf_len(4), 0);
	assert_int_equal(prf_len(8), 0);
	assert_string_equal(prf_name(PRF_HMAC_SHA2_256), "prf-hmac-sha256");
	assert_string_equal(prf_name(99), "unknown");
}

/* RFC 2202 section 3 test case 2 (SHA-1) and RFC 4231 4.3 test case 2 (SHA-2): key "Jefe",
 * data "what do ya want for nothing?". */
static const struct {
	uint16_t prf;
	const char *mac;
} jefe[] = {
	{ PRF_HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ PRF_HMAC_SHA2_256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ PRF_HMAC_SHA2_384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
			     "8e2240ca5e69e2c78b3239ecfab21649" },
	{ PRF_HMAC_SHA2_512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
			     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
};

static void test_prf_vectors(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	/* The same data given as three pieces, one of them empty: concatenation is implied. */
	const struct xc_piece pieces[3] = { { (const uint8_t *)data, 10 },
					    { NULL, 0 },
					    { (const uint8_t *)data + 10, sizeof(data) - 11 } };
	uint8_t want[PRF_OUT_MAX], out[PRF_OUT_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(jefe); i++) {
		size_t n = hx(want, sizeof(want), jefe[i].mac);

		assert_int_equal(n, prf_len(jefe[i].prf));
		memset(out, 0, sizeof(out));
		assert_int_equal(
			prf_compute(jefe[i].prf, (const uint8_t *)"Jefe", 4, pieces, 3, out), 0);
		assert_memory_equal(out, want, n);
	}
}

/* prf+ (K, S) known answers.
 *
 * NIST CAVP SP 800-135 IKEv2 KDF sample values, as NSS carries them in
 * gtests/common/testvectors/ike-sha{1,256,384}-vectors.h ("these vectors are from this NIST
 * samples", type ikePlus): K = SKEYSEED, S = Ni | Nr | SPIi | SPIr, output = DKM and its
 * prefixes.
 * NIST ACVP-Server crypto/test/NIST.CVP.Crypto.IKEv2.Tests/IKEv2Tests.cs, "IKEv2 SHA2-256"
 * (DKM length 3072 bits): its DKM is checked in test_ikekeys.c end to end; here the first 64
 * octets through prf+ directly with 256-octet nonces as S.
 */
struct plus_vec {
	const char *src;
	uint16_t prf;
	const char *key, *seed, *out;
};

#define SHA1_SEED          \
	"32b50d5f4a3763f3" \
	"9206a04b26564cb1" \
	"34c9e7c188868785" \
	"3ff77d760d2b2199"
#define SHA256_SEED        \
	"3f302be1abcb28e1" \
	"8c332ee006064c9b" \
	"40dac39e1e1a8640" \
	"8619a1cf9a6e4c07"
#define SHA384_SEED        \
	"fd1b572a8e735591" \
	"6013b0ef88dacd3d" \
	"2116ad07ce61f749" \
	"24880e55f11a65b7"

static const struct plus_vec plus_vecs[] = {
	{ "NIST sample SHA-1 (NSS #8), 132 octets", PRF_HMAC_SHA1,
	  "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7", SHA1_SEED,
	  "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e"
	  "514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a5c55b648a194ae587b"
	  "0088d52204b702c979fa280870d2ed41efa9c549fd11198af1670b143d384bd275c5f594c"
	  "f266b05ebadca855e4249520a441a81157435a7a56cc4" },
	{ "NIST sample SHA-1 (NSS #9), 40 octets", PRF_HMAC_SHA1,
	  "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7", SHA1_SEED,
	  "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e"
	  "514a062" },
	{ "NIST sample SHA-1 (NSS #10), 15 octets", PRF_HMAC_SHA1,
	  "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7", SHA1_SEED, "a14293677cc80ff8f9cc0eee30d895" },
	{ "NIST sample SHA-256 (NSS #8), 132 octets", PRF_HMAC_SHA2_256,
	  "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe", SHA256_SEED,
	  "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ece98aca531"
	  "188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6cdf6854379e31be72b"
	  "8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4e1c19bdcd4db14b29d98db1a74a"
	  "d405c588662c14a04d0d36aa4ab55e90f8986d12d4aad" },
	{ "NIST sample SHA-256 (NSS #9), 32 octets", PRF_HMAC_SHA2_256,
	  "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe", SHA256_SEED,
	  "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec" },
	{ "NIST sample SHA-256 (NSS #10), 15 octets", PRF_HMAC_SHA2_256,
	  "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe", SHA256_SEED,
	  "0b137d669b0947d7d026d593f0305a" },
	{ "NIST sample SHA-384 (NSS #8), 132 octets", PRF_HMAC_SHA2_384,
	  "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d7d0b596f5"
	  "1f7dfcf3330061888f6a94f",
	  SHA384_SEED,
	  "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cacb04cd6dee"
	  "da4f952191dd9bc1f7a9502471a648d74dc06d38112de48a42501f6b1a3ad55c2099cd9a6"
	  "48e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca0c2fcca81ec1a412006dfaed38f"
	  "a06882e61f4c148105fb8e231fdb33c4d484c001721d4" },
	{ "NIST sample SHA-384 (NSS #9), 48 octets", PRF_HMAC_SHA2_384,
	  "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d7d0b596f5"
	  "1f7dfcf3330061888f6a94f",
	  SHA384_SEED,
	  "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cacb04cd6dee"
	  "da4f952191dd9bc1f7a9502" },
};

static void test_plus_vectors(void **state)
{
	uint8_t key[PRF_OUT_MAX], seed[64], want[256], out[256 + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(plus_vecs); i++) {
		const struct plus_vec *v = &plus_vecs[i];
		size_t kl = hx(key, sizeof(key), v->key), sl = hx(seed, sizeof(seed), v->seed);
		size_t ol = hx(want, sizeof(want), v->out);
		/* Split the seed where the IKE code splits it: Ni, Nr, SPIi, SPIr. */
		const struct xc_piece s[4] = {
			{ seed, 8 }, { seed + 8, 8 }, { seed + 16, 8 }, { seed + 24, sl - 24 }
		};

		memset(out, 0xa5, sizeof(out));
		assert_int_equal(prf_plus(v->prf, key, kl, s, 4, out, ol), 0);
		if (memcmp(out, want, ol) != 0)
			fail_msg("%s: prf+ mismatch", v->src);
		/* Exactly ol octets written. */
		assert_int_equal(out[ol], 0xa5);
		/* One piece or four: the same stream. */
		const struct xc_piece whole = { seed, sl };

		memset(out, 0, sizeof(out));
		assert_int_equal(prf_plus(v->prf, key, kl, &whole, 1, out, ol), 0);
		assert_memory_equal(out, want, ol);
	}
}

static void test_plus_limits(void **state)
{
	static uint8_t out[PRF_PLUS_BLOCKS_MAX * PRF_OUT_MAX + 1];
	const uint8_t key[4] = { 1, 2, 3, 4 };
	const struct xc_piece s = { key, sizeof(key) };
	const uint16_t prfs[] = { PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384,
				  PRF_HMAC_SHA2_512 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(prfs); i++) {
		size_t max = PRF_PLUS_BLOCKS_MAX * prf_len(prfs[i]);

		/* RFC 7296 2.13: not defined beyond 255 blocks. */
		assert_int_equal(prf_plus(prfs[i], key, 4, &s, 1, out, max), 0);
		assert_int_equal(prf_plus(prfs[i], key, 4, &s, 1, out, max + 1), -EINVAL);
	}
	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, key, 4, &s, 1, out, 0), 0);
	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, key, 4, &s, 1, NULL, 0), 0);
	assert_int_equal(prf_plus(4, key, 4, &s, 1, out, 16), -EINVAL);
	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, key, 4, &s, 1, NULL, 16), -EINVAL);
	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, NULL, 4, &s, 1, out, 16), -EINVAL);
	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, key, 4, NULL, 1, out, 16), -EINVAL);
	const struct xc_piece bad = { NULL, 3 };

	assert_int_equal(prf_plus(PRF_HMAC_SHA2_256, key, 4, &bad, 1, out, 16), -EINVAL);
	assert_int_equal(prf_compute(PRF_HMAC_SHA2_256, key, 4, &bad, 1, out), -EINVAL);
	assert_int_equal(prf_compute(1, key, 4, &s, 1, out), -EINVAL);
	assert_int_equal(prf_compute(PRF_HMAC_SHA2_256, key, 4, &s, 1, NULL), -EINVAL);
	/* An empty key is a valid HMAC key. */
	assert_int_equal(prf_compute(PRF_HMAC_SHA2_256, NULL, 0, &s, 1, out), 0);
}

/* Cross-check (not a published vector): prf+ written in Python from RFC 7296 2.13 over
 * python3-cryptography's HMAC. */
static bool py_prf_plus(const char *hash, const char *key, const char *seed, size_t len,
			char *out_hex, size_t cap)
{
	char cmd[4096];
	FILE *f;
	bool ok;

	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import sys\n"
		 "from cryptography.hazmat.primitives import hashes, hmac\n"
		 "def prf(k, m):\n"
		 "    h = hmac.HMAC(k, getattr(hashes, sys.argv[1])())\n"
		 "    h.update(m)\n"
		 "    return h.finalize()\n"
		 "k, s, n = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), "
		 "int(sys.argv[4])\n"
		 "out, t, i = b\"\", b\"\", 1\n"
		 "while len(out) < n:\n"
		 "    t = prf(k, t + s + bytes([i]))\n"
		 "    out += t\n"
		 "    i += 1\n"
		 "print(out[:n].hex())' %s %s %s %zu",
		 hash, key, seed, len);
	f = popen(cmd, "r");
	if (!f)
		return false;
	ok = fgets(out_hex, (int)cap, f) != NULL;
	if (pclose(f) != 0)
		ok = false;
	return ok;
}

static void test_plus_cross(void **state)
{
	static const struct {
		uint16_t prf;
		const char *py;
	} h[] = { { PRF_HMAC_SHA1, "SHA1" },
		  { PRF_HMAC_SHA2_256, "SHA256" },
		  { PRF_HMAC_SHA2_384, "SHA384" },
		  { PRF_HMAC_SHA2_512, "SHA512" } };
	/* Key lengths around the HMAC block (64/128) and past it (hashed, RFC 2104); output
	 * lengths of one partial block, several, and the 255-block maximum. */
	static const size_t key_lens[] = { 0, 17, 64, 129, 300 };
	static uint8_t out[PRF_PLUS_BLOCKS_MAX * PRF_OUT_MAX], want[sizeof(out)];
	static char hex_out[2 * sizeof(out) + 2];
	uint8_t key[300], seed[200];
	char hkey[2 * sizeof(key) + 1], hseed[2 * sizeof(seed) + 1];
	size_t runs = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(key_lens); k++) {
			size_t kl = key_lens[k], sl = (k * 37 + i * 11) % sizeof(seed);
			size_t ol = k == 4 ? PRF_PLUS_BLOCKS_MAX * prf_len(h[i].prf) : 1 + k * 70;
			const struct xc_piece s = { seed, sl };

			assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
			assert_int_equal(RAND_bytes(seed, sizeof(seed)), 1);
			assert_int_equal(prf_plus(h[i].prf, key, kl, &s, 1, out, ol), 0);
			hex_encode(hkey, key, kl);
			hex_encode(hseed, seed, sl);
			/* An empty argument still needs to reach Python. */
			assert_true(py_prf_plus(h[i].py, kl ? hkey : "''", sl ? hseed : "''", ol,
						hex_out, sizeof(hex_out)));
			assert_int_equal(hx(want, sizeof(want), hex_out), ol);
			if (memcmp(out, want, ol) != 0)
				fail_msg("%s key %zu seed %zu out %zu: prf+ differs from Python",
					 h[i].py, kl, sl, ol);
			runs++;
		}
	}
	assert_int_equal(runs, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),	     cmocka_unit_test(test_prf_vectors),
		cmocka_unit_test(test_plus_vectors), cmocka_unit_test(test_plus_limits),
		cmocka_unit_test(test_plus_cross),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
