/* libFuzzer harness for control requests with arguments (lib/ctlmsg.h: ctlmsg_req_read, what
 * espritd parses from any local client before up, down or rekey).
 *
 * Properties checked besides "no crash, no leak": a request that reads is within the limit of
 * its verb (CTLMSG_REQ_MAX, or CTLMSG_REQ_ARGS_MAX for a verb with arguments), names a known
 * verb, has at most CTLMSG_ARGS_MAX NUL-terminated arguments of printable ASCII without
 * spaces, and the request built from it reads back to the same verb and arguments (unless the
 * input was within 14 octets of its limit: the built one adds the prefix and a newline). -EINVAL
 * always names the verb. Seeds: fuzz/corpus/ctlreq.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_args(const struct ctlmsg_req *q)
{
	if (q->nargs > CTLMSG_ARGS_MAX)
		abort();
	for (size_t i = 0; i < q->nargs; i++) {
		const char *a = q->arg[i];

		if (memchr(a, 0, sizeof(q->arg[i])) == NULL || !*a)
			abort();
		for (; *a; a++)
			if (*a <= 0x20 || *a > 0x7e)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctlmsg_req q, again;
	char buf[CTLMSG_REQ_ARGS_MAX + 1];
	size_t n;
	int rc = ctlmsg_req_read(data, size, &q);

	if (rc == -EINVAL && (unsigned)q.verb >= CTL_REQ_MAX)
		abort();
	if (rc != 0)
		return 0;
	if ((unsigned)q.verb >= CTL_REQ_MAX || size > CTLMSG_REQ_ARGS_MAX)
		abort();
	if (size > CTLMSG_REQ_MAX && q.nargs == 0 && q.verb <= CTL_REQ_SA_KEYS)
		abort();
	check_args(&q);
	n = ctlmsg_req_build_args(&q, buf, sizeof(buf));
	/* The built request has the "esprit-ctl 1 " prefix and a newline the input may lack: only
	 * an input that close to the limit may fail to rebuild. */
	if (!n) {
		if (size + strlen(CTLMSG_MAGIC " 1 \n") <= CTLMSG_REQ_MAX)
			abort();
		if (q.nargs && size + strlen(CTLMSG_MAGIC " 1 \n") <= CTLMSG_REQ_ARGS_MAX)
			abort();
		return 0;
	}
	if (ctlmsg_req_read((const uint8_t *)buf, n, &again) != 0 || again.verb != q.verb ||
	    again.nargs != q.nargs)
		abort();
	for (size_t i = 0; i < q.nargs; i++)
		if (strcmp(q.arg[i], again.arg[i]))
			abort();
	return 0;
}
