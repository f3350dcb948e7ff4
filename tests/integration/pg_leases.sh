#!/bin/bash
# The PostgreSQL lease store end to end, on Kea 2.2's schema (a private
# PostgreSQL started here, `kea-admin db-init pgsql`):
#  - DORA clients (scapy) and SARR clients (DHCPv6, IA_NA) get leases in
#    commit mode; every ACKed / REPLYed (client, address) is then a row of
#    lease4 / lease6 as Kea reads it (address encodings, hwaddr, DUID);
#  - the statistics come from the database's stat tables: a lease another
#    server wrote (inserted here by SQL) counts in
#    subnet[1].assigned-addresses and stat-lease4-get, and the values
#    equal SELECT count(*) over the valid leases;
#  - a restarted server loads every lease from the database: the same
#    clients get the same addresses, lease4-get-all lists them all;
#  - a RELEASE deletes the row.
# PostgreSQL and the server are stopped by pid, pass or fail.
# Usage: pg_leases.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt6_init "$@"
nt_need jq
pg_start
pg_kea_init
NT_LEASE_DB=$(pg_lease_db)
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
ctl() { nt_ctl_raw "$SOCK" "$1" || nt_fail "control command $1"; }
# lease4 as Kea reads it: "mac address" per valid lease, sorted
db_leases4() {
	pg_psql "SELECT regexp_replace(encode(hwaddr, 'hex'), '(..)(?!$)', '\\1:', 'g'),
		'0.0.0.0'::inet + address FROM lease4
		WHERE state = 0 AND expire > now() AND subnet_id = 1 ORDER BY 1" | tr '|' ' '
}

nt_dora --count $N --mac-base 02:00:00:00:30:00 >"$NT_TMP/dora1.txt" || nt_fail "DORA"
awk '{ print $1, $2 }' "$NT_TMP/dora1.txt" | sort >"$NT_TMP/acked.txt"
[ "$(wc -l <"$NT_TMP/acked.txt")" = $N ] || nt_fail "not $N ACKs"
db_leases4 >"$NT_TMP/db1.txt"
diff "$NT_TMP/acked.txt" "$NT_TMP/db1.txt" >&2 || nt_fail "lease4 rows differ from the ACKs"
nt_log "$N DHCPv4 leases are rows of lease4"

nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count $N6 --mac-base 02:00:00:00:40:00 \
	>"$NT_TMP/sarr.txt" || nt_fail "SARR"
awk '{ print $1, $2 }' "$NT_TMP/sarr.txt" | sort >"$NT_TMP/replied6.txt"
pg_psql "SELECT regexp_replace(encode(duid, 'hex'), '(..)(?!$)', '\\1:', 'g'), address
	FROM lease6 WHERE state = 0 AND lease_type = 0 AND prefix_len = 128 AND subnet_id = 1
	ORDER BY 1" | tr '|' ' ' >"$NT_TMP/db6.txt"
diff "$NT_TMP/replied6.txt" "$NT_TMP/db6.txt" >&2 || nt_fail "lease6 rows differ from the REPLYs"
nt_log "$N6 DHCPv6 leases are rows of lease6"

# Another server's lease, written straight into the shared database.
pg_psql "INSERT INTO lease4(address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
	fqdn_fwd, fqdn_rev, hostname, state, user_context)
	VALUES ('198.18.0.250'::inet - '0.0.0.0'::inet, '\\x0aabbccddeef', NULL, 3600,
	now() + interval '3600 seconds', 1, false, false, '', 0, NULL)" >/dev/null ||
	nt_fail "foreign lease insert"
want=$(pg_psql "SELECT count(*) FROM lease4 WHERE subnet_id = 1 AND state = 0 AND expire > now()")
[ "$want" = $((N + 1)) ] || nt_fail "SELECT count(*) is $want, expected $((N + 1))"
sleep 0.3	# the server reads the counts at most every 200 ms
ctl '{"command": "statistic-get", "arguments": {"name": "subnet[1].assigned-addresses"}}' \
	>"$NT_TMP/stat.json"
got=$(jq -r '.arguments["subnet[1].assigned-addresses"][0][0]' "$NT_TMP/stat.json")
[ "$got" = "$want" ] || nt_fail "subnet[1].assigned-addresses is $got, SELECT count(*) says $want"
ctl '{"command": "stat-lease4-get", "arguments": {"subnet-id": 1}}' >"$NT_TMP/sl4.json"
got=$(jq -r '.arguments["result-set"] as $r | ($r.columns | index("assigned-addresses")) as $i |
	$r.rows[0][$i]' "$NT_TMP/sl4.json")
[ "$got" = "$want" ] || nt_fail "stat-lease4-get assigned-addresses is $got, expected $want"
ctl '{"command": "stat-lease6-get", "arguments": {"subnet-id": 1}}' >"$NT_TMP/sl6.json"
got=$(jq -r '.arguments["result-set"] as $r | ($r.columns | index("assigned-nas")) as $i |
	$r.rows[0][$i]' "$NT_TMP/sl6.json")
[ "$got" = $N6 ] || nt_fail "stat-lease6-get assigned-nas is $got, expected $N6"
nt_log "statistics count every server's leases: $want assigned (one written by SQL)"

nt_server_stop
rc=$?
[ "$rc" = 0 ] || nt_fail "server exit status $rc after SIGTERM"
nt_server_start
ctl '{"command": "lease4-get-all", "arguments": {"subnets": [1]}}' >"$NT_TMP/all.json"
jq -r '.arguments.leases[] | "\(.["hw-address"]) \(.["ip-address"])"' "$NT_TMP/all.json" |
	grep -v '^0a:ab:bc:cd:de:ef ' | sort >"$NT_TMP/loaded.txt"
diff "$NT_TMP/acked.txt" "$NT_TMP/loaded.txt" >&2 ||
	nt_fail "the restarted server did not load every lease from lease4"
ctl '{"command": "lease6-get-all"}' >"$NT_TMP/all6.json"
[ "$(jq '.arguments.leases | length' "$NT_TMP/all6.json")" = $N6 ] ||
	nt_fail "the restarted server did not load the $N6 lease6 rows"
nt_dora --count $N --mac-base 02:00:00:00:30:00 >"$NT_TMP/dora2.txt" || nt_fail "DORA after restart"
diff "$NT_TMP/acked.txt" <(awk '{ print $1, $2 }' "$NT_TMP/dora2.txt" | sort) >&2 ||
	nt_fail "clients got other addresses after the restart"
nt_log "restart: every lease loaded from the database, same addresses again"

# A RELEASE removes the row (lease4-del, the control path, likewise).
addr=$(awk 'NR == 1 { print $2 }' "$NT_TMP/acked.txt")
ctl "{\"command\": \"lease4-del\", \"arguments\": {\"ip-address\": \"$addr\"}}" >"$NT_TMP/del.json"
[ "$(jq -r .result "$NT_TMP/del.json")" = 0 ] || nt_fail "lease4-del $addr"
row_gone() { [ "$(pg_psql "SELECT count(*) FROM lease4
	WHERE address = '$addr'::inet - '0.0.0.0'::inet")" = 0 ]; }
nt_wait_for 10 "the row of $addr to go" row_gone
[ "$(db_leases4 | grep -vc '^0a:ab:bc:cd:de:ef ')" = $((N - 1)) ] ||
	nt_fail "lease4-del removed more than its row"
exit 0
