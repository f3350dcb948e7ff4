/* ctl unit test: a real control channel on a temporary unix socket and an
 * HTTP port on 127.0.0.1, driven with raw sockets (no client library in the
 * way), plus peregrinectl run as a subprocess against it. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <CUnit/Basic.h>
#include "ctl.h"

#define IDLE_MS 500
#define MAX_REQ 4096
#define METRICS_TEXT "# TYPE pkt4_received counter\npkt4_received 42\n"

static char tmpdir[64];
static mode_t test_umask;
static char sock_path[128];
static struct ctl *ctl;
static uint16_t http_port;

static atomic_int in_handler, max_in_handler, slow_calls, echo_calls;
static json_t *last_lease_args;
static int reload_calls;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- fake handlers ---- */

static int h_echo(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)ctx;
	echo_calls++;
	snprintf(text, len, "echo ok");
	*out = args ? json_deep_copy(args) : json_object();
	return CTL_SUCCESS;
}

static int h_fail(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)args;
	(void)ctx;
	*out = json_pack("{s:i}", "why", 7);   /* must be freed by the library */
	snprintf(text, len, "it failed");
	return CTL_ERROR;
}

static int h_badrc(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)args;
	(void)text;
	(void)len;
	(void)ctx;
	*out = json_object();
	return 42;
}

static int h_slow(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	int now = ++in_handler;

	(void)args;
	(void)out;
	(void)text;
	(void)len;
	(void)ctx;
	if (now > max_in_handler)
		max_in_handler = now;
	usleep(40 * 1000);
	slow_calls++;
	in_handler--;
	return CTL_SUCCESS;
}

static int h_stats(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)args;
	(void)text;
	(void)len;
	(void)ctx;
	*out = json_pack("{s:[[i,s]],s:[[i,s],[i,s]]}",
			 "pkt4-received", 42, "2024-01-01 00:00:00.000000",
			 "assigned-addresses", 7, "2024-01-01 00:00:00.000000",
			 5, "2023-12-31 00:00:00.000000");
	return CTL_SUCCESS;
}

static int h_leases(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)ctx;
	json_decref(last_lease_args);
	last_lease_args = args ? json_deep_copy(args) : json_null();
	snprintf(text, len, "1 IPv4 lease(s) found.");
	*out = json_pack("{s:[{s:s,s:s,s:s,s:i,s:i,s:i}]}", "leases",
			 "ip-address", "198.18.0.10", "hw-address", "02:00:00:00:00:01",
			 "client-id", "01:02:00:00:00:00:01", "cltt", 1700000000,
			 "valid-lft", 3600, "subnet-id", 2);
	return CTL_SUCCESS;
}

/* One prefix lease in Kea's lease6 JSON. */
static int h_leases6(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)ctx;
	json_decref(last_lease_args);
	last_lease_args = args ? json_deep_copy(args) : json_null();
	snprintf(text, len, "1 IPv6 lease(s) found.");
	*out = json_pack("{s:[{s:s,s:s,s:i,s:i,s:s,s:i,s:i,s:i}]}", "leases",
			 "ip-address", "2001:db8:8:100::", "type", "IA_PD", "prefix-len", 56,
			 "iaid", 7, "duid", "00:03:00:01:02:00:00:00:00:01", "cltt", 1700000000,
			 "valid-lft", 3600, "subnet-id", 1);
	return CTL_SUCCESS;
}

/* The request's service as the handler sees it (ctx: the ctl). */
static int h_service(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	const json_t *sv = ctl_request_service(ctx);

	(void)args;
	(void)text;
	(void)len;
	*out = sv ? json_deep_copy(sv) : json_null();
	return CTL_SUCCESS;
}

static int h_reload(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)args;
	(void)out;
	(void)ctx;
	reload_calls++;
	snprintf(text, len, "Configuration successful.");
	return CTL_SUCCESS;
}

static int metrics(FILE *f, void *ctx)
{
	(void)ctx;
	return fputs(METRICS_TEXT, f) < 0 ? -EIO : 0;
}

