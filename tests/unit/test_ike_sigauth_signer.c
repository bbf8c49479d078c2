/* src/ike/signer.c: the signing helper process.
 *
 * - keys load in the helper only: the Ed25519 private key (32 octets, printed by
 *   `openssl pkey -text`) is searched in this process's whole writable memory; it is found
 *   with the in-process signer (so the search works) and not with the forked helper;
 * - a key file readable by group or others is refused (0644, 0640), the helper exits;
 * - signatures through the socket verify (sigauth and `openssl dgst -verify`); the public key
 *   the helper gives equals `openssl pkey -pubout`; the helper holds only the socket and
 *   stdio, and exits when the socket is closed; a killed helper gives -EIO, not a hang.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/signer.h"
#include "lib/util.h"
#include "wire/ikev2.h"

#include "test_ike_cert_pki.h"

#define MASK 0x5a /* the key is kept XORed so our own copy never matches */
static uint8_t ed_priv_masked[32];

static int setup(void **state)
{
	char cmd[256], line[256], hex[160] = "";
	FILE *p;
	bool in_priv = false;

	(void)state;
	if (pki_make())
		return -1;
	snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s/ee_ed.key' -text -noout", pki_dir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "priv:", 5))
			in_priv = true;
		else if (!strncmp(line, "pub:", 4))
			in_priv = false;
		else if (in_priv && strlen(hex) + strlen(line) < sizeof(hex))
			strcat(hex, line);
	}
	pclose(p);
	if (hex_decode(ed_priv_masked, sizeof(ed_priv_masked), hex) != 32)
		return -1;
	for (size_t i = 0; i < 32; i++)
		ed_priv_masked[i] ^= MASK;
	wipe(hex, sizeof(hex));
	wipe(line, sizeof(line));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pki_remove();
	return 0;
}

static bool match_at(const uint8_t *m)
{
	for (size_t i = 0; i < 32; i++)
		if (m[i] != (uint8_t)(ed_priv_masked[i] ^ MASK))
			return false;
	return true;
}

/* How often the private key appears in this process's writable mappings. */
static size_t key_copies_in_memory(void)
{
	static uint8_t chunk[1 << 16];
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY);
	char line[512], perms[8];
	unsigned long lo, hi;
	size_t found = 0;

	assert_non_null(maps);
	assert_true(mem >= 0);
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    perms[1] != 'w' || hi - lo > (256ul << 20) || strstr(line, "[v"))
			continue;
		for (unsigned long a = lo; a < hi; a += sizeof(chunk) - 31) {
			size_t want = MIN(sizeof(chunk), hi - a);
			ssize_t got = pread(mem, chunk, want, (off_t)a);

			if (got < 32)
				break;
			for (size_t i = 0; i + 32 <= (size_t)got; i++)
				if (chunk[i] == (uint8_t)(ed_priv_masked[0] ^ MASK) &&
				    match_at(chunk + i) && chunk + i != ed_priv_masked)
					found++;
			if (a + want >= hi)
				break;
		}
	}
	wipe(chunk, sizeof(chunk));
	fclose(maps);
	close(mem);
	return found;
}

static void test_key_only_in_helper(void **state)
{
	const char *paths[] = { pki_path("ee_ed.key") };
	struct signer *s;
	char why[256] = "";
	uint8_t sig[SIGAUTH_SIG_MAX];
	size_t len;

	(void)state;
	assert_int_equal(signer_start(&s, paths, 1, why, sizeof(why)), 0);
	assert_true(signer_pid(s) > 0);
	assert_int_equal(
		signer_sign(s, 0, SIGALG_ED25519, (const uint8_t *)"x", 1, sig, sizeof(sig), &len),
		0);
	assert_int_equal(len, 64);
	assert_int_equal(key_copies_in_memory(), 0);
	signer_stop(s);
	/* control, afterwards (OpenSSL's PEM decoding leaves freed copies behind): with the
	 * key in this process the search finds it */
	assert_int_equal(signer_start_inproc(&s, paths, 1, why, sizeof(why)), 0);
	assert_int_equal(signer_pid(s), 0);
	assert_true(key_copies_in_memory() >= 1);
	signer_stop(s);
}

