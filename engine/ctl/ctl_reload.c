/* Live reconfiguration, for config-reload and SIGHUP: load and validate
 * the new file, refuse what a running process cannot change, build the
 * new runtime, then publish it to every worker under the reload barrier
 * (see worker.c).  On any failure before the publication the old snapshot
 * keeps serving. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "log.h"

#define RC_ARRIVE_MS     2000

/* Parts of a config that a running process cannot change: the EAL, the
 * ports, the lease store, the steering key and the control channel.
 * 0, or -EINVAL with err "file:line: why". */
int reload_compatible(const struct conf *o, const struct conf *n, char *err, size_t len)
{
	unsigned i;

#define REFUSE(line, ...) do { \
	int k_ = snprintf(err, len, "%s:%d: ", n->file, (line) > 0 ? (line) : 1); \
	snprintf(err + k_, len - (size_t)k_, __VA_ARGS__); return -EINVAL; } while (0)
	if (strcmp(o->dpdk.lcores, n->dpdk.lcores) || strcmp(o->dpdk.file_prefix, n->dpdk.file_prefix) ||
	    o->dpdk.no_huge != n->dpdk.no_huge || o->dpdk.memory_mb != n->dpdk.memory_mb ||
	    o->dpdk.mbufs != n->dpdk.mbufs || o->dpdk.rx_desc != n->dpdk.rx_desc ||
	    o->dpdk.tx_desc != n->dpdk.tx_desc || o->dpdk.n_extra_args != n->dpdk.n_extra_args)
		REFUSE(1, "the dpdk block (EAL) cannot change while running; restart to apply it");
	for (i = 0; i < n->dpdk.n_extra_args; i++)
		if (strcmp(o->dpdk.extra_args[i], n->dpdk.extra_args[i]))
			REFUSE(1, "dpdk.extra-args cannot change while running; restart to apply it");
	if (o->n_ifaces != n->n_ifaces)
		REFUSE(n->ifaces[0].line, "interfaces cannot be added or removed while running; restart");
	for (i = 0; i < n->n_ifaces; i++)
		if (strcmp(o->ifaces[i].name, n->ifaces[i].name) ||
		    strcmp(o->ifaces[i].device, n->ifaces[i].device) ||
		    o->ifaces[i].addr != n->ifaces[i].addr ||
		    o->ifaces[i].prefix_len != n->ifaces[i].prefix_len)
			REFUSE(n->ifaces[i].line, "interface '%s' cannot change while running (ports "
			       "belong to the EAL); restart to apply it", n->ifaces[i].name);
	if (o->lease_db.type != n->lease_db.type || strcmp(o->lease_db.name, n->lease_db.name) ||
	    o->lease_db.durability != n->lease_db.durability ||
	    o->lease_db.flush_interval_ms != n->lease_db.flush_interval_ms ||
	    o->lease_db.lfc_interval != n->lease_db.lfc_interval)
		REFUSE(1, "lease-database cannot change while running; restart to apply it");
	if (o->match_client_id != n->match_client_id)
		REFUSE(1, "match-client-id decides which worker owns each client and cannot change "
		       "while running; restart to apply it");
	if (memcmp(&o->ctl_socket, &n->ctl_socket, offsetof(struct conf_ctl_socket, line)) ||
	    memcmp(&o->http_control, &n->http_control, offsetof(struct conf_http_control, line)))
		REFUSE(n->ctl_socket.line > 0 ? n->ctl_socket.line : n->http_control.line,
		       "control-socket and http-control cannot change while running; restart to apply them");
#undef REFUSE
	return 0;
}

