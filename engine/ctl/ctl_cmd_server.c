/* The server as a whole: version-get, build-report, status-get,
 * shutdown, dhcp-disable and dhcp-enable; and the set-up of the control
 * channel with every command of the ctl_cmd_*.c files. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <rte_version.h>
#include "ctl_cmd.h"
#include "log.h"

HANDLER(cmd_version_get)
{
	(void)args; (void)ctx;
	snprintf(text, len, "%s", PEREGRINE_VERSION);
	*out = json_pack("{s:s}", "extended", "peregrine " PEREGRINE_VERSION " (DHCPv4, DPDK datapath)");
	return CTL_SUCCESS;
}

HANDLER(cmd_build_report)
{
	(void)args; (void)out; (void)ctx;
	snprintf(text, len, "peregrine %s; %s; compiler %s; built %s %s; libconfig, jansson %s",
		 PEREGRINE_VERSION, rte_version(), __VERSION__, __DATE__, __TIME__, JANSSON_VERSION);
	return CTL_SUCCESS;
}

HANDLER(cmd_status_get)
{
	struct dp_srv *s = ctx;
	json_t *ifs = json_array();
	time_t now = time(NULL);
	uint32_t dis;
	unsigned i;

	(void)args; (void)text; (void)len;
	locked(s);
	for (i = 0; ifs && i < s->conf->n_ifaces; i++) {
		char a[INET_ADDRSTRLEN], buf[64];

		fmt_ip4(s->conf->ifaces[i].addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s/%u", a, s->conf->ifaces[i].prefix_len);
		json_array_append_new(ifs, json_pack("{s:s, s:s, s:s}", "name", s->conf->ifaces[i].name,
						     "device", s->conf->ifaces[i].device, "address", buf));
	}
	dis = netstate_until(&s->dp->ns, 0);
	*out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:o, s:s, s:s, s:s, s:I}",
			 "pid", (json_int_t)getpid(),
			 "uptime", (json_int_t)(now - s->started),
			 "reload", (json_int_t)(now - s->reloaded),
			 "reload-count", (json_int_t)s->reloads,
			 "workers", (json_int_t)s->dp->n_workers,
			 "multi-threading-enabled", s->dp->n_workers > 1,
			 "thread-pool-size", (json_int_t)s->dp->n_workers,
			 "interfaces", ifs,
			 "durability", conf_durability_name(s->dp->wb ? s->conf->lease_db.durability
							    : CONF_DUR_MEMORY),
			 "dhcp-state", (uint32_t)now < dis ? "disabled" : "enabled",
			 "dhcp6-state", (uint32_t)now < netstate_until(&s->dp->ns, 1) ? "disabled"
										     : "enabled",
			 "subnets", (json_int_t)s->conf->n_subnets);
	pthread_mutex_unlock(&s->lock);
	/* after the lock: the HA thread takes the service's lock, then this
	 * one (a sync applying leases) */
	if (*out)
		dp_srv_ha_status(s, *out);
	return CTL_SUCCESS;
}

HANDLER(cmd_shutdown)
{
	struct dp_srv *s = ctx;

	(void)args; (void)out;
	*s->quit = 1;
	snprintf(text, len, "Shutting down.");
	return CTL_SUCCESS;
}

/* The families a dhcp-disable / dhcp-enable is for (its "service": Kea's
 * Control Agent names the daemon; none: both), with their name for the
 * answer, and its "origin" (Kea's "user" or "ha-partner"; none: user). */
static int netstate_args(struct dp_srv *s, const json_t *args, unsigned *mask, const char **name,
			 enum netstate_origin *o, char *text, size_t len)
{
	int fam = request_family(s);
	const char *origin = NULL;
	int r = arg_str(args, "origin", false, &origin, text, len);

	if (r < 0)
		return -1;
	*o = NETSTATE_USER;
	if (r && netstate_origin_parse(origin, o) < 0) {
		fail(text, len, "'origin' must be \"user\" or \"ha-partner\", not '%.32s'", origin);
		return -1;
	}
	*mask = fam == 4 ? NETSTATE_V4 : fam == 6 ? NETSTATE_V6 : NETSTATE_BOTH;
	*name = fam == 4 ? "DHCPv4" : fam == 6 ? "DHCPv6" : "DHCP";
	return 0;
}

HANDLER(cmd_dhcp_disable)
{
	struct dp_srv *s = ctx;
	uint64_t period = 0;
	enum netstate_origin o;
	const char *name;
	unsigned mask;
	int r = arg_uint(args, "max-period", false, 365u * 86400, &period, text, len);

	(void)out;
	if (r < 0 || netstate_args(s, args, &mask, &name, &o, text, len) < 0)
		return CTL_ERROR;
	if (r && !period)
		return fail(text, len, "'max-period' must be positive");
	netstate_disable(&s->dp->ns, mask, o, (uint32_t)time(NULL), (uint32_t)period);
	if (r)
		snprintf(text, len, "%s service disabled for %" PRIu64 " seconds", name, period);
	else
		snprintf(text, len, "%s service disabled", name);
	return CTL_SUCCESS;
}

