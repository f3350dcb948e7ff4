/* The asynchronous RADIUS client (rad_client.h).
 *
 * A request lives in one allocation (its attributes, its password, the
 * bytes on the wire) from rad_client_send until its done() call.  While
 * in flight it holds one identifier of one socket of its server (the
 * socket's slot table maps identifiers back to requests) and sits in the
 * timer list; while waiting for an identifier it sits in the wait list.
 *
 * The timer list stays sorted by deadline for free: every deadline is
 * "now + timeout_ms" with the same timeout and a clock that does not go
 * back, so a (re)send appends at the tail and expiry pops the head. */
#include "rad_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IDS_PER_SOCK 256
#define RCVBUF       (1 << 20)          /* a burst of 256 answers per socket fits */

struct rc_list {
	struct rc_list *prev, *next;
};

struct rc_req {
	struct rc_list link;            /* timer list (in flight) or wait list */
	rad_done_fn *done;
	void *arg;
	uint64_t deadline;              /* of the current send */
	uint64_t first_ms;              /* first send to the current server */
	uint32_t sends;                 /* on the current server */
	uint8_t srv, sock, id;
	uint8_t tried;                  /* servers tried, one bit each */
	bool inflight;
	uint8_t code;
	uint16_t attrs_len;
	uint16_t wire_len;
	const char *password;           /* into data, or NULL */
	uint8_t *wire;                  /* into data: the bytes sent (and re-sent) */
	uint8_t data[];                 /* attrs, password, wire */
};

struct rc_sock {
	int fd;
	unsigned n;                     /* identifiers in use */
	uint8_t next_id;                /* where the search for a free one starts */
	struct rc_req *slot[IDS_PER_SOCK];
};

struct rc_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char *secret;
	char *name;
	struct rc_sock socks[RAD_CLIENT_SOCKS];
	unsigned n_socks;
	uint64_t dead_until;            /* ms; dead while now < dead_until */
	struct rad_server_stats st;
};

struct rad_client {
	struct rc_server srv[RAD_CLIENT_SERVERS_MAX];
	unsigned n_srv;
	uint32_t timeout_ms;
	uint32_t retries;
	uint64_t deadtime_ms;
	struct sockaddr_storage bind_sa;  /* family AF_UNSPEC: any */
	struct rc_list timers;
	struct rc_list wait;
	unsigned held;
	uint64_t now;                   /* the latest now_ms seen */
	bool destroying;
	bool need_ma;                   /* cfg require_msg_auth */
	unsigned rnd_off;
	uint8_t rnd[256];
	uint8_t rbuf[RAD_PKT_MAX];
};

/* ---- lists ---- */

static void list_init(struct rc_list *l)
{
	l->prev = l->next = l;
}

static bool list_empty(const struct rc_list *l)
{
	return l->next == l;
}

static void list_tail(struct rc_list *l, struct rc_list *e)
{
	e->prev = l->prev;
	e->next = l;
	l->prev->next = e;
	l->prev = e;
}

static void list_del(struct rc_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = e;
}

static struct rc_req *req_of(struct rc_list *e)
{
	return (struct rc_req *)((char *)e - offsetof(struct rc_req, link));
}

/* ---- time, randomness ---- */

uint64_t rad_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 16 random octets, from a pool refilled by getrandom() 256 octets at a
 * time (one system call per 16 requests). */
static void random_auth(struct rad_client *c, uint8_t out[RAD_AUTH_LEN])
{
	if (c->rnd_off + RAD_AUTH_LEN > sizeof(c->rnd)) {
		size_t got = 0;
		while (got < sizeof(c->rnd)) {
			ssize_t n = getrandom(c->rnd + got, sizeof(c->rnd) - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < sizeof(c->rnd)) {
			/* getrandom() cannot fail for 256 octets once the
			 * kernel's pool is up; should it anyway, do not send
			 * the same authenticators twice. */
			uint64_t t = rad_now_ms() ^ (uint64_t)(uintptr_t)c;
			for (size_t i = got; i < sizeof(c->rnd); i++)
				c->rnd[i] ^= (uint8_t)(t >> (8 * (i % 8))) + (uint8_t)i;
		}
		c->rnd_off = 0;
	}
	memcpy(out, c->rnd + c->rnd_off, RAD_AUTH_LEN);
	c->rnd_off += RAD_AUTH_LEN;
}

/* ---- sockets ---- */

static bool same_peer(const struct rc_server *s, const struct sockaddr_storage *from)
{
	if (from->ss_family != s->sa.ss_family)
		return false;
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)from, *b = (const void *)&s->sa;
		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const void *)from, *b = (const void *)&s->sa;
	return a->sin6_port == b->sin6_port &&
	       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* Another socket for server s: 0, or -1 with errno. */
