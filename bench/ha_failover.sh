#!/bin/bash
# shellcheck disable=SC2034 # netns.sh reads NT_RESULT
# Failover time of a hot-standby pair under load, in the HA topology
# (scripts/hatest.sh: the clients on a bridge, each server's port on it,
# the peer link on a veth pair of its own).  Per trial: both servers reach
# hot-standby; peregrine-bench offers --load DORA/s of background load
# through the bridge (its own port, ha_gen_port); bench/ha_probe.py, which
# stays running, starts a DORA for a fresh client every 5 ms and polls the
# standby's status-get every 10 ms; after 20 ACKs from the primary the
# probe itself sends the primary SIGKILL, then records the time to the
# standby's partner-down and to the first ACK the standby sends (option
# 54).  Resolution about 10 ms.
#
#   sudo bench/ha_failover.sh [options] BUILDDIR
#     --server S       peregrine | kea | both (default both: one pair of
#                      each per timer set, side by side in one run)
#     --timers LIST    heartbeat-delay,max-response-delay,max-ack-delay sets
#                      in ms, space separated (default "20,60,20 100,300,100
#                      1000,3000,500")
#     --trials N       per server and timer set (default 3)
#     --load R         background DORA/s (default 500; 0: none)
#     --json FILE      one JSON line per trial
#     --table FILE     the medians as a markdown table
#
# Needs root.  Every process is started through scripts/netns.sh and
# stopped by PID; the probe and the generator are bounded in time.
SRC=$(cd "$(dirname "$0")/.." && pwd)
SERVERS="peregrine kea" TIMERS="20,60,20 100,300,100 1000,3000,500" TRIALS=3 LOAD=500
JSON="" TABLE="" ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--server) [ "$2" = both ] && SERVERS="peregrine kea" || SERVERS=$2; shift ;;
	--timers) TIMERS=$2; shift ;;
	--trials) TRIALS=$2; shift ;;
	--load) LOAD=$2; shift ;;
	--json) JSON=$2; shift ;;
	--table) TABLE=$2; shift ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
for s in $SERVERS; do
	case $s in peregrine | kea) ;; *) echo "--server: peregrine, kea or both" >&2; exit 2 ;; esac
done
. "$SRC/scripts/netns.sh"
. "$SRC/scripts/hatest.sh"
. "$SRC/bench/ha_lib.sh"
NT_NAME=ha_failover
nt_init "${ARGS[0]:-$SRC/build}" peregrine
NT_KEA=/usr/sbin/kea-dhcp4
hb_need "$SERVERS"
ha_topology
ha_gen_port
[ -n "$JSON" ] && : >"$JSON"
RES="$NT_TMP/results"
: >"$RES"

# trial KIND TIMERS T: one kill -9 under load; appends "kind timers down served" to $RES.
trial() {
	local kind=$1 t=$3 out="$NT_TMP/probe.json" gpid="" down served load
	IFS=, read -r HA_HEARTBEAT HA_MAX_RESPONSE HA_MAX_ACK <<<"$2"
	hb_pair_start "$kind" hot-standby
	if [ "$LOAD" -gt 0 ]; then
		hb_gen_bg "$LOAD" $((HA_MAX_RESPONSE / 1000 + 40)) "$((t + 1))" "$NT_TMP/gen.json"
		gpid=$NT_LAST_PID
		sleep 2
	fi
	NT_STEP=$((HA_MAX_RESPONSE / 1000 + 100)) nt_cli "$NT_PY" "$SRC/bench/ha_probe.py" \
		--iface "$HA_VC" --sock "${HA_SOCK[2]}" --kill "${HA_PID[1]}" --psock "${HA_SOCK[1]}" \
		--primary "${HA_IP[1]}" --standby "${HA_IP[2]}" \
		--limit $((HA_MAX_RESPONSE / 1000 + 30)) >"$out" 2>"$NT_TMP/probe.err"
	# the generator's clients lost in the failover time out after 1 s:
	# let them, so its drop count includes them
	[ -n "$gpid" ] && sleep 1.2 && nt_stop "$gpid" 10 INT
	nt_stop "${HA_PID[2]}" 15
	nt_wait_exit "${HA_PID[1]}" 10
	hb_pair_clean
	[ -s "$out" ] || nt_fail "$kind $2 trial $t: no probe output ($(cat "$NT_TMP/probe.err"))"
	load=none
	[ -s "$NT_TMP/gen.json" ] &&
		load=$(jq -r --argjson r "$LOAD" '"\(.leases_per_s | floor) ACK/s, \(.drops) DORAs lost (\(.drops * 1000 / $r | floor) ms of it)"' "$NT_TMP/gen.json")
	down=$(jq -r '.partner_down_ms // "none"' "$out")
	served=$(jq -r '.first_served_ms // "none"' "$out")
	nt_log "$kind timers $2 trial $t: partner-down after $down ms, first client served by the standby after $served ms ($(jq -c '{acks_primary, acks_standby, polls, warm_ms, before: (.states_before | map(.[1] // "none") | join(">")), primary: (.primary_before | map(.[1] // "none") | join(">"))}' "$out"); load: $load)"
	echo "$kind $2 $down $served" >>"$RES"
	[ -n "$JSON" ] && jq -c --arg s "$kind" --arg tm "$2" --arg l "$LOAD" --argjson t "$t" \
		'{server: $s, timers: $tm, load: ($l | tonumber), trial: $t} + .' "$out" >>"$JSON"
	return 0
}

for tm in $TIMERS; do
	for t in $(seq 1 "$TRIALS"); do
		for kind in $SERVERS; do
			trial "$kind" "$tm" "$t"
		done
	done
done

{
	echo "| server | timers (hb/mrd/mad ms) | kill → partner-down, ms: median (min–max) | kill → first client served by the standby, ms: median (min–max) | trials |"
	echo "|---|---|---:|---:|---:|"
	for tm in $TIMERS; do
		for kind in $SERVERS; do
			awk -v k="$kind" -v tm="$tm" '$1 == k && $2 == tm { d[++n] = $3; s[n] = $4 }
				function med(a, n,   i, j, t, b, m) {
					m = 0
					for (i = 1; i <= n; i++) if (a[i] != "none") b[++m] = a[i] + 0
					if (!m) return "none"
					for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
					return sprintf("%.0f (%.0f–%.0f)%s", m % 2 ? b[(m + 1) / 2] : (b[m / 2] + b[m / 2 + 1]) / 2,
						b[1], b[m], m < n ? sprintf(", %d missed", n - m) : "")
				}
				END { if (n) printf "| %s | %s | %s | %s | %d |\n", k, tm, med(d, n), med(s, n), n }' "$RES" |
				sed 's#| \([0-9]*\),\([0-9]*\),\([0-9]*\) |#| \1/\2/\3 |#'
		done
	done
} >"$NT_TMP/table.md"
cat "$NT_TMP/table.md"
[ -n "$TABLE" ] && cp "$NT_TMP/table.md" "$TABLE"
NT_RESULT=pass
exit 0
