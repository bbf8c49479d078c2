/* IKEv2 key exchange (src/crypto/dh.h): MODP 14/15, ECP 19/20/21, Curve25519 (31).
 *
 * Truth: RFC 5903 section 8 (ECP key pairs, KE payload values and shared secrets), RFC 7748
 * 6.1 (X25519), RFC 3526 (the MODP primes, compared with OpenSSL's named groups), the RFC 6989
 * rejections, and a cross-check against Python computed at test time (labelled as such):
 * Python takes our public value, makes its own key pair (python3-cryptography for ECP and
 * X25519, pow() over the RFC 3526 prime for MODP) and prints its public value and the shared
 * secret in IKE format, which dh_shared() must reproduce.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/dh.h"
#include "lib/util.h"

static size_t hx(uint8_t *out, size_t cap, const char *s)
{
	long n = hex_decode(out, cap, s);

	assert_true(n >= 0);
	return (size_t)n;
}

/* RFC 3526 section 3 (2048-bit MODP group, id 14) and section 4 (3072-bit, id 15). */
static const char modp2048_p[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
				 "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
				 "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
				 "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
				 "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
				 "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
				 "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D"
				 "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
				 "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9"
				 "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
				 "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";
static const char modp3072_p[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
				 "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
				 "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
				 "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
				 "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
				 "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
				 "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D"
				 "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
				 "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9"
				 "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
				 "15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64"
				 "ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7"
				 "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B"
				 "F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C"
				 "BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31"
				 "43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF";

static void test_groups(void **state)
{
	static const struct {
		uint16_t id;
		size_t pub, secret;
		const char *name;
	} g[] = {
		{ DH_MODP_2048, 256, 256, "modp2048" }, { DH_MODP_3072, 384, 384, "modp3072" },
		{ DH_ECP_256, 64, 32, "ecp256" },	{ DH_ECP_384, 96, 48, "ecp384" },
		{ DH_ECP_521, 132, 66, "ecp521" },	{ DH_CURVE25519, 32, 32, "curve25519" },
	};
	/* 1, 2, 5: old MODP groups; 22-24: RFC 5114 groups; 32: Curve448 (not offered). */
	static const uint16_t unsupported[] = { 0, 1, 2, 5, 16, 22, 23, 24, 32 };
	struct dh *dh = (struct dh *)1;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
		uint8_t pub[DH_PUBLIC_MAX];
		size_t n = 0;

		assert_int_equal(dh_public_len(g[i].id), g[i].pub);
		assert_int_equal(dh_secret_len(g[i].id), g[i].secret);
		assert_string_equal(dh_name(g[i].id), g[i].name);
		assert_int_equal(dh_new(&dh, g[i].id), 0);
		assert_int_equal(dh_group(dh), g[i].id);
		assert_int_equal(dh_public(dh, pub, g[i].pub - 1, &n), -EINVAL);
		assert_int_equal(dh_public(dh, pub, sizeof(pub), &n), 0);
		assert_int_equal(n, g[i].pub);
		dh_free(dh);
	}
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		assert_int_equal(dh_public_len(unsupported[i]), 0);
		assert_int_equal(dh_new(&dh, unsupported[i]), -ENOTSUP);
		assert_null(dh);
	}
	assert_string_equal(dh_name(2), "unknown");
	assert_int_equal(dh_new(NULL, DH_ECP_256), -EINVAL);
	dh_free(NULL);
}

/* RFC 3526 primes against OpenSSL's named groups modp_2048 / modp_3072. */
static void test_modp_primes(void **state)
{
	uint8_t want[384], got[384];
	size_t n;

	(void)state;
	n = hx(want, sizeof(want), modp2048_p);
	assert_int_equal(n, 256);
	assert_int_equal(dh_modp_prime(DH_MODP_2048, got, sizeof(got)), 0);
	assert_memory_equal(got, want, n);
	n = hx(want, sizeof(want), modp3072_p);
	assert_int_equal(n, 384);
	assert_int_equal(dh_modp_prime(DH_MODP_3072, got, sizeof(got)), 0);
	assert_memory_equal(got, want, n);
	assert_int_equal(dh_modp_prime(DH_ECP_256, got, sizeof(got)), -ENOTSUP);
	assert_int_equal(dh_modp_prime(DH_MODP_3072, got, 383), -EINVAL);
}

