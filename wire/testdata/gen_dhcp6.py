#!/usr/bin/python3
"""Write the DHCPv6 / IPv6 golden frames used by wire/dhcp6_wire_test.c.

Run from wire/testdata with the Debian python3 (it has scapy):
    /usr/bin/python3 gen_dhcp6.py
v6/*.bin are raw Ethernet frames built by scapy: DHCPv6 requests, plain,
behind extension headers and relayed; neighbour solicitations and the
advertisements net_nd_reply must make of them, byte for byte.
"""
import os
from scapy.all import Ether, IPv6, UDP, raw
from scapy.layers.inet6 import (IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, RouterAlert)
from scapy.layers.dhcp6 import (
    DHCP6_RelayForward, DHCP6_Request, DHCP6_Solicit, DHCP6OptClientId,
    DHCP6OptElapsedTime, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptIAAddress,
    DHCP6OptIAPrefix, DHCP6OptIfaceId, DHCP6OptOptReq, DHCP6OptRapidCommit,
    DHCP6OptRelayMsg, DHCP6OptRemoteID, DHCP6OptServerId, DHCP6OptSubscriberID,
    DUID_LL, DUID_LLT)

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
