/* libFuzzer harness for the control protocol (lib/ctlmsg.h): the same input is read as a
 * request (what espritd parses from any local client) and as a reply (what esprit parses from
 * whatever listens on the socket path).
 *
 * Properties checked besides "no crash, no leak": a request that parses names a known verb and
 * is at most CTLMSG_REQ_MAX octets, and the request built for that verb parses back to it; a
 * reply that parses has at most CTLMSG_ITEMS_MAX items whose keys and values keep the grammar
 * (key [a-z0-9_.-]{1,63}, value printable ASCII), all inside the reply's own text buffer, and
 * "error" is the first error item. Seeds: fuzz/corpus/ctlmsg (requests and replies of every
 * kind, as espritd sends them).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *data, size_t size)
{
	char buf[CTLMSG_REQ_MAX];
	enum ctl_req r, again;
	size_t n;

	if (ctlmsg_req_parse(data, size, &r) != 0)
		return;
	if (size > CTLMSG_REQ_MAX || (unsigned)r >= CTL_REQ_MAX)
		abort();
	n = ctlmsg_req_build(r, buf, sizeof(buf));
	if (!n || ctlmsg_req_parse((const uint8_t *)buf, n, &again) != 0 || again != r)
		abort();
}

static void check_item(const struct ctlmsg_reply *rep, const struct ctlmsg_item *it)
{
	const char *lo = rep->text, *hi = rep->text + sizeof(rep->text);
	size_t k = strlen(it->key);

	if (it->key < lo || it->key >= hi || it->val < lo || it->val >= hi)
		abort();
	if (k == 0 || k > CTLMSG_KEY_MAX ||
	    strspn(it->key, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != k)
		abort();
	for (const char *p = it->val; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

static void check_reply(const uint8_t *data, size_t size)
{
	static struct ctlmsg_reply rep; /* 2 MiB: not on the stack */
	const char *first_error = NULL;

	if (ctlmsg_reply_parse(data, size, &rep) != 0)
		return;
	if (rep.version != CTLMSG_VERSION || rep.n > CTLMSG_ITEMS_MAX || size > CTLMSG_REPLY_MAX)
		abort();
	for (size_t i = 0; i < rep.n; i++) {
		check_item(&rep, &rep.item[i]);
		if (!first_error && !strcmp(rep.item[i].key, "error"))
			first_error = rep.item[i].val;
	}
	if (first_error != rep.error)
		abort();
	if (rep.n && ctlmsg_find(&rep, 0, rep.n, rep.item[0].key) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_reply(data, size);
	return 0;
}
