/* The signing helper: private keys live in a separate process (iked-style privilege
 * separation, issue 5).
 *
 * signer_start() forks before the daemon opens any socket. The child loads the key files named
 * in the configuration (refusing files that group or others may read or write, like PSK
 * files), closes every other descriptor, marks itself non-dumpable and then only answers
 * requests on a SOCK_SEQPACKET socketpair; it exits when the parent closes its end.
 *
 *   request:  u8 op | u8 key index | u8 sigauth_alg | octets...      (op 1 = sign, 2 = pubkey)
 *   reply:    u8 status (0 ok, else an errno value) | signature or SPKI DER
 *
 * The parent never sees a private key: the API returns signatures and public keys only.
 * signer_start_inproc() keeps the keys in the calling process for unit tests and the fuzzer.
 */
#ifndef ESPRIT_IKE_SIGNER_H
#define ESPRIT_IKE_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ike/sigauth.h"

#define SIGNER_KEYS_MAX	  16
#define SIGNER_OCTETS_MAX 65536 /* SignedOctets: an IKE message (+ nonce + MAC) */
#define SIGNER_SPKI_MAX	  2048

struct signer;

/* Fork the helper; it loads paths[0..n-1] (PEM private keys). 0 on success (the helper is
 * running and has loaded every key); -EPERM a key file readable or writable by group/other,
 * -ENOENT, -EINVAL (not a key / unsupported key type), -ENOMEM, -errno of fork/socketpair.
 * why (may be NULL) names the file and the reason. */
int signer_start(struct signer **out, const char *const *paths, size_t n, char *why, size_t whylen);
/* Same contract, keys held in this process. Tests and fuzzers only. */
int signer_start_inproc(struct signer **out, const char *const *paths, size_t n, char *why,
			size_t whylen);
/* Close the socket, wait for the helper, free. NULL is fine. */
void signer_stop(struct signer *s);

/* Raw signature value (sigauth_sign_raw() semantics, ECDSA in DER) over octets with key
 * `key`. 0, -EINVAL (bad index, alg does not fit the key, octets too long), -ENOSPC,
 * -EIO (helper gone or failed). */
int signer_sign(struct signer *s, unsigned key, enum sigauth_alg alg, const uint8_t *octets,
		size_t len, uint8_t *sig, size_t cap, size_t *sig_len);
/* The public key (SubjectPublicKeyInfo DER) of key `key`, to check it against our
 * certificate (cert_store_own_key_matches()) and to learn its kind. 0, -EINVAL, -ENOSPC,
 * -EIO. */
int signer_pubkey(struct signer *s, unsigned key, uint8_t *spki, size_t cap, size_t *len);
/* Helper process id (0 for in-process). */
pid_t signer_pid(const struct signer *s);

#endif
