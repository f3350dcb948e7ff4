/* Lease updates to the partner (ha_service.h, "Lease updates"): the queue
 * per relationship, the sender on a connection of its own, the outcomes.
 *
 * Order.  Changes go in the order pushed: requests carry consecutive
 * changes, the connection answers in order, and a change whose policy
 * says "skip" when its turn comes is finished only when it is at the
 * front of what is not sent yet.  Outcomes are taken in the same order
 * (the queue keeps finished entries until ha_service_updates_done takes
 * them), so the HA thread can advance its watermark entry by entry. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ha_msg.h"
#include "ha_service_int.h"
#include "lease_log.h"

#define SLOT(q, pos) (&(q)->ring[(pos) % HA_UPDATE_QUEUE])

/* How a change ended. */
enum fin { FIN_ACKED, FIN_REFUSED, FIN_FAILED, FIN_SKIPPED, FIN_SKIPPED_COUNT };

int upd_init(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;

	q->ring = calloc(HA_UPDATE_QUEUE, sizeof(*q->ring));
	if (!q->ring)
		return -1;
	/* Pipelined only toward a Peregrine partner (upd_send decides). */
	if (s->partner) {
		q->conn = ha_svc_conn(s, r->fam, s->ha->max_response_delay, HA_UPDATE_PIPELINE);
		if (!q->conn)
			return -1;
	}
	return 0;
}

void upd_free(struct rel *r)
{
	if (r->upd.conn)
		ha_http_conn_free(r->upd.conn);
	free(r->upd.ring);
	r->upd.conn = NULL;
	r->upd.ring = NULL;
}

/* Move `done` over the finished prefix and `head` over the finished
 * entries nobody waits for. */
static void advance(struct upd_queue *q)
{
	while (q->done < q->next && SLOT(q, q->done)->st == UPD_DONE)
		q->done++;
	while (q->head < q->done && !SLOT(q, q->head)->wait)
		q->head++;
}

static void finish(struct rel *r, struct upd_entry *e, enum fin how)
{
	e->st = UPD_DONE;
	e->ok = how != FIN_REFUSED && how != FIN_FAILED;
	if (e->backlog && r->upd.backlog)
		r->upd.backlog--;
	switch (how) {
	case FIN_ACKED:
		r->stats.updates_acked++;
		break;
	case FIN_REFUSED:
		r->stats.updates_refused++;
		break;
	case FIN_FAILED:
		r->stats.updates_failed++;
		ha_comm_unsent_inc(r->comm);
		break;
	case FIN_SKIPPED_COUNT:
		ha_comm_unsent_inc(r->comm);
		break;
	default:
		break;
	}
}

/* The partner could not be reached, or did not answer in time (or
 * answered what is not Kea's): everything in flight and every queued
 * change somebody waits for fails; the backlog stays for later.  The
 * partner counts as unavailable and a heartbeat goes at once, as Kea
 * does after a failed update. */
static void fail_delivery(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;

	for (unsigned i = 0; i < q->n_req; i++)
		for (uint32_t k = 0; k < q->req[i].n; k++)
			finish(r, SLOT(q, q->req[i].first + k), FIN_FAILED);
	q->n_req = 0;
	for (uint64_t pos = q->next; pos < q->tail; pos++) {
		struct upd_entry *e = SLOT(q, pos);

		if (e->st == UPD_QUEUED && e->wait)
			finish(r, e, FIN_FAILED);
	}
	advance(q);
	ha_comm_set_partner_state(r->comm, HA_ST_UNAVAILABLE);
	if (!r->hb_inflight)
		r->next_hb_ms = s->now_ms;
	if (q->backlog_sending) {
		q->backlog_sending = false;
		ha_svc_step(s, r, HA_EV_BACKLOG_FAILED);
	}
	ha_svc_step(s, r, HA_EV_UPDATES_DONE);
}

