/* peregrine-bench: a DPDK DHCPv4 and DHCPv6 client simulator (load generator).
 *
 *   peregrine-bench --vdev net_af_packet0,iface=veth0 --scenario dora \
 *       --rate 100000 --duration 10 --pool 198.18.0.10-198.18.255.254 \
 *       [--relay 198.18.0.2 --server 198.18.0.1] [--json out.json] [-- EAL args]
 *   peregrine-bench -6 --vdev net_af_packet0,iface=veth0 --scenario sarr \
 *       --ia both --relay6 2001:db8:1::fe --server6 2001:db8:1::1 \
 *       --pool6 2001:db8:1::1:0-2001:db8:1::ffff:ffff \
 *       --pd-pool 2001:db8:100::/40 --delegated-len 56 --rate 10000
 *
 * One lcore polls one port: RX replies -> gen_rx -> gen_tx -> TX.  A live
 * line every second, a text report at the end and, with --json, the same
 * report as JSON.  Exit status: 0, 1 on errors, 2 on usage, 3 when the
 * run saw duplicates, out-of-pool addresses or prefixes of another length
 * (the server is wrong). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include "gen.h"
#include "gen6.h"

#define BURST 32
#define MAX_EAL 64

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: peregrine-bench --vdev DEVARGS [options] [-- EAL args]\n"
"  --vdev DEVARGS       DPDK device (net_af_packet0,iface=X | net_af_xdp0,iface=X | ...)\n"
"  --lcores LIST        EAL --lcores (default 0)\n"
"  --file-prefix NAME   EAL --file-prefix (default pgbench-<pid>)\n"
"  --no-huge            EAL --no-huge (with -m from --mem, default 512)\n"
"  --mem MB             EAL -m\n"
"  --scenario S         dora (sarr) | renew | release | mix | churn (default dora)\n"
"  --clients N          simulated clients (default 1000000)\n"
"  --client-id          send option 61 (01 + chaddr)\n"
"  --tag N              second chaddr byte, to tell runs apart (default 1)\n"
"  --relay ADDR         act as a relay with giaddr ADDR (default: direct broadcast)\n"
"  --server ADDR        server address (default 198.18.0.1)\n"
"  --rate R             open loop: new transactions per second\n"
"  --outstanding N      closed loop bound (open loop: cap), default 1024\n"
"  --timeout MS         per request (default 1000)   --retries N (default 2)\n"
"  --duration S         measured phase bound (default 10)\n"
"  --count N            transactions bound (default 10000000)\n"
"  --warmup N           DORA clients 0..N-1 first, unmeasured\n"
"  --pool FIRST-LAST    expected pool (default 198.18.0.0-198.19.255.255)\n"
"  --json FILE          write the final report as JSON\n"
"  --quiet              no progress lines\n"
"DHCPv6 (--relay, --server, --pool and --client-id are DHCPv4's):\n"
"  -6, --v6             DHCPv6 clients (DUID-LL 00:03:00:01:02:<tag>:<index>)\n"
"  --ia na|pd|both      what each client asks for (default na)\n"
"  --rapid-commit       SOLICIT with Rapid Commit\n"
"  --pool6 FIRST-LAST   expected IA_NA pool (default 2001:db8:1::1:0-2001:db8:1::ffff:ffff)\n"
"  --pd-pool P/LEN      expected IA_PD pool (default 2001:db8:100::/40)\n"
"  --delegated-len N    expected delegated prefix length (default 56)\n"
"  --relay6 LINKADDR    relay: RELAY-FORW with this link-address (default: direct,\n"
"                       from each client's link-local address to ff02::1:2)\n"
"  --relay6-src ADDR    the relay's source address (default: LINKADDR)\n"
"  --server6 ADDR       relay: the server's address (default 2001:db8:1::1)\n"
"  --interface-id TEXT  relay: the interface-id option (default pgbench; \"\" = none)\n");

}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_pool(const char *s, uint32_t *first, uint32_t *last)
{
	char buf[64], *dash;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse_ip(buf, first) || parse_ip(dash + 1, last) || *first > *last)
		return -EINVAL;
	return 0;
}

static int port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t nrx = 1024, ntx = 1024;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (!ret)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (!ret)
		ret = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL, mp);
	if (!ret)
		ret = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
	if (!ret) {
		rte_eth_promiscuous_enable(port);
		ret = rte_eth_dev_start(port);
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vdev", 1, 0, 'v' }, { "lcores", 1, 0, 'l' }, { "file-prefix", 1, 0, 'f' },
		{ "no-huge", 0, 0, 'H' }, { "mem", 1, 0, 'm' }, { "scenario", 1, 0, 's' },
		{ "clients", 1, 0, 'n' }, { "client-id", 0, 0, 'i' }, { "tag", 1, 0, 'T' },
		{ "relay", 1, 0, 'R' }, { "server", 1, 0, 'S' }, { "rate", 1, 0, 'r' },
		{ "outstanding", 1, 0, 'o' }, { "timeout", 1, 0, 't' }, { "retries", 1, 0, 'x' },
		{ "duration", 1, 0, 'd' }, { "count", 1, 0, 'c' }, { "warmup", 1, 0, 'w' },
		{ "pool", 1, 0, 'p' }, { "json", 1, 0, 'j' }, { "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' }, { "v6", 0, 0, '6' }, { "ia", 1, 0, 'I' },
		{ "rapid-commit", 0, 0, 'C' }, { "pool6", 1, 0, 'P' }, { "pd-pool", 1, 0, 'D' },
		{ "delegated-len", 1, 0, 'L' }, { "relay6", 1, 0, 'A' }, { "relay6-src", 1, 0, 'B' },
		{ "server6", 1, 0, 'E' }, { "interface-id", 1, 0, 'F' }, { 0, 0, 0, 0 },
	};
	struct gen6_params gp6 = {
		.ia = GEN6_IA_NA, .pd_len = 40, .delegated_len = 56,
		.interface_id = "pgbench", .interface_id_len = 7,
		.server_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 },
		.pool_first = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [13] = 1 },
		.pool_last = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [12] = 0xff, 0xff, 0xff, 0xff },
		.pd_prefix = { 0x20, 0x01, 0x0d, 0xb8, 1, 0 },
	};
	bool v6 = false, relay6_src = false;
	struct gen_params gp = {
		.scenario = GEN_DORA, .n_clients = 1000000, .tag = 1, .server_ip = 0xc6120001u,
		.outstanding = 1024, .timeout_s = 1.0, .retries = 2, .count = 10000000,
		.duration_s = 10, .pool_first = 0xc6120000u, .pool_last = 0xc613ffffu,
	};
	const char *vdev = NULL, *lcores = "0", *json = NULL;
	char prefix[64], mem[16] = "512", *eal[MAX_EAL + 1];
	bool no_huge = false, quiet = false, mem_set = false;
	int opt, ret, eargc = 0, status = 1;
	struct rte_mempool *mp = NULL;
	struct rte_mbuf *pkts[BURST], *out[BURST];
	struct rte_ether_addr mac;
	struct gen *g = NULL;
	struct gen_report rep;
	uint16_t port;
	uint64_t hz, now, next_prog, deadline;

	snprintf(prefix, sizeof(prefix), "pgbench-%d", (int)getpid());
	while ((opt = getopt_long(argc, argv, "h6", lo, NULL)) != -1) {
		switch (opt) {
		case 'v': vdev = optarg; break;
		case 'l': lcores = optarg; break;
		case 'f': snprintf(prefix, sizeof(prefix), "%s", optarg); break;
		case 'H': no_huge = true; break;
		case 'm': snprintf(mem, sizeof(mem), "%s", optarg); mem_set = true; break;
		case 's':
			ret = gen_scenario_parse(optarg);
			if (ret < 0) {
				fprintf(stderr, "unknown scenario '%s'\n", optarg);
				return 2;
			}
			gp.scenario = (enum gen_scenario)ret;
			break;
		case 'n': gp.n_clients = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'i': gp.client_id = true; break;
		case 'T': gp.tag = (uint8_t)strtoul(optarg, NULL, 0); break;
		case 'R':
			if (parse_ip(optarg, &gp.relay_ip)) {
				fprintf(stderr, "bad --relay address '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			if (parse_ip(optarg, &gp.server_ip)) {
				fprintf(stderr, "bad --server address '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r': gp.rate = strtod(optarg, NULL); break;
		case 'o': gp.outstanding = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': gp.timeout_s = strtod(optarg, NULL) / 1000.0; break;
		case 'x': gp.retries = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'd': gp.duration_s = strtod(optarg, NULL); break;
		case 'c': gp.count = strtoull(optarg, NULL, 0); break;
		case 'w': gp.warmup = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p':
			if (parse_pool(optarg, &gp.pool_first, &gp.pool_last)) {
				fprintf(stderr, "bad --pool '%s' (FIRST-LAST)\n", optarg);
				return 2;
			}
			break;
		case 'j': json = optarg; break;
		case 'q': quiet = true; break;
		case '6': v6 = true; break;
		case 'I':
			gp6.ia = !strcmp(optarg, "na") ? GEN6_IA_NA : !strcmp(optarg, "pd") ? GEN6_IA_PD
				 : !strcmp(optarg, "both") ? GEN6_IA_BOTH : 0;
			if (!gp6.ia) {
				fprintf(stderr, "--ia: na, pd or both, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'C': gp6.rapid_commit = true; break;
		case 'P':
			if (gen6_parse_range(optarg, gp6.pool_first, gp6.pool_last)) {
				fprintf(stderr, "bad --pool6 '%s' (FIRST-LAST)\n", optarg);
				return 2;
			}
			break;
		case 'D':
			if (gen6_parse_prefix(optarg, gp6.pd_prefix, &gp6.pd_len)) {
				fprintf(stderr, "bad --pd-pool '%s' (PREFIX/LEN)\n", optarg);
				return 2;
			}
			break;
		case 'L': gp6.delegated_len = (uint8_t)strtoul(optarg, NULL, 0); break;
		case 'A':
		case 'B':
		case 'E':
			if (inet_pton(AF_INET6, optarg, opt == 'A' ? gp6.link_addr : opt == 'B' ?
				      gp6.relay_addr : gp6.server_addr) != 1) {
				fprintf(stderr, "bad IPv6 address '%s'\n", optarg);
				return 2;
			}
			gp6.relayed |= opt == 'A';
			relay6_src |= opt == 'B';
			break;
		case 'F':
			gp6.interface_id_len = (uint8_t)strnlen(optarg, sizeof(gp6.interface_id));
			memcpy(gp6.interface_id, optarg, gp6.interface_id_len);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!vdev || gp.duration_s <= 0 || gp.timeout_s <= 0 || !gp.n_clients ||
	    gp.warmup > gp.n_clients || !gp.outstanding) {
		usage(stderr);
		return 2;
	}
	gp.seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	if (gp6.relayed && !relay6_src)
		memcpy(gp6.relay_addr, gp6.link_addr, 16);

	eal[eargc++] = "peregrine-bench";
	eal[eargc++] = "--lcores";
	eal[eargc++] = (char *)lcores;
	eal[eargc++] = "--file-prefix";
	eal[eargc++] = prefix;
	eal[eargc++] = "--no-pci";
	eal[eargc++] = "--no-telemetry";
	eal[eargc++] = "--log-level=lib.eal:warning";
	eal[eargc++] = "--vdev";
	eal[eargc++] = (char *)vdev;
	if (no_huge)
		eal[eargc++] = "--no-huge";
	if (no_huge || mem_set) {
		eal[eargc++] = "-m";
		eal[eargc++] = mem;
	}
	for (; optind < argc && eargc < MAX_EAL; optind++)
		eal[eargc++] = argv[optind];
	eal[eargc] = NULL;
	if (rte_eal_init(eargc, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "no DPDK port (check --vdev)\n");
		goto out;
	}
	RTE_ETH_FOREACH_DEV(port)
		break;
	mp = rte_pktmbuf_pool_create("bench_mb", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (!mp) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	ret = port_setup(port, mp);
	if (ret) {
		fprintf(stderr, "port %u: %s\n", port, rte_strerror(-ret));
		goto out;
	}
	rte_eth_macaddr_get(port, &mac);
	memcpy(gp.mac, mac.addr_bytes, 6);
	gp.port_id = port;
	gp.pool = mp;
	gp6.common = gp;
	g = v6 ? gen6_create(&gp6) : gen_create(&gp);
	if (!g) {
		fprintf(stderr, "generator: %s\n", strerror(errno));
		goto out;
	}
	hz = rte_get_tsc_hz();

	/* Learn the server's MAC first: relayed requests and DHCPv4
	 * renewals are unicast to it.  Direct DHCPv4 clients can also learn
	 * it from an OFFER; direct DHCPv6 clients only multicast. */
	deadline = rte_rdtsc() + 10 * hz;
	next_prog = 0;
	while (gen_server_mac_need(g) && !gen_server_mac_known(g) && !quit &&
	       (now = rte_rdtsc()) < deadline) {
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);

		if (n)
			gen_rx(g, pkts, n, now);
		if (now >= next_prog) {
			struct rte_mbuf *m = gen_probe(g);

			if (m && rte_eth_tx_burst(port, 0, &m, 1) != 1)
				rte_pktmbuf_free(m);
			next_prog = now + hz / 10;
		}
	}
	if (!gen_server_mac_known(g) && gen_server_mac_need(g) == 2) {
		char a[INET6_ADDRSTRLEN];

		if (v6)
			inet_ntop(AF_INET6, gp6.server_addr, a, sizeof(a));
		else
			inet_ntop(AF_INET, &(struct in_addr){ htonl(gp.server_ip) }, a, sizeof(a));
		fprintf(stderr, "no %s answer from the server %s within 10 s\n",
			v6 ? "neighbour discovery" : "ARP", a);
		goto out;
	}

	next_prog = rte_rdtsc() + hz;
	while (!quit) {
		uint16_t n, k, sent;

		now = rte_rdtsc();
		n = rte_eth_rx_burst(port, 0, pkts, BURST);
		if (n)
			gen_rx(g, pkts, n, now);
		k = (uint16_t)gen_tx(g, out, BURST, now);
		if (k) {
			sent = rte_eth_tx_burst(port, 0, out, k);
			if (sent < k)
				gen_tx_failed(g, out + sent, k - sent);
		}
		if (now >= next_prog) {
			if (!quiet)
				gen_progress(g, now, stderr);
			next_prog += hz;
		}
		if (gen_done(g, now))
			break;
	}
	now = rte_rdtsc();
	gen_report(g, now, &rep);
	gen_report_text(&rep, &gp, stdout);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			fprintf(stderr, "%s: %s\n", json, strerror(errno));
			goto out;
		}
		gen_report_json(&rep, &gp, f);
		fclose(f);
	}
	status = rep.c.duplicates || rep.c.out_of_pool || rep.c.bad_plen ? 3 : 0;
out:
	gen_free(g);
	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return status;
}
