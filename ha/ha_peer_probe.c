/* ha_peer_probe HOST PORT: talk to a Kea 2.2 HA peer's HTTP listener as
 * its partner would, with this module's client and messages, and check
 * what comes back (tests/integration/ha_kea_peer.sh runs it against
 * kea-dhcp4 with libdhcp_ha.so).  Every exchange goes over one
 * persistent connection.  Exit 0 when every check holds, 1 otherwise,
 * 2 when the peer does not answer the first heartbeat (not up yet). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ha_http.h"
#include "ha_msg.h"

static struct ha_http_conn *conn;
static int failures;

#define CHECK(cond, ...) do {                                        \
	if (!(cond)) {                                               \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
		fprintf(stderr, __VA_ARGS__);                        \
		fputc('\n', stderr);                                 \
		failures++;                                          \
	}                                                            \
} while (0)

/* Send msg (consumed), parse the answer into *a: 0, or -1 (printed). */
static int ask(json_t *msg, struct ha_answer *a)
{
	struct ha_http_result r;
	char *text = ha_msg_text(msg), err[256];
	int ret = -1;

	json_decref(msg);
	if (!text || ha_http_conn_exchange(conn, text, strlen(text), &r)) {
		free(text);
		fprintf(stderr, "cannot send\n");
		return -1;
	}
	printf(">> %s\n", text);
	free(text);
	if (r.err) {
		fprintf(stderr, "exchange failed: %s\n", r.reason);
	} else if (r.status != 200) {
		fprintf(stderr, "HTTP status %d: %s\n", r.status, r.body);
	} else if (ha_msg_parse_answer(r.body, r.body_len, a, err, sizeof(err))) {
		fprintf(stderr, "answer: %s: %s\n", err, r.body);
	} else {
		printf("<< %s\n", r.body);
		ret = 0;
	}
	free(r.body);
	return ret;
}

/* Send msg (consumed) and check the answer is a success. */
static void expect_ok(json_t *msg, const char *what)
{
	struct ha_answer a;

	if (ask(msg, &a)) {
		failures++;
		return;
	}
	CHECK(a.result == HA_RESULT_SUCCESS, "%s: %d %s", what, a.result, a.text);
	ha_answer_free(&a);
}

/* The peer's leases, page by page (2 a page, to turn pages). */
static long all_leases(struct lease_rec *out, long max)
{
	struct ha_answer a;
	struct lease_rec *v;
	uint32_t last = 0;
	long n, total = 0, i;
	char err[256];

	for (;;) {
		if (ask(ha_msg_lease4_get_page(total ? &last : NULL, 2), &a))
			return -1;
		n = ha_msg_lease4_page(&a, &v, err, sizeof(err));
		ha_answer_free(&a);
		if (n < 0) {
			fprintf(stderr, "page: %s\n", err);
			return -1;
		}
		for (i = 0; i < n && total < max; i++)
			out[total++] = v[i];
		if (n)
			last = v[n - 1].addr;
		free(v);
		if (n < 2)
			return total;
	}
}

static struct lease_rec lease(uint32_t addr, uint8_t last, const char *host, uint32_t now)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.subnet_id = 1;
	r.valid_lft = 600;
	r.expire = now + 600;
	r.htype = 1;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, "\x02\x00\xc6\x12\x01\x00", 6);
	r.hwaddr[5] = last;
	r.cid_len = 7;
	memcpy(r.cid, "\x01\x02\x00\xc6\x12\x01\x00", 7);
	r.cid[6] = last;
	if (host) {
		r.hostname_len = (uint8_t)strlen(host);
		memcpy(r.hostname, host, r.hostname_len);
		r.fqdn_fwd = 1;
		r.fqdn_rev = 1;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct ha_http_params p = { .response_timeout_ms = 5000, .connect_timeout_ms = 2000 };
	struct ha_answer a;
	struct ha_heartbeat hb;
	struct lease_rec l1, l2, got[8];
	uint32_t now = (uint32_t)time(NULL);
	char err[256];
	long n, i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
		return 1;
	}
	p.host = argv[1];
	p.port = (uint16_t)atoi(argv[2]);
	conn = ha_http_conn_new(&p);
	if (!conn) {
		perror("ha_http_conn_new");
		return 1;
	}

	/* ha-heartbeat: Kea's state and clock */
	if (ask(ha_msg_heartbeat(4), &a)) {
		ha_http_conn_free(conn);
		return 2;
	}
	CHECK(!ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), "heartbeat: %s", err);
	CHECK(hb.state[0], "no state");
	CHECK(hb.date_time > (int64_t)now - 60 && hb.date_time < (int64_t)now + 60,
	      "peer clock %lld vs %u", (long long)hb.date_time, now);
	CHECK(hb.has_unsent, "Kea 2.2 sends unsent-update-count");
	printf("peer state %s, clock skew %lld s\n", hb.state, (long long)(hb.date_time - now));
	ha_answer_free(&a);

	/* lease4-update with force-create: added, then updated */
	l1 = lease(0xc6120164, 0x21, "probe-a.example.org", now);    /* 198.18.1.100 */
	l2 = lease(0xc6120165, 0x22, NULL, now);                     /* 198.18.1.101 */
	l2.cid_len = 0;                        /* no client-id (and no stale bytes) */
	memset(l2.cid, 0, sizeof(l2.cid));
	expect_ok(ha_msg_lease4_update(&l1), "lease4-update");
	expect_ok(ha_msg_lease4_update(&l2), "lease4-update");
	l1.expire += 60;
	l1.hostname_len = 3;
	memcpy(l1.hostname, "new\0", 4);
	memset(l1.hostname + 4, 0, sizeof(l1.hostname) - 4);
	expect_ok(ha_msg_lease4_update(&l1), "lease4-update (again)");

	/* the pages give back exactly the records sent */
	n = all_leases(got, 8);
	CHECK(n == 2, "%ld leases on the peer, 2 expected", n);
	for (i = 0; i < n; i++) {
		const struct lease_rec *want = got[i].addr == l1.addr ? &l1 : &l2;

		CHECK(!memcmp(&got[i], want, sizeof(*want)), "lease %ld differs from the one sent", i);
	}

	/* lease4-del, then the pages are empty (result 3) */
	expect_ok(ha_msg_lease4_del(&l1), "lease4-del");
	expect_ok(ha_msg_lease4_del(&l2), "lease4-del");
	n = all_leases(got, 8);
	CHECK(n == 0, "%ld leases left on the peer", n);

	/* dhcp-disable / -enable as the partner */
	expect_ok(ha_msg_dhcp_disable(4, 5), "dhcp-disable");
	expect_ok(ha_msg_dhcp_enable(4), "dhcp-enable");

	/* all of it on one kept-alive connection */
	CHECK(ha_http_conn_connects(conn) == 1, "%llu connections",
	      (unsigned long long)ha_http_conn_connects(conn));
	ha_http_conn_free(conn);
	printf("%s\n", failures ? "FAILED" : "OK");
	return failures ? 1 : 0;
}