static bool same_addr(int fam, const struct upd_entry *e, const struct ha_failed_lease *f)
{
	if (fam == 4)
		return e->u.v4.addr == f->addr4;
	return e->u.v6.addr.hi == f->addr6.hi && e->u.v6.addr.lo == f->addr6.lo;
}

/* The answer to one request: each of its changes acknowledged or
 * refused.  Kea's lease4-update: result 0; lease4-del: 0, or 3 (the
 * partner had no such lease: what a delete wants).  A bulk apply (and
 * Kea's one-lease lease6-bulk-apply): the changes its failed lists name
 * are refused, the others acknowledged. */
static void answer(struct ha_service *s, struct rel *r, const struct upd_req *req,
		   const struct ha_http_result *hr)
{
	struct ha_failed_lease fl[HA_UPDATE_BATCH];	/* 10 KiB */
	struct upd_queue *q = &r->upd;
	struct ha_answer a;
	char err[160];
	long nf = 0;

	if (hr->err || hr->status != 200 ||
	    ha_msg_parse_answer(hr->body, hr->body_len, &a, err, sizeof(err)) != 0) {
		/* put the request back in flight so it fails with the rest */
		memmove(&q->req[1], &q->req[0], q->n_req * sizeof(q->req[0]));
		q->req[0] = *req;
		q->n_req++;
		fail_delivery(s, r);
		return;
	}
	if (r->fam == 4 && !req->bulk) {
		struct upd_entry *e = SLOT(q, req->first);
		bool ok = a.result == HA_RESULT_SUCCESS ||
			  (e->del && a.result == HA_RESULT_EMPTY);

		finish(r, e, ok ? FIN_ACKED : FIN_REFUSED);
	} else {
		nf = ha_msg_bulk_apply_failures(&a, r->fam, fl, HA_UPDATE_BATCH, err, sizeof(err));
		for (uint32_t k = 0; k < req->n; k++) {
			struct upd_entry *e = SLOT(q, req->first + k);
			bool ok = nf == 0;

			/* a failed list longer than the batch cannot be matched */
			if (nf > 0 && nf <= HA_UPDATE_BATCH) {
				ok = true;
				for (long i = 0; ok && i < nf; i++)
					ok = !same_addr(r->fam, e, &fl[i]);
			}
			finish(r, e, ok ? FIN_ACKED : FIN_REFUSED);
		}
	}
	ha_answer_free(&a);
	advance(q);
}

/* The request for n changes from `first` (all of one kind). */
static json_t *request(int fam, struct upd_queue *q, uint64_t first, uint32_t n, bool bulk)
{
	struct upd_entry *e = SLOT(q, first);
	size_t rs = fam == 4 ? sizeof(struct lease_rec) : sizeof(struct lease6_rec);
	json_t *msg = NULL;
	char *recs;

	if (!bulk && fam == 4)
		return e->del ? ha_msg_lease4_del(&e->u.v4) : ha_msg_lease4_update(&e->u.v4);
	if (!bulk)
		return e->del ? ha_msg_lease6_bulk_apply(NULL, 0, &e->u.v6, 1)
			      : ha_msg_lease6_bulk_apply(&e->u.v6, 1, NULL, 0);
	recs = malloc(n * rs);
	if (!recs)
		return NULL;
	for (uint32_t k = 0; k < n; k++)
		memcpy(recs + k * rs, &SLOT(q, first + k)->u, rs);
	if (fam == 4)
		msg = e->del ? ha_msg_lease4_bulk_apply(NULL, 0, (void *)recs, n)
			     : ha_msg_lease4_bulk_apply((void *)recs, n, NULL, 0);
	else
		msg = e->del ? ha_msg_lease6_bulk_apply(NULL, 0, (void *)recs, n)
			     : ha_msg_lease6_bulk_apply((void *)recs, n, NULL, 0);
	free(recs);
	return msg;
}

/* What the front change's turn means now: SEND / SEND_WAIT (send it),
 * SKIP / SKIP_COUNT, or QUEUE (hold: the backlog waits). */
