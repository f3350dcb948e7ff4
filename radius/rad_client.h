/* An asynchronous RADIUS client: many requests in flight over one UDP
 * socket per server, driven by its owner's event loop (the RADIUS
 * thread), never blocking.
 *
 *   c = rad_client_create(&cfg)              servers in preference order
 *   rad_client_send(c, &req, done, arg)      queue one request
 *   loop:
 *     n = rad_client_pollfds(c, fds, max)    sockets to poll for POLLIN
 *     poll(fds, n, rad_client_next_ms(c, now))
 *     rad_client_run(c, now_ms)              read answers, retransmit,
 *                                            fail over, call done()
 *
 * A request goes to the first server that is not dead; no answer within
 * `timeout_ms` → sent again (same identifier and authenticator, RFC 2865
 * 2.5), up to `retries` sends in all on that server, then the next server
 * (a new identifier and authenticator); after the last server, done() gets
 * RAD_RES_TIMEOUT.  A server that let a request time out is dead for
 * `deadtime_s` seconds (0: never marked dead) unless it is the only one
 * left.  An answer that does not check (rad_pkt_check_answer) is counted
 * and ignored: the request keeps waiting.
 *
 * Identifiers: 256 per socket; a server gets more sockets (up to
 * RAD_CLIENT_SOCKS) when more requests are in flight; requests beyond
 * that wait in the client's queue (bounded: rad_client_send fails).
 *
 * One thread owns a client; nothing here locks. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include "rad_pkt.h"

#define RAD_CLIENT_SERVERS_MAX 8
#define RAD_CLIENT_SOCKS       8        /* sockets per server: 2,048 in flight */
#define RAD_CLIENT_QUEUE_MAX   65536    /* requests held, in flight or waiting */

struct rad_server_cfg {
	bool v6;
	uint32_t addr4;                 /* host order */
	uint8_t addr6[16];
	uint16_t port;
	const char *secret;             /* copied */
	const char *name;               /* for statistics: copied */
};

struct rad_client_cfg {
	struct rad_server_cfg servers[RAD_CLIENT_SERVERS_MAX];
	unsigned n_servers;
	uint32_t timeout_ms;            /* per send */
	uint32_t retries;               /* sends per server, >= 1 */
	uint32_t deadtime_s;
	/* Local address the sockets bind to ("*": any): v4 or v6 literal. */
	const char *bindaddr;
	/* Refuse answers without a Message-Authenticator (to Access-Requests,
	 * which always carry one).  A present one is always checked. */
	bool require_msg_auth;
};

/* What a request is: its code and its attributes (encoded; the client
 * adds the header, the identifier, the authenticator and, for an
 * Access-Request, a Message-Authenticator).  `password` (NULL: none) is
 * sent hidden as User-Password. */
struct rad_request {
	uint8_t code;                   /* RAD_ACCESS_REQUEST or RAD_ACCOUNTING_REQUEST */
	const uint8_t *attrs;           /* copied */
	uint16_t attrs_len;
	const char *password;
};

enum rad_result {
	RAD_RES_ANSWER,                 /* an answer that checked: see its code */
	RAD_RES_TIMEOUT,                /* no server answered */
	RAD_RES_ERROR,                  /* could not send at all (no socket, bad request) */
};

/* Called from rad_client_run (or rad_client_destroy with RAD_RES_ERROR
 * for requests still held).  `ans` / `len`: the checked answer (valid for
 * the call only), NULL otherwise; `server`: the index of the server that
 * answered (or last tried). */
typedef void rad_done_fn(void *arg, enum rad_result res, const uint8_t *ans, size_t len,
			 unsigned server);

struct rad_server_stats {
	uint64_t requests;              /* first sends to this server */
	uint64_t retransmissions;
	uint64_t accepts, rejects, challenges, acct_responses;
	uint64_t timeouts;              /* requests that gave up on this server */
	uint64_t bad_answers;           /* failed rad_pkt_check_answer / unknown identifier */
	uint64_t latency_us_sum;        /* first send to answer, answered requests */
	uint64_t latency_us_max;
	bool dead;                      /* in its deadtime now */
};

struct rad_client;

/* NULL + errno (EINVAL: no server, bad bindaddr; socket errors). */
struct rad_client *rad_client_create(const struct rad_client_cfg *cfg);
void rad_client_destroy(struct rad_client *c);
/* Queue a request.  0, or -1 with errno ENOBUFS (queue full), EINVAL. */
int rad_client_send(struct rad_client *c, const struct rad_request *r, rad_done_fn *done,
		    void *arg, uint64_t now_ms);
/* Read what arrived, retransmit what is due, call done() for what ended.
 * Returns how many requests ended. */
unsigned rad_client_run(struct rad_client *c, uint64_t now_ms);
/* The sockets to poll (POLLIN), at most max; their count. */
unsigned rad_client_pollfds(const struct rad_client *c, struct pollfd *fds, unsigned max);
/* Milliseconds until the next retransmission or deadline (-1: nothing
 * pending), for poll(). */
int rad_client_next_ms(const struct rad_client *c, uint64_t now_ms);
/* Requests held (in flight + queued). */
unsigned rad_client_pending(const struct rad_client *c);
unsigned rad_client_n_servers(const struct rad_client *c);
const char *rad_client_server_name(const struct rad_client *c, unsigned i);
void rad_client_stats(const struct rad_client *c, unsigned i, struct rad_server_stats *out);
/* Monotonic milliseconds (CLOCK_MONOTONIC), the clock now_ms is on. */
uint64_t rad_now_ms(void);
