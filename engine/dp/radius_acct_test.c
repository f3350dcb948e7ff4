/* radius_acct without the EAL: lease changes into Accounting-Request
 * records (which status, which session id, which attributes), and the
 * whole path against a fake accounting server on 127.0.0.1 polled in the
 * test's own loop: records answered in order, an outage (the server
 * silent) costing nothing, the backlog surviving a restart, a lapped log
 * and a full queue counted. */
#include "radius_acct.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "util_fs.h"

#include "conf.h"
#include "lease_log.h"
#include "rad_client.h"
#include "rad_ident.h"
#include "rad_pkt.h"

#define SECRET "acct-secret"
#define T0     1700000000u
#define NAS    0xC6120001u             /* 198.18.0.1 */

static char dir[64];
static struct conf_radius R;

/* ---- set-up --------------------------------------------------------- */

static void rm_dir(void)
{
	CU_ASSERT(util_rmtree(dir) == 0);
}

/* The radius block: one accounting server on port, a fixed attribute. */
static void conf_init(uint16_t port, uint32_t queue_max)
{
	memset(&R, 0, sizeof(R));
	R.accounting.enabled = true;
	R.accounting.n_servers = 1;
	snprintf(R.accounting.servers[0].name, sizeof(R.accounting.servers[0].name), "127.0.0.1");
	R.accounting.servers[0].addr4 = 0x7f000001;
	R.accounting.servers[0].port = port;
	snprintf(R.accounting.servers[0].secret, sizeof(R.accounting.servers[0].secret), SECRET);
	R.accounting.n_attrs = 1;
	snprintf(R.accounting.attrs[0].name, sizeof(R.accounting.attrs[0].name), "NAS-Identifier");
	R.accounting.attrs[0].type = RAD_A_NAS_IDENTIFIER;
	R.accounting.attrs[0].len = 2;
	memcpy(R.accounting.attrs[0].data, "pg", 2);
	R.identifier_type4 = RAD_ID_CLIENT_ID;
	R.identifier_type6 = RAD_ID_DUID;
	R.extract_duid = true;
	R.timeout_ms = 40;
	R.retries = 1;
	R.peer_updates = true;
	R.accounting_queue_max = queue_max;
	snprintf(R.bindaddr, sizeof(R.bindaddr), "127.0.0.1");
	snprintf(R.accounting_queue, sizeof(R.accounting_queue), "%s/acct.queue", dir);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pgt-racct.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	return util_rmtree(dir);
}

static struct radius_acct *make(struct lease_log **logs, unsigned n)
{
	struct radius_acct_params p = { .logs = logs, .n_logs = n, .r = &R, .nas_ip = NAS,
					 .window = 4 };
	struct radius_acct *a = radius_acct_create(&p);

	CU_ASSERT_FATAL(a != NULL);
	return a;
}

/* ---- changes -------------------------------------------------------- */

static void v4(struct lease_change *c, uint8_t op, uint32_t addr, uint8_t who)
{
	memset(c, 0, sizeof(*c));
	c->family = LEASE_FAMILY_V4;
	c->op = op;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v4.addr = addr;
	c->u.v4.hwaddr_len = 6;
	memcpy(c->u.v4.hwaddr, (uint8_t[]){ 0x02, 0, 0, 0, 0x31, who }, 6);
	c->u.v4.cid_len = 7;
	memcpy(c->u.v4.cid, (uint8_t[]){ 1, 0x02, 0, 0, 0, 0x31, who }, 7);
	c->u.v4.valid_lft = lease_op_removes(op) ? 0 : 3600;
}

static void v6(struct lease_change *c, uint8_t op, uint8_t type, uint64_t lo, uint8_t plen)
{
	memset(c, 0, sizeof(*c));
	c->family = LEASE_FAMILY_V6;
	c->op = op;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v6.addr = (struct lease_addr6){ 0x20010db800010000ull, lo };
	c->u.v6.type = type;
	c->u.v6.prefix_len = plen;
	c->u.v6.duid_len = 4;
	memcpy(c->u.v6.duid, (uint8_t[]){ 0, 3, 0xab, 0xcd }, 4);
}

