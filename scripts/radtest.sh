# shellcheck shell=bash disable=SC2034 # RAD_* are read by the callers
# Throw-away FreeRADIUS 3.2 servers on loopback for tests and benchmarks
# (RADIUS, issue 17; docs/radius-plan.md).  Source it from a bash script
# (alone, or after scripts/netns.sh, whose EXIT trap calls rad_cleanup):
#
#   . "$SRCDIR/scripts/radtest.sh"
#   rad_start [NAME]           # prepare (if not yet) and start server NAME ("main")
#   rad_user USER accept 'Framed-IP-Address = 198.18.0.50' 'Framed-Pool = "gold"'
#   rad_user USER reject       # ... then rad_reload_users, or write them before
#                              # rad_start with rad_prepare NAME first
#   rad_auth USER [ATTR=VALUE]...          # radclient Access-Request; prints the reply
#   rad_acct Start USER [ATTR=VALUE]...    # radclient Accounting-Request
#   rad_detail_wait SECS ERE   # until a line of the detail file matches ERE
#   rad_pause / rad_resume [NAME]   # SIGSTOP / SIGCONT: a server that is slow or gone
#   rad_down [NAME]            # stop the process, keep ports and files; rad_start
#                              # brings it back on the same ports (an outage)
#   rad_reload_users [NAME]    # HUP: FreeRADIUS reads the users file again
#   rad_stop [NAME]            # stop by pid, remove its temp dir
#   rad_cleanup                # every server this script started (EXIT traps)
#
# Servers.  Each server has a NAME ([A-Za-z][A-Za-z0-9_]*, "main" when
# none is given): rad_start a; rad_start b runs two at once (failover
# tests).  Everything about server NAME is exported as RAD_<NAME>_<FIELD>
# (NAME upper-cased: RAD_A_PID, RAD_B_AUTH_PORT ...) with FIELD one of
#
#   PID        freeradius's pid (empty while down)
#   AUTH_PORT  UDP port of Access-Request (and Status-Server)
#   ACCT_PORT  UDP port of Accounting-Request (AUTH_PORT + 1)
#   DIR        its configuration copy, logs and files (mktemp -d /tmp/pgt-rad.XXXXXX)
#   USERS      the users file its authorize section reads (`files` module)
#   DETAIL     the detail file every Accounting-Request is written to
#   LOG        its log (FreeRADIUS's own log and its stdout/stderr)
#   SECRET     the shared secret of 127.0.0.1 and ::1
#   NETNS      the network namespace it runs in (empty: this one)
#   V6         1 when it listens on ::1 too (same ports)
#
# and the unprefixed RAD_PID, RAD_AUTH_PORT, RAD_ACCT_PORT, RAD_DIR,
# RAD_USERS, RAD_DETAIL, RAD_LOG, RAD_SECRET, RAD_NETNS, RAD_V6 and
# RAD_NAME describe the current server: the one last prepared or started,
# or chosen with rad_use NAME.  rad_user, rad_auth, rad_acct and the
# detail helpers act on the current server.
#
# The configuration: /etc/freeradius/3.0 copied, then sites-enabled/* and
# mods-enabled/* removed (eap needs certificates; nothing else is used),
# and our own radiusd.conf (no proxy, no policy.d, runs as root, files in
# DIR, reject_delay 0), clients.conf (127.0.0.1 and ::1 with the secret)
# and one site listening on 127.0.0.1 (and ::1) with three modules:
#
#   authorize:  files (the users file); a user found there decides with
#               its Auth-Type (rad_user writes Accept or Reject) and gets
#               its reply items; anybody else gets RAD_DEFAULT
#               (accept: Access-Accept with no attributes, or reject)
#   accounting: detail (one line per attribute, a blank line after each
#               record, headed by the time), then Accounting-Response
#
# Knobs, read when a server is prepared: RAD_SECRET (pgt-radius-secret),
# RAD_DEFAULT (accept | reject), RAD_NETNS (run inside this namespace,
# e.g. scripts/netns.sh's $NT_SRV, where Peregrine's RADIUS thread sees
# its loopback; radclient is run there too), RAD_V6 (auto: listen on ::1
# when the namespace has it; 1: make lo have ::1, needed; 0: IPv4 only),
# RAD_USERS_FROM (a file copied into the users file), RAD_THREADS
# (the thread pool's maximum, 32).  When started: RAD_DEBUG=1 runs
# `freeradius -X` (single-threaded, every packet in the log), else
# `freeradius -f`; RAD_START_TIMEOUT (20 s).  RAD_KEEP=1 leaves the temp
# dirs behind.
#
# Start-up takes about 0.1 s (copy, config, FreeRADIUS ready, one
# Status-Server answered).  A HUP is honoured by FreeRADIUS only 3 s
# after the module was loaded and 5 s after the previous HUP:
# rad_reload_users waits for that (and says so), so write the users file
# before rad_start when you can.
#
# Processes are stopped by pid only, never by name; every function must
# run in the script's own shell (not in $(...)), which is freeradius's
# parent.  rad_start installs `trap rad_cleanup EXIT` when no EXIT trap is
# set.

