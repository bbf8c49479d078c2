/* Global IKE words: ike-fragmentation, ike-fragment-size, nat-keepalive, dpd-delay and
 * ike-cookie-threshold (esprit.conf(5)). Each may appear once; values are range-checked
 * here so that a typo is a FILE:LINE:COL error and not a silent default. */
#include <stdint.h>
#include <string.h>

#include "conf/conf_ast.h"
#include "conf/conf_load.h"
#include "conf/conf_value.h"
#include "lib/util.h"

#define KNOB_FRAG_MIN 256u /* IKE_FRAG_SIZE_MIN of the engine (ike/ike_frag.h) */
#define KNOB_MS_MIN   100u
#define KNOB_MS_MAX   3600000u

/* "500ms", "20s" (conf_duration_parse) or "2min", "1h" (the lifetime units). */
static int knob_ms(const char *s, uint64_t *ms)
{
	enum conf_life kind;
	const char *why;
	uint32_t v32;
	uint64_t v;

	if (!conf_duration_parse(s, &v32, &why)) {
		*ms = v32;
		return 0;
	}
	if (conf_lifetime_parse(s, &kind, &v, &why) || kind != CONF_LIFE_SEC)
		return -1;
	*ms = v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000;
	return 0;
}

static void knob_duration(struct loader *ld, const struct ast_item *it, uint32_t *out)
{
	uint64_t ms;

	if (knob_ms(it->a->text, &ms))
		ld_err(ld, &it->a->loc, it->a->text, "%s is a time with a unit (ms, s, min or h)",
		       it->kw);
	else if (ms < KNOB_MS_MIN || ms > KNOB_MS_MAX)
		ld_err(ld, &it->a->loc, it->a->text, "%s out of range (100ms-1h)", it->kw);
	else
		*out = (uint32_t)ms;
}

static void knob_number(struct loader *ld, const struct ast_item *it, uint64_t lo, uint64_t hi,
			uint64_t *out)
{
	uint64_t v;

	if (conf_uint_parse(it->a->text, hi, &v) || v < lo)
		ld_err(ld, &it->a->loc, it->a->text, "%s out of range (%llu-%llu)", it->kw,
		       (unsigned long long)lo, (unsigned long long)hi);
	else
		*out = v;
}

void ld_knob_load(struct loader *ld, const struct ast_item *it)
{
	struct spd_ike_knobs *k = &ld->s->ike_knobs;
	const struct ast_item *first;
	uint64_t v = 0;

	first = ld_once(ld->knob_seen, ARRAY_SIZE(ld->knob_seen), it->kind, it);
	if (first) {
		ld_twice(ld, it, first);
		return;
	}
	switch (it->kind) {
	case AST_IKE_FRAGMENTATION:
		k->no_frag = !it->flag;
		break;
	case AST_IKE_FRAGMENT_SIZE:
		/* RFC 7383 2.5.1: an IP datagram size; below KNOB_FRAG_MIN the fragment
		 * overhead dominates, above 65535 it is no datagram. */
		knob_number(ld, it, KNOB_FRAG_MIN, 65535, &v);
		k->frag_size = (uint16_t)v;
		break;
	case AST_NAT_KEEPALIVE:
		knob_duration(ld, it, &k->natt_keepalive_ms);
		break;
	case AST_DPD_DELAY:
		knob_duration(ld, it, &k->dpd_delay_ms);
		break;
	case AST_IKE_COOKIE_THRESHOLD:
		/* RFC 7296 2.6: 1 demands a cookie from the second half-open SA on */
		knob_number(ld, it, 1, 65536, &v);
		k->cookie_threshold = (uint32_t)v;
		break;
	default:
		break;
	}
}
