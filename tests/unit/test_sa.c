/* src/sa/sa.c: SA creation and validation, drop names, outbound sequence numbers (RFC 4303
 * 3.3.3) and lifetimes (RFC 4301 4.4.2.1, with the semantics documented in sa.h/sa.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "crypto/cipher.h"
#include "lib/addr.h"
#include "lib/util.h"
#include "sa/sa.h"
#include "sa/sad.h"

static const uint8_t key20[20] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				   11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
static const uint8_t key32[32] = { 0x11, 0x22, 0x33 };

/* A valid inbound ESP SA: AES-GCM-16 with a 128-bit key plus the 4-octet salt (RFC 4106 8.1). */
static struct sa_params base_params(void)
{
	struct sa_params p;

	memset(&p, 0, sizeof(p));
	p.spi = 0x1000;
	p.proto = IPPROTO_ESP;
	p.mode = SA_MODE_TRANSPORT;
	p.dir = SA_DIR_IN;
	ipaddr_parse(&p.src, "192.0.2.1");
	ipaddr_parse(&p.dst, "192.0.2.2");
	p.encr = ENCR_AES_GCM_16;
	p.encr_bits = 128;
	p.integ = AUTH_NONE;
	p.encr_key = key20;
	p.encr_key_len = sizeof(key20);
	p.replay_window = 64;
	return p;
}

static void test_sa_drop_names(void **state)
{
	static const struct {
		enum sa_drop d;
		const char *name;
	} t[] = {
		{ SA_DROP_NONE, "none" },
		{ SA_DROP_MALFORMED, "malformed" },
		{ SA_DROP_UNKNOWN_SPI, "unknown SPI" },
		{ SA_DROP_REPLAY, "replay" },
		{ SA_DROP_ICV, "ICV failure" },
		{ SA_DROP_PADDING, "bad padding" },
		{ SA_DROP_EXPIRED, "SA expired" },
		{ SA_DROP_SEQ_EXHAUSTED, "sequence number exhausted" },
		{ SA_DROP_NO_ROOM, "no buffer room" },
		{ SA_DROP_UNSUPPORTED, "unsupported packet" },
		{ SA_DROP_POLICY, "inner packet outside SA selectors" },
		{ SA_DROP_MAX, "unknown" },
		{ (enum sa_drop)1000, "unknown" },
	};
	size_t i;

	(void)state;
	assert_int_equal(SA_DROP_MAX, 11); /* the table above names them all */
	for (i = 0; i < ARRAY_SIZE(t); i++)
		assert_string_equal(sa_drop_name(t[i].d), t[i].name);
}

enum mutation {
	M_NONE,
	M_PROTO_49,
	M_PROTO_0,
	M_MODE_2,
	M_DIR_2,
	M_WINDOW_MAX_PLUS_1,
	M_WINDOW_MAX,
	M_WINDOW_0,
	M_ESP_NO_ENCR,
	M_AH,
	M_AH_NO_INTEG,
	M_AH_WITH_ENCR,
	M_AH_UDP_ENCAP,
	M_SPI_0,
	M_SPI_255,
	M_SPI_256,
	M_DST_UNSET,
	M_TUNNEL,
	M_TUNNEL_NO_SRC,
	M_TUNNEL_MIXED_AF,
	M_TRANSPORT_NO_SRC,
	M_TRANSPORT_MIXED_AF,
	M_IPV6,
	M_SOFT_ABOVE_HARD,
	M_SOFT_EQ_HARD,
	M_UDP_ENCAP,
	M_UDP_ENCAP_NO_PORT,
	M_OUTBOUND,
	M_CBC_HMAC,
	M_ESN,
};

