# shellcheck shell=bash disable=SC2034 # NT_* and HA_* are read by the callers
# The HA pair topology (issue 16, docs/ha-plan.md): source after
# scripts/netns.sh and nt_init.
#
#   ha_topology                  # the namespaces, the bridge, the veths
#   ha_kea_conf N ROLE MODE      # kea-dhcp4 N's config (1 or 2), hot-standby or load-balancing
#   ha_kea_start N               # start it in its namespace; HA_PID[N]
#   ha_kea_ha_state N            # its HA state ("waiting", "hot-standby", ...)
#   ha_dora ARGS...              # pgtest.py dora from the client namespace
#
#   netns pgt-<id>-cli    hc<id>   198.18.0.2/24 ----+
#   netns pgt-<id>-br     br0 (a bridge): hbc<id>, hb1<id>, hb2<id>
#   netns pgt-<id>-s1     hs1<id>  DHCP port (kea: 198.18.0.11/24; peregrine:
#                                  no address, its DPDK port owns .11)
#                         ha1<id>  198.18.2.1/24 ---- the HA link ----+
#   netns pgt-<id>-s2     hs2<id>  DHCP port (.12)                    |
#                         ha2<id>  198.18.2.2/24 ---------------------+
#
# Clients broadcast on the bridge, so both servers see every packet, as
# on a real shared segment; the servers talk HTTP over their own veth
# pair (the management network), never through the bridge.  Every
# namespace joins NT_NS_MADE, so netns.sh's cleanup removes it; every
# process is started with nt_bg and stopped by PID.
#
# Knobs: HA_HEARTBEAT (ms, 1000), HA_MAX_RESPONSE (3000), HA_MAX_ACK (500),
# HA_MAX_UNACKED (0), HA_POOL ("198.18.0.100 - 198.18.0.250"), HA_VALID (600),
# HA_SUBNET ("198.18.0.0/24") and HA_PLEN (24: Peregrine's port address
# prefix), HA_KEA_SEVERITY (INFO; at WARN ha_kea_start waits for an answer
# on the control socket instead of the DHCP4_STARTED line).
#
# For the benchmarks (bench/ha_pair.sh, bench/ha_failover.sh):
#   ha_gen_port                  # a second client veth on the bridge: HA_GEN
#   ha_no_ha N                   # server N's config without its HA part
#   ha_quiet N                   # server N logs warnings only

HA_KEA_HOOKS=/usr/lib/x86_64-linux-gnu/kea/hooks

ha_ns() { echo "pgt-$NT_ID-$1"; }

# ha_link A NSA NSB B: a veth pair A (in NSA) <-> B (in NSB), both up.
ha_link() {
	timeout 10 ip link add "$1" netns "$2" type veth peer name "$4" netns "$3" ||
		nt_fail "veth $1 <-> $4"
	ip -n "$2" link set "$1" up && ip -n "$3" link set "$4" up || nt_fail "veth $1 up"
}

ha_topology() {
	local ns n
	HA_CLI=$(ha_ns cli) HA_BR=$(ha_ns br) HA_S[1]=$(ha_ns s1) HA_S[2]=$(ha_ns s2)
	HA_VC="hc$NT_ID" HA_VS[1]="hs1$NT_ID" HA_VS[2]="hs2$NT_ID"
	HA_LINK[1]="ha1$NT_ID" HA_LINK[2]="ha2$NT_ID"
	HA_IP[1]=198.18.0.11 HA_IP[2]=198.18.0.12
	HA_PEER_IP[1]=198.18.2.1 HA_PEER_IP[2]=198.18.2.2
	for ns in "$HA_CLI" "$HA_BR" "${HA_S[1]}" "${HA_S[2]}"; do
		ip netns del "$ns" 2>/dev/null
		timeout 10 ip netns add "$ns" || nt_fail "ip netns add $ns"
		NT_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up || nt_fail "lo up in $ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	done
	ip -n "$HA_BR" link add br0 type bridge || nt_fail "bridge"
	# no STP delay: the ports forward at once
	ip -n "$HA_BR" link set br0 type bridge forward_delay 0 stp_state 0 2>/dev/null
	ip -n "$HA_BR" link set br0 up || nt_fail "bridge up"
	ha_link "$HA_VC" "$HA_CLI" "$HA_BR" "hbc$NT_ID"
	ip -n "$HA_BR" link set "hbc$NT_ID" master br0 || nt_fail "bridge port"
	ip -n "$HA_CLI" addr add 198.18.0.2/24 dev "$HA_VC" || nt_fail "client addr"
	for n in 1 2; do
		ha_link "${HA_VS[$n]}" "${HA_S[$n]}" "$HA_BR" "hb$n$NT_ID"
		ip -n "$HA_BR" link set "hb$n$NT_ID" master br0 || nt_fail "bridge port $n"
	done
	ha_link "${HA_LINK[1]}" "${HA_S[1]}" "${HA_S[2]}" "${HA_LINK[2]}"
	for n in 1 2; do
		ip -n "${HA_S[$n]}" addr add "${HA_PEER_IP[$n]}/24" dev "${HA_LINK[$n]}" ||
			nt_fail "HA link address $n"
	done
	NT_CLI=$HA_CLI NT_VC=$HA_VC
}

