#!/bin/bash
# The Redis lease store end to end (docs/redis-notes.md's keys, a private
# redis-server started here, key prefix "site1"):
#  - DORA clients (scapy) and SARR clients (DHCPv6, IA_NA) get leases in
#    commit mode; every ACKed / REPLYed (client, address) is then a hash
#    site1:lease4:<addr> / site1:lease6:<addr> with that client's hwaddr /
#    duid, its subnet, lifetime and expire (and expire4's score), and the
#    stat counters equal a count over the hashes;
#  - the statistics come from the shared counters: a lease another server
#    wrote (a hash, its expire4 entry and its counter, as redis-notes.md
#    says) counts in subnet[1].assigned-addresses and stat-lease4-get;
#    stat-lease6-get counts the IA_NA hashes;
#  - a restarted server loads every lease from Redis: lease4-get-all and
#    lease6-get-all list them, the same clients get the same addresses;
#  - a DHCPRELEASE deletes the hash (and its expire4 entry) and the
#    counter goes down by one; lease4-del likewise;
#  - Redis killed (SIGKILL) and started again from its append-only file
#    keeps every lease and counter, and the server writes to it again;
#  - no key is written outside the prefix.
# Redis and the server are stopped by pid, pass or fail.
# Usage: redis_leases.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
. "$(dirname "$0")/../../scripts/redistest.sh"
nt6_init "$@"
nt_need jq
redis_start
P=site1:
NT_LEASE_DB="$(redis_lease_db site1) reconnect-wait-time = 300;"
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); }'
nt_server_conf
nt_server_check
nt_server_start

