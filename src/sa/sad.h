/* Security Association Database: SAs by (SPI, destination, protocol), RFC 4301 4.4.2.
 * A hash table with chained buckets that grows with the number of SAs, so a lookup costs the
 * same with ten SAs or a hundred thousand. Not thread-safe; the data path pins SAs to a worker. */
#ifndef ESPRIT_SA_SAD_H
#define ESPRIT_SA_SAD_H

#include <stddef.h>
#include <stdint.h>

#include "sa/sa.h"

struct sad;

struct sad *sad_new(void);
/* Frees the table and every SA still in it (sa_free wipes their keys). */
void sad_free(struct sad *sad);
/* Insert; -EEXIST if an SA with the same (spi, dst, proto) exists, -ENOMEM. The SAD owns it. */
int sad_add(struct sad *sad, struct sa *sa);
struct sa *sad_lookup(const struct sad *sad, uint32_t spi, const struct ipaddr *dst, uint8_t proto);
/* Unlink and return the SA (the caller frees it), or NULL. */
struct sa *sad_remove(struct sad *sad, uint32_t spi, const struct ipaddr *dst, uint8_t proto);
size_t sad_count(const struct sad *sad);
/* Visit every SA; fn must not add or remove SAs. */
void sad_foreach(const struct sad *sad, void (*fn)(struct sa *sa, void *arg), void *arg);

/* Table shape, for statistics and tests: the number of buckets (a power of two) and the
 * bucket a key hashes to with this table's seed. */
size_t sad_buckets(const struct sad *sad);
size_t sad_bucket_index(const struct sad *sad, uint32_t spi, const struct ipaddr *dst,
			uint8_t proto);

#endif
