#!/usr/bin/env bash
# The network benchmark harness (bench/net/run) works: one 1-second run each for plain veth,
# esprit (AES-GCM-128 in UDP 4500) and esprit with the cipher taken out (built for the run by
# bench/net/nocipher-build) gives a table with a nonzero TCP Gbit/s, UDP kpps (default
# and 4 MiB socket buffers) and, for esprit, tunnel CPU; afterwards no namespace, process or
# temporary directory of the harness is left and the socket buffer limits it raised for the
# 4 MiB runs are back at their old values. Correctness of the harness only: no thresholds on the numbers. Needs root (exit 77).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh" # check, wait_for, net_finish

: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v iperf3 >/dev/null || { echo "SKIP: iperf3 not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
limits() { sysctl -n net.core.rmem_max net.core.wmem_max | tr '\n' ' '; }
LIMITS=$(limits)
TMP=$(mktemp -d)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

"$TOP/bench/net/run" --build "$ESPRIT_BUILD" --seconds 1 --repeat 1 \
	--only veth,esprit-gcm-udp,esprit-gcm-udp-nocipher --results "$TMP/results" \
	>"$TMP/table" 2>"$TMP/log" &
PID=$!
wait "$PID"
rc=$?
PID=""
cat "$TMP/table"
[ $rc -eq 0 ] || sed 's/^/  /' "$TMP/log"
check "bench/net/run exits 0" [ $rc -eq 0 ]

# row NAME COLUMN: a field of the printed table (2 TCP Gbit/s, 3 UDP kpps, 4 and 6 UDP sent and
# socket drops kpps around a "/", 7 to 10 the same with 4 MiB socket buffers, 11 CPU %)
row() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$TMP/table"; }
nonzero() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }
for k in veth esprit-gcm-udp; do
	check "$k: TCP Gbit/s is a nonzero number ($(row $k 2))" nonzero "$(row $k 2)"
	check "$k: UDP kpps is a nonzero number ($(row $k 3))" nonzero "$(row $k 3)"
	check "$k: UDP kpps with 4 MiB buffers is a nonzero number ($(row $k 7))" \
		nonzero "$(row $k 7)"
	check "$k: one TCP, one UDP and one UDP 4 MiB RESULT line" \
		[ "$(grep -c "^RESULT $k 1 \(tcp\|udp\|udpbuf\) " "$TMP/results")" -eq 3 ]
	# iperf3 cannot receive more than it sent; the drop count is a number, zero or more
	for c in 3 7; do
		check "$k: UDP sent $(row $k $((c + 1))) >= received $(row $k $c) kpps, drops $(row $k $((c + 3)))" \
			awk -v s="$(row $k $((c + 1)))" -v r="$(row $k $c)" -v d="$(row $k $((c + 3)))" \
			'BEGIN { exit !(s + 0 > 0 && s + 0.5 >= r && d ~ /^[0-9]+$/) }'
	done
done
# bench/net/nocipher-build still finds the two functions it changes, and its espritd carries
# traffic (with no cipher the number says nothing of esprit: only that it is there)
check "esprit-gcm-udp-nocipher: built and measured, TCP $(row esprit-gcm-udp-nocipher 2) Gbit/s" \
	nonzero "$(row esprit-gcm-udp-nocipher 2)"
check "esprit: the daemons' CPU time was measured ($(row esprit-gcm-udp 11) %)" \
	nonzero "$(row esprit-gcm-udp 11)"
# iperf3 got the buffers it asked for (lib.sh says so on stderr when the kernel capped them)
check "the 4 MiB runs had 4 MiB buffers" bash -c "! grep -q 'asked for a .* buffer' '$TMP/log'"
check "socket buffer limits restored (before: $LIMITS, after: $(limits))" \
	[ "$(limits)" = "$LIMITS" ]
check "ratios to veth printed for esprit (TCP / UDP / UDP 4 MiB)" \
	bash -c "awk '\$1 == \"esprit-gcm-udp\"' '$TMP/table' |
		grep -q '0\.[0-9][0-9] / [0-9.]* / [0-9.]*'"
check "nothing skipped or failed" bash -c "! grep -q '^\(SKIP\|FAIL\)' '$TMP/results'"
# The kind scripts name what they create (CREATED lines on their stdout, which bench/net/run
# copies into the log); check exactly those, so that another run of the harness on the
# machine at the same time can make this neither pass nor fail.
grep '^CREATED netns ' "$TMP/log" | cut -d' ' -f3 >"$TMP/made.netns"
grep '^CREATED dir ' "$TMP/log" | cut -d' ' -f3 >"$TMP/made.dirs"
check "the harness named its namespaces (6) and directories (3)" \
	[ "$(wc -l <"$TMP/made.netns"):$(wc -l <"$TMP/made.dirs")" = "6:3" ]
check "no namespace of the harness left" \
	bash -c "! ip netns list | cut -d' ' -f1 | grep -qFxf '$TMP/made.netns'"
n_dirs=0
while read -r d; do [ -e "$d" ] && n_dirs=$((n_dirs + 1)); done <"$TMP/made.dirs"
check "no temporary directory of the harness left ($n_dirs)" [ "$n_dirs" -eq 0 ]
net_finish "$TMP/log"
