#!/usr/bin/env bash
# Tunnel mode between two gateways, each with a host behind it (issue 4): the gateways steer
# ROUTED traffic into their tunnel, negotiated with IKEv2 and a preshared key.
#
#   ns A (host, no esprit)   ns G1 (espritd)            ns W (switch)   ns G2 (espritd)      ns B (host, no esprit)
#   10.21.1.1 va ---- g1a 10.21.1.254                                 10.21.2.254 g2b ---- vb 10.21.2.1  nginx :80
#                        g1w 10.21.0.1 ---- w1   br0   w2 ---- 10.21.0.2 g2w
#                                                  |
#                                                  wt ---- vt 10.21.0.3 (+10.21.1.77)  ns T (no esprit)
#
# G1's rule: 10.21.1.0/24 -> 10.21.2.0/24 tcp port 80 mirrored, tunnel to G2; G2's rule the
# same seen from its side (10.21.2.0/24 -> 10.21.1.0/24 tcp sport 80 mirrored), tunnel to G1.
# Forwarding is enabled by the test in G1 and G2 (espritd never changes sysctls).
# Checks: curl A -> nginx on B is byte-identical; the G1-G2 wire carries ESP between the
# gateways' addresses and IKE only, no TCP; the A-G1 and G2-B wires carry the HTTP in clear;
# the prerouting steer rule of each gateway counted the routed packets; T, on the G1-G2 wire,
# connecting from an address of A's network to B:80 in clear is dropped by G2's forward chain
# (counted) and nothing of it reaches B; both daemons exit cleanly and leave nothing behind.
# ESPRIT_NET_FAMILY=6: the same over IPv6 (fd00:21:1::/64 behind G1, fd00:21:2::/64 behind G2;
# test_gateway6.sh).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"

net_init gw curl openssl cmp nginx
if [ "${ESPRIT_NET_FAMILY:-4}" = 6 ]; then
	A_A=fd00:21:1::1 A_G1A=fd00:21:1::fe A_G1W=fd00:21::1 A_G2W=fd00:21::2 A_G2B=fd00:21:2::fe
	A_B=fd00:21:2::1 A_T=fd00:21::3 A_SPOOF=fd00:21:1::77 NET_A=fd00:21:1::/64 NET_B=fd00:21:2::/64
	P=64 HP=128 URL_B="[fd00:21:2::1]" NODAD=nodad FWD=net.ipv6.conf.all.forwarding
else
	A_A=10.21.1.1 A_G1A=10.21.1.254 A_G1W=10.21.0.1 A_G2W=10.21.0.2 A_G2B=10.21.2.254
	A_B=10.21.2.1 A_T=10.21.0.3 A_SPOOF=10.21.1.77 NET_A=10.21.1.0/24 NET_B=10.21.2.0/24
	P=24 HP=32 URL_B=10.21.2.1 NODAD='' FWD=net.ipv4.ip_forward
fi
echo "variant: IPv${ESPRIT_NET_FAMILY:-4}"
A=gwa$$ G1=gwg1$$ G2=gwg2$$ B=gwb$$ W=gww$$ T=gwt$$
for n in "$A" "$G1" "$G2" "$B" "$W" "$T"; do
	net_ns "$n"
done
pair() { # pair NS1 IF1 NS2 IF2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || exit 1
	in_ns "$1" ip link set "$2" up
	in_ns "$3" ip link set "$4" up
}
pair "$A" va "$G1" g1a
pair "$G2" g2b "$B" vb
in_ns "$W" ip link add br0 type bridge
in_ns "$W" ip link set br0 up
for x in "$G1:g1w:w1" "$G2:g2w:w2" "$T:vt:wt"; do
	IFS=: read -r ns side sw <<<"$x"
	pair "$ns" "$side" "$W" "$sw"
	in_ns "$W" ip link set "$sw" master br0
done
in_ns "$A" ip addr add "$A_A/$P" dev va $NODAD
in_ns "$A" ip route add default via "$A_G1A"
in_ns "$G1" ip addr add "$A_G1A/$P" dev g1a $NODAD
in_ns "$G1" ip addr add "$A_G1W/$P" dev g1w $NODAD
in_ns "$G1" ip route add "$NET_B" via "$A_G2W"
in_ns "$G2" ip addr add "$A_G2B/$P" dev g2b $NODAD
in_ns "$G2" ip addr add "$A_G2W/$P" dev g2w $NODAD
in_ns "$G2" ip route add "$NET_A" via "$A_G1W"
in_ns "$B" ip addr add "$A_B/$P" dev vb $NODAD
in_ns "$B" ip route add default via "$A_G2B"
in_ns "$T" ip addr add "$A_T/$P" dev vt $NODAD
in_ns "$T" ip addr add "$A_SPOOF/$HP" dev vt $NODAD
in_ns "$T" ip route add "$NET_B" via "$A_G2W"
for g in "$G1" "$G2"; do
	in_ns "$g" sysctl -qw "$FWD=1"
done

# ---- configurations ------------------------------------------------------------------------
openssl rand -hex 24 >"$TMP/psk"
chmod 600 "$TMP/psk"
conf() { # conf FILTER REMOTE LOCAL
	cat <<CONF
filter-list nets {
	$1
}
action tunnel-esp {
	negotiate
	method esp aes-gcm-128 lifetime 100000kb 3600s
	pending hold 16
}
policy gateway {
	rule gw {
		filters nets
		action tunnel-esp
		auth psk "$TMP/psk"
		mode tunnel $2 local $3
	}
	default-response yes
}
use policy gateway
CONF
}
conf "$NET_A -> $NET_B tcp port 80 mirrored" $A_G2W $A_G1W >"$TMP/g1.conf"
conf "$NET_B -> $NET_A tcp sport 80 mirrored" $A_G1W $A_G2W >"$TMP/g2.conf"

