/* Issue 4: classes, reservations, option precedence, shared networks,
 * reloads with reservations.  These configurations go through conf_load,
 * so classes, option-def, reservations and shared networks are parsed
 * exactly as in production. */
#include "dhcp4_test.h"

#define XHEAD "dpdk = { lcores = \"0,1\"; };\n" \
	"interfaces = ( { name = \"lan\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n" \
	"valid-lifetime = 4000;\n"

static struct conf *XC;
static const struct access_answer *xans;   /* what a suspended request resumes with */

/* The worker asks for access (xans answers) when ask is true. */
static void xsetup_ask(const char *text, bool ask)
{
	char path[128], err[512];
	FILE *f;

	memset(&F, 0, sizeof(F));
	snprintf(path, sizeof(path), "%s/x.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(XHEAD, f);
	fputs(text, f);
	fclose(f);
	XC = conf_load(path, err, sizeof(err));
	if (!XC)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(XC);
	F.rt = dhcp4_runtime_create(XC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	{
		struct dhcp4_worker_params p = { .id = 0, .n_workers = 1, .conf = XC, .rt = F.rt,
						 .log = test_log(0, 0), .lease_capacity = 64,
						 .ask_access = ask };

		F.w = dhcp4_worker_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(F.w);
		dhcp4_worker_set_now(F.w, T0);
	}
}

static void xsetup(const char *text)
{
	xsetup_ask(text, false);
}

static void xteardown(void)
{
	teardown();
	conf_free(XC);
	XC = NULL;
}

/* What a test client sends besides its MAC. */
struct cl {
	const char *vci;                /* option 60 */
	const uint8_t *cid;             /* option 61 */
	uint8_t cid_len;
	const char *circuit;            /* option 82 sub-option 1 (with giaddr) */
	uint32_t giaddr;
	const uint8_t *prl;             /* option 55 */
	uint8_t prl_len;
	const char *hostname;           /* option 12 */
	uint16_t ha_class;              /* what the datapath's HA filter gave it */
};

static void m_client(struct msg *m, uint8_t type, const uint8_t mac[6], const struct cl *c)
{
	m_init(m, type, mac);
	if (!c)
		return;
	m->ha_class = c->ha_class;
	if (c->vci)
		m_opt(m, DHCP4_OPT_VENDOR_CLASS, c->vci, (uint8_t)strlen(c->vci));
	if (c->cid)
		m_opt(m, DHCP4_OPT_CLIENT_ID, c->cid, c->cid_len);
	if (c->prl)
		m_opt(m, DHCP4_OPT_PRL, c->prl, c->prl_len);
	if (c->hostname)
		m_opt(m, DHCP4_OPT_HOSTNAME, c->hostname, (uint8_t)strlen(c->hostname));
	if (c->giaddr)
		m_relay(m, c->giaddr);
	if (c->circuit) {
		uint8_t rai[64];
		size_t n = strlen(c->circuit);

		rai[0] = 1;
		rai[1] = (uint8_t)n;
		memcpy(rai + 2, c->circuit, n);
		m_opt(m, DHCP4_OPT_RAI, rai, (uint8_t)(n + 2));
	}
}

/* run(), resuming a suspended request with xans. */
static int xrun(struct msg *m, struct dhcp4_tx *tx)
{
	int n = run(m, tx);

	if (n == DHCP4_SUSPEND && xans)
		n = resume_w(F.w, m, DHCP4_ASK_ACCESS, xans, tx);
	return n;
}

/* DISCOVER + REQUEST; returns the ACK's length (the reply is in out[]) and
 * the bound address in *a, or <= 0 with *a = 0. */
static int xdora(const uint8_t mac[6], const struct cl *c, uint32_t *a)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	*a = 0;
	m_client(&m, DHCP4_DISCOVER, mac, c);
	n = xrun(&m, &tx);
	if (n <= 0 || r_type(n) != DHCP4_OFFER)
		return n <= 0 ? n : -2;
	m_client(&m, DHCP4_REQUEST, mac, c);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, r_yiaddr());
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = xrun(&m, &tx);
	if (n <= 0 || r_type(n) != DHCP4_ACK)
		return n <= 0 ? n : -3;
	*a = r_yiaddr();
	return n;
}

static uint32_t xaddr(const uint8_t mac[6], const struct cl *c)
{
	uint32_t a;

	xdora(mac, c, &a);
	return a;
}

