/* src/lib: the bounds-checked reader/writer, packet buffer, addresses and hex helpers.
 * These sit under every parser, so their edge cases are pinned here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/addr.h"
#include "lib/pbuf.h"
#include "lib/rw.h"
#include "lib/util.h"

static void test_rd_integers(void **state)
{
	static const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				       0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct rd r;

	(void)state;
	rd_init(&r, buf, sizeof(buf));
	assert_int_equal(rd_u8(&r), 0x01);
	assert_int_equal(rd_u16(&r), 0x0203);
	assert_int_equal(rd_u32(&r), 0x04050607);
	assert_true(rd_u64(&r) == 0x08090a0b0c0d0e0fULL);
	assert_true(rd_ok(&r));
	assert_int_equal(rd_left(&r), 0);
	/* One byte past the end: zero, sticky error, position kept. */
	assert_int_equal(rd_u8(&r), 0);
	assert_false(rd_ok(&r));
	assert_int_equal(r.off, sizeof(buf));
}

static void test_rd_underrun_keeps_position(void **state)
{
	static const uint8_t buf[] = { 0xaa, 0xbb, 0xcc };
	struct rd r;

	(void)state;
	rd_init(&r, buf, sizeof(buf));
	assert_int_equal(rd_u8(&r), 0xaa);
	assert_int_equal(rd_u32(&r), 0); /* needs 4, 2 left */
	assert_false(rd_ok(&r));
	assert_int_equal(r.off, 1);
	/* Once in error, even a read that would fit fails: one check at the end suffices. */
	assert_int_equal(rd_u8(&r), 0);
	assert_null(rd_bytes(&r, 0));
}

static void test_rd_bytes_end_and_sub(void **state)
{
	static const uint8_t buf[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t *tail;
	struct rd r, sub;

	(void)state;
	rd_init(&r, buf, sizeof(buf));
	tail = rd_bytes_end(&r, 3);
	assert_non_null(tail);
	assert_memory_equal(tail, "\x06\x07\x08", 3);
	assert_int_equal(rd_left(&r), 5);
	assert_true(rd_sub(&r, 2, &sub));
	assert_int_equal(rd_u16(&sub), 0x0102);
	assert_int_equal(rd_u8(&sub), 0);
	assert_false(rd_ok(&sub));
	assert_true(rd_ok(&r)); /* a child's error does not poison the parent */
	assert_int_equal(rd_u8(&r), 3);
	assert_null(rd_bytes_end(&r, 3)); /* 2 left */
	assert_false(rd_ok(&r));
	assert_false(rd_sub(&r, 1, &sub));
}

static void test_rd_copy_zero_fills(void **state)
{
	static const uint8_t buf[] = { 9 };
	uint8_t out[4] = { 1, 1, 1, 1 };
	struct rd r;

	(void)state;
	rd_init(&r, buf, sizeof(buf));
	assert_false(rd_copy(&r, out, sizeof(out)));
	assert_memory_equal(out, "\0\0\0\0", 4);
}

static void test_wr(void **state)
{
	uint8_t buf[15];
	uint8_t *len_field;
	struct wr w;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	wr_u8(&w, 0x01);
	len_field = wr_reserve(&w, 2);
	wr_u32(&w, 0x02030405);
	wr_u64(&w, 0x060708090a0b0c0dULL);
	assert_true(wr_ok(&w));
	put_be16(len_field, (uint16_t)wr_len(&w));
	assert_memory_equal(buf, "\x01\x00\x0f\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d",
			    15);
	wr_u8(&w, 0xff); /* full */
	assert_false(wr_ok(&w));
	assert_int_equal(wr_len(&w), 15);
}

static void test_wr_overflow_partial(void **state)
{
	uint8_t buf[3] = { 0 };
	struct wr w;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, 0xabcd);
	wr_u16(&w, 0x1234); /* does not fit: nothing of it is written */
	assert_false(wr_ok(&w));
	assert_memory_equal(buf, "\xab\xcd\x00", 3);
	wr_zero(&w, 0);
	assert_false(wr_ok(&w));
}

