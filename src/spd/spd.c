/* The policy model: construction, validation, built-ins and teardown. */
#include "spd/spd_int.h"

#include "crypto/cipher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Make room for one more element in a growing array. */
static int grow(void *arrp, size_t *cap, size_t n, size_t elem)
{
	void **arr = arrp;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int name_ok(const char *name)
{
	return name && name[0] && strlen(name) < SPD_NAME_MAX;
}

void spd_mark_dirty(struct spd *s)
{
	s->compiled = false;
}

bool spd_is_local(const struct spd *s, const struct ipaddr *ip)
{
	size_t i;

	for (i = 0; i < s->nlocals; i++)
		if (ipaddr_eq(&s->locals[i].addr, ip))
			return true;
	return false;
}

static bool af_ok(uint8_t af)
{
	return af == AF_INET || af == AF_INET6;
}

int spd_add_local(struct spd *s, const struct ipaddr *a, unsigned plen)
{
	if (!af_ok(a->af) || plen > spd_af_bits(a->af))
		return -EINVAL;
	/* The same address twice (two names resolving alike) is one address. */
	if (spd_is_local(s, a))
		return 0;
	if (grow(&s->locals, &s->caplocals, s->nlocals, sizeof(*s->locals)))
		return -ENOMEM;
	s->locals[s->nlocals].addr = *a;
	s->locals[s->nlocals].plen = (uint8_t)plen;
	s->nlocals++;
	spd_mark_dirty(s);
	return 0;
}

int spd_add_kdc(struct spd *s, const struct ipaddr *a)
{
	size_t i;

	if (!af_ok(a->af))
		return -EINVAL;
	for (i = 0; i < s->nkdcs; i++)
		if (ipaddr_eq(&s->kdcs[i], a))
			return 0;
	if (grow(&s->kdcs, &s->capkdcs, s->nkdcs, sizeof(*s->kdcs)))
		return -ENOMEM;
	s->kdcs[s->nkdcs++] = *a;
	return 0;
}

int spd_set_no_default_exempt(struct spd *s, int level)
{
	if (level < 0 || level > 3)
		return -EINVAL;
	s->no_default_exempt = level;
	return 0;
}

int spd_add_ike_method(struct spd *s, const struct spd_ike_method *m)
{
	for (size_t i = 0; i < s->nike_methods; i++)
		if (!memcmp(&s->ike_methods[i], m, sizeof(*m)))
			return -EEXIST;
	if (s->nike_methods >= SPD_IKE_METHODS_MAX)
		return -ENOSPC;
	s->ike_methods[s->nike_methods++] = *m;
	return 0;
}

int spd_rule_set_id(struct spd_rule *r, bool remote, const struct spd_id *id)
{
	if (!id->type || !id->len || id->len > SPD_ID_MAX)
		return -EINVAL;
	*(remote ? &r->remote_id : &r->local_id) = *id;
	return 0;
}

const struct spd_id *spd_rule_id(const struct spd_rule *r, bool remote)
{
	const struct spd_id *id = remote ? &r->remote_id : &r->local_id;

	if (!id->type && r->policy)
		id = remote ? &r->policy->dr.remote_id : &r->policy->dr.local_id;
	return id->type ? id : NULL;
}

/* ---- filter lists ---- */

int spd_filter_list_new(struct spd *s, const char *name, struct spd_filter_list **out)
{
	struct spd_filter_list *l;

	if (!name_ok(name))
		return -EINVAL;
	if (spd_filter_list_find(s, name))
		return -EEXIST;
	if (grow(&s->lists, &s->caplists, s->nlists, sizeof(*s->lists)))
		return -ENOMEM;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	strcpy(l->name, name);
	s->lists[s->nlists++] = l;
	if (out)
		*out = l;
	return 0;
}

struct spd_filter_list *spd_filter_list_find(const struct spd *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlists; i++)
		if (!strcmp(s->lists[i]->name, name))
			return s->lists[i];
	return NULL;
}

void spd_filter_init(struct spd_filter *f)
{
	memset(f, 0, sizeof(*f));
	spd_addr_any(&f->src);
	spd_addr_any(&f->dst);
	f->proto = SPD_PROTO_ANY;
	f->sport_hi = 65535;
	f->dport_hi = 65535;
}

