/* Lease commands as messages to the workers that own the leases: the
 * control thread never touches a lease table, it asks the owner over its
 * message ring (dp_msg_*) and waits, bounded, for the answer.
 *
 * By-address work (lease4-get by address, lease4-del by address, the
 * holder check of lease4-add and -update, lease4-get-page) goes to the
 * address's owner only: each address in use has an owner reference beside
 * its pool bit (or in the runtime's index of addresses outside the pools),
 * written by the worker that holds it (dhcp4_addr_owner).  Queries by
 * client identifier and the subnet-wide commands still ask every worker.
 *
 * DHCPv6 leases (DP_MSG_*6) take the same paths (struct lease_fam says
 * what differs).  There no address has an owner: by-address work asks
 * every worker, by-DUID work the DUID's owner (dhcp6_rec_owner), where
 * all of a client's leases live. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "lease_table.h"


/* Whose changes the running command makes: the partner's when it came on
 * the HA peer listener (or s->origin says so: dp_srv_lease4_apply), so
 * the workers log them with origin HA and the HA link does not send them
 * back; a control command's otherwise. */
uint8_t msg_origin(const struct dp_srv *s)
{
	if (s->origin)
		return s->origin;
	return ctl_request_peer() ? LEASE_ORIGIN_HA : LEASE_ORIGIN_CONTROL;
}

/* A new message of the running command (its origin set). */
static struct dp_msg *msg_new(struct dp_srv *s, enum dp_msg_kind kind, unsigned out_cap)
{
	struct dp_msg *m = dp_msg_new(kind, out_cap);

	if (m)
		m->origin = msg_origin(s);
	return m;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int rec6_cmp(const void *a, const void *b)
{
	const struct lease6_rec *x = a, *y = b;

	return lease_addr6_cmp(x->addr, y->addr);
}

/* What the DHCPv4 and the DHCPv6 lease messages do not share: their
 * kinds, where the filter goes and the records come out, the records'
 * size and order, and a worker's lease count (published atomically by
 * its owner: lease_table.h). */
struct lease_fam {
	enum dp_msg_kind query, del;
	size_t rec_size;
	int (*cmp)(const void *a, const void *b);
	void (*set_filter)(struct dp_msg *m, const void *f);
	const void *(*records)(const struct dp_msg *m);
	uint32_t (*count)(struct dp_worker *w);
};

static void set_filter4(struct dp_msg *m, const void *f)
{
	m->filter = *(const struct dhcp4_lease_filter *)f;
}

static void set_filter6(struct dp_msg *m, const void *f)
{
	m->filter6 = *(const struct dhcp6_lease_filter *)f;
}

static const void *records4(const struct dp_msg *m)
{
	return m->out;
}

static const void *records6(const struct dp_msg *m)
{
	return m->out6;
}

static uint32_t count4(struct dp_worker *w)
{
	return lease_table_count(dhcp4_worker_leases(w->dw));
}

static uint32_t count6(struct dp_worker *w)
{
	return w->dw6 ? lease6_table_count(dhcp6_worker_leases(w->dw6)) : 0;
}

static const struct lease_fam fam4 = {
	DP_MSG_QUERY, DP_MSG_DEL, sizeof(struct lease_rec), rec_cmp, set_filter4, records4, count4,
};
static const struct lease_fam fam6 = {
	DP_MSG_QUERY6, DP_MSG_DEL6, sizeof(struct lease6_rec), rec6_cmp, set_filter6, records6, count6,
};

/* Ask workers [w0, w1) for the leases matching f; the answers are merged
 * and sorted by address into *out (caller frees).  `fixed`: how many
 * records a worker may answer at most (one address, a page), 0 for all of
 * its matches.  Returns the count or -errno. */
static long query_fam(struct dp_srv *s, const struct lease_fam *fam, const void *f,
		      unsigned fixed, unsigned w0, unsigned w1, void **out)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	char *v = NULL;
	size_t total = 0;
	unsigned w, tries;
	long ret = 0;

