/* The HA peer link's HTTP/1.1 client (ha_http.h).
 *
 * A connection holds a ring of up to max_pipeline requests in send order.
 * Finished ones are always a prefix of the ring (answers come in order,
 * and a failure fails the request and everything behind it), so results
 * leave from the head in the order the requests were sent.  Each request
 * keeps its whole HTTP text until it is answered: that is what lets it be
 * written again on a new connection when the peer closed the old one
 * before answering. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ha_http.h"

#define DEF_CONNECT_MS  2000
#define DEF_RESPONSE_MS 10000
#define DEF_MAX_BODY    (16u << 20)
#define MAX_TRIES       2             /* a request is written at most twice */

enum conn_state { C_CLOSED, C_CONNECTING, C_OPEN };

struct req {
	uint64_t id;
	char *msg;                    /* the whole HTTP request */
	size_t len;
	uint64_t deadline;            /* monotonic ms */
	uint8_t tries;                /* connections it was (partly) written on */
	bool done;
	struct ha_http_result res;
};

struct ha_http_conn {
	struct sockaddr_storage sa;
	socklen_t salen;
	char *head;                   /* "POST <path> HTTP/1.1\r\nHost: ..\r\n" */
	char *auth;                   /* "Authorization: Basic ..\r\n" or "" */
	unsigned connect_ms, response_ms, cap;
	size_t max_body;

	int fd;
	enum conn_state st;
	uint64_t connect_deadline;
	uint64_t connects, next_id;

	struct req ring[HA_HTTP_MAX_PIPELINE];
	unsigned first, n;            /* ring slots [first, first + n) in use */
	unsigned n_done;              /* finished: the first n_done of them */
	unsigned wr;                  /* relative index of the request being written */
	size_t wr_off;                /* bytes of it written */