static bool addr_ok(const struct spd_addr *a)
{
	switch (a->kind) {
	case SPD_ADDR_ANY:
	case SPD_ADDR_ME:
		return true;
	case SPD_ADDR_PREFIX:
		return af_ok(a->lo.af) && a->plen <= spd_af_bits(a->lo.af);
	case SPD_ADDR_RANGE:
		return af_ok(a->lo.af) && a->lo.af == a->hi.af && spd_ip_cmp(&a->lo, &a->hi) <= 0;
	}
	return false;
}

static int filter_check(const struct spd_filter *f)
{
	uint8_t sa = spd_addr_af(&f->src), da = spd_addr_af(&f->dst);
	bool ports = f->sport_lo != 0 || f->sport_hi != 65535 || f->dport_lo != 0 ||
		     f->dport_hi != 65535;

	if (!addr_ok(&f->src) || !addr_ok(&f->dst))
		return -EINVAL;
	if (sa && da && sa != da)
		return -EINVAL;
	if (f->af && !af_ok(f->af))
		return -EINVAL;
	if (f->af && ((sa && sa != f->af) || (da && da != f->af)))
		return -EINVAL;
	if (f->proto > 255 && f->proto != SPD_PROTO_ANY)
		return -EINVAL;
	if (f->sport_lo > f->sport_hi || f->dport_lo > f->dport_hi)
		return -EINVAL;
	/* Ports exist only for TCP and UDP. */
	if (ports && f->proto != 6 && f->proto != 17)
		return -EINVAL;
	return 0;
}

int spd_filter_list_add(struct spd *s, struct spd_filter_list *l, const struct spd_filter *f)
{
	struct spd_filter *nf;
	int rc = filter_check(f);

	if (rc)
		return rc;
	if (grow(&l->filters, &l->cap, l->nfilters, sizeof(*l->filters)))
		return -ENOMEM;
	nf = &l->filters[l->nfilters++];
	*nf = *f;
	nf->desc[SPD_NAME_MAX - 1] = 0;
	/* A literal on either side fixes the family for the filter. */
	if (!nf->af)
		nf->af = spd_addr_af(&f->src) ? spd_addr_af(&f->src) : spd_addr_af(&f->dst);
	spd_mark_dirty(s);
	return 0;
}

/* ---- security methods ---- */

void spd_method_init(struct spd_method *m, enum spd_xform xf)
{
	memset(m, 0, sizeof(*m));
	m->xform = xf;
	m->life_kb = SPD_LIFE_KB_DEFAULT;
	m->life_sec = SPD_LIFE_SEC_DEFAULT;
}

static bool integ_known(uint16_t id)
{
	return id == AUTH_HMAC_SHA1_96 || id == AUTH_HMAC_SHA2_256_128 ||
	       id == AUTH_HMAC_SHA2_384_192 || id == AUTH_HMAC_SHA2_512_256;
}

static bool aes_bits(uint16_t b)
{
	return b == 128 || b == 192 || b == 256;
}

/* ESP part of a method: RFC 4106/4543/7634 combined modes carry their own integrity, the
 * others need an integrity transform (RFC 4303 3.2: ESP with neither is not allowed). */
static const char *esp_check(const struct spd_method *m)
{
	switch (m->esp_encr) {
	case ENCR_NULL:
		if (m->esp_encr_bits)
			return "null encryption takes no key size";
		return integ_known(m->esp_integ) ? NULL : "null encryption needs integrity";
	case ENCR_AES_CBC:
		if (!aes_bits(m->esp_encr_bits))
			return "AES key size must be 128, 192 or 256";
		return integ_known(m->esp_integ) ? NULL : "aes-cbc needs an integrity algorithm";
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
		if (!aes_bits(m->esp_encr_bits))
			return "AES key size must be 128, 192 or 256";
		break;
	case ENCR_CHACHA20_POLY1305:
		if (m->esp_encr_bits != 256)
			return "chacha20-poly1305 key size is 256";
		break;
	default:
		return "unknown ESP encryption algorithm";
	}
	return m->esp_integ == AUTH_NONE ? NULL : "combined-mode cipher takes no integrity";
}

