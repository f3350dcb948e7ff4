#!/bin/bash
# peregrine-admin against a private PostgreSQL 15 (scripts/pgtest.sh),
# started once for the whole script and stopped by pid at exit:
#
#  - bad command lines exit non-zero with a message, a missing kea-admin
#    names its Debian package, and the password never reaches kea-admin's
#    command line (a stand-in kea-admin records what it was given);
#  - db-init on an empty database creates Kea 2.2's schema 13.0; a second
#    db-init fails and leaves the database as it was;
#  - db-version prints 13.0 (and advice for an older or newer schema);
#  - db-upgrade on 13.0 succeeds and changes nothing;
#  - lease-upload of Kea-written lease files (backends/testdata) stores
#    exactly the leases Kea would load (last row per address, rows with
#    valid_lifetime 0 deleted), column by column; a second upload of the
#    same file fails and changes nothing;
#  - lease-dump writes Kea's CSV whose rows are the uploaded ones, and
#    that CSV uploads again to the same table contents.
# Usage: pg_admin.sh [BUILDDIR]   (runs BUILDDIR/peregrine-admin)
set -u
NT_NAME=pg_admin
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/scripts/pgtest.sh"
. "$SRC/tests/integration/admin_lib.sh"

ADMIN=${1:-$SRC/build}/peregrine-admin
[ -x "$ADMIN" ] || fail "no executable $ADMIN (configure the build dir first)"
command -v kea-admin >/dev/null || pg_skip_missing "no kea-admin"
command -v kea-lfc >/dev/null || [ -x /usr/sbin/kea-lfc ] || pg_skip_missing "no kea-lfc"
DATA=$SRC/backends/testdata

pg_start
W=$PG_TMP/work
mkdir -p "$W"
CONN=(-h "$PG_SOCK" -P "$PG_PORT" -u "$PG_USER" -n "$PG_DB")

export PGPASSWORD=$PG_PASS   # adm (admin_lib.sh) passes the environment on

# ---- version and command-line errors (no database needed) ----
want=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n 1)
adm_ok "-v" -v
expect "-v" "$(cat "$W/out")" "$want"
adm_fails "no arguments" "missing command"
adm_fails "unknown command" "unknown command" frobnicate pgsql
adm_fails "unknown backend" "unknown backend" db-init mysql "${CONN[@]}"
adm_fails "no backend" "missing backend" db-version
adm_fails "unknown option" "unknown option" db-version pgsql -z
adm_fails "option without value" "needs a value" db-version pgsql -n
adm_fails "lease-dump without family" "-4 or -6" lease-dump pgsql -o "$W/x.csv" "${CONN[@]}"
adm_fails "-4 and -6" "only one of" lease-dump pgsql -4 -6 -o "$W/x.csv"
adm_fails "lease-dump without -o" "-o" lease-dump pgsql -4 "${CONN[@]}"
adm_fails "lease-upload without -i" "-i" lease-upload pgsql -6 "${CONN[@]}"
adm_fails "lease-upload of a missing file" "cannot read" lease-upload pgsql -4 \
	-i "$W/none.csv" "${CONN[@]}"
KEA_ADMIN=/nonexistent/kea-admin adm_fails "kea-admin missing" \
	"package.*kea-admin|kea-admin package" db-version pgsql "${CONN[@]}"

# The password goes to kea-admin in the environment, never in its argv;
# the port also in PGPORT (kea-admin's dump and upgrade scripts drop -P).
cat >"$W/fake-kea-admin" <<-'EOF'
	#!/bin/sh
	printf '%s\n' "$@" >"$FAKE_OUT.args"
	printf '%s|%s|%s\n' "${KEA_ADMIN_DB_PASSWORD-unset}" "${PGPASSWORD-unset}" \
		"${PGPORT-unset}" >"$FAKE_OUT.env"
	echo 13.0
EOF
chmod +x "$W/fake-kea-admin"
FAKE_OUT=$W/fake KEA_ADMIN=$W/fake-kea-admin adm_ok "db-version with -p" \
	db-version pgsql "${CONN[@]}" -p 'S3cret pw'
grep -q 'S3cret' "$W/fake.args" && fail "the password is on kea-admin's command line"
expect "kea-admin's argv" "$(tr '\n' ' ' <"$W/fake.args")" \
	"db-version pgsql -h $PG_SOCK -u $PG_USER -n $PG_DB -P $PG_PORT "
expect "kea-admin's environment" "$(cat "$W/fake.env")" "S3cret pw|S3cret pw|$PG_PORT"

# ---- db-init ----
pg_super "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASS'" >/dev/null || fail "CREATE ROLE"
pg_super "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >/dev/null || fail "CREATE DATABASE"
PGPASSWORD=wrong timeout 60 "$ADMIN" db-version pgsql "${CONN[@]}" >"$W/out" 2>"$W/err" &&
	fail "db-version with a wrong password succeeded"
