/* Class registry (control thread) and classification (workers).
 *
 * The config loader fills a registry in config order; afterwards it is
 * read-only and shared by every worker through the config snapshot, so the
 * per-packet side (cls_classify, cls_require) only reads it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cls_internal.h"
#include "dhcp4_wire.h"

static const char *const builtin[CLS_ID_FIRST_USER] = {
	[CLS_ID_ALL] = "ALL", [CLS_ID_KNOWN] = "KNOWN",
	[CLS_ID_UNKNOWN] = "UNKNOWN", [CLS_ID_DROP] = "DROP",
};

#define VPFX_LEN (sizeof(CLS_VENDOR_PREFIX) - 1)

static _Atomic uint64_t generations;

static void changed(struct cls_registry *reg)
{
	reg->gen = atomic_fetch_add(&generations, 1) + 1;
}

struct cls_registry *cls_registry_create(void)
{
	struct cls_registry *reg = calloc(1, sizeof(*reg));

	if (reg == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < CLS_ID_FIRST_USER; i++) {
		snprintf(reg->cls[i].name, CLS_NAME_MAX, "%s", builtin[i]);
		reg->cls[i].used = true;
	}
	reg->cls[CLS_ID_KNOWN].depends_known = true;
	reg->cls[CLS_ID_UNKNOWN].depends_known = true;
	reg->n_ids = CLS_ID_FIRST_USER;
	changed(reg);
	return reg;
}

void cls_registry_free(struct cls_registry *reg)
{
	if (reg == NULL)
		return;
	for (unsigned i = 0; i < reg->n_ids; i++)
		cls_prog_free(reg->cls[i].prog);
	free(reg);
}

static int lookup(const struct cls_registry *reg, const char *name, size_t len)
{
	if (reg == NULL) {
		for (unsigned i = 0; i < CLS_ID_FIRST_USER; i++)
			if (strlen(builtin[i]) == len && memcmp(builtin[i], name, len) == 0)
				return (int)i;
		return -ENOENT;
	}
	for (unsigned i = 0; i < reg->n_ids; i++)
		if (strlen(reg->cls[i].name) == len && memcmp(reg->cls[i].name, name, len) == 0)
			return (int)i;
	return -ENOENT;
}

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len >= CLS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

static int new_id(struct cls_registry *reg, const char *name, size_t len)
{
	struct cls_class *k;

	if (!name_ok(name, len))
		return -EINVAL;
	if (reg->n_ids >= CLS_MAX_CLASSES)
		return -ENOSPC;
	k = &reg->cls[reg->n_ids];
	memcpy(k->name, name, len);
	k->name[len] = '\0';
	k->used = true;
	if (len >= VPFX_LEN && memcmp(name, CLS_VENDOR_PREFIX, VPFX_LEN) == 0 && len > VPFX_LEN) {
		reg->vendor[reg->n_vendor].value = k->name + VPFX_LEN;
		reg->vendor[reg->n_vendor].len = (uint8_t)(len - VPFX_LEN);
		reg->vendor[reg->n_vendor].id = (uint8_t)reg->n_ids;
		/* PRE_HOST now reads option 60 whatever the tests say */
		if (reg->n_vendor++ == 0) {
			static const struct cls_atom opt60 = { .op = CLS_OP_OPT, .arg = { 60 } };

			cls_plan_add_atom(&reg->pre_plan, &opt60);
		}
	}
	changed(reg);
	return (int)reg->n_ids++;
}

int cls_registry_intern(struct cls_registry *reg, const char *name)
{
	int id;

	if (reg == NULL || name == NULL)
		return -EINVAL;
	id = lookup(reg, name, strlen(name));
	return id >= 0 ? id : new_id(reg, name, strlen(name));
}

int cls_registry_find(const struct cls_registry *reg, const char *name)
{
	if (reg == NULL || name == NULL)
		return -EINVAL;
	return lookup(reg, name, strlen(name));
}

/* Kea's rule: member() may name a builtin (ALL, KNOWN, UNKNOWN, any
 * VENDOR_CLASS_*) or a class defined before the one being compiled, which
 * rules out loops.  Testing KNOWN/UNKNOWN, or a class that does, moves the
 * test after the host lookup. */