int spd_method_check(const struct spd_method *m, const char **why)
{
	const char *w = NULL;

	if (!m->life_kb || !m->life_sec)
		w = "lifetime must not be zero";
	else if (m->xform == SPD_XF_ESP || m->xform == SPD_XF_AH_ESP)
		w = esp_check(m);
	else if (m->xform != SPD_XF_AH)
		w = "unknown transform";
	if (!w && m->xform == SPD_XF_ESP && m->ah_integ)
		w = "ESP method with an AH integrity algorithm";
	if (!w && m->xform == SPD_XF_AH && (m->esp_encr || m->esp_integ || m->esp_encr_bits))
		w = "AH method with ESP algorithms";
	if (!w && m->xform != SPD_XF_ESP && !integ_known(m->ah_integ))
		w = "AH needs a known integrity algorithm";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

static const char *integ_name(uint16_t id)
{
	switch (id) {
	case AUTH_HMAC_SHA1_96:
		return "hmac-sha1-96";
	case AUTH_HMAC_SHA2_256_128:
		return "hmac-sha2-256";
	case AUTH_HMAC_SHA2_384_192:
		return "hmac-sha2-384";
	case AUTH_HMAC_SHA2_512_256:
		return "hmac-sha2-512";
	}
	return "?";
}

static void esp_fmt(const struct spd_method *m, char *buf, size_t len)
{
	const char *e = "?";

	switch (m->esp_encr) {
	case ENCR_NULL:
		snprintf(buf, len, "null %s", integ_name(m->esp_integ));
		return;
	case ENCR_AES_CBC:
		snprintf(buf, len, "aes-cbc-%u %s", m->esp_encr_bits, integ_name(m->esp_integ));
		return;
	case ENCR_CHACHA20_POLY1305:
		snprintf(buf, len, "chacha20-poly1305");
		return;
	case ENCR_AES_GCM_8:
		e = "aes-gcm-8";
		break;
	case ENCR_AES_GCM_12:
		e = "aes-gcm-12";
		break;
	case ENCR_AES_GCM_16:
		e = "aes-gcm";
		break;
	case ENCR_NULL_AUTH_AES_GMAC:
		e = "aes-gmac";
		break;
	}
	snprintf(buf, len, "%s-%u", e, m->esp_encr_bits);
}

const char *spd_method_fmt(const struct spd_method *m, char *buf, size_t len)
{
	char esp[64];

	esp_fmt(m, esp, sizeof(esp));
	switch (m->xform) {
	case SPD_XF_ESP:
		snprintf(buf, len, "esp %s %llukb/%us", esp, (unsigned long long)m->life_kb,
			 m->life_sec);
		break;
	case SPD_XF_AH:
		snprintf(buf, len, "ah %s %llukb/%us", integ_name(m->ah_integ),
			 (unsigned long long)m->life_kb, m->life_sec);
		break;
	case SPD_XF_AH_ESP:
		snprintf(buf, len, "ah+esp %s + %s %llukb/%us", integ_name(m->ah_integ), esp,
			 (unsigned long long)m->life_kb, m->life_sec);
		break;
	}
	return buf;
}

/* ---- filter actions ---- */

int spd_action_new(struct spd *s, const char *name, enum spd_action_kind kind,
		   struct spd_action **out)
{
	struct spd_action *a;

	if (!name_ok(name) || kind > SPD_ACT_NEGOTIATE)
		return -EINVAL;
	if (spd_action_find(s, name))
		return -EEXIST;
	if (grow(&s->actions, &s->capactions, s->nactions, sizeof(*s->actions)))
		return -ENOMEM;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	strcpy(a->name, name);
	a->kind = kind;
	a->soft_ms = SPD_SOFT_MS_DEFAULT;
	a->pending = SPD_PENDING_HOLD;
	a->pending_max = SPD_PENDING_DEFAULT;
	s->actions[s->nactions++] = a;
	if (out)
		*out = a;
	return 0;
}

int spd_action_add_method(struct spd *s, struct spd_action *a, const struct spd_method *m)
{
	(void)s;
	if (a->kind != SPD_ACT_NEGOTIATE || spd_method_check(m, NULL))
		return -EINVAL;
	if (a->nmethods >= SPD_METHODS_MAX)
		return -ENOSPC;
	a->methods[a->nmethods++] = *m;
	return 0;
}

struct spd_action *spd_action_find(const struct spd *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nactions; i++)
		if (!strcmp(s->actions[i]->name, name))
			return s->actions[i];
	return NULL;
}

