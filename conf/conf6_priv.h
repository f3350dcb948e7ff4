/* The dhcp6 block's loader internals, shared by conf6*.c (conf_priv.h
 * describes the key tables they are all written in).
 *
 * Where the code is:
 *   conf6.c          the dhcp6 table, its scalars, server-id,
 *                    lease-database, client-classes, the checks across
 *                    the block, conf6_free
 *   conf6_subnets.c  subnet6, pools, pd-pools, relay, shared-networks and
 *                    the timers subnets inherit
 *   conf6_options.c  option-def and option-data (with encapsulation)
 *   conf6_hosts.c    reservations and their checks
 *
 * Order of the dhcp6 table's rows: the scalars (subnets inherit them),
 * option-def before any option-data, client-classes before the
 * option-data of everything else, host-reservation-identifiers and
 * flex-id-expression, then subnet6 and shared-networks (which append
 * to subnets), the global reservations, and the cross checks in the
 * table's post hook. */
#pragma once
#include "conf_priv.h"

struct conf6_ld {
	const config_setting_t *grp;                  /* the dhcp6 group */
	struct conf6_subnet *cur_subnet;              /* while its rows are parsed */
	struct conf6_shared_net *cur_shared;          /* while its subnet6 list is parsed */
	const config_setting_t *cur_shared_grp;
	struct conf_ranges pools, pd_pools;           /* for the overlap checks */
	const config_setting_t **sn_src;              /* each subnet's group, like v6->subnets */
	unsigned cap_sn_src, cap_subnets;
	const config_setting_t **host_src;            /* each reservation's group, like v6->hosts */
	unsigned cap_hosts, cap_host_src;
};

/* conf6_subnets.c */
extern const struct conf_table conf6_subnet_table;
/* shared-networks = ( { name; interface; interface-id; relay; timers;
 * rapid-commit; option-data; client-class; require-client-classes;
 * subnet6 = ( ... ); } ): each network's subnets are appended to
 * v6->subnets, marked with its index, inheriting what they do not set. */
int conf6_key_shared_networks(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k);
/* The global timers in order (renew <= rebind <= preferred <= valid). */
int conf6_global_timers_check(struct conf_ld *ld);
/* Subnet ids unique; subnets, pools and pd-pools not overlapping. */
int conf6_subnets_check(struct conf_ld *ld);

/* conf6_options.c */
int conf6_parse_option_defs(struct conf_ld *ld, const config_setting_t *s);
/* option-data = ( { name; code; space; data; csv-format; always-send; } )
 * -> set (sorted by code, unique), the sub-option spaces encapsulated
 * into the options of this list that carry them (vendor-opts,
 * ntp-server, option-def's encapsulate). */
int conf6_parse_options(struct conf_ld *ld, const config_setting_t *s, struct conf6_option_set *set);
int conf6_key_options(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k);
void conf6_options_free(struct conf6_option_set *set);

/* conf6_hosts.c */
/* reservations = ( ... ): global (obj is the conf6) or of the subnet being
 * parsed (obj is it; its prefix and pd-pools are known). */
int conf6_key_reservations(struct conf_ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k);
/* Identifier types listed, identifiers unique per subnet, addresses and
 * prefixes reserved once. */
int conf6_hosts_check(struct conf_ld *ld);
