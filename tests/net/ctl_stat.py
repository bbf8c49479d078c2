#!/usr/bin/python3
"""Read one of espritd's counters from its control socket (for the net tests).

    ctl_stat.py SOCKET NAME      print the counter NAME (0 when the daemon lists none)
    ctl_stat.py --raw SOCKET REQ print the reply to REQ as it came

NAME: replay (Packets With Replay Detection), icv (Packets Not Authenticated: ICV failures),
bad_spi (Bad SPI Packets), policy (inner packet outside the SA's selectors); sa-in:SPI and
sa-out:SPI, the packets the inbound/outbound SA with that SPI carried (from the `sa` reply).

`esprit stats --json` is used when the CLI has it; otherwise the socket is asked directly
(AF_UNIX SOCK_SEQPACKET, one request, one reply). Both reply formats the daemon has had are
read: "KEY VALUE" lines of the versioned protocol (lib/ctlmsg.h: packets_replay_detected ...,
"drop in N REASON") and the first text replies ("drop inbound REASON: N").
"""
import json
import os
import re
import socket
import subprocess
import sys

# NAME -> (key of the Windows-named counters, reason text of the per-reason drop lines)
COUNTERS = {
    "replay": ("packets_replay_detected", "replay"),
    "icv": ("packets_not_authenticated", "ICV failure"),
    "bad_spi": ("bad_spi_packets", "unknown SPI"),
    "policy": (None, "inner packet outside SA selectors"),
}


def ask(path, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    s.send(req.encode())
    reply = s.recv(1 << 20).decode()
    s.close()
    return reply


def find_key(obj, key):
    """The first value named key anywhere in a JSON document."""
    if isinstance(obj, dict):
        if key in obj and isinstance(obj[key], int):
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def from_cli(path, key):
    cli = os.path.join(os.environ.get("ESPRIT_BUILD", ""), "esprit")
    if key is None or not os.access(cli, os.X_OK):
        return None
    env = dict(os.environ, ESPRIT_CONTROL=path)
    try:
        out = subprocess.run([cli, "stats", "--json"], env=env, capture_output=True,
                             timeout=10, check=True).stdout
        return find_key(json.loads(out), key)
    except (subprocess.SubprocessError, ValueError, OSError):
        return None


def from_socket(path, key, reason):
    text = ask(path, "stats")
    for line in text.splitlines():
        if key and line.startswith(key + " "):
            return int(line.split()[1])
    total = 0
    for line in text.splitlines():
        m = re.fullmatch(r"drop in (\d+) (.*)", line) or \
            re.fullmatch(r"drop inbound (.*): (\d+)", line)
        if not m:
            continue
        n, why = (m.group(1), m.group(2)) if line.startswith("drop in ") else \
            (m.group(2), m.group(1))
        if why == reason:
            total += int(n)
    return total


def sa_packets(path, direction, spi):
    """The packet count in the one-line summary of an SA ("sa in esp spi 0x... packets N")."""
    for line in ask(path, "sa").splitlines():
        m = re.match(r"sa (in|out) \S+ spi (0x[0-9a-f]+) .* packets (\d+)", line)
        if m and m.group(1) == direction and int(m.group(2), 16) == spi:
            return int(m.group(3))
    sys.exit(f"no {direction}bound SA with SPI {spi:#x}")


def main():
    if sys.argv[1] == "--raw":
        sys.stdout.write(ask(sys.argv[2], sys.argv[3]))
        return 0
    path, name = sys.argv[1:3]
    if name.startswith("sa-"):
        direction, spi = name[3:].split(":")
        print(sa_packets(path, direction, int(spi, 0)))
        return 0
    key, reason = COUNTERS[name]
    v = from_cli(path, key)
    if v is None:
        v = from_socket(path, key, reason)
    print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
