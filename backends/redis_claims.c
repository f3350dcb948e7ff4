/* Claims other servers made, heard by pub/sub (issue 15 part 3: servers
 * sharing one Redis learn each other's claims, so conflicts stay rare).
 *
 * The sync script of every server sharing the store (shared = true)
 * PUBLISHes, once per script run, the upserts it applied that gave an
 * address to a new holder: on the channel <prefix>peregrine:claims (a
 * numbered database: peregrine:claims:db<N>, pub/sub knows no databases),
 * a message of its server id then one line per claim:
 *
 *   <server id>
 *   4 <address> <hwaddr hex> <client-id hex> <valid> <expire> <subnet>
 *   6 <address> <duid hex> <iaid> <type> <prefix len> <preferred> <valid> <expire> <subnet>
 *
 * This file keeps a second connection subscribed to that channel, with
 * hiredis's async API driven by the flusher thread (rd_learnt polls it,
 * never blocking: a non-blocking connect, AUTH and SUBSCRIBE pipelined,
 * poll(2) with no timeout).  It follows the main connection: to whichever
 * server that one reached last (a new primary after a failover).  What it
 * hears from other servers waits in be->learnt for the flusher, which
 * hands each claim to a worker; a lost message only costs the refusal it
 * would have saved. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <hiredis/async.h>

#include "lease_log.h"
#include "redis_int.h"

#define RD_SUB_RETRY_MS 1000u          /* between connects that failed */

static uint64_t rd_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int rd_claims_init(struct lease_backend *be)
{
	uint8_t id[8];

	be->channel[0] = '\0';
	if (!be->db.shared)
		return 0;
	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return -errno;
	rd_hex(id, sizeof(id), be->sid);
	return 0;
}

/* The channel, once the main connection knows its prefix. */
void rd_claims_channel(struct lease_backend *be)
{
	if (!be->db.shared)
		be->channel[0] = '\0';
	else if (be->prefix[0])
		snprintf(be->channel, sizeof(be->channel), "%speregrine:claims", be->prefix);
	else
		snprintf(be->channel, sizeof(be->channel), "peregrine:claims:db%.32s",
			 be->db.name[0] ? be->db.name : "0");
}

/* ---- one message into records ------------------------------------------ */

/* The next space- or end-delimited field of [*p, end): its start and
 * length; false when none is left. */
static bool rd_field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p, *e;

	if (s > end)
		return false;
	e = memchr(s, ' ', (size_t)(end - s));
	if (e == NULL)
		e = end;
	*f = s;
	*n = (size_t)(e - s);
	*p = e + 1;
	return true;
}

static bool rd_u32_field(const char **p, const char *end, uint32_t max, uint32_t *v)
{
	const char *f;
	size_t n;
	uint64_t x;

	if (!rd_field(p, end, &f, &n) || n > 10 || lease_udec(f, n, max, &x))
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool rd_hex_field(const char **p, const char *end, uint8_t *out, size_t max, unsigned *len)
{
	const char *f;
	size_t n;
	int k;

	if (!rd_field(p, end, &f, &n))
		return false;
	k = n ? lease_unhex(f, n, out, max) : 0;
	if (k < 0)
		return false;
	*len = (unsigned)k;
	return true;
}

static bool rd_addr_field(const char **p, const char *end, int af, void *out)
{
	char ip[INET6_ADDRSTRLEN];
	const char *f;
	size_t n;

	if (!rd_field(p, end, &f, &n) || n == 0 || n >= sizeof(ip))
		return false;
	memcpy(ip, f, n);
	ip[n] = '\0';
	return inet_pton(af, ip, out) == 1;
}

static bool rd_claim4(const char *p, const char *end, struct lease_refusal *x)
{
	struct lease_rec *r = &x->holder.v4;
	struct in_addr in;
	unsigned hl, cl;

	if (!rd_addr_field(&p, end, AF_INET, &in) ||
	    !rd_hex_field(&p, end, r->hwaddr, sizeof(r->hwaddr), &hl) ||
	    !rd_hex_field(&p, end, r->cid, sizeof(r->cid), &cl) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->valid_lft) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->expire) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->subnet_id) || p <= end)
		return false;
	r->addr = ntohl(in.s_addr);
	r->hwaddr_len = (uint8_t)hl;
	r->htype = hl ? 1 : 0;
	r->cid_len = (uint8_t)cl;
	x->family = LEASE_FAMILY_V4;
	x->addr = r->addr;
	return r->addr != 0 && (hl || cl);
}

