/* Live reconfiguration, for config-reload and SIGHUP: load and validate
 * the new file, refuse what a running process cannot change, build the
 * new runtime, then publish it to the workers with RCU, without stopping
 * them (engine/dp/reload.c).  On any failure before the publication the
 * old snapshot keeps serving. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "log.h"

#define RC_FREEZE_MS     200    /* a worker's unit of work in flight at the freeze */
#define RC_WAIT_MS       2000   /* remap counts in the answer; the reload before */
#define RC6_WAIT_MS      2000   /* each phase of the dhcp6 block's reload */

/* Parts of a config that a running process cannot change: the EAL, the
 * ports, the lease store, the steering key, the control channel and the
 * high-availability relationship.
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
		    o->ifaces[i].prefix_len != n->ifaces[i].prefix_len ||
		    o->ifaces[i].has_addr6 != n->ifaces[i].has_addr6 ||
		    !lease_addr6_eq(o->ifaces[i].addr6, n->ifaces[i].addr6))
			REFUSE(n->ifaces[i].line, "interface '%s' cannot change while running (ports "
			       "belong to the EAL); restart to apply it", n->ifaces[i].name);
	if (o->lease_db.type != n->lease_db.type || strcmp(o->lease_db.name, n->lease_db.name) ||
	    o->lease_db.durability != n->lease_db.durability ||
	    o->lease_db.flush_interval_ms != n->lease_db.flush_interval_ms ||
	    o->lease_db.lfc_interval != n->lease_db.lfc_interval ||
	    strcmp(o->lease_db.host, n->lease_db.host) || strcmp(o->lease_db.port, n->lease_db.port) ||
	    strcmp(o->lease_db.user, n->lease_db.user) ||
	    strcmp(o->lease_db.password, n->lease_db.password) ||
	    o->lease_db.connect_timeout != n->lease_db.connect_timeout ||
	    o->lease_db.max_reconnect_tries != n->lease_db.max_reconnect_tries ||
	    o->lease_db.reconnect_wait_time != n->lease_db.reconnect_wait_time ||
	    o->lease_db.on_fail != n->lease_db.on_fail || o->lease_db.shared != n->lease_db.shared ||
	    strcmp(o->lease_db.journal_dir, n->lease_db.journal_dir) ||
	    strcmp(o->lease_db.socket, n->lease_db.socket) ||
	    o->lease_db.wait_replicas != n->lease_db.wait_replicas ||
	    o->lease_db.wait_timeout_ms != n->lease_db.wait_timeout_ms ||
	    o->lease_db.n_sentinels != n->lease_db.n_sentinels ||
	    memcmp(o->lease_db.sentinels, n->lease_db.sentinels, sizeof(n->lease_db.sentinels)) ||
	    strcmp(o->lease_db.sentinel_master, n->lease_db.sentinel_master) ||
	    strcmp(o->lease_db.sentinel_password, n->lease_db.sentinel_password))
		REFUSE(1, "lease-database cannot change while running; restart to apply it");
	if (!o->v6 != !n->v6)
		REFUSE(n->v6 ? n->v6->line : 1, "the dhcp6 block cannot be %s while running; "
		       "restart to apply it", n->v6 ? "added" : "removed");
	if (strcmp(o->lease_db.name6, n->lease_db.name6))
		REFUSE(n->v6 ? n->v6->line : 1, "dhcp6.lease-database cannot change while running; "
		       "restart to apply it");
	if (o->hosts_db.enabled != n->hosts_db.enabled ||
	    (n->hosts_db.enabled &&
	     (o->hosts_db.db.type != n->hosts_db.db.type ||
	      strcmp(o->hosts_db.db.socket, n->hosts_db.db.socket) ||
	      strcmp(o->hosts_db.db.name, n->hosts_db.db.name) ||
	      strcmp(o->hosts_db.db.host, n->hosts_db.db.host) ||
	      strcmp(o->hosts_db.db.port, n->hosts_db.db.port) ||
	      strcmp(o->hosts_db.db.user, n->hosts_db.db.user) ||
	      strcmp(o->hosts_db.db.password, n->hosts_db.db.password) ||
	      o->hosts_db.db.connect_timeout != n->hosts_db.db.connect_timeout)))
		REFUSE(n->hosts_db.line > 0 ? n->hosts_db.line : 1, "the hosts-database connection "
		       "cannot change while running; restart to apply it (readonly and "
		       "refresh-interval can)");
	if (o->match_client_id != n->match_client_id)
		REFUSE(1, "match-client-id decides which worker owns each client and cannot change "
		       "while running; restart to apply it");
	if (memcmp(&o->ctl_socket, &n->ctl_socket, offsetof(struct conf_ctl_socket, line)) ||
	    memcmp(&o->http_control, &n->http_control, offsetof(struct conf_http_control, line)))
		REFUSE(n->ctl_socket.line > 0 ? n->ctl_socket.line : n->http_control.line,
		       "control-socket and http-control cannot change while running; restart to apply them");
	if (!conf_ha_equal(o->ha, n->ha))
		REFUSE(n->ha ? n->ha->line : 1, "high-availability cannot change on reload; restart "
		       "to apply it");
	if (!conf_radius_equal(o->radius, n->radius))
		REFUSE(n->radius ? n->radius->line : 1, "radius cannot change on reload (its "
		       "thread, servers and caches are set up at start); restart to apply it");
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

/* Publish conf/rt to the workers without stopping them (engine/dp
 * reload.c); on success the old conf and runtime are the datapath's to
 * free once no worker uses them.  The answer says what is known within
 * RC_WAIT_MS: the remap counts of the workers done by then. */
