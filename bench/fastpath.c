/* fastpath: Peregrine's datapath alone, in one process, no kernel.
 *
 * The generator (gen.c) and the real datapath (dp_worker_main over a
 * net_ring port, as dp_ring_test builds it) exchange frames through
 * rte_rings.  Two ways to run the workers:
 *
 *   --threads   workers on their own lcores, the generator on the main
 *               lcore: the rate the whole thing sustains; each worker's
 *               thread CPU time gives DORA/s per worker core.
 *   (default)   inline: the main thread alternates between the generator
 *               and dp_worker_main, which returns as soon as its queues are
 *               empty (dhcp4_expire is wrapped, -Wl,--wrap, to stop the
 *               loop on the first pass that finds nothing).  Only the time
 *               spent inside dp_worker_main is counted, so the number is
 *               the worker's own cost per DORA, free of generator and
 *               scheduling noise; under callgrind, --toggle-collect on
 *               dp_worker_main counts exactly the server's instructions.
 *
 * Also: memory per lease and the rate with the pool nearly empty or nearly
 * full (--warmup then --scenario churn), and --startup N: write a Kea
 * lease file of N leases, time its load into the workers' tables.
 *
 * In-process only: the frames never leave the process, so the pool may be
 * larger than the 198.18.0.0/15 benchmarking range (10.0.0.0/8 here).
 *
 * --v6 na|pd|both: DHCPv6 instead (gen6.h), relayed SARRs as in
 * bench/compare6.sh, from 2001:db8:1::fe to the port's 2001:db8:1::1; the
 * IA_NA pool 2001:db8:1::1:0 - 2001:db8:1::ffff:ffff, the IA_PD pool
 * 2001:db8:8000::/33 in /56s (2^23 prefixes). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include "alloc.h"
#include "conf.h"
#include "dhcp6_server.h"
#include "dp.h"
#include "util_fs.h"
#include "gen.h"
#include "gen6.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "log.h"

#define RING_SIZE 16384
#define BURST 32

static struct conf *conf;
static struct dp dp;
static struct rte_ring *rxr[DP_MAX_WORKERS], *txr[DP_MAX_WORKERS];
static unsigned n_workers = 1, cur_worker;
static bool inline_mode = true;
static uint64_t expire_calls;
static pthread_t worker_tid[DP_MAX_WORKERS];

/* ---- inline mode: stop dp_worker_main once its queues are empty ---- */

unsigned __real_dhcp4_expire(struct dhcp4_worker *w, unsigned max);
unsigned __wrap_dhcp4_expire(struct dhcp4_worker *w, unsigned max);

static bool queues_empty(unsigned id)
{
	unsigned s;

	if (rte_ring_count(rxr[id]))
		return false;
	for (s = 0; s < n_workers; s++)
		if (s != id && dp.steer[s][id] && rte_ring_count(dp.steer[s][id]))
			return false;
	return true;
}

unsigned __wrap_dhcp4_expire(struct dhcp4_worker *w, unsigned max)
{
	expire_calls++;
	if (inline_mode && queues_empty(cur_worker))
		__atomic_store_n(&dp.quit, 1, __ATOMIC_RELAXED);
	return __real_dhcp4_expire(w, max);
}

static int worker_thread(void *arg)
{
	struct dp_worker *w = arg;

	worker_tid[w->id] = pthread_self();
	return dp_worker_main(w);
}

