# shellcheck shell=bash
# Network-namespace test harness for Peregrine.  Source it from a bash test:
#
#   . "$SRCDIR/scripts/netns.sh"
#   nt_init "$@"                   # BUILDDIR [SERVER]: tmp dir, traps, tool checks
#   nt_topology                    # two namespaces joined by a veth pair
#   nt_server_conf; nt_server_start
#   ...
#
# Topology (every name carries the test's PID so parallel runs never meet):
#
#   netns pgt-<pid>-srv                 netns pgt-<pid>-cli
#     pgs<pid>  (server end)  <--veth-->  pgc<pid>  198.18.0.2/<plen>
#     no address for peregrine (its DPDK af_packet port answers ARP itself),
#     198.18.0.1/<plen> for kea-dhcp4
#
# Every process is started through nt_bg, which records its PID; the EXIT
# trap stops each of them by PID (TERM, then KILL after a grace period) and
# deletes the namespaces, whichever way the test ends.  Nothing is ever
# killed by name.  All DHCP traffic stays on the veth pair.
#
# Knobs (environment, read by nt_server_conf): SERVER=peregrine|kea,
# NT_PLEN (24), NT_SUBNET, NT_POOL, NT_VALID (600), NT_RENEW / NT_REBIND
# (unset = server default), NT_DURABILITY (commit), NT_KEEP=1 keeps $NT_TMP,
# NT_DEVICE=af_packet|af_xdp (the DPDK driver peregrine uses on its veth),
# NT_LCORES (EAL --lcores for peregrine; default "0,1" = one worker),
# NT_ADDRESS6 (peregrine: a global address6 "a/len" on its port, which it
# then answers neighbour solicitations for and sends relay replies from),
# NT_LEASE_DB (peregrine: the lease-database keys but durability, instead
# of the memfile ones; scripts/pgtest.sh's pg_lease_db gives PostgreSQL's).

NT_SKIP=77
NT_PIDS=()
NT_CLEANED=0
NT_NS_MADE=()

# Messages go to the test's own stderr, saved at nt_init, even when a trap
# runs inside a function whose stderr was redirected to a file.
nt_log() { printf '[%s %s] %s\n' "$(date +%T)" "${NT_NAME:-test}" "$*" >&"${NT_LOGFD:-2}"; }
nt_fail() { nt_log "FAIL: $*"; NT_RESULT=fail; exit 1; }
nt_skip() { nt_log "SKIP: $*"; NT_RESULT=skip; exit "$NT_SKIP"; }

# nt_init BUILDDIR [SERVER]: set names, make the tmp dir, install the cleanup trap and
# check the tools every test needs.  Skips (exit 77) when not root or when
# the chosen server is not there.
nt_init() {
	NT_BUILDDIR=$(cd "${1:-.}" 2>/dev/null && pwd) || nt_skip "no build dir '$1'"
	NT_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	NT_PY=/usr/bin/python3
	NT_HELPER="$NT_SRCDIR/tests/integration/pgtest.py"
	NT_NAME=${NT_NAME:-$(basename "$0" .sh)}
	SERVER=${2:-${SERVER:-peregrine}}
	NT_ID=$$
	NT_SRV="pgt-$NT_ID-srv"
	NT_CLI="pgt-$NT_ID-cli"
	NT_VS="pgs$NT_ID"
	NT_VC="pgc$NT_ID"
	NT_PLEN=${NT_PLEN:-24}
	NT_SERVER_IP=198.18.0.1
	NT_CLIENT_IP=198.18.0.2
	NT_DPDK_PREFIX="pg-test-$NT_ID"
	NT_RESULT=fail
	exec {NT_LOGFD}>&2

	trap 'nt_cleanup' EXIT
	trap 'nt_log "interrupted"; exit 130' INT
	trap 'nt_log "terminated"; exit 143' TERM

	[ "$(id -u)" = 0 ] || nt_skip "needs root (network namespaces)"
	command -v ip >/dev/null || nt_skip "no iproute2"
	command -v timeout >/dev/null || nt_skip "no timeout(1)"
	[ -x "$NT_PY" ] && "$NT_PY" -c 'import scapy' 2>/dev/null ||
		nt_skip "$NT_PY lacks scapy"
	case $SERVER in
	kea)
		NT_KEA=${NT_KEA:-/usr/sbin/kea-dhcp4}
		[ -x "$NT_KEA" ] || nt_skip "no $NT_KEA" ;;
	peregrine)
		NT_PEREGRINE="$NT_BUILDDIR/engine/dp/peregrine"
		[ -x "$NT_PEREGRINE" ] || nt_skip "no $NT_PEREGRINE (not built)" ;;
	*)
		nt_fail "SERVER must be kea or peregrine, not '$SERVER'" ;;
	esac
	NT_TMP=$(mktemp -d "/tmp/pgt-$NT_ID.XXXXXX") || nt_fail "mktemp"
	NT_LEASES="$NT_TMP/dhcp4.leases"
	NT_STATS="$NT_TMP/stats"
	nt_log "server=$SERVER tmp=$NT_TMP"
}

