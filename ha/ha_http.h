/* The HA peer link's HTTP/1.1 client: POST / with a JSON body to one peer
 * over a kernel TCP socket (IPv4 or IPv6), on a persistent connection.
 *
 * Made for the HA thread's poll loop, never an lcore: every call is
 * non-blocking.  The thread asks each connection for its descriptor and
 * the events it waits for (ha_http_conn_pollfd), for how long it may sleep
 * (ha_http_conn_timeout), calls ha_http_conn_process with what poll saw
 * (also on a poll timeout, with 0), and takes finished exchanges out with
 * ha_http_conn_result, in the order they were sent.
 *
 * One request is outstanding at a time unless the params allow more
 * (max_pipeline > 1): then up to that many are written back to back and
 * the answers read in order (HTTP/1.1 pipelining), which Peregrine peers
 * use for lease updates.  Kea's own client sends one at a time, and Kea
 * 2.2's HA listener must be given one at a time: of three heartbeats
 * pipelined to it (libdhcp_ha.so, http-dedicated-listener) it answered
 * the first and never the other two.
 *
 * The connection is opened on the first request and kept open (keep-
 * alive).  A peer that closed it meanwhile, or closes it before sending a
 * byte of the answer, gets the request again on a new connection, once;
 * an answer with "Connection: close" ends the connection after it, and
 * the requests written behind it go again on a new one.  Everything else
 * (timeout, refused connection, truncated, malformed or oversized answer)
 * fails the outstanding requests with a reason and closes the connection;
 * the next request opens a new one.
 *
 * Answers must carry Content-Length (Kea's do); chunked transfer coding
 * is refused.  All buffers are bounded by the params. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_HTTP_MAX_PIPELINE 64
#define HA_HTTP_HEADER_MAX   8192        /* status line + headers of an answer */

struct ha_http_params {
	const char *host;            /* literal IPv4 or IPv6 address (no name lookup) */
	uint16_t port;
	const char *path;            /* NULL: "/" */
	const char *user;            /* NULL: no Authorization header */
	const char *password;        /* with user: HTTP Basic authentication */
	unsigned connect_timeout_ms; /* 0: 2000 */
	unsigned response_timeout_ms;/* from the send to the whole answer; 0: 10000 */
	size_t max_body;             /* largest answer body taken; 0: 16 MiB */
	unsigned max_pipeline;       /* 0 or 1: one at a time; up to HA_HTTP_MAX_PIPELINE */
};

/* What one exchange came to. */
struct ha_http_result {
	uint64_t id;                 /* ha_http_conn_send's return */
	int err;                     /* 0: an answer came (status set); else -errno */
	int status;                  /* HTTP status code of the answer, 0 when none */
	char *body;                  /* the answer body, NUL-terminated (caller frees) */
	size_t body_len;
	char reason[128];            /* with err: why, for the log */
};

struct ha_http_conn;

/* NULL with errno (EINVAL: a field out of range, the host no address). */
struct ha_http_conn *ha_http_conn_new(const struct ha_http_params *p);
/* Closes the socket; unread results and outstanding requests are dropped. */
void ha_http_conn_free(struct ha_http_conn *c);

/* Queue POST <path> with `body` (JSON text, len bytes).  Returns the
 * request's id (>= 1), or -EBUSY when max_pipeline requests (counting
 * finished ones not yet taken by ha_http_conn_result) are in hand,
 * -ENOMEM.  It starts connecting (when there is no connection) and
 * writes what the socket takes at once; ha_http_conn_process does the
 * rest. */
int64_t ha_http_conn_send(struct ha_http_conn *c, const char *body, size_t len);

/* The descriptor to poll and the events wanted (POLLIN/POLLOUT); -1 when
 * there is no socket (nothing to wait for). */
int ha_http_conn_pollfd(const struct ha_http_conn *c, short *events);
/* Milliseconds until the earliest deadline (0: due), -1: none. */
int ha_http_conn_timeout(const struct ha_http_conn *c);
/* Do what can be done without blocking: connect, write, read, expire
 * deadlines.  revents: what poll reported for the descriptor (0 after a
 * timeout or when unknown).  Returns the number of results ready. */
unsigned ha_http_conn_process(struct ha_http_conn *c, short revents);
/* The oldest finished exchange into *r: 1, or 0 when the oldest is still
 * under way (or none is).  r->body is the caller's. */
int ha_http_conn_result(struct ha_http_conn *c, struct ha_http_result *r);

/* Requests in hand (sent or queued, and finished but not taken). */
unsigned ha_http_conn_pending(const struct ha_http_conn *c);
/* TCP connections this client opened so far (keep-alive shows as 1). */
uint64_t ha_http_conn_connects(const struct ha_http_conn *c);

/* Send and wait for the answer: the loop above, polling only this
 * connection.  For callers with nothing else to do meanwhile (tests,
 * one-off commands).  The return of ha_http_conn_send on refusal, else 0
 * with *r filled (r->err says how the exchange went). */
int ha_http_conn_exchange(struct ha_http_conn *c, const char *body, size_t len,
			  struct ha_http_result *r);
