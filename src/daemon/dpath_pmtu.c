/* Path MTU for the ESP/AH data path (RFC 1191, RFC 8201, RFC 4301 8).
 *
 * The ESP/AH sockets ask for ICMP errors (raw_want_errors). A router that cannot forward one of
 * our packets with DF set answers "fragmentation needed" / "packet too big"; the kernel queues
 * it on the socket that sent the packet, so its origin is already tied to us. For the outbound
 * SA(s) to that peer (and SPI, when the quote carries it) the inner MTU is the path MTU minus
 * the SA's worst-case overhead, and a host route through the TUN with that MTU goes into the
 * steering table: local TCP then learns it like any other route MTU (RFC 4301 8.2.1). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "crypto/cipher.h"
#include "dataplane/route.h"
#include "daemon/dpath_int.h"
#include "lib/log.h"

#define PMTU_MIN_V4   576u  /* RFC 791: every host accepts 576 octet datagrams */
#define PMTU_MIN_V6   1280u /* RFC 8200 5 */
#define PMTU_ESP_HDR  8u    /* SPI + sequence number (RFC 4303 2) */
#define PMTU_ESP_TAIL 2u    /* pad length + next header */
#define PMTU_AH_HDR   12u   /* next header .. sequence number (RFC 4302 2) */
#define PMTU_UDP_HDR  8u    /* RFC 3948 2.1 */
#define PMTU_DRAIN    64u   /* error messages read per wake-up */
#define PMTU_SLOTS    64u   /* routes remembered; beyond that, the oldest is forgotten */

/* The MTU installed per inner destination, so that only a lower one changes anything. */
struct pmtu_slot {
	struct ipaddr dst;
	uint8_t plen;
	uint32_t mtu;
};

static struct pmtu_slot pmtu_tab[PMTU_SLOTS];
static unsigned pmtu_next;

static uint32_t pmtu_min(int af)
{
	return af == AF_INET6 ? PMTU_MIN_V6 : PMTU_MIN_V4;
}

static uint32_t pmtu_iphdr(int af)
{
	return af == AF_INET6 ? 40u : 20u;
}

/* The largest inner packet whose protected form fits in pmtu octets, or 0. Transport mode
 * shares the IP header; tunnel mode adds an outer one. */
static uint32_t pmtu_inner(const struct sa *sa, uint32_t pmtu)
{
	const struct xcipher_desc *x = xcipher_desc(sa->cipher);
	uint32_t hdr = pmtu_iphdr(sa->dst.af), room, align;

	room = hdr + (sa->udp_encap ? PMTU_UDP_HDR : 0u);
	if (sa->proto == IPPROTO_AH) {
		/* RFC 4302 3.3.3.2.1: the ICV is padded to 32 (IPv4) or 64 bits (IPv6). */
		align = sa->dst.af == AF_INET6 ? 8u : 4u;
		room += (PMTU_AH_HDR + (uint32_t)x->icv_len + align - 1) / align * align;
		if (pmtu <= room)
			return 0;
		return pmtu - room + (sa->mode == SA_MODE_TRANSPORT ? hdr : 0u);
	}
	/* RFC 4303 2.4: payload, padding and trailer fill a multiple of the alignment. */
	room += PMTU_ESP_HDR + (uint32_t)x->iv_len + (uint32_t)x->icv_len;
	align = x->align ? (uint32_t)x->align : 4u;
	if (pmtu <= room + PMTU_ESP_TAIL + align)
		return 0;
	room = (pmtu - room) / align * align - PMTU_ESP_TAIL;
	return room + (sa->mode == SA_MODE_TRANSPORT ? hdr : 0u);
}

/* The slot of dst/plen, or NULL. */
static struct pmtu_slot *pmtu_find(const struct ipaddr *dst, uint8_t plen)
{
	for (unsigned i = 0; i < PMTU_SLOTS; i++)
		if (pmtu_tab[i].mtu && pmtu_tab[i].plen == plen && ipaddr_eq(&pmtu_tab[i].dst, dst))
			return &pmtu_tab[i];
	return NULL;
}

