#!/bin/bash
# Side by side with a PostgreSQL lease database: Kea 2.2 and Peregrine on
# ONE PostgreSQL 15 cluster with Kea's schema 13.0 (scripts/pgtest.sh),
# durable by default (fsync and synchronous_commit on), in turn on the same
# veth and generator, with bench/compare.sh's rate search (max DORA/s with
# under 1% drops); and Peregrine on one local redis-server (unix socket,
# appendonly yes, appendfsync always; --no-durable: appendfsync no).  Rows:
#
#   kea pg-st perfdhcp | bench     kea-dhcp4, "type": "postgresql", 1 thread
#   kea pg-mt bench                the same multi-threaded (2 threads)
#   peregrine pg-commit bench      the postgresql backend, durability commit
#   peregrine pg-write-behind bench                        write-behind
#   peregrine redis-commit bench   the redis backend, durability commit
#   peregrine redis-write-behind bench                write-behind
#   peregrine commit bench         memfile, commit (the reference)
#   peregrine memory bench         memfile, memory (the reference)
#
# lease4 is emptied (DELETE FROM lease4, then VACUUM and CHECKPOINT) before
# every row, so each starts alike; before each step Peregrine's flusher
# has caught up with what an earlier step left (settle).  With --rounds N every round runs every
# row once (interleaved: machine noise hits both servers alike) and the
# table gives the median.  Beside the rate, each row reports where the CPU
# went: the store (the PostgreSQL backends serving the row's connections,
# or redis-server) and the writer (Peregrine's flusher thread pg-wb, or
# the whole kea-dhcp4), in microseconds per lease written, and the
# flusher's batches.
#
#   bench/compare_pg.sh [options] BUILDDIR
#     --smoke          seconds: peregrine pg-commit and redis-commit under
#                      peregrine-bench and kea pg-st, one short step each
#                      (CI: bench_pg_smoke.sh)
#     --only REGEX     run only the rows whose "server mode generator" match
#     --step S         seconds per rate step (default 4)
#     --rounds N       run every row N times, interleaved (default 1)
#     --no-durable     PostgreSQL without fsync / synchronous_commit
#     --huge | --no-huge   hugepages for the DPDK processes (default on
#                      unless --smoke; set up and removed here)
#     --write FILE     replace the table between the compare_pg markers in
#                      FILE (compare_pg_fast with --no-durable)
#     --json FILE      the rows as JSON lines (one per row and round)
#     --mark NAME      the markers --write replaces (default compare_pg, or
#                      compare_pg_fast with --no-durable), so a run of some
#                      rows (--only) can have a section of its own
#     --overload "R1 R2 ..."   instead of the search: each Peregrine row
#                      (--only) at these fixed rates, one step each, with
#                      the drops the datapath counted (what happens past
#                      the limit); prints one line per rate, no table
#
# Needs root.  Processes started through scripts/netns.sh and stopped by
# PID; PostgreSQL stopped by pgtest.sh's cleanup (from nt_cleanup); every
# step under timeout(1); namespaces, hugepage mount and temp dirs removed.

SRC=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0 ONLY="" MARK_ARG="" OVERLOAD="" STEP=4 HUGE=auto WRITE="" JSON_OUT="" ROUNDS=1 DURABLE=1
ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--only) ONLY=$2; shift ;;
	--step) STEP=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--no-durable) DURABLE=0 ;;
	--huge) HUGE=1 ;;
	--no-huge) HUGE=0 ;;
	--write) WRITE=$2; shift ;;
	--json) JSON_OUT=$2; shift ;;
	--mark) MARK_ARG=$2; shift ;;
	--overload) OVERLOAD=$2; shift ;;
	-h | --help) sed -n '2,40p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
[ "$HUGE" = auto ] && { [ "$SMOKE" = 1 ] && HUGE=0 || HUGE=1; }
[ "$SMOKE" = 1 ] && { STEP=1; ROUNDS=1; }
[[ $ROUNDS =~ ^[1-9]$ ]] || { echo "--rounds: 1 to 9" >&2; exit 2; }
PG_DURABLE=$DURABLE

