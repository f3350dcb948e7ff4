/* peregrine: the DHCPv4 server process.
 *
 *   peregrine -c FILE [-s STATSFILE] [-d]    run
 *   peregrine -t FILE                        check a configuration
 *
 * Start-up order: config -> EAL (arguments from the config) -> ports ->
 * lease store -> workers -> restore leases -> flusher -> lcores.  Shutdown
 * runs it backwards, and the flusher drains before anything is closed so a
 * clean stop loses nothing. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include "alloc.h"
#include "conf.h"
#include "ctl_srv.h"
#include "dp.h"
#include "util_fs.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "ha_run.h"
#include "radius_run.h"
#include "log.h"
#include "wb.h"

#define MAX_EAL_ARGS 64

static volatile sig_atomic_t sig_quit, sig_stats, sig_hup;
static int store_gave_up;           /* on-fail *-retry-exit ended the run */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_stats = 1;
	else if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: peregrine -c FILE [-s STATSFILE] [-d]   run the server\n"
		   "       peregrine -t FILE                      check a configuration\n"
		   "  -c FILE   configuration (libconfig)\n"
		   "  -s FILE   write statistics here on SIGUSR1 and at exit\n"
		   "  -d        debug logging\n"
		   "  -V        print the version\n");
}

/* EAL arguments come from the config, so one file describes a deployment.
 * Virtual devices are probed after init (dp_probe_vdevs), once the worker
 * count is known and af_packet/af_xdp can be given one queue per worker. */
static int eal_args(const struct conf *c, char **argv, char *mem)
{
	int argc = 0;
	unsigned i;
	bool any_pci = false;

	argv[argc++] = "peregrine";
	argv[argc++] = "--lcores";
	argv[argc++] = (char *)c->dpdk.lcores;
	argv[argc++] = "--file-prefix";
	argv[argc++] = (char *)c->dpdk.file_prefix;
	argv[argc++] = "--no-telemetry";
	if (c->dpdk.no_huge)
		argv[argc++] = "--no-huge";
	if (c->dpdk.memory_mb) {
		snprintf(mem, 16, "%u", c->dpdk.memory_mb);
		argv[argc++] = "-m";
		argv[argc++] = mem;
	}
	if (!log_enabled(CONF_LOG_DEBUG))
		argv[argc++] = "--log-level=lib.eal:warning";
	for (i = 0; i < c->n_ifaces && argc < MAX_EAL_ARGS - 4; i++)
		if (strncmp(c->ifaces[i].device, "net_", 4) != 0) {
			argv[argc++] = "-a";
			argv[argc++] = (char *)c->ifaces[i].device;
			any_pci = true;
		}
	if (!any_pci)
		argv[argc++] = "--no-pci";
	for (i = 0; i < c->dpdk.n_extra_args && argc < MAX_EAL_ARGS - 1; i++)
		argv[argc++] = c->dpdk.extra_args[i];
	argv[argc] = NULL;
	return argc;
}

