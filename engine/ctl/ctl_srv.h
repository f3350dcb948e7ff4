/* The server's control plane as main sees it (engine/ctl/ctl_cmd_*.c,
 * ctl_reload.c): Kea's commands over the control channel, statistics
 * with baselines, and live reconfiguration.
 *
 * What main and the control thread share.  `lock` serialises everything
 * that reads or replaces the running snapshot: control commands, SIGHUP
 * reloads and the statistics writers.  The datapath never takes it. */
#pragma once
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct conf;
struct ctl;
struct dhcp4_runtime;
struct dp;
struct dp_stat_base;

struct lease_counts;
struct hostdb;
struct conf_db_hosts;
struct lease_count;
struct ha_service;

/* A statistic of a thread outside the datapath (the RADIUS thread), as
 * statistic-get-all and /metrics show it: "<base>", or, with a group,
 * "<group>[<label>].<base>" (/metrics: peregrine_<group>_<base>{server=
 * "<label>"}).  base and group are static strings. */
struct dp_ext_stat {
	const char *group;              /* NULL: a plain statistic */
	char label[64];
	const char *base;
	int64_t value;
	bool gauge;
};
typedef unsigned dp_ext_stats_fn(void *ctx, struct dp_ext_stat *out, unsigned max);

struct dp_srv {
	struct dp *dp;
	struct conf *conf;              /* the running snapshot (dp->conf) */
	struct dhcp4_runtime *rt;
	const char *conf_path;
	struct ctl *ctl;
	pthread_mutex_t lock;
	time_t started, reloaded;
	unsigned reloads;
	volatile sig_atomic_t *quit;    /* the shutdown command raises it */
	struct dp_stat_base *base;      /* statistic-reset/-remove baselines */
	char *conf_text;                /* main file as loaded (config-write) */
	size_t conf_text_len;
	/* The store's own lease counts (a shared database's stat tables):
	 * when set, the subnets' assigned and declined statistics come from
	 * there, so they count every server's leases.  Set by main, read
	 * under lock; NULL: the workers' gauges. */
	struct lease_counts *counts;
	int (*counts_read)(struct lease_counts *lc, struct lease_count **rows, size_t *n);
	struct lease_count *count_rows; /* the last read, and when (CLOCK_MONOTONIC ns) */
	size_t n_count_rows;
	uint64_t counts_at;
	uint64_t count_errors;          /* reads that failed (the gauges were used) */
	bool counts_ok;                 /* the last read worked */
	/* hosts-database (ctl_cmd_hosts.c): the connection, the rows merged
	 * into the running snapshot (a reload merges them again) and when
	 * they were read (CLOCK_MONOTONIC ms).  Under lock. */
	struct hostdb *hostdb;
	struct conf_db_hosts *db_hosts;
	uint64_t hosts_read_at;
	/* HA (issue 16): the service core the ha-* commands and status-get
	 * ask; NULL without a high-availability block.  Set by main before
	 * the control channel starts. */
	struct ha_service *ha;
	/* RADIUS (issue 17): the RADIUS thread's counters (radius_run.c);
	 * NULL without RADIUS.  Set by main before the control channel starts. */
	dp_ext_stats_fn *radius_stats;
	void *radius_ctx;
	/* The origin (enum lease_origin) of the lease changes being made, for
	 * a caller that is no control request (dp_srv_lease4_apply: the HA
	 * partner's); 0: the request's (ctl_lease_msg.c, msg_origin).  Under
	 * lock. */
	uint8_t origin;
};
/* HA sync: one of the partner's leases; the newer (by cltt) of it and
 * this server's stays.  An expired one, or one of a subnet this server
 * does not have, is skipped.  0 or -errno.  Takes the lock. */
struct lease_rec;
int dp_srv_lease4_apply(struct dp_srv *s, const struct lease_rec *r);
/* The same for a DHCPv6 lease (-ENOTSUP without a dhcp6 block). */
struct lease6_rec;
int dp_srv_lease6_apply(struct dp_srv *s, const struct lease6_rec *r);

int dp_srv_init(struct dp_srv *s);            /* after conf, dp and rt are set */
/* Create the control channel the config asks for, register every command
 * and start it (0 without any control block), or -errno. */
int dp_srv_ctl_start(struct dp_srv *s);
void dp_srv_ctl_stop(struct dp_srv *s);       /* first thing at shutdown */
void dp_srv_fini(struct dp_srv *s);
/* Load `path` (NULL: the running file), validate, publish.  0, or -errno
 * with err = "file:line: reason" and the old snapshot still serving.
 * *info (may be NULL) gets a JSON object describing the reload. */
int dp_srv_reload(struct dp_srv *s, const char *path, char *err, size_t errlen, void **info);
/* The same from the running file's text as it was loaded (a change made
 * to the file since is not applied), with the hosts-database's rows as
 * last read: what a reservation command and the refresh publish. */
int dp_srv_reload_text(struct dp_srv *s, char *err, size_t errlen, void **info);
/* hosts-database: connect, read the reservations and merge them into
 * s->conf (start-up, before the runtime is made).  0 without one;
 * -errno with err when the database cannot be read. */
int dp_srv_hosts_start(struct dp_srv *s, char *err, size_t errlen);
/* Main's loop, every tick: once refresh-interval has passed, read the
 * tables again and reload when they changed. */
void dp_srv_hosts_tick(struct dp_srv *s);
void dp_srv_hosts_stop(struct dp_srv *s);

/* Free what reloads replaced once no worker uses it (main's loop calls it
 * every tick: a worker that was slow at the reload is past it later). */
void dp_srv_reap(struct dp_srv *s);
/* "name value" lines, Kea's names (raw counters, no baselines). */
void dp_srv_stats_write(struct dp_srv *s, FILE *f);

