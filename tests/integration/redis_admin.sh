#!/bin/bash
# peregrine-admin ... redis against one private redis-server
# (scripts/redistest.sh), started once for the whole script and stopped by
# pid at exit:
#
#  - bad command lines exit non-zero with a message;
#  - the password (an ACL user's) reaches no child process's argv: with
#    REDISCLI_AUTH no exec carries it, with -p only peregrine-admin's own
#    (strace -f), and peregrine-leasetool gets it in PEREGRINE_DB_PASSWORD;
#  - db-init writes peregrine:schema = 1 on an empty store and refuses a
#    store with a schema key or with lease keys; db-version prints 1, says
#    when there is none and shows an unknown one;
#  - lease-upload of Kea-written lease files (backends/testdata) stores
#    exactly the leases Kea would load (last row per address, rows with
#    valid_lifetime 0 deleted), field by field, with the expiry index and
#    counters the server's writes keep (counters = hashes per subnet,
#    type and state); a second upload refuses and changes nothing;
#  - lease-dump writes Kea's CSV whose rows are the uploaded ones, which
#    uploads again, identically, under another key prefix;
#  - with a non-numeric -n every key is under NAME:.
# Usage: redis_admin.sh [BUILDDIR]   (runs BUILDDIR/peregrine-admin)
set -u
NT_NAME=redis_admin
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/scripts/redistest.sh"
. "$SRC/tests/integration/admin_lib.sh"

BUILD=${1:-$SRC/build}
ADMIN=$BUILD/peregrine-admin
[ -x "$ADMIN" ] || fail "no executable $ADMIN (configure the build dir first)"
[ -x "$BUILD/tools/peregrine-leasetool" ] || fail "no $BUILD/tools/peregrine-leasetool (build it first)"
DATA=$SRC/backends/testdata

redis_start
W=$REDIS_TMP/work
mkdir -p "$W"
PASS='S3cret pw,x'
# Every connection authenticates: database 1 over TCP as the ACL user
# "admin", the other stores on the socket as the default user (AUTH with
# the password alone), both with PASS.  REDISCLI_AUTH gives it to
# peregrine-admin and to redis_cli.
redis_cli ACL SETUSER admin on ">$PASS" '~*' '&*' '+@all' >/dev/null || fail "ACL SETUSER admin"
redis_cli ACL SETUSER default resetpass ">$PASS" >/dev/null || fail "ACL SETUSER default"
export REDISCLI_AUTH=$PASS
[ "$(redis_cli PING)" = PONG ] || fail "redis-cli with REDISCLI_AUTH"
TCP=(-h 127.0.0.1 -P "$REDIS_PORT" -u admin)
DB1=("${TCP[@]}" -n 1)
SOCK=(-h "$REDIS_SOCK")

rcli() { redis_cli "$@"; }

# ---- command-line errors ----
adm_fails "unknown backend" "supported: pgsql redis" db-init mysql "${SOCK[@]}"
adm_fails "unknown option" "unknown option" db-version redis -z
adm_fails "option without value" "needs a value" db-version redis -n
adm_fails "lease-dump without family" "-4 or -6" lease-dump redis -o "$W/x.csv" "${SOCK[@]}"
adm_fails "-4 and -6" "only one of" lease-upload redis -4 -6 -i "$DATA/kea22-leases4.csv"
adm_fails "lease-dump without -o" "-o" lease-dump redis -4 "${SOCK[@]}"
adm_fails "lease-upload without -i" "-i" lease-upload redis -6 "${SOCK[@]}"
adm_fails "lease-upload of a missing file" "cannot read" lease-upload redis -4 -i "$W/none.csv" "${SOCK[@]}"
PEREGRINE_LEASETOOL=/nonexistent adm_fails "no leasetool" "peregrine-leasetool not found" \
	db-version redis "${SOCK[@]}"
adm_fails "no server" "connecting to" db-version redis -h "$W/no.sock"
adm_fails "bad database number" "DB index is out of range" db-version redis "${SOCK[@]}" -n 999
[ "$(rcli DBSIZE)" = 0 ] || fail "the command-line errors wrote keys"

# ---- the password: ACL user, never in a child's argv ----
REDISCLI_AUTH=wrong timeout 60 "$ADMIN" db-version redis "${DB1[@]}" >"$W/out" 2>"$W/err" &&
	fail "db-version with a wrong password succeeded"