static void mutate(struct sa_params *p, enum mutation m)
{
	switch (m) {
	case M_NONE:
		break;
	case M_PROTO_49:
		p->proto = 49;
		break;
	case M_PROTO_0:
		p->proto = 0;
		break;
	case M_MODE_2:
		p->mode = 2;
		break;
	case M_DIR_2:
		p->dir = 2;
		break;
	case M_WINDOW_MAX_PLUS_1:
		p->replay_window = REPLAY_WINDOW_MAX + 1;
		break;
	case M_WINDOW_MAX:
		p->replay_window = REPLAY_WINDOW_MAX;
		break;
	case M_WINDOW_0:
		p->replay_window = 0;
		break;
	case M_ESP_NO_ENCR:
		p->encr = 0;
		p->encr_key = NULL;
		p->encr_key_len = 0;
		p->integ = AUTH_HMAC_SHA2_256_128;
		p->integ_key = key32;
		p->integ_key_len = sizeof(key32);
		break;
	case M_AH:
	case M_AH_NO_INTEG:
	case M_AH_WITH_ENCR:
	case M_AH_UDP_ENCAP:
		p->proto = IPPROTO_AH;
		p->integ = AUTH_HMAC_SHA2_256_128;
		p->integ_key = key32;
		p->integ_key_len = sizeof(key32);
		if (m != M_AH_WITH_ENCR) {
			p->encr = 0;
			p->encr_bits = 0;
			p->encr_key = NULL;
			p->encr_key_len = 0;
		}
		if (m == M_AH_NO_INTEG)
			p->integ = AUTH_NONE;
		if (m == M_AH_UDP_ENCAP) {
			p->udp_encap = true;
			p->encap_sport = p->encap_dport = 4500;
		}
		break;
	case M_SPI_0:
		p->spi = 0;
		break;
	case M_SPI_255:
		p->spi = 255;
		break;
	case M_SPI_256:
		p->spi = 256;
		break;
	case M_DST_UNSET:
		memset(&p->dst, 0, sizeof(p->dst));
		break;
	case M_TUNNEL:
		p->mode = SA_MODE_TUNNEL;
		break;
	case M_TUNNEL_NO_SRC:
		p->mode = SA_MODE_TUNNEL;
		memset(&p->src, 0, sizeof(p->src));
		break;
	case M_TUNNEL_MIXED_AF:
		p->mode = SA_MODE_TUNNEL;
		ipaddr_parse(&p->src, "2001:db8::1");
		break;
	case M_TRANSPORT_NO_SRC:
		memset(&p->src, 0, sizeof(p->src));
		break;
	case M_TRANSPORT_MIXED_AF:
		ipaddr_parse(&p->src, "2001:db8::1");
		break;
	case M_IPV6:
		ipaddr_parse(&p->src, "2001:db8::1");
		ipaddr_parse(&p->dst, "2001:db8::2");
		break;
	case M_SOFT_ABOVE_HARD:
		p->soft.packets = 11;
		p->hard.packets = 10;
		break;
	case M_SOFT_EQ_HARD:
		p->soft.bytes = p->hard.bytes = 1000;
		break;
	case M_UDP_ENCAP:
		p->udp_encap = true;
		p->encap_sport = p->encap_dport = 4500;
		break;
	case M_UDP_ENCAP_NO_PORT:
		p->udp_encap = true;
		p->encap_sport = 4500;
		break;
	case M_OUTBOUND:
		p->dir = SA_DIR_OUT;
		break;
	case M_CBC_HMAC:
		/* RFC 3602 AES-CBC-128 with HMAC-SHA1-96 (RFC 2404: 160-bit key). */
		p->encr = ENCR_AES_CBC;
		p->encr_key_len = 16;
		p->integ = AUTH_HMAC_SHA1_96;
		p->integ_key = key20;
		p->integ_key_len = 20;
		break;
	case M_ESN:
		p->esn = true;
		break;
	}
}