# ha_kea_conf N ROLE MODE: kea-dhcp4 N's configuration, memfile leases, the
# lease_cmds and HA hooks, HTTP peer listener on its HA link address
# (port 8000), the pair's timers from the knobs.  The partner's role is
# the other of primary/standby (hot-standby) or primary/secondary.
# ha_roles N ROLE MODE STEM CONF-EXT: server<N> is server N; sets pn and
# sn (the primary's and the other's numbers), r2 (the other's role) and
# server N's files: $NT_TMP/STEM<N>.CONF-EXT, .sock and .leases.
ha_roles() {
	r2=$([ "$3" = hot-standby ] && echo standby || echo secondary)
	if [ "$2" = primary ]; then pn=$1 sn=$((3 - $1)); else pn=$((3 - $1)) sn=$1; fi
	HA_CONF[$1]="$NT_TMP/$4$1.$5"
	HA_SOCK[$1]="$NT_TMP/$4$1.sock"
	HA_LEASES[$1]="$NT_TMP/$4$1.leases"
}

ha_kea_conf() {
	local n=$1 pn sn r2
	ha_roles "$@" kea json
	cat >"${HA_CONF[$n]}" <<EOF
{ "Dhcp4": {
	"interfaces-config": { "interfaces": [ "${HA_VS[$n]}" ], "dhcp-socket-type": "raw" },
	"control-socket": { "socket-type": "unix", "socket-name": "${HA_SOCK[$n]}" },
	"lease-database": { "type": "memfile", "persist": true, "name": "${HA_LEASES[$n]}",
		"lfc-interval": 0 },
	"multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2,
		"packet-queue-size": 16 },
	"valid-lifetime": ${HA_VALID:-600},
	"subnet4": [ { "id": 1, "subnet": "${HA_SUBNET:-198.18.0.0/24}",
		"pools": [ { "pool": "${HA_POOL:-198.18.0.100 - 198.18.0.250}" } ] } ],
	"hooks-libraries": [
		{ "library": "$HA_KEA_HOOKS/libdhcp_lease_cmds.so" },
		{ "library": "$HA_KEA_HOOKS/libdhcp_ha.so", "parameters": { "high-availability": [ {
			"this-server-name": "server$n",
			"mode": "$3",
			"heartbeat-delay": ${HA_HEARTBEAT:-1000},
			"max-response-delay": ${HA_MAX_RESPONSE:-3000},
			"max-ack-delay": ${HA_MAX_ACK:-500},
			"max-unacked-clients": ${HA_MAX_UNACKED:-0},
			"sync-timeout": 10000, "sync-page-limit": 100,
			"multi-threading": { "enable-multi-threading": true,
				"http-dedicated-listener": true, "http-listener-threads": 1,
				"http-client-threads": 1 },
			"peers": [
				{ "name": "server$pn", "url": "http://${HA_PEER_IP[$pn]}:8000/",
				  "role": "primary", "auto-failover": true },
				{ "name": "server$sn", "url": "http://${HA_PEER_IP[$sn]}:8000/",
				  "role": "$r2", "auto-failover": true }
			] } ] } }
	],
	"loggers": [ { "name": "kea-dhcp4",
		"output_options": [ { "output": "$NT_TMP/kea$n.out" } ],
		"severity": "${HA_KEA_SEVERITY:-INFO}" } ]
} }
EOF
}

