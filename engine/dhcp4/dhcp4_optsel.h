/* Which configured option value a reply carries: the option sets that
 * apply to one transaction, in precedence order, and the code that adds
 * them to a reply as dhcp4_server.c's add_options() did (PRL order first,
 * then always-send, never a server-owned option, never past the space
 * left).  Runs per packet: no allocation, the selection lives on the stack.
 *
 *   CONF_PREC_KEA        host > pool > subnet > shared network > classes > global
 *   CONF_PREC_ISC_DHCPD  host > classes > pool > subnet > shared network > global
 *
 * Classes are the packet's, in config order (cls_registry_order), each one
 * that has option-data.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cls.h"
#include "conf.h"

struct dhcp4_build;
struct dhcp4_pkt;
struct dhcp4_hdr;

#define DHCP4_OPTSEL_MAX (5 + CLS_MAX_CLASSES)

/* What applies to one transaction; any member may be NULL. */
struct dhcp4_optsel_src {
	const struct conf_host *host;          /* the client's reservation */
	const struct conf_option_set *pool;
	const struct conf_option_set *subnet;
	const struct conf_option_set *shared;  /* the subnet's shared network */
	const struct conf_option_set *global;
	const struct conf_policy *x;           /* classes: x->classes, x->reg */
	const struct cls_set *classes;         /* the packet's classes */
};

struct dhcp4_optsel {
	unsigned n;
	const struct conf_option_set *sets[DHCP4_OPTSEL_MAX];   /* highest precedence first */
	const char *hostname;                  /* the reservation's, NULL = none */
};

/* Order the candidate sets for mode. */
void dhcp4_optsel_init(struct dhcp4_optsel *sel, enum conf_prec mode,
		       const struct dhcp4_optsel_src *src);

/* The winning value of option `code`, or NULL. */
const struct conf_option *dhcp4_optsel_find(const struct dhcp4_optsel *sel, uint8_t code);

/* Add the options for request req to reply b, keeping `reserve` bytes
 * free at the end (END and the echoed option 82):
 *   1. the reservation's hostname as option 12, when the client sent
 *      option 12 or asked for it in its PRL (Kea does the same);
 *   2. each option the PRL asks for, in PRL order, with its winning value;
 *   3. every option marked always-send in any applicable set, in
 *      precedence order, with its winning value.
 * Options already in b, server-owned ones (53, 54, 51, 58, 59, 61, 82...)
 * and ones that do not fit are skipped; the reply stays valid. */
void dhcp4_optsel_add(const struct dhcp4_optsel *sel, struct dhcp4_build *b,
		      const struct dhcp4_pkt *req, size_t reserve);

/* Boot fields (siaddr, sname, file) for a reply from subnet sn (already
 * resolved against the global values by conf.c): each field from the
 * reservation if it sets it, else the first of the packet's classes (in
 * config order) that sets it, else the subnet's.  Written to rh (siaddr in
 * network order, as in the header), whose sname and file must be all zero
 * on entry, as dhcp4_build_init() leaves them.  The same in both
 * precedence modes. */
void dhcp4_optsel_boot(const struct dhcp4_optsel_src *src, const struct conf_subnet *sn,
		       struct dhcp4_hdr *rh);
