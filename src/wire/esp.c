/* ESP header and trailer helpers; see esp.h. */
#include "wire/esp.h"

#include "lib/rw.h"

int esp_hdr_parse(const uint8_t *buf, size_t len, struct esp_hdr *h)
{
	struct rd r;

	rd_init(&r, buf, len);
	h->spi = rd_u32(&r);
	h->seq = rd_u32(&r);
	return rd_ok(&r) ? 0 : -1;
}

void esp_hdr_write(uint8_t *out, uint32_t spi, uint32_t seq_lo)
{
	put_be32(out, spi);
	put_be32(out + 4, seq_lo);
}

size_t esp_pad_len(size_t payload_len, size_t align)
{
	size_t used = payload_len + ESP_TRAILER_LEN;

	return (align - used % align) % align;
}

void esp_pad_fill(uint8_t *pad, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pad[i] = (uint8_t)(i + 1);
}

bool esp_pad_check(const uint8_t *pad, size_t n)
{
	uint8_t diff = 0;
	size_t i;

	/* Padding is not secret after decryption, but keep the loop free of early exits anyway:
	 * it costs nothing and gives no timing hint about where a forgery went wrong. */
	for (i = 0; i < n; i++)
		diff |= (uint8_t)(pad[i] ^ (uint8_t)(i + 1));
	return diff == 0;
}