/* RFC 5903 section 8: i, g^i = (gix, giy), r, g^r = (grx, gry), g^ir = (girx, giry). The KE
 * payload data is gix | giy (8.1-8.3 show it after the KE header), the secret girx alone. */
struct ecp_vec {
	const char *src;
	uint16_t group;
	const char *i, *gix, *giy, *r, *grx, *gry, *girx;
};

static const struct ecp_vec ecp_vecs[] = {
	{ "RFC 5903 8.1", DH_ECP_256,
	  "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
	  "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
	  "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
	  "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
	  "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
	  "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
	  "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE" },
	{ "RFC 5903 8.2", DH_ECP_384,
	  "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
	  "E35B5380 41E649EE 3FAEF896 783AB194",
	  "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
	  "DE3AC808 ACB4BDB4 C88732AE E95F41AA",
	  "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
	  "EB9FCFF3 C2C947DA E69B4C63 4573A81C",
	  "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
	  "E0308312 916B8ED2 960E4BD5 5A7448FC",
	  "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
	  "0D1AC43A 0336DEF9 6FDA41D0 774A3571",
	  "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF"
	  "F83FA401 42209DFF 5EAAD96D B9E6386C",
	  "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
	  "D6031355 69B9E9D0 9CF5D4A2 70F59746" },
	{ "RFC 5903 8.3", DH_ECP_521,
	  "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0"
	  "95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
	  "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE"
	  "E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
	  "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A"
	  "D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
	  "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E"
	  "9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
	  "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21"
	  "9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
	  "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87"
	  "220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
	  "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04"
	  "D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA" },
};

/* Import priv, check our KE value is want_x | want_y, agree with peer_x | peer_y on girx. */
static void ecp_side(const struct ecp_vec *v, const char *priv_hex, const char *wx, const char *wy,
		     const char *px, const char *py)
{
	uint8_t priv[66], want[DH_PUBLIC_MAX], peer[DH_PUBLIC_MAX], pub[DH_PUBLIC_MAX];
	uint8_t girx[66], s[DH_SECRET_MAX];
	size_t pl = hx(priv, sizeof(priv), priv_hex), f = dh_secret_len(v->group), n = 0;
	struct dh *dh;

	assert_int_equal(pl, f);
	assert_int_equal(hx(want, f, wx), f);
	assert_int_equal(hx(want + f, f, wy), f);
	assert_int_equal(hx(peer, f, px), f);
	assert_int_equal(hx(peer + f, f, py), f);
	assert_int_equal(hx(girx, sizeof(girx), v->girx), f);
	assert_int_equal(dh_new_private(&dh, v->group, priv, pl), 0);
	assert_int_equal(dh_public(dh, pub, sizeof(pub), &n), 0);
	assert_int_equal(n, 2 * f);
	if (memcmp(pub, want, n) != 0)
		fail_msg("%s: KE value differs", v->src);
	assert_int_equal(dh_shared(dh, peer, 2 * f, s, sizeof(s), &n), 0);
	assert_int_equal(n, f);
	if (memcmp(s, girx, f) != 0)
		fail_msg("%s: shared secret differs", v->src);
	/* RFC 6989 2.3: the peer's point with one bit of y flipped is off the curve. */
	peer[2 * f - 1] ^= 1;
	memset(s, 0x5a, sizeof(s));
	assert_int_equal(dh_shared(dh, peer, 2 * f, s, sizeof(s), &n), -EBADMSG);
	for (size_t k = 0; k < f; k++)
		assert_int_equal(s[k], 0); /* nothing left in the buffer */
	dh_free(dh);
}

