#!/usr/bin/env bash
# Path MTU for ESP (issue 4): a router in the middle answers espritd's too-big ESP packets with
# ICMP "fragmentation needed" (IPv6: "packet too big"); espritd lowers the TUN route MTU to
# that peer by the SA's overhead, so TCP sends segments whose ESP packets fit the narrow link.
#
#   ns C (client side, HTTP server)     ns R (router)                 ns S (downloads)
#   A_C vc ----------- rc A_RC  [fwd]  A_RS rs ==== MTU NARROW ==== vs A_S
#   python3 http.server :80                                          curl
#
# C sends the data, so C's ESP packets are the ones the router cannot forward (S's own link
# is narrow too, so S's kernel never sends anything too big). Checks: ESP leaves C with DF
# set; after a first download espritd logged the path MTU and the inner MTU the SA's overhead
# leaves (computed here independently), and table 58801 holds the host route via the TUN with
# that mtu; a second 2 MB download is byte-identical and its ESP crosses the narrow link
# unfragmented, no packet larger than the MTU; everything is removed at the end.
# ESPRIT_NET_ENCAP=udp: ESP in UDP 4500, offload off (test_pmtu_udp.sh); ESPRIT_NET_FAMILY=6: IPv6 with a
# 1400 link (an IPv6 inner MTU may not go below 1280, so a 1280 link would leave nothing).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
net_init pmtu curl openssl cmp

FAMILY=${ESPRIT_NET_FAMILY:-4}
ENCAP=""
UDP=0
if [ "${ESPRIT_NET_ENCAP:-}" = udp ]; then
	ENCAP="encap udp"
	UDP=8
	# With UDP_SEGMENT the kernel sets DF only on datagrams sent alone (a super-packet is
	# longer than the route MTU when it is built), so most ESP-in-UDP packets leave without
	# DF and the router fragments them instead of answering: PMTU discovery on 4500 needs
	# segmentation offload off.
	export ESPRIT_UDP_OFFLOAD=0
fi
if [ "$FAMILY" = 6 ]; then
	A_C=fd00:84:1::1 A_RC=fd00:84:1::fe A_RS=fd00:84:2::fe A_S=fd00:84:2::1 PLEN=64
	URL_C="[$A_C]" NARROW=1400 IPHDR=40 IPV=ip6 NODAD=nodad
else
	A_C=10.84.1.1 A_RC=10.84.1.254 A_RS=10.84.2.254 A_S=10.84.2.1 PLEN=24
	URL_C=$A_C NARROW=1280 IPHDR=20 IPV=ip NODAD=
fi
# RFC 4303 2, RFC 4106 3: SPI + sequence 8, IV 8, ICV 16; payload + 2 trailer octets padded to
# a multiple of 4. Transport mode: the inner IP header is the outer one.
room=$((NARROW - IPHDR - UDP - 8 - 8 - 16))
INNER=$((room / 4 * 4 - 2 + IPHDR))
echo "variant: IPv$FAMILY, ${ENCAP:-raw ESP}, narrow link $NARROW, expected inner MTU $INNER"

C=pmtuc$$
R=pmtur$$
S=pmtus$$
for n in "$C" "$R" "$S"; do
	net_ns "$n"
done
ip link add vc netns "$C" type veth peer name rc netns "$R" || exit 1
ip link add vs netns "$S" type veth peer name rs netns "$R" || exit 1
in_ns "$S" ip link set vs mtu "$NARROW"
in_ns "$R" ip link set rs mtu "$NARROW"
# shellcheck disable=SC2086 # NODAD is empty or one word
{
	in_ns "$C" ip addr add "$A_C/$PLEN" dev vc $NODAD
	in_ns "$R" ip addr add "$A_RC/$PLEN" dev rc $NODAD
	in_ns "$R" ip addr add "$A_RS/$PLEN" dev rs $NODAD
	in_ns "$S" ip addr add "$A_S/$PLEN" dev vs $NODAD
}
for l in "$C vc" "$R rc" "$R rs" "$S vs"; do
	read -r ns ifc <<<"$l"
	in_ns "$ns" ip link set "$ifc" up
	# ESP in UDP may leave with UDP_SEGMENT: segment on the veth as a NIC would (see lib.sh).
	command -v ethtool >/dev/null && in_ns "$ns" ethtool -K "$ifc" tx-udp-segmentation off >/dev/null
done
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_ns "$C" ip -"$FAMILY" route add default via "$A_RC"
in_ns "$S" ip -"$FAMILY" route add default via "$A_RS"
wait_for 5 bash -c "ip -n $C link show vc | grep -q 'state UP' &&
	ip -n $S link show vs | grep -q 'state UP'" || {
	echo "links not up"
	exit 1
}

net_key "$TMP/k1" 20
net_key "$TMP/k2" 20
cat >"$TMP/client.conf" <<CONF
use policy client-respond-only
sa out esp spi 0x1001 transport $A_C -> $A_S aes-gcm-128 key file "$TMP/k1" $ENCAP selector tcp sport 80
sa in esp spi 0x1002 transport $A_S -> $A_C aes-gcm-128 key file "$TMP/k2" $ENCAP selector tcp port 80
CONF
cat >"$TMP/server.conf" <<CONF
use policy client-respond-only
sa in esp spi 0x1001 transport $A_C -> $A_S aes-gcm-128 key file "$TMP/k1" $ENCAP require selector tcp sport 80
sa out esp spi 0x1002 transport $A_S -> $A_C aes-gcm-128 key file "$TMP/k2" $ENCAP selector tcp port 80
CONF
espritd_start "$C" "$TMP/client.conf" "$TMP/client.log" || net_finish "$TMP/client.log"
PIDC=$ESPRITD_PID
espritd_start "$S" "$TMP/server.conf" "$TMP/server.log" || net_finish "$TMP/server.log"
PIDSV=$ESPRITD_PID

