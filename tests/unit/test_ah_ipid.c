/* AH over IPv4 and the Identification field of 0.
 *
 * The ICV covers the Identification (RFC 4302 3.3.3.1.1.1). Linux rewrites an ID of 0 in a
 * packet sent on an IP_HDRINCL raw socket when DF is clear, after the ICV was computed, so the
 * peer would drop it; with DF set the kernel leaves 0 alone (both measured on this kernel with a
 * raw socket and tcpdump, see docs/testing.md). ah_encap must therefore never emit ID 0 with
 * DF clear, must leave ID 0 with DF set (the kernel's SYN-ACKs) as it is, and the ICV must cover
 * the ID it wrote: checked here with OpenSSL's one-shot HMAC(), not the xcipher under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_xform_util.h"
#include "wire/ah.h"

#define ICV_LEN 16 /* HMAC-SHA2-256-128, RFC 4868 */

/* A packet with ID 0 and DF clear leaves with ID 0x8000: half a 16-bit wrap away from the
 * same ID in the tunnel-mode outer headers (ID = low half of the sequence number). */

/* An IPv4 TCP packet 10.1.0.1 -> 10.2.0.2 with the given ID and flags/offset field. */
static size_t mk_id_packet(uint8_t *pkt, uint16_t id, uint16_t frag)
{
	uint8_t payload[64];
	size_t n;

	fill_payload(payload, sizeof(payload), 9);
	n = mk_ipv4(pkt, "10.1.0.1", "10.2.0.2", IPPROTO_TCP, payload, sizeof(payload), 64, 0);
	put_be16(pkt + 4, id);
	put_be16(pkt + 6, frag);
	ipv4_set_checksum(pkt, 20);
	return n;
}

/* RFC 4302 3.3.3.1.1.1: ICV over the packet with TOS, flags+offset, TTL and checksum zeroed and
 * the ICV field zeroed; ah_off is where AH starts. Compares with the ICV in the packet. */
static void check_icv(const uint8_t *pkt, size_t len, size_t ah_off)
{
	uint8_t copy[512], ik[64], icv[ICV_LEN];
	size_t i;

	for (i = 0; i < sizeof(ik); i++)
		ik[i] = (uint8_t)(0x5a ^ i); /* mk_pair's integrity key */
	assert_true(len <= sizeof(copy));
	memcpy(copy, pkt, len);
	copy[1] = 0;
	copy[6] = copy[7] = 0;
	copy[8] = 0;
	copy[10] = copy[11] = 0;
	memset(copy + ah_off + AH_HDR_LEN, 0, ICV_LEN);
	ref_hmac("SHA256", ik, 32, copy, len, icv, ICV_LEN);
	assert_memory_equal(icv, pkt + ah_off + AH_HDR_LEN, ICV_LEN);
}

struct id_case {
	const char *name;
	uint8_t mode;
	uint16_t id, frag; /* of the packet handed to ah_encap */
	uint64_t last_seq; /* the SA's sequence number before this packet */
	uint16_t want_id;  /* of the header in front of AH */
};

static const struct id_case id_cases[] = {
	/* transport: the packet's own header goes out */
	{ "transport ID 0, DF clear: replaced", SA_MODE_TRANSPORT, 0, 0, 0, 0x8000 },
	{ "transport ID 0, DF clear, seq 0x2a0005", SA_MODE_TRANSPORT, 0, 0, 0x2a0004, 0x8000 },
	{ "transport ID 0, DF set: kept (kernel keeps it)", SA_MODE_TRANSPORT, 0, 0x4000, 0, 0 },
	{ "transport ID 0x1234, DF clear: kept", SA_MODE_TRANSPORT, 0x1234, 0, 0, 0x1234 },
	/* tunnel: the outer ID is the low half of the sequence number, 0 at every 65536th */
	{ "tunnel seq 0xffff: outer ID 0xffff", SA_MODE_TUNNEL, 0x1234, 0x4000, 0xfffe, 0xffff },
	{ "tunnel seq 0x10000: outer ID 0x8000", SA_MODE_TUNNEL, 0x1234, 0x4000, 0xffff, 0x8000 },
	{ "tunnel seq 0x30000: outer ID 0x8000", SA_MODE_TUNNEL, 0x1234, 0x4000, 0x2ffff, 0x8000 },
	{ "tunnel seq 0x18000: outer ID 0x8000", SA_MODE_TUNNEL, 0x1234, 0x4000, 0x17fff, 0x8000 },
	{ "tunnel seq 0x10001: outer ID 1", SA_MODE_TUNNEL, 0x1234, 0x4000, 0x10000, 1 },
};