static const uint8_t *MACN(unsigned i)
{
	static uint8_t m[64][6];

	m[i & 63][0] = 2;
	m[i & 63][4] = 0x77;
	m[i & 63][5] = (uint8_t)i;
	return m[i & 63];
}

/* The reply option's text, "" if absent. */
static const char *r_text(int n, uint8_t code)
{
	static char buf[256];
	uint8_t l = 0;
	const uint8_t *v = r_opt(n, code, &l);

	buf[0] = '\0';
	if (v) {
		memcpy(buf, v, l);
		buf[l] = '\0';
	}
	return buf;
}

void test_class_pools(void)
{
	const struct cl phone = { .vci = "phone-x100" };
	uint32_t a;
	unsigned i;

	xsetup("client-classes = ( { name = \"phones\"; test = \"substring(option[60].hex, 0, 5) == 'phone'\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"phones\"; },\n"
	       "            { pool = \"198.18.0.20 - 198.18.0.21\"; } ); } );\n");
	/* members land in their pool, others in the open one */
	a = xaddr(MAC_A, &phone);
	CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	a = xaddr(MAC_B, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	a = xaddr(MAC_C, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	/* the open pool is full: a non-member gets nothing from the class pool */
	CU_ASSERT_EQUAL(xaddr(MACN(1), NULL), 0);
	CU_ASSERT_EQUAL(ST(STAT4_V4_ALLOCATION_FAIL), 1);
	/* ... and cannot take a class-pool address by asking for it */
	{
		struct dhcp4_tx tx;
		struct msg m;
		int n;

		m_init(&m, DHCP4_DISCOVER, MACN(2));
		m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
		n = run(&m, &tx);
		CU_ASSERT_EQUAL(n, 0);
	}
	/* members still get the rest of their pool */
	for (i = 0; i < 9; i++) {
		a = xaddr(MACN(10 + i), &phone);
		CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	}
	xteardown();

	/* the builtin VENDOR_CLASS_<option 60> works as a pool's class */
	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"VENDOR_CLASS_phone-x100\"; },\n"
	       "            { pool = \"198.18.0.20 - 198.18.0.21\"; } ); } );\n");
	a = xaddr(MAC_B, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	a = xaddr(MAC_A, &phone);
	CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	xteardown();
}

/* Load-balancing pools guarded by HA_server1 / HA_server2: the class the
 * datapath's HA filter gives a query (its scope's server) picks the pool;
 * a query with neither class gets no address from them. */
void test_ha_class_pools(void)
{
	struct cl c1 = { 0 }, c2 = { 0 };
	uint32_t a;

	xsetup("high-availability = { this-server-name = \"server1\"; mode = \"load-balancing\";\n"
	       "  peers = ( { name = \"server1\"; url = \"http://198.18.2.1:8000/\"; role = \"primary\"; },\n"
	       "            { name = \"server2\"; url = \"http://198.18.2.2:8000/\"; role = \"secondary\"; } ); };\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"HA_server1\"; },\n"
	       "            { pool = \"198.18.0.20 - 198.18.0.29\"; client-class = \"HA_server2\"; } ); } );\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(XC->ha);
	CU_ASSERT(XC->ha->peers[0].class4 > 0 && XC->ha->peers[1].class4 > 0);
	c1.ha_class = (uint16_t)XC->ha->peers[0].class4;
	c2.ha_class = (uint16_t)XC->ha->peers[1].class4;
	a = xaddr(MAC_A, &c1);
	CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	a = xaddr(MAC_B, &c2);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 29));
	CU_ASSERT_EQUAL(xaddr(MAC_C, NULL), 0);
	xteardown();
}

void test_drop_class(void)
{
	static const uint8_t bad[6] = { 0x0a, 0x0b, 0x0c, 0, 0, 1 };
	struct dhcp4_tx tx;
	struct msg m;
	uint64_t drops;

	xsetup("client-classes = ( { name = \"DROP\"; test = \"substring(pkt4.mac, 0, 3) == 0x0a0b0c\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	drops = ST(STAT4_PKT4_RECEIVE_DROP);
	m_init(&m, DHCP4_DISCOVER, bad);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), drops + 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 0);
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_DROP_CLASS], "drop-class");
	/* another client is served */
	CU_ASSERT_NOT_EQUAL(xaddr(MAC_A, NULL), 0);
	CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 1);
	/* the same prefix again: answered by the classification cache, and
	 * still dropped */
	{
		static const uint8_t bad2[6] = { 0x0a, 0x0b, 0x0c, 0, 0, 2 };
		uint64_t hits = ST(STAT4_CLASS_CACHE_HITS);

		m_init(&m, DHCP4_DISCOVER, bad2);
		CU_ASSERT_EQUAL(run(&m, &tx), -1);
		CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 2);
		CU_ASSERT_EQUAL(ST(STAT4_CLASS_CACHE_HITS), hits + 1);
		CU_ASSERT_TRUE(ST(STAT4_CLASS_CACHE_MISSES) >= 2);   /* bad, MAC_A */
		CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_CLASS_CACHE_HITS], "class-cache-hits");
	}
	xteardown();
}