static void test_pbuf(void **state)
{
	uint8_t store[64];
	struct pbuf pb;
	uint8_t *p;

	(void)state;
	pbuf_init(&pb, store, sizeof(store), 16);
	assert_int_equal(pbuf_set(&pb, 16, "payload", 7), 0);
	assert_int_equal(pbuf_headroom(&pb), 16);
	assert_int_equal(pbuf_tailroom(&pb), 64 - 16 - 7);
	p = pbuf_push(&pb, 4);
	assert_ptr_equal(p, store + 12);
	memcpy(p, "hdr:", 4);
	p = pbuf_put(&pb, 2);
	memcpy(p, "!!", 2);
	assert_int_equal(pb.len, 13);
	assert_memory_equal(pbuf_data(&pb), "hdr:payload!!", 13);
	assert_null(pbuf_push(&pb, 13)); /* only 12 in front */
	assert_null(pbuf_put(&pb, 64));
	assert_non_null(pbuf_pull(&pb, 4));
	assert_int_equal(pbuf_trim(&pb, 2), 0);
	assert_memory_equal(pbuf_data(&pb), "payload", 7);
	assert_null(pbuf_pull(&pb, 8));
	assert_int_equal(pbuf_trim(&pb, 8), -1);
	assert_int_equal(pbuf_set(&pb, 60, "12345", 5), -1);
}

static void test_addr(void **state)
{
	struct ipaddr a, b, c;
	char s[IPADDR_STRLEN];

	(void)state;
	assert_int_equal(ipaddr_parse(&a, "10.1.2.3"), 0);
	assert_int_equal(a.af, AF_INET);
	assert_string_equal(ipaddr_fmt(&a, s), "10.1.2.3");
	assert_int_equal(ipaddr_parse(&b, "2001:db8::1"), 0);
	assert_int_equal(b.af, AF_INET6);
	assert_string_equal(ipaddr_fmt(&b, s), "2001:db8::1");
	assert_false(ipaddr_eq(&a, &b));
	assert_int_equal(ipaddr_parse(&c, "10.1.2.3"), 0);
	assert_true(ipaddr_eq(&a, &c));
	assert_int_equal(ipaddr_hash(&a, 7), ipaddr_hash(&c, 7));
	assert_int_equal(ipaddr_parse(&c, "10.1.2.256"), -1);
	assert_int_equal(ipaddr_parse(&c, "host.example"), -1);
	assert_int_equal(ipaddr_parse(&c, ""), -1);
}

static void test_hex_and_ct(void **state)
{
	uint8_t out[4];
	char s[9];

	(void)state;
	assert_int_equal(hex_decode(out, sizeof(out), "de:ad be EF"), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	hex_encode(s, out, 4);
	assert_string_equal(s, "deadbeef");
	assert_int_equal(hex_decode(out, sizeof(out), "abc"), -1); /* odd */
	assert_int_equal(hex_decode(out, sizeof(out), "zz"), -1);
	assert_int_equal(hex_decode(out, 2, "010203"), -1); /* too long */
	assert_true(ct_equal("abcd", "abcd", 4));
	assert_false(ct_equal("abcd", "abce", 4));
	memcpy(out, "\x01\x02\x03\x04", 4);
	wipe(out, sizeof(out));
	assert_memory_equal(out, "\0\0\0\0", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_integers),
		cmocka_unit_test(test_rd_underrun_keeps_position),
		cmocka_unit_test(test_rd_bytes_end_and_sub),
		cmocka_unit_test(test_rd_copy_zero_fills),
		cmocka_unit_test(test_wr),
		cmocka_unit_test(test_wr_overflow_partial),
		cmocka_unit_test(test_pbuf),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_hex_and_ct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
