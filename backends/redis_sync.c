/* append and sync: records wait in the backend's own pending buffers
 * (one per family) until a sync applies them; sync sends all of them to
 * the Lua script in one pipeline (one round trip): one EVALSHA per chunk
 * of records, several chunks framed in MULTI/EXEC, then WAIT when
 * wait-replicas asks for it.  Redis runs the batch atomically; the
 * buffers are emptied only when every answer was right (WAIT included).
 * A failed sync keeps everything for the next one and forgets the
 * refusals it read; running the same batch twice changes nothing (the
 * same client's lease is rewritten as it is).
 *
 * Each address is written once per sync: the pending records are sorted
 * by address and the last one appended wins.  The script first reads
 * every address of the batch and decides, then writes, so a refusal
 * never leaves half a batch: a record is applied only when the stored
 * lease is ours to replace (the same client, or expired, or not in state
 * 0); a delete also needs the stored lease not to be newer than the
 * record.  The script returns the refused live upserts with the holder's
 * fields as it read them, in the same atomic step. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_int.h"

#define RD_ARGS4 13                    /* fam, op, idx, addr + 9 fields */
#define RD_ARGS6 19                    /* fam, op, idx, addr + 15 fields */
#define RD_REC_TEXT 1400               /* one record's arguments as text, at most */

/* ARGV[1] the key prefix, ARGV[2] the claims channel ("" when the store
 * is not shared), ARGV[3] this server's id, then one record after the
 * other: family, "u"/"d", its index in the plan, its address, then its
 * fields.  On a shared store the upserts that gave an address to a new
 * holder (state 0) are PUBLISHed, one message per run
 * (redis_claims.c has its format). */
