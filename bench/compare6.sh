#!/bin/bash
# DHCPv6 side by side: Peregrine and kea-dhcp6 2.2 on the same veth, in
# turn, under peregrine-bench -6: relayed SARR for IA_NA, then for IA_PD.
# For every (server, mode, IA) the rate search of bench/compare.sh
# (bench/compare_lib.sh): the maximum SARR/s with under 1% drops.
#
#   bench/compare6.sh [options] BUILDDIR
#     --smoke          seconds: one short step of IA_NA+IA_PD SARRs against
#                      peregrine (memory) and kea-dhcp6 (1 thread) when it
#                      is installed; no hugepages (CI: bench6_smoke.sh)
#     --only REGEX     run only the rows whose "server mode ia" match
#     --rounds N       run every row N times, rows interleaved, and report
#                      the median (default 1)
#     --step S         seconds per rate step (default 4)
#     --clients N      simulated clients (default 50000, under the 65,536
#                      /56 prefixes of the /40 pd-pool)
#     --huge | --no-huge   hugepages for the DPDK processes (default on
#                      unless --smoke; set up and removed by this script)
#     --write FILE     replace the table between the compare6 markers in
#                      FILE (BENCHMARKS.md)
#     --json FILE      one JSON line per row and round
#
# Topology (scripts/netns.sh): two namespaces joined by one veth.  Kea gets
# 2001:db8:1::1/64 on its end (IPv6 enabled there for it alone, no DAD) and
# listens on it for unicast; Peregrine's DPDK port has the same address and
# answers neighbour discovery itself, the kernel's IPv6 off on that end.
# peregrine-bench relays as 2001:db8:1::fe (link-address and source) to
# 2001:db8:1::1.  Needs root.  Every process is started through netns.sh
# and stopped by PID; every step runs under timeout(1); the namespaces, the
# hugepage mount and the page reservation are undone on exit.

SRC=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0 ONLY="" STEP=4 HUGE=auto WRITE="" JSON="" ROUNDS=1 CLIENTS=50000
ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--only) ONLY=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--step) STEP=$2; shift ;;
	--clients) CLIENTS=$2; shift ;;
	--huge) HUGE=1 ;;
	--no-huge) HUGE=0 ;;
	--write) WRITE=$2; shift ;;
	--json) JSON=$2; shift ;;
	-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
[ "$HUGE" = auto ] && { [ "$SMOKE" = 1 ] && HUGE=0 || HUGE=1; }
[ "$SMOKE" = 1 ] && STEP=1 CLIENTS=1000

