#!/bin/bash
# Live reconfiguration under load.  perfdhcp runs a bounded DORA load
# (200/s, 3000 exchanges); in the middle, config-reload (over the control
# socket) publishes a config that adds a subnet and changes the routers
# option and valid-lifetime, and a SIGHUP reload follows.  Then:
#   - both reloads answered success, the pool was carried over, no lease
#     was orphaned;
#   - perfdhcp lost nothing: every DISCOVER got an OFFER and every REQUEST
#     an ACK (drops 0), addresses unique;
#   - the lease file holds a lease for every ACK, the stats agree with it;
#   - a new client after the reload sees the new routers and lifetime;
#   - a broken config and one that changes the interface are refused with
#     file:line, and the server keeps serving the running one.
# Usage: reload_load.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine's live reconfiguration"
nt_need /usr/sbin/perfdhcp jq
NT_PLEN=20
RATE=${RATE:-200} NUM=${NUM:-3000}
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_CONF="$NT_TMP/peregrine.conf"

# write_conf ROUTER VALID EXTRA_SUBNET [DEVICE]
write_conf() {
	cat >"$NT_CONF.new" <<EOS
dpdk = { lcores = "${NT_LCORES:-0,1}"; file-prefix = "$NT_DPDK_PREFIX"; no-huge = true; memory-mb = 256; };
interfaces = (
	{ name = "eth0"; device = "${4:-net_af_packet0,iface=$NT_VS}"; address = "$NT_SERVER_IP/$NT_PLEN"; }
);
valid-lifetime = $2;
lease-database = { type = "memfile"; name = "$NT_LEASES"; durability = "commit"; lfc-interval = 0; };
control-socket = { socket-name = "$SOCK"; };
subnet4 = (
	{
		id = 1;
		subnet = "198.18.0.0/$NT_PLEN";
		interface = "eth0";
		pools = ( { pool = "198.18.1.0 - 198.18.15.254"; } );
		option-data = ( { name = "routers"; data = "$1"; } );
	}
$3
);
EOS
	mv "$NT_CONF.new" "$NT_CONF"
}
ctl() {
	nt_ctl_raw "$SOCK" "$1" 30
}

write_conf 198.18.0.1 600 ""
nt_server_check
nt_server_start

nt_bg perfdhcp "$NT_CLI" /usr/sbin/perfdhcp -4 -l "$NT_VC" -r "$RATE" -n "$NUM" -p 30 \
	-R 16000000 -s 11 -u -W 2000000 -x e
PERF=$NT_LAST_PID
sleep 5

SUBNET2=',
	{ id = 2; subnet = "198.18.64.0/24"; pools = ( { pool = "198.18.64.10 - 198.18.64.200"; } );
	  option-data = ( { name = "routers"; data = "198.18.64.1"; } ); }'
write_conf 198.18.0.254 900 "$SUBNET2"
A=$(ctl '{"command": "config-reload"}')
nt_log "config-reload: $A"
jq -e '.result == 0 and .arguments.subnets == 2 and .arguments["pools-carried-over"] == 1
	and .arguments["orphaned-leases"] == 0 and .arguments["address-conflicts"] == 0' <<<"$A" >/dev/null ||
	nt_fail "config-reload under load"
sleep 2
# the same file again, by signal
kill -HUP "$NT_SRV_PID"
sleep 1
A=$(ctl '{"command": "status-get"}')
jq -e '.arguments["reload-count"] == 2' <<<"$A" >/dev/null || nt_fail "SIGHUP reload not counted: $A"

