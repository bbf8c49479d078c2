/* Shared between the data path's packet loop (dpath.c) and its IKE pairs (dpath_child.c). */
#ifndef ESPRIT_DAEMON_DPATH_INT_H
#define ESPRIT_DAEMON_DPATH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/dpath.h"

/* Monotonic seconds, the SAs' clock. */
uint64_t dp_now(void);
/* Index into d->raw of the socket that sends sa's packets. */
unsigned dp_sock_idx(const struct sa *sa);

/* View k (0-based, inbound then outbound per pair, pairs in slot order) of the IKE SAs. */
bool dp_child_view(const struct dpath *d, size_t k, struct dpath_sa_view *v);
/* Reload: the pairs' inbound SAs go from d->sad into nsad (a clash drops that pair). */
void dp_children_move(struct dpath *d, struct sad *nsad);
/* Remove every pair and free the slots. */
void dp_children_free(struct dpath *d);
/* IKE: the header-included raw sockets of dpath_output_clear(). 0 or -errno. */
int dp_open_clear(struct dpath *d);

/* Read the error queue of socket idx: path MTU reports lower the TUN route MTU towards the
 * peer (dpath_pmtu.c). */
void dp_pmtu_drain(struct dpath *d, unsigned idx);
/* Forget the MTUs installed (the routes went with the steering table). */
void dp_pmtu_forget(void);

#endif