/* A record's attributes, parsed. */
struct rec {
	int ret;
	uint8_t status;
	uint32_t st, cause, ev, nas, fip, stime;
	bool has_stime, has_cause;
	char sid[32], user[64], csid[64], nasid[8];
	uint8_t ip6[16], pfx[16], plen;
	bool has_ip6, has_pfx;
};

static void parse(const uint8_t *attrs, uint16_t len, struct rec *r)
{
	uint8_t pkt[RAD_PKT_MAX];
	size_t off = RAD_HDR_LEN;
	struct rad_attr at;

	memset(pkt, 0, RAD_HDR_LEN);
	memcpy(pkt + RAD_HDR_LEN, attrs, len);
	pkt[2] = (uint8_t)((len + RAD_HDR_LEN) >> 8);
	pkt[3] = (uint8_t)(len + RAD_HDR_LEN);
	while (rad_attr_next(pkt, &off, &at) == 1) {
		char *s = NULL;
		size_t cap = 0;

		switch (at.type) {
		case RAD_A_ACCT_STATUS_TYPE: rad_val_u32(&at, &r->st); break;
		case RAD_A_ACCT_SESSION_ID: s = r->sid; cap = sizeof(r->sid); break;
		case RAD_A_USER_NAME: s = r->user; cap = sizeof(r->user); break;
		case RAD_A_CALLING_STATION_ID: s = r->csid; cap = sizeof(r->csid); break;
		case RAD_A_NAS_IDENTIFIER: s = r->nasid; cap = sizeof(r->nasid); break;
		case RAD_A_EVENT_TIMESTAMP: rad_val_u32(&at, &r->ev); break;
		case RAD_A_NAS_IP_ADDRESS: rad_val_ip4(&at, &r->nas); break;
		case RAD_A_FRAMED_IP_ADDRESS: rad_val_ip4(&at, &r->fip); break;
		case RAD_A_ACCT_SESSION_TIME: r->has_stime = rad_val_u32(&at, &r->stime) == 0; break;
		case RAD_A_ACCT_TERMINATE_CAUSE: r->has_cause = rad_val_u32(&at, &r->cause) == 0; break;
		case RAD_A_FRAMED_IPV6_ADDRESS: r->has_ip6 = rad_val_ip6(&at, r->ip6) == 0; break;
		case RAD_A_DELEGATED_IPV6_PREFIX:
			r->has_pfx = rad_val_ip6_prefix(&at, r->pfx, &r->plen) == 0;
			break;
		default: break;
		}
		if (s && at.len < cap) {
			memcpy(s, at.val, at.len);
			s[at.len] = '\0';
		}
	}
}

static struct rec record(struct radius_acct *a, const struct lease_change *c, uint32_t now)
{
	uint8_t attrs[RAD_PKT_MAX];
	uint16_t len = 0;
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.ret = radius_acct_record(a, c, now, &r.status, attrs, sizeof(attrs), &len);
	if (r.ret == 1)
		parse(attrs, len, &r);
	return r;
}

/* ---- the mapping ---------------------------------------------------- */