# nt_need TOOL...: skip unless every tool is on PATH (or an absolute path).
nt_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || nt_skip "needs $t"
	done
}

# nt_topology: create both namespaces and the veth pair between them.
nt_topology() {
	local ns
	for ns in "$NT_SRV" "$NT_CLI"; do
		# A PID reused after a SIGKILLed run may have left one behind.
		ip netns del "$ns" 2>/dev/null
		timeout 10 ip netns add "$ns" || nt_fail "ip netns add $ns"
		NT_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up || nt_fail "lo up in $ns"
	done
	timeout 10 ip link add "$NT_VS" netns "$NT_SRV" type veth \
		peer name "$NT_VC" netns "$NT_CLI" || nt_fail "veth pair"
	ip -n "$NT_SRV" link set "$NT_VS" up || nt_fail "server veth up"
	ip -n "$NT_CLI" addr add "$NT_CLIENT_IP/$NT_PLEN" dev "$NT_VC" || nt_fail "client addr"
	ip -n "$NT_CLI" link set "$NT_VC" up || nt_fail "client veth up"
	# Kea needs the kernel to own 198.18.0.1; peregrine must not have it,
	# or the server's kernel would answer with ICMP port unreachable.
	if [ "$SERVER" = kea ]; then
		ip -n "$NT_SRV" addr add "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" ||
			nt_fail "server addr"
	fi
	# IPv6 autoconfiguration noise is not wanted on the link.  The
	# server's kernel never does IPv6 on its veth (the DPDK port answers
	# neighbour discovery itself); NT_IPV6=1 keeps it in the client's
	# namespace for DHCPv6 clients, without router solicitations.
	ip netns exec "$NT_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	if [ "${NT_IPV6:-0}" = 1 ]; then
		ip netns exec "$NT_CLI" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf."$NT_VC".router_solicitations=0 \
			net.ipv6.conf."$NT_VC".accept_ra=0 2>/dev/null
	else
		ip netns exec "$NT_CLI" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	fi
	nt_wait_for 10 "veth carrier" nt_link_up
	[ "${NT_IPV6:-0}" = 1 ] && nt_wait_for 10 "the client's link-local address" nt_ll_ready
	NT_CLIENT_MAC=$(ip netns exec "$NT_CLI" cat "/sys/class/net/$NT_VC/address")
}

# The client's link-local address exists and finished duplicate address
# detection (dhclient -6 binds to it).
nt_ll_ready() {
	ip -n "$NT_CLI" -6 addr show dev "$NT_VC" scope link | grep -q inet6 &&
		! ip -n "$NT_CLI" -6 addr show dev "$NT_VC" tentative | grep -q inet6
}

nt_link_up() {
	ip -n "$NT_CLI" link show "$NT_VC" | grep -q 'state UP' &&
		ip -n "$NT_SRV" link show "$NT_VS" | grep -q 'state UP'
}

# nt_bg NAME NS CMD...: run CMD inside namespace NS in the background with
# its output in $NT_TMP/NAME.log.  `ip netns exec` execs the command, so the
# recorded PID is the command's own.  Sets NT_LAST_PID.
nt_bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$NT_TMP/$name.log" 2>&1 </dev/null &
	NT_LAST_PID=$!
	NT_PIDS+=("$NT_LAST_PID")
	nt_log "started $name (pid $NT_LAST_PID): $*"
}

