#!/bin/bash
# Classification end to end with ISC dhclient (peregrine only):
#  1. a client sending vendor class "peregrine-test" lands in the pool
#     restricted to the builtin class VENDOR_CLASS_peregrine-test;
#  2. a reserved MAC gets its reserved address (inside the open pool);
#  3. a client whose MAC matches the DROP class's test gets nothing (its
#     packets are counted in drop-class, no OFFER goes out), and the
#     client after it is served from the open pool, never the reserved
#     address.
# Each client is a fresh dhclient run (own config, lease file and events)
# after the client veth's MAC is changed.
# Usage: dhcp_classify.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/dhclient
NT_VALID=600
RESERVED=198.18.0.150
RES_MAC=02:00:00:00:11:02
NT_POOL_EXTRA='{ pool = "198.18.0.50 - 198.18.0.59"; client-class = "VENDOR_CLASS_peregrine-test"; }'
NT_SUBNET_EXTRA="reservations = ( { hw-address = \"$RES_MAC\"; ip-address = \"$RESERVED\"; } );"
NT_EXTRA_CONF='client-classes = ( { name = "DROP"; test = "substring(pkt4.mac, 0, 3) == 0x0a0b0c"; } );'
nt_topology
nt_server_conf
nt_server_check
nt_server_start

# run_client NAME MAC SECONDS [dhclient.conf lines]: one dhclient run with
# MAC on the client veth; sets IP to the bound address (empty if none).
run_client() {
	local name=$1 mac=$2 secs=$3 extra=$4 pid deadline
	ip -n "$NT_CLI" link set "$NT_VC" address "$mac" || nt_fail "set MAC $mac"
	nt_wait_for 10 "client link up" nt_link_up
	printf 'timeout %s;\nretry 1;\nrequest subnet-mask, routers;\n%s\n' "$secs" "$extra" \
		>"$NT_TMP/$name.conf"
	: >"$NT_TMP/$name.events"
	# dhclient gives its script a clean environment: the events file is
	# written into each client's own script.
	printf '#!/bin/sh\n# records what dhclient hands over; configures nothing\n' >"$NT_TMP/$name.sh"
	printf 'echo "reason=$reason ip=$new_ip_address" >>%s\nexit 0\n' "$NT_TMP/$name.events" \
		>>"$NT_TMP/$name.sh"
	chmod +x "$NT_TMP/$name.sh"
	nt_bg "$name" "$NT_CLI" /usr/sbin/dhclient -4 -d -1 \
		-cf "$NT_TMP/$name.conf" -lf "$NT_TMP/$name.leases" -pf "$NT_TMP/$name.pid" \
		-sf "$NT_TMP/$name.sh" "$NT_VC"
	pid=$NT_LAST_PID
	deadline=$((SECONDS + secs + 5))
	until grep -q '^reason=BOUND' "$NT_TMP/$name.events"; do
		nt_alive "$pid" || break
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.2
	done
	nt_stop "$pid" 5
	IP=$(sed -n 's/^reason=BOUND ip=\([^ ]*\).*/\1/p' "$NT_TMP/$name.events" | head -1)
	nt_log "$name ($mac): '${IP}'"
}

run_client vendor 02:00:00:00:11:01 20 'send vendor-class-identifier "peregrine-test";'
case $IP in
198.18.0.5[0-9]) ;;
*) nt_fail "vendor-class client got '$IP', want 198.18.0.50-59 (its class's pool)" ;;
esac

run_client reserved "$RES_MAC" 20 ''
[ "$IP" = "$RESERVED" ] || nt_fail "reserved MAC got '$IP', want $RESERVED"

nt_server_stats "$NT_TMP/stats0"
run_client dropped 0a:0b:0c:00:11:03 6 ''
[ -z "$IP" ] || nt_fail "DROP client was given $IP"
nt_server_stats "$NT_TMP/stats1"
D0=$(nt_stat drop-class "$NT_TMP/stats0")
D1=$(nt_stat drop-class "$NT_TMP/stats1")
O0=$(nt_stat pkt4-offer-sent "$NT_TMP/stats0")
O1=$(nt_stat pkt4-offer-sent "$NT_TMP/stats1")
nt_log "drop-class $D0 -> $D1, offers $O0 -> $O1"
[ "$D1" -gt "$D0" ] || nt_fail "drop-class did not count the DROP client's packets"
[ "$O1" = "$O0" ] || nt_fail "an OFFER was sent while only the DROP client was asking"

run_client plain 02:00:00:00:11:04 20 ''
case $IP in
198.18.0.1[0-9][0-9]) [ "$IP" != "$RESERVED" ] || nt_fail "plain client got the reserved address" ;;
*) nt_fail "plain client got '$IP', want 198.18.0.100-199" ;;
esac

# Every exchange is classified twice (DISCOVER, REQUEST) from the same
# inputs: the classification cache must have answered some of them.
nt_server_stats "$NT_TMP/stats2"
H=$(nt_stat class-cache-hits "$NT_TMP/stats2")
M=$(nt_stat class-cache-misses "$NT_TMP/stats2")
nt_log "class-cache-hits $H, class-cache-misses $M"
[ "$H" -gt 0 ] && [ "$M" -gt 0 ] || nt_fail "classification cache: hits $H, misses $M"
exit 0