grep -q WRONGPASS "$W/err" || { cat "$W/err" >&2; fail "wrong password: no WRONGPASS"; }
grep -qF "$PASS" "$W/err" && fail "the password is in an error message"
adm_fails "db-version without a schema" "no schema.*database 1" db-version redis "${DB1[@]}"
# What peregrine-leasetool is given: its argv, and the password in its
# environment (a stand-in records both, then runs the real one).
cat >"$W/wrap" <<-EOF
	#!/bin/sh
	printf '%s\n' "\$@" >"$W/wrap.args"
	printf '%s\n' "\${PEREGRINE_DB_PASSWORD-unset}" >"$W/wrap.env"
	exec "$BUILD/tools/peregrine-leasetool" "\$@"
EOF
chmod +x "$W/wrap"
REDISCLI_AUTH='' PEREGRINE_LEASETOOL=$W/wrap timeout 60 "$ADMIN" db-init redis "${DB1[@]}" -p "$PASS" \
	>"$W/out" 2>"$W/err" || { cat "$W/err" >&2; fail "db-init with -p"; }
grep -qF "S3cret" "$W/wrap.args" && fail "the password is on peregrine-leasetool's command line"
expect "peregrine-leasetool's argv" "$(tr '\n' ' ' <"$W/wrap.args")" \
	"init -t redis -h 127.0.0.1 -P $REDIS_PORT -u admin -n 1 --prog peregrine-admin "
expect "peregrine-leasetool's PEREGRINE_DB_PASSWORD" "$(cat "$W/wrap.env")" "$PASS"
expect "schema key after db-init" "$(rcli -n 1 GET peregrine:schema)" 1
if command -v strace >/dev/null; then
	# every exec of a run: none carries the password when it comes from
	# REDISCLI_AUTH; with -p, only peregrine-admin's own (as kea-admin's)
	strace -f -qq -e trace=execve -s 4096 -o "$W/trace" \
		"$ADMIN" db-version redis "${DB1[@]}" >"$W/out" 2>"$W/err" ||
		{ cat "$W/err" >&2; fail "db-version under strace"; }
	grep -q 'peregrine-leasetool", \["' "$W/trace" || fail "strace did not see peregrine-leasetool"
	grep -F "S3cret" "$W/trace" >&2 && fail "the password is in an exec's argv"
	REDISCLI_AUTH='' strace -f -qq -e trace=execve -s 4096 -o "$W/trace" \
		"$ADMIN" db-version redis "${DB1[@]}" -p "$PASS" >"$W/out" 2>"$W/err" ||
		{ cat "$W/err" >&2; fail "db-version -p under strace"; }
	expect "execs with the password (-p)" "$(grep -cF "S3cret" "$W/trace")" 1
	grep -F "S3cret" "$W/trace" | grep -q 'peregrine-admin", \["' ||
		fail "the password is in the argv of another process than peregrine-admin"
else
	redis_log "no strace: the exec check is skipped (the stand-in's check ran)"
fi

# ---- db-init / db-version ----
adm_ok "db-version" db-version redis "${DB1[@]}"
expect "db-version" "$(cat "$W/out")" 1
adm_fails "second db-init" "already initialised" db-init redis "${DB1[@]}"
adm_ok "db-upgrade (a check)" db-upgrade redis "${DB1[@]}"
# A store with leases but no schema key is not empty: db-init refuses it.
rcli -n 2 HSET lease4:198.18.9.9 state 0 >/dev/null
adm_fails "db-init over lease keys" "already holds lease data.*lease4:198.18.9.9" \
	db-init redis "${SOCK[@]}" -n 2
expect "no schema key written over lease keys" "$(rcli -n 2 EXISTS peregrine:schema)" 0
# An unknown schema is shown; a copy refuses it.
rcli -n 2 SET peregrine:schema 7 >/dev/null
adm_ok "db-version 7" db-version redis "${SOCK[@]}" -n 2
expect "db-version 7" "$(cat "$W/out")" 7
grep -q "unknown" "$W/err" || fail "db-version 7 does not say it is unknown"
adm_fails "upload onto schema 7" "schema 7|'7'" lease-upload redis -4 -i "$DATA/kea22-leases4.csv" \
	"${SOCK[@]}" -n 2
adm_fails "db-upgrade of schema 7" "schema '7'" db-upgrade redis "${SOCK[@]}" -n 2
rcli -n 2 DEL peregrine:schema >/dev/null
rcli -n 2 HSET peregrine:schema x y >/dev/null
adm_fails "schema key of another type" "not a string" db-version redis "${SOCK[@]}" -n 2
rcli -n 2 FLUSHDB >/dev/null
adm_fails "upload without db-init" "run db-init" lease-upload redis -4 \
	-i "$DATA/kea22-leases4.csv" "${SOCK[@]}" -n 2