static const char rd_script[] =
	"local A, p = ARGV, ARGV[1]\n"
	"local now = tonumber(redis.call('TIME')[1])\n"
	"local refused, D, Z, R = {}, {}, { ['4'] = {}, ['6'] = {} }, { ['4'] = {}, ['6'] = {} }\n"
	"local C = ARGV[2] ~= '' and {} or nil\n"
	"local function move(key, d)\n"
	"  if key then D[key] = (D[key] or 0) + d end\n"
	"end\n"
	"local function stat4(sub, st)\n"
	"  if (st ~= '0' and st ~= '1') or tonumber(sub) == nil then return nil end\n"
	"  return p .. 'stat4:' .. sub .. ':' .. st\n"
	"end\n"
	"local function stat6(sub, ty, st)\n"
	"  if (st ~= '0' and st ~= '1') or tonumber(sub) == nil or tonumber(ty) == nil then\n"
	"    return nil\n"
	"  end\n"
	"  return p .. 'stat6:' .. sub .. ':' .. ty .. ':' .. st\n"
	"end\n"
	/* o: the stored lease's deciding fields (false when missing; all
	 * false: no lease), or an error for a key of another type (never
	 * touched, an upsert on it refused).  Ours to replace: none stored,
	 * or not live (expired by the server's clock, state not 0, expire or
	 * state unreadable), or the same client's; a delete also needs the
	 * stored lease not newer than the record. */
	"local function decide(o, ex_i, st_i, same, op, rexp)\n"
	"  if o.err then return false, false end\n"
	"  local had = false\n"
	"  for k = 1, #o do if o[k] then had = true end end\n"
	"  if not had then return true, false end\n"
	"  local ex, st = tonumber(o[ex_i]), tonumber(o[st_i])\n"
	"  local dead = ex == nil or st == nil or ex <= now or st ~= 0\n"
	"  if not dead and not same then return false, true end\n"
	"  if op == 'd' and not dead and ex > tonumber(rexp) then return false, true end\n"
	"  return true, true\n"
	"end\n"
	"local i, n = 4, #A\n"
	"while i <= n do\n"
	"  local fam, op, addr = A[i], A[i + 1], A[i + 3]\n"
	"  local key = p .. 'lease' .. fam .. ':' .. addr\n"
	"  local ok, had, o, same\n"
	"  if fam == '4' then\n"
	"    o = redis.pcall('HMGET', key, 'hwaddr', 'client_id', 'expire', 'state', 'subnet_id')\n"
	"    same = not o.err and ((o[1] and o[1] ~= '' and o[1] == A[i + 4]) or\n"
	"                                (o[2] and o[2] ~= '' and o[2] == A[i + 5]))\n"
	"    ok, had = decide(o, 3, 4, same, op, A[i + 7])\n"
	"    if ok then\n"
	"      if had then move(stat4(o[5], o[4]), -1) end\n"
	"      if op == 'u' then\n"
	"        redis.call('HSET', key, 'hwaddr', A[i + 4], 'client_id', A[i + 5],\n"
	"          'valid_lifetime', A[i + 6], 'expire', A[i + 7], 'subnet_id', A[i + 8],\n"
	"          'fqdn_fwd', A[i + 9], 'fqdn_rev', A[i + 10], 'hostname', A[i + 11],\n"
	"          'state', A[i + 12])\n"
	"        move(stat4(A[i + 8], A[i + 12]), 1)\n"
	"        local z = Z['4']; z[#z + 1] = A[i + 7]; z[#z + 1] = addr\n"
	"        if C and not (had and same) and A[i + 12] == '0' then\n"
	"          C[#C + 1] = table.concat({ '4', addr, A[i + 4], A[i + 5], A[i + 6], A[i + 7],\n"
	"            A[i + 8] }, ' ')\n"
	"        end\n"
	"      end\n"
	"    end\n"
	"    i = i + 13\n"
	"  else\n"
	"    o = redis.pcall('HMGET', key, 'duid', 'iaid', 'lease_type', 'expire', 'state',\n"
	"      'subnet_id')\n"
	"    same = not o.err and o[1] == A[i + 4] and o[2] == A[i + 5] and o[3] == A[i + 6]\n"
	"    ok, had = decide(o, 4, 5, same, op, A[i + 10])\n"
	"    if ok then\n"
	"      if had then move(stat6(o[6], o[3], o[5]), -1) end\n"
	"      if op == 'u' then\n"
	"        redis.call('HSET', key, 'duid', A[i + 4], 'iaid', A[i + 5], 'lease_type', A[i + 6],\n"
	"          'prefix_len', A[i + 7], 'pref_lifetime', A[i + 8], 'valid_lifetime', A[i + 9],\n"
	"          'expire', A[i + 10], 'subnet_id', A[i + 11], 'fqdn_fwd', A[i + 12],\n"
	"          'fqdn_rev', A[i + 13], 'hostname', A[i + 14], 'hwaddr', A[i + 15],\n"
	"          'hwtype', A[i + 16], 'hwaddr_source', A[i + 17], 'state', A[i + 18])\n"
	"        move(stat6(A[i + 11], A[i + 6], A[i + 18]), 1)\n"
	"        local z = Z['6']; z[#z + 1] = A[i + 10]; z[#z + 1] = addr\n"
	"        if C and not (had and same) and A[i + 18] == '0' then\n"
	"          C[#C + 1] = table.concat({ '6', addr, A[i + 4], A[i + 5], A[i + 6], A[i + 7],\n"
	"            A[i + 8], A[i + 9], A[i + 10], A[i + 11] }, ' ')\n"
	"        end\n"
	"      end\n"
	"    end\n"
	"    i = i + 19\n"
	"  end\n"
	"  if ok and had and op == 'd' then\n"
	"    redis.call('DEL', key)\n"
	"    local z = R[fam]; z[#z + 1] = addr\n"
	"  elseif not ok and op == 'u' then\n"   /* the holder, read whole */
	"    refused[#refused + 1] = { A[i - (fam == '4' and 13 or 19) + 2],\n"
	"      o.err and {} or redis.call('HGETALL', key) }\n"
	"  end\n"
	"end\n"
	/* the counters' moves summed per key, the expiry index per family,
	 * each in a few calls (unpack() has a stack limit: 400 at a time) */
	"for k, v in pairs(D) do\n"
	"  if v ~= 0 then redis.pcall('INCRBY', k, v) end\n"
	"end\n"
	"local function each(cmd, key, list)\n"
	"  for j = 1, #list, 400 do\n"
	"    redis.pcall(cmd, key, unpack(list, j, math.min(j + 399, #list)))\n"
	"  end\n"
	"end\n"
	"for fam, z in pairs(Z) do each('ZADD', p .. 'expire' .. fam, z) end\n"
	"for fam, z in pairs(R) do each('ZREM', p .. 'expire' .. fam, z) end\n"
	"if C and #C > 0 then\n"
	"  redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\\n' .. table.concat(C, '\\n'))\n"
	"end\n"
	"return refused\n";

