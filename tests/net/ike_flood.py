#!/usr/bin/python3
"""IKE_SA_INIT flood from spoofed source addresses, for the COOKIE test (RFC 7296 2.6).

    ike_flood.py IFACE DST SRC_PREFIX COUNT RATE OUT_JSON

Sends COUNT IKE_SA_INIT requests to DST:500 at RATE per second, the i-th from address
SRC_PREFIX.<1 + i % 250> (an IPv4 /24 prefix such as 10.12.1) with source port 500. Each
request is well formed so that a responder without cookies would keep state for it: one IKE
proposal (ENCR_AES_GCM_16 256, PRF_HMAC_SHA2_256, group 31 Curve25519, RFC 7296 3.3), a KE
payload with a fresh X25519 public value (python3-cryptography), a 32-octet nonce. The message
octets are written here from RFC 7296 3.1-3.9, not by the implementation under test.

While sending, it sniffs IFACE for the responder's answers (UDP from DST port 500 to the
spoofed addresses, which the test routes back to this host) and classifies them by the first
payload: SA (a full IKE_SA_INIT response: state kept), N(COOKIE, type 16390), other N.
Writes {"sent", "answered_full", "answered_cookie", "answered_other", "sources"} to OUT_JSON.
"""
import json
import os
import struct
import sys
import threading
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from scapy.all import IP, UDP, AsyncSniffer, Raw, conf

# RFC 7296 3.2 payload types, 3.1 exchange type, 3.3.2 transform types and IDs, 3.10.1 notify
PL_SA, PL_KE, PL_NONCE, PL_N = 33, 34, 40, 41
EXCH_IKE_SA_INIT = 34
N_COOKIE = 16390


def payload(next_pl, body):
    return struct.pack("!BBH", next_pl, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def ike_sa_init(spi_i):
    xfs = (transform(False, 1, 20, struct.pack("!HH", 0x800E, 256))  # ENCR_AES_GCM_16, 256
           + transform(False, 2, 5)  # PRF_HMAC_SHA2_256
           + transform(True, 4, 31))  # Curve25519
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(xfs), 1, 1, 0, 3) + xfs
    pub = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                PublicFormat.Raw)
    body = (payload(PL_KE, prop) + payload(PL_NONCE, struct.pack("!HH", 31, 0) + pub)
            + payload(0, os.urandom(32)))
    hdr = struct.pack("!8s8sBBBBII", spi_i, bytes(8), PL_SA, 0x20, EXCH_IKE_SA_INIT, 0x08, 0,
                      28 + len(body))
    return hdr + body


def classify(pkt, counts):
    if UDP not in pkt:
        return
    msg = bytes(pkt[UDP].payload)  # scapy may have dissected it as ISAKMP: take the octets
    if len(msg) < 28:
        return
    first = msg[16]
    if first == PL_SA:
        counts["answered_full"] += 1
    elif first == PL_N and len(msg) >= 36 and struct.unpack("!H", msg[34:36])[0] == N_COOKIE:
        counts["answered_cookie"] += 1
    else:
        counts["answered_other"] += 1


def main():
    iface, dst, prefix, count, rate, out = sys.argv[1:7]
    count, rate = int(count), float(rate)
    conf.verb = 0
    counts = {"sent": 0, "answered_full": 0, "answered_cookie": 0, "answered_other": 0}
    # The first answers are the full ones the test looks for, so nothing is sent before the
    # capture socket is open: compiling the filter and opening the socket took more than the
    # half second once allowed for it while the sanitizer build's tests ran beside it.
    capturing = threading.Event()
    sniffer = AsyncSniffer(iface=iface, store=False,
                           filter=f"udp and src host {dst} and src port 500",
                           prn=lambda p: classify(p, counts),
                           started_callback=capturing.set)
    sniffer.start()
    if not capturing.wait(30):
        sys.exit("ike_flood: the capture on %s did not start within 30 s" % iface)
    sources = set()
    sock = conf.L3socket(iface=iface)
    start = time.monotonic()
    for i in range(count):
        src = f"{prefix}.{1 + i % 250}"
        sources.add(src)
        msg = ike_sa_init(os.urandom(8))
        sock.send(IP(src=src, dst=dst) / UDP(sport=500, dport=500) / Raw(msg))
        counts["sent"] += 1
        delay = start + (i + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    sock.close()
    time.sleep(2.0)  # the last answers, read by a sniffer that may lag under load
    sniffer.stop()
    counts["sources"] = len(sources)
    with open(out, "w", encoding="ascii") as f:
        json.dump(counts, f)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
