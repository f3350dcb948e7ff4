/* Shared by the dhcp6 tests: see dhcp6_test.h.  No CUnit here: the
 * threaded tests call these from several threads, and CUnit's asserts are
 * not thread safe; what can only be a broken test aborts. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_test.h"

#define MUST(x) do { if (!(x)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #x); \
	abort(); } } while (0)

struct lease_addr6 t6_addr(const char *s)
{
	uint8_t b[16];

	MUST(inet_pton(AF_INET6, s, b) == 1);
	return lease_addr6_load(b);
}

const char *t6_text(struct lease_addr6 a)
{
	static _Thread_local char txt[INET6_ADDRSTRLEN];
	uint8_t b[16];

	lease_addr6_store(a, b);
	inet_ntop(AF_INET6, b, txt, sizeof(txt));
	return txt;
}

void t6_put16(struct t6_msg *m, uint16_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

void t6_put32(struct t6_msg *m, uint32_t v)
{
	t6_put16(m, (uint16_t)(v >> 16));
	t6_put16(m, (uint16_t)v);
}

void t6_opt(struct t6_msg *m, uint16_t code, const void *v, size_t len)
{
	t6_put16(m, code);
	t6_put16(m, (uint16_t)len);
	memcpy(m->b + m->n, v, len);
	m->n += len;
}

void t6_start(struct t6_msg *m, uint8_t type, const uint8_t *duid, size_t duid_len)
{
	m->n = 0;
	m->b[m->n++] = type;
	m->b[m->n++] = 0x12;
	m->b[m->n++] = 0x34;
	m->b[m->n++] = 0x56;
	if (duid)
		t6_opt(m, DHCP6_OPT_CLIENTID, duid, duid_len);
}

void t6_ia(struct t6_msg *m, uint16_t type, uint32_t iaid, const char *addr, uint8_t plen)
{
	size_t at = m->n;
	uint8_t a[16];

	t6_put16(m, type);
	t6_put16(m, 0);
	t6_put32(m, iaid);
	t6_put32(m, 0);
	t6_put32(m, 0);
	if (addr) {
		MUST(inet_pton(AF_INET6, addr, a) == 1);
		if (type == DHCP6_OPT_IA_PD) {
			t6_put16(m, DHCP6_OPT_IAPREFIX);
			t6_put16(m, 25);
			t6_put32(m, 0);
			t6_put32(m, 0);
			m->b[m->n++] = plen;
			memcpy(m->b + m->n, a, 16);
			m->n += 16;
		} else {
			t6_put16(m, DHCP6_OPT_IAADDR);
			t6_put16(m, 24);
			memcpy(m->b + m->n, a, 16);
			m->n += 16;
			t6_put32(m, 0);
			t6_put32(m, 0);
		}
	}
	m->b[at + 2] = (uint8_t)((m->n - at - 4) >> 8);
	m->b[at + 3] = (uint8_t)(m->n - at - 4);
}

uint16_t t6_ha_class;

int t6_send(struct dhcp6_worker *w, struct t6_msg *m, unsigned iface, bool multicast,
	    const char *src, struct dhcp6_pkt *rep, uint8_t *out, size_t cap,
	    struct dhcp6_tx *tx)
{
	struct dhcp6_rx rx = { .iface = iface, .multicast = multicast, .ha_class = t6_ha_class };
	struct dhcp6_pkt req;
	int n;

	inet_pton(AF_INET6, src, rx.src_ip);
	inet_pton(AF_INET6, multicast ? "ff02::1:2" : "2001:db8:1::1", rx.dst_ip);
	memcpy(rx.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	MUST(dhcp6_parse(&req, m->b, m->n) == 0);
	memset(tx, 0, sizeof(*tx));
	n = dhcp6_process(w, &rx, &req, out, cap, tx);
	if (n > 0)
		MUST(dhcp6_parse(rep, out, (size_t)n) == 0);
	return n;
}

uint16_t t6_status_of(const uint8_t *opts, size_t len)
{
	uint16_t l;
	const uint8_t *v = dhcp6_opt_in(opts, len, DHCP6_OPT_STATUS_CODE, &l);

	return v && l >= 2 ? (uint16_t)(v[0] << 8 | v[1]) : 0xffff;
}
