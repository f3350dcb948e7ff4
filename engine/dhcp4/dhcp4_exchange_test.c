/* DHCPv4 server exchanges on a hand-built configuration: DORA, returning
 * clients, INIT-REBOOT, RENEW/REBIND, RELEASE, DECLINE, INFORM, expiry,
 * relays, options, delivery, counters, two workers. */
#include "dhcp4_test.h"

void test_dora(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_FATAL(n >= DHCP4_BOOTP_MIN);
	CU_ASSERT_EQUAL(rh()->op, DHCP4_BOOTREPLY);
	CU_ASSERT_EQUAL(rh()->xid, mh(&m)->xid);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	a = r_yiaddr();
	CU_ASSERT(in_pool0(a));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_LEASE_TIME), VALID);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_T1), VALID / 2);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_T2), VALID * 7 / 8);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
	/* an offer is held, but not assigned and not persisted */
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_OFFERED);
	CU_ASSERT_EQUAL(l->expire, T0 + OFFER_LFT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 1);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);

	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_LEASE_TIME), VALID);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(l->addr, a);
	CU_ASSERT_EQUAL(l->subnet_id, 1);
	CU_ASSERT_EQUAL(l->expire, T0 + VALID);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVED), 2);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_DISCOVER_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_REQUEST_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_SENT), 2);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 0);
	teardown();
}

void test_returning_client(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a, b;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	CU_ASSERT(in_pool0(a));
	/* the same client comes back: same address, lease not demoted */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dora(MAC_A, 0), a);
	/* another client gets another address, even when asking for a's */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	b = r_yiaddr();
	CU_ASSERT(in_pool0(b));
	CU_ASSERT_NOT_EQUAL(b, a);
	/* a free requested address is honoured */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 17));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), IP(198, 18, 0, 17));
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 3);
	teardown();
}

static void client_id_case(bool match)
{
	static const uint8_t cid[7] = { 1, 0x02, 0, 0, 0, 0, 0x99 };
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a, b;
	uint8_t len;
	int n;

	setup(match, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_CLIENT_ID, cid, sizeof(cid));
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT(in_pool0(a));
	/* RFC 6842: the client identifier is echoed */
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, DHCP4_OPT_CLIENT_ID, &len));
	CU_ASSERT_EQUAL(len, sizeof(cid));
	/* same client-id, new network card */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_CLIENT_ID, cid, sizeof(cid));
	n = run(&m, &tx);
	b = r_yiaddr();
	if (match)
		CU_ASSERT_EQUAL(b, a)
	else
		CU_ASSERT_NOT_EQUAL(b, a)
	teardown();
}

void test_client_id(void)
{
	client_id_case(true);
	client_id_case(false);
}

void test_init_reboot(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	/* known client, right address: ACK */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* known client, another address: NAK, broadcast, no yiaddr */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a == IP(198, 18, 0, 19) ? IP(198, 18, 0, 18) : IP(198, 18, 0, 19));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(r_yiaddr(), 0);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_LEASE_TIME, NULL));
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT(is_bcast_mac(tx.dst_mac));
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->addr, a);   /* NAK changes nothing */
	/* an address from another network: NAK even when not authoritative */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(10, 1, 2, 3));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	/* unknown client, not authoritative: silence */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_B));
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_NAK_SENT), 2);
	teardown();

	setup(true, true);
	a = dora(MAC_A, 0);
	/* unknown client, authoritative, address free: it keeps it */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), IP(198, 18, 0, 15));
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_B)->state, LEASE_STATE_DEFAULT);
	/* unknown client, authoritative, address someone else's: NAK */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->addr, a);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	teardown();
}

void test_renew_rebind(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a, b;
	int n;

	setup(true, true);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, 0);
	dhcp4_worker_set_now(F.w, T0 + 2000);
	/* RENEWING: unicast from ciaddr, reply to ciaddr:68 at the client's MAC */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(ntohl(rh()->ciaddr), a);
	CU_ASSERT_EQUAL(tx.dst_ip, a);
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT_EQUAL(tx.src_ip, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.src_port, 67);
	CU_ASSERT(!memcmp(tx.dst_mac, MAC_A, 6));
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_EQUAL(l->expire, T0 + 2000 + VALID);
	/* REBINDING: broadcast, still answered to ciaddr */
	dhcp4_worker_set_now(F.w, T0 + 3600);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	m_bcast(&m);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(tx.dst_ip, a);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->expire, T0 + 3600 + VALID);
	/* renewing someone else's address: NAK (authoritative), broadcast */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_ciaddr(&m, b);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_B)->addr, b);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	teardown();

	/* not authoritative: the same renewal gets no answer */
	setup(true, false);
	b = dora(MAC_B, 0);
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_ciaddr(&m, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	teardown();
}

