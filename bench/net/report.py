#!/usr/bin/python3
"""bench/net/report.py RESULTS [--doc MD --png PNG]: the table of bench/net/run.

RESULTS holds the RESULT/SKIP/FAIL lines of the per-tunnel scripts (format in lib.sh). Prints
one row per tunnel: mean TCP Gbit/s, mean 64-byte UDP kpps (with iperf3's default socket
buffers and with 4 MiB ones), tunnel CPU % during TCP, and the ratios to plain veth and to each
anchor. With --doc, the generated part of the
Markdown file (between the bench markers; the rest is kept) is rewritten with the date, CPU,
kernel and tool versions; with --png, gnuplot draws the two bar charts.
"""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

ANCHORS = [("veth", "veth"), ("strongswan", "strongSwan"), ("wireguard-go", "wireguard-go"),
           ("openvpn", "OpenVPN")]
BEGIN = "<!-- bench/net/run: generated from here -->"
END = "<!-- bench/net/run: generated up to here -->"


def parse(path):
    rows, order, notes = {}, [], []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "RESULT" and len(f) in (8, 10) and f[3] in ("tcp", "udp", "udpbuf"):
            name, mode = f[1], f[3]
            if name not in rows:
                rows[name] = {"tcp": [], "udp": [], "udpbuf": []}
                order.append(name)
            # UDP lines add kpps sent and kpps dropped by full sockets at the receiver
            rows[name][mode].append(tuple(float(x) for x in (f[4:] + ["0", "0"])[:6]))
        elif f[0] in ("SKIP", "FAIL"):
            notes.append(line.strip())
    return rows, order, notes


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def spread(out, key, xs):
    """out[key] = mean of xs, out[key_min] / out[key_max] = its extremes (0 without runs)."""
    out[key] = mean(xs)
    out[key + "_min"] = min(xs, default=0)
    out[key + "_max"] = max(xs, default=0)


def summary(rows):
    out = {}
    for name, r in rows.items():
        s = {
            "cpu": mean([x[1] for x in r["tcp"]]),
            "mach": mean([x[2] for x in r["tcp"]]),
            "retr": mean([x[3] for x in r["tcp"]]),
            "loss": mean([x[3] for x in r["udp"]]),
            "sent": mean([x[4] for x in r["udp"]]),
            "drops": mean([x[5] for x in r["udp"]]),
            "ubuf_sent": mean([x[4] for x in r["udpbuf"]]),
            "ubuf_drops": mean([x[5] for x in r["udpbuf"]]),
            "n": len(r["tcp"]),
        }
        for key, mode in (("tcp", "tcp"), ("udp", "udp"), ("ubuf", "udpbuf")):
            spread(s, key, [x[0] for x in r[mode]])
        out[name] = s
    return out


def ratio(a, b):
    return "%.2f" % (a / b) if b > 0 else "-"


def table(s, order, md):
    anchors = [(k, t) for k, t in ANCHORS if k in s]
    head = ["tunnel", "TCP Gbit/s", "UDP kpps", "UDP sent / socket drops", "UDP kpps 4 MiB",
            "4 MiB sent / socket drops", "CPU %"] + ["x " + t for _, t in anchors]
    lines = []
    for name in order:
        r = s[name]
        udp_more = "%.0f / %.0f" % (r["sent"], r["drops"])
        ubuf_more = "%.0f / %.0f" % (r["ubuf_sent"], r["ubuf_drops"])
        if md:
            row = [name, "%.3f (%.3f-%.3f)" % (r["tcp"], r["tcp_min"], r["tcp_max"]),
                   "%.1f (%.1f-%.1f)" % (r["udp"], r["udp_min"], r["udp_max"]), udp_more,
                   "%.1f (%.1f-%.1f)" % (r["ubuf"], r["ubuf_min"], r["ubuf_max"]), ubuf_more,
                   "%.0f" % r["cpu"]]
        else:
            row = [name, "%.3f" % r["tcp"], "%.1f" % r["udp"], udp_more, "%.1f" % r["ubuf"],
                   ubuf_more, "%.0f" % r["cpu"]]
        row += ["%s / %s / %s" % (ratio(r["tcp"], s[k]["tcp"]), ratio(r["udp"], s[k]["udp"]),
                                  ratio(r["ubuf"], s[k]["ubuf"])) for k, _ in anchors]
        lines.append(row)
    if md:
        txt = "| " + " | ".join(head) + " |\n|" + " --- |" * len(head) + "\n"
        return txt + "".join("| " + " | ".join(r) + " |\n" for r in lines)
    w = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join("%-" + str(n) + "s" for n in w)
    return "".join((fmt % tuple(r)).rstrip() + "\n" for r in [head] + lines)