struct rd_slot {
	struct lease_addr6 key;
	unsigned pos;                  /* in its family's pending records */
	unsigned first, n;             /* a winner: its address's slots in be->all */
	uint8_t fam;
};

static void *rd_rec(const struct rd_pending *p, unsigned i)
{
	return (uint8_t *)p->recs + (size_t)i * p->size;
}

static int rd_append_to(struct lease_backend *be, struct rd_pending *p, const void *recs, unsigned n)
{
	if (n == 0)
		return 0;
	if (recs == NULL)
		return -EINVAL;
	if (p->n + n > p->cap) {
		unsigned cap = p->cap ? p->cap : 256;
		void *grown;

		while (cap < p->n + n)
			cap *= 2;
		grown = realloc(p->recs, (size_t)cap * p->size);
		if (grown == NULL)
			return -ENOMEM;
		p->recs = grown;
		p->cap = cap;
	}
	memcpy(rd_rec(p, p->n), recs, (size_t)n * p->size);
	p->n += n;
	RD_STAT_ADD(be, appended, n);
	return 0;
}

int rd_append4(struct lease_backend *be, const struct lease_rec *recs, unsigned n)
{
	return be == NULL ? -EINVAL : rd_append_to(be, &be->pend[0], recs, n);
}

int rd_append6(struct lease_backend *be, const struct lease6_rec *recs, unsigned n)
{
	return be == NULL ? -EINVAL : rd_append_to(be, &be->pend[1], recs, n);
}