	*out = NULL;
	for (w = w0; w < w1; w++) {
		/* the table size is only a first guess, the retry below covers a
		 * table that grows meanwhile */
		unsigned cap = fixed ? fixed : fam->count(dp->workers[w]) + 64;

		for (tries = 0; tries < 4; tries++) {
			m[w] = msg_new(s, fam->query, cap ? cap : 1);
			if (!m[w]) {
				ret = -ENOMEM;
				goto out;
			}
			fam->set_filter(m[w], f);
			ret = dp_msg_post(dp, w, m[w]);
			if (!ret)
				ret = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
			if (ret) {
				if (ret != -ETIMEDOUT)
					dp_msg_free(m[w]);
				m[w] = NULL;      /* abandoned: the worker frees it */
				goto out;
			}
			if (m[w]->ret) {
				ret = m[w]->ret;
				goto out;
			}
			if (fixed || m[w]->matched <= m[w]->n)
				break;
			/* the table grew between the count and the scan */
			cap = (unsigned)m[w]->matched + 1024;
			dp_msg_free(m[w]);
			m[w] = NULL;
		}
		if (!m[w]) {
			ret = -EAGAIN;
			goto out;
		}
		total += m[w]->n;
	}
	v = malloc((total ? total : 1) * fam->rec_size);
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	total = 0;
	for (w = w0; w < w1; w++) {
		memcpy(v + total * fam->rec_size, fam->records(m[w]), m[w]->n * fam->rec_size);
		total += m[w]->n;
	}
	qsort(v, total, fam->rec_size, fam->cmp);
	*out = v;
	ret = (long)total;
out:
	for (w = w0; w < w1; w++)
		dp_msg_free(m[w]);
	return ret;
}

long query_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, struct lease_rec **out)
{
	void *v;
	long n = query_fam(s, &fam4, f, f->addr ? 1 : f->limit, 0, s->dp->n_workers, &v);

	*out = v;
	return n;
}

long query6(struct dp_srv *s, const struct dhcp6_lease_filter *f, unsigned w0, unsigned w1,
	    struct lease6_rec **out)
{
	void *v;
	long n = query_fam(s, &fam6, f, f->by_addr ? 1 : f->limit, w0, w1, &v);

	*out = v;
	return n;
}

/* Post one message of `kind` to workers [w0, w1) and wait for all; the sum of
 * their `matched`, or the first error.  incomplete: NULL, or where to
 * count the workers whose delete left matching leases for lack of room in
 * the write-behind ring or release queue (-ENOBUFS is then not an error);
 * done: NULL, or the sum of `matched` even when the answer is an error. */
static long post_range(struct dp_srv *s, const struct lease_fam *fam, enum dp_msg_kind kind,
		       const void *f, unsigned w0, unsigned w1, unsigned *incomplete, long *done)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned w;
	long ret = 0, sum = 0;

	/* every message exists before any is posted: a failed allocation
	 * must not leave posted ones that nobody waits for or frees */
	for (w = w0; w < w1; w++) {
		m[w] = msg_new(s, kind, 0);
		if (!m[w]) {
			while (w-- > w0)
				dp_msg_free(m[w]);
			return -ENOMEM;
		}
		if (f)
			fam->set_filter(m[w], f);
	}
	for (w = w0; w < w1; w++) {
		ret = dp_msg_post(dp, w, m[w]);
		if (ret) {
			/* this one and the rest were never posted: ours to free */
			for (; w < w1; w++) {
				dp_msg_free(m[w]);
				m[w] = NULL;
			}
			break;
		}
	}
	for (w = w0; w < w1; w++) {
		int r;

		if (!m[w])
			continue;
		r = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
		if (r) {
			ret = r;              /* abandoned: the worker frees it */
			continue;
		}
		if (incomplete && (m[w]->ret == -ENOBUFS || (kind == fam->del && m[w]->n)))
			(*incomplete)++;
		else if (m[w]->ret && !ret)
			ret = m[w]->ret;
		sum += (long)m[w]->matched;
		dp_msg_free(m[w]);
	}
	if (done)
		*done = sum;
	return ret ? ret : sum;
}

