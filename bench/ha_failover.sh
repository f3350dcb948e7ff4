#!/bin/bash
# Failover time of an HA pair in the HA topology (scripts/hatest.sh: the
# clients on a bridge, each server on it, the peer link on its own veth
# pair): a hot-standby pair reaches hot-standby, serves a few clients,
# then the primary gets kill -9 and the standby is watched.  Per trial:
# the time from the kill to the standby's partner-down (status-get every
# 50 ms) and to the first new client it ACKs (a DORA every 50 ms).
#
#   sudo bench/ha_failover.sh [--trials N] [--timers HB,MRD,MAD] BUILDDIR
#
# Kea 2.2 pairs only for now (the reference for issue 16's target);
# Peregrine's rows come with its HA thread.  Resolution: each probe is a
# python process (status-get, scapy DORA), so a trial's numbers are good
# to a few hundred milliseconds; the 100 ms target will need a probe that
# stays running.  First runs here (2 trials each): timers 1000/3000/500
# partner-down after 2.9 s, first client 2.8-3.3 s; 100/300/100: 0.50 s,
# 0.47 s.
SRC=$(cd "$(dirname "$0")/.." && pwd)
TRIALS=3 TIMERS=1000,3000,500 ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--trials) TRIALS=$2; shift ;;
	--timers) TIMERS=$2; shift ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
. "$SRC/scripts/netns.sh"
. "$SRC/scripts/hatest.sh"
NT_NAME=ha_failover
nt_init "${ARGS[0]:-$SRC/build}" kea
nt_need jq bc
IFS=, read -r HA_HEARTBEAT HA_MAX_RESPONSE HA_MAX_ACK <<<"$TIMERS"
ha_topology

now() { date +%s.%N; }
ms_since() { echo "($(now) - $1) * 1000 / 1" | bc; }

for t in $(seq 1 "$TRIALS"); do
	ha_kea_conf 1 primary hot-standby
	ha_kea_conf 2 standby hot-standby
	ha_kea_start 1
	ha_kea_start 2
	for _ in $(seq 200); do
		[ "$(ha_kea_ha_state 1)" = hot-standby ] && [ "$(ha_kea_ha_state 2)" = hot-standby ] && break
		sleep 0.1
	done
	ha_dora --count 3 --mac-base "02:00:00:0$t:aa:00" >/dev/null || nt_fail "trial $t: no lease before the kill"
	t0=$(now)
	kill -9 "${HA_PID[1]}"
	down="" served="" i=0
	while [ -z "$down" ] || [ -z "$served" ]; do
		[ -z "$down" ] && [ "$(ha_kea_ha_state 2)" = partner-down ] && down=$(ms_since "$t0")
		if [ -z "$served" ] && ha_dora --count 1 --mac-base "02:00:00:0$t:bb:$(printf %02x $((i % 256)))" \
			--timeout 0.05 >/dev/null 2>&1; then
			served=$(ms_since "$t0")
		fi
		i=$((i + 1))
		[ "$(ms_since "$t0")" -gt 60000 ] && nt_fail "trial $t: no failover within 60 s"
	done
	nt_log "trial $t (timers $TIMERS ms): partner-down after $down ms, first client served after $served ms"
	nt_stop "${HA_PID[2]}" 10
	wait "${HA_PID[1]}" 2>/dev/null
	rm -f "${HA_LEASES[1]}" "${HA_LEASES[2]}"
done
NT_RESULT=pass
