/* CHECK(c) for the libFuzzer harnesses: a property that does not hold aborts with the file,
 * line and condition, which libFuzzer reports as a crash and keeps the input for. */
#ifndef ESPRIT_FUZZ_CHECK_H
#define ESPRIT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                \
	do {                                                                    \
		if (!(c)) {                                                     \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                \
		}                                                               \
	} while (0)

#endif
