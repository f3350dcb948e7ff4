#!/usr/bin/python3
"""Write the DHCPv6 / IPv6 golden frames used by wire/dhcp6_wire_test.c.

Run from wire/testdata with the Debian python3 (it has scapy):
    /usr/bin/python3 gen_dhcp6.py
v6/*.bin are raw Ethernet frames built by scapy: requests the parser
reads, and the replies and advertisements the C builders must reproduce
byte for byte.  malformed6/*.bin are bare UDP payloads, each named
<error>--<what>.bin after the parse error (dhcp6_parse_err_name) it must
give; they are written by hand, scapy would fix the lengths.
"""
import os
import struct
from scapy.all import Ether, IPv6, UDP, raw
from scapy.layers.inet6 import (IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, RouterAlert)
from scapy.layers.dhcp6 import (
    DHCP6_Advertise, DHCP6_RelayForward, DHCP6_RelayReply, DHCP6_Reply,
    DHCP6_Request, DHCP6_Solicit, DHCP6OptClientId, DHCP6OptElapsedTime,
    DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptIAAddress, DHCP6OptIAPrefix,
    DHCP6OptIfaceId, DHCP6OptOptReq, DHCP6OptRapidCommit, DHCP6OptRelayMsg,
    DHCP6OptRemoteID, DHCP6OptServerId, DHCP6OptStatusCode,
    DHCP6OptSubscriberID, DUID_LL, DUID_LLT)

CLIENT = "02:00:5e:12:00:0a"
SERVER = "02:00:5e:12:00:01"
RELAY = "02:00:5e:12:01:01"
CLIENT_LL = "fe80::5eff:fe12:a"       # modified EUI-64 of CLIENT
SERVER_LL = "fe80::5eff:fe12:1"
SERVER_IP = "2001:db8:0:1::1"
RELAY2_IP = "2001:db8:ffff::1"        # the relay that talks to the server
RELAY1_IP = "2001:db8:ffff:10::1"     # the relay on the client's link

CID = DHCP6OptClientId(duid=DUID_LLT(hwtype=1, timeval=0x2c3d4e5f, lladdr=CLIENT))
SID = DHCP6OptServerId(duid=DUID_LL(hwtype=1, lladdr=SERVER))


def write(name, pkt):
    with open(name, "wb") as f:
        f.write(pkt if isinstance(pkt, bytes) else raw(pkt))


os.makedirs("v6", exist_ok=True)
os.makedirs("malformed6", exist_ok=True)


def from_client(*layers):
    p = (Ether(src=CLIENT, dst="33:33:00:01:00:02") /
         IPv6(src=CLIENT_LL, dst="ff02::1:2", hlim=1))
    for layer in layers:
        p = p / layer
    return p


solicit = (DHCP6_Solicit(trid=0x123456) / CID / DHCP6OptElapsedTime(elapsedtime=0) /
           DHCP6OptIA_NA(iaid=0x0a0b0c0d, T1=3600, T2=5400, ianaopts=[
               DHCP6OptIAAddress(addr="2001:db8:1::100", preflft=7200, validlft=10800)]) /
           DHCP6OptIA_PD(iaid=0x01020304, T1=0, T2=0, iapdopt=[
               DHCP6OptIAPrefix(preflft=0, validlft=0, plen=56, prefix="2001:db8:8000::")]) /
           DHCP6OptOptReq(reqopts=[23, 24]) / DHCP6OptRapidCommit())
write("v6/solicit.bin", from_client(UDP(sport=546, dport=547), solicit))

write("v6/request.bin", from_client(
    UDP(sport=546, dport=547),
    DHCP6_Request(trid=0xabcdef) / CID / SID / DHCP6OptElapsedTime(elapsedtime=100) /
    DHCP6OptIA_NA(iaid=0x0a0b0c0d, T1=0, T2=0, ianaopts=[
        DHCP6OptIAAddress(addr="2001:db8:1::100", preflft=0, validlft=0)]) /
    DHCP6OptOptReq(reqopts=[23])))

# The same SOLICIT behind hop-by-hop, routing (no segments left) and
# destination options headers; and once more behind a fragment header.
write("v6/solicit_ext.bin", from_client(
    IPv6ExtHdrHopByHop(options=[RouterAlert()]),
    IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]),
    IPv6ExtHdrDestOpt(), UDP(sport=546, dport=547), solicit))
write("v6/solicit_frag.bin", from_client(
    IPv6ExtHdrFragment(m=1, id=0x1234), UDP(sport=546, dport=547), solicit))

