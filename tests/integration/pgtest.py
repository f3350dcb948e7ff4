#!/usr/bin/python3
"""Helpers for the Peregrine integration tests (run with /usr/bin/python3,
which has scapy).

  dora --iface IF (--mac M ... | --count N --mac-base M) [--timeout S]
        DISCOVER/OFFER/REQUEST/ACK for each client, one after the other;
        prints "mac address routers lease-time" per client.  Exit 1 if any
        client got no ACK.
  acks PCAP         print "mac address" of every DHCPACK in a capture
  leases FILE       print the valid leases of a Kea CSV memfile
  uniq FILE         check no address was ever held by two clients at once
  ackcheck PCAP FILE  every ACKed (mac, address) is a valid lease in FILE
  kea-stats SOCK    Kea statistic-get-all as "name value" lines
  arp --iface IF --ip A [--timeout S]
        ARP for A every 0.5 s until answered; prints the answering MAC

DHCPv6 (built and read here byte by byte, not by the server's parser):
  sarr6 --iface IF [--count N] [--mac-base M] [--pd] [--tries N]
        SOLICIT/ADVERTISE/REQUEST/REPLY from the link-local address for
        each client (DUID-LL of its MAC); prints "duid address" per client
        (with --pd an IA_PD too: "duid address prefix/len", "-" when the
        REPLY delegates none).  Each message is sent up to --tries times
        (3).  Exit 1 if any client got no address.
  relay6 --iface IF --src A --link L [--interface-id S] [--rapid-commit]
         (--mac M | --count N --mac-base M)
        a SOLICIT per client relayed once (RELAY-FORW from A port 547,
        link-address L); prints "mac interface-id S inner T address A" of
        each RELAY-REPL ("-" for what it lacks).  Exit 1 if any client got
        no RELAY-REPL, or one whose link and peer address are not those sent.
  leases6-check FILE [--na S:FIRST-LAST]... [--pd S:PREFIX/LEN:DLEN]...
        every valid lease of the v6 lease file lies in a pool (or pd-pool,
        with the delegated length) of its subnet S, no address was held by
        two IAs at once, no IA holds two; prints "subnet S na N pd M"
  ackcheck6 PCAP FILE
        every address or prefix a REPLY on the wire gave (direct or inside
        a RELAY-REPL) is a valid lease of that DUID in FILE
"""
import argparse
import csv
import json
import os
import random
import select
import socket
import struct
import sys
import time


def mac_norm(m):
    return ":".join("%02x" % int(x, 16) for x in m.replace("-", ":").split(":"))


def mac_seq(base, n):
    v = int(base.replace(":", ""), 16)
    return [":".join("%02x" % (((v + i) >> s) & 0xff) for s in range(40, -8, -8))
            for i in range(n)]


# --- frames -----------------------------------------------------------------

def frames_until(sock, secs):
    """The frames read from sock until secs have passed."""
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return
        p = sock.recv()
        if p is not None:
            yield p


