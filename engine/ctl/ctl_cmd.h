/* Private to the server's control commands (ctl_cmd_*.c, ctl_lease_msg.c,
 * ctl_lease6_json.c, ctl_reload.c): what they share.
 *
 * Everything there runs on the control thread (or on main for SIGHUP and
 * the statistics file) under srv->lock.  Nothing there writes a worker's
 * memory: counters are summed from the workers' own cache lines and
 * compared with baselines kept on the control side; leases change only on
 * their worker, through its message ring (dp.h); a value a worker owns is
 * read only where the worker publishes it atomically (lease_table_count). */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "ctl.h"
#include "ctl_srv.h"
#include "dp.h"

#define MSG_TIMEOUT_MS   3000           /* a worker's answer to one message */
#define DURABLE_WAIT_MS  2000           /* a lease command's change to become safe */

/* A command handler (ctl_handler_fn); ctx is the struct dp_srv. */
#define HANDLER(name) \
	static int name(const json_t *args, json_t **out, char *text, size_t len, void *ctx)

/* Each file lists the commands it handles, up to { NULL }. */
struct cmd_def {
	const char *name;
	ctl_handler_fn fn;
};
extern const struct cmd_def cmds_config[], cmds_stats[], cmds_lease[], cmds_lease6[], cmds_hosts[],
	cmds_ha[], cmds_bulk[], cmds_cache[];
/* ctl_cmd_ha.c: status-get's "high-availability" into status (no lock held). */
void dp_srv_ha_status(struct dp_srv *s, json_t *status);

static inline int locked(struct dp_srv *s)
{
	return pthread_mutex_lock(&s->lock);
}

/* ---- ctl_cmd_args.c: arguments and text forms -------------------------- */

/* The server a request names in Kea's "service" list: 4 (["dhcp4"]),
 * 6 (["dhcp6"]), 0 (none, or both). */
int request_family(const struct dp_srv *s);
/* The answer text, printf-style; returns CTL_ERROR. */
int fail(char *text, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An optional member of type `type`: 1 found, 0 absent, -1 wrong type (text set). */
int arg_get(const json_t *args, const char *key, json_type type, json_t **out,
	    char *text, size_t len);
/* 1 with *out, 0 absent, -1 (text set) wrong type, out of 0..max, or
 * missing while required. */
int arg_uint(const json_t *args, const char *key, bool required, uint64_t max,
	     uint64_t *out, char *text, size_t len);
int arg_str(const json_t *args, const char *key, bool required, const char **out,
	    char *text, size_t len);
/* The optional "subnets" list of lease*-get-all into ids[0..max): 0
 * (absent: *n = 0), or -1 (text set): not a list, longer than max, an
 * entry that is not a subnet id, or one `known` does not find in c. */
int arg_subnets(const json_t *args, bool (*known)(const struct conf *c, uint32_t id),
		const struct conf *c, uint32_t *ids, unsigned max, unsigned *n,
		char *text, size_t len);
/* lease*-get-page's "from" (the caller reads "start" or its address) and
 * "limit" (1..1000000): 0, or -1 (text set). */
int arg_page(const json_t *args, const char **from, uint32_t *limit, char *text, size_t len);
void fmt_ip4(uint32_t a, char *buf, size_t len);
int parse_ip6(const char *s, struct lease_addr6 *a);     /* 0 or -EINVAL */
void fmt_ip6(struct lease_addr6 a, char *buf, size_t len);   /* len: INET6_ADDRSTRLEN */
int parse_hex(const char *s, uint8_t *out, size_t max);   /* length or -1 */
void fmt_hex(const uint8_t *b, size_t n, char *out);     /* out holds 3 * n */
/* The n bytes of s up to a NUL as JSON-safe text: JSON needs UTF-8, so
 * bytes outside printable ASCII show as '?'.  out holds n + 1. */
void fmt_printable(const char *s, size_t n, char *out);

/* ---- ctl_lease6_json.c: DHCPv6 leases in Kea's JSON -------------------- */

json_t *lease6_json(const struct lease6_rec *r);        /* NULL: out of memory */
/* lease6-add / -update arguments into *r, checked against the dhcp6 block
 * (subnet, lifetimes); now: the time expire counts from when neither
 * "expire" nor "cltt" is given.  CTL_SUCCESS, or CTL_ERROR (text set). */
int lease6_from_json(const struct conf6 *c6, const json_t *args, uint32_t now,
		     struct lease6_rec *r, char *text, size_t len);
/* lease6-get / -del: ip-address [+ type], or identifier-type "duid" +
 * identifier + subnet-id [+ iaid, type] (Kea: iaid 0, type IA_NA by
 * default).  del: the words of lease6-del's refusals. */
int lease6_selector(const json_t *args, bool del, struct dhcp6_lease_filter *f, char *text,
		    size_t len);

/* ---- ctl_lease_msg.c: lease work done by the owning workers ------------ */

/* The origin a worker logs the running command's changes with:
 * LEASE_ORIGIN_HA for the partner's (the peer listener, s->origin),
 * LEASE_ORIGIN_CONTROL otherwise. */
uint8_t msg_origin(const struct dp_srv *s);
long query_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, struct lease_rec **out);
long broadcast(struct dp_srv *s, enum dp_msg_kind kind, const struct dhcp4_lease_filter *f,
	       unsigned *incomplete, long *done);