. "$SRC/scripts/netns.sh"
. "$SRC/scripts/pgtest.sh"
. "$SRC/scripts/redistest.sh"
. "$SRC/bench/compare_lib.sh"
NT_NAME=compare_pg
nt_init "${ARGS[0]:-$SRC/build}" peregrine
BENCH="$NT_BUILDDIR/bench/peregrine-bench"
[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
PERFDHCP=/usr/sbin/perfdhcp
KEA=/usr/sbin/kea-dhcp4
NT_KEA=$KEA        # nt_server_check reads it
HZ=$(getconf CLK_TCK)

trap 'rc=$?; cl_cleanup; (exit $rc); nt_cleanup' EXIT
cl_huge_setup
pg_start
pg_kea_init
REDIS_FSYNC=always
[ "$DURABLE" = 1 ] || REDIS_FSYNC=no
redis_start

# One /15 as in compare.sh: server .0.1, perfdhcp's relay .0.2,
# peregrine-bench relays as .0.3.
NT_PLEN=15
NT_SUBNET=198.18.0.0/15
NT_POOL="198.18.1.0 - 198.19.255.254"
NT_VALID=86400
CLIENTS=100000
nt_topology

# pg_kea SQL...: statements on Kea's database as the superuser, each in
# its own transaction (VACUUM cannot run in one).
pg_kea() {
	local a=() s
	for s in "$@"; do a+=(-c "$s"); done
	timeout 120 runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -A -t -h "$PG_SOCK" \
		-p "$PG_PORT" -U postgres -d "$PG_DB" "${a[@]}"
}

db_reset() {
	pg_kea "DELETE FROM lease4" "VACUUM (ANALYZE) lease4" \
		"VACUUM (ANALYZE) lease4_stat" "CHECKPOINT" >/dev/null || nt_fail "emptying lease4"
	redis_cli FLUSHALL >/dev/null || nt_fail "emptying redis"
}

# servers ------------------------------------------------------------------

srv_start() {   # KIND MODE
	local kind=$1 mode=$2
	rm -f "$NT_LEASES" "$NT_LEASES".*
	rm -rf "$NT_TMP/journal"
	db_reset
	SERVER=$kind
	if [ "$kind" = kea ]; then
		ip -n "$NT_SRV" addr add "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		nt_kea_conf "$NT_SUBNET" "$NT_POOL" "$NT_VALID"
		/usr/bin/python3 - "$NT_CONF" "$mode" "$PG_DB" "$PG_SOCK" "$PG_PORT" "$PG_USER" \
			"$PG_PASS" <<-'EOF' || nt_fail "kea config"
			import json, sys
			path, mode, db, host, port, user, pw = sys.argv[1:]
			c = json.load(open(path))
			d = c["Dhcp4"]
			d["lease-database"] = {"type": "postgresql", "name": db, "host": host,
			                       "port": int(port), "user": user, "password": pw}
			if mode == "pg-mt":   # as compare.sh: one thread per core
			    d["multi-threading"] = {"enable-multi-threading": True,
			                            "thread-pool-size": 2, "packet-queue-size": 64}
			for l in d["loggers"]:
			    l["severity"] = "WARN"
			json.dump(c, open(path, "w"), indent=1)
			EOF
	else
		ip -n "$NT_SRV" addr del "$NT_SERVER_IP/$NT_PLEN" dev "$NT_VS" 2>/dev/null
		case $mode in
		pg-*) NT_LEASE_DB=$(pg_lease_db); NT_DURABILITY=${mode#pg-} ;;
		redis-*)
			NT_LEASE_DB="type = \"redis\"; socket = \"$REDIS_SOCK\"; name = \"bench\";"
			NT_LEASE_DB+=" journal-directory = \"$NT_TMP/journal\";"
			NT_DURABILITY=${mode#redis-} ;;
		*) NT_LEASE_DB=""; NT_DURABILITY=$mode ;;
		esac
		nt_peregrine_conf "$NT_SUBNET" "$NT_POOL" "$NT_VALID"
		cl_peregrine_tune
	fi
	nt_server_check
	if [ "$kind" = kea ]; then
		cl_kea_start "kea-$mode" "$KEA"
	else
		nt_server_start
	fi
	ROW_T0=$SECONDS
	ROW_MODE=$mode
	ROW_STORE0=$(ticks "$REDIS_PID")   # redis-server lives across rows
}

