/* esprit up RULE [--peer ADDR], esprit down RULE|SA, esprit rekey SA [--ike] (cli_updown.h).
 * Arguments are checked here as far as the CLI can (an address, the shape of an SA); whether
 * the rule or SA exists is espritd's answer, printed as it gives it. */
#include "cli/cli_updown.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ctlmsg.h"

#define UPDOWN_TIMEOUT_SEC 5	/* the engine only starts an exchange: the answer is immediate */
#define UPDOWN_REPLY_MAX   4096 /* the version line and one answer line */

struct updown_opts {
	const char *path; /* --control, else $ESPRIT_CONTROL, else CTLMSG_DEFAULT_PATH */
	const char *peer; /* up --peer */
	bool ike;	  /* rekey --ike */
};

static const char *updown_what(enum ctl_req verb)
{
	return verb == CTL_REQ_UP ? "RULE" : verb == CTL_REQ_DOWN ? "RULE or SA" : "SA";
}

/* --control for all three, --peer for up, --ike for rekey, exactly one operand. -1: go on;
 * else the exit status (after --help or a usage error). */
static int updown_args(const struct cli_cmd *c, int argc, char **argv, enum ctl_req verb,
		       struct updown_opts *o)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "ike", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv(CTLMSG_ENV);
	int ch;

	o->path = env && *env ? env : CTLMSG_DEFAULT_PATH;
	o->peer = NULL;
	o->ike = false;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:p:ih", opts, NULL)) != -1) {
		if (ch == 'c') {
			o->path = optarg;
		} else if (ch == 'p' && verb == CTL_REQ_UP) {
			o->peer = optarg;
		} else if (ch == 'i' && verb == CTL_REQ_REKEY) {
			o->ike = true;
		} else if (ch == 'h') {
			cli_help_cmd(c, stdout);
			return CLI_OK;
		} else if (ch == 'p' || ch == 'i') {
			return cli_usage(c, "unknown option '%s'", argv[optind - 1]);
		} else {
			return cli_opt_error(c, argv, ch);
		}
	}
	if (optind >= argc)
		return cli_usage(c, "missing %s", updown_what(verb));
	if (optind + 1 < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind + 1]);
	return -1;
}

/* What `esprit sa` shows for an SA: its SPI "0x" + up to 8 hex digits, or the child id
 * (decimal, from 1). */
static bool sa_shaped(const char *s)
{
	size_t n;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
		n = strspn(s + 2, "0123456789abcdefABCDEF");
		return n >= 1 && n <= 8 && !s[2 + n];
	}
	n = strspn(s, "0123456789");
	return n >= 1 && n <= 10 && !s[n] && strtoull(s, NULL, 10) - 1 < UINT32_MAX;
}

/* The request for this command line; its length, or a usage error's exit status as -status. */
static long updown_request(const struct cli_cmd *c, enum ctl_req verb, const char *arg,
			   const struct updown_opts *o, char *buf, size_t cap)
{
	struct ctlmsg_req q = { .verb = verb, .nargs = 1 };
	char why[128];
	struct ipaddr ip;
	size_t len;

	if (verb == CTL_REQ_UP && o->peer && cli_parse_ip(o->peer, &ip, why, sizeof(why)) < 0)
		return -cli_usage(c, "--peer: %s", why);
	if (verb == CTL_REQ_REKEY && !sa_shaped(arg))
		return -cli_usage(c, "'%s' is not an SA: give its child id or its SPI (0x...)",
				  arg);
	if (strlen(arg) >= sizeof(q.arg[0]))
		return -cli_usage(c, "%s too long", updown_what(verb));
	strcpy(q.arg[0], arg);
	if (o->peer || o->ike) {
		strcpy(q.arg[1], o->peer ? o->peer : CTLMSG_OPT_IKE); /* the peer parsed above */
		q.nargs = 2;
	}
	len = ctlmsg_req_build_args(&q, buf, cap);
	if (!len)
		return -cli_usage(c,
				  "'%s' is not a valid %s (spaces, control characters or too long)",
				  arg, updown_what(verb));
	return (long)len;
}

/* One request out, one reply datagram in: its length, or -errno. */
static long updown_exchange(const char *path, const char *req, size_t len, uint8_t *buf, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = UPDOWN_TIMEOUT_SEC };
	ssize_t n = 0;
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, len, MSG_NOSIGNAL) < 0)
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

/* Print espritd's answer: "ok MESSAGE" on stdout, "error MESSAGE" on stderr. */
static int updown_answer(const char *path, const uint8_t *buf, size_t len)
{
	struct ctlmsg_reply *r = malloc(sizeof(*r));
	const char *ok;
	int rc;

	if (!r) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	rc = ctlmsg_reply_parse(buf, len, r);
	ok = rc == 0 ? ctlmsg_get(r, 0, r->n, "ok") : NULL;
	if (rc == -EPROTONOSUPPORT)
		cli_err("espritd at %s speaks control protocol %u, this esprit speaks %u", path,
			r->version, CTLMSG_VERSION);
	else if (rc < 0)
		cli_err("espritd at %s: malformed reply (%s)", path, strerror(-rc));
	else if (r->error)
		cli_err("espritd: %s", r->error);
	else if (!ok)
		cli_err("espritd at %s: reply without an answer (an older espritd?)", path);
	else
		printf("%s\n", ok);
	rc = rc == 0 && !r->error && ok ? CLI_OK : CLI_FAIL;
	free(r);
	return rc;
}

static int updown_main(const struct cli_cmd *c, int argc, char **argv, enum ctl_req verb)
{
	char req[CTLMSG_REQ_ARGS_MAX + 1];
	uint8_t reply[UPDOWN_REPLY_MAX];
	struct updown_opts o;
	long n;
	int rc = updown_args(c, argc, argv, verb, &o);

	if (rc >= 0)
		return rc;
	n = updown_request(c, verb, argv[optind], &o, req, sizeof(req));
	if (n < 0)
		return (int)-n;
	n = updown_exchange(o.path, req, (size_t)n, reply, sizeof(reply));
	if (n < 0) {
		cli_err("cannot reach espritd at %s: %s", o.path, strerror((int)-n));
		return CLI_FAIL;
	}
	return updown_answer(o.path, reply, (size_t)n);
}

int cmd_up(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_UP);
}

int cmd_down(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_DOWN);
}

int cmd_rekey(const struct cli_cmd *c, int argc, char **argv)
{
	return updown_main(c, argc, argv, CTL_REQ_REKEY);
}