static struct ctl *make_ctl(const char *path, unsigned mode, const char *user,
			    const char *pass, int *rc)
{
	struct ctl_params p = {
		.unix_path = path, .unix_mode = mode,
		.http_addr = "127.0.0.1", .http_port = 0,
		.http_user = user, .http_password = pass,
		.max_request = MAX_REQ, .idle_timeout_ms = IDLE_MS,
	};
	struct ctl *c = ctl_create(&p);

	if (c == NULL)
		return NULL;
	ctl_register(c, "echo", h_echo, NULL);
	ctl_register(c, "fail", h_fail, NULL);
	ctl_register(c, "bad-rc", h_badrc, NULL);
	ctl_register(c, "slow", h_slow, NULL);
	ctl_register(c, "statistic-get-all", h_stats, NULL);
	ctl_register(c, "lease4-get-all", h_leases, NULL);
	ctl_register(c, "lease6-get-all", h_leases6, NULL);
	ctl_register(c, "service", h_service, c);
	ctl_register(c, "config-reload", h_reload, NULL);
	ctl_set_metrics(c, metrics, NULL);
	*rc = ctl_start(c);
	if (*rc < 0) {
		ctl_free(c);
		return NULL;
	}
	return c;
}

/* ---- raw clients ---- */

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read until EOF (or 5 s); returns the bytes, NUL terminated. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	uint64_t end = now_ms() + 5000;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (n + 1 >= cap)
			b = realloc(b, cap *= 2);
		if (now_ms() >= end || poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			break;
		r = read(fd, b + n, cap - n - 1);   /* sockets and pipes */
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static void send_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;   /* the server may already have answered */
		s += n;
		len -= (size_t)n;
	}
}

static json_t *unix_req_len(const char *path, const char *req, size_t len)
{
	int fd = unix_connect(path);
	json_t *j;
	char *out;

	if (fd < 0)
		return NULL;
	send_all(fd, req, len);
	out = read_all(fd, NULL);
	close(fd);
	j = json_loads(out, 0, NULL);
	free(out);
	return j;
}

static json_t *unix_req(const char *req)
{
	return unix_req_len(sock_path, req, strlen(req));
}

struct http_ans {
	int status;
	char head[2048];
	char *body;
};

static void http_raw(uint16_t port, const char *raw, size_t len, struct http_ans *a)
{
	int fd = tcp_connect(port);
	char *all, *sep;

	memset(a, 0, sizeof(*a));
	if (len == 0)
		len = strlen(raw);
	if (fd < 0)
		return;
	send_all(fd, raw, len);
	all = read_all(fd, NULL);
	close(fd);
	sscanf(all, "HTTP/1.%*d %d", &a->status);
	sep = strstr(all, "\r\n\r\n");
	if (sep != NULL) {
		snprintf(a->head, sizeof(a->head), "%.*s", (int)(sep - all), all);
		a->body = strdup(sep + 4);
	}
	free(all);
}

static void http_post(uint16_t port, const char *auth, const char *body, struct http_ans *a)
{
	char *raw;
	int n;

	n = asprintf(&raw, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		     "%s%s%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     auth ? "Authorization: Basic " : "", auth ? auth : "", auth ? "\r\n" : "",
		     strlen(body), body);
	CU_ASSERT_FATAL(n > 0);
	http_raw(port, raw, (size_t)n, a);
	free(raw);
}

static json_t *http_json(const char *body)
{
	struct http_ans a;
	json_t *j = NULL;

	http_post(http_port, NULL, body, &a);
	CU_ASSERT_EQUAL(a.status, 200);
	if (a.body)
		j = json_loads(a.body, 0, NULL);
	free(a.body);
	return j;
}

static int result_of(const json_t *a)
{
	json_t *r = json_object_get(a, "result");

	return json_is_integer(r) ? (int)json_integer_value(r) : -1;
}

static const char *text_of(const json_t *a)
{
	const char *t = json_string_value(json_object_get(a, "text"));

	return t ? t : "";
}

/* ---- tests ---- */

