#!/usr/bin/python3
"""Forge ESP packets with scapy (an independent ESP implementation) for test_transport.sh.

    esp_inject.py KEYFILE SPI SRC DST SEQ KIND [udp]

KIND: policy  -- a valid ESP packet whose inner packet (UDP to port 9999) lies outside the SA's
                 selectors (tcp port 80): the receiver must drop it after decryption
                 (RFC 4301 5.2);
      replay  -- a valid TCP port-80 packet, sent twice with the same sequence number: the
                 second copy must be dropped by the anti-replay window (RFC 4303 3.4.3);
      tamper  -- a valid packet with one ciphertext bit flipped: ICV failure.
With "udp" the packets are ESP in UDP, ports 4500 (RFC 3948).
The key file holds 0x-hex: AES-GCM-128 key and 4-octet salt (RFC 4106 8.1).
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, IPv6, TCP, UDP, Raw, send
from scapy.layers.ipsec import ESP, SecurityAssociation


def main():
    keyfile, spi, src, dst, seq, kind = sys.argv[1:7]
    key = bytes.fromhex(open(keyfile).read().strip()[2:])
    sa = SecurityAssociation(ESP, spi=int(spi, 0), crypt_algo="AES-GCM", crypt_key=key)
    ipcls = IPv6 if ":" in src else IP
    if kind == "policy":
        inner = ipcls(src=src, dst=dst) / UDP(sport=5000, dport=9999) / Raw(b"x" * 32)
    else:
        inner = ipcls(src=src, dst=dst) / TCP(sport=40000, dport=80, flags="A") / Raw(b"y" * 32)
    pkt = sa.encrypt(inner, seq_num=int(seq))
    if kind == "tamper":
        raw = bytearray(bytes(pkt))
        raw[-20] ^= 1  # inside the ciphertext, in front of the 16-octet ICV
        pkt = ipcls(bytes(raw))
    if sys.argv[7:8] == ["udp"]:
        # Built by hand: scapy 2.5's nat_t_header leaves the UDP length at 8.
        pkt = ipcls(src=src, dst=dst) / UDP(sport=4500, dport=4500) / Raw(bytes(pkt[ESP]))
    send(pkt, verbose=False)
    if kind == "replay":
        send(pkt, verbose=False)


if __name__ == "__main__":
    main()