void rd_hex(const uint8_t *p, unsigned n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int rd_slot_cmp(const void *a, const void *b)
{
	const struct rd_slot *x = a, *y = b;
	int c;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	c = lease_addr6_cmp(x->key, y->key);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* One argument: its text goes to *tp (NUL-terminated, for Lua a string). */
struct rd_args {
	const char **argv;
	size_t *len;
	unsigned n;
	char *text, *tp;
};

static void rd_arg(struct rd_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rd_arg(struct rd_args *a, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsprintf(a->tp, fmt, ap);
	va_end(ap);
	a->argv[a->n] = a->tp;
	a->len[a->n++] = (size_t)k;
	a->tp += k + 1;
}

static void rd_arg_bytes(struct rd_args *a, const char *p, size_t n)
{
	memcpy(a->tp, p, n);
	a->tp[n] = '\0';
	a->argv[a->n] = a->tp;
	a->len[a->n++] = n;
	a->tp += n + 1;
}

static void rd_arg_hex(struct rd_args *a, const uint8_t *p, unsigned n)
{
	rd_hex(p, n, a->tp);
	a->argv[a->n] = a->tp;
	a->len[a->n++] = 2u * n;
	a->tp += 2u * n + 1;
}

static unsigned rd_hn_len(const char *h, unsigned len)
{
	unsigned n = len > 63 ? 63 : len;

	return (unsigned)strnlen(h, n);
}

/* The address as the keys spell it (inet_ntop's text). */
static void rd_ip4(uint32_t addr, char ip[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &in, ip, INET_ADDRSTRLEN);
}

static void rd_ip6(struct lease_addr6 addr, char ip[INET6_ADDRSTRLEN])
{
	uint8_t b[16];

	lease_addr6_store(addr, b);
	inet_ntop(AF_INET6, b, ip, INET6_ADDRSTRLEN);
}

/* A record's first four arguments: family, u(psert) or d(elete) (a
 * valid lifetime of 0 deletes), its index in the plan, its address. */
static void rd_arg_head(struct rd_args *a, const char *fam, uint32_t valid_lft, unsigned idx,
			const char *ip)
{
	rd_arg(a, "%s", fam);
	rd_arg(a, "%s", valid_lft ? "u" : "d");
	rd_arg(a, "%u", idx);
	rd_arg(a, "%s", ip);
}

static void rd_args4(struct rd_args *a, const struct lease_rec *r, unsigned idx)
{
	char ip[INET_ADDRSTRLEN];

	rd_ip4(r->addr, ip);
	rd_arg_head(a, "4", r->valid_lft, idx, ip);
	rd_arg_hex(a, r->hwaddr, r->hwaddr_len > 16 ? 16 : r->hwaddr_len);
	rd_arg_hex(a, r->cid, r->cid_len);
	rd_arg(a, "%u", r->valid_lft);
	rd_arg(a, "%u", r->expire);
	rd_arg(a, "%u", r->subnet_id);
	rd_arg(a, "%u", r->fqdn_fwd ? 1 : 0);
	rd_arg(a, "%u", r->fqdn_rev ? 1 : 0);
	rd_arg_bytes(a, r->hostname, rd_hn_len(r->hostname, r->hostname_len));
	rd_arg(a, "%u", r->state);
}

static void rd_args6(struct rd_args *a, const struct lease6_rec *r, unsigned idx)
{
	char ip[INET6_ADDRSTRLEN];

	rd_ip6(r->addr, ip);
	rd_arg_head(a, "6", r->valid_lft, idx, ip);
	rd_arg_hex(a, r->duid, r->duid_len > LEASE_DUID_MAX ? LEASE_DUID_MAX : r->duid_len);
	rd_arg(a, "%u", r->iaid);
	rd_arg(a, "%u", r->type);
	rd_arg(a, "%u", r->prefix_len);
	rd_arg(a, "%u", r->pref_lft);
	rd_arg(a, "%u", r->valid_lft);
	rd_arg(a, "%u", r->expire);
	rd_arg(a, "%u", r->subnet_id);
	rd_arg(a, "%u", r->fqdn_fwd ? 1 : 0);
	rd_arg(a, "%u", r->fqdn_rev ? 1 : 0);
	rd_arg_bytes(a, r->hostname, rd_hn_len(r->hostname, r->hostname_len));
	rd_arg_hex(a, r->hwaddr, r->hwaddr_len > LEASE6_HWADDR_MAX ? LEASE6_HWADDR_MAX : r->hwaddr_len);
	rd_arg(a, "%u", r->hwtype);
	rd_arg(a, "%u", r->hwaddr_source);
	rd_arg(a, "%u", r->state);
}

int rd_load_script(struct lease_backend *be, char *err, size_t errlen)
{
	redisReply *r = redisCommand(be->c, "SCRIPT LOAD %b", rd_script, sizeof(rd_script) - 1);

	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		snprintf(err, errlen, "redis: SCRIPT LOAD: %s",
			 r ? (r->type == REDIS_REPLY_ERROR ? r->str : "bad answer") : be->c->errstr);
		freeReplyObject(r);
		return r ? -EPROTO : -EIO;
	}
	memcpy(be->sha, r->str, 40);
	be->sha[40] = '\0';
	freeReplyObject(r);
	return 0;
}

/* One refused upsert, kept until the whole sync succeeded (a failed try
 * of rd_run_once forgets it, so a retried batch never reports it twice). */
static void rd_refusal_add(struct lease_backend *be, const struct rd_slot *s,
			   const redisReply *flat)
{
	struct lease_refusal *x = lease_refusals_push(&be->ref);

	if (x == NULL)
		return;                /* full: only counted */
	x->family = s->fam ? 6 : 4;
	if (s->fam) {
		const struct lease6_rec *r = rd_rec(&be->pend[1], s->pos);
		char ip[INET6_ADDRSTRLEN];

		x->seq = r->seq;
		x->addr6 = r->addr;
		rd_ip6(r->addr, ip);
		x->has_holder = flat && flat->elements && rd_hash_to_rec6(ip, flat, &x->holder.v6) == 0;
	} else {
		const struct lease_rec *r = rd_rec(&be->pend[0], s->pos);
		char ip[INET_ADDRSTRLEN];

		x->seq = r->seq;
		x->addr = r->addr;
		rd_ip4(r->addr, ip);
		x->has_holder = flat && flat->elements && rd_hash_to_rec4(ip, flat, &x->holder.v4) == 0;
	}
}

/* ---- one sync = one pipeline -------------------------------------------
 * The winners go in chunks of at most RD_CHUNK_RECS records (and about
 * RD_CHUNK_BYTES of argument text), one EVALSHA each, so that neither a
 * command nor a script's argument table grows with the batch.  More than
 * one chunk is framed in MULTI ... EXEC, so the batch stays one atomic
 * step; WAIT follows EXEC (inside MULTI it could not block).  Everything
 * is appended to hiredis's output buffer first and the replies read
 * after: one round trip per sync, whatever its size. */
#define RD_CHUNK_RECS 1024u          /* the flusher's batch (DP_WB_BATCH): one EVALSHA */
#define RD_CHUNK_BYTES (512u * 1024)
#define RD_HEAD_TEXT (2 * RD_PREFIX_MAX + 256) /* EVALSHA sha 0 prefix channel id */

struct rd_pipe {
	struct rd_args a;              /* one chunk's arguments */
	size_t text_cap;
	unsigned chunks;
	bool multi, wait;
	/* what the replies said */
	bool io, noscript, role;       /* role: READONLY/LOADING/MASTERDOWN, a primary no more */
	unsigned refused;
	long long replicas;
	char err[RD_ERR_MAX - 64];
};

static int rd_pipe_init(struct rd_pipe *p, unsigned nwin)
{
	unsigned cn = nwin < RD_CHUNK_RECS ? nwin : RD_CHUNK_RECS;
	size_t body = (size_t)cn * RD_REC_TEXT;

	memset(p, 0, sizeof(*p));
	p->text_cap = RD_HEAD_TEXT + (body < RD_CHUNK_BYTES ? body : RD_CHUNK_BYTES);
	p->a.argv = malloc((6 + (size_t)cn * RD_ARGS6) * sizeof(*p->a.argv));
	p->a.len = malloc((6 + (size_t)cn * RD_ARGS6) * sizeof(*p->a.len));
	p->a.text = malloc(p->text_cap);
	return p->a.argv && p->a.len && p->a.text ? 0 : -ENOMEM;
}

static void rd_pipe_free(struct rd_pipe *p)
{
	free(p->a.argv);
	free(p->a.len);
	free(p->a.text);
}

/* The next chunk's EVALSHA from win[*next]; *next moves past it. */
static void rd_chunk(struct lease_backend *be, struct rd_pipe *p, const struct rd_slot *win,
		     unsigned nwin, unsigned *next)
{
	struct rd_args *a = &p->a;
	unsigned i = *next;

	a->n = 0;
	a->tp = a->text;
	rd_arg(a, "EVALSHA");
	rd_arg(a, "%s", be->sha);
	rd_arg(a, "0");
	rd_arg(a, "%s", be->prefix);
	rd_arg(a, "%s", be->channel);
	rd_arg(a, "%s", be->sid);
	for (; i < nwin && i - *next < RD_CHUNK_RECS &&
	       (size_t)(a->tp - a->text) + RD_REC_TEXT <= p->text_cap; i++) {
		/* the record's index in win: refusals name it */
		if (win[i].fam)
			rd_args6(a, rd_rec(&be->pend[1], win[i].pos), i);
		else
			rd_args4(a, rd_rec(&be->pend[0], win[i].pos), i);
	}
	*next = i;
}

/* Every command of the sync into the output buffer; nothing sent yet. */
static int rd_pipe_send(struct lease_backend *be, struct rd_pipe *p, const struct rd_slot *win,
			unsigned nwin)
{
	unsigned next = 0;

	rd_chunk(be, p, win, nwin, &next);
	p->multi = next < nwin;
	p->wait = be->db.wait_replicas > 0 && be->db.durability == CONF_DUR_COMMIT;
	if (p->multi && redisAppendCommand(be->c, "MULTI") != REDIS_OK)
		return -EIO;
	for (;;) {
		if (redisAppendCommandArgv(be->c, (int)p->a.n, p->a.argv, p->a.len) != REDIS_OK)
			return -EIO;
		p->chunks++;
		if (next == nwin)
			break;
		rd_chunk(be, p, win, nwin, &next);
	}
	if (p->multi && redisAppendCommand(be->c, "EXEC") != REDIS_OK)
		return -EIO;
	if (p->wait && redisAppendCommand(be->c, "WAIT %u %u", be->db.wait_replicas,
					  be->db.wait_timeout_ms ? be->db.wait_timeout_ms : 1000) != REDIS_OK)
		return -EIO;
	return 0;
}

static void rd_pipe_error(struct rd_pipe *p, const char *what, const redisReply *r)
{
	const char *msg = r->type == REDIS_REPLY_ERROR ? r->str : "bad answer";

	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		p->noscript = true;    /* the server restarted or flushed its scripts */
		return;
	}
	if (r->type == REDIS_REPLY_ERROR &&
	    (strstr(r->str, "READONLY") || strncmp(r->str, "LOADING", 7) == 0 ||
	     strncmp(r->str, "MASTERDOWN", 10) == 0))
		p->role = true;
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), "%s: %s", what, msg);
}

