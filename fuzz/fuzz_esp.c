/* libFuzzer harness for ESP inbound processing (esp_decap) and, as a property check, the
 * encap -> decap round trip.
 *
 * Input: byte 0 selects the SA (low bits) and the mode (top bit); the rest is a packet.
 *   top bit clear: the packet goes to esp_decap() as received from the network. Its outer
 *     destination is overwritten with the chosen SA's so that mutated packets keep reaching the
 *     SA lookup and the ICV check instead of dying as "unknown SPI"; the seed corpus
 *     (fuzz/corpus/esp, made by tests/cross/gen_fuzz_corpus.py with xftool and these keys)
 *     holds valid packets for every SA, so the fuzzer starts past the ICV.
 *   top bit set: the packet is a plaintext to protect with the chosen SA's outbound twin;
 *     whatever esp_encap() accepts, esp_decap() must give back (tunnel: byte for byte).
 * The SAs are created once. Each input starts from an empty anti-replay window so a crash
 * reproduces from its input alone. The packet buffer is allocated to the exact size the
 * transforms are promised (PBUF_HEADROOM + packet + PBUF_TAILROOM) and, under ASan, the head-
 * and tailroom are poisoned during decap: inbound processing must stay inside the packet.
 */
#include "fuzz_xform.h"

/* Keep in step with tests/cross/gen_fuzz_corpus.py: encryption key bytes are 1, 2, 3, ...,
 * integrity key bytes 0x81, 0x82, ... */
static const struct fz_sa fz_table_esp[] = {
	{ 0x100, SA_MODE_TRANSPORT, false, ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0, 64, "192.0.2.1",
	  "192.0.2.2" },
	{ 0x101, SA_MODE_TRANSPORT, true, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32, 64,
	  "2001:db8::1", "2001:db8::2" },
	{ 0x102, SA_MODE_TUNNEL, true, ENCR_CHACHA20_POLY1305, 256, AUTH_NONE, 36, 0, 128,
	  "198.51.100.1", "198.51.100.2" },
	{ 0x103, SA_MODE_TUNNEL, false, ENCR_NULL, 0, AUTH_HMAC_SHA1_96, 0, 20, 64,
	  "2001:db8:ffff::1", "2001:db8:ffff::2" },
	{ 0x104, SA_MODE_TUNNEL, true, ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0, 0,
	  "2001:db8:ffff::1", "2001:db8:ffff::3" },
	{ 0x105, SA_MODE_TRANSPORT, false, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 32, 64, 1024,
	  "192.0.2.1", "192.0.2.5" },
	{ 0x106, SA_MODE_TUNNEL, false, ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192, 24, 48, 32,
	  "198.51.100.1", "198.51.100.6" },
	{ 0x107, SA_MODE_TRANSPORT, true, ENCR_AES_GCM_8, 128, AUTH_NONE, 20, 0, 64, "2001:db8::1",
	  "2001:db8::7" },
};

static const struct fz_harness fz_esp = {
	.name = "fuzz_esp",
	.proto = IPPROTO_ESP,
	.decap = esp_decap,
	.encap = esp_encap,
	.table = fz_table_esp,
	.n = sizeof(fz_table_esp) / sizeof(fz_table_esp[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(&fz_esp, data, size);
}