def malformed_main(corpus, kinds):
    """The command line of dhcp_malformed.py and dhcp6_malformed.py:
    --iface IF [--list] [--repeat N].  corpus() gives (name, kind, reason,
    frame bytes); reason None is not printed.  Prints "name kind [reason]"
    per frame (sent --repeat times unless --list), then "kind N" for each
    of kinds on one line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    c = corpus()
    if a.list:
        for name, kind, reason, _ in c:
            print(name, kind, *([reason] if reason is not None else []))
        return 0
    from scapy.all import conf
    sock = conf.L2socket(iface=a.iface)
    counts = dict.fromkeys(kinds, 0)
    for _ in range(a.repeat):
        for name, kind, reason, data in c:
            sock.send(data)
            counts[kind] += 1
            print(name, kind, *([reason] if reason is not None else []))
            time.sleep(0.01)
    sock.close()
    print(" ".join("%s %d" % (k, counts[k]) for k in kinds))
    return 0


# --- DORA client ------------------------------------------------------------

def dhcp_opt(pkt, name):
    from scapy.layers.dhcp import DHCP
    for o in pkt[DHCP].options:
        if isinstance(o, tuple) and o[0] == name:
            return o[1] if len(o) == 2 else list(o[1:])
    return None


class Client:
    def __init__(self, iface, timeout, broadcast, tries=3, secs=0):
        from scapy.all import conf
        self.sock = conf.L2socket(iface=iface, promisc=True)
        self.timeout = timeout
        self.tries = tries
        self.secs = secs
        self.flags = 0x8000 if broadcast else 0

    def frame(self, mac, xid, options, ciaddr="0.0.0.0"):
        from scapy.all import Ether, IP, UDP, BOOTP, DHCP
        raw_mac = bytes.fromhex(mac.replace(":", ""))
        return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                IP(src="0.0.0.0", dst="255.255.255.255") /
                UDP(sport=68, dport=67) /
                BOOTP(op=1, xid=xid, secs=self.secs, flags=self.flags, ciaddr=ciaddr,
                      chaddr=raw_mac + b"\0" * 10) /
                DHCP(options=options + ["end"]))

    def exchange(self, frame, xid, want):
        """Send, and return the first reply with our xid whose message
        type is in `want`, resending up to self.tries times."""
        from scapy.all import Ether, BOOTP, DHCP
        for _ in range(self.tries):
            self.sock.send(frame)
            for p in frames_until(self.sock, self.timeout):
                if BOOTP not in p or DHCP not in p:
                    continue
                if p[BOOTP].op != 2 or p[BOOTP].xid != xid:
                    continue
                if dhcp_opt(p, "message-type") in want:
                    return p
        return None

    def dora(self, mac, client_id):
        xid = random.getrandbits(32)
        cid = [("client_id", b"\x01" + bytes.fromhex(mac.replace(":", "")))] \
            if client_id else []
        prl = [("param_req_list", [1, 3, 6, 51, 54, 58, 59])]
        disc = self.frame(mac, xid, [("message-type", "discover")] + cid + prl)
        offer = self.exchange(disc, xid, (2,))
        if offer is None:
            return None, "no OFFER"
        from scapy.all import BOOTP
        yiaddr = offer[BOOTP].yiaddr
        sid = dhcp_opt(offer, "server_id")
        req = self.frame(mac, xid, [("message-type", "request"),
                                    ("server_id", sid),
                                    ("requested_addr", yiaddr)] + cid + prl)
        ack = self.exchange(req, xid, (5, 6))
        if ack is None:
            return None, "no ACK/NAK for %s" % yiaddr
        if dhcp_opt(ack, "message-type") == 6:
            return None, "NAK for %s" % yiaddr
        return ack, None


def cmd_dora(a):
    from scapy.all import BOOTP
    macs = [mac_norm(m) for m in a.mac or []]
    if a.count:
        macs += mac_seq(a.mac_base, a.count)
    cl = Client(a.iface, a.timeout, not a.unicast, a.tries, a.secs)
    bad = 0
    for mac in macs:
        ack, err = cl.dora(mac, a.client_id)
        if err:
            print("%s FAILED %s" % (mac, err), file=sys.stderr)
            bad += 1
            continue
        routers = dhcp_opt(ack, "router")
        if isinstance(routers, list):
            routers = ",".join(routers)
        print("%s %s %s %s" % (mac, ack[BOOTP].yiaddr, routers or "-",
                               dhcp_opt(ack, "lease_time")))
        sys.stdout.flush()
    return 1 if bad else 0


def cmd_arp(a):
    from scapy.all import Ether, ARP, conf, get_if_hwaddr
    mymac = get_if_hwaddr(a.iface)
    sock = conf.L2socket(iface=a.iface)
    req = (Ether(src=mymac, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=mymac, psrc=a.src, pdst=a.ip))
    end = time.monotonic() + a.timeout
    while time.monotonic() < end:
        sock.send(req)
        for p in frames_until(sock, min(end - time.monotonic(), 0.5)):
            if ARP in p and p[ARP].op == 2 and p[ARP].psrc == a.ip:
                print(p[ARP].hwsrc)
                return 0
    return 1


# --- captures ---------------------------------------------------------------

def pcap_acks(path):
    from scapy.all import PcapReader, BOOTP, DHCP
    out = []
    with PcapReader(path) as rd:
        for p in rd:
            if BOOTP not in p or DHCP not in p or p[BOOTP].op != 2:
                continue
            try:
                if dhcp_opt(p, "message-type") != 5:
                    continue
            except Exception:
                continue
            mac = ":".join("%02x" % b for b in bytes(p[BOOTP].chaddr)[:6])
            out.append((mac, p[BOOTP].yiaddr))
    return out


def cmd_acks(a):
    for mac, ip in pcap_acks(a.pcap):
        print(mac, ip)
    return 0


# --- lease files ------------------------------------------------------------

def csv_rows(path, min_cols):
    """The records of a Kea CSV memfile (v4 or v6) in file order."""
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or row[0] == "address":
                continue
            if len(row) < min_cols:
                raise ValueError("short lease line: %r" % (row,))
            yield row


def lease_records(path):
    """The v4 memfile's records in file order, as dicts with typed fields."""
    return [{"address": row[0], "hwaddr": row[1].lower(), "client_id": row[2].lower(),
             "valid": int(row[3]), "expire": int(row[4]), "subnet": int(row[5]),
             "state": int(row[9])} for row in csv_rows(path, 10)]


