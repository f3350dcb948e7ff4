/* Pending transactions (see pending.h).  A slot array with a free stack;
 * a token is (generation << 16 | slot + 1), the generation moving on each
 * time a slot is freed, so no token is 0 and a stale one never matches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pending.h"

struct pend_table {
	uint32_t cap, used, sweep;
	uint32_t *free;                /* stack of free slot numbers */
	uint32_t n_free;
	uint16_t *gen;
	struct pend_entry *e;
};

struct pend_table *pend_create(uint32_t capacity)
{
	struct pend_table *t;

	if (capacity < 2 || capacity > 32768 || (capacity & (capacity - 1))) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cap = capacity;
	t->e = calloc(capacity, sizeof(*t->e));
	t->free = malloc(capacity * sizeof(*t->free));
	t->gen = calloc(capacity, sizeof(*t->gen));
	if (t->e == NULL || t->free == NULL || t->gen == NULL) {
		pend_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < capacity; i++)
		t->free[i] = capacity - 1 - i;          /* slot 0 on top */
	t->n_free = capacity;
	return t;
}

void pend_free(struct pend_table *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->free);
	free(t->gen);
	free(t);
}

struct pend_entry *pend_add(struct pend_table *t, uint64_t deadline)
{
	struct pend_entry *e;
	uint32_t i;

	if (t->n_free == 0)
		return NULL;
	i = t->free[--t->n_free];
	e = &t->e[i];
	memset(e, 0, sizeof(*e));
	e->token = (uint32_t)t->gen[i] << 16 | (i + 1);
	e->deadline = deadline;
	t->used++;
	return e;
}

struct pend_entry *pend_find(struct pend_table *t, uint32_t token)
{
	uint32_t i = (token & 0xffff) - 1;

	if ((token & 0xffff) == 0 || i >= t->cap || t->e[i].token != token)
		return NULL;
	return &t->e[i];
}

void pend_del(struct pend_table *t, struct pend_entry *e)
{
	uint32_t i = (uint32_t)(e - t->e);

	if (i >= t->cap || e->token == 0)
		return;
	e->token = 0;
	e->pkt = NULL;
	t->gen[i]++;
	t->free[t->n_free++] = i;
	t->used--;
}

unsigned pend_expire(struct pend_table *t, uint64_t now, unsigned max, pend_expire_fn *fn,
		     void *ctx)
{
	unsigned n = 0;

	if (t->used == 0)
		return 0;
	for (unsigned k = 0; k < max && k < t->cap; k++) {
		struct pend_entry *e = &t->e[t->sweep];

		t->sweep = (t->sweep + 1) & (t->cap - 1);
		if (e->token && e->deadline <= now) {
			fn(ctx, e);
			pend_del(t, e);
			n++;
		}
	}
	return n;
}

uint32_t pend_count(const struct pend_table *t)
{
	return t->used;
}