static void pmtu_remember(const struct ipaddr *dst, uint8_t plen, uint32_t mtu)
{
	struct pmtu_slot *s = pmtu_find(dst, plen);

	if (!s)
		s = &pmtu_tab[pmtu_next++ % PMTU_SLOTS];
	s->dst = *dst;
	s->plen = plen;
	s->mtu = mtu;
}

/* The inner destination the route covers: the peer in transport mode, the first remote
 * selector prefix in tunnel mode. false when there is none. */
static bool pmtu_target(const struct dpath_sa_view *v, struct ipaddr *dst, uint8_t *plen)
{
	if (v->sa->mode == SA_MODE_TRANSPORT) {
		*dst = v->sa->dst;
		*plen = (uint8_t)(ipaddr_len(dst) * 8);
		return true;
	}
	if (!v->nsel || !v->sel[0].remote.af)
		return false;
	*dst = v->sel[0].remote;
	*plen = v->sel[0].remote_plen;
	return true;
}

static void pmtu_apply(struct dpath *d, const struct dpath_sa_view *v, uint32_t pmtu)
{
	char peer[IPADDR_STRLEN], inner[IPADDR_STRLEN];
	const struct pmtu_slot *s;
	struct ipaddr dst;
	uint32_t mtu, cur = d->cfg->mtu ? d->cfg->mtu : DP_TUN_MTU;
	uint8_t plen;
	int rc;

	if (!pmtu_target(v, &dst, &plen))
		return;
	mtu = pmtu_inner(v->sa, pmtu);
	if (mtu < pmtu_min(dst.af))
		mtu = pmtu_min(dst.af);
	s = pmtu_find(&dst, plen);
	if (s)
		cur = s->mtu;
	if (mtu >= cur)
		return;
	rc = dp_route_mtu(d->tun.ifindex, &dst, plen, mtu);
	if (rc < 0) {
		log_ratelimited(LOG_LVL_WARN, "pmtu: route to %s/%u: %s", ipaddr_fmt(&dst, inner),
				plen, strerror(-rc));
		return;
	}
	pmtu_remember(&dst, plen, mtu);
	d->st.pmtu_updates++;
	log_notice("path MTU to %s is %" PRIu32 ": inner MTU %" PRIu32 " for SA 0x%08" PRIx32
		   " (%s/%u)",
		   ipaddr_fmt(&v->sa->dst, peer), pmtu, mtu, v->sa->spi, ipaddr_fmt(&dst, inner),
		   plen);
}

/* One report: every outbound SA to that peer on this socket (the one with the quoted SPI if
 * the quote has it). Reports above what the TUN MTU already implies change nothing. */
static void pmtu_report(struct dpath *d, unsigned idx, const struct raw_pmtu *p)
{
	struct dpath_sa_view v;
	bool ours = false;

	if (p->mtu < pmtu_min(p->dst.af)) {
		log_ratelimited(LOG_LVL_INFO, "pmtu: ignoring MTU %" PRIu32 " below the minimum",
				p->mtu);
		return;
	}
	for (size_t i = 0; dpath_sa_get(d, i, &v); i++) {
		if (v.sa->dir != SA_DIR_OUT || dp_sock_idx(v.sa) != idx ||
		    !ipaddr_eq(&v.sa->dst, &p->dst) || (p->spi && v.sa->spi != p->spi))
			continue;
		ours = true;
		pmtu_apply(d, &v, p->mtu);
	}
	if (!ours)
		log_ratelimited(LOG_LVL_INFO, "pmtu: report for a packet of no outbound SA");
}

void dp_pmtu_drain(struct dpath *d, unsigned idx)
{
	struct raw_pmtu p;
	int rc;

	for (unsigned k = 0; k < PMTU_DRAIN; k++) {
		rc = raw_err_read(d->raw[idx], &p);
		if (rc < 0)
			return;
		if (rc == 1)
			pmtu_report(d, idx, &p);
	}
}

void dp_pmtu_forget(void)
{
	memset(pmtu_tab, 0, sizeof(pmtu_tab));
	pmtu_next = 0;
}