# ha_kea_start N: kea-dhcp4 N in its namespace (the DHCP port gets its
# address: Kea needs the kernel's), up once its control socket answers.
ha_kea_start() {
	local n=$1
	ip -n "${HA_S[$n]}" addr add "${HA_IP[$n]}/24" dev "${HA_VS[$n]}" 2>/dev/null
	rm -f "${HA_SOCK[$n]}"
	: >"$NT_TMP/kea$n.out"
	mkdir -p "$NT_TMP/kea$n.d"
	nt_bg "kea$n" "${HA_S[$n]}" env KEA_PIDFILE_DIR="$NT_TMP/kea$n.d" \
		KEA_LOCKFILE_DIR="$NT_TMP/kea$n.d" /usr/sbin/kea-dhcp4 -c "${HA_CONF[$n]}"
	HA_PID[$n]=$NT_LAST_PID
	nt_wait_for 30 "kea$n to start" ha_kea_up "$n"
}

ha_kea_up() {
	nt_alive "${HA_PID[$1]}" || nt_fail "kea$1 exited (see $NT_TMP/kea$1.out)"
	[ -S "${HA_SOCK[$1]}" ] || return 1
	if [ "${HA_KEA_SEVERITY:-INFO}" = INFO ]; then
		grep -q DHCP4_STARTED "$NT_TMP/kea$1.out"
	else
		ha_kea_cmd "$1" '{"command": "version-get"}' 2>/dev/null | grep -q '"result": 0'
	fi
}

# ha_kea_cmd N JSON: one command on kea N's control socket; the answer.
ha_kea_cmd() {
	timeout 10 "$NT_PY" - "${HA_SOCK[$1]}" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(8)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
buf = b""
while True:
    try:
        json.loads(buf)
        break
    except ValueError:
        d = s.recv(65536)
        if not d:
            break
        buf += d
print(buf.decode())
PY
}

# ha_kea_ha_state N: kea N's own HA state, from status-get.
ha_kea_ha_state() {
	ha_kea_cmd "$1" '{"command": "status-get"}' |
		jq -r '.arguments["high-availability"][0]["ha-servers"].local.state // "none"'
}

ha_dora() {
	NT_CLI=$HA_CLI NT_VC=$HA_VC nt_cli "$NT_PY" "$NT_HELPER" dora --iface "$HA_VC" "$@"
}

# ha_peregrine_conf N ROLE MODE: Peregrine N's configuration (its DPDK port
# on its bridge veth with the server address .1N, memfile leases, its
# control socket $NT_TMP/peregrine<N>.sock, the high-availability block with the
# pair's timers from the knobs; peer N listens on its HA link address).
ha_peregrine_conf() {
	local n=$1 pn sn r2
	ha_roles "$@" peregrine conf
	cat >"${HA_CONF[$n]}" <<EOF
dpdk = { lcores = "0,1"; file-prefix = "pg-ha-$NT_ID-$n"; no-huge = true; memory-mb = 256; };
interfaces = ( { name = "eth0"; device = "net_af_packet0,iface=${HA_VS[$n]}";
                 address = "${HA_IP[$n]}/${HA_PLEN:-24}"; } );
valid-lifetime = ${HA_VALID:-600};
lease-database = { type = "memfile"; name = "${HA_LEASES[$n]}"; lfc-interval = 0;
                   durability = "commit"; };
subnet4 = ( { id = 1; subnet = "${HA_SUBNET:-198.18.0.0/24}"; interface = "eth0";
              pools = ( { pool = "${HA_POOL:-198.18.0.100 - 198.18.0.250}"; } ); } );
control-socket = { socket-name = "${HA_SOCK[$n]}"; };
high-availability = {
	this-server-name = "server$n";
	mode = "$3";
	heartbeat-delay = ${HA_HEARTBEAT:-1000};
	max-response-delay = ${HA_MAX_RESPONSE:-3000};
	max-ack-delay = ${HA_MAX_ACK:-500};
	max-unacked-clients = ${HA_MAX_UNACKED:-0};
	sync-timeout = 10000;
	sync-page-limit = 100;
	peers = (
		{ name = "server$pn"; url = "http://${HA_PEER_IP[$pn]}:8000/"; role = "primary"; },
		{ name = "server$sn"; url = "http://${HA_PEER_IP[$sn]}:8000/"; role = "$r2"; }
	);
};
EOF
	timeout 20 ip netns exec "${HA_S[$n]}" "$NT_PEREGRINE" -t "${HA_CONF[$n]}" \
		>"$NT_TMP/check$n.log" 2>&1 || { cat "$NT_TMP/check$n.log" >&2; nt_fail "peregrine $n config"; }
}