/* One script's answer: the refused upserts, { index in win, holder }. */
static void rd_pipe_script(struct lease_backend *be, struct rd_pipe *p, const redisReply *r,
			   const struct rd_slot *win, unsigned nwin)
{
	if (r->type != REDIS_REPLY_ARRAY) {
		rd_pipe_error(p, "the sync script", r);
		return;
	}
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		unsigned long idx;
		char *end;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		idx = strtoul(e->element[0]->str, &end, 10);
		if (*end || idx >= nwin)
			continue;
		/* every change of the batch for that address is refused, not
		 * only the last: each may have a reply waiting (a REQUEST and
		 * its retransmission) */
		const struct rd_slot *all = be->all;
		const redisReply *h = e->element[1]->type == REDIS_REPLY_ARRAY ? e->element[1] : NULL;

		for (unsigned j = win[idx].first; j + 1 < win[idx].first + win[idx].n; j++) {
			rd_refusal_add(be, &all[j], h);
			p->refused++;
		}
		rd_refusal_add(be, &win[idx], h);
		p->refused++;
	}
}

/* Reads every reply of the pipeline (all of them, to keep the
 * connection in step); p->io when the connection failed. */
static void rd_pipe_recv(struct lease_backend *be, struct rd_pipe *p, const struct rd_slot *win,
			 unsigned nwin)
{
	unsigned want = p->multi ? p->chunks + 2 : 1;
	void *v;

	want += p->wait;
	for (unsigned k = 0; k < want; k++) {
		redisReply *r;

		if (redisGetReply(be->c, &v) != REDIS_OK || v == NULL) {
			snprintf(p->err, sizeof(p->err), "%s", be->c->errstr[0] ? be->c->errstr : "no answer");
			p->io = true;
			return;
		}
		r = v;
		if (p->wait && k == want - 1) {
			if (r->type == REDIS_REPLY_INTEGER)
				p->replicas = r->integer;
			else
				rd_pipe_error(p, "WAIT", r);
		} else if (!p->multi) {
			rd_pipe_script(be, p, r, win, nwin);
		} else if (k == 0) {
			if (r->type == REDIS_REPLY_ERROR)
				rd_pipe_error(p, "MULTI", r);
		} else if (k <= p->chunks) {
			/* QUEUED, or an error that makes EXEC abort */
			if (r->type == REDIS_REPLY_ERROR)
				rd_pipe_error(p, "EVALSHA", r);
		} else if (r->type == REDIS_REPLY_ARRAY && r->elements == p->chunks) {
			/* EXEC: every script's answer.  They share one SHA1, so
			 * NOSCRIPT is all of them or none: nothing was applied. */
			for (size_t i = 0; i < r->elements; i++)
				rd_pipe_script(be, p, r->element[i], win, nwin);
		} else {
			rd_pipe_error(p, "EXEC", r);
		}
		freeReplyObject(r);
	}
}

