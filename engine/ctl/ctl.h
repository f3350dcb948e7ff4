/* Control channel: Kea's JSON command protocol over a unix socket and a
 * loopback HTTP listener, plus Prometheus text at GET /metrics.
 *
 *   request   {"command": "statistic-get", "arguments": {...}}
 *   answer    {"result": 0|1|2|3, "text": "...", "arguments": {...}}
 *
 * The library owns transport, framing, limits (size, idle timeout), the
 * command registry and list-commands; the server registers the handlers.
 * Handlers run on the control thread, one at a time, and may block (e.g.
 * wait for the workers to answer a message) but never for long. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum ctl_result {
	CTL_SUCCESS = 0,
	CTL_ERROR = 1,
	CTL_UNSUPPORTED = 2,
	CTL_EMPTY = 3,
};

/* A command handler.  `args` is the request's "arguments" (NULL if absent).
 * It returns an enum ctl_result, writes the "text" into text[textlen]
 * (may be left empty), and may set *out_args to a new JSON reference that
 * becomes the answer's "arguments" (the library takes ownership). */
typedef int (*ctl_handler_fn)(const json_t *args, json_t **out_args, char *text,
			      size_t textlen, void *ctx);

struct ctl_params {
	const char *unix_path;        /* NULL: no unix socket */
	unsigned unix_mode;           /* e.g. 0600 */
	const char *http_addr;        /* NULL: no HTTP; normally "127.0.0.1" */
	uint16_t http_port;
	const char *http_user;        /* basic auth, both NULL: none */
	const char *http_password;
	size_t max_request;           /* bytes; 0 = 1 MiB */
	unsigned idle_timeout_ms;     /* a client that sends nothing; 0 = 10 s */
};

struct ctl;

struct ctl *ctl_create(const struct ctl_params *p);      /* NULL + errno */
/* 0, -EEXIST, -ENOMEM.  Register before ctl_start. */
int ctl_register(struct ctl *c, const char *command, ctl_handler_fn fn, void *ctx);
/* GET /metrics writes Prometheus text exposition through fn. */
void ctl_set_metrics(struct ctl *c, int (*fn)(FILE *out, void *ctx), void *ctx);
int ctl_start(struct ctl *c);     /* binds and starts the control thread: 0 or -errno */
void ctl_stop(struct ctl *c);     /* closes listeners, joins the thread */
void ctl_free(struct ctl *c);

/* Run one request synchronously on the caller's thread (tests; the
 * server's SIGHUP path).  Returns the answer object (caller decrefs). */
json_t *ctl_execute(struct ctl *c, const char *request, size_t len);