void test_release(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	m_init(&m, DHCP4_RELEASE, MAC_A);
	m_ciaddr(&m, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RELEASE_RECEIVED), 1);
	/* the address is free for another client */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a release for an address that is not the client's changes nothing */
	CU_ASSERT_NOT_EQUAL(dora(MAC_C, 0), 0);
	m_init(&m, DHCP4_RELEASE, MAC_C);
	m_ciaddr(&m, a);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, MAC_C));
	teardown();
}

void test_decline(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease_key k = { .kind = LEASE_KEY_ADDR, .len = 4 };
	struct lease4 *d;
	uint32_t a, na;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	m_init(&m, DHCP4_DECLINE, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	na = htonl(a);
	memcpy(k.data, &na, 4);
	d = lease_table_lookup(dhcp4_worker_leases(F.w), &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->state, LEASE_STATE_DECLINED);
	CU_ASSERT_EQUAL(d->expire, T0 + PROBATION);
	CU_ASSERT_EQUAL(d->hwaddr_len, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	/* held: nobody gets it, not even by asking */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_NOT_EQUAL(r_yiaddr(), a);
	/* nothing expires before the end of probation */
	dhcp4_worker_set_now(F.w, T0 + PROBATION - 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 100), 1);              /* only B's offer */
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_DECLINED), 0);
	dhcp4_worker_set_now(F.w, T0 + PROBATION);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 100), 1);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_DECLINED), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].reclaimed_declined, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	teardown();
}

void test_inform(void)
{
	static const uint8_t prl[] = { 3, 6, 15 };
	struct dhcp4_tx tx;
	struct msg m;
	uint8_t len;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_INFORM, MAC_A);
	m_ciaddr(&m, IP(198, 18, 0, 200));
	m_opt(&m, DHCP4_OPT_PRL, prl, sizeof(prl));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), 0);
	CU_ASSERT_EQUAL(ntohl(rh()->ciaddr), IP(198, 18, 0, 200));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_LEASE_TIME, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_T1, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_T2, NULL));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_ROUTERS), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 15, &len));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 0, 200));
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_INFORM_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), 1);
	teardown();
}

void test_offer_expiry(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	dhcp4_worker_set_now(F.w, T0 + OFFER_LFT - 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 0);
	dhcp4_worker_set_now(F.w, T0 + OFFER_LFT);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 1);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);     /* an offer is no lease */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a bound lease expires into reclaimed-leases */
	dhcp4_worker_set_now(F.w, T0 + 100);
	a = dora(MAC_C, 0);
	CU_ASSERT(in_pool0(a));
	dhcp4_worker_set_now(F.w, T0 + 100 + VALID);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 2);           /* B's offer, C's lease */
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].reclaimed, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	teardown();
}

void test_exhaustion_and_relay(void)
{
	static const uint8_t rai[] = { 1, 4, 'p', 'o', 'r', 't', 2, 3, 'r', 'i', 'd' };
	static const uint8_t macs[4][6] = {
		{ 2, 0, 0, 0, 1, 1 }, { 2, 0, 0, 0, 1, 2 }, { 2, 0, 0, 0, 1, 3 }, { 2, 0, 0, 0, 1, 4 },
	};
	struct dhcp4_tx tx;
	struct msg m;
	const uint8_t *v;
	uint8_t len;
	unsigned i;
	int n;

	setup(true, true);
	/* relayed: subnet 2 chosen by its relay address, RAI echoed last */
	for (i = 0; i < 3; i++) {
		m_init(&m, DHCP4_DISCOVER, macs[i]);
		m_relay(&m, IP(198, 18, 2, 1));
		m_opt(&m, DHCP4_OPT_RAI, rai, sizeof(rai));
		n = run(&m, &tx);
		CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
		CU_ASSERT(r_yiaddr() >= IP(198, 18, 2, 10) && r_yiaddr() <= IP(198, 18, 2, 12));
		CU_ASSERT_EQUAL(ntohl(rh()->giaddr), IP(198, 18, 2, 1));
		CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
		v = r_opt(n, DHCP4_OPT_RAI, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(len, sizeof(rai));
		CU_ASSERT(!memcmp(v, rai, sizeof(rai)));
		CU_ASSERT_EQUAL(v[len], DHCP4_OPT_END);              /* last option */
		CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 2, 1));
		CU_ASSERT_EQUAL(tx.dst_port, 67);
		CU_ASSERT(!memcmp(tx.dst_mac, MAC_RELAY, 6));
		/* subnet 2 has no options of its own; the global always-send one */
		CU_ASSERT_EQUAL(r_u32(n, 42), IP(198, 18, 0, 123));
		CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_ROUTERS, NULL));
	}
	/* pool of three exhausted: no offer, counted */
	m_init(&m, DHCP4_DISCOVER, macs[3]);
	m_relay(&m, IP(198, 18, 2, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_EQUAL(ST(STAT4_V4_ALLOCATION_FAIL), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 3);
	/* a relay that is listed nowhere: the subnet containing giaddr */
	m_init(&m, DHCP4_DISCOVER, macs[3]);
	m_relay(&m, IP(198, 18, 3, 77));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT(r_yiaddr() >= IP(198, 18, 3, 10) && r_yiaddr() <= IP(198, 18, 3, 20));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_RAI, NULL));
	/* option 118 overrides giaddr */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_SUBNET_SELECT, IP(198, 18, 3, 1));
	n = run(&m, &tx);
	CU_ASSERT(r_yiaddr() >= IP(198, 18, 3, 10) && r_yiaddr() <= IP(198, 18, 3, 20));
	/* a relayed NAK goes to the relay with the broadcast bit set */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 10));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 2, 1));
	CU_ASSERT(ntohs(rh()->flags) & DHCP4_FLAG_BROADCAST);
	/* a relay inside no subnet: dropped */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(10, 9, 9, 9));
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NO_SUBNET), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 1);
	teardown();
}

