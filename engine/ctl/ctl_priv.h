/* Control channel internals shared by the core, the unix socket transport
 * and the HTTP transport.  Not a public header. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include "ctl.h"

#define CTL_DEFAULT_MAX_REQUEST (1u << 20)
#define CTL_DEFAULT_IDLE_MS 10000u
#define CTL_MAX_CLIENTS 32          /* unix connections served at once */
#define CTL_HTTP_MAX_CONN 32        /* HTTP connections served at once */
#define CTL_NAME_MAX 64             /* longest command name we register */

/* epoll tags (data.u32): fixed sources first, then unix client slots. */
enum {
	CTL_EV_STOP = 0,
	CTL_EV_UNIX_LISTEN = 1,
	CTL_EV_HTTP = 2,
	CTL_EV_PEER = 3,
	CTL_EV_CLIENT0 = 16,
};

struct ctl_cmd {
	char *name;
	ctl_handler_fn fn;
	void *ctx;
};

enum ctl_client_state { CTL_CL_FREE, CTL_CL_READ, CTL_CL_WRITE };

struct ctl_client {
	int fd;
	enum ctl_client_state state;
	uint64_t deadline_ms;       /* monotonic */
	char *buf;                  /* request bytes */
	size_t len, cap;
	/* incremental object detection over buf[0..scan) */
	size_t scan;
	unsigned depth;
	bool started, in_str, esc;
	char *out;                  /* answer being written */
	size_t out_len, out_off;
};

/* One HTTP listener: [CTL_HTTP_CONTROL] http-control (Kea's Control
 * Agent), [CTL_HTTP_PEER] the HA peer listener. */
enum { CTL_HTTP_CONTROL, CTL_HTTP_PEER, CTL_HTTP_N };
struct ctl_http {
	struct ctl *c;
	char *addr;                 /* NULL: not configured */
	uint16_t port, bound_port;
	char *user, *password;      /* basic auth, NULL: none */
	bool peer;
	struct MHD_Daemon *mhd;
};

struct ctl {
	/* copied parameters (strings owned) */
	char *unix_path;
	unsigned unix_mode;
	struct ctl_http http[CTL_HTTP_N];
	size_t max_request;
	unsigned idle_ms;

	struct ctl_cmd *cmds;       /* sorted by name */
	size_t n_cmds, cap_cmds;
	int (*metrics_fn)(FILE *out, void *ctx);
	void *metrics_ctx;

	/* Held around every handler and metrics call: one at a time, whether
	 * the request came over unix, HTTP or ctl_execute on another thread. */
	pthread_mutex_t run_lock;
	/* The running request's "service" value (ctl_request_service), set
	 * around its handler call under run_lock; NULL otherwise. */
	const json_t *service;

	bool running;
	pthread_t thread;
	int epfd, stopfd;

	int unix_fd;
	dev_t unix_dev;             /* identity of the socket file we created, */
	ino_t unix_ino;             /* so ctl_stop unlinks only our own */
	struct ctl_client clients[CTL_MAX_CLIENTS];

};

uint64_t ctl_now_ms(void);
/* A fresh answer object; text may be NULL or empty (then omitted). */
json_t *ctl_answer(int result, const char *text, json_t *args);
/* Parse and run one request.  *service is set when the request carried a
 * "service" key (HTTP wraps the answer in a list then, as Kea's CA does). */
json_t *ctl_run_request(struct ctl *c, const char *req, size_t len, bool *service);
/* The same from the HA peer listener: only ctl_peer_command()s run. */
json_t *ctl_run_peer_request(struct ctl *c, const char *req, size_t len);
/* Serialise an answer to a malloc'd string (NUL terminated). */
char *ctl_dump(const json_t *answer, size_t *len);

int ctl_unix_open(struct ctl *c);
void ctl_unix_close(struct ctl *c);
void ctl_unix_event(struct ctl *c, uint32_t tag, uint32_t events);
int ctl_unix_timeout(struct ctl *c, uint64_t now);   /* ms until next deadline, -1 none */
void ctl_unix_expire(struct ctl *c, uint64_t now);

/* Every configured HTTP listener (c->http[]) at once. */
int ctl_http_open(struct ctl *c);
void ctl_http_close(struct ctl *c);
void ctl_http_run(struct ctl *c);
int ctl_http_timeout(struct ctl *c);                 /* ms, -1 none */