grep -q "password authentication failed" "$W/err" ||
	{ cat "$W/err" >&2; fail "wrong password: psql's message not shown"; }

adm_ok "db-init" db-init pgsql "${CONN[@]}"
expect "schema_version after db-init" "$(pg_psql "SELECT version, minor FROM schema_version")" "13|0"
for t in lease4 lease6 hosts lease4_stat lease6_stat; do
	expect "table $t" "$(pg_psql "SELECT to_regclass('public.$t') IS NOT NULL")" t
done

# ---- db-version ----
adm_ok "db-version" db-version pgsql "${CONN[@]}"
expect "db-version" "$(cat "$W/out")" "13.0"
pg_psql "UPDATE schema_version SET version = 12" >/dev/null || fail "set 12.0"
adm_ok "db-version on 12.0" db-version pgsql "${CONN[@]}"
expect "db-version on 12.0" "$(cat "$W/out")" "12.0"
grep -q "db-upgrade" "$W/err" || fail "db-version on 12.0 does not advise db-upgrade"
pg_psql "UPDATE schema_version SET version = 14" >/dev/null || fail "set 14.0"
adm_ok "db-version on 14.0" db-version pgsql "${CONN[@]}"
grep -q "newer" "$W/err" || fail "db-version on 14.0 does not say it is newer"
pg_psql "UPDATE schema_version SET version = 13" >/dev/null || fail "set 13.0"

# ---- db-upgrade on 13.0: a no-op ----
adm_ok "db-upgrade" db-upgrade pgsql "${CONN[@]}"
expect "schema_version after db-upgrade" "$(pg_psql "SELECT version, minor FROM schema_version")" "13|0"

# ---- lease-upload ----
# The same rows as the tables hold them: hex without colons, commas
# unescaped, the IAID unsigned.
csv4_as_db() {
	awk -F, -v OFS='|' '{ gsub(":", "", $2); gsub(":", "", $3);
		for (i = 9; i <= NF; i++) gsub("&#x2c", ",", $i);
		print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' | sort
}
csv6_as_db() {
	awk -F, -v OFS='|' '{ gsub(":", "", $2); gsub(":", "", $13);
		for (i = 12; i <= NF; i++) gsub("&#x2c", ",", $i);
		print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 }' | sort
}
db4() {
	pg_psql "SELECT host('0.0.0.0'::inet + address), coalesce(encode(hwaddr, 'hex'), ''),
		coalesce(encode(client_id, 'hex'), ''), valid_lifetime,
		extract(epoch FROM expire)::bigint, subnet_id, fqdn_fwd::int, fqdn_rev::int,
		hostname, state, coalesce(user_context, '') FROM lease4" | sort
}
db6() {
	pg_psql "SELECT address, encode(duid, 'hex'), valid_lifetime,
		extract(epoch FROM expire)::bigint, subnet_id, pref_lifetime, lease_type,
		(iaid::bigint + 4294967296) % 4294967296, prefix_len, fqdn_fwd::int,
		fqdn_rev::int, hostname, coalesce(encode(hwaddr, 'hex'), ''), state,
		coalesce(user_context, ''), coalesce(hwtype::text, ''),
		coalesce(hwaddr_source::text, '') FROM lease6" | sort
}

kea_reduce "$DATA/kea22-leases4.csv" 4 >"$W/want4.csv"
kea_reduce "$DATA/kea22-leases6.csv" 3 >"$W/want6.csv"
n4=$(wc -l <"$W/want4.csv")
n6=$(wc -l <"$W/want6.csv")
{ [ "$n4" -ge 100 ] && [ "$n6" -ge 20 ]; } || fail "test data: only $n4 v4 and $n6 v6 leases"

adm_ok "lease-upload -4" lease-upload pgsql -4 -i "$DATA/kea22-leases4.csv" "${CONN[@]}"
grep -q "^peregrine-admin: $n4 leases uploaded" "$W/out" || { cat "$W/out"; fail "lease-upload -4: count not reported"; }
adm_ok "lease-upload -6" lease-upload pgsql -6 -i "$DATA/kea22-leases6.csv" "${CONN[@]}"
expect "lease4 rows" "$(pg_psql "SELECT count(*) FROM lease4")" "$n4"
expect "lease6 rows" "$(pg_psql "SELECT count(*) FROM lease6")" "$n6"
csv4_as_db <"$W/want4.csv" >"$W/want4.db"
csv6_as_db <"$W/want6.csv" >"$W/want6.db"
db4 >"$W/got4.db"
db6 >"$W/got6.db"
diff "$W/want4.db" "$W/got4.db" >&2 || fail "lease4 contents differ from the CSV (< CSV, > table)"
diff "$W/want6.db" "$W/got6.db" >&2 || fail "lease6 contents differ from the CSV (< CSV, > table)"
# Spot checks in the tables' own encodings.
expect "198.18.1.2 as Kea's bigint" \
	"$(pg_psql "SELECT encode(hwaddr, 'hex') FROM lease4 WHERE address = 3323068674")" 000c01020305
