/* Option precedence and selection (see dhcp4_optsel.h). */
#include "dhcp4_optsel.h"

#include <arpa/inet.h>
#include <string.h>

#include "dhcp4_wire.h"

/* Options the server writes itself or only clients send; a configured
 * value never goes out (the same list as dhcp4_server.c's server_owned). */
static bool server_owned(uint8_t code)
{
	switch (code) {
	case DHCP4_OPT_PAD: case DHCP4_OPT_REQ_ADDR: case DHCP4_OPT_LEASE_TIME:
	case DHCP4_OPT_OVERLOAD: case DHCP4_OPT_MSG_TYPE: case DHCP4_OPT_SERVER_ID:
	case DHCP4_OPT_PRL: case DHCP4_OPT_MAX_MSG_SIZE: case DHCP4_OPT_T1:
	case DHCP4_OPT_T2: case DHCP4_OPT_CLIENT_ID: case DHCP4_OPT_RAI:
	case DHCP4_OPT_END:
		return true;
	default:
		return false;
	}
}

/* Bytes an option of len takes, RFC 3396 splits included. */
static size_t opt_space(size_t len)
{
	return len + 2 * (len ? (len + 254) / 255 : 1);
}

static void push(struct dhcp4_optsel *sel, const struct conf_option_set *s)
{
	if (s != NULL && s->n > 0 && sel->n < DHCP4_OPTSEL_MAX)
		sel->sets[sel->n++] = s;
}

static void push_classes(struct dhcp4_optsel *sel, const struct dhcp4_optsel_src *src)
{
	const uint8_t *order;
	unsigned n;

	if (src->x == NULL || src->classes == NULL || src->x->reg == NULL ||
	    !cls_set_intersects(src->classes, &src->x->with_options))
		return;
	order = cls_registry_order(src->x->reg, &n);
	for (unsigned i = 0; i < n; i++) {
		const struct conf_class *c;

		if (!cls_set_has(src->classes, order[i]))
			continue;
		c = conf_policy_class(src->x, order[i]);
		if (c)
			push(sel, &c->options);
	}
}

void dhcp4_optsel_init(struct dhcp4_optsel *sel, enum conf_prec mode,
		       const struct dhcp4_optsel_src *src)
{
	sel->n = 0;
	sel->hostname = src->host && src->host->hostname[0] ? src->host->hostname : NULL;
	push(sel, src->host ? &src->host->options : NULL);
	if (mode == CONF_PREC_ISC_DHCPD)
		push_classes(sel, src);
	push(sel, src->pool);
	push(sel, src->subnet);
	push(sel, src->shared);
	if (mode != CONF_PREC_ISC_DHCPD)
		push_classes(sel, src);
	push(sel, src->global);
}

const struct conf_option *dhcp4_optsel_find(const struct dhcp4_optsel *sel, uint8_t code)
{
	for (unsigned i = 0; i < sel->n; i++) {
		const struct conf_option *o = conf_option_find(sel->sets[i], code);

		if (o)
			return o;
	}
	return NULL;
}

static void add_one(struct dhcp4_build *b, uint8_t code, const void *data, size_t len,
		    size_t reserve)
{
	if (dhcp4_build_has(b, code) || server_owned(code))
		return;
	if (b->len + opt_space(len) + reserve > b->cap)
		return;
	dhcp4_build_opt(b, code, data, len);
}

void dhcp4_optsel_add(const struct dhcp4_optsel *sel, struct dhcp4_build *b,
		      const struct dhcp4_pkt *req, size_t reserve)
{
	const struct conf_option *o;
	const uint8_t *prl;
	uint16_t n = 0;

	prl = dhcp4_opt(req, DHCP4_OPT_PRL, &n);
	if (sel->hostname) {
		bool asked = dhcp4_has_opt(req, DHCP4_OPT_HOSTNAME);

		for (uint16_t i = 0; prl && !asked && i < n; i++)
			asked = prl[i] == DHCP4_OPT_HOSTNAME;
		if (asked)
			add_one(b, DHCP4_OPT_HOSTNAME, sel->hostname, strlen(sel->hostname), reserve);
	}
	if (prl && n) {
		/* the codes any applicable set has: most a client asks for are
		 * configured nowhere and need no search */
		uint64_t have[4] = { 0 };

		for (unsigned si = 0; si < sel->n; si++)
			for (unsigned j = 0; j < sel->sets[si]->n; j++) {
				uint8_t c = sel->sets[si]->opts[j].code;

				have[c >> 6] |= 1ull << (c & 63);
			}
		for (uint16_t i = 0; i < n; i++) {
			if (!(have[prl[i] >> 6] >> (prl[i] & 63) & 1))
				continue;
			o = dhcp4_optsel_find(sel, prl[i]);
			if (o)
				add_one(b, o->code, o->data, o->len, reserve);
		}
	}
	for (unsigned s = 0; s < sel->n; s++) {
		const struct conf_option_set *set = sel->sets[s];

		for (unsigned i = 0; i < set->n; i++) {
			if (!set->opts[i].always_send || dhcp4_build_has(b, set->opts[i].code))
				continue;
			o = dhcp4_optsel_find(sel, set->opts[i].code);
			add_one(b, o->code, o->data, o->len, reserve);
		}
	}
}

void dhcp4_optsel_boot(const struct dhcp4_optsel_src *src, const struct conf_subnet *sn,
		       struct dhcp4_hdr *rh)
{
	uint32_t siaddr = sn ? sn->next_server : 0;
	const char *sname = sn ? sn->server_hostname : "";
	const char *file = sn ? sn->boot_file_name : "";
	bool got_ns = false, got_sname = false, got_file = false;
	const struct conf_host *h = src->host;

	if (h) {
		if (h->next_server) {
			siaddr = h->next_server;
			got_ns = true;
		}
		if (h->server_hostname[0]) {
			sname = h->server_hostname;
			got_sname = true;
		}
		if (h->boot_file_name[0]) {
			file = h->boot_file_name;
			got_file = true;
		}
	}
	if (src->x && src->classes && src->x->reg && !(got_ns && got_sname && got_file) &&
	    cls_set_intersects(src->classes, &src->x->with_boot)) {
		const uint8_t *order;
		unsigned n;

		order = cls_registry_order(src->x->reg, &n);
		for (unsigned i = 0; i < n; i++) {
			const struct conf_class *c;

			if (!cls_set_has(src->classes, order[i]) ||
			    (c = conf_policy_class(src->x, order[i])) == NULL)
				continue;
			if (!got_ns && c->next_server) {
				siaddr = c->next_server;
				got_ns = true;
			}
			if (!got_sname && c->server_hostname[0]) {
				sname = c->server_hostname;
				got_sname = true;
			}
			if (!got_file && c->boot_file_name[0]) {
				file = c->boot_file_name;
				got_file = true;
			}
		}
	}
	rh->siaddr = htonl(siaddr);
	/* the fields are zero already (dhcp4_build_init): per reply, most
	 * often both values are empty and nothing is copied */
	if (sname[0])
		memcpy(rh->sname, sname, strnlen(sname, sizeof(rh->sname) - 1));
	if (file[0])
		memcpy(rh->file, file, strnlen(file, sizeof(rh->file) - 1));
}
