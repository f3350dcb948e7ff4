#!/bin/bash
# Host reservations from Kea 2.2's PostgreSQL tables (a private PostgreSQL
# started here, `kea-admin db-init pgsql`), and Kea's host_cmds commands:
#  (a) rows inserted by SQL as Kea's pgsql host data source writes them
#      are honoured at start: the client gets the reserved address and
#      the reserved routers option; a row the file also reserves loses to
#      the file; rows that do not fit are left out with a warning naming
#      their host_id, and the server runs (dhcp_identifier_type has a
#      foreign key to host_identifier_type: an unknown type cannot be
#      written);
#  (b) reservation-add writes the row as Kea would (other family's subnet
#      NULL, '' and 0 for what is not reserved, the option with scope 3)
#      and the next DORA of that client gets the address;
#      reservation-get / -get-all / -get-page answer in Kea's shape; an
#      add of an address another reservation holds is refused;
#      reservation-del deletes the row and the client gets a pool address;
#  (c) a row changed by SQL is picked up by the refresh (refresh-interval 1);
#  (d) DHCPv6: a duid reservation's address from ipv6_reservations.
# PostgreSQL and the server are stopped by pid, pass or fail.
# Usage: pg_hosts.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt6_init "$@"
nt_need jq
pg_start
pg_kea_init
nt_topology
SOCK="$NT_TMP/ctl.sock"

# ip2int A.B.C.D: the address as Kea's hosts.ipv4_address (bigint)
ip2int() { local IFS=.; set -- $1; echo $(( ($1 << 24) + ($2 << 16) + ($3 << 8) + $4 )); }
# host MAC SUBNET ADDRESS: a DHCPv4 hosts row as Kea 2.2 inserts it; its host_id
host4() {
	pg_psql "INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id,
		dhcp6_subnet_id, ipv4_address, hostname, dhcp4_client_classes,
		dhcp6_client_classes, user_context, dhcp4_next_server, dhcp4_server_hostname,
		dhcp4_boot_file_name, auth_key)
		VALUES (decode('$(echo "$1" | tr -d :)', 'hex'), 0, $2, NULL, $3, '', '', '',
		NULL, 0, '', '', NULL) RETURNING host_id"
}

# (a) before the server starts
MAC_A=02:00:00:00:aa:01 MAC_B=02:00:00:00:aa:02 MAC_F=02:00:00:00:aa:03
ID_A=$(host4 $MAC_A 1 "$(ip2int 198.18.0.50)") || nt_fail "insert host A"
pg_psql "INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent,
	user_context, host_id, scope_id) VALUES (3, NULL, '198.18.0.77', 'dhcp4', false,
	NULL, $ID_A, 3)" >/dev/null || nt_fail "insert option"
ID_F=$(host4 $MAC_F 1 "$(ip2int 198.18.0.61)") || nt_fail "insert host F"
ID_BAD1=$(pg_psql "INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id,
	ipv4_address) VALUES ('', 0, 1, 0) RETURNING host_id") || nt_fail "insert"
ID_BAD2=$(host4 02:00:00:00:aa:09 1 "$(ip2int 10.0.0.5)") || nt_fail "insert"
ID_BAD3=$(pg_psql "INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id,
	ipv4_address) VALUES ('\\x01', 3, 1, 0) RETURNING host_id") || nt_fail "insert"
ID_BAD4=$(host4 02:00:00:00:aa:0b 1 0) || nt_fail "insert"
pg_psql "INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent,
	user_context, host_id, scope_id) VALUES (222, NULL, 'no such option', 'dhcp4', false,
	NULL, $ID_BAD4, 3)" >/dev/null || nt_fail "insert option"
# (d) a DHCPv6 host: duid of pgtest.py's sarr6 for MAC 02:00:00:00:66:01
ID_6=$(pg_psql "INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id,
	dhcp6_subnet_id, ipv4_address, hostname, dhcp4_client_classes, dhcp6_client_classes,
	user_context, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
	VALUES ('\\x00030001020000006601', 1, NULL, 1, 0, '', '', '', NULL, 0, '', '', NULL)
	RETURNING host_id") || nt_fail "insert v6 host"
pg_psql "INSERT INTO ipv6_reservations(address, prefix_len, type, dhcp6_iaid, host_id)
	VALUES ('2001:db8:1::77', 128, 0, NULL, $ID_6)" >/dev/null || nt_fail "insert v6 resv"

NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
hosts-database = { type = \"postgresql\"; name = \"$PG_DB\"; host = \"$PG_SOCK\";
	port = $PG_PORT; user = \"$PG_USER\"; password = \"$PG_PASS\"; refresh-interval = 1; };"
NT_SUBNET_EXTRA="reservations = ( { hw-address = \"$MAC_F\"; ip-address = \"198.18.0.60\"; } );"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); }'
nt_server_conf
nt_server_check
nt_server_start
LOG="$NT_TMP/server1.log"