void test_known_unknown(void)
{
	static const uint8_t prl[] = { 15 };
	const struct cl c = { .prl = prl, .prl_len = 1 };
	int n;
	uint32_t a;

	xsetup("client-classes = (\n"
	       " { name = \"k\"; test = \"member('KNOWN')\";\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"known.example\"; } ); },\n"
	       " { name = \"u\"; test = \"not member('KNOWN')\";\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"unknown.example\"; } ); } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = ( { hw-address = \"02:00:00:00:00:a1\"; hostname = \"alpha\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "known.example");
	n = xdora(MAC_B, &c, &a);
	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "unknown.example");
	xteardown();
}

/* The lease records a hostname: the reservation's, else the client's
 * option 12, else none; lease commands and restore carry it, and the
 * file's DNS update flags. */
void test_lease_hostname(void)
{
	const struct cl named = { .hostname = "laptop-7" }, plain = { 0 };
	struct dhcp4_lease_filter f;
	struct lease_rec out[2], r;
	uint64_t matched, seq;
	uint32_t a;

	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = ( { hw-address = \"02:00:00:00:00:a1\"; hostname = \"alpha\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	memset(&f, 0, sizeof(f));
	/* the client's own name */
	CU_ASSERT(xdora(MAC_B, &named, &a) > 0);
	f.addr = a;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_EQUAL(out[0].hostname_len, 8);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "laptop-7");
	/* renewed without option 12: no name any more (Kea without DDNS) */
	CU_ASSERT(xdora(MAC_B, &plain, &a) > 0);
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_EQUAL(out[0].hostname_len, 0);
	/* the reservation's name wins over the client's */
	CU_ASSERT(xdora(MAC_A, &named, &a) > 0);
	f.addr = a;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "alpha");
	/* lease4-update and restore take the record's name */
	r = out[0];
	snprintf(r.hostname, sizeof(r.hostname), "renamed");
	r.hostname_len = 7;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), 0);
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "renamed");
	r.addr = IP(198, 18, 0, 19);
	r.hwaddr[5] = 0x77;
	snprintf(r.hostname, sizeof(r.hostname), "from-file");
	r.hostname_len = 9;
	r.fqdn_fwd = 1;
	r.fqdn_rev = 0;
	CU_ASSERT_EQUAL(dhcp4_restore(F.w, &r), 0);
	f.addr = r.addr;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "from-file");
	/* a Kea file's DNS flags read back as they were */
	CU_ASSERT_EQUAL(out[0].fqdn_fwd, 1);
	CU_ASSERT_EQUAL(out[0].fqdn_rev, 0);
	xteardown();
}