static int probe_vdevs(const struct dp *dp)
{
	const struct conf *c = dp->conf;
	char devargs[512];
	unsigned i;
	size_t len;
	int ret;

	for (i = 0; i < c->n_ifaces; i++) {
		const char *d = c->ifaces[i].device;

		if (strncmp(d, "net_", 4) != 0)
			continue;
		len = (size_t)snprintf(devargs, sizeof(devargs), "%s", d);
		if (!strncmp(d, "net_af_packet", 13)) {
			if (!strstr(d, "qpairs="))
				len += (size_t)snprintf(devargs + len, sizeof(devargs) - len,
							",qpairs=%u", dp->n_workers);
			/* The kernel ring is all that holds frames while a worker
			 * is descheduled (or, before reloads stopped pausing the
			 * workers, paused by one): the PMD's
			 * 512 frames last ~50 ms at 10k frames/s.  4096 (8 MiB per
			 * queue pair) rides out stalls seen on shared hosts. */
			if (!strstr(d, "framecnt=") && len < sizeof(devargs))
				snprintf(devargs + len, sizeof(devargs) - len, ",framecnt=4096");
		} else if (!strncmp(d, "net_af_xdp", 10) && !strstr(d, "queue_count=")) {
			snprintf(devargs + len, sizeof(devargs) - len, ",queue_count=%u", dp->n_workers);
		}
		ret = rte_dev_probe(devargs);
		if (ret) {
			LOG_E("%s:%d: interface %s: cannot probe device '%s': %s", c->file,
			      c->ifaces[i].line, c->ifaces[i].name, devargs, rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* DHCPv6: the server's DUID (from the first port's MAC unless the
 * configuration or the data directory says otherwise) and the shared
 * runtime the workers are made with. */
static int dp_v6_init(struct dp *dp)
{
	uint8_t duid[DHCP6_DUID_MAX], len;
	char err[512];

	if (!dp->n_ports) {
		LOG_E("DHCPv6: no interface");
		return -1;
	}
	if (dhcp6_server_duid(dp->conf->v6, dp->ports[0].mac.addr_bytes, duid, &len, err,
			      sizeof(err))) {
		LOG_E("%s: %s", dp->conf->file, err);
		return -1;
	}
	dp->rt6 = dhcp6_runtime_create(dp->conf, duid, len);
	if (!dp->rt6) {
		LOG_E("DHCPv6 runtime: %s", strerror(errno));
		return -1;
	}
	LOG_I("DHCPv6: server DUID of %u bytes, %u pool(s)", len, dhcp6_runtime_pool_count(dp->rt6));
	return 0;
}

struct restore_ctx {
	struct dp *dp;
	uint64_t n, failed;
};

static int restore_one(const struct lease_rec *r, void *arg)
{
	struct restore_ctx *rc = arg;
	struct lease_key k;
	unsigned owner;

	dhcp4_rec_key(r, rc->dp->conf->match_client_id, &k);
	owner = dhcp4_owner(&k, rc->dp->n_workers);
	if (dhcp4_restore(rc->dp->workers[owner]->dw, r))
		rc->failed++;
	rc->n++;
	return 0;
}

static int restore6_one(const struct lease6_rec *r, void *arg)
{
	struct restore_ctx *rc = arg;
	unsigned owner = dhcp6_rec_owner(r, rc->dp->n_workers);

	if (dhcp6_restore(rc->dp->workers[owner]->dw6, r))
		rc->failed++;
	rc->n++;
	return 0;
}

static void stats_to_file(struct dp_srv *srv, const char *path)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		LOG_W("statistics file %s: %s", tmp, strerror(errno));
		return;
	}
	dp_srv_stats_write(srv, f);
	if (fclose(f) || rename(tmp, path))
		LOG_W("statistics file %s: %s", path, strerror(errno));
}

static void stats_log(struct dp_srv *srv)
{
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	dp_srv_stats_write(srv, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strrchr(line, ' ');

		/* the log shows what happened; zero counters are noise there */
		if (sp && strcmp(sp, " 0") != 0)
			LOG_I("stat %s", line);
	}
	free(buf);
}

/* HA's query filter (dp.h): the scopes' classes from the block.  Until
 * the HA thread runs (issue 16's next step) both scopes are served, so a
 * server with the block answers as one without it. */
static void ha_filter_setup(struct dp *dp, const struct conf_ha *ha)
{
	unsigned i, scope;

	if (ha == NULL)
		return;
	dp->ha_on = true;
	dp->ha_active = ha->mode == CONF_HA_LOAD_BALANCING ? 2 : 1;
	dp->ha_scopes[0] = dp->ha_scopes[1] = 3u;
	for (i = 0; i < ha->n_peers; i++) {
		const struct conf_ha_peer *p = &ha->peers[i];

		if (p->role == CONF_HA_PRIMARY)
			scope = 0;
		else if (p->role == CONF_HA_SECONDARY)
			scope = 1;
		else
			continue;
		dp->ha_class[0][scope] = p->class4 > 0 ? (uint16_t)p->class4 : 0;
		dp->ha_class[1][scope] = p->class6 > 0 ? (uint16_t)p->class6 : 0;
	}
}

/* The store's state as the flusher sees it: logged when it changes, DHCP
 * service off while it is away under on-fail stop-retry-exit (Kea's
 * meaning), and the server stopped once the flusher gave up reconnecting
 * under *-retry-exit.  Main's loop calls it every tick. */
static void watch_store(struct dp *dp, const char *conf_path)
{
	static enum wb_store_state last = WB_STORE_UP;
	const struct conf_lease_db *db = &dp->conf->lease_db;
	enum wb_store_state st = wb_store_state(dp->wb);
	struct wb_stats ws;
	char label[PATH_MAX + 16], why[WB_ERR_MAX];

	(void)conf_path;
	if (st == last)
		return;
	wb_get_stats(dp->wb, &ws);
	/* "postgresql kea", "redis site1", or the type alone */
	snprintf(label, sizeof(label), "%s%s%s", conf_db_type_name(db->type), db->name[0] ? " " : "",
		 db->name);
	wb_store_error(dp->wb, why, sizeof(why));
	if (st == WB_STORE_UP) {
		if (db->shared)
			LOG_I("lease database %s is back: the changes that waited are in it", label);
		else
			LOG_I("lease database %s is back: the journal (%lu change(s) in all) was "
			      "replayed into it", label, ws.replayed);
		netstate_enable(&dp->ns, NETSTATE_BOTH, NETSTATE_DB);
	} else if (last == WB_STORE_UP) {
		LOG_W("lease database %s is unreachable%s%s%s: %s%s, reconnecting every %u ms%s", label,
		      why[0] ? " (" : "", why[0] ? why : "", why[0] ? ")" : "",
		      db->shared ? "changes wait for it" : "changes go to the journal in ",
		      db->shared ? "" : db->journal_dir,
		      db->reconnect_wait_time < WB_RECONNECT_MIN_MS ? WB_RECONNECT_MIN_MS :
		      db->reconnect_wait_time,
		      db->on_fail == CONF_ON_FAIL_STOP_RETRY_EXIT ? "; DHCP service stopped until "
		      "it is back (on-fail stop-retry-exit)" : "");
		if (db->on_fail == CONF_ON_FAIL_STOP_RETRY_EXIT)
			netstate_disable(&dp->ns, NETSTATE_BOTH, NETSTATE_DB, (uint32_t)time(NULL), 0);
	}
	if (st == WB_STORE_GAVE_UP) {
		LOG_E("lease database %s: %u reconnect tries failed, the last: %s (backlog %lu "
		      "change(s) in the journal)%s", label, db->max_reconnect_tries,
		      why[0] ? why : "no reason given", ws.backlog,
		      db->on_fail == CONF_ON_FAIL_SERVE_RETRY_CONTINUE ? "; serving on, "
		      "journaling and retrying (on-fail serve-retry-continue)" :
		      "; stopping (on-fail retry-exit); the journal is replayed at the next start");
		if (db->on_fail != CONF_ON_FAIL_SERVE_RETRY_CONTINUE) {
			store_gave_up = 1;
			sig_quit = 1;
		}
	}
	last = st;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *stats_path = NULL;
	char err[1024], mem[16], *eargv[MAX_EAL_ARGS + 1];
	struct dhcp4_runtime *rt = NULL;
	const struct lease_backend_ops *ops = NULL;
	struct lease_backend *be = NULL;
	struct conf_lease_db journal_db;
	struct conf *conf;
	struct dp dp;
	struct dp_srv srv;
	struct ha_run *ha = NULL;
	struct radius_run *radius = NULL;
	bool check_only = false, debug = false;
	int opt, eargc, ret, status = 1;
	unsigned lcore, leaked;

	while ((opt = getopt(argc, argv, "c:t:s:dVh")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 't': conf_path = optarg; check_only = true; break;
		case 's': stats_path = optarg; break;
		case 'd': debug = true; break;
		case 'V': printf("peregrine %s\n", PEREGRINE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!conf_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	conf = conf_load(conf_path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration OK (%u interface(s), %u subnet(s)", conf_path,
		       conf->n_ifaces, conf->n_subnets);
		if (conf->v6)
			printf(", %u subnet6(s)", conf->v6->n_subnets);
		printf(")\n");
		conf_free(conf);
		return 0;
	}
	log_init(debug ? CONF_LOG_DEBUG : conf->logging.severity, conf->logging.output);
	LOG_I("peregrine %s starting with %s", PEREGRINE_VERSION, conf_path);

	memset(&dp, 0, sizeof(dp));
	netstate_init(&dp.ns);
	memset(&srv, 0, sizeof(srv));
	dp.conf = conf;
	ha_filter_setup(&dp, conf->ha);
	srv.dp = &dp;
	srv.conf = conf;
	srv.conf_path = conf_path;
	srv.quit = &sig_quit;
	if (dp_srv_init(&srv)) {
		LOG_E("%s: %s", conf_path, strerror(errno));
		conf_free(conf);
		return 1;
	}
	/* The hosts-database's reservations join the file's before anything
	 * is built from the snapshot (bounded by its connect-timeout). */
	ret = dp_srv_hosts_start(&srv, err, sizeof(err));
	if (ret) {
		LOG_E("%s:%d: hosts-database %s%s%s: %s", conf->file, conf->hosts_db.line,
		      conf_db_type_name(conf->hosts_db.db.type), conf->hosts_db.db.name[0] ? " " : "",
		      conf->hosts_db.db.name, err);
		dp_srv_fini(&srv);
		conf_free(conf);
		return 1;
	}
	eargc = eal_args(conf, eargv, mem);
	ret = rte_eal_init(eargc, eargv);
	if (ret < 0) {
		LOG_E("DPDK EAL init failed: %s", rte_strerror(rte_errno));
		conf_free(conf);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGHUP, on_signal);
	/* a store or control client that closes its socket under a write
	 * must cost an error return, not the process (hiredis cannot
	 * suppress SIGPIPE itself; libpq and our sockets do) */
	signal(SIGPIPE, SIG_IGN);

	dp.n_workers = rte_lcore_count() - 1;
	if (dp.n_workers < 1 || dp.n_workers > DP_MAX_WORKERS) {
		LOG_E("%s: dpdk.lcores '%s' must name the main lcore and 1..%d worker lcores",
		      conf->file, conf->dpdk.lcores, DP_MAX_WORKERS);
		goto out_eal;
	}
	if (probe_vdevs(&dp) || dp_ports_init(&dp) || dp_logs_init(&dp))
		goto out_ports;

	if (conf->lease_db.type != CONF_DB_NONE && conf->lease_db.durability != CONF_DUR_MEMORY) {
		struct wb_params wp = {
			.n_workers = dp.n_workers, .logs = dp.logs,
			.batch_max = DP_WB_BATCH,
			.mode = conf->lease_db.durability,
			.flush_interval_ms = conf->lease_db.flush_interval_ms,
			.lfc_interval = conf->lease_db.lfc_interval,
		};

		const char *type = conf_db_type_name(conf->lease_db.type);

		ops = lease_backend_find(type);
		be = ops ? ops->open(&conf->lease_db, err, sizeof(err)) : NULL;
		if (!be) {
			LOG_E("lease database %s (%s): %s", conf->lease_db.name, type,
			      ops ? err : "no such backend in this build");
			goto out_ports;
		}
		if (ops->counts_open) {
			srv.counts = ops->counts_open(&conf->lease_db, err, sizeof(err));
			if (!srv.counts) {
				LOG_E("lease database %s: statistics connection: %s", conf->lease_db.name,
				      err);
				goto out_stop;
			}
			srv.counts_read = ops->counts_read;
		}
		if (CONF_DB_REMOTE(conf->lease_db.type)) {
			wp.reconnect_wait_ms = conf->lease_db.reconnect_wait_time;
			wp.max_reconnect_tries = conf->lease_db.max_reconnect_tries;
		}
		/* The outage journal (Kea lease files of its own), not with a
		 * shared database: what other servers claim meanwhile is unknown,
		 * so nothing is acknowledged before the database itself has
		 * taken it (DHCP stops: on-fail stop-retry-exit). */
		if (CONF_DB_REMOTE(conf->lease_db.type) && !conf->lease_db.shared) {
			memset(&journal_db, 0, sizeof(journal_db));
			journal_db.type = CONF_DB_MEMFILE;
			journal_db.durability = conf->lease_db.durability;
			if (snprintf(journal_db.name, sizeof(journal_db.name), "%s/peregrine-journal4.csv",
				     conf->lease_db.journal_dir) >= (int)sizeof(journal_db.name) ||
			    snprintf(journal_db.name6, sizeof(journal_db.name6), "%s/peregrine-journal6.csv",
				     conf->lease_db.journal_dir) >= (int)sizeof(journal_db.name6)) {
				LOG_E("%s: journal-directory is too long", conf->file);
				goto out_stop;
			}
			wp.journal_ops = lease_backend_find("memfile");
			wp.journal_db = &journal_db;
		}
		wp.ops = ops;
		wp.be = be;
		dp.wb = wb_create(&wp);
		if (!dp.wb && wp.journal_db && errno == EIO) {
			LOG_E("lease database %s: the journal %s / %s holds changes the database does "
			      "not have, and it did not take them; start again once it does",
			      conf->lease_db.name, journal_db.name, journal_db.name6);
			goto out_stop;
		}
		if (!dp.wb) {
			LOG_E("write-behind flusher: %s", strerror(errno));
			goto out_stop;
		}
		if (wp.journal_db) {
			struct wb_stats ws;

			wb_get_stats(dp.wb, &ws);
			if (ws.replayed)
				LOG_I("lease database %s: %lu change(s) of the journal replayed into it",
				      conf->lease_db.name, ws.replayed);
		}
		/* the flusher registered itself first in every log */
		dp.durable = 1u << wb_consumer(dp.wb, 0);
		dp.commit = conf->lease_db.durability == CONF_DUR_COMMIT;
	}
	if (conf->lease_db.shared) {
		uint32_t spread = 0;

		/* servers sharing the pools start claiming at different places */
		if (getrandom(&spread, sizeof(spread), 0) != sizeof(spread))
			spread = (uint32_t)getpid() * 2654435761u;
		dhcp4_set_cursor_spread(spread);
	}
	rt = dhcp4_runtime_create(conf);
	if (!rt) {
		LOG_E("runtime: %s", strerror(errno));
		goto out_stop;
	}
	if (conf->v6 && dp_v6_init(&dp))
		goto out_stop;
	srv.rt = rt;
	/* RADIUS: access turns the workers' asks on (dp_asks_enable) and
	 * accounting adds its consumer to every log, both before the workers
	 * exist (so before their first change) */
	radius = radius_run_create(&dp, conf->radius);
	if (radius == NULL && errno) {
		LOG_E("%s: radius: cannot start: %s", conf->file, strerror(errno));
		goto out_stop;
	}
	if (radius) {
		srv.radius_stats = radius_run_ext_stats;
		srv.radius_ctx = radius;
	}
	if (dp_workers_init(&dp, rt))
		goto out_stop;

	if (be) {
		struct restore_ctx rc = { .dp = &dp };
		struct timespec t0, t1;
		unsigned w;

		for (w = 0; w < dp.n_workers; w++)
			dhcp4_worker_set_now(dp.workers[w]->dw, (uint32_t)time(NULL));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = ops->load(be, restore_one, &rc);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (ret) {
			LOG_E("lease database %s: load failed: %s", conf->lease_db.name, strerror(-ret));
			goto out_stop;
		}
		LOG_I("lease database %s: %lu records replayed in %.3f s (%lu refused)",
		      conf->lease_db.name, rc.n,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		      rc.failed);
		if (dp.rt6 && ops->load6 &&
		    (conf->lease_db.name6[0] || CONF_DB_REMOTE(conf->lease_db.type))) {
			struct restore_ctx rc6 = { .dp = &dp };

			for (w = 0; w < dp.n_workers; w++)
				dhcp6_worker_set_now(dp.workers[w]->dw6, (uint32_t)time(NULL));
			ret = ops->load6(be, restore6_one, &rc6);
			if (ret) {
				LOG_E("lease database %s: load failed: %s", conf->lease_db.name6[0] ?
				      conf->lease_db.name6 : conf->lease_db.name,
				      strerror(-ret));
				goto out_stop;
			}
			LOG_I("lease database %s: %lu DHCPv6 records replayed (%lu refused)",
			      conf->lease_db.name6[0] ? conf->lease_db.name6 : conf->lease_db.name,
			      rc6.n, rc6.failed);
		}
		if (ops->get_stats) {
			struct lease_backend_stats bs;

			ops->get_stats(be, &bs);
			if (bs.bad_lines || bs.truncated)
				LOG_W("lease database %s: %lu unreadable line(s) skipped, %lu hostname(s) cut",
				      conf->lease_db.name, bs.bad_lines, bs.truncated);
		}
		if (wb_start(dp.wb)) {
			LOG_E("write-behind flusher: cannot start: %s", strerror(errno));
			goto out_stop;
		}
	}

	/* HA: the service before the workers (its consumer reads every
	 * change from the first) and before the control channel (its ha-*
	 * commands), its thread after (the partner's commands are answered
	 * by then). */
	ha = ha_run_create(&dp, &srv, conf);
	if (ha == NULL && errno) {
		LOG_E("%s: high availability: cannot start: %s", conf->file, strerror(errno));
		goto out_stop;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		unsigned w;

		for (w = 0; w < dp.n_workers; w++)
			if (dp.workers[w]->lcore == lcore)
				rte_eal_remote_launch(dp_worker_main, dp.workers[w], lcore);
	}
	LOG_I("serving DHCPv4%s: %u worker(s), %u interface(s), %u subnet(s), %u subnet6(s), "
	      "durability %s", dp.rt6 ? " and DHCPv6" : "", dp.n_workers, dp.n_ports,
	      conf->n_subnets, conf->v6 ? conf->v6->n_subnets : 0,
	      conf_durability_name(dp.wb ? conf->lease_db.durability : CONF_DUR_MEMORY));
	/* The control channel comes up once the workers run (lease commands
	 * are messages they answer) and goes down first. */
	ret = dp_srv_ctl_start(&srv);
	if (ret) {
		LOG_E("%s: control channel (%s%s%s%s): %s", conf->file,
		      conf->ctl_socket.enabled ? "socket " : "",
		      conf->ctl_socket.enabled ? conf->ctl_socket.socket_name : "",
		      conf->ctl_socket.enabled && conf->http_control.enabled ? ", " : "",
		      conf->http_control.enabled ? "http" : "", strerror(-ret));
		goto out_stop;
	}
	if (ha && (ret = ha_run_start(ha)) != 0) {
		LOG_E("%s: high availability: cannot start: %s", conf->file, strerror(-ret));
		goto out_stop;
	}
	if (radius && (ret = radius_run_start(radius)) != 0) {
		LOG_E("%s: radius: cannot start: %s", conf->file, strerror(-ret));
		goto out_stop;
	}

	while (!sig_quit) {
		struct timespec t = { 0, 50 * 1000 * 1000 };

		nanosleep(&t, NULL);
		if (sig_stats) {
			sig_stats = 0;
			stats_to_file(&srv, stats_path);
		}
		if (dp.wb)
			watch_store(&dp, conf_path);
		if (sig_hup) {
			sig_hup = 0;
			LOG_I("SIGHUP: reloading %s", conf_path);
			/* success and refusal are both logged by the reload */
			dp_srv_reload(&srv, NULL, err, sizeof(err), NULL);
		}
		dp_srv_hosts_tick(&srv);
		dp_srv_reap(&srv);
	}
	LOG_I("shutting down");
	status = store_gave_up ? 4 : 0;
out_stop:
	dp_srv_ctl_stop(&srv);
	ha_run_stop(ha);         /* after the partner's commands stopped */
	ha = NULL;
	__atomic_store_n(&dp.quit, 1, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	srv.radius_stats = NULL; /* the exit's statistics go without them */
	radius_run_stop(radius); /* the workers asked their last (the rings live on) */
	radius = NULL;
	if (dp.wb)
		wb_stop(dp.wb);      /* every queued change is durable after this */
	dp_workers_drain(&dp);   /* send what became durable, free the rest */
	dp_ports_close(&dp);
	dp_rings_drain(&dp);
	/* every mbuf is back in its pool now; one that is not is a leak */
	leaked = dp_mbufs_in_use(&dp);
	if (leaked) {
		LOG_E("%u mbufs not returned to their pools", leaked);
		if (!status)
			status = 3;
	}
	if (dp_workers_ready(&dp)) {
		dp_reload_finish(&dp);   /* every worker on the last snapshot */
		dp_reload6_finish(&dp);  /* and on the last dhcp6 block */
		stats_to_file(&srv, stats_path);
		stats_log(&srv);
	}
	dp_workers_free(&dp);
	if (dp.wb)
		wb_free(dp.wb);
	dhcp4_runtime_free(srv.rt);
	dhcp6_runtime_free(dp.rt6);
	conf = srv.conf;          /* the snapshot running last */
	if (srv.counts)
		ops->counts_close(srv.counts);
	free(srv.count_rows);
	if (be)
		ops->close(be);
out_ports:
	dp_ports_close(&dp);
	dp_logs_free(&dp);        /* their consumers (the flusher) are gone */
out_eal:
	rte_eal_cleanup();
	/* EAL leaves its runtime directory behind; the prefix is this
	 * process's own (EAL refuses a second process on it) */
	if (conf->dpdk.file_prefix[0]) {
		char dir[128];

		snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", conf->dpdk.file_prefix);
		(void)util_rmtree(dir);
	}
	dp_srv_fini(&srv);
	conf_free(conf);
	LOG_I("stopped (status %d)", status);
	return status;
}
