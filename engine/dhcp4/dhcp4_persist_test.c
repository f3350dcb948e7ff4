/* Persistence: commit mode through the memfile backend behind the
 * write-behind flusher, restore after a restart, the release queue, a
 * full flush ring, the restore rules. */
#include "dhcp4_test.h"

static struct lease_rec mkrec(uint32_t addr, const uint8_t *mac, uint32_t expire, uint32_t valid,
			      uint8_t state);

static struct dhcp4_worker *RW[2];

static int restore_cb(const struct lease_rec *r, void *arg)
{
	struct lease_key k;
	int ret;

	(void)arg;
	dhcp4_rec_key(r, F.c.match_client_id, &k);
	ret = dhcp4_restore(RW[dhcp4_owner(&k, 2)], r);
	CU_ASSERT_EQUAL(ret, 0);
	return 0;
}

static int64_t gauge_sum(bool declined)
{
	int64_t v = 0;
	unsigned i, s;

	for (i = 0; i < 2; i++)
		for (s = 0; s < F.c.n_subnets; s++)
			v += declined ? dhcp4_worker_stats(RW[i])->subnet[s].declined
				      : dhcp4_worker_stats(RW[i])->subnet[s].assigned;
	return v;
}

static struct lease4 *rlease_of_mac(const uint8_t mac[6])
{
	struct lease4 *l = lease_of_mac(RW[0], mac);

	return l ? l : lease_of_mac(RW[1], mac);
}

void test_commit_and_restore(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a, b, c;
	uint64_t seq;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);

	/* an OFFER is not persisted and never waits */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);
	/* the ACK waits for its record */
	a = dora_w(F.w, MAC_A, 0, &tx);
	CU_ASSERT_FATAL(a != 0);
	seq = tx.wait_seq;
	CU_ASSERT(seq > 0);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_EQUAL(l->seq, seq);
	CU_ASSERT(wait_durable(wb, seq));
	b = dora_w(F.w, MAC_B, 0, &tx);
	CU_ASSERT(tx.wait_seq > seq);
	c = dora(MAC_C, 0);
	CU_ASSERT(b && c);
	/* C releases (a delete record), B declines (a declined record) */
	m_init(&m, DHCP4_RELEASE, MAC_C);
	m_ciaddr(&m, c);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	m_init(&m, DHCP4_DECLINE, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	/* A renews later: the newest record wins on restore */
	dhcp4_worker_set_now(F.w, T0 + 100);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 0);
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* start again, two workers, replay the file */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, a);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(l->expire, T0 + 100 + VALID);
	CU_ASSERT_EQUAL(l->subnet_id, 1);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_B));
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_C));
	CU_ASSERT_EQUAL(gauge_sum(false), 1);
	CU_ASSERT_EQUAL(gauge_sum(true), 1);
	/* A is found again by its own next request, on its owner */
	{
		struct lease_key k;
		struct dhcp4_worker *ow;

		m_init(&m, DHCP4_REQUEST, MAC_A);
		m_ciaddr(&m, a);
		m.b[m.n] = DHCP4_OPT_END;
		CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, m.b, DHCP4_BOOTP_MIN), 0);
		dhcp4_client_key(&pkt, true, &k);
		ow = RW[dhcp4_owner(&k, 2)];
		CU_ASSERT_PTR_EQUAL(lease_of_mac(ow, MAC_A), l);
		n = run_w(ow, &m, &tx);
		CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
		CU_ASSERT_EQUAL(r_yiaddr(), a);
	}
	/* bits: c is free, a and b are taken */
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_C, c), c);
	n = (int)offer_w(RW[0], MAC_RELAY, a);
	CU_ASSERT(in_pool0((uint32_t)n) && (uint32_t)n != a);
	n = (int)offer_w(RW[0], MAC_B, b);
	CU_ASSERT(in_pool0((uint32_t)n) && (uint32_t)n != b);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
}

/* The lease file has no htype column (Kea's CSV), so a record comes back
 * with htype 1 whatever the client's hardware type was.  A client without
 * a client-id on a non-Ethernet link (htype 6, IEEE 802) must still be
 * found under the same key, on the same worker, after a restart. */