def replay(recs, key, now=None):
    """key(record) -> record, replaying records as a server does on load:
    the last record of a key wins, valid lifetime 0 deletes it; only the
    valid ones are kept."""
    now = time.time() if now is None else now
    cur = {}
    for r in recs:
        if r["valid"] == 0:
            cur.pop(key(r), None)
        else:
            cur[key(r)] = r
    return {k: r for k, r in cur.items() if r["state"] == 0 and r["expire"] > now}


def valid_leases(path, now=None):
    """address -> record of the valid leases of a v4 memfile."""
    return replay(lease_records(path), lambda r: r["address"], now)


def cmd_leases(a):
    for addr, r in sorted(valid_leases(a.file).items(),
                          key=lambda x: socket.inet_aton(x[0])):
        print(addr, r["hwaddr"] or "-", r["client_id"] or "-", r["expire"])
    return 0


def owner(r):
    return r["client_id"] or r["hwaddr"]


def cmd_uniq(a):
    """An address changing owner while the previous owner's lease was still
    valid (not deleted, not expired when the new one was granted) means the
    server handed one address to two clients."""
    cur = {}
    bad = 0
    n = 0
    for r in lease_records(a.file):
        n += 1
        prev = cur.get(r["address"])
        granted = r["expire"] - r["valid"]
        if r["valid"] == 0 or r["state"] != 0:
            cur.pop(r["address"], None)
            continue
        if prev and owner(prev) != owner(r) and prev["expire"] > granted:
            print("DUPLICATE %s: %s (expires %d) then %s (granted %d)" %
                  (r["address"], owner(prev), prev["expire"], owner(r), granted))
            bad += 1
        cur[r["address"]] = r
    # and no client holds two valid addresses in one subnet
    seen = {}
    for addr, r in valid_leases(a.file).items():
        k = (r["subnet"], r["hwaddr"], r["client_id"])
        if k in seen:
            print("CLIENT TWICE %s: %s and %s" % (owner(r), seen[k], addr))
            bad += 1
        seen[k] = addr
    print("records %d valid %d duplicates %d" % (n, len(valid_leases(a.file)), bad))
    return 1 if bad else 0


def cmd_ackcheck(a):
    acks = sorted(set(pcap_acks(a.pcap)))
    leases = valid_leases(a.file)
    missing = 0
    for mac, ip in acks:
        r = leases.get(ip)
        if r is None or r["hwaddr"] != mac:
            print("MISSING %s %s (file has %s)" %
                  (mac, ip, r["hwaddr"] if r else "nothing"))
            missing += 1
    print("acked %d in-file %d missing %d" % (len(acks), len(acks) - missing, missing))
    return 1 if missing or not acks else 0


# --- DHCPv6 -----------------------------------------------------------------

D6_SOLICIT, D6_ADVERTISE, D6_REQUEST, D6_REPLY = 1, 2, 3, 7
D6_RELAY_FORW, D6_RELAY_REPL = 12, 13
O6_CLIENTID, O6_SERVERID, O6_IA_NA, O6_IAADDR, O6_ELAPSED = 1, 2, 3, 5, 8
O6_RELAY_MSG, O6_STATUS, O6_RAPID_COMMIT, O6_INTERFACE_ID = 9, 13, 14, 18
O6_IA_PD, O6_IAPREFIX = 25, 26
ALL_DHCP = "ff02::1:2"