static double thread_cpu_s(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t leases_held(size_t *bytes)
{
	uint64_t n = 0;
	unsigned w;

	*bytes = 0;
	for (w = 0; w < dp.n_workers; w++) {
		struct lease_table *t = dhcp4_worker_leases(dp.workers[w]->dw);

		n += lease_table_count(t);
		*bytes += lease_table_memory(t);
	}
	return n;
}

/* --extra-conf: config text appended to the generated one (classes,
 * reservations...), so their cost on the fast path can be measured. */
static const char *extra_conf;
static unsigned v6_ia;                  /* enum gen6_ia; 0 = DHCPv4 */

#define V6_SERVER "2001:db8:1::1"
#define V6_RELAY  "2001:db8:1::fe"
#define V6_POOL   "2001:db8:1::1:0-2001:db8:1::ffff:ffff"
#define V6_PD     "2001:db8:8000::/33"

static struct conf *make_conf(uint32_t pool_size, const char *lease_file, bool huge)
{
	char path[] = "/tmp/pg_fastpath_XXXXXX", err[512], text[4096], lcores[64], v6[1024] = "";
	uint32_t last = 0x0a000000u + pool_size + 9;   /* 10.0.0.10 ... */
	struct conf *c;
	unsigned i;
	int fd, n;

	n = snprintf(lcores, sizeof(lcores), "0");
	for (i = 1; i <= n_workers; i++)
		n += snprintf(lcores + n, sizeof(lcores) - (size_t)n, ",%u", i);
	if (v6_ia)
		snprintf(v6, sizeof(v6),
			 "dhcp6 = { preferred-lifetime = 3000; valid-lifetime = 4000;\n"
			 "  server-id = { type = \"LL\"; persist = false; };\n"
			 "  lease-database = { type = \"memfile\"; name = \"%s6\"; };\n"
			 "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; interface = \"r0\";\n"
			 "    relay = { ip-addresses = [ \"" V6_RELAY "\" ]; };\n"
			 "    pools = ( { pool = \"" V6_POOL "\"; } );\n"
			 "    pd-pools = ( { prefix = \"2001:db8:8000::\"; prefix-len = 33; "
			 "delegated-len = 56; } ); } ); };\n",
			 lease_file ? lease_file : "/nonexistent");
	snprintf(text, sizeof(text),
		 "dpdk = { lcores = \"%s\"; no-huge = %s; };\n"
		 "interfaces = ( { name = \"r0\"; device = \"net_ring_fp0\"; address = \"10.0.0.1/8\";%s } );\n"
		 "valid-lifetime = 86400;\n"
		 "lease-database = { type = \"memfile\"; name = \"%s\"; durability = \"%s\"; lfc-interval = 0; };\n"
		 "subnet4 = ( { id = 1; subnet = \"10.0.0.0/8\";\n"
		 "  pools = ( { pool = \"10.0.0.10 - %u.%u.%u.%u\"; } );\n"
		 "  option-data = ( { name = \"routers\"; data = \"10.0.0.1\"; } ); } );\n%s",
		 lcores, huge ? "false" : "true",
		 v6_ia ? " address6 = \"" V6_SERVER "/64\";" : "",
		 lease_file ? lease_file : "/nonexistent", lease_file ? "commit" : "memory",
		 last >> 24, (last >> 16) & 255, (last >> 8) & 255, last & 255, v6);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		perror("config");
		return NULL;
	}
	if (extra_conf) {
		char buf[65536];
		ssize_t r;
		int in = open(extra_conf, O_RDONLY);

		if (in < 0) {
			perror(extra_conf);
			close(fd);
			unlink(path);
			return NULL;
		}
		while ((r = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)r) != r)
				break;
		close(in);
	}
	close(fd);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	if (!c)
		fprintf(stderr, "config: %s\n", err);
	return c;
}

/* Move the workers' replies to the generator and its requests to the
 * workers' RX rings (round robin, as relays and broadcasts land). */
static bool push(struct gen *g, uint64_t now, unsigned *rr)
{
	struct rte_mbuf *pkts[BURST * 2];
	unsigned q, k, sent;

	for (;;) {
		k = gen_tx(g, pkts, BURST * 2, now);
		if (!k)
			return true;
		q = (*rr)++ % n_workers;
		sent = rte_ring_sp_enqueue_burst(rxr[q], (void **)pkts, k, NULL);
		if (sent < k) {
			gen_tx_failed(g, pkts + sent, k - sent);
			return false;
		}
	}
}

static void exchange(struct gen *g, uint64_t now, unsigned *rr)
{
	struct rte_mbuf *pkts[BURST];
	unsigned q, n;

	for (q = 0; q < n_workers; q++) {
		/* follow-ups go out after every burst: the generator's queue
		 * for them is bounded */
		while ((n = rte_ring_sc_dequeue_burst(txr[q], (void **)pkts, BURST, NULL)) > 0) {
			gen_rx(g, pkts, n, now);
			push(g, now, rr);
		}
	}
	push(g, now, rr);
}

struct run_result {
	struct gen_report rep;
	double worker_s[DP_MAX_WORKERS];   /* time (inline) or CPU (threads) in workers */
	double worker_sum_s;
	double rx_busy_pct;                 /* threads: samples with RX non-empty */
};

