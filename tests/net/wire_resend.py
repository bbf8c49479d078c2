#!/usr/bin/python3
"""Re-send captured ESP/AH packets of one SA from a third host (for the replay/tamper tests).

    wire_resend.py PCAP IFACE DSTMAC SRC DST SPI [--seq-add N] [--flip OFFSET] [--min-len L]
                   [--max N]

Takes every packet of SPI from SRC to DST in PCAP -- AH (protocol 51), ESP (50) or ESP in UDP
on port 4500 (RFC 3948) -- and sends it again unchanged, as an Ethernet frame out of IFACE to
DSTMAC (the receiver's MAC; the source MAC is IFACE's own, so the switch's tables stay right).
--seq-add N   adds N to the 32-bit sequence number (RFC 4303 2.2 / RFC 4302 2.5), so the copy
              is new to the anti-replay window; without the key it cannot carry a valid ICV.
--flip OFFSET flips the low bit of the octet at OFFSET from the start of the IP packet (OFFSET
              must lie behind the ESP/AH header: payload or ICV, never the IP header).
--min-len L   only packets whose IP packet is at least L octets long.
--max N       at most N packets (the first N).
UDP checksums are always recomputed: a capture on a veth holds what the sender's checksum
offload left there (a partial sum), which a receiver checks when the copy comes from a packet
socket; and a changed packet needs a new one (IPv6 forbids a zero checksum). Prints the number
of packets sent; exits 1 if there was none.
"""
import argparse
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, UDP, Ether, IPv6, Raw, rdpcap, sendp  # noqa: E402


def sa_offset(ip):
    """Offsets in the IP packet of the SPI and the sequence number of ESP/AH, or None."""
    raw = bytes(ip)
    if isinstance(ip, IP):
        hl, proto = (raw[0] & 0x0F) * 4, raw[9]
    else:
        hl, proto = 40, raw[6]
    if proto == 17 and len(raw) >= hl + 16:
        dport = int.from_bytes(raw[hl + 2:hl + 4], "big")
        if dport != 4500 or raw[hl + 8:hl + 12] == b"\0\0\0\0":
            return None
        return hl + 8, hl + 12  # ESP after the UDP header: SPI, then sequence number
    if proto == 50:
        return hl, hl + 4
    if proto == 51:
        return hl + 4, hl + 8  # next header, length, reserved, SPI, sequence number
    return None


def main():
    ap = argparse.ArgumentParser()
    for a in ("pcap", "iface", "dstmac", "src", "dst", "spi"):
        ap.add_argument(a)
    ap.add_argument("--seq-add", type=int, default=0)
    ap.add_argument("--flip", type=int, default=-1)
    ap.add_argument("--min-len", type=int, default=0)
    ap.add_argument("--max", type=int, default=0)
    o = ap.parse_args()
    spi = int(o.spi, 0)
    # The source MAC is IFACE's own: scapy leaves it zero for an Ether over Raw, and a bridge
    # drops frames from 00:00:00:00:00:00.
    with open(f"/sys/class/net/{o.iface}/address") as f:
        srcmac = f.read().strip()
    frames = []
    for pkt in rdpcap(o.pcap):
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        if ip is None or ip.src != o.src or ip.dst != o.dst:
            continue
        off = sa_offset(ip)
        raw = bytearray(bytes(ip))
        if off is None or len(raw) < o.min_len:
            continue
        spi_off, seq_off = off
        if int.from_bytes(raw[spi_off:spi_off + 4], "big") != spi:
            continue
        if o.seq_add:
            seq = (int.from_bytes(raw[seq_off:seq_off + 4], "big") + o.seq_add) & 0xFFFFFFFF
            raw[seq_off:seq_off + 4] = seq.to_bytes(4, "big")
        if o.flip >= 0:
            if o.flip <= seq_off + 3 or o.flip >= len(raw):
                sys.exit(f"--flip {o.flip} outside the payload of a {len(raw)}-octet packet")
            raw[o.flip] ^= 1
        new = type(ip)(bytes(raw))
        if UDP in new:
            del new[UDP].chksum
            new = type(ip)(bytes(new))
        frames.append(Ether(src=srcmac, dst=o.dstmac) / Raw(bytes(new)))
        if o.max and len(frames) == o.max:
            break
    # Ether's type is taken from the payload's version: set it, the payload is Raw.
    for f in frames:
        f.type = 0x0800 if bytes(f[Raw])[0] >> 4 == 4 else 0x86DD
    if frames:
        sendp(frames, iface=o.iface, verbose=False)
    print(len(frames))
    return 0 if frames else 1


if __name__ == "__main__":
    sys.exit(main())