void test_reserved_addresses(void)
{
	static const uint8_t prl[] = { 12 };
	const struct cl c = { .prl = prl, .prl_len = 1 };
	uint32_t a, seen[16];
	unsigned i, got = 0;
	int n;

	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = (\n"
	       "    { hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.15\"; hostname = \"in-pool\"; },\n"
	       "    { hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.100\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	/* nine other clients exhaust the pool without ever getting .15 */
	for (i = 0; i < 10; i++) {
		a = xaddr(MACN(i), NULL);
		if (a) {
			CU_ASSERT_NOT_EQUAL(a, IP(198, 18, 0, 15));
			seen[got++] = a;
		}
	}
	CU_ASSERT_EQUAL(got, 9);
	/* asking for it does not help either */
	{
		struct dhcp4_tx tx;
		struct msg m;

		m_init(&m, DHCP4_DISCOVER, MACN(40));
		m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
		CU_ASSERT_EQUAL(run(&m, &tx), 0);
	}
	/* the reserved clients get theirs, in the pool and outside it */
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_EQUAL(a, IP(198, 18, 0, 15));
	CU_ASSERT_STRING_EQUAL(r_text(n, 12), "in-pool");
	CU_ASSERT_EQUAL(xaddr(MAC_B, NULL), IP(198, 18, 0, 100));
	/* released, the reserved address is still nobody else's */
	{
		struct dhcp4_tx tx;
		struct msg m;

		m_init(&m, DHCP4_RELEASE, MAC_A);
		m_ciaddr(&m, IP(198, 18, 0, 15));
		m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
		CU_ASSERT_EQUAL(run(&m, &tx), 0);
		CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	}
	CU_ASSERT_EQUAL(xaddr(MACN(41), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 15));
	CU_ASSERT_NOT_EQUAL(seen[0], IP(198, 18, 0, 15));
	xteardown();
}

void test_reservation_identifiers(void)
{
	static const uint8_t cid1[] = { 1, 2, 0, 0, 0, 0, 0xc3 };
	static const uint8_t cid2[] = { 1, 2, 0, 0, 0, 0, 0xc4 };
	const struct cl both = { .cid = cid1, .cid_len = 7, .circuit = "port-7", .giaddr = IP(198, 18, 0, 2) };
	const struct cl only_cid = { .cid = cid2, .cid_len = 7 };
	const struct cl flex = { .vci = "flexy" };
	const char *hosts =
		"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
		"  reservations = (\n"
		"    { client-id = \"01:02:00:00:00:00:c3\"; ip-address = \"198.18.0.30\"; },\n"
		"    { circuit-id = \"'port-7'\"; ip-address = \"198.18.0.31\"; },\n"
		"    { flex-id = \"'flexy'\"; ip-address = \"198.18.0.32\"; },\n"
		"    { client-id = \"01:02:00:00:00:00:c4\"; ip-address = \"198.18.0.33\"; } );\n"
		"  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n"
		"flex-id-expression = \"option[60].hex\";\n";
	char text[2048];

	snprintf(text, sizeof(text), "host-reservation-identifiers = [ \"circuit-id\", \"client-id\", \"flex-id\" ];\n%s", hosts);
	xsetup(text);
	CU_ASSERT_EQUAL(xaddr(MAC_A, &both), IP(198, 18, 0, 31));    /* circuit-id first */
	CU_ASSERT_EQUAL(xaddr(MAC_B, &only_cid), IP(198, 18, 0, 33));
	CU_ASSERT_EQUAL(xaddr(MAC_C, &flex), IP(198, 18, 0, 32));
	xteardown();

	snprintf(text, sizeof(text), "host-reservation-identifiers = [ \"client-id\", \"circuit-id\", \"flex-id\" ];\n%s", hosts);
	xsetup(text);
	CU_ASSERT_EQUAL(xaddr(MAC_A, &both), IP(198, 18, 0, 30));    /* client-id first */
	xteardown();
}

/* One ACK, and the value of options 6, 15 and 3 in it. */
static void prec_check(const char *mode, const char *want15, uint8_t want6, uint8_t want3)
{
	static const uint8_t prl[] = { 3, 6, 15 };
	const struct cl c = { .vci = "pxe", .prl = prl, .prl_len = 3 };
	char text[4096];
	uint8_t l;
	const uint8_t *v;
	uint32_t a;
	int n;

	snprintf(text, sizeof(text),
		 "option-precedence = \"%s\";\n"
		 "option-data = ( { name = \"domain-name\"; data = \"global.example\"; },\n"
		 "                { name = \"domain-name-servers\"; data = \"198.18.0.50\"; } );\n"
		 "client-classes = ( { name = \"pxe\"; test = \"option[60].text == 'pxe'\";\n"
		 "  option-data = ( { name = \"domain-name\"; data = \"class.example\"; },\n"
		 "                  { name = \"domain-name-servers\"; data = \"198.18.0.51\"; },\n"
		 "                  { name = \"routers\"; data = \"198.18.0.251\"; } ); } );\n"
		 "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
		 "  option-data = ( { name = \"domain-name\"; data = \"subnet.example\"; } );\n"
		 "  reservations = ( { hw-address = \"02:00:00:00:00:a1\";\n"
		 "    option-data = ( { name = \"routers\"; data = \"198.18.0.254\"; } ); } );\n"
		 "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\";\n"
		 "    option-data = ( { name = \"domain-name-servers\"; data = \"198.18.0.52\"; } ); } ); } );\n",
		 mode);
	xsetup(text);
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), want15);
	v = r_opt(n, 6, &l);
	CU_ASSERT(v && l == 4 && v[3] == want6);
	v = r_opt(n, 3, &l);
	CU_ASSERT(v && l == 4 && v[3] == want3);
	xteardown();
}