# ha_cleanup: netns.sh's EXIT trap calls it: the DPDK runtime directories
# of this test's servers and generator (one killed with -9 leaves its own).
ha_cleanup() {
	rm -rf "/var/run/dpdk/pg-ha-$NT_ID-1" "/var/run/dpdk/pg-ha-$NT_ID-2" "/var/run/dpdk/pgbench-$NT_ID"
}

# ha_peregrine_pair MODE: Peregrine 1 primary, 2 standby (hot-standby) or
# secondary (load-balancing), both configured and started.
ha_peregrine_pair() {
	ha_peregrine_conf 1 primary "$1"
	ha_peregrine_conf 2 "$([ "$1" = hot-standby ] && echo standby || echo secondary)" "$1"
	ha_peregrine_start 1
	ha_peregrine_start 2
}

# ha_peregrine_start N: Peregrine N in its namespace, up once its control
# socket answers.  HA_PID[N].
ha_peregrine_start() {
	local n=$1
	nt_bg "peregrine$n" "${HA_S[$n]}" "$NT_PEREGRINE" -c "${HA_CONF[$n]}" -s "$NT_TMP/stats$n"
	HA_PID[$n]=$NT_LAST_PID
	nt_wait_for 30 "peregrine$n to start" ha_peregrine_up "$n"
}

ha_peregrine_up() {
	nt_alive "${HA_PID[$1]}" || nt_fail "peregrine$1 exited (see $NT_TMP/peregrine$1.log)"
	[ -S "${HA_SOCK[$1]}" ] && nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "version-get"}' 5 >/dev/null 2>&1
}

# ha_state N: server N's own HA state from status-get (Kea or Peregrine).
ha_state() {
	nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "status-get"}' 10 2>/dev/null |
		jq -r '.arguments["high-availability"][0]["ha-servers"].local.state // "none"'
}

# ---- for the benchmarks ----------------------------------------------------

# ha_gen_port: a second veth from the client namespace to the bridge, for a
# DPDK load generator (peregrine-bench on net_af_packet, iface $HA_GEN; it
# answers ARP itself, so the port has no address).  ha_topology first.
ha_gen_port() {
	HA_GEN="hg$NT_ID"
	ha_link "$HA_GEN" "$HA_CLI" "$HA_BR" "hbg$NT_ID"
	ip -n "$HA_BR" link set "hbg$NT_ID" master br0 || nt_fail "bridge port for the generator"
}

# ha_no_ha N: server N's config (from ha_kea_conf or ha_peregrine_conf)
# without its HA part, the rest unchanged: the single server the pair is
# measured against.  Kea keeps lease_cmds and drops libdhcp_ha.
ha_no_ha() {
	local f=${HA_CONF[$1]}
	case $f in
	*.json)
		jq '.Dhcp4["hooks-libraries"] |= map(select(.library | test("libdhcp_ha") | not))' \
			"$f" >"$f.new" && mv "$f.new" "$f" || nt_fail "ha_no_ha $1" ;;
	*)
		sed -i '/^high-availability = {/,/^};/d' "$f"
		! grep -q high-availability "$f" || nt_fail "ha_no_ha $1" ;;
	esac
}

# ha_quiet N: server N logs warnings only (a server logging each lease at
# INFO measures its logger).  Kea: set HA_KEA_SEVERITY=WARN before
# ha_kea_conf instead, so ha_kea_start knows not to wait for DHCP4_STARTED.
ha_quiet() {
	case ${HA_CONF[$1]} in
	*.json) [ "${HA_KEA_SEVERITY:-INFO}" != INFO ] || nt_fail "ha_quiet: set HA_KEA_SEVERITY" ;;
	*) echo 'logging = { severity = "WARN"; };' >>"${HA_CONF[$1]}" ;;
	esac
}

# ---- a Kea 2.2 HA server alone on loopback (no DHCP traffic) -----------
# For tests of the peer link and the service core against the real thing:
#
#   ha_kea_lo_init PROBE                 # skips without PROBE or Kea's hooks; the namespace
#   ha_kea_lo_conf FILE NAME P1 P2 LOG KEYS
#   ha_kea_lo_start TAG FILE             # kea-dhcp4 -t, then started; KEA_PID

