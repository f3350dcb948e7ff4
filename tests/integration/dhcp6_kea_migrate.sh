#!/bin/bash
# Migration from kea-dhcp6 2.2, as an operator would do it:
#  1. kea-dhcp6 serves the link (kernel address 2001:db8:1::1/64 on the
#     server's veth, a memfile lease file); ISC dhclient -6 -N -P binds an
#     address and a delegated /56.  Its DUID is the lease file's
#     default-duid; Kea's lease file holds both leases under that DUID.
#  2. Kea stops; the server's veth loses its address and IPv6; peregrine
#     starts with the same subnet (id, pool, pd-pool) and Kea's lease file,
#     copied unchanged, as its dhcp6 lease-database.  Right after start its
#     statistics count both leases, and lease6-get answers them with Kea's
#     DUID and IAIDs (by address and by DUID+IAID).
#  3. A SOLICIT with Kea's DUID and IAIDs and no hints is advertised the
#     same address and prefix (the IA found by DUID+IAID).
#  4. Another DUID with the same IAIDs, asking for the migrated address
#     and prefix by hints (SOLICIT, then REQUEST), gets neither.
#  5. dhclient comes back on its own lease file (so its DUID): with a
#     prefix wanted it REBINDs, and peregrine gives it the same address and
#     prefix; the lease keeps Kea's DUID and IAID.
# Usage: dhcp6_kea_migrate.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only (the migration is from kea-dhcp6 to peregrine)"
KEA6=/usr/sbin/kea-dhcp6
nt_need /usr/sbin/dhclient "$KEA6" jq cmp
NT_IPV6=1
nt_topology

POOL="2001:db8:1::100 - 2001:db8:1::1ff"
PD_PREFIX=2001:db8:8::
KEA_LEASES="$NT_TMP/kea-leases6.csv"
LEASES6="$NT_TMP/dhcp6.leases"
SOCK="$NT_TMP/ctl.sock"

# --- helpers -------------------------------------------------------------------

# A DHCPv6 client on a plain UDP socket in the client namespace (no
# dhclient may run meanwhile: it owns port 546).  SOLICIT with IA_NA and
# IA_PD of the given IAIDs and optional hints, then with --request a
# REQUEST for the same IAs to the server that advertised.  Prints what
# each answer holds: "MSG na IAID ADDR PREF VALID", "MSG pd IAID
# PREFIX/LEN PREF VALID", "MSG status IAID|- CODE".
PROBE="$NT_TMP/probe6.py"
cat >"$PROBE" <<'PY'
import argparse, ipaddress, os, socket, struct, sys, time

p = argparse.ArgumentParser()
p.add_argument("--iface", required=True)
p.add_argument("--duid", required=True)
p.add_argument("--iaid-na", type=int, required=True)
p.add_argument("--iaid-pd", type=int, required=True)
p.add_argument("--na")
p.add_argument("--pd")
p.add_argument("--request", action="store_true")
a = p.parse_args()
ifx = socket.if_nametoindex(a.iface)
duid = bytes.fromhex(a.duid.replace(":", ""))
NAMES = {2: "advertise", 7: "reply"}

def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data

def ias():
    na = b""
    if a.na:
        na = opt(5, ipaddress.IPv6Address(a.na).packed + struct.pack("!II", 0, 0))
    pd = b""
    if a.pd:
        net = ipaddress.IPv6Network(a.pd)
        pd = opt(26, struct.pack("!IIB", 0, 0, net.prefixlen) + net.network_address.packed)
    return (opt(3, struct.pack("!III", a.iaid_na, 0, 0) + na) +
            opt(25, struct.pack("!III", a.iaid_pd, 0, 0) + pd))

def opts(b):
    while len(b) >= 4:
        code, n = struct.unpack("!HH", b[:4])
        yield code, b[4:4 + n]
        b = b[4 + n:]

