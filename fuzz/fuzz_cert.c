/* libFuzzer harness for the certificate and signature AUTH code that reads peer input:
 * CERT payload DER and chains (cert.c, through OpenSSL's X.509 parser and verifier), ID
 * payloads matched against a certificate, CERTREQ data, AUTH method 14 data (RFC 7427
 * AlgorithmIdentifier + signature) and legacy ECDSA r|s, SIGNATURE_HASH_ALGORITHMS data.
 *
 * Input: byte 0 selects the mode (mod 6), the rest is the data.
 *   0: CERT payloads as u16 length | DER, repeated; verified against a fixed anchor at a fixed
 *      time; a verified certificate is then matched against a few IDs.
 *   1: byte 1 = AUTH method, rest = AUTH data, verified with the anchor's P-256 key over fixed
 *      octets. A valid signature must come with a known method.
 *   2: hash algorithm list; whatever parses must survive build -> parse unchanged.
 *   3: byte 1 = ID type, rest = identification data, matched against the anchor certificate.
 *   4: CERTREQ data against a store whose own certificate is the anchor.
 *   5: byte 1 = key kind, rest = a DER Ecdsa-Sig-Value converted to r|s.
 * Seeds in fuzz/corpus/cert are made from the anchor and a certificate it issued.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fuzz_check.h"
#include "ike/cert.h"
#include "ike/sigauth.h"
#include "lib/rw.h"
#include "lib/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* P-256 CA "CN=fuzz-ca, O=esprit", valid 2026-11-27 .. 2126-11-03 (openssl req -x509). */
static const char anchor_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBrjCCAVOgAwIBAgIULktlsti+8mAw8SVxuz/0FuzNtxcwCgYIKoZIzj0EAwIw\n"
	"IzEQMA4GA1UEAwwHZnV6ei1jYTEPMA0GA1UECgwGZXNwcml0MCAXDTI2MTEyNzAy\n"
	"NTAwNVoYDzIxMjYxMTAzMDI1MDA1WjAjMRAwDgYDVQQDDAdmdXp6LWNhMQ8wDQYD\n"
	"VQQKDAZlc3ByaXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARdk+TqRjCeUSu5\n"
	"KX7J9erfrmiluvqGkwli5IPap+f3XgXRpp0dau+Gzm0tWOrDG4ymw9c1tv6ccUhg\n"
	"0TU1IBO0o2MwYTAdBgNVHQ4EFgQUH3MhjjweEr4QOboSqF/K3Nl5rn4wHwYDVR0j\n"
	"BBgwFoAUH3MhjjweEr4QOboSqF/K3Nl5rn4wDwYDVR0TAQH/BAUwAwEB/zAOBgNV\n"
	"HQ8BAf8EBAMCAoQwCgYIKoZIzj0EAwIDSQAwRgIhAJPW5MO7YJ2bmZxOyMe6E/Zr\n"
	"zE23xSJ1ea0V6+aVTy7fAiEAwd+x6qnunTZVUWyl2kWquskfUsl0mHx5J3ZZfSZu\n"
	"iwE=\n"
	"-----END CERTIFICATE-----\n";
#define FUZZ_NOW 1795824000 /* 2026-11-28T00:00:00Z, inside every seed's validity */
static const char signed_octets[] = "fuzz_cert signed octets";

static struct cert_store *store;
static struct cert_peer anchor;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-cert-XXXXXX";
	char why[CERT_WHY_MAX];
	int fd = mkstemp(path);
	BIO *b = BIO_new_mem_buf(anchor_pem, -1);

	(void)argc;
	(void)argv;
	CHECK(fd >= 0 && b);
	CHECK(write(fd, anchor_pem, strlen(anchor_pem)) == (ssize_t)strlen(anchor_pem));
	close(fd);
	store = cert_store_new();
	CHECK(store);
	CHECK(cert_store_add_ca(store, path, why, sizeof(why)) == CERT_OK);
	CHECK(cert_store_set_own(store, path, why, sizeof(why)) == CERT_OK);
	unlink(path);
	anchor.cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	CHECK(anchor.cert);
	anchor.pkey = X509_get_pubkey(anchor.cert);
	anchor.key = sigauth_key_kind(anchor.pkey);
	CHECK(anchor.key == SIGKEY_EC_P256);
	snprintf(anchor.subject, sizeof(anchor.subject), "fuzz-ca");
	return 0;
}

