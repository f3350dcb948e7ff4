/* Lease commands as messages to the workers that own the leases: the
 * control thread never touches a lease table, it asks the owner over its
 * message ring (dp_msg_*) and waits, bounded, for the answer.
 *
 * Address lookups (lease4-get by address, lease4-del, lease4-update) are
 * broadcast to every worker, which scans its own table.  A per-worker
 * address index would make the lookup O(1) but costs an extra hash write
 * on every lease change on the packet path; control commands are rare and
 * a scan is ~10 ns per lease, so the packet path stays as it is. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "lease_log.h"
#include "lease_table.h"


static int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Ask every worker for the leases matching f; the answers are merged and
 * sorted by address into *out (caller frees).  Returns the count or -errno. */
long query_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, struct lease_rec **out)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	struct lease_rec *v = NULL;
	size_t total = 0;
	unsigned w, tries;
	long ret = 0;

	*out = NULL;
	for (w = 0; w < dp->n_workers; w++) {
		/* the worker's table size as it publishes it (an atomic load:
		 * the table itself is the worker's); only a first guess, the
		 * retry below covers a table that grows meanwhile */
		unsigned cap = f->addr ? 1 : f->limit ? f->limit :
			lease_table_count(dhcp4_worker_leases(dp->workers[w]->dw)) + 64;

		for (tries = 0; tries < 4; tries++) {
			m[w] = dp_msg_new(DP_MSG_QUERY, cap ? cap : 1);
			if (!m[w]) {
				ret = -ENOMEM;
				goto out;
			}
			m[w]->filter = *f;
			ret = dp_msg_post(dp, w, m[w]);
			if (!ret)
				ret = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
			if (ret) {
				if (ret != -ETIMEDOUT)
					dp_msg_free(m[w]);
				m[w] = NULL;      /* abandoned: the worker frees it */
				goto out;
			}
			if (f->limit || m[w]->matched <= m[w]->n)
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
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	total = 0;
	for (w = 0; w < dp->n_workers; w++) {
		memcpy(v + total, m[w]->out, m[w]->n * sizeof(*v));
		total += m[w]->n;
	}
	qsort(v, total, sizeof(*v), rec_cmp);
	*out = v;
	ret = (long)total;
out:
	for (w = 0; w < dp->n_workers; w++)
		dp_msg_free(m[w]);
	return ret;
}

/* Post one message of `kind` to every worker and wait for all; the sum of
 * their `matched`, or the first error.  incomplete: NULL, or where to
 * count the workers whose delete left matching leases for lack of room in
 * the write-behind ring or release queue (-ENOBUFS is then not an error);
 * done: NULL, or the sum of `matched` even when the answer is an error. */
long broadcast(struct dp_srv *s, enum dp_msg_kind kind, const struct dhcp4_lease_filter *f,
	       unsigned *incomplete, long *done)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned w;
	long ret = 0, sum = 0;

	/* every message exists before any is posted: a failed allocation
	 * must not leave posted ones that nobody waits for or frees */
	for (w = 0; w < dp->n_workers; w++) {
		m[w] = dp_msg_new(kind, 0);
		if (!m[w]) {
			while (w--)
				dp_msg_free(m[w]);
			return -ENOMEM;
		}
		if (f)
			m[w]->filter = *f;
	}
	for (w = 0; w < dp->n_workers; w++) {
		ret = dp_msg_post(dp, w, m[w]);
		if (ret) {
			/* this one and the rest were never posted: ours to free */
			for (; w < dp->n_workers; w++) {
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
			ret = r;              /* abandoned: the worker frees it */
			continue;
		}
		if (incomplete && (m[w]->ret == -ENOBUFS || (kind == DP_MSG_DEL && m[w]->n)))
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

/* Delete every lease matching f.  A worker's pass stops early when its
 * write-behind ring or release queue is full (the rest of its matches
 * stay, and it says how many), so passes repeat, with a pause for the
 * flusher, while some worker left matches behind, up to DEL_ALL_MS.  Only
 * leftovers bring another pass: leases that clients take anew while it
 * runs are not chased.  *deleted gets the total; returns 0, or -errno
 * (-ETIMEDOUT when leftovers remain at the bound). */
#define DEL_ALL_MS 20000
static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int del_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, long *deleted)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	uint64_t until = now_ms() + DEL_ALL_MS;
	long n, done;

	*deleted = 0;
	for (;;) {
		unsigned incomplete = 0;

		done = 0;
		n = broadcast(s, DP_MSG_DEL, f, &incomplete, &done);
		*deleted += done;
		if (n < 0)
			return (int)n;
		if (incomplete == 0)
			return 0;
		if (now_ms() > until)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

/* A change is acknowledged once it is as safe as a DHCPACK would be: the
 * log consumers a worker's replies wait for (the store in commit mode)
 * have it.  -ETIME when they do not within DURABLE_WAIT_MS: the change is
 * in memory and in the log, not yet in the store. */
static int wait_durable(struct dp_srv *s, unsigned w, uint64_t seq)
{
	const struct dp_worker *dw = s->dp->workers[w];
	struct timespec nap = { 0, 200000 };
	unsigned i;

	if (!dw->need || !seq)
		return 0;
	for (i = 0; i < DURABLE_WAIT_MS * 5; i++) {
		if (lease_log_safe(dw->log, dw->need) >= seq)
			return 0;
		nanosleep(&nap, NULL);
	}
	return -ETIME;
}

int send_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease_rec *r)
{
	struct dp_msg *m = dp_msg_new(kind, 0);
	int ret;

	if (!m)
		return -ENOMEM;
	m->rec = *r;
	ret = dp_msg_post(s->dp, w, m);
	if (ret) {
		dp_msg_free(m);
		return ret;
	}
	ret = dp_msg_wait(m, MSG_TIMEOUT_MS);
	if (ret)
		return ret;               /* abandoned */
	ret = m->ret;
	if (!ret)
		ret = wait_durable(s, w, m->seq);
	dp_msg_free(m);
	return ret;
}

unsigned rec_owner(struct dp_srv *s, const struct lease_rec *r)
{
	struct lease_key k;

	dhcp4_rec_key(r, s->conf->match_client_id, &k);
	return dhcp4_owner(&k, s->dp->n_workers);
}

/* Which worker holds the lease at addr: -ENOENT, or the worker index. */
int holder_of(struct dp_srv *s, uint32_t addr, struct lease_rec *found)
{
	struct dp *dp = s->dp;
	unsigned w;

	for (w = 0; w < dp->n_workers; w++) {
		struct dp_msg *m = dp_msg_new(DP_MSG_QUERY, 1);
		int ret;

		if (!m)
			return -ENOMEM;
		m->filter.addr = addr;
		ret = dp_msg_post(dp, w, m);
		if (!ret)
			ret = dp_msg_wait(m, MSG_TIMEOUT_MS);
		if (ret) {
			if (ret != -ETIMEDOUT)
				dp_msg_free(m);
			return ret;
		}
		if (m->n) {
			if (found)
				*found = m->out[0];
			dp_msg_free(m);
			return (int)w;
		}
		dp_msg_free(m);
	}
	return -ENOENT;
}
