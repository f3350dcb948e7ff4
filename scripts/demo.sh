#!/usr/bin/env bash
# Demo: Peregrine on its shipped demo configuration (etc/peregrine-demo.conf,
# memfile, commit durability) serves a real ISC dhclient.  Everything runs
# in two throwaway network namespaces joined by a veth pair; they and every
# process are removed at the end, whatever happens.
#
#   scripts/demo.sh [BUILDDIR]      (root; run scripts/setup.sh first)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
NT_NAME=demo
. "$SRC/scripts/netns.sh"
nt_init "$BUILD"
nt_need /usr/sbin/dhclient
NT_IPV6=1       # the client's namespace keeps IPv6 for dhclient -6
nt_topology

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The shipped demo config, pointed at this run's veth and temp dir.  Its
# /tmp/peregrine-demo/ becomes a directory of this run's that does not
# exist yet, as on a fresh machine: the server makes it for the lease file
# and the control socket.
DEMO_DIR="$NT_TMP/peregrine-demo"
NT_LEASES="$DEMO_DIR/dhcp4.leases"
SOCK="$DEMO_DIR/control.sock"
CTL="$BUILD/engine/ctl/peregrinectl"
NT_CONF="$NT_TMP/peregrine-demo.conf"
sed -e "s/iface=pg-srv/iface=$NT_VS/" \
    -e "s|\"/tmp/peregrine-demo\"|\"$DEMO_DIR\"|g" \
    -e "s|/tmp/peregrine-demo/|$DEMO_DIR/|g" \
    -e "s/file-prefix = \"peregrine-demo\"/file-prefix = \"$NT_DPDK_PREFIX\"/" \
    "$SRC/etc/peregrine-demo.conf" >"$NT_CONF"
grep -q "$SOCK" "$NT_CONF" && grep -q "$NT_LEASES" "$NT_CONF" &&
	! grep -q /tmp/peregrine-demo "$NT_CONF" ||
	nt_fail "the demo config no longer has its socket and lease files in /tmp/peregrine-demo/ (or names it some other way)"
[ ! -e "$DEMO_DIR" ] || nt_fail "$DEMO_DIR exists before the server starts"
say "config check: peregrine -t"
"$NT_PEREGRINE" -t "$NT_CONF" || nt_fail "config refused"

say "starting peregrine in namespace $NT_SRV on $NT_VS (DPDK net_af_packet)"
nt_server_start

EV="$NT_TMP/dhclient.events"
SCRIPT="$NT_TMP/dhclient-script"
cat >"$SCRIPT" <<EOS
#!/bin/sh
# records what dhclient was given; configures nothing
echo "\$reason address=\$new_ip_address mask=\$new_subnet_mask routers=\$new_routers lease=\$new_dhcp_lease_time server=\$new_dhcp_server_identifier" >>"$EV"
EOS
chmod +x "$SCRIPT"
DHC=(/usr/sbin/dhclient -4 -lf "$NT_TMP/dhclient.leases" -pf "$NT_TMP/dhclient.pid" -sf "$SCRIPT")

# dhclient stays in the foreground (-d) under the harness, so its PID is
# recorded and it is stopped by PID, never left running as a daemon.
leases_seen() { grep -cE '^(BOUND|REBOOT|RENEW)' "$EV" 2>/dev/null; }
more_leases() { [ "$(leases_seen)" -gt "$1" ]; }
client_run() {   # $1: label; waits for a BOUND/REBOOT event, shows the exchange
	local n=$1 before pid
	before=$(leases_seen)
	nt_bg "dhclient$n" "$NT_CLI" "${DHC[@]}" -d -1 -v "$NT_VC"
	pid=$NT_LAST_PID
	nt_wait_for 40 "dhclient lease" more_leases "$before"
	nt_stop "$pid" 5
	grep -E 'DHCP|bound' "$NT_TMP/dhclient$n.log"
	tail -1 "$EV"
}
: >"$EV"

say "dhclient in namespace $NT_CLI asks for a lease (DISCOVER/OFFER/REQUEST/ACK)"
client_run 1

say "dhclient again: a returning client gets the same address (INIT-REBOOT)"
client_run 2

