#!/usr/bin/env bash
# Inbound UDP coalescing (issue 7): decrypted small UDP datagrams of one flow leave espritd as
# one GSO UDP_L4 (USO) write to the TUN, which the kernel cuts into the same datagrams again:
#
#   ns A 10.78.0.1 / fd00:78::1  va ------------ vb  10.78.0.2 / fd00:78::2 ns B
#
# IPv4 rides ESP in UDP 4500, IPv6 raw ESP, AES-GCM-128 transport SAs. udp_burst.py sends
# bursts of 32 datagrams of 64 octets (the last of each 40) from A to B and resends what the
# receiver says it lacks, so in the end every one must have arrived: the receiver counts each
# number once and checks every datagram's length and content (a datagram merged with another
# or cut wrongly fails). Checks per family: all received, none bad; then B's
# `esprit stats --json` shows coalesced TUN writes (only UDP flowed) and fewer writes than
# packets; at exit B wrote exactly the packets it received (tun_tx = raw_rx, no drops). Then B
# restarts with ESPRIT_TUN_GRO_UDP=0: it says so, the datagrams still arrive, none coalesced.
# Needs root (exit 77 otherwise).
# shellcheck disable=SC2317 # the helpers below run through check()
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/gro_lib.sh
. "$(dirname "$0")/gro_lib.sh"

net_init grou openssl
BURST="$NET_DIR/udp_burst.py"
gro_pair grou 78
unset ESPRIT_TUN_OFFLOAD ESPRIT_UDP_OFFLOAD ESPRIT_TUN_GRO ESPRIT_TUN_GRO_UDP
espritd_start "$A" "$TMP/a.conf" "$TMP/a.log" || net_finish "$TMP/a.log"
PIDA=$ESPRITD_PID
espritd_start "$B" "$TMP/b.conf" "$TMP/b.log" || net_finish "$TMP/b.log"
PIDB=$ESPRITD_PID
check "B: UDP receive coalescing on" grep -q "tun: .*receive coalescing on, UDP on" "$TMP/b.log"

# flow TAG ADDR_B BURSTS: datagrams A -> ADDR_B port 7100, every one accounted for
flow() {
	local rx
	ip netns exec "$B" "$PY3" "$BURST" recv "$2" 7100 >"$TMP/$1.rx" &
	rx=$!
	PIDS+=("$rx")
	wait_for 10 bash -c "ip netns exec $B ss -lun | grep -q ':7100 '"
	timeout 60 ip netns exec "$A" "$PY3" "$BURST" send "$2" 7100 "$3" >"$TMP/$1.tx"
	check "$1: the sender finished ($(cat "$TMP/$1.tx"))" [ -s "$TMP/$1.tx" ]
	wait_for 10 [ -s "$TMP/$1.rx" ]
	kill "$rx" 2>/dev/null
	wait "$rx" 2>/dev/null
	check "$1: all $(($3 * 32)) datagrams received intact ($(cat "$TMP/$1.rx"))" \
		"$PY3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["received"] == int(sys.argv[2]) and d["bad"] == 0))' "$TMP/$1.rx" $(($3 * 32))
}
# gro SOCK MIN MAX: coalesced writes between MIN and MAX, and fewer writes than packets if any
gro() {
	local t w g
	read -r t w g < <(gro_dp "$1")
	echo "$1: tun_tx $t, tun_writes $w, coalesced $g"
	[ "$g" -ge "$2" ] && [ "$g" -le "$3" ] && [ "$t" -gt 0 ] &&
		{ [ "$g" -eq 0 ] || [ "$w" -lt "$t" ]; }
}

flow IPv4 10.78.0.2 300
flow IPv6 fd00:78::2 300
check "B: coalesced TUN writes of UDP (esprit stats --json)" gro "$TMP/b.sock" 1 999999999
for p in "$PIDA" "$PIDB"; do
	kill -TERM "$p"
	rc=0
	wait "$p" || rc=$?
	check "espritd $p exits 0" [ "$rc" -eq 0 ]
done
check "B: packets written to the TUN = ESP packets received, no drops" gro_exact "$TMP/b.log"

# The switch: B without UDP coalescing; the datagrams still arrive, none merged. Both restart
# (manual SAs: fresh sequence numbers on both sides).
espritd_start "$A" "$TMP/a.conf" "$TMP/a2.log" || net_finish "$TMP/a2.log"
export ESPRIT_TUN_GRO_UDP=0
espritd_start "$B" "$TMP/b.conf" "$TMP/b2.log" || net_finish "$TMP/b2.log"
unset ESPRIT_TUN_GRO_UDP
check "ESPRIT_TUN_GRO_UDP=0: B says UDP coalescing off" \
	grep -q "tun: .*receive coalescing on, UDP off" "$TMP/b2.log"
flow "IPv4 (off)" 10.78.0.2 100
check "ESPRIT_TUN_GRO_UDP=0: B made no coalesced write" gro "$TMP/b2.sock" 0 0
net_finish "$TMP/a.log" "$TMP/b.log" "$TMP/a2.log" "$TMP/b2.log"