static void test_sa_new_validation(void **state)
{
	static const struct {
		enum mutation m;
		int rc;
	} t[] = {
		{ M_NONE, 0 },
		{ M_PROTO_49, -EINVAL },
		{ M_PROTO_0, -EINVAL },
		{ M_MODE_2, -EINVAL },
		{ M_DIR_2, -EINVAL },
		{ M_WINDOW_MAX_PLUS_1, -EINVAL },
		{ M_WINDOW_MAX, 0 },
		{ M_WINDOW_0, 0 },
		{ M_ESP_NO_ENCR, -EINVAL },
		{ M_AH, 0 },
		{ M_AH_NO_INTEG, -EINVAL },
		{ M_AH_WITH_ENCR, -EINVAL },
		{ M_AH_UDP_ENCAP, -EINVAL },
		{ M_SPI_0, -EINVAL },
		{ M_SPI_255, -EINVAL },
		{ M_SPI_256, 0 },
		{ M_DST_UNSET, -EINVAL },
		{ M_TUNNEL, 0 },
		{ M_TUNNEL_NO_SRC, -EINVAL },
		{ M_TUNNEL_MIXED_AF, -EINVAL },
		{ M_TRANSPORT_NO_SRC, 0 },
		{ M_TRANSPORT_MIXED_AF, -EINVAL },
		{ M_IPV6, 0 },
		{ M_SOFT_ABOVE_HARD, -EINVAL },
		{ M_SOFT_EQ_HARD, 0 },
		{ M_UDP_ENCAP, 0 },
		{ M_UDP_ENCAP_NO_PORT, -EINVAL },
		{ M_OUTBOUND, 0 },
		{ M_CBC_HMAC, 0 },
		{ M_ESN, 0 },
	};
	struct sa_params p;
	struct sa *sa;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		p = base_params();
		mutate(&p, t[i].m);
		sa = (struct sa *)&p; /* must be reset to NULL on failure */
		rc = sa_new(&sa, &p, 1000);
		print_message("  mutation %d: rc %d\n", t[i].m, rc);
		assert_int_equal(rc, t[i].rc);
		if (rc < 0) {
			assert_null(sa);
			continue;
		}
		assert_non_null(sa);
		assert_non_null(sa->cipher);
		assert_int_equal(sa->spi, p.spi);
		assert_int_equal(sa->proto, p.proto);
		assert_int_equal(sa->mode, p.mode);
		assert_int_equal(sa->dir, p.dir);
		assert_int_equal(sa->esn, p.esn);
		assert_true(ipaddr_eq(&sa->dst, &p.dst));
		assert_int_equal(sa->udp_encap, p.udp_encap);
		assert_true(sa->created == 1000);
		assert_true(sa->seq == 0);
		assert_false(sa->expired || sa->soft_fired || sa->needs_rekey);
		/* Only inbound SAs carry a window. */
		if (p.dir == SA_DIR_IN) {
			assert_int_equal(sa->replay.size, p.replay_window);
			assert_true((sa->replay.bitmap != NULL) == (p.replay_window != 0));
		} else {
			assert_int_equal(sa->replay.size, 0);
			assert_null(sa->replay.bitmap);
		}
		sa_free(sa);
	}
	sa_free(NULL);
}

/* Bad key lengths are the cipher's to refuse; sa_new passes its error on and leaks nothing. */
static void test_sa_new_bad_key(void **state)
{
	struct sa_params p = base_params();
	struct sa *sa;

	(void)state;
	p.encr_key_len = 16; /* salt missing */
	assert_int_equal(sa_new(&sa, &p, 0), -EINVAL);
	assert_null(sa);
}

static struct sa *new_out(bool esn)
{
	struct sa_params p = base_params();
	struct sa *sa;

	p.dir = SA_DIR_OUT;
	p.esn = esn;
	assert_int_equal(sa_new(&sa, &p, 0), 0);
	return sa;
}

/* RFC 4303 3.3.3: first packet 1; the counter never cycles. */
static void test_sa_seq(void **state)
{
	static const struct {
		bool esn;
		uint64_t start;	    /* sa->seq: last number used */
		uint64_t expect[3]; /* numbers handed out, 0 = -EOVERFLOW from here on */
	} t[] = {
		{ false, 0, { 1, 2, 3 } },
		{ true, 0, { 1, 2, 3 } },
		{ false, 0xFFFFFFFDull, { 0xFFFFFFFEull, 0xFFFFFFFFull, 0 } },
		{ false, 0xFFFFFFFFull, { 0, 0, 0 } },
		{ true, 0xFFFFFFFEull, { 0xFFFFFFFFull, 0x100000000ull, 0x100000001ull } },
		{ true, UINT64_MAX - 2, { UINT64_MAX - 1, UINT64_MAX, 0 } },
		{ true, UINT64_MAX, { 0, 0, 0 } },
	};
	uint64_t seq;
	size_t i, j;
	struct sa *sa;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		sa = new_out(t[i].esn);
		sa->seq = t[i].start;
		for (j = 0; j < 3; j++) {
			seq = 0xdead;
			if (t[i].expect[j]) {
				assert_int_equal(sa_seq_next(sa, &seq), 0);
				assert_true(seq == t[i].expect[j]);
			} else {
				assert_int_equal(sa_seq_next(sa, &seq), -EOVERFLOW);
				assert_true(seq == 0xdead);
				assert_true(sa->needs_rekey);
				/* Stays exhausted: the counter did not wrap. */
				assert_true(sa->seq == (t[i].esn ? UINT64_MAX : UINT32_MAX));
			}
		}
		if (t[i].expect[2])
			assert_false(sa->needs_rekey);
		sa_free(sa);
	}
}

