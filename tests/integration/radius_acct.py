#!/usr/bin/python3
"""The DHCPv4 RELEASE the RADIUS accounting test needs (pgtest.py has
DORA and SARR but no release); run with /usr/bin/python3 (scapy).

  release --iface IF --mac M --addr A --server S --server-mac SM
        one DHCPRELEASE of A by client M, unicast to server S (at SM)
        from A, as RFC 2131 4.4.6 says; nothing comes back.
"""
import argparse
import random
import sys


def cmd_release(a):
    from scapy.all import Ether, IP, UDP, BOOTP, DHCP, conf
    sock = conf.L2socket(iface=a.iface)
    raw_mac = bytes.fromhex(a.mac.replace(":", ""))
    frame = (Ether(src=a.mac, dst=a.server_mac) /
             IP(src=a.addr, dst=a.server) /
             UDP(sport=68, dport=67) /
             BOOTP(op=1, xid=random.getrandbits(32), ciaddr=a.addr,
                   chaddr=raw_mac + b"\0" * 10) /
             DHCP(options=[("message-type", "release"), ("server_id", a.server), "end"]))
    sock.send(frame)
    sock.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("release")
    p.add_argument("--iface", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--addr", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--server-mac", required=True)
    p.set_defaults(fn=cmd_release)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