nt_wait_exit "$PERF" 60
rc=$?
cp "$NT_TMP/perfdhcp.log" "$NT_TMP/perfdhcp.out"
grep -v 'Reached max requests limit' "$NT_TMP/perfdhcp.out" >&2
case $rc in
0) ;;
*) nt_fail "perfdhcp exit status $rc (3: packets dropped)" ;;
esac
read -r SENT_D RECV_D SENT_R RECV_R < <(awk '
	/^sent packets:/ { s[++ns] = $3 }
	/^received packets:/ { r[++nr] = $3 }
	END { print s[1] + 0, r[1] + 0, s[2] + 0, r[2] + 0 }' "$NT_TMP/perfdhcp.out")
DROPS=$(awk '/^drops:/ { n += $2 } END { print n + 0 }' "$NT_TMP/perfdhcp.out")
nt_log "DO sent $SENT_D recv $RECV_D; RA sent $SENT_R recv $RECV_R; drops $DROPS"
[ "$SENT_D" = "$NUM" ] && [ "$RECV_D" = "$NUM" ] && [ "$RECV_R" = "$NUM" ] && [ "$DROPS" = 0 ] ||
	nt_fail "packets lost across the reloads"
NONUNIQ=$(awk '/^non unique addresses:/ { n += $4 } END { print n + 0 }' "$NT_TMP/perfdhcp.out")
[ "$NONUNIQ" = 0 ] || nt_fail "perfdhcp saw $NONUNIQ non-unique addresses"
timeout 60 "$NT_PY" "$NT_HELPER" uniq "$NT_LEASES" >"$NT_TMP/uniq.out" 2>&1 ||
	nt_fail "lease file: an address held by two clients"
NLEASES=$(nt_leases | wc -l)
nt_log "valid leases in the file: $NLEASES"
[ "$NLEASES" -ge "$RECV_R" ] || nt_fail "lease file holds $NLEASES leases, fewer than $RECV_R ACKs"
A=$(ctl '{"command": "statistic-get", "arguments": {"name": "subnet[1].assigned-addresses"}}')
[ "$(jq '.arguments["subnet[1].assigned-addresses"][0][0]' <<<"$A")" = "$NLEASES" ] ||
	nt_fail "assigned-addresses differs from the lease file: $A"
A=$(ctl '{"command": "stat-lease4-get"}')
jq -e '.arguments["result-set"].rows | length == 2' <<<"$A" >/dev/null || nt_fail "subnet 2 not in stat-lease4-get: $A"

# the changed option and lifetime reach a new client
nt_dora --count 1 --mac-base 02:00:00:00:50:00 >"$NT_TMP/dora.out" 2>&1 || {
	cat "$NT_TMP/dora.out" >&2; nt_fail "DORA after reload"; }
read -r _ IP ROUTERS LT <"$NT_TMP/dora.out"
nt_log "after reload: $IP routers $ROUTERS lease-time $LT"
[ "$ROUTERS" = 198.18.0.254 ] && [ "$LT" = 900 ] || nt_fail "new options not served"

# refused configs: file:line, old one keeps serving
cp "$NT_CONF" "$NT_TMP/good.conf"
printf 'valid-lifetime = "x";\n' >>"$NT_CONF"
A=$(ctl '{"command": "config-reload"}')
jq -e --arg f "$NT_CONF" '.result == 1 and (.text | startswith($f + ":"))' <<<"$A" >/dev/null ||
	nt_fail "broken config not refused with file:line: $A"
write_conf 198.18.0.254 900 "$SUBNET2" "net_af_packet1,iface=$NT_VS"
A=$(ctl '{"command": "config-reload"}')
jq -e '.result == 1 and (.text | test("restart"))' <<<"$A" >/dev/null ||
	nt_fail "interface change not refused: $A"
nt_log "refused: $(jq -r .text <<<"$A")"
cp "$NT_TMP/good.conf" "$NT_CONF"
nt_dora --count 1 --mac-base 02:00:00:00:60:00 >"$NT_TMP/dora3.out" 2>&1 ||
	nt_fail "DORA after a refused reload"
A=$(ctl '{"command": "status-get"}')
jq -e '.arguments["reload-count"] == 2' <<<"$A" >/dev/null || nt_fail "a refused reload was counted"
nt_server_stop || nt_fail "server exit status $?"
NT_RESULT=pass
exit 0
