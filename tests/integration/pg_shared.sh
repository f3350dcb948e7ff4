#!/bin/bash
# Two Peregrine servers, one PostgreSQL database (shared = true), the same
# subnet and pool: each serves its own link (two pairs of namespaces) under
# perfdhcp, 250 DORA/s each, while a third server's leases (written by SQL
# once both run) hold every 4th address.  Claims collide: the database
# refuses a claim on another server's live lease per row, that server
# drops the reply and learns the other's lease (and looks elsewhere in the
# pool).  Afterwards every (chaddr, yiaddr) a DHCPACK gave, on
# either link, must be that client's row in lease4: no address was handed
# to two clients.  The refusals must have happened (the path is tested).
# Usage: pg_shared.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/perfdhcp tcpdump jq
RATE=250
SECS=10
PG_DURABLE=1
pg_start
pg_kea_init
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.31.255"   # 7,936 addresses, 1,984 of them a third server's
DB="$(pg_lease_db) shared = true;"

# server A on the harness's namespaces
NT_LEASE_DB=$DB
nt_topology
NT_EXTRA_CONF="control-socket = { socket-name = \"$NT_TMP/a.sock\"; };"
nt_server_conf
nt_server_check
nt_server_start
A_PID=$NT_SRV_PID A_CLI=$NT_CLI A_VC=$NT_VC A_STATS=$NT_STATS

# server B on a second pair, its own DPDK prefix, socket and journal
NT_SRV="pgt-$NT_ID-srv2" NT_CLI="pgt-$NT_ID-cli2" NT_VS="pgs${NT_ID}b" NT_VC="pgc${NT_ID}b"
NT_DPDK_PREFIX="pg-test-$NT_ID-b" NT_STATS="$NT_TMP/stats.b"
NT_LEASE_DB=${DB/\/journal\"/\/journal-b\"}
nt_topology
NT_EXTRA_CONF="control-socket = { socket-name = \"$NT_TMP/b.sock\"; };"
nt_server_conf
nt_server_check
nt_server_start
B_PID=$NT_SRV_PID B_CLI=$NT_CLI B_VC=$NT_VC

# A third server's leases, written while both run and neither knows of
# them: every 4th address of the pool.  Whatever part of the pool a server
# sweeps, its claims run into them (and into the other's).
pg_psql "INSERT INTO lease4(address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
	fqdn_fwd, fqdn_rev, hostname, state, user_context)
	SELECT a, decode(lpad(to_hex(a), 12, '0a'), 'hex'), NULL, 3600,
	now() + interval '3600 seconds', 1, false, false, '', 0, NULL
	FROM generate_series('198.18.1.0'::inet - '0.0.0.0'::inet,
		'198.18.31.255'::inet - '0.0.0.0'::inet, 4) AS a" >/dev/null ||
	nt_fail "the third server's leases"

load() {   # NAME NS IF SEED MAC-BASE
	nt_bg "tcpdump-$1" "$2" "$(command -v tcpdump)" -i "$3" -n -U -s 0 \
		-w "$NT_TMP/$1.pcap" udp and \( port 67 or port 68 \)
	eval "T_$1=\$NT_LAST_PID"
	nt_wait_for 10 "tcpdump $1" grep -q 'listening on' "$NT_TMP/tcpdump-$1.log"
	nt_bg "perfdhcp-$1" "$2" /usr/sbin/perfdhcp -4 -l "$3" -r $RATE -p $SECS -R 1000000 \
		-s "$4" -b "mac=$5"
	eval "P_$1=\$NT_LAST_PID"
}
load a "$A_CLI" "$A_VC" 3 00:0c:01:00:00:00
load b "$B_CLI" "$B_VC" 5 00:0c:02:00:00:00
nt_wait_exit "$P_a" $((SECS + 20))
nt_wait_exit "$P_b" $((SECS + 20))
sleep 1
nt_stop "$T_a" 5
nt_stop "$T_b" 5

