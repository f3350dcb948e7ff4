#!/bin/bash
# The DHCPv6 control commands of the real binary (a dhcp6 block beside the
# usual DHCPv4 one), over its unix socket, HTTP and peregrinectl: lease6-add
# of an address, an address outside the pool and a prefix, lease6-get by
# address and by DUID, lease6-get-by-duid, -get-all, paging through with
# lease6-get-page, lease6-update (in place, to other clients' workers, with
# force-create), lease6-del by address and by DUID, lease6-wipe; the
# DHCPv6 statistics (subnet[1].assigned-nas after adds and deletes, pool
# and pd-pool sizes, stat-lease6-get, the "dhcp6" service view, /metrics);
# refused arguments in Kea's words.  No DHCPv6 client runs: the leases come
# from the commands.
# Usage: ctl6_commands.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/ctl_lib.sh"
ctl_setup "$@"
# the port's IPv6 address, then the dhcp6 block
sed -i "s|address = \"$NT_SERVER_IP/$NT_PLEN\"; }|address = \"$NT_SERVER_IP/$NT_PLEN\"; address6 = \"2001:db8:1::1/64\"; }|" "$NT_CONF"
grep -q 'address6 = "2001:db8:1::1/64"' "$NT_CONF" || nt_fail "no address6 in $NT_CONF"
cat >>"$NT_CONF" <<EOS
dhcp6 = {
	preferred-lifetime = 3000; valid-lifetime = 4000;
	lease-database = { type = "memfile"; name = "$NT_TMP/dhcp6.leases"; };
	subnet6 = ( { id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } );
		pd-pools = ( { prefix = "2001:db8:8::"; prefix-len = 48; delegated-len = 56; } ); } );
	server-id = { type = "LL"; persist = false; };
};
EOS
nt_server_check
nt_server_start

NA=2001:db8:1::150
OUT=2001:db8:1::20                      # in the subnet, outside the pool
PD=2001:db8:8:100::
D1=00:03:00:01:02:00:00:00:61:01
D2=00:03:00:01:02:00:00:00:61:02
D3=00:03:00:01:02:00:00:00:61:03
# sval NAME: a statistic's current value
sval() {
	ctl statistic-get "{\"name\": \"$1\"}" | jq ".arguments[\"$1\"][0][0]"
}
A=$(ctl status-get); expect 0 "$A"
WORKERS=$(jq '.arguments.workers' <<<"$A")

# --- before any lease -------------------------------------------------------------
A=$(ctl list-commands)
for c in lease6-add lease6-get lease6-get-all lease6-get-page lease6-get-by-duid lease6-update \
	lease6-del lease6-wipe stat-lease6-get; do
	expect 0 "$A" ".arguments | index(\"$c\")"
done
A=$(ctl lease6-get-all); expect 3 "$A" '.text == "0 IPv6 lease(s) found." and .arguments.leases == []'
[ "$(sval 'subnet[1].total-nas')" = 256 ] || nt_fail "subnet[1].total-nas $(sval 'subnet[1].total-nas'), want 256"
[ "$(sval 'subnet[1].total-pds')" = 256 ] || nt_fail "subnet[1].total-pds, want 256 (/48 in /56s)"
[ "$(sval 'subnet[1].pool[0].total-nas')" = 256 ] || nt_fail "no pool total-nas of 256"
[ "$(sval 'subnet[1].pd-pool[0].total-pds')" = 256 ] || nt_fail "no pd-pool total-pds of 256"
[ "$(sval 'subnet[1].assigned-nas')" = 0 ] || nt_fail "assigned-nas before any lease"
A=$(ctl stat-lease6-get)
expect 0 "$A" '.arguments["result-set"].columns == ["subnet-id", "total-nas", "cumulative-assigned-nas", "assigned-nas", "declined-addresses", "total-pds", "cumulative-assigned-pds", "assigned-pds"] and .arguments["result-set"].rows == [[1, 256, 0, 0, 0, 256, 0, 0]]'