static void test_success_shape(void)
{
	static const char *reqs[] = {
		"{\"command\": \"echo\", \"arguments\": {\"a\": 1, \"s\": \"}{]\\\"[\"}}",
		"  \n{\"command\":\"echo\",\"arguments\":{\"a\":1,\"s\":\"}{]\\\"[\"}}  trailing",
	};

	for (int t = 0; t < 2; t++) {
		json_t *a = t == 0 ? unix_req(reqs[0]) : unix_req(reqs[1]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(result_of(a), 0);
		CU_ASSERT_STRING_EQUAL(text_of(a), "echo ok");
		CU_ASSERT_EQUAL(json_object_size(a), 3);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "a")), 1);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
			json_object_get(a, "arguments"), "s")), "}{]\"[");
		json_decref(a);
	}
	/* The same over HTTP, with a "service" key: Kea's CA answers a list. */
	json_t *a = http_json("{\"command\": \"echo\", \"arguments\": {\"a\": 1}}");

	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "a")), 1);
	json_decref(a);
	a = http_json("{\"command\": \"echo\", \"service\": [\"dhcp4\"], \"arguments\": {\"a\": 2}}");
	CU_ASSERT_TRUE(json_is_array(a) && json_array_size(a) == 1);
	CU_ASSERT_EQUAL(result_of(json_array_get(a, 0)), 0);
	json_decref(a);
	/* A handler's error result and arguments pass through; bad result codes
	 * become an internal error. */
	a = unix_req("{\"command\": \"fail\"}");
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_STRING_EQUAL(text_of(a), "it failed");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "why")), 7);
	json_decref(a);
	a = unix_req("{\"command\": \"bad-rc\"}");
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "internal error"));
	json_decref(a);
	/* ctl_execute runs the same path in-process. */
	a = ctl_execute(ctl, "{\"command\":\"echo\",\"arguments\":{\"a\":3}}", 38);
	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "a")), 3);
	json_decref(a);
}

/* Bytes dribbled in several writes still make one request. */
static void test_split_request(void)
{
	int fd = unix_connect(sock_path);
	char *out;
	json_t *a;

	CU_ASSERT_FATAL(fd >= 0);
	static const char *parts[] = {
		"{\"comm", "and\": \"echo\", \"arguments\": {\"x\": ", "[1, {\"y\": 2}]}}",
	};

	for (int i = 0; i < 3; i++) {
		send_all(fd, parts[i], strlen(parts[i]));
		usleep(30 * 1000);
	}
	out = read_all(fd, NULL);
	close(fd);
	a = json_loads(out, 0, NULL);
	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_TRUE(json_is_array(json_object_get(json_object_get(a, "arguments"), "x")));
	json_decref(a);
	free(out);
}

static void test_malformed(void)
{
	int before = echo_calls;
	json_t *a;

	a = unix_req("{\"command\": \"echo\",, }");
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "invalid JSON"));
	json_decref(a);
	/* Truncated, then EOF from the client (half close). */
	int fd = unix_connect(sock_path);
	char *out;

	send_all(fd, "{\"command\": \"ec", 15);
	shutdown(fd, SHUT_WR);
	out = read_all(fd, NULL);
	close(fd);
	a = json_loads(out, 0, NULL);
	free(out);
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "invalid JSON"));
	json_decref(a);
	a = unix_req("[1, 2]");
	CU_ASSERT_EQUAL(result_of(a), 1);
	json_decref(a);
	a = http_json("{\"command\": \"echo\" \"x\"}");
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "invalid JSON"));
	json_decref(a);
	a = http_json("{\"command\": \"echo\"} {}");   /* trailing garbage over HTTP */
	CU_ASSERT_EQUAL(result_of(a), 1);
	json_decref(a);
	CU_ASSERT_EQUAL(echo_calls, before);
}

static void test_oversized(void)
{
	char *big = malloc(MAX_REQ * 2 + 64);
	struct http_ans h;
	int n, before = echo_calls;
	json_t *a;

	/* Under the limit: served. */
	n = sprintf(big, "{\"command\": \"echo\", \"arguments\": {\"pad\": \"");
	memset(big + n, 'a', MAX_REQ - 100);
	strcpy(big + n + MAX_REQ - 100, "\"}}");
	a = unix_req(big);
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);
	/* Over it, never closing the object: refused, not waited for. */
	memset(big + n, 'a', MAX_REQ * 2);
	big[n + MAX_REQ * 2] = '\0';
	uint64_t t0 = now_ms();

	a = unix_req(big);
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "larger than 4096"));
	CU_ASSERT(now_ms() - t0 < IDLE_MS);     /* not the timeout path */
	json_decref(a);
	CU_ASSERT_EQUAL(echo_calls, before + 1);

	/* HTTP, declared length: refused before the body is sent. */
	http_raw(http_port, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 413);
	free(h.body);
	/* HTTP, chunked (no length): read, dropped, refused. */
	char *raw = malloc(MAX_REQ * 3);
	int m = sprintf(raw, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			"Transfer-Encoding: chunked\r\n\r\n%x\r\n", MAX_REQ * 2);

	memcpy(raw + m, big, MAX_REQ * 2);
	m += MAX_REQ * 2;
	m += sprintf(raw + m, "\r\n0\r\n\r\n");
	http_raw(http_port, raw, (size_t)m, &h);
	CU_ASSERT_EQUAL(h.status, 413);
	free(h.body);
	free(raw);
	free(big);
	CU_ASSERT_EQUAL(echo_calls, before + 1);
}