void test_option_precedence(void)
{
	/* Kea: host > pool > subnet > class > global */
	prec_check("kea", "subnet.example", 52, 254);
	/* isc-dhcpd: host > class > pool > subnet > global */
	prec_check("isc-dhcpd", "class.example", 51, 254);
}

void test_shared_network(void)
{
	uint32_t a;
	int n;

	xsetup("shared-networks = ( { name = \"floor\"; interface = \"lan\";\n"
	       "  option-data = ( { name = \"domain-name\"; data = \"floor.example\"; always-send = true; } );\n"
	       "  subnet4 = (\n"
	       "   { id = 1; subnet = \"198.18.0.0/24\"; pools = ( { pool = \"198.18.0.10 - 198.18.0.11\"; } ); },\n"
	       "   { id = 2; subnet = \"198.18.1.0/24\"; pools = ( { pool = \"198.18.1.10 - 198.18.1.11\"; } );\n"
	       "     option-data = ( { name = \"routers\"; data = \"198.18.1.1\"; always-send = true; } ); } ); } );\n");
	CU_ASSERT_EQUAL(XC->n_subnets, 2);
	CU_ASSERT(xaddr(MACN(1), NULL) >> 8 == IP(198, 18, 0, 0) >> 8);
	CU_ASSERT(xaddr(MACN(2), NULL) >> 8 == IP(198, 18, 0, 0) >> 8);
	n = xdora(MACN(3), NULL, &a);
	CU_ASSERT(a >> 8 == IP(198, 18, 1, 0) >> 8);
	/* the reply is subnet 2's (router), with the shared network's option */
	CU_ASSERT_EQUAL(r_u32(n, 3), IP(198, 18, 1, 1));
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "floor.example");
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
	CU_ASSERT(xaddr(MACN(4), NULL) >> 8 == IP(198, 18, 1, 0) >> 8);
	CU_ASSERT_EQUAL(xaddr(MACN(5), NULL), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 2);
	/* the renewal of a subnet-2 lease stays in subnet 2 */
	CU_ASSERT(xaddr(MACN(3), NULL) == a);
	xteardown();

	/* a class-restricted subnet in a shared network only takes members */
	xsetup("client-classes = ( { name = \"cams\"; test = \"option[60].text == 'cam'\"; } );\n"
	       "shared-networks = ( { name = \"floor\"; interface = \"lan\"; subnet4 = (\n"
	       "   { id = 1; subnet = \"198.18.0.0/24\"; client-class = \"cams\";\n"
	       "     pools = ( { pool = \"198.18.0.10 - 198.18.0.11\"; } ); },\n"
	       "   { id = 2; subnet = \"198.18.1.0/24\"; pools = ( { pool = \"198.18.1.10 - 198.18.1.11\"; } ); } ); } );\n");
	{
		const struct cl cam = { .vci = "cam" };

		CU_ASSERT(xaddr(MACN(1), NULL) >> 8 == IP(198, 18, 1, 0) >> 8);
		CU_ASSERT(xaddr(MACN(2), &cam) >> 8 == IP(198, 18, 0, 0) >> 8);
	}
	xteardown();
}