static void test_bad_key_files(void **state)
{
	const char *p644[] = { pki_path("ee_p256.key") };
	const char *none[] = { pki_path("missing.key") };
	const char *notkey[] = { pki_path("ee_p256.pem") };
	struct signer *s = (struct signer *)1;
	char why[256];

	(void)state;
	assert_int_equal(chmod(p644[0], 0644), 0);
	assert_int_equal(signer_start(&s, p644, 1, why, sizeof(why)), -EPERM);
	assert_null(s);
	assert_non_null(strstr(why, "ee_p256.key"));
	assert_non_null(strstr(why, "0644"));
	assert_int_equal(signer_start_inproc(&s, p644, 1, why, sizeof(why)), -EPERM);
	assert_int_equal(chmod(p644[0], 0640), 0);
	assert_int_equal(signer_start(&s, p644, 1, why, sizeof(why)), -EPERM);
	assert_int_equal(chmod(p644[0], 0600), 0);
	assert_int_equal(signer_start(&s, none, 1, why, sizeof(why)), -ENOENT);
	assert_int_equal(chmod(notkey[0], 0600), 0);
	assert_int_equal(signer_start(&s, notkey, 1, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not an unencrypted PEM private key"));
}

static void sign_and_check(struct signer *s, unsigned idx, const char *pub_der,
			   enum sigauth_alg alg, const char *dgst)
{
	static const char octets[] = "IKE_AUTH SignedOctets through the helper";
	uint8_t sig[SIGAUTH_SIG_MAX], data[SIGAUTH_DATA_MAX], spki[SIGNER_SPKI_MAX], *want;
	size_t sig_len, data_len, spki_len, n;
	const unsigned char *p;
	EVP_PKEY *pub;
	char why[SIGAUTH_WHY_MAX], cmd[512];
	FILE *f;

	assert_int_equal(signer_pubkey(s, idx, spki, sizeof(spki), &spki_len), 0);
	want = pki_read(pub_der, &n);
	assert_int_equal(spki_len, n);
	assert_memory_equal(spki, want, n);
	free(want);
	assert_int_equal(signer_sign(s, idx, alg, (const uint8_t *)octets, sizeof(octets), sig,
				     sizeof(sig), &sig_len),
			 0);
	p = spki;
	pub = d2i_PUBKEY(NULL, &p, (long)spki_len);
	assert_non_null(pub);
	assert_int_equal(sigauth_build(alg, sig, sig_len, data, sizeof(data), &data_len), 0);
	assert_int_equal(sigauth_verify(pub, IKEV2_AUTH_DIGITAL_SIG, data, data_len, SIGHASH_OURS,
					(const uint8_t *)octets, sizeof(octets), why, sizeof(why)),
			 SIGAUTH_OK);
	EVP_PKEY_free(pub);
	if (!dgst)
		return;
	f = fopen(pki_path("h.oct"), "wb");
	fwrite(octets, 1, sizeof(octets), f);
	fclose(f);
	f = fopen(pki_path("h.sig"), "wb");
	fwrite(sig, 1, sig_len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl dgst -%s -verify %.*s.pub.pem -signature h.sig h.oct "
		 ">/dev/null",
		 pki_dir, dgst, (int)(strlen(pub_der) - 8), pub_der);
	assert_int_equal(system(cmd), 0);
}

static int helper_fd_count(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_sign_through_helper(void **state)
{
	const char *paths[] = { pki_path("ee_rsa.key"), pki_path("ee_p384.key"),
				pki_path("ee_ed.key") };
	struct signer *s;
	char why[256];
	uint8_t sig[SIGAUTH_SIG_MAX];
	size_t len;
	pid_t pid;
	int extra = open("/dev/null", O_RDONLY); /* must not leak into the helper */

	(void)state;
	assert_int_equal(signer_start(&s, paths, 3, why, sizeof(why)), 0);
	pid = signer_pid(s);
	assert_int_equal(helper_fd_count(pid), 4); /* stdin/out on /dev/null, stderr, socket */
	sign_and_check(s, 0, "ee_rsa.pub.der", SIGALG_RSA_PSS_SHA256, NULL);
	sign_and_check(s, 0, "ee_rsa.pub.der", SIGALG_RSA_PKCS1_SHA256, "sha256");
	sign_and_check(s, 1, "ee_p384.pub.der", SIGALG_ECDSA_SHA384, "sha384");
	sign_and_check(s, 2, "ee_ed.pub.der", SIGALG_ED25519, NULL);
	/* refusals travel back as errors */
	assert_int_equal(
		signer_sign(s, 3, SIGALG_ED25519, (const uint8_t *)"x", 1, sig, sizeof(sig), &len),
		-EINVAL);
	assert_int_equal(
		signer_sign(s, 1, SIGALG_ED25519, (const uint8_t *)"x", 1, sig, sizeof(sig), &len),
		-EINVAL);
	assert_int_equal(
		signer_sign(s, 0, SIGALG_RSA_PKCS1_SHA256, (const uint8_t *)"x", 1, sig, 100, &len),
		-ENOSPC);
	/* still serving after errors */
	assert_int_equal(
		signer_sign(s, 2, SIGALG_ED25519, (const uint8_t *)"x", 1, sig, sizeof(sig), &len),
		0);
	signer_stop(s);
	/* reaped: the pid is gone */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	close(extra);
}

/* A helper that died makes signing fail cleanly (no SIGPIPE, no hang). */
static void test_helper_gone(void **state)
{
	const char *paths[] = { pki_path("ee_ed.key") };
	struct signer *s;
	char why[256];
	uint8_t sig[SIGAUTH_SIG_MAX];
	size_t len;

	(void)state;
	assert_int_equal(signer_start(&s, paths, 1, why, sizeof(why)), 0);
	assert_int_equal(kill(signer_pid(s), SIGKILL), 0);
	assert_int_equal(
		signer_sign(s, 0, SIGALG_ED25519, (const uint8_t *)"x", 1, sig, sizeof(sig), &len),
		-EIO);
	signer_stop(s);
}

static void test_inproc_same_contract(void **state)
{
	const char *paths[] = { pki_path("ee_p256.key") };
	struct signer *s;
	char why[256];

	(void)state;
	assert_int_equal(signer_start_inproc(&s, paths, 1, why, sizeof(why)), 0);
	sign_and_check(s, 0, "ee_p256.pub.der", SIGALG_ECDSA_SHA256, "sha256");
	signer_stop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_only_in_helper),   cmocka_unit_test(test_bad_key_files),
		cmocka_unit_test(test_sign_through_helper),  cmocka_unit_test(test_helper_gone),
		cmocka_unit_test(test_inproc_same_contract),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