expect "IAID 2^32-1 stored signed" \
	"$(pg_psql "SELECT iaid FROM lease6 WHERE address = '2001:db8:200:100::'")" -1
expect "an empty v6 hwaddr is NULL" \
	"$(pg_psql "SELECT hwaddr IS NULL AND hwtype IS NULL FROM lease6 WHERE address = '2001:db8:1::b'")" t
expect "deleted lease absent" "$(pg_psql "SELECT count(*) FROM lease6 WHERE address = '2001:db8:1::f'")" 0
expect "lease4_stat follows the upload" \
	"$(pg_psql "SELECT sum(leases) FROM lease4_stat WHERE state IN (0, 1)")" \
	"$(pg_psql "SELECT count(*) FROM lease4 WHERE state IN (0, 1)")"

# A second upload of the same file hits the primary key: refused whole.
adm_fails "second lease-upload -4" "duplicate key" lease-upload pgsql -4 \
	-i "$DATA/kea22-leases4.csv" "${CONN[@]}"
expect "lease4 rows after a refused upload" "$(pg_psql "SELECT count(*) FROM lease4")" "$n4"
# A v6 file is not a v4 one.
adm_fails "v6 file to -4" "not a Kea 2.2 lease4 file" lease-upload pgsql -4 \
	-i "$DATA/kea22-leases6.csv" "${CONN[@]}"

# ---- db-init and db-upgrade on a database in use ----
adm_fails "second db-init" "Expected empty database" db-init pgsql "${CONN[@]}"
adm_ok "db-upgrade with leases" db-upgrade pgsql "${CONN[@]}"
expect "schema_version after" "$(pg_psql "SELECT version, minor FROM schema_version")" "13|0"
db4 >"$W/got4.after"
cmp -s "$W/got4.db" "$W/got4.after" || fail "lease4 changed by db-init/db-upgrade"
expect "lease6 rows after db-init/db-upgrade" "$(pg_psql "SELECT count(*) FROM lease6")" "$n6"

# ---- lease-dump ----
adm_ok "lease-dump -4" lease-dump pgsql -4 -o "$W/dump4.csv" "${CONN[@]}"
adm_ok "lease-dump -6" lease-dump pgsql -6 -o "$W/dump6.csv" "${CONN[@]}"
expect "dump4 header" "$(head -n 1 "$W/dump4.csv")" "$(head -n 1 "$DATA/kea22-leases4.csv")"
expect "dump6 header" "$(head -n 1 "$W/dump6.csv")" "$(head -n 1 "$DATA/kea22-leases6.csv")"
tail -n +2 "$W/dump4.csv" | sed '/^$/d' | sort >"$W/dump4.rows"
diff "$W/want4.csv" "$W/dump4.rows" >&2 || fail "lease-dump -4 rows differ from the uploaded ones"
# v6: compare the rows with the IAID column taken out (kea-admin 2.2
# dumps Kea's signed int as it is: 4294967295 comes out as -1), then the
# IAIDs modulo 2^32.
cut_iaid() { cut -d, -f1-7,9-; }
tail -n +2 "$W/dump6.csv" | sed '/^$/d' | sort >"$W/dump6.rows"
diff <(cut_iaid <"$W/want6.csv") <(cut_iaid <"$W/dump6.rows") >&2 ||
	fail "lease-dump -6 rows differ from the uploaded ones"
expect "dump6 IAIDs modulo 2^32" \
	"$(awk -F, '{ printf "%s %.0f\n", $1, ($8 + 4294967296) % 4294967296 }' "$W/dump6.rows")" \
	"$(awk -F, '{ print $1, $8 }' "$W/want6.csv")"
# An existing output file is not overwritten without -y.
adm_fails "lease-dump over a file without -y" "." lease-dump pgsql -4 -o "$W/dump4.csv" "${CONN[@]}"
adm_ok "lease-dump -y" lease-dump pgsql -4 -o "$W/dump4.csv" -y "${CONN[@]}"

# The dump is a lease file again: emptied tables filled from it match.
pg_psql "DELETE FROM lease4; DELETE FROM lease6" >/dev/null || fail "delete"
adm_ok "lease-upload of the v4 dump" lease-upload pgsql -4 -i "$W/dump4.csv" "${CONN[@]}"
adm_ok "lease-upload of the v6 dump" lease-upload pgsql -6 -i "$W/dump6.csv" "${CONN[@]}"
db4 >"$W/again4.db"
db6 >"$W/again6.db"
diff "$W/want4.db" "$W/again4.db" >&2 || fail "lease4 after the dump round trip"
diff "$W/want6.db" "$W/again6.db" >&2 || fail "lease6 after the dump round trip"

pg_stop
pg_log "PASS"