# Twice relayed: relay 1 (client's link) adds interface-id "eth3" and a
# subscriber-id the server must not echo; relay 2 adds interface-id and
# remote-id and sends to the server.
inner_relay = (DHCP6_RelayForward(hopcount=0, linkaddr="2001:db8:1::1", peeraddr=CLIENT_LL) /
               DHCP6OptIfaceId(ifaceid=b"eth3") /
               DHCP6OptSubscriberID(subscriberid=b"sub-42") /
               DHCP6OptRelayMsg(message=solicit))
outer_relay = (DHCP6_RelayForward(hopcount=1, linkaddr="::", peeraddr=RELAY1_IP) /
               DHCP6OptIfaceId(ifaceid=b"ge-0/0/1") /
               DHCP6OptRemoteID(enterprisenum=4491, remoteid=b"\x00\x11\x22") /
               DHCP6OptRelayMsg(message=inner_relay))
write("v6/relay2_solicit.bin",
      Ether(src=RELAY, dst=SERVER) / IPv6(src=RELAY2_IP, dst=SERVER_IP, hlim=64) /
      UDP(sport=547, dport=547) / outer_relay)

# What the builders (dhcp6_build_*, net_build_udp6) must produce.
# Rapid commit: a REPLY to solicit.bin, to the client's link-local address.
reply = (DHCP6_Reply(trid=0x123456) / SID / CID / DHCP6OptRapidCommit() /
         DHCP6OptIA_NA(iaid=0x0a0b0c0d, T1=1800, T2=2880, ianaopts=[
             DHCP6OptIAAddress(addr="2001:db8:1::100", preflft=3600, validlft=5400)]) /
         DHCP6OptIA_PD(iaid=0x01020304, T1=1800, T2=2880, iapdopt=[
             DHCP6OptIAPrefix(preflft=3600, validlft=5400, plen=56,
                              prefix="2001:db8:8000::")]) /
         DHCP6OptStatusCode(statuscode=0, statusmsg=b"ok"))
assert len(raw(reply)) % 2 == 1     # exercises the checksum's pad byte
write("v6/reply_rapid.bin",
      Ether(src=SERVER, dst=CLIENT) / IPv6(src=SERVER_LL, dst=CLIENT_LL, hlim=255) /
      UDP(sport=547, dport=546) / reply)

# The ADVERTISE to relay2_solicit.bin: RELAY-REPL(RELAY-REPL(ADVERTISE)),
# each hop with its interface-id (and remote-id) echoed, nothing else.
adv = (DHCP6_Advertise(trid=0x123456) / SID / CID /
       DHCP6OptIA_NA(iaid=0x0a0b0c0d, T1=1800, T2=2880, ianaopts=[
           DHCP6OptIAAddress(addr="2001:db8:1::100", preflft=3600, validlft=5400,
                             iaaddropts=[DHCP6OptStatusCode(statuscode=0,
                                                            statusmsg=b"assigned")])]))
repl = (DHCP6_RelayReply(hopcount=1, linkaddr="::", peeraddr=RELAY1_IP) /
        DHCP6OptIfaceId(ifaceid=b"ge-0/0/1") /
        DHCP6OptRemoteID(enterprisenum=4491, remoteid=b"\x00\x11\x22") /
        DHCP6OptRelayMsg(message=DHCP6_RelayReply(hopcount=0, linkaddr="2001:db8:1::1",
                                                  peeraddr=CLIENT_LL) /
                         DHCP6OptIfaceId(ifaceid=b"eth3") /
                         DHCP6OptRelayMsg(message=adv)))
write("v6/reply_relay2.bin",
      Ether(src=SERVER, dst=RELAY) / IPv6(src=SERVER_IP, dst=RELAY2_IP, hlim=64) /
      UDP(sport=547, dport=547) / repl)

# Neighbour discovery: an NS for the server's address and the NA it gets;
# a duplicate address detection probe (from ::) and its NA to all nodes.
write("v6/ns.bin", Ether(src=CLIENT, dst="33:33:ff:00:00:01") /
      IPv6(src=CLIENT_LL, dst="ff02::1:ff00:1", hlim=255) /
      ICMPv6ND_NS(tgt=SERVER_IP) / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT))
write("v6/na.bin", Ether(src=SERVER, dst=CLIENT) /
      IPv6(src=SERVER_IP, dst=CLIENT_LL, hlim=255) /
      ICMPv6ND_NA(R=0, S=1, O=1, tgt=SERVER_IP) / ICMPv6NDOptDstLLAddr(lladdr=SERVER))