void test_prl_and_always_send(void)
{
	static const uint8_t prl1[] = { 6, 3 }, prl2[] = { 15 };
	struct dhcp4_tx tx;
	struct msg m;
	uint8_t len;
	const uint8_t *v;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_PRL, prl1, sizeof(prl1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_u32(n, 6), IP(198, 18, 0, 54));            /* subnet beats global */
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_ROUTERS), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NULL(r_opt(n, 15, NULL));                        /* not requested */
	CU_ASSERT_EQUAL(r_u32(n, 42), IP(198, 18, 0, 123));           /* always-send */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_PRL, prl2, sizeof(prl2));
	n = run(&m, &tx);
	v = r_opt(n, 15, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(len, 11);
	CU_ASSERT(!memcmp(v, "example.org", 11));
	CU_ASSERT_PTR_NULL(r_opt(n, 6, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_ROUTERS, NULL));
	/* no PRL at all: only what is always sent */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	n = run(&m, &tx);
	CU_ASSERT_PTR_NULL(r_opt(n, 6, NULL));
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 42, NULL));
	teardown();
}

void test_max_message_size(void)
{
	static const uint8_t big[200] = { 0 };
	uint8_t prl[60], mms[2] = { 576 >> 8, 576 & 0xff };
	struct conf_option gopts[4];
	struct dhcp4_tx tx;
	struct msg m;
	unsigned i;
	int n;

	setup(true, false);
	/* three big global options that cannot all fit in 548 bytes */
	gopts[0] = mkopt(120, false, big, 200);
	gopts[1] = mkopt(121, false, big, 200);
	gopts[2] = mkopt(122, false, big, 200);
	gopts[3] = mkopt(123, false, big, 200);
	F.c.options.opts = gopts;
	F.c.options.n = 4;
	for (i = 0; i < 4; i++)
		prl[i] = (uint8_t)(120 + i);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_PRL, prl, 4);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT(n <= 576 - 28);                    /* default: RFC 2131's 576 */
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 120, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, 122, NULL));
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_PRL, prl, 4);
	mms[0] = 1500 >> 8;
	mms[1] = 1500 & 0xff;
	m_opt(&m, DHCP4_OPT_MAX_MSG_SIZE, mms, 2);
	n = run(&m, &tx);
	CU_ASSERT(n > 576 - 28 && n <= 1500 - 28);
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 123, NULL));
	F.c.options.opts = F.gopts;
	F.c.options.n = 3;
	teardown();
}

void test_delivery(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	setup(true, false);
	/* no broadcast flag: unicast to yiaddr at chaddr */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(tx.dst_ip, r_yiaddr());
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT(!memcmp(tx.dst_mac, MAC_A, 6));
	CU_ASSERT_EQUAL(tx.src_ip, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.src_port, 67);
	/* broadcast flag */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_bcast(&m);
	n = run(&m, &tx);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT(is_bcast_mac(tx.dst_mac));
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	/* a hardware address that is not Ethernet: broadcast */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	mh(&m)->htype = 6;
	n = run(&m, &tx);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	teardown();
}

