/* Address -> lease index (see addr_index.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr_index.h"

static struct lease4 addr_index_dead_slot;
#define DEAD (&addr_index_dead_slot)

void addr_index_free(struct addr_index *x)
{
	free(x->addr);
	free(x->lease);
	memset(x, 0, sizeof(*x));
}

static int64_t addr_index_slot(const struct addr_index *x, uint32_t addr)
{
	uint32_t i;

	if (!x->cap)
		return -1;
	for (i = addr_index_hash(addr) & (x->cap - 1); x->lease[i]; i = (i + 1) & (x->cap - 1))
		if (x->lease[i] != DEAD && x->addr[i] == addr)
			return i;
	return -1;
}

struct lease4 *addr_index_get(const struct addr_index *x, uint32_t addr)
{
	int64_t i = addr_index_slot(x, addr);

	return i < 0 ? NULL : x->lease[i];
}

static int addr_index_resize(struct addr_index *x, uint32_t cap)
{
	struct addr_index n = { .cap = cap };
	uint32_t i, j;

	n.addr = calloc(cap, sizeof(*n.addr));
	n.lease = calloc(cap, sizeof(*n.lease));
	if (!n.addr || !n.lease) {
		addr_index_free(&n);
		return -ENOMEM;
	}
	for (i = 0; i < x->cap; i++) {
		if (!x->lease[i] || x->lease[i] == DEAD)
			continue;
		for (j = addr_index_hash(x->addr[i]) & (cap - 1); n.lease[j]; j = (j + 1) & (cap - 1))
			;
		n.addr[j] = x->addr[i];
		n.lease[j] = x->lease[i];
		n.live++;
	}
	n.used = n.live;
	addr_index_free(x);
	*x = n;
	return 0;
}

int addr_index_put(struct addr_index *x, uint32_t addr, struct lease4 *l)
{
	int64_t s = addr_index_slot(x, addr);
	uint32_t i;

	if (s >= 0) {
		x->lease[s] = l;
		return 0;
	}
	if ((uint64_t)(x->used + 1) * 4 > (uint64_t)x->cap * 3) {
		uint32_t cap = x->cap ? x->cap : 1024;

		while ((uint64_t)(x->live + 1) * 2 > cap)
			cap *= 2;
		if (addr_index_resize(x, cap))
			return -ENOMEM;
	}
	for (i = addr_index_hash(addr) & (x->cap - 1); x->lease[i] && x->lease[i] != DEAD;
	     i = (i + 1) & (x->cap - 1))
		;
	if (!x->lease[i])
		x->used++;
	x->addr[i] = addr;
	x->lease[i] = l;
	x->live++;
	return 0;
}

void addr_index_del(struct addr_index *x, uint32_t addr, const struct lease4 *l)
{
	int64_t s = addr_index_slot(x, addr);

	if (s >= 0 && x->lease[s] == l) {
		x->lease[s] = DEAD;
		x->live--;
	}
}