/* One pipeline over the winners: 0 with refusals recorded; -EIO (the
 * connection is to be dropped: I/O error, or not the primary any more),
 * -ENOENT (NOSCRIPT: nothing applied), -ETIMEDOUT (fewer replicas than
 * wait-replicas acknowledged in time) or -EPROTO; on any error the
 * refusals of this try are forgotten. */
static int rd_run_once(struct lease_backend *be, struct rd_pipe *p, const struct rd_slot *win,
		       unsigned nwin)
{
	unsigned ref0 = be->ref.n;
	int ret;

	p->chunks = 0;
	p->io = p->noscript = p->role = false;
	p->refused = 0;
	p->replicas = 0;
	p->err[0] = '\0';
	ret = rd_pipe_send(be, p, win, nwin);
	if (ret == 0)
		rd_pipe_recv(be, p, win, nwin);
	if (ret || p->io) {
		snprintf(be->last_err, sizeof(be->last_err), "redis: sync: %s",
			 ret ? "out of memory" : p->err);
		ret = -EIO;
	} else if (p->noscript) {
		ret = -ENOENT;
	} else if (p->err[0]) {
		snprintf(be->last_err, sizeof(be->last_err), "redis: %s", p->err);
		ret = p->role ? -EIO : -EPROTO;
	} else if (p->wait && p->replicas < (long long)be->db.wait_replicas) {
		snprintf(be->last_err, sizeof(be->last_err), "redis: WAIT: %lld of %u replicas "
			 "acknowledged the batch within %u ms", p->replicas, be->db.wait_replicas,
			 be->db.wait_timeout_ms);
		RD_STAT_ADD(be, wait_short, 1);
		ret = -ETIMEDOUT;
	}
	if (ret)
		be->ref.n = ref0;
	return ret;
}

