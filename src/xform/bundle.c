/* AH over ESP, one SA each (RFC 4301 4.5): the combination Windows offers as "AH and ESP".
 * Outbound ESP is applied first and AH covers the ESP packet; inbound peels them in reverse. */
#include "wire/ip.h"
#include "xform/xf_int.h"
#include "xform/xform.h"

enum sa_drop xf_bundle_encap(struct sa *esp_sa, struct sa *ah_sa, struct pbuf *pb, uint64_t now)
{
	enum sa_drop d = esp_encap(esp_sa, pb, now);

	if (d)
		return d;
	return ah_encap(ah_sa, pb, now);
}

enum sa_drop xf_bundle_decap(struct sad *sad, struct pbuf *pb, uint64_t now, struct sa **ah_out,
			     struct sa **esp_out, struct xf_stats *st)
{
	struct ip_info ii;
	struct sa *ah_sa = NULL;
	enum sa_drop d;

	if (esp_out)
		*esp_out = NULL;
	/* One packet in, one packet delivered: only ESP counts it in st. */
	d = ah_decap(sad, pb, now, &ah_sa, NULL);
	if (ah_out)
		*ah_out = ah_sa;
	if (d) {
		if (st)
			st->drops[d]++;
		return d;
	}
	/* The bundle promised ESP under AH; anything else did not get the protection the
	 * policy asked for (RFC 4301 5.2: check the SAs applied against policy). */
	if (ip_parse(pbuf_data(pb), pb->len, IP_WALK_ULP, &ii) != IP_OK ||
	    ii.proto != IPPROTO_NUM_ESP)
		return xf_drop_in(ah_sa, st, SA_DROP_POLICY, "ah+esp", ah_sa->spi);
	return esp_decap(sad, pb, now, esp_out, st);
}
