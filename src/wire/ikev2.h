/* IKEv2 messages and payloads on the wire (RFC 7296 3, RFC 7383 2.5): parse and build.
 *
 * A pure wire layer. ikev2_msg_parse() takes the bytes of one datagram (after the non-ESP
 * marker on port 4500) and fills a struct ikev2_msg whose fields point into those bytes: no
 * copy, no allocation, no SA state. It stops at the Encrypted payload (SK, which RFC 7296 3.14
 * says is last) and reports the SK body as an opaque blob with its offsets and AAD span; once
 * the crypto layer has verified and decrypted it, ikev2_inner_parse() walks the plaintext
 * payload chain into the same struct. Which payload types may appear outside SK, inside it,
 * or both, is one table in ikev2.c.
 *
 * Builders write into a struct wr through struct ikev2_wr, which keeps the chain of Next
 * Payload fields and the open payload's Length field to patch (ikev2_pld_open/_close); there
 * is one ikev2_put_*() writer for every payload the parser knows, so anything parsed can be
 * written back (ikev2_msg_build) and compared.
 */
#ifndef ESPRIT_WIRE_IKEV2_H
#define ESPRIT_WIRE_IKEV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rw.h"

/* RFC 7296 3.1: IKE header.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define IKEV2_HDR_LEN	   28
#define IKEV2_MAJOR	   2
#define IKEV2_MINOR	   0
#define IKEV2_HDR_NEXT_OFF 16 /* offset of the header's Next Payload field */

/* Flags (RFC 7296 3.1); the other bits are cleared on send and ignored on receipt. */
#define IKEV2_FLAG_I 0x08 /* sent by the original initiator of the IKE SA */
#define IKEV2_FLAG_V 0x10 /* sender can speak a higher major version */
#define IKEV2_FLAG_R 0x20 /* this message is a response */

/* Exchange types (RFC 7296 3.1, IANA "IKEv2 Exchange Types"). */
enum ikev2_exchange {
	IKEV2_EXCH_IKE_SA_INIT = 34,
	IKEV2_EXCH_IKE_AUTH = 35,
	IKEV2_EXCH_CREATE_CHILD_SA = 36,
	IKEV2_EXCH_INFORMATIONAL = 37,
	IKEV2_EXCH_IKE_SESSION_RESUME = 38, /* RFC 5723 */
	IKEV2_EXCH_IKE_INTERMEDIATE = 43,   /* RFC 9242 */
};

