/* The peer link's HTTP/1.1 client (ha_http.c) against a small HTTP server
 * thread on the loopback, told per test how to misbehave: keep-alive
 * reuse, pipelining answered in order, a server that closes between
 * requests or before answering, a truncated, an oversized, a chunked and
 * a malformed answer, no answer at all, Basic authentication, IPv6. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/Basic.h>
#include "ha_http.h"

enum mode {
	M_ECHO,            /* answer each request "[{"result":0,"text":"<n>"}]", keep open */
	M_CLOSE_AFTER,     /* answer, then close (no Connection: close header) */
	M_CONN_CLOSE,      /* answer with "Connection: close", then close */
	M_PIPE2,           /* answer nothing before two requests are in, then both */
	M_NO_ANSWER_CLOSE, /* read the request, close without a byte */
	M_TRUNCATE,        /* Content-Length 100, 10 bytes, close */
	M_OVERSIZE,        /* Content-Length 1000000 */
	M_CHUNKED,         /* Transfer-Encoding: chunked */
	M_BAD_STATUS,      /* not an HTTP status line */
	M_SILENT,          /* read, never answer */
	M_DRIBBLE,         /* the answer in 5-byte pieces */
};

struct srv {
	int lfd, family;
	uint16_t port;
	pthread_t th;
	int stop;
	enum mode mode;
	int accepts, requests;
	char last[4096];                   /* the last request's head and body */
};

static struct srv S;

static int sendall(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sendstr(int fd, const char *s)
{
	return sendall(fd, s, strlen(s));
}

static int answer(int fd, int n, const char *extra)
{
	char body[64], msg[256];

	snprintf(body, sizeof(body), "[{\"result\":0,\"text\":\"%d\"}]", n);
	snprintf(msg, sizeof(msg), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nContent-Type: "
		 "application/json\r\n%s\r\n%s", strlen(body), extra, body);
	if (S.mode == M_DRIBBLE) {
		size_t i, l = strlen(msg);

		for (i = 0; i < l; i += 5) {
			if (sendall(fd, msg + i, l - i < 5 ? l - i : 5))
				return -1;
			usleep(500);
		}
		return 0;
	}
	return sendall(fd, msg, strlen(msg));
}

/* One complete request at the start of buf: its length, 0 if incomplete. */
static size_t request_len(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *cl;
	size_t hl;

	if (!end)
		return 0;
	hl = (size_t)(end - buf) + 4;
	cl = memmem(buf, hl, "Content-Length: ", 16);
	if (!cl)
		return hl;
	hl += strtoul(cl + 16, NULL, 10);
	return len >= hl ? hl : 0;
}

/* Serve one connection; returns when it is closed (by either side). */
static void serve(int fd)
{
	char buf[65536];
	size_t len = 0, rl;
	int held = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE))
			break;
		if (poll(&p, 1, 50) <= 0)
			continue;
		got = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		if (got <= 0)
			break;
		len += (size_t)got;
		while ((rl = request_len(buf, len)) > 0) {
			int n = __atomic_add_fetch(&S.requests, 1, __ATOMIC_ACQ_REL);
			static const char pad[] = "0123456789";

			memcpy(S.last, buf, rl < sizeof(S.last) - 1 ? rl : sizeof(S.last) - 1);
			S.last[rl < sizeof(S.last) - 1 ? rl : sizeof(S.last) - 1] = '\0';
			memmove(buf, buf + rl, len - rl);
			len -= rl;
			switch (S.mode) {
			case M_ECHO:
			case M_DRIBBLE:
				answer(fd, n, "");
				break;
			case M_CLOSE_AFTER:
				answer(fd, n, "");
				goto out;
			case M_CONN_CLOSE:
				/* closed gracefully: what the client sent behind
				 * is read and dropped, so no reset */
				answer(fd, n, "Connection: close\r\n");
				shutdown(fd, SHUT_WR);
				while (!__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE)) {
					struct pollfd q = { .fd = fd, .events = POLLIN };

					if (poll(&q, 1, 50) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
						break;
				}
				goto out;
			case M_PIPE2:
				if (++held == 2) {
					answer(fd, n - 1, "");
					answer(fd, n, "");
					held = 0;
				}
				break;
			case M_NO_ANSWER_CLOSE:
				goto out;
			case M_TRUNCATE:
				sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
				sendall(fd, pad, 10);
				goto out;
			case M_OVERSIZE:
				sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n[");
				break;
			case M_CHUNKED:
				sendstr(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					"2\r\n[]\r\n0\r\n\r\n");
				break;
			case M_BAD_STATUS:
				sendstr(fd, "HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]");
				break;
			case M_SILENT:
				break;
			}
		}
	}
