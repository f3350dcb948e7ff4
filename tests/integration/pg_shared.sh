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
. "$(dirname "$0")/../../scripts/storetest.sh"
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

# server A on the harness's namespaces; B on a second pair, its own DPDK
# prefix, socket and journal
st_server a "$DB"
st_server b "${DB/\/journal\"/\/journal-b\"}"

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

st_load a "$A_CLI" "$A_VC" 3 00:0c:01:00:00:00 $RATE $SECS
st_load b "$B_CLI" "$B_VC" 5 00:0c:02:00:00:00 $RATE $SECS
nt_wait_exit "$P_a" $((SECS + 20))
nt_wait_exit "$P_b" $((SECS + 20))
sleep 1
nt_stop "$T_a" 5
nt_stop "$T_b" 5

st_shared_check

pg_lease4_csv "$NT_TMP/lease4.csv"
st_ackcheck "$NT_TMP/a.pcap" "$NT_TMP/lease4.csv" "server A"
st_ackcheck "$NT_TMP/b.pcap" "$NT_TMP/lease4.csv" "server B"

# The shared database goes away: nothing is acknowledged without it (no
# journal here: other servers' claims would be unknown) and DHCP service
# stops (on-fail stop-retry-exit); back, service resumes.
NT_VC=$A_VC NT_CLI=$A_CLI
st_shared_away "$NT_TMP/a.sock" pg_crash pg_restart
read -r mac addr _ <"$NT_TMP/up.txt"
[ "$(pg_psql "SELECT count(*) FROM lease4 WHERE address = '$addr'::inet - '0.0.0.0'::inet
	AND hwaddr = decode(replace('$mac', ':', ''), 'hex')")" = 1 ] ||
	nt_fail "the lease given after the outage is not its client's row"
nt_log "database away: no ACK, service stopped; back: served again ($mac $addr)"
nt_stop "$B_PID" 15 || nt_fail "server B exit status $?"
exit 0
