#!/usr/bin/env bash
# Filter actions and exemptions from the policy model, on the real kernel: block (dropped both
# ways, counted), permit (clear both ways), negotiate (required inbound, steered outbound) and
# the default exemptions of level 2 (IKE, Kerberos with the configured KDC) in front of them.
#
#   ns A (espritd)                                 ns B (plain host, also the KDC)
#   10.5.0.1 etha -------------------------------- ethb 10.5.0.2
#
# A's policy: udp to port 7777 either way block, B to A's tcp 8080 permit (mirrored), everything
# else <-> B negotiate
# (no SA exists, so what is steered is dropped by the daemon, never sent in clear).
# Checks, with exact nft counters: B's datagrams to A:7777 and A's to B:7777 are all dropped
# (none received, the block rule counted each); B's HTTP to A:8080 works in clear; B's
# plaintext to A:9090 is dropped by the negotiate rule (required); A's datagrams to B:6000 are
# steered into the TUN by the negotiate rule and nothing leaves in clear; B's datagrams from the KDC port 88
# reach A (Kerberos exemption) while the same from port 89 are dropped; datagrams to A's UDP
# 500 pass the IKE exemption; A's datagrams to B's port 88 leave in clear. The policy comes
# by a reload after a respond-only start without SAs. Root only (77).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
net_init policy-actions curl

A=policy-actions-a$$
B=policy-actions-b$$
A_A=10.5.0.1 A_B=10.5.0.2

# counter CHAIN TEXT: packets of the first rule in A's CHAIN containing TEXT.
counter() {
	local v
	v=$(ip netns exec "$A" nft list chain inet esprit "$1" | grep -F -- "$2" | grep -v 'fib daddr' |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -1)
	echo "${v:-none}"
}

for n in "$A" "$B"; do
	net_ns "$n"
done
ip link add etha netns "$A" type veth peer name ethb netns "$B" || exit 1
ip -n "$A" addr add $A_A/24 dev etha
ip -n "$B" addr add $A_B/24 dev ethb
ip -n "$A" link set etha up
ip -n "$B" link set ethb up

# A small UDP tool: `recv ADDR PORT SECONDS` prints how many datagrams arrived;
# `send SRC SPORT DST DPORT COUNT` prints how many sends the kernel refused.
cat >"$TMP/udp.py" <<'PY'
import socket, sys, time
if sys.argv[1] == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    s.settimeout(0.1)
    n, end = 0, time.time() + float(sys.argv[4])
    while time.time() < end:
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            pass
    print(n)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    refused = 0
    for i in range(int(sys.argv[6])):
        try:
            s.sendto(b"esprit test %d" % i, (sys.argv[4], int(sys.argv[5])))
        except OSError:
            refused += 1
        time.sleep(0.02)
    print(refused)
PY
# udp_case NS_RECV ADDR PORT NS_SEND SRC SPORT COUNT: "received refused"
udp_case() {
	ip netns exec "$1" "$PY3" "$TMP/udp.py" recv "$2" "$3" 2 >"$TMP/recv" &
	local pid=$!
	PIDS+=($pid)
	sleep 0.5
	local refused
	refused=$(ip netns exec "$4" "$PY3" "$TMP/udp.py" send "$5" "$6" "$2" "$3" "$7")
	wait "$pid"
	echo "$(cat "$TMP/recv") $refused"
}

cat >"$TMP/a.conf" <<CONF
no-default-exempt 2
kdc $A_B
filter-list blocked {
	me -> $A_B udp port 7777
	$A_B -> me udp port 7777
}
filter-list open {
	$A_B -> me tcp port 8080 mirrored
}
filter-list rest {
	me -> $A_B mirrored
}
action esp {
	negotiate
	method esp aes-gcm-128
}
policy p {
	rule blk {
		filters blocked
		action block
	}
	rule ok {
		filters open
		action permit
	}
	rule sec {
		filters rest
		action esp
	}
}
use policy p
CONF
# The daemon starts respond-only without any SA and gets the policy by a reload: steering must
# then work as well as from the start (its routes exist for the host's families).
cp "$TMP/a.conf" "$TMP/policy.conf"
echo "use policy client-respond-only" >"$TMP/a.conf"
if espritd_start "$A" "$TMP/a.conf" "$TMP/a.log"; then
	ok "espritd started respond-only, no SA"
else
	net_finish "$TMP/a.log"
fi
PIDD=$ESPRITD_PID
cp "$TMP/policy.conf" "$TMP/a.conf"
kill -HUP "$PIDD"
check "the policy arrives by SIGHUP" wait_for 5 grep -q "steering: .* policy p," "$TMP/a.log"

capture_start "$A" etha "$TMP/wire.pcap"

