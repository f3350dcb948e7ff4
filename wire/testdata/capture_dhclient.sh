#!/bin/sh
# Capture real ISC dhclient DISCOVER and REQUEST frames for the golden tests.
# dhclient runs inside a throwaway network namespace on one end of a veth
# pair; tcpdump listens on the other end in a second namespace.  Nothing
# touches the host's interfaces.  Needs root.  Writes *.pcap into $1.
set -eu
out=${1:-.}
tmp=$(mktemp -d)
nc=pgwire-c$$
ns=pgwire-s$$
tdpid=

cleanup() {
	[ -n "$tdpid" ] && kill "$tdpid" 2>/dev/null || true
	ip netns del "$nc" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$nc"
ip netns add "$ns"
ip link add wc0 netns "$nc" type veth peer name ws0 netns "$ns"
ip -n "$nc" link set wc0 address 02:00:5e:12:00:0a up
ip -n "$ns" link set ws0 up
ip -n "$ns" addr add 198.18.0.1/24 dev ws0

# $1: output name, $2: lease file contents ('' for none)
capture() {
	printf '%s' "$2" >"$tmp/leases"
	timeout 10 ip netns exec "$ns" tcpdump -i ws0 -U -n -w "$tmp/$1.pcap" \
		'udp and port 67' 2>/dev/null &
	tdpid=$!
	sleep 1
	timeout 5 ip netns exec "$nc" dhclient -d -1 -sf /bin/true -lf "$tmp/leases" \
		-pf "$tmp/pid" wc0 >/dev/null 2>&1 || true
	if [ -s "$tmp/pid" ]; then kill "$(cat "$tmp/pid")" 2>/dev/null || true; fi
	sleep 1
	kill "$tdpid" 2>/dev/null || true
	wait "$tdpid" 2>/dev/null || true
	tdpid=
	cp "$tmp/$1.pcap" "$out/$1.pcap"
}

capture dhclient_discover ''
capture dhclient_request 'lease {
  interface "wc0";
  fixed-address 198.18.0.10;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier 198.18.0.1;
  option dhcp-lease-time 3600;
  renew 4 2037/01/01 00:00:00;
  rebind 4 2037/01/01 00:00:00;
  expire 4 2037/01/01 00:00:00;
}
'