static void test_v4_session(void)
{
	struct lease_log *log = lease_log_create(&(struct lease_log_params){ .size = 64 });
	struct radius_acct *a;
	struct lease_change c;
	struct rec r;
	char sid[32];

	conf_init(9, 100);
	a = make(&log, 1);
	v4(&c, LEASE_OP_ADD, 0xC6120064, 1);              /* 198.18.0.100 */
	r = record(a, &c, T0);
	CU_ASSERT(r.ret == 1 && r.status == RAD_ACCT_START && r.st == RAD_ACCT_START);
	CU_ASSERT(strlen(r.sid) == 16);
	CU_ASSERT_STRING_EQUAL(r.user, "01:02:00:00:00:31:01");     /* client-id, Kea's hex */
	CU_ASSERT_STRING_EQUAL(r.csid, "02:00:00:00:31:01");
	CU_ASSERT_STRING_EQUAL(r.nasid, "pg");                     /* the fixed attribute */
	CU_ASSERT(r.fip == 0xC6120064 && r.nas == NAS && r.ev == T0);
	CU_ASSERT(!r.has_stime && !r.has_cause);
	snprintf(sid, sizeof(sid), "%s", r.sid);

	v4(&c, LEASE_OP_RENEW, 0xC6120064, 1);
	r = record(a, &c, T0 + 10);
	CU_ASSERT(r.status == RAD_ACCT_INTERIM_UPDATE && r.st == RAD_ACCT_INTERIM_UPDATE);
	CU_ASSERT_STRING_EQUAL(r.sid, sid);
	CU_ASSERT(r.has_stime && r.stime == 10 && !r.has_cause);

	v4(&c, LEASE_OP_RELEASE, 0xC6120064, 1);
	r = record(a, &c, T0 + 25);
	CU_ASSERT(r.status == RAD_ACCT_STOP);
	CU_ASSERT_STRING_EQUAL(r.sid, sid);
	CU_ASSERT(r.stime == 25 && r.has_cause && r.cause == RAD_TERM_USER_REQUEST);
	CU_ASSERT(r.fip == 0xC6120064);

	/* the next lease of the same client and address: a new session */
	v4(&c, LEASE_OP_ADD, 0xC6120064, 1);
	r = record(a, &c, T0 + 25);
	CU_ASSERT(r.status == RAD_ACCT_START);
	CU_ASSERT(strcmp(r.sid, sid) != 0);
	snprintf(sid, sizeof(sid), "%s", r.sid);
	v4(&c, LEASE_OP_EXPIRE, 0xC6120064, 1);
	c.origin = LEASE_ORIGIN_SERVER;
	r = record(a, &c, T0 + 100);
	CU_ASSERT(r.status == RAD_ACCT_STOP && r.cause == RAD_TERM_SESSION_TIMEOUT);
	CU_ASSERT_STRING_EQUAL(r.sid, sid);

	/* a control command's delete */
	v4(&c, LEASE_OP_ADD, 0xC6120065, 2);
	record(a, &c, T0);
	v4(&c, LEASE_OP_DELETE, 0xC6120065, 2);
	c.origin = LEASE_ORIGIN_CONTROL;
	r = record(a, &c, T0 + 1);
	CU_ASSERT(r.status == RAD_ACCT_STOP && r.cause == RAD_TERM_ADMIN_RESET);

	/* a decline is the Stop; the end of its probation sends nothing */
	v4(&c, LEASE_OP_ADD, 0xC6120066, 3);
	snprintf(sid, sizeof(sid), "%s", record(a, &c, T0).sid);
	v4(&c, LEASE_OP_DECLINE, 0xC6120066, 3);
	c.u.v4.state = 1;
	r = record(a, &c, T0 + 1);
	CU_ASSERT(r.status == RAD_ACCT_STOP && r.cause == RAD_TERM_LOST_SERVICE);
	CU_ASSERT_STRING_EQUAL(r.sid, sid);
	v4(&c, LEASE_OP_EXPIRE, 0xC6120066, 3);
	c.u.v4.state = 1;
	CU_ASSERT(record(a, &c, T0 + 2).ret == 0);

	/* a renewal of a lease whose Start this run never saw: a Start */
	v4(&c, LEASE_OP_RENEW, 0xC6120067, 4);
	CU_ASSERT(record(a, &c, T0).status == RAD_ACCT_START);

	/* identifier-type4 hw-address and duid */
	radius_acct_free(a);
	R.identifier_type4 = RAD_ID_HW_ADDRESS;
	R.canonical_mac_address = true;
	a = make(&log, 1);
	v4(&c, LEASE_OP_ADD, 0xC6120068, 5);
	r = record(a, &c, T0);
	CU_ASSERT_STRING_EQUAL(r.user, "02-00-00-00-31-05");
	CU_ASSERT_STRING_EQUAL(r.csid, "02-00-00-00-31-05");
	radius_acct_free(a);
	lease_log_free(log);
	rm_dir();
	setup();
}

