#!/bin/bash
# Two Peregrine servers, one Redis lease store (shared = true, key prefix
# "shared"), the same subnet and pool: each serves its own link (two pairs
# of namespaces) under perfdhcp, 250 DORA/s each, while a third server's
# leases (written with redis-cli once both run: a hash, its expire4 entry
# and its counter each) hold every 4th address.  Claims collide: the
# store's script refuses a claim on another server's live lease, that
# server drops the reply, learns the other's lease and serves the request
# again at once (a NAK for a REQUEST).  Afterwards every (chaddr, yiaddr) a
# DHCPACK gave, on either link, must be that client's hash: no address was
# handed to two clients; the third server's leases are all still its own,
# and the counter equals the hashes.  The refusals must have happened
# (the path is tested), each one served again.  Then Redis goes away:
# nothing is acknowledged (on-fail stop-retry-exit, shared's default);
# back, a new client's lease is its hash.
# Usage: redis_shared.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/redistest.sh"
. "$(dirname "$0")/../../scripts/storetest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/perfdhcp tcpdump jq
RATE=250
SECS=10
P=shared:
redis_start
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.31.255"   # 7,936 addresses, 1,984 of them a third server's
DB="$(redis_lease_db shared) shared = true; reconnect-wait-time = 300;"

# server A on the harness's namespaces; B on a second pair, its own DPDK
# prefix, socket and journal
st_server a "$DB"
st_server b "${DB/\/journal\"/\/journal-b\"}"

# A third server's leases, written while both run and neither knows of
# them: every 4th address of the pool, hwaddr 0a:0a + the address.
awk 'BEGIN { for (x = 1; x <= 31; x++) for (y = 0; y < 256; y += 4)
	printf "198.18.%d.%d 0a0ac612%02x%02x\n", x, y, x, y }' >"$NT_TMP/third.txt"
[ "$(redis_put4 $P 1 3600 <"$NT_TMP/third.txt")" = 1984 ] || nt_fail "the third server's leases"
awk '{ m = $2; gsub(/../, "&:", m); sub(/:$/, "", m); print m, $1 }' "$NT_TMP/third.txt" |
	sort >"$NT_TMP/third.want"

st_load a "$A_CLI" "$A_VC" 3 00:0c:01:00:00:00 $RATE $SECS
st_load b "$B_CLI" "$B_VC" 5 00:0c:02:00:00:00 $RATE $SECS
nt_wait_exit "$P_a" $((SECS + 20))
nt_wait_exit "$P_b" $((SECS + 20))
sleep 1
nt_stop "$T_a" 5
nt_stop "$T_b" 5

st_shared_check

redis_lease4_csv $P "$NT_TMP/lease4.csv"
st_ackcheck "$NT_TMP/a.pcap" "$NT_TMP/lease4.csv" "server A"
st_ackcheck "$NT_TMP/b.pcap" "$NT_TMP/lease4.csv" "server B"
redis_leases4 $P 1 >"$NT_TMP/all.txt"
grep '^0a:0a:c6:12:' "$NT_TMP/all.txt" >"$NT_TMP/third.got"
diff "$NT_TMP/third.want" "$NT_TMP/third.got" >&2 || nt_fail "a third server's lease was taken over"
[ "$(redis_cli GET ${P}stat4:1:0)" = "$(wc -l <"$NT_TMP/all.txt")" ] ||
	nt_fail "${P}stat4:1:0 is $(redis_cli GET ${P}stat4:1:0), the hashes say $(wc -l <"$NT_TMP/all.txt")"
nt_log "$(wc -l <"$NT_TMP/all.txt") lease hashes, the third server's 1984 untouched, counter equal"

# The shared store goes away: nothing is acknowledged without it (no
# journal here: other servers' claims would be unknown) and DHCP service
# stops (on-fail stop-retry-exit); back, service resumes.
NT_VC=$A_VC NT_CLI=$A_CLI
st_shared_away "$NT_TMP/a.sock" redis_crash redis_restart
read -r mac addr _ <"$NT_TMP/up.txt"
redis_leases4 $P 1 | grep -qx "$mac $addr" || nt_fail "the lease given after the outage is not its client's hash"
nt_log "Redis away: no ACK, service stopped; back: served again ($mac $addr)"

