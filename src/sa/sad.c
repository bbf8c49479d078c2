/* Security Association Database (RFC 4301 4.4.2): a chained hash table keyed by
 * (SPI, destination, protocol). The bucket count is a power of two and doubles when there are
 * more SAs than buckets, so chains stay short. The hash is seeded at random per table so a
 * peer that chooses SPIs cannot aim them all at one bucket. Lookups never allocate.
 */
#include "sa/sad.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "lib/util.h"

#define SAD_MIN_BUCKETS 16u

struct sad {
	struct sa **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	uint32_t seed;
};

static uint32_t sad_seed(void)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1)
		return seed;
	return 0x9e3779b9u; /* unseeded still works, just predictably */
}

/* Final mix (murmur3's fmix32) so the SPI's bits reach the low bits used as the index. */
static uint32_t sad_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t sad_hash(uint32_t seed, uint32_t spi, const struct ipaddr *dst, uint8_t proto)
{
	return sad_mix(ipaddr_hash(dst, seed) ^ sad_mix(spi ^ seed) ^ proto);
}

size_t sad_bucket_index(const struct sad *sad, uint32_t spi, const struct ipaddr *dst,
			uint8_t proto)
{
	return sad_hash(sad->seed, spi, dst, proto) & (sad->nbuckets - 1);
}

size_t sad_buckets(const struct sad *sad)
{
	return sad->nbuckets;
}

static struct sa **sad_bucket(const struct sad *sad, uint32_t spi, const struct ipaddr *dst,
			      uint8_t proto)
{
	return &sad->buckets[sad_bucket_index(sad, spi, dst, proto)];
}

static bool sad_match(const struct sa *sa, uint32_t spi, const struct ipaddr *dst, uint8_t proto)
{
	return sa->spi == spi && sa->proto == proto && ipaddr_eq(&sa->dst, dst);
}

struct sad *sad_new(void)
{
	struct sad *sad = calloc(1, sizeof(*sad));

	if (!sad)
		return NULL;
	sad->buckets = calloc(SAD_MIN_BUCKETS, sizeof(*sad->buckets));
	if (!sad->buckets) {
		free(sad);
		return NULL;
	}
	sad->nbuckets = SAD_MIN_BUCKETS;
	sad->seed = sad_seed();
	return sad;
}

void sad_free(struct sad *sad)
{
	struct sa *sa, *next;
	size_t i;

	if (!sad)
		return;
	for (i = 0; i < sad->nbuckets; i++) {
		for (sa = sad->buckets[i]; sa; sa = next) {
			next = sa->hnext;
			sa_free(sa);
		}
	}
	free(sad->buckets);
	wipe(sad, sizeof(*sad));
	free(sad);
}

/* Double the bucket array and rehash. Failing to grow is not an error: the table keeps
 * working with longer chains. */
static void sad_grow(struct sad *sad)
{
	size_t n = sad->nbuckets * 2, i;
	struct sa **nb, *sa, *next;
	uint32_t h;

	if (n < sad->nbuckets || n > SIZE_MAX / sizeof(*nb))
		return;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (i = 0; i < sad->nbuckets; i++) {
		for (sa = sad->buckets[i]; sa; sa = next) {
			next = sa->hnext;
			h = sad_hash(sad->seed, sa->spi, &sa->dst, sa->proto) & (n - 1);
			sa->hnext = nb[h];
			nb[h] = sa;
		}
	}
	free(sad->buckets);
	sad->buckets = nb;
	sad->nbuckets = n;
}

int sad_add(struct sad *sad, struct sa *sa)
{
	struct sa **head;

	if (!sad || !sa)
		return -EINVAL;
	if (sad_lookup(sad, sa->spi, &sa->dst, sa->proto))
		return -EEXIST;
	if (sad->count >= sad->nbuckets)
		sad_grow(sad);
	head = sad_bucket(sad, sa->spi, &sa->dst, sa->proto);
	sa->hnext = *head;
	*head = sa;
	sad->count++;
	return 0;
}

struct sa *sad_lookup(const struct sad *sad, uint32_t spi, const struct ipaddr *dst, uint8_t proto)
{
	struct sa *sa;

	for (sa = *sad_bucket(sad, spi, dst, proto); sa; sa = sa->hnext)
		if (sad_match(sa, spi, dst, proto))
			return sa;
	return NULL;
}

struct sa *sad_remove(struct sad *sad, uint32_t spi, const struct ipaddr *dst, uint8_t proto)
{
	struct sa **pp, *sa;

	for (pp = sad_bucket(sad, spi, dst, proto); (sa = *pp); pp = &sa->hnext) {
		if (sad_match(sa, spi, dst, proto)) {
			*pp = sa->hnext;
			sa->hnext = NULL;
			sad->count--;
			return sa;
		}
	}
	return NULL;
}

size_t sad_count(const struct sad *sad)
{
	return sad ? sad->count : 0;
}

void sad_foreach(const struct sad *sad, void (*fn)(struct sa *sa, void *arg), void *arg)
{
	struct sa *sa, *next;
	size_t i;

	for (i = 0; i < sad->nbuckets; i++) {
		for (sa = sad->buckets[i]; sa; sa = next) {
			next = sa->hnext;
			fn(sa, arg);
		}
	}
}