static void test_v6_and_peer(void)
{
	struct lease_log *log = lease_log_create(&(struct lease_log_params){ .size = 64 });
	struct radius_acct *a;
	struct lease_change c;
	struct rec r, p;

	conf_init(9, 100);
	a = make(&log, 1);
	v6(&c, LEASE_OP_ADD, LEASE6_TYPE_NA, 0x10, 128);
	r = record(a, &c, T0);
	CU_ASSERT(r.status == RAD_ACCT_START && r.has_ip6 && !r.has_pfx && r.fip == 0);
	CU_ASSERT(r.ip6[0] == 0x20 && r.ip6[1] == 0x01 && r.ip6[15] == 0x10);
	CU_ASSERT_STRING_EQUAL(r.user, "00:03:ab:cd");
	CU_ASSERT(r.csid[0] == '\0');                  /* no hardware address */
	v6(&c, LEASE_OP_ADD, LEASE6_TYPE_PD, 0, 56);
	p = record(a, &c, T0);
	CU_ASSERT(p.status == RAD_ACCT_START && p.has_pfx && !p.has_ip6 && p.plen == 56);
	CU_ASSERT(strcmp(p.sid, r.sid) != 0);
	v6(&c, LEASE_OP_RENEW, LEASE6_TYPE_NA, 0x10, 128);
	CU_ASSERT_STRING_EQUAL(record(a, &c, T0 + 5).sid, r.sid);
	v6(&c, LEASE_OP_RELEASE, LEASE6_TYPE_PD, 0, 56);
	CU_ASSERT_STRING_EQUAL(record(a, &c, T0 + 6).sid, p.sid);

	/* the HA partner's changes: accounted by default */
	v4(&c, LEASE_OP_ADD, 0xC6120070, 9);
	c.origin = LEASE_ORIGIN_HA;
	CU_ASSERT(record(a, &c, T0).status == RAD_ACCT_START);
	radius_acct_free(a);
	R.peer_updates = false;
	a = make(&log, 1);
	v4(&c, LEASE_OP_ADD, 0xC6120071, 9);
	c.origin = LEASE_ORIGIN_HA;
	CU_ASSERT(record(a, &c, T0).ret == 0);
	c.origin = LEASE_ORIGIN_CLIENT;
	CU_ASSERT(record(a, &c, T0).ret == 1);
	radius_acct_free(a);
	lease_log_free(log);
	rm_dir();
	setup();
}

/* Many sessions at once (the table grows), ended in another order: each
 * Stop carries its own Start's id; ids are unique; a clean stop and
 * start keeps them. */
static void test_many_sessions(void)
{
	enum { N = 20000 };
	struct lease_log *log = lease_log_create(&(struct lease_log_params){ .size = 64 });
	struct radius_acct *a;
	struct lease_change c;
	static char sids[N][32];
	unsigned bad = 0, dup = 0, interim = 0;

	conf_init(9, 100);
	a = make(&log, 1);
	for (unsigned i = 0; i < N; i++) {
		v4(&c, LEASE_OP_ADD, 0xC6120000 + i * 7919u, (uint8_t)i);
		snprintf(sids[i], sizeof(sids[i]), "%s", record(a, &c, T0).sid);
		if (i && strcmp(sids[i], sids[i - 1]) == 0)
			dup++;
	}
	/* half ended before a clean restart, half after */
	for (unsigned k = 0; k < N; k += 2) {
		unsigned i = (k * 7) % N;

		v4(&c, LEASE_OP_RELEASE, 0xC6120000 + i * 7919u, (uint8_t)i);
		bad += strcmp(record(a, &c, T0 + 1).sid, sids[i]) != 0;
	}
	radius_acct_free(a);
	a = make(&log, 1);
	for (unsigned i = 0; i < N; i++) {
		struct rec r;

		v4(&c, LEASE_OP_RENEW, 0xC6120000 + i * 7919u, (uint8_t)i);
		r = record(a, &c, T0 + 2);
		if (r.status == RAD_ACCT_INTERIM_UPDATE) {
			bad += strcmp(r.sid, sids[i]) != 0;
			interim++;
		}
	}
	CU_ASSERT(interim == N / 2);           /* the released half starts anew */
	CU_ASSERT(dup == 0);
	CU_ASSERT(bad == 0);
	radius_acct_free(a);
	lease_log_free(log);
	rm_dir();
	setup();
}

