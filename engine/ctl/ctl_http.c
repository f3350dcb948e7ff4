/* HTTP transport: Kea Control Agent style POST / with the JSON command, and
 * GET /metrics for Prometheus; and the HA peer listener (issue 16): the
 * same POST / on this server's own peer URL, only the commands a partner
 * sends, every answer a JSON list as Kea's HA listener sends it.
 *
 * libmicrohttpd runs in "external polling" mode with epoll: its epoll fd
 * sits in the control thread's epoll set and MHD_run() is called from that
 * loop.  So HTTP requests are handled on the same thread as unix ones,
 * handlers are serialised without MHD spawning threads of its own, and a
 * slow or silent HTTP client is MHD's problem (its connection timeout),
 * never a blocked thread of ours.
 *
 * We bind the listening socket ourselves and hand it to MHD: bind errors
 * come back as a precise errno, and port 0 picks a free port
 * (ctl_http_port() tells which). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "ctl_priv.h"

#define CTL_HTTP_REALM "peregrine"

struct http_req {
	char *buf;
	size_t len, cap;
	bool too_large;
};

static enum MHD_Result queue_body(struct MHD_Connection *conn, unsigned status,
				  char *body, size_t len, const char *type,
				  bool auth_fail)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST, GET");
	if (auth_fail)
		rc = MHD_queue_basic_auth_fail_response(conn, CTL_HTTP_REALM, resp);
	else
		rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Consumes ans. */
static enum MHD_Result queue_json(struct MHD_Connection *conn, unsigned status,
				  json_t *ans, bool wrap)
{
	char *body;
	size_t len;

	if (wrap && ans != NULL) {
		json_t *list = json_array();

		json_array_append_new(list, ans);
		ans = list;
	}
	body = ctl_dump(ans, &len);
	json_decref(ans);
	return queue_body(conn, status, body, len, "application/json",
			  status == MHD_HTTP_UNAUTHORIZED);
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, unsigned status,
				   const char *text)
{
	return queue_json(conn, status, ctl_answer(CTL_ERROR, text, NULL), false);
}

/* Compare without an early exit, so timing does not leak a prefix. */
static bool secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static bool auth_ok(const struct ctl_http *h, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok;

	if (h->user == NULL)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user != NULL && pass != NULL &&
	     secret_eq(user, h->user) & secret_eq(pass, h->password);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result serve_metrics(struct ctl *c, struct MHD_Connection *conn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (c->metrics_fn == NULL)
		return queue_error(conn, MHD_HTTP_NOT_FOUND, "no metrics");
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return MHD_NO;
	pthread_mutex_lock(&c->run_lock);
	rc = c->metrics_fn(f, c->metrics_ctx);
	pthread_mutex_unlock(&c->run_lock);
	if (fclose(f) != 0 || rc < 0) {
		free(buf);
		return queue_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics failed");
	}
	return queue_body(conn, MHD_HTTP_OK, buf, len, "text/plain; version=0.0.4", false);
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **req_cls)
{
	struct http_req *r = *req_cls;
	struct ctl_http *h = cls;
	struct ctl *c = h->c;
	bool wrap;
	json_t *ans;

	(void)version;
	if (r == NULL) {
		/* First call: headers only.  Refuse early what we can, so a
		 * client sending "Expect: 100-continue" never sends the body. */
		const char *cl;

		if (!auth_ok(h, conn))
			return queue_error(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized");
		if (strcmp(url, "/metrics") == 0 && !h->peer) {
			if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
			    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
				return queue_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
						   "use GET for /metrics");
			return serve_metrics(c, conn);
		}
		if (strcmp(url, "/") != 0)
			return queue_error(conn, MHD_HTTP_NOT_FOUND, "not found; POST commands to /");
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return queue_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					   "use POST for commands");
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > c->max_request)
			return queue_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*req_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* A response cannot be queued while the body is still coming
		 * (chunked, no length): drop the rest and answer at the end. */
		size_t n = *upload_size;

		*upload_size = 0;
		if (r->too_large)
			return MHD_YES;
		if (r->len + n > c->max_request) {
			r->too_large = true;
			free(r->buf);
			r->buf = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			char *b;

			while (cap < r->len + n)
				cap *= 2;
			if (cap > c->max_request)
				cap = c->max_request;
			b = realloc(r->buf, cap);
			if (b == NULL)
				return MHD_NO;
			r->buf = b;
			r->cap = cap;
		}
		memcpy(r->buf + r->len, upload, n);
		r->len += n;
		return MHD_YES;
	}
	if (r->too_large)
		return queue_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
	if (h->peer) {
		ans = ctl_run_peer_request(c, r->buf != NULL ? r->buf : "", r->len);
		wrap = true;
	} else {
		ans = ctl_run_request(c, r->buf != NULL ? r->buf : "", r->len, &wrap);
	}
	return queue_json(conn, MHD_HTTP_OK, ans, wrap);
}

