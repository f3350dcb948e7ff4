/* The reply gate (see gate.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gate.h"

struct gate_lane {
	uint32_t need;                 /* consumer mask; 0 = lane unused */
	uint32_t head, tail;           /* head: oldest, tail: next free */
	struct gate_item *q;
};

struct gate {
	uint32_t mask;                 /* lane_size - 1 */
	unsigned n_lanes;
	unsigned parked;
	struct gate_lane lanes[GATE_MAX_LANES];
};

struct gate *gate_create(const struct gate_params *p)
{
	struct gate *g;

	if (p == NULL || p->lane_size < 2 || (p->lane_size & (p->lane_size - 1)) ||
	    p->lane_size > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->mask = p->lane_size - 1;
	return g;
}

void gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < GATE_MAX_LANES; i++)
		free(g->lanes[i].q);
	free(g);
}

static struct gate_lane *lane_for(struct gate *g, uint32_t need)
{
	unsigned i;

	for (i = 0; i < g->n_lanes; i++)
		if (g->lanes[i].need == need)
			return &g->lanes[i];
	if (g->n_lanes == GATE_MAX_LANES)
		return NULL;
	/* Lanes are made on first use and kept: a worker sees one or two
	 * masks in its life (durable; durable and acknowledged). */
	g->lanes[i].q = malloc(sizeof(*g->lanes[i].q) * (g->mask + 1));
	if (g->lanes[i].q == NULL)
		return NULL;
	g->lanes[i].need = need;
	g->n_lanes++;
	return &g->lanes[i];
}

int gate_park(struct gate *g, uint32_t need, const struct gate_item *it)
{
	struct gate_lane *l;

	if (need == 0)
		return -EINVAL;
	l = lane_for(g, need);
	if (l == NULL)
		return -ENOSPC;
	if (l->tail - l->head > g->mask)
		return -ENOBUFS;
	l->q[l->tail++ & g->mask] = *it;
	g->parked++;
	return 0;
}

/* Items leave a lane from its head only: both release conditions are
 * monotonic along a lane (seq and deadline grow, watermarks only grow). */
static unsigned lane_poll(struct gate *g, struct gate_lane *l, uint64_t safe, uint64_t now,
			  gate_emit_fn *emit, void *ctx)
{
	unsigned n = 0;

	while (l->head != l->tail) {
		const struct gate_item *it = &l->q[l->head & g->mask];

		if (it->seq <= safe)
			emit(ctx, it, it->refused ? GATE_REFUSED : GATE_SEND);
		else if (it->deadline <= now)
			emit(ctx, it, (enum gate_outcome)it->on_timeout);
		else
			break;
		l->head++;
		n++;
	}
	g->parked -= n;
	return n;
}

unsigned gate_poll(struct gate *g, const struct lease_log *log, uint64_t now, gate_emit_fn *emit,
		   void *ctx)
{
	uint64_t safe[GATE_MAX_LANES];

	if (g->parked == 0)
		return 0;
	gate_snapshot(g, log, safe);
	return gate_poll_at(g, safe, now, emit, ctx);
}

int gate_refuse(struct gate *g, uint64_t seq)
{
	return gate_refuse_as(g, seq, GATE_WHY_STORE);
}

int gate_refuse_as(struct gate *g, uint64_t seq, uint8_t why)
{
	for (unsigned i = 0; i < g->n_lanes; i++) {
		struct gate_lane *l = &g->lanes[i];

		/* seqs grow along a lane: stop past it */
		for (uint32_t k = l->head; k != l->tail; k++) {
			struct gate_item *it = &l->q[k & g->mask];

			if (it->seq == seq) {
				it->refused = why;
				return 0;
			}
			if (it->seq > seq)
				break;
		}
	}
	return -ENOENT;
}

unsigned gate_refuse_range(struct gate *g, uint32_t bits, uint64_t lo, uint64_t hi, uint8_t why)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->n_lanes; i++) {
		struct gate_lane *l = &g->lanes[i];

		if (!(l->need & bits))
			continue;
		for (uint32_t k = l->head; k != l->tail; k++) {
			struct gate_item *it = &l->q[k & g->mask];

			if (it->seq > hi)
				break;
			if (it->seq >= lo && !it->refused) {
				it->refused = why;
				n++;
			}
		}
	}
	return n;
}

void gate_snapshot(const struct gate *g, const struct lease_log *log, uint64_t *safe)
{
	for (unsigned i = 0; i < GATE_MAX_LANES; i++)
		safe[i] = i < g->n_lanes ? lease_log_safe(log, g->lanes[i].need) : 0;
}

unsigned gate_poll_at(struct gate *g, const uint64_t *safe, uint64_t now, gate_emit_fn *emit,
		      void *ctx)
{
	unsigned n = 0;

	if (g->parked == 0)
		return 0;
	/* a lane made after the snapshot has 0 there: it waits a pass */
	for (unsigned i = 0; i < g->n_lanes; i++) {
		struct gate_lane *l = &g->lanes[i];

		if (l->head != l->tail)
			n += lane_poll(g, l, safe[i], now, emit, ctx);
	}
	return n;
}

unsigned gate_flush(struct gate *g, const struct lease_log *log, gate_emit_fn *emit, void *ctx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->n_lanes; i++) {
		struct gate_lane *l = &g->lanes[i];
		uint64_t safe = lease_log_safe(log, l->need);

		/* a timeout outcome of NAK still sends nothing at shutdown */
		while (l->head != l->tail) {
			const struct gate_item *it = &l->q[l->head & g->mask];

			emit(ctx, it, it->seq <= safe && !it->refused ? GATE_SEND : GATE_DROP);
			l->head++;
			n++;
		}
	}
	g->parked -= n;
	return n;
}

unsigned gate_parked(const struct gate *g)
{
	return g->parked;
}