	char *rbuf;                   /* answer bytes not yet taken */
	size_t rlen, rcap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct req *at(struct ha_http_conn *c, unsigned i)
{
	return &c->ring[(c->first + i) % c->cap];
}

static const struct req *cat(const struct ha_http_conn *c, unsigned i)
{
	return &c->ring[(c->first + i) % c->cap];
}

/* ---- construction ------------------------------------------------------- */

static char *base64(const char *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int parse_addr(struct ha_http_conn *c, const char *host, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->sa;

	memset(&c->sa, 0, sizeof(c->sa));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		c->salen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		c->salen = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

struct ha_http_conn *ha_http_conn_new(const struct ha_http_params *p)
{
	const char *path = p && p->path ? p->path : "/";
	struct ha_http_conn *c;
	char hostport[INET6_ADDRSTRLEN + 16];
	bool v6;
	int n;

	if (!p || !p->host || !p->port || path[0] != '/' || strpbrk(path, " \r\n") ||
	    p->max_pipeline > HA_HTTP_MAX_PIPELINE || (p->password && !p->user) ||
	    (p->user && strchr(p->user, ':'))) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	if (parse_addr(c, p->host, p->port)) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	v6 = c->sa.ss_family == AF_INET6;
	c->connect_ms = p->connect_timeout_ms ? p->connect_timeout_ms : DEF_CONNECT_MS;
	c->response_ms = p->response_timeout_ms ? p->response_timeout_ms : DEF_RESPONSE_MS;
	c->max_body = p->max_body ? p->max_body : DEF_MAX_BODY;
	c->cap = p->max_pipeline ? p->max_pipeline : 1;
	c->next_id = 1;
	/* Host names the port unless it is HTTP's default (RFC 7230 5.4); Kea's
	 * client leaves it out, and neither Kea's listener nor ours reads it */
	if (p->port == 80)
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", p->host);
	else
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%u" : "%s:%u", p->host, p->port);
	n = asprintf(&c->head, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, hostport);
	if (n < 0) {
		c->head = NULL;
		goto err;
	}
	if (p->user) {
		char *cred, *b64;

		if (asprintf(&cred, "%s:%s", p->user, p->password ? p->password : "") < 0)
			goto err;
		b64 = base64(cred, strlen(cred));
		free(cred);
		if (!b64)
			goto err;
		n = asprintf(&c->auth, "Authorization: Basic %s\r\n", b64);
		free(b64);
		if (n < 0) {
			c->auth = NULL;
			goto err;
		}
	} else {
		c->auth = strdup("");
		if (!c->auth)
			goto err;
	}
	return c;
err:
	free(c->head);
	free(c->auth);
	free(c);
	errno = ENOMEM;
	return NULL;
}

static void sock_close(struct ha_http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = C_CLOSED;
	c->rlen = 0;
	c->wr = c->n_done;
	c->wr_off = 0;
}

void ha_http_conn_free(struct ha_http_conn *c)
{
	unsigned i;

	if (!c)
		return;
	sock_close(c);
	for (i = 0; i < c->n; i++) {
		free(at(c, i)->msg);
		free(at(c, i)->res.body);
	}
	free(c->rbuf);
	free(c->head);
	free(c->auth);
	free(c);
}

/* ---- failures ----------------------------------------------------------- */

static void finish(struct req *r, int err, const char *reason)
{
	r->done = true;
	r->res.err = err;
	r->res.status = 0;
	snprintf(r->res.reason, sizeof(r->res.reason), "%s", reason);
	free(r->msg);
	r->msg = NULL;
}

/* Fail every unfinished request with err and close the connection. */
static void fail_all(struct ha_http_conn *c, int err, const char *reason)
{
	while (c->n_done < c->n)
		finish(at(c, c->n_done++), err, reason);
	sock_close(c);
}

/* The peer closed the connection (or reset it).  A request whose answer
 * had begun fails; the others go again on a new connection, unless the
 * oldest was tried on MAX_TRIES connections already (a peer that keeps
 * closing). */
static void conn_lost(struct ha_http_conn *c, int err, const char *reason)
{
	bool partial = c->rlen > 0;

	if (c->n_done < c->n && partial) {
		finish(at(c, c->n_done++), -EPROTO, "connection closed in the middle of an answer");
	}
	/* a connection lost before the oldest request went out counts as a
	 * try too: a peer that closes every connection at once fails the
	 * request after two connections instead of being redialled in a loop
	 * until the deadline */
	if (c->n_done < c->n && !at(c, c->n_done)->tries)
		at(c, c->n_done)->tries = 1;
	if (c->n_done < c->n && at(c, c->n_done)->tries >= MAX_TRIES) {
		char why[sizeof(((struct ha_http_result *)0)->reason)];

		snprintf(why, sizeof(why), "%s (tried on %d connections)", reason, MAX_TRIES);
		fail_all(c, err, why);
		return;
	}
	sock_close(c);
}

/* ---- answers ------------------------------------------------------------ */

struct answer {
	int status;
	size_t hdr_len, body_len;
	bool close;                   /* "Connection: close" or HTTP/1.0 */
};

static bool token_in(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == t && !strncasecmp(v + s, tok, t))
			return true;
	}
	return false;
}

/* One answer at the start of buf[0..len): 1 complete (*a), 0 more bytes
 * needed, or -errno with why. */
static int parse_answer(const struct ha_http_conn *c, const char *buf, size_t len,
			struct answer *a, char *why, size_t wlen)
{
	const char *end = NULL, *p, *eol;
	size_t i, lim = len < HA_HTTP_HEADER_MAX ? len : HA_HTTP_HEADER_MAX;
	bool have_len = false;
	uint64_t clen = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i + 1 < lim; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i + 2;
			break;
		}
		if (i + 3 < lim && !memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i + 4;
			break;
		}
	}
	if (!end) {
		if (len >= HA_HTTP_HEADER_MAX) {
			snprintf(why, wlen, "answer headers over %d bytes", HA_HTTP_HEADER_MAX);
			return -EMSGSIZE;
		}
		return 0;
	}
	a->hdr_len = (size_t)(end - buf);
	/* status line: HTTP/1.x NNN reason */
	if (a->hdr_len < 13 || memcmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') ||
	    buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9' || (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')) {
		snprintf(why, wlen, "not an HTTP/1.x status line");
		return -EPROTO;
	}
	a->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	a->close = buf[7] == '0';
	p = (const char *)memchr(buf, '\n', a->hdr_len) + 1;
	for (; p < end; p = eol + 1) {
		const char *colon, *v, *ve;
		size_t nlen;

		eol = memchr(p, '\n', (size_t)(end - p));
		ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (ve == p)
			break;                          /* the empty line */
		colon = memchr(p, ':', (size_t)(ve - p));
		if (!colon || colon == p || *p == ' ' || *p == '\t') {
			snprintf(why, wlen, "malformed header line");
			return -EPROTO;
		}
		nlen = (size_t)(colon - p);
		for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (nlen == 14 && !strncasecmp(p, "Content-Length", 14)) {
			uint64_t x = 0;
			const char *d;

			if (v == ve) {
				snprintf(why, wlen, "empty Content-Length");
				return -EPROTO;
			}
			for (d = v; d < ve; d++) {
				if (*d < '0' || *d > '9' || x > (UINT64_MAX - 9) / 10) {
					snprintf(why, wlen, "bad Content-Length");
					return -EPROTO;
				}
				x = x * 10 + (uint64_t)(*d - '0');
			}
			if (have_len && x != clen) {
				snprintf(why, wlen, "two different Content-Length headers");
				return -EPROTO;
			}
			have_len = true;
			clen = x;
		} else if (nlen == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
			snprintf(why, wlen, "Transfer-Encoding not supported (Content-Length expected)");
			return -EPROTO;
		} else if (nlen == 10 && !strncasecmp(p, "Connection", 10)) {
			if (token_in(v, (size_t)(ve - v), "close"))
				a->close = true;
			else if (token_in(v, (size_t)(ve - v), "keep-alive"))
				a->close = false;
		}
	}
	if (a->status < 200 || a->status == 204 || a->status == 304) {
		a->body_len = 0;                       /* no body by definition */
	} else if (!have_len) {
		snprintf(why, wlen, "answer without Content-Length");
		return -EPROTO;
	} else if (clen > c->max_body) {
		snprintf(why, wlen, "answer body of %llu bytes over the limit of %zu",
			 (unsigned long long)clen, c->max_body);
		return -EMSGSIZE;
	} else {
		a->body_len = (size_t)clen;
	}
	return len - a->hdr_len >= a->body_len ? 1 : 0;
}