# --- lease6-add ---------------------------------------------------------------------
A=$(ctl lease6-add "{\"ip-address\": \"$NA\", \"duid\": \"$D1\", \"iaid\": 10, \"hw-address\": \"0a:0b:0c:0d:0e:0f\", \"hostname\": \"na.example\"}")
expect 0 "$A" ".text == \"Lease for address $NA, subnet-id 1 added.\""
[ "$(sval 'subnet[1].assigned-nas')" = 1 ] || nt_fail "subnet[1].assigned-nas $(sval 'subnet[1].assigned-nas') after lease6-add, want 1"
[ "$(sval 'subnet[1].pool[0].assigned-nas')" = 1 ] || nt_fail "pool[0].assigned-nas after lease6-add"
A=$(ctl lease6-add "{\"ip-address\": \"$PD\", \"type\": \"IA_PD\", \"prefix-len\": 56, \"duid\": \"$D2\", \"iaid\": 11}")
expect 0 "$A" ".text == \"Lease for prefix $PD/56, subnet-id 1 added.\""
[ "$(sval 'subnet[1].assigned-pds')" = 1 ] || nt_fail "subnet[1].assigned-pds after adding a prefix"
A=$(ctl lease6-add "{\"ip-address\": \"$OUT\", \"duid\": \"$D3\", \"iaid\": 12, \"valid-lft\": 500}"); expect 0 "$A"
# the same address for other clients (some on other workers): refused
for n in 1 2 3 4 5 6; do
	A=$(ctl lease6-add "{\"ip-address\": \"$OUT\", \"duid\": \"0a:0b:0c:0d:0e:0$n\", \"iaid\": 1}")
	expect 1 "$A" '.text == "IPv6 lease already exists."'
	A=$(ctl lease6-add "{\"ip-address\": \"$NA\", \"duid\": \"0a:0b:0c:0d:0e:0$n\", \"iaid\": 1}")
	expect 1 "$A" '.text == "IPv6 lease already exists."'
done
A=$(ctl lease6-add '{"ip-address": "192.0.2.1", "duid": "01:02", "iaid": 1}'); expect 1 "$A" '.text == "Non-IPv6 address specified: 192.0.2.1"'
A=$(ctl lease6-add '{"ip-address": "2001:db8:9::1", "duid": "01:02", "iaid": 1}'); expect 1 "$A" '.text | test("failed to find a subnet")'
A=$(ctl lease6-add '{"ip-address": "2001:db8:1::151", "iaid": 1}'); expect 1 "$A" '.text == "missing '"'"'duid'"'"' argument"'
A=$(ctl lease6-add "{\"ip-address\": \"$PD\", \"type\": \"IA_PD\", \"prefix-len\": 56, \"duid\": \"$D2\", \"iaid\": 11, \"state\": 1}")
expect 1 "$A" '.text == "Invalid declined state for PD prefix."'

# --- lease6-get ---------------------------------------------------------------------------
A=$(ctl lease6-get "{\"ip-address\": \"$NA\"}")
expect 0 "$A" ".text == \"IPv6 lease found.\" and .arguments.duid == \"$D1\" and .arguments.iaid == 10 and .arguments.type == \"IA_NA\" and .arguments[\"subnet-id\"] == 1 and .arguments[\"preferred-lft\"] == 3000 and .arguments[\"valid-lft\"] == 4000 and .arguments[\"hw-address\"] == \"0a:0b:0c:0d:0e:0f\" and .arguments.hostname == \"na.example\" and .arguments.state == 0 and (.arguments | has(\"prefix-len\") | not)"
# ... and lease6-add wrote it into the lease's record in the file.
grep -q "^$NA,$D1,.*0a:0b:0c:0d:0e:0f" "$NT_TMP/dhcp6.leases" ||
	nt_fail "the lease file has no line for $NA with hw-address 0a:0b:0c:0d:0e:0f"
A=$(ctl lease6-get "{\"ip-address\": \"$PD\", \"type\": \"IA_PD\"}"); expect 0 "$A" '.arguments["prefix-len"] == 56 and .arguments.type == "IA_PD"'
# as Kea: by address the type is IA_NA unless given
A=$(ctl lease6-get "{\"ip-address\": \"$PD\"}"); expect 3 "$A" '.text == "Lease not found."'
A=$(ctl lease6-get "{\"identifier-type\": \"duid\", \"identifier\": \"$D1\", \"iaid\": 10, \"subnet-id\": 1}"); expect 0 "$A" ".arguments[\"ip-address\"] == \"$NA\""
A=$(ctl lease6-get "{\"identifier-type\": \"duid\", \"identifier\": \"$D1\", \"iaid\": 99, \"subnet-id\": 1}"); expect 3 "$A"
A=$(ctl lease6-get '{"identifier-type": "hw-address", "identifier": "0a:0b:0c:0d:0e:0f", "subnet-id": 1}'); expect 1 "$A" '.text == "Query by hw-address is not allowed in v6."'
A=$(ctl lease6-get '{"ip-address": "2001:db8:1::1ff"}'); expect 3 "$A"
# by address every worker is asked, by DUID its owner only
M0=$(msgs)
A=$(ctl lease6-get "{\"ip-address\": \"$NA\"}"); expect 0 "$A"
M1=$(msgs)
A=$(ctl lease6-get-by-duid "{\"duid\": \"$D1\"}"); expect 0 "$A" ".arguments.leases | length == 1 and .[0][\"ip-address\"] == \"$NA\""
M2=$(msgs)
[ $((M2 - M1)) = 1 ] || nt_fail "lease6-get-by-duid took $((M2 - M1)) worker messages, want 1"
[ $((M1 - M0)) -ge 1 ] && [ $((M1 - M0)) -le "$WORKERS" ] ||
	nt_fail "lease6-get by address took $((M1 - M0)) worker messages ($WORKERS workers)"
