/* ESP packet format, RFC 4303 2.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 * |               Security Parameters Index (SPI)                 | ^Int.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |                      Sequence Number                          | |ered
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 * |                    Payload Data* (variable)                   | |   ^
 * ~                                                               ~ |   |
 * |                                                               | |Conf.
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |               |     Padding (0-255 bytes)                     | |ered*
 * +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 * |                               |  Pad Length   | Next Header   | v   v
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 * |         Integrity Check Value-ICV   (variable)                |
 * ~                                                               ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The IV, when the cipher has one, is the first part of Payload Data. With Extended Sequence
 * Numbers only the low 32 bits travel; the high 32 bits enter the ICV (RFC 4303 2.2.1).
 */
#ifndef ESPRIT_WIRE_ESP_H
#define ESPRIT_WIRE_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESP_HDR_LEN	8   /* SPI + sequence number */
#define ESP_TRAILER_LEN 2   /* pad length + next header */
#define ESP_PAD_MAX	255 /* RFC 4303 2.4 */
#define ESP_IV_MAX	16
#define ESP_ICV_MAX	32

struct esp_hdr {
	uint32_t spi; /* host order */
	uint32_t seq; /* low 32 bits */
};

/* Read the fixed header; -1 if fewer than ESP_HDR_LEN bytes. */
int esp_hdr_parse(const uint8_t *buf, size_t len, struct esp_hdr *h);
/* Write the fixed header into out (ESP_HDR_LEN bytes of room, checked by the caller). */
void esp_hdr_write(uint8_t *out, uint32_t spi, uint32_t seq_lo);

/* RFC 4303 2.4: padding bytes needed so that payload + padding + trailer is a multiple of
 * align (a power of two, at least 4). */
size_t esp_pad_len(size_t payload_len, size_t align);
/* Fill n padding bytes with 1, 2, 3, ... (RFC 4303 2.4 default content). */
void esp_pad_fill(uint8_t *pad, size_t n);
/* RFC 4303 2.4: true if the n received padding bytes are 1, 2, 3, ... */
bool esp_pad_check(const uint8_t *pad, size_t n);

#endif