/* Take the complete answers at the head of rbuf.  0, or -1 when the
 * connection was closed. */
static int take_answers(struct ha_http_conn *c)
{
	char why[sizeof(((struct ha_http_result *)0)->reason)];
	struct answer a;
	int ret;

	while (c->rlen) {
		struct req *r;
		size_t used;

		ret = parse_answer(c, c->rbuf, c->rlen, &a, why, sizeof(why));
		if (ret < 0) {
			fail_all(c, ret, why);
			return -1;
		}
		if (!ret)
			return 0;
		used = a.hdr_len + a.body_len;
		if (a.status < 200) {                  /* 100 Continue and the like */
			memmove(c->rbuf, c->rbuf + used, c->rlen - used);
			c->rlen -= used;
			continue;
		}
		/* the answer belongs to the oldest request written (even
		 * partly: a peer may answer before reading the whole body) */
		if (c->n_done == c->n || (c->wr == c->n_done && !c->wr_off)) {
			fail_all(c, -EPROTO, "answer to no request");
			return -1;
		}
		r = at(c, c->n_done);
		r->res.body = malloc(a.body_len + 1);
		if (!r->res.body) {
			fail_all(c, -ENOMEM, "out of memory for an answer");
			return -1;
		}
		memcpy(r->res.body, c->rbuf + a.hdr_len, a.body_len);
		r->res.body[a.body_len] = '\0';
		r->res.body_len = a.body_len;
		r->res.status = a.status;
		r->res.err = 0;
		r->res.reason[0] = '\0';
		r->done = true;
		free(r->msg);
		r->msg = NULL;
		if (c->wr == c->n_done) {              /* answered while still being written */
			c->wr++;
			c->wr_off = 0;
			a.close = true;
		}
		c->n_done++;
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
		if (a.close) {
			/* what was written behind it was never read: again */
			if (c->rlen) {
				fail_all(c, -EPROTO, "bytes after an answer that closes the connection");
				return -1;
			}
			sock_close(c);
			return -1;
		}
	}
	return 0;
}

