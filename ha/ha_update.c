/* Lease updates to the partner and the backups (ha_service.h, "Lease
 * updates"): one ring of changes per relationship, a sender per peer on
 * a connection of its own, the outcomes.
 *
 * One ring, many readers.  A change is stored once; each entry carries a
 * bit per sender that has still to finish it (`pend`) and a bit per
 * sender whose answer its outcome waits for (`wait`).  Each sender reads
 * the ring from its own position.  A slot is reused once its outcome was
 * taken and only lossy senders (backups nothing waits for) still have it:
 * those are lapped (counted unsent), so a slow or absent backup falls
 * behind without ever holding up the partner or an outcome.
 *
 * Order.  Each sender sends its changes in the order pushed: requests
 * carry consecutive changes, the connection answers in order, and a
 * change whose policy says "skip" when its turn comes is finished only
 * at the sender's position.  Outcomes are taken in the order pushed too
 * (`done` moves over a change once its waited-for senders finished it),
 * so the HA thread can advance its watermark entry by entry. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ha_msg.h"
#include "ha_service_int.h"
#include "lease_log.h"

#define SLOT(q, pos) (&(q)->ring[(pos) % HA_UPDATE_QUEUE])

/* How a change ended for one sender. */
enum fin { FIN_ACKED, FIN_REFUSED, FIN_FAILED, FIN_SKIPPED, FIN_SKIPPED_COUNT };

/* The lowest position still held (those below were lapped). */
static uint64_t low(const struct upd_queue *q)
{
	return q->tail > HA_UPDATE_QUEUE ? q->tail - HA_UPDATE_QUEUE : 0;
}

int upd_init(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;
	const struct conf_ha *ha = s->ha;

	q->ring = calloc(HA_UPDATE_QUEUE, sizeof(*q->ring));
	if (!q->ring)
		return -1;
	/* A backup server sends nothing (Kea: it serves no clients). */
	if (s->me->role == CONF_HA_BACKUP)
		return 0;
	for (unsigned i = 0; i < ha->n_peers; i++) {
		const struct conf_ha_peer *peer = &ha->peers[i];
		struct upd_peer *p;
		bool backup = peer->role == CONF_HA_BACKUP;

		if (i == ha->this_peer)
			continue;
		p = &q->peer[q->n_peers];
		p->peer = peer;
		p->bit = (uint16_t)(1u << q->n_peers);
		p->partner = peer == s->partner;
		p->lossy = backup && !ha->wait_backup_ack;
		/* Pipelined only toward a Peregrine partner (depth decides). */
		p->conn = ha_svc_conn(peer, r->fam, ha->max_response_delay,
				      p->partner ? HA_UPDATE_PIPELINE : 1);
		if (!p->conn)
			return -1;
		if (p->partner)
			q->partner = p;
		if (p->lossy)
			q->lossy |= p->bit;
		q->n_peers++;
	}
	return 0;
}

void upd_free(struct rel *r)
{
	struct upd_queue *q = &r->upd;

	for (unsigned i = 0; i < q->n_peers; i++)
		if (q->peer[i].conn)
			ha_http_conn_free(q->peer[i].conn);
	free(q->ring);
	q->n_peers = 0;
	q->partner = NULL;
	q->ring = NULL;
}

/* Move `done` over the changes whose waited-for senders all finished,
 * and `out` over those of them nobody waits for. */
static void advance(struct upd_queue *q)
{
	while (q->done < q->tail) {
		const struct upd_entry *e = SLOT(q, q->done);

		if (e->pend & e->wait)
			break;
		q->done++;
	}
	while (q->out < q->done && !SLOT(q, q->out)->wait)
		q->out++;
}

/* Change `pos` ended for sender p.  Its slot may have been reused when p
 * is lossy and the change was lapped in flight: then only p counts it. */