static void test_unknown_command(void)
{
	json_t *a = unix_req("{\"command\": \"foo\"}");

	CU_ASSERT_EQUAL(result_of(a), 2);
	CU_ASSERT_STRING_EQUAL(text_of(a), "'foo' command not supported");
	json_decref(a);
	a = http_json("{\"command\": \"foo\", \"arguments\": {}}");
	CU_ASSERT_EQUAL(result_of(a), 2);
	CU_ASSERT_STRING_EQUAL(text_of(a), "'foo' command not supported");
	json_decref(a);
}

static void test_wrong_types(void)
{
	static const char *bad[] = {
		"{\"command\": 5}",
		"{\"command\": null}",
		"{\"arguments\": {}}",
		"{\"command\": \"echo\", \"arguments\": [1]}",
		"{\"command\": \"echo\", \"arguments\": \"x\"}",
		"{\"command\": \"echo\", \"arguments\": null}",
		"{\"command\": \"echo\", \"command\": \"fail\"}",
		"\"echo\"",
	};
	int before = echo_calls;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *a = unix_req(bad[i]), *b = http_json(bad[i]);

		CU_ASSERT_EQUAL(result_of(a), 1);
		CU_ASSERT_EQUAL(result_of(b), 1);
		CU_ASSERT_NOT_EQUAL(text_of(a)[0], '\0');
		json_decref(a);
		json_decref(b);
	}
	CU_ASSERT_EQUAL(echo_calls, before);
}

static void test_list_commands(void)
{
	static const char *want[] = {
		"bad-rc", "config-reload", "echo", "fail", "lease4-get-all", "lease6-get-all",
		"list-commands", "service", "slow", "statistic-get-all",
	};
	json_t *a = unix_req("{\"command\": \"list-commands\"}");
	json_t *l = json_object_get(a, "arguments");

	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(l), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < json_array_size(l); i++)
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(l, i)), want[i]);
	json_decref(a);
	CU_ASSERT_EQUAL(ctl_register(ctl, "zzz", h_echo, NULL), -EBUSY);
}

/* A handler sees the request's "service" during its call only. */
static void test_service(void)
{
	json_t *a = unix_req("{\"command\": \"service\", \"service\": [\"dhcp6\"]}");
	json_t *want = json_pack("[s]", "dhcp6");

	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_TRUE(json_equal(json_object_get(a, "arguments"), want));
	json_decref(a);
	a = unix_req("{\"command\": \"service\"}");
	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_TRUE(json_is_null(json_object_get(a, "arguments")));   /* none sent */
	json_decref(a);
	a = http_json("{\"command\": \"service\", \"service\": [\"dhcp6\"]}");
	CU_ASSERT_TRUE(json_is_array(a));
	CU_ASSERT_TRUE(json_equal(json_object_get(json_array_get(a, 0), "arguments"), want));
	json_decref(a);
	json_decref(want);
}

static void test_register_rules(void)
{
	struct ctl_params p = { .unix_path = "/dev/null/x" };
	struct ctl *c = ctl_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ctl_register(c, "list-commands", h_echo, NULL), -EEXIST);
	CU_ASSERT_EQUAL(ctl_register(c, "a", h_echo, NULL), 0);
	CU_ASSERT_EQUAL(ctl_register(c, "a", h_echo, NULL), -EEXIST);
	CU_ASSERT_EQUAL(ctl_register(c, "", h_echo, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ctl_register(c, "a b", h_echo, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ctl_start(c), -ENOTDIR);
	ctl_free(c);
	struct ctl_params q = { .http_addr = "127.0.0.1", .http_user = "u" };

	errno = 0;
	CU_ASSERT_PTR_NULL(ctl_create(&q));   /* user without password */
	CU_ASSERT_EQUAL(errno, EINVAL);
}

static bool fd_open(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	/* Nothing to read and no hang-up yet. */
	return poll(&pfd, 1, 0) == 0;
}

/* A silent client on each transport is closed after the idle timeout, and
 * requests are served meanwhile. */
static void test_idle_client(void)
{
	int u = unix_connect(sock_path), t = tcp_connect(http_port);
	uint64_t t0 = now_ms(), tu, tt;
	size_t len;
	char *out;
	json_t *a;

	CU_ASSERT_FATAL(u >= 0 && t >= 0);
	usleep(50 * 1000);
	a = unix_req("{\"command\": \"echo\"}");
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);
	a = http_json("{\"command\": \"echo\"}");
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);
	CU_ASSERT(now_ms() - t0 < IDLE_MS);     /* served before the idle one timed out */
	CU_ASSERT_TRUE(fd_open(u));
	CU_ASSERT_TRUE(fd_open(t));

	out = read_all(u, NULL);        /* returns at EOF */
	tu = now_ms() - t0;
	a = json_loads(out, 0, NULL);
	CU_ASSERT_EQUAL(result_of(a), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text_of(a), "timed out"));
	json_decref(a);
	free(out);
	CU_ASSERT(tu >= IDLE_MS - 20 && tu < IDLE_MS + 500);

	out = read_all(t, &len);        /* MHD: whole seconds, closes silently */
	tt = now_ms() - t0;
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT(tt >= 900 && tt < 3000);
	free(out);
	close(u);
	close(t);
}