RAD_NAMES=()
RAD_CLEANED=0

# shellcheck source=scripts/svctest.sh
. "$(dirname "${BASH_SOURCE[0]}")/svctest.sh"
rad_log() { svc_log radtest "$@"; }
rad_die() { svc_die radtest "$@"; }

# _rad_key NAME: the upper-case key of NAME in variable names.
_rad_key() {
	[[ $1 =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || rad_die "bad RADIUS server name '$1'"
	# RAD_AUTH_PORT and RAD_ACCT_PORT are the current server's
	case ${1^^} in AUTH | ACCT) rad_die "RADIUS server name '$1' is reserved" ;; esac
	echo "${1^^}"
}

# _rad_get NAME FIELD / _rad_put NAME FIELD VALUE: RAD_<NAME>_<FIELD>.
_rad_get() {
	local v
	v="RAD_$(_rad_key "$1")_$2"
	echo "${!v:-}"
}
_rad_put() {
	local v
	v="RAD_$(_rad_key "$1")_$2"
	printf -v "$v" '%s' "$3"
	export "${v?}"
}

_rad_known() {
	local n
	for n in "${RAD_NAMES[@]}"; do [ "$n" = "$1" ] && return 0; done
	return 1
}

# rad_use NAME: make NAME the current server (the unprefixed RAD_*).
rad_use() {
	local f v
	_rad_known "$1" || rad_die "no RADIUS server '$1'"
	export RAD_NAME=$1
	for f in PID AUTH_PORT ACCT_PORT DIR USERS DETAIL LOG SECRET NETNS V6; do
		v="RAD_${1^^}_$f"
		printf -v "RAD_$f" '%s' "${!v:-}"
		export "RAD_${f?}"
	done
}

# rad_exec CMD...: CMD in the current server's network namespace.
rad_exec() {
	if [ -n "${RAD_NETNS:-}" ]; then
		ip netns exec "$RAD_NETNS" "$@"
	else
		"$@"
	fi
}

# _rad_alive PID: PID runs (not a zombie) and is this shell's child.
_rad_alive() {
	local st
	[ -n "$1" ] || return 1
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	# shellcheck disable=SC2086 # the fields of /proc/PID/stat
	set -- $st
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# _rad_ports_free P: UDP ports P and P+1 are free in the namespace and
# not taken by another server of this script.
_rad_ports_free() {
	local n
	for n in "${RAD_NAMES[@]}"; do
		[ "$(_rad_get "$n" AUTH_PORT)" = "$1" ] && return 1
	done
	! rad_exec ss -Huln "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null | grep -q .
}

# _rad_pick_ports NAME: an even AUTH_PORT in 20000..29998, ACCT_PORT next.
_rad_pick_ports() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + (RANDOM % 5000) * 2))
		if _rad_ports_free "$p"; then
			_rad_put "$1" AUTH_PORT "$p"
			_rad_put "$1" ACCT_PORT "$((p + 1))"
			return 0
		fi
	done
	rad_die "no free UDP port pair in 20000-29999"
}

# _rad_v6 NETNS: whether the server will listen on ::1 (RAD_V6).
_rad_v6() {
	case ${RAD_V6:-auto} in
	0) echo 0 ;;
	1)
		if ! rad_exec ip -6 addr show dev lo 2>/dev/null | grep -q '::1/'; then
			rad_exec sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 >/dev/null 2>&1
			rad_exec ip -6 addr add ::1/128 dev lo 2>/dev/null
		fi
		rad_exec ip -6 addr show dev lo 2>/dev/null | grep -q '::1/' ||
			rad_die "no ::1 on lo${RAD_NETNS:+ in $RAD_NETNS} (RAD_V6=1)"
		echo 1 ;;
	*)
		if rad_exec ip -6 addr show dev lo 2>/dev/null | grep -q '::1/'; then
			echo 1
		else
			echo 0
		fi ;;
	esac
}

