/* Control channel: Kea's JSON command protocol over a unix socket and a
 * loopback HTTP listener, plus Prometheus text at GET /metrics.
 *
 *   request   {"command": "statistic-get", "arguments": {...}}
 *   answer    {"result": 0|1|2|3, "text": "...", "arguments": {...}}
 *
 * The library owns transport, framing, limits (size, idle timeout), the
 * command registry and list-commands; the server registers the handlers.
 * Handlers run on the control thread, one at a time, and may block (e.g.
 * wait for the workers to answer a message) but never for long.
 *
 * Threading: one control thread serves the unix socket and HTTP
 * (libmicrohttpd driven from the same epoll loop, no MHD threads).  Every
 * handler call and every metrics call holds one mutex, so they never
 * overlap, also with ctl_execute() called from another thread (SIGHUP).
 * A handler must not call ctl_execute() itself (same mutex: deadlock), nor
 * ctl_stop()/ctl_free() (they join the control thread): a "shutdown"
 * handler should answer and signal the main thread, which then stops us.
 * While a handler runs, no other control request is served.
 *
 * JSON ownership: `args` is borrowed (valid during the call only; incref it
 * to keep it).  *out_args is stolen by the library, also when the handler
 * returns an error; it may be any JSON type (list-commands answers a list).
 * The answer carries "text" only if the handler wrote a non-empty one;
 * textlen is 1024 today.  A handler returning anything outside 0..3 is
 * answered as result 1 "internal error".
 *
 * What the library answers itself (the handler is not called):
 *   not JSON, duplicate keys, bytes after the object (HTTP)
 *                                   result 1 "invalid JSON: ..."
 *   not a map, no "command", "command" not a string,
 *   "arguments" present but not a map (null too)   result 1
 *   unknown command                 result 2 "'foo' command not supported"
 *   request > max_request           result 1 (unix) / HTTP 413 (HTTP)
 *   unix client without a complete request idle_timeout_ms after it
 *   connected: result 1 "timed out ..." and closed (an answer it does not
 *   read within idle_timeout_ms is dropped); HTTP: closed by MHD after
 *   ceil(idle_timeout_ms / 1000) s without activity (MHD counts seconds).
 * At most 32 unix and 32 HTTP connections are served at once; more get an
 * error answer (unix) or are refused by MHD.
 *
 * HTTP: POST / with the command (Content-Type is not checked), answered
 * 200 with the JSON answer whatever its result.  A request carrying a
 * "service" key (Kea Control Agent style) is answered with a one-element
 * list [ {answer} ], as Kea's CA does when it forwards; otherwise the bare
 * object.  GET /metrics → metrics callback text, "text/plain; version=0.0.4"
 * (404 if no callback).  Basic auth, when configured, guards every path
 * (401 with WWW-Authenticate).  Unix socket: one JSON object in, one out,
 * then close; the request ends when its outermost {...} is complete (or at
 * EOF), bytes after it are ignored. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum ctl_result {
	CTL_SUCCESS = 0,
	CTL_ERROR = 1,
	CTL_UNSUPPORTED = 2,
	CTL_EMPTY = 3,
	CTL_CONFLICT = 4,             /* Kea's: a lease change conflicts (bulk-apply entries) */
	CTL_NOT_ALLOWED = 1001,       /* Kea HA's: the command is not allowed now */
};

/* A command handler.  `args` is the request's "arguments" (NULL if absent).
 * It returns an enum ctl_result, writes the "text" into text[textlen]
 * (may be left empty), and may set *out_args to a new JSON reference that
 * becomes the answer's "arguments" (the library takes ownership). */
typedef int (*ctl_handler_fn)(const json_t *args, json_t **out_args, char *text,
			      size_t textlen, void *ctx);

struct ctl_params {
	const char *unix_path;        /* NULL: no unix socket */
	unsigned unix_mode;           /* e.g. 0600; 0 = 0600 */
	const char *http_addr;        /* NULL: no HTTP; normally "127.0.0.1" */
	uint16_t http_port;           /* 0: any free port, see ctl_http_port() */
	const char *http_user;        /* basic auth, both NULL: none */
	const char *http_password;
	/* The HA peer listener (issue 16, docs/ha-plan.md): the partner's
	 * commands on this server's own peer URL, over HTTP like http_*,
	 * every answer a JSON list as Kea's HA listener sends it, and only
	 * the commands a partner sends (ctl_peer_command); no /metrics.
	 * NULL: none.  Its own basic auth (both NULL: none). */
	const char *peer_addr;
	uint16_t peer_port;           /* 0: any free port, see ctl_peer_port() */
	const char *peer_user;
	const char *peer_password;
	size_t max_request;           /* bytes; 0 = 1 MiB */
	unsigned idle_timeout_ms;     /* a client that sends nothing; 0 = 10 s */
};

struct ctl;

/* NULL + errno: EINVAL if none of unix_path, http_addr, peer_addr, an
 * empty one, mode bits beyond 07777, only one of a user/password pair, or
 * ':' in a user. */
struct ctl *ctl_create(const struct ctl_params *p);
/* 0, -EEXIST, -ENOMEM.  Register before ctl_start (-EBUSY after);
 * -EINVAL for an empty name, one over 64 bytes or with spaces/quotes.
 * "list-commands" is built in (-EEXIST). */
int ctl_register(struct ctl *c, const char *command, ctl_handler_fn fn, void *ctx);
/* GET /metrics writes Prometheus text exposition through fn. */
void ctl_set_metrics(struct ctl *c, int (*fn)(FILE *out, void *ctx), void *ctx);
/* Binds and starts the control thread: 0 or -errno.  -EADDRINUSE if a live
 * server answers on unix_path (a stale socket file is removed), -EEXIST if
 * unix_path exists and is not a socket, -ENAMETOOLONG, -EINVAL for a bad
 * http_addr, bind(2) errors for the HTTP port, -EALREADY if running. */
int ctl_start(struct ctl *c);
void ctl_stop(struct ctl *c);     /* closes listeners, joins the thread; unlinks
				   * the socket file if it is still ours */
void ctl_free(struct ctl *c);

/* Run one request synchronously on the caller's thread (tests; the
 * server's SIGHUP path).  Returns the answer object (caller decrefs). */
json_t *ctl_execute(struct ctl *c, const char *request, size_t len);

/* Inside a handler (on the thread running it): the request's "service"
 * value as a Kea Control Agent client sends it (e.g. ["dhcp6"]: the
 * DHCPv6 server is meant), NULL when the request had none.  Borrowed,
 * valid until the handler returns; not checked for shape. */
const json_t *ctl_request_service(const struct ctl *c);
/* Added: inside a handler, true when the running request arrived on the
 * HA peer listener (the partner sent it), false on the control channel
 * (unix socket, http-control, ctl_execute).  Per thread: false on any
 * thread that is not running a handler. */
bool ctl_request_peer(void);

/* Added: the HTTP port actually bound while started (http_port 0 in the
 * params picks a free one, which tests use), 0 when not listening. */
uint16_t ctl_http_port(const struct ctl *c);
/* The same for the HA peer listener. */
uint16_t ctl_peer_port(const struct ctl *c);
/* True for the commands the HA peer listener serves: ha-*, lease4-*,
 * lease6-*, dhcp-disable, dhcp-enable, status-get, version-get,
 * list-commands.  Anything else a partner has no business sending. */
bool ctl_peer_command(const char *name);
