/* The HA commands (issue 16): what a partner sends to this server's peer
 * listener, and what an operator asks, answered by the HA service core
 * (ha/ha_service.h) with Kea's result codes and texts.  The family is the
 * request's "service" (Kea's partner names it: ["dhcp4"] or ["dhcp6"];
 * none: DHCPv4).  Without a high-availability block every one of them
 * says so. */
#include <stdio.h>
#include <string.h>

#include "ctl_cmd.h"
#include "ctl_srv.h"
#include "ha_service.h"

static int ha_fam(struct dp_srv *s)
{
	return request_family(s) == 6 ? 6 : 4;
}

static int no_ha(struct dp_srv *s, char *text, size_t len)
{
	if (s->ha)
		return 0;
	snprintf(text, len, "HA is not configured (no high-availability block)");
	return -1;
}

HANDLER(cmd_ha_heartbeat)
{
	struct dp_srv *s = ctx;

	(void)args;
	if (no_ha(s, text, len))
		return CTL_UNSUPPORTED;
	return ha_service_heartbeat_answer(s->ha, ha_fam(s), out, text, len);
}

HANDLER(cmd_ha_sync_complete_notify)
{
	struct dp_srv *s = ctx;

	(void)args; (void)out;
	if (no_ha(s, text, len))
		return CTL_UNSUPPORTED;
	return ha_service_sync_complete_notify(s->ha, ha_fam(s), text, len);
}

static int ha_event(struct dp_srv *s, enum ha_event ev, char *text, size_t len)
{
	if (no_ha(s, text, len))
		return CTL_UNSUPPORTED;
	return ha_service_command(s->ha, ha_fam(s), ev, text, len);
}

HANDLER(cmd_ha_continue)
{
	(void)args; (void)out;
	return ha_event(ctx, HA_EV_CONTINUE, text, len);
}

HANDLER(cmd_ha_reset)
{
	(void)args; (void)out;
	return ha_event(ctx, HA_EV_RESET, text, len);
}

HANDLER(cmd_ha_maintenance_start)
{
	(void)args; (void)out;
	return ha_event(ctx, HA_EV_MAINT_START, text, len);
}

HANDLER(cmd_ha_maintenance_cancel)
{
	(void)args; (void)out;
	return ha_event(ctx, HA_EV_MAINT_CANCEL, text, len);
}

HANDLER(cmd_ha_maintenance_notify)
{
	json_t *cancel;

	(void)out;
	if (arg_get(args, "cancel", JSON_TRUE, &cancel, text, len) < 0)
		return CTL_ERROR;
	return ha_event(ctx, cancel && json_is_true(cancel) ? HA_EV_MAINT_NOTIFY_CANCEL
							    : HA_EV_MAINT_NOTIFY, text, len);
}

/* ha-scopes {"scopes": ["server1", ...]}: serve those servers' scopes. */
HANDLER(cmd_ha_scopes)
{
	struct dp_srv *s = ctx;
	const char *names[8];
	json_t *l, *e;
	size_t i;

	(void)out;
	if (no_ha(s, text, len))
		return CTL_UNSUPPORTED;
	l = args ? json_object_get(args, "scopes") : NULL;
	if (!l || !json_is_array(l))
		return fail(text, len, "'scopes' is mandatory for the 'ha-scopes' command");
	if (json_array_size(l) > 8)
		return fail(text, len, "too many scopes");
	json_array_foreach(l, i, e) {
		if (!json_is_string(e))
			return fail(text, len, "scope name must be a string in the 'scopes' argument");
		names[i] = json_string_value(e);
	}
	return ha_service_scopes(s->ha, ha_fam(s), names, (unsigned)json_array_size(l), text, len);
}

/* ha-sync {"server-name": "server2", "max-period": N}: sync the leases
 * from the partner now and answer when done (max-period is taken; the
 * partner's disable lasts at most sync-timeout, as the automatic sync's). */
HANDLER(cmd_ha_sync)
{
	struct dp_srv *s = ctx;
	json_t *name, *mp;

	(void)out;
	if (no_ha(s, text, len))
		return CTL_UNSUPPORTED;
	if (arg_get(args, "server-name", JSON_STRING, &name, text, len) < 0 ||
	    arg_get(args, "max-period", JSON_INTEGER, &mp, text, len) < 0)
		return CTL_ERROR;
	if (!name)
		return fail(text, len, "'server-name' is mandatory for the 'ha-sync' command");
	return ha_service_sync_cmd(s->ha, ha_fam(s), json_string_value(name), text, len);
}

/* status-get's "high-availability" (Kea's shape), when HA runs. */
void dp_srv_ha_status(struct dp_srv *s, json_t *status)
{
	json_t *sec = NULL;

	if (s->ha && ha_service_status(s->ha, ha_fam(s), &sec) == 0 && sec)
		json_object_set_new(status, "high-availability", sec);
}

const struct cmd_def cmds_ha[] = {
	{ "ha-heartbeat", cmd_ha_heartbeat },
	{ "ha-sync-complete-notify", cmd_ha_sync_complete_notify },
	{ "ha-continue", cmd_ha_continue },
	{ "ha-reset", cmd_ha_reset },
	{ "ha-maintenance-start", cmd_ha_maintenance_start },
	{ "ha-maintenance-cancel", cmd_ha_maintenance_cancel },
	{ "ha-maintenance-notify", cmd_ha_maintenance_notify },
	{ "ha-scopes", cmd_ha_scopes },
	{ "ha-sync", cmd_ha_sync },
	{ NULL, NULL },
};
