/* bench_spd: policy decisions per second with 10, 1,000 and 10,000 filters, the compiled index
 * (spd_decide) next to the plain linear scan of the same specific filters (spd_decide_linear).
 *
 * What is measured, honestly:
 *   - one policy of random rules in a realistic mix (see rand_filter: mostly `me` <-> a host or
 *     a subnet, some with service ports, some any-address port rules, some ranges, IPv6 hosts),
 *     compiled once; compilation time is printed separately;
 *   - a ring of 64Ki random packets, half of them aimed at addresses the filters name (so most
 *     packets match something, as real traffic would), decided in order, single core;
 *   - the full decision: exemption checks, lookup, action; the same code path for both
 *     columns except the lookup;
 *   - time is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a busy machine that
 *     preempts the benchmark does not inflate the numbers (it still shares caches).
 * Usage: bench_spd [SECONDS per measurement, default 0.3]
 * Output: a table, then one machine line per measurement:
 *   RESULT spd <filters> <index|linear> <ns per decision> <decisions per second>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "crypto/cipher.h"
#include "spd/spd.h"

#define RING (1u << 16)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct ipaddr v4(uint32_t x)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.b[0] = (uint8_t)(x >> 24);
	a.b[1] = (uint8_t)(x >> 16);
	a.b[2] = (uint8_t)(x >> 8);
	a.b[3] = (uint8_t)x;
	return a;
}

static struct ipaddr v6host(uint32_t x)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET6;
	a.b[0] = 0x20;
	a.b[1] = 0x01;
	a.b[2] = 0x0d;
	a.b[3] = 0xb8;
	memcpy(a.b + 12, &x, 4);
	return a;
}

/* An address somewhere in 10.0.0.0/8 (a large intranet). */
static struct ipaddr rand_v4(void)
{
	return v4(0x0a000000u | (uint32_t)rn(1u << 24));
}

static void rand_filter(struct spd_filter *f, struct ipaddr *aimed)
{
	static const uint16_t svc[] = { 22, 25, 53, 80, 88, 110, 143, 389, 443, 445, 993, 3389 };
	struct ipaddr a = rand_v4(), b;
	unsigned r = rn(100);

	spd_filter_init(f);
	spd_addr_me(&f->src);
	f->mirrored = true;
	if (r < 45) { /* a host: the seed's front-end -> back-end */
		spd_addr_host(&f->dst, &a);
	} else if (r < 65) { /* a subnet */
		spd_addr_prefix(&f->dst, &a, 24);
	} else if (r < 72) {
		spd_addr_prefix(&f->dst, &a, 16);
	} else if (r < 80) { /* a range of a few hosts */
		b = a;
		b.b[3] = (uint8_t)(a.b[3] | 0x0f);
		a.b[3] &= 0xf0;
		a.b[3] |= 1;
		spd_addr_range(&f->dst, &a, &b);
	} else if (r < 90) { /* a service from anywhere */
		f->proto = 6;
		f->dport_lo = f->dport_hi = svc[rn(12)];
		*aimed = a;
		return;
	} else { /* IPv6 host */
		a = v6host((uint32_t)rnd());
		spd_addr_host(&f->dst, &a);
	}
	*aimed = a;
	if (rn(3) == 0) {
		f->proto = rn(2) ? 6 : 17;
		f->dport_lo = f->dport_hi = svc[rn(12)];
	}
}

static struct spd *build(size_t nfilters, struct ipaddr *aimed, struct ipaddr *me4,
			 struct ipaddr *me6, double *compile_s)
{
	struct spd *s = spd_new();
	struct spd_policy *p;
	struct spd_action *acts[3];
	size_t done = 0, i;
	char name[32];
	double t0;

