#!/usr/bin/python3
"""A corpus of malformed DHCP frames, sent from the client namespace to the
server's port 67 (run with /usr/bin/python3, which has scapy).

Each entry says where a correct server drops it:

  parser  Ethernet, IPv4 and UDP are valid and the UDP destination is 67,
          so the frame reaches the DHCP parser, which must refuse it:
          Peregrine counts each one in pkt4-parse-failed (one reason each
          in dhcp4_parse_err).  An empty UDP payload is one of these.
  net     broken below DHCP (IP checksum, IP header, fragment, UDP length
          or checksum, runt frame): dropped by the datapath's frame checks
          (net_parse_udp4) and NOT counted in pkt4-parse-failed.  (With
          veth checksum offload the datapath may skip the UDP checksum; that
          frame carries a good DISCOVER, so it is no parse failure either.)
  sloppy  not strictly valid but accepted on purpose, as Kea and ISC dhcpd
          do (options that end without END): answered, not counted.

  dhcp_malformed.py --iface IF [--list] [--repeat N]
prints one "name kind" line per frame sent, then "parser N net M sloppy K".
"""
import os
import struct
import sys

MAC = "02:00:00:00:66:01"
RAWMAC = bytes.fromhex(MAC.replace(":", ""))
COOKIE = b"\x63\x82\x53\x63"


def hdr(op=1, htype=1, hlen=6, sname=b"", file=b""):
    """The 236-byte BOOTP header of a request from MAC."""
    return (struct.pack("!BBBBIHHIIII", op, htype, hlen, 0, 0x66000000 | op,
                        0, 0x8000, 0, 0, 0, 0) +
            (RAWMAC + b"\0" * 10) +
            sname.ljust(64, b"\0")[:64] + file.ljust(128, b"\0")[:128])


def opts(*items):
    out = b""
    for code, val in items:
        out += bytes([code, len(val)]) + val
    return out


DISCOVER = (53, b"\x01")
END = b"\xff"


def good_payload():
    return hdr() + COOKIE + opts(DISCOVER) + END


def corpus():
    """(name, kind, payload or None, build) -- build(payload) returns the
    frame; the default is a correct Ethernet/IPv4/UDP frame to port 67."""
    c = []

    def p(name, payload):
        c.append((name, "parser", payload, None))

    def n(name, build):
        c.append((name, "net", good_payload(), build))

    p("empty-udp-payload", b"")
    p("one-byte", b"\x01")
    p("truncated-header-100", hdr()[:100])
    p("header-without-cookie", hdr())
    p("bad-magic", hdr() + b"\x63\x82\x53\x64" + opts(DISCOVER) + END)
    p("bootreply-to-server", hdr(op=2) + COOKIE + opts(DISCOVER) + END)
    p("hlen-200", hdr(hlen=200) + COOKIE + opts(DISCOVER) + END)
    p("option-length-past-end", hdr() + COOKIE + opts(DISCOVER) + b"\x0c\xc8abc")
    p("option-code-at-end-no-length", hdr() + COOKIE + opts(DISCOVER) + b"\x0c")
    p("missing-option-53", hdr() + COOKIE + opts((12, b"host")) + END)
    p("message-type-0", hdr() + COOKIE + opts((53, b"\x00")) + END)
    p("message-type-9", hdr() + COOKIE + opts((53, b"\x09")) + END)
    p("message-type-200", hdr() + COOKIE + opts((53, b"\xc8")) + END)
    p("message-type-empty", hdr() + COOKIE + opts((53, b"")) + END)
    p("overload-file-garbage",
      hdr(file=b"\x0c\xff" + b"garbage" * 10) + COOKIE +
      opts(DISCOVER, (52, b"\x01")) + END)
    p("overload-sname-garbage",
      hdr(sname=b"\x0f\x50" + b"x" * 40) + COOKIE +
      opts(DISCOVER, (52, b"\x02")) + END)
    p("overload-value-7",
      hdr() + COOKIE + opts(DISCOVER, (52, b"\x07")) + END)
    many = [(code, b"\x01") for code in range(60, 60 + 120) if code not in (52, 53)]
    p("too-many-options", hdr() + COOKIE + opts(DISCOVER, *many) + END)

    c.append(("no-end-option", "sloppy",
              hdr() + COOKIE + opts(DISCOVER, (12, b"host")), None))

    def bad_ip_csum(pl):
        f = base(pl)
        f["IP"].chksum = 0x1234
        return f
    n("bad-ip-checksum", bad_ip_csum)

    def bad_udp_csum(pl):
        f = base(pl)
        f["UDP"].chksum = 0x1234
        return f
    n("bad-udp-checksum", bad_udp_csum)

    def udp_len_long(pl):
        f = base(pl)
        f["UDP"].len = len(pl) + 8 + 100
        return f
    n("udp-length-past-ip", udp_len_long)

    def udp_len_short(pl):
        f = base(pl)
        f["UDP"].len = 4
        return f
    n("udp-length-below-header", udp_len_short)

    def fragment(pl):
        f = base(pl)
        f["IP"].flags = "MF"
        return f
    n("ip-fragment", fragment)

    def ihl_small(pl):
        f = base(pl)
        f["IP"].ihl = 3
        return f
    n("ip-ihl-3", ihl_small)

    def ip_len_long(pl):
        f = base(pl)
        f["IP"].len = len(pl) + 28 + 400
        return f
    n("ip-total-length-past-frame", ip_len_long)

    def runt(pl):
        from scapy.all import Raw
        return Raw(bytes(base(pl))[:30])
    n("runt-frame", runt)
    return c


def base(payload):
    from scapy.all import Ether, IP, UDP, Raw
    return (Ether(src=MAC, dst="ff:ff:ff:ff:ff:ff") /
            IP(src="0.0.0.0", dst="255.255.255.255") /
            UDP(sport=68, dport=67) / Raw(payload))


def frames():
    """(name, kind, None, frame bytes) for malformed_main."""
    # build() may leave fields for scapy to compute; bytes() freezes them
    return [(name, kind, None, bytes(build(payload) if build else base(payload)))
            for name, kind, payload, build in corpus()]


if __name__ == "__main__":
    sys.dont_write_bytecode = True      # no __pycache__ in the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pgtest import malformed_main
    sys.exit(malformed_main(frames, ("parser", "net", "sloppy")))