# ha_kea_lo_init PROBE: skip unless PROBE was built and Kea's lease_cmds
# and HA hooks are there; then the test's one namespace ($NT_SRV),
# loopback only (Kea and its partner on 127.0.0.1).
ha_kea_lo_init() {
	[ -x "$1" ] || nt_skip "no $1 (not built)"
	[ -f "$HA_KEA_HOOKS/libdhcp_ha.so" ] && [ -f "$HA_KEA_HOOKS/libdhcp_lease_cmds.so" ] ||
		nt_skip "no Kea HA hook libraries in $HA_KEA_HOOKS"
	ip netns del "$NT_SRV" 2>/dev/null
	timeout 10 ip netns add "$NT_SRV" || nt_fail "ip netns add $NT_SRV"
	NT_NS_MADE+=("$NT_SRV")
	ip -n "$NT_SRV" link set lo up || nt_fail "lo up"
}

# ha_kea_lo_conf FILE NAME P1 P2 LOG KEYS: kea-dhcp4 in hot-standby with the
# lease_cmds and HA hooks, no DHCP interface, memfile not persisted;
# server1 (primary) on 127.0.0.1:P1, server2 (standby) on :P2, this one
# NAME, its log in LOG; KEYS: the HA timer and sync members (JSON, each
# followed by a comma).
ha_kea_lo_conf() {
	cat >"$1" <<EOS
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ ] },
  "lease-database": { "type": "memfile", "persist": false },
  "valid-lifetime": 600,
  "subnet4": [ { "id": 1, "subnet": "198.18.1.0/24",
                 "pools": [ { "pool": "198.18.1.100 - 198.18.1.200" } ] } ],
  "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2,
                       "packet-queue-size": 16 },
  "hooks-libraries": [
    { "library": "$HA_KEA_HOOKS/libdhcp_lease_cmds.so" },
    { "library": "$HA_KEA_HOOKS/libdhcp_ha.so",
      "parameters": { "high-availability": [ {
        "this-server-name": "$2",
        "mode": "hot-standby",
        $6
        "multi-threading": { "enable-multi-threading": true,
                             "http-dedicated-listener": true,
                             "http-listener-threads": 1, "http-client-threads": 1 },
        "peers": [
          { "name": "server1", "url": "http://127.0.0.1:$3/", "role": "primary" },
          { "name": "server2", "url": "http://127.0.0.1:$4/", "role": "standby" } ]
      } ] } } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$5" } ] } ]
} }
EOS
}

# ha_kea_lo_start TAG FILE: check FILE with kea-dhcp4 -t, then start it in
# $NT_SRV as nt_bg TAG; its pid in KEA_PID.
ha_kea_lo_start() {
	timeout 20 ip netns exec "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" KEA_PIDFILE_DIR="$NT_TMP" \
		"$NT_KEA" -t "$2" >"$NT_TMP/check.log" 2>&1 ||
		{ cat "$NT_TMP/check.log" >&2; nt_fail "kea-dhcp4 -t"; }
	nt_bg "$1" "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" KEA_PIDFILE_DIR="$NT_TMP" \
		"$NT_KEA" -c "$2"
	KEA_PID=$NT_LAST_PID
}

# ---- mixed pairs: either server Kea or Peregrine (ha_mixed) ------------
# The same control commands work on both servers' control sockets, so these
# read server N whichever it is:
#
#   ha_conf N KIND ROLE MODE   # KIND kea|peregrine: its config; HA_KIND[N]
#   ha_start N                 # ha_kea_start or ha_peregrine_start, by HA_KIND[N]
#   ha_statistic N NAME        # a statistic's value (0 when absent)
#   ha_lease_list N            # "addr mac" per IPv4 lease, sorted
#   ha_lease_hw N ADDR         # the hw-address holding ADDR ("" if none)
#   ha_port_clear N            # the kernel's addresses off server N's DHCP port

ha_conf() {
	HA_KIND[$1]=$2
	case $2 in
	kea) ha_kea_conf "$1" "$3" "$4" ;;
	peregrine) ha_peregrine_conf "$1" "$3" "$4" ;;
	*) nt_fail "ha_conf: kind must be kea or peregrine, not '$2'" ;;
	esac
}

