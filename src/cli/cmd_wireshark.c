/* esprit export-wireshark: the installed ESP SAs as lines of Wireshark's `esp_sa` UAT table
 * (Preferences > Protocols > ESP > ESP SAs), so that tshark/Wireshark can decrypt a capture.
 * Fields, as the ESP dissector of Wireshark 4.0 reads them: protocol, source address,
 * destination address, SPI, encryption algorithm, encryption key, authentication algorithm,
 * authentication key. Keys are left empty unless --keys asks espritd for them (`sa-keys`,
 * which the daemon logs). */
#include "cli/cli_ctl.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/cipher.h"
#include "lib/util.h"

/* Wireshark's names for our transforms; NULL when its ESP dissector cannot decrypt one. */
static const char *ws_encr(uint64_t encr, uint64_t icv)
{
	switch (encr) {
	case ENCR_NULL:
		return "NULL";
	case ENCR_AES_CBC:
		return "AES-CBC [RFC3602]";
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
		return icv == 8	   ? "AES-GCM with 8 octet ICV [RFC4106]"
		       : icv == 12 ? "AES-GCM with 12 octet ICV [RFC4106]"
				   : "AES-GCM with 16 octet ICV [RFC4106]";
	default:
		return NULL; /* GMAC, ChaCha20-Poly1305: not in Wireshark 4.0's table */
	}
}

static const char *ws_integ(uint64_t integ)
{
	switch (integ) {
	case AUTH_NONE:
		return "NULL";
	case AUTH_HMAC_SHA1_96:
		return "HMAC-SHA-1-96 [RFC2404]";
	case AUTH_HMAC_SHA2_256_128:
		return "HMAC-SHA-256-128 [RFC4868]";
	case AUTH_HMAC_SHA2_384_192:
		return "HMAC-SHA-384-192 [RFC4868]";
	case AUTH_HMAC_SHA2_512_256:
		return "HMAC-SHA-512-256 [RFC4868]";
	default:
		return NULL;
	}
}

/* A key field: "0x..." as the daemon sent it, or empty. */
static const char *ws_key(const struct ctlmsg_reply *r, size_t a, size_t b, const char *key)
{
	const char *v = ctlmsg_get(r, a, b, key);

	return v && strncmp(v, "0x", 2) == 0 ? v : "";
}

static void ws_line(const struct ctlmsg_reply *r, size_t a, size_t b)
{
	const char *spi = ctlc_str(r, a, b, "spi"), *alg = ctlc_str(r, a, b, "alg");
	const char *encr, *integ;

	if (strcmp(ctlc_str(r, a, b, "proto"), "esp") != 0) {
		printf("# SA %s (%s, AH): not an ESP SA; Wireshark dissects AH without keys\n", spi,
		       alg);
		return;
	}
	encr = ws_encr(ctlc_u64(r, a, b, "encr_id"), ctlc_u64(r, a, b, "icv_len"));
	integ = ws_integ(ctlc_u64(r, a, b, "integ_id"));
	if (!encr || !integ) {
		printf("# SA %s (%s): Wireshark's ESP dissector cannot decrypt this algorithm\n",
		       spi, alg);
		return;
	}
	printf("\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"\n",
	       strcmp(ctlc_str(r, a, b, "family"), "ipv6") ? "IPv4" : "IPv6",
	       ctlc_str(r, a, b, "src"), ctlc_str(r, a, b, "dst"), spi, encr,
	       ws_key(r, a, b, "encr_key"), integ, ws_key(r, a, b, "integ_key"));
}

int cmd_export_wireshark(const struct cli_cmd *c, int argc, char **argv)
{
	struct ctlmsg_reply *r;
	struct ctlc_opts o;
	size_t a, b;
	int rc = ctlc_args(c, argc, argv, CTLC_OPT_KEYS, &o);

	if (rc >= 0)
		return rc;
	if (ctlc_query(&o, o.keys ? CTL_REQ_SA_KEYS : CTL_REQ_SA, &r) != CLI_OK)
		return CLI_FAIL;
	printf("# Wireshark ESP SAs (esp_sa) from espritd at %s\n"
	       "# Save as ~/.config/wireshark/esp_sa, or give tshark each line as\n"
	       "#   -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:LINE'\n",
	       o.path);
	if (!o.keys)
		printf("# Keys left out: run 'esprit export-wireshark --keys' to include them.\n");
	for (a = ctlmsg_find(r, 0, r->n, "sa"); a < r->n; a = b) {
		b = ctlmsg_find(r, a + 1, r->n, "sa");
		ws_line(r, a, b);
	}
	fflush(stdout);
	wipe(r->text, sizeof(r->text)); /* the keys, with --keys */
	free(r);
	return CLI_OK;
}