void test_drops_and_counters(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	/* server messages are not ours to answer */
	m_init(&m, DHCP4_OFFER, MAC_A);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	m_init(&m, DHCP4_ACK, MAC_A);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 2);
	/* the client picked another server: our offer is given back */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT(n > 0);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 77, 5));
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 77, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NOT_FOR_US), 1);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a port with no subnet */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m.iface = 1;
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NO_SUBNET), 1);
	/* SELECTING request for an address we cannot give: NAK */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVED), 7);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_SENT), 3);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_NAK_SENT), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 4);
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_PKT4_RECEIVE_DROP], "pkt4-receive-drop");
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_V4_ALLOCATION_FAIL], "v4-allocation-fail");
	CU_ASSERT_STRING_EQUAL(stats_dp_names[STAT_DP_PARKED], "dp-parked");
	teardown();
}

void test_two_workers_share_pools(void)
{
	struct dhcp4_worker *w2;
	struct dhcp4_tx tx;
	uint8_t mac[6] = { 2, 0, 0, 0, 9, 0 };
	uint32_t seen[32] = { 0 };
	unsigned i, j, got = 0;

	setup(true, false);
	w2 = mkworker(1, 2, NULL);
	/* 10 addresses, two workers taking alternately: all distinct, then full */
	for (i = 0; i < 12; i++) {
		uint32_t a;

		mac[5] = (uint8_t)i;
		a = dora_w(i % 2 ? w2 : F.w, mac, 0, &tx);
		if (!a)
			continue;
		CU_ASSERT(in_pool0(a));
		for (j = 0; j < got; j++)
			CU_ASSERT_NOT_EQUAL(seen[j], a);
		seen[got++] = a;
	}
	CU_ASSERT_EQUAL(got, 10);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->c[STAT4_V4_ALLOCATION_FAIL] +
			dhcp4_worker_stats(w2)->c[STAT4_V4_ALLOCATION_FAIL], 2);
	dhcp4_worker_free(w2);
	teardown();
}

/* Review finding 2: a DISCOVER arriving through another subnet (another
 * relay) must not move a bound lease; only the REQUEST that takes the new
 * offer does (Kea).  Meanwhile the old lease renews and nobody else gets
 * its address. */
void test_discover_elsewhere_keeps_lease(void)
{
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x, y, o;
	int n;

	setup(true, true);
	x = dora(MAC_A, 0);
	CU_ASSERT_FATAL(in_pool0(x));
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	y = r_yiaddr();
	CU_ASSERT(y >= IP(198, 18, 2, 10) && y <= IP(198, 18, 2, 12));
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, x);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 0);
	/* the same DISCOVER again, asking for the offer: the same offer */
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), y);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 2);
	/* B asking for X does not get it */
	o = offer_w(F.w, MAC_B, x);
	CU_ASSERT(in_pool0(o) && o != x);
	/* A renews X */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, x);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), x);
	/* A takes the offer through the relay: now the lease moves */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), y);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, y);
	CU_ASSERT_EQUAL(l->subnet_id, 2);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 1);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 2);   /* A, B's offer */
	/* X is free now (memory mode: at once) */
	CU_ASSERT_EQUAL(offer_w(F.w, MAC_C, x), x);
	teardown();
}

/* With access asked, a DISCOVER or REQUEST of a client with no cached
 * answer stops before anything changes (DHCP4_SUSPEND) and goes on with
 * the answer: accepted, as if nobody had been asked; rejected, nothing
 * (counted).  The answer is cached under the client's identifier: its
 * next packets do not ask until the entry expires, a rejected client's
 * are dropped without asking.  A resumed request is not counted as
 * received twice; an answer to something that never asked is dropped. */
