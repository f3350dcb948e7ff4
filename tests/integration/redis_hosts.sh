#!/bin/bash
# Host reservations in Redis (hosts-database type "redis", the key scheme
# of docs/redis-hosts.md) and Kea's host_cmds commands, against a private
# redis-server (scripts/redistest.sh) reached on its unix socket, keys
# under the prefix "pfx:":
#  (a) a host whose address is outside its subnet (written by redis-cli
#      before the start) is left out with a warning naming its host id;
#  (b) reservation-add of a DHCPv4 host (hw-address, ip-address, routers)
#      writes the documented hash, index keys, id set and hosts-version,
#      and the next DORA of that client gets the address and the option;
#      reservation-add of a DHCPv6 host (duid, ip-addresses) and SARR;
#      reservation-get / -get-all / -del answer as for PostgreSQL;
#  (c) duplicates are refused: the same hw-address again (by the trial
#      merge) and the identifier of the left-out host (by the store's
#      unique index: "Database duplicate entry error"), nothing written;
#  (d) a host written by redis-cli exactly as the document says (MULTI:
#      hash, index keys, id set, INCR hosts-version) is served after the
#      refresh (refresh-interval 1) without a restart, while DORA keeps
#      answering; between changes the refresh reads only hosts-version
#      (no HGETALL); reservation-del by address deletes that host;
#  (e) a restarted server (readonly = true) loads the hosts from Redis,
#      and refuses reservation-add and -del.
# Redis and the server are stopped by pid, pass or fail.
# Usage: redis_hosts.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
. "$(dirname "$0")/../../scripts/redistest.sh"
nt6_init "$@"
nt_need jq
redis_start
nt_topology
SOCK="$NT_TMP/ctl.sock"
P=pfx:
rcli() { redis_cli "$@" || nt_fail "redis-cli $*"; }

# writer MAC SUBNET ADDRESS [ROUTER]: a DHCPv4 host written as a second
# writer would (docs/redis-hosts.md), in one MULTI; prints its id
writer() {
	local id hex
	id=$(rcli INCR ${P}host-next-id)
	hex=$(echo "$1" | tr -d :)
	timeout 20 redis-cli -s "$REDIS_SOCK" >"$NT_TMP/writer.out" <<EOF || nt_fail "writer"
MULTI
HSET ${P}host:$id identifier_type 0 identifier $hex dhcp4_subnet_id $2 ipv4_address $3 ${4:+opt4.0.code 3 opt4.0.space dhcp4 opt4.0.formatted $4 opt4.0.persistent 0}
SET ${P}host4-id:$2:0:$hex $id
SET ${P}host4-addr:$2:$3 $id
ZADD ${P}host-ids $id $id
INCR ${P}hosts-version
EXEC
EOF
	grep -q ERR "$NT_TMP/writer.out" && nt_fail "writer: $(cat "$NT_TMP/writer.out")"
	echo "$id"
}

# (a) before the server starts
MAC_A=02:00:00:00:aa:01 MAC_B=02:00:00:00:aa:02 MAC_C=02:00:00:00:aa:03 MAC_X=02:00:00:00:aa:09
ID_X=$(writer $MAC_X 1 10.0.0.5)
DUID=00:03:00:01:02:00:00:00:66:01      # pgtest.py sarr6's DUID-LL for MAC 02:00:00:00:66:01

conf() {
	NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
hosts-database = { type = \"redis\"; socket = \"$REDIS_SOCK\"; name = \"pfx\";
	refresh-interval = 1; $1 };"
	nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); }'
	nt_server_conf
	nt_server_check
}
conf ""
nt_server_start
LOG="$NT_TMP/server1.log"
grep -q "host_id $ID_X .*left out.*not inside subnet" "$LOG" ||
	nt_fail "no warning naming host_id $ID_X"
nt_log "(a) a host outside its subnet left out, with its host id"