long broadcast(struct dp_srv *s, enum dp_msg_kind kind, const struct dhcp4_lease_filter *f,
	       unsigned *incomplete, long *done)
{
	return post_range(s, &fam4, kind, f, 0, s->dp->n_workers, incomplete, done);
}

/* Delete every lease matching f.  A worker's pass stops early when its
 * write-behind ring or release queue is full (the rest of its matches
 * stay), so passes repeat, with a pause for the flusher, while some worker
 * left matches behind, up to DEL_ALL_MS.  The DHCPv4 worker says how many
 * it left; only those leftovers bring another pass: leases that clients
 * take anew while it runs are not chased.  The DHCPv6 worker says so only
 * when it could delete none (-ENOBUFS), so after a pass that deleted
 * something up to DEL6_CHASE more passes run until one deletes nothing.
 * *deleted gets the total; returns 0, or -errno (-ETIMEDOUT when known
 * leftovers remain at the bound). */
#define DEL_ALL_MS 20000
static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Passes of fam's delete over workers [w0, w1); chase: passes allowed
 * after one that deleted something without saying it left matches. */
static int del_loop(struct dp_srv *s, const struct lease_fam *fam, const void *f, unsigned w0,
		    unsigned w1, unsigned chase, long *deleted)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	uint64_t until = now_ms() + DEL_ALL_MS;
	long n, done;

	*deleted = 0;
	for (;;) {
		unsigned incomplete = 0;

		done = 0;
		n = post_range(s, fam, fam->del, f, w0, w1, &incomplete, &done);
		*deleted += done;
		if (n < 0)
			return (int)n;
		if (incomplete == 0) {
			if (!chase || !done)
				return 0;
			chase--;
			continue;
		}
		if (now_ms() > until)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

int del_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, long *deleted)
{
	unsigned w0 = 0, w1 = s->dp->n_workers;

	*deleted = 0;
	if (f->addr) {                          /* one address: its owner only */
		int w = dhcp4_addr_owner(s->rt, f->addr, NULL);

		if (w == -ENOENT)
			return 0;
		if (w >= 0) {
			w0 = (unsigned)w;
			w1 = w0 + 1;
		}
	}
	return del_loop(s, &fam4, f, w0, w1, 0, deleted);
}

#define DEL6_CHASE 16
int del6_all(struct dp_srv *s, const struct dhcp6_lease_filter *f, unsigned w0, unsigned w1,
	     long *deleted)
{
	return del_loop(s, &fam6, f, w0, w1, f->by_addr ? 0 : DEL6_CHASE, deleted);
}

/* A change is acknowledged once it is as safe as a DHCPACK would be: the
 * log consumers a worker's replies wait for (the store in commit mode)
 * have it.  -ETIME when they do not within DURABLE_WAIT_MS: the change is
 * in memory and in the log, not yet in the store.
 *
 * The HA partner's changes (its lease updates and sync pages) are
 * acknowledged once applied, without that wait, as Kea's standby does:
 * the partner made each one durable before it asked (its client's reply
 * waits for this answer), the change reaches this store with the next
 * group commit, and a Kea partner sends its updates one at a time, so a
 * wait per update would cap the pair at one disk sync per lease. */
static int wait_durable(struct dp_srv *s, unsigned w, uint64_t seq)
{
	const struct dp_worker *dw = s->dp->workers[w];
	struct timespec nap = { 0, 200000 };
	unsigned i;

	if (!dw->need || !seq || msg_origin(s) == LEASE_ORIGIN_HA)
		return 0;
	for (i = 0; i < DURABLE_WAIT_MS * 5; i++) {
		if (lease_log_safe(dw->log, dw->need) >= seq)
			return 0;
		nanosleep(&nap, NULL);
	}
	return -ETIME;
}

/* Post m to worker w and wait for the answer: 0 (m->ret is the worker's
 * answer), or -errno; on -ETIMEDOUT m is the worker's to free. */
