# shellcheck shell=bash
# bench/net/lib.sh: sourced by the per-tunnel scripts in bench/net/. Two namespaces joined by
# one veth pair, a tunnel brought up by the sourcing script, then iperf3 through the tunnel.
#
#   ns A (client, iperf3 -c)                         ns B (server, iperf3 -s)
#   10.77.0.1 va ---------------------------------- vb 10.77.0.2
#   [tunnel address BN_INNER_A]                      [tunnel address BN_INNER_B]
#
# The sourcing script sets BN_KIND, defines bn_up (brings the tunnel up, sets BN_INNER_A/B to
# the addresses iperf3 uses and appends the tunnel's processes to BN_TPIDS) and calls bn_main.
# Output on stdout, one line per measurement (kpps only for udp, Gbit/s only for tcp):
#   RESULT <name> <run> tcp <Gbit/s> <tunnel CPU %> <machine CPU %> <retransmits>
#   RESULT <name> <run> udp <kpps received> <tunnel CPU %> <machine CPU %> <loss %> <kpps sent>
#          <kpps dropped by full sockets in B>
#   RESULT <name> <run> udpbuf ... (the same fields): the UDP run again with 4 MiB socket buffers
#          on both iperf3 ends (iperf3 -w 4M; bench/net/run raises net.core.rmem_max/wmem_max
#          for the run so that the kernel grants them)
# Tunnel CPU % is the user+system time of the tunnel's processes (both ends) over the run, 100 =
# one core; machine CPU % is every core's busy time from /proc/stat (includes other users of the
# machine). For UDP, kpps sent is iperf3's sender, and the last field counts datagrams that reached
# a UDP socket in the server's namespace and were dropped because its receive buffer was full
# (RcvbufErrors of /proc/net/snmp and snmp6 in B: iperf3's socket, or the tunnel's own): what the
# tunnel carried but the receiver had no CPU time to take. The udpbuf run shows how much of that
# is the receiving application's buffer: iperf3's default socket buffer (208 KiB) holds about 256
# such datagrams, a few milliseconds of traffic while four busy processes share two cores.
# Environment: BN_SECONDS (default 10), BN_REPEAT (default 2), BN_NAME (result name),
# ESPRIT_BUILD (esprit only). Everything created is removed on exit, also on failure or Ctrl-C.

set -uo pipefail

BN_SECONDS=${BN_SECONDS:-10}
BN_REPEAT=${BN_REPEAT:-2}
BN_UDP_BUF=4M # iperf3 -w of the udpbuf runs
BN_SFX=$$
BN_A=bn${BN_KIND:0:4}a$BN_SFX
BN_B=bn${BN_KIND:0:4}b$BN_SFX
BN_ADDR_A=10.77.0.1
BN_ADDR_B=10.77.0.2
BN_INNER_A=$BN_ADDR_A
BN_INNER_B=$BN_ADDR_B
BN_TMP=$(mktemp -d /tmp/bench-net.XXXXXX)
# What this run creates, named on stdout so that a caller (tests/net/test_bench_smoke.sh) can
# check exactly these are gone afterwards, even while other runs of the harness are going on.
echo "CREATED dir $BN_TMP"
BN_TPIDS=() # the tunnel's processes, measured for CPU and killed on exit
BN_PIDS=()  # helpers (iperf3 server), killed on exit
PY3=/usr/bin/python3

bn_log() { echo "bench/net/$BN_KIND: $*" >&2; }
bn_die() {
	bn_log "$*"
	exit 1
}
bn_skip() {
	bn_log "skipped: $*"
	exit 77
}

bn_cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${BN_PIDS[@]}" "${BN_TPIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BN_PIDS[@]}" "${BN_TPIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	declare -F bn_down >/dev/null && bn_down
	ip netns del "$BN_A" 2>/dev/null
	ip netns del "$BN_B" 2>/dev/null
	rm -rf "$BN_TMP"
}
trap bn_cleanup EXIT
trap 'exit 130' INT TERM

# bn_reach NS ADDR: a TCP SYN to port 9 of ADDR is answered (refused counts: the RST came back
# through the path). No ping on this machine.
bn_reach() {
	ip netns exec "$1" "$PY3" -c 'import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect((sys.argv[1], 9))
except ConnectionRefusedError:
    pass' "$2"
}

