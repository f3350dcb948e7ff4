# shellcheck shell=bash
# A throw-away PostgreSQL 15 for tests, with Kea 2.2's schema.  Source it
# from a bash test (alone, or after scripts/netns.sh):
#
#   . "$SRCDIR/scripts/pgtest.sh"
#   pg_start                 # initdb in a fresh temp dir, start, wait (bounded)
#   pg_kea_init              # role + database, kea-admin db-init pgsql, 13.0 checked
#   pg_psql "SELECT ..."     # one query as $PG_USER on $PG_DB (-A -t output)
#   pg_stop                  # fast shutdown by pid, temp dir removed
#
# (Not to be confused with tests/integration/pgtest.py, the scapy client:
# "pgt" there is "peregrine test"; "pg" here is PostgreSQL.)
#
# The server runs as the postgres user (PostgreSQL refuses root) on a data
# directory in $PG_TMP (mktemp under ${TMPDIR:-/tmp}, owned by postgres),
# listening on a unix socket in $PG_SOCK and on 127.0.0.1:$PG_PORT (a port
# found free).  Local and loopback logins use passwords (scram-sha-256),
# as a real deployment would; only the postgres superuser logs in by peer.
# After pg_start / pg_kea_init, for clients:
#
#   PG_SOCK PG_PORT          socket directory (libpq "host") and port
#   PG_USER PG_PASS PG_DB    Kea's role, its password, the database
#   PG_PID                   the postmaster's pid
#
# pg_cleanup stops the server and removes $PG_TMP whatever state it is in;
# it may run more than once and from an EXIT trap.  pg_start installs
# `trap pg_cleanup EXIT` when no EXIT trap is set; a test with its own EXIT
# trap (netns.sh's nt_cleanup calls pg_cleanup when it is defined) needs
# nothing more.  Knobs: PG_BIN (/usr/lib/postgresql/15/bin; /usr/local/bin's
# pg_ctl and initdb are links there, /usr/bin/psql is Debian's wrapper),
# PG_KEEP=1 keeps $PG_TMP (stopped), PG_START_TIMEOUT (30 s), PG_DURABLE=1
# (fsync and synchronous_commit on; off by default, see pg_durability).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-kea}
PG_PASS=${PG_PASS:-kea-test-pw}
PG_DB=${PG_DB:-kea}
PG_TMP=
PG_PID=
PG_CLEANED=0

# shellcheck source=scripts/svctest.sh
. "$(dirname "${BASH_SOURCE[0]}")/svctest.sh"
pg_log() { svc_log pgtest "$@"; }
pg_die() { svc_die pgtest "$@"; }
pg_skip_missing() { svc_skip pgtest "$@"; }

# pg_as_postgres CMD...: run as the postgres user (from root).
pg_as_postgres() { runuser -u postgres -- "$@"; }

# The server's durability settings: none by default (throw-away data,
# fast), PostgreSQL's defaults with PG_DURABLE=1 (a crash loses no
# committed transaction: what a test of acknowledged leases needs).
pg_durability() {
	if [ "${PG_DURABLE:-0}" = 1 ]; then
		echo "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
	else
		echo "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	fi
}