void test_htype_across_restart(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct lease_rec rec;
	struct lease_key kp, kr;
	struct dhcp4_worker *ow;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	mh(&m)->htype = 6;
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	a = r_yiaddr();
	m_init(&m, DHCP4_REQUEST, MAC_C);
	mh(&m)->htype = 6;
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* the packet's key and the restored record's key are the same key */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	mh(&m)->htype = 6;
	m_ciaddr(&m, a);
	m.b[m.n] = DHCP4_OPT_END;
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, m.b, DHCP4_BOOTP_MIN), 0);
	dhcp4_client_key(&pkt, true, &kp);
	rec = mkrec(a, MAC_C, T0 + VALID, VALID, 0);   /* as the memfile gives it: htype 1 */
	dhcp4_rec_key(&rec, true, &kr);
	CU_ASSERT_EQUAL(kp.kind, kr.kind);
	CU_ASSERT_EQUAL(kp.len, kr.len);
	CU_ASSERT(kp.len == kr.len && !memcmp(kp.data, kr.data, kp.len));

	/* restart with two workers: the renewal reaches the owner, which has it */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	ow = RW[dhcp4_owner(&kp, 2)];
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(ow)), 1);
	n = run_w(ow, &m, &tx);
	CU_ASSERT_EQUAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(ow)), 1);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

/* Review finding 1.  Worker 0 has a backlog in its write-behind ring when
 * its client A releases X; worker 1's client B then asks for X.  The
 * flusher takes the rings in turns (a burst each), so had X been free at
 * once, B's add record would reach the file before A's delete, and replay
 * (last record per address wins) would drop B's ACKed lease.  X must stay
 * taken until the delete is durable; after a restart B holds X. */
void test_release_waits_for_durable_delete(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct dhcp4_worker *w1;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x, y;
	unsigned i, released = 0;
	int n;

	wb = wb_two_workers(ops, &be);          /* not started yet: records queue up */
	F.w = mkworker(0, 2, wb);
	w1 = mkworker(1, 2, wb);

	/* worker 0: A bound to X, 70 renewals (more than a flusher burst), RELEASE */
	x = dora_w(F.w, MAC_A, 0, &tx);
	CU_ASSERT_FATAL(x != 0);
	for (i = 0; i < 70; i++) {
		m_init(&m, DHCP4_REQUEST, MAC_A);
		m_ciaddr(&m, x);
		n = run(&m, &tx);
		CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	}
	m_init(&m, DHCP4_RELEASE, MAC_A);
	m_ciaddr(&m, x);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	/* gauges are exact at once: a waiting address is not assigned */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_poll(F.w), 0);     /* nothing durable yet */

	/* worker 1: B asks for X while the delete is still queued, and is
	 * ACKed (its add record queues behind nothing on ring 1) */
	y = offer_w(w1, MAC_B, x);
	CU_ASSERT(in_pool0(y));
	CU_ASSERT_NOT_EQUAL(y, x);
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), y);

	/* the flusher runs; once the delete is durable, X is free again */
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (i = 0; i < 5000 && !released; i++) {
		struct timespec ts = { 0, 1000000 };

		released = dhcp4_worker_poll(F.w);
		if (!released)
			nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(released, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 0);
	/* now C on worker 1 gets X */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, x);
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), x);
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, x);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable_of(wb, 1, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	dhcp4_worker_free(w1);
	teardown();

	/* restart: replay the file */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_B);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, y);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_DEFAULT);
	l = rlease_of_mac(MAC_C);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, x);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_A));
	CU_ASSERT_EQUAL(gauge_sum(false), 2);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

/* Finding 2, persisted: an OFFER through another subnet writes nothing,
 * so a restart still finds the bound lease where it was. */
void test_discover_elsewhere_persists_nothing(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x;
	int n;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	x = dora(MAC_A, 0);
	CU_ASSERT_FATAL(in_pool0(x));
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);
	/* a later ACK on the same ring: everything before it is durable too */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_ciaddr(&m, IP(198, 18, 0, 19));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	F.rt = dhcp4_runtime_create(&F.c);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_A);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, x);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

/* A full release queue refuses the change that would free an address:
 * the lease stays, nothing is pushed, the gauges do not move. */
