#!/bin/bash
# The control channel of the real binary, over its unix socket (raw bytes
# from Python and peregrinectl) and over HTTP (curl): every command answers
# in Kea's shape, bad requests (malformed JSON, oversized, unknown command,
# wrong argument types) get error answers, a client that connects and never
# sends is cut off after idle-timeout, and DHCP is served meanwhile (scapy
# DORAs complete while the silent client holds its connection).
# Usage: ctl_commands.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/ctl_lib.sh"
CTL_SOCKET_EXTRA="idle-timeout = 1500; max-request-size = 65536;"
ctl_setup "$@"
# An HA block (passive-backup: this primary serves from the start, its
# backup is never there): its peer listener answers the partner's
# commands on this server's own URL, and config-get hides the peers'
# passwords.
HAPORT=$((PORT + 1))
cat >>"$NT_CONF" <<EOS
high-availability = {
	this-server-name = "server1"; mode = "passive-backup";
	heartbeat-delay = 1000; max-response-delay = 3000;
	peers = (
		{ name = "server1"; url = "http://127.0.0.1:$HAPORT/"; role = "primary";
		  basic-auth-user = "ha"; basic-auth-password = "ha-secret"; },
		{ name = "server2"; url = "http://127.0.0.2:$HAPORT/"; role = "backup"; }
	);
};
EOS
peer() {
	timeout 15 ip netns exec "$NT_SRV" curl -s -m 10 ${2:+-u "$2"} -H 'Content-Type: application/json' \
		-d "$1" "http://127.0.0.1:$HAPORT/"
}
nt_server_check
nt_server_start

[ "$(stat -c %a "$SOCK")" = 600 ] || nt_fail "socket mode $(stat -c %a "$SOCK"), want 600"

# --- some leases first: two scapy clients ------------------------------------
nt_dora --count 2 --mac-base 02:00:00:00:20:00 >"$NT_TMP/dora1.out" 2>&1 || {
	cat "$NT_TMP/dora1.out" >&2; nt_fail "DORA"; }