def opt6(code, data=b""):
    return struct.pack("!HH", code, len(data)) + data


def opts6(buf):
    """[(code, data)] of an option area; ValueError when one overruns it."""
    out, i = [], 0
    while i < len(buf):
        if len(buf) - i < 4:
            raise ValueError("option header past the end")
        code, n = struct.unpack_from("!HH", buf, i)
        i += 4
        if n > len(buf) - i:
            raise ValueError("option %d past the end" % code)
        out.append((code, buf[i:i + n]))
        i += n
    return out


def opt6_get(opts, code):
    for c, d in opts:
        if c == code:
            return d
    return None


def duid_ll(mac):
    return struct.pack("!HH", 3, 1) + bytes.fromhex(mac.replace(":", ""))


def ia_na(iaid, addr=None):
    sub = opt6(O6_IAADDR, socket.inet_pton(socket.AF_INET6, addr) + bytes(8)) if addr else b""
    return opt6(O6_IA_NA, struct.pack("!III", iaid, 0, 0) + sub)


def ia_pd(iaid, prefix=None):
    """IA_PD, naming prefix ("a::/len") as a hint when given."""
    sub = b""
    if prefix:
        a, plen = prefix.split("/")
        sub = opt6(O6_IAPREFIX, bytes(8) + bytes([int(plen)]) +
                   socket.inet_pton(socket.AF_INET6, a))
    return opt6(O6_IA_PD, struct.pack("!III", iaid, 0, 0) + sub)


def unwrap6(payload):
    """(relay hops outermost first as (link, peer, options), innermost
    message).  ValueError on a broken relay chain."""
    hops = []
    while payload and payload[0] in (D6_RELAY_FORW, D6_RELAY_REPL):
        if len(payload) < 34:
            raise ValueError("short relay header")
        opts = opts6(payload[34:])
        hops.append((socket.inet_ntop(socket.AF_INET6, payload[2:18]),
                     socket.inet_ntop(socket.AF_INET6, payload[18:34]), opts))
        inner = [d for c, d in opts if c == O6_RELAY_MSG]
        if len(inner) != 1:
            raise ValueError("%d relay messages" % len(inner))
        payload = inner[0]
    if len(payload) < 4:
        raise ValueError("short message")
    return hops, payload


def granted6(msg):
    """(duid, [(type, iaid, address, prefix_len)]) of the addresses (type
    0) and prefixes (type 2) a message gives with a valid lifetime."""
    opts = opts6(msg[4:])
    out = []
    for code, d in opts:
        if code not in (O6_IA_NA, O6_IA_PD) or len(d) < 12:
            continue
        iaid = struct.unpack_from("!I", d)[0]
        for c2, d2 in opts6(d[12:]):
            if code == O6_IA_NA and c2 == O6_IAADDR and len(d2) >= 24:
                if struct.unpack_from("!I", d2, 20)[0]:
                    out.append((0, iaid, socket.inet_ntop(socket.AF_INET6, d2[:16]), 128))
            elif code == O6_IA_PD and c2 == O6_IAPREFIX and len(d2) >= 25:
                if struct.unpack_from("!I", d2, 4)[0]:
                    out.append((2, iaid, socket.inet_ntop(socket.AF_INET6, d2[9:25]), d2[8]))
    duid = opt6_get(opts, O6_CLIENTID)
    return (duid.hex(":") if duid else ""), out


def udp6_of(frame):
    """(src, dst, sport, dport, payload) of an Ethernet/IPv6/UDP frame
    without extension headers (what the server sends), else None."""
    if len(frame) < 62 or frame[12:14] != b"\x86\xdd" or frame[20] != 17:
        return None
    ip = frame[14:]
    sport, dport, ulen = struct.unpack_from("!HHH", ip, 40)
    return (socket.inet_ntop(socket.AF_INET6, ip[8:24]),
            socket.inet_ntop(socket.AF_INET6, ip[24:40]), sport, dport, ip[48:40 + ulen])


