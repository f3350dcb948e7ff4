/* Control channel core: parameters, the command registry, request
 * dispatch, and the control thread's event loop.
 *
 * One thread serves both transports from one epoll set: the unix listener
 * and its clients (ctl_unix.c) and libmicrohttpd driven in "external
 * polling" mode through its own epoll fd (ctl_http.c).  Nothing in the loop
 * blocks on a client, so a client that connects and never sends costs one
 * slot until its deadline and nothing else.  Handlers run inline on this
 * thread, so two requests never run at the same time; ctl_execute() from
 * another thread takes the same run_lock. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "ctl_priv.h"

#define CTL_TEXT_MAX 1024

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *dup_opt(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

/* An HTTP listener's parameters: no address, or a non-empty one with
 * both or neither of user and password, no ':' in the user. */
static bool http_params_ok(const char *addr, const char *user, const char *password)
{
	return (addr == NULL || addr[0] != '\0') && (user == NULL) == (password == NULL) &&
	       (user == NULL || strchr(user, ':') == NULL);
}

static void http_init(struct ctl *c, unsigned i, const char *addr, uint16_t port,
		      const char *user, const char *password, bool *fail)
{
	struct ctl_http *h = &c->http[i];

	h->c = c;
	h->peer = i == CTL_HTTP_PEER;
	h->addr = dup_opt(addr, fail);
	h->port = port;
	h->user = dup_opt(user, fail);
	h->password = dup_opt(password, fail);
}

static void http_free(struct ctl *c)
{
	for (unsigned i = 0; i < CTL_HTTP_N; i++) {
		free(c->http[i].addr);
		free(c->http[i].user);
		free(c->http[i].password);
	}
}

struct ctl *ctl_create(const struct ctl_params *p)
{
	struct ctl *c;
	bool fail = false;

	if (p == NULL || (p->unix_path == NULL && p->http_addr == NULL && p->peer_addr == NULL) ||
	    (p->unix_path != NULL && p->unix_path[0] == '\0') ||
	    (p->unix_mode & ~07777u) != 0 ||
	    !http_params_ok(p->http_addr, p->http_user, p->http_password) ||
	    !http_params_ok(p->peer_addr, p->peer_user, p->peer_password)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto err_nomem;
	c->unix_fd = -1;
	c->epfd = -1;
	c->stopfd = -1;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->unix_path = dup_opt(p->unix_path, &fail);
	c->unix_mode = p->unix_mode ? p->unix_mode : 0600;
	http_init(c, CTL_HTTP_CONTROL, p->http_addr, p->http_port, p->http_user,
		  p->http_password, &fail);
	http_init(c, CTL_HTTP_PEER, p->peer_addr, p->peer_port, p->peer_user,
		  p->peer_password, &fail);
	if (fail)
		goto err_free;
	c->max_request = p->max_request ? p->max_request : CTL_DEFAULT_MAX_REQUEST;
	c->idle_ms = p->idle_timeout_ms ? p->idle_timeout_ms : CTL_DEFAULT_IDLE_MS;
	if (pthread_mutex_init(&c->run_lock, NULL) != 0)
		goto err_free;
	return c;

err_free:
	free(c->unix_path);
	http_free(c);
	free(c);
err_nomem:
	errno = ENOMEM;
	return NULL;
}

static int cmd_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_cmd *)a)->name, ((const struct ctl_cmd *)b)->name);
}

static const struct ctl_cmd *cmd_find(const struct ctl *c, const char *name)
{
	struct ctl_cmd key = { .name = (char *)name };

	if (c->n_cmds == 0)
		return NULL;
	return bsearch(&key, c->cmds, c->n_cmds, sizeof(key), cmd_cmp);
}

static bool name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (s[n] <= ' ' || s[n] > '~' || s[n] == '"' || s[n] == '\\')
			return false;
	return n > 0 && n <= CTL_NAME_MAX;
}

