/* libFuzzer harness for the TUN offload parser and segmenter (src/wire/tso.c).
 *
 * Input: a virtio_net_hdr (10 octets) and a packet, as one TUN read with IFF_VNET_HDR. The
 * header is parsed; a TSO packet is cut into segments (each must fit the headers plus one
 * MSS, and together their payload must equal the packet's), otherwise a partial checksum is
 * finished. The packet is copied to an exact-size buffer so ASan sees any overread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "wire/tso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t seg[65536 + 128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tso_vnet v;
	size_t len, n, payload = 0;
	uint8_t *pkt;
	struct tso t;

	if (tso_vnet_parse(data, size, &v) < 0)
		return 0;
	len = size - TSO_VNET_HDR_LEN;
	pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + TSO_VNET_HDR_LEN, len);
	if (v.gso_type && tso_init(&t, pkt, len, v.gso_size) == 0) {
		while ((n = tso_next(&t, seg, sizeof(seg))) != 0) {
			CHECK(n > t.hdr_len && n <= t.hdr_len + t.mss);
			payload += n - t.hdr_len;
		}
		CHECK(payload == len - t.hdr_len || t.hdr_len + t.mss > sizeof(seg));
	} else if (v.needs_csum) {
		(void)tso_csum_finish(pkt, len, v.csum_start, v.csum_offset);
	}
	free(pkt);
	return 0;
}
