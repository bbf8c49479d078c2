/* libFuzzer harness for the PSK file reader (src/conf/secret.c: secret_psk_load).
 *
 * Input: the content of a key file. It is written to one 0600 temporary file, which is then
 * loaded as a PSK. The result is checked against the format secret.h states, decoded here
 * independently: at most one trailing "\n" or "\r\n" removed; "0x" then hex digits (spaces and
 * colons between them ignored, an even number of digits, at most SECRET_PSK_MAX octets);
 * otherwise the text itself (at most SECRET_PSK_MAX octets); a NUL anywhere is refused. A
 * refusal must say why.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "conf/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/fuzz_secret.XXXXXX";
static int fd = -1;

static void remove_file(void)
{
	unlink(path);
}

static int nibble(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key the format gives for d[0..n), or false if the format refuses it. */
static bool expect(const uint8_t *d, size_t n, uint8_t *key, size_t *klen)
{
	size_t k = 0;
	int hi = -1, v;

	if (n && d[n - 1] == '\n' && (--n, n && d[n - 1] == '\r'))
		n--;
	if (!n)
		return false;
	if (n < 2 || d[0] != '0' || (d[1] != 'x' && d[1] != 'X')) {
		if (n > SECRET_PSK_MAX || memchr(d, 0, n))
			return false;
		memcpy(key, d, n);
		*klen = n;
		return true;
	}
	for (size_t i = 2; i < n; i++) {
		if (d[i] == ' ' || (d[i] >= '\t' && d[i] <= '\r') || d[i] == ':')
			continue;
		v = nibble(d[i]);
		if (v < 0)
			return false;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (k >= SECRET_PSK_MAX)
			return false;
		key[k++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	*klen = k;
	return hi < 0 && k > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t want[SECRET_PSK_MAX];
	size_t want_len = 0, len = 0;
	uint8_t *key = NULL;
	char why[256] = "";
	bool ok;
	int rc;

	if (fd < 0) {
		fd = mkstemp(path);
		CHECK(fd >= 0);
		CHECK(fchmod(fd, 0600) == 0);
		atexit(remove_file);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	ok = expect(data, size, want, &want_len);
	rc = secret_psk_load(path, &key, &len, why, sizeof(why));
	if (rc == 0) {
		CHECK(ok);
		CHECK(key && len == want_len && !memcmp(key, want, len));
	} else {
		CHECK(!ok);
		CHECK(!key && len == 0 && why[0]);
	}
	secret_psk_free(key, len);
	return 0;
}
