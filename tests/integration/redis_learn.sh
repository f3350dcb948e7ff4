#!/bin/bash
# Servers sharing one Redis learn each other's claims as they happen
# (pub/sub, docs/redis-notes.md "Claims"), not only from a refusal.
# Two Peregrine servers on one store (shared = true), the same v4 pool and
# v6 pool of 64 addresses each, each server on its own link.  Server A
# gives 40 clients a lease of each family; once B heard those claims, B
# gives 20 other clients a lease of each family.  Without learning, B
# would offer A's addresses and the store would refuse them; with it:
#  - B's store refused nothing, and B learnt A's 40 + 40 claims;
#  - B's addresses are none of A's, and the store holds 60 + 60 leases;
#  - A learnt B's 20 + 20 in turn, and a server never hears its own.
# Usage: redis_learn.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
. "$(dirname "$0")/../../scripts/redistest.sh"
. "$(dirname "$0")/../../scripts/storetest.sh"
nt6_init "$@"
nt_need jq
P=learn:
NA=40
NB=20
redis_start
NT_POOL="198.18.0.100 - 198.18.0.163"
DB="$(redis_lease_db learn) shared = true; reconnect-wait-time = 300;"
NT_LEASE_DB=$DB
NT_EXTRA_CONF=""
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::13f"; } ); }'
ST_EXTRA_CONF=$NT_EXTRA_CONF
st_server a "$DB"
st_server b "${DB/\/journal\"/\/journal-b\"}"

# learnt: the claims server $1 took from pub/sub, v4 and v6
learnt() {
	echo $(($(st_ctl_stat "$NT_TMP/$1.sock" leases-learnt-claims) +
		$(st_ctl_stat "$NT_TMP/$1.sock" v6-leases-learnt-claims)))
}
heard() { [ "$(st_ctl_stat "$NT_TMP/$1.sock" lease-db-claims-heard)" -ge "$2" ]; }

for s in a b; do
	nt_wait_for 10 "server $s to subscribe" \
		eval "[ \"\$(st_ctl_stat \"$NT_TMP/$s.sock\" lease-db-claims-subscribed)\" = 1 ]"
done

# A's clients
# clients NAME COUNT MAC-BASE: COUNT clients on server NAME's link, a DORA
# and a SARR each, their "client address" lines in $NT_TMP/NAME4.txt, NAME6.txt
clients() {
	local up=${1^^} cli vc
	eval "cli=\$${up}_CLI vc=\$${up}_VC"
	NT_CLI=$cli NT_VC=$vc nt_dora --count "$2" --mac-base "$3" >"$NT_TMP/${1}4.txt" ||
		nt_fail "DORA on $1"
	NT_CLI=$cli nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$vc" --count "$2" --mac-base "$3" \
		>"$NT_TMP/${1}6.txt" || nt_fail "SARR on $1"
}
clients a $NA 02:00:00:00:a0:00
nt_wait_for 10 "B to hear A's $((2 * NA)) claims" heard b $((2 * NA))
[ "$(learnt b)" -ge $((2 * NA)) ] || nt_fail "B learnt $(learnt b) of A's $((2 * NA)) claims"

# B's clients: A's addresses are known to B, so nothing is refused
clients b $NB 02:00:00:00:b0:00
refused=$(st_ctl_stat "$NT_TMP/b.sock" lease-db-refused)
nt_log "B: learnt $(learnt b) claims, refused $refused"
[ "$refused" = 0 ] || nt_fail "B's store refused $refused claims: B offered addresses A held"

for f in 4 6; do
	awk '{ print $2 }' "$NT_TMP/a$f.txt" | sort >"$NT_TMP/a$f.addr"
	awk '{ print $2 }' "$NT_TMP/b$f.txt" | sort >"$NT_TMP/b$f.addr"
	[ "$(wc -l <"$NT_TMP/a$f.addr")" = $NA ] && [ "$(wc -l <"$NT_TMP/b$f.addr")" = $NB ] ||
		nt_fail "v$f: not every client got a lease"
	both=$(comm -12 "$NT_TMP/a$f.addr" "$NT_TMP/b$f.addr")
	[ -z "$both" ] || nt_fail "v$f: addresses given by both servers: $both"
done
[ "$(redis_leases4 $P 1 | wc -l)" = $((NA + NB)) ] || nt_fail "not $((NA + NB)) v4 lease hashes"
[ "$(redis_leases6 $P | wc -l)" = $((NA + NB)) ] || nt_fail "not $((NA + NB)) v6 lease hashes"

nt_wait_for 10 "A to hear B's $((2 * NB)) claims" heard a $((2 * NB))
[ "$(st_ctl_stat "$NT_TMP/a.sock" lease-db-claims-heard)" = $((2 * NB)) ] ||
	nt_fail "A heard $(st_ctl_stat "$NT_TMP/a.sock" lease-db-claims-heard) claims, not B's $((2 * NB))"
[ "$(learnt a)" -ge $((2 * NB)) ] || nt_fail "A learnt $(learnt a) of B's $((2 * NB)) claims"
nt_log "A learnt $(learnt a) of B's claims; addresses disjoint; $((NA + NB)) leases of each family"
nt_stop "$B_PID" 15 || nt_fail "server B exit status $?"
exit 0
