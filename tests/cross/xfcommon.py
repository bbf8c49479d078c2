"""Shared helpers for the scapy cross-checks of esprit's ESP/AH transforms.

The tests drive esprit through tests/tools/xftool ($ESPRIT_BUILD/tools/xftool): one hex packet
per line in, one hex packet (or "DROP <reason>") per line out. scapy (Debian 12: 2.5.0) and
python3-cryptography are the independent implementations esprit is checked against.
"""
import logging
import os
import subprocess
import sys
import traceback

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("ESPRIT_BUILD", os.path.join(ROOT, "build", "cross"))
XFTOOL = os.path.join(BUILD, "tools", "xftool")


def xftool(cmd, cfg, packets, extra=()):
    """Run xftool once over `packets` (bytes); returns one bytes or 'DROP reason' str each."""
    args = [XFTOOL, cmd, "--proto", cfg["proto"], "--mode", cfg["mode"],
            "--spi", hex(cfg["spi"])]
    if cfg.get("encr"):
        args += ["--encr", cfg["encr"], "--key", cfg["key"].hex()]
    if cfg.get("integ"):
        args += ["--integ", cfg["integ"]]
        if cfg.get("ikey"):
            args += ["--ikey", cfg["ikey"].hex()]
    if cfg.get("esn"):
        args.append("--esn")
    if cfg.get("src"):
        args += ["--src", cfg["src"], "--dst", cfg["dst"]]
    args += list(extra)
    inp = "".join(p.hex() + "\n" for p in packets)
    res = subprocess.run(args, input=inp, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise RuntimeError("xftool %s exited %d: %s" % (cmd, res.returncode,
                                                        res.stderr.strip()))
    out = []
    for line in res.stdout.splitlines():
        out.append(line if line.startswith("DROP") else bytes.fromhex(line))
    if len(out) != len(packets):
        raise RuntimeError("xftool returned %d lines for %d packets" % (len(out), len(packets)))
    return out


def xftool_raw(args, stdin=""):
    """Run xftool with explicit arguments; returns (returncode, stdout, stderr)."""
    res = subprocess.run([XFTOOL] + list(args), input=stdin, capture_output=True, text=True,
                         timeout=60)
    return res.returncode, res.stdout, res.stderr


def ipv4_checksum_ok(pkt):
    """RFC 791: the one's complement sum over the header is 0xffff."""
    ihl = (pkt[0] & 15) * 4
    s = 0
    for i in range(0, ihl, 2):
        s += pkt[i] << 8 | pkt[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff


def hexdiff(a, b):
    if not isinstance(a, bytes) or not isinstance(b, bytes):
        return "got %r" % (a,)
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return "first difference at byte %d (len %d vs %d)\n  got  %s\n  want %s" % (
                i, len(a), len(b), a[max(0, i - 8):i + 24].hex(), b[max(0, i - 8):i + 24].hex())
    return "lengths differ: %d vs %d" % (len(a), len(b))


class Tally:
    """Counts checks; every check prints one line so a failure names its case."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def check(self, case, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % case)
        else:
            self.failed += 1
            print("FAIL %s%s" % (case, ("\n     " + detail) if detail else ""))
        return ok

    def skip(self, case, why):
        """A case esprit declines on purpose (a documented limit): neither pass nor fail."""
        self.skipped += 1
        print("skip %s (%s)" % (case, why))

    def run(self, case, fn, *args):
        """Run fn(*args); an exception counts as one failure of `case`."""
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - any error is a failed case
            self.failed += 1
            print("FAIL %s: %s: %s" % (case, type(e).__name__, e))
            traceback.print_exc(limit=3, file=sys.stdout)

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed) +
              (" (%d skipped)" % self.skipped if self.skipped else ""))
        if not os.path.exists(XFTOOL):
            print("(xftool not found at %s)" % XFTOOL)
        sys.exit(1 if self.failed or not self.passed else 0)
