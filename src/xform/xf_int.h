/* Internals shared by esp.c, ah.c and bundle.c: algorithm facts and drop accounting. */
#ifndef ESPRIT_XFORM_XF_INT_H
#define ESPRIT_XFORM_XF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sa/sa.h"
#include "xform/xform.h"

/* What the transforms need to know about an SA's algorithms (crypto/cipher.h). */
struct xf_alg {
	size_t iv_len;
	size_t icv_len;
	size_t align; /* ESP payload + padding + trailer is a multiple of this */
	bool aead;    /* combined mode: xcipher_seal/open (GCM, ChaCha20-Poly1305, GMAC) */
};

int xf_alg_get(const struct sa *sa, struct xf_alg *a);

/* Count a drop in the SA and the caller's stats; log peer-triggered (inbound) ones at debug
 * level, rate-limited, with the packet's SPI (0 if it never got that far). */
enum sa_drop xf_drop(struct sa *sa, struct xf_stats *st, enum sa_drop d);
enum sa_drop xf_drop_in(struct sa *sa, struct xf_stats *st, enum sa_drop d, const char *what,
			uint32_t spi);
/* Map an ip_parse() status to a drop reason. */
enum sa_drop xf_ip_drop(int ip_status);
/* Lifetime accounting: SA_DROP_EXPIRED on a hard limit, else SA_DROP_NONE. */
enum sa_drop xf_account(struct sa *sa, size_t bytes, uint64_t now);

#endif
