#!/bin/bash
# A PostgreSQL primary failover, followed by libpq (no code of ours picks
# the server): a primary and its streaming standby (pg_basebackup -R) run
# on one socket directory; Peregrine's lease-database lists both, the
# standby first (host = "S,S"; port = "STANDBY,PRIMARY"), and libpq's
# target_session_attrs=read-write makes it write to the primary.  Clients
# get leases (rows on the primary, replicated); the primary stops at once
# and the standby is promoted; Peregrine journals what it could not
# write, reconnects (now to the promoted standby) and replays; more
# clients get leases.  Every ACKed lease, before and after, is a row of
# the new primary.
# Usage: pg_failover.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
[ -x "$PG_BIN/pg_basebackup" ] || nt_skip "no $PG_BIN/pg_basebackup"
PG_DURABLE=1
pg_start
pg_kea_init
pg_standby_start
NT_LEASE_DB="type = \"postgresql\"; name = \"$PG_DB\"; host = \"$PG_SOCK,$PG_SOCK\";
	port = \"$PG2_PORT,$PG_PORT\"; user = \"$PG_USER\"; password = \"$PG_PASS\";
	journal-directory = \"$NT_TMP/journal\"; reconnect-wait-time = 200;"
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };"
nt_server_conf
nt_server_check
nt_server_start

# rows PORT: "mac address" of lease4 on the server at PORT
rows() {
	PGPASSWORD=$PG_PASS timeout 30 "$PG_BIN/psql" -X -q -A -t -h "$PG_SOCK" -p "$1" \
		-U "$PG_USER" -d "$PG_DB" -c "SELECT regexp_replace(encode(hwaddr, 'hex'),
		'(..)(?!$)', '\\1:', 'g'), '0.0.0.0'::inet + address FROM lease4
		WHERE state = 0 ORDER BY 1" | tr '|' ' '
}
ctl_stat() {
	nt_ctl_raw "$SOCK" "{\"command\": \"statistic-get\", \"arguments\": {\"name\": \"$1\"}}" |
		jq -r --arg n "$1" '.arguments[$n][0][0] // 0'
}

nt_dora --count 8 --mac-base 02:00:00:00:80:00 >"$NT_TMP/d1.raw" || nt_fail "DORA before"
awk '{ print $1, $2 }' "$NT_TMP/d1.raw" | sort >"$NT_TMP/acked.txt"
diff "$NT_TMP/acked.txt" <(rows "$PG_PORT") >&2 || nt_fail "the primary does not hold the leases"
nt_log "8 leases on the primary (the standby, listed first, was skipped: read-only)"
# the standby has them too once it replayed
caught_up() { [ "$(rows "$PG2_PORT" | wc -l)" = 8 ]; }
nt_wait_for 20 "the standby to replicate" caught_up

pg_failover
nt_dora --count 8 --mac-base 02:00:00:00:90:00 >"$NT_TMP/d2.raw" || nt_fail "DORA after failover"
awk '{ print $1, $2 }' "$NT_TMP/d2.raw" >>"$NT_TMP/acked.txt"
sort -o "$NT_TMP/acked.txt" "$NT_TMP/acked.txt"
back() { [ "$(ctl_stat lease-db-connected)" = 1 ] && [ "$(ctl_stat lease-db-journal-backlog)" = 0 ]; }
nt_wait_for 30 "Peregrine to write to the promoted standby" back
diff "$NT_TMP/acked.txt" <(rows "$PG2_PORT") >&2 ||
	nt_fail "the promoted standby does not hold every ACKed lease"
nt_log "16 leases on the promoted standby; outages $(ctl_stat lease-db-outages)," \
	"replayed $(ctl_stat lease-db-replayed)"
exit 0