bn_wait_for() { # bn_wait_for SECONDS CMD...: poll until CMD succeeds
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

bn_topo() {
	local n
	for n in "$BN_A" "$BN_B"; do
		ip netns add "$n" || bn_die "cannot create namespace $n"
		echo "CREATED netns $n"
		ip -n "$n" link set lo up
	done
	ip link add va netns "$BN_A" type veth peer name vb netns "$BN_B" ||
		bn_die "cannot create the veth pair"
	ip -n "$BN_A" addr add $BN_ADDR_A/24 dev va
	ip -n "$BN_B" addr add $BN_ADDR_B/24 dev vb
	ip -n "$BN_A" link set va up
	ip -n "$BN_B" link set vb up
	bn_wait_for 5 bn_reach "$BN_A" $BN_ADDR_B || bn_die "no connection over the veth"
}

# Sum of utime+stime (clock ticks) of the tunnel's processes.
bn_proc_ticks() {
	local p t=0 f
	for p in "${BN_TPIDS[@]}"; do
		f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
		# after "pid (comm)": field 3 is state, utime and stime are fields 14 and 15
		t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
	done
	echo $t
}

# UDP datagrams dropped for a full receive buffer in namespace $1 (IPv4 and IPv6 sockets).
bn_rcvbuf_drops() {
	ip netns exec "$1" awk '$1 == "Udp:" && $6 ~ /^[0-9]+$/ { n += $6 }
		$1 == "Udp6RcvbufErrors" { n += $2 } END { print n + 0 }' \
		/proc/net/snmp /proc/net/snmp6
}

# busy and total jiffies of all cores
bn_sys_ticks() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# bn_iperf MODE RUN: one iperf3 run through the tunnel, prints the RESULT line.
bn_iperf() {
	local mode=$1 run=$2 hz p0 p1 s0 s1 t0 t1 w0 w1 d0 d1 json args=()
	hz=$(getconf CLK_TCK)
	case $mode in
	udp) args=(-u -l 64 -b 0) ;;
	udpbuf) args=(-u -l 64 -b 0 -w "$BN_UDP_BUF") ;;
	esac
	json=$BN_TMP/iperf-$mode-$run.json
	d0=$(bn_rcvbuf_drops "$BN_B")
	p0=$(bn_proc_ticks)
	read -r s0 t0 < <(bn_sys_ticks)
	w0=$(date +%s.%N)
	ip netns exec "$BN_A" iperf3 -c "$BN_INNER_B" -B "$BN_INNER_A" -t "$BN_SECONDS" \
		"${args[@]}" -J >"$json" 2>"$BN_TMP/iperf.err"
	w1=$(date +%s.%N)
	p1=$(bn_proc_ticks)
	read -r s1 t1 < <(bn_sys_ticks)
	d1=$(bn_rcvbuf_drops "$BN_B")
	"$PY3" - "$json" "$mode" "$BN_NAME" "$run" "$hz" "$p0" "$p1" "$w0" "$w1" "$s0" "$s1" \
		"$t0" "$t1" "$(nproc)" "$d0" "$d1" "$BN_UDP_BUF" <<'PY'
import json, sys
path, mode, name, run, hz = sys.argv[1:6]
p0, p1, w0, w1, s0, s1, t0, t1, ncpu, d0, d1 = map(float, sys.argv[6:17])
try:
    j = json.load(open(path))
except ValueError:
    j = {}
end = j.get("end", {})
tun = (p1 - p0) / float(hz) / (w1 - w0) * 100 if w1 > w0 else 0
mach = (s1 - s0) / (t1 - t0) * 100 * ncpu if t1 > t0 else 0
if mode == "tcp":
    r = end.get("sum_received", {})
    val = r.get("bits_per_second", 0) / 1e9
    extra = end.get("sum_sent", {}).get("retransmits", 0)
else:
    s = end.get("sum", {})
    secs = s.get("seconds", 0) or 1
    got = s.get("packets", 0) - s.get("lost_packets", 0)
    val = max(got, 0) / secs / 1e3
    extra = s.get("lost_percent", 100)
    sent = s.get("packets", 0) / secs / 1e3
    drops = (d1 - d0) / secs / 1e3
if mode == "tcp":
    print("RESULT %s %s tcp %.3f %.0f %.0f %.0f" % (name, run, val, tun, mach, extra))
else:
    print("RESULT %s %s %s %.3f %.0f %.0f %.1f %.1f %.1f" % (name, run, mode, val, tun, mach,
                                                             extra, sent, drops))
    # A buffer the kernel capped (net.core.rmem_max) would make udpbuf another udp run.
    got = j.get("start", {}).get("rcvbuf_actual", 0)
    if mode == "udpbuf" and got < 4 << 20:
        print("bench/net: iperf3 asked for a %s buffer and got %d octets" % (sys.argv[17], got),
              file=sys.stderr)
PY
	if [ -s "$BN_TMP/iperf.err" ]; then
		bn_log "iperf3 $mode: $(head -c 300 "$BN_TMP/iperf.err")"
	fi
}

bn_main() {
	local run
	[ "$(id -u)" -eq 0 ] || bn_skip "needs root"
	command -v iperf3 >/dev/null || bn_skip "iperf3 not installed"
	bn_topo
	bn_up || bn_die "tunnel did not come up"
	bn_wait_for 15 bn_reach "$BN_A" "$BN_INNER_B" ||
		bn_die "no connection through the tunnel ($BN_INNER_A -> $BN_INNER_B)"
	ip netns exec "$BN_B" iperf3 -s -B "$BN_INNER_B" >"$BN_TMP/iperf-s.log" 2>&1 &
	BN_PIDS+=($!)
	bn_wait_for 5 bash -c "ip netns exec $BN_B ss -ltn | grep -q ':5201 '" ||
		bn_die "iperf3 server did not start"
	for run in $(seq 1 "$BN_REPEAT"); do
		bn_iperf tcp "$run"
		bn_iperf udp "$run"
		bn_iperf udpbuf "$run"
	done
}