/* One lifetime step: account `bytes` at `now` (or, with tick, only sa_check_time(now)). */
struct life_step {
	bool tick;
	uint64_t bytes;
	uint64_t now;
	enum sa_life want;
};

#define PKT(b, t, w)                 \
	{                            \
		false, (b), (t), (w) \
	}
#define TICK(t, w)                \
	{                         \
		true, 0, (t), (w) \
	}
#define LIFE_MAX_STEPS 10

struct life_case {
	const char *name;
	struct sa_lifetime soft, hard;
	struct life_step steps[LIFE_MAX_STEPS];
	size_t nsteps;
	uint64_t packets, bytes; /* counters afterwards */
	bool expired, needs_rekey;
};

/* SAs are created at t = 100. */
static const struct life_case life_cases[] = {
	{ "packets: soft 3, hard 5",
	  { 0, 3, 0 },
	  { 0, 5, 0 },
	  { PKT(10, 100, SA_LIFE_OK), PKT(10, 100, SA_LIFE_OK), PKT(10, 100, SA_LIFE_SOFT),
	    PKT(10, 100, SA_LIFE_OK), PKT(10, 100, SA_LIFE_OK), PKT(10, 100, SA_LIFE_HARD),
	    PKT(10, 100, SA_LIFE_HARD), TICK(100, SA_LIFE_HARD) },
	  8,
	  5,
	  50,
	  true,
	  true },
	{ "bytes: soft 1000, hard 2000",
	  { 1000, 0, 0 },
	  { 2000, 0, 0 },
	  { PKT(600, 100, SA_LIFE_OK), PKT(600, 100, SA_LIFE_SOFT), PKT(600, 100, SA_LIFE_OK),
	    PKT(600, 100, SA_LIFE_HARD), PKT(1, 100, SA_LIFE_HARD) },
	  5,
	  3,
	  1800,
	  true,
	  true },
	{ "bytes: hard limit reached exactly",
	  { 0, 0, 0 },
	  { 2000, 0, 0 },
	  { PKT(1000, 100, SA_LIFE_OK), PKT(1000, 100, SA_LIFE_OK), PKT(1, 100, SA_LIFE_HARD) },
	  3,
	  2,
	  2000,
	  true,
	  false },
	{ "bytes: one packet larger than the hard limit",
	  { 0, 0, 0 },
	  { 100, 0, 0 },
	  { PKT(101, 100, SA_LIFE_HARD) },
	  1,
	  0,
	  0,
	  true,
	  false },
	{ "bytes: soft limit reached exactly",
	  { 1000, 0, 0 },
	  { 0, 0, 0 },
	  { PKT(999, 100, SA_LIFE_OK), PKT(1, 100, SA_LIFE_SOFT), PKT(5000, 100, SA_LIFE_OK) },
	  3,
	  3,
	  6000,
	  false,
	  true },
	{ "time: soft 10 s, hard 20 s",
	  { 0, 0, 10 },
	  { 0, 0, 20 },
	  { TICK(105, SA_LIFE_OK), TICK(109, SA_LIFE_OK), TICK(110, SA_LIFE_SOFT),
	    TICK(111, SA_LIFE_OK), PKT(100, 115, SA_LIFE_OK), TICK(119, SA_LIFE_OK),
	    TICK(120, SA_LIFE_HARD), PKT(100, 120, SA_LIFE_HARD), TICK(121, SA_LIFE_HARD) },
	  9,
	  1,
	  100,
	  true,
	  true },
	{ "time: a packet notices the soft limit",
	  { 0, 0, 10 },
	  { 0, 0, 0 },
	  { PKT(1, 109, SA_LIFE_OK), PKT(1, 110, SA_LIFE_SOFT), PKT(1, 111, SA_LIFE_OK),
	    TICK(5000, SA_LIFE_OK) },
	  4,
	  3,
	  3,
	  false,
	  true },
	{ "time: a packet notices the hard limit",
	  { 0, 0, 0 },
	  { 0, 0, 30 },
	  { PKT(1, 129, SA_LIFE_OK), PKT(1, 130, SA_LIFE_HARD) },
	  2,
	  1,
	  1,
	  true,
	  false },
	{ "time: clock before creation counts as no time",
	  { 0, 0, 10 },
	  { 0, 0, 20 },
	  { TICK(50, SA_LIFE_OK), PKT(1, 0, SA_LIFE_OK), TICK(119, SA_LIFE_SOFT) },
	  3,
	  1,
	  1,
	  false,
	  true },
	{ "soft and hard at the same count: hard wins, soft never follows",
	  { 0, 2, 0 },
	  { 0, 2, 0 },
	  { PKT(1, 100, SA_LIFE_OK), PKT(1, 100, SA_LIFE_SOFT), PKT(1, 100, SA_LIFE_HARD),
	    TICK(100, SA_LIFE_HARD) },
	  4,
	  2,
	  2,
	  true,
	  true },
	{ "hard before soft: soft is not reported afterwards",
	  { 0, 0, 50 },
	  { 0, 3, 0 },
	  { PKT(1, 100, SA_LIFE_OK), PKT(1, 100, SA_LIFE_OK), PKT(1, 100, SA_LIFE_OK),
	    PKT(1, 100, SA_LIFE_HARD), TICK(200, SA_LIFE_HARD) },
	  5,
	  3,
	  3,
	  true,
	  false },
	{ "zero means no limit",
	  { 0, 0, 0 },
	  { 0, 0, 0 },
	  { PKT(UINT32_MAX, 100, SA_LIFE_OK), PKT(UINT32_MAX, UINT64_MAX, SA_LIFE_OK),
	    TICK(UINT64_MAX, SA_LIFE_OK) },
	  3,
	  2,
	  2ull * UINT32_MAX,
	  false,
	  false },
};