# pg_start: a new cluster in a fresh temp dir, started and accepting
# connections, or the test fails (skips when not root or PostgreSQL is
# missing).
pg_start() {
	local i port
	[ "$(id -u)" = 0 ] || pg_skip_missing "needs root (to run PostgreSQL as postgres)"
	for i in initdb pg_ctl postgres psql pg_isready; do
		[ -x "$PG_BIN/$i" ] || pg_skip_missing "no $PG_BIN/$i (postgresql-15)"
	done
	id postgres >/dev/null 2>&1 || pg_skip_missing "no postgres user"
	command -v runuser >/dev/null || pg_skip_missing "no runuser"
	if [ -z "$(trap -p EXIT)" ]; then
		trap pg_cleanup EXIT
		[ -n "$(trap -p INT)" ] || trap 'pg_log interrupted; exit 130' INT
		[ -n "$(trap -p TERM)" ] || trap 'pg_log terminated; exit 143' TERM
	fi
	PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgt-pg.XXXXXX") || pg_die "mktemp"
	PG_CLEANED=0
	PG_DATA="$PG_TMP/data"
	PG_SOCK="$PG_TMP/sock"
	PG_LOG="$PG_TMP/postgres.log"
	mkdir -p "$PG_SOCK"
	chown -R postgres:postgres "$PG_TMP"
	chmod 755 "$PG_TMP"	# mktemp's 700: postgres must enter it
	pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 \
		--locale=C.UTF-8 --no-instructions >"$PG_TMP/initdb.log" 2>&1 ||
		{ cat "$PG_TMP/initdb.log" >&2; pg_die "initdb failed"; }
	cat >"$PG_DATA/pg_hba.conf" <<-'EOF'
		# pgtest.sh: peer for the superuser, passwords for everyone else
		local all postgres peer
		local replication postgres peer
		local all all scram-sha-256
		host all all 127.0.0.1/32 scram-sha-256
	EOF
	chown postgres:postgres "$PG_DATA/pg_hba.conf"
	for i in 1 2 3 4 5; do
		port=$(svc_port)
		# -w -t: pg_ctl waits (bounded) until the server accepts connections.
		if pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w \
			-t "${PG_START_TIMEOUT:-30}" -s start -o "-p $port -k $PG_SOCK \
			-c listen_addresses=127.0.0.1 $(pg_durability) \
			-c max_connections=100" >/dev/null 2>&1; then
			PG_PORT=$port
			break
		fi
		pg_log "postgres did not start on port $port (try $i)"
		pg_pid_from_file && pg_stop_pid
	done
	[ -n "${PG_PORT:-}" ] || { tail -n 20 "$PG_LOG" >&2; pg_die "postgres did not start"; }
	pg_pid_from_file || pg_die "no postmaster.pid"
	"$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" -t 5 || pg_die "pg_isready"
	pg_log "postgres $PG_PID on $PG_SOCK and 127.0.0.1:$PG_PORT"
}

pg_pid_from_file() {
	local p
	p=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
	[[ $p =~ ^[0-9]+$ ]] || return 1
	PG_PID=$p
}

# pg_super SQL: one statement as the superuser (peer login on the socket).
pg_super() {
	pg_as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -A -t \
		-h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -c "$1"
}

# pg_psql SQL [psql options...]: one query as $PG_USER on $PG_DB; rows on
# stdout, unaligned, no headers (fields separated by '|').
pg_psql() {
	local sql=$1
	shift
	PGPASSWORD=$PG_PASS PGCONNECT_TIMEOUT=10 timeout 60 "$PG_BIN/psql" -X -q \
		-v ON_ERROR_STOP=1 -A -t -h "$PG_SOCK" -p "$PG_PORT" \
		-U "$PG_USER" -d "$PG_DB" "$@" -c "$sql"
}

# pg_kea_init: $PG_USER with $PG_PASS, database $PG_DB owned by it, Kea
# 2.2's schema by Debian's kea-admin, and schema_version 13.0 checked.
pg_kea_init() {
	local v
	command -v kea-admin >/dev/null || pg_skip_missing "no kea-admin"
	pg_super "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASS'" ||
		pg_die "CREATE ROLE"
	pg_super "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" ||
		pg_die "CREATE DATABASE"
	# kea-admin runs `psql` from PATH: the server's own, not the wrapper.
	PATH="$PG_BIN:$PATH" timeout 60 kea-admin db-init pgsql -u "$PG_USER" \
		-p "$PG_PASS" -n "$PG_DB" -h "$PG_SOCK" -P "$PG_PORT" \
		>"$PG_TMP/kea-admin.log" 2>&1 ||
		{ cat "$PG_TMP/kea-admin.log" >&2; pg_die "kea-admin db-init pgsql failed"; }
	v=$(pg_psql "SELECT version || '.' || minor FROM schema_version") ||
		pg_die "schema_version unreadable"
	[ "$v" = "${PG_KEA_SCHEMA:-13.0}" ] ||
		pg_die "schema_version is '$v', expected ${PG_KEA_SCHEMA:-13.0}"
	pg_log "Kea schema $v in database $PG_DB (user $PG_USER)"
}

# pg_lease_db: the keys of a Peregrine lease-database block for this
# database (over the unix socket, which a network namespace shares), the
# outage journal in the test's temp dir.
pg_lease_db() {
	printf 'type = "postgresql"; name = "%s"; host = "%s"; port = %s; user = "%s"; password = "%s"; journal-directory = "%s";' \
		"$PG_DB" "$PG_SOCK" "$PG_PORT" "$PG_USER" "$PG_PASS" "${NT_TMP:-$PG_TMP}/journal"
}

# pg_crash: stop the server at once (pg_ctl -m immediate: no checkpoint,
# every session cut), as a lost database looks to its clients.
pg_crash() {
	pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 15 -s stop \
		>/dev/null 2>&1 || pg_die "pg_ctl stop -m immediate"
	PG_PID=
	pg_log "postgres stopped (immediate)"
}