static int ask(struct dp_srv *s, unsigned w, struct dp_msg *m)
{
	int ret = dp_msg_post(s->dp, w, m);

	if (ret) {
		dp_msg_free(m);
		return ret;
	}
	ret = dp_msg_wait(m, MSG_TIMEOUT_MS);
	if (ret)
		return ret;               /* abandoned */
	return 0;
}

/* Post m (a new message) to worker w and wait: the worker's answer, 0
 * once durable when asked.  seq (may be NULL) gets the message's sequence
 * number, also when the worker's answer is an error (HANDOVER's -ENOENT
 * has one).  m is freed. */
static int send_msg(struct dp_srv *s, unsigned w, struct dp_msg *m, bool durable, uint64_t *seq)
{
	int ret = ask(s, w, m);

	if (ret)
		return ret;
	ret = m->ret;
	if (seq)
		*seq = m->seq;
	if (!ret && durable)
		ret = wait_durable(s, w, m->seq);
	dp_msg_free(m);
	return ret;
}

/* One message of `kind` about r to worker w (send_msg). */
static int send_rec(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease_rec *r,
		    uint32_t ref, bool durable, uint64_t *seq)
{
	struct dp_msg *m = msg_new(s, kind, 0);

	if (!m)
		return -ENOMEM;
	m->rec = *r;
	m->filter.addr = r->addr;
	m->ref = ref;
	return send_msg(s, w, m, durable, seq);
}

/* lease4_update (force-create) of recs[0..n), results in rets[], batched:
 * a run of records whose address is free here or held by the worker that
 * owns their client goes as APPLY messages (at most DP_APPLY_MAX records
 * each, every worker's at once), each worker's changes waited durable
 * once; a record whose address another worker holds (the client moved)
 * ends the run and takes lease4_update's road alone.  A worker applies
 * its messages in order, so two records of one address keep theirs. */
struct apply_msg {
	struct dp_msg *m;
	unsigned w, n;                  /* n: records answered (0: none) */
	uint32_t idx[DP_APPLY_MAX];
};

static void apply_run(struct dp_srv *s, const struct lease_rec *recs, size_t i0, size_t i1,
		      int *rets)
{
	unsigned nw = s->dp->n_workers, w, k, nm = 0;
	struct apply_msg *am = calloc((i1 - i0) + nw, sizeof(*am));
	struct apply_msg *cur[DP_MAX_WORKERS] = { 0 };
	uint64_t last[DP_MAX_WORKERS] = { 0 };
	size_t i;

	if (!am) {
		for (i = i0; i < i1; i++)
			rets[i] = -ENOMEM;
		return;
	}
	for (i = i0; i < i1; i++) {
		w = rec_owner(s, &recs[i]);
		if (!cur[w] || cur[w]->m->n == DP_APPLY_MAX) {
			struct dp_msg *m = msg_new(s, DP_MSG_APPLY, DP_APPLY_MAX);

			if (m && !(m->rets = calloc(DP_APPLY_MAX, sizeof(*m->rets)))) {
				dp_msg_free(m);
				m = NULL;
			}
			if (!m) {
				rets[i] = -ENOMEM;
				continue;
			}
			cur[w] = &am[nm++];
			cur[w]->m = m;
			cur[w]->w = w;
		}
		cur[w]->idx[cur[w]->m->n] = (uint32_t)i;
		cur[w]->m->out[cur[w]->m->n++] = recs[i];
	}
	for (k = 0; k < nm; k++) {
		int r = dp_msg_post(s->dp, am[k].w, am[k].m);

		if (r) {
			for (unsigned j = 0; j < am[k].m->n; j++)
				rets[am[k].idx[j]] = r;
			dp_msg_free(am[k].m);
			am[k].m = NULL;
		}
	}
	for (k = 0; k < nm; k++) {
		struct dp_msg *m = am[k].m;

		if (!m)
			continue;
		if (dp_msg_wait(m, MSG_TIMEOUT_MS)) {
			for (unsigned j = 0; j < m->n; j++)   /* abandoned: the worker frees it */
				rets[am[k].idx[j]] = -ETIMEDOUT;
			continue;
		}
		for (unsigned j = 0; j < m->n; j++)
			rets[am[k].idx[j]] = m->rets[j];
		am[k].n = m->n;
		if (m->seq > last[am[k].w])
			last[am[k].w] = m->seq;
		dp_msg_free(m);
	}
	/* acknowledged once as safe as an ACK would be, per worker */
	for (w = 0; w < nw; w++) {
		int r = last[w] ? wait_durable(s, w, last[w]) : 0;

		for (k = 0; r && k < nm; k++)
			if (am[k].w == w)
				for (unsigned j = 0; j < am[k].n; j++)
					if (!rets[am[k].idx[j]])
						rets[am[k].idx[j]] = r;
	}
	free(am);
}