int ctl_register(struct ctl *c, const char *command, ctl_handler_fn fn, void *ctx)
{
	struct ctl_cmd *n;

	if (c == NULL || command == NULL || fn == NULL || !name_ok(command))
		return -EINVAL;
	/* The registry is read without a lock by the control thread. */
	if (c->running)
		return -EBUSY;
	if (strcmp(command, "list-commands") == 0 || cmd_find(c, command) != NULL)
		return -EEXIST;
	if (c->n_cmds == c->cap_cmds) {
		size_t cap = c->cap_cmds ? c->cap_cmds * 2 : 32;

		n = realloc(c->cmds, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		c->cmds = n;
		c->cap_cmds = cap;
	}
	n = &c->cmds[c->n_cmds];
	n->name = strdup(command);
	if (n->name == NULL)
		return -ENOMEM;
	n->fn = fn;
	n->ctx = ctx;
	c->n_cmds++;
	qsort(c->cmds, c->n_cmds, sizeof(*c->cmds), cmd_cmp);
	return 0;
}

void ctl_set_metrics(struct ctl *c, int (*fn)(FILE *out, void *ctx), void *ctx)
{
	c->metrics_fn = fn;
	c->metrics_ctx = ctx;
}

uint16_t ctl_http_port(const struct ctl *c)
{
	return c->running ? c->http[CTL_HTTP_CONTROL].bound_port : 0;
}

uint16_t ctl_peer_port(const struct ctl *c)
{
	return c->running ? c->http[CTL_HTTP_PEER].bound_port : 0;
}

bool ctl_peer_command(const char *name)
{
	static const char *const exact[] = {
		"dhcp-disable", "dhcp-enable", "status-get", "version-get", "list-commands",
	};

	if (strncmp(name, "ha-", 3) == 0 || strncmp(name, "lease4-", 7) == 0 ||
	    strncmp(name, "lease6-", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	return false;
}

json_t *ctl_answer(int result, const char *text, json_t *args)
{
	json_t *a = json_object();

	if (a == NULL) {
		json_decref(args);
		return NULL;
	}
	json_object_set_new(a, "result", json_integer(result));
	if (text != NULL && text[0] != '\0')
		json_object_set_new(a, "text", json_string(text));
	if (args != NULL)
		json_object_set_new(a, "arguments", args);
	return a;
}

static json_t *answerf(int result, const char *fmt, ...)
{
	char text[CTL_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return ctl_answer(result, text, NULL);
}

static json_t *list_commands(const struct ctl *c)
{
	json_t *names = json_array();
	bool done_self = false;

	if (names == NULL)
		return NULL;
	/* The registry is sorted; slot "list-commands" in where it belongs. */
	for (size_t i = 0; i <= c->n_cmds; i++) {
		if (!done_self && (i == c->n_cmds || strcmp("list-commands", c->cmds[i].name) < 0)) {
			json_array_append_new(names, json_string("list-commands"));
			done_self = true;
		}
		if (i < c->n_cmds)
			json_array_append_new(names, json_string(c->cmds[i].name));
	}
	return ctl_answer(CTL_SUCCESS, NULL, names);
}

static json_t *run_request(struct ctl *c, const char *req, size_t len, bool *service, bool peer);

/* Set around a handler call on the thread that runs it: a handler called
 * by the HA thread or main (SIGHUP) never sees another thread's request. */
static __thread bool req_peer;

bool ctl_request_peer(void)
{
	return req_peer;
}

json_t *ctl_run_request(struct ctl *c, const char *req, size_t len, bool *service)
{
	return run_request(c, req, len, service, false);
}

json_t *ctl_run_peer_request(struct ctl *c, const char *req, size_t len)
{
	return run_request(c, req, len, NULL, true);
}

static json_t *run_request(struct ctl *c, const char *req, size_t len, bool *service, bool peer)
{
	char text[CTL_TEXT_MAX];
	const struct ctl_cmd *cmd;
	json_t *root, *jcmd, *args, *out = NULL, *ans;
	json_error_t err;
	const char *name;
	int rc;

	if (service != NULL)
		*service = false;
	/* Duplicate keys are refused: which "command" would we run? */
	root = json_loadb(req, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return answerf(CTL_ERROR, "invalid JSON: %s (line %d, column %d)",
			       err.text, err.line, err.column);
	if (!json_is_object(root)) {
		ans = answerf(CTL_ERROR, "invalid command: the request must be a JSON map");
		goto out;
	}
	if (service != NULL && json_object_get(root, "service") != NULL)
		*service = true;
	jcmd = json_object_get(root, "command");
	if (jcmd == NULL) {
		ans = answerf(CTL_ERROR, "invalid command: no 'command' key in the request");
		goto out;
	}
	if (!json_is_string(jcmd)) {
		ans = answerf(CTL_ERROR, "invalid command: 'command' must be a string");
		goto out;
	}
	name = json_string_value(jcmd);
	args = json_object_get(root, "arguments");
	if (args != NULL && !json_is_object(args)) {
		ans = answerf(CTL_ERROR, "invalid command '%.64s': 'arguments' must be a map", name);
		goto out;
	}
	if (peer && !ctl_peer_command(name)) {
		ans = answerf(CTL_UNSUPPORTED, "'%.*s' is not served on the HA peer listener",
			      CTL_NAME_MAX * 2, name);
		goto out;
	}
	if (strcmp(name, "list-commands") == 0) {
		ans = list_commands(c);
		goto out;
	}
	cmd = cmd_find(c, name);
	if (cmd == NULL) {
		ans = answerf(CTL_UNSUPPORTED, "'%.*s' command not supported", CTL_NAME_MAX * 2, name);
		goto out;
	}
	text[0] = '\0';
	pthread_mutex_lock(&c->run_lock);
	c->service = json_object_get(root, "service");
	req_peer = peer;
	rc = cmd->fn(args, &out, text, sizeof(text), cmd->ctx);
	req_peer = false;
	c->service = NULL;
	pthread_mutex_unlock(&c->run_lock);
	text[sizeof(text) - 1] = '\0';
	if ((rc < CTL_SUCCESS || rc > CTL_EMPTY) && rc != CTL_NOT_ALLOWED) {
		json_decref(out);
		ans = answerf(CTL_ERROR, "internal error: '%s' handler returned %d", cmd->name, rc);
		goto out;
	}
	ans = ctl_answer(rc, text, out);
out:
	json_decref(root);
	return ans;
}

const json_t *ctl_request_service(const struct ctl *c)
{
	return c->service;
}

json_t *ctl_execute(struct ctl *c, const char *request, size_t len)
{
	return ctl_run_request(c, request, len, NULL);
}

char *ctl_dump(const json_t *answer, size_t *len)
{
	char *s = NULL;

	if (answer != NULL)
		s = json_dumps(answer, JSON_ENSURE_ASCII);
	if (s == NULL) {
		/* Out of memory while answering: still say something. */
		static const char oom[] = "{\"result\": 1, \"text\": \"out of memory\"}";

		s = strdup(oom);
	}
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

static void *ctl_thread(void *arg)
{
	struct epoll_event ev[CTL_MAX_CLIENTS + 8];
	struct ctl *c = arg;

	for (;;) {
		uint64_t now = ctl_now_ms();
		int t_unix, t_http, timeout, n;

		t_unix = ctl_unix_timeout(c, now);
		t_http = ctl_http_timeout(c);
		timeout = t_unix;
		if (t_http >= 0 && (timeout < 0 || t_http < timeout))
			timeout = t_http;
		n = epoll_wait(c->epfd, ev, CTL_MAX_CLIENTS + 8, timeout);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == CTL_EV_STOP)
				return NULL;
			if (tag != CTL_EV_HTTP && tag != CTL_EV_PEER)
				ctl_unix_event(c, tag, ev[i].events);
		}
		/* MHD must run after every wake-up when it asked for a
		 * timeout; running it on every pass is simpler and cheap. */
		ctl_http_run(c);
		/* Deadlines last: a request that arrived while a slow handler
		 * ran has just been read above and is not timed out. */
		ctl_unix_expire(c, ctl_now_ms());
	}
	return NULL;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ctl_start(struct ctl *c)
{
	sigset_t all, old;
	int rc;

	if (c == NULL)
		return -EINVAL;
	if (c->running)
		return -EALREADY;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	c->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stopfd < 0) {
		rc = -errno;
		goto err;
	}
	rc = epoll_add(c->epfd, c->stopfd, CTL_EV_STOP);
	if (rc < 0)
		goto err;
	if (c->unix_path != NULL) {
		rc = ctl_unix_open(c);
		if (rc < 0)
			goto err;
		rc = epoll_add(c->epfd, c->unix_fd, CTL_EV_UNIX_LISTEN);
		if (rc < 0)
			goto err;
	}
	rc = ctl_http_open(c);
	if (rc < 0)
		goto err;
	/* Signals (SIGHUP, SIGTERM...) belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&c->thread, NULL, ctl_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto err;
	pthread_setname_np(c->thread, "ctl");
	c->running = true;
	return 0;

err:
	ctl_http_close(c);
	ctl_unix_close(c);
	if (c->stopfd >= 0)
		close(c->stopfd);
	close(c->epfd);
	c->stopfd = -1;
	c->epfd = -1;
	return rc;
}

void ctl_stop(struct ctl *c)
{
	uint64_t one = 1;

	if (c == NULL || !c->running)
		return;
	if (write(c->stopfd, &one, sizeof(one)) < 0)
		abort(); /* an eventfd write cannot fail here */
	pthread_join(c->thread, NULL);
	c->running = false;
	ctl_http_close(c);
	ctl_unix_close(c);
	close(c->stopfd);
	close(c->epfd);
	c->stopfd = -1;
	c->epfd = -1;
}

void ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	ctl_stop(c);
	for (size_t i = 0; i < c->n_cmds; i++)
		free(c->cmds[i].name);
	free(c->cmds);
	pthread_mutex_destroy(&c->run_lock);
	free(c->unix_path);
	http_free(c);
	free(c);
}