out:
	close(fd);
}

static void *srv_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = S.lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(S.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		__atomic_add_fetch(&S.accepts, 1, __ATOMIC_ACQ_REL);
		serve(fd);
	}
	return NULL;
}

/* A server on 127.0.0.1 (or ::1) in `mode`; 0, or -1 when the family
 * cannot be had here. */
static int srv_start(enum mode mode, int family)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	memset(&S, 0, sizeof(S));
	memset(&ss, 0, sizeof(ss));
	S.mode = mode;
	S.family = family;
	S.lfd = socket(family, SOCK_STREAM, 0);
	if (S.lfd < 0)
		return -1;
	setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	}
	if (bind(S.lfd, (struct sockaddr *)&ss, sl) || listen(S.lfd, 8) ||
	    getsockname(S.lfd, (struct sockaddr *)&ss, &sl)) {
		close(S.lfd);
		return -1;
	}
	S.port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
		       ((struct sockaddr_in6 *)&ss)->sin6_port);
	return pthread_create(&S.th, NULL, srv_main, NULL) ? -1 : 0;
}

static void srv_stop(void)
{
	__atomic_store_n(&S.stop, 1, __ATOMIC_RELEASE);
	pthread_join(S.th, NULL);
	close(S.lfd);
}

static struct ha_http_conn *client(unsigned pipeline, unsigned timeout_ms, size_t max_body,
				   const char *user, const char *pass)
{
	struct ha_http_params p = {
		.host = S.family == AF_INET6 ? "::1" : "127.0.0.1",
		.port = S.port,
		.user = user,
		.password = pass,
		.connect_timeout_ms = 2000,
		.response_timeout_ms = timeout_ms ? timeout_ms : 5000,
		.max_body = max_body,
		.max_pipeline = pipeline,
	};

	return ha_http_conn_new(&p);
}

static const char body[] = "{\"command\":\"ha-heartbeat\",\"service\":[\"dhcp4\"]}";

/* One exchange; r->body freed by the caller. */
static int xchg(struct ha_http_conn *c, struct ha_http_result *r)
{
	return ha_http_conn_exchange(c, body, strlen(body), r);
}

static void expect_text(const struct ha_http_result *r, int n)
{
	char want[64];

	snprintf(want, sizeof(want), "[{\"result\":0,\"text\":\"%d\"}]", n);
	CU_ASSERT_EQUAL(r->err, 0);
	CU_ASSERT_EQUAL(r->status, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->body);
	CU_ASSERT_STRING_EQUAL(r->body, want);
	CU_ASSERT_EQUAL(r->body_len, strlen(want));
}

/* Drive c until n results are in, into out[0..n) (poll, process, take). */
static void collect(struct ha_http_conn *c, struct ha_http_result *out, int n)
{
	int got = 0;

	while (got < n) {
		struct pollfd p = { .fd = -1 };

		p.fd = ha_http_conn_pollfd(c, &p.events);
		CU_ASSERT_TRUE_FATAL(p.fd >= 0 || ha_http_conn_timeout(c) >= 0);
		if (p.fd >= 0)
			poll(&p, 1, ha_http_conn_timeout(c));
		ha_http_conn_process(c, p.fd >= 0 ? p.revents : 0);
		while (got < n && ha_http_conn_result(c, &out[got]))
			got++;
	}
}

/* ---- tests --------------------------------------------------------------- */