char *read_text(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

static void rc_free_arrays(struct dhcp4_reconf *rc)
{
	free(rc->subnet);
	free(rc->pool);
	free(rc->cursor);
	rc->subnet = NULL;
	rc->pool = NULL;
	rc->cursor = NULL;
}

static bool wait_count(uint32_t *ctr, uint32_t want, unsigned timeout_ms)
{
	struct timespec nap = { 0, 20000 };
	unsigned long spins = (unsigned long)timeout_ms * 50, i;

	for (i = 0; i <= spins || !timeout_ms; i++) {
		if (__atomic_load_n(ctr, __ATOMIC_ACQUIRE) >= want)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

/* Publish conf/rt to every worker under the barrier (see worker.c).  The
 * grace period is explicit: when every worker has acknowledged, none can
 * still hold a pointer into the old snapshot, so it is freed here. */
static int publish(struct dp_srv *s, struct conf *nc, struct dhcp4_runtime *rt, json_t *info,
		   char *err, size_t errlen)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	uint32_t n_pools = dhcp4_runtime_pool_count(rt);
	uint64_t orphaned = 0, conflicts = 0, leases = 0;
	struct timespec t0, t1;
	unsigned w, posted = 0;
	int ret = 0;

	for (w = 0; w < dp->n_workers; w++) {
		m[w] = dp_msg_new(DP_MSG_RECONF, 0);
		if (!m[w])
			goto nomem;
		m[w]->rc.conf = nc;
		m[w]->rc.rt = rt;
		m[w]->rc.subnet = calloc(nc->n_subnets ? nc->n_subnets : 1, sizeof(struct stats4_subnet));
		m[w]->rc.pool = calloc(n_pools ? n_pools : 1, sizeof(struct stats4_pool));
		m[w]->rc.cursor = calloc(n_pools ? n_pools : 1, sizeof(uint32_t));
		if (!m[w]->rc.subnet || !m[w]->rc.pool || !m[w]->rc.cursor)
			goto nomem;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__atomic_store_n(&dp->rc_arrived, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_done, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_gen, dp->rc_gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_phase, DP_RC_ARRIVE, __ATOMIC_RELEASE);
	for (w = 0; w < dp->n_workers; w++) {
		m[w]->gen = dp->rc_gen;
		if (dp_msg_post(dp, w, m[w]))
			break;
		posted++;
	}
	if (posted < dp->n_workers || !wait_count(&dp->rc_arrived, dp->n_workers, RC_ARRIVE_MS)) {
		/* Someone did not come: nobody changes anything. */
		__atomic_store_n(&dp->rc_phase, DP_RC_ABORT, __ATOMIC_RELEASE);
		for (w = 0; w < dp->n_workers; w++) {
			if (w >= posted) {
				rc_free_arrays(&m[w]->rc);
				dp_msg_free(m[w]);
			} else if (dp_msg_wait(m[w], MSG_TIMEOUT_MS) == 0) {
				rc_free_arrays(&m[w]->rc);
				dp_msg_free(m[w]);
			}
			/* else abandoned: it cancels itself and the worker frees it
			 * (the arrays leak, which is better than a use after free) */
		}
		snprintf(err, errlen, "%s: a worker did not reach the reload barrier within %u ms; "
			 "configuration unchanged", nc->file, RC_ARRIVE_MS);
		return -ETIMEDOUT;
	}
	/* Every worker is paused: the new pools' bits are copied again, now
	 * exactly (create_from copied them while the workers served), and
	 * the new snapshot goes in. */
	dhcp4_runtime_seed(rt);
	__atomic_store_n(&dp->conf, nc, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_phase, DP_RC_GO, __ATOMIC_RELEASE);
	wait_count(&dp->rc_done, dp->n_workers, 0);
	__atomic_store_n(&dp->rc_phase, DP_RC_RESUME, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (w = 0; w < dp->n_workers; w++) {
		dp_msg_wait(m[w], 0xffffffffu);     /* they are past the barrier */
		if (m[w]->ret && !ret)
			ret = m[w]->ret;
		orphaned += m[w]->rc.orphaned;
		conflicts += m[w]->rc.conflicts;
		leases += m[w]->rc.leases;
		rc_free_arrays(&m[w]->rc);           /* the old arrays, swapped back */
		dp_msg_free(m[w]);
	}
	__atomic_store_n(&dp->rc_phase, DP_RC_IDLE, __ATOMIC_RELEASE);
	json_object_set_new(info, "orphaned-leases", json_integer((json_int_t)orphaned));
	json_object_set_new(info, "address-conflicts", json_integer((json_int_t)conflicts));
	json_object_set_new(info, "leases", json_integer((json_int_t)leases));
	json_object_set_new(info, "pause-us", json_integer((json_int_t)(
		(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000)));
	return ret;
nomem:
	for (w = 0; w < dp->n_workers; w++)
		if (m[w]) {
			rc_free_arrays(&m[w]->rc);
			dp_msg_free(m[w]);
		}
	snprintf(err, errlen, "%s: out of memory", nc->file);
	return -ENOMEM;
}

int dp_srv_reload(struct dp_srv *s, const char *path, char *err, size_t errlen, void **infop)
{
	struct conf *nc = NULL, *oc;
	struct dhcp4_runtime *rt = NULL, *ort;
	char *text = NULL;
	size_t tlen = 0;
	json_t *info = NULL;
	int ret;

	if (infop)
		*infop = NULL;
	locked(s);
	if (!path)
		path = s->conf_path;
	nc = conf_load(path, err, errlen);
	if (!nc) {
		ret = -errno;
		goto fail;
	}
	ret = reload_compatible(s->conf, nc, err, errlen);
	if (ret)
		goto fail;
	text = read_text(path, &tlen);
	if (!text) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rt = dhcp4_runtime_create_from(nc, s->rt);
	if (!rt) {
		ret = -errno;
		snprintf(err, errlen, "%s: runtime: %s", path, strerror(errno));
		goto fail;
	}
	info = json_pack("{s:s, s:I, s:I}", "file", nc->file, "subnets", (json_int_t)nc->n_subnets,
			 "pools-carried-over", (json_int_t)dhcp4_runtime_carried(rt));
	ret = publish(s, nc, rt, info, err, errlen);
	if (ret == -ETIMEDOUT || ret == -ENOMEM)
		goto fail;                    /* nothing was published */
	/* Published: from here the new snapshot serves, whatever happens. */
	oc = s->conf;
	ort = s->rt;
	dhcp4_runtime_commit(rt);
	s->conf = nc;
	s->rt = rt;
	dhcp4_runtime_free(ort);              /* leaves the carried pools alone */
	conf_free(oc);
	free(s->conf_text);
	s->conf_text = text;
	s->conf_text_len = tlen;
	s->reloads++;
	s->reloaded = time(NULL);
	LOG_I("configuration reloaded from %s: %u subnet(s), %u pool(s) carried over, %" PRId64
	      " orphaned lease(s), paused %" PRId64 " us", nc->file, nc->n_subnets,
	      dhcp4_runtime_carried(rt),
	      (int64_t)json_integer_value(json_object_get(info, "orphaned-leases")),
	      (int64_t)json_integer_value(json_object_get(info, "pause-us")));
	pthread_mutex_unlock(&s->lock);
	if (infop)
		*infop = info;
	else
		json_decref(info);
	return 0;
fail:
	pthread_mutex_unlock(&s->lock);
	json_decref(info);
	dhcp4_runtime_free(rt);               /* gives carried pools back */
	conf_free(nc);
	free(text);
	LOG_W("configuration reload refused, the old one keeps serving: %s", err);
	return ret ? ret : -EINVAL;
}
