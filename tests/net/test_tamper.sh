#!/usr/bin/env bash
# Packets modified in flight are dropped on their ICV, counted, and never delivered.
#
#   ns C (client: curl)     ns W (switch: bridge br0 + nft)    ns S (server: nginx :80)
#   A_C vc --------------- wc        br0        ws --------------- vs A_S
#   capture here ^                    |   nft bridge rule flips one bit in the first 5 large
#                                     |   server->client packets of the SA
#                                     wt --------------- vt A_T  ns T: scapy forges more
#
# Manual transport SAs for TCP port 80 (required by the server); the file served is 400 kB of
# 'A', so a flipped bit in the payload shows as '@'. Checks:
# - AH (protocol 51): tshark dissects AH with the HTTP inside it in clear (request and response);
#   the modified packets arrive at the client with '@' where the server sent 'A' (the capture
#   shows it), yet curl's file is all 'A' (TCP retransmitted what the client's espritd dropped);
# - ESP: tshark sees only ESP, no HTTP and no run of 'A' in the capture;
# - the client's ICV-failure counter (control socket: Packets Not Authenticated) equals the nft
#   rule's count of modified packets exactly; the client's inbound SA carried exactly the SA's
#   packets on the wire minus the modified ones (none of them delivered);
# - scapy in the third namespace re-sends 10 captured packets with the sequence number moved
#   1,000,000 ahead and one payload bit flipped: ICV failures rise by exactly 10, no replay drop,
#   and a second download works, so a forged packet never moves the anti-replay window
#   (RFC 4303 3.4.3 / RFC 4302 3.4.3: the window is updated only after the ICV verified).
# Variants: test_tamper.sh (AH, IPv4), test_tamper6.sh (AH, IPv6), test_tamper_esp.sh (ESP
# AES-GCM-128, IPv4), test_tamper_esp6_cbc.sh (ESP AES-CBC-128 + HMAC-SHA2-256-128, IPv6).
# Environment: ESPRIT_NET_FAMILY=4|6, ESPRIT_NET_ALG=ah|gcm|cbc.
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init tmp curl openssl cmp nginx tshark
export ESPRIT_NET_ENCAP="" # an nft rule that changes a UDP payload leaves its checksum wrong
net_variant 34 ah
net_topology
espritd_pair "selector tcp port 80" "selector tcp sport 80"

SIZE=400000
mkdir -p "$TMP/nginx/www"
head -c $SIZE /dev/zero | tr '\0' A >"$TMP/nginx/www/data.bin"
chmod -R a+rX "$TMP/nginx"
nginx_start "$S" "$TMP/nginx" "$A_S" || bad "nginx did not start: $(cat "$TMP/nginx/stderr")"

# ---- the switch flips bit 0 of octet 1000 of the first 5 large server->client packets --------
# (octet 1000 of the IP packet lies in the TCP payload behind AH, or in ESP's ciphertext)
OFF=1000
if [ "$FAMILY" = 6 ]; then
	MATCH="ip6 saddr $A_S ip6 daddr $A_C ip6 nexthdr $PROTO ip6 length > 1200"
else
	MATCH="ip saddr $A_S ip daddr $A_C ip protocol $PROTO ip length > 1200"
