/* Unix socket transport with Kea's framing: the client sends one JSON
 * object, the server answers one JSON object and closes.  There is no
 * length prefix, so the end of the request is found by tracking bracket
 * depth outside strings as bytes arrive (linear in the request size, where
 * re-parsing the whole buffer after every read would be quadratic); EOF,
 * the size limit or the deadline also end it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "ctl_priv.h"
#include "util_fs.h"

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file left by a server that died is removed; one that a live
 * server still answers on is not ours to take. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int ctl_unix_open(struct ctl *c)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	rc = fill_addr(c->unix_path, &sa);
	if (rc < 0)
		return rc;
	/* A socket directory under /tmp or /run is gone after a reboot:
	 * make it (only its owner and group may reach the socket). */
	rc = util_mkdir_parent(c->unix_path, 0750);
	if (rc < 0)
		return rc;
	rc = clear_stale(c->unix_path, &sa);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err_close;
	}
	/* The mode is set before listen(): until then a connect() is
	 * refused, so there is no window with the umask's looser mode. */
	if (chmod(c->unix_path, c->unix_mode) < 0 || stat(c->unix_path, &st) < 0 ||
	    listen(fd, 16) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	c->unix_fd = fd;
	c->unix_dev = st.st_dev;
	c->unix_ino = st.st_ino;
	return 0;

err_unlink:
	unlink(c->unix_path);
err_close:
	close(fd);
	return rc;
}

static json_t *answer_too_large(const struct ctl *c)
{
	char text[96];

	snprintf(text, sizeof(text), "request larger than %zu bytes", c->max_request);
	return ctl_answer(CTL_ERROR, text, NULL);
}

static void client_close(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);      /* also drops it from the epoll set */
	free(cl->buf);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->state = CTL_CL_FREE;
}

void ctl_unix_close(struct ctl *c)
{
	struct stat st;

	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CTL_CL_FREE)
			client_close(&c->clients[i]);
	if (c->unix_fd < 0)
		return;
	close(c->unix_fd);
	c->unix_fd = -1;
	/* Only our own file: a successor may already have replaced it. */
	if (lstat(c->unix_path, &st) == 0 && st.st_dev == c->unix_dev &&
	    st.st_ino == c->unix_ino)
		unlink(c->unix_path);
}

/* Write what we can; 1 when done, 0 when the socket is full, <0 on error. */
static int client_flush(struct ctl_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		cl->out_off += (size_t)n;
	}
	return 1;
}

static void client_answer(struct ctl *c, struct ctl_client *cl, json_t *ans, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = tag };

	cl->out = ctl_dump(ans, &cl->out_len);
	json_decref(ans);
	free(cl->buf);
	cl->buf = NULL;
	cl->len = cl->cap = 0;
	if (cl->out == NULL || client_flush(cl) != 0) {
		client_close(cl);
		return;
	}
	/* Slow reader: finish from the loop, with a fresh deadline. */
	cl->state = CTL_CL_WRITE;
	cl->deadline_ms = ctl_now_ms() + c->idle_ms;
	if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev) < 0)
		client_close(cl);
}

/* Advance the bracket scanner; returns the length of the complete request
 * or 0 when more bytes are needed. */
static size_t client_scan(struct ctl_client *cl)
{
	for (; cl->scan < cl->len; cl->scan++) {
		char ch = cl->buf[cl->scan];

		if (!cl->started) {
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			cl->started = true;
			/* Not an object: no point in waiting for more. */
			if (ch != '{')
				return cl->scan + 1;
			cl->depth = 1;
			continue;
		}
		if (cl->in_str) {
			if (cl->esc)
				cl->esc = false;
			else if (ch == '\\')
				cl->esc = true;
			else if (ch == '"')
				cl->in_str = false;
			continue;
		}
		if (ch == '"')
			cl->in_str = true;
		else if (ch == '{' || ch == '[')
			cl->depth++;
		else if ((ch == '}' || ch == ']') && --cl->depth == 0)
			return ++cl->scan;
	}
	return 0;
}