void test_access_suspend_resume(void)
{
	struct dhcp4_worker_params p = { .id = 0, .n_workers = 1, .lease_capacity = 64,
					 .ask_access = true };
	const struct access_answer yes = { .verdict = ACCESS_ACCEPT },
				   no = { .verdict = ACCESS_REJECT };
	struct dhcp4_tx tx;
	const uint8_t *id;
	uint8_t type, len;
	struct lease4 *l;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	dhcp4_worker_free(F.w);
	p.conf = &F.c;
	p.rt = F.rt;
	p.log = test_log(0, 0);
	F.w = dhcp4_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.w);
	dhcp4_worker_set_now(F.w, T0);

	m_init(&m, DHCP4_DISCOVER, MAC_A);
	CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
	CU_ASSERT_EQUAL(tx.ask, DHCP4_ASK_ACCESS);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));          /* nothing taken yet */
	/* asked about: the hardware address (no radius block: the default) */
	id = dhcp4_access_id(F.w, &type, &len);
	CU_ASSERT_EQUAL(type, 0);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT(memcmp(id, MAC_A, 6) == 0);
	n = resume_w(F.w, &m, DHCP4_ASK_ACCESS, &yes, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	a = ntohl(rh()->yiaddr);
	CU_ASSERT(in_pool0(a));
	CU_ASSERT_EQUAL(access_cache_size(dhcp4_worker_access_cache(F.w)), 1);

	/* the REQUEST finds the answer cached */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_SERVER_ID, 0xc6120001u);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(ntohl(rh()->yiaddr), a);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_CACHE_HITS), 1);

	/* B is rejected: nothing, and no question again while it is cached */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
	CU_ASSERT_EQUAL(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &no, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_REJECTED), 1);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_B));
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_REJECTED), 2);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 2);
	l = lease_of_mac(F.w, MAC_B);
	CU_ASSERT_PTR_NULL(l);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 1);

	/* renewing within the cache's time: no question */
	dhcp4_worker_set_now(F.w, T0 + 100);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	CU_ASSERT_EQUAL(r_type(run(&m, &tx)), DHCP4_ACK);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 2);
	/* past it (300 s without a radius block): asked again, both */
	dhcp4_worker_set_now(F.w, T0 + 301);
	CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
	CU_ASSERT_EQUAL(r_type(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &yes, &tx)), DHCP4_ACK);
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 4);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_DISCOVER_RECEIVED), 4);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_REQUEST_RECEIVED), 3);
	/* an answer that says not to cache it is used once */
	{
		struct access_answer once = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_NOCACHE };

		access_cache_clear(dhcp4_worker_access_cache(F.w));
		m_init(&m, DHCP4_DISCOVER, MAC_C);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		CU_ASSERT_EQUAL(r_type(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &once, &tx)), DHCP4_OFFER);
		CU_ASSERT_EQUAL(access_cache_size(dhcp4_worker_access_cache(F.w)), 0);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
	}
	/* a retransmission whose question joined an earlier one ends quietly:
	 * no reply, nothing cached (the earlier one answers the client) */
	{
		struct access_answer joined = { .verdict = ACCESS_ACCEPT,
						.flags = ACCESS_F_JOINED };

		static const uint8_t mac_d[6] = { 0x02, 0, 0, 0, 0, 0xd4 };

		access_cache_clear(dhcp4_worker_access_cache(F.w));
		m_init(&m, DHCP4_DISCOVER, mac_d);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		CU_ASSERT_EQUAL(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &joined, &tx), -1);
		CU_ASSERT_EQUAL(ST(STAT4_ACCESS_JOINED), 1);
		CU_ASSERT_PTR_NULL(lease_of_mac(F.w, mac_d));
		CU_ASSERT_EQUAL(access_cache_size(dhcp4_worker_access_cache(F.w)), 0);
	}
	/* no server answers (on-unreachable deny): a client answered before
	 * is served with its expired answer, one never answered is not */
	{
		const struct access_answer down = { .verdict = ACCESS_REJECT,
						    .flags = ACCESS_F_NOCACHE |
							     ACCESS_F_UNREACHABLE };
		static const uint8_t mac_e[6] = { 0x02, 0, 0, 0, 0, 0xe5 };

		access_cache_clear(dhcp4_worker_access_cache(F.w));
		dhcp4_worker_set_now(F.w, T0 + 2000);
		m_init(&m, DHCP4_REQUEST, MAC_A);
		m_ciaddr(&m, a);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		CU_ASSERT_EQUAL(r_type(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &yes, &tx)), DHCP4_ACK);
		dhcp4_worker_set_now(F.w, T0 + 2400);         /* expired */
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		CU_ASSERT_EQUAL(r_type(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &down, &tx)), DHCP4_ACK);
		CU_ASSERT_EQUAL(ST(STAT4_ACCESS_STALE), 1);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);  /* not refreshed: asked again */
		m_init(&m, DHCP4_DISCOVER, mac_e);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		CU_ASSERT_EQUAL(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &down, &tx), -1);
		CU_ASSERT_EQUAL(ST(STAT4_ACCESS_STALE), 1);
	}
	/* an answer to something that never asked is dropped */
	m_init(&m, DHCP4_RELEASE, MAC_A);
	m_ciaddr(&m, a);
	CU_ASSERT_EQUAL(resume_w(F.w, &m, DHCP4_ASK_ACCESS, &yes, &tx), -1);
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, MAC_A));
	teardown();
}
