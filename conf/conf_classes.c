/* client-classes: each class's test (compiled into the class registry of
 * classify/), its option-data and boot fields; and the client-class /
 * require-client-classes references of subnets, pools, shared networks
 * and reservations, which may name a class defined later or never (as in
 * Kea: the registry interns the name), and the HA_<peer> scope classes of
 * high-availability (conf_ha.c). */
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct xclass {
	char name[CLS_NAME_MAX];
	const char *test;
	bool only_if_required;
	uint32_t next_server;
	char server_hostname[64];
	char boot_file_name[128];
};

static const struct conf_key class_keys[] = {
	STR("name", struct xclass, name, "", .flags = K_REQUIRED),
	STRP("test", struct xclass, test),
	BOOL("only-if-required", struct xclass, only_if_required, false),
	ANY("option-data"),
	IPV4("next-server", struct xclass, next_server),
	STR("server-hostname", struct xclass, server_hostname, ""),
	STR("boot-file-name", struct xclass, boot_file_name, ""),
};
static const struct conf_table class_table = TABLE("in a client-classes entry", class_keys);

int conf_class_register(struct conf_ld *ld, struct cls_registry *reg, const config_setting_t *s_name,
			const config_setting_t *s_test, const char *name, const char *test,
			bool only_if_required, int prev_line)
{
	struct cls_err cerr;
	int id;

	if (conf_ha_class_check(ld, s_name, "name", name, true) < 0)
		return -1;
	memset(&cerr, 0, sizeof(cerr));
	id = cls_registry_add(reg, name, test, only_if_required ? CLS_F_ONLY_IF_REQUIRED : 0, &cerr);
	if (id == -EEXIST && prev_line)
		return conf_err(ld, s_name, "client class \"%s\" is already defined (line %d)", name,
				prev_line);
	if (id == -EEXIST)
		return conf_err(ld, s_name, "client class \"%s\" is already defined", name);
	if (id == -ENOSPC)
		return conf_err(ld, s_name, "client class \"%s\": too many classes (at most %d, the "
				"builtins included)", name, CLS_MAX_CLASSES);
	if (id == -ENOMEM)
		return conf_nomem(ld, s_name);
	if (id < 0 && cerr.col > 0)
		return conf_err(ld, s_test, "client class \"%s\": test: %s", name, cerr.msg);
	if (id < 0)
		return conf_err(ld, s_name, "client class \"%s\": %s", name,
				cerr.msg[0] ? cerr.msg : "invalid name");
	return id;
}

static int parse_class(struct conf_ld *ld, const config_setting_t *e, void *entry)
{
	struct conf_class *c = entry;
	const config_setting_t *found[CONF_MAX_KEYS], *s_name, *s_test, *s_opts;
	struct conf_policy *x = ld->x;
	struct xclass v;
	int id, prev = 0;

	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, e, &class_table, &v, found) < 0)
		return -1;
	s_name = conf_found(&class_table, found, "name");
	s_test = conf_found(&class_table, found, "test");
	s_opts = conf_found(&class_table, found, "option-data");
	for (const struct conf_class *p = x->classes; p < c && prev == 0; p++)
		if (strcmp(p->name, v.name) == 0)
			prev = p->line;
	id = conf_class_register(ld, x->reg, s_name, s_test, v.name, v.test, v.only_if_required, prev);
	if (id < 0)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", v.name);
	c->id = id;
	c->only_if_required = v.only_if_required;
	c->next_server = v.next_server;
	memcpy(c->server_hostname, v.server_hostname, sizeof(c->server_hostname));
	memcpy(c->boot_file_name, v.boot_file_name, sizeof(c->boot_file_name));
	c->line = conf_line(e);
	x->class_idx[id] = (int16_t)(c - x->classes);
	if (s_opts && conf_parse_options(ld, s_opts, &c->options) < 0)
		return -1;
	if (c->options.n > 0)
		cls_set_add(&x->with_options, (unsigned)id);
	if (c->next_server || c->server_hostname[0] || c->boot_file_name[0])
		cls_set_add(&x->with_boot, (unsigned)id);
	return 0;
}

int conf_parse_classes(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_parse_entries(ld, s, "client-classes", &ld->x->classes, sizeof(*ld->x->classes),
				  &ld->x->n_classes, parse_class);
}

const struct conf_class *conf_policy_class(const struct conf_policy *x, unsigned id)
{
	if (id >= CLS_MAX_CLASSES || x->class_idx[id] < 0)
		return NULL;
	return &x->classes[x->class_idx[id]];
}

/* Class names in the dhcp6 block are the v6 registry's, and each one is
 * remembered: there, a class referred to must be defined.  An HA_<peer>
 * name is high-availability's scope class (conf_ha_class_check): valid
 * without a definition in both blocks when the HA block gives that
 * peer's scope a class, refused otherwise, unless a client-classes entry
 * defines a class of that name (one high-availability does not own). */
static int intern(struct conf_ld *ld, const config_setting_t *s, const char *key,
		  const char *name)
{
	struct cls_registry *reg = ld->v6 ? ld->v6->reg : ld->x->reg;
	int id = cls_registry_find(reg, name), ha = 0;

	if (id < 0 || !cls_registry_defined(reg, (unsigned)id))
		ha = conf_ha_class_check(ld, s, key, name, false);
	if (ha < 0)
		return -1;
	id = cls_registry_intern(reg, name);
	if (id >= 0 && ld->v6 && ha == 0) {
		if (conf_grow(ld, s, &ld->refs, sizeof(*ld->refs), &ld->cap_refs, ld->n_refs + 1) < 0)
			return -1;
		ld->refs[ld->n_refs].id = id;
		ld->refs[ld->n_refs++].s = s;
	}

	if (id == -ENOSPC)
		return conf_err(ld, s, "'%s': \"%s\": too many client classes (at most %d)", key, name,
				CLS_MAX_CLASSES);
	if (id == -ENOMEM)
		return conf_nomem(ld, s);
	if (id < 0)
		return conf_err(ld, s, "'%s': \"%s\" is not a valid class name", key, name);
	return id;
}

int conf_parse_class_ref(struct conf_ld *ld, const config_setting_t *s, int *id)
{
	const char *v = conf_string(ld, s, config_setting_name(s));
	int r;

	if (v == NULL)
		return -1;
	if (*v == '\0')
		return conf_err(ld, s, "'%s' must not be empty", config_setting_name(s));
	if ((r = intern(ld, s, config_setting_name(s), v)) < 0)
		return -1;
	*id = r;
	return 0;
}

int conf_parse_class_list(struct conf_ld *ld, const config_setting_t *s,
			  struct cls_set *out)
{
	const char *key = config_setting_name(s);
	int type = config_setting_type(s);

	cls_set_clear(out);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'%s' must be an array of class names [ ... ], not %s", key,
				conf_type_name(type));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = conf_string(ld, e, key);
		int id;

		if (v == NULL || (id = intern(ld, e, key, v)) < 0)
			return -1;
		cls_set_add(out, (unsigned)id);
	}
	return 0;
}

int conf_key_class_ref(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k)
{
	return conf_parse_class_ref(ld, s, (int *)((char *)obj + k->off));
}

int conf_key_class_list(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	return conf_parse_class_list(ld, s, (struct cls_set *)((char *)obj + k->off));
}