static void finish(struct rel *r, struct upd_peer *p, uint64_t pos, enum fin how)
{
	struct upd_queue *q = &r->upd;
	struct upd_entry *e = pos >= low(q) ? SLOT(q, pos) : NULL;

	switch (how) {
	case FIN_ACKED:
		p->stats.acked++;
		break;
	case FIN_REFUSED:
		p->stats.refused++;
		break;
	case FIN_FAILED:
		p->stats.failed++;
		p->stats.unsent++;
		if (p->partner)
			ha_comm_unsent_inc(r->comm);
		break;
	case FIN_SKIPPED_COUNT:
		p->stats.unsent++;
		if (p->partner)
			ha_comm_unsent_inc(r->comm);
		break;
	default:
		break;
	}
	if (!e || !(e->pend & p->bit))
		return;
	e->pend &= (uint16_t)~p->bit;
	p->stats.queued--;
	if ((e->wait & p->bit) && (how == FIN_REFUSED || how == FIN_FAILED))
		e->ok = false;
	if (p->partner && e->backlog && q->backlog)
		q->backlog--;
}

/* The slot of position pos is wanted again: the lossy senders that still
 * have that change lose it.  One not sent yet counts unsent; one in
 * flight is counted by its answer. */
static void lap(struct upd_queue *q, uint64_t pos)
{
	struct upd_entry *e = SLOT(q, pos);

	for (unsigned i = 0; i < q->n_peers && e->pend; i++) {
		struct upd_peer *p = &q->peer[i];

		if (!(e->pend & p->bit))
			continue;
		e->pend &= (uint16_t)~p->bit;
		p->stats.queued--;
		if (p->next <= pos) {
			p->stats.unsent++;
			p->next = pos + 1;
		}
	}
}

/* p could not be reached, or did not answer in time (or answered what is
 * not Kea's): everything in flight fails, and so does every queued
 * change that waits for p.  The partner then counts as unavailable and a
 * heartbeat goes at once, as Kea does after a failed update; the backlog
 * stays for later.  A lossy backup keeps its queue and is tried again a
 * heartbeat-delay later (Kea never marks a backup unavailable). */