int spd_action_check(const struct spd_action *a, const char **why)
{
	const char *w = NULL;

	if (a->kind == SPD_ACT_NEGOTIATE) {
		if (!a->nmethods)
			w = "negotiate needs at least one security method";
		else if (a->pending == SPD_PENDING_HOLD && !a->pending_max)
			w = "pending hold needs a count of at least 1";
		else if (a->soft && !a->soft_ms)
			w = "soft fallback timeout must not be zero";
	} else if (a->nmethods || a->inpass || a->soft || a->pfs) {
		w = "permit and block take no security methods or options";
	}
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

/* ---- authentication ---- */

void spd_auth_clear(struct spd_auth *a)
{
	size_t i;

	free(a->psk_path);
	free(a->cert_path);
	free(a->key_path);
	for (i = 0; i < a->nca; i++)
		free(a->ca_paths[i]);
	memset(a, 0, sizeof(*a));
}

static int dup_str(char **out, const char *in)
{
	*out = NULL;
	if (!in)
		return 0;
	*out = strdup(in);
	return *out ? 0 : -ENOMEM;
}

static int auth_copy(struct spd_auth *dst, const struct spd_auth *src)
{
	size_t i;
	int rc = 0;

	switch (src->kind) {
	case SPD_AUTH_PSK:
		if (!src->psk_path || !src->psk_path[0])
			return -EINVAL;
		break;
	case SPD_AUTH_CERT:
		if (!src->nca || src->nca > SPD_CA_MAX)
			return -EINVAL;
		for (i = 0; i < src->nca; i++)
			if (!src->ca_paths[i] || !src->ca_paths[i][0])
				return -EINVAL;
		break;
	case SPD_AUTH_KERBEROS:
		break;
	default:
		return -EINVAL;
	}
	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	rc |= dup_str(&dst->psk_path, src->psk_path);
	rc |= dup_str(&dst->cert_path, src->cert_path);
	rc |= dup_str(&dst->key_path, src->key_path);
	for (i = 0; i < src->nca; i++) {
		dst->nca = i + 1;
		rc |= dup_str(&dst->ca_paths[i], src->ca_paths[i]);
	}
	if (rc) {
		spd_auth_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static int auth_append(struct spd_auth *arr, size_t *n, const struct spd_auth *a)
{
	int rc;

	if (*n >= SPD_AUTH_MAX)
		return -ENOSPC;
	rc = auth_copy(&arr[*n], a);
	if (!rc)
		(*n)++;
	return rc;
}

/* ---- policies and rules ---- */

static void rule_init(struct spd_rule *r, const char *name, const struct spd_policy *p)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->mode = SPD_MODE_TRANSPORT;
	r->active = true;
	r->policy = p;
}

int spd_policy_new(struct spd *s, const char *name, struct spd_policy **out)
{
	struct spd_policy *p;

	if (!name_ok(name))
		return -EINVAL;
	if (spd_policy_find(s, name))
		return -EEXIST;
	if (grow(&s->policies, &s->cappolicies, s->npolicies, sizeof(*s->policies)))
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	strcpy(p->name, name);
	rule_init(&p->dr, "default-response", p);
	p->dr.is_default_response = true;
	p->dr.action = spd_action_find(s, SPD_BUILTIN_DEFAULT_RESPONSE);
	s->policies[s->npolicies++] = p;
	if (out)
		*out = p;
	return 0;
}

struct spd_policy *spd_policy_find(const struct spd *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->npolicies; i++)
		if (!strcmp(s->policies[i]->name, name))
			return s->policies[i];
	return NULL;
}

int spd_use_policy(struct spd *s, const struct spd_policy *p)
{
	s->active = p;
	spd_mark_dirty(s);
	return 0;
}

int spd_policy_set_default_response(struct spd *s, struct spd_policy *p, bool on,
				    const struct spd_action *a)
{
	(void)s;
	if (a && a->kind != SPD_ACT_NEGOTIATE)
		return -EINVAL;
	if (a)
		p->dr.action = a;
	p->dr.active = on;
	return 0;
}

int spd_policy_add_auth(struct spd *s, struct spd_policy *p, const struct spd_auth *a)
{
	(void)s;
	return auth_append(p->auths, &p->nauths, a);
}

int spd_rule_new(struct spd *s, struct spd_policy *p, const char *name,
		 const struct spd_filter_list *l, const struct spd_action *a, struct spd_rule **out)
{
	char autoname[SPD_NAME_MAX];
	struct spd_rule *r;
	size_t i;

	if (!l || !a || (name && name[0] && !name_ok(name)))
		return -EINVAL;
	if (!name || !name[0]) {
		snprintf(autoname, sizeof(autoname), "rule-%zu", p->nrules + 1);
		name = autoname;
	}
	for (i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i]->name, name))
			return -EEXIST;
	if (grow(&p->rules, &p->cap, p->nrules, sizeof(*p->rules)))
		return -ENOMEM;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	rule_init(r, name, p);
	r->flist = l;
	r->action = a;
	r->index = p->nrules;
	p->rules[p->nrules++] = r;
	p->dr.index = p->nrules;
	spd_mark_dirty(s);
	if (out)
		*out = r;
	return 0;
}