static void test_keepalive(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;
	int i;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_ECHO, AF_INET), 0);
	c = client(1, 0, 0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
		expect_text(&r, i);
		CU_ASSERT_EQUAL(r.id, (uint64_t)i);
		free(r.body);
	}
	/* three answers, one connection */
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 1);
	CU_ASSERT_EQUAL(__atomic_load_n(&S.accepts, __ATOMIC_ACQUIRE), 1);
	/* the request as Kea writes it: POST /, Host, Content-Length, JSON */
	CU_ASSERT_EQUAL(strncmp(S.last, "POST / HTTP/1.1\r\n", 17), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\nHost: 127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\nContent-Type: application/json\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\nContent-Length: 46\r\n"));
	CU_ASSERT_PTR_NULL(strcasestr(S.last, "Authorization"));
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\n\r\n{\"command\":\"ha-heartbeat\""));
	ha_http_conn_free(c);
	srv_stop();
}

static void test_basic_auth(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_ECHO, AF_INET), 0);
	c = client(1, 0, 0, "user", "pass");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	expect_text(&r, 1);
	free(r.body);
	/* base64("user:pass") */
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
	ha_http_conn_free(c);
	srv_stop();
	/* a user name with ':' cannot be sent in Basic authentication */
	{
		struct ha_http_params p = { .host = "127.0.0.1", .port = 1, .user = "a:b" };

		CU_ASSERT_PTR_NULL(ha_http_conn_new(&p));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
}

/* Two requests written before either is answered (the server holds the
 * first answer until the second request is in), answers in order. */
static void test_pipelined(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r[2];
	int64_t id1, id2;
	int n;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_PIPE2, AF_INET), 0);
	c = client(2, 0, 0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	id1 = ha_http_conn_send(c, body, strlen(body));
	id2 = ha_http_conn_send(c, body, strlen(body));
	CU_ASSERT_TRUE(id1 > 0 && id2 > id1);
	CU_ASSERT_EQUAL(ha_http_conn_send(c, body, strlen(body)), -EBUSY);
	collect(c, r, 2);
	for (n = 0; n < 2; n++) {
		CU_ASSERT_EQUAL(r[n].id, (uint64_t)(n == 0 ? id1 : id2));
		expect_text(&r[n], n + 1);
		free(r[n].body);
	}
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 1);
	CU_ASSERT_EQUAL(ha_http_conn_pending(c), 0);
	ha_http_conn_free(c);
	srv_stop();

	/* without pipelining asked for, a second request waits its turn */
	CU_ASSERT_EQUAL_FATAL(srv_start(M_ECHO, AF_INET), 0);
	c = client(0, 0, 0, NULL, NULL);
	CU_ASSERT_TRUE(ha_http_conn_send(c, body, strlen(body)) > 0);
	CU_ASSERT_EQUAL(ha_http_conn_send(c, body, strlen(body)), -EBUSY);
	ha_http_conn_free(c);
	srv_stop();
}

/* A server that closes after each answer: the next request goes on a new
 * connection and succeeds. */
static void test_reconnect(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_CLOSE_AFTER, AF_INET), 0);
	c = client(1, 0, 0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	expect_text(&r, 1);
	free(r.body);
	usleep(20000);                        /* let the close arrive (either way works) */
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	expect_text(&r, 2);
	free(r.body);
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 2);
	CU_ASSERT_EQUAL(__atomic_load_n(&S.requests, __ATOMIC_ACQUIRE), 2);
	ha_http_conn_free(c);
	srv_stop();

	/* "Connection: close" with a second request already written behind
	 * it: that one goes again on a new connection */
	CU_ASSERT_EQUAL_FATAL(srv_start(M_CONN_CLOSE, AF_INET), 0);
	c = client(2, 0, 0, NULL, NULL);
	CU_ASSERT_TRUE(ha_http_conn_send(c, body, strlen(body)) > 0);
	CU_ASSERT_TRUE(ha_http_conn_send(c, body, strlen(body)) > 0);
	{
		struct ha_http_result two[2];
		int i;

		collect(c, two, 2);
		for (i = 0; i < 2; i++) {
			expect_text(&two[i], i + 1);
			free(two[i].body);
		}
	}
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 2);
	ha_http_conn_free(c);
	srv_stop();
}

/* A server that takes the request and closes: written twice, then failed. */
static void test_closed_before_answer(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_NO_ANSWER_CLOSE, AF_INET), 0);
	c = client(1, 0, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	CU_ASSERT_EQUAL(r.err, -ECONNRESET);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_PTR_NULL(r.body);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "closed"));
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 2);
	ha_http_conn_free(c);
	srv_stop();
}

