# shellcheck shell=bash disable=SC2034 # HA_* knobs are read by scripts/hatest.sh
# What bench/ha_pair.sh and bench/ha_failover.sh share: the HA topology of
# scripts/hatest.sh with a pool big enough for a load, pairs and single
# servers started and cleaned up, and peregrine-bench on the generator's
# own bridge port (ha_gen_port).  Sourced after scripts/netns.sh,
# scripts/hatest.sh and nt_init.
#
# One /15 on the bridge: the servers are .0.11 and .0.12, the clients get
# 198.19.0.0 - 198.19.255.254 (the HA link, 198.18.2.0/24, is in the
# servers' namespaces only).  Leases for a day, so a load's later steps
# renew.  Servers log warnings only.  Peregrine runs as ha_peregrine_conf
# sets it (lcores "0,1": its worker on CPU 1, durability commit); the
# generator runs on CPU 0 (lcore 0); Kea's threads float.

HA_SUBNET=198.18.0.0/15 HA_PLEN=15 HA_POOL="198.19.0.0 - 198.19.255.254" HA_VALID=86400
HA_KEA_SEVERITY=WARN
HB_POOL=198.19.0.0-198.19.255.254
HB_CLIENTS=${HB_CLIENTS:-50000}     # < the pool: later steps renew known clients

# hb_need SERVERS: skip unless the generator and each server named are
# there (a mixed pair "peregrine+kea" names both; curl: ha_kea_listening).
hb_need() {
	nt_need jq
	BENCH="$NT_BUILDDIR/bench/peregrine-bench"
	[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
	case " ${1//+/ } " in *" kea "*)
		nt_need curl
		[ -x "$NT_KEA" ] || nt_skip "no $NT_KEA"
		[ -f "$HA_KEA_HOOKS/libdhcp_ha.so" ] || nt_skip "no Kea HA hook library" ;;
	esac
}

# hb_conf KIND N ROLE MODE: server N's config (Kea's or Peregrine's), quiet.
# HB_LCORES="S1/S2": Peregrine server 1's EAL lcores S1, server 2's S2
# (default: ha_peregrine_conf's "0,1" for both; a single server gets S1).
# HB_DURABILITY: Peregrine's durability instead of ha_peregrine_conf's commit.
hb_conf() {
	local l
	"ha_$1_conf" "$2" "$3" "$4"
	ha_quiet "$2"
	if [ "$1" = peregrine ] && [ -n "$HB_DURABILITY" ]; then
		sed -i "s|durability = \"commit\";|durability = \"$HB_DURABILITY\";|" "${HA_CONF[$2]}"
	fi
	if [ "$1" = peregrine ] && [ -n "$HB_LCORES" ]; then
		l=$(echo "$HB_LCORES" | cut -d/ -f"$2")
		sed -i "s|lcores = \"0,1\";|lcores = \"$l\";|" "${HA_CONF[$2]}"
		grep -q "lcores = \"$l\";" "${HA_CONF[$2]}" || nt_fail "lcores $l"
	fi
}

# hb_start KIND N: server N up.  A Peregrine's DPDK port must carry no
# kernel address (a Kea row before it on the same port gave it one).
hb_start() {
	if [ "$1" = kea ]; then
		ha_kea_start "$2"
	else
		ha_port_clear "$2"
		ha_peregrine_start "$2"
	fi
}

hb_both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }

# hb_pair_start KIND MODE: server 1 primary, server 2 standby (hot-standby)
# or secondary (load-balancing); both up and in MODE's state.  KIND
# "peregrine" or "kea": both servers of it; "K1+K2" a mixed pair, server 1
# (the primary) K1, server 2 K2, as integ-ha_mixed runs it: Kea first, its
# peer listener up before its partner starts (a partner that found it
# unreachable for max-response-delay would go to partner-down first).
hb_pair_start() {
	local k1=${1%+*} k2=${1#*+} r2 n HA_POOL=$HA_POOL
	local -a kind=("" "$k1" "$k2")
	r2=$([ "$2" = hot-standby ] && echo standby || echo secondary)
	# load-balancing: the pool split by the servers' HA classes, as Kea's
	# manual asks (one pool for both lets each hand out what the other
	# just gave: the partner refuses the update, the reply is dropped)
	[ "$2" = load-balancing ] && [ "$1" = peregrine ] &&
		HA_POOL="198.19.0.0 - 198.19.127.255\"; client-class = \"HA_server1\"; }, { pool = \"198.19.128.0 - 198.19.255.254\"; client-class = \"HA_server2"
	hb_conf "$k1" 1 primary "$2"
	hb_conf "$k2" 2 "$r2" "$2"
	for n in $([ "$k2" = kea ] && [ "$k1" != kea ] && echo 2 1 || echo 1 2); do
		hb_start "${kind[$n]}" "$n"
		[ "${kind[$n]}" = kea ] && nt_wait_for 20 "kea$n's HA listener" ha_kea_listening "$n"
	done
	nt_wait_for 60 "$1 pair in $2" hb_both "$2"
}

# hb_single_start KIND: server 1 alone, its config without the HA part.
hb_single_start() {
	hb_conf "$1" 1 primary hot-standby
	ha_no_ha 1
	hb_start "$1" 1
	HA_PID[2]=""
}

# hb_stop: stop the servers of hb_*_start; hb_pair_clean then forgets
# their leases and DPDK runtime files.
hb_stop() {
	local n
	for n in 1 2; do
		[ -n "${HA_PID[$n]}" ] && nt_stop "${HA_PID[$n]}" 20 >/dev/null 2>&1
	done
	hb_pair_clean
}

hb_pair_clean() {
	rm -f "$NT_TMP"/*.leases "$NT_TMP"/*.leases.* "$NT_TMP"/*.leases[0-9]*
	rm -rf "/var/run/dpdk/pg-ha-$NT_ID-1" "/var/run/dpdk/pg-ha-$NT_ID-2" "/var/run/dpdk/pgbench-$NT_ID"
}

# hb_gen_args RATE SECONDS TAG: peregrine-bench's command line on the
# generator port, direct broadcast clients (both servers see each query).
hb_gen_args() {
	HB_GEN=("$BENCH" --vdev "net_af_packet0,iface=$HA_GEN" --no-huge --mem 256 --lcores 0
		--file-prefix "pgbench-$NT_ID" --server "${HA_IP[1]}" --rate "$1" --duration "$2"
		--outstanding 1000000 --clients "$HB_CLIENTS" --tag "$3" --timeout 1000 --retries 0
		--pool "$HB_POOL" --quiet)
}

# hb_gen_bg RATE SECONDS TAG JSON: the generator in the background
# (NT_LAST_PID); stopped with SIGINT it still writes its report to JSON.
hb_gen_bg() {
	hb_gen_args "$@"
	rm -f "$4"
	nt_bg gen "$HA_CLI" timeout $(($2 + 30)) "${HB_GEN[@]}" --json "$4"
}

# hb_gen RATE SECONDS TAG JSON: one bounded step; prints
# "acks_per_s drop_pct p99_us wrong" (wrong: duplicates + out of pool).
hb_gen() {
	hb_gen_args "$1" "$2" "$3"
	rm -f "$4"
	NT_STEP=$(($2 + 30)) nt_cli "${HB_GEN[@]}" --json "$4" >>"$NT_TMP/gen.log" 2>&1
	[ -s "$4" ] || { echo "0 100 0 0"; return; }
	jq -r '"\(.leases_per_s | floor) \(.drop_pct) \(.latency_us.p99 | floor) \(.duplicates + .out_of_pool)"' "$4"
}