static int sock_open(struct rad_client *c, struct rc_server *s)
{
	int fam = s->sa.ss_family;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int sz = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_storage b;
	memset(&b, 0, sizeof(b));
	if (c->bind_sa.ss_family != AF_UNSPEC)
		b = c->bind_sa;
	b.ss_family = (sa_family_t)fam;
	socklen_t bl = fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (bind(fd, (struct sockaddr *)&b, bl) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	struct rc_sock *k = &s->socks[s->n_socks++];
	memset(k, 0, sizeof(*k));
	k->fd = fd;
	return 0;
}

/* A free identifier on one of s's sockets (opening one more if all are
 * full): the socket's index, or -1. */
static int sock_pick(struct rad_client *c, struct rc_server *s)
{
	for (unsigned i = 0; i < s->n_socks; i++)
		if (s->socks[i].n < IDS_PER_SOCK)
			return (int)i;
	if (s->n_socks == RAD_CLIENT_SOCKS || sock_open(c, s) < 0)
		return -1;
	return (int)s->n_socks - 1;
}

static uint8_t id_take(struct rc_sock *k, struct rc_req *r)
{
	uint8_t id = k->next_id;
	while (k->slot[id])
		id++;                   /* k->n < 256: there is a free one */
	k->slot[id] = r;
	k->n++;
	k->next_id = (uint8_t)(id + 1);
	return id;
}

/* ---- requests ---- */

static bool alive(const struct rad_client *c, unsigned i)
{
	return c->now >= c->srv[i].dead_until;
}

/* The server a request goes to next: the first it has not tried that is
 * not dead; -1 when none is left. */
static int next_server(const struct rad_client *c, const struct rc_req *r)
{
	for (unsigned i = 0; i < c->n_srv; i++)
		if (!(r->tried & 1u << i) && alive(c, i))
			return (int)i;
	return -1;
}

static void req_send(struct rad_client *c, struct rc_req *r)
{
	struct rc_server *s = &c->srv[r->srv];
	/* A send that fails (a full socket buffer, a route gone) is a lost
	 * datagram: the timer resends it like any other. */
	(void)sendto(s->socks[r->sock].fd, r->wire, r->wire_len, 0, (struct sockaddr *)&s->sa,
		     s->salen);
	r->deadline = c->now + c->timeout_ms;
	list_tail(&c->timers, &r->link);
}

/* Build the request for server `si` on socket `ki` with a fresh
 * identifier and authenticator, and send it. */
static void req_start(struct rad_client *c, struct rc_req *r, unsigned si, unsigned ki)
{
	struct rc_server *s = &c->srv[si];
	struct rc_sock *k = &s->socks[ki];
	uint8_t auth[RAD_AUTH_LEN];
	struct rad_pkt p;

	r->srv = (uint8_t)si;
	r->sock = (uint8_t)ki;
	r->id = id_take(k, r);
	r->tried |= (uint8_t)(1u << si);
	r->inflight = true;
	r->sends = 1;
	r->first_ms = c->now;
	random_auth(c, auth);
	rad_pkt_init(&p, r->code, r->id);
	/* rad_client_send checked that these fit: cannot fail */
	rad_pkt_append_attrs(&p, r->data, r->attrs_len);
	if (r->code == RAD_ACCESS_REQUEST)
		rad_pkt_add_msg_auth(&p);
	rad_pkt_finish(&p, auth, s->secret, r->password);
	memcpy(r->wire, p.buf, p.len);
	r->wire_len = p.len;
	s->st.requests++;
	req_send(c, r);
}

/* Give back a request's identifier (the caller takes it off the timer
 * list). */
static void req_release(struct rad_client *c, struct rc_req *r)
{
	if (!r->inflight)
		return;
	struct rc_sock *k = &c->srv[r->srv].socks[r->sock];
	k->slot[r->id] = NULL;
	k->n--;
	r->inflight = false;
}

enum { DISPATCH_SENT, DISPATCH_FULL, DISPATCH_NONE };

/* Send r to its next server; *si: that server (FULL: it has no free
 * identifier, NONE: no server left to try). */
static int req_dispatch(struct rad_client *c, struct rc_req *r, int *si)
{
	*si = next_server(c, r);
	if (*si < 0)
		return DISPATCH_NONE;
	int ki = sock_pick(c, &c->srv[*si]);
	if (ki < 0)
		return DISPATCH_FULL;
	req_start(c, r, (unsigned)*si, (unsigned)ki);
	return DISPATCH_SENT;
}

static void req_end(struct rad_client *c, struct rc_req *r, enum rad_result res,
		    const uint8_t *ans, size_t len)
{
	req_release(c, r);
	list_del(&r->link);             /* the timer or the wait list */
	c->held--;
	unsigned srv = r->srv;
	rad_done_fn *done = r->done;
	void *arg = r->arg;
	free(r);
	if (done)
		done(arg, res, ans, len, srv);
}

int rad_client_send(struct rad_client *c, const struct rad_request *q, rad_done_fn *done,
		    void *arg, uint64_t now_ms)
{
	struct rad_pkt p;
	if (c->destroying || (q->code != RAD_ACCESS_REQUEST && q->code != RAD_ACCOUNTING_REQUEST) ||
	    (q->attrs_len && !q->attrs)) {
		errno = EINVAL;
		return -1;
	}
	/* The request as req_start will build it, but for the password:
	 * the attributes well formed and everything fitting. */
	rad_pkt_init(&p, q->code, 0);
	bool formed = rad_pkt_append_attrs(&p, q->attrs, q->attrs_len) == 0;
	if (q->code == RAD_ACCESS_REQUEST && p.msg_auth < 0)
		rad_pkt_add_msg_auth(&p);
	size_t pwlen = q->password ? strlen(q->password) : 0;
	size_t wire = p.len;
	if (q->password)
		wire += 2 + (pwlen ? (pwlen + 15) / 16 * 16 : 16);
	if (!formed || p.overflow || pwlen > 128 || wire > RAD_PKT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (c->held >= RAD_CLIENT_QUEUE_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	size_t pwsz = q->password ? pwlen + 1 : 0;
	struct rc_req *r = calloc(1, sizeof(*r) + q->attrs_len + pwsz + wire);
	if (!r)
		return -1;
	r->done = done;
	r->arg = arg;
	r->code = q->code;
	r->attrs_len = q->attrs_len;
	if (q->attrs_len)
		memcpy(r->data, q->attrs, q->attrs_len);
	if (q->password) {
		memcpy(r->data + q->attrs_len, q->password, pwsz);
		r->password = (const char *)r->data + q->attrs_len;
	}
	r->wire = r->data + q->attrs_len + pwsz;
	list_init(&r->link);
	c->held++;
	if (now_ms > c->now)
		c->now = now_ms;
	int si;
	/* Behind others already waiting: keep the order. */
	if (!list_empty(&c->wait) || req_dispatch(c, r, &si) != DISPATCH_SENT)
		list_tail(&c->wait, &r->link);
	return 0;
}

/* ---- running ---- */

static void count_answer(struct rc_server *s, const struct rc_req *r, uint8_t code,
			 uint64_t now)
{
	switch (code) {
	case RAD_ACCESS_ACCEPT: s->st.accepts++; break;
	case RAD_ACCESS_REJECT: s->st.rejects++; break;
	case RAD_ACCESS_CHALLENGE: s->st.challenges++; break;
	default: s->st.acct_responses++; break;
	}
	uint64_t us = (now - r->first_ms) * 1000;
	s->st.latency_us_sum += us;
	if (us > s->st.latency_us_max)
		s->st.latency_us_max = us;
}

/* Everything waiting on socket k of server s; how many requests ended. */
static unsigned sock_read(struct rad_client *c, unsigned si, unsigned ki)
{
	struct rc_server *s = &c->srv[si];
	unsigned ended = 0;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->socks[ki].fd, c->rbuf, sizeof(c->rbuf), 0,
				     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;                  /* EAGAIN: all read */
		}
		struct rc_req *r = n >= RAD_HDR_LEN ? s->socks[ki].slot[c->rbuf[1]] : NULL;
		if (!same_peer(s, &from) || !r ||
		    rad_pkt_check_answer_ma(c->rbuf, (size_t)n, r->wire, s->secret, c->need_ma) < 0) {
			s->st.bad_answers++;    /* spoofed, stale, damaged */
			continue;
		}
		count_answer(s, r, c->rbuf[0], c->now);
		s->dead_until = 0;              /* it answers: alive again */
		req_end(c, r, RAD_RES_ANSWER, c->rbuf, (size_t)n);
		ended++;
	}
	return ended;
}

/* r's time on its server is up. */
static unsigned req_expire(struct rad_client *c, struct rc_req *r)
{
	unsigned si = r->srv;
	struct rc_server *s = &c->srv[si];
	list_del(&r->link);
	if (r->sends < c->retries) {
		r->sends++;
		s->st.retransmissions++;
		req_send(c, r);                 /* the same bytes (RFC 2865 2.5) */
		return 0;
	}
	s->st.timeouts++;
	req_release(c, r);
	if (c->deadtime_ms && alive(c, si)) {
		/* dead unless it is the only one left */
		for (unsigned j = 0; j < c->n_srv; j++)
			if (j != si && alive(c, j)) {
				s->dead_until = c->now + c->deadtime_ms;
				break;
			}
	}
	int next;
	switch (req_dispatch(c, r, &next)) {
	case DISPATCH_SENT:
		return 0;
	case DISPATCH_FULL:
		list_tail(&c->wait, &r->link);
		return 0;
	default:
		req_end(c, r, RAD_RES_TIMEOUT, NULL, 0);
		return 1;
	}
}

/* Waiting requests onto servers with free identifiers, in order. */
static unsigned dispatch_waiting(struct rad_client *c)
{
	unsigned full = 0, ended = 0, all = (1u << c->n_srv) - 1;
	struct rc_list *e = c->wait.next;
	while (e != &c->wait && full != all) {
		struct rc_req *r = req_of(e);
		e = e->next;
		int si = next_server(c, r);
		if (si >= 0 && (full & 1u << si))
			continue;
		list_del(&r->link);
		switch (req_dispatch(c, r, &si)) {
		case DISPATCH_SENT:
			break;
		case DISPATCH_FULL:
			full |= 1u << si;
			/* back where it was: before e */
			r->link.next = e;
			r->link.prev = e->prev;
			e->prev->next = &r->link;
			e->prev = &r->link;
			break;
		default:
			req_end(c, r, RAD_RES_TIMEOUT, NULL, 0);
			ended++;
		}
	}
	return ended;
}

unsigned rad_client_run(struct rad_client *c, uint64_t now_ms)
{
	unsigned ended = 0;
	if (now_ms > c->now)
		c->now = now_ms;
	for (unsigned si = 0; si < c->n_srv; si++)
		for (unsigned ki = 0; ki < c->srv[si].n_socks; ki++)
			ended += sock_read(c, si, ki);
	while (!list_empty(&c->timers)) {
		struct rc_req *r = req_of(c->timers.next);
		if (r->deadline > c->now)
			break;
		ended += req_expire(c, r);
	}
	if (!list_empty(&c->wait))
		ended += dispatch_waiting(c);
	return ended;
}

unsigned rad_client_pollfds(const struct rad_client *c, struct pollfd *fds, unsigned max)
{
	unsigned n = 0;
	for (unsigned si = 0; si < c->n_srv; si++)
		for (unsigned ki = 0; ki < c->srv[si].n_socks && n < max; ki++)
			fds[n++] = (struct pollfd){ .fd = c->srv[si].socks[ki].fd, .events = POLLIN };
	return n;
}

int rad_client_next_ms(const struct rad_client *c, uint64_t now_ms)
{
	if (list_empty(&c->timers))
		/* Waiting with nothing in flight: only a socket that could
		 * not be opened holds them; try again after a timeout. */
		return list_empty(&c->wait) ? -1 : (int)c->timeout_ms;
	uint64_t d = req_of(c->timers.next)->deadline;
	return d <= now_ms ? 0 : (int)(d - now_ms);
}

unsigned rad_client_pending(const struct rad_client *c)
{
	return c->held;
}

unsigned rad_client_n_servers(const struct rad_client *c)
{
	return c->n_srv;
}

const char *rad_client_server_name(const struct rad_client *c, unsigned i)
{
	return i < c->n_srv ? c->srv[i].name : NULL;
}

void rad_client_stats(const struct rad_client *c, unsigned i, struct rad_server_stats *out)
{
	if (i >= c->n_srv) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = c->srv[i].st;
	out->dead = !alive(c, i);
}

/* ---- create, destroy ---- */

static int server_init(struct rc_server *s, const struct rad_server_cfg *sc)
{
	memset(&s->sa, 0, sizeof(s->sa));
	if (sc->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->sa;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(sc->port);
		memcpy(&a->sin6_addr, sc->addr6, 16);
		s->salen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&s->sa;
		a->sin_family = AF_INET;
		a->sin_port = htons(sc->port);
		a->sin_addr.s_addr = htonl(sc->addr4);
		s->salen = sizeof(*a);
	}
	s->secret = strdup(sc->secret);
	if (sc->name) {
		s->name = strdup(sc->name);
	} else {
		char addr[INET6_ADDRSTRLEN];
		const void *src = sc->v6 ? (const void *)&((struct sockaddr_in6 *)&s->sa)->sin6_addr
					 : (const void *)&((struct sockaddr_in *)&s->sa)->sin_addr;
		inet_ntop(s->sa.ss_family, src, addr, sizeof(addr));
		s->name = malloc(strlen(addr) + 8);
		if (s->name)
			snprintf(s->name, strlen(addr) + 8, "%s:%u", addr, sc->port);
	}
	return s->secret && s->name ? 0 : -1;
}

static int parse_bind(struct sockaddr_storage *b, const char *addr)
{
	memset(b, 0, sizeof(*b));
	b->ss_family = AF_UNSPEC;
	if (!addr || !*addr || strcmp(addr, "*") == 0)
		return 0;
	struct sockaddr_in *a4 = (struct sockaddr_in *)b;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)b;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

struct rad_client *rad_client_create(const struct rad_client_cfg *cfg)
{
	struct sockaddr_storage b;
	if (!cfg || cfg->n_servers == 0 || cfg->n_servers > RAD_CLIENT_SERVERS_MAX ||
	    cfg->retries < 1 || cfg->retries > 100 || cfg->timeout_ms < 1 || cfg->timeout_ms > 3600000 ||
	    parse_bind(&b, cfg->bindaddr) < 0) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_servers; i++) {
		const struct rad_server_cfg *sc = &cfg->servers[i];
		if (!sc->port || !sc->secret || !*sc->secret ||
		    (b.ss_family != AF_UNSPEC && (b.ss_family == AF_INET6) != sc->v6)) {
			errno = EINVAL;
			return NULL;
		}
	}
	struct rad_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->bind_sa = b;
	c->timeout_ms = cfg->timeout_ms;
	c->need_ma = cfg->require_msg_auth;
	c->retries = cfg->retries;
	c->deadtime_ms = (uint64_t)cfg->deadtime_s * 1000;
	c->rnd_off = sizeof(c->rnd);
	list_init(&c->timers);
	list_init(&c->wait);
	for (unsigned i = 0; i < cfg->n_servers; i++) {
		c->n_srv = i + 1;
		if (server_init(&c->srv[i], &cfg->servers[i]) < 0) {
			errno = ENOMEM;
			goto err;
		}
		if (sock_open(c, &c->srv[i]) < 0)
			goto err;
	}
	return c;
err:;
	int e = errno;
	rad_client_destroy(c);
	errno = e;
	return NULL;
}

void rad_client_destroy(struct rad_client *c)
{
	if (!c)
		return;
	c->destroying = true;
	while (!list_empty(&c->timers))
		req_end(c, req_of(c->timers.next), RAD_RES_ERROR, NULL, 0);
	while (!list_empty(&c->wait))
		req_end(c, req_of(c->wait.next), RAD_RES_ERROR, NULL, 0);
	for (unsigned i = 0; i < c->n_srv; i++) {
		struct rc_server *s = &c->srv[i];
		for (unsigned k = 0; k < s->n_socks; k++)
			close(s->socks[k].fd);
		free(s->secret);
		free(s->name);
	}
	free(c);
}