/* ---- against a fake server ------------------------------------------ */

struct fake {
	int fd;
	uint16_t port;
	bool silent;
	unsigned got;
	uint32_t status[64];
	char sid[64][20];
	uint32_t fip[64];
	uint32_t delay[64];
};

static void fake_open(struct fake *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(f->fd >= 0);
	CU_ASSERT_FATAL(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(getsockname(f->fd, (struct sockaddr *)&sa, &sl) == 0);
	f->port = ntohs(sa.sin_port);
}

/* Read what came; answer it unless silent (then it is lost). */
static void fake_serve(struct fake *f)
{
	uint8_t q[RAD_PKT_MAX];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl)) > 0) {
		struct rad_pkt ans;
		size_t off = RAD_HDR_LEN;
		struct rad_attr at;
		unsigned i = f->got;

		if (f->silent || rad_pkt_check_request(q, (size_t)n, SECRET) != 0 ||
		    q[0] != RAD_ACCOUNTING_REQUEST)
			continue;
		if (i < 64) {
			while (rad_attr_next(q, &off, &at) == 1) {
				if (at.type == RAD_A_ACCT_STATUS_TYPE)
					rad_val_u32(&at, &f->status[i]);
				if (at.type == RAD_A_FRAMED_IP_ADDRESS)
					rad_val_ip4(&at, &f->fip[i]);
				if (at.type == RAD_A_ACCT_DELAY_TIME)
					rad_val_u32(&at, &f->delay[i]);
				if (at.type == RAD_A_ACCT_SESSION_ID && at.len < 20) {
					memcpy(f->sid[i], at.val, at.len);
					f->sid[i][at.len] = '\0';
				}
			}
		}
		f->got++;
		rad_pkt_init(&ans, RAD_ACCOUNTING_RESPONSE, 0);
		CU_ASSERT(rad_pkt_finish_answer(&ans, q, SECRET) == 0);
		sendto(f->fd, ans.buf, ans.len, 0, (struct sockaddr *)&from, fl);
	}
}

static void commit(struct lease_log *log, const struct lease_change *c)
{
	struct lease_change *e = lease_log_claim(log);

	CU_ASSERT_FATAL(e != NULL);
	*e = *c;
	lease_log_commit(log);
}

/* Pump and serve for up to ms, until want answers came (0: the whole ms). */
static void run(struct radius_acct *a, struct fake *f, unsigned ms, uint64_t want)
{
	uint64_t end = rad_now_ms() + ms;
	struct radius_acct_stats st;

	while (rad_now_ms() < end) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };

		radius_acct_pump(a, rad_now_ms(), (uint32_t)time(NULL));
		poll(&pfd, 1, 2);
		fake_serve(f);
		radius_acct_stats(a, &st);
		if (want && st.answered >= want)
			return;
	}
}

