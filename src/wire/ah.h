/* AH packet format, RFC 4302 2.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Header   |  Payload Len  |          RESERVED             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Security Parameters Index (SPI)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Sequence Number Field                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                Integrity Check Value-ICV (variable)           |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Len is the AH length in 32-bit words minus 2 (RFC 4302 2.2). The ICV field is padded
 * so the whole header is a multiple of 4 octets over IPv4 and 8 over IPv6 (RFC 4302 2.6); esprit
 * pads with zeros and, like Linux, zeroes only the ICV itself for the computation, so padding is
 * covered as sent:
 * HMAC-SHA1-96 (12) needs no padding on either (24 = 3 * 8); HMAC-SHA2-256-128 (16) gives 28
 * octets, fine on IPv4 and padded to 32 on IPv6.
 */
#ifndef ESPRIT_WIRE_AH_H
#define ESPRIT_WIRE_AH_H

#include <stddef.h>
#include <stdint.h>

#define AH_HDR_LEN 12 /* without the ICV */
#define AH_ICV_MAX 32
#define AH_MAX_LEN 48 /* 12 + 32-octet ICV = 44, padded to 48 over IPv6 */

struct ah_hdr {
	uint8_t next;
	size_t len;	 /* whole AH header in octets, ICV field included */
	uint32_t spi;	 /* host order */
	uint32_t seq;	 /* low 32 bits */
	size_t icv_off;	 /* offset of the ICV field from the start of the header */
	size_t icv_area; /* ICV field length, padding included */
};

/* Length of an AH header with an ICV of icv_len for IP version 4 or 6 (RFC 4302 2.2). */
size_t ah_hdr_len(size_t icv_len, unsigned ip_version);
/* Parse and check the header at buf; -1 if short, the length field is inconsistent with len,
 * or the header is not aligned for ip_version. */
int ah_hdr_parse(const uint8_t *buf, size_t len, unsigned ip_version, struct ah_hdr *h);
/* Write a header of ah_len octets with a zeroed ICV field. ah_len room checked by the caller. */
void ah_hdr_write(uint8_t *out, size_t ah_len, uint8_t next, uint32_t spi, uint32_t seq_lo);

#endif