static void test_sa_lifetimes(void **state)
{
	struct sa_params p;
	struct sa *sa;
	enum sa_life got;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(life_cases); i++) {
		const struct life_case *c = &life_cases[i];

		p = base_params();
		p.soft = c->soft;
		p.hard = c->hard;
		assert_int_equal(sa_new(&sa, &p, 100), 0);
		for (j = 0; j < c->nsteps; j++) {
			const struct life_step *st = &c->steps[j];

			got = st->tick ? sa_check_time(sa, st->now)
				       : sa_account(sa, (size_t)st->bytes, st->now);
			if (got != st->want)
				print_error("%s: step %zu got %d want %d\n", c->name, j, got,
					    st->want);
			assert_int_equal(got, st->want);
		}
		print_message("  %s\n", c->name);
		assert_true(sa->ctr.packets == c->packets);
		assert_true(sa->ctr.bytes == c->bytes);
		assert_int_equal(sa->expired, c->expired);
		assert_int_equal(sa->needs_rekey, c->needs_rekey);
		sa_free(sa);
	}
}

/* The SAD owns what it holds: real keyed SAs go away with sad_free (ASan/LSan check it). */
static void test_sa_in_sad(void **state)
{
	struct sad *sad = sad_new();
	struct sa_params p = base_params();
	struct sa *in, *out;

	(void)state;
	assert_non_null(sad);
	assert_int_equal(sa_new(&in, &p, 0), 0);
	p.dir = SA_DIR_OUT;
	p.spi = 0x2000;
	assert_int_equal(sa_new(&out, &p, 0), 0);
	assert_int_equal(sad_add(sad, in), 0);
	assert_int_equal(sad_add(sad, out), 0);
	assert_ptr_equal(sad_lookup(sad, 0x1000, &p.dst, IPPROTO_ESP), in);
	assert_ptr_equal(sad_lookup(sad, 0x2000, &p.dst, IPPROTO_ESP), out);
	assert_null(sad_lookup(sad, 0x1000, &p.dst, IPPROTO_AH));
	sad_free(sad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_drop_names),  cmocka_unit_test(test_sa_new_validation),
		cmocka_unit_test(test_sa_new_bad_key), cmocka_unit_test(test_sa_seq),
		cmocka_unit_test(test_sa_lifetimes),   cmocka_unit_test(test_sa_in_sad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