espritd_start "$G2" "$TMP/g2.conf" "$TMP/g2.log" || net_finish "$TMP/g2.log"
PID2=$ESPRITD_PID
espritd_start "$G1" "$TMP/g1.conf" "$TMP/g1.log" || net_finish "$TMP/g1.log"
PID1=$ESPRITD_PID
check "G1 routes on what its tunnel rule brings out of the TUN (ip rule 999 iif esprit0)" \
	bash -c "ip -n $G1 rule show | grep -q '^999:.*iif esprit0 lookup main'"
check "no forwarding warning (forwarding is on)" \
	bash -c "! grep -q 'will not route' '$TMP/g1.log' '$TMP/g2.log'"

# ---- HTTP from A to B through the tunnel -----------------------------------------------------
nginx_start "$B" "$TMP/ngx" $A_B || bad "nginx on B"
head -c 2000000 /dev/urandom >"$TMP/ngx/www/data.bin"
capture_start "$W" br0 "$TMP/mid.pcap"
MID=$CAP_PID
capture_start "$G1" g1a "$TMP/a.pcap"
CA=$CAP_PID
capture_start "$G2" g2b "$TMP/b.pcap"
CB=$CAP_PID
if in_ns "$A" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_B/data.bin"; then
	ok "curl A -> B through the gateways succeeds (first SYN held during IKE)"
else
	bad "curl A -> B through the gateways"
fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
for p in "$MID" "$CA" "$CB"; do
	CAP_PID=$p capture_stop
done
n_esp=$(pcap_count "$TMP/mid.pcap" "esp and src host $A_G1W and dst host $A_G2W")
n_esp_back=$(pcap_count "$TMP/mid.pcap" "esp and src host $A_G2W and dst host $A_G1W")
n_tcp=$(pcap_count "$TMP/mid.pcap" tcp)
# Link-local chatter (IGMP/MLD reports, neighbour discovery) aside.
OTHER="(ip or ip6) and not esp and not (udp port 500 or udp port 4500) and not icmp6"
OTHER="$OTHER and not ip multicast and not ip6 multicast"
n_other=$(pcap_count "$TMP/mid.pcap" "$OTHER")
[ "$n_other" -eq 0 ] || tcpdump -r "$TMP/mid.pcap" -n "$OTHER" 2>/dev/null | head -5
echo "G1-G2 wire: $n_esp ESP G1->G2, $n_esp_back ESP G2->G1, $n_tcp TCP, $n_other other IP"
check "G1-G2 wire carries ESP between the gateways both ways" \
	[ "$((n_esp > 10 && n_esp_back > 100))" -eq 1 ]
check "G1-G2 wire carries no TCP and nothing but ESP and IKE" [ "$((n_tcp + n_other))" -eq 0 ]
check "A-G1 wire carries the HTTP in clear" \
	[ "$(pcap_count "$TMP/a.pcap" "tcp port 80 and host $A_B")" -gt 100 ]
check "G2-B wire carries the HTTP in clear" \
	[ "$(pcap_count "$TMP/b.pcap" "tcp port 80 and host $A_A")" -gt 100 ]
pre_count() { # pre_count NS: packets counted by the prerouting steer rule of rule gw
	in_ns "$1" nft list chain inet esprit pre |
		sed -n 's/.*counter packets \([0-9]*\) .*meta mark set.*comment "rule gw".*/\1/p'
}
n1=$(pre_count "$G1")
n2=$(pre_count "$G2")
echo "routed packets steered in prerouting: G1 ${n1:-none}, G2 ${n2:-none}"
check "G1 steered A's routed requests (prerouting counter)" [ "${n1:-0}" -gt 0 ]
check "G2 steered B's routed replies (prerouting counter)" [ "${n2:-0}" -gt 0 ]

# ---- plaintext from the G1 side, claiming to be A's network: dropped at G2 -------------------
fwd_drops() {
	in_ns "$G2" nft list chain inet esprit forward |
		sed -n 's/.*counter packets \([0-9]*\) .*drop comment "rule gw".*/\1/p' | grep -v '^0$' |
		awk '{s += $1} END {print s + 0}'
}
d0=$(fwd_drops)
capture_start "$G2" g2b "$TMP/b2.pcap"
if in_ns "$T" curl -sS --max-time 3 --interface $A_SPOOF -o /dev/null \
	"http://$URL_B/data.bin" 2>/dev/null; then
	bad "plaintext from $A_SPOOF (T, on the G1-G2 wire) reached B:80"
else
	ok "plaintext from $A_SPOOF (T, on the G1-G2 wire) to B:80 gets no answer"
fi
capture_stop
d1=$(fwd_drops)
echo "G2 forward chain drops: $d0 -> $d1"
check "G2's forward chain dropped it (counted)" [ "$d1" -gt "$d0" ]
check "nothing of it reached B's wire" [ "$(pcap_count "$TMP/b2.pcap" "host $A_SPOOF")" -eq 0 ]

# ---- clean exit --------------------------------------------------------------------------------
for pn in "$G1:$PID1" "$G2:$PID2"; do
	kill -TERM "${pn#*:}"
	rc=0
	wait "${pn#*:}" || rc=$?
	check "espritd in ${pn%%:*} exits 0 on SIGTERM" [ "$rc" -eq 0 ]
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
	check "no 'iif esprit0' rule left in ${pn%%:*}" \
		bash -c "! ip -n ${pn%%:*} rule show | grep -q 'iif esprit0'"
done
net_finish "$TMP/g1.log" "$TMP/g2.log"