def show(name, body):
    sid = None
    for code, v in opts(body):
        if code == 2:
            sid = v
        elif code == 13:
            print(name, "status", "-", struct.unpack("!H", v[:2])[0])
        elif code in (3, 25):
            iaid = struct.unpack("!I", v[:4])[0]
            for c2, v2 in opts(v[12:]):
                if c2 == 5:
                    pref, valid = struct.unpack("!II", v2[16:24])
                    print(name, "na", iaid, ipaddress.IPv6Address(v2[:16]), pref, valid)
                elif c2 == 26:
                    pref, valid, plen = struct.unpack("!IIB", v2[:9])
                    print(name, "pd", iaid, "%s/%d" % (ipaddress.IPv6Address(v2[9:25]), plen),
                          pref, valid)
                elif c2 == 13:
                    print(name, "status", iaid, struct.unpack("!H", v2[:2])[0])
    return sid

s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifx)
s.bind(("::", 546))

def exchange(mtype, extra, want):
    xid = os.urandom(3)
    msg = bytes([mtype]) + xid + opt(1, duid) + opt(8, b"\0\0") + extra + ias()
    for _ in range(3):
        s.sendto(msg, ("ff02::1:2", 547, 0, ifx))
        end = time.time() + 2
        while time.time() < end:
            s.settimeout(max(0.05, end - time.time()))
            try:
                b = s.recv(4096)
            except socket.timeout:
                break
            if len(b) >= 4 and b[0] == want and b[1:4] == xid:
                return show(NAMES[want], b[4:])
    sys.exit("no %s to message type %d" % (NAMES[want], mtype))

sid = exchange(1, b"", 2)
if a.request:
    exchange(3, opt(2, sid), 7)
PY

# dhclient_duid FILE: dhclient's default-duid as colon hex (its lease file
# spells it as a string with octal escapes).
dhclient_duid() {
	"$NT_PY" - "$1" <<'PY'
import codecs, re, sys
m = re.search(rb'^default-duid "((?:[^"\\]|\\.)*)";', open(sys.argv[1], "rb").read(), re.M)
if m:
    print(":".join("%02x" % c for c in codecs.escape_decode(m.group(1))[0]))
PY
}

# kea_lease ADDR TYPE FILE: "duid iaid prefix_len" of the valid lease of
# ADDR (the last record of an address wins, as on load).
kea_lease() {
	awk -F, -v a="$1" -v t="$2" -v now="$(date +%s)" '
		NR > 1 && $1 == a && $7 == t { r = ($3 > 0 && $4 > now && $14 == 0) ? $2 " " $8 " " $9 : "" }
		END { if (r != "") print r }' "$3"
}

# ctl COMMAND [ARGUMENTS-JSON]: one request over peregrine's control socket.
ctl() {
	if [ -n "${2:-}" ]; then nt_ctl_raw "$SOCK" "{\"command\": \"$1\", \"arguments\": $2}" 15
	else nt_ctl_raw "$SOCK" "{\"command\": \"$1\"}" 15; fi
}
# expect RESULT ANSWER [jq-test]
expect() {
	local got
	got=$(jq -r .result <<<"$2" 2>/dev/null)
	[ "$got" = "$1" ] || nt_fail "want result $1, got: $2"
	jq -e "${3:-true}" <<<"$2" >/dev/null || nt_fail "answer fails '${3:-true}': $2"
}

