#!/usr/bin/python3
"""Check espritd's packets on the wire with scapy, an independent ESP/AH implementation.

    esp_verify.py PCAP KEYFILE SPI [udp] [ah] [tunnel]

Every packet of the SA (SPI) in the capture must verify and decrypt with the key (AES-GCM-128
RFC 4106, or AH HMAC-SHA2-256-128 RFC 4302 / RFC 4868) and hold TCP with port 80 on one side;
ESP in UDP (RFC 3948) is taken from UDP port 4500. Prints the counts; exits 1 on any failure
or when the capture holds no packet of the SA.
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, IPv6, TCP, UDP, rdpcap  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402


def main():
    pcap, keyfile, spi = sys.argv[1:4]
    opts = set(sys.argv[4:])
    spi = int(spi, 0)
    key = bytes.fromhex(open(keyfile).read().strip()[2:])
    ok = bad = tcp80 = 0
    for pkt in rdpcap(pcap):
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        if ip is None:
            continue
        ipcls = type(ip)
        if "udp" in opts:
            if UDP not in ip or ip[UDP].dport != 4500 or len(ip[UDP].payload) < 8:
                continue
            esp = bytes(ip[UDP].payload)
            if esp[:4] == b"\0\0\0\0":
                continue
            fields = {"proto": 50} if ipcls is IP else {"nh": 50}
            ip = ipcls(src=ip.src, dst=ip.dst, **fields) / ESP(esp)
            ip = ipcls(bytes(ip))
        layer = AH if "ah" in opts else ESP
        if layer not in ip or ip[layer].spi != spi:
            continue
        tunnel = ipcls(src=ip.src, dst=ip.dst) if "tunnel" in opts else None
        if "ah" in opts:
            sa = SecurityAssociation(AH, spi=spi, auth_algo="SHA2-256-128", auth_key=key,
                                     tunnel_header=tunnel)
        else:
            sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key,
                                     tunnel_header=tunnel)
        try:
            inner = sa.decrypt(ip)
        except Exception:  # ICV mismatch, bad padding: the packet is not what RFC says
            bad += 1
            continue
        ok += 1
        inner = type(inner)(bytes(inner))  # scapy leaves the payload of AH undissected
        if TCP in inner and 80 in (inner[TCP].sport, inner[TCP].dport):
            tcp80 += 1
    print(f"{ok} verified, {bad} failed, {tcp80} carry TCP port 80")
    return 0 if ok > 0 and bad == 0 and tcp80 == ok else 1


if __name__ == "__main__":
    sys.exit(main())