struct ikev2_hdr {
	uint64_t ispi; /* the 8 SPI octets read as a big-endian number */
	uint64_t rspi;
	uint8_t next; /* type of the first payload */
	uint8_t major, minor;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

/* RFC 7296 3.2: generic payload header.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define IKEV2_PLD_HDR_LEN  4
#define IKEV2_PLD_CRITICAL 0x80

/* Payload types (RFC 7296 3.2, RFC 7383 2.5). */
enum ikev2_payload {
	IKEV2_PLD_NONE = 0,
	IKEV2_PLD_SA = 33,
	IKEV2_PLD_KE = 34,
	IKEV2_PLD_IDI = 35,
	IKEV2_PLD_IDR = 36,
	IKEV2_PLD_CERT = 37,
	IKEV2_PLD_CERTREQ = 38,
	IKEV2_PLD_AUTH = 39,
	IKEV2_PLD_NONCE = 40,
	IKEV2_PLD_NOTIFY = 41,
	IKEV2_PLD_DELETE = 42,
	IKEV2_PLD_VENDOR = 43,
	IKEV2_PLD_TSI = 44,
	IKEV2_PLD_TSR = 45,
	IKEV2_PLD_SK = 46,
	IKEV2_PLD_CP = 47,
	IKEV2_PLD_EAP = 48, /* not supported: walked over like an unknown payload */
	IKEV2_PLD_SKF = 53, /* RFC 7383 */
};

/* Protocol IDs (RFC 7296 3.3.1). */
enum ikev2_proto {
	IKEV2_PROTO_NONE = 0,
	IKEV2_PROTO_IKE = 1,
	IKEV2_PROTO_AH = 2,
	IKEV2_PROTO_ESP = 3,
};

/* RFC 7296 3.3: Security Association payload, a list of proposals.
 *
 * Proposal substructure (RFC 7296 3.3.1):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform substructure (RFC 7296 3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Data attribute (RFC 7296 3.3.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define IKEV2_PROP_HDR_LEN    8
#define IKEV2_XFORM_HDR_LEN   8
#define IKEV2_LAST_PROP_MORE  2
#define IKEV2_LAST_XFORM_MORE 3
#define IKEV2_ATTR_TV	      0x8000 /* AF bit: the value is in the header */
#define IKEV2_ATTR_KEY_LENGTH 14     /* RFC 7296 3.3.5, always TV */

enum ikev2_xform_type {
	IKEV2_XF_ENCR = 1,
	IKEV2_XF_PRF = 2,
	IKEV2_XF_INTEG = 3,
	IKEV2_XF_DH = 4,
	IKEV2_XF_ESN = 5,
};

/* Transform IDs, type 1 (RFC 7296 3.3.2, IANA). */
enum ikev2_encr {
	IKEV2_ENCR_3DES = 3,
	IKEV2_ENCR_NULL = 11,
	IKEV2_ENCR_AES_CBC = 12,
	IKEV2_ENCR_AES_CTR = 13,
	IKEV2_ENCR_AES_CCM_8 = 14,
	IKEV2_ENCR_AES_CCM_12 = 15,
	IKEV2_ENCR_AES_CCM_16 = 16,
	IKEV2_ENCR_AES_GCM_8 = 18,
	IKEV2_ENCR_AES_GCM_12 = 19,
	IKEV2_ENCR_AES_GCM_16 = 20,
	IKEV2_ENCR_NULL_AUTH_AES_GMAC = 21,
	IKEV2_ENCR_CHACHA20_POLY1305 = 28,
};

/* Type 2 (PRF). */
enum ikev2_prf {
	IKEV2_PRF_HMAC_MD5 = 1,
	IKEV2_PRF_HMAC_SHA1 = 2,
	IKEV2_PRF_AES128_XCBC = 4,
	IKEV2_PRF_HMAC_SHA2_256 = 5,
	IKEV2_PRF_HMAC_SHA2_384 = 6,
	IKEV2_PRF_HMAC_SHA2_512 = 7,
	IKEV2_PRF_AES128_CMAC = 8,
};

/* Type 3 (integrity). */
enum ikev2_integ {
	IKEV2_INTEG_NONE = 0,
	IKEV2_INTEG_HMAC_MD5_96 = 1,
	IKEV2_INTEG_HMAC_SHA1_96 = 2,
	IKEV2_INTEG_AES_XCBC_96 = 5,
	IKEV2_INTEG_AES_CMAC_96 = 8,
	IKEV2_INTEG_HMAC_SHA2_256_128 = 12,
	IKEV2_INTEG_HMAC_SHA2_384_192 = 13,
	IKEV2_INTEG_HMAC_SHA2_512_256 = 14,
};

/* Type 4 (Diffie-Hellman groups, RFC 7296 3.3.2, RFC 3526, RFC 5903, RFC 8031). */
enum ikev2_dh {
	IKEV2_DH_NONE = 0,
	IKEV2_DH_MODP768 = 1,
	IKEV2_DH_MODP1024 = 2,
	IKEV2_DH_MODP1536 = 5,
	IKEV2_DH_MODP2048 = 14,
	IKEV2_DH_MODP3072 = 15,
	IKEV2_DH_MODP4096 = 16,
	IKEV2_DH_MODP6144 = 17,
	IKEV2_DH_MODP8192 = 18,
	IKEV2_DH_ECP256 = 19,
	IKEV2_DH_ECP384 = 20,
	IKEV2_DH_ECP521 = 21,
	IKEV2_DH_CURVE25519 = 31,
	IKEV2_DH_CURVE448 = 32,
};

/* Type 5 (Extended Sequence Numbers). */
enum ikev2_esn {
	IKEV2_ESN_NO = 0,
	IKEV2_ESN_YES = 1,
};

#define IKEV2_MAX_PROPOSALS  16
#define IKEV2_MAX_TRANSFORMS 32

struct ikev2_transform {
	uint8_t type;	   /* enum ikev2_xform_type; unknown types are kept, the policy decides */
	uint16_t id;	   /* transform ID */
	uint16_t key_bits; /* KEY_LENGTH attribute, 0 when absent */
	bool has_key_len;
	/* RFC 7296 3.3.6: a proposal with an attribute we do not know must be rejected; that is a
	 * policy decision, so it is reported, not refused here. */
	bool unknown_attr;
};

struct ikev2_proposal {
	uint8_t num;
	uint8_t proto;	  /* enum ikev2_proto */
	uint8_t spi_size; /* 0 or 8 for IKE, 4 for ESP/AH */
	const uint8_t *spi;
	uint8_t nxf;
	struct ikev2_transform xf[IKEV2_MAX_TRANSFORMS];
};

struct ikev2_sa {
	uint8_t nprop;
	struct ikev2_proposal prop[IKEV2_MAX_PROPOSALS];
};

/* RFC 7296 3.4: Key Exchange payload.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct ikev2_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.5: Identification payloads (IDi, IDr).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_id_type {
	IKEV2_ID_IPV4_ADDR = 1,
	IKEV2_ID_FQDN = 2,
	IKEV2_ID_RFC822_ADDR = 3,
	IKEV2_ID_IPV6_ADDR = 5,
	IKEV2_ID_DER_ASN1_DN = 9,
	IKEV2_ID_DER_ASN1_GN = 10,
	IKEV2_ID_KEY_ID = 11,
};

struct ikev2_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
	/* RFC 7296 2.15: AUTH signs the body after the generic header (ID Type through data). */
	const uint8_t *body;
	size_t body_len;
};