HANDLER(cmd_dhcp_enable)
{
	struct dp_srv *s = ctx;
	enum netstate_origin o;
	const char *name;
	unsigned mask;

	(void)out;
	if (netstate_args(s, args, &mask, &name, &o, text, len) < 0)
		return CTL_ERROR;
	netstate_enable(&s->dp->ns, mask, o);
	snprintf(text, len, "%s service successfully enabled", name);
	return CTL_SUCCESS;
}

/* ---- set-up ------------------------------------------------------------- */

int dp_srv_init(struct dp_srv *s)
{
	pthread_mutex_init(&s->lock, NULL);
	s->started = s->reloaded = time(NULL);
	s->base = stat_base_new();
	if (!s->base)
		return -ENOMEM;
	s->conf_text = read_text(s->conf_path, &s->conf_text_len);
	return s->conf_text ? 0 : -errno;
}

static const struct cmd_def cmds_server[] = {
	{ "version-get", cmd_version_get },
	{ "build-report", cmd_build_report },
	{ "status-get", cmd_status_get },
	{ "shutdown", cmd_shutdown },
	{ "dhcp-disable", cmd_dhcp_disable },
	{ "dhcp-enable", cmd_dhcp_enable },
	{ NULL, NULL },
};

/* Every command, by the file that handles it. */
static const struct cmd_def *const cmd_tables[] = {
	cmds_server, cmds_config, cmds_stats, cmds_lease, cmds_lease6, cmds_hosts, cmds_ha, cmds_bulk,
	cmds_cache,
};

int dp_srv_ctl_start(struct dp_srv *s)
{
	const struct conf *c = s->conf;
	/* HA: the partner's commands arrive on this server's own peer URL
	 * (its peer entry's basic-auth is what the partner sends) */
	const struct conf_ha_peer *me = c->ha ? conf_ha_this(c->ha) : NULL;
	struct ctl_params p = { 0 };
	const struct cmd_def *d;
	unsigned i;
	int ret;

	if (!c->ctl_socket.enabled && !c->http_control.enabled && !me)
		return 0;
	if (me) {
		p.peer_addr = me->url.host;
		p.peer_port = me->url.port;
		if (me->basic_auth_user[0]) {
			p.peer_user = me->basic_auth_user;
			p.peer_password = me->basic_auth_password;
		}
	}
	if (c->ctl_socket.enabled) {
		p.unix_path = c->ctl_socket.socket_name;
		p.unix_mode = c->ctl_socket.mode;
	}
	if (c->http_control.enabled) {
		p.http_addr = c->http_control.address;
		p.http_port = (uint16_t)c->http_control.port;
		if (c->http_control.user[0]) {
			p.http_user = c->http_control.user;
			p.http_password = c->http_control.password;
		}
	}
	/* one limit for both listeners: the stricter of those written */
	if (c->ctl_socket.enabled && c->ctl_socket.max_request)
		p.max_request = c->ctl_socket.max_request;
	if (c->http_control.enabled && c->http_control.max_request &&
	    (!p.max_request || c->http_control.max_request < p.max_request))
		p.max_request = c->http_control.max_request;
	if (c->ctl_socket.enabled && c->ctl_socket.idle_timeout_ms)
		p.idle_timeout_ms = c->ctl_socket.idle_timeout_ms;
	if (c->http_control.enabled && c->http_control.idle_timeout_ms &&
	    (!p.idle_timeout_ms || c->http_control.idle_timeout_ms < p.idle_timeout_ms))
		p.idle_timeout_ms = c->http_control.idle_timeout_ms;
	s->ctl = ctl_create(&p);
	if (!s->ctl)
		return -errno;
	for (i = 0; i < sizeof(cmd_tables) / sizeof(cmd_tables[0]); i++)
		for (d = cmd_tables[i]; d->name; d++) {
			ret = ctl_register(s->ctl, d->name, d->fn, s);
			if (ret)
				goto err;
		}
	ctl_set_metrics(s->ctl, stats_prometheus, s);
	ret = ctl_start(s->ctl);
	if (ret)
		goto err;
	LOG_I("control channel: %s%s%s%s%s", c->ctl_socket.enabled ? c->ctl_socket.socket_name : "",
	      c->ctl_socket.enabled && c->http_control.enabled ? " and " : "",
	      c->http_control.enabled ? "http" : "", me ? "; HA peer listener on " : "",
	      me ? me->url.text : "");
	return 0;
err:
	ctl_free(s->ctl);
	s->ctl = NULL;
	return ret;
}

void dp_srv_ctl_stop(struct dp_srv *s)
{
	if (!s->ctl)
		return;
	ctl_stop(s->ctl);
	ctl_free(s->ctl);
	s->ctl = NULL;
}

void dp_srv_fini(struct dp_srv *s)
{
	dp_srv_hosts_stop(s);
	stat_base_free(s->base);
	s->base = NULL;
	free(s->conf_text);
	s->conf_text = NULL;
	pthread_mutex_destroy(&s->lock);
}
