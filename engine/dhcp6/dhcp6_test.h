/* What the dhcp6 test files share (dhcp6_test_util.c): requests built byte
 * by byte, run through the real parser and dhcp6_process, and the reply
 * read back. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp6_server.h"
#include "lease_addr6.h"

struct t6_msg {
	uint8_t b[1500];
	size_t n;
};

/* An address from its text (a failed parse aborts the test). */
struct lease_addr6 t6_addr(const char *s);
/* Its text, in a buffer of the calling thread (one at a time). */
const char *t6_text(struct lease_addr6 a);

void t6_put16(struct t6_msg *m, uint16_t v);
void t6_put32(struct t6_msg *m, uint32_t v);
void t6_opt(struct t6_msg *m, uint16_t code, const void *v, size_t len);
/* A message of `type` with transaction id 0x123456 and the client id. */
void t6_start(struct t6_msg *m, uint8_t type, const uint8_t *duid, size_t duid_len);
/* IA_NA / IA_PD with iaid, optionally naming one address or prefix. */
void t6_ia(struct t6_msg *m, uint16_t type, uint32_t iaid, const char *addr, uint8_t plen);

/* Run m through w as received on port iface from src (multicast or to a
 * global address).  The reply parsed into *rep (out holds its bytes), or
 * the return value of dhcp6_process when <= 0.  Thread safe (m, rep, out
 * and tx are the caller's). */
int t6_send(struct dhcp6_worker *w, struct t6_msg *m, unsigned iface, bool multicast,
	    const char *src, struct dhcp6_pkt *rep, uint8_t *out, size_t cap,
	    struct dhcp6_tx *tx);

/* The status code in opts (0xffff: none). */
uint16_t t6_status_of(const uint8_t *opts, size_t len);

/* The class the datapath's HA filter gives the next t6_send's query
 * (rx.ha_class), 0 none. */
extern uint16_t t6_ha_class;