static bool rd_claim6(const char *p, const char *end, struct lease_refusal *x)
{
	struct lease6_rec *r = &x->holder.v6;
	uint8_t b[16];
	uint32_t type, plen;
	unsigned dl;

	if (!rd_addr_field(&p, end, AF_INET6, b) ||
	    !rd_hex_field(&p, end, r->duid, sizeof(r->duid), &dl) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->iaid) ||
	    !rd_u32_field(&p, end, LEASE6_TYPE_PD, &type) ||
	    !rd_u32_field(&p, end, 128, &plen) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->pref_lft) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->valid_lft) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->expire) ||
	    !rd_u32_field(&p, end, UINT32_MAX, &r->subnet_id) || p <= end || dl == 0)
		return false;
	r->addr = lease_addr6_load(b);
	r->duid_len = (uint8_t)dl;
	r->type = (uint8_t)type;
	r->prefix_len = (uint8_t)(type == LEASE6_TYPE_PD ? plen : 128);
	x->family = LEASE_FAMILY_V6;
	x->addr6 = r->addr;
	return true;
}

unsigned rd_claims_parse(const char *msg, size_t len, const char *self, struct lease_refusals *q,
			 unsigned *bad)
{
	const char *p = msg, *end = msg + len, *nl;
	size_t slen = strlen(self);
	unsigned n = 0;

	nl = memchr(p, '\n', len);
	if (nl == NULL) {
		(*bad)++;
		return 0;
	}
	if ((size_t)(nl - p) == slen && memcmp(p, self, slen) == 0)
		return 0;               /* our own */
	for (p = nl + 1; p < end; p = nl + 1) {
		struct lease_refusal x;
		bool ok;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		memset(&x, 0, sizeof(x));
		ok = nl - p > 2 && p[1] == ' ' &&
		     (p[0] == '4' ? rd_claim4(p + 2, nl, &x) :
		      p[0] == '6' ? rd_claim6(p + 2, nl, &x) : false);
		if (!ok) {
			(*bad)++;
			continue;
		}
		x.has_holder = 1;       /* seq 0: a claim learnt, no change of ours */
		{
			struct lease_refusal *slot = lease_refusals_push(q);

			if (slot == NULL)
				break;  /* full: the flusher is behind, the rest is lost */
			*slot = x;
		}
		n++;
	}
	return n;
}

/* ---- the subscription: hiredis async, polled --------------------------- */

struct rd_sub {
	redisAsyncContext *ac;         /* NULL while not connected */
	struct lease_backend *be;
	unsigned gen;                  /* be->gen it connected after */
	bool want_write;
	uint64_t deadline_ms;          /* connected by then, or dropped */
	uint64_t retry_ms;             /* no connect before */
};

/* The event-library hooks: the "loop" is rd_learnt's poll(2). */
static void ev_add_write(void *d) { ((struct rd_sub *)d)->want_write = true; }
static void ev_del_write(void *d) { ((struct rd_sub *)d)->want_write = false; }
static void ev_nop(void *d) { (void)d; }

static void sub_gone(const redisAsyncContext *ac, int status)
{
	struct rd_sub *s = ac->data;

	(void)status;
	if (s == NULL || s->ac != ac)
		return;
	s->ac = NULL;                  /* hiredis frees it */
	s->want_write = false;
	s->retry_ms = rd_ms() + RD_SUB_RETRY_MS;
	RD_STAT_SET(s->be, sub_connected, 0);
}

static void sub_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	struct rd_sub *s = priv;

	if (r && r->type == REDIS_REPLY_ERROR) {
		snprintf(s->be->sub_err, sizeof(s->be->sub_err), "claims subscriber: AUTH: %s", r->str);
		redisAsyncDisconnect(ac);
	}
}