# --- every command --------------------------------------------------------------
A=$(ctl list-commands); expect 0 "$A" '(.arguments | index("lease4-get-page")) and (.arguments | index("config-reload"))'
A=$(ctl version-get); expect 0 "$A" '.text | length > 0'
A=$(ctl build-report); expect 0 "$A" '.text | test("peregrine")'
A=$(ctl status-get); expect 0 "$A" ".arguments.pid == $NT_SRV_PID and .arguments.workers >= 1 and .arguments[\"reload-count\"] == 0"
A=$(ctl config-get); expect 0 "$A" '.arguments.Peregrine.subnet4[0].id == 1'
expect 0 "$A" '.arguments.Peregrine["high-availability"].peers[0]["basic-auth-password"] == "*****"'
grep -q ha-secret <<<"$A" && nt_fail "config-get shows an HA peer's password"
# the HA peer listener: a partner's command answered as a list (Kea's HA
# listener's shape), with this server's peer credentials only; nothing
# else runs there
A=$(peer '{"command": "lease4-get-page", "service": ["dhcp4"], "arguments": {"from": "start", "limit": 10}}' ha:ha-secret)
jq -e 'type == "array"' <<<"$A" >/dev/null || nt_fail "the peer listener's answer is no list: $A"
expect 0 "$A" '.arguments.leases | length == 2'
[ "$(timeout 15 ip netns exec "$NT_SRV" curl -s -o /dev/null -w '%{http_code}' -m 10 \
	-d '{"command": "status-get"}' "http://127.0.0.1:$HAPORT/")" = 401 ] ||
	nt_fail "the peer listener answered without credentials"
A=$(peer '{"command": "config-get"}' ha:ha-secret); expect 2 "$A" '.text | test("HA peer listener")'
A=$(ctl config-test); expect 0 "$A" '.arguments.reloadable == true'
A=$(ctl config-test '{"file": "/nonexistent.conf"}'); expect 1 "$A" '.text | test("nonexistent")'
A=$(ctl config-write "{\"filename\": \"$NT_TMP/written.conf\"}"); expect 0 "$A"
cmp -s "$NT_TMP/written.conf" "$NT_CONF" || nt_fail "config-write output differs from the running file"

A=$(ctl statistic-get '{"name": "pkt4-ack-sent"}')
expect 0 "$A" '.arguments["pkt4-ack-sent"][0][0] == 2 and (.arguments["pkt4-ack-sent"][0][1] | type == "string")'
A=$(ctl statistic-get-all); expect 0 "$A" '.arguments["subnet[1].assigned-addresses"][0][0] == 2 and .arguments["subnet[1].pool[0].total-addresses"][0][0] == 100'
A=$(ctl statistic-reset '{"name": "pkt4-ack-sent"}'); expect 0 "$A"
A=$(ctl statistic-get '{"name": "pkt4-ack-sent"}'); expect 0 "$A" '.arguments["pkt4-ack-sent"][0][0] == 0'
A=$(ctl statistic-remove '{"name": "pkt4-offer-sent"}'); expect 0 "$A"
A=$(ctl statistic-get '{"name": "pkt4-offer-sent"}'); expect 0 "$A" '.arguments == {}'
A=$(ctl statistic-reset '{"name": "no-such-stat"}'); expect 1 "$A"
A=$(ctl stat-lease4-get); expect 0 "$A" '.arguments["result-set"].columns[4] == "declined-addresses" and .arguments["result-set"].rows[0] == [1, 100, 2, 2, 0]'
A=$(ctl stat-lease4-get '{"subnet-id": 7}'); expect 3 "$A"
A=$(ctl stat-lease4-get '{"subnet-range": {"first-subnet-id": 1, "last-subnet-id": 3}}'); expect 0 "$A" '.arguments["result-set"].rows | length == 1'

A=$(ctl lease4-get-all); expect 0 "$A" '.arguments.leases | length == 2'
IP1=$(jq -r '.arguments.leases[0]["ip-address"]' <<<"$A")
HW1=$(jq -r '.arguments.leases[0]["hw-address"]' <<<"$A")
A=$(ctl lease4-get "{\"ip-address\": \"$IP1\"}"); expect 0 "$A" ".arguments[\"hw-address\"] == \"$HW1\" and .arguments[\"subnet-id\"] == 1 and .arguments.state == 0"
A=$(ctl lease4-get "{\"identifier-type\": \"hw-address\", \"identifier\": \"$HW1\", \"subnet-id\": 1}"); expect 0 "$A" ".arguments[\"ip-address\"] == \"$IP1\""
A=$(ctl lease4-get-by-hw-address "{\"hw-address\": \"$HW1\"}"); expect 0 "$A" '.arguments.leases | length == 1'
A=$(ctl lease4-get-page '{"from": "start", "limit": 1}'); expect 0 "$A" ".arguments.count == 1 and .arguments.leases[0][\"ip-address\"] == \"$IP1\""
A=$(ctl lease4-get-page "{\"from\": \"$IP1\", \"limit\": 10}"); expect 0 "$A" '.arguments.count == 1'
A=$(ctl lease4-add '{"ip-address": "198.18.0.150", "hw-address": "0a:0b:0c:0d:0e:0f", "client-id": "01:0a:0b:0c:0d:0e:0f", "valid-lft": 500, "hostname": "added.example"}'); expect 0 "$A"
A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 0 "$A" '.arguments.hostname == "added.example"'
# by-address work goes to the address's owner only: one worker message
# (dp-ctl-messages sums every worker's), whatever the number of workers
M0=$(msgs)
A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 0 "$A"
M1=$(msgs)
[ $((M1 - M0)) = 1 ] || nt_fail "lease4-get by address took $((M1 - M0)) worker messages, want 1"
A=$(ctl lease4-add '{"ip-address": "198.18.0.151", "hw-address": "0a:0b:0c:0d:0e:51"}'); expect 0 "$A"
M2=$(msgs)
[ $((M2 - M1)) = 1 ] || nt_fail "lease4-add of a free address took $((M2 - M1)) worker messages, want 1 (the add)"
A=$(ctl lease4-del '{"ip-address": "198.18.0.151"}'); expect 0 "$A"
M3=$(msgs)
[ $((M3 - M2)) = 1 ] || nt_fail "lease4-del by address took $((M3 - M2)) worker messages, want 1"
A=$(ctl lease4-get '{"ip-address": "198.18.0.151"}'); expect 3 "$A"
A=$(ctl lease4-add '{"ip-address": "198.18.0.150", "hw-address": "0a:0b:0c:0d:0e:10"}'); expect 1 "$A" '.text | test("exists")'
# 0.0.0.0 is no lease address: it must not select (or delete) every lease
A=$(ctl lease4-del '{"ip-address": "0.0.0.0"}'); expect 1 "$A"
A=$(ctl lease4-get '{"ip-address": "0.0.0.0"}'); expect 1 "$A"
A=$(ctl lease4-add '{"ip-address": "198.18.9.9", "hw-address": "0a:0b:0c:0d:0e:11"}'); expect 1 "$A"
# outside the pool (no allocator bit): a second client's lease for the same
# address is refused whichever worker owns that client
A=$(ctl lease4-add '{"ip-address": "198.18.0.20", "hw-address": "0a:0b:0c:0d:0f:00"}'); expect 0 "$A"
for n in 1 2 3 4 5 6; do
	A=$(ctl lease4-add "{\"ip-address\": \"198.18.0.20\", \"hw-address\": \"0a:0b:0c:0d:0f:0$n\"}"); expect 1 "$A" '.text | test("exists")'
done
A=$(ctl lease4-del '{"ip-address": "198.18.0.20"}'); expect 0 "$A"
A=$(ctl lease4-get-by-client-id '{"client-id": "01:0a:0b:0c:0d:0e:0f"}'); expect 0 "$A" '.arguments.leases[0]["valid-lft"] == 500'
A=$(ctl lease4-update '{"ip-address": "198.18.0.150", "hw-address": "0a:0b:0c:0d:0e:0f", "client-id": "01:0a:0b:0c:0d:0e:0f", "valid-lft": 900}'); expect 0 "$A"
A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 0 "$A" '.["arguments"]["valid-lft"] == 900'
# moved to another client (maybe another worker)
A=$(ctl lease4-update '{"ip-address": "198.18.0.150", "hw-address": "0a:0b:0c:0d:0e:99", "valid-lft": 901}'); expect 0 "$A"
A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 0 "$A" '.arguments["hw-address"] == "0a:0b:0c:0d:0e:99"'
grep -q '^198.18.0.150,0a:0b:0c:0d:0e:99,' "$NT_LEASES" || nt_fail "lease4-update not in the lease file"
# Moves between clients again: with two workers some of these owners differ,
# and the lease must follow each move (the old worker keeps the address bit
# until its delete is durable; the move must wait for it, not lose the lease).
for n in 1 2 3 4 5 6; do
	A=$(ctl lease4-update "{\"ip-address\": \"198.18.0.150\", \"hw-address\": \"0a:0b:0c:0d:0e:9$n\", \"valid-lft\": 901}"); expect 0 "$A"
	A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 0 "$A" ".arguments[\"hw-address\"] == \"0a:0b:0c:0d:0e:9$n\""
done
A=$(ctl lease4-update '{"ip-address": "198.18.0.150", "hw-address": "0a:0b:0c:0d:0e:99", "valid-lft": 901}'); expect 0 "$A"
A=$(ctl stat-lease4-get '{"subnet-id": 1}'); expect 0 "$A" '.arguments["result-set"].rows[0][3] == 3'
A=$(ctl lease4-del '{"ip-address": "198.18.0.150"}'); expect 0 "$A"
A=$(ctl lease4-del '{"ip-address": "198.18.0.150"}'); expect 3 "$A"
A=$(ctl lease4-get '{"ip-address": "198.18.0.150"}'); expect 3 "$A"
A=$(ctl leases-reclaim '{"remove": true}'); expect 0 "$A"
A=$(ctl dhcp-disable '{"max-period": 30}'); expect 0 "$A"
A=$(ctl status-get); expect 0 "$A" '.arguments["dhcp-state"] == "disabled"'
nt_dora --count 1 --mac-base 02:00:00:00:30:00 --timeout 1 >/dev/null 2>&1 && nt_fail "DHCP answered while disabled"
A=$(ctl statistic-get '{"name": "dp-drop-dhcp-disabled"}'); expect 0 "$A" '.arguments["dp-drop-dhcp-disabled"][0][0] > 0'
A=$(ctl dhcp-enable); expect 0 "$A"
# origins, as Kea's NetworkState: the HA partner's disable outlives an
# operator's enable; one family off leaves the other serving
A=$(ctl dhcp-disable '{"origin": "ha-partner"}'); expect 0 "$A"
A=$(ctl dhcp-enable); expect 0 "$A"
A=$(ctl status-get); expect 0 "$A" '.arguments["dhcp-state"] == "disabled"'
A=$(ctl dhcp-enable '{"origin": "ha-partner"}'); expect 0 "$A"
A=$(ctl status-get); expect 0 "$A" '.arguments["dhcp-state"] == "enabled"'
A=$(raw '{"command": "dhcp-disable", "service": ["dhcp6"], "arguments": {"max-period": 30}}')
expect 0 "$A" '.text == "DHCPv6 service disabled for 30 seconds"'
A=$(ctl status-get)
expect 0 "$A" '.arguments["dhcp-state"] == "enabled" and .arguments["dhcp6-state"] == "disabled"'
nt_dora --count 1 --mac-base 02:00:00:00:31:00 --timeout 2 >/dev/null ||
	nt_fail "DHCPv4 did not answer with only DHCPv6 disabled"
A=$(raw '{"command": "dhcp-enable", "service": ["dhcp6"]}'); expect 0 "$A"
A=$(ctl dhcp-disable '{"origin": "partner"}'); expect 1 "$A" '.text | test("origin")'
A=$(ctl lease4-wipe '{"subnet-id": 1}'); expect 0 "$A" '.text | test("Deleted 3 ")'
A=$(ctl lease4-get-all); expect 3 "$A"
# no dhcp6 block: every DHCPv6 lease command says so
A=$(ctl lease6-get-all); expect 1 "$A" '.text == "DHCPv6 is not configured"'
A=$(ctl stat-lease6-get); expect 1 "$A" '.text == "DHCPv6 is not configured"'

# --- bad requests ------------------------------------------------------------------
A=$(raw '{"command": "version-get", '); expect 1 "$A"
A=$(raw '[1, 2, 3]'); expect 1 "$A"
A=$(ctl no-such-command); expect 2 "$A"
A=$(ctl statistic-get '{"name": 5}'); expect 1 "$A" '.text | test("string")'
A=$(ctl lease4-get-page '{"from": "start", "limit": "ten"}'); expect 1 "$A" '.text | test("integer")'
A=$(ctl lease4-add '{"ip-address": 3, "hw-address": "0a:0b:0c:0d:0e:0f"}'); expect 1 "$A"
A=$(ctl dhcp-disable '{"max-period": -1}'); expect 1 "$A"
A=$(ctl leases-reclaim '{"remove": "yes"}'); expect 1 "$A"
BIG=$(head -c 70000 /dev/zero | tr '\0' x)
A=$(raw "{\"command\": \"version-get\", \"arguments\": {\"pad\": \"$BIG\"}}" 2>/dev/null)
[ -z "$A" ] || expect 1 "$A"

# --- a client that connects and never sends: DHCP goes on ----------------------
timeout 20 "$NT_PY" - "$SOCK" >"$NT_TMP/silent.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.time()
s.settimeout(15)
d = s.recv(100)
print("closed after %.1f s with %r" % (time.time() - t, d[:60]))
PY
SILENT=$!
NT_PIDS+=("$SILENT")
nt_dora --count 3 --mac-base 02:00:00:00:40:00 >"$NT_TMP/dora2.out" 2>&1 || {
	cat "$NT_TMP/dora2.out" >&2; nt_fail "DORA while a control client was silent"; }
A=$(ctl version-get); expect 0 "$A"
wait "$SILENT"
nt_log "silent client: $(cat "$NT_TMP/silent.out")"
grep -q 'closed after' "$NT_TMP/silent.out" || nt_fail "silent client was never cut off"

# --- HTTP and Prometheus ------------------------------------------------------------
# 4 ACKs since the reset: the 3 above and the one with only DHCPv6 disabled
A=$(http '{"command": "statistic-get", "arguments": {"name": "pkt4-ack-sent"}}'); expect 0 "$A" '.arguments["pkt4-ack-sent"][0][0] == 4'
A=$(http '{"command": "lease4-get-all"}'); expect 0 "$A" '.arguments.leases | length == 3'
A=$(http '{"command": "bogus'); expect 1 "$A"
timeout 15 ip netns exec "$NT_SRV" curl -s -m 10 "http://127.0.0.1:$PORT/metrics" >"$NT_TMP/metrics" ||
	nt_fail "GET /metrics"
grep -q '^# TYPE peregrine_pkt4_ack_sent_total counter' "$NT_TMP/metrics" || nt_fail "no pkt4_ack_sent counter"
grep -q '^peregrine_subnet_assigned_addresses{subnet="1"} 3$' "$NT_TMP/metrics" ||
	nt_fail "no subnet assigned gauge of 3: $(grep assigned "$NT_TMP/metrics")"
grep -q '^peregrine_pool_total_addresses{subnet="1",pool="0"} 100$' "$NT_TMP/metrics" || nt_fail "no pool gauge"

# --- peregrinectl ----------------------------------------------------------------------
"$CTL" -s "$SOCK" stats >"$NT_TMP/ctl.stats" 2>&1 || nt_fail "peregrinectl stats"
grep -q 'subnet\[1\].assigned-addresses' "$NT_TMP/ctl.stats" || nt_fail "peregrinectl stats output"
"$CTL" -s "$SOCK" leases --subnet 1 >"$NT_TMP/ctl.leases" 2>&1 || nt_fail "peregrinectl leases"
# nothing found is exit status 3, an error 1
"$CTL" -s "$SOCK" lease4-get '{"ip-address": "198.18.0.254"}' >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || nt_fail "peregrinectl: lease4-get of an unknown address exited $rc, want 3"
"$CTL" -s "$SOCK" lease4-get '{"ip-address": "not-an-address"}' >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || nt_fail "peregrinectl: a refused request exited $rc, want 1"

# --- shutdown over the socket: a clean stop ---------------------------------------------
A=$(ctl shutdown); expect 0 "$A"
nt_wait_exit "$NT_SRV_PID" 20
rc=$?
[ "$rc" = 0 ] || nt_fail "server exit status $rc after shutdown"
[ -e "$SOCK" ] && nt_fail "socket left behind"
NT_RESULT=pass
exit 0