# held N STATS WHEN: peregrine's statistics (saved in STATS) count N
# addresses and N prefixes, and lease6-get answers the migrated address
# and prefix with Kea's DUID and IAIDs.  (No hw-address: the v6 lease
# table keeps none, so unlike Kea's answer this one leaves out the
# hardware address of Kea's record.)
held() {
	local s v A
	nt_server_stats "$2"
	for s in assigned-nas assigned-pds; do
		v=$(nt_stat "subnet[1].$s" "$2")
		[ "$v" = "$1" ] || nt_fail "subnet[1].$s is $v $3, want $1"
	done
	A=$(ctl lease6-get "{\"ip-address\": \"$IP\"}")
	expect 0 "$A" ".arguments.duid == \"$DUID\" and .arguments.iaid == $IAID_NA and .arguments.type == \"IA_NA\" and .arguments[\"subnet-id\"] == 1 and .arguments[\"valid-lft\"] == 4000"
	A=$(ctl lease6-get "{\"ip-address\": \"${PFX%/*}\", \"type\": \"IA_PD\"}")
	expect 0 "$A" ".arguments.duid == \"$DUID\" and .arguments.iaid == $IAID_PD and .arguments[\"prefix-len\"] == 56"
}

probe() {
	nt_cli "$NT_PY" "$PROBE" --iface "$NT_VC" "$@"
}

EV="$NT_TMP/dhclient6.events"
SCRIPT="$NT_TMP/dhclient-script"
cat >"$SCRIPT" <<EOS
#!/bin/sh
# Records what dhclient hands over; configures nothing.
echo "reason=\$reason ip6=\$new_ip6_address prefix=\$new_ip6_prefix life=\$new_max_life" >>"$EV"
exit 0
EOS
chmod +x "$SCRIPT"
cat >"$NT_TMP/dhclient6.conf" <<EOS
timeout 20;
retry 2;
EOS
DHC=(/usr/sbin/dhclient -6 -N -P -cf "$NT_TMP/dhclient6.conf" -lf "$NT_TMP/dhclient6.leases"
	-pf "$NT_TMP/dhclient6.pid" -sf "$SCRIPT" -d -1 "$NT_VC")
# ev_addr REASONS: the address or prefix of each event of REASONS (a
# grep -E alternative) that gave a lifetime, one a line, oldest first.
ev_addr() {
	sed -n -E "s/^reason=($1) ip6=([^ ]*) prefix=([^ ]*) life=[1-9].*/\\2\\3/p" "$EV" 2>/dev/null
}
# ev_both REASONS: such events gave both an address and a prefix.
ev_both() {
	ev_addr "$1" | grep -qv / && ev_addr "$1" | grep -q /
}

# --- 1. kea-dhcp6 serves the link ------------------------------------------------
ip netns exec "$NT_SRV" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
	net.ipv6.conf."$NT_VS".accept_dad=0 net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf."$NT_VS".disable_ipv6=0 || nt_fail "IPv6 on the server veth"
ip -n "$NT_SRV" -6 addr add 2001:db8:1::1/64 dev "$NT_VS" nodad || nt_fail "server address"
srv_ll() { ip -n "$NT_SRV" -6 addr show dev "$NT_VS" scope link | grep -q inet6; }
nt_wait_for 10 "the server's link-local address" srv_ll
cat >"$NT_TMP/kea-dhcp6.json" <<EOF
{ "Dhcp6": {
	"interfaces-config": { "interfaces": [ "$NT_VS" ] },
	"data-directory": "$NT_TMP/kea",
	"lease-database": { "type": "memfile", "persist": true, "name": "$KEA_LEASES",
		"lfc-interval": 0 },
	"preferred-lifetime": 3000, "valid-lifetime": 4000,
	"renew-timer": 1000, "rebind-timer": 2000,
	"subnet6": [ {
		"id": 1, "subnet": "2001:db8:1::/64", "interface": "$NT_VS",
		"pools": [ { "pool": "$POOL" } ],
		"pd-pools": [ { "prefix": "$PD_PREFIX", "prefix-len": 48, "delegated-len": 56 } ]
	} ],
	"loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
		"output_options": [ { "output": "$NT_TMP/kea-dhcp6.out" } ] } ]
} }
EOF
: >"$NT_TMP/kea-dhcp6.out"
mkdir -p "$NT_TMP/kea"
nt_bg kea6 "$NT_SRV" env KEA_PIDFILE_DIR="$NT_TMP" KEA_LOCKFILE_DIR="$NT_TMP" \
	"$KEA6" -c "$NT_TMP/kea-dhcp6.json"