/* RFC 7296 3.6 / 3.7: Certificate and Certificate Request payloads.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~       Certificate Data / Certification Authority              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_cert_enc {
	IKEV2_CERT_X509_SIG = 4,
	IKEV2_CERT_X509_CRL = 7,
	IKEV2_CERT_RAW_RSA_KEY = 11,
	IKEV2_CERT_HASH_URL_X509 = 12,
	IKEV2_CERT_RAW_PUBKEY = 15, /* RFC 7670 */
};

struct ikev2_cert {
	uint8_t enc;
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.8: Authentication payload.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_auth_method {
	IKEV2_AUTH_RSA_SIG = 1,
	IKEV2_AUTH_PSK = 2, /* Shared Key Message Integrity Code */
	IKEV2_AUTH_DSS_SIG = 3,
	IKEV2_AUTH_ECDSA_256 = 9, /* RFC 4754 */
	IKEV2_AUTH_ECDSA_384 = 10,
	IKEV2_AUTH_ECDSA_521 = 11,
	IKEV2_AUTH_DIGITAL_SIG = 14, /* RFC 7427 */
};

struct ikev2_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.9: Nonce payload; Nonce Data is 16 to 256 octets. */
#define IKEV2_NONCE_MIN 16
#define IKEV2_NONCE_MAX 256

struct ikev2_nonce {
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.10: Notify payload.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_notify_type {
	/* errors (RFC 7296 3.10.1) */
	IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKEV2_N_INVALID_IKE_SPI = 4,
	IKEV2_N_INVALID_MAJOR_VERSION = 5,
	IKEV2_N_INVALID_SYNTAX = 7,
	IKEV2_N_INVALID_MESSAGE_ID = 9,
	IKEV2_N_INVALID_SPI = 11,
	IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV2_N_INVALID_KE_PAYLOAD = 17,
	IKEV2_N_AUTHENTICATION_FAILED = 24,
	IKEV2_N_SINGLE_PAIR_REQUIRED = 34,
	IKEV2_N_NO_ADDITIONAL_SAS = 35,
	IKEV2_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKEV2_N_FAILED_CP_REQUIRED = 37,
	IKEV2_N_TS_UNACCEPTABLE = 38,
	IKEV2_N_INVALID_SELECTORS = 39,
	IKEV2_N_TEMPORARY_FAILURE = 43,
	IKEV2_N_CHILD_SA_NOT_FOUND = 44,
	/* status (RFC 7296 3.10.1 and later RFCs) */
	IKEV2_N_INITIAL_CONTACT = 16384,
	IKEV2_N_SET_WINDOW_SIZE = 16385,
	IKEV2_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKEV2_N_IPCOMP_SUPPORTED = 16387,
	IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKEV2_N_COOKIE = 16390,
	IKEV2_N_USE_TRANSPORT_MODE = 16391,
	IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKEV2_N_REKEY_SA = 16393,
	IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKEV2_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKEV2_N_MOBIKE_SUPPORTED = 16396,	       /* RFC 4555 */
	IKEV2_N_REDIRECT_SUPPORTED = 16406,	       /* RFC 5685 */
	IKEV2_N_EAP_ONLY_AUTHENTICATION = 16417,       /* RFC 5998 */
	IKEV2_N_CHILDLESS_IKEV2_SUPPORTED = 16418,     /* RFC 6023 */
	IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430, /* RFC 7383 */
	IKEV2_N_SIGNATURE_HASH_ALGORITHMS = 16431,     /* RFC 7427 */
};
#define IKEV2_N_ERROR_MAX 16383 /* types below 16384 are errors */

struct ikev2_notify {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.11: Delete payload.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct ikev2_delete {
	uint8_t proto;
	uint8_t spi_size; /* 0 for IKE, 4 for ESP/AH */
	uint16_t nspi;
	const uint8_t *spis; /* nspi * spi_size octets */
};

/* RFC 7296 3.12: Vendor ID payload, opaque. */
struct ikev2_vendor {
	const uint8_t *data;
	size_t len;
};

/* RFC 7296 3.13: Traffic Selector payloads (TSi, TSr).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic selector (RFC 7296 3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_ts_type {
	IKEV2_TS_IPV4_ADDR_RANGE = 7,
	IKEV2_TS_IPV6_ADDR_RANGE = 8,
};
#define IKEV2_TS_IPV4_LEN 16
#define IKEV2_TS_IPV6_LEN 40
#define IKEV2_MAX_TS	  16

struct ikev2_ts {
	uint8_t type;
	uint8_t ip_proto; /* 0: any */
	uint16_t start_port, end_port;
	const uint8_t *start; /* 4 or 16 octets */
	const uint8_t *end;
};

struct ikev2_ts_list {
	uint8_t nts;
	struct ikev2_ts ts[IKEV2_MAX_TS];
};

/* RFC 7296 3.14: Encrypted and Authenticated payload, and RFC 7383 2.5: its fragment.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |  (SKF only)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Here the body (IV through ICV) is an opaque blob: its split depends on the negotiated
 * algorithms. Offsets are from the start of the message. The AAD of an AEAD (RFC 5282 5.1,
 * RFC 7383 2.5) is the message from the IKE header through the end of the SK(F) header, i.e.
 * [0, body_off); integrity-only algorithms cover [0, length - icv).
 */
#define IKEV2_SKF_HDR_LEN 8

struct ikev2_sk {
	uint8_t first;	   /* Next Payload of SK(F): the type of the first inner payload */
	size_t pld_off;	   /* the SK(F) generic header */
	size_t body_off;   /* IV || ciphertext || padding || ICV */
	size_t body_len;   /* to the end of the message */
	size_t aad_len;	   /* == body_off */
	uint16_t frag_num; /* SKF only: 1 .. frag_total */
	uint16_t frag_total;
};

/* RFC 7296 3.15: Configuration payload.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C| RESERVED    |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Configuration attribute (RFC 7296 3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
enum ikev2_cfg_type {
	IKEV2_CFG_REQUEST = 1,
	IKEV2_CFG_REPLY = 2,
	IKEV2_CFG_SET = 3,
	IKEV2_CFG_ACK = 4,
};

enum ikev2_cfg_attr {
	IKEV2_CFG_INTERNAL_IP4_ADDRESS = 1,
	IKEV2_CFG_INTERNAL_IP4_NETMASK = 2,
	IKEV2_CFG_INTERNAL_IP4_DNS = 3,
	IKEV2_CFG_INTERNAL_IP6_ADDRESS = 8,
	IKEV2_CFG_INTERNAL_IP6_DNS = 10,
	IKEV2_CFG_INTERNAL_IP4_SUBNET = 13,
	IKEV2_CFG_SUPPORTED_ATTRIBUTES = 14,
	IKEV2_CFG_INTERNAL_IP6_SUBNET = 15,
};
#define IKEV2_MAX_CP_ATTRS 16

struct ikev2_cp_attr {
	uint16_t type; /* 15 bits; the R bit is ignored on receipt */
	const uint8_t *value;
	size_t len;
};

struct ikev2_cp {
	uint8_t cfg_type;
	uint8_t nattr;
	struct ikev2_cp_attr attr[IKEV2_MAX_CP_ATTRS];
};

/* Parse results. Names for logs come from ikev2_err_name(); ikev2_err_notify() gives the
 * notification a responder answers with. */
#define IKEV2_ERRORS(X)                                                                          \
	X(OK, "ok")                                                                              \
	X(TRUNCATED, "truncated")		    /* fewer octets than a fixed header needs */ \
	X(BAD_LENGTH, "bad length")		    /* a length field disagrees with the data */ \
	X(BAD_VERSION, "unsupported major version") /* -> INVALID_MAJOR_VERSION */               \
	X(CRITICAL, "unsupported critical payload") /* -> UNSUPPORTED_CRITICAL_PAYLOAD */        \
	X(TOO_MANY, "too many items")                                                            \
	X(BAD_PROPOSAL, "malformed proposal")                                                    \
	X(BAD_SPI_SIZE, "bad SPI size")                                                          \
	X(BAD_ATTR, "malformed attribute")                                                       \
	X(BAD_ID, "bad identification")                                                          \
	X(BAD_NONCE, "bad nonce length")                                                         \
	X(BAD_TS, "bad traffic selector")                                                        \
	X(BAD_PAYLOAD, "malformed payload")                                                      \
	X(DUPLICATE, "duplicate payload")                                                        \
	X(NOT_ALLOWED, "payload not allowed here")                                               \
	X(SK_NOT_LAST, "encrypted payload not last")                                             \
	X(BAD_FRAGMENT, "bad fragment numbers")                                                  \
	X(NO_SPACE, "output buffer too small")

#define IKEV2_ERR_ENUM(n, s) IKEV2_ERR_##n,
enum ikev2_err { IKEV2_ERRORS(IKEV2_ERR_ENUM) IKEV2_ERR_MAX };
#undef IKEV2_ERR_ENUM
#define IKEV2_OK IKEV2_ERR_OK

/* Bounds on repeatable payloads in one message (outer and inner together). */
#define IKEV2_MAX_NOTIFY   16
#define IKEV2_MAX_VENDOR   16
#define IKEV2_MAX_CERT	   8
#define IKEV2_MAX_CERTREQ  8
#define IKEV2_MAX_DELETE   8
#define IKEV2_MAX_PAYLOADS 64

/* One payload as it appeared, in order: the log line and the rebuild follow this list. */
struct ikev2_pld {
	uint8_t type;
	bool critical;
	bool inner; /* from the decrypted SK content */
	bool known; /* false: skipped (unknown, non-critical, or EAP) */
	size_t off; /* of the generic header; in the message or in the inner buffer */
	const uint8_t *body;
	size_t body_len;
};

struct ikev2_msg {
	struct ikev2_hdr hdr;
	const uint8_t *buf;
	size_t len;