void lease4_update_batch(struct dp_srv *s, const struct lease_rec *recs, size_t n, int *rets)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n; j++) {
			int a = dhcp4_addr_owner(s->rt, recs[j].addr, NULL);

			if (a != -ENOENT && (a < 0 || (unsigned)a != rec_owner(s, &recs[j])))
				break;
		}
		if (j > i)
			apply_run(s, recs, i, j, rets);
		if (j < n) {
			rets[j] = lease4_update(s, &recs[j], true, NULL);
			j++;
		}
		i = j;
	}
}

int send_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease_rec *r)
{
	return send_rec(s, w, kind, r, 0, true, NULL);
}

int send6_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease6_rec *r)
{
	struct dp_msg *m = msg_new(s, kind, 0);

	if (!m)
		return -ENOMEM;
	m->rec6 = *r;
	return send_msg(s, w, m, true, NULL);
}

unsigned rec_owner(struct dp_srv *s, const struct lease_rec *r)
{
	struct lease_key k;

	dhcp4_rec_key(r, s->conf->match_client_id, &k);
	return dhcp4_owner(&k, s->dp->n_workers);
}

/* The first of workers [w0, w1) holding a lease that matches f (one
 * address), with the lease in *found (may be NULL): its index, -ENOENT,
 * or -errno.  One message at a time: the first answer ends it. */
static int ask_holder(struct dp_srv *s, const struct lease_fam *fam, const void *f, unsigned w0,
		      unsigned w1, void *found)
{
	unsigned w;

	for (w = w0; w < w1; w++) {
		struct dp_msg *m = msg_new(s, fam->query, 1);
		int ret;

		if (!m)
			return -ENOMEM;
		fam->set_filter(m, f);
		ret = ask(s, w, m);
		if (ret)
			return ret;
		if (m->ret || m->n) {
			ret = m->ret ? m->ret : (int)w;
			if (!m->ret && found)
				memcpy(found, fam->records(m), fam->rec_size);
			dp_msg_free(m);
			return ret;
		}
		dp_msg_free(m);
	}
	return -ENOENT;
}

/* Which worker holds the lease at addr: -ENOENT, or the worker index,
 * with the lease in *found and the owner reference in *ref (either may be
 * NULL).  One message, to the owner; every worker only when the owner is
 * not known (dhcp4_addr_owner: the outside index overflowed). */
int holder_of(struct dp_srv *s, uint32_t addr, struct lease_rec *found, uint32_t *ref)
{
	struct dhcp4_lease_filter f = { .addr = addr };
	int owner = dhcp4_addr_owner(s->rt, addr, ref);

	if (owner == -ENOENT)
		return -ENOENT;
	if (owner >= 0)
		return ask_holder(s, &fam4, &f, (unsigned)owner, (unsigned)owner + 1, found);
	return ask_holder(s, &fam4, &f, 0, s->dp->n_workers, found);
}

/* DHCPv6 keeps no owner per address: every worker is asked, in turn. */
int holder6_of(struct dp_srv *s, const struct dhcp6_lease_filter *f, struct lease6_rec *found)
{
	return ask_holder(s, &fam6, f, 0, s->dp->n_workers, found);
}

unsigned duid_owner(struct dp_srv *s, const uint8_t *duid, uint8_t len)
{
	struct lease6_rec r = { .duid_len = len };

	memcpy(r.duid, duid, len);
	return dhcp6_rec_owner(&r, s->dp->n_workers);
}

