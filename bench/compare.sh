#!/bin/bash
# Side-by-side comparison: Peregrine and Kea 2.2 on the same veth, in turn,
# under perfdhcp and peregrine-bench.  For every (server, mode, generator)
# it finds the maximum sustained DORA/s with under 1% drops the way ISC
# measures Kea: offer a rate for a few seconds, raise it step by step until
# the drops pass 1% (or the ACK rate falls below 90% of the offered one),
# then try the midpoints between the last pass and the first failure.
#
#   bench/compare.sh [options] BUILDDIR
#     --smoke          seconds: peregrine (memory) under peregrine-bench, one
#                      short step, no Kea, no hugepages (CI: bench_smoke.sh)
#     --only REGEX     run only the rows whose "server mode generator" match
#     --step S         seconds per rate step (default 4)
#     --huge           use hugepages for the DPDK processes (set up and
#                      removed by this script; default on unless --smoke)
#     --no-huge
#     --write FILE     replace the table between the compare markers in FILE
#                      (BENCHMARKS.md)
#     --json FILE      the rows as JSON lines
#
# Needs root (network namespaces).  Every process is started through
# scripts/netns.sh and stopped by PID; every step runs under timeout(1); the
# namespaces, the hugepage mount and the page reservation are undone on exit.

SRC=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0 ONLY="" STEP=4 HUGE=auto WRITE="" JSON=""
ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--only) ONLY=$2; shift ;;
	--step) STEP=$2; shift ;;
	--huge) HUGE=1 ;;
	--no-huge) HUGE=0 ;;
	--write) WRITE=$2; shift ;;
	--json) JSON=$2; shift ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
[ "$HUGE" = auto ] && { [ "$SMOKE" = 1 ] && HUGE=0 || HUGE=1; }
[ "$SMOKE" = 1 ] && STEP=1

. "$SRC/scripts/netns.sh"
. "$SRC/bench/compare_lib.sh"
NT_NAME=compare
nt_init "${ARGS[0]:-$SRC/build}" peregrine
BENCH="$NT_BUILDDIR/bench/peregrine-bench"
[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
PERFDHCP=/usr/sbin/perfdhcp
KEA=/usr/sbin/kea-dhcp4
NT_KEA=$KEA        # nt_server_check reads it

trap 'rc=$?; cl_cleanup; (exit $rc); nt_cleanup' EXIT
cl_huge_setup

# One /15: server .0.1, perfdhcp's relay address .0.2 (the client end of the
# veth), peregrine-bench relays as .0.3 and answers ARP for it itself.
NT_PLEN=15
NT_SUBNET=198.18.0.0/15
NT_POOL="198.18.1.0 - 198.19.255.254"
NT_VALID=86400
CLIENTS=100000            # < pool: later steps re-run DORA for known clients
nt_topology

# servers ------------------------------------------------------------------

srv_start() {   # KIND MODE
	local kind=$1 mode=$2
	rm -f "$NT_LEASES" "$NT_LEASES".*
	SERVER=$kind
	if [ "$kind" = kea ]; then
		ip -n "$NT_SRV" addr add "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		nt_kea_conf "$NT_SUBNET" "$NT_POOL" "$NT_VALID"
		# one worker thread per core, as ISC recommends for memfile
		[ "$mode" = mt ] && sed -i 's/^{ "Dhcp4": {/{ "Dhcp4": { "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64 },/' "$NT_CONF"
		sed -i 's/"severity": "INFO"/"severity": "WARN"/' "$NT_CONF"
	else
		ip -n "$NT_SRV" addr del "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		NT_DURABILITY=$mode
		nt_peregrine_conf "$NT_SUBNET" "$NT_POOL" "$NT_VALID"
		cl_peregrine_tune
	fi
	nt_server_check
	if [ "$kind" = kea ]; then
		cl_kea_start "kea-$mode" "$KEA"
	else
		nt_server_start
	fi
}

# generators: run_bench and run_perfdhcp (bench/compare_lib.sh)

want() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }

[ -n "$JSON" ] && : >"$JSON"
if [ "$SMOKE" = 1 ]; then
	CLIENTS=5000
	cl_search peregrine memory bench 2000
else
	[ -x "$KEA" ] || nt_skip "no $KEA"
	[ -x "$PERFDHCP" ] || nt_skip "no $PERFDHCP"
	for spec in "kea st perfdhcp 2000" "kea mt perfdhcp 2000" \
		"kea st bench 2000" "kea mt bench 2000" \
		"peregrine memory perfdhcp 4000" \
		"peregrine memory bench 20000" "peregrine write-behind bench 20000" \
		"peregrine commit bench 20000"; do
		set -- $spec
		want "$1 $2 $3" && cl_search "$1" "$2" "$3" "$4"
	done
fi

# the table -----------------------------------------------------------------

BEST_KEA=0
for r in "${ROWS[@]}"; do
	IFS='|' read -r k m g v p u _ <<<"$r"
	[ "$k" = kea ] && [ "$v" -gt "$BEST_KEA" ] && BEST_KEA=$v
done
TABLE="$NT_TMP/table.md"
{
	echo "| server | mode | generator | max DORA/s (<1% drops) | p99 latency at it | ÷ best Kea | duplicates |"
	echo "|---|---|---|---:|---:|---:|---:|"
	for r in "${ROWS[@]}"; do
		IFS='|' read -r k m g v p u _ <<<"$r"
		case $m in st) m="memfile, 1 thread" ;; mt) m="memfile, multi-threaded (2)" ;; esac
		[ "$g" = bench ] && g=peregrine-bench
		if [ "$BEST_KEA" -gt 0 ]; then
			ratio=$(awk -v a="$v" -v b="$BEST_KEA" 'BEGIN { printf "%.1f×", a / b }')
		else
			ratio="—"
		fi
		echo "| $k | $m | $g | $v | $((p / 1000)).$(((p % 1000) / 100)) ms | $ratio | $u |"
	done
} >"$TABLE"
cat "$TABLE"

if [ -n "$WRITE" ]; then
	CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	{
		echo "<!-- compare:begin (written by bench/compare.sh; do not edit by hand) -->"
		echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($CPU), kernel $(uname -r),"
		echo "$("$KEA" -V 2>/dev/null | head -1 | sed 's/^/kea-dhcp4 /'), peregrine $(git -C "$SRC" describe --always --dirty 2>/dev/null)."
		echo "Hugepages: $([ "$HUGE" = 1 ] && echo yes || echo no); step ${STEP} s per rate."
		echo
		echo "Command: \`sudo bench/compare.sh --write BENCHMARKS.md build\`"
		echo
		cat "$TABLE"
		echo
		echo "Generators, exactly as run for each step (RATE varies):"
		echo
		echo '```'
		echo "perfdhcp -4 -l <veth> -r RATE -p $STEP -R $CLIENTS -s <n>"
		echo "peregrine-bench --vdev net_af_packet0,iface=<veth> --mem 256 --lcores '0@(0,1)' --relay 198.18.0.3 \\"
		echo "    --server 198.18.0.1 --rate RATE --duration $STEP --outstanding 1000000 --clients $CLIENTS \\"
		echo "    --timeout 1000 --retries 0 --pool 198.18.1.0-198.19.255.254 --json out.json"
		echo '```'
		echo "<!-- compare:end -->"
	} >"$NT_TMP/section.md"
	cl_write_section "$WRITE" compare "$NT_TMP/section.md"
	nt_log "table written into $WRITE"
fi
NT_RESULT=pass
exit 0