# rad_prepare [NAME]: the server's directory, configuration, users and
# detail files and ports, not started (so a test can fill the users file
# and write its own config with the ports first).  Becomes current.
rad_prepare() {
	local name=${1:-main} dir secret def v6
	_rad_key "$name" >/dev/null
	_rad_known "$name" && rad_die "RADIUS server '$name' exists already"
	command -v freeradius >/dev/null || svc_skip radtest "no freeradius (FreeRADIUS 3.2)"
	command -v radclient >/dev/null || svc_skip radtest "no radclient (freeradius-utils)"
	[ -d /etc/freeradius/3.0 ] || svc_skip radtest "no /etc/freeradius/3.0"
	if [ -n "${RAD_NETNS:-}" ] && [ "$(id -u)" != 0 ]; then
		svc_skip radtest "needs root to run FreeRADIUS in $RAD_NETNS"
	fi
	if [ -z "$(trap -p EXIT)" ]; then
		trap rad_cleanup EXIT
		[ -n "$(trap -p INT)" ] || trap 'rad_log interrupted; exit 130' INT
		[ -n "$(trap -p TERM)" ] || trap 'rad_log terminated; exit 143' TERM
	fi
	secret=${RAD_SECRET:-pgt-radius-secret}
	def=${RAD_DEFAULT:-accept}
	case $def in
	accept) def=Accept ;;
	reject) def=Reject ;;
	*) rad_die "RAD_DEFAULT must be accept or reject, not '$def'" ;;
	esac
	dir=$(mktemp -d /tmp/pgt-rad.XXXXXX) || rad_die "mktemp"
	RAD_NAMES+=("$name")
	RAD_CLEANED=0
	_rad_put "$name" DIR "$dir"
	_rad_put "$name" PID ""
	_rad_put "$name" SECRET "$secret"
	_rad_put "$name" NETNS "${RAD_NETNS:-}"
	_rad_put "$name" USERS "$dir/users"
	_rad_put "$name" DETAIL "$dir/detail"
	_rad_put "$name" LOG "$dir/log"
	_rad_put "$name" STARTED 0
	_rad_put "$name" DEFAULT "$def"
	rad_use "$name"
	v6=$(_rad_v6)
	_rad_put "$name" V6 "$v6"
	cp -a /etc/freeradius/3.0/. "$dir/" || rad_die "copy /etc/freeradius/3.0"
	rm -rf "$dir/sites-enabled/"* "$dir/mods-enabled/"*
	if [ -n "${RAD_USERS_FROM:-}" ]; then
		cp "$RAD_USERS_FROM" "$dir/users" || rad_die "copy $RAD_USERS_FROM"
	else
		: >"$dir/users"
	fi
	: >"$dir/detail"
	_rad_pick_ports "$name"
	_rad_conf "$dir" "$secret"
	_rad_site "$name"
	rad_use "$name"
}

# _rad_conf DIR SECRET: radiusd.conf, clients.conf and the modules.
_rad_conf() {
	local d=$1
	cat >"$d/radiusd.conf" <<EOF
# generated by scripts/radtest.sh
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $d
raddbdir = $d
radacctdir = $d
name = freeradius
confdir = $d
modconfdir = \${confdir}/mods-config
certdir = \${confdir}/certs
cadir = \${confdir}/certs
run_dir = $d
db_dir = $d
libdir = /usr/lib/freeradius
pidfile = $d/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
	destination = files
	colourise = no
	file = $d/log
	auth = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
proxy_requests = no
\$INCLUDE clients.conf
thread pool {
	start_servers = 5
	max_servers = ${RAD_THREADS:-32}
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
	auto_limit_acct = no
}
modules {
	\$INCLUDE mods-enabled/
}
\$INCLUDE sites-enabled/
EOF
	cat >"$d/clients.conf" <<EOF
client lo4 {
	ipaddr = 127.0.0.1
	secret = "$2"
	require_message_authenticator = no
}
client lo6 {
	ipv6addr = ::1
	secret = "$2"
	require_message_authenticator = no
}
EOF
	ln -s ../mods-available/always "$d/mods-enabled/always"
	cat >"$d/mods-enabled/files" <<EOF
files {
	filename = $d/users
}
EOF
	cat >"$d/mods-enabled/detail" <<EOF
detail {
	filename = $d/detail
	escape_filenames = no
	permissions = 0600
	header = "%t"
	locking = no
}
EOF
}