/* The pipeline, once more after a NOSCRIPT with the script loaded again
 * (SCRIPT LOAD outside the MULTI). */
static int rd_run(struct lease_backend *be, const struct rd_slot *win, unsigned nwin)
{
	struct rd_pipe p;
	int ret = rd_pipe_init(&p, nwin);

	if (ret == 0)
		ret = rd_run_once(be, &p, win, nwin);
	if (ret == -ENOENT) {
		ret = rd_load_script(be, be->last_err, sizeof(be->last_err));
		if (ret == 0)
			ret = rd_run_once(be, &p, win, nwin);
		if (ret == -ENOENT) {
			snprintf(be->last_err, sizeof(be->last_err),
				 "redis: NOSCRIPT right after SCRIPT LOAD");
			ret = -EPROTO;
		}
	}
	if (ret == 0)
		RD_STAT_ADD(be, refused, p.refused);
	rd_pipe_free(&p);
	return ret;
}

/* The winners of both families: the last record appended per address,
 * each with where its address's records are in be->all (every pending
 * record, sorted: the losers come right before their winner). */
static int rd_plan(struct lease_backend *be, struct rd_slot **out, unsigned *nout)
{
	unsigned n = be->pend[0].n + be->pend[1].n, k = 0, w = 0, first = 0;
	struct rd_slot *s = malloc((n ? n : 1) * sizeof(*s));
	struct rd_slot *win = malloc((n ? n : 1) * sizeof(*win));

	if (s == NULL || win == NULL) {
		free(s);
		free(win);
		return -ENOMEM;
	}
	for (int fam = 0; fam < 2; fam++)
		for (unsigned i = 0; i < be->pend[fam].n; i++) {
			if (fam) {
				s[k].key = ((const struct lease6_rec *)rd_rec(&be->pend[1], i))->addr;
			} else {
				s[k].key.hi = 0;
				s[k].key.lo = ((const struct lease_rec *)rd_rec(&be->pend[0], i))->addr;
			}
			s[k].pos = i;
			s[k].first = s[k].n = 0;
			s[k++].fam = (uint8_t)fam;
		}
	qsort(s, n, sizeof(*s), rd_slot_cmp);
	for (unsigned i = 0; i < n; i++)
		if (i + 1 == n || s[i].fam != s[i + 1].fam || !lease_addr6_eq(s[i].key, s[i + 1].key)) {
			win[w] = s[i];
			win[w].first = first;
			win[w++].n = i + 1 - first;
			first = i + 1;
		}
	free(be->all);
	be->all = s;
	*out = win;
	*nout = w;
	return 0;
}

int rd_sync(struct lease_backend *be)
{
	struct rd_slot *win = NULL;
	unsigned nwin = 0;
	int ret = 0, attempt;

	if (be == NULL)
		return -EINVAL;
	if (be->pend[0].n == 0 && be->pend[1].n == 0) {
		RD_STAT_ADD(be, syncs, 1);
		return 0;
	}
	if ((ret = rd_plan(be, &win, &nwin)) != 0)
		return ret;
	if (be->c && be->c->err)
		rd_disconnect(be);
	/* a connection found dead (the server closed it while idle), or a
	 * server that is no longer the primary, is re-made once (asking the
	 * sentinels again): a batch the first try applied after all is
	 * applied again harmlessly */
	for (attempt = 0; attempt < 2; attempt++) {
		if (be->c == NULL && (ret = rd_connect(be, be->last_err, sizeof(be->last_err))) != 0)
			break;
		ret = rd_run(be, win, nwin);
		if (ret != -EIO)
			break;
		rd_disconnect(be);
	}
	free(win);
	/* too few replicas: the batch is kept and tried again (the script
	 * changes nothing the second time); the connection is fine */
	if (ret == -ETIMEDOUT)
		ret = -EIO;
	if (ret)
		return ret;
	be->pend[0].n = be->pend[1].n = 0;
	RD_STAT_ADD(be, commits, 1);
	RD_STAT_ADD(be, syncs, 1);
	return 0;
}

void rd_discard(struct lease_backend *be)
{
	if (be)
		be->pend[0].n = be->pend[1].n = 0;
}

void rd_sync_free(struct lease_backend *be)
{
	free(be->pend[0].recs);
	free(be->pend[1].recs);
	be->pend[0].recs = be->pend[1].recs = NULL;
	be->pend[0].n = be->pend[1].n = 0;
	free(be->all);
	be->all = NULL;
}