int spd_rule_add_auth(struct spd *s, struct spd_rule *r, const struct spd_auth *a)
{
	(void)s;
	return auth_append(r->auths, &r->nauths, a);
}

int spd_rule_set_tunnel(struct spd *s, struct spd_rule *r, const struct ipaddr *remote,
			const struct ipaddr *local)
{
	(void)s;
	if (!remote) {
		r->mode = SPD_MODE_TRANSPORT;
		memset(&r->tunnel_remote, 0, sizeof(r->tunnel_remote));
		memset(&r->tunnel_local, 0, sizeof(r->tunnel_local));
		return 0;
	}
	if (!af_ok(remote->af) || (local && local->af != remote->af))
		return -EINVAL;
	r->mode = SPD_MODE_TUNNEL;
	r->tunnel_remote = *remote;
	if (local)
		r->tunnel_local = *local;
	else
		memset(&r->tunnel_local, 0, sizeof(r->tunnel_local));
	return 0;
}

int spd_rule_set_active(struct spd *s, struct spd_rule *r, bool on)
{
	r->active = on;
	spd_mark_dirty(s);
	return 0;
}

const struct spd_auth *spd_rule_auths(const struct spd_rule *r, size_t *n)
{
	if (r->nauths || !r->policy) {
		*n = r->nauths;
		return r->auths;
	}
	*n = r->policy->nauths;
	return r->policy->auths;
}

/* ---- built-ins (Windows' three default policies and their parts) ---- */

/* Windows offers ESP 3DES/SHA1 ... AH MD5; these are today's equivalents in the same spirit:
 * strongest first, ESP before AH. */
static const struct {
	enum spd_xform xf;
	uint16_t encr, bits, integ, ah;
} default_methods[] = {
	{ SPD_XF_ESP, ENCR_AES_GCM_16, 256, AUTH_NONE, 0 },
	{ SPD_XF_ESP, ENCR_AES_GCM_16, 128, AUTH_NONE, 0 },
	{ SPD_XF_ESP, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, 0 },
	{ SPD_XF_ESP, ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96, 0 },
	{ SPD_XF_AH, 0, 0, 0, AUTH_HMAC_SHA2_256_128 },
	{ SPD_XF_AH, 0, 0, 0, AUTH_HMAC_SHA1_96 },
};

static int builtin_action(struct spd *s, const char *name, enum spd_action_kind kind, bool inpass,
			  bool soft)
{
	struct spd_action *a;
	struct spd_method m;
	size_t i;
	int rc = spd_action_new(s, name, kind, &a);

	if (rc)
		return rc;
	a->builtin = true;
	a->inpass = inpass;
	a->soft = soft;
	for (i = 0;
	     kind == SPD_ACT_NEGOTIATE && i < sizeof(default_methods) / sizeof(default_methods[0]);
	     i++) {
		spd_method_init(&m, default_methods[i].xf);
		m.esp_encr = default_methods[i].encr;
		m.esp_encr_bits = default_methods[i].bits;
		m.esp_integ = default_methods[i].integ;
		m.ah_integ = default_methods[i].ah;
		rc = spd_action_add_method(s, a, &m);
		if (rc)
			return rc;
	}
	return 0;
}

/* me <-> any, mirrored, optionally one protocol of one family. */
static int builtin_filter(struct spd *s, struct spd_filter_list *l, uint16_t proto, uint8_t af)
{
	struct spd_filter f;

	spd_filter_init(&f);
	spd_addr_me(&f.src);
	f.proto = proto;
	f.af = af;
	f.mirrored = true;
	return spd_filter_list_add(s, l, &f);
}