A=$(ctl lease6-get-by-duid '{"duid": "99:99:99"}'); expect 3 "$A" '.text == "0 IPv6 lease(s) found."'

# --- lease6-get-all and paging ---------------------------------------------------------
A=$(ctl lease6-get-all); expect 0 "$A" ".text == \"3 IPv6 lease(s) found.\" and ([.arguments.leases[][\"ip-address\"]] == [\"$OUT\", \"$NA\", \"$PD\"])"
A=$(ctl lease6-get-all '{"subnets": [1]}'); expect 0 "$A" '.arguments.leases | length == 3'
A=$(ctl lease6-get-all '{"subnets": [5]}'); expect 1 "$A"
A=$(ctl lease6-get-page '{"from": "start", "limit": 2}'); expect 0 "$A" ".arguments.count == 2 and .arguments.leases[0][\"ip-address\"] == \"$OUT\" and .arguments.leases[1][\"ip-address\"] == \"$NA\""
A=$(ctl lease6-get-page "{\"from\": \"$NA\", \"limit\": 2}"); expect 0 "$A" ".arguments.count == 1 and .arguments.leases[0][\"ip-address\"] == \"$PD\""
A=$(ctl lease6-get-page "{\"from\": \"$PD\", \"limit\": 2}"); expect 3 "$A" '.arguments.count == 0'
A=$(ctl lease6-get-page '{"from": "::", "limit": 10}'); expect 0 "$A" '.arguments.count == 3'
A=$(ctl lease6-get-page '{"from": "198.18.0.1", "limit": 10}'); expect 1 "$A"
A=$(ctl lease6-get-page '{"from": "start", "limit": 0}'); expect 1 "$A"

# --- lease6-update ---------------------------------------------------------------------------
A=$(ctl lease6-update "{\"ip-address\": \"$NA\", \"duid\": \"$D1\", \"iaid\": 10, \"valid-lft\": 900}"); expect 0 "$A" '.text == "IPv6 lease updated."'
A=$(ctl lease6-get "{\"ip-address\": \"$NA\"}"); expect 0 "$A" '.arguments["valid-lft"] == 900'
# to other clients: with two workers some of these DUIDs belong to the
# other one, and the lease must follow
for n in 1 2 3 4 5 6; do
	A=$(ctl lease6-update "{\"ip-address\": \"$NA\", \"duid\": \"0a:0b:0c:0d:0e:1$n\", \"iaid\": 3$n, \"valid-lft\": 901}"); expect 0 "$A"
	A=$(ctl lease6-get "{\"ip-address\": \"$NA\"}"); expect 0 "$A" ".arguments.duid == \"0a:0b:0c:0d:0e:1$n\" and .arguments.iaid == 3$n"
	A=$(ctl lease6-get-by-duid "{\"duid\": \"0a:0b:0c:0d:0e:1$n\"}"); expect 0 "$A" '.arguments.leases | length == 1'
done
A=$(ctl lease6-update "{\"ip-address\": \"$NA\", \"duid\": \"$D1\", \"iaid\": 10}"); expect 0 "$A"
A=$(ctl lease6-get-all); expect 0 "$A" '.arguments.leases | length == 3'
[ "$(sval 'subnet[1].assigned-nas')" = 2 ] || nt_fail "subnet[1].assigned-nas $(sval 'subnet[1].assigned-nas') after the moves, want 2"
A=$(ctl lease6-update '{"ip-address": "2001:db8:1::160", "duid": "0a:0b:0c:0d:0e:20", "iaid": 1}'); expect 1 "$A" '.text | test("failed to update the lease")'
A=$(ctl lease6-update '{"ip-address": "2001:db8:1::160", "duid": "0a:0b:0c:0d:0e:20", "iaid": 1, "force-create": true}'); expect 0 "$A" '.text == "IPv6 lease added."'
[ "$(sval 'subnet[1].assigned-nas')" = 3 ] || nt_fail "subnet[1].assigned-nas after force-create, want 3"
A=$(ctl stat-lease6-get '{"subnet-id": 1}'); expect 0 "$A" '.arguments["result-set"].rows[0][3] == 3 and .arguments["result-set"].rows[0][7] == 1'
A=$(ctl stat-lease6-get '{"subnet-id": 2}'); expect 3 "$A"

