/* Loading a configuration for the offline commands: which addresses are `me`, and the
 * diagnostics of conf_load_file() printed as FILE:LINE:COL: error: ... */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "lib/util.h"

int cli_locals_add(struct cli_locals *l, const char *arg)
{
	char why[256];

	if (l->n >= ARRAY_SIZE(l->v)) {
		cli_err("too many --local addresses (at most %zu)", ARRAY_SIZE(l->v));
		return -1;
	}
	if (cli_parse_local(arg, &l->v[l->n], why, sizeof(why)) < 0) {
		cli_err("--local: %s", why);
		return -1;
	}
	l->n++;
	l->given = true;
	return 0;
}

/* Prefix length of a netmask (contiguous ones; 0 if not a netmask). */
static unsigned mask_len(const struct sockaddr *sa)
{
	const uint8_t *b;
	unsigned n, i, len = 0;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		n = 4;
	} else if (sa->sa_family == AF_INET6) {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		n = 16;
	} else {
		return 0;
	}
	for (i = 0; i < n * 8 && (b[i / 8] & (0x80u >> (i % 8))); i++)
		len++;
	return len;
}

void cli_locals_default(struct cli_locals *l)
{
	struct ifaddrs *ifa, *p;
	struct spd_local *loc;

	if (l->given || getifaddrs(&ifa) < 0)
		return;
	for (p = ifa; p && l->n < ARRAY_SIZE(l->v); p = p->ifa_next) {
		/* Loopback traffic never leaves the host: no filter applies to it. */
		if (!p->ifa_addr || (p->ifa_flags & IFF_LOOPBACK))
			continue;
		loc = &l->v[l->n];
		memset(loc, 0, sizeof(*loc));
		if (p->ifa_addr->sa_family == AF_INET)
			ipaddr_from_v4(&loc->addr,
				       &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr);
		else if (p->ifa_addr->sa_family == AF_INET6)
			ipaddr_from_v6(&loc->addr,
				       &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr);
		else
			continue;
		loc->plen = (uint8_t)mask_len(p->ifa_netmask);
		l->n++;
	}
	freeifaddrs(ifa);
}

#define STDIN_MAX (16u << 20) /* a configuration larger than this is a mistake */

/* All of standard input; NULL (after a message) on error or when it is too large. */
static char *read_stdin(size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap), *nb;

	while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n < cap)
			continue;
		if (cap >= STDIN_MAX) {
			cli_err("standard input: larger than %u bytes", STDIN_MAX);
			free(buf);
			return NULL;
		}
		nb = realloc(buf, cap * 2);
		if (!nb)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	if (!buf || ferror(stdin)) {
		cli_err("standard input: %s", buf ? "read error" : "out of memory");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* "-" is standard input, named <stdin> in diagnostics. */
static int load(const char *path, const struct conf_opts *o, struct spd **out, struct conf_diags *d)
{
	size_t len;
	char *buf;
	int r;

	if (strcmp(path, "-") != 0)
		return conf_load_file(path, o, out, d);
	buf = read_stdin(&len);
	if (!buf)
		return -EIO;
	r = conf_load_buf("<stdin>", buf, len, o, out, d);
	free(buf);
	return r;
}

int cli_load(const char *path, const struct cli_locals *l, unsigned flags, struct spd **out,
	     size_t *ndiags)
{
	struct conf_diags d = { 0 };
	struct conf_opts o = { 0 };
	size_t n;
	int r;

	o.locals = l->v;
	o.nlocals = l->n;
	o.flags = flags;
	r = load(path, &o, out, &d);
	conf_diags_print(&d, stderr);
	n = d.n;
	if (ndiags)
		*ndiags = n;
	conf_diags_free(&d);
	if (r < 0) {
		/* conf reports unreadable files as diagnostics too; say something if it did not. */
		if (n == 0)
			cli_err("%s: cannot load configuration (%s)", path, strerror(-r));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_conf_opt(const struct cli_cmd *c, int ch, char **argv, struct cli_locals *l)
{
	switch (ch) {
	case 'l':
		return cli_locals_add(l, optarg) < 0 ? CLI_USAGE : -1;
	case 'h':
		cli_help_cmd(c, stdout);
		return CLI_OK;
	default:
		return cli_opt_error(c, argv, ch);
	}
}

int cli_load_arg(const struct cli_cmd *c, int argc, char **argv, struct cli_locals *l,
		 unsigned flags, struct spd **out)
{
	if (argc - optind != 1)
		return cli_usage(c, argc == optind ? "missing FILE" : "only one FILE, please");
	cli_locals_default(l);
	return cli_load(argv[optind], l, flags, out, NULL);
}