static int publish(struct dp_srv *s, struct conf *nc, struct dhcp4_runtime *rt, json_t *info,
		   char *err, size_t errlen, bool *kept)
{
	struct dp_reload_info ri;
	int ret;

	ret = dp_reload(s->dp, nc, rt, s->conf, s->rt, RC_FREEZE_MS, RC_WAIT_MS, &ri);
	if (ri.rt_kept)
		*kept = true;
	if (ret == -EBUSY)
		snprintf(err, errlen, "%s: the reload before is still remapping leases on a worker "
			 "(not done within %u ms); configuration unchanged, try again", nc->file,
			 RC_WAIT_MS);
	else if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "%s: a worker did not finish its unit of work within %u ms "
			 "of the freeze; configuration unchanged", nc->file, RC_FREEZE_MS);
	else if (ret)
		snprintf(err, errlen, "%s: %s", nc->file, strerror(-ret));
	if (ret)
		return ret;
	json_object_set_new(info, "orphaned-leases", json_integer((json_int_t)ri.orphaned));
	json_object_set_new(info, "address-conflicts", json_integer((json_int_t)ri.conflicts));
	json_object_set_new(info, "leases", json_integer((json_int_t)ri.leases));
	/* Workers still remapping when the answer left: the three counts
	 * above are theirs missing (0: the counts are final). */
	json_object_set_new(info, "workers-remapping", json_integer((json_int_t)ri.remapping));
	/* The datapath no longer pauses for a reload; the key stays (0) for
	 * the scripts that read it.  How long the freeze of replaced pools,
	 * the switch of every worker and the remap took instead: */
	json_object_set_new(info, "pause-us", json_integer(0));
	json_object_set_new(info, "freeze-us", json_integer((json_int_t)ri.freeze_us));
	json_object_set_new(info, "switch-us", json_integer((json_int_t)ri.switch_us));
	json_object_set_new(info, "remap-us", json_integer((json_int_t)ri.remap_us));
	return 0;
}

void dp_srv_reap(struct dp_srv *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->dp->retired)
		dp_reload_reap(s->dp, 0);
	if (s->dp->reload6)
		dp_reload6_reap(s->dp);
	pthread_mutex_unlock(&s->lock);
}

