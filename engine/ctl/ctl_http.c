/* HTTP transport: Kea Control Agent style POST / with the JSON command, and
 * GET /metrics for Prometheus.
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

static bool auth_ok(const struct ctl *c, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok;

	if (c->http_user == NULL)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user != NULL && pass != NULL &&
	     secret_eq(user, c->http_user) & secret_eq(pass, c->http_password);
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
	struct ctl *c = cls;
	bool wrap;
	json_t *ans;

	(void)version;
	if (r == NULL) {
		/* First call: headers only.  Refuse early what we can, so a
		 * client sending "Expect: 100-continue" never sends the body. */
		const char *cl;

		if (!auth_ok(c, conn))
			return queue_error(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized");
		if (strcmp(url, "/metrics") == 0) {
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
	ans = ctl_run_request(c, r->buf != NULL ? r->buf : "", r->len, &wrap);
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

static int listen_socket(const struct ctl *c, uint16_t *bound, bool *v6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1, rc;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, c->http_addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->http_port);
		sl = sizeof(*s4);
		*v6 = false;
	} else if (inet_pton(AF_INET6, c->http_addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->http_port);
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

int ctl_http_open(struct ctl *c)
{
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = CTL_EV_HTTP };
	unsigned timeout_s = c->idle_ms / 1000 + (c->idle_ms % 1000 != 0);
	bool v6;
	int fd, rc;

	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
		return -ENOTSUP;
	fd = listen_socket(c, &c->http_bound_port, &v6);
	if (fd < 0)
		return fd;
	/* MHD's connection timeout counts whole seconds of inactivity. */
	c->mhd = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, http_access, c,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)CTL_HTTP_MAX_CONN,
				  MHD_OPTION_NOTIFY_COMPLETED, http_done, c,
				  MHD_OPTION_END);
	if (c->mhd == NULL) {
		close(fd);
		return -ENOMEM;
	}
	info = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_EPOLL_FD);
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
	MHD_stop_daemon(c->mhd);    /* closes fd too */
	c->mhd = NULL;
	return rc;
}

void ctl_http_close(struct ctl *c)
{
	if (c->mhd == NULL)
		return;
	MHD_stop_daemon(c->mhd);
	c->mhd = NULL;
}

void ctl_http_run(struct ctl *c)
{
	if (c->mhd != NULL)
		MHD_run(c->mhd);
}

int ctl_http_timeout(struct ctl *c)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (c->mhd == NULL || MHD_get_timeout(c->mhd, &t) != MHD_YES)
		return -1;
	return t > INT_MAX ? INT_MAX : (int)t;
}
