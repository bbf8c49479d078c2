/* Held packets during acquires (see acquire.h). */
#include "daemon/acquire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

int acq_init(struct acquire *a, size_t nslot, size_t slot_size)
{
	memset(a, 0, sizeof(*a));
	a->head = a->tail = a->free = -1;
	if (!nslot || !slot_size || nslot > 1u << 20)
		return -EINVAL;
	a->slot = calloc(nslot, sizeof(*a->slot));
	a->store = calloc(nslot, slot_size);
	if (!a->slot || !a->store) {
		acq_free(a);
		return -ENOMEM;
	}
	a->nslot = nslot;
	a->slot_size = slot_size;
	for (size_t i = nslot; i-- > 0;) {
		a->slot[i].next = a->free;
		a->free = (int)i;
	}
	return 0;
}

void acq_free(struct acquire *a)
{
	if (a->store)
		wipe(a->store, a->nslot * a->slot_size);
	free(a->store);
	free(a->slot);
	memset(a, 0, sizeof(*a));
	a->head = a->tail = a->free = -1;
}

static uint8_t *acq_data(const struct acquire *a, int i)
{
	return a->store + (size_t)i * a->slot_size;
}

size_t acq_count(const struct acquire *a, uint32_t id)
{
	size_t n = 0;

	for (int i = a->head; i >= 0; i = a->slot[i].next)
		n += !id || a->slot[i].id == id;
	return n;
}

int acq_hold(struct acquire *a, uint32_t id, uint32_t max, const uint8_t *pkt, size_t len,
	     uint64_t now)
{
	int i;

	if (!id)
		return -EINVAL;
	if (len > a->slot_size) {
		a->st.dropped_big++;
		return -EMSGSIZE;
	}
	if (a->free < 0 || acq_count(a, id) >= max) {
		a->st.dropped_full++;
		return -ENOSPC;
	}
	i = a->free;
	a->free = a->slot[i].next;
	a->slot[i] = (struct acq_slot){ .id = id, .len = (uint32_t)len, .t = now, .next = -1 };
	memcpy(acq_data(a, i), pkt, len);
	if (a->tail >= 0)
		a->slot[a->tail].next = i;
	else
		a->head = i;
	a->tail = i;
	a->used++;
	a->st.held++;
	return 0;
}

/* Unlink slot i (whose predecessor in arrival order is prev, -1 = head), wipe, free it. */
static void acq_release(struct acquire *a, int prev, int i)
{
	int next = a->slot[i].next;

	if (prev >= 0)
		a->slot[prev].next = next;
	else
		a->head = next;
	if (a->tail == i)
		a->tail = prev;
	wipe(acq_data(a, i), a->slot[i].len);
	a->slot[i] = (struct acq_slot){ .next = a->free };
	a->free = i;
	a->used--;
}

size_t acq_drain(struct acquire *a, uint32_t id,
		 bool (*fn)(void *arg, uint32_t id, const uint8_t *pkt, size_t len), void *arg)
{
	size_t n = 0;
	int prev = -1, i = a->head;

	while (i >= 0) {
		int next = a->slot[i].next;

		if ((!id || a->slot[i].id == id) &&
		    fn(arg, a->slot[i].id, acq_data(a, i), a->slot[i].len)) {
			acq_release(a, prev, i);
			n++;
		} else {
			prev = i;
		}
		i = next;
	}
	return n;
}

size_t acq_expire(struct acquire *a, uint64_t now, uint64_t max_age_ms)
{
	size_t n = 0;
	int prev = -1, i = a->head;

	while (i >= 0) {
		int next = a->slot[i].next;

		if (now - a->slot[i].t >= max_age_ms) {
			acq_release(a, prev, i);
			n++;
		} else {
			prev = i;
		}
		i = next;
	}
	a->st.dropped_old += n;
	return n;
}

int acq_req_add(struct acquire *a, uint32_t id, const struct ipaddr *remote, uint32_t fallback_ms,
		uint64_t now)
{
	struct acq_req *r = NULL;

	if (!id)
		return -EINVAL;
	for (size_t i = 0; i < ACQ_REQ_MAX; i++) {
		if (a->req[i].id == id)
			return 0; /* a later packet of the same negotiation */
		if (!r && !a->req[i].id)
			r = &a->req[i];
	}
	if (!r)
		return -ENOSPC;
	*r = (struct acq_req){
		.id = id, .remote = *remote, .fallback_ms = fallback_ms, .start = now
	};
	return 0;
}

bool acq_req_take(struct acquire *a, uint32_t id, struct acq_req *r)
{
	for (size_t i = 0; id && i < ACQ_REQ_MAX; i++)
		if (a->req[i].id == id) {
			*r = a->req[i];
			memset(&a->req[i], 0, sizeof(a->req[i]));
			return true;
		}
	return false;
}

void acq_clear_add(struct acquire *a, const struct ipaddr *remote, uint64_t now, uint64_t ms)
{
	struct acq_clear *c = &a->clear[0];

	for (size_t i = 0; i < ACQ_CLEAR_MAX; i++) {
		struct acq_clear *e = &a->clear[i];

		if (e->remote.af && ipaddr_eq(&e->remote, remote)) {
			c = e;
			break;
		}
		if (!e->remote.af || (c->remote.af && e->until < c->until))
			c = e;
	}
	c->remote = *remote;
	c->until = now + ms;
}

bool acq_clear_has(struct acquire *a, const struct ipaddr *remote, uint64_t now)
{
	for (size_t i = 0; i < ACQ_CLEAR_MAX; i++) {
		struct acq_clear *e = &a->clear[i];

		if (!e->remote.af || !ipaddr_eq(&e->remote, remote))
			continue;
		if (now < e->until)
			return true;
		memset(e, 0, sizeof(*e));
	}
	return false;
}

void acq_clear_del(struct acquire *a, const struct ipaddr *remote)
{
	for (size_t i = 0; i < ACQ_CLEAR_MAX; i++)
		if (a->clear[i].remote.af && ipaddr_eq(&a->clear[i].remote, remote))
			memset(&a->clear[i], 0, sizeof(a->clear[i]));
}