def ll_of(mac):
    """fe80::/64 with the modified EUI-64 interface id of mac."""
    b = bytearray(bytes.fromhex(mac.replace(":", "")))
    b[0] ^= 2
    return socket.inet_ntop(socket.AF_INET6, b"\xfe\x80" + bytes(6) + b[:3] + b"\xff\xfe" + b[3:])


class Client6:
    """DHCPv6 over a raw socket on the client's veth, from its own MAC."""

    def __init__(self, iface, timeout):
        from scapy.all import conf, get_if_hwaddr
        self.mac = get_if_hwaddr(iface)
        self.sock = conf.L2socket(iface=iface)
        self.timeout = timeout

    def send(self, src, sport, payload):
        from scapy.all import Ether, IPv6, UDP, Raw
        self.sock.send(Ether(src=self.mac, dst="33:33:00:01:00:02") /
                       IPv6(src=src, dst=ALL_DHCP, hlim=1 if sport == 546 else 32) /
                       UDP(sport=sport, dport=547) / Raw(payload))

    def exchange(self, src, sport, payload, xid, want, tries=3):
        """Send; the first (hops, message) back to port sport whose
        innermost message has our xid and a type in `want`."""
        for _ in range(tries):
            self.send(src, sport, payload)
            for p in frames_until(self.sock, self.timeout):
                u = udp6_of(bytes(p))
                if u is None or u[2] != 547 or u[3] != sport:
                    continue
                try:
                    hops, msg = unwrap6(u[4])
                except ValueError:
                    continue
                if msg[0] in want and int.from_bytes(msg[1:4], "big") == xid:
                    return hops, msg
        return None, None


def cmd_sarr6(a):
    cl = Client6(a.iface, a.timeout)
    src = ll_of(cl.mac)
    bad = 0
    for mac in mac_seq(a.mac_base, a.count):
        duid = duid_ll(mac)
        xid = random.getrandbits(24)
        head = opt6(O6_CLIENTID, duid) + opt6(O6_ELAPSED, b"\0\0")
        _, adv = cl.exchange(src, 546, struct.pack("!I", D6_SOLICIT << 24 | xid) + head +
                             ia_na(1) + (ia_pd(2) if a.pd else b""), xid, (D6_ADVERTISE,),
                             a.tries)
        granted = granted6(adv)[1] if adv else []
        addrs = [g for g in granted if g[0] == 0]
        pfxs = ["%s/%d" % (g[2], g[3]) for g in granted if g[0] == 2]
        if not addrs:
            print("%s FAILED no ADVERTISE with an address" % mac, file=sys.stderr)
            bad += 1
            continue
        sid = opt6_get(opts6(adv[4:]), O6_SERVERID)
        xid = random.getrandbits(24)
        _, rep = cl.exchange(src, 546, struct.pack("!I", D6_REQUEST << 24 | xid) + head +
                             opt6(O6_SERVERID, sid) + ia_na(1, addrs[0][2]) +
                             (ia_pd(2, pfxs[0] if pfxs else None) if a.pd else b""),
                             xid, (D6_REPLY,), a.tries)
        granted = granted6(rep)[1] if rep else []
        got = [g for g in granted if g[0] == 0]
        if not got:
            print("%s FAILED no REPLY with an address" % mac, file=sys.stderr)
            bad += 1
            continue
        if a.pd:
            pfx = ["%s/%d" % (g[2], g[3]) for g in granted if g[0] == 2]
            print(duid.hex(":"), got[0][2], pfx[0] if pfx else "-")
        else:
            print(duid.hex(":"), got[0][2])
        sys.stdout.flush()
    return 1 if bad else 0