static void test_ecp_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ecp_vecs); i++) {
		const struct ecp_vec *v = &ecp_vecs[i];

		ecp_side(v, v->i, v->gix, v->giy, v->grx, v->gry); /* initiator */
		ecp_side(v, v->r, v->grx, v->gry, v->gix, v->giy); /* responder */
	}
}

/* RFC 6989 2.3 / RFC 5903 7: only x | y of exactly the group's size, on the curve. */
static void test_ecp_reject(void **state)
{
	static const uint16_t groups[] = { DH_ECP_256, DH_ECP_384, DH_ECP_521 };
	uint8_t pub[DH_PUBLIC_MAX + 1], bad[DH_PUBLIC_MAX + 1], s[DH_SECRET_MAX];
	struct dh *a, *b;
	size_t n, pl;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		pl = dh_public_len(groups[i]);
		assert_int_equal(dh_new(&a, groups[i]), 0);
		assert_int_equal(dh_new(&b, groups[i]), 0);
		assert_int_equal(dh_public(b, pub + 1, sizeof(pub) - 1, &n), 0);
		/* SEC 1 form 0x04 | x | y is one octet too long for IKE. */
		pub[0] = 0x04;
		assert_int_equal(dh_shared(a, pub, pl + 1, s, sizeof(s), &n), -EBADMSG);
		assert_int_equal(dh_shared(a, pub + 1, pl - 1, s, sizeof(s), &n), -EBADMSG);
		/* (0, 0): the closest the format gets to the point at infinity; not on the curve.
		 */
		memset(bad, 0, sizeof(bad));
		assert_int_equal(dh_shared(a, bad, pl, s, sizeof(s), &n), -EBADMSG);
		/* Coordinates of all ones are >= p, not field elements. */
		memset(bad, 0xff, sizeof(bad));
		assert_int_equal(dh_shared(a, bad, pl, s, sizeof(s), &n), -EBADMSG);
		/* x of a real point with y flipped in its last bit. */
		memcpy(bad, pub + 1, pl);
		bad[pl - 1] ^= 1;
		assert_int_equal(dh_shared(a, bad, pl, s, sizeof(s), &n), -EBADMSG);
		/* The genuine value still works afterwards, and both ends agree. */
		uint8_t s2[DH_SECRET_MAX], pa[DH_PUBLIC_MAX];
		size_t n2;

		assert_int_equal(dh_shared(a, pub + 1, pl, s, sizeof(s), &n), 0);
		assert_int_equal(dh_public(a, pa, sizeof(pa), &n2), 0);
		assert_int_equal(dh_shared(b, pa, n2, s2, sizeof(s2), &n2), 0);
		assert_int_equal(n, dh_secret_len(groups[i]));
		assert_int_equal(n, n2);
		assert_memory_equal(s, s2, n);
		/* Output buffer too small. */
		assert_int_equal(dh_shared(a, pub + 1, pl, s, n - 1, &n), -EINVAL);
		dh_free(a);
		dh_free(b);
	}
}

static void test_ecp_bad_private(void **state)
{
	uint8_t d[66];
	struct dh *dh;

	(void)state;
	memset(d, 0, sizeof(d));
	assert_int_equal(dh_new_private(&dh, DH_ECP_256, d, 32), -EINVAL); /* zero scalar */
	memset(d, 0xff, sizeof(d));
	assert_int_equal(dh_new_private(&dh, DH_ECP_256, d, 32), -EINVAL); /* >= order */
	d[0] = 1;
	assert_int_equal(dh_new_private(&dh, DH_ECP_256, d, 31), -EINVAL); /* wrong length */
	assert_int_equal(dh_new_private(&dh, DH_CURVE25519, d, 31), -EINVAL);
	assert_int_equal(dh_new_private(&dh, DH_MODP_2048, d, 32), -ENOTSUP);
	assert_int_equal(dh_new_private(&dh, 2, d, 32), -ENOTSUP);
	assert_null(dh);
}