N=12
N6=6
VALID=600               # NT_VALID's default
FOREIGN="198.18.0.190 0a:ab:bc:cd:de:ef"   # another server's lease, in the pool
ctl() { nt_ctl_raw "$SOCK" "$1" || nt_fail "control command $1"; }
ctl_stat() {
	ctl "{\"command\": \"statistic-get\", \"arguments\": {\"name\": \"$1\"}}" |
		jq -r --arg n "$1" '.arguments[$n][0][0] // 0'
}
# the column COL of the first row of a stat-lease4-get / stat-lease6-get answer
stat_lease() {
	ctl "{\"command\": \"$1\", \"arguments\": {\"subnet-id\": 1}}" |
		jq -r --arg c "$2" '.arguments["result-set"] as $r | ($r.columns | index($c)) as $i |
			$r.rows[0][$i]'
}
counter() { v=$(redis_cli GET "$1"); echo "${v:-0}"; }
# every stat counter under the prefix, "key value", sorted
counters() {
	redis_cli --raw EVAL 'local o = {} for _, k in ipairs(redis.call("KEYS", ARGV[1] .. "stat*")) do
		o[#o + 1] = k .. " " .. redis.call("GET", k) end return o' 0 $P | sort
}
# subnet 1's valid v4 hashes but the foreign one, "mac address", sorted
ours4() { redis_leases4 $P 1 | grep -v "^${FOREIGN#* } "; }

nt_dora --count $N --mac-base 02:00:00:00:30:00 >"$NT_TMP/dora1.txt" || nt_fail "DORA"
awk '{ print $1, $2 }' "$NT_TMP/dora1.txt" | sort >"$NT_TMP/acked.txt"
[ "$(wc -l <"$NT_TMP/acked.txt")" = $N ] || nt_fail "not $N ACKs"
redis_leases4 $P 1 >"$NT_TMP/db1.txt"
diff "$NT_TMP/acked.txt" "$NT_TMP/db1.txt" >&2 || nt_fail "the lease4 hashes differ from the ACKs"
now=$(date +%s)
while read -r _ addr; do
	k="${P}lease4:$addr"
	[ "$(redis_cli HGET "$k" valid_lifetime)" = $VALID ] || nt_fail "$k: valid_lifetime is not $VALID"
	[ "$(redis_cli HGET "$k" subnet_id)" = 1 ] || nt_fail "$k: subnet_id is not 1"
	ex=$(redis_cli HGET "$k" expire)
	[ "$ex" -gt $((now + VALID - 60)) ] && [ "$ex" -le $((now + VALID + 5)) ] ||
		nt_fail "$k: expire $ex is not about now + $VALID ($((now + VALID)))"
	[ "$(redis_cli ZSCORE "${P}expire4" "$addr")" = "$ex" ] ||
		nt_fail "${P}expire4's score of $addr is not the hash's expire $ex"
done <"$NT_TMP/acked.txt"
[ "$(counter "${P}stat4:1:0")" = $N ] || nt_fail "${P}stat4:1:0 is $(counter "${P}stat4:1:0"), not $N"
nt_log "$N DHCPv4 leases are hashes of ${P}lease4 (hwaddr, subnet, expire, expire4, stat4)"

nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count $N6 --mac-base 02:00:00:00:40:00 \
	>"$NT_TMP/sarr.txt" || nt_fail "SARR"
awk '{ print $1, $2 }' "$NT_TMP/sarr.txt" | sort >"$NT_TMP/replied6.txt"
[ "$(wc -l <"$NT_TMP/replied6.txt")" = $N6 ] || nt_fail "not $N6 REPLYs"
redis_leases6 $P >"$NT_TMP/db6.txt"
diff "$NT_TMP/replied6.txt" "$NT_TMP/db6.txt" >&2 || nt_fail "the lease6 hashes differ from the REPLYs"
while read -r _ addr; do
	k="${P}lease6:$addr"
	[ "$(redis_cli HGET "$k" subnet_id)" = 1 ] && [ "$(redis_cli HGET "$k" iaid)" = 1 ] &&
		[ "$(redis_cli HGET "$k" prefix_len)" = 128 ] || nt_fail "$k: subnet_id, iaid or prefix_len"
done <"$NT_TMP/replied6.txt"
[ "$(counter "${P}stat6:1:0:0")" = $N6 ] || nt_fail "${P}stat6:1:0:0 is not $N6"
nt_log "$N6 DHCPv6 leases are hashes of ${P}lease6 (duid, iaid, subnet, stat6)"

# Another server's lease, written straight into the shared store.
[ "$(echo "$FOREIGN" | redis_put4 $P 1 3600)" = 1 ] || nt_fail "the foreign lease"
want=$(redis_leases4 $P 1 | wc -l)
[ "$want" = $((N + 1)) ] || nt_fail "the hashes hold $want valid leases, expected $((N + 1))"
[ "$(counter "${P}stat4:1:0")" = "$want" ] || nt_fail "${P}stat4:1:0 is not the hashes' $want"
sleep 0.3	# the server reads the counters at most every 200 ms
got=$(ctl_stat "subnet[1].assigned-addresses")
[ "$got" = "$want" ] || nt_fail "subnet[1].assigned-addresses is $got, the hashes say $want"
got=$(stat_lease stat-lease4-get assigned-addresses)
[ "$got" = "$want" ] || nt_fail "stat-lease4-get assigned-addresses is $got, expected $want"
got=$(stat_lease stat-lease6-get assigned-nas)
[ "$got" = $N6 ] || nt_fail "stat-lease6-get assigned-nas is $got, expected $N6"
nt_log "statistics count every server's leases: $want assigned (one written by redis-cli)"

nt_server_stop
rc=$?
[ "$rc" = 0 ] || nt_fail "server exit status $rc after SIGTERM"
nt_server_start
ctl '{"command": "lease4-get-all", "arguments": {"subnets": [1]}}' >"$NT_TMP/all.json"
jq -r '.arguments.leases[] | "\(.["hw-address"]) \(.["ip-address"])"' "$NT_TMP/all.json" |
	sort >"$NT_TMP/loaded.txt"
diff <(sort "$NT_TMP/acked.txt" <(echo "$FOREIGN" | awk '{ print $2, $1 }') | sort) \
	"$NT_TMP/loaded.txt" >&2 || nt_fail "the restarted server did not load every lease4 hash"
ctl '{"command": "lease6-get-all"}' >"$NT_TMP/all6.json"
jq -r '.arguments.leases[] | "\(.duid) \(.["ip-address"])"' "$NT_TMP/all6.json" | sort \
	>"$NT_TMP/loaded6.txt"
diff "$NT_TMP/replied6.txt" "$NT_TMP/loaded6.txt" >&2 ||
	nt_fail "the restarted server did not load the $N6 lease6 hashes"
nt_dora --count $N --mac-base 02:00:00:00:30:00 >"$NT_TMP/dora2.txt" || nt_fail "DORA after restart"
diff "$NT_TMP/acked.txt" <(awk '{ print $1, $2 }' "$NT_TMP/dora2.txt" | sort) >&2 ||
	nt_fail "clients got other addresses after the restart"
[ "$(counter "${P}stat4:1:0")" = $((N + 1)) ] || nt_fail "renewals moved ${P}stat4:1:0"
nt_log "restart: every lease loaded from Redis, same addresses again"

# A DHCPRELEASE (unicast to the server, as a client in BOUND sends it)
# deletes the hash, its expire4 entry and one count.
read -r rmac raddr <"$NT_TMP/acked.txt"
smac=$(tail -1 "$NT_TMP/arp.out")
# (a file: nt_cli runs its command in the background, with no stdin)
cat >"$NT_TMP/release.py" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp
iface, smac, mac, addr, server = sys.argv[1:6]
ch = bytes.fromhex(mac.replace(":", ""))
sendp(Ether(dst=smac, src=mac) / IP(src=addr, dst=server) / UDP(sport=68, dport=67) /
      BOOTP(op=1, xid=0x5eed, ciaddr=addr, chaddr=ch + b"\0" * 10) /
      DHCP(options=[("message-type", "release"), ("server_id", server), "end"]),
      iface=iface, verbose=False)
PY
nt_cli "$NT_PY" "$NT_TMP/release.py" "$NT_VC" "$smac" "$rmac" "$raddr" "$NT_SERVER_IP" ||
	nt_fail "DHCPRELEASE"
gone() { [ "$(redis_cli EXISTS "${P}lease4:$1")" = 0 ]; }
nt_wait_for 10 "the hash of $raddr to go" gone "$raddr"
[ -z "$(redis_cli ZSCORE "${P}expire4" "$raddr")" ] || nt_fail "$raddr is still in ${P}expire4"
[ "$(counter "${P}stat4:1:0")" = "$N" ] || nt_fail "${P}stat4:1:0 is not $N after the RELEASE"
[ "$(ctl_stat pkt4-release-received)" = 1 ] || nt_fail "pkt4-release-received is not 1"
# lease4-del, the control path, likewise
daddr=$(awk 'NR == 2 { print $2 }' "$NT_TMP/acked.txt")
ctl "{\"command\": \"lease4-del\", \"arguments\": {\"ip-address\": \"$daddr\"}}" >"$NT_TMP/del.json"
[ "$(jq -r .result "$NT_TMP/del.json")" = 0 ] || nt_fail "lease4-del $daddr"
nt_wait_for 10 "the hash of $daddr to go" gone "$daddr"
[ "$(counter "${P}stat4:1:0")" = $((N - 1)) ] || nt_fail "${P}stat4:1:0 is not $((N - 1)) after lease4-del"
[ "$(ours4 | wc -l)" = $((N - 2)) ] || nt_fail "RELEASE and lease4-del removed more than their hashes"
sleep 0.3
[ "$(ctl_stat "subnet[1].assigned-addresses")" = $((N - 1)) ] ||
	nt_fail "subnet[1].assigned-addresses is not $((N - 1)) after RELEASE and lease4-del"
nt_log "RELEASE and lease4-del delete the hash, its expire4 entry and one count each"

# Redis killed and started again from its append-only file.
redis_leases4 $P >"$NT_TMP/before4.txt"
redis_leases6 $P >"$NT_TMP/before6.txt"
counters >"$NT_TMP/counters1.txt"
redis_crash
redis_restart
diff "$NT_TMP/before4.txt" <(redis_leases4 $P) >&2 || nt_fail "v4 leases lost in Redis's restart"
diff "$NT_TMP/before6.txt" <(redis_leases6 $P) >&2 || nt_fail "v6 leases lost in Redis's restart"
counters >"$NT_TMP/counters2.txt"
diff "$NT_TMP/counters1.txt" "$NT_TMP/counters2.txt" >&2 || nt_fail "counters changed in Redis's restart"
connected() { [ "$(ctl_stat lease-db-connected)" = 1 ]; }
nt_wait_for 20 "the server to reconnect to Redis" connected
nt_dora --count 1 --mac-base 02:00:00:00:50:00 >"$NT_TMP/dora3.txt" || nt_fail "DORA after Redis's restart"
read -r nmac naddr _ <"$NT_TMP/dora3.txt"
redis_leases4 $P 1 | grep -qx "$nmac $naddr" || nt_fail "the lease given after Redis's restart is not a hash"
nt_log "Redis restarted from its AOF: every lease and counter kept, $nmac $naddr written after"

# Every key the server wrote is under its prefix.
[ "$(redis_cli GET "${P}peregrine:schema")" = 1 ] || nt_fail "${P}peregrine:schema is not 1"
redis_cli --scan >"$NT_TMP/keys.txt" || nt_fail "SCAN"
grep -v "^$P" "$NT_TMP/keys.txt" >&2 && nt_fail "keys outside the prefix $P"
nt_log "$(wc -l <"$NT_TMP/keys.txt") keys, every one under $P"
exit 0
