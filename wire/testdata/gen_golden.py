#!/usr/bin/python3
"""Write the golden frames used by wire/dhcp4_wire_test.c.

Run from wire/testdata with the Debian python3 (it has scapy):
    ./capture_dhclient.sh . && /usr/bin/python3 gen_golden.py .
The dhclient frames are real captures (first packet of each pcap); the
others are crafted here.  Every file is one raw Ethernet frame.
"""
import sys
from scapy.all import (ARP, BOOTP, DHCP, IP, UDP, Ether, rdpcap, raw)

cap = sys.argv[1] if len(sys.argv) > 1 else None

CLIENT = "02:00:5e:12:00:0a"
RELAY = "02:00:5e:12:01:01"
SERVER = "02:00:5e:12:00:01"


def write(name, pkt):
    with open(name, "wb") as f:
        f.write(raw(pkt) if not isinstance(pkt, bytes) else pkt)


if cap:
    for n in ("dhclient_discover", "dhclient_request"):
        write(n + ".bin", raw(rdpcap(f"{cap}/{n}.pcap")[0]))


def relay_frame(dhcp_payload):
    return (Ether(src=RELAY, dst=SERVER) /
            IP(src="198.18.1.1", dst="198.18.0.1", ttl=63) /
            UDP(sport=67, dport=67) / dhcp_payload)


# Relayed REQUEST with option 82 (circuit-id, remote-id, link-selection).
rai = (b"\x01\x06" + b"eth0/1" + b"\x02\x06" + bytes.fromhex("02005e120a0b") +
       b"\x05\x04" + bytes([198, 18, 2, 0]))
write("relay_request_opt82.bin", relay_frame(
    BOOTP(op=1, chaddr=bytes.fromhex("02005e120a0b") + b"\0" * 10, xid=0x11223344,
          hops=1, giaddr="198.18.1.1", flags=0) /
    DHCP(options=[("message-type", "request"),
                  ("requested_addr", "198.18.2.20"),
                  ("server_id", "198.18.0.1"),
                  ("client_id", b"\x01" + bytes.fromhex("02005e120a0b")),
                  ("param_req_list", [1, 3, 6, 15, 51]),
                  ("relay_agent_information", rai),
                  "end"])))

# Option overload 52 = 3: options continue in file, then sname.
file_opts = bytes([12, 5]) + b"host1" + bytes([55, 3, 1, 3, 6]) + b"\xff"
sname_opts = bytes([60, 7]) + b"PXEClnt" + b"\xff"
write("overload_discover.bin", Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
      IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
      BOOTP(op=1, chaddr=bytes.fromhex("02005e12000a") + b"\0" * 10, xid=0x0a0b0c0d,
            file=file_opts, sname=sname_opts) /
      DHCP(options=[("message-type", "discover"), (52, b"\x03"), "end"]))

# RFC 3396: a 300-byte option 43 split 255 + 45, and user-class (77) sent
# in two pieces with another option between them.
v43 = bytes(i & 0xff for i in range(300))
opts = (bytes([53, 1, 1]) + bytes([43, 255]) + v43[:255] + bytes([77, 3]) + b"abc" +
        bytes([43, 45]) + v43[255:] + bytes([77, 2]) + b"de" + b"\xff")
write("split_discover.bin", Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
      IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
      BOOTP(op=1, chaddr=bytes.fromhex("02005e12000a") + b"\0" * 10, xid=0x01020304) /
      (b"\x63\x82\x53\x63" + opts))

# What net_build_udp4 must produce: TTL 64, id 0, DF clear, both checksums.
offer = (BOOTP(op=2, xid=0x477bd750, yiaddr="198.18.0.10",
               chaddr=bytes.fromhex("02005e12000a") + b"\0" * 10) /
         DHCP(options=[("message-type", "offer"), ("server_id", "198.18.0.1"),
                       ("lease_time", 3600), "end"]))
write("built_offer.bin", Ether(src=SERVER, dst=CLIENT) /
      IP(src="198.18.0.1", dst="198.18.0.10", ttl=64, id=0, flags=0, tos=0) /
      UDP(sport=67, dport=68) / raw(offer))
# An odd-length payload exercises the checksum's padding byte.
write("built_odd.bin", Ether(src=SERVER, dst=CLIENT) /
      IP(src="198.18.0.1", dst="198.18.0.10", ttl=64, id=0, flags=0, tos=0) /
      UDP(sport=67, dport=68) / (b"peregrine" * 3))

# IPv4 header with options (IHL 6) and a UDP checksum of zero (none).
f = Ether(src=RELAY, dst=SERVER) / IP(src="198.18.1.1", dst="198.18.0.1",
                                      options=b"\x94\x04\x00\x00") / UDP(sport=67, dport=67, chksum=0) / b"hello"
write("ip_options_nocsum.bin", f)

# ARP: a request for 198.18.0.1 and the reply the engine must send.
write("arp_request.bin", Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
      ARP(op=1, hwsrc=CLIENT, psrc="198.18.0.10", hwdst="00:00:00:00:00:00",
          pdst="198.18.0.1"))
write("arp_reply.bin", Ether(src=SERVER, dst=CLIENT) /
      ARP(op=2, hwsrc=SERVER, psrc="198.18.0.1", hwdst=CLIENT, pdst="198.18.0.10"))
