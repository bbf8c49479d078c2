/* The signing helper process (see signer.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/signer.h"
#include "lib/util.h"

#define SIGNER_OP_SIGN	   1
#define SIGNER_OP_PUBKEY   2
#define SIGNER_HDR	   3	 /* op | key | alg */
#define SIGNER_KEYFILE_MAX 65536 /* a PEM private key is a few KiB at most */
#define SIGNER_TIMEOUT_S                                             \
	10 /* a signature takes milliseconds; a hung helper must not \
	    * hang the daemon */

struct signer {
	int fd; /* socket to the helper; -1 in-process */
	pid_t pid;
	EVP_PKEY *keys[SIGNER_KEYS_MAX]; /* only in-process, or in the helper itself */
	size_t nkeys;
};

static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0; /* encrypted keys are refused rather than prompting */
}

static int say(int err, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int say(int err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Open and check the file, then read it: the checks apply to what is read (fstat on the
 * open descriptor, no symlinks). */
static int keyfile_read(const char *path, uint8_t **buf, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return say(-errno, why, whylen, "key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		ret = say(-errno, why, whylen, "key file %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ret = say(-EINVAL, why, whylen, "key file %s: not a regular file", path);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		ret = say(-EPERM, why, whylen,
			  "key file %s: mode %04o lets group or others access it (chmod 600)", path,
			  (unsigned)(st.st_mode & 07777));
	else if (st.st_size <= 0 || st.st_size > SIGNER_KEYFILE_MAX)
		ret = say(-EINVAL, why, whylen, "key file %s: empty or too large", path);
	else if (!(*buf = malloc((size_t)st.st_size)))
		ret = say(-ENOMEM, why, whylen, "out of memory");
	while (!ret && off < (size_t)st.st_size) {
		got = read(fd, *buf + off, (size_t)st.st_size - off);
		if (got <= 0) {
			/* never 0: the loop would go on reading into freed memory */
			ret = say(got < 0 && errno ? -errno : -EIO, why, whylen,
				  "key file %s: read failed", path);
			wipe(*buf, (size_t)st.st_size);
			free(*buf);
			*buf = NULL;
		}
		off += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	*len = off;
	return ret;
}

static int key_load(const char *path, EVP_PKEY **out, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *b;
	int ret = keyfile_read(path, &buf, &len, why, whylen);

	if (ret)
		return ret;
	b = BIO_new_mem_buf(buf, (int)len);
	*out = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	wipe(buf, len);
	free(buf);
	ERR_clear_error();
	if (!*out)
		return say(-EINVAL, why, whylen, "key file %s: not an unencrypted PEM private key",
			   path);
	if (sigauth_key_kind(*out) == SIGKEY_NONE) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return say(-EINVAL, why, whylen,
			   "key file %s: key type cannot sign IKE AUTH (RSA, ECDSA "
			   "P-256/384/521, Ed25519)",
			   path);
	}
	return 0;
}

static void keys_free(struct signer *s)
{
	for (size_t i = 0; i < s->nkeys; i++)
		EVP_PKEY_free(s->keys[i]); /* OpenSSL cleanses key material on free */
	s->nkeys = 0;
}

static int keys_load(struct signer *s, const char *const *paths, size_t n, char *why, size_t whylen)
{
	int ret;

	if (n > SIGNER_KEYS_MAX)
		return say(-EINVAL, why, whylen, "more than %d keys", SIGNER_KEYS_MAX);
	for (size_t i = 0; i < n; i++) {
		ret = key_load(paths[i], &s->keys[i], why, whylen);
		if (ret) {
			keys_free(s);
			return ret;
		}
		s->nkeys = i + 1;
	}
	return 0;
}

/* One request against the keys: 0 and the reply data, or -errno. Shared by the helper and
 * the in-process mode so both behave alike. */
static int serve(const struct signer *s, uint8_t op, uint8_t key, uint8_t alg,
		 const uint8_t *octets, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	unsigned char *p = out;
	int n;

	if (key >= s->nkeys)
		return -EINVAL;
	switch (op) {
	case SIGNER_OP_SIGN:
		if (alg >= SIGALG_COUNT || len > SIGNER_OCTETS_MAX)
			return -EINVAL;
		return sigauth_sign_raw(s->keys[key], (enum sigauth_alg)alg, octets, len, out, cap,
					out_len);
	case SIGNER_OP_PUBKEY:
		n = i2d_PUBKEY(s->keys[key], NULL);
		if (n <= 0)
			return -EIO;
		if ((size_t)n > cap)
			return -ENOSPC;
		i2d_PUBKEY(s->keys[key], &p);
		*out_len = (size_t)n;
		return 0;
	default:
		return -EINVAL;
	}
}

static void helper_reply(int fd, int status, const void *data, size_t len)
{
	uint8_t st = (uint8_t)(status < 0 ? -status : status);
	struct iovec iov[2] = { { &st, 1 }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	(void)sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* Leave only the socket (as fd 3) and /dev/null on 0 and 1; keep stderr for log lines. */
static int helper_isolate(int sock)
{
	int nul;

	if (sock != 3 && dup2(sock, 3) < 0)
		return -1;
	if (close_range(4, ~0U, 0) < 0)
		return -1;
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (nul > 3)
			close(nul);
	}
	signal(SIGINT, SIG_IGN); /* a terminal ^C is for the daemon, which then closes us */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_DUMPABLE, 0); /* no core dump, no ptrace by the same user */
	return 3;
}

static void __attribute__((noreturn)) helper_main(int sock, const char *const *paths, size_t n)
{
	static uint8_t req[SIGNER_HDR + SIGNER_OCTETS_MAX];
	uint8_t out[SIGNER_SPKI_MAX > SIGAUTH_SIG_MAX ? SIGNER_SPKI_MAX : SIGAUTH_SIG_MAX];
	struct signer s = { .fd = -1 };
	char why[256] = "";
	size_t out_len = 0;
	ssize_t got;
	int fd, ret;

	fd = helper_isolate(sock);
	ret = fd < 0 ? -errno : keys_load(&s, paths, n, why, sizeof(why));
	helper_reply(fd < 0 ? sock : fd, ret, why, ret ? strlen(why) : 0);
	if (ret)
		_exit(1);
	for (;;) {
		struct iovec iov = { req, sizeof(req) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		got = recvmsg(fd, &mh, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* the daemon closed its end (or died) */
		if ((size_t)got < SIGNER_HDR || (mh.msg_flags & MSG_TRUNC)) {
			helper_reply(fd, EINVAL, NULL, 0);
			continue;
		}
		ret = serve(&s, req[0], req[1], req[2], req + SIGNER_HDR, (size_t)got - SIGNER_HDR,
			    out, sizeof(out), &out_len);
		helper_reply(fd, ret, out, ret ? 0 : out_len);
	}
	keys_free(&s);
	_exit(0);
}

int signer_start(struct signer **out, const char *const *paths, size_t n, char *why, size_t whylen)
{
	struct timeval tv = { .tv_sec = SIGNER_TIMEOUT_S };
	struct signer *s;
	uint8_t msg[257];
	ssize_t got;
	int sv[2];

	*out = NULL;
	if (n > SIGNER_KEYS_MAX)
		return say(-EINVAL, why, whylen, "more than %d keys", SIGNER_KEYS_MAX);
	s = calloc(1, sizeof(*s));
	if (!s)
		return say(-ENOMEM, why, whylen, "out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(s);
		return say(-errno, why, whylen, "socketpair: %s", strerror(errno));
	}
	fflush(NULL); /* do not write buffered output twice */
	s->pid = fork();
	if (s->pid < 0) {
		int err = errno;

		close(sv[0]);
		close(sv[1]);
		free(s);
		return say(-err, why, whylen, "fork: %s", strerror(err));
	}
	if (s->pid == 0) {
		close(sv[0]);
		helper_main(sv[1], paths, n);
	}
	close(sv[1]);
	s->fd = sv[0];
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The helper's first message says whether every key loaded. */
	got = recv(s->fd, msg, sizeof(msg) - 1, 0);
	if (got < 1 || msg[0]) {
		int err = got < 1 ? -EIO : -(int)msg[0];

		if (got > 1 && why && whylen) {
			msg[got] = '\0';
			snprintf(why, whylen, "%s", (const char *)msg + 1);
		} else if (got < 1) {
			say(err, why, whylen, "signing helper did not start");
		}
		signer_stop(s);
		return err;
	}
	*out = s;
	return 0;
}

int signer_start_inproc(struct signer **out, const char *const *paths, size_t n, char *why,
			size_t whylen)
{
	struct signer *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	if (!s)
		return say(-ENOMEM, why, whylen, "out of memory");
	s->fd = -1;
	ret = keys_load(s, paths, n, why, whylen);
	if (ret) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void signer_stop(struct signer *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->pid > 0)
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	keys_free(s);
	free(s);
}

pid_t signer_pid(const struct signer *s)
{
	return s->pid;
}

static int request(struct signer *s, uint8_t op, unsigned key, enum sigauth_alg alg,
		   const uint8_t *data, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t hdr[SIGNER_HDR] = { op, (uint8_t)key, (uint8_t)alg };
	uint8_t st = 0;
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t got;

	if (key > UINT8_MAX || len > SIGNER_OCTETS_MAX)
		return -EINVAL;
	if (s->fd < 0)
		return serve(s, op, (uint8_t)key, (uint8_t)alg, data, len, out, cap, out_len);
	if (sendmsg(s->fd, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(hdr) + len))
		return -EIO;
	iov[0] = (struct iovec){ &st, 1 };
	iov[1] = (struct iovec){ out, cap };
	mh = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 2 };
	do
		got = recvmsg(s->fd, &mh, 0);
	while (got < 0 && errno == EINTR);
	if (got < 1)
		return -EIO;
	if (mh.msg_flags & MSG_TRUNC)
		return -ENOSPC;
	if (st)
		return -(int)st;
	*out_len = (size_t)got - 1;
	return 0;
}

int signer_sign(struct signer *s, unsigned key, enum sigauth_alg alg, const uint8_t *octets,
		size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	if (!s || !octets || !len || !sig || !sig_len)
		return -EINVAL;
	return request(s, SIGNER_OP_SIGN, key, alg, octets, len, sig, cap, sig_len);
}

int signer_pubkey(struct signer *s, unsigned key, uint8_t *spki, size_t cap, size_t *len)
{
	if (!s || !spki || !len)
		return -EINVAL;
	return request(s, SIGNER_OP_PUBKEY, key, SIGALG_NONE, NULL, 0, spki, cap, len);
}