say "lease file on the server (Kea's memfile CSV)"
cat "$NT_LEASES"
addr=$(tail -1 "$EV" | sed -n 's/.*address=\([0-9.]*\).*/\1/p')
[ -n "$addr" ] || nt_fail "dhclient reported no address"
grep -q "^$addr," "$NT_LEASES" || nt_fail "$addr is not in the lease file"

say "the control channel: peregrinectl -s $SOCK lease4-get"
[ "$(stat -c %a "$DEMO_DIR")" = 750 ] || nt_fail "$DEMO_DIR is not mode 0750"
timeout 10 "$CTL" -s "$SOCK" lease4-get "{\"ip-address\": \"$addr\"}" | tee "$NT_TMP/ctl.out" ||
	nt_fail "lease4-get over $SOCK failed"
grep -q "\"ip-address\": *\"$addr\"" "$NT_TMP/ctl.out" || nt_fail "lease4-get does not show $addr"

say "dhclient -r: RELEASE"
NT_STEP=40 nt_cli "${DHC[@]}" -r -v "$NT_VC" 2>&1 | grep -E 'DHCP'
released() { timeout 10 "$CTL" -s "$SOCK" lease4-get "{\"ip-address\": \"$addr\"}" >/dev/null; [ $? = 3 ]; }
nt_wait_for 10 "lease4-get answers 'empty' after the release" released
tail -1 "$NT_LEASES"

say "DHCPv6: dhclient -6 asks for an address and dhclient -6 -P for a prefix (SOLICIT/ADVERTISE/REQUEST/REPLY)"
EV6="$NT_TMP/dhclient6.events"
cat >"$NT_TMP/dhclient6-script" <<EOS
#!/bin/sh
# records what dhclient -6 was given; configures nothing
echo "\$reason address=\$new_ip6_address prefix=\$new_ip6_prefix dns=\$new_dhcp6_name_servers" >>"$EV6"
EOS
chmod +x "$NT_TMP/dhclient6-script"
: >"$EV6"
printf 'request dhcp6.name-servers;\n' >"$NT_TMP/dhclient6.conf"
DHC6=(/usr/sbin/dhclient -6 -cf "$NT_TMP/dhclient6.conf" -lf "$NT_TMP/dhclient6.leases"
	-pf "$NT_TMP/dhclient6.pid" -sf "$NT_TMP/dhclient6-script")
v6_bound() { grep -cE '^(BOUND6|REBIND6|RENEW6)' "$EV6" 2>/dev/null; }
v6_more() { [ "$(v6_bound)" -gt "$1" ]; }
for mode in -N -P; do
	before=$(v6_bound)
	nt_bg "dhclient6$mode" "$NT_CLI" "${DHC6[@]}" "$mode" -d -1 -v "$NT_VC"
	pid=$NT_LAST_PID
	nt_wait_for 40 "dhclient -6 $mode lease" v6_more "$before"
	nt_stop "$pid" 5
	tail -1 "$EV6"
done
addr6=$(sed -n -E 's/^(BOUND6|REBIND6) address=(2001[^ ]*) .*/\2/p' "$EV6" | head -1)
prefix6=$(sed -n -E 's/^(BOUND6|REBIND6) .*prefix=(2001[^ ]*) .*/\2/p' "$EV6" | head -1)
[ -n "$addr6" ] && [ -n "$prefix6" ] || nt_fail "dhclient -6 reported no address or no prefix"
say "DHCPv6 lease file (Kea's lease6 CSV) and lease6-get"
cat "$DEMO_DIR/dhcp6.leases"
timeout 10 "$CTL" -s "$SOCK" lease6-get "{\"ip-address\": \"$addr6\"}" | tee "$NT_TMP/ctl6.out" ||
	nt_fail "lease6-get over $SOCK failed"
grep -q "\"ip-address\": *\"$addr6\"" "$NT_TMP/ctl6.out" || nt_fail "lease6-get does not show $addr6"

say "server statistics (SIGUSR1 -> $NT_STATS), non-zero ones"
nt_server_stats "$NT_TMP/stats.demo"
awk '$2 != 0' "$NT_TMP/stats.demo"

say "stopping peregrine (SIGTERM: flush leases, exit)"
nt_server_stop
tail -5 "$NT_TMP/server1.log"
NT_RESULT=pass
say "demo finished; namespaces and processes are cleaned up now"