static int builtin_lists(struct spd *s)
{
	struct spd_filter_list *ip, *icmp;
	int rc;

	rc = spd_filter_list_new(s, SPD_BUILTIN_ALL_IP, &ip);
	if (!rc)
		rc = spd_filter_list_new(s, SPD_BUILTIN_ALL_ICMP, &icmp);
	if (rc)
		return rc;
	ip->builtin = icmp->builtin = true;
	rc = builtin_filter(s, ip, SPD_PROTO_ANY, 0);
	if (!rc)
		rc = builtin_filter(s, icmp, 1, AF_INET);
	if (!rc)
		rc = builtin_filter(s, icmp, 58, AF_INET6);
	return rc;
}

/* all-ip -> main action, all-icmp -> permit, default response on. */
static int builtin_server(struct spd *s, const char *name, const char *action)
{
	struct spd_policy *p;
	int rc = spd_policy_new(s, name, &p);

	if (rc)
		return rc;
	p->builtin = true;
	p->dr.active = true;
	rc = spd_rule_new(s, p, "all-ip", spd_filter_list_find(s, SPD_BUILTIN_ALL_IP),
			  spd_action_find(s, action), NULL);
	if (!rc)
		rc = spd_rule_new(s, p, "all-icmp", spd_filter_list_find(s, SPD_BUILTIN_ALL_ICMP),
				  spd_action_find(s, SPD_BUILTIN_PERMIT), NULL);
	return rc;
}

static int builtins(struct spd *s)
{
	struct spd_policy *p;
	int rc;

	rc = builtin_lists(s);
	if (!rc)
		rc = builtin_action(s, SPD_BUILTIN_PERMIT, SPD_ACT_PERMIT, false, false);
	if (!rc)
		rc = builtin_action(s, SPD_BUILTIN_BLOCK, SPD_ACT_BLOCK, false, false);
	if (!rc)
		rc = builtin_action(s, SPD_BUILTIN_REQUEST, SPD_ACT_NEGOTIATE, true, true);
	if (!rc)
		rc = builtin_action(s, SPD_BUILTIN_REQUIRE, SPD_ACT_NEGOTIATE, true, false);
	if (!rc)
		rc = builtin_action(s, SPD_BUILTIN_DEFAULT_RESPONSE, SPD_ACT_NEGOTIATE, false,
				    false);
	if (!rc)
		rc = spd_policy_new(s, SPD_BUILTIN_RESPOND_ONLY, &p);
	if (rc)
		return rc;
	p->builtin = true;
	p->dr.active = true;
	rc = builtin_server(s, SPD_BUILTIN_SERVER_REQUEST, SPD_BUILTIN_REQUEST);
	if (!rc)
		rc = builtin_server(s, SPD_BUILTIN_SECURE_SERVER, SPD_BUILTIN_REQUIRE);
	return rc;
}

struct spd *spd_new(void)
{
	struct spd *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->no_default_exempt = SPD_LEVEL_DEFAULT;
	if (builtins(s)) {
		spd_free(s);
		return NULL;
	}
	return s;
}

static void policy_free(struct spd_policy *p)
{
	size_t i, j;

	for (i = 0; i < p->nrules; i++) {
		for (j = 0; j < p->rules[i]->nauths; j++)
			spd_auth_clear(&p->rules[i]->auths[j]);
		free(p->rules[i]);
	}
	for (j = 0; j < p->dr.nauths; j++)
		spd_auth_clear(&p->dr.auths[j]);
	for (j = 0; j < p->nauths; j++)
		spd_auth_clear(&p->auths[j]);
	free(p->rules);
	free(p);
}

void spd_free(struct spd *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nlists; i++) {
		free(s->lists[i]->filters);
		free(s->lists[i]);
	}
	for (i = 0; i < s->nactions; i++)
		free(s->actions[i]);
	for (i = 0; i < s->npolicies; i++)
		policy_free(s->policies[i]);
	free(s->lists);
	free(s->actions);
	free(s->policies);
	free(s->locals);
	free(s->kdcs);
	free(s->sfilters);
	spd_index_free(s->index);
	free(s);
}
