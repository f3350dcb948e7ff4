#!/bin/bash
# Where PostgreSQL spends a lease batch on Kea 2.2's schema: the upsert
# the postgresql backend sends (pgsql_sync.c's pg_upsert4_sql, with
# generate_series in place of the unnested binary arrays), timed
#  1. per batch size, new rows and renewals (the same rows again), with
#     Kea's triggers as they are and, for reference only, disabled;
#  2. per function (track_functions = all): Kea's trigger functions;
#  3. by EXPLAIN (ANALYZE, BUFFERS) of one 1024-row batch.
# A throw-away cluster (scripts/pgtest.sh), durable unless PG_DURABLE=0.
#   bench/pg_trigger_profile.sh [BATCH...]     (default 256 512 1024 2048 4096)
# Needs root (PostgreSQL runs as postgres).  Prints a report on stdout.
SRC=$(cd "$(dirname "$0")/.." && pwd)
PG_DURABLE=${PG_DURABLE:-1}
. "$SRC/scripts/pgtest.sh"
BATCHES=${*:-256 512 1024 2048 4096}
ROWS=32768
pg_start
pg_kea_init

sql() {
	timeout 300 runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -A -t \
		-h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$PG_DB" "$@"
}

# upsert FIRST N RENEW: one transaction writing addresses FIRST..FIRST+N-1
# of subnet 1 for clients whose hwaddr is their index (RENEW: seconds
# added to the lifetime, so a renewal really changes the row).
upsert() {
	cat <<-SQL
	BEGIN;
	INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
		fqdn_fwd, fqdn_rev, hostname, state, user_context)
	SELECT 3322019840 + g, decode(lpad(to_hex(g), 12, '0'), 'hex'), NULL, 3600 + $3,
		now() + interval '1 hour', 1, false, false, '', 0, NULL
	FROM generate_series($1, $1 + $2 - 1) g
	ON CONFLICT (address) DO UPDATE SET hwaddr = excluded.hwaddr,
		client_id = excluded.client_id, valid_lifetime = excluded.valid_lifetime,
		expire = excluded.expire, subnet_id = excluded.subnet_id, fqdn_fwd = excluded.fqdn_fwd,
		fqdn_rev = excluded.fqdn_rev, hostname = excluded.hostname, state = excluded.state,
		user_context = excluded.user_context
	WHERE ((octet_length(lease4.hwaddr) > 0 AND lease4.hwaddr = excluded.hwaddr)
		OR lease4.client_id = excluded.client_id OR lease4.expire <= now() OR lease4.state <> 0)
	RETURNING address;
	COMMIT;
	SQL
}

# timed LABEL BATCH RENEW: ROWS rows in transactions of BATCH rows.
timed() {
	local t0 t1 i
	t0=$(date +%s.%N)
	for ((i = 0; i < ROWS; i += $2)); do upsert "$i" "$2" "$3"; done | sql >/dev/null ||
		pg_die "upsert"
	t1=$(date +%s.%N)
	awk -v l="$1" -v b="$2" -v n="$ROWS" -v a="$t0" -v z="$t1" \
		'BEGIN { printf "| %s | %d | %.0f | %.1f |\n", l, b, n / (z - a), (z - a) * 1e6 / n }'
}

echo "PostgreSQL $("$PG_BIN/postgres" -V | awk '{ print $3 }'), durable=$PG_DURABLE, load $(cut -d' ' -f1-3 /proc/loadavg), $ROWS rows per line"
echo
echo "| rows | batch | rows/s | µs per row |"
echo "|---|---:|---:|---:|"
for b in $BATCHES; do
	sql -c "TRUNCATE lease4, lease4_stat"
	timed "new, Kea's triggers" "$b" 0
	timed "renewed, Kea's triggers" "$b" 60
done
sql -c "TRUNCATE lease4, lease4_stat" -c "ALTER TABLE lease4 DISABLE TRIGGER USER"
timed "new, triggers disabled (reference only)" 1024 0
timed "renewed, triggers disabled (reference only)" 1024 60
sql -c "ALTER TABLE lease4 ENABLE TRIGGER USER" -c "TRUNCATE lease4, lease4_stat"

echo
echo "Functions (track_functions = all; it adds its own overhead), one batch of 1024 new rows"
echo "then the same 1024 renewed:"
echo
sql -c "SELECT pg_stat_reset()" >/dev/null
{ echo "SET track_functions = 'all';"; upsert 0 1024 0; upsert 0 1024 60; } | sql >/dev/null
sleep 1     # the statistics collector's flush
echo "| function | calls | total ms | self ms |"
echo "|---|---:|---:|---:|"
sql -F' | ' -c "SELECT funcname, calls, round(total_time::numeric, 1), round(self_time::numeric, 1)
	FROM pg_stat_user_functions ORDER BY total_time DESC" | sed 's/^/| /; s/$/ |/'

echo
echo "EXPLAIN (ANALYZE, BUFFERS) of one batch of 1024 new rows:"
echo
sql -c "TRUNCATE lease4, lease4_stat"
echo '```'
upsert 0 1024 0 | sed 's/^INSERT/EXPLAIN (ANALYZE, BUFFERS) INSERT/' | sql |
	grep -E 'Insert on|Tuples|Buffers|Trigger|Execution|Planning Time'
echo '```'