	struct ikev2_sa sa;
	struct ikev2_ke ke;
	struct ikev2_id idi, idr;
	struct ikev2_auth auth;
	struct ikev2_nonce nonce;
	struct ikev2_ts_list tsi, tsr;
	struct ikev2_cp cp;
	struct ikev2_sk sk; /* SK or SKF, whichever was present (has_sk / has_skf) */
	bool has_sa, has_ke, has_idi, has_idr, has_auth, has_nonce, has_tsi, has_tsr, has_cp;
	bool has_sk, has_skf;

	uint8_t nnotify, nvendor, ncert, ncertreq, ndelete;
	struct ikev2_notify notify[IKEV2_MAX_NOTIFY];
	struct ikev2_vendor vendor[IKEV2_MAX_VENDOR];
	struct ikev2_cert cert[IKEV2_MAX_CERT];
	struct ikev2_cert certreq[IKEV2_MAX_CERTREQ];
	struct ikev2_delete del[IKEV2_MAX_DELETE];

	uint8_t npld;
	struct ikev2_pld pld[IKEV2_MAX_PAYLOADS];

	/* On error: the payload type being parsed (for CRITICAL: the unknown type to put in
	 * UNSUPPORTED_CRITICAL_PAYLOAD) and the offset of its generic header. */
	uint8_t err_type;
	size_t err_off;
};

/* Parse one IKEv2 message of exactly len octets. On IKEV2_ERR_BAD_VERSION the header fields
 * are filled, so the caller can answer INVALID_MAJOR_VERSION to the right SPIs. */
enum ikev2_err ikev2_msg_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m);
/* Parse the decrypted content of m's SK payload: a chain of payloads starting with type
 * m->sk.first that covers exactly len octets (padding and ICV already removed). Adds to m. */