/* lease6-update to a client of another worker: the lease at old->addr
 * leaves worker `from` for worker `to`.  No message moves a v6 lease
 * whole (v4's ADOPT and HANDOVER, move_lease below), so it is deleted on
 * `from`, the delete is let become durable (it must reach the store
 * before the new lease: the memfile replays by address, last record
 * wins), and the lease is added on `to`, which may have to wait a moment
 * for `from` to give the address back (after that durable delete).  A
 * crash in between loses the lease; a client that takes the address in
 * between makes the add fail (-EEXIST): the old lease is then put back. */
#define MOVE6_TRIES 100                 /* 10 ms apart */
static int add6_retry(struct dp_srv *s, unsigned w, const struct lease6_rec *r)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int ret, tries;

	for (tries = 1;; tries++) {
		ret = send6_one(s, w, DP_MSG_ADD6, r);
		if ((ret != -EEXIST && ret != -ENOBUFS) || tries == MOVE6_TRIES)
			return ret;
		nanosleep(&nap, NULL);
	}
}

int move6_lease(struct dp_srv *s, unsigned from, unsigned to, const struct lease6_rec *old,
		const struct lease6_rec *r)
{
	struct dhcp6_lease_filter f = { .by_addr = true, .addr = old->addr, .type = -1 };
	long n = post_range(s, &fam6, DP_MSG_DEL6, &f, from, from + 1, NULL, NULL);
	int ret;

	if (n <= 0)
		return n ? (int)n : -ENOENT;    /* -ENOENT: it went meanwhile */
	ret = wait_durable(s, from, lease_log_head(s->dp->workers[from]->log));
	if (!ret)
		ret = add6_retry(s, to, r);
	if (ret && add6_retry(s, from, old))
		return -EIO;                    /* neither: the lease is gone */
	return ret;
}

/* dhcp4_lease_page's fetch: one FETCH message to each worker that holds
 * some of addrs, all in flight at once; the answers (each in address
 * order) merged back into address order. */
struct fetch_ctx {
	struct dp_srv *s;
};

static long fetch_owners(void *arg, const uint32_t *addrs, const int *workers, unsigned n,
			 struct lease_rec *out)
{
	struct fetch_ctx *x = arg;
	struct dp *dp = x->s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned cnt[DP_MAX_WORKERS] = { 0 }, pos[DP_MAX_WORKERS] = { 0 }, w, i, k = 0;
	long ret = 0;

