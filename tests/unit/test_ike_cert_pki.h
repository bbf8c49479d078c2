/* A throw-away PKI for the certificate and signature tests, made by the openssl command line
 * (an independent implementation path) in a temporary directory:
 *
 *   ca (P-256, self-signed) -> int (P-256 intermediate) -> ee_rsa (RSA-2048), ee_p256,
 *                                                         ee_p384, ee_p521, ee_ed (Ed25519),
 *                                                         ee_short (valid one day),
 *                                                         ee_codesign (EKU codeSigning only),
 *                                                         ee_rsa1024
 *   other_ca (P-256, self-signed) -> ee_other
 *
 * Every end entity has subjectAltName IP:10.1.0.1, IP:2001:db8:1::1, DNS:fe.example,
 * email:fe@example.com and subject CN=<name>, O=esprit. For each X there are X.key (mode 0600),
 * X.pem, X.der (DER certificate), X.pub.der and X.pub.pem (SubjectPublicKeyInfo, from the key) and
 * for the CAs X.spki.sha1 (binary SHA-1 of the SubjectPublicKeyInfo, RFC 7296 3.7, via openssl
 * dgst). Only for test programs; included by one .c each.
 */
#ifndef ESPRIT_TEST_IKE_CERT_PKI_H
#define ESPRIT_TEST_IKE_CERT_PKI_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char pki_script[] =
	"set -e\n"
	"exec >pki.log 2>&1\n"
	"key() { case $2 in\n"
	"  rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $1.key;;\n"
	"  rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out $1.key;;\n"
	"  ed) openssl genpkey -algorithm ED25519 -out $1.key;;\n"
	"  *) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$2 -out $1.key;;\n"
	"  esac; chmod 600 $1.key\n"
	"  openssl pkey -in $1.key -pubout -out $1.pub.pem\n"
	"  openssl pkey -in $1.key -pubout -outform DER -out $1.pub.der; }\n"
	"ca() { key $1 P-256\n"
	"  openssl req -x509 -new -key $1.key -subj \"/CN=$1/O=esprit\" -days 3650 \\\n"
	"    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \\\n"
	"    -out $1.pem\n"
	"  openssl dgst -sha1 -binary -out $1.spki.sha1 $1.pub.der; }\n"
	"sign() { # name keytype issuer days extra-extensions\n"
	"  key $1 $2\n"
	"  printf '%s\\n' \"[v3]\" \"$5\" >$1.ext\n"
	"  openssl req -new -key $1.key -subj \"/CN=$1/O=esprit\" -out $1.csr\n"
	"  openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -days $4 \\\n"
	"    -extfile $1.ext -extensions v3 -out $1.pem\n"
	"  openssl x509 -in $1.pem -outform DER -out $1.der; }\n"
	"SAN='subjectAltName=IP:10.1.0.1,IP:2001:db8:1::1,DNS:fe.example,email:fe@example.com'\n"
	"ca ca\n"
	"sign int P-256 ca 3650 'basicConstraints=critical,CA:true\n"
	"keyUsage=critical,keyCertSign'\n"
	"openssl dgst -sha1 -binary -out int.spki.sha1 int.pub.der\n"
	"sign ee_rsa rsa int 30 \"$SAN\"\n"
	"sign ee_p256 P-256 int 30 \"$SAN\n"
	"keyUsage=critical,digitalSignature\"\n"
	"sign ee_p384 P-384 int 30 \"$SAN\"\n"
	"sign ee_p521 P-521 int 30 \"$SAN\"\n"
	"sign ee_ed ed int 30 \"$SAN\"\n"
	"sign ee_short P-256 int 1 \"$SAN\"\n"
	"sign ee_codesign P-256 int 30 \"$SAN\n"
	"extendedKeyUsage=codeSigning\"\n"
	"sign ee_rsa1024 rsa1024 int 30 \"$SAN\"\n"
	"ca other_ca\n"
	"sign ee_other P-256 other_ca 30 \"$SAN\"\n"
	"cat ee_p256.pem int.pem >ee_p256_chain.pem\n"
	"cat ee_rsa.pem int.pem >ee_rsa_chain.pem\n";

static char pki_dir[64];

/* Make the PKI; 0 or -1 (then pki.log in the directory says why). */
static int pki_make(void)
{
	char cmd[256];
	FILE *f;

	strcpy(pki_dir, "/tmp/esprit-pki-XXXXXX");
	if (!mkdtemp(pki_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/mk.sh", pki_dir);
	f = fopen(cmd, "w");
	if (!f)
		return -1;
	fputs(pki_script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sh mk.sh", pki_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "pki: openssl failed, see %s/pki.log\n", pki_dir);
		return -1;
	}
	return 0;
}

static void pki_remove(void)
{
	char cmd[128];

	if (!pki_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pki: could not remove %s\n", pki_dir);
}

/* dir/name (static buffer, one at a time per slot 0..3). */
static const char *pki_path(const char *name)
{
	static char buf[4][160];
	static unsigned slot;
	char *p = buf[slot++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", pki_dir, name);
	return p;
}

/* Whole file, malloc'ed (NULL if unreadable). */
static uint8_t *pki_read(const char *name, size_t *len)
{
	FILE *f = fopen(pki_path(name), "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif
