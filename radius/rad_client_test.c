/* rad_client against fake RADIUS servers in this process: UDP sockets on
 * 127.0.0.1, ephemeral ports, polled in the test's own loop and answering
 * with rad_pkt_check_request / rad_pkt_finish_answer.  The client's clock
 * is the test's: time moves only when a test says so, so retransmissions
 * and timeouts happen exactly where the test puts them.  Real waiting is
 * only for loopback datagrams, bounded by a number of short polls. */
#include "rad_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#define SECRET  "s3cret"
#define TIMEOUT 1000
#define T0      1000000                 /* the tests' clock starts here */
#define LO      0x7f000001

enum fake_mode { F_ACCEPT, F_REJECT, F_SILENT, F_HOLD, F_FORGE };

struct held {
	struct sockaddr_in to;
	uint16_t len;
	uint8_t buf[256];
};

struct fake {
	int fd;
	uint16_t port;
	enum fake_mode mode;
	unsigned drop;                  /* requests still to drop before answering */
	unsigned got;                   /* requests received (dropped ones too) */
	unsigned bad;                   /* requests that did not check */
	uint8_t first[RAD_PKT_MAX];     /* the first request received */
	uint16_t first_len;
	uint8_t last[RAD_PKT_MAX];      /* the latest */
	uint16_t last_len;
	char password[129];             /* the latest User-Password, clear */
	bool last_msg_auth;
	struct held *held;              /* F_HOLD: answers not sent yet */
	unsigned n_held, cap_held;
};

static void fake_open(struct fake *f, enum fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(f->fd >= 0);
	int sz = 4 << 20;
	setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LO) };
	socklen_t al = sizeof(a);
	CU_ASSERT_FATAL(bind(f->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(getsockname(f->fd, (struct sockaddr *)&a, &al) == 0);
	f->port = ntohs(a.sin_port);
}

static void fake_close(struct fake *f)
{
	close(f->fd);
	free(f->held);
}

/* The answer to request q: Access-Accept with Framed-IP-Address
 * 198.18.0.x (x: the request count), Access-Reject, Accounting-Response;
 * a Message-Authenticator in the access answers. */
static void answer_for(const struct fake *f, const uint8_t *q, const char *secret,
		       bool reject, struct rad_pkt *a)
{
	if (q[0] == RAD_ACCOUNTING_REQUEST) {
		rad_pkt_init(a, RAD_ACCOUNTING_RESPONSE, 0);
	} else if (reject) {
		rad_pkt_init(a, RAD_ACCESS_REJECT, 0);
		rad_pkt_add_msg_auth(a);
	} else {
		rad_pkt_init(a, RAD_ACCESS_ACCEPT, 0);
		rad_pkt_add_ip4(a, RAD_A_FRAMED_IP_ADDRESS, 0xc6120000u | (f->got & 0xff));
		rad_pkt_add_msg_auth(a);
	}
	CU_ASSERT(rad_pkt_finish_answer(a, q, secret) == 0);
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
	CU_ASSERT(sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) ==
		  (ssize_t)len);
}

/* F_FORGE: before the real answer (an Access-Accept), an Access-Reject
 * signed with another secret and one correctly signed but from another
 * port; after it, the accept again (stale by then). */
static void forge(const struct fake *f, const uint8_t *q, const struct sockaddr_in *to)
{
	struct rad_pkt a;
	answer_for(f, q, "not-the-secret", true, &a);
	send_to(f->fd, a.buf, a.len, to);
	answer_for(f, q, SECRET, true, &a);
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LO) };
	CU_ASSERT(bind(other, (struct sockaddr *)&b, sizeof(b)) == 0);
	send_to(other, a.buf, a.len, to);
	close(other);
	answer_for(f, q, SECRET, false, &a);
	send_to(f->fd, a.buf, a.len, to);
	send_to(f->fd, a.buf, a.len, to);
}

/* Read every request waiting; answer as the mode says. */
static void fake_serve(struct fake *f)
{
	for (;;) {
		uint8_t q[RAD_PKT_MAX];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (rad_pkt_check_request(q, (size_t)n, SECRET) < 0) {
			f->bad++;
			continue;
		}
		if (f->got++ == 0) {
			memcpy(f->first, q, (size_t)n);
			f->first_len = (uint16_t)n;
		}
		memcpy(f->last, q, (size_t)n);
		f->last_len = (uint16_t)n;
		uint8_t l;
		f->last_msg_auth = rad_attr_find(q, RAD_A_MESSAGE_AUTHENTICATOR, &l) != NULL;
		if (rad_pkt_password(q, SECRET, f->password, sizeof(f->password)) < 0)
			f->password[0] = '\0';
		if (f->drop) {
			f->drop--;
			continue;
		}
		struct rad_pkt a;
		switch (f->mode) {
		case F_SILENT:
			break;
		case F_FORGE:
			forge(f, q, &from);
			break;
		case F_HOLD:
			if (f->n_held == f->cap_held) {
				f->cap_held = f->cap_held ? 2 * f->cap_held : 64;
				f->held = realloc(f->held, f->cap_held * sizeof(*f->held));
				CU_ASSERT_FATAL(f->held != NULL);
			}
			answer_for(f, q, SECRET, f->mode == F_REJECT, &a);
			struct held *h = &f->held[f->n_held++];
			h->to = from;
			h->len = a.len;
			memcpy(h->buf, a.buf, a.len);
			break;
		default:
			answer_for(f, q, SECRET, f->mode == F_REJECT, &a);
			send_to(f->fd, a.buf, a.len, &from);
		}
	}
}

/* F_HOLD: send up to n of the held answers (oldest first). */
static unsigned fake_release(struct fake *f, unsigned n, unsigned from)
{
	unsigned i;
	for (i = from; i < f->n_held && i < from + n; i++)
		send_to(f->fd, f->held[i].buf, f->held[i].len, &f->held[i].to);
	return i;
}

/* ---- the client's side ---- */

struct outcome {
	unsigned calls;
	enum rad_result res;
	uint8_t code;
	unsigned server;
	uint32_t framed_ip;
	unsigned *ended;                /* a counter shared by many */
};

static void on_done(void *arg, enum rad_result res, const uint8_t *ans, size_t len,
		    unsigned server)
{
	struct outcome *o = arg;
	o->calls++;
	o->res = res;
	o->server = server;
	o->code = 0;
	o->framed_ip = 0;
	if (o->ended)
		(*o->ended)++;
	if (res != RAD_RES_ANSWER) {
		CU_ASSERT_PTR_NULL(ans);
		return;
	}
	CU_ASSERT_FATAL(ans != NULL && len >= RAD_HDR_LEN);
	o->code = ans[0];
	size_t off = RAD_HDR_LEN;
	struct rad_attr a;
	while (rad_attr_next(ans, &off, &a) == 1)
		if (a.type == RAD_A_FRAMED_IP_ADDRESS)
			rad_val_ip4(&a, &o->framed_ip);
}

static struct rad_client *client(struct fake **f, unsigned n, uint32_t retries,
				 uint32_t deadtime_s)
{
	struct rad_client_cfg cfg = { .n_servers = n, .timeout_ms = TIMEOUT, .retries = retries,
				      .deadtime_s = deadtime_s, .bindaddr = "127.0.0.1",
				      .require_msg_auth = true };
	for (unsigned i = 0; i < n; i++)
		cfg.servers[i] = (struct rad_server_cfg){ .addr4 = LO, .port = f[i]->port,
							  .secret = SECRET };
	struct rad_client *c = rad_client_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

/* Serve, poll the client's sockets, run it (time standing still at now)
 * until *counter reaches target or 300 rounds pass. */
static void pump(struct rad_client *c, struct fake **f, unsigned nf, uint64_t now,
		 const unsigned *counter, unsigned target)
{
	for (int round = 0; round < 300 && *counter < target; round++) {
		for (unsigned i = 0; i < nf; i++)
			fake_serve(f[i]);
		struct pollfd fds[RAD_CLIENT_SERVERS_MAX * RAD_CLIENT_SOCKS];
		unsigned n = rad_client_pollfds(c, fds, sizeof(fds) / sizeof(fds[0]));
		poll(fds, n, 10);
		rad_client_run(c, now);
	}
}

static const uint8_t user_attrs[] = { RAD_A_USER_NAME, 7, 'c', 'l', 'i', 'e', 'n' };

static int ask(struct rad_client *c, uint8_t code, const char *pw, struct outcome *o,
	       uint64_t now)
{
	struct rad_request q = { .code = code, .attrs = user_attrs,
				 .attrs_len = sizeof(user_attrs), .password = pw };
	return rad_client_send(c, &q, on_done, o, now);
}

static void test_accept_reject_acct(void)
{
	struct fake s;
	fake_open(&s, F_ACCEPT);
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	struct outcome o = { 0 };

	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, "pw-1", &o, T0), 0);
	CU_ASSERT_EQUAL(rad_client_pending(c), 1);
	pump(c, f, 1, T0, &o.calls, 1);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.res, RAD_RES_ANSWER);
	CU_ASSERT_EQUAL(o.code, RAD_ACCESS_ACCEPT);
	CU_ASSERT_EQUAL(o.framed_ip, 0xc6120001u);
	CU_ASSERT_EQUAL(o.server, 0);
	CU_ASSERT_STRING_EQUAL(s.password, "pw-1");
	CU_ASSERT(s.last_msg_auth);             /* every Access-Request carries one */
	uint8_t l;
	const uint8_t *u = rad_attr_find(s.last, RAD_A_USER_NAME, &l);
	CU_ASSERT(u && l == 5 && memcmp(u, "clien", 5) == 0);
	CU_ASSERT_EQUAL(rad_client_pending(c), 0);

	s.mode = F_REJECT;
	o.calls = 0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o, T0 + 5), 0);
	pump(c, f, 1, T0 + 5, &o.calls, 1);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.res, RAD_RES_ANSWER);
	CU_ASSERT_EQUAL(o.code, RAD_ACCESS_REJECT);
	CU_ASSERT_PTR_NULL(rad_attr_find(s.last, RAD_A_USER_PASSWORD, &l));

	o.calls = 0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCOUNTING_REQUEST, NULL, &o, T0 + 10), 0);
	pump(c, f, 1, T0 + 17, &o.calls, 1);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.code, RAD_ACCOUNTING_RESPONSE);
	CU_ASSERT(!s.last_msg_auth);
	CU_ASSERT_EQUAL(s.bad, 0);

	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	CU_ASSERT_EQUAL(st.requests, 3);
	CU_ASSERT_EQUAL(st.accepts, 1);
	CU_ASSERT_EQUAL(st.rejects, 1);
	CU_ASSERT_EQUAL(st.acct_responses, 1);
	CU_ASSERT_EQUAL(st.retransmissions, 0);
	CU_ASSERT_EQUAL(st.timeouts, 0);
	CU_ASSERT_EQUAL(st.bad_answers, 0);
	CU_ASSERT_EQUAL(st.latency_us_max, 7000);  /* sent at T0+10, answered "at" T0+17 */
	CU_ASSERT_EQUAL(st.latency_us_sum, 7000);
	CU_ASSERT(!st.dead);
	char name[32];
	snprintf(name, sizeof(name), "127.0.0.1:%u", s.port);   /* no name given */
	CU_ASSERT_STRING_EQUAL(rad_client_server_name(c, 0), name);

	/* requests the client refuses */
	struct rad_request bad = { .code = RAD_ACCESS_ACCEPT };
	errno = 0;
	CU_ASSERT_EQUAL(rad_client_send(c, &bad, on_done, &o, T0), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	static const uint8_t broken[] = { RAD_A_USER_NAME, 9, 'x' };
	struct rad_request b2 = { .code = RAD_ACCESS_REQUEST, .attrs = broken, .attrs_len = 3 };
	CU_ASSERT_EQUAL(rad_client_send(c, &b2, on_done, &o, T0), -1);
	char pw[130];
	memset(pw, 'p', 129);
	pw[129] = '\0';
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, pw, &o, T0), -1);
	/* 4060 octets of attributes: an Accounting-Request (4080) fits, an
	 * Access-Request does not with its Message-Authenticator (4098) */
	static uint8_t big[4060];
	for (unsigned i = 0; i < 16; i++) {
		big[i * 255] = RAD_A_CLASS;
		big[i * 255 + 1] = i < 15 ? 255 : 235;
	}
	struct rad_request b3 = { .code = RAD_ACCESS_REQUEST, .attrs = big, .attrs_len = 4060 };
	CU_ASSERT_EQUAL(rad_client_send(c, &b3, on_done, &o, T0), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(rad_client_pending(c), 0);
	b3.code = RAD_ACCOUNTING_REQUEST;
	o.calls = 0;
	CU_ASSERT_EQUAL(rad_client_send(c, &b3, on_done, &o, T0 + 20), 0);
	pump(c, f, 1, T0 + 20, &o.calls, 1);
	CU_ASSERT_EQUAL(o.code, RAD_ACCOUNTING_RESPONSE);
	CU_ASSERT_EQUAL(s.last_len, 4080);
	CU_ASSERT_EQUAL(rad_client_pending(c), 0);

	rad_client_destroy(c);
	fake_close(&s);
}

/* The first send is lost: the same bytes again after the timeout. */
static void test_retransmit(void)
{
	struct fake s;
	fake_open(&s, F_ACCEPT);
	s.drop = 1;
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	struct outcome o = { 0 };

	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, "x", &o, T0), 0);
	pump(c, f, 1, T0, &s.got, 1);
	CU_ASSERT_EQUAL_FATAL(s.got, 1);
	CU_ASSERT_EQUAL(rad_client_next_ms(c, T0), TIMEOUT);
	CU_ASSERT_EQUAL(rad_client_next_ms(c, T0 + 400), TIMEOUT - 400);
	rad_client_run(c, T0 + TIMEOUT - 1);    /* not yet */
	fake_serve(&s);
	CU_ASSERT_EQUAL(s.got, 1);
	CU_ASSERT_EQUAL(o.calls, 0);

	pump(c, f, 1, T0 + TIMEOUT, &o.calls, 1);
	CU_ASSERT_EQUAL(s.got, 2);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.code, RAD_ACCESS_ACCEPT);
	/* the same identifier, authenticator, everything */
	CU_ASSERT_EQUAL(s.last_len, s.first_len);
	CU_ASSERT(memcmp(s.last, s.first, s.first_len) == 0);
	CU_ASSERT_EQUAL(rad_client_next_ms(c, T0 + TIMEOUT), -1);

	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	CU_ASSERT_EQUAL(st.requests, 1);
	CU_ASSERT_EQUAL(st.retransmissions, 1);
	CU_ASSERT_EQUAL(st.accepts, 1);
	CU_ASSERT_EQUAL(st.latency_us_max, TIMEOUT * 1000);  /* from the first send */
	rad_client_destroy(c);
	fake_close(&s);
}

/* Server 0 silent, server 1 answers: failover after `retries` sends, then
 * server 0 skipped for its deadtime, then tried again. */
static void test_failover_deadtime(void)
{
	struct fake s0, s1;
	fake_open(&s0, F_SILENT);
	fake_open(&s1, F_ACCEPT);
	struct fake *f[] = { &s0, &s1 };
	struct rad_client *c = client(f, 2, 2, 30);
	struct outcome o = { 0 };
	uint64_t t = T0;

	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o, t), 0);
	pump(c, f, 2, t, &s0.got, 1);
	t += TIMEOUT;
	pump(c, f, 2, t, &s0.got, 2);           /* the retransmission */
	CU_ASSERT_EQUAL(s0.got, 2);
	CU_ASSERT_EQUAL(s1.got, 0);
	CU_ASSERT_EQUAL(o.calls, 0);
	t += TIMEOUT;
	pump(c, f, 2, t, &o.calls, 1);          /* gives up on 0, 1 answers */
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.res, RAD_RES_ANSWER);
	CU_ASSERT_EQUAL(o.server, 1);
	CU_ASSERT_EQUAL(s0.got, 2);
	CU_ASSERT_EQUAL(s1.got, 1);
	/* a fresh authenticator for the new server */
	CU_ASSERT(memcmp(s1.last + 4, s0.first + 4, RAD_AUTH_LEN) != 0);

	struct rad_server_stats st0, st1;
	rad_client_stats(c, 0, &st0);
	rad_client_stats(c, 1, &st1);
	CU_ASSERT_EQUAL(st0.requests, 1);
	CU_ASSERT_EQUAL(st0.retransmissions, 1);
	CU_ASSERT_EQUAL(st0.timeouts, 1);
	CU_ASSERT(st0.dead);
	CU_ASSERT_EQUAL(st1.requests, 1);
	CU_ASSERT_EQUAL(st1.accepts, 1);
	CU_ASSERT_EQUAL(st1.timeouts, 0);
	CU_ASSERT(!st1.dead);

	/* within the deadtime: straight to server 1 */
	t += 1000;
	o.calls = 0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o, t), 0);
	pump(c, f, 2, t, &o.calls, 1);
	CU_ASSERT_EQUAL(o.server, 1);
	CU_ASSERT_EQUAL(s0.got, 2);
	CU_ASSERT_EQUAL(s1.got, 2);

	/* after it: server 0 first again (and it answers now) */
	t = T0 + 2 * TIMEOUT + 30 * 1000;
	rad_client_run(c, t);
	rad_client_stats(c, 0, &st0);
	CU_ASSERT(!st0.dead);
	s0.mode = F_ACCEPT;
	o.calls = 0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o, t), 0);
	pump(c, f, 2, t, &o.calls, 1);
	CU_ASSERT_EQUAL(o.server, 0);
	CU_ASSERT_EQUAL(s0.got, 3);
	CU_ASSERT_EQUAL(s1.got, 2);
	rad_client_stats(c, 0, &st0);
	CU_ASSERT_EQUAL(st0.accepts, 1);
	rad_client_destroy(c);
	fake_close(&s0);
	fake_close(&s1);
}

/* Nobody answers: RAD_RES_TIMEOUT after retries sends to each server. */
static void test_all_silent(void)
{
	struct fake s0, s1;
	fake_open(&s0, F_SILENT);
	fake_open(&s1, F_SILENT);
	struct fake *f[] = { &s0, &s1 };
	struct rad_client *c = client(f, 2, 3, 0);
	struct outcome o = { 0 };
	uint64_t t = T0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCOUNTING_REQUEST, NULL, &o, t), 0);
	unsigned sends = 1;
	pump(c, f, 2, t, &s0.got, 1);
	for (unsigned i = 1; i < 6; i++) {
		t += TIMEOUT;
		sends++;
		unsigned want0 = sends <= 3 ? sends : 3, want1 = sends <= 3 ? 0 : sends - 3;
		pump(c, f, 2, t, want1 ? &s1.got : &s0.got, want1 ? want1 : want0);
		CU_ASSERT_EQUAL(s0.got, want0);
		CU_ASSERT_EQUAL(s1.got, want1);
		CU_ASSERT_EQUAL(o.calls, 0);
	}
	t += TIMEOUT;
	CU_ASSERT_EQUAL(rad_client_run(c, t), 1);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.res, RAD_RES_TIMEOUT);
	CU_ASSERT_EQUAL(o.server, 1);
	fake_serve(&s0);
	fake_serve(&s1);
	CU_ASSERT_EQUAL(s0.got + s1.got, 6);
	CU_ASSERT_EQUAL(rad_client_pending(c), 0);
	CU_ASSERT_EQUAL(rad_client_next_ms(c, t), -1);
	struct rad_server_stats st;
	for (unsigned i = 0; i < 2; i++) {
		rad_client_stats(c, i, &st);
		CU_ASSERT_EQUAL(st.requests, 1);
		CU_ASSERT_EQUAL(st.retransmissions, 2);
		CU_ASSERT_EQUAL(st.timeouts, 1);
		CU_ASSERT(!st.dead);            /* deadtime 0: never dead */
	}
	rad_client_destroy(c);
	fake_close(&s0);
	fake_close(&s1);
}

/* Answers signed with another secret, from another port, or a second
 * time: counted, ignored; the request ends once, with the real one. */
static void test_forged(void)
{
	struct fake s;
	fake_open(&s, F_FORGE);
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	struct outcome o = { 0 };
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o, T0), 0);
	pump(c, f, 1, T0, &o.calls, 1);
	for (int i = 0; i < 5; i++) {           /* the late duplicate */
		struct pollfd fds[RAD_CLIENT_SOCKS];
		poll(fds, rad_client_pollfds(c, fds, RAD_CLIENT_SOCKS), 10);
		rad_client_run(c, T0);
	}
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(o.code, RAD_ACCESS_ACCEPT);
	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	CU_ASSERT_EQUAL(st.bad_answers, 3);
	CU_ASSERT_EQUAL(st.accepts, 1);
	rad_client_destroy(c);
	fake_close(&s);
}

/* 600 requests in flight at once: three sockets' worth of identifiers;
 * every request answered exactly once. */
#define MANY 600
static void test_many_in_flight(void)
{
	struct fake s;
	fake_open(&s, F_HOLD);
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	static struct outcome o[MANY];
	unsigned ended = 0;
	memset(o, 0, sizeof(o));
	for (unsigned i = 0; i < MANY; i++) {
		o[i].ended = &ended;
		CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &o[i], T0), 0);
	}
	pump(c, f, 1, T0, &s.got, MANY);
	CU_ASSERT_EQUAL_FATAL(s.got, MANY);
	CU_ASSERT_EQUAL(rad_client_pending(c), MANY);
	struct pollfd fds[RAD_CLIENT_SOCKS];
	CU_ASSERT_EQUAL(rad_client_pollfds(c, fds, RAD_CLIENT_SOCKS), 3);
	/* every (source port, identifier) once */
	static uint8_t seen[3][256];
	uint16_t ports[3] = { 0 };
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < s.n_held; i++) {
		uint16_t p = ntohs(s.held[i].to.sin_port);
		unsigned k = 0;
		while (k < 3 && ports[k] && ports[k] != p)
			k++;
		CU_ASSERT_FATAL(k < 3);
		ports[k] = p;
		seen[k][s.held[i].buf[1]]++;
	}
	unsigned twice = 0;
	for (unsigned k = 0; k < 3; k++)
		for (unsigned id = 0; id < 256; id++)
			twice += seen[k][id] > 1;
	CU_ASSERT_EQUAL(twice, 0);

	unsigned sent = 0;
	for (int round = 0; round < 400 && ended < MANY; round++) {
		if (sent < s.n_held)
			sent = fake_release(&s, 64, sent);
		poll(fds, 3, 10);
		rad_client_run(c, T0);
	}
	CU_ASSERT_EQUAL(ended, MANY);
	unsigned once = 0;
	for (unsigned i = 0; i < MANY; i++)
		once += o[i].calls == 1 && o[i].res == RAD_RES_ANSWER;
	CU_ASSERT_EQUAL(once, MANY);
	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	CU_ASSERT_EQUAL(st.accepts, MANY);
	CU_ASSERT_EQUAL(st.requests, MANY);
	CU_ASSERT_EQUAL(st.bad_answers, 0);
	CU_ASSERT_EQUAL(st.retransmissions, 0);
	rad_client_destroy(c);
	fake_close(&s);
}

/* RAD_CLIENT_QUEUE_MAX held: the next is refused with ENOBUFS; all
 * held end (RAD_RES_ERROR) once when the client goes. */
static void test_queue_full(void)
{
	struct fake s;
	fake_open(&s, F_SILENT);
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	unsigned ended = 0;
	struct outcome *o = calloc(RAD_CLIENT_QUEUE_MAX, sizeof(*o));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	unsigned ok = 0;
	for (unsigned i = 0; i < RAD_CLIENT_QUEUE_MAX; i++) {
		o[i].ended = &ended;
		ok += ask(c, RAD_ACCESS_REQUEST, NULL, &o[i], T0) == 0;
	}
	CU_ASSERT_EQUAL(ok, RAD_CLIENT_QUEUE_MAX);
	struct outcome x = { 0 };
	errno = 0;
	CU_ASSERT_EQUAL(ask(c, RAD_ACCESS_REQUEST, NULL, &x, T0), -1);
	CU_ASSERT_EQUAL(errno, ENOBUFS);
	CU_ASSERT_EQUAL(rad_client_pending(c), RAD_CLIENT_QUEUE_MAX);
	struct pollfd fds[RAD_CLIENT_SOCKS];
	CU_ASSERT_EQUAL(rad_client_pollfds(c, fds, RAD_CLIENT_SOCKS), RAD_CLIENT_SOCKS);
	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	CU_ASSERT_EQUAL(st.requests, RAD_CLIENT_SOCKS * 256);  /* the rest wait */
	rad_client_destroy(c);
	CU_ASSERT_EQUAL(ended, RAD_CLIENT_QUEUE_MAX);
	unsigned once = 0;
	for (unsigned i = 0; i < RAD_CLIENT_QUEUE_MAX; i++)
		once += o[i].calls == 1 && o[i].res == RAD_RES_ERROR;
	CU_ASSERT_EQUAL(once, RAD_CLIENT_QUEUE_MAX);
	CU_ASSERT_EQUAL(x.calls, 0);
	free(o);
	fake_close(&s);
}