/* One generator run against the workers; the measured phase only. */
static int run(const struct gen_params *gp, bool quiet, struct run_result *res)
{
	struct gen6_params gp6 = { .common = *gp, .ia = v6_ia, .relayed = true,
				   .pd_len = 33, .delegated_len = 56 };
	struct gen *g;

	if (v6_ia) {
		inet_pton(AF_INET6, V6_SERVER, gp6.server_addr);
		inet_pton(AF_INET6, V6_RELAY, gp6.link_addr);
		inet_pton(AF_INET6, V6_RELAY, gp6.relay_addr);
		gen6_parse_range(V6_POOL, gp6.pool_first, gp6.pool_last);
		gen6_parse_prefix(V6_PD, gp6.pd_prefix, &gp6.pd_len);
		g = gen6_create(&gp6);
	} else {
		g = gen_create(gp);
	}
	uint64_t hz = rte_get_tsc_hz(), now, next_prog, t_meas = 0;
	double cpu0[DP_MAX_WORKERS] = { 0 };
	uint64_t samples = 0, busy = 0;
	unsigned rr = 0, w;
	bool started = false;

	if (!g) {
		perror("generator");
		return -1;
	}
	memset(res, 0, sizeof(*res));
	next_prog = rte_rdtsc() + hz;
	for (;;) {
		now = rte_rdtsc();
		exchange(g, now, &rr);
		if (!started && gen_measuring(g)) {
			started = true;
			t_meas = now;
			for (w = 0; w < n_workers; w++) {
				res->worker_s[w] = 0;
				cpu0[w] = inline_mode ? 0 : thread_cpu_s(worker_tid[w]);
			}
		}
		if (inline_mode) {
			for (w = 0; w < n_workers; w++) {
				uint64_t t0, t1;

				if (queues_empty(w))
					continue;
				cur_worker = w;
				__atomic_store_n(&dp.quit, 0, __ATOMIC_RELAXED);
				t0 = rte_rdtsc();
				dp_worker_main(dp.workers[w]);
				t1 = rte_rdtsc();
				if (started)
					res->worker_s[w] += (double)(t1 - t0) / (double)hz;
			}
		} else if (started) {
			samples++;
			busy += rte_ring_count(rxr[0]) > 0;
		}
		if (now >= next_prog) {
			if (!quiet)
				gen_progress(g, now, stderr);
			next_prog += hz;
		}
		if (gen_done(g, now))
			break;
	}
	gen_report(g, rte_rdtsc(), &res->rep);
	for (w = 0; w < n_workers; w++) {
		if (!inline_mode)
			res->worker_s[w] = thread_cpu_s(worker_tid[w]) - cpu0[w];
		res->worker_sum_s += res->worker_s[w];
	}
	res->rx_busy_pct = samples ? 100.0 * (double)busy / (double)samples : 0;
	(void)t_meas;
	gen_free(g);
	return 0;
}

static void print_run(const char *label, const struct run_result *r, FILE *json)
{
	uint64_t dora = r->rep.c.done[GEN_K_DORA];
	double per_core = r->worker_sum_s > 0 ? (double)dora / r->worker_sum_s : 0;
	const char *k = r->rep.kind_text[GEN_K_DORA];

	printf("%-28s %s %9lu  wall %.0f/s  worker-core %.0f %s/s  (%s %.3f s) "
	       "drops %lu dup %lu%s\n", label, k, dora, r->rep.leases_per_s, per_core, k,
	       inline_mode ? "in workers" : "worker CPU", r->worker_sum_s, r->rep.c.drops,
	       r->rep.c.duplicates, inline_mode ? "" : "");
	if (!inline_mode)
		printf("%-28s RX ring non-empty in %.0f%% of samples (100%% = workers saturated)\n",
		       "", r->rx_busy_pct);
	if (json)
		fprintf(json, "{\"run\": \"%s\", \"workers\": %u, \"inline\": %s, \"dora\": %lu, "
			      "\"releases\": %lu, \"wall_dora_per_s\": %.1f, \"worker_s\": %.6f, "
			      "\"dora_per_worker_core_s\": %.1f, \"drops\": %lu, \"duplicates\": %lu, "
			      "\"p50_us\": %.1f, \"p99_us\": %.1f}\n",
			label, n_workers, inline_mode ? "true" : "false", dora,
			r->rep.c.done[GEN_K_RELEASE], r->rep.leases_per_s, r->worker_sum_s,
			per_core, r->rep.c.drops, r->rep.c.duplicates, r->rep.p50_us, r->rep.p99_us);
}

