#!/bin/bash
# Mixed hot-standby pairs through the datapath: a Peregrine and a Kea 2.2
# server (kea-dhcp4 with libdhcp_lease_cmds.so and libdhcp_ha.so) in
# scripts/hatest.sh's topology, integ-ha_pair's timers (200/600/100 ms,
# max-unacked-clients 0) and the same pool on both servers, so a server
# that did not know its partner's leases would hand out the same addresses.
# Two rounds, server1 the primary and server2 the standby in each:
#   1. Peregrine primary + Kea standby;  2. Kea primary + Peregrine standby.
# Each round:
#  - both reach hot-standby; the primary answers the clients, the standby
#    does not (ACKs counted on each);
#  - the moment the clients have their ACKs the standby holds every lease
#    (asked at once): the primary's reply waited for its acknowledgement;
#  - Kea primary: the updates Kea sends arrive on Peregrine's peer
#    listener with origin HA and are not sent back: Kea's lease file
#    (memfile appends a line per change) holds one line per address;
#  - kill -9 of the primary: the standby reaches partner-down and serves
#    new clients, none of them an address the primary gave;
#  - the primary restarted syncs from the standby (holds each lease the
#    standby gave alone) and both return to hot-standby with the same
#    lease set; a lease given after that reaches the standby again.
# Usage: ha_mixed.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq curl
[ -x /usr/sbin/kea-dhcp4 ] || nt_skip "no /usr/sbin/kea-dhcp4"
[ -f "$HA_KEA_HOOKS/libdhcp_ha.so" ] && [ -f "$HA_KEA_HOOKS/libdhcp_lease_cmds.so" ] ||
	nt_skip "no Kea HA hook libraries in $HA_KEA_HOOKS"
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology

both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
is() { [ "$(ha_state "$1")" = "$2" ]; }
acks() { ha_statistic "$1" pkt4-ack-sent; }

# the server numbers, Kea's first
kea_first() { [ "${HA_KIND[1]}" = kea ] && echo 1 2 || echo 2 1; }

