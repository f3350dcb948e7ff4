#!/usr/bin/python3
"""Malformed DHCPv6 frames, sent from the client namespace's link-local
address to ff02::1:2 port 547 (run with /usr/bin/python3, which has scapy).

Each frame has a kind and the reason a correct server gives:

  parser  every file of wire/testdata/malformed6, as the UDP payload of a
          correct Ethernet/IPv6/UDP frame.  The file is named
          <reason>--<what>.bin; Peregrine counts it in pkt6-parse-failed
          and pkt6-parse-failed.<reason>.
  net     a good SOLICIT in a frame broken below DHCP (IPv6 payload length,
          version, fragment header, routing header with segments left,
          hop-by-hop not first, extension header past the payload, UDP
          length, runt frame): dropped by the datapath's frame checks
          (net_parse_udp6) and counted in dp-drop-<reason>, never in pkt6-*.
  ok      a good SOLICIT behind extension headers a server must walk
          (hop-by-hop, destination options, routing with no segments
          left): answered with an ADVERTISE.

  dhcp6_malformed.py --iface IF [--list] [--repeat N]
prints "name kind reason" per frame sent, then "parser N net M ok K".
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "wire", "testdata", "malformed6")
MAC = "02:00:00:00:66:06"
LL = "fe80::ff:fe00:6606"          # modified EUI-64 of MAC
ALL_DHCP = "ff02::1:2"


def opt(code, data=b""):
    return struct.pack("!HH", code, len(data)) + data


def solicit():
    duid = struct.pack("!HH", 3, 1) + bytes.fromhex(MAC.replace(":", ""))
    return (struct.pack("!I", 1 << 24 | 0x6606) + opt(1, duid) + opt(8, b"\0\0") +
            opt(3, struct.pack("!III", 6, 0, 0)))


def frame(payload, *ext):
    """Ethernet/IPv6/[ext...]/UDP 546->547 to ff02::1:2 from LL."""
    from scapy.all import Ether, IPv6, UDP, Raw
    p = Ether(src=MAC, dst="33:33:00:01:00:02") / IPv6(src=LL, dst=ALL_DHCP, hlim=1)
    for e in ext:
        p = p / e
    return p / UDP(sport=546, dport=547) / Raw(payload)


def corpus():
    """(name, kind, reason, frame bytes)"""
    from scapy.layers.inet6 import (IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
    c = []
    for f in sorted(os.listdir(CORPUS)):
        if f.endswith(".bin"):
            with open(os.path.join(CORPUS, f), "rb") as fh:
                c.append((f[:-4], "parser", f.split("--")[0], bytes(frame(fh.read()))))

    good = solicit()
    base = bytes(frame(good))          # eth 14, ipv6 40 (payload length at 18), udp 8

    def patched(off, fmt, val, data=base):
        b = bytearray(data)
        struct.pack_into(fmt, b, off, val)
        return bytes(b)

    def net(name, reason, data):
        c.append((name, "net", reason, data))

    net("ipv6-payload-length-past-frame", "bad-ip-header",
        patched(18, "!H", len(base) - 54 + 100))
    net("ipv6-version-4", "bad-ip-header", patched(14, "!B", 0x40))
    net("fragment-header", "ip-fragment", bytes(frame(good, IPv6ExtHdrFragment(m=1, id=7))))
    net("routing-segments-left-1", "bad-extension-header",
        bytes(frame(good, IPv6ExtHdrRouting(addresses=["2001:db8:1::1"], segleft=1))))
    net("hop-by-hop-not-first", "bad-extension-header",
        bytes(frame(good, IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop())))
    # a destination options header whose length runs past the payload
    dst = bytes(frame(good, IPv6ExtHdrDestOpt()))
    net("ext-header-past-payload", "bad-extension-header", patched(55, "!B", 200, dst))
    net("udp-length-past-ip", "bad-udp-length", patched(58, "!H", len(base) - 54 + 100))
    net("udp-length-below-header", "bad-udp-length", patched(58, "!H", 4))
    # an IPv6 payload of 4 bytes: half a UDP header
    net("truncated-udp-header", "bad-udp-length", patched(18, "!H", 4, base[:58]))
    net("runt-frame", "short-frame", base[:30])

    c.append(("ext-headers-walked", "ok", "-", bytes(frame(
        good, IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(),
        IPv6ExtHdrRouting(addresses=["2001:db8:1::1"], segleft=0)))))
    return c


if __name__ == "__main__":
    sys.dont_write_bytecode = True      # no __pycache__ in the source tree
    sys.path.insert(0, HERE)
    from pgtest import malformed_main
    sys.exit(malformed_main(corpus, ("parser", "net", "ok")))
