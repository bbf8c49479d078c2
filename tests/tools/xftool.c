/* xftool: drive esprit's ESP/AH transforms from the command line, for the cross-checks in
 * tests/cross (scapy) and for generating fuzz seeds.
 *
 *   xftool encap|decap --proto esp|ah --mode transport|tunnel --spi 0x... [options]
 *   xftool encap|decap --bundle --proto esp ... --ah-spi 0x... --ah-integ X --ah-ikey HEX
 *
 * Reads one packet per line on stdin (hex, whitespace and ':' ignored) and writes one line per
 * packet: the resulting packet in hex, or "DROP <reason>". One SA lives for the whole run, so
 * consecutive lines get consecutive sequence numbers (encap) and share one anti-replay window
 * (decap). Exit status: 0 when every line was read (drops included), 2 on bad arguments,
 * 1 on other errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cipher.h"
#include "lib/addr.h"
#include "lib/pbuf.h"
#include "lib/util.h"
#include "sa/sa.h"
#include "sa/sad.h"
#include "xform/xform.h"

#define MAX_PKT	 65535
#define MAX_KEY	 64
#define NOW_SECS 1 /* lifetimes are unlimited here, so the clock does not matter */

struct opts {
	bool encap;
	struct sa_params p;
	bool have_spi, have_src, have_dst, have_seq, have_encr, have_bits;
	uint64_t seq;
	uint8_t key[MAX_KEY], ikey[MAX_KEY];
	/* --bundle: AH over ESP (RFC 4301 4.5), the ESP SA from the options above plus: */
	bool bundle, have_ah_spi;
	struct sa_params ah;
	uint8_t ah_ikey[MAX_KEY];
};

struct name_id {
	const char *name;
	uint16_t id;
};

static const struct name_id encr_names[] = {
	{ "null", ENCR_NULL },
	{ "aes-cbc", ENCR_AES_CBC },
	{ "aes-gcm-8", ENCR_AES_GCM_8 },
	{ "aes-gcm-12", ENCR_AES_GCM_12 },
	{ "aes-gcm-16", ENCR_AES_GCM_16 },
	{ "aes-gcm", ENCR_AES_GCM_16 },
	{ "aes-gmac", ENCR_NULL_AUTH_AES_GMAC },
	{ "chacha20-poly1305", ENCR_CHACHA20_POLY1305 },
};

static const struct name_id integ_names[] = {
	{ "none", AUTH_NONE },
	{ "hmac-sha1-96", AUTH_HMAC_SHA1_96 },
	{ "sha1", AUTH_HMAC_SHA1_96 },
	{ "hmac-sha2-256-128", AUTH_HMAC_SHA2_256_128 },
	{ "sha256", AUTH_HMAC_SHA2_256_128 },
	{ "hmac-sha2-384-192", AUTH_HMAC_SHA2_384_192 },
	{ "sha384", AUTH_HMAC_SHA2_384_192 },
	{ "hmac-sha2-512-256", AUTH_HMAC_SHA2_512_256 },
	{ "sha512", AUTH_HMAC_SHA2_512_256 },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: xftool encap|decap --proto esp|ah --mode transport|tunnel --spi SPI\n"
		"              [--encr ID|NAME] [--encr-bits N] [--key HEX]\n"
		"              [--integ ID|NAME] [--ikey HEX] [--esn] [--seq N]\n"
		"              [--src ADDR] [--dst ADDR] [--window N]\n"
		"              [--bundle --ah-spi SPI --ah-integ ID|NAME --ah-ikey HEX\n"
		"               [--ah-mode transport|tunnel]]\n"
		"  encr: null aes-cbc aes-gcm(-8|-12|-16) aes-gmac chacha20-poly1305 or an id\n"
		"  integ: none hmac-sha1-96 hmac-sha2-256-128 hmac-sha2-384-192\n"
		"         hmac-sha2-512-256 (sha1 sha256 sha384 sha512) or an id\n"
		"  --key includes the 4-octet salt for GCM, GMAC and ChaCha20-Poly1305.\n"
		"  --seq N: encap starts at sequence number N; decap expects numbers near N\n"
		"  (the anti-replay window starts just below N, which fixes the ESN high half).\n"
		"  --dst is the SA's destination (the SAD key); in transport mode it defaults to\n"
		"  the destination of the first packet. Tunnel mode needs --src and --dst.\n"
		"  --bundle: AH over ESP (ESP applied first outbound, AH removed first inbound);\n"
		"  the AH SA shares --src/--dst/--esn/--seq/--window, mode transport by default.\n"
		"stdin: one hex packet per line; stdout: hex packet or \"DROP <reason>\" per "
		"line.\n");
	exit(2);
}