# A refused claim is never acknowledged, also when the client retransmits
# its REQUEST or the holder's hash does not read.  Both cases are checked
# before the test fails, so one run reports both.
# shared_request.py CASE MARKER ARGS...: the client in the background, its
# OFFER line read into OFFERED (the client's address)
shared_request() {
	nt_bg "req-$1" "$NT_CLI" "$NT_PY" "$NT_SRCDIR/tests/integration/shared_request.py" \
		--iface "$NT_VC" --marker "$NT_TMP/go-$1" "${@:2}"
	REQ_PID=$NT_LAST_PID
	nt_wait_for 15 "the OFFER ($1)" grep -q '^OFFER' "$NT_TMP/req-$1.log"
	read -r _ OFFERED _ < <(grep '^OFFER' "$NT_TMP/req-$1.log")
}
bugs=0
bug() { nt_log "FAIL: $*"; bugs=$((bugs + 1)); }

# (1) Redis stalls for a second (SIGSTOP) behind another client's claim
# (the decoy's, whatever its verdict), while the client sends its REQUEST
# twice: both of its changes wait in one batch.  The address is the third server's by then: the store
# refuses it, and neither copy of the ACK may leave (the store writes one
# record per address, and refuses every change of the batch for it).
shared_request stall --mac 02:00:00:00:c0:01 --decoy 02:00:00:00:c0:02 --tries 2 --gap 0.1
# (when it is not a third server's already: A does not know them all)
[ "$(redis_cli EXISTS "${P}lease4:$OFFERED")" = 1 ] ||
	echo "$OFFERED 0a0bc0c0c001" | redis_put4 $P 1 3600 >/dev/null
holder=$(redis_leases4 $P 1 | grep " $OFFERED\$")
[ -n "$holder" ] || nt_fail "no holder's lease at $OFFERED"
kill -STOP "$REDIS_PID"
touch "$NT_TMP/go-stall"
sleep 1
kill -CONT "$REDIS_PID"
nt_wait_exit "$REQ_PID" 20
grep -E '^(client|decoy) ' "$NT_TMP/req-stall.log" >&2
redis_leases4 $P 1 | grep -qx "$holder" || bug "the holder's hash of $OFFERED changed"
grep -q "^client ACK $OFFERED" "$NT_TMP/req-stall.log" &&
	bug "$OFFERED, refused by the store (another's lease), was ACKed to a retransmitting client"

# (2) The holder's hash does not read here (its hwaddr is no hex another
# tool wrote): the store still refuses the claim (the hash is live and not
# this client's), so no ACK may leave, and the server must not claim the
# address again and again: it learns the address as held by a stand-in
# (LEASE_UNKNOWN_HOLD_S).
shared_request unreadable --mac 02:00:00:00:c0:03 --tries 3 --gap 2
now=$(date +%s)
redis_cli HSET "${P}lease4:$OFFERED" hwaddr vendor-x:unknown client_id "" valid_lifetime 3600 \
	expire $((now + 3600)) subnet_id 1 fqdn_fwd 0 fqdn_rev 0 hostname "" state 0 >/dev/null
touch "$NT_TMP/go-unreadable"
nt_wait_exit "$REQ_PID" 30
grep -E '^client ' "$NT_TMP/req-unreadable.log" >&2
grep -q "^client ACK $OFFERED" "$NT_TMP/req-unreadable.log" &&
	bug "$OFFERED, refused by the store (a hash that does not read), was ACKed"
r1=$(st_ctl_stat "$NT_TMP/a.sock" dp-lease-refused)
sleep 2
r2=$(st_ctl_stat "$NT_TMP/a.sock" dp-lease-refused)
nt_log "refusals on A: $r1, 2 s later $r2"
[ $((r2 - r1)) -le 5 ] || bug "$((r2 - r1)) refusals in 2 s with no client asking: A claims $OFFERED again and again"
[ "$(redis_cli HGET "${P}lease4:$OFFERED" hwaddr)" = vendor-x:unknown ] ||
	bug "the unreadable hash of $OFFERED was overwritten"
[ "$bugs" = 0 ] || nt_fail "$bugs check(s) of refused claims failed (see above)"
nt_log "refused claims: no ACK with a retransmitted REQUEST or an unreadable holder"

nt_stop "$B_PID" 15 || nt_fail "server B exit status $?"
exit 0