ctl() { nt_ctl_raw "$SOCK" "$1" >"$NT_TMP/ctl.out" || nt_fail "control command $1"; cat "$NT_TMP/ctl.out"; }
dora() { nt_dora --mac "$1" | awk '{ print $2, $3 }'; }
sarr() {
	nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count 1 --mac-base 02:00:00:00:66:01 ||
		nt_fail "SARR"
}
expect() { [ "$2" = "$3" ] || nt_fail "$1: got '$2', expected '$3'"; }
add4() {
	local opt=""
	[ -n "${3:-}" ] && opt=', "option-data": [ { "name": "routers", "data": "'$3'" } ]'
	ctl '{ "command": "reservation-add", "arguments": { "reservation": { "subnet-id": 1,
		"hw-address": "'$1'", "ip-address": "'$2'"'"$opt"' } } }'
}
# the host id an index key points at
idx() { rcli GET "$P$1"; }

# (b) reservation-add, v4 and v6
V0=$(rcli GET ${P}hosts-version)
R=$(add4 $MAC_A 198.18.0.50 198.18.0.77)
expect "reservation-add A" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host added."]'
ID_A=$(idx host4-id:1:0:02000000aa01)
[ -n "$ID_A" ] || nt_fail "no index key host4-id:1:0:02000000aa01"
expect "address index of A" "$(idx host4-addr:1:198.18.0.50)" "$ID_A"
expect "host-ids holds A" "$(rcli ZSCORE ${P}host-ids "$ID_A")" "$ID_A"
expect "hosts-version bumped" "$(rcli GET ${P}hosts-version)" $((V0 + 1))
expect "hash of A" "$(rcli HGETALL ${P}host:$ID_A | paste -d= - - | sort | paste -sd' ')" \
	"dhcp4_subnet_id=1 identifier=02000000aa01 identifier_type=0 ipv4_address=198.18.0.50 opt4.0.code=3 opt4.0.formatted=198.18.0.77 opt4.0.persistent=0 opt4.0.space=dhcp4"
expect "(b) DORA after reservation-add" "$(dora $MAC_A)" "198.18.0.50 198.18.0.77"
R=$(add4 $MAC_B 198.18.0.51)
expect "reservation-add B" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host added."]'
ID_B=$(idx host4-id:1:0:02000000aa02)
R=$(ctl '{ "command": "reservation-add", "arguments": { "reservation": { "subnet-id": 1,
	"duid": "'$DUID'", "ip-addresses": [ "2001:db8:1::77" ] } } }')
expect "reservation-add v6" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host added."]'
ID_6=$(idx host6-id:1:1:00030001020000006601)
expect "v6 reservation fields" "$(rcli HMGET ${P}host:$ID_6 dhcp6_subnet_id dhcp4_subnet_id resv.0.address resv.0.prefix_len resv.0.type | paste -sd' ')" \
	"1  2001:db8:1::77 128 0"
expect "(b) SARR after reservation-add" "$(sarr)" "$DUID 2001:db8:1::77"
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_A'" } }')
expect "reservation-get" "$(jq -c '[.result, .text, .arguments["hw-address"],
	.arguments["ip-address"], .arguments["subnet-id"], .arguments["option-data"][0].code]' <<<"$R")" \
	'[0,"Host found.","02:00:00:00:aa:01","198.18.0.50",1,3]'
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1, "ip-address": "198.18.0.51" } }')
expect "reservation-get by address" "$(jq -c '[.result, .arguments["hw-address"]]' <<<"$R")" \
	'[0,"02:00:00:00:aa:02"]'
R=$(ctl '{ "command": "reservation-get-all", "arguments": { "subnet-id": 1 } }')
expect "reservation-get-all" "$(jq -c '[.result, .text, [.arguments.hosts[]["ip-address"]]]' <<<"$R")" \
	'[0,"2 IPv4 host(s) found.",["198.18.0.50","198.18.0.51"]]'
R=$(ctl '{ "command": "reservation-del", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_B'" } }')
expect "reservation-del" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host deleted."]'
expect "keys of B after del" "$(rcli EXISTS ${P}host:$ID_B ${P}host4-id:1:0:02000000aa02 \
	${P}host4-addr:1:198.18.0.51) $(rcli ZSCORE ${P}host-ids "$ID_B")" "0 "
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_B'" } }')
expect "reservation-get after del" "$(jq -c '[.result, .text]' <<<"$R")" '[3,"Host not found."]'
A=$(dora $MAC_B)
case $A in 198.18.0.1[0-9][0-9]\ 198.18.0.1) ;; *) nt_fail "after reservation-del: '$A', expected a pool address" ;; esac
nt_log "(b) reservation-add (v4, v6) / -get / -get-all / -del in the documented keys; DORA and SARR follow"

