/* AH header helpers; see ah.h. */
#include "wire/ah.h"

#include <string.h>

#include "lib/rw.h"

/* RFC 4302 3.3.3.2.1: 32-bit alignment over IPv4, 64-bit over IPv6. */
static size_t ah_align(unsigned ip_version)
{
	return ip_version == 6 ? 8 : 4;
}

size_t ah_hdr_len(size_t icv_len, unsigned ip_version)
{
	size_t a = ah_align(ip_version);

	return (AH_HDR_LEN + icv_len + a - 1) / a * a;
}

int ah_hdr_parse(const uint8_t *buf, size_t len, unsigned ip_version, struct ah_hdr *h)
{
	struct rd r;
	uint8_t plen;

	rd_init(&r, buf, len);
	h->next = rd_u8(&r);
	plen = rd_u8(&r);
	rd_skip(&r, 2); /* reserved: RFC 4302 2.3 says ignore on receipt (it is in the ICV) */
	h->spi = rd_u32(&r);
	h->seq = rd_u32(&r);
	if (!rd_ok(&r))
		return -1;
	/* RFC 4302 2.2: Payload Len = length in 32-bit words - 2. */
	h->len = ((size_t)plen + 2) * 4;
	h->icv_off = AH_HDR_LEN;
	if (h->len < AH_HDR_LEN || h->len > len || h->len % ah_align(ip_version))
		return -1;
	h->icv_area = h->len - AH_HDR_LEN;
	return 0;
}

void ah_hdr_write(uint8_t *out, size_t ah_len, uint8_t next, uint32_t spi, uint32_t seq_lo)
{
	out[0] = next;
	out[1] = (uint8_t)(ah_len / 4 - 2);
	out[2] = 0;
	out[3] = 0;
	put_be32(out + 4, spi);
	put_be32(out + 8, seq_lo);
	memset(out + AH_HDR_LEN, 0, ah_len - AH_HDR_LEN);
}