void test_release_queue_full(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	static const uint8_t macs[3][6] = { { 2, 0, 0, 0, 8, 1 }, { 2, 0, 0, 0, 8, 2 },
					    { 2, 0, 0, 0, 8, 3 } };
	struct lease_backend *be;
	struct wb *wb;
	struct wb_stats ws;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a[3];
	unsigned i;
	long del;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 64, false);   /* nobody drains */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker_q(0, 1, wb, 2);
	for (i = 0; i < 3; i++) {
		a[i] = dora(macs[i], 0);
		CU_ASSERT(in_pool0(a[i]));
	}
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 3);
	for (i = 0; i < 3; i++) {
		m_init(&m, DHCP4_RELEASE, macs[i]);
		m_ciaddr(&m, a[i]);
		CU_ASSERT_EQUAL(run(&m, &tx), i < 2 ? 0 : -1);
	}
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 2);
	CU_ASSERT_EQUAL(ST(STAT4_RELEASE_QUEUE_FULL), 1);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, macs[0]));
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, macs[2]));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	/* expiry and lease4-del refuse too, and expiry retries a second later */
	dhcp4_worker_set_now(F.w, T0 + VALID);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 1);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, macs[2])->expire, T0 + VALID + 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 0);
	{
		struct dhcp4_lease_filter f = { .addr = a[2] };
		unsigned left = 0;

		del = dhcp4_lease_del(F.w, &f, &left);
		CU_ASSERT_EQUAL(del, -ENOBUFS);
		CU_ASSERT_EQUAL(left, 1);            /* the control thread retries on this */
	}
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, macs[2]));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(ST(STAT4_RELEASE_QUEUE_FULL), 3);
	/* the released addresses are still taken: nobody is offered them */
	for (i = 0; i < 2; i++) {
		uint32_t o = offer_w(F.w, MAC_C, a[i]);

		CU_ASSERT(o != a[0] && o != a[1]);
	}
	/* the refusals came from the queue, not from the ring */
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.ring_full, 0);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

/* Review finding 3: a change whose record cannot be pushed (ring full)
 * leaves memory as the file has it, counted in flush-ring-full: RELEASE
 * and DECLINE are dropped (the client retransmits), expiry retries. */
void test_ring_full_keeps_leases(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_key k = { .kind = LEASE_KEY_ADDR, .len = 4 };
	uint8_t mac[6] = { 2, 0, 0, 0, 6, 0 };
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t a[8], na;
	uint64_t full;
	unsigned i, bound = 0;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 4, false);    /* nobody drains */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0; i < 8; i++) {
		mac[5] = (uint8_t)i;
		a[i] = dora(mac, 0);
		if (!a[i])
			break;
		bound++;
	}
	CU_ASSERT_FATAL(bound >= 2 && bound < 8);       /* the log is full now */
	full = ST(STAT4_FLUSH_RING_FULL);
	CU_ASSERT(full >= 1);
	/* the REQUEST that found no room changed nothing: bound leases */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound);

	/* RELEASE: dropped, lease and bit kept */
	mac[5] = 0;
	m_init(&m, DHCP4_RELEASE, mac);
	m_ciaddr(&m, a[0]);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), full + 1);
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, a[0]);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound);
	CU_ASSERT_NOT_EQUAL(offer_w(F.w, MAC_C, a[0]), a[0]);

	/* DECLINE: dropped, the client keeps its lease, nothing held */
	mac[5] = 1;
	m_init(&m, DHCP4_DECLINE, mac);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a[1]);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), full + 2);
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_DEFAULT);
	na = htonl(a[1]);
	memcpy(k.data, &na, 4);
	CU_ASSERT_PTR_NULL(lease_table_lookup(dhcp4_worker_leases(F.w), &k));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 0);

	/* expiry: nothing reclaimed, every lease retried a second later */
	dhcp4_worker_set_now(F.w, T0 + VALID);
	dhcp4_expire(F.w, 100);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	mac[5] = 0;
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->expire : 0, T0 + VALID + 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 0);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