static void sub_message(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	struct rd_sub *s = priv;
	struct lease_backend *be = s->be;
	unsigned bad = 0, n;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "subscribe") == 0) {
		RD_STAT_SET(be, sub_connected, 1);
		be->sub_err[0] = '\0';
		return;
	}
	if (strcmp(r->element[0]->str, "message") != 0 || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	n = rd_claims_parse(r->element[2]->str, r->element[2]->len, be->sid, &be->learnt, &bad);
	RD_STAT_ADD(be, claims_heard, n);
	RD_STAT_ADD(be, claims_bad, bad);
}

static void sub_drop(struct rd_sub *s)
{
	redisAsyncContext *ac = s->ac;

	if (ac == NULL)
		return;
	s->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
	s->want_write = false;
	RD_STAT_SET(s->be, sub_connected, 0);
}

/* To the server the main connection reached; AUTH and SUBSCRIBE queued
 * behind the non-blocking connect. */
static void sub_connect(struct rd_sub *s)
{
	struct lease_backend *be = s->be;
	redisContext *c = be->c;
	redisAsyncContext *ac;
	int ret;

	if (c->connection_type == REDIS_CONN_UNIX)
		ac = redisAsyncConnectUnix(c->unix_sock.path);
	else
		ac = redisAsyncConnect(c->tcp.host, c->tcp.port);
	s->retry_ms = rd_ms() + RD_SUB_RETRY_MS;
	if (ac == NULL)
		return;
	if (ac->err) {
		snprintf(be->sub_err, sizeof(be->sub_err), "claims subscriber: %s", ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	ac->data = s;
	ac->ev.data = s;
	ac->ev.addRead = ev_nop;       /* always polled for reading */
	ac->ev.delRead = ev_nop;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_nop;
	redisAsyncSetDisconnectCallback(ac, sub_gone);
	s->ac = ac;
	s->gen = be->gen;
	s->deadline_ms = rd_ms() + 1000u * (be->db.connect_timeout ? be->db.connect_timeout : 5);
	ret = REDIS_OK;
	if (be->db.password[0])
		ret = be->db.user[0]
			? redisAsyncCommand(ac, sub_auth, s, "AUTH %s %s", be->db.user, be->db.password)
			: redisAsyncCommand(ac, sub_auth, s, "AUTH %s", be->db.password);
	if (ret == REDIS_OK)
		ret = redisAsyncCommand(ac, sub_message, s, "SUBSCRIBE %s", be->channel);
	if (ret != REDIS_OK)
		sub_drop(s);
}

/* Whatever the socket has, without waiting. */
static void sub_poll(struct lease_backend *be)
{
	struct rd_sub *s = be->sub;
	struct pollfd pfd;
	uint64_t now = rd_ms();

	if (s->ac && be->c && s->gen != be->gen)
		sub_drop(s);            /* the main connection moved: follow it */
	if (s->ac && !(s->ac->c.flags & REDIS_CONNECTED) && now > s->deadline_ms) {
		snprintf(be->sub_err, sizeof(be->sub_err), "claims subscriber: connect timed out");
		sub_drop(s);
	}
	if (s->ac == NULL) {
		if (be->c == NULL || now < s->retry_ms)
			return;
		sub_connect(s);
		if (s->ac == NULL)
			return;
	}
	pfd.fd = s->ac->c.fd;
	pfd.events = (short)(POLLIN | (s->want_write ? POLLOUT : 0));
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		redisAsyncHandleRead(s->ac);    /* may end it: sub_gone */
	if (s->ac && (pfd.revents & POLLOUT))
		redisAsyncHandleWrite(s->ac);
}

unsigned rd_learnt(struct lease_backend *be, struct lease_refusal *out, unsigned max)
{
	if (be == NULL || out == NULL || !be->channel[0])
		return 0;
	if (be->sub == NULL) {
		be->sub = calloc(1, sizeof(*be->sub));
		if (be->sub == NULL)
			return 0;
		be->sub->be = be;
	}
	sub_poll(be);
	return lease_refusals_take(&be->learnt, out, max);
}

void rd_claims_free(struct lease_backend *be)
{
	if (be->sub) {
		sub_drop(be->sub);
		free(be->sub);
		be->sub = NULL;
	}
	lease_refusals_free(&be->learnt);
}
