#!/bin/sh
# Regenerates the real Kea 2.2 lease-file fixtures in this folder.
# Runs kea-dhcp4 in a throwaway network namespace, loads it with perfdhcp
# (relay mode, bounded), then sends one real DHCPDECLINE and one real
# DHCPRELEASE (scapy) and a few lease_cmds commands (a hostname and a
# user-context with commas, a declined lease, a deleted lease).
# kea_netns.sh stops Kea by PID and removes the namespaces on exit.
# Needs root.  Usage: sh gen_kea_fixture.sh <output-dir>
set -eu
OUT=$(cd "${1:-.}" && pwd)
KEA_NS_TAG=kea4
. "$(dirname "$0")/kea_netns.sh"

ip link add pgbk0 netns "$SRV" type veth peer name pgbk1 netns "$CLI"
ip -n "$SRV" addr add 198.18.0.1/24 dev pgbk0
ip -n "$CLI" addr add 198.18.0.2/24 dev pgbk1
ip -n "$SRV" link set pgbk0 up
ip -n "$CLI" link set pgbk1 up

cat > "$T/kea.json" <<JSON
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "pgbk0" ], "dhcp-socket-type": "udp" },
  "control-socket": { "socket-type": "unix", "socket-name": "$T/kea.sock" },
  "lease-database": { "type": "memfile", "name": "$T/kea-leases4.csv",
                      "persist": true, "lfc-interval": 0 },
  "hooks-libraries": [ { "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" } ],
  "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
  "decline-probation-period": 3600,
  "subnet4": [ { "id": 1, "subnet": "198.18.0.0/16",
                 "pools": [ { "pool": "198.18.1.1 - 198.18.3.254" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$T/kea.log" } ] } ]
} }
JSON

kea_start kea-dhcp4

# Bounded load: 200 DORA exchanges at 50/s, 200 simulated clients.
ip netns exec "$CLI" timeout 30 perfdhcp -4 -r 50 -R 200 -n 200 -p 10 \
	-l pgbk1 198.18.0.1 >"$T/perfdhcp.out" 2>&1 || true
cat "$T/perfdhcp.out" | grep -E "sent packets|received packets|drops" || true

# One real DECLINE and one real RELEASE, relayed like perfdhcp's traffic.
/usr/bin/python3 - "$T/kea-leases4.csv" "$CLI" <<'PY'
import csv, sys, subprocess
rows = [r for r in csv.reader(open(sys.argv[1])) if r and r[0] != "address"]
live = {}
for r in rows:
    live[r[0]] = r
addrs = sorted(a for a, r in live.items() if r[3] != "0")
script = '''
from scapy.all import *
conf.verb = 0
def send1(kind, addr, mac, cid):
    opts = [("message-type", kind), ("server_id", "198.18.0.1")]
    if kind == "decline":
        opts.append(("requested_addr", addr))
    if cid:
        opts.append(("client_id", bytes.fromhex(cid.replace(":", ""))))
    opts.append("end")
    p = (IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=67, dport=67) /
         BOOTP(op=1, xid=0x1234, giaddr="198.18.0.2",
               ciaddr=addr if kind == "release" else "0.0.0.0",
               chaddr=bytes.fromhex(mac.replace(":", "")) + bytes(10)) /
         DHCP(options=opts))
    send(p, iface="pgbk1")
'''
for kind, a in (("decline", addrs[0]), ("release", addrs[1])):
    r = live[a]
    script += "send1(%r, %r, %r, %r)\n" % (kind, a, r[1], r[2])
subprocess.run(["ip", "netns", "exec", sys.argv[2], "/usr/bin/python3", "-c", script], check=True)
PY
sleep 1

ctl '{ "command": "lease4-add", "arguments": { "ip-address": "198.18.4.1", "hw-address": "0a:0b:0c:0d:0e:0f", "client-id": "01:0a:0b:0c:0d:0e:0f", "subnet-id": 1, "hostname": "host,with,commas.example", "fqdn-fwd": true, "fqdn-rev": false, "user-context": { "note": "a,b", "n": 1 } } }'
ctl '{ "command": "lease4-add", "arguments": { "ip-address": "198.18.4.2", "hw-address": "0a:0b:0c:0d:0e:10", "subnet-id": 1, "state": 1 } }'
ctl '{ "command": "lease4-add", "arguments": { "ip-address": "198.18.4.3", "hw-address": "0a:0b:0c:0d:0e:11", "subnet-id": 1, "hostname": "gone.example" } }'
ctl '{ "command": "lease4-del", "arguments": { "ip-address": "198.18.4.3" } }'
ctl '{ "command": "lease4-get-all" }' > "$T/lease4-get-all.json"

kea_stop
cp "$T/kea-leases4.csv" "$OUT/kea22-leases4.csv"
cp "$T/lease4-get-all.json" "$OUT/kea22-lease4-get-all.json"
wc -l "$OUT/kea22-leases4.csv"