static const char b64tab[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64(const char *in, char *out)
{
	size_t n = strlen(in), i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint8_t)in[i] << 16 | (uint8_t)in[i + 1] << 8 | (uint8_t)in[i + 2];

		out[o++] = b64tab[v >> 18];
		out[o++] = b64tab[(v >> 12) & 63];
		out[o++] = b64tab[(v >> 6) & 63];
		out[o++] = b64tab[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint8_t)in[i] << 16;

		out[o++] = b64tab[v >> 18];
		out[o++] = b64tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint8_t)in[i] << 16 | (uint8_t)in[i + 1] << 8;

		out[o++] = b64tab[v >> 18];
		out[o++] = b64tab[(v >> 12) & 63];
		out[o++] = b64tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int run_ctl(const char *args, char **out);

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void test_basic_auth(void)
{
	char path[160], good[64], bad[64], url[128], *out = NULL;
	struct http_ans h;
	struct ctl *c;
	int rc;
	uint16_t port;

	int fds = count_fds();

	snprintf(path, sizeof(path), "%s/auth.sock", tmpdir);
	c = make_ctl(path, 0600, "admin", "s3cret", &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(count_fds() >= fds + 4);    /* the measure sees ours */
	port = ctl_http_port(c);
	b64("admin:s3cret", good);
	b64("admin:s3creT", bad);

	http_post(port, NULL, "{\"command\": \"echo\"}", &h);
	CU_ASSERT_EQUAL(h.status, 401);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.head, "WWW-Authenticate: Basic"));
	free(h.body);
	http_post(port, bad, "{\"command\": \"echo\"}", &h);
	CU_ASSERT_EQUAL(h.status, 401);
	free(h.body);
	http_raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 401);
	free(h.body);
	http_post(port, good, "{\"command\": \"echo\"}", &h);
	CU_ASSERT_EQUAL(h.status, 200);
	CU_ASSERT_PTR_NOT_NULL(h.body && strstr(h.body, "\"result\": 0"));
	free(h.body);

	/* peregrinectl with credentials in the URL, and without. */
	snprintf(url, sizeof(url), "-u http://admin:s3cret@127.0.0.1:%u/ echo", port);
	CU_ASSERT_EQUAL(run_ctl(url, &out), 0);
	free(out);
	snprintf(url, sizeof(url), "-u http://127.0.0.1:%u/ echo", port);
	CU_ASSERT_EQUAL(run_ctl(url, &out), 1);
	free(out);
	ctl_free(c);
	/* Nothing left open: listeners (MHD closes the one we gave it), epoll,
	 * eventfd, clients.  The main instance may still be closing an HTTP
	 * connection of an earlier test (MHD shuts down, then closes), so it
	 * can only be fewer. */
	CU_ASSERT(count_fds() <= fds);
}

/* The HA peer listener alone (no unix socket, no http-control): the
 * partner's commands answered as a JSON list whether or not the request
 * names a service, anything else refused, no /metrics, its own auth. */