static void bad_arg(const char *what, const char *val)
{
	fprintf(stderr, "xftool: bad %s '%s'\n", what, val);
	usage();
}

static uint64_t parse_u64(const char *what, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || v > max)
		bad_arg(what, s);
	return v;
}

static uint16_t parse_alg(const char *what, const char *s, const struct name_id *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(s, t[i].name))
			return t[i].id;
	return (uint16_t)parse_u64(what, s, UINT16_MAX);
}

static size_t parse_key(const char *what, const char *s, uint8_t *out)
{
	long n = hex_decode(out, MAX_KEY, s);

	if (n < 0)
		bad_arg(what, "(hidden)");
	return (size_t)n;
}

static void parse_addr(struct ipaddr *a, const char *s)
{
	if (ipaddr_parse(a, s) < 0)
		bad_arg("address", s);
}

/* Key length in bits without the salt, when --encr-bits is not given. */
static uint16_t default_bits(uint16_t encr, size_t key_len)
{
	switch (encr) {
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
	case ENCR_CHACHA20_POLY1305:
		return key_len >= 4 ? (uint16_t)((key_len - 4) * 8) : 0;
	case ENCR_NULL:
		return 0;
	default:
		return (uint16_t)(key_len * 8);
	}
}

enum {
	OPT_PROTO = 256,
	OPT_MODE,
	OPT_SPI,
	OPT_ENCR,
	OPT_BITS,
	OPT_INTEG,
	OPT_KEY,
	OPT_IKEY,
	OPT_ESN,
	OPT_SEQ,
	OPT_SRC,
	OPT_DST,
	OPT_WINDOW,
	OPT_BUNDLE,
	OPT_AH_SPI,
	OPT_AH_INTEG,
	OPT_AH_IKEY,
	OPT_AH_MODE,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "spi", required_argument, NULL, OPT_SPI },
	{ "encr", required_argument, NULL, OPT_ENCR },
	{ "encr-bits", required_argument, NULL, OPT_BITS },
	{ "integ", required_argument, NULL, OPT_INTEG },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ikey", required_argument, NULL, OPT_IKEY },
	{ "esn", no_argument, NULL, OPT_ESN },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "bundle", no_argument, NULL, OPT_BUNDLE },
	{ "ah-spi", required_argument, NULL, OPT_AH_SPI },
	{ "ah-integ", required_argument, NULL, OPT_AH_INTEG },
	{ "ah-ikey", required_argument, NULL, OPT_AH_IKEY },
	{ "ah-mode", required_argument, NULL, OPT_AH_MODE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static uint8_t parse_mode(const char *arg)
{
	if (!strcasecmp(arg, "transport"))
		return SA_MODE_TRANSPORT;
	if (!strcasecmp(arg, "tunnel"))
		return SA_MODE_TUNNEL;
	bad_arg("mode", arg);
	return 0;
}

static void parse_bundle(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_BUNDLE:
		o->bundle = true;
		break;
	case OPT_AH_SPI:
		o->ah.spi = (uint32_t)parse_u64("--ah-spi", arg, UINT32_MAX);
		o->have_ah_spi = true;
		break;
	case OPT_AH_INTEG:
		o->ah.integ = parse_alg("--ah-integ", arg, integ_names, ARRAY_SIZE(integ_names));
		break;
	case OPT_AH_IKEY:
		o->ah.integ_key_len = parse_key("--ah-ikey", arg, o->ah_ikey);
		break;
	case OPT_AH_MODE:
		o->ah.mode = parse_mode(arg);
		break;
	default:
		usage();
	}
}

