# Sourced by the Kea fixture generators (gen_kea_fixture.sh,
# gen_kea6_fixture.sh): a scratch directory $T, a throwaway pair of
# network namespaces $SRV (the server's) and $CLI (the clients'), and a
# cleanup on exit that stops Kea by its PID and removes both namespaces
# and $T.  Nothing touches the host's interfaces.  Set KEA_NS_TAG (a
# short name) before sourcing.
T=$(mktemp -d "/tmp/pgbk-$KEA_NS_TAG.XXXXXX")
SRV=pgbk-$KEA_NS_TAG-srv.$$
CLI=pgbk-$KEA_NS_TAG-cli.$$
KEA_PID=

cleanup() {
	[ -n "$KEA_PID" ] && kill "$KEA_PID" 2>/dev/null && sleep 1
	ip netns del "$SRV" 2>/dev/null || true
	ip netns del "$CLI" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ip netns add "$SRV"
ip netns add "$CLI"
for ns in "$SRV" "$CLI"; do ip -n "$ns" link set lo up; done

# kea_start DAEMON: runs kea-dhcp4 or kea-dhcp6 on $T/kea.json in $SRV
# and waits for its control socket $T/kea.sock.
kea_start() {
	export KEA_PIDFILE_DIR="$T" KEA_LOCKFILE_DIR="$T"
	ip netns exec "$SRV" "$1" -c "$T/kea.json" >"$T/kea.out" 2>&1 &
	KEA_PID=$!
	i=0
	while [ ! -S "$T/kea.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$T/kea.sock" ] || { cat "$T/kea.out"; exit 1; }
}

kea_stop() {
	kill "$KEA_PID"
	wait "$KEA_PID" 2>/dev/null || true
	KEA_PID=
}

# ctl JSON: one command on Kea's control socket; prints the answer.
ctl() {
	/usr/bin/python3 - "$T/kea.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.decode())
PY
}