void test_required_classes(void)
{
	static const uint8_t prl[] = { 15, 42, 66 };
	const struct cl c = { .prl = prl, .prl_len = 3 };
	int n;
	uint32_t a;

	xsetup("client-classes = (\n"
	       " { name = \"req\"; test = \"pkt4.htype == 1\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"required.example\"; } ); },\n"
	       " { name = \"poolreq\"; test = \"'a' == 'a'\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"tftp-server-name\"; data = \"tftp.example\"; } ); },\n"
	       " { name = \"unreq\"; test = \"'a' == 'a'\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"ntp-servers\"; data = \"198.18.0.123\"; } ); } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  require-client-classes = [ \"req\" ];\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; require-client-classes = [ \"poolreq\" ]; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "required.example");
	CU_ASSERT_STRING_EQUAL(r_text(n, 66), "tftp.example");
	CU_ASSERT_PTR_NULL(r_opt(n, 42, NULL));     /* never required: not evaluated */
	xteardown();
}

void test_vendor_route_options(void)
{
	static const uint8_t prl[] = { 43, 121, 125 };
	static const uint8_t o43[] = { 1, 4, 10, 0, 0, 1 };
	static const uint8_t o121[] = { 8, 10, 198, 18, 0, 1 };
	static const uint8_t o125[] = { 0, 0, 0x11, 0x8b, 3, 1, 1, 5 };
	const struct cl c = { .prl = prl, .prl_len = 3 };
	const uint8_t *v;
	uint8_t l;
	uint32_t a;
	int n;

	xsetup("option-def = (\n"
	       " { name = \"tftp\"; code = 1; type = \"ipv4-address\"; space = \"vendor-encapsulated-options-space\"; },\n"
	       " { name = \"cfg-ver\"; code = 1; type = \"uint8\"; space = \"vendor-4491\"; } );\n"
	       "option-data = (\n"
	       " { name = \"vendor-encapsulated-options\"; },\n"
	       " { name = \"tftp\"; space = \"vendor-encapsulated-options-space\"; data = \"10.0.0.1\"; },\n"
	       " { name = \"vivso-suboptions\"; data = \"4491\"; },\n"
	       " { name = \"cfg-ver\"; space = \"vendor-4491\"; data = \"5\"; },\n"
	       " { name = \"classless-static-route\"; data = \"10.0.0.0/8 - 198.18.0.1\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	v = r_opt(n, 43, &l);
	CU_ASSERT(v && l == sizeof(o43) && !memcmp(v, o43, l));
	v = r_opt(n, 121, &l);
	CU_ASSERT(v && l == sizeof(o121) && !memcmp(v, o121, l));
	v = r_opt(n, 125, &l);
	CU_ASSERT(v && l == sizeof(o125) && !memcmp(v, o125, l));
	xteardown();
}

static struct conf *xload(const char *text)
{
	char path[128], err[512];
	struct conf *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/x2.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(XHEAD, f);
	fputs(text, f);
	fclose(f);
	c = conf_load(path, err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n%s\n", err);
	return c;
}

/* Reload the worker onto config text (after building and giving up a
 * runtime for config `abandoned`, when given); the old config is freed. */
static void xreload(const char *text, const char *abandoned)
{
	struct conf *nc;
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };

	if (abandoned) {
		nc = xload(abandoned);
		CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
		nrt = dhcp4_runtime_create_from(nc, F.rt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
		dhcp4_runtime_free(nrt);
		conf_free(nc);
	}
	nc = xload(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
	nrt = dhcp4_runtime_create_from(nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL_FATAL(reload_to(nc, nrt, &rc), 0);
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	conf_free(XC);
	XC = nc;
}

#define RSUB(res) \
	"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n" \
	"  reservations = ( " res " );\n" \
	"  pools = ( { pool = \"198.18.0.10 - 198.18.0.13\"; } ); } );\n"

/* Reservations across a reload of a carried pool: a new one takes its
 * free address at once (even if the reload was first given up: nothing
 * leaks), a dropped one without a lease is free again, a dropped one with a
 * lease stays that client's. */
void test_reload_reservations(void)
{
	uint32_t a;
	unsigned i;

	xsetup(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.13\"; }"));
	for (i = 0; i < 3; i++)
		CU_ASSERT_NOT_EQUAL(xaddr(MACN(i), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), 0);       /* .13 is reserved */
	/* reload: .13 no longer reserved (no lease): it is free again */
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.100\"; }"), NULL);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(F.rt), 1);
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), IP(198, 18, 0, 13));
	CU_ASSERT_EQUAL(xaddr(MAC_B, NULL), IP(198, 18, 0, 100));
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), 0);         /* pool full, no reservation */
	/* reload: .100 dropped while MAC_B holds it: MAC_B keeps it */
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:c3\"; ip-address = \"198.18.0.50\"; }"), NULL);
	a = xaddr(MAC_B, NULL);
	CU_ASSERT_EQUAL(a, IP(198, 18, 0, 100));
	CU_ASSERT_EQUAL(xaddr(MAC_C, NULL), IP(198, 18, 0, 50));
	xteardown();

	/* a reload that would have reserved .11 is given up (its claim is
	 * undone: .11 stays usable); the real one reserves .12, which then
	 * goes to its client only */
	xsetup(RSUB(""));
	CU_ASSERT_NOT_EQUAL(xaddr(MACN(0), NULL), 0);
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.12\"; }"),
		RSUB("{ hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.11\"; }"));
	CU_ASSERT_EQUAL(xaddr(MACN(1), NULL), IP(198, 18, 0, 11));
	CU_ASSERT_EQUAL(xaddr(MACN(2), NULL), IP(198, 18, 0, 13));
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 12));
	xteardown();
}

