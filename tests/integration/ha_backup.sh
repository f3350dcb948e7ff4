#!/bin/bash
# passive-backup: a Peregrine primary serves alone and sends every lease
# update to a Peregrine backup server (scripts/hatest.sh's topology; the
# second server's peer entry has role "backup").
#  - the primary reaches passive-backup and serves; the backup server
#    (state "backup") answers no client;
#  - wait-backup-ack = true: the backup holds each lease the moment the
#    client has its ACK, and with the backup stopped (SIGSTOP) no ACK
#    leaves: the update fails and the reply is dropped, as Kea drops it;
#  - status-get's "peregrine-backups" (Peregrine's, beside Kea's section)
#    counts what the primary sent the backup: 3 updates acknowledged for
#    the 3 leases, none failed or queued; after the stop the connection
#    shows failed and the failed update is counted;
#  - the backup back: clients are served again, and it holds every lease
#    the primary gave after its return (and status-get: the connection ok).
# Usage: ha_backup.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology
for n in 1 2; do
	ha_peregrine_conf "$n" "$([ "$n" = 1 ] && echo primary || echo secondary)" load-balancing
	sed -i -e 's/mode = "load-balancing";/mode = "passive-backup"; wait-backup-ack = true;/' \
		-e 's/role = "secondary";/role = "backup";/' "${HA_CONF[$n]}"
	timeout 20 ip netns exec "${HA_S[$n]}" "$NT_PEREGRINE" -t "${HA_CONF[$n]}" >/dev/null 2>&1 ||
		nt_fail "passive-backup config $n refused"
done
ha_peregrine_start 1
ha_peregrine_start 2

leases() { ha_lease_list "$@"; }   # "addr mac" per lease, sorted
# the primary's status-get entry for the backup, as "connection
# wait-backup-ack sent acknowledged failed unsent queued"
backup_status() {
	nt_ctl_raw "${HA_SOCK[1]}" '{"command": "status-get"}' 10 |
		jq -r '.arguments["high-availability"][0]["peregrine-backups"][]? | select(.name == "server2") |
			"\(.connection) \(.["wait-backup-ack"]) \(.["updates-sent"]) \(.["updates-acknowledged"]) \(.["updates-failed"]) \(.["updates-unsent"]) \(.["updates-queued"])"'
}
up() { [ "$(ha_state 1)" = passive-backup ] && [ "$(ha_state 2)" = backup ]; }
nt_wait_for 20 "the primary in passive-backup, the backup in backup" up
nt_log "primary in passive-backup, server2 in backup"

ha_dora --count 3 --mac-base 02:00:00:00:b0:00 >/dev/null || nt_fail "no lease from the primary"
[ "$(ha_statistic 1 pkt4-ack-sent)" = 3 ] && [ "$(ha_statistic 2 pkt4-ack-sent)" = 0 ] ||
	nt_fail "ACKs: primary $(ha_statistic 1 pkt4-ack-sent), backup $(ha_statistic 2 pkt4-ack-sent); want 3 and 0"
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 3 ] && cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "the backup does not hold the primary's leases once the clients have them: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
nt_log "the backup holds the primary's 3 leases as the clients get their ACKs"
st=$(backup_status)
[ "$st" = "ok true 3 3 0 0 0" ] ||
	nt_fail "status-get's peregrine-backups for server2: '$st', want 'ok true 3 3 0 0 0' (connection, wait-backup-ack, sent, acknowledged, failed, unsent, queued)"
nt_log "status-get: the backup acknowledged the 3 updates ($st)"

ha_no_ack_stopped 1 2 02:00:00:00:b1:00 "the backup (wait-backup-ack)"
read -r conn _ _ _ failed _ <<<"$(backup_status)"
[ "$conn" = failed ] && [ "$failed" -ge 1 ] ||
	nt_fail "status-get after the backup's stop: '$(backup_status)', want the connection failed and a failed update"
nt_log "no ACK while the backup was stopped; status-get: connection failed, $failed failed"

served() { ha_dora --count 1 --mac-base 02:00:00:00:b2:00 --timeout 0.5 >/dev/null 2>&1; }
nt_wait_for 20 "the primary to serve again with the backup back" served
got=$(leases 1 | grep -c "02:00:00:00:b2:00")
[ "$got" = 1 ] && leases 2 | grep -q "02:00:00:00:b2:00" ||
	nt_fail "the backup does not hold the lease given after its return"
read -r conn _ _ acked _ <<<"$(backup_status)"
[ "$conn" = ok ] && [ "$acked" -ge 4 ] ||
	nt_fail "status-get after the backup's return: '$(backup_status)', want the connection ok and >= 4 acknowledged"
nt_log "served again; the backup holds the new lease; status-get: connection ok, $acked acknowledged"
nt_stop "${HA_PID[2]}" 15 || nt_fail "backup exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