static void fail_delivery(struct ha_service *s, struct rel *r, struct upd_peer *p)
{
	struct upd_queue *q = &r->upd;

	p->stats.link = HA_PEER_LINK_FAILED;
	for (unsigned i = 0; i < p->n_req; i++)
		for (uint32_t k = 0; k < p->req[i].n; k++)
			finish(r, p, p->req[i].first + k, FIN_FAILED);
	p->n_req = 0;
	if (p->lossy)
		p->retry_ms = s->now_ms + s->ha->heartbeat_delay;
	for (uint64_t pos = p->next < low(q) ? low(q) : p->next; !p->lossy && pos < q->tail; pos++) {
		const struct upd_entry *e = SLOT(q, pos);

		if (e->pend & e->wait & p->bit)
			finish(r, p, pos, FIN_FAILED);
	}
	advance(q);
	if (!p->partner)
		return;
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

/* The answer to one request of p: each of its changes acknowledged or
 * refused.  Kea's lease4-update: result 0; lease4-del: 0, or 3 (the peer
 * had no such lease: what a delete wants).  A bulk apply (and Kea's
 * one-lease lease6-bulk-apply): the changes its failed lists name are
 * refused, the others acknowledged (a lapped change, its record gone:
 * acknowledged when nothing failed). */
static void answer(struct ha_service *s, struct rel *r, struct upd_peer *p,
		   const struct upd_req *req, const struct ha_http_result *hr)
{
	struct ha_failed_lease fl[HA_UPDATE_BATCH];	/* 10 KiB */
	struct upd_queue *q = &r->upd;
	struct ha_answer a;
	char err[160];
	long nf = 0;

	if (hr->err || hr->status != 200 ||
	    ha_msg_parse_answer(hr->body, hr->body_len, &a, err, sizeof(err)) != 0) {
		/* put the request back in flight so it fails with the rest */
		memmove(&p->req[1], &p->req[0], p->n_req * sizeof(p->req[0]));
		p->req[0] = *req;
		p->n_req++;
		fail_delivery(s, r, p);
		return;
	}
	p->stats.link = HA_PEER_LINK_OK;
	if (r->fam == 4 && !req->bulk) {
		bool ok = a.result == HA_RESULT_SUCCESS || (req->del && a.result == HA_RESULT_EMPTY);

		finish(r, p, req->first, ok ? FIN_ACKED : FIN_REFUSED);
	} else {
		nf = ha_msg_bulk_apply_failures(&a, r->fam, fl, HA_UPDATE_BATCH, err, sizeof(err));
		for (uint32_t k = 0; k < req->n; k++) {
			uint64_t pos = req->first + k;
			bool ok = nf == 0;

			/* a failed list longer than the batch cannot be matched */
			if (nf > 0 && nf <= HA_UPDATE_BATCH && pos >= low(q)) {
				ok = true;
				for (long i = 0; ok && i < nf; i++)
					ok = !same_addr(r->fam, SLOT(q, pos), &fl[i]);
			}
			finish(r, p, pos, ok ? FIN_ACKED : FIN_REFUSED);
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

/* What the turn of p's next change means now: SEND / SEND_WAIT (send
 * it), SKIP / SKIP_COUNT, or QUEUE (hold: the backlog waits). */
static enum ha_update turn_policy(struct ha_service *s, struct rel *r, const struct upd_peer *p)
{
	enum ha_update pol = ha_svc_peer_policy(s, r, p->peer);

	if (pol == HA_UPD_QUEUE && r->upd.backlog_sending)
		return HA_UPD_SEND;
	return pol;
}

/* Requests p may have in flight: several only toward a Peregrine partner
 * (its heartbeat offered bulk applies); backups get no heartbeat. */
static unsigned depth(const struct rel *r, const struct upd_peer *p)
{
	return p->partner && r->stats.partner_bulk ? HA_UPDATE_PIPELINE : 1;
}

/* p's position onto its next change (over the lapped positions and the
 * changes that are not its): false when it has none. */
static bool seek(struct upd_queue *q, struct upd_peer *p)
{
	if (p->next < low(q))
		p->next = low(q);
	while (p->next < q->tail && !(SLOT(q, p->next)->pend & p->bit))
		p->next++;
	return p->next < q->tail;
}

/* Milliseconds until p has something to send (0: now), -1: nothing. */
static int peer_due_ms(struct ha_service *s, struct rel *r, struct upd_peer *p)
{
	enum ha_update pol;

	if (!seek(&r->upd, p))
		return -1;
	pol = turn_policy(s, r, p);
	if (pol == HA_UPD_QUEUE)
		return -1;
	if (pol == HA_UPD_SKIP || pol == HA_UPD_SKIP_COUNT)
		return 0;
	if (p->n_req >= depth(r, p))
		return -1;		/* the connection's deadline wakes us */
	if (p->lossy && p->retry_ms > s->now_ms)
		return (int)(p->retry_ms - s->now_ms);
	return 0;
}

int upd_timeout_ms(struct ha_service *s, struct rel *r)
{
	struct upd_queue *q = &r->upd;
	int t = q->backlog_sending && q->backlog == 0 ? 0 : -1;

	for (unsigned i = 0; i < q->n_peers && t != 0; i++) {
		struct upd_peer *p = &q->peer[i];
		int a = ha_http_conn_timeout(p->conn), b = peer_due_ms(s, r, p);

		if (a >= 0 && (t < 0 || a < t))
			t = a;
		if (b >= 0 && (t < 0 || b < t))
			t = b;
	}
	return t;
}

/* Send (or skip) what may go now to p. */
static void send_peer(struct ha_service *s, struct rel *r, struct upd_peer *p)
{
	struct upd_queue *q = &r->upd;

	while (seek(q, p)) {
		struct upd_entry *e = SLOT(q, p->next);
		enum ha_update pol = turn_policy(s, r, p);
		bool bulk = p->partner && r->stats.partner_bulk;
		uint32_t n = 1;
		int64_t id;
		json_t *msg;
		char *body;

		if (pol == HA_UPD_QUEUE)
			break;
		if (pol == HA_UPD_SKIP || pol == HA_UPD_SKIP_COUNT) {
			finish(r, p, p->next, pol == HA_UPD_SKIP ? FIN_SKIPPED : FIN_SKIPPED_COUNT);
			p->next++;
			continue;
		}
		if (p->n_req >= depth(r, p) || (p->lossy && p->retry_ms > s->now_ms))
			break;
		while (bulk && n < HA_UPDATE_BATCH && p->next + n < q->tail) {
			const struct upd_entry *f = SLOT(q, p->next + n);

			if (!(f->pend & p->bit) || f->del != e->del)
				break;
			n++;
		}
		msg = request(r->fam, q, p->next, n, bulk);
		body = msg ? ha_msg_text(msg) : NULL;
		json_decref(msg);
		id = body ? ha_http_conn_send(p->conn, body, strlen(body)) : -ENOMEM;
		free(body);
		if (id <= 0) {
			/* out of memory (the pipeline was checked): as undelivered */
			for (uint32_t k = 0; k < n; k++)
				finish(r, p, p->next + k, FIN_FAILED);
			p->next += n;
			continue;
		}
		p->req[p->n_req++] = (struct upd_req){ .id = (uint64_t)id, .first = p->next, .n = n,
						       .bulk = bulk, .del = e->del };
		p->next += n;
		p->stats.requests++;
	}
}

unsigned upd_pollfds(struct rel *r, struct pollfd *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->upd.n_peers && n < max; i++) {
		short ev = 0;
		int fd = ha_http_conn_pollfd(r->upd.peer[i].conn, &ev);

		if (fd >= 0)
			out[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	return n;
}

void upd_poll(struct ha_service *s, struct rel *r, const struct pollfd *fds, unsigned nfds)
{
	struct upd_queue *q = &r->upd;
	struct ha_http_result hr;

	for (unsigned i = 0; i < q->n_peers; i++) {
		struct upd_peer *p = &q->peer[i];

		ha_http_conn_process(p->conn, ha_svc_revents(fds, nfds, p->conn));
		while (ha_http_conn_result(p->conn, &hr) == 1) {
			/* results of requests failed already are dropped */
			if (p->n_req && hr.id == p->req[0].id) {
				struct upd_req req = p->req[0];

				p->n_req--;
				memmove(&p->req[0], &p->req[1], p->n_req * sizeof(p->req[0]));
				answer(s, r, p, &req, &hr);
			}
			free(hr.body);
		}
	}
	for (unsigned i = 0; i < q->n_peers; i++)
		send_peer(s, r, &q->peer[i]);
	advance(q);
	if (q->backlog_sending && q->backlog == 0) {
		q->backlog_sending = false;
		ha_svc_step(s, r, HA_EV_BACKLOG_SENT);
	}
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
	struct upd_peer *p = q->partner;

	for (uint64_t pos = p ? (p->next < low(q) ? low(q) : p->next) : q->tail; pos < q->tail;
	     pos++) {
		const struct upd_entry *e = SLOT(q, pos);

		if (e->backlog && (e->pend & p->bit))
			finish(r, p, pos, FIN_SKIPPED_COUNT);
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

/* Who takes a change pushed now: *to the senders it goes to, *wait those
 * whose answer its outcome waits for, *backlog whether it goes into the
 * partner's backlog; *count the senders whose policy counts it unsent
 * without sending; *overflow whether the backlog is full. */
static void push_policy(struct ha_service *s, struct rel *r, uint16_t *to, uint16_t *wait,
			bool *backlog, uint16_t *count, bool *overflow)
{
	struct upd_queue *q = &r->upd;

	*to = *wait = *count = 0;
	*backlog = *overflow = false;
	for (unsigned i = 0; i < q->n_peers; i++) {
		const struct upd_peer *p = &q->peer[i];

		switch (ha_svc_peer_policy(s, r, p->peer)) {
		case HA_UPD_SEND_WAIT:
			*wait |= p->bit;
			*to |= p->bit;
			break;
		case HA_UPD_SEND:
			*to |= p->bit;
			break;
		case HA_UPD_QUEUE:
			/* communication-recovery: kept up to delayed-updates-limit */
			if (q->backlog >= s->ha->delayed_updates_limit) {
				*overflow = true;
				*count |= p->bit;
			} else {
				*backlog = true;
				*to |= p->bit;
			}
			break;
		case HA_UPD_SKIP_COUNT:
			*count |= p->bit;
			break;
		default:
			break;
		}
	}
}

int ha_service_update_push(struct ha_service *s, const struct lease_change *c, uint64_t tag)
{
	uint16_t to, wait, count;
	bool backlog, overflow;
	struct upd_queue *q;
	struct upd_entry *e;
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
	push_policy(s, r, &to, &wait, &backlog, &count, &overflow);
	if (to && q->tail >= HA_UPDATE_QUEUE) {
		/* The oldest slot: free once its outcome was taken and only
		 * lossy senders still have it. */
		uint64_t pos = q->tail - HA_UPDATE_QUEUE;

		if (pos >= q->out || (SLOT(q, pos)->pend & (uint16_t)~q->lossy)) {
			rc = -ENOBUFS;	/* nothing counted: it comes again */
			goto out;
		}
		lap(q, pos);
	}
	for (unsigned i = 0; i < q->n_peers; i++) {
		struct upd_peer *p = &q->peer[i];

		if (count & p->bit) {
			p->stats.unsent++;
			if (p->partner)
				ha_comm_unsent_inc(r->comm);
		}
		if (to & p->bit)
			p->stats.queued++;
	}
	if (overflow)
		q->backlog_overflown = true;
	if (!to)
		goto out;
	e = SLOT(q, q->tail);
	memset(e, 0, offsetof(struct upd_entry, u));
	e->tag = tag;
	e->pend = to;
	e->wait = wait;
	e->del = lease_op_removes(c->op);
	e->backlog = backlog;
	e->ok = true;
	if (c->family == LEASE_FAMILY_V4)
		e->u.v4 = c->u.v4;
	else
		e->u.v6 = c->u.v6;
	q->tail++;
	q->backlog += backlog;
	advance(q);
	rc = wait ? 0 : 1;
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
		while (n < max && q->out < q->done) {
			const struct upd_entry *e = SLOT(q, q->out++);

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
	for (unsigned i = 0; r && !wait && i < r->upd.n_peers; i++)
		wait = ha_svc_peer_policy(s, r, r->upd.peer[i].peer) == HA_UPD_SEND_WAIT;
	pthread_mutex_unlock(&s->lock);
	return wait;
}

const char *ha_peer_link_name(enum ha_peer_link l)
{
	switch (l) {
	case HA_PEER_LINK_OK: return "ok";
	case HA_PEER_LINK_FAILED: return "failed";
	default: return "idle";
	}
}

int ha_service_peer_info(struct ha_service *s, int fam, const struct conf_ha_peer *peer,
			 struct ha_service_peer_info *out)
{
	int rc = -ENOENT;
	struct rel *r;

	if (fam != 4 && fam != 6)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = rel_fam(s, fam);
	if (!r)
		rc = -EINVAL;
	for (unsigned i = 0; r && i < r->upd.n_peers; i++) {
		const struct upd_peer *p = &r->upd.peer[i];

		if (p->peer != peer)
			continue;
		*out = p->stats;
		out->partner = p->partner;
		out->waits = ha_svc_peer_policy(s, r, p->peer) == HA_UPD_SEND_WAIT;
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}
