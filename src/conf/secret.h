/* Preshared keys from files (auth psk "path").
 *
 * A key file must be a regular file that neither group nor others may read or write (like
 * ssh and iked, a key anyone else can read is no secret); it holds the key as text with at
 * most one trailing newline removed, or, when it starts with "0x", as hex digits. The key is
 * never printed; buffers are wiped before they are freed.
 */
#ifndef ESPRIT_CONF_SECRET_H
#define ESPRIT_CONF_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_PSK_MAX 1024 /* bytes of key (hex form: 2 * this digits) */

/* Is the file acceptable as a PSK file (type, permissions, size, content format)? 0 or
 * -errno (-ENOENT, -EACCES, -EPERM for bad permissions, -EINVAL not a regular file / empty /
 * bad hex, -EFBIG too long). why (may be NULL) gets a sentence naming the file. */
int secret_psk_check(const char *path, char *why, size_t whylen);

/* Read the key: same checks, then *key (malloc'ed, to be freed with secret_psk_free) and
 * *len. */
int secret_psk_load(const char *path, uint8_t **key, size_t *len, char *why, size_t whylen);

/* Wipe and free. NULL is fine. */
void secret_psk_free(uint8_t *key, size_t len);

#endif