/* The dhcp6 block: its new runtime (carried pools) and phase 1 on every
 * worker (engine/dp/reload6.c), before anything is published.  0, or
 * -errno with err; *rt6p is NULL when it must not be freed. */
static int prepare6(struct dp_srv *s, struct conf *nc, struct dhcp6_runtime **rt6p,
		    struct dp_reload6_info *ri6, char *err, size_t errlen)
{
	struct dhcp6_runtime *rt6;
	int ret;

	*rt6p = NULL;
	/* the reload before must be retired: its runtime is committed then */
	if (dp_reload6_reap(s->dp)) {
		snprintf(err, errlen, "%s: the dhcp6 reload before is still switching a worker; "
			 "configuration unchanged, try again", nc->file);
		return -EBUSY;
	}
	rt6 = dhcp6_runtime_create_from(nc, s->dp->rt6);
	*rt6p = rt6;
	if (!rt6) {
		ret = -errno;
		snprintf(err, errlen, "%s:%d: dhcp6 runtime: %s", nc->file, nc->v6->line,
			 strerror(errno));
		return ret;
	}
	ret = dp_reload6_prepare(s->dp, nc, rt6, RC6_WAIT_MS, ri6);
	if (ri6->rt_kept)
		*rt6p = NULL;           /* a worker may still read it: leaked */
	if (ret == -EINVAL && ri6->bad_pool >= 0)
		snprintf(err, errlen, "%s:%d: %" PRIu64 " delegated prefix(es) of another length "
			 "lie in this pd-pool; its delegated-len cannot change while they are "
			 "delegated (configuration unchanged)", nc->file,
			 dhcp6_runtime_pool_line(rt6, (uint32_t)ri6->bad_pool), ri6->mismatched);
	else if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "%s: a worker did not prepare for the dhcp6 block within "
			 "%u ms; configuration unchanged", nc->file, RC6_WAIT_MS);
	else if (ret)
		snprintf(err, errlen, "%s: dhcp6: %s", nc->file, strerror(-ret));
	return ret;
}

static void info6(json_t *info, const struct dhcp6_runtime *rt6, const struct dp_reload6_info *ri6)
{
	json_object_set_new(info, "dhcp6", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"pools-carried-over", (json_int_t)dhcp6_runtime_carried(rt6),
		"leases", (json_int_t)ri6->leases,
		"orphaned-leases", (json_int_t)ri6->orphaned,
		"address-conflicts", (json_int_t)ri6->conflicts,
		/* workers that had not switched when the answer left: the
		 * counts above are theirs missing */
		"workers-switching", (json_int_t)ri6->switching,
		"prepare-us", (json_int_t)ri6->prepare_us,
		"switch-us", (json_int_t)ri6->switch_us));
}

