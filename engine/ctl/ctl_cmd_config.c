/* The configuration commands: config-get, config-test, config-write and
 * config-reload (the reload itself is ctl_reload.c, shared with SIGHUP). */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ctl_cmd.h"

/* libconfig tree -> JSON, faithfully: groups become objects, lists and
 * arrays become arrays, scalars keep their type. */
static json_t *setting_json(const config_setting_t *st)
{
	json_t *j;
	int i, n;

	switch (config_setting_type(st)) {
	case CONFIG_TYPE_GROUP:
		j = json_object();
		n = config_setting_length(st);
		for (i = 0; j && i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);

			json_object_set_new(j, config_setting_name(e), setting_json(e));
		}
		return j;
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		j = json_array();
		n = config_setting_length(st);
		for (i = 0; j && i < n; i++)
			json_array_append_new(j, setting_json(config_setting_get_elem(st, (unsigned)i)));
		return j;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return json_integer((json_int_t)config_setting_get_int64(st));
	case CONFIG_TYPE_FLOAT:
		return json_real(config_setting_get_float(st));
	case CONFIG_TYPE_BOOL:
		return json_boolean(config_setting_get_bool(st));
	case CONFIG_TYPE_STRING:
		return json_string(config_setting_get_string(st));
	}
	return json_null();
}

/* The running configuration as the file said it (includes expanded),
 * parsed from the text kept at load time so that later edits of the file
 * do not show up here. */
/* Every value whose key ends in "password", anywhere in the tree (maps
 * and lists), becomes "*****". */
static void mask_secrets(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i, n;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			mask_secrets(v);
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach(j, key, v) {
		n = strlen(key);
		if (n >= 8 && strcmp(key + n - 8, "password") == 0)
			json_object_set_new(j, key, json_string("*****"));
		else
			mask_secrets(v);
	}
}

HANDLER(cmd_config_get)
{
	struct dp_srv *s = ctx;
	char dir[PATH_MAX], *slash;
	config_t cf;
	json_t *body;

	(void)args;
	locked(s);
	snprintf(dir, sizeof(dir), "%s", s->conf->file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	config_init(&cf);
	config_set_include_dir(&cf, dir);
	if (!s->conf_text || !config_read_string(&cf, s->conf_text)) {
		config_destroy(&cf);
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "cannot render the running configuration");
	}
	body = setting_json(config_root_setting(&cf));
	config_destroy(&cf);
	/* passwords are not something to hand out: http-control's, the
	 * databases', the sentinels', the HA peers' */
	mask_secrets(body);
	*out = json_pack("{s:o, s:s, s:I}", "Peregrine", body, "file", s->conf->file,
			 "loaded", (json_int_t)s->reloaded);
	pthread_mutex_unlock(&s->lock);
	snprintf(text, len, "Current configuration returned.");
	return CTL_SUCCESS;
}


HANDLER(cmd_config_test)
{
	struct dp_srv *s = ctx;
	const char *path = NULL;
	char err[1024];
	struct conf *c;
	int ret;

	if (arg_str(args, "file", false, &path, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	c = conf_load(path ? path : s->conf_path, err, sizeof(err));
	if (!c) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "%s", err);
	}
	ret = reload_compatible(s->conf, c, err, sizeof(err));
	*out = json_pack("{s:s, s:I, s:I, s:b}", "file", c->file, "subnets", (json_int_t)c->n_subnets,
			 "interfaces", (json_int_t)c->n_ifaces, "reloadable", ret == 0);
	conf_free(c);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		snprintf(text, len, "Configuration seems sane, but not for a reload: %s", err);
	else
		snprintf(text, len, "Configuration seems sane.");
	return CTL_SUCCESS;
}

HANDLER(cmd_config_write)
{
	struct dp_srv *s = ctx;
	const char *path = NULL;
	char tmp[PATH_MAX + 16];
	FILE *f;
	int ok;

	if (arg_str(args, "filename", false, &path, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	if (!path)
		path = s->conf_path;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "w");
	ok = f && fwrite(s->conf_text, 1, s->conf_text_len, f) == s->conf_text_len;
	if (f)
		ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "cannot write %s: %s", path, strerror(e));
	}
	*out = json_pack("{s:s, s:I}", "filename", path, "size", (json_int_t)s->conf_text_len);
	pthread_mutex_unlock(&s->lock);
	snprintf(text, len, "Configuration written to %s successfully", path);
	return CTL_SUCCESS;
}

HANDLER(cmd_config_reload)
{
	struct dp_srv *s = ctx;
	char err[1024];
	void *info = NULL;

	(void)args;
	if (dp_srv_reload(s, NULL, err, sizeof(err), &info))
		return fail(text, len, "%s", err);
	*out = info;
	snprintf(text, len, "Configuration successful.");
	return CTL_SUCCESS;
}

const struct cmd_def cmds_config[] = {
	{ "config-get", cmd_config_get },
	{ "config-test", cmd_config_test },
	{ "config-reload", cmd_config_reload },
	{ "config-write", cmd_config_write },
	{ NULL, NULL },
};
