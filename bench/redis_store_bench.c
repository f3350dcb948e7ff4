/* redis_store_bench: the Redis lease store alone, as the flusher drives
 * it: N new DHCPv4 leases appended and synced in batches of B, then the
 * same N renewed (same clients, later expiry), then released (deletes).
 * For each phase: leases per second (wall clock, one connection, one
 * batch in flight as the flusher has it), and what Redis spent per lease
 * running the sync script, from INFO commandstats (usec of evalsha), so
 * the server's share and the client's can be told apart.  Not a test.
 *
 *   redis_store_bench SOCKET [N [B [keep]]]   (defaults 200000, 1024)
 *
 * With "keep" only the new leases are written and left in the store (for
 * a start-up measurement: bench/redis_load.sh).
 *
 * SOCKET: a redis-server's unix socket (bench/redis_store.sh starts one);
 * the store uses the key prefix "bench:" and is emptied first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "lease_backend.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long redis_pid;

/* redis-server's user + system CPU in seconds, from /proc (same machine) */
static double redis_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", redis_pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* usec and calls of one command in INFO commandstats; 0 when absent */
static void cmdstat(redisContext *c, const char *cmd, double *usec, double *calls)
{
	redisReply *r = redisCommand(c, "INFO commandstats");
	char key[64];
	const char *p;

	*usec = *calls = 0;
	if (r == NULL)
		return;
	snprintf(key, sizeof(key), "cmdstat_%s:", cmd);
	if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, key)) != NULL)
		sscanf(p + strlen(key), "calls=%lf,usec=%lf", calls, usec);
	freeReplyObject(r);
}

static void rec_fill(struct lease_rec *r, unsigned i, uint32_t expire, uint8_t state)
{
	memset(r, 0, sizeof(*r));
	r->seq = i + 1;
	r->addr = 0xc6120000u + 256 + i;       /* 198.18.1.0 on */
	r->subnet_id = 1;
	r->valid_lft = 3600;
	r->expire = expire;
	r->state = state;
	r->htype = 1;
	r->hwaddr_len = 6;
	r->hwaddr[0] = 0x02;
	r->hwaddr[2] = (uint8_t)(i >> 24);
	r->hwaddr[3] = (uint8_t)(i >> 16);
	r->hwaddr[4] = (uint8_t)(i >> 8);
	r->hwaddr[5] = (uint8_t)i;
}

/* One phase: every record through append + sync in batches of b. */
static int phase(const char *name, const struct lease_backend_ops *ops, struct lease_backend *be,
		 redisContext *mon, struct lease_rec *recs, unsigned n, unsigned b,
		 uint32_t expire, uint8_t del)
{
	double u0, c0, u1, c1, e0, ec0, e1, ec1, t0, t1, cpu0, cpu1;
	unsigned i, k;

	for (i = 0; i < n; i++)
		rec_fill(&recs[i], i, expire, 0);
	if (del)               /* a release: valid lifetime 0 deletes */
		for (i = 0; i < n; i++)
			recs[i].valid_lft = 0;
	cmdstat(mon, "evalsha", &u0, &c0);
	cmdstat(mon, "exec", &e0, &ec0);
	cpu0 = redis_cpu_s();
	t0 = now_s();
	for (i = 0; i < n; i += b) {
		k = n - i < b ? n - i : b;
		if (ops->append(be, recs + i, k) || ops->sync(be)) {
			fprintf(stderr, "%s: append/sync failed at %u\n", name, i);
			return -1;
		}
	}
	t1 = now_s();
	cpu1 = redis_cpu_s();
	cmdstat(mon, "evalsha", &u1, &c1);
	cmdstat(mon, "exec", &e1, &ec1);
	printf("%-8s %8u leases  %8.0f leases/s  redis-server CPU %5.2f us/lease, in the "
	       "script %5.2f us/lease  (%0.f scripts, %0.f MULTI)\n", name, n, n / (t1 - t0),
	       (cpu1 - cpu0) * 1e6 / n, (u1 - u0) / n, c1 - c0, ec1 - ec0 > 0 ? ec1 - ec0 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	const struct lease_backend_ops *ops = lease_backend_find("redis");
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 200000;
	unsigned b = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1024;
	struct conf_lease_db db;
	struct lease_backend *be;
	struct lease_rec *recs;
	redisContext *mon;
	char err[512];
	uint32_t t = (uint32_t)time(NULL);
	int ret = 1;

	if (argc < 2 || ops == NULL || n == 0 || b == 0) {
		fprintf(stderr, "usage: %s SOCKET [N [B]]\n", argv[0]);
		return 2;
	}
	mon = redisConnectUnix(argv[1]);
	if (mon == NULL || mon->err) {
		fprintf(stderr, "connect %s: %s\n", argv[1], mon ? mon->errstr : "no memory");
		return 1;
	}
	freeReplyObject(redisCommand(mon, "FLUSHALL"));
	{
		redisReply *r = redisCommand(mon, "INFO server");
		const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "process_id:") : NULL;

		redis_pid = p ? strtol(p + 11, NULL, 10) : 0;
		freeReplyObject(r);
	}
	memset(&db, 0, sizeof(db));
	db.type = CONF_DB_REDIS;
	db.durability = CONF_DUR_COMMIT;
	db.connect_timeout = 5;
	snprintf(db.socket, sizeof(db.socket), "%s", argv[1]);
	snprintf(db.name, sizeof(db.name), "bench");
	be = ops->open(&db, err, sizeof(err));
	recs = calloc(n, sizeof(*recs));
	if (be == NULL || recs == NULL) {
		fprintf(stderr, "open: %s\n", be ? "no memory" : err);
		goto out;
	}
	printf("redis store: %u leases in batches of %u, one batch in flight\n", n, b);
	if (argc > 4 && strcmp(argv[4], "keep") == 0) {
		ret = phase("new", ops, be, mon, recs, n, b, t + 86400, 0) ? 1 : 0;
		goto out;
	}
	if (phase("new", ops, be, mon, recs, n, b, t + 3600, 0) ||
	    phase("renew", ops, be, mon, recs, n, b, t + 7200, 0) ||
	    phase("release", ops, be, mon, recs, n, b, t + 7200, 1))
		goto out;
	ret = 0;
out:
	if (be)
		ops->close(be);
	free(recs);
	redisFree(mon);
	return ret;
}
