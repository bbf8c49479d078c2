/* `sa` statements: manually keyed SAs for espritd (see conf.h for the syntax). The loader
 * checks everything an SA needs before any packet flows -- addresses, algorithms and key
 * length (xcipher_check), key file permissions, selectors -- and hands the SAs to the caller
 * only when the whole configuration is clean. Keys are wiped as soon as they are delivered. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf_load.h"
#include "conf/conf_value.h"
#include "crypto/cipher.h"
#include "lib/util.h"

#define SA_WINDOW_DEFAULT 64u
#define NATT_PORT	  4500u /* RFC 3948 */

static int sa_spi_parse(const char *s, uint32_t *spi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || s[0] == '-' || v > 0xffffffffull)
		return -1;
	*spi = (uint32_t)v;
	return 0;
}

static bool sa_port_proto(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132; /* TCP, UDP, SCTP */
}

/* Single ports only: an SA selector port range has no nftables/ESP use yet. */
static int sa_ports(struct loader *ld, const struct ast_tok *list, uint16_t *out, size_t *n)
{
	const char *why = NULL;

	*n = 0;
	if (!list) {
		out[(*n)++] = 0;
		return 0;
	}
	for (const struct ast_tok *t = list; t; t = t->next) {
		uint16_t lo, hi;

		if (conf_port_parse(t->text, &lo, &hi, &why))
			return ld_err(ld, &t->loc, t->text, "%s", why ? why : "invalid port");
		if (lo != hi)
			return ld_err(ld, &t->loc, t->text,
				      "port ranges are not supported in SA "
				      "selectors");
		if (*n == CONF_SA_SEL_MAX)
			return ld_err(ld, &t->loc, t->text, "too many ports (at most %d)",
				      CONF_SA_SEL_MAX);
		out[(*n)++] = lo;
	}
	return 0;
}

static void sa_sel_add(struct loader *ld, const struct ast_item *it, struct conf_sa *sa,
		       uint8_t proto, uint16_t sport, uint16_t dport)
{
	if (sa->nsel == CONF_SA_SEL_MAX) {
		ld_err(ld, &it->loc, it->kw, "selector too large (at most %d port pairs)",
		       CONF_SA_SEL_MAX);
		return;
	}
	sa->sel[sa->nsel].proto = proto;
	sa->sel[sa->nsel].sport = sport;
	sa->sel[sa->nsel++].dport = dport;
}

static void sa_selector(struct loader *ld, const struct ast_item *it, struct conf_sa *sa)
{
	const struct ast_filter *f = it->filter;
	uint16_t sp[CONF_SA_SEL_MAX], dp[CONF_SA_SEL_MAX], proto = 0;
	const char *why = NULL;
	size_t ns, nd;

	if (f->proto && conf_proto_parse(f->proto->text, &proto, &why)) {
		ld_err(ld, &f->proto->loc, f->proto->text, "%s", why ? why : "unknown protocol");
		return;
	}
	if (proto == SPD_PROTO_ANY)
		proto = 0;
	if ((f->sports || f->dports) && !sa_port_proto((uint8_t)proto)) {
		const struct ast_tok *kw = f->sports ? f->sport_kw : f->dport_kw;

		ld_err(ld, &kw->loc, kw->text, "ports need protocol tcp, udp or sctp");
		return;
	}
	if (sa_ports(ld, f->sports, sp, &ns) || sa_ports(ld, f->dports, dp, &nd))
		return;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < nd; k++) {
			sa_sel_add(ld, it, sa, (uint8_t)proto, sp[i], dp[k]);
			if (f->mirrored && sp[i] != dp[k])
				sa_sel_add(ld, it, sa, (uint8_t)proto, dp[k], sp[i]);
		}
}

static void sa_word(struct loader *ld, const struct ast_item *it, struct conf_sa *sa)
{
	const char *w = it->a->text;
	uint16_t id, bits;

	if (!strcmp(w, "esn")) {
		sa->p.esn = true;
	} else if (!strcmp(w, "require")) {
		if (sa->p.dir != SA_DIR_IN)
			ld_err(ld, &it->loc, w, "'require' applies to inbound SAs only");
		sa->require = true;
	} else if (sa->p.proto == IPPROTO_ESP && !conf_encr_parse(w, &id, &bits)) {
		if (sa->p.encr)
			ld_err(ld, &it->loc, w, "encryption algorithm given twice");
		sa->p.encr = id;
		sa->p.encr_bits = bits;
	} else if (!conf_integ_parse(w, &id)) {
		if (sa->p.integ)
			ld_err(ld, &it->loc, w, "integrity algorithm given twice");
		sa->p.integ = id;
	} else {
		ld_err(ld, &it->loc, w, "unknown SA option or algorithm");
	}
}

/* Key file: encryption key (with salt) then integrity key, lengths as the algorithms say. */
static void sa_key(struct loader *ld, const struct ast_item *it, struct conf_sa *sa)
{
	struct xc_encr_info ei = { 0 };
	struct xc_integ_info ii = { 0 };
	char why[256];
	uint8_t *key = NULL;
	size_t len = 0, want;

	if (it->b && strcmp(it->b->text, "file")) {
		ld_err(ld, &it->b->loc, it->b->text, "expected 'file' or a quoted path");
		return;
	}
	if ((sa->p.encr && xcipher_encr_info(sa->p.encr, sa->p.encr_bits, &ei)) ||
	    (sa->p.integ && xcipher_integ_info(sa->p.integ, &ii))) {
		ld_err(ld, &it->loc, it->kw, "unsupported algorithm");
		return;
	}
	want = ei.key_len + ii.key_len;
	if (want > CONF_SA_KEY_MAX) {
		ld_err(ld, &it->loc, it->kw, "key too long");
		return;
	}
	sa->p.encr_key_len = ei.key_len;
	sa->p.integ_key_len = ii.key_len;
	if (ld->o.flags & CONF_NO_SECRETS)
		return;
	if (secret_psk_load(it->a->text, &key, &len, why, sizeof(why))) {
		ld_err(ld, &it->a->loc, it->a->text, "%s", why);
		return;
	}
	if (len != want)
		ld_err(ld, &it->a->loc, it->a->text,
		       "key file holds %zu octets, the algorithms need %zu", len, want);
	else
		memcpy(sa->key, key, len);
	secret_psk_free(key, len);
}