static void do_read(struct ha_http_conn *c)
{
	for (;;) {
		size_t room;
		ssize_t got;

		if (c->rcap - c->rlen < 4096) {
			size_t ncap = c->rcap ? c->rcap * 2 : 16384;
			size_t bound = HA_HTTP_HEADER_MAX + c->max_body + 1;
			char *nb;

			if (ncap > bound)
				ncap = bound;
			if (ncap <= c->rlen) {
				/* cannot happen: parse_answer refuses an answer
				 * past the bound before the buffer fills */
				fail_all(c, -EMSGSIZE, "answer over the buffer bound");
				return;
			}
			nb = realloc(c->rbuf, ncap);
			if (!nb) {
				fail_all(c, -ENOMEM, "out of memory for an answer");
				return;
			}
			c->rbuf = nb;
			c->rcap = ncap;
		}
		room = c->rcap - c->rlen;
		got = recv(c->fd, c->rbuf + c->rlen, room, 0);
		if (got > 0) {
			c->rlen += (size_t)got;
			if (take_answers(c) < 0)
				return;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got == 0)
			conn_lost(c, -ECONNRESET, "connection closed by the peer");
		else
			conn_lost(c, -errno, strerror(errno));
		return;
	}
}

/* ---- connecting and writing --------------------------------------------- */

