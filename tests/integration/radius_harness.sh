#!/bin/bash
# Self-check of the FreeRADIUS harness (scripts/radtest.sh), by hand and as
# root; not a meson test:
#
#   tests/integration/radius_harness.sh BUILDDIR
#
# Proves, with radclient: a user of the users file written before the
# start is accepted with Framed-IP-Address and Framed-Pool (v4) and with
# Framed-IPv6-Address, Delegated-IPv6-Prefix and Framed-IPv6-Pool, another
# rejected, an unknown one accepted with no attribute (RAD_DEFAULT=accept),
# over 127.0.0.1 and ::1; an Accounting-Request Start is a record of the
# detail file; a user added later takes effect after rad_reload_users
# (HUP); a second server at once, in the test's server namespace with
# RAD_DEFAULT=reject, unreachable from the first's loopback; a paused
# server answers nothing and answers again once resumed; a server that is
# down comes back on the same ports with its detail file; a failed test
# (exit 1, with and without scripts/netns.sh) and rad_cleanup leave no
# freeradius process and no temp dir.  Prints the start-up time.
# shellcheck disable=SC2015,SC2119 # "A && B || fail" is meant; rad_* take no args here
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/scripts/netns.sh"
nt_init "${1:-build}" peregrine
. "$SRCDIR/scripts/radtest.sh"
nt_need freeradius radclient ss

# got OUT WORD...: OUT contains every line given.
got() {
	local out=$1 l
	shift
	for l in "$@"; do
		grep -qF -- "$l" <<<"$out" || { printf '%s\n' "$out" >&2; nt_fail "no '$l' in the answer"; }
	done
}

# reply_attrs OUT: the attribute lines after "Received".
reply_attrs() { sed -n '/^Received/,$p' <<<"$1" | grep -c $'^\t'; }

# gone PID DIR: no such process (nor a freeradius with that pid), no DIR.
gone() {
	if kill -0 "$1" 2>/dev/null && grep -q freeradius "/proc/$1/cmdline" 2>/dev/null; then
		nt_fail "freeradius $1 left running"
	fi
	[ -e "$2" ] && nt_fail "$2 left behind"
	return 0
}

# --- server a: the users file written before it starts -------------------
rad_prepare a
rad_user alice accept 'Framed-IP-Address = 198.18.0.50' 'Framed-Pool = "gold"'
rad_user 00:11:22:33:44:55 accept 'Framed-IPv6-Address = 2001:db8::5' \
	'Delegated-IPv6-Prefix = 2001:db8:1::/56' 'Framed-IPv6-Pool = "v6gold"'
rad_user bob reject
t0=$EPOCHREALTIME
rad_start a
t1=$EPOCHREALTIME
nt_log "start-up (copy, config, ready, Status-Server answered): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f ms", (b - a) * 1000 }')"
A_PID=$RAD_PID A_DIR=$RAD_DIR A_AUTH=$RAD_AUTH_PORT A_ACCT=$RAD_ACCT_PORT
[ "$RAD_A_PID" = "$A_PID" ] && [ "$RAD_A_AUTH_PORT" = "$A_AUTH" ] || nt_fail "RAD_A_* differ from RAD_*"
[ "$A_ACCT" = $((A_AUTH + 1)) ] || nt_fail "acct port $A_ACCT is not auth + 1"
[ "$A_AUTH" -ge 20000 ] && [ "$A_ACCT" -le 29999 ] || nt_fail "ports $A_AUTH/$A_ACCT outside 20000-29999"

out=$(rad_auth alice) || nt_fail "alice not accepted"
got "$out" "Received Access-Accept" "Framed-IP-Address = 198.18.0.50" 'Framed-Pool = "gold"'
out=$(rad_auth 00:11:22:33:44:55) || nt_fail "00:11:22:33:44:55 not accepted"
got "$out" "Received Access-Accept" "Framed-IPv6-Address = 2001:db8::5" \
	"Delegated-IPv6-Prefix = 2001:db8:1::/56" 'Framed-IPv6-Pool = "v6gold"'
out=$(rad_auth bob) && nt_fail "bob accepted"
got "$out" "Received Access-Reject"
out=$(rad_auth stranger) || nt_fail "an unknown user not accepted (RAD_DEFAULT=accept)"
got "$out" "Received Access-Accept"
[ "$(reply_attrs "$out")" = 0 ] || nt_fail "an unknown user got attributes: $out"
if [ "$RAD_V6" = 1 ]; then
	out=$(echo 'User-Name = "alice"' | timeout 10 radclient -x -r 1 -t 2 "[::1]:$A_AUTH" auth "$RAD_SECRET") ||
		nt_fail "alice not accepted over ::1"
	got "$out" "Received Access-Accept" "Framed-IP-Address = 198.18.0.50"
else
	nt_log "no ::1 here: IPv6 loopback not checked"
