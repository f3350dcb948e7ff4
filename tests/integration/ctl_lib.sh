# Shared by the control-channel scenarios (ctl_commands.sh,
# ctl6_commands.sh), sourced after scripts/netns.sh: requests over the
# server's unix socket $SOCK and its HTTP listener on $PORT, and checks of
# Kea-shaped answers.

# ctl_setup BUILDDIR [SERVER]: the start every such scenario shares:
# nt_init, tools, the topology and a peregrine configuration in $NT_CONF
# with a control socket $SOCK (mode 0600, and the keys in CTL_SOCKET_EXTRA)
# and an HTTP listener on 127.0.0.1:$PORT; peregrinectl in $CTL.
ctl_setup() {
	nt_init "$@"
	[ "$SERVER" = peregrine ] || nt_skip "peregrine's control channel"
	nt_need jq curl
	CTL="$NT_BUILDDIR/engine/ctl/peregrinectl"
	[ -x "$CTL" ] || nt_skip "no $CTL"
	nt_topology
	nt_server_conf
	SOCK="$NT_TMP/ctl.sock"
	PORT=$((20000 + NT_ID % 20000))
	cat >>"$NT_CONF" <<EOS
control-socket = { socket-name = "$SOCK"; socket-mode = "0600"; ${CTL_SOCKET_EXTRA:-} };
http-control = { address = "127.0.0.1"; port = $PORT; };
EOS
}

# raw REQUEST -> compact answer on stdout (the server answers and closes)
raw() {
	nt_ctl_raw "$SOCK" "$1" 15
}
# ctl COMMAND [ARGUMENTS-JSON]
ctl() {
	local a=${2:-}
	if [ -n "$a" ]; then raw "{\"command\": \"$1\", \"arguments\": $a}"
	else raw "{\"command\": \"$1\"}"; fi
}
http() {
	timeout 15 ip netns exec "$NT_SRV" curl -s -m 10 -H 'Content-Type: application/json' \
		-d "$1" "http://127.0.0.1:$PORT/"
}
# expect RESULT ANSWER [jq-test]: result code and an optional jq predicate
# (an answer in a list, as to a request with "service", is unwrapped)
expect() {
	local want=$1 ans=$2 test=${3:-true} got
	got=$(jq -r 'if type == "array" then .[0].result else .result end' <<<"$ans" 2>/dev/null)
	[ "$got" = "$want" ] || nt_fail "want result $want, got: $ans"
	jq -e "if type == \"array\" then .[0] else . end | $test" <<<"$ans" >/dev/null ||
		nt_fail "answer fails '$test': $ans"
}
# msgs: control messages the workers handled so far (every worker's summed)
msgs() {
	ctl statistic-get '{"name": "dp-ctl-messages"}' | jq '.arguments["dp-ctl-messages"][0][0]'
}