/* Waiting requests go out, in order, as identifiers come free. */
static void test_waiting_order(void)
{
	struct fake s;
	fake_open(&s, F_HOLD);
	struct fake *f[] = { &s };
	struct rad_client *c = client(f, 1, 3, 0);
	enum { N = RAD_CLIENT_SOCKS * 256 + 3 };
	static struct outcome o[N];
	unsigned ended = 0;
	memset(o, 0, sizeof(o));
	for (unsigned i = 0; i < N; i++) {
		o[i].ended = &ended;
		CU_ASSERT_EQUAL(ask(c, RAD_ACCOUNTING_REQUEST, NULL, &o[i], T0), 0);
	}
	pump(c, f, 1, T0, &s.got, N - 3);
	CU_ASSERT_EQUAL(s.got, N - 3);
	/* one answer frees one identifier: the first waiting one goes */
	fake_release(&s, 1, 0);
	pump(c, f, 1, T0, &s.got, N - 2);
	CU_ASSERT_EQUAL(ended, 1);
	CU_ASSERT_EQUAL(s.got, N - 2);
	CU_ASSERT_EQUAL(o[0].calls, 1);
	/* the rest */
	unsigned sent = 1;
	for (int round = 0; round < 600 && ended < N; round++) {
		fake_serve(&s);
		sent = fake_release(&s, 64, sent);
		struct pollfd fds[RAD_CLIENT_SOCKS];
		poll(fds, rad_client_pollfds(c, fds, RAD_CLIENT_SOCKS), 10);
		rad_client_run(c, T0);
	}
	CU_ASSERT_EQUAL(ended, N);
	CU_ASSERT_EQUAL(s.got, N);
	unsigned once = 0;
	for (unsigned i = 0; i < N; i++)
		once += o[i].calls == 1 && o[i].code == RAD_ACCOUNTING_RESPONSE;
	CU_ASSERT_EQUAL(once, N);
	rad_client_destroy(c);
	fake_close(&s);
}

static void test_create_refuses(void)
{
	struct rad_client_cfg cfg = { .n_servers = 0, .timeout_ms = 1000, .retries = 3 };
	errno = 0;
	CU_ASSERT_PTR_NULL(rad_client_create(&cfg));
	CU_ASSERT_EQUAL(errno, EINVAL);
	cfg.n_servers = 1;
	cfg.servers[0] = (struct rad_server_cfg){ .addr4 = LO, .port = 1812, .secret = SECRET };
	cfg.retries = 0;
	CU_ASSERT_PTR_NULL(rad_client_create(&cfg));
	cfg.retries = 3;
	cfg.servers[0].secret = "";
	CU_ASSERT_PTR_NULL(rad_client_create(&cfg));
	cfg.servers[0].secret = SECRET;
	cfg.bindaddr = "not-an-address";
	CU_ASSERT_PTR_NULL(rad_client_create(&cfg));
	cfg.bindaddr = "::1";                   /* a v6 source for a v4 server */
	CU_ASSERT_PTR_NULL(rad_client_create(&cfg));
	cfg.bindaddr = "*";
	cfg.servers[0].name = "primary";
	struct rad_client *c = rad_client_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(rad_client_n_servers(c), 1);
	CU_ASSERT_STRING_EQUAL(rad_client_server_name(c, 0), "primary");
	CU_ASSERT_PTR_NULL(rad_client_server_name(c, 1));
	CU_ASSERT_EQUAL(rad_client_next_ms(c, T0), -1);
	rad_client_destroy(c);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("rad_client", NULL, NULL);
	CU_add_test(s, "accept, reject, accounting", test_accept_reject_acct);
	CU_add_test(s, "retransmission", test_retransmit);
	CU_add_test(s, "failover and deadtime", test_failover_deadtime);
	CU_add_test(s, "all servers silent", test_all_silent);
	CU_add_test(s, "forged answers", test_forged);
	CU_add_test(s, "more than 256 in flight", test_many_in_flight);
	CU_add_test(s, "queue full", test_queue_full);
	CU_add_test(s, "waiting order", test_waiting_order);
	CU_add_test(s, "create refuses", test_create_refuses);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