static void test_server(void)
{
	struct lease_log *log = lease_log_create(&(struct lease_log_params){ .size = 64 });
	struct radius_acct *a;
	struct radius_acct_stats st;
	struct lease_change c;
	struct fake f;

	fake_open(&f);
	conf_init(f.port, 100);
	a = make(&log, 1);
	v4(&c, LEASE_OP_ADD, 0xC6120064, 1);
	commit(log, &c);
	v4(&c, LEASE_OP_RENEW, 0xC6120064, 1);
	commit(log, &c);
	v4(&c, LEASE_OP_RELEASE, 0xC6120064, 1);
	commit(log, &c);
	run(a, &f, 2000, 3);
	radius_acct_stats(a, &st);
	CU_ASSERT(st.changes == 3 && st.queued == 3 && st.answered == 3 && st.backlog == 0);
	CU_ASSERT(f.got == 3);
	CU_ASSERT(f.status[0] == RAD_ACCT_START && f.status[1] == RAD_ACCT_INTERIM_UPDATE &&
		  f.status[2] == RAD_ACCT_STOP);
	CU_ASSERT(strcmp(f.sid[0], f.sid[1]) == 0 && strcmp(f.sid[1], f.sid[2]) == 0);
	CU_ASSERT(lease_log_done(log, 0) == 3);

	/* an outage: records wait, failures counted, nothing lost */
	f.silent = true;
	for (unsigned i = 0; i < 6; i++) {
		v4(&c, i % 2 ? LEASE_OP_RELEASE : LEASE_OP_ADD, 0xC6120080 + i / 2, (uint8_t)(10 + i / 2));
		commit(log, &c);
	}
	run(a, &f, 300, 0);
	radius_acct_stats(a, &st);
	CU_ASSERT(st.backlog == 6 && st.failed > 0 && st.down_since_ms != 0);
	f.silent = false;
	run(a, &f, 3000, 9);
	radius_acct_stats(a, &st);
	CU_ASSERT(st.answered == 9 && st.backlog == 0 && st.down_since_ms == 0);
	CU_ASSERT(f.got == 9);
	for (unsigned i = 0; i < 6; i++) {
		CU_ASSERT(f.status[3 + i] == (i % 2 ? RAD_ACCT_STOP : RAD_ACCT_START));
		CU_ASSERT(f.fip[3 + i] == 0xC6120080 + i / 2);
	}

	/* a restart with records queued: the next run sends them */
	f.silent = true;
	v4(&c, LEASE_OP_ADD, 0xC6120090, 20);
	commit(log, &c);
	v4(&c, LEASE_OP_RELEASE, 0xC6120090, 20);
	commit(log, &c);
	run(a, &f, 100, 0);
	radius_acct_free(a);
	lease_log_free(log);
	log = lease_log_create(&(struct lease_log_params){ .size = 64 });
	a = make(&log, 1);
	radius_acct_stats(a, &st);
	CU_ASSERT(st.reloaded == 2 && st.backlog == 2);
	f.silent = false;
	run(a, &f, 3000, 2);
	radius_acct_stats(a, &st);
	CU_ASSERT(st.answered == 2 && st.backlog == 0);
	CU_ASSERT(f.got == 11 && f.status[9] == RAD_ACCT_START && f.status[10] == RAD_ACCT_STOP);
	CU_ASSERT(f.fip[9] == 0xC6120090 && strcmp(f.sid[9], f.sid[10]) == 0);
	radius_acct_free(a);
	lease_log_free(log);
	close(f.fd);
	rm_dir();
	setup();
}

/* A log that laps the consumer counts what it missed; a full queue drops
 * the new record and counts it. */
static void test_lapped_and_full(void)
{
	struct lease_log *log = lease_log_create(&(struct lease_log_params){ .size = 16 });
	struct radius_acct *a;
	struct radius_acct_stats st;
	struct lease_change c;
	struct fake f;

	fake_open(&f);
	f.silent = true;
	conf_init(f.port, 5);
	a = make(&log, 1);
	for (unsigned i = 0; i < 40; i++) {
		v4(&c, LEASE_OP_ADD, 0xC6120100 + i, (uint8_t)i);
		commit(log, &c);                  /* lossy: never refused */
	}
	radius_acct_pump(a, rad_now_ms(), (uint32_t)time(NULL));
	radius_acct_stats(a, &st);
	CU_ASSERT(st.lapped == 24);
	CU_ASSERT(st.changes == 16);
	CU_ASSERT(st.queued == 5 && st.dropped == 11 && st.backlog == 5);
	radius_acct_free(a);
	lease_log_free(log);
	close(f.fd);
	rm_dir();
	setup();
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("radius_acct", setup, teardown);
	CU_add_test(s, "v4: Start, Interim-Update, Stop of one session", test_v4_session);
	CU_add_test(s, "v6 address and prefix; the HA partner's changes", test_v6_and_peer);
	CU_add_test(s, "many sessions, ended in any order, across a restart", test_many_sessions);
	CU_add_test(s, "a server: in order, an outage, a restart", test_server);
	CU_add_test(s, "a lapped log and a full queue are counted", test_lapped_and_full);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