/* text NULL: load path; else the text kept from path's last load. */
static int reload(struct dp_srv *s, const char *path, bool from_text, char *err, size_t errlen,
		  void **infop)
{
	struct conf *nc = NULL, *oc;
	struct dhcp4_runtime *rt = NULL;
	struct dhcp6_runtime *rt6 = NULL;
	struct dp_reload6_info ri6 = { 0 };
	struct conf6 *old6 = NULL;
	bool kept = false;
	char *text = NULL;
	size_t tlen = 0;
	json_t *info = NULL;
	int ret;

	if (infop)
		*infop = NULL;
	locked(s);
	if (!path)
		path = s->conf_path;
	nc = from_text ? conf_load_text(path, s->conf_text, err, errlen) :
			 conf_load(path, err, errlen);
	if (!nc) {
		ret = -errno;
		goto fail;
	}
	ret = reload_compatible(s->conf, nc, err, errlen);
	if (ret)
		goto fail;
	ret = dp_srv_hosts_merge(s, nc, err, errlen);
	if (ret)
		goto fail;
	if (from_text) {
		tlen = s->conf_text_len;
		text = malloc(tlen + 1);
		if (text)
			memcpy(text, s->conf_text, tlen + 1);
	} else {
		text = read_text(path, &tlen);
	}
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
	/* DHCPv6 first: its phase 1 can still be given up */
	if (nc->v6 && s->dp->rt6) {
		ret = prepare6(s, nc, &rt6, &ri6, err, errlen);
		if (ret)
			goto fail;
	}
	info = json_pack("{s:s, s:I, s:I}", "file", nc->file, "subnets", (json_int_t)nc->n_subnets,
			 "pools-carried-over", (json_int_t)dhcp4_runtime_carried(rt));
	/* The old dhcp6 block outlives the rest of the old snapshot until
	 * every DHCPv6 worker switched: detached from it. */
	oc = s->conf;
	if (rt6) {
		old6 = oc->v6;
		oc->v6 = NULL;
	}
	/* the running radius block stays (it cannot change): nc takes it
	 * before any worker sees nc, and gives it back if nothing is
	 * published */
	conf_radius_hand_over(nc, oc);
	ret = publish(s, nc, rt, info, err, errlen, &kept);
	if (ret) {
		if (nc && nc->radius && nc->radius == oc->radius) {
			nc->radius_borrowed = true;
			oc->radius_borrowed = false;
		}
		if (rt6) {
			oc->v6 = old6;
			dp_reload6_abort(s->dp, RC6_WAIT_MS, &ri6);
			if (ri6.rt_kept)
				rt6 = NULL;
		}
		if (kept)
			rt = NULL, nc = NULL;   /* leaked on purpose: see dp_reload */
		goto fail;                    /* nothing was published */
	}
	/* Published: from here the new snapshot serves, whatever happens;
	 * the old one is the datapath's (freed once no worker uses it). */
	if (rt6) {
		dp_reload6_switch(s->dp, old6, RC6_WAIT_MS, &ri6);
		info6(info, rt6, &ri6);
	}
	s->conf = nc;
	s->rt = rt;
	free(s->conf_text);
	s->conf_text = text;
	s->conf_text_len = tlen;
	s->reloads++;
	s->reloaded = time(NULL);
	LOG_I("configuration reloaded from %s: %u subnet(s), %u pool(s) carried over, %" PRId64
	      " orphaned lease(s), paused 0 us (freeze %" PRId64 " us, every worker switched in %"
	      PRId64 " us, remapped in %" PRId64 " us, %" PRId64 " worker(s) still remapping)",
	      nc->file, nc->n_subnets, dhcp4_runtime_carried(rt),
	      (int64_t)json_integer_value(json_object_get(info, "orphaned-leases")),
	      (int64_t)json_integer_value(json_object_get(info, "freeze-us")),
	      (int64_t)json_integer_value(json_object_get(info, "switch-us")),
	      (int64_t)json_integer_value(json_object_get(info, "remap-us")),
	      (int64_t)json_integer_value(json_object_get(info, "workers-remapping")));
	if (rt6)
		LOG_I("dhcp6 reloaded from %s: %u subnet6(s), %u pool(s) carried over, %" PRIu64
		      " lease(s) remapped, %" PRIu64 " orphaned, %" PRIu64 " address conflict(s) "
		      "(prepared in %" PRIu64 " us, switched in %" PRIu64 " us, %u worker(s) still "
		      "switching)", nc->file, nc->v6->n_subnets, dhcp6_runtime_carried(rt6),
		      ri6.leases, ri6.orphaned, ri6.conflicts, ri6.prepare_us, ri6.switch_us,
		      ri6.switching);
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
	dhcp6_runtime_free(rt6);              /* so does this */
	conf_free(nc);
	free(text);
	LOG_W("configuration reload refused, the old one keeps serving: %s", err);
	return ret ? ret : -EINVAL;
}

int dp_srv_reload(struct dp_srv *s, const char *path, char *err, size_t errlen, void **infop)
{
	return reload(s, path, false, err, errlen, infop);
}

int dp_srv_reload_text(struct dp_srv *s, char *err, size_t errlen, void **infop)
{
	return reload(s, NULL, true, err, errlen, infop);
}