def cmd(*argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not installed"


def environment(top):
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return [
        ("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        ("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)),
        ("load average before the report", open("/proc/loadavg").read().split(" ")[0]),
        ("kernel", platform.release()),
        ("esprit", cmd("git", "-C", top, "describe", "--always", "--dirty")),
        ("OpenSSL", cmd("openssl", "version")),
        ("iperf3", cmd("iperf3", "--version")),
        ("strongSwan", cmd("/usr/lib/ipsec/charon", "--version")),
        ("wireguard-go", cmd("wireguard-go", "--version")),
        ("OpenVPN", cmd("openvpn", "--version")),
        ("gnuplot", cmd("gnuplot", "--version")),
    ]


def write_doc(path, s, order, notes, args):
    top = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    gen = [BEGIN, "", "## Results of the last `make bench`", ""]
    gen += ["- %s: %s" % kv for kv in environment(top)]
    gen += ["- runs: %d x %d s TCP (iperf3, one stream), %d x %d s UDP (iperf3 -u -l 64 -b 0) and"
            " %d x %d s the same UDP with 4 MiB socket buffers (-w 4M) per tunnel, both"
            " namespaces on the same cores" % ((args.repeat, args.seconds) * 3), ""]
    gen += [table(s, order, True)]
    gen += ["Ratios are TCP / UDP / UDP with 4 MiB buffers. UDP sent / socket drops: kpps iperf3 "
            "sent, and kpps that reached a full UDP socket in the server's namespace and were "
            "dropped there (RcvbufErrors: carried, but not taken in time). "
            "CPU % is the tunnel's processes on both ends during the TCP "
            "runs (100 = one core). Compare within one run only: absolute numbers depend on the "
            "machine's load.", ""]
    if notes:
        gen += ["Not measured: " + "; ".join(notes), ""]
    if args.png:
        gen += ["![TCP Gbit/s and 64-byte UDP kpps per tunnel](benchmarks.png)", ""]
    gen += [END]
    old = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n%s\n%s\n" % (BEGIN, END)
    if BEGIN in old and END in old:
        pre, rest = old.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
    else:
        pre, post = old.rstrip("\n") + "\n\n", "\n"
    open(path, "w").write(pre + "\n".join(gen) + post)


def write_png(path, s, order):
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        with open(data, "w") as f:
            for n in order:
                f.write('"%s" %.4f %.2f %.2f\n' % (n, s[n]["tcp"], s[n]["udp"], s[n]["ubuf"]))
        gp = """
set terminal pngcairo size 1100,700 font ",10"
set output "%s"
set multiplot layout 2,1 title "esprit and the anchors, 2 namespaces on one veth"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by -20 noenhanced
set logscale y
set grid ytics
unset key
set ylabel "TCP Gbit/s (log)"
plot "%s" using 2:xtic(1) lc rgb "#3060a0"
set ylabel "UDP 64 B kpps (log)"
set key top right
plot "%s" using 3:xtic(1) title "default socket buffers" lc rgb "#a05030", \
     "" using 4 title "4 MiB socket buffers" lc rgb "#e0a040"
unset multiplot
""" % (path, data, data)
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--doc")
    ap.add_argument("--png")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    rows, order, notes = parse(args.results)
    s = summary(rows)
    print("== network: TCP one stream and 64-byte UDP through each tunnel "
          "(ratios TCP / UDP / UDP 4 MiB)")
    sys.stdout.write(table(s, order, False))
    for n in notes:
        print(n)
    if args.png and order:
        write_png(args.png, s, order)
    if args.doc:
        write_doc(args.doc, s, order, notes, args)
    return 0 if order else 1


if __name__ == "__main__":
    sys.exit(main())