int cls_registry_member(struct cls_registry *reg, const char *name, size_t len, bool *dep_known)
{
	int id = lookup(reg, name, len);

	if (id < 0 && reg != NULL && len > VPFX_LEN && memcmp(name, CLS_VENDOR_PREFIX, VPFX_LEN) == 0)
		id = new_id(reg, name, len);
	if (id < 0)
		return -ENOENT;
	if (id != CLS_ID_ALL && id != CLS_ID_KNOWN && id != CLS_ID_UNKNOWN &&
	    !(reg != NULL && (reg->cls[id].defined ||
			      memcmp(reg->cls[id].name, CLS_VENDOR_PREFIX, VPFX_LEN) == 0)))
		return -ENOENT;
	*dep_known = reg != NULL ? reg->cls[id].depends_known : (id == CLS_ID_KNOWN || id == CLS_ID_UNKNOWN);
	return id;
}

int cls_registry_add(struct cls_registry *reg, const char *name, const char *test,
		     unsigned flags, struct cls_err *err)
{
	struct cls_err dummy;
	struct cls_compile_params cp = { 0 };
	struct cls_prog *prog = NULL;
	struct cls_class *k;
	size_t len;
	int id;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (reg == NULL || name == NULL || (flags & ~(unsigned)CLS_F_ONLY_IF_REQUIRED)) {
		snprintf(err->msg, sizeof(err->msg), "invalid arguments");
		return -EINVAL;
	}
	len = strlen(name);
	if (!name_ok(name, len)) {
		snprintf(err->msg, sizeof(err->msg), "bad class name (1..%d printable bytes)",
			 CLS_NAME_MAX - 1);
		return -EINVAL;
	}
	id = lookup(reg, name, len);
	if (id == CLS_ID_ALL || id == CLS_ID_KNOWN || id == CLS_ID_UNKNOWN) {
		snprintf(err->msg, sizeof(err->msg), "'%s' is a builtin class", name);
		return -EINVAL;
	}
	if (id >= 0 && reg->cls[id].defined) {
		snprintf(err->msg, sizeof(err->msg), "class '%s' defined twice", name);
		return -EEXIST;
	}
	if (id < 0 && reg->n_ids >= CLS_MAX_CLASSES) {
		snprintf(err->msg, sizeof(err->msg), "more than %d classes", CLS_MAX_CLASSES);
		return -ENOSPC;
	}

	/* Compile before taking an id: the class is not visible to its own
	 * test, so member('itself') fails like any later class. */
	if (test != NULL && test[0] != '\0') {
		cp.text = test;
		cp.result = CLS_T_BOOL;
		cp.universe = reg->universe ? reg->universe : CLS_V4;
		cp.reg = reg;
		prog = cls_compile(&cp, err);
		if (prog == NULL)
			return -errno;
		if (id == CLS_ID_DROP && (prog->depends_known || (flags & CLS_F_ONLY_IF_REQUIRED))) {
			snprintf(err->msg, sizeof(err->msg), "DROP is evaluated before the host "
				 "lookup: it cannot depend on KNOWN/UNKNOWN nor be only-if-required");
			cls_prog_free(prog);
			return -EINVAL;
		}
	}
	if (id < 0) {
		id = new_id(reg, name, len);
		if (id < 0) {
			cls_prog_free(prog);
			snprintf(err->msg, sizeof(err->msg), "cannot add class '%s'", name);
			return id;
		}
	}
	k = &reg->cls[id];
	k->defined = true;
	k->required = flags & CLS_F_ONLY_IF_REQUIRED;
	k->depends_known = prog != NULL && prog->depends_known;
	k->prog = prog;
	reg->defined[reg->n_defined++] = (uint8_t)id;
	if (prog != NULL) {
		struct cls_step st = { .prog = prog, .id = (uint8_t)id };

		reg->order[reg->n_order++] = st;
		if (!k->required) {
			if (k->depends_known)
				reg->post[reg->n_post++] = st;
			else {
				reg->pre[reg->n_pre++] = st;
				cls_plan_add_prog(&reg->pre_plan, prog);
			}
		}
	}
	changed(reg);
	return id;
}

