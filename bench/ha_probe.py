#!/usr/bin/python3
"""ha_probe.py: a failover probe for an HA pair that stays running (run it
with /usr/bin/python3 in the clients' namespace; bench/ha_failover.sh does).

It starts a DORA for a fresh client every --every ms on --iface (raw
AF_PACKET, broadcast flag set, no retries: a client that gets no answer
is simply left behind), timestamps each ACK and notes the server that
sent it (option 54), and asks the standby's control socket for status-get
every --poll ms.  Once --warm ACKs came from the primary it sends SIGKILL
to --kill itself (so the kill and the answers share one clock), then
records the first partner-down the standby reports and the first ACK from
the standby.  Resolution: the larger of --every and --poll, plus one
round trip.

Prints one JSON line:
  {"partner_down_ms": .., "first_served_ms": .., "last_primary_ack_ms": ..,
   "acks_primary": .., "acks_standby": .., "started": .., "unanswered": ..,
   "polls": .., "states": [[ms, state], ...], "warm_ms": ..,
   "states_before": [[ms, state], ...], "primary_before": [[ms, "state/dhcp"], ...]}
(times from the kill, null when it did not happen within --limit s;
warm_ms: from the probe's start to the kill; states_before: the
standby's states seen before the kill, a flapping pair shows here;
primary_before: with --psock, the primary's HA state and DHCPv4 service
until the kill).
Exit 0 when both happened, 1 when not, 2 on errors before the kill.
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(mac, xid, mtype, sid=None, req=None):
    """A broadcast DHCPv4 request from mac (UDP checksum 0: legal on v4)."""
    opts = bytes([53, 1, mtype])
    if sid is not None:
        opts += bytes([54, 4]) + sid + bytes([50, 4]) + req
    opts += bytes([55, 3, 1, 3, 51, 255])
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, xid, 0, 0x8000,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10,
                        b"", b"", 0x63825363) + opts
    bootp += b"\0" * max(0, 300 - len(bootp))
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def parse(pkt):
    """(xid, chaddr, type, sid, yiaddr) of a DHCPv4 reply, or None."""
    if len(pkt) < 14 + 20 + 8 + 240 or pkt[12:14] != b"\x08\x00" or pkt[23] != 17:
        return None
    ihl = (pkt[14] & 15) * 4
    u = 14 + ihl
    if pkt[u:u + 4] != b"\x00\x43\x00\x44":
        return None
    d = pkt[u + 8:]
    if len(d) < 240 or d[0] != 2 or d[236:240] != b"\x63\x82\x53\x63":
        return None
    mtype, sid, i = 0, None, 240
    while i + 1 < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        code, ln = d[i], d[i + 1]
        if code == 53 and ln == 1:
            mtype = d[i + 2]
        elif code == 54 and ln == 4:
            sid = bytes(d[i + 2:i + 6])
        i += 2 + ln
    return struct.unpack("!I", d[4:8])[0], bytes(d[28:34]), mtype, sid, bytes(d[16:20])


def ctl(path, cmd, timeout):
    """One command on a control socket (Kea's or Peregrine's); the answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(json.dumps({"command": cmd}).encode())
        buf = b""
        while True:
            try:
                return json.loads(buf)
            except ValueError:
                pass
            d = s.recv(65536)
            if not d:
                return json.loads(buf) if buf else None
            buf += d
    finally:
        s.close()


def ha_state(ans):
    try:
        a = ans[0] if isinstance(ans, list) else ans
        return a["arguments"]["high-availability"][0]["ha-servers"]["local"]["state"]
    except (KeyError, IndexError, TypeError):
        return None


def ha_state_dhcp(ans):
    """The HA state and, where status-get gives it (Peregrine), whether
    DHCPv4 service is on: "hot-standby/enabled"."""
    try:
        a = ans[0] if isinstance(ans, list) else ans
        return "%s/%s" % (ha_state(ans), a["arguments"].get("dhcp-state", "?"))
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