write("v6/ns_dad.bin", Ether(src=CLIENT, dst="33:33:ff:00:00:01") /
      IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=SERVER_IP))
write("v6/na_dad.bin", Ether(src=SERVER, dst="33:33:00:00:00:01") /
      IPv6(src=SERVER_IP, dst="ff02::1", hlim=255) /
      ICMPv6ND_NA(R=0, S=0, O=1, tgt=SERVER_IP) / ICMPv6NDOptDstLLAddr(lladdr=SERVER))

# ---------------------------------------------------------------- malformed


def opt(code, data=b""):
    return struct.pack("!HH", code, len(data)) + data


def msg(mtype, *opts, trid=0x010203):
    return bytes([mtype]) + trid.to_bytes(3, "big") + b"".join(opts)


def relay(inner_opts, hop=0):
    return bytes([12, hop]) + bytes(16) + bytes(15) + b"\x01" + inner_opts


def ia_na(fixed_len=12, sub=b""):
    return opt(3, bytes(range(1, fixed_len + 1)) + sub)


DUID = bytes.fromhex("000100012c3d4e5f02005e12000a")
CLID = opt(1, DUID)
ok = msg(1, CLID)


def bad(name, data):
    write(f"malformed6/{name}.bin", data)


bad("truncated--empty", b"")
bad("truncated--header-3-bytes", b"\x01\x12\x34")
bad("truncated--relay-header-20-bytes", relay(b"")[:20])
bad("truncated--empty-relay-message", relay(opt(9)))
bad("bad-message-type--zero", msg(0, CLID))
bad("bad-message-type--leasequery-14", msg(14, CLID))
bad("bad-message-type--inside-relay-99", relay(opt(9, msg(99, CLID))))
bad("option-overrun--length-past-end", ok + struct.pack("!HH", 8, 10) + b"\x00\x01")
bad("option-overrun--3-trailing-bytes", ok + b"\x00\x08\x00")
bad("option-overrun--iaaddr-past-ia", msg(1, CLID, opt(3, bytes(12) + struct.pack("!HH", 5, 40) + bytes(8))))
bad("option-overrun--relay-option-past-end", relay(opt(9, ok) + b"\x00\x12\x00\x09abc"))
bad("too-many-options--65", msg(1, CLID, *[opt(0xfff0)] * 64))
bad("too-many-ias--17-ia-na", msg(1, CLID, *[ia_na()] * 17))
bad("bad-ia--ia-na-11-bytes", msg(1, CLID, ia_na(11)))
bad("bad-ia--ia-ta-3-bytes", msg(1, CLID, opt(4, b"\x00\x00\x01")))
bad("bad-ia--ia-pd-8-bytes", msg(1, CLID, opt(25, bytes(8))))
bad("bad-ia--iaaddr-23-bytes", msg(1, CLID, ia_na(12, opt(5, bytes(23)))))
bad("bad-ia--iaprefix-plen-200", msg(1, CLID, opt(25, bytes(12) + opt(26, bytes(8) + b"\xc8" + bytes(16)))))
bad("bad-duid--client-id-0-bytes", msg(1, opt(1)))
bad("bad-duid--client-id-200-bytes", msg(1, opt(1, b"\x00\x02" + bytes(198))))
bad("bad-duid--server-id-131-bytes", msg(3, CLID, opt(2, b"\x00\x03" + bytes(129))))
bad("duplicate-option--two-client-ids", msg(1, CLID, CLID))
bad("duplicate-option--two-server-ids", msg(3, CLID, opt(2, DUID), opt(2, DUID)))
bad("duplicate-option--two-relay-messages", relay(opt(9, ok) + opt(9, ok)))
bad("duplicate-option--two-interface-ids", relay(opt(18, b"a") + opt(18, b"b") + opt(9, ok)))
bad("no-relay-message--relay-without-relay-msg", relay(opt(18, b"eth0")))
bad("no-relay-message--relay-no-options", relay(b""))
chain = ok
for i in range(40):
    chain = relay(opt(9, chain), hop=39 - i)
bad("relay-too-deep--40-relays", chain)
bad("bad-option-length--elapsed-time-3-bytes", msg(1, CLID, opt(8, b"\x00\x00\x00")))
bad("bad-option-length--rapid-commit-with-data", msg(1, CLID, opt(14, b"\x01")))
bad("bad-option-length--oro-odd", msg(1, CLID, opt(6, b"\x00\x17\x00")))
bad("bad-option-length--remote-id-2-bytes", relay(opt(37, b"\x00\x01") + opt(9, ok)))