void test_ring_full(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	uint8_t mac[6] = { 2, 0, 0, 0, 7, 0 };
	unsigned i, acked = 0;
	struct lease4 *l;

	/* commit mode, nobody draining: the ACK that cannot be pushed is not sent */
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 4, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0; i < 6; i++) {
		mac[5] = (uint8_t)i;
		if (dora(mac, 0))
			acked++;
	}
	CU_ASSERT(acked >= 1 && acked < 6);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 6 - acked);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), acked);
	/* nothing changed without its log entry: the client still holds
	 * only its offer, and a retransmission will try again */
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_OFFERED);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* write-behind mode: never waits; a change the log has no room for
	 * is not made and not acknowledged either (counted) */
	conf_build(true, false, CONF_DUR_WRITE_BEHIND);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_WRITE_BEHIND, 4, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0, acked = 0; i < 6; i++) {
		mac[5] = (uint8_t)(0x40 + i);
		if (dora_w(F.w, mac, 0, &tx))
			acked++;
		CU_ASSERT_EQUAL(tx.wait_seq, 0);
	}
	CU_ASSERT(acked >= 1 && acked < 6);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 6 - acked);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), acked);
	wb_free(wb);
	ops->close(be);
	teardown();
}

static struct lease_rec mkrec(uint32_t addr, const uint8_t *mac, uint32_t expire, uint32_t valid,
			      uint8_t state)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.subnet_id = 1;
	r.expire = expire;
	r.valid_lft = valid;
	r.state = state;
	if (mac) {
		r.htype = 1;
		r.hwaddr_len = 6;
		memcpy(r.hwaddr, mac, 6);
	}
	return r;
}

void test_restore_rules(void)
{
	const uint32_t X = IP(198, 18, 0, 11), Y = IP(198, 18, 0, 12), Z = IP(198, 18, 0, 13);
	const uint32_t V = IP(198, 18, 0, 14), W = IP(198, 18, 0, 200);
	struct lease_rec recs[7];
	struct lease4 *l;
	uint32_t a;
	unsigned i;

	conf_build(true, false, CONF_DUR_MEMORY);
	F.rt = dhcp4_runtime_create(&F.c);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	recs[0] = mkrec(X, MAC_A, T0 + 100, 100, 0);
	recs[1] = mkrec(X, MAC_B, T0 + 200, 200, 0);   /* X reused by B: B wins */
	recs[2] = mkrec(Y, MAC_A, T0 + 300, 300, 0);   /* A moves to Y */
	recs[3] = mkrec(Y, MAC_A, T0 + 300, 0, 0);     /* ... and releases it */
	recs[4] = mkrec(Z, MAC_C, T0 - 1, 100, 0);     /* expired: skipped */
	recs[5] = mkrec(W, MAC_C, T0 + 50, 100, 0);    /* outside every pool */
	recs[6] = mkrec(V, NULL, T0 + 60, 600, LEASE_STATE_DECLINED);
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(restore_cb(&recs[i], NULL), 0);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_A));
	l = rlease_of_mac(MAC_B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, X);
	l = rlease_of_mac(MAC_C);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, W);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(RW[0])) +
			lease_table_count(dhcp4_worker_leases(RW[1])), 3);
	CU_ASSERT_EQUAL(gauge_sum(false), 2);
	CU_ASSERT_EQUAL(gauge_sum(true), 1);
	/* X and V are held, Y and Z are free */
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_A, Y), Y);
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_C, Z), Z);
	a = offer_w(RW[0], MAC_RELAY, X);
	CU_ASSERT(in_pool0(a) && a != X && a != V);
	a = offer_w(RW[0], (const uint8_t[6]){ 2, 0, 0, 0, 0, 0xd4 }, V);
	CU_ASSERT(in_pool0(a) && a != X && a != V);
	/* probation ends: the declined address is reclaimed by its holder */
	for (i = 0; i < 2; i++) {
		dhcp4_worker_set_now(RW[i], T0 + 60);
		dhcp4_expire(RW[i], 10);
	}
	CU_ASSERT_EQUAL(dhcp4_worker_stats(RW[0])->c[STAT4_RECLAIMED_DECLINED] +
			dhcp4_worker_stats(RW[1])->c[STAT4_RECLAIMED_DECLINED], 1);
	CU_ASSERT_EQUAL(gauge_sum(true), 0);
	/* and the lease outside the pools expires without touching a bitmap */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(RW[0])->c[STAT4_RECLAIMED_LEASES] +
			dhcp4_worker_stats(RW[1])->c[STAT4_RECLAIMED_LEASES], 1);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
}
