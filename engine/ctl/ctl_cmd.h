/* Private to the server's control commands (ctl_cmd_*.c, ctl_lease_msg.c,
 * ctl_reload.c): what they share.
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
extern const struct cmd_def cmds_config[], cmds_stats[], cmds_lease[];

static inline int locked(struct dp_srv *s)
{
	return pthread_mutex_lock(&s->lock);
}

/* ---- ctl_cmd_args.c: arguments and text forms -------------------------- */

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
void fmt_ip4(uint32_t a, char *buf, size_t len);
int parse_hex(const char *s, uint8_t *out, size_t max);   /* length or -1 */
void fmt_hex(const uint8_t *b, size_t n, char *out);     /* out holds 3 * n */

/* ---- ctl_lease_msg.c: lease work done by the owning workers ------------ */

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

/* ---- ctl_cmd_stats.c ---------------------------------------------------- */

int stats_prometheus(FILE *f, void *ctx);                 /* the /metrics page */
struct dp_stat_base *stat_base_new(void);                 /* NULL: out of memory */
void stat_base_free(struct dp_stat_base *b);

/* ---- ctl_reload.c ------------------------------------------------------- */

/* 0, or -EINVAL with err "file:line: why" when n changes what a running
 * process cannot. */
int reload_compatible(const struct conf *o, const struct conf *n, char *err, size_t len);
char *read_text(const char *path, size_t *lenp);          /* NULL + errno */
