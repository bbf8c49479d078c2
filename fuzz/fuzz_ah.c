/* libFuzzer harness for AH inbound processing (ah_decap) and, as a property check, the
 * encap -> decap round trip (RFC 4302: the ICV over the packet with mutable fields zeroed).
 *
 * Input: byte 0 selects the SA (low bits) and the mode (top bit); the rest is a packet.
 *   top bit clear: the packet goes to ah_decap() as received from the network. Its outer
 *     destination is overwritten with the chosen SA's so that mutated packets keep reaching the
 *     SA lookup and the ICV check instead of dying as "unknown SPI"; the seed corpus
 *     (fuzz/corpus/ah, made by tests/cross/gen_fuzz_corpus.py with xftool and these keys)
 *     holds valid packets for every SA, so the fuzzer starts past the ICV.
 *   top bit set: the packet is a plaintext to protect with the chosen SA's outbound twin;
 *     whatever ah_encap() accepts, ah_decap() must give back (tunnel: byte for byte).
 * The SAs are created once. Each input starts from an empty anti-replay window so a crash
 * reproduces from its input alone. The packet buffer is allocated to the exact size the
 * transforms are promised (PBUF_HEADROOM + packet + PBUF_TAILROOM) and, under ASan, the head-
 * and tailroom are poisoned during decap: inbound processing must stay inside the packet.
 */
#include "fuzz_xform.h"

/* Keep in step with tests/cross/gen_fuzz_corpus.py: encryption key bytes are 1, 2, 3, ...,
 * integrity key bytes 0x81, 0x82, ... */
static const struct fz_sa fz_table_ah[] = {
	{ 0x200, SA_MODE_TRANSPORT, false, 0, 0, AUTH_HMAC_SHA1_96, 0, 20, 64, "192.0.2.1",
	  "192.0.2.2" },
	{ 0x201, SA_MODE_TRANSPORT, true, 0, 0, AUTH_HMAC_SHA2_256_128, 0, 32, 64, "2001:db8::1",
	  "2001:db8::2" },
	{ 0x202, SA_MODE_TUNNEL, true, 0, 0, AUTH_HMAC_SHA2_384_192, 0, 48, 128, "198.51.100.1",
	  "198.51.100.2" },
	{ 0x203, SA_MODE_TUNNEL, false, 0, 0, AUTH_HMAC_SHA2_512_256, 0, 64, 0, "2001:db8:ffff::1",
	  "2001:db8:ffff::2" },
	{ 0x204, SA_MODE_TRANSPORT, false, 0, 0, AUTH_HMAC_SHA1_96, 0, 20, 32, "2001:db8::1",
	  "2001:db8::4" },
	{ 0x205, SA_MODE_TRANSPORT, true, 0, 0, AUTH_HMAC_SHA2_512_256, 0, 64, 1024, "192.0.2.1",
	  "192.0.2.5" },
};

static const struct fz_harness fz_ah = {
	.name = "fuzz_ah",
	.proto = IPPROTO_AH,
	.decap = ah_decap,
	.encap = ah_encap,
	.table = fz_table_ah,
	.n = sizeof(fz_table_ah) / sizeof(fz_table_ah[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(&fz_ah, data, size);
}
