# shellcheck shell=bash
# What the private servers of the tests share (scripts/pgtest.sh for
# PostgreSQL, scripts/redistest.sh for Redis): their log lines, failing or
# skipping the test (through scripts/netns.sh's nt_fail / nt_skip when the
# test uses it), and a loopback port to listen on.

# svc_log WHO MSG...: "[time test] MSG" on the test's log (NT_NAME, else WHO).
svc_log() {
	local who=$1
	shift
	printf '[%s %s] %s\n' "$(date +%T)" "${NT_NAME:-$who}" "$*" >&"${NT_LOGFD:-2}"
}

# svc_die WHO MSG...: the test fails.
svc_die() {
	local who=$1
	shift
	if declare -F nt_fail >/dev/null; then nt_fail "$*"; fi
	svc_log "$who" "FAIL: $*"
	exit 1
}

# svc_skip WHO MSG...: the test is skipped (exit 77).
svc_skip() {
	local who=$1
	shift
	if declare -F nt_skip >/dev/null; then nt_skip "$*"; fi
	svc_log "$who" "SKIP: $*"
	exit 77
}

# svc_log_tail RC NAME FILE: when the test failed (RC neither 0 nor 77),
# the last 20 lines of the server's log FILE, headed by NAME.
svc_log_tail() {
	if [ "$1" != 0 ] && [ "$1" != 77 ] && [ -s "$3" ]; then
		echo "----- $2 (last 20 lines) -----" >&"${NT_LOGFD:-2}"
		tail -n 20 "$3" >&"${NT_LOGFD:-2}"
	fi
}

# svc_port: a random port in 20000..59999 that nothing listens on now
# (the caller still retries its start: another process may take it).
svc_port() {
	local port
	while :; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . || break
	done
	echo "$port"
}

# svc_gone WHO NAME PID SECS: once its stop was asked for, wait up to SECS
# for PID to end, then SIGKILL it.
svc_gone() {
	local who=$1 name=$2 pid=$3 deadline=$((SECONDS + $4))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			svc_log "$who" "$name $pid still there, SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.05
	done
}