fi
in_ns "$W" nft -f - <<NFT || bad "nft mangling rule refused"
table bridge esprit_tamper {
	chain forward {
		type filter hook forward priority 0; policy accept;
		$MATCH limit rate 1/hour burst 5 packets counter @nh,$((OFF * 8)),8 set @nh,$((OFF * 8)),8 ^ 0x01
	}
}
NFT
mangled() {
	in_ns "$W" nft list chain bridge esprit_tamper forward |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

capture_start "$C" vc "$TMP/wire.pcap"
if in_ns "$C" curl -sS --max-time 30 -o "$TMP/got.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/got.bin" "$TMP/nginx/www/data.bin"; then
	ok "curl's download is byte-identical: all 'A', nothing modified reached it"
else
	bad "download with packets modified in flight"
fi
sleep 0.5
capture_stop

n_mod=$(mangled)
n_icv=$(ctl_counter "$CS" icv)
n_in=$(ctl_counter "$CS" sa-in:0x1002)
if [ "$PROTO" = ah ]; then
	wire_sa=$(pcap_count "$TMP/wire.pcap" "src host $A_S and $IPV proto 51")
else
	wire_sa=$(pcap_count "$TMP/wire.pcap" "src host $A_S and $IPV proto 50")
fi
echo "switch modified $n_mod packets; client: $n_icv ICV failures, inbound SA $n_in packets," \
	"$wire_sa SA packets on its wire"
check "the switch modified packets in flight (5)" [ "${n_mod:-0}" -eq 5 ]
check "client: ICV failures equal the packets modified ($n_mod)" [ "$n_icv" -eq "${n_mod:-x}" ]
check "client: inbound SA delivered every packet on the wire but the modified ones" \
	[ "$n_in" -eq $((wire_sa - ${n_mod:-0})) ]
check "client: no replay drop" [ "$(ctl_counter "$CS" replay)" -eq 0 ]

# ---- what the wire shows ----------------------------------------------------------------------
# count_flipped: packets from the server whose octet OFF is '@' ('A' with bit 0 flipped).
count_flipped() {
	"$PY3" - "$TMP/wire.pcap" "$A_S" "$OFF" <<'PY'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, rdpcap
pcap, src, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = 0
for p in rdpcap(pcap):
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    if ip is not None and ip.src == src and len(bytes(ip)) > off and bytes(ip)[off] == 0x40:
        n += 1
print(n)
PY
}
TS=(tshark -n -r "$TMP/wire.pcap" -o tcp.desegment_tcp_streams:FALSE)
"${TS[@]}" -Y "ah && http.request" -T fields -e ah.spi -e http.request.uri >"$TMP/ts_req" 2>/dev/null
"${TS[@]}" -Y "ah && tcp.srcport == 80" -T fields -e ah.spi >"$TMP/ts_resp" 2>/dev/null
"${TS[@]}" -Y "esp" -T fields -e esp.spi >"$TMP/ts_esp" 2>/dev/null
"${TS[@]}" -Y "http" -T fields -e frame.number >"$TMP/ts_http" 2>/dev/null
if [ "$PROTO" = ah ]; then
	check "tshark: the GET travels in AH SPI 0x1001, readable" \
		grep -q "^0x0*1001	/data.bin$" "$TMP/ts_req"
	check "tshark: the server's TCP port 80 segments travel in AH SPI 0x1002" \
		[ "$(grep -c "^0x0*1002$" "$TMP/ts_resp")" -ge 100 ]
	check "the modified packets reached the client with '@' for 'A' ($n_mod)" \
		[ "$(count_flipped)" -eq "${n_mod:-x}" ]
	check "the file's content is readable on the wire (AH does not encrypt)" \
		grep -qa AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "$TMP/wire.pcap"
else
	check "tshark: ESP on the wire ($(wc -l <"$TMP/ts_esp") packets), SPIs 0x1001 and 0x1002" \
		bash -c "grep -q '^0x0*1001$' '$TMP/ts_esp' && grep -q '^0x0*1002$' '$TMP/ts_esp'"
	check "tshark: no HTTP visible" [ ! -s "$TMP/ts_http" ]
	check "no run of the file's 'A's anywhere in the capture" \
		bash -c "! grep -qa AAAAAAAAAAAAAAAA '$TMP/wire.pcap'"
fi

# ---- forged: captured packets moved ahead in sequence, one bit flipped, from the third host ----
icv0=$n_icv
in0=$(ctl_counter "$CS" sa-in:0x1002)
MAC_C=$(in_ns "$C" cat /sys/class/net/vc/address)
n_forged=$(in_ns "$T" "$PY3" "$NET_DIR/wire_resend.py" "$TMP/wire.pcap" vt "$MAC_C" "$A_S" "$A_C" \
	0x1002 --seq-add 1000000 --flip $OFF --min-len $((OFF + 100)) --max 10) ||
	bad "wire_resend.py"
wait_for 5 bash -c "[ \$($PY3 $NET_DIR/ctl_stat.py $CS icv) -ge $((icv0 + ${n_forged:-0})) ]"
sleep 0.3
check "forged: $n_forged packets sent, ICV failures rose by exactly that" \
	[ "$(ctl_counter "$CS" icv)" -eq $((icv0 + ${n_forged:-0})) ]
check "forged: none delivered" [ "$(ctl_counter "$CS" sa-in:0x1002)" -eq "$in0" ]
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/got2.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/got2.bin" "$TMP/nginx/www/data.bin"; then
	ok "a second download works: the forged sequence numbers did not move the window"
else
	bad "second download after forged packets (window moved?)"
fi
check "still no replay drop" [ "$(ctl_counter "$CS" replay)" -eq 0 ]

espritd_stop_pair
net_finish "$TMP/client.log" "$TMP/server.log"
