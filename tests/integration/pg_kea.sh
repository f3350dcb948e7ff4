#!/bin/bash
# Kea 2.2 and Peregrine on one PostgreSQL database, one after the other,
# as an operator migrating would run them (kea-admin db-init pgsql):
#  1. kea-dhcp4 (its PostgreSQL lease backend, lease_cmds) serves clients
#     A: their leases are Kea's rows in lease4.
#  2. Kea stops; Peregrine starts on the same database: it loads Kea's
#     rows (lease4-get-all lists A with Kea's hardware addresses and the
#     expiry of each row), gives A the same addresses again and new
#     clients B addresses no one holds.
#  3. Peregrine stops; Kea starts again: B gets from Kea the addresses
#     Peregrine gave (Kea reads Peregrine's rows), lease4-get over Kea's
#     socket shows Peregrine's hardware address, valid lifetime and
#     expiry, and new clients C get addresses outside A and B.
# Usage: pg_kea.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only (it runs kea-dhcp4 itself)"
KEA4=/usr/sbin/kea-dhcp4
LEASE_CMDS=/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so
nt_need "$KEA4" jq
[ -f "$LEASE_CMDS" ] || nt_skip "no $LEASE_CMDS"
pg_start
pg_kea_init
NT_LEASE_DB=$(pg_lease_db)
nt_topology
SOCK="$NT_TMP/ctl.sock"
KEA_SOCK="$NT_TMP/kea.sock"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };"
VALID=600

kea_start() {
	cat >"$NT_TMP/kea-dhcp4.json" <<EOF
{ "Dhcp4": {
	"interfaces-config": { "interfaces": [ "$NT_VS" ], "dhcp-socket-type": "raw" },
	"control-socket": { "socket-type": "unix", "socket-name": "$KEA_SOCK" },
	"lease-database": { "type": "postgresql", "name": "$PG_DB", "host": "$PG_SOCK",
		"port": $PG_PORT, "user": "$PG_USER", "password": "$PG_PASS" },
	"hooks-libraries": [ { "library": "$LEASE_CMDS" } ],
	"valid-lifetime": $VALID,
	"subnet4": [ { "id": 1, "subnet": "198.18.0.0/24",
		"pools": [ { "pool": "198.18.0.100 - 198.18.0.199" } ],
		"option-data": [ { "name": "routers", "data": "$NT_SERVER_IP" } ] } ],
	"loggers": [ { "name": "kea-dhcp4",
		"output_options": [ { "output": "$NT_TMP/kea-dhcp4.out" } ], "severity": "INFO" } ]
} }
EOF
	ip -n "$NT_SRV" addr add "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" || nt_fail "server addr"
	rm -f "$KEA_SOCK"
	: >"$NT_TMP/kea-dhcp4.out"
	nt_bg kea "$NT_SRV" env KEA_PIDFILE_DIR="$NT_TMP" KEA_LOCKFILE_DIR="$NT_TMP" \
		"$KEA4" -c "$NT_TMP/kea-dhcp4.json"
	KEA_PID=$NT_LAST_PID
	nt_wait_for 30 "kea-dhcp4 to start" kea_ready
	nt_log "kea-dhcp4 serving on PostgreSQL (pid $KEA_PID)"
}
kea_ready() {
	nt_alive "$KEA_PID" || { tail -20 "$NT_TMP/kea-dhcp4.out" >&2; nt_fail "kea-dhcp4 exited"; }
	[ -S "$KEA_SOCK" ] && grep -q DHCP4_STARTED "$NT_TMP/kea-dhcp4.out"
}
kea_stop() {
	nt_stop "$KEA_PID" 15
	ip -n "$NT_SRV" addr del "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" || nt_fail "server addr del"
}
# dora NAME BASE COUNT: DORA for COUNT clients from MAC BASE; "mac address" sorted in NAME.txt
dora() {
	nt_dora --count "$3" --mac-base "$2" >"$NT_TMP/$1.raw" || nt_fail "DORA $1"
	awk '{ print $1, $2 }' "$NT_TMP/$1.raw" | sort >"$NT_TMP/$1.txt"
	[ "$(wc -l <"$NT_TMP/$1.txt")" = "$3" ] || nt_fail "DORA $1: not $3 ACKs"
}
# rows: lease4 as "mac address expire" per valid lease
rows() {
	pg_psql "SELECT regexp_replace(encode(hwaddr, 'hex'), '(..)(?!$)', '\\1:', 'g'),
		'0.0.0.0'::inet + address, extract(epoch from expire)::bigint FROM lease4
		WHERE state = 0 AND expire > now() ORDER BY 1" | tr '|' ' '
}
disjoint() {
	[ -z "$(comm -12 <(awk '{ print $2 }' "$NT_TMP/$1.txt" | sort) \
		<(awk '{ print $2 }' "$NT_TMP/$2.txt" | sort))" ] ||
		nt_fail "clients $1 got addresses of clients $2"
}