# round PRIMARY-KIND STANDBY-KIND M: one scenario; M (two hex digits)
# makes its clients' MACs its own.
round() {
	local p=$1 s=$2 m=$3 tag="$1 primary + $2 standby" mac addr got dup
	ha_port_clear 1
	ha_port_clear 2
	ha_conf 1 "$p" primary hot-standby
	ha_conf 2 "$s" standby hot-standby
	# Kea first, its peer listener up before its partner starts: a
	# partner that found it unreachable for max-response-delay would go
	# to partner-down first (as a Kea would)
	for n in $(kea_first); do
		ha_start "$n"
		[ "${HA_KIND[$n]}" = kea ] && nt_wait_for 20 "kea$n's HA listener" ha_kea_listening "$n"
	done
	nt_wait_for 20 "both in hot-standby ($tag)" both hot-standby
	nt_log "$tag: both in hot-standby"

	ha_dora --count 3 --mac-base "02:00:00:$m:aa:00" >"$NT_TMP/$m-dora1.txt" ||
		nt_fail "$tag: no lease in hot-standby"
	[ "$(acks 1)" = 3 ] && [ "$(acks 2)" = 0 ] ||
		nt_fail "$tag: ACKs: primary $(acks 1), standby $(acks 2); want 3 and 0"
	ha_lease_list 1 >"$NT_TMP/$m-l1.txt"
	ha_lease_list 2 >"$NT_TMP/$m-l2.txt"
	[ "$(wc -l <"$NT_TMP/$m-l1.txt")" = 3 ] ||
		nt_fail "$tag: the primary holds $(wc -l <"$NT_TMP/$m-l1.txt") leases, want 3"
	cmp -s "$NT_TMP/$m-l1.txt" "$NT_TMP/$m-l2.txt" ||
		nt_fail "$tag: the standby does not hold the primary's leases once the clients have them: $(diff "$NT_TMP/$m-l1.txt" "$NT_TMP/$m-l2.txt" | tr '\n' ' ')"
	nt_log "$tag: the standby holds the primary's 3 leases as the clients get their ACKs"

	if [ "$p" = kea ]; then
		# An echo would come within a heartbeat or two; give it ten.
		sleep 2
		while read -r _ addr _; do
			got=$(grep -c "^$addr," "${HA_LEASES[1]}")
			[ "$got" = 1 ] ||
				nt_fail "$tag: Kea's lease file has $got lines for $addr, want 1 (an update sent back to Kea?)"
		done <"$NT_TMP/$m-dora1.txt"
		nt_log "$tag: Kea's updates were not sent back to it (one lease-file line per address)"
	fi

	kill -9 "${HA_PID[1]}"
	nt_wait_for 10 "the standby to reach partner-down ($tag)" is 2 partner-down
	ha_dora --count 3 --mac-base "02:00:00:$m:bb:00" >"$NT_TMP/$m-dora2.txt" ||
		nt_fail "$tag: the standby did not serve in partner-down"
	[ "$(acks 2)" = 3 ] || nt_fail "$tag: the standby's ACKs: $(acks 2), want 3"
	dup=$(cat "$NT_TMP/$m-dora1.txt" "$NT_TMP/$m-dora2.txt" | awk '{print $2}' | sort | uniq -d)
	[ -z "$dup" ] || nt_fail "$tag: address(es) held by two clients: $dup"
	[ "$(ha_lease_list 2 | awk '{print $1}' | sort -u | wc -l)" = 6 ] ||
		nt_fail "$tag: the standby holds $(ha_lease_list 2 | wc -l) leases, want 6 distinct addresses"
	nt_log "$tag: partner-down: the standby gave 3 new addresses, none of the primary's"

	wait "${HA_PID[1]}" 2>/dev/null
	ha_start 1
	nt_wait_for 30 "both back in hot-standby ($tag)" both hot-standby
	# Kea logs each lease of a sync page it could not take (and still
	# calls the sync a success): name Kea's reason rather than only the
	# missing lease below.  (Kea 2.2's Lease4::fromElement refuses
	# "client-id": "", so Peregrine's lease4-get-page leaves the key out
	# of a lease without one, as Kea's Lease4::toElement does.)
	if [ "$p" = kea ] && grep -q HA_LEASE_SYNC_FAILED "$NT_TMP/kea1.out"; then
		got=$(grep -c HA_LEASE_SYNC_FAILED "$NT_TMP/kea1.out")
		nt_fail "$tag: Kea refused $got lease(s) of Peregrine's sync page: $(grep -m1 -o 'reason: .*' "$NT_TMP/kea1.out")"
	fi
	while read -r mac addr _; do
		got=$(ha_lease_hw 1 "$addr")
		[ "$got" = "$mac" ] ||
			nt_fail "$tag: the restarted primary does not hold $addr for $mac after its sync (got '$got')"
	done <"$NT_TMP/$m-dora2.txt"
	ha_lease_list 1 >"$NT_TMP/$m-l1.txt"
	ha_lease_list 2 >"$NT_TMP/$m-l2.txt"
	[ "$(wc -l <"$NT_TMP/$m-l1.txt")" = 6 ] && cmp -s "$NT_TMP/$m-l1.txt" "$NT_TMP/$m-l2.txt" ||
		nt_fail "$tag: after the sync: primary $(wc -l <"$NT_TMP/$m-l1.txt"), standby $(wc -l <"$NT_TMP/$m-l2.txt") leases, want the same 6: $(diff "$NT_TMP/$m-l1.txt" "$NT_TMP/$m-l2.txt" | tr '\n' ' ')"
	nt_log "$tag: the primary synced the standby's leases; both in hot-standby with the same 6"

	ha_dora --count 1 --mac-base "02:00:00:$m:cc:00" >"$NT_TMP/$m-dora3.txt" ||
		nt_fail "$tag: no lease after the return"
	read -r mac addr _ <"$NT_TMP/$m-dora3.txt"
	[ "$(acks 1)" = 1 ] || nt_fail "$tag: the restarted primary's ACKs: $(acks 1), want 1"
	got=$(ha_lease_hw 2 "$addr")
	[ "$got" = "$mac" ] ||
		nt_fail "$tag: the standby does not hold $addr for $mac given after the return (got '$got')"
	nt_log "$tag: a lease given after the return reached the standby"
	nt_stop "${HA_PID[2]}" 15 || nt_fail "$tag: standby ($s) exit status $?"
	nt_stop "${HA_PID[1]}" 15 || nt_fail "$tag: primary ($p) exit status $?"
}

round peregrine kea 01
round kea peregrine 02
exit 0