# _rad_listen TYPE ADDR PORT: one listen section.
_rad_listen() {
	# a 4 MB receive buffer: at 256 requests in flight the default one
	# overflows (RcvbufErrors), and each loss costs a retransmission
	printf '\tlisten {\n\t\ttype = %s\n\t\t%s\n\t\tport = %s\n\t\trecv_buff = 4194304\n\t}\n' \
		"$1" "$2" "$3"
}

# _rad_site NAME: the one virtual server, on the ports of NAME.
_rad_site() {
	local d a c def listen
	d=$(_rad_get "$1" DIR) a=$(_rad_get "$1" AUTH_PORT) c=$(_rad_get "$1" ACCT_PORT)
	def=$(_rad_get "$1" DEFAULT)
	listen=$(_rad_listen auth "ipaddr = 127.0.0.1" "$a"; _rad_listen acct "ipaddr = 127.0.0.1" "$c")
	if [ "$(_rad_get "$1" V6)" = 1 ]; then
		listen+=$'\n'$(_rad_listen auth "ipv6addr = ::1" "$a"; _rad_listen acct "ipv6addr = ::1" "$c")
	fi
	cat >"$d/sites-enabled/pgt" <<EOF
# generated by scripts/radtest.sh for server $1
server pgt {
$listen
	authorize {
		files
		if (!&control:Auth-Type) {
			update control {
				&Auth-Type := $def
			}
		}
	}
	authenticate {
	}
	preacct {
	}
	accounting {
		detail
	}
	# every answer carries a Message-Authenticator (RFC 3579; what a
	# client hardened against Blast-RADIUS requires), Accept and Reject
	post-auth {
		update reply {
			&Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				&Message-Authenticator := 0x00
			}
		}
	}
}
EOF
}

# rad_start [NAME]: prepare NAME if needed, start FreeRADIUS and wait until
# its auth port answers a Status-Server.  Starting a server that is down
# (rad_down) brings it back on the same ports.  Becomes current.
rad_start() {
	local name=${1:-main} fresh=0 try pid
	if ! _rad_known "$name"; then
		rad_prepare "$name"
		fresh=1
	fi
	rad_use "$name"
	_rad_alive "$RAD_PID" && rad_die "RADIUS server '$name' runs already (pid $RAD_PID)"
	for try in 1 2 3 4 5; do
		_rad_spawn "$name"
		pid=$(_rad_get "$name" PID)
		if _rad_wait_ready "$name"; then
			_rad_put "$name" STARTED "$(date +%s)"
			_rad_put "$name" HUP 0
			rad_use "$name"
			rad_log "freeradius '$name' (pid $pid${RAD_NETNS:+, netns $RAD_NETNS}) auth $RAD_AUTH_PORT acct $RAD_ACCT_PORT$([ "$RAD_V6" = 1 ] && echo ' on 127.0.0.1 and ::1')"
			return 0
		fi
		_rad_kill "$name"
		# Somebody took a port between the check and the bind: choose
		# again, unless the ports may already be in a test's config.
		if [ "$fresh" = 1 ] && [ "$try" -lt 5 ] && grep -qiE 'Address already in use|Failed binding' "$RAD_LOG"; then
			rad_log "freeradius '$name': port taken, choosing others"
			_rad_pick_ports "$name"
			_rad_site "$name"
			rad_use "$name"
			continue
		fi
		tail -n 20 "$RAD_LOG" >&"${NT_LOGFD:-2}"
		rad_die "freeradius '$name' did not start (log $RAD_LOG)"
	done
}

# _rad_spawn NAME: freeradius in the background, its pid recorded.
_rad_spawn() {
	local d mode=-f
	d=$(_rad_get "$1" DIR)
	[ "${RAD_DEBUG:-0}" = 1 ] && mode=-X
	if [ -n "$(_rad_get "$1" NETNS)" ]; then
		ip netns exec "$(_rad_get "$1" NETNS)" freeradius "$mode" -d "$d" >>"$d/log" 2>&1 </dev/null &
	else
		freeradius "$mode" -d "$d" >>"$d/log" 2>&1 </dev/null &
	fi
	_rad_put "$1" PID "$!"
	rad_use "$1"
}