	for (i = 0; i < n; i++)
		if (workers[i] >= 0 && (unsigned)workers[i] < dp->n_workers)
			cnt[workers[i]]++;
	for (w = 0; w < dp->n_workers; w++) {
		if (!cnt[w])
			continue;
		m[w] = msg_new(x->s, DP_MSG_FETCH, cnt[w]);
		if (m[w])
			m[w]->addrs = malloc(cnt[w] * sizeof(*m[w]->addrs));
		if (!m[w] || !m[w]->addrs) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		if (workers[i] >= 0 && (unsigned)workers[i] < dp->n_workers)
			m[workers[i]]->addrs[m[workers[i]]->n++] = addrs[i];
	for (w = 0; w < dp->n_workers; w++) {
		if (!m[w])
			continue;
		ret = dp_msg_post(dp, w, m[w]);
		if (ret) {
			for (; w < dp->n_workers; w++) {     /* never posted: ours */
				dp_msg_free(m[w]);
				m[w] = NULL;
			}
			break;
		}
	}
	for (w = 0; w < dp->n_workers; w++) {
		int r;

		if (!m[w])
			continue;
		r = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
		if (r) {
			m[w] = NULL;            /* abandoned: the worker frees it */
			if (!ret)
				ret = r;
		}
	}
	if (ret)
		goto out;
	/* k-way merge: each worker's records ascend */
	for (;;) {
		int best = -1;

		for (w = 0; w < dp->n_workers; w++)
			if (m[w] && pos[w] < m[w]->n &&
			    (best < 0 || m[w]->out[pos[w]].addr < m[best]->out[pos[best]].addr))
				best = (int)w;
		if (best < 0)
			break;
		out[k++] = m[best]->out[pos[best]++];
	}
	ret = k;
out:
	for (w = 0; w < dp->n_workers; w++)
		dp_msg_free(m[w]);
	return ret;
}

/* lease4-get-page: the `limit` leases above `from`, in address order, at
 * a cost that follows the page and not the table (dhcp4_lease_page); the
 * full query when the owners are not all known. */
long page_query(struct dp_srv *s, uint32_t from, uint32_t limit, struct lease_rec **out)
{
	struct fetch_ctx x = { .s = s };
	struct lease_rec *v = malloc((limit ? limit : 1) * sizeof(*v));
	long n;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	n = dhcp4_lease_page(s->rt, from, limit, fetch_owners, &x, v);
	if (n == -EAGAIN) {
		struct dhcp4_lease_filter f = { .from = from, .limit = limit };

		free(v);
		return query_all(s, &f, out);
	}
	if (n < 0) {
		free(v);
		return n;
	}
	*out = v;
	return n;
}

/* The lease at r->addr moves from worker `from` (owner reference `ref`) to
 * worker `to`, the new client's owner, and at no moment is it missing:
 * not from memory (a lease4-get, a lease4-get-page) and not from the
 * store (a restart).
 *
 *  1. ADOPT on `to`: the new lease enters its table; the address stays
 *     taken (nobody frees it during the move, so no client can take it);
 *     the owner reference passes to `to`, so by-address questions go
 *     there from now on; an ADD record goes into `to`'s log.  Before this
 *     step we note s0, how far `from`'s log is durable.
 *  2. HANDOVER on `from`: its entry goes, writing no record and freeing
 *     nothing.  If the old client released, expired or moved off the
 *     address between 1 and 2, `from` did the same silently (its drop
 *     sees the reference is no longer its own: addr_handed_over), so no
 *     delete record of it can land after the ADD.  It answers with its
 *     log's head: every record it ever wrote for the address (a renewal
 *     between 1 and 2 included) is at or below it, and it writes none
 *     after this step.
 *  3. The memfile replays by address, last record wins, and the flusher
 *     takes the workers' logs in turns: `from`'s last record could be
 *     written after the ADD.  If it was durable before step 1 (head <= s0)
 *     the ADD necessarily comes after it.  Otherwise we wait until it is
 *     durable and have `to` log the lease again (RELOG), which then
 *     comes after every record `from` ever wrote for the address.
 *
 * A restart at any point replays either the old lease (its records, no
 * delete: steps 1-3 not yet durable) or the new one: never nothing, and
 * once this returns 0 the new one.  In memory mode there is no store to
 * order. */
int move_lease(struct dp_srv *s, unsigned from, unsigned to, uint32_t ref,
	       const struct lease_rec *r)
{
	const struct dp_worker *dw = s->dp->workers[from];
	uint64_t s0 = dw->need ? lease_log_safe(dw->log, dw->need) : 0, old_seq = 0, seq = 0;
	int ret, tries;

	ret = send_rec(s, to, DP_MSG_ADOPT, r, 0, false, &seq);
	if (ret)
		return ret;                     /* nothing changed */
	ret = send_rec(s, from, DP_MSG_HANDOVER, r, ref, false, &old_seq);
	if (ret && ret != -ENOENT)              /* -ENOENT: it ended meanwhile, silently */
		return ret;
	if (dw->need && old_seq > s0) {
		ret = wait_durable(s, from, old_seq);
		/* the new owner's log may be full for a moment: retry, 1 s */
		for (tries = 0; !ret && tries < 100; tries++) {
			struct timespec nap = { 0, 10 * 1000 * 1000 };

			ret = send_rec(s, to, DP_MSG_RELOG, r, 0, false, &seq);
			if (ret != -ENOBUFS)
				break;
			ret = tries + 1 < 100 ? 0 : -ENOBUFS;
			nanosleep(&nap, NULL);
		}
		if (ret)
			return ret;
	}
	return wait_durable(s, to, seq);
}
