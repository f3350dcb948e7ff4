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

"""
import argparse
import csv
import json
import os
import random
import select
import socket
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
    def __init__(self, iface, timeout, broadcast):
        from scapy.all import conf
        self.sock = conf.L2socket(iface=iface, promisc=True)
        self.timeout = timeout
        self.flags = 0x8000 if broadcast else 0

    def frame(self, mac, xid, options, ciaddr="0.0.0.0"):
        from scapy.all import Ether, IP, UDP, BOOTP, DHCP
        raw_mac = bytes.fromhex(mac.replace(":", ""))
        return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                IP(src="0.0.0.0", dst="255.255.255.255") /
                UDP(sport=68, dport=67) /
                BOOTP(op=1, xid=xid, flags=self.flags, ciaddr=ciaddr,
                      chaddr=raw_mac + b"\0" * 10) /
                DHCP(options=options + ["end"]))

    def exchange(self, frame, xid, want, tries=3):
        """Send, and return the first reply with our xid whose message
        type is in `want`, resending up to `tries` times."""
        from scapy.all import Ether, BOOTP, DHCP
        for _ in range(tries):
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
    cl = Client(a.iface, a.timeout, not a.unicast)
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
    p = sub.add_parser("kea-stats")
    p.add_argument("sock")
    p.set_defaults(fn=cmd_kea_stats)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
