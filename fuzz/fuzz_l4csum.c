/* libFuzzer harness for the TCP/UDP/ICMPv6 checksum recomputation (src/wire/l4csum.c).
 *
 * Input: one IP packet. It is copied to an exact-size buffer (ASan sees any overread); when a
 * checksum was written, only those two octets may have changed, and a second pass must find
 * it correct and change nothing (the result depends on the header and payload alone).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "wire/l4csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt = malloc(size ? size : 1), *again;
	size_t changed = 0;
	int rc;

	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	rc = l4csum_fix(pkt, size);
	CHECK(rc >= -1 && rc <= 1);
	for (size_t i = 0; i < size; i++)
		changed += pkt[i] != data[i];
	CHECK(rc == 0 ? changed <= 2 : changed == 0);
	again = malloc(size ? size : 1);
	if (again && rc == 0) {
		memcpy(again, pkt, size);
		CHECK(l4csum_fix(again, size) == 0);
		CHECK(memcmp(again, pkt, size) == 0);
	}
	free(again);
	free(pkt);
	return 0;
}
