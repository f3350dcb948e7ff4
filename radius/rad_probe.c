/* rad_probe: how fast the asynchronous client (rad_client) gets answers
 * from a RADIUS server.  Built, not installed, not a test.
 *
 *   rad_probe -s 127.0.0.1:PORT -k SECRET -n COUNT [-c CONCURRENCY] [--acct]
 *             [-t TIMEOUT_MS] [-r RETRIES] [-p PASSWORD]
 *
 * Sends COUNT Access-Requests (User-Name "probe-<i>", a
 * Message-Authenticator, User-Password when -p) or, with --acct,
 * Accounting-Requests (Acct-Status-Type Start, Acct-Session-Id and
 * User-Name "probe-<i>"), at most CONCURRENCY (default 256) in flight, and
 * prints
 *
 *   sent N accepts A rejects R timeouts T elapsed_ms E rate R/s
 *
 * (an Accounting-Response counts as an accept; rate: answers per second).
 * Every request ends within retries x timeout, so a run is bounded.
 *
 * Against FreeRADIUS on loopback: a copy of /etc/freeradius/3.0 in
 * `mktemp -d /tmp/pgt-rad.XXXX`, every site in sites-enabled and
 * mods-enabled/eap removed, user/group commented out and run_dir/logdir pointed at the
 * copy in radiusd.conf, clients.conf holding only 127.0.0.1 with the
 * secret, and one site:
 *
 *   server probe {
 *     listen { type = auth  ipaddr = 127.0.0.1  port = 21812  recv_buff = 4194304 }
 *     listen { type = acct  ipaddr = 127.0.0.1  port = 21813  recv_buff = 4194304 }
 *     authorize { update control { Auth-Type := Accept } }
 *     authenticate { }
 *     preacct { }
 *     accounting { ok }
 *     post-auth {
 *       update reply { Message-Authenticator := 0x00 }
 *       Post-Auth-Type REJECT { update reply { Message-Authenticator := 0x00 } }
 *     }
 *   }
 *
 *   freeradius -f -d DIR -l DIR/radius.log &      (stopped by its PID)
 *   rad_probe -s 127.0.0.1:21812 -k SECRET -n 20000 -c 256
 *
 * Two things the site needs.  FreeRADIUS 3.2.1 puts no
 * Message-Authenticator in its answers unless told to (the update reply
 * above), and this client refuses an answer without one to a request
 * that carried one (rad_pkt_check_answer).  And with 256 requests in
 * flight FreeRADIUS's default receive buffer (212 KB) overflows: 63 of
 * 20,000 were dropped (Udp RcvbufErrors) and each cost a 2 s
 * retransmission; recv_buff = 4 MB took that to 0.
 *
 * Seen on the 2-core build machine, load average ~9 from other jobs, so
 * the spread is wide; 20,000 requests a run, 3 runs, answers/s:
 *
 *   rad_probe -c 1             Access-Request   10,300 - 19,000 (5 runs)
 *   rad_probe -c 256           Access-Request   12,200 - 61,900 (6 runs, median ~24,500)
 *   rad_probe -c 1 --acct      Accounting       14,500 - 29,000
 *   rad_probe -c 256 --acct    Accounting       37,000 - 78,000
 *   radclient -p 1   (-c 20000 -f one request)  Access  1,200 - 6,400
 *   radclient -p 256 (the same)                 Access  2,400 - 10,900
 *
 * Run back to back with radclient -p 256 three times: 12,203 / 13,605 /
 * 61,920 against 4,133 / 4,133 / 5,467 answers/s. */
#include "rad_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	unsigned inflight;
	unsigned long answers, accepts, rejects, timeouts, errors;
};

static void done(void *arg, enum rad_result res, const uint8_t *ans, size_t len,
		 unsigned server)
{
	struct probe *p = arg;
	(void)len, (void)server;
	p->inflight--;
	if (res == RAD_RES_TIMEOUT) {
		p->timeouts++;
		return;
	}
	if (res != RAD_RES_ANSWER) {
		p->errors++;
		return;
	}
	p->answers++;
	if (ans[0] == RAD_ACCESS_ACCEPT || ans[0] == RAD_ACCOUNTING_RESPONSE)
		p->accepts++;
	else
		p->rejects++;
}

static void usage(void)
{
	fprintf(stderr, "usage: rad_probe -s ADDR:PORT -k SECRET -n COUNT [-c CONCURRENCY] "
			"[--acct] [-t TIMEOUT_MS] [-r RETRIES] [-p PASSWORD]\n");
	exit(2);
}