static void run_id_case(const struct id_case *c)
{
	uint8_t pkt[256];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	struct sa *found;
	const uint8_t *out;
	size_t n = mk_id_packet(pkt, c->id, c->frag);

	print_message("%s\n", c->name);
	mk_pair(&sp, sad, IPPROTO_AH, &ah_algs[1], c->mode, false, 0x9100, "10.1.0.1", "10.2.0.2");
	sp.out->seq = c->last_seq;
	sp.in->replay.top = c->last_seq;
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	out = pbuf_data(&tb.pb);
	assert_int_equal(out[9], IPPROTO_AH);
	assert_int_equal(get_be32(out + 28), (uint32_t)(c->last_seq + 1));
	assert_int_equal(get_be16(out + 4), c->want_id);
	/* never ID 0 with DF clear: the kernel would rewrite it after the ICV */
	assert_true(get_be16(out + 4) != 0 || (get_be16(out + 6) & 0x4000));
	assert_int_equal(ip_checksum(out, 20), 0);
	check_icv(out, tb.pb.len, 20);
	assert_int_equal(ah_decap(sad, &tb.pb, 0, &found, &st), SA_DROP_NONE);
	assert_ptr_equal(found, sp.in);
	if (c->mode == SA_MODE_TUNNEL) {
		/* the inner packet is delivered exactly as it was sent */
		assert_int_equal(tb.pb.len, n);
		assert_memory_equal(pbuf_data(&tb.pb), pkt, n);
	} else {
		/* transport: everything but the ID (and so the checksum) as sent */
		assert_int_equal(tb.pb.len, n);
		assert_int_equal(get_be16(pbuf_data(&tb.pb) + 4), c->want_id);
		assert_memory_equal(pbuf_data(&tb.pb) + 12, pkt + 12, n - 12);
		assert_int_equal(ip_checksum(pbuf_data(&tb.pb), 20), 0);
	}
	sa_free(sp.out);
	sad_free(sad);
}

static void test_id_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(id_cases); i++)
		run_id_case(&id_cases[i]);
}

/* The ID that goes out is what the ICV covers: a receiver that sees a different ID (what the
 * kernel would have written) drops the packet on its ICV. */
static void test_changed_id_fails(void **state)
{
	uint8_t pkt[256];
	struct xf_stats st = { 0 };
	struct sad *sad = sad_new();
	struct sa_pair sp;
	struct tbuf tb;
	struct sa *found;
	uint8_t *out;
	size_t n = mk_id_packet(pkt, 0, 0);

	(void)state;
	mk_pair(&sp, sad, IPPROTO_AH, &ah_algs[1], SA_MODE_TRANSPORT, false, 0x9101, "10.1.0.1",
		"10.2.0.2");
	tb_set(&tb, pkt, n);
	assert_int_equal(ah_encap(sp.out, &tb.pb, 0), SA_DROP_NONE);
	out = pbuf_data(&tb.pb);
	put_be16(out + 4, 0x7777);
	ipv4_set_checksum(out, 20);
	assert_int_equal(ah_decap(sad, &tb.pb, 0, &found, &st), SA_DROP_ICV);
	sa_free(sp.out);
	sad_free(sad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_cases),
		cmocka_unit_test(test_changed_id_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
