#!/usr/bin/python3
"""Replay a modified copy of a captured AH packet: what an attacker on the wire can do.

    tamper.py PCAP SRC

Takes the longest AH packet from SRC in PCAP (the one with the most data), flips one bit of
its data and moves its sequence number 1000 ahead (so the anti-replay window lets it through to
the ICV check, RFC 4302 3.4.3), and sends it unchanged otherwise. Without the key the ICV cannot
be recomputed: the receiver must reject it on its ICV (RFC 4302 3.4.4). Prints what it sent.
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, rdpcap, send  # noqa: E402
from scapy.layers.ipsec import AH  # noqa: E402


def main():
    pcap, src = sys.argv[1:3]
    # The longest packet: the one with the most application data (the request).
    pkts = [p for p in rdpcap(pcap) if p.haslayer(AH) and p[IP].src == src]
    if not pkts:
        print(f"no AH packet from {src} in the capture")
        return 1
    ip = max(pkts, key=len)[IP]
    raw = bytearray(bytes(ip))
    seq_off = ip.ihl * 4 + 8  # RFC 4302 2: next header, length, reserved, SPI, then sequence
    seq = int.from_bytes(raw[seq_off:seq_off + 4], "big") + 1000
    raw[seq_off:seq_off + 4] = seq.to_bytes(4, "big")
    raw[-1] ^= 0x20  # one bit of the last octet of application data
    send(IP(bytes(raw)), verbose=False)
    print(f"sent {len(raw)} octets, sequence number {seq}, last data octet changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