# --- peregrinectl, HTTP, /metrics, the dhcp6 service view ----------------------------
"$CTL" -s "$SOCK" leases6 --subnet 1 >"$NT_TMP/ctl.leases6" 2>&1 || nt_fail "peregrinectl leases6"
grep -q "$PD/56" "$NT_TMP/ctl.leases6" || nt_fail "peregrinectl leases6: $(cat "$NT_TMP/ctl.leases6")"
"$CTL" -s "$SOCK" -S dhcp6 stats >"$NT_TMP/ctl.stats6" 2>&1 || nt_fail "peregrinectl -S dhcp6 stats"
grep -q '^subnet\[1\].declined-addresses 0$' "$NT_TMP/ctl.stats6" || nt_fail "no DHCPv6 declined-addresses in the dhcp6 view"
grep -q '^pkt4-' "$NT_TMP/ctl.stats6" && nt_fail "DHCPv4 statistics in the dhcp6 view"
A=$(http '{"command": "lease6-get-all", "service": ["dhcp6"]}'); expect 0 "$A" '.arguments.leases | length == 4'
A=$(http '{"command": "statistic-get", "arguments": {"name": "subnet[1].assigned-nas"}}'); expect 0 "$A" '.arguments["subnet[1].assigned-nas"][0][0] == 3'
timeout 15 ip netns exec "$NT_SRV" curl -s -m 10 "http://127.0.0.1:$PORT/metrics" >"$NT_TMP/metrics" ||
	nt_fail "GET /metrics"
grep -q '^peregrine_dhcp6_subnet_assigned_nas{subnet="1"} 3$' "$NT_TMP/metrics" ||
	nt_fail "no dhcp6 assigned-nas gauge of 3: $(grep dhcp6 "$NT_TMP/metrics" | head)"
grep -q '^peregrine_dhcp6_pd_pool_total_pds{subnet="1",pool="0"} 256$' "$NT_TMP/metrics" || nt_fail "no pd-pool gauge"
grep -q '^# TYPE peregrine_dhcp6_pkt6_received_total counter' "$NT_TMP/metrics" || nt_fail "no pkt6-received counter"

# --- lease6-del ---------------------------------------------------------------------------------
A=$(ctl lease6-del "{\"ip-address\": \"$OUT\"}"); expect 0 "$A" '.text == "IPv6 lease deleted."'
A=$(ctl lease6-del "{\"ip-address\": \"$OUT\"}"); expect 3 "$A" '.text == "IPv6 lease not found."'
A=$(ctl lease6-get "{\"ip-address\": \"$OUT\"}"); expect 3 "$A"
[ "$(sval 'subnet[1].assigned-nas')" = 2 ] || nt_fail "subnet[1].assigned-nas $(sval 'subnet[1].assigned-nas') after lease6-del, want 2"
A=$(ctl lease6-del "{\"identifier-type\": \"duid\", \"identifier\": \"$D2\", \"iaid\": 11, \"subnet-id\": 1, \"type\": \"IA_PD\"}"); expect 0 "$A"
[ "$(sval 'subnet[1].assigned-pds')" = 0 ] || nt_fail "subnet[1].assigned-pds after deleting the prefix"
A=$(ctl lease6-del '{"identifier-type": "hw-address", "identifier": "0a:0b", "subnet-id": 1}'); expect 1 "$A" '.text == "Delete by hw-address is not allowed in v6."'
# the address is free again: another client can have it
A=$(ctl lease6-add "{\"ip-address\": \"$OUT\", \"duid\": \"0a:0b:0c:0d:0e:01\", \"iaid\": 1}"); expect 0 "$A"

# --- lease6-wipe -----------------------------------------------------------------------------
A=$(ctl lease6-wipe '{"subnet-id": 7}'); expect 1 "$A"
A=$(ctl lease6-wipe '{"subnet-id": 1}'); expect 0 "$A" '.text == "Deleted 3 IPv6 lease(s) from subnet(s) 1"'
A=$(ctl lease6-get-all); expect 3 "$A"
A=$(ctl lease6-wipe); expect 3 "$A" '.text == "Deleted 0 IPv6 lease(s) from subnet(s) 1"'
[ "$(sval 'subnet[1].assigned-nas')" = 0 ] || nt_fail "subnet[1].assigned-nas after lease6-wipe"
A=$(ctl stat-lease6-get); expect 0 "$A" '.arguments["result-set"].rows[0][3] == 0 and .arguments["result-set"].rows[0][7] == 0'
# the DHCPv4 side is untouched by all this
A=$(ctl lease4-get-all); expect 3 "$A"
[ "$(sval 'subnet[1].total-addresses')" = 100 ] || nt_fail "DHCPv4 subnet[1].total-addresses"

# --- shutdown ------------------------------------------------------------------------------------
A=$(ctl shutdown); expect 0 "$A"
nt_wait_exit "$NT_SRV_PID" 20
rc=$?
[ "$rc" = 0 ] || nt_fail "server exit status $rc after shutdown"
NT_RESULT=pass
exit 0