# _rad_wait_ready NAME: the log says ready and a Status-Server is answered
# (RAD_START_TIMEOUT seconds at most); false when the process ends first.
_rad_wait_ready() {
	local pid deadline log
	pid=$(_rad_get "$1" PID) log=$(_rad_get "$1" LOG)
	deadline=$((SECONDS + ${RAD_START_TIMEOUT:-20}))
	while ! grep -q 'Ready to process requests' "$log" 2>/dev/null; do
		_rad_alive "$pid" || return 1
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.01
	done
	until rad_status >/dev/null 2>&1; do
		_rad_alive "$pid" || return 1
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# rad_status: a Status-Server to the current server's auth port (1 s).
rad_status() {
	echo 'Message-Authenticator = 0x00' |
		rad_exec timeout 5 radclient -r 1 -t 1 "127.0.0.1:$RAD_AUTH_PORT" status "$RAD_SECRET"
}

# _rad_kill NAME: TERM (CONT first: a paused server handles no signal),
# then KILL after 5 s; reaped.  Its pid is forgotten.
_rad_kill() {
	local pid
	pid=$(_rad_get "$1" PID)
	if _rad_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null
		svc_gone radtest "freeradius '$1'" "$pid" 5
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	_rad_put "$1" PID ""
	[ "${RAD_NAME:-}" = "$1" ] && rad_use "$1"
	return 0
}

# rad_down [NAME]: stop the process; ports, users and detail stay for a
# later rad_start (a server that is down: its ports are closed).
rad_down() {
	local name=${1:-${RAD_NAME:-main}}
	_rad_known "$name" || rad_die "no RADIUS server '$name'"
	_rad_kill "$name"
	rad_log "freeradius '$name' down"
}

# rad_stop [NAME]: stop it and remove its directory (RAD_KEEP=1 keeps it).
rad_stop() {
	local name=${1:-${RAD_NAME:-main}} d n keep=()
	_rad_known "$name" || rad_die "no RADIUS server '$name'"
	_rad_kill "$name"
	d=$(_rad_get "$name" DIR)
	if [ -n "$d" ] && [ -d "$d" ] && [ "${RAD_KEEP:-0}" != 1 ]; then
		rm -rf "$d"
	elif [ -d "$d" ]; then
		rad_log "kept $d"
	fi
	for n in "${RAD_NAMES[@]}"; do [ "$n" != "$name" ] && keep+=("$n"); done
	RAD_NAMES=("${keep[@]}")
	_rad_put "$name" DIR ""
	if [ "${RAD_NAME:-}" = "$name" ]; then
		if [ "${#RAD_NAMES[@]}" -gt 0 ]; then
			rad_use "${RAD_NAMES[-1]}"
		else
			unset RAD_NAME RAD_PID RAD_AUTH_PORT RAD_ACCT_PORT RAD_DIR RAD_USERS \
				RAD_DETAIL RAD_LOG RAD_NETNS RAD_V6
		fi
	fi
	return 0
}

# _rad_signal NAME SIG: send SIG to a running server.
_rad_signal() {
	local pid
	_rad_known "$1" || rad_die "no RADIUS server '$1'"
	pid=$(_rad_get "$1" PID)
	_rad_alive "$pid" || rad_die "freeradius '$1' is not running"
	kill -"$2" "$pid"
}

# rad_pause [NAME] / rad_resume [NAME]: SIGSTOP / SIGCONT.  A paused
# server answers nothing (its socket queues what arrives; on resume it
# answers that, late).
rad_pause() {
	_rad_signal "${1:-${RAD_NAME:-main}}" STOP
	rad_log "freeradius '${1:-$RAD_NAME}' paused"
}
rad_resume() {
	_rad_signal "${1:-${RAD_NAME:-main}}" CONT
	rad_log "freeradius '${1:-$RAD_NAME}' resumed"
}

# rad_reload_users [NAME]: make FreeRADIUS read its users file again (HUP)
# and wait (10 s) until its log says the files module was reloaded.
# FreeRADIUS ignores a HUP less than 5 s after the previous one and
# reloads a module no sooner than 3 s after it was loaded: this waits
# that long when needed.  The file's time stamp is moved forward, since
# FreeRADIUS looks at whole seconds to see that it changed.
rad_reload_users() {
	local name=${1:-${RAD_NAME:-main}} started hup now users m deadline before pid
	_rad_known "$name" || rad_die "no RADIUS server '$name'"
	pid=$(_rad_get "$name" PID)
	_rad_alive "$pid" || rad_die "freeradius '$name' is not running"
	started=$(_rad_get "$name" STARTED) hup=$(_rad_get "$name" HUP)
	users=$(_rad_get "$name" USERS)
	now=$(date +%s)
	m=$((started + 3))
	[ "$hup" -gt 0 ] && [ $((hup + 6)) -gt "$m" ] && m=$((hup + 6))
	if [ "$now" -lt "$m" ]; then
		rad_log "freeradius '$name': waiting $((m - now)) s before the HUP (FreeRADIUS's limit)"
		while [ "$(date +%s)" -lt "$m" ]; do sleep 0.1; done
	fi
	touch -d "@$(($(date +%s) + 1))" "$users"
	before=$(grep -c 'Reloaded module "files"' "$(_rad_get "$name" LOG)")
	_rad_put "$name" HUP "$(date +%s)"
	kill -HUP "$pid"
	deadline=$((SECONDS + 10))
	while [ "$(grep -c 'Reloaded module "files"' "$(_rad_get "$name" LOG)")" -le "$before" ]; do
		[ "$SECONDS" -ge "$deadline" ] && rad_die "freeradius '$name' did not reload its users file"
		_rad_alive "$pid" || rad_die "freeradius '$name' exited on HUP"
		sleep 0.05
	done
	rad_log "freeradius '$name' reloaded its users file"
}

# rad_user USER accept|reject [ITEM]...: an entry of the current server's
# users file for User-Name USER; each ITEM is one reply attribute as
# FreeRADIUS writes it ('Framed-IP-Address = 198.18.0.50',
# 'Framed-Pool = "gold"', 'Delegated-IPv6-Prefix = 2001:db8:1::/56').
# A running server needs rad_reload_users afterwards.
rad_user() {
	local user=$1 verdict i sep
	case $2 in
	accept) verdict=Accept ;;
	reject) verdict=Reject ;;
	*) rad_die "rad_user: accept or reject, not '$2'" ;;
	esac
	shift 2
	[ -n "${RAD_USERS:-}" ] || rad_die "rad_user: no RADIUS server prepared"
	{
		printf '"%s"\tAuth-Type := %s\n' "${user//\"/\\\"}" "$verdict"
		for ((i = 1; i <= $#; i++)); do
			sep=,
			[ "$i" = $# ] && sep=
			printf '\t%s%s\n' "${!i}" "$sep"
		done
		echo
	} >>"$RAD_USERS"
}

# _rad_send TYPE PORT USER [ATTR=VALUE]...: one radclient request to the
# current server (printed with -x: what was sent, what came back, the
# reply's attributes); radclient's exit status (0: accepted / answered).
_rad_send() {
	local type=$1 port=$2 a
	shift 2
	{
		printf 'User-Name = "%s"\n' "$1"
		shift
		for a in "$@"; do printf '%s\n' "$a"; done
	} | rad_exec timeout 10 radclient -x -r 1 -t 2 "127.0.0.1:$port" "$type" "$RAD_SECRET"
}

# rad_auth USER [ATTR=VALUE]...: an Access-Request; 0 on Access-Accept.
rad_auth() { _rad_send auth "$RAD_AUTH_PORT" "$@"; }

# rad_acct STATUS USER [ATTR=VALUE]...: an Accounting-Request with
# Acct-Status-Type STATUS (Start, Interim-Update, Stop); 0 when answered.
rad_acct() {
	local st=$1
	shift
	_rad_send acct "$RAD_ACCT_PORT" "$1" "Acct-Status-Type = $st" "${@:2}"
}

# rad_detail_count ERE: lines of the current server's detail file that
# match ERE (the file has one "<tab>Attribute = value" line per attribute).
rad_detail_count() {
	grep -cE "$1" "$RAD_DETAIL" 2>/dev/null
	return 0
}

# rad_detail_wait SECS ERE [COUNT]: wait until COUNT (1) lines match.
rad_detail_wait() {
	local deadline=$((SECONDS + $1))
	until [ "$(rad_detail_count "$2")" -ge "${3:-1}" ]; do
		[ "$SECONDS" -ge "$deadline" ] &&
			rad_die "timed out after $1 s waiting for '$2' in $RAD_DETAIL"
		sleep 0.1
	done
}

# rad_cleanup [RC]: stop every server and remove its directory; shows the
# last lines of each log when the test failed.  Safe in an EXIT trap, more
# than once.
rad_cleanup() {
	local rc=${1:-$?} n
	[ "$RAD_CLEANED" = 1 ] && return "$rc"
	RAD_CLEANED=1
	for n in "${RAD_NAMES[@]}"; do
		svc_log_tail "$rc" "freeradius '$n' log" "$(_rad_get "$n" LOG)"
		rad_stop "$n"
	done
	return "$rc"
}