static void fuzz_chain(const uint8_t *data, size_t size)
{
	struct cert_blob certs[CERT_CHAIN_MAX + 2];
	struct cert_peer p;
	char why[CERT_WHY_MAX];
	size_t n = 0;
	struct rd r;

	rd_init(&r, data, size);
	while (rd_left(&r) >= 2 && n < CERT_CHAIN_MAX + 2) {
		size_t len = rd_u16(&r);

		len = MIN(len, rd_left(&r)); /* a short last one is still tried */
		certs[n].der = rd_bytes(&r, len);
		certs[n].len = len;
		if (!certs[n].der)
			break;
		n++;
	}
	if (cert_verify_peer(store, certs, n, FUZZ_NOW, &p, why, sizeof(why)) != CERT_OK) {
		CHECK(!p.cert && !p.pkey);
		return;
	}
	CHECK(p.cert && p.pkey && p.key != SIGKEY_NONE);
	cert_match_id(&p, 2, (const uint8_t *)"fe.example", 10, why, sizeof(why));
	cert_match_id(&p, 1, (const uint8_t *)"\x0a\x01\x00\x01", 4, why, sizeof(why));
	cert_match_id(&p, 3, (const uint8_t *)"fe@example.com", 14, why, sizeof(why));
	cert_peer_clear(&p);
}

static void fuzz_auth(const uint8_t *data, size_t size)
{
	char why[SIGAUTH_WHY_MAX];
	enum sigauth_err e;
	enum sigauth_alg alg;
	const uint8_t *sig;
	size_t sig_len;

	if (!size)
		return;
	e = sigauth_verify(anchor.pkey, data[0], data + 1, size - 1, SIGHASH_OURS,
			   (const uint8_t *)signed_octets, sizeof(signed_octets), why, sizeof(why));
	if (e == SIGAUTH_OK)
		CHECK(data[0] == 14 || data[0] == 9);
	if (sigauth_parse(data + 1, size - 1, &alg, &sig, &sig_len) == SIGAUTH_OK)
		CHECK(alg != SIGALG_NONE && sig >= data + 2 && sig + sig_len == data + size);
}

static void fuzz_hashes(const uint8_t *data, size_t size)
{
	uint8_t out[16];
	uint32_t mask, again;
	size_t len;

	if (sigauth_hashes_parse(data, size, &mask))
		return;
	CHECK(sigauth_hashes_build(mask, out, sizeof(out), &len) == 0);
	CHECK(sigauth_hashes_parse(out, len, &again) == 0 || !len);
	CHECK(!len || again == mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[CERT_WHY_MAX];
	uint8_t rs[2 * 66];
	size_t rs_len;

	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0:
		fuzz_chain(data + 1, size - 1);
		break;
	case 1:
		fuzz_auth(data + 1, size - 1);
		break;
	case 2:
		fuzz_hashes(data + 1, size - 1);
		break;
	case 3:
		if (size >= 2) {
			cert_match_id(&anchor, data[1], data + 2, size - 2, why, sizeof(why));
			cert_id_format(data[1], data + 2, size - 2, why, sizeof(why));
			CHECK(strlen(why) < sizeof(why));
		}
		break;
	case 4:
		cert_store_certreq_match(store, data + 1, size - 1);
		break;
	case 5:
		if (size >= 2 && sigauth_ecdsa_der_to_rs((enum sigauth_key)(data[1] % 7), data + 2,
							 size - 2, rs, sizeof(rs), &rs_len) == 0)
			CHECK(rs_len == 64 || rs_len == 96 || rs_len == 132);
		break;
	}
	return 0;
}
