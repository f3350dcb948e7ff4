# shellcheck shell=bash
# What bench/radius_ceiling.sh and bench/radius.sh share: FreeRADIUS's own
# Access-Request rate measured with radclient and with rad_probe (the
# asynchronous client, radius/rad_client.c), against the current server of
# scripts/radtest.sh (sourced first), in its namespace when it has one
# (rad_exec).  The caller sets RL_WORK (a temp dir it removes), RL_N
# (requests per radclient run) and calls rl_requests once.

# rl_requests: RL_N Access-Requests with distinct User-Names, radclient's
# input file ($RL_WORK/requests).
rl_requests() {
	local i
	for i in $(seq 1 "$RL_N"); do printf 'User-Name = "ceiling-%d"\n\n' "$i"; done >"$RL_WORK/requests"
}

# rl_elapsed T0 T1: seconds between two $EPOCHREALTIME values.
rl_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# rl_median VALUE...: the middle one (the lower middle of an even count),
# as an integer.
rl_median() { printf '%s\n' "$@" | sort -g | awk '{ r[NR] = $1 } END { printf "%.0f", r[int((NR + 1) / 2)] }'; }

# rl_radclient P K: K radclients at once, each RL_N requests with P in
# flight; prints the total rate, fails when one lost or was refused any.
# radclient waits 1 s for an answer and sends again (3 tries): a loss
# shows as a slow run.
rl_radclient() {
	local p=$1 k=$2 t0 t1 pids=() pid i bad=0
	t0=$EPOCHREALTIME
	for ((i = 0; i < k; i++)); do
		rad_exec timeout 120 radclient -c 1 -t 1 -r 3 -p "$p" -q -s -f "$RL_WORK/requests" \
			"127.0.0.1:$RAD_AUTH_PORT" auth "$RAD_SECRET" >"$RL_WORK/radclient.$i" 2>&1 &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do wait "$pid" || bad=1; done
	t1=$EPOCHREALTIME
	for ((i = 0; i < k; i++)); do
		grep -qE "Accepted +: $RL_N\$" "$RL_WORK/radclient.$i" || bad=1
	done
	[ "$bad" = 0 ] || { cat "$RL_WORK/radclient.0" >&2; rad_die "radclient -p $p: not every request accepted"; }
	awk -v n=$((RL_N * k)) -v s="$(rl_elapsed "$t0" "$t1")" 'BEGIN { printf "%.1f", n / s }'
}

# rl_rate_of CMD...: the "rate R/s" CMD prints (rad_radcli, rad_probe), run
# in the server's namespace, bounded by 120 s.
rl_rate_of() {
	local out
	out=$(rad_exec timeout 120 "$@" 2>&1) || { printf '%s\n' "$out" >&2; rad_die "$1 failed"; }
	grep -oE 'rate [0-9.]+' <<<"$out" | awk '{ print $2 }'
}

# rl_probe N C: rad_probe's rate for N Access-Requests, C in flight.
rl_probe() {
	rl_rate_of "$RL_PROBE" -s "127.0.0.1:$RAD_AUTH_PORT" -k "$RAD_SECRET" -n "$1" -c "$2"
}
