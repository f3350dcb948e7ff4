#!/bin/bash
# DORA drops and latency during 10 reloads under peregrine-bench load, for
# Peregrine (and, with --before, an older Peregrine build) and Kea 2.2's
# config-reload, in the same topology and the same run.
#
#   scripts/bench_reload.sh [--runs N] [--before BUILDDIR] [--no-kea] BUILDDIR
#
# Each run starts the server with an empty lease file, then peregrine-bench
# offers RATE new relayed clients a second (default 5,000/s) for SECS
# (default 20 s): COUNT = RATE x SECS clients, one DORA each, --retries 0
# and a 2 s timeout, so every DISCOVER without an OFFER and every REQUEST
# without an ACK counts (drops + timeouts; "lost" below is COUNT minus the
# DORAs done).  From the second second on, 10 config-reloads are sent over
# the control socket, RELOAD_GAP seconds apart (default 1.5), alternating
# two configurations that differ in the pool's last address (so the pool
# is replaced by one of another size every time), the routers option and
# valid-lifetime.  Peregrine: the unix control socket of its config.  Kea:
# its "config-reload" command (Kea re-reads the file given with -c).
# Rows: median over RUNS (default 3) of lost, drops, timeouts, p50, p99, the
# slowest reload answer; the worst run's lost count; and the sum over runs
# of duplicate or out-of-pool addresses and NAKs (must be 0).
#
# Needs root (network namespaces from scripts/netns.sh, 198.18.0.0/15
# only).  Every process runs under a deadline and is stopped by PID; the
# namespaces go on exit.
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 BEFORE="" KEA_ON=1
ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--before) BEFORE=$(cd "$2" && pwd); shift ;;
	--no-kea) KEA_ON=0 ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
. "$SRC/scripts/netns.sh"
NT_NAME=bench_reload
nt_init "${ARGS[0]:-$SRC/build}" peregrine
nt_need jq
AFTER=$NT_BUILDDIR
BENCH="$AFTER/bench/peregrine-bench"
[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
KEA=/usr/sbin/kea-dhcp4
NT_KEA=$KEA
RATE=${RATE:-5000} SECS=${SECS:-20} RELOADS=10 RELOAD_GAP=${RELOAD_GAP:-1.5}
COUNT=$((RATE * SECS))
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 9 ] || nt_fail "--runs 1..9"
[ "$COUNT" -le 130000 ] || nt_fail "RATE x SECS = $COUNT exceeds the pool"
# af_packet rings of 8192 frames on both ends, as reload_bench.sh
AFP=,framecnt=8192

trap 'rc=$?; rm -rf "/var/run/dpdk/pgbench-$NT_ID"; (exit $rc); nt_cleanup' EXIT
NT_PLEN=15
nt_topology
SOCK="$NT_TMP/ctl.sock"
POOL_FIRST=198.18.1.0
# the two configurations: pool end, routers, valid-lifetime
CONF_A=(198.19.255.254 198.18.0.1 600)
CONF_B=(198.19.255.200 198.18.0.254 900)

peregrine_conf() {   # POOL_LAST ROUTER VALID
	cat >"$NT_TMP/peregrine.conf.new" <<EOF
dpdk = { lcores = "0,1"; file-prefix = "$NT_DPDK_PREFIX"; no-huge = true; memory-mb = 256; };
interfaces = (
	{ name = "eth0"; device = "net_af_packet0,iface=$NT_VS$AFP"; address = "$NT_SERVER_IP/$NT_PLEN"; }
);
valid-lifetime = $3;
lease-database = { type = "memfile"; name = "$NT_LEASES"; durability = "commit"; lfc-interval = 0; };
control-socket = { socket-name = "$SOCK"; };
subnet4 = (
	{ id = 1; subnet = "198.18.0.0/$NT_PLEN"; interface = "eth0";
	  pools = ( { pool = "$POOL_FIRST - $1"; } );
	  option-data = ( { name = "routers"; data = "$2"; } ); }
);
EOF
	mv "$NT_TMP/peregrine.conf.new" "$NT_TMP/peregrine.conf"
}

kea_conf() {   # POOL_LAST ROUTER VALID
	nt_kea_conf 198.18.0.0/15 "$POOL_FIRST - $1" "$3"
	sed -i "s/\"data\": \"$NT_SERVER_IP\"/\"data\": \"$2\"/; s/\"severity\": \"INFO\"/\"severity\": \"WARN\"/" "$NT_CONF"
}

srv_start() {   # KIND BUILDDIR
	rm -f "$NT_LEASES" "$NT_LEASES".*
	SERVER=$1
	if [ "$1" = kea ]; then
		ip -n "$NT_SRV" addr add "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		kea_conf "${CONF_A[@]}"
		nt_server_check
		rm -f "$NT_KEA_SOCK"
		nt_bg kea "$NT_SRV" env KEA_PIDFILE_DIR="$NT_TMP" KEA_LOCKFILE_DIR="$NT_TMP" \
			"$KEA" -c "$NT_CONF"
		NT_SRV_PID=$NT_LAST_PID
		nt_wait_for 30 "kea-dhcp4 control socket" test -S "$NT_KEA_SOCK"
		CTL_SOCK=$NT_KEA_SOCK
		sleep 1
	else
		ip -n "$NT_SRV" addr del "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		NT_PEREGRINE="$2/engine/dp/peregrine"
		[ -x "$NT_PEREGRINE" ] || nt_fail "no $NT_PEREGRINE"
		peregrine_conf "${CONF_A[@]}"
		NT_CONF="$NT_TMP/peregrine.conf"
		nt_server_check
		nt_server_start
		CTL_SOCK=$SOCK
	fi
}