KEA_PID=$NT_LAST_PID
kea_ready() {
	nt_alive "$KEA_PID" || nt_fail "kea-dhcp6 exited during start-up"
	grep -q DHCP6_STARTED "$NT_TMP/kea-dhcp6.out"
}
nt_wait_for 30 "kea-dhcp6 to start" kea_ready

nt_bg dhclient6kea "$NT_CLI" "${DHC[@]}"
DPID=$NT_LAST_PID
nt_wait_for 40 "dhclient -6 -N -P to bind an address and a prefix from Kea" ev_both BOUND6
IP=$(ev_addr BOUND6 | grep -v / | tail -1)
PFX=$(ev_addr BOUND6 | grep / | tail -1)
nt_stop "$DPID" 5                       # SIGTERM: dhclient exits without a RELEASE
DUID=$(dhclient_duid "$NT_TMP/dhclient6.leases")
[ -n "$DUID" ] || nt_fail "no default-duid in dhclient's lease file"
nt_log "Kea gave $IP and $PFX to DUID $DUID"
nt_stop "$KEA_PID" 15 || nt_fail "kea-dhcp6 exit status $?"
read -r KDUID IAID_NA _ < <(kea_lease "$IP" 0 "$KEA_LEASES")
read -r PDUID IAID_PD PLEN < <(kea_lease "${PFX%/*}" 2 "$KEA_LEASES")
[ "$KDUID" = "$DUID" ] || nt_fail "Kea's lease of $IP has DUID '$KDUID', dhclient's is $DUID"
[ "$PDUID" = "$DUID" ] && [ "$PLEN" = 56 ] ||
	nt_fail "Kea's lease of $PFX is '$PDUID /$PLEN', want $DUID /56"
nt_log "Kea's lease file: IA_NA iaid $IAID_NA, IA_PD iaid $IAID_PD"

