#!/bin/sh
# Regenerates the real Kea 2.2 DHCPv6 lease-file fixture in this folder
# (kea22-leases6.csv).  Runs kea-dhcp6 in a throwaway network namespace
# pair, lets perfdhcp -6 do a few bounded SARR exchanges (IA_NA and IA_PD,
# so hwaddr/hwtype/hwaddr_source come from real DUIDs), then writes the
# special cases through lease_cmds: a hostname with commas, an IA_TA
# lease, a declined lease (DUID 00), an expired-reclaimed lease, a
# user-context, and a lease6-del (a valid_lifetime 0 record).  Every
# line of the file is written by kea-dhcp6 2.2 itself.  kea_netns.sh
# stops Kea by PID and removes the namespaces on exit.
# Needs root and kea-dhcp6-server.  Usage: sh gen_kea6_fixture.sh <output-dir>
set -eu
OUT=$(cd "${1:-.}" && pwd)
KEA_NS_TAG=kea6
. "$(dirname "$0")/kea_netns.sh"

for ns in "$SRV" "$CLI"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
done
ip link add pgbk6s0 netns "$SRV" type veth peer name pgbk6c1 netns "$CLI"
ip -n "$SRV" link set pgbk6s0 up
ip -n "$CLI" link set pgbk6c1 up
sleep 1

cat > "$T/kea.json" <<JSON
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "pgbk6s0" ] },
  "control-socket": { "socket-type": "unix", "socket-name": "$T/kea.sock" },
  "lease-database": { "type": "memfile", "name": "$T/kea-leases6.csv",
                      "persist": true, "lfc-interval": 0 },
  "hooks-libraries": [ { "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" } ],
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "renew-timer": 1000, "rebind-timer": 2000,
  "decline-probation-period": 3600,
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false },
  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "pgbk6s0",
                 "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
                 "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 40,
                                 "delegated-len": 56 } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ { "output": "$T/kea.log" } ] } ]
} }
JSON

kea_start kea-dhcp6

# Bounded load: 12 SARR exchanges at 10/s, 12 simulated clients, each
# asking for an address and a prefix.
ip netns exec "$CLI" timeout 20 perfdhcp -6 -r 10 -R 12 -n 12 -p 5 \
	-e address-and-prefix -l pgbk6c1 >"$T/perfdhcp.out" 2>&1 || true
grep -E "sent packets|received packets|drops" "$T/perfdhcp.out" || true

D=00:01:00:01:2b:3c:4d:5e:0a:0b:0c:0d:0e
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::a", "duid": "'$D':01", "iaid": 1234, "subnet-id": 1, "hw-address": "0a:0b:0c:0d:0e:01", "valid-lft": 4000, "preferred-lft": 3000, "expire": 1800000000, "hostname": "host,with,commas.example", "fqdn-fwd": true, "fqdn-rev": false } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::b", "duid": "'$D':02", "iaid": 1, "subnet-id": 1, "type": "IA_TA", "valid-lft": 300, "preferred-lft": 200, "expire": 1800000001 } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:200:100::", "duid": "'$D':03", "iaid": 4294967295, "subnet-id": 1, "type": "IA_PD", "prefix-len": 56, "hw-address": "0a:0b:0c:0d:0e:03", "valid-lft": 7200, "preferred-lft": 3600, "expire": 1800000002, "fqdn-fwd": true, "fqdn-rev": true, "hostname": "pd.example" } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::c", "duid": "00", "iaid": 0, "subnet-id": 1, "state": 1, "valid-lft": 3600, "preferred-lft": 0, "expire": 1800000003 } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::d", "duid": "'$D':04", "iaid": 5, "subnet-id": 1, "state": 2, "valid-lft": 4000, "preferred-lft": 3000, "expire": 1700000000 } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::e", "duid": "'$D':05", "iaid": 6, "subnet-id": 1, "valid-lft": 4000, "preferred-lft": 3000, "expire": 1800000005, "user-context": { "note": "a,b", "n": 1 } } }'
ctl '{ "command": "lease6-add", "arguments": { "ip-address": "2001:db8:1::f", "duid": "'$D':06", "iaid": 7, "subnet-id": 1, "valid-lft": 4000, "preferred-lft": 3000, "expire": 1800000006, "hostname": "gone.example" } }'
ctl '{ "command": "lease6-del", "arguments": { "ip-address": "2001:db8:1::f" } }'
ctl '{ "command": "lease6-get-all" }' > "$T/lease6-get-all.json"

kea_stop
cp "$T/kea-leases6.csv" "$OUT/kea22-leases6.csv"
cp "$T/lease6-get-all.json" "$OUT/kea22-lease6-get-all.json"
wc -l "$OUT/kea22-leases6.csv"
