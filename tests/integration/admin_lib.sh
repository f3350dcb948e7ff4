# shellcheck shell=bash
# What the peregrine-admin tests share (pg_admin.sh, redis_admin.sh):
# running the script with its output captured, expecting success or a
# failure that says something, and the rows Kea keeps from a lease file.
# Source it after scripts/pgtest.sh or scripts/redistest.sh (svc_log),
# with ADMIN (the peregrine-admin to run) and W (a work directory) set;
# the password goes in the environment (PGPASSWORD, REDISCLI_AUTH).

fail() { svc_log admin "FAIL: $*"; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

# adm ARGS...: peregrine-admin; stdout in $W/out, stderr in $W/err, its
# status returned (bounded by 120 s).
adm() {
	timeout 120 "$ADMIN" "$@" >"$W/out" 2>"$W/err"
}

# adm_fails WHAT PATTERN ARGS...: the command fails and its output (kea-admin
# writes its errors on stdout) matches the extended regex PATTERN.
adm_fails() {
	local what=$1 pat=$2
	shift 2
	if adm "$@"; then
		cat "$W/out" "$W/err" >&2
		fail "$what: succeeded"
	fi
	cat "$W/out" "$W/err" | grep -qiE -- "$pat" ||
		{ cat "$W/out" "$W/err" >&2; fail "$what: no '$pat' in its message"; }
}

# adm_ok WHAT ARGS...: the command succeeds.
adm_ok() {
	local what=$1 rc
	shift
	adm "$@" && return 0
	rc=$?
	cat "$W/out" "$W/err" >&2
	fail "$what: status $rc"
}

# kea_reduce FILE VCOL: the rows Kea keeps from a lease file, header
# dropped: the last row of each address, minus those whose valid_lifetime
# (column VCOL) is 0.  Sorted.
kea_reduce() {
	awk -F, -v vcol="$2" 'NR > 1 { last[$1] = $0 }
		END { for (a in last) { split(last[a], f, ","); if (f[vcol] != 0) print last[a] } }' \
		"$1" | sort
}
