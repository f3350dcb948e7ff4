#!/bin/bash
# Bounded perfdhcp load (DORA, 200/s, 2000 exchanges, 20 s at most) from the
# client namespace.  Then: perfdhcp's own uniqueness check (-u) found no
# address given twice, no address in the lease file was held by two clients
# at once and no client holds two, and most exchanges completed.
# Usage: dhcp_perfdhcp.sh BUILDDIR [peregrine|kea]   (or SERVER=kea in the environment)
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_need /usr/sbin/perfdhcp
NT_PLEN=20
NT_POOL="198.18.1.0 - 198.18.15.254"
RATE=${RATE:-200} NUM=${NUM:-2000}
nt_topology
nt_server_conf
nt_server_check
nt_server_start

# -R: 16M possible MACs, so 2000 clients barely ever repeat (perfdhcp -u
# wants each client to ask once); -s makes the MAC sequence repeatable.
NT_STEP=60 nt_cli /usr/sbin/perfdhcp -4 -l "$NT_VC" -r "$RATE" -n "$NUM" -p 20 \
	-R 16000000 -s 7 -u -W 2000000 -x e >"$NT_TMP/perfdhcp.out" 2>&1
rc=$?
grep -v 'Reached max requests limit' "$NT_TMP/perfdhcp.out" >&2
case $rc in
0 | 3) ;;   # 3: packets were dropped; judged below
*) nt_fail "perfdhcp exit status $rc" ;;
esac

# "sent packets: N / received packets: N" for DISCOVER-OFFER then REQUEST-ACK
read -r SENT_D RECV_D SENT_R RECV_R < <(awk '
	/^sent packets:/ { s[++ns] = $3 }
	/^received packets:/ { r[++nr] = $3 }
	END { print s[1] + 0, r[1] + 0, s[2] + 0, r[2] + 0 }' "$NT_TMP/perfdhcp.out")
nt_log "DO sent $SENT_D recv $RECV_D; RA sent $SENT_R recv $RECV_R"
[ "$RECV_R" -ge $((NUM * 9 / 10)) ] || nt_fail "only $RECV_R of $NUM exchanges got an ACK"
NONUNIQ=$(awk '/^non unique addresses:/ { n += $4 } END { print n + 0 }' \
	"$NT_TMP/perfdhcp.out")
grep -q '^non unique addresses:' "$NT_TMP/perfdhcp.out" ||
	nt_fail "perfdhcp printed no uniqueness count"
[ "$NONUNIQ" = 0 ] || nt_fail "perfdhcp saw $NONUNIQ non-unique addresses"

timeout 60 "$NT_PY" "$NT_HELPER" uniq "$NT_LEASES" >"$NT_TMP/uniq.out" 2>&1
rc=$?
tail -5 "$NT_TMP/uniq.out" >&2
[ "$rc" = 0 ] || nt_fail "lease file: an address held by two clients"
NLEASES=$(nt_leases | wc -l)
nt_log "valid leases in the file: $NLEASES"
[ "$NLEASES" -ge "$RECV_R" ] ||
	nt_fail "lease file holds $NLEASES valid leases, fewer than the $RECV_R ACKs"
nt_server_stats
nt_log "pkt4-ack-sent $(nt_stat pkt4-ack-sent) assigned $(nt_stat 'subnet[1].assigned-addresses')"
[ "$(nt_stat 'subnet[1].assigned-addresses')" = "$NLEASES" ] ||
	nt_fail "assigned-addresses differs from the lease file"
exit 0