/* RFC 7748 6.1: Alice's and Bob's private keys, public keys and shared secret K. */
static void test_x25519_vectors(void **state)
{
	static const char *a_priv =
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const char *a_pub =
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	static const char *b_priv =
		"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
	static const char *b_pub =
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
	static const char *k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	const char *privs[2] = { a_priv, b_priv }, *pubs[2] = { a_pub, b_pub };
	uint8_t priv[32], want[32], peer[32], pub[32], kk[32], s[32];
	struct dh *dh;
	size_t n;

	(void)state;
	hx(kk, sizeof(kk), k);
	for (int side = 0; side < 2; side++) {
		assert_int_equal(hx(priv, sizeof(priv), privs[side]), 32);
		assert_int_equal(hx(want, sizeof(want), pubs[side]), 32);
		assert_int_equal(hx(peer, sizeof(peer), pubs[!side]), 32);
		assert_int_equal(dh_new_private(&dh, DH_CURVE25519, priv, 32), 0);
		assert_int_equal(dh_public(dh, pub, sizeof(pub), &n), 0);
		assert_int_equal(n, 32);
		assert_memory_equal(pub, want, 32);
		assert_int_equal(dh_shared(dh, peer, 32, s, sizeof(s), &n), 0);
		assert_int_equal(n, 32);
		assert_memory_equal(s, kk, 32);
		dh_free(dh);
	}
}

/* RFC 8031 2: an all-zero shared secret (from a small-order peer value) is refused. The values
 * are small-order points of Curve25519, for which X25519 with any clamped scalar gives 0:
 * u = 0, u = 1 (order 4) and a point of order 8 (the one commonly listed in small-order point
 * blocklists, e.g. libsodium's). */
static void test_x25519_reject(void **state)
{
	static const char *low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	uint8_t peer[33], s[32];
	struct dh *dh;
	size_t n;

	(void)state;
	assert_int_equal(dh_new(&dh, DH_CURVE25519), 0);
	for (size_t i = 0; i < ARRAY_SIZE(low); i++) {
		assert_int_equal(hx(peer, sizeof(peer), low[i]), 32);
		memset(s, 0x5a, sizeof(s));
		assert_int_equal(dh_shared(dh, peer, 32, s, sizeof(s), &n), -EBADMSG);
		for (size_t k = 0; k < sizeof(s); k++)
			assert_int_equal(s[k], 0);
	}
	assert_int_equal(dh_public(dh, peer, sizeof(peer), &n), 0);
	assert_int_equal(dh_shared(dh, peer, 31, s, sizeof(s), &n), -EBADMSG);
	assert_int_equal(dh_shared(dh, peer, 33, s, sizeof(s), &n), -EBADMSG);
	/* Our own public value is a fine peer value. */
	assert_int_equal(dh_shared(dh, peer, 32, s, sizeof(s), &n), 0);
	dh_free(dh);
}

