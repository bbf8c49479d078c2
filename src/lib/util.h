/* Small helpers used everywhere. */
#ifndef ESPRIT_LIB_UTIL_H
#define ESPRIT_LIB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))
#define likely(x)     __builtin_expect(!!(x), 1)
#define unlikely(x)   __builtin_expect(!!(x), 0)

/* Constant-time equality for MACs, ICVs and PSK-derived values (CRYPTO_memcmp). */
bool ct_equal(const void *a, const void *b, size_t n);
/* Wipe secrets so the compiler cannot elide it (OPENSSL_cleanse). */
void wipe(void *p, size_t n);

/* Hex encoding for logs and test tools; out must hold 2*n+1 bytes. */
void hex_encode(char *out, const uint8_t *in, size_t n);
/* Decode hex (whitespace and ':' ignored) into out; returns bytes written or -1. */
long hex_decode(uint8_t *out, size_t cap, const char *in);

#endif
