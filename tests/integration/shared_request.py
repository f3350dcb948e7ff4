#!/usr/bin/python3
"""A DHCPv4 client whose REQUEST meets a claim the shared store refuses
(tests/integration/redis_shared.sh).

Gets an OFFER for --mac (and for --decoy, when given) and prints
"OFFER <mac's address> <decoy's address or ->"; then waits until the file
--marker exists (the test has meanwhile written another server's lease
at the offered address, and may have stalled the store), sends the
decoy's REQUEST first, then the client's REQUEST --tries times, --gap
seconds apart (a client retransmitting), and prints every reply to
either, "<who> ACK|NAK <yiaddr>", until --wait seconds after the last.
Exit status 0 when the OFFERs came."""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgtest import Client, dhcp_opt, frames_until  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--decoy")
    ap.add_argument("--marker", required=True)
    ap.add_argument("--tries", type=int, default=2)
    ap.add_argument("--gap", type=float, default=0.1)
    ap.add_argument("--wait", type=float, default=4.0)
    a = ap.parse_args()
    from scapy.all import BOOTP
    cl = Client(a.iface, 2.0, True)

    def offer(mac):
        xid = random.getrandbits(32)
        o = cl.exchange(cl.frame(mac, xid, [("message-type", "discover")]), xid, (2,))
        if o is None:
            print("no OFFER for", mac, file=sys.stderr)
            sys.exit(1)
        return xid, o[BOOTP].yiaddr, dhcp_opt(o, "server_id")

    def request(mac, xid, ip, sid):
        return cl.frame(mac, xid, [("message-type", "request"), ("server_id", sid),
                                   ("requested_addr", ip)])

    who = {}
    vx, vip, sid = offer(a.mac)
    who[vx] = "client"
    frames = []
    if a.decoy:
        dx, dip, dsid = offer(a.decoy)
        who[dx] = "decoy"
        frames.append(request(a.decoy, dx, dip, dsid))
    print("OFFER", vip, dip if a.decoy else "-", flush=True)
    end = time.monotonic() + 30
    while not os.path.exists(a.marker):
        if time.monotonic() > end:
            print("no marker", file=sys.stderr)
            return 1
        time.sleep(0.02)
    frames += [request(a.mac, vx, vip, sid)] * a.tries
    for i, f in enumerate(frames):
        cl.sock.send(f)
        last = i == len(frames) - 1
        for p in frames_until(cl.sock, a.wait if last else a.gap):
            if BOOTP in p and p[BOOTP].op == 2 and p[BOOTP].xid in who:
                t = {5: "ACK", 6: "NAK"}.get(dhcp_opt(p, "message-type"))
                if t:
                    print(who[p[BOOTP].xid], t, p[BOOTP].yiaddr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
