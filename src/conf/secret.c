/* Preshared keys from files (see secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/secret.h"
#include "lib/util.h"

#define SECRET_FILE_MAX (2 * SECRET_PSK_MAX + 4) /* "0x", hex digits, "\r\n" */

__attribute__((format(printf, 4, 5))) static int why_set(char *why, size_t whylen, int rc,
							 const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Open without following a symlink's target type blindly: O_NOFOLLOW is not used (admins
 * link key files), but the opened file itself must be a regular file with mode 0600/0400. */
static int psk_open(const char *path, char *why, size_t whylen, int *fdp, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;

		if (why && whylen)
			snprintf(why, whylen, "cannot open PSK file '%s': %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return why_set(why, whylen, -e, "cannot stat PSK file '%s'", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return why_set(why, whylen, -EINVAL, "PSK file '%s' is not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return why_set(why, whylen, -EPERM,
			       "PSK file '%s' is accessible by group or others (mode %04o); "
			       "allow the owner only (chmod 600)",
			       path, (unsigned)(st.st_mode & 07777));
	}
	if (st.st_size > SECRET_FILE_MAX) {
		close(fd);
		return why_set(why, whylen, -EFBIG, "PSK file '%s' is too large", path);
	}
	*fdp = fd;
	*size = (size_t)st.st_size;
	return 0;
}

/* Text after stripping one trailing newline ("\n" or "\r\n"); "0x..." is hex. */
static int psk_decode(const char *path, uint8_t *raw, size_t n, uint8_t *key, size_t *klen,
		      char *why, size_t whylen)
{
	long h;

	if (n && raw[n - 1] == '\n') {
		n--;
		if (n && raw[n - 1] == '\r')
			n--;
	}
	if (!n)
		return why_set(why, whylen, -EINVAL, "PSK file '%s' is empty", path);
	/* before the hex form too: hex_decode() would stop at the NUL and load half a key */
	if (memchr(raw, 0, n))
		return why_set(why, whylen, -EINVAL, "PSK file '%s' contains a NUL byte", path);
	if (n >= 2 && raw[0] == '0' && (raw[1] == 'x' || raw[1] == 'X')) {
		raw[n] = 0; /* raw has room: callers size it SECRET_FILE_MAX + 1 */
		h = hex_decode(key, SECRET_PSK_MAX, (const char *)raw + 2);
		if (h <= 0)
			return why_set(why, whylen, -EINVAL, "PSK file '%s': invalid hex key",
				       path);
		*klen = (size_t)h;
		return 0;
	}
	if (n > SECRET_PSK_MAX)
		return why_set(why, whylen, -EFBIG, "PSK file '%s': key is too long", path);
	memcpy(key, raw, n);
	*klen = n;
	return 0;
}

/* Reads and decodes into key (SECRET_PSK_MAX bytes); wipes the raw copy. */
static int psk_read(const char *path, uint8_t *key, size_t *klen, char *why, size_t whylen)
{
	uint8_t raw[SECRET_FILE_MAX + 1];
	size_t size, got = 0;
	int fd = -1, rc;

	rc = psk_open(path, why, whylen, &fd, &size);
	if (rc)
		return rc;
	while (got < sizeof(raw) - 1) {
		ssize_t r = read(fd, raw + got, sizeof(raw) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = why_set(why, whylen, -EIO, "cannot read PSK file '%s'", path);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > SECRET_FILE_MAX) {
		rc = why_set(why, whylen, -EFBIG, "PSK file '%s' is too large", path);
		goto out;
	}
	rc = psk_decode(path, raw, got, key, klen, why, whylen);
out:
	wipe(raw, sizeof(raw));
	close(fd);
	return rc;
}

int secret_psk_check(const char *path, char *why, size_t whylen)
{
	uint8_t key[SECRET_PSK_MAX];
	size_t klen = 0;
	int rc = psk_read(path, key, &klen, why, whylen);

	wipe(key, sizeof(key));
	return rc;
}

int secret_psk_load(const char *path, uint8_t **key, size_t *len, char *why, size_t whylen)
{
	uint8_t buf[SECRET_PSK_MAX];
	size_t n = 0;
	int rc = psk_read(path, buf, &n, why, whylen);

	*key = NULL;
	*len = 0;
	if (!rc) {
		*key = malloc(n);
		if (*key) {
			memcpy(*key, buf, n);
			*len = n;
		} else {
			rc = -ENOMEM;
		}
	}
	wipe(buf, sizeof(buf));
	return rc;
}

void secret_psk_free(uint8_t *key, size_t len)
{
	if (!key)
		return;
	wipe(key, len);
	free(key);
}