static enum ha_update turn_policy(struct ha_service *s, struct rel *r)
{
	enum ha_update pol = ha_svc_partner_policy(s, r);

	if (pol == HA_UPD_QUEUE && r->upd.backlog_sending)
		return HA_UPD_SEND;
	return pol;
}

static unsigned depth(const struct rel *r)
{
	return r->stats.partner_bulk ? HA_UPDATE_PIPELINE : 1;
}

bool upd_due(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;
	enum ha_update pol;

	if (q->backlog_sending && q->backlog == 0)
		return true;
	if (q->next >= q->tail)
		return false;
	if (SLOT(q, q->next)->st == UPD_DONE)
		return true;
	pol = turn_policy(s, r);
	if (pol == HA_UPD_QUEUE)
		return false;
	if (pol == HA_UPD_SKIP || pol == HA_UPD_SKIP_COUNT)
		return true;
	return q->conn && q->n_req < depth(r);
}

/* Send (or skip) what may go now. */
static void send_due(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;

	while (q->next < q->tail) {
		struct upd_entry *e = SLOT(q, q->next);
		enum ha_update pol;
		bool bulk = r->stats.partner_bulk;
		uint32_t n = 1;
		int64_t id;
		json_t *msg;
		char *body;

		if (e->st == UPD_DONE) {	/* cleared from the backlog */
			q->next++;
			continue;
		}
		pol = turn_policy(s, r);
		if (pol == HA_UPD_QUEUE)
			break;
		if (pol == HA_UPD_SKIP || pol == HA_UPD_SKIP_COUNT || !q->conn) {
			finish(r, e, pol == HA_UPD_SKIP ? FIN_SKIPPED : FIN_SKIPPED_COUNT);
			q->next++;
			continue;
		}
		if (q->n_req >= depth(r))
			break;
		while (bulk && n < HA_UPDATE_BATCH && q->next + n < q->tail) {
			const struct upd_entry *f = SLOT(q, q->next + n);

			if (f->st != UPD_QUEUED || f->del != e->del)
				break;
			n++;
		}
		msg = request(r->fam, q, q->next, n, bulk);
		body = msg ? ha_msg_text(msg) : NULL;
		json_decref(msg);
		id = body ? ha_http_conn_send(q->conn, body, strlen(body)) : -ENOMEM;
		free(body);
		if (id <= 0) {
			/* out of memory (the pipeline was checked): as undelivered */
			for (uint32_t k = 0; k < n; k++)
				finish(r, SLOT(q, q->next + k), FIN_FAILED);
			q->next += n;
			continue;
		}
		for (uint32_t k = 0; k < n; k++)
			SLOT(q, q->next + k)->st = UPD_INFLIGHT;
		q->req[q->n_req++] = (struct upd_req){ .id = (uint64_t)id, .first = q->next, .n = n,
						       .bulk = bulk };
		q->next += n;
		r->stats.update_requests++;
	}
	advance(q);
	if (q->backlog_sending && q->backlog == 0) {
		q->backlog_sending = false;
		ha_svc_step(s, r, HA_EV_BACKLOG_SENT);
	}
}

void upd_poll(struct ha_service *s, struct rel *r, short revents)
{
	struct upd_queue *q = &r->upd;
	struct ha_http_result hr;

	if (q->conn) {
		ha_http_conn_process(q->conn, revents);
		while (ha_http_conn_result(q->conn, &hr) == 1) {
			/* results of requests failed already are dropped */
			if (q->n_req && hr.id == q->req[0].id) {
				struct upd_req req = q->req[0];

				q->n_req--;
				memmove(&q->req[0], &q->req[1], q->n_req * sizeof(q->req[0]));
				answer(s, r, &req, &hr);
			}
			free(hr.body);
		}
	}
	send_due(s, r);
}

void upd_backlog_send(struct rel *r)
{
	r->upd.backlog_sending = true;
}

/* The backlog is dropped (the partner will resynchronise): its changes
 * count as unsent; nobody waits for them. */