static void test_peer_listener(void)
{
	struct ctl_params p = {
		.peer_addr = "127.0.0.1", .peer_port = 0, .peer_user = "ha", .peer_password = "pw",
		.max_request = MAX_REQ, .idle_timeout_ms = IDLE_MS,
	};
	struct ctl *c = ctl_create(&p);
	struct http_ans h;
	char good[64];
	json_t *j;
	uint16_t port;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ctl_register(c, "ha-heartbeat", h_echo, NULL), 0);
	CU_ASSERT_EQUAL(ctl_register(c, "lease4-update", h_echo, NULL), 0);
	CU_ASSERT_EQUAL(ctl_register(c, "config-get", h_echo, NULL), 0);
	ctl_set_metrics(c, metrics, NULL);
	CU_ASSERT_EQUAL_FATAL(ctl_start(c), 0);
	port = ctl_peer_port(c);
	CU_ASSERT(port != 0);
	CU_ASSERT_EQUAL(ctl_http_port(c), 0);
	b64("ha:pw", good);

	http_post(port, good, "{\"command\": \"ha-heartbeat\", \"service\": [\"dhcp4\"]}", &h);
	CU_ASSERT_EQUAL(h.status, 200);
	j = h.body ? json_loads(h.body, 0, NULL) : NULL;
	CU_ASSERT_FATAL(json_is_array(j) && json_array_size(j) == 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(j, 0), "result")), 0);
	json_decref(j);
	free(h.body);
	/* no "service": still a list, as Kea's HA listener answers */
	http_post(port, good, "{\"command\": \"lease4-update\", \"arguments\": {\"ip-address\": "
		  "\"198.18.0.5\"}}", &h);
	j = h.body ? json_loads(h.body, 0, NULL) : NULL;
	CU_ASSERT_FATAL(json_is_array(j));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
		json_array_get(j, 0), "arguments"), "ip-address")), "198.18.0.5");
	json_decref(j);
	free(h.body);
	/* a command a partner does not send: refused, not run */
	echo_calls = 0;
	http_post(port, good, "{\"command\": \"config-get\"}", &h);
	j = h.body ? json_loads(h.body, 0, NULL) : NULL;
	CU_ASSERT_FATAL(json_is_array(j));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(j, 0), "result")),
			CTL_UNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.body, "HA peer listener"));
	CU_ASSERT_EQUAL(echo_calls, 0);
	json_decref(j);
	free(h.body);
	/* its own credentials; no metrics here */
	http_post(port, NULL, "{\"command\": \"ha-heartbeat\"}", &h);
	CU_ASSERT_EQUAL(h.status, 401);
	free(h.body);
	http_raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic aGE6cHc=\r\n"
		 "Connection: close\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 404);
	free(h.body);
	ctl_free(c);

	CU_ASSERT(ctl_peer_command("ha-heartbeat"));
	CU_ASSERT(ctl_peer_command("lease6-get-page"));
	CU_ASSERT(ctl_peer_command("dhcp-disable"));
	CU_ASSERT(!ctl_peer_command("config-set"));
	CU_ASSERT(!ctl_peer_command("shutdown"));
	CU_ASSERT(!ctl_peer_command("dhcp-disabled"));
	p.peer_user = NULL;                     /* only one of the pair */
	CU_ASSERT_PTR_NULL(ctl_create(&p));
}

static void test_metrics(void)
{
	struct http_ans h;

	http_raw(http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strcasestr(h.head, "Content-Type: text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h.body);
	CU_ASSERT_STRING_EQUAL(h.body, METRICS_TEXT);
	free(h.body);
	http_raw(http_port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 404);
	free(h.body);
	http_raw(http_port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &h);
	CU_ASSERT_EQUAL(h.status, 405);
	free(h.body);
}

static void test_socket_file(void)
{
	char path[200], f[160];
	struct ctl *c, *c2;
	struct stat st;
	json_t *a;
	int rc, fd;

	/* Default instance: 0600, a socket. */
	CU_ASSERT_EQUAL_FATAL(stat(sock_path, &st), 0);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);

	/* Stale socket file (bound, its server gone): replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	c = make_ctl(path, 0660, NULL, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	a = unix_req_len(path, "{\"command\":\"echo\"}", 18);
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);

	/* A live owner is not displaced. */
	c2 = make_ctl(path, 0600, NULL, NULL, &rc);
	CU_ASSERT_PTR_NULL(c2);
	CU_ASSERT_EQUAL(rc, -EADDRINUSE);
	a = unix_req_len(path, "{\"command\":\"echo\"}", 18);
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);
	ctl_free(c);
	/* Stopping removes our file. */
	CU_ASSERT_EQUAL(stat(path, &st), -1);

	/* A regular file at the path is never removed. */
	snprintf(f, sizeof(f), "%s/plain", tmpdir);
	fclose(fopen(f, "w"));
	c = make_ctl(f, 0600, NULL, NULL, &rc);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(rc, -EEXIST);
	CU_ASSERT_EQUAL(stat(f, &st), 0);

	/* A socket directory that does not exist yet (a fresh /tmp or /run)
	 * is made, 0750, and the server answers there. */
	snprintf(path, sizeof(path), "%s/run/pg/control.sock", tmpdir);
	c = make_ctl(path, 0600, NULL, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	a = unix_req_len(path, "{\"command\":\"echo\"}", 18);
	CU_ASSERT_EQUAL(result_of(a), 0);
	json_decref(a);
	ctl_free(c);
	snprintf(path, sizeof(path), "%s/run/pg", tmpdir);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0750 & ~test_umask);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/run", tmpdir);
	rmdir(path);
	/* ... but not through a file. */
	snprintf(path, sizeof(path), "%s/x.sock", f);
	c = make_ctl(path, 0600, NULL, NULL, &rc);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(rc, -ENOTDIR);
	unlink(f);
}

