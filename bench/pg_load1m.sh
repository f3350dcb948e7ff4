#!/bin/bash
# Measurement (not a test; bench/pg_load1m.sh, needs root and a build): Peregrine's start-up load of 1,000,000
# leases from PostgreSQL (131,000 DHCPv4 + 869,000 DHCPv6 rows, inserted
# with Kea's triggers off: setup speed only), on a
# net_null port (no DHCP traffic at all).
set -u
cd "$(dirname "$0")/.."
. scripts/pgtest.sh
pg_start
pg_kea_init
T=$(mktemp -d /tmp/load1m.XXXXXX)
pg_psql "ALTER TABLE lease4 DISABLE TRIGGER USER; INSERT INTO lease4(address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
	fqdn_fwd, fqdn_rev, hostname, state, user_context)
	SELECT ('198.18.0.0'::inet - '0.0.0.0'::inet) + 16 + i, decode(lpad(to_hex(i), 12, '0'), 'hex'),
	NULL, 86400, now() + interval '1 day', 1, false, false, '', 0, NULL
	FROM generate_series(0, 130999) AS i; ALTER TABLE lease4 ENABLE TRIGGER USER" | tail -2
pg_psql "ALTER TABLE lease6 DISABLE TRIGGER USER; INSERT INTO lease6(address, duid, valid_lifetime, expire, subnet_id, pref_lifetime,
	lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source,
	state, user_context)
	SELECT '2001:db8:1::' || to_hex(i / 65536) || ':' || to_hex(i % 65536),
	decode('00030001' || lpad(to_hex(i), 12, '0'), 'hex'), 86400, now() + interval '1 day', 1,
	43200, 0, 1, 128, false, false, '', NULL, 0, 0, 0, NULL
	FROM generate_series(1, 869000) AS i; ALTER TABLE lease6 ENABLE TRIGGER USER" | tail -2
pg_psql "SELECT (SELECT count(*) FROM lease4), (SELECT count(*) FROM lease6)"
cat >"$T/p.conf" <<C
dpdk = { lcores = "0,1"; file-prefix = "load1m"; no-huge = true; memory-mb = 2048; };
interfaces = ( { name = "e0"; device = "net_null0"; address = "198.18.0.1/15"; address6 = "2001:db8:1::1/64"; } );
lease-database = { $(pg_lease_db) };
subnet4 = ( { id = 1; subnet = "198.18.0.0/15"; interface = "e0";
	pools = ( { pool = "198.18.0.10 - 198.19.255.250"; } ); } );
dhcp6 = { data-directory = "$T"; subnet6 = ( { id = 1; subnet = "2001:db8:1::/64"; interface = "e0";
	pools = ( { pool = "2001:db8:1::1 - 2001:db8:1::ff:ffff"; } ); } ); };
C
sed -i "s|journal-directory = \"[^\"]*\"|journal-directory = \"$T/j\"|" "$T/p.conf"
build/engine/dp/peregrine -t "$T/p.conf" || exit 1
t0=$(date +%s.%N)
build/engine/dp/peregrine -c "$T/p.conf" >"$T/out.log" 2>&1 &
pid=$!
for i in $(seq 1 600); do
	grep -q "serving DHCPv4" "$T/out.log" && break
	sleep 0.1
done
t1=$(date +%s.%N)
grep -E "records replayed|DHCPv6 records|serving|ERROR" "$T/out.log"
echo "start to serving: $(echo "$t1 - $t0" | bc) s"
kill -TERM $pid; wait $pid
rm -rf "$T"
pg_stop
