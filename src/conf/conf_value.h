/* Values in a configuration: addresses, protocols, ports, algorithms, lifetimes. Each parser
 * takes the token text and returns 0, or -1 with a short reason for the diagnostic. Internal
 * to src/conf; no state, so they are unit-tested directly. */
#ifndef ESPRIT_CONF_VALUE_H
#define ESPRIT_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spd/spd.h"

#define CONF_ADDRS_MAX 16 /* addresses taken from one DNS name */

/* `me`, `any`, a literal, a prefix a/n, a range a-b, or (if resolve) a DNS name, which may
 * give several addresses (*n of them, at most CONF_ADDRS_MAX). */
int conf_addr_parse(const char *s, bool resolve, struct spd_addr *out, size_t *n, char *why,
		    size_t whylen);
/* A single host address (literal or, if resolve, the first address of a name). */
int conf_host_parse(const char *s, bool resolve, struct ipaddr *out, char *why, size_t whylen);

/* Protocol by name ("tcp", "icmp6", "any" ...) or number 0..255. */
int conf_proto_parse(const char *s, uint16_t *proto, const char **why);
/* "80" or "1024-65535" (1..65535). */
int conf_port_parse(const char *s, uint16_t *lo, uint16_t *hi, const char **why);
/* Decimal number no larger than max. */
int conf_uint_parse(const char *s, uint64_t max, uint64_t *out);

/* "aes-gcm-128", "aes-gcm-16-256", "aes-cbc-256", "aes-gmac-128", "chacha20-poly1305",
 * "null" -> enum encr_id and key bits. */
int conf_encr_parse(const char *s, uint16_t *id, uint16_t *bits);
/* "hmac-sha1-96", "hmac-sha2-256" (= hmac-sha2-256-128), "-384", "-512" -> enum integ_id. */
int conf_integ_parse(const char *s, uint16_t *id);

enum conf_life { CONF_LIFE_KB, CONF_LIFE_SEC };
/* "100000kb", "100mb", "1gb" (-> kB) or "3600s", "60min", "1h" (-> seconds); not zero. */
int conf_lifetime_parse(const char *s, enum conf_life *kind, uint64_t *val, const char **why);
/* "3s", "500ms" -> milliseconds, 1 ms .. 1 hour. */
int conf_duration_parse(const char *s, uint32_t *ms, const char **why);

/* `local-id` / `remote-id`: an IPv4/IPv6 literal (ID_IPV4_ADDR / ID_IPV6_ADDR), a text with
 * '=' (a DN, ID_DER_ASN1_DN: "CN=gw.example, O=Example"), user@fqdn (ID_RFC822_ADDR), @name
 * or a name (ID_FQDN). Explicit forms: fqdn:NAME, email:ADDR, dn:DN. */
int conf_id_parse(const char *s, struct spd_id *id, char *why, size_t whylen);

/* `ike-method` suite: dash-separated strongSwan-style names, one per transform type
 * ("aes256gcm16-prfsha384-ecp384", "aes128-sha256-x25519"). On error *off is the byte
 * offset of the offending name in s (0 for the word as a whole). */
int conf_ike_method_parse(const char *s, struct spd_ike_method *m, size_t *off, char *why,
			  size_t whylen);

#endif