	*me4 = v4(0xc0000201u); /* 192.0.2.1 */
	*me6 = v6host(0x01000000u);
	spd_add_local(s, me4, 24);
	spd_add_local(s, me6, 64);
	acts[0] = spd_action_find(s, SPD_BUILTIN_REQUIRE);
	acts[1] = spd_action_find(s, SPD_BUILTIN_PERMIT);
	acts[2] = spd_action_find(s, SPD_BUILTIN_BLOCK);
	spd_policy_new(s, "bench", &p);
	while (done < nfilters) {
		struct spd_filter_list *l;
		size_t n = 1 + rn(5);

		snprintf(name, sizeof(name), "l%zu", done);
		spd_filter_list_new(s, name, &l);
		for (i = 0; i < n && done < nfilters; i++, done++) {
			struct spd_filter f;

			rand_filter(&f, &aimed[done]);
			if (spd_filter_list_add(s, l, &f))
				abort();
		}
		spd_rule_new(s, p, NULL, l, acts[rn(3)], NULL);
	}
	spd_use_policy(s, p);
	t0 = now();
	if (spd_compile(s))
		abort();
	*compile_s = now() - t0;
	return s;
}

static void fill_ring(struct spd_pkt *ring, const struct ipaddr *aimed, size_t naimed,
		      const struct ipaddr *me4, const struct ipaddr *me6)
{
	static const uint16_t ports[] = { 22, 80, 443, 445, 993, 3389, 40000, 51234 };
	size_t i;

	for (i = 0; i < RING; i++) {
		struct spd_pkt *p = &ring[i];

		memset(p, 0, sizeof(*p));
		p->remote = rn(2) ? aimed[rn((unsigned)naimed)] : rand_v4();
		p->local = p->remote.af == AF_INET6 ? *me6 : *me4;
		p->dir = rn(2) ? SPD_DIR_OUT : SPD_DIR_IN;
		p->proto = rn(10) ? 6 : 17;
		p->lport = (uint16_t)(40000 + rn(20000));
		p->rport = ports[rn(8)];
	}
}

typedef int (*decide_fn)(const struct spd *, const struct spd_pkt *, struct spd_decision *);

/* ns per decision over at least `secs` seconds. */
static double measure(const struct spd *s, const struct spd_pkt *ring, decide_fn fn, double secs,
		      unsigned *sink)
{
	struct spd_decision d;
	size_t n = 0, i;
	double t0 = now(), t;

	do {
		for (i = 0; i < 1024; i++, n++) {
			fn(s, &ring[n & (RING - 1)], &d);
			*sink += d.verdict;
		}
		t = now() - t0;
	} while (t < secs);
	return t * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 1000, 10000 };
	double secs = argc > 1 ? atof(argv[1]) : 0.3;
	struct spd_pkt *ring = calloc(RING, sizeof(*ring));
	struct ipaddr *aimed = calloc(10000, sizeof(*aimed));
	double idx[3], lin[3], comp[3];
	size_t nsf[3], i;
	unsigned sink = 0;

	if (!ring || !aimed || secs <= 0)
		return 1;
	for (i = 0; i < 3; i++) {
		struct ipaddr me4, me6;
		struct spd *s = build(sizes[i], aimed, &me4, &me6, &comp[i]);

		fill_ring(ring, aimed, sizes[i], &me4, &me6);
		nsf[i] = spd_sfilter_count(s);
		idx[i] = measure(s, ring, spd_decide, secs, &sink);
		lin[i] = measure(s, ring, spd_decide_linear, secs, &sink);
		spd_free(s);
	}
	printf("filters  specific  compile ms | index ns/dec  Mdec/s | linear ns/dec  Mdec/s | "
	       "speedup\n");
	for (i = 0; i < 3; i++)
		printf("%7zu  %8zu  %10.2f | %12.1f  %6.2f | %13.1f  %6.3f | %6.1fx\n", sizes[i],
		       nsf[i], comp[i] * 1e3, idx[i], 1e3 / idx[i], lin[i], 1e3 / lin[i],
		       lin[i] / idx[i]);
	printf("growth 10 -> 10000 filters: index x%.2f, linear x%.1f\n", idx[2] / idx[0],
	       lin[2] / lin[0]);
	for (i = 0; i < 3; i++) {
		printf("RESULT spd %zu index %.1f %.0f\n", sizes[i], idx[i], 1e9 / idx[i]);
		printf("RESULT spd %zu linear %.1f %.0f\n", sizes[i], lin[i], 1e9 / lin[i]);
	}
	free(ring);
	free(aimed);
	return sink == 0xffffffffu; /* keeps the decisions observable */
}