mkdir "$TMP/www"
head -c 2000000 /dev/urandom >"$TMP/www/data.bin"
head -c 300000 /dev/urandom >"$TMP/www/warm.bin"
ip netns exec "$C" "$PY3" -m http.server 80 --bind "$A_C" --directory "$TMP/www" \
	>"$TMP/http.log" 2>&1 &
PIDS+=($!)
wait_for 10 port_open "$C" "$A_C" 80 || bad "HTTP server on C"

# ---- first download: the router's ICMP reaches C's ESP socket --------------------------------
capture_start "$R" rs "$TMP/first.pcap"
if in_ns "$S" curl -sS --max-time 60 -o "$TMP/warm.got" "http://$URL_C/warm.bin" &&
	cmp -s "$TMP/www/warm.bin" "$TMP/warm.got"; then
	ok "first download (while the path MTU is learnt) is byte-identical"
else
	bad "first download"
fi
capture_stop
if [ "$FAMILY" = 6 ]; then
	frag="ip6 proto 44"
	icmp="icmp6 and ip6[40] == 2"
else
	frag="ip[6:2] & 0x3fff != 0"
	icmp="icmp and icmp[0] == 3 and icmp[1] == 4"
fi
echo "first download: $(pcap_count "$TMP/first.pcap" "$frag") fragments on the narrow link" \
	"before the route MTU took effect"
LINE="path MTU to $A_S is $NARROW: inner MTU $INNER for SA 0x00001001"
check "espritd logs '$LINE'" wait_for 5 grep -qF "$LINE" "$TMP/client.log"
check "exactly one path MTU change logged" [ "$(grep -c 'path MTU to' "$TMP/client.log")" -eq 1 ]
in_ns "$C" ip -"$FAMILY" route show table 58801 >"$TMP/steer.routes"
check "table 58801: $A_S via esprit0 with mtu $INNER (protocol 250)" \
	grep -qE "^$A_S dev esprit0 proto 250 .*mtu $INNER( |$)" "$TMP/steer.routes"

# ---- second download: ESP fits the narrow link -----------------------------------------------
capture_start "$R" rs "$TMP/wire.pcap"
capture_start "$R" rc "$TMP/wide.pcap"
CAP_WIDE=$CAP_PID
if in_ns "$S" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_C/data.bin"; then
	ok "2 MB download through ESP succeeds"
else
	bad "2 MB download failed"
fi
check "2 MB download is byte-identical" cmp -s "$TMP/www/data.bin" "$TMP/got.bin"
capture_stop
pcap_stop "$CAP_WIDE" "$TMP/wide.pcap"
if [ -n "$ENCAP" ]; then esp="udp port 4500 and src host $A_C"; else esp="$IPV proto 50 and src host $A_C"; fi
n_esp=$(pcap_count "$TMP/wire.pcap" "$esp")
n_frag=$(pcap_count "$TMP/wire.pcap" "$frag")
n_icmp=$(pcap_count "$TMP/wide.pcap" "$icmp")
# IPv4 total length, or IPv6 payload length + 40: the largest IP packet on the narrow link.
if [ "$FAMILY" = 6 ]; then
	max=$(tcpdump -r "$TMP/wire.pcap" -n -v ip6 2>/dev/null |
		sed -n 's/.*payload length: \([0-9]*\).*/\1/p' | sort -n | tail -1)
	max=$((${max:-0} + 40))
else
	max=$(tcpdump -r "$TMP/wire.pcap" -n -v ip 2>/dev/null |
		sed -n 's/.*, length \([0-9]*\)).*/\1/p' | sort -n | tail -1)
fi
echo "second download: $n_esp ESP packets from C, $n_frag fragments, largest IP packet" \
	"${max:-?} octets, $n_icmp ICMP too-big on the wide side"
check "ESP from C crossed the narrow link (>= 1000 packets)" [ "$n_esp" -ge 1000 ]
check "no fragments on the narrow link" [ "$n_frag" -eq 0 ]
check "no packet larger than $NARROW on the narrow link" [ "${max:-99999}" -le "$NARROW" ]
check "largest packets fill the path ($NARROW exactly: the computed overhead is tight)" \
	[ "${max:-0}" -eq "$NARROW" ]
check "no further ICMP too-big towards C" [ "$n_icmp" -eq 0 ]
if [ "$FAMILY" = 4 ]; then
	n_df=$(pcap_count "$TMP/wire.pcap" "$esp and ip[6] & 0x40 != 0")
	check "every ESP packet from C has DF set ($n_df of $n_esp)" [ "$n_df" -eq "$n_esp" ]
fi

espritd_stop_pair
check "client: path MTU update counted (stats at exit)" \
	grep -q "stats: path MTU updates: 1$" "$TMP/client.log"
net_finish "$TMP/client.log" "$TMP/server.log"
