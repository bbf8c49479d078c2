/* libFuzzer harness for the TUN receive coalescing (src/wire/gro.c).
 *
 * Input: a run of records, each a 2-octet big-endian length, an owner octet (the SA the
 * packet came on) and that many octets of packet. Each packet is offered to gro_add(), a
 * GRO_FLUSH finishes the held packet first. Every merged packet must be cut back by wire/tso.c
 * into exactly as many segments as went in, with all the payload; every packet offered must
 * come out once (held ones in some finished packet, GRO_ALONE ones by the caller). Packets are
 * copied to exact-size buffers so ASan sees any overread. Each input runs twice, with UDP
 * coalescing off and on; a merged UDP packet (GSO UDP_L4) must hold as many gso_size pieces
 * as datagrams went in, its UDP length the rest of the packet.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "wire/gro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t gbuf[GRO_BUF_LEN];
static uint8_t full[GRO_MAX_LEN];
static uint8_t seg[GRO_MAX_LEN];
static const char owners[256];

/* A merged UDP packet: headers as virtio_net_hdr says, nseg pieces of gso_size (the last one
 * shorter or equal), UDP length field right. */
static unsigned finish_udp(const uint8_t *out, size_t len, unsigned nseg)
{
	size_t hl = out[2] | (size_t)out[3] << 8, mss = out[4] | (size_t)out[5] << 8;
	size_t l4 = out[6] | (size_t)out[7] << 8;
	const uint8_t *p = out + TSO_VNET_HDR_LEN;

	CHECK(nseg <= GRO_MAX_SEGS && out[0] == 1 && out[8] == 6 && hl == l4 + 8 && len > hl &&
	      mss > 0);
	CHECK((len - hl + mss - 1) / mss == nseg);
	CHECK((size_t)(p[l4 + 4] << 8 | p[l4 + 5]) == len - l4);
	return nseg;
}

/* Finish what is held; returns how many segments it had. */
static unsigned finish(struct gro *g)
{
	const uint8_t *out;
	unsigned nseg, n = 0;
	size_t len = gro_finish(g, &out, &nseg), m, payload = 0;
	struct tso t;

	if (!len)
		return 0;
	CHECK(len > TSO_VNET_HDR_LEN && len <= GRO_BUF_LEN && nseg >= 1);
	len -= TSO_VNET_HDR_LEN;
	if (nseg == 1)
		return 1;
	if (out[1] == 5)
		return finish_udp(out, len, nseg);
	CHECK(nseg <= GRO_MAX_SEGS && out[0] == 1 && (out[1] == 1 || out[1] == 4));
	memcpy(full, out + TSO_VNET_HDR_LEN, len);
	CHECK(tso_init(&t, full, len, (uint16_t)(out[4] | out[5] << 8)) == 0);
	while ((m = tso_next(&t, seg, sizeof(seg))) != 0) {
		payload += m - t.hdr_len;
		n++;
	}
	CHECK(n == nseg && payload == len - t.hdr_len);
	return nseg;
}

static void run(const uint8_t *data, size_t size, bool udp)
{
	unsigned offered = 0, out = 0;
	struct gro g;
	size_t off = 0;

	gro_init(&g, gbuf, udp);
	while (off + 3 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		const void *owner = &owners[data[off + 2]];
		enum gro_res r;
		uint8_t *pkt;

		off += 3;
		if (len > size - off)
			len = size - off;
		pkt = malloc(len ? len : 1);
		if (!pkt)
			break;
		memcpy(pkt, data + off, len);
		off += len;
		offered++;
		r = gro_add(&g, pkt, len, owner);
		if (r == GRO_FLUSH) {
			out += finish(&g);
			r = gro_add(&g, pkt, len, owner);
			CHECK(r != GRO_FLUSH);
		}
		out += r == GRO_ALONE;
		free(pkt);
	}
	out += finish(&g);
	CHECK(out == offered);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, false);
	run(data, size, true);
	return 0;
}