/* Two of our own key pairs agree, for every group. */
static void test_agree(void **state)
{
	static const uint16_t groups[] = { DH_MODP_2048, DH_MODP_3072, DH_ECP_256,
					   DH_ECP_384,	 DH_ECP_521,   DH_CURVE25519 };
	uint8_t pa[DH_PUBLIC_MAX], pb[DH_PUBLIC_MAX], sa[DH_SECRET_MAX], sb[DH_SECRET_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		struct dh *a, *b, *c;
		size_t na, nb, la, lb;

		assert_int_equal(dh_new(&a, groups[i]), 0);
		assert_int_equal(dh_new(&b, groups[i]), 0);
		assert_int_equal(dh_new(&c, groups[i]), 0);
		assert_int_equal(dh_public(a, pa, sizeof(pa), &na), 0);
		assert_int_equal(dh_public(b, pb, sizeof(pb), &nb), 0);
		assert_int_equal(na, dh_public_len(groups[i]));
		assert_memory_not_equal(pa, pb, na); /* fresh keys */
		assert_int_equal(dh_shared(a, pb, nb, sa, sizeof(sa), &la), 0);
		assert_int_equal(dh_shared(b, pa, na, sb, sizeof(sb), &lb), 0);
		assert_int_equal(la, dh_secret_len(groups[i]));
		assert_int_equal(la, lb);
		assert_memory_equal(sa, sb, la);
		/* A third party's secret with b differs. */
		assert_int_equal(dh_shared(c, pb, nb, sb, sizeof(sb), &lb), 0);
		assert_memory_not_equal(sa, sb, la);
		/* A key pair can be used again (retransmitted KE). */
		assert_int_equal(dh_shared(a, pb, nb, sb, sizeof(sb), &lb), 0);
		assert_memory_equal(sa, sb, la);
		dh_free(a);
		dh_free(b);
		dh_free(c);
	}
}

/* Big-endian p + delta (delta in -1..1), padded to n octets. */
static void p_plus(uint8_t *out, size_t n, const char *p_hex, int delta)
{
	assert_int_equal(hx(out, n, p_hex), n);
	if (delta < 0) {
		size_t i = n;

		while (i-- > 0 && out[i]-- == 0)
			;
	} else if (delta > 0) {
		size_t i = n;

		while (i-- > 0 && ++out[i] == 0)
			;
	}
}

/* RFC 6989 2.1: MODP values must satisfy 1 < y < p-1 and have the modulus' length. */
static void test_modp_reject(void **state)
{
	static const struct {
		uint16_t id;
		const char *p;
	} g[] = { { DH_MODP_2048, modp2048_p }, { DH_MODP_3072, modp3072_p } };
	uint8_t y[DH_PUBLIC_MAX + 1], s[DH_SECRET_MAX];
	struct dh *dh, *peer;
	size_t n, pl;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
		pl = dh_public_len(g[i].id);
		assert_int_equal(dh_new(&dh, g[i].id), 0);
		memset(y, 0, sizeof(y));
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* 0 */
		y[pl - 1] = 1;
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* 1 */
		p_plus(y, pl, g[i].p, -1);
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* p-1 */
		p_plus(y, pl, g[i].p, 0);
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* p */
		p_plus(y, pl, g[i].p, 1);
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* p+1 */
		memset(y, 0xff, sizeof(y));
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), -EBADMSG); /* 2^n-1 */
		/* 2 and p-2 are in range; 2 = g generates the prime-order subgroup, so it is
		 * accepted (a peer with private key 1 is weak but not malformed). */
		memset(y, 0, sizeof(y));
		y[pl - 1] = 2;
		assert_int_equal(dh_shared(dh, y, pl, s, sizeof(s), &n), 0);
		/* Length: a genuine value with a leading zero octet added, or one dropped. */
		assert_int_equal(dh_new(&peer, g[i].id), 0);
		y[0] = 0;
		assert_int_equal(dh_public(peer, y + 1, sizeof(y) - 1, &n), 0);
		assert_int_equal(dh_shared(dh, y, pl + 1, s, sizeof(s), &n), -EBADMSG);
		assert_int_equal(dh_shared(dh, y + 2, pl - 1, s, sizeof(s), &n), -EBADMSG);
		assert_int_equal(dh_shared(dh, y + 1, pl, s, sizeof(s), &n), 0);
		dh_free(peer);
		dh_free(dh);
	}
}

/* Cross-check (not a published vector): Python gets our public value, makes its own key pair
 * and prints "its public value in IKE format" and "the shared secret in IKE format". */
