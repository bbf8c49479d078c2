/* The control-socket client shared by status, sa, stats, export-wireshark and up/down/rekey
 * (cli_ctl.h). */
#include "cli/cli_ctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"

#define CTLC_TIMEOUT_SEC 5 /* espritd answers from memory; longer means it is stuck */

const char *ctlc_default_path(void)
{
	const char *env = getenv(CTLMSG_ENV);

	return env && *env ? env : CTLMSG_DEFAULT_PATH;
}

int ctlc_args(const struct cli_cmd *c, int argc, char **argv, unsigned allow, struct ctlc_opts *o)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "keys", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->path = ctlc_default_path();
	o->json = o->keys = false;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:jkh", opts, NULL)) != -1) {
		if (ch == 'c') {
			o->path = optarg;
		} else if (ch == 'j' && (allow & CTLC_OPT_JSON)) {
			o->json = true;
		} else if (ch == 'k' && (allow & CTLC_OPT_KEYS)) {
			o->keys = true;
		} else if (ch == 'h') {
			cli_help_cmd(c, stdout);
			return CLI_OK;
		} else if (ch == 'j' || ch == 'k') {
			return cli_usage(c, "unknown option '%s'", argv[optind - 1]);
		} else {
			return cli_opt_error(c, argv, ch);
		}
	}
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Connect to the daemon's socket; fd or -errno. */
static int ctlc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTLC_TIMEOUT_SEC };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* One request out, one reply datagram in. Its length, or -errno. */
static long ctlc_exchange(const char *path, const char *req, size_t len, uint8_t *buf, size_t cap)
{
	ssize_t n = 0;
	int fd, rc = 0;

	fd = ctlc_connect(path);
	if (fd < 0)
		return fd;
	if (send(fd, req, len, MSG_NOSIGNAL) < 0)
		rc = -errno;
	else if ((n = recv(fd, buf, cap, MSG_TRUNC)) < 0)
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
	else if ((size_t)n > cap)
		rc = -EMSGSIZE;
	else if (n == 0)
		rc = -ECONNRESET; /* closed without an answer: the daemon is busy */
	close(fd);
	return rc < 0 ? rc : (long)n;
}

int ctlc_request(const char *path, const char *req, size_t len, struct ctlmsg_reply **out)
{
	struct ctlmsg_reply *rep = malloc(sizeof(*rep));
	uint8_t *buf = malloc(CTLMSG_REPLY_MAX);
	long n = 0;
	int rc;

	if (!rep || !buf) {
		cli_err("out of memory");
		goto fail;
	}
	n = ctlc_exchange(path, req, len, buf, CTLMSG_REPLY_MAX);
	if (n < 0) {
		cli_err("cannot reach espritd at %s: %s", path, strerror((int)-n));
		goto fail;
	}
	rc = ctlmsg_reply_parse(buf, (size_t)n, rep);
	if (rc == -EPROTONOSUPPORT) {
		cli_err("espritd at %s speaks control protocol %u, this esprit speaks %u", path,
			rep->version, CTLMSG_VERSION);
		goto fail;
	}
	if (rc < 0) {
		cli_err("espritd at %s: malformed reply (%s)", path, strerror(-rc));
		goto fail;
	}
	if (rep->error) {
		cli_err("espritd: %s", rep->error);
		goto fail;
	}
	wipe(buf, (size_t)n); /* sa-keys replies hold keys; rep->text too, the caller wipes */
	free(buf);
	*out = rep;
	return CLI_OK;
fail:
	if (buf && n > 0)
		wipe(buf, (size_t)n);
	free(buf);
	free(rep);
	return CLI_FAIL;
}

int ctlc_query(const struct ctlc_opts *o, enum ctl_req r, struct ctlmsg_reply **out)
{
	char req[CTLMSG_REQ_MAX];

	return ctlc_request(o->path, req, ctlmsg_req_build(r, req, sizeof(req)), out);
}

int ctlc_main(const struct cli_cmd *c, int argc, char **argv, enum ctl_req req,
	      ctlc_render_fn *text, ctlc_render_fn *json)
{
	struct ctlmsg_reply *r;
	struct ctlc_opts o;
	int rc = ctlc_args(c, argc, argv, CTLC_OPT_JSON, &o);

	if (rc >= 0)
		return rc;
	if (ctlc_query(&o, req, &r) != CLI_OK)
		return CLI_FAIL;
	(o.json ? json : text)(r);
	free(r);
	return CLI_OK;
}

const char *ctlc_str(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key)
{
	const char *v = ctlmsg_get(r, from, to, key);

	return v ? v : "-";
}

uint64_t ctlc_u64(const struct ctlmsg_reply *r, size_t from, size_t to, const char *key)
{
	uint64_t v;

	return ctlmsg_u64(ctlmsg_get(r, from, to, key), &v) ? v : 0;
}

void ctlc_json_num(struct json *j, const char *key, const char *val)
{
	uint64_t v;

	if (ctlmsg_u64(val, &v) && v <= LLONG_MAX)
		json_int(j, key, (long long)v);
	else
		json_null(j, key);
}