ctl_stat() {   # SOCK NAME
	nt_ctl_raw "$1" "{\"command\": \"statistic-get\", \"arguments\": {\"name\": \"$2\"}}" |
		jq -r --arg n "$2" '.arguments[$n][0][0] // 0'
}
ra=$(ctl_stat "$NT_TMP/a.sock" lease-db-refused) rb=$(ctl_stat "$NT_TMP/b.sock" lease-db-refused)
fa=$(ctl_stat "$NT_TMP/a.sock" leases-learnt-foreign) fb=$(ctl_stat "$NT_TMP/b.sock" leases-learnt-foreign)
da=$(ctl_stat "$NT_TMP/a.sock" dp-drop-lease-refused) db=$(ctl_stat "$NT_TMP/b.sock" dp-drop-lease-refused)
na=$(ctl_stat "$NT_TMP/a.sock" pkt4-nak-sent) nb=$(ctl_stat "$NT_TMP/b.sock" pkt4-nak-sent)
ga=$(ctl_stat "$NT_TMP/a.sock" dp-lease-refused-served-again)
gb=$(ctl_stat "$NT_TMP/b.sock" dp-lease-refused-served-again)
nt_log "served again: A $ga, B $gb"
nt_log "refused: A $ra (learnt $fa, replies dropped $da, NAKs $na)," \
	"B $rb (learnt $fb, dropped $db, NAKs $nb)"
[ $((ra + rb)) -gt 0 ] || nt_fail "no claim was refused: the servers never collided"
[ $((fa + fb)) -gt 0 ] || nt_fail "no foreign lease was learnt from a refusal"
# a refused REQUEST is served again at once: the address is the other's
# now, so the client gets a NAK (and starts over) instead of silence
[ "$na" -ge "$da" ] && [ "$nb" -ge "$db" ] ||
	nt_fail "refused REQUESTs were not answered with a NAK when served again"

pg_lease4_csv "$NT_TMP/lease4.csv"
for s in a b; do
	timeout 120 "$NT_PY" "$NT_HELPER" ackcheck "$NT_TMP/$s.pcap" "$NT_TMP/lease4.csv" \
		>"$NT_TMP/ackcheck-$s.out" 2>&1
	rc=$?
	grep MISSING "$NT_TMP/ackcheck-$s.out" | head -10 >&2
	nt_log "server $s: $(tail -1 "$NT_TMP/ackcheck-$s.out")"
	[ "$rc" = 0 ] || nt_fail "server $s ACKed an address that is not its client's row"
done
# The shared database goes away: nothing is acknowledged without it (no
# journal here: other servers' claims would be unknown) and DHCP service
# stops (on-fail stop-retry-exit); back, service resumes.
NT_VC=$A_VC NT_CLI=$A_CLI
pg_crash
if nt_dora --count 1 --mac-base 02:00:00:00:a0:00 --timeout 4 >"$NT_TMP/down.txt" 2>&1; then
	nt_fail "server A ACKed while the shared database was away"
fi
[ "$(ctl_stat "$NT_TMP/a.sock" lease-db-connected)" = 0 ] || nt_fail "A: lease-db-connected is not 0"
pg_restart
up() { [ "$(ctl_stat "$NT_TMP/a.sock" lease-db-connected)" = 1 ]; }
nt_wait_for 30 "server A to see the database again" up
nt_dora --count 1 --mac-base 02:00:00:00:a0:00 >"$NT_TMP/up.txt" || nt_fail "no lease once the database is back"
read -r mac addr _ <"$NT_TMP/up.txt"
[ "$(pg_psql "SELECT count(*) FROM lease4 WHERE address = '$addr'::inet - '0.0.0.0'::inet
	AND hwaddr = decode(replace('$mac', ':', ''), 'hex')")" = 1 ] ||
	nt_fail "the lease given after the outage is not its client's row"
nt_log "database away: no ACK, service stopped; back: served again ($mac $addr)"
nt_stop "$B_PID" 15 || nt_fail "server B exit status $?"
exit 0