/* "198.18.0.1:1812" or "[2001:db8::1]:1812" */
static int parse_server(const char *arg, struct rad_server_cfg *s)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	char *h = host;
	size_t hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return -1;
	s->port = (uint16_t)port;
	struct in_addr a4;
	if (inet_pton(AF_INET, h, &a4) == 1) {
		s->addr4 = ntohl(a4.s_addr);
		return 0;
	}
	s->v6 = true;
	return inet_pton(AF_INET6, h, s->addr6) == 1 ? 0 : -1;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || !*s)
		usage();
	return v;
}

/* The attributes of request i into buf; their length. */
static uint16_t attrs_for(uint8_t *buf, unsigned long i, bool acct)
{
	struct rad_pkt p;
	char name[32];
	snprintf(name, sizeof(name), "probe-%lu", i);
	rad_pkt_init(&p, 0, 0);
	rad_pkt_add_str(&p, RAD_A_USER_NAME, name);
	if (acct) {
		rad_pkt_add_u32(&p, RAD_A_ACCT_STATUS_TYPE, RAD_ACCT_START);
		rad_pkt_add_str(&p, RAD_A_ACCT_SESSION_ID, name);
	}
	rad_pkt_add_ip4(&p, RAD_A_NAS_IP_ADDRESS, 0x7f000001);
	uint16_t n = (uint16_t)(p.len - RAD_HDR_LEN);
	memcpy(buf, p.buf + RAD_HDR_LEN, n);
	return n;
}

int main(int argc, char **argv)
{
	struct rad_client_cfg cfg = { .n_servers = 1, .timeout_ms = 2000, .retries = 3,
				      .require_msg_auth = true };
	unsigned long count = 0, conc = 256;
	bool acct = false, have_server = false;
	const char *password = NULL;
	static const struct option longopts[] = { { "acct", no_argument, NULL, 'a' },
						  { NULL, 0, NULL, 0 } };
	int opt;
	while ((opt = getopt_long(argc, argv, "s:k:n:c:t:r:p:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (parse_server(optarg, &cfg.servers[0]) < 0)
				usage();
			have_server = true;
			break;
		case 'k': cfg.servers[0].secret = optarg; break;
		case 'n': count = num(optarg); break;
		case 'c': conc = num(optarg); break;
		case 't': cfg.timeout_ms = (uint32_t)num(optarg); break;
		case 'r': cfg.retries = (uint32_t)num(optarg); break;
		case 'p': password = optarg; break;
		case 'a': acct = true; break;
		default: usage();
		}
	}
	if (!have_server || !cfg.servers[0].secret || !count || !conc || optind != argc)
		usage();
	if (conc > RAD_CLIENT_QUEUE_MAX)
		conc = RAD_CLIENT_QUEUE_MAX;
	struct rad_client *c = rad_client_create(&cfg);
	if (!c) {
		fprintf(stderr, "rad_probe: rad_client_create: %s\n", strerror(errno));
		return 1;
	}

	struct probe p = { 0 };
	unsigned long sent = 0;
	uint64_t start = rad_now_ms();
	while (sent < count || p.inflight) {
		uint64_t now = rad_now_ms();
		while (sent < count && p.inflight < conc) {
			uint8_t attrs[128];
			struct rad_request q = {
				.code = acct ? RAD_ACCOUNTING_REQUEST : RAD_ACCESS_REQUEST,
				.attrs = attrs, .attrs_len = attrs_for(attrs, sent, acct),
				.password = acct ? NULL : password,
			};
			if (rad_client_send(c, &q, done, &p, now) < 0) {
				fprintf(stderr, "rad_probe: send: %s\n", strerror(errno));
				rad_client_destroy(c);
				return 1;
			}
			sent++;
			p.inflight++;
		}
		struct pollfd fds[RAD_CLIENT_SOCKS];
		unsigned n = rad_client_pollfds(c, fds, RAD_CLIENT_SOCKS);
		int wait = rad_client_next_ms(c, now);
		poll(fds, n, wait < 0 || wait > 100 ? 100 : wait);
		rad_client_run(c, rad_now_ms());
	}
	uint64_t elapsed = rad_now_ms() - start;
	struct rad_server_stats st;
	rad_client_stats(c, 0, &st);
	rad_client_destroy(c);
	printf("sent %lu accepts %lu rejects %lu timeouts %lu elapsed_ms %llu rate %.0f/s\n", sent,
	       p.accepts, p.rejects, p.timeouts, (unsigned long long)elapsed,
	       elapsed ? p.answers * 1000.0 / (double)elapsed : 0.0);
	fprintf(stderr, "retransmissions %llu bad_answers %llu latency_avg_ms %.2f max_ms %.0f\n",
		(unsigned long long)st.retransmissions, (unsigned long long)st.bad_answers,
		p.answers ? (double)st.latency_us_sum / 1000.0 / (double)p.answers : 0.0,
		(double)st.latency_us_max / 1000.0);
	return p.errors ? 1 : 0;
}
