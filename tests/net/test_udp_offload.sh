#!/usr/bin/env bash
# ESP in UDP 4500 with every offload on both ends (TUN with IFF_VNET_HDR and TSO: large TCP
# packets segmented in user space; UDP_SEGMENT out, UDP_GRO in), IPv4 and IPv6, with nothing in
# between that would segment the bursts:
#
#   ns A 10.76.0.1 / fd00:76::1  va ------------ vb  10.76.0.2 / fd00:76::2 ns B
#
# Checks: a 32 MB file sent over TCP through all-traffic AES-GCM-128 transport SAs arrives
# with the same SHA-256, in each family; the capture on B shows UDP-4500 datagrams longer than
# the path MTU (bursts sent with UDP_SEGMENT and taken whole by B's UDP_GRO socket), so the
# coalesced receive path carried the transfer; no UDP payload is sent in clear (only port
# 4500); the daemons report offload on and no inbound drops. Needs root (exit 77 otherwise).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh" # check, wait_for, net_finish

: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
ESPRITD="$ESPRIT_BUILD/espritd"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip tcpdump socat sha256sum openssl; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
[ -x "$ESPRITD" ] || { echo "no $ESPRITD"; exit 1; }

A=udpoffa$$
B=udpoffb$$
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

for n in "$A" "$B"; do
	ip netns add "$n" || exit 1
	ip -n "$n" link set lo up
done
ip link add va netns "$A" type veth peer name vb netns "$B" || exit 1
ip -n "$A" addr add 10.76.0.1/24 dev va
ip -n "$B" addr add 10.76.0.2/24 dev vb
ip -n "$A" addr add fd00:76::1/64 dev va nodad
ip -n "$B" addr add fd00:76::2/64 dev vb nodad
ip -n "$A" link set va up
ip -n "$B" link set vb up

umask 077
for k in k1 k2 k3 k4; do echo "0x$(openssl rand -hex 20)" >"$TMP/$k"; done
sas() { # sas OUT|IN: the four SAs as seen from A (OUT) or B (IN)
	local d1=out d2=in
	[ "$1" = IN ] && d1=in d2=out
	cat <<CONF
use policy client-respond-only
sa $d1 esp spi 0x3001 transport 10.76.0.1 -> 10.76.0.2 aes-gcm-128 key file "$TMP/k1" encap udp
sa $d2 esp spi 0x3002 transport 10.76.0.2 -> 10.76.0.1 aes-gcm-128 key file "$TMP/k2" encap udp
sa $d1 esp spi 0x3003 transport fd00:76::1 -> fd00:76::2 aes-gcm-128 key file "$TMP/k3" encap udp
sa $d2 esp spi 0x3004 transport fd00:76::2 -> fd00:76::1 aes-gcm-128 key file "$TMP/k4" encap udp
CONF
}
sas OUT >"$TMP/a.conf"
sas IN >"$TMP/b.conf"
for n in a b; do
	ns=$A
	[ $n = b ] && ns=$B
	ip netns exec "$ns" env -u ESPRIT_UDP_OFFLOAD -u ESPRIT_TUN_OFFLOAD "$ESPRITD" -f "$TMP/$n.conf" --foreground \
		--control "$TMP/$n.sock" >"$TMP/$n.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$n=\$!"
	wait_for 10 grep -q "espritd running" "$TMP/$n.log" || { cat "$TMP/$n.log"; exit 1; }
done
check "A: UDP segmentation offload and receive coalescing on" \
	grep -q "udp: segmentation offload on, receive coalescing on" "$TMP/a.log"
check "B: UDP segmentation offload and receive coalescing on" \
	grep -q "udp: segmentation offload on, receive coalescing on" "$TMP/b.log"
check "A: TUN segmentation offload on" grep -q "tun: .*segmentation offload on" "$TMP/a.log"

head -c $((32 << 20)) /dev/urandom >"$TMP/data"
want=$(sha256sum <"$TMP/data" | cut -d' ' -f1)
ip netns exec "$B" tcpdump -i vb -n -U --immediate-mode -s 96 -w "$TMP/wire.pcap" \
	>"$TMP/tcpdump.log" 2>&1 &
PIDTD=$!
PIDS+=($PIDTD)
wait_for 5 grep -q listening "$TMP/tcpdump.log"

transfer() { # transfer FAMILY LISTEN_ADDR CONNECT_ADDR
	rm -f "$TMP/got"
	ip netns exec "$B" socat -u "TCP$1-LISTEN:7777,bind=$2,reuseaddr" "CREATE:$TMP/got" &
	local srv=$!
	PIDS+=($srv)
	wait_for 5 bash -c "ip netns exec $B ss -ltn | grep -q ':7777 '"
	timeout 120 ip netns exec "$A" socat -u "OPEN:$TMP/data" "TCP$1:$3:7777"
	wait "$srv"
	local got
	got=$(sha256sum <"$TMP/got" | cut -d' ' -f1)
	check "IPv$1: 32 MB through ESP in UDP with offloads, SHA-256 matches" [ "$got" = "$want" ]
}
transfer 4 10.76.0.2 10.76.0.2
transfer 6 fd00:76::2 "[fd00:76::2]"
pcap_stop "$PIDTD" "$TMP/wire.pcap"

# frames longer than any a 1500-octet MTU allows (1514 with the Ethernet header)
n_big=$(tcpdump -r "$TMP/wire.pcap" -n 'ip and udp port 4500 and greater 1600' 2>/dev/null | wc -l)
n_big6=$(tcpdump -r "$TMP/wire.pcap" -n 'ip6 and udp port 4500 and greater 1600' 2>/dev/null |
	wc -l)
n_clear=$(tcpdump -r "$TMP/wire.pcap" -n 'tcp port 7777' 2>/dev/null | wc -l)
echo "wire: $n_big UDP-4500 bursts over 1500 octets ($n_big6 IPv6), $n_clear clear TCP 7777"
check "IPv4 bursts longer than the MTU reached B (UDP_SEGMENT, taken whole by UDP_GRO)" \
	[ "$n_big" -ge 10 ]
check "IPv6 bursts longer than the MTU reached B" [ "$n_big6" -ge 10 ]
check "no TCP port 7777 in clear on the wire" [ "$n_clear" -eq 0 ]

for n in a b; do
	p=PID_$n
	kill -TERM "${!p}"
	wait "${!p}"
	check "espritd $n exits 0" [ $? -eq 0 ]
done
check "B: no inbound drops" bash -c "! grep -q 'stats: drop inbound\|stats: inbound' '$TMP/b.log'"
check "A: no inbound drops" bash -c "! grep -q 'stats: drop inbound\|stats: inbound' '$TMP/a.log'"
net_finish "$TMP/a.log" "$TMP/b.log"