# nt_alive PID: true while PID runs and is still a child of this shell (a
# zombie counts as gone; a PID reused by someone else is never ours).
nt_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# nt_wait_exit PID SECONDS: wait for PID to end; returns its exit status
# (children of this shell) or 255 if it is still running at the deadline.
nt_wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while nt_alive "$pid"; do
		[ "$SECONDS" -ge "$deadline" ] && return 255
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
}

# nt_stop PID [GRACE] [SIGNAL]: SIGNAL (TERM), then SIGKILL after GRACE
# seconds (5).  Returns the process's exit status.
nt_stop() {
	local pid=$1 grace=${2:-5} rc
	nt_alive "$pid" || { wait "$pid" 2>/dev/null; return; }
	kill -"${3:-TERM}" "$pid" 2>/dev/null
	nt_wait_exit "$pid" "$grace"
	rc=$?
	if [ "$rc" = 255 ] && nt_alive "$pid"; then
		nt_log "pid $pid ignored SIGTERM for ${grace}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		nt_wait_exit "$pid" 5
		rc=$?
	fi
	return "$rc"
}

# nt_wait_for SECONDS DESC CMD...: poll CMD every 0.1 s until it succeeds;
# fail the test at the deadline.
nt_wait_for() {
	local secs=$1 desc=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && nt_fail "timed out after ${secs}s waiting for $desc"
		sleep 0.1
	done
}