ctl() { nt_ctl_raw "$SOCK" "$1" >"$NT_TMP/ctl.out" || nt_fail "control command $1"; cat "$NT_TMP/ctl.out"; }
# dora MAC: "address routers" of one DORA
dora() { nt_dora --mac "$1" | awk '{ print $2, $3 }'; }
expect() { [ "$2" = "$3" ] || nt_fail "$1: got '$2', expected '$3'"; }

expect "(a) reserved address and option from SQL" "$(dora $MAC_A)" "198.18.0.50 198.18.0.77"
expect "(a) the file's reservation wins" "$(dora $MAC_F)" "198.18.0.60 198.18.0.1"
for id in $ID_F $ID_BAD1 $ID_BAD2 $ID_BAD3 $ID_BAD4; do
	grep -q "host_id $id .*left out" "$LOG" || nt_fail "no warning naming host_id $id"
done
grep "left out" "$LOG" | sed 's/^/    /' >&2
nt_log "(a) SQL rows honoured at start, 5 bad or clashing rows left out with their host_id"

# (b) reservation-add
R=$(ctl '{ "command": "reservation-add", "arguments": { "reservation": { "subnet-id": 1,
	"hw-address": "'$MAC_B'", "ip-address": "198.18.0.51", "hostname": "bee",
	"option-data": [ { "name": "routers", "data": "198.18.0.78" } ] } } }')
expect "reservation-add" "$(jq -r .result <<<"$R") $(jq -r .text <<<"$R")" "0 Host added."
ROW=$(pg_psql "SELECT host_id, encode(dhcp_identifier, 'hex'), dhcp_identifier_type,
	dhcp4_subnet_id, coalesce(dhcp6_subnet_id::text, 'NULL'), ipv4_address, hostname,
	dhcp4_client_classes, dhcp6_client_classes, coalesce(user_context, 'NULL'),
	dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name,
	coalesce(auth_key, 'NULL') FROM hosts WHERE dhcp_identifier = '\\x02000000aa02'") ||
	nt_fail "reading the hosts row"
ID_B=${ROW%%|*}
expect "hosts row" "${ROW#*|}" "02000000aa02|0|1|NULL|$(ip2int 198.18.0.51)|bee|||NULL|0|||NULL"
expect "dhcp4_options row" "$(pg_psql "SELECT code, coalesce(encode(value, 'hex'), 'NULL'),
	formatted_value, space, persistent, scope_id FROM dhcp4_options WHERE host_id = $ID_B")" \
	"3|NULL|198.18.0.78|dhcp4|f|3"
expect "(b) DORA after reservation-add" "$(dora $MAC_B)" "198.18.0.51 198.18.0.78"
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_B'" } }')
expect "reservation-get" "$(jq -c '[.result, .text, .arguments["hw-address"],
	.arguments["ip-address"], .arguments.hostname, .arguments["subnet-id"],
	.arguments["option-data"][0].code, .arguments["next-server"]]' <<<"$R")" \
	'[0,"Host found.","02:00:00:00:aa:02","198.18.0.51","bee",1,3,"0.0.0.0"]'
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1, "ip-address": "198.18.0.50" } }')
expect "reservation-get by address" "$(jq -c '[.result, .arguments["hw-address"]]' <<<"$R")" \
	'[0,"02:00:00:00:aa:01"]'
R=$(ctl '{ "command": "reservation-get-all", "arguments": { "subnet-id": 1 } }')
expect "reservation-get-all" "$(jq -c '[.result, .text, [.arguments.hosts[]["ip-address"]]]' <<<"$R")" \
	'[0,"3 IPv4 host(s) found.",["198.18.0.60","198.18.0.50","198.18.0.51"]]'
