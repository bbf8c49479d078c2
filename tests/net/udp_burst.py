#!/usr/bin/python3
"""Small UDP datagrams in back-to-back bursts, every one accounted for (test_gro_udp.sh).

  udp_burst.py recv ADDR PORT            until a FIN: JSON summary on stdout
  udp_burst.py send ADDR PORT BURSTS     BURSTS bursts of 32 datagrams, then FIN

Datagram i carries its number (4 octets, big-endian) and then octets (i * 13 + k) & 0xff; it
is SIZE octets long, the last of each burst SHORT (so a merged burst has a shorter last).
A burst leaves the sender in one sendmsg with UDP_SEGMENT (the kernel cuts it before the TUN,
so espritd reads the whole burst at once, as from a fast application). After each burst the sender asks which of its datagrams arrived and sends the missing ones
again (UDP may lose some on a loaded machine), so in the end every one arrives; the receiver
checks each datagram's length and content (a merged or wrongly cut datagram fails both).
"""
import json
import socket
import struct
import sys

SIZE, SHORT, PER = 64, 40, 32
ASK, FIN = 0xFFFFFFFF, 0xFFFFFFFE
SOL_UDP, UDP_SEGMENT = 17, 103  # linux/udp.h


def payload(i):
    n = SHORT if i % PER == PER - 1 else SIZE
    return i.to_bytes(4, "big") + bytes((i * 13 + k) & 0xFF for k in range(n - 4))


def sock(addr, port, bind):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if bind:
        s.bind((addr, port))
    return s


def recv(addr, port):
    s = sock(addr, port, True)
    got, bad, dup = set(), 0, 0
    while True:
        d, peer = s.recvfrom(65536)
        n = int.from_bytes(d[:4], "big") if len(d) >= 4 else None
        if n == ASK and len(d) == 8:
            b = int.from_bytes(d[4:], "big")
            have = sum(1 << k for k in range(PER) if b * PER + k in got)
            s.sendto(d + have.to_bytes(4, "big"), peer)
        elif n == FIN and len(d) == 4:
            s.sendto(d, peer)
            print(json.dumps({"received": len(got), "bad": bad, "dup": dup}))
            return
        elif n is None or d != payload(n):
            bad += 1
        elif n in got:
            dup += 1
        else:
            got.add(n)


def ask(s, dst, msg, tries=60):
    """Send msg until the receiver echoes it (0.5 s apart); the reply's tail."""
    for _ in range(tries):
        s.sendto(msg, dst)
        try:
            while True:
                r = s.recv(64)
                if r[: len(msg)] == msg:
                    return r[len(msg) :]
        except socket.timeout:
            continue
    sys.exit("no answer from the receiver")


def send(addr, port, bursts):
    s = sock(addr, port, False)
    s.settimeout(0.5)
    dst = (addr, port)
    resent = 0
    for b in range(bursts):
        # The first burst lacks its first datagram: the resend path is always taken once.
        skip = 1 if b == 0 else 0
        burst = b"".join(payload(i) for i in range(b * PER + skip, (b + 1) * PER))
        s.sendmsg([burst], [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", SIZE))], 0, dst)
        missing = [b * PER] if skip else []
        for _ in range(60):
            for i in missing:
                s.sendto(payload(i), dst)
            have = int.from_bytes(ask(s, dst, ASK.to_bytes(4, "big") + b.to_bytes(4, "big")), "big")
            missing = [b * PER + k for k in range(PER) if not have >> k & 1]
            if not missing:
                break
            resent += len(missing)
        else:
            sys.exit(f"burst {b} never arrived whole, missing {missing}")
    ask(s, dst, FIN.to_bytes(4, "big"))
    print(json.dumps({"sent": bursts * PER, "resent": resent}))


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