enum ikev2_err ikev2_inner_parse(const uint8_t *buf, size_t len, uint8_t first,
				 struct ikev2_msg *m);
/* Only the fixed header: for demultiplexing before a full parse. */
enum ikev2_err ikev2_hdr_parse(const uint8_t *buf, size_t len, struct ikev2_hdr *h);

/* The notification that answers a message refused with err (RFC 7296 3.10.1). */
uint16_t ikev2_err_notify(enum ikev2_err err);

/* Names for logs; values without a name give "?". */
const char *ikev2_err_name(enum ikev2_err err);
const char *ikev2_exchange_name(uint8_t exch);
const char *ikev2_payload_name(uint8_t type);
const char *ikev2_notify_name(uint16_t type);
const char *ikev2_proto_name(uint8_t proto);
const char *ikev2_xform_type_name(uint8_t type);
/* Name of a transform ID within its type ("AES_GCM_16", "HMAC_SHA2_256", "ECP_256"). */
const char *ikev2_xform_id_name(uint8_t type, uint16_t id);
const char *ikev2_id_type_name(uint8_t type);
const char *ikev2_auth_method_name(uint8_t method);
const char *ikev2_ts_type_name(uint8_t type);

/* One log line for a parsed message, in the order the payloads came, inner ones in braces:
 * "IKE_AUTH request 1 [ SK { IDi AUTH N(INITIAL_CONTACT) SA TSi TSr } ]". Always
 * NUL-terminated (cut short if cap is too small); returns the length it wanted. */