static void conn_open(struct ha_http_conn *c)
{
	int one = 1, fd;

	fd = socket(c->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail_all(c, -errno, "socket");
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->connects++;
	c->rlen = 0;
	c->wr = c->n_done;
	c->wr_off = 0;
	if (!connect(fd, (struct sockaddr *)&c->sa, c->salen)) {
		c->st = C_OPEN;
		return;
	}
	if (errno == EINPROGRESS) {
		c->st = C_CONNECTING;
		c->connect_deadline = now_ms() + c->connect_ms;
		return;
	}
	{
		char why[128];

		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		fail_all(c, -errno, why);
	}
}

static void connect_done(struct ha_http_conn *c)
{
	int err = 0;
	socklen_t l = sizeof(err);
	char why[128];

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (!err) {
		c->st = C_OPEN;
		return;
	}
	snprintf(why, sizeof(why), "connect: %s", strerror(err));
	fail_all(c, -err, why);
}

static void do_write(struct ha_http_conn *c)
{
	while (c->st == C_OPEN && c->wr < c->n) {
		struct req *r = at(c, c->wr);
		ssize_t put;

		if (!c->wr_off)
			r->tries++;
		put = send(c->fd, r->msg + c->wr_off, r->len - c->wr_off, MSG_NOSIGNAL);
		if (put < 0) {
			if (!c->wr_off)
				r->tries--;                    /* not a byte of it went out */
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_lost(c, -errno, strerror(errno));
			return;
		}
		c->wr_off += (size_t)put;
		if (c->wr_off == r->len) {
			c->wr++;
			c->wr_off = 0;
		}
	}
}

/* Deadlines: the oldest unfinished request's answer, the connect. */
static void expire(struct ha_http_conn *c, uint64_t now)
{
	char why[128];

	if (c->n_done == c->n)
		return;
	if (c->st == C_CONNECTING && now >= c->connect_deadline) {
		snprintf(why, sizeof(why), "no connection within %u ms", c->connect_ms);
		fail_all(c, -ETIMEDOUT, why);
		return;
	}
	if (now >= at(c, c->n_done)->deadline) {
		snprintf(why, sizeof(why), "no answer within %u ms", c->response_ms);
		fail_all(c, -ETIMEDOUT, why);
	}
}

/* Connect when there is work and no connection, write what can be.
 * Bounded: each pass either opens a socket for requests written fewer
 * than MAX_TRIES times or fails them. */
static void kick(struct ha_http_conn *c)
{
	unsigned guard;

	for (guard = 0; guard < 2 * MAX_TRIES + 2; guard++) {
		if (c->n_done == c->n)
			return;
		if (c->st == C_CLOSED)
			conn_open(c);
		if (c->st != C_OPEN)
			return;
		do_write(c);
		if (c->st == C_OPEN)
			return;
	}
}

/* ---- the API ------------------------------------------------------------ */

int64_t ha_http_conn_send(struct ha_http_conn *c, const char *body, size_t len)
{
	struct req *r;
	size_t hl, al;
	char clen[64];
	int n;

	if (c->n == c->cap)
		return -EBUSY;
	/* an idle connection the peer closed meanwhile: notice it now rather
	 * than by losing the request on it */
	if (c->st == C_OPEN && c->n_done == c->n)
		do_read(c);
	n = snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", len);
	hl = strlen(c->head);
	al = strlen(c->auth);
	r = at(c, c->n);
	memset(r, 0, sizeof(*r));
	r->len = hl + (size_t)n + 32 + al + 2 + len;
	r->msg = malloc(r->len + 1);
	if (!r->msg)
		return -ENOMEM;
	/* Kea's order: Host, Content-Length, Content-Type */
	r->len = (size_t)sprintf(r->msg, "%s%sContent-Type: application/json\r\n%s\r\n",
				 c->head, clen, c->auth);
	memcpy(r->msg + r->len, body, len);
	r->len += len;
	r->id = c->next_id++;
	r->deadline = now_ms() + c->response_ms;
	r->res.id = r->id;
	c->n++;
	kick(c);
	return (int64_t)r->id;
}

int ha_http_conn_pollfd(const struct ha_http_conn *c, short *events)
{
	*events = 0;
	if (c->fd < 0)
		return -1;
	if (c->st == C_CONNECTING)
		*events = POLLOUT;
	else
		*events = POLLIN | (c->wr < c->n ? POLLOUT : 0);
	return c->fd;
}

int ha_http_conn_timeout(const struct ha_http_conn *c)
{
	uint64_t now = now_ms(), dl;

	if (c->n_done == c->n)
		return -1;
	if (c->st == C_CLOSED)
		return 0;
	dl = cat(c, c->n_done)->deadline;
	if (c->st == C_CONNECTING && c->connect_deadline < dl)
		dl = c->connect_deadline;
	return dl <= now ? 0 : (int)(dl - now > 3600000 ? 3600000 : dl - now);
}

unsigned ha_http_conn_process(struct ha_http_conn *c, short revents)
{
	if (c->st == C_CONNECTING && !revents) {
		/* the caller did not poll: look for ourselves */
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

		if (poll(&pfd, 1, 0) > 0)
			revents = pfd.revents;
	}
	if (c->st == C_CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP)))
		connect_done(c);
	if (c->st == C_OPEN)
		do_read(c);              /* non-blocking: nothing there is EAGAIN */
	kick(c);
	if (c->st == C_OPEN && c->n_done < c->n)
		do_read(c);
	expire(c, now_ms());
	return c->n_done;
}

int ha_http_conn_result(struct ha_http_conn *c, struct ha_http_result *r)
{
	struct req *q;

	if (!c->n_done)
		return 0;
	q = at(c, 0);
	*r = q->res;
	q->res.body = NULL;
	c->first = (c->first + 1) % c->cap;
	c->n--;
	c->n_done--;
	c->wr--;
	return 1;
}

unsigned ha_http_conn_pending(const struct ha_http_conn *c)
{
	return c->n;
}

uint64_t ha_http_conn_connects(const struct ha_http_conn *c)
{
	return c->connects;
}

int ha_http_conn_exchange(struct ha_http_conn *c, const char *body, size_t len,
			  struct ha_http_result *r)
{
	int64_t id;

	if (c->n)
		return -EBUSY;
	id = ha_http_conn_send(c, body, len);
	if (id < 0)
		return (int)id;
	for (;;) {
		struct pollfd pfd = { .fd = -1 };
		int t;

		if (ha_http_conn_result(c, r))
			return 0;
		pfd.fd = ha_http_conn_pollfd(c, &pfd.events);
		t = ha_http_conn_timeout(c);
		if (pfd.fd >= 0 && poll(&pfd, 1, t) < 0 && errno != EINTR)
			pfd.revents = 0;
		ha_http_conn_process(c, pfd.fd >= 0 ? pfd.revents : 0);
	}
}