# (c) duplicates
V1=$(rcli GET ${P}hosts-version) N1=$(rcli ZCARD ${P}host-ids)
R=$(add4 $MAC_A 198.18.0.52)
[ "$(jq -r .result <<<"$R")" = 1 ] && grep -q "already reserved" <<<"$(jq -r .text <<<"$R")" ||
	nt_fail "a second reservation of $MAC_A was not refused: $R"
R=$(add4 $MAC_X 198.18.0.55)
[ "$(jq -r .result <<<"$R")" = 1 ] && grep -q "Database duplicate entry error" <<<"$(jq -r .text <<<"$R")" ||
	nt_fail "the store did not refuse $MAC_X, held by host $ID_X: $R"
expect "nothing written by refused adds" "$(rcli GET ${P}hosts-version) $(rcli ZCARD ${P}host-ids)" "$V1 $N1"
expect "X's index unchanged" "$(idx host4-id:1:0:02000000aa09)" "$ID_X"
nt_log "(c) duplicate identifier refused by the merge, and by the store's unique index"

# (d) a second writer, picked up by the refresh; cheap refreshes between
hget_calls() { rcli INFO commandstats | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p'; }
C0=$(hget_calls)
sleep 3
expect "HGETALL calls over 3 refreshes without a change" "$(hget_calls)" "$C0"
ID_C=$(writer $MAC_C 1 198.18.0.53 198.18.0.79)
SERVED=0
picked() {
	local a
	a=$(dora $MAC_C)
	[ -n "$a" ] || nt_fail "DORA of $MAC_C got no answer while the refresh ran"
	SERVED=$((SERVED + 1))
	[ "$a" = "198.18.0.53 198.18.0.79" ]
}
nt_wait_for 20 "the refresh to give $MAC_C 198.18.0.53" picked
grep -q "reservations changed, reloading" "$LOG" || nt_fail "no refresh in the log"
nt_alive "$NT_SRV_PID" || nt_fail "server died"
nt_log "(d) redis-cli's host $ID_C served after $SERVED DORA(s), each answered, no restart"
R=$(ctl '{ "command": "reservation-del", "arguments": { "subnet-id": 1, "ip-address": "198.18.0.53" } }')
expect "reservation-del by address" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host deleted."]'
expect "keys of C after del" "$(rcli EXISTS ${P}host:$ID_C ${P}host4-id:1:0:02000000aa03 \
	${P}host4-addr:1:198.18.0.53)" 0
nt_log "(d) reservation-del by address deleted the second writer's host and its index keys"

nt_server_stop || nt_fail "server exit status $?"

# (e) restart, readonly; without the lease files, so what the clients get
# comes from the reservations alone
rm -f "$NT_LEASES" "$LEASES6"
conf "readonly = true;"
nt_server_start
LOG="$NT_TMP/server2.log"
expect "(e) DORA after restart" "$(dora $MAC_A)" "198.18.0.50 198.18.0.77"
expect "(e) SARR after restart" "$(sarr)" "$DUID 2001:db8:1::77"
V2=$(rcli GET ${P}hosts-version)
R=$(add4 02:00:00:00:aa:04 198.18.0.54)
[ "$(jq -r .result <<<"$R")" = 1 ] && grep -q "read-only" <<<"$(jq -r .text <<<"$R")" ||
	nt_fail "readonly did not refuse reservation-add: $R"
R=$(ctl '{ "command": "reservation-del", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_A'" } }')
[ "$(jq -r .result <<<"$R")" = 1 ] && grep -q "read-only" <<<"$(jq -r .text <<<"$R")" ||
	nt_fail "readonly did not refuse reservation-del: $R"
expect "readonly wrote nothing" "$(rcli GET ${P}hosts-version) $(rcli EXISTS ${P}host:$ID_A)" "$V2 1"
nt_log "(e) a restarted server loads the hosts from Redis; readonly refuses add and del"

nt_alive "$NT_SRV_PID" || nt_fail "server died"
nt_server_stop || nt_fail "server exit status $?"
NT_RESULT=pass