size_t ikev2_msg_describe(const struct ikev2_msg *m, char *out, size_t cap);

/* Where a payload type may appear (the table in ikev2.c). */
#define IKEV2_WHERE_OUTER 0x01 /* in the clear, before SK */
#define IKEV2_WHERE_INNER 0x02 /* inside SK */
unsigned ikev2_payload_where(uint8_t type);

/* ---- building ---- */

struct ikev2_wr {
	struct wr w;
	size_t start;	 /* offset of the IKE header, or of the first inner payload */
	size_t next_off; /* the Next Payload field to patch with the next payload's type */
	size_t open_off; /* generic header of the payload being written, SIZE_MAX if none */
	bool inner;	 /* a bare chain (SK plaintext): no IKE header */
	uint8_t first;	 /* inner: type of the first payload written */
	bool err;	 /* a length did not fit its field */
};

/* Start a message with header h (its next and length are filled in as payloads are added). */
void ikev2_wr_init(struct ikev2_wr *b, uint8_t *buf, size_t cap, const struct ikev2_hdr *h);
/* Start a bare chain of payloads, the plaintext of an SK payload. */
void ikev2_wr_init_inner(struct ikev2_wr *b, uint8_t *buf, size_t cap);
/* Open a payload: link it into the chain, write a generic header with a length to patch (a
 * payload still open is closed first). */