/* The DHCPv6 runtime the workers are made with, as main.c builds it. */
static int v6_runtime(void)
{
	uint8_t duid[DHCP6_DUID_MAX], len;
	char err[256];

	if (dhcp6_server_duid(conf->v6, dp.ports[0].mac.addr_bytes, duid, &len, err,
			      sizeof(err))) {
		fprintf(stderr, "DHCPv6 server DUID: %s\n", err);
		return -1;
	}
	dp.rt6 = dhcp6_runtime_create(conf, duid, len);
	return dp.rt6 ? 0 : -1;
}

/* ---- start-up: a Kea lease file of n leases, loaded as main.c does ---- */

struct restore_ctx {
	uint64_t n, failed;
};

static int restore_one(const struct lease_rec *r, void *arg)
{
	struct restore_ctx *rc = arg;
	struct lease_key k;

	dhcp4_rec_key(r, conf->match_client_id, &k);
	if (dhcp4_restore(dp.workers[dhcp4_owner(&k, dp.n_workers)]->dw, r))
		rc->failed++;
	rc->n++;
	return 0;
}

static int write_lease_file(const char *path, uint32_t n)
{
	FILE *f = fopen(path, "w");
	char line[LEASE_CSV_LINE_MAX];
	struct lease_rec r;
	uint32_t i, now = (uint32_t)time(NULL);
	int len;

	if (!f)
		return -errno;
	fprintf(f, "%s\n", lease_csv_header);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		r.addr = 0x0a00000au + i;
		r.subnet_id = 1;
		r.valid_lft = 86400;
		r.expire = now + 86400;
		r.htype = 1;
		r.hwaddr_len = 6;
		r.hwaddr[0] = 0x02; r.hwaddr[1] = 0x09;
		r.hwaddr[2] = (uint8_t)(i >> 24); r.hwaddr[3] = (uint8_t)(i >> 16);
		r.hwaddr[4] = (uint8_t)(i >> 8); r.hwaddr[5] = (uint8_t)i;
		r.cid_len = 7;
		r.cid[0] = 1;
		memcpy(r.cid + 1, r.hwaddr, 6);
		len = lease_csv_format(&r, line, sizeof(line));
		if (len < 0 || fwrite(line, 1, (size_t)len, f) != (size_t)len) {
			fclose(f);
			return -EIO;
		}
	}
	return fclose(f) ? -errno : 0;
}