/* Answers that fail the exchange with a reason, and the connection is
 * usable again afterwards (a new one). */
static void expect_failure(enum mode mode, size_t max_body, unsigned timeout_ms, int err,
			   const char *word)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	CU_ASSERT_EQUAL_FATAL(srv_start(mode, AF_INET), 0);
	c = client(1, timeout_ms, max_body, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	CU_ASSERT_EQUAL(r.err, err);
	CU_ASSERT_PTR_NULL(r.body);
	if (!strstr(r.reason, word))
		fprintf(stderr, "\nreason \"%s\" lacks \"%s\"\n", r.reason, word);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, word));
	CU_ASSERT_EQUAL(ha_http_conn_pending(c), 0);
	CU_ASSERT_EQUAL(ha_http_conn_pollfd(c, &(short){ 0 }), -1);   /* closed */
	/* the next one connects again (and fails the same way) */
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	CU_ASSERT_EQUAL(r.err, err);
	CU_ASSERT_EQUAL(ha_http_conn_connects(c), 2);
	ha_http_conn_free(c);
	srv_stop();
}

static void test_truncated(void)
{
	expect_failure(M_TRUNCATE, 0, 0, -EPROTO, "middle of an answer");
}

static void test_oversized(void)
{
	expect_failure(M_OVERSIZE, 1000, 0, -EMSGSIZE, "over the limit");
}

static void test_chunked(void)
{
	expect_failure(M_CHUNKED, 0, 0, -EPROTO, "Transfer-Encoding");
}

static void test_bad_status(void)
{
	expect_failure(M_BAD_STATUS, 0, 0, -EPROTO, "status line");
}

static void test_timeout(void)
{
	expect_failure(M_SILENT, 0, 200, -ETIMEDOUT, "no answer within 200 ms");
}

static void test_dribble(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	CU_ASSERT_EQUAL_FATAL(srv_start(M_DRIBBLE, AF_INET), 0);
	c = client(1, 0, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	expect_text(&r, 1);
	free(r.body);
	ha_http_conn_free(c);
	srv_stop();
}

static void test_refused(void)
{
	struct ha_http_params p = { .host = "127.0.0.1", .response_timeout_ms = 2000 };
	struct ha_http_conn *c;
	struct ha_http_result r;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a port that was just free: bound, never listened on */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	p.port = ntohs(sa.sin_port);
	c = ha_http_conn_new(&p);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	CU_ASSERT_EQUAL(r.err, -ECONNREFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "connect"));
	ha_http_conn_free(c);
	close(fd);

	/* hosts that are no address literal */
	p.host = "peer.example";
	CU_ASSERT_PTR_NULL(ha_http_conn_new(&p));
	p.host = "127.0.0.1";
	p.port = 0;
	CU_ASSERT_PTR_NULL(ha_http_conn_new(&p));
}

static void test_ipv6(void)
{
	struct ha_http_conn *c;
	struct ha_http_result r;

	if (srv_start(M_ECHO, AF_INET6)) {
		fprintf(stderr, "(no ::1 here, skipped) ");
		return;
	}
	c = client(1, 0, 0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(xchg(c, &r), 0);
	expect_text(&r, 1);
	free(r.body);
	CU_ASSERT_PTR_NOT_NULL(strstr(S.last, "\r\nHost: [::1]:"));
	ha_http_conn_free(c);
	srv_stop();
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_http", NULL, NULL);
	CU_add_test(s, "keep-alive reuse", test_keepalive);
	CU_add_test(s, "basic auth", test_basic_auth);
	CU_add_test(s, "pipelined, answered in order", test_pipelined);
	CU_add_test(s, "reconnect after the server closed", test_reconnect);
	CU_add_test(s, "closed before the answer", test_closed_before_answer);
	CU_add_test(s, "truncated answer", test_truncated);
	CU_add_test(s, "oversized answer", test_oversized);
	CU_add_test(s, "chunked answer refused", test_chunked);
	CU_add_test(s, "malformed status line", test_bad_status);
	CU_add_test(s, "no answer: timeout", test_timeout);
	CU_add_test(s, "answer in small pieces", test_dribble);
	CU_add_test(s, "refused connection, bad hosts", test_refused);
	CU_add_test(s, "IPv6", test_ipv6);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