int del_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, long *deleted);
int send_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease_rec *r);
unsigned rec_owner(struct dp_srv *s, const struct lease_rec *r);
int holder_of(struct dp_srv *s, uint32_t addr, struct lease_rec *found, uint32_t *ref);
long page_query(struct dp_srv *s, uint32_t from, uint32_t limit, struct lease_rec **out);
int move_lease(struct dp_srv *s, unsigned from, unsigned to, uint32_t ref,
	       const struct lease_rec *r);

/* DHCPv6: a lease lives on the worker that owns its DUID (duid_owner,
 * dhcp6_rec_owner); by-address work asks every worker.  Workers [w0, w1)
 * for the queries and deletes. */
long query6(struct dp_srv *s, const struct dhcp6_lease_filter *f, unsigned w0, unsigned w1,
	    struct lease6_rec **out);
int del6_all(struct dp_srv *s, const struct dhcp6_lease_filter *f, unsigned w0, unsigned w1,
	     long *deleted);
int send6_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease6_rec *r);
int holder6_of(struct dp_srv *s, const struct dhcp6_lease_filter *f, struct lease6_rec *found);
unsigned duid_owner(struct dp_srv *s, const uint8_t *duid, uint8_t len);
/* The lease at old->addr from worker `from` to worker `to` as r: 0, or
 * -errno with the old lease back on `from` (-EIO: it could not be). */
int move6_lease(struct dp_srv *s, unsigned from, unsigned to, const struct lease6_rec *old,
		const struct lease6_rec *r);

/* ---- ctl_cmd_lease.c, ctl_cmd_lease6.c: one lease's change ----------- */

/* lease4-add / -update arguments into *r, checked against the running
 * subnets: CTL_SUCCESS, or CTL_ERROR (text set).  Lock held. */
int lease4_from_json(struct dp_srv *s, const json_t *args, struct lease_rec *r, char *text,
		     size_t len);
/* lease4-get / -del: ip-address, or identifier-type + identifier +
 * subnet-id.  CTL_SUCCESS or CTL_ERROR (text set). */
int lease4_selector(const json_t *args, struct dhcp4_lease_filter *f, char *text, size_t len);
/* lease4-update of r (lock held): replaced where it is, moved to its new
 * client's worker, or (force) added when no lease holds its address;
 * *added (may be NULL): there was none.  0 or -errno (-ENOENT: none and
 * not force; -EEXIST: the client has another lease). */
int lease4_update(struct dp_srv *s, const struct lease_rec *r, bool force, bool *added);
/* lease4_update with force of each of recs[0..n), batched per worker
 * (one message per DP_APPLY_MAX records, one durability wait per
 * worker): rets[i] gets record i's result.  Lock held. */
void lease4_update_batch(struct dp_srv *s, const struct lease_rec *recs, size_t n, int *rets);
int lease4_update_error(int ret, uint32_t addr, char *text, size_t len);   /* CTL_ERROR */
/* The lock taken, or CTL_ERROR (lock not held, text set) without DHCPv6. */
int v6_locked(struct dp_srv *s, char *text, size_t len);
/* lease6-update of r, as lease4_update.  Lock held. */
int lease6_update(struct dp_srv *s, const struct lease6_rec *r, bool force, bool *added);
int change6_error(int ret, const struct lease6_rec *r, char *text, size_t len);   /* CTL_ERROR */
/* lease6-del of the lease a lease6_selector names: 1 deleted, 0 none,
 * -errno.  Lock held. */
long lease6_del(struct dp_srv *s, const struct dhcp6_lease_filter *sel);

/* ---- ctl_cmd_lease.c: the answers both lease families share ---------- */

/* Kea's {"leases": [...]} (and "count") from the first `limit` (0: all)
 * of the n records of `size` bytes at v, each made JSON by `one`; "<n>
 * <fam> lease(s) found.", 0 or 3 (none).  n < 0: a query's -errno
 * (msg_error).  Frees v. */
int leases_answer(void *v, size_t size, long n, uint32_t limit, json_t *(*one)(const void *r),
		  const char *fam, bool with_count, json_t **out, char *text, size_t len);
int msg_error(int ret, char *text, size_t len);        /* a worker message's -errno */
/* The answer to a del_all() that failed after deleting n leases. */
int del_error(int r, long n, char *text, size_t len);
/* lease*-wipe's optional subnet-id into *sid (0: all): 0, or -1 (text
 * set) when it is no id `known` finds in c. */
int wipe_args(const json_t *args, bool (*known)(const struct conf *c, uint32_t id),
	      const struct conf *c, uint32_t *sid, char *text, size_t len);
/* "Deleted <n> IPv<4|6> lease(s) from subnet(s) <ids>": 0, or 3 for none. */
int wipe_answer(long n, bool v6, uint32_t sid, const struct conf *c, char *text, size_t len);

/* ---- ctl_cmd_stats.c ---------------------------------------------------- */

int stats_prometheus(FILE *f, void *ctx);                 /* the /metrics page */
struct dp_stat_base *stat_base_new(void);                 /* NULL: out of memory */
void stat_base_free(struct dp_stat_base *b);

/* ---- ctl_reload.c ------------------------------------------------------- */

/* 0, or -EINVAL with err "file:line: why" when n changes what a running
 * process cannot. */
int reload_compatible(const struct conf *o, const struct conf *n, char *err, size_t len);
char *read_text(const char *path, size_t *lenp);          /* NULL + errno */

/* ---- ctl_cmd_hosts.c ---------------------------------------------------- */

/* Merge the hosts-database's rows as last read into c (a reload's new
 * snapshot); rows that do not fit are logged.  0, or -errno with err. */
int dp_srv_hosts_merge(struct dp_srv *s, struct conf *c, char *err, size_t len);