void ikev2_pld_open(struct ikev2_wr *b, uint8_t type, bool critical);
/* Close the open payload: patch its Payload Length. */
void ikev2_pld_close(struct ikev2_wr *b);
/* Patch the IKE header length; returns IKEV2_OK and the total length, or IKEV2_ERR_NO_SPACE
 * (buffer too small) / IKEV2_ERR_BAD_LENGTH (a payload over 65535 octets). */
enum ikev2_err ikev2_wr_finish(struct ikev2_wr *b, size_t *len);

void ikev2_put_sa(struct ikev2_wr *b, const struct ikev2_sa *sa);
void ikev2_put_ke(struct ikev2_wr *b, const struct ikev2_ke *ke);
void ikev2_put_id(struct ikev2_wr *b, uint8_t type, const struct ikev2_id *id);	   /* IDi/IDr */
void ikev2_put_cert(struct ikev2_wr *b, uint8_t type, const struct ikev2_cert *c); /* CERT(REQ) */
void ikev2_put_auth(struct ikev2_wr *b, const struct ikev2_auth *a);
void ikev2_put_nonce(struct ikev2_wr *b, const struct ikev2_nonce *n);
void ikev2_put_notify(struct ikev2_wr *b, const struct ikev2_notify *n);
void ikev2_put_delete(struct ikev2_wr *b, const struct ikev2_delete *d);
void ikev2_put_vendor(struct ikev2_wr *b, const struct ikev2_vendor *v);
void ikev2_put_ts(struct ikev2_wr *b, uint8_t type, const struct ikev2_ts_list *ts); /* TSi/TSr */
void ikev2_put_cp(struct ikev2_wr *b, const struct ikev2_cp *cp);
/* SK: the body (IV through ICV, body_len octets) is reserved and returned for the crypto
 * layer to fill; sk->pld_off/body_off/aad_len are set. Must be the last payload. */
uint8_t *ikev2_put_sk(struct ikev2_wr *b, uint8_t first, size_t body_len, struct ikev2_sk *sk);
/* SKF (RFC 7383 2.5): the same with fragment number and total. */
uint8_t *ikev2_put_skf(struct ikev2_wr *b, uint8_t first, uint16_t num, uint16_t total,
		       size_t body_len, struct ikev2_sk *sk);
/* Any payload from an opaque body (unknown types, or bodies made elsewhere). */
void ikev2_put_raw(struct ikev2_wr *b, uint8_t type, bool critical, const uint8_t *body,
		   size_t len);

/* Write a parsed message back: the outer payloads in their order (SK's body copied as is).
 * ikev2_inner_build writes the inner payloads as a bare chain and gives the first type. */
enum ikev2_err ikev2_msg_build(const struct ikev2_msg *m, uint8_t *buf, size_t cap, size_t *len);
enum ikev2_err ikev2_inner_build(const struct ikev2_msg *m, uint8_t *buf, size_t cap, size_t *len,
				 uint8_t *first);

#endif