# --- 2. peregrine takes over with Kea's lease file ---------------------------------
ip -n "$NT_SRV" -6 addr del 2001:db8:1::1/64 dev "$NT_VS" || nt_fail "removing the server address"
ip netns exec "$NT_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf."$NT_VS".disable_ipv6=1 || nt_fail "disabling IPv6 on the server veth"
ip -n "$NT_SRV" -6 addr show dev "$NT_VS" | grep -q inet6 && nt_fail "the server veth kept an IPv6 address"
cp "$KEA_LEASES" "$LEASES6" || nt_fail "copying Kea's lease file"
cmp -s "$KEA_LEASES" "$LEASES6" || nt_fail "the copy differs"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
dhcp6 = {
	preferred-lifetime = 3000; valid-lifetime = 4000;
	renew-timer = 1000; rebind-timer = 2000;
	data-directory = \"$NT_TMP/data\";
	lease-database = { type = \"memfile\"; name = \"$LEASES6\"; };
	subnet6 = ( {
		id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\";
		pools = ( { pool = \"$POOL\"; } );
		pd-pools = ( { prefix = \"$PD_PREFIX\"; prefix-len = 48; delegated-len = 56; } );
	} );
};"
nt_server_conf
nt_server_check
nt_server_start
held 1 "$NT_TMP/stats1" "right after start on Kea's lease file"
A=$(ctl lease6-get "{\"identifier-type\": \"duid\", \"identifier\": \"$DUID\", \"iaid\": $IAID_NA, \"subnet-id\": 1}")
expect 0 "$A" ".arguments[\"ip-address\"] == \"$IP\""
A=$(ctl lease6-get "{\"identifier-type\": \"duid\", \"identifier\": \"$DUID\", \"iaid\": $IAID_PD, \"subnet-id\": 1, \"type\": \"IA_PD\"}")
expect 0 "$A" ".arguments[\"ip-address\"] == \"${PFX%/*}\""

# --- 3. Kea's client, no hints: its IAs are found by DUID and IAID --------------------
probe --duid "$DUID" --iaid-na "$IAID_NA" --iaid-pd "$IAID_PD" >"$NT_TMP/probe1.out" 2>&1 ||
	nt_fail "SOLICIT with Kea's DUID: $(cat "$NT_TMP/probe1.out")"
grep -Eq "^advertise na $IAID_NA $IP [0-9]+ [1-9]" "$NT_TMP/probe1.out" &&
	grep -Eq "^advertise pd $IAID_PD $PFX [0-9]+ [1-9]" "$NT_TMP/probe1.out" ||
	nt_fail "SOLICIT with Kea's DUID and IAIDs not advertised $IP and $PFX: $(cat "$NT_TMP/probe1.out")"

# --- 4. another DUID asking for them by hints gets neither ------------------------------
OTHER=00:03:00:01:02:00:00:00:71:01
probe --duid "$OTHER" --iaid-na "$IAID_NA" --iaid-pd "$IAID_PD" --na "$IP" --pd "$PFX" \
	--request >"$NT_TMP/probe2.out" 2>&1 ||
	nt_fail "another client's SOLICIT/REQUEST: $(cat "$NT_TMP/probe2.out")"
grep -Eq " ($IP|$PFX) [0-9]+ [1-9]" "$NT_TMP/probe2.out" &&
	nt_fail "another DUID was given the migrated lease: $(cat "$NT_TMP/probe2.out")"
O_IP=$(awk '$1 == "reply" && $2 == "na" && $6 > 0 { print $4 }' "$NT_TMP/probe2.out")
O_PFX=$(awk '$1 == "reply" && $2 == "pd" && $6 > 0 { print $4 }' "$NT_TMP/probe2.out")
[ -n "$O_IP" ] && [ -n "$O_PFX" ] ||
	nt_fail "the other client got no address or prefix: $(cat "$NT_TMP/probe2.out")"
nt_log "another DUID asking for $IP and $PFX got $O_IP and $O_PFX"
A=$(ctl lease6-get "{\"ip-address\": \"$IP\"}")
expect 0 "$A" ".arguments.duid == \"$DUID\""

# --- 5. dhclient comes back with its lease file -------------------------------------------
: >"$EV"
nt_bg dhclient6pg "$NT_CLI" "${DHC[@]}"
DPID=$NT_LAST_PID
nt_wait_for 40 "dhclient -6 -N -P to get its address and prefix from peregrine" \
	ev_both 'BOUND6|REBIND6|RENEW6|REBOOT6'
IP2=$(ev_addr 'BOUND6|REBIND6|RENEW6|REBOOT6' | grep -v / | tail -1)
PFX2=$(ev_addr 'BOUND6|REBIND6|RENEW6|REBOOT6' | grep / | tail -1)
nt_log "dhclient back: $IP2 and $PFX2 ($(cut -d' ' -f1 "$EV" | tr '\n' ' '))"
[ "$IP2" = "$IP" ] || nt_fail "dhclient came back to $IP2, Kea had given $IP"
[ "$PFX2" = "$PFX" ] || nt_fail "dhclient came back with $PFX2, Kea had delegated $PFX"
nt_stop "$DPID" 5
[ "$(dhclient_duid "$NT_TMP/dhclient6.leases")" = "$DUID" ] || nt_fail "dhclient's DUID changed"
held 2 "$NT_TMP/stats2" "after both clients"
# dhclient 4.4 wanting a prefix skips CONFIRM and REBINDs its lease
[ "$(nt_stat pkt6-rebind-received "$NT_TMP/stats2")" -ge 1 ] || nt_fail "peregrine saw no REBIND"
nt_server_stop || nt_fail "server exit status $?"
NT_RESULT=pass
exit 0