static int startup(const char *path, uint32_t n, FILE *json)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct restore_ctx rc = { 0 };
	struct lease_backend *be;
	struct timespec t0, t1, t2;
	char err[256];
	size_t bytes;
	double gen_s, load_s;
	unsigned w;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = write_lease_file(path, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	gen_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (w = 0; w < dp.n_workers; w++)
		dhcp4_worker_set_now(dp.workers[w]->dw, (uint32_t)time(NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	be = ops ? ops->open(&conf->lease_db, err, sizeof(err)) : NULL;
	if (!be) {
		fprintf(stderr, "memfile: %s\n", ops ? err : "not registered");
		return -EINVAL;
	}
	ret = ops->load(be, restore_one, &rc);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	ops->close(be);
	if (ret)
		return ret;
	load_s = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	printf("start-up: %u-lease Kea memfile written in %.3f s; open+load+restore %.3f s "
	       "(%lu records, %lu refused, %lu in the tables)\n", n, gen_s, load_s, rc.n,
	       rc.failed, leases_held(&bytes));
	if (json)
		fprintf(json, "{\"run\": \"startup\", \"leases\": %u, \"load_s\": %.4f, "
			      "\"refused\": %lu}\n", n, load_s, rc.failed);
	return rc.failed ? -EINVAL : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: fastpath [options]\n"
"  --workers N        1..4 worker lcores (default 1)\n"
"  --threads          workers on their own lcores (default: inline, see the source)\n"
"  --huge             use hugepages (default --no-huge)\n"
"  --scenario S       dora | churn | renew | mix (default dora)\n"
"  --clients N        simulated clients (default 1000000)\n"
"  --pool-size N      addresses in the pool (default 2^21)\n"
"  --warmup N         leases granted before the measured phase\n"
"  --count N          transactions in the measured phase (default 1000000)\n"
"  --duration S       bound on the measured phase (default 20)\n"
"  --outstanding N    closed loop window (default 2048)\n"
"  --memory           print memory per lease after the run\n"
"  --startup N        time the load of an N-lease Kea memfile instead\n"
"  --timeout MS       per request (default 2000; raise it under valgrind)\n"
"  --label TEXT       name of the run in the output\n"
"  --extra-conf FILE  append FILE to the generated config (classes, reservations)\n"
"  --v6 na|pd|both    DHCPv6: relayed SARRs (scenario dora = sarr) for these IAs\n"
"  --json FILE        append one JSON object per line\n"
"  --quiet\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workers", 1, 0, 'w' }, { "threads", 0, 0, 't' }, { "huge", 0, 0, 'H' },
		{ "scenario", 1, 0, 's' }, { "clients", 1, 0, 'n' }, { "pool-size", 1, 0, 'P' },
		{ "warmup", 1, 0, 'W' }, { "count", 1, 0, 'c' }, { "duration", 1, 0, 'd' },
		{ "outstanding", 1, 0, 'o' }, { "memory", 0, 0, 'M' }, { "startup", 1, 0, 'S' },
		{ "json", 1, 0, 'j' }, { "quiet", 0, 0, 'q' }, { "label", 1, 0, 'L' },
		{ "extra-conf", 1, 0, 'X' },
		{ "timeout", 1, 0, 'T' }, { "v6", 1, 0, '6' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct gen_params gp = {
		.scenario = GEN_DORA, .n_clients = 1000000, .tag = 7, .server_ip = 0x0a000001u,
		.outstanding = 2048, .timeout_s = 2.0, .retries = 1, .count = 1000000,
		.duration_s = 20, .seed = 12345,
	};
	char prefix[64], lcores[64], lease_path[] = "/tmp/pg_fastpath_leases_XXXXXX";
	char *eal[16];
	const char *json_path = NULL, *label = NULL;
	uint32_t pool_size = 1u << 21, startup_n = 0;
	bool huge = false, quiet = false, memory = false;
	int opt, ret, eargc = 0, status = 1, n;
	struct rte_mempool *mp;
	struct run_result res;
	struct dhcp4_runtime *rt = NULL;
	FILE *json = NULL;
	unsigned lcore, w;
	long rss0;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'w': n_workers = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': inline_mode = false; break;
		case 'H': huge = true; break;
		case 's':
			ret = gen_scenario_parse(optarg);
			if (ret < 0 || ret == GEN_RELEASE) {
				fprintf(stderr, "scenario '%s' not supported here\n", optarg);
				return 2;
			}
			gp.scenario = (enum gen_scenario)ret;
			break;
		case 'n': gp.n_clients = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'P': pool_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'W': gp.warmup = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': gp.count = strtoull(optarg, NULL, 0); break;
		case 'd': gp.duration_s = strtod(optarg, NULL); break;
		case 'o': gp.outstanding = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'M': memory = true; break;
		case 'S': startup_n = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'j': json_path = optarg; break;
		case 'q': quiet = true; break;
		case 'L': label = optarg; break;
		case 'X': extra_conf = optarg; break;
		case 'T': gp.timeout_s = strtod(optarg, NULL) / 1000.0; break;
		case '6':
			v6_ia = !strcmp(optarg, "na") ? GEN6_IA_NA : !strcmp(optarg, "pd") ? GEN6_IA_PD
				: !strcmp(optarg, "both") ? GEN6_IA_BOTH : 0;
			if (!v6_ia) {
				fprintf(stderr, "--v6: na, pd or both, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (n_workers < 1 || n_workers > 4 || pool_size < 16 || pool_size >= (1u << 24) ||
	    gp.warmup > gp.n_clients || gp.warmup > pool_size) {
		usage(stderr);
		return 2;
	}
	if (startup_n) {
		int fd = mkstemp(lease_path);

		if (fd < 0)
			return 1;
		close(fd);
		if (startup_n > pool_size)
			pool_size = startup_n;
	}
	conf = make_conf(pool_size, startup_n ? lease_path : NULL, huge);
	if (!conf)
		return 1;
	/* lcore 0 on CPU 0, workers on CPU 1, 0, 1...: two cores here */
	n = snprintf(lcores, sizeof(lcores), "0@0");
	for (w = 1; w <= n_workers; w++)
		n += snprintf(lcores + n, sizeof(lcores) - (size_t)n, ",%u@%u", w, w % 2);
	snprintf(prefix, sizeof(prefix), "pgfast-%d", (int)getpid());
	eal[eargc++] = "fastpath";
	eal[eargc++] = "--lcores";
	eal[eargc++] = lcores;
	eal[eargc++] = "--no-pci";
	eal[eargc++] = "--no-telemetry";
	eal[eargc++] = "--file-prefix";
	eal[eargc++] = prefix;
	eal[eargc++] = "--log-level=lib.eal:error";
	if (!huge) {
		eal[eargc++] = "--no-huge";
		eal[eargc++] = "-m";
		eal[eargc++] = "512";
	}
	eal[eargc] = NULL;
	if (rte_eal_init(eargc, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (json_path) {
		json = fopen(json_path, "a");
		if (!json)
			perror(json_path);
	}
	for (w = 0; w < n_workers; w++) {
		char name[32];

		snprintf(name, sizeof(name), "fp_rx%u", w);
		rxr[w] = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fp_tx%u", w);
		txr[w] = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rxr[w] || !txr[w])
			goto out;
	}
	if (rte_eth_from_rings("fp0", rxr, n_workers, txr, n_workers, 0) < 0) {
		fprintf(stderr, "rte_eth_from_rings failed\n");
		goto out;
	}
	rss0 = rss_kb();
	dp.conf = conf;
	dp.n_workers = rte_lcore_count() - 1;
	rt = dhcp4_runtime_create(conf);
	if (!rt || dp_ports_init(&dp) || dp_logs_init(&dp) || (v6_ia && v6_runtime()) ||
	    dp_workers_init(&dp, rt)) {
		fprintf(stderr, "datapath init failed\n");
		goto out;
	}
	/* inline mode enters dp_worker_main once per batch: keep its
	 * start/stop lines out of the measurement */
	log_init(CONF_LOG_WARN, CONF_LOG_STDERR);
	if (startup_n) {
		status = startup(lease_path, startup_n, json) ? 1 : 0;
		unlink(lease_path);
		goto out;
	}
	/* the generator's own pool: the outstanding window sits in the rings */
	mp = rte_pktmbuf_pool_create("fp_gen", (unsigned)rte_align32pow2(gp.outstanding * 2 +
				     4 * RING_SIZE * n_workers + 4096) - 1, 256, 0,
				     512 + RTE_PKTMBUF_HEADROOM, (int)rte_socket_id());
	if (!mp) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	gp.pool = mp;
	gp.port_id = dp.ports[0].port_id;
	gp.pool_first = 0x0a00000au;
	gp.pool_last = 0x0a00000au + pool_size - 1;
	if (!inline_mode)
		RTE_LCORE_FOREACH_WORKER(lcore)
			for (w = 0; w < dp.n_workers; w++)
				if (dp.workers[w]->lcore == lcore)
					rte_eal_remote_launch(worker_thread, dp.workers[w], lcore);
	ret = run(&gp, quiet, &res);
	if (!inline_mode) {
		__atomic_store_n(&dp.quit, 1, __ATOMIC_RELAXED);
		rte_eal_mp_wait_lcore();
	}
	if (ret)
		goto out;
	{
		char def[64];

		snprintf(def, sizeof(def), "%s %uw %s%s", gen_scenario_name(gp.scenario), n_workers,
			 inline_mode ? "inline" : "threads", huge ? " huge" : "");
		print_run(label ? label : def, &res, json);
	}
	if (memory) {
		size_t bytes;
		uint64_t held = leases_held(&bytes);
		/* the allocator: one bit per address plus two summary levels */
		double alloc_b = (double)pool_size / 8 * (1.0 + 1.0 / 64 + 1.0 / 4096);
		long rss = rss_kb() - rss0;

		printf("memory: %lu leases, lease tables %zu B = %.1f B/lease, + allocator %.0f B "
		       "(%.2f B/lease at this fill); RSS since init %ld kB (generator's tables "
		       "included)\n", held, bytes, held ? (double)bytes / (double)held : 0, alloc_b,
		       held ? alloc_b / (double)held : 0, rss);
		if (json)
			fprintf(json, "{\"run\": \"memory\", \"leases\": %lu, \"table_bytes\": %zu, "
				      "\"bytes_per_lease\": %.2f, \"alloc_bytes\": %.0f}\n", held,
				bytes, held ? (double)bytes / (double)held : 0, alloc_b);
	}
	status = res.rep.c.duplicates || res.rep.c.out_of_pool ? 3 : 0;
out:
	if (json)
		fclose(json);
	(void)expire_calls;
	dp_workers_drain(&dp);
	dp_ports_close(&dp);
	dp_workers_free(&dp);
	dp_logs_free(&dp);
	dhcp4_runtime_free(rt);
	dhcp6_runtime_free(dp.rt6);
	conf_free(conf);
	rte_eal_cleanup();
	/* EAL leaves its runtime directory behind: this run's is ours */
	{
		char dir[96];

		snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
		(void)util_rmtree(dir);
	}
	return status;
}