. "$SRC/scripts/netns.sh"
CL_RATE_KEY=max_sarr_per_s CL_UNIT=REPLY/s
. "$SRC/bench/compare_lib.sh"
NT_NAME=compare6
nt_init "${ARGS[0]:-$SRC/build}" peregrine
BENCH="$NT_BUILDDIR/bench/peregrine-bench"
[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
KEA6=/usr/sbin/kea-dhcp6
trap 'rc=$?; cl_cleanup; (exit $rc); nt_cleanup' EXIT
cl_huge_setup
[ -n "$JSON" ] || JSON="$NT_TMP/rows.json"
: >"$JSON"

SERVER6=2001:db8:1::1
RELAY6=2001:db8:1::fe
POOL6="2001:db8:1::1:0 - 2001:db8:1::ffff:ffff"
PD_PREFIX=2001:db8:100:: PD_LEN=40 PD_DLEN=56
LEASES6="$NT_TMP/dhcp6.leases"
nt_topology

# servers ------------------------------------------------------------------

# The kernel's IPv6 on the server's veth: on with the server address for
# Kea (no duplicate address detection, no router solicitations), off for
# Peregrine, whose port owns the address.
srv_ipv6() {
	local x="ip netns exec $NT_SRV sysctl -qw"
	if [ "$1" = on ]; then
		$x net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf."$NT_VS".accept_dad=0 net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf."$NT_VS".router_solicitations=0
		$x net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf."$NT_VS".disable_ipv6=0
		ip -n "$NT_SRV" addr replace "$SERVER6/64" dev "$NT_VS" nodad ||
			nt_fail "server IPv6 address"
	else
		ip -n "$NT_SRV" addr del "$SERVER6/64" dev "$NT_VS" 2>/dev/null
		$x net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf."$NT_VS".disable_ipv6=1
	fi
}

kea6_conf() {   # MODE (st | mt)
	local mt=""
	# one worker thread per core, as ISC recommends for memfile
	[ "$1" = mt ] && mt='"multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64 },'
	NT_CONF="$NT_TMP/kea-dhcp6.json"
	NT_KEA_SOCK="$NT_TMP/kea6.sock"
	cat >"$NT_CONF" <<EOF
{ "Dhcp6": {
	"interfaces-config": { "interfaces": [ "$NT_VS/$SERVER6" ] },
	"control-socket": { "socket-type": "unix", "socket-name": "$NT_KEA_SOCK" },
	"lease-database": { "type": "memfile", "persist": true, "name": "$LEASES6",
		"lfc-interval": 0 },
	$mt
	"preferred-lifetime": 3000, "valid-lifetime": 4000,
	"server-id": { "type": "LL", "persist": false },
	"subnet6": [ {
		"id": 1, "subnet": "2001:db8:1::/64", "interface": "$NT_VS",
		"relay": { "ip-addresses": [ "$RELAY6" ] },
		"pools": [ { "pool": "$POOL6" } ],
		"pd-pools": [ { "prefix": "$PD_PREFIX", "prefix-len": $PD_LEN,
			"delegated-len": $PD_DLEN } ]
	} ],
	"loggers": [ { "name": "kea-dhcp6",
		"output_options": [ { "output": "$NT_TMP/kea-dhcp6.out" } ],
		"severity": "WARN" } ]
} }
EOF
}

peregrine6_conf() {   # DURABILITY
	NT_CONF="$NT_TMP/peregrine.conf"
	# lcores not pinned: on a shared 2-core box a pinned worker cannot move
	# away from a busy neighbour, Kea can (both float, so both are treated alike)
	cat >"$NT_CONF" <<EOF
# generated by bench/compare6.sh
dpdk = {
	lcores = "0@(0,1),1@(0,1)";
	file-prefix = "$NT_DPDK_PREFIX";
	no-huge = $([ "$HUGE" = 1 ] && echo false || echo true);
	memory-mb = 256;
};
interfaces = (
	{ name = "eth0"; device = "net_af_packet0,iface=$NT_VS"; address = "$NT_SERVER_IP/$NT_PLEN";
	  address6 = "$SERVER6/64"; }
);
lease-database = {
	type = "memfile";
	name = "$NT_LEASES";
	durability = "$1";
	lfc-interval = 0;
};
dhcp6 = {
	preferred-lifetime = 3000; valid-lifetime = 4000;
	subnet6 = ( { id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		relay = { ip-addresses = [ "$RELAY6" ]; };
		pools = ( { pool = "$POOL6"; } );
		pd-pools = ( { prefix = "$PD_PREFIX"; prefix-len = $PD_LEN; delegated-len = $PD_DLEN; } ); } );
	server-id = { type = "LL"; persist = false; };
	lease-database = { type = "memfile"; name = "$LEASES6"; };
};
logging = { severity = "WARN"; };
EOF
}

srv_start() {   # KIND MODE
	local kind=$1 mode=$2
	rm -f "$LEASES6" "$LEASES6".* "$NT_LEASES" "$NT_LEASES".*
	SERVER=$kind
	if [ "$kind" = kea ]; then
		NT_KEA=$KEA6            # nt_server_check reads it
		srv_ipv6 on
		kea6_conf "$mode"
		nt_server_check
		cl_kea_start "kea6-$mode" "$KEA6"
	else
		srv_ipv6 off
		peregrine6_conf "$mode"
		nt_server_check
		nt_server_start
	fi
}

# the generator: prints "sarr_per_s drop_pct p99_us wrong_answers" ----------

run_bench6() {   # IA RATE SECONDS
	local out="$NT_TMP/bench.json" huge=()
	[ "$HUGE" = 1 ] || huge=(--no-huge)
	rm -f "$out"
	NT_STEP=$(($3 + 20)) nt_cli "$BENCH" -6 --vdev "net_af_packet0,iface=$NT_VC" \
		"${huge[@]}" --mem 256 --lcores "0@(0,1)" --file-prefix "pgbench-$NT_ID" \
		--relay6 "$RELAY6" --server6 "$SERVER6" --ia "$1" --rate "$2" --duration "$3" \
		--outstanding 1000000 --clients "$CLIENTS" --tag "$TAG" --timeout 1000 \
		--retries 0 --pool6 "${POOL6// /}" --pd-pool "$PD_PREFIX/$PD_LEN" \
		--delegated-len "$PD_DLEN" --quiet --json "$out" >>"$NT_TMP/bench.log" 2>&1
	[ -s "$out" ] || { echo "0 100 0 0"; return; }
	/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print("%.0f %.3f %.0f %d" % (r["leases_per_s"], r["drop_pct"], r["latency_us"]["p99"],
      r["duplicates"] + r["out_of_pool"] + r["bad_prefix_len"]))' "$out"
}
run_na() { run_bench6 na "$@"; }
run_pd() { run_bench6 pd "$@"; }
run_both() { run_bench6 both "$@"; }

want() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }

LOAD0=$(cl_load)
if [ "$SMOKE" = 1 ]; then
	cl_search peregrine memory both 400
	[ -x "$KEA6" ] && cl_search kea st both 400