static void http_done(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r != NULL) {
		free(r->buf);
		free(r);
		*req_cls = NULL;
	}
}

static int listen_socket(const struct ctl_http *h, uint16_t *bound, bool *v6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1, rc;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, h->addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(h->port);
		sl = sizeof(*s4);
		*v6 = false;
	} else if (inet_pton(AF_INET6, h->addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(h->port);
		sl = sizeof(*s6);
		*v6 = true;
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restart must not wait out TIME_WAIT on the old connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*bound = ntohs(*v6 ? s6->sin6_port : s4->sin_port);
	return fd;
}

static int http_open(struct ctl_http *h, uint32_t tag)
{
	struct ctl *c = h->c;
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	unsigned timeout_s = c->idle_ms / 1000 + (c->idle_ms % 1000 != 0);
	bool v6;
	int fd, rc;

	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
		return -ENOTSUP;
	fd = listen_socket(h, &h->bound_port, &v6);
	if (fd < 0)
		return fd;
	/* MHD's connection timeout counts whole seconds of inactivity. */
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, http_access, h,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)CTL_HTTP_MAX_CONN,
				  MHD_OPTION_NOTIFY_COMPLETED, http_done, h,
				  MHD_OPTION_END);
	if (h->mhd == NULL) {
		close(fd);
		return -ENOMEM;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		rc = -ENOTSUP;
		goto err;
	}
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev) < 0) {
		rc = -errno;
		goto err;
	}
	return 0;

err:
	MHD_stop_daemon(h->mhd);    /* closes fd too */
	h->mhd = NULL;
	return rc;
}

int ctl_http_open(struct ctl *c)
{
	static const uint32_t tags[CTL_HTTP_N] = { CTL_EV_HTTP, CTL_EV_PEER };
	int rc;

	for (unsigned i = 0; i < CTL_HTTP_N; i++) {
		if (c->http[i].addr == NULL)
			continue;
		rc = http_open(&c->http[i], tags[i]);
		if (rc < 0) {
			ctl_http_close(c);
			return rc;
		}
	}
	return 0;
}

void ctl_http_close(struct ctl *c)
{
	for (unsigned i = 0; i < CTL_HTTP_N; i++) {
		if (c->http[i].mhd == NULL)
			continue;
		MHD_stop_daemon(c->http[i].mhd);
		c->http[i].mhd = NULL;
	}
}

void ctl_http_run(struct ctl *c)
{
	for (unsigned i = 0; i < CTL_HTTP_N; i++)
		if (c->http[i].mhd != NULL)
			MHD_run(c->http[i].mhd);
}

int ctl_http_timeout(struct ctl *c)
{
	int best = -1;

	for (unsigned i = 0; i < CTL_HTTP_N; i++) {
		MHD_UNSIGNED_LONG_LONG t;
		int ms;

		if (c->http[i].mhd == NULL || MHD_get_timeout(c->http[i].mhd, &t) != MHD_YES)
			continue;
		ms = t > INT_MAX ? INT_MAX : (int)t;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}