srv_stop() {
	nt_stop "$NT_SRV_PID" 20 >/dev/null 2>&1
	rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
}

bench_secs() { grep -c '^\[run\]' "$NT_TMP/bench.log" 2>/dev/null; }
bench_running() { [ "$(bench_secs)" -ge 1 ]; }

# one_run KIND BUILDDIR: prints "lost drops timeouts p50_us p99_us
# max_reload_ms bad" (bad: duplicate or out-of-pool addresses and NAKs)
TAG=1
one_run() {
	local kind=$1 i t0 t1 ms max=0 ans
	srv_start "$kind" "$2"
	rm -f "$NT_TMP/bench.json" "$NT_TMP/bench.log"
	TAG=$((TAG % 250 + 1))
	nt_bg bench "$NT_CLI" timeout $((SECS + 40)) "$BENCH" \
		--vdev "net_af_packet0,iface=$NT_VC$AFP" --no-huge --mem 256 \
		--lcores "0@(0,1)" --file-prefix "pgbench-$NT_ID" --relay 198.18.0.3 \
		--server "$NT_SERVER_IP" --scenario dora --clients "$COUNT" --count "$COUNT" \
		--rate "$RATE" --duration $((SECS + 5)) --outstanding 1000000 --timeout 2000 \
		--retries 0 --tag "$TAG" --pool "$POOL_FIRST-${CONF_A[0]}" --json "$NT_TMP/bench.json"
	local bench_pid=$NT_LAST_PID
	nt_wait_for 30 "peregrine-bench to start its load" bench_running
	sleep 1
	for ((i = 0; i < RELOADS; i++)); do
		if [ "$kind" = kea ]; then
			if ((i % 2)); then kea_conf "${CONF_A[@]}"; else kea_conf "${CONF_B[@]}"; fi
		elif ((i % 2)); then
			peregrine_conf "${CONF_A[@]}"
		else
			peregrine_conf "${CONF_B[@]}"
		fi
		t0=$(date +%s%N)
		ans=$(nt_ctl_raw "$CTL_SOCK" '{"command": "config-reload"}' 30)
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		[ "$ms" -gt "$max" ] && max=$ms
		jq -e '(.result // .[0].result) == 0' <<<"$ans" >/dev/null 2>&1 ||
			nt_log "$kind reload $i: $ans"
		sleep "$RELOAD_GAP"
	done
	nt_wait_exit "$bench_pid" $((SECS + 45)) >/dev/null
	srv_stop
	if [ "$kind" = peregrine ]; then
		grep -h 'configuration reloaded' "$NT_TMP"/server*.log | sed 's/.*INFO //' |
			tail -n "$RELOADS" >>"$NT_TMP/reloads.log"
	fi
	[ -s "$NT_TMP/bench.json" ] || { echo "$COUNT 0 0 0 0 $max 0"; return; }
	jq -r --argjson n "$COUNT" --argjson max "$max" \
		'"\($n - .dora_done) \(.drops) \(.timeouts) \(.latency_us.p50) \(.latency_us.p99) \($max) \(.duplicates + .out_of_pool + .naks)"' \
		"$NT_TMP/bench.json"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ROWS=()
row() {   # LABEL KIND BUILDDIR
	local f="$NT_TMP/row.$2.$RANDOM" r
	: >"$f"
	for ((r = 1; r <= RUNS; r++)); do
		# not in a pipe: a subshell would not own (nor clean up) the server
		one_run "$2" "$3" >>"$f"
		nt_log "$1 run $r: lost drops timeouts p50_us p99_us max-reload-ms bad: $(tail -1 "$f")"
	done
	ROWS+=("| $1 | $(cut -d' ' -f1 "$f" | median) | $(cut -d' ' -f2 "$f" | median) | $(cut -d' ' -f3 "$f" | median) | $(cut -d' ' -f4 "$f" | median | awk '{ printf "%.2f", $1 / 1000 }') ms | $(cut -d' ' -f5 "$f" | median | awk '{ printf "%.2f", $1 / 1000 }') ms | $(cut -d' ' -f6 "$f" | median) ms | $(cut -d' ' -f1 "$f" | sort -n | tail -1) | $(awk '{ n += $7 } END { print n + 0 }' "$f") |")
}

[ -n "$BEFORE" ] && row "peregrine $(git -C "$BEFORE" rev-parse --short HEAD 2>/dev/null || basename "$BEFORE") (before)" peregrine "$BEFORE"
row "peregrine $(git -C "$SRC" rev-parse --short HEAD) (after)" peregrine "$AFTER"
[ "$KEA_ON" = 1 ] && row "kea-dhcp4 $($KEA -v 2>/dev/null | head -1)" kea ""

cat <<EOF
$RATE relayed DORA/s for $SECS s ($COUNT clients, --retries 0, 2 s timeout), $RELOADS config-reloads $RELOAD_GAP s apart; medians of $RUNS runs.

| server | lost DORAs | drops | timeouts | p50 | p99 | slowest reload answer | lost, worst run | duplicates, out of pool, NAKs (all runs) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