def cmd_relay6(a):
    cl = Client6(a.iface, a.timeout)
    macs = [mac_norm(a.mac)] if a.mac else mac_seq(a.mac_base, a.count)
    bad = 0
    for mac in macs:
        xid = random.getrandbits(24)
        sol = (struct.pack("!I", D6_SOLICIT << 24 | xid) + opt6(O6_CLIENTID, duid_ll(mac)) +
               opt6(O6_ELAPSED, b"\0\0") + (opt6(O6_RAPID_COMMIT) if a.rapid_commit else b"") +
               ia_na(1))
        fw = (bytes([D6_RELAY_FORW, 0]) + socket.inet_pton(socket.AF_INET6, a.link) +
              socket.inet_pton(socket.AF_INET6, ll_of(mac)))
        if a.interface_id is not None:
            fw += opt6(O6_INTERFACE_ID, a.interface_id.encode())
        fw += opt6(O6_RELAY_MSG, sol)
        hops, msg = cl.exchange(a.src, 547, fw, xid, (D6_ADVERTISE, D6_REPLY))
        if msg is None or len(hops) != 1:
            print("%s FAILED no RELAY-REPL" % mac, file=sys.stderr)
            bad += 1
            continue
        if hops[0][:2] != (a.link, ll_of(mac)):
            print("%s FAILED RELAY-REPL link/peer %s %s, sent %s %s" %
                  (mac, hops[0][0], hops[0][1], a.link, ll_of(mac)), file=sys.stderr)
            bad += 1
            continue
        iid = opt6_get(hops[0][2], O6_INTERFACE_ID)
        addrs = granted6(msg)[1]
        print("%s interface-id %s inner %d address %s" %
              (mac, iid.decode(errors="replace") if iid is not None else "-", msg[0],
               addrs[0][2] if addrs else "-"))
        sys.stdout.flush()
    return 1 if bad else 0


def lease6_records(path):
    """The v6 memfile's records in file order (Kea's lease6 CSV)."""
    return [{"address": row[0], "duid": row[1].lower(), "valid": int(row[2]),
             "expire": int(row[3]), "subnet": int(row[4]), "type": int(row[6]),
             "iaid": int(row[7]), "plen": int(row[8]), "state": int(row[13])}
            for row in csv_rows(path, 14)]


def valid_leases6(path, now=None):
    """(type, address) -> record of the valid leases of a v6 memfile."""
    return replay(lease6_records(path), lambda r: (r["type"], r["address"]), now)


def cmd_leases6_check(a):
    import ipaddress
    na, pd = {}, {}
    for spec in a.na or []:
        s, rng = spec.split(":", 1)
        lo, hi = rng.split("-")
        na.setdefault(int(s), []).append((ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi)))
    for spec in a.pd or []:
        s, rest = spec.split(":", 1)
        net, dlen = rest.rsplit(":", 1)
        pd.setdefault(int(s), []).append((ipaddress.IPv6Network(net), int(dlen)))
    bad = 0
    # an address handed to another IA while the previous one's lease was valid
    cur = {}
    for r in lease6_records(a.file):
        k = (r["type"], r["address"])
        prev = cur.get(k)
        if r["valid"] == 0 or r["state"] != 0:
            cur.pop(k, None)
            continue
        if prev and (prev["duid"], prev["iaid"]) != (r["duid"], r["iaid"]) and \
                prev["expire"] > r["expire"] - r["valid"]:
            print("DUPLICATE %s: %s then %s" % (r["address"], prev["duid"], r["duid"]))
            bad += 1
        cur[k] = r
    count = {}
    ias = {}
    for (typ, addr), r in sorted(valid_leases6(a.file).items()):
        s = r["subnet"]
        ip = ipaddress.IPv6Address(addr)
        if typ == 0:
            ok = r["plen"] == 128 and any(lo <= ip <= hi for lo, hi in na.get(s, []))
        elif typ == 2:
            ok = any(ip in net and r["plen"] == dlen and int(ip) % (1 << (128 - dlen)) == 0
                     for net, dlen in pd.get(s, []))
        else:
            ok = False
        if not ok:
            print("OUTSIDE subnet %d type %d %s/%d" % (s, typ, addr, r["plen"]))
            bad += 1
        ia = (r["duid"], r["iaid"], typ)
        if ia in ias:
            print("IA TWICE %s iaid %d: %s and %s" % (r["duid"], r["iaid"], ias[ia], addr))
            bad += 1
        ias[ia] = addr
        c = count.setdefault(s, [0, 0])
        c[0 if typ == 0 else 1] += 1
    for s in sorted(set(count) | set(na) | set(pd)):
        c = count.get(s, [0, 0])
        print("subnet %d na %d pd %d" % (s, c[0], c[1]))
    return 1 if bad else 0