void upd_backlog_clear(struct rel *r)
{
	struct upd_queue *q = &r->upd;

	for (uint64_t pos = q->next; pos < q->tail; pos++) {
		struct upd_entry *e = SLOT(q, pos);

		if (e->st == UPD_QUEUED && e->backlog)
			finish(r, e, FIN_SKIPPED_COUNT);
	}
	q->backlog = 0;
	q->backlog_overflown = false;
	q->backlog_sending = false;
	advance(q);
}

/* ---- the API (ha_service.h) ---- */

static struct rel *rel_fam(struct ha_service *s, int fam)
{
	struct rel *r = &s->rel[fam == 6];

	return r->fam ? r : NULL;
}

int ha_service_update_push(struct ha_service *s, const struct lease_change *c, uint64_t tag)
{
	struct upd_queue *q;
	struct upd_entry *e;
	enum ha_update pol;
	struct rel *r;
	int rc = 1;

	if (!c || (c->family != LEASE_FAMILY_V4 && c->family != LEASE_FAMILY_V6) ||
	    c->origin == LEASE_ORIGIN_HA)
		return -EINVAL;
	/* Expiry is not sent: the partner reclaims on its own. */
	if (c->op == LEASE_OP_EXPIRE)
		return 1;
	pthread_mutex_lock(&s->lock);
	r = rel_fam(s, c->family);
	if (!r)
		goto out;	/* no relationship for the family: nobody to tell */
	q = &r->upd;
	pol = ha_svc_partner_policy(s, r);
	switch (pol) {
	case HA_UPD_SKIP:
		goto out;
	case HA_UPD_SKIP_COUNT:
		ha_comm_unsent_inc(r->comm);
		goto out;
	case HA_UPD_QUEUE:
		/* communication-recovery: kept up to delayed-updates-limit */
		if (q->backlog >= s->ha->delayed_updates_limit) {
			q->backlog_overflown = true;
			ha_comm_unsent_inc(r->comm);
			goto out;
		}
		break;
	default:
		break;
	}
	if (q->tail - q->head >= HA_UPDATE_QUEUE) {
		rc = -ENOBUFS;
		goto out;
	}
	e = SLOT(q, q->tail);
	memset(e, 0, offsetof(struct upd_entry, u));
	e->tag = tag;
	e->st = UPD_QUEUED;
	e->del = lease_op_removes(c->op);
	e->wait = pol == HA_UPD_SEND_WAIT;
	e->backlog = pol == HA_UPD_QUEUE;
	if (c->family == LEASE_FAMILY_V4)
		e->u.v4 = c->u.v4;
	else
		e->u.v6 = c->u.v6;
	q->tail++;
	q->backlog += e->backlog;
	rc = e->wait ? 0 : 1;
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

unsigned ha_service_updates_done(struct ha_service *s, struct ha_update_done *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < 2; i++) {
		struct upd_queue *q = &s->rel[i].upd;

		if (!s->rel[i].fam)
			continue;
		while (n < max && q->head < q->done) {
			const struct upd_entry *e = SLOT(q, q->head++);

			if (e->wait)
				out[n++] = (struct ha_update_done){ .tag = e->tag, .ok = e->ok };
		}
		advance(q);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

void ha_service_unsent_add(struct ha_service *s, uint64_t n)
{
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < 2; i++)
		if (s->rel[i].fam)
			ha_comm_unsent_add(s->rel[i].comm, n);
	pthread_mutex_unlock(&s->lock);
}

bool ha_service_updates_wait(struct ha_service *s, int fam)
{
	bool wait = false;
	struct rel *r;

	if (fam != 4 && fam != 6)
		return false;
	pthread_mutex_lock(&s->lock);
	r = rel_fam(s, fam);
	if (r)
		wait = ha_svc_partner_policy(s, r) == HA_UPD_SEND_WAIT;
	pthread_mutex_unlock(&s->lock);
	return wait;
}