# ticks PID [TID]: user + system CPU of a process (or one of its threads)
ticks() {
	local f=/proc/$1/stat st
	[ -n "$2" ] && f=/proc/$1/task/$2/stat
	st=$(cat "$f" 2>/dev/null) || { echo 0; return; }
	st=${st##*) }
	set -- $st
	echo $((${12} + ${13}))
}

# dp_stats: the running server's statistics dump in $NT_TMP/stats.now
dp_stats() {
	rm -f "$NT_STATS"
	kill -USR1 "$NT_SRV_PID" 2>/dev/null
	for _ in $(seq 50); do [ -s "$NT_STATS" ] && break; sleep 0.1; done
	cp "$NT_STATS" "$NT_TMP/stats.now" 2>/dev/null || : >"$NT_TMP/stats.now"
}

# Before the server stops: what its row cost.  ROW_X is "acks pg_us
# writer_us commits batches max_batch sync_ms elapsed" (CPU per lease
# written in microseconds; the writer is pg-wb or the kea process).
srv_stop() {
	local acks=0 pg=0 wr=0 commits=0 batches=0 maxb=0 sync=0 p t recs=0
	if [[ $ROW_MODE == redis-* ]]; then
		pg=$(($(ticks "$REDIS_PID") - ROW_STORE0))
	else
		for p in $(pg_super "SELECT pid FROM pg_stat_activity WHERE datname = '$PG_DB'
			AND usename = '$PG_USER' AND backend_type = 'client backend'" 2>/dev/null); do
			pg=$((pg + $(ticks "$p")))
		done
	fi
	if [ "$SERVER" = kea ]; then
		wr=$(ticks "$NT_SRV_PID")
		timeout 10 "$NT_PY" "$NT_HELPER" kea-stats "$NT_KEA_SOCK" >"$NT_TMP/stats.now" 2>/dev/null
		acks=$(nt_stat pkt4-ack-sent)
		recs=$acks
	else
		for t in /proc/"$NT_SRV_PID"/task/*; do
			[ "$(cat "$t/comm" 2>/dev/null)" = pg-wb ] && wr=$(ticks "$NT_SRV_PID" "${t##*/}")
		done
		dp_stats
		acks=$(nt_stat pkt4-ack-sent)
		recs=$(nt_stat lease-db-records)
		commits=$(nt_stat lease-db-commits)
		batches=$(nt_stat lease-db-batches)
		maxb=$(nt_stat lease-db-max-batch)
		sync=$(($(nt_stat lease-db-sync-us) / 1000))
	fi
	[ "$recs" -gt 0 ] 2>/dev/null || recs=$acks
	ROW_X=$(awk -v a="$acks" -v r="$recs" -v pg="$pg" -v wr="$wr" -v hz="$HZ" \
		-v c="$commits" -v b="$batches" -v m="$maxb" -v s="$sync" -v e=$((SECONDS - ROW_T0)) \
		'BEGIN { d = r > 0 ? r : 1
		printf "%d %.1f %.1f %d %d %d %d %d", a, pg * 1e6 / hz / d, wr * 1e6 / hz / d, c, b, m, s, e }')
	nt_stop "$NT_SRV_PID" 20 >/dev/null 2>&1
	rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
}

# settle: Peregrine with a database queues what PostgreSQL has not taken
# yet (the lease-change logs); after an overloaded step that backlog would
# still be draining in the next one, and the search would measure the
# previous step.  Waits (60 s at most) until the flusher is idle: its
# records and syncs stop moving over half a second.  Kea has no such
# queue (it drops instead).
settle() {
	local prev="" cur i j
	[ "$SERVER" = peregrine ] && [ -n "$NT_LEASE_DB" ] || return 0
	for i in $(seq 120); do
		rm -f "$NT_STATS"
		kill -USR1 "$NT_SRV_PID" 2>/dev/null || return 0
		for j in $(seq 20); do [ -s "$NT_STATS" ] && break; sleep 0.1; done
		cur="$(nt_stat lease-db-records "$NT_STATS") $(nt_stat lease-db-syncs "$NT_STATS")"
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.5
	done
}

cl_before_step() { settle; }

want() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }

# One row: the search (cl_search appends to ROWS), then the JSON line with
# the CPU figures srv_stop measured.
row() {   # KIND MODE GEN START
	local r
	JSON="" cl_search "$@"
	r=${ROWS[-1]}
	ROWS[-1]="$r|$ROW_X|$CL_ROUND"
	if [ -n "$JSON_OUT" ]; then
		IFS='|' read -r k m g v p u l <<<"$r"
		read -r a pg wr c b mb s e <<<"$ROW_X"
		printf '{"server": "%s", "mode": "%s", "generator": "%s", "max_dora_per_s": %s, "p99_us": %s, "duplicates": %s, "load": %s, "round": %s, "durable": %s, "acks": %s, "store_cpu_us_per_lease": %s, "writer_cpu_us_per_lease": %s, "commits": %s, "batches": %s, "max_batch": %s, "sync_ms": %s, "seconds": %s}\n' \
			"$k" "$m" "$g" "$v" "$p" "$u" "$l" "$CL_ROUND" "$DURABLE" "$a" "$pg" "$wr" \
			"$c" "$b" "$mb" "$s" "$e" >>"$JSON_OUT"
	fi
}

# overload MODE RATES...: one server, each rate for one step; per rate
# the ACKs/s the generator saw, its drops, p99, and the datapath's own
# drops over the step: gate full, gate timeout, shed (dp-drop-overload).
overload() {
	local mode=$1 rate out k
	local names="dp-drop-park-full dp-drop-gate-timeout dp-drop-overload lease-db-records"
	declare -A before
	shift
	srv_start peregrine "$mode"
	for rate in "$@"; do
		settle
		dp_stats
		for k in $names; do before[$k]=$(nt_stat "$k"); done
		out=$(cl_before_step() { :; }; run_bench "$rate" "$STEP")
		dp_stats
		printf '%-20s offered %6d  acked/s %6s  drop%% %7s  p99 %8s us' "$mode" "$rate" \
			$(echo "$out" | awk '{ print $1, $2, $3 }')
		for k in $names; do printf '  %s %d' "${k#dp-drop-}" $(($(nt_stat "$k") - ${before[$k]:-0})); done
		echo
	done
	srv_stop
}

[ -n "$JSON_OUT" ] && : >"$JSON_OUT"
if [ -n "$OVERLOAD" ]; then
	CLIENTS=100000
	for spec in pg-commit pg-write-behind redis-commit redis-write-behind commit memory; do
		want "peregrine $spec bench" && overload "$spec" $OVERLOAD
	done
	exit 0
fi
if [ "$SMOKE" = 1 ]; then
	CLIENTS=5000
	CL_ROUND=1
	row peregrine pg-commit bench 2000
	row peregrine redis-commit bench 2000
	[ -x "$KEA" ] && want "kea pg-st bench" && row kea pg-st bench 200
else
	[ -x "$KEA" ] || nt_skip "no $KEA"
	[ -x "$PERFDHCP" ] || nt_skip "no $PERFDHCP"
	for CL_ROUND in $(seq 1 "$ROUNDS"); do
		for spec in "kea pg-st perfdhcp 200" "kea pg-st bench 200" "kea pg-mt bench 200" \
			"peregrine pg-commit bench 4000" "peregrine pg-write-behind bench 4000" \
			"peregrine redis-commit bench 8000" "peregrine redis-write-behind bench 8000" \
			"peregrine commit bench 20000" "peregrine memory bench 20000"; do
			set -- $spec
			want "$1 $2 $3" && row "$1" "$2" "$3" "$4"
		done
	done
fi

# the table: medians over the rounds ------------------------------------------

TABLE="$NT_TMP/table.md"
printf '%s\n' "${ROWS[@]}" >"$NT_TMP/rows.txt"
/usr/bin/python3 - "$NT_TMP/rows.txt" "$ROUNDS" >"$TABLE" <<'EOF'
import sys, statistics
rows = {}
order = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("|")
    if len(f) < 9:
        continue
    k, m, g, v, p, u, load, x, rnd = f[:9]
    key = (k, m, g)
    if key not in rows:
        rows[key] = []
        order.append(key)
    a, pg, wr, c, b, mb, s, e = x.split()
    rows[key].append(dict(v=int(v), p=int(p), u=int(u), load=load, pg=float(pg), wr=float(wr),
                          c=int(c), b=int(b), mb=int(mb), a=int(a)))
def med(key):
    return statistics.median(r["v"] for r in rows[key])