expect "nothing written without a schema" "$(rcli -n 2 DBSIZE)" 0

# ---- lease-upload ----
F4='hwaddr client_id valid_lifetime expire subnet_id fqdn_fwd fqdn_rev hostname state'
F6='duid iaid lease_type prefix_len pref_lifetime valid_lifetime expire subnet_id fqdn_fwd fqdn_rev hostname hwaddr hwtype hwaddr_source state'
# The same rows as the hashes hold them (docs/redis-notes.md): hex without
# colons, commas unescaped, the field count first; v6 as Kea reads it:
# DUID "00" of a declined lease is empty, no hwaddr gives hwtype and
# hwaddr_source 0, an empty hwtype with one is 1.
csv4_as_hash() {
	awk -F, -v OFS='|' '{ gsub(":", "", $2); gsub(":", "", $3); gsub("&#x2c", ",", $9);
		print $1, 9, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' | sort
}
csv6_as_hash() {
	awk -F, -v OFS='|' '{ gsub(":", "", $2); gsub(":", "", $13); gsub("&#x2c", ",", $12);
		if ($2 == "00" && $14 == 1) $2 = "";
		if ($13 == "") { $16 = 0; $17 = 0 } else { if ($16 == "") $16 = 1; if ($17 == "") $17 = 0 }
		print $1, 15, $2, $8, $7, $9, $6, $3, $4, $5, $10, $11, $12, $13, $16, $17, $14 }' | sort
}
# hashes FAM DB PREFIX: every lease hash of the store as "addr|HLEN|fields"
# in the order of F4/F6 (a missing field shows as <none>).
LUA_ROWS='local p, out = ARGV[1], {}
for _, k in ipairs(redis.call("KEYS", p .. "lease" .. ARGV[2] .. ":*")) do
  local row = { string.sub(k, #p + 8), redis.call("HLEN", k) }
  for i = 3, #ARGV do row[#row + 1] = redis.call("HGET", k, ARGV[i]) or "<none>" end
  out[#out + 1] = table.concat(row, "|")
end
return out'
hashes() {
	local f=$F4
	[ "$1" = 6 ] && f=$F6
	# shellcheck disable=SC2086 # the field names are words
	rcli -n "$2" EVAL "$LUA_ROWS" 0 "$3" "$1" $f | sort
}
# counters_ok FAM DB PREFIX: each stat key equals the number of hashes of
# its subnet (type) and state 0/1, and no such group lacks its key; the
# expiry index holds every hash's address with its expire, and only them.
LUA_CHECK='local p, fam, want, bad = ARGV[1], ARGV[2], {}, {}
for _, k in ipairs(redis.call("KEYS", p .. "lease" .. fam .. ":*")) do
  local h = redis.call("HGETALL", k)
  local t = {}
  for i = 1, #h, 2 do t[h[i]] = h[i + 1] end
  if t.state == "0" or t.state == "1" then
    local s = p .. "stat" .. fam .. ":" .. t.subnet_id .. ":" .. (fam == "6" and (t.lease_type .. ":") or "") .. t.state
    want[s] = (want[s] or 0) + 1
  end
  local a = string.sub(k, #p + 8)
  if redis.call("ZSCORE", p .. "expire" .. fam, a) ~= t.expire then bad[#bad + 1] = "expire of " .. a end
end
for _, s in ipairs(redis.call("KEYS", p .. "stat" .. fam .. ":*")) do
  local v = tonumber(redis.call("GET", s))
  if v ~= (want[s] or 0) then bad[#bad + 1] = s .. " = " .. v .. ", hashes " .. (want[s] or 0) end
  want[s] = nil
end
for s, n in pairs(want) do bad[#bad + 1] = s .. " missing, hashes " .. n end
local nz = redis.call("ZCARD", p .. "expire" .. fam)
local nh = #redis.call("KEYS", p .. "lease" .. fam .. ":*")
if nz ~= nh then bad[#bad + 1] = "expire" .. fam .. " has " .. nz .. " members, " .. nh .. " hashes" end
return bad'
counters_ok() {
	local bad
	bad=$(rcli -n "$2" EVAL "$LUA_CHECK" 0 "$3" "$1") || fail "counter check script"
	[ -z "$bad" ] || fail "counters/expiry of lease$1 (db $2, prefix '$3'): $bad"
	[ -n "$(rcli -n "$2" KEYS "$3stat$1:*")" ] || fail "no stat$1 keys (db $2, prefix '$3')"
}

kea_reduce "$DATA/kea22-leases4.csv" 4 >"$W/want4.csv"
kea_reduce "$DATA/kea22-leases6.csv" 3 >"$W/want6.csv"
n4=$(wc -l <"$W/want4.csv")
n6=$(wc -l <"$W/want6.csv")
{ [ "$n4" -ge 100 ] && [ "$n6" -ge 20 ]; } || fail "test data: only $n4 v4 and $n6 v6 leases"
csv4_as_hash <"$W/want4.csv" >"$W/want4.hash"
csv6_as_hash <"$W/want6.csv" >"$W/want6.hash"

adm_ok "lease-upload -4" lease-upload redis -4 -i "$DATA/kea22-leases4.csv" "${DB1[@]}"
grep -q "^peregrine-admin: $n4 leases uploaded to lease4" "$W/out" ||
	{ cat "$W/out"; fail "lease-upload -4: count not reported"; }
adm_ok "lease-upload -6" lease-upload redis -6 -i "$DATA/kea22-leases6.csv" "${DB1[@]}"
grep -q "^peregrine-admin: $n6 leases uploaded to lease6" "$W/out" ||
	{ cat "$W/out"; fail "lease-upload -6: count not reported"; }
hashes 4 1 "" >"$W/got4.hash"
hashes 6 1 "" >"$W/got6.hash"
diff "$W/want4.hash" "$W/got4.hash" >&2 || fail "lease4 hashes differ from the CSV (< CSV, > store)"
diff "$W/want6.hash" "$W/got6.hash" >&2 || fail "lease6 hashes differ from the CSV (< CSV, > store)"
counters_ok 4 1 ""
counters_ok 6 1 ""
# Spot checks in the store's own encodings.
expect "198.18.1.2's hwaddr" "$(rcli -n 1 HGET lease4:198.18.1.2 hwaddr)" 000c01020305
expect "a hostname with commas" "$(rcli -n 1 HGET lease6:2001:db8:1::a hostname)" host,with,commas.example
expect "IAID 2^32-1" "$(rcli -n 1 HGET lease6:2001:db8:200:100:: iaid)" 4294967295
expect "the declined lease's empty DUID" "$(rcli -n 1 HGET lease6:2001:db8:1::c duid)" ""
expect "deleted lease absent" "$(rcli -n 1 EXISTS lease6:2001:db8:1::f)" 0
expect "stat6 of IA_PD" "$(rcli -n 1 GET stat6:1:2:0)" \
	"$(awk -F'|' '$5 == 2 && $17 == 0' "$W/want6.hash" | wc -l)"
expect "no stray keys" "$(rcli -n 1 DBSIZE)" \
	"$((1 + n4 + n6 + 2 + $(rcli -n 1 KEYS 'stat[46]:*' | wc -l)))"

# A second upload of the same file is refused whole, the store unchanged.
size=$(rcli -n 1 DBSIZE)
adm_fails "second lease-upload -4" "already in the store.*nothing was uploaded" lease-upload redis -4 \
	-i "$DATA/kea22-leases4.csv" "${DB1[@]}"
hashes 4 1 "" | cmp -s - "$W/got4.hash" || fail "lease4 changed by a refused upload"
expect "keys after a refused upload" "$(rcli -n 1 DBSIZE)" "$size"
adm_fails "v6 file to -4" "not a Kea DHCPv4 lease file" lease-upload redis -4 \
	-i "$DATA/kea22-leases6.csv" "${DB1[@]}"

# ---- lease-dump ----
adm_ok "lease-dump -4" lease-dump redis -4 -o "$W/dump4.csv" "${DB1[@]}"
adm_ok "lease-dump -6" lease-dump redis -6 -o "$W/dump6.csv" "${DB1[@]}"
expect "dump4 header" "$(head -n 1 "$W/dump4.csv")" "$(head -n 1 "$DATA/kea22-leases4.csv")"
expect "dump6 header" "$(head -n 1 "$W/dump6.csv")" "$(head -n 1 "$DATA/kea22-leases6.csv")"
# The rows are the uploaded ones, user_context empty (the store keeps none,
# as the server's memfile writes none).
no_ctx() { awk -F, -v OFS=, -v c="$1" '{ $c = ""; print }'; }
tail -n +2 "$W/dump4.csv" | sort >"$W/dump4.rows"
tail -n +2 "$W/dump6.csv" | sort >"$W/dump6.rows"
diff <(no_ctx 11 <"$W/want4.csv") "$W/dump4.rows" >&2 || fail "lease-dump -4 rows differ from the uploaded ones"
diff <(no_ctx 15 <"$W/want6.csv") "$W/dump6.rows" >&2 || fail "lease-dump -6 rows differ from the uploaded ones"
for d in "$W"/.peregrine-leasetool.*; do
	[ -e "$d" ] && fail "lease-dump left its temporary directory $d"
done
# An existing output file is not overwritten without -y.
echo keep >"$W/exists.csv"
adm_fails "lease-dump over a file without -y" "exists.*-y" lease-dump redis -4 -o "$W/exists.csv" "${DB1[@]}"
expect "the existing file" "$(cat "$W/exists.csv")" keep
adm_ok "lease-dump -y" lease-dump redis -4 -o "$W/exists.csv" -y "${DB1[@]}"
cmp -s "$W/dump4.csv" "$W/exists.csv" || fail "lease-dump -y wrote another file"

# ---- a key prefix: the dump uploads again, identically, and every key of
# database 0 is under site1: or site2: ----
expect "database 0 before" "$(rcli DBSIZE)" 0
for p in site1 site2; do
	adm_ok "db-init -n $p" db-init redis "${SOCK[@]}" -n "$p"
done
adm_ok "upload of the v4 file under site1" lease-upload redis -4 -i "$DATA/kea22-leases4.csv" "${SOCK[@]}" -n site1
adm_ok "upload of the v4 dump under site2" lease-upload redis -4 -i "$W/dump4.csv" "${SOCK[@]}" -n site2
adm_ok "upload of the v6 dump under site2" lease-upload redis -6 -i "$W/dump6.csv" "${TCP[@]}" -n site2
for p in site1 site2; do
	hashes 4 0 "$p:" >"$W/$p.4"
	diff "$W/got4.hash" "$W/$p.4" >&2 || fail "lease4 under $p: differs from database 1's"
	counters_ok 4 0 "$p:"
done
hashes 6 0 site2: >"$W/site2.6"
diff "$W/got6.hash" "$W/site2.6" >&2 || fail "lease6 under site2: differs from database 1's"
counters_ok 6 0 site2:
adm_ok "lease-dump -n site1" lease-dump redis -4 -o "$W/site1.csv" "${SOCK[@]}" -n site1
cmp -s "$W/dump4.csv" "$W/site1.csv" || fail "the dump of site1 differs from database 1's"
outside=$(rcli --scan | grep -cvE '^site[12]:')
expect "keys of database 0 outside site1:/site2:" "$outside" 0
expect "site1: keys" "$(rcli --scan --pattern 'site1:*' | wc -l)" \
	"$((1 + n4 + 1 + $(rcli KEYS 'site1:stat4:*' | wc -l)))"
adm_fails "site1 db-init again" "already initialised" db-init redis "${SOCK[@]}" -n site1

# ---- more leases than one batch (1000): 2500 in three subnets, some
# declined, in database 3; every one stored, the counters right ----
{
	head -n 1 "$DATA/kea22-leases4.csv"
	awk 'BEGIN { for (i = 0; i < 2500; i++)
		printf "198.19.%d.%d,00:0c:02:00:%02x:%02x,,3600,1800000000,%d,0,0,,%d,\n",
			int(i / 250), i % 250 + 1, int(i / 256), i % 256, i % 3 + 1, i % 7 == 0 }'
} >"$W/big4.csv"
adm_ok "db-init -n 3" db-init redis "${SOCK[@]}" -n 3
adm_ok "lease-upload of 2500 leases" lease-upload redis -4 -i "$W/big4.csv" "${SOCK[@]}" -n 3
expect "hashes of the 2500" "$(hashes 4 3 "" | wc -l)" 2500
counters_ok 4 3 ""
expect "declined leases of subnet 1" "$(rcli -n 3 GET stat4:1:1)" \
	"$(awk -F, 'NR > 1 && $6 == 1 && $10 == 1' "$W/big4.csv" | wc -l)"
adm_ok "lease-dump of the 2500" lease-dump redis -4 -o "$W/big4.dump" "${SOCK[@]}" -n 3
diff <(tail -n +2 "$W/big4.csv" | sort) <(tail -n +2 "$W/big4.dump" | sort) >&2 ||
	fail "the dump of 2500 leases differs from the file"

redis_stop
redis_log "PASS"