class Poller(threading.Thread):
    """status-get on the standby every poll seconds; the state changes."""

    def __init__(self, path, poll, what=ha_state):
        super().__init__(daemon=True)
        self.path, self.poll, self.what = path, poll, what
        self.states = []          # (monotonic time, state) on each change
        self.polls = 0
        self.stop = False

    def run(self):
        last = None
        nxt = time.monotonic()
        while not self.stop:
            try:
                st = self.what(ctl(self.path, "status-get", 1.0))
            except (OSError, ValueError):
                st = "unreachable"
            t = time.monotonic()
            self.polls += 1
            if st != last:
                self.states.append((t, st))
                last = st
            nxt += self.poll
            time.sleep(max(0.0, nxt - time.monotonic()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--sock", required=True, help="the standby's control socket")
    ap.add_argument("--kill", type=int, required=True, help="the primary's pid")
    ap.add_argument("--psock", help="the primary's control socket, polled until the kill")
    ap.add_argument("--primary", required=True, help="the primary's server identifier")
    ap.add_argument("--standby", required=True, help="the standby's server identifier")
    ap.add_argument("--every", type=float, default=5, help="ms between new clients")
    ap.add_argument("--poll", type=float, default=10, help="ms between status-gets")
    ap.add_argument("--warm", type=int, default=20, help="ACKs from the primary before the kill")
    ap.add_argument("--limit", type=float, default=30, help="s after the kill at most")
    ap.add_argument("--tag", type=int, default=0xFE, help="second MAC byte")
    ap.add_argument("--wait", type=float, default=1.0, help="s a client waits for its answer")
    a = ap.parse_args()

    prim, stby = socket.inet_aton(a.primary), socket.inet_aton(a.standby)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    poller = Poller(a.sock, a.poll / 1000.0)
    poller.start()
    ppoll = Poller(a.psock, a.poll / 1000.0, ha_state_dhcp) if a.psock else None
    if ppoll:
        ppoll.start()

    pend = {}                  # xid -> (mac, start time)
    n = started = acks_p = acks_s = 0
    t_kill = None
    first_s = last_p = None
    every = a.every / 1000.0
    nxt = time.monotonic()
    t_start = nxt
    xid0 = int.from_bytes(os.urandom(4), "big") & 0xFFFF0000
    while True:
        now = time.monotonic()
        if t_kill is None and now - t_start > 60:
            print(json.dumps({"error": "fewer than %d ACKs from the primary in 60 s" % a.warm,
                              "acks_primary": acks_p, "acks_standby": acks_s}))
            return 2
        if t_kill is not None:
            down = [t for t, st in poller.states if st == "partner-down" and t >= t_kill]
            if (down and first_s is not None) or now - t_kill > a.limit:
                break
        if now >= nxt:
            mac = bytes([2, a.tag]) + struct.pack("!I", n)
            xid = (xid0 + n) & 0xFFFFFFFF
            s.send(frame(mac, xid, 1))
            pend[xid] = (mac, now)
            n += 1
            started += 1
            nxt += every
            if nxt < now:
                nxt = now + every
            for x in [x for x, (_, t0) in pend.items() if now - t0 > a.wait]:
                del pend[x]
        r, _, _ = select.select([s], [], [], max(0.0, min(nxt - time.monotonic(), 0.005)))
        if not r:
            continue
        while True:
            try:
                pkt = s.recv(2048)
            except BlockingIOError:
                break
            p = parse(pkt)
            if not p or p[0] not in pend or pend[p[0]][0] != p[1]:
                continue
            xid, mac, mtype, sid, yi = p
            t = time.monotonic()
            if mtype == 2 and sid:                       # OFFER -> REQUEST
                s.send(frame(mac, xid, 3, sid, yi))
            elif mtype == 5:                             # ACK
                del pend[xid]
                if sid == prim:
                    acks_p += 1
                    if t_kill is not None:
                        last_p = t
                elif sid == stby:
                    acks_s += 1
                    if t_kill is not None and first_s is None:
                        first_s = t
                if t_kill is None and acks_p >= a.warm:
                    if ppoll:
                        ppoll.stop = True
                    t_kill = time.monotonic()
                    os.kill(a.kill, signal.SIGKILL)
            elif mtype == 6:                             # NAK
                del pend[xid]
    poller.stop = True
    poller.join(2)
    ms = lambda t: None if t is None else round((t - t_kill) * 1000, 1)
    down = [t for t, st in poller.states if st == "partner-down" and t >= t_kill]
    out = {
        "partner_down_ms": ms(down[0]) if down else None,
        "first_served_ms": ms(first_s),
        "last_primary_ack_ms": ms(last_p),
        "acks_primary": acks_p, "acks_standby": acks_s,
        "started": started, "unanswered": len(pend),
        "polls": poller.polls,
        "states": [[ms(t), st] for t, st in poller.states if t >= t_kill - 0.5],
        "warm_ms": round((t_kill - t_start) * 1000, 1),
        "states_before": [[ms(t), st] for t, st in poller.states if t < t_kill],
        "primary_before": [[ms(t), st] for t, st in ppoll.states if t < t_kill] if ppoll else [],
    }
    print(json.dumps(out))
    return 0 if down and first_s is not None else 1


if __name__ == "__main__":
    sys.exit(main())