/* A reload adds a reservation on an address a dynamic lease holds while
 * the new runtime is built (its claim fails), and that lease ends before
 * the workers switch: the freed bit must become the reservation's at the
 * switch, or the pool would hand the reserved address to anyone. */
void test_reload_reservation_freed_before_switch(void)
{
	struct dhcp4_reconf rc = { 0 };
	struct dhcp4_runtime *nrt;
	struct dhcp4_tx tx;
	struct conf *nc;
	struct msg m;
	uint32_t held;
	unsigned i;

	xsetup(RSUB(""));
	/* fill the 4-address pool; the first client holds .10 */
	held = xaddr(MACN(0), NULL);
	CU_ASSERT_EQUAL(held, IP(198, 18, 0, 10));
	for (i = 1; i < 4; i++)
		CU_ASSERT_NOT_EQUAL(xaddr(MACN(i), NULL), 0);
	nc = xload(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.10\"; }"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
	nrt = dhcp4_runtime_create_from(nc, F.rt);       /* .10 is taken: claim fails */
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	/* ... and is released under the old runtime before the switch */
	m_init(&m, DHCP4_RELEASE, MACN(0));
	m_ciaddr(&m, held);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MACN(0)));
	CU_ASSERT_EQUAL_FATAL(reload_to(nc, nrt, &rc), 0);
	conf_free(XC);
	XC = nc;
	/* nobody else is even offered .10 (the pool is full for them); its
	 * client gets it */
	{
		uint32_t a;
		int r = xdora(MACN(9), NULL, &a);

		CU_ASSERT(r == 0 || r == -1);   /* no OFFER at all (-3: offered, then NAKed) */
		CU_ASSERT_EQUAL(a, 0);
	}
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 10));
	xteardown();
}

/* A renewal of address a by mac: the reply's type, 0 for none. */
static int xrenew(const uint8_t mac[6], uint32_t a)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	m_client(&m, DHCP4_REQUEST, mac, NULL);
	m_ciaddr(&m, a);
	n = xrun(&m, &tx);
	return n > 0 ? r_type(n) : 0;
}

#define IN(a, lo, hi) ((a) >= IP(198, 18, 0, lo) && (a) <= IP(198, 18, 0, hi))

/* RADIUS's answer on the worker: Framed-Pool puts the client in the class
 * of that name (the pool guarded by it serves it), Framed-IP-Address is
 * its address when it lies in the subnet, in a pool (whatever that pool's
 * classes say) or outside the pools; not when it lies outside the subnet
 * (counted) or another client holds it (then the usual allocation).  What
 * the answer gave holds for the renewals it is cached for, and only for
 * those. */