def pcap_replies6(path):
    """(duid, type, iaid, address, prefix_len) given by every REPLY the
    server sent in a capture."""
    from scapy.all import RawPcapReader
    out = set()
    rd = RawPcapReader(path)
    try:
        for data, _ in rd:
            u = udp6_of(data)
            if u is None or u[2] != 547:
                continue
            try:
                _, msg = unwrap6(u[4])
                if msg[0] != D6_REPLY:
                    continue
                duid, leases = granted6(msg)
            except ValueError:
                continue
            for typ, iaid, addr, plen in leases:
                out.add((duid, typ, iaid, addr, plen))
    finally:
        rd.close()
    return out


def cmd_ackcheck6(a):
    acks = sorted(pcap_replies6(a.pcap))
    leases = valid_leases6(a.file)
    missing = 0
    for duid, typ, iaid, addr, plen in acks:
        r = leases.get((typ, addr))
        if r is None or (r["duid"], r["iaid"], r["plen"]) != (duid, iaid, plen):
            print("MISSING %s type %d %s/%d (file has %s)" %
                  (duid, typ, addr, plen, r["duid"] if r else "nothing"))
            missing += 1
    print("replied %d in-file %d missing %d" % (len(acks), len(acks) - missing, missing))
    return 1 if missing or not acks else 0


# --- Kea control socket -------------------------------------------------------

def cmd_kea_stats(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.sock)
    s.sendall(json.dumps({"command": "statistic-get-all"}).encode())
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
        try:
            json.loads(buf)
            break
        except ValueError:
            continue
    rsp = json.loads(buf)
    if rsp.get("result") != 0:
        print(rsp, file=sys.stderr)
        return 1
    for name, samples in sorted(rsp["arguments"].items()):
        print(name, samples[0][0] if samples else 0)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("dora")
    p.add_argument("--iface", required=True)
    p.add_argument("--mac", action="append")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--mac-base", default="02:00:00:00:10:00")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--tries", type=int, default=3, help="sends of each message")
    p.add_argument("--secs", type=int, default=0, help="the secs field (seconds since the start)")
    p.add_argument("--client-id", action="store_true")
    p.add_argument("--unicast", action="store_true",
                   help="leave the broadcast flag clear")
    p.set_defaults(fn=cmd_dora)
    p = sub.add_parser("arp")
    p.add_argument("--iface", required=True)
    p.add_argument("--ip", required=True)
    p.add_argument("--src", default="198.18.0.2")
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(fn=cmd_arp)
    p = sub.add_parser("acks")
    p.add_argument("pcap")
    p.set_defaults(fn=cmd_acks)
    p = sub.add_parser("leases")
    p.add_argument("file")
    p.set_defaults(fn=cmd_leases)
    p = sub.add_parser("uniq")
    p.add_argument("file")
    p.set_defaults(fn=cmd_uniq)
    p = sub.add_parser("ackcheck")
    p.add_argument("pcap")
    p.add_argument("file")
    p.set_defaults(fn=cmd_ackcheck)
    p = sub.add_parser("sarr6")
    p.add_argument("--iface", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--mac-base", default="02:00:00:00:60:00")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--pd", action="store_true")
    p.add_argument("--tries", type=int, default=3)
    p.set_defaults(fn=cmd_sarr6)
    p = sub.add_parser("relay6")
    p.add_argument("--iface", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--link", required=True)
    p.add_argument("--interface-id")
    p.add_argument("--rapid-commit", action="store_true")
    p.add_argument("--mac")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--mac-base", default="02:00:00:00:70:00")
    p.add_argument("--timeout", type=float, default=2.0)
    p.set_defaults(fn=cmd_relay6)
    p = sub.add_parser("leases6-check")
    p.add_argument("file")
    p.add_argument("--na", action="append")
    p.add_argument("--pd", action="append")
    p.set_defaults(fn=cmd_leases6_check)
    p = sub.add_parser("ackcheck6")
    p.add_argument("pcap")
    p.add_argument("file")
    p.set_defaults(fn=cmd_ackcheck6)
    p = sub.add_parser("kea-stats")
    p.add_argument("sock")
    p.set_defaults(fn=cmd_kea_stats)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
