#!/usr/bin/env bash
# strongSwan <-> strongSwan in two namespaces with the interop harness (swan.sh): proves the
# harness on this machine, independent of esprit. Not a CI test (run by hand, as root):
#   bash tests/net/swan/smoke.sh
#
#   ns A: charon 10.71.0.1 va ------------ vb 10.71.0.2 charon :ns B
#
# IKEv2 with PSK, host-to-host tunnel, ESP in UDP 4500 (kernel-libipsec); A initiates, B
# downloads a file from A through the tunnel (byte-identical), the wire carries UDP 4500 and no
# plain TCP; then B terminates and A must have no IKE SA left. SWAN_SMOKE_IKE / SWAN_SMOKE_ESP
# choose other proposals (strongSwan syntax).
set -uo pipefail
. "$(dirname "$0")/../lib.sh" # ok, bad, check, wait_for, PIDS, NSS (not net_init: no espritd here)
. "$(dirname "$0")/swan.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root"
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec) not installed"

TMP=$(mktemp -d)
A=swsma$$ B=swsmb$$
trap net_cleanup EXIT

for n in "$A" "$B"; do
	ip netns add "$n" || exit 1
	NSS+=("$n")
	swan_netns_prep "$n"
done
ip link add va netns "$A" type veth peer name vb netns "$B" || exit 1
ip -n "$A" addr add 10.71.0.1/24 dev va
ip -n "$B" addr add 10.71.0.2/24 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up

PSK=$(openssl rand -hex 16)
IKE=${SWAN_SMOKE_IKE:-aes256gcm16-prfsha384-ecp384}
ESP=${SWAN_SMOKE_ESP:-aes128gcm16}
for x in a:10.71.0.1:10.71.0.2 b:10.71.0.2:10.71.0.1; do
	IFS=: read -r s l r <<<"$x"
	swan_dir "$TMP/$s"
	swan_conn_psk "$TMP/$s" smoke "$l" "$r" "$PSK" "$IKE" "$ESP"
done
ip netns exec "$A" unshare -m --propagation private sh -c "$(swan_cmd "$TMP/a")" >"$TMP/a/out" 2>&1 &
PA=$!
PIDS+=($PA)
ip netns exec "$B" unshare -m --propagation private sh -c "$(swan_cmd "$TMP/b")" >"$TMP/b/out" 2>&1 &
PB=$!
PIDS+=($PB)
check "charon A running with its own config, vici socket and /run" swan_ready "$A" "$TMP/a"
check "charon B running with its own config, vici socket and /run" swan_ready "$B" "$TMP/b"
check "two charons, two PIDs alive" kill -0 "$PA" "$PB"

ip netns exec "$A" tcpdump -i va -n -U -w "$TMP/wire.pcap" >"$TMP/td.log" 2>&1 &
PTD=$!
PIDS+=($PTD)
wait_for 5 grep -q listening "$TMP/td.log"

mkdir "$TMP/www"
head -c 1000000 /dev/urandom >"$TMP/www/data.bin"
ip netns exec "$A" /usr/bin/python3 -m http.server 8080 --bind 10.71.0.1 --directory "$TMP/www" \
	>"$TMP/http.log" 2>&1 &
PIDS+=($!)

check "A initiates IKE_SA + CHILD_SA" swanctl_ns "$A" "$TMP/a" --initiate --ike smoke \
	--child smoke --timeout 15
check "child installed on A" swan_child_up "$A" "$TMP/a" smoke
check "child installed on B" swan_child_up "$B" "$TMP/b" smoke
check "B downloads A's file through the tunnel" ip netns exec "$B" curl -sS --max-time 20 \
	-o "$TMP/got.bin" http://10.71.0.1:8080/data.bin
check "download is byte-identical" cmp -s "$TMP/www/data.bin" "$TMP/got.bin"
sleep 0.3
kill "$PTD"
wait "$PTD" 2>/dev/null
n_udp=$(tcpdump -r "$TMP/wire.pcap" -n 'udp port 4500' 2>/dev/null | wc -l)
n_plain=$(tcpdump -r "$TMP/wire.pcap" -n 'tcp port 8080' 2>/dev/null | wc -l)
echo "wire: $n_udp UDP 4500, $n_plain plain TCP 8080"
check "ESP in UDP 4500 on the wire (>= 500)" [ "$n_udp" -ge 500 ]
check "no plain TCP 8080 on the wire" [ "$n_plain" -eq 0 ]
swanctl_ns "$A" "$TMP/a" --list-sas
check "B terminates the IKE SA" swanctl_ns "$B" "$TMP/b" --terminate --ike smoke --timeout 10
check "A has no IKE SA left" wait_for 10 bash -c \
	"$(declare -f swanctl_ns); ! swanctl_ns $A $TMP/a --list-sas | grep -q smoke"
if [ "$FAILED" -ne 0 ]; then
	for s in a b; do echo "--- charon $s"; tail -50 "$TMP/$s/charon.log"; cat "$TMP/$s/out"; done
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