ha_start() { "ha_${HA_KIND[$1]}_start" "$1"; }

ha_statistic() {
	nt_ctl_raw "${HA_SOCK[$1]}" "{\"command\": \"statistic-get\", \"arguments\": {\"name\": \"$2\"}}" 10 |
		jq -r ".arguments[\"$2\"][0][0] // 0"
}

ha_lease_list() {
	local a
	a=$(nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "lease4-get-all"}' 10)
	# an error answer lists nothing: say why (0 leases found is result 3)
	case $(jq -r '.result' <<<"$a" 2>/dev/null) in
	0 | 3) ;;
	*) nt_log "lease4-get-all on server $1 failed: $(jq -c . <<<"$a" 2>/dev/null || echo "${a:-no answer}")" ;;
	esac
	jq -r '.arguments.leases[]? | "\(.["ip-address"]) \(.["hw-address"])"' <<<"$a" | sort
}

ha_lease_hw() {
	nt_ctl_raw "${HA_SOCK[$1]}" "{\"command\": \"lease4-get\", \"arguments\": {\"ip-address\": \"$2\"}}" 10 |
		jq -r '.arguments["hw-address"] // empty'
}

# A Peregrine's DPDK port must not carry a kernel address (its kernel would
# answer for it); Kea's needs one (ha_kea_start adds it).
ha_port_clear() { ip -n "${HA_S[$1]}" addr flush dev "${HA_VS[$1]}" || nt_fail "flush ${HA_VS[$1]}"; }

# ha_kea_listening N: true once kea N's HA peer listener answers a
# heartbeat (it opens after DHCP4_STARTED; a partner started before that
# finds it unreachable and may go to partner-down).  Needs curl.
ha_kea_listening() {
	nt_alive "${HA_PID[$1]}" || nt_fail "kea$1 exited (see $NT_TMP/kea$1.out)"
	timeout 5 ip netns exec "${HA_S[$1]}" curl -s -m 2 -X POST -H 'Content-Type: application/json' \
		-d '{"command": "ha-heartbeat", "service": ["dhcp4"]}' "http://${HA_PEER_IP[$1]}:8000/" |
		grep -q '"result": 0'
}

# ---- checks the pair tests share (ha_pair, ha_pair6, ha_lb, ha_backup) ----
#
#   ha_kill_wait N WHAT CHECK...   # kill -9 server N, wait for CHECK (10 s at most)
#   ha_no_dup WHAT FILE...         # no address given to two clients
#   ha_holds N WANT LIST           # server N holds WANT distinct addresses
#   ha_no_ack_stopped N M MAC WHO  # server M stopped: server N does not ACK, drops the reply

# ha_kill_wait N WHAT CHECK...: kill -9 server N, then wait (10 s at most)
# until the command CHECK... succeeds (WHAT: what it waits for, e.g. "the
# standby to reach partner-down"); logs how long it took.
ha_kill_wait() {
	local n=$1 what=$2 t0=$SECONDS
	shift 2
	kill -9 "${HA_PID[$n]}"
	nt_wait_for 10 "$what" "$@"
	nt_log "$what: $((SECONDS - t0)) s after the kill of server $n"
}

# ha_no_dup WHAT FILE...: fail unless each address of FILEs ("id addr ..."
# lines of ha_dora / sarr6, one per client) went to one client only.
ha_no_dup() {
	local what=$1 dup
	shift
	dup=$(cat "$@" | awk '{print $2}' | sort | uniq -d)
	[ -z "$dup" ] || nt_fail "${what:+$what }address(es) held by two clients: $(echo $dup)"
}

# ha_holds N WANT LIST: fail unless server N holds WANT distinct addresses
# (LIST N prints "addr ..." per lease, e.g. ha_lease_list).
ha_holds() {
	local got
	got=$("$3" "$1" | awk '{print $1}' | sort -u | wc -l)
	[ "$got" = "$2" ] || nt_fail "server $1 holds $got distinct addresses, want $2"
}

