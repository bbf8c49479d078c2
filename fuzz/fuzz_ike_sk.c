/* libFuzzer harness for SK/SKF opening (src/ike/sk.c) with fixed keys.
 *
 * Input: byte 0 picks a suite (low 3 bits) and a mode (bit 7); the rest is the data.
 *   mode 0: the data is one received datagram. If ikev2_msg_parse() finds SK or SKF,
 *     ike_sk_open() runs on an exact-size copy (ASan sees any overread); whatever it returns,
 *     it must not crash, and an OK must point inside the message, after the IV. Then the
 *     plaintext goes through ikev2_inner_parse(). Forged ICVs almost never pass, so the seeds
 *     (fuzz/corpus/ike_sk) are messages really protected under these keys.
 *   mode 1: the data is plaintext: it is protected into an SK payload under the suite's
 *     outbound key, then opened with the matching inbound key; the round trip must give the
 *     same octets back and the same first type (byte 1).
 * Keys: SK_e[i] = 1 + 7i, SK_a[i] = 0xa0 + i (as test_ike_sk's keys_fill(seed 0)).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "crypto/cipher.h"
#include "crypto/ikekeys.h"
#include "ike/sk.h"
#include "wire/ikev2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct suite {
	uint16_t encr, bits, integ;
	size_t ek_len, ak_len;
};

static const struct suite suites[8] = {
	{ ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0 },
	{ ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0 },
	{ ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, 36, 0 },
	{ ENCR_AES_GCM_8, 128, AUTH_NONE, 20, 0 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_384_192, 32, 48 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 32, 64 },
	{ ENCR_AES_GCM_12, 256, AUTH_NONE, 36, 0 },
};

static struct ike_sk out_sk[8], in_sk[8];
static bool keyed;
static struct ikev2_msg msg;

static void key_all(void)
{
	uint8_t ek[IKEKEYS_ENCR_MAX], ak[IKEKEYS_INTEG_MAX];

	for (unsigned i = 0; i < IKEKEYS_ENCR_MAX; i++)
		ek[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < IKEKEYS_INTEG_MAX; i++)
		ak[i] = (uint8_t)(0xa0 + i);
	for (unsigned i = 0; i < 8; i++) {
		const struct suite *s = &suites[i];

		CHECK(ike_sk_init(&out_sk[i], s->encr, s->bits, s->integ, ek, s->ek_len, ak,
				  s->ak_len, true) == IKE_SK_OK);
		CHECK(ike_sk_init(&in_sk[i], s->encr, s->bits, s->integ, ek, s->ek_len, ak,
				  s->ak_len, false) == IKE_SK_OK);
	}
	keyed = true;
}

static void open_one(const struct ike_sk *in, const uint8_t *data, size_t size)
{
	struct ike_sk_plain p;
	uint8_t *copy;

	if (ikev2_msg_parse(data, size, &msg) != IKEV2_OK || !(msg.has_sk || msg.has_skf))
		return;
	copy = malloc(size);
	CHECK(copy);
	memcpy(copy, data, size);
	if (ike_sk_open(in, copy, size, &msg.sk, &p) == IKE_SK_OK) {
		CHECK(p.off == msg.sk.body_off + in->iv_len);
		CHECK(p.off + p.len + 1 + in->icv_len <= size);
		/* The inner chain may well be garbage; it must only not crash the parser. */
		ikev2_inner_parse(copy + p.off, p.len, p.first, &msg);
	}
	free(copy);
}

static void round_trip(struct ike_sk *out, const struct ike_sk *in, const uint8_t *data,
		       size_t size)
{
	static const struct ikev2_hdr h = { .ispi = 1,
					    .rspi = 2,
					    .major = IKEV2_MAJOR,
					    .exchange = IKEV2_EXCH_INFORMATIONAL,
					    .msgid = 7 };
	static uint8_t buf[70000];
	struct ike_sk_plain p;
	struct ike_sk_msg m;
	struct ikev2_wr b;
	uint8_t first;
	size_t len;

	if (size < 1)
		return;
	first = data[0];
	data++;
	size--;
	ikev2_wr_init(&b, buf, sizeof(buf), &h);
	CHECK(ike_sk_begin(out, &b, &m) == IKE_SK_OK);
	wr_bytes(&m.inner.w, data, size);
	if (ike_sk_end_first(out, &m, first, &len) != IKE_SK_OK)
		return; /* too long for one SK payload */
	CHECK(ikev2_msg_parse(buf, len, &msg) == IKEV2_OK && msg.has_sk);
	CHECK(ike_sk_open(in, buf, len, &msg.sk, &p) == IKE_SK_OK);
	CHECK(p.first == first && p.len == size);
	CHECK(memcmp(buf + p.off, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned s;

	if (!keyed)
		key_all();
	if (size < 1)
		return 0;
	s = data[0] & 7;
	if (data[0] & 0x80)
		round_trip(&out_sk[s], &in_sk[s], data + 1, size - 1);
	else
		open_one(&in_sk[s], data + 1, size - 1);
	return 0;
}