static void parse_one(struct opts *o, int c, const char *arg)
{
	struct sa_params *p = &o->p;

	switch (c) {
	case OPT_PROTO:
		if (!strcasecmp(arg, "esp"))
			p->proto = IPPROTO_ESP;
		else if (!strcasecmp(arg, "ah"))
			p->proto = IPPROTO_AH;
		else
			bad_arg("--proto", arg);
		break;
	case OPT_MODE:
		p->mode = parse_mode(arg);
		break;
	case OPT_SPI:
		p->spi = (uint32_t)parse_u64("--spi", arg, UINT32_MAX);
		o->have_spi = true;
		break;
	case OPT_ENCR:
		p->encr = parse_alg("--encr", arg, encr_names, ARRAY_SIZE(encr_names));
		o->have_encr = true;
		break;
	case OPT_BITS:
		p->encr_bits = (uint16_t)parse_u64("--encr-bits", arg, 1024);
		o->have_bits = true;
		break;
	case OPT_INTEG:
		p->integ = parse_alg("--integ", arg, integ_names, ARRAY_SIZE(integ_names));
		break;
	case OPT_KEY:
		p->encr_key_len = parse_key("--key", arg, o->key);
		break;
	case OPT_IKEY:
		p->integ_key_len = parse_key("--ikey", arg, o->ikey);
		break;
	case OPT_ESN:
		p->esn = true;
		break;
	case OPT_SEQ:
		o->seq = parse_u64("--seq", arg, UINT64_MAX);
		o->have_seq = true;
		break;
	case OPT_SRC:
		parse_addr(&p->src, arg);
		o->have_src = true;
		break;
	case OPT_DST:
		parse_addr(&p->dst, arg);
		o->have_dst = true;
		break;
	case OPT_WINDOW:
		p->replay_window = (uint32_t)parse_u64("--window", arg, UINT32_MAX);
		break;
	default:
		parse_bundle(o, c, arg);
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "encap"))
		o->encap = true;
	else if (strcmp(argv[1], "decap"))
		usage();
	o->p.proto = 0;
	o->p.mode = 0xff;
	o->p.replay_window = 64;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1)
		parse_one(o, c, optarg);
	if (optind != argc || !o->have_spi || !o->p.proto || o->p.mode == 0xff)
		usage();
	if (o->p.mode == SA_MODE_TUNNEL && (!o->have_src || !o->have_dst))
		usage();
	if (o->have_seq && o->encap && o->seq == 0)
		bad_arg("--seq", "0");
	if (o->p.proto == IPPROTO_ESP && !o->have_encr)
		usage();
	if (o->p.proto == IPPROTO_AH && (o->have_encr || o->p.encr_key_len))
		usage();
	if (!o->have_bits)
		o->p.encr_bits = default_bits(o->p.encr, o->p.encr_key_len);
	o->p.dir = o->encap ? SA_DIR_OUT : SA_DIR_IN;
	o->p.encr_key = o->key;
	o->p.integ_key = o->ikey;
	if (o->bundle != o->have_ah_spi || (o->bundle && o->p.proto != IPPROTO_ESP))
		usage();
	o->ah.proto = IPPROTO_AH;
	o->ah.dir = o->p.dir;
	o->ah.esn = o->p.esn;
	o->ah.replay_window = o->p.replay_window;
	o->ah.integ_key = o->ah_ikey;
}

/* The destination of a packet, for transport-mode SAs given no --dst (sa_new needs one). */
static int packet_dst(struct ipaddr *a, const uint8_t *pkt, size_t len)
{
	if (len >= 20 && pkt[0] >> 4 == 4) {
		ipaddr_from_v4(a, pkt + 16);
		return 0;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		ipaddr_from_v6(a, pkt + 24);
		return 0;
	}
	return -1;
}

static struct sa *make_sa(struct opts *o, const struct sa_params *p, struct sad *sad)
{
	struct sa *sa;
	int err = sa_new(&sa, p, NOW_SECS);

