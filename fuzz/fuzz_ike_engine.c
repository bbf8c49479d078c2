/* libFuzzer harness for the IKEv2 engine (src/ike/ike.c and the exchanges): hostile datagrams
 * against two engines that already hold an established IKE SA and Child SA pair.
 *
 * Once, at start: engines A (10.1.0.1, initiator) and B (10.1.0.2, respond-only with the
 * default response rule), PSK files in a temporary directory, wired in memory; A acquires a
 * flow and the exchanges run until both have a Child SA.
 *
 * Input: byte 0 picks the mode, the rest is one datagram.
 *   mode 0, 2: to B from A's address, port 500, as it is (IKE_SA_INIT requests make half-open
 *     SAs, anything else must be dropped);
 *   mode 1: to B with the IKE header's SPIs replaced by the established SA's, so the input
 *     reaches the Message ID window and the SK integrity check instead of dying as an unknown
 *     SPI;
 *   mode 3: the same towards A (as a response or a request from B).
 * What B or A answer is dropped. Properties, besides ASan/UBSan: nothing the fuzzer sends may
 * remove or add a Child SA (it cannot authenticate), the established IKE SA stays, and no SKF
 * fragment (RFC 7383) is accepted: every one must fail its integrity check before it is kept.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "conf/conf.h"
#include "ike/ike.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QMAX 16

struct node {
	struct ike *ike;
	struct spd *spd;
	struct ipaddr addr;
	size_t up, down;
};

struct dgram {
	int to;
	struct ike_endpoint src, dst;
	size_t len;
	uint8_t b[4096];
};

static struct node nodes[2];
static struct dgram queue[QMAX];
static size_t qn;
static bool wired; /* deliver between the engines (setup) or drop (fuzzing) */
static uint8_t spis[16];
static char dir[64];

static void on_send(void *arg, const struct ike_endpoint *l, const struct ike_endpoint *r,
		    const uint8_t *m, size_t len)
{
	struct node *n = arg;

	if (!wired || qn >= QMAX || len > sizeof(queue[0].b))
		return;
	queue[qn] =
		(struct dgram){ .to = n == &nodes[0] ? 1 : 0, .src = *l, .dst = *r, .len = len };
	memcpy(queue[qn].b, m, len);
	if (len >= 16 && n == &nodes[0])
		memcpy(spis, m, 16);
	qn++;
}

static int on_up(void *arg, const struct ike_child *c)
{
	(void)c;
	((struct node *)arg)->up++;
	return 0;
}

static void on_down(void *arg, uint32_t id)
{
	(void)id;
	((struct node *)arg)->down++;
}

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/k.psk", dir);
	unlink(path);
	rmdir(dir);
}

/* conf with "@" standing for the key directory */
static struct spd *load(const char *conf, const char *local)
{
	char text[1024], *w = text;
	struct spd_local l = { .plen = 24 };
	struct conf_opts o = { .locals = &l, .nlocals = 1, .flags = CONF_NO_RESOLVE };
	struct conf_diags d = { 0 };
	struct spd *s = NULL;

	for (; *conf && w < text + sizeof(text) - sizeof(dir); conf++) {
		if (*conf == '@')
			w += snprintf(w, sizeof(dir), "%s", dir);
		else
			*w++ = *conf;
	}
	*w = 0;
	CHECK(!ipaddr_parse(&l.addr, local));
	CHECK(!conf_load_buf("fuzz.conf", text, strlen(text), &o, &s, &d));
	conf_diags_free(&d);
	return s;
}

static void node_init(int i, const char *conf, const char *addr)
{
	struct ike_io io = {
		.arg = &nodes[i], .send = on_send, .child_up = on_up, .child_down = on_down
	};
	struct ike_config cfg = { 0 };

	CHECK(!ipaddr_parse(&nodes[i].addr, addr));
	nodes[i].spd = load(conf, addr);
	cfg.spd = nodes[i].spd;
	cfg.local = &nodes[i].addr;
	cfg.nlocal = 1;
	nodes[i].ike = ike_new(&cfg, &io, 0);
	CHECK(nodes[i].ike);
}

static void setup(void)
{
	static const char *conf_a = "filter-list fl {\n me -> 10.1.0.2 tcp port 80 mirrored\n}\n"
				    "action act {\n negotiate\n method esp aes-gcm-128\n}\n"
				    "policy p {\n rule r1 {\n filters fl\n action act\n"
				    " auth psk \"@/k.psk\"\n mode transport\n }\n}\n"
				    "use policy p\n";
	static const char *conf_b = "policy q {\n auth psk \"@/k.psk\"\n default-response yes\n}\n"
				    "use policy q\n";
	struct spd_pkt p = { .dir = SPD_DIR_OUT, .proto = 6, .lport = 40000, .rport = 80 };
	char path[128];
	FILE *f;

	log_set_level(LOG_LVL_ERR);
	strcpy(dir, "/tmp/fuzz-ike-engine-XXXXXX");
	CHECK(mkdtemp(dir));
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/k.psk", dir);
	f = fopen(path, "w");
	CHECK(f);
	fputs("fuzzing key\n", f);
	fclose(f);
	CHECK(!chmod(path, 0600));
	node_init(0, conf_a, "10.1.0.1");
	node_init(1, conf_b, "10.1.0.2");
	CHECK(!ipaddr_parse(&p.local, "10.1.0.1"));
	CHECK(!ipaddr_parse(&p.remote, "10.1.0.2"));
	wired = true;
	CHECK(ike_acquire(nodes[0].ike, &p, 0) > 0);
	for (int i = 0; i < 20 && qn; i++) {
		struct dgram d = queue[0];

		memmove(&queue[0], &queue[1], --qn * sizeof(queue[0]));
		ike_input(nodes[d.to].ike, &d.dst, &d.src, d.b, d.len, 0);
	}
	wired = false;
	CHECK(nodes[0].up == 1 && nodes[1].up == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	static bool ready;
	static uint64_t frags[2]; /* RFC 7383 fragments accepted during the setup */
	struct ike_endpoint a = { .port = 500 }, b = { .port = 500 };
	int mode;

	if (!ready) {
		setup();
		ready = true;
		frags[0] = ike_get_stats(nodes[0].ike)->frag_received;
		frags[1] = ike_get_stats(nodes[1].ike)->frag_received;
	}
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	mode = data[0] & 3;
	size--;
	memcpy(buf, data + 1, size);
	if ((mode == 1 || mode == 3) && size >= 16)
		memcpy(buf, spis, 16);
	a.addr = nodes[0].addr;
	b.addr = nodes[1].addr;
	if (mode == 3)
		ike_input(nodes[0].ike, &a, &b, buf, size, 1);
	else
		ike_input(nodes[1].ike, &b, &a, buf, size, 1);
	/* unauthenticated input changes no Child SA */
	CHECK(nodes[0].up == 1 && nodes[1].up == 1);
	CHECK(nodes[0].down == 0 && nodes[1].down == 0);
	CHECK(ike_get_stats(nodes[0].ike)->child_active == 1);
	CHECK(ike_get_stats(nodes[1].ike)->child_active == 1);
	/* no SKF fragment is kept before its ICV verified (RFC 7383 2.6) */
	CHECK(ike_get_stats(nodes[0].ike)->frag_received == frags[0]);
	CHECK(ike_get_stats(nodes[1].ike)->frag_received == frags[1]);
	return 0;
}