static const char py_dh[] =
	"import sys\n"
	"from cryptography.hazmat.primitives.asymmetric import ec, x25519\n"
	"from cryptography.hazmat.primitives import serialization as s\n"
	"g, ours = int(sys.argv[1]), bytes.fromhex(sys.argv[2])\n"
	"if g in (14, 15):\n"
	"    p = int(sys.argv[3], 16)\n"
	"    n = (p.bit_length() + 7) // 8\n"
	"    x = int.from_bytes(__import__(\"os\").urandom(64), \"big\")\n"
	"    print(pow(2, x, p).to_bytes(n, \"big\").hex())\n"
	"    print(pow(int.from_bytes(ours, \"big\"), x, p).to_bytes(n, \"big\").hex())\n"
	"elif g == 31:\n"
	"    k = x25519.X25519PrivateKey.generate()\n"
	"    print(k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw).hex())\n"
	"    print(k.exchange(x25519.X25519PublicKey.from_public_bytes(ours)).hex())\n"
	"else:\n"
	"    c = {19: ec.SECP256R1, 20: ec.SECP384R1, 21: ec.SECP521R1}[g]()\n"
	"    k = ec.generate_private_key(c)\n"
	"    pub = k.public_key().public_bytes(s.Encoding.X962, s.PublicFormat.UncompressedPoint)\n"
	"    print(pub[1:].hex())\n"
	"    peer = ec.EllipticCurvePublicKey.from_encoded_point(c, b\"\\x04\" + ours)\n"
	"    print(k.exchange(ec.ECDH(), peer).hex())\n";

static void test_cross_python(void **state)
{
	static const uint16_t groups[] = { DH_MODP_2048, DH_MODP_3072, DH_ECP_256,
					   DH_ECP_384,	 DH_ECP_521,   DH_CURVE25519 };
	static char cmd[8192], line_pub[2 * DH_PUBLIC_MAX + 4], line_sec[2 * DH_SECRET_MAX + 4];
	char hpub[2 * DH_PUBLIC_MAX + 1], hp[2 * DH_PUBLIC_MAX + 1];
	uint8_t pub[DH_PUBLIC_MAX], peer[DH_PUBLIC_MAX], want[DH_SECRET_MAX], s[DH_SECRET_MAX];
	uint8_t p[DH_PUBLIC_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		uint16_t g = groups[i];
		struct dh *dh;
		size_t n, sl;
		FILE *f;

		assert_int_equal(dh_new(&dh, g), 0);
		assert_int_equal(dh_public(dh, pub, sizeof(pub), &n), 0);
		hex_encode(hpub, pub, n);
		strcpy(hp, "0");
		if (g == DH_MODP_2048 || g == DH_MODP_3072) {
			assert_int_equal(
				hx(p, sizeof(p), g == DH_MODP_2048 ? modp2048_p : modp3072_p), n);
			hex_encode(hp, p, n);
		}
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '%s' %u %s %s", py_dh, g, hpub, hp);
		f = popen(cmd, "r");
		assert_non_null(f);
		assert_non_null(fgets(line_pub, sizeof(line_pub), f));
		assert_non_null(fgets(line_sec, sizeof(line_sec), f));
		assert_int_equal(pclose(f), 0);
		assert_int_equal(hx(peer, sizeof(peer), line_pub), dh_public_len(g));
		assert_int_equal(hx(want, sizeof(want), line_sec), dh_secret_len(g));
		assert_int_equal(dh_shared(dh, peer, dh_public_len(g), s, sizeof(s), &sl), 0);
		assert_int_equal(sl, dh_secret_len(g));
		if (memcmp(s, want, sl) != 0)
			fail_msg("group %u: shared secret differs from Python's", g);
		dh_free(dh);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),		cmocka_unit_test(test_modp_primes),
		cmocka_unit_test(test_ecp_vectors),	cmocka_unit_test(test_ecp_reject),
		cmocka_unit_test(test_ecp_bad_private), cmocka_unit_test(test_x25519_vectors),
		cmocka_unit_test(test_x25519_reject),	cmocka_unit_test(test_agree),
		cmocka_unit_test(test_modp_reject),	cmocka_unit_test(test_cross_python),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