best = max([med(k) for k in order if k[0] == "kea"] or [0])
names = {"pg-st": ("PostgreSQL", "1 thread"), "pg-mt": ("PostgreSQL", "multi-threaded (2)"),
         "pg-commit": ("PostgreSQL", "commit"), "pg-write-behind": ("PostgreSQL", "write-behind"),
         "redis-commit": ("Redis", "commit"), "redis-write-behind": ("Redis", "write-behind"),
         "commit": ("memfile", "commit"), "memory": ("memfile", "memory")}
dbs = ("PostgreSQL", "Redis")
print("| server | lease store | mode | generator | max DORA/s (<1% drops), median | rounds | "
      "p99 at it | ÷ best Kea | store CPU µs/lease | writer CPU µs/lease | "
      "leases per commit (max) | duplicates | load at start |")
print("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
for key in order:
    rs = rows[key]
    k, m, g = key
    v = med(key)
    mid = sorted(rs, key=lambda r: r["v"])[len(rs) // 2]
    store, mode = names.get(m, ("?", m))
    ratio = "%.1f×" % (v / best) if best else "—"
    pgc = "%.1f" % statistics.median(r["pg"] for r in rs) if store in dbs else "—"
    wr = ("%.1f" % statistics.median(r["wr"] for r in rs)) if (k == "kea" or store in dbs) else "—"
    if k == "peregrine" and store in dbs:
        per = "%.0f (%d)" % (statistics.median(r["a"] / r["c"] if r["c"] else 0 for r in rs),
                             max(r["mb"] for r in rs))
    elif k == "kea":
        per = "1"
    else:
        per = "—"
    print("| %s | %s | %s | %s | %.0f | %s | %.1f ms | %s | %s | %s | %s | %d | %s |" % (
        k, store, mode, "peregrine-bench" if g == "bench" else g, v,
        " / ".join(str(r["v"]) for r in rs), mid["p"] / 1000, ratio, pgc, wr, per,
        sum(r["u"] for r in rs), " / ".join(r["load"] for r in rs)))
EOF
cat "$TABLE"

if [ -n "$WRITE" ]; then
	CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	MARK=compare_pg
	[ "$DURABLE" = 1 ] || MARK=compare_pg_fast
	[ -n "$MARK_ARG" ] && MARK=$MARK_ARG
	CMD="sudo bench/compare_pg.sh"
	[ "$ROUNDS" != 1 ] && CMD+=" --rounds $ROUNDS"
	[ "$DURABLE" = 1 ] || CMD+=" --no-durable"
	[ -n "$ONLY" ] && CMD+=" --only '$ONLY'"
	[ -n "$MARK_ARG" ] && CMD+=" --mark $MARK_ARG"
	{
		echo "<!-- $MARK:begin (written by bench/compare_pg.sh; do not edit by hand) -->"
		echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($CPU), kernel $(uname -r),"
		echo "$("$KEA" -V 2>/dev/null | head -1 | sed 's/^/kea-dhcp4 /'), $("$PG_BIN/postgres" -V),"
		echo "peregrine $(git -C "$SRC" describe --always --dirty 2>/dev/null)."
		echo "PostgreSQL $([ "$DURABLE" = 1 ] && echo "durable (fsync, synchronous_commit and full_page_writes on)" ||
			echo "NOT durable (fsync, synchronous_commit and full_page_writes off)"), one cluster for every row,"
		echo "Kea's schema 13.0 and its triggers as kea-admin made them; lease4 emptied before each row."
		echo "Hugepages: $([ "$HUGE" = 1 ] && echo yes || echo no); step ${STEP} s per rate; $ROUNDS round(s), rows interleaved."
		echo
		echo "Command: \`$CMD --write BENCHMARKS.md build\`"
		echo
		cat "$TABLE"
		echo
		echo "Load average (1 min) at the start of each row, in round order, in the last column."
		echo "CPU per lease: user+system time of the store (the PostgreSQL backends of the row's connections,"
		echo "or redis-server over the row), and of"
		echo "the writer (Peregrine's flusher thread pg-wb; the whole kea-dhcp4 process), over the row,"
		echo "divided by the leases written (Peregrine: lease-db-records; Kea: pkt4-ack-sent)."
		echo "<!-- $MARK:end -->"
	} >"$NT_TMP/section.md"
	cl_write_section "$WRITE" "$MARK" "$NT_TMP/section.md"
	nt_log "table written into $WRITE"
fi
NT_RESULT=pass
exit 0
