/* Registry of lease backends by name (Kea's LeaseMgrFactory idea): main
 * asks for "memfile", "postgresql" or "redis" and gets a table of function pointers, so the
 * flusher never knows which store it writes to. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lease_backend.h"
#include "net.h"

extern const struct lease_backend_ops lease_backend_memfile_ops;
extern const struct lease_backend_ops lease_backend_pgsql_ops;
extern const struct lease_backend_ops lease_backend_redis_ops;

#define LEASE_BACKEND_MAX 8

/* Written only before threads start (see lease_backend_register), read
 * afterwards, so no lock. */
static const struct lease_backend_ops *lease_backends[LEASE_BACKEND_MAX] = {
	&lease_backend_memfile_ops,
	&lease_backend_pgsql_ops,
	&lease_backend_redis_ops,
};

const struct lease_backend_ops *lease_backend_find(const char *name)
{
	unsigned i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < LEASE_BACKEND_MAX && lease_backends[i]; i++)
		if (strcmp(lease_backends[i]->name, name) == 0)
			return lease_backends[i];
	return NULL;
}

int lease_backend_register(const struct lease_backend_ops *ops)
{
	unsigned i;

	if (ops == NULL || ops->name == NULL || ops->open == NULL || ops->load == NULL ||
	    ops->append == NULL || ops->sync == NULL || ops->close == NULL)
		return -EINVAL;
	for (i = 0; i < LEASE_BACKEND_MAX; i++) {
		if (lease_backends[i] == NULL) {
			lease_backends[i] = ops;
			return 0;
		}
		if (strcmp(lease_backends[i]->name, ops->name) == 0)
			return -EEXIST;
	}
	return -ENOSPC;
}

struct lease_refusal *lease_refusals_push(struct lease_refusals *q)
{
	struct lease_refusal *x;

	if (q->n >= LEASE_REFUSALS_MAX)
		return NULL;
	if (q->n == q->cap) {
		unsigned cap = q->cap ? q->cap * 2 : 64;
		struct lease_refusal *v = realloc(q->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		q->v = v;
		q->cap = cap;
	}
	x = &q->v[q->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

unsigned lease_refusals_take(struct lease_refusals *q, struct lease_refusal *out, unsigned max)
{
	unsigned n = q->n < max ? q->n : max;

	memcpy(out, q->v, n * sizeof(*out));
	memmove(q->v, q->v + n, (q->n - n) * sizeof(*q->v));
	q->n -= n;
	return n;
}

void lease_refusals_free(struct lease_refusals *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

void lease_backend_stats_read(const struct lease_backend_stats *f, struct lease_backend_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->loaded = __atomic_load_n(&f->loaded, __ATOMIC_RELAXED);
	s->bad_lines = __atomic_load_n(&f->bad_lines, __ATOMIC_RELAXED);
	s->truncated = __atomic_load_n(&f->truncated, __ATOMIC_RELAXED);
	s->appended = __atomic_load_n(&f->appended, __ATOMIC_RELAXED);
	s->syncs = __atomic_load_n(&f->syncs, __ATOMIC_RELAXED);
	s->refused = __atomic_load_n(&f->refused, __ATOMIC_RELAXED);
	s->reconnects = __atomic_load_n(&f->reconnects, __ATOMIC_RELAXED);
	s->connected = __atomic_load_n(&f->connected, __ATOMIC_RELAXED);
	s->commits = __atomic_load_n(&f->commits, __ATOMIC_RELAXED);
	s->wait_short = __atomic_load_n(&f->wait_short, __ATOMIC_RELAXED);
	s->claims_heard = __atomic_load_n(&f->claims_heard, __ATOMIC_RELAXED);
	s->claims_bad = __atomic_load_n(&f->claims_bad, __ATOMIC_RELAXED);
	s->sub_connected = __atomic_load_n(&f->sub_connected, __ATOMIC_RELAXED);
}

int lease_udec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int lease_unhex(const char *s, size_t slen, uint8_t *out, size_t max)
{
	size_t n = slen / 2;

	if (slen % 2 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = net_hexval((unsigned char)s[2 * i]), lo = net_hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)n;
}