static void client_read(struct ctl *c, struct ctl_client *cl, uint32_t tag)
{
	bool eof = false;
	size_t done = 0;
	ssize_t n;

	for (;;) {
		if (cl->len == cl->cap) {
			/* One byte past the limit tells "too large" from "exactly at it". */
			size_t cap = cl->cap ? cl->cap * 2 : 4096;
			char *b;

			if (cap > c->max_request + 1)
				cap = c->max_request + 1;
			if (cap <= cl->len) {
				client_answer(c, cl, answer_too_large(c), tag);
				return;
			}
			b = realloc(cl->buf, cap);
			if (b == NULL) {
				client_close(cl);
				return;
			}
			cl->buf = b;
			cl->cap = cap;
		}
		n = recv(cl->fd, cl->buf + cl->len, cl->cap - cl->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_close(cl);
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		cl->len += (size_t)n;
		done = client_scan(cl);
		if (done > 0)
			break;
	}
	if (done > c->max_request || (done == 0 && cl->len > c->max_request)) {
		client_answer(c, cl, answer_too_large(c), tag);
		return;
	}
	if (done == 0 && !eof)
		return;
	if (done == 0 && cl->len == 0) {
		client_close(cl);   /* connected and left without a word */
		return;
	}
	/* Complete object, or EOF with something: let the parser judge it. */
	client_answer(c, cl, ctl_run_request(c, cl->buf, done ? done : cl->len, NULL), tag);
}

static void accept_all(struct ctl *c)
{
	for (;;) {
		int fd = accept4(c->unix_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *cl = NULL;
		unsigned i;

		if (fd < 0)
			return;     /* EAGAIN, or an error we cannot act on now */
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			if (c->clients[i].state == CTL_CL_FREE) {
				cl = &c->clients[i];
				break;
			}
		}
		if (cl == NULL) {
			/* Full: say so rather than leave it queued. */
			static const char busy[] =
				"{\"result\": 1, \"text\": \"too many control connections\"}";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;    /* best effort */
			close(fd);
			continue;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = CTL_EV_CLIENT0 + i };

		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->state = CTL_CL_READ;
		cl->deadline_ms = ctl_now_ms() + c->idle_ms;
	}
}

void ctl_unix_event(struct ctl *c, uint32_t tag, uint32_t events)
{
	struct ctl_client *cl;
	int rc;

	if (tag == CTL_EV_UNIX_LISTEN) {
		accept_all(c);
		return;
	}
	if (tag < CTL_EV_CLIENT0 || tag >= CTL_EV_CLIENT0 + CTL_MAX_CLIENTS)
		return;
	cl = &c->clients[tag - CTL_EV_CLIENT0];
	if (cl->state == CTL_CL_READ) {
		client_read(c, cl, tag);
	} else if (cl->state == CTL_CL_WRITE) {
		rc = client_flush(cl);
		if (rc != 0 || (events & (EPOLLERR | EPOLLHUP)))
			client_close(cl);
	}
}

int ctl_unix_timeout(struct ctl *c, uint64_t now)
{
	uint64_t first = UINT64_MAX;

	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CTL_CL_FREE && c->clients[i].deadline_ms < first)
			first = c->clients[i].deadline_ms;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return first - now > INT_MAX ? INT_MAX : (int)(first - now);
}

void ctl_unix_expire(struct ctl *c, uint64_t now)
{
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = &c->clients[i];

		if (cl->state == CTL_CL_FREE || cl->deadline_ms > now)
			continue;
		if (cl->state == CTL_CL_WRITE) {
			client_close(cl);   /* reader stopped reading */
			continue;
		}
		/* Tell the client why before closing, as Kea does. */
		client_answer(c, cl, ctl_answer(CTL_ERROR,
			"timed out waiting for a complete request", NULL), CTL_EV_CLIENT0 + i);
	}
}
