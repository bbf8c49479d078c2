#!/usr/bin/env bash
# Inbound coalescing (issue 7): decrypted TCP segments of one flow leave espritd as one GSO
# write to the TUN (wire/gro.c), with every offload on:
#
#   ns A 10.77.0.1 / fd00:77::1  va ------------ vb  10.77.0.2 / fd00:77::2 ns B
#
# IPv4 rides ESP in UDP 4500 (UDP_GRO bursts), IPv6 raw ESP (recvmmsg batches), AES-GCM-128
# transport SAs for all traffic. Checks: 64 MB each way at once, per family, arrive with the
# same SHA-256; `esprit stats --json` on both ends shows coalesced TUN writes and fewer writes
# than packets written; at exit each daemon wrote exactly the packets it received
# (tun_tx = raw_rx, no drops: merging loses and invents nothing). Then A restarts with
# ESPRIT_TUN_GRO=0: it says coalescing is off, a transfer to it still arrives whole, and it
# made no coalesced write while B (on) made some. Needs root (exit 77 otherwise).
# shellcheck disable=SC2317 # the helpers below run through check()
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/gro_lib.sh
. "$(dirname "$0")/gro_lib.sh"

net_init gro socat sha256sum openssl
gro_pair gro 77
unset ESPRIT_TUN_OFFLOAD ESPRIT_UDP_OFFLOAD ESPRIT_TUN_GRO
espritd_start "$A" "$TMP/a.conf" "$TMP/a.log" || net_finish "$TMP/a.log"
PIDA=$ESPRITD_PID
espritd_start "$B" "$TMP/b.conf" "$TMP/b.log" || net_finish "$TMP/b.log"
PIDB=$ESPRITD_PID
for n in a b; do
	check "$n: TUN offload and receive coalescing on" \
		grep -q "tun: .*segmentation offload on, receive coalescing on" "$TMP/$n.log"
done

head -c $((64 << 20)) /dev/urandom >"$TMP/data"
want=$(sha256sum <"$TMP/data" | cut -d' ' -f1)

# serve NS FAMILY ADDR PORT OUT: a receiver writing to OUT (PID in SRV)
serve() {
	ip netns exec "$1" socat -u "TCP$2-LISTEN:$4,bind=$3,reuseaddr" "CREATE:$5" &
	SRV=$!
	PIDS+=("$SRV")
	wait_for 10 bash -c "ip netns exec $1 ss -ltn | grep -q ':$4 '"
}
# both FAMILY ADDR_A ADDR_B URL_A URL_B MB: MB each way at once, SHA-256 checked on arrival
both() {
	local f=$1 mb=$6 s1 s2 c1 c2 got
	head -c $((mb << 20)) "$TMP/data" >"$TMP/send"
	want=$(sha256sum <"$TMP/send" | cut -d' ' -f1)
	serve "$B" "$f" "$3" 7001 "$TMP/atob"
	s1=$SRV
	serve "$A" "$f" "$2" 7002 "$TMP/btoa"
	s2=$SRV
	timeout 120 ip netns exec "$A" socat -u "OPEN:$TMP/send" "TCP$f:$5:7001" &
	c1=$!
	timeout 120 ip netns exec "$B" socat -u "OPEN:$TMP/send" "TCP$f:$4:7002" &
	c2=$!
	wait "$c1" "$c2" "$s1" "$s2"
	got=$(sha256sum <"$TMP/atob" | cut -d' ' -f1)
	check "IPv$f: $mb MB A -> B, SHA-256 matches" [ "$got" = "$want" ]
	got=$(sha256sum <"$TMP/btoa" | cut -d' ' -f1)
	check "IPv$f: $mb MB B -> A, SHA-256 matches" [ "$got" = "$want" ]
}
# merged SOCK: coalesced writes happened, and fewer writes than packets went into the TUN
merged() {
	local t w g
	read -r t w g < <(gro_dp "$1")
	echo "$1: tun_tx $t, tun_writes $w, coalesced $g"
	[ "$g" -gt 0 ] && [ "$w" -lt "$t" ]
}
# unmerged SOCK: one packet per write, none coalesced
unmerged() {
	local t w g
	read -r t w g < <(gro_dp "$1")
	echo "$1: tun_tx $t, tun_writes $w, coalesced $g"
	[ "$g" -eq 0 ] && [ "$w" -eq "$t" ] && [ "$t" -gt 0 ]
}

both 4 10.77.0.1 10.77.0.2 10.77.0.1 10.77.0.2 64
both 6 fd00:77::1 fd00:77::2 "[fd00:77::1]" "[fd00:77::2]" 64
check "A: coalesced TUN writes (esprit stats --json)" merged "$TMP/a.sock"
check "B: coalesced TUN writes (esprit stats --json)" merged "$TMP/b.sock"
for pn in "a:$PIDA" "b:$PIDB"; do
	kill -TERM "${pn#*:}"
	rc=0
	wait "${pn#*:}" || rc=$?
	check "espritd ${pn%%:*} exits 0" [ "$rc" -eq 0 ]
	check "${pn%%:*}: packets written to the TUN = ESP packets received, no drops" \
		gro_exact "$TMP/${pn%%:*}.log"
done

# The switch: A without coalescing, B with it; traffic both ways still arrives whole.
export ESPRIT_TUN_GRO=0
espritd_start "$A" "$TMP/a.conf" "$TMP/a2.log" || net_finish "$TMP/a2.log"
unset ESPRIT_TUN_GRO
espritd_start "$B" "$TMP/b.conf" "$TMP/b2.log" || net_finish "$TMP/b2.log"
check "ESPRIT_TUN_GRO=0: A says receive coalescing off" \
	grep -q "tun: .*segmentation offload on, receive coalescing off" "$TMP/a2.log"
both 4 10.77.0.1 10.77.0.2 10.77.0.1 10.77.0.2 8
check "ESPRIT_TUN_GRO=0: A wrote one packet per write, none coalesced" unmerged "$TMP/a2.sock"
check "B (on) still coalesced" merged "$TMP/b2.sock"
net_finish "$TMP/a.log" "$TMP/b.log" "$TMP/a2.log" "$TMP/b2.log"