const char *cls_registry_name(const struct cls_registry *reg, unsigned id)
{
	return id < reg->n_ids ? reg->cls[id].name : NULL;
}

unsigned cls_registry_count(const struct cls_registry *reg)
{
	return reg->n_ids;
}

bool cls_registry_defined(const struct cls_registry *reg, unsigned id)
{
	return id < reg->n_ids && reg->cls[id].defined;
}

bool cls_registry_required(const struct cls_registry *reg, unsigned id)
{
	return id < reg->n_ids && reg->cls[id].required;
}

bool cls_registry_depends_known(const struct cls_registry *reg, unsigned id)
{
	return id < reg->n_ids && reg->cls[id].depends_known;
}

const struct cls_prog *cls_registry_prog(const struct cls_registry *reg, unsigned id)
{
	return id < reg->n_ids ? reg->cls[id].prog : NULL;
}

const uint8_t *cls_registry_order(const struct cls_registry *reg, unsigned *n)
{
	*n = reg->n_defined;
	return reg->defined;
}

int cls_registry_set_iface(struct cls_registry *reg, unsigned idx, const char *name)
{
	if (reg == NULL || name == NULL || idx >= CLS_MAX_IFACES ||
	    strlen(name) >= sizeof(reg->iface[0]))
		return -EINVAL;
	strcpy(reg->iface[idx], name);
	return 0;
}

int cls_registry_set_universe(struct cls_registry *reg, enum cls_universe u)
{
	if (reg == NULL || (u != CLS_V4 && u != CLS_V6) || reg->n_defined > 0)
		return -EINVAL;
	reg->universe = u;
	return 0;
}

unsigned cls_registry_stage_work(const struct cls_registry *reg, enum cls_stage stage)
{
	return stage == CLS_STAGE_PRE_HOST ? reg->n_pre + reg->n_vendor : reg->n_post;
}

/* ---------------------------------------------------------- per packet */

static void env_init(struct cls_env *env, const struct cls_registry *reg,
		     const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx,
		     const struct cls_set *set)
{
	env->pkt = pkt;
	env->rx = rx;
	env->iface = rx != NULL && rx->iface < CLS_MAX_IFACES ? reg->iface[rx->iface] : NULL;
	env->set = set;
}

int cls_classify(const struct cls_registry *reg, const struct dhcp4_pkt *pkt,
		 const struct dhcp4_rx *rx, struct cls_set *set, enum cls_stage stage)
{
	struct cls_env env;
	const uint8_t *v;
	uint16_t n;

	env_init(&env, reg, pkt, rx, set);
	switch (stage) {
	case CLS_STAGE_PRE_HOST:
		cls_set_clear(set);
		cls_set_add(set, CLS_ID_ALL);
		v = dhcp4_opt(pkt, DHCP4_OPT_VENDOR_CLASS, &n);
		if (v != NULL && n > 0) {
			for (unsigned i = 0; i < reg->n_vendor; i++) {
				if (reg->vendor[i].len == n &&
				    memcmp(reg->vendor[i].value, v, n) == 0) {
					cls_set_add(set, reg->vendor[i].id);
					break;
				}
			}
		}
		return cls_eval_steps(reg->pre, reg->n_pre, &env, set);
	case CLS_STAGE_POST_HOST:
		return cls_eval_steps(reg->post, reg->n_post, &env, set);
	}
	return -EINVAL;
}

int cls_require(const struct cls_registry *reg, const struct dhcp4_pkt *pkt,
		const struct dhcp4_rx *rx, struct cls_set *set, const struct cls_set *required)
{
	struct cls_env env;
	int errors = 0;

	if (cls_set_empty(required))
		return 0;
	env_init(&env, reg, pkt, rx, set);
	for (unsigned i = 0; i < reg->n_order; i++) {
		const struct cls_step *st = &reg->order[i];
		int r;

		if (!cls_set_has(required, st->id))
			continue;
		r = cls_eval_bool(st->prog, &env);
		if (r > 0)
			cls_set_add(set, st->id);
		else if (r < 0)
			errors++;
	}
	return errors;
}