else
	[ -x "$KEA6" ] || nt_skip "no $KEA6"
	for round in $(seq 1 "$ROUNDS"); do
		nt_log "round $round of $ROUNDS"
		CL_ROUND=$round
		for spec in "kea st na 1000" "kea mt na 1000" "peregrine memory na 10000" \
			"peregrine commit na 10000" "kea st pd 1000" "kea mt pd 1000" \
			"peregrine memory pd 10000" "peregrine commit pd 10000"; do
			set -- $spec
			want "$1 $2 $3" && cl_search "$1" "$2" "$3" "$4"
		done
	done
fi
LOAD1=$(cl_load)

# the table: medians over the rounds ----------------------------------------

TABLE="$NT_TMP/table.md"
/usr/bin/python3 - "$JSON" >"$TABLE" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in rows:
    groups.setdefault((r["server"], r["mode"], r["generator"]), []).append(r)
med = {k: statistics.median(x["max_sarr_per_s"] for x in v) for k, v in groups.items()}
best_kea = {}
for (s, m, ia), v in med.items():
    if s == "kea":
        best_kea[ia] = max(best_kea.get(ia, 0), v)
# side by side within a round: the rows of one round ran minutes apart
round_kea = {}
for r in rows:
    if r["server"] == "kea":
        k = (r["round"], r["generator"])
        round_kea[k] = max(round_kea.get(k, 0), r["max_sarr_per_s"])
def round_ratio(v):
    q = [x["max_sarr_per_s"] / round_kea[(x["round"], x["generator"])]
         for x in v if round_kea.get((x["round"], x["generator"]))]
    return "%.1f×" % statistics.median(q) if q else "—"
modes = {"st": "memfile, 1 thread", "mt": "memfile, multi-threaded (2)"}
ias = {"na": "IA_NA", "pd": "IA_PD", "both": "IA_NA + IA_PD"}
n = max(len(v) for v in groups.values()) if groups else 0
print("| server | mode | SARR of | max SARR/s (<1%% drops), median of %d | runs | p99 at it (median) | ÷ best Kea (medians) | ÷ best Kea of the round (median) | wrong answers | load at start |" % n)
print("|---|---|---|---:|---|---:|---:|---:|---:|---|")
for (s, m, ia), v in groups.items():
    rates = sorted(x["max_sarr_per_s"] for x in v)
    p99 = statistics.median(x["p99_us"] for x in v) / 1000
    b = best_kea.get(ia, 0)
    ratio = "%.1f×" % (med[(s, m, ia)] / b) if b else "—"
    print("| %s | %s | %s | %.0f | %s | %.1f ms | %s | %s | %d | %s |" % (
        s, modes.get(m, m), ias.get(ia, ia), med[(s, m, ia)], ", ".join(str(x) for x in rates),
        p99, ratio, round_ratio(v), sum(x["duplicates"] for x in v),
        ", ".join("%.1f" % x["load"] for x in v)))
EOF
cat "$TABLE"

if [ -n "$WRITE" ]; then
	CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	{
		echo "<!-- compare6:begin (written by bench/compare6.sh; do not edit by hand) -->"
		echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($CPU), kernel $(uname -r),"
		echo "$("$KEA6" -V 2>/dev/null | head -1 | sed 's/^/kea-dhcp6 /'), peregrine $(git -C "$SRC" describe --always --dirty 2>/dev/null)."
		echo "Hugepages: $([ "$HUGE" = 1 ] && echo yes || echo no); step ${STEP} s per rate; $ROUNDS round(s), rows interleaved;"
		echo "load average (1 min) $LOAD0 at the start, $LOAD1 at the end."
		echo
		echo "Command: \`sudo bench/compare6.sh --rounds $ROUNDS --write BENCHMARKS.md build\`"
		echo
		cat "$TABLE"
		echo
		echo "Generator, exactly as run for each step (RATE and IA vary):"
		echo
		echo '```'
		echo "peregrine-bench -6 --vdev net_af_packet0,iface=<veth> --mem 256 --lcores '0@(0,1)' \\"
		echo "    --relay6 $RELAY6 --server6 $SERVER6 --ia IA --rate RATE --duration $STEP \\"
		echo "    --outstanding 1000000 --clients $CLIENTS --timeout 1000 --retries 0 \\"
		echo "    --pool6 ${POOL6// /} --pd-pool $PD_PREFIX/$PD_LEN --delegated-len $PD_DLEN --json out.json"
		echo '```'
		echo "<!-- compare6:end -->"
	} >"$NT_TMP/section.md"
	cl_write_section "$WRITE" compare6 "$NT_TMP/section.md"
	nt_log "table written into $WRITE"
fi
NT_RESULT=pass
exit 0