fi

# accounting: one record per request, one line per attribute
rad_acct Start alice 'Acct-Session-Id = "sess-1"' 'Framed-IP-Address = 198.18.0.50' >/dev/null ||
	nt_fail "Accounting-Request not answered"
rad_detail_wait 5 '^	Acct-Session-Id = "sess-1"$'
[ "$(rad_detail_count '^	Acct-Status-Type = Start$')" = 1 ] || nt_fail "not one Start in $RAD_DETAIL"
awk '/Acct-Session-Id = "sess-1"/ { s = 1 } s && /Framed-IP-Address = 198.18.0.50/ { f = 1 } END { exit !f }' \
	"$RAD_DETAIL" || nt_fail "the Start record lacks Framed-IP-Address"

# a user added while it runs: accepted by default before, rejected after the HUP
out=$(rad_auth carol) || nt_fail "carol not accepted before the reload"
rad_user carol reject
rad_reload_users
out=$(rad_auth carol) && nt_fail "carol accepted after the reload"
got "$out" "Received Access-Reject"
rad_auth alice >/dev/null || nt_fail "alice lost by the reload"

# --- server b: at the same time, in the server namespace, reject by default
nt_topology
RAD_NETNS=$NT_SRV RAD_DEFAULT=reject rad_start b
B_PID=$RAD_PID B_DIR=$RAD_DIR
[ "$RAD_NAME" = b ] && [ "$B_PID" != "$A_PID" ] && [ "$RAD_AUTH_PORT" != "$A_AUTH" ] ||
	nt_fail "server b is not a second server"
out=$(rad_auth stranger) && nt_fail "an unknown user accepted by b (RAD_DEFAULT=reject)"
got "$out" "Received Access-Reject"
echo 'User-Name = "x"' | timeout 10 radclient -r 1 -t 1 "127.0.0.1:$RAD_B_AUTH_PORT" auth "$RAD_SECRET" \
	>/dev/null 2>&1 && nt_fail "server b answered from outside its namespace"
rad_use a
rad_auth alice >/dev/null || nt_fail "server a stopped answering while b runs"

# --- pause / resume: a server that answers nothing, then again -----------
rad_pause a
out=$(rad_auth alice) && nt_fail "a paused server answered"
grep -q '^Received' <<<"$out" && nt_fail "a paused server answered: $out"
rad_resume a
rad_auth alice >/dev/null || nt_fail "not answering after rad_resume"
# a paused server is still stopped by rad_stop (CONT after TERM)
rad_pause b
rad_stop b
gone "$B_PID" "$B_DIR"

# --- down and up: same ports, same detail file ----------------------------
rad_down a
rad_auth alice >/dev/null 2>&1 && nt_fail "a server that is down answered"
[ -d "$A_DIR" ] || nt_fail "rad_down removed the directory"
rad_start a
[ "$RAD_AUTH_PORT" = "$A_AUTH" ] && [ "$RAD_PID" != "$A_PID" ] || nt_fail "not back on the same ports"
rad_auth alice >/dev/null || nt_fail "not answering after the restart"
rad_acct Stop alice 'Acct-Session-Id = "sess-1"' >/dev/null || nt_fail "Stop not answered"
rad_detail_wait 5 '^	Acct-Status-Type = (Start|Stop)$' 2
A_PID=$RAD_PID

# --- a failed test cleans up: alone (its own trap) and under netns.sh ------
for mode in alone netns; do
	rec="$NT_TMP/child-$mode"
	bash -c '
		src=$1 mode=$2 rec=$3 builddir=$4
		if [ "$mode" = netns ]; then
			. "$src/scripts/netns.sh"
			NT_NAME=radius_harness_child nt_init "$builddir" peregrine
		fi
		. "$src/scripts/radtest.sh"
		rad_start x >/dev/null 2>&1
		rad_start y >/dev/null 2>&1
		rad_pause x
		echo "$RAD_X_PID $RAD_X_DIR" >"$rec"
		echo "$RAD_Y_PID $RAD_Y_DIR" >>"$rec"
		exit 1' child "$SRCDIR" "$mode" "$rec" "$NT_BUILDDIR" >"$rec.log" 2>&1
	[ "$?" = 1 ] || { cat "$rec.log" >&2; nt_fail "the $mode child did not fail as asked"; }
	[ "$(wc -l <"$rec")" = 2 ] || { cat "$rec.log" >&2; nt_fail "the $mode child started no servers"; }
	while read -r pid dir; do gone "$pid" "$dir"; done <"$rec"
done

# --- rad_cleanup -----------------------------------------------------------
rad_cleanup 0
gone "$A_PID" "$A_DIR"
[ "${#RAD_NAMES[@]}" = 0 ] || nt_fail "servers left after rad_cleanup: ${RAD_NAMES[*]}"
exit 0