# 1. Kea writes A's leases.
kea_start
dora A 02:00:00:00:50:00 8
rows >"$NT_TMP/rows1.txt"
diff "$NT_TMP/A.txt" <(awk '{ print $1, $2 }' "$NT_TMP/rows1.txt") >&2 ||
	nt_fail "Kea's lease4 rows are not A's ACKs"
kea_stop

# 2. Peregrine on Kea's rows.
nt_server_conf
nt_server_check
nt_server_start
nt_ctl_raw "$SOCK" '{"command": "lease4-get-all"}' >"$NT_TMP/all.json" || nt_fail "lease4-get-all"
jq -r '.arguments.leases[] | "\(.["hw-address"]) \(.["ip-address"]) \(.cltt + .["valid-lft"])"' \
	"$NT_TMP/all.json" | sort >"$NT_TMP/loaded.txt"
diff "$NT_TMP/rows1.txt" "$NT_TMP/loaded.txt" >&2 ||
	nt_fail "Peregrine did not load Kea's rows as they are (hw-address, address, expire)"
dora A2 02:00:00:00:50:00 8
diff "$NT_TMP/A.txt" "$NT_TMP/A2.txt" >&2 || nt_fail "A got other addresses from Peregrine"
dora B 02:00:00:00:60:00 8
disjoint B A
[ "$(rows | wc -l)" = 16 ] || nt_fail "lease4 does not hold A's and B's 16 leases"
nt_server_stop
rc=$?
[ "$rc" = 0 ] || nt_fail "peregrine exit status $rc"
rows >"$NT_TMP/rows2.txt"

# 3. Kea on Peregrine's rows.
kea_start
dora B2 02:00:00:00:60:00 8
diff "$NT_TMP/B.txt" "$NT_TMP/B2.txt" >&2 || nt_fail "Kea gave B other addresses than Peregrine"
read -r mac addr expire < <(grep -F "$(head -1 "$NT_TMP/B.txt")" "$NT_TMP/rows2.txt")
nt_ctl_raw "$KEA_SOCK" "{\"command\": \"lease4-get\", \"arguments\": {\"ip-address\": \"$addr\"}}" \
	>"$NT_TMP/kea-get.json" || nt_fail "kea lease4-get"
jq -e --arg m "$mac" --argjson v $VALID '.result == 0 and .arguments["hw-address"] == $m and
	.arguments["valid-lft"] == $v and .arguments.state == 0' "$NT_TMP/kea-get.json" >/dev/null ||
	{ cat "$NT_TMP/kea-get.json" >&2; nt_fail "Kea's lease4-get of Peregrine's lease $addr"; }
dora C 02:00:00:00:70:00 4
disjoint C A
disjoint C B
nt_log "Kea read Peregrine's leases (and Peregrine Kea's) on one database"
exit 0