# ha_no_ack_stopped N M MAC WHO: server N's reply waits for server M's
# acknowledgement (WHO: M as the message names it, "the standby"): with
# M stopped (SIGSTOP) a DORA from MAC gets no ACK, the update fails at
# max-response-delay and N drops the reply (dp-drop-ha-update-failed, as
# Kea drops it); then M continues.
ha_no_ack_stopped() {
	local n=$1 m=$2
	kill -STOP "${HA_PID[$m]}"
	if ha_dora --count 1 --mac-base "$3" --timeout 0.3 --tries 1 >/dev/null 2>&1; then
		kill -CONT "${HA_PID[$m]}"
		nt_fail "server $n ACKed while $4 (stopped) could not acknowledge the update"
	fi
	nt_wait_for 5 "server $n to drop the reply of the failed update (dp-drop-ha-update-failed)" \
		ha_dropped "$n"
	kill -CONT "${HA_PID[$m]}"
}
ha_dropped() { [ "$(ha_statistic "$1" dp-drop-ha-update-failed)" -ge 1 ]; }

# ---- real clients against a pair (ha_clients, ha_lb) ---------------------
#
#   ha_dhclient               # dhclient BOUND on the client port: HA_DHC_IP, _SID, _MAC
#   ha_perfdhcp N RATE SEED   # perfdhcp's N clients, its uniqueness check: HA_PERF_ACKS

# ha_dhclient: ISC dhclient -1 on the client port until BOUND (30 s at
# most), then stopped.  HA_DHC_IP: its address; HA_DHC_SID: the server
# identifier of its ACK (the server that gave it); HA_DHC_MAC: its MAC.
ha_dhclient() {
	local ev="$NT_TMP/dhclient.events" script="$NT_TMP/dhclient-script" pid
	rm -f "$ev" "$NT_TMP/dhclient.leases"
	cat >"$script" <<EOS
#!/bin/sh
echo "reason=\$reason ip=\$new_ip_address sid=\$new_dhcp_server_identifier" >>"$ev"
exit 0
EOS
	chmod +x "$script"
	printf 'timeout 20;\nretry 2;\n' >"$NT_TMP/dhclient.conf"
	nt_bg dhclient "$HA_CLI" /usr/sbin/dhclient -4 -cf "$NT_TMP/dhclient.conf" \
		-lf "$NT_TMP/dhclient.leases" -pf "$NT_TMP/dhclient.pid" -sf "$script" -d -1 "$HA_VC"
	pid=$NT_LAST_PID
	nt_wait_for 30 "dhclient BOUND" grep -q '^reason=BOUND' "$ev"
	nt_stop "$pid" 5 >/dev/null
	read -r HA_DHC_IP HA_DHC_SID < <(sed -n 's/^reason=BOUND ip=\([^ ]*\) sid=\([^ ]*\).*/\1 \2/p' "$ev" | head -1)
	HA_DHC_MAC=$(ip -n "$HA_CLI" link show "$HA_VC" | awk '/link\/ether/ { print $2 }')
}

# ha_perfdhcp N RATE SEED: perfdhcp as a relay at the client port's
# address, N clients at RATE/s (random MACs from SEED), its uniqueness
# check on; fails unless at least 90% of the exchanges got an ACK and it
# saw no address given twice.  HA_PERF_ACKS: the ACKs it got.
ha_perfdhcp() {
	local out="$NT_TMP/perfdhcp.out" rc nonuniq
	NT_STEP=60 nt_cli /usr/sbin/perfdhcp -4 -l "$HA_VC" -r "$2" -n "$1" -p $(($1 / $2 + 20)) \
		-R 16000000 -s "$3" -u -W 2000000 -x e >"$out" 2>&1
	rc=$?
	case $rc in
	0 | 3) ;;   # 3: packets were dropped; judged below
	*) cat "$out" >&2; nt_fail "perfdhcp exit status $rc" ;;
	esac
	grep -q '^non unique addresses:' "$out" || nt_fail "perfdhcp printed no uniqueness count"
	HA_PERF_ACKS=$(awk '/^received packets:/ { r[++n] = $3 } END { print r[2] + 0 }' "$out")
	nonuniq=$(awk '/^non unique addresses:/ { n += $4 } END { print n + 0 }' "$out")
	[ "$HA_PERF_ACKS" -ge $(($1 * 9 / 10)) ] ||
		nt_fail "perfdhcp: only $HA_PERF_ACKS of $1 exchanges got an ACK"
	[ "$nonuniq" = 0 ] || nt_fail "perfdhcp saw $nonuniq non-unique addresses"
}