# pg_restart: start the stopped cluster again on its socket and port.
pg_restart() {
	pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w \
		-t "${PG_START_TIMEOUT:-30}" -s start -o "-p $PG_PORT -k $PG_SOCK \
		-c listen_addresses=127.0.0.1 $(pg_durability) \
		-c max_connections=100" >/dev/null 2>&1 ||
		{ tail -n 20 "$PG_LOG" >&2; pg_die "postgres did not restart"; }
	pg_pid_from_file || pg_die "no postmaster.pid"
	pg_log "postgres $PG_PID back on $PG_SOCK"
}

# pg_standby_start: a streaming replica of the running server (pg_basebackup
# -R into $PG_TMP/standby), read-only, on the same socket directory and a
# port of its own ($PG2_PORT; pid $PG2_PID).  pg_stop stops it too.
pg_standby_start() {
	local i port
	PG2_DATA="$PG_TMP/standby"
	PG2_LOG="$PG_TMP/standby.log"
	pg_as_postgres "$PG_BIN/pg_basebackup" -D "$PG2_DATA" -R -X stream -c fast -h "$PG_SOCK" \
		-p "$PG_PORT" -U postgres >"$PG_TMP/basebackup.log" 2>&1 ||
		{ cat "$PG_TMP/basebackup.log" >&2; pg_die "pg_basebackup"; }
	for i in 1 2 3 4 5; do
		port=$(svc_port)
		if pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG2_DATA" -l "$PG2_LOG" -w \
			-t "${PG_START_TIMEOUT:-30}" -s start -o "-p $port -k $PG_SOCK \
			-c listen_addresses='' $(pg_durability)" >/dev/null 2>&1; then
			PG2_PORT=$port
			break
		fi
	done
	[ -n "${PG2_PORT:-}" ] || { tail -n 20 "$PG2_LOG" >&2; pg_die "the standby did not start"; }
	PG2_PID=$(head -n 1 "$PG2_DATA/postmaster.pid")
	pg_log "standby $PG2_PID on port $PG2_PORT"
}

# pg_failover: the primary stops at once and the standby is promoted: the
# standby's port is the read-write server from now on.
pg_failover() {
	pg_crash
	pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG2_DATA" -w -t 30 -s promote >/dev/null 2>&1 ||
		pg_die "pg_ctl promote"
	pg_log "standby promoted: port $PG2_PORT is the primary"
}

# pg_lease4_csv FILE: lease4 as a Kea v4 lease file (for the CSV checkers
# of tests/integration/pgtest.py).
pg_lease4_csv() {
	{
		echo "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
		pg_psql "SELECT '0.0.0.0'::inet + address,
			regexp_replace(encode(hwaddr, 'hex'), '(..)(?!$)', '\1:', 'g'),
			coalesce(regexp_replace(encode(client_id, 'hex'), '(..)(?!$)', '\1:', 'g'), ''),
			valid_lifetime, extract(epoch from expire)::bigint, subnet_id,
			fqdn_fwd::int, fqdn_rev::int, '', state, '' FROM lease4" -F,
	} >"$1"
}

# pg_stop_pid: stop the postmaster in $PG_PID: pg_ctl's fast shutdown,
# then SIGQUIT (immediate) and SIGKILL by pid if it hangs; bounded.
pg_stop_pid() {
	[ -n "$PG_PID" ] || return 0
	if kill -0 "$PG_PID" 2>/dev/null; then
		pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 15 -s stop \
			>/dev/null 2>&1 || kill -QUIT "$PG_PID" 2>/dev/null
		svc_gone pgtest postgres "$PG_PID" 10
	fi
	PG_PID=
}

# pg_stop: stop the server (and a standby) and remove $PG_TMP (PG_KEEP=1
# keeps it).
pg_stop() {
	pg_stop_pid
	if [ -n "${PG2_PID:-}" ]; then
		PG_PID=$PG2_PID PG_DATA=$PG2_DATA pg_stop_pid
		PG2_PID=
	fi
	if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
		if [ "${PG_KEEP:-0}" = 1 ]; then
			pg_log "kept $PG_TMP"
		else
			rm -rf "$PG_TMP"
		fi
	fi
	PG_TMP=
}

# pg_cleanup: pg_stop for traps; shows the server log's tail when the
# test failed.  Idempotent.
pg_cleanup() {
	local rc=${1:-$?}
	[ "$PG_CLEANED" = 1 ] && return "$rc"
	PG_CLEANED=1
	[ -d "$PG_TMP" ] && svc_log_tail "$rc" postgres.log "${PG_LOG:-}"
	pg_stop
	return "$rc"
}
