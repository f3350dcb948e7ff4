#!/bin/bash
# Crash safety of commit mode: perfdhcp load runs while tcpdump in the client
# namespace records every reply (perfdhcp acts as a relay: replies go to
# its giaddr, port 67); the server is killed with SIGKILL mid-load.
# Every (chaddr, yiaddr) pair that a client received a DHCPACK for must then
# be a valid lease in the lease file.  A restarted server must load the file
# and count the same leases.  (Kea has no commit mode but writes each lease
# before answering, so it passes too.)
# Usage: dhcp_kill9.sh BUILDDIR [peregrine|kea]   (or SERVER=kea in the environment)
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_need /usr/sbin/perfdhcp tcpdump
NT_PLEN=20
NT_POOL="198.18.1.0 - 198.18.15.254"
NT_DURABILITY=${NT_DURABILITY:-commit}   # other modes: negative controls
nt_topology
nt_server_conf
nt_server_check
nt_server_start

PCAP="$NT_TMP/replies.pcap"
# Unbounded count, bounded in time (-p 30) and stopped after 300 leases.
nt_kill9_under_load "$PCAP" "udp and ( port 67 or port 68 )" "$NT_LEASES" '^198\.18\.' 300 \
	-4 -l "$NT_VC" -r 300 -p 30 -R 16000000 -s 11

timeout 120 "$NT_PY" "$NT_HELPER" ackcheck "$PCAP" "$NT_LEASES" >"$NT_TMP/ackcheck.out" 2>&1
rc=$?
grep MISSING "$NT_TMP/ackcheck.out" | head -20 >&2
tail -1 "$NT_TMP/ackcheck.out" >&2
[ "$rc" = 0 ] || nt_fail "an ACKed lease is missing from the lease file after SIGKILL"
timeout 60 "$NT_PY" "$NT_HELPER" uniq "$NT_LEASES" >"$NT_TMP/uniq.out" 2>&1 ||
	{ tail -5 "$NT_TMP/uniq.out" >&2; nt_fail "duplicate addresses in the lease file"; }

NLEASES=$(nt_leases | wc -l)
nt_server_start
nt_server_stats
nt_log "after restart: assigned $(nt_stat 'subnet[1].assigned-addresses'), file $NLEASES"
[ "$(nt_stat 'subnet[1].assigned-addresses')" = "$NLEASES" ] ||
	nt_fail "restarted server does not count the leases of the file"
exit 0