struct load_arg {
	int kind;
};

static void *load_thread(void *p)
{
	struct load_arg *la = p;

	for (int i = 0; i < 3; i++) {
		json_t *a;

		if (la->kind == 0)
			a = unix_req("{\"command\": \"slow\"}");
		else if (la->kind == 1)
			a = http_json("{\"command\": \"slow\"}");
		else
			a = ctl_execute(ctl, "{\"command\": \"slow\"}", 19);
		CU_ASSERT_EQUAL(result_of(a), 0);
		json_decref(a);
	}
	return NULL;
}

/* Unix, HTTP and ctl_execute at once: handlers never overlap. */
static void test_serialised(void)
{
	struct load_arg la[3] = { { 0 }, { 1 }, { 2 } };
	pthread_t th[3];

	slow_calls = 0;
	max_in_handler = 0;
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, load_thread, &la[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(slow_calls, 9);
	CU_ASSERT_EQUAL(max_in_handler, 1);
}

/* Runs "$PEREGRINECTL args" with the shell; returns its exit status. */
static int run_ctl(const char *args, char **out)
{
	const char *bin = getenv("PEREGRINECTL");
	char cmd[1024];
	FILE *p;
	int st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
	snprintf(cmd, sizeof(cmd), "%s %s", bin, args);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*out = read_all(fileno(p), NULL);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_peregrinectl(void)
{
	char args[512], *out;
	json_t *a;

	snprintf(args, sizeof(args), "-s %s echo '{\"x\": 1}'", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	a = json_loads(out, 0, NULL);
	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "x")), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n  \"result\": 0"));   /* pretty */
	json_decref(a);
	free(out);

	snprintf(args, sizeof(args), "-s %s foo 2>/dev/null", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "command not supported"));
	free(out);

	snprintf(args, sizeof(args), "-s %s fail 2>/dev/null", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 1);
	free(out);

	snprintf(args, sizeof(args), "-s %s echo '[1]' 2>/dev/null", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 2);
	free(out);

	/* Default socket from the environment. */
	setenv("PEREGRINE_SOCKET", sock_path, 1);
	CU_ASSERT_EQUAL(run_ctl("stats", &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "assigned-addresses 7\npkt4-received 42\n");
	free(out);
	unsetenv("PEREGRINE_SOCKET");

	snprintf(args, sizeof(args), "-s %s leases --subnet 2", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "198.18.0.10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "02:00:00:00:00:01"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "01:02:00:00:00:00:01"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "2023-11-14 23:13:20Z"));   /* 1700000000 + 3600 */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "address"));
	free(out);
	a = json_pack("{s:[i]}", "subnets", 2);
	CU_ASSERT_TRUE(json_equal(a, last_lease_args));
	json_decref(a);

	snprintf(args, sizeof(args), "-s %s leases", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	free(out);
	CU_ASSERT_TRUE(json_is_null(last_lease_args));

	snprintf(args, sizeof(args), "-s %s leases6 --subnet 1", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "2001:db8:8:100::/56"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "00:03:00:01:02:00:00:00:00:01"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " PD "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "2023-11-14 23:13:20Z"));
	free(out);
	a = json_pack("{s:[i]}", "subnets", 1);
	CU_ASSERT_TRUE(json_equal(a, last_lease_args));
	json_decref(a);

	/* -S: the service a Kea Control Agent client would name */
	snprintf(args, sizeof(args), "-s %s -S dhcp6 service", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	a = json_loads(out, 0, NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(a, "arguments"), 0)),
			       "dhcp6");
	json_decref(a);
	free(out);

	int before = reload_calls;

	snprintf(args, sizeof(args), "-s %s reload", sock_path);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Configuration successful."));
	CU_ASSERT_EQUAL(reload_calls, before + 1);
	free(out);

	snprintf(args, sizeof(args), "-u http://127.0.0.1:%u/ list-commands", http_port);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"statistic-get-all\""));
	free(out);

	snprintf(args, sizeof(args), "-s %s/none.sock echo 2>/dev/null", tmpdir);
	CU_ASSERT_EQUAL(run_ctl(args, &out), 1);
	free(out);
}

