#!/bin/bash
# kill -9 of the primary of a hot-standby pair under load (scripts/hatest.sh's
# topology with peregrine-bench on a bridge port of its own, bench/ha_lib.sh:
# a /15, a pool of 65k).  300 new clients a second for 8 s; the primary
# gets SIGKILL after 3 s.  Timers 200/600/100 ms, max-unacked-clients 0.
#  - the standby reaches partner-down within 3 s of the kill and serves:
#    the generator's clients keep being bound after the kill;
#  - no address is ACKed to two clients across both servers (the
#    generator sees every ACK of either: its "duplicates" count is 0), and
#    none outside the pool;
#  - the primary restarted syncs: both back in hot-standby with the same
#    lease set, in which no address has two clients.
# Usage: ha_kill9.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
. "$(dirname "$0")/../../bench/ha_lib.sh"
hb_need peregrine
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology
ha_gen_port
hb_pair_start peregrine hot-standby
nt_log "pair in hot-standby"

leases() { ha_lease_list "$@"; }   # "addr mac" per lease, sorted

HB_CLIENTS=10000
hb_gen_bg 300 8 9 "$NT_TMP/gen.json"
gpid=$NT_LAST_PID
sleep 3
acks_before=$(ha_statistic 1 pkt4-ack-sent)
[ "$acks_before" -gt 0 ] || nt_fail "the primary ACKed nothing before the kill"
kill -9 "${HA_PID[1]}"
t0=$SECONDS
nt_wait_for 3 "the standby to reach partner-down after the kill" eval '[ "$(ha_state 2)" = partner-down ]'
nt_log "standby in partner-down $((SECONDS - t0)) s after the kill (primary had ACKed $acks_before)"
nt_wait_exit "$gpid" 40
rc=$?   # 3: it saw an address given twice (checked below from its report)
[ "$rc" = 0 ] || [ "$rc" = 3 ] || nt_fail "the generator did not finish cleanly (status $rc)"
[ -s "$NT_TMP/gen.json" ] || nt_fail "no generator report"
read -r bound dups oop drops <<<"$(jq -r '"\(.bound) \(.duplicates) \(.out_of_pool) \(.drops)"' "$NT_TMP/gen.json")"
nt_log "generator: $bound clients bound, $drops DORAs lost, $dups duplicates, $oop out of pool"
[ "$dups" = 0 ] && [ "$oop" = 0 ] || nt_fail "addresses ACKed to two clients: $dups, out of the pool: $oop"
served=$(ha_statistic 2 pkt4-ack-sent)
[ "$served" -gt 300 ] || nt_fail "the standby ACKed $served after the kill, want > 300 (about 5 s at 300/s)"
[ "$bound" -gt 1800 ] || nt_fail "only $bound of 2400 clients bound"

wait "${HA_PID[1]}" 2>/dev/null
ha_peregrine_start 1
nt_wait_for 60 "both back in hot-standby" hb_both hot-standby
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "lease sets differ after the sync ($(wc -l <"$NT_TMP/l1.txt") and $(wc -l <"$NT_TMP/l2.txt") leases; first difference: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | sed -n 2p))"
dup=$(awk '{print $1}' "$NT_TMP/l2.txt" | uniq -d | head -3)
[ -z "$dup" ] || nt_fail "an address with two leases: $dup"
nt_log "synced back: both hold the same $(wc -l <"$NT_TMP/l2.txt") leases"
nt_stop "${HA_PID[2]}" 20 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 20 || nt_fail "primary exit status $?"
hb_pair_clean
exit 0