R=$(ctl '{ "command": "reservation-get-page", "arguments": { "subnet-id": 1, "limit": 10 } }')
expect "reservation-get-page source 0" "$(jq -c '[.result, .arguments.count, .arguments.next]' <<<"$R")" \
	'[0,1,{"source-index":0,"from":1}]'
R=$(ctl '{ "command": "reservation-get-page", "arguments": { "subnet-id": 1, "limit": 1,
	"source-index": 0, "from": 1 } }')
expect "reservation-get-page moves to source 1" "$(jq -c '[.result, .arguments.count,
	.arguments.hosts[0]["ip-address"], .arguments.next]' <<<"$R")" \
	"[0,1,\"198.18.0.50\",{\"source-index\":1,\"from\":$ID_A}]"
R=$(ctl '{ "command": "reservation-get-page", "arguments": { "subnet-id": 1, "limit": 5,
	"source-index": 1, "from": '$ID_A' } }')
expect "reservation-get-page next" "$(jq -c '[.result, [.arguments.hosts[]["ip-address"]]]' <<<"$R")" \
	'[0,["198.18.0.51"]]'
R=$(ctl '{ "command": "reservation-add", "arguments": { "reservation": { "subnet-id": 1,
	"hw-address": "02:00:00:00:aa:05", "ip-address": "198.18.0.51" } } }')
[ "$(jq -r .result <<<"$R")" = 1 ] && grep -q "already reserved" <<<"$(jq -r .text <<<"$R")" ||
	nt_fail "a second reservation of 198.18.0.51 was not refused: $R"
[ "$(pg_psql "SELECT count(*) FROM hosts WHERE dhcp_identifier = '\\x02000000aa05'")" = 0 ] ||
	nt_fail "the refused reservation is in the database"
R=$(ctl '{ "command": "reservation-del", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_B'" } }')
expect "reservation-del" "$(jq -c '[.result, .text]' <<<"$R")" '[0,"Host deleted."]'
expect "rows of host B" "$(pg_psql "SELECT (SELECT count(*) FROM hosts WHERE host_id = $ID_B) +
	(SELECT count(*) FROM dhcp4_options WHERE host_id = $ID_B)")" 0
# The client's lease of 198.18.0.51 outlives the reservation (a reload
# keeps an orphaned lease until it ends): it is deleted first, as an
# operator would, so the next DORA shows what the reservation gave.
R=$(ctl '{ "command": "lease4-del", "arguments": { "ip-address": "198.18.0.51" } }')
[ "$(jq -r .result <<<"$R")" = 0 ] || nt_fail "lease4-del: $R"
A=$(dora $MAC_B)
case $A in 198.18.0.1[0-9][0-9]\ 198.18.0.1) ;; *) nt_fail "after reservation-del: '$A', expected a pool address" ;; esac
R=$(ctl '{ "command": "reservation-get", "arguments": { "subnet-id": 1,
	"identifier-type": "hw-address", "identifier": "'$MAC_B'" } }')
expect "reservation-get after del" "$(jq -c '[.result, .text]' <<<"$R")" '[3,"Host not found."]'
nt_log "(b) reservation-add/-get/-get-all/-get-page/-del, Kea's rows and answers; DORA follows at once"

# (c) a change by SQL, picked up by the refresh
pg_psql "UPDATE hosts SET ipv4_address = $(ip2int 198.18.0.52) WHERE host_id = $ID_A" >/dev/null
refreshed() { [ "$(dora $MAC_A)" = "198.18.0.52 198.18.0.77" ]; }
nt_wait_for 20 "the refresh to give $MAC_A 198.18.0.52" refreshed
grep -q "reservations changed, reloading" "$LOG" || nt_fail "no refresh in the log"
nt_log "(c) an UPDATE by SQL reached the clients through the refresh"

# (d) DHCPv6
R=$(nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count 1 --mac-base 02:00:00:00:66:01) ||
	nt_fail "SARR"
expect "(d) SARR of the reserved DUID" "$R" "00:03:00:01:02:00:00:00:66:01 2001:db8:1::77"
nt_log "(d) a DHCPv6 duid reservation's address from ipv6_reservations"

nt_alive "$NT_SRV_PID" || nt_fail "server died"
nt_server_stop || nt_fail "server exit status $?"
NT_RESULT=pass
