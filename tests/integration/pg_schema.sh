#!/bin/bash
# PostgreSQL with Kea 2.2's schema, the ground the PostgreSQL backend
# (issue 14) stands on: scripts/pgtest.sh starts a private PostgreSQL 15
# on a unix socket in a temp dir, `kea-admin db-init pgsql` creates the
# schema, and this checks that the tables the backend uses are there with
# schema_version 13.0, that a lease4 and a lease6 row inserted with the
# column lists of Kea 2.2's pgsql_lease_mgr are accepted, and that Kea's
# triggers keep lease4_stat / lease6_stat in step (insert counts, a move
# to declined moves the count, delete uncounts).  PostgreSQL is stopped
# by pid and the temp dir removed, pass or fail.
# Usage: pg_schema.sh [BUILDDIR]   (the build dir is not used)
set -u
NT_NAME=pg_schema
. "$(dirname "$0")/../../scripts/pgtest.sh"
fail() { pg_log "FAIL: $*"; exit 1; }

pg_start
pg_kea_init

for t in lease4 lease6 hosts ipv6_reservations dhcp4_options dhcp6_options \
	lease4_stat lease6_stat schema_version; do
	[ "$(pg_psql "SELECT to_regclass('public.$t') IS NOT NULL")" = t ] ||
		fail "table $t missing"
done
v=$(pg_psql "SELECT version, minor FROM schema_version") || fail "schema_version"
[ "$v" = "13|0" ] || fail "schema_version is '$v', expected 13|0"

# stat4 SUBNET STATE / stat6 SUBNET TYPE STATE: the trigger-kept count (0 if no row)
stat4() { pg_psql "SELECT coalesce(sum(leases), 0) FROM lease4_stat WHERE subnet_id = $1 AND state = $2"; }
stat6() { pg_psql "SELECT coalesce(sum(leases), 0) FROM lease6_stat WHERE subnet_id = $1 AND lease_type = $2 AND state = $3"; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

# Kea 2.2's INSERT_LEASE4: address is the IPv4 address as an unsigned
# 32-bit integer (192.0.2.1 = 3221225985), expire = cltt + valid_lifetime.
pg_psql "INSERT INTO lease4(address, hwaddr, client_id, valid_lifetime, expire,
	subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context)
	VALUES (3221225985, '\\x0a0b0c0d0e0f', '\\x010a0b0c0d0e0f', 3600,
	now() + interval '3600 seconds', 1, false, false, '', 0, NULL)" >/dev/null ||
	fail "lease4 insert"
# Kea 2.2's INSERT_LEASE6: address as text, lease_type 0 = IA_NA.
pg_psql "INSERT INTO lease6(address, duid, valid_lifetime, expire, subnet_id,
	pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname,
	hwaddr, hwtype, hwaddr_source, state, user_context)
	VALUES ('2001:db8::1', '\\x000100012a2b2c2d0a0b0c0d0e0f', 3600,
	now() + interval '3600 seconds', 7, 1800, 0, 42, 128, false, false, '',
	'\\x0a0b0c0d0e0f', 1, 1, 0, NULL)" >/dev/null || fail "lease6 insert"

expect "lease4 address" "$(pg_psql "SELECT '0.0.0.0'::inet + address FROM lease4")" 192.0.2.1
expect "lease4_stat(1, default) after insert" "$(stat4 1 0)" 1
expect "lease6_stat(7, IA_NA, default) after insert" "$(stat6 7 0 0)" 1

pg_psql "UPDATE lease4 SET state = 1 WHERE address = 3221225985" >/dev/null || fail "lease4 update"
pg_psql "UPDATE lease6 SET state = 1 WHERE address = '2001:db8::1'" >/dev/null || fail "lease6 update"
expect "lease4_stat(1, default) after decline" "$(stat4 1 0)" 0
expect "lease4_stat(1, declined) after decline" "$(stat4 1 1)" 1
expect "lease6_stat(7, IA_NA, declined) after decline" "$(stat6 7 0 1)" 1

pg_psql "DELETE FROM lease4" >/dev/null || fail "lease4 delete"
pg_psql "DELETE FROM lease6" >/dev/null || fail "lease6 delete"
expect "lease4_stat(1, declined) after delete" "$(stat4 1 1)" 0
expect "lease6_stat(7, IA_NA, declined) after delete" "$(stat6 7 0 1)" 0

pg_stop
pg_log "PASS"