	if (err) {
		fprintf(stderr, "xftool: sa_new: %s\n", strerror(-err));
		exit(2);
	}
	/* RFC 4303 3.3.3: sa->seq is the last number used, so the next packet carries N. */
	if (o->encap && o->have_seq)
		sa->seq = o->seq - 1;
	/* RFC 4303 Appendix A infers the ESN high half from the window's top; placing the top
	 * just below N makes packets numbered near N (with any high half) acceptable. The
	 * bitmap is all zero, so nothing below the top counts as received. */
	if (!o->encap && o->have_seq)
		sa->replay.top = o->seq ? o->seq - 1 : 0;
	if (sad && sad_add(sad, sa)) {
		fprintf(stderr, "xftool: sad_add failed\n");
		exit(1);
	}
	return sa;
}

/* sa[0] is the SA of --proto, sa[1] the AH SA of a bundle. */
static enum sa_drop run_one(struct opts *o, struct sa **sa, struct sad *sad, struct pbuf *pb,
			    struct xf_stats *st)
{
	struct sa *found = NULL, *found_ah = NULL;

	if (!sa[0]) {
		if (!o->have_dst) {
			if (packet_dst(&o->p.dst, pbuf_data(pb), pb->len) < 0)
				return SA_DROP_MALFORMED;
			o->have_dst = true;
		}
		sa[0] = make_sa(o, &o->p, o->encap ? NULL : sad);
		if (o->bundle) {
			o->ah.src = o->p.src;
			o->ah.dst = o->p.dst;
			sa[1] = make_sa(o, &o->ah, o->encap ? NULL : sad);
		}
	}
	if (o->bundle)
		return o->encap ? xf_bundle_encap(sa[0], sa[1], pb, NOW_SECS)
				: xf_bundle_decap(sad, pb, NOW_SECS, &found_ah, &found, st);
	if (o->encap)
		return o->p.proto == IPPROTO_ESP ? esp_encap(*sa, pb, NOW_SECS)
						 : ah_encap(*sa, pb, NOW_SECS);
	return o->p.proto == IPPROTO_ESP ? esp_decap(sad, pb, NOW_SECS, &found, st)
					 : ah_decap(sad, pb, NOW_SECS, &found, st);
}

/* storage holds one packet with the headroom and tailroom the transforms are promised. */
static uint8_t storage[PBUF_HEADROOM + MAX_PKT + PBUF_TAILROOM];
static char out_hex[2 * sizeof(storage) + 1];

int main(int argc, char **argv)
{
	struct opts o;
	struct sad *sad;
	struct sa *sa[2] = { NULL, NULL };
	struct xf_stats st;
	struct pbuf pb;
	char *line = NULL;
	size_t cap = 0;
	long n;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	parse_args(&o, argc, argv);
	sad = sad_new();
	if (!sad) {
		fprintf(stderr, "xftool: out of memory\n");
		return 1;
	}
	while (getline(&line, &cap, stdin) >= 0) {
		enum sa_drop d;

		n = hex_decode(storage + PBUF_HEADROOM, MAX_PKT, line);
		if (n <= 0) {
			fprintf(stderr, "xftool: bad hex line\n");
			rc = 1;
			break;
		}
		pbuf_init(&pb, storage, PBUF_HEADROOM + (size_t)n + PBUF_TAILROOM, PBUF_HEADROOM);
		pb.len = (size_t)n;
		d = run_one(&o, sa, sad, &pb, &st);
		if (d != SA_DROP_NONE) {
			printf("DROP %s\n", sa_drop_name(d));
		} else {
			hex_encode(out_hex, pbuf_data(&pb), pb.len);
			printf("%s\n", out_hex);
		}
		fflush(stdout);
	}
	free(line);
	wipe(o.key, sizeof(o.key));
	wipe(o.ikey, sizeof(o.ikey));
	wipe(o.ah_ikey, sizeof(o.ah_ikey));
	if (o.encap) {
		sa_free(sa[0]);
		sa_free(sa[1]);
	}
	sad_free(sad); /* frees the inbound SAs with the table */
	return rc;
}