# nt_cleanup: the EXIT trap.  Signals every recorded process that is still
# ours, deletes the namespaces at once (meson follows its SIGTERM with a
# SIGKILL of the whole group half a second later), then waits for the
# processes and SIGKILLs stragglers; shows the logs on failure.
nt_cleanup() {
	local rc=$? pid f left deadline
	[ "$NT_CLEANED" = 1 ] && return
	NT_CLEANED=1
	trap '' INT TERM
	for pid in "${NT_PIDS[@]}"; do
		nt_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for f in "${NT_NS_MADE[@]}"; do
		ip netns del "$f" 2>/dev/null
	done
	deadline=$((SECONDS + 5))
	while :; do
		left=0
		for pid in "${NT_PIDS[@]}"; do
			nt_alive "$pid" && left=1
		done
		[ "$left" = 0 ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			for pid in "${NT_PIDS[@]}"; do
				nt_alive "$pid" || continue
				nt_log "pid $pid ignored SIGTERM, sending SIGKILL"
				kill -KILL "$pid" 2>/dev/null
			done
			break
		fi
		sleep 0.1
	done
	for pid in "${NT_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	[ -n "$NT_DPDK_PREFIX" ] && rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
	# a PostgreSQL from scripts/pgtest.sh, when the test sourced it
	declare -F pg_cleanup >/dev/null && pg_cleanup "$rc"
	# a redis-server from scripts/redistest.sh
	declare -F redis_cleanup >/dev/null && redis_cleanup "$rc"
	# the DPDK runtime files of HA pairs (scripts/hatest.sh): a server
	# killed with -9 leaves its own behind
	declare -F ha_cleanup >/dev/null && ha_cleanup "$rc"
	declare -F rad_cleanup >/dev/null && rad_cleanup "$rc" # FreeRADIUS of scripts/radtest.sh
	if [ "$rc" != 0 ] && [ "$rc" != "$NT_SKIP" ] && [ -d "$NT_TMP" ]; then
		for f in "$NT_TMP"/*.log; do
			[ -s "$f" ] || continue
			echo "----- $(basename "$f") (last 40 lines) -----"
			grep -v 'Reached max requests limit' "$f" | tail -n 40
		done >&"${NT_LOGFD:-2}"
	fi
	if [ -d "$NT_TMP" ] && [ "${NT_KEEP:-0}" != 1 ]; then
		rm -rf "$NT_TMP"
	elif [ -d "$NT_TMP" ]; then
		nt_log "kept $NT_TMP"
	fi
	case $rc in
	0) nt_log "PASS" ;;
	"$NT_SKIP") ;;
	*) nt_log "exit $rc" ;;
	esac
	exit "$rc"
}

# --- servers -----------------------------------------------------------------

# nt_server_conf: write the config of $SERVER to $NT_CONF from the knobs.
nt_server_conf() {
	local subnet=${NT_SUBNET:-198.18.0.0/$NT_PLEN}
	local pool=${NT_POOL:-198.18.0.100 - 198.18.0.199}
	local valid=${NT_VALID:-600}
	case $SERVER in
	peregrine) nt_peregrine_conf "$subnet" "$pool" "$valid" ;;
	kea) nt_kea_conf "$subnet" "$pool" "$valid" ;;
	esac
}

# Peregrine only: NT_EXTRA_CONF is appended at the top level (classes,
# global reservations...), NT_SUBNET_EXTRA goes inside subnet 1 and
# NT_POOL_EXTRA adds pool entries before the usual one ("{ pool = ...; }, ..."),
# so a class-restricted pool is tried first by its members.
nt_peregrine_conf() {
	local timers="" db="type = \"memfile\"; name = \"$NT_LEASES\"; lfc-interval = 0;"
	[ -n "${NT_LEASE_DB:-}" ] && db=$NT_LEASE_DB
	[ -n "$NT_RENEW" ] && timers+="renew-timer = $NT_RENEW;"$'\n'
	[ -n "$NT_REBIND" ] && timers+="rebind-timer = $NT_REBIND;"$'\n'
	NT_CONF="$NT_TMP/peregrine.conf"
	cat >"$NT_CONF" <<EOF
# generated by scripts/netns.sh for test $NT_NAME
dpdk = {
	lcores = "${NT_LCORES:-0,1}";
	file-prefix = "$NT_DPDK_PREFIX";
	no-huge = true;
	memory-mb = 256;
};
interfaces = (
	{ name = "eth0"; device = "net_${NT_DEVICE:-af_packet}0,iface=$NT_VS"; address = "$NT_SERVER_IP/$NT_PLEN";${NT_ADDRESS6:+ address6 = \"$NT_ADDRESS6\";} }
);
valid-lifetime = $3;
$timers
lease-database = {
	$db
	durability = "${NT_DURABILITY:-commit}";
};
subnet4 = (
	{
		id = 1;
		subnet = "$1";
		interface = "eth0";
		pools = ( ${NT_POOL_EXTRA:+$NT_POOL_EXTRA,
			}{ pool = "$2"; } );
		option-data = ( { name = "routers"; data = "$NT_SERVER_IP"; } );
		$NT_SUBNET_EXTRA
	}
);
$NT_EXTRA_CONF
EOF
}

nt_kea_conf() {
	local timers=""
	[ -n "$NT_RENEW" ] && timers+="\"renew-timer\": $NT_RENEW,"
	[ -n "$NT_REBIND" ] && timers+="\"rebind-timer\": $NT_REBIND,"
	NT_CONF="$NT_TMP/kea-dhcp4.json"
	NT_KEA_SOCK="$NT_TMP/kea.sock"
	cat >"$NT_CONF" <<EOF
{ "Dhcp4": {
	"interfaces-config": { "interfaces": [ "$NT_VS" ], "dhcp-socket-type": "raw" },
	"control-socket": { "socket-type": "unix", "socket-name": "$NT_KEA_SOCK" },
	"lease-database": { "type": "memfile", "persist": true,
		"name": "$NT_LEASES", "lfc-interval": 0 },
	"valid-lifetime": $3,
	$timers
	"subnet4": [ {
		"id": 1,
		"subnet": "$1",
		"pools": [ { "pool": "$2" } ],
		"option-data": [ { "name": "routers", "data": "$NT_SERVER_IP" } ]
	} ],
	"loggers": [ {
		"name": "kea-dhcp4",
		"output_options": [ { "output": "$NT_TMP/kea-dhcp4.out" } ],
		"severity": "INFO"
	} ]
} }
EOF
}

# nt_server_check: validate $NT_CONF with the server's own checker.
nt_server_check() {
	case $SERVER in
	peregrine) timeout 20 ip netns exec "$NT_SRV" "$NT_PEREGRINE" -t "$NT_CONF" ;;
	kea) timeout 20 ip netns exec "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" \
		KEA_PIDFILE_DIR="$NT_TMP" "$NT_KEA" -t "$NT_CONF" ;;
	esac >"$NT_TMP/check.log" 2>&1 || { cat "$NT_TMP/check.log" >&2; nt_fail "config check"; }
}

# nt_server_start: start $SERVER in the server namespace and wait (30 s at
# most) until it serves.  Sets NT_SRV_PID.
nt_server_start() {
	NT_SERVER_RUN=$((${NT_SERVER_RUN:-0} + 1))
	case $SERVER in
	peregrine)
		nt_bg "server$NT_SERVER_RUN" "$NT_SRV" \
			"$NT_PEREGRINE" -c "$NT_CONF" -s "$NT_STATS"
		NT_SRV_PID=$NT_LAST_PID
		# The DPDK port answers ARP for its address once it polls.
		# (A scapy probe: ping is not always installed.)
		nt_cli "$NT_PY" "$NT_HELPER" arp --iface "$NT_VC" --ip "$NT_SERVER_IP" \
			--src "$NT_CLIENT_IP" --timeout 30 >"$NT_TMP/arp.out" 2>&1 ||
			nt_fail "peregrine did not answer ARP within 30 s"
		nt_alive "$NT_SRV_PID" || nt_fail "server exited during start-up"
		nt_log "server MAC $(tail -1 "$NT_TMP/arp.out")" ;;
	kea)
		rm -f "$NT_KEA_SOCK"
		: >"$NT_TMP/kea-dhcp4.out"
		nt_bg "server$NT_SERVER_RUN" "$NT_SRV" env KEA_PIDFILE_DIR="$NT_TMP" \
			KEA_LOCKFILE_DIR="$NT_TMP" "$NT_KEA" -c "$NT_CONF"
		NT_SRV_PID=$NT_LAST_PID
		nt_wait_for 30 "kea-dhcp4 to start" nt_server_kea_ready ;;
	esac
	nt_log "$SERVER serving (pid $NT_SRV_PID)"
}

nt_server_kea_ready() {
	nt_alive "$NT_SRV_PID" || nt_fail "server exited during start-up"
	[ -S "$NT_KEA_SOCK" ] && grep -q DHCP4_STARTED "$NT_TMP/kea-dhcp4.out"
}

# nt_server_stop: SIGTERM the server; returns its exit status.
nt_server_stop() {
	nt_stop "$NT_SRV_PID" 15
}

# nt_server_stats [OUT]: write "name value" lines of the server's current
# statistics to OUT ($NT_TMP/stats.now).  Peregrine: SIGUSR1 and wait for
# its atomically renamed STATSFILE.  Kea: statistic-get-all on its socket.
nt_server_stats() {
	local out=${1:-$NT_TMP/stats.now}
	case $SERVER in
	peregrine)
		nt_alive "$NT_SRV_PID" || nt_fail "server not running for stats"
		rm -f "$NT_STATS"
		kill -USR1 "$NT_SRV_PID"
		nt_wait_for 10 "stats file after SIGUSR1" test -s "$NT_STATS"
		cp "$NT_STATS" "$out" ;;
	kea)
		timeout 10 "$NT_PY" "$NT_HELPER" kea-stats "$NT_KEA_SOCK" >"$out" ||
			nt_fail "kea statistic-get-all" ;;
	esac
}

# nt_stat NAME [FILE]: one value from a stats dump (0 when absent).
nt_stat() {
	awk -v n="$1" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }' \
		"${2:-$NT_TMP/stats.now}"
}

# nt_leases: the valid leases of the lease file, "address hwaddr client_id
# expire" per line (the last record of each address wins, as on load).
nt_leases() {
	timeout 20 "$NT_PY" "$NT_HELPER" leases "$NT_LEASES"
}

# nt_cli CMD...: run CMD in the client namespace, bounded by NT_STEP (60 s).
# It runs as a recorded background child that we wait for, so a signal to
# the test is handled at once instead of after the step.
nt_cli() {
	local pid
	timeout "${NT_STEP:-60}" ip netns exec "$NT_CLI" "$@" &
	pid=$!
	NT_PIDS+=("$pid")
	wait "$pid"
}

# nt_server_kill9: SIGKILL the server (crash tests).
nt_server_kill9() {
	nt_alive "$NT_SRV_PID" || nt_fail "server not running"
	kill -KILL "$NT_SRV_PID"
	nt_wait_exit "$NT_SRV_PID" 10
	[ "$?" = 255 ] && nt_fail "server survived SIGKILL"
	return 0
}

# nt_kill9_under_load PCAP FILTER FILE REGEX COUNT PERFDHCP-ARGS...: the
# crash tests' run.  tcpdump in the client namespace writes what FILTER
# takes to PCAP; perfdhcp runs with ARGS (which must bound it in time);
# once FILE holds COUNT lines matching REGEX the server gets SIGKILL, and
# a second later perfdhcp and tcpdump are stopped.
nt_kill9_under_load() {
	local pcap=$1 filter=$2 file=$3 re=$4 count=$5 tpid ppid
	shift 5
	# shellcheck disable=SC2086 # FILTER is tcpdump's words
	nt_bg tcpdump "$NT_CLI" "$(command -v tcpdump)" -i "$NT_VC" -n -U -s 0 -w "$pcap" $filter
	tpid=$NT_LAST_PID
	nt_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$NT_TMP/tcpdump.log"
	nt_bg perfdhcp "$NT_CLI" /usr/sbin/perfdhcp "$@"
	ppid=$NT_LAST_PID
	nt_wait_for 30 "$count leases written" nt_kill9_enough "$ppid" "$file" "$re" "$count"
	nt_server_kill9
	nt_log "server killed with SIGKILL mid-load"
	sleep 1
	nt_stop "$ppid" 5
	nt_stop "$tpid" 5
}

nt_kill9_enough() {
	nt_alive "$1" || nt_fail "perfdhcp ended early"
	[ "$(grep -c "$3" "$2" 2>/dev/null)" -ge "$4" ]
}

# nt_dora ARGS...: scapy DORA from the client namespace (see pgtest.py).
nt_dora() {
	nt_cli "$NT_PY" "$NT_HELPER" dora --iface "$NT_VC" "$@"
}

# nt_dhclient6_setup: an ISC dhclient -6 that configures nothing but
# records each event as a line "reason=... ip6=... prefix=... dns=...
# life=..." in $NT_DHC6_EV, asking for dns-servers; NT_DHC6 is its command
# line but the options of a run (-d, -1, -P, the interface) and a suffix
# for a second client's files (NT_DHC6_ID, default none).
nt_dhclient6_setup() {
	local id=${NT_DHC6_ID:-}
	NT_DHC6_EV="$NT_TMP/dhclient6.events"
	cat >"$NT_TMP/dhclient-script" <<EOS
#!/bin/sh
# Records what dhclient hands over; configures nothing.
echo "reason=\$reason ip6=\$new_ip6_address prefix=\$new_ip6_prefix dns=\$new_dhcp6_name_servers life=\$new_max_life" >>"$NT_DHC6_EV"
exit 0
EOS
	chmod +x "$NT_TMP/dhclient-script"
	cat >"$NT_TMP/dhclient6$id.conf" <<EOS
timeout 20;
retry 2;
request dhcp6.name-servers;
EOS
	NT_DHC6=(/usr/sbin/dhclient -6 -cf "$NT_TMP/dhclient6$id.conf" -lf "$NT_TMP/dhclient6$id.leases"
		-pf "$NT_TMP/dhclient6$id.pid" -sf "$NT_TMP/dhclient-script")
}

# nt_ctl_raw SOCKET REQUEST [SECONDS]: send one request over a control
# socket and print the answer (the server answers, then closes); bounded by
# SECONDS (default 30), the socket itself by 5 s less.
nt_ctl_raw() {
	local secs=${3:-30}
	timeout "$secs" "$NT_PY" - "$1" "$2" "$((secs - 5))" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(float(sys.argv[3]))
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
print(buf.decode())
PY
}