# ---- block ----------------------------------------------------------------------------------
read -r got refused < <(udp_case "$A" $A_A 7777 "$B" $A_B 40000 5)
check "block: none of B's 5 datagrams to A:7777 arrived ($got)" [ "$got" = 0 ]
check "block: A's inbound block rule counted exactly 5" [ "$(counter enforce 'rule blk')" = 5 ]
read -r got refused < <(udp_case "$B" $A_B 7777 "$A" $A_A 40001 5)
check "block: none of A's 5 datagrams to B:7777 arrived ($got)" [ "$got" = 0 ]
check "block: the kernel refused A's 5 sends ($refused)" [ "$refused" = 5 ]
check "block: A's outbound block rule counted exactly 5" [ "$(counter steer 'rule blk')" = 5 ]

# ---- permit ----------------------------------------------------------------------------------
mkdir "$TMP/www"
echo "permitted" >"$TMP/www/index.html"
for port in 8080 9090; do
	ip netns exec "$A" "$PY3" -m http.server $port --bind $A_A --directory "$TMP/www" \
		>"$TMP/http$port.log" 2>&1 &
	PIDS+=($!)
	wait_for 10 ip netns exec "$A" "$PY3" -c \
		'import socket; socket.create_connection(("'$A_A'", '$port'), 1)'
done
check "permit: B's HTTP to A:8080 works in clear" \
	bash -c "ip netns exec $B curl -sS --max-time 5 http://$A_A:8080/ | grep -q permitted"
check "permit: inbound permit rule counted B's packets" [ "$(counter enforce 'rule ok')" -ge 3 ]
check "permit: outbound permit rule counted A's replies" [ "$(counter steer 'rule ok')" -ge 3 ]

# ---- negotiate: required inbound, steered outbound ----------------------------------------------
if ip netns exec "$B" curl -sS --max-time 3 -o /dev/null "http://$A_A:9090/" 2>/dev/null; then
	bad "negotiate: B's plaintext to A:9090 was accepted"
else
	ok "negotiate: B's plaintext to A:9090 is dropped (required)"
fi
check "negotiate: the inbound rule counted B's SYNs" [ "$(counter enforce 'rule sec')" -ge 1 ]
read -r got refused < <(udp_case "$B" $A_B 6000 "$A" $A_A 40004 3)
check "negotiate: none of A's 3 datagrams to B:6000 arrived (steered, no SA) ($got)" \
	[ "$got" = 0 ]
check "negotiate: the outbound rule steered exactly those 3" [ "$(counter steer 'rule sec')" = 3 ]

# ---- exemptions (level 2: IKE, Kerberos with the KDC) ---------------------------------------
read -r got refused < <(udp_case "$A" $A_A 5000 "$B" $A_B 88 4)
check "kerberos: the KDC's 4 datagrams from port 88 arrived in clear ($got)" [ "$got" = 4 ]
check "kerberos: the exemption rule counted them" \
	[ "$(counter enforce 'th sport 88 counter')" = 4 ]
read -r got refused < <(udp_case "$A" $A_A 5000 "$B" $A_B 89 4)
check "kerberos: the same from port 89 were dropped ($got)" [ "$got" = 0 ]
read -r got refused < <(udp_case "$B" $A_B 88 "$A" $A_A 40002 3)
check "kerberos: A's 3 datagrams to the KDC's port 88 arrived in clear ($got)" [ "$got" = 3 ]
before=$(counter enforce 'udp dport { 500, 4500 }')
ip netns exec "$B" "$PY3" "$TMP/udp.py" send $A_B 40003 $A_A 500 2 >/dev/null
sleep 0.3
after=$(counter enforce 'udp dport { 500, 4500 }')
check "ike: datagrams to A's UDP 500 pass the IKE exemption ($before -> $after)" \
	[ "$((after - before))" -eq 2 ]
capture_stop

n_6000=$(tcpdump -r "$TMP/wire.pcap" -n "udp and src host $A_A and port 6000" 2>/dev/null | wc -l)
n_7777=$(tcpdump -r "$TMP/wire.pcap" -n "udp and src host $A_A and port 7777" 2>/dev/null | wc -l)
n_9090=$(tcpdump -r "$TMP/wire.pcap" -n "tcp and src host $A_A and port 9090" 2>/dev/null | wc -l)
echo "wire from A: $n_6000 to 6000, $n_7777 to 7777, $n_9090 from 9090"
check "nothing of A's steered datagrams left in clear" [ "$n_6000" -eq 0 ]
check "nothing of A's blocked datagrams left" [ "$n_7777" -eq 0 ]
check "A never answered the required port in clear" [ "$n_9090" -eq 0 ]

kill -TERM "$PIDD"
wait "$PIDD" 2>/dev/null
check "nft table removed on SIGTERM" \
	bash -c "! ip netns exec $A nft list table inet esprit >/dev/null 2>&1"
net_finish "$TMP/a.log"
