#!/usr/bin/python3
"""Regenerate the seed corpora fuzz/corpus/esp and fuzz/corpus/ah with xftool.

Each seed is one byte selecting the fuzzer's SA (see the tables in fuzz/fuzz_esp.c and
fuzz/fuzz_ah.c; keep SAS below in step with them) followed by a packet that SA accepts, so
the fuzzers start past the SPI lookup and the ICV check. Seeds with the top bit of the first
byte set carry plaintext packets for the harnesses' encap -> decap round trip.

  ESPRIT_BUILD=build/cross /usr/bin/python3 tests/cross/gen_fuzz_corpus.py
"""
import os
import sys

from xfcommon import ROOT, xftool

from scapy.all import IP, IPv6, UDP, TCP, ICMP, Raw, raw
from scapy.layers.inet6 import IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, HBHOptUnknown, RouterAlert

KEY = bytes(range(1, 65))       # encryption keys: 01 02 03 ...
IKEY = bytes(range(0x81, 0xc1))  # integrity keys: 81 82 83 ...

# proto, spi, mode, esn, encr, key bytes, integ, ikey bytes, src, dst (as in the C tables)
SAS = {
    "esp": [
        (0x100, "transport", False, "aes-gcm-16", 20, None, 0, "192.0.2.1", "192.0.2.2"),
        (0x101, "transport", True, "aes-cbc", 16, "hmac-sha2-256-128", 32, "2001:db8::1",
         "2001:db8::2"),
        (0x102, "tunnel", True, "chacha20-poly1305", 36, None, 0, "198.51.100.1",
         "198.51.100.2"),
        (0x103, "tunnel", False, "null", 0, "hmac-sha1-96", 20, "2001:db8:ffff::1",
         "2001:db8:ffff::2"),
        (0x104, "tunnel", True, "aes-gcm-16", 36, None, 0, "2001:db8:ffff::1",
         "2001:db8:ffff::3"),
        (0x105, "transport", False, "aes-cbc", 32, "hmac-sha2-512-256", 64, "192.0.2.1",
         "192.0.2.5"),
        (0x106, "tunnel", False, "aes-cbc", 24, "hmac-sha2-384-192", 48, "198.51.100.1",
         "198.51.100.6"),
        (0x107, "transport", True, "aes-gcm-8", 20, None, 0, "2001:db8::1", "2001:db8::7"),
    ],
    "ah": [
        (0x200, "transport", False, None, 0, "hmac-sha1-96", 20, "192.0.2.1", "192.0.2.2"),
        (0x201, "transport", True, None, 0, "hmac-sha2-256-128", 32, "2001:db8::1",
         "2001:db8::2"),
        (0x202, "tunnel", True, None, 0, "hmac-sha2-384-192", 48, "198.51.100.1",
         "198.51.100.2"),
        (0x203, "tunnel", False, None, 0, "hmac-sha2-512-256", 64, "2001:db8:ffff::1",
         "2001:db8:ffff::2"),
        (0x204, "transport", False, None, 0, "hmac-sha1-96", 20, "2001:db8::1", "2001:db8::4"),
        (0x205, "transport", True, None, 0, "hmac-sha2-512-256", 64, "192.0.2.1",
         "192.0.2.5"),
    ],
}


def plaintexts(fam, dst):
    """A few packets of the SA's family (transport) with extension headers and odd sizes."""
    if fam == 4:
        base = IP(src="192.0.2.1", dst=dst, tos=0x10, ttl=33, flags="DF")
        return [raw(base / UDP(sport=1, dport=2) / Raw(b"x" * n)) for n in (0, 3, 61)] + \
            [raw(base / TCP(sport=3, dport=143, flags="S")), raw(base / ICMP() / b"ping")]
    base = IPv6(src="2001:db8::1", dst=dst, tc=0x20, fl=7, hlim=5)
    dopt = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x3e, optdata=b"\x01\x02")])
    return [raw(base / UDP(sport=1, dport=2) / Raw(b"y" * n)) for n in (0, 5, 77)] + \
        [raw(base / dopt / TCP(sport=3, dport=80, flags="S")),
         raw(base / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / dopt / UDP() / b"z")]


def main():
    written = 0
    for proto, table in SAS.items():
        outdir = os.path.join(ROOT, "fuzz", "corpus", proto)
        os.makedirs(outdir, exist_ok=True)
        for sel, (spi, mode, esn, encr, klen, integ, iklen, src, dst) in enumerate(table):
            cfg = {"proto": proto, "mode": mode, "spi": spi, "esn": esn}
            if encr:
                cfg["encr"], cfg["key"] = encr, KEY[:klen]
            if integ:
                cfg["integ"], cfg["ikey"] = integ, IKEY[:iklen]
            fam = 6 if ":" in dst else 4
            if mode == "tunnel":
                cfg["src"], cfg["dst"] = src, dst
                pkts = plaintexts(4, "192.0.2.9")[:3] + plaintexts(6, "2001:db8::9")[:3]
            else:
                pkts = plaintexts(fam, dst)
            out = xftool("encap", cfg, pkts)
            for i, (p, o) in enumerate(zip(pkts, out)):
                if not isinstance(o, bytes):
                    sys.exit("gen_fuzz_corpus: %s SA %#x refused seed %d: %s" % (proto, spi, i, o))
                for name, blob in (("%s-sa%d-%s-%d" % (proto, sel, mode, i), bytes([sel]) + o),
                                   ("%s-sa%d-plain-%d" % (proto, sel, i),
                                    bytes([0x80 | sel]) + p)):
                    with open(os.path.join(outdir, name), "wb") as f:
                        f.write(blob)
                    written += 1
    print("gen_fuzz_corpus: %d seeds written" % written)


main()