static void sa_header(struct loader *ld, const struct ast_item *it, struct conf_sa *sa)
{
	const struct ast_tok *src = it->c, *dst = it->c->next;
	char why[256];

	if (!strcmp(it->name->text, "in"))
		sa->p.dir = SA_DIR_IN;
	else if (!strcmp(it->name->text, "out"))
		sa->p.dir = SA_DIR_OUT;
	else
		ld_err(ld, &it->name->loc, it->name->text, "SA direction must be 'in' or 'out'");
	if (!strcmp(it->a->text, "esp"))
		sa->p.proto = IPPROTO_ESP;
	else if (!strcmp(it->a->text, "ah"))
		sa->p.proto = IPPROTO_AH;
	else
		ld_err(ld, &it->a->loc, it->a->text, "SA protocol must be 'esp' or 'ah'");
	/* RFC 4303 2.1: 1..255 are reserved, 0 is never sent. */
	if (sa_spi_parse(it->b->text, &sa->p.spi) || sa->p.spi < 256)
		ld_err(ld, &it->b->loc, it->b->text, "SPI must be a number from 256 to 0xffffffff");
	sa->p.mode = it->flag ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT;
	if (conf_host_parse(src->text, false, &sa->p.src, why, sizeof(why)))
		ld_err(ld, &src->loc, src->text, "%s", why);
	else if (conf_host_parse(dst->text, false, &sa->p.dst, why, sizeof(why)))
		ld_err(ld, &dst->loc, dst->text, "%s", why);
	else if (sa->p.src.af != sa->p.dst.af)
		ld_err(ld, &dst->loc, dst->text, "SA addresses of different families");
}

void ld_sa_load(struct loader *ld, const struct ast_item *it)
{
	const struct ast_item *o, *key = NULL;
	unsigned nerr = ld->nerr;
	struct conf_sa sa;
	struct conf_sa *v;
	uint64_t n;

	memset(&sa, 0, sizeof(sa));
	sa.line = it->loc.line;
	sa.p.replay_window = SA_WINDOW_DEFAULT;
	sa_header(ld, it, &sa);
	for (o = it->body; o; o = o->next) {
		switch (o->kind) {
		case AST_SA_WORD:
			sa_word(ld, o, &sa);
			break;
		case AST_SA_KEY:
			if (key)
				ld_twice(ld, o, key);
			key = o;
			break;
		case AST_SA_WINDOW:
			if (conf_uint_parse(o->a->text, REPLAY_WINDOW_MAX, &n))
				ld_err(ld, &o->a->loc, o->a->text, "window out of range (0-%u)",
				       REPLAY_WINDOW_MAX);
			sa.p.replay_window = (uint32_t)n;
			break;
		case AST_SA_ENCAP:
			if (strcmp(o->a->text, "udp") || sa.p.proto != IPPROTO_ESP)
				ld_err(ld, &o->a->loc, o->a->text, "only ESP has 'encap udp'");
			sa.p.udp_encap = true;
			sa.p.encap_sport = sa.p.encap_dport = NATT_PORT;
			break;
		case AST_SA_SELECTOR:
			sa_selector(ld, o, &sa);
			break;
		default:
			break;
		}
	}
	if (!sa.nsel)
		sa.nsel = 1; /* any protocol, any port */
	if (ld->nerr != nerr)
		goto out;
	if (sa.p.proto == IPPROTO_ESP && !sa.p.encr) {
		ld_err(ld, &it->loc, it->kw, "ESP SA without an encryption algorithm");
		goto out;
	}
	if (!key) {
		ld_err(ld, &it->loc, it->kw, "SA without 'key file \"PATH\"'");
		goto out;
	}
	sa_key(ld, key, &sa);
	if (ld->nerr != nerr)
		goto out;
	if (xcipher_check(sa.p.proto == IPPROTO_ESP ? sa.p.encr : 0, sa.p.encr_bits, sa.p.integ,
			  sa.p.encr_key_len, sa.p.integ_key_len)) {
		ld_err(ld, &it->loc, it->kw, "invalid algorithm combination for %s",
		       sa.p.proto == IPPROTO_ESP ? "ESP" : "AH");
		goto out;
	}
	v = realloc(ld->sas, (ld->nsas + 1) * sizeof(*v));
	if (!v) {
		ld->nomem = true;
		goto out;
	}
	ld->sas = v;
	ld->sas[ld->nsas++] = sa;
out:
	wipe(&sa, sizeof(sa));
}

int ld_sa_deliver(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsas && ld->o.manual_sa; i++) {
		struct conf_sa *sa = &ld->sas[i];
		int rc;

		sa->p.encr_key = sa->p.encr_key_len ? sa->key : NULL;
		sa->p.integ_key = sa->p.integ_key_len ? sa->key + sa->p.encr_key_len : NULL;
		rc = ld->o.manual_sa(ld->o.manual_sa_arg, sa);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ld_sa_free(struct loader *ld)
{
	if (ld->sas) {
		wipe(ld->sas, ld->nsas * sizeof(*ld->sas));
		free(ld->sas);
	}
	ld->sas = NULL;
	ld->nsas = 0;
}
