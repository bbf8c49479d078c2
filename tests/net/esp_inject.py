#!/usr/bin/python3
"""Forge ESP/AH packets with scapy (an independent implementation) for test_transport.sh.

    esp_inject.py KEYFILE SPI SRC DST SEQ KIND [udp] [ah] [tunnel]

KIND: policy  -- a valid packet whose inner packet (UDP to port 9999) lies outside the SA's
                 selectors (tcp port 80): the receiver must drop it after verification
                 (RFC 4301 5.2);
      replay  -- a valid TCP port-80 packet, sent twice with the same sequence number: the
                 second copy must be dropped by the anti-replay window (RFC 4303 3.4.3,
                 RFC 4302 3.4.3);
      tamper  -- a valid packet with one bit flipped near its end: ICV failure.
Options: udp -- ESP in UDP, ports 4500 (RFC 3948); ah -- AH with HMAC-SHA2-256-128 (key file:
32 octets) instead of ESP with AES-GCM-128 (key file: key and 4-octet salt, RFC 4106 8.1);
tunnel -- tunnel mode with SRC/DST as the outer addresses too.
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, IPv6, TCP, UDP, Raw, send  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402


def main():
    keyfile, spi, src, dst, seq, kind = sys.argv[1:7]
    opts = set(sys.argv[7:])
    key = bytes.fromhex(open(keyfile).read().strip()[2:])
    ipcls = IPv6 if ":" in src else IP
    tunnel = ipcls(src=src, dst=dst) if "tunnel" in opts else None
    if "ah" in opts:
        sa = SecurityAssociation(AH, spi=int(spi, 0), auth_algo="SHA2-256-128", auth_key=key,
                                 tunnel_header=tunnel)
    else:
        sa = SecurityAssociation(ESP, spi=int(spi, 0), crypt_algo="AES-GCM", crypt_key=key,
                                 tunnel_header=tunnel)
    if kind == "policy":
        inner = ipcls(src=src, dst=dst) / UDP(sport=5000, dport=9999) / Raw(b"x" * 32)
    else:
        inner = ipcls(src=src, dst=dst) / TCP(sport=40000, dport=80, flags="A") / Raw(b"y" * 32)
    pkt = sa.encrypt(inner, seq_num=int(seq))
    if kind == "tamper":
        raw = bytearray(bytes(pkt))
        raw[-20] ^= 1  # ESP: ciphertext in front of the 16-octet ICV; AH: the payload
        pkt = ipcls(bytes(raw))
    if "udp" in opts:
        # Built by hand: scapy 2.5's nat_t_header leaves the UDP length at 8.
        pkt = ipcls(src=src, dst=dst) / UDP(sport=4500, dport=4500) / Raw(bytes(pkt[ESP]))
    send(pkt, verbose=False)
    if kind == "replay":
        send(pkt, verbose=False)


if __name__ == "__main__":
    main()