/* Runs a shell command, captures stdout; returns its exit status. */
static int run_sh(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	int st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*out = read_all(fileno(p), NULL);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The real curl, as operators will use it: it sends "Expect: 100-continue"
 * for bodies over 1 KiB, which must work under the limit and get 413 over. */
static void test_curl(void)
{
	char cmd[512], file[160], *out;
	FILE *f;
	json_t *a;

	if (system("command -v curl >/dev/null 2>&1") != 0) {
		fprintf(stderr, "curl not installed: curl checks skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "curl -s -X POST -H 'Content-Type: application/json' "
		 "-d '{\"command\": \"echo\", \"arguments\": {\"c\": 1}}' http://127.0.0.1:%u/",
		 http_port);
	CU_ASSERT_EQUAL(run_sh(cmd, &out), 0);
	a = json_loads(out, 0, NULL);
	CU_ASSERT_EQUAL(result_of(a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(a, "arguments"), "c")), 1);
	json_decref(a);
	free(out);

	snprintf(file, sizeof(file), "%s/body.json", tmpdir);
	for (int size = MAX_REQ - 200; size <= MAX_REQ * 2; size += MAX_REQ + 200) {
		f = fopen(file, "w");
		fprintf(f, "{\"command\": \"echo\", \"arguments\": {\"pad\": \"");
		for (int i = 0; i < size - 50; i++)
			fputc('p', f);
		fprintf(f, "\"}}");
		fclose(f);
		snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{http_code}' "
			 "--data-binary @%s http://127.0.0.1:%u/", file, http_port);
		CU_ASSERT_EQUAL(run_sh(cmd, &out), 0);
		CU_ASSERT_STRING_EQUAL(out, size < MAX_REQ ? "200" : "413");
		free(out);
	}
	snprintf(cmd, sizeof(cmd), "curl -s http://127.0.0.1:%u/metrics", http_port);
	CU_ASSERT_EQUAL(run_sh(cmd, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, METRICS_TEXT);
	free(out);
}

static int suite_init(void)
{
	int rc;

	test_umask = umask(0);
	umask(test_umask);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ctl_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", tmpdir);
	ctl = make_ctl(sock_path, 0600, NULL, NULL, &rc);
	if (ctl == NULL) {
		fprintf(stderr, "ctl_start: %s\n", strerror(-rc));
		return -1;
	}
	http_port = ctl_http_port(ctl);
	return http_port != 0 ? 0 : -1;
}

static int suite_clean(void)
{
	char cmd[128];

	ctl_free(ctl);
	json_decref(last_lease_args);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ctl", suite_init, suite_clean);
	CU_add_test(s, "success answer shape", test_success_shape);
	CU_add_test(s, "request split over writes", test_split_request);
	CU_add_test(s, "malformed JSON", test_malformed);
	CU_add_test(s, "oversized request", test_oversized);
	CU_add_test(s, "unknown command", test_unknown_command);
	CU_add_test(s, "wrong argument types", test_wrong_types);
	CU_add_test(s, "list-commands", test_list_commands);
	CU_add_test(s, "register rules", test_register_rules);
	CU_add_test(s, "request service seen by the handler", test_service);
	CU_add_test(s, "idle client closed, others served", test_idle_client);
	CU_add_test(s, "basic auth", test_basic_auth);
	CU_add_test(s, "metrics", test_metrics);
	CU_add_test(s, "HA peer listener", test_peer_listener);
	CU_add_test(s, "socket file mode, stale, live owner", test_socket_file);
	CU_add_test(s, "handlers serialised", test_serialised);
	CU_add_test(s, "peregrinectl", test_peregrinectl);
	CU_add_test(s, "curl", test_curl);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