void test_access_answers(void)
{
	struct access_answer plain = { .verdict = ACCESS_ACCEPT },
			     gold = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL,
				      .pool = "gold" },
			     nosuch = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL,
					.pool = "nosuch" },
			     fixed = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR4,
				       .addr4 = IP(198, 18, 0, 15) },
			     outside = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR4,
					 .addr4 = IP(198, 18, 0, 100) },
			     elsewhere = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR4,
					   .addr4 = IP(198, 18, 9, 9) };
	uint32_t a, g, f;

	xsetup_ask("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
		   "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"gold\"; },\n"
		   "            { pool = \"198.18.0.20 - 198.18.0.29\"; } ); } );\n", true);
	xans = &plain;
	a = xaddr(MACN(1), NULL);
	CU_ASSERT(IN(a, 20, 29));
	xans = &gold;
	g = xaddr(MACN(2), NULL);
	CU_ASSERT(IN(g, 10, 19));
	xans = &fixed;
	f = xaddr(MACN(3), NULL);
	CU_ASSERT_EQUAL(f, IP(198, 18, 0, 15));
	/* the same address for another client: it is MACN(3)'s */
	a = xaddr(MACN(4), NULL);
	CU_ASSERT(IN(a, 20, 29));
	/* outside the pools, inside the subnet: the client's, and nobody
	 * else's while it holds it */
	xans = &outside;
	CU_ASSERT_EQUAL(xaddr(MACN(5), NULL), IP(198, 18, 0, 100));
	a = xaddr(MACN(7), NULL);
	CU_ASSERT(IN(a, 20, 29));
	/* outside the subnet: the usual allocation, counted */
	xans = &elsewhere;
	a = xaddr(MACN(8), NULL);
	CU_ASSERT(IN(a, 20, 29));
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ADDR_UNUSABLE), 2);     /* its DISCOVER and REQUEST */
	xans = &nosuch;
	a = xaddr(MACN(6), NULL);
	CU_ASSERT(IN(a, 20, 29));
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_UNKNOWN_POOL), 2);      /* its DISCOVER and REQUEST */
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 8);
	/* renewals within cache-ttl: asked nothing, kept */
	xans = NULL;
	CU_ASSERT_EQUAL(xrenew(MACN(2), g), DHCP4_ACK);
	CU_ASSERT_EQUAL(xrenew(MACN(3), f), DHCP4_ACK);
	CU_ASSERT_EQUAL(xrenew(MACN(5), IP(198, 18, 0, 100)), DHCP4_ACK);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 8);
	/* the cache expired and RADIUS now says nothing of gold: MACN(2)
	 * may not keep its gold address; MACN(3)'s new answer still names
	 * .15 */
	dhcp4_worker_set_now(F.w, T0 + 1000);
	xans = &plain;
	CU_ASSERT_NOT_EQUAL(xrenew(MACN(2), g), DHCP4_ACK);
	xans = &fixed;
	CU_ASSERT_EQUAL(xrenew(MACN(3), f), DHCP4_ACK);
	/* RADIUS no longer names .100 for MACN(5): not its any more */
	xans = &plain;
	CU_ASSERT_NOT_EQUAL(xrenew(MACN(5), IP(198, 18, 0, 100)), DHCP4_ACK);
	CU_ASSERT_EQUAL(ST(STAT4_ACCESS_ASKED), 11);
	/* the question carries the relay's circuit-id as NAS-Port-Id */
	{
		const struct cl relayed = { .circuit = "port-7", .giaddr = IP(198, 18, 0, 254) };
		struct dhcp4_tx tx;
		const uint8_t *at;
		struct msg m;
		uint16_t n;

		xans = NULL;
		m_client(&m, DHCP4_DISCOVER, MACN(9), &relayed);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		at = dhcp4_access_attrs(F.w, &n);
		CU_ASSERT_EQUAL(n, 8);
		CU_ASSERT(n == 8 && at[0] == 87 && at[1] == 8 && memcmp(at + 2, "port-7", 6) == 0);
		m_client(&m, DHCP4_DISCOVER, MACN(10), NULL);
		CU_ASSERT_EQUAL(run(&m, &tx), DHCP4_SUSPEND);
		dhcp4_access_attrs(F.w, &n);
		CU_ASSERT_EQUAL(n, 0);
	}
	xans = NULL;
	xteardown();
}

#define RESEL(flags) \
	"radius = { " flags " access = { servers = ( { name = \"127.0.0.1\"; secret = \"x\"; } ); }; };\n" \
	"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n" \
	"              pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); },\n" \
	"            { id = 2; subnet = \"198.18.5.0/24\";\n" \
	"              pools = ( { pool = \"198.18.5.10 - 198.18.5.19\"; client-class = \"silver\"; },\n" \
	"                        { pool = \"198.18.5.20 - 198.18.5.29\"; } ); } );\n"

/* Kea's reselect-subnet-address / -pool: an answer naming an address or a
 * pool the selected subnet lacks moves the client to the subnet that has
 * it; without them the answer's address is not usable there and the pool
 * class finds no pool (the usual allocation in the selected subnet). */
void test_access_reselect(void)
{
	const struct access_answer addr = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR4,
					    .addr4 = IP(198, 18, 5, 25) },
				   silver = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL,
					      .pool = "silver" };
	uint32_t a;

	xsetup_ask(RESEL("reselect-subnet-address = true; reselect-subnet-pool = true;"), true);
	xans = &addr;
	CU_ASSERT_EQUAL(xaddr(MACN(1), NULL), IP(198, 18, 5, 25));
	xans = &silver;
	a = xaddr(MACN(2), NULL);
	CU_ASSERT(a >= IP(198, 18, 5, 10) && a <= IP(198, 18, 5, 19));
	xans = NULL;
	xteardown();

	xsetup_ask(RESEL(""), true);
	xans = &addr;
	a = xaddr(MACN(1), NULL);
	CU_ASSERT(IN(a, 10, 19));
	xans = &silver;
	a = xaddr(MACN(2), NULL);
	CU_ASSERT(IN(a, 10, 19));
	xans = NULL;
	xteardown();
}
